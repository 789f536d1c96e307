//! Owned descriptions of STUN messages that write themselves through
//! [`MessageBuilder`], for fuzzing and property testing (features
//! `arbitrary` and `proptest`).
//!
//! [`Attribute`] and [`Message`](crate::Message) borrow their bytes, so they
//! cannot be generated on their own. [`AttributeSpec`] and [`MessageSpec`]
//! own everything; [`MessageSpec::to_bytes`] writes the message with the
//! crate's real builder (MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
//! FINGERPRINT computed over exactly the bytes RFC 8489 names), so what you
//! feed your code is what this crate writes.
//!
//! With the `arbitrary` feature both implement [`arbitrary::Arbitrary`]:
//! every generated spec is well formed (each value within the caps and
//! ranges the RFCs set, at most [`MAX_GENERATED_ATTRIBUTES`] attributes)
//! and [`MessageSpec::to_bytes`] never fails for it. With the `proptest`
//! feature, [`strategy`](crate::strategy) generates the same types.
//!
//! ```
//! # #[cfg(feature = "arbitrary")] {
//! use arbitrary::{Arbitrary, Unstructured};
//! use sansrtc_stun::Message;
//! use sansrtc_stun::arbitrary::MessageSpec;
//!
//! // In a `cargo fuzz` target, `data` is libFuzzer's input.
//! let data = [0x5a; 256];
//! let mut u = Unstructured::new(&data);
//! let spec = MessageSpec::arbitrary(&mut u)?.with_message_integrity(b"password");
//! let bytes = spec.to_bytes().expect("generated specs always write");
//!
//! // Your code under test gets a well-formed, signed message.
//! let message = Message::parse(&bytes).expect("parses");
//! message.verify_message_integrity(b"password").expect("signed with the key");
//! # }
//! # Ok::<(), arbitrary::Error>(())
//! ```

extern crate alloc;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::net::SocketAddr;

use crate::attribute::{
    AddressErrorCode, AddressFamily, AttributeType, ErrorCode, Icmp, PasswordAlgorithm,
    PasswordAlgorithms, UnknownAttributes,
};
use crate::error::WriteError;
use crate::message::{Class, HEADER_LEN, MessageBuilder, Method, TransactionId};
use crate::{Attribute, FINGERPRINT_LEN, MESSAGE_INTEGRITY_LEN};

/// Most ordinary attributes (besides MESSAGE-INTEGRITY,
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT) a generated [`MessageSpec`]
/// holds; far below [`MAX_ATTRIBUTES`](crate::MAX_ATTRIBUTES).
pub const MAX_GENERATED_ATTRIBUTES: usize = 16;

/// Longest opaque value (DATA, PADDING, tokens, unknown attributes) or
/// integrity key a generated spec holds, in bytes. Text values stay within
/// their own caps ([`MAX_TEXT_LEN`](crate::attribute::MAX_TEXT_LEN), ...),
/// so a generated message is always far below
/// [`MAX_MESSAGE_LEN`](crate::MAX_MESSAGE_LEN).
pub const MAX_GENERATED_VALUE_LEN: usize = 128;

/// One PASSWORD-ALGORITHM, owned.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-14.12>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PasswordAlgorithmSpec {
    /// The algorithm number ([`PasswordAlgorithm::MD5`],
    /// [`PasswordAlgorithm::SHA256`] or any other).
    pub algorithm: u16,
    /// The parameters (at most 65535 bytes).
    pub parameters: Vec<u8>,
}

impl PasswordAlgorithmSpec {
    fn borrow(&self) -> PasswordAlgorithm<'_> {
        PasswordAlgorithm {
            algorithm: self.algorithm,
            parameters: &self.parameters,
        }
    }
}

