//! # rapport-bench: the numbers in README
//!
//! Prints Markdown tables of figures measured in this run, each next to a naive baseline
//! measured in the same run, so ratios mean something on any machine. Run it in release:
//!
//! ```sh
//! cargo run --release -p rapport-bench -- store --sizes 10000,100000
//! cargo run --release -p rapport-bench -- value --sizes 10000,100000
//! cargo run --release -p rapport-bench -- all
//! ```
//!
//! - `store`: demo generation rate (generate + write in batches of 500, as `rapport demo`);
//!   open-to-first-page (open the store, list the first 50 by name) against the naive baseline
//!   of loading every document; tag filter; text search; durable single-edit latency p50/p99;
//!   bytes on disk per customer before and after compaction.
//! - `value`: recomputing every customer's value from the summary table, against loading
//!   every document.
//! - `sync`: initial sync, no-change resync and one-change resync between two stores, against
//!   automerge's per-document sync loop.
//! - `import`: importing a Google Contacts CSV (read, plan, one transaction) and the same file
//!   again, against one durable transaction per person.
//! - `sheet`: importing a sales team's XLSX with `rapport import` (whole process: wall time
//!   and peak resident set) and the same file again, against one durable transaction per
//!   row; needs `cargo build --release -p rapport`.
//! - `cli`: the CLI's read commands as whole processes (wall time, peak resident set), with
//!   the store closed and through a running `serve`; needs `cargo build --release -p rapport`.
//! - `ui`: the app's frame time (egui_kittest, no GPU) while typing in search and scrolling,
//!   against running the search in the frame and laying out every row.
//!
//! Timing assertions live nowhere else: tests check behaviour, this program reports speed.

mod cli;
mod import;
mod sheet;
mod sync;
mod ui;
mod value;

use std::time::Instant;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use clap::{Parser, Subcommand};
use rapport_model::{Edit, text};
use rapport_store::{DB_FILE, ListQuery, OpenOptions, Store};

#[derive(Parser)]
#[command(about = "Rapport benchmarks (run with --release)")]
struct Cli {
    #[command(subcommand)]
    what: What,
}

#[derive(Subcommand)]
enum What {
    /// Store: generation, open-to-first-page, filters, edits, size.
    Store {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<usize>,
    },
    /// Value analysis over every customer.
    Value {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<usize>,
    },
    /// Sync protocol between two stores, with automerge's per-document loop as baseline.
    Sync {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<usize>,
    },
    /// Importing a Google Contacts CSV, against one transaction per person.
    Import {
        #[arg(long, value_delimiter = ',', default_value = "10000")]
        sizes: Vec<usize>,
    },
    /// Importing a sales team's XLSX with `rapport import`, against one transaction per row.
    Sheet {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<usize>,
    },
    /// The app's frame time while typing in search and scrolling.
    Ui {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<usize>,
    },
    /// The CLI's read commands as whole processes, store closed and through `serve`.
    Cli {
        #[arg(long, value_delimiter = ',', default_value = "10000,100000")]
        sizes: Vec<usize>,
    },
    /// Everything, at 10k and 100k.
    All,
    /// (Internal: one initial sync from store FROM into empty store TO, printing the growth
    /// of the peak resident set in KiB; the `sync` benchmark runs it as a child.)
    #[command(hide = true)]
    SyncChild {
        from: std::path::PathBuf,
        to: std::path::PathBuf,
        #[arg(long)]
        buffered: bool,
    },
}

/// The fixed "today" of the demo data, so runs are comparable.
pub(crate) fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or_default()
}

/// Fills `store` with `n` demo customers in batches of 500 (as `rapport demo` does).
pub(crate) fn fill(store: &Store, n: usize) -> Result<()> {
    let mut all = rapport_demo::generate(n, 42, today())
        .into_iter()
        .peekable();
    while all.peek().is_some() {
        store.create_many(all.by_ref().take(500).collect())?;
    }
    Ok(())
}

/// Median wall time of `runs` calls, in milliseconds.
pub(crate) fn median_ms(runs: usize, mut f: impl FnMut() -> Result<()>) -> Result<f64> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    Ok(times[times.len() / 2])
}

/// Prints a table's title and header (one column per size) and returns the row printer:
/// `line(label, cell)` prints `label` and `cell(row)` for each size's row.
pub(crate) fn table<'a, R>(
    title: &str,
    sizes: &[usize],
    rows: &'a [R],
) -> impl Fn(&str, &dyn Fn(&R) -> String) + 'a {
    println!("\n### {title}\n");
    let head: Vec<String> = sizes.iter().map(|n| format!("{n} customers")).collect();
    println!("| | {} |", head.join(" | "));
    println!("|---|{}", "---|".repeat(sizes.len()));
    move |label, cell| {
        let cells: Vec<String> = rows.iter().map(cell).collect();
        println!("| {label} | {} |", cells.join(" | "));
    }
}

pub(crate) fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

struct StoreRow {
    gen_per_s: f64,
    first_page_ms: f64,
    naive_ms: f64,
    tag_ms: f64,
    tag_hits: usize,
    search_ms: f64,
    edit_p50: f64,
    edit_p99: f64,
    kb_per_customer: f64,
    kb_compacted: f64,
}

