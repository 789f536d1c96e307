//! The ICE agent ([RFC 8445](https://www.rfc-editor.org/rfc/rfc8445)): the
//! state machine's struct, its drive loop (inputs, the parsing and
//! dispatch of received packets, outputs, timers and the connection
//! state) and its commands.
//!
//! Each part of the protocol lives in the file named after it, in more
//! `impl Agent` blocks: `gather.rs` (RFC 8445 §5.1.1), `checklist.rs`
//! (§6.1.2, §6.1.4), `check.rs` (§7.2, §7.3), `nomination.rs` (§8),
//! `consent.rs` (RFC 7675), `role.rs` (§6.1.1, §7.3.1.1), `restart.rs` (§9)
//! and `relay.rs` (RFC 8656).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8445>
//! - <https://www.rfc-editor.org/rfc/rfc8838> (trickle ICE)
//! - <https://www.rfc-editor.org/rfc/rfc7983> (demultiplexing)
//! - <https://www.w3.org/TR/webrtc/#rtciceconnectionstate-enum> (states)

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use bytes::Bytes;
use sansrtc_stun::drive::{Outbox, Overflow, PacketWriter, Queue};
use sansrtc_stun::{Class, Message, TransactionId};

use crate::candidate::{
    self, Address, Candidate, CandidateType, Local, Remote, TcpType, Transport,
};
use crate::check::{Credentials, MAX_CHECK_TRANSMISSIONS};
use crate::checklist::{CheckList, DEFAULT_MAX_PAIRS};
use crate::event::{
    ConnectionState, Data, Error, Event, GatheringState, Handled, Receive, RecvError, Transmit,
};
use crate::gather::{Gather, MAX_STUN_SERVERS, gather_config};
use crate::nomination::{NominationPolicy, Selected};
use crate::pair::PairInfo;
use crate::relay::{Relays, TurnServer};
use crate::rng::{Rng, Seed};
use crate::tcp::{self as tcp, Connections, TcpPolicy};
use crate::trace::decision;

/// Most local sockets an agent takes.
pub const MAX_LOCAL_SOCKETS: usize = 16;

/// Most signaled remote candidates an agent keeps (per generation).
pub const MAX_REMOTE_CANDIDATES: usize = 64;

/// Most `.local` names awaiting resolution by the caller.
pub const MAX_PENDING_NAMES: usize = 16;

/// Most packets queued for [`Agent::poll_transmit`]; beyond this, new
/// packets are dropped and counted in [`Agent::overflow`] (the caller is
/// expected to drain after every input).
pub const MAX_QUEUED_TRANSMITS: usize = 256;

/// Most events queued for [`Agent::poll_event`]; beyond this, new events
/// are dropped and counted in [`Agent::overflow`].
pub const MAX_QUEUED_EVENTS: usize = 256;

/// Most error answers (400, 401) the agent sends per second to requests
/// that do not authenticate. RFC 8489 §9.1.3 asks for those answers, but
/// they go to whatever source address a packet claims: past this rate the
/// agent drops such requests silently, so that it cannot be used to reflect
/// a flood at someone else.
pub const MAX_UNAUTHENTICATED_ANSWERS: u32 = 20;

/// Configuration of an [`Agent`]: start from [`Config::new`] (or
/// `Config::default()`, controlling) and set the fields you need.
///
/// ```
/// use sansrtc_ice::Config;
///
/// let mut config = Config::new(false); // the answerer is controlled
/// config.stun_servers.push("192.0.2.1:3478".parse().unwrap());
/// assert!(config.seed.is_none()); // randomness from the operating system
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// Start as the controlling agent (the offerer, in WebRTC).
    pub controlling: bool,
    /// Be an ICE-lite agent (RFC 8445 §2.5): host candidates only, answers
    /// checks, never sends them, always controlled.
    pub lite: bool,
    /// Seed of the generator behind transaction ids, the tie-breaker,
    /// generated credentials and consent intervals: `None` (the default)
    /// seeds it from the operating system, so nobody can predict them;
    /// `Some` makes a run reproducible (tests, simulations, fuzzing).
    pub seed: Option<Seed>,
    /// Local credentials; generated from the seed when `None`.
    pub local_credentials: Option<Credentials>,
    /// Ta: the pacing of new transactions (RFC 8445 §14.2), 50 ms.
    pub ta: Duration,
    /// First retransmission timeout of a check, 500 ms (RFC 8445 §14.3
    /// gives 500 ms as the floor); it doubles up to `max_rto`.
    pub initial_rto: Duration,
    /// Cap on the retransmission timeout, 1.6 s.
    pub max_rto: Duration,
    /// Transmissions of a check before the pair fails, 7 (RFC 8489 Rc),
    /// at most [`MAX_CHECK_TRANSMISSIONS`]: with the defaults a pair fails
    /// 9.5 s after its first check.
    pub max_transmissions: u32,
    /// Cap on the pairs of the checklist, 100 (RFC 8445 §6.1.2.5).
    pub max_pairs: usize,
    /// When to nominate.
    pub nomination: NominationPolicy,
    /// STUN servers for server-reflexive candidates.
    pub stun_servers: Vec<SocketAddr>,
    /// TURN servers for relayed candidates, at most
    /// [`MAX_TURN_SERVERS`](crate::MAX_TURN_SERVERS): the agent allocates on
    /// each from the first host socket of its address family, per
    /// component (see [`TurnServer`]). Ignored by lite agents.
    pub turn_servers: Vec<TurnServer>,
    /// Components: 1 (rtcp-mux) or 2 (RTP and RTCP).
    pub components: u16,
    /// The agent fails when no pair is selected this long after checking
    /// started or the last remote candidate arrived, even without
    /// `end-of-candidates`: 30 s.
    pub failure_timeout: Duration,
    /// Mean interval of consent checks, 5 s; each interval is drawn from
    /// 0.8–1.2 times it (RFC 7675 §5.1). The consent checks also serve as
    /// the keepalives of RFC 8445 §11 (needed at least every 15 s), so no
    /// separate Binding indications are sent.
    pub consent_interval: Duration,
    /// Consent expires without a response for this long, 30 s (RFC 7675).
    pub consent_timeout: Duration,
    /// The state becomes `Disconnected` without a consent response for this
    /// long, 8 s (more than the longest consent interval).
    pub disconnected_timeout: Duration,
    /// How the controlling agent weighs TCP pairs against UDP pairs
    /// (RFC 6544): [`TcpPolicy::UdpFirst`] with a 1 s fallback by default.
    pub tcp_policy: TcpPolicy,
    /// A TCP connection that has not completed a check this long after it
    /// was asked for or accepted is closed and its pairs fail, 10 s (a
    /// check fails after 9.5 s with the defaults). See [`crate::tcp`].
    pub tcp_timeout: Duration,
}

