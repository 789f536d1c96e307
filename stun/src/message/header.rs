//! The STUN header (RFC 8489 §5): message type (class and method),
//! length, magic cookie and transaction id, and the framing checks that
//! tell a STUN message from other traffic.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-5>

use core::fmt;

use crate::error::ParseError;

/// The magic cookie that every RFC 5389/8489 message carries in bytes 4..8.
pub const MAGIC_COOKIE: u32 = 0x2112_A442;

/// Length of the STUN header.
pub const HEADER_LEN: usize = 20;

/// Largest message the 16-bit length field can describe.
pub const MAX_MESSAGE_LEN: usize = HEADER_LEN + u16::MAX as usize;

/// The 96-bit transaction id.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-5>
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TransactionId(pub(crate) [u8; 12]);

impl TransactionId {
    /// A transaction id from 12 bytes (which should come from a
    /// cryptographically strong random source for requests).
    pub const fn new(bytes: [u8; 12]) -> Self {
        Self(bytes)
    }

    /// The 12 bytes.
    pub const fn as_bytes(&self) -> &[u8; 12] {
        &self.0
    }
}

impl fmt::Debug for TransactionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransactionId(")?;
        for byte in self.0 {
            write!(f, "{byte:02x}")?;
        }
        f.write_str(")")
    }
}

/// The message class: request, indication, success or error response.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-5>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    /// A request (C1 C0 = 0b00).
    Request,
    /// An indication (0b01).
    Indication,
    /// A success response (0b10).
    SuccessResponse,
    /// An error response (0b11).
    ErrorResponse,
}

impl Class {
    const fn bits(self) -> u16 {
        match self {
            Self::Request => 0b00,
            Self::Indication => 0b01,
            Self::SuccessResponse => 0b10,
            Self::ErrorResponse => 0b11,
        }
    }

    /// Whether this is a success or error response.
    pub const fn is_response(self) -> bool {
        matches!(self, Self::SuccessResponse | Self::ErrorResponse)
    }
}

/// A 12-bit STUN method.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-18.2>
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Method(u16);

impl Method {
    /// Binding (RFC 8489).
    pub const BINDING: Self = Self(0x001);
    /// Allocate (RFC 8656).
    pub const ALLOCATE: Self = Self(0x003);
    /// Refresh (RFC 8656).
    pub const REFRESH: Self = Self(0x004);
    /// Send (RFC 8656).
    pub const SEND: Self = Self(0x006);
    /// Data (RFC 8656).
    pub const DATA: Self = Self(0x007);
    /// CreatePermission (RFC 8656).
    pub const CREATE_PERMISSION: Self = Self(0x008);
    /// ChannelBind (RFC 8656).
    pub const CHANNEL_BIND: Self = Self(0x009);
    /// Connect (RFC 6062).
    pub const CONNECT: Self = Self(0x00A);
    /// ConnectionBind (RFC 6062).
    pub const CONNECTION_BIND: Self = Self(0x00B);
    /// ConnectionAttempt (RFC 6062).
    pub const CONNECTION_ATTEMPT: Self = Self(0x00C);

    /// A method from its 12-bit number; `None` above `0xFFF`.
    pub const fn new(value: u16) -> Option<Self> {
        if value <= 0xFFF {
            Some(Self(value))
        } else {
            None
        }
    }

    /// The 12-bit number.
    pub const fn value(self) -> u16 {
        self.0
    }

    /// The method's name, or `None` for an unregistered one.
    pub const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0x001 => "Binding",
            0x003 => "Allocate",
            0x004 => "Refresh",
            0x006 => "Send",
            0x007 => "Data",
            0x008 => "CreatePermission",
            0x009 => "ChannelBind",
            0x00A => "Connect",
            0x00B => "ConnectionBind",
            0x00C => "ConnectionAttempt",
            _ => return None,
        })
    }
}

impl fmt::Debug for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Method({:#05x})", self.0),
        }
    }
}

/// Encodes class and method into the 14-bit message type.
pub const fn message_type(class: Class, method: Method) -> u16 {
    let m = method.0;
    let c = class.bits();
    (m & 0x000F) | ((m & 0x0070) << 1) | ((m & 0x0F80) << 2) | ((c & 0b01) << 4) | ((c & 0b10) << 7)
}

/// Splits a 14-bit message type into class and method.
pub const fn split_message_type(value: u16) -> (Class, Method) {
    let method = (value & 0x000F) | ((value >> 1) & 0x0070) | ((value >> 2) & 0x0F80);
    let class = match ((value >> 4) & 0b01) | ((value >> 7) & 0b10) {
        0b00 => Class::Request,
        0b01 => Class::Indication,
        0b10 => Class::SuccessResponse,
        _ => Class::ErrorResponse,
    };
    (class, Method(method))
}

/// Checks the 20-byte header against the framing rules of RFC 8489 §5 and
/// returns the body.
pub(crate) fn read_header(bytes: &[u8]) -> Result<&[u8], ParseError> {
    let (header, body) = bytes
        .split_first_chunk::<HEADER_LEN>()
        .ok_or(ParseError::Truncated {
            needed: HEADER_LEN,
            have: bytes.len(),
        })?;
    let [t0, _, l0, l1, c0, c1, c2, c3, ..] = *header;
    if t0 & 0xC0 != 0 {
        return Err(ParseError::NotStun);
    }
    let length = usize::from(u16::from_be_bytes([l0, l1]));
    if u32::from_be_bytes([c0, c1, c2, c3]) != MAGIC_COOKIE {
        return Err(if length == body.len() && length % 4 == 0 {
            ParseError::Rfc3489
        } else {
            ParseError::NotStun
        });
    }
    if length % 4 != 0 {
        return Err(ParseError::UnalignedLength(length));
    }
    if length != body.len() {
        return Err(ParseError::LengthMismatch {
            length,
            have: body.len(),
        });
    }
    Ok(body)
}

