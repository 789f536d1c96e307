//! Protection profiles and master keys: what DTLS-SRTP negotiates and
//! exports (RFC 5764 §4.1.2 and §4.2, RFC 7714 §14.2).

use core::fmt;

use subtle::ConstantTimeEq;

/// The longest master key of any profile (AES-256-GCM), in bytes.
pub const MAX_MASTER_KEY_LEN: usize = 32;

/// The longest master salt of any profile (AES-CM), in bytes.
pub const MAX_MASTER_SALT_LEN: usize = 14;

/// An SRTP protection profile, as DTLS-SRTP's `use_srtp` extension names it.
///
/// <https://www.rfc-editor.org/rfc/rfc5764#section-4.1.2>,
/// <https://www.rfc-editor.org/rfc/rfc7714#section-14.2>
///
/// ```
/// use sansrtc_srtp::ProtectionProfile;
///
/// let profile = ProtectionProfile::from_id(0x0007).unwrap();
/// assert_eq!(profile, ProtectionProfile::AeadAes128Gcm);
/// assert_eq!(profile.name(), "SRTP_AEAD_AES_128_GCM");
/// assert_eq!(profile.keying_material_len(), 2 * (16 + 12));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ProtectionProfile {
    /// `SRTP_AES128_CM_HMAC_SHA1_80` (0x0001): AES-128 in counter mode,
    /// HMAC-SHA1 tags of 80 bits.
    Aes128CmHmacSha1_80,
    /// `SRTP_AES128_CM_HMAC_SHA1_32` (0x0002): as above with 32-bit SRTP
    /// tags; SRTCP tags stay 80 bits (RFC 5764 §4.1.2).
    Aes128CmHmacSha1_32,
    /// `SRTP_AEAD_AES_128_GCM` (0x0007): AES-128-GCM with 128-bit tags
    /// (RFC 7714).
    AeadAes128Gcm,
    /// `SRTP_AEAD_AES_256_GCM` (0x0008): AES-256-GCM with 128-bit tags
    /// (RFC 7714).
    AeadAes256Gcm,
}

impl ProtectionProfile {
    /// Every profile, in the order WebRTC stacks usually prefer them
    /// (AEAD first).
    pub const ALL: [Self; 4] = [
        Self::AeadAes128Gcm,
        Self::AeadAes256Gcm,
        Self::Aes128CmHmacSha1_80,
        Self::Aes128CmHmacSha1_32,
    ];

    /// The profile's two-byte identifier in DTLS's `use_srtp` extension.
    pub const fn id(self) -> u16 {
        match self {
            Self::Aes128CmHmacSha1_80 => 0x0001,
            Self::Aes128CmHmacSha1_32 => 0x0002,
            Self::AeadAes128Gcm => 0x0007,
            Self::AeadAes256Gcm => 0x0008,
        }
    }

    /// The profile with this identifier, if it is one this crate implements.
    pub const fn from_id(id: u16) -> Option<Self> {
        match id {
            0x0001 => Some(Self::Aes128CmHmacSha1_80),
            0x0002 => Some(Self::Aes128CmHmacSha1_32),
            0x0007 => Some(Self::AeadAes128Gcm),
            0x0008 => Some(Self::AeadAes256Gcm),
            _ => None,
        }
    }

