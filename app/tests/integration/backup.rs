//! `rapport export --format json` and `rapport restore`: the round trip loses nothing, and a
//! bad backup or a non-empty store is refused with nothing written.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;

use crate::common::{json, ok, rapport};
use serde_json::Value;

/// Every customer in full (fields, contacts, follow-ups, interactions, deals, override,
/// value, conflicts), the settings and the history of each, as scripts see them.
fn everything(dir: &Path) -> (Vec<Value>, Value, Vec<Value>) {
    let list = json(dir, &["customer", "list", "--archived", "--json"]);
    let deleted = json(dir, &["customer", "list", "--deleted", "--json"]);
    let mut ids: Vec<String> = list
        .as_array()
        .unwrap()
        .iter()
        .chain(deleted.as_array().unwrap())
        .map(|c| c["id"].as_str().unwrap().to_string())
        .collect();
    ids.sort();
    let shows = ids
        .iter()
        .map(|id| json(dir, &["customer", "show", id, "--json"]))
        .collect();
    // When each change arrived is this store's own record: in a restored store, the restore
    // is when the changes arrived. Everything else in the history must be equal.
    let histories = ids
        .iter()
        .map(|id| {
            let mut h = json(dir, &["history", id, "--json"]);
            for e in h.as_array_mut().unwrap() {
                e.as_object_mut().unwrap().remove("arrived");
            }
            h
        })
        .collect();
    (shows, json(dir, &["settings", "--json"]), histories)
}

#[test]
fn backup_and_restore_lose_nothing() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (a, b) = (a.path(), b.path());
    ok(a, &["demo", "--customers", "40"]);
    ok(a, &["settings", "set", "rate.EUR", "7.85"]);
    ok(a, &["settings", "set", "tier.vip_percent", "3"]);
    let first = json(a, &["customer", "list", "--json"])[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(
        a,
        &[
            "customer",
            "edit",
            &first,
            "--tier",
            "vip",
            "--tier-reason",
            "strategic account",
        ],
    );
    ok(
        a,
        &[
            "customer",
            "edit",
            &first,
            "--notes",
            "多行\nnotes, with \"quotes\"",
        ],
    );
    let second = json(a, &["customer", "list", "--json"])[1]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(a, &["customer", "archive", &second]);
    let third = json(a, &["customer", "list", "--json"])[2]["id"]
        .as_str()
        .unwrap()
        .to_string();
    ok(a, &["customer", "delete", &third]);

    let file = a.join("backup.json");
    let out = ok(a, &["export", "--format", "json", file.to_str().unwrap()]);
    assert!(out.contains("wrote 40 customers"), "{out}");
    let out = ok(b, &["restore", file.to_str().unwrap()]);
    assert!(out.contains("restored 40 customers"), "{out}");
    assert_eq!(everything(a), everything(b));
    assert!(ok(b, &["check"]).contains(" 0 problems"));

    // A second restore into the now full store: refused, nothing changes.
    let before = everything(b);
    let again = rapport(b, &["restore", file.to_str().unwrap()]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("empty store"));
    assert_eq!(everything(b), before);
}

#[test]
fn a_bad_backup_is_refused_and_nothing_is_written() {
    let a = tempfile::tempdir().unwrap();
    let a = a.path();
    ok(a, &["demo", "--customers", "5"]);
    let file = a.join("backup.json");
    ok(a, &["export", "--format", "json", file.to_str().unwrap()]);
    let text = std::fs::read_to_string(&file).unwrap();
    let name = json(a, &["customer", "list", "--json"])[4]["name"]
        .as_str()
        .unwrap()
        .to_string();

    let cases: Vec<(&str, String, &str)> = vec![
        (
            "readable copy edited",
            text.replacen(&format!("\"name\":\"{name}\""), "\"name\":\"Forged\"", 1),
            "differ",
        ),
        (
            "truncated",
            text[..text.len() / 2].to_string(),
            "not a Rapport backup",
        ),
        (
            "not JSON",
            "\u{0}\u{1}binary".to_string(),
            "not a Rapport backup",
        ),
        (
            "another format",
            text.replacen("rapport-backup", "something-else", 1),
            "format",
        ),
        (
            "newer version",
            text.replacen("\"version\":1", "\"version\":99", 1),
            "newer",
        ),
    ];
    for (what, content, expect) in cases {
        assert_ne!(content, text, "{what}: the case changes the file");
        let target = tempfile::tempdir().unwrap();
        let bad = target.path().join("bad.json");
        std::fs::write(&bad, content).unwrap();
        let out = rapport(target.path(), &["restore", bad.to_str().unwrap()]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {err}");
        assert!(err.contains(expect), "{what}: {err}");
        assert!(err.contains("nothing was written"), "{what}: {err}");
        let left = json(target.path(), &["customer", "list", "--archived", "--json"]);
        assert_eq!(
            left.as_array().unwrap().len(),
            0,
            "{what}: nothing restored"
        );
    }
}
