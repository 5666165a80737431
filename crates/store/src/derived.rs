//! # Derived rows: what commands read instead of whole summaries
//!
//! A summary row holds everything about a customer that lists, the agenda and value analysis
//! need, but decoding 100,000 of them (dates as text, deals, follow-ups, notes) takes about a
//! second and 300 MiB. The CLI answers in a few milliseconds from these smaller tables:
//!
//! - `list_rows`: per customer, the [`ListRow`] a list filter and search read (name, company,
//!   folded search text, tags, owner, stage, archived, deleted).
//! - `value_inputs`: per customer, what value analysis reads, encoded compactly (dates and
//!   instants as numbers), with a counter that moves only when some customer's inputs change.
//! - `agenda_rows`: per open follow-up of an active customer, keyed like the agenda index
//!   (due, customer, follow-up), the row the agenda prints ([`AgendaRow`]).
//!
//! These three are written by the same write transaction as the summary they come from
//! (`Writer::index`), so they are never behind it. A store from before they existed gets them
//! once, from its summaries, when it is opened.
//!
//! - The value cache (`value_cache`, `derived_meta`): the value analysis of every customer,
//!   computed from `value_inputs` when asked ([`Store::value_cache`]) and kept under a key of
//!   (inputs counter, settings digest, date, [`CACHE_FORMAT`]). An edit that changes no value
//!   input (a note, a phone number) leaves it current; a new day, a settings change or a new
//!   deal makes the next reader compute it again.
//!
//! Invariants: everything here is derived locally and deterministically from the summaries,
//! never synced, and never trusted over them. [`Store::verify_derived`] (run by `rapport
//! check`) recomputes every row and the current analysis from the summaries and reports any
//! difference; a value cache that differs is dropped (it is recomputed on next use).

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use rapport_model::{
    Currency, CustomerId, CustomerKind, CustomerSummary, DealFact, DealStatus, Importance, ItemId,
    LifecycleStage, OpenFollowUp, Tier, TierOverride, Timestamp, Urgency,
};
use rapport_value::{Analysis, CustomerValue, ValueFacts, ValueSettings};
use redb::{
    ReadTransaction, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};
use serde::{Deserialize, Serialize};

use crate::search::{self, SEARCH_BLOCKS};
use crate::tables::{BY_NAME, SUMMARIES, decode_summary};
use crate::{AgendaItem, Result, Store, StoreError};

pub(crate) const LIST_ROWS: TableDefinition<u128, &[u8]> = TableDefinition::new("list_rows");
pub(crate) const VALUE_INPUTS: TableDefinition<u128, &[u8]> = TableDefinition::new("value_inputs");
pub(crate) const AGENDA_ROWS: TableDefinition<(&str, u128, u128), &[u8]> =
    TableDefinition::new("agenda_rows");
/// Per analysed customer: `postcard((ValueFacts, CustomerValue))`.
pub(crate) const VALUE_ROWS: TableDefinition<u128, &[u8]> = TableDefinition::new("value_cache");
/// `rows_format`, `inputs_seq`, `value_key`, `value_meta`.
pub(crate) const DERIVED_META: TableDefinition<&str, &[u8]> = TableDefinition::new("derived_meta");

/// Format of the three row tables; a store whose rows have another one rebuilds them from its
/// summaries when opened.
/// 2: the search blocks (`crate::search`) joined them.
const ROWS_FORMAT: u32 = 2;
/// Format of the value cache, and the meaning of `rapport-value`'s analysis: bump it when
/// either changes, so no device keeps an analysis an older build computed. (`rapport check`
/// would find such a cache and drop it anyway.)
pub const CACHE_FORMAT: u32 = 2;

/// What a list filter and search read of one customer (see `rapport_query::Candidate`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListRow {
    pub id: CustomerId,
    pub sort_key: String,
    pub name: String,
    pub company: String,
    pub search: String,
    pub tags: BTreeSet<String>,
    pub owner: String,
    pub stage: Option<LifecycleStage>,
    pub archived: bool,
    pub deleted: bool,
}

impl ListRow {
    /// The list row of `s`.
    pub fn of(s: &CustomerSummary) -> ListRow {
        ListRow {
            id: s.id,
            sort_key: s.sort_key.clone(),
            name: s.name.clone(),
            company: s.company.clone(),
            search: s.search.clone(),
            tags: s.tags.clone(),
            owner: s.owner.clone(),
            stage: s.stage,
            archived: s.archived,
            deleted: s.deleted,
        }
    }
}

