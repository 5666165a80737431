//! The store's contract: the document mapping agrees with the model's pure `Edit::apply`,
//! summaries follow documents, and the file is guarded against misuse.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::sync::Arc;

use chrono::NaiveDate;
use proptest::prelude::*;
use rapport_model::{
    Contact, Currency, Customer, CustomerKind, CustomerSummary, Deal, DealStatus, Due, Edit,
    FollowUp, FollowUpKind, Importance, Interaction, InteractionKind, ItemId, LifecycleStage,
    Money, NewCustomer, Tier, TierOverride, Urgency, timestamp_from_millis,
};
use rapport_store::{ListQuery, OpenOptions, Shared, Store, StoreError, Visibility};

fn opts(name: &str) -> OpenOptions {
    OpenOptions {
        device_name: name.to_string(),
        holder: format!("test {name}"),
        ..OpenOptions::default()
    }
}

fn fixed_clock_opts(ms: i64) -> OpenOptions {
    OpenOptions {
        clock: Arc::new(move || timestamp_from_millis(ms)),
        ..opts("fixed")
    }
}

fn word() -> impl Strategy<Value = String> {
    prop::sample::select(vec![
        "Acme",
        "张伟",
        "華創商務",
        "Müller",
        "José",
        "山田",
        "x",
        "Zoë",
        "a b",
    ])
    .prop_map(str::to_string)
}

fn item_id() -> impl Strategy<Value = ItemId> {
    (0u8..4).prop_map(|i| ItemId::from_u128(u128::from(i) + 1))
}

fn edit() -> impl Strategy<Value = Edit> {
    let cny = Currency::parse("CNY", "c").unwrap();
    let date = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    prop_oneof![
        word().prop_map(Edit::Name),
        word().prop_map(Edit::Company),
        word().prop_map(Edit::Industry),
        word().prop_map(Edit::Address),
        prop::sample::select(vec!["", "acme.com", "https://x.cn/a"])
            .prop_map(|w| Edit::Website(w.into())),
        (
            prop::sample::select(vec!["f1", "f2"]),
            prop::option::of(word())
        )
            .prop_map(|(id, v)| Edit::SetField(id.into(), v)),
        word().prop_map(Edit::Owner),
        word().prop_map(Edit::Source),
        "[a-z 张伟\n]{0,20}".prop_map(Edit::Notes),
        prop::option::of(prop::sample::select(LifecycleStage::ALL.to_vec())).prop_map(Edit::Stage),
        prop::sample::select(Importance::ALL.to_vec()).prop_map(Edit::Importance),
        prop::sample::select(Urgency::ALL.to_vec()).prop_map(Edit::Urgency),
        prop::sample::select(CustomerKind::ALL.to_vec()).prop_map(Edit::Kind),
        word().prop_map(Edit::AddTag),
        word().prop_map(Edit::RemoveTag),
        prop::sample::select(vec!["a@b.cn", "c@d.de"]).prop_map(|e| Edit::AddEmail(e.into())),
        prop::sample::select(vec!["a@b.cn", "c@d.de"]).prop_map(|e| Edit::RemoveEmail(e.into())),
        prop::sample::select(vec!["+86 1", "030 123"]).prop_map(|e| Edit::AddPhone(e.into())),
        any::<bool>().prop_map(Edit::Archive),
        prop::option::of((prop::sample::select(Tier::ALL.to_vec()), word())).prop_map(|o| {
            Edit::TierOverride(o.map(|(tier, reason)| TierOverride { tier, reason }))
        }),
        (item_id(), word(), word()).prop_map(|(id, n, t)| Edit::PutContact(
            id,
            Contact {
                name: n,
                title: t,
                emails: vec!["k@l.cn".into()],
                ..Contact::default()
            }
        )),
        (item_id(), word(), 1u32..28).prop_map(move |(id, s, d)| Edit::PutFollowUp(
            id,
            FollowUp {
                due: Due {
                    date: date.with_day(d).unwrap(),
                    time: None
                },
                kind: FollowUpKind::Visit,
                subject: s,
                assignee: String::new(),
                done_at: None,
                outcome: String::new(),
            }
        )),
        (
            item_id(),
            0i64..1_000_000,
            prop::sample::select(DealStatus::ALL.to_vec())
        )
            .prop_map(move |(id, m, status)| Edit::PutDeal(
                id,
                Deal {
                    title: "t".into(),
                    amount: Money {
                        minor: m,
                        currency: cny
                    },
                    status,
                    date,
                    probability: 40,
                }
            )),
        (item_id(), word()).prop_map(|(id, s)| Edit::LogInteraction(
            id,
            Interaction {
                at: timestamp_from_millis(1_780_000_000_000),
                kind: InteractionKind::Call,
                summary: s,
                outcome: String::new(),
                by: "me".into(),
            }
        )),
    ]
}

