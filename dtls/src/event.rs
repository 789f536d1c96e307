//! What comes out of an [`Endpoint`](crate::Endpoint): events, states,
//! counters, and the errors of its inputs and commands.

use alloc::vec::Vec;

use sansrtc_srtp::DtlsRole;

use crate::certificate::Fingerprint;
use crate::config::Version;
use crate::keying::Srtp;

/// Something the caller should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The handshake completed and the peer's certificate matched the
    /// remote description's fingerprint: keys for SRTP, and application
    /// data may flow. Comes once, never before the fingerprint check.
    Connected(Connected),
    /// Application data from the peer (for SCTP), in order of arrival.
    ApplicationData(Vec<u8>),
    /// The peer closed the connection (close_notify, RFC 5246 §7.2.1). No
    /// more application data comes.
    PeerClosed,
    /// The connection failed; no keys come and nothing more is sent.
    Failed(Failure),
}

/// The outcome of a handshake, in [`Event::Connected`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Connected {
    /// The role this endpoint played.
    pub role: DtlsRole,
    /// The DTLS version negotiated.
    pub version: Version,
    /// The remote description's fingerprint the peer's certificate
    /// matched.
    pub remote_fingerprint: Fingerprint,
    /// The SRTP profile and keys (RFC 5764 §4.2); `None` only when SRTP is
    /// not required and the peer offered no `use_srtp`.
    pub srtp: Option<Srtp>,
}

/// Why a connection failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, thiserror::Error)]
#[non_exhaustive]
pub enum Failure {
    /// The peer's certificate matches none of the remote description's
    /// fingerprints (RFC 8122 §5): someone else is answering. No key was
    /// given out.
    #[error("the peer's certificate does not match the remote fingerprint")]
    FingerprintMismatch,
    /// The remote description has no fingerprint with a usable hash
    /// function (SHA-256, SHA-384 or SHA-512).
    #[error("no remote fingerprint with a usable hash function")]
    NoUsableFingerprint,
    /// The handshake did not complete (with the peer verified) within the
    /// configured handshake timeout, or a flight went unanswered through
    /// every retransmission.
    #[error("the handshake timed out")]
    Timeout,
    /// The handshake ended without an SRTP profile (the peer did not offer
    /// or accept `use_srtp`) and SRTP is required.
    #[error("no SRTP protection profile was negotiated")]
    NoSrtpProfile,
    /// The negotiated SRTP profile is not one the configuration accepts.
    #[error("the negotiated SRTP profile is not accepted")]
    SrtpProfileNotAccepted,
    /// The DTLS library ended the connection: a protocol error, a bad
    /// signature, a renegotiation attempt, ...; the text says which.
    #[error("DTLS: {0}")]
    Protocol(&'static str),
}

/// What the endpoint did with a datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// A DTLS datagram, handed to DTLS (which may still have discarded
    /// records in it: replays, records it cannot decrypt).
    Dtls,
    /// A DTLS datagram received before [`Endpoint::start`](crate::Endpoint::start),
    /// kept until then.
    Buffered,
    /// Not DTLS (RFC 7983: the first byte is not 20 to 63): someone
    /// else's, such as STUN or SRTP.
    NotDtls,
}

/// Why a datagram was dropped. Apart from [`RecvError::Failed`], nothing
/// changed and the endpoint goes on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// The record framing is broken (the text says where).
    #[error("malformed DTLS datagram: {0}")]
    Malformed(&'static str),
    /// Too many datagrams are waiting: for [`Endpoint::start`](crate::Endpoint::start)
    /// ([`MAX_EARLY_DATAGRAMS`](crate::MAX_EARLY_DATAGRAMS)), or in the
    /// library's receive queue (handshake messages ahead of the next one
    /// expected).
    #[error("too many datagrams are waiting")]
    QueueFull,
    /// The connection is closed or failed.
    #[error("the connection is closed")]
    Closed,
    /// The datagram made the connection fail; [`Event::Failed`] says the
    /// same.
    #[error("the connection failed: {0}")]
    Failed(Failure),
}

/// Misuse of the API by the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// [`Endpoint::start`](crate::Endpoint::start) was already called.
    #[error("the handshake has already started")]
    AlreadyStarted,
    /// The remote fingerprints were already set.
    #[error("the remote fingerprints are already set")]
    FingerprintsAlreadySet,
    /// None of the fingerprints given uses a usable hash function; the
    /// connection fails ([`Failure::NoUsableFingerprint`]).
    #[error("no fingerprint with a usable hash function")]
    NoUsableFingerprint,
    /// More than [`MAX_REMOTE_FINGERPRINTS`](crate::MAX_REMOTE_FINGERPRINTS)
    /// fingerprints.
    #[error("too many fingerprints")]
    TooManyFingerprints,
    /// Application data before [`Event::Connected`].
    #[error("not connected")]
    NotConnected,
    /// Application data larger than [`MAX_APPLICATION_DATA`](crate::MAX_APPLICATION_DATA).
    #[error("application data too large")]
    TooLarge,
    /// [`MAX_QUEUED_TRANSMITS`](crate::MAX_QUEUED_TRANSMITS) datagrams wait
    /// to be sent: drain [`Endpoint::poll_transmit`](crate::Endpoint::poll_transmit).
    #[error("too many datagrams wait to be sent")]
    TransmitQueueFull,
    /// The connection is closed or failed.
    #[error("the connection is closed")]
    Closed,
}

/// Where the connection is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum State {
    /// Made, not started: the role is not known yet.
    New,
    /// Handshaking, or waiting for the remote fingerprint to verify the
    /// peer.
    Handshaking,
    /// Verified and keyed: application data flows.
    Connected,
    /// Closed by either side. Final.
    Closed,
    /// Failed. Final.
    Failed(Failure),
}

/// Counters of what the bounded queues dropped.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Datagrams dropped because [`MAX_QUEUED_TRANSMITS`](crate::MAX_QUEUED_TRANSMITS)
    /// waited to be sent (handshake flights are sent again on their timer).
    pub transmits_dropped: u64,
    /// Application data dropped because [`MAX_QUEUED_EVENTS`](crate::MAX_QUEUED_EVENTS)
    /// events waited, or because more than
    /// [`MAX_EARLY_APPLICATION_DATA`](crate::MAX_EARLY_APPLICATION_DATA)
    /// messages arrived before the peer was verified.
    pub application_data_dropped: u64,
    /// Datagrams received before [`Endpoint::start`](crate::Endpoint::start)
    /// and dropped because [`MAX_EARLY_DATAGRAMS`](crate::MAX_EARLY_DATAGRAMS)
    /// were kept.
    pub early_datagrams_dropped: u64,
    /// Datagrams the library's receive queue refused
    /// ([`RecvError::QueueFull`]).
    pub receive_queue_full: u64,
}
