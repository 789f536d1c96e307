//! STUN attributes: the type registry and typed, borrowing values.
//!
//! Every attribute of RFC 8489, RFC 8445 (ICE), RFC 8656 (TURN) and RFC 5780
//! (NAT behaviour discovery) decodes into a variant of [`Attribute`]; RFC 7635
//! (third-party authorization), RFC 6062 (TURN over TCP) and RFC 8016
//! (mobility) attributes are parsed into their raw values; anything else
//! becomes [`Attribute::Unknown`] with its bytes kept.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-14>

use core::fmt;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use crate::error::{ParseError, WriteError};
use crate::message::{MAGIC_COOKIE, TransactionId};

/// A 16-bit STUN attribute type.
///
/// Types below `0x8000` are comprehension-required: an agent that does not
/// understand one must reject the message (RFC 8489 §14).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AttributeType(pub u16);

macro_rules! attribute_types {
    ($( $(#[$doc:meta])* $name:ident = $value:expr, $text:expr, $rule:expr; )*) => {
        impl AttributeType {
            $( $(#[$doc])* pub const $name: Self = Self($value); )*

            /// The name the RFCs give this type, or `None` for an unregistered one.
            pub const fn name(self) -> Option<&'static str> {
                match self.0 {
                    $( $value => Some($text), )*
                    _ => None,
                }
            }
        }

        impl AttributeType {
            /// This type's place in a parsed message's index (see
            /// [`INDEXED`](Self::INDEXED)) and the rule its values follow,
            /// or `None` for a type this crate does not know.
            #[inline(always)]
            pub(crate) const fn known(self) -> Option<Known> {
                match self.0 {
                    $( $value => Some(Known { index: indexed_slot(Self::$name), rule: $rule }), )*
                    _ => None,
                }
            }
        }
    };
}

// Each known type: its constant, its name, and the rule parsing checks its
// value by.
attribute_types! {
    /// MAPPED-ADDRESS <https://www.rfc-editor.org/rfc/rfc8489#section-14.1>
    MAPPED_ADDRESS = 0x0001, "MAPPED-ADDRESS", Rule::Address;
    /// CHANGE-REQUEST <https://www.rfc-editor.org/rfc/rfc5780#section-7.2>
    CHANGE_REQUEST = 0x0003, "CHANGE-REQUEST", Rule::Exact(4);
    /// USERNAME <https://www.rfc-editor.org/rfc/rfc8489#section-14.3>
    USERNAME = 0x0006, "USERNAME", Rule::Text(MAX_USERNAME_LEN as u16);
    /// MESSAGE-INTEGRITY <https://www.rfc-editor.org/rfc/rfc8489#section-14.5>
    MESSAGE_INTEGRITY = 0x0008, "MESSAGE-INTEGRITY", Rule::MessageIntegrity;
    /// ERROR-CODE <https://www.rfc-editor.org/rfc/rfc8489#section-14.8>
    ERROR_CODE = 0x0009, "ERROR-CODE", Rule::ErrorCode;
    /// UNKNOWN-ATTRIBUTES <https://www.rfc-editor.org/rfc/rfc8489#section-14.9>
    UNKNOWN_ATTRIBUTES = 0x000A, "UNKNOWN-ATTRIBUTES", Rule::UnknownAttributes;
    /// CHANNEL-NUMBER <https://www.rfc-editor.org/rfc/rfc8656#section-18.1>
    CHANNEL_NUMBER = 0x000C, "CHANNEL-NUMBER", Rule::Exact(4);
    /// LIFETIME <https://www.rfc-editor.org/rfc/rfc8656#section-18.2>
    LIFETIME = 0x000D, "LIFETIME", Rule::Exact(4);
    /// XOR-PEER-ADDRESS <https://www.rfc-editor.org/rfc/rfc8656#section-18.3>
    XOR_PEER_ADDRESS = 0x0012, "XOR-PEER-ADDRESS", Rule::Address;
    /// DATA <https://www.rfc-editor.org/rfc/rfc8656#section-18.4>
    DATA = 0x0013, "DATA", Rule::Any;
    /// REALM <https://www.rfc-editor.org/rfc/rfc8489#section-14.9>
    REALM = 0x0014, "REALM", Rule::Text(MAX_TEXT_LEN as u16);
    /// NONCE <https://www.rfc-editor.org/rfc/rfc8489#section-14.10>
    NONCE = 0x0015, "NONCE", Rule::Text(MAX_TEXT_LEN as u16);
    /// XOR-RELAYED-ADDRESS <https://www.rfc-editor.org/rfc/rfc8656#section-18.5>
    XOR_RELAYED_ADDRESS = 0x0016, "XOR-RELAYED-ADDRESS", Rule::Address;
    /// REQUESTED-ADDRESS-FAMILY <https://www.rfc-editor.org/rfc/rfc8656#section-18.6>
    REQUESTED_ADDRESS_FAMILY = 0x0017, "REQUESTED-ADDRESS-FAMILY", Rule::Family;
    /// EVEN-PORT <https://www.rfc-editor.org/rfc/rfc8656#section-18.7>
    EVEN_PORT = 0x0018, "EVEN-PORT", Rule::Exact(1);
    /// REQUESTED-TRANSPORT <https://www.rfc-editor.org/rfc/rfc8656#section-18.8>
    REQUESTED_TRANSPORT = 0x0019, "REQUESTED-TRANSPORT", Rule::Exact(4);
    /// DONT-FRAGMENT <https://www.rfc-editor.org/rfc/rfc8656#section-18.9>
    DONT_FRAGMENT = 0x001A, "DONT-FRAGMENT", Rule::Exact(0);
    /// ACCESS-TOKEN <https://www.rfc-editor.org/rfc/rfc7635#section-6.2>
    ACCESS_TOKEN = 0x001B, "ACCESS-TOKEN", Rule::Any;
    /// MESSAGE-INTEGRITY-SHA256 <https://www.rfc-editor.org/rfc/rfc8489#section-14.6>
    MESSAGE_INTEGRITY_SHA256 = 0x001C, "MESSAGE-INTEGRITY-SHA256", Rule::MessageIntegritySha256;
    /// PASSWORD-ALGORITHM <https://www.rfc-editor.org/rfc/rfc8489#section-14.12>
    PASSWORD_ALGORITHM = 0x001D, "PASSWORD-ALGORITHM", Rule::PasswordAlgorithm;
    /// USERHASH <https://www.rfc-editor.org/rfc/rfc8489#section-14.4>
    USERHASH = 0x001E, "USERHASH", Rule::Exact(32);
    /// XOR-MAPPED-ADDRESS <https://www.rfc-editor.org/rfc/rfc8489#section-14.2>
    XOR_MAPPED_ADDRESS = 0x0020, "XOR-MAPPED-ADDRESS", Rule::Address;
    /// RESERVATION-TOKEN <https://www.rfc-editor.org/rfc/rfc8656#section-18.10>
    RESERVATION_TOKEN = 0x0022, "RESERVATION-TOKEN", Rule::Exact(8);
    /// PRIORITY <https://www.rfc-editor.org/rfc/rfc8445#section-16.1>
    PRIORITY = 0x0024, "PRIORITY", Rule::Exact(4);
    /// USE-CANDIDATE <https://www.rfc-editor.org/rfc/rfc8445#section-16.1>
    USE_CANDIDATE = 0x0025, "USE-CANDIDATE", Rule::Exact(0);
    /// PADDING <https://www.rfc-editor.org/rfc/rfc5780#section-7.4>
    PADDING = 0x0026, "PADDING", Rule::Any;
    /// RESPONSE-PORT <https://www.rfc-editor.org/rfc/rfc5780#section-7.5>
    RESPONSE_PORT = 0x0027, "RESPONSE-PORT", Rule::Exact(4);
    /// CONNECTION-ID <https://www.rfc-editor.org/rfc/rfc6062#section-6.2.1>
    CONNECTION_ID = 0x002A, "CONNECTION-ID", Rule::Exact(4);
    /// ADDITIONAL-ADDRESS-FAMILY <https://www.rfc-editor.org/rfc/rfc8656#section-18.11>
    ADDITIONAL_ADDRESS_FAMILY = 0x8000, "ADDITIONAL-ADDRESS-FAMILY", Rule::Family;
    /// ADDRESS-ERROR-CODE <https://www.rfc-editor.org/rfc/rfc8656#section-18.12>
    ADDRESS_ERROR_CODE = 0x8001, "ADDRESS-ERROR-CODE", Rule::AddressErrorCode;
    /// PASSWORD-ALGORITHMS <https://www.rfc-editor.org/rfc/rfc8489#section-14.11>
    PASSWORD_ALGORITHMS = 0x8002, "PASSWORD-ALGORITHMS", Rule::PasswordAlgorithms;
    /// ALTERNATE-DOMAIN <https://www.rfc-editor.org/rfc/rfc8489#section-14.16>
    ALTERNATE_DOMAIN = 0x8003, "ALTERNATE-DOMAIN", Rule::Domain;
    /// ICMP <https://www.rfc-editor.org/rfc/rfc8656#section-18.13>
    ICMP = 0x8004, "ICMP", Rule::Exact(8);
    /// SOFTWARE <https://www.rfc-editor.org/rfc/rfc8489#section-14.14>
    SOFTWARE = 0x8022, "SOFTWARE", Rule::Text(MAX_TEXT_LEN as u16);
    /// ALTERNATE-SERVER <https://www.rfc-editor.org/rfc/rfc8489#section-14.15>
    ALTERNATE_SERVER = 0x8023, "ALTERNATE-SERVER", Rule::Address;
    /// CACHE-TIMEOUT <https://www.rfc-editor.org/rfc/rfc5780#section-7.6>
    CACHE_TIMEOUT = 0x8027, "CACHE-TIMEOUT", Rule::Exact(4);
    /// FINGERPRINT <https://www.rfc-editor.org/rfc/rfc8489#section-14.7>
    FINGERPRINT = 0x8028, "FINGERPRINT", Rule::Fingerprint;
    /// ICE-CONTROLLED <https://www.rfc-editor.org/rfc/rfc8445#section-16.1>
    ICE_CONTROLLED = 0x8029, "ICE-CONTROLLED", Rule::Exact(8);
    /// ICE-CONTROLLING <https://www.rfc-editor.org/rfc/rfc8445#section-16.1>
    ICE_CONTROLLING = 0x802A, "ICE-CONTROLLING", Rule::Exact(8);
    /// RESPONSE-ORIGIN <https://www.rfc-editor.org/rfc/rfc5780#section-7.3>
    RESPONSE_ORIGIN = 0x802B, "RESPONSE-ORIGIN", Rule::Address;
    /// OTHER-ADDRESS <https://www.rfc-editor.org/rfc/rfc5780#section-7.4>
    OTHER_ADDRESS = 0x802C, "OTHER-ADDRESS", Rule::Address;
    /// THIRD-PARTY-AUTHORIZATION <https://www.rfc-editor.org/rfc/rfc7635#section-6.1>
    THIRD_PARTY_AUTHORIZATION = 0x802E, "THIRD-PARTY-AUTHORIZATION", Rule::Text(MAX_TEXT_LEN as u16);
    /// MOBILITY-TICKET <https://www.rfc-editor.org/rfc/rfc8016#section-3.1>
    MOBILITY_TICKET = 0x8030, "MOBILITY-TICKET", Rule::Any;
}

impl AttributeType {
    /// Whether an agent that does not understand this type must reject the
    /// message (types `0x0000`–`0x7FFF`).
    pub const fn is_comprehension_required(self) -> bool {
        self.0 < 0x8000
    }

    /// Whether this crate decodes this type into a typed variant.
    pub const fn is_known(self) -> bool {
        self.name().is_some()
    }
}

/// The types a parsed [`Message`](crate::Message) keeps an index entry
/// for, numbered from zero in this order: those with a typed accessor,
/// USE-CANDIDATE, and the integrity attributes and FINGERPRINT. Lookups of
/// the other types walk the attributes. (The index is small so that a
/// `Message` stays within 128 bytes, which the compiler copies inline.)
macro_rules! indexed_types {
    ($( $name:ident, )*) => {
        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[derive(Clone, Copy)]
        enum IndexedType {
            $( $name, )*
        }

        impl AttributeType {
            /// How many types a parsed message keeps an index entry for.
            pub(crate) const INDEXED: usize = [$( IndexedType::$name ),*].len();
        }

        /// A type's place in the index, or [`NOT_INDEXED`].
        const fn indexed_slot(kind: AttributeType) -> u8 {
            match kind {
                $( AttributeType::$name => IndexedType::$name as u8, )*
                _ => NOT_INDEXED,
            }
        }
    };
}

/// [`Known::index`] of a type without an index entry.
pub(crate) const NOT_INDEXED: u8 = u8::MAX;

indexed_types! {
    MAPPED_ADDRESS,
    XOR_MAPPED_ADDRESS,
    USERHASH,
    ERROR_CODE,
    ALTERNATE_SERVER,
    ALTERNATE_DOMAIN,
    PASSWORD_ALGORITHMS,
    PASSWORD_ALGORITHM,
    UNKNOWN_ATTRIBUTES,
    PRIORITY,
    ICE_CONTROLLING,
    ICE_CONTROLLED,
    USE_CANDIDATE,
    CHANNEL_NUMBER,
    LIFETIME,
    XOR_PEER_ADDRESS,
    XOR_RELAYED_ADDRESS,
    DATA,
    RESERVATION_TOKEN,
    MESSAGE_INTEGRITY,
    MESSAGE_INTEGRITY_SHA256,
    FINGERPRINT,
}

impl AttributeType {
    /// This type's place in a parsed message's index (below
    /// [`INDEXED`](Self::INDEXED)), or `None` for a type without one.
    #[inline(always)]
    pub(crate) const fn indexed(self) -> Option<usize> {
        match indexed_slot(self) {
            NOT_INDEXED => None,
            slot => Some(slot as usize),
        }
    }
}

/// A known attribute type's place in a parsed message's index and the
/// rule its values follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Known {
    /// The type's place in the index, or [`NOT_INDEXED`].
    pub(crate) index: u8,
    /// What a value of the type must be.
    pub(crate) rule: Rule,
}

/// What [`Message::parse`](crate::Message::parse) checks of a known type's
/// value: a quick yes or no that agrees with [`Attribute::decode`] (a test
/// holds the two together), which says why when the answer is no.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Rule {
    /// Exactly this many bytes.
    Exact(u8),
    /// Any bytes.
    Any,
    /// An address: family 1 and 4 address bytes, or family 2 and 16.
    Address,
    /// Four bytes, the first an address family.
    Family,
    /// UTF-8 text of at most this many bytes.
    Text(u16),
    /// An ASCII domain name of at most [`MAX_DOMAIN_LEN`] bytes.
    Domain,
    /// An ERROR-CODE.
    ErrorCode,
    /// An ADDRESS-ERROR-CODE: an address family, then an ERROR-CODE.
    AddressErrorCode,
    /// A PASSWORD-ALGORITHMS list of at least one algorithm.
    PasswordAlgorithms,
    /// One PASSWORD-ALGORITHM.
    PasswordAlgorithm,
    /// An UNKNOWN-ATTRIBUTES list: an even number of bytes.
    UnknownAttributes,
    /// MESSAGE-INTEGRITY: 20 bytes.
    MessageIntegrity,
    /// MESSAGE-INTEGRITY-SHA256: 16 to 32 bytes, a multiple of four.
    MessageIntegritySha256,
    /// FINGERPRINT: 4 bytes.
    Fingerprint,
}

impl Rule {
    /// Whether `value` follows the rule.
    #[inline(always)]
    pub(crate) fn accepts(self, value: &[u8]) -> bool {
        match self {
            Self::Exact(len) => value.len() == usize::from(len),
            Self::Any => true,
            Self::Address => matches!((value.get(1), value.len()), (Some(1), 8) | (Some(2), 20)),
            Self::Family => matches!(value, [1 | 2, _, _, _]),
            Self::Text(max) => text_value(value, usize::from(max)).is_some(),
            // ASCII is UTF-8.
            Self::Domain => value.len() <= MAX_DOMAIN_LEN && value.is_ascii(),
            Self::ErrorCode => error_code_accepts(value),
            Self::AddressErrorCode => {
                matches!(value.first(), Some(1 | 2)) && error_code_accepts(value)
            }
            Self::PasswordAlgorithms => PasswordAlgorithms::decode(0, value).is_ok(),
            Self::PasswordAlgorithm => {
                matches!(split_algorithm(value), Some((_, rest)) if rest.is_empty())
            }
            Self::UnknownAttributes => value.len() % 2 == 0,
            Self::MessageIntegrity => value.len() == 20,
            Self::MessageIntegritySha256 => {
                (16..=32).contains(&value.len()) && value.len() % 4 == 0
            }
            Self::Fingerprint => value.len() == 4,
        }
    }
}

/// A value as UTF-8 text of at most `max` bytes.
#[inline(always)]
pub(crate) fn text_value(value: &[u8], max: usize) -> Option<&str> {
    if value.len() > max {
        return None;
    }
    core::str::from_utf8(value).ok()
}

/// Whether an ERROR-CODE value (or the same layout in ADDRESS-ERROR-CODE)
/// decodes: class 3 to 6, number up to 99, a UTF-8 reason.
fn error_code_accepts(value: &[u8]) -> bool {
    match value {
        [_, _, class, number, reason @ ..] => {
            (3..=6).contains(&(class & 0x07))
                && *number <= 99
                && text_value(reason, MAX_TEXT_LEN).is_some()
        }
        _ => false,
    }
}

impl fmt::Debug for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "AttributeType({:#06x})", self.0),
        }
    }
}

