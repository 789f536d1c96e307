//! Key derivation (RFC 3711 §4.3, key derivation rate 0): the session
//! keys of SRTP and SRTCP, derived from one master key and master salt.

use core::fmt;

use aes::cipher::{KeyIvInit, StreamCipher};
use subtle::ConstantTimeEq;

use crate::profile::{
    KeyError, MAX_MASTER_KEY_LEN, MAX_MASTER_SALT_LEN, MasterKey, ProtectionProfile,
};

/// The longest session encryption key (AES-256), in bytes.
pub(crate) const MAX_SESSION_KEY_LEN: usize = 32;
/// The longest session salt (AES-CM's 112 bits), in bytes.
pub(crate) const MAX_SESSION_SALT_LEN: usize = 14;
/// The longest session authentication key (HMAC-SHA1's 160 bits), in bytes.
pub(crate) const MAX_AUTH_KEY_LEN: usize = 20;

/// What a derived key is for: the `label` of RFC 3711 §4.3.1 (and
/// §4.3.2 for SRTCP).
///
/// <https://www.rfc-editor.org/rfc/rfc3711#section-4.3.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Label {
    /// SRTP encryption key (0x00).
    RtpEncryption,
    /// SRTP authentication key (0x01).
    RtpAuthentication,
    /// SRTP salt (0x02).
    RtpSalt,
    /// SRTCP encryption key (0x03).
    RtcpEncryption,
    /// SRTCP authentication key (0x04).
    RtcpAuthentication,
    /// SRTCP salt (0x05).
    RtcpSalt,
}

impl Label {
    /// The label's byte.
    pub const fn value(self) -> u8 {
        match self {
            Self::RtpEncryption => 0x00,
            Self::RtpAuthentication => 0x01,
            Self::RtpSalt => 0x02,
            Self::RtcpEncryption => 0x03,
            Self::RtcpAuthentication => 0x04,
            Self::RtcpSalt => 0x05,
        }
    }
}

type Aes128Ctr = ctr::Ctr128BE<aes::Aes128>;
type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;

/// Fills `out` with the key derivation function's output for `label`
/// (RFC 3711 §4.3.3, the AES-CM PRF; RFC 6188 §3 for AES-256), with a key
/// derivation rate of 0 (so `r` is 0): the AES-CM keystream of the master
/// key, started at `x * 2^16` where `x = (label << 48) XOR master_salt`.
///
/// `master_key` is 16 or 32 bytes. `master_salt` is at most 14 bytes; a
/// shorter salt (the 96-bit salt of the GCM profiles, RFC 7714 §11) is
/// padded with zeros on the right to 112 bits, as libsrtp does and so as
/// every browser reads RFC 7714.
///
/// ```
/// use sansrtc_srtp::{Label, derive_key};
///
/// // RFC 3711 Appendix B.3.
/// let key = [0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39];
/// let salt = [0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6];
/// let mut session_key = [0; 16];
/// derive_key(&key, &salt, Label::RtpEncryption, &mut session_key)?;
/// assert_eq!(session_key[..4], [0xc6, 0x1e, 0x7a, 0x93]);
/// # Ok::<(), sansrtc_srtp::KeyError>(())
/// ```
pub fn derive_key(
    master_key: &[u8],
    master_salt: &[u8],
    label: Label,
    out: &mut [u8],
) -> Result<(), KeyError> {
    if master_salt.len() > MAX_MASTER_SALT_LEN {
        return Err(KeyError::DerivationSaltLength {
            got: master_salt.len(),
        });
    }
    let mut iv = [0u8; 16];
    if let Some(x) = iv.get_mut(..master_salt.len()) {
        x.copy_from_slice(master_salt);
    }
    // key_id = label || r (48 bits, 0), aligned with the salt's low bits:
    // the label is byte 7 of the 14-byte x.
    if let Some(byte) = iv.get_mut(7) {
        *byte ^= label.value();
    }
    out.fill(0);
    match master_key.len() {
        16 => Aes128Ctr::new_from_slices(master_key, &iv)
            .map_err(|_| KeyError::DerivationKeyLength { got: 16 })?
            .apply_keystream(out),
        32 => Aes256Ctr::new_from_slices(master_key, &iv)
            .map_err(|_| KeyError::DerivationKeyLength { got: 32 })?
            .apply_keystream(out),
        got => return Err(KeyError::DerivationKeyLength { got }),
    }
    Ok(())
}

/// The session keys of one of SRTP or SRTCP: encryption key, salt and (for
/// AES-CM) authentication key.
///
/// [`Session::new`](crate::Session::new) derives them from a master key;
/// this type exists for the keys known by other means, such as the session
/// keys the RFC test vectors give. Its `Debug` output never shows the
/// secret bytes, and equality is compared in constant time.
#[derive(Clone)]
pub struct SessionKeys {
    profile: ProtectionProfile,
    encryption_key: [u8; MAX_SESSION_KEY_LEN],
    salt: [u8; MAX_SESSION_SALT_LEN],
    auth_key: [u8; MAX_AUTH_KEY_LEN],
}

