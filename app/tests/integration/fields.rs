//! Custom fields, the website and phone numbers from the CLI: defined once, set per customer,
//! shown by name, kept through a rename and a remove, refused clearly when a value does not
//! fit; phones stored as E.164 with the team's region and shown in its national style.

use crate::common::{json, ok, rapport};

fn customer(d: &std::path::Path, id: &str) -> serde_json::Value {
    json(d, &["customer", "show", id, "--json"])
}

#[test]
fn custom_fields_are_set_shown_renamed_removed_and_restored_with_their_values() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["field", "add", "Contract expiry", "--kind", "date"]);
    ok(
        d,
        &[
            "field",
            "add",
            "Territory",
            "--kind",
            "choice",
            "--option",
            "North",
            "--option",
            "South",
        ],
    );
    ok(d, &["field", "add", "Credit limit", "--kind", "money"]);
    ok(d, &["field", "add", "Key account", "--kind", "yes_no"]);
    // A second field of the same name (folded) is refused.
    let dup = rapport(d, &["field", "add", "territory", "--kind", "text"]);
    assert_eq!(dup.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&dup.stderr).contains("exists already"));
    let id = ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Acme Optics",
            "--website",
            "acme-optics.example",
            "--set",
            "territory=north",
        ],
    )
    .trim()
    .to_string();
    ok(
        d,
        &[
            "customer",
            "edit",
            &id,
            "--set",
            "Contract expiry=2027-03-31",
            "--set",
            "credit limit=50000",
            "--set",
            "key account=yes",
        ],
    );
    let c = customer(d, &id);
    assert_eq!(c["website"], "acme-optics.example");
    assert_eq!(
        c["fields"],
        serde_json::json!({
            "Contract expiry": "2027-03-31",
            "Credit limit": "50000.00 CNY",
            "Key account": "yes",
            "Territory": "North",
        })
    );
    // Values that do not fit their field are refused, naming the field; nothing is written.
    for (bad, says) in [
        ("contract expiry=31.3.2027", "date"),
        ("territory=East", "options"),
        ("key account=maybe", "yes or no"),
        ("nosuch=1", "no field named"),
    ] {
        let out = rapport(d, &["customer", "edit", &id, "--set", bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{bad}: {err}");
    }
    assert_eq!(customer(d, &id)["fields"]["Territory"], "North");
    // Text search finds values of custom fields and the website.
    let found = json(
        d,
        &["customer", "list", "--search", "acme-optics", "--json"],
    );
    assert_eq!(found.as_array().unwrap().len(), 1);
    // Renaming keeps the value; removing hides it; restoring brings it back.
    ok(d, &["field", "rename", "Territory", "Region"]);
    assert_eq!(customer(d, &id)["fields"]["Region"], "North");
    ok(d, &["field", "remove", "Region"]);
    let c = customer(d, &id);
    assert!(c["fields"].get("Region").is_none(), "{c}");
    let listed = json(d, &["field", "list", "--all", "--json"]);
    let region = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == "Region")
        .unwrap();
    assert_eq!(region["removed"], true);
    assert_eq!(
        json(d, &["field", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3
    );
    ok(d, &["field", "restore", "Region"]);
    assert_eq!(customer(d, &id)["fields"]["Region"], "North");
    // Clearing a value.
    ok(d, &["customer", "edit", &id, "--set", "Region="]);
    assert!(customer(d, &id)["fields"].get("Region").is_none());
    // Field definitions are not settings typed by hand.
    let out = rapport(d, &["settings", "set", "field.x", "{}"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn phones_are_one_number_however_written_with_the_team_region() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["settings", "set", "phone.region", "cn"]);
    let id = ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Ming Li",
            "--kind",
            "person",
            "--phone",
            "+86 138 1234 5678",
        ],
    )
    .trim()
    .to_string();
    // The same number in its national spelling is not added twice...
    ok(d, &["customer", "edit", &id, "--add-phone", "13812345678"]);
    assert_eq!(
        customer(d, &id)["phones"],
        serde_json::json!(["+8613812345678"])
    );
    // ...an extension is kept, and the human output shows the national style.
    ok(
        d,
        &[
            "customer",
            "edit",
            &id,
            "--add-phone",
            "tel:+1-418-656-9254;ext=102",
        ],
    );
    let shown = ok(d, &["customer", "show", &id]);
    assert!(
        shown.contains("phones      138 1234 5678, +1 418-656-9254 ext. 102"),
        "{shown}"
    );
    // Removing by another spelling removes the stored number.
    ok(
        d,
        &["customer", "edit", &id, "--remove-phone", "138-1234-5678"],
    );
    assert_eq!(
        customer(d, &id)["phones"],
        serde_json::json!(["+14186569254 ext. 102"])
    );
    // Found by the digits as typed nationally.
    ok(d, &["customer", "edit", &id, "--add-phone", "13812345678"]);
    let found = json(
        d,
        &["customer", "list", "--search", "13812345678", "--json"],
    );
    assert_eq!(found.as_array().unwrap().len(), 1);
    let bad = rapport(d, &["settings", "set", "phone.region", "Atlantis"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("two-letter country code"));
}

#[test]
fn the_list_filters_by_custom_fields() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["field", "add", "Contract expiry", "--kind", "date"]);
    ok(
        d,
        &[
            "field", "add", "Region", "--kind", "choice", "--option", "North", "--option", "South",
        ],
    );
    ok(d, &["field", "add", "Credit limit", "--kind", "money"]);
    for (name, expiry, region, credit) in [
        ("Acme", "2027-01-31", "North", "50000"),
        ("Bluewater", "2026-06-30", "South", "900"),
        ("华东贸易", "", "North", ""),
    ] {
        let mut args = vec!["customer", "add", "--name", name];
        let e = format!("contract expiry={expiry}");
        let r = format!("region={region}");
        let c = format!("credit limit={credit}");
        for s in [&e, &r, &c] {
            args.push("--set");
            args.push(s);
        }
        ok(d, &args);
    }
    let names = |tests: &[&str]| {
        let mut args = vec!["customer", "list", "--json"];
        for t in tests {
            args.push("--field");
            args.push(t);
        }
        let mut v: Vec<String> = json(d, &args)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names(&["region=north"]), ["Acme", "华东贸易"]);
    assert_eq!(names(&["Contract expiry<=2026-12-31"]), ["Bluewater"]);
    assert_eq!(names(&["credit limit>=1,000"]), ["Acme"]);
    assert_eq!(names(&["credit limit=*"]), ["Acme", "Bluewater"]);
    assert_eq!(names(&["region=North", "Contract expiry=*"]), ["Acme"]);
    for (bad, says) in [
        ("region>=North", "ranges are for"),
        ("nosuch=1", "no field named"),
        ("region=East", "options"),
    ] {
        let out = rapport(d, &["customer", "list", "--field", bad]);
        assert_eq!(out.status.code(), Some(1), "{bad}");
        assert!(String::from_utf8_lossy(&out.stderr).contains(says), "{bad}");
    }
}

