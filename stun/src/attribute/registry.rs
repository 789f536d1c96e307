//! The attribute type registry (RFC 8489 §18.3 and the registrations of
//! RFC 8445, RFC 8656, RFC 5780, RFC 6062, RFC 7635 and RFC 8016): each
//! known type's constant and name, the rule parsing checks its value by,
//! and its place in a parsed message's index.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-18.3>

use core::fmt;

use super::value::{
    MAX_DOMAIN_LEN, MAX_TEXT_LEN, MAX_USERNAME_LEN, PasswordAlgorithms, split_algorithm,
};

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

#[cfg(test)]
mod tests {
    extern crate alloc;

    use alloc::vec;
    use alloc::vec::Vec;

    use super::*;
    use crate::attribute::Attribute;
    use crate::message::tests::{TID, hex};

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