/// An owned attribute: one variant per [`Attribute`] variant that is
/// added by value (MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
/// FINGERPRINT are computed by the builder: see [`MessageSpec`]).
///
/// [`with_attribute`](Self::with_attribute) lends the borrowed
/// [`Attribute`] it describes.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum AttributeSpec {
    /// MAPPED-ADDRESS.
    MappedAddress(SocketAddr),
    /// XOR-MAPPED-ADDRESS.
    XorMappedAddress(SocketAddr),
    /// USERNAME.
    Username(String),
    /// USERHASH.
    UserHash([u8; 32]),
    /// ERROR-CODE: a code from 300 to 699 and a reason.
    ErrorCode(u16, String),
    /// REALM.
    Realm(String),
    /// NONCE.
    Nonce(String),
    /// PASSWORD-ALGORITHMS (at least one).
    PasswordAlgorithms(Vec<PasswordAlgorithmSpec>),
    /// PASSWORD-ALGORITHM.
    PasswordAlgorithm(PasswordAlgorithmSpec),
    /// UNKNOWN-ATTRIBUTES.
    UnknownAttributes(Vec<AttributeType>),
    /// SOFTWARE.
    Software(String),
    /// ALTERNATE-SERVER.
    AlternateServer(SocketAddr),
    /// ALTERNATE-DOMAIN (ASCII).
    AlternateDomain(String),
    /// PRIORITY.
    Priority(u32),
    /// USE-CANDIDATE.
    UseCandidate,
    /// ICE-CONTROLLED.
    IceControlled(u64),
    /// ICE-CONTROLLING.
    IceControlling(u64),
    /// CHANNEL-NUMBER.
    ChannelNumber(u16),
    /// LIFETIME.
    Lifetime(u32),
    /// XOR-PEER-ADDRESS.
    XorPeerAddress(SocketAddr),
    /// DATA.
    Data(Vec<u8>),
    /// XOR-RELAYED-ADDRESS.
    XorRelayedAddress(SocketAddr),
    /// REQUESTED-ADDRESS-FAMILY.
    RequestedAddressFamily(AddressFamily),
    /// EVEN-PORT.
    EvenPort(bool),
    /// REQUESTED-TRANSPORT.
    RequestedTransport(u8),
    /// DONT-FRAGMENT.
    DontFragment,
    /// RESERVATION-TOKEN.
    ReservationToken(u64),
    /// ADDITIONAL-ADDRESS-FAMILY.
    AdditionalAddressFamily(AddressFamily),
    /// ADDRESS-ERROR-CODE: family, code from 300 to 699, reason.
    AddressErrorCode(AddressFamily, u16, String),
    /// ICMP.
    Icmp(Icmp),
    /// CHANGE-REQUEST.
    ChangeRequest {
        /// Change IP.
        change_ip: bool,
        /// Change port.
        change_port: bool,
    },
    /// RESPONSE-PORT.
    ResponsePort(u16),
    /// PADDING.
    Padding(Vec<u8>),
    /// CACHE-TIMEOUT.
    CacheTimeout(u32),
    /// RESPONSE-ORIGIN.
    ResponseOrigin(SocketAddr),
    /// OTHER-ADDRESS.
    OtherAddress(SocketAddr),
    /// CONNECTION-ID.
    ConnectionId(u32),
    /// ACCESS-TOKEN.
    AccessToken(Vec<u8>),
    /// THIRD-PARTY-AUTHORIZATION.
    ThirdPartyAuthorization(String),
    /// MOBILITY-TICKET.
    MobilityTicket(Vec<u8>),
    /// An attribute of a type this crate does not decode (generated specs
    /// only use unregistered types, so that it parses back as
    /// [`Attribute::Unknown`]).
    Unknown(AttributeType, Vec<u8>),
}

impl AttributeSpec {
    /// The attribute type.
    pub fn kind(&self) -> AttributeType {
        self.with_attribute(|a| a.kind())
    }

