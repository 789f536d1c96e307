#![no_main]
//! RFC 8285 header extensions: validation and iteration agree, and the
//! elements write back to an equal list.

use libfuzzer_sys::fuzz_target;
use sansrtc_rtp::rtp::extension::{
    AbsCaptureTime, AbsSendTime, AudioLevel, Mid, PlayoutDelay, TransportSequenceNumber,
    VideoOrientation,
};
use sansrtc_rtp::rtp::{Builder, Element, HeaderExtension, Packet};

fuzz_target!(|input: (u16, &[u8])| {
    let (profile, data) = input;
    let Ok(ext) = HeaderExtension::new(profile, data) else {
        return;
    };
    let elements: Vec<Element<'_>> = ext.elements().collect();
    for element in &elements {
        let _ = AbsSendTime::parse(element.data);
        let _ = TransportSequenceNumber::parse(element.data);
        let _ = Mid::parse(element.data);
        let _ = AudioLevel::parse(element.data);
        let _ = VideoOrientation::parse(element.data);
        let _ = AbsCaptureTime::parse(element.data);
        let _ = PlayoutDelay::parse(element.data);
    }
    if ext.form().is_none() || elements.len() > 64 {
        return;
    }
    // The elements written by the builder come back the same.
    let builder = Builder::new().extensions(&elements);
    let mut buf = vec![0u8; builder.encoded_len()];
    if builder.write_to(&mut buf).is_err() {
        // Only an element the two-byte form cannot carry may fail.
        assert!(elements.iter().any(|e| e.data.len() > 255));
        return;
    }
    let packet = Packet::parse(&buf).expect("a written packet parses");
    let again: Vec<Element<'_>> = packet
        .extension()
        .expect("has an extension")
        .elements()
        .collect();
    assert_eq!(again, elements);
});
