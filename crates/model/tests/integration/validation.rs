//! The validation rules at their edges, what each edit does to a customer, due times, money
//! and the error excerpts.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use chrono::NaiveDate;
use rapport_model::{
    Contact, Currency, Customer, CustomerId, CustomerKind, Deal, DealStatus, Due, Edit, FIELDS,
    FollowUp, FollowUpKind, ItemId, MAX_FIELD_BYTES, Money, Timestamp, ValidationError, check_date,
    check_line, check_phone, check_text, excerpt, normalize_tag, timestamp_from_millis,
};

fn now() -> Timestamp {
    timestamp_from_millis(1_790_000_000_000)
}

fn cny() -> Currency {
    Currency::parse("CNY", "currency").unwrap()
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn err_field(r: Result<(), ValidationError>) -> String {
    let e = r.unwrap_err();
    e.to_string()
        .split(':')
        .next()
        .unwrap_or_default()
        .to_string()
}

#[test]
fn text_and_line_limits() {
    assert_eq!(MAX_FIELD_BYTES, 1024 * 1024);
    assert!(check_text("notes", &"x".repeat(MAX_FIELD_BYTES)).is_ok());
    assert_eq!(
        check_text("notes", &"x".repeat(MAX_FIELD_BYTES + 1)),
        Err(ValidationError::TooLong {
            field: "notes",
            len: MAX_FIELD_BYTES + 1,
            max: MAX_FIELD_BYTES
        })
    );
    assert!(check_text("notes", "a\tb\r\nc").is_ok());
    assert_eq!(
        check_text("notes", "a\u{7}b"),
        Err(ValidationError::ControlCharacter { field: "notes" })
    );
    assert!(check_line("company", "Acme GmbH").is_ok());
    assert_eq!(
        check_line("company", "Acme\tGmbH"),
        Err(ValidationError::ControlCharacter { field: "company" }),
        "a single line takes no tab or line break"
    );
    assert!(matches!(
        check_line("company", &"x".repeat(MAX_FIELD_BYTES + 1)),
        Err(ValidationError::TooLong { .. })
    ));
}

#[test]
fn phone_numbers_need_three_digits_and_phone_punctuation_only() {
    for ok in [
        "123",
        "+86 (10) 1234-5678",
        "030/1234.5678",
        "555 1234 x12",
        "555 1234 X12",
        "555#1234",
        "+1-418-656-9254 ext. 102",
        "tel:+1-418-656-9254;ext=102",
    ] {
        assert!(check_phone("phone", ok).is_ok(), "{ok}");
    }
    for bad in [
        "12",
        "1 2",
        "12a34",
        "+86 138 0013 8000 ext",
        "555#12a",
        "+1 418 ext. 10b",
    ] {
        assert!(
            matches!(
                check_phone("phone", bad),
                Err(ValidationError::BadPhone { field: "phone", .. })
            ),
            "{bad}"
        );
    }
    assert_eq!(
        check_phone("phone", "123\n4"),
        Err(ValidationError::ControlCharacter { field: "phone" })
    );
}

#[test]
fn dates_have_four_digit_years() {
    assert!(check_date("d", date(1000, 1, 1)).is_ok());
    assert!(check_date("d", date(9999, 12, 31)).is_ok());
    assert_eq!(
        check_date("d", date(999, 12, 31)),
        Err(ValidationError::DateOutOfRange {
            field: "d",
            value: "0999-12-31".into()
        })
    );
    assert!(check_date("d", date(10000, 1, 1)).is_err());
}

#[test]
fn contacts_are_checked_field_by_field() {
    let good = Contact {
        name: "张伟".into(),
        title: "Buyer".into(),
        phones: vec!["+86 138 0013 8000".into()],
        emails: vec!["zhang.wei@huachuang.cn".into()],
        handles: vec!["wechat:zhangwei88".into()],
        birthday: Some(date(1980, 5, 4)),
        notes: "likes tea\nand golf".into(),
    };
    let put = |c: &Contact| Edit::PutContact(ItemId::new(), c.clone()).validate(None);
    assert_eq!(put(&good), Ok(()));
    let cases: Vec<(Contact, &str)> = vec![
        (
            Contact {
                name: " ".into(),
                ..good.clone()
            },
            "contact.name",
        ),
        (
            Contact {
                title: "a\nb".into(),
                ..good.clone()
            },
            "contact.title",
        ),
        (
            Contact {
                emails: vec!["ok@example.com".into(), "not an email".into()],
                ..good.clone()
            },
            "contact.email",
        ),
        (
            Contact {
                phones: vec!["call me".into()],
                ..good.clone()
            },
            "contact.phone",
        ),
        (
            Contact {
                handles: vec![String::new()],
                ..good.clone()
            },
            "contact.handle",
        ),
        (
            Contact {
                birthday: Some(date(99, 1, 1)),
                ..good.clone()
            },
            "contact.birthday",
        ),
        (
            Contact {
                notes: "a\u{0}b".into(),
                ..good.clone()
            },
            "contact.notes",
        ),
    ];
    for (c, field) in cases {
        assert_eq!(err_field(put(&c)), field, "{c:?}");
    }
}

fn deal(minor: i64, probability: u8) -> Deal {
    Deal {
        title: "order".into(),
        amount: Money {
            minor,
            currency: cny(),
        },
        status: DealStatus::Open,
        date: date(2026, 12, 1),
        probability,
    }
}

#[test]
fn deal_amount_and_probability_edges() {
    let put = |d: Deal| Edit::PutDeal(ItemId::new(), d).validate(None);
    assert_eq!(put(deal(0, 0)), Ok(()), "a free deal is fine");
    assert_eq!(put(deal(Money::MAX_MINOR, 100)), Ok(()));
    assert_eq!(
        put(deal(-1, 50)),
        Err(ValidationError::NegativeAmount {
            field: "deal.amount",
            value: "-0.01".into()
        })
    );
    assert_eq!(
        put(deal(Money::MAX_MINOR + 1, 50)),
        Err(ValidationError::AmountTooLarge {
            field: "deal.amount",
            value: "10000000000000.01".into()
        })
    );
    assert_eq!(
        put(deal(5, 101)),
        Err(ValidationError::BadProbability {
            field: "deal.probability",
            value: 101
        })
    );
}

#[test]
fn referrals_and_follow_up_items() {
    let mut c = Customer::new(CustomerId::new(), "Acme", CustomerKind::Company, now());
    assert_eq!(
        Edit::ReferredBy(Some(CustomerId::new())).validate(Some(&c)),
        Ok(()),
        "another customer may refer this one"
    );
    assert_eq!(Edit::ReferredBy(Some(c.id)).validate(None), Ok(()));
    let fid = ItemId::new();
    let complete = |outcome: &str| Edit::CompleteFollowUp {
        id: fid,
        at: now(),
        outcome: outcome.into(),
    };
    assert!(matches!(
        complete("done").validate(Some(&c)),
        Err(ValidationError::NoSuchItem { .. })
    ));
    Edit::PutFollowUp(
        fid,
        FollowUp {
            due: Due::parse("2026-12-01", "due").unwrap(),
            kind: FollowUpKind::Call,
            subject: "call".into(),
            assignee: String::new(),
            done_at: None,
            outcome: String::new(),
        },
    )
    .apply(&mut c, now());
    assert_eq!(complete("done").validate(Some(&c)), Ok(()));
    assert_eq!(Edit::RemoveFollowUp(fid).validate(Some(&c)), Ok(()));
    assert_eq!(
        err_field(complete("a\u{1}").validate(Some(&c))),
        "followup.outcome"
    );
}

#[test]
fn apply_edits_lists_without_duplicates() {
    let mut c = Customer::new(CustomerId::new(), "Acme", CustomerKind::Company, now());
    for e in [
        Edit::AddEmail("a@acme.com".into()),
        Edit::AddEmail(" b@acme.com ".into()),
        Edit::AddEmail("a@acme.com".into()),
        Edit::AddPhone("111".into()),
        Edit::AddPhone("222".into()),
        Edit::AddPhone("111 ".into()),
    ] {
        e.apply(&mut c, now());
    }
    assert_eq!(c.emails, ["a@acme.com", "b@acme.com"]);
    assert_eq!(c.phones, ["111", "222"]);
    Edit::RemoveEmail(" a@acme.com".into()).apply(&mut c, now());
    Edit::RemovePhone("222".into()).apply(&mut c, now());
    assert_eq!(c.emails, ["b@acme.com"]);
    assert_eq!(c.phones, ["111"]);

    // A second deletion keeps the first time.
    Edit::Delete.apply(&mut c, now());
    Edit::Delete.apply(&mut c, timestamp_from_millis(1_800_000_000_000));
    assert_eq!(c.deleted_at, Some(now()));
    assert_eq!(normalize_tag("  Key   ＡＣＣＯＵＮＴ "), "key account");
}

#[test]
fn every_edit_is_labelled_with_a_known_field() {
    let fid = ItemId::new();
    let cases = [
        (Edit::Name("x".into()), "name"),
        (Edit::Notes("x".into()), "notes"),
        (Edit::AddTag("x".into()), "tags"),
        (Edit::RemovePhone("1".into()), "phones"),
        (Edit::Archive(true), "archived"),
        (Edit::Restore, "deleted"),
        (Edit::RemoveContact(fid), "contacts"),
        (
            Edit::CompleteFollowUp {
                id: fid,
                at: now(),
                outcome: String::new(),
            },
            "followups",
        ),
        (Edit::RemoveDeal(fid), "deals"),
    ];
    for (e, label) in cases {
        assert_eq!(e.label(), label);
        assert!(FIELDS.contains(&label));
    }
}

#[test]
fn due_times_and_overdue_edges() {
    let at = |h, m| date(2026, 12, 1).and_hms_opt(h, m, 0).unwrap();
    let day = Due::parse("2026-12-01", "due").unwrap();
    let timed = Due::parse("2026-12-01T09:30", "due").unwrap();
    assert_eq!(day.at(), at(0, 0));
    assert_eq!(timed.at(), at(9, 30));
    assert_eq!(Due::parse(" 2026-12-01 09:30:15 ", "due").unwrap().at(), {
        date(2026, 12, 1).and_hms_opt(9, 30, 15).unwrap()
    });
    assert!(matches!(
        Due::parse("2026-12-01Tnoon", "due"),
        Err(ValidationError::BadTime { .. })
    ));

    assert!(!timed.is_overdue(at(9, 29)));
    assert!(!timed.is_overdue(at(9, 30)), "due, not yet overdue");
    assert!(timed.is_overdue(at(9, 31)));
    let next_day = date(2026, 12, 2).and_hms_opt(0, 0, 0).unwrap();
    let day_before = date(2026, 11, 30).and_hms_opt(23, 59, 0).unwrap();
    assert!(!day.is_overdue(at(23, 59)));
    assert!(day.is_overdue(next_day), "overdue once its day has passed");
    assert!(!day.is_overdue(day_before));
    assert!(!timed.is_overdue(day_before));

    // Stored as text, read back the same.
    let json = serde_json::to_string(&[day, timed]).unwrap();
    assert_eq!(json, r#"["2026-12-01","2026-12-01T09:30"]"#);
    assert_eq!(
        serde_json::from_str::<[Due; 2]>(&json).unwrap(),
        [day, timed]
    );
    assert!(serde_json::from_str::<Due>(r#""2026-02-30""#).is_err());
}

#[test]
fn currencies_and_money_text() {
    let jpy: Currency = "jpy".parse().unwrap();
    assert_eq!(jpy.code(), "JPY");
    assert_eq!((cny().exponent(), jpy.exponent()), (2, 0));
    assert_eq!(format!("{} {:?}", cny(), jpy), "CNY JPY");
    assert!("xyz".parse::<Currency>().is_err());
    assert_eq!(serde_json::to_string(&jpy).unwrap(), r#""JPY""#);
    assert_eq!(
        serde_json::from_str::<Currency>(r#""eur""#).unwrap().code(),
        "EUR"
    );
    assert!(serde_json::from_str::<Currency>(r#""EURO""#).is_err());

    let m = |minor, currency| Money { minor, currency };
    assert_eq!(m(150_000, jpy).decimal(), "150000");
    assert_eq!(m(0, cny()).decimal(), "0.00");
    assert_eq!(m(7, cny()).decimal(), "0.07");
    assert_eq!(m(-150, cny()).decimal(), "-1.50");
    assert_eq!(m(123_456, cny()).to_string(), "1234.56 CNY");

    let parse = |s: &str| Money::parse(s, cny(), "amount");
    assert_eq!(parse("1_234 567.5").unwrap().minor, 123_456_750);
    assert_eq!(parse(" +89.10 ").unwrap().minor, 8_910);
    assert_eq!(parse("3.").unwrap().minor, 300);
    for bad in ["1.x5", "a.5", ".", "1.2.3", "1e5"] {
        assert!(
            matches!(parse(bad), Err(ValidationError::BadAmount { .. })),
            "{bad}"
        );
    }
    assert!(matches!(
        parse("10000000000000.01"),
        Err(ValidationError::AmountTooLarge { .. })
    ));
    assert_eq!(
        Money::parse("12.5", jpy, "amount"),
        Err(ValidationError::TooPrecise {
            field: "amount",
            value: "12.5".into(),
            currency: "JPY".into(),
            allowed: 0
        })
    );
}

#[test]
fn excerpts_quote_short_values_whole() {
    assert_eq!(excerpt("abc"), "abc");
    let edge = "é".repeat(100); // 200 bytes
    assert_eq!(excerpt(&edge), edge);
    let long = "é".repeat(101);
    assert_eq!(excerpt(&long), format!("{}... (202 bytes)", "é".repeat(60)));
}

#[test]
fn timestamps_from_millis() {
    assert_eq!(
        timestamp_from_millis(1_790_000_000_123).timestamp_millis(),
        1_790_000_000_123
    );
}

#[test]
fn a_due_reads_as_chrono_would_format_it_and_parses_back() {
    use chrono::NaiveTime;
    let days = [
        NaiveDate::from_ymd_opt(1, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(2026, 2, 9).unwrap(),
        NaiveDate::from_ymd_opt(9999, 12, 31).unwrap(),
        NaiveDate::from_ymd_opt(10000, 1, 1).unwrap(),
        NaiveDate::from_ymd_opt(-5, 3, 4).unwrap(),
    ];
    for date in days {
        for time in [
            None,
            Some(NaiveTime::from_hms_opt(0, 5, 0).unwrap()),
            Some(NaiveTime::from_hms_opt(23, 59, 0).unwrap()),
        ] {
            let due = Due { date, time };
            let want = match time {
                None => date.format("%Y-%m-%d").to_string(),
                Some(t) => format!("{}T{}", date.format("%Y-%m-%d"), t.format("%H:%M")),
            };
            assert_eq!(due.to_string(), want);
            if (1900..=2200).contains(&chrono::Datelike::year(&date)) {
                assert_eq!(Due::parse(&want, "due").unwrap(), due);
            }
        }
    }
}
