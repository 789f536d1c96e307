//! What comes out of a [`Peer`](crate::Peer): events, the states of the W3C
//! `RTCPeerConnection`, received media, and the errors of its inputs and
//! commands.

use alloc::string::String;
use alloc::vec::Vec;

use bytes::Bytes;

use sansrtc_srtp::ProtectionProfile;

use crate::simulcast::Rid;

pub use sansrtc_ice::ConnectionState as IceConnectionState;

/// A transceiver's media identification tag (`a=mid`), which names it in
/// every command and event.
pub type Mid = String;

/// The kind of media a transceiver carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum MediaKind {
    /// `m=audio`.
    Audio,
    /// `m=video`.
    Video,
}

/// Where the offer/answer exchange is, after the W3C `RTCSignalingState`.
///
/// <https://www.w3.org/TR/webrtc/#rtcsignalingstate-enum>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignalingState {
    /// No exchange under way.
    Stable,
    /// We sent an offer and wait for the answer.
    HaveLocalOffer,
    /// We received an offer and owe an answer.
    HaveRemoteOffer,
    /// The peer connection is closed.
    Closed,
}

/// Where DTLS is, after the W3C `RTCDtlsTransportState`.
///
/// <https://www.w3.org/TR/webrtc/#rtcdtlstransportstate-enum>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DtlsState {
    /// Not started: ICE has no pair yet, or the remote description is
    /// missing.
    New,
    /// Handshaking.
    Connecting,
    /// Handshake done and the peer's certificate matched its fingerprint.
    Connected,
    /// Closed by either side.
    Closed,
    /// Failed (the cause is in [`Event::Failed`]).
    Failed,
}

/// The state of the whole connection, after the W3C
/// `RTCPeerConnectionState`: the worst of ICE and DTLS.
///
/// <https://www.w3.org/TR/webrtc/#rtcpeerconnectionstate-enum>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Nothing started.
    New,
    /// ICE checking or DTLS handshaking.
    Connecting,
    /// ICE connected and DTLS connected: media flows.
    Connected,
    /// ICE lost consent for a while; may recover.
    Disconnected,
    /// ICE or DTLS failed.
    Failed,
    /// Closed.
    Closed,
}

/// Why a keyframe was asked for (RFC 4585 §6.3.1, RFC 5104 §4.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyframeRequest {
    /// Picture Loss Indication.
    Pli,
    /// Full Intra Request.
    Fir,
}

/// An RTP packet received, decrypted and routed to its transceiver.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MediaPacket {
    /// The transceiver it belongs to.
    pub mid: Mid,
    /// Its simulcast layer, on a transceiver that receives simulcast
    /// (RFC 8852: named by the stream's first packets, remembered for
    /// the others).
    pub rid: Option<Rid>,
    /// Its payload type (one of the transceiver's agreed codecs).
    pub payload_type: u8,
    /// The sender's sequence number.
    pub sequence_number: u16,
    /// The RTP timestamp.
    pub timestamp: u32,
    /// The marker bit.
    pub marker: bool,
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The payload (padding removed).
    pub payload: Payload,
}

/// The payload of a received packet: bytes ([`Deref`](core::ops::Deref)
/// to `[u8]`, comparable with byte arrays, slices and vectors).
///
/// It shares a pooled block of [`PAYLOAD_BLOCK`](crate::PAYLOAD_BLOCK)
/// bytes with the payloads received around it, so that receiving
/// allocates nothing per packet: the block is reused once every payload
/// in it is dropped. Copy it ([`to_vec`](slice::to_vec)) to keep one for
/// long; [`into_bytes`](Self::into_bytes) shares it.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Payload(Bytes);

impl Payload {
    pub(crate) const fn new(bytes: Bytes) -> Self {
        Self(bytes)
    }

    /// The bytes, shared.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl core::fmt::Debug for Payload {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        core::fmt::Debug::fmt(&self.0, f)
    }
}

