//! [`Session`]: one key's SRTP and SRTCP contexts, and its [`Config`].

use alloc::vec::Vec;

use crate::cipher::Cipher;
use crate::context::{MAX_REPLAY_WINDOW, Streams};
use crate::error::ConfigError;
use crate::kdf::SessionKeys;
use crate::profile::{MasterKey, ProtectionProfile};

/// The longest MKI a [`Config`] accepts, in bytes (as libsrtp).
pub const MAX_MKI_LEN: usize = 128;

/// The default replay window, in packets.
pub const DEFAULT_REPLAY_WINDOW: u32 = 1024;

/// The default cap on streams (SSRCs) per direction.
pub const DEFAULT_MAX_STREAMS: usize = 128;

/// How a [`Session`] protects and checks packets.
///
/// ```
/// use sansrtc_srtp::Config;
///
/// let mut config = Config::default();
/// config.replay_window = 128;
/// config.mki = Some(vec![1, 2, 3, 4]);
/// assert!(config.encrypt_rtcp);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// How many packets behind the highest one received are still
    /// accepted (once each), for SRTP and SRTCP alike (RFC 3711 §3.3.2).
    /// Default [`DEFAULT_REPLAY_WINDOW`] (1024; libsrtp's default is 128),
    /// at most [`MAX_REPLAY_WINDOW`].
    pub replay_window: u32,
    /// How many SSRCs the session tracks in each direction; a packet of a
    /// new SSRC beyond that is refused
    /// ([`UnprotectError::TooManyStreams`](crate::UnprotectError::TooManyStreams)).
    /// Default [`DEFAULT_MAX_STREAMS`]. Each stream costs about 100 bytes
    /// plus its replay windows (`replay_window / 8` bytes each, rounded up
    /// to a power of two words). A receiving stream is created only by a
    /// packet that authenticates.
    pub max_streams: usize,
    /// Whether SRTCP packets are encrypted (the E flag, RFC 3711 §3.4);
    /// default `true`. Received SRTCP packets are read as their E flag
    /// says, whatever this is.
    pub encrypt_rtcp: bool,
    /// The MKI to append to every packet and to expect on every received
    /// one (RFC 3711 §3.1); default `None`, as in WebRTC (RFC 5764 keys
    /// carry no MKI).
    pub mki: Option<Vec<u8>>,
    /// Cryptex (RFC 9335, negotiated by `a=cryptex`): also encrypt the
    /// CSRCs and RFC 8285 header extensions of SRTP packets (marking the
    /// extension block 0xC0DE or 0xC2DE, and adding an empty one to a
    /// packet with CSRCs and no extension), and decrypt received packets
    /// so marked. Default `false`.
    pub cryptex: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            replay_window: DEFAULT_REPLAY_WINDOW,
            max_streams: DEFAULT_MAX_STREAMS,
            encrypt_rtcp: true,
            mki: None,
            cryptex: false,
        }
    }
}

/// The SRTP and SRTCP contexts of one master key: every SSRC protected or
/// unprotected with it, each with its rollover counter, SRTCP index and
/// replay windows (RFC 3711 §3.2).
///
/// In WebRTC, make one session with [`KeyingMaterial::local`] to protect
/// what you send and one with [`KeyingMaterial::remote`] to unprotect what
/// you receive. A session keeps sending and receiving streams apart, so
/// one session may also do both (a loopback, a test).
///
/// Protection works in place, on the caller's buffer, and allocates
/// nothing per packet (only a new stream allocates, once).
///
/// [`KeyingMaterial::local`]: crate::KeyingMaterial::local
/// [`KeyingMaterial::remote`]: crate::KeyingMaterial::remote
pub struct Session {
    pub(crate) profile: ProtectionProfile,
    pub(crate) rtp: Cipher,
    pub(crate) rtcp: Cipher,
    pub(crate) config: Config,
    pub(crate) outbound: Streams,
    pub(crate) inbound: Streams,
}

