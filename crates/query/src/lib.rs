//! # rapport-query: what the lists show
//!
//! Pure functions over [`CustomerSummary`] rows and a value [`Analysis`]: no IO, no UI. The
//! app's customer table, agenda and value screens call them on a background thread, and the
//! CLI's `customer list` and `followup list --week` call the same functions, so the two front
//! ends mean the same by a search, a tier filter and "this week"
//! (`app/tests/integration/parity.rs`).
//!
//! - [`select`]: search-as-you-type and filters (tier, stage, tag, owner, segment, due for a
//!   revisit, custom fields), then a sort by any column, a custom field's too. Search is CJK-aware (the summary's folded search
//!   text carries pinyin readings and initials, so `zw`, `zhang wei` and `张伟` all find
//!   张伟) and forgiving: every word must occur in the search text, or the whole query must
//!   match the name or company as a fuzzy subsequence (`nucleo-matcher`, helix's matcher),
//!   so `blwtr` finds Bluewater.
//! - [`agenda`]: open follow-ups bucketed into overdue, today, this week and later.
//!
//! Everything is deterministic: ties are broken by customer id.

use std::borrow::Borrow;
use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};
use rapport_model::{CustomerId, CustomerSummary, LifecycleStage, OpenFollowUp, Tier, text};
use rapport_value::{Analysis, Segment, ValueFacts};
use serde::{Deserialize, Serialize};

/// Which customers a list shows.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Filter {
    /// Search text (empty: everyone).
    pub text: String,
    pub tier: Option<Tier>,
    pub stage: Option<LifecycleStage>,
    pub segment: Option<Segment>,
    /// A tag (as stored: normalised lower case).
    pub tag: Option<String>,
    pub owner: Option<String>,
    /// Only customers due for a revisit by their tier's cadence.
    pub due_for_revisit: bool,
    /// Include archived customers.
    pub archived: bool,
    /// Tests of custom field values, all of which must hold.
    #[serde(default)]
    pub fields: Vec<FieldFilter>,
}

/// A test of one custom field's value ([`Filter::fields`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldFilter {
    /// The field, as the team defined it (its kind says how values compare).
    pub field: rapport_model::FieldDef,
    pub test: FieldTest,
}

/// What a custom field's value must be. Values are the kind's canonical text
/// ([`rapport_model::FieldDef::parse`]); ranges compare numbers, amounts and dates
/// ([`rapport_model::FieldDef::numeric`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldTest {
    /// Equal (folded: case, width and spacing do not matter), e.g. an option.
    Equals(String),
    /// At least this value.
    AtLeast(String),
    /// At most this value.
    AtMost(String),
    /// Set to anything.
    IsSet,
}

/// A field test made ready for many rows.
enum FieldCheck {
    Equals(String),
    AtLeast(f64),
    AtMost(f64),
    IsSet,
    /// A bound that is no number: nothing passes.
    Never,
}

impl Filter {
    /// Whether the search text (and whether archived customers count) is all this filter
    /// tests: then a row that carries only the name, company, search text and flags can be
    /// judged by [`Compiled::admits`] exactly.
    pub fn text_only(&self) -> bool {
        self.fields.is_empty()
            && self.tier.is_none()
            && self.stage.is_none()
            && self.segment.is_none()
            && self.tag.is_none()
            && self.owner.is_none()
            && !self.due_for_revisit
    }

    /// Whether any filter besides the search text is set.
    pub fn is_filtered(&self) -> bool {
        !self.fields.is_empty()
            || self.tier.is_some()
            || self.stage.is_some()
            || self.segment.is_some()
            || self.tag.is_some()
            || self.owner.is_some()
            || self.due_for_revisit
            || self.archived
    }
}

/// A sortable column of the customer table: a built-in one, or one of the team's custom
/// fields (its definition, as [`FieldFilter`] carries one, so the sort knows the kind without
/// the team settings; a caller holding a stale copy refreshes it by id).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Column {
    #[default]
    Name,
    Company,
    Tier,
    /// Revenue in the value window.
    Revenue,
    Stage,
    Owner,
    /// Earliest open follow-up.
    NextDue,
    Updated,
    /// A custom field's value, compared by the field's kind (see [`select`]).
    Field(rapport_model::FieldDef),
}

impl Column {
    /// The built-in columns.
    pub const ALL: [Column; 8] = [
        Column::Name,
        Column::Company,
        Column::Tier,
        Column::Revenue,
        Column::Stage,
        Column::Owner,
        Column::NextDue,
        Column::Updated,
    ];

