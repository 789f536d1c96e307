//! Property tests for the STUN codec: generated messages round-trip through
//! the builder and the parser, parsing any bytes never panics, and
//! ChannelData round-trips.

#![allow(clippy::indexing_slicing)]

mod roundtrip;

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;
use sansrtc_stun::attribute::{
    AddressErrorCode, AddressFamily, AttributeType, Icmp, PasswordAlgorithm, PasswordAlgorithms,
    UnknownAttributes,
};
use sansrtc_stun::framing::{self, ChannelData, Transport, rfc4571};
use sansrtc_stun::{
    Attribute, Class, ErrorCode, MAX_ATTRIBUTES, MAX_MESSAGE_LEN, Message, MessageBuilder, Method,
    ParseError, TransactionId,
};

/// Password-algorithm parameters to pick from (the list borrows them).
const PARAMETERS: [&[u8]; 5] = [&[], &[1], &[1, 2, 3], &[0xaa; 4], &[9; 7]];

/// An owned description of one attribute, from which an [`Attribute`] that
/// borrows it is made.
#[derive(Debug, Clone)]
enum Spec {
    MappedAddress(SocketAddr),
    XorMappedAddress(SocketAddr),
    Username(String),
    UserHash([u8; 32]),
    ErrorCode(u16, String),
    Realm(String),
    Nonce(String),
    PasswordAlgorithms(Vec<PasswordAlgorithm<'static>>),
    PasswordAlgorithm(PasswordAlgorithm<'static>),
    UnknownAttributes(Vec<AttributeType>),
    Software(String),
    AlternateServer(SocketAddr),
    AlternateDomain(String),
    Priority(u32),
    UseCandidate,
    IceControlled(u64),
    IceControlling(u64),
    ChannelNumber(u16),
    Lifetime(u32),
    XorPeerAddress(SocketAddr),
    Data(Vec<u8>),
    XorRelayedAddress(SocketAddr),
    RequestedAddressFamily(AddressFamily),
    EvenPort(bool),
    RequestedTransport(u8),
    DontFragment,
    ReservationToken(u64),
    AdditionalAddressFamily(AddressFamily),
    AddressErrorCode(AddressFamily, u16, String),
    Icmp(Icmp),
    ChangeRequest(bool, bool),
    ResponsePort(u16),
    Padding(Vec<u8>),
    CacheTimeout(u32),
    ResponseOrigin(SocketAddr),
    OtherAddress(SocketAddr),
    ConnectionId(u32),
    AccessToken(Vec<u8>),
    ThirdPartyAuthorization(String),
    MobilityTicket(Vec<u8>),
    Unknown(AttributeType, Vec<u8>),
}

impl Spec {
    fn attribute(&self) -> Attribute<'_> {
        match self {
            Self::MappedAddress(a) => Attribute::MappedAddress(*a),
            Self::XorMappedAddress(a) => Attribute::XorMappedAddress(*a),
            Self::Username(s) => Attribute::Username(s),
            Self::UserHash(h) => Attribute::UserHash(h),
            Self::ErrorCode(code, reason) => Attribute::ErrorCode(ErrorCode::new(*code, reason)),
            Self::Realm(s) => Attribute::Realm(s),
            Self::Nonce(s) => Attribute::Nonce(s),
            Self::PasswordAlgorithms(list) => {
                Attribute::PasswordAlgorithms(PasswordAlgorithms::from_list(list))
            }
            Self::PasswordAlgorithm(a) => Attribute::PasswordAlgorithm(*a),
            Self::UnknownAttributes(list) => {
                Attribute::UnknownAttributes(UnknownAttributes::from_list(list))
            }
            Self::Software(s) => Attribute::Software(s),
            Self::AlternateServer(a) => Attribute::AlternateServer(*a),
            Self::AlternateDomain(s) => Attribute::AlternateDomain(s),
            Self::Priority(p) => Attribute::Priority(*p),
            Self::UseCandidate => Attribute::UseCandidate,
            Self::IceControlled(t) => Attribute::IceControlled(*t),
            Self::IceControlling(t) => Attribute::IceControlling(*t),
            Self::ChannelNumber(n) => Attribute::ChannelNumber(*n),
            Self::Lifetime(l) => Attribute::Lifetime(*l),
            Self::XorPeerAddress(a) => Attribute::XorPeerAddress(*a),
            Self::Data(d) => Attribute::Data(d),
            Self::XorRelayedAddress(a) => Attribute::XorRelayedAddress(*a),
            Self::RequestedAddressFamily(f) => Attribute::RequestedAddressFamily(*f),
            Self::EvenPort(r) => Attribute::EvenPort(*r),
            Self::RequestedTransport(p) => Attribute::RequestedTransport(*p),
            Self::DontFragment => Attribute::DontFragment,
            Self::ReservationToken(t) => Attribute::ReservationToken(*t),
            Self::AdditionalAddressFamily(f) => Attribute::AdditionalAddressFamily(*f),
            Self::AddressErrorCode(family, code, reason) => {
                Attribute::AddressErrorCode(AddressErrorCode {
                    family: *family,
                    code: *code,
                    reason,
                })
            }
            Self::Icmp(icmp) => Attribute::Icmp(*icmp),
            Self::ChangeRequest(change_ip, change_port) => Attribute::ChangeRequest {
                change_ip: *change_ip,
                change_port: *change_port,
            },
            Self::ResponsePort(p) => Attribute::ResponsePort(*p),
            Self::Padding(v) => Attribute::Padding(v),
            Self::CacheTimeout(t) => Attribute::CacheTimeout(*t),
            Self::ResponseOrigin(a) => Attribute::ResponseOrigin(*a),
            Self::OtherAddress(a) => Attribute::OtherAddress(*a),
            Self::ConnectionId(c) => Attribute::ConnectionId(*c),
            Self::AccessToken(v) => Attribute::AccessToken(v),
            Self::ThirdPartyAuthorization(s) => Attribute::ThirdPartyAuthorization(s),
            Self::MobilityTicket(v) => Attribute::MobilityTicket(v),
            Self::Unknown(kind, value) => Attribute::Unknown { kind: *kind, value },
        }
    }
}

fn address() -> impl Strategy<Value = SocketAddr> {
    prop_oneof![
        (any::<u32>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V4(Ipv4Addr::from(ip)), port)),
        (any::<u128>(), any::<u16>())
            .prop_map(|(ip, port)| SocketAddr::new(IpAddr::V6(Ipv6Addr::from(ip)), port)),
    ]
}