impl fmt::Display for AttributeType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "{:#06x}", self.0),
        }
    }
}

/// Longest USERNAME value, in bytes (RFC 8489 §14.3: "MUST contain a UTF-8
/// encoded sequence of fewer than 509 bytes"; 513 bytes are accepted on
/// receipt as RFC 5389 allowed).
pub const MAX_USERNAME_LEN: usize = 513;

/// Longest REALM, NONCE, SOFTWARE or error reason, in bytes (RFC 8489: fewer
/// than 128 characters, "as long as 763 bytes when decoding them").
pub const MAX_TEXT_LEN: usize = 763;

/// Longest ALTERNATE-DOMAIN, in bytes (a DNS name is at most 255 bytes).
pub const MAX_DOMAIN_LEN: usize = 255;

/// An IP address family as TURN encodes it (0x01 IPv4, 0x02 IPv6).
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-18.6>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddressFamily {
    /// IPv4 (0x01).
    V4,
    /// IPv6 (0x02).
    V6,
}

impl AddressFamily {
    /// The wire value.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::V4 => 0x01,
            Self::V6 => 0x02,
        }
    }

    /// Decodes the wire value.
    pub const fn from_u8(value: u8) -> Option<Self> {
        match value {
            0x01 => Some(Self::V4),
            0x02 => Some(Self::V6),
            _ => None,
        }
    }

    /// The family of an address.
    pub const fn of(address: &SocketAddr) -> Self {
        match address {
            SocketAddr::V4(_) => Self::V4,
            SocketAddr::V6(_) => Self::V6,
        }
    }
}

