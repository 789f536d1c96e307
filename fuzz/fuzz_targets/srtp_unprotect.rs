//! SRTP and SRTCP unprotect on arbitrary bytes, with arbitrary keys,
//! profiles, MKIs, replay windows and cryptex on or off: never a panic. Packets the fuzzer's
//! bytes protect (when they are RTP or RTCP) must come back unchanged from
//! a receiver with the same key, unless the receiver refuses them as a
//! replay, too old, or past its stream cap.

#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_srtp::{Config, MasterKey, ProtectionProfile, Session, UnprotectError};

#[derive(Debug, Arbitrary)]
struct Input {
    profile: u8,
    key: [u8; 32],
    salt: [u8; 14],
    mki: Vec<u8>,
    encrypt_rtcp: bool,
    cryptex: bool,
    window: u16,
    packets: Vec<(bool, bool, Vec<u8>)>,
}

fuzz_target!(|input: Input| {
    let profile = ProtectionProfile::ALL[usize::from(input.profile) % ProtectionProfile::ALL.len()];
    let Ok(key) = MasterKey::new(
        profile,
        &input.key[..profile.master_key_len()],
        &input.salt[..profile.master_salt_len()],
    ) else {
        return;
    };
    let mut config = Config::default();
    config.replay_window = u32::from(input.window) % 2048 + 1;
    config.max_streams = 4;
    config.encrypt_rtcp = input.encrypt_rtcp;
    config.cryptex = input.cryptex;
    config.mki = (!input.mki.is_empty()).then(|| input.mki.iter().copied().take(8).collect());
    let Ok(mut sender) = Session::new(&key, config.clone()) else {
        return;
    };
    let Ok(mut receiver) = Session::new(&key, config) else {
        return;
    };
    for (rtcp, protect_first, bytes) in input.packets.into_iter().take(64) {
        let mut buf = bytes.clone();
        let _ = if rtcp {
            receiver.unprotect_rtcp(&mut buf)
        } else {
            receiver.unprotect_rtp(&mut buf)
        };
        if !protect_first {
            continue;
        }
        let len = bytes.len();
        let mut buf = bytes.clone();
        buf.resize(len + sender.rtcp_overhead().max(sender.rtp_overhead()), 0);
        let protected = if rtcp {
            sender.protect_rtcp(&mut buf, len)
        } else {
            sender.protect_rtp(&mut buf, len)
        };
        let Ok(protected) = protected else {
            continue;
        };
        let mut received = buf[..protected].to_vec();
        let result = if rtcp {
            receiver.unprotect_rtcp(&mut received)
        } else {
            receiver.unprotect_rtp(&mut received)
        };
        match result {
            // With cryptex, a packet with CSRCs and no extension gains an
            // empty extension block.
            Ok(plain) if input.cryptex && !rtcp && plain == len + 4 => {
                assert_eq!(
                    received[plain - (len - 12 - 4 * usize::from(bytes[0] & 0x0f))..plain],
                    bytes[12 + 4 * usize::from(bytes[0] & 0x0f)..]
                );
            }
            Ok(plain) => assert_eq!(received[..plain], bytes[..]),
            Err(
                UnprotectError::Replayed { .. }
                | UnprotectError::TooOld { .. }
                | UnprotectError::TooManyStreams { .. },
            ) => {}
            Err(error) => panic!("{profile}: a packet this key protected was refused: {error}"),
        }
    }
});
