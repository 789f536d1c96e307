//! The inputs every crate is given, written once with sansrtc's writers
//! (the tests check that every peer decodes them to the same values).

use sansrtc_rtp::list::List;
use sansrtc_rtp::ntp::NtpTime;
use sansrtc_rtp::rtcp::{
    self, Nack, NackEntry, Packet, PictureLossIndication, ReceiverReport, ReportBlock, SdesChunk,
    SdesItem, SdesItems, SenderReport, SourceDescription,
};
use sansrtc_rtp::rtp;
use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, TransactionId};

/// The video payload: 1200 bytes in all with the header, one CSRC and the
/// extension block.
pub const VIDEO_PAYLOAD: [u8; 1200 - 12 - 4 - 16] = [0x5a; 1200 - 12 - 4 - 16];
/// The audio payload: 160 bytes in all with the header.
pub const AUDIO_PAYLOAD: [u8; 160 - 12] = [0x11; 160 - 12];
/// abs-send-time (RFC 8285 one-byte element, id 2).
const ABS_SEND_TIME: [u8; 3] = [0x12, 0x34, 0x56];
/// transport-wide sequence number (id 3).
const TWCC: [u8; 2] = [0x01, 0x02];
/// MID (id 4).
const MID: [u8; 1] = [b'0'];

/// The 1200-byte video packet: marker, payload type 96, one CSRC and three
/// one-byte header extension elements.
pub fn video_builder() -> rtp::Builder<'static> {
    const ELEMENTS: [rtp::Element<'static>; 3] = [
        rtp::Element::new(2, &ABS_SEND_TIME),
        rtp::Element::new(3, &TWCC),
        rtp::Element::new(4, &MID),
    ];
    rtp::Builder::new()
        .marker(true)
        .payload_type(96)
        .sequence_number(4711)
        .timestamp(0x1234_5678)
        .ssrc(0xdead_beef)
        .csrcs(&[0x0102_0304])
        .extensions(&ELEMENTS)
        .payload(&VIDEO_PAYLOAD)
}

/// The 160-byte audio packet: no CSRC, no extension.
pub fn audio_builder() -> rtp::Builder<'static> {
    rtp::Builder::new()
        .payload_type(111)
        .sequence_number(1)
        .timestamp(960)
        .ssrc(0x0bad_cafe)
        .payload(&AUDIO_PAYLOAD)
}

/// The bytes of an RTP builder.
pub fn rtp_bytes(builder: &rtp::Builder<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; builder.encoded_len()];
    let len = builder.write_to(&mut buf).expect("buffer of encoded_len");
    buf.truncate(len);
    buf
}

/// Four report blocks with distinct fields.
pub const BLOCKS: [ReportBlock; 4] = [block(1), block(11), block(21), block(31)];

const fn block(base: u32) -> ReportBlock {
    ReportBlock {
        ssrc: base,
        fraction_lost: base as u8 + 1,
        cumulative_lost: base as i32 + 2,
        extended_highest_sequence: base + 3,
        jitter: base + 4,
        last_sender_report: base + 5,
        delay_since_last_sender_report: base + 6,
    }
}

const ITEMS: [SdesItem<'static>; 1] = [SdesItem::Cname(b"4TOk42mSjXCkVIa6")];
const NACKS: [NackEntry; 2] = [
    NackEntry {
        packet_id: 100,
        lost_bitmask: 0x0005,
    },
    NackEntry {
        packet_id: 200,
        lost_bitmask: 0,
    },
];
static CHUNKS: [SdesChunk<'static>; 1] = [SdesChunk {
    source: 0xdead_beef,
    items: SdesItems::new(&ITEMS),
}];

/// The compound a video sender emits: SR with one block, SDES CNAME,
/// generic NACK, PLI.
pub fn sr_compound() -> [Packet<'static>; 4] {
    [
        Packet::SenderReport(SenderReport {
            ssrc: 0xdead_beef,
            ntp_time: NtpTime(0xe000_0000_8000_0000),
            rtp_time: 0x1234_5678,
            packet_count: 1000,
            octet_count: 1_000_000,
            report_blocks: List::new(&BLOCKS[..1]),
            profile_extension: &[],
        }),
        Packet::SourceDescription(SourceDescription {
            chunks: rtcp::SdesChunks::new(&CHUNKS),
        }),
        Packet::Nack(Nack {
            sender_ssrc: 0xdead_beef,
            media_ssrc: 0x0bad_cafe,
            entries: List::new(&NACKS),
        }),
        Packet::PictureLossIndication(PictureLossIndication {
            sender_ssrc: 0xdead_beef,
            media_ssrc: 0x0bad_cafe,
        }),
    ]
}