/// An ERROR-CODE: a code from 300 to 699 and a reason phrase.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-14.8>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ErrorCode<'a> {
    /// The code: class × 100 + number, 300 to 699.
    pub code: u16,
    /// The UTF-8 reason phrase.
    pub reason: &'a str,
}

impl<'a> ErrorCode<'a> {
    /// 300 Try Alternate.
    pub const TRY_ALTERNATE: u16 = 300;
    /// 400 Bad Request.
    pub const BAD_REQUEST: u16 = 400;
    /// 401 Unauthenticated.
    pub const UNAUTHENTICATED: u16 = 401;
    /// 403 Forbidden (TURN).
    pub const FORBIDDEN: u16 = 403;
    /// 405 Mobility Forbidden (RFC 8016).
    pub const MOBILITY_FORBIDDEN: u16 = 405;
    /// 420 Unknown Attribute.
    pub const UNKNOWN_ATTRIBUTE: u16 = 420;
    /// 437 Allocation Mismatch (TURN).
    pub const ALLOCATION_MISMATCH: u16 = 437;
    /// 438 Stale Nonce.
    pub const STALE_NONCE: u16 = 438;
    /// 440 Address Family not Supported (TURN).
    pub const ADDRESS_FAMILY_NOT_SUPPORTED: u16 = 440;
    /// 441 Wrong Credentials (TURN).
    pub const WRONG_CREDENTIALS: u16 = 441;
    /// 442 Unsupported Transport Protocol (TURN).
    pub const UNSUPPORTED_TRANSPORT_PROTOCOL: u16 = 442;
    /// 443 Peer Address Family Mismatch (TURN).
    pub const PEER_ADDRESS_FAMILY_MISMATCH: u16 = 443;
    /// 446 Connection Already Exists (RFC 6062).
    pub const CONNECTION_ALREADY_EXISTS: u16 = 446;
    /// 447 Connection Timeout or Failure (RFC 6062).
    pub const CONNECTION_TIMEOUT_OR_FAILURE: u16 = 447;
    /// 486 Allocation Quota Reached (TURN).
    pub const ALLOCATION_QUOTA_REACHED: u16 = 486;
    /// 487 Role Conflict (ICE).
    pub const ROLE_CONFLICT: u16 = 487;
    /// 500 Server Error.
    pub const SERVER_ERROR: u16 = 500;
    /// 508 Insufficient Capacity (TURN).
    pub const INSUFFICIENT_CAPACITY: u16 = 508;

