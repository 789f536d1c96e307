//! Two ICE agents, each with its own allocation on the same real coturn
//! server on 127.0.0.1, given only each other's relayed candidates and
//! behind a firewall that lets out only traffic to the server: they
//! connect relay to relay over loopback with real UDP sockets, exchange
//! application data both ways through the relay, and release their
//! allocations when closed.
//!
//! The test installs nothing. It runs when `turnserver` (Debian `coturn`) is
//! on the PATH; otherwise it prints `skipped: turnserver not installed`
//! (which fails `.ci/run`, where coturn is installed).

#![allow(clippy::disallowed_methods)] // a test against a real server owns the clock
#![allow(clippy::indexing_slicing)]

// The coturn launcher of the STUN interop tests.
#[path = "../../stun/tests/support/mod.rs"]
mod support;

use core::net::SocketAddr;
use core::time::Duration;
use std::net::UdpSocket;
use std::time::Instant;

use sansrtc_ice::{
    Agent, CandidateType, Config, ConnectionState, Event, Handled, LocalSocket, Receive, Transport,
    TurnServer,
};
use support::{coturn_or_skip, free_udp_port, start_relay};

const REALM: &str = "sansrtc.test";
const USER: &str = "alice";
const PASSWORD: &str = "wonderland";

/// One side: its agent, its UDP socket, and what it saw.
struct Side {
    agent: Agent,
    socket: UdpSocket,
    address: SocketAddr,
    selected: Option<(CandidateType, CandidateType, SocketAddr, SocketAddr)>,
    received: Vec<(SocketAddr, Vec<u8>)>,
    connected_at: Option<Instant>,
    allocated_at: Option<Instant>,
}

impl Side {
    fn new(controlling: bool, seed: u64, server: SocketAddr, now: Instant) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.set_nonblocking(true).unwrap();
        let address = socket.local_addr().unwrap();
        let config = {
            let mut config = Config::new(controlling);
            config.seed = Some(sansrtc_ice::seed_from_u64(seed));
            config.turn_servers = vec![TurnServer::udp(server, USER, PASSWORD)];
            config
        };
        Self {
            agent: Agent::new(config, now),
            socket,
            address,
            selected: None,
            received: Vec::new(),
            connected_at: None,
            allocated_at: None,
        }
    }

    /// Sends what the agent queued from the socket it names, through a
    /// firewall that lets only traffic to the TURN server out: on loopback
    /// the host candidate could otherwise reach the peer's relayed address
    /// directly (the peer's permission is for the IP, 127.0.0.1).
    fn flush(&mut self, server: SocketAddr) {
        while let Some(transmit) = self.agent.poll_transmit() {
            // Every packet leaves from the host socket: the relayed
            // candidate's traffic is wrapped for the TURN server.
            assert_eq!(transmit.source, self.address);
            if transmit.destination == server {
                let _ = self
                    .socket
                    .send_to(&transmit.contents, transmit.destination);
            }
        }
    }

    /// Feeds what the socket received to the agent.
    fn receive(&mut self, now: Instant) {
        let mut buf = [0u8; 2048];
        while let Ok((len, source)) = self.socket.recv_from(&mut buf) {
            let handled = self.agent.handle_receive(
                now,
                Receive {
                    source,
                    destination: self.address,
                    transport: Transport::Udp,
                    contents: &buf[..len],
                },
            );
            // Application data relayed by coturn comes back like any
            // other data, the relayed address as its local side.
            if let Ok(Handled::Data(data)) = handled {
                self.received.push((data.remote, data.contents.to_vec()));
            }
        }
    }

    /// Reads the agent's events; returns the relayed candidates to signal
    /// and whether gathering completed.
    fn events(&mut self, now: Instant) -> (Vec<sansrtc_ice::Candidate>, bool) {
        let mut relayed = Vec::new();
        let mut complete = false;
        while let Some(event) = self.agent.poll_event() {
            match event {
                // Only relayed candidates go to the peer.
                Event::LocalCandidate(candidate) if candidate.kind() == CandidateType::Relayed => {
                    self.allocated_at.get_or_insert(now);
                    relayed.push(candidate);
                }
                Event::GatheringComplete => complete = true,
                Event::SelectedPair {
                    local,
                    local_base,
                    remote,
                    remote_address,
                    ..
                } => {
                    self.selected = Some((local.kind(), remote.kind(), local_base, remote_address));
                }
                Event::StateChanged(ConnectionState::Connected | ConnectionState::Completed) => {
                    self.connected_at.get_or_insert(now);
                }
                Event::TurnError {
                    server,
                    code,
                    reason,
                } => panic!("TURN error from {server}: {code} {reason}"),
                _ => {}
            }
        }
        (relayed, complete)
    }
}

