//! `rapport demo`: generated customers, written in durable batches.

use super::*;

/// Generates demo data in batches of 500 customers per transaction. On a terminal it shows a
/// progress bar; otherwise it prints `committed N of M` after each durable batch (scripts and
/// the crash test rely on that line: every customer it counts is on disk).
pub(super) fn demo(cli: &Cli, n: usize, seed: u64) -> Result<()> {
    const BATCH: usize = 500;
    let store = open(cli, "demo")?;
    let customers = rapport_demo::generate(n, seed, today());
    let tty = output::stderr_is_terminal();
    let bar = tty.then(|| {
        let b = indicatif::ProgressBar::new(n as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {pos}/{len} customers ({per_sec}, eta {eta})",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut done = 0;
    let mut batches = customers.into_iter().peekable();
    while batches.peek().is_some() {
        let chunk: Vec<NewCustomer> = batches.by_ref().take(BATCH).collect();
        done += chunk.len();
        store.create_many(chunk)?;
        match &bar {
            Some(b) => b.set_position(done as u64),
            None => {
                let mut err = output::raw_stderr();
                let _ = writeln!(err, "committed {done} of {n}");
            }
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    say!("created {done} demo customers in {}", store.dir().display());
    Ok(())
}