    /// Calls `f` with the [`Attribute`] this spec describes (it borrows the
    /// spec, and for PASSWORD-ALGORITHMS a list made for the call).
    pub fn with_attribute<R>(&self, f: impl FnOnce(&Attribute<'_>) -> R) -> R {
        let attribute = match self {
            Self::MappedAddress(a) => Attribute::MappedAddress(*a),
            Self::XorMappedAddress(a) => Attribute::XorMappedAddress(*a),
            Self::Username(s) => Attribute::Username(s),
            Self::UserHash(h) => Attribute::UserHash(h),
            Self::ErrorCode(code, reason) => Attribute::ErrorCode(ErrorCode::new(*code, reason)),
            Self::Realm(s) => Attribute::Realm(s),
            Self::Nonce(s) => Attribute::Nonce(s),
            Self::PasswordAlgorithms(list) => {
                let list: Vec<PasswordAlgorithm<'_>> =
                    list.iter().map(PasswordAlgorithmSpec::borrow).collect();
                return f(&Attribute::PasswordAlgorithms(
                    PasswordAlgorithms::from_list(&list),
                ));
            }
            Self::PasswordAlgorithm(a) => Attribute::PasswordAlgorithm(a.borrow()),
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
            Self::ChangeRequest {
                change_ip,
                change_port,
            } => Attribute::ChangeRequest {
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
        };
        f(&attribute)
    }

    /// Length on the wire: header, value and padding.
    pub fn encoded_len(&self) -> usize {
        self.with_attribute(|a| a.encoded_len())
    }

    /// Appends the attribute to a message being built.
    pub fn add_to(&self, builder: &mut MessageBuilder<'_>) -> Result<(), WriteError> {
        self.with_attribute(|attribute| builder.add(attribute).map(|_| ()))
    }
}

/// MESSAGE-INTEGRITY-SHA256 to compute: the key and the length of the MAC.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-14.6>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Sha256Integrity {
    /// The key (short-term password or long-term key).
    pub key: Vec<u8>,
    /// The MAC length: 16 to 32 bytes, a multiple of 4.
    pub len: usize,
}

/// An owned STUN message: header, attributes, and which of
/// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT the builder
/// computes at the end (with which keys).
///
/// ```
/// use sansrtc_stun::arbitrary::{AttributeSpec, MessageSpec};
/// use sansrtc_stun::{Class, Message, Method, TransactionId};
///
/// let mut spec = MessageSpec::new(Class::Request, Method::BINDING, TransactionId::new([1; 12]))
///     .with_message_integrity(b"pass")
///     .with_fingerprint(true);
/// spec.attributes.push(AttributeSpec::Username("a:b".into()));
/// let bytes = spec.to_bytes()?;
/// assert_eq!(bytes.len(), spec.encoded_len());
/// let message = Message::parse(&bytes).unwrap();
/// message.verify_message_integrity(b"pass").unwrap();
/// message.verify_fingerprint().unwrap();
/// # Ok::<(), sansrtc_stun::WriteError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageSpec {
    /// The class.
    pub class: Class,
    /// The method.
    pub method: Method,
    /// The transaction id.
    pub transaction_id: TransactionId,
    /// The attributes, in order.
    pub attributes: Vec<AttributeSpec>,
    /// The byte attribute values are padded with.
    pub padding_byte: u8,
    /// MESSAGE-INTEGRITY with this key, after the attributes.
    pub message_integrity: Option<Vec<u8>>,
    /// MESSAGE-INTEGRITY-SHA256, after MESSAGE-INTEGRITY.
    pub message_integrity_sha256: Option<Sha256Integrity>,
    /// FINGERPRINT, last.
    pub fingerprint: bool,
}

impl MessageSpec {
    /// A message without attributes.
    pub fn new(class: Class, method: Method, transaction_id: TransactionId) -> Self {
        Self {
            class,
            method,
            transaction_id,
            attributes: Vec::new(),
            padding_byte: 0,
            message_integrity: None,
            message_integrity_sha256: None,
            fingerprint: false,
        }
    }

    /// Signs the message with MESSAGE-INTEGRITY computed with `key` (the
    /// short-term password, or a long-term key).
    #[must_use]
    pub fn with_message_integrity(mut self, key: &[u8]) -> Self {
        self.message_integrity = Some(key.to_vec());
        self
    }

    /// Signs the message with MESSAGE-INTEGRITY-SHA256 of `len` bytes (16
    /// to 32, a multiple of 4) computed with `key`.
    #[must_use]
    pub fn with_message_integrity_sha256(mut self, key: &[u8], len: usize) -> Self {
        self.message_integrity_sha256 = Some(Sha256Integrity {
            key: key.to_vec(),
            len,
        });
        self
    }