    /// The header: a built-in column's label, or the custom field's name.
    pub fn label(&self) -> &str {
        match self {
            Column::Name => "Name",
            Column::Company => "Company",
            Column::Tier => "Tier",
            Column::Revenue => "Revenue",
            Column::Stage => "Stage",
            Column::Owner => "Owner",
            Column::NextDue => "Next follow-up",
            Column::Updated => "Updated",
            Column::Field(def) => &def.name,
        }
    }

    /// The custom field this column shows, if it is one.
    pub fn field(&self) -> Option<&rapport_model::FieldDef> {
        match self {
            Column::Field(def) => Some(def),
            _ => None,
        }
    }
}

/// A sort: column and direction.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sort {
    pub column: Column,
    pub descending: bool,
}

impl Sort {
    /// This sort with its custom field's definition as the team has it now (renamed, its
    /// options changed), found by id; by name when the field is gone or removed. A sort kept
    /// between runs or across a settings change goes through this before [`select`].
    pub fn refreshed(&self, fields: &rapport_model::Fields) -> Sort {
        match &self.column {
            Column::Field(def) => match fields.by_id(&def.id).filter(|d| !d.removed) {
                Some(now) => Sort {
                    column: Column::Field(now.clone()),
                    descending: self.descending,
                },
                None => Sort::default(),
            },
            _ => self.clone(),
        }
    }
}

/// A compiled search: the folded words and a fuzzy pattern.
pub struct Search {
    words: Vec<String>,
    pattern: Option<Pattern>,
    matcher: Matcher,
    buf: Vec<char>,
}

impl Search {
    /// Compiles `query`; an empty query matches everyone.
    pub fn new(query: &str) -> Search {
        let folded = text::fold(query);
        let words: Vec<String> = folded
            .split(' ')
            .filter(|w| !w.is_empty())
            .map(str::to_string)
            .collect();
        // Fuzzy matching only for queries long enough to mean something (a single letter
        // would match almost every name).
        let fuzzy = folded.chars().filter(|c| !c.is_whitespace()).count() >= 3;
        let pattern = fuzzy.then(|| {
            Pattern::new(
                &folded,
                CaseMatching::Ignore,
                Normalization::Smart,
                AtomKind::Fuzzy,
            )
        });
        Search {
            words,
            pattern,
            matcher: Matcher::new(Config::DEFAULT),
            buf: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The folded words, each of which must occur in a row's search text (the first way to
    /// match: an index can look them up as plain substrings).
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// For the second way to match (the fuzzy pattern): the [`fuzzy_mask`] bits a name or
    /// company must all have to match it; `None` when the query is too short to match
    /// fuzzily. A prefilter only: a row with the bits may still not match.
    pub fn fuzzy_bits(&self) -> Option<u64> {
        self.pattern.as_ref()?;
        Some(
            self.words
                .iter()
                .flat_map(|w| w.chars())
                .filter_map(mask_bit)
                .fold(0, |m, b| m | (1 << b)),
        )
    }

    /// Whether `s` matches: every word occurs in its search text, or the query matches its
    /// name or company as a close fuzzy subsequence.
    pub fn matches(&mut self, s: &CustomerSummary) -> bool {
        self.matches_text(&s.name, &s.company, &s.search)
    }

    /// [`Search::matches`] on the three texts it reads: the name, the company and the folded
    /// search text (so a compact row can be searched without a whole summary).
    pub fn matches_text(&mut self, name: &str, company: &str, search: &str) -> bool {
        if self.words.iter().all(|w| search.contains(w.as_str())) {
            return true;
        }
        let Some(pattern) = &self.pattern else {
            return false;
        };
        let needed: u32 = self.words.iter().map(|w| w.chars().count() as u32).sum();
        // nucleo gives 16 per matched character, minus gap penalties: demand most of that,
        // so scattered letters across a long name do not count.
        let threshold = needed * 12;
        // nucleo ignores case and normalises Unicode itself: no folding (and no allocation)
        // per row here, which keeps a miss cheap.
        for hay in [name, company] {
            if hay.is_empty() {
                continue;
            }
            let h = Utf32Str::new(hay, &mut self.buf);
            if pattern
                .score(h, &mut self.matcher)
                .is_some_and(|score| score >= threshold)
            {
                return true;
            }
        }
        false
    }
}

/// The bit of a letter or digit in a [`fuzzy_mask`] (other characters have none).
fn mask_bit(c: char) -> Option<u32> {
    match c {
        'a'..='z' => Some(c as u32 - 'a' as u32),
        '0'..='9' => Some(26 + c as u32 - '0' as u32),
        _ => None,
    }
}

/// The ASCII letters and digits a fuzzy pattern could match in `hay` (a name or company),
/// as bits: each character counts as itself, lower-cased, and with its accents removed, as
/// the fuzzy matcher reads it. A row whose mask lacks a bit of [`Search::fuzzy_bits`] cannot
/// match the pattern, so a search index keeps this mask to skip the matcher.
pub fn fuzzy_mask(hay: &str) -> u64 {
    use nucleo_matcher::chars::{normalize, to_lower_case};
    let mut m = 0u64;
    for c in hay.chars() {
        let n = normalize(c);
        for x in [
            c,
            to_lower_case(c),
            n,
            to_lower_case(n),
            c.to_ascii_lowercase(),
        ] {
            if let Some(b) = mask_bit(x) {
                m |= 1 << b;
            }
        }
    }
    m
}

/// What a filter reads of one customer: a borrowed view of its summary, or of any compact
/// row that carries these fields (the store keeps one, so a list at 100k customers need not
/// decode every summary). [`Compiled::admits`] is the one meaning of every filter.
#[derive(Clone, Copy, Debug)]
pub struct Candidate<'a> {
    pub id: CustomerId,
    pub name: &'a str,
    pub company: &'a str,
    /// The folded search text ([`CustomerSummary::search`]).
    pub search: &'a str,
    pub tags: Tags<'a>,
    pub owner: &'a str,
    /// The manual lifecycle stage, if any.
    pub stage: Option<LifecycleStage>,
    pub archived: bool,
    pub deleted: bool,
    /// Custom field values by field id, when the row carries them (summaries do; the
    /// store's list rows do not, so a filter with field tests reads summaries).
    pub fields: Option<&'a std::collections::BTreeMap<String, String>>,
}

impl<'a> From<&'a CustomerSummary> for Candidate<'a> {
    fn from(s: &'a CustomerSummary) -> Self {
        Candidate {
            id: s.id,
            name: &s.name,
            company: &s.company,
            search: &s.search,
            tags: Tags::Set(&s.tags),
            owner: &s.owner,
            stage: s.stage,
            archived: s.archived,
            deleted: s.deleted,
            fields: Some(&s.fields),
        }
    }
}

