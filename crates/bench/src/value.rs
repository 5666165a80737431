//! `value`: recomputing every customer's value (tiers, RFM, lifetime value, lifecycle, revisit
//! dates) from the summary table, against the naive baseline of loading every document.

use std::time::Instant;

use anyhow::{Context, Result};
use rapport_model::CustomerSummary;
use rapport_store::{OpenOptions, Store};
use rapport_value::{ValueSettings, analyse};

use crate::{fill, median_ms, today};

/// Figures for one size.
struct Row {
    decode_ms: f64,
    analyse_ms: f64,
    naive_ms: f64,
}

fn one(n: usize) -> Result<Row> {
    let dir = tempfile::tempdir().context("temp dir")?;
    {
        let store = Store::open(dir.path(), OpenOptions::default())?;
        fill(&store, n)?;
    }
    let store = Store::open(dir.path(), OpenOptions::default())?;
    let settings = ValueSettings::default();

    let decode_ms = median_ms(5, || {
        let s = store.summaries()?;
        anyhow::ensure!(s.len() == n, "expected {n} summaries, got {}", s.len());
        Ok(())
    })?;
    let summaries = store.summaries()?;
    let analyse_ms = median_ms(5, || {
        let a = analyse(&summaries, &settings, today());
        anyhow::ensure!(a.customers.len() == n, "analysed {}", a.customers.len());
        Ok(())
    })?;

    // Naive: every document loaded and hydrated, then summarised and analysed.
    let t = Instant::now();
    let mut from_docs: Vec<CustomerSummary> = Vec::with_capacity(n);
    for id in store.ids()? {
        from_docs.push(CustomerSummary::of(&store.customer(id)?));
    }
    let naive = analyse(&from_docs, &settings, today());
    let naive_ms = t.elapsed().as_secs_f64() * 1e3;
    anyhow::ensure!(
        naive == analyse(&summaries, &settings, today()),
        "the naive path computed something else"
    );
    Ok(Row {
        decode_ms,
        analyse_ms,
        naive_ms,
    })
}

/// Prints the value table for `sizes`.
pub fn run(sizes: &[usize]) -> Result<()> {
    let rows: Vec<Row> = sizes.iter().map(|n| one(*n)).collect::<Result<_>>()?;
    let line = crate::table("value (recompute everything, release build)", sizes, &rows);
    line("analyse (in-memory summaries), median of 5", &|r| {
        format!("{:.1} ms", r.analyse_ms)
    });
    line("read all summaries from the store, median of 5", &|r| {
        format!("{:.1} ms", r.decode_ms)
    });
    line("naive: load every document, summarise, analyse", &|r| {
        format!("{:.0} ms", r.naive_ms)
    });
    line("naive / (read + analyse)", &|r| {
        format!("{:.0}x", r.naive_ms / (r.decode_ms + r.analyse_ms))
    });
    Ok(())
}
