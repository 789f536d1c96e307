//! Cryptex (RFC 9335): every test vector of its Appendix A (AES-CM and
//! AES-GCM; one- and two-byte extensions, with and without CSRCs, empty
//! extension blocks), protected and unprotected byte for byte, and the
//! empty block added to a packet with CSRCs and no extension.

#![allow(clippy::indexing_slicing)]

#[path = "../../support/hex.rs"]
mod hex;

use hex::hex;
use sansrtc_srtp::{Config, MasterKey, ProtectionProfile, Session};

/// (plain RTP packet, protected packet).
const CM: [(&str, &str); 6] = [
    (
        "900f1235 decafbad cafebabe bede0001 51000200 abababab abababab abababab abababab",
        "900f1235 decafbad cafebabe c0de0001 eb923652 51c3e036 f8de27e9 c27ee3e0 b4651d9f
         bc4218a7 0244522f 34a5",
    ),
    (
        "900f1236 decafbad cafebabe 10000001 05020002 abababab abababab abababab abababab",
        "900f1236 decafbad cafebabe c2de0001 4ed9cc4e 6a712b30 96c5ca77 339d4204 ce0d7739
         6cab6958 5fbce381 94a5",
    ),
    (
        "920f1238 decafbad cafebabe 0001e240 0000b26e bede0001 51000200 abababab abababab
         abababab abababab",
        "920f1238 decafbad cafebabe 8bb6e12b 5cff16dd c0de0001 92838c8c 09e58393 e1de3a9a
         74734d67 45671338 c3acf11d a2df8423 bee0",
    ),
    (
        "920f1239 decafbad cafebabe 0001e240 0000b26e 10000001 05020002 abababab abababab
         abababab abababab",
        "920f1239 decafbad cafebabe f70e513e b90b9b25 c2de0001 bbed4848 faa64466 5f3d7f34
         125914e9 f4d0ae92 3c6f479b 95a0f7b5 3133",
    ),
    (
        "920f123a decafbad cafebabe 0001e240 0000b26e bede0000 abababab abababab abababab
         abababab",
        "920f123a decafbad cafebabe 7130b6ab fe2ab0e3 c0de0000 e3d9f64b 25c9e74c b4cf8e43
         fb92e378 1c2c0cea b6b3a499 a14c",
    ),
    (
        "920f123b decafbad cafebabe 0001e240 0000b26e 10000000 abababab abababab abababab
         abababab",
        "920f123b decafbad cafebabe cbf24c12 4330e1c8 c2de0000 599dd45b c9d687b6 03e8b59d
         771fd38e 88b170e0 cd31e125 eabe",
    ),
];

const GCM: [(&str, &str); 6] = [
    (
        "900f1235 decafbad cafebabe bede0001 51000200 abababab abababab abababab abababab",
        "900f1235 decafbad cafebabe c0de0001 39972dc9 572c4d99 e8fc355d e743fb2e 94f9d8ff
         54e72f41 93bbc5c7 4ffab0fa 9fa0fbeb",
    ),
    (
        "900f1236 decafbad cafebabe 10000001 05020002 abababab abababab abababab abababab",
        "900f1236 decafbad cafebabe c2de0001 bb75a4c5 45cd1f41 3bdb7daa 2b1e3263 de313667
         c9632490 81b35a65 f5cb6c88 b394235f",
    ),
    (
        "920f1238 decafbad cafebabe 0001e240 0000b26e bede0001 51000200 abababab abababab
         abababab abababab",
        "920f1238 decafbad cafebabe 63bbccc4 a7f695c4 c0de0001 8ad7c71f ac70a80c 92866b4c
         6ba98546 ef913586 e95ffaaf fe956885 bb0647a8 bc094ac8",
    ),
    (
        "920f1239 decafbad cafebabe 0001e240 0000b26e 10000001 05020002 abababab abababab
         abababab abababab",
        "920f1239 decafbad cafebabe 3680524f 8d312b00 c2de0001 c78d1200 38422bc1 11a7187a
         18246f98 0c059cc6 bc9df8b6 26394eca 344e4b05 d80fea83",
    ),
    (
        "920f123a decafbad cafebabe 0001e240 0000b26e bede0000 abababab abababab abababab
         abababab",
        "920f123a decafbad cafebabe 15b6bb43 37906fff c0de0000 b7b96453 7a2b03ab 7ba5389c
         e9331712 6b5d974d f30c6884 dcb651c5 e120c1da",
    ),
    (
        "920f123b decafbad cafebabe 0001e240 0000b26e 10000000 abababab abababab abababab
         abababab",
        "920f123b decafbad cafebabe dcb38c9e 48bf95f4 c2de0000 61ee432c f9203170 76613258
         d3ce4236 c06ac429 681ad084 13512dc9 8b5207d8",
    ),
];

