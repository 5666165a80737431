//! XLSX out, for the CLI (`rapport export --format xlsx`) and the app's "Export list…": the
//! customers the list shows (the same filter: tag, tier, search, archived), every field and
//! custom field, tier, RFM and lifetime value, then the value report (tiers, segments,
//! revenue per month) and the contacts. The workbook's layout is
//! [`rapport_interchange::xlsx`]'s, which our own importer reads back.
//!
//! Invariants: what is exported is what [`crate::ops::lists::list_customers`] lists for the
//! filter (nothing more, in its order); derived columns are marked `(computed)` and never
//! imported; amounts are in the team's base currency as value analysis ranks them.

use std::collections::BTreeMap;

use anyhow::Result;
use rapport_interchange::xlsx::{Table, XCell, contact_table, customer_table};
use rapport_model::{Customer, DealStatus};
use rapport_query::Filter;
use rapport_store::Store;
use rapport_value::ValueSettings;

/// The workbook of the customers `filter` lists (with `unranked`: only those without a
/// tier), and how many customers it holds.
pub fn xlsx(
    store: &Store,
    filter: &Filter,
    unranked: bool,
    today: chrono::NaiveDate,
) -> Result<(Vec<u8>, usize)> {
    let settings = store.settings()?;
    let value_settings = ValueSettings::from_map_tolerant(&settings).0;
    let values = crate::ops::lists::values(store, &value_settings, today)?;
    let ask = crate::ops::lists::ListAsk {
        filter,
        unranked,
        offset: 0,
        limit: None,
        sort: rapport_query::Sort::default(),
    };
    let listed = crate::ops::lists::list_customers(store, &values, &ask)?;
    let mut customers: Vec<Customer> = Vec::with_capacity(listed.len());
    let mut value_of = BTreeMap::new();
    for (s, v) in &listed {
        customers.push(store.customer(s.id)?);
        if let Some(v) = v {
            value_of.insert(s.id, v.clone());
        }
    }
    let fields = rapport_model::Fields::from_settings(&settings);
    let base = value_settings.base_currency;
    let money = |minor: i64| XCell::Number(minor as f64 / 10f64.powi(i32::from(base.exponent())));
    let extra = [
        "Tier",
        "Rank",
        "RFM segment",
        "Recency days",
        "Frequency",
        "Revenue in window",
        "Lifetime value",
        "Stage",
        "Next revisit",
    ];
    let derived = |c: &Customer| -> Vec<XCell> {
        let Some(v) = value_of.get(&c.id) else {
            return vec![XCell::Empty; extra.len()];
        };
        vec![
            v.effective_tier.map_or(XCell::Empty, |t| t.as_str().into()),
            v.rank.map_or(XCell::Empty, |r| XCell::Number(f64::from(r))),
            v.segment.as_str().into(),
            v.rfm
                .as_ref()
                .map_or(XCell::Empty, |r| XCell::Number(r.recency_days as f64)),
            v.rfm
                .as_ref()
                .map_or(XCell::Empty, |r| XCell::Number(f64::from(r.frequency))),
            money(v.window_revenue),
            money(v.clv.value),
            v.stage.as_str().into(),
            XCell::Date(v.next_revisit),
        ]
    };
    let mut tables = vec![customer_table(&customers, &fields, &extra, &derived)];
    tables.push(value_report(&customers, &value_of, base));
    tables.push(contact_table(&customers));
    let bytes = rapport_interchange::to_xlsx(&tables)?;
    Ok((bytes, customers.len()))
}

/// Tiers (customers, revenue, shares), segments, and won revenue per month and currency, of
/// the exported customers.
fn value_report(
    customers: &[Customer],
    value_of: &BTreeMap<rapport_model::CustomerId, rapport_value::CustomerValue>,
    base: rapport_model::Currency,
) -> Table {
    let scale = 10f64.powi(i32::from(base.exponent()));
    let mut rows = Vec::new();
    let mut tiers: BTreeMap<String, (u32, i64)> = BTreeMap::new();
    let mut segments: BTreeMap<String, u32> = BTreeMap::new();
    for v in value_of.values() {
        let t = v
            .effective_tier
            .map_or("unranked".to_string(), |t| t.as_str().to_string());
        let e = tiers.entry(t).or_default();
        e.0 += 1;
        e.1 += v.window_revenue;
        *segments.entry(v.segment.as_str().to_string()).or_default() += 1;
    }
    let total: i64 = tiers.values().map(|t| t.1).sum();
    let count: u32 = tiers.values().map(|t| t.0).sum();
    for (tier, (n, revenue)) in &tiers {
        rows.push(vec![
            "tier".into(),
            tier.as_str().into(),
            XCell::Number(f64::from(*n)),
            XCell::Number(*revenue as f64 / scale),
            XCell::Number(if total > 0 {
                *revenue as f64 / total as f64
            } else {
                0.0
            }),
            XCell::Number(if count > 0 {
                f64::from(*n) / f64::from(count)
            } else {
                0.0
            }),
            base.code().into(),
        ]);
    }
    for (segment, n) in &segments {
        rows.push(vec![
            "segment".into(),
            segment.as_str().into(),
            XCell::Number(f64::from(*n)),
            XCell::Empty,
            XCell::Empty,
            XCell::Number(if count > 0 {
                f64::from(*n) / f64::from(count)
            } else {
                0.0
            }),
            XCell::Empty,
        ]);
    }
    let mut months: BTreeMap<(String, String), (u32, i64, u16)> = BTreeMap::new();
    for c in customers {
        for d in c.deals.values().filter(|d| d.status == DealStatus::Won) {
            let e = months
                .entry((
                    d.date.format("%Y-%m").to_string(),
                    d.amount.currency.code().to_string(),
                ))
                .or_insert((0, 0, d.amount.currency.exponent()));
            e.0 += 1;
            e.1 += d.amount.minor;
        }
    }
    for ((month, currency), (n, minor, exp)) in &months {
        rows.push(vec![
            "revenue per month".into(),
            month.as_str().into(),
            XCell::Number(f64::from(*n)),
            XCell::Number(*minor as f64 / 10f64.powi(i32::from(*exp))),
            XCell::Empty,
            XCell::Empty,
            currency.as_str().into(),
        ]);
    }
    Table {
        name: "Value report".into(),
        headers: [
            "Report",
            "Group",
            "Count",
            "Revenue",
            "Revenue share",
            "Customer share",
            "Currency",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows,
    }
}

/// Writes `bytes` to `path` through a temporary file beside it, renamed into place once
/// complete and synced, so a failure never leaves half a file. Only ever replaces a regular
/// file.
pub fn write_file(path: &std::path::Path, bytes: &[u8]) -> Result<()> {
    use anyhow::Context as _;
    use std::io::Write as _;
    if let Ok(m) = std::fs::metadata(path)
        && !m.is_file()
    {
        anyhow::bail!(
            "{} is not a regular file; give the path of a file",
            path.display()
        );
    }
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("could not write in {}", dir.display()))?;
    tmp.as_file_mut().write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path)
        .with_context(|| format!("could not write {}", path.display()))?;
    Ok(())
}