    /// The profile's name as the RFCs (and OpenSSL's `-use_srtp`) spell it.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_HMAC_SHA1_80",
            Self::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_HMAC_SHA1_32",
            Self::AeadAes128Gcm => "SRTP_AEAD_AES_128_GCM",
            Self::AeadAes256Gcm => "SRTP_AEAD_AES_256_GCM",
        }
    }

    /// Whether the profile is an AEAD (GCM) profile of RFC 7714.
    pub const fn is_aead(self) -> bool {
        matches!(self, Self::AeadAes128Gcm | Self::AeadAes256Gcm)
    }

    /// Length of the master key, in bytes.
    pub const fn master_key_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 | Self::Aes128CmHmacSha1_32 | Self::AeadAes128Gcm => 16,
            Self::AeadAes256Gcm => 32,
        }
    }

    /// Length of the master salt, in bytes: 112 bits for AES-CM
    /// (RFC 3711 §8.2), 96 bits for GCM (RFC 7714 §12).
    pub const fn master_salt_len(self) -> usize {
        if self.is_aead() { 12 } else { 14 }
    }

    /// Length of the authentication tag an SRTP packet carries, in bytes.
    pub const fn rtp_auth_tag_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 => 10,
            Self::Aes128CmHmacSha1_32 => 4,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// Length of the authentication tag an SRTCP packet carries, in bytes
    /// (80 bits for both AES-CM profiles, RFC 5764 §4.1.2).
    pub const fn rtcp_auth_tag_len(self) -> usize {
        match self {
            Self::Aes128CmHmacSha1_80 | Self::Aes128CmHmacSha1_32 => 10,
            Self::AeadAes128Gcm | Self::AeadAes256Gcm => 16,
        }
    }

    /// Length of the session authentication key (HMAC-SHA1's 160 bits for
    /// AES-CM, RFC 3711 §8.2; none for GCM, whose tag comes from the
    /// cipher key).
    pub const fn auth_key_len(self) -> usize {
        if self.is_aead() { 0 } else { 20 }
    }

    /// How many bytes of keying material to export from DTLS for this
    /// profile: two master keys and two master salts (RFC 5764 §4.2).
    pub const fn keying_material_len(self) -> usize {
        2 * (self.master_key_len() + self.master_salt_len())
    }
}

