//! [proptest](https://docs.rs/proptest) strategies for STUN messages
//! (feature `proptest`): well-formed [`MessageSpec`]s that write
//! themselves through [`MessageBuilder`](crate::MessageBuilder), and
//! near-valid messages (one defect each) for negative tests.
//!
//! ```
//! use proptest::prelude::*;
//! use sansrtc_stun::Message;
//! use sansrtc_stun::arbitrary::MessageSpec;
//! use sansrtc_stun::strategy::{near_valid_message, signed_message};
//!
//! proptest!(|(spec in signed_message(b"pass".to_vec()))| {
//!     let bytes = spec.to_bytes().unwrap();
//!     let message = Message::parse(&bytes).unwrap();
//!     prop_assert!(message.verify_message_integrity(b"pass").is_ok());
//! });
//! proptest!(|(spec in any::<MessageSpec>())| {
//!     prop_assert!(Message::parse(&spec.to_bytes().unwrap()).is_ok());
//! });
//! // Your parser, like ours, must refuse each of these.
//! proptest!(|(near in near_valid_message())| {
//!     prop_assert!(Message::parse(&near.bytes).is_err(), "{:?}", near.defect);
//! });
//! ```

extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use proptest::prelude::*;

use crate::arbitrary::{
    AttributeSpec, MAX_GENERATED_ATTRIBUTES, MAX_GENERATED_VALUE_LEN, MessageSpec,
    PasswordAlgorithmSpec, Sha256Integrity,
};
use crate::attribute::{AddressFamily, AttributeType, Icmp, PasswordAlgorithm};
use crate::message::{Class, HEADER_LEN, MAGIC_COOKIE, Method, TransactionId};

