//! Channels: their options, their state and the messages they carry.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

/// A data channel, named by its SCTP stream identifier (the `id` of
/// `RTCDataChannel`).
///
/// <https://www.rfc-editor.org/rfc/rfc8831#section-6.5>
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ChannelId(pub u16);

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "channel {}", self.0)
    }
}

/// How hard the association tries to deliver each message.
///
/// <https://www.rfc-editor.org/rfc/rfc8831#section-6.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Reliability {
    /// Retransmitted until acknowledged.
    #[default]
    Reliable,
    /// Retransmitted at most this many times (`maxRetransmits`); 0 sends
    /// each message once.
    MaxRetransmits(u16),
    /// Retransmitted for at most this many milliseconds after it was first
    /// sent (`maxPacketLifeTime`).
    MaxPacketLifeTime(u16),
}

/// A channel's priority, as DATA_CHANNEL_OPEN carries it (RFC 8831 §6.4,
/// the W3C `RTCPriorityType`).
///
/// The association signals it to the peer; SCTP as used here sends streams
/// in turn and does not weight them by priority.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Priority(pub u16);

impl Priority {
    /// `very-low` (below normal): 128.
    pub const VERY_LOW: Self = Self(128);
    /// `low` (normal), the default: 256.
    pub const LOW: Self = Self(256);
    /// `medium` (high): 512.
    pub const MEDIUM: Self = Self(512);
    /// `high` (extra high): 1024.
    pub const HIGH: Self = Self(1024);
}

impl Default for Priority {
    fn default() -> Self {
        Self::LOW
    }
}

/// What [`Association::create_channel`](crate::Association::create_channel)
/// opens: start from [`ChannelOptions::new`] and change what differs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelOptions {
    /// The label (may be empty; at most 65535 bytes).
    pub label: String,
    /// The subprotocol (may be empty; at most 65535 bytes).
    pub protocol: String,
    /// Whether messages arrive in the order they were sent.
    pub ordered: bool,
    /// How hard each message is retransmitted.
    pub reliability: Reliability,
    /// The priority announced to the peer.
    pub priority: Priority,
    /// `None`: opened in band with DATA_CHANNEL_OPEN, on a stream id this
    /// side chooses (even for the DTLS client, odd for the server).
    /// `Some(id)`: negotiated by the application (`negotiated: true`): no
    /// DCEP, the other side creates the same channel with the same id.
    pub negotiated: Option<u16>,
}

impl ChannelOptions {
    /// A reliable, ordered channel opened in band, with `label`, no
    /// subprotocol and the default priority.
    pub fn new(label: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            protocol: String::new(),
            ordered: true,
            reliability: Reliability::Reliable,
            priority: Priority::LOW,
            negotiated: None,
        }
    }

    /// Sets whether messages arrive in order.
    #[must_use]
    pub fn with_ordered(mut self, ordered: bool) -> Self {
        self.ordered = ordered;
        self
    }

    /// Sets the reliability.
    #[must_use]
    pub fn with_reliability(mut self, reliability: Reliability) -> Self {
        self.reliability = reliability;
        self
    }

    /// Sets the subprotocol.
    #[must_use]
    pub fn with_protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = protocol.into();
        self
    }

    /// Sets the priority.
    #[must_use]
    pub fn with_priority(mut self, priority: Priority) -> Self {
        self.priority = priority;
        self
    }

    /// Makes it a pre-negotiated channel on stream `id`.
    #[must_use]
    pub fn with_negotiated(mut self, id: u16) -> Self {
        self.negotiated = Some(id);
        self
    }
}

/// Where a channel is in its life (the W3C `RTCDataChannelState`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelState {
    /// Created, waiting for the association (or, for a channel the peer
    /// opens, not reported yet).
    Connecting,
    /// Messages flow both ways.
    Open,
    /// Its streams are being reset; no more sending.
    Closing,
    /// Gone; its id may be taken again.
    Closed,
}