impl fmt::Display for ProtectionProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Why keys or keying material were refused. These come from the caller
/// (or from DTLS), never from a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// A master key of the wrong length for the profile.
    #[error("{profile}: master key must be {expected} bytes, got {got}")]
    KeyLength {
        /// The profile.
        profile: ProtectionProfile,
        /// The length the profile needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A master salt of the wrong length for the profile.
    #[error("{profile}: master salt must be {expected} bytes, got {got}")]
    SaltLength {
        /// The profile.
        profile: ProtectionProfile,
        /// The length the profile needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// Exported keying material of the wrong length for the profile.
    #[error("{profile}: keying material must be {expected} bytes, got {got}")]
    KeyingMaterialLength {
        /// The profile.
        profile: ProtectionProfile,
        /// The length the profile needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
    /// A master key the key derivation function cannot take (it takes
    /// AES-128 and AES-256 keys: 16 or 32 bytes).
    #[error("key derivation: master key must be 16 or 32 bytes, got {got}")]
    DerivationKeyLength {
        /// The length given.
        got: usize,
    },
    /// A master salt longer than the 112 bits of RFC 3711 §4.3.1.
    #[error("key derivation: master salt must be at most 14 bytes, got {got}")]
    DerivationSaltLength {
        /// The length given.
        got: usize,
    },
    /// A session key, salt or authentication key of the wrong length for
    /// the profile.
    #[error("{profile}: session {what} must be {expected} bytes, got {got}")]
    SessionKeyLength {
        /// The profile.
        profile: ProtectionProfile,
        /// Which key: `"encryption key"`, `"salt"` or `"authentication key"`.
        what: &'static str,
        /// The length the profile needs.
        expected: usize,
        /// The length given.
        got: usize,
    },
}

/// A master key and master salt for one direction of one profile.
///
/// Its `Debug` output never shows the secret bytes, and equality is
/// compared in constant time.
#[derive(Clone)]
pub struct MasterKey {
    profile: ProtectionProfile,
    key: [u8; MAX_MASTER_KEY_LEN],
    salt: [u8; MAX_MASTER_SALT_LEN],
}

impl MasterKey {
    /// A master key for `profile`; `key` and `salt` must have the
    /// profile's lengths.
    ///
    /// ```
    /// use sansrtc_srtp::{MasterKey, ProtectionProfile};
    ///
    /// let key = MasterKey::new(ProtectionProfile::Aes128CmHmacSha1_80, &[7; 16], &[9; 14])?;
    /// assert_eq!(key.key(), &[7; 16]);
    /// assert_eq!(key.salt(), &[9; 14]);
    /// # Ok::<(), sansrtc_srtp::KeyError>(())
    /// ```
    pub fn new(profile: ProtectionProfile, key: &[u8], salt: &[u8]) -> Result<Self, KeyError> {
        if key.len() != profile.master_key_len() {
            return Err(KeyError::KeyLength {
                profile,
                expected: profile.master_key_len(),
                got: key.len(),
            });
        }
        if salt.len() != profile.master_salt_len() {
            return Err(KeyError::SaltLength {
                profile,
                expected: profile.master_salt_len(),
                got: salt.len(),
            });
        }
        let mut master = Self {
            profile,
            key: [0; MAX_MASTER_KEY_LEN],
            salt: [0; MAX_MASTER_SALT_LEN],
        };
        master
            .key
            .get_mut(..key.len())
            .into_iter()
            .for_each(|k| k.copy_from_slice(key));
        master
            .salt
            .get_mut(..salt.len())
            .into_iter()
            .for_each(|s| s.copy_from_slice(salt));
        Ok(master)
    }

    /// A master key for `profile` from buffers of the longest key and salt,
    /// of which only the profile's lengths count.
    #[cfg(any(feature = "arbitrary", feature = "proptest"))]
    pub(crate) const fn from_parts(
        profile: ProtectionProfile,
        key: [u8; MAX_MASTER_KEY_LEN],
        salt: [u8; MAX_MASTER_SALT_LEN],
    ) -> Self {
        Self { profile, key, salt }
    }

    /// The profile this key is for.
    pub const fn profile(&self) -> ProtectionProfile {
        self.profile
    }

    /// The master key bytes.
    pub fn key(&self) -> &[u8] {
        self.key.get(..self.profile.master_key_len()).unwrap_or(&[])
    }

    /// The master salt bytes.
    pub fn salt(&self) -> &[u8] {
        self.salt
            .get(..self.profile.master_salt_len())
            .unwrap_or(&[])
    }
}

impl PartialEq for MasterKey {
    fn eq(&self, other: &Self) -> bool {
        self.profile == other.profile
            && bool::from(self.key.ct_eq(&other.key) & self.salt.ct_eq(&other.salt))
    }
}

impl Eq for MasterKey {}

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MasterKey")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

/// Which end of the DTLS handshake this endpoint was: it decides which half
/// of the exported keying material protects what we send.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// The DTLS client (sent the ClientHello; `a=setup:active`).
    Client,
    /// The DTLS server (`a=setup:passive`).
    Server,
}

/// The two master keys of a DTLS-SRTP session: the one that protects what
/// we send, and the one that unprotects what we receive.
///
/// <https://www.rfc-editor.org/rfc/rfc5764#section-4.2>
///
/// ```
/// use sansrtc_srtp::{DtlsRole, KeyingMaterial, ProtectionProfile};
///
/// let profile = ProtectionProfile::Aes128CmHmacSha1_80;
/// // client key, server key, client salt, server salt
/// let mut exported = [0u8; 60];
/// exported[..16].fill(1);
/// exported[16..32].fill(2);
/// exported[32..46].fill(3);
/// exported[46..].fill(4);
/// let client = KeyingMaterial::from_dtls_export(profile, &exported, DtlsRole::Client)?;
/// assert_eq!(client.local.key(), &[1; 16]);
/// assert_eq!(client.remote.salt(), &[4; 14]);
/// let server = KeyingMaterial::from_dtls_export(profile, &exported, DtlsRole::Server)?;
/// assert_eq!(server.local, client.remote);
/// # Ok::<(), sansrtc_srtp::KeyError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyingMaterial {
    /// Protects what this endpoint sends.
    pub local: MasterKey,
    /// Unprotects what this endpoint receives.
    pub remote: MasterKey,
}

