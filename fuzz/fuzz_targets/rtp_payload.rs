#![no_main]
//! Every payload format: the first byte picks the format, the next one a
//! payload size limit, and the rest is read two ways. As RTP payloads
//! (each after a length byte): the depacketizer and the header views must
//! give an error or a frame, never panic. As a frame: if the packetizer
//! takes it, its payloads fit the limit and depacketize to the same frame
//! (up to what the format rewrites: start codes, delimiters, OBU size
//! fields). The payloads are also read as dependency descriptors, one
//! after the other, against the structure the earlier ones set.

use libfuzzer_sys::fuzz_target;
use sansrtc_rtp::payload::av1::{self, Av1Payload, obu_type};
use sansrtc_rtp::payload::dependency_descriptor::{DependencyDescriptorReader, MandatoryFields};
use sansrtc_rtp::payload::h264::{self, H264Payload, annex_b_nal_units};
use sansrtc_rtp::payload::h265::{self, H265Payload};
use sansrtc_rtp::payload::opus::OpusPacket;
use sansrtc_rtp::payload::red::{RedPacketizer, RedPayload};
use sansrtc_rtp::payload::telephone_event::TelephoneEvents;
use sansrtc_rtp::payload::vp8::Vp8Descriptor;
use sansrtc_rtp::payload::vp9::{ScalabilityStructure, Vp9Descriptor, Vp9FrameHeader};
use sansrtc_rtp::payload::{Codec, Depacketizer, Packetizer, Payloads};

fn views(payload: &[u8]) {
    if let Ok(p) = H264Payload::parse(payload) {
        let _ = p.first_nal_unit_type();
        if let H264Payload::StapA(stap) = p {
            assert!(stap.nal_units().all(|nal| !nal.is_empty()));
        }
    }
    if let Ok(H265Payload::Aggregation(ap)) = H265Payload::parse(payload) {
        assert!(ap.nal_units().all(|nal| nal.len() >= 2));
    }
    if let Ok(p) = Av1Payload::parse(payload) {
        assert!(p.elements().all(|e| !e.is_empty()));
        let w = usize::from(p.w());
        assert!(w == 0 || p.elements().count() == w);
    }
    if let Ok(red) = RedPayload::parse(payload) {
        assert_eq!(red.blocks().count(), red.redundant_len() + 1);
    }
    if let Ok((d, rest)) = Vp8Descriptor::parse(payload) {
        let mut out = [0u8; 8];
        let len = d.write_to(&mut out).expect("a parsed VP8 descriptor writes back");
        assert_eq!(len + rest.len(), payload.len());
    }
    if let Ok((d, rest)) = Vp9Descriptor::parse(payload) {
        let len = d.encoded_len();
        assert_eq!(len + rest.len(), payload.len());
        let mut out = vec![0u8; len];
        // Flexible mode without a picture id or references does not write.
        if d.write_to(&mut out).is_ok() {
            assert_eq!(&out[..], &payload[..len]);
        }
        if let Some(ss) = d.scalability_structure {
            let _ = (ss.spatial_layers(), ss.resolutions().map(Iterator::count));
            let _ = ss.picture_group().map(Iterator::count);
        }
    }
    let _ = ScalabilityStructure::parse(payload);
    let _ = Vp9FrameHeader::parse(payload);
    let _ = OpusPacket::parse(payload).map(|p| p.duration());
    let _ = TelephoneEvents::parse(payload).map(|e| e.iter().count());
    let _ = av1::obus(payload).count();
}

/// The frame as the depacketizer gives it back.
fn expected(codec: Codec, frame: &[u8]) -> Vec<u8> {
    match codec {
        Codec::H264 => annex_b_nal_units(frame)
            .filter(|nal| {
                !matches!(
                    h264::nal_unit_type(nal[0]),
                    h264::nal_type::AUD | h264::nal_type::FILLER
                )
            })
            .flat_map(|nal| [&[0, 0, 0, 1][..], nal].concat())
            .collect(),
        Codec::H265 => annex_b_nal_units(frame)
            .filter(|nal| {
                !matches!(
                    h265::nal_unit_type(nal[0]),
                    h265::nal_type::AUD | h265::nal_type::FD
                )
            })
            .flat_map(|nal| [&[0, 0, 0, 1][..], nal].concat())
            .collect(),
        _ => frame.to_vec(),
    }
}

/// The OBUs that travel, as (header without the size flag, extension,
/// payload).
fn obus(unit: &[u8]) -> Vec<(u8, Option<u8>, Vec<u8>)> {
    av1::obus(unit)
        .map(|o| o.expect("valid OBUs"))
        .filter(|o| {
            !matches!(
                o.obu_type(),
                obu_type::TEMPORAL_DELIMITER | obu_type::TILE_LIST | obu_type::PADDING
            )
        })
        .map(|o| (o.header & !0x02, o.extension, o.payload.to_vec()))
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let [selector, limit, rest @ ..] = data else {
        return;
    };
    let codec = Codec::ALL[usize::from(*selector) % Codec::ALL.len()];

    // As payloads.
    let mut payloads = Vec::new();
    let mut bytes = rest;
    while let [len, tail @ ..] = bytes {
        let len = usize::from(*len).min(tail.len());
        payloads.push(&tail[..len]);
        bytes = &tail[len..];
    }
    let mut depacketizer = codec.depacketizer();
    let mut descriptors = DependencyDescriptorReader::new();
    for payload in &payloads {
        let _ = depacketizer.payload_info(payload);
        views(payload);
        if let Ok(frame) = descriptors.read(payload) {
            assert_eq!(Ok(frame.mandatory), MandatoryFields::parse(payload));
            let structure = descriptors.structure().expect("a frame needs a structure");
            assert_eq!(
                frame.decode_target_indications().count(),
                structure.decode_targets()
            );
            assert_eq!(frame.chain_diffs().len(), structure.chains());
            let _ = frame.referenced_frames().count();
        }
    }
    let mut frame = Vec::new();
    let _ = depacketizer.depacketize_frame(payloads.iter().copied(), &mut frame);

    // As a frame.
    let max_payload_len = usize::from(*limit) * 8;
    let mut packetizer: Box<dyn Packetizer> = match codec.packetizer() {
        Some(p) => p,
        None => Box::new(RedPacketizer::new(*limit, usize::from(*limit % 4))),
    };
    let mut out = Payloads::new();
    if packetizer
        .packetize(rest, 0, max_payload_len, &mut out)
        .is_err()
    {
        assert!(out.is_empty());
        return;
    }
    assert!(!out.is_empty());
    assert!(out.iter().all(|p| p.data.len() <= max_payload_len));
    let mut back = Vec::new();
    let info = depacketizer
        .depacketize_frame(out.iter().map(|p| p.data), &mut back)
        .unwrap_or_else(|e| panic!("{codec:?}: our own payloads refused: {e}"));
    let _ = info.keyframe;
    if codec == Codec::Av1 {
        assert_eq!(obus(&back), obus(rest));
    } else {
        assert_eq!(back, expected(codec, rest), "{codec:?}");
    }
});