/// A receiver report with four blocks.
pub fn rr4() -> [Packet<'static>; 1] {
    [Packet::ReceiverReport(ReceiverReport {
        ssrc: 0xdead_beef,
        report_blocks: List::new(&BLOCKS),
        profile_extension: &[],
    })]
}

/// The bytes of an RTCP compound.
pub fn rtcp_bytes(packets: &[Packet<'_>]) -> Vec<u8> {
    let mut buf = vec![0u8; rtcp::compound_len(packets)];
    let len = rtcp::write_compound(packets, &mut buf).expect("buffer of compound_len");
    buf.truncate(len);
    buf
}

/// The remote ICE password: 24 characters, as browsers generate them.
pub const ICE_PASSWORD: &str = "x9cml/YzichV2+XlhiMu8g1k";
/// The check's USERNAME: the receiver's ufrag, a colon, the sender's.
pub const ICE_USERNAME: &str = "Ds0I:4bQ3";
/// ICE-CONTROLLING tie-breaker.
pub const TIE_BREAKER: u64 = 0x7c63_8a5f_0e1d_2b94;
/// PRIORITY of the check.
pub const PRIORITY: u32 = 1_853_817_087;
/// Transaction id of the check and its response.
pub const TRANSACTION_ID: [u8; 12] = *b"J3b8yQ1pXz4k";
/// XOR-MAPPED-ADDRESS of the success response.
pub const MAPPED: &str = "198.51.100.7:40000";

/// Writes the ICE connectivity check (USERNAME, ICE-CONTROLLING, PRIORITY,
/// USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT) into `buf`.
pub fn write_ice_request(key: &[u8], buf: &mut [u8]) -> usize {
    let mut builder = MessageBuilder::new(
        buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new(TRANSACTION_ID),
    )
    .expect("buffer for the header");
    builder
        .add(&Attribute::Username(ICE_USERNAME))
        .and_then(|b| b.add(&Attribute::IceControlling(TIE_BREAKER)))
        .and_then(|b| b.add(&Attribute::Priority(PRIORITY)))
        .and_then(|b| b.add(&Attribute::UseCandidate))
        .and_then(|b| b.add_message_integrity(key))
        .and_then(|b| b.add_fingerprint())
        .expect("buffer for the check");
    builder.finish()
}

/// The ICE connectivity check.
pub fn ice_request() -> Vec<u8> {
    let mut buf = [0u8; 256];
    let len = write_ice_request(ICE_PASSWORD.as_bytes(), &mut buf);
    buf.get(..len).expect("written").to_vec()
}

/// Its success response: XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
/// FINGERPRINT.
pub fn ice_response() -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut builder = MessageBuilder::new(
        &mut buf,
        Class::SuccessResponse,
        Method::BINDING,
        TransactionId::new(TRANSACTION_ID),
    )
    .expect("buffer for the header");
    builder
        .add(&Attribute::XorMappedAddress(
            MAPPED.parse().expect("an address"),
        ))
        .and_then(|b| b.add_message_integrity(ICE_PASSWORD.as_bytes()))
        .and_then(|b| b.add_fingerprint())
        .expect("buffer for the response");
    let len = builder.finish();
    buf.get(..len).expect("written").to_vec()
}

