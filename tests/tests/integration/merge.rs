//! Two devices editing the same customers offline, then exchanging documents: what merges and
//! how (the rules documented in `rapport_store::doc`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use chrono::NaiveDate;
use rapport_model::{
    Contact, Currency, Customer, CustomerKind, CustomerSummary, Deal, DealStatus, Due, Edit,
    FollowUp, FollowUpKind, Importance, Interaction, InteractionKind, ItemId, LifecycleStage,
    Money, NewCustomer, Urgency, timestamp_from_millis,
};
use rapport_store::{ListQuery, OpenOptions, Store, Visibility};

use crate::common::device;

/// Sends every document of `from` to `to` (what sync will do, minus the network).
fn push(from: &Store, to: &Store) {
    for id in from.ids().unwrap() {
        let bytes = from.document(id).unwrap().save();
        to.apply_remote(id, &bytes).unwrap();
    }
}

fn exchange(a: &Store, b: &Store) {
    push(a, b);
    push(b, a);
}

fn followup(subject: &str, due: &str) -> FollowUp {
    FollowUp {
        due: Due::parse(due, "due").unwrap(),
        kind: FollowUpKind::Call,
        subject: subject.into(),
        assignee: String::new(),
        done_at: None,
        outcome: String::new(),
    }
}

fn every_field() -> NewCustomer {
    let cny = Currency::parse("CNY", "currency").unwrap();
    let mut n = NewCustomer::new("華創商務有限公司", CustomerKind::Company);
    n.edits = vec![
        Edit::Company("華創集团".into()),
        Edit::Industry("electronics".into()),
        Edit::Address("深圳市南山区科技园 1 号\n518000".into()),
        Edit::AddEmail("info@huachuang.cn".into()),
        Edit::AddPhone("+86 755 8888 0000".into()),
        Edit::AddTag("VIP".into()),
        Edit::AddTag("华南".into()),
        Edit::Owner("李娜".into()),
        Edit::Source("Canton Fair".into()),
        Edit::Notes("每季度初下单。\nPrefers WeChat.".into()),
        Edit::Stage(Some(LifecycleStage::Stability)),
        Edit::Importance(Importance::Important),
        Edit::Urgency(Urgency::Soon),
        Edit::PutContact(
            ItemId::new(),
            Contact {
                name: "张伟".into(),
                title: "采购经理".into(),
                phones: vec!["+86 138 0013 8000".into()],
                emails: vec!["zhang.wei@huachuang.cn".into()],
                handles: vec!["wechat:zhangwei88".into()],
                birthday: NaiveDate::from_ymd_opt(1985, 4, 12),
                notes: "Decides on orders over 50k.".into(),
            },
        ),
        Edit::PutFollowUp(ItemId::new(), followup("回访", "2026-12-01 09:30")),
        Edit::LogInteraction(
            ItemId::new(),
            Interaction {
                at: timestamp_from_millis(1_780_000_000_000),
                kind: InteractionKind::Visit,
                summary: "Plant visit".into(),
                outcome: "Wants a quote".into(),
                by: "李娜".into(),
            },
        ),
        Edit::PutDeal(
            ItemId::new(),
            Deal {
                title: "年度框架合同".into(),
                amount: Money::parse("128000.50", cny, "amount").unwrap(),
                status: DealStatus::Won,
                date: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
                probability: 100,
            },
        ),
    ];
    n
}

