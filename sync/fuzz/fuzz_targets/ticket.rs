//! `Invite::decode` on arbitrary text (the input as lossy UTF-8), as a user would paste it:
//! Ok or Err, never a panic; an invite that decodes re-encodes, and its ticket decodes to
//! the same invite.

#![no_main]

use libfuzzer_sys::fuzz_target;
use rapport_sync::pair::Invite;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(invite) = Invite::decode(&text) {
        let ticket = invite.encode().expect("a decoded invite re-encodes");
        let again = Invite::decode(&ticket).expect("a re-encoded ticket decodes");
        assert_eq!(invite, again, "ticket round trip");
    }
});
