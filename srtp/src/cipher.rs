//! The ciphers and MACs of the profiles, keyed once per session: AES-CM
//! with HMAC-SHA1 (RFC 3711 §4.1.1, §4.2.1) and AES-GCM (RFC 7714).
//!
//! Three primitives: [`Ctr`] and [`Mac`] from RustCrypto's crates, and
//! [`Gcm`] from RustCrypto's `aes-gcm` by default or from AWS-LC with the
//! `aws-lc-rs` feature. (AWS-LC's AES-CTR and HMAC-SHA1 were measured too:
//! no faster on 1200-byte packets and slower on short ones, where its HMAC
//! copies a whole context per message, so they are not used.)

use subtle::ConstantTimeEq;

use crate::kdf::SessionKeys;
use crate::profile::ProtectionProfile;

#[cfg(feature = "aws-lc-rs")]
pub(crate) use awslc::Gcm;
#[cfg(not(feature = "aws-lc-rs"))]
pub(crate) use rustcrypto::Gcm;
pub(crate) use rustcrypto::{Ctr, Mac};

/// An HMAC-SHA1 output.
pub(crate) type Digest = [u8; 20];

/// The GCM tag length of both AEAD profiles, in bytes.
pub(crate) const GCM_TAG_LEN: usize = 16;

/// The keyed primitives of one of SRTP or SRTCP.
// Two per session: the variants' sizes are not worth a box.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Cipher {
    /// AES-128 in counter mode, HMAC-SHA1.
    AesCm {
        ctr: Ctr,
        mac: Mac,
        /// The session salt times 2^16 (RFC 3711 §4.1.1).
        salt: u128,
    },
    /// AES-128-GCM or AES-256-GCM.
    Gcm {
        gcm: Gcm,
        /// The 96-bit session salt.
        salt: u128,
    },
}

impl Cipher {
    /// Keys the primitives of `keys.profile()`.
    pub(crate) fn new(keys: &SessionKeys) -> Self {
        match keys.profile() {
            ProtectionProfile::Aes128CmHmacSha1_80 | ProtectionProfile::Aes128CmHmacSha1_32 => {
                Self::AesCm {
                    ctr: Ctr::new(keys.encryption_key()),
                    mac: Mac::new(keys.auth_key()),
                    salt: Self::cm_salt(keys.salt()),
                }
            }
            ProtectionProfile::AeadAes128Gcm | ProtectionProfile::AeadAes256Gcm => Self::Gcm {
                gcm: Gcm::new(keys.encryption_key()),
                salt: Self::gcm_salt(keys.salt()),
            },
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

    /// Whether `tag` is the first `tag.len()` bytes of `digest`, compared
    /// in constant time.
    #[inline]
    pub(crate) fn tag_matches(digest: &Digest, tag: &[u8]) -> bool {
        digest
            .get(..tag.len())
            .is_some_and(|expected| bool::from(expected.ct_eq(tag)))
    }
}

fn copy(into: &mut [u8], from: &[u8]) {
    if let Some(into) = into.get_mut(..from.len()) {
        into.copy_from_slice(from);
    }
}

/// RustCrypto: `aes` (AES-NI where the CPU has it), `ctr`, `hmac`, `sha1`,
/// `aes-gcm`.
mod rustcrypto {
    use aes::cipher::{InnerIvInit, KeyInit, StreamCipher, generic_array::GenericArray};
    #[cfg(not(feature = "aws-lc-rs"))]
    use aes_gcm::aead::AeadInPlace;
    use hmac::{Hmac, Mac as _};
    use sha1::Sha1;

    use super::Digest;
    #[cfg(not(feature = "aws-lc-rs"))]
    use super::GCM_TAG_LEN;

    /// AES-128 counter mode.
    pub(crate) struct Ctr(aes::Aes128Enc);

    impl Ctr {
        /// Keyed with a 16-byte key (anything else keys with zeros; the
        /// session keys have the profile's lengths).
        pub(crate) fn new(key: &[u8]) -> Self {
            Self(aes::Aes128Enc::new(GenericArray::from_slice(
                key.get(..16).unwrap_or(&[0; 16]),
            )))
        }

        /// XORs the keystream that starts at counter block `iv` into `data`.
        #[inline]
        pub(crate) fn apply(&self, iv: &[u8; 16], data: &mut [u8]) {
            let core = ctr::CtrCore::<&aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
                &self.0,
                iv.into(),
            );
            ctr::cipher::StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
        }
    }

    /// HMAC-SHA1, its padded key blocks hashed once.
    pub(crate) struct Mac(Hmac<Sha1>);

    impl Mac {
        pub(crate) fn new(key: &[u8]) -> Self {
            Self(
                <Hmac<Sha1> as hmac::Mac>::new_from_slice(key)
                    .unwrap_or_else(|_| <Hmac<Sha1> as hmac::Mac>::new(&Default::default())),
            )
        }

        /// The HMAC of `first` followed by `second`.
        #[inline]
        pub(crate) fn digest(&self, first: &[u8], second: &[u8]) -> Digest {
            let mut mac = self.0.clone();
            mac.update(first);
            mac.update(second);
            mac.finalize().into_bytes().into()
        }
    }

    /// AES-GCM with a 128- or 256-bit key.
    // One per session: the 256-bit variant's size is not worth a box.
    #[allow(clippy::large_enum_variant)]
    #[cfg(not(feature = "aws-lc-rs"))]
    pub(crate) enum Gcm {
        Aes128(aes_gcm::Aes128Gcm),
        Aes256(aes_gcm::Aes256Gcm),
    }

    #[cfg(not(feature = "aws-lc-rs"))]
    impl Gcm {
        /// Keyed with a 16- or 32-byte key.
        pub(crate) fn new(key: &[u8]) -> Self {
            match key.get(..32) {
                Some(key) => Self::Aes256(aes_gcm::Aes256Gcm::new(GenericArray::from_slice(key))),
                None => Self::Aes128(aes_gcm::Aes128Gcm::new(GenericArray::from_slice(
                    key.get(..16).unwrap_or(&[0; 16]),
                ))),
            }
        }

        /// Encrypts `data` in place; returns the tag.
        #[inline]
        pub(crate) fn seal(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8]) -> Option<[u8; 16]> {
            let nonce = GenericArray::from_slice(iv);
            let tag = match self {
                Self::Aes128(aead) => aead.encrypt_in_place_detached(nonce, aad, data),
                Self::Aes256(aead) => aead.encrypt_in_place_detached(nonce, aad, data),
            };
            tag.ok().map(Into::into)
        }

        /// Checks the tag at the end of `data_and_tag` over `aad` and the
        /// data before it (in constant time), and only then decrypts that
        /// data in place.
        #[inline]
        pub(crate) fn open(&self, iv: &[u8; 12], aad: &[u8], data_and_tag: &mut [u8]) -> bool {
            let Some(data_len) = data_and_tag.len().checked_sub(GCM_TAG_LEN) else {
                return false;
            };
            let (data, tag) = data_and_tag.split_at_mut(data_len);
            let nonce = GenericArray::from_slice(iv);
            let tag = GenericArray::from_slice(tag);
            match self {
                Self::Aes128(aead) => aead.decrypt_in_place_detached(nonce, aad, data, tag),
                Self::Aes256(aead) => aead.decrypt_in_place_detached(nonce, aad, data, tag),
            }
            .is_ok()
        }
    }
}

