//! A deterministic simulated network for testing ICE (and your own
//! integration of the agent): a virtual clock, latency, jitter, loss and
//! reordering, NATs with the RFC 4787 mapping and filtering behaviours,
//! hairpinning, firewalls (that can block all UDP, or UDP between two
//! hosts), TCP listeners and streams for ICE-TCP ([`StreamEvent`],
//! [`Network::connect`]), a STUN server, and a TURN server ([`turn`])
//! that speaks RFC 8656 to the agent's own TURN clients.
//!
//! Enable with the cargo feature `sim`. Everything is driven by the caller's
//! clock and a seeded generator, so a run is reproducible from its seed.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_ice::sim::{Link, Nat, Scenario, Side};
//!
//! let start = Instant::now();
//! let mut scenario = Scenario::new(1, start, Link::default(), Side::behind(Nat::SYMMETRIC),
//!     Side::behind(Nat::FULL_CONE));
//! let outcome = scenario.run(Duration::from_secs(60));
//! assert!(outcome.connected());
//! ```

use alloc::collections::BTreeMap;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use sansrtc_stun::server::{Server, ServerConfig};

use crate::agent::{Agent, Config, LocalSocket};
use crate::candidate::{CandidateType, Transport};
use crate::event::{ConnectionState, Event, Receive, Transmit};
use crate::relay::TurnServer;
use crate::rng::{Rng, seed_from_u64};
use crate::tcp::{ConnectRequest, ConnectionEvent, FrameReader};

mod stream;
pub mod turn;

pub use stream::StreamEvent;

/// How a NAT maps or filters, per RFC 4787 §4.1 and §5.
///
/// <https://www.rfc-editor.org/rfc/rfc4787#section-4.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Behaviour {
    /// One mapping (or permission) for every remote endpoint.
    EndpointIndependent,
    /// Per remote IP address.
    AddressDependent,
    /// Per remote IP address and port.
    AddressAndPortDependent,
}

/// A NAT: mapping and filtering behaviour, and whether it hairpins.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Nat {
    /// Mapping behaviour (RFC 4787 §4.1).
    pub mapping: Behaviour,
    /// Filtering behaviour (RFC 4787 §5).
    pub filtering: Behaviour,
    /// Whether a host behind it can reach another host behind it through
    /// the public address (RFC 4787 §6).
    pub hairpinning: bool,
}

impl Nat {
    /// Endpoint-independent mapping and filtering ("full cone").
    pub const FULL_CONE: Self = Self {
        mapping: Behaviour::EndpointIndependent,
        filtering: Behaviour::EndpointIndependent,
        hairpinning: true,
    };
    /// Endpoint-independent mapping, address-dependent filtering
    /// ("restricted cone").
    pub const RESTRICTED_CONE: Self = Self {
        mapping: Behaviour::EndpointIndependent,
        filtering: Behaviour::AddressDependent,
        hairpinning: true,
    };
    /// Endpoint-independent mapping, address-and-port-dependent filtering
    /// ("port-restricted cone").
    pub const PORT_RESTRICTED_CONE: Self = Self {
        mapping: Behaviour::EndpointIndependent,
        filtering: Behaviour::AddressAndPortDependent,
        hairpinning: true,
    };
    /// Address-and-port-dependent mapping and filtering ("symmetric").
    pub const SYMMETRIC: Self = Self {
        mapping: Behaviour::AddressAndPortDependent,
        filtering: Behaviour::AddressAndPortDependent,
        hairpinning: false,
    };
}

/// Link properties applied to every packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Link {
    /// One-way latency.
    pub latency: Duration,
    /// Extra delay drawn uniformly from zero to this; packets can overtake
    /// one another.
    pub jitter: Duration,
    /// Loss in permille (0 to 1000).
    pub loss_permille: u32,
}

impl Default for Link {
    fn default() -> Self {
        Self {
            latency: Duration::from_millis(20),
            jitter: Duration::ZERO,
            loss_permille: 0,
        }
    }
}

#[derive(Debug, Clone)]
struct Mapping {
    private: SocketAddr,
    remote: SocketAddr,
    public_port: u16,
    permissions: Vec<SocketAddr>,
}

#[derive(Debug, Clone)]
struct NatState {
    public_ip: IpAddr,
    nat: Nat,
    mappings: Vec<Mapping>,
    next_port: u16,
}

impl NatState {
    fn outbound(&mut self, private: SocketAddr, remote: SocketAddr) -> SocketAddr {
        let same = |m: &Mapping| {
            m.private == private
                && match self.nat.mapping {
                    Behaviour::EndpointIndependent => true,
                    Behaviour::AddressDependent => m.remote.ip() == remote.ip(),
                    Behaviour::AddressAndPortDependent => m.remote == remote,
                }
        };
        let index = match self.mappings.iter().position(same) {
            Some(index) => index,
            None => {
                let public_port = self.next_port;
                self.next_port = self.next_port.wrapping_add(1).max(1024);
                self.mappings.push(Mapping {
                    private,
                    remote,
                    public_port,
                    permissions: Vec::new(),
                });
                self.mappings.len() - 1
            }
        };
        let Some(mapping) = self.mappings.get_mut(index) else {
            return private;
        };
        if !mapping.permissions.contains(&remote) {
            mapping.permissions.push(remote);
        }
        SocketAddr::new(self.public_ip, mapping.public_port)
    }

