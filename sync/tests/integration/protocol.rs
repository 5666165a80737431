//! The reconciliation protocol between real stores, in one process.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use chrono::NaiveDate;
use proptest::prelude::*;
use rapport_model::{CustomerKind, Edit, NewCustomer};
use rapport_store::Store;
use rapport_sync::protocol::{Children, Frame, Initiator, Items, Prefix};
use rapport_sync::{Replica, SyncError, sync_local};

use crate::common::device;

fn demo(n: usize, seed: u64) -> Vec<NewCustomer> {
    rapport_demo::generate(n, seed, NaiveDate::from_ymd_opt(2026, 11, 22).unwrap())
}

fn same(a: &Store, b: &Store) {
    let mut ha = a.heads().unwrap();
    let mut hb = b.heads().unwrap();
    ha.iter_mut().for_each(|(_, h)| h.sort());
    hb.iter_mut().for_each(|(_, h)| h.sort());
    assert_eq!(ha, hb, "same documents at the same heads");
    assert_eq!(
        a.summaries().unwrap(),
        b.summaries().unwrap(),
        "same summaries"
    );
}

#[test]
fn initial_sync_then_nothing_to_do() {
    let a = device("A");
    let b = device("B");
    a.store.create_many(demo(300, 1)).unwrap();
    let t = sync_local(&a.store, &b.store).unwrap();
    assert_eq!(t.initiator.docs_sent, 300);
    assert_eq!(t.responder.docs_changed, 300);
    same(&a.store, &b.store);
    let id = a.store.ids().unwrap()[7];
    assert_eq!(a.store.customer(id).unwrap(), b.store.customer(id).unwrap());

    // Nothing changed: one round trip, a few dozen bytes, no documents.
    for (x, y) in [(&a.store, &b.store), (&b.store, &a.store)] {
        let t = sync_local(x, y).unwrap();
        assert_eq!(t.initiator.rounds, 1);
        assert_eq!(t.initiator.docs_sent + t.responder.docs_sent, 0);
        assert!(t.bytes_sent + t.bytes_received < 400, "{t:?}");
    }
}

#[test]
fn a_fresh_initiator_pulls_everything() {
    let a = device("A");
    let b = device("B");
    b.store.create_many(demo(120, 2)).unwrap();
    let t = sync_local(&a.store, &b.store).unwrap();
    assert_eq!(t.responder.docs_sent, 120);
    same(&a.store, &b.store);
}

#[test]
fn concurrent_edits_and_disjoint_sets_converge_in_one_session() {
    let a = device("A");
    let b = device("B");
    let shared = demo(1000, 3);
    a.store.create_many(shared.clone()).unwrap();
    sync_local(&a.store, &b.store).unwrap();
    // Offline: each side edits some customers (some the same), and adds its own.
    for (i, c) in shared.iter().enumerate().step_by(53) {
        a.store
            .edit(c.id, &[Edit::AddTag(format!("a{i}"))])
            .unwrap();
        if i % 2 == 0 {
            b.store
                .edit(c.id, &[Edit::Industry(format!("b{i}"))])
                .unwrap();
        }
    }
    a.store
        .create_many(vec![NewCustomer::new("Only on A", CustomerKind::Company)])
        .unwrap();
    b.store
        .create_many(vec![NewCustomer::new("Only on B", CustomerKind::Person)])
        .unwrap();

    let t = sync_local(&a.store, &b.store).unwrap();
    same(&a.store, &b.store);
    assert!(t.initiator.rounds > 2, "descended the trie: {t:?}");
    let changed = t.initiator.docs_sent + t.responder.docs_sent;
    assert!(changed < 60, "only changed documents travel: {t:?}");
    // Both edits of a doubly-edited customer survive.
    let c = a.store.customer(shared[0].id).unwrap();
    assert!(c.tags.contains("a0") && c.industry == "b0");
    // And the next session has nothing to do.
    let t = sync_local(&b.store, &a.store).unwrap();
    assert_eq!(t.initiator.rounds, 1);
}

#[test]
fn a_third_device_converges_through_the_middle_one() {
    let a = device("A");
    let b = device("B");
    let c = device("C");
    a.store.create_many(demo(50, 4)).unwrap();
    c.store.create_many(demo(30, 5)).unwrap();
    sync_local(&a.store, &b.store).unwrap();
    sync_local(&c.store, &b.store).unwrap();
    sync_local(&a.store, &b.store).unwrap();
    same(&a.store, &b.store);
    same(&b.store, &c.store);
    assert_eq!(a.store.count().unwrap(), 80);
}

#[test]
fn a_delete_travels_and_is_not_undone_by_a_stale_peer() {
    let a = device("A");
    let b = device("B");
    let id = a
        .store
        .create(NewCustomer::new("Gone Ltd", CustomerKind::Company))
        .unwrap();
    sync_local(&a.store, &b.store).unwrap();
    a.store.edit(id, &[Edit::Delete]).unwrap();
    b.store.edit(id, &[Edit::Owner("Li Na".into())]).unwrap();
    sync_local(&b.store, &a.store).unwrap();
    assert!(b.store.customer(id).unwrap().is_deleted());
    assert!(a.store.customer(id).unwrap().is_deleted());
    assert_eq!(b.store.customer(id).unwrap().owner, "Li Na");
}