impl core::ops::Deref for Payload {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        &self.0
    }
}

impl AsRef<[u8]> for Payload {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl core::borrow::Borrow<[u8]> for Payload {
    fn borrow(&self) -> &[u8] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Payload {
    type Item = &'a u8;
    type IntoIter = core::slice::Iter<'a, u8>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl From<Payload> for Bytes {
    fn from(payload: Payload) -> Self {
        payload.0
    }
}

impl From<Payload> for Vec<u8> {
    fn from(payload: Payload) -> Self {
        payload.0.into()
    }
}

impl PartialEq<[u8]> for Payload {
    fn eq(&self, other: &[u8]) -> bool {
        *self.0 == *other
    }
}

impl PartialEq<&[u8]> for Payload {
    fn eq(&self, other: &&[u8]) -> bool {
        *self.0 == **other
    }
}

impl<const N: usize> PartialEq<[u8; N]> for Payload {
    fn eq(&self, other: &[u8; N]) -> bool {
        *self.0 == other[..]
    }
}

impl PartialEq<Vec<u8>> for Payload {
    fn eq(&self, other: &Vec<u8>) -> bool {
        *self.0 == other[..]
    }
}

impl PartialEq<Payload> for [u8] {
    fn eq(&self, other: &Payload) -> bool {
        *self == *other.0
    }
}

impl<const N: usize> PartialEq<Payload> for [u8; N] {
    fn eq(&self, other: &Payload) -> bool {
        self[..] == *other.0
    }
}

impl PartialEq<Payload> for Vec<u8> {
    fn eq(&self, other: &Payload) -> bool {
        self[..] == *other.0
    }
}

/// Something the caller should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A local ICE candidate to signal to the other side (trickle ICE):
    /// `candidate` is the `candidate:...` string of
    /// `RTCIceCandidate.candidate`, `mid` the m-line it belongs to (the
    /// BUNDLE group's first).
    LocalCandidate {
        /// `candidate:<foundation> ...`.
        candidate: String,
        /// The `sdpMid`.
        mid: Mid,
    },
    /// Gathering is complete: signal the end of candidates.
    GatheringComplete,
    /// The ICE connection state changed.
    IceConnectionState(IceConnectionState),
    /// The DTLS state changed.
    DtlsState(DtlsState),
    /// The connection state changed.
    ConnectionState(ConnectionState),
    /// The signaling state changed.
    SignalingState(SignalingState),
    /// DTLS-SRTP is keyed with this profile: media can flow.
    SrtpReady {
        /// The negotiated protection profile.
        profile: ProtectionProfile,
    },
    /// A remote offer brought a new m-line: a transceiver now exists for
    /// it (receiving; make it send with
    /// [`Peer::set_direction`](crate::Peer::set_direction) before
    /// answering).
    TransceiverAdded {
        /// Its mid.
        mid: Mid,
        /// Its kind.
        kind: MediaKind,
    },
    /// An RTP packet for one of the transceivers.
    Media(MediaPacket),
    /// A whole frame assembled from the packets of a transceiver in frame
    /// mode ([`Peer::receive_frames`](crate::Peer::receive_frames)), in
    /// decode order.
    Frame {
        /// The transceiver.
        mid: Mid,
        /// The simulcast layer of its stream, on a transceiver that
        /// receives simulcast.
        rid: Option<Rid>,
        /// The payload type of its packets.
        payload_type: u8,
        /// The RTP timestamp of its packets.
        timestamp: u32,
        /// A decoder can start from it (a VP8 or VP9 key frame, an H.264
        /// access unit with SPS, PPS and IDR, every audio frame).
        keyframe: bool,
        /// Frames or packets were lost since the previous frame: an audio
        /// decoder conceals the gap; a video stream has resumed at a
        /// keyframe.
        discontinuity: bool,
        /// The frame in the codec's layout (Annex B for H.264 and H.265,
        /// OBUs for AV1).
        data: Vec<u8>,
    },
    /// The other side asks for a keyframe on a transceiver we send on.
    KeyframeRequested {
        /// The transceiver.
        mid: Mid,
        /// The simulcast layer asked about, on a transceiver that sends
        /// layers.
        rid: Option<Rid>,
        /// How it asked.
        request: KeyframeRequest,
    },
    /// The other side said goodbye (RTCP BYE) on a transceiver.
    RemoteEnded {
        /// The transceiver.
        mid: Mid,
    },
    /// Something happened on a data channel.
    DataChannel {
        /// The channel.
        id: crate::data::DataChannelId,
        /// What.
        event: crate::data::DataChannelEvent,
    },
    /// The connection failed; the cause says why.
    Failed(Failure),
    /// An ICE event the peer does not turn into one of its own, as the
    /// agent gave it: the pair selected ([`SelectedPair`]), TCP
    /// connections to open or close for ICE-TCP ([`OpenConnection`],
    /// [`CloseConnection`]: report back with
    /// [`Peer::handle_connection`](crate::Peer::handle_connection)), TURN
    /// errors and role changes.
    ///
    /// [`SelectedPair`]: sansrtc_ice::Event::SelectedPair
    /// [`OpenConnection`]: sansrtc_ice::Event::OpenConnection
    /// [`CloseConnection`]: sansrtc_ice::Event::CloseConnection
    Ice(sansrtc_ice::Event),
}

/// Why the connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// ICE found no working pair, or consent expired.
    #[error("ICE failed")]
    Ice,
    /// DTLS failed: the peer's certificate did not match the fingerprint in
    /// its description, the handshake timed out, or a protocol error.
    #[error("DTLS failed: {0}")]
    Dtls(sansrtc_dtls::Failure),
    /// DTLS gave keys SRTP could not take.
    #[error("SRTP could not be keyed")]
    Srtp,
}