    /// An error code with the given reason.
    pub const fn new(code: u16, reason: &'a str) -> Self {
        Self { code, reason }
    }

    /// The reason phrase RFC 8489 (or RFC 8656, RFC 8445) suggests for a code.
    pub const fn default_reason(code: u16) -> &'static str {
        match code {
            300 => "Try Alternate",
            400 => "Bad Request",
            401 => "Unauthenticated",
            403 => "Forbidden",
            405 => "Mobility Forbidden",
            420 => "Unknown Attribute",
            437 => "Allocation Mismatch",
            438 => "Stale Nonce",
            440 => "Address Family not Supported",
            441 => "Wrong Credentials",
            442 => "Unsupported Transport Protocol",
            443 => "Peer Address Family Mismatch",
            446 => "Connection Already Exists",
            447 => "Connection Timeout or Failure",
            486 => "Allocation Quota Reached",
            487 => "Role Conflict",
            500 => "Server Error",
            508 => "Insufficient Capacity",
            _ => "",
        }
    }
}

/// An ADDRESS-ERROR-CODE: which address family an allocation failed for.
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-18.12>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AddressErrorCode<'a> {
    /// The family the error applies to.
    pub family: AddressFamily,
    /// The code, 300 to 699.
    pub code: u16,
    /// The UTF-8 reason phrase.
    pub reason: &'a str,
}

/// An ICMP attribute: the ICMP error a TURN server received for relayed data.
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-18.13>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Icmp {
    /// ICMP (or ICMPv6) type.
    pub icmp_type: u8,
    /// ICMP (or ICMPv6) code.
    pub icmp_code: u8,
    /// Error data: the next-hop MTU for "fragmentation needed" / "packet too
    /// big", otherwise zero.
    pub error_data: u32,
}

/// A PASSWORD-ALGORITHM value: an algorithm number and its parameters.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-14.12>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PasswordAlgorithm<'a> {
    /// The algorithm number (see [`PasswordAlgorithm::MD5`],
    /// [`PasswordAlgorithm::SHA256`]).
    pub algorithm: u16,
    /// Algorithm parameters (empty for MD5 and SHA-256).
    pub parameters: &'a [u8],
}

impl PasswordAlgorithm<'_> {
    /// Algorithm number of MD5.
    pub const MD5: u16 = 0x0001;
    /// Algorithm number of SHA-256.
    pub const SHA256: u16 = 0x0002;

    fn encoded_len(&self) -> usize {
        4 + padded(self.parameters.len())
    }
}

/// The list in a PASSWORD-ALGORITHMS attribute, either as received (a view
/// over the wire bytes) or as given by the caller to be written.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-14.11>
#[derive(Clone, Copy)]
pub struct PasswordAlgorithms<'a>(AlgorithmsRepr<'a>);

#[derive(Clone, Copy)]
enum AlgorithmsRepr<'a> {
    Wire(&'a [u8]),
    List(&'a [PasswordAlgorithm<'a>]),
}

impl<'a> PasswordAlgorithms<'a> {
    /// A list to write.
    pub const fn from_list(list: &'a [PasswordAlgorithm<'a>]) -> Self {
        Self(AlgorithmsRepr::List(list))
    }

    /// The algorithms, in order.
    pub fn iter(&self) -> PasswordAlgorithmsIter<'a> {
        match self.0 {
            AlgorithmsRepr::Wire(bytes) => PasswordAlgorithmsIter::Wire(bytes),
            AlgorithmsRepr::List(list) => PasswordAlgorithmsIter::List(list.iter()),
        }
    }

    /// Whether the list offers the given algorithm number.
    pub fn contains(&self, algorithm: u16) -> bool {
        self.iter().any(|a| a.algorithm == algorithm)
    }

    fn decode(kind: u16, bytes: &'a [u8]) -> Result<Self, ParseError> {
        let mut rest = bytes;
        let mut count = 0usize;
        while !rest.is_empty() {
            let (_, tail) = split_algorithm(rest).ok_or(ParseError::BadAttribute {
                kind,
                reason: "truncated password algorithm",
            })?;
            rest = tail;
            count += 1;
        }
        if count == 0 {
            return Err(ParseError::BadAttribute {
                kind,
                reason: "empty list of password algorithms",
            });
        }
        Ok(Self(AlgorithmsRepr::Wire(bytes)))
    }

    fn encoded_len(&self) -> usize {
        match self.0 {
            AlgorithmsRepr::Wire(bytes) => bytes.len(),
            AlgorithmsRepr::List(list) => list.iter().map(PasswordAlgorithm::encoded_len).sum(),
        }
    }
}

/// Splits one PASSWORD-ALGORITHM (with its padding) off the front of `bytes`.
fn split_algorithm(bytes: &[u8]) -> Option<(PasswordAlgorithm<'_>, &[u8])> {
    let (head, rest) = bytes.split_first_chunk::<4>()?;
    let [a0, a1, l0, l1] = *head;
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    let (parameters, _) = rest.split_at_checked(len)?;
    let (_, tail) = rest.split_at_checked(padded(len))?;
    Some((
        PasswordAlgorithm {
            algorithm: u16::from_be_bytes([a0, a1]),
            parameters,
        },
        tail,
    ))
}

/// Iterator over a [`PasswordAlgorithms`] list.
#[derive(Debug, Clone)]
pub enum PasswordAlgorithmsIter<'a> {
    /// Over wire bytes.
    #[doc(hidden)]
    Wire(&'a [u8]),
    /// Over a caller's list.
    #[doc(hidden)]
    List(core::slice::Iter<'a, PasswordAlgorithm<'a>>),
}