impl Config {
    /// The defaults, controlling (the offerer in WebRTC) or controlled.
    pub fn new(controlling: bool) -> Self {
        Self {
            controlling,
            ..Self::default()
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self {
            controlling: true,
            lite: false,
            seed: None,
            local_credentials: None,
            ta: Duration::from_millis(50),
            initial_rto: Duration::from_millis(500),
            max_rto: Duration::from_millis(1600),
            max_transmissions: 7,
            max_pairs: DEFAULT_MAX_PAIRS,
            nomination: NominationPolicy::default_wait(),
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            components: 1,
            failure_timeout: Duration::from_secs(30),
            consent_interval: Duration::from_secs(5),
            consent_timeout: Duration::from_secs(30),
            disconnected_timeout: Duration::from_secs(8),
            tcp_policy: TcpPolicy::default(),
            tcp_timeout: Duration::from_secs(10),
        }
    }
}

/// A local socket the caller owns: a UDP socket, or for ICE-TCP
/// (RFC 6544, see [`crate::tcp`]) a TCP listener (passive) or an address
/// to open TCP connections from (active).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct LocalSocket {
    /// Its bound address (the base of its candidates); for an active TCP
    /// socket, the IP address connections leave from, port 0.
    pub address: SocketAddr,
    /// Its transport.
    pub transport: Transport,
    /// For TCP: passive (a listener) or active (connections are opened
    /// from it). Simultaneous-open is not supported.
    pub tcp_type: Option<TcpType>,
    /// The component it serves.
    pub component: u16,
    /// Rank of its interface, 0 the most preferred (see
    /// [`candidate::local_preference`]).
    pub interface_rank: u8,
}

impl LocalSocket {
    /// A UDP socket bound to `address` for component 1 (RTP, or everything
    /// with rtcp-mux) on the most preferred interface.
    pub const fn udp(address: SocketAddr) -> Self {
        Self {
            address,
            transport: Transport::Udp,
            tcp_type: None,
            component: 1,
            interface_rank: 0,
        }
    }

    /// A TCP listener bound to `address` (RFC 6544 passive candidate,
    /// announced `tcptype passive`): the caller accepts connections on it
    /// and reports them with
    /// [`Agent::handle_connection`](crate::Agent::handle_connection).
    pub const fn tcp_passive(address: SocketAddr) -> Self {
        Self {
            transport: Transport::Tcp,
            tcp_type: Some(TcpType::Passive),
            ..Self::udp(address)
        }
    }

    /// The IP address the caller opens TCP connections from when the agent
    /// asks ([`Event::OpenConnection`]; RFC 6544 active candidate,
    /// announced `tcptype active` with port 9). Not for lite agents, which
    /// never open connections.
    pub const fn tcp_active(ip: IpAddr) -> Self {
        Self {
            transport: Transport::Tcp,
            tcp_type: Some(TcpType::Active),
            ..Self::udp(SocketAddr::new(ip, 0))
        }
    }

    /// The same socket serving `component` (2 for RTCP without rtcp-mux).
    pub const fn with_component(mut self, component: u16) -> Self {
        self.component = component;
        self
    }

    /// The same socket on the interface of rank `rank` (0 the most
    /// preferred, see [`candidate::local_preference`]).
    pub const fn with_interface_rank(mut self, rank: u8) -> Self {
        self.interface_rank = rank;
        self
    }
}