/// An IPv4 or IPv6 socket address as STUN carries it (no IPv6 flow label
/// or scope).
pub fn address() -> impl Strategy<Value = SocketAddr> {
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

/// Any text of at most `chars` characters (at most four bytes each).
fn text(chars: usize) -> impl Strategy<Value = String> {
    proptest::collection::vec(any::<char>(), 0..=chars).prop_map(|c| c.into_iter().collect())
}

fn password_algorithm() -> impl Strategy<Value = PasswordAlgorithmSpec> {
    prop_oneof![
        Just(PasswordAlgorithm::MD5),
        Just(PasswordAlgorithm::SHA256),
        any::<u16>()
    ]
    .prop_flat_map(|algorithm| {
        let parameters = if algorithm > 2 { 16 } else { 0 };
        bytes(parameters).prop_map(move |parameters| PasswordAlgorithmSpec {
            algorithm,
            parameters,
        })
    })
}

/// Any attribute added by value, well formed.
pub fn attribute() -> impl Strategy<Value = AttributeSpec> {
    // Split in groups: `prop_oneof!` takes a limited number of arms.
    let addresses = prop_oneof![
        address().prop_map(AttributeSpec::MappedAddress),
        address().prop_map(AttributeSpec::XorMappedAddress),
        address().prop_map(AttributeSpec::AlternateServer),
        address().prop_map(AttributeSpec::XorPeerAddress),
        address().prop_map(AttributeSpec::XorRelayedAddress),
        address().prop_map(AttributeSpec::ResponseOrigin),
        address().prop_map(AttributeSpec::OtherAddress),
    ];
    let texts = prop_oneof![
        text(50).prop_map(AttributeSpec::Username),
        text(50).prop_map(AttributeSpec::Realm),
        text(50).prop_map(AttributeSpec::Nonce),
        text(50).prop_map(AttributeSpec::Software),
        text(50).prop_map(AttributeSpec::ThirdPartyAuthorization),
        "[a-z0-9.-]{0,64}".prop_map(AttributeSpec::AlternateDomain),
        (300u16..=699, text(20)).prop_map(|(code, reason)| AttributeSpec::ErrorCode(code, reason)),
        (family(), 300u16..=699, text(20))
            .prop_map(|(f, code, reason)| AttributeSpec::AddressErrorCode(f, code, reason)),
    ];
    let numbers = prop_oneof![
        any::<u32>().prop_map(AttributeSpec::Priority),
        Just(AttributeSpec::UseCandidate),
        any::<u64>().prop_map(AttributeSpec::IceControlled),
        any::<u64>().prop_map(AttributeSpec::IceControlling),
        any::<u16>().prop_map(AttributeSpec::ChannelNumber),
        any::<u32>().prop_map(AttributeSpec::Lifetime),
        family().prop_map(AttributeSpec::RequestedAddressFamily),
        any::<bool>().prop_map(AttributeSpec::EvenPort),
        any::<u8>().prop_map(AttributeSpec::RequestedTransport),
        Just(AttributeSpec::DontFragment),
        any::<u64>().prop_map(AttributeSpec::ReservationToken),
        family().prop_map(AttributeSpec::AdditionalAddressFamily),
    ];
    let more_numbers = prop_oneof![
        (any::<u8>(), any::<u8>(), any::<u32>()).prop_map(|(icmp_type, icmp_code, error_data)| {
            AttributeSpec::Icmp(Icmp {
                icmp_type,
                icmp_code,
                error_data,
            })
        }),
        (any::<bool>(), any::<bool>()).prop_map(|(change_ip, change_port)| {
            AttributeSpec::ChangeRequest {
                change_ip,
                change_port,
            }
        }),
        any::<u16>().prop_map(AttributeSpec::ResponsePort),
        any::<u32>().prop_map(AttributeSpec::CacheTimeout),
        any::<u32>().prop_map(AttributeSpec::ConnectionId),
    ];
    let opaque = prop_oneof![
        any::<[u8; 32]>().prop_map(AttributeSpec::UserHash),
        proptest::collection::vec(password_algorithm(), 1..4)
            .prop_map(AttributeSpec::PasswordAlgorithms),
        password_algorithm().prop_map(AttributeSpec::PasswordAlgorithm),
        proptest::collection::vec(any::<u16>().prop_map(AttributeType), 0..5)
            .prop_map(AttributeSpec::UnknownAttributes),
        bytes(MAX_GENERATED_VALUE_LEN / 2).prop_map(AttributeSpec::Data),
        bytes(MAX_GENERATED_VALUE_LEN / 2).prop_map(AttributeSpec::Padding),
        bytes(MAX_GENERATED_VALUE_LEN / 2).prop_map(AttributeSpec::AccessToken),
        bytes(MAX_GENERATED_VALUE_LEN / 2).prop_map(AttributeSpec::MobilityTicket),
        (
            any::<u16>().prop_filter("unregistered type", |k| !AttributeType(*k).is_known()),
            bytes(MAX_GENERATED_VALUE_LEN / 2)
        )
            .prop_map(|(kind, value)| AttributeSpec::Unknown(AttributeType(kind), value)),
    ];
    prop_oneof![addresses, texts, numbers, more_numbers, opaque]
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
    (0u16..=0xFFF).prop_map(|m| Method::new(m).unwrap_or(Method::BINDING))
}

fn sha256_integrity() -> impl Strategy<Value = Sha256Integrity> {
    (
        bytes(40),
        prop::sample::select(vec![16usize, 20, 24, 28, 32]),
    )
        .prop_map(|(key, len)| Sha256Integrity { key, len })
}

/// Any well-formed message: any class and method, up to
/// [`MAX_GENERATED_ATTRIBUTES`] attributes, with or without
/// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 (arbitrary keys) and
/// FINGERPRINT.
pub fn message() -> impl Strategy<Value = MessageSpec> {
    (
        class(),
        method(),
        any::<[u8; 12]>(),
        proptest::collection::vec(attribute(), 0..=MAX_GENERATED_ATTRIBUTES),
        any::<u8>(),
        proptest::option::of(bytes(40)),
        proptest::option::of(sha256_integrity()),
        any::<bool>(),
    )
        .prop_map(
            |(
                class,
                method,
                transaction_id,
                attributes,
                padding_byte,
                message_integrity,
                message_integrity_sha256,
                fingerprint,
            )| MessageSpec {
                class,
                method,
                transaction_id: TransactionId::new(transaction_id),
                attributes,
                padding_byte,
                message_integrity,
                message_integrity_sha256,
                fingerprint,
            },
        )
}

/// Well-formed messages signed with MESSAGE-INTEGRITY under `key` (the
/// short-term password, or a long-term key), with or without FINGERPRINT.
pub fn signed_message(key: Vec<u8>) -> impl Strategy<Value = MessageSpec> {
    (message(), any::<bool>()).prop_map(move |(mut spec, fingerprint)| {
        spec.message_integrity = Some(key.clone());
        spec.fingerprint = fingerprint;
        spec
    })
}

impl Arbitrary for AttributeSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        attribute().boxed()
    }
}

impl Arbitrary for MessageSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        message().boxed()
    }
}

/// What is wrong with a [`NearValid`] message. Each defect makes
/// [`Message::parse`](crate::Message::parse) fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Defect {
    /// Cut to this many bytes (fewer than the header and length field
    /// announce).
    Truncated(usize),
    /// This many bytes appended that the length field does not count.
    Padded(usize),
    /// The length field changed to this wrong value.
    LengthField(u16),
    /// The magic cookie changed to this value (an RFC 3489 message).
    MagicCookie(u32),
    /// One of the two leading bits, zero in STUN, set.
    LeadingBits(u8),
    /// A well-framed attribute whose value breaks its definition (a field
    /// out of range, a wrong length, text that is not UTF-8), put before
    /// the integrity attributes so that it counts.
    BadAttribute {
        /// The attribute type.
        kind: AttributeType,
        /// The value.
        value: Vec<u8>,
    },
}

/// A message that is right but for one [`Defect`], for negative tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearValid {
    /// The well-formed message it was made from.
    pub spec: MessageSpec,
    /// What was changed.
    pub defect: Defect,
    /// The bytes with the defect.
    pub bytes: Vec<u8>,
}