impl SessionKeys {
    /// Session keys given directly; each must have the profile's length
    /// ([`ProtectionProfile::master_key_len`],
    /// [`master_salt_len`](ProtectionProfile::master_salt_len),
    /// [`auth_key_len`](ProtectionProfile::auth_key_len): empty for GCM).
    pub fn new(
        profile: ProtectionProfile,
        encryption_key: &[u8],
        salt: &[u8],
        auth_key: &[u8],
    ) -> Result<Self, KeyError> {
        let check = |what, expected: usize, got: &[u8]| {
            if got.len() == expected {
                Ok(())
            } else {
                Err(KeyError::SessionKeyLength {
                    profile,
                    what,
                    expected,
                    got: got.len(),
                })
            }
        };
        check("encryption key", profile.master_key_len(), encryption_key)?;
        check("salt", profile.master_salt_len(), salt)?;
        check("authentication key", profile.auth_key_len(), auth_key)?;
        let mut keys = Self {
            profile,
            encryption_key: [0; MAX_SESSION_KEY_LEN],
            salt: [0; MAX_SESSION_SALT_LEN],
            auth_key: [0; MAX_AUTH_KEY_LEN],
        };
        copy_prefix(&mut keys.encryption_key, encryption_key);
        copy_prefix(&mut keys.salt, salt);
        copy_prefix(&mut keys.auth_key, auth_key);
        Ok(keys)
    }

    /// The SRTP session keys of a master key (labels 0, 1, 2).
    pub fn derive_rtp(master: &MasterKey) -> Self {
        Self::derive(
            master,
            [
                Label::RtpEncryption,
                Label::RtpSalt,
                Label::RtpAuthentication,
            ],
        )
    }

    /// The SRTCP session keys of a master key (labels 3, 4, 5).
    pub fn derive_rtcp(master: &MasterKey) -> Self {
        Self::derive(
            master,
            [
                Label::RtcpEncryption,
                Label::RtcpSalt,
                Label::RtcpAuthentication,
            ],
        )
    }

    fn derive(master: &MasterKey, [encryption, salt, auth]: [Label; 3]) -> Self {
        let profile = master.profile();
        let mut keys = Self {
            profile,
            encryption_key: [0; MAX_SESSION_KEY_LEN],
            salt: [0; MAX_SESSION_SALT_LEN],
            auth_key: [0; MAX_AUTH_KEY_LEN],
        };
        let parts: [(&mut [u8], Label); 3] = [
            (&mut keys.encryption_key[..], encryption),
            (&mut keys.salt[..], salt),
            (&mut keys.auth_key[..], auth),
        ];
        let lengths = [
            profile.master_key_len(),
            profile.master_salt_len(),
            profile.auth_key_len(),
        ];
        for ((out, label), len) in parts.into_iter().zip(lengths) {
            if let Some(out) = out.get_mut(..len) {
                // A `MasterKey` always has a 16- or 32-byte key and a salt
                // of at most 14 bytes, which `derive_key` takes.
                let derived = derive_key(master.key(), master.salt(), label, out);
                debug_assert!(derived.is_ok());
            }
        }
        keys
    }

    /// The profile these keys are for.
    pub const fn profile(&self) -> ProtectionProfile {
        self.profile
    }

    /// The session encryption key.
    pub fn encryption_key(&self) -> &[u8] {
        self.encryption_key
            .get(..self.profile.master_key_len())
            .unwrap_or(&[])
    }

    /// The session salt.
    pub fn salt(&self) -> &[u8] {
        self.salt
            .get(..self.profile.master_salt_len())
            .unwrap_or(&[])
    }

    /// The session authentication key (empty for GCM).
    pub fn auth_key(&self) -> &[u8] {
        self.auth_key
            .get(..self.profile.auth_key_len())
            .unwrap_or(&[])
    }
}

fn copy_prefix(into: &mut [u8], from: &[u8]) {
    if let Some(into) = into.get_mut(..from.len()) {
        into.copy_from_slice(from);
    }
}

impl PartialEq for SessionKeys {
    fn eq(&self, other: &Self) -> bool {
        self.profile == other.profile
            && bool::from(
                self.encryption_key.ct_eq(&other.encryption_key)
                    & self.salt.ct_eq(&other.salt)
                    & self.auth_key.ct_eq(&other.auth_key),
            )
    }
}

impl Eq for SessionKeys {}

impl fmt::Debug for SessionKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionKeys")
            .field("profile", &self.profile)
            .finish_non_exhaustive()
    }
}

// The master key's bounds are the KDF's bounds.
const _: () = assert!(MAX_MASTER_KEY_LEN == MAX_SESSION_KEY_LEN);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn derive_refuses_what_it_cannot_take() {
        let mut out = [0; 16];
        assert_eq!(
            derive_key(&[0; 24], &[0; 14], Label::RtpEncryption, &mut out),
            Err(KeyError::DerivationKeyLength { got: 24 })
        );
        assert_eq!(
            derive_key(&[0; 16], &[0; 15], Label::RtpEncryption, &mut out),
            Err(KeyError::DerivationSaltLength { got: 15 })
        );
    }

    #[test]
    fn session_keys_check_lengths_and_hide_secrets() {
        let profile = ProtectionProfile::AeadAes128Gcm;
        assert_eq!(
            SessionKeys::new(profile, &[1; 16], &[2; 12], &[3; 20]),
            Err(KeyError::SessionKeyLength {
                profile,
                what: "authentication key",
                expected: 0,
                got: 20
            })
        );
        let keys = SessionKeys::new(profile, &[1; 16], &[2; 12], &[]).unwrap();
        assert_eq!(keys.encryption_key(), &[1; 16]);
        assert_eq!(keys.salt(), &[2; 12]);
        assert!(keys.auth_key().is_empty());
        let shown = std::format!("{keys:?}");
        assert!(!shown.contains("1, 1"), "{shown}");
    }
}
