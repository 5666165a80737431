//! Output: stable JSON shapes (documented in README) and aligned text tables (CJK-width aware).
//!
//! Human output goes through [`Terminal`] (via [`stdout`], [`stderr`], `say!` and `say_err!`):
//! customer fields, device names and messages may come from a peer or an imported file, and
//! a terminal obeys escape sequences in what it prints. `Terminal` drops C0 controls (but
//! newline and tab), DEL, C1 controls, whole ESC/CSI/OSC/DCS sequences and the bidirectional
//! overrides and isolates (U+202A..U+202E, U+2066..U+2069, U+200E/F, U+061C) that can make a
//! line read differently from what it holds. JSON output ([`json`]) is written as is: serde
//! escapes every control character, and scripts get the exact values.

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use chrono::NaiveDateTime;
use rapport_model::{Currency, Customer, CustomerSummary, Money, Tier, TierOverride};
use rapport_store::{AgendaItem, HistoryEntry};
use rapport_value::{Analysis, CustomerValue, Influence, ParetoPoint, Rfm, Segment, TierStat};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

/// Where [`Terminal`] is inside an escape sequence.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Seq {
    #[default]
    Text,
    /// After ESC.
    Esc,
    /// Inside a CSI sequence (`ESC [` or U+009B): parameters until a final byte.
    Csi,
    /// Inside a string sequence (OSC, DCS, SOS, PM, APC): until BEL or ST.
    Str,
    /// ESC inside a string sequence (ST is `ESC \`).
    StrEsc,
}

/// Bidirectional formatting characters: embeddings, overrides, isolates and marks.
fn is_bidi(c: char) -> bool {
    matches!(
        c,
        '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'
    )
}

/// A writer that passes text on without what a terminal would act on (see the module
/// documentation). Stateful, so a sequence split across writes is still removed; a newline
/// ends any unfinished sequence, so one bad value cannot swallow the lines after it.
pub struct Terminal<W: Write> {
    inner: W,
    state: Seq,
    /// Bytes of a UTF-8 character split across writes.
    partial: Vec<u8>,
}

impl<W: Write> Terminal<W> {
    pub fn new(inner: W) -> Self {
        Terminal {
            inner,
            state: Seq::Text,
            partial: Vec::new(),
        }
    }

    fn step(&mut self, c: char, out: &mut String) {
        // A newline always shows and always ends a sequence.
        if c == '\n' {
            out.push('\n');
            self.state = Seq::Text;
            return;
        }
        self.state = match self.state {
            Seq::Text => match c {
                '\x1b' => Seq::Esc,
                '\u{9b}' => Seq::Csi,
                '\u{90}' | '\u{98}' | '\u{9d}' | '\u{9e}' | '\u{9f}' => Seq::Str,
                c => {
                    if c == '\t' || !(c.is_control() || is_bidi(c)) {
                        out.push(c);
                    }
                    Seq::Text
                }
            },
            Seq::Esc => match c {
                '[' => Seq::Csi,
                ']' | 'P' | 'X' | '^' | '_' => Seq::Str,
                '\x1b' => Seq::Esc,
                // A two-character sequence (ESC c, ESC 7, ...).
                '\x20'..='\x7e' => Seq::Text,
                c => {
                    // Not a sequence: ESC is dropped and `c` is text.
                    self.state = Seq::Text;
                    return self.step(c, out);
                }
            },
            Seq::Csi => match c {
                // Parameter and intermediate bytes.
                '\x20'..='\x3f' => Seq::Csi,
                // The final byte.
                '\x40'..='\x7e' => Seq::Text,
                c => {
                    self.state = Seq::Text;
                    return self.step(c, out);
                }
            },
            Seq::Str => match c {
                '\x07' | '\u{9c}' => Seq::Text,
                '\x1b' => Seq::StrEsc,
                _ => Seq::Str,
            },
            Seq::StrEsc => match c {
                '\\' => Seq::Text,
                '\x1b' => Seq::StrEsc,
                _ => Seq::Str,
            },
        };
    }

