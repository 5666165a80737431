//! `Store::apply_remote(id, bytes)` with bytes from a peer, on a real `Store` opened once per
//! process and filled with the fixture's 40 customers. The first input byte picks the id
//! (`common::target_id`: one of the 40, or one of 8 customers the store starts without); the
//! rest are the document bytes. The seed corpus holds real documents and `save_after` changes
//! of those customers, so mutations explore damaged real documents, not only noise.
//!
//! Checks: apply_remote returns Ok or Err and never panics; afterwards the document (if held)
//! hydrates, the shared documents read, and every `VERIFY_EVERY` inputs `Store::verify`
//! finds no problem.

#![no_main]

mod common;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, bytes)) = data.split_first() else {
        return;
    };
    let id = common::target_id(selector);
    let mut state = common::state();
    let _ = state.store.apply_remote(id, bytes);
    state.check(&[id.as_u128()]);
});
