//! A session's behaviour: rollover across the wrap and reordering around
//! it, the stream cap, MKI, replay and age errors, refused packets that
//! change nothing, and the errors of protect and of the configuration.

#![allow(clippy::indexing_slicing)]

use sansrtc_srtp::{
    Config, ConfigError, DEFAULT_MAX_STREAMS, MAX_MKI_LEN, MAX_REPLAY_WINDOW, MasterKey,
    ProtectError, ProtectionProfile, Session, SessionKeys, UnprotectError,
};

fn key(profile: ProtectionProfile) -> MasterKey {
    MasterKey::new(
        profile,
        &vec![0x42; profile.master_key_len()],
        &vec![0x17; profile.master_salt_len()],
    )
    .unwrap()
}

fn rtp(ssrc: u32, seq: u16) -> Vec<u8> {
    let mut packet = vec![0x80, 96];
    packet.extend_from_slice(&seq.to_be_bytes());
    packet.extend_from_slice(&u32::from(seq).wrapping_mul(160).to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend_from_slice(&[seq as u8; 20]);
    packet
}

fn protect(session: &mut Session, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + session.rtp_overhead(), 0);
    let len = session.protect_rtp(&mut buf, packet.len()).unwrap();
    buf.truncate(len);
    buf
}

fn unprotect(session: &mut Session, packet: &[u8]) -> Result<Vec<u8>, UnprotectError> {
    let mut buf = packet.to_vec();
    let len = session.unprotect_rtp(&mut buf)?;
    buf.truncate(len);
    Ok(buf)
}

fn pair(profile: ProtectionProfile, config: Config) -> (Session, Session) {
    let key = key(profile);
    (
        Session::new(&key, config.clone()).unwrap(),
        Session::new(&key, config).unwrap(),
    )
}

#[test]
fn a_sender_starting_near_65535_wraps_and_the_receiver_follows_reordering() {
    for profile in ProtectionProfile::ALL {
        let (mut sender, mut receiver) = pair(profile, Config::default());
        let seqs = [65_533u16, 65_534, 65_535, 0, 1, 2, 3];
        let protected: Vec<Vec<u8>> = seqs
            .iter()
            .map(|&seq| protect(&mut sender, &rtp(7, seq)))
            .collect();
        assert_eq!(sender.rollover_counter(7, true), Some(1));
        // Received around the wrap out of order.
        for i in [0, 2, 4, 1, 3, 6, 5] {
            assert_eq!(
                unprotect(&mut receiver, &protected[i]),
                Ok(rtp(7, seqs[i])),
                "{profile}: {}",
                seqs[i]
            );
        }
        assert_eq!(receiver.rollover_counter(7, false), Some(1));
        // Each once only.
        assert_eq!(
            unprotect(&mut receiver, &protected[1]),
            Err(UnprotectError::Replayed { index: 65_534 })
        );
        assert_eq!(
            unprotect(&mut receiver, &protected[4]),
            Err(UnprotectError::Replayed {
                index: (1 << 16) | 1
            })
        );
    }
}

#[test]
fn many_rollovers_keep_sender_and_receiver_in_step() {
    let (mut sender, mut receiver) =
        pair(ProtectionProfile::Aes128CmHmacSha1_80, Config::default());
    let mut seq = 40_000u16;
    for _ in 0..200_000 {
        let packet = rtp(1, seq);
        let protected = protect(&mut sender, &packet);
        assert_eq!(unprotect(&mut receiver, &protected), Ok(packet));
        // Steps of up to 1 000 (losses), forward.
        seq = seq.wrapping_add(1 + (seq % 7) * 150);
    }
    let roc = sender.rollover_counter(1, true).unwrap();
    assert!(roc >= 3, "{roc}");
    assert_eq!(receiver.rollover_counter(1, false), Some(roc));
}

#[test]
fn a_packet_from_after_the_wrap_cannot_start_a_stream() {
    // The receiver starts every stream at rollover counter 0 (RFC 3711
    // §3.3.1): a packet the sender protected at rollover counter 1 that
    // arrives first does not authenticate, and changes nothing.
    let (mut sender, mut receiver) = pair(ProtectionProfile::AeadAes128Gcm, Config::default());
    let before = protect(&mut sender, &rtp(9, 65_535));
    let after = protect(&mut sender, &rtp(9, 0));
    assert_eq!(
        unprotect(&mut receiver, &after),
        Err(UnprotectError::AuthenticationFailed)
    );
    assert_eq!(receiver.stream_count(), (0, 0));
    assert_eq!(unprotect(&mut receiver, &before), Ok(rtp(9, 65_535)));
    assert_eq!(unprotect(&mut receiver, &after), Ok(rtp(9, 0)));
}