    /// `s` as [`Terminal`] would print it.
    #[cfg(test)]
    pub fn clean(s: &str) -> String {
        let mut t = Terminal::new(std::io::sink());
        let mut out = String::with_capacity(s.len());
        for c in s.chars() {
            t.step(c, &mut out);
        }
        out
    }
}

/// Whether `text` holds nothing [`Terminal`] would remove or act on: no C0 control but
/// newline and tab, no DEL, no C1 control, no bidirectional control. Then it passes as it is.
fn plain(text: &str) -> bool {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c < 0x20 {
            if c != b'\n' && c != b'\t' {
                return false;
            }
        } else if c == 0x7f {
            return false;
        } else if c >= 0x80 {
            // C1 controls are C2 80..9F; the bidi controls are U+200E/F, U+202A..E,
            // U+2066..9 (E2 80 xx, E2 81 xx) and U+061C (D8 9C).
            let next = b.get(i + 1).copied().unwrap_or(0);
            match c {
                0xc2 if (0x80..=0x9f).contains(&next) => return false,
                0xd8 if next == 0x9c => return false,
                0xe2 if next == 0x80 || next == 0x81 => {
                    let ch = text[i..].chars().next().unwrap_or(' ');
                    if is_bidi(ch) {
                        return false;
                    }
                }
                _ => {}
            }
        }
        i += 1;
    }
    true
}

impl<W: Write> Write for Terminal<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // Most output is plain text: passed on as it is, without a pass per character.
        if self.partial.is_empty()
            && self.state == Seq::Text
            && let Ok(text) = std::str::from_utf8(buf)
            && plain(text)
        {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        self.partial.extend_from_slice(buf);
        let bytes = std::mem::take(&mut self.partial);
        let mut out = String::with_capacity(bytes.len());
        let mut rest: &[u8] = &bytes;
        loop {
            match std::str::from_utf8(rest) {
                Ok(text) => {
                    for c in text.chars() {
                        self.step(c, &mut out);
                    }
                    break;
                }
                Err(e) => {
                    let (good, after) = rest.split_at(e.valid_up_to());
                    for c in String::from_utf8_lossy(good).chars() {
                        self.step(c, &mut out);
                    }
                    match e.error_len() {
                        // Invalid bytes: dropped.
                        Some(n) => rest = &after[n.min(after.len())..],
                        // A character cut by the end of this write: wait for the rest.
                        None => {
                            self.partial = after.to_vec();
                            break;
                        }
                    }
                }
            }
        }
        self.inner.write_all(out.as_bytes())?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Where output goes: this process's stdout or stderr, or, while a command runs for a CLI
/// client of the running app or `serve` ([`capture`]), that command's captured output.
pub enum Sink {
    Stdout(std::io::StdoutLock<'static>),
    Stderr(std::io::StderrLock<'static>),
    /// Captured stdout (`false`) or stderr (`true`) of this thread's command.
    Captured(bool),
}

thread_local! {
    /// The stdout and stderr of the command this thread runs for a client, if any.
    static CAPTURED: std::cell::RefCell<Option<(Vec<u8>, Vec<u8>)>> =
        const { std::cell::RefCell::new(None) };
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Stdout(o) => o.write(buf),
            Sink::Stderr(e) => e.write(buf),
            Sink::Captured(err) => {
                CAPTURED.with(|c| {
                    if let Some((out, errs)) = c.borrow_mut().as_mut() {
                        if *err { errs } else { out }.extend_from_slice(buf);
                    }
                });
                Ok(buf.len())
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Stdout(o) => o.flush(),
            Sink::Stderr(e) => e.flush(),
            Sink::Captured(_) => Ok(()),
        }
    }
}

fn capturing() -> bool {
    CAPTURED.with(|c| c.borrow().is_some())
}

/// Runs `f` with everything this module writes on this thread captured; returns its result
/// and the captured stdout and stderr bytes.
pub fn capture<T>(f: impl FnOnce() -> T) -> (T, Vec<u8>, Vec<u8>) {
    let before = CAPTURED.with(|c| c.borrow_mut().replace((Vec::new(), Vec::new())));
    let out = f();
    let (o, e) = CAPTURED
        .with(|c| std::mem::replace(&mut *c.borrow_mut(), before))
        .unwrap_or_default();
    (out, o, e)
}

/// Whether stderr is a terminal a progress bar may draw on (never while captured).
pub fn stderr_is_terminal() -> bool {
    use std::io::IsTerminal;
    !capturing() && std::io::stderr().is_terminal()
}

/// Stdout, or the captured stdout.
pub fn raw_stdout() -> Sink {
    if capturing() {
        Sink::Captured(false)
    } else {
        Sink::Stdout(std::io::stdout().lock())
    }
}

/// Stderr, or the captured stderr.
pub fn raw_stderr() -> Sink {
    if capturing() {
        Sink::Captured(true)
    } else {
        Sink::Stderr(std::io::stderr().lock())
    }
}

/// Human output on stdout, through [`Terminal`].
pub fn stdout() -> Terminal<Sink> {
    Terminal::new(raw_stdout())
}

/// Messages on stderr, through [`Terminal`].
pub fn stderr() -> Terminal<Sink> {
    Terminal::new(raw_stderr())
}

/// `println!` through [`Terminal`]: for every line of human output. A closed stdout is
/// ignored (the line is lost, the command goes on), as `rapport ... | head` expects.
macro_rules! say {
    () => {{
        use std::io::Write as _;
        let _ = writeln!($crate::output::stdout());
    }};
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!($crate::output::stdout(), $($arg)*);
    }};
}
pub(crate) use say;