impl<'a> Iterator for PasswordAlgorithmsIter<'a> {
    type Item = PasswordAlgorithm<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Wire(bytes) => {
                let (algorithm, rest) = split_algorithm(bytes)?;
                *bytes = rest;
                Some(algorithm)
            }
            Self::List(iter) => iter.next().copied(),
        }
    }
}

impl PartialEq for PasswordAlgorithms<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for PasswordAlgorithms<'_> {}

impl fmt::Debug for PasswordAlgorithms<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// The list of attribute types in an UNKNOWN-ATTRIBUTES attribute, either as
/// received or as given by the caller to be written.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-14.13>
#[derive(Clone, Copy)]
pub struct UnknownAttributes<'a>(UnknownRepr<'a>);

#[derive(Clone, Copy)]
enum UnknownRepr<'a> {
    Wire(&'a [u8]),
    List(&'a [AttributeType]),
}

impl<'a> UnknownAttributes<'a> {
    /// A list to write.
    pub const fn from_list(list: &'a [AttributeType]) -> Self {
        Self(UnknownRepr::List(list))
    }

    /// The attribute types, in order.
    pub fn iter(&self) -> UnknownAttributesIter<'a> {
        match self.0 {
            UnknownRepr::Wire(bytes) => UnknownAttributesIter::Wire(bytes),
            UnknownRepr::List(list) => UnknownAttributesIter::List(list.iter()),
        }
    }

    fn encoded_len(&self) -> usize {
        match self.0 {
            UnknownRepr::Wire(bytes) => bytes.len(),
            UnknownRepr::List(list) => list.len() * 2,
        }
    }
}

/// Iterator over an [`UnknownAttributes`] list.
#[derive(Debug, Clone)]
pub enum UnknownAttributesIter<'a> {
    /// Over wire bytes.
    #[doc(hidden)]
    Wire(&'a [u8]),
    /// Over a caller's list.
    #[doc(hidden)]
    List(core::slice::Iter<'a, AttributeType>),
}

impl Iterator for UnknownAttributesIter<'_> {
    type Item = AttributeType;

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            Self::Wire(bytes) => {
                let (pair, rest) = bytes.split_first_chunk::<2>()?;
                *bytes = rest;
                Some(AttributeType(u16::from_be_bytes(*pair)))
            }
            Self::List(iter) => iter.next().copied(),
        }
    }
}

impl PartialEq for UnknownAttributes<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for UnknownAttributes<'_> {}

impl fmt::Debug for UnknownAttributes<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

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

fn bad(kind: u16, reason: &'static str) -> ParseError {
    ParseError::BadAttribute { kind, reason }
}

fn exact<const N: usize>(kind: u16, value: &[u8]) -> Result<&[u8; N], ParseError> {
    value.try_into().map_err(|_| bad(kind, "wrong length"))
}

fn text(kind: u16, value: &[u8], max: usize) -> Result<&str, ParseError> {
    if value.len() > max {
        return Err(bad(kind, "text too long"));
    }
    core::str::from_utf8(value).map_err(|_| bad(kind, "not UTF-8"))
}

#[inline]
fn decode_address(
    kind: u16,
    value: &[u8],
    xor: Option<&TransactionId>,
) -> Result<SocketAddr, ParseError> {
    let (head, address) = value
        .split_first_chunk::<4>()
        .ok_or(bad(kind, "address too short"))?;
    let [_, family, p0, p1] = *head;
    let mut port = u16::from_be_bytes([p0, p1]);
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let ip = match family {
        0x01 => {
            let octets: [u8; 4] = address
                .try_into()
                .map_err(|_| bad(kind, "IPv4 address must be 4 bytes"))?;
            let mut bits = u32::from_be_bytes(octets);
            if xor.is_some() {
                bits ^= MAGIC_COOKIE;
            }
            IpAddr::V4(Ipv4Addr::from(bits))
        }
        0x02 => {
            let octets: [u8; 16] = address
                .try_into()
                .map_err(|_| bad(kind, "IPv6 address must be 16 bytes"))?;
            let mut bits = u128::from_be_bytes(octets);
            if let Some(transaction_id) = xor {
                bits ^= xor_mask_v6(transaction_id);
            }
            IpAddr::V6(Ipv6Addr::from(bits))
        }
        _ => return Err(bad(kind, "unknown address family")),
    };
    Ok(SocketAddr::new(ip, port))
}

fn xor_mask_v6(transaction_id: &TransactionId) -> u128 {
    let mut mask = [0u8; 16];
    let (cookie, id) = mask.split_at_mut(4);
    cookie.copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    id.copy_from_slice(transaction_id.as_bytes());
    u128::from_be_bytes(mask)
}

const fn address_len(address: &SocketAddr) -> usize {
    match address {
        SocketAddr::V4(_) => 8,
        SocketAddr::V6(_) => 20,
    }
}

fn encode_address(address: &SocketAddr, xor: Option<&TransactionId>, out: &mut [u8]) {
    let mut port = address.port();
    if xor.is_some() {
        port ^= (MAGIC_COOKIE >> 16) as u16;
    }
    let [p0, p1] = port.to_be_bytes();
    let (out_head, out_address) = out.split_at_mut(4.min(out.len()));
    copy_prefix(out_head, &[0, AddressFamily::of(address).to_u8(), p0, p1]);
    match address.ip() {
        IpAddr::V4(ip) => {
            let mut bits = u32::from(ip);
            if xor.is_some() {
                bits ^= MAGIC_COOKIE;
            }
            copy_prefix(out_address, &bits.to_be_bytes());
        }
        IpAddr::V6(ip) => {
            let mut bits = u128::from(ip);
            if let Some(transaction_id) = xor {
                bits ^= xor_mask_v6(transaction_id);
            }
            copy_prefix(out_address, &bits.to_be_bytes());
        }
    }
}

/// Copies as much of `src` as fits into the front of `dst`.
fn copy_prefix(dst: &mut [u8], src: &[u8]) {
    let n = dst.len().min(src.len());
    if let (Some(d), Some(s)) = (dst.get_mut(..n), src.get(..n)) {
        d.copy_from_slice(s);
    }
}

fn decode_error_code(kind: u16, value: &[u8]) -> Result<(u16, &str), ParseError> {
    let (head, reason) = value
        .split_first_chunk::<4>()
        .ok_or(bad(kind, "error code too short"))?;
    let [_, _, class, number] = *head;
    let class = u16::from(class & 0x07);
    let number = u16::from(number);
    if !(3..=6).contains(&class) {
        return Err(bad(kind, "error class outside 3-6"));
    }
    if number > 99 {
        return Err(bad(kind, "error number above 99"));
    }
    Ok((class * 100 + number, text(kind, reason, MAX_TEXT_LEN)?))
}