#[test]
fn replayed_and_too_old_say_which_index() {
    let mut config = Config::default();
    config.replay_window = 64;
    let (mut sender, mut receiver) = pair(ProtectionProfile::Aes128CmHmacSha1_32, config);
    let old = protect(&mut sender, &rtp(3, 100));
    let new = protect(&mut sender, &rtp(3, 164));
    assert!(unprotect(&mut receiver, &new).is_ok());
    assert_eq!(
        unprotect(&mut receiver, &old),
        Err(UnprotectError::TooOld {
            index: 100,
            highest: 164
        })
    );
    assert_eq!(
        unprotect(&mut receiver, &new),
        Err(UnprotectError::Replayed { index: 164 })
    );
}

#[test]
fn the_stream_cap_holds_for_both_directions_and_forged_packets_take_no_room() {
    let mut config = Config::default();
    config.max_streams = 2;
    let (mut sender, mut receiver) = pair(ProtectionProfile::AeadAes256Gcm, config);
    let a = protect(&mut sender, &rtp(1, 1));
    let b = protect(&mut sender, &rtp(2, 1));
    let mut buf = rtp(3, 1);
    buf.resize(200, 0);
    assert_eq!(
        sender.protect_rtp(&mut buf, 32),
        Err(ProtectError::TooManyStreams { ssrc: 3, limit: 2 })
    );

    // A forged packet of a new SSRC does not create a stream.
    let mut forged = a.clone();
    forged[8..12].copy_from_slice(&5u32.to_be_bytes());
    assert_eq!(
        unprotect(&mut receiver, &forged),
        Err(UnprotectError::AuthenticationFailed)
    );
    assert!(unprotect(&mut receiver, &a).is_ok());
    assert!(unprotect(&mut receiver, &b).is_ok());
    assert_eq!(
        unprotect(&mut receiver, &forged),
        Err(UnprotectError::TooManyStreams { ssrc: 5, limit: 2 })
    );
    assert!(receiver.remove_stream(1));
    assert_eq!(
        unprotect(&mut receiver, &forged),
        Err(UnprotectError::AuthenticationFailed)
    );
}

#[test]
fn the_default_cap_is_documented_and_enforced() {
    let (mut sender, _) = pair(ProtectionProfile::Aes128CmHmacSha1_80, Config::default());
    for ssrc in 0..DEFAULT_MAX_STREAMS as u32 {
        protect(&mut sender, &rtp(ssrc, 0));
    }
    let mut buf = rtp(u32::MAX, 0);
    buf.resize(100, 0);
    assert_eq!(
        sender.protect_rtp(&mut buf, 32),
        Err(ProtectError::TooManyStreams {
            ssrc: u32::MAX,
            limit: DEFAULT_MAX_STREAMS
        })
    );
}

#[test]
fn an_mki_is_appended_and_checked() {
    for profile in ProtectionProfile::ALL {
        let mut config = Config::default();
        config.mki = Some(vec![0xaa, 0xbb, 0xcc]);
        let (mut sender, mut receiver) = pair(profile, config);
        let packet = rtp(1, 1);
        let protected = protect(&mut sender, &packet);
        assert_eq!(
            protected.len(),
            packet.len() + 3 + profile.rtp_auth_tag_len()
        );
        let mki_at = if profile.is_aead() {
            protected.len() - 3
        } else {
            packet.len()
        };
        assert_eq!(protected[mki_at..mki_at + 3], [0xaa, 0xbb, 0xcc]);
        let mut other = protected.clone();
        other[mki_at] = 0xab;
        assert_eq!(
            unprotect(&mut receiver, &other),
            Err(UnprotectError::UnknownMki)
        );

        // A receiver without an MKI reads the MKI as part of the tag.
        let (_, mut plain_receiver) = pair(profile, Config::default());
        assert!(unprotect(&mut plain_receiver, &protected).is_err());
        assert_eq!(unprotect(&mut receiver, &protected), Ok(packet));
    }
}

