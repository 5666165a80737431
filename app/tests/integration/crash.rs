//! SIGKILL at a random moment, over and over, through the real `rapport` binary: after every
//! kill the store must open, hold every edit that was acknowledged before the kill, and its
//! summaries, heads and indexes must match its documents (`Store::verify`).
//!
//! Each round picks one workload (seeded), kills it after a random delay, and checks:
//! - `demo`: batches acknowledged on stderr (`committed N`) are all there, and no partial
//!   batch is visible;
//! - `import` of a generated 1,500-row CSV: all or nothing;
//! - a script of `customer add` / `customer edit` commands that prints `ack` after each one
//!   returns: every acknowledged add and edit is there (the whole process group is killed);
//! - `sync --once` pulling from a `serve` peer, and the `serve` peer itself, each killed
//!   mid-session: both stores check clean, and a later sync completes the copy.
//!
//! `RAPPORT_KILLS=N` sets the number of kills (default 12; the long setting in the README uses
//! 120). `RAPPORT_KILL_SEED=S` replays a run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::common::{json, ok};
use rand::{Rng, SeedableRng};
use rapport_store::{OpenOptions, Store};

fn rapport_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_rapport"));
    c.arg("--data-dir")
        .arg(dir)
        .args(args)
        .env_remove("RAPPORT_DATA_DIR")
        .env("RAPPORT_LAN_DISCOVERY", "off");
    c
}

