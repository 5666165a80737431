//! The search blocks (`rapport_store::search`) find exactly what a scan of every summary finds:
//! for word, pinyin, accented and fuzzy queries, with and without archived customers, after
//! renames, archiving, deleting and restoring; a damaged block is found by `verify_derived`;
//! ids a peer chose cannot crowd one block; and a store from before the blocks gets them when
//! it is opened.

use std::collections::BTreeSet;

use chrono::NaiveDate;
use rapport_model::{CustomerId, CustomerKind, Edit, NewCustomer};
use rapport_query::{Candidate, Filter, Search, Sort, Tags, select};
use rapport_store::{OpenOptions, SearchRow, Store};
use redb::{ReadableDatabase, ReadableTable, ReadableTableMetadata};

const QUERIES: &[&str] = &[
    "wang",
    "blwtr",
    "bluewater",
    "zw",
    "zhang wei",
    "张伟",
    "muller",
    "müller",
    "gmbh",
    "a",
    "an",
    "trading co",
    "138",
    "@",
    "harbr",
    "xyzzy",
];

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 1).unwrap()
}

fn store_with_names(dir: &std::path::Path) -> (Store, Vec<CustomerId>) {
    let store = Store::open(dir, OpenOptions::default()).unwrap();
    store
        .create_many(rapport_demo::generate(400, 11, today()))
        .unwrap();
    let mut ids = Vec::new();
    for name in [
        "Bluewater Trading",
        "Müller GmbH",
        "张伟贸易有限公司",
        "Blue Harbour",
        "ＡＣＭＥ Supplies",
    ] {
        let mut n = NewCustomer::new(name, CustomerKind::Company);
        n.edits.push(Edit::AddPhone("+86 138 0000 1111".into()));
        ids.push(n.id);
        store.create_many(vec![n]).unwrap();
    }
    (store, ids)
}

fn candidate<'a>(r: &SearchRow<'a>) -> Candidate<'a> {
    Candidate {
        id: r.id,
        name: r.name,
        company: r.company,
        search: r.search,
        tags: Tags::List(&[]),
        owner: "",
        stage: None,
        archived: r.archived,
        deleted: false,
        fields: None,
    }
}

/// What the blocks find for `filter` (judged exactly, as `customer list` does).
fn through_blocks(store: &Store, filter: &Filter) -> BTreeSet<CustomerId> {
    let found = store
        .scan_search(
            &Search::new(&filter.text),
            2,
            || (filter.compile(), Vec::new()),
            |(c, ids), row| {
                if c.admits(candidate(&row), None) {
                    ids.push(row.id);
                }
            },
        )
        .unwrap();
    found.into_iter().flat_map(|(_, ids)| ids).collect()
}

/// What a scan of every summary finds.
fn through_summaries(store: &Store, filter: &Filter) -> BTreeSet<CustomerId> {
    let sums = store.summaries().unwrap();
    select(&sums, None, filter, Sort::default())
        .into_iter()
        .map(|i| sums[i].id)
        .collect()
}

fn assert_same(store: &Store, when: &str) {
    let mut matched = 0;
    for q in QUERIES {
        for archived in [false, true] {
            let f = Filter {
                text: q.to_string(),
                archived,
                ..Filter::default()
            };
            let want = through_summaries(store, &f);
            matched += want.len();
            assert_eq!(
                through_blocks(store, &f),
                want,
                "{when}: {q:?} archived {archived}"
            );
        }
    }
    assert!(
        matched > 100,
        "{when}: the queries match something ({matched})"
    );
    assert_eq!(
        store.verify_derived().unwrap(),
        Vec::<String>::new(),
        "{when}"
    );
}

#[test]
fn a_search_through_the_blocks_finds_exactly_what_a_scan_of_every_summary_finds() {
    let dir = tempfile::tempdir().unwrap();
    let (store, ids) = store_with_names(dir.path());
    assert_same(&store, "as made");
    let blwtr = Filter {
        text: "blwtr".into(),
        ..Filter::default()
    };
    assert!(through_blocks(&store, &blwtr).contains(&ids[0]));

    // A rename moves the customer between searches; archiving hides it unless asked;
    // deleting takes it out of every search; restoring brings it back.
    store
        .edit(ids[0], &[Edit::Name("Harbour Logistics".into())])
        .unwrap();
    assert!(!through_blocks(&store, &blwtr).contains(&ids[0]));
    store.edit(ids[1], &[Edit::Archive(true)]).unwrap();
    store.edit(ids[2], &[Edit::Delete]).unwrap();
    assert_same(&store, "after a rename, an archive and a delete");
    store.edit(ids[2], &[Edit::Restore]).unwrap();
    store.edit(ids[1], &[Edit::Archive(false)]).unwrap();
    assert_same(&store, "after restoring");
}

fn raw(dir: &std::path::Path) -> redb::Database {
    redb::Database::open(dir.join(rapport_store::DB_FILE)).unwrap()
}

const BLOCKS: redb::TableDefinition<u16, &[u8]> = redb::TableDefinition::new("search_blocks");

#[test]
fn a_damaged_search_block_is_found() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_names(dir.path()));
    {
        let db = raw(dir.path());
        let txn = db.begin_write().unwrap();
        {
            let mut t = txn.open_table(BLOCKS).unwrap();
            let first = t.iter().unwrap().next().unwrap().unwrap().0.value();
            t.insert(first, [1u8, 2, 3].as_slice()).unwrap();
        }
        txn.commit().unwrap();
    }
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    let problems = store.verify_derived().unwrap();
    assert!(
        problems.iter().any(|p| p.contains("search block")),
        "{problems:?}"
    );
}

#[test]
fn ids_chosen_by_a_peer_do_not_crowd_one_block() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    // 2,000 ids that differ only in their last bits (a plain prefix would put them all in one
    // block).
    let news: Vec<NewCustomer> = (0..2000u128)
        .map(|i| {
            let mut n = NewCustomer::new(format!("Customer {i}"), CustomerKind::Company);
            n.id = CustomerId::from_u128((0x4242u128 << 112) | (4 << 76) | i);
            n
        })
        .collect();
    store.create_many(news).unwrap();
    drop(store);
    let db = raw(dir.path());
    let txn = db.begin_read().unwrap();
    let t = txn.open_table(BLOCKS).unwrap();
    let blocks = t.len().unwrap();
    let largest = t
        .iter()
        .unwrap()
        .map(|r| r.unwrap().1.value().len())
        .max()
        .unwrap();
    // About 2 a block; none far beyond.
    assert!(blocks > 800, "{blocks} blocks");
    assert!(largest < 2000, "largest block {largest} bytes");
}

#[test]
fn a_store_from_before_the_search_blocks_gets_them_when_opened() {
    let dir = tempfile::tempdir().unwrap();
    drop(store_with_names(dir.path()));
    // What the previous release wrote: list rows in format 1, no search blocks, no key.
    {
        let db = raw(dir.path());
        let txn = db.begin_write().unwrap();
        assert!(txn.delete_table(BLOCKS).unwrap());
        {
            let meta: redb::TableDefinition<&str, &[u8]> =
                redb::TableDefinition::new("derived_meta");
            let mut m = txn.open_table(meta).unwrap();
            m.insert("rows_format", 1u64.to_le_bytes().as_slice())
                .unwrap();
            m.remove("search_key").unwrap();
        }
        txn.commit().unwrap();
    }
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    assert_same(&store, "after the upgrade");
}
