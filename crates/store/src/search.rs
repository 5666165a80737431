//! # The search blocks: what a search reads instead of a row per customer
//!
//! A search must look at every customer, and reading 100,000 list rows one by one (each a
//! value of its own, its text checked as UTF-8 as it is decoded) took most of a command's
//! time. The `search_blocks` table holds the same texts in [`BLOCKS`] values instead: each
//! customer is in the block its id hashes to under this store's own key (so a peer cannot
//! make one block large by choosing ids), and a block holds, per customer, the id, the
//! collation key, the name, the company, the archived and deleted flags and the
//! [`rapport_query::fuzzy_mask`] of the name and company, with every search text in one
//! buffer.
//!
//! [`Store::scan_search`] reads the blocks and, per block, looks each search word up in the
//! whole buffer at once (`memchr::memmem`), and tests the fuzzy pattern's letters against each
//! row's mask. Only the rows these two prefilters let through are handed to the caller, which
//! judges them exactly (`rapport_query::Compiled::admits`); the prefilters never drop a row
//! that matches (`crates/query/tests/query.rs`, `index_prefilters`).
//!
//! Invariants: a block is rewritten in the same write transaction as the summary its row
//! comes from (`derived::Tables::index`), rows are in id order, deleted customers have no
//! row, and everything here is derived locally from the summaries ([`Store::verify_derived`]
//! compares every block with one built from them).

use redb::{ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};

use rapport_model::{CustomerId, CustomerSummary};

use crate::{Result, Store, StoreError};

pub(crate) const SEARCH_BLOCKS: TableDefinition<u16, &[u8]> = TableDefinition::new("search_blocks");

/// How many blocks the customers are spread over: about 100 customers a block at 100,000
/// (some 25 KB by estimate, rewritten whole when one of them changes).
pub const BLOCKS: u16 = 1024;

/// One customer's entry in a block (its search text is in the block's buffer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    id: u128,
    /// Where its search text ends in the buffer (each text is followed by a newline).
    end: u32,
    mask: u64,
    archived: bool,
    sort_key: String,
    name: String,
    company: String,
}

/// [`Entry`] read in place.
#[derive(Deserialize)]
struct EntryRef<'a> {
    id: u128,
    end: u32,
    mask: u64,
    archived: bool,
    #[serde(borrow)]
    sort_key: &'a str,
    #[serde(borrow)]
    name: &'a str,
    #[serde(borrow)]
    company: &'a str,
}

/// A block as stored: the entries in id order, then every search text.
#[derive(Serialize)]
struct BlockOut<'a> {
    entries: &'a [Entry],
    text: &'a str,
}

/// A block read in place; the buffer is read as bytes (searched, not decoded: only the texts
/// of rows that pass are checked as UTF-8).
#[derive(Deserialize)]
struct BlockRef<'a> {
    #[serde(borrow)]
    entries: Vec<EntryRef<'a>>,
    #[serde(borrow)]
    text: &'a [u8],
}

/// One customer's row as a block holds it, with its search text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Row {
    entry: Entry,
    search: String,
}

impl Row {
    /// The row of `s` (deleted customers have none).
    pub(crate) fn of(s: &CustomerSummary) -> Option<Row> {
        if s.deleted {
            return None;
        }
        let mask = rapport_query::fuzzy_mask(&s.name) | rapport_query::fuzzy_mask(&s.company);
        Some(Row {
            entry: Entry {
                id: s.id.as_u128(),
                end: 0,
                mask,
                archived: s.archived,
                sort_key: s.sort_key.clone(),
                name: s.name.clone(),
                company: s.company.clone(),
            },
            search: s.search.clone(),
        })
    }

    pub(crate) fn id(&self) -> u128 {
        self.entry.id
    }
}

/// The block of customer `id` under the store's key.
pub(crate) fn block_of(key: &[u8; 32], id: u128) -> u16 {
    let h = blake3::keyed_hash(key, &id.to_le_bytes());
    let b = h.as_bytes();
    u16::from_le_bytes([b[0], b[1]]) % BLOCKS
}

/// A block's rows, decoded.
pub(crate) fn decode(bytes: &[u8]) -> Result<Vec<Row>> {
    let block: BlockRef<'_> = postcard::from_bytes(bytes)?;
    let mut start = 0usize;
    let mut rows = Vec::with_capacity(block.entries.len());
    for e in block.entries {
        let end = e.end as usize;
        let search = row_text(block.text, start, end)?.to_string();
        start = end + 1;
        rows.push(Row {
            entry: Entry {
                id: e.id,
                end: e.end,
                mask: e.mask,
                archived: e.archived,
                sort_key: e.sort_key.to_string(),
                name: e.name.to_string(),
                company: e.company.to_string(),
            },
            search,
        });
    }
    Ok(rows)
}

