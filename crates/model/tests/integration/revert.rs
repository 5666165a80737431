//! `edits_between`: exactly the edits that turn one version of a customer into another, for the
//! fields asked for, and nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rapport_model::{
    Contact, Currency, Customer, CustomerId, CustomerKind, Deal, DealStatus, Due, Edit, FIELDS,
    FollowUp, FollowUpKind, Importance, Interaction, InteractionKind, ItemId, LifecycleStage,
    Money, Tier, TierOverride, Timestamp, Urgency, edits_between, timestamp_from_millis,
};

fn now() -> Timestamp {
    timestamp_from_millis(1_790_000_000_000)
}

fn all() -> BTreeSet<&'static str> {
    FIELDS.iter().copied().collect()
}

fn only(fields: &[&'static str]) -> BTreeSet<&'static str> {
    fields.iter().copied().collect()
}

fn contact(name: &str) -> Contact {
    Contact {
        name: name.into(),
        ..Contact::default()
    }
}

fn followup(subject: &str) -> FollowUp {
    FollowUp {
        due: Due::parse("2026-12-01", "due").unwrap(),
        kind: FollowUpKind::Call,
        subject: subject.into(),
        assignee: String::new(),
        done_at: None,
        outcome: String::new(),
    }
}

fn deal(minor: i64) -> Deal {
    Deal {
        title: "order".into(),
        amount: Money {
            minor,
            currency: Currency::parse("CNY", "currency").unwrap(),
        },
        status: DealStatus::Won,
        date: NaiveDate::from_ymd_opt(2026, 10, 1).unwrap(),
        probability: 100,
    }
}

fn interaction(summary: &str) -> Interaction {
    Interaction {
        at: now(),
        kind: InteractionKind::Call,
        summary: summary.into(),
        outcome: String::new(),
        by: String::new(),
    }
}

fn id(n: u128) -> ItemId {
    ItemId::from_u128(n)
}

/// A customer with something in every field and one item in every collection.
fn before() -> Customer {
    let mut c = Customer::new(
        CustomerId::from_u128(1),
        "Acme",
        CustomerKind::Company,
        now(),
    );
    c.company = "Acme Group".into();
    c.industry = "optics".into();
    c.address = "1 Main St".into();
    c.website = "acme.com".into();
    c.fields.insert("expiry".into(), "2027-03-31".into());
    c.fields.insert("gone".into(), "x".into());
    c.owner = "li na".into();
    c.source = "fair".into();
    c.notes = "old notes".into();
    c.tags = ["key account".to_string(), "optics".to_string()].into();
    c.emails = vec!["a@acme.com".into(), "b@acme.com".into()];
    c.phones = vec!["+86 10 1234".into(), "+86 10 5678".into()];
    c.contacts.insert(id(1), contact("Kept"));
    c.contacts.insert(id(2), contact("Changed"));
    c.contacts.insert(id(3), contact("Removed"));
    c.followups.insert(id(11), followup("kept"));
    c.followups.insert(id(12), followup("changed"));
    c.followups.insert(id(13), followup("removed"));
    c.deals.insert(id(21), deal(100));
    c.deals.insert(id(22), deal(200));
    c.deals.insert(id(23), deal(300));
    c.interactions.insert(id(31), interaction("kept"));
    c.interactions.insert(id(32), interaction("changed"));
    c.interactions
        .insert(id(33), interaction("not in the other"));
    c
}

/// `before()` with every field changed.
fn after() -> Customer {
    let mut c = before();
    c.name = "Acme Ltd".into();
    c.kind = CustomerKind::Person;
    c.company = "Acme Holding".into();
    c.industry = "lenses".into();
    c.address = "2 Main St".into();
    c.website = "https://acme.example/".into();
    c.fields.insert("expiry".into(), "2028-01-01".into());
    c.fields.remove("gone");
    c.fields.insert("model".into(), "X-200".into());
    c.owner = "wang fang".into();
    c.source = "web".into();
    c.notes = "new notes".into();
    c.stage = Some(LifecycleStage::Stability);
    c.importance = Importance::Important;
    c.urgency = Urgency::Soon;
    c.referred_by = Some(CustomerId::from_u128(9));
    c.tier_override = Some(TierOverride {
        tier: Tier::Vip,
        reason: "strategic".into(),
    });
    c.archived = true;
    c.tags = ["key account".to_string(), "lenses".to_string()].into();
    c.emails = vec!["a@acme.com".into(), "c@acme.com".into()];
    c.phones = vec!["+86 10 1234".into(), "+86 10 9999".into()];
    c.contacts.insert(id(2), contact("Changed, now"));
    c.contacts.remove(&id(3));
    c.contacts.insert(id(4), contact("Added"));
    c.followups.insert(id(12), followup("changed, now"));
    c.followups.remove(&id(13));
    c.followups.insert(id(14), followup("added"));
    c.deals.insert(id(22), deal(250));
    c.deals.remove(&id(23));
    c.deals.insert(id(24), deal(400));
    c.interactions.insert(id(32), interaction("changed, now"));
    c.interactions.remove(&id(33));
    c.interactions.insert(id(34), interaction("added"));
    c
}

#[test]
fn the_same_customer_needs_no_edit() {
    assert_eq!(edits_between(&before(), &before(), &all()), vec![]);
    let mut gone = before();
    gone.deleted_at = Some(now());
    assert_eq!(
        edits_between(&gone, &gone, &all()),
        vec![],
        "deleted on both sides: no restore, no delete"
    );
}

#[test]
fn every_field_changed_gives_exactly_these_edits() {
    let (from, to) = (before(), after());
    let edits = edits_between(&from, &to, &all());
    assert_eq!(
        edits,
        vec![
            Edit::Name("Acme Ltd".into()),
            Edit::Kind(CustomerKind::Person),
            Edit::Company("Acme Holding".into()),
            Edit::Industry("lenses".into()),
            Edit::Address("2 Main St".into()),
            Edit::Website("https://acme.example/".into()),
            Edit::SetField("gone".into(), None),
            Edit::SetField("expiry".into(), Some("2028-01-01".into())),
            Edit::SetField("model".into(), Some("X-200".into())),
            Edit::Owner("wang fang".into()),
            Edit::Source("web".into()),
            Edit::Notes("new notes".into()),
            Edit::Stage(Some(LifecycleStage::Stability)),
            Edit::Importance(Importance::Important),
            Edit::Urgency(Urgency::Soon),
            Edit::ReferredBy(Some(CustomerId::from_u128(9))),
            Edit::TierOverride(to.tier_override.clone()),
            Edit::Archive(true),
            Edit::RemoveTag("optics".into()),
            Edit::AddTag("lenses".into()),
            Edit::RemoveEmail("b@acme.com".into()),
            Edit::AddEmail("c@acme.com".into()),
            Edit::RemovePhone("+86 10 5678".into()),
            Edit::AddPhone("+86 10 9999".into()),
            Edit::RemoveContact(id(3)),
            Edit::PutContact(id(2), contact("Changed, now")),
            Edit::PutContact(id(4), contact("Added")),
            Edit::RemoveFollowUp(id(13)),
            Edit::PutFollowUp(id(12), followup("changed, now")),
            Edit::PutFollowUp(id(14), followup("added")),
            Edit::RemoveDeal(id(23)),
            Edit::PutDeal(id(22), deal(250)),
            Edit::PutDeal(id(24), deal(400)),
            Edit::LogInteraction(id(32), interaction("changed, now")),
            Edit::LogInteraction(id(34), interaction("added")),
        ]
    );
    // Applied, they make `from` equal to `to`, except for the interaction `to` lacks: the
    // log is append-only.
    let mut c = from.clone();
    for e in &edits {
        e.validate(Some(&c)).unwrap();
        e.apply(&mut c, now());
    }
    let mut expected = to.clone();
    expected
        .interactions
        .insert(id(33), interaction("not in the other"));
    assert_eq!(c, expected);
}

#[test]
fn only_the_fields_asked_for_are_reverted() {
    let (from, to) = (before(), after());
    for &field in FIELDS {
        let edits = edits_between(&from, &to, &only(&[field]));
        if field == "deleted" {
            assert!(edits.is_empty(), "neither side is deleted");
        } else {
            assert!(!edits.is_empty(), "{field}");
        }
        for e in &edits {
            assert_eq!(e.label(), field, "{e:?}");
        }
    }
    assert_eq!(
        edits_between(&from, &to, &only(&["notes", "owner"])),
        vec![
            Edit::Owner("wang fang".into()),
            Edit::Notes("new notes".into())
        ]
    );
    assert!(edits_between(&from, &to, &BTreeSet::new()).is_empty());
}

#[test]
fn restore_comes_first_and_delete_last() {
    let mut gone = before();
    gone.deleted_at = Some(now());
    let mut renamed = before();
    renamed.name = "Acme Ltd".into();
    assert_eq!(
        edits_between(&gone, &renamed, &all()),
        vec![Edit::Restore, Edit::Name("Acme Ltd".into())]
    );
    renamed.deleted_at = Some(now());
    assert_eq!(
        edits_between(&before(), &renamed, &all()),
        vec![Edit::Name("Acme Ltd".into()), Edit::Delete]
    );
    assert_eq!(
        edits_between(&before(), &renamed, &only(&["name"])),
        vec![Edit::Name("Acme Ltd".into())],
        "the deletion is only reverted when asked for"
    );
    assert!(edits_between(&gone, &before(), &only(&["name"])).is_empty());
}