    fn inbound(&self, public_port: u16, remote: SocketAddr) -> Option<SocketAddr> {
        let mapping = self
            .mappings
            .iter()
            .find(|m| m.public_port == public_port)?;
        let allowed = match self.nat.filtering {
            Behaviour::EndpointIndependent => true,
            Behaviour::AddressDependent => {
                mapping.permissions.iter().any(|p| p.ip() == remote.ip())
            }
            Behaviour::AddressAndPortDependent => mapping.permissions.contains(&remote),
        };
        allowed.then_some(mapping.private)
    }
}

#[derive(Debug, Clone)]
struct Host {
    address: SocketAddr,
    nat: Option<usize>,
    firewall: Option<Vec<SocketAddr>>,
}

/// A packet the network delivers to a host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    /// The source as the host sees it (after NATs).
    pub source: SocketAddr,
    /// The host's bound address.
    pub destination: SocketAddr,
    /// The datagram.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
struct InFlight {
    source: SocketAddr,
    destination: SocketAddr,
    bytes: Vec<u8>,
}

/// The simulated network: hosts, NATs, STUN and TURN servers, packets in
/// flight.
#[derive(Debug)]
pub struct Network {
    link: Link,
    rng: Rng,
    hosts: Vec<Host>,
    nats: Vec<NatState>,
    stun_servers: Vec<SocketAddr>,
    stun_server: Server,
    turn_servers: Vec<turn::Server>,
    in_flight: BTreeMap<(Instant, u64), InFlight>,
    streams: stream::Streams,
    /// Pairs of IP addresses between which UDP is dropped.
    udp_blocked: Vec<(IpAddr, IpAddr)>,
    sequence: u64,
    /// Packets sent by hosts so far.
    pub sent: u64,
    /// Packets dropped (loss, filtering, firewall, no route).
    pub dropped: u64,
    /// When `Some`, every datagram the hosts send, in order (set it to
    /// `Some(Vec::new())` to check that a seed reproduces a run byte for
    /// byte). `None` by default: a long run keeps nothing.
    pub transcript: Option<Vec<Transmit>>,
}

impl Network {
    /// An empty network whose links all behave like `link`.
    pub fn new(seed: u64, link: Link) -> Self {
        Self {
            link,
            rng: Rng::from_u64(seed),
            hosts: Vec::new(),
            nats: Vec::new(),
            stun_servers: Vec::new(),
            stun_server: Server::new({
                let mut config = ServerConfig::default();
                config.fingerprint = true;
                config
            }),
            turn_servers: Vec::new(),
            in_flight: BTreeMap::new(),
            streams: stream::Streams::default(),
            udp_blocked: Vec::new(),
            sequence: 0,
            sent: 0,
            dropped: 0,
            transcript: None,
        }
    }

    /// Changes the link properties for packets sent from now on (cut the
    /// network with a loss of 1000 ‰).
    pub fn set_link(&mut self, link: Link) {
        self.link = link;
    }

    /// Adds a NAT with a public address; returns its index for
    /// [`add_host`](Self::add_host).
    pub fn add_nat(&mut self, public_ip: IpAddr, nat: Nat) -> usize {
        self.nats.push(NatState {
            public_ip,
            nat,
            mappings: Vec::new(),
            next_port: 40_000,
        });
        self.nats.len() - 1
    }

    /// Adds a host socket, public or behind NAT `nat`.
    pub fn add_host(&mut self, address: SocketAddr, nat: Option<usize>) {
        self.hosts.push(Host {
            address,
            nat,
            firewall: None,
        });
    }

    /// Puts a firewall in front of the host at `address`: all UDP is dropped
    /// but to and from `allowed` (a TURN server, say; none: UDP is blocked).
    /// TCP passes.
    pub fn add_firewall(&mut self, address: SocketAddr, allowed: Vec<SocketAddr>) {
        if let Some(host) = self.hosts.iter_mut().find(|h| h.address == address) {
            host.firewall = Some(allowed);
        }
    }

    /// A firewall rule that drops UDP between the IP addresses `a` and `b`,
    /// either way, as packets carry them on the wire (a host's own address,
    /// or its NAT's public one). TCP passes.
    pub fn block_udp_between(&mut self, a: IpAddr, b: IpAddr) {
        self.udp_blocked.push((a, b));
    }

    fn udp_blocked(&self, from: IpAddr, to: IpAddr) -> bool {
        self.udp_blocked
            .iter()
            .any(|&(a, b)| (a, b) == (from, to) || (b, a) == (from, to))
    }

    /// Adds a STUN server that answers Binding requests.
    pub fn add_stun_server(&mut self, address: SocketAddr) {
        self.stun_servers.push(address);
    }

    /// Adds a TURN server: packets to its address or to one of its
    /// relayed addresses are handled inside the network.
    pub fn add_turn_server(&mut self, server: turn::Server) {
        self.turn_servers.push(server);
    }

    /// The TURN server at `address`, if any.
    pub fn turn_server(&self, address: SocketAddr) -> Option<&turn::Server> {
        self.turn_servers.iter().find(|s| s.address() == address)
    }

