//! A hostile initiator against a `Responder` over a real `Store` (opened once per process and
//! filled with the fixture's 40 customers). The input is a sequence of frames, each a u32 LE
//! length then its bytes; each is decoded with `Frame::decode` and handed to
//! `Responder::receive` until one is refused or the responder is done, as the transport would.
//!
//! Checks: no call panics (each returns Ok or Err); every frame the responder sends back
//! encodes and passes its own `Frame::decode` (an honest peer would accept it); afterwards
//! every document a pushed frame named hydrates, the shared documents read, and every
//! `VERIFY_EVERY` inputs `Store::verify` finds no problem.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;
use rapport_sync::protocol::{Frame, Responder};

fuzz_target!(|data: &[u8]| {
    let mut state = common::state();
    let mut touched = Vec::new();
    {
        let mut r = Responder::new(&state.store).expect("a healthy store lists its entries");
        for bytes in common::frames(data) {
            let Ok(frame) = Frame::decode(bytes) else {
                break;
            };
            if let Frame::Request { push, .. } = &frame {
                touched.extend(push.iter().map(|d| d.id));
            }
            let Ok(out) = r.receive(frame) else {
                break;
            };
            for f in out {
                if let Ok(b) = f.encode() {
                    if let Err(e) = Frame::decode(&b) {
                        panic!("the responder sent a frame it would refuse: {e}: {f:?}");
                    }
                }
            }
            if r.is_done() {
                break;
            }
        }
    }
    state.check(&touched);
});
