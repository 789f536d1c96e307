//! Errors: [`ReceiveError`] for a broken packet from the peer, [`Error`]
//! for a command the association cannot carry out.

use crate::channel::{ChannelId, ChannelState};

/// Why a packet given to
/// [`handle_receive`](crate::Association::handle_receive) was dropped.
///
/// The association is unchanged by a dropped packet and stays usable.
/// `Copy`, with static context only: refusing hostile input allocates
/// nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// Shorter than the 12-byte SCTP common header.
    #[error("SCTP packet truncated: {len} bytes, the common header alone is 12")]
    Truncated {
        /// The packet's length.
        len: usize,
    },
    /// The ports are not the `a=sctp-port` values of the two sides.
    #[error("SCTP ports {source_port} -> {destination_port} are not this association's")]
    WrongPorts {
        /// The packet's source port.
        source_port: u16,
        /// The packet's destination port.
        destination_port: u16,
    },
    /// The CRC32c checksum does not match (RFC 9260 §6.8).
    #[error("SCTP checksum mismatch")]
    BadChecksum,
    /// The packet carries DATA more than
    /// [`MAX_TSN_GAP`](crate::MAX_TSN_GAP) chunks beyond what we
    /// acknowledged: past any window we offered (RFC 9260 §6.2 lets a
    /// receiver drop it; a real sender retransmits).
    #[error("SCTP DATA with TSN {tsn} is far beyond the receive window")]
    BeyondWindow {
        /// The TSN.
        tsn: u32,
    },
    /// The chunks do not fit the packet.
    #[error("malformed SCTP packet: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
}

/// Why a command was refused. These are the caller's mistakes or limits
/// of this side, never the peer's: the association is unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The association is closed (lost, aborted or shut down).
    #[error("the association is closed")]
    AssociationClosed,
    /// No channel has this id.
    #[error("no {0}")]
    UnknownChannel(ChannelId),
    /// A channel already has this id (a negotiated id must be free).
    #[error("{0} is in use")]
    ChannelIdInUse(ChannelId),
    /// Stream ids go from 0 to [`MAX_CHANNELS`](crate::MAX_CHANNELS) - 1.
    #[error("stream id {id} is out of range (0 to {max})")]
    ChannelIdOutOfRange {
        /// The id asked for.
        id: u16,
        /// The largest id.
        max: u16,
    },
    /// [`MAX_CHANNELS`](crate::MAX_CHANNELS) channels exist, or no stream id
    /// of this side's parity is free.
    #[error("too many data channels (at most {limit})")]
    TooManyChannels {
        /// The cap.
        limit: usize,
    },
    /// A label or protocol longer than DCEP's 16-bit length fields.
    #[error("the channel {what} is {len} bytes, more than 65535")]
    TooLong {
        /// `"label"` or `"protocol"`.
        what: &'static str,
        /// Its length.
        len: usize,
    },
    /// The channel is not open (still connecting, closing or closed).
    #[error("{channel} is {state:?}, not open")]
    NotOpen {
        /// The channel.
        channel: ChannelId,
        /// Its state.
        state: ChannelState,
    },
    /// The message is larger than the peer's `a=max-message-size`.
    #[error("message of {len} bytes is larger than the peer accepts ({max} bytes)")]
    MessageTooLarge {
        /// The message's length.
        len: usize,
        /// The peer's limit.
        max: usize,
    },
    /// Queuing the message would take the bytes waiting to be sent over
    /// [`Config::max_buffered_amount`](crate::Config::max_buffered_amount):
    /// wait for [`Event::BufferedAmountLow`](crate::Event::BufferedAmountLow).
    #[error("send buffer full: {buffered} bytes queued, {len} more would pass {limit}")]
    BufferFull {
        /// Bytes queued on every channel.
        buffered: usize,
        /// The message's length.
        len: usize,
        /// The cap.
        limit: usize,
    },
    /// A port of zero.
    #[error("SCTP port 0 is not allowed")]
    InvalidPort,
    /// The SCTP layer refused the operation.
    #[error("SCTP: {0}")]
    Sctp(&'static str),
}
