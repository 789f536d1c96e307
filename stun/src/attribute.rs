//! STUN attributes: the type registry and typed, borrowing values.
//!
//! Every attribute of RFC 8489, RFC 8445 (ICE), RFC 8656 (TURN) and RFC 5780
//! (NAT behaviour discovery) decodes into a variant of [`Attribute`]; RFC 7635
//! (third-party authorization), RFC 6062 (TURN over TCP) and RFC 8016
//! (mobility) attributes are parsed into their raw values; anything else
//! becomes [`Attribute::Unknown`] with its bytes kept.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-14>

use core::net::SocketAddr;

// Split by concern: the type registry, the typed values, decoding and
// encoding. Everything public is used from this module's path.
mod decode;
mod encode;
mod registry;
mod value;

pub use registry::AttributeType;
pub(crate) use registry::{Rule, text_value};
pub use value::{
    AddressErrorCode, AddressFamily, ErrorCode, Icmp, MAX_DOMAIN_LEN, MAX_TEXT_LEN,
    MAX_USERNAME_LEN, PasswordAlgorithm, PasswordAlgorithms, PasswordAlgorithmsIter,
    UnknownAttributes, UnknownAttributesIter,
};

/// One decoded attribute. Values borrow from the message bytes.
///
/// Build one to write with [`MessageBuilder::add`](crate::MessageBuilder::add);
/// read them from [`Message::attributes`](crate::Message::attributes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// MAPPED-ADDRESS <https://www.rfc-editor.org/rfc/rfc8489#section-14.1>
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS <https://www.rfc-editor.org/rfc/rfc8489#section-14.2>
    XorMappedAddress(SocketAddr),
    /// USERNAME <https://www.rfc-editor.org/rfc/rfc8489#section-14.3>
    Username(&'a str),
    /// USERHASH: SHA-256 of `username ":" realm`
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-14.4>
    UserHash(&'a [u8; 32]),
    /// MESSAGE-INTEGRITY: HMAC-SHA1 <https://www.rfc-editor.org/rfc/rfc8489#section-14.5>
    MessageIntegrity(&'a [u8; 20]),
    /// MESSAGE-INTEGRITY-SHA256: HMAC-SHA256, possibly truncated to 16–32
    /// bytes in steps of 4 <https://www.rfc-editor.org/rfc/rfc8489#section-14.6>
    MessageIntegritySha256(&'a [u8]),
    /// FINGERPRINT: CRC-32 xor 0x5354554e <https://www.rfc-editor.org/rfc/rfc8489#section-14.7>
    Fingerprint(u32),
    /// ERROR-CODE <https://www.rfc-editor.org/rfc/rfc8489#section-14.8>
    ErrorCode(ErrorCode<'a>),
    /// REALM <https://www.rfc-editor.org/rfc/rfc8489#section-14.9>
    Realm(&'a str),
    /// NONCE <https://www.rfc-editor.org/rfc/rfc8489#section-14.10>
    Nonce(&'a str),
    /// PASSWORD-ALGORITHMS <https://www.rfc-editor.org/rfc/rfc8489#section-14.11>
    PasswordAlgorithms(PasswordAlgorithms<'a>),
    /// PASSWORD-ALGORITHM <https://www.rfc-editor.org/rfc/rfc8489#section-14.12>
    PasswordAlgorithm(PasswordAlgorithm<'a>),
    /// UNKNOWN-ATTRIBUTES <https://www.rfc-editor.org/rfc/rfc8489#section-14.13>
    UnknownAttributes(UnknownAttributes<'a>),
    /// SOFTWARE <https://www.rfc-editor.org/rfc/rfc8489#section-14.14>
    Software(&'a str),
    /// ALTERNATE-SERVER <https://www.rfc-editor.org/rfc/rfc8489#section-14.15>
    AlternateServer(SocketAddr),
    /// ALTERNATE-DOMAIN <https://www.rfc-editor.org/rfc/rfc8489#section-14.16>
    AlternateDomain(&'a str),
    /// PRIORITY <https://www.rfc-editor.org/rfc/rfc8445#section-7.1.1>
    Priority(u32),
    /// USE-CANDIDATE <https://www.rfc-editor.org/rfc/rfc8445#section-7.1.2>
    UseCandidate,
    /// ICE-CONTROLLED with its tie-breaker <https://www.rfc-editor.org/rfc/rfc8445#section-7.1.3>
    IceControlled(u64),
    /// ICE-CONTROLLING with its tie-breaker <https://www.rfc-editor.org/rfc/rfc8445#section-7.1.3>
    IceControlling(u64),
    /// CHANNEL-NUMBER <https://www.rfc-editor.org/rfc/rfc8656#section-18.1>
    ChannelNumber(u16),
    /// LIFETIME in seconds <https://www.rfc-editor.org/rfc/rfc8656#section-18.2>
    Lifetime(u32),
    /// XOR-PEER-ADDRESS <https://www.rfc-editor.org/rfc/rfc8656#section-18.3>
    XorPeerAddress(SocketAddr),
    /// DATA <https://www.rfc-editor.org/rfc/rfc8656#section-18.4>
    Data(&'a [u8]),
    /// XOR-RELAYED-ADDRESS <https://www.rfc-editor.org/rfc/rfc8656#section-18.5>
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-ADDRESS-FAMILY <https://www.rfc-editor.org/rfc/rfc8656#section-18.6>
    RequestedAddressFamily(AddressFamily),
    /// EVEN-PORT; `true` asks the server to reserve the next port too
    /// <https://www.rfc-editor.org/rfc/rfc8656#section-18.7>
    EvenPort(bool),
    /// REQUESTED-TRANSPORT: an IP protocol number (17 for UDP)
    /// <https://www.rfc-editor.org/rfc/rfc8656#section-18.8>
    RequestedTransport(u8),
    /// DONT-FRAGMENT <https://www.rfc-editor.org/rfc/rfc8656#section-18.9>
    DontFragment,
    /// RESERVATION-TOKEN <https://www.rfc-editor.org/rfc/rfc8656#section-18.10>
    ReservationToken(u64),
    /// ADDITIONAL-ADDRESS-FAMILY <https://www.rfc-editor.org/rfc/rfc8656#section-18.11>
    AdditionalAddressFamily(AddressFamily),
    /// ADDRESS-ERROR-CODE <https://www.rfc-editor.org/rfc/rfc8656#section-18.12>
    AddressErrorCode(AddressErrorCode<'a>),
    /// ICMP <https://www.rfc-editor.org/rfc/rfc8656#section-18.13>
    Icmp(Icmp),
    /// CHANGE-REQUEST: change IP, change port <https://www.rfc-editor.org/rfc/rfc5780#section-7.2>
    ChangeRequest {
        /// Send the response from the other IP address.
        change_ip: bool,
        /// Send the response from the other port.
        change_port: bool,
    },
    /// RESPONSE-PORT <https://www.rfc-editor.org/rfc/rfc5780#section-7.5>
    ResponsePort(u16),
    /// PADDING <https://www.rfc-editor.org/rfc/rfc5780#section-7.4>
    Padding(&'a [u8]),
    /// CACHE-TIMEOUT in seconds <https://www.rfc-editor.org/rfc/rfc5780#section-7.6>
    CacheTimeout(u32),
    /// RESPONSE-ORIGIN <https://www.rfc-editor.org/rfc/rfc5780#section-7.3>
    ResponseOrigin(SocketAddr),
    /// OTHER-ADDRESS <https://www.rfc-editor.org/rfc/rfc5780#section-7.4>
    OtherAddress(SocketAddr),
    /// CONNECTION-ID (TURN over TCP) <https://www.rfc-editor.org/rfc/rfc6062#section-6.2.1>
    ConnectionId(u32),
    /// ACCESS-TOKEN, kept as its opaque bytes (parse only)
    /// <https://www.rfc-editor.org/rfc/rfc7635#section-6.2>
    AccessToken(&'a [u8]),
    /// THIRD-PARTY-AUTHORIZATION: the authorization server's name (parse only)
    /// <https://www.rfc-editor.org/rfc/rfc7635#section-6.1>
    ThirdPartyAuthorization(&'a str),
    /// MOBILITY-TICKET, kept as its opaque bytes (parse only)
    /// <https://www.rfc-editor.org/rfc/rfc8016#section-3.1>
    MobilityTicket(&'a [u8]),
    /// An attribute this crate does not decode, with its value bytes.
    Unknown {
        /// The attribute type.
        kind: AttributeType,
        /// The value, without padding.
        value: &'a [u8],
    },
}

/// Rounds a length up to a multiple of four.
pub(crate) const fn padded(len: usize) -> usize {
    (len + 3) & !3
}

impl Attribute<'_> {
    /// The attribute's type.
    pub const fn kind(&self) -> AttributeType {
        match self {
            Self::MappedAddress(_) => AttributeType::MAPPED_ADDRESS,
            Self::XorMappedAddress(_) => AttributeType::XOR_MAPPED_ADDRESS,
            Self::Username(_) => AttributeType::USERNAME,
            Self::UserHash(_) => AttributeType::USERHASH,
            Self::MessageIntegrity(_) => AttributeType::MESSAGE_INTEGRITY,
            Self::MessageIntegritySha256(_) => AttributeType::MESSAGE_INTEGRITY_SHA256,
            Self::Fingerprint(_) => AttributeType::FINGERPRINT,
            Self::ErrorCode(_) => AttributeType::ERROR_CODE,
            Self::Realm(_) => AttributeType::REALM,
            Self::Nonce(_) => AttributeType::NONCE,
            Self::PasswordAlgorithms(_) => AttributeType::PASSWORD_ALGORITHMS,
            Self::PasswordAlgorithm(_) => AttributeType::PASSWORD_ALGORITHM,
            Self::UnknownAttributes(_) => AttributeType::UNKNOWN_ATTRIBUTES,
            Self::Software(_) => AttributeType::SOFTWARE,
            Self::AlternateServer(_) => AttributeType::ALTERNATE_SERVER,
            Self::AlternateDomain(_) => AttributeType::ALTERNATE_DOMAIN,
            Self::Priority(_) => AttributeType::PRIORITY,
            Self::UseCandidate => AttributeType::USE_CANDIDATE,
            Self::IceControlled(_) => AttributeType::ICE_CONTROLLED,
            Self::IceControlling(_) => AttributeType::ICE_CONTROLLING,
            Self::ChannelNumber(_) => AttributeType::CHANNEL_NUMBER,
            Self::Lifetime(_) => AttributeType::LIFETIME,
            Self::XorPeerAddress(_) => AttributeType::XOR_PEER_ADDRESS,
            Self::Data(_) => AttributeType::DATA,
            Self::XorRelayedAddress(_) => AttributeType::XOR_RELAYED_ADDRESS,
            Self::RequestedAddressFamily(_) => AttributeType::REQUESTED_ADDRESS_FAMILY,
            Self::EvenPort(_) => AttributeType::EVEN_PORT,
            Self::RequestedTransport(_) => AttributeType::REQUESTED_TRANSPORT,
            Self::DontFragment => AttributeType::DONT_FRAGMENT,
            Self::ReservationToken(_) => AttributeType::RESERVATION_TOKEN,
            Self::AdditionalAddressFamily(_) => AttributeType::ADDITIONAL_ADDRESS_FAMILY,
            Self::AddressErrorCode(_) => AttributeType::ADDRESS_ERROR_CODE,
            Self::Icmp(_) => AttributeType::ICMP,
            Self::ChangeRequest { .. } => AttributeType::CHANGE_REQUEST,
            Self::ResponsePort(_) => AttributeType::RESPONSE_PORT,
            Self::Padding(_) => AttributeType::PADDING,
            Self::CacheTimeout(_) => AttributeType::CACHE_TIMEOUT,
            Self::ResponseOrigin(_) => AttributeType::RESPONSE_ORIGIN,
            Self::OtherAddress(_) => AttributeType::OTHER_ADDRESS,
            Self::ConnectionId(_) => AttributeType::CONNECTION_ID,
            Self::AccessToken(_) => AttributeType::ACCESS_TOKEN,
            Self::ThirdPartyAuthorization(_) => AttributeType::THIRD_PARTY_AUTHORIZATION,
            Self::MobilityTicket(_) => AttributeType::MOBILITY_TICKET,
            Self::Unknown { kind, .. } => *kind,
        }
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;

    use alloc::vec;
    use alloc::vec::Vec;

    use super::*;
    use crate::error::{ParseError, WriteError};
    use crate::message::tests::{TID, hex};
    use crate::message::{Class, Message, MessageBuilder, Method};

    /// Splits a hex attribute (type, length, value, zero padding) into its
    /// type and value.
    fn split(bytes: &[u8]) -> (AttributeType, &[u8]) {
        let kind = AttributeType(u16::from_be_bytes([bytes[0], bytes[1]]));
        let len = usize::from(u16::from_be_bytes([bytes[2], bytes[3]]));
        assert_eq!(bytes.len(), 4 + padded(len), "test vector padding");
        (kind, &bytes[4..4 + len])
    }

    /// Decodes the attribute, compares it with `expected`, writes it back
    /// (alone and inside a message) and compares the bytes.
    fn check(attribute_hex: &str, expected: &Attribute<'_>) {
        let bytes = hex(attribute_hex);
        let (kind, value) = split(&bytes);
        let decoded = Attribute::decode(kind, value, &TID).unwrap();
        assert_eq!(&decoded, expected);
        assert_eq!(decoded.kind(), kind);
        assert_eq!(decoded.value_len(), value.len());
        assert_eq!(decoded.encoded_len(), bytes.len());
        assert_eq!(expected.encoded_len(), bytes.len());
        expected.validate().unwrap();
        let mut out = vec![0u8; value.len()];
        expected.write_value(&mut out, &TID);
        assert_eq!(out, value, "{expected:?} writes back");

        match kind {
            // Computed by the builder, not added by value.
            AttributeType::MESSAGE_INTEGRITY
            | AttributeType::MESSAGE_INTEGRITY_SHA256
            | AttributeType::FINGERPRINT => {}
            _ => {
                let mut buf = vec![0u8; 64 + bytes.len()];
                let mut builder =
                    MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
                builder.add(expected).unwrap();
                let len = builder.finish();
                assert_eq!(&buf[20..len], &bytes[..]);
                let message = Message::parse(&buf[..len]).unwrap();
                assert_eq!(message.get(kind).as_ref(), Some(expected));
            }
        }
    }

    /// Decoding gives `reason` for the attribute.
    fn check_bad(attribute_hex: &str, reason: &'static str) {
        let bytes = hex(attribute_hex);
        let (kind, value) = split(&bytes);
        assert_eq!(
            Attribute::decode(kind, value, &TID),
            Err(ParseError::BadAttribute {
                kind: kind.0,
                reason
            }),
            "{attribute_hex}"
        );
    }

    fn addr(text: &str) -> SocketAddr {
        text.parse().unwrap()
    }

    #[test]
    fn mapped_address() {
        check(
            "0001 0008 0001 1f90 c0000201",
            &Attribute::MappedAddress(addr("192.0.2.1:8080")),
        );
        check(
            "0001 0014 0002 1f90 20010db8 00000000 00000000 00000001",
            &Attribute::MappedAddress(addr("[2001:db8::1]:8080")),
        );
        check_bad("0001 0008 0003 1f90 c0000201", "unknown address family");
        check_bad(
            "0001 0008 0002 1f90 c0000201",
            "IPv6 address must be 16 bytes",
        );
        check_bad(
            "0001 0014 0001 1f90 20010db8 00000000 00000000 00000001",
            "IPv4 address must be 4 bytes",
        );
        check_bad("0001 0003 0001 1f 00", "address too short");
        check_bad("0001 0000", "address too short");
    }

    #[test]
    fn xor_mapped_address() {
        // RFC 5769 §2.2 and §2.3.
        check(
            "0020 0008 0001 a147 e112a643",
            &Attribute::XorMappedAddress(addr("192.0.2.1:32853")),
        );
        check(
            "0020 0014 0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9",
            &Attribute::XorMappedAddress(addr("[2001:db8:1234:5678:11:2233:4455:6677]:32853")),
        );
        check_bad("0020 0008 0000 a147 e112a643", "unknown address family");
        check_bad("0020 0004 0001 a147", "IPv4 address must be 4 bytes");
    }

    #[test]
    fn other_address_attributes() {
        check(
            "8023 0008 0001 0d96 c0000202",
            &Attribute::AlternateServer(addr("192.0.2.2:3478")),
        );
        check(
            "802b 0008 0001 0d96 c0000203",
            &Attribute::ResponseOrigin(addr("192.0.2.3:3478")),
        );
        check(
            "802c 0014 0002 0d97 20010db8 00000000 00000000 00000002",
            &Attribute::OtherAddress(addr("[2001:db8::2]:3479")),
        );
        check(
            "0012 0008 0001 a147 e112a643",
            &Attribute::XorPeerAddress(addr("192.0.2.1:32853")),
        );
        check(
            "0016 0014 0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9",
            &Attribute::XorRelayedAddress(addr("[2001:db8:1234:5678:11:2233:4455:6677]:32853")),
        );
        check_bad("8023 0004 0001 0d96", "IPv4 address must be 4 bytes");
        check_bad("0012 0008 0009 a147 e112a643", "unknown address family");
        check_bad("0016 0002 0001 0000", "address too short");
    }

    #[test]
    fn username() {
        // RFC 5769 §2.1 (which pads with spaces; padding is not the value).
        check(
            "0006 0009 6576746a 3a683676 59000000",
            &Attribute::Username("evtj:h6vY"),
        );
        check("0006 0000", &Attribute::Username(""));
        check_bad("0006 0002 fffe 0000", "not UTF-8");
        let long = vec![b'a'; MAX_USERNAME_LEN + 1];
        assert_eq!(
            Attribute::decode(AttributeType::USERNAME, &long, &TID),
            Err(ParseError::BadAttribute {
                kind: 0x0006,
                reason: "text too long"
            })
        );
        let longest = vec![b'a'; MAX_USERNAME_LEN];
        let text = core::str::from_utf8(&longest).unwrap();
        assert_eq!(
            Attribute::decode(AttributeType::USERNAME, &longest, &TID),
            Ok(Attribute::Username(text))
        );
        let too_long = core::str::from_utf8(&long).unwrap();
        assert!(matches!(
            Attribute::Username(too_long).validate(),
            Err(WriteError::InvalidValue { kind: 0x0006, .. })
        ));
    }

    #[test]
    fn userhash() {
        let hash: [u8; 32] = core::array::from_fn(|i| i as u8);
        check(
            "001e 0020 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f",
            &Attribute::UserHash(&hash),
        );
        check_bad(
            "001e 001c 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b",
            "wrong length",
        );
    }

    #[test]
    fn message_integrity() {
        // RFC 5769 §2.1.
        let mac = [
            0x9a, 0xea, 0xa7, 0x0c, 0xbf, 0xd8, 0xcb, 0x56, 0x78, 0x1e, 0xf2, 0xb5, 0xb2, 0xd3,
            0xf2, 0x49, 0xc1, 0xb5, 0x71, 0xa2,
        ];
        check(
            "0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2",
            &Attribute::MessageIntegrity(&mac),
        );
        check_bad(
            "0008 0010 9aeaa70c bfd8cb56 781ef2b5 b2d3f249",
            "wrong length",
        );
        check_bad("0008 0000", "wrong length");
    }

    #[test]
    fn message_integrity_sha256_lengths() {
        let mac: [u8; 32] = core::array::from_fn(|i| 0xa0 + i as u8);
        let full = "a0a1a2a3 a4a5a6a7 a8a9aaab acadaeaf b0b1b2b3 b4b5b6b7 b8b9babb bcbdbebf";
        for len in [16usize, 20, 24, 28, 32] {
            let value: alloc::string::String = full
                .chars()
                .filter(|c| !c.is_whitespace())
                .take(2 * len)
                .collect();
            check(
                &alloc::format!("001c {len:04x} {value}"),
                &Attribute::MessageIntegritySha256(&mac[..len]),
            );
        }
        const REASON: &str = "length must be 16 to 32 and a multiple of 4";
        check_bad("001c 000c a0a1a2a3 a4a5a6a7 a8a9aaab", REASON);
        check_bad(
            "001c 0012 a0a1a2a3 a4a5a6a7 a8a9aaab acadaeaf b0b1 0000",
            REASON,
        );
        check_bad(
            "001c 0024 a0a1a2a3 a4a5a6a7 a8a9aaab acadaeaf b0b1b2b3 b4b5b6b7 b8b9babb bcbdbebf 00000000",
            REASON,
        );
        check_bad("001c 0000", REASON);
        for len in [0usize, 12, 18, 36] {
            let value = vec![0u8; len];
            assert!(matches!(
                Attribute::MessageIntegritySha256(&value).validate(),
                Err(WriteError::InvalidValue { kind: 0x001c, .. })
            ));
        }
    }

    #[test]
    fn fingerprint() {
        // RFC 5769 §2.1.
        check("8028 0004 e57a3bcf", &Attribute::Fingerprint(0xe57a_3bcf));
        check_bad("8028 0002 e57a 0000", "wrong length");
        check_bad("8028 0008 e57a3bcf 00000000", "wrong length");
    }

    #[test]
    fn error_code() {
        // 420 Unknown Attribute: class 4, number 20.
        check(
            "0009 0015 00000414 556e6b6e 6f776e20 41747472 69627574 65000000",
            &Attribute::ErrorCode(ErrorCode::new(420, "Unknown Attribute")),
        );
        check(
            "0009 0004 00000300",
            &Attribute::ErrorCode(ErrorCode::new(300, "")),
        );
        check(
            "0009 0005 00000663 78000000",
            &Attribute::ErrorCode(ErrorCode::new(699, "x")),
        );
        check_bad("0009 0004 00000263", "error class outside 3-6");
        check_bad("0009 0004 00000700", "error class outside 3-6");
        check_bad("0009 0004 00000464", "error number above 99");
        check_bad("0009 0003 000004 00", "error code too short");
        check_bad("0009 0005 00000400 ff000000", "not UTF-8");
        for code in [0, 299, 700, 1000] {
            assert!(matches!(
                Attribute::ErrorCode(ErrorCode::new(code, "")).validate(),
                Err(WriteError::InvalidValue { kind: 0x0009, .. })
            ));
        }
        let long = alloc::string::String::from_utf8(vec![b'r'; MAX_TEXT_LEN + 1]).unwrap();
        assert!(matches!(
            Attribute::ErrorCode(ErrorCode::new(400, &long)).validate(),
            Err(WriteError::InvalidValue { kind: 0x0009, .. })
        ));
        assert_eq!(
            ErrorCode::default_reason(ErrorCode::ROLE_CONFLICT),
            "Role Conflict"
        );
        assert_eq!(
            ErrorCode::default_reason(ErrorCode::STALE_NONCE),
            "Stale Nonce"
        );
        assert_eq!(ErrorCode::default_reason(599), "");
    }

    #[test]
    fn text_attributes() {
        check(
            "0014 000b 6578616d 706c652e 6f726700",
            &Attribute::Realm("example.org"),
        );
        // RFC 5769 §2.4.
        check(
            "0015 001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341",
            &Attribute::Nonce("f//499k954d6OL34oL9FSTvy64sA"),
        );
        check(
            "8022 0010 5354554e 20746573 7420636c 69656e74",
            &Attribute::Software("STUN test client"),
        );
        check(
            "802e 000e 61732e65 78616d70 6c652e6f 72670000",
            &Attribute::ThirdPartyAuthorization("as.example.org"),
        );
        check_bad("0014 0001 80000000", "not UTF-8");
        check_bad("0015 0003 e28200 00", "not UTF-8");
        check_bad("8022 0002 c328 0000", "not UTF-8");
        check_bad("802e 0001 ff000000", "not UTF-8");
        let long = vec![b'n'; MAX_TEXT_LEN + 1];
        for kind in [
            AttributeType::REALM,
            AttributeType::NONCE,
            AttributeType::SOFTWARE,
            AttributeType::THIRD_PARTY_AUTHORIZATION,
        ] {
            assert_eq!(
                Attribute::decode(kind, &long, &TID),
                Err(ParseError::BadAttribute {
                    kind: kind.0,
                    reason: "text too long"
                })
            );
            assert!(Attribute::decode(kind, &long[..MAX_TEXT_LEN], &TID).is_ok());
        }
        let text = core::str::from_utf8(&long).unwrap();
        assert!(Attribute::Nonce(text).validate().is_err());
        assert!(Attribute::Nonce(&text[..MAX_TEXT_LEN]).validate().is_ok());
    }

    #[test]
    fn alternate_domain() {
        check(
            "8003 0010 7475726e 2e657861 6d706c65 2e636f6d",
            &Attribute::AlternateDomain("turn.example.com"),
        );
        check_bad("8003 0002 c3a9 0000", "domain name is not ASCII");
        check_bad("8003 0001 ff000000", "not UTF-8");
        let long = vec![b'd'; MAX_DOMAIN_LEN + 1];
        assert_eq!(
            Attribute::decode(AttributeType::ALTERNATE_DOMAIN, &long, &TID),
            Err(ParseError::BadAttribute {
                kind: 0x8003,
                reason: "text too long"
            })
        );
        assert!(matches!(
            Attribute::AlternateDomain("\u{e9}.example").validate(),
            Err(WriteError::InvalidValue { kind: 0x8003, .. })
        ));
        let long = core::str::from_utf8(&long).unwrap();
        assert!(Attribute::AlternateDomain(long).validate().is_err());
    }

    #[test]
    fn password_algorithms() {
        let list = [
            PasswordAlgorithm {
                algorithm: PasswordAlgorithm::MD5,
                parameters: &[],
            },
            PasswordAlgorithm {
                algorithm: PasswordAlgorithm::SHA256,
                parameters: &[],
            },
        ];
        check(
            "8002 0008 00010000 00020000",
            &Attribute::PasswordAlgorithms(PasswordAlgorithms::from_list(&list)),
        );
        // An algorithm with 3 bytes of parameters, padded, then SHA-256.
        let with_parameters = [
            PasswordAlgorithm {
                algorithm: 0x0003,
                parameters: &[0xaa, 0xbb, 0xcc],
            },
            list[1],
        ];
        check(
            "8002 000c 00030003 aabbcc00 00020000",
            &Attribute::PasswordAlgorithms(PasswordAlgorithms::from_list(&with_parameters)),
        );
        let bytes = hex("00030003 aabbcc00 00020000");
        let Ok(Attribute::PasswordAlgorithms(decoded)) =
            Attribute::decode(AttributeType::PASSWORD_ALGORITHMS, &bytes, &TID)
        else {
            panic!("PASSWORD-ALGORITHMS decodes");
        };
        assert!(decoded.contains(PasswordAlgorithm::SHA256));
        assert!(!decoded.contains(PasswordAlgorithm::MD5));
        assert_eq!(decoded.iter().count(), 2);
        assert_eq!(
            alloc::format!("{decoded:?}"),
            alloc::format!("{with_parameters:?}")
        );
        check_bad("8002 0000", "empty list of password algorithms");
        check_bad("8002 0002 0001 0000", "truncated password algorithm");
        check_bad("8002 0004 00010004", "truncated password algorithm");
        check_bad(
            "8002 0006 00010001 aa 00 0000",
            "truncated password algorithm",
        );
    }

    #[test]
    fn password_algorithm() {
        check(
            "001d 0004 00020000",
            &Attribute::PasswordAlgorithm(PasswordAlgorithm {
                algorithm: PasswordAlgorithm::SHA256,
                parameters: &[],
            }),
        );
        check(
            "001d 0008 00070002 abcd0000",
            &Attribute::PasswordAlgorithm(PasswordAlgorithm {
                algorithm: 7,
                parameters: &[0xab, 0xcd],
            }),
        );
        check_bad(
            "001d 0008 00010000 00020000",
            "trailing bytes after the parameters",
        );
        check_bad("001d 0002 0001 0000", "truncated password algorithm");
        check_bad("001d 0004 00010001", "truncated password algorithm");
        let parameters = vec![0u8; 65_536];
        assert!(matches!(
            Attribute::PasswordAlgorithm(PasswordAlgorithm {
                algorithm: 1,
                parameters: &parameters
            })
            .validate(),
            Err(WriteError::InvalidValue { kind: 0x001d, .. })
        ));
    }

    #[test]
    fn unknown_attributes() {
        let list = [
            AttributeType(0x7ff0),
            AttributeType::MOBILITY_TICKET,
            AttributeType(0x0031),
        ];
        check(
            "000a 0006 7ff0 8030 0031 0000",
            &Attribute::UnknownAttributes(UnknownAttributes::from_list(&list)),
        );
        check(
            "000a 0000",
            &Attribute::UnknownAttributes(UnknownAttributes::from_list(&[])),
        );
        check_bad("000a 0003 7ff080 00", "odd length");
        assert_eq!(
            alloc::format!("{:?}", UnknownAttributes::from_list(&list)),
            "[AttributeType(0x7ff0), MOBILITY-TICKET, AttributeType(0x0031)]"
        );
    }

    #[test]
    fn ice_attributes() {
        // RFC 5769 §2.1.
        check("0024 0004 6e0001ff", &Attribute::Priority(0x6e00_01ff));
        check("0025 0000", &Attribute::UseCandidate);
        check(
            "8029 0008 932ff9b1 51263b36",
            &Attribute::IceControlled(0x932f_f9b1_5126_3b36),
        );
        check("802a 0008 00000000 00000001", &Attribute::IceControlling(1));
        check_bad("0024 0002 6e00 0000", "wrong length");
        check_bad("0024 0008 6e0001ff 00000000", "wrong length");
        check_bad("0025 0004 00000000", "must be empty");
        check_bad("8029 0004 932ff9b1", "wrong length");
        check_bad("802a 000c 00000000 00000001 00000000", "wrong length");
    }

    #[test]
    fn turn_attributes() {
        check("000c 0004 40010000", &Attribute::ChannelNumber(0x4001));
        check("000d 0004 00000258", &Attribute::Lifetime(600));
        check("0013 0005 68656c6c 6f000000", &Attribute::Data(b"hello"));
        check("0013 0000", &Attribute::Data(b""));
        check(
            "0017 0004 02000000",
            &Attribute::RequestedAddressFamily(AddressFamily::V6),
        );
        check(
            "0017 0004 01000000",
            &Attribute::RequestedAddressFamily(AddressFamily::V4),
        );
        check("0018 0001 80000000", &Attribute::EvenPort(true));
        check("0018 0001 00000000", &Attribute::EvenPort(false));
        check("0019 0004 11000000", &Attribute::RequestedTransport(17));
        check("001a 0000", &Attribute::DontFragment);
        check(
            "0022 0008 01020304 05060708",
            &Attribute::ReservationToken(0x0102_0304_0506_0708),
        );
        check(
            "8000 0004 02000000",
            &Attribute::AdditionalAddressFamily(AddressFamily::V6),
        );
        // 440 Address Family not Supported, for IPv6.
        check(
            "8001 0020 02000428 41646472 65737320 46616d69 6c79206e 6f742053 7570706f 72746564",
            &Attribute::AddressErrorCode(AddressErrorCode {
                family: AddressFamily::V6,
                code: 440,
                reason: "Address Family not Supported",
            }),
        );
        // Destination unreachable, fragmentation needed, next-hop MTU 1500.
        check(
            "8004 0008 00000304 000005dc",
            &Attribute::Icmp(Icmp {
                icmp_type: 3,
                icmp_code: 4,
                error_data: 1500,
            }),
        );
        check("002a 0004 deadbeef", &Attribute::ConnectionId(0xdead_beef));

        check_bad("000c 0002 4001 0000", "wrong length");
        check_bad("000d 0008 00000258 00000000", "wrong length");
        check_bad("0017 0004 03000000", "unknown address family");
        check_bad("0017 0001 01000000", "wrong length");
        check_bad("0018 0004 80000000", "wrong length");
        check_bad("0018 0000", "wrong length");
        check_bad("0019 0001 11000000", "wrong length");
        check_bad("001a 0004 00000000", "must be empty");
        check_bad("0022 0004 01020304", "wrong length");
        check_bad("8000 0004 00000000", "unknown address family");
        check_bad("8001 0004 03000428", "unknown address family");
        check_bad("8001 0004 01000228", "error class outside 3-6");
        check_bad("8001 0002 0100 0000", "error code too short");
        check_bad("8004 0004 00000304", "wrong length");
        check_bad("002a 0002 dead 0000", "wrong length");
        assert!(matches!(
            Attribute::AddressErrorCode(AddressErrorCode {
                family: AddressFamily::V4,
                code: 200,
                reason: "",
            })
            .validate(),
            Err(WriteError::InvalidValue { kind: 0x8001, .. })
        ));
        let data = vec![0u8; 65_536];
        assert!(matches!(
            Attribute::Data(&data).validate(),
            Err(WriteError::InvalidValue { kind: 0x0013, .. })
        ));
        assert!(Attribute::Data(&data[..65_535]).validate().is_ok());
    }

    #[test]
    fn nat_behaviour_discovery_attributes() {
        check(
            "0003 0004 00000006",
            &Attribute::ChangeRequest {
                change_ip: true,
                change_port: true,
            },
        );
        check(
            "0003 0004 00000004",
            &Attribute::ChangeRequest {
                change_ip: true,
                change_port: false,
            },
        );
        check(
            "0003 0004 00000002",
            &Attribute::ChangeRequest {
                change_ip: false,
                change_port: true,
            },
        );
        check(
            "0003 0004 00000000",
            &Attribute::ChangeRequest {
                change_ip: false,
                change_port: false,
            },
        );
        check("0027 0004 1f900000", &Attribute::ResponsePort(8080));
        check("0026 0008 00000000 00000000", &Attribute::Padding(&[0; 8]));
        check("0026 0003 010203 00", &Attribute::Padding(&[1, 2, 3]));
        check("8027 0004 0000003c", &Attribute::CacheTimeout(60));
        check_bad("0003 0001 06000000", "wrong length");
        check_bad("0027 0002 1f90 0000", "wrong length");
        check_bad("8027 0000", "wrong length");
    }

    #[test]
    fn opaque_attributes() {
        check(
            "001b 0006 00040102 03040000",
            &Attribute::AccessToken(&[0x00, 0x04, 0x01, 0x02, 0x03, 0x04]),
        );
        check(
            "8030 0004 cafebabe",
            &Attribute::MobilityTicket(&[0xca, 0xfe, 0xba, 0xbe]),
        );
        check("8030 0000", &Attribute::MobilityTicket(&[]));
    }

    #[test]
    fn unknown() {
        check(
            "7fff 0003 010203 00",
            &Attribute::Unknown {
                kind: AttributeType(0x7fff),
                value: &[1, 2, 3],
            },
        );
        check(
            "c001 0000",
            &Attribute::Unknown {
                kind: AttributeType(0xc001),
                value: &[],
            },
        );
        // The deprecated RFC 3489 attributes are not registered any more and
        // stay unknown (RESPONSE-ADDRESS, SOURCE-ADDRESS).
        check(
            "0002 0008 0001 0d96 c0000201",
            &Attribute::Unknown {
                kind: AttributeType(0x0002),
                value: &[0, 1, 0x0d, 0x96, 0xc0, 0, 2, 1],
            },
        );
        assert!(!AttributeType(0x0004).is_known());
    }

    #[test]
    fn attribute_types() {
        assert_eq!(
            AttributeType::XOR_MAPPED_ADDRESS.name(),
            Some("XOR-MAPPED-ADDRESS")
        );
        assert_eq!(AttributeType(0x0031).name(), None);
        assert_eq!(alloc::format!("{}", AttributeType::NONCE), "NONCE");
        assert_eq!(alloc::format!("{}", AttributeType(0xc0de)), "0xc0de");
        assert_eq!(
            alloc::format!("{:?}", AttributeType(0x0031)),
            "AttributeType(0x0031)"
        );
        assert_eq!(alloc::format!("{:?}", AttributeType::ICMP), "ICMP");
        assert!(AttributeType::USERNAME.is_comprehension_required());
        assert!(AttributeType(0x7fff).is_comprehension_required());
        assert!(!AttributeType(0x8000).is_comprehension_required());
        assert!(!AttributeType::FINGERPRINT.is_comprehension_required());
        assert!(AttributeType::MOBILITY_TICKET.is_known());
        assert_eq!(AddressFamily::from_u8(0x01), Some(AddressFamily::V4));
        assert_eq!(AddressFamily::from_u8(0x02), Some(AddressFamily::V6));
        assert_eq!(AddressFamily::from_u8(0x03), None);
        assert_eq!(AddressFamily::V6.to_u8(), 0x02);
        assert_eq!(AddressFamily::of(&addr("[::1]:1")), AddressFamily::V6);
        assert_eq!(AddressFamily::of(&addr("127.0.0.1:1")), AddressFamily::V4);
    }

    /// Fields the RFCs reserve are ignored on receipt (and written as zero
    /// when the attribute is built from its value).
    #[test]
    fn reserved_bits_are_ignored() {
        let cases: [(&str, Attribute<'_>); 8] = [
            (
                "0001 0008 ff01 1f90 c0000201",
                Attribute::MappedAddress(addr("192.0.2.1:8080")),
            ),
            ("000c 0004 4001ffff", Attribute::ChannelNumber(0x4001)),
            (
                "0017 0004 02ffffff",
                Attribute::RequestedAddressFamily(AddressFamily::V6),
            ),
            ("0018 0001 ff000000", Attribute::EvenPort(true)),
            ("0019 0004 11abcdef", Attribute::RequestedTransport(17)),
            (
                "0003 0004 fffffff9",
                Attribute::ChangeRequest {
                    change_ip: false,
                    change_port: false,
                },
            ),
            (
                "0009 0004 fffffc14",
                Attribute::ErrorCode(ErrorCode::new(420, "")),
            ),
            (
                "8004 0008 ffff0304 000005dc",
                Attribute::Icmp(Icmp {
                    icmp_type: 3,
                    icmp_code: 4,
                    error_data: 1500,
                }),
            ),
        ];
        for (text, expected) in cases {
            let bytes = hex(text);
            let (kind, value) = split(&bytes);
            assert_eq!(Attribute::decode(kind, value, &TID), Ok(expected), "{text}");
            let mut out = vec![0u8; value.len()];
            expected.write_value(&mut out, &TID);
            assert_ne!(out, value, "{text}");
        }
    }

    /// Every variant in one message: the message writes back byte for byte.
    #[test]
    fn every_variant_in_one_message() {
        let mut vectors: Vec<u8> = Vec::new();
        for text in [
            "0001 0008 0001 1f90 c0000201",
            "0020 0014 0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9",
            "0006 0009 6576746a 3a683676 59000000",
            "001e 0020 00010203 04050607 08090a0b 0c0d0e0f 10111213 14151617 18191a1b 1c1d1e1f",
            "0009 0015 00000414 556e6b6e 6f776e20 41747472 69627574 65000000",
            "0014 000b 6578616d 706c652e 6f726700",
            "0015 001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341",
            "8002 000c 00030003 aabbcc00 00020000",
            "001d 0004 00020000",
            "000a 0006 7ff0 8030 0031 0000",
            "8022 0010 5354554e 20746573 7420636c 69656e74",
            "8023 0008 0001 0d96 c0000202",
            "8003 0010 7475726e 2e657861 6d706c65 2e636f6d",
            "0024 0004 6e0001ff",
            "0025 0000",
            "8029 0008 932ff9b1 51263b36",
            "802a 0008 00000000 00000001",
            "000c 0004 40010000",
            "000d 0004 00000258",
            "0012 0008 0001 a147 e112a643",
            "0013 0005 68656c6c 6f000000",
            "0016 0014 0002 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9",
            "0017 0004 02000000",
            "0018 0001 80000000",
            "0019 0004 11000000",
            "001a 0000",
            "0022 0008 01020304 05060708",
            "8000 0004 02000000",
            "8001 0020 02000428 41646472 65737320 46616d69 6c79206e 6f742053 7570706f 72746564",
            "8004 0008 00000304 000005dc",
            "0003 0004 00000006",
            "0027 0004 1f900000",
            "0026 0003 010203 00",
            "8027 0004 0000003c",
            "802b 0008 0001 0d96 c0000203",
            "802c 0008 0001 0d97 c0000204",
            "002a 0004 deadbeef",
            "001b 0006 00040102 03040000",
            "802e 000e 61732e65 78616d70 6c652e6f 72670000",
            "8030 0004 cafebabe",
            "fff0 0003 010203 00",
            "0008 0014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2",
            "001c 0010 a0a1a2a3 a4a5a6a7 a8a9aaab acadaeaf",
            "8028 0004 e57a3bcf",
        ] {
            vectors.extend_from_slice(&hex(text));
        }
        let mut bytes = hex("0001 0000 2112a442 b7e7a701 bc34d686 fa87dfae");
        bytes[2..4].copy_from_slice(&(vectors.len() as u16).to_be_bytes());
        bytes.extend_from_slice(&vectors);
        let message = Message::parse(&bytes).unwrap();
        let kinds: Vec<AttributeType> = message.attributes().map(|a| a.kind()).collect();
        assert_eq!(kinds.len(), 44);
        // Only the last attribute is unknown: every typed variant decoded.
        assert_eq!(
            message
                .attributes()
                .filter(|a| matches!(a, Attribute::Unknown { .. }))
                .count(),
            1
        );
        let mut out = vec![0u8; bytes.len()];
        assert_eq!(message.write_to(&mut out), Ok(bytes.len()));
        assert_eq!(out, bytes);
    }
}
