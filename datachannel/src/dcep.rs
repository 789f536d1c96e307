//! The Data Channel Establishment Protocol
//! ([RFC 8832](https://www.rfc-editor.org/rfc/rfc8832)): the two messages
//! that open a channel in band, DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK.
//!
//! [`Message::parse`] reads either message without copying: the label and
//! the protocol of an [`Open`] borrow from the packet. It refuses what the
//! RFC does not allow: unknown message and channel types, lengths that do
//! not add up, bytes after the end, labels and protocols that are not UTF-8.
//! Writing is explicit ([`Message::encoded_len`], [`Message::write_to`]) and
//! never panics.
//!
//! ```
//! use sansrtc_datachannel::dcep::{ChannelType, Message, Open};
//! use sansrtc_datachannel::Priority;
//!
//! let open = Open {
//!     channel_type: ChannelType::ReliableUnordered,
//!     priority: Priority::LOW,
//!     reliability_parameter: 0,
//!     label: "chat",
//!     protocol: "",
//! };
//! let mut buf = [0u8; 64];
//! let len = Message::Open(open).write_to(&mut buf)?;
//! assert_eq!(Message::parse(&buf[..len])?, Message::Open(open));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::channel::{Priority, Reliability};

/// Message type of DATA_CHANNEL_OPEN.
///
/// <https://www.rfc-editor.org/rfc/rfc8832#section-8.2.1>
pub const MESSAGE_TYPE_OPEN: u8 = 0x03;
/// Message type of DATA_CHANNEL_ACK.
///
/// <https://www.rfc-editor.org/rfc/rfc8832#section-8.2.1>
pub const MESSAGE_TYPE_ACK: u8 = 0x02;
/// Length of DATA_CHANNEL_OPEN before its label and protocol.
///
/// <https://www.rfc-editor.org/rfc/rfc8832#section-5.1>
pub const OPEN_HEADER_LEN: usize = 12;
/// The longest label or protocol the 16-bit length fields can carry.
pub const MAX_LABEL_LEN: usize = u16::MAX as usize;

/// Why bytes are not a DCEP message.
///
/// `Copy`, with static context only: refusing hostile input allocates
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The message ends before its fields do.
    #[error("DCEP message truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes the message needs.
        needed: usize,
        /// Bytes there are.
        have: usize,
    },
    /// The first byte is neither DATA_CHANNEL_OPEN nor DATA_CHANNEL_ACK.
    #[error("unknown DCEP message type {0:#04x}")]
    UnknownMessageType(u8),
    /// DATA_CHANNEL_OPEN names a channel type RFC 8832 does not define.
    #[error("unknown DCEP channel type {0:#04x}")]
    UnknownChannelType(u8),
    /// Bytes follow the end of the message (its length is exact).
    #[error("{extra} bytes after the end of the DCEP message")]
    TrailingBytes {
        /// How many.
        extra: usize,
    },
    /// The label or the protocol is not UTF-8.
    #[error("DCEP {what} is not UTF-8")]
    NotUtf8 {
        /// `"label"` or `"protocol"`.
        what: &'static str,
    },
}

/// Why a DCEP message could not be written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The buffer is shorter than [`Message::encoded_len`].
    #[error("buffer too small: need {needed} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The label or protocol is longer than its 16-bit length field allows.
    #[error("DCEP {what} is {len} bytes, more than {MAX_LABEL_LEN}")]
    TooLong {
        /// `"label"` or `"protocol"`.
        what: &'static str,
        /// Its length.
        len: usize,
    },
}

/// The channel type of DATA_CHANNEL_OPEN: ordering and reliability.
///
/// <https://www.rfc-editor.org/rfc/rfc8832#section-5.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ChannelType {
    /// `0x00`: reliable, ordered.
    Reliable,
    /// `0x80`: reliable, unordered.
    ReliableUnordered,
    /// `0x01`: ordered, at most `reliability_parameter` retransmissions.
    PartialReliableRexmit,
    /// `0x81`: unordered, at most `reliability_parameter` retransmissions.
    PartialReliableRexmitUnordered,
    /// `0x02`: ordered, retransmitted for at most `reliability_parameter`
    /// milliseconds.
    PartialReliableTimed,
    /// `0x82`: unordered, retransmitted for at most `reliability_parameter`
    /// milliseconds.
    PartialReliableTimedUnordered,
}

impl ChannelType {
    /// The code point.
    pub const fn to_u8(self) -> u8 {
        match self {
            Self::Reliable => 0x00,
            Self::ReliableUnordered => 0x80,
            Self::PartialReliableRexmit => 0x01,
            Self::PartialReliableRexmitUnordered => 0x81,
            Self::PartialReliableTimed => 0x02,
            Self::PartialReliableTimedUnordered => 0x82,
        }
    }