/// A message to send: text goes out with PPID 51 (56 when empty), binary
/// with PPID 53 (57 when empty).
///
/// <https://www.rfc-editor.org/rfc/rfc8831#section-8>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message<'a> {
    /// A UTF-8 string (`send(string)`).
    Text(&'a str),
    /// Bytes (`send(ArrayBuffer)`).
    Binary(&'a [u8]),
}

impl Message<'_> {
    /// The message's length in bytes (what `bufferedAmount` counts).
    pub const fn len(&self) -> usize {
        match self {
            Self::Text(text) => text.len(),
            Self::Binary(bytes) => bytes.len(),
        }
    }

    /// Whether the message is empty (sent with the "empty" PPIDs).
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A message that arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payload {
    /// A string (PPID 51 or 56).
    Text(String),
    /// Bytes (PPID 53 or 57).
    Binary(Vec<u8>),
}

impl Payload {
    /// The message borrowed, in the shape [`Association::send`] takes (to
    /// echo it back, for example).
    ///
    /// [`Association::send`]: crate::Association::send
    pub fn as_message(&self) -> Message<'_> {
        match self {
            Self::Text(text) => Message::Text(text),
            Self::Binary(bytes) => Message::Binary(bytes),
        }
    }

    /// Its length in bytes.
    pub fn len(&self) -> usize {
        self.as_message().len()
    }

    /// Whether it is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What the association knows about one channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Channel {
    pub(crate) id: ChannelId,
    pub(crate) label: String,
    pub(crate) protocol: String,
    pub(crate) ordered: bool,
    pub(crate) reliability: Reliability,
    pub(crate) priority: Priority,
    pub(crate) negotiated: bool,
    pub(crate) state: ChannelState,
    pub(crate) buffered_amount: usize,
    pub(crate) buffered_amount_low_threshold: usize,
    /// DCEP bytes written on the stream and perhaps not acknowledged yet:
    /// the SCTP layer counts them in its buffered amount, `bufferedAmount`
    /// must not. Cleared when the SCTP buffered amount reaches 0.
    pub(crate) dcep_unacked: usize,
    /// Whether it was opened by the peer's DATA_CHANNEL_OPEN.
    pub(crate) remote: bool,
    /// For channels we opened in band: DATA_CHANNEL_ACK not seen yet, so
    /// messages still go out ordered (RFC 8832 §6).
    pub(crate) awaiting_ack: bool,
    /// The stream exists in the SCTP association.
    pub(crate) stream_open: bool,
    /// Closing was reported to the application.
    pub(crate) closing_reported: bool,
    /// The peer reset its outgoing stream (we saw the incoming reset).
    pub(crate) incoming_reset: bool,
}

impl Channel {
    /// Its stream identifier.
    pub fn id(&self) -> ChannelId {
        self.id
    }

    /// Its label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Its subprotocol.
    pub fn protocol(&self) -> &str {
        &self.protocol
    }

    /// Whether messages arrive in order.
    pub fn ordered(&self) -> bool {
        self.ordered
    }

    /// Its reliability.
    pub fn reliability(&self) -> Reliability {
        self.reliability
    }

    /// Its priority.
    pub fn priority(&self) -> Priority {
        self.priority
    }

    /// Whether it was negotiated by the application (no DCEP).
    pub fn negotiated(&self) -> bool {
        self.negotiated
    }

    /// Where it is in its life.
    pub fn state(&self) -> ChannelState {
        self.state
    }

    /// Bytes of sent messages not yet acknowledged by the peer (or
    /// abandoned), as of the latest input.
    pub fn buffered_amount(&self) -> usize {
        self.buffered_amount
    }

    /// The level at or under which [`Event::BufferedAmountLow`] fires.
    ///
    /// [`Event::BufferedAmountLow`]: crate::Event::BufferedAmountLow
    pub fn buffered_amount_low_threshold(&self) -> usize {
        self.buffered_amount_low_threshold
    }
}
