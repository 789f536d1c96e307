//! Generic NACK (RFC 4585 §6.2.1) and RTX (RFC 4588) between two peers on
//! the simulated network with 5 % loss each way: with NACK nearly every
//! packet arrives, each once, whether the repair comes as RTX or as the
//! original sent again; without NACK about 5 % are lost.

#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop
)]

mod common;

use core::time::Duration;
extern crate alloc;

use alloc::collections::BTreeMap;

use common::Call;
use sansrtc::ice::sim::{Link, Nat};
use sansrtc::sdp::Direction;
use sansrtc::sdp::negotiate::Codec;
use sansrtc::{Config, MediaKind};

/// Packets each peer sends.
const PACKETS: u32 = 500;

/// PCMU, with generic NACK when `nack`, and RTX (payload type 97) when
/// `rtx` too.
fn pcmu(nack: bool, rtx: bool) -> Vec<Codec<'static>> {
    let mut pcmu = Codec::new(0, "PCMU", 8_000, None);
    if nack {
        pcmu = pcmu.with_feedback(&[("nack", None)]);
    }
    let mut codecs = vec![pcmu];
    if rtx {
        codecs.push(Codec::rtx_with_clock_rate(97, 0, 8_000));
    }
    codecs
}

/// What one direction of a call delivered.
#[derive(Debug)]
struct Delivery {
    /// Distinct packets (by the index the sender wrote in them).
    distinct: usize,
    /// Packets delivered more than once.
    duplicates: usize,
    /// Packets missing between the first and the last delivered (what a
    /// receiver can know it lost).
    gaps: usize,
}

/// A call with 5 % loss each way: connects, sends [`PACKETS`] packets of
/// 20 ms from each peer (each carrying its index), waits a second for the
/// last repairs, and returns the call and what each peer got.
fn call_with_loss(seed: u64, configure: impl Fn(&mut Config)) -> (Call, [Delivery; 2]) {
    let link = Link {
        loss_permille: 50,
        ..Link::default()
    };
    let mut call = Call::with_config(
        seed,
        link,
        [Some(Nat::PORT_RESTRICTED_CONE), None],
        |_, config| configure(config),
    );
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(15), |_| {});
    assert!(call.connected(), "{:?}", call.events);
    let mut sent = 0u32;
    let mut next = call.now;
    call.run(Duration::from_secs(12), |call| {
        if sent >= PACKETS || call.now < next {
            return;
        }
        let mut payload = [0x55u8; 160];
        payload[..4].copy_from_slice(&sent.to_be_bytes());
        for peer in &mut call.peers {
            peer.write_rtp(call.now, &mid, 0, sent * 160, false, &payload)
                .unwrap();
        }
        sent += 1;
        next += Duration::from_millis(20);
    });
    assert_eq!(sent, PACKETS);
    let deliveries = [0, 1].map(|i| {
        let mut seen: BTreeMap<u32, usize> = BTreeMap::new();
        for packet in &call.received[i] {
            assert_eq!(packet.mid, mid);
            assert_eq!(packet.payload_type, 0);
            let index = u32::from_be_bytes(packet.payload[..4].try_into().unwrap());
            assert!(index < PACKETS);
            assert!(packet.payload[4..].iter().all(|&b| b == 0x55));
            // The sender's timestamps went up by 160 a packet.
            let first = call.received[i][0].timestamp.wrapping_sub(
                160 * u32::from_be_bytes(call.received[i][0].payload[..4].try_into().unwrap()),
            );
            assert_eq!(packet.timestamp, first.wrapping_add(160 * index));
            *seen.entry(index).or_default() += 1;
        }
        let span = match (seen.first_key_value(), seen.last_key_value()) {
            (Some((first, _)), Some((last, _))) => (last - first + 1) as usize,
            _ => 0,
        };
        Delivery {
            distinct: seen.len(),
            duplicates: seen.values().filter(|&&n| n > 1).count(),
            gaps: span - seen.len(),
        }
    });
    (call, deliveries)
}

#[test]
fn nack_and_rtx_repair_five_percent_loss() {
    let (call, delivered) = call_with_loss(11, |config| config.audio_codecs = pcmu(true, true));
    for i in 0..2 {
        println!(
            "NACK + RTX, peer {i}: {} of {PACKETS} packets delivered, {} duplicates",
            delivered[i].distinct, delivered[i].duplicates
        );
        assert!(
            delivered[i].distinct >= PACKETS as usize - 2,
            "peer {i}: {:?}",
            delivered[i]
        );
        assert_eq!(delivered[i].duplicates, 0);
        let stats = call.peers[i].stats(call.now);
        let outbound = &stats.outbound_rtp[0];
        let inbound = &stats.inbound_rtp[0];
        // Repairs went out as RTX on the SSRC the offer or answer named.
        assert!(outbound.retransmitted_packets_sent > 0, "{outbound:?}");
        assert!(outbound.nack_count > 0);
        assert!(outbound.rtx_ssrc.is_some());
        assert!(inbound.nack_count > 0);
        assert!(inbound.retransmitted_packets_received > 0);
        assert!(inbound.retransmitted_packets_received <= outbound_of_other(&call, i));
        let other = call.peers[1 - i].stats(call.now);
        assert_eq!(inbound.rtx_ssrc, other.outbound_rtp[0].rtx_ssrc);
        assert_eq!(inbound.packets_received, delivered[i].distinct as u64);
    }
}

