//! MESSAGE-INTEGRITY (HMAC-SHA1), MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256,
//! optionally truncated) and FINGERPRINT (CRC-32 xor `0x5354554e`).
//!
//! Each is computed over the message up to the attribute, with the header's
//! length field set as if the attribute were the last one
//! (<https://www.rfc-editor.org/rfc/rfc8489#section-14.5>). Verification
//! compares in constant time and allocates nothing.

use core::fmt;

use hmac::digest::KeyInit;
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

/// A MESSAGE-INTEGRITY (HMAC-SHA1) key prepared once.
///
/// HMAC hashes the key, padded to a block and masked, before the message and
/// again before the inner digest: two of the four or five SHA-1
/// compressions it runs over a connectivity check. A prepared key has done
/// those two already, so every message checked
/// ([`Message::verify_message_integrity_with`]) or signed
/// ([`MessageBuilder::add_message_integrity_with`]) with it costs only the
/// rest. Keep one per credential that many messages use, such as an ICE
/// password; the results are the same as with the bare key.
///
/// ```
/// use sansrtc_stun::{IntegrityKey, MessageBuilder, Message, Method, Class, TransactionId};
///
/// let key = IntegrityKey::new(b"remote-password");
/// let mut buf = [0u8; 64];
/// let mut request = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TransactionId::new([7; 12]))?;
/// request.add_message_integrity_with(&key)?;
/// let len = request.finish();
/// let message = Message::parse(&buf[..len])?;
/// message.verify_message_integrity_with(&key)?;
/// // The same as with the bare key.
/// message.verify_message_integrity(b"remote-password")?;
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone)]
pub struct IntegrityKey {
    mac: Hmac<Sha1>,
}

impl IntegrityKey {
    /// Prepares `key`: the password of a short-term credential, or a
    /// [`LongTermKey`](crate::credentials::LongTermKey).
    pub fn new(key: &[u8]) -> Self {
        // HMAC takes keys of any length, so `new_from_slice` cannot fail;
        // the fallback (an all-zero key) only keeps this free of a
        // panicking path.
        let mac = <Hmac<Sha1> as KeyInit>::new_from_slice(key)
            .unwrap_or_else(|_| <Hmac<Sha1> as KeyInit>::new(&Default::default()));
        Self { mac }
    }
}

impl fmt::Debug for IntegrityKey {
    /// Shows no key material.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IntegrityKey(..)")
    }
}

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
/// `attribute_len` bytes at `offset`. Returns the first four header bytes
/// (type and replaced length) and the bytes from the cookie to `offset`.
fn covered(bytes: &[u8], offset: usize, attribute_len: usize) -> Option<([u8; 4], &[u8])> {
    let prefix = bytes.get(..offset)?;
    let (&[t0, t1, _, _], rest) = prefix.split_first_chunk::<4>()?;
    let [l0, l1] = u16::try_from(offset + attribute_len - HEADER_LEN)
        .ok()?
        .to_be_bytes();
    Some(([t0, t1, l0, l1], rest))
}

#[inline(always)]
fn hmac_sha1<const N: usize>(mut mac: Hmac<Sha1>, parts: [&[u8]; N]) -> [u8; 20] {
    for part in parts {
        mac.update(part);
    }
    mac.finalize().into_bytes().into()
}

#[inline(always)]
fn hmac_sha256<const N: usize>(key: &[u8], parts: [&[u8]; N]) -> Option<[u8; 32]> {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).ok()?;
    for part in parts {
        mac.update(part);
    }
    Some(mac.finalize().into_bytes().into())
}

#[inline(always)]
/// Compares a computed MAC with a received one in constant time: the
/// bytes are folded together without branching on them and only the
/// result goes through `subtle` (one optimisation barrier instead of one
/// per byte). The lengths are public.
fn mac_eq(expected: &[u8], received: &[u8]) -> bool {
    if expected.len() != received.len() {
        return false;
    }
    let difference = expected
        .iter()
        .zip(received)
        .fold(0u8, |acc, (a, b)| acc | (a ^ b));
    bool::from(difference.ct_eq(&0))
}

