//! Custom field kinds, field ids and websites, checked in the model itself (the app's tests
//! reach them only through the CLI).

use rapport_model::check_website;
use rapport_model::fields::{FieldKind, check_field_id};

#[test]
fn every_kind_reads_back_from_its_name_and_a_few_spellings() {
    for kind in FieldKind::ALL.iter().copied() {
        assert_eq!(FieldKind::parse(kind.as_str()).unwrap(), kind);
        assert_eq!(FieldKind::parse(&kind.to_string()).unwrap(), kind);
        assert_eq!(
            FieldKind::parse(&format!("  {}  ", kind.as_str().to_uppercase())).unwrap(),
            kind
        );
    }
    let names: Vec<&str> = FieldKind::ALL.iter().map(|k| k.as_str()).collect();
    assert_eq!(
        names,
        ["text", "number", "money", "date", "choice", "yes_no"]
    );
    for yes_no in ["yes-no", "yes no", "yesno", "bool", "Boolean", "yes/no"] {
        assert_eq!(
            FieldKind::parse(yes_no).unwrap(),
            FieldKind::YesNo,
            "{yes_no}"
        );
    }
    let err = FieldKind::parse("colour").unwrap_err().to_string();
    assert!(err.contains("colour") && err.contains("yes_no"), "{err}");
}

#[test]
fn field_ids_are_short_ascii_words() {
    for ok in [
        "f1",
        "contract-expiry",
        "credit_limit",
        "A",
        &"x".repeat(64),
    ] {
        assert!(check_field_id(ok).is_ok(), "{ok}");
    }
    for bad in ["", " ", "has space", "é", "a.b", "a/b", &"x".repeat(65)] {
        assert!(check_field_id(bad).is_err(), "{bad:?}");
    }
}

#[test]
fn websites_need_a_dot_or_a_scheme_and_no_spaces() {
    for ok in [
        "",
        "  ",
        "example.com",
        "https://example.com/path",
        "http://intranet",
        "www.acme.cn",
    ] {
        assert!(check_website("website", ok).is_ok(), "{ok:?}");
    }
    for bad in [
        "intranet",
        "exa mple.com",
        "http:/x",
        "two\nlines.com",
        "acme .com",
    ] {
        let e = check_website("website", bad);
        assert!(e.is_err(), "{bad:?}");
    }
    let err = check_website("website", "intranet")
        .unwrap_err()
        .to_string();
    assert!(err.contains("intranet"), "{err}");
}

#[test]
fn values_are_checked_and_stored_in_their_kinds_canonical_text() {
    use rapport_model::Currency;
    use rapport_model::fields::FieldDef;
    let cny = Currency::parse("CNY", "currency").unwrap();
    let def = |kind: FieldKind, options: &[&str]| FieldDef {
        id: "f".into(),
        name: "F".into(),
        kind,
        options: options.iter().map(|o| o.to_string()).collect(),
        removed: false,
    };
    let number = def(FieldKind::Number, &[]);
    assert_eq!(
        number.parse("1,234.5", cny).unwrap().as_deref(),
        Some("1234.5")
    );
    assert_eq!(number.parse("+12", cny).unwrap().as_deref(), Some("12"));
    for bad in ["inf", "NaN", "-inf", "twelve"] {
        assert!(number.parse(bad, cny).is_err(), "{bad}");
    }
    assert_eq!(number.parse("  ", cny).unwrap(), None, "empty clears");
    let money = def(FieldKind::Money, &[]);
    assert_eq!(
        money.parse("120", cny).unwrap().as_deref(),
        Some("120.00 CNY")
    );
    assert_eq!(
        money.parse("EUR 1200.5", cny).unwrap().as_deref(),
        Some("1200.50 EUR")
    );
    assert_eq!(
        money.parse("99 usd", cny).unwrap().as_deref(),
        Some("99.00 USD")
    );
    assert!(money.parse("lots", cny).is_err());
    let date = def(FieldKind::Date, &[]);
    assert_eq!(
        date.parse("2027-3-31", cny).unwrap().as_deref(),
        Some("2027-03-31")
    );
    assert!(date.parse("31.03.2027", cny).is_err());
    let yes_no = def(FieldKind::YesNo, &[]);
    assert_eq!(yes_no.parse("是", cny).unwrap().as_deref(), Some("yes"));
    assert_eq!(yes_no.parse("Nein", cny).unwrap().as_deref(), Some("no"));
    assert!(yes_no.parse("maybe", cny).is_err());
    let choice = def(FieldKind::Choice, &["North", "South"]);
    assert_eq!(
        choice.parse(" north ", cny).unwrap().as_deref(),
        Some("North")
    );
    assert!(choice.parse("East", cny).is_err());
}

#[test]
fn fields_are_found_by_name_or_id_and_removed_ones_only_when_asked() {
    use rapport_model::fields::{FieldDef, Fields};
    let def = |id: &str, name: &str, removed: bool| FieldDef {
        id: id.into(),
        name: name.into(),
        kind: FieldKind::Text,
        options: vec![],
        removed,
    };
    let fields = Fields(vec![
        def("f1", "Region", false),
        def("f2", "Old code", true),
        def("f3", "Machine model", false),
    ]);
    assert_eq!(fields.find("  REGION ").map(|f| f.id.as_str()), Some("f1"));
    assert_eq!(fields.find("f3").map(|f| f.id.as_str()), Some("f3"));
    assert!(
        fields.find("Old code").is_none(),
        "removed fields are not in use"
    );
    assert_eq!(
        fields.find_any("old code").map(|f| f.id.as_str()),
        Some("f2")
    );
    assert_eq!(fields.find_any("f3").map(|f| f.id.as_str()), Some("f3"));
    assert!(fields.find_any("Territory").is_none());
    assert_eq!(
        fields.by_id("f2").map(|f| f.name.as_str()),
        Some("Old code")
    );
    assert_eq!(
        fields.by_id("f3").map(|f| f.name.as_str()),
        Some("Machine model")
    );
    assert!(fields.by_id("Region").is_none(), "by id only");
    assert_eq!(fields.active().count(), 2);
}
