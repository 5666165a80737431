//! Every CLI command works while another process holds the store: while `rapport serve` runs,
//! and while the app runs, each command family gives exactly the output (stdout, stderr) and
//! exit code it gives on the closed store, writes included, and a change written through the
//! running app appears in its window without a restart. `restore` still needs the store
//! closed and says so.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;
use std::time::{Duration, Instant};

use crate::common;
use crate::common::{first_line, ok, rapport, spawn};

/// What a command printed and its exit code.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Ran {
    stdout: String,
    stderr: String,
    code: Option<i32>,
}

fn ran(dir: &Path, args: &[&str]) -> Ran {
    let out = rapport(dir, args);
    Ran {
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        code: out.status.code(),
    }
}

/// Read commands of every family whose output depends only on the store (and today).
fn reads(id: &str) -> Vec<Vec<String>> {
    let v = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        v(&["customer", "list", "--limit", "10"]),
        v(&["customer", "list", "--json"]),
        v(&["customer", "list", "--tier", "vip", "--json"]),
        v(&["customer", "list", "--search", "a", "--limit", "5"]),
        v(&["customer", "show", id]),
        v(&["customer", "show", id, "--json"]),
        v(&["history", id, "--json"]),
        v(&["value"]),
        v(&["value", "--json"]),
        v(&["followup", "list", "--json"]),
        v(&["followup", "list", "--week"]),
        v(&["followup", "list", "--due-revisit", "--json"]),
        v(&["settings"]),
        v(&["settings", "--json"]),
        v(&["team", "--json"]),
        v(&["peers", "--no-probe", "--json"]),
        v(&["device", "--json"]),
        v(&["check"]),
        v(&["check", "--json"]),
        // Refusals: a bad setting, an unknown customer, a usage error.
        v(&["settings", "set", "tier.vip", "bogus"]),
        v(&["settings", "set", "value.window_months", "many"]),
        v(&["customer", "show", "no-such-customer"]),
        v(&["customer", "list", "--bogus"]),
        v(&["import", "contacts.csv", "--dry-run", "--json"]),
    ]
}

const CSV: &str = "Name,Given Name,Family Name,Organization 1 - Name,E-mail 1 - Value\n\
    Ana Lima,Ana,Lima,Lima Imports,ana@lima.example\n\
    Bo Chen,Bo,Chen,,bo@chen.example\n";

/// A demo store, and a working directory with a contacts file in it (relative paths in
/// commands are the client's).
fn setup() -> (tempfile::TempDir, tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["demo", "--customers", "40"]);
    let work = tempfile::tempdir().unwrap();
    std::fs::write(work.path().join("contacts.csv"), CSV).unwrap();
    let rows: serde_json::Value =
        serde_json::from_str(&ok(dir.path(), &["customer", "list", "--json"])).unwrap();
    let id = rows[3]["id"].as_str().unwrap().to_string();
    (dir, work, id)
}

/// Runs each of `commands` from `work` and returns what each did.
fn run_all(dir: &Path, work: &Path, commands: &[Vec<String>]) -> Vec<Ran> {
    commands
        .iter()
        .map(|args| {
            let out = std::process::Command::new(env!("CARGO_BIN_EXE_rapport"))
                .arg("--data-dir")
                .arg(dir)
                .args(args)
                .current_dir(work)
                .env_remove("RAPPORT_DATA_DIR")
                .env("RAPPORT_LAN_DISCOVERY", "off")
                .output()
                .unwrap();
            Ran {
                stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
                code: out.status.code(),
            }
        })
        .collect()
}

/// A dry-run import names the ids new customers would get, fresh on every run: compare
/// without them.
fn without_fresh_ids(r: &Ran) -> Ran {
    let Ok(mut v) = serde_json::from_str::<serde_json::Value>(&r.stdout) else {
        return r.clone();
    };
    if let Some(actions) = v.get_mut("actions").and_then(|a| a.as_array_mut()) {
        for a in actions {
            if a["action"] == "create" {
                a["id"] = serde_json::Value::Null;
            }
        }
    }
    Ran {
        stdout: v.to_string(),
        ..r.clone()
    }
}

fn assert_same(commands: &[Vec<String>], closed: &[Ran], held: &[Ran], by: &str) {
    assert_eq!(closed.len(), held.len());
    for ((args, c), h) in commands.iter().zip(closed).zip(held) {
        let (c, h) = if args[0] == "import" {
            (without_fresh_ids(c), without_fresh_ids(h))
        } else {
            (c.clone(), h.clone())
        };
        assert_eq!(
            c,
            h,
            "`rapport {}` differs while {by} holds the store",
            args.join(" ")
        );
    }
}

