#![no_main]
//! STUN parsing: any bytes either fail to parse or give a message whose
//! accessors and verifiers all work, whose every attribute encodes again to
//! an equal one, and that writes back to the same bytes. The same bytes go
//! through ChannelData, TURN stream framing and RFC 4571 framing. The checks
//! are shared with the crate's property tests.

use libfuzzer_sys::fuzz_target;

include!("../../stun/tests/roundtrip/mod.rs");

fuzz_target!(|data: &[u8]| {
    check_message(data);
    check_framing(data);
});
