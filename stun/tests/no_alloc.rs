//! The codec allocates nothing: parsing, reading every attribute, verifying
//! MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, building a
//! message and writing a parsed one back all run under a counting global
//! allocator that must stay at zero.

#![allow(clippy::indexing_slicing)]

use sansrtc_stun::credentials::LongTermKey;
use sansrtc_stun::framing::{self, ChannelData, PacketKind, Transport};
use sansrtc_stun::{Attribute, Class, ErrorCode, Message, MessageBuilder, Method, TransactionId};

const KEY: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";
const TRANSACTION_ID: TransactionId = TransactionId::new(*b"0123456789ab");

/// Builds an ICE connectivity check and a TURN-style response carrying
/// every integrity attribute; returns a checksum of what it wrote.
fn build(request: &mut [u8], response: &mut [u8], key: &[u8]) -> (usize, usize) {
    let mut builder =
        MessageBuilder::new(request, Class::Request, Method::BINDING, TRANSACTION_ID).unwrap();
    builder
        .add(&Attribute::Username("remoteufrag:localufrag"))
        .unwrap()
        .add(&Attribute::IceControlling(0x1234_5678_9abc_def0))
        .unwrap()
        .add(&Attribute::Priority(1_845_501_695))
        .unwrap()
        .add(&Attribute::UseCandidate)
        .unwrap();
    builder.add_message_integrity(KEY).unwrap();
    builder.add_fingerprint().unwrap();
    let request_len = builder.finish();

    let mut builder = MessageBuilder::new(
        response,
        Class::ErrorResponse,
        Method::ALLOCATE,
        TRANSACTION_ID,
    )
    .unwrap();
    builder
        .add(&Attribute::ErrorCode(ErrorCode::new(
            401,
            "Unauthenticated",
        )))
        .unwrap()
        .add(&Attribute::Realm("example.org"))
        .unwrap()
        .add(&Attribute::Nonce(
            "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA",
        ))
        .unwrap()
        .add(&Attribute::XorMappedAddress(
            "[2001:db8::1]:3478".parse().unwrap(),
        ))
        .unwrap()
        .add(&Attribute::Software("sansrtc"))
        .unwrap();
    builder.add_message_integrity(key).unwrap();
    builder
        .add_message_integrity_sha256_truncated(key, 16)
        .unwrap();
    builder.add_fingerprint().unwrap();
    (request_len, builder.finish())
}

/// Parses, reads, verifies and writes back; returns a checksum so the work
/// cannot be optimised away and can be compared.
fn visit(bytes: &[u8], key: &[u8], out: &mut [u8]) -> u64 {
    let message = Message::parse(bytes).unwrap();
    let mut acc = 0u64;
    for attribute in message.attributes() {
        acc += u64::from(attribute.kind().0) + attribute.encoded_len() as u64;
    }
    acc += message.username().map_or(0, str::len) as u64;
    acc += message.priority().map_or(0, u64::from);
    acc += message.ice_controlling().unwrap_or(0);
    acc += u64::from(message.use_candidate());
    acc += message.error_code().map_or(0, |e| u64::from(e.code));
    acc += message.realm().map_or(0, str::len) as u64;
    acc += message.nonce().map_or(0, str::len) as u64;
    acc += message
        .xor_mapped_address()
        .map_or(0, |a| u64::from(a.port()));
    acc += message.unknown_comprehension_required().count() as u64;
    if message.has(sansrtc_stun::AttributeType::MESSAGE_INTEGRITY) {
        message.verify_message_integrity(key).unwrap();
        acc += 1;
    }
    if message.has(sansrtc_stun::AttributeType::MESSAGE_INTEGRITY_SHA256) {
        message.verify_message_integrity_sha256(key).unwrap();
        acc += 2;
    }
    message.verify_integrity(key).unwrap();
    message.verify_fingerprint().unwrap();
    let len = message.write_to(out).unwrap();
    assert_eq!(&out[..len], bytes);
    acc
}

fn framing(data: &[u8], out: &mut [u8]) -> usize {
    let len = ChannelData::new(0x4001, data)
        .write_to(out, Transport::Tcp)
        .unwrap();
    let message = ChannelData::parse(&out[..len], Transport::Tcp).unwrap();
    assert_eq!(message.data, data);
    assert_eq!(framing::stream_frame_len(&out[..len]), Ok(Some(len)));
    assert_eq!(PacketKind::of(&out[..len]), PacketKind::ChannelData);
    len
}

#[test]
fn the_codec_allocates_nothing() {
    let long_term = LongTermKey::md5("user", "example.org", "pass").unwrap();
    let mut request = [0u8; 256];
    let mut response = [0u8; 256];
    let mut out = [0u8; 256];
    // Warm up anything lazily initialised (CPU feature detection) outside
    // the measured region, and get the expected results.
    let lens = build(&mut request, &mut response, long_term.as_bytes());
    let expected = (
        visit(&request[..lens.0], KEY, &mut out),
        visit(&response[..lens.1], long_term.as_bytes(), &mut out),
        framing(b"hello", &mut out),
    );

    let mut got = (0, 0, 0);
    let info = allocation_counter::measure(|| {
        let key = LongTermKey::md5("user", "example.org", "pass").unwrap();
        let lens = build(&mut request, &mut response, key.as_bytes());
        got = (
            visit(&request[..lens.0], KEY, &mut out),
            visit(&response[..lens.1], key.as_bytes(), &mut out),
            framing(b"hello", &mut out),
        );
    });
    assert_eq!(got, expected);
    assert_eq!(info.count_total, 0, "the codec allocated: {info:?}");

    // The counter does notice allocations.
    let info = allocation_counter::measure(|| {
        core::hint::black_box(vec![1u8; 16]);
    });
    assert!(info.count_total >= 1);
}
