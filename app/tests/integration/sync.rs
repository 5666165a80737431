//! Sync between separate `rapport` processes on loopback: `pair invite` / `pair join`,
//! `serve`, `sync --once`, `peers --json`, `device revoke` and `team` (roles), as scripts use
//! them.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::common::{first_line, json, ok, rapport, spawn};

/// A loopback port that is free right now (QUIC uses UDP; a TCP probe is a good enough hint).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn names(dir: &Path) -> Vec<String> {
    json(dir, &["customer", "list", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn two_processes_pair_serve_sync_and_revoke() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let (a, b, c) = (a.path(), b.path(), c.path());
    ok(a, &["device", "rename", "Laptop A"]);
    ok(b, &["device", "rename", "Office B"]);
    ok(
        a,
        &["customer", "add", "--name", "张伟", "--kind", "person"],
    );
    ok(a, &["customer", "add", "--name", "Acme GmbH"]);

    // Pairing: the ticket alone on the first line, then the joiner pairs and syncs.
    let port_a = free_port();
    let bind_a = format!("127.0.0.1:{port_a}");
    let mut inviter = spawn(
        a,
        &["pair", "invite", "--yes", "--wait", "60", "--bind", &bind_a],
    );
    let ticket = first_line(&mut inviter);
    assert!(ticket.starts_with("rapport1"), "{ticket}");
    let out = ok(b, &["pair", "join", &ticket, "--bind", "127.0.0.1:0"]);
    assert!(out.contains("paired with Laptop A"), "{out}");
    assert!(
        inviter.wait().unwrap().success(),
        "the inviter exits 0 after pairing"
    );
    assert_eq!(names(b), vec!["Acme GmbH", "张伟"]);

    // The same ticket again: refused.
    let reuse = rapport(c, &["pair", "join", &ticket, "--bind", "127.0.0.1:0"]);
    assert_eq!(reuse.status.code(), Some(1));

    // A serves; B edits offline and syncs once; A's edits reach B the same way.
    let mut server = spawn(a, &["serve", "--bind", &bind_a, "--interval", "3600"]);
    let banner = first_line(&mut server);
    assert!(banner.starts_with("serving as"), "{banner}");
    ok(b, &["customer", "add", "--name", "Bluewater Ltd"]);
    let out = ok(b, &["sync", "--once", "--bind", "127.0.0.1:0"]);
    assert!(out.contains("synced with Laptop A"), "{out}");
    let peers = json(b, &["peers", "--json"]);
    let pa = &peers[0];
    assert_eq!(pa["name"], "Laptop A");
    assert_eq!(pa["online"], true);
    assert_eq!(pa["address_kind"], "direct");
    assert!(pa["last_synced"].is_string());
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(names(a), vec!["Acme GmbH", "Bluewater Ltd", "张伟"]);

    // A revokes B: once A serves again, B's sync is refused and nothing more reaches B.
    let b_id = json(b, &["device", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string();
    let out = ok(a, &["device", "revoke", &b_id[..10]]);
    assert!(out.contains("revoked Office B"), "{out}");
    ok(a, &["customer", "add", "--name", "After Revocation"]);
    let mut server = spawn(a, &["serve", "--bind", &bind_a, "--interval", "3600"]);
    first_line(&mut server);
    let start = Instant::now();
    let refused = rapport(b, &["sync", "--once", "--bind", "127.0.0.1:0"]);
    assert_eq!(refused.status.code(), Some(1), "no team device accepted B");
    assert!(
        start.elapsed() < Duration::from_secs(60),
        "refused promptly"
    );
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(!names(b).contains(&"After Revocation".to_string()));
}

/// Pairs B into A's team (A's first invite makes A the owner); returns A's bind address.
fn pair(a: &Path, b: &Path) -> String {
    let bind_a = format!("127.0.0.1:{}", free_port());
    let mut inviter = spawn(
        a,
        &["pair", "invite", "--yes", "--wait", "60", "--bind", &bind_a],
    );
    let ticket = first_line(&mut inviter);
    ok(b, &["pair", "join", &ticket, "--bind", "127.0.0.1:0"]);
    assert!(inviter.wait().unwrap().success());
    bind_a
}

#[test]
fn roles_a_member_cannot_revoke_or_invite_and_the_owner_appoints_admins() {
    let (a, b, c) = (
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
        tempfile::tempdir().unwrap(),
    );
    let (a, b, c) = (a.path(), b.path(), c.path());
    ok(a, &["device", "rename", "Office"]);
    ok(b, &["device", "rename", "Departing laptop"]);
    // The first invite makes the office the owner, and tells its person the recovery code.
    let bind_a = format!("127.0.0.1:{}", free_port());
    let mut inviter = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--data-dir")
        .arg(a)
        .args(["pair", "invite", "--yes", "--wait", "60", "--bind", &bind_a])
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let ticket = first_line(&mut inviter);
    ok(b, &["pair", "join", &ticket, "--bind", "127.0.0.1:0"]);
    let out = inviter.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("recovery code"), "{err}");
    let team = json(b, &["team", "--json"]);
    let devices = team["devices"].as_array().unwrap();
    let role_of = |name: &str| {
        devices
            .iter()
            .find(|d| d["name"] == name)
            .map(|d| d["role"].clone())
    };
    assert_eq!(role_of("Office"), Some("owner".into()), "{team}");
    assert_eq!(role_of("Departing laptop"), Some("member".into()), "{team}");
    assert_eq!(team, {
        let mut t = json(a, &["team", "--json"]);
        // `this_device` differs by device; everything else is the same team.
        for (x, y) in t["devices"].as_array_mut().unwrap().iter_mut().zip(devices) {
            x["this_device"] = y["this_device"].clone();
        }
        t
    });

    // The departing member tries to revoke the office and to invite someone: refused, exit
    // 1, naming who can.
    let out = rapport(b, &["device", "revoke", "Office"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(
        err.contains("only an admin or the owner") && err.contains("Office"),
        "{err}"
    );
    let out = rapport(
        b,
        &[
            "pair",
            "invite",
            "--yes",
            "--wait",
            "5",
            "--bind",
            "127.0.0.1:0",
        ],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("ask Office"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).is_empty(), "no ticket");
    let out = rapport(b, &["team", "role", "Departing laptop", "admin"]);
    assert_eq!(out.status.code(), Some(1));

    // The owner appoints it admin; after a sync, it may invite: C joins through it.
    ok(a, &["team", "role", "Departing laptop", "admin"]);
    let mut server = spawn(a, &["serve", "--bind", &bind_a, "--interval", "3600"]);
    first_line(&mut server);
    ok(b, &["sync", "--once", "--bind", "127.0.0.1:0"]);
    pair(b, c);
    let team = json(c, &["team", "--json"]);
    let added_by_b =
        team["devices"].as_array().unwrap().iter().any(|d| {
            d["role"] == "member" && d["added_by"] == json(b, &["device", "--json"])["id"]
        });
    assert!(added_by_b, "{team}");
    server.kill().unwrap();
    server.wait().unwrap();
}

#[test]
fn a_peer_killed_mid_sync_leaves_both_stores_consistent() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (a, b) = (a.path(), b.path());
    ok(a, &["demo", "--customers", "3000"]);
    let bind_a = format!("127.0.0.1:{}", free_port());
    let mut inviter = spawn(
        a,
        &["pair", "invite", "--yes", "--wait", "60", "--bind", &bind_a],
    );
    let ticket = first_line(&mut inviter);
    // B pairs, and its first sync (3000 customers) is cut short: A's process is killed while
    // B is receiving.
    let mut joiner = Command::new(env!("CARGO_BIN_EXE_rapport"))
        .arg("--data-dir")
        .arg(b)
        .args(["pair", "join", &ticket, "--bind", "127.0.0.1:0"])
        .env("RAPPORT_LAN_DISCOVERY", "off")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    // Wait until B's store has been written to (pairing done, documents arriving), then kill.
    while start.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
        if std::fs::metadata(b.join("rapport.redb"))
            .map(|m| m.len() > 2 << 20)
            .unwrap_or(false)
        {
            break;
        }
    }
    inviter.kill().unwrap();
    inviter.wait().unwrap();
    let joined = joiner.wait().unwrap();
    eprintln!("join ended with {joined:?} after {:?}", start.elapsed());

    // Both stores open and are internally consistent.
    assert!(ok(a, &["check"]).contains(" 0 problems"));
    assert!(ok(b, &["check"]).contains(" 0 problems"));
    let partial = json(b, &["customer", "list", "--json"])
        .as_array()
        .unwrap()
        .len();
    eprintln!("B had {partial} customers when A died");

    // A comes back; the next sync completes and B converges.
    let mut server = spawn(a, &["serve", "--bind", &bind_a, "--interval", "3600"]);
    first_line(&mut server);
    ok(b, &["sync", "--once", "--bind", "127.0.0.1:0"]);
    server.kill().unwrap();
    server.wait().unwrap();
    assert_eq!(
        json(b, &["customer", "list", "--json"])
            .as_array()
            .unwrap()
            .len(),
        3000
    );
    assert!(ok(b, &["check"]).contains(" 0 problems"));
}

#[test]
fn pair_invite_goes_through_a_running_serve() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (a, b) = (a.path(), b.path());
    ok(a, &["customer", "add", "--name", "Served Ltd"]);
    let bind_a = format!("127.0.0.1:{}", free_port());
    let mut server = spawn(a, &["serve", "--bind", &bind_a, "--interval", "3600"]);
    assert!(first_line(&mut server).starts_with("serving as"));
    // The store is held by `serve`; `pair invite` asks it for the ticket instead.
    let mut inviter = spawn(a, &["pair", "invite", "--yes", "--wait", "60"]);
    let ticket = first_line(&mut inviter);
    assert!(ticket.starts_with("rapport1"), "{ticket}");
    ok(b, &["pair", "join", &ticket, "--bind", "127.0.0.1:0"]);
    assert!(inviter.wait().unwrap().success());
    assert_eq!(names(b), vec!["Served Ltd"]);
    server.kill().unwrap();
    server.wait().unwrap();
}

/// Runs `serve` on each of `dirs` (at the given binds) for a few seconds, then stops them all.
fn serve_round(dirs: &[(&Path, &str)]) {
    let mut servers: Vec<Child> = dirs
        .iter()
        .map(|(d, bind)| spawn(d, &["serve", "--bind", bind, "--interval", "1"]))
        .collect();
    for s in &mut servers {
        assert!(first_line(s).starts_with("serving as"));
    }
    std::thread::sleep(Duration::from_secs(4));
    for mut s in servers {
        s.kill().unwrap();
        s.wait().unwrap();
    }
}

fn customer(dir: &Path, name: &str) -> serde_json::Value {
    json(dir, &["customer", "show", name, "--json"])
}

#[test]
fn three_serve_processes_converge_through_the_office() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    let (a, b, c) = (a.path(), b.path(), c.path());
    ok(a, &["device", "rename", "Office"]);
    ok(b, &["device", "rename", "Laptop B"]);
    ok(c, &["device", "rename", "Laptop C"]);
    ok(a, &["customer", "add", "--name", "Shared Customer"]);
    let bind_a = format!("127.0.0.1:{}", free_port());
    // B and C each pair with the office only.
    for joiner in [b, c] {
        let mut inviter = spawn(
            a,
            &["pair", "invite", "--yes", "--wait", "60", "--bind", &bind_a],
        );
        let ticket = first_line(&mut inviter);
        ok(joiner, &["pair", "join", &ticket, "--bind", "127.0.0.1:0"]);
        assert!(inviter.wait().unwrap().success());
    }
    // C knows B only from the office's team document; they never met.
    assert!(names(c).contains(&"Shared Customer".to_string()));

    // Offline, B and C edit the same customer (different fields) and add their own.
    ok(
        b,
        &[
            "customer",
            "edit",
            "Shared Customer",
            "--industry",
            "Optics",
        ],
    );
    ok(b, &["customer", "add", "--name", "From B"]);
    ok(
        c,
        &[
            "customer",
            "edit",
            "Shared Customer",
            "--address",
            "Hauptstraße 1, Köln",
        ],
    );
    ok(c, &["customer", "add", "--name", "From C"]);
    ok(c, &["customer", "delete", "From C"]);
    ok(c, &["customer", "add", "--name", "Also From C"]);
    let peers_b = json(b, &["peers", "--json", "--no-probe"]);
    let office = peers_b
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Office")
        .unwrap();
    assert_eq!(
        office["pending_changes"], 2,
        "B edited one customer and added one since it last synced: {peers_b}"
    );

    // All three run as headless peers until they converge (each round restarts them, as a
    // laptop that comes and goes would).
    let binds: Vec<String> = (0..3)
        .map(|_| format!("127.0.0.1:{}", free_port()))
        .collect();
    let dirs = [
        (a, bind_a.as_str()),
        (b, binds[1].as_str()),
        (c, binds[2].as_str()),
    ];
    let want = vec![
        "Also From C".to_string(),
        "From B".to_string(),
        "Shared Customer".to_string(),
    ];
    let mut rounds = 0;
    while rounds < 5 {
        rounds += 1;
        serve_round(&dirs);
        if [a, b, c].iter().all(|d| names(d) == want) {
            break;
        }
    }
    for d in [a, b, c] {
        assert_eq!(names(d), want, "converged after {rounds} rounds");
        let s = customer(d, "Shared Customer");
        assert_eq!(s["industry"], "Optics", "{s}");
        assert_eq!(s["address"], "Hauptstraße 1, Köln", "{s}");
        // The delete made on C is a tombstone everywhere, not resurrected by anyone.
        let deleted = json(d, &["customer", "list", "--deleted", "--json"]);
        assert!(deleted.to_string().contains("From C"), "{deleted}");
        assert!(ok(d, &["check"]).contains(" 0 problems"));
    }
    // Nothing is pending for B towards the office after converging.
    let peers_b = json(b, &["peers", "--json", "--no-probe"]);
    let office = peers_b
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Office")
        .unwrap();
    assert_eq!(office["address_kind"], "direct");
    assert!(office["last_synced"].is_string());
    // B knows C (learned through the office's team document).
    assert!(
        peers_b.to_string().contains("Laptop C"),
        "B learned of C through the office: {peers_b}"
    );
}

