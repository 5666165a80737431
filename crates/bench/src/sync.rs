//! `sync`: the reconciliation protocol between two stores in one process (every frame encoded
//! and decoded as on the network, no sockets), against automerge's own per-document sync
//! loop as the naive baseline; then live propagation of single edits between two iroh nodes
//! on loopback; then the memory an initial sync takes, each run in a child process of its own
//! (the growth of its peak resident set, `VmHWM`): streamed frame by frame as the protocol
//! runs, against the baseline that builds each round's frames whole before sending any.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use automerge::{AutoCommit, sync::SyncDoc};
use rapport_model::Edit;
use rapport_store::{OpenOptions, Store};
use rapport_sync::net::Node;
use rapport_sync::sync_local;

use crate::{fill, median_ms};

struct Row {
    mem_streamed_kib: u64,
    mem_buffered_kib: u64,
    initial_ms: f64,
    initial_bytes: u64,
    doc_bytes: u64,
    load_ms: f64,
    nochange_ms: f64,
    nochange_bytes: u64,
    one_ms: f64,
    one_bytes: u64,
    naive_initial_ms: f64,
    naive_initial_bytes: u64,
    naive_nochange_ms: f64,
    naive_nochange_bytes: u64,
    live_p50: f64,
    live_p99: f64,
}

/// Edits on `a` with live push on, timed until each is visible in `b` (two iroh nodes on
/// loopback). Returns the latencies in milliseconds, sorted.
fn live_latency(a: Arc<Store>, b: Arc<Store>, edits: usize) -> Result<Vec<f64>> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(async move {
        let loopback: std::net::SocketAddr = "127.0.0.1:0".parse()?;
        let na = Arc::new(Node::spawn(a.clone(), loopback).await?);
        let nb = Arc::new(Node::spawn(b.clone(), loopback).await?);
        a.team_add(&nb.endpoint().id().to_string(), "B")?;
        b.team_add(&na.endpoint().id().to_string(), "A")?;
        na.announce()?;
        nb.announce()?;
        a.team_set_addrs(
            &nb.endpoint().id().to_string(),
            &nb.addr()
                .ip_addrs()
                .map(|x| x.to_string())
                .collect::<Vec<_>>(),
        )?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        na.sync_with(nb.addr()).await?;
        na.enable_push(Duration::from_millis(5));
        let ids = a.ids()?;
        let mut lat = Vec::with_capacity(edits);
        for i in 0..edits {
            let id = ids[(i * 7919) % ids.len()];
            let text = format!("live edit {i}");
            let t = Instant::now();
            a.edit(id, &[Edit::Notes(text.clone())])?;
            loop {
                if b.customer(id)?.notes == text {
                    break;
                }
                anyhow::ensure!(
                    t.elapsed() < Duration::from_secs(30),
                    "edit {i} never arrived"
                );
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            lat.push(t.elapsed().as_secs_f64() * 1e3);
        }
        lat.sort_by(f64::total_cmp);
        Ok(lat)
    })
}

/// automerge's sync protocol, one document at a time, until both sides are quiet.
fn naive(a: &mut [AutoCommit], b: &mut [AutoCommit]) -> Result<u64> {
    let mut bytes = 0u64;
    for (x, y) in a.iter_mut().zip(b.iter_mut()) {
        let mut sx = automerge::sync::State::new();
        let mut sy = automerge::sync::State::new();
        loop {
            let mx = x.sync().generate_sync_message(&mut sx);
            if let Some(m) = &mx {
                let enc = m.clone().encode();
                bytes += enc.len() as u64;
                y.sync()
                    .receive_sync_message(&mut sy, automerge::sync::Message::decode(&enc)?)?;
            }
            let my = y.sync().generate_sync_message(&mut sy);
            if let Some(m) = &my {
                let enc = m.clone().encode();
                bytes += enc.len() as u64;
                x.sync()
                    .receive_sync_message(&mut sx, automerge::sync::Message::decode(&enc)?)?;
            }
            if mx.is_none() && my.is_none() {
                break;
            }
        }
    }
    Ok(bytes)
}