    /// The channel type of a code point, `None` for the undefined ones.
    pub const fn from_u8(value: u8) -> Option<Self> {
        Some(match value {
            0x00 => Self::Reliable,
            0x80 => Self::ReliableUnordered,
            0x01 => Self::PartialReliableRexmit,
            0x81 => Self::PartialReliableRexmitUnordered,
            0x02 => Self::PartialReliableTimed,
            0x82 => Self::PartialReliableTimedUnordered,
            _ => return None,
        })
    }

    /// Whether messages are delivered in the order they were sent.
    pub const fn is_ordered(self) -> bool {
        self.to_u8() & 0x80 == 0
    }

    /// The channel type for an ordering and a reliability, with the
    /// reliability parameter that goes with it.
    pub const fn from_options(ordered: bool, reliability: Reliability) -> (Self, u32) {
        match (ordered, reliability) {
            (true, Reliability::Reliable) => (Self::Reliable, 0),
            (false, Reliability::Reliable) => (Self::ReliableUnordered, 0),
            (true, Reliability::MaxRetransmits(n)) => (Self::PartialReliableRexmit, n as u32),
            (false, Reliability::MaxRetransmits(n)) => {
                (Self::PartialReliableRexmitUnordered, n as u32)
            }
            (true, Reliability::MaxPacketLifeTime(ms)) => (Self::PartialReliableTimed, ms as u32),
            (false, Reliability::MaxPacketLifeTime(ms)) => {
                (Self::PartialReliableTimedUnordered, ms as u32)
            }
        }
    }

    /// The reliability this type and `reliability_parameter` describe (the
    /// parameter of a reliable type is ignored, as RFC 8832 §5.1 asks).
    /// W3C limits both partial reliability values to 16 bits: larger ones
    /// are clamped.
    pub const fn reliability(self, reliability_parameter: u32) -> Reliability {
        let value = if reliability_parameter > u16::MAX as u32 {
            u16::MAX
        } else {
            reliability_parameter as u16
        };
        match self {
            Self::Reliable | Self::ReliableUnordered => Reliability::Reliable,
            Self::PartialReliableRexmit | Self::PartialReliableRexmitUnordered => {
                Reliability::MaxRetransmits(value)
            }
            Self::PartialReliableTimed | Self::PartialReliableTimedUnordered => {
                Reliability::MaxPacketLifeTime(value)
            }
        }
    }
}

/// DATA_CHANNEL_OPEN: the opener's description of a new channel.
///
/// <https://www.rfc-editor.org/rfc/rfc8832#section-5.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Open<'a> {
    /// Ordering and reliability.
    pub channel_type: ChannelType,
    /// The channel's priority (RFC 8831 §6.4).
    pub priority: Priority,
    /// Retransmissions or milliseconds for the partially reliable types; 0
    /// for the reliable ones.
    pub reliability_parameter: u32,
    /// The channel's label.
    pub label: &'a str,
    /// The subprotocol, empty when none.
    pub protocol: &'a str,
}

impl Open<'_> {
    /// Bytes [`write_to`](Message::write_to) writes.
    pub const fn encoded_len(&self) -> usize {
        OPEN_HEADER_LEN + self.label.len() + self.protocol.len()
    }
}

/// A DCEP message.
///
/// <https://www.rfc-editor.org/rfc/rfc8832#section-5>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// DATA_CHANNEL_OPEN.
    Open(Open<'a>),
    /// DATA_CHANNEL_ACK.
    Ack,
}

