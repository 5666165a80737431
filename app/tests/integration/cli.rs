//! The `rapport` binary as scripts use it: output contract, exit codes, errors that leave the
//! store untouched, the "in use" message, and a SIGKILL in the middle of a large write.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};

use crate::common::{json, ok, rapport};
use rapport_store::{OpenOptions, Store};
use serde_json::Value;

/// Everything a script could observe about the store.
fn snapshot(dir: &Path) -> (Value, Value, Value) {
    (
        json(dir, &["customer", "list", "--archived", "--json"]),
        json(dir, &["customer", "list", "--deleted", "--json"]),
        json(dir, &["followup", "list", "--json"]),
    )
}

#[test]
fn scripted_session_with_json_output() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = ok(
        d,
        &[
            "customer",
            "add",
            "--name",
            "张伟",
            "--kind",
            "person",
            "--company",
            "華創商務",
            "--email",
            "zhang.wei@huachuang.cn",
            "--phone",
            "+86 138 0013 8000",
            "--tag",
            "VIP",
        ],
    )
    .trim()
    .to_string();
    assert_eq!(id.len(), 32, "add prints the new id: {id}");
    ok(
        d,
        &[
            "contact",
            "add",
            &id,
            "--name",
            "王芳",
            "--email",
            "wang@huachuang.cn",
        ],
    );
    let deal = ok(
        d,
        &[
            "deal",
            "add",
            &id,
            "--amount",
            "1234.50",
            "--currency",
            "CNY",
            "--status",
            "won",
            "--date",
            "2026-01-31",
            "--title",
            "首单",
        ],
    );
    ok(d, &["deal", "edit", &deal.trim()[..8], "--amount", "2000"]);
    let fu = ok(
        d,
        &[
            "followup",
            "add",
            "张伟",
            "--due",
            "2020-01-01",
            "--kind",
            "call",
            "--subject",
            "回访",
        ],
    );
    ok(
        d,
        &[
            "interaction",
            "log",
            &id[..6],
            "--summary",
            "Called",
            "--kind",
            "call",
        ],
    );

    let list = json(d, &["customer", "list", "--json"]);
    let row = &list[0];
    assert_eq!(row["id"], id);
    assert_eq!(row["name"], "张伟");
    assert_eq!(row["tags"], serde_json::json!(["vip"]));
    assert_eq!(row["next_followup"], "2020-01-01");
    let found = json(d, &["customer", "list", "--search", "zhang", "--json"]);
    assert_eq!(found.as_array().unwrap().len(), 1);

    let show = json(d, &["customer", "show", "张伟", "--json"]);
    assert_eq!(show["id"], id);
    assert_eq!(show["company"], "華創商務");
    let deals: Vec<&Value> = show["deals"].as_object().unwrap().values().collect();
    assert_eq!(
        deals[0]["amount"],
        serde_json::json!({"minor": 200000, "currency": "CNY"})
    );
    assert_eq!(show["contacts"].as_object().unwrap().len(), 1);

    let overdue = json(d, &["followup", "list", "--overdue", "--json"]);
    assert_eq!(overdue[0]["id"], fu.trim());
    assert_eq!(overdue[0]["customer_id"], id);
    assert_eq!(overdue[0]["overdue"], true);
    ok(
        d,
        &["followup", "done", &fu.trim()[..8], "--outcome", "reached"],
    );
    assert_eq!(
        json(d, &["followup", "list", "--json"]),
        serde_json::json!([])
    );

    let history = json(d, &["history", &id, "--json"]);
    let fields: Vec<String> = history
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| {
            h["fields"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f.as_str().unwrap().to_string())
        })
        .collect();
    for f in ["name", "contacts", "deals", "followups", "interactions"] {
        assert!(
            fields.contains(&f.to_string()),
            "history mentions {f}: {fields:?}"
        );
    }

    ok(d, &["customer", "delete", &id]);
    assert_eq!(
        json(d, &["customer", "list", "--json"]),
        serde_json::json!([])
    );
    assert_eq!(
        json(d, &["customer", "list", "--deleted", "--json"])[0]["deleted"],
        true
    );
    ok(d, &["customer", "restore", &id]);
    assert_eq!(json(d, &["customer", "list", "--json"])[0]["id"], id);
    assert!(ok(d, &["check"]).contains("0 problems"));
}