#[test]
fn every_field_round_trips_through_reopen_and_a_peer() {
    let dir = tempfile::tempdir().unwrap();
    let n = every_field();
    let id = n.id;
    let (before, summary) = {
        let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
        store.create(n.clone()).unwrap();
        let referrer = store
            .create(NewCustomer::new("Referrer", CustomerKind::Person))
            .unwrap();
        store.edit(id, &[Edit::ReferredBy(Some(referrer))]).unwrap();
        (store.customer(id).unwrap(), store.summary(id).unwrap())
    };
    // Every edit landed.
    assert_eq!(before.company, "華創集团");
    assert_eq!(before.tags.iter().collect::<Vec<_>>(), vec!["vip", "华南"]);
    assert_eq!(
        before.contacts.values().next().unwrap().handles,
        vec!["wechat:zhangwei88"]
    );
    assert_eq!(
        before.deals.values().next().unwrap().amount.minor,
        12_800_050
    );
    assert!(before.referred_by.is_some());
    assert_eq!(before.stage, Some(LifecycleStage::Stability));

    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    assert_eq!(store.customer(id).unwrap(), before);
    assert_eq!(store.summary(id).unwrap(), summary);

    let peer = device("peer");
    push(&store, &peer.store);
    assert_eq!(peer.store.customer(id).unwrap(), before);
    assert_eq!(peer.store.summary(id).unwrap(), summary);
}

#[test]
fn concurrent_offline_edits_merge() {
    let a = device("A");
    let b = device("B");
    let mut n = NewCustomer::new("Acme", CustomerKind::Company);
    n.edits = vec![Edit::Notes("Met at fair.".into())];
    let id = a.store.create(n).unwrap();
    push(&a.store, &b.store);

    // Offline on both laptops.
    a.store
        .edit(
            id,
            &[
                Edit::Name("Acme GmbH".into()),
                Edit::Notes("[A] Met at fair.".into()),
                Edit::AddTag("dach".into()),
                Edit::PutFollowUp(ItemId::new(), followup("Call from A", "2026-12-01")),
            ],
        )
        .unwrap();
    b.store
        .edit(
            id,
            &[
                Edit::Name("ACME Corp".into()),
                Edit::Industry("machinery".into()),
                Edit::Notes("Met at fair. Budget in Q1 [B]".into()),
                Edit::PutFollowUp(ItemId::new(), followup("Visit from B", "2026-12-02")),
            ],
        )
        .unwrap();

    exchange(&a.store, &b.store);
    let ca = a.store.customer(id).unwrap();
    let cb = b.store.customer(id).unwrap();
    assert_eq!(ca, cb, "both devices show the same customer");
    assert_eq!(
        a.store.summary(id).unwrap(),
        b.store.summary(id).unwrap(),
        "and the same summary"
    );
    // Different fields: both kept.
    assert_eq!(ca.industry, "machinery");
    assert!(ca.tags.contains("dach"));
    // Notes: both insertions, merged character by character.
    assert_eq!(ca.notes, "[A] Met at fair. Budget in Q1 [B]");
    // Items added concurrently: both kept.
    let subjects: Vec<&str> = ca.followups.values().map(|f| f.subject.as_str()).collect();
    assert_eq!(subjects.len(), 2);
    assert!(subjects.contains(&"Call from A") && subjects.contains(&"Visit from B"));
    // Same field: one winner everywhere, the other value visible as a conflict.
    assert!(ca.name == "Acme GmbH" || ca.name == "ACME Corp");
    let conflicts = a.store.conflicts(id).unwrap();
    let names = conflicts.get("name").expect("name conflict is visible");
    assert_eq!(names[0], ca.name, "the shown value comes first");
    assert!(names.contains(&"Acme GmbH".to_string()) && names.contains(&"ACME Corp".to_string()));
    assert_eq!(conflicts, b.store.conflicts(id).unwrap());
    // History shows both devices' changes.
    let devices: Vec<String> = a
        .store
        .history(id)
        .unwrap()
        .into_iter()
        .map(|h| h.device)
        .collect();
    assert!(devices.contains(&"A".to_string()) && devices.contains(&"B".to_string()));
    // A later edit on either side resolves the conflict.
    b.store.edit(id, &[Edit::Name("Acme GmbH".into())]).unwrap();
    exchange(&a.store, &b.store);
    assert!(!a.store.conflicts(id).unwrap().contains_key("name"));
}

