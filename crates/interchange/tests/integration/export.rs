//! Exports read back by an independent parser (the `ical` crate, not the `calcard` and
//! `icalendar` crates that write them), and round trips through Rapport's own import.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use crate::{read_csv, read_vcf};
use std::collections::BTreeSet;
use std::path::PathBuf;

use rapport_interchange::{Existing, plan, to_google_csv, to_ics, to_vcards};
use rapport_model::{Customer, Due, Edit, FollowUp, FollowUpKind, ItemId};
use rapport_store::{OpenOptions, Store};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

fn import_people(store: &Store, people: &[rapport_interchange::Person]) {
    let ids = Existing::candidates(&store.summaries().unwrap(), people);
    let customers = ids.iter().map(|id| store.customer(*id).unwrap()).collect();
    let p = plan(people, Existing { customers }, chrono::Utc::now());
    store.write_batch(p.creates, p.merges).unwrap();
}

fn all(store: &Store) -> Vec<Customer> {
    store
        .ids()
        .unwrap()
        .into_iter()
        .map(|id| store.customer(id).unwrap())
        .collect()
}

/// What a round trip must keep: each customer's name and kind, its contacts with their
/// emails and phones, its own emails and phones.
fn shape(customers: &[Customer]) -> BTreeSet<String> {
    customers
        .iter()
        .map(|c| {
            let contacts: BTreeSet<String> = c
                .contacts
                .values()
                .map(|k| format!("{}|{}|{:?}|{:?}", k.name, k.title, k.emails, k.phones))
                .collect();
            format!(
                "{}|{}|{:?}|{:?}|{contacts:?}",
                c.name, c.kind, c.emails, c.phones
            )
        })
        .collect()
}

fn sample() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    for f in ["google-contacts.csv", "outlook-contacts.csv"] {
        let (_, people, _) = read_csv(&fixture(f)).unwrap();
        import_people(&store, &people);
    }
    for f in ["contacts-v3.vcf", "contacts-v4.vcf"] {
        let (people, _) = read_vcf(&fixture(f)).unwrap();
        import_people(&store, &people);
    }
    (dir, store)
}

#[test]
fn vcard_exports_parse_independently_and_round_trip() {
    let (_d, store) = sample();
    let customers = all(&store);
    let cards_expected: usize = customers.iter().map(|c| 1 + c.contacts.len()).sum();
    for v4 in [false, true] {
        let text = to_vcards(&customers, v4);
        let cards: Vec<_> = ical::VcardParser::new(std::io::BufReader::new(text.as_bytes()))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(cards.len(), cards_expected, "v4={v4}");
        let fns: BTreeSet<String> = cards
            .iter()
            .flat_map(|c| c.properties.iter())
            .filter(|p| p.name == "FN")
            .filter_map(|p| p.value.clone())
            .collect();
        for name in [
            "张伟",
            "Jürgen Müller",
            "Aiko Tanaka",
            "Maria José García",
            "上海贸易公司",
            "山田花子",
            "Lucía Fernández Ruiz",
            "佐藤健",
            "王芳",
            "Björn Weißmann",
        ] {
            assert!(fns.contains(name), "v4={v4}: {name} in {fns:?}");
        }
        // Back into an empty store: the same customers and contacts.
        let dir = tempfile::tempdir().unwrap();
        let fresh = Store::open(dir.path(), OpenOptions::default()).unwrap();
        let (people, bad) = read_vcf(text.as_bytes()).unwrap();
        assert!(bad.is_empty(), "{bad:?}");
        import_people(&fresh, &people);
        assert_eq!(shape(&all(&fresh)), shape(&customers), "v4={v4}");
    }
}

#[test]
fn csv_export_round_trips() {
    let (_d, store) = sample();
    let customers = all(&store);
    let text = to_google_csv(&customers).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let fresh = Store::open(dir.path(), OpenOptions::default()).unwrap();
    let (_, people, bad) = read_csv(text.as_bytes()).unwrap();
    assert!(bad.is_empty(), "{bad:?}");
    import_people(&fresh, &people);
    assert_eq!(shape(&all(&fresh)), shape(&customers));
}