use chrono::Datelike;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    /// Whatever edits are made, through creation or later edits, the stored document reads
    /// back as exactly what `Edit::apply` says, and the summary row is the summary of it.
    #[test]
    fn document_mapping_agrees_with_apply(initial in prop::collection::vec(edit(), 0..8),
                                          later in prop::collection::vec(prop::collection::vec(edit(), 1..4), 0..6)) {
        let dir = tempfile::tempdir().unwrap();
        let now_ms = 1_790_000_000_000;
        let store = Store::open(dir.path(), fixed_clock_opts(now_ms)).unwrap();
        let now = timestamp_from_millis(now_ms);
        let mut nc = NewCustomer::new("Start", CustomerKind::Company);
        nc.edits = initial.clone();
        let id = nc.id;
        let mut model = Customer::new(id, "Start", CustomerKind::Company, now);
        for e in &initial { e.apply(&mut model, now); }
        store.create(nc).unwrap();
        prop_assert_eq!(&store.customer(id).unwrap(), &model);
        for batch in &later {
            let valid = batch.iter().all(|e| e.validate(Some(&model)).is_ok());
            let result = store.edit(id, batch);
            prop_assert_eq!(result.is_ok(), valid);
            if valid {
                for e in batch { e.apply(&mut model, now); }
            }
            prop_assert_eq!(&store.customer(id).unwrap(), &model);
        }
        prop_assert_eq!(store.summary(id).unwrap().unwrap(), CustomerSummary::of(&model));
    }
}

#[test]
fn second_open_names_the_holder() {
    let dir = tempfile::tempdir().unwrap();
    let _first = Store::open(dir.path(), opts("first")).unwrap();
    let err = Store::open(dir.path(), opts("second")).unwrap_err();
    match &err {
        StoreError::InUse { holder, .. } => assert!(holder.contains("test first"), "{holder}"),
        other => panic!("expected InUse, got {other:?}"),
    }
    assert!(err.to_string().contains("in use by `test first`"), "{err}");
}

#[test]
fn newer_schema_is_refused_and_old_summaries_are_rebuilt() {
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path(), opts("a")).unwrap();
        store
            .create(NewCustomer::new("Keep me", CustomerKind::Person))
            .unwrap()
    };
    let path = dir.path().join(rapport_store::DB_FILE);
    let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
    let summaries: redb::TableDefinition<u128, &[u8]> = redb::TableDefinition::new("summaries");
    // An older summary format: the rows are gone and the version is 0.
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(meta)
            .unwrap()
            .insert("summary_version", 0u64.to_le_bytes().as_slice())
            .unwrap();
        txn.open_table(summaries)
            .unwrap()
            .remove(id.as_u128())
            .unwrap();
        txn.commit().unwrap();
    }
    {
        let store = Store::open(dir.path(), opts("a")).unwrap();
        let s = store.summary(id).unwrap().expect("summary rebuilt on open");
        assert_eq!(s.name, "Keep me");
    }
    // A newer schema: refused with a clear message, file untouched.
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(meta)
            .unwrap()
            .insert("schema", 99u64.to_le_bytes().as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let err = Store::open(dir.path(), opts("a")).unwrap_err();
    assert!(
        matches!(err, StoreError::NewerSchema { found: 99, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("newer Rapport"), "{err}");
}

#[test]
fn garbage_file_is_reported_as_damaged() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join(rapport_store::DB_FILE), vec![0x5au8; 8192]).unwrap();
    let err = Store::open(dir.path(), opts("a")).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("rapport.redb"), "{msg}");
    assert!(
        matches!(err, StoreError::Corrupt { .. } | StoreError::Db(_)),
        "{err:?}"
    );
}