/// `eprintln!` through [`Terminal`].
macro_rules! say_err {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!($crate::output::stderr(), $($arg)*);
    }};
}
pub(crate) use say_err;

/// Prints `v` as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    // Made whole, then written at once (stdout is line-buffered: pretty JSON is many lines).
    let mut text = serde_json::to_vec_pretty(v).map_err(std::io::Error::from)?;
    text.push(b'\n');
    let mut out = raw_stdout();
    out.write_all(&text)?;
    out.flush()?;
    Ok(())
}

/// One row of `customer list --json`.
#[derive(Serialize)]
pub struct CustomerRow {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub company: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tags: Vec<String>,
    pub owner: String,
    pub stage: Option<&'static str>,
    pub importance: &'static str,
    pub urgency: &'static str,
    pub contacts: u32,
    pub next_followup: Option<String>,
    pub last_contact: Option<String>,
    pub archived: bool,
    pub deleted: bool,
    pub updated_at: String,
    /// Value analysis (absent for archived and deleted customers).
    pub value: Option<ValueView>,
    /// Custom field values by field name (the fields in use), as stored.
    pub fields: BTreeMap<String, String>,
}

impl CustomerRow {
    /// The row of `s`, its custom field values named by the team's `fields`.
    pub fn new(
        s: &CustomerSummary,
        value: Option<&CustomerValue>,
        base: Currency,
        fields: &rapport_model::Fields,
    ) -> Self {
        CustomerRow {
            id: s.id.to_string(),
            name: s.name.clone(),
            kind: s.kind.as_str(),
            company: s.company.clone(),
            email: s.email.clone(),
            phone: s.phone.clone(),
            tags: s.tags.iter().cloned().collect(),
            owner: s.owner.clone(),
            stage: s.stage.map(|s| s.as_str()),
            importance: s.importance.as_str(),
            urgency: s.urgency.as_str(),
            contacts: s.contact_count,
            next_followup: s.next_due().map(|d| d.to_string()),
            last_contact: s.last_contact.map(|t| t.to_rfc3339()),
            archived: s.archived,
            deleted: s.deleted,
            updated_at: s.updated_at.to_rfc3339(),
            value: value.map(|v| ValueView::new(v, base)),
            fields: fields
                .active()
                .filter_map(|f| s.fields.get(&f.id).map(|v| (f.name.clone(), v.clone())))
                .collect(),
        }
    }
}

/// Lifetime value with its inputs.
#[derive(Serialize)]
pub struct LifetimeValue {
    pub value: Money,
    pub average_order: Money,
    pub orders_per_year: f64,
    pub margin_percent: u32,
    pub lifetime_years: u32,
    pub discount_percent: u32,
}