fn one(n: usize) -> Result<Row> {
    // Memory, in child processes: a filled store (closed here first) into an empty one.
    let (mem_streamed_kib, mem_buffered_kib) = {
        let dir = tempfile::tempdir().context("temp dir")?;
        fill(&Store::open(dir.path(), OpenOptions::default())?, n)?;
        (memory(dir.path(), false)?, memory(dir.path(), true)?)
    };
    let dir_a = tempfile::tempdir().context("temp dir")?;
    let dir_b = tempfile::tempdir().context("temp dir")?;
    let a = Arc::new(Store::open(dir_a.path(), OpenOptions::default())?);
    let b = Arc::new(Store::open(dir_b.path(), OpenOptions::default())?);
    fill(&a, n)?;

    // What the documents weigh, and what loading them from bytes costs.
    let saved: Vec<Vec<u8>> = a
        .ids()?
        .into_iter()
        .map(|id| Ok(a.document(id)?.save()))
        .collect::<Result<_>>()?;
    let doc_bytes: u64 = saved.iter().map(|s| s.len() as u64).sum();
    let t = Instant::now();
    let mut a_docs: Vec<AutoCommit> = saved
        .iter()
        .map(|s| AutoCommit::load(s))
        .collect::<Result<_, _>>()?;
    let load_ms = t.elapsed().as_secs_f64() * 1e3;

    let t = Instant::now();
    let initial = sync_local(a.as_ref(), b.as_ref())?;
    let initial_ms = t.elapsed().as_secs_f64() * 1e3;
    anyhow::ensure!(b.count()? as usize == n, "initial sync incomplete");

    let mut nochange_bytes = 0;
    let nochange_ms = median_ms(5, || {
        let t = sync_local(a.as_ref(), b.as_ref())?;
        nochange_bytes = t.bytes_sent + t.bytes_received;
        anyhow::ensure!(
            t.initiator.docs_sent + t.responder.docs_sent == 0,
            "docs moved"
        );
        Ok(())
    })?;

    let id = a.ids()?[n / 2];
    a.edit(id, &[Edit::Notes("changed on A".into())])?;
    let t = Instant::now();
    let once = sync_local(b.as_ref(), a.as_ref())?;
    let one_ms = t.elapsed().as_secs_f64() * 1e3;
    anyhow::ensure!(
        b.customer(id)?.notes == "changed on A",
        "change did not arrive"
    );

    // Naive: automerge's sync loop per document, into empty documents and then unchanged.
    let mut empty: Vec<AutoCommit> = (0..n).map(|_| AutoCommit::new()).collect();
    let t = Instant::now();
    let naive_initial_bytes = naive(&mut a_docs, &mut empty)?;
    let naive_initial_ms = t.elapsed().as_secs_f64() * 1e3;
    let t = Instant::now();
    let naive_nochange_bytes = naive(&mut a_docs, &mut empty)?;
    let naive_nochange_ms = t.elapsed().as_secs_f64() * 1e3;

    let lat = live_latency(a.clone(), b.clone(), 20)?;
    let pick = |p: f64| lat[((lat.len() as f64 - 1.0) * p).round() as usize];

    Ok(Row {
        mem_streamed_kib,
        mem_buffered_kib,
        initial_ms,
        initial_bytes: initial.bytes_sent + initial.bytes_received,
        doc_bytes,
        load_ms,
        nochange_ms,
        nochange_bytes,
        one_ms,
        one_bytes: once.bytes_sent + once.bytes_received,
        naive_initial_ms,
        naive_initial_bytes,
        naive_nochange_ms,
        naive_nochange_bytes,
        live_p50: pick(0.5),
        live_p99: pick(0.99),
    })
}

fn kib(b: u64) -> String {
    if b < 10_240 {
        format!("{b} B")
    } else {
        format!("{:.1} MiB", b as f64 / 1024.0 / 1024.0)
    }
}