/// A [`ListRow`] read in place: its texts borrowed from the stored bytes, so a scan of every
/// row allocates nothing per row.
#[derive(Clone, Debug, Deserialize)]
pub struct ListRowRef<'a> {
    pub id: CustomerId,
    #[serde(borrow)]
    pub sort_key: &'a str,
    #[serde(borrow)]
    pub name: &'a str,
    #[serde(borrow)]
    pub company: &'a str,
    #[serde(borrow)]
    pub search: &'a str,
    #[serde(borrow)]
    pub tags: Vec<&'a str>,
    #[serde(borrow)]
    pub owner: &'a str,
    pub stage: Option<LifecycleStage>,
    pub archived: bool,
    pub deleted: bool,
}

/// An open follow-up with its customer, as the agenda prints it, and the customer's collation
/// key (the agenda orders by due time, then customer name).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaRow {
    pub sort_key: String,
    pub customer_name: String,
    pub followup: OpenFollowUp,
}

impl AgendaRow {
    /// The agenda row of `s`'s open follow-up `f`.
    pub fn of(s: &CustomerSummary, f: &OpenFollowUp) -> AgendaRow {
        AgendaRow {
            sort_key: s.sort_key.clone(),
            customer_name: s.name.clone(),
            followup: f.clone(),
        }
    }
}

/// An instant as (seconds, nanoseconds) since 1970.
type Instant = (i64, u32);

fn instant(t: &Timestamp) -> Instant {
    (t.timestamp(), t.timestamp_subsec_nanos())
}

fn from_instant((secs, nanos): Instant) -> Result<Timestamp> {
    DateTime::<Utc>::from_timestamp(secs, nanos)
        .ok_or_else(|| StoreError::Decode(format!("instant {secs}.{nanos} out of range")))
}

fn day(d: NaiveDate) -> i32 {
    d.num_days_from_ce()
}

fn from_day(n: i32) -> Result<NaiveDate> {
    NaiveDate::from_num_days_from_ce_opt(n)
        .ok_or_else(|| StoreError::Decode(format!("day {n} out of range")))
}

/// What value analysis reads of one customer, compactly: no text dates, no follow-ups, no
/// search text. `name` is kept for the revisit list and the value report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct ValueInput {
    name: String,
    archived: bool,
    deleted: bool,
    /// (id, day, minor units, currency, status, probability), oldest first.
    deals: Vec<(u128, i32, i64, Currency, DealStatus, u8)>,
    last_contact: Option<Instant>,
    created_at: Instant,
    referred_by: Option<u128>,
    tier_override: Option<TierOverride>,
    stage: Option<LifecycleStage>,
}

impl ValueInput {
    fn of(s: &CustomerSummary) -> ValueInput {
        ValueInput {
            name: s.name.clone(),
            archived: s.archived,
            deleted: s.deleted,
            deals: s
                .deals
                .iter()
                .map(|d| {
                    (
                        d.id.as_u128(),
                        day(d.date),
                        d.minor,
                        d.currency,
                        d.status,
                        d.probability,
                    )
                })
                .collect(),
            last_contact: s.last_contact.as_ref().map(instant),
            created_at: instant(&s.created_at),
            referred_by: s.referred_by.map(|r| r.as_u128()),
            tier_override: s.tier_override.clone(),
            stage: s.stage,
        }
    }

    /// A summary that carries exactly what value analysis reads (everything else empty), so
    /// `rapport_value::analyse` gives over these what it gives over the whole summaries.
    fn summary(self, id: CustomerId) -> Result<CustomerSummary> {
        let deals = self
            .deals
            .into_iter()
            .map(|(id, d, minor, currency, status, probability)| {
                Ok(DealFact {
                    id: ItemId::from_u128(id),
                    date: from_day(d)?,
                    minor,
                    currency,
                    status,
                    probability,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let created_at = from_instant(self.created_at)?;
        Ok(CustomerSummary {
            id,
            fields: Default::default(),
            name: self.name,
            sort_key: String::new(),
            kind: CustomerKind::default(),
            company: String::new(),
            tags: BTreeSet::new(),
            owner: String::new(),
            stage: self.stage,
            importance: Importance::default(),
            urgency: Urgency::default(),
            archived: self.archived,
            deleted: self.deleted,
            email: None,
            phone: None,
            contact_count: 0,
            last_purchase: deals
                .iter()
                .filter(|d| d.status == DealStatus::Won)
                .map(|d| d.date)
                .max(),
            deals,
            last_contact: self.last_contact.map(from_instant).transpose()?,
            open_followups: Vec::new(),
            referred_by: self.referred_by.map(CustomerId::from_u128),
            tier_override: self.tier_override,
            created_at,
            updated_at: created_at,
            search: String::new(),
        })
    }
}

/// What the value cache was computed from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct CacheKey {
    format: u32,
    inputs_seq: u64,
    settings: [u8; 32],
    today: i32,
}

fn settings_digest(settings: &ValueSettings) -> Result<[u8; 32]> {
    Ok(*blake3::hash(&postcard::to_stdvec(settings)?).as_bytes())
}

/// A customer due for a revisit, as `followup list --due-revisit` prints it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEntry {
    pub id: CustomerId,
    pub name: String,
    pub effective_tier: Option<Tier>,
    #[serde(with = "opt_day")]
    pub last_contact: Option<NaiveDate>,
    #[serde(with = "as_day")]
    pub next_revisit: NaiveDate,
    pub window_revenue: i64,
}

/// A customer left out of the ranking for want of an exchange rate.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOutEntry {
    pub id: CustomerId,
    pub name: String,
    pub currencies: Vec<Currency>,
}

mod as_day {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_i32(super::day(*d))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let n = i32::deserialize(d)?;
        super::from_day(n).map_err(serde::de::Error::custom)
    }
}

