//! The ciphers and MACs of the profiles, keyed once per session: AES-CM
//! with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1) and AES-GCM (RFC 7714).

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher, generic_array::GenericArray};
use aes_gcm::aead::AeadInPlace;
use hmac::{Hmac, Mac};
use sha1::Sha1;
use subtle::ConstantTimeEq;

use crate::kdf::SessionKeys;
use crate::profile::ProtectionProfile;

/// An HMAC-SHA1 output.
pub(crate) type Digest = [u8; 20];

/// The GCM tag length of both AEAD profiles, in bytes.
pub(crate) const GCM_TAG_LEN: usize = 16;

/// One direction-independent set of keyed primitives.
pub(crate) enum Cipher {
    /// AES-128 in counter mode, HMAC-SHA1.
    AesCm {
        aes: aes::Aes128Enc,
        mac: Hmac<Sha1>,
        /// The session salt times 2^16 (RFC 3711 §4.1.1).
        salt: u128,
    },
    /// AES-128-GCM.
    Gcm128 {
        aead: aes_gcm::Aes128Gcm,
        /// The 96-bit session salt.
        salt: u128,
    },
    /// AES-256-GCM.
    Gcm256 {
        aead: aes_gcm::Aes256Gcm,
        /// The 96-bit session salt.
        salt: u128,
    },
}

impl Cipher {
    /// Keys the primitives of `keys.profile()`.
    pub(crate) fn new(keys: &SessionKeys) -> Self {
        match keys.profile() {
            ProtectionProfile::Aes128CmHmacSha1_80 | ProtectionProfile::Aes128CmHmacSha1_32 => {
                let salt = Self::cm_salt(keys.salt());
                Self::AesCm {
                    aes: aes::Aes128Enc::new(GenericArray::from_slice(
                        keys.encryption_key().get(..16).unwrap_or(&[0; 16]),
                    )),
                    mac: <Hmac<Sha1> as Mac>::new_from_slice(keys.auth_key())
                        .unwrap_or_else(|_| <Hmac<Sha1> as Mac>::new(&Default::default())),
                    salt,
                }
            }
            ProtectionProfile::AeadAes128Gcm => {
                let salt = Self::gcm_salt(keys.salt());
                Self::Gcm128 {
                    aead: aes_gcm::Aes128Gcm::new(GenericArray::from_slice(
                        keys.encryption_key().get(..16).unwrap_or(&[0; 16]),
                    )),
                    salt,
                }
            }
            ProtectionProfile::AeadAes256Gcm => {
                let salt = Self::gcm_salt(keys.salt());
                Self::Gcm256 {
                    aead: aes_gcm::Aes256Gcm::new(GenericArray::from_slice(
                        keys.encryption_key().get(..32).unwrap_or(&[0; 32]),
                    )),
                    salt,
                }
            }
        }
    }

    /// A 112-bit AES-CM session salt as the first 14 bytes of a 128-bit
    /// block: `salt * 2^16`.
    pub(crate) fn cm_salt(salt: &[u8]) -> u128 {
        let mut block = [0u8; 16];
        copy(&mut block, salt);
        u128::from_be_bytes(block)
    }

    /// A 96-bit GCM session salt as a number.
    pub(crate) fn gcm_salt(salt: &[u8]) -> u128 {
        let mut block = [0u8; 16];
        if let Some(low) = block.get_mut(4..) {
            copy(low, salt);
        }
        u128::from_be_bytes(block)
    }

    /// The AES-CM initialization vector of RFC 3711 §4.1.1:
    /// `(salt * 2^16) XOR (ssrc * 2^64) XOR (index * 2^16)`, where `index`
    /// is the 48-bit SRTP packet index or the 31-bit SRTCP index and `salt`
    /// comes from [`cm_salt`](Self::cm_salt).
    #[inline]
    pub(crate) fn cm_iv(salt: u128, ssrc: u32, index: u64) -> [u8; 16] {
        (salt ^ (u128::from(ssrc) << 64) ^ (u128::from(index) << 16)).to_be_bytes()
    }

    /// The GCM initialization vector of RFC 7714 §8.1 (SRTP: `0x0000 ||
    /// SSRC || ROC || SEQ`) and §9.1 (SRTCP: `0x0000 || SSRC || 0x0000 ||
    /// index`, so `high` is `index >> 16` and `low` the rest), XORed with
    /// the salt from [`gcm_salt`](Self::gcm_salt).
    #[inline]
    pub(crate) fn gcm_iv(salt: u128, ssrc: u32, high: u32, low: u16) -> [u8; 12] {
        let iv = salt ^ (u128::from(ssrc) << 48) ^ (u128::from(high) << 16) ^ u128::from(low);
        let bytes = iv.to_be_bytes();
        let mut out = [0u8; 12];
        out.copy_from_slice(&bytes[4..]);
        out
    }

