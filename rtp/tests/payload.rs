//! Payload formats, property-tested: whatever a packetizer makes from a
//! frame fits the size it was given and depacketizes to the same frame;
//! descriptors write back to what they parse from; any bytes given to a
//! depacketizer give an error or a frame, never a panic; and packetizing
//! and parsing allocate nothing once the output has grown.

// Test code: a bad index is a failed test, as the workspace lints intend.
#![allow(clippy::indexing_slicing)]

use proptest::collection::vec;
use proptest::prelude::*;
use sansrtc_rtp::payload::av1::{self, Av1Packetizer, Av1Payload};
use sansrtc_rtp::payload::g711::G711Packetizer;
use sansrtc_rtp::payload::h264::{H264Packetizer, H264Payload, PacketizationMode};
use sansrtc_rtp::payload::h265::{H265Packetizer, H265Payload};
use sansrtc_rtp::payload::opus::{OpusPacket, OpusPacketizer};
use sansrtc_rtp::payload::red::{RedPacketizer, RedPayload};
use sansrtc_rtp::payload::telephone_event::{TelephoneEvent, TelephoneEventPacketizer};
use sansrtc_rtp::payload::vp8::{Vp8Descriptor, Vp8Layer, Vp8Packetizer};
use sansrtc_rtp::payload::vp9::{
    ReferenceDiffs, ScalabilityStructure, Vp9Descriptor, Vp9Layer, Vp9LayerIndex, Vp9Packetizer,
};
use sansrtc_rtp::payload::{Codec, Depacketizer, FrameInfo, Packetizer, Payloads, PictureId};

/// Packetizes `frame` with `packetizer`, checks the sizes and that exactly
/// the last payload has the marker bit (when `marker_on_last`), and
/// depacketizes it again with the codec's depacketizer.
fn round_trip(
    codec: Codec,
    packetizer: &mut dyn Packetizer,
    frame: &[u8],
    max_payload_len: usize,
    marker_on_last: bool,
) -> Result<(Vec<u8>, FrameInfo, usize), TestCaseError> {
    let mut payloads = Payloads::new();
    packetizer
        .packetize(frame, 0, max_payload_len, &mut payloads)
        .map_err(|e| TestCaseError::fail(format!("{codec:?}: {e}")))?;
    prop_assert!(!payloads.is_empty());
    for (i, payload) in payloads.iter().enumerate() {
        prop_assert!(
            payload.data.len() <= max_payload_len,
            "{codec:?} payload {i}"
        );
        if marker_on_last {
            prop_assert_eq!(
                payload.marker,
                i + 1 == payloads.len(),
                "{:?} marker {}",
                codec,
                i
            );
        }
    }
    let mut depacketizer = codec.depacketizer();
    for payload in &payloads {
        depacketizer
            .payload_info(payload.data)
            .map_err(|e| TestCaseError::fail(format!("{codec:?}: {e}")))?;
    }
    let mut back = Vec::new();
    let info = depacketizer
        .depacketize_frame(payloads.iter().map(|p| p.data), &mut back)
        .map_err(|e| TestCaseError::fail(format!("{codec:?}: {e}")))?;
    Ok((back, info, payloads.len()))
}

/// NAL unit bodies without zero bytes, so that no start code or
/// emulation prevention question arises.
fn nal_body(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(1u8..=255, 1..max)
}

fn annex_b(units: &[Vec<u8>]) -> Vec<u8> {
    units
        .iter()
        .flat_map(|u| [&[0, 0, 0, 1][..], u].concat())
        .collect()
}