fn check_error_code(kind: u16, code: u16, reason: &str) -> Result<(), WriteError> {
    if !(300..=699).contains(&code) {
        return Err(WriteError::InvalidValue {
            kind,
            reason: "error code outside 300-699",
        });
    }
    check_text(kind, reason, MAX_TEXT_LEN)
}

fn check_text(kind: u16, value: &str, max: usize) -> Result<(), WriteError> {
    if value.len() > max {
        return Err(WriteError::InvalidValue {
            kind,
            reason: "text too long",
        });
    }
    Ok(())
}

fn u32_of(kind: u16, value: &[u8]) -> Result<u32, ParseError> {
    Ok(u32::from_be_bytes(*exact::<4>(kind, value)?))
}

fn u64_of(kind: u16, value: &[u8]) -> Result<u64, ParseError> {
    Ok(u64::from_be_bytes(*exact::<8>(kind, value)?))
}

fn family_of(kind: u16, value: &[u8]) -> Result<AddressFamily, ParseError> {
    let [family, _, _, _] = *exact::<4>(kind, value)?;
    AddressFamily::from_u8(family).ok_or(bad(kind, "unknown address family"))
}

fn empty(kind: u16, value: &[u8]) -> Result<(), ParseError> {
    if value.is_empty() {
        Ok(())
    } else {
        Err(bad(kind, "must be empty"))
    }
}

impl<'a> Attribute<'a> {
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

    /// Decodes an attribute value. `transaction_id` un-XORs the XOR address
    /// attributes.
    pub fn decode(
        kind: AttributeType,
        value: &'a [u8],
        transaction_id: &TransactionId,
    ) -> Result<Self, ParseError> {
        Self::decode_inline(kind, value, transaction_id)
    }

    /// [`decode`](Self::decode), inlined where it is called: with a
    /// constant `kind` (the message's typed accessors) only one arm is
    /// left.
    #[inline(always)]
    pub(crate) fn decode_inline(
        kind: AttributeType,
        value: &'a [u8],
        transaction_id: &TransactionId,
    ) -> Result<Self, ParseError> {
        let k = kind.0;
        Ok(match kind {
            AttributeType::MAPPED_ADDRESS => Self::MappedAddress(decode_address(k, value, None)?),
            AttributeType::XOR_MAPPED_ADDRESS => {
                Self::XorMappedAddress(decode_address(k, value, Some(transaction_id))?)
            }
            AttributeType::USERNAME => Self::Username(text(k, value, MAX_USERNAME_LEN)?),
            AttributeType::USERHASH => Self::UserHash(exact::<32>(k, value)?),
            AttributeType::MESSAGE_INTEGRITY => Self::MessageIntegrity(exact::<20>(k, value)?),
            AttributeType::MESSAGE_INTEGRITY_SHA256 => {
                if !(16..=32).contains(&value.len()) || value.len() % 4 != 0 {
                    return Err(bad(k, "length must be 16 to 32 and a multiple of 4"));
                }
                Self::MessageIntegritySha256(value)
            }
            AttributeType::FINGERPRINT => Self::Fingerprint(u32_of(k, value)?),
            AttributeType::ERROR_CODE => {
                let (code, reason) = decode_error_code(k, value)?;
                Self::ErrorCode(ErrorCode { code, reason })
            }
            AttributeType::REALM => Self::Realm(text(k, value, MAX_TEXT_LEN)?),
            AttributeType::NONCE => Self::Nonce(text(k, value, MAX_TEXT_LEN)?),
            AttributeType::PASSWORD_ALGORITHMS => {
                Self::PasswordAlgorithms(PasswordAlgorithms::decode(k, value)?)
            }
            AttributeType::PASSWORD_ALGORITHM => {
                let (algorithm, rest) =
                    split_algorithm(value).ok_or(bad(k, "truncated password algorithm"))?;
                if !rest.is_empty() {
                    return Err(bad(k, "trailing bytes after the parameters"));
                }
                Self::PasswordAlgorithm(algorithm)
            }
            AttributeType::UNKNOWN_ATTRIBUTES => {
                if value.len() % 2 != 0 {
                    return Err(bad(k, "odd length"));
                }
                Self::UnknownAttributes(UnknownAttributes(UnknownRepr::Wire(value)))
            }
            AttributeType::SOFTWARE => Self::Software(text(k, value, MAX_TEXT_LEN)?),
            AttributeType::ALTERNATE_SERVER => {
                Self::AlternateServer(decode_address(k, value, None)?)
            }
            AttributeType::ALTERNATE_DOMAIN => {
                let domain = text(k, value, MAX_DOMAIN_LEN)?;
                if !domain.is_ascii() {
                    return Err(bad(k, "domain name is not ASCII"));
                }
                Self::AlternateDomain(domain)
            }
            AttributeType::PRIORITY => Self::Priority(u32_of(k, value)?),
            AttributeType::USE_CANDIDATE => {
                empty(k, value)?;
                Self::UseCandidate
            }
            AttributeType::ICE_CONTROLLED => Self::IceControlled(u64_of(k, value)?),
            AttributeType::ICE_CONTROLLING => Self::IceControlling(u64_of(k, value)?),
            AttributeType::CHANNEL_NUMBER => {
                let [n0, n1, _, _] = *exact::<4>(k, value)?;
                Self::ChannelNumber(u16::from_be_bytes([n0, n1]))
            }
            AttributeType::LIFETIME => Self::Lifetime(u32_of(k, value)?),
            AttributeType::XOR_PEER_ADDRESS => {
                Self::XorPeerAddress(decode_address(k, value, Some(transaction_id))?)
            }
            AttributeType::DATA => Self::Data(value),
            AttributeType::XOR_RELAYED_ADDRESS => {
                Self::XorRelayedAddress(decode_address(k, value, Some(transaction_id))?)
            }
            AttributeType::REQUESTED_ADDRESS_FAMILY => {
                Self::RequestedAddressFamily(family_of(k, value)?)
            }
            AttributeType::EVEN_PORT => {
                let [flags] = *exact::<1>(k, value)?;
                Self::EvenPort(flags & 0x80 != 0)
            }
            AttributeType::REQUESTED_TRANSPORT => {
                let [protocol, _, _, _] = *exact::<4>(k, value)?;
                Self::RequestedTransport(protocol)
            }
            AttributeType::DONT_FRAGMENT => {
                empty(k, value)?;
                Self::DontFragment
            }
            AttributeType::RESERVATION_TOKEN => Self::ReservationToken(u64_of(k, value)?),
            AttributeType::ADDITIONAL_ADDRESS_FAMILY => {
                Self::AdditionalAddressFamily(family_of(k, value)?)
            }
            AttributeType::ADDRESS_ERROR_CODE => {
                let (code, reason) = decode_error_code(k, value)?;
                let family = value
                    .first()
                    .copied()
                    .and_then(AddressFamily::from_u8)
                    .ok_or(bad(k, "unknown address family"))?;
                Self::AddressErrorCode(AddressErrorCode {
                    family,
                    code,
                    reason,
                })
            }
            AttributeType::ICMP => {
                let [_, _, icmp_type, icmp_code, d0, d1, d2, d3] = *exact::<8>(k, value)?;
                Self::Icmp(Icmp {
                    icmp_type,
                    icmp_code,
                    error_data: u32::from_be_bytes([d0, d1, d2, d3]),
                })
            }
            AttributeType::CHANGE_REQUEST => {
                let flags = u32_of(k, value)?;
                Self::ChangeRequest {
                    change_ip: flags & 0x04 != 0,
                    change_port: flags & 0x02 != 0,
                }
            }
            AttributeType::RESPONSE_PORT => {
                let [p0, p1, _, _] = *exact::<4>(k, value)?;
                Self::ResponsePort(u16::from_be_bytes([p0, p1]))
            }
            AttributeType::PADDING => Self::Padding(value),
            AttributeType::CACHE_TIMEOUT => Self::CacheTimeout(u32_of(k, value)?),
            AttributeType::RESPONSE_ORIGIN => Self::ResponseOrigin(decode_address(k, value, None)?),
            AttributeType::OTHER_ADDRESS => Self::OtherAddress(decode_address(k, value, None)?),
            AttributeType::CONNECTION_ID => Self::ConnectionId(u32_of(k, value)?),
            AttributeType::ACCESS_TOKEN => Self::AccessToken(value),
            AttributeType::THIRD_PARTY_AUTHORIZATION => {
                Self::ThirdPartyAuthorization(text(k, value, MAX_TEXT_LEN)?)
            }
            AttributeType::MOBILITY_TICKET => Self::MobilityTicket(value),
            _ => Self::Unknown { kind, value },
        })
    }

