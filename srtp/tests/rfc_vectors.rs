//! Every test vector of RFC 3711 Appendix B that applies to the profiles
//! here (B.2 AES-CM keystream, B.3 key derivation; B.1 is AES-f8, which no
//! DTLS-SRTP profile uses), RFC 6188 §7.1 and §7.2 (AES-256 keystream and
//! key derivation, which the AES-256-GCM profile's KDF uses) and RFC 7714
//! §16 and §17 (AES-GCM SRTP and SRTCP, encrypted and authenticated only),
//! byte for byte.

#![allow(clippy::indexing_slicing)]

#[path = "../../support/hex.rs"]
mod hex;

use hex::hex;
use sansrtc_srtp::{
    Config, Label, MasterKey, ProtectionProfile, Session, SessionKeys, UnprotectError, derive_key,
};

/// Counter blocks 0, 1, 2 and 0xfeff, 0xff00, 0xff01 of a keystream.
fn check_keystream(keystream: &[u8], first: &str, last: &str) {
    assert_eq!(keystream.len(), 0xff02 * 16);
    assert_eq!(keystream[..48], hex(first)[..]);
    assert_eq!(keystream[keystream.len() - 48..], hex(last)[..]);
}

const B2_FIRST: &str = "E03EAD0935C95E80E166B16DD92B4EB4
                        D23513162B02D0F72A43A2FE4A5F97AB
                        41E95B3BB0A2E8DD477901E4FCA894C0";
const B2_LAST: &str = "EC8CDF7398607CB0F2D21675EA9EA1E4
                       362B7C3C6773516318A077D7FC5073AE
                       6A2CC3787889374FBEB4C81B17BA6C44";

/// RFC 3711 B.2: the AES-CM keystream of session key 2B7E..., session
/// salt F0F1...FD, for SSRC 0 and packet index 0, as the payload an SRTP
/// packet of zeros gets.
#[test]
fn rfc3711_b2_aes_cm_keystream_through_srtp() {
    let profile = ProtectionProfile::Aes128CmHmacSha1_80;
    let keys = SessionKeys::new(
        profile,
        &hex("2B7E151628AED2A6ABF7158809CF4F3C"),
        &hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
        &[0x55; 20],
    )
    .unwrap();
    let mut session = Session::from_session_keys(&keys, &keys, Config::default()).unwrap();
    let header = hex("800f0000 decafbad 00000000");
    let len = header.len() + 0xff02 * 16;
    let mut buf = vec![0u8; len + session.rtp_overhead()];
    buf[..12].copy_from_slice(&header);
    let protected = session.protect_rtp(&mut buf, len).unwrap();
    assert_eq!(protected, len + 10);
    assert_eq!(buf[..12], header[..]);
    check_keystream(&buf[12..len], B2_FIRST, B2_LAST);

    // And back.
    let mut receiver = Session::from_session_keys(&keys, &keys, Config::default()).unwrap();
    assert_eq!(receiver.unprotect_rtp(&mut buf).unwrap(), len);
    assert!(buf[12..len].iter().all(|&b| b == 0));
}

/// RFC 3711 B.2 again, through the key derivation function (the AES-CM
/// PRF with label 0 starts its keystream at the salt).
#[test]
fn rfc3711_b2_aes_cm_keystream_through_the_prf() {
    let mut keystream = vec![0u8; 0xff02 * 16];
    derive_key(
        &hex("2B7E151628AED2A6ABF7158809CF4F3C"),
        &hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
        Label::RtpEncryption,
        &mut keystream,
    )
    .unwrap();
    check_keystream(&keystream, B2_FIRST, B2_LAST);
}