/// The `value` object of customer rows and `customer show --json`.
#[derive(Serialize)]
pub struct ValueView {
    /// Computed tier (`null` when left out for want of an exchange rate).
    pub tier: Option<Tier>,
    pub tier_override: Option<TierOverride>,
    pub effective_tier: Option<Tier>,
    pub rank: Option<u32>,
    pub window_revenue: Money,
    pub realised: Money,
    pub potential: Money,
    pub influence: Influence,
    pub rfm: Option<Rfm>,
    pub segment: Segment,
    pub lifetime_value: LifetimeValue,
    pub stage: rapport_model::LifecycleStage,
    pub stage_inferred: rapport_model::LifecycleStage,
    pub last_contact: Option<chrono::NaiveDate>,
    pub next_revisit: chrono::NaiveDate,
    pub due_for_revisit: bool,
    pub left_out_currencies: Vec<Currency>,
}

impl ValueView {
    pub fn new(v: &CustomerValue, base: Currency) -> Self {
        let m = |minor| Money {
            minor,
            currency: base,
        };
        ValueView {
            tier: v.tier,
            tier_override: v.tier_override.clone(),
            effective_tier: v.effective_tier,
            rank: v.rank,
            window_revenue: m(v.window_revenue),
            realised: m(v.realised),
            potential: m(v.potential),
            influence: v.influence.clone(),
            rfm: v.rfm.clone(),
            segment: v.segment,
            lifetime_value: LifetimeValue {
                value: m(v.clv.value),
                average_order: m(v.clv.average_order),
                orders_per_year: v.clv.orders_per_year,
                margin_percent: v.clv.margin_percent,
                lifetime_years: v.clv.lifetime_years,
                discount_percent: v.clv.discount_percent,
            },
            stage: v.stage,
            stage_inferred: v.stage_inferred,
            last_contact: v.last_contact,
            next_revisit: v.next_revisit,
            due_for_revisit: v.due_for_revisit,
            left_out_currencies: v.left_out.clone(),
        }
    }
}

/// A customer left out of the ranking.
#[derive(Serialize)]
pub struct LeftOut {
    pub id: String,
    pub name: String,
    pub currencies: Vec<Currency>,
}

/// `rapport value --json`.
#[derive(Serialize)]
pub struct ValueReport {
    pub today: chrono::NaiveDate,
    pub window_start: chrono::NaiveDate,
    pub base_currency: Currency,
    pub ranked: u32,
    pub total_revenue: Money,
    pub tiers: Vec<TierStat>,
    pub pareto: Vec<ParetoPoint>,
    pub segments: std::collections::BTreeMap<Segment, u32>,
    pub left_out: Vec<LeftOut>,
}

impl ValueReport {
    pub fn new(a: &Analysis, left_out: Vec<rapport_store::LeftOutEntry>) -> Self {
        ValueReport {
            today: a.today,
            window_start: a.window_start,
            base_currency: a.settings.base_currency,
            ranked: a.ranked,
            total_revenue: Money {
                minor: a.total_revenue,
                currency: a.settings.base_currency,
            },
            tiers: a.tiers.clone(),
            pareto: a.pareto.clone(),
            segments: a.segments.clone(),
            left_out: left_out
                .into_iter()
                .map(|c| LeftOut {
                    id: c.id.to_string(),
                    name: c.name,
                    currencies: c.currencies,
                })
                .collect(),
        }
    }
}

/// One row of `followup list --due-revisit`.
#[derive(Serialize)]
pub struct RevisitRow {
    pub id: String,
    pub name: String,
    pub effective_tier: Option<Tier>,
    pub last_contact: Option<chrono::NaiveDate>,
    pub next_revisit: chrono::NaiveDate,
    pub days_overdue: i64,
    pub window_revenue: i64,
}

impl RevisitRow {
    pub fn new(v: rapport_store::DueEntry, today: chrono::NaiveDate) -> Self {
        RevisitRow {
            id: v.id.to_string(),
            name: v.name,
            effective_tier: v.effective_tier,
            last_contact: v.last_contact,
            next_revisit: v.next_revisit,
            days_overdue: (today - v.next_revisit).num_days(),
            window_revenue: v.window_revenue,
        }
    }
}