    /// Sends a packet from a host socket: a datagram, or for
    /// [`Transport::Tcp`] bytes on the connection from `source` to
    /// `destination` (see [`connect`](Self::connect)).
    pub fn send(&mut self, now: Instant, transmit: Transmit) {
        self.sent += 1;
        if let Some(transcript) = &mut self.transcript {
            transcript.push(transmit.clone());
        }
        if transmit.transport == Transport::Tcp {
            self.send_stream(now, &transmit);
            return;
        }
        let Some(host) = self
            .hosts
            .iter()
            .find(|h| h.address == transmit.source)
            .cloned()
        else {
            self.dropped += 1;
            return;
        };
        if host
            .firewall
            .as_ref()
            .is_some_and(|allowed| !allowed.contains(&transmit.destination))
            || self.udp_blocked(transmit.source.ip(), transmit.destination.ip())
        {
            self.dropped += 1;
            return;
        }
        let public = host
            .nat
            .and_then(|n| self.nats.get(n))
            .map(|nat| nat.public_ip);
        if public.is_some_and(|ip| self.udp_blocked(ip, transmit.destination.ip())) {
            self.dropped += 1;
            return;
        }
        let source = match host.nat.and_then(|n| self.nats.get_mut(n)) {
            Some(nat) => {
                if transmit.destination.ip() == nat.public_ip && !nat.nat.hairpinning {
                    self.dropped += 1;
                    return;
                }
                nat.outbound(transmit.source, transmit.destination)
            }
            None => transmit.source,
        };
        self.schedule(
            now,
            source,
            transmit.destination,
            transmit.contents.to_vec(),
        );
    }

    fn schedule(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        bytes: Vec<u8>,
    ) {
        if self.rng.below(1000) < u64::from(self.link.loss_permille) {
            self.dropped += 1;
            return;
        }
        let jitter_us = u64::try_from(self.link.jitter.as_micros()).unwrap_or(u64::MAX);
        let jitter = Duration::from_micros(self.rng.below(jitter_us.saturating_add(1)));
        let at = now + self.link.latency + jitter;
        self.sequence += 1;
        self.in_flight.insert(
            (at, self.sequence),
            InFlight {
                source,
                destination,
                bytes,
            },
        );
    }

    /// When the next packet (or TCP event) arrives somewhere.
    pub fn next_arrival(&self) -> Option<Instant> {
        let datagram = self.in_flight.keys().next().map(|(at, _)| *at);
        match (datagram, self.streams.next_arrival()) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// The next packet due by `now` for a host; packets for the STUN server
    /// are answered inside the network.
    pub fn poll_delivery(&mut self, now: Instant) -> Option<Delivery> {
        loop {
            let key = *self.in_flight.keys().next()?;
            if key.0 > now {
                return None;
            }
            let packet = self.in_flight.remove(&key)?;
            if self.stun_servers.contains(&packet.destination) {
                self.answer_stun(key.0, &packet);
                continue;
            }
            if let Some(server) = self
                .turn_servers
                .iter_mut()
                .find(|s| s.serves(packet.destination))
            {
                match server.handle(key.0, packet.source, packet.destination, &packet.bytes) {
                    Some(out) => self.schedule(key.0, out.source, out.destination, out.bytes),
                    None => self.dropped += 1,
                }
                continue;
            }
            if let Some(delivery) = self.route(&packet) {
                return Some(delivery);
            }
            self.dropped += 1;
        }
    }

    fn route(&self, packet: &InFlight) -> Option<Delivery> {
        let destination = match self
            .nats
            .iter()
            .find(|n| n.public_ip == packet.destination.ip())
        {
            Some(nat) => nat.inbound(packet.destination.port(), packet.source)?,
            None => packet.destination,
        };
        let host = self.hosts.iter().find(|h| h.address == destination)?;
        if host
            .firewall
            .as_ref()
            .is_some_and(|allowed| !allowed.contains(&packet.source))
        {
            return None;
        }
        // A host behind a NAT is reachable only through it.
        if host.nat.is_some() && destination == packet.destination {
            return None;
        }
        Some(Delivery {
            source: packet.source,
            destination,
            bytes: packet.bytes.clone(),
        })
    }

    /// The STUN server of the network answers a Binding request: the
    /// suite's own [`Server`](sansrtc_stun::server::Server), as a real
    /// deployment would run it.
    fn answer_stun(&mut self, now: Instant, packet: &InFlight) {
        let receive = Receive::udp(packet.source, packet.destination, &packet.bytes);
        if self.stun_server.handle_receive(now, receive).is_err() {
            return;
        }
        while self.stun_server.poll_event().is_some() {}
        while let Some(answer) = self.stun_server.poll_transmit() {
            self.schedule(
                now,
                answer.source,
                answer.destination,
                answer.contents.to_vec(),
            );
        }
    }
}

/// One side of a [`Scenario`]: public, behind a NAT, or behind a firewall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Side {
    /// The NAT in front of the host, if any.
    pub nat: Option<Nat>,
    /// Whether a firewall drops all UDP but to the STUN server.
    pub firewall: bool,
    /// Whether host candidates are announced under mDNS names. The two
    /// sides are on different links, where such names do not resolve.
    pub mdns: bool,
    /// Whether the side's agent allocates a relayed candidate on the
    /// scenario's TURN server ([`Scenario::TURN_SERVER`], which its
    /// firewall, if any, lets it reach).
    pub relay: bool,
    /// Whether a firewall drops all UDP, to the STUN and TURN servers too
    /// (a network that lets only TCP through).
    pub udp_blocked: bool,
    /// Whether the side's agent also has TCP host candidates (RFC 6544): a
    /// passive listener on each socket's address and port, and active
    /// connections from its IP address.
    pub tcp: bool,
}

impl Side {
    /// A host with a public address.
    pub const PUBLIC: Self = Self {
        nat: None,
        firewall: false,
        mdns: false,
        relay: false,
        udp_blocked: false,
        tcp: false,
    };

    /// A public host on a network that blocks all UDP, with TCP candidates:
    /// only ICE-TCP reaches it.
    pub const UDP_BLOCKED: Self = Self {
        udp_blocked: true,
        tcp: true,
        ..Self::PUBLIC
    };

