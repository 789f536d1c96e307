//! Credentials: short-term and long-term keys, string preparation, USERHASH
//! and the nonce cookie.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-9>
//!
//! RFC 8489 prepares realms and passwords with the PRECIS OpaqueString
//! profile (RFC 8265) and RFC 5389 with SASLprep (RFC 4013). For ASCII text
//! both reduce to "no control characters, not empty", which this crate
//! checks without tables. Non-ASCII text needs Unicode normalization: with
//! the `std` feature [`Preparation::SaslPrep`] handles it fully; otherwise
//! non-ASCII text is refused with [`CredentialError::Unsupported`] rather
//! than prepared wrongly.

use md5::Md5;
use sha2::{Digest, Sha256};

use crate::attribute::PasswordAlgorithm;
use crate::error::CredentialError;

/// How a password (and realm) is prepared before hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Preparation {
    /// PRECIS OpaqueString (RFC 8265), as RFC 8489 requires. ASCII only.
    #[default]
    OpaqueString,
    /// SASLprep (RFC 4013), as RFC 5389 and RFC 5769 use. Full Unicode with
    /// the `std` feature, ASCII only without it.
    SaslPrep,
}

/// Checks an ASCII string under OpaqueString: not empty, no control
/// characters. Returns the string unchanged (preparation of ASCII text is the
/// identity).
pub fn opaque_string<'s>(value: &'s str, what: &'static str) -> Result<&'s str, CredentialError> {
    if value.is_empty() {
        return Err(CredentialError::Empty(what));
    }
    if !value.is_ascii() {
        return Err(CredentialError::Unsupported(what));
    }
    if value.bytes().any(|b| b.is_ascii_control()) {
        return Err(CredentialError::Disallowed(what));
    }
    Ok(value)
}

/// The short-term credential key: the password, prepared with
/// OpaqueString (RFC 8489 §9.1.1). ICE passwords are ASCII.
///
/// ```
/// let key = sansrtc_stun::credentials::short_term_key("VOkJxbRl1RmTxUk/WvJxBt")?;
/// assert_eq!(key, b"VOkJxbRl1RmTxUk/WvJxBt");
/// # Ok::<(), sansrtc_stun::CredentialError>(())
/// ```
pub fn short_term_key(password: &str) -> Result<&[u8], CredentialError> {
    opaque_string(password, "password").map(str::as_bytes)
}

/// A long-term credential key (RFC 8489 §9.2.2): MD5 (16 bytes) or SHA-256
/// (32 bytes) of `username ":" realm ":" password`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct LongTermKey {
    algorithm: u16,
    bytes: [u8; 32],
    len: usize,
}

impl core::fmt::Debug for LongTermKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        // Never print key material.
        f.debug_struct("LongTermKey")
            .field("algorithm", &self.algorithm)
            .finish_non_exhaustive()
    }
}

impl LongTermKey {
    /// Derives the key with the given PASSWORD-ALGORITHM number
    /// ([`PasswordAlgorithm::MD5`] or [`PasswordAlgorithm::SHA256`]).
    ///
    /// The username is used as sent in USERNAME; realm and password are
    /// prepared with `preparation`.
    pub fn derive(
        algorithm: u16,
        username: &str,
        realm: &str,
        password: &str,
        preparation: Preparation,
    ) -> Result<Self, CredentialError> {
        let realm = opaque_string(realm, "realm")?;
        match preparation {
            Preparation::OpaqueString => {
                let password = opaque_string(password, "password")?;
                Self::from_prepared(algorithm, username, realm, password)
            }
            Preparation::SaslPrep => saslprep_then(password, |password| {
                Self::from_prepared(algorithm, username, realm, password)
            }),
        }
    }

    /// The MD5 key with OpaqueString preparation (the RFC 8489 default).
    pub fn md5(username: &str, realm: &str, password: &str) -> Result<Self, CredentialError> {
        Self::derive(
            PasswordAlgorithm::MD5,
            username,
            realm,
            password,
            Preparation::OpaqueString,
        )
    }

    /// The SHA-256 key with OpaqueString preparation.
    pub fn sha256(username: &str, realm: &str, password: &str) -> Result<Self, CredentialError> {
        Self::derive(
            PasswordAlgorithm::SHA256,
            username,
            realm,
            password,
            Preparation::OpaqueString,
        )
    }