    /// Adds (or leaves out) FINGERPRINT.
    #[must_use]
    pub fn with_fingerprint(mut self, fingerprint: bool) -> Self {
        self.fingerprint = fingerprint;
        self
    }

    /// Length of the message [`to_bytes`](Self::to_bytes) writes.
    pub fn encoded_len(&self) -> usize {
        let attributes: usize = self.attributes.iter().map(AttributeSpec::encoded_len).sum();
        let integrity = self
            .message_integrity
            .as_ref()
            .map_or(0, |_| MESSAGE_INTEGRITY_LEN);
        let integrity_sha256 = self
            .message_integrity_sha256
            .as_ref()
            .map_or(0, |sha256| 4 + sha256.len);
        let fingerprint = if self.fingerprint { FINGERPRINT_LEN } else { 0 };
        HEADER_LEN + attributes + integrity + integrity_sha256 + fingerprint
    }

    /// Writes the message with [`MessageBuilder`] into `buf` and returns
    /// its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let mut builder = MessageBuilder::new(buf, self.class, self.method, self.transaction_id)?;
        builder.set_padding_byte(self.padding_byte);
        for attribute in &self.attributes {
            attribute.add_to(&mut builder)?;
        }
        if let Some(key) = &self.message_integrity {
            builder.add_message_integrity(key)?;
        }
        if let Some(sha256) = &self.message_integrity_sha256 {
            builder.add_message_integrity_sha256_truncated(&sha256.key, sha256.len)?;
        }
        if self.fingerprint {
            builder.add_fingerprint()?;
        }
        Ok(builder.finish())
    }

    /// The message as [`MessageBuilder`] writes it. Never fails for a
    /// generated spec; a spec you changed fails as the builder would (a
    /// value out of range, a message over
    /// [`MAX_MESSAGE_LEN`](crate::MAX_MESSAGE_LEN)).
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut buf = vec![0u8; self.encoded_len()];
        let len = self.write_to(&mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(feature = "arbitrary")]
mod generate {
    //! The [`Arbitrary`] implementations.

    use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{
        AttributeSpec, MAX_GENERATED_ATTRIBUTES, MAX_GENERATED_VALUE_LEN, MessageSpec,
        PasswordAlgorithmSpec, Sha256Integrity, String, Vec,
    };
    use crate::attribute::{
        AddressFamily, AttributeType, Icmp, MAX_DOMAIN_LEN, MAX_TEXT_LEN, MAX_USERNAME_LEN,
    };
    use crate::message::{Class, Method, TransactionId};

    /// Up to `max` bytes (fewer when the input runs out).
    pub(super) fn bytes(u: &mut Unstructured<'_>, max: usize) -> Result<Vec<u8>> {
        let len = u.int_in_range(0..=max)?.min(u.len());
        Ok(u.bytes(len)?.to_vec())
    }

    /// UTF-8 text of at most `max` bytes, cut at a character boundary.
    pub(super) fn text(u: &mut Unstructured<'_>, max: usize) -> Result<String> {
        let text: &str = u.arbitrary()?;
        let mut end = text.len().min(max);
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        Ok(String::from(text.get(..end).unwrap_or_default()))
    }

    /// An IPv4 or IPv6 address (IPv6 without flow label or scope, which the
    /// wire does not carry).
    pub(super) fn address(u: &mut Unstructured<'_>) -> Result<SocketAddr> {
        let port = u.arbitrary()?;
        let ip = if u.arbitrary()? {
            IpAddr::V6(Ipv6Addr::from(u.arbitrary::<u128>()?))
        } else {
            IpAddr::V4(Ipv4Addr::from(u.arbitrary::<u32>()?))
        };
        Ok(SocketAddr::new(ip, port))
    }

    fn family(u: &mut Unstructured<'_>) -> Result<AddressFamily> {
        Ok(if u.arbitrary()? {
            AddressFamily::V6
        } else {
            AddressFamily::V4
        })
    }

    fn domain(u: &mut Unstructured<'_>) -> Result<String> {
        const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789-.";
        let len = u.int_in_range(0..=MAX_DOMAIN_LEN.min(64))?;
        let mut name = String::with_capacity(len);
        for _ in 0..len {
            name.push(char::from(*u.choose(CHARS)?));
        }
        Ok(name)
    }