/// `customer list --sort FIELD[:desc]` orders by a custom field's kind (amounts as numbers,
/// a choice by its options, blanks last both ways), with filters and paging; `--column`
/// shows fields in the table as people read them; JSON carries every field by name; an
/// unknown field or column is a clear error.
#[test]
fn the_list_sorts_by_and_shows_custom_fields() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    ok(d, &["field", "add", "Contract expiry", "--kind", "date"]);
    ok(
        d,
        &[
            "field", "add", "Region", "--kind", "choice", "--option", "South", "--option", "North",
        ],
    );
    ok(d, &["field", "add", "Credit limit", "--kind", "money"]);
    ok(d, &["field", "add", "Key account", "--kind", "yes_no"]);
    for (name, expiry, region, credit, key) in [
        ("Acme", "2027-01-31", "North", "50000", "yes"),
        ("Bluewater", "2026-06-30", "South", "900", "no"),
        ("华东贸易", "", "North", "", ""),
        ("Delta", "2028-05-01", "South", "120000", ""),
    ] {
        let mut args = vec!["customer", "add", "--name", name];
        let sets = [
            format!("contract expiry={expiry}"),
            format!("region={region}"),
            format!("credit limit={credit}"),
            format!("key account={key}"),
        ];
        for s in &sets {
            args.push("--set");
            args.push(s);
        }
        ok(d, &args);
    }
    let names = |extra: &[&str]| {
        let mut args = vec!["customer", "list", "--json"];
        args.extend_from_slice(extra);
        json(d, &args)
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["name"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names(&["--sort", "credit limit"]),
        ["Bluewater", "Acme", "Delta", "华东贸易"],
        "900 before 50000: by amount, not text; no value last"
    );
    assert_eq!(
        names(&["--sort", "Credit limit:desc"]),
        ["Delta", "Acme", "Bluewater", "华东贸易"],
        "no value last descending too"
    );
    assert_eq!(
        names(&["--sort", "region"]),
        ["Bluewater", "Delta", "Acme", "华东贸易"],
        "the options' order (South, North), then name"
    );
    assert_eq!(
        names(&[
            "--sort",
            "contract expiry:desc",
            "--offset",
            "1",
            "--limit",
            "2"
        ]),
        ["Acme", "Bluewater"]
    );
    assert_eq!(
        names(&["--field", "region=north", "--sort", "credit limit:desc"]),
        ["Acme", "华东贸易"]
    );
    assert_eq!(
        names(&["--sort", "name:desc"]),
        ["华东贸易", "Delta", "Bluewater", "Acme"]
    );
    assert_eq!(names(&["--sort", "revenue:desc"]).len(), 4);
    // JSON carries every field in use by name, as stored.
    let rows = json(d, &["customer", "list", "--json", "--search", "acme"]);
    assert_eq!(
        rows[0]["fields"],
        serde_json::json!({
            "Contract expiry": "2027-01-31",
            "Credit limit": "50000.00 CNY",
            "Key account": "yes",
            "Region": "North",
        })
    );
    // The table shows the asked fields, readable, in the order asked.
    let text = ok(
        d,
        &[
            "customer",
            "list",
            "--column",
            "credit limit",
            "--column",
            "Key account",
            "--sort",
            "credit limit:desc",
        ],
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].ends_with("NEXT FOLLOW-UP  CREDIT LIMIT    KEY ACCOUNT"),
        "{text}"
    );
    assert!(lines[1].contains("Delta"), "{text}");
    assert!(lines[2].contains("Acme"), "{text}");
    assert!(
        lines[2].trim_end().ends_with("CNY 50,000.00   Yes"),
        "{text}"
    );
    assert!(
        lines[3].trim_end().ends_with("CNY 900.00      No"),
        "{text}"
    );
    for (args, says) in [
        (["--sort", "nosuch"], "no column or field named `nosuch`"),
        (["--column", "nosuch"], "no field named `nosuch`"),
    ] {
        let mut all = vec!["customer", "list"];
        all.extend_from_slice(&args);
        let out = rapport(d, &all);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// The fields in use, by name, of every customer `customer list` shows, with each one's
/// website, by customer name.
fn fields_and_websites(d: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    json(d, &["customer", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let id = r["id"].as_str().unwrap();
            let website = customer(d, id)["website"].clone();
            (
                r["name"].as_str().unwrap().to_string(),
                format!("{} {website}", r["fields"]),
            )
        })
        .collect()
}

/// A CSV export (Google's layout) carries the website as `Website 1 - Value` and custom
/// fields as Google's `Custom Field N - Label` / `- Value` pairs; importing it into another
/// team with fields of the same names (other ids, defined in another order) gives every
/// customer the same values, and into a team without them keeps the values in the notes.
#[test]
fn a_csv_export_carries_custom_fields_and_the_website_back_in() {
    let dirs = [(); 3].map(|_| tempfile::tempdir().unwrap());
    let [a, b, c] = [dirs[0].path(), dirs[1].path(), dirs[2].path()];
    let define = |d: &std::path::Path, order: &[usize]| {
        let all: [&[&str]; 4] = [
            &["field", "add", "Contract expiry", "--kind", "date"],
            &[
                "field", "add", "Region", "--kind", "choice", "--option", "North", "--option",
                "South",
            ],
            &["field", "add", "Credit limit", "--kind", "money"],
            &["field", "add", "Key account", "--kind", "yes_no"],
        ];
        for &i in order {
            ok(d, all[i]);
        }
    };
    define(a, &[0, 1, 2, 3]);
    let acme = ok(
        a,
        &[
            "customer",
            "add",
            "--name",
            "Acme Optics",
            "--website",
            "acme-optics.example",
            "--set",
            "region=North",
            "--set",
            "credit limit=50000 EUR",
            "--set",
            "key account=yes",
            "--set",
            "contract expiry=2027-03-31",
        ],
    )
    .trim()
    .to_string();
    ok(
        a,
        &[
            "contact",
            "add",
            &acme,
            "--name",
            "Kim Lee",
            "--email",
            "kim@acme-optics.example",
        ],
    );
    ok(
        a,
        &[
            "customer",
            "add",
            "--name",
            "Ming Li",
            "--kind",
            "person",
            "--website",
            "https://ming.example/",
            "--email",
            "ming@li.example",
            "--set",
            "region=South",
            "--set",
            "key account=no",
        ],
    );
    ok(a, &["customer", "add", "--name", "Plain Trading"]);
    let file = a.join("contacts.csv");
    ok(a, &["export", "--format", "csv", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let header = text.lines().next().unwrap();
    assert!(header.contains("Website 1 - Value"), "{header}");
    for n in 1..=4 {
        assert!(
            header.contains(&format!(
                "Custom Field {n} - Label,Custom Field {n} - Value"
            )),
            "{header}"
        );
    }
    assert!(!header.contains("Custom Field 5"), "{header}");
    // Another team with the same fields, defined in another order (other ids).
    define(b, &[3, 2, 1, 0]);
    ok(b, &["import", file.to_str().unwrap()]);
    let want = fields_and_websites(a);
    assert_eq!(fields_and_websites(b), want);
    assert!(
        want["Acme Optics"].contains("\"Credit limit\":\"50000.00 EUR\"")
            && want["Acme Optics"].contains("acme-optics.example")
            && want["Ming Li"].contains("https://ming.example/"),
        "{want:?}"
    );
    let kim = json(b, &["customer", "show", "Acme Optics", "--json"]);
    let contacts: Vec<&serde_json::Value> = kim["contacts"].as_object().unwrap().values().collect();
    assert_eq!(contacts.len(), 1);
    assert_eq!(contacts[0]["name"], "Kim Lee");
    assert_eq!(
        contacts[0]["notes"], "",
        "the company's fields are not the contact's"
    );
    // A team without these fields keeps the values in the notes, and says so.
    let out = rapport(c, &["import", file.to_str().unwrap()]);
    assert!(out.status.success());
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(
        said.contains("the team has no custom field of this name")
            && said.contains("kept as \"Credit limit: 50000.00 EUR\" in the notes"),
        "{said}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(" 6 warning(s)"),
        "four of Acme's, two of Ming Li's"
    );
    let notes = json(c, &["customer", "show", "Acme Optics", "--json"])["notes"]
        .as_str()
        .unwrap()
        .to_string();
    for line in [
        "Contract expiry: 2027-03-31",
        "Credit limit: 50000.00 EUR",
        "Key account: yes",
        "Region: North",
    ] {
        assert!(notes.lines().any(|l| l == line), "{line} in {notes:?}");
    }
    // Importing the file again adds nothing twice, and has nothing more to warn about.
    let again = ok(c, &["import", file.to_str().unwrap()]);
    assert!(again.contains(" 0 warning(s)"), "{again}");
    let again = json(c, &["customer", "show", "Acme Optics", "--json"])["notes"].clone();
    assert_eq!(again, notes.as_str());
}