fn frame_bytes(f: &Frame) -> Vec<u8> {
    f.encode().unwrap()
}

#[test]
fn hostile_frames_are_refused_and_touch_nothing() {
    let a = device("A");
    a.store.create_many(demo(40, 6)).unwrap();
    let before = a.store.summaries().unwrap();

    // Garbage, truncated and oversized input.
    assert!(matches!(
        Frame::decode(b"\xff\xff\xff\xff garbage"),
        Err(SyncError::Protocol(_))
    ));
    let good = frame_bytes(&Frame::Done);
    assert!(Frame::decode(&good[..0]).is_err());
    assert!(Frame::decode(&vec![0u8; rapport_sync::protocol::MAX_FRAME + 1]).is_err());

    // Structurally bad replies.
    let bad_children = Frame::Reply {
        children: vec![Children {
            prefix: Prefix::ROOT,
            nodes: vec![(0, 0); 15],
        }],
        items: Vec::new(),
        docs: Vec::new(),
        shared: Vec::new(),
        more: false,
    };
    assert!(Frame::decode(&frame_bytes(&bad_children)).is_err());
    let bad_prefix = Frame::Reply {
        children: Vec::new(),
        items: vec![Items {
            prefix: Prefix { depth: 1, bits: 99 },
            items: Vec::new(),
        }],
        docs: Vec::new(),
        shared: Vec::new(),
        more: false,
    };
    assert!(Frame::decode(&frame_bytes(&bad_prefix)).is_err());

    // A well-formed reply about a prefix nobody asked for.
    let mut i = Initiator::new(&a.store).unwrap();
    i.start().unwrap();
    let unasked = Frame::Reply {
        children: Vec::new(),
        items: vec![Items {
            prefix: Prefix { depth: 1, bits: 3 },
            items: Vec::new(),
        }],
        docs: Vec::new(),
        shared: Vec::new(),
        more: false,
    };
    assert!(
        i.receive(Frame::decode(&frame_bytes(&unasked)).unwrap())
            .is_err()
    );

    // A document that is not what it claims to be.
    let id = a.store.ids().unwrap()[0].as_u128();
    let other = a.store.ids().unwrap()[1];
    let wrong = a.store.document(other).unwrap().save();
    assert!(Replica::apply(&a.store, id, &wrong).is_err());

    assert_eq!(a.store.summaries().unwrap(), before, "nothing changed");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// Any split of a set of customers between two devices, with edits on either side,
    /// converges in one session, and the next session is a no-op.
    #[test]
    fn any_split_converges(n in 1usize..120, split in prop::collection::vec(0u8..3, 120), edits in prop::collection::vec((0usize..120, any::<bool>()), 0..20)) {
        let a = device("A");
        let b = device("B");
        let people = demo(n, 9);
        for (k, c) in people.iter().enumerate() {
            match split[k] {
                0 => { a.store.create(c.clone()).unwrap(); }
                1 => { b.store.create(c.clone()).unwrap(); }
                _ => {
                    a.store.create(c.clone()).unwrap();
                    b.store.apply_remote(c.id, &a.store.document(c.id).unwrap().save()).unwrap();
                }
            }
        }
        for (k, on_a) in edits {
            let Some(c) = people.get(k) else { continue };
            let s = if on_a { &a.store } else { &b.store };
            if s.summary(c.id).unwrap().is_some() {
                s.edit(c.id, &[Edit::AddTag(format!("t{k}"))]).unwrap();
            }
        }
        sync_local(&a.store, &b.store).unwrap();
        let mut ha = a.store.heads().unwrap();
        let mut hb = b.store.heads().unwrap();
        ha.iter_mut().for_each(|(_, h)| h.sort());
        hb.iter_mut().for_each(|(_, h)| h.sort());
        prop_assert_eq!(ha.len(), n);
        prop_assert_eq!(ha, hb);
        let again = sync_local(&b.store, &a.store).unwrap();
        prop_assert_eq!(again.initiator.rounds, 1);
    }
}

#[test]
fn team_and_settings_travel_with_every_session() {
    let a = device("A");
    let b = device("B");
    a.store.set_setting("rate.EUR", Some("7.85")).unwrap();
    a.store.team_add("dev-b", "B").unwrap();
    b.store.team_add("dev-a", "A").unwrap();
    b.store.set_setting("tier.vip_percent", Some("2")).unwrap();
    sync_local(&a.store, &b.store).unwrap();
    assert_eq!(a.store.settings().unwrap(), b.store.settings().unwrap());
    assert_eq!(a.store.settings().unwrap().len(), 2);
    assert_eq!(a.store.team().unwrap(), b.store.team().unwrap());
    assert_eq!(a.store.team().unwrap().len(), 2);
    // A revocation made on B reaches A with the next session, whoever starts it.
    b.store.team_revoke("dev-a").unwrap();
    sync_local(&a.store, &b.store).unwrap();
    assert!(
        a.store
            .team()
            .unwrap()
            .iter()
            .any(|m| m.id == "dev-a" && m.revoked)
    );
    let t = sync_local(&b.store, &a.store).unwrap();
    assert_eq!(t.initiator.rounds, 1, "nothing left to exchange");
}
