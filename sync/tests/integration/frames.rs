//! Random and mutated frames against both sides of the protocol, over real stores: the
//! bounded, CI-sized sibling of the cargo-fuzz targets in `sync/fuzz`.
//!
//! The valid frames come from a recorded session between two demo stores; each case mutates
//! some (flip bits, cut, splice, duplicate, insert random bytes) or makes up random ones, and
//! feeds them to a fresh [`Responder`] (as a hostile initiator would) or to an [`Initiator`]
//! after its first frame (as a hostile responder would). Every step must return, never panic;
//! after each case the victim's store must still check clean (`Store::verify`), and when no
//! frame was accepted its customers must be exactly as before.
//!
//! `PROPTEST_CASES=N` sets the number of cases per test (default 250 in CI).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::sync::OnceLock;

use chrono::NaiveDate;
use proptest::prelude::*;
use rapport_store::{OpenOptions, Store};
use rapport_sync::protocol::{Frame, Initiator, Responder};

use crate::common;
use crate::common::Device;

/// A device named `name` holding `customers` demo customers and one exchange rate.
fn device(name: &str, customers: usize, seed: u64) -> Device {
    let d = common::device(name);
    d.store
        .create_many(rapport_demo::generate(
            customers,
            seed,
            NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
        ))
        .unwrap();
    d.store.set_setting("rate.EUR", Some("7.85")).unwrap();
    d
}

/// Encoded frames: (initiator → responder, responder → initiator).
type Recorded = (Vec<Vec<u8>>, Vec<Vec<u8>>);

/// The encoded frames of one real session.
fn recorded() -> &'static Recorded {
    static FRAMES: OnceLock<Recorded> = OnceLock::new();
    FRAMES.get_or_init(|| {
        let a = device("A", 60, 1);
        let b = device("B", 40, 2);
        // Some shared history, so the session descends and exchanges changes.
        rapport_sync::sync_local(&a.store, &b.store).unwrap();
        a.store
            .create_many(rapport_demo::generate(
                30,
                3,
                NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
            ))
            .unwrap();
        let mut i = Initiator::new(&a.store).unwrap();
        let mut r = Responder::new(&b.store).unwrap();
        let (mut requests, mut replies) = (Vec::new(), Vec::new());
        let mut out = i.start().unwrap();
        while !out.is_empty() {
            let mut back = Vec::new();
            for f in out.drain(..) {
                let bytes = f.encode().unwrap();
                requests.push(bytes.clone());
                back.extend(r.receive(Frame::decode(&bytes).unwrap()).unwrap());
            }
            if i.is_done() {
                break;
            }
            for f in back {
                let bytes = f.encode().unwrap();
                replies.push(bytes.clone());
                out.extend(i.receive(Frame::decode(&bytes).unwrap()).unwrap());
            }
        }
        assert!(requests.len() >= 3 && !replies.is_empty(), "a real session");
        (requests, replies)
    })
}

#[derive(Clone, Debug)]
enum Mutation {
    Flip { at: usize, bit: u8 },
    Cut { at: usize },
    Insert { at: usize, bytes: Vec<u8> },
    Splice { from: usize, at: usize, len: usize },
    Duplicate,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        1 => any::<usize>().prop_map(|at| Mutation::Cut { at }),
        2 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (any::<usize>(), any::<usize>(), 1usize..64)
            .prop_map(|(from, at, len)| Mutation::Splice { from, at, len }),
        1 => Just(Mutation::Duplicate),
    ]
}

/// A hostile sequence: recorded frames (by index) with mutations, or random bytes.
#[derive(Clone, Debug)]
enum Input {
    Mutated(usize, Vec<Mutation>),
    Random(Vec<u8>),
}

fn inputs() -> impl Strategy<Value = Vec<Input>> {
    prop::collection::vec(
        prop_oneof![
            4 => (any::<usize>(), prop::collection::vec(mutation(), 0..4))
                .prop_map(|(i, m)| Input::Mutated(i, m)),
            1 => prop::collection::vec(any::<u8>(), 0..256).prop_map(Input::Random),
        ],
        1..6,
    )
}