#[test]
fn bad_input_fails_clearly_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let id = ok(d, &["customer", "add", "--name", "Acme"])
        .trim()
        .to_string();
    ok(
        d,
        &[
            "followup",
            "add",
            &id,
            "--due",
            "2026-12-01",
            "--subject",
            "Call",
        ],
    );
    let before = snapshot(d);
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (
            vec!["customer", "add", "--name", "  "],
            "name: must not be empty",
        ),
        (
            vec!["customer", "add", "--name", "B", "--email", "nope@"],
            "email",
        ),
        (
            vec!["customer", "add", "--name", "B", "--kind", "robot"],
            "kind",
        ),
        (
            vec!["customer", "add", "--name", "B", "--phone", "call me"],
            "phone",
        ),
        (
            vec!["customer", "add", "--name", "B\u{1}\u{7f}"],
            "control character",
        ),
        (
            vec!["customer", "edit", &id, "--name", ""],
            "name: must not be empty",
        ),
        (
            vec!["customer", "edit", "no-such-customer", "--name", "x"],
            "no customer matches",
        ),
        (vec!["customer", "edit", &id], "nothing to change"),
        (
            vec![
                "deal",
                "add",
                &id,
                "--amount",
                "-5",
                "--currency",
                "CNY",
                "--status",
                "won",
                "--date",
                "2026-01-31",
            ],
            "must not be negative",
        ),
        (
            vec![
                "deal",
                "add",
                &id,
                "--amount",
                "5",
                "--currency",
                "XYZ",
                "--status",
                "won",
                "--date",
                "2026-01-31",
            ],
            "ISO 4217",
        ),
        (
            vec![
                "deal",
                "add",
                &id,
                "--amount",
                "5.123",
                "--currency",
                "CNY",
                "--status",
                "won",
                "--date",
                "2026-01-31",
            ],
            "decimal places",
        ),
        (
            vec![
                "deal",
                "add",
                &id,
                "--amount",
                "5",
                "--currency",
                "CNY",
                "--status",
                "won",
                "--date",
                "2026-02-30",
            ],
            "not a date",
        ),
        (
            vec![
                "followup",
                "add",
                &id,
                "--due",
                "tomorrow",
                "--subject",
                "x",
            ],
            "not a date",
        ),
        (
            vec![
                "followup",
                "add",
                &id,
                "--due",
                "2026-12-01",
                "--subject",
                "x",
                "--kind",
                "fax",
            ],
            "kind",
        ),
        (vec!["followup", "done", "ffffffff"], "no open follow-up"),
        (
            vec!["contact", "add", &id, "--name", "K", "--email", "bad"],
            "email",
        ),
        (
            vec![
                "interaction",
                "log",
                &id,
                "--summary",
                "x",
                "--at",
                "yesterday",
            ],
            "at:",
        ),
    ];
    for (args, expect) in cases {
        let out = rapport(d, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        let short: Vec<&str> = args
            .iter()
            .map(|a| if a.len() > 40 { "<huge>" } else { a })
            .collect();
        assert_eq!(
            out.status.code(),
            Some(1),
            "{short:?} should fail with 1: {err}"
        );
        assert!(err.starts_with("error: "), "{short:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(
            err.contains(expect),
            "{short:?}: expected `{expect}` in {err}"
        );
        assert!(
            out.stdout.is_empty(),
            "{short:?} printed {:?}",
            String::from_utf8_lossy(&out.stdout)
        );
    }
    assert_eq!(snapshot(d), before, "nothing was written");
}

