#![no_main]
//! RTP parsing: any bytes either fail to parse or give a packet whose
//! accessors all work and that writes back to an equal packet.

use libfuzzer_sys::fuzz_target;
use sansrtc_rtp::rtp::Packet;

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::parse(data) else {
        return;
    };
    let _ = (
        packet.version(),
        packet.marker(),
        packet.payload_type(),
        packet.sequence_number(),
        packet.timestamp(),
        packet.ssrc(),
        packet.csrcs().iter().count(),
        packet.header_len(),
        packet.padding_len(),
    );
    let builder = packet.to_builder();
    let mut out = vec![0u8; builder.encoded_len()];
    let n = builder
        .write_to(&mut out)
        .expect("a parsed packet writes back");
    assert_eq!(n, data.len());
    let again = Packet::parse(&out).expect("a written packet parses");
    assert_eq!(again.payload(), packet.payload());
    assert_eq!(again.csrcs(), packet.csrcs());
    assert_eq!(again.extension(), packet.extension());
    assert_eq!(again.sequence_number(), packet.sequence_number());
    assert_eq!(again.padding_len(), packet.padding_len());
});
