//! MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256,
//! optionally truncated) and FINGERPRINT (CRC-32 xor `0x5354554e`).
//!
//! Each is computed over the message up to the attribute, with the header's
//! length field set as if the attribute were the last one
//! (<https://www.rfc-editor.org/rfc/rfc8489#section-14.5>). Verification
//! compares in constant time and allocates nothing.

use hmac::{Hmac, Mac};
use sha1::Sha1;
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::attribute::AttributeType;
use crate::error::{IntegrityError, WriteError};
use crate::message::{HEADER_LEN, Message, MessageBuilder};

/// The constant FINGERPRINT XORs into the CRC-32.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-14.7>
pub const FINGERPRINT_XOR: u32 = 0x5354_554e;

/// Wire length of a MESSAGE-INTEGRITY attribute (header and value).
pub const MESSAGE_INTEGRITY_LEN: usize = 24;

/// Wire length of a full-length MESSAGE-INTEGRITY-SHA256 attribute.
pub const MESSAGE_INTEGRITY_SHA256_LEN: usize = 36;

/// Wire length of a FINGERPRINT attribute.
pub const FINGERPRINT_LEN: usize = 8;

/// Which integrity attribute a message was verified with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrityKind {
    /// MESSAGE-INTEGRITY (HMAC-SHA1).
    Sha1,
    /// MESSAGE-INTEGRITY-SHA256.
    Sha256,
}

/// The pieces a MAC or CRC runs over: the message up to `offset`, with the
/// length field replaced so that the message ends after an attribute of
/// `attribute_len` bytes at `offset`.
fn covered(bytes: &[u8], offset: usize, attribute_len: usize) -> Option<([u8; 2], [u8; 2], &[u8])> {
    let prefix = bytes.get(..offset)?;
    let (&[t0, t1, _, _], rest) = prefix.split_first_chunk::<4>()?;
    let length = u16::try_from(offset + attribute_len - HEADER_LEN).ok()?;
    Some(([t0, t1], length.to_be_bytes(), rest))
}

// `new_from_slice` never fails for HMAC, which accepts keys of any length;
// the `Option` only keeps this free of panicking paths.
fn hmac_sha1(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 20]> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().into())
}

fn hmac_sha256(key: &[u8], parts: &[&[u8]]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().into())
}

fn crc32(parts: &[&[u8]]) -> u32 {
    let mut hasher = crc32fast::Hasher::new();
    for part in parts {
        hasher.update(part);
    }
    hasher.finalize() ^ FINGERPRINT_XOR
}