    fn unregistered_type(u: &mut Unstructured<'_>) -> Result<AttributeType> {
        let mut kind = AttributeType(u.arbitrary()?);
        while kind.is_known() {
            // Registered types are sparse: the next value is free within
            // a few steps.
            kind = AttributeType(kind.0.wrapping_add(1));
        }
        Ok(kind)
    }

    impl<'a> Arbitrary<'a> for PasswordAlgorithmSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let algorithm = match u.int_in_range(0u8..=3)? {
                0 => crate::attribute::PasswordAlgorithm::MD5,
                1 => crate::attribute::PasswordAlgorithm::SHA256,
                _ => u.arbitrary()?,
            };
            let parameters = if algorithm > 2 {
                bytes(u, 16)?
            } else {
                Vec::new()
            };
            Ok(Self {
                algorithm,
                parameters,
            })
        }
    }

    impl<'a> Arbitrary<'a> for AttributeSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            const TEXT: usize = 200;
            const VALUE: usize = MAX_GENERATED_VALUE_LEN;
            Ok(match u.int_in_range(0u8..=40)? {
                0 => Self::MappedAddress(address(u)?),
                1 => Self::XorMappedAddress(address(u)?),
                2 => Self::Username(text(u, MAX_USERNAME_LEN.min(TEXT))?),
                3 => Self::UserHash(u.arbitrary()?),
                4 => Self::ErrorCode(u.int_in_range(300..=699)?, text(u, 80)?),
                5 => Self::Realm(text(u, MAX_TEXT_LEN.min(TEXT))?),
                6 => Self::Nonce(text(u, MAX_TEXT_LEN.min(TEXT))?),
                7 => {
                    let count = u.int_in_range(1..=4)?;
                    let mut list = Vec::with_capacity(count);
                    for _ in 0..count {
                        list.push(u.arbitrary()?);
                    }
                    Self::PasswordAlgorithms(list)
                }
                8 => Self::PasswordAlgorithm(u.arbitrary()?),
                9 => {
                    let count = u.int_in_range(0..=4)?;
                    let mut list = Vec::with_capacity(count);
                    for _ in 0..count {
                        list.push(AttributeType(u.arbitrary()?));
                    }
                    Self::UnknownAttributes(list)
                }
                10 => Self::Software(text(u, MAX_TEXT_LEN.min(TEXT))?),
                11 => Self::AlternateServer(address(u)?),
                12 => Self::AlternateDomain(domain(u)?),
                13 => Self::Priority(u.arbitrary()?),
                14 => Self::UseCandidate,
                15 => Self::IceControlled(u.arbitrary()?),
                16 => Self::IceControlling(u.arbitrary()?),
                17 => Self::ChannelNumber(u.arbitrary()?),
                18 => Self::Lifetime(u.arbitrary()?),
                19 => Self::XorPeerAddress(address(u)?),
                20 => Self::Data(bytes(u, VALUE)?),
                21 => Self::XorRelayedAddress(address(u)?),
                22 => Self::RequestedAddressFamily(family(u)?),
                23 => Self::EvenPort(u.arbitrary()?),
                24 => Self::RequestedTransport(u.arbitrary()?),
                25 => Self::DontFragment,
                26 => Self::ReservationToken(u.arbitrary()?),
                27 => Self::AdditionalAddressFamily(family(u)?),
                28 => Self::AddressErrorCode(family(u)?, u.int_in_range(300..=699)?, text(u, 80)?),
                29 => Self::Icmp(Icmp {
                    icmp_type: u.arbitrary()?,
                    icmp_code: u.arbitrary()?,
                    error_data: u.arbitrary()?,
                }),
                30 => Self::ChangeRequest {
                    change_ip: u.arbitrary()?,
                    change_port: u.arbitrary()?,
                },
                31 => Self::ResponsePort(u.arbitrary()?),
                32 => Self::Padding(bytes(u, VALUE)?),
                33 => Self::CacheTimeout(u.arbitrary()?),
                34 => Self::ResponseOrigin(address(u)?),
                35 => Self::OtherAddress(address(u)?),
                36 => Self::ConnectionId(u.arbitrary()?),
                37 => Self::AccessToken(bytes(u, VALUE)?),
                38 => Self::ThirdPartyAuthorization(text(u, MAX_TEXT_LEN.min(TEXT))?),
                39 => Self::MobilityTicket(bytes(u, VALUE)?),
                _ => Self::Unknown(unregistered_type(u)?, bytes(u, VALUE)?),
            })
        }
    }

    impl<'a> Arbitrary<'a> for MessageSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let class = *u.choose(&[
                Class::Request,
                Class::Indication,
                Class::SuccessResponse,
                Class::ErrorResponse,
            ])?;
            let method = if u.ratio(3u8, 4u8)? {
                *u.choose(&[
                    Method::BINDING,
                    Method::ALLOCATE,
                    Method::REFRESH,
                    Method::SEND,
                    Method::DATA,
                    Method::CREATE_PERMISSION,
                    Method::CHANNEL_BIND,
                ])?
            } else {
                Method::new(u.int_in_range(0..=0xFFF)?).unwrap_or(Method::BINDING)
            };
            let transaction_id = TransactionId::new(u.arbitrary()?);
            let count = u.int_in_range(0..=MAX_GENERATED_ATTRIBUTES)?;
            let mut attributes = Vec::with_capacity(count);
            for _ in 0..count {
                attributes.push(u.arbitrary()?);
            }
            let padding_byte = if u.arbitrary()? { u.arbitrary()? } else { 0 };
            let message_integrity = if u.arbitrary()? {
                Some(bytes(u, 64)?)
            } else {
                None
            };
            let message_integrity_sha256 = if u.arbitrary()? {
                Some(Sha256Integrity {
                    key: bytes(u, 64)?,
                    len: *u.choose(&[32, 16, 20, 24, 28])?,
                })
            } else {
                None
            };
            Ok(Self {
                class,
                method,
                transaction_id,
                attributes,
                padding_byte,
                message_integrity,
                message_integrity_sha256,
                fingerprint: u.arbitrary()?,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Message;

    #[test]
    fn encoded_len_matches_what_is_written() {
        let mut spec =
            MessageSpec::new(Class::Indication, Method::SEND, TransactionId::new([3; 12]))
                .with_message_integrity(b"key")
                .with_message_integrity_sha256(b"key", 20)
                .with_fingerprint(true);
        spec.attributes = vec![
            AttributeSpec::Data(vec![1, 2, 3]),
            AttributeSpec::PasswordAlgorithms(vec![PasswordAlgorithmSpec {
                algorithm: 9,
                parameters: vec![7; 5],
            }]),
            AttributeSpec::Unknown(AttributeType(0x7fff), vec![]),
        ];
        let bytes = spec.to_bytes().unwrap();
        assert_eq!(bytes.len(), spec.encoded_len());
        let message = Message::parse(&bytes).unwrap();
        assert_eq!(message.data(), Some(&[1u8, 2, 3][..]));
        assert_eq!(
            message.password_algorithms().unwrap().iter().next(),
            Some(PasswordAlgorithm {
                algorithm: 9,
                parameters: &[7; 5]
            })
        );
        message.verify_message_integrity(b"key").unwrap();
        message.verify_message_integrity_sha256(b"key").unwrap();
        message.verify_fingerprint().unwrap();
        assert_eq!(
            spec.attributes[1].kind(),
            AttributeType::PASSWORD_ALGORITHMS
        );
    }

    #[test]
    fn a_changed_spec_fails_as_the_builder_would() {
        let mut spec =
            MessageSpec::new(Class::Request, Method::BINDING, TransactionId::new([0; 12]));
        spec.attributes
            .push(AttributeSpec::ErrorCode(200, String::new()));
        assert!(matches!(
            spec.to_bytes(),
            Err(WriteError::InvalidValue { kind: 0x0009, .. })
        ));
        let spec = MessageSpec::new(Class::Request, Method::BINDING, TransactionId::new([0; 12]))
            .with_message_integrity_sha256(b"k", 18);
        assert!(spec.to_bytes().is_err());
    }
}