    /// Length of the value on the wire, without padding.
    pub fn value_len(&self) -> usize {
        match self {
            Self::MappedAddress(a)
            | Self::XorMappedAddress(a)
            | Self::AlternateServer(a)
            | Self::XorPeerAddress(a)
            | Self::XorRelayedAddress(a)
            | Self::ResponseOrigin(a)
            | Self::OtherAddress(a) => address_len(a),
            Self::Username(s)
            | Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::AlternateDomain(s)
            | Self::ThirdPartyAuthorization(s) => s.len(),
            Self::UserHash(_) => 32,
            Self::MessageIntegrity(_) => 20,
            Self::MessageIntegritySha256(v) => v.len(),
            Self::Fingerprint(_)
            | Self::Priority(_)
            | Self::ChannelNumber(_)
            | Self::Lifetime(_)
            | Self::RequestedAddressFamily(_)
            | Self::RequestedTransport(_)
            | Self::AdditionalAddressFamily(_)
            | Self::ChangeRequest { .. }
            | Self::ResponsePort(_)
            | Self::CacheTimeout(_)
            | Self::ConnectionId(_) => 4,
            Self::ErrorCode(e) => 4 + e.reason.len(),
            Self::AddressErrorCode(e) => 4 + e.reason.len(),
            Self::PasswordAlgorithms(list) => list.encoded_len(),
            Self::PasswordAlgorithm(a) => a.encoded_len(),
            Self::UnknownAttributes(list) => list.encoded_len(),
            Self::UseCandidate | Self::DontFragment => 0,
            Self::IceControlled(_) | Self::IceControlling(_) | Self::ReservationToken(_) => 8,
            Self::Icmp(_) => 8,
            Self::EvenPort(_) => 1,
            Self::Data(v)
            | Self::Padding(v)
            | Self::AccessToken(v)
            | Self::MobilityTicket(v)
            | Self::Unknown { value: v, .. } => v.len(),
        }
    }

    /// Length on the wire: the 4-byte header, the value and its padding.
    pub fn encoded_len(&self) -> usize {
        4 + padded(self.value_len())
    }

    /// Checks that the value can be encoded (lengths and ranges the RFCs
    /// set), without writing anything.
    pub fn validate(&self) -> Result<(), WriteError> {
        let k = self.kind().0;
        match self {
            Self::Username(s) => check_text(k, s, MAX_USERNAME_LEN),
            Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::ThirdPartyAuthorization(s) => check_text(k, s, MAX_TEXT_LEN),
            Self::AlternateDomain(s) => {
                check_text(k, s, MAX_DOMAIN_LEN)?;
                if s.is_ascii() {
                    Ok(())
                } else {
                    Err(WriteError::InvalidValue {
                        kind: k,
                        reason: "domain name is not ASCII",
                    })
                }
            }
            Self::MessageIntegritySha256(v)
                if !(16..=32).contains(&v.len()) || v.len() % 4 != 0 =>
            {
                Err(WriteError::InvalidValue {
                    kind: k,
                    reason: "length must be 16 to 32 and a multiple of 4",
                })
            }
            Self::ErrorCode(e) => check_error_code(k, e.code, e.reason),
            Self::AddressErrorCode(e) => check_error_code(k, e.code, e.reason),
            Self::PasswordAlgorithm(a) if a.parameters.len() > usize::from(u16::MAX) => {
                Err(WriteError::InvalidValue {
                    kind: k,
                    reason: "parameters too long",
                })
            }
            Self::PasswordAlgorithms(list)
                if list
                    .iter()
                    .any(|a| a.parameters.len() > usize::from(u16::MAX)) =>
            {
                Err(WriteError::InvalidValue {
                    kind: k,
                    reason: "parameters too long",
                })
            }
            _ if self.value_len() > usize::from(u16::MAX) => Err(WriteError::InvalidValue {
                kind: k,
                reason: "value longer than 65535 bytes",
            }),
            _ => Ok(()),
        }
    }

