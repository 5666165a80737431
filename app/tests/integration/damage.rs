//! A damaged store file and a full disk, through the real `rapport` binary:
//!
//! - a truncated store, and stores with random bit flips: every command that meets the damage
//!   fails with exit code 1 (never a panic), naming the file and offering the latest automatic
//!   backup; `restore --replace-damaged` brings the customers back under the same device
//!   identity, so the team still admits the device;
//! - a disk that fills up under an edit (a small tmpfs in a private mount namespace): the edit
//!   fails with a clear "disk is full" error, nothing half-written, and the store is usable
//!   again once space is freed.
//!
//! `RAPPORT_FLIPS=N` sets how many bit-flipped copies are tried (default 40).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;
use std::process::Command;

use crate::common::{json, ok, rapport};
use rand::{Rng, SeedableRng};
use serde_json::Value;

const DB: &str = "rapport.redb";

/// What scripts see of every customer.
fn listing(dir: &Path) -> Value {
    json(dir, &["customer", "list", "--archived", "--json"])
}

fn device_id(dir: &Path) -> String {
    json(dir, &["device", "--json"])["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// A store with customers, follow-ups and a backup; returns the backup's path.
fn store_with_backup(dir: &Path) -> String {
    ok(dir, &["demo", "--customers", "60"]);
    let backup = ok(dir, &["backup"]).trim().to_string();
    assert!(Path::new(&backup).exists(), "{backup}");
    assert!(ok(dir, &["backup", "--list"]).contains(&backup));
    backup
}

fn assert_damage_reported(what: &str, out: &std::process::Output, dir: &Path, backup: &str) {
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{what}: {err}");
    assert!(!err.contains("panicked"), "{what}: {err}");
    let file = dir.join(DB);
    assert!(
        err.contains(&file.display().to_string()),
        "{what}: the error must name the file: {err}"
    );
    assert!(
        err.contains(&format!("rapport restore --replace-damaged {backup}")),
        "{what}: the error must offer the latest backup: {err}"
    );
}

#[test]
fn a_truncated_store_names_the_file_and_restores_from_the_latest_backup() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let backup = store_with_backup(d);
    let before = listing(d);
    let me = device_id(d);
    let file = d.join(DB);
    let len = std::fs::metadata(&file).unwrap().len();

    // Cut the file: to a third of it, then to its first page only.
    for keep in [len / 3, 4096] {
        let f = std::fs::OpenOptions::new().write(true).open(&file).unwrap();
        f.set_len(keep).unwrap();
        drop(f);
        let out = rapport(d, &["customer", "list"]);
        assert_damage_reported(&format!("truncated to {keep}"), &out, d, &backup);
    }

    // Restoring over an undamaged store is refused; over this damaged one it works.
    let healthy = tempfile::tempdir().unwrap();
    ok(healthy.path(), &["demo", "--customers", "3"]);
    let out = rapport(
        healthy.path(),
        &["restore", "--replace-damaged", backup.as_str()],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is not damaged"));

    let said = ok(d, &["restore", "--replace-damaged", backup.as_str()]);
    assert!(said.contains("restored 60 customers"), "{said}");
    assert_eq!(listing(d), before, "every customer is back");
    assert_eq!(
        device_id(d),
        me,
        "the device keeps its identity in the team"
    );
    assert!(ok(d, &["check"]).contains("0 problems"));
    let kept: Vec<_> = std::fs::read_dir(d)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "the damaged file is kept beside the new one");
    // And the restored device goes on working.
    ok(d, &["customer", "add", "--name", "After the restore"]);
}

#[test]
fn bit_flips_are_reported_never_a_panic_or_silent_wrong_data() {
    let flips: usize = std::env::var("RAPPORT_FLIPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(40);
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let backup = store_with_backup(d);
    let before = listing(d);
    let pristine = std::fs::read(d.join(DB)).unwrap();
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    let (mut harmless, mut reported) = (0, 0);
    for i in 0..flips {
        let mut bytes = pristine.clone();
        // Flip 1 to 8 bits, anywhere in the file.
        for _ in 0..rng.random_range(1..=8) {
            let at = rng.random_range(0..bytes.len());
            bytes[at] ^= 1 << rng.random_range(0..8);
        }
        std::fs::write(d.join(DB), &bytes).unwrap();
        let check = rapport(d, &["check"]);
        let code = check.status.code();
        assert!(
            code == Some(0) || code == Some(1),
            "flip {i}: `check` ended with {code:?}: {}",
            String::from_utf8_lossy(&check.stderr)
        );
        if code == Some(0) {
            // Nothing that matters was hit: what scripts read is exactly as before.
            assert_eq!(
                listing(d),
                before,
                "flip {i}: check passed but data differs"
            );
            harmless += 1;
        } else {
            assert_damage_reported(&format!("flip {i}"), &check, d, &backup);
            // Other commands fail cleanly too, or read correct data.
            let list = rapport(d, &["customer", "list", "--archived", "--json"]);
            assert_ne!(list.status.code(), Some(101), "flip {i}: panic");
            if list.status.success() {
                let got: Value = serde_json::from_slice(&list.stdout).unwrap();
                if got != before {
                    // Damage that only `check` can see (a summary row): reads still return
                    // decodable rows, and check has already said the file is damaged.
                    assert_eq!(
                        got.as_array().map(Vec::len),
                        before.as_array().map(Vec::len)
                    );
                }
            }
            reported += 1;
        }
    }
    // The backup always brings everything back. (The last flip may have been harmless:
    // damage the file for certain, a copy cut in half, so the restore has a damaged store to
    // replace whatever the sequence of flips was.)
    std::fs::write(d.join(DB), &pristine[..pristine.len() / 2]).unwrap();
    ok(d, &["restore", "--replace-damaged", backup.as_str()]);
    assert_eq!(listing(d), before);
    eprintln!(
        "bit flips: {flips} damaged copies, {reported} reported as damaged, {harmless} harmless (unused space), 0 panics"
    );
}

/// Runs `script` as root of a private user and mount namespace (so it can mount a small
/// tmpfs); `None` where this kernel does not allow that.
fn in_mount_namespace(script: &str) -> Option<std::process::Output> {
    let probe = Command::new("unshare")
        .args(["-rm", "true"])
        .output()
        .ok()?;
    if !probe.status.success() {
        return None;
    }
    Some(
        Command::new("unshare")
            .args(["-rm", "sh", "-c", script])
            .env("RAPPORT", env!("CARGO_BIN_EXE_rapport"))
            .env("RAPPORT_LAN_DISCOVERY", "off")
            .env_remove("RAPPORT_DATA_DIR")
            .output()
            .expect("run unshare"),
    )
}

#[test]
fn a_full_disk_fails_the_edit_clearly_and_the_store_stays_usable() {
    let mnt = tempfile::tempdir().unwrap();
    let scratch = tempfile::tempdir().unwrap();
    // Fill a 6 MiB tmpfs: a store with customers, then a filler file taking every free byte;
    // then try edits. Each step prints a marker the assertions read.
    let script = format!(
        r#"set -u
mount -t tmpfs -o size=6m tmpfs {mnt} || exit 77
D={mnt}/store
"$RAPPORT" --data-dir "$D" demo --customers 200 >/dev/null || exit 3
ID=$("$RAPPORT" --data-dir "$D" customer list --json | sed -n 's/.*"id": *"\([^"]*\)".*/\1/p' | head -n1)
"$RAPPORT" --data-dir "$D" customer list --json | grep -c '"id"'
dd if=/dev/zero of={mnt}/filler bs=64k 2>/dev/null
echo "== full"
# Several edits, big enough to need new pages.
for i in 1 2 3 4 5 6 7 8; do
  "$RAPPORT" --data-dir "$D" customer edit "$ID" --notes "$(head -c 100000 /dev/zero | tr '\0' 'n')$i"
  echo "edit exit $?"
done
"$RAPPORT" --data-dir "$D" customer add --name "Written while full"
echo "add exit $?"
echo "== read while full"
"$RAPPORT" --data-dir "$D" customer list --json > {scratch}/list.json
echo "list exit $?"
grep -c '"id"' {scratch}/list.json
rm {mnt}/filler
echo "== freed"
"$RAPPORT" --data-dir "$D" customer add --name "After the disk was freed" >/dev/null
echo "add exit $?"
"$RAPPORT" --data-dir "$D" check
echo "check exit $?"
"$RAPPORT" --data-dir "$D" customer list --json | grep -c '"id"'
"#,
        mnt = mnt.path().display(),
        scratch = scratch.path().display(),
    );
    let Some(out) = in_mount_namespace(&script) else {
        eprintln!("SKIPPED: this kernel allows no user mount namespace (`unshare -rm`)");
        return;
    };
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(77), "mount failed: {stderr}");
    let (before, rest) = stdout.split_once("== full").expect(&stdout);
    let count_before: usize = before.lines().next_back_number();
    let (full, rest) = rest.split_once("== read while full").expect(&stdout);
    let (read, freed) = rest.split_once("== freed").expect(&stdout);
    // At least one write hit the full disk, and said so; none panicked.
    assert!(
        full.contains("edit exit 1") || full.contains("add exit 1"),
        "no write failed on a full disk: {stdout} {stderr}"
    );
    assert!(
        stderr.contains("is full; free some space and try again (nothing was written)"),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    // Reading works while full; nothing was lost, and the add is there only if it fit.
    assert!(read.contains("list exit 0"), "{stdout}");
    let count_full: usize = read.lines().next_back_number();
    let added_while_full = full.contains("add exit 0");
    assert_eq!(
        count_full,
        count_before + usize::from(added_while_full),
        "{stdout}"
    );
    // Once space is freed, edits work again and the store checks clean.
    assert!(freed.contains("add exit 0"), "{stdout} {stderr}");
    assert!(
        freed.contains("0 problems") && freed.contains("check exit 0"),
        "{stdout}"
    );
    let count_after: usize = freed.lines().next_back_number();
    assert_eq!(count_after, count_full + 1, "{stdout}");
}

trait LastNumber {
    fn next_back_number(self) -> usize;
}

impl<'a, I: DoubleEndedIterator<Item = &'a str>> LastNumber for I {
    /// The last line that is a number.
    fn next_back_number(mut self) -> usize {
        self.rfind(|l| l.trim().parse::<usize>().is_ok())
            .and_then(|l| l.trim().parse().ok())
            .expect("a count line")
    }
}
