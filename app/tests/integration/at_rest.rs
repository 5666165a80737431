//! At rest and on the machine, with the real binary: owner-only file modes (new stores, and
//! stores written before modes were set), the control socket refusing another user, peer
//! strings printed without terminal escapes, and bad team settings merged from a peer that
//! warn instead of failing commands.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::common;
use crate::common::{first_line, ok, rapport, spawn};
use rapport_store::{OpenOptions, Shared, Store};

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::symlink_metadata(p)
        .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
        .permissions()
        .mode()
        & 0o777
}

#[cfg(unix)]
fn chmod(p: &Path, m: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(p, std::fs::Permissions::from_mode(m)).unwrap();
}

/// Waits until `path` exists (the control socket is made just after the banner).
fn wait_for(path: &Path) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn serve(dir: &Path) -> std::process::Child {
    let mut server = spawn(
        dir,
        &["serve", "--bind", "127.0.0.1:0", "--interval", "3600"],
    );
    assert!(first_line(&mut server).starts_with("serving as"));
    wait_for(&dir.join("rapport.sock"));
    server
}

#[cfg(unix)]
#[test]
fn data_files_are_owner_only_and_old_stores_are_tightened() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    ok(&dir, &["customer", "add", "--name", "Acme"]);
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("rapport.redb")), 0o600);

    let backup = PathBuf::from(ok(&dir, &["backup"]).trim());
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(mode(&dir.join("backups")), 0o700);

    // An export is 0600 too, also over an existing readable file.
    let export = tmp.path().join("export.json");
    std::fs::write(&export, "old").unwrap();
    chmod(&export, 0o644);
    ok(
        &dir,
        &["export", "--format", "json", export.to_str().unwrap()],
    );
    assert_eq!(mode(&export), 0o600);
    let vcf = tmp.path().join("all.vcf");
    ok(&dir, &["export", vcf.to_str().unwrap()]);
    assert_eq!(mode(&vcf), 0o600);

    // While serving: the lock note and the control socket.
    let mut server = serve(&dir);
    assert_eq!(mode(&dir.join("rapport.lock")), 0o600);
    assert_eq!(mode(&dir.join("rapport.sock")), 0o600);
    server.kill().unwrap();
    server.wait().unwrap();

    // A store as today's code left it: default modes everywhere. Any command tightens it.
    chmod(&dir, 0o755);
    chmod(&dir.join("rapport.redb"), 0o644);
    chmod(&dir.join("backups"), 0o755);
    chmod(&backup, 0o644);
    let damaged = dir.join("rapport.redb.damaged-20261101-120000");
    std::fs::write(&damaged, "old damaged file").unwrap();
    chmod(&damaged, 0o644);
    let mine = dir.join("my-notes.txt");
    std::fs::write(&mine, "a user's own file").unwrap();
    chmod(&mine, 0o644);
    let list = ok(&dir, &["customer", "list"]);
    assert!(list.contains("Acme"), "{list}");
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("rapport.redb")), 0o600);
    assert_eq!(mode(&dir.join("backups")), 0o700);
    assert_eq!(mode(&backup), 0o600);
    assert_eq!(mode(&damaged), 0o600);
    // Files that are not Rapport's are left as they are.
    assert_eq!(mode(&mine), 0o644);
}

