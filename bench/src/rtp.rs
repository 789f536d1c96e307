//! RTP: parse (reading the header, every CSRC and every extension element)
//! and write, on the 1200-byte video packet and the 160-byte audio packet.
//! Peers: webrtc-rs `rtp`, `rtp-types`. Floor: copying the packet.

use core::hint::black_box;

use sansrtc_rtp::rtp as ours;
use webrtc_util::marshal::{Marshal, MarshalSize, Unmarshal};

use crate::inputs::{audio_builder, rtp_bytes, video_builder};
use crate::{Case, Role, sum};

/// RFC 8285 one-byte header extension profile.
const ONE_BYTE_PROFILE: u16 = 0xbede;

fn visit_sansrtc(bytes: &[u8]) -> u64 {
    let packet = ours::Packet::new_checked(bytes).expect("sansrtc parses");
    let mut acc = sum([
        u64::from(packet.sequence_number()),
        u64::from(packet.timestamp()),
        u64::from(packet.ssrc()),
        u64::from(packet.payload_type()),
        u64::from(packet.marker()),
        packet.payload().len() as u64,
    ]);
    for csrc in packet.csrcs() {
        acc = acc.wrapping_add(u64::from(csrc));
    }
    if let Some(extension) = packet.extension() {
        for element in extension.elements() {
            acc = acc.wrapping_add(u64::from(element.id) + element.data.len() as u64);
        }
    }
    acc
}

/// RFC 8285 one-byte elements, iterated by hand: `rtp-types` gives the
/// extension block but has no element iterator.
fn one_byte_elements(mut data: &[u8]) -> u64 {
    let mut acc = 0u64;
    while let Some((&first, rest)) = data.split_first() {
        if first == 0 {
            data = rest;
            continue;
        }
        let id = first >> 4;
        if id == 15 {
            break;
        }
        let len = usize::from(first & 0x0f) + 1;
        let Some((_, rest)) = rest.split_at_checked(len) else {
            break;
        };
        acc = acc.wrapping_add(u64::from(id) + len as u64);
        data = rest;
    }
    acc
}

fn visit_rtp_types(bytes: &[u8]) -> u64 {
    let packet = rtp_types::RtpPacket::parse(bytes).expect("rtp-types parses");
    let mut acc = sum([
        u64::from(packet.sequence_number()),
        u64::from(packet.timestamp()),
        u64::from(packet.ssrc()),
        u64::from(packet.payload_type()),
        u64::from(packet.marker_bit()),
        packet.payload().len() as u64,
    ]);
    for csrc in packet.csrc() {
        acc = acc.wrapping_add(u64::from(csrc));
    }
    if let Some((profile, data)) = packet.extension()
        && profile == ONE_BYTE_PROFILE
    {
        acc = acc.wrapping_add(one_byte_elements(data));
    }
    acc
}

fn visit_webrtc(bytes: &bytes::Bytes) -> u64 {
    let mut buf = bytes.clone();
    let packet = rtp::packet::Packet::unmarshal(&mut buf).expect("webrtc-rs parses");
    let header = &packet.header;
    let mut acc = sum([
        u64::from(header.sequence_number),
        u64::from(header.timestamp),
        u64::from(header.ssrc),
        u64::from(header.payload_type),
        u64::from(header.marker),
        packet.payload.len() as u64,
    ]);
    for csrc in &header.csrc {
        acc = acc.wrapping_add(u64::from(*csrc));
    }
    for extension in &header.extensions {
        acc = acc.wrapping_add(u64::from(extension.id) + extension.payload.len() as u64);
    }
    acc
}

/// The RTP cases.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    for (parse_group, write_group, builder) in [
        (
            "rtp_parse_video_1200",
            "rtp_write_video_1200",
            video_builder(),
        ),
        (
            "rtp_parse_audio_160",
            "rtp_write_audio_160",
            audio_builder(),
        ),
    ] {
        let bytes = rtp_bytes(&builder);

        let input = bytes.clone();
        cases.push(Case::decode(
            parse_group,
            "sansrtc",
            Role::Sansrtc,
            move || visit_sansrtc(black_box(&input)),
        ));
        let input = bytes.clone();
        cases.push(Case::decode(
            parse_group,
            "rtp-types",
            Role::Peer,
            move || visit_rtp_types(black_box(&input)),
        ));
        let input = bytes::Bytes::from(bytes.clone());
        cases.push(Case::decode(
            parse_group,
            "rtp (webrtc-rs)",
            Role::Peer,
            move || visit_webrtc(black_box(&input)),
        ));
        let input = bytes.clone();
        let mut out = [0u8; 1500];
        cases.push(Case::new(
            parse_group,
            "floor: copy",
            Role::Floor,
            move || copy(black_box(&input), black_box(&mut out)),
        ));

        // Writing: each crate from its own representation of the packet.
        let mut out = [0u8; 1500];
        cases.push(Case::new(
            write_group,
            "sansrtc",
            Role::Sansrtc,
            move || {
                black_box(&builder)
                    .write_to(black_box(&mut out))
                    .expect("sansrtc writes") as u64
            },
        ));

        // The builder borrows from the packet for the whole run.
        let source: &'static [u8] = bytes.clone().leak();
        let parsed = ours::Packet::parse(source).expect("input parses");
        let mut rtp_types_builder = rtp_types::RtpPacketBuilder::<&[u8], &[u8]>::new()
            .marker_bit(parsed.marker())
            .payload_type(parsed.payload_type())
            .sequence_number(parsed.sequence_number())
            .timestamp(parsed.timestamp())
            .ssrc(parsed.ssrc())
            .payload(parsed.payload_slice());
        for csrc in parsed.csrc_list() {
            rtp_types_builder = rtp_types_builder.add_csrc(csrc);
        }
        if let Some(extension) = parsed.header_extension() {
            rtp_types_builder = rtp_types_builder.extension(extension.profile(), extension.data());
        }
        let mut out = [0u8; 1500];
        cases.push(Case::new(write_group, "rtp-types", Role::Peer, move || {
            black_box(&rtp_types_builder)
                .write_into(black_box(&mut out))
                .expect("rtp-types writes") as u64
        }));

        let mut out = [0u8; 1500];
        let mut source = bytes::Bytes::from(bytes.clone());
        let packet = rtp::packet::Packet::unmarshal(&mut source).expect("webrtc-rs parses");
        cases.push(Case::new(
            write_group,
            "rtp (webrtc-rs)",
            Role::Peer,
            move || {
                let packet = black_box(&packet);
                let len = packet.marshal_size();
                packet
                    .marshal_to(black_box(&mut out[..len]))
                    .expect("webrtc-rs writes") as u64
            },
        ));

        let input = bytes;
        let mut out = [0u8; 1500];
        cases.push(Case::new(
            write_group,
            "floor: copy",
            Role::Floor,
            move || copy(black_box(&input), black_box(&mut out)),
        ));
    }
    cases
}

/// Copies the packet into a datagram buffer: the least any parser or
/// writer does.
pub(crate) fn copy(input: &[u8], out: &mut [u8]) -> u64 {
    let Some(target) = out.get_mut(..input.len()) else {
        return 0;
    };
    target.copy_from_slice(input);
    input.len() as u64
}