#[test]
fn two_agents_connect_relay_to_relay_through_coturn() {
    let test = "two_agents_connect_relay_to_relay_through_coturn";
    let Some(version) = coturn_or_skip(test) else {
        return;
    };
    let port = free_udp_port();
    let _coturn = start_relay(port, (USER, PASSWORD, REALM), &[]);
    let server: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();

    let start = Instant::now();
    let mut sides = [
        Side::new(true, 1, server, start),
        Side::new(false, 2, server, start),
    ];
    let credentials = [
        sides[0].agent.local_credentials().clone(),
        sides[1].agent.local_credentials().clone(),
    ];
    for i in 0..2 {
        let other = &credentials[1 - i];
        let side = &mut sides[i];
        side.agent
            .set_remote_credentials(other.ufrag(), other.pwd())
            .unwrap();
        side.agent
            .add_local_socket(LocalSocket::udp(side.address))
            .unwrap();
    }

    let messages = [
        b"\x80hello from the controlling agent".to_vec(),
        b"\x80hello from the controlled agent".to_vec(),
    ];
    let deadline = start + Duration::from_secs(20);
    let mut last_send: Option<Instant> = None;
    loop {
        let now = Instant::now();
        assert!(
            now < deadline,
            "no relay-to-relay exchange within 20 s: states {:?} {:?}, selected {:?} {:?}",
            sides[0].agent.state(),
            sides[1].agent.state(),
            sides[0].selected,
            sides[1].selected,
        );
        for i in 0..2 {
            sides[i].receive(now);
            let (relayed, complete) = sides[i].events(now);
            let other = &mut sides[1 - i].agent;
            for candidate in relayed {
                other.add_remote_candidate(candidate).unwrap();
            }
            if complete {
                other.end_of_remote_candidates();
            }
        }
        for side in &mut sides {
            if side.agent.poll_timeout().is_some_and(|t| t <= now) {
                side.agent.handle_timeout(now);
            }
            side.flush(server);
        }
        let selected = sides.iter().all(|s| s.selected.is_some());
        let done = sides.iter().all(|s| !s.received.is_empty());
        if done {
            break;
        }
        // Data until it arrives: the first may race the peer's permission.
        if selected && last_send.is_none_or(|t| now >= t + Duration::from_millis(200)) {
            for (side, message) in sides.iter_mut().zip(&messages) {
                side.agent.send_data(now, 1, message).unwrap();
                side.flush(server);
            }
            last_send = Some(now);
        }
        std::thread::sleep(Duration::from_millis(2));
    }

    for (i, side) in sides.iter().enumerate() {
        let (local, remote, local_base, remote_address) = side.selected.unwrap();
        assert_eq!(
            (local, remote),
            (CandidateType::Relayed, CandidateType::Relayed)
        );
        // The pair is between the two allocations on coturn.
        assert_eq!(local_base.ip(), server.ip());
        assert_ne!(local_base, remote_address);
        let (peer, data) = &side.received[0];
        assert_eq!(*peer, sides[1 - i].selected.unwrap().2);
        assert_eq!(*data, messages[1 - i]);
        let connected = side.connected_at.unwrap();
        let allocated = sides.iter().filter_map(|s| s.allocated_at).max().unwrap();
        println!(
            "agent {i}: selected relay {local_base} -> relay {remote_address}, connected {:?} \
             after start ({:?} after both allocations existed)",
            connected - start,
            connected.saturating_duration_since(allocated),
        );
    }
    println!(
        "{test}: ran against {version} on {server}; data exchanged both ways through the relay"
    );

    // Closing releases both allocations: the agents have nothing left to
    // wait for once coturn answered the Refresh with LIFETIME 0.
    for side in &mut sides {
        side.agent.close();
        side.flush(server);
    }
    let deadline = Instant::now() + Duration::from_secs(5);
    while sides.iter().any(|s| s.agent.poll_timeout().is_some()) {
        let now = Instant::now();
        assert!(now < deadline, "allocations not released within 5 s");
        for side in &mut sides {
            side.receive(now);
            if side.agent.poll_timeout().is_some_and(|t| t <= now) {
                side.agent.handle_timeout(now);
            }
            side.flush(server);
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    println!("{test}: both allocations released");
}