/// An ICE agent: full (RFC 8445) or lite, controlling or controlled, with
/// trickle (RFC 8838), consent freshness (RFC 7675) and ICE restart.
///
/// Drive it like every sansrtc state machine: feed inputs
/// ([`handle_receive`](Self::handle_receive),
/// [`handle_timeout`](Self::handle_timeout), commands), then drain
/// [`poll_transmit`](Self::poll_transmit), read
/// [`poll_timeout`](Self::poll_timeout) and drain
/// [`poll_event`](Self::poll_event). The crate docs show the loop.
///
/// Connectivity checks are retransmitted by the agent itself, paced by Ta
/// with a doubling RTO (RFC 8445 §14.3): the checklist decides which pair
/// gets the next Ta slot, so it owns its transactions.
#[derive(Debug)]
pub struct Agent {
    pub(crate) config: Config,
    pub(crate) rng: Rng,
    pub(crate) now: Instant,
    pub(crate) controlling: bool,
    pub(crate) tie_breaker: u64,
    pub(crate) generation: u32,
    pub(crate) local_credentials: Credentials,
    pub(crate) old_local_credentials: Option<Credentials>,
    pub(crate) remote_credentials: Option<Credentials>,
    pub(crate) sockets: Vec<LocalSocket>,
    pub(crate) locals: Vec<Local>,
    pub(crate) remotes: Vec<Remote>,
    pub(crate) pending_names: Vec<Candidate>,
    pub(crate) remote_prflx: usize,
    pub(crate) local_prflx: usize,
    pub(crate) prflx_foundation: u32,
    pub(crate) checklist: CheckList,
    pub(crate) gathers: Vec<Gather>,
    pub(crate) gathering: GatheringState,
    pub(crate) end_of_remote: bool,
    pub(crate) next_pacing: Instant,
    pub(crate) first_valid_at: Vec<(u16, Instant)>,
    pub(crate) selected: Vec<Selected>,
    /// A lite agent's nominations (local base, remote address) that came
    /// before the remote credentials: installed when those arrive. One per
    /// local socket.
    pub(crate) lite_nominated: Vec<(SocketAddr, SocketAddr, Transport)>,
    pub(crate) state: ConnectionState,
    pub(crate) checking_since: Option<Instant>,
    pub(crate) last_local_candidate: Instant,
    pub(crate) stamp_progress: bool,
    pub(crate) stamp_local: bool,
    pub(crate) outbox: Outbox,
    pub(crate) writer: PacketWriter,
    pub(crate) events: Queue<Event>,
    /// Error answers to unauthenticated requests in the current second:
    /// when it started and how many (see [`MAX_UNAUTHENTICATED_ANSWERS`]).
    pub(crate) unauthenticated_answers: (Instant, u32),
    pub(crate) checks_sent: u64,
    pub(crate) relays: Relays,
    pub(crate) connections: Connections,
    /// When the first TCP pair of each component became valid (for
    /// [`TcpPolicy::UdpFirst`]).
    pub(crate) first_tcp_valid_at: Vec<(u16, Instant)>,
}

impl Agent {
    /// A new agent. Nothing is sent until sockets and remote candidates are
    /// added.
    pub fn new(config: Config, now: Instant) -> Self {
        let mut rng = Rng::new(config.seed);
        let tie_breaker = rng.next_u64();
        let local_credentials = config
            .local_credentials
            .clone()
            .unwrap_or_else(|| Credentials::random(&mut rng));
        let controlling = config.controlling && !config.lite;
        let mut config = config;
        config.components = config.components.clamp(1, 2);
        config.stun_servers.truncate(MAX_STUN_SERVERS);
        // Caller-supplied times are clamped so that no deadline can
        // overflow `Instant`, and retransmissions stay bounded.
        let day = Duration::from_secs(86_400);
        config.max_transmissions = config.max_transmissions.clamp(1, MAX_CHECK_TRANSMISSIONS);
        config.ta = config.ta.clamp(Duration::from_millis(1), day);
        config.initial_rto = config.initial_rto.clamp(Duration::from_millis(1), day);
        config.max_rto = config.max_rto.clamp(config.initial_rto, day);
        for duration in [
            &mut config.failure_timeout,
            &mut config.consent_interval,
            &mut config.consent_timeout,
            &mut config.disconnected_timeout,
            &mut config.tcp_timeout,
        ] {
            *duration = (*duration).min(day);
        }
        if let NominationPolicy::BestOrAfter(wait) = &mut config.nomination {
            *wait = (*wait).min(day);
        }
        if let TcpPolicy::UdpFirst(fallback) = &mut config.tcp_policy {
            *fallback = (*fallback).min(day);
        }
        let checklist = CheckList::new(config.max_pairs);
        let relays = if config.lite {
            Relays::new(Vec::new(), gather_config(&config))
        } else {
            Relays::new(
                core::mem::take(&mut config.turn_servers),
                gather_config(&config),
            )
        };
        Self {
            config,
            rng,
            now,
            controlling,
            tie_breaker,
            generation: 0,
            local_credentials,
            old_local_credentials: None,
            remote_credentials: None,
            sockets: Vec::new(),
            locals: Vec::new(),
            remotes: Vec::new(),
            pending_names: Vec::new(),
            remote_prflx: 0,
            local_prflx: 0,
            prflx_foundation: 0,
            checklist,
            gathers: Vec::new(),
            gathering: GatheringState::New,
            end_of_remote: false,
            next_pacing: now,
            first_valid_at: Vec::new(),
            selected: Vec::new(),
            lite_nominated: Vec::new(),
            state: ConnectionState::New,
            checking_since: None,
            last_local_candidate: now,
            stamp_progress: false,
            stamp_local: false,
            outbox: Outbox::new(MAX_QUEUED_TRANSMITS),
            writer: PacketWriter::new(),
            events: Queue::new(MAX_QUEUED_EVENTS),
            unauthenticated_answers: (now, 0),
            checks_sent: 0,
            relays,
            connections: Connections::default(),
            first_tcp_valid_at: Vec::new(),
        }
    }

    // ----------------------------------------------------------------- inputs

