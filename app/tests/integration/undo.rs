//! `rapport device undo`: a paired laptop deletes and overwrites customers and syncs; the office
//! undoes that device's changes in one command, and the team has its customers back.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::net::TcpListener;
use std::path::Path;

use crate::common::{first_line, json, ok, rapport, spawn};
use serde_json::Value;

/// Name, notes and deal count of every customer, deleted ones included, by id.
fn everything(dir: &Path) -> Vec<(String, Value, Value, Value)> {
    let mut rows = Vec::new();
    for flag in ["--archived", "--deleted"] {
        for c in json(dir, &["customer", "list", flag, "--json"])
            .as_array()
            .unwrap()
        {
            let id = c["id"].as_str().unwrap().to_string();
            let show = json(dir, &["customer", "show", &id, "--json"]);
            rows.push((
                id,
                show["name"].clone(),
                show["notes"].clone(),
                show["deals"].clone(),
            ));
        }
    }
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows
}

#[test]
fn the_office_undoes_a_wiped_laptop_in_one_command() {
    let office = tempfile::tempdir().unwrap();
    let laptop = tempfile::tempdir().unwrap();
    let (o, l) = (office.path(), laptop.path());
    ok(o, &["device", "rename", "Office"]);
    ok(l, &["device", "rename", "Wiped laptop"]);
    ok(o, &["demo", "--customers", "15"]);
    let before = everything(o);
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let mut inviter = spawn(
        o,
        &["pair", "invite", "--yes", "--wait", "60", "--bind", &bind],
    );
    let ticket = first_line(&mut inviter);
    ok(l, &["pair", "join", &ticket, "--bind", "127.0.0.1:0"]);
    inviter.wait().unwrap();

    // The laptop overwrites and deletes every customer, then syncs with the office.
    for (id, ..) in &before {
        ok(
            l,
            &["customer", "edit", id, "--name", "wiped", "--notes", ""],
        );
        ok(l, &["customer", "delete", id]);
    }
    let mut server = spawn(o, &["serve", "--bind", &bind, "--interval", "3600"]);
    first_line(&mut server);
    ok(l, &["sync", "--once", "--bind", "127.0.0.1:0"]);
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(
        json(o, &["customer", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty(),
        "the office saw every customer deleted"
    );

    // A dry run, then the undo.
    let dry = ok(o, &["device", "undo", "Wiped laptop", "--dry-run"]);
    assert!(dry.starts_with("would undo"), "{dry}");
    assert!(
        json(o, &["customer", "list", "--json"])
            .as_array()
            .unwrap()
            .is_empty()
    );
    let done = json(o, &["device", "undo", "Wiped laptop", "--json"]);
    assert_eq!(done["customers"], before.len());
    assert_eq!(everything(o), before, "every customer is back as it was");
    assert!(ok(o, &["check"]).contains("0 problems"));

    // An unknown device is a clear error, and undoing this device is refused.
    let out = rapport(o, &["device", "undo", "Nobody's phone"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no change by `Nobody's phone`"));
    let out = rapport(o, &["device", "undo", "Office"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is this device"));
}
