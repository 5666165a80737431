//! The device secret in local backups is sealed with the machine's device key: a backup file
//! alone does not reveal it, the same machine restores it, another machine cannot, and
//! backups written before sealing (plain secret, version 1) still restore as the device.

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::path::Path;

use data_encoding::BASE64;
use rapport_store::{NewCustomer, OpenOptions, Store, StoreError, backups};
use serde_json::Value;

fn opts(key_file: &Path) -> OpenOptions {
    OpenOptions {
        device_name: "Laptop".into(),
        key_file: Some(key_file.to_path_buf()),
        ..OpenOptions::default()
    }
}

/// A store with two customers and one automatic backup; returns the backup's text.
fn store_with_backup(dir: &Path, key_file: &Path) -> (Store, String) {
    let store = Store::open(dir, opts(key_file)).unwrap();
    for name in ["Acme", "Globex"] {
        store
            .create(NewCustomer::new(name, rapport_model::CustomerKind::Company))
            .unwrap();
    }
    let path = store.write_backup().unwrap();
    let text = std::fs::read_to_string(path).unwrap();
    (store, text)
}

#[test]
fn a_backup_file_alone_does_not_reveal_the_device_secret() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("keys").join("device.key");
    let (store, text) = store_with_backup(&tmp.path().join("a"), &key);
    let secret = store.device_secret();
    // Not there in any encoding the old format used, nor as raw bytes.
    assert!(!text.contains(&BASE64.encode(&secret)));
    assert!(!text.as_bytes().windows(32).any(|w| w == secret));
    let backup: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(backup["version"], 2);
    assert!(backup["identity"].get("secret").is_none());
    assert!(backup["identity"]["sealed"].is_string());
    assert_eq!(backup["identity"]["name"], "Laptop");
    // The key is outside the data directory, owner-only.
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }
    // An export never holds the identity and stays version 1.
    let mut export = Vec::new();
    store.backup(&mut export).unwrap();
    let export: Value = serde_json::from_slice(&export).unwrap();
    assert_eq!(export["version"], 1);
    assert!(export.get("identity").is_none());
}

#[test]
fn the_same_machine_restores_the_identity_another_cannot() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("device.key");
    let (store, text) = store_with_backup(&tmp.path().join("a"), &key);
    let secret = store.device_secret();
    drop(store);

    // Same machine (same device key), a new data directory.
    let mut same = Store::open(tmp.path().join("b"), opts(&key)).unwrap();
    let stats = same.restore_as_device(text.as_bytes()).unwrap();
    assert!(stats.identity);
    assert_eq!(same.device_secret(), secret);
    assert_eq!(same.count().unwrap(), 2);

    // Another machine: its own device key. Refused, naming where it looked; nothing written.
    let other_key = tmp.path().join("other.key");
    let mut other = Store::open(tmp.path().join("c"), opts(&other_key)).unwrap();
    let before = other.device_secret();
    let err = other.restore_as_device(text.as_bytes()).unwrap_err();
    assert!(matches!(err, StoreError::BadBackup(_)), "{err}");
    let msg = err.to_string();
    assert!(msg.contains("sealed with a device key"), "{msg}");
    assert!(msg.contains("other.key"), "{msg}");
    assert_eq!(other.count().unwrap(), 0);
    assert_eq!(other.device_secret(), before);
    // It can still restore the customers, without the identity.
    let stats = other.restore(text.as_bytes()).unwrap();
    assert_eq!((stats.customers, stats.identity), (2, false));
    assert_eq!(other.device_secret(), before);

    // A tampered seal is refused the same way.
    let mut backup: Value = serde_json::from_str(&text).unwrap();
    let mut blob = BASE64
        .decode(backup["identity"]["sealed"].as_str().unwrap().as_bytes())
        .unwrap();
    blob[20] ^= 1;
    backup["identity"]["sealed"] = BASE64.encode(&blob).into();
    let mut fresh = Store::open(tmp.path().join("d"), opts(&key)).unwrap();
    let err = fresh
        .restore_as_device(backup.to_string().as_bytes())
        .unwrap_err();
    assert!(
        err.to_string().contains("sealed with a device key"),
        "{err}"
    );
    assert_eq!(fresh.count().unwrap(), 0);
}

#[test]
fn backups_written_before_sealing_still_restore_as_the_device() {
    let tmp = tempfile::tempdir().unwrap();
    let key = tmp.path().join("device.key");
    let (store, text) = store_with_backup(&tmp.path().join("a"), &key);
    let secret = store.device_secret();
    drop(store);
    // What today's code wrote: version 1, the secret in plain base64.
    let mut old: Value = serde_json::from_str(&text).unwrap();
    old["version"] = 1.into();
    old["identity"] = serde_json::json!({ "secret": BASE64.encode(&secret), "name": "Laptop" });

    // Restored on a machine with no device key at all (none is needed for a plain one).
    let mut restored = Store::open(
        tmp.path().join("b"),
        opts(&tmp.path().join("none").join("device.key")),
    )
    .unwrap();
    let stats = restored
        .restore_as_device(old.to_string().as_bytes())
        .unwrap();
    assert!(stats.identity);
    assert_eq!(restored.device_secret(), secret);
    assert_eq!(restored.count().unwrap(), 2);
    // Its next backup is sealed.
    let next = std::fs::read_to_string(restored.write_backup().unwrap()).unwrap();
    assert!(!next.contains(&BASE64.encode(&secret)));
    assert!(backups::latest(restored.dir()).is_some());

    // Malformed identities are refused before anything is written.
    for identity in [
        serde_json::json!({ "name": "Laptop" }),
        serde_json::json!({ "secret": "AAAA", "name": "Laptop" }),
        serde_json::json!({ "sealed": "AAAA", "name": "Laptop" }),
    ] {
        let mut bad = old.clone();
        bad["identity"] = identity.clone();
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(dir.path(), opts(&key)).unwrap();
        let err = s.restore(bad.to_string().as_bytes()).unwrap_err();
        assert!(err.to_string().contains("identity"), "{identity}: {err}");
        assert_eq!(s.count().unwrap(), 0);
    }
}
