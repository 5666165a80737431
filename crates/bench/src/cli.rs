//! `cli`: the CLI's read commands as whole processes (the release `rapport` binary, start to
//! exit) on a demo store: wall time (median of 3) and the process's peak resident set, first
//! with the store closed (the CLI opens it), then while `rapport serve` holds it (the command
//! goes through the running process; the peak is the client's own), and, as the baseline in
//! the same run, with the store closed on the path before the derived rows and the value
//! cache (`RAPPORT_DERIVED=off`: every summary decoded and analysed per command). One more
//! row times `value` right after a won deal, when the value cache is computed again.
//!
//! Needs the binary: `cargo build --release -p rapport` first (it is looked for beside this
//! program). The peak resident set comes from `wait4`'s resource usage, the one figure the
//! kernel keeps for a process that has exited; it includes what the process had when it was
//! forked from this program (a few MiB: the demo store is made by the binary, not here).

#![allow(unsafe_code)] // `libc::wait4`: reading a child's resource usage has no safe wrapper here

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};

/// The commands measured: the list.
fn commands(id: &str) -> Vec<(String, Vec<String>)> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let mut out = vec![
        (
            "customer list --limit 20".into(),
            v(&["customer", "list", "--limit", "20"]),
        ),
        (
            "customer list --tier vip --limit 20".into(),
            v(&["customer", "list", "--tier", "vip", "--limit", "20"]),
        ),
        (
            "customer list --search wang --limit 20".into(),
            v(&["customer", "list", "--search", "wang", "--limit", "20"]),
        ),
        (
            "customer list --search blwtr --tier common --limit 20".into(),
            v(&[
                "customer", "list", "--search", "blwtr", "--tier", "common", "--limit", "20",
            ]),
        ),
        ("customer show ID".into(), v(&["customer", "show", id])),
        ("value".into(), v(&["value"])),
        (
            "followup list --today".into(),
            v(&["followup", "list", "--today"]),
        ),
        (
            "followup list --overdue".into(),
            v(&["followup", "list", "--overdue"]),
        ),
        (
            "followup list --week".into(),
            v(&["followup", "list", "--week"]),
        ),
        ("followup list".into(), v(&["followup", "list"])),
        (
            "followup list --due-revisit".into(),
            v(&["followup", "list", "--due-revisit"]),
        ),
        ("peers --no-probe".into(), v(&["peers", "--no-probe"])),
    ];
    // A page of each agenda list, as a terminal shows one.
    for mode in ["--today", "--overdue", "--week", "--due-revisit"] {
        out.push((
            format!("followup list {mode} --limit 50"),
            v(&["followup", "list", mode, "--limit", "50"]),
        ));
    }
    out.push((
        "followup list --limit 50".into(),
        v(&["followup", "list", "--limit", "50"]),
    ));
    out
}

pub(crate) fn binary() -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    let bin = me.with_file_name(format!("rapport{}", std::env::consts::EXE_SUFFIX));
    if !bin.is_file() {
        bail!(
            "{} not found: build it first with `cargo build --release -p rapport`",
            bin.display()
        );
    }
    Ok(bin)
}

/// Runs `rapport --data-dir DIR ARGS` to its end; returns its wall time (ms) and peak
/// resident set (KiB).
pub(crate) fn measure(bin: &Path, dir: &Path, args: &[String], derived: bool) -> Result<Cost> {
    let t = Instant::now();
    let child = Command::new(bin)
        .arg("--data-dir")
        .arg(dir)
        .args(args)
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .env("RAPPORT_DERIVED", if derived { "on" } else { "off" })
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start rapport")?;
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: `rusage` is plain data that `wait4` fills in; `pid` is our own child, reaped
    // here exactly once (the `Child` is forgotten so it never waits again).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    if r != pid {
        bail!("wait4 failed: {}", std::io::Error::last_os_error());
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        bail!("`rapport {}` failed (status {status})", args.join(" "));
    }
    // Linux reports ru_maxrss in KiB.
    Ok((ms, usage.ru_maxrss as u64))
}

fn median_of_3(bin: &Path, dir: &Path, args: &[String], derived: bool) -> Result<Cost> {
    let mut runs = (0..3)
        .map(|_| measure(bin, dir, args, derived))
        .collect::<Result<Vec<_>>>()?;
    runs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let peak = runs.iter().map(|r| r.1).max().unwrap_or(0);
    Ok((runs[1].0, peak))
}

/// Wall time (ms) and peak resident set (KiB) of one command.
pub(crate) type Cost = (f64, u64);

struct Row {
    /// (command, store closed, through `serve`, store closed on the old path) per command.
    cells: Vec<(String, Cost, Cost, Cost)>,
    /// `value` right after a won deal (the cache computed again), store closed.
    after_deal: Cost,
    /// `value` through `serve`, a few seconds after a won deal sent through it (the running
    /// process computes the analysis again in the background).
    after_deal_served: Cost,
}