fn session(profile: ProtectionProfile, key: &str, salt: &str) -> Session {
    let key = MasterKey::new(profile, &hex(key), &hex(salt)).unwrap();
    let mut config = Config::default();
    config.cryptex = true;
    Session::new(&key, config).unwrap()
}

fn check(profile: ProtectionProfile, key: &str, salt: &str, vectors: &[(&str, &str)]) {
    let mut sender = session(profile, key, salt);
    let mut receiver = session(profile, key, salt);
    for (i, (plain, protected)) in vectors.iter().enumerate() {
        let (plain, protected) = (hex(plain), hex(protected));
        let mut buf = plain.clone();
        buf.resize(plain.len() + sender.rtp_overhead(), 0);
        let len = sender.protect_rtp(&mut buf, plain.len()).unwrap();
        assert_eq!(buf[..len], protected[..], "{profile}: vector {i} protected");

        let mut buf = protected.clone();
        let len = receiver.unprotect_rtp(&mut buf).unwrap();
        assert_eq!(buf[..len], plain[..], "{profile}: vector {i} unprotected");
    }
}

#[test]
fn appendix_a_aes_cm() {
    check(
        ProtectionProfile::Aes128CmHmacSha1_80,
        "e1f97a0d3e018be0d64fa32c06de4139",
        "0ec675ad498afeebb6960b3aabe6",
        &CM,
    );
}

#[test]
fn appendix_a_aes_gcm() {
    check(
        ProtectionProfile::AeadAes128Gcm,
        "000102030405060708090a0b0c0d0e0f",
        "a0a1a2a3a4a5a6a7a8a9aaab",
        &GCM,
    );
}

#[test]
fn csrcs_without_an_extension_get_an_empty_encrypted_block() {
    for profile in ProtectionProfile::ALL {
        let key = MasterKey::new(
            profile,
            &vec![1; profile.master_key_len()],
            &vec![2; profile.master_salt_len()],
        )
        .unwrap();
        let mut config = Config::default();
        config.cryptex = true;
        let mut sender = Session::new(&key, config.clone()).unwrap();
        let mut receiver = Session::new(&key, config).unwrap();
        let plain = hex("820f0001 decafbad cafebabe 0001e240 0000b26e abababab abababab");
        let mut buf = plain.clone();
        buf.resize(plain.len() + sender.rtp_overhead(), 0);
        let len = sender.protect_rtp(&mut buf, plain.len()).unwrap();
        assert_eq!(len, plain.len() + sender.rtp_overhead(), "{profile}");
        // X set, the CSRCs encrypted, an empty 0xC0DE block after them.
        assert_eq!(buf[0], 0x92);
        assert_ne!(buf[12..20], plain[12..20]);
        assert_eq!(buf[20..24], [0xc0, 0xde, 0, 0]);
        let mut received = buf[..len].to_vec();
        let n = receiver.unprotect_rtp(&mut received).unwrap();
        // The block stays, as RFC 9335 §5.2 allows, in its RFC 8285 form.
        assert_eq!(
            received[..n],
            hex("920f0001 decafbad cafebabe 0001e240 0000b26e bede0000 abababab abababab")[..]
        );

        // A receiver without cryptex does not decrypt the CSRCs: with
        // AES-CM the tag still verifies and they stay encrypted; with GCM
        // the associated data differs and the packet is refused.
        let mut plain_receiver = Session::new(&key, Config::default()).unwrap();
        let mut received = buf[..len].to_vec();
        match plain_receiver.unprotect_rtp(&mut received) {
            Ok(n) => {
                assert!(!profile.is_aead(), "{profile}");
                assert_eq!(n, len - profile.rtp_auth_tag_len());
                assert_ne!(received[12..20], plain[12..20]);
            }
            Err(error) => {
                assert!(profile.is_aead(), "{profile}: {error}");
                assert_eq!(error, sansrtc_srtp::UnprotectError::AuthenticationFailed);
            }
        }
    }
}