#[test]
fn a_second_process_is_told_who_holds_the_store() {
    let dir = tempfile::tempdir().unwrap();
    let _held = Store::open(
        dir.path(),
        OpenOptions {
            holder: "rapport serve".into(),
            ..OpenOptions::default()
        },
    )
    .unwrap();
    let out = rapport(dir.path(), &["customer", "list"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("in use by `rapport serve` (pid "), "{err}");
}

/// `demo --customers 20000` is killed with SIGKILL after a random number of committed
/// batches; the store must open, hold at least every batch it reported as committed (and only
/// whole batches), and its summaries must match its documents.
#[test]
fn sigkill_during_a_large_write_loses_nothing_committed() {
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    for round in 0..2u32 {
        let dir = tempfile::tempdir().unwrap();
        let wait_for = 1 + (seed.wrapping_add(round * 7) % 4) as usize;
        let mut child = Command::new(env!("CARGO_BIN_EXE_rapport"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["demo", "--customers", "20000"])
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn rapport demo");
        let stderr = child.stderr.take().expect("stderr");
        let mut committed = 0usize;
        for line in BufReader::new(stderr).lines() {
            let line = line.expect("read stderr");
            if let Some(rest) = line.strip_prefix("committed ") {
                committed = rest
                    .split(' ')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .expect("count");
                if committed >= wait_for * 500 {
                    break;
                }
            }
        }
        // `Child::kill` sends SIGKILL on Unix: no chance to flush or clean up.
        child.kill().expect("SIGKILL");
        child.wait().expect("reap");
        let mut store =
            Store::open(dir.path(), OpenOptions::default()).expect("store opens after SIGKILL");
        let count = store.count().expect("count") as usize;
        assert!(
            count >= committed,
            "round {round}: {count} customers < {committed} acknowledged"
        );
        assert_eq!(
            count % 500,
            0,
            "round {round}: a partial batch of {count} is visible"
        );
        let problems = store.verify().expect("verify");
        assert!(problems.is_empty(), "round {round}: {problems:?}");
        eprintln!("round {round}: killed after {committed} acknowledged, {count} on disk");
    }
}

#[test]
fn value_settings_and_revisits_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let today = chrono::Local::now().date_naive();
    let date = |days: u64| {
        (today - chrono::Days::new(days))
            .format("%Y-%m-%d")
            .to_string()
    };
    // Ten customers: customer k earned k x 1000.00 CNY a month ago; one more paid in EUR.
    let mut ids = Vec::new();
    for k in 1..=10 {
        let id = ok(
            d,
            &["customer", "add", "--name", &format!("Customer {k:02}")],
        )
        .trim()
        .to_string();
        ok(
            d,
            &[
                "deal",
                "add",
                &id,
                "--amount",
                &format!("{}", k * 1000),
                "--currency",
                "CNY",
                "--status",
                "won",
                "--date",
                &date(30),
            ],
        );
        ids.push(id);
    }
    let euro = ok(d, &["customer", "add", "--name", "Euro GmbH"])
        .trim()
        .to_string();
    ok(
        d,
        &[
            "deal",
            "add",
            &euro,
            "--amount",
            "5000",
            "--currency",
            "EUR",
            "--status",
            "won",
            "--date",
            &date(10),
        ],
    );
    let v = json(d, &["value", "--json"]);
    assert_eq!(v["ranked"], 10);
    assert_eq!(v["left_out"][0]["name"], "Euro GmbH");
    assert_eq!(v["left_out"][0]["currencies"], serde_json::json!(["EUR"]));
    assert_eq!(v["tiers"][0]["tier"], "vip");
    assert_eq!(v["tiers"][0]["customers"], 1);
    assert_eq!(v["total_revenue"]["minor"], 5_500_000);

    // A rate brings it in: 5000 EUR x 7.85 = 39250.00 CNY, the new VIP.
    ok(d, &["settings", "set", "rate.EUR", "7.85"]);
    let vip = json(d, &["customer", "list", "--tier", "vip", "--json"]);
    assert_eq!(vip.as_array().unwrap().len(), 1);
    assert_eq!(vip[0]["name"], "Euro GmbH");
    assert_eq!(vip[0]["value"]["window_revenue"]["minor"], 3_925_000);
    assert_eq!(vip[0]["value"]["rfm"]["r"], 5);

    // Bad settings are refused with the key named, and not written.
    let out = rapport(d, &["settings", "set", "cadence.vip_days", "often"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cadence.vip_days"));
    let s = json(d, &["settings", "--json"]);
    assert_eq!(s["settings"]["cadence.vip_days"], "14");
    assert_eq!(s["settings"]["rate.EUR"], "7.85");

    // A manual tier wins for display and cadence; the computed one stays visible.
    ok(
        d,
        &[
            "customer",
            "edit",
            &ids[0],
            "--tier",
            "vip",
            "--tier-reason",
            "strategic",
        ],
    );
    let show = json(d, &["customer", "show", &ids[0], "--json"]);
    assert_eq!(show["value"]["tier"], "minor");
    assert_eq!(show["value"]["effective_tier"], "vip");
    assert_eq!(show["value"]["tier_override"]["reason"], "strategic");

    // Nobody was ever contacted: all are due, the VIPs first.
    ok(d, &["interaction", "log", &ids[9], "--summary", "Visited"]);
    let due = json(d, &["followup", "list", "--due-revisit", "--json"]);
    let due_names: Vec<&str> = due
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(due_names.len(), 10, "the one just visited is not due");
    assert!(!due_names.contains(&"Customer 10"));
    assert_eq!(due[0]["effective_tier"], "vip");
}

/// A team device that sent a document this one refused is named in `peers`, with why and how
/// to revoke it (the refusal itself is tested in `crates/store/tests/integration/bounds.rs`).
#[test]
fn peers_names_a_device_whose_data_was_refused() {
    let d = tempfile::tempdir().unwrap();
    let peer_id = "ab".repeat(32);
    {
        let store = Store::open(d.path(), OpenOptions::default()).unwrap();
        store.team_add(&peer_id, "Broken laptop").unwrap();
        let id = rapport_model::CustomerId::new();
        let applied = store
            .apply_remote_from(
                Some(&peer_id),
                &[(id, b"not an automerge document".as_slice())],
            )
            .unwrap();
        assert_eq!(store.quarantined().unwrap().len(), 1, "{applied:?}");
    }
    let peers = json(d.path(), &["peers", "--no-probe", "--json"]);
    assert_eq!(peers[0]["refused"], 1, "{peers}");
    assert!(peers[0]["refused_reason"].is_string(), "{peers}");
    let out = ok(d.path(), &["peers", "--no-probe"]);
    assert!(
        out.contains("Broken laptop sent data that was refused")
            && out.contains("rapport device revoke abababababab"),
        "{out}"
    );
}
