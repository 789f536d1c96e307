//! `Peer::stats` against what a call on the simulated network really
//! sent: packet and byte counts, loss, jitter and round-trip time from the
//! reports, the selected candidate pair and the transport.

#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop
)]

mod common;

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;

use common::Call;
use sansrtc::ice::CandidateType;
use sansrtc::ice::sim::{Link, Nat};
use sansrtc::sdp::Direction;
use sansrtc::{DtlsState, IceConnectionState, MediaKind};

/// RTP header bytes of our packets: 12, and the MID extension ("0" in a
/// one-byte element: 4 + 2 bytes, padded to 8).
const HEADER: u64 = 20;

#[test]
fn stats_count_what_was_sent() {
    // Peer 0 behind a NAT, peer 1 on a public address; no loss, 20 ms
    // each way.
    let mut call = Call::new(31, Link::default(), [Some(Nat::RESTRICTED_CONE), None]);
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected());
    let start = call.now;
    // Peer 0 sends 100 packets of 160 bytes, peer 1 sends 50 of 80.
    let mut sent = [0u32; 2];
    let mut next = call.now;
    let mut last_sent = call.now;
    call.run(Duration::from_secs(5), |call| {
        if call.now < next || sent[0] >= 100 {
            return;
        }
        call.peers[0]
            .write_rtp(call.now, &mid, 0, sent[0] * 160, false, &[0x11; 160])
            .unwrap();
        sent[0] += 1;
        if sent[0] % 2 == 0 {
            call.peers[1]
                .write_rtp(call.now, &mid, 0, sent[1] * 320, false, &[0x22; 80])
                .unwrap();
            sent[1] += 1;
        }
        last_sent = call.now;
        next += Duration::from_millis(20);
    });
    assert_eq!(sent, [100, 50]);
    let stats = [call.peers[0].stats(call.now), call.peers[1].stats(call.now)];
    let expected = [(100u64, 160u64), (50, 80)];
    for i in 0..2 {
        let (packets, size) = expected[i];
        let outbound = stats[i].outbound(&mid).unwrap();
        assert_eq!(outbound.packets_sent, packets, "peer {i}");
        assert_eq!(outbound.bytes_sent, packets * size);
        assert_eq!(outbound.header_bytes_sent, packets * HEADER);
        assert_eq!(outbound.retransmitted_packets_sent, 0);
        assert_eq!(
            (outbound.nack_count, outbound.pli_count, outbound.fir_count),
            (0, 0, 0)
        );
        assert_eq!(outbound.kind, MediaKind::Audio);
        // What the other side received.
        let inbound: Vec<_> = stats[1 - i].inbound(&mid).collect();
        assert_eq!(inbound.len(), 1);
        let inbound = inbound[0];
        assert_eq!(inbound.ssrc, outbound.ssrc);
        assert_eq!(inbound.packets_received, packets);
        assert_eq!(inbound.bytes_received, packets * size);
        assert_eq!(inbound.header_bytes_received, packets * HEADER);
        assert_eq!(inbound.packets_lost, 0);
        assert_eq!(inbound.packets_discarded, 0);
        assert_eq!(inbound.payload_type, 0);
        // Every packet took the same 20 ms (the simulation steps in
        // whole milliseconds): no jitter to speak of.
        assert!(inbound.jitter < Duration::from_millis(2), "{inbound:?}");
        let last = inbound.last_packet_received_timestamp.unwrap();
        assert!(last >= last_sent + Duration::from_millis(20), "{inbound:?}");
        assert!(last <= last_sent + Duration::from_millis(30), "{inbound:?}");
        // And what its reports told the sender: nothing lost, a round
        // trip of twice 20 ms.
        let remote = stats[i].remote_inbound(&mid).unwrap();
        assert_eq!(remote.ssrc, outbound.ssrc);
        assert_eq!(remote.local_id, outbound.id);
        assert_eq!(outbound.remote_id.as_deref(), Some(remote.id.as_str()));
        assert_eq!(remote.packets_lost, 0);
        assert_eq!(remote.fraction_lost, 0.0);
        assert!(remote.jitter < Duration::from_millis(2));
        assert!(remote.reports_received >= 2, "{remote:?}");
        assert!(remote.round_trip_time_measurements >= 1, "{remote:?}");
        let rtt = remote.round_trip_time.unwrap();
        assert!(
            rtt >= Duration::from_millis(38) && rtt <= Duration::from_millis(50),
            "{rtt:?}"
        );
        assert!(remote.timestamp > start);
    }
    // The selected pair: peer 0's server-reflexive candidate (its NAT's
    // address, which STUN told it) to peer 1's public host address; peer 1
    // sees the same two ends.
    let public_0: IpAddr = "203.0.113.1".parse().unwrap();
    let public_1: SocketAddr = "203.0.113.2:5000".parse().unwrap();
    let pair = [0, 1].map(|i| stats[i].candidate_pair.clone().unwrap());
    let (local, remote) = (&pair[0].local_candidate, &pair[0].remote_candidate);
    assert_eq!(local.candidate_type, CandidateType::ServerReflexive);
    assert_eq!(local.address, public_0.to_string());
    assert_eq!(remote.candidate_type, CandidateType::Host);
    assert_eq!(remote.address, public_1.ip().to_string());
    assert_eq!(remote.port, public_1.port());
    let (local_1, remote_1) = (&pair[1].local_candidate, &pair[1].remote_candidate);
    assert_eq!(local_1.candidate_type, CandidateType::Host);
    assert_eq!(local_1.address, public_1.ip().to_string());
    assert_eq!(local_1.port, public_1.port());
    assert!(matches!(
        remote_1.candidate_type,
        CandidateType::ServerReflexive | CandidateType::PeerReflexive
    ));
    assert_eq!(remote_1.address, public_0.to_string());
    assert_eq!(remote_1.port, local.port);
    assert_eq!(pair[0].local_candidate_id, local.id);
    assert_eq!(pair[0].remote_candidate_id, remote.id);
    assert_ne!(call.addresses[0].ip(), public_0);
    for i in 0..2 {
        let transport = &stats[i].transport;
        assert_eq!(
            transport.selected_candidate_pair_id.as_deref(),
            Some(pair[i].id.as_str())
        );
        assert_eq!(transport.dtls_state, DtlsState::Connected);
        assert!(matches!(
            transport.ice_state,
            IceConnectionState::Connected | IceConnectionState::Completed
        ));
        assert_eq!(transport.srtp_cipher, call.peers[i].srtp_profile());
        assert!(transport.dtls_role.is_some());
        assert!(transport.selected_candidate_pair_changes >= 1);
        // The pair carried the media: at least the RTP packets with their
        // SRTP tags.
        let (packets, size) = expected[i];
        assert!(pair[i].packets_sent >= packets);
        assert!(pair[i].bytes_sent >= packets * (HEADER + size + 10));
        assert!(pair[i].bytes_sent <= transport.bytes_sent);
        assert!(pair[i].last_packet_sent_timestamp.is_some());
        // Nothing is lost on this network: what one side sent on the pair
        // the other received, but for what was still on its way.
        let other = &stats[1 - i].candidate_pair.as_ref().unwrap();
        assert!(pair[i].packets_sent.abs_diff(other.packets_received) <= 2);
        assert!(pair[i].bytes_sent.abs_diff(other.bytes_received) <= 200);
    }
    assert_ne!(stats[0].transport.dtls_role, stats[1].transport.dtls_role);

    // Keyframe requests are counted on both sides.
    call.peers[1].request_keyframe(call.now, &mid).unwrap();
    call.run(Duration::from_millis(100), |_| {});
    let sender = call.peers[0].stats(call.now);
    let receiver = call.peers[1].stats(call.now);
    assert_eq!(sender.outbound(&mid).unwrap().pli_count, 1);
    assert_eq!(receiver.inbound(&mid).next().unwrap().pli_count, 1);
}

#[test]
fn stats_before_connecting_are_empty() {
    let mut call = Call::new(32, Link::default(), [None, None]);
    call.peers[0]
        .add_transceiver(MediaKind::Video, Direction::SendRecv)
        .unwrap();
    let stats = call.peers[0].stats(call.now);
    assert!(stats.inbound_rtp.is_empty());
    assert!(stats.outbound_rtp.is_empty());
    assert!(stats.remote_inbound_rtp.is_empty());
    assert!(stats.candidate_pair.is_none());
    assert_eq!(stats.transport.dtls_state, DtlsState::New);
    assert_eq!(stats.transport.srtp_cipher, None);
    assert_eq!(stats.transport.bytes_sent, 0);
    assert_eq!(stats.timestamp, call.now);
}
