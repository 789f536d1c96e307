#![no_main]
//! RTCP compound parsing: parse, write every packet back, parse again, and
//! the packets must be equal.

use libfuzzer_sys::fuzz_target;
use sansrtc_rtp::rtcp::{Compound, Packet, Packets, compound_len, write_compound};

fuzz_target!(|data: &[u8]| {
    let _ = Compound::parse(data);
    let _ = Compound::parse_reduced_size(data);
    let packets: Vec<Packet<'_>> = Packets::new(data).filter_map(Result::ok).collect();
    let mut out = vec![0u8; compound_len(&packets)];
    let n = write_compound(&packets, &mut out).expect("parsed packets write back");
    assert_eq!(n, out.len());
    let again: Vec<Packet<'_>> = Packets::new(&out)
        .map(|p| p.expect("a written packet parses"))
        .collect();
    assert_eq!(again, packets);
});