/// RFC 3711 B.3: key derivation, with the whole 94-byte authentication key
/// the RFC prints (HMAC-SHA1 uses its first 20 bytes).
#[test]
fn rfc3711_b3_key_derivation() {
    let master_key = hex("E1F97A0D3E018BE0D64FA32C06DE4139");
    let master_salt = hex("0EC675AD498AFEEBB6960B3AABE6");
    let mut cipher_key = [0u8; 16];
    let mut cipher_salt = [0u8; 14];
    let mut auth_key = [0u8; 94];
    derive_key(
        &master_key,
        &master_salt,
        Label::RtpEncryption,
        &mut cipher_key,
    )
    .unwrap();
    derive_key(&master_key, &master_salt, Label::RtpSalt, &mut cipher_salt).unwrap();
    derive_key(
        &master_key,
        &master_salt,
        Label::RtpAuthentication,
        &mut auth_key,
    )
    .unwrap();
    assert_eq!(cipher_key[..], hex("C61E7A93744F39EE10734AFE3FF7A087")[..]);
    assert_eq!(cipher_salt[..], hex("30CBBC08863D8C85D49DB34A9AE1")[..]);
    assert_eq!(
        auth_key[..],
        hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4
             8F0A0ACF3C34E2359E6CDBCEE049646C43D9327AD175578EF7227098
             6371C10C9A369AC2F94A8C5FBCDDDC256D6E919A48B610EF17C2041E
             474035766B68642C59BBFC2F34DB60DBDFB2")[..]
    );

    // The same through the session keys of a master key.
    let master = MasterKey::new(
        ProtectionProfile::Aes128CmHmacSha1_80,
        &master_key,
        &master_salt,
    )
    .unwrap();
    let keys = SessionKeys::derive_rtp(&master);
    assert_eq!(keys.encryption_key(), &cipher_key[..]);
    assert_eq!(keys.salt(), &cipher_salt[..]);
    assert_eq!(keys.auth_key(), &auth_key[..20]);
}

/// RFC 6188 §7.1: the AES-256-CM keystream (the PRF of the AES-256-GCM
/// profile), first and last three blocks.
#[test]
fn rfc6188_7_1_aes_256_cm_keystream() {
    let mut keystream = vec![0u8; 0xff02 * 16];
    derive_key(
        &hex("57f82fe3613fd170a85ec93c40b1f0922ec4cb0dc025b58272147cc438944a98"),
        &hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
        Label::RtpEncryption,
        &mut keystream,
    )
    .unwrap();
    check_keystream(
        &keystream,
        "92bdd28a93c3f52511c677d08b5515a4
         9da71b2378a854f67050756ded165bac
         63c4868b7096d88421b563b8c94c9a31",
        "cea518c90fd91ced9cbb18c078a54711
         3dbc4814f4da5f00a08772b63c6a046d
         6eb246913062a16891433e97dd01a57f",
    );
}

/// RFC 6188 §7.2: the AES_256_CM_PRF key derivation.
#[test]
fn rfc6188_7_2_aes_256_key_derivation() {
    let master_key = hex("f0f04914b513f2763a1b1fa130f10e2998f6f6e43e4309d1e622a0e332b9f1b6");
    let master_salt = hex("3b04803de51ee7c96423ab5b78d2");
    let mut cipher_key = [0u8; 32];
    let mut cipher_salt = [0u8; 14];
    let mut auth_key = [0u8; 20];
    derive_key(
        &master_key,
        &master_salt,
        Label::RtpEncryption,
        &mut cipher_key,
    )
    .unwrap();
    derive_key(&master_key, &master_salt, Label::RtpSalt, &mut cipher_salt).unwrap();
    derive_key(
        &master_key,
        &master_salt,
        Label::RtpAuthentication,
        &mut auth_key,
    )
    .unwrap();
    assert_eq!(
        cipher_key[..],
        hex("5ba1064e30ec51613cad926c5a28ef731ec7fb397f70a960653caf06554cd8c4")[..]
    );
    assert_eq!(cipher_salt[..], hex("fa31791685ca444a9e07c6c64e93")[..]);
    assert_eq!(
        auth_key[..],
        hex("fd9c32d39ed5fbb5a9dc96b30818454d1313dc05")[..]
    );
}

/// RFC 7714 §16 and §17 use the same packets and session keys.
const RTP: &str = "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
                   20646976 69736120 696e2070 61727465 73207472 6573";
const RTCP: &str = "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                    4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef";
const SALT: &str = "517569642070726f2071756f";
const KEY_128: &str = "000102030405060708090a0b0c0d0e0f";
const KEY_256: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

struct GcmVectors {
    profile: ProtectionProfile,
    key: &'static str,
    srtp: &'static str,
    srtcp: &'static str,
    srtcp_authenticated: &'static str,
}