#[test]
fn delete_beats_concurrent_edits_and_never_resurrects() {
    let a = device("A");
    let b = device("B");
    let id = a
        .store
        .create(NewCustomer::new("Doomed Ltd", CustomerKind::Company))
        .unwrap();
    push(&a.store, &b.store);
    let stale = b.store.document(id).unwrap().save();

    a.store.edit(id, &[Edit::Delete]).unwrap();
    b.store
        .edit(id, &[Edit::Industry("retail".into())])
        .unwrap();
    exchange(&a.store, &b.store);
    for s in [&a.store, &b.store] {
        let c = s.customer(id).unwrap();
        assert!(c.is_deleted(), "delete wins over a concurrent edit");
        assert_eq!(
            c.industry, "retail",
            "the edit is kept inside the tombstone"
        );
        assert!(s.list(&ListQuery::default()).unwrap().is_empty());
        assert_eq!(
            s.list(&ListQuery {
                visibility: Visibility::Deleted,
                ..Default::default()
            })
            .unwrap()
            .len(),
            1
        );
    }
    // A device that still has the old copy cannot bring it back.
    let c = device("C");
    c.store.apply_remote(id, &stale).unwrap();
    assert!(!c.store.customer(id).unwrap().is_deleted());
    exchange(&a.store, &c.store);
    assert!(c.store.customer(id).unwrap().is_deleted());
    assert!(a.store.customer(id).unwrap().is_deleted());
    a.store.apply_remote(id, &stale).unwrap();
    assert!(a.store.customer(id).unwrap().is_deleted());

    // Restore is an explicit later decision, and it syncs.
    b.store.edit(id, &[Edit::Restore]).unwrap();
    exchange(&a.store, &b.store);
    assert!(!a.store.customer(id).unwrap().is_deleted());
}

#[test]
fn a_delete_concurrent_with_a_restore_survives() {
    let a = device("A");
    let b = device("B");
    let id = a
        .store
        .create(NewCustomer::new("Flip-flop", CustomerKind::Company))
        .unwrap();
    push(&a.store, &b.store);
    // Offline: A deletes; B deletes and then changes its mind.
    a.store.edit(id, &[Edit::Delete]).unwrap();
    b.store.edit(id, &[Edit::Delete]).unwrap();
    b.store.edit(id, &[Edit::Restore]).unwrap();
    exchange(&a.store, &b.store);
    assert!(a.store.customer(id).unwrap().is_deleted());
    assert!(b.store.customer(id).unwrap().is_deleted());
}

#[test]
fn replicas_that_exchanged_everything_hold_identical_summaries() {
    let a = device("A");
    let b = device("B");
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let people = rapport_demo::generate(200, 9, today);
    let (first, second) = people.split_at(120);
    a.store.create_many(first.to_vec()).unwrap();
    b.store.create_many(second.to_vec()).unwrap();
    push(&a.store, &b.store);
    // Edits on both sides to some shared customers.
    for (i, n) in first.iter().take(30).enumerate() {
        let e = Edit::AddTag(format!("batch-{}", i % 3));
        if i % 2 == 0 {
            a.store.edit(n.id, &[e]).unwrap();
        } else {
            b.store.edit(n.id, &[e, Edit::Archive(true)]).unwrap();
        }
    }
    exchange(&a.store, &b.store);
    let sa: Vec<CustomerSummary> = a.store.summaries().unwrap();
    let sb: Vec<CustomerSummary> = b.store.summaries().unwrap();
    assert_eq!(sa.len(), 200);
    assert_eq!(sa, sb);
    let ca: Vec<Customer> = a
        .store
        .ids()
        .unwrap()
        .into_iter()
        .map(|id| a.store.customer(id).unwrap())
        .collect();
    let cb: Vec<Customer> = b
        .store
        .ids()
        .unwrap()
        .into_iter()
        .map(|id| b.store.customer(id).unwrap())
        .collect();
    assert_eq!(ca, cb);
    let mut ha = a.store.heads().unwrap();
    let mut hb = b.store.heads().unwrap();
    ha.sort();
    hb.sort();
    assert_eq!(ha, hb);
}

