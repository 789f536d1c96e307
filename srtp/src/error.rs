//! Why a packet was refused (by [`Session::unprotect_rtp`] and
//! [`Session::unprotect_rtcp`]: the peer's doing) or could not be protected
//! (by [`Session::protect_rtp`] and [`Session::protect_rtcp`]: the
//! caller's), and why a session could not be made.
//!
//! [`Session::unprotect_rtp`]: crate::Session::unprotect_rtp
//! [`Session::unprotect_rtcp`]: crate::Session::unprotect_rtcp
//! [`Session::protect_rtp`]: crate::Session::protect_rtp
//! [`Session::protect_rtcp`]: crate::Session::protect_rtcp

/// Why a received SRTP or SRTCP packet was refused. In every case the
/// session's state is unchanged (an authentication failure or a replay
/// never moves a rollover counter or a replay window, nor creates a
/// stream). The buffer's contents after an error are unspecified (with the
/// `aws-lc-rs` backend, the payload of a GCM packet that fails
/// authentication is overwritten).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UnprotectError {
    /// Shorter than the smallest packet the profile can produce.
    #[error("too short: need at least {needed} bytes, have {have}")]
    TooShort {
        /// The smallest length that could be valid.
        needed: usize,
        /// The packet's length.
        have: usize,
    },
    /// Not an RTP or RTCP packet, or its header does not fit.
    #[error("malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// A new SSRC, and the session already tracks as many streams as
    /// [`Config::max_streams`](crate::Config::max_streams) allows.
    #[error("SSRC {ssrc:#010x} is new and the session already has {limit} streams")]
    TooManyStreams {
        /// The SSRC of the packet.
        ssrc: u32,
        /// The limit.
        limit: usize,
    },
    /// The packet carries another MKI than the session's.
    #[error("unknown MKI")]
    UnknownMki,
    /// The authentication tag does not match: the packet was altered, or
    /// protected with another key or another rollover counter.
    #[error("authentication failed")]
    AuthenticationFailed,
    /// The packet index was already accepted (RFC 3711 §3.3.2).
    #[error("replayed: packet index {index} was already received")]
    Replayed {
        /// The packet index (SRTP: 48 bits; SRTCP: 31 bits).
        index: u64,
    },
    /// The packet index is behind the replay window: it can no longer be
    /// told apart from a replay.
    #[error("too old: packet index {index} is behind the replay window (highest {highest})")]
    TooOld {
        /// The packet index.
        index: u64,
        /// The highest index received.
        highest: u64,
    },
    /// The estimated packet index is past 2^48 − 1: the rollover counter is
    /// exhausted and the stream must be keyed again.
    #[error("packet index past 2^48 - 1: rollover counter exhausted")]
    IndexExhausted,
}

/// Why a packet could not be protected. These come from the caller (a
/// buffer too small, a packet that is not RTP), never from the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtectError {
    /// The buffer cannot hold the protected packet.
    #[error("buffer too small: need {needed} bytes, have {have}")]
    BufferTooSmall {
        /// The length needed.
        needed: usize,
        /// The buffer's length.
        have: usize,
    },
    /// Not an RTP (or RTCP) packet, or its header does not fit.
    #[error("malformed: {reason}")]
    Malformed {
        /// What is wrong.
        reason: &'static str,
    },
    /// A new SSRC, and the session already tracks as many streams as
    /// [`Config::max_streams`](crate::Config::max_streams) allows.
    #[error("SSRC {ssrc:#010x} is new and the session already has {limit} streams")]
    TooManyStreams {
        /// The SSRC of the packet.
        ssrc: u32,
        /// The limit.
        limit: usize,
    },
    /// The stream has used every packet index the key allows (2^48 SRTP
    /// packets, 2^31 SRTCP packets, RFC 3711 §9.2): it must be keyed again.
    #[error("SSRC {ssrc:#010x}: every packet index of this key is used")]
    IndexExhausted {
        /// The SSRC of the stream.
        ssrc: u32,
    },
}

/// Why a [`Config`](crate::Config) was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A replay window of 0 or more than
    /// [`MAX_REPLAY_WINDOW`](crate::MAX_REPLAY_WINDOW) packets.
    #[error("replay window must be 1 to {max} packets, got {got}")]
    ReplayWindow {
        /// The size given.
        got: u32,
        /// The largest accepted.
        max: u32,
    },
    /// An MKI of 0 or more than [`MAX_MKI_LEN`](crate::MAX_MKI_LEN) bytes.
    #[error("MKI must be 1 to {max} bytes, got {got}")]
    MkiLength {
        /// The length given.
        got: usize,
        /// The longest accepted.
        max: usize,
    },
    /// Session keys for one profile given with the keys of another.
    #[error("SRTP keys are for {rtp}, SRTCP keys for {rtcp}")]
    ProfileMismatch {
        /// The SRTP keys' profile.
        rtp: crate::ProtectionProfile,
        /// The SRTCP keys' profile.
        rtcp: crate::ProtectionProfile,
    },
}