fn family() -> impl Strategy<Value = AddressFamily> {
    prop_oneof![Just(AddressFamily::V4), Just(AddressFamily::V6)]
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..=max)
}

fn algorithm() -> impl Strategy<Value = PasswordAlgorithm<'static>> {
    (any::<u16>(), 0..PARAMETERS.len()).prop_map(|(algorithm, i)| PasswordAlgorithm {
        algorithm,
        parameters: PARAMETERS[i],
    })
}

/// Any text of at most `chars` characters (up to four bytes each, so
/// within the caps for the values used here).
fn text(chars: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..=chars).prop_map(|c| c.into_iter().collect())
}

fn spec() -> impl Strategy<Value = Spec> {
    // Split in groups: `prop_oneof!` takes a limited number of arms.
    let addresses = prop_oneof![
        address().prop_map(Spec::MappedAddress),
        address().prop_map(Spec::XorMappedAddress),
        address().prop_map(Spec::AlternateServer),
        address().prop_map(Spec::XorPeerAddress),
        address().prop_map(Spec::XorRelayedAddress),
        address().prop_map(Spec::ResponseOrigin),
        address().prop_map(Spec::OtherAddress),
    ];
    let texts = prop_oneof![
        text(100).prop_map(Spec::Username),
        text(150).prop_map(Spec::Realm),
        text(150).prop_map(Spec::Nonce),
        text(150).prop_map(Spec::Software),
        text(150).prop_map(Spec::ThirdPartyAuthorization),
        "[a-z0-9.-]{0,80}".prop_map(Spec::AlternateDomain),
        (300u16..=699, text(60)).prop_map(|(code, reason)| Spec::ErrorCode(code, reason)),
        (family(), 300u16..=699, text(60))
            .prop_map(|(f, code, reason)| Spec::AddressErrorCode(f, code, reason)),
    ];
    let numbers = prop_oneof![
        any::<u32>().prop_map(Spec::Priority),
        Just(Spec::UseCandidate),
        any::<u64>().prop_map(Spec::IceControlled),
        any::<u64>().prop_map(Spec::IceControlling),
        any::<u16>().prop_map(Spec::ChannelNumber),
        any::<u32>().prop_map(Spec::Lifetime),
        family().prop_map(Spec::RequestedAddressFamily),
        any::<bool>().prop_map(Spec::EvenPort),
        any::<u8>().prop_map(Spec::RequestedTransport),
        Just(Spec::DontFragment),
        any::<u64>().prop_map(Spec::ReservationToken),
        family().prop_map(Spec::AdditionalAddressFamily),
        (any::<u8>(), any::<u8>(), any::<u32>()).prop_map(|(icmp_type, icmp_code, error_data)| {
            Spec::Icmp(Icmp {
                icmp_type,
                icmp_code,
                error_data,
            })
        }),
        (any::<bool>(), any::<bool>()).prop_map(|(ip, port)| Spec::ChangeRequest(ip, port)),
        any::<u16>().prop_map(Spec::ResponsePort),
        any::<u32>().prop_map(Spec::CacheTimeout),
        any::<u32>().prop_map(Spec::ConnectionId),
    ];
    let opaque = prop_oneof![
        any::<[u8; 32]>().prop_map(Spec::UserHash),
        proptest::collection::vec(algorithm(), 1..4).prop_map(Spec::PasswordAlgorithms),
        algorithm().prop_map(Spec::PasswordAlgorithm),
        proptest::collection::vec(any::<u16>().prop_map(AttributeType), 0..6)
            .prop_map(Spec::UnknownAttributes),
        bytes(64).prop_map(Spec::Data),
        bytes(64).prop_map(Spec::Padding),
        bytes(64).prop_map(Spec::AccessToken),
        bytes(64).prop_map(Spec::MobilityTicket),
        (
            any::<u16>().prop_filter("unregistered type", |k| !AttributeType(*k).is_known()),
            bytes(64)
        )
            .prop_map(|(kind, value)| Spec::Unknown(AttributeType(kind), value)),
    ];
    prop_oneof![addresses, texts, numbers, opaque]
}

