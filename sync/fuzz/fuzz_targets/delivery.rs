//! `Delivery::decode` (`rapport_store::authored`) on bytes from a peer: the signed envelope a
//! document's changes travel in (`RPD1`, the automerge bytes, the signers' keys, and per
//! change an 8-byte hash prefix, a signer index and a signature), or plain automerge bytes.
//!
//! Checks: decoding returns Ok or Err and never panics; a decoded delivery re-encodes to
//! bytes that decode to an equal delivery (same document bytes, same signers and signatures
//! in the same order, hashes as their wire prefixes).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_store::authored::Delivery;

fuzz_target!(|data: &[u8]| {
    let Ok(d) = Delivery::decode(data) else {
        return;
    };
    let again = Delivery::decode(&d.encode()).expect("an encoded delivery decodes");
    assert_eq!(again, d, "a delivery survives a round trip");
});
