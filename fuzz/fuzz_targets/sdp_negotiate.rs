//! Answer arbitrary offers with the default capabilities: never a panic, the
//! answer always parses (strict mode) and fits the offer.

#![no_main]

use libfuzzer_sys::fuzz_target;
use sansrtc_sdp::Sdp;
use sansrtc_sdp::negotiate::{Capabilities, Session, apply_answer, create_answer};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(offer) = Sdp::parse(text) else {
        return;
    };
    let capabilities = Capabilities::webrtc_defaults(Session::example());
    let Ok(answer) = create_answer(&offer, &capabilities) else {
        return;
    };
    let written = answer.to_string();
    let parsed = Sdp::parse_strict(&written).expect("our answer parses in strict mode");
    assert_eq!(parsed, answer);
    apply_answer(&offer, &answer).expect("our answer fits the offer");
});
