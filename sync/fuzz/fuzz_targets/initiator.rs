//! A hostile responder against an `Initiator` over a real `Store` (opened once per process and
//! filled with the fixture's 40 customers): after `start()`, the input is a sequence of
//! replies, each a u32 LE length then its bytes, decoded with `Frame::decode` and handed to
//! `Initiator::receive` until one is refused or the initiator is done.
//!
//! Checks: no call panics (each returns Ok or Err); every frame the initiator sends encodes
//! and passes its own `Frame::decode`; afterwards every document a reply carried hydrates,
//! the shared documents read, and every `VERIFY_EVERY` inputs `Store::verify` finds no
//! problem.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use rapport_sync::protocol::{Frame, Initiator};

fn own_frames_valid(out: &[Frame]) {
    for f in out {
        if let Ok(b) = f.encode() {
            if let Err(e) = Frame::decode(&b) {
                panic!("the initiator sent a frame it would refuse: {e}: {f:?}");
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let mut state = common::state();
    let mut touched = Vec::new();
    {
        let mut i = Initiator::new(&state.store).expect("a healthy store lists its entries");
        let first = i.start().expect("the first request");
        own_frames_valid(&first);
        for bytes in common::frames(data) {
            let Ok(frame) = Frame::decode(bytes) else {
                break;
            };
            if let Frame::Reply { docs, .. } = &frame {
                touched.extend(docs.iter().map(|d| d.id));
            }
            let Ok(out) = i.receive(frame) else {
                break;
            };
            own_frames_valid(&out);
            if i.is_done() {
                break;
            }
        }
    }
    state.check(&touched);
});
