//! The configuration of an [`Endpoint`](crate::Endpoint), made once and
//! shared by every connection that uses the same certificate.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::time::Duration;

use sansrtc_srtp::ProtectionProfile;

use crate::certificate::Certificate;
use crate::keying::SUPPORTED_PROFILES;

/// The smallest MTU accepted, in bytes.
pub const MIN_MTU: usize = 256;

/// The largest MTU accepted, in bytes.
pub const MAX_MTU: usize = 16_384;

/// Which DTLS versions an endpoint speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Versions {
    /// DTLS 1.2 only (RFC 6347): what every browser speaks. The default.
    #[default]
    Dtls12,
    /// DTLS 1.3 only (RFC 9147).
    Dtls13,
    /// Either: a client offers both in one ClientHello and follows the
    /// server's choice; a server takes 1.3 when the ClientHello offers it
    /// and 1.2 otherwise.
    Auto,
}

/// A negotiated DTLS version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Version {
    /// DTLS 1.2 (RFC 6347).
    Dtls12,
    /// DTLS 1.3 (RFC 9147).
    Dtls13,
}

/// Why a configuration was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The SRTP profile list is empty or names none that the DTLS library
    /// can negotiate ([`SUPPORTED_PROFILES`](crate::SUPPORTED_PROFILES)).
    #[error("no SRTP protection profile that DTLS can negotiate")]
    NoSrtpProfile,
    /// The MTU is outside [`MIN_MTU`]..=[`MAX_MTU`].
    #[error("the MTU must be {MIN_MTU} to {MAX_MTU} bytes")]
    Mtu,
    /// A duration is zero or longer than a day.
    #[error("{0} must be more than zero and at most a day")]
    Duration(&'static str),
    /// The DTLS library refused the configuration.
    #[error("the DTLS library refused the configuration")]
    Library,
}

/// How an [`Endpoint`](crate::Endpoint) runs DTLS. Made with
/// [`Config::builder`]; cloning is cheap, so one configuration serves
/// every connection that presents the same certificate.
///
/// ```
/// use std::time::Duration;
/// use sansrtc_dtls::{Certificate, Config, ProtectionProfile};
///
/// let config = Config::builder(Certificate::generate()?)
///     .srtp_profiles(&[ProtectionProfile::AeadAes128Gcm, ProtectionProfile::Aes128CmHmacSha1_80])
///     .handshake_timeout(Duration::from_secs(20))
///     .build()?;
/// assert_eq!(config.mtu(), 1150);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    settings: ConfigBuilder,
    dimpl: Arc<dimpl::Config>,
}

/// Builds a [`Config`]; every setting has a default.
#[derive(Debug, Clone)]
#[must_use]
pub struct ConfigBuilder {
    certificate: Certificate,
    srtp_profiles: Vec<ProtectionProfile>,
    require_srtp: bool,
    versions: Versions,
    handshake_timeout: Duration,
    initial_rto: Duration,
    flight_retries: usize,
    mtu: usize,
    cookie_exchange: bool,
    seed: Option<[u8; 32]>,
}

impl Config {
    /// A builder for a configuration presenting `certificate`.
    pub fn builder(certificate: Certificate) -> ConfigBuilder {
        ConfigBuilder {
            certificate,
            srtp_profiles: SUPPORTED_PROFILES.to_vec(),
            require_srtp: true,
            versions: Versions::Dtls12,
            handshake_timeout: Duration::from_secs(30),
            initial_rto: Duration::from_secs(1),
            flight_retries: 5,
            mtu: 1150,
            cookie_exchange: false,
            seed: None,
        }
    }

    /// The certificate this endpoint presents.
    pub fn certificate(&self) -> &Certificate {
        &self.inner.settings.certificate
    }

    /// The SRTP protection profiles accepted.
    pub fn srtp_profiles(&self) -> &[ProtectionProfile] {
        &self.inner.settings.srtp_profiles
    }

    /// Whether a handshake without an SRTP profile fails.
    pub fn require_srtp(&self) -> bool {
        self.inner.settings.require_srtp
    }

    /// The DTLS versions spoken.
    pub fn versions(&self) -> Versions {
        self.inner.settings.versions
    }