impl<'a> Message<'a> {
    /// Reads a message; the label and the protocol borrow from `bytes`.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (&message_type, rest) = bytes
            .split_first()
            .ok_or(ParseError::Truncated { needed: 1, have: 0 })?;
        match message_type {
            MESSAGE_TYPE_ACK => {
                if rest.is_empty() {
                    Ok(Self::Ack)
                } else {
                    Err(ParseError::TrailingBytes { extra: rest.len() })
                }
            }
            MESSAGE_TYPE_OPEN => parse_open(bytes).map(Self::Open),
            other => Err(ParseError::UnknownMessageType(other)),
        }
    }

    /// Bytes [`write_to`](Self::write_to) writes.
    pub const fn encoded_len(&self) -> usize {
        match self {
            Self::Open(open) => open.encoded_len(),
            Self::Ack => 1,
        }
    }

    /// Writes the message at the start of `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let have = buf.len();
        let out = buf
            .get_mut(..len)
            .ok_or(WriteError::BufferTooSmall { needed: len, have })?;
        match self {
            Self::Ack => {
                out.fill(MESSAGE_TYPE_ACK);
                Ok(len)
            }
            Self::Open(open) => {
                let label_len = field_len(open.label, "label")?;
                let protocol_len = field_len(open.protocol, "protocol")?;
                let (header, rest) = out
                    .split_first_chunk_mut::<OPEN_HEADER_LEN>()
                    .ok_or(WriteError::BufferTooSmall { needed: len, have })?;
                let [p0, p1] = open.priority.0.to_be_bytes();
                let [r0, r1, r2, r3] = open.reliability_parameter.to_be_bytes();
                let [l0, l1] = label_len.to_be_bytes();
                let [q0, q1] = protocol_len.to_be_bytes();
                *header = [
                    MESSAGE_TYPE_OPEN,
                    open.channel_type.to_u8(),
                    p0,
                    p1,
                    r0,
                    r1,
                    r2,
                    r3,
                    l0,
                    l1,
                    q0,
                    q1,
                ];
                let (label, protocol) = rest.split_at_mut(open.label.len());
                label.copy_from_slice(open.label.as_bytes());
                protocol.copy_from_slice(open.protocol.as_bytes());
                Ok(len)
            }
        }
    }
}

fn field_len(value: &str, what: &'static str) -> Result<u16, WriteError> {
    u16::try_from(value.len()).map_err(|_| WriteError::TooLong {
        what,
        len: value.len(),
    })
}

