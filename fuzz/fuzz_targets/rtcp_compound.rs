#![no_main]
//! RTCP compound parsing: parse, write every packet back, parse again, and
//! the packets must be equal; the compound writers refuse exactly what the
//! compound parsers refuse.

use libfuzzer_sys::fuzz_target;
use sansrtc_rtp::rtcp::{
    Compound, Packet, Packets, compound_len, write_compound, write_reduced_size,
};

fuzz_target!(|data: &[u8]| {
    let _ = Compound::parse(data);
    let _ = Compound::parse_reduced_size(data);
    let packets: Vec<Packet<'_>> = Packets::new(data).filter_map(Result::ok).collect();
    let mut out = vec![0u8; compound_len(&packets)];
    let mut n = 0;
    for packet in &packets {
        n += packet
            .write_to(&mut out[n..])
            .expect("parsed packets write back");
    }
    assert_eq!(n, out.len());
    let again: Vec<Packet<'_>> = Packets::new(&out)
        .map(|p| p.expect("a written packet parses"))
        .collect();
    assert_eq!(again, packets);
    let mut buf = vec![0u8; out.len()];
    let compound = write_compound(&packets, &mut buf);
    assert_eq!(compound.is_ok(), Compound::parse(&out).is_ok());
    if compound.is_ok() {
        assert_eq!(buf, out);
    }
    let reduced = write_reduced_size(&packets, &mut buf);
    assert_eq!(reduced.is_ok(), Compound::parse_reduced_size(&out).is_ok());
});
