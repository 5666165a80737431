//! # What the read commands list, at any size
//!
//! `customer list`, `customer show`, `value` and `followup list` read the store's derived
//! rows and its value cache (`rapport_store::derived`): a page of customers reads its page,
//! not every summary, and the value analysis is computed once per change of its inputs,
//! settings or date rather than once per command. The meaning of every filter and of the
//! order stays in `rapport-query` ([`rapport_query::Compiled::admits`], name order), which
//! the app's table uses too.
//!
//! `RAPPORT_DERIVED=off` takes the path these replaced: every summary decoded and analysed
//! on each command. The benchmark (`rapport-bench cli`) runs both in one run, and the tests
//! check that both give the same output.

use anyhow::Result;
use chrono::{Local, NaiveDate, NaiveDateTime};
use rapport_model::Fields;
use rapport_model::{CustomerId, CustomerSummary};
use rapport_query::{Candidate, Column, Filter, Sort};
use rapport_store::{AgendaItem, DueEntry, LeftOutEntry, ListRowRef, SearchRow, Store, ValueCache};
use rapport_value::{Analysis, CustomerValue, ValueFacts, ValueSettings};

/// Whether the derived rows and the value cache are used (`RAPPORT_DERIVED=off` says no).
pub fn derived_enabled() -> bool {
    std::env::var("RAPPORT_DERIVED").map_or(true, |v| v != "off")
}

/// The value analysis as a command reads it: from the store's cache, or (the old path) a
/// whole analysis computed from every summary.
pub enum Values {
    Cached(Box<ValueCache>),
    Full(Box<Analysis>),
}

/// The value analysis of every customer under `settings` as of `today`.
pub fn values(store: &Store, settings: &ValueSettings, today: NaiveDate) -> Result<Values> {
    if derived_enabled() {
        Ok(Values::Cached(Box::new(
            store.value_cache(settings, today)?,
        )))
    } else {
        Ok(Values::Full(Box::new(rapport_value::analyse(
            &store.summaries()?,
            settings,
            today,
        ))))
    }
}

impl Values {
    /// The analysis's totals (with the per-customer rows only on the old path).
    pub fn totals(&self) -> &Analysis {
        match self {
            Values::Cached(c) => &c.totals,
            Values::Full(a) => a,
        }
    }

    /// One customer's value (`None` for archived, deleted and unknown customers).
    pub fn get(&self, id: CustomerId) -> Result<Option<CustomerValue>> {
        match self {
            Values::Cached(c) => Ok(c.get(id)?),
            Values::Full(a) => Ok(a.get(id).cloned()),
        }
    }

    /// What list filters read of one customer's value.
    pub fn facts(&self, id: CustomerId) -> rapport_store::Result<Option<ValueFacts>> {
        match self {
            Values::Cached(c) => c.facts(id),
            Values::Full(a) => Ok(a.get(id).map(CustomerValue::facts)),
        }
    }

    /// Every analysed customer's facts.
    fn all_facts(&self) -> Result<std::collections::HashMap<CustomerId, ValueFacts>> {
        match self {
            Values::Cached(c) => Ok(c.all_facts()?),
            Values::Full(a) => Ok(a.customers.iter().map(|v| (v.id, v.facts())).collect()),
        }
    }

    /// Customers due for a revisit, most valuable first, with names: `page.limit` of them
    /// after the first `page.offset` (only those are decoded from the cache).
    pub fn due_for_revisit(
        &self,
        names: impl Fn() -> Result<NameMap>,
        page: Page,
    ) -> Result<Vec<DueEntry>> {
        match self {
            Values::Cached(c) => Ok(c.due_page(page.offset, page.limit)?.0),
            Values::Full(a) => {
                let names = names()?;
                Ok(a.due_for_revisit()
                    .into_iter()
                    .skip(page.offset)
                    .take(page.limit.unwrap_or(usize::MAX))
                    .map(|v| DueEntry {
                        id: v.id,
                        name: names.get(&v.id).cloned().unwrap_or_default(),
                        effective_tier: v.effective_tier,
                        last_contact: v.last_contact,
                        next_revisit: v.next_revisit,
                        window_revenue: v.window_revenue,
                    })
                    .collect())
            }
        }
    }

    /// Customers left out of the ranking for want of an exchange rate, with names.
    pub fn left_out(&self, names: impl Fn() -> Result<NameMap>) -> Result<Vec<LeftOutEntry>> {
        match self {
            Values::Cached(c) => Ok(c.left_out.clone()),
            Values::Full(a) => {
                let names = names()?;
                Ok(a.left_out()
                    .map(|v| LeftOutEntry {
                        id: v.id,
                        name: names.get(&v.id).cloned().unwrap_or_default(),
                        currencies: v.left_out.clone(),
                    })
                    .collect())
            }
        }
    }
}

