//! Parse arbitrary text as SDP in both modes; whatever parses must write
//! back to text that parses to the same description, and the canonical form
//! (every line written from its typed value) must too.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sansrtc_sdp::{Mode, Sdp};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    for mode in [Mode::Lenient, Mode::Strict] {
        let Ok(sdp) = Sdp::parse_with(text, mode) else {
            continue;
        };
        let written = sdp.to_string();
        assert_eq!(sdp.encoded_len(), written.len());
        let again = Sdp::parse_with(&written, mode).expect("a written description parses");
        assert_eq!(again, sdp);
        assert_eq!(again.to_string(), written);
        let mut canonical = sdp.clone();
        canonical.regenerate();
        let canonical_text = canonical.to_string();
        let reparsed =
            Sdp::parse_with(&canonical_text, Mode::Lenient).expect("the canonical form parses");
        assert_eq!(reparsed, sdp);
    }
});