#[test]
fn many_edits_compact_and_survive_reopen() {
    let dir = tempfile::tempdir().unwrap();
    let id;
    {
        let store = Store::open(dir.path(), opts("a")).unwrap();
        id = store
            .create(NewCustomer::new("Counter", CustomerKind::Company))
            .unwrap();
        for i in 0..(rapport_store::COMPACT_AFTER * 2 + 5) {
            store.edit(id, &[Edit::Notes(format!("v{i}"))]).unwrap();
        }
    }
    let mut store = Store::open(dir.path(), opts("a")).unwrap();
    let c = store.customer(id).unwrap();
    assert_eq!(
        c.notes,
        format!("v{}", rapport_store::COMPACT_AFTER * 2 + 4)
    );
    assert_eq!(
        store.history(id).unwrap().len() as u32,
        rapport_store::COMPACT_AFTER * 2 + 6
    );
    store.compact().unwrap();
    assert_eq!(store.customer(id).unwrap(), c);
    assert!(store.verify_documents().unwrap().is_empty());
}

#[test]
fn remote_bytes_are_checked_before_they_land() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = Store::open(dir_a.path(), opts("a")).unwrap();
    let b = Store::open(dir_b.path(), opts("b")).unwrap();
    let id = a
        .create(NewCustomer::new("Shared", CustomerKind::Company))
        .unwrap();
    let other = a
        .create(NewCustomer::new("Other", CustomerKind::Company))
        .unwrap();
    let bytes = a.document(id).unwrap().save();

    // Garbage, and a real document filed under the wrong id, are refused.
    assert!(matches!(
        b.apply_remote(id, b"\x85\x6f\x4a\x83garbage"),
        Err(StoreError::BadDocument { .. })
    ));
    assert!(matches!(
        b.apply_remote(other, &bytes),
        Err(StoreError::BadDocument { .. })
    ));
    assert_eq!(b.count().unwrap(), 0);

    // The real one lands, once; applying it again changes nothing.
    let mut feed = b.subscribe();
    assert!(b.apply_remote(id, &bytes).unwrap());
    assert!(!b.apply_remote(id, &bytes).unwrap());
    let ev = feed.try_recv().unwrap();
    assert_eq!(ev.doc, rapport_store::DocRef::Customer(id));
    assert_eq!(ev.origin, rapport_store::Origin::Remote);
    assert_eq!(b.customer(id).unwrap(), a.customer(id).unwrap());
    assert_eq!(b.summary(id).unwrap(), a.summary(id).unwrap());
}

#[test]
fn history_names_device_fields_and_values() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), opts("Li Na's laptop")).unwrap();
    let id = store
        .create(NewCustomer::new("Acme", CustomerKind::Company))
        .unwrap();
    store
        .edit(
            id,
            &[Edit::Name("Acme GmbH".into()), Edit::AddTag("dach".into())],
        )
        .unwrap();
    let h = store.history(id).unwrap();
    assert_eq!(h.len(), 2);
    assert_eq!(h[0].device, "Li Na's laptop");
    assert_eq!(h[0].values.get("name").map(String::as_str), Some("Acme"));
    assert_eq!(h[1].fields, vec!["name".to_string(), "tags".to_string()]);
    assert_eq!(
        h[1].values.get("name").map(String::as_str),
        Some("Acme GmbH")
    );
    assert_eq!(h[1].actor, store.device().actor);
}