    /// A host behind `nat`.
    pub const fn behind(nat: Nat) -> Self {
        Self {
            nat: Some(nat),
            ..Self::PUBLIC
        }
    }

    /// The same side with TCP candidates as well.
    pub const fn with_tcp(self) -> Self {
        Self { tcp: true, ..self }
    }
}

/// What a [`Scenario`] run produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// Final state of each agent.
    pub states: [ConnectionState; 2],
    /// Virtual time from the start to `Connected`, per agent.
    pub connected_after: [Option<Duration>; 2],
    /// Virtual time from the start to `Failed`, per agent.
    pub failed_after: [Option<Duration>; 2],
    /// The selected pair of each agent: (local type, remote type, local
    /// address as seen by the peer, remote address).
    pub selected: [Option<(CandidateType, CandidateType, SocketAddr, SocketAddr)>; 2],
    /// The transport of each agent's selected pair.
    pub transports: [Option<Transport>; 2],
    /// Connectivity checks sent by each agent.
    pub checks_sent: [u64; 2],
}

impl Outcome {
    /// Both agents connected (or completed).
    pub fn connected(&self) -> bool {
        self.states
            .iter()
            .all(|s| matches!(s, ConnectionState::Connected | ConnectionState::Completed))
    }

    /// Both agents failed.
    pub fn failed(&self) -> bool {
        self.states.iter().all(|s| *s == ConnectionState::Failed)
    }

    /// The two agents selected the same path: each one's remote address is
    /// where the other sends from.
    pub fn same_pair(&self) -> bool {
        match &self.selected {
            [Some(a), Some(b)] => a.3 == b.2 && b.3 == a.2,
            _ => false,
        }
    }
}

/// Two agents (controlling and controlled) in a [`Network`], with a
/// signaling channel that passes candidates instantly, and a STUN server.
#[derive(Debug)]
pub struct Scenario {
    /// The network.
    pub network: Network,
    /// The agents: 0 controlling, 1 controlled.
    pub agents: [Agent; 2],
    sockets: Vec<(usize, SocketAddr)>,
    /// Whether `end-of-candidates` is signaled when gathering completes.
    pub end_of_candidates: bool,
    /// When set, candidates are not trickled: each side's candidates are
    /// held until its gathering completes, then signaled in an order
    /// shuffled by this seed.
    pub shuffle_candidates: Option<u64>,
    held: [Vec<crate::candidate::Candidate>; 2],
    /// Every event the agents produced: (virtual time, agent, event).
    pub log: Vec<(Duration, usize, Event)>,
    now: Instant,
    start: Instant,
    connected_after: [Option<Duration>; 2],
    failed_after: [Option<Duration>; 2],
    selected: [Option<(CandidateType, CandidateType, SocketAddr, SocketAddr)>; 2],
    transports: [Option<Transport>; 2],
    /// Each agent's open TCP connections: (agent, local, remote, framing).
    streams: Vec<(usize, SocketAddr, SocketAddr, FrameReader)>,
    /// Connections asked for and not answered yet, by agent.
    requests: Vec<(usize, ConnectRequest)>,
    /// Each agent's TCP listeners.
    listeners: Vec<(usize, SocketAddr)>,
}

impl Scenario {
    /// A scenario with default agent configurations.
    pub fn new(seed: u64, start: Instant, link: Link, a: Side, b: Side) -> Self {
        let config = |controlling, seed| Config {
            controlling,
            seed: Some(seed_from_u64(seed)),
            stun_servers: vec![Self::STUN_SERVER],
            ..Config::default()
        };
        Self::with_configs(
            seed,
            start,
            link,
            [a, b],
            [config(true, seed), config(false, !seed)],
        )
    }