/// Which rows of a long list to return: `limit` of them (all if `None`) after the first
/// `offset`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Page {
    pub offset: usize,
    pub limit: Option<usize>,
}

impl Page {
    /// Everything.
    pub const ALL: Page = Page {
        offset: 0,
        limit: None,
    };

    /// How many rows must be read to fill the page.
    fn want(self) -> usize {
        self.offset.saturating_add(self.limit.unwrap_or(usize::MAX))
    }

    fn apply<T>(self, rows: Vec<T>) -> Vec<T> {
        rows.into_iter()
            .skip(self.offset)
            .take(self.limit.unwrap_or(usize::MAX))
            .collect()
    }
}

/// Customer names by id.
pub type NameMap = std::collections::HashMap<CustomerId, String>;

/// Every customer's name (the old path's way to name rows).
pub fn names(store: &Store) -> Result<NameMap> {
    Ok(store
        .summaries()?
        .into_iter()
        .map(|s| (s.id, s.name))
        .collect())
}

/// Which customers `customer list` shows.
pub struct ListAsk<'a> {
    pub filter: &'a Filter,
    /// Only customers without a tier (`--tier unranked`).
    pub unranked: bool,
    pub offset: usize,
    pub limit: Option<usize>,
    /// The order (name order, `Sort::default()`, reads the least).
    pub sort: Sort,
}

/// A `--sort` word: `name`, `company`, `tier`, `revenue`, `stage`, `owner`, `next-due`,
/// `updated` or a custom field's name (a field named like a built-in column by its id), with
/// `:desc` for the reverse order (`:asc` is the default).
pub fn parse_sort(fields: &Fields, spec: &str) -> Result<Sort> {
    let t = spec.trim();
    let (name, descending) = if let Some(n) = t.strip_suffix(":desc") {
        (n, true)
    } else if let Some(n) = t.strip_suffix(":asc") {
        (n, false)
    } else {
        (t, false)
    };
    let word = name.trim().to_ascii_lowercase().replace(['_', ' '], "-");
    let column = match word.as_str() {
        "name" => Column::Name,
        "company" => Column::Company,
        "tier" => Column::Tier,
        "revenue" => Column::Revenue,
        "stage" => Column::Stage,
        "owner" => Column::Owner,
        "next-due" | "next" | "due" | "next-follow-up" => Column::NextDue,
        "updated" => Column::Updated,
        _ => Column::Field(fields.find(name).cloned().ok_or_else(|| {
            anyhow::anyhow!(
                "--sort `{spec}`: no column or field named `{}` (columns: name, company, tier, revenue, stage, owner, next-due, updated; fields: rapport field list)",
                name.trim()
            )
        })?),
    };
    Ok(Sort { column, descending })
}