/// RFC 5769 section 2.1: the sample request (SOFTWARE, PRIORITY,
/// ICE-CONTROLLED, USERNAME, MESSAGE-INTEGRITY, FINGERPRINT).
pub const RFC5769_REQUEST: [u8; 108] = [
    0x00, 0x01, 0x00, 0x58, 0x21, 0x12, 0xa4, 0x42, 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86,
    0xfa, 0x87, 0xdf, 0xae, 0x80, 0x22, 0x00, 0x10, 0x53, 0x54, 0x55, 0x4e, 0x20, 0x74, 0x65, 0x73,
    0x74, 0x20, 0x63, 0x6c, 0x69, 0x65, 0x6e, 0x74, 0x00, 0x24, 0x00, 0x04, 0x6e, 0x00, 0x01, 0xff,
    0x80, 0x29, 0x00, 0x08, 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36, 0x00, 0x06, 0x00, 0x09,
    0x65, 0x76, 0x74, 0x6a, 0x3a, 0x68, 0x36, 0x76, 0x59, 0x20, 0x20, 0x20, 0x00, 0x08, 0x00, 0x14,
    0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3, 0xf2, 0x49,
    0xc1, 0xb5, 0x71, 0xa2, 0x80, 0x28, 0x00, 0x04, 0xe5, 0x7a, 0x3b, 0xcf,
];
/// RFC 5769's password for the sample request.
pub const RFC5769_PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

/// The largest Chromium offer of the corpus: audio, video (VP8, VP9,
/// H.264, AV1 with RTX), a data channel and candidates.
pub const CHROMIUM_OFFER: &str = include_str!("../../sdp/tests/data/chromium/offer-av-data.sdp");

/// A VP8 key frame, 1280x720, 95 142 bytes, that ffmpeg (libvpx) encoded
/// from its test pattern with noise (`data/README.md`), in an IVF file of
/// one frame.
const VP8_KEYFRAME_IVF: &[u8] = include_bytes!("../data/vp8-keyframe-1280x720.ivf");

/// An H.264 access unit (SPS, PPS, IDR slice), Constrained Baseline,
/// 1280x720, 91 487 bytes in Annex B, that ffmpeg (libx264) encoded from
/// its test pattern with noise (`data/README.md`).
pub const H264_ACCESS_UNIT: &[u8] = include_bytes!("../data/h264-idr-1280x720.h264");

/// The VP8 key frame: the one frame of its IVF file (after the 32-byte
/// file header and the 12-byte frame header).
pub fn vp8_keyframe() -> &'static [u8] {
    let len = u32::from_le_bytes([
        VP8_KEYFRAME_IVF[32],
        VP8_KEYFRAME_IVF[33],
        VP8_KEYFRAME_IVF[34],
        VP8_KEYFRAME_IVF[35],
    ]);
    &VP8_KEYFRAME_IVF[44..44 + len as usize]
}

/// The H.264 access unit.
pub fn h264_access_unit() -> &'static [u8] {
    H264_ACCESS_UNIT
}

#[cfg(test)]
mod tests {
    use super::*;
    use sansrtc_stun::Message;

    #[test]
    fn sizes_are_as_described() {
        assert_eq!(rtp_bytes(&video_builder()).len(), 1200);
        assert_eq!(rtp_bytes(&audio_builder()).len(), 160);
        assert!(CHROMIUM_OFFER.len() > 6000, "{}", CHROMIUM_OFFER.len());
        assert_eq!(&VP8_KEYFRAME_IVF[..4], b"DKIF");
        assert_eq!(vp8_keyframe().len(), 95_142);
        assert_eq!(vp8_keyframe().len() + 44, VP8_KEYFRAME_IVF.len());
        assert_eq!(h264_access_unit().len(), 91_487);
    }

    #[test]
    fn video_frames_are_what_they_claim() {
        use sansrtc_rtp::payload::h264::annex_b_nal_units;
        use sansrtc_rtp::payload::vp8::is_keyframe;
        assert_eq!(is_keyframe(vp8_keyframe()), Some(true));
        // 1280x720 after the frame tag and start code (RFC 6386 §9.1).
        assert_eq!(
            vp8_keyframe()[3..10],
            [0x9d, 0x01, 0x2a, 0x00, 0x05, 0xd0, 0x02]
        );
        let types: Vec<u8> = annex_b_nal_units(h264_access_unit())
            .map(|nal| nal[0] & 0x1f)
            .collect();
        assert_eq!(types, [7, 8, 5]);
    }

    #[test]
    fn stun_inputs_verify() {
        for (bytes, password) in [
            (ice_request(), ICE_PASSWORD),
            (ice_response(), ICE_PASSWORD),
            (RFC5769_REQUEST.to_vec(), RFC5769_PASSWORD),
        ] {
            let message = Message::parse(&bytes).unwrap();
            message
                .verify_message_integrity(password.as_bytes())
                .unwrap();
            message.verify_fingerprint().unwrap();
        }
    }
}