    /// The STUN server's address.
    pub const STUN_SERVER: SocketAddr =
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 3478);

    /// The TURN server's address.
    pub const TURN_SERVER: SocketAddr =
        SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 3)), 3478);

    /// The TURN server's realm.
    pub const TURN_REALM: &'static str = "sim.example";

    /// The long-term credential username the TURN server accepts.
    pub const TURN_USERNAME: &'static str = "sim";

    /// The long-term credential password the TURN server accepts.
    pub const TURN_PASSWORD: &'static str = "sim-password";

    /// A scenario with the given agent configurations. A side with
    /// [`Side::relay`] gets the scenario's TURN server added to its
    /// [`Config::turn_servers`].
    pub fn with_configs(
        seed: u64,
        start: Instant,
        link: Link,
        sides: [Side; 2],
        mut configs: [Config; 2],
    ) -> Self {
        let mut network = Network::new(seed ^ 0x5eed, link);
        network.add_stun_server(Self::STUN_SERVER);
        if let Some(server) = turn::Server::new(
            Self::TURN_SERVER,
            Self::TURN_REALM,
            Self::TURN_USERNAME,
            Self::TURN_PASSWORD,
        ) {
            network.add_turn_server(server);
        }
        for (side, config) in sides.iter().zip(&mut configs) {
            let turn = TurnServer::udp(Self::TURN_SERVER, Self::TURN_USERNAME, Self::TURN_PASSWORD);
            if side.relay && !config.turn_servers.contains(&turn) {
                config.turn_servers.push(turn);
            }
        }
        let mut sockets = Vec::new();
        let mut listeners = Vec::new();
        for (i, (side, config)) in sides.iter().zip(&configs).enumerate() {
            let n = u8::try_from(i).unwrap_or(0);
            let nat = side
                .nat
                .map(|nat| network.add_nat(IpAddr::V4(Ipv4Addr::new(203, 0, 113, 10 + n)), nat));
            for component in 1..=config.components.clamp(1, 2) {
                let port = 4999 + component;
                let address = match nat {
                    Some(_) => SocketAddr::new(IpAddr::V4(Ipv4Addr::new(10, 0, n, 2)), port),
                    None => SocketAddr::new(IpAddr::V4(Ipv4Addr::new(198, 51, 100, 10 + n)), port),
                };
                network.add_host(address, nat);
                if side.firewall {
                    network.add_firewall(address, vec![Self::STUN_SERVER, Self::TURN_SERVER]);
                }
                if side.udp_blocked {
                    network.add_firewall(address, Vec::new());
                }
                if side.tcp {
                    network.add_listener(address, nat);
                    listeners.push((i, address));
                }
                sockets.push((i, address));
            }
        }
        let [ca, cb] = configs;
        let mut agents = [Agent::new(ca, start), Agent::new(cb, start)];
        let credentials = [
            agents[0].local_credentials().clone(),
            agents[1].local_credentials().clone(),
        ];
        for (i, agent) in agents.iter_mut().enumerate() {
            let other = credentials.get(1 - i).cloned();
            if let Some(other) = other {
                let _ = agent.set_remote_credentials(other.ufrag(), other.pwd());
            }
            let mdns = sides.get(i).is_some_and(|s| s.mdns);
            let tcp = sides.get(i).is_some_and(|s| s.tcp);
            for (component, (_, address)) in (1..).zip(sockets.iter().filter(|(j, _)| *j == i)) {
                let socket = LocalSocket::udp(*address).with_component(component);
                let _ = if mdns {
                    let name = format!("host-{i}-{component}.local");
                    agent.add_local_socket_with_name(socket, &name)
                } else {
                    agent.add_local_socket(socket)
                };
                if tcp {
                    // A listener on the same address and port as the UDP
                    // socket, and connections from the same IP address.
                    let _ = agent.add_local_socket(
                        LocalSocket::tcp_passive(*address).with_component(component),
                    );
                    let _ = agent.add_local_socket(
                        LocalSocket::tcp_active(address.ip()).with_component(component),
                    );
                }
            }
        }
        Self {
            network,
            agents,
            sockets,
            end_of_candidates: true,
            shuffle_candidates: None,
            held: [Vec::new(), Vec::new()],
            log: Vec::new(),
            now: start,
            start,
            connected_after: [None; 2],
            failed_after: [None; 2],
            selected: [None; 2],
            transports: [None; 2],
            streams: Vec::new(),
            requests: Vec::new(),
            listeners,
        }
    }

    fn pump(&mut self) {
        loop {
            let mut progress = false;
            for i in 0..2 {
                let Some(agent) = self.agents.get_mut(i) else {
                    continue;
                };
                while let Some(transmit) = agent.poll_transmit() {
                    self.network.send(self.now, transmit);
                    progress = true;
                }
                let mut events = Vec::new();
                while let Some(event) = agent.poll_event() {
                    events.push(event);
                }
                for event in events {
                    progress = true;
                    self.on_event(i, event);
                }
            }
            if !progress {
                return;
            }
        }
    }

    fn on_event(&mut self, i: usize, event: Event) {
        let elapsed = self.now.saturating_duration_since(self.start);
        let other = 1 - i;
        self.log.push((elapsed, i, event.clone()));
        match event {
            Event::LocalCandidate(candidate) => {
                if self.shuffle_candidates.is_some() {
                    if let Some(held) = self.held.get_mut(i) {
                        held.push(candidate);
                    }
                } else if let Some(agent) = self.agents.get_mut(other) {
                    let _ = agent.add_remote_candidate(candidate);
                }
            }
            Event::GatheringComplete => {
                if let (Some(seed), Some(held)) = (self.shuffle_candidates, self.held.get_mut(i)) {
                    let mut rng = Rng::from_u64(seed ^ i as u64);
                    let mut held = core::mem::take(held);
                    // Fisher-Yates.
                    for k in (1..held.len()).rev() {
                        let j = usize::try_from(rng.below(k as u64 + 1)).unwrap_or(0);
                        held.swap(k, j);
                    }
                    if let Some(agent) = self.agents.get_mut(other) {
                        for candidate in held {
                            let _ = agent.add_remote_candidate(candidate);
                        }
                    }
                }
                if !self.end_of_candidates {
                    return;
                }
                if let Some(agent) = self.agents.get_mut(other) {
                    agent.end_of_remote_candidates();
                }
            }
            Event::ResolveName(name) => {
                if let Some(agent) = self.agents.get_mut(i) {
                    let _ = agent.resolve_name(&name, None);
                }
            }
            Event::StateChanged(state) => match state {
                ConnectionState::Connected | ConnectionState::Completed => {
                    if let Some(slot) = self.connected_after.get_mut(i) {
                        slot.get_or_insert(elapsed);
                    }
                }
                ConnectionState::Failed => {
                    if let Some(slot) = self.failed_after.get_mut(i) {
                        slot.get_or_insert(elapsed);
                    }
                }
                _ => {}
            },
            Event::SelectedPair {
                component: 1,
                local,
                local_base,
                remote,
                remote_address,
            } => {
                // A host candidate announced under a name sends from its
                // base; so does a TCP host candidate, from its connection's
                // address (an active one announces port 9).
                let address = match (local.transport(), local.kind()) {
                    (Transport::Tcp, CandidateType::Host) => local_base,
                    _ => local.socket_addr().unwrap_or(local_base),
                };
                if let Some(slot) = self.selected.get_mut(i) {
                    *slot = Some((local.kind(), remote.kind(), address, remote_address));
                }
                if let Some(slot) = self.transports.get_mut(i) {
                    *slot = Some(local.transport());
                }
            }
            Event::OpenConnection(request) => {
                self.requests.push((i, request));
                self.network.connect(self.now, request);
            }
            Event::CloseConnection { local, remote } => {
                self.streams
                    .retain(|(j, l, r, _)| !(*j == i && *l == local && *r == remote));
                self.network.close(self.now, local, remote);
            }
            _ => {}
        }
    }

    /// A TCP event of the network, for the agent it concerns: connections
    /// opened, refused, accepted and closed, and stream bytes cut into
    /// frames for the agent.
    fn on_stream(&mut self, event: StreamEvent) {
        let now = self.now;
        match event {
            StreamEvent::Accepted { local, remote } => {
                let Some(&(i, _)) = self.listeners.iter().find(|(_, a)| *a == local) else {
                    self.network.close(now, local, remote);
                    return;
                };
                let update = ConnectionEvent::Accepted { local, remote };
                self.open_stream(i, local, remote, update);
            }
            StreamEvent::Connected { request, local } => {
                let Some(index) = self.requests.iter().position(|(_, r)| *r == request) else {
                    self.network.close(now, local, request.remote);
                    return;
                };
                let (i, _) = self.requests.remove(index);
                let update = ConnectionEvent::Opened { request, local };
                self.open_stream(i, local, request.remote, update);
            }
            StreamEvent::Refused { request } => {
                if let Some(index) = self.requests.iter().position(|(_, r)| *r == request) {
                    let (i, _) = self.requests.remove(index);
                    if let Some(agent) = self.agents.get_mut(i) {
                        let _ = agent.handle_connection(now, ConnectionEvent::Failed { request });
                    }
                }
            }
            StreamEvent::Bytes {
                local,
                remote,
                bytes,
            } => self.on_stream_bytes(local, remote, &bytes),
            StreamEvent::Closed { local, remote } => self.stream_closed(local, remote),
        }
    }

    /// Hands a new connection to agent `i`; one it refuses is closed.
    fn open_stream(
        &mut self,
        i: usize,
        local: SocketAddr,
        remote: SocketAddr,
        update: ConnectionEvent,
    ) {
        let taken = self
            .agents
            .get_mut(i)
            .is_some_and(|agent| agent.handle_connection(self.now, update).is_ok());
        if taken {
            self.streams.push((i, local, remote, FrameReader::new()));
        } else {
            self.network.close(self.now, local, remote);
        }
    }

    /// Bytes of a connection: each whole frame goes to its agent; a framing
    /// error closes the connection.
    fn on_stream_bytes(&mut self, local: SocketAddr, remote: SocketAddr, bytes: &[u8]) {
        let now = self.now;
        let Some((i, _, _, reader)) = self
            .streams
            .iter_mut()
            .find(|(_, l, r, _)| *l == local && *r == remote)
        else {
            return;
        };
        let Some(agent) = self.agents.get_mut(*i) else {
            return;
        };
        let mut broken = reader.push(bytes).is_err();
        while !broken {
            match reader.next_frame() {
                Ok(Some(frame)) => {
                    let _ = agent.handle_receive(
                        now,
                        Receive {
                            source: remote,
                            destination: local,
                            transport: Transport::Tcp,
                            contents: frame,
                        },
                    );
                }
                Ok(None) => break,
                Err(_) => broken = true,
            }
        }
        if broken {
            self.network.close(now, local, remote);
            self.stream_closed(local, remote);
        }
    }

    /// The connection from `local` to `remote` closed: its agent is told.
    fn stream_closed(&mut self, local: SocketAddr, remote: SocketAddr) {
        let Some(index) = self
            .streams
            .iter()
            .position(|(_, l, r, _)| *l == local && *r == remote)
        else {
            return;
        };
        let (i, ..) = self.streams.remove(index);
        if let Some(agent) = self.agents.get_mut(i) {
            let _ = agent.handle_connection(self.now, ConnectionEvent::Closed { local, remote });
        }
    }

    /// Runs until both agents are connected (and, when `settle` is given,
    /// that much longer), both failed, or `limit` of virtual time passed.
    pub fn run(&mut self, limit: Duration) -> Outcome {
        self.run_until(limit, |s| {
            s.iter().all(|s| {
                matches!(
                    s,
                    ConnectionState::Connected
                        | ConnectionState::Completed
                        | ConnectionState::Failed
                )
            })
        })
    }

    /// Runs until `done` holds for the two states or `limit` passes.
    pub fn run_until(
        &mut self,
        limit: Duration,
        mut done: impl FnMut([ConnectionState; 2]) -> bool,
    ) -> Outcome {
        let deadline = self.start + limit;
        for _ in 0..1_000_000 {
            self.pump();
            if done([self.agents[0].state(), self.agents[1].state()]) {
                break;
            }
            let next = [
                self.agents[0].poll_timeout(),
                self.agents[1].poll_timeout(),
                self.network.next_arrival(),
            ]
            .into_iter()
            .flatten()
            .min();
            let Some(next) = next else { break };
            if next > deadline {
                break;
            }
            self.now = self.now.max(next);
            self.step();
        }
        self.outcome()
    }

    /// Advances to `now`: delivers due packets and fires due timers.
    fn step(&mut self) {
        let now = self.now;
        while let Some(event) = self.network.poll_stream(now) {
            self.on_stream(event);
            self.pump();
        }
        while let Some(delivery) = self.network.poll_delivery(now) {
            if let Some(&(i, _)) = self
                .sockets
                .iter()
                .find(|(_, s)| *s == delivery.destination)
            {
                if let Some(agent) = self.agents.get_mut(i) {
                    let _ = agent.handle_receive(
                        now,
                        Receive {
                            source: delivery.source,
                            destination: delivery.destination,
                            transport: Transport::Udp,
                            contents: &delivery.bytes,
                        },
                    );
                }
            }
            self.pump();
        }
        for agent in &mut self.agents {
            if agent.poll_timeout().is_some_and(|t| t <= now) {
                agent.handle_timeout(now);
            }
        }
    }

    /// Advances the virtual clock by `duration`, running everything due.
    pub fn advance(&mut self, duration: Duration) {
        let deadline = self.now + duration;
        for _ in 0..1_000_000 {
            self.pump();
            let next = [
                self.agents[0].poll_timeout(),
                self.agents[1].poll_timeout(),
                self.network.next_arrival(),
            ]
            .into_iter()
            .flatten()
            .min();
            match next {
                Some(next) if next <= deadline => {
                    self.now = self.now.max(next);
                    self.step();
                }
                _ => break,
            }
        }
        self.now = deadline;
        self.step();
        self.pump();
    }

    /// An ICE restart on both sides (JSEP: a new offer and answer with new
    /// credentials); candidates are signaled again by the agents' events.
    pub fn restart(&mut self) {
        for agent in &mut self.agents {
            let _ = agent.restart();
        }
        let credentials = [
            self.agents[0].local_credentials().clone(),
            self.agents[1].local_credentials().clone(),
        ];
        for (agent, other) in self.agents.iter_mut().zip(credentials.iter().rev()) {
            let _ = agent.set_remote_credentials(other.ufrag(), other.pwd());
        }
        self.pump();
    }

    /// Virtual time since the start.
    pub fn elapsed(&self) -> Duration {
        self.now.saturating_duration_since(self.start)
    }

    /// The current virtual time.
    pub const fn now(&self) -> Instant {
        self.now
    }

    /// The outcome so far.
    pub fn outcome(&self) -> Outcome {
        Outcome {
            states: [self.agents[0].state(), self.agents[1].state()],
            connected_after: self.connected_after,
            failed_after: self.failed_after,
            selected: self.selected,
            transports: self.transports,
            checks_sent: [self.agents[0].checks_sent(), self.agents[1].checks_sent()],
        }
    }
}