fn wait_for(what: &str, done: impl Fn() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn every_command_works_through_a_running_serve_as_on_a_closed_store() {
    let (dir, work, id) = setup();
    let d = dir.path();
    let commands = reads(&id);
    // `serve` records this device's addresses in the team document when it starts: start it
    // once first, so the closed store's answers include what any start writes.
    let serve = || {
        let mut server = spawn(d, &["serve", "--bind", "127.0.0.1:0", "--interval", "3600"]);
        assert!(first_line(&mut server).starts_with("serving as"));
        server
    };
    let mut first = serve();
    first.kill().unwrap();
    first.wait().unwrap();
    let closed = run_all(d, work.path(), &commands);
    // The refusals are refusals, and the rest succeed.
    assert!(closed[..19].iter().all(|r| r.code == Some(0)), "{closed:?}");
    assert_eq!(closed[19].code, Some(1));
    assert_eq!(closed[22].code, Some(2));

    let mut server = serve();
    let held = run_all(d, work.path(), &commands);
    assert_same(&commands, &closed, &held, "`serve`");

    // Writes through the running process, with the same output as on a closed store.
    let added = ran(
        d,
        &[
            "customer",
            "add",
            "--name",
            "Via Serve",
            "--kind",
            "company",
        ],
    );
    assert_eq!(added.code, Some(0), "{added:?}");
    let found = ok(d, &["customer", "list", "--search", "via serve", "--json"]);
    assert!(found.contains("Via Serve"), "{found}");
    let import = run_all(
        d,
        work.path(),
        &[vec![
            "import".into(),
            "contacts.csv".into(),
            "--json".into(),
        ]],
    );
    assert_eq!(import[0].code, Some(0), "{:?}", import[0]);
    assert!(ok(d, &["customer", "list", "--search", "Lima"]).contains("Lima Imports"));
    // A relative export path is the client's, not the server's.
    let export = run_all(
        d,
        work.path(),
        &[vec![
            "export".into(),
            "--format".into(),
            "json".into(),
            "out.json".into(),
        ]],
    );
    assert_eq!(export[0].code, Some(0), "{:?}", export[0]);
    assert!(work.path().join("out.json").is_file());
    let backup = ran(d, &["backup"]);
    assert_eq!(backup.code, Some(0), "{backup:?}");
    assert!(Path::new(backup.stdout.trim()).is_file());
    // A rename reaches the running store at once (and its team document).
    assert_eq!(ran(d, &["device", "rename", "Office PC"]).code, Some(0));
    let device: serde_json::Value = serde_json::from_str(&ok(d, &["device", "--json"])).unwrap();
    assert_eq!(device["name"], "Office PC");
    // `restore` needs the store closed, and says so.
    let restore = run_all(d, work.path(), &[vec!["restore".into(), "out.json".into()]]);
    assert_eq!(restore[0].code, Some(1));
    assert!(restore[0].stderr.contains("in use"), "{:?}", restore[0]);

    let after_writes = run_all(d, work.path(), &commands);
    server.kill().unwrap();
    server.wait().unwrap();
    // Closed again: the same commands give what they gave through `serve`.
    let closed_again = run_all(d, work.path(), &commands);
    assert_same(&commands, &closed_again, &after_writes, "`serve`");
    let device: serde_json::Value = serde_json::from_str(&ok(d, &["device", "--json"])).unwrap();
    assert_eq!(device["name"], "Office PC");
}

#[test]
fn every_command_works_through_the_running_app_and_its_window_shows_the_change() {
    let (dir, work, id) = setup();
    let d = dir.path();
    let commands = reads(&id);
    let closed = run_all(d, work.path(), &commands);

    // This test process is the app: it holds the store, its worker serves the socket.
    let mut h = common::app_holding(d);
    h.step();
    let socket = d.join(rapport::control::CONTROL_SOCKET);
    wait_for("the app's control socket", || socket.exists());
    let held = run_all(d, work.path(), &commands);
    assert_same(&commands, &closed, &held, "the app");

    // A customer added from a terminal appears in the open window.
    let added = ran(
        d,
        &[
            "customer",
            "add",
            "--name",
            "From The Terminal",
            "--kind",
            "company",
        ],
    );
    assert_eq!(added.code, Some(0), "{added:?}");
    let start = Instant::now();
    while !h
        .state()
        .listed()
        .iter()
        .any(|s| s.name == "From The Terminal")
    {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "the window never showed the customer added from the terminal"
        );
        std::thread::sleep(Duration::from_millis(20));
        h.step();
    }
}

/// A running process that does not answer commands (an older Rapport, whose socket knew only
/// `pair invite`) leaves the CLI where it was before: the store is in use, exit 1, and
/// nothing else is printed.
#[cfg(unix)]
#[test]
fn a_running_process_that_does_not_answer_commands_leaves_the_in_use_error() {
    let (dir, _work, _) = setup();
    let d = dir.path();
    let _held = rapport_store::Store::open(
        d,
        rapport_store::OpenOptions {
            holder: "an older rapport serve (test)".into(),
            ..rapport_store::OpenOptions::default()
        },
    )
    .unwrap();
    // Its socket reads the request and closes without an answer, as the old one did for any
    // request it did not know.
    let listener =
        std::os::unix::net::UnixListener::bind(d.join(rapport::control::CONTROL_SOCKET)).unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut line = String::new();
            let _ = std::io::BufRead::read_line(&mut std::io::BufReader::new(&stream), &mut line);
        }
    });
    let r = ran(d, &["customer", "list"]);
    assert_eq!(r.code, Some(1), "{r:?}");
    assert!(r.stdout.is_empty(), "{r:?}");
    assert!(
        r.stderr
            .contains("is in use by `an older rapport serve (test)`"),
        "{r:?}"
    );
}