/// Connects to `socket` as `uid` (perl, so the client runs under that uid without the test
/// binary being reachable for it), asks for an invite, and returns the answer line with the
/// ticket (`CLOSED` when the node hung up without one).
#[cfg(unix)]
fn ask_for_invite_as(uid: Option<u32>, socket: &Path) -> String {
    use std::os::unix::process::CommandExt;
    let script = r#"
        use IO::Socket::UNIX;
        $SIG{PIPE} = 'IGNORE';
        my $s = IO::Socket::UNIX->new(Type => SOCK_STREAM(), Peer => $ARGV[0])
            or die "connect: $!\n";
        print $s "{\"invite\":{\"ttl\":5,\"yes\":true}}\n";
        # The first invite of a new device makes its team and sends the recovery code first.
        my $got = "CLOSED\n";
        while (my $line = <$s>) { if ($line =~ /ticket/) { $got = $line; last } }
        print $got;
    "#;
    let mut cmd = std::process::Command::new("perl");
    cmd.arg("-e").arg(script).arg(socket);
    if let Some(uid) = uid {
        cmd.uid(uid).gid(uid);
    }
    let out = cmd.output().expect("run perl");
    assert!(
        out.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

#[cfg(unix)]
#[test]
fn control_socket_refuses_another_user() {
    use std::os::unix::fs::MetadataExt;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    ok(&dir, &["customer", "add", "--name", "Acme"]);
    let mut server = serve(&dir);
    let socket = dir.join("rapport.sock");

    // The owner gets a ticket.
    let mine = ask_for_invite_as(None, &socket);
    assert!(mine.contains("ticket"), "{mine}");

    // Another user is refused by the uid check alone: the modes are loosened by hand so the
    // socket is reachable for it (`nobody`; the tests run as root, which may switch to it).
    let owner = std::fs::metadata(&socket).unwrap().uid();
    if owner != 0 {
        eprintln!("not root: cannot run a client as another user; skipping that half");
    } else {
        chmod(tmp.path(), 0o755);
        chmod(&dir, 0o755);
        chmod(&socket, 0o777);
        let theirs = ask_for_invite_as(Some(65534), &socket);
        assert_eq!(theirs, "CLOSED");
        // And the node still serves its owner afterwards.
        let again = ask_for_invite_as(None, &socket);
        assert!(again.contains("ticket"), "{again}");
    }
    server.kill().unwrap();
    server.wait().unwrap();
}

/// A customer name and a device name with a screen-clearing CSI, an OSC title and a
/// right-to-left override, as a peer running other code could send them (the CLI refuses
/// them locally).
const EVIL_NAME: &str = "Evil\x1b[2J\u{202e}Corp\x1b]0;pwned\x07";
const EVIL_DEVICE: &str = "Mallory\x1b[31m\u{202e}'s laptop";

fn receive_evil_customer(dir: &Path) -> String {
    use automerge::transaction::CommitOptions;
    use automerge::{ROOT, transaction::Transactable};
    let peer_dir = tempfile::tempdir().unwrap();
    let peer = Store::open(peer_dir.path(), OpenOptions::default()).unwrap();
    let id = peer
        .create(rapport_store::NewCustomer::new(
            "Acme",
            rapport_model::CustomerKind::Company,
        ))
        .unwrap();
    let mut doc = peer.document(id).unwrap();
    doc.put(ROOT, "name", EVIL_NAME).unwrap();
    let msg = serde_json::json!({ "d": EVIL_DEVICE, "f": ["name"] }).to_string();
    doc.commit_with(CommitOptions::default().with_message(msg));
    let store = Store::open(dir, OpenOptions::default()).unwrap();
    store.apply_remote(id, &doc.save()).unwrap();
    assert_eq!(store.customer(id).unwrap().name, EVIL_NAME);
    id.to_string()
}

#[test]
fn peer_strings_reach_the_terminal_without_escapes() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let id = receive_evil_customer(dir);
    for args in [
        vec!["customer", "list"],
        vec!["customer", "show", &id],
        vec!["history", &id],
    ] {
        let out = ok(dir, &args);
        for bad in ['\x1b', '\u{202e}', '\x07'] {
            assert!(!out.contains(bad), "{args:?} printed {bad:?}: {out:?}");
        }
        assert!(out.contains("EvilCorp"), "{args:?}: {out:?}");
        if args[0] == "history" {
            assert!(out.contains("Mallory's laptop"), "{out:?}");
        }
    }
    // JSON keeps the exact value (serde escapes it).
    let json = common::json(dir, &["customer", "show", &id, "--json"]);
    assert_eq!(json["name"], EVIL_NAME);
    let raw = ok(dir, &["customer", "list", "--json"]);
    assert!(!raw.contains('\x1b') && raw.contains("\\u001b[2J"), "{raw}");
}

/// Merges a settings change from a peer store that set `pairs` without the CLI's checks.
fn receive_settings(dir: &Path, pairs: &[(&str, &str)]) {
    let peer_dir = tempfile::tempdir().unwrap();
    let peer = Store::open(peer_dir.path(), OpenOptions::default()).unwrap();
    for (k, v) in pairs {
        peer.set_setting(k, Some(v)).unwrap();
    }
    let bytes = peer.shared_changes_since(Shared::Settings, &[]).unwrap();
    let store = Store::open(dir, OpenOptions::default()).unwrap();
    assert!(store.apply_remote_shared(Shared::Settings, &bytes).unwrap());
}

#[test]
fn bad_merged_settings_warn_instead_of_failing() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["demo", "--customers", "30"]);
    ok(dir, &["settings", "set", "cadence.vip_days", "7"]);
    receive_settings(
        dir,
        &[
            ("tier.vip_percent", "abc"),
            ("rate.EUR", "-3"),
            ("cadence.major_days", "21"),
        ],
    );
    for args in [
        vec!["value"],
        vec!["customer", "list"],
        vec!["followup", "list", "--due-revisit"],
        vec!["settings"],
        vec!["value", "--json"],
    ] {
        let out = rapport(dir, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} failed: {err}");
        for key in ["tier.vip_percent", "rate.EUR"] {
            assert!(
                err.lines()
                    .any(|l| l.starts_with("warning: team setting `") && l.contains(key)),
                "{args:?} did not warn about {key}: {err}"
            );
        }
    }
    // The good merged value and the local one apply; the bad ones take their defaults.
    let s = common::json(dir, &["settings", "--json"]);
    assert_eq!(s["settings"]["tier.vip_percent"], "1");
    assert_eq!(s["settings"]["cadence.major_days"], "21");
    assert_eq!(s["settings"]["cadence.vip_days"], "7");
    assert!(s["settings"].get("rate.EUR").is_none());

    // `settings set` stays strict, and a bad merged key elsewhere does not block a good change.
    let refused = rapport(dir, &["settings", "set", "tier.major_percent", "many"]);
    assert!(!refused.status.success());
    ok(dir, &["settings", "set", "rate.EUR", "7.85"]);
    let s = common::json(dir, &["settings", "--json"]);
    assert_eq!(s["settings"]["rate.EUR"], "7.85");
}

#[test]
fn concurrent_tier_edits_are_clamped_into_order() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    ok(dir, &["demo", "--customers", "30"]);
    // Here: major lowered to 5 (valid with vip 1). A peer meanwhile: vip raised to 10 (valid
    // with its major 20). Merged: vip 10 > major 5.
    ok(dir, &["settings", "set", "tier.major_percent", "5"]);
    receive_settings(dir, &[("tier.vip_percent", "10")]);
    for args in [
        vec!["value"],
        vec!["customer", "list"],
        vec!["followup", "list", "--due-revisit"],
    ] {
        let out = rapport(dir, &args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?} failed: {err}");
        assert!(
            err.contains("warning: team setting `tier.*_percent`"),
            "{err}"
        );
    }
    let s = common::json(dir, &["settings", "--json"]);
    assert_eq!(s["settings"]["tier.vip_percent"], "10");
    assert_eq!(s["settings"]["tier.major_percent"], "10");
    assert_eq!(s["settings"]["tier.common_percent"], "20");
    // Strict as before: a change that breaks the order is refused.
    assert!(
        !rapport(dir, &["settings", "set", "tier.common_percent", "3"])
            .status
            .success()
    );
}
