#![no_main]
//! Structure-aware RTP and RTCP: a well-formed RTP packet and a compound
//! RTCP packet generated with the crate's `arbitrary` feature
//! (`PacketSpec`, `CompoundSpec`), written by the crate's writers, then
//! edited by libFuzzer.
//!
//! - As written, each parses to what it was made of and writes back byte
//!   for byte.
//! - After the edits, whatever parses writes back to a packet that parses
//!   to the same fields (RTP), or to the same packets (RTCP, where the
//!   compound writers also refuse exactly what the compound parsers
//!   refuse).

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use sansrtc_rtp::arbitrary::{CompoundSpec, PacketSpec};
use sansrtc_rtp::list::List;
use sansrtc_rtp::rtcp::{self, Compound, Packets};
use sansrtc_rtp::rtp;

#[path = "common/edit.rs"]
mod edit;

#[derive(Arbitrary, Debug)]
struct Input {
    packet: PacketSpec,
    packet_edits: Vec<edit::Edit>,
    compound: CompoundSpec,
    compound_edits: Vec<edit::Edit>,
}

/// A parsed RTP packet writes back to one with the same fields.
fn check_rtp(bytes: &[u8]) {
    let Ok(packet) = rtp::Packet::parse(bytes) else {
        return;
    };
    let builder = packet.to_builder();
    let mut out = vec![0u8; builder.encoded_len()];
    let n = builder
        .write_to(&mut out)
        .expect("a parsed packet writes back");
    assert_eq!(n, bytes.len());
    let again = rtp::Packet::parse(&out).expect("a written packet parses");
    assert_eq!(again.marker(), packet.marker());
    assert_eq!(again.payload_type(), packet.payload_type());
    assert_eq!(again.sequence_number(), packet.sequence_number());
    assert_eq!(again.timestamp(), packet.timestamp());
    assert_eq!(again.ssrc(), packet.ssrc());
    assert_eq!(again.csrcs(), packet.csrcs());
    assert_eq!(again.extension(), packet.extension());
    assert_eq!(again.payload(), packet.payload());
    assert_eq!(again.padding_len(), packet.padding_len());
    if let Some(extension) = packet.extension() {
        let _ = (extension.validate(), extension.elements().count());
    }
}

/// Parsed RTCP packets write back and parse to equal packets; the
/// compound writers refuse exactly what the compound parsers refuse.
fn check_rtcp(bytes: &[u8]) {
    let _ = (Compound::parse(bytes), Compound::parse_reduced_size(bytes));
    let packets: Vec<rtcp::Packet<'_>> = Packets::new(bytes).filter_map(Result::ok).collect();
    let mut out = vec![0u8; rtcp::compound_len(&packets)];
    let mut n = 0;
    for packet in &packets {
        n += packet
            .write_to(&mut out[n..])
            .expect("parsed packets write back");
    }
    assert_eq!(n, out.len());
    let again: Vec<rtcp::Packet<'_>> = Packets::new(&out)
        .map(|p| p.expect("a written packet parses"))
        .collect();
    assert_eq!(again, packets);
    let mut buf = vec![0u8; out.len()];
    let compound = rtcp::write_compound(&packets, &mut buf);
    assert_eq!(compound.is_ok(), Compound::parse(&out).is_ok());
    if compound.is_ok() {
        assert_eq!(buf, out);
    }
    let reduced = rtcp::write_reduced_size(&packets, &mut buf);
    assert_eq!(reduced.is_ok(), Compound::parse_reduced_size(&out).is_ok());
}

fn run(input: Input) {
    let spec = &input.packet;
    let bytes = spec.to_bytes().expect("a generated spec writes");
    let packet = rtp::Packet::parse(&bytes).expect("a written spec parses");
    assert_eq!(packet.sequence_number(), spec.sequence_number);
    assert_eq!(packet.timestamp(), spec.timestamp);
    assert_eq!(packet.ssrc(), spec.ssrc);
    assert_eq!(packet.csrcs(), List::new(&spec.csrcs));
    assert_eq!(packet.payload(), &spec.payload[..]);
    assert_eq!(packet.padding_len(), spec.padding);
    assert_eq!(packet.has_extension(), spec.extension.is_some());
    let again = packet.to_builder();
    let mut out = vec![0u8; again.encoded_len()];
    again.write_to(&mut out).expect("writes back");
    assert_eq!(out, bytes, "a written packet writes back byte for byte");
    check_rtp(&edit::edited(&bytes, &input.packet_edits));

    let spec = &input.compound;
    let bytes = spec.to_bytes().expect("a generated spec writes");
    let compound = if spec.reduced_size {
        Compound::parse_reduced_size(&bytes)
    } else {
        Compound::parse(&bytes)
    }
    .expect("a written compound parses");
    let parsed: Vec<rtcp::Packet<'_>> = compound
        .packets()
        .map(|p| p.expect("every packet parses"))
        .collect();
    spec.with_packets(|expected| assert_eq!(parsed, expected))
        .expect("a generated spec lends its packets");
    check_rtcp(&bytes);
    check_rtcp(&edit::edited(&bytes, &input.compound_edits));
}

fuzz_target!(|input: Input| run(input));
