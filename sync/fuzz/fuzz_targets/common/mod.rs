//! What the store-backed targets share: the fixture (`seeds/fixture.bin`, embedded, written by
//! `examples/gen_seeds.rs`), a real [`Store`] opened once per process that joins the fixture's
//! signed team and takes its documents (signed deliveries), the checks every input ends with,
//! and the length-prefixed frame reader. Because the store is in a team, every customer and
//! settings change an input carries goes through the signature and authorship checks
//! (`rapport_store::authored`), as it would on a team member's device.
//!
//! The store lives in a directory named after the process id under `/dev/shm` (so redb's
//! fsyncs cost nothing) or the temp dir; directories of processes that are gone are removed
//! when the next fuzzer starts, since libFuzzer exits without running destructors.

#![allow(dead_code)] // not every target uses every helper

use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, OnceLock};

use rapport_model::CustomerId;
use rapport_store::{OpenOptions, Shared, Store};
use serde::Deserialize;

/// Documents the store starts with, and 8 customers it lacks (see `gen_seeds`).
#[derive(Deserialize)]
pub struct Fixture {
    pub docs: Vec<(u128, Vec<u8>)>,
    pub extra: Vec<(u128, Vec<u8>)>,
    pub team_id: [u8; 32],
    pub team: Vec<u8>,
}

static FIXTURE_BYTES: &[u8] = include_bytes!("../../seeds/fixture.bin");

/// A full `verify` (redb integrity check and every document hydrated and compared with its
/// summary) runs after every this many inputs, and whenever the store is replaced.
pub const VERIFY_EVERY: u64 = 64;
/// Inputs after which the store is replaced by a fresh copy of the fixture, so what earlier
/// inputs merged into it does not pile up (and crashes stay close to reproducible).
pub const RESET_EVERY: u64 = 20_000;
/// A store holding more documents than this is replaced too.
pub const MAX_DOCS: u64 = 200;

pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| postcard::from_bytes(FIXTURE_BYTES).expect("seeds/fixture.bin decodes"))
}

/// The customer an `apply_remote` selector byte names: the fixture's 40, then the 8 the store
/// starts without.
pub fn target_id(selector: u8) -> CustomerId {
    let f = fixture();
    let n = usize::from(selector) % (f.docs.len() + f.extra.len());
    let id = match f.docs.get(n) {
        Some((id, _)) => *id,
        None => f.extra[n - f.docs.len()].0,
    };
    CustomerId::from_u128(id)
}

pub struct State {
    pub store: Store,
    dir: PathBuf,
    generation: u32,
    runs: u64,
}

fn base() -> PathBuf {
    let shm = Path::new("/dev/shm");
    if shm.is_dir() {
        shm.to_path_buf()
    } else {
        std::env::temp_dir()
    }
}

/// Removes store directories left by fuzzer processes that no longer run.
fn sweep() {
    let Ok(entries) = std::fs::read_dir(base()) else {
        return;
    };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = name.strip_prefix("rapport-fuzz-") else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or("");
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(e.path());
        }
    }
}

fn open_fresh(generation: u32) -> (Store, PathBuf) {
    let dir = base().join(format!("rapport-fuzz-{}-{generation}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = Store::open(
        &dir,
        OpenOptions {
            device_name: "fuzz".into(),
            holder: "rapport-sync-fuzz".into(),
            ..OpenOptions::default()
        },
    )
    .expect("open the fixture store");
    store
        .team_join(fixture().team_id, false)
        .expect("join the fixture's team");
    store
        .apply_remote_shared_from(None, Shared::Team, &fixture().team)
        .expect("the fixture's team document loads");
    assert!(
        store.team_state().ok().flatten().is_some(),
        "the fixture's team is signed and complete"
    );
    let batch: Vec<(CustomerId, &[u8])> = fixture()
        .docs
        .iter()
        .map(|(id, b)| (CustomerId::from_u128(*id), b.as_slice()))
        .collect();
    store
        .apply_remote_many(&batch)
        .expect("the fixture documents load");
    (store, dir)
}

/// The process's store (opened and filled on first use).
pub fn state() -> MutexGuard<'static, State> {
    static S: OnceLock<Mutex<State>> = OnceLock::new();
    let m = S.get_or_init(|| {
        sweep();
        let (store, dir) = open_fresh(0);
        Mutex::new(State {
            store,
            dir,
            generation: 0,
            runs: 0,
        })
    });
    // A panic while locked is a crash report already; keep going for `-fork` runs.
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl State {
    /// The checks every input ends with: each document the input touched (and the store
    /// holds) hydrates, the shared documents read, and every [`VERIFY_EVERY`] inputs the
    /// whole store verifies clean.
    pub fn check(&mut self, touched: &[u128]) {
        for id in touched {
            let id = CustomerId::from_u128(*id);
            let held = self
                .store
                .document_bytes(id)
                .expect("read a document's bytes");
            if held.is_some()
                && let Err(e) = self.store.customer(id)
            {
                panic!("stored document {id} does not hydrate: {e}");
            }
        }
        if let Err(e) = self.store.settings() {
            panic!("settings document does not read: {e}");
        }
        if let Err(e) = self.store.team() {
            panic!("team document does not read: {e}");
        }
        self.runs += 1;
        if self.runs.is_multiple_of(VERIFY_EVERY) {
            self.verify();
        }
        let count = self.store.count().expect("count documents");
        if self.runs.is_multiple_of(RESET_EVERY) || count > MAX_DOCS {
            self.verify();
            self.generation += 1;
            let (store, dir) = open_fresh(self.generation);
            let old = std::mem::replace(&mut self.store, store);
            drop(old);
            let _ = std::fs::remove_dir_all(std::mem::replace(&mut self.dir, dir));
        }
    }

    pub fn verify(&mut self) {
        match self.store.verify() {
            Ok(problems) if problems.is_empty() => {}
            Ok(problems) => panic!("store verify found problems: {problems:?}"),
            Err(e) => panic!("store verify failed: {e}"),
        }
    }
}

/// Splits fuzz input into frames: each a u32 little-endian length then that many bytes (fewer
/// if the input ends first). Stops when fewer than 4 bytes remain.
pub fn frames(mut data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    while let Some((len, rest)) = data.split_first_chunk::<4>() {
        let n = (u32::from_le_bytes(*len) as usize).min(rest.len());
        let (frame, rest) = rest.split_at(n);
        out.push(frame);
        data = rest;
    }
    out
}