/// Prints the sync table for `sizes`.
pub fn run(sizes: &[usize]) -> Result<()> {
    let rows: Vec<Row> = sizes.iter().map(|n| one(*n)).collect::<Result<_>>()?;
    let line = crate::table(
        "sync (two stores in one process, frames encoded as on the wire)",
        sizes,
        &rows,
    );
    line("initial sync into an empty store: time", &|r| {
        format!("{:.1} s", r.initial_ms / 1e3)
    });
    line("initial sync: bytes / saved size of the documents", &|r| {
        format!(
            "{} / {} = {:.2}x",
            kib(r.initial_bytes),
            kib(r.doc_bytes),
            r.initial_bytes as f64 / r.doc_bytes as f64
        )
    });
    line(
        "initial sync time / time to load the documents from bytes",
        &|r| {
            format!(
                "{:.1} s / {:.1} s = {:.1}x",
                r.initial_ms / 1e3,
                r.load_ms / 1e3,
                r.initial_ms / r.load_ms
            )
        },
    );
    line(
        "initial sync, peak memory growth (child process, VmHWM): streamed / whole rounds",
        &|r| {
            format!(
                "{:.0} / {:.0} MiB",
                r.mem_streamed_kib as f64 / 1024.0,
                r.mem_buffered_kib as f64 / 1024.0
            )
        },
    );
    line("no-change resync: bytes, time (median of 5)", &|r| {
        format!("{} B, {:.1} ms", r.nochange_bytes, r.nochange_ms)
    });
    line("one customer changed: bytes, time", &|r| {
        format!("{} B, {:.1} ms", r.one_bytes, r.one_ms)
    });
    line(
        "live propagation of one edit over iroh (loopback, push): p50 / p99 of 20",
        &|r| format!("{:.0} / {:.0} ms", r.live_p50, r.live_p99),
    );
    line(
        "naive per-document automerge sync, initial: bytes, time",
        &|r| {
            format!(
                "{}, {:.1} s",
                kib(r.naive_initial_bytes),
                r.naive_initial_ms / 1e3
            )
        },
    );
    line(
        "naive per-document automerge sync, no change: bytes, time",
        &|r| {
            format!(
                "{}, {:.0} ms",
                kib(r.naive_nochange_bytes),
                r.naive_nochange_ms
            )
        },
    );
    line("no-change bytes: naive / rapport", &|r| {
        format!(
            "{:.0}x",
            r.naive_nochange_bytes as f64 / r.nochange_bytes.max(1) as f64
        )
    });
    Ok(())
}

/// The peak resident set of this process so far (`VmHWM`), in KiB (0 where `/proc` has none).
fn high_water_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// Runs an initial sync from the store in `from` into a fresh empty store in a child process
/// (`rapport-bench sync-child`); returns how far its peak resident set grew during the sync.
fn memory(from: &std::path::Path, buffered: bool) -> Result<u64> {
    let to = tempfile::tempdir().context("temp dir")?;
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    cmd.arg("sync-child").arg(from).arg(to.path());
    if buffered {
        cmd.arg("--buffered");
    }
    let out = cmd.output().context("run the sync child")?;
    anyhow::ensure!(
        out.status.success(),
        "sync child failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The last line: the program prints its own header first.
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .last()
        .unwrap_or_default()
        .trim()
        .parse()
        .with_context(|| format!("sync child printed {text:?}"))
}

/// The child of [`memory`]: opens both stores, syncs `from` into `to` and prints how far the
/// peak resident set grew meanwhile, in KiB.
pub fn child(from: &std::path::Path, to: &std::path::Path, buffered: bool) -> Result<()> {
    let a = Store::open(from, OpenOptions::default())?;
    let b = Store::open(to, OpenOptions::default())?;
    let before = high_water_kib();
    if buffered {
        buffered_sync(&a, &b)?;
    } else {
        sync_local(&a, &b)?;
    }
    anyhow::ensure!(b.count()? == a.count()?, "initial sync incomplete");
    println!("{}", high_water_kib().saturating_sub(before));
    Ok(())
}

/// The baseline: the same session, but each side builds every frame of a round before the
/// other side sees the first (how replies were made before they were streamed).
fn buffered_sync(initiator: &Store, responder: &Store) -> Result<()> {
    use rapport_sync::protocol::{Frame, Initiator, Responder};
    let mut i = Initiator::new(initiator)?;
    let mut r = Responder::new(responder)?;
    let mut to_responder = i.start()?;
    loop {
        let mut to_initiator = Vec::new();
        for f in to_responder.drain(..) {
            to_initiator.extend(r.receive(Frame::decode(&f.encode()?)?)?);
        }
        if i.is_done() {
            return Ok(());
        }
        for f in to_initiator {
            to_responder.extend(i.receive(Frame::decode(&f.encode()?)?)?);
        }
        anyhow::ensure!(!to_responder.is_empty() || i.is_done(), "session stalled");
    }
}
