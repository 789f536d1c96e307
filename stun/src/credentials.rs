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
#[non_exhaustive]
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

#[cfg(test)]
mod tests {
    extern crate alloc;

    use super::*;
    use crate::message::tests::hex;

    #[test]
    fn md5_long_term_key() {
        let key = LongTermKey::md5("user", "realm", "pass").unwrap();
        let expected: [u8; 16] = Md5::digest(b"user:realm:pass").into();
        assert_eq!(key.as_bytes(), expected);
        assert_eq!(key.as_ref(), expected);
        assert_eq!(key.algorithm(), PasswordAlgorithm::MD5);
        // A known value: MD5("user:realm:pass").
        assert_eq!(key.as_bytes(), hex("8493fbc53ba582fb4c044c456bdc40eb"));
    }

    #[test]
    fn sha256_long_term_key() {
        let key = LongTermKey::sha256("alice", "example.org", "s3cr3t pass").unwrap();
        let expected: [u8; 32] = Sha256::digest(b"alice:example.org:s3cr3t pass").into();
        assert_eq!(key.as_bytes(), expected);
        assert_eq!(key.algorithm(), PasswordAlgorithm::SHA256);
        assert_ne!(
            key,
            LongTermKey::md5("alice", "example.org", "s3cr3t pass").unwrap()
        );
    }

    #[test]
    fn key_derivation_errors() {
        assert_eq!(
            LongTermKey::derive(3, "u", "r", "p", Preparation::OpaqueString),
            Err(CredentialError::UnsupportedAlgorithm(3))
        );
        assert_eq!(
            LongTermKey::from_prepared(0, "u", "r", "p"),
            Err(CredentialError::UnsupportedAlgorithm(0))
        );
        assert_eq!(
            LongTermKey::md5("u", "", "p"),
            Err(CredentialError::Empty("realm"))
        );
        assert_eq!(
            LongTermKey::md5("u", "r", ""),
            Err(CredentialError::Empty("password"))
        );
        assert_eq!(
            LongTermKey::sha256("u", "r", "p\u{7f}"),
            Err(CredentialError::Disallowed("password"))
        );
        assert_eq!(
            LongTermKey::sha256("u", "r\te", "p"),
            Err(CredentialError::Disallowed("realm"))
        );
        assert_eq!(
            LongTermKey::md5("u", "r", "p\u{e9}"),
            Err(CredentialError::Unsupported("password"))
        );
    }

    #[test]
    fn opaque_string_rules() {
        assert_eq!(opaque_string("pass word!", "password"), Ok("pass word!"));
        assert_eq!(opaque_string("~", "password"), Ok("~"));
        assert_eq!(
            opaque_string("", "password"),
            Err(CredentialError::Empty("password"))
        );
        for control in ["\0", "a\nb", "\u{1b}[0m", "x\u{7f}"] {
            assert_eq!(
                opaque_string(control, "realm"),
                Err(CredentialError::Disallowed("realm")),
                "{control:?}"
            );
        }
        for non_ascii in ["caf\u{e9}", "\u{30DE}", "\u{1F600}"] {
            assert_eq!(
                opaque_string(non_ascii, "password"),
                Err(CredentialError::Unsupported("password"))
            );
        }
        assert_eq!(short_term_key("abc"), Ok(&b"abc"[..]));
        assert_eq!(short_term_key(""), Err(CredentialError::Empty("password")));
    }