fn kill_group(child: &mut Child) {
    // The child leads its own process group: kill it and everything it started.
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Lines the child prints (stdout or stderr), collected in the background.
fn collect(stream: impl std::io::Read + Send + 'static) -> Arc<Mutex<Vec<String>>> {
    let lines = Arc::new(Mutex::new(Vec::new()));
    let sink = lines.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    lines
}

/// Opens the store the way the app does and checks it through and through.
fn check_store(dir: &Path, what: &str) -> Store {
    let mut store = Store::open(dir, OpenOptions::default())
        .unwrap_or_else(|e| panic!("{what}: the store does not open after SIGKILL: {e}"));
    let problems = store.verify().unwrap();
    assert!(problems.is_empty(), "{what}: {problems:?}");
    store
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn contacts_csv(path: &Path, rows: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(
        f,
        "First Name,Last Name,Organization Name,E-mail 1 - Value,Phone 1 - Value"
    )
    .unwrap();
    for i in 0..rows {
        writeln!(
            f,
            "Person{i},Crash,Company {},p{i}@crash-test.example,+49 30 {:08}",
            i % 300,
            i
        )
        .unwrap();
    }
}

struct Peer {
    serve_dir: tempfile::TempDir,
    bind: String,
}

/// A `serve` peer with 1,200 customers, and a client store paired with it.
fn paired_pair() -> (Peer, tempfile::TempDir) {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    ok(a.path(), &["demo", "--customers", "1200"]);
    let bind = format!("127.0.0.1:{}", free_port());
    let mut inviter = rapport_cmd(
        a.path(),
        &["pair", "invite", "--yes", "--wait", "60", "--bind", &bind],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let mut line = String::new();
    BufReader::new(inviter.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    // Join without the first full sync finishing is fine too: later rounds complete it.
    let _ = rapport_cmd(
        b.path(),
        &["pair", "join", line.trim(), "--bind", "127.0.0.1:0"],
    )
    .output()
    .unwrap();
    let _ = inviter.wait();
    (Peer { serve_dir: a, bind }, b)
}

/// Starts the peer's `serve` in a process group of its own; returns once it is listening.
fn start_server(peer: &Peer) -> Child {
    let mut server = rapport_cmd(
        peer.serve_dir.path(),
        &["serve", "--bind", &peer.bind, "--interval", "3600"],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .process_group(0)
    .spawn()
    .unwrap();
    let mut banner = String::new();
    BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut banner)
        .unwrap();
    server
}

#[test]
fn sigkill_at_random_moments_loses_no_acknowledged_edit() {
    let kills: usize = std::env::var("RAPPORT_KILLS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(12);
    let seed: u64 = std::env::var("RAPPORT_KILL_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        });
    eprintln!("crash loop: {kills} kills, replay with RAPPORT_KILL_SEED={seed}");
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let scratch = tempfile::tempdir().unwrap();
    let csv = scratch.path().join("contacts.csv");
    contacts_csv(&csv, 1500);
    let (peer, client) = paired_pair();
    let mut tally: BTreeMap<&str, usize> = BTreeMap::new();
    let mut acked_total = 0usize;

    for round in 0..kills {
        let what = ["demo", "import", "edits", "sync", "serve"][round % 5];
        let delay = Duration::from_millis(rng.random_range(20..1500));
        let ctx = format!("round {round} ({what}, killed after {delay:?}, seed {seed})");
        match what {
            "demo" => {
                let dir = tempfile::tempdir().unwrap();
                let mut child = rapport_cmd(dir.path(), &["demo", "--customers", "5000"])
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .process_group(0)
                    .spawn()
                    .unwrap();
                let lines = collect(child.stderr.take().unwrap());
                std::thread::sleep(delay);
                kill_group(&mut child);
                let acked = lines
                    .lock()
                    .unwrap()
                    .iter()
                    .filter_map(|l| l.strip_prefix("committed "))
                    .filter_map(|r| r.split(' ').next()?.parse::<usize>().ok())
                    .max()
                    .unwrap_or(0);
                let store = check_store(dir.path(), &ctx);
                let n = store.count().unwrap() as usize;
                assert!(n >= acked, "{ctx}: {n} customers < {acked} acknowledged");
                assert!(
                    n.is_multiple_of(500),
                    "{ctx}: a partial batch of {n} is visible"
                );
                acked_total += acked;
            }
            "import" => {
                let dir = tempfile::tempdir().unwrap();
                ok(
                    dir.path(),
                    &["customer", "add", "--name", "Before the import"],
                );
                let mut child = rapport_cmd(dir.path(), &["import", csv.to_str().unwrap()])
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .spawn()
                    .unwrap();
                std::thread::sleep(delay);
                let finished = child.try_wait().unwrap().is_some_and(|s| s.success());
                kill_group(&mut child);
                let store = check_store(dir.path(), &ctx);
                let n = store.count().unwrap();
                // 300 companies with 1,500 contacts: all of them or none.
                assert!(n == 1 || n == 301, "{ctx}: {n} customers: a partial import");
                if finished {
                    assert_eq!(n, 301, "{ctx}: a finished import is all there");
                    acked_total += 300;
                }
            }
            "edits" => {
                let dir = tempfile::tempdir().unwrap();
                let first = ok(dir.path(), &["customer", "add", "--name", "Edited"])
                    .trim()
                    .to_string();
                let script = format!(
                    r#"for i in $(seq 1 200); do
  "$RAPPORT" --data-dir "$D" customer add --name "Customer $i" >/dev/null && echo "ack add $i" || exit 1
  "$RAPPORT" --data-dir "$D" customer edit {first} --notes "note $i" >/dev/null && echo "ack edit $i" || exit 1
done"#
                );
                let mut child = Command::new("sh")
                    .args(["-c", &script])
                    .env("RAPPORT", env!("CARGO_BIN_EXE_rapport"))
                    .env("D", dir.path())
                    .env_remove("RAPPORT_DATA_DIR")
                    .env("RAPPORT_LAN_DISCOVERY", "off")
                    .stdout(Stdio::piped())
                    .stderr(Stdio::null())
                    .process_group(0)
                    .spawn()
                    .unwrap();
                let lines = collect(child.stdout.take().unwrap());
                std::thread::sleep(delay);
                kill_group(&mut child);
                // Give the reader thread the last lines printed before the kill.
                std::thread::sleep(Duration::from_millis(50));
                let lines = lines.lock().unwrap().clone();
                let store = check_store(dir.path(), &ctx);
                let names: Vec<String> = store
                    .summaries()
                    .unwrap()
                    .into_iter()
                    .map(|s| s.name)
                    .collect();
                let mut last_edit = 0;
                for l in &lines {
                    if let Some(i) = l.strip_prefix("ack add ") {
                        assert!(
                            names.contains(&format!("Customer {i}")),
                            "{ctx}: acknowledged `Customer {i}` is missing"
                        );
                        acked_total += 1;
                    } else if let Some(i) = l.strip_prefix("ack edit ") {
                        last_edit = i.parse().unwrap();
                        acked_total += 1;
                    }
                }
                if last_edit > 0 {
                    let id = store.resolve(&first).unwrap();
                    let notes = store.customer(id).unwrap().notes;
                    let n: usize = notes.trim_start_matches("note ").parse().unwrap();
                    assert!(
                        n >= last_edit,
                        "{ctx}: acknowledged note {last_edit} lost (have {notes})"
                    );
                }
            }
            "sync" | "serve" => {
                // Start the peer, then a pull from it; kill one side mid-session.
                let mut server = start_server(&peer);
                // New customers on the server each round, so every session has work to do.
                let mut client_proc =
                    rapport_cmd(client.path(), &["sync", "--once", "--bind", "127.0.0.1:0"])
                        .stdout(Stdio::null())
                        .stderr(Stdio::null())
                        .process_group(0)
                        .spawn()
                        .unwrap();
                std::thread::sleep(delay / 4);
                if what == "sync" {
                    kill_group(&mut client_proc);
                    kill_group(&mut server);
                } else {
                    kill_group(&mut server);
                    kill_group(&mut client_proc);
                }
                let s = check_store(peer.serve_dir.path(), &ctx);
                let server_count = s.count().unwrap();
                drop(s);
                let c = check_store(client.path(), &ctx);
                assert!(c.count().unwrap() <= server_count, "{ctx}");
                drop(c);
                // Add work for the next session on the server side.
                ok(
                    peer.serve_dir.path(),
                    &["demo", "--customers", "50", "--seed", &round.to_string()],
                );
            }
            _ => unreachable!(),
        }
        *tally.entry(what).or_default() += 1;
        if (round + 1) % 10 == 0 {
            eprintln!(
                "crash loop: {} kills so far, {acked_total} acknowledged edits present",
                round + 1
            );
        }
    }

    // After all the kills, one complete session brings the client level with the server.
    let mut server = start_server(&peer);
    // (The server's own first round may race with this session; try a few times.)
    let caught_up = (0..5).any(|_| {
        rapport_cmd(client.path(), &["sync", "--once", "--bind", "127.0.0.1:0"])
            .output()
            .unwrap()
            .status
            .success()
            || {
                std::thread::sleep(Duration::from_secs(1));
                false
            }
    });
    assert!(caught_up, "the client could not sync after the kills");
    kill_group(&mut server);
    let server_ids = json(
        peer.serve_dir.path(),
        &["customer", "list", "--archived", "--json"],
    );
    let client_ids = json(client.path(), &["customer", "list", "--archived", "--json"]);
    assert_eq!(
        server_ids.as_array().map(Vec::len),
        client_ids.as_array().map(Vec::len),
        "the client caught up after the kills"
    );
    eprintln!(
        "crash loop: {kills} SIGKILLs survived ({tally:?}), {acked_total} acknowledged edits all present, every store checked clean"
    );
}
