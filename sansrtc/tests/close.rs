//! Closing a `Peer`: its RTCP BYE and DTLS close_notify still leave, and
//! the other side learns that the sender ended and DTLS closed.

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::time::Duration;
use std::time::Instant;

use sansrtc::ice::LocalSocket;
use sansrtc::sdp::Direction;
use sansrtc::stun::Receive;
use sansrtc::stun::rng::seed_from_u64;
use sansrtc::{Config, ConnectionState, DtlsState, Event, MediaKind, Peer};

#[test]
fn a_closing_peer_sends_bye_and_close_notify() {
    let mut now = Instant::now();
    let addresses = [
        "192.0.2.1:5000".parse().unwrap(),
        "192.0.2.2:5000".parse().unwrap(),
    ];
    let mut peers = [0u64, 1].map(|i| {
        let mut config = Config::new();
        config.seed = Some(seed_from_u64(60 + i));
        let mut peer = Peer::new(config, now).unwrap();
        peer.add_local_socket(LocalSocket::udp(addresses[i as usize]))
            .unwrap();
        peer
    });
    let mid = peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    let offer = peers[0].create_offer().unwrap();
    peers[1].set_remote_offer(&offer).unwrap();
    let answer = peers[1].create_answer().unwrap();
    peers[0].set_remote_answer(&answer).unwrap();
    let mut events: [Vec<Event>; 2] = [Vec::new(), Vec::new()];
    let mut sent = 0;
    for step in 0..10_000 {
        if step == 200 {
            peers[0].close(now);
        }
        for i in 0..2 {
            while let Some(event) = peers[i].poll_event() {
                if let Event::LocalCandidate { candidate, .. } = &event {
                    let _ = peers[1 - i].add_remote_candidate(candidate);
                }
                events[i].push(event);
            }
            while let Some(transmit) = peers[i].poll_transmit() {
                let packet =
                    Receive::udp(transmit.source, transmit.destination, &transmit.contents);
                let _ = peers[1 - i].handle_receive(now, packet);
            }
        }
        if peers[0].connection_state() == ConnectionState::Connected && sent < 10 {
            peers[0]
                .write_rtp(now, &mid, 0, sent * 160, false, &[0; 160])
                .unwrap();
            sent += 1;
        }
        now += Duration::from_millis(5);
        for peer in &mut peers {
            peer.handle_timeout(now);
        }
    }
    assert_eq!(sent, 10, "the call connected before the close");
    assert!(
        events[1].contains(&Event::RemoteEnded { mid: mid.clone() }),
        "{:?}",
        events[1]
    );
    assert_eq!(peers[1].dtls_state(), DtlsState::Closed);
    // A DTLS transport the remote closed counts as connected (W3C
    // connectionState): the call does not go back to connecting.
    let states: Vec<ConnectionState> = events[1]
        .iter()
        .filter_map(|e| match e {
            Event::ConnectionState(state) => Some(*state),
            _ => None,
        })
        .collect();
    let connected = states
        .iter()
        .position(|s| *s == ConnectionState::Connected)
        .unwrap();
    assert!(
        !states[connected..].contains(&ConnectionState::Connecting),
        "{states:?}"
    );
}