#[test]
fn replicas_that_synced_compute_identical_values() {
    let a = device("A");
    let b = device("B");
    let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
    let people = rapport_demo::generate(400, 3, today);
    let (first, second) = people.split_at(250);
    a.store.create_many(first.to_vec()).unwrap();
    b.store.create_many(second.to_vec()).unwrap();
    // Team settings set on different devices, synced like any document.
    a.store.set_setting("rate.EUR", Some("7.85")).unwrap();
    b.store.set_setting("rate.USD", Some("7.1")).unwrap();
    b.store.set_setting("tier.vip_percent", Some("2")).unwrap();
    push(&a.store, &b.store);
    b.store
        .edit(
            first[0].id,
            &[Edit::TierOverride(Some(rapport_model::TierOverride {
                tier: rapport_model::Tier::Vip,
                reason: "strategic".into(),
            }))],
        )
        .unwrap();
    exchange(&a.store, &b.store);
    a.store
        .apply_remote_shared(
            rapport_store::Shared::Settings,
            &b.store
                .shared_document(rapport_store::Shared::Settings)
                .unwrap()
                .save(),
        )
        .unwrap();
    b.store
        .apply_remote_shared(
            rapport_store::Shared::Settings,
            &a.store
                .shared_document(rapport_store::Shared::Settings)
                .unwrap()
                .save(),
        )
        .unwrap();

    let analyse = |s: &Store| {
        let settings = rapport_value::ValueSettings::from_map(&s.settings().unwrap()).unwrap();
        rapport_value::analyse(&s.summaries().unwrap(), &settings, today)
    };
    let va = analyse(&a.store);
    let vb = analyse(&b.store);
    assert_eq!(va, vb);
    assert_eq!(va.settings.vip_percent, 2);
    assert_eq!(va.left_out().count(), 0, "both rates arrived");
    let overridden = va.get(first[0].id).unwrap();
    assert_eq!(overridden.effective_tier, Some(rapport_model::Tier::Vip));
    assert_eq!(va.ranked, 400);
}

/// Custom field values merge per field: two laptops setting different fields of one
/// customer (a document from before any custom field) offline both keep theirs; the same field
/// set on both gets one winner everywhere and the other value stays visible as a conflict.
#[test]
fn custom_fields_merge_per_field_and_show_their_conflicts() {
    let a = device("A");
    let b = device("B");
    let id = a
        .store
        .create(NewCustomer::new("Acme", CustomerKind::Company))
        .unwrap();
    push(&a.store, &b.store);
    a.store
        .edit(
            id,
            &[
                Edit::SetField("expiry".into(), Some("2027-03-31".into())),
                Edit::SetField("model".into(), Some("X-200".into())),
                Edit::Website("acme.example".into()),
            ],
        )
        .unwrap();
    b.store
        .edit(
            id,
            &[
                Edit::SetField("territory".into(), Some("North".into())),
                Edit::SetField("model".into(), Some("X-300".into())),
            ],
        )
        .unwrap();
    exchange(&a.store, &b.store);
    let (ca, cb) = (a.store.customer(id).unwrap(), b.store.customer(id).unwrap());
    assert_eq!(ca, cb, "both replicas read the same customer");
    assert_eq!(ca.fields["expiry"], "2027-03-31");
    assert_eq!(ca.fields["territory"], "North");
    assert_eq!(ca.website, "acme.example");
    let conflicts = a.store.conflicts(id).unwrap();
    let mut model = conflicts["field.model"].clone();
    assert_eq!(model[0], ca.fields["model"], "the winner is listed first");
    model.sort();
    assert_eq!(model, ["X-200", "X-300"]);
    assert_eq!(conflicts, b.store.conflicts(id).unwrap());
    // Setting the field again resolves the conflict; clearing one removes it everywhere.
    a.store
        .edit(id, &[Edit::SetField("model".into(), Some("X-300".into()))])
        .unwrap();
    b.store
        .edit(id, &[Edit::SetField("expiry".into(), None)])
        .unwrap();
    exchange(&a.store, &b.store);
    let c = a.store.customer(id).unwrap();
    assert!(!a.store.conflicts(id).unwrap().contains_key("field.model"));
    assert_eq!(c.fields.get("model").map(String::as_str), Some("X-300"));
    assert!(!c.fields.contains_key("expiry"));
    assert_eq!(c, b.store.customer(id).unwrap());
}