    /// XORs the AES-CM keystream that starts at `iv` into `data`.
    #[inline]
    pub(crate) fn apply_keystream(aes: &aes::Aes128Enc, iv: &[u8; 16], data: &mut [u8]) {
        let core =
            ctr::CtrCore::<&aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(aes, iv.into());
        let mut ctr = ctr::cipher::StreamCipherCoreWrapper::from_core(core);
        ctr.apply_keystream(data);
    }

    /// HMAC-SHA1 of `first` followed by `second`.
    #[inline]
    pub(crate) fn hmac(mac: &Hmac<Sha1>, first: &[u8], second: &[u8]) -> Digest {
        let mut mac = mac.clone();
        mac.update(first);
        mac.update(second);
        mac.finalize().into_bytes().into()
    }

    /// Whether `tag` is the first `tag.len()` bytes of `digest`, compared
    /// in constant time.
    #[inline]
    pub(crate) fn tag_matches(digest: &Digest, tag: &[u8]) -> bool {
        digest
            .get(..tag.len())
            .is_some_and(|expected| bool::from(expected.ct_eq(tag)))
    }

    /// GCM seal in place: encrypts `data`, returns the tag.
    #[inline]
    pub(crate) fn gcm_seal(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8]) -> Option<[u8; 16]> {
        let nonce = GenericArray::from_slice(iv);
        let tag = match self {
            Self::Gcm128 { aead, .. } => aead.encrypt_in_place_detached(nonce, aad, data),
            Self::Gcm256 { aead, .. } => aead.encrypt_in_place_detached(nonce, aad, data),
            Self::AesCm { .. } => return None,
        };
        tag.ok().map(Into::into)
    }

    /// GCM open in place: checks `tag` over `aad` and `data` (in constant
    /// time), and only then decrypts `data`.
    #[inline]
    pub(crate) fn gcm_open(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8], tag: &[u8]) -> bool {
        let nonce = GenericArray::from_slice(iv);
        if tag.len() != GCM_TAG_LEN {
            return false;
        }
        let tag = GenericArray::from_slice(tag);
        match self {
            Self::Gcm128 { aead, .. } => aead
                .decrypt_in_place_detached(nonce, aad, data, tag)
                .is_ok(),
            Self::Gcm256 { aead, .. } => aead
                .decrypt_in_place_detached(nonce, aad, data, tag)
                .is_ok(),
            Self::AesCm { .. } => false,
        }
    }
}

fn copy(into: &mut [u8], from: &[u8]) {
    if let Some(into) = into.get_mut(..from.len()) {
        into.copy_from_slice(from);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cm_iv_places_ssrc_and_index_as_rfc_3711_says() {
        let iv = Cipher::cm_iv(0, 0x0102_0304, 0x0000_5566_7788);
        assert_eq!(
            iv,
            [0, 0, 0, 0, 1, 2, 3, 4, 0, 0, 0x55, 0x66, 0x77, 0x88, 0, 0]
        );
        let salt: [u8; 14] = core::array::from_fn(|i| 0xf0 + i as u8);
        let iv = Cipher::cm_iv(Cipher::cm_salt(&salt), 0, 0);
        assert_eq!(iv[..14], salt);
        assert_eq!(iv[14..], [0, 0]);
    }

    #[test]
    fn the_gcm_iv_matches_rfc_7714() {
        // RFC 7714 §16.1.1 and §17.1.1.
        let salt = Cipher::gcm_salt(b"Quid pro quo");
        assert_eq!(
            Cipher::gcm_iv(salt, 0x5501_a0b2, 0, 0xf17b),
            [
                0x51, 0x75, 0x3c, 0x65, 0x80, 0xc2, 0x72, 0x6f, 0x20, 0x71, 0x84, 0x14
            ]
        );
        assert_eq!(
            Cipher::gcm_iv(salt, 0x4d61_7273, 0, 0x05d4),
            [
                0x51, 0x75, 0x24, 0x05, 0x52, 0x03, 0x72, 0x6f, 0x20, 0x71, 0x70, 0xbb
            ]
        );
    }
}