#[test]
fn listing_filters_by_tag_text_and_visibility_in_name_order() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), opts("a")).unwrap();
    let mk = |name: &str, tags: &[&str]| {
        let mut n = NewCustomer::new(name, CustomerKind::Company);
        n.edits = tags.iter().map(|t| Edit::AddTag(t.to_string())).collect();
        store.create(n).unwrap()
    };
    let zhang = mk("张伟", &["VIP"]);
    mk("Anna", &["vip", "dach"]);
    let zoe = mk("Zoe", &[]);
    let names = |q: ListQuery| -> Vec<String> {
        store
            .list(&q)
            .unwrap()
            .into_iter()
            .map(|s| s.name)
            .collect()
    };
    assert_eq!(names(ListQuery::default()), vec!["Anna", "张伟", "Zoe"]);
    assert_eq!(
        names(ListQuery {
            tag: Some("ＶＩＰ".into()),
            ..Default::default()
        }),
        vec!["Anna", "张伟"]
    );
    assert_eq!(
        names(ListQuery {
            text: Some("zhang".into()),
            ..Default::default()
        }),
        vec!["张伟"]
    );
    store.edit(zoe, &[Edit::Archive(true)]).unwrap();
    store.edit(zhang, &[Edit::Delete]).unwrap();
    assert_eq!(names(ListQuery::default()), vec!["Anna"]);
    assert_eq!(
        names(ListQuery {
            visibility: Visibility::WithArchived,
            ..Default::default()
        }),
        vec!["Anna", "Zoe"]
    );
    assert_eq!(
        names(ListQuery {
            visibility: Visibility::Deleted,
            ..Default::default()
        }),
        vec!["张伟"]
    );
    assert_eq!(
        names(ListQuery {
            offset: 1,
            limit: Some(1),
            visibility: Visibility::WithArchived,
            ..Default::default()
        }),
        vec!["Zoe"]
    );
    // Resolve by unique prefix and by name; a deleted customer can't be edited.
    assert_eq!(
        store.resolve("ANNA").unwrap(),
        store.list(&ListQuery::default()).unwrap()[0].id
    );
    assert_eq!(store.resolve(&zhang.to_string()[..12]).unwrap(), zhang);
    assert!(matches!(
        store.edit(zhang, &[Edit::Name("x".into())]),
        Err(StoreError::Deleted(_))
    ));
}

#[test]
fn agenda_lists_open_followups_of_active_customers_by_due() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), opts("a")).unwrap();
    let fu = |d: &str, s: &str| {
        Edit::PutFollowUp(
            ItemId::new(),
            FollowUp {
                due: Due::parse(d, "due").unwrap(),
                kind: FollowUpKind::Call,
                subject: s.into(),
                assignee: String::new(),
                done_at: None,
                outcome: String::new(),
            },
        )
    };
    let mut a = NewCustomer::new("A", CustomerKind::Company);
    a.edits = vec![fu("2026-12-03", "late"), fu("2026-12-01 09:00", "early")];
    let mut b = NewCustomer::new("B", CustomerKind::Company);
    b.edits = vec![fu("2026-12-02", "middle")];
    let a_id = store.create(a).unwrap();
    let b_id = store.create(b).unwrap();
    let subjects = |until| -> Vec<String> {
        store
            .agenda(until)
            .unwrap()
            .into_iter()
            .map(|i| i.followup.subject)
            .collect()
    };
    assert_eq!(subjects(None), vec!["early", "middle", "late"]);
    assert_eq!(
        subjects(NaiveDate::from_ymd_opt(2026, 12, 2)),
        vec!["early", "middle"]
    );
    let early = store.agenda(None).unwrap()[0].followup.id;
    store
        .edit(
            a_id,
            &[Edit::CompleteFollowUp {
                id: early,
                at: timestamp_from_millis(1_790_000_000_000),
                outcome: "ok".into(),
            }],
        )
        .unwrap();
    store.edit(b_id, &[Edit::Archive(true)]).unwrap();
    assert_eq!(subjects(None), vec!["late"]);
}

