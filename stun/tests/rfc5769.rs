//! The test vectors of RFC 5769 (and RFC 8489 appendix B): each parses,
//! verifies, and is written back byte for byte, both from the parsed message
//! and from scratch with the builder.

#![allow(clippy::indexing_slicing)]

use sansrtc_stun::attribute::AttributeType;
use sansrtc_stun::credentials::{LongTermKey, Preparation, userhash};
use sansrtc_stun::{
    Attribute, Class, ErrorCode, IntegrityError, Message, MessageBuilder, Method, TransactionId,
};

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(u8::is_ascii_hexdigit)
        .map(|c| (c as char).to_digit(16).unwrap() as u8)
        .collect();
    digits
        .chunks(2)
        .map(|pair| (pair[0] << 4) | pair[1])
        .collect()
}

const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

/// RFC 5769 §2.1
fn sample_request() -> Vec<u8> {
    hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
         00 24 00 04 6e 00 01 ff
         80 29 00 08 93 2f f9 b1 51 26 3b 36
         00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
         00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
         80 28 00 04 e5 7a 3b cf")
}

/// RFC 5769 §2.2
fn ipv4_response_bytes() -> Vec<u8> {
    hex("01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
         00 20 00 08 00 01 a1 47 e1 12 a6 43
         00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
         80 28 00 04 c0 7d 4c 96")
}

/// RFC 5769 §2.3
fn ipv6_response_bytes() -> Vec<u8> {
    hex("01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
         80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
         00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
         00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
         80 28 00 04 c8 fb 0b 4c")
}

/// RFC 5769 §2.4
fn long_term_request_bytes() -> Vec<u8> {
    hex("00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
         00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
         00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46
                     53 54 76 79 36 34 73 41
         00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
         00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66")
}

fn write_back(bytes: &[u8]) {
    let message = Message::parse(bytes).unwrap();
    assert_eq!(message.encoded_len(), bytes.len());
    let mut out = vec![0u8; bytes.len()];
    let len = message.write_to(&mut out).unwrap();
    assert_eq!(&out[..len], bytes);
    // A buffer one byte short is an error, not a panic.
    let mut short = vec![0u8; bytes.len() - 1];
    assert!(message.write_to(&mut short).is_err());
}

/// How a message built from scratch is signed.
enum Sign<'k> {
    Nothing,
    Sha1(&'k [u8]),
    Sha256(&'k [u8]),
}

/// Builds a message from scratch as the vector's sender did: the
/// attributes in order, padded with `padding`, then integrity and
/// fingerprint.
fn build(
    class: Class,
    transaction_id: TransactionId,
    padding: u8,
    attributes: &[Attribute<'_>],
    sign: Sign<'_>,
    fingerprint: bool,
) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut builder =
        MessageBuilder::new(&mut buf, class, Method::BINDING, transaction_id).unwrap();
    builder.set_padding_byte(padding);
    for attribute in attributes {
        builder.add(attribute).unwrap();
    }
    match sign {
        Sign::Nothing => {}
        Sign::Sha1(key) => {
            builder.add_message_integrity(key).unwrap();
        }
        Sign::Sha256(key) => {
            builder.add_message_integrity_sha256(key).unwrap();
        }
    }
    if fingerprint {
        builder.add_fingerprint().unwrap();
    }
    let len = builder.finish();
    buf[..len].to_vec()
}

#[test]
fn sample_request_parses_and_verifies() {
    let bytes = sample_request();
    let message = Message::parse(&bytes).unwrap();
    assert_eq!(message.class(), Class::Request);
    assert_eq!(message.method(), Method::BINDING);
    assert_eq!(
        message.transaction_id().as_bytes(),
        &[
            0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae
        ]
    );
    assert_eq!(message.software(), Some("STUN test client"));
    assert_eq!(message.priority(), Some(0x6e00_01ff));
    assert_eq!(message.ice_controlled(), Some(0x932f_f9b1_5126_3b36));
    assert_eq!(message.username(), Some("evtj:h6vY"));
    message.verify_fingerprint().unwrap();
    message
        .verify_message_integrity(PASSWORD.as_bytes())
        .unwrap();
    assert_eq!(
        message.verify_message_integrity(b"wrong password"),
        Err(IntegrityError::Mismatch("MESSAGE-INTEGRITY"))
    );
    assert!(!message.has_unknown_comprehension_required());
    write_back(&bytes);
}

#[test]
fn sample_request_built_from_scratch() {
    let bytes = sample_request();
    let parsed = Message::parse(&bytes).unwrap();
    // RFC 5769 pads USERNAME with spaces.
    let built = build(
        Class::Request,
        parsed.transaction_id(),
        b' ',
        &[
            Attribute::Software("STUN test client"),
            Attribute::Priority(0x6e00_01ff),
            Attribute::IceControlled(0x932f_f9b1_5126_3b36),
            Attribute::Username("evtj:h6vY"),
        ],
        Sign::Sha1(PASSWORD.as_bytes()),
        true,
    );
    assert_eq!(built, bytes);
}

/// Checks one of the two sample responses (RFC 5769 §2.2, §2.3), which
/// differ only in the mapped address: parse, verify, write back, rebuild.
fn check_sample_response(bytes: &[u8], mapped: &str) {
    let mapped: core::net::SocketAddr = mapped.parse().unwrap();
    let message = Message::parse(bytes).unwrap();
    assert_eq!(message.class(), Class::SuccessResponse);
    assert_eq!(message.method(), Method::BINDING);
    assert_eq!(message.software(), Some("test vector"));
    assert_eq!(message.xor_mapped_address(), Some(mapped));
    message.verify_fingerprint().unwrap();
    message
        .verify_message_integrity(PASSWORD.as_bytes())
        .unwrap();
    write_back(bytes);

    let built = build(
        Class::SuccessResponse,
        message.transaction_id(),
        b' ',
        &[
            Attribute::Software("test vector"),
            Attribute::XorMappedAddress(mapped),
        ],
        Sign::Sha1(PASSWORD.as_bytes()),
        true,
    );
    assert_eq!(built, bytes);
}

#[test]
fn sample_ipv4_response() {
    check_sample_response(&ipv4_response_bytes(), "192.0.2.1:32853");
}

#[test]
fn sample_ipv6_response() {
    check_sample_response(
        &ipv6_response_bytes(),
        "[2001:db8:1234:5678:11:2233:4455:6677]:32853",
    );
}

const LONG_TERM_USERNAME: &str = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}";
const LONG_TERM_PASSWORD: &str = "The\u{00AD}M\u{00AA}tr\u{2168}";

#[test]
fn sample_long_term_request() {
    let bytes = long_term_request_bytes();
    let message = Message::parse(&bytes).unwrap();
    assert_eq!(message.class(), Class::Request);
    assert_eq!(message.username(), Some(LONG_TERM_USERNAME));
    assert_eq!(message.nonce(), Some("f//499k954d6OL34oL9FSTvy64sA"));
    assert_eq!(message.realm(), Some("example.org"));
    assert!(!message.has_fingerprint());

    // SASLprep turns the password into "TheMatrIX" (RFC 5769 §2.4).
    let key = LongTermKey::derive(
        sansrtc_stun::attribute::PasswordAlgorithm::MD5,
        LONG_TERM_USERNAME,
        "example.org",
        LONG_TERM_PASSWORD,
        Preparation::SaslPrep,
    )
    .unwrap();
    let prepared = LongTermKey::from_prepared(
        sansrtc_stun::attribute::PasswordAlgorithm::MD5,
        LONG_TERM_USERNAME,
        "example.org",
        "TheMatrIX",
    )
    .unwrap();
    assert_eq!(key, prepared);
    message.verify_message_integrity(key.as_bytes()).unwrap();
    // OpaqueString without normalization tables refuses the non-ASCII
    // password instead of deriving a wrong key.
    assert!(LongTermKey::md5(LONG_TERM_USERNAME, "example.org", LONG_TERM_PASSWORD).is_err());
    write_back(&bytes);

    let built = build(
        Class::Request,
        message.transaction_id(),
        0,
        &[
            Attribute::Username(LONG_TERM_USERNAME),
            Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA"),
            Attribute::Realm("example.org"),
        ],
        Sign::Sha1(key.as_bytes()),
        false,
    );
    assert_eq!(built, bytes);
}

/// RFC 8489 appendix B.1: long-term credentials with USERHASH and
/// MESSAGE-INTEGRITY-SHA256.
#[test]
fn rfc8489_userhash_and_sha256_request() {
    let bytes = hex("00 01 00 88 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
         00 1e 00 20 4a 3c f3 8f ef 69 92 bd a9 52 c6 78 04 17 da 0f 24 81 94 15
                     56 9e 60 b2 05 c4 6e 41 40 7f 17 04
         00 15 00 29 6f 62 4d 61 74 4a 6f 73 32 41 41 41 43 66 2f 2f 34 39 39 6b
                     39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73
                     41 00 00 00
         00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
         00 1c 00 20 fd 8c 27 38 60 d2 e1 8e bc a4 c8 9b 69 73 be fa 7e e8 ec c6
                     9e 96 42 db 32 6f ab 65 a0 b9 55 ba");
    let message = Message::parse(&bytes).unwrap();
    assert_eq!(message.realm(), Some("example.org"));
    let nonce = message.nonce().unwrap();
    assert!(nonce.starts_with("obMatJos2"));
    let features = sansrtc_stun::credentials::SecurityFeatures::from_nonce(nonce).unwrap();
    assert_eq!(features.bits(), 0x000002);
    assert_eq!(
        message.userhash(),
        Some(&userhash(LONG_TERM_USERNAME, "example.org").unwrap())
    );
    assert!(
        message
            .get(AttributeType::MESSAGE_INTEGRITY_SHA256)
            .is_some()
    );
    // No PASSWORD-ALGORITHM: the key is the MD5 one, from the SASLprep-ed
    // password, as in the RFC 5769 vector.
    let key = LongTermKey::derive(
        sansrtc_stun::attribute::PasswordAlgorithm::MD5,
        LONG_TERM_USERNAME,
        "example.org",
        LONG_TERM_PASSWORD,
        Preparation::SaslPrep,
    )
    .unwrap();
    message
        .verify_message_integrity_sha256(key.as_bytes())
        .unwrap();
    assert_eq!(
        message.verify_integrity(key.as_bytes()),
        Ok(sansrtc_stun::IntegrityKind::Sha256)
    );
    let sha256_key = LongTermKey::derive(
        sansrtc_stun::attribute::PasswordAlgorithm::SHA256,
        LONG_TERM_USERNAME,
        "example.org",
        LONG_TERM_PASSWORD,
        Preparation::SaslPrep,
    )
    .unwrap();
    assert!(
        message
            .verify_message_integrity_sha256(sha256_key.as_bytes())
            .is_err()
    );
    write_back(&bytes);

    // And from scratch.
    let hash = userhash(LONG_TERM_USERNAME, "example.org").unwrap();
    let built = build(
        Class::Request,
        message.transaction_id(),
        0,
        &[
            Attribute::UserHash(&hash),
            Attribute::Nonce(nonce),
            Attribute::Realm("example.org"),
        ],
        Sign::Sha256(key.as_bytes()),
        false,
    );
    assert_eq!(built, bytes);
}

#[test]
fn error_response_round_trip() {
    let built = build(
        Class::ErrorResponse,
        TransactionId::new([9; 12]),
        0,
        &[Attribute::ErrorCode(ErrorCode::new(
            420,
            "Unknown Attribute",
        ))],
        Sign::Nothing,
        false,
    );
    let message = Message::parse(&built).unwrap();
    assert_eq!(message.class(), Class::ErrorResponse);
    assert_eq!(
        message.error_code(),
        Some(ErrorCode::new(420, "Unknown Attribute"))
    );
    write_back(&built);
}