/// LAN discovery by mDNS, in a network namespace of our own (`unshare -rn`) whose only
/// interface is loopback, so the multicast never leaves this test: B knows the office only by
/// an address that is stale (the office moved to another port), and finds it by mDNS.
#[test]
fn lan_discovery_finds_a_moved_team_device_by_mdns() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let (a, b) = (a.path(), b.path());
    ok(a, &["device", "rename", "Office"]);
    ok(a, &["customer", "add", "--name", "Found By mDNS"]);
    pair(a, b);
    ok(a, &["customer", "add", "--name", "Added Later"]);

    let exe = env!("CARGO_BIN_EXE_rapport");
    let script = format!(
        r#"set -e
ip link set lo up
ip link set lo multicast on
ip route add 224.0.0.0/4 dev lo
"{exe}" --data-dir "{a}" serve --bind 0.0.0.0:0 --interval 3600 >/dev/null 2>&1 &
server=$!
sleep 2
"{exe}" --data-dir "{b}" sync --once --bind 0.0.0.0:0
status=$?
kill $server
wait $server || true
exit $status
"#,
        a = a.display(),
        b = b.display(),
    );
    let out = Command::new("unshare")
        .args(["-rn", "sh", "-c", &script])
        .env_remove("RAPPORT_LAN_DISCOVERY")
        .output()
        .expect("unshare (util-linux) runs the peers in a network namespace of their own");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && stdout.contains("synced with Office"),
        "B found the office on the LAN: {stdout} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(names(b).contains(&"Added Later".to_string()));
    let peers = json(b, &["peers", "--json", "--no-probe"]);
    assert_eq!(peers[0]["address_kind"], "lan", "{peers}");
}