mod opt_day {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    pub fn serialize<S: Serializer>(d: &Option<NaiveDate>, s: S) -> Result<S::Ok, S::Error> {
        d.map(super::day).serialize(s)
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
        Option::<i32>::deserialize(d)?
            .map(|n| super::from_day(n).map_err(serde::de::Error::custom))
            .transpose()
    }
}

/// The cached totals: the analysis without its per-customer rows, and who was left out. (The
/// revisit list, which can hold most customers, is a row of its own: `value_due`.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct CacheMeta {
    totals: Analysis,
    left_out: Vec<LeftOutEntry>,
}

/// The value analysis as of one date under one set of settings, read from the cache: the
/// totals in memory, each customer's value read when asked.
pub struct ValueCache {
    txn: ReadTransaction,
    /// The value-input counter the analysis was computed at.
    inputs_seq: u64,
    /// The analysis without its per-customer rows (`customers` is empty; use
    /// [`ValueCache::get`]).
    pub totals: Analysis,
    /// Customers left out of the ranking for want of an exchange rate, in id order.
    pub left_out: Vec<LeftOutEntry>,
}

impl std::fmt::Debug for ValueCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ValueCache")
            .field("today", &self.totals.today)
            .field("ranked", &self.totals.ranked)
            .finish_non_exhaustive()
    }
}

impl ValueCache {
    /// The value-input counter this analysis was computed at: it moves when some customer's
    /// value inputs change, and only then.
    pub fn inputs_generation(&self) -> u64 {
        self.inputs_seq
    }

    /// Customers due for a revisit, most valuable first (as `Analysis::due_for_revisit`).
    pub fn due(&self) -> Result<Vec<DueEntry>> {
        let meta = self.txn.open_table(DERIVED_META)?;
        match meta.get("value_due")? {
            Some(g) => Ok(postcard::from_bytes(g.value())?),
            None => Ok(Vec::new()),
        }
    }

    /// A page of [`ValueCache::due`]: `limit` entries (all if `None`) after the first
    /// `offset`, and how many there are in all. Only the page is decoded.
    pub fn due_page(&self, offset: usize, limit: Option<usize>) -> Result<(Vec<DueEntry>, usize)> {
        let meta = self.txn.open_table(DERIVED_META)?;
        let Some(g) = meta.get("value_due")? else {
            return Ok((Vec::new(), 0));
        };
        // postcard writes a sequence as its length (a varint), then each entry.
        let (total, mut rest) = postcard::take_from_bytes::<usize>(g.value())?;
        let end = offset
            .saturating_add(limit.unwrap_or(usize::MAX))
            .min(total);
        let mut page = Vec::with_capacity(end.saturating_sub(offset));
        for i in 0..end {
            let (entry, tail) = postcard::take_from_bytes::<DueEntry>(rest)?;
            rest = tail;
            if i >= offset {
                page.push(entry);
            }
        }
        Ok((page, total))
    }

    /// The value of one customer (`None` for archived, deleted and unknown ones).
    pub fn get(&self, id: CustomerId) -> Result<Option<CustomerValue>> {
        let t = self.txn.open_table(VALUE_ROWS)?;
        let Some(g) = t.get(id.as_u128())? else {
            return Ok(None);
        };
        let (_, v): (ValueFacts, CustomerValue) = postcard::from_bytes(g.value())?;
        Ok(Some(v))
    }

    /// What list filters read of one customer's value, without decoding the rest.
    pub fn facts(&self, id: CustomerId) -> Result<Option<ValueFacts>> {
        let t = self.txn.open_table(VALUE_ROWS)?;
        let Some(g) = t.get(id.as_u128())? else {
            return Ok(None);
        };
        let (facts, _) = postcard::take_from_bytes::<ValueFacts>(g.value())?;
        Ok(Some(facts))
    }

    /// Every analysed customer's facts, in id order.
    /// (One row, `value_facts`, holds them all: a tier filter reads that row instead of
    /// every cached value.)
    pub fn all_facts(&self) -> Result<HashMap<CustomerId, ValueFacts>> {
        let meta = self.txn.open_table(DERIVED_META)?;
        let Some(g) = meta.get("value_facts")? else {
            return Ok(HashMap::new());
        };
        let all: Vec<(u128, ValueFacts)> = postcard::from_bytes(g.value())?;
        Ok(all
            .into_iter()
            .map(|(k, f)| (CustomerId::from_u128(k), f))
            .collect())
    }
}