fn apply(frame: &[u8], muts: &[Mutation]) -> Vec<Vec<u8>> {
    let mut b = frame.to_vec();
    let mut extra = Vec::new();
    for m in muts {
        let n = b.len().max(1);
        match m {
            Mutation::Flip { at, bit } => {
                if !b.is_empty() {
                    let i = at % b.len();
                    b[i] ^= 1 << bit;
                }
            }
            Mutation::Cut { at } => b.truncate(at % n),
            Mutation::Insert { at, bytes } => {
                let i = at % n;
                let i = i.min(b.len());
                b.splice(i..i, bytes.iter().copied());
            }
            Mutation::Splice { from, at, len } => {
                if !b.is_empty() {
                    let f = from % b.len();
                    let chunk: Vec<u8> = b[f..(f + len).min(b.len())].to_vec();
                    let i = (at % n).min(b.len());
                    b.splice(i..i, chunk);
                }
            }
            Mutation::Duplicate => extra.push(b.clone()),
        }
    }
    extra.insert(0, b);
    extra
}

fn materialise(pool: &[Vec<u8>], inputs: &[Input]) -> Vec<Vec<u8>> {
    inputs
        .iter()
        .flat_map(|i| match i {
            Input::Mutated(k, m) => apply(&pool[k % pool.len()], m),
            Input::Random(b) => vec![b.clone()],
        })
        .collect()
}

/// A fresh copy of one victim store (copying the file is much faster than filling a store).
fn victim() -> Device {
    static TEMPLATE: OnceLock<std::path::PathBuf> = OnceLock::new();
    let template = TEMPLATE.get_or_init(|| {
        let d = device("Victim", 25, 9);
        let dir = d._dir.path().to_path_buf();
        drop(d.store);
        // Keep the template's directory for the whole run.
        std::mem::forget(d._dir);
        dir.join(rapport_store::DB_FILE)
    });
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(template, dir.path().join(rapport_store::DB_FILE)).unwrap();
    let store = Store::open(dir.path(), OpenOptions::default()).unwrap();
    Device { store, _dir: dir }
}

/// Feeds the frames that decode to one side until it refuses one (where a real node closes
/// the connection); returns whether it accepted any.
fn feed(
    frames: &[Vec<u8>],
    mut receive: impl FnMut(Frame) -> Result<Vec<Frame>, rapport_sync::SyncError>,
) -> bool {
    let mut accepted = false;
    for bytes in frames {
        let Ok(frame) = Frame::decode(bytes) else {
            continue;
        };
        match receive(frame) {
            Ok(_) => accepted = true,
            Err(_) => break,
        }
    }
    accepted
}

/// The victim's store checks clean, and is untouched if nothing was accepted.
fn check(
    v: Device,
    before: &[rapport_model::CustomerSummary],
    accepted: bool,
) -> Result<(), TestCaseError> {
    let mut store = v.store;
    let problems = store.verify().unwrap();
    prop_assert!(problems.is_empty(), "{problems:?}");
    if !accepted {
        prop_assert!(store.summaries().unwrap() == before, "untouched");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(250)
    ))]

    #[test]
    fn a_hostile_initiator_cannot_crash_or_damage_a_responder(input in inputs()) {
        let frames = materialise(&recorded().0, &input);
        let v = victim();
        let before = v.store.summaries().unwrap();
        let mut r = Responder::new(&v.store).unwrap();
        let accepted = feed(&frames, |f| r.receive(f));
        drop(r);
        check(v, &before, accepted)?;
    }

    #[test]
    fn a_hostile_responder_cannot_crash_or_damage_an_initiator(input in inputs()) {
        let frames = materialise(&recorded().1, &input);
        let v = victim();
        let before = v.store.summaries().unwrap();
        let mut i = Initiator::new(&v.store).unwrap();
        i.start().unwrap();
        let accepted = feed(&frames, |f| i.receive(f));
        drop(i);
        check(v, &before, accepted)?;
    }

    #[test]
    fn decoding_any_bytes_returns(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        if let Ok(f) = Frame::decode(&bytes) {
            // Whatever decodes re-encodes to something that decodes the same.
            prop_assert_eq!(Frame::decode(&f.encode().unwrap()).unwrap(), f);
        }
    }
}