/// A customer's tags (as stored: normalised lower case), as a set or a list.
#[derive(Clone, Copy, Debug)]
pub enum Tags<'a> {
    Set(&'a BTreeSet<String>),
    List(&'a [&'a str]),
}

impl Tags<'_> {
    /// Whether `tag` is one of them.
    pub fn contains(&self, tag: &str) -> bool {
        match self {
            Tags::Set(s) => s.contains(tag),
            Tags::List(l) => l.contains(&tag),
        }
    }
}

/// A [`Filter`] made ready for many rows: the search compiled, the tag and owner folded once.
pub struct Compiled<'f> {
    filter: &'f Filter,
    search: Search,
    tag: Option<String>,
    owner: Option<String>,
    fields: Vec<(&'f rapport_model::FieldDef, FieldCheck)>,
}

impl Filter {
    /// Compiles the filter for [`Compiled::admits`].
    pub fn compile(&self) -> Compiled<'_> {
        let bound = |f: &rapport_model::FieldDef, v: &str, make: fn(f64) -> FieldCheck| {
            f.numeric(v).map_or(FieldCheck::Never, make)
        };
        Compiled {
            filter: self,
            search: Search::new(&self.text),
            tag: self.tag.as_deref().map(rapport_model::normalize_tag),
            owner: self.owner.as_deref().map(text::fold),
            fields: self
                .fields
                .iter()
                .map(|ff| {
                    let f = &ff.field;
                    let check = match &ff.test {
                        FieldTest::Equals(v) => FieldCheck::Equals(text::fold(v)),
                        FieldTest::AtLeast(v) => bound(f, v, FieldCheck::AtLeast),
                        FieldTest::AtMost(v) => bound(f, v, FieldCheck::AtMost),
                        FieldTest::IsSet => FieldCheck::IsSet,
                    };
                    (f, check)
                })
                .collect(),
        }
    }

    /// Whether admitting a row needs its custom field values (rows without them,
    /// [`Candidate::fields`] `None`, never pass a field test).
    pub fn needs_fields(&self) -> bool {
        !self.fields.is_empty()
    }

    /// Whether a customer whose value facts are `v` can pass the filter's value tests (tier,
    /// segment, due for a revisit) at all: what [`Compiled::admits`] asks of the value before
    /// anything else, so a caller holding only the facts can skip the rest of a row.
    pub fn value_may_pass(&self, v: &ValueFacts) -> bool {
        self.tier.is_none_or(|t| v.effective_tier == Some(t))
            && self.segment.is_none_or(|g| v.segment == g)
            && (!self.due_for_revisit || v.due_for_revisit)
    }

    /// Whether admitting a row needs its value analysis (a tier, segment, revisit or stage
    /// filter); without one, [`Compiled::admits`] ignores the value it is given.
    pub fn needs_value(&self) -> bool {
        self.tier.is_some()
            || self.segment.is_some()
            || self.due_for_revisit
            || self.stage.is_some()
    }
}