fn read_u64(meta: &impl ReadableTable<&'static str, &'static [u8]>, key: &str) -> Result<u64> {
    Ok(meta
        .get(key)?
        .and_then(|g| <[u8; 8]>::try_from(g.value()).ok())
        .map(u64::from_le_bytes)
        .unwrap_or(0))
}

/// The derived tables of one write transaction (part of `Writer`).
pub(crate) struct Tables<'t> {
    list: redb::Table<'t, u128, &'static [u8]>,
    inputs: redb::Table<'t, u128, &'static [u8]>,
    agenda: redb::Table<'t, (&'static str, u128, u128), &'static [u8]>,
    meta: redb::Table<'t, &'static str, &'static [u8]>,
    search: redb::Table<'t, u16, &'static [u8]>,
    /// This store's key for placing customers in search blocks.
    search_key: [u8; 32],
    /// Whether some value input changed in this transaction (the counter moves once).
    inputs_changed: bool,
}

impl<'t> Tables<'t> {
    pub(crate) fn open(txn: &'t redb::WriteTransaction) -> Result<Self> {
        let mut meta = txn.open_table(DERIVED_META)?;
        let stored = meta
            .get("search_key")?
            .and_then(|g| <[u8; 32]>::try_from(g.value()).ok());
        let search_key = match stored {
            Some(k) => k,
            None => {
                // A new store (or one from before the search blocks): its own key, so no peer
                // can choose ids that crowd one block.
                let k: [u8; 32] = rand::random();
                meta.insert("search_key", k.as_slice())?;
                k
            }
        };
        Ok(Tables {
            list: txn.open_table(LIST_ROWS)?,
            inputs: txn.open_table(VALUE_INPUTS)?,
            agenda: txn.open_table(AGENDA_ROWS)?,
            meta,
            search: txn.open_table(SEARCH_BLOCKS)?,
            search_key,
            inputs_changed: false,
        })
    }

    /// Rewrites the search block that holds customer `s`, with its row (or without it, once
    /// it is deleted).
    fn index_search(&mut self, s: &CustomerSummary) -> Result<()> {
        let id = s.id.as_u128();
        let b = search::block_of(&self.search_key, id);
        let mut rows = match self.search.get(b)? {
            Some(g) => search::decode(g.value())?,
            None => Vec::new(),
        };
        rows.retain(|r| r.id() != id);
        rows.extend(search::Row::of(s));
        if rows.is_empty() {
            self.search.remove(b)?;
        } else {
            self.search
                .insert(b, search::encode(&mut rows)?.as_slice())?;
        }
        Ok(())
    }

    /// Rewrites the derived rows of `new` (whose previous summary was `old`).
    pub(crate) fn index(
        &mut self,
        new: &CustomerSummary,
        old: Option<&CustomerSummary>,
    ) -> Result<()> {
        let key = new.id.as_u128();
        self.list
            .insert(key, postcard::to_stdvec(&ListRow::of(new))?.as_slice())?;
        let searched_before = old.map(|o| {
            (
                &o.search,
                &o.name,
                &o.company,
                &o.sort_key,
                o.archived,
                o.deleted,
            )
        });
        if searched_before
            != Some((
                &new.search,
                &new.name,
                &new.company,
                &new.sort_key,
                new.archived,
                new.deleted,
            ))
        {
            self.index_search(new)?;
        }
        let input = postcard::to_stdvec(&ValueInput::of(new))?;
        let same = self
            .inputs
            .get(key)?
            .is_some_and(|g| g.value() == input.as_slice());
        if !same {
            self.inputs.insert(key, input.as_slice())?;
            self.bump_inputs()?;
        }
        if let Some(old) = old {
            for f in &old.open_followups {
                self.agenda
                    .remove((f.due.to_string().as_str(), key, f.id.as_u128()))?;
            }
        }
        if !new.deleted && !new.archived {
            for f in &new.open_followups {
                let row = AgendaRow::of(new, f);
                self.agenda.insert(
                    (f.due.to_string().as_str(), key, f.id.as_u128()),
                    postcard::to_stdvec(&row)?.as_slice(),
                )?;
            }
        }
        Ok(())
    }

    fn bump_inputs(&mut self) -> Result<()> {
        if !self.inputs_changed {
            self.inputs_changed = true;
            let n = read_u64(&self.meta, "inputs_seq")?.wrapping_add(1);
            self.meta.insert("inputs_seq", n.to_le_bytes().as_slice())?;
        }
        Ok(())
    }

