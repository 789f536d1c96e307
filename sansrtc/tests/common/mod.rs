//! The two-peer call on `ice`'s simulated network that the integration
//! tests share: two peers on their own hosts (behind NATs when asked), the
//! network between them, a drive loop on a virtual clock.

// The virtual clock starts at an arbitrary instant.
#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop,
    dead_code,
    unreachable_pub
)]

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use sansrtc::ice::LocalSocket;
use sansrtc::ice::sim::{Link, Nat, Network};
use sansrtc::sdp::Direction;
use sansrtc::stun::Receive;
use sansrtc::stun::rng::seed_from_u64;
use sansrtc::{Config, ConnectionState, Event, MediaPacket, Peer};

/// The STUN server of the network.
pub const STUN_SERVER: &str = "192.0.2.1:3478";

/// Two peers, each on its own host (behind its own NAT when given), and
/// the network between them.
pub struct Call {
    pub peers: [Peer; 2],
    pub network: Network,
    pub now: Instant,
    /// Media each peer received.
    pub received: [Vec<MediaPacket>; 2],
    /// Frames each peer received (frame mode).
    pub frames: [Vec<Frame>; 2],
    /// Everything else each peer reported.
    pub events: [Vec<Event>; 2],
    /// Trickle candidates to the other side.
    pub trickle: bool,
    /// Each peer's host address.
    pub addresses: [SocketAddr; 2],
    /// Whether each peer's events are drained (an application that stops
    /// reading leaves them queued).
    pub reading: [bool; 2],
}

/// A frame one peer received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub mid: String,
    pub rid: Option<sansrtc::Rid>,
    pub payload_type: u8,
    pub timestamp: u32,
    pub keyframe: bool,
    pub discontinuity: bool,
    pub data: Vec<u8>,
}

impl Call {
    pub fn new(seed: u64, link: Link, nats: [Option<Nat>; 2]) -> Self {
        Self::with_config(seed, link, nats, |_, _| {})
    }

    /// Like [`new`](Self::new), with `configure` changing each peer's
    /// configuration (given the peer's index) before it is made.
    pub fn with_config(
        seed: u64,
        link: Link,
        nats: [Option<Nat>; 2],
        configure: impl Fn(usize, &mut Config),
    ) -> Self {
        let now = Instant::now();
        let mut network = Network::new(seed, link);
        let stun: SocketAddr = STUN_SERVER.parse().unwrap();
        network.add_stun_server(stun);
        let hosts: [SocketAddr; 2] = [
            "10.0.1.2:5000".parse().unwrap(),
            "10.0.2.2:5000".parse().unwrap(),
        ];
        let publics: [IpAddr; 2] = [
            "203.0.113.1".parse().unwrap(),
            "203.0.113.2".parse().unwrap(),
        ];
        let mut peers = Vec::new();
        let mut addresses = Vec::new();
        for i in 0..2 {
            let (address, nat) = match nats[i] {
                Some(nat) => (hosts[i], Some(network.add_nat(publics[i], nat))),
                None => (SocketAddr::new(publics[i], 5000), None),
            };
            network.add_host(address, nat);
            addresses.push(address);
            let mut config = Config::new();
            config.seed = Some(seed_from_u64(seed * 2 + i as u64));
            config.stun_servers = vec![stun];
            configure(i, &mut config);
            let mut peer = Peer::new(config, now).unwrap();
            peer.add_local_socket(LocalSocket::udp(address)).unwrap();
            peers.push(peer);
        }
        let peers: [Peer; 2] = peers.try_into().ok().unwrap();
        Self {
            peers,
            network,
            now,
            received: [Vec::new(), Vec::new()],
            frames: [Vec::new(), Vec::new()],
            events: [Vec::new(), Vec::new()],
            trickle: true,
            addresses: [addresses[0], addresses[1]],
            reading: [true, true],
        }
    }

    /// Offer from peer `from`, answer from the other, which sends and
    /// receives on every m-line.
    pub fn negotiate(&mut self, from: usize) {
        let offer = self.peers[from].create_offer().unwrap();
        self.peers[1 - from].set_remote_offer(&offer).unwrap();
        self.drain_events();
        let mids: Vec<String> = self.peers[1 - from].mids().map(str::to_string).collect();
        for mid in mids {
            self.peers[1 - from]
                .set_direction(&mid, Direction::SendRecv)
                .unwrap();
        }
        let answer = self.peers[1 - from].create_answer().unwrap();
        self.peers[from].set_remote_answer(&answer).unwrap();
    }

    pub fn drain_events(&mut self) {
        for i in 0..2 {
            if !self.reading[i] {
                continue;
            }
            while let Some(event) = self.peers[i].poll_event() {
                match event {
                    Event::LocalCandidate { candidate, .. } if self.trickle => {
                        let _ = self.peers[1 - i].add_remote_candidate(&candidate);
                    }
                    Event::Media(packet) => self.received[i].push(packet),
                    Event::Frame {
                        mid,
                        rid,
                        payload_type,
                        timestamp,
                        keyframe,
                        discontinuity,
                        data,
                    } => self.frames[i].push(Frame {
                        mid,
                        rid,
                        payload_type,
                        timestamp,
                        keyframe,
                        discontinuity,
                        data,
                    }),
                    other => self.events[i].push(other),
                }
            }
        }
    }

    /// Moves packets and time forward by `duration`; `each` runs at every
    /// step with the call (to send media).
    pub fn run(&mut self, duration: Duration, mut each: impl FnMut(&mut Self)) {
        let end = self.now + duration;
        for _ in 0..1_000_000 {
            self.drain_events();
            for i in 0..2 {
                while let Some(transmit) = self.peers[i].poll_transmit() {
                    self.network.send(self.now, transmit);
                }
            }
            while let Some(delivery) = self.network.poll_delivery(self.now) {
                let to = self
                    .addresses
                    .iter()
                    .position(|a| *a == delivery.destination);
                if let Some(to) = to {
                    let packet =
                        Receive::udp(delivery.source, delivery.destination, &delivery.bytes);
                    let _ = self.peers[to].handle_receive(self.now, packet);
                }
            }
            each(self);
            self.drain_events();
            if self.now >= end {
                return;
            }
            let next = [
                self.peers[0].poll_timeout(),
                self.peers[1].poll_timeout(),
                self.network.next_arrival(),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end)
            .max(self.now)
            .min(self.now + Duration::from_millis(10))
            .min(end);
            self.now = next;
            for peer in &mut self.peers {
                peer.handle_timeout(next);
            }
        }
        panic!("the call did not advance");
    }

    pub fn connected(&self) -> bool {
        self.peers
            .iter()
            .all(|p| p.connection_state() == ConnectionState::Connected)
    }
}

/// Sends one 20 ms audio packet from each peer on `mid` when it is due.
pub struct Tone {
    pub next: Option<Instant>,
    pub timestamp: u32,
}

impl Tone {
    pub fn new() -> Self {
        Self {
            next: None,
            timestamp: 0,
        }
    }

    pub fn send(&mut self, call: &mut Call, mid: &str, payload_type: u8) {
        let now = call.now;
        let next = *self.next.get_or_insert(now);
        if now < next {
            return;
        }
        for peer in &mut call.peers {
            let payload = [0x55u8; 160];
            let _ = peer.write_rtp(now, mid, payload_type, self.timestamp, false, &payload);
        }
        self.timestamp = self.timestamp.wrapping_add(160);
        self.next = Some(next + Duration::from_millis(20));
    }
}