/// Why a received packet was dropped. The peer stays usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// STUN the ICE agent refused.
    #[error("ICE: {0}")]
    Ice(sansrtc_ice::RecvError),
    /// A DTLS datagram DTLS refused.
    #[error("DTLS: {0}")]
    Dtls(sansrtc_dtls::RecvError),
    /// SRTP or SRTCP that did not authenticate, was replayed, or came
    /// before the keys.
    #[error("SRTP: {0}")]
    Srtp(sansrtc_srtp::UnprotectError),
    /// SRTP before DTLS gave keys.
    #[error("SRTP before the keys")]
    NotKeyed,
    /// RTP or RTCP that does not parse after decryption.
    #[error("malformed RTP or RTCP: {0}")]
    Malformed(sansrtc_rtp::ParseError),
    /// A datagram larger than [`MAX_DATAGRAM`](crate::MAX_DATAGRAM).
    #[error("datagram too large")]
    TooLarge,
    /// RTP for no transceiver (unknown MID, SSRC and payload type).
    #[error("RTP for no transceiver")]
    Unrouted,
    /// RTP on a transceiver that receives simulcast with a rid that was
    /// not agreed (or another one than its stream's), or from a stream no
    /// rid identified yet (RFC 8852), or RTX whose repaired stream is
    /// unknown.
    #[error("RTP of an unknown simulcast layer")]
    Rid,
    /// A packet that is neither STUN, DTLS, RTP nor RTCP (RFC 7983).
    #[error("not a WebRTC packet")]
    Unknown,
    /// Too many [`Event::Media`] wait in [`Peer::poll_event`](crate::Peer::poll_event).
    #[error("too many events wait")]
    QueueFull,
}