/// Whether `bytes` is exactly one STUN message by its header: first two bits
/// zero, magic cookie, a length field that is a multiple of four and matches.
/// Attributes are not examined.
pub fn is_stun(bytes: &[u8]) -> bool {
    read_header(bytes).is_ok()
}

#[cfg(test)]
mod tests {
    extern crate alloc;

    use super::*;
    use crate::message::Message;
    use crate::message::tests::{TID, hex};

    #[test]
    fn message_types_of_rfc8489() {
        // RFC 8489 §5: Binding request, indication, success and error.
        for (value, class) in [
            (0x0001, Class::Request),
            (0x0011, Class::Indication),
            (0x0101, Class::SuccessResponse),
            (0x0111, Class::ErrorResponse),
        ] {
            assert_eq!(message_type(class, Method::BINDING), value);
            assert_eq!(split_message_type(value), (class, Method::BINDING));
        }
        // TURN methods (RFC 8656 §17): Allocate request 0x0003, Send
        // indication 0x0016, Data indication 0x0017, ChannelBind error 0x0119.
        assert_eq!(message_type(Class::Request, Method::ALLOCATE), 0x0003);
        assert_eq!(message_type(Class::Indication, Method::SEND), 0x0016);
        assert_eq!(message_type(Class::Indication, Method::DATA), 0x0017);
        assert_eq!(
            message_type(Class::ErrorResponse, Method::CHANNEL_BIND),
            0x0119
        );
        // Every method bit and class bit survives the interleaving.
        for method in [0x000, 0x001, 0x00F, 0x070, 0x080, 0xF80, 0xFFF, 0xABC] {
            let method = Method::new(method).unwrap();
            for class in [
                Class::Request,
                Class::Indication,
                Class::SuccessResponse,
                Class::ErrorResponse,
            ] {
                let value = message_type(class, method);
                assert_eq!(value & 0xC000, 0);
                assert_eq!(split_message_type(value), (class, method));
            }
        }
        assert_eq!(Method::new(0x1000), None);
        assert_eq!(Method::new(0xFFF).map(Method::value), Some(0xFFF));
        assert!(Class::SuccessResponse.is_response());
        assert!(Class::ErrorResponse.is_response());
        assert!(!Class::Request.is_response());
        assert!(!Class::Indication.is_response());
    }

    #[test]
    fn method_and_transaction_id_debug() {
        assert_eq!(alloc::format!("{:?}", Method::REFRESH), "Refresh");
        assert_eq!(
            alloc::format!("{:?}", Method::new(0x0ff).unwrap()),
            "Method(0x0ff)"
        );
        assert_eq!(Method::CONNECTION_ATTEMPT.name(), Some("ConnectionAttempt"));
        assert_eq!(
            alloc::format!("{TID:?}"),
            "TransactionId(b7e7a701bc34d686fa87dfae)"
        );
        assert_eq!(TID.as_bytes()[11], 0xae);
    }

    #[test]
    fn header_errors() {
        // Too short for a header.
        let bytes = hex("0001 0000 2112a442 b7e7a701 bc34d686 fa87df");
        assert_eq!(
            Message::parse(&bytes),
            Err(ParseError::Truncated {
                needed: HEADER_LEN,
                have: 19
            })
        );
        assert_eq!(
            Message::parse(&[]),
            Err(ParseError::Truncated {
                needed: HEADER_LEN,
                have: 0
            })
        );
        // The first two bits must be zero: RTP, DTLS with bit 6, ChannelData.
        for first in ["80", "40", "c0"] {
            let bytes = hex(&alloc::format!(
                "{first}01 0000 2112a442 b7e7a701 bc34d686 fa87dfae"
            ));
            assert_eq!(Message::parse(&bytes), Err(ParseError::NotStun));
            assert!(!is_stun(&bytes));
        }
        // RFC 3489: no magic cookie, framing otherwise fine.
        let bytes = hex("0001 0008 a1b2c3d4 b7e7a701 bc34d686 fa87dfae 0024 0004 6e0001ff");
        assert_eq!(Message::parse(&bytes), Err(ParseError::Rfc3489));
        // No cookie and bad framing: not STUN at all.
        let bytes = hex("0001 0009 a1b2c3d4 b7e7a701 bc34d686 fa87dfae 0024 0004 6e0001ff");
        assert_eq!(Message::parse(&bytes), Err(ParseError::NotStun));
        // Unaligned length.
        let bytes = hex("0001 0006 2112a442 b7e7a701 bc34d686 fa87dfae 0024 0002 6e00");
        assert_eq!(Message::parse(&bytes), Err(ParseError::UnalignedLength(6)));
        // Length field disagrees with the bytes given, both ways.
        let bytes = hex("0001 000c 2112a442 b7e7a701 bc34d686 fa87dfae 0024 0004 6e0001ff");
        assert_eq!(
            Message::parse(&bytes),
            Err(ParseError::LengthMismatch {
                length: 12,
                have: 8
            })
        );
        let bytes = hex("0001 0004 2112a442 b7e7a701 bc34d686 fa87dfae 0024 0004 6e0001ff");
        assert_eq!(
            Message::parse(&bytes),
            Err(ParseError::LengthMismatch { length: 4, have: 8 })
        );
        assert!(!is_stun(&bytes));
    }
}