    /// Hashes already-prepared strings, with no checks.
    pub fn from_prepared(
        algorithm: u16,
        username: &str,
        realm: &str,
        password: &str,
    ) -> Result<Self, CredentialError> {
        let parts: [&[u8]; 5] = [
            username.as_bytes(),
            b":",
            realm.as_bytes(),
            b":",
            password.as_bytes(),
        ];
        let mut bytes = [0u8; 32];
        let len = match algorithm {
            PasswordAlgorithm::MD5 => {
                let mut hasher = Md5::new();
                parts.iter().for_each(|p| hasher.update(p));
                let digest: [u8; 16] = hasher.finalize().into();
                if let Some(dst) = bytes.get_mut(..16) {
                    dst.copy_from_slice(&digest);
                }
                16
            }
            PasswordAlgorithm::SHA256 => {
                let mut hasher = Sha256::new();
                parts.iter().for_each(|p| hasher.update(p));
                bytes = hasher.finalize().into();
                32
            }
            other => return Err(CredentialError::UnsupportedAlgorithm(other)),
        };
        Ok(Self {
            algorithm,
            bytes,
            len,
        })
    }

    /// The PASSWORD-ALGORITHM number this key was derived with.
    pub const fn algorithm(&self) -> u16 {
        self.algorithm
    }

    /// The key bytes, to pass to MESSAGE-INTEGRITY(-SHA256) computation.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or(&[])
    }
}

impl AsRef<[u8]> for LongTermKey {
    fn as_ref(&self) -> &[u8] {
        self.as_bytes()
    }
}

#[cfg(feature = "std")]
fn saslprep_then<T>(
    password: &str,
    f: impl FnOnce(&str) -> Result<T, CredentialError>,
) -> Result<T, CredentialError> {
    let prepared =
        stringprep::saslprep(password).map_err(|_| CredentialError::Disallowed("password"))?;
    if prepared.is_empty() {
        return Err(CredentialError::Empty("password"));
    }
    f(&prepared)
}

#[cfg(not(feature = "std"))]
fn saslprep_then<T>(
    password: &str,
    f: impl FnOnce(&str) -> Result<T, CredentialError>,
) -> Result<T, CredentialError> {
    f(opaque_string(password, "password")?)
}

/// USERHASH: SHA-256 of `username ":" realm` (RFC 8489 §14.4). The
/// username is hashed as given (as it would be sent in USERNAME); the realm
/// is prepared with OpaqueString.
pub fn userhash(username: &str, realm: &str) -> Result<[u8; 32], CredentialError> {
    if username.is_empty() {
        return Err(CredentialError::Empty("username"));
    }
    let realm = opaque_string(realm, "realm")?;
    let mut hasher = Sha256::new();
    hasher.update(username.as_bytes());
    hasher.update(b":");
    hasher.update(realm.as_bytes());
    Ok(hasher.finalize().into())
}

/// The prefix of a nonce that carries a security feature set
/// (RFC 8489 §9.2).
pub const NONCE_COOKIE: &str = "obMatJos2";

/// The 24-bit security feature set a server advertises in its nonce.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-18.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct SecurityFeatures(u32);

impl SecurityFeatures {
    /// Bit 0: the server supports PASSWORD-ALGORITHMS.
    pub const PASSWORD_ALGORITHMS: Self = Self(0x80_0000);
    /// Bit 1: the server supports USERHASH (username anonymity).
    pub const USERNAME_ANONYMITY: Self = Self(0x40_0000);

    /// Features from 24 bits (higher bits are dropped).
    pub const fn from_bits(bits: u32) -> Self {
        Self(bits & 0xFF_FFFF)
    }

    /// The 24 bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    /// Whether every feature in `other` is set.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// Both sets together.
    pub const fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Reads the feature set from a nonce that starts with the nonce
    /// cookie; `None` if it does not.
    pub fn from_nonce(nonce: &str) -> Option<Self> {
        let rest = nonce.strip_prefix(NONCE_COOKIE)?;
        let encoded = rest.as_bytes().first_chunk::<4>()?;
        let mut bits = 0u32;
        for &c in encoded {
            bits = (bits << 6) | u32::from(base64_value(c)?);
        }
        Some(Self(bits))
    }

    /// Writes the nonce cookie and the encoded feature set (13 bytes); a
    /// server appends its own random nonce text after it.
    pub fn nonce_prefix(self) -> [u8; 13] {
        let mut out = [0u8; 13];
        let (cookie, features) = out.split_at_mut(9);
        cookie.copy_from_slice(NONCE_COOKIE.as_bytes());
        for (i, slot) in features.iter_mut().enumerate() {
            let shift = 18 - 6 * i;
            *slot = base64_char(((self.0 >> shift) & 0x3F) as u8);
        }
        out
    }
}

const BASE64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn base64_char(value: u8) -> u8 {
    BASE64
        .get(usize::from(value & 0x3F))
        .copied()
        .unwrap_or(b'A')
}

fn base64_value(c: u8) -> Option<u8> {
    Some(match c {
        b'A'..=b'Z' => c - b'A',
        b'a'..=b'z' => c - b'a' + 26,
        b'0'..=b'9' => c - b'0' + 52,
        b'+' => 62,
        b'/' => 63,
        _ => return None,
    })
}