/// AWS-LC's AES-GCM, through `aws-lc-rs`.
#[cfg(feature = "aws-lc-rs")]
mod awslc {
    use aws_lc_rs::aead;

    use super::GCM_TAG_LEN;

    /// AES-GCM with a 128- or 256-bit key.
    pub(crate) struct Gcm(aead::LessSafeKey);

    impl Gcm {
        /// Keyed with a 16- or 32-byte key.
        pub(crate) fn new(key: &[u8]) -> Self {
            let unbound = match key.get(..32) {
                Some(key) => aead::UnboundKey::new(&aead::AES_256_GCM, key),
                None => {
                    aead::UnboundKey::new(&aead::AES_128_GCM, key.get(..16).unwrap_or(&[0; 16]))
                }
            };
            #[allow(clippy::expect_used)]
            Self(aead::LessSafeKey::new(
                unbound.expect("AWS-LC takes 16- and 32-byte AES-GCM keys"),
            ))
        }

        /// Encrypts `data` in place; returns the tag.
        #[inline]
        pub(crate) fn seal(&self, iv: &[u8; 12], aad: &[u8], data: &mut [u8]) -> Option<[u8; 16]> {
            let nonce = aead::Nonce::assume_unique_for_key(*iv);
            let tag = self
                .0
                .seal_in_place_separate_tag(nonce, aead::Aad::from(aad), data)
                .ok()?;
            let mut out = [0u8; GCM_TAG_LEN];
            out.copy_from_slice(tag.as_ref().get(..GCM_TAG_LEN)?);
            Some(out)
        }

        /// Checks the tag at the end of `data_and_tag` over `aad` and the
        /// data before it, and decrypts that data in place. On failure the
        /// data is overwritten.
        #[inline]
        pub(crate) fn open(&self, iv: &[u8; 12], aad: &[u8], data_and_tag: &mut [u8]) -> bool {
            let nonce = aead::Nonce::assume_unique_for_key(*iv);
            self.0
                .open_in_place(nonce, aead::Aad::from(aad), data_and_tag)
                .is_ok()
        }
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