fn parse_open(bytes: &[u8]) -> Result<Open<'_>, ParseError> {
    let (header, rest) =
        bytes
            .split_first_chunk::<OPEN_HEADER_LEN>()
            .ok_or(ParseError::Truncated {
                needed: OPEN_HEADER_LEN,
                have: bytes.len(),
            })?;
    let [_, channel_type, p0, p1, r0, r1, r2, r3, l0, l1, q0, q1] = *header;
    let channel_type =
        ChannelType::from_u8(channel_type).ok_or(ParseError::UnknownChannelType(channel_type))?;
    let label_len = usize::from(u16::from_be_bytes([l0, l1]));
    let protocol_len = usize::from(u16::from_be_bytes([q0, q1]));
    let needed = OPEN_HEADER_LEN + label_len + protocol_len;
    let (label, rest) = rest
        .split_at_checked(label_len)
        .ok_or(ParseError::Truncated {
            needed,
            have: bytes.len(),
        })?;
    let (protocol, trailing) =
        rest.split_at_checked(protocol_len)
            .ok_or(ParseError::Truncated {
                needed,
                have: bytes.len(),
            })?;
    if !trailing.is_empty() {
        return Err(ParseError::TrailingBytes {
            extra: trailing.len(),
        });
    }
    Ok(Open {
        channel_type,
        priority: Priority(u16::from_be_bytes([p0, p1])),
        reliability_parameter: u32::from_be_bytes([r0, r1, r2, r3]),
        label: core::str::from_utf8(label).map_err(|_| ParseError::NotUtf8 { what: "label" })?,
        protocol: core::str::from_utf8(protocol)
            .map_err(|_| ParseError::NotUtf8 { what: "protocol" })?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| u8::from_str_radix(core::str::from_utf8(pair).unwrap(), 16).unwrap())
            .collect()
    }

    fn round_trip(bytes: &[u8]) -> Message<'_> {
        let message = Message::parse(bytes).unwrap();
        let mut out = vec![0u8; message.encoded_len()];
        assert_eq!(message.write_to(&mut out), Ok(bytes.len()));
        assert_eq!(out, bytes);
        message
    }

    #[test]
    fn reliable_ordered_open_with_label() {
        // Type 0x03, channel type 0x00, priority 256, parameter 0,
        // label "chat" (4 bytes), no protocol.
        let bytes = hex("03 00 0100 00000000 0004 0000 63686174");
        let Message::Open(open) = round_trip(&bytes) else {
            panic!("not an open")
        };
        assert_eq!(open.channel_type, ChannelType::Reliable);
        assert!(open.channel_type.is_ordered());
        assert_eq!(open.priority, Priority::LOW);
        assert_eq!(open.reliability_parameter, 0);
        assert_eq!((open.label, open.protocol), ("chat", ""));
        assert_eq!(
            open.channel_type.reliability(open.reliability_parameter),
            Reliability::Reliable
        );
    }

    #[test]
    fn unordered_rexmit_open_with_protocol() {
        // Channel type 0x81, priority 512, 3 retransmissions, label "a",
        // protocol "json".
        let bytes = hex("03 81 0200 00000003 0001 0004 61 6a736f6e");
        let Message::Open(open) = round_trip(&bytes) else {
            panic!("not an open")
        };
        assert_eq!(
            open.channel_type,
            ChannelType::PartialReliableRexmitUnordered
        );
        assert!(!open.channel_type.is_ordered());
        assert_eq!(open.priority, Priority::MEDIUM);
        assert_eq!((open.label, open.protocol), ("a", "json"));
        assert_eq!(
            open.channel_type.reliability(open.reliability_parameter),
            Reliability::MaxRetransmits(3)
        );
    }

    #[test]
    fn timed_open_with_empty_label_and_utf8() {
        // Channel type 0x02, priority 1024, 1500 ms, label "é" (2 bytes).
        let bytes = hex("03 02 0400 000005dc 0002 0000 c3a9");
        let Message::Open(open) = round_trip(&bytes) else {
            panic!("not an open")
        };
        assert_eq!(open.label, "é");
        assert_eq!(open.priority, Priority::HIGH);
        assert_eq!(
            open.channel_type.reliability(open.reliability_parameter),
            Reliability::MaxPacketLifeTime(1500)
        );
    }

    #[test]
    fn ack_is_one_byte() {
        assert_eq!(round_trip(&hex("02")), Message::Ack);
        assert_eq!(
            Message::parse(&hex("02 00")),
            Err(ParseError::TrailingBytes { extra: 1 })
        );
    }

    #[test]
    fn malformed_input_is_refused() {
        assert_eq!(
            Message::parse(&[]),
            Err(ParseError::Truncated { needed: 1, have: 0 })
        );
        assert_eq!(
            Message::parse(&hex("04")),
            Err(ParseError::UnknownMessageType(4))
        );
        assert_eq!(
            Message::parse(&hex("03 00 0100")),
            Err(ParseError::Truncated {
                needed: 12,
                have: 4
            })
        );
        assert_eq!(
            Message::parse(&hex("03 03 0100 00000000 0000 0000")),
            Err(ParseError::UnknownChannelType(3))
        );
        // The label says 5 bytes, 4 follow.
        assert_eq!(
            Message::parse(&hex("03 00 0100 00000000 0005 0000 63686174")),
            Err(ParseError::Truncated {
                needed: 17,
                have: 16
            })
        );
        // The protocol says 2 bytes, 1 follows.
        assert_eq!(
            Message::parse(&hex("03 00 0100 00000000 0000 0002 61")),
            Err(ParseError::Truncated {
                needed: 14,
                have: 13
            })
        );
        assert_eq!(
            Message::parse(&hex("03 00 0100 00000000 0001 0000 61 62")),
            Err(ParseError::TrailingBytes { extra: 1 })
        );
        assert_eq!(
            Message::parse(&hex("03 00 0100 00000000 0001 0000 ff")),
            Err(ParseError::NotUtf8 { what: "label" })
        );
        assert_eq!(
            Message::parse(&hex("03 00 0100 00000000 0000 0001 c3")),
            Err(ParseError::NotUtf8 { what: "protocol" })
        );
    }

    #[test]
    fn writing_refuses_small_buffers_and_long_labels() {
        let open = Open {
            channel_type: ChannelType::Reliable,
            priority: Priority::LOW,
            reliability_parameter: 0,
            label: "chat",
            protocol: "",
        };
        let mut small = [0u8; 15];
        assert_eq!(
            Message::Open(open).write_to(&mut small),
            Err(WriteError::BufferTooSmall {
                needed: 16,
                have: 15
            })
        );
        assert_eq!(
            Message::Ack.write_to(&mut []),
            Err(WriteError::BufferTooSmall { needed: 1, have: 0 })
        );
        let long = "x".repeat(MAX_LABEL_LEN + 1);
        let open = Open {
            label: &long,
            ..open
        };
        let mut buf = vec![0u8; open.encoded_len()];
        assert_eq!(
            Message::Open(open).write_to(&mut buf),
            Err(WriteError::TooLong {
                what: "label",
                len: MAX_LABEL_LEN + 1
            })
        );
    }

    #[test]
    fn channel_types_map_both_ways() {
        for value in 0..=255u8 {
            if let Some(kind) = ChannelType::from_u8(value) {
                assert_eq!(kind.to_u8(), value);
                let (back, parameter) =
                    ChannelType::from_options(kind.is_ordered(), kind.reliability(7));
                assert_eq!(back, kind);
                assert_eq!(
                    parameter,
                    if kind.reliability(7) == Reliability::Reliable {
                        0
                    } else {
                        7
                    }
                );
            }
        }
        assert_eq!(
            ChannelType::PartialReliableTimed.reliability(1 << 20),
            Reliability::MaxPacketLifeTime(u16::MAX)
        );
    }
}
