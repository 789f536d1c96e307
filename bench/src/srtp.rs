//! SRTP and SRTCP: protect and unprotect, in AES-128-CM with HMAC-SHA1-80
//! and in AES-128-GCM, on the 1200-byte video packet, the 160-byte audio
//! packet and a 100-byte RTCP compound. Peers: webrtc-rs `webrtc-srtp`
//! and `rtc-srtp` (its sans-IO successor, with its default `ring`
//! provider). Floor: the bare cipher and MAC of the profile over the same
//! bytes with the same crates (AES-128-CTR keystream and HMAC-SHA1 over
//! the authenticated portion; AES-GCM seal or open).
//!
//! Each run gets a fresh packet, made outside the timing (a protected
//! packet can be unprotected once only: a second time is a replay): the
//! next sequence number, protected by a sansrtc sender for the unprotect
//! groups. Every implementation has a 128-packet replay window.

use core::hint::black_box;

use aes::cipher::{InnerIvInit, KeyInit, StreamCipher, generic_array::GenericArray};
use aes_gcm::aead::AeadInPlace;
use hmac::{Hmac, Mac};
use sansrtc_srtp::{Config, MasterKey, ProtectionProfile, Session};
use sha1::Sha1;

use crate::inputs::{audio_builder, rtp_bytes, video_builder};
use crate::{Buffer, Case, Role};

const KEY: [u8; 16] = [
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39,
];
const SALT: [u8; 14] = [
    0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6,
];
const WINDOW: usize = 128;

/// The 100-byte RTCP compound: SR with one report block, SDES CNAME,
/// PLI, and an empty RR.
pub fn rtcp_compound() -> Vec<u8> {
    let mut packet = Vec::new();
    // SR, one report block: 52 bytes.
    packet.extend_from_slice(&[0x81, 200, 0, 12]);
    packet.extend_from_slice(&0x0bad_cafe_u32.to_be_bytes());
    packet.extend((0..20).map(|i| i as u8));
    packet.extend_from_slice(&0x1234_5678_u32.to_be_bytes());
    packet.extend((0..20).map(|i| 0x40 + i as u8));
    // SDES, one chunk with a 16-byte CNAME: 28 bytes.
    packet.extend_from_slice(&[0x81, 202, 0, 6]);
    packet.extend_from_slice(&0x0bad_cafe_u32.to_be_bytes());
    packet.extend_from_slice(&[1, 16]);
    packet.extend_from_slice(b"sansrtc-bench-01");
    packet.extend_from_slice(&[0, 0]);
    // PLI: 12 bytes.
    packet.extend_from_slice(&[0x81, 206, 0, 2]);
    packet.extend_from_slice(&0x0bad_cafe_u32.to_be_bytes());
    packet.extend_from_slice(&0x1234_5678_u32.to_be_bytes());
    // RR, no block: 8 bytes.
    packet.extend_from_slice(&[0x80, 201, 0, 1]);
    packet.extend_from_slice(&0x0bad_cafe_u32.to_be_bytes());
    assert_eq!(packet.len(), 100);
    packet
}

fn salt(profile: ProtectionProfile) -> &'static [u8] {
    &SALT[..profile.master_salt_len()]
}

fn ours(profile: ProtectionProfile) -> Session {
    let key = MasterKey::new(profile, &KEY, salt(profile)).expect("key");
    let mut config = Config::default();
    config.replay_window = WINDOW as u32;
    Session::new(&key, config).expect("session")
}

fn webrtc(profile: ProtectionProfile) -> webrtc_srtp::context::Context {
    use webrtc_srtp::protection_profile::ProtectionProfile as P;
    let theirs = match profile {
        ProtectionProfile::AeadAes128Gcm => P::AeadAes128Gcm,
        _ => P::Aes128CmHmacSha1_80,
    };
    webrtc_srtp::context::Context::new(
        &KEY,
        salt(profile),
        theirs,
        Some(webrtc_srtp::option::srtp_replay_protection(WINDOW)),
        Some(webrtc_srtp::option::srtcp_replay_protection(WINDOW)),
    )
    .expect("webrtc-srtp context")
}