fn tier_text(t: Option<Tier>) -> &'static str {
    t.map_or("unranked", Tier::as_str)
}

pub fn revisit_table(rows: &[RevisitRow]) -> Result<()> {
    table(
        &[
            "ID",
            "TIER",
            "CUSTOMER",
            "LAST CONTACT",
            "REVISIT BY",
            "DAYS OVER",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.id[..8].to_string(),
                    tier_text(r.effective_tier).to_string(),
                    clip(&r.name, 36),
                    r.last_contact
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "never".into()),
                    r.next_revisit.to_string(),
                    r.days_overdue.to_string(),
                ]
            })
            .collect(),
    )
}

fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}

pub fn value_report(r: &ValueReport) -> Result<()> {
    let mut o = stdout();
    writeln!(
        o,
        "Value as of {} (won revenue {} ..= {}, in {})",
        r.today, r.window_start, r.today, r.base_currency
    )?;
    writeln!(
        o,
        "{} customers ranked, total {}",
        r.ranked, r.total_revenue
    )?;
    drop(o);
    table(
        &["TIER", "CUSTOMERS", "SHARE", "REVENUE", "REVENUE SHARE"],
        r.tiers
            .iter()
            .map(|t| {
                vec![
                    t.tier.as_str().to_string(),
                    t.customers.to_string(),
                    pct(t.customer_share),
                    Money {
                        minor: t.revenue,
                        currency: r.base_currency,
                    }
                    .to_string(),
                    pct(t.revenue_share),
                ]
            })
            .collect(),
    )?;
    let mut o = stdout();
    let at = |share: f64| {
        r.pareto
            .iter()
            .find(|p| p.customer_share >= share - 1e-9)
            .map_or(0.0, |p| p.revenue_share)
    };
    writeln!(
        o,
        "Pareto: the top 1% of customers bring {}, 5% {}, 20% {}, 50% {} of revenue",
        pct(at(0.01)),
        pct(at(0.05)),
        pct(at(0.20)),
        pct(at(0.50))
    )?;
    let segs: Vec<String> = r
        .segments
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(s, n)| format!("{} {n}", s.as_str()))
        .collect();
    writeln!(o, "RFM segments: {}", segs.join(", "))?;
    if !r.left_out.is_empty() {
        let mut curs: Vec<&str> = r
            .left_out
            .iter()
            .flat_map(|l| l.currencies.iter().map(|c| c.code()))
            .collect();
        curs.sort_unstable();
        curs.dedup();
        writeln!(
            o,
            "{} customers have deals in currencies without a rate ({}); set one with `rapport settings set rate.{} RATE`",
            r.left_out.len(),
            curs.join(", "),
            curs.first().copied().unwrap_or("XXX")
        )?;
    }
    Ok(())
}

/// `customer show --json`: the whole customer plus concurrent values.
#[derive(Serialize)]
pub struct CustomerDetail<'a> {
    #[serde(flatten)]
    pub customer: &'a Customer,
    /// Custom field values by the field's name (fields in use only).
    pub fields: BTreeMap<String, String>,
    pub conflicts: BTreeMap<String, Vec<String>>,
    pub value: Option<ValueView>,
}

/// One row of `followup list --json`.
#[derive(Serialize)]
pub struct FollowUpRow {
    pub id: String,
    /// The follow-up's subject.
    pub name: String,
    pub customer_id: String,
    pub customer_name: String,
    pub due: String,
    pub kind: &'static str,
    pub assignee: String,
    pub overdue: bool,
}

impl FollowUpRow {
    pub fn new(i: &AgendaItem, now: NaiveDateTime) -> Self {
        FollowUpRow {
            id: i.followup.id.to_string(),
            name: i.followup.subject.clone(),
            customer_id: i.customer.to_string(),
            customer_name: i.customer_name.clone(),
            due: i.followup.due.to_string(),
            kind: i.followup.kind.as_str(),
            assignee: i.followup.assignee.clone(),
            overdue: i.followup.due.is_overdue(now),
        }
    }
}