    #[cfg(feature = "std")]
    #[test]
    fn saslprep_preparation() {
        // RFC 4013: soft hyphen is mapped to nothing, the ordinal indicator
        // and Roman numeral nine are NFKC-normalised (RFC 5769 §2.4).
        let key = LongTermKey::derive(
            PasswordAlgorithm::MD5,
            "u",
            "r",
            "The\u{AD}M\u{AA}tr\u{2168}",
            Preparation::SaslPrep,
        )
        .unwrap();
        assert_eq!(key, LongTermKey::md5("u", "r", "TheMatrIX").unwrap());
        assert_eq!(
            LongTermKey::derive(
                PasswordAlgorithm::MD5,
                "u",
                "r",
                "\u{AD}",
                Preparation::SaslPrep
            ),
            Err(CredentialError::Empty("password"))
        );
        assert_eq!(
            LongTermKey::derive(
                PasswordAlgorithm::MD5,
                "u",
                "r",
                "a\u{7}",
                Preparation::SaslPrep
            ),
            Err(CredentialError::Disallowed("password"))
        );
    }

    #[test]
    fn long_term_key_debug_hides_the_key() {
        let key = LongTermKey::md5("user", "realm", "pass").unwrap();
        let debug = alloc::format!("{key:?}");
        assert_eq!(debug, "LongTermKey { algorithm: 1, .. }");
    }

    #[test]
    fn userhash_value() {
        let hash = userhash("alice", "example.org").unwrap();
        let expected: [u8; 32] = Sha256::digest(b"alice:example.org").into();
        assert_eq!(hash, expected);
        assert_eq!(
            userhash("", "example.org"),
            Err(CredentialError::Empty("username"))
        );
        assert_eq!(userhash("alice", ""), Err(CredentialError::Empty("realm")));
        assert_eq!(
            userhash("alice", "ex\u{0}ample"),
            Err(CredentialError::Disallowed("realm"))
        );
    }

    #[test]
    fn nonce_cookie_round_trip() {
        for bits in [
            0, 1, 0x00_0002, 0x80_0000, 0x40_0000, 0xC0_0000, 0xFF_FFFF, 0x12_3456,
        ] {
            let features = SecurityFeatures::from_bits(bits);
            let prefix = features.nonce_prefix();
            assert!(prefix.starts_with(NONCE_COOKIE.as_bytes()));
            let mut nonce = alloc::string::String::from(core::str::from_utf8(&prefix).unwrap());
            nonce.push_str("random-server-text");
            assert_eq!(
                SecurityFeatures::from_nonce(&nonce),
                Some(features),
                "{nonce}"
            );
            assert_eq!(
                SecurityFeatures::from_nonce(core::str::from_utf8(&prefix).unwrap()),
                Some(features)
            );
        }
        // Known encodings: "////" is every bit, "gAAA" only bit 0.
        assert_eq!(
            SecurityFeatures::from_nonce("obMatJos2////").map(SecurityFeatures::bits),
            Some(0xFF_FFFF)
        );
        assert_eq!(
            SecurityFeatures::from_nonce("obMatJos2gAAAxyz"),
            Some(SecurityFeatures::PASSWORD_ALGORITHMS)
        );
        assert_eq!(
            &SecurityFeatures::USERNAME_ANONYMITY.nonce_prefix(),
            b"obMatJos2QAAA"
        );
        // Not a cookie, too short, not base64.
        assert_eq!(
            SecurityFeatures::from_nonce("f//499k954d6OL34oL9FSTvy64sA"),
            None
        );
        assert_eq!(SecurityFeatures::from_nonce("obMatJos2AAA"), None);
        assert_eq!(SecurityFeatures::from_nonce("obMatJos2AA*A"), None);
        assert_eq!(SecurityFeatures::from_nonce(""), None);
    }

    #[test]
    fn security_feature_sets() {
        let both =
            SecurityFeatures::PASSWORD_ALGORITHMS.union(SecurityFeatures::USERNAME_ANONYMITY);
        assert!(both.contains(SecurityFeatures::PASSWORD_ALGORITHMS));
        assert!(both.contains(SecurityFeatures::USERNAME_ANONYMITY));
        assert!(!SecurityFeatures::PASSWORD_ALGORITHMS.contains(both));
        assert!(SecurityFeatures::default().contains(SecurityFeatures::default()));
        assert_eq!(SecurityFeatures::from_bits(0xFF12_3456).bits(), 0x12_3456);
    }
}
