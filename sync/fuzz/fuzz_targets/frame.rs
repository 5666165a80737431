//! `Frame::decode` on arbitrary bytes: it returns Ok or Err and never panics; a frame that
//! decodes (and so passed validation) re-encodes, and the encoding decodes to an equal frame
//! (round trip).

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_sync::protocol::Frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(frame) = Frame::decode(data) {
        let bytes = frame.encode().expect("a decoded frame re-encodes");
        let again = Frame::decode(&bytes).expect("a re-encoded frame decodes");
        assert_eq!(frame, again, "frame round trip");
    }
});