fn clip(s: &str, max: usize) -> String {
    let mut out = String::new();
    let mut w = 0;
    for c in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if w + cw > max {
            out.push('…');
            break;
        }
        w += cw;
        out.push(c);
    }
    out
}

fn table(header: &[&str], rows: Vec<Vec<String>>) -> Result<()> {
    let mut widths: Vec<usize> = header.iter().map(|h| h.width()).collect();
    for r in &rows {
        for (i, c) in r.iter().enumerate() {
            if let Some(w) = widths.get_mut(i) {
                *w = (*w).max(c.width());
            }
        }
    }
    // The whole table is made first and written at once: one pass of the terminal filter and
    // a few large writes instead of several small ones per line (a list of 80,000
    // follow-ups is 9 MB).
    let mut text = String::new();
    let mut line = |cells: &[&str]| {
        let start = text.len();
        for (i, c) in cells.iter().enumerate() {
            if i > 0 {
                text.push_str("  ");
            }
            text.push_str(c);
            let w = widths.get(i).copied().unwrap_or(0);
            text.extend(std::iter::repeat_n(' ', w.saturating_sub(c.width())));
        }
        let end = text[start..].trim_end().len() + start;
        text.truncate(end);
        text.push('\n');
    };
    line(header);
    for r in &rows {
        let cells: Vec<&str> = r.iter().map(String::as_str).collect();
        line(&cells);
    }
    let mut out = stdout();
    out.write_all(text.as_bytes())?;
    out.flush()?;
    Ok(())
}

/// The customer list as a table; phones shown in the team's style (`region`).
/// Customer rows as a table, with a column per custom field in `columns` (its values as
/// people read them: `CNY 50,000.00`, `Yes`).
pub fn customer_table(
    rows: &[CustomerRow],
    region: Option<rapport_model::phone::Region>,
    columns: &[rapport_model::FieldDef],
) -> Result<()> {
    let mut header: Vec<String> = [
        "ID",
        "NAME",
        "TIER",
        "KIND",
        "EMAIL",
        "PHONE",
        "TAGS",
        "NEXT FOLLOW-UP",
    ]
    .iter()
    .map(|h| h.to_string())
    .collect();
    header.extend(columns.iter().map(|f| f.name.to_uppercase()));
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    table(
        &header,
        rows.iter()
            .map(|r| {
                let mut cells = vec![
                    r.id[..8].to_string(),
                    clip(&r.name, 36),
                    r.value
                        .as_ref()
                        .map_or("", |v| tier_text(v.effective_tier))
                        .to_string(),
                    r.kind.to_string(),
                    clip(r.email.as_deref().unwrap_or(""), 30),
                    r.phone
                        .as_deref()
                        .map(|p| rapport_model::phone::display(p, region))
                        .unwrap_or_default(),
                    clip(&r.tags.join(","), 24),
                    r.next_followup.clone().unwrap_or_default(),
                ];
                cells.extend(columns.iter().map(|f| {
                    r.fields
                        .get(&f.name)
                        .map(|v| clip(&f.display(v), 30))
                        .unwrap_or_default()
                }));
                cells
            })
            .collect(),
    )
}

pub fn followup_table(rows: &[FollowUpRow]) -> Result<()> {
    table(
        &[
            "ID", "DUE", "STATE", "KIND", "CUSTOMER", "SUBJECT", "ASSIGNEE",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.id[..8].to_string(),
                    r.due.clone(),
                    if r.overdue {
                        "overdue".into()
                    } else {
                        String::new()
                    },
                    r.kind.to_string(),
                    clip(&r.customer_name, 30),
                    clip(&r.name, 40),
                    r.assignee.clone(),
                ]
            })
            .collect(),
    )
}