#[test]
fn team_settings_are_a_synced_document() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = Store::open(dir_a.path(), opts("a")).unwrap();
    let b = Store::open(dir_b.path(), opts("b")).unwrap();
    assert!(a.settings().unwrap().is_empty());
    a.set_setting("tier.vip_percent", Some("2")).unwrap();
    b.set_setting("rate.EUR", Some("7.85")).unwrap();
    let mut feed = a.subscribe();
    assert!(
        a.apply_remote_shared(
            Shared::Settings,
            &b.shared_document(Shared::Settings).unwrap().save()
        )
        .unwrap()
    );
    assert_eq!(
        feed.try_recv().unwrap().doc,
        rapport_store::DocRef::Shared(Shared::Settings)
    );
    b.apply_remote_shared(
        Shared::Settings,
        &a.shared_document(Shared::Settings).unwrap().save(),
    )
    .unwrap();
    assert_eq!(a.settings().unwrap(), b.settings().unwrap());
    assert_eq!(a.settings().unwrap().len(), 2);
    a.set_setting("rate.EUR", None).unwrap();
    assert!(!a.settings().unwrap().contains_key("rate.EUR"));
    assert!(!matches!(
        a.apply_remote_shared(Shared::Settings, b"not automerge"),
        Ok(true)
    ));
    assert_eq!(a.settings().unwrap().len(), 1);
}

#[test]
fn team_membership_merges_and_revocation_is_final() {
    let dir_a = tempfile::tempdir().unwrap();
    let dir_b = tempfile::tempdir().unwrap();
    let a = Store::open(dir_a.path(), opts("a")).unwrap();
    let b = Store::open(dir_b.path(), opts("b")).unwrap();
    assert_ne!(a.device_secret(), b.device_secret());
    // Both devices start their team documents independently (as pairing does).
    b.team_add("dev-a", "A's laptop").unwrap();
    a.team_add("dev-b", "B's laptop").unwrap();
    a.team_add("dev-x", "lost phone").unwrap();
    b.apply_remote_shared(
        Shared::Team,
        &a.shared_document(Shared::Team).unwrap().save(),
    )
    .unwrap();
    // Offline: B revokes X while A adds C and (again) X.
    b.team_revoke("dev-x").unwrap();
    a.team_add("dev-c", "office").unwrap();
    a.team_add("dev-x", "lost phone").unwrap();
    for (from, to) in [(&a, &b), (&b, &a)] {
        to.apply_remote_shared(
            Shared::Team,
            &from.shared_document(Shared::Team).unwrap().save(),
        )
        .unwrap();
    }
    let ta = a.team().unwrap();
    assert_eq!(ta, b.team().unwrap());
    let x = ta.iter().find(|m| m.id == "dev-x").unwrap();
    assert!(x.revoked, "revocation wins");
    assert!(ta.iter().any(|m| m.id == "dev-c" && !m.revoked));
    assert_eq!(
        ta.iter().find(|m| m.id == "dev-b").unwrap().name,
        "B's laptop"
    );
    // The device key survives reopening.
    let secret = a.device_secret();
    drop(a);
    let a = Store::open(dir_a.path(), opts("a")).unwrap();
    assert_eq!(a.device_secret(), secret);
    // Changes since given heads: nothing when the peer is up to date.
    let heads = b.shared_heads(Shared::Team).unwrap();
    assert!(
        a.shared_changes_since(Shared::Team, &heads)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn automatic_backups_follow_their_policy_and_restore_the_device() {
    use rapport_store::backups::{self, BackupPolicy};
    use std::time::Duration;
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), opts("Laptop")).unwrap();
    store
        .create_many(
            (0..20)
                .map(|i| NewCustomer::new(format!("Customer {i}"), CustomerKind::Company))
                .collect(),
        )
        .unwrap();
    let daily = BackupPolicy::default();
    assert_eq!(daily.keep, 7);
    let first = store
        .auto_backup(daily)
        .unwrap()
        .expect("no backup yet: one is written");
    assert_eq!(
        store.auto_backup(daily).unwrap(),
        None,
        "a fresh one is not repeated"
    );
    // Always due, keeping 3: the oldest go.
    let always = BackupPolicy {
        every: Duration::ZERO,
        keep: 3,
    };
    let mut written = vec![first];
    for _ in 0..4 {
        written.push(store.auto_backup(always).unwrap().unwrap());
    }
    let kept = backups::list(dir.path());
    assert_eq!(kept, written[2..].to_vec(), "the newest 3, oldest first");
    assert_eq!(backups::latest(dir.path()).as_ref(), written.last());
    assert!(
        !std::fs::read_dir(dir.path().join("backups"))
            .unwrap()
            .any(|e| e
                .unwrap()
                .file_name()
                .to_string_lossy()
                .starts_with(".writing"))
    );

    // A local backup restores as this device (same network identity), an export does not.
    let secret = store.device_secret();
    let summaries = store.summaries().unwrap();
    let latest = backups::latest(dir.path()).unwrap();
    drop(store);
    let other = tempfile::tempdir().unwrap();
    let mut restored = Store::open(other.path(), opts("New laptop")).unwrap();
    let stats = restored
        .restore_as_device(std::fs::File::open(&latest).unwrap())
        .unwrap();
    assert!(stats.identity);
    assert_eq!(restored.device_secret(), secret);
    assert_eq!(restored.device().name, "Laptop");
    assert_eq!(restored.summaries().unwrap(), summaries);
    let mut exported = Vec::new();
    restored.backup(&mut exported).unwrap();
    assert!(
        !String::from_utf8_lossy(&exported).contains("\"identity\""),
        "an export never carries the device's secret"
    );
}

