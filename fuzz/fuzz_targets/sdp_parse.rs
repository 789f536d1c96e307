//! Parse arbitrary text as SDP in both modes; whatever parses must write
//! back to text that parses to the same description, and the canonical form
//! (every line written from its typed value) must too. The check is shared
//! with the crate's regression tests.

#![no_main]

use libfuzzer_sys::fuzz_target;

include!("../../sdp/tests/roundtrip/mod.rs");

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = core::str::from_utf8(data) {
        check_parse(text);
    }
});