impl Message<'_> {
    /// Checks MESSAGE-INTEGRITY (HMAC-SHA1) with `key`: the password for
    /// short-term credentials, or a
    /// [`LongTermKey`](crate::credentials::LongTermKey).
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-14.5>
    pub fn verify_message_integrity(&self, key: &[u8]) -> Result<(), IntegrityError> {
        const NAME: &str = "MESSAGE-INTEGRITY";
        let offset = self
            .message_integrity_offset()
            .ok_or(IntegrityError::Missing(NAME))?;
        let bytes = self.as_bytes();
        let (kind, length, rest) =
            covered(bytes, offset, MESSAGE_INTEGRITY_LEN).ok_or(IntegrityError::Mismatch(NAME))?;
        let received = bytes
            .get(offset + 4..offset + MESSAGE_INTEGRITY_LEN)
            .ok_or(IntegrityError::Mismatch(NAME))?;
        let expected =
            hmac_sha1(key, &[&kind, &length, rest]).ok_or(IntegrityError::Mismatch(NAME))?;
        if bool::from(expected.as_slice().ct_eq(received)) {
            Ok(())
        } else {
            Err(IntegrityError::Mismatch(NAME))
        }
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 with `key`, comparing as many leading
    /// bytes of the HMAC as the attribute carries (16 to 32).
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-14.6>
    pub fn verify_message_integrity_sha256(&self, key: &[u8]) -> Result<(), IntegrityError> {
        const NAME: &str = "MESSAGE-INTEGRITY-SHA256";
        let offset = self
            .message_integrity_sha256_offset()
            .ok_or(IntegrityError::Missing(NAME))?;
        let bytes = self.as_bytes();
        let len_bytes = bytes
            .get(offset + 2..offset + 4)
            .ok_or(IntegrityError::Mismatch(NAME))?;
        let value_len = usize::from(u16::from_be_bytes([
            len_bytes.first().copied().unwrap_or(0),
            len_bytes.get(1).copied().unwrap_or(0),
        ]));
        let (kind, length, rest) =
            covered(bytes, offset, 4 + value_len).ok_or(IntegrityError::Mismatch(NAME))?;
        let received = bytes
            .get(offset + 4..offset + 4 + value_len)
            .ok_or(IntegrityError::Mismatch(NAME))?;
        let expected =
            hmac_sha256(key, &[&kind, &length, rest]).ok_or(IntegrityError::Mismatch(NAME))?;
        let expected = expected
            .get(..value_len)
            .ok_or(IntegrityError::Mismatch(NAME))?;
        if bool::from(expected.ct_eq(received)) {
            Ok(())
        } else {
            Err(IntegrityError::Mismatch(NAME))
        }
    }

    /// Checks the message's integrity with `key`: MESSAGE-INTEGRITY-SHA256
    /// when present, otherwise MESSAGE-INTEGRITY. Returns which one it used.
    pub fn verify_integrity(&self, key: &[u8]) -> Result<IntegrityKind, IntegrityError> {
        if self.message_integrity_sha256_offset().is_some() {
            self.verify_message_integrity_sha256(key)?;
            Ok(IntegrityKind::Sha256)
        } else if self.message_integrity_offset().is_some() {
            self.verify_message_integrity(key)?;
            Ok(IntegrityKind::Sha1)
        } else {
            Err(IntegrityError::Missing("MESSAGE-INTEGRITY"))
        }
    }

    /// Whether the message carries MESSAGE-INTEGRITY or
    /// MESSAGE-INTEGRITY-SHA256.
    pub const fn has_integrity(&self) -> bool {
        self.message_integrity_offset().is_some()
            || self.message_integrity_sha256_offset().is_some()
    }

    /// Whether the message carries FINGERPRINT.
    pub const fn has_fingerprint(&self) -> bool {
        self.fingerprint_offset().is_some()
    }

    /// Checks FINGERPRINT.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-14.7>
    pub fn verify_fingerprint(&self) -> Result<(), IntegrityError> {
        const NAME: &str = "FINGERPRINT";
        let offset = self
            .fingerprint_offset()
            .ok_or(IntegrityError::Missing(NAME))?;
        let bytes = self.as_bytes();
        let (kind, length, rest) =
            covered(bytes, offset, FINGERPRINT_LEN).ok_or(IntegrityError::Mismatch(NAME))?;
        let received = bytes
            .get(offset + 4..offset + FINGERPRINT_LEN)
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .ok_or(IntegrityError::Mismatch(NAME))?;
        if crc32(&[&kind, &length, rest]) == u32::from_be_bytes(received) {
            Ok(())
        } else {
            Err(IntegrityError::Mismatch(NAME))
        }
    }
}

impl MessageBuilder<'_> {
    /// Appends MESSAGE-INTEGRITY computed with `key` over the message so far.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-14.5>
    pub fn add_message_integrity(&mut self, key: &[u8]) -> Result<&mut Self, WriteError> {
        if self.has_integrity() || self.has_integrity_sha256() || self.has_fingerprint() {
            return Err(WriteError::Order(
                "MESSAGE-INTEGRITY must come before MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, once",
            ));
        }
        self.add_computed(AttributeType::MESSAGE_INTEGRITY, 20, |bytes| {
            hmac_sha1(key, &[bytes])
        })?;
        Ok(self)
    }

    /// Appends a full-length (32-byte) MESSAGE-INTEGRITY-SHA256.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-14.6>
    pub fn add_message_integrity_sha256(&mut self, key: &[u8]) -> Result<&mut Self, WriteError> {
        self.add_message_integrity_sha256_truncated(key, 32)
    }

    /// Appends MESSAGE-INTEGRITY-SHA256 truncated to `len` bytes, which must
    /// be 16 to 32 and a multiple of four.
    pub fn add_message_integrity_sha256_truncated(
        &mut self,
        key: &[u8],
        len: usize,
    ) -> Result<&mut Self, WriteError> {
        if !(16..=32).contains(&len) || len % 4 != 0 {
            return Err(WriteError::InvalidValue {
                kind: AttributeType::MESSAGE_INTEGRITY_SHA256.0,
                reason: "length must be 16 to 32 and a multiple of 4",
            });
        }
        if self.has_integrity_sha256() || self.has_fingerprint() {
            return Err(WriteError::Order(
                "MESSAGE-INTEGRITY-SHA256 must come before FINGERPRINT, once",
            ));
        }
        self.add_computed(AttributeType::MESSAGE_INTEGRITY_SHA256, len, |bytes| {
            hmac_sha256(key, &[bytes])
        })?;
        Ok(self)
    }

    /// Appends FINGERPRINT; nothing may follow it.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-14.7>
    pub fn add_fingerprint(&mut self) -> Result<&mut Self, WriteError> {
        if self.has_fingerprint() {
            return Err(WriteError::Order("FINGERPRINT may appear once"));
        }
        self.add_computed(AttributeType::FINGERPRINT, 4, |bytes| {
            Some(crc32(&[bytes]).to_be_bytes())
        })?;
        Ok(self)
    }
}
