//! The `arbitrary` and `proptest` features: every generated packet writes
//! and parses back to what it was made of, and writes back byte for byte;
//! every near-valid packet is refused.
//!
//! Run with `cargo test -p sansrtc-rtp --features arbitrary,proptest`.

#![allow(clippy::indexing_slicing, clippy::std_instead_of_alloc)]

use arbitrary::{Arbitrary, Unstructured};
use proptest::prelude::*;
use sansrtc_rtp::arbitrary::{CompoundSpec, ExtensionSpec, PacketSpec, RtcpSpec};
use sansrtc_rtp::list::List;
use sansrtc_rtp::rtcp::{self, Compound, Packets};
use sansrtc_rtp::rtp::{self, Element};
use sansrtc_rtp::strategy::{CompoundDefect, PacketDefect, near_valid_compound, near_valid_packet};

fn check_packet(spec: &PacketSpec) -> Result<(), TestCaseError> {
    let bytes = spec.to_bytes().expect("a generated spec writes");
    prop_assert_eq!(bytes.len(), spec.encoded_len());
    let packet = rtp::Packet::parse(&bytes).expect("a written spec parses");
    prop_assert_eq!(packet.marker(), spec.marker);
    prop_assert_eq!(packet.payload_type(), spec.payload_type);
    prop_assert_eq!(packet.sequence_number(), spec.sequence_number);
    prop_assert_eq!(packet.timestamp(), spec.timestamp);
    prop_assert_eq!(packet.ssrc(), spec.ssrc);
    prop_assert_eq!(packet.csrcs(), List::new(&spec.csrcs));
    prop_assert_eq!(packet.payload(), &spec.payload[..]);
    prop_assert_eq!(packet.padding_len(), spec.padding);
    match (&spec.extension, packet.extension()) {
        (None, None) => {}
        (Some(ExtensionSpec::Elements(elements) | ExtensionSpec::TwoByte(elements)), Some(ext)) => {
            prop_assert!(ext.validate().is_ok());
            let got: Vec<Element<'_>> = ext.elements().collect();
            let expected: Vec<Element<'_>> = elements
                .iter()
                .map(|e| Element::new(e.id, &e.data))
                .collect();
            prop_assert_eq!(got, expected);
        }
        (Some(ExtensionSpec::Raw { profile, data }), Some(ext)) => {
            prop_assert_eq!(ext.profile(), *profile);
            prop_assert_eq!(ext.data(), &data[..]);
        }
        (expected, got) => prop_assert!(false, "extension {expected:?}, parsed {got:?}"),
    }
    // A parsed packet writes back to the same bytes.
    let again = packet.to_builder();
    let mut out = vec![0u8; again.encoded_len()];
    again.write_to(&mut out).unwrap();
    prop_assert_eq!(out, bytes);
    Ok(())
}

fn check_rtcp(spec: &RtcpSpec) -> Result<(), TestCaseError> {
    let bytes = spec.to_bytes().expect("a generated spec writes");
    prop_assert_eq!(bytes.len(), spec.encoded_len());
    let parsed = rtcp::Packet::parse(&bytes).expect("a written spec parses");
    spec.with_packet(|expected| assert_eq!(&parsed, expected))
        .unwrap();
    let mut out = vec![0u8; parsed.encoded_len()];
    parsed.write_to(&mut out).unwrap();
    prop_assert_eq!(out, bytes);
    Ok(())
}

fn check_compound(spec: &CompoundSpec) -> Result<(), TestCaseError> {
    let bytes = spec.to_bytes().expect("a generated spec writes");
    prop_assert_eq!(bytes.len(), spec.encoded_len());
    let compound = if spec.reduced_size {
        Compound::parse_reduced_size(&bytes)
    } else {
        Compound::parse(&bytes)
    }
    .expect("a written compound parses");
    let parsed: Vec<rtcp::Packet<'_>> = compound.packets().map(Result::unwrap).collect();
    spec.with_packets(|expected| assert_eq!(parsed, expected))
        .unwrap();
    prop_assert_eq!(Packets::new(&bytes).count(), spec.packets.len());
    for packet in &spec.packets {
        check_rtcp(packet)?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn proptest_packets_round_trip(spec in any::<PacketSpec>()) {
        check_packet(&spec)?;
    }

    #[test]
    fn proptest_rtcp_round_trips(spec in any::<RtcpSpec>()) {
        check_rtcp(&spec)?;
    }

    #[test]
    fn proptest_compounds_round_trip(spec in any::<CompoundSpec>()) {
        check_compound(&spec)?;
    }

    #[test]
    fn arbitrary_specs_round_trip(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let mut u = Unstructured::new(&data);
        check_packet(&PacketSpec::arbitrary(&mut u).unwrap())?;
        check_rtcp(&RtcpSpec::arbitrary(&mut u).unwrap())?;
        check_compound(&CompoundSpec::arbitrary(&mut u).unwrap())?;
        check_compound(&CompoundSpec::arbitrary_take_rest(u).unwrap())?;
    }

    #[test]
    fn near_valid_packets_are_refused(near in near_valid_packet()) {
        prop_assert!(
            rtp::Packet::parse(&near.bytes).is_err(),
            "{:?} parsed: {:02x?}", near.defect, near.bytes
        );
        prop_assert!(matches!(
            near.defect,
            PacketDefect::Truncated(_) | PacketDefect::Version(_) | PacketDefect::Padding(_)
                | PacketDefect::ExtensionLength(_)
        ));
    }

    #[test]
    fn near_valid_compounds_are_refused(near in near_valid_compound()) {
        prop_assert!(
            Compound::parse(&near.bytes).is_err(),
            "{:?} parsed: {:02x?}", near.defect, near.bytes
        );
        if !matches!(near.defect, CompoundDefect::FirstNotReport(_)) {
            // Only the first-packet rule is the reduced-size parser's to
            // waive.
            prop_assert!(Compound::parse_reduced_size(&near.bytes).is_err(), "{:?}", near.defect);
        }
    }
}

/// Generated values are not all alike: over a few hundred random inputs
/// every RTCP packet type and both extension forms appear.
#[test]
fn arbitrary_specs_vary() {
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut types = std::collections::BTreeSet::new();
    let mut forms = std::collections::BTreeSet::new();
    for _ in 0..500 {
        let data: Vec<u8> = (0..1024)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                state as u8
            })
            .collect();
        let mut u = Unstructured::new(&data);
        let packet = PacketSpec::arbitrary(&mut u).unwrap();
        let bytes = packet.to_bytes().unwrap();
        if let Some(ext) = rtp::Packet::parse(&bytes).unwrap().extension() {
            forms.insert(format!("{:?}", ext.form()));
        }
        let spec = RtcpSpec::arbitrary(&mut u).unwrap();
        spec.with_packet(|p| types.insert(format!("{:?}", core::mem::discriminant(p))))
            .unwrap();
    }
    assert_eq!(forms.len(), 3, "{forms:?}");
    assert_eq!(types.len(), 17, "{types:?}");
}