/// Misuse of the API by the caller, or a description the peer cannot take.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A description that does not parse.
    #[error("invalid SDP: {0}")]
    Sdp(String),
    /// An offer/answer rule is broken.
    #[error("negotiation: {0}")]
    Negotiation(String),
    /// The call does not fit the signaling state (an answer without an
    /// offer, an offer while one is pending).
    #[error("not allowed in signaling state {0:?}")]
    SignalingState(SignalingState),
    /// No transceiver with this mid.
    #[error("no transceiver {0:?}")]
    UnknownMid(String),
    /// The transceiver does not send (its direction, or the answer's).
    #[error("transceiver {0:?} does not send")]
    NotSending(String),
    /// The payload type is not one the transceiver agreed on.
    #[error("payload type {0} was not agreed")]
    PayloadType(u8),
    /// A rid that is not 1 to [`MAX_RID_LEN`](crate::MAX_RID_LEN)
    /// letters, digits, `-` or `_`, the same rid twice, or too many
    /// ([`MAX_SIMULCAST_LAYERS`](crate::MAX_SIMULCAST_LAYERS)).
    #[error("invalid rid {0:?}")]
    InvalidRid(String),
    /// No simulcast layer with this rid: not one the transceiver sends
    /// (or the answer accepted), or no stream of it received yet.
    #[error("no simulcast layer {0:?}")]
    UnknownRid(String),
    /// Media before DTLS-SRTP is keyed, or without a selected ICE pair.
    #[error("not connected")]
    NotConnected,
    /// The packet does not fit in a datagram.
    #[error("packet too large")]
    TooLarge,
    /// Too many datagrams wait in [`Peer::poll_transmit`](crate::Peer::poll_transmit)
    /// ([`ice::MAX_QUEUED_TRANSMITS`](sansrtc_ice::MAX_QUEUED_TRANSMITS)):
    /// drain it, or send a smaller frame.
    #[error("too many datagrams wait to be sent")]
    QueueFull,
    /// A candidate that does not parse, or the ICE agent refused.
    #[error("ICE: {0}")]
    Ice(String),
    /// The certificate could not be made.
    #[error("certificate: {0}")]
    Certificate(String),
    /// No packetizer for the codec of this payload type
    /// ([`Peer::write_frame`](crate::Peer::write_frame)).
    #[error("no packetizer for payload type {0}")]
    NoPacketizer(u8),
    /// The codec's packetizer refused the frame (malformed for its format,
    /// or a piece that cannot be split to fit).
    #[error("frame: {0}")]
    Packetize(sansrtc_rtp::WriteError),
    /// Too many transceivers ([`MAX_TRANSCEIVERS`](crate::MAX_TRANSCEIVERS)).
    #[error("too many transceivers")]
    TooManyTransceivers,
    /// A data channel operation failed (the text says why: a message
    /// over the other side's `a=max-message-size`, a full send buffer, a
    /// channel that is not open, ...).
    #[error("data channel: {0}")]
    DataChannel(String),
    /// The peer connection is closed.
    #[error("closed")]
    Closed,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_compare_with_bytes_and_read_as_a_slice() {
        let payload = Payload::new(Bytes::from_static(&[1, 2, 3]));
        assert_eq!(payload, [1, 2, 3]);
        assert_eq!([1, 2, 3], payload);
        assert_eq!(payload, alloc::vec![1, 2, 3]);
        assert_eq!(alloc::vec![1u8, 2, 3], payload);
        assert_eq!(payload, [1u8, 2, 3][..]);
        assert_eq!(payload, &[1u8, 2, 3][..]);
        assert_ne!(payload, [1, 2]);
        assert_eq!(payload.len(), 3);
        assert_eq!(&payload[1..], [2, 3]);
        assert_eq!((&payload).into_iter().sum::<u8>(), 6);
        assert_eq!(alloc::format!("{payload:?}"), "b\"\\x01\\x02\\x03\"");
        assert_eq!(Vec::from(payload.clone()), [1, 2, 3]);
        assert_eq!(payload.into_bytes(), Bytes::from_static(&[1, 2, 3]));
    }
}