#[cfg(test)]
// The virtual clock starts at an arbitrary instant.
#[allow(clippy::disallowed_methods)]
mod tests {
    use sansrtc_stun::{Class, Message, MessageBuilder, Method};

    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn datagram(source: &str, destination: &str) -> Transmit {
        Transmit {
            source: addr(source),
            destination: addr(destination),
            transport: Transport::Udp,
            contents: vec![0x80].into(),
        }
    }

    /// A network with one host behind `nat` (10.0.0.2:5000, public
    /// 203.0.113.1) and two public hosts on two addresses.
    fn network(nat: Nat) -> (Network, Instant) {
        let mut network = Network::new(1, Link::default());
        let index = network.add_nat("203.0.113.1".parse().unwrap(), nat);
        network.add_host(addr("10.0.0.2:5000"), Some(index));
        network.add_host(addr("198.51.100.1:7000"), None);
        network.add_host(addr("198.51.100.1:7001"), None);
        network.add_host(addr("198.51.100.2:7000"), None);
        (network, Instant::now())
    }

    fn deliver(network: &mut Network, now: Instant) -> Vec<Delivery> {
        let later = now + Duration::from_secs(1);
        core::iter::from_fn(|| network.poll_delivery(later)).collect()
    }

    #[test]
    fn mapping_behaviours() {
        for (nat, distinct) in [(Nat::FULL_CONE, 1), (Nat::SYMMETRIC, 3)] {
            let (mut network, now) = network(nat);
            for destination in [
                "198.51.100.1:7000",
                "198.51.100.1:7001",
                "198.51.100.2:7000",
            ] {
                network.send(now, datagram("10.0.0.2:5000", destination));
            }
            let sources: Vec<SocketAddr> = deliver(&mut network, now)
                .into_iter()
                .map(|d| d.source)
                .collect();
            assert_eq!(sources.len(), 3);
            let mut unique = sources.clone();
            unique.sort();
            unique.dedup();
            assert_eq!(unique.len(), distinct, "{nat:?}: {sources:?}");
            assert!(
                sources
                    .iter()
                    .all(|s| s.ip() == "203.0.113.1".parse::<IpAddr>().unwrap())
            );
        }
    }