#[test]
fn srtcp_indices_count_up_from_zero_per_ssrc() {
    for profile in ProtectionProfile::ALL {
        let (mut sender, mut receiver) = pair(profile, Config::default());
        let mut packet = vec![0x80, 201, 0, 1];
        packet.extend_from_slice(&0xfeed_beefu32.to_be_bytes());
        let mut previous = Vec::new();
        for index in 0u32..5 {
            let mut buf = packet.clone();
            buf.resize(packet.len() + sender.rtcp_overhead(), 0);
            let len = sender.protect_rtcp(&mut buf, packet.len()).unwrap();
            let word_at = if profile.is_aead() { len - 4 } else { len - 14 };
            assert_eq!(
                buf[word_at..word_at + 4],
                (0x8000_0000 | index).to_be_bytes()
            );
            let mut received = buf[..len].to_vec();
            assert_eq!(receiver.unprotect_rtcp(&mut received), Ok(packet.len()));
            assert_eq!(received[..packet.len()], packet[..]);
            previous = buf[..len].to_vec();
        }
        assert_eq!(
            receiver.unprotect_rtcp(&mut previous),
            Err(UnprotectError::Replayed { index: 4 })
        );
    }
}

#[test]
fn protect_and_unprotect_refuse_what_they_cannot_handle() {
    let (mut sender, mut receiver) =
        pair(ProtectionProfile::Aes128CmHmacSha1_80, Config::default());
    let packet = rtp(1, 1);
    let mut exact = packet.clone();
    assert_eq!(
        sender.protect_rtp(&mut exact, packet.len()),
        Err(ProtectError::BufferTooSmall {
            needed: packet.len() + 10,
            have: packet.len()
        })
    );
    assert_eq!(
        sender.protect_rtp(&mut exact, packet.len() + 1),
        Err(ProtectError::BufferTooSmall {
            needed: packet.len() + 1,
            have: packet.len()
        })
    );
    let mut not_rtp = vec![0x40; 60];
    assert_eq!(
        sender.protect_rtp(&mut not_rtp, 30),
        Err(ProtectError::Malformed {
            reason: "RTP version is not 2"
        })
    );
    assert_eq!(
        sender.protect_rtcp(&mut [0x80; 30], 7),
        Err(ProtectError::Malformed {
            reason: "shorter than an RTCP header"
        })
    );
    assert_eq!(
        receiver.unprotect_rtp(&mut [0x80; 21]),
        Err(UnprotectError::TooShort {
            needed: 22,
            have: 21
        })
    );
    assert_eq!(
        receiver.unprotect_rtcp(&mut [0x80; 21]),
        Err(UnprotectError::TooShort {
            needed: 22,
            have: 21
        })
    );
    // CSRC count past the end.
    let mut bad = vec![0x8f; 30];
    assert!(matches!(
        receiver.unprotect_rtp(&mut bad),
        Err(UnprotectError::Malformed { .. })
    ));
}

#[test]
fn configurations_out_of_range_are_refused() {
    let key = key(ProtectionProfile::AeadAes128Gcm);
    let mut config = Config::default();
    config.replay_window = 0;
    assert_eq!(
        Session::new(&key, config.clone()).unwrap_err(),
        ConfigError::ReplayWindow {
            got: 0,
            max: MAX_REPLAY_WINDOW
        }
    );
    config.replay_window = MAX_REPLAY_WINDOW + 1;
    assert!(Session::new(&key, config.clone()).is_err());
    config.replay_window = MAX_REPLAY_WINDOW;
    assert!(Session::new(&key, config.clone()).is_ok());
    config.mki = Some(vec![0; MAX_MKI_LEN + 1]);
    assert_eq!(
        Session::new(&key, config.clone()).unwrap_err(),
        ConfigError::MkiLength {
            got: MAX_MKI_LEN + 1,
            max: MAX_MKI_LEN
        }
    );
    config.mki = Some(Vec::new());
    assert!(Session::new(&key, config).is_err());

    let gcm = SessionKeys::derive_rtp(&key);
    let cm = SessionKeys::derive_rtcp(&self::key(ProtectionProfile::Aes128CmHmacSha1_80));
    assert!(matches!(
        Session::from_session_keys(&gcm, &cm, Config::default()),
        Err(ConfigError::ProfileMismatch { .. })
    ));
}