/// Merges `from`'s team document into `to` (what a sync session does with it).
fn team_sync(from: &Store, to: &Store) {
    to.apply_remote_shared(
        Shared::Team,
        &from.shared_document(Shared::Team).unwrap().save(),
    )
    .unwrap();
}

/// A signed team: A creates it (owner), adds B; B learns the team id (as from its ticket) and
/// receives the team document.
fn signed_pair() -> (tempfile::TempDir, Store, tempfile::TempDir, Store) {
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Store::open(da.path(), opts("Office")).unwrap();
    let b = Store::open(db.path(), opts("Laptop B")).unwrap();
    let code = a.team_create("Sales").unwrap();
    assert_eq!(code.to_text().len(), 39);
    a.team_add(&b.device_id(), "Laptop B").unwrap();
    b.team_join(a.team_id().unwrap().unwrap(), false).unwrap();
    team_sync(&a, &b);
    (da, a, db, b)
}

#[test]
fn a_signed_team_has_roles_and_a_member_cannot_revoke_or_invite() {
    let (_da, a, _db, b) = signed_pair();
    let team = b.team().unwrap();
    assert_eq!(team, a.team().unwrap());
    let role = |id: &str| team.iter().find(|m| m.id == id).unwrap().role;
    assert_eq!(role(&a.device_id()), Some(rapport_team::Role::Owner));
    assert_eq!(role(&b.device_id()), Some(rapport_team::Role::Member));
    let err = b.team_revoke(&a.device_id()).unwrap_err().to_string();
    assert!(
        err.contains("only an admin or the owner") && err.contains("Office"),
        "{err}"
    );
    let err = b.may_invite().unwrap_err().to_string();
    assert!(err.contains("ask Office"), "{err}");
    assert!(
        b.team_set_role(&b.device_id(), rapport_team::Role::Admin)
            .is_err()
    );
    // Nothing was written: A still sees B as a member, B's view is unchanged.
    team_sync(&b, &a);
    assert!(a.team().unwrap().iter().all(|m| !m.revoked));
    // The owner makes B an admin; B may invite now.
    a.team_set_role(&b.device_id(), rapport_team::Role::Admin)
        .unwrap();
    team_sync(&a, &b);
    b.may_invite().unwrap();
}