fn rtc(profile: ProtectionProfile) -> rtc_srtp::context::Context {
    use rtc_srtp::protection_profile::ProtectionProfile as P;
    let theirs = match profile {
        ProtectionProfile::AeadAes128Gcm => P::AeadAes128Gcm,
        _ => P::Aes128CmHmacSha1_80,
    };
    rtc_srtp::context::Context::new(
        &KEY,
        salt(profile),
        theirs,
        Some(rtc_srtp::option::srtp_replay_protection(WINDOW)),
        Some(rtc_srtp::option::srtcp_replay_protection(WINDOW)),
        &rtc_srtp::crypto::providers::RingCrypto,
    )
    .expect("rtc-srtp context")
}

/// Makes plain packets: the input with the next sequence number (RTP) or
/// as it is (RTCP, whose index the protecting side counts).
fn plain_maker(plain: Vec<u8>, rtcp: bool) -> impl FnMut(&mut Buffer) + 'static {
    let mut seq = 1u16;
    move |buffer| {
        buffer.set(&plain);
        if !rtcp {
            buffer.bytes[2..4].copy_from_slice(&seq.to_be_bytes());
            seq = seq.wrapping_add(1);
        }
    }
}

/// Makes protected packets: the next plain packet, protected by sansrtc.
fn protected_maker(
    profile: ProtectionProfile,
    plain: Vec<u8>,
    rtcp: bool,
) -> impl FnMut(&mut Buffer) + 'static {
    let mut sender = ours(profile);
    let mut make_plain = plain_maker(plain, rtcp);
    move |buffer| {
        make_plain(buffer);
        let len = buffer.len;
        buffer.len = if rtcp {
            sender.protect_rtcp(&mut buffer.bytes, len)
        } else {
            sender.protect_rtp(&mut buffer.bytes, len)
        }
        .expect("sansrtc protects");
    }
}

/// The floor's keyed primitives and the fixed IV of its packet.
struct Floor {
    profile: ProtectionProfile,
    aes: aes::Aes128Enc,
    mac: Hmac<Sha1>,
    gcm: aes_gcm::Aes128Gcm,
    /// Where encryption starts: the RTP header length, or 8 for RTCP.
    start: usize,
    rtcp: bool,
}

const CM_TAG: usize = 10;
const GCM_TAG: usize = 16;
const IV: [u8; 16] = [
    0x0e, 0xc6, 0x75, 0xad, 0x43, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe7, 0, 0,
];
const ROC: [u8; 4] = [0, 0, 0, 0];
const INDEX_WORD: [u8; 4] = [0x80, 0, 0, 1];

impl Floor {
    fn new(profile: ProtectionProfile, start: usize, rtcp: bool) -> Self {
        Self {
            profile,
            aes: aes::Aes128Enc::new(GenericArray::from_slice(&KEY)),
            mac: <Hmac<Sha1> as Mac>::new_from_slice(&[0x5a; 20]).expect("HMAC key"),
            gcm: aes_gcm::Aes128Gcm::new(GenericArray::from_slice(&KEY)),
            start,
            rtcp,
        }
    }

    fn keystream(&self, data: &mut [u8]) {
        let core = ctr::CtrCore::<&aes::Aes128Enc, ctr::flavors::Ctr128BE>::inner_iv_init(
            &self.aes,
            GenericArray::from_slice(&IV),
        );
        ctr::cipher::StreamCipherCoreWrapper::from_core(core).apply_keystream(data);
    }

    fn hmac(&self, first: &[u8], second: &[u8]) -> [u8; 20] {
        let mut mac = self.mac.clone();
        mac.update(first);
        mac.update(second);
        mac.finalize().into_bytes().into()
    }