/// Retransmissions the other peer sent.
fn outbound_of_other(call: &Call, i: usize) -> u64 {
    call.peers[1 - i].stats(call.now).outbound_rtp[0].retransmitted_packets_sent
}

#[test]
fn nack_without_rtx_resends_the_originals() {
    let (call, delivered) = call_with_loss(12, |config| config.audio_codecs = pcmu(true, false));
    for i in 0..2 {
        println!(
            "NACK without RTX, peer {i}: {} of {PACKETS} packets delivered, {} duplicates",
            delivered[i].distinct, delivered[i].duplicates
        );
        assert!(
            delivered[i].distinct >= PACKETS as usize - 2,
            "peer {i}: {:?}",
            delivered[i]
        );
        assert_eq!(delivered[i].duplicates, 0);
        let stats = call.peers[i].stats(call.now);
        assert!(stats.outbound_rtp[0].retransmitted_packets_sent > 0);
        assert_eq!(stats.outbound_rtp[0].rtx_ssrc, None);
        assert!(stats.inbound_rtp[0].retransmitted_packets_received > 0);
        assert_eq!(stats.inbound_rtp[0].rtx_ssrc, None);
    }
}

#[test]
fn without_nack_about_five_percent_are_lost() {
    let (call, delivered) = call_with_loss(13, |config| config.audio_codecs = pcmu(false, false));
    for i in 0..2 {
        println!(
            "no NACK, peer {i}: {} of {PACKETS} packets delivered",
            delivered[i].distinct
        );
        let lost = PACKETS as usize - delivered[i].distinct;
        // 5 % of 500 is 25; a binomial draw stays well within 8..50.
        assert!((8..=50).contains(&lost), "peer {i} lost {lost}");
        let stats = call.peers[i].stats(call.now);
        assert_eq!(stats.outbound_rtp[0].retransmitted_packets_sent, 0);
        assert_eq!(stats.inbound_rtp[0].nack_count, 0);
        assert_eq!(stats.inbound_rtp[0].packets_lost, delivered[i].gaps as i64);
        // The other side's reports tell the sender the same loss.
        let remote = call.peers[1 - i].stats(call.now);
        let remote = &remote.remote_inbound_rtp[0];
        assert!(
            remote.packets_lost.abs_diff(delivered[i].gaps as i64) <= 3,
            "{remote:?}"
        );
    }
}

#[test]
fn the_offer_and_answer_announce_the_rtx_stream_of_video() {
    /// The SSRCs of `a=ssrc` lines, each once, and the FID groups.
    fn announced(sdp: &str) -> (Vec<String>, Vec<Vec<String>>) {
        let mut ssrcs: Vec<String> = sdp
            .lines()
            .filter_map(|l| l.strip_prefix("a=ssrc:"))
            .filter_map(|l| l.split(' ').next())
            .map(str::to_string)
            .collect();
        ssrcs.dedup();
        let groups = sdp
            .lines()
            .filter_map(|l| l.strip_prefix("a=ssrc-group:FID "))
            .map(|l| l.split(' ').map(str::to_string).collect())
            .collect();
        (ssrcs, groups)
    }
    let mut call = Call::with_config(14, Link::default(), [None, None], |_, config| {
        config.audio_codecs = pcmu(true, true);
    });
    call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    call.peers[0]
        .add_transceiver(MediaKind::Video, Direction::SendRecv)
        .unwrap();
    let offer = call.peers[0].create_offer().unwrap();
    call.peers[1].set_remote_offer(&offer).unwrap();
    for mid in ["0", "1"] {
        call.peers[1]
            .set_direction(mid, Direction::SendRecv)
            .unwrap();
    }
    let answer = call.peers[1].create_answer().unwrap();
    for sdp in [&offer, &answer] {
        let (audio, video) = sdp.split_at(sdp.find("m=video").unwrap());
        // Audio RTX is agreed but its stream goes unannounced: browsers
        // refuse an audio m-line with a second SSRC.
        assert!(audio.contains("a=rtpmap:97 rtx/8000"), "{sdp}");
        assert!(audio.contains("a=fmtp:97 apt=0"), "{sdp}");
        assert!(audio.contains("a=rtcp-fb:0 nack"), "{sdp}");
        let (ssrcs, groups) = announced(audio);
        assert_eq!((ssrcs.len(), groups.len()), (1, 0), "{audio}");
        // Video announces its RTX stream in a FID group (RFC 4588 §8.2).
        let (ssrcs, groups) = announced(video);
        assert_eq!(groups.len(), 1, "{video}");
        assert_eq!(groups[0].len(), 2, "{video}");
        assert_eq!(ssrcs, groups[0], "{video}");
    }
    // Without RTX in the codecs there is no RTX stream to announce.
    let mut plain = Call::with_config(15, Link::default(), [None, None], |_, config| {
        config.video_codecs.retain(|c| !c.is_rtx());
    });
    plain.peers[0]
        .add_transceiver(MediaKind::Video, Direction::SendRecv)
        .unwrap();
    let offer = plain.peers[0].create_offer().unwrap();
    assert!(!offer.contains("ssrc-group"), "{offer}");
    assert_eq!(announced(&offer).0.len(), 1, "{offer}");
}