    /// Handles a packet received on a local socket: STUN for the agent is
    /// consumed; anything else is [`Handled::Data`], application data
    /// (DTLS, SRTP) for the caller, borrowed from `packet`.
    ///
    /// Packets from a configured TURN server (`source` the server,
    /// `destination` the host socket its allocation uses) go to the agent's
    /// TURN client, even after [`close`](Self::close) so that the
    /// allocation can be released; what a peer sent through the relay is
    /// then handled as if received on the relayed address, so its
    /// application data is [`Handled::Data`] too, with the relayed address
    /// as [`Data::local`].
    pub fn handle_receive<'a>(
        &mut self,
        now: Instant,
        packet: Receive<'a>,
    ) -> Result<Handled<'a>, RecvError> {
        if let Some(handled) = self.receive_from_turn_server(now, packet) {
            return handled;
        }
        self.advance(now);
        self.receive(packet)
    }

    /// Handles a packet on a local socket (host or relayed): application
    /// data goes back to the caller; STUN is parsed, then dispatched by
    /// class to the handlers of requests, indications and responses.
    pub(crate) fn receive<'a>(&mut self, packet: Receive<'a>) -> Result<Handled<'a>, RecvError> {
        // A UDP packet arrives on a socket; a TCP frame on a connection.
        let component = if packet.transport == Transport::Tcp {
            self.connection(packet.destination, packet.source)
                .map(|c| c.component)
        } else {
            self.sockets
                .iter()
                .find(|s| s.address == packet.destination && s.transport == packet.transport)
                .map(|s| s.component)
        };
        let Some(component) = component else {
            return Ok(Handled::NotMine);
        };
        // RFC 7983: STUN starts with 0 to 3; the rest is the caller's.
        if packet.contents.first().is_some_and(|b| *b > 3) {
            return Ok(Handled::Data(Data {
                component,
                local: packet.destination,
                remote: packet.source,
                contents: packet.contents,
            }));
        }
        if self.state == ConnectionState::Closed {
            return Err(RecvError::Closed);
        }
        let message = Message::parse(packet.contents).map_err(RecvError::Malformed)?;
        if message.has_fingerprint() && message.verify_fingerprint().is_err() {
            return Err(RecvError::Fingerprint);
        }
        let handled = match message.class() {
            Class::Request => self.on_request(&message, &packet),
            Class::Indication => Ok(Handled::Indication),
            Class::SuccessResponse | Class::ErrorResponse => self.on_response(&message, &packet),
        };
        self.update_state();
        handled
    }

    // ------------------------------------------------------------ responses

    /// A response, routed by its transaction id to a connectivity check, a
    /// consent check or a gathering request.
    fn on_response(
        &mut self,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled<'static>, RecvError> {
        let transaction_id = message.transaction_id();
        if let Some(id) = self
            .checklist
            .pairs()
            .iter()
            .find(|p| {
                p.check
                    .as_ref()
                    .is_some_and(|c| c.transaction_id == transaction_id)
            })
            .map(|p| p.id)
        {
            return self.on_check_response(id, message, packet);
        }
        if let Some(index) = self.selected.iter().position(|s| {
            s.consent
                .as_ref()
                .is_some_and(|c| c.transaction_id == transaction_id)
        }) {
            return self.on_consent_response(index, message, packet);
        }
        if let Some(index) = self
            .gathers
            .iter()
            .position(|g| !g.done && g.transaction.is_some() && g.transaction_id == transaction_id)
        {
            return self.on_gather_response(index, message, packet);
        }
        Ok(Handled::NotMine)
    }

    /// Handles the passage of time: retransmissions, the next paced check,
    /// nomination, consent. Calling it early or twice does no harm.
    pub fn handle_timeout(&mut self, now: Instant) {
        if !self.relays.is_empty() {
            // TURN allocations are refreshed, and released after close,
            // whatever the state of ICE.
            self.advance(now);
            self.relays.handle_timeout(now);
            self.drain_relays();
        }
        if matches!(
            self.state,
            ConnectionState::Closed | ConnectionState::Failed
        ) {
            return;
        }
        self.advance(now);
        self.expire_connections();
        self.retransmit_gathers();
        self.retransmit_checks();
        self.pace();
        self.nominate();
        self.consent();
        self.update_state();
    }

    // --------------------------------------------------------------- commands

    /// Adds a local socket: the agent makes its host candidate (announced
    /// by [`Event::LocalCandidate`]) and asks the STUN servers of its address
    /// family for a server-reflexive one.
    pub fn add_local_socket(&mut self, socket: LocalSocket) -> Result<(), Error> {
        self.add_socket(socket, None)
    }

    /// Like [`add_local_socket`](Self::add_local_socket), but the host
    /// candidate is announced under an mDNS name (such as
    /// `1f2e3d4c-....local`) that the caller registers, so that the host
    /// address stays private; the server-reflexive candidate's related
    /// address is then `0.0.0.0:0`, as browsers write it.
    ///
    /// <https://datatracker.ietf.org/doc/html/draft-ietf-mmusic-mdns-ice-candidates>
    pub fn add_local_socket_with_name(
        &mut self,
        socket: LocalSocket,
        name: &str,
    ) -> Result<(), Error> {
        let address = Address::Fqdn(name.into());
        let valid = name.len() <= candidate::MAX_FQDN_LEN
            && address.is_mdns()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
        if !valid {
            return Err(Error::Name("expected a name ending in .local"));
        }
        self.add_socket(socket, Some(address))
    }

    fn add_socket(&mut self, socket: LocalSocket, name: Option<Address>) -> Result<(), Error> {
        self.check_open()?;
        match (socket.transport, socket.tcp_type) {
            (Transport::Udp, None) | (Transport::Tcp, Some(TcpType::Passive)) => {}
            // A lite agent never opens connections (RFC 6544 §4.1).
            (Transport::Tcp, Some(TcpType::Active)) if !self.config.lite => {}
            _ => return Err(Error::UnsupportedTransport),
        }
        if socket.component == 0 || socket.component > self.config.components {
            return Err(Error::Component(socket.component));
        }
        if self
            .sockets
            .iter()
            .any(|s| s.address == socket.address && s.transport == socket.transport)
        {
            return Err(Error::DuplicateSocket);
        }
        if self.sockets.len() >= MAX_LOCAL_SOCKETS {
            return Err(Error::TooMany("local sockets"));
        }
        self.sockets.push(socket);
        let ip = socket.address.ip();
        let local_preference = match socket.tcp_type {
            Some(tcp_type) => tcp::local_preference(
                CandidateType::Host,
                tcp_type,
                tcp::other_preference(socket.interface_rank, ip),
            ),
            None => candidate::local_preference(socket.interface_rank, ip),
        };
        let priority = candidate::priority(CandidateType::Host, local_preference, socket.component);
        let foundation = candidate::foundation(CandidateType::Host, ip, None, socket.transport);
        // An active candidate announces the discard port (RFC 6544 §4.5):
        // its connections leave from ports chosen when they open.
        let announced = match socket.tcp_type {
            Some(TcpType::Active) => SocketAddr::new(ip, 9),
            _ => socket.address,
        };
        let host = Candidate::new(
            &foundation,
            socket.component,
            socket.transport,
            priority,
            announced,
            CandidateType::Host,
        )
        .map_err(|_| Error::Component(socket.component))?;
        let host = match socket.tcp_type {
            Some(tcp_type) => host
                .with_extension("tcptype", tcp_type.as_str())
                .map_err(|_| Error::UnsupportedTransport)?,
            None => host,
        };
        let host = match name {
            Some(name) => host.with_address(name),
            None => host,
        };
        self.locals.push(Local {
            candidate: host.clone(),
            base: socket.address,
            interface_rank: socket.interface_rank,
        });
        self.stamp_local = true;
        self.event(Event::LocalCandidate(host));
        self.pair_local(self.locals.len() - 1);
        if !self.config.lite && socket.transport == Transport::Udp {
            self.start_gathering(socket);
        }
        self.gathering = GatheringState::Gathering;
        self.check_gathering_complete();
        Ok(())
    }

    /// Adds a relayed candidate: an address `relayed` that the caller's TURN
    /// client allocated on `server` (RFC 8656), whose own socket saw itself
    /// mapped as `mapped`. The agent treats `relayed` like a local socket:
    /// transmits whose `source` is `relayed` go through the TURN client
    /// (Send indication or ChannelData), and data the TURN client receives
    /// for a peer comes back through [`handle_receive`](Self::handle_receive)
    /// with `destination: relayed`. Announced by [`Event::LocalCandidate`].
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.1.2>
    pub fn add_relayed_candidate(
        &mut self,
        relayed: SocketAddr,
        mapped: SocketAddr,
        server: SocketAddr,
        component: u16,
    ) -> Result<(), Error> {
        self.check_open()?;
        if component == 0 || component > self.config.components {
            return Err(Error::Component(component));
        }
        if self
            .sockets
            .iter()
            .any(|s| s.address == relayed && s.transport == Transport::Udp)
        {
            return Err(Error::DuplicateSocket);
        }
        if self.sockets.len() >= MAX_LOCAL_SOCKETS {
            return Err(Error::TooMany("local sockets"));
        }
        let socket = LocalSocket::udp(relayed).with_component(component);
        self.sockets.push(socket);
        let priority = candidate::priority(
            CandidateType::Relayed,
            candidate::local_preference(0, relayed.ip()),
            component,
        );
        let foundation = candidate::foundation(
            CandidateType::Relayed,
            mapped.ip(),
            Some(server.ip()),
            Transport::Udp,
        );
        let relay = Candidate::new(
            &foundation,
            component,
            Transport::Udp,
            priority,
            relayed,
            CandidateType::Relayed,
        )
        .map_err(|_| Error::Component(component))?
        .with_related(mapped);
        self.locals.push(Local {
            candidate: relay.clone(),
            base: relayed,
            interface_rank: 0,
        });
        self.stamp_local = true;
        self.event(Event::LocalCandidate(relay));
        self.pair_local(self.locals.len() - 1);
        Ok(())
    }

    /// Adds a remote candidate (from the SDP or trickled). `.local` names
    /// are handed to the caller to resolve ([`Event::ResolveName`]). TCP
    /// candidates must carry their `tcptype` (RFC 6544 §4.5); those of type
    /// `so` are kept but never paired.
    pub fn add_remote_candidate(&mut self, candidate: Candidate) -> Result<(), Error> {
        self.check_open()?;
        if candidate.transport() == Transport::Tcp && candidate.tcp_type().is_none() {
            return Err(Error::UnsupportedTransport);
        }
        if candidate.component() == 0 || candidate.component() > self.config.components {
            return Err(Error::Component(candidate.component()));
        }
        if let (Some(ufrag), Some(remote)) = (candidate.ufrag(), &self.remote_credentials) {
            if ufrag != &*remote.ufrag {
                return Err(Error::StaleCandidate);
            }
        }
        let Some(address) = candidate.socket_addr() else {
            if let Address::Fqdn(name) = candidate.address() {
                if self.pending_names.len() >= MAX_PENDING_NAMES {
                    return Err(Error::TooMany("names awaiting resolution"));
                }
                let name = name.clone();
                let first = !self
                    .pending_names
                    .iter()
                    .any(|c| c.address() == candidate.address());
                self.pending_names.push(candidate);
                if first {
                    self.event(Event::ResolveName(name));
                }
            }
            return Ok(());
        };
        self.add_remote(candidate, address)
    }

    /// The caller's answer to [`Event::ResolveName`]: the address of `name`,
    /// or `None` when it could not be resolved (the candidates are dropped).
    pub fn resolve_name(&mut self, name: &str, ip: Option<IpAddr>) -> Result<(), Error> {
        self.check_open()?;
        let target = Address::Fqdn(name.into());
        if !self.pending_names.iter().any(|c| *c.address() == target) {
            return Err(Error::UnknownName);
        }
        let (matching, rest): (Vec<Candidate>, Vec<Candidate>) = self
            .pending_names
            .drain(..)
            .partition(|c| *c.address() == target);
        self.pending_names = rest;
        if let Some(ip) = ip {
            for candidate in matching {
                let resolved = candidate.with_address(Address::Ip(ip));
                let address = SocketAddr::new(ip, resolved.port());
                self.add_remote(resolved, address)?;
            }
        }
        self.update_state();
        Ok(())
    }

    /// The remote side signalled `end-of-candidates` (RFC 8838 §4.4).
    pub fn end_of_remote_candidates(&mut self) {
        self.end_of_remote = true;
        self.update_state();
    }

    /// Sets the remote `ice-ufrag` and `ice-pwd`. New values after the first
    /// ones mean the peer restarted ICE: remote candidates and pairs are
    /// dropped and checks start over, while the selected pair stays in use
    /// until a new one is selected.
    pub fn set_remote_credentials(&mut self, ufrag: &str, pwd: &str) -> Result<(), Error> {
        self.check_open()?;
        let credentials = Credentials::new(ufrag, pwd)?;
        match &self.remote_credentials {
            Some(current) if *current == credentials => return Ok(()),
            Some(_) => self.new_generation(),
            None => {}
        }
        self.remote_credentials = Some(credentials);
        self.next_pacing = self.next_pacing.min(self.now);
        // A lite agent nominated before the answer came selects now.
        for (local_base, remote_address, transport) in core::mem::take(&mut self.lite_nominated) {
            if let Some(remote_index) = self
                .remotes
                .iter()
                .position(|r| r.address == remote_address && r.candidate.transport() == transport)
            {
                self.select_lite(local_base, remote_index, transport);
            }
        }
        self.update_state();
        Ok(())
    }

    /// The remote agent is ICE-lite (`a=ice-lite`): a full agent becomes
    /// controlling (RFC 8445 §6.1.1).
    pub fn set_remote_lite(&mut self) {
        if !self.config.lite && !self.controlling {
            self.set_role(true);
        }
    }

    /// Closes the agent: nothing more is sent or accepted, except that TURN
    /// allocations are released (Refresh with LIFETIME 0): keep feeding
    /// packets from the TURN servers and timeouts until
    /// [`poll_timeout`](Self::poll_timeout) returns `None`.
    pub fn close(&mut self) {
        if self.state != ConnectionState::Closed {
            self.set_state(ConnectionState::Closed);
        }
        self.outbox.clear();
        self.close_connections(true);
        let now = self.now;
        self.relays.close(now);
        self.drain_relays();
    }

    /// Sends application data on the selected pair of `component`: from
    /// its local base to the remote address, or, when the local candidate
    /// is one of the agent's relayed candidates, through the TURN server
    /// (a Send indication, or ChannelData once the channel for the pair is
    /// bound); on a TCP pair, RFC 4571-framed for its connection (at most
    /// 65535 bytes). Read the packet from [`poll_transmit`](Self::poll_transmit).
    /// Data received, directly or through a relayed candidate, comes back
    /// from [`handle_receive`](Self::handle_receive) as [`Handled::Data`].
    /// The data is copied; a caller that sends on its own sockets can send
    /// straight to the selected pair of [`Event::SelectedPair`] instead,
    /// when its local candidate is not relayed.
    pub fn send_data(&mut self, now: Instant, component: u16, data: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.advance(now);
        // A selected TCP pair whose connection closed is no pair any more.
        let (source, destination, transport) = self
            .selected
            .iter()
            .find(|s| s.component == component && !s.lost)
            .map(|s| (s.local_base, s.remote_address, s.transport))
            .ok_or(Error::NoSelectedPair(component))?;
        if transport == Transport::Tcp {
            if data.len() > sansrtc_stun::framing::rfc4571::MAX_PACKET_LEN {
                return Err(Error::TooLarge);
            }
            if !self.push_framed(source, destination, data) {
                return Err(Error::TooMany("queued transmits"));
            }
        } else if self.relays.is_relayed(source) {
            self.relays
                .send(now, source, destination, data)
                .map_err(Error::Relay)?;
            self.flush_relay_transmits();
        } else if !self
            .outbox
            .push_copy(source, destination, Transport::Udp, data)
        {
            return Err(Error::TooMany("queued transmits"));
        }
        Ok(())
    }

    // ---------------------------------------------------------------- outputs

    /// The next packet to send: from the local socket `source` to
    /// `destination`.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let ice = self.ice_timeout();
        match (ice, self.relays.poll_timeout()) {
            (Some(ice), Some(relays)) => Some(ice.min(relays)),
            (ice, relays) => ice.or(relays),
        }
    }

    fn ice_timeout(&self) -> Option<Instant> {
        if matches!(
            self.state,
            ConnectionState::Closed | ConnectionState::Failed
        ) {
            return None;
        }
        if self.stamp_progress || self.stamp_local {
            return Some(self.now);
        }
        let mut earliest: Option<Instant> = None;
        let mut consider = |t: Instant| {
            earliest = Some(earliest.map_or(t, |e| e.min(t)));
        };
        if self.has_paced_work() {
            consider(self.next_pacing);
        }
        for gather in &self.gathers {
            if let Some(at) = gather.transaction.as_ref().and_then(|t| t.poll_timeout()) {
                consider(at);
            }
        }
        for pair in self.checklist.pairs() {
            if let Some(check) = &pair.check {
                consider(check.next_at);
            }
        }
        if let Some(at) = self.nomination_deadline() {
            consider(at);
        }
        for selected in &self.selected {
            consider(selected.next_consent);
            if let Some(consent) = &selected.consent {
                consider(consent.next_at);
            }
            let disconnect = selected.last_consent + self.config.disconnected_timeout;
            if disconnect > self.now {
                consider(disconnect);
            }
            consider(selected.last_consent + self.config.consent_timeout);
        }
        if let Some(at) = self.failure_deadline() {
            consider(at);
        }
        if let Some(at) = self.connections.next_deadline(self.config.tcp_timeout) {
            consider(at);
        }
        earliest
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    // ---------------------------------------------------------------- getters

    /// The connection state.
    pub const fn state(&self) -> ConnectionState {
        self.state
    }

    /// The gathering state.
    pub const fn gathering_state(&self) -> GatheringState {
        self.gathering
    }

    /// The local credentials to signal.
    pub const fn local_credentials(&self) -> &Credentials {
        &self.local_credentials
    }

    /// Whether the agent is controlling now.
    pub const fn is_controlling(&self) -> bool {
        self.controlling
    }

    /// The local candidates (host, server-reflexive and learned
    /// peer-reflexive).
    pub fn local_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.locals.iter().map(|l| &l.candidate)
    }

    /// The remote candidates in use (signaled and peer-reflexive).
    pub fn remote_candidates(&self) -> impl Iterator<Item = &Candidate> {
        self.remotes.iter().map(|r| &r.candidate)
    }

    /// The selected pair of `component`: local and remote candidate.
    pub fn selected_pair(&self, component: u16) -> Option<(&Candidate, &Candidate)> {
        self.selected
            .iter()
            .find(|s| s.component == component)
            .map(|s| (&s.local, &s.remote))
    }

    /// The pairs of the checklist, highest priority first, like the
    /// `candidate-pair` entries of WebRTC statistics.
    pub fn pairs(&self) -> impl Iterator<Item = PairInfo<'_>> {
        self.checklist.pairs().iter().filter_map(|pair| {
            Some(PairInfo {
                local: &self.locals.get(pair.local)?.candidate,
                remote: &self.remotes.get(pair.remote)?.candidate,
                state: pair.state,
                priority: pair.priority,
                valid: pair.valid,
                nominated: pair.nominated,
            })
        })
    }

    /// How many pairs the checklist holds.
    pub fn pair_count(&self) -> usize {
        self.checklist.len()
    }

    /// How many TCP connections the agent keeps (open or being opened), at
    /// most [`MAX_TCP_CONNECTIONS`](crate::tcp::MAX_TCP_CONNECTIONS).
    pub fn connection_count(&self) -> usize {
        self.connections.len()
    }

    /// Packets and events dropped because the caller did not drain
    /// [`poll_transmit`](Self::poll_transmit) and
    /// [`poll_event`](Self::poll_event) (at most [`MAX_QUEUED_TRANSMITS`]
    /// and [`MAX_QUEUED_EVENTS`] wait).
    pub const fn overflow(&self) -> Overflow {
        Overflow {
            transmits: self.outbox.dropped(),
            events: self.events.dropped(),
        }
    }

    /// Packets waiting in [`poll_transmit`](Self::poll_transmit), at most
    /// [`MAX_QUEUED_TRANSMITS`]: a caller with a burst to send (a transport
    /// that can hold its packets back, like SCTP) sends while there is room
    /// instead of having the excess dropped.
    pub fn queued_transmits(&self) -> usize {
        self.outbox.len()
    }

    /// Connectivity checks sent so far (first transmissions, not counting
    /// retransmissions or consent checks).
    pub const fn checks_sent(&self) -> u64 {
        self.checks_sent
    }

    // -------------------------------------------------------------- internals

    pub(crate) fn check_open(&self) -> Result<(), Error> {
        if self.state == ConnectionState::Closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// Moves the clock forward. Commands carry no time, so what they
    /// started (a new remote or local candidate) is stamped with the time
    /// of the next input.
    pub(crate) fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
        if core::mem::take(&mut self.stamp_progress) {
            self.checking_since = Some(self.now);
        }
        if core::mem::take(&mut self.stamp_local) {
            self.last_local_candidate = self.now;
        }
    }

    pub(crate) fn transaction_id(&mut self) -> TransactionId {
        let mut bytes = [0u8; 12];
        self.rng.fill(&mut bytes);
        TransactionId::new(bytes)
    }

    /// Queues a packet from `source`: over TCP, framed for the connection
    /// from `source` to `destination`; from a relayed address of the
    /// agent's TURN clients, wrapped for the TURN server.
    pub(crate) fn transmit(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        contents: Bytes,
    ) {
        if transport == Transport::Tcp {
            self.push_framed(source, destination, &contents);
            return;
        }
        if self.relays.is_relayed(source) {
            let now = self.now;
            // A packet the relay cannot take is lost, like a datagram.
            let _ = self.relays.send(now, source, destination, &contents);
            self.flush_relay_transmits();
            return;
        }
        self.push_transmit(source, destination, Transport::Udp, contents);
    }

    pub(crate) fn push_transmit(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        contents: Bytes,
    ) {
        if !contents.is_empty() {
            self.outbox.push(Transmit {
                source,
                destination,
                transport,
                contents,
            });
        }
    }

    pub(crate) fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            decision!("state {:?} -> {:?}", self.state, state);
            self.state = state;
            self.event(Event::StateChanged(state));
        }
    }

    fn add_remote(&mut self, candidate: Candidate, address: SocketAddr) -> Result<(), Error> {
        if let Some(existing) = self.remotes.iter_mut().find(|r| {
            r.address == address
                && r.candidate.component() == candidate.component()
                && r.candidate.transport() == candidate.transport()
        }) {
            // A signaled candidate replaces the peer-reflexive one learned
            // for the same address (RFC 8445 §7.3.1.3).
            if existing.candidate.kind() == CandidateType::PeerReflexive
                && candidate.kind() != CandidateType::PeerReflexive
            {
                existing.candidate = candidate;
                self.remote_prflx = self.remote_prflx.saturating_sub(1);
            }
            return Ok(());
        }
        let signaled = self.remotes.len() - self.remote_prflx;
        if signaled >= MAX_REMOTE_CANDIDATES {
            return Err(Error::TooMany("remote candidates"));
        }
        let udp = candidate.transport() == Transport::Udp;
        self.remotes.push(Remote { candidate, address });
        if udp {
            self.permit_remote(address.ip());
        }
        self.stamp_progress = true;
        self.pair_remote(self.remotes.len() - 1);
        self.next_pacing = self
            .next_pacing
            .max(self.now)
            .min(self.now + self.config.ta);
        self.update_state();
        Ok(())
    }

    fn failure_deadline(&self) -> Option<Instant> {
        if self.state != ConnectionState::Checking {
            return None;
        }
        let timeout = self
            .checking_since
            .filter(|_| self.gathering != GatheringState::Gathering)
            .map(|at| at.max(self.last_local_candidate) + self.config.failure_timeout);
        let grace = self.last_local_candidate + self.check_span();
        match timeout {
            Some(timeout) if grace > self.now => Some(timeout.min(grace)),
            None if grace > self.now => Some(grace),
            other => other,
        }
    }

    /// How long a check lasts from its first transmission to its failure.
    pub(crate) fn check_span(&self) -> Duration {
        let mut rto = self.config.initial_rto;
        let mut span = Duration::ZERO;
        for _ in 0..self.config.max_transmissions {
            span += rto;
            rto = (rto * 2).min(self.config.max_rto);
        }
        span
    }

    pub(crate) fn update_state(&mut self) {
        if matches!(
            self.state,
            ConnectionState::Closed | ConnectionState::Failed
        ) {
            return;
        }
        let now = self.now;
        let all_selected =
            (1..=self.config.components).all(|c| self.selected.iter().any(|s| s.component == c));
        let state = if all_selected {
            let oldest = self.selected.iter().map(|s| s.last_consent).min();
            let since = oldest.map_or(Duration::ZERO, |at| now.saturating_duration_since(at));
            // A selected TCP pair whose connection closed has no path left.
            let lost = self.selected.iter().any(|s| s.lost);
            if since >= self.config.consent_timeout || lost {
                ConnectionState::Failed
            } else if since >= self.config.disconnected_timeout {
                ConnectionState::Disconnected
            } else if self.end_of_remote
                && self.gathering != GatheringState::Gathering
                && !self.checklist.has_pending()
                && self
                    .selected
                    .iter()
                    .all(|s| s.generation == self.generation)
            {
                ConnectionState::Completed
            } else {
                ConnectionState::Connected
            }
        } else if self.checking_since.is_some()
            || self.state != ConnectionState::New
            || (self.end_of_remote && self.remote_credentials.is_some())
        {
            // A pair the peer nominated is not given up while the failure
            // timeout runs: its checks re-trigger ours.
            let nothing_left = !self.config.lite
                && !self.checklist.has_pending()
                && !self
                    .checklist
                    .pairs()
                    .iter()
                    .any(|p| p.valid || p.nominate_on_success)
                && self.pending_names.is_empty()
                && self.gathering != GatheringState::Gathering
                && self.remote_credentials.is_some();
            // Every stay in checking runs against the failure timeout.
            let since = *self.checking_since.get_or_insert(now);
            let timed_out = self.gathering != GatheringState::Gathering
                && now >= since.max(self.last_local_candidate) + self.config.failure_timeout;
            // The peer learned our latest candidate only now: give its
            // checks on it the time to arrive before giving up.
            let peer_done = now >= self.last_local_candidate + self.check_span();
            if (nothing_left && self.end_of_remote && peer_done) || timed_out {
                ConnectionState::Failed
            } else {
                ConnectionState::Checking
            }
        } else {
            ConnectionState::New
        };
        if state == ConnectionState::Failed {
            for pair in self.checklist.pairs_mut() {
                pair.check = None;
            }
        }
        if state == ConnectionState::Completed && self.state != ConnectionState::Completed {
            // Checks are over: connections no selected pair uses go.
            self.close_connections(false);
        }
        if state == ConnectionState::Failed && self.state != ConnectionState::Failed {
            self.close_connections(true);
        }
        self.set_state(state);
    }
}