    #[test]
    fn filtering_behaviours() {
        // The inside host talks to 198.51.100.1:7000 only; who may answer?
        let cases = [
            (Nat::FULL_CONE, [true, true, true]),
            (Nat::RESTRICTED_CONE, [true, true, false]),
            (Nat::PORT_RESTRICTED_CONE, [true, false, false]),
        ];
        for (nat, allowed) in cases {
            let (mut network, now) = network(nat);
            network.send(now, datagram("10.0.0.2:5000", "198.51.100.1:7000"));
            let public = deliver(&mut network, now)[0].source;
            for (from, allowed) in [
                "198.51.100.1:7000",
                "198.51.100.1:7001",
                "198.51.100.2:7000",
            ]
            .into_iter()
            .zip(allowed)
            {
                network.send(now, datagram(from, &public.to_string()));
                let got = deliver(&mut network, now);
                assert_eq!(got.len() == 1, allowed, "{nat:?} from {from}");
                if let Some(delivery) = got.first() {
                    assert_eq!(delivery.destination, addr("10.0.0.2:5000"));
                }
            }
        }
    }

    #[test]
    fn hairpinning_and_firewall() {
        for (nat, hairpins) in [(Nat::FULL_CONE, true), (Nat::SYMMETRIC, false)] {
            let (mut network, now) = network(nat);
            network.add_host(addr("10.0.0.3:5000"), Some(0));
            network.send(now, datagram("10.0.0.3:5000", "198.51.100.1:7000"));
            let public = deliver(&mut network, now)[0].source;
            // 10.0.0.2 reaches 10.0.0.3 through the public address.
            network.send(now, datagram("10.0.0.2:5000", &public.to_string()));
            let got = deliver(&mut network, now);
            assert_eq!(
                got.len() == 1,
                hairpins && nat.filtering == Behaviour::EndpointIndependent
            );
        }
        let (mut network, now) = network(Nat::FULL_CONE);
        network.add_firewall(addr("198.51.100.1:7000"), vec![addr("198.51.100.2:7000")]);
        network.send(now, datagram("198.51.100.1:7000", "198.51.100.1:7001"));
        network.send(now, datagram("198.51.100.1:7001", "198.51.100.1:7000"));
        assert!(deliver(&mut network, now).is_empty());
        network.send(now, datagram("198.51.100.1:7000", "198.51.100.2:7000"));
        network.send(now, datagram("198.51.100.2:7000", "198.51.100.1:7000"));
        assert_eq!(deliver(&mut network, now).len(), 2);
        // A private address is not reachable from outside.
        network.send(now, datagram("198.51.100.2:7000", "10.0.0.2:5000"));
        assert!(deliver(&mut network, now).is_empty());
    }