    /// Empties the row tables (before they are written again from every summary).
    pub(crate) fn clear(&mut self) -> Result<()> {
        self.list.retain(|_, _| false)?;
        self.search.retain(|_, _| false)?;
        self.inputs.retain(|_, _| false)?;
        self.agenda.retain(|_, _| false)?;
        self.bump_inputs()
    }

    /// Marks the rows as written in the current format.
    pub(crate) fn mark_current(&mut self) -> Result<()> {
        self.meta.insert(
            "rows_format",
            u64::from(ROWS_FORMAT).to_le_bytes().as_slice(),
        )?;
        Ok(())
    }
}

impl Store {
    /// Writes the derived rows from the summaries if they are missing or in an older format
    /// (a store from before them, once). Reads every summary, no document.
    pub(crate) fn ensure_derived(&self) -> Result<()> {
        {
            let txn = self.db.begin_read()?;
            if let Ok(meta) = txn.open_table(DERIVED_META)
                && read_u64(&meta, "rows_format")? == u64::from(ROWS_FORMAT)
            {
                return Ok(());
            }
        }
        tracing::info!("writing the derived list, value and agenda rows from the summaries");
        let txn = self.begin_write()?;
        {
            let mut t = Tables::open(&txn)?;
            t.clear()?;
            let sums = txn.open_table(SUMMARIES)?;
            for row in sums.iter()? {
                let s = decode_summary(row?.1.value())?;
                t.index(&s, None)?;
            }
            t.mark_current()?;
        }
        self.commit(txn)
    }

