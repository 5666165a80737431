//! A paired device that goes bad (a wiped laptop, a confused script, a malicious insider)
//! deletes every customer and overwrites the fields of every one, then syncs. Nothing is lost:
//! deletes are tombstones, each customer's history keeps the values it had and who set them,
//! and restoring (the app's "Restore" buttons: `Edit::Restore` and the history's earlier
//! values) brings every customer back exactly, on every device.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use chrono::NaiveDate;
use rapport_model::{Customer, CustomerId, Edit};
use rapport_store::{ListQuery, Visibility};
use rapport_sync::sync_local;

use crate::common::device;

/// The fields the bad peer overwrites, as they were.
fn essentials(c: &Customer) -> (String, String, String, Vec<String>, Vec<String>, bool) {
    (
        c.name.clone(),
        c.notes.clone(),
        c.owner.clone(),
        c.phones.clone(),
        c.emails.clone(),
        c.deleted_at.is_some(),
    )
}

#[test]
fn a_peer_that_deletes_and_overwrites_everything_destroys_nothing() {
    let good = device("Office");
    let bad = device("Wiped laptop");
    good.store
        .create_many(rapport_demo::generate(
            40,
            11,
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        ))
        .unwrap();
    sync_local(&good.store, &bad.store).unwrap();
    let ids: Vec<CustomerId> = good.store.ids().unwrap();
    let original: Vec<Customer> = ids
        .iter()
        .map(|id| good.store.customer(*id).unwrap())
        .collect();

    // The bad peer overwrites the name, notes, owner and every phone and email, then deletes.
    for c in &original {
        let mut edits = vec![
            Edit::Name(format!("XXX {}", c.id)),
            Edit::Notes("gone".into()),
            Edit::Owner("nobody".into()),
        ];
        edits.extend(c.phones.iter().cloned().map(Edit::RemovePhone));
        edits.extend(c.emails.iter().cloned().map(Edit::RemoveEmail));
        bad.store.edit(c.id, &edits).unwrap();
        bad.store.edit(c.id, &[Edit::Delete]).unwrap();
    }
    sync_local(&bad.store, &good.store).unwrap();

    // The office now sees every customer deleted, but still holds every one as a tombstone.
    let active = good.store.list(&ListQuery::default()).unwrap();
    assert!(active.is_empty(), "the deletes arrived");
    let deleted = good
        .store
        .list(&ListQuery {
            visibility: Visibility::Deleted,
            ..ListQuery::default()
        })
        .unwrap();
    assert_eq!(
        deleted.len(),
        original.len(),
        "every customer is a tombstone"
    );
    assert_eq!(good.store.count().unwrap() as usize, original.len());

    // History names the bad device and keeps every earlier value.
    for c in &original {
        let history = good.store.history(c.id).unwrap();
        assert!(history.iter().any(|h| h.device == "Wiped laptop"));
        let earlier_names: Vec<&String> = history
            .iter()
            .filter_map(|h| h.values.get("name"))
            .collect();
        assert!(
            earlier_names.contains(&&c.name),
            "{}: {earlier_names:?}",
            c.name
        );
    }

    // Restore, as the app's buttons do: undelete, then each field's value from before the bad
    // device's change (the newest value in history not set by it).
    for c in &original {
        good.store.edit(c.id, &[Edit::Restore]).unwrap();
        let history = good.store.history(c.id).unwrap();
        let before_bad = |field: &str| {
            history
                .iter()
                .filter(|h| h.device != "Wiped laptop")
                .filter_map(|h| h.values.get(field).cloned())
                .next_back()
        };
        // A field with no earlier value in history was empty before.
        let mut edits = vec![
            Edit::Name(before_bad("name").expect("a name was always set")),
            Edit::Notes(before_bad("notes").unwrap_or_default()),
            Edit::Owner(before_bad("owner").unwrap_or_default()),
        ];
        // Lists (phones, emails) come back from the customer as it was before the change.
        edits.extend(c.phones.iter().cloned().map(Edit::AddPhone));
        edits.extend(c.emails.iter().cloned().map(Edit::AddEmail));
        good.store.edit(c.id, &edits).unwrap();
    }
    for c in &original {
        let now = good.store.customer(c.id).unwrap();
        assert_eq!(essentials(&now), essentials(c), "{} restored", c.name);
        // Nothing else was touched by the bad peer and nothing else changed.
        assert_eq!(now.deals, c.deals);
        assert_eq!(now.contacts, c.contacts);
        assert_eq!(now.followups, c.followups);
    }

    // The restore syncs back: the bad peer's copy is whole again too.
    sync_local(&good.store, &bad.store).unwrap();
    for c in &original {
        assert_eq!(
            essentials(&bad.store.customer(c.id).unwrap()),
            essentials(c)
        );
    }
    assert_eq!(
        good.store.summaries().unwrap(),
        bad.store.summaries().unwrap()
    );
}