pub fn customer_detail(
    c: &Customer,
    conflicts: &BTreeMap<String, Vec<String>>,
    value: Option<&ValueView>,
    fields: &BTreeMap<String, String>,
    region: Option<rapport_model::phone::Region>,
) -> Result<()> {
    let phones = |ps: &[String]| {
        ps.iter()
            .map(|p| rapport_model::phone::display(p, region))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut o = stdout();
    let state = if c.is_deleted() {
        " (deleted)"
    } else if c.archived {
        " (archived)"
    } else {
        ""
    };
    writeln!(o, "{}{}  [{}]  {}", c.name, state, c.kind, c.id)?;
    let mut field = |k: &str, v: &str| -> std::io::Result<()> {
        if !v.is_empty() {
            writeln!(o, "  {:<11} {}", k, v)?;
        }
        Ok(())
    };
    field("company", &c.company)?;
    field("industry", &c.industry)?;
    field("address", &c.address)?;
    field("website", &c.website)?;
    field("emails", &c.emails.join(", "))?;
    field("phones", &phones(&c.phones))?;
    field(
        "tags",
        &c.tags.iter().cloned().collect::<Vec<_>>().join(", "),
    )?;
    field("owner", &c.owner)?;
    field("source", &c.source)?;
    field("stage", c.stage.map(|s| s.as_str()).unwrap_or(""))?;
    field("importance", c.importance.as_str())?;
    field("urgency", c.urgency.as_str())?;
    field(
        "referred by",
        &c.referred_by.map(|r| r.to_string()).unwrap_or_default(),
    )?;
    for (name, v) in fields {
        field(name, v)?;
    }
    field("created", &c.created_at.to_rfc3339())?;
    field("updated", &c.updated_at.to_rfc3339())?;
    if let Some(v) = value {
        let tier = match &v.tier_override {
            Some(ov) => format!(
                "{} (set by hand: {}; computed {})",
                ov.tier,
                ov.reason,
                tier_text(v.tier)
            ),
            None => tier_text(v.tier).to_string(),
        };
        writeln!(o, "  value:")?;
        writeln!(
            o,
            "    tier        {tier}, rank {}",
            v.rank.map_or("-".into(), |r| r.to_string())
        )?;
        writeln!(
            o,
            "    revenue     {} in the window, {} realised",
            v.window_revenue, v.realised
        )?;
        writeln!(
            o,
            "    potential   {} (open deals x probability)",
            v.potential
        )?;
        writeln!(
            o,
            "    influence   {} referrals bringing {}",
            v.influence.referrals,
            Money {
                minor: v.influence.revenue,
                currency: v.realised.currency
            }
        )?;
        if let Some(r) = &v.rfm {
            writeln!(
                o,
                "    RFM         R{} F{} M{} ({}; last bought {} days ago, {} orders)",
                r.r,
                r.f,
                r.m,
                v.segment.as_str(),
                r.recency_days,
                r.frequency
            )?;
        } else {
            writeln!(o, "    RFM         {}", v.segment.as_str())?;
        }
        let l = &v.lifetime_value;
        writeln!(
            o,
            "    lifetime    {} ({} avg order x {:.1}/year x {}% margin over {} years at {}%)",
            l.value,
            l.average_order,
            l.orders_per_year,
            l.margin_percent,
            l.lifetime_years,
            l.discount_percent
        )?;
        writeln!(
            o,
            "    stage       {} (inferred {})",
            v.stage, v.stage_inferred
        )?;
        writeln!(
            o,
            "    revisit     by {}{}",
            v.next_revisit,
            if v.due_for_revisit { " (due)" } else { "" }
        )?;
    }
    if !c.notes.is_empty() {
        writeln!(o, "  notes:")?;
        for l in c.notes.lines() {
            writeln!(o, "    {l}")?;
        }
    }
    if !c.contacts.is_empty() {
        writeln!(o, "  contacts:")?;
        for (id, k) in &c.contacts {
            writeln!(
                o,
                "    {}  {}  {}  {}  {}",
                &id.to_string()[..8],
                k.name,
                k.title,
                k.emails.join(", "),
                phones(&k.phones)
            )?;
        }
    }
    if !c.followups.is_empty() {
        writeln!(o, "  follow-ups:")?;
        for (id, f) in &c.followups {
            let done = match f.done_at {
                Some(t) => format!("done {} {}", t.format("%Y-%m-%d"), f.outcome),
                None => "open".to_string(),
            };
            writeln!(
                o,
                "    {}  {}  {}  {}  ({done})",
                &id.to_string()[..8],
                f.due,
                f.kind,
                f.subject
            )?;
        }
    }
    if !c.deals.is_empty() {
        writeln!(o, "  deals:")?;
        for (id, d) in &c.deals {
            writeln!(
                o,
                "    {}  {}  {:>14}  {}  {}%  {}",
                &id.to_string()[..8],
                d.date,
                d.amount.to_string(),
                d.status,
                d.probability,
                d.title
            )?;
        }
    }
    if !c.interactions.is_empty() {
        writeln!(o, "  interactions (newest first):")?;
        let mut items: Vec<_> = c.interactions.values().collect();
        items.sort_by_key(|i| std::cmp::Reverse(i.at));
        for i in items {
            writeln!(
                o,
                "    {}  {}  {}  {}",
                i.at.format("%Y-%m-%d %H:%M"),
                i.kind,
                i.summary,
                i.by
            )?;
        }
    }
    for (k, vals) in conflicts {
        if k != "updated_at" {
            writeln!(o, "  ! {k} was set concurrently: {}", vals.join(" | "))?;
        }
    }
    Ok(())
}

pub fn history(h: &[HistoryEntry]) -> Result<()> {
    let mut o = stdout();
    for e in h {
        let vals: Vec<String> = e
            .values
            .iter()
            .map(|(k, v)| format!("{k}={}", clip(&v.replace('\n', " "), 40)))
            .collect();
        let arrived = e
            .arrived_apart()
            .map(|a| format!("  (arrived here {})", a.format("%Y-%m-%d %H:%M:%S")))
            .unwrap_or_default();
        writeln!(
            o,
            "{}  {:<30}  {:<28}  {}{arrived}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            clip(&e.who(), 30),
            e.fields.join(","),
            vals.join("  ")
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_is_exactly_what_the_filter_would_pass() {
        // Every character of the first planes, alone and between letters: whatever the fast
        // path passes unchanged, the per-character filter passes unchanged too.
        for c in (0u32..0x3100)
            .chain(0xfe00..0xff00)
            .filter_map(char::from_u32)
        {
            let s = format!("a{c}b");
            if plain(&s) {
                assert_eq!(
                    Terminal::<std::io::Sink>::clean(&s),
                    s,
                    "U+{:04X}",
                    c as u32
                );
            }
        }
        for bad in [
            "\x1b[31m",
            "\u{9b}2J",
            "a\u{202e}b",
            "\u{2066}",
            "\u{061c}",
            "\x07",
            "\x7f",
        ] {
            assert!(!plain(bad), "{bad:?}");
        }
        assert!(plain("张伟  Müller\tJosé\n"));
    }

    #[test]
    fn terminal_drops_what_a_terminal_would_obey() {
        let clean = Terminal::<std::io::Sink>::clean;
        assert_eq!(clean("Acme\x1b[2J Corp"), "Acme Corp");
        assert_eq!(clean("\u{202e}gpj.exe"), "gpj.exe");
        assert_eq!(clean("a\x1b]0;title\x07b"), "ab");
        assert_eq!(
            clean("a\x1b]8;;http://x\x1b\\link\x1b]8;;\x1b\\b"),
            "alinkb"
        );
        assert_eq!(clean("a\u{9b}31mb\u{85}c\x7fd\re\x08f"), "abcdef");
        assert_eq!(clean("x\x1bcy"), "xy");
        assert_eq!(clean("line 1\n\tline 2"), "line 1\n\tline 2");
        // An unfinished sequence ends at the newline: the next line shows.
        assert_eq!(clean("a\x1b]0;never ended\nnext"), "a\nnext");
        assert_eq!(clean("李娜 Müller \u{1f600}"), "李娜 Müller \u{1f600}");

        // Split across writes, inside a sequence and inside a UTF-8 character.
        let mut t = Terminal::new(Vec::new());
        let bytes = "ok\x1b[2J李\x1b]0;t\x07!".as_bytes();
        for chunk in bytes.chunks(1) {
            t.write_all(chunk).unwrap();
        }
        assert_eq!(String::from_utf8(t.inner).unwrap(), "ok李!");
    }
}