/// The customers that pass `ask.filter` (and `unranked`), in `ask.sort`'s order (name
/// order: collation key, then id, `rapport_query::Sort::default()`), paged; each with its
/// value. Any other order reads every summary and sorts them with
/// [`rapport_query::select`], as the app's table does.
pub fn list_customers(
    store: &Store,
    values: &Values,
    ask: &ListAsk<'_>,
) -> Result<Vec<(CustomerSummary, Option<CustomerValue>)>> {
    let limit = ask.limit.unwrap_or(usize::MAX);
    let want = ask.offset.saturating_add(limit);
    let needs_value = ask.filter.needs_value() || ask.unranked;
    let unranked_ok =
        |v: Option<ValueFacts>| !ask.unranked || v.and_then(|v| v.effective_tier).is_none();
    let by_name = ask.sort == Sort::default();
    let ids: Vec<CustomerId> = if by_name && derived_enabled() && ask.filter.needs_fields() {
        // Custom field tests read the summaries (the list rows do not carry the values),
        // with the cached value facts, in name order.
        let sums = store.summaries()?;
        let mut compiled = ask.filter.compile();
        let mut best = Best::new(want);
        for s in &sums {
            let v = if needs_value {
                values.facts(s.id)?
            } else {
                None
            };
            if compiled.admits(rapport_query::Candidate::from(s), v) && unranked_ok(v) {
                best.offer(&s.sort_key, s.id);
            }
        }
        best.page(ask.offset)
    } else if !by_name || !derived_enabled() {
        let sums = store.summaries()?;
        // The tier, revenue and stage orders and the value filters read each customer's
        // value: the cache keeps only its facts, so it is analysed here, from the same
        // inputs (settings and date) as the cache.
        let needs_value = needs_value
            || matches!(
                ask.sort.column,
                Column::Tier | Column::Revenue | Column::Stage
            );
        let analysed;
        let a = match values {
            Values::Full(a) => Some(&**a),
            Values::Cached(c) if needs_value => {
                analysed = rapport_value::analyse(&sums, &c.totals.settings, c.totals.today);
                Some(&analysed)
            }
            Values::Cached(_) => None,
        };
        let mut picked = rapport_query::select(&sums, a, ask.filter, ask.sort.clone());
        if ask.unranked {
            picked.retain(|&i| unranked_ok(a.and_then(|a| a.get(sums[i].id)).map(|v| v.facts())));
        }
        picked
            .into_iter()
            .skip(ask.offset)
            .take(limit)
            .map(|i| sums[i].id)
            .collect()
    } else if ask.filter.text.trim().is_empty()
        && (ask.filter.tier.is_some() || ask.filter.segment.is_some() || ask.filter.due_for_revisit)
    {
        // A value filter with no search: the cached facts say who can pass (a tier, segment
        // or revisit filter needs a value that has it), and only their rows are read.
        let facts = values.all_facts()?;
        let f = ask.filter;
        let maybe = facts.iter().filter(|(_, v)| f.value_may_pass(v));
        let mut compiled = f.compile();
        let mut best = Best::new(want);
        // In id order, as the rows are stored.
        let mut ids: Vec<CustomerId> = maybe.map(|(id, _)| *id).collect();
        ids.sort_unstable();
        store.visit_list_rows(ids, |row| {
            let v = facts.get(&row.id).copied();
            if compiled.admits(candidate(&row), v) && unranked_ok(v) {
                best.offer(row.sort_key, row.id);
            }
            Ok(true)
        })?;
        best.page(ask.offset)
    } else if ask.filter.text.trim().is_empty() {
        // In name order, stopping at the end of the page.
        let mut compiled = ask.filter.compile();
        let mut out = Vec::new();
        store.list_rows_by_name(|row| {
            if out.len() >= want {
                return Ok(false);
            }
            let v = if needs_value {
                values.facts(row.id)?
            } else {
                None
            };
            if compiled.admits(candidate(&row), v) && unranked_ok(v) {
                out.push(row.id);
            }
            Ok(true)
        })?;
        out.into_iter().skip(ask.offset).collect()
    } else {
        // A search: the search blocks hand over the customers it may match (every block is
        // read, on both cores; only the rows the index's prefilters let through are judged).
        let parts = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let probe = rapport_query::Search::new(&ask.filter.text);
        if ask.filter.text_only() && !ask.unranked {
            // Nothing but the search: the block's row is all the filter reads.
            let found = store.scan_search(
                &probe,
                parts,
                || (ask.filter.compile(), Best::new(want)),
                |(compiled, best), row| {
                    if compiled.admits(search_candidate(&row), None) {
                        best.offer(row.sort_key, row.id);
                    }
                },
            )?;
            let mut best = Best::new(want);
            for (_, part) in found {
                for (key, id) in part.heap {
                    best.offer(&key, id);
                }
            }
            best.page(ask.offset)
        } else {
            // The search's matches, then their list rows against the whole filter.
            let search_only = Filter {
                text: ask.filter.text.clone(),
                archived: ask.filter.archived,
                ..Filter::default()
            };
            let found = store.scan_search(
                &probe,
                parts,
                || (search_only.compile(), Vec::new()),
                |(compiled, ids), row| {
                    if compiled.admits(search_candidate(&row), None) {
                        ids.push(row.id);
                    }
                },
            )?;
            let mut ids: Vec<CustomerId> = found.into_iter().flat_map(|(_, ids)| ids).collect();
            ids.sort_unstable();
            // Every value fact in one read (a search may match thousands); a tier, segment or
            // revisit filter then needs only the rows whose facts can pass it.
            let facts = if needs_value {
                Some(values.all_facts()?)
            } else {
                None
            };
            let f = ask.filter;
            if let Some(facts) = &facts
                && (f.tier.is_some() || f.segment.is_some() || f.due_for_revisit)
            {
                ids.retain(|id| facts.get(id).is_some_and(|v| f.value_may_pass(v)));
            }
            let mut compiled = ask.filter.compile();
            let mut best = Best::new(want);
            store.visit_list_rows(ids, |row| {
                let v = facts.as_ref().and_then(|f| f.get(&row.id).copied());
                if compiled.admits(candidate(&row), v) && unranked_ok(v) {
                    best.offer(row.sort_key, row.id);
                }
                Ok(true)
            })?;
            best.page(ask.offset)
        }
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let s = store
            .summary(id)?
            .ok_or_else(|| anyhow::anyhow!("customer {id} vanished"))?;
        out.push((s, values.get(id)?));
    }
    Ok(out)
}

