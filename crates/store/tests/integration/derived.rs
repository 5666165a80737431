//! The derived rows and the value cache (`rapport_store::derived`) say what the summaries
//! say: the cached analysis equals a fresh `rapport_value::analyse` over every summary after
//! each kind of change, an edit that changes no value input leaves the cache current, a
//! damaged cache is found by `verify_derived` and dropped, and a store from before these
//! tables gets them when it is opened.

use chrono::NaiveDate;
use rapport_model::{Currency, Deal, DealStatus, Edit, ItemId, Money};
use rapport_store::{OpenOptions, Store};
use rapport_value::{Analysis, ValueSettings};
use redb::ReadableTable;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn demo_store(dir: &std::path::Path, n: usize) -> Store {
    let store = Store::open(dir, OpenOptions::default()).unwrap();
    store
        .create_many(rapport_demo::generate(n, 7, today()))
        .unwrap();
    store
}

fn fresh(store: &Store, settings: &ValueSettings) -> Analysis {
    rapport_value::analyse(&store.summaries().unwrap(), settings, today())
}

/// The cache under `settings` holds exactly the fresh analysis: every customer's value, the
/// totals, the revisit list and the left-out customers.
fn assert_cache_is_fresh(store: &Store, settings: &ValueSettings) {
    let cache = store.value_cache(settings, today()).unwrap();
    let want = fresh(store, settings);
    assert!(!want.customers.is_empty());
    for v in &want.customers {
        assert_eq!(
            cache.get(v.id).unwrap().as_ref(),
            Some(v),
            "value of {}",
            v.id
        );
        assert_eq!(cache.facts(v.id).unwrap(), Some(v.facts()));
    }
    assert_eq!(cache.totals.ranked, want.ranked);
    assert_eq!(cache.totals.total_revenue, want.total_revenue);
    assert_eq!(cache.totals.tiers, want.tiers);
    assert_eq!(cache.totals.pareto, want.pareto);
    assert_eq!(cache.totals.segments, want.segments);
    assert_eq!(cache.totals.settings, *settings);
    let due: Vec<_> = cache.due().unwrap().iter().map(|d| d.id).collect();
    let want_due: Vec<_> = want.due_for_revisit().iter().map(|v| v.id).collect();
    assert_eq!(due, want_due);
    let left: Vec<_> = cache.left_out.iter().map(|l| l.id).collect();
    let want_left: Vec<_> = want.left_out().map(|v| v.id).collect();
    assert_eq!(left, want_left);
    assert_eq!(cache.all_facts().unwrap().len(), want.customers.len());
}

#[test]
fn the_value_cache_is_the_fresh_analysis_after_every_kind_of_change() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 300);
    let settings = ValueSettings::default();
    assert_cache_is_fresh(&store, &settings);
    let ids = store.ids().unwrap();

    // A won deal moves revenue, ranks and tiers.
    let eur = Currency::parse("EUR", "currency").unwrap();
    store
        .edit(
            ids[3],
            &[Edit::PutDeal(
                ItemId::new(),
                Deal {
                    title: "Big order".into(),
                    amount: Money {
                        minor: 90_000_000,
                        currency: eur,
                    },
                    status: DealStatus::Won,
                    date: today(),
                    probability: 100,
                },
            )],
        )
        .unwrap();
    assert_cache_is_fresh(&store, &settings);

    // Archiving takes a customer out of the analysis; deleting too.
    store.edit(ids[4], &[Edit::Archive(true)]).unwrap();
    store.edit(ids[5], &[Edit::Delete]).unwrap();
    assert_cache_is_fresh(&store, &settings);
    assert!(
        store
            .value_cache(&settings, today())
            .unwrap()
            .get(ids[4])
            .unwrap()
            .is_none()
    );

    // Other settings, and another day, give their own analysis.
    let strict = ValueSettings {
        vip_percent: 5,
        ..ValueSettings::default()
    };
    assert_cache_is_fresh(&store, &strict);
    let later = today() + chrono::Days::new(40);
    let cache = store.value_cache(&settings, later).unwrap();
    let want = rapport_value::analyse(&store.summaries().unwrap(), &settings, later);
    assert_eq!(cache.totals.today, later);
    for v in &want.customers {
        assert_eq!(cache.get(v.id).unwrap().as_ref(), Some(v));
    }
    assert!(store.verify_documents().unwrap().is_empty());
}