fn crc32<const N: usize>(parts: [&[u8]; N]) -> u32 {
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
        self.verify_hmac_sha1(IntegrityKey::new(key).mac)
    }

    /// [`verify_message_integrity`](Self::verify_message_integrity) with a
    /// key prepared once ([`IntegrityKey`]).
    pub fn verify_message_integrity_with(&self, key: &IntegrityKey) -> Result<(), IntegrityError> {
        self.verify_hmac_sha1(key.mac.clone())
    }

    #[inline(always)]
    fn verify_hmac_sha1(&self, mac: Hmac<Sha1>) -> Result<(), IntegrityError> {
        const NAME: &str = "MESSAGE-INTEGRITY";
        let offset = self
            .message_integrity_offset()
            .ok_or(IntegrityError::Missing(NAME))?;
        let bytes = self.as_bytes();
        let (head, rest) =
            covered(bytes, offset, MESSAGE_INTEGRITY_LEN).ok_or(IntegrityError::Mismatch(NAME))?;
        let received = bytes
            .get(offset + 4..offset + MESSAGE_INTEGRITY_LEN)
            .ok_or(IntegrityError::Mismatch(NAME))?;
        let expected = hmac_sha1(mac, [&head, rest]);
        if mac_eq(&expected, received) {
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
        let (head, rest) =
            covered(bytes, offset, 4 + value_len).ok_or(IntegrityError::Mismatch(NAME))?;
        let received = bytes
            .get(offset + 4..offset + 4 + value_len)
            .ok_or(IntegrityError::Mismatch(NAME))?;
        let expected = hmac_sha256(key, [&head, rest]).ok_or(IntegrityError::Mismatch(NAME))?;
        let expected = expected
            .get(..value_len)
            .ok_or(IntegrityError::Mismatch(NAME))?;
        if mac_eq(expected, received) {
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
        let (head, rest) =
            covered(bytes, offset, FINGERPRINT_LEN).ok_or(IntegrityError::Mismatch(NAME))?;
        let received = bytes
            .get(offset + 4..offset + FINGERPRINT_LEN)
            .and_then(|v| <[u8; 4]>::try_from(v).ok())
            .ok_or(IntegrityError::Mismatch(NAME))?;
        if crc32([&head, rest]) == u32::from_be_bytes(received) {
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
        self.add_hmac_sha1(IntegrityKey::new(key).mac)
    }

    /// [`add_message_integrity`](Self::add_message_integrity) with a key
    /// prepared once ([`IntegrityKey`]).
    pub fn add_message_integrity_with(
        &mut self,
        key: &IntegrityKey,
    ) -> Result<&mut Self, WriteError> {
        self.add_hmac_sha1(key.mac.clone())
    }

    #[inline(always)]
    fn add_hmac_sha1(&mut self, mac: Hmac<Sha1>) -> Result<&mut Self, WriteError> {
        if self.has_integrity() || self.has_integrity_sha256() || self.has_fingerprint() {
            return Err(WriteError::Order(
                "MESSAGE-INTEGRITY must come before MESSAGE-INTEGRITY-SHA256 and FINGERPRINT, once",
            ));
        }
        self.add_computed(AttributeType::MESSAGE_INTEGRITY, 20, |bytes| {
            Some(hmac_sha1(mac, [bytes]))
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
            hmac_sha256(key, [bytes])
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
            Some(crc32([bytes]).to_be_bytes())
        })?;
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;

    use alloc::vec::Vec;

    use super::*;
    use crate::attribute::Attribute;
    use crate::message::tests::{TID, hex};
    use crate::message::{Class, Method};

    const KEY: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";

    /// A Binding request with USERNAME and PRIORITY, then whatever `finish`
    /// adds.
    fn request(finish: impl FnOnce(&mut MessageBuilder<'_>) -> Result<(), WriteError>) -> Vec<u8> {
        let mut buf = [0u8; 256];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
        builder
            .add(&Attribute::Username("evtj:h6vY"))
            .unwrap()
            .add(&Attribute::Priority(0x6e00_01ff))
            .unwrap();
        finish(&mut builder).unwrap();
        let len = builder.finish();
        buf[..len].to_vec()
    }

    /// The bytes a MAC or CRC covers, computed independently: the message
    /// up to `offset`, with the length field saying the message ends
    /// `attribute_len` bytes after it.
    fn covered_bytes(bytes: &[u8], offset: usize, attribute_len: usize) -> Vec<u8> {
        let mut covered = bytes[..offset].to_vec();
        let length = (offset + attribute_len - HEADER_LEN) as u16;
        covered[2..4].copy_from_slice(&length.to_be_bytes());
        covered
    }

    fn hmac_sha1_of(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    fn hmac_sha256_of(key: &[u8], data: &[u8]) -> Vec<u8> {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap();
        mac.update(data);
        mac.finalize().into_bytes().to_vec()
    }

    #[test]
    fn a_prepared_key_signs_and_checks_like_the_bare_key() {
        let prepared = IntegrityKey::new(KEY);
        let with_bare = request(|b| {
            b.add_message_integrity(KEY)?;
            b.add_fingerprint()?;
            Ok(())
        });
        let with_prepared = request(|b| {
            b.add_message_integrity_with(&prepared)?;
            b.add_fingerprint()?;
            Ok(())
        });
        assert_eq!(with_bare, with_prepared);
        let mi_offset = with_bare.len() - FINGERPRINT_LEN - MESSAGE_INTEGRITY_LEN;
        assert_eq!(
            &with_bare[mi_offset + 4..mi_offset + MESSAGE_INTEGRITY_LEN],
            hmac_sha1_of(
                KEY,
                &covered_bytes(&with_bare, mi_offset, MESSAGE_INTEGRITY_LEN)
            )
        );
        let message = Message::parse(&with_prepared).unwrap();
        assert_eq!(message.verify_message_integrity_with(&prepared), Ok(()));
        // The same key serves many messages: its state is not consumed.
        assert_eq!(message.verify_message_integrity_with(&prepared), Ok(()));
        assert_eq!(
            message.verify_message_integrity_with(&IntegrityKey::new(b"another password")),
            Err(IntegrityError::Mismatch("MESSAGE-INTEGRITY"))
        );
        // Keys longer than a SHA-1 block are hashed first, as HMAC says.
        let long = [0x5au8; 100];
        let signed = request(|b| {
            b.add_message_integrity_with(&IntegrityKey::new(&long))?;
            Ok(())
        });
        assert_eq!(
            Message::parse(&signed)
                .unwrap()
                .verify_message_integrity(&long),
            Ok(())
        );
        assert_eq!(alloc::format!("{prepared:?}"), "IntegrityKey(..)");
    }

    #[test]
    fn rfc5769_sample_request_integrity_and_fingerprint() {
        let bytes = hex("00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
             80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
             00 24 00 04 6e 00 01 ff
             80 29 00 08 93 2f f9 b1 51 26 3b 36
             00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
             00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
             80 28 00 04 e5 7a 3b cf");
        let message = Message::parse(&bytes).unwrap();
        assert!(message.has_integrity());
        assert!(message.has_fingerprint());
        assert_eq!(message.verify_message_integrity(KEY), Ok(()));
        assert_eq!(message.verify_integrity(KEY), Ok(IntegrityKind::Sha1));
        assert_eq!(message.verify_fingerprint(), Ok(()));
        // The values are what the RFC says, computed independently.
        let mi_offset = bytes.len() - FINGERPRINT_LEN - MESSAGE_INTEGRITY_LEN;
        assert_eq!(
            hmac_sha1_of(
                KEY,
                &covered_bytes(&bytes, mi_offset, MESSAGE_INTEGRITY_LEN)
            ),
            bytes[mi_offset + 4..mi_offset + 24]
        );
        let fp_offset = bytes.len() - FINGERPRINT_LEN;
        assert_eq!(
            crc32fast::hash(&bytes[..fp_offset]) ^ FINGERPRINT_XOR,
            0xe57a_3bcf
        );
    }

    #[test]
    fn built_values_match_independent_computation() {
        let bytes = request(|b| {
            b.add_message_integrity(KEY)?
                .add_message_integrity_sha256(KEY)?
                .add_fingerprint()?;
            Ok(())
        });
        let mi = 20 + 16 + 8;
        let sha = mi + MESSAGE_INTEGRITY_LEN;
        let fp = sha + MESSAGE_INTEGRITY_SHA256_LEN;
        assert_eq!(bytes.len(), fp + FINGERPRINT_LEN);
        assert_eq!(&bytes[mi..mi + 4], &[0x00, 0x08, 0x00, 0x14]);
        assert_eq!(
            bytes[mi + 4..sha],
            hmac_sha1_of(KEY, &covered_bytes(&bytes, mi, MESSAGE_INTEGRITY_LEN))
        );
        assert_eq!(&bytes[sha..sha + 4], &[0x00, 0x1c, 0x00, 0x20]);
        assert_eq!(
            bytes[sha + 4..fp],
            hmac_sha256_of(
                KEY,
                &covered_bytes(&bytes, sha, MESSAGE_INTEGRITY_SHA256_LEN)
            )
        );
        assert_eq!(&bytes[fp..fp + 4], &[0x80, 0x28, 0x00, 0x04]);
        let crc = crc32fast::hash(&bytes[..fp]) ^ FINGERPRINT_XOR;
        assert_eq!(bytes[fp + 4..], crc.to_be_bytes());

        let message = Message::parse(&bytes).unwrap();
        message.verify_message_integrity(KEY).unwrap();
        message.verify_message_integrity_sha256(KEY).unwrap();
        message.verify_fingerprint().unwrap();
        // MESSAGE-INTEGRITY-SHA256 is preferred when both are present.
        assert_eq!(message.verify_integrity(KEY), Ok(IntegrityKind::Sha256));
    }

    #[test]
    fn truncated_message_integrity_sha256() {
        for len in [16usize, 20, 24, 28, 32] {
            let bytes = request(|b| {
                b.add_message_integrity_sha256_truncated(KEY, len)?;
                Ok(())
            });
            let offset = bytes.len() - 4 - len;
            assert_eq!(
                bytes[offset + 4..],
                hmac_sha256_of(KEY, &covered_bytes(&bytes, offset, 4 + len))[..len]
            );
            let message = Message::parse(&bytes).unwrap();
            assert_eq!(
                message.verify_message_integrity_sha256(KEY),
                Ok(()),
                "{len}"
            );
            assert_eq!(message.verify_integrity(KEY), Ok(IntegrityKind::Sha256));
            assert_eq!(
                message.verify_message_integrity_sha256(b"other key"),
                Err(IntegrityError::Mismatch("MESSAGE-INTEGRITY-SHA256"))
            );
            assert_eq!(
                message.verify_message_integrity(KEY),
                Err(IntegrityError::Missing("MESSAGE-INTEGRITY"))
            );
            // Changing the last byte of the truncated MAC is noticed.
            let mut tampered = bytes.clone();
            *tampered.last_mut().unwrap() ^= 1;
            assert_eq!(
                Message::parse(&tampered)
                    .unwrap()
                    .verify_message_integrity_sha256(KEY),
                Err(IntegrityError::Mismatch("MESSAGE-INTEGRITY-SHA256"))
            );
        }
        for len in [0usize, 12, 15, 18, 33, 36] {
            let mut buf = [0u8; 128];
            let mut builder =
                MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
            assert!(matches!(
                builder.add_message_integrity_sha256_truncated(KEY, len),
                Err(WriteError::InvalidValue { kind: 0x001c, .. })
            ));
            assert!(builder.is_empty());
        }
    }

    #[test]
    fn mismatches() {
        let bytes = request(|b| {
            b.add_message_integrity(KEY)?.add_fingerprint()?;
            Ok(())
        });
        let message = Message::parse(&bytes).unwrap();
        assert_eq!(
            message.verify_message_integrity(b"wrong"),
            Err(IntegrityError::Mismatch("MESSAGE-INTEGRITY"))
        );
        assert_eq!(
            message.verify_integrity(b"wrong"),
            Err(IntegrityError::Mismatch("MESSAGE-INTEGRITY"))
        );
        assert_eq!(
            message.verify_message_integrity_sha256(KEY),
            Err(IntegrityError::Missing("MESSAGE-INTEGRITY-SHA256"))
        );
        // A changed PRIORITY breaks both the MAC and the CRC.
        let mut tampered = bytes.clone();
        tampered[HEADER_LEN + 16 + 7] ^= 0x01;
        let message = Message::parse(&tampered).unwrap();
        assert_eq!(message.priority(), Some(0x6e00_01fe));
        assert_eq!(
            message.verify_message_integrity(KEY),
            Err(IntegrityError::Mismatch("MESSAGE-INTEGRITY"))
        );
        assert_eq!(
            message.verify_fingerprint(),
            Err(IntegrityError::Mismatch("FINGERPRINT"))
        );
        // A changed FINGERPRINT value breaks only the CRC.
        let mut tampered = bytes.clone();
        *tampered.last_mut().unwrap() ^= 0x80;
        let message = Message::parse(&tampered).unwrap();
        assert_eq!(message.verify_message_integrity(KEY), Ok(()));
        assert_eq!(
            message.verify_fingerprint(),
            Err(IntegrityError::Mismatch("FINGERPRINT"))
        );
        // So does a changed transaction id.
        let mut tampered = bytes;
        tampered[10] ^= 0xff;
        let message = Message::parse(&tampered).unwrap();
        assert!(message.verify_fingerprint().is_err());
        assert!(message.verify_message_integrity(KEY).is_err());
    }

    #[test]
    fn missing() {
        let bytes = request(|_| Ok(()));
        let message = Message::parse(&bytes).unwrap();
        assert!(!message.has_integrity());
        assert!(!message.has_fingerprint());
        assert_eq!(
            message.verify_integrity(KEY),
            Err(IntegrityError::Missing("MESSAGE-INTEGRITY"))
        );
        assert_eq!(
            message.verify_message_integrity_sha256(KEY),
            Err(IntegrityError::Missing("MESSAGE-INTEGRITY-SHA256"))
        );
        assert_eq!(
            message.verify_fingerprint(),
            Err(IntegrityError::Missing("FINGERPRINT"))
        );
    }

    #[test]
    fn fingerprint_without_integrity_and_empty_key() {
        // FINGERPRINT alone, on a message with no attributes.
        let mut buf = [0u8; 64];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Indication, Method::BINDING, TID).unwrap();
        builder.add_fingerprint().unwrap();
        let len = builder.finish();
        let expected = crc32fast::hash(&hex("0011 0008 2112a442 b7e7a701 bc34d686 fa87dfae"))
            ^ FINGERPRINT_XOR;
        assert_eq!(
            buf[20..len],
            hex(&alloc::format!("8028 0004 {expected:08x}"))
        );
        Message::parse(&buf[..len])
            .unwrap()
            .verify_fingerprint()
            .unwrap();
        // HMAC accepts an empty key.
        let bytes = request(|b| {
            b.add_message_integrity(b"")?;
            Ok(())
        });
        let message = Message::parse(&bytes).unwrap();
        message.verify_message_integrity(b"").unwrap();
        assert!(message.verify_message_integrity(KEY).is_err());
    }
}