#[test]
fn raw_edits_of_the_team_document_change_nothing_in_a_signed_team() {
    use automerge::{ReadDoc, transaction::Transactable};
    let (_da, a, _db, b) = signed_pair();
    let before = a.team().unwrap();
    // A member with a modified client edits the team document directly: it admits a
    // stranger the version-1 way, "un-revokes", and deletes every signed entry.
    let mut doc = b.shared_document(Shared::Team).unwrap();
    let stranger = "ab".repeat(32);
    let m = doc
        .put_object(
            automerge::ROOT,
            format!("member/{stranger}"),
            automerge::ObjType::Map,
        )
        .unwrap();
    doc.put(&m, "name", "Stranger").unwrap();
    let logs: Vec<String> = doc
        .keys(automerge::ROOT)
        .filter(|k| k.starts_with("log/"))
        .collect();
    assert!(logs.len() >= 3, "{logs:?}");
    for k in &logs {
        doc.delete(automerge::ROOT, k.as_str()).unwrap();
    }
    doc.commit();
    a.apply_remote_shared(Shared::Team, &doc.save()).unwrap();
    assert_eq!(
        a.team().unwrap(),
        before,
        "the stranger is not admitted; nothing is lost"
    );
    // The deleted entries are put back into the document, so others get them again.
    let back = a.shared_document(Shared::Team).unwrap();
    for k in &logs {
        assert!(
            back.get(automerge::ROOT, k.as_str()).unwrap().is_some(),
            "{k}"
        );
    }
    // A device that only ever saw the damaged document, then A's, has the whole team.
    let dc = tempfile::tempdir().unwrap();
    let c = Store::open(dc.path(), opts("C")).unwrap();
    c.team_join(a.team_id().unwrap().unwrap(), false).unwrap();
    c.apply_remote_shared(Shared::Team, &doc.save()).unwrap();
    team_sync(&a, &c);
    assert_eq!(c.team().unwrap(), before);
}

#[test]
fn a_version_1_team_is_adopted_by_its_owner_and_an_old_store_opens() {
    // Two stores paired the version-1 way (unsigned entries), one device revoked.
    let (da, db) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let a = Store::open(da.path(), opts("Office")).unwrap();
    let b = Store::open(db.path(), opts("Laptop B")).unwrap();
    let lost = "cd".repeat(32);
    a.team_add(&a.device_id(), "Office").unwrap();
    a.team_add(&b.device_id(), "Laptop B").unwrap();
    a.team_add(&lost, "Lost phone").unwrap();
    a.team_revoke(&lost).unwrap();
    team_sync(&a, &b);
    assert!(
        b.team().unwrap().iter().all(|m| m.role.is_none()),
        "no roles yet"
    );
    drop(b);
    // Simulate a store from before signed teams: no team_log table.
    {
        let db = redb::Database::create(db.path().join(rapport_store::DB_FILE)).unwrap();
        let txn = db.begin_write().unwrap();
        let t: redb::TableDefinition<&[u8], &[u8]> = redb::TableDefinition::new("team_log");
        assert!(txn.delete_table(t).unwrap());
        txn.commit().unwrap();
    }
    let b = Store::open(db.path(), opts("Laptop B")).unwrap();
    assert_eq!(b.team().unwrap().len(), 3, "the old membership still reads");
    // The office adopts the team: it becomes the owner; members and revocations carry over.
    a.team_create("Sales").unwrap();
    b.team_join(a.team_id().unwrap().unwrap(), false).unwrap();
    team_sync(&a, &b);
    let team = b.team().unwrap();
    assert_eq!(team, a.team().unwrap());
    let get = |id: &str| team.iter().find(|m| m.id == id).unwrap().clone();
    assert_eq!(get(&a.device_id()).role, Some(rapport_team::Role::Owner));
    assert_eq!(get(&b.device_id()).role, Some(rapport_team::Role::Member));
    assert!(get(&lost).revoked);
    // Joining a second team is refused unless asked for.
    let err = b.team_join([7; 32], false).unwrap_err().to_string();
    assert!(err.contains("--merge-teams"), "{err}");
    assert!(a.team_create("Again").is_err(), "one team per device");
}