/// Values that break the definition of their attribute type.
fn bad_attribute() -> impl Strategy<Value = (AttributeType, Vec<u8>)> {
    let fixed = prop_oneof![
        // Lengths the fixed-size types do not have.
        (0usize..16)
            .prop_filter("not 4", |n| *n != 4)
            .prop_map(|n| (AttributeType::PRIORITY, vec![0; n])),
        (1usize..16).prop_map(|n| (AttributeType::USE_CANDIDATE, vec![0; n])),
        (0usize..16)
            .prop_filter("not 8", |n| *n != 8)
            .prop_map(|n| (AttributeType::ICE_CONTROLLING, vec![1; n])),
        (0usize..40)
            .prop_filter("not 32", |n| *n != 32)
            .prop_map(|n| (AttributeType::USERHASH, vec![2; n])),
        (0usize..40)
            .prop_filter("not 20", |n| *n != 20)
            .prop_map(|n| (AttributeType::MESSAGE_INTEGRITY, vec![3; n])),
        Just((AttributeType::PASSWORD_ALGORITHMS, vec![])),
    ];
    let ranges = prop_oneof![
        // Error classes outside 3-6.
        (0u8..8)
            .prop_filter("outside 3-6", |c| !(3..=6).contains(c))
            .prop_map(|class| (AttributeType::ERROR_CODE, vec![0, 0, class, 0])),
        // Address families other than 1 and 2.
        any::<u8>()
            .prop_filter("not a family", |f| *f != 1 && *f != 2)
            .prop_map(|family| (
                AttributeType::XOR_MAPPED_ADDRESS,
                vec![0, family, 0, 1, 192, 0, 2, 1]
            )),
        any::<u8>()
            .prop_filter("not a family", |f| *f != 1 && *f != 2)
            .prop_map(|family| (
                AttributeType::REQUESTED_ADDRESS_FAMILY,
                vec![family, 0, 0, 0]
            )),
        // Text that is not UTF-8, a domain that is not ASCII.
        Just((AttributeType::USERNAME, vec![b'a', 0xff])),
        Just((AttributeType::REALM, vec![0xc3])),
        Just((
            AttributeType::ALTERNATE_DOMAIN,
            "é.example".as_bytes().to_vec()
        )),
    ];
    prop_oneof![fixed, ranges]
}

fn defect(len: usize) -> impl Strategy<Value = Defect> {
    prop_oneof![
        (0..len).prop_map(Defect::Truncated),
        (1usize..=8).prop_map(Defect::Padded),
        any::<u16>()
            .prop_filter("a wrong length", move |l| usize::from(*l) + HEADER_LEN
                != len)
            .prop_map(Defect::LengthField),
        any::<u32>()
            .prop_filter("not the cookie", |c| *c != MAGIC_COOKIE)
            .prop_map(Defect::MagicCookie),
        (1u8..=3).prop_map(Defect::LeadingBits),
        bad_attribute().prop_map(|(kind, value)| Defect::BadAttribute { kind, value }),
    ]
}

/// Puts `defect` into the bytes of `spec` (written by the builder).
fn apply(spec: &MessageSpec, defect: &Defect) -> Vec<u8> {
    let mut bytes = spec.to_bytes().unwrap_or_default();
    let set_length = |bytes: &mut Vec<u8>, length: u16| {
        if let Some(field) = bytes.get_mut(2..4) {
            field.copy_from_slice(&length.to_be_bytes());
        }
    };
    match defect {
        Defect::Truncated(len) => bytes.truncate(*len),
        Defect::Padded(extra) => bytes.resize(bytes.len() + extra, 0),
        Defect::LengthField(length) => set_length(&mut bytes, *length),
        Defect::MagicCookie(cookie) => {
            if let Some(field) = bytes.get_mut(4..8) {
                field.copy_from_slice(&cookie.to_be_bytes());
            }
        }
        Defect::LeadingBits(bits) => {
            if let Some(first) = bytes.first_mut() {
                *first |= bits << 6;
            }
        }
        Defect::BadAttribute { kind, value } => {
            let at = HEADER_LEN
                + spec
                    .attributes
                    .iter()
                    .map(AttributeSpec::encoded_len)
                    .sum::<usize>();
            let mut attribute = Vec::with_capacity(4 + value.len() + 3);
            attribute.extend_from_slice(&kind.0.to_be_bytes());
            attribute.extend_from_slice(&(value.len() as u16).to_be_bytes());
            attribute.extend_from_slice(value);
            attribute.resize((attribute.len() + 3) & !3, 0);
            let tail = bytes.split_off(at.min(bytes.len()));
            bytes.extend_from_slice(&attribute);
            bytes.extend_from_slice(&tail);
            let length = u16::try_from(bytes.len() - HEADER_LEN).unwrap_or(u16::MAX);
            set_length(&mut bytes, length);
        }
    }
    bytes
}

/// A well-formed message with one [`Defect`]: truncated, padded, a header
/// field out of range, or one attribute value that breaks its definition.
/// [`Message::parse`](crate::Message::parse) refuses every one.
pub fn near_valid_message() -> impl Strategy<Value = NearValid> {
    message().prop_flat_map(|spec| {
        let len = spec.encoded_len();
        (Just(spec), defect(len)).prop_map(|(spec, defect)| {
            let bytes = apply(&spec, &defect);
            NearValid {
                spec,
                defect,
                bytes,
            }
        })
    })
}