    /// How long a handshake may take, from
    /// [`Endpoint::start`](crate::Endpoint::start) to the verified peer.
    pub fn handshake_timeout(&self) -> Duration {
        self.inner.settings.handshake_timeout
    }

    /// The first retransmission timeout of a flight.
    pub fn initial_rto(&self) -> Duration {
        self.inner.settings.initial_rto
    }

    /// How many times a flight is sent again before the handshake fails.
    pub fn flight_retries(&self) -> usize {
        self.inner.settings.flight_retries
    }

    /// The largest datagram the endpoint writes during the handshake.
    pub fn mtu(&self) -> usize {
        self.inner.settings.mtu
    }

    /// Whether a server asks for a cookie before the handshake.
    pub fn cookie_exchange(&self) -> bool {
        self.inner.settings.cookie_exchange
    }

    /// The seed, if one was given.
    pub fn seed(&self) -> Option<&[u8; 32]> {
        self.inner.settings.seed.as_ref()
    }

    pub(crate) fn dimpl(&self) -> &Arc<dimpl::Config> {
        &self.inner.dimpl
    }
}

impl ConfigBuilder {
    /// The SRTP protection profiles accepted (RFC 5764 §4.1.2). Default:
    /// [`SUPPORTED_PROFILES`](crate::SUPPORTED_PROFILES), all three that
    /// the DTLS library negotiates.
    ///
    /// The list is enforced: a handshake that ends on a profile outside it
    /// fails before any key is given out. Its order is not sent: the
    /// library (dimpl 0.9) offers its three profiles in its own order
    /// (AES-256-GCM, AES-128-GCM, AES-CM-80), and as a DTLS 1.2 server picks
    /// the first of those the client offers (as a DTLS 1.3 server the
    /// client's first). `SRTP_AES128_CM_HMAC_SHA1_32` can be listed but is
    /// never negotiated: the library does not implement it.
    pub fn srtp_profiles(mut self, profiles: &[ProtectionProfile]) -> Self {
        self.srtp_profiles = profiles.to_vec();
        self
    }

    /// Whether a handshake that negotiates no SRTP profile (a peer without
    /// `use_srtp`) fails. Default `true`, as WebRTC requires (RFC 8827
    /// §6.5); `false` for DTLS used for data only.
    pub fn require_srtp(mut self, require: bool) -> Self {
        self.require_srtp = require;
        self
    }

    /// The DTLS versions spoken. Default: [`Versions::Dtls12`].
    pub fn versions(mut self, versions: Versions) -> Self {
        self.versions = versions;
        self
    }

    /// How long a handshake may take, from
    /// [`Endpoint::start`](crate::Endpoint::start) until the peer's
    /// certificate is verified; then the connection fails. Default 30 s.
    pub fn handshake_timeout(mut self, timeout: Duration) -> Self {
        self.handshake_timeout = timeout;
        self
    }

    /// The first retransmission timeout of a handshake flight; it doubles
    /// (with ±25 % jitter) at each retransmission. Default 1 s, as RFC 6347
    /// §4.2.4.1 recommends.
    pub fn initial_rto(mut self, rto: Duration) -> Self {
        self.initial_rto = rto;
        self
    }

    /// How many times a flight is sent again before the handshake fails.
    /// Default 5 (the last retransmission goes out 31 s after the first
    /// transmission with the default RTO, past the default handshake
    /// timeout).
    pub fn flight_retries(mut self, retries: usize) -> Self {
        self.flight_retries = retries;
        self
    }

    /// The largest datagram written during the handshake (flights are
    /// fragmented to fit), [`MIN_MTU`] to [`MAX_MTU`]. Default 1150, which
    /// fits under IPv6, UDP, TURN ChannelData and common tunnels.
    pub fn mtu(mut self, mtu: usize) -> Self {
        self.mtu = mtu;
        self
    }

    /// Whether a server answers a first ClientHello with a cookie
    /// (HelloVerifyRequest, RFC 6347 §4.2.1) before doing any work. Default
    /// `false`: over ICE, consent checks have already proven that the peer
    /// receives at its address.
    pub fn cookie_exchange(mut self, cookie_exchange: bool) -> Self {
        self.cookie_exchange = cookie_exchange;
        self
    }

