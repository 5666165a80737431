//! Importing the data people really have, through the real binary: a Chinese sales team's
//! XLSX through its column mapping (refused while a column has no place, remembered once
//! mapped, a second import changing nothing), phones in the team's region, a GBK CSV of the
//! team's own headers, a file whose encoding cannot be guessed, and RFC 6350's own card with
//! a phone extension.

use crate::common::{json, ok, rapport};

fn corpus(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates/interchange/tests/corpus")
        .join(name)
}

fn count(d: &std::path::Path) -> usize {
    json(d, &["customer", "list", "--json"])
        .as_array()
        .unwrap()
        .len()
}

fn named(d: &std::path::Path, name: &str) -> serde_json::Value {
    json(d, &["customer", "show", name, "--json"])
}

#[test]
fn a_sales_teams_xlsx_imports_through_its_mapping_and_again_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let xlsx = corpus("sheets/chinese-team.xlsx");
    let file = xlsx.to_str().unwrap();
    ok(d, &["settings", "set", "phone.region", "CN"]);
    // `提成` (commission) is no field we know: the proposed mapping is printed, nothing written.
    let out = rapport(d, &["import", file]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--map '客户名称=customer'"), "{err}");
    assert!(err.contains("could not be placed: `提成`"), "{err}");
    assert_eq!(count(d), 0);
    // A custom field the team does not have is refused by name.
    let out = rapport(d, &["import", file, "--map", "提成=custom:提成"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no such field"));
    ok(d, &["field", "add", "提成", "--kind", "money"]);
    let report = json(d, &["import", file, "--json", "--map", "提成=custom:提成"]);
    assert_eq!(report["created"], 4, "{report}");
    assert_eq!(report["encoding"], "xlsx");
    assert_eq!(report["mapping"]["header_line"], 3);
    // Warnings name line and field: a bad email, a next visit of `下周`, a formula error and
    // the total row.
    let warnings: Vec<(u64, String)> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["line"].as_u64().unwrap(),
                w["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        warnings,
        [
            (5, "邮箱".to_string()),
            (6, "下次回访".to_string()),
            (6, "提成".to_string()),
            (9, "客户名称".to_string()),
        ]
    );
    let c = named(d, "上海华东贸易有限公司");
    assert_eq!(c["kind"], "company");
    assert_eq!(c["owner"], "王芳");
    assert_eq!(c["fields"]["提成"], "61.70 CNY");
    let contact = c["contacts"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(contact["name"], "张伟");
    assert_eq!(contact["phones"], serde_json::json!(["+8613812345678"]));
    assert_eq!(
        contact["emails"],
        serde_json::json!(["zhangwei@huadong.cn"])
    );
    // The next visit is an open follow-up, the last visit an interaction, sales a won deal.
    let followups: Vec<&serde_json::Value> = c["followups"].as_object().unwrap().values().collect();
    assert_eq!(followups.len(), 1);
    assert_eq!(followups[0]["due"], "2026-12-03");
    let visits: Vec<&serde_json::Value> = c["interactions"].as_object().unwrap().values().collect();
    assert_eq!(visits.len(), 1);
    assert!(visits[0]["at"].as_str().unwrap().starts_with("2026-11-20"));
    let deals: Vec<&serde_json::Value> = c["deals"].as_object().unwrap().values().collect();
    assert_eq!(deals.len(), 1);
    assert_eq!(deals[0]["status"], "won");
    assert_eq!(
        deals[0]["amount"],
        serde_json::json!({"currency": "CNY", "minor": 123400})
    );
    // The same file again: the remembered mapping, no --map, and nothing changes.
    let again = json(d, &["import", file, "--json"]);
    assert_eq!(again["created"], 0, "{again}");
    assert_eq!(again["merged"], 0, "{again}");
    assert_eq!(again["unchanged"], 4);
    assert_eq!(again["mapping"]["from"], "remembered for this layout");
    // The same person typed in another spelling merges, without a second number.
    let csv = dir.path().join("more.csv");
    std::fs::write(
        &csv,
        "客户名称,联系人,手机\n上海华东贸易有限公司,张伟,+86 138-1234-5678\n",
    )
    .unwrap();
    let r = json(d, &["import", csv.to_str().unwrap(), "--json"]);
    assert_eq!(
        (r["created"].as_u64(), r["merged"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
}

#[test]
fn legacy_encodings_are_read_or_asked_for() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Excel on a Chinese Windows: "CSV" in GBK, the team's own headers.
    let (gbk, _, _) = encoding_rs::GBK.encode(
        "客户名称,联系人,电话,邮箱\n华南机械有限公司,陈明,020-8888 6666,chen@huanan.example\n",
    );
    let file = dir.path().join("客户.csv");
    std::fs::write(&file, &gbk).unwrap();
    let r = json(
        d,
        &["import", file.to_str().unwrap(), "--json", "--dry-run"],
    );
    assert_eq!(r["encoding"], "csv (GBK)", "{r}");
    assert_eq!(r["created"], 1);
    let r = json(
        d,
        &[
            "import",
            file.to_str().unwrap(),
            "--json",
            "--encoding",
            "gb18030",
        ],
    );
    assert_eq!(r["encoding"], "csv (gb18030)", "{r}");
    let c = named(d, "华南机械有限公司");
    let contact = c["contacts"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap()
        .clone();
    assert_eq!(contact["name"], "陈明");
    // Bytes no encoding explains: the error asks for --encoding, nothing is written.
    let junk: Vec<u8> = (0..400u32)
        .map(|i| [0x81u8, 0x00, 0xff, 0x9f, 0x01][(i % 5) as usize])
        .collect();
    let bad = dir.path().join("junk.csv");
    std::fs::write(&bad, &junk).unwrap();
    let out = rapport(d, &["import", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--encoding"), "{err}");
    assert!(err.contains("junk.csv"), "{err}");
    assert_eq!(count(d), 1);
}

#[test]
fn rfc_6350s_own_card_keeps_its_extension_and_website() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let card = corpus("rfc6350-example.vcf");
    let r = json(d, &["import", card.to_str().unwrap(), "--json"]);
    assert_eq!(r["skipped"].as_array().unwrap().len(), 0, "{r}");
    let all = json(d, &["customer", "list", "--json"]);
    let id = all[0]["id"].as_str().unwrap().to_string();
    let c = named(d, &id);
    let text = c.to_string();
    assert!(text.contains("+14186569254 ext. 102"), "{text}");
    let shown = ok(d, &["customer", "show", &id]);
    assert!(shown.contains("+1 418-656-9254 ext. 102"), "{shown}");
}

/// What a salesperson compares after a round trip: every field of the customer, custom
/// fields by name, contacts by name with their phones and emails.
fn comparable(d: &std::path::Path) -> Vec<serde_json::Value> {
    let mut out: Vec<serde_json::Value> = json(d, &["customer", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let c = named(d, row["id"].as_str().unwrap());
            let mut contacts: Vec<serde_json::Value> = c["contacts"]
                .as_object()
                .unwrap()
                .values()
                .map(|k| serde_json::json!([k["name"], k["title"], k["phones"], k["emails"]]))
                .collect();
            contacts.sort_by_key(|k| k.to_string());
            serde_json::json!({
                "name": c["name"], "kind": c["kind"], "company": c["company"],
                "industry": c["industry"], "address": c["address"], "website": c["website"],
                "emails": c["emails"], "phones": c["phones"], "tags": c["tags"],
                "owner": c["owner"], "source": c["source"], "notes": c["notes"],
                "fields": c["fields"], "contacts": contacts,
            })
        })
        .collect();
    out.sort_by_key(|c| c["name"].to_string());
    out
}

fn team_fields(d: &std::path::Path) {
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
    ok(d, &["field", "add", "Machine model", "--kind", "text"]);
}

#[test]
fn an_xlsx_export_comes_back_through_our_importer_losing_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = (dir.path().join("a"), dir.path().join("b"));
    team_fields(&a);
    ok(&a, &["settings", "set", "phone.region", "DE"]);
    let acme = ok(
        &a,
        &[
            "customer",
            "add",
            "--name",
            "Acme Optik GmbH",
            "--industry",
            "optics",
            "--address",
            "Hauptstr. 5\n10115 Berlin",
            "--website",
            "acme-optik.example",
            "--email",
            "info@acme-optik.example",
            "--phone",
            "030 1234567",
            "--tag",
            "key-account",
            "--tag",
            "berlin",
            "--owner",
            "Anna Weber",
            "--source",
            "trade fair",
            "--notes",
            "Met at the fair.\nWants a demo in spring.",
            "--set",
            "contract expiry=2027-03-31",
            "--set",
            "territory=north",
            "--set",
            "credit limit=50000",
            "--set",
            "machine model=X-200",
        ],
    )
    .trim()
    .to_string();
    ok(
        &a,
        &[
            "contact",
            "add",
            &acme,
            "--name",
            "Jürgen Müller",
            "--title",
            "Einkauf",
            "--phone",
            "+49 170 1234567",
            "--email",
            "jm@acme-optik.example",
        ],
    );
    ok(
        &a,
        &[
            "customer",
            "add",
            "--name",
            "王芳",
            "--kind",
            "person",
            "--company",
            "华东贸易",
            "--phone",
            "+86 138 1234 5678",
            "--tag",
            "vip-lead",
        ],
    );
    let file = dir.path().join("customers.xlsx");
    let out = ok(&a, &["export", "--format", "xlsx", file.to_str().unwrap()]);
    assert!(out.contains("wrote 2 customers"), "{out}");
    // Into a new store with the same fields: customers, then the contacts sheet.
    team_fields(&b);
    ok(&b, &["settings", "set", "phone.region", "DE"]);
    let r = json(&b, &["import", file.to_str().unwrap(), "--json"]);
    assert_eq!(r["created"], 2, "{r}");
    assert_eq!(r["warnings"].as_array().unwrap().len(), 0, "{r}");
    let r = json(
        &b,
        &[
            "import",
            file.to_str().unwrap(),
            "--sheet",
            "Contacts",
            "--json",
        ],
    );
    assert_eq!(
        (r["created"].as_u64(), r["merged"].as_u64()),
        (Some(0), Some(1)),
        "{r}"
    );
    assert_eq!(comparable(&b), comparable(&a));
    // And again: nothing changes.
    let r = json(&b, &["import", file.to_str().unwrap(), "--json"]);
    assert_eq!(
        (r["created"].as_u64(), r["merged"].as_u64()),
        (Some(0), Some(0)),
        "{r}"
    );
    // The export takes the list's filters.
    let only = dir.path().join("vip.xlsx");
    let out = ok(
        &a,
        &[
            "export",
            "--format",
            "xlsx",
            only.to_str().unwrap(),
            "--tag",
            "vip-lead",
        ],
    );
    assert!(out.contains("wrote 1 customers"), "{out}");
    let bad = rapport(&a, &["export", "--format", "csv", "x.csv", "--tag", "x"]);
    assert_eq!(bad.status.code(), Some(1));
    // A vCard carries the website and the custom fields back too.
    let vcf = dir.path().join("all.vcf");
    ok(&a, &["export", "--format", "vcard", vcf.to_str().unwrap()]);
    let text = std::fs::read_to_string(&vcf).unwrap();
    assert!(text.contains("URL:acme-optik.example"), "{text}");
    assert!(
        text.contains(r#"X-RAPPORT-FIELD;NAME="Machine model":X-200"#),
        "{text}"
    );
    let c = dir.path().join("c");
    team_fields(&c);
    ok(&c, &["import", vcf.to_str().unwrap()]);
    let back = named(&c, "Acme Optik GmbH");
    assert_eq!(back["website"], "acme-optik.example");
    assert_eq!(back["fields"]["Machine model"], "X-200");
    assert_eq!(back["fields"]["Territory"], "North");
}