impl Compiled<'_> {
    /// The compiled search text.
    pub fn search(&self) -> &Search {
        &self.search
    }

    /// Whether `c`, whose value facts are `v` (`None` when it was not analysed: archived,
    /// deleted, or no analysis at hand), passes the filter. Deleted customers never pass;
    /// archived ones only with [`Filter::archived`]. The cheap tests run first, the search
    /// last.
    pub fn admits(&mut self, c: Candidate<'_>, v: Option<ValueFacts>) -> bool {
        let f = self.filter;
        if c.deleted || (c.archived && !f.archived) {
            return false;
        }
        if self.tag.as_ref().is_some_and(|t| !c.tags.contains(t)) {
            return false;
        }
        if self
            .owner
            .as_ref()
            .is_some_and(|o| text::fold(c.owner) != *o)
        {
            return false;
        }
        if !self.fields.is_empty() {
            let Some(values) = c.fields else {
                return false;
            };
            for (def, check) in &self.fields {
                let v = values.get(&def.id);
                let ok = match (check, v) {
                    (FieldCheck::IsSet, v) => v.is_some(),
                    (_, None) | (FieldCheck::Never, _) => false,
                    (FieldCheck::Equals(want), Some(v)) => text::fold(v) == *want,
                    (FieldCheck::AtLeast(min), Some(v)) => {
                        def.numeric(v).is_some_and(|n| n >= *min)
                    }
                    (FieldCheck::AtMost(max), Some(v)) => def.numeric(v).is_some_and(|n| n <= *max),
                };
                if !ok {
                    return false;
                }
            }
        }
        let value_ok = f
            .tier
            .is_none_or(|t| v.and_then(|v| v.effective_tier) == Some(t))
            && f.segment.is_none_or(|g| v.map(|v| v.segment) == Some(g))
            && (!f.due_for_revisit || v.is_some_and(|v| v.due_for_revisit))
            && f.stage
                .is_none_or(|st| c.stage.or(v.map(|v| v.stage)) == Some(st));
        value_ok
            && (self.search.is_empty() || self.search.matches_text(c.name, c.company, c.search))
    }
}

fn tier_rank(t: Option<Tier>) -> u8 {
    match t {
        Some(Tier::Vip) => 0,
        Some(Tier::Major) => 1,
        Some(Tier::Common) => 2,
        Some(Tier::Minor) => 3,
        None => 4,
    }
}

fn stage_rank(s: Option<LifecycleStage>) -> u8 {
    match s {
        Some(LifecycleStage::Exploration) => 0,
        Some(LifecycleStage::Formation) => 1,
        Some(LifecycleStage::Stability) => 2,
        Some(LifecycleStage::Decline) => 3,
        None => 4,
    }
}

/// The effective lifecycle stage of `s`: the manual one, else the inferred one.
fn stage_of(s: &CustomerSummary, analysis: Option<&Analysis>) -> Option<LifecycleStage> {
    s.stage
        .or_else(|| analysis.and_then(|a| a.get(s.id)).map(|v| v.stage))
}

/// A custom field's value made ready to compare ([`field_key`]).
#[derive(Clone, Debug, PartialEq)]
enum FieldKey {
    /// A number, an amount (currencies are not converted: amounts compare as written) or a
    /// date's day number.
    Number(f64),
    /// Text by its collation key (folded; Chinese by pinyin).
    Text(String),
    /// A choice by its option's place in the field's options (a value no longer among them
    /// after every option, by text), or yes/no as 0 (no) and 1 (yes).
    Rank(usize, String),
}

