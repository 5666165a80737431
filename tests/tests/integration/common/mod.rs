//! Helpers shared by the cross-crate tests.

#![allow(dead_code)] // each test file uses its own subset

use rapport_store::{OpenOptions, Store};
use tempfile::TempDir;

/// A device: its store in a temporary directory that lives as long as it does.
pub struct Device {
    pub store: Store,
    pub _dir: TempDir,
}

/// A device whose store signs its changes with `name`.
pub fn device(name: &str) -> Device {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(
        dir.path(),
        OpenOptions {
            device_name: name.into(),
            ..OpenOptions::default()
        },
    )
    .expect("open store");
    Device { store, _dir: dir }
}