#[test]
fn ics_export_parses_with_stable_uids_and_sequence_bumped_on_change() {
    let (_d, store) = sample();
    let id = store.resolve("华创商务有限公司").unwrap();
    let fu = |due: &str, subject: &str| FollowUp {
        due: Due::parse(due, "due").unwrap(),
        kind: FollowUpKind::Visit,
        subject: subject.into(),
        assignee: String::new(),
        done_at: None,
        outcome: String::new(),
    };
    let done = ItemId::new();
    store
        .edit(
            id,
            &[
                Edit::PutFollowUp(ItemId::new(), fu("2026-12-01T10:00", "Visit the plant")),
                Edit::PutFollowUp(ItemId::new(), fu("2026-12-03", "Call about samples")),
                Edit::PutFollowUp(done, fu("2026-11-01", "Already done")),
            ],
        )
        .unwrap();
    store
        .edit(
            id,
            &[Edit::CompleteFollowUp {
                id: done,
                at: chrono::Utc::now(),
                outcome: "ok".into(),
            }],
        )
        .unwrap();
    let parse = |text: &str| {
        let mut cals: Vec<_> = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
            .collect::<Result<_, _>>()
            .unwrap();
        assert_eq!(cals.len(), 1);
        cals.remove(0)
    };
    let prop = |props: &[ical::property::Property], name: &str| {
        props
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let first = parse(&to_ics(&all(&store)));
    assert_eq!(first.todos.len(), 2, "open follow-ups only");
    assert_eq!(first.events.len(), 2);
    assert!(
        first.events.iter().all(|e| e.alarms.len() == 1),
        "each event reminds"
    );
    let summaries: BTreeSet<String> = first
        .events
        .iter()
        .map(|e| prop(&e.properties, "SUMMARY"))
        .collect();
    assert!(
        summaries.contains("华创商务有限公司: Visit the plant"),
        "{summaries:?}"
    );
    let uids = |c: &ical::parser::ical::component::IcalCalendar| -> Vec<String> {
        let mut v: Vec<String> = c
            .events
            .iter()
            .map(|e| prop(&e.properties, "UID"))
            .chain(c.todos.iter().map(|t| prop(&t.properties, "UID")))
            .collect();
        v.sort();
        v
    };
    let seq = |c: &ical::parser::ical::component::IcalCalendar| -> u64 {
        prop(&c.events[0].properties, "SEQUENCE").parse().unwrap()
    };
    let again = parse(&to_ics(&all(&store)));
    assert_eq!(uids(&first), uids(&again), "UIDs are stable");
    assert_eq!(seq(&first), seq(&again), "nothing changed, same sequence");
    // A minute later the customer changes: the same UIDs, a higher SEQUENCE.
    let mut later = all(&store);
    for c in &mut later {
        if c.id == id {
            c.updated_at += chrono::Duration::minutes(5);
        }
    }
    let changed = parse(&to_ics(&later));
    assert_eq!(uids(&first), uids(&changed));
    assert!(seq(&changed) > seq(&first));
}

/// A company customer last changed at `updated` (RFC 3339) with the given follow-ups.
fn with_followups(name: &str, updated: &str, followups: &[(&str, &str, bool)]) -> Customer {
    let at = chrono::DateTime::parse_from_rfc3339(updated)
        .unwrap()
        .to_utc();
    let mut c = Customer::new(
        rapport_model::CustomerId::new(),
        name,
        rapport_model::CustomerKind::Company,
        at,
    );
    for (due, subject, done) in followups {
        c.followups.insert(
            ItemId::new(),
            FollowUp {
                due: Due::parse(due, "due").unwrap(),
                kind: FollowUpKind::Visit,
                subject: (*subject).into(),
                assignee: String::new(),
                done_at: done.then_some(at),
                outcome: String::new(),
            },
        );
    }
    c.updated_at = at;
    c
}

#[test]
fn ics_export_times_reminders_and_sequence_are_exact() {
    let active = with_followups(
        "Lima Imports",
        "2024-01-01T02:05:00Z",
        &[
            ("2026-12-01T10:00", "Visit the plant", false),
            ("2026-12-03", "", false),
            ("2026-11-01", "Already done", true),
        ],
    );
    let mut archived = with_followups(
        "Archived Co",
        "2025-01-01T00:00:00Z",
        &[("2026-12-02", "a", false)],
    );
    archived.archived = true;
    let mut deleted = with_followups(
        "Deleted Co",
        "2025-01-01T00:00:00Z",
        &[("2026-12-02", "d", false)],
    );
    deleted.deleted_at = Some(deleted.updated_at);
    let text = to_ics(&[active, archived, deleted]);
    let cal = ical::IcalParser::new(std::io::BufReader::new(text.as_bytes()))
        .next()
        .unwrap()
        .unwrap();
    let prop = |props: &[ical::property::Property], name: &str| -> String {
        props
            .iter()
            .find(|p| p.name == name)
            .and_then(|p| p.value.clone())
            .unwrap_or_default()
    };
    let mut events: Vec<(String, String, String, String, String)> = cal
        .events
        .iter()
        .map(|e| {
            (
                prop(&e.properties, "SUMMARY"),
                prop(&e.properties, "DTSTART"),
                prop(&e.properties, "DTEND"),
                prop(&e.properties, "SEQUENCE"),
                prop(&e.properties, "DESCRIPTION"),
            )
        })
        .collect();
    events.sort();
    let about = "visit with Lima Imports (Rapport follow-up)".to_string();
    // SEQUENCE: minutes from 2024-01-01 to the customer's last change (2 h 5 min). A timed
    // follow-up is a half-hour event; a date-only one is an all-day event on its date (the
    // icalendar crate writes its DTEND as the same date).
    assert_eq!(
        events,
        [
            (
                "Lima Imports: Visit the plant".to_string(),
                "20261201T100000".to_string(),
                "20261201T103000".to_string(),
                "125".to_string(),
                about.clone(),
            ),
            (
                "visit Lima Imports".to_string(),
                "20261203".to_string(),
                "20261203".to_string(),
                "125".to_string(),
                about,
            ),
        ],
        "only the active customer's open follow-ups"
    );
    let mut dues: Vec<String> = cal
        .todos
        .iter()
        .map(|t| prop(&t.properties, "DUE"))
        .collect();
    dues.sort();
    assert_eq!(dues, ["20261201T100000", "20261203"]);
    for e in &cal.events {
        assert_eq!(e.alarms.len(), 1);
        assert_eq!(
            prop(&e.alarms[0].properties, "TRIGGER"),
            "-PT900S",
            "the reminder is 15 minutes before, not after"
        );
    }
    // A customer last changed before 2024 still exports, with SEQUENCE 0.
    let old = with_followups(
        "Old Co",
        "2023-06-01T00:00:00Z",
        &[("2026-12-02", "x", false)],
    );
    let text = to_ics(&[old]);
    assert!(text.lines().any(|l| l.trim_end() == "SEQUENCE:0"), "{text}");
}