/// Deleted customers (the CLI's bin: `customer list --deleted`) with tag `tag`, whose search
/// text holds every word of `text`, in name order, paged.
pub fn list_deleted(
    store: &Store,
    tag: Option<&str>,
    text: Option<&str>,
    offset: usize,
    limit: Option<usize>,
) -> Result<Vec<CustomerSummary>> {
    let tag = tag.map(rapport_model::text::fold);
    let words: Vec<String> = text
        .map(rapport_model::text::fold)
        .unwrap_or_default()
        .split(' ')
        .filter(|w| !w.is_empty())
        .map(str::to_string)
        .collect();
    let want = offset.saturating_add(limit.unwrap_or(usize::MAX));
    let mut ids = Vec::new();
    store.list_rows_by_name(|row| {
        if row.deleted
            && tag.as_deref().is_none_or(|t| row.tags.contains(&t))
            && words.iter().all(|w| row.search.contains(w.as_str()))
        {
            ids.push(row.id);
        }
        Ok(ids.len() < want)
    })?;
    let mut out = Vec::new();
    for id in ids.into_iter().skip(offset) {
        if let Some(s) = store.summary(id)? {
            out.push(s);
        }
    }
    Ok(out)
}

/// The first `want` customers in name order (collation key, then id) of those offered: a
/// bounded max-heap, so a search matching half of 100,000 customers keeps (and copies the
/// key of) only the page.
struct Best {
    want: usize,
    heap: std::collections::BinaryHeap<(String, CustomerId)>,
}

impl Best {
    fn new(want: usize) -> Best {
        Best {
            want,
            heap: std::collections::BinaryHeap::new(),
        }
    }

    fn offer(&mut self, sort_key: &str, id: CustomerId) {
        if self.want == 0 {
            return;
        }
        if self.heap.len() < self.want {
            self.heap.push((sort_key.to_string(), id));
        } else if let Some(top) = self.heap.peek()
            && (sort_key, id) < (top.0.as_str(), top.1)
        {
            self.heap.pop();
            self.heap.push((sort_key.to_string(), id));
        }
    }

    /// The kept customers in name order, after the first `offset`.
    fn page(self, offset: usize) -> Vec<CustomerId> {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .skip(offset)
            .map(|(_, id)| id)
            .collect()
    }
}

/// A search block's row as a filter reads it: enough for a filter that is only a search
/// ([`Filter::text_only`]).
fn search_candidate<'a>(r: &SearchRow<'a>) -> Candidate<'a> {
    Candidate {
        id: r.id,
        name: r.name,
        company: r.company,
        search: r.search,
        tags: rapport_query::Tags::List(&[]),
        owner: "",
        stage: None,
        archived: r.archived,
        deleted: false,
        fields: None,
    }
}

fn candidate<'a>(r: &'a ListRowRef<'a>) -> Candidate<'a> {
    Candidate {
        id: r.id,
        name: r.name,
        company: r.company,
        search: r.search,
        tags: rapport_query::Tags::List(&r.tags),
        owner: r.owner,
        stage: r.stage,
        archived: r.archived,
        deleted: r.deleted,
        fields: None,
    }
}

/// Open follow-ups of active customers due up to and including `until` (all if `None`), in
/// the app's order: by due time, then customer name, then follow-up; only overdue ones at
/// `now` if `overdue`; paged by `page` (a page reads the days it needs, not every row).
pub fn agenda(
    store: &Store,
    until: Option<NaiveDate>,
    overdue_at: Option<NaiveDateTime>,
    page: Page,
) -> Result<Vec<AgendaItem>> {
    let kept = |i: &AgendaItem| overdue_at.is_none_or(|now| i.followup.due.is_overdue(now));
    let want = page.want();
    let mut rows: Vec<(String, AgendaItem)> = if derived_enabled() {
        // Days are read whole, so the page's order is exact once they are sorted.
        let (mut seen, mut count) = (0, 0);
        store.agenda_rows_while(until, |read| {
            count += read[seen..].iter().filter(|(_, i)| kept(i)).count();
            seen = read.len();
            count < want
        })?
    } else {
        store
            .agenda(until)?
            .into_iter()
            .map(|i| (rapport_model::text::sort_key(&i.customer_name), i))
            .collect()
    };
    rows.sort_by(|(a, i), (b, j)| {
        (i.followup.due.at(), a, i.followup.id).cmp(&(j.followup.due.at(), b, j.followup.id))
    });
    let mut items: Vec<AgendaItem> = rows.into_iter().map(|(_, i)| i).collect();
    items.retain(kept);
    Ok(page.apply(items))
}

/// Today, on this device's calendar.
pub fn today() -> NaiveDate {
    Local::now().date_naive()
}