fn one(n: usize) -> Result<Row> {
    let bin = binary()?;
    let dir = tempfile::tempdir().context("temp dir")?;
    // The demo data is made by the binary too: a child's peak resident set starts at this
    // program's own (Linux carries it over `exec`), so this program stays small.
    let made = Command::new(&bin)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["demo", "--customers", &n.to_string(), "--seed", "42"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .context("run rapport demo")?;
    if !made.success() {
        bail!("rapport demo failed");
    }
    // A customer to show, asked of the binary as well (opening the store here would grow
    // this program by the pages redb reads).
    let listed = Command::new(&bin)
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "customer",
            "list",
            "--offset",
            &(n / 2).to_string(),
            "--limit",
            "1",
            "--json",
        ])
        .output()
        .context("run rapport customer list")?;
    let rows: Vec<serde_json::Value> =
        serde_json::from_slice(&listed.stdout).context("customer list --json")?;
    let id = rows
        .first()
        .and_then(|r| r["id"].as_str())
        .context("no customer listed")?
        .to_string();
    let cmds = commands(&id);
    let mut closed = Vec::new();
    let mut old = Vec::new();
    for (_, args) in &cmds {
        // Once unmeasured, so the value cache is there as it is after any first command.
        measure(&bin, dir.path(), args, true)?;
        closed.push(median_of_3(&bin, dir.path(), args, true)?);
        old.push(median_of_3(&bin, dir.path(), args, false)?);
    }
    let deal = |n: usize| -> Vec<String> {
        [
            "deal",
            "add",
            &id,
            "--amount",
            &format!("{}", 1000 + n),
            "--currency",
            "CNY",
            "--status",
            "won",
            "--date",
            "2026-11-30",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    };
    let mut after = Vec::new();
    for n in 0..3 {
        measure(&bin, dir.path(), &deal(n), true)?;
        after.push(measure(&bin, dir.path(), &["value".to_string()], true)?);
    }
    after.sort_by(|a, b| a.0.total_cmp(&b.0));
    let after_deal = after[1];
    let mut server = Command::new(&bin)
        .arg("--data-dir")
        .arg(dir.path())
        .args(["serve", "--bind", "127.0.0.1:0", "--interval", "3600"])
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("start rapport serve")?;
    let socket = dir.path().join("rapport.sock");
    let started = Instant::now();
    while !socket.exists() {
        if started.elapsed().as_secs() > 60 {
            let _ = server.kill();
            bail!("rapport serve did not open its control socket");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let mut held = Vec::new();
    for (_, args) in &cmds {
        held.push(median_of_3(&bin, dir.path(), args, true));
    }
    // A won deal through the running process; by the time the salesperson next asks, the
    // process has computed the analysis again (2 s quiet feed, then under a second at 100k).
    let mut served = Vec::new();
    for n in 3..6 {
        served.push(measure(&bin, dir.path(), &deal(n), true).and_then(|_| {
            std::thread::sleep(std::time::Duration::from_secs(6));
            measure(&bin, dir.path(), &["value".to_string()], true)
        }));
    }
    let _ = server.kill();
    let _ = server.wait();
    let mut served = served.into_iter().collect::<Result<Vec<_>>>()?;
    served.sort_by(|a, b| a.0.total_cmp(&b.0));
    let after_deal_served = served[1];
    let held = held.into_iter().collect::<Result<Vec<_>>>()?;
    Ok(Row {
        cells: cmds
            .into_iter()
            .zip(closed)
            .zip(held)
            .zip(old)
            .map(|((((label, _), c), h), o)| (label, c, h, o))
            .collect(),
        after_deal,
        after_deal_served,
    })
}

/// Prints the table for `sizes`.
pub fn run(sizes: &[usize]) -> Result<()> {
    let rows: Vec<Row> = sizes.iter().map(|n| one(*n)).collect::<Result<_>>()?;
    println!("\n### CLI commands as whole processes (median of 3; peak resident set)\n");
    let head: Vec<String> = sizes
        .iter()
        .flat_map(|n| {
            [
                format!("{n}: store closed"),
                format!("{n}: through serve"),
                format!("{n}: before (every summary)"),
            ]
        })
        .collect();
    println!("| command | {} |", head.join(" | "));
    println!("|---|{}", "---|".repeat(head.len()));
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let cell = |c: &Cost| format!("{:.0} ms, {:.0} MiB", c.0, c.1 as f64 / 1024.0);
    for (i, (label, _, _, _)) in first.cells.iter().enumerate() {
        let cells: Vec<String> = rows
            .iter()
            .flat_map(|r| {
                let (_, c, h, o) = &r.cells[i];
                [cell(c), cell(h), cell(o)]
            })
            .collect();
        println!("| `{label}` | {} |", cells.join(" | "));
    }
    let cells: Vec<String> = rows
        .iter()
        .flat_map(|r| [cell(&r.after_deal), cell(&r.after_deal_served), "".into()])
        .collect();
    println!(
        "| `value` after a won deal (closed: right after, computed again; serve: 6 s after, computed in the background) | {} |",
        cells.join(" | ")
    );
    Ok(())
}