#[test]
fn a_nearly_full_disk_refuses_peers_but_not_this_devices_edits() {
    let (dp, dq) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let peer = Store::open(dp.path(), opts("Peer")).unwrap();
    let id = peer
        .create(rapport_model::NewCustomer::new(
            "Acme",
            rapport_model::CustomerKind::Company,
        ))
        .unwrap();
    let bytes = peer.document_bytes(id).unwrap().unwrap();
    // No disk has u64::MAX bytes free: this store behaves as on a nearly full disk.
    let full = Store::open(
        dq.path(),
        OpenOptions {
            min_free_for_peers: u64::MAX,
            ..opts("Full")
        },
    )
    .unwrap();
    let err = full.apply_remote(id, &bytes).unwrap_err().to_string();
    assert!(
        err.contains("refused data from peers") && err.contains("free some space"),
        "{err}"
    );
    assert_eq!(full.count().unwrap(), 0);
    assert!(
        full.quarantined().unwrap().is_empty(),
        "not the peer's fault"
    );
    let mine = full
        .create(rapport_model::NewCustomer::new(
            "Mine",
            rapport_model::CustomerKind::Person,
        ))
        .unwrap();
    full.edit(mine, &[rapport_model::Edit::Notes("still works".into())])
        .unwrap();
    drop(full);
    // With room again (the default threshold on this disk), the same data lands.
    let room = Store::open(dq.path(), opts("Full")).unwrap();
    assert!(room.apply_remote(id, &bytes).unwrap());
    assert_eq!(room.count().unwrap(), 2);
}

/// A store from before custom fields, websites and phone regions (summary version 2, a
/// document with no `website` key): it opens, its summaries are rebuilt once (their search
/// text now finds a phone by its bare digits), the customer reads with no website and no
/// custom values, `check` passes, and the new fields can be set on the old document.
#[test]
fn a_store_from_before_custom_fields_keeps_working() {
    use automerge::ReadDoc as _;
    use automerge::transaction::Transactable as _;
    let dir = tempfile::tempdir().unwrap();
    let id = {
        let store = Store::open(dir.path(), opts("a")).unwrap();
        let mut n = NewCustomer::new("明华贸易", CustomerKind::Company);
        n.edits.push(Edit::AddPhone("+86 138 1234 5678".into()));
        let id = store.create(n).unwrap();
        // The document as the previous version wrote it: no `website` key.
        let mut doc = store.document(id).unwrap();
        doc.delete(automerge::ROOT, "website").unwrap();
        store.apply_remote(id, &doc.save()).unwrap();
        assert!(
            store
                .document(id)
                .unwrap()
                .get(automerge::ROOT, "website")
                .unwrap()
                .is_none()
        );
        id
    };
    let path = dir.path().join(rapport_store::DB_FILE);
    {
        let db = redb::Database::create(&path).unwrap();
        let txn = db.begin_write().unwrap();
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("meta");
        txn.open_table(meta)
            .unwrap()
            .insert("summary_version", 2u64.to_le_bytes().as_slice())
            .unwrap();
        txn.commit().unwrap();
    }
    let store = Store::open(dir.path(), opts("a")).unwrap();
    let c = store.customer(id).unwrap();
    assert_eq!((c.website.as_str(), c.fields.len()), ("", 0));
    assert_eq!(c.phones, ["+86 138 1234 5678"], "stored spellings are kept");
    let s = store.summary(id).unwrap().unwrap();
    assert!(s.search.contains("8613812345678"), "{}", s.search);
    assert!(store.verify_documents().unwrap().is_empty());
    store
        .edit(
            id,
            &[
                Edit::Website("minghua.example".into()),
                Edit::SetField("expiry".into(), Some("2027-03-31".into())),
            ],
        )
        .unwrap();
    let c = store.customer(id).unwrap();
    assert_eq!(c.website, "minghua.example");
    assert_eq!(c.fields["expiry"], "2027-03-31");
}
