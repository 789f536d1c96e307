//! Properties over generated packets and keys, for every profile, with
//! and without cryptex:
//! unprotect(protect(p)) == p for SRTP and SRTCP, any single bit flipped
//! in a protected packet is refused (and the refusal changes nothing: the
//! untouched packet is still accepted after), and unprotect never panics on
//! arbitrary bytes.

#![allow(clippy::indexing_slicing)]

use proptest::prelude::*;
use sansrtc_srtp::{Config, MasterKey, ProtectionProfile, Session};

fn profile() -> impl Strategy<Value = ProtectionProfile> {
    (0..ProtectionProfile::ALL.len()).prop_map(|i| ProtectionProfile::ALL[i])
}

fn key(profile: ProtectionProfile) -> impl Strategy<Value = MasterKey> {
    (
        proptest::collection::vec(any::<u8>(), profile.master_key_len()),
        proptest::collection::vec(any::<u8>(), profile.master_salt_len()),
    )
        .prop_map(move |(key, salt)| MasterKey::new(profile, &key, &salt).unwrap())
}

fn mki() -> impl Strategy<Value = Option<Vec<u8>>> {
    prop_oneof![
        3 => Just(None),
        1 => proptest::collection::vec(any::<u8>(), 1..8).prop_map(Some),
    ]
}

/// An RTP packet: header fields, CSRCs, an optional extension, a payload.
fn rtp_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<(bool, u8, u16, u32, u32)>(),
        proptest::collection::vec(any::<u32>(), 0..16),
        proptest::option::of(proptest::collection::vec(any::<u8>(), 0..6)),
        proptest::collection::vec(any::<u8>(), 0..300),
    )
        .prop_map(
            |((marker, payload_type, seq, timestamp, ssrc), csrcs, extension, payload)| {
                let mut packet = vec![
                    0x80 | (u8::from(extension.is_some()) << 4) | csrcs.len() as u8,
                    (u8::from(marker) << 7) | (payload_type & 0x7f),
                ];
                packet.extend_from_slice(&seq.to_be_bytes());
                packet.extend_from_slice(&timestamp.to_be_bytes());
                packet.extend_from_slice(&ssrc.to_be_bytes());
                for csrc in csrcs {
                    packet.extend_from_slice(&csrc.to_be_bytes());
                }
                if let Some(words) = extension {
                    packet.extend_from_slice(&[0xbe, 0xde, 0, words.len() as u8]);
                    for word in words {
                        packet.extend_from_slice(&[word; 4]);
                    }
                }
                packet.extend(payload);
                packet
            },
        )
}

/// An RTCP compound packet as SRTCP sees it: an 8-byte header with the
/// sender's SSRC, then any words.
fn rtcp_packet() -> impl Strategy<Value = Vec<u8>> {
    (
        any::<(u8, u32)>(),
        proptest::collection::vec(any::<u8>(), 0..400),
    )
        .prop_map(|((packet_type, ssrc), rest)| {
            let mut packet = vec![0x80, 192 | (packet_type & 0x3f)];
            packet.extend_from_slice(&((rest.len() / 4 + 1) as u16).to_be_bytes());
            packet.extend_from_slice(&ssrc.to_be_bytes());
            packet.extend_from_slice(&rest[..rest.len() / 4 * 4]);
            packet
        })
}

fn sessions(
    key: &MasterKey,
    mki: Option<Vec<u8>>,
    encrypt_rtcp: bool,
    cryptex: bool,
) -> (Session, Session) {
    let mut config = Config::default();
    config.mki = mki;
    config.encrypt_rtcp = encrypt_rtcp;
    config.cryptex = cryptex;
    (
        Session::new(key, config.clone()).unwrap(),
        Session::new(key, config).unwrap(),
    )
}

fn case() -> impl Strategy<Value = (MasterKey, Option<Vec<u8>>, bool)> {
    profile().prop_flat_map(|profile| (key(profile), mki(), any::<bool>()))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn srtp_round_trips_and_refuses_every_flipped_bit(
        (key, mki, cryptex) in case(),
        packet in rtp_packet(),
    ) {
        let (mut sender, mut receiver) = sessions(&key, mki, true, cryptex);
        let mut buf = packet.clone();
        buf.resize(packet.len() + sender.rtp_overhead(), 0);
        let len = sender.protect_rtp(&mut buf, packet.len()).unwrap();
        buf.truncate(len);
        let protected = buf;

        for bit in 0..protected.len() * 8 {
            let mut flipped = protected.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(
                receiver.unprotect_rtp(&mut flipped).is_err(),
                "{}: bit {} flipped was accepted", key.profile(), bit
            );
        }
        prop_assert_eq!(receiver.stream_count(), (0, 0));

        let mut buf = protected.clone();
        let len = receiver.unprotect_rtp(&mut buf).unwrap();
        // With cryptex, a packet with CSRCs and no extension gains an
        // empty extension block.
        let added_block = cryptex && packet[0] & 0x1f > 0 && packet[0] & 0x10 == 0;
        if added_block {
            let at = 12 + 4 * usize::from(packet[0] & 0x0f);
            prop_assert_eq!(buf[0], packet[0] | 0x10);
            prop_assert_eq!(&buf[1..at], &packet[1..at]);
            prop_assert_eq!(&buf[at..at + 4], &[0xbe, 0xde, 0, 0][..]);
            prop_assert_eq!(&buf[at + 4..len], &packet[at..]);
        } else {
            prop_assert_eq!(&buf[..len], &packet[..]);
        }
    }

    #[test]
    fn srtcp_round_trips_and_refuses_every_flipped_bit(
        (key, mki, encrypt_rtcp) in case(),
        packet in rtcp_packet(),
    ) {
        let (mut sender, mut receiver) = sessions(&key, mki, encrypt_rtcp, false);
        let mut buf = packet.clone();
        buf.resize(packet.len() + sender.rtcp_overhead(), 0);
        let len = sender.protect_rtcp(&mut buf, packet.len()).unwrap();
        prop_assert_eq!(len, buf.len());
        let protected = buf;

        for bit in 0..protected.len() * 8 {
            let mut flipped = protected.clone();
            flipped[bit / 8] ^= 1 << (bit % 8);
            prop_assert!(
                receiver.unprotect_rtcp(&mut flipped).is_err(),
                "{}: bit {} flipped was accepted", key.profile(), bit
            );
        }
        prop_assert_eq!(receiver.stream_count(), (0, 0));

        let mut buf = protected.clone();
        let len = receiver.unprotect_rtcp(&mut buf).unwrap();
        prop_assert_eq!(&buf[..len], &packet[..]);
    }

    #[test]
    fn unprotect_never_panics_on_arbitrary_bytes(
        (key, mki, cryptex) in case(),
        bytes in proptest::collection::vec(any::<u8>(), 0..200),
    ) {
        let (_, mut receiver) = sessions(&key, mki, true, cryptex);
        let mut rtp = bytes.clone();
        let _ = receiver.unprotect_rtp(&mut rtp);
        let mut rtcp = bytes;
        let _ = receiver.unprotect_rtcp(&mut rtcp);
    }
}
