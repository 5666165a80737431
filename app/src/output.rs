//! Output: stable JSON shapes (documented in README) and aligned text tables (CJK-width aware).

use std::collections::BTreeMap;
use std::io::Write;

use anyhow::Result;
use chrono::NaiveDateTime;
use rapport_model::{Customer, CustomerSummary};
use rapport_store::{AgendaItem, HistoryEntry};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

/// Prints `v` as pretty JSON on stdout.
pub fn json<T: Serialize + ?Sized>(v: &T) -> Result<()> {
    let mut out = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, v).map_err(std::io::Error::from)?;
    writeln!(out)?;
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
}

impl From<&CustomerSummary> for CustomerRow {
    fn from(s: &CustomerSummary) -> Self {
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
        }
    }
}

/// `customer show --json`: the whole customer plus concurrent values.
#[derive(Serialize)]
pub struct CustomerDetail<'a> {
    #[serde(flatten)]
    pub customer: &'a Customer,
    pub conflicts: BTreeMap<String, Vec<String>>,
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

fn pad(s: &str, width: usize) -> String {
    let w = UnicodeWidthStr::width(s);
    let mut out = s.to_string();
    out.extend(std::iter::repeat_n(' ', width.saturating_sub(w)));
    out
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
    let mut out = std::io::stdout().lock();
    let line = |cells: Vec<String>| -> String {
        cells
            .iter()
            .enumerate()
            .map(|(i, c)| pad(c, widths.get(i).copied().unwrap_or(0)))
            .collect::<Vec<_>>()
            .join("  ")
            .trim_end()
            .to_string()
    };
    writeln!(
        out,
        "{}",
        line(header.iter().map(|h| h.to_string()).collect())
    )?;
    for r in rows {
        writeln!(out, "{}", line(r))?;
    }
    Ok(())
}

pub fn customer_table(rows: &[CustomerRow]) -> Result<()> {
    table(
        &[
            "ID",
            "NAME",
            "KIND",
            "EMAIL",
            "PHONE",
            "TAGS",
            "NEXT FOLLOW-UP",
        ],
        rows.iter()
            .map(|r| {
                vec![
                    r.id[..8].to_string(),
                    clip(&r.name, 36),
                    r.kind.to_string(),
                    clip(r.email.as_deref().unwrap_or(""), 30),
                    r.phone.clone().unwrap_or_default(),
                    clip(&r.tags.join(","), 24),
                    r.next_followup.clone().unwrap_or_default(),
                ]
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

pub fn customer_detail(c: &Customer, conflicts: &BTreeMap<String, Vec<String>>) -> Result<()> {
    let mut o = std::io::stdout().lock();
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
    field("emails", &c.emails.join(", "))?;
    field("phones", &c.phones.join(", "))?;
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
    field("created", &c.created_at.to_rfc3339())?;
    field("updated", &c.updated_at.to_rfc3339())?;
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
                k.phones.join(", ")
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
    let mut o = std::io::stdout().lock();
    for e in h {
        let vals: Vec<String> = e
            .values
            .iter()
            .map(|(k, v)| format!("{k}={}", clip(&v.replace('\n', " "), 40)))
            .collect();
        writeln!(
            o,
            "{}  {:<20}  {:<28}  {}",
            e.at.format("%Y-%m-%d %H:%M:%S"),
            clip(&e.device, 20),
            e.fields.join(","),
            vals.join("  ")
        )?;
    }
    Ok(())
}