#[test]
fn an_edit_that_changes_no_value_input_keeps_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let store = demo_store(dir.path(), 50);
    let settings = ValueSettings::default();
    let ids = store.ids().unwrap();
    let before = store.value_cache(&settings, today()).unwrap();
    let v = before.get(ids[0]).unwrap();
    let generation = before.inputs_generation();
    drop(before);
    store
        .edit(ids[0], &[Edit::Notes("met at the fair".into())])
        .unwrap();
    // Still current: the row read back is the one computed before the edit, and a fresh
    // analysis agrees (notes are not a value input).
    assert_cache_is_fresh(&store, &settings);
    let after = store.value_cache(&settings, today()).unwrap();
    assert_eq!(after.get(ids[0]).unwrap(), v);
    assert_eq!(
        after.inputs_generation(),
        generation,
        "recomputed for a note"
    );
    drop(after);
    // Archiving is a value input: that one moves it.
    store.edit(ids[0], &[Edit::Archive(true)]).unwrap();
    let moved = store.value_cache(&settings, today()).unwrap();
    assert_ne!(moved.inputs_generation(), generation);
    assert!(moved.get(ids[0]).unwrap().is_none());
}

/// Opens the store's redb file directly (the store must be closed).
fn raw(dir: &std::path::Path) -> redb::Database {
    redb::Database::open(dir.join(rapport_store::DB_FILE)).unwrap()
}

#[test]
fn a_damaged_value_cache_is_found_and_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ValueSettings::default();
    let (a, b) = {
        let store = demo_store(dir.path(), 60);
        store.value_cache(&settings, today()).unwrap();
        let ids = store.ids().unwrap();
        (ids[0], ids[1])
    };
    // Swap two customers' cached values.
    {
        let db = raw(dir.path());
        let t: redb::TableDefinition<u128, &[u8]> = redb::TableDefinition::new("value_cache");
        let txn = db.begin_write().unwrap();
        {
            let mut rows = txn.open_table(t).unwrap();
            let x = rows.get(a.as_u128()).unwrap().unwrap().value().to_vec();
            let y = rows.get(b.as_u128()).unwrap().unwrap().value().to_vec();
            rows.insert(a.as_u128(), y.as_slice()).unwrap();
            rows.insert(b.as_u128(), x.as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    let problems = store.verify_derived().unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.contains(&a.to_string()) && p.contains("cached value")),
        "{problems:?}"
    );
    // Dropped: the next reader computes it again, right this time.
    assert_cache_is_fresh(&store, &settings);
    assert!(store.verify_derived().unwrap().is_empty());
}

#[test]
fn a_store_from_before_the_derived_rows_gets_them_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    let settings = ValueSettings::default();
    let (rows_before, agenda_before) = {
        let store = demo_store(dir.path(), 120);
        (names(&store), store.agenda_rows(None).unwrap())
    };
    // What a store written by the previous release holds: none of the derived tables.
    {
        let db = raw(dir.path());
        let txn = db.begin_write().unwrap();
        for name in ["list_rows", "value_inputs", "agenda_rows", "value_cache"] {
            let t: redb::TableDefinition<u128, &[u8]> = redb::TableDefinition::new(name);
            if name == "agenda_rows" {
                let t: redb::TableDefinition<(&str, u128, u128), &[u8]> =
                    redb::TableDefinition::new(name);
                assert!(txn.delete_table(t).unwrap());
            } else if name != "value_cache" {
                assert!(txn.delete_table(t).unwrap());
            }
        }
        let meta: redb::TableDefinition<&str, &[u8]> = redb::TableDefinition::new("derived_meta");
        assert!(txn.delete_table(meta).unwrap());
        txn.commit().unwrap();
    }
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    assert_eq!(names(&store), rows_before);
    assert_eq!(store.agenda_rows(None).unwrap(), agenda_before);
    assert!(store.verify_derived().unwrap().is_empty());
    assert_cache_is_fresh(&store, &settings);
}

/// Every list row's name, in name order.
fn names(store: &Store) -> Vec<String> {
    let mut out = Vec::new();
    store
        .list_rows_by_name(|r| {
            out.push(r.name.to_string());
            Ok(true)
        })
        .unwrap();
    out
}