fn class() -> impl Strategy<Value = Class> {
    prop_oneof![
        Just(Class::Request),
        Just(Class::Indication),
        Just(Class::SuccessResponse),
        Just(Class::ErrorResponse),
    ]
}

fn method() -> impl Strategy<Value = Method> {
    (0u16..=0xFFF).prop_map(|m| Method::new(m).unwrap())
}

/// What follows the ordinary attributes.
#[derive(Debug, Clone)]
struct Trailer {
    message_integrity: Option<Vec<u8>>,
    message_integrity_sha256: Option<(Vec<u8>, usize)>,
    fingerprint: bool,
}

fn trailer() -> impl Strategy<Value = Trailer> {
    (
        proptest::option::of(bytes(40)),
        proptest::option::of((
            bytes(40),
            prop_oneof![Just(16usize), Just(20), Just(24), Just(28), Just(32)],
        )),
        any::<bool>(),
    )
        .prop_map(
            |(message_integrity, message_integrity_sha256, fingerprint)| Trailer {
                message_integrity,
                message_integrity_sha256,
                fingerprint,
            },
        )
}

fn header(class: Class, method: Method, transaction_id: [u8; 12], body_len: usize) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(20 + body_len);
    bytes.extend_from_slice(&sansrtc_stun::message_type(class, method).to_be_bytes());
    bytes.extend_from_slice(&(body_len as u16).to_be_bytes());
    bytes.extend_from_slice(&sansrtc_stun::MAGIC_COOKIE.to_be_bytes());
    bytes.extend_from_slice(&transaction_id);
    bytes
}

/// Attribute types to put in front of random values: every registered one
/// and a few unregistered ones.
const KINDS: [u16; 48] = [
    0x0001, 0x0003, 0x0006, 0x0008, 0x0009, 0x000A, 0x000C, 0x000D, 0x0012, 0x0013, 0x0014, 0x0015,
    0x0016, 0x0017, 0x0018, 0x0019, 0x001A, 0x001B, 0x001C, 0x001D, 0x001E, 0x0020, 0x0022, 0x0024,
    0x0025, 0x0026, 0x0027, 0x002A, 0x8000, 0x8001, 0x8002, 0x8003, 0x8004, 0x8022, 0x8023, 0x8027,
    0x8028, 0x8029, 0x802A, 0x802B, 0x802C, 0x802E, 0x8030, 0x0002, 0x0031, 0x7FFF, 0xC000, 0xFFFF,
];