/// One row's search text, `start..end` of a block's buffer.
fn row_text(text: &[u8], start: usize, end: usize) -> Result<&str> {
    let bytes = text
        .get(start..end)
        .ok_or_else(|| StoreError::Decode("a search block's text is cut short".into()))?;
    std::str::from_utf8(bytes)
        .map_err(|_| StoreError::Decode("a search block's text is not UTF-8".into()))
}

/// The stored form of `rows` (put in id order here).
pub(crate) fn encode(rows: &mut [Row]) -> Result<Vec<u8>> {
    rows.sort_by_key(|r| r.entry.id);
    let mut text = String::new();
    let mut entries = Vec::with_capacity(rows.len());
    for r in rows.iter() {
        text.push_str(&r.search);
        let end = u32::try_from(text.len())
            .map_err(|_| StoreError::Refused("a search block passed 4 GiB".into()))?;
        text.push('\n');
        let mut e = r.entry.clone();
        e.end = end;
        entries.push(e);
    }
    Ok(postcard::to_stdvec(&BlockOut {
        entries: &entries,
        text: &text,
    })?)
}

/// A customer a search may match, as the search blocks hold it: what
/// `rapport_query::Compiled::admits` reads of a row when the filter is only a search
/// ([`rapport_query::Filter::text_only`]).
#[derive(Clone, Copy, Debug)]
pub struct SearchRow<'a> {
    pub id: CustomerId,
    pub sort_key: &'a str,
    pub name: &'a str,
    pub company: &'a str,
    /// The folded search text.
    pub search: &'a str,
    pub archived: bool,
}

impl Store {
    /// Hands `visit` every customer that may match `search` (deleted ones never): those whose
    /// search text holds every one of its words, and, when it has a fuzzy pattern, those
    /// whose name and company have its letters. The caller judges each exactly. The blocks
    /// are read in `parts` ranges at once, one thread each: `make` gives each part its state.
    pub fn scan_search<V: Send>(
        &self,
        search: &rapport_query::Search,
        parts: usize,
        make: impl Fn() -> V + Sync,
        visit: impl Fn(&mut V, SearchRow<'_>) + Sync,
    ) -> Result<Vec<V>> {
        let finders: Vec<memchr::memmem::Finder<'_>> = search
            .words()
            .iter()
            .map(|w| memchr::memmem::Finder::new(w.as_bytes()))
            .collect();
        let bits = search.fuzzy_bits();
        let parts = parts.clamp(1, 16) as u16;
        let step = BLOCKS.div_ceil(parts);
        let scan = |lo: u16, hi: u16| -> Result<V> {
            let txn = self.db.begin_read()?;
            let mut state = make();
            let t = match txn.open_table(SEARCH_BLOCKS) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(state),
                Err(e) => return Err(e.into()),
            };
            // Per row of a block: how many of the words its text holds.
            let mut hits: Vec<u32> = Vec::new();
            for row in t.range(lo..hi)? {
                let (_, v) = row?;
                let block: BlockRef<'_> = postcard::from_bytes(v.value())?;
                let starts = |i: usize| {
                    if i == 0 {
                        0
                    } else {
                        block.entries[i - 1].end as usize + 1
                    }
                };
                hits.clear();
                hits.resize(block.entries.len(), 0);
                for (n, f) in finders.iter().enumerate() {
                    // Occurrences come in order, so the row they fall in only moves forward;
                    // a row is counted once per word.
                    let mut i = 0;
                    for at in f.find_iter(block.text) {
                        while i < block.entries.len() && block.entries[i].end as usize <= at {
                            i += 1;
                        }
                        if i == block.entries.len() {
                            break;
                        }
                        if hits[i] == n as u32 {
                            hits[i] += 1;
                        }
                    }
                }
                for (i, e) in block.entries.iter().enumerate() {
                    let words = hits[i] as usize == finders.len();
                    let fuzzy = bits.is_some_and(|b| e.mask & b == b);
                    if !(words || fuzzy) {
                        continue;
                    }
                    let search = row_text(block.text, starts(i), e.end as usize)?;
                    visit(
                        &mut state,
                        SearchRow {
                            id: CustomerId::from_u128(e.id),
                            sort_key: e.sort_key,
                            name: e.name,
                            company: e.company,
                            search,
                            archived: e.archived,
                        },
                    );
                }
            }
            Ok(state)
        };
        std::thread::scope(|sc| {
            let handles: Vec<_> = (0..parts)
                .map(|i| {
                    let lo = (i * step).min(BLOCKS);
                    let hi = ((i + 1) * step).min(BLOCKS);
                    let scan = &scan;
                    sc.spawn(move || scan(lo, hi))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join()
                        .map_err(|_| StoreError::Decode("a search thread panicked".into()))?
                })
                .collect()
        })
    }
}