impl FieldKey {
    fn cmp(&self, other: &FieldKey) -> Ordering {
        match (self, other) {
            (FieldKey::Number(a), FieldKey::Number(b)) => a.total_cmp(b),
            (FieldKey::Text(a), FieldKey::Text(b)) => a.cmp(b),
            (FieldKey::Rank(a, x), FieldKey::Rank(b, y)) => (a, x).cmp(&(b, y)),
            // One field's values all make one kind of key.
            _ => Ordering::Equal,
        }
    }
}

/// How `value` of field `def` sorts; `None` for no value, or one its kind cannot read (a
/// value kept from before the field's kind changed), which sorts with the customers
/// without one.
fn field_key(def: &rapport_model::FieldDef, value: Option<&String>) -> Option<FieldKey> {
    use rapport_model::FieldKind;
    let v = value?;
    match def.kind {
        FieldKind::Number | FieldKind::Money | FieldKind::Date => {
            def.numeric(v).map(FieldKey::Number)
        }
        FieldKind::Text => Some(FieldKey::Text(text::sort_key(v))),
        FieldKind::Choice => {
            let rank = def
                .options
                .iter()
                .position(|o| o == v)
                .unwrap_or(def.options.len());
            Some(FieldKey::Rank(rank, text::sort_key(v)))
        }
        FieldKind::YesNo => match v.as_str() {
            "no" => Some(FieldKey::Rank(0, String::new())),
            "yes" => Some(FieldKey::Rank(1, String::new())),
            _ => None,
        },
    }
}

/// Indices of the `summaries` rows that pass `filter`, ordered by `sort` (ties by name, then
/// id). Deleted customers never appear; archived ones only with [`Filter::archived`].
///
/// A custom field column ([`Column::Field`]) sorts by the field's kind: numbers, amounts
/// (as written, whatever their currency) and dates numerically, text by its collation key
/// (case-folded, Chinese by pinyin), a choice in the order of the field's options, yes/no
/// with no before yes. Customers without a value go last in both directions.
pub fn select<S: Borrow<CustomerSummary>>(
    summaries: &[S],
    analysis: Option<&Analysis>,
    filter: &Filter,
    sort: Sort,
) -> Vec<usize> {
    let mut compiled = filter.compile();
    let mut out: Vec<usize> = summaries
        .iter()
        .map(Borrow::borrow)
        .enumerate()
        .filter(|(_, s)| {
            compiled.admits(
                Candidate::from(*s),
                analysis.and_then(|a| a.get(s.id)).map(|v| v.facts()),
            )
        })
        .map(|(i, _)| i)
        .collect();
    let value = |s: &CustomerSummary| analysis.and_then(|a| a.get(s.id));
    // Text keys computed once per listed row, not once per comparison.
    let text_key = |s: &CustomerSummary| match sort.column {
        Column::Company => text::sort_key(&s.company),
        Column::Owner => text::fold(&s.owner),
        _ => String::new(),
    };
    let keys: std::collections::HashMap<usize, String> =
        if matches!(sort.column, Column::Company | Column::Owner) {
            out.iter()
                .map(|&i| (i, text_key(summaries[i].borrow())))
                .collect()
        } else {
            Default::default()
        };
    let field_keys: std::collections::HashMap<usize, FieldKey> = match &sort.column {
        Column::Field(def) => out
            .iter()
            .filter_map(|&i| {
                let s: &CustomerSummary = summaries[i].borrow();
                field_key(def, s.fields.get(&def.id)).map(|k| (i, k))
            })
            .collect(),
        _ => Default::default(),
    };
    out.sort_by(|&a, &b| {
        let (x, y): (&CustomerSummary, &CustomerSummary) =
            (summaries[a].borrow(), summaries[b].borrow());
        // Rows without a value of the sorted custom field go last, in either direction.
        let mut missing = Ordering::Equal;
        let primary = match &sort.column {
            Column::Name => Ordering::Equal,
            Column::Company | Column::Owner => keys.get(&a).cmp(&keys.get(&b)),
            Column::Tier => tier_rank(value(x).and_then(|v| v.effective_tier))
                .cmp(&tier_rank(value(y).and_then(|v| v.effective_tier))),
            // Highest revenue first when ascending is asked of a money column would surprise
            // nobody less than the reverse; keep plain numeric order and let `descending` flip.
            Column::Revenue => value(x)
                .map_or(0, |v| v.window_revenue)
                .cmp(&value(y).map_or(0, |v| v.window_revenue)),
            Column::Stage => {
                stage_rank(stage_of(x, analysis)).cmp(&stage_rank(stage_of(y, analysis)))
            }
            // Customers without a follow-up go last.
            Column::NextDue => match (x.next_due(), y.next_due()) {
                (Some(p), Some(q)) => p.at().cmp(&q.at()),
                (Some(_), None) => Ordering::Less,
                (None, Some(_)) => Ordering::Greater,
                (None, None) => Ordering::Equal,
            },
            Column::Updated => x.updated_at.cmp(&y.updated_at),
            Column::Field(_) => match (field_keys.get(&a), field_keys.get(&b)) {
                (Some(p), Some(q)) => p.cmp(q),
                (p, q) => {
                    missing = p.is_none().cmp(&q.is_none());
                    Ordering::Equal
                }
            },
        };
        let primary = if sort.descending {
            missing.then(primary.reverse())
        } else {
            missing.then(primary)
        };
        let by_name = x.sort_key.cmp(&y.sort_key).then(x.id.cmp(&y.id));
        if sort.column == Column::Name && sort.descending {
            primary.then(by_name.reverse())
        } else {
            primary.then(by_name)
        }
    });
    out
}

