//! Replies and pushes are streamed: a side reads a document from its store only when the
//! frame that carries it is sent, so it holds at most one frame and one document of its
//! output, however many documents a round sends (a new device's first sync sends them all).
//!
//! Checked on both sides with a replica that counts the bytes `changes_since` hands out:
//! nothing is read when a request is taken, and at every frame the bytes read but not yet
//! sent are at most one document (the one fetched ahead to close the frame).

#![allow(clippy::unwrap_used, clippy::expect_used)] // test helpers may panic

use std::cell::Cell;

use rapport_model::{CustomerKind, Edit, NewCustomer};
use rapport_store::Store;
use rapport_sync::protocol::{Doc, FRAME_BUDGET, Frame, Initiator, Item, Responder};
use rapport_sync::{Hash, Replica, SyncError};

use crate::common::device;

/// A store whose reads of outgoing documents are counted.
struct Counting<'s> {
    store: &'s Store,
    fetched: Cell<u64>,
    largest: Cell<u64>,
}

impl<'s> Counting<'s> {
    fn new(store: &'s Store) -> Self {
        Counting {
            store,
            fetched: Cell::new(0),
            largest: Cell::new(0),
        }
    }
}

impl Replica for Counting<'_> {
    fn entries(&self) -> Result<Vec<Item>, SyncError> {
        Replica::entries(self.store)
    }
    fn changes_since(&self, id: u128, have: &[Hash]) -> Result<Option<Vec<u8>>, SyncError> {
        let out = Replica::changes_since(self.store, id, have)?;
        if let Some(b) = &out {
            self.fetched.set(self.fetched.get() + b.len() as u64);
            self.largest.set(self.largest.get().max(b.len() as u64));
        }
        Ok(out)
    }
    fn knows(&self, id: u128, heads: &[Hash]) -> Result<bool, SyncError> {
        Replica::knows(self.store, id, heads)
    }
    fn apply(&self, id: u128, bytes: &[u8]) -> Result<bool, SyncError> {
        Replica::apply(self.store, id, bytes)
    }
    fn shared_heads(&self, kind: u8) -> Result<Vec<Hash>, SyncError> {
        Replica::shared_heads(self.store, kind)
    }
    fn shared_changes_since(&self, kind: u8, have: &[Hash]) -> Result<Vec<u8>, SyncError> {
        Replica::shared_changes_since(self.store, kind, have)
    }
    fn apply_shared(&self, kind: u8, bytes: &[u8]) -> Result<bool, SyncError> {
        Replica::apply_shared(self.store, kind, bytes)
    }
    fn apply_many(&self, docs: &[Doc]) -> Result<u64, SyncError> {
        Replica::apply_many(self.store, docs)
    }
}

/// `n` customers with 60 KB of notes each that compress poorly, so the lot spans
/// several frames.
fn big_customers(store: &Store, n: usize) {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    for i in 0..n {
        let notes: String = (0..30_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                format!("{:02x}", x as u8)
            })
            .collect::<Vec<_>>()
            .join("");
        let mut new = NewCustomer::new(format!("Customer {i}"), CustomerKind::Person);
        new.edits.push(Edit::Notes(notes));
        store.create(new).unwrap();
    }
}

fn docs_of(f: &Frame) -> &[Doc] {
    match f {
        Frame::Request { push, .. } => push,
        Frame::Reply { docs, .. } => docs,
        Frame::Done => &[],
    }
}

/// Drains `next` frame by frame, checking after each that what was read but not yet sent
/// is at most one document; returns the frames.
fn drain(
    counting: &Counting<'_>,
    before: u64,
    mut next: impl FnMut() -> Result<Option<Frame>, SyncError>,
) -> Vec<Frame> {
    let mut sent = 0u64;
    let mut frames = Vec::new();
    while let Some(f) = next().unwrap() {
        let bytes: u64 = docs_of(&f).iter().map(|d| d.bytes.len() as u64).sum();
        let framed: u64 = docs_of(&f).iter().map(|d| d.bytes.len() as u64 + 24).sum();
        assert!(
            framed <= FRAME_BUDGET as u64 || docs_of(&f).len() == 1,
            "a frame of {framed} document bytes"
        );
        sent += bytes;
        let held = counting.fetched.get() - before - sent;
        assert!(
            held <= counting.largest.get(),
            "{held} bytes read ahead of what was sent, more than one document"
        );
        frames.push(f);
    }
    frames
}

const N: usize = 100;

#[test]
fn a_reply_is_read_from_the_store_frame_by_frame() {
    let a = device("A");
    let b = device("B");
    big_customers(&b.store, N);
    let counting = Counting::new(&b.store);
    let mut i = Initiator::new(&a.store).unwrap();
    let mut r = Responder::new(&counting).unwrap();
    let mut to_responder = i.start().unwrap();
    let mut replies = 0;
    while !i.is_done() {
        for f in std::mem::take(&mut to_responder) {
            let read = counting.fetched.get();
            r.accept(f).unwrap();
            // Taking the request reads nothing: documents are read as frames are sent.
            assert_eq!(counting.fetched.get(), read);
            let frames = drain(&counting, read, || r.next_frame());
            if frames.iter().any(|f| !docs_of(f).is_empty()) {
                assert!(counting.fetched.get() > read);
            }
            replies += frames.len();
            for f in frames {
                to_responder.extend(i.receive(f).unwrap());
            }
        }
    }
    assert!(
        replies >= 4,
        "{N} customers of ~30 KB (compressed) fit in {replies} frames"
    );
    assert_eq!(r.stats.docs_sent, N as u64);
    assert_eq!(a.store.summaries().unwrap(), b.store.summaries().unwrap());
}

#[test]
fn a_push_is_read_from_the_store_frame_by_frame() {
    let a = device("A");
    let b = device("B");
    big_customers(&a.store, N);
    let counting = Counting::new(&a.store);
    let mut i = Initiator::new(&counting).unwrap();
    let mut r = Responder::new(&b.store).unwrap();
    let mut pushes = 0;
    let mut to_responder = i.start().unwrap();
    while !to_responder.is_empty() {
        let mut replies = Vec::new();
        for f in to_responder.drain(..) {
            replies.extend(r.receive(f).unwrap());
        }
        for f in replies {
            // Taking the reply reads at most one document ahead (to tell whether anything
            // is left to push at all).
            let read = counting.fetched.get();
            i.accept(f).unwrap();
            let frames = drain(&counting, read, || i.next_frame());
            pushes += frames.iter().filter(|f| !docs_of(f).is_empty()).count();
            to_responder.extend(frames);
        }
    }
    assert!(i.is_done() && r.is_done());
    assert!(
        pushes >= 4,
        "{N} customers of ~30 KB (compressed) fit in {pushes} frames"
    );
    assert_eq!(i.stats.docs_sent, N as u64);
    assert_eq!(a.store.summaries().unwrap(), b.store.summaries().unwrap());
}

#[test]
fn a_frame_is_taken_only_after_the_last_one_is_sent() {
    let a = device("A");
    let b = device("B");
    big_customers(&b.store, 40);
    let mut i = Initiator::new(&a.store).unwrap();
    let mut r = Responder::new(&b.store).unwrap();
    let first = i.start().unwrap().remove(0);
    r.accept(first.clone()).unwrap();
    // The reply is under way: a second request before it is sent is a caller's mistake,
    // refused rather than mixed into the reply.
    assert!(r.next_frame().unwrap().is_some());
    assert!(r.accept(first).is_err());
}