    /// Calls `visit` with the list row of each of `ids` that has one, in the order given,
    /// until it returns `false`.
    pub fn visit_list_rows(
        &self,
        ids: impl IntoIterator<Item = CustomerId>,
        mut visit: impl FnMut(ListRowRef<'_>) -> Result<bool>,
    ) -> Result<()> {
        let txn = self.db.begin_read()?;
        let rows = txn.open_table(LIST_ROWS)?;
        for id in ids {
            let Some(g) = rows.get(id.as_u128())? else {
                continue;
            };
            if !visit(postcard::from_bytes(g.value())?)? {
                break;
            }
        }
        Ok(())
    }

    /// Calls `visit` with each customer's list row in name order (collation key, then id)
    /// until it returns `false`.
    pub fn list_rows_by_name(
        &self,
        mut visit: impl FnMut(ListRowRef<'_>) -> Result<bool>,
    ) -> Result<()> {
        let txn = self.db.begin_read()?;
        let by_name = txn.open_table(BY_NAME)?;
        let rows = txn.open_table(LIST_ROWS)?;
        let summaries = txn.open_table(SUMMARIES)?;
        for row in by_name.iter()? {
            let id = row?.0.value().1;
            let visited = match rows.get(id)? {
                Some(g) => visit(postcard::from_bytes(g.value())?)?,
                // No list row for a named customer (a damaged file; `rapport check` says
                // so): its summary still lists it.
                None => match summaries.get(id)? {
                    Some(g) => {
                        let row = postcard::to_stdvec(&ListRow::of(&decode_summary(g.value())?))?;
                        visit(postcard::from_bytes(&row)?)?
                    }
                    None => true,
                },
            };
            if !visited {
                break;
            }
        }
        Ok(())
    }

    /// Open follow-ups of active customers due up to and including `until` (all if `None`),
    /// from the agenda rows, with each customer's collation key; in due-text order.
    pub fn agenda_rows(&self, until: Option<NaiveDate>) -> Result<Vec<(String, AgendaItem)>> {
        self.agenda_rows_while(until, |_| true)
    }

    /// [`Store::agenda_rows`], read a whole day at a time: after each day, `more` is asked
    /// (with every row read so far) whether to read the next. A page of the agenda reads its
    /// days, not every open follow-up, and a day is never cut, so sorting what was read by
    /// due time and name gives the agenda's first rows exactly.
    pub fn agenda_rows_while(
        &self,
        until: Option<NaiveDate>,
        mut more: impl FnMut(&[(String, AgendaItem)]) -> bool,
    ) -> Result<Vec<(String, AgendaItem)>> {
        let txn = self.db.begin_read()?;
        let t = txn.open_table(AGENDA_ROWS)?;
        // Due texts start with the date, so everything due on `until` sorts before `until`+1.
        let bound = until
            .and_then(|d| d.succ_opt())
            .map(|d| d.format("%Y-%m-%d").to_string());
        let mut out = Vec::new();
        let mut last_day: Option<String> = None;
        for row in t.iter()? {
            let (k, v) = row?;
            let (due, cid, _) = k.value();
            if bound.as_deref().is_some_and(|b| due >= b) {
                break;
            }
            // Due texts start with the day (`YYYY-MM-DD`).
            let day = due.get(..10).unwrap_or(due);
            if last_day.as_deref() != Some(day) {
                if last_day.is_some() && !more(&out) {
                    break;
                }
                last_day = Some(day.to_string());
            }
            let r: AgendaRow = postcard::from_bytes(v.value())?;
            out.push((
                r.sort_key,
                AgendaItem {
                    customer: CustomerId::from_u128(cid),
                    customer_name: r.customer_name,
                    followup: r.followup,
                },
            ));
        }
        Ok(out)
    }

    fn inputs_seq(&self, txn: &ReadTransaction) -> Result<u64> {
        match txn.open_table(DERIVED_META) {
            Ok(meta) => read_u64(&meta, "inputs_seq"),
            Err(redb::TableError::TableDoesNotExist(_)) => Ok(0),
            Err(e) => Err(e.into()),
        }
    }

    /// The value analysis of every customer under `settings` as of `today`: from the cache
    /// when it was computed from the same inputs, settings and date, else computed now from
    /// the value inputs (not the summaries) and cached for the next command.
    pub fn value_cache(&self, settings: &ValueSettings, today: NaiveDate) -> Result<ValueCache> {
        let digest = settings_digest(settings)?;
        let want = |seq| CacheKey {
            format: CACHE_FORMAT,
            inputs_seq: seq,
            settings: digest,
            today: day(today),
        };
        let txn = self.db.begin_read()?;
        let seq = self.inputs_seq(&txn)?;
        if let Some(c) = cached(txn, &want(seq))? {
            return Ok(c);
        }
        // The analysis as of the refresh's own snapshot of the inputs: a write landing just
        // after it makes the next command compute again, not this one. Only another caller
        // refreshing under other settings or another date in between can replace it.
        for _ in 0..3 {
            let key = self.refresh_values(settings, today, &digest)?;
            if let Some(c) = cached(self.db.begin_read()?, &key)? {
                return Ok(c);
            }
        }
        Err(StoreError::Refused(
            "the value analysis kept being replaced while it was computed; try again".into(),
        ))
    }

    /// Whether the stored value cache is the analysis under `settings` as of `today` of the
    /// current inputs (so [`Store::value_cache`] would read it rather than compute it).
    pub fn value_cache_current(&self, settings: &ValueSettings, today: NaiveDate) -> Result<bool> {
        let txn = self.db.begin_read()?;
        let want = CacheKey {
            format: CACHE_FORMAT,
            inputs_seq: self.inputs_seq(&txn)?,
            settings: settings_digest(settings)?,
            today: day(today),
        };
        Ok(cached(txn, &want)?.is_some())
    }

    /// Whatever value cache is stored, under whichever key (for [`Store::verify_derived`],
    /// which checks it against the key it holds).
    fn value_cache_any(&self) -> Result<ValueCache> {
        let txn = self.db.begin_read()?;
        let meta = txn.open_table(DERIVED_META)?;
        let m: CacheMeta = match meta.get("value_meta")? {
            Some(g) => postcard::from_bytes(g.value())?,
            None => return Err(StoreError::Decode("value cache missing".into())),
        };
        drop(meta);
        let inputs_seq = key_of(&txn)?.map_or(0, |k| k.inputs_seq);
        Ok(ValueCache {
            txn,
            inputs_seq,
            totals: m.totals,
            left_out: m.left_out,
        })
    }

    /// Computes the analysis from the value inputs and replaces the cache with it, unless
    /// the cache already holds it (another caller computed it first).
    fn refresh_values(
        &self,
        settings: &ValueSettings,
        today: NaiveDate,
        digest: &[u8; 32],
    ) -> Result<CacheKey> {
        let txn = self.begin_write()?;
        let key;
        {
            let mut meta = txn.open_table(DERIVED_META)?;
            key = CacheKey {
                format: CACHE_FORMAT,
                inputs_seq: read_u64(&meta, "inputs_seq")?,
                settings: *digest,
                today: day(today),
            };
            let stored: Option<CacheKey> = meta
                .get("value_key")?
                .and_then(|g| postcard::from_bytes(g.value()).ok());
            let readable = meta
                .get("value_meta")?
                .is_some_and(|g| postcard::from_bytes::<CacheMeta>(g.value()).is_ok())
                && meta.get("value_due")?.is_some()
                && meta.get("value_facts")?.is_some();
            if stored == Some(key) && readable {
                drop(meta);
                txn.abort()?;
                return Ok(key);
            }
            let inputs = txn.open_table(VALUE_INPUTS)?;
            let mut sums = Vec::with_capacity(usize::try_from(inputs.len()?).unwrap_or(0));
            for row in inputs.iter()? {
                let (k, v) = row?;
                let input: ValueInput = postcard::from_bytes(v.value())?;
                sums.push(input.summary(CustomerId::from_u128(k.value()))?);
            }
            drop(inputs);
            let mut analysis = rapport_value::analyse(&sums, settings, today);
            let names: BTreeMap<CustomerId, String> =
                sums.into_iter().map(|s| (s.id, s.name)).collect();
            let (due, left_out) = due_and_left_out(&analysis, &names);
            let mut rows = txn.open_table(VALUE_ROWS)?;
            rows.retain(|_, _| false)?;
            let mut facts = Vec::with_capacity(analysis.customers.len());
            for v in &analysis.customers {
                rows.insert(
                    v.id.as_u128(),
                    postcard::to_stdvec(&(v.facts(), v))?.as_slice(),
                )?;
                facts.push((v.id.as_u128(), v.facts()));
            }
            meta.insert("value_facts", postcard::to_stdvec(&facts)?.as_slice())?;
            analysis.customers.clear();
            let meta_row = CacheMeta {
                totals: analysis,
                left_out,
            };
            meta.insert("value_meta", postcard::to_stdvec(&meta_row)?.as_slice())?;
            meta.insert("value_due", postcard::to_stdvec(&due)?.as_slice())?;
            meta.insert("value_key", postcard::to_stdvec(&key)?.as_slice())?;
        }
        self.commit(txn)?;
        Ok(key)
    }

    /// Every search block against the one the summaries make.
    fn verify_search(
        &self,
        txn: &ReadTransaction,
        sums: &[CustomerSummary],
    ) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let meta = txn.open_table(DERIVED_META)?;
        let Some(key) = meta
            .get("search_key")?
            .and_then(|g| <[u8; 32]>::try_from(g.value()).ok())
        else {
            return Ok(vec!["the search blocks have no key".to_string()]);
        };
        let mut want: BTreeMap<u16, Vec<search::Row>> = BTreeMap::new();
        for s in sums {
            if let Some(r) = search::Row::of(s) {
                want.entry(search::block_of(&key, r.id()))
                    .or_default()
                    .push(r);
            }
        }
        let blocks = txn.open_table(SEARCH_BLOCKS)?;
        for row in blocks.iter()? {
            let (k, v) = row?;
            let b = k.value();
            let got = search::decode(v.value());
            let mut expected = want.remove(&b).unwrap_or_default();
            let expected = search::encode(&mut expected).and_then(|e| search::decode(&e));
            match (got, expected) {
                (Ok(g), Ok(e)) if g == e => {}
                (Err(e), _) => problems.push(format!("search block {b} does not decode: {e}")),
                _ => problems.push(format!("search block {b} differs from the summaries")),
            }
        }
        for b in want.keys() {
            problems.push(format!("search block {b} is missing"));
        }
        Ok(problems)
    }

    /// Recomputes every derived row and the current value cache from the summaries and
    /// reports each difference. A value cache that differs is dropped (the next command
    /// computes it again); differing rows are reported for `rebuild_summaries` to repair.
    pub fn verify_derived(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let sums = self.summaries()?;
        let txn = self.db.begin_read()?;
        let list = txn.open_table(LIST_ROWS)?;
        let inputs = txn.open_table(VALUE_INPUTS)?;
        let agenda = txn.open_table(AGENDA_ROWS)?;
        let mut want_agenda = 0u64;
        for s in &sums {
            let key = s.id.as_u128();
            let row = list
                .get(key)?
                .map(|g| postcard::from_bytes::<ListRow>(g.value()))
                .transpose()?;
            if row.as_ref() != Some(&ListRow::of(s)) {
                problems.push(format!("{}: list row differs from its summary", s.id));
            }
            let input = postcard::to_stdvec(&ValueInput::of(s))?;
            if inputs.get(key)?.map(|g| g.value().to_vec()) != Some(input) {
                problems.push(format!("{}: value input differs from its summary", s.id));
            }
            if !s.deleted && !s.archived {
                for f in &s.open_followups {
                    want_agenda += 1;
                    let want = AgendaRow::of(s, f);
                    let got = agenda
                        .get((f.due.to_string().as_str(), key, f.id.as_u128()))?
                        .map(|g| postcard::from_bytes::<AgendaRow>(g.value()))
                        .transpose()?;
                    if got.as_ref() != Some(&want) {
                        problems.push(format!(
                            "{}: agenda row of follow-up {} differs from its summary",
                            s.id, f.id
                        ));
                    }
                }
            }
        }
        for (what, n) in [("list", list.len()?), ("value input", inputs.len()?)] {
            if n != sums.len() as u64 {
                problems.push(format!("{n} {what} rows for {} summaries", sums.len()));
            }
        }
        if agenda.len()? != want_agenda {
            problems.push(format!(
                "{} agenda rows for {want_agenda} open follow-ups",
                agenda.len()?
            ));
        }
        drop((list, inputs, agenda));
        problems.extend(self.verify_search(&txn, &sums)?);
        // The value cache, if it claims to be current for the inputs it was computed from.
        let meta = txn.open_table(DERIVED_META)?;
        let seq = read_u64(&meta, "inputs_seq")?;
        let key: Option<CacheKey> = meta
            .get("value_key")?
            .and_then(|g| postcard::from_bytes(g.value()).ok());
        drop(meta);
        if let Some(key) = key
            && key.inputs_seq == seq
            && key.format == CACHE_FORMAT
        {
            let cache = self.value_cache_any()?;
            let mut fresh =
                rapport_value::analyse(&sums, &cache.totals.settings, cache.totals.today);
            let names: BTreeMap<CustomerId, String> =
                sums.iter().map(|s| (s.id, s.name.clone())).collect();
            let mut wrong = Vec::new();
            for v in &fresh.customers {
                if cache.get(v.id)?.as_ref() != Some(v) {
                    wrong.push(format!(
                        "{}: cached value differs from a fresh analysis",
                        v.id
                    ));
                }
            }
            let want_facts: HashMap<CustomerId, ValueFacts> =
                fresh.customers.iter().map(|v| (v.id, v.facts())).collect();
            if cache.all_facts()? != want_facts {
                wrong.push("cached value facts differ from a fresh analysis".to_string());
            }
            let rows = cache.txn.open_table(VALUE_ROWS)?.len()?;
            if rows != fresh.customers.len() as u64 {
                wrong.push(format!(
                    "{rows} cached values for {} analysed customers",
                    fresh.customers.len()
                ));
            }
            let (due, left_out) = due_and_left_out(&fresh, &names);
            fresh.customers.clear();
            // Compared as stored: the analysis's id index is not part of what is cached.
            if due != cache.due()?
                || left_out != cache.left_out
                || postcard::to_stdvec(&fresh)? != postcard::to_stdvec(&cache.totals)?
            {
                wrong.push("cached value totals differ from a fresh analysis".to_string());
            }
            if !wrong.is_empty() {
                drop(cache);
                self.drop_value_cache()?;
                problems.extend(wrong);
                problems
                    .push("the value cache was dropped; the next command computes it again".into());
            }
        }
        Ok(problems)
    }

    /// Forgets the value cache (it is computed again when next asked for).
    pub fn drop_value_cache(&self) -> Result<()> {
        let txn = self.begin_write()?;
        {
            let mut meta = txn.open_table(DERIVED_META)?;
            meta.remove("value_key")?;
            meta.remove("value_meta")?;
            meta.remove("value_due")?;
            meta.remove("value_facts")?;
            txn.open_table(VALUE_ROWS)?.retain(|_, _| false)?;
        }
        self.commit(txn)
    }
}

/// The revisit list and the left-out customers of `analysis`, with names.
fn due_and_left_out(
    analysis: &Analysis,
    names: &BTreeMap<CustomerId, String>,
) -> (Vec<DueEntry>, Vec<LeftOutEntry>) {
    let name = |id: &CustomerId| names.get(id).cloned().unwrap_or_default();
    let due = analysis
        .due_for_revisit()
        .into_iter()
        .map(|v| DueEntry {
            id: v.id,
            name: name(&v.id),
            effective_tier: v.effective_tier,
            last_contact: v.last_contact,
            next_revisit: v.next_revisit,
            window_revenue: v.window_revenue,
        })
        .collect();
    let left_out = analysis
        .left_out()
        .map(|v| LeftOutEntry {
            id: v.id,
            name: name(&v.id),
            currencies: v.left_out.clone(),
        })
        .collect();
    (due, left_out)
}

/// The key the stored value cache was computed under.
fn key_of(txn: &ReadTransaction) -> Result<Option<CacheKey>> {
    let meta = txn.open_table(DERIVED_META)?;
    Ok(meta
        .get("value_key")?
        .and_then(|g| postcard::from_bytes(g.value()).ok()))
}

/// The cache stored under `want`, if that is what is stored.
fn cached(txn: ReadTransaction, want: &CacheKey) -> Result<Option<ValueCache>> {
    let meta = match txn.open_table(DERIVED_META) {
        Ok(m) => m,
        Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let key: Option<CacheKey> = meta
        .get("value_key")?
        .and_then(|g| postcard::from_bytes(g.value()).ok());
    if key.as_ref() != Some(want) {
        return Ok(None);
    }
    // All its rows, or it is not a cache (one written by a build with another layout).
    for part in ["value_due", "value_facts"] {
        if meta.get(part)?.is_none() {
            return Ok(None);
        }
    }
    let Some(g) = meta.get("value_meta")? else {
        return Ok(None);
    };
    // A cache that does not decode is only a cache: compute it again.
    let m: CacheMeta = match postcard::from_bytes(g.value()) {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "the value cache did not decode; computing it again");
            return Ok(None);
        }
    };
    drop(g);
    drop(meta);
    Ok(Some(ValueCache {
        txn,
        inputs_seq: want.inputs_seq,
        totals: m.totals,
        left_out: m.left_out,
    }))
}