    /// Writes the value (without header or padding) into `out`, which must
    /// be exactly [`value_len`](Self::value_len) bytes long; call
    /// [`validate`](Self::validate) first.
    pub(crate) fn write_value(&self, out: &mut [u8], transaction_id: &TransactionId) {
        match self {
            Self::MappedAddress(a)
            | Self::AlternateServer(a)
            | Self::ResponseOrigin(a)
            | Self::OtherAddress(a) => encode_address(a, None, out),
            Self::XorMappedAddress(a) | Self::XorPeerAddress(a) | Self::XorRelayedAddress(a) => {
                encode_address(a, Some(transaction_id), out);
            }
            Self::Username(s)
            | Self::Realm(s)
            | Self::Nonce(s)
            | Self::Software(s)
            | Self::AlternateDomain(s)
            | Self::ThirdPartyAuthorization(s) => copy_prefix(out, s.as_bytes()),
            Self::UserHash(v) => copy_prefix(out, v.as_slice()),
            Self::MessageIntegrity(v) => copy_prefix(out, v.as_slice()),
            Self::MessageIntegritySha256(v)
            | Self::Data(v)
            | Self::Padding(v)
            | Self::AccessToken(v)
            | Self::MobilityTicket(v)
            | Self::Unknown { value: v, .. } => copy_prefix(out, v),
            Self::Fingerprint(v)
            | Self::Priority(v)
            | Self::Lifetime(v)
            | Self::CacheTimeout(v)
            | Self::ConnectionId(v) => copy_prefix(out, &v.to_be_bytes()),
            Self::ErrorCode(e) => write_error_code(out, 0, e.code, e.reason),
            Self::AddressErrorCode(e) => write_error_code(out, e.family.to_u8(), e.code, e.reason),
            Self::PasswordAlgorithms(list) => {
                let mut rest = out;
                for algorithm in list.iter() {
                    let len = algorithm.encoded_len().min(rest.len());
                    let (head, tail) = rest.split_at_mut(len);
                    write_algorithm(head, &algorithm);
                    rest = tail;
                }
            }
            Self::PasswordAlgorithm(a) => write_algorithm(out, a),
            Self::UnknownAttributes(list) => {
                for (chunk, kind) in out.chunks_exact_mut(2).zip(list.iter()) {
                    chunk.copy_from_slice(&kind.0.to_be_bytes());
                }
            }
            Self::UseCandidate | Self::DontFragment => {}
            Self::IceControlled(v) | Self::IceControlling(v) | Self::ReservationToken(v) => {
                copy_prefix(out, &v.to_be_bytes());
            }
            Self::ChannelNumber(n) | Self::ResponsePort(n) => {
                let [a, b] = n.to_be_bytes();
                copy_prefix(out, &[a, b, 0, 0]);
            }
            Self::RequestedAddressFamily(f) | Self::AdditionalAddressFamily(f) => {
                copy_prefix(out, &[f.to_u8(), 0, 0, 0]);
            }
            Self::RequestedTransport(p) => copy_prefix(out, &[*p, 0, 0, 0]),
            Self::EvenPort(reserve) => copy_prefix(out, &[if *reserve { 0x80 } else { 0 }]),
            Self::Icmp(icmp) => {
                let [d0, d1, d2, d3] = icmp.error_data.to_be_bytes();
                copy_prefix(out, &[0, 0, icmp.icmp_type, icmp.icmp_code, d0, d1, d2, d3]);
            }
            Self::ChangeRequest {
                change_ip,
                change_port,
            } => {
                let flags = (u8::from(*change_ip) << 2) | (u8::from(*change_port) << 1);
                copy_prefix(out, &[0, 0, 0, flags]);
            }
        }
    }
}

fn write_error_code(out: &mut [u8], first: u8, code: u16, reason: &str) {
    let class = (code / 100) as u8;
    let number = (code % 100) as u8;
    let (head, tail) = out.split_at_mut(4.min(out.len()));
    copy_prefix(head, &[first, 0, class, number]);
    copy_prefix(tail, reason.as_bytes());
}

fn write_algorithm(out: &mut [u8], algorithm: &PasswordAlgorithm<'_>) {
    let [a0, a1] = algorithm.algorithm.to_be_bytes();
    let [l0, l1] = (algorithm.parameters.len() as u16).to_be_bytes();
    let (head, tail) = out.split_at_mut(4.min(out.len()));
    copy_prefix(head, &[a0, a1, l0, l1]);
    copy_prefix(tail, algorithm.parameters);
    // Padding bytes after the parameters are already zero in the builder.
    if let Some(padding) = tail.get_mut(algorithm.parameters.len()..) {
        padding.fill(0);
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;

    use alloc::vec;
    use alloc::vec::Vec;

    use super::*;
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

    #[test]
    fn indexed_types_are_numbered_once() {
        let mut seen = [false; AttributeType::INDEXED];
        let mut count = 0;
        for value in 0..=u16::MAX {
            let kind = AttributeType(value);
            assert_eq!(kind.known().is_some(), kind.is_known(), "{kind:?}");
            if let Some(slot) = kind.indexed() {
                assert!(kind.is_known(), "{kind:?}");
                assert_eq!(
                    kind.known().map(|known| usize::from(known.index)),
                    Some(slot)
                );
                assert!(!seen[slot], "{kind:?} shares its place");
                seen[slot] = true;
                count += 1;
            } else if let Some(known) = kind.known() {
                assert_eq!(known.index, NOT_INDEXED);
            }
        }
        assert_eq!(count, AttributeType::INDEXED);
    }

    /// Values around every rule's edges: each length up to 40 (and around
    /// the text limits) filled with bytes that make addresses, families,
    /// error codes, UTF-8 and password algorithms valid or not.
    fn edge_values() -> Vec<Vec<u8>> {
        let mut values = Vec::new();
        let fills: [&[u8]; 9] = [
            &[0x00],
            &[0x00, 0x01],
            &[0x01, 0x02, 0x04, 0x63],
            &[0x02, 0x00, 0x03, 0x00],
            &[0x00, 0x02, 0x00, 0x00],
            b"abc:",
            &[0xc3, 0xa9],
            &[0xff, 0xfe],
            &[0x80, 0x41, 0x06, 0x64],
        ];
        for len in (0..=40).chain([254, 255, 256, 512, 513, 514, 762, 763, 764]) {
            for fill in fills {
                values.push(fill.iter().copied().cycle().take(len).collect());
            }
        }
        // Error codes: classes 2 to 7, numbers 99 and 100, with reasons.
        for class in 0..8u8 {
            for number in [0u8, 99, 100] {
                for family in [0u8, 1, 2, 3] {
                    values.push(vec![family, 0, class, number]);
                    values.push(vec![family, 0, 0xf8 | class, number, b'o', b'k']);
                    values.push(vec![family, 0, class, number, 0xff]);
                }
            }
        }
        // Password algorithms: one, two, truncated, with trailing bytes.
        values.push(hex("0002 0000"));
        values.push(hex("0001 0000 0002 0000"));
        values.push(hex("0001 0003 616263 00"));
        values.push(hex("0001 0003 616263"));
        values.push(hex("0001 0004 616263"));
        values.push(hex("0001 0000 00"));
        values
    }

    #[test]
    fn rules_agree_with_decoding() {
        let values = edge_values();
        for value in 0..=u16::MAX {
            let kind = AttributeType(value);
            let Some(known) = kind.known() else {
                continue;
            };
            for value in &values {
                assert_eq!(
                    known.rule.accepts(value),
                    Attribute::decode(kind, value, &TID).is_ok(),
                    "{kind:?} {value:02x?}"
                );
            }
        }
    }

    proptest::proptest! {
        #[test]
        fn rules_agree_with_decoding_on_random_values(
            value in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..48),
        ) {
            for kind in (0..=u16::MAX).map(AttributeType) {
                if let Some(known) = kind.known() {
                    proptest::prop_assert_eq!(
                        known.rule.accepts(&value),
                        Attribute::decode(kind, &value, &TID).is_ok(),
                        "{:?}", kind
                    );
                }
            }
        }
    }
}