    /// A seed for the DTLS library's randomness, for reproducible tests:
    /// handshake randoms, retransmission jitter, record nonces and cookie
    /// secrets follow it. The library draws ECDHE keys and ECDSA
    /// signatures from the operating system regardless, so handshakes (and
    /// the exported keys) still differ from run to run. Without a seed (the
    /// default), everything comes from the operating system.
    pub fn seed(mut self, seed: [u8; 32]) -> Self {
        self.seed = Some(seed);
        self
    }

    /// Checks the settings and makes the configuration.
    pub fn build(self) -> Result<Config, ConfigError> {
        if !self
            .srtp_profiles
            .iter()
            .any(|profile| SUPPORTED_PROFILES.contains(profile))
        {
            return Err(ConfigError::NoSrtpProfile);
        }
        if !(MIN_MTU..=MAX_MTU).contains(&self.mtu) {
            return Err(ConfigError::Mtu);
        }
        const DAY: Duration = Duration::from_secs(24 * 60 * 60);
        for (name, duration) in [
            ("the handshake timeout", self.handshake_timeout),
            ("the initial RTO", self.initial_rto),
        ] {
            if duration.is_zero() || duration > DAY {
                return Err(ConfigError::Duration(name));
            }
        }
        let mut builder = dimpl::Config::builder()
            .with_crypto_provider(crate::certificate::provider())
            .mtu(self.mtu)
            .use_server_cookie(self.cookie_exchange)
            .require_client_certificate(true)
            .flight_start_rto(self.initial_rto)
            .flight_retries(self.flight_retries)
            .handshake_timeout(self.handshake_timeout);
        if let Some(seed) = self.seed {
            builder = builder.dangerously_set_rng_seed(fold_seed(&seed));
        }
        let dimpl = builder.build().map_err(|_| ConfigError::Library)?;
        Ok(Config {
            inner: Arc::new(Inner {
                settings: self,
                dimpl: Arc::new(dimpl),
            }),
        })
    }
}

/// The library takes a 64-bit seed: the four words of ours, XORed.
fn fold_seed(seed: &[u8; 32]) -> u64 {
    seed.chunks_exact(8)
        .map(|word| {
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(word);
            u64::from_le_bytes(bytes)
        })
        .fold(0, |acc, word| acc ^ word)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn builder() -> ConfigBuilder {
        Config::builder(Certificate::generate().unwrap())
    }

    #[test]
    fn defaults() {
        let config = builder().build().unwrap();
        assert_eq!(config.srtp_profiles(), SUPPORTED_PROFILES);
        assert!(config.require_srtp());
        assert_eq!(config.versions(), Versions::Dtls12);
        assert_eq!(config.mtu(), 1150);
        assert_eq!(config.handshake_timeout(), Duration::from_secs(30));
        assert!(!config.cookie_exchange());
        assert_eq!(config.seed(), None);
        assert_eq!(config.dimpl().mtu(), 1150);
    }

    #[test]
    fn bad_settings_are_refused() {
        assert_eq!(
            builder().srtp_profiles(&[]).build().unwrap_err(),
            ConfigError::NoSrtpProfile
        );
        assert_eq!(
            builder()
                .srtp_profiles(&[ProtectionProfile::Aes128CmHmacSha1_32])
                .build()
                .unwrap_err(),
            ConfigError::NoSrtpProfile
        );
        assert_eq!(builder().mtu(100).build().unwrap_err(), ConfigError::Mtu);
        assert_eq!(
            builder().mtu(MAX_MTU + 1).build().unwrap_err(),
            ConfigError::Mtu
        );
        assert!(matches!(
            builder().handshake_timeout(Duration::ZERO).build(),
            Err(ConfigError::Duration(_))
        ));
        assert!(matches!(
            builder().initial_rto(Duration::from_secs(100_000)).build(),
            Err(ConfigError::Duration(_))
        ));
    }

    #[test]
    fn seeds_fold_into_the_library_seed() {
        assert_eq!(fold_seed(&[0; 32]), 0);
        let mut seed = [0u8; 32];
        seed[0] = 1;
        seed[8] = 2;
        assert_eq!(fold_seed(&seed), 3);
        let config = builder().seed(seed).build().unwrap();
        assert_eq!(config.dimpl().rng_seed(), Some(3));
    }
}
