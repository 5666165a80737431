//! `rapport import` as scripts use it: dry run, all or nothing, --skip-bad, re-import.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::common::{json, ok, rapport};

fn count(dir: &std::path::Path) -> usize {
    json(dir, &["customer", "list", "--archived", "--json"])
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn import_dry_run_all_or_nothing_and_skip_bad() {
    let d = tempfile::tempdir().unwrap();
    let d = d.path();
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crates/interchange/tests/data");
    let google = fixtures.join("google-contacts.csv");
    let google = google.to_str().unwrap();

    let out = ok(d, &["import", google, "--dry-run"]);
    assert!(out.contains("dry run: 5 created"), "{out}");
    assert_eq!(count(d), 0, "a dry run writes nothing");

    let report = json(d, &["import", google, "--json"]);
    assert_eq!(report["created"], 5);
    assert_eq!(report["layout"], "Google");
    assert_eq!(count(d), 5);
    let again = json(d, &["import", google, "--json"]);
    assert_eq!(
        (again["created"].clone(), again["unchanged"].clone()),
        (0.into(), 5.into())
    );
    assert_eq!(count(d), 5, "re-importing the same file creates nothing");

    // One bad row (nothing identifies it): nothing is imported, and the error names the
    // file, line and column. An odd value alone (an email that is not one) is kept in the
    // notes with a warning naming line and column; the person is imported.
    let bad = d.join("bad.csv");
    std::fs::write(
        &bad,
        "First Name,Last Name,E-mail 1 - Value,Notes\nGood,Person,good@example.com,\nBad,Email,not-an-email,\n,,,only a note\n",
    )
    .unwrap();
    let out = rapport(d, &["import", bad.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("bad.csv:line 4"), "{err}");
    assert!(
        err.contains("no name, organisation, email or phone"),
        "{err}"
    );
    assert_eq!(count(d), 5, "nothing written");
    let out = rapport(d, &["import", bad.to_str().unwrap(), "--skip-bad"]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("2 created") && said.contains("1 skipped") && said.contains("1 warning(s)"),
        "{said}"
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("warning: ") && err.contains("bad.csv:line 3, column `E-mail 1 - Value`"),
        "{err}"
    );
    assert_eq!(count(d), 7);
    let kept = json(d, &["customer", "show", "Bad Email", "--json"]);
    assert!(
        kept["notes"].as_str().unwrap().contains("not-an-email"),
        "{kept}"
    );

    // vCard: 张伟 is already a contact of 华创商务有限公司 (same email); Jürgen, Carmen and 佐藤健
    // are new.
    let vcf = fixtures.join("contacts-v3.vcf");
    let report = json(d, &["import", vcf.to_str().unwrap(), "--json"]);
    assert_eq!(report["layout"], "VCard");
    assert_eq!(report["created"], 3, "{report}");
    assert_eq!(count(d), 10);
    // A file that is not contacts at all is refused clearly.
    let junk = d.join("junk.csv");
    std::fs::write(&junk, [0xffu8, 0xfe, 0, 1, 2, 3]).unwrap();
    let out = rapport(d, &["import", junk.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("junk.csv"));
    assert_eq!(count(d), 10);

    // Orders attach deals to existing customers (by email, name or id) and feed value tiers.
    let orders = d.join("orders.csv");
    std::fs::write(
        &orders,
        "customer,date,amount,currency,status,title\r\n\
         zhang.wei@huachuang.example,2026-10-01,120000.00,CNY,won,Spring order\r\n\
         Northwind Traders,2026-09-15,4500,CNY,won,\r\n\
         Nobody Known,2026-09-15,10,CNY,won,\r\n",
    )
    .unwrap();
    let out = rapport(d, &["import", orders.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("orders.csv:line 4, column `customer`: no customer matches `Nobody Known`"),
        "{err}"
    );
    let report = json(
        d,
        &["import", orders.to_str().unwrap(), "--skip-bad", "--json"],
    );
    assert_eq!(report["deals_added"], 2, "{report}");
    let again = json(
        d,
        &["import", orders.to_str().unwrap(), "--skip-bad", "--json"],
    );
    assert_eq!(
        (
            again["deals_added"].clone(),
            again["deals_unchanged"].clone()
        ),
        (0.into(), 2.into())
    );
    let vip = json(d, &["customer", "list", "--tier", "vip", "--json"]);
    assert_eq!(vip[0]["name"], "华创商务有限公司", "{vip}");
}