impl KeyingMaterial {
    /// Splits the keying material exported with the label
    /// `EXTRACTOR-dtls_srtp` (exactly
    /// [`keying_material_len`](ProtectionProfile::keying_material_len)
    /// bytes: client key, server key, client salt, server salt) into the
    /// local and remote keys of the endpoint that played `role`.
    pub fn from_dtls_export(
        profile: ProtectionProfile,
        exported: &[u8],
        role: DtlsRole,
    ) -> Result<Self, KeyError> {
        let key_len = profile.master_key_len();
        let salt_len = profile.master_salt_len();
        let wrong_length = KeyError::KeyingMaterialLength {
            profile,
            expected: profile.keying_material_len(),
            got: exported.len(),
        };
        if exported.len() != profile.keying_material_len() {
            return Err(wrong_length);
        }
        let (client_key, rest) = exported.split_at_checked(key_len).ok_or(wrong_length)?;
        let (server_key, rest) = rest.split_at_checked(key_len).ok_or(wrong_length)?;
        let (client_salt, server_salt) = rest.split_at_checked(salt_len).ok_or(wrong_length)?;
        let client = MasterKey::new(profile, client_key, client_salt)?;
        let server = MasterKey::new(profile, server_key, server_salt)?;
        Ok(match role {
            DtlsRole::Client => Self {
                local: client,
                remote: server,
            },
            DtlsRole::Server => Self {
                local: server,
                remote: client,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_unknown_ids_are_refused() {
        for profile in ProtectionProfile::ALL {
            assert_eq!(ProtectionProfile::from_id(profile.id()), Some(profile));
        }
        for id in [0x0000, 0x0003, 0x0005, 0x0006, 0x0009, 0xffff] {
            assert_eq!(ProtectionProfile::from_id(id), None);
        }
    }

    #[test]
    fn sizes_follow_the_rfcs() {
        use ProtectionProfile::*;
        assert_eq!(Aes128CmHmacSha1_80.keying_material_len(), 60);
        assert_eq!(Aes128CmHmacSha1_32.rtp_auth_tag_len(), 4);
        assert_eq!(Aes128CmHmacSha1_32.rtcp_auth_tag_len(), 10);
        assert_eq!(AeadAes128Gcm.keying_material_len(), 56);
        assert_eq!(AeadAes256Gcm.keying_material_len(), 88);
        assert_eq!(AeadAes256Gcm.rtp_auth_tag_len(), 16);
    }

    #[test]
    fn wrong_lengths_are_refused_with_what_was_expected() {
        let profile = ProtectionProfile::AeadAes256Gcm;
        assert_eq!(
            MasterKey::new(profile, &[0; 16], &[0; 12]),
            Err(KeyError::KeyLength {
                profile,
                expected: 32,
                got: 16
            })
        );
        assert_eq!(
            MasterKey::new(profile, &[0; 32], &[0; 14]),
            Err(KeyError::SaltLength {
                profile,
                expected: 12,
                got: 14
            })
        );
        assert_eq!(
            KeyingMaterial::from_dtls_export(profile, &[0; 87], DtlsRole::Client),
            Err(KeyError::KeyingMaterialLength {
                profile,
                expected: 88,
                got: 87
            })
        );
    }

    #[test]
    fn the_split_follows_rfc_5764_order_for_gcm_256() {
        let profile = ProtectionProfile::AeadAes256Gcm;
        let exported: [u8; 88] = core::array::from_fn(|i| i as u8);
        let server =
            KeyingMaterial::from_dtls_export(profile, &exported, DtlsRole::Server).unwrap();
        assert_eq!(server.remote.key(), &exported[..32]);
        assert_eq!(server.local.key(), &exported[32..64]);
        assert_eq!(server.remote.salt(), &exported[64..76]);
        assert_eq!(server.local.salt(), &exported[76..]);
    }

    #[test]
    fn debug_hides_the_secret() {
        let key = MasterKey::new(
            ProtectionProfile::Aes128CmHmacSha1_80,
            &[0xab; 16],
            &[0xcd; 14],
        )
        .unwrap();
        let shown = std::format!("{key:?}");
        assert!(!shown.contains("171") && !shown.contains("ab,"), "{shown}");
        assert!(shown.contains("Aes128CmHmacSha1_80"), "{shown}");
    }
}
