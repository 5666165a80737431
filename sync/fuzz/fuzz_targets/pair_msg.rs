//! `PairMsg::decode` (what the `rapport/pair/1` reader does with each message) on arbitrary
//! bytes: Ok or Err, never a panic; a message that decodes re-encodes with postcard to bytes
//! that decode to the same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_sync::pair::PairMsg;

fuzz_target!(|data: &[u8]| {
    if let Ok(msg) = PairMsg::decode(data) {
        let bytes = postcard::to_stdvec(&msg).expect("a decoded message re-encodes");
        let again = PairMsg::decode(&bytes).expect("a re-encoded message decodes");
        assert_eq!(msg, again, "pairing message round trip");
    }
});