/// What parsing must decide for the attributes behind a valid header,
/// worked out the plain way: walk them in order and decode, with
/// [`Attribute::decode`], each one that counts under RFC 8489 §14.5–§14.7
/// (before MESSAGE-INTEGRITY everything; after it only
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT; after
/// MESSAGE-INTEGRITY-SHA256 only FINGERPRINT; nothing after FINGERPRINT).
fn reference_parse(bytes: &[u8]) -> Result<(), ParseError> {
    let transaction_id = TransactionId::new(bytes[8..20].try_into().unwrap());
    let mut rest = &bytes[20..];
    let (mut integrity, mut integrity_sha256, mut fingerprint) = (false, false, false);
    let mut count = 0;
    while !rest.is_empty() {
        let kind = u16::from_be_bytes([rest[0], rest[1]]);
        let len = usize::from(u16::from_be_bytes([rest[2], rest[3]]));
        let bad = |reason| ParseError::BadAttribute { kind, reason };
        if 4 + len > rest.len() {
            return Err(bad("value runs past the end of the message"));
        }
        let padded = (len + 3) & !3;
        if 4 + padded > rest.len() {
            return Err(bad("padding runs past the end of the message"));
        }
        count += 1;
        if count > MAX_ATTRIBUTES {
            return Err(ParseError::TooManyAttributes {
                max: MAX_ATTRIBUTES,
            });
        }
        if fingerprint {
            return Err(ParseError::AttributeAfterFingerprint { kind });
        }
        let kind = AttributeType(kind);
        let counts = match kind {
            AttributeType::FINGERPRINT => true,
            AttributeType::MESSAGE_INTEGRITY_SHA256 => !integrity_sha256,
            _ => !integrity && !integrity_sha256,
        };
        if counts {
            Attribute::decode(kind, &rest[4..4 + len], &transaction_id)?;
            match kind {
                AttributeType::MESSAGE_INTEGRITY => integrity = true,
                AttributeType::MESSAGE_INTEGRITY_SHA256 => integrity_sha256 = true,
                AttributeType::FINGERPRINT => fingerprint = true,
                _ => {}
            }
        }
        rest = &rest[4 + padded..];
    }
    Ok(())
}

