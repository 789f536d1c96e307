//! The typed values attributes carry beyond numbers, addresses and text:
//! ERROR-CODE (RFC 8489 §14.8), the password algorithms (§14.11,
//! §14.12), UNKNOWN-ATTRIBUTES (§14.13), and TURN's address family,
//! ADDRESS-ERROR-CODE and ICMP (RFC 8656 §18.6, §18.12, §18.13); and the
//! caps on text values.
//!
//! - <https://www.rfc-editor.org/rfc/rfc8489#section-14>
//! - <https://www.rfc-editor.org/rfc/rfc8656#section-18>

use core::fmt;
use core::net::SocketAddr;

use super::padded;
use super::registry::AttributeType;
use crate::error::ParseError;

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

    pub(crate) fn encoded_len(&self) -> usize {
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

    pub(crate) fn decode(kind: u16, bytes: &'a [u8]) -> Result<Self, ParseError> {
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

    pub(crate) fn encoded_len(&self) -> usize {
        match self.0 {
            AlgorithmsRepr::Wire(bytes) => bytes.len(),
            AlgorithmsRepr::List(list) => list.iter().map(PasswordAlgorithm::encoded_len).sum(),
        }
    }
}

/// Splits one PASSWORD-ALGORITHM (with its padding) off the front of `bytes`.
pub(crate) fn split_algorithm(bytes: &[u8]) -> Option<(PasswordAlgorithm<'_>, &[u8])> {
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
pub struct UnknownAttributes<'a>(pub(crate) UnknownRepr<'a>);

#[derive(Clone, Copy)]
pub(crate) enum UnknownRepr<'a> {
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

    pub(crate) fn encoded_len(&self) -> usize {
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
