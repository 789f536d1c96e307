//! ICE-TCP through a `Peer`: the agent's connection requests come out as
//! `Event::Ice`, the caller's connections go back in with
//! `Peer::handle_connection`, and DTLS-SRTP and media run over the TCP
//! pair. The "network" here is a table of open connections in memory.

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use sansrtc::ice::{ConnectionEvent, Event as IceEvent, LocalSocket};
use sansrtc::sdp::Direction;
use sansrtc::stun::framing::rfc4571;
use sansrtc::stun::rng::seed_from_u64;
use sansrtc::stun::{Receive, Transport};
use sansrtc::{Config, ConnectionState, Event, MediaKind, Peer};

/// Peer 0 listens (passive), peer 1 connects (active).
#[test]
fn peers_connect_over_ice_tcp_and_exchange_media() {
    let mut now = Instant::now();
    let listener: SocketAddr = "192.0.2.1:4000".parse().unwrap();
    let mut peers = [0u64, 1].map(|i| {
        let mut config = Config::new();
        config.seed = Some(seed_from_u64(40 + i));
        Peer::new(config, now).unwrap()
    });
    peers[0]
        .add_local_socket(LocalSocket::tcp_passive(listener))
        .unwrap();
    peers[1]
        .add_local_socket(LocalSocket::tcp_active("192.0.2.2".parse().unwrap()))
        .unwrap();
    let mid = peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    let offer = peers[0].create_offer().unwrap();
    peers[1].set_remote_offer(&offer).unwrap();
    peers[1].set_direction(&mid, Direction::SendRecv).unwrap();
    let answer = peers[1].create_answer().unwrap();
    peers[0].set_remote_answer(&answer).unwrap();

    // Open connections as (peer 1's end, peer 0's end).
    let mut connections: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    let mut next_port = 50_000;
    let mut received = [0usize; 2];
    let mut selected_tcp = [false; 2];
    let mut timestamp = 0u32;
    for _ in 0..100_000 {
        for i in 0..2 {
            while let Some(event) = peers[i].poll_event() {
                match event {
                    Event::LocalCandidate { candidate, .. } => {
                        peers[1 - i].add_remote_candidate(&candidate).unwrap();
                    }
                    Event::Ice(IceEvent::OpenConnection(request)) => {
                        assert_eq!(i, 1, "only the active side opens");
                        let local = SocketAddr::new(request.local.ip(), next_port);
                        next_port += 1;
                        let opened = ConnectionEvent::Opened { request, local };
                        peers[1].handle_connection(now, opened).unwrap();
                        let accepted = ConnectionEvent::Accepted {
                            local: request.remote,
                            remote: local,
                        };
                        peers[0].handle_connection(now, accepted).unwrap();
                        connections.push((local, request.remote));
                    }
                    Event::Ice(IceEvent::CloseConnection { local, remote }) => {
                        connections.retain(|c| *c != (local, remote) && *c != (remote, local));
                    }
                    Event::Ice(IceEvent::SelectedPair { local, .. }) => {
                        selected_tcp[i] = local.transport() == Transport::Tcp;
                    }
                    Event::Media(packet) => {
                        assert_eq!(packet.payload, [0x55; 160]);
                        received[i] += 1;
                    }
                    _ => {}
                }
            }
            while let Some(transmit) = peers[i].poll_transmit() {
                assert_eq!(transmit.transport, Transport::Tcp);
                let open = connections.iter().any(|c| {
                    *c == (transmit.source, transmit.destination)
                        || *c == (transmit.destination, transmit.source)
                });
                if !open {
                    continue;
                }
                // Each transmit is one RFC 4571 frame.
                let (frame, rest) = rfc4571::split(&transmit.contents).unwrap();
                assert!(rest.is_empty());
                let packet = Receive {
                    source: transmit.source,
                    destination: transmit.destination,
                    transport: Transport::Tcp,
                    contents: frame,
                };
                let _ = peers[1 - i].handle_receive(now, packet);
            }
        }
        if peers
            .iter()
            .all(|p| p.connection_state() == ConnectionState::Connected)
        {
            for peer in &mut peers {
                peer.write_rtp(now, &mid, 0, timestamp, false, &[0x55; 160])
                    .unwrap();
            }
            timestamp = timestamp.wrapping_add(160);
        }
        if received.iter().all(|&n| n >= 20) {
            break;
        }
        let next = peers.iter().filter_map(Peer::poll_timeout).min();
        now = next
            .map_or(now, |t| t.max(now))
            .min(now + Duration::from_millis(20));
        for peer in &mut peers {
            peer.handle_timeout(now);
        }
    }
    assert_eq!(selected_tcp, [true, true]);
    assert!(received.iter().all(|&n| n >= 20), "{received:?}");
    assert!(peers[0].srtp_profile().is_some());
    // A connection accepted on an address that is no listener is refused.
    let stray = ConnectionEvent::Accepted {
        local: "192.0.2.1:4001".parse().unwrap(),
        remote: "192.0.2.9:1".parse().unwrap(),
    };
    assert!(peers[0].handle_connection(now, stray).is_err());
}