    /// Encrypts and tags the packet in `buffer` as the profile does.
    fn protect(&self, buffer: &mut Buffer) -> usize {
        let len = buffer.len;
        let nonce = GenericArray::from_slice(&IV[..12]);
        match (self.profile.is_aead(), self.rtcp) {
            (false, false) => {
                self.keystream(&mut buffer.bytes[self.start..len]);
                let tag = self.hmac(&buffer.bytes[..len], &ROC);
                buffer.bytes[len..len + CM_TAG].copy_from_slice(&tag[..CM_TAG]);
                len + CM_TAG
            }
            (false, true) => {
                self.keystream(&mut buffer.bytes[8..len]);
                buffer.bytes[len..len + 4].copy_from_slice(&INDEX_WORD);
                let tag = self.hmac(&buffer.bytes[..len + 4], &[]);
                buffer.bytes[len + 4..len + 4 + CM_TAG].copy_from_slice(&tag[..CM_TAG]);
                len + 4 + CM_TAG
            }
            (true, false) => {
                let (header, payload) = buffer.bytes[..len].split_at_mut(self.start);
                let tag = self
                    .gcm
                    .encrypt_in_place_detached(nonce, header, payload)
                    .expect("GCM seals");
                buffer.bytes[len..len + GCM_TAG].copy_from_slice(&tag);
                len + GCM_TAG
            }
            (true, true) => {
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buffer.bytes[..8]);
                aad[8..].copy_from_slice(&INDEX_WORD);
                let tag = self
                    .gcm
                    .encrypt_in_place_detached(nonce, &aad, &mut buffer.bytes[8..len])
                    .expect("GCM seals");
                buffer.bytes[len..len + GCM_TAG].copy_from_slice(&tag);
                buffer.bytes[len + GCM_TAG..len + GCM_TAG + 4].copy_from_slice(&INDEX_WORD);
                len + GCM_TAG + 4
            }
        }
    }

    /// Checks the tag of the packet in `buffer` and decrypts it.
    fn unprotect(&self, buffer: &mut Buffer) -> usize {
        use subtle::ConstantTimeEq;
        let len = buffer.len;
        let nonce = GenericArray::from_slice(&IV[..12]);
        match (self.profile.is_aead(), self.rtcp) {
            (false, false) => {
                let body = len - CM_TAG;
                let tag = self.hmac(&buffer.bytes[..body], &ROC);
                assert!(bool::from(tag[..CM_TAG].ct_eq(&buffer.bytes[body..len])));
                self.keystream(&mut buffer.bytes[self.start..body]);
                body
            }
            (false, true) => {
                let authenticated = len - CM_TAG;
                let tag = self.hmac(&buffer.bytes[..authenticated], &[]);
                assert!(bool::from(
                    tag[..CM_TAG].ct_eq(&buffer.bytes[authenticated..len])
                ));
                self.keystream(&mut buffer.bytes[8..authenticated - 4]);
                authenticated - 4
            }
            (true, false) => {
                let body = len - GCM_TAG;
                let mut tag = [0u8; GCM_TAG];
                tag.copy_from_slice(&buffer.bytes[body..len]);
                let (header, payload) = buffer.bytes[..body].split_at_mut(self.start);
                self.gcm
                    .decrypt_in_place_detached(
                        nonce,
                        header,
                        payload,
                        GenericArray::from_slice(&tag),
                    )
                    .expect("GCM opens");
                body
            }
            (true, true) => {
                let body = len - GCM_TAG - 4;
                let mut tag = [0u8; GCM_TAG];
                tag.copy_from_slice(&buffer.bytes[body..body + GCM_TAG]);
                let mut aad = [0u8; 12];
                aad[..8].copy_from_slice(&buffer.bytes[..8]);
                aad[8..].copy_from_slice(&buffer.bytes[len - 4..len]);
                self.gcm
                    .decrypt_in_place_detached(
                        nonce,
                        &aad,
                        &mut buffer.bytes[8..body],
                        GenericArray::from_slice(&tag),
                    )
                    .expect("GCM opens");
                body
            }
        }
    }
}

