//! Protecting and unprotecting allocate nothing: once a stream exists (its
//! first packet allocates its state, once), every profile protects and
//! unprotects SRTP and SRTCP under a counting global allocator that must
//! stay at zero.

#![allow(clippy::indexing_slicing)]

use sansrtc_srtp::{Config, MasterKey, ProtectionProfile, Session};

fn rtp(seq: u16) -> [u8; 172] {
    let mut packet = [0x5a; 172];
    packet[..12].copy_from_slice(&[0x90, 111, 0, 0, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef]);
    packet[2..4].copy_from_slice(&seq.to_be_bytes());
    // A one-word extension after the fixed header.
    packet[12..16].copy_from_slice(&[0xbe, 0xde, 0, 1]);
    packet
}

const RTCP: [u8; 28] = [
    0x80, 200, 0, 6, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    17, 18, 19, 20,
];

/// Protects and unprotects one RTP and one RTCP packet; returns the total
/// length of what was unprotected.
fn round(sender: &mut Session, receiver: &mut Session, seq: u16) -> usize {
    let mut buf = [0u8; 256];
    let packet = rtp(seq);
    buf[..packet.len()].copy_from_slice(&packet);
    let len = sender.protect_rtp(&mut buf, packet.len()).unwrap();
    let plain = receiver.unprotect_rtp(&mut buf[..len]).unwrap();
    assert_eq!(buf[..plain], packet[..]);

    let mut buf = [0u8; 128];
    buf[..RTCP.len()].copy_from_slice(&RTCP);
    let len = sender.protect_rtcp(&mut buf, RTCP.len()).unwrap();
    let rtcp_plain = receiver.unprotect_rtcp(&mut buf[..len]).unwrap();
    assert_eq!(buf[..rtcp_plain], RTCP[..]);
    plain + rtcp_plain
}

#[test]
fn protect_and_unprotect_allocate_nothing() {
    for profile in ProtectionProfile::ALL {
        let key = MasterKey::new(
            profile,
            &vec![3; profile.master_key_len()],
            &vec![4; profile.master_salt_len()],
        )
        .unwrap();
        let mut sender = Session::new(&key, Config::default()).unwrap();
        let mut receiver = Session::new(&key, Config::default()).unwrap();
        // The first packets create the streams (allocating their state).
        round(&mut sender, &mut receiver, 65_000);

        let mut total = 0;
        let info = allocation_counter::measure(|| {
            // Across a rollover.
            for i in 1..1000u16 {
                total += round(&mut sender, &mut receiver, 65_000u16.wrapping_add(i));
            }
        });
        assert_eq!(total, 999 * (172 + RTCP.len()));
        assert_eq!(info.count_total, 0, "{profile}: allocated {info:?}");
    }

    // The counter does notice allocations.
    let info = allocation_counter::measure(|| {
        core::hint::black_box(vec![1u8; 16]);
    });
    assert!(info.count_total >= 1);
}