fn store_one(n: usize) -> Result<StoreRow> {
    let dir = tempfile::tempdir().context("temp dir")?;
    let t = Instant::now();
    {
        let store = Store::open(dir.path(), OpenOptions::default())?;
        fill(&store, n)?;
    }
    let gen_per_s = n as f64 / t.elapsed().as_secs_f64();

    let first_page_ms = median_ms(5, || {
        let store = Store::open(dir.path(), OpenOptions::default())?;
        let page = store.list(&ListQuery {
            limit: Some(50),
            ..Default::default()
        })?;
        anyhow::ensure!(page.len() == 50.min(n), "short page");
        Ok(())
    })?;

    // Naive: open and load every document, sort by name, take 50.
    let t = Instant::now();
    let naive_first = {
        let store = Store::open(dir.path(), OpenOptions::default())?;
        let mut all = Vec::with_capacity(n);
        for id in store.ids()? {
            all.push(store.customer(id)?);
        }
        all.sort_by_cached_key(|c| (text::sort_key(&c.name), c.id));
        all.truncate(50);
        all
    };
    let naive_ms = t.elapsed().as_secs_f64() * 1e3;

    let store = Store::open(dir.path(), OpenOptions::default())?;
    let fast_first = store.list(&ListQuery {
        limit: Some(50),
        ..Default::default()
    })?;
    anyhow::ensure!(
        fast_first.iter().map(|s| s.id).eq(naive_first
            .iter()
            .filter(|c| !c.archived && !c.is_deleted())
            .map(|c| c.id)),
        "the two first pages differ"
    );

    let mut tag_hits = 0;
    let tag_ms = median_ms(5, || {
        tag_hits = store
            .list(&ListQuery {
                tag: Some("wholesale".into()),
                ..Default::default()
            })?
            .len();
        Ok(())
    })?;
    let search_ms = median_ms(5, || {
        let hits = store.list(&ListQuery {
            text: Some("zhang".into()),
            limit: Some(50),
            ..Default::default()
        })?;
        anyhow::ensure!(!hits.is_empty(), "search found nothing");
        Ok(())
    })?;

    let ids = store.ids()?;
    let mut lat = Vec::with_capacity(200);
    for i in 0..200usize {
        let id = ids[(i * 7919) % ids.len()];
        let edit = if i % 2 == 0 {
            Edit::Notes(format!("note {i}"))
        } else {
            Edit::AddTag(format!("bench-{}", i % 5))
        };
        let t = Instant::now();
        store.edit(id, &[edit])?;
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);

    let file = dir.path().join(DB_FILE);
    let size = |p: &std::path::Path| -> Result<f64> {
        Ok(std::fs::metadata(p)?.len() as f64 / 1024.0 / n as f64)
    };
    let kb_per_customer = size(&file)?;
    drop(store);
    let mut store = Store::open(dir.path(), OpenOptions::default())?;
    store.compact()?;
    drop(store);
    let kb_compacted = size(&file)?;

    Ok(StoreRow {
        gen_per_s,
        first_page_ms,
        naive_ms,
        tag_ms,
        tag_hits,
        search_ms,
        edit_p50: percentile(&lat, 0.5),
        edit_p99: percentile(&lat, 0.99),
        kb_per_customer,
        kb_compacted,
    })
}

fn store(sizes: &[usize]) -> Result<()> {
    let rows: Vec<StoreRow> = sizes.iter().map(|n| store_one(*n)).collect::<Result<_>>()?;
    let line = crate::table("store (release build)", sizes, &rows);
    line(
        "demo generation (generate + durable write, batches of 500)",
        &|r| format!("{:.0} customers/s", r.gen_per_s),
    );
    line(
        "open to first page (open + first 50 by name), median of 5",
        &|r| format!("{:.1} ms", r.first_page_ms),
    );
    line("naive: open + load every document + sort", &|r| {
        format!("{:.0} ms", r.naive_ms)
    });
    line("naive / open to first page", &|r| {
        format!("{:.0}x", r.naive_ms / r.first_page_ms)
    });
    line(
        "filter by tag `wholesale` (all matches), median of 5",
        &|r| format!("{:.1} ms ({} customers)", r.tag_ms, r.tag_hits),
    );
    line("search `zhang`, first 50 matches, median of 5", &|r| {
        format!("{:.1} ms", r.search_ms)
    });
    line("single edit, durable: p50 / p99 (200 edits)", &|r| {
        format!("{:.2} / {:.2} ms", r.edit_p50, r.edit_p99)
    });
    line("store size per customer / after compaction", &|r| {
        format!("{:.1} / {:.1} KiB", r.kb_per_customer, r.kb_compacted)
    });
    Ok(())
}

fn main() -> Result<()> {
    let cli = Cli::parse();
    println!(
        "rapport-bench on {} cores, {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        chrono::Local::now().format("%Y-%m-%d")
    );
    match cli.what {
        What::Store { sizes } => store(&sizes),
        What::Value { sizes } => value::run(&sizes),
        What::Sync { sizes } => sync::run(&sizes),
        What::Ui { sizes } => ui::run(&sizes),
        What::Import { sizes } => import::run(&sizes),
        What::Sheet { sizes } => sheet::run(&sizes),
        What::Cli { sizes } => cli::run(&sizes),
        What::All => {
            store(&[10_000, 100_000])?;
            value::run(&[10_000, 100_000])?;
            sync::run(&[10_000, 100_000])?;
            ui::run(&[10_000, 100_000])?;
            import::run(&[10_000])
        }
        What::SyncChild { from, to, buffered } => sync::child(&from, &to, buffered),
    }
}