const GCM: [GcmVectors; 2] = [
    // §16.1 and §17.1, §17.2.
    GcmVectors {
        profile: ProtectionProfile::AeadAes128Gcm,
        key: KEY_128,
        srtp: "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5
               0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
        srtcp: "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
                c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
                45d9eade 800005d4",
        srtcp_authenticated: "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                              4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef 841dd968
                              3dd78ec9 2ae58790 125f62b3 000005d4",
    },
    // §16.2 and §17.3, §17.4.
    GcmVectors {
        profile: ProtectionProfile::AeadAes256Gcm,
        key: KEY_256,
        srtp: "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238
               9a58e2f3 b50b2a02 76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
        srtcp: "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50
                a2eaa5c1 110555be 8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c
                b26ac3be 800005d4",
        srtcp_authenticated: "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930
                              4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef 91db4afb
                              feee5a97 8fab4393 ed2615fe 000005d4",
    },
];

fn gcm_session(vectors: &GcmVectors, encrypt_rtcp: bool) -> Session {
    let keys = SessionKeys::new(vectors.profile, &hex(vectors.key), &hex(SALT), &[]).unwrap();
    let mut config = Config::default();
    config.encrypt_rtcp = encrypt_rtcp;
    Session::from_session_keys(&keys, &keys, config).unwrap()
}

#[test]
fn rfc7714_16_srtp_encryption_and_decryption() {
    for vectors in &GCM {
        let plain = hex(RTP);
        let expected = hex(vectors.srtp);
        let mut buf = vec![0u8; 200];
        buf[..plain.len()].copy_from_slice(&plain);
        let len = gcm_session(vectors, true)
            .protect_rtp(&mut buf, plain.len())
            .unwrap();
        assert_eq!(buf[..len], expected[..], "{}", vectors.profile);

        let mut buf = expected.clone();
        let mut receiver = gcm_session(vectors, true);
        let len = receiver.unprotect_rtp(&mut buf).unwrap();
        assert_eq!(buf[..len], plain[..], "{}", vectors.profile);

        // One bit of the tag flipped.
        let mut buf = expected.clone();
        *buf.last_mut().unwrap() ^= 1;
        assert_eq!(
            gcm_session(vectors, true).unprotect_rtp(&mut buf),
            Err(UnprotectError::AuthenticationFailed)
        );
    }
}

/// Protects RTCP packets of SSRC "Mars" until its SRTCP index is 0x5d4,
/// the index of the vectors, and returns the next one protected.
fn protect_at_index_0x5d4(session: &mut Session) -> Vec<u8> {
    let plain = hex(RTCP);
    let mut buf = vec![0u8; 200];
    for _ in 0..0x5d4 {
        buf[..plain.len()].copy_from_slice(&plain);
        session.protect_rtcp(&mut buf, plain.len()).unwrap();
    }
    buf[..plain.len()].copy_from_slice(&plain);
    let len = session.protect_rtcp(&mut buf, plain.len()).unwrap();
    buf.truncate(len);
    buf
}

#[test]
fn rfc7714_17_srtcp_encryption_and_decryption() {
    for vectors in &GCM {
        let plain = hex(RTCP);
        let expected = hex(vectors.srtcp);
        assert_eq!(
            protect_at_index_0x5d4(&mut gcm_session(vectors, true)),
            expected,
            "{}",
            vectors.profile
        );
        let mut buf = expected.clone();
        let len = gcm_session(vectors, true).unprotect_rtcp(&mut buf).unwrap();
        assert_eq!(buf[..len], plain[..], "{}", vectors.profile);
    }
}

#[test]
fn rfc7714_17_srtcp_tag_only() {
    for vectors in &GCM {
        let plain = hex(RTCP);
        let expected = hex(vectors.srtcp_authenticated);
        assert_eq!(
            protect_at_index_0x5d4(&mut gcm_session(vectors, false)),
            expected,
            "{}",
            vectors.profile
        );
        // Read by its E flag, whatever the receiver's own setting.
        for encrypt_rtcp in [false, true] {
            let mut buf = expected.clone();
            let len = gcm_session(vectors, encrypt_rtcp)
                .unprotect_rtcp(&mut buf)
                .unwrap();
            assert_eq!(buf[..len], plain[..], "{}", vectors.profile);
        }
        // The tag covers the clear payload: one bit of it flipped.
        let mut buf = expected.clone();
        buf[20] ^= 0x80;
        assert_eq!(
            gcm_session(vectors, false).unprotect_rtcp(&mut buf),
            Err(UnprotectError::AuthenticationFailed)
        );
    }
}