fn name(profile: ProtectionProfile) -> &'static str {
    match profile {
        ProtectionProfile::AeadAes128Gcm => "aes128_gcm",
        _ => "aes128_cm_80",
    }
}

/// The group names: `srtp_{protect,unprotect}_{profile}_{input}`.
fn group(operation: &str, profile: ProtectionProfile, input: &str) -> &'static str {
    Box::leak(format!("srtp_{operation}_{}_{input}", name(profile)).into_boxed_str())
}

/// The SRTP and SRTCP cases.
pub fn cases() -> Vec<Case> {
    let video = rtp_bytes(&video_builder());
    let audio = rtp_bytes(&audio_builder());
    let header_len = |packet: &[u8]| {
        sansrtc_rtp::rtp::Packet::parse(packet)
            .expect("an RTP packet")
            .header_len()
    };
    let video_header = header_len(&video);
    let audio_header = header_len(&audio);
    let inputs = [
        ("video_1200", video, video_header, false),
        ("audio_160", audio, audio_header, false),
        ("rtcp_100", rtcp_compound(), 8, true),
    ];
    let mut cases = Vec::new();
    for profile in [
        ProtectionProfile::Aes128CmHmacSha1_80,
        ProtectionProfile::AeadAes128Gcm,
    ] {
        for (input, plain, start, rtcp) in &inputs {
            let (plain, start, rtcp) = (plain.clone(), *start, *rtcp);

            let protect = group("protect", profile, input);
            let mut session = ours(profile);
            cases.push(Case::prepared(
                protect,
                "sansrtc",
                Role::Sansrtc,
                plain_maker(plain.clone(), rtcp),
                move |buffer| {
                    let len = buffer.len;
                    let protected = if rtcp {
                        session.protect_rtcp(&mut buffer.bytes, len)
                    } else {
                        session.protect_rtp(&mut buffer.bytes, len)
                    };
                    protected.expect("sansrtc protects") as u64
                },
            ));
            let mut context = webrtc(profile);
            cases.push(Case::prepared(
                protect,
                "webrtc-srtp",
                Role::Peer,
                plain_maker(plain.clone(), rtcp),
                move |buffer| {
                    let packet = black_box(buffer.packet());
                    let protected = if rtcp {
                        context.encrypt_rtcp(packet)
                    } else {
                        context.encrypt_rtp(packet)
                    };
                    protected.expect("webrtc-srtp protects").len() as u64
                },
            ));
            let mut context = rtc(profile);
            cases.push(Case::prepared(
                protect,
                "rtc-srtp",
                Role::Peer,
                plain_maker(plain.clone(), rtcp),
                move |buffer| {
                    let packet = black_box(buffer.packet());
                    let protected = if rtcp {
                        context.encrypt_rtcp(packet)
                    } else {
                        context.encrypt_rtp(packet)
                    };
                    protected.expect("rtc-srtp protects").len() as u64
                },
            ));
            let floor = Floor::new(profile, start, rtcp);
            cases.push(Case::prepared(
                protect,
                "floor: cipher + MAC",
                Role::Floor,
                plain_maker(plain.clone(), rtcp),
                move |buffer| floor.protect(buffer) as u64,
            ));

            let unprotect = group("unprotect", profile, input);
            let mut session = ours(profile);
            cases.push(Case::prepared(
                unprotect,
                "sansrtc",
                Role::Sansrtc,
                protected_maker(profile, plain.clone(), rtcp),
                move |buffer| {
                    let packet = &mut buffer.bytes[..buffer.len];
                    let plain = if rtcp {
                        session.unprotect_rtcp(packet)
                    } else {
                        session.unprotect_rtp(packet)
                    };
                    plain.expect("sansrtc unprotects") as u64
                },
            ));
            let mut context = webrtc(profile);
            cases.push(Case::prepared(
                unprotect,
                "webrtc-srtp",
                Role::Peer,
                protected_maker(profile, plain.clone(), rtcp),
                move |buffer| {
                    let packet = black_box(buffer.packet());
                    let plain = if rtcp {
                        context.decrypt_rtcp(packet)
                    } else {
                        context.decrypt_rtp(packet)
                    };
                    plain.expect("webrtc-srtp unprotects").len() as u64
                },
            ));
            let mut context = rtc(profile);
            cases.push(Case::prepared(
                unprotect,
                "rtc-srtp",
                Role::Peer,
                protected_maker(profile, plain.clone(), rtcp),
                move |buffer| {
                    let packet = black_box(buffer.packet());
                    let plain = if rtcp {
                        context.decrypt_rtcp(packet)
                    } else {
                        context.decrypt_rtp(packet)
                    };
                    plain.expect("rtc-srtp unprotects").len() as u64
                },
            ));
            // The floor's input: the packet as the floor protects it
            // (fixed IV), made once.
            let floor = Floor::new(profile, start, rtcp);
            let mut template = Buffer::default();
            template.set(&plain);
            template.len = floor.protect(&mut template);
            cases.push(Case::prepared(
                unprotect,
                "floor: cipher + MAC",
                Role::Floor,
                move |buffer| buffer.set(template.packet()),
                move |buffer| floor.unprotect(buffer) as u64,
            ));
        }
    }
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every implementation gives back the plain packet the others
    /// protected (so the benchmarks time real work), and protects to the
    /// same length.
    #[test]
    fn every_implementation_reads_the_others() {
        let video = rtp_bytes(&video_builder());
        for profile in [
            ProtectionProfile::Aes128CmHmacSha1_80,
            ProtectionProfile::AeadAes128Gcm,
        ] {
            for (plain, rtcp) in [(video.clone(), false), (rtcp_compound(), true)] {
                let mut ours_sender = ours(profile);
                let mut ours_receiver = ours(profile);
                let mut webrtc_context = webrtc(profile);
                let mut rtc_context = rtc(profile);
                let mut buffer = Buffer::default();
                buffer.set(&plain);
                let len = if rtcp {
                    ours_sender.protect_rtcp(&mut buffer.bytes, plain.len())
                } else {
                    ours_sender.protect_rtp(&mut buffer.bytes, plain.len())
                }
                .unwrap();
                let protected = buffer.bytes[..len].to_vec();
                let (from_webrtc, from_rtc) = if rtcp {
                    (
                        webrtc_context.decrypt_rtcp(&protected).unwrap().to_vec(),
                        rtc_context.decrypt_rtcp(&protected).unwrap().to_vec(),
                    )
                } else {
                    (
                        webrtc_context.decrypt_rtp(&protected).unwrap().to_vec(),
                        rtc_context.decrypt_rtp(&protected).unwrap().to_vec(),
                    )
                };
                assert_eq!(from_webrtc, plain, "{profile}");
                assert_eq!(from_rtc, plain, "{profile}");

                let mut webrtc_sender = webrtc(profile);
                let theirs = if rtcp {
                    webrtc_sender.encrypt_rtcp(&plain).unwrap().to_vec()
                } else {
                    webrtc_sender.encrypt_rtp(&plain).unwrap().to_vec()
                };
                assert_eq!(theirs.len(), protected.len(), "{profile}");
                let mut received = theirs.clone();
                let n = if rtcp {
                    ours_receiver.unprotect_rtcp(&mut received)
                } else {
                    ours_receiver.unprotect_rtp(&mut received)
                }
                .unwrap();
                assert_eq!(received[..n], plain[..], "{profile}");
            }
        }
    }
}