/// A value of a length that some attribute type has (so that the
/// integrity attributes and FINGERPRINT often decode), or of any length.
fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        bytes(40),
        prop::sample::select(vec![0usize, 1, 4, 8, 16, 20, 32])
            .prop_flat_map(|len| proptest::collection::vec(any::<u8>(), len)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn generated_messages_round_trip(
        class in class(),
        method in method(),
        transaction_id in any::<[u8; 12]>(),
        specs in proptest::collection::vec(spec(), 0..20),
        trailer in trailer(),
        padding in any::<u8>(),
    ) {
        let transaction_id = TransactionId::new(transaction_id);
        let attributes: Vec<Attribute<'_>> = specs.iter().map(Spec::attribute).collect();
        let mut buf = vec![0u8; MAX_MESSAGE_LEN];
        let mut builder = MessageBuilder::new(&mut buf, class, method, transaction_id).unwrap();
        builder.set_padding_byte(padding);
        for attribute in &attributes {
            builder.add(attribute).unwrap();
        }
        if let Some(key) = &trailer.message_integrity {
            builder.add_message_integrity(key).unwrap();
        }
        if let Some((key, len)) = &trailer.message_integrity_sha256 {
            builder.add_message_integrity_sha256_truncated(key, *len).unwrap();
        }
        if trailer.fingerprint {
            builder.add_fingerprint().unwrap();
        }
        let len = builder.finish();
        let bytes = &buf[..len];

        let message = Message::parse(bytes).unwrap();
        prop_assert_eq!(message.class(), class);
        prop_assert_eq!(message.method(), method);
        prop_assert_eq!(message.transaction_id(), transaction_id);
        let parsed: Vec<Attribute<'_>> = message.attributes().collect();
        prop_assert_eq!(&parsed[..attributes.len()], &attributes[..]);
        let mut trailing = parsed[attributes.len()..].iter().map(Attribute::kind);
        if let Some(key) = &trailer.message_integrity {
            prop_assert_eq!(trailing.next(), Some(AttributeType::MESSAGE_INTEGRITY));
            prop_assert_eq!(message.verify_message_integrity(key), Ok(()));
        } else {
            prop_assert!(message.verify_message_integrity(b"").is_err());
        }
        if let Some((key, _)) = &trailer.message_integrity_sha256 {
            prop_assert_eq!(trailing.next(), Some(AttributeType::MESSAGE_INTEGRITY_SHA256));
            prop_assert_eq!(message.verify_message_integrity_sha256(key), Ok(()));
        }
        if trailer.fingerprint {
            prop_assert_eq!(trailing.next(), Some(AttributeType::FINGERPRINT));
            prop_assert_eq!(message.verify_fingerprint(), Ok(()));
        } else {
            prop_assert!(message.verify_fingerprint().is_err());
        }
        prop_assert_eq!(trailing.next(), None);
        prop_assert_eq!(
            message.has_unknown_comprehension_required(),
            attributes.iter().any(|a| matches!(a, Attribute::Unknown { kind, .. } if kind.is_comprehension_required()))
        );
        roundtrip::check_message(bytes);
    }

    #[test]
    fn parsing_arbitrary_bytes_never_panics(data in bytes(512)) {
        roundtrip::check_message(&data);
        roundtrip::check_framing(&data);
    }

    #[test]
    fn arbitrary_bodies_behind_a_valid_header(
        class in class(),
        method in method(),
        transaction_id in any::<[u8; 12]>(),
        words in proptest::collection::vec(any::<[u8; 4]>(), 0..64),
    ) {
        let body: Vec<u8> = words.concat();
        let mut bytes = header(class, method, transaction_id, body.len());
        bytes.extend_from_slice(&body);
        prop_assert_eq!(Message::parse(&bytes).map(|_| ()), reference_parse(&bytes));
        roundtrip::check_message(&bytes);
    }

    /// Well-framed attributes of every type with random values: this gets
    /// past the framing into every attribute decoder.
    #[test]
    fn random_values_behind_valid_framing(
        class in class(),
        method in method(),
        transaction_id in any::<[u8; 12]>(),
        raw in proptest::collection::vec((0..KINDS.len(), value(), any::<u8>()), 0..12),
    ) {
        let mut body = Vec::new();
        for (kind, value, padding) in &raw {
            body.extend_from_slice(&KINDS[*kind].to_be_bytes());
            body.extend_from_slice(&(value.len() as u16).to_be_bytes());
            body.extend_from_slice(value);
            body.resize(body.len() + (4 - value.len() % 4) % 4, *padding);
        }
        let mut bytes = header(class, method, transaction_id, body.len());
        bytes.extend_from_slice(&body);
        prop_assert_eq!(Message::parse(&bytes).map(|_| ()), reference_parse(&bytes));
        match Message::parse(&bytes) {
            Ok(message) => {
                prop_assert!(message.attributes().count() <= raw.len());
                roundtrip::check_message(&bytes);
            }
            Err(error) => {
                // Errors are about attributes, never the framing.
                prop_assert!(
                    matches!(
                        error,
                        ParseError::BadAttribute { .. }
                            | ParseError::AttributeAfterFingerprint { .. }
                    ),
                    "{error:?}"
                );
            }
        }
    }

    #[test]
    fn channel_data_round_trips(channel in 0x4000u16..=0x4FFF, data in bytes(300)) {
        let message = ChannelData::new(channel, &data);
        for transport in [Transport::Udp, Transport::Tcp] {
            let mut buf = vec![0u8; message.encoded_len(transport)];
            prop_assert_eq!(message.write_to(&mut buf, transport), Ok(buf.len()));
            prop_assert_eq!(ChannelData::parse(&buf, transport), Ok(message));
            // Padded or not, a datagram receiver accepts it.
            prop_assert_eq!(ChannelData::parse(&buf, Transport::Udp), Ok(message));
            prop_assert_eq!(framing::stream_frame_len(&buf).map(|l| l.is_some()), Ok(true));
            if transport == Transport::Tcp {
                prop_assert_eq!(framing::stream_frame_len(&buf), Ok(Some(buf.len())));
            }
        }
    }

    #[test]
    fn channel_data_parsing_never_panics(data in bytes(64)) {
        for transport in [Transport::Udp, Transport::Tcp] {
            if let Ok(message) = ChannelData::parse(&data, transport) {
                let mut buf = vec![0u8; message.encoded_len(Transport::Tcp)];
                prop_assert!(message.write_to(&mut buf, Transport::Tcp).is_ok());
                prop_assert_eq!(&buf[..4 + message.data.len()], &data[..4 + message.data.len()]);
            }
        }
        let _ = framing::stream_frame_len(&data);
    }

    #[test]
    fn rfc4571_round_trips(packets in proptest::collection::vec(bytes(100), 0..5)) {
        let mut stream = Vec::new();
        for packet in &packets {
            let mut buf = vec![0u8; rfc4571::HEADER_LEN + packet.len()];
            prop_assert_eq!(rfc4571::write_to(packet, &mut buf), Ok(buf.len()));
            stream.extend_from_slice(&buf);
        }
        let mut rest = &stream[..];
        for packet in &packets {
            let (got, tail) = rfc4571::split(rest).unwrap();
            prop_assert_eq!(got, &packet[..]);
            rest = tail;
        }
        prop_assert!(rest.is_empty());
    }
}