#[test]
fn undoing_a_device_restores_everything_it_destroyed_in_one_step() {
    let good = device("Office");
    let other = device("Li Na's laptop");
    let bad = device("Wiped laptop");
    good.store
        .create_many(rapport_demo::generate(
            30,
            12,
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        ))
        .unwrap();
    sync_local(&good.store, &bad.store).unwrap();
    sync_local(&good.store, &other.store).unwrap();
    let ids = good.store.ids().unwrap();
    let original: Vec<Customer> = ids
        .iter()
        .map(|id| good.store.customer(*id).unwrap())
        .collect();

    // The bad device overwrites and deletes everything, and adds junk.
    for c in &original {
        bad.store
            .edit(
                c.id,
                &[
                    Edit::Name(format!("XXX {}", c.id)),
                    Edit::Notes("gone".into()),
                ],
            )
            .unwrap();
        for d in c.deals.keys() {
            bad.store.edit(c.id, &[Edit::RemoveDeal(*d)]).unwrap();
        }
        bad.store.edit(c.id, &[Edit::Delete]).unwrap();
    }
    let junk = bad
        .store
        .create_many(
            (0..5)
                .map(|i| {
                    rapport_model::NewCustomer::new(
                        format!("Junk {i}"),
                        rapport_model::CustomerKind::Company,
                    )
                })
                .collect(),
        )
        .unwrap();
    sync_local(&bad.store, &good.store).unwrap();
    sync_local(&bad.store, &other.store).unwrap();
    // Meanwhile Li Na, who saw the damage, already fixed one name by hand.
    let fixed = original[0].id;
    other.store.edit(fixed, &[Edit::Restore]).unwrap();
    other
        .store
        .edit(fixed, &[Edit::Name("Fixed by Li Na".into())])
        .unwrap();
    sync_local(&other.store, &good.store).unwrap();

    // A dry run says what it would do and writes nothing.
    let before = good.store.summaries().unwrap();
    let dry = good.store.undo_device("Wiped laptop", None, true).unwrap();
    assert_eq!(
        good.store.summaries().unwrap(),
        before,
        "a dry run writes nothing"
    );
    assert_eq!(dry.customers, original.len() + junk.len());
    assert_eq!(dry.deleted, junk.len());
    // Undoing one's own device is refused.
    assert!(good.store.undo_device("Office", None, false).is_err());

    let report = good.store.undo_device("Wiped laptop", None, false).unwrap();
    assert_eq!(report, dry, "the run does what the dry run said");
    assert!(report.kept >= 1, "Li Na's fix is kept: {report:?}");
    for c in &original {
        let now = good.store.customer(c.id).unwrap();
        assert!(now.deleted_at.is_none(), "{} is back", c.name);
        assert_eq!(now.notes, c.notes);
        assert_eq!(now.deals, c.deals, "{}: deals are back", c.name);
        assert_eq!(now.contacts, c.contacts);
        assert_eq!(now.followups, c.followups);
        if c.id == fixed {
            assert_eq!(
                now.name, "Fixed by Li Na",
                "a later fix by a person is kept"
            );
        } else {
            assert_eq!(now.name, c.name);
        }
    }
    for id in &junk {
        assert!(
            good.store.customer(*id).unwrap().deleted_at.is_some(),
            "junk is a tombstone"
        );
    }
    // The undo is an ordinary change: it reaches every device, the bad one too.
    sync_local(&good.store, &other.store).unwrap();
    sync_local(&good.store, &bad.store).unwrap();
    assert_eq!(
        good.store.summaries().unwrap(),
        other.store.summaries().unwrap()
    );
    assert_eq!(
        good.store.summaries().unwrap(),
        bad.store.summaries().unwrap()
    );
    let mut g = good.store;
    assert!(g.verify().unwrap().is_empty());
    eprintln!("undo: {report:?}");
}