impl Session {
    /// A session keyed by `key`: derives the SRTP and SRTCP session keys
    /// (RFC 3711 §4.3, key derivation rate 0).
    pub fn new(key: &MasterKey, config: Config) -> Result<Self, ConfigError> {
        Self::from_session_keys(
            &SessionKeys::derive_rtp(key),
            &SessionKeys::derive_rtcp(key),
            config,
        )
    }

    /// A session keyed with session keys given directly (no derivation),
    /// as the test vectors of RFC 3711 Appendix B.2 and RFC 7714 give them.
    pub fn from_session_keys(
        rtp: &SessionKeys,
        rtcp: &SessionKeys,
        config: Config,
    ) -> Result<Self, ConfigError> {
        if rtp.profile() != rtcp.profile() {
            return Err(ConfigError::ProfileMismatch {
                rtp: rtp.profile(),
                rtcp: rtcp.profile(),
            });
        }
        if config.replay_window == 0 || config.replay_window > MAX_REPLAY_WINDOW {
            return Err(ConfigError::ReplayWindow {
                got: config.replay_window,
                max: MAX_REPLAY_WINDOW,
            });
        }
        if let Some(mki) = &config.mki
            && (mki.is_empty() || mki.len() > MAX_MKI_LEN)
        {
            return Err(ConfigError::MkiLength {
                got: mki.len(),
                max: MAX_MKI_LEN,
            });
        }
        Ok(Self::build(rtp, rtcp, config))
    }

    /// A session with keys of one profile and a configuration already
    /// checked.
    pub(crate) fn build(rtp: &SessionKeys, rtcp: &SessionKeys, config: Config) -> Self {
        Self {
            profile: rtp.profile(),
            rtp: Cipher::new(rtp),
            rtcp: Cipher::new(rtcp),
            config,
            outbound: Streams::default(),
            inbound: Streams::default(),
        }
    }

    /// The protection profile.
    pub const fn profile(&self) -> ProtectionProfile {
        self.profile
    }

    /// The configuration.
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// How many bytes [`protect_rtp`](Self::protect_rtp) may add to a
    /// packet: the MKI, if any, the authentication tag, and with cryptex
    /// the 4 bytes of an empty extension block.
    pub fn rtp_overhead(&self) -> usize {
        self.mki_len() + self.profile.rtp_auth_tag_len() + if self.config.cryptex { 4 } else { 0 }
    }

    /// How many bytes [`protect_rtcp`](Self::protect_rtcp) adds to a
    /// packet: the E flag and SRTCP index, the MKI, the tag.
    pub fn rtcp_overhead(&self) -> usize {
        4 + self.mki_len() + self.profile.rtcp_auth_tag_len()
    }

    /// The rollover counter of a sending (`outbound`) or receiving stream,
    /// if it has sent or accepted an SRTP packet.
    pub fn rollover_counter(&self, ssrc: u32, outbound: bool) -> Option<u32> {
        let streams = if outbound {
            &self.outbound
        } else {
            &self.inbound
        };
        let position = streams.find(ssrc).ok()?;
        let highest = streams.get(position)?.rtp.highest?;
        u32::try_from(highest >> 16).ok()
    }

    /// Forgets a stream in both directions (for example after RTCP BYE),
    /// making room for another; returns whether there was one.
    pub fn remove_stream(&mut self, ssrc: u32) -> bool {
        let outbound = self.outbound.remove(ssrc);
        let inbound = self.inbound.remove(ssrc);
        outbound || inbound
    }

    /// How many sending and receiving streams the session tracks.
    pub fn stream_count(&self) -> (usize, usize) {
        (self.outbound.len(), self.inbound.len())
    }

    pub(crate) fn mki_len(&self) -> usize {
        self.config.mki.as_ref().map_or(0, Vec::len)
    }

    pub(crate) fn mki(&self) -> &[u8] {
        self.config.mki.as_deref().unwrap_or(&[])
    }
}

impl core::fmt::Debug for Session {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Session")
            .field("profile", &self.profile)
            .field("config", &self.config)
            .field("outbound_ssrcs", &self.outbound.ssrcs())
            .field("inbound_ssrcs", &self.inbound.ssrcs())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_can_move_between_threads() {
        fn send_and_sync<T: Send + Sync>() {}
        send_and_sync::<Session>();
    }
}