/// An open follow-up with its customer.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AgendaEntry {
    pub customer: CustomerId,
    pub customer_name: String,
    pub followup: OpenFollowUp,
}

/// Open follow-ups of active customers, bucketed by when they are due.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Agenda {
    /// Due before now (a date-only follow-up is overdue from the next day).
    pub overdue: Vec<AgendaEntry>,
    /// Due today and not overdue.
    pub today: Vec<AgendaEntry>,
    /// Due after today, up to the end of this week (Sunday).
    pub this_week: Vec<AgendaEntry>,
    /// How many are due later.
    pub later: usize,
}

impl Agenda {
    pub fn len(&self) -> usize {
        self.overdue.len() + self.today.len() + self.this_week.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The last day of `today`'s week: the coming Sunday (today itself on a Sunday). What "this
/// week" means everywhere: the app's agenda and `rapport followup list --week`.
pub fn end_of_week(today: NaiveDate) -> NaiveDate {
    today + chrono::Days::new(u64::from(6 - today.weekday().num_days_from_monday()))
}

/// The agenda at local time `now`: each bucket ordered by due time, then customer name.
pub fn agenda<S: Borrow<CustomerSummary>>(summaries: &[S], now: NaiveDateTime) -> Agenda {
    let today = now.date();
    let week_end = end_of_week(today);
    let mut all: Vec<(&CustomerSummary, &OpenFollowUp)> = summaries
        .iter()
        .map(Borrow::borrow)
        .filter(|s: &&CustomerSummary| !s.deleted && !s.archived)
        .flat_map(|s| s.open_followups.iter().map(move |f| (s, f)))
        .collect();
    all.sort_by(|(a, f), (b, g)| {
        f.due
            .at()
            .cmp(&g.due.at())
            .then(a.sort_key.cmp(&b.sort_key))
            .then(f.id.cmp(&g.id))
    });
    let mut out = Agenda::default();
    for (s, f) in all {
        let entry = || AgendaEntry {
            customer: s.id,
            customer_name: s.name.clone(),
            followup: f.clone(),
        };
        if f.due.is_overdue(now) {
            out.overdue.push(entry());
        } else if f.due.date == today {
            out.today.push(entry());
        } else if f.due.date <= week_end {
            out.this_week.push(entry());
        } else {
            out.later += 1;
        }
    }
    out
}

/// Follow-ups that fell due between `since` (exclusive) and `now` (inclusive): what the app
/// announces while it runs. A date-only follow-up falls due at the start of its day.
pub fn fell_due<S: Borrow<CustomerSummary>>(
    summaries: &[S],
    since: NaiveDateTime,
    now: NaiveDateTime,
) -> Vec<AgendaEntry> {
    let mut out: Vec<AgendaEntry> = summaries
        .iter()
        .map(Borrow::borrow)
        .filter(|s: &&CustomerSummary| !s.deleted && !s.archived)
        .flat_map(|s| {
            s.open_followups
                .iter()
                .filter(|f| f.due.at() > since && f.due.at() <= now)
                .map(|f| AgendaEntry {
                    customer: s.id,
                    customer_name: s.name.clone(),
                    followup: f.clone(),
                })
        })
        .collect();
    out.sort_by(|a, b| {
        a.followup
            .due
            .at()
            .cmp(&b.followup.due.at())
            .then(a.customer.cmp(&b.customer))
    });
    out
}