    #[test]
    fn udp_blocked_between_two_hosts() {
        let (mut network, now) = network(Nat::FULL_CONE);
        network.block_udp_between(
            "203.0.113.1".parse().unwrap(),
            "198.51.100.1".parse().unwrap(),
        );
        // A mapping open to everyone (full cone), made towards another host.
        network.send(now, datagram("10.0.0.2:5000", "198.51.100.2:7000"));
        let public = deliver(&mut network, now)[0].source;
        // Between the NAT's public address and 198.51.100.1, either way:
        // dropped; from 198.51.100.2: delivered.
        network.send(now, datagram("10.0.0.2:5000", "198.51.100.1:7000"));
        network.send(now, datagram("198.51.100.1:7000", &public.to_string()));
        assert!(deliver(&mut network, now).is_empty());
        network.send(now, datagram("198.51.100.2:7000", &public.to_string()));
        assert_eq!(deliver(&mut network, now).len(), 1);
        // TCP passes the rule.
        network.add_listener(addr("198.51.100.1:7000"), None);
        network.connect(
            now,
            ConnectRequest {
                local: addr("10.0.0.2:0"),
                remote: addr("198.51.100.1:7000"),
            },
        );
        let later = now + Duration::from_secs(1);
        let events: Vec<StreamEvent> = core::iter::from_fn(|| network.poll_stream(later)).collect();
        assert!(matches!(
            events.as_slice(),
            [StreamEvent::Accepted { .. }, StreamEvent::Connected { .. }]
        ));
    }

    #[test]
    fn loss_latency_and_jitter() {
        let mut network = Network::new(
            3,
            Link {
                latency: Duration::from_millis(30),
                jitter: Duration::from_millis(20),
                loss_permille: 250,
            },
        );
        network.add_host(addr("198.51.100.1:7000"), None);
        network.add_host(addr("198.51.100.2:7000"), None);
        let now = Instant::now();
        for _ in 0..2000 {
            network.send(now, datagram("198.51.100.1:7000", "198.51.100.2:7000"));
        }
        assert!(
            network
                .poll_delivery(now + Duration::from_millis(29))
                .is_none()
        );
        let delivered = deliver(&mut network, now).len();
        assert!((1350..1650).contains(&delivered), "{delivered}");
        assert_eq!(network.sent, 2000);
        assert_eq!(network.dropped as usize, 2000 - delivered);
    }

    #[test]
    fn stun_server_answers_with_the_mapped_address() {
        let (mut network, now) = network(Nat::SYMMETRIC);
        network.add_stun_server(Scenario::STUN_SERVER);
        let mut buf = [0u8; 64];
        let mut b = MessageBuilder::new(
            &mut buf,
            Class::Request,
            Method::BINDING,
            sansrtc_stun::TransactionId::new([7; 12]),
        )
        .unwrap();
        b.add_fingerprint().unwrap();
        let len = b.finish();
        network.send(
            now,
            Transmit {
                source: addr("10.0.0.2:5000"),
                destination: Scenario::STUN_SERVER,
                transport: Transport::Udp,
                contents: buf[..len].to_vec().into(),
            },
        );
        let got = deliver(&mut network, now);
        assert_eq!(got.len(), 1);
        let response = Message::parse(&got[0].bytes).unwrap();
        assert_eq!(response.class(), Class::SuccessResponse);
        assert_eq!(
            response.xor_mapped_address().map(|a| a.ip()),
            Some("203.0.113.1".parse().unwrap())
        );
    }
}