fn leb128(mut value: usize, out: &mut Vec<u8>) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn picture_id() -> impl Strategy<Value = Option<PictureId>> {
    prop_oneof![
        Just(None),
        (0u8..128).prop_map(|v| Some(PictureId::Short(v))),
        (0u16..0x8000).prop_map(|v| Some(PictureId::Long(v))),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn opus_round_trip(toc in 0u8..=255, body in vec(any::<u8>(), 0..200)) {
        // A code 0 packet: the TOC and one frame.
        let frame = [&[toc & !0x03][..], &body].concat();
        let packet = OpusPacket::parse(&frame).unwrap();
        prop_assert_eq!(packet.frame_count(), 1);
        let (back, info, count) = round_trip(Codec::Opus, &mut OpusPacketizer::new(), &frame, 1200, false)?;
        prop_assert_eq!(back, frame);
        prop_assert!(info.keyframe);
        prop_assert_eq!(count, 1);
    }

    #[test]
    fn g711_and_g722_round_trip(samples in vec(any::<u8>(), 1..1000)) {
        for codec in [Codec::Pcmu, Codec::Pcma, Codec::G722] {
            let mut packetizer = codec.packetizer().unwrap();
            let (back, _, _) = round_trip(codec, &mut *packetizer, &samples, 1200, false)?;
            prop_assert_eq!(&back, &samples);
        }
        let mut too_small = G711Packetizer::new();
        prop_assert!(too_small.packetize(&samples, 0, samples.len() - 1, &mut Payloads::new()).is_err());
    }

    #[test]
    fn telephone_events_round_trip(events in vec((0u8..=255, any::<bool>(), 0u8..64, any::<u16>()), 1..5)) {
        let mut frame = Vec::new();
        for (event, end, volume, duration) in events {
            let mut buf = [0u8; 4];
            TelephoneEvent { event, end, reserved: false, volume, duration }.write_to(&mut buf).unwrap();
            frame.extend_from_slice(&buf);
        }
        let (back, _, _) = round_trip(Codec::TelephoneEvent, &mut TelephoneEventPacketizer::new(), &frame, 1200, false)?;
        prop_assert_eq!(back, frame);
    }

    #[test]
    fn red_carries_the_primary_and_earlier_frames(
        frames in vec((vec(any::<u8>(), 1..300), 1u32..2000), 1..8),
        distance in 0usize..4,
        max_payload_len in 300usize..1500,
    ) {
        let mut packetizer = RedPacketizer::new(111, distance);
        let mut payloads = Payloads::new();
        let mut timestamp = 0u32;
        let mut sent: Vec<(u32, Vec<u8>)> = Vec::new();
        for (frame, step) in frames {
            timestamp = timestamp.wrapping_add(step);
            packetizer.packetize(&frame, timestamp, max_payload_len, &mut payloads).unwrap();
            let payload = payloads.get(0).unwrap().data;
            prop_assert!(payload.len() <= max_payload_len);
            let red = RedPayload::parse(payload).unwrap();
            prop_assert_eq!(red.primary().data, &frame[..]);
            prop_assert_eq!(red.primary().payload_type, 111);
            prop_assert!(red.redundant_len() <= distance);
            // Each redundant block is an earlier frame, at its timestamp.
            for block in red.blocks().take(red.redundant_len()) {
                let at = block.timestamp(timestamp);
                prop_assert!(sent.iter().any(|(t, f)| *t == at && f[..] == *block.data));
            }
            let mut back = Vec::new();
            Codec::Red.depacketizer().depacketize_frame([payload], &mut back).unwrap();
            prop_assert_eq!(back, frame.clone());
            sent.push((timestamp, frame));
        }
    }

    #[test]
    fn vp8_round_trip(
        frame in vec(any::<u8>(), 1..5000),
        max_payload_len in 8usize..1500,
        picture_id in picture_id(),
        tl0 in proptest::option::of(any::<u8>()),
        temporal in proptest::option::of((0u8..4, any::<bool>())),
        key_index in proptest::option::of(0u8..32),
        non_reference: bool,
    ) {
        let layer = Vp8Layer { non_reference, tl0_pic_idx: tl0, temporal_id: temporal, key_index };
        let mut packetizer = Vp8Packetizer::with_picture_id(picture_id);
        let mut payloads = Payloads::new();
        packetizer.packetize_layer(&frame, &layer, max_payload_len, &mut payloads).unwrap();
        let mut back = Vec::new();
        let mut d = Codec::Vp8.depacketizer();
        for (i, payload) in payloads.iter().enumerate() {
            prop_assert!(payload.data.len() <= max_payload_len);
            prop_assert_eq!(payload.marker, i + 1 == payloads.len());
            let (descriptor, _) = Vp8Descriptor::parse(payload.data).unwrap();
            prop_assert_eq!(descriptor.picture_id, picture_id);
            prop_assert_eq!(descriptor.tl0_pic_idx, tl0);
            prop_assert_eq!(descriptor.temporal_id, temporal);
            prop_assert_eq!(descriptor.key_index, key_index);
            prop_assert_eq!(descriptor.start_of_partition, i == 0);
            d.depacketize(payload.data, &mut back).unwrap();
        }
        d.finish_frame(&mut back).unwrap();
        prop_assert_eq!(back, frame);
        prop_assert_eq!(packetizer.next_picture_id(), picture_id.map(PictureId::next));
    }

    #[test]
    fn vp9_round_trip(
        frame in vec(any::<u8>(), 1..5000),
        max_payload_len in 16usize..1500,
        flexible: bool,
        predicted: bool,
        layer in proptest::option::of((0u8..8, any::<bool>(), any::<bool>())),
        tl0 in proptest::option::of(any::<u8>()),
        diffs in vec(1u8..128, 1..=3),
        with_ss: bool,
    ) {
        let mut ss_bytes = [0u8; 16];
        let ss_len = ScalabilityStructure::write(2, Some(&[(320, 180), (640, 360)]), None, &mut ss_bytes).unwrap();
        let layer_fields = Vp9Layer {
            inter_picture_predicted: predicted,
            not_upper_reference: false,
            // Spatial layer 0: a picture begins with it.
            layer: layer.map(|(temporal_id, switching_up_point, inter_layer_dependency)| Vp9LayerIndex {
                temporal_id,
                switching_up_point,
                spatial_id: 0,
                inter_layer_dependency,
            }),
            tl0_pic_idx: tl0,
            reference_diffs: ReferenceDiffs::new(&diffs).unwrap(),
            scalability_structure: with_ss.then(|| ScalabilityStructure::parse(&ss_bytes[..ss_len]).unwrap().0),
            end_of_picture: true,
        };
        let mut packetizer = Vp9Packetizer::new().flexible(flexible);
        let mut payloads = Payloads::new();
        packetizer.packetize_layer(&frame, &layer_fields, max_payload_len, &mut payloads).unwrap();
        let mut back = Vec::new();
        let mut d = Codec::Vp9.depacketizer();
        for (i, payload) in payloads.iter().enumerate() {
            prop_assert!(payload.data.len() <= max_payload_len);
            prop_assert_eq!(payload.marker, i + 1 == payloads.len());
            let (descriptor, _) = Vp9Descriptor::parse(payload.data).unwrap();
            prop_assert_eq!(descriptor.beginning_of_frame, i == 0);
            prop_assert_eq!(descriptor.end_of_frame, i + 1 == payloads.len());
            prop_assert_eq!(descriptor.flexible_mode, flexible);
            prop_assert_eq!(descriptor.scalability_structure.is_some(), with_ss && i == 0);
            if flexible && predicted {
                prop_assert_eq!(descriptor.reference_diffs.as_slice(), &diffs[..]);
            }
            // The descriptor writes back to its bytes.
            let mut out = [0u8; 64];
            let len = descriptor.write_to(&mut out).unwrap();
            prop_assert_eq!(&out[..len], &payload.data[..len]);
            d.depacketize(payload.data, &mut back).unwrap();
        }
        d.finish_frame(&mut back).unwrap();
        prop_assert_eq!(back, frame);
    }

    #[test]
    fn vp9_frames_round_trip_with_the_default_packetizer(frame in vec(any::<u8>(), 1..4000), max_payload_len in 16usize..1500) {
        let mut packetizer = Vp9Packetizer::new();
        let mut payloads = Payloads::new();
        packetizer.packetize(&frame, 0, max_payload_len, &mut payloads).unwrap();
        let mut back = Vec::new();
        let mut d = Codec::Vp9.depacketizer();
        for payload in &payloads {
            prop_assert!(payload.data.len() <= max_payload_len);
            d.depacketize(payload.data, &mut back).unwrap();
        }
        d.finish_frame(&mut back).unwrap();
        prop_assert_eq!(back, frame);
    }

    #[test]
    fn h264_round_trip(
        units in vec((1u8..=23, 0u8..4, nal_body(3000)), 1..8),
        max_payload_len in 8usize..1500,
    ) {
        let units: Vec<Vec<u8>> = units
            .into_iter()
            .filter(|(t, _, _)| *t != 9 && *t != 12)
            .map(|(t, nri, body)| [&[nri << 5 | t][..], &body].concat())
            .collect();
        prop_assume!(!units.is_empty());
        let frame = annex_b(&units);
        let (back, info, _) = round_trip(Codec::H264, &mut H264Packetizer::new(), &frame, max_payload_len, true)?;
        prop_assert_eq!(&back, &frame);
        let has = |t: u8| units.iter().any(|u| u[0] & 0x1f == t);
        prop_assert_eq!(info.keyframe, has(5) && has(7) && has(8));
        // Mode 0 works whenever every unit fits alone.
        let mut single = H264Packetizer::new().with_mode(PacketizationMode::SingleNalUnit);
        let fits = units.iter().all(|u| u.len() <= max_payload_len);
        let result = single.packetize(&frame, 0, max_payload_len, &mut Payloads::new());
        prop_assert_eq!(result.is_ok(), fits);
        if fits {
            let (back, _, count) = round_trip(Codec::H264, &mut single, &frame, max_payload_len, true)?;
            prop_assert_eq!(back, frame);
            prop_assert_eq!(count, units.len());
        }
    }

    #[test]
    fn h265_round_trip(
        units in vec((0u8..=47, 0u8..64, 1u8..8, nal_body(3000)), 1..8),
        max_payload_len in 8usize..1500,
    ) {
        let units: Vec<Vec<u8>> = units
            .into_iter()
            .filter(|(t, _, _, _)| *t != 35 && *t != 38)
            .map(|(t, layer, tid, body)| [&[t << 1 | layer >> 5, (layer & 0x1f) << 3 | tid][..], &body].concat())
            .collect();
        prop_assume!(!units.is_empty());
        let frame = annex_b(&units);
        let (back, info, _) = round_trip(Codec::H265, &mut H265Packetizer::new(), &frame, max_payload_len, true)?;
        prop_assert_eq!(&back, &frame);
        let has = |t: u8| units.iter().any(|u| (u[0] >> 1) & 0x3f == t);
        let irap = units.iter().any(|u| (16..=23).contains(&((u[0] >> 1) & 0x3f)));
        prop_assert_eq!(info.keyframe, irap && has(32) && has(33) && has(34));
    }

    #[test]
    fn av1_round_trip(
        obus in vec((prop_oneof![Just(1u8), Just(3), Just(4), Just(5), Just(6)], proptest::option::of(any::<u8>()), vec(any::<u8>(), 0..3000)), 1..6),
        max_payload_len in 4usize..1500,
    ) {
        let mut frame = av1::TEMPORAL_DELIMITER.to_vec();
        for (obu_type, extension, payload) in &obus {
            frame.push(obu_type << 3 | u8::from(extension.is_some()) << 2 | 0x02);
            if let Some(e) = extension {
                frame.push(e & 0xf8);
            }
            leb128(payload.len(), &mut frame);
            frame.extend_from_slice(payload);
        }
        let (back, _, _) = round_trip(Codec::Av1, &mut Av1Packetizer::new(), &frame, max_payload_len, true)?;
        prop_assert_eq!(back, frame);
    }

    #[test]
    fn depacketizers_never_panic(codec_index in 0usize..11, payloads in vec(vec(any::<u8>(), 0..64), 0..6)) {
        let codec = Codec::ALL[codec_index];
        let mut d = codec.depacketizer();
        for payload in &payloads {
            let _ = d.payload_info(payload);
        }
        let mut frame = Vec::new();
        let _ = d.depacketize_frame(payloads.iter().map(|p| &p[..]), &mut frame);
        // And views over the same bytes.
        for payload in &payloads {
            let _ = H264Payload::parse(payload).map(|p| p.first_nal_unit_type());
            let _ = H265Payload::parse(payload);
            let _ = Av1Payload::parse(payload).map(|p| p.elements().count());
            let _ = RedPayload::parse(payload).map(|p| p.blocks().count());
            let _ = Vp9Descriptor::parse(payload).map(|(d, _)| d.encoded_len());
        }
    }
}

#[test]
fn packetizing_and_parsing_allocate_nothing_once_warm() {
    let mut vp8 = vec![0xb0u8, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00];
    vp8.resize(5000, 0x5a);
    let idr: Vec<u8> = [&[0x65u8][..], &[0x88; 4000]].concat();
    let h264 = annex_b(&[
        vec![0x67, 0x42, 0xc0, 0x1f],
        vec![0x68, 0xce, 0x3c, 0x80],
        idr,
    ]);
    let mut av1 = av1::TEMPORAL_DELIMITER.to_vec();
    av1.extend_from_slice(&[0x0a, 0x02, 0x00, 0x01, 0x32]);
    leb128(3000, &mut av1);
    av1.extend(core::iter::repeat_n(0x10, 3000));

    let mut packetizers: Vec<(Codec, Box<dyn Packetizer>, &[u8])> = vec![
        (Codec::Vp8, Box::new(Vp8Packetizer::new()), &vp8),
        (Codec::Vp9, Box::new(Vp9Packetizer::new()), &vp8),
        (Codec::H264, Box::new(H264Packetizer::new()), &h264),
        (Codec::Av1, Box::new(Av1Packetizer::new()), &av1),
    ];
    let mut payloads = Payloads::new();
    for (codec, packetizer, frame) in &mut packetizers {
        packetizer.packetize(frame, 0, 1200, &mut payloads).unwrap();
        let info = allocation_counter::measure(|| {
            packetizer
                .packetize(frame, 3000, 1200, &mut payloads)
                .unwrap();
        });
        assert_eq!(
            info.count_total, 0,
            "{codec:?} packetizing allocated: {info:?}"
        );
        assert!(payloads.len() > 1);
        // Reading the payloads' headers allocates nothing either.
        let depacketizer = codec.depacketizer();
        let info = allocation_counter::measure(|| {
            for payload in &payloads {
                depacketizer.payload_info(payload.data).unwrap();
            }
        });
        assert_eq!(
            info.count_total, 0,
            "{codec:?} payload_info allocated: {info:?}"
        );
        // A frame buffer with room: depacketizing allocates nothing.
        let mut depacketizer = codec.depacketizer();
        let mut frame_out = Vec::with_capacity(frame.len() + 64);
        let info = allocation_counter::measure(|| {
            depacketizer
                .depacketize_frame(payloads.iter().map(|p| p.data), &mut frame_out)
                .unwrap();
        });
        assert_eq!(
            info.count_total, 0,
            "{codec:?} depacketizing allocated: {info:?}"
        );
    }
}
