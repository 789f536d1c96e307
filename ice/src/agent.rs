//! The ICE agent (RFC 8445): a sans-IO state machine that gathers, pairs,
//! checks, nominates and keeps consent.
//!
//! <https://www.rfc-editor.org/rfc/rfc8445>

use alloc::collections::VecDeque;
use alloc::sync::Arc;
use core::fmt;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use sansrtc_stun::transaction::{ClientTransaction, Event as TransactionEvent, TransactionConfig};
use sansrtc_stun::turn;
use sansrtc_stun::{
    Attribute, Class, ErrorCode, IntegrityKey, Message, MessageBuilder, Method, TransactionId,
};

use crate::candidate::{self, Address, Candidate, CandidateType, Transport};
use crate::checklist::{Added, CheckList, DEFAULT_MAX_PAIRS};
use crate::event::{
    ConnectionState, Error, Event, GatheringState, Handled, Receive, RecvError, Transmit,
};
use crate::pair::{Check, Pair, PairState};
use crate::relay::{Output as RelayOutput, Relays, TurnServer};
use crate::rng::{Rng, Seed};

/// Most local sockets an agent takes.
pub const MAX_LOCAL_SOCKETS: usize = 16;
/// Most signaled remote candidates an agent keeps (per generation).
pub const MAX_REMOTE_CANDIDATES: usize = 64;
/// Most peer-reflexive remote candidates an agent learns from incoming
/// checks (per generation). Checks from further unknown addresses are
/// answered but not paired.
pub const MAX_PEER_REFLEXIVE: usize = 16;
/// Most peer-reflexive local candidates learned from responses.
pub const MAX_LOCAL_PEER_REFLEXIVE: usize = 16;
/// Most transmissions of one check ([`Config::max_transmissions`] is
/// clamped to 1 to this).
pub const MAX_CHECK_TRANSMISSIONS: u32 = 16;
/// Most `.local` names awaiting resolution by the caller.
pub const MAX_PENDING_NAMES: usize = 16;
/// Most STUN servers used for gathering.
pub const MAX_STUN_SERVERS: usize = 8;
/// Most packets queued for [`Agent::poll_transmit`]; beyond this, new
/// packets are dropped (the caller is expected to drain after every input).
pub const MAX_QUEUED_TRANSMITS: usize = 256;
/// Most events queued for [`Agent::poll_event`]; beyond this, new events
/// are dropped.
pub const MAX_QUEUED_EVENTS: usize = 256;

/// A candidate pair as [`Agent::pairs`] shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PairInfo<'a> {
    /// The local candidate (peer-reflexive once a check found the mapped
    /// address).
    pub local: &'a Candidate,
    /// The remote candidate.
    pub remote: &'a Candidate,
    /// Its state.
    pub state: PairState,
    /// Its priority (RFC 8445 §6.1.2.3), for the current role.
    pub priority: u64,
    /// Whether it is in the valid list.
    pub valid: bool,
    /// Whether it is nominated.
    pub nominated: bool,
}

/// ICE credentials: the `ice-ufrag` and `ice-pwd` of one side.
///
/// <https://www.rfc-editor.org/rfc/rfc8839#section-5.4>
///
/// Cloning is cheap (shared, not copied), and the password is kept as a
/// prepared MESSAGE-INTEGRITY key ([`IntegrityKey`]), so the checks the
/// agent answers and sends do not key HMAC again for every message.
#[derive(Clone)]
pub struct Credentials {
    ufrag: Arc<str>,
    pwd: Arc<str>,
    key: Arc<IntegrityKey>,
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.ufrag == other.ufrag && self.pwd == other.pwd
    }
}

impl Eq for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("ufrag", &self.ufrag)
            .field("pwd", &self.pwd)
            .finish()
    }
}

impl Credentials {
    /// Credentials from a ufrag (4 to 256 characters) and a password (22 to
    /// 256 characters) of the ICE alphabet.
    pub fn new(ufrag: &str, pwd: &str) -> Result<Self, Error> {
        let ice = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        };
        if !(4..=256).contains(&ufrag.len()) || !ice(ufrag) {
            return Err(Error::Credentials("ufrag must be 4 to 256 ICE characters"));
        }
        if !(22..=256).contains(&pwd.len()) || !ice(pwd) {
            return Err(Error::Credentials(
                "password must be 22 to 256 ICE characters",
            ));
        }
        Ok(Self::from_parts(ufrag, pwd))
    }

    fn from_parts(ufrag: &str, pwd: &str) -> Self {
        Self {
            ufrag: ufrag.into(),
            pwd: pwd.into(),
            key: Arc::new(IntegrityKey::new(pwd.as_bytes())),
        }
    }

    fn random(rng: &mut Rng) -> Self {
        Self::from_parts(
            &crate::rng::ice_string(rng, 8),
            &crate::rng::ice_string(rng, 24),
        )
    }

    /// The username fragment.
    pub fn ufrag(&self) -> &str {
        &self.ufrag
    }

    /// The password.
    pub fn pwd(&self) -> &str {
        &self.pwd
    }
}

/// When the controlling agent nominates (regular nomination, RFC 8445
/// §8.1.1).
///
/// Measured in the simulated network (20 ms one-way latency, STUN server
/// 20 ms away, the NAT matrix test): with the default policy both agents
/// are connected 130 ms (no NAT on either side) to 330 ms (a symmetric
/// NAT) after start, gathering included. The wait only matters when a
/// better pair is still being checked: with one pair the best is known as
/// soon as it succeeds, and nothing waits (see the
/// `nomination_does_not_wait_for_nothing` test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NominationPolicy {
    /// Nominate the first pair that succeeds.
    FirstValid,
    /// Nominate the best valid pair as soon as no pending pair of the
    /// component has a higher priority, or at the latest this long after
    /// the first pair of the component succeeded.
    BestOrAfter(Duration),
}

impl NominationPolicy {
    /// The default: [`BestOrAfter`](Self::BestOrAfter) 100 ms.
    pub const fn default_wait() -> Self {
        Self::BestOrAfter(Duration::from_millis(100))
    }
}

impl Default for NominationPolicy {
    fn default() -> Self {
        Self::default_wait()
    }
}

/// Configuration of an [`Agent`].
#[derive(Debug, Clone)]
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
        }
    }
}

/// A local socket the caller owns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LocalSocket {
    /// Its bound address (the base of its candidates).
    pub address: SocketAddr,
    /// Its transport (only UDP is checked).
    pub transport: Transport,
    /// The component it serves.
    pub component: u16,
    /// Rank of its interface, 0 the most preferred (see
    /// [`candidate::local_preference`]).
    pub interface_rank: u8,
}

#[derive(Debug, Clone)]
struct Local {
    candidate: Candidate,
    base: SocketAddr,
    interface_rank: u8,
}

impl Local {
    /// The transport address packets from this candidate carry: the base for
    /// host and relayed candidates (whose announced address may be a name),
    /// the candidate's own address otherwise.
    fn transport_address(&self) -> Option<SocketAddr> {
        match self.candidate.kind() {
            CandidateType::Host | CandidateType::Relayed => Some(self.base),
            _ => self.candidate.socket_addr(),
        }
    }
}

#[derive(Debug, Clone)]
struct Remote {
    candidate: Candidate,
    address: SocketAddr,
}

/// A server-reflexive gathering request to a STUN server: a `stun` client
/// transaction, started when its Ta slot comes.
#[derive(Debug, Clone)]
struct Gather {
    base: SocketAddr,
    server: SocketAddr,
    component: u16,
    interface_rank: u8,
    transaction_id: TransactionId,
    bytes: Vec<u8>,
    transaction: Option<ClientTransaction>,
    done: bool,
}

/// A consent check on a selected pair.
#[derive(Debug, Clone)]
struct Consent {
    transaction_id: TransactionId,
    bytes: Vec<u8>,
    sent: u32,
    next_at: Instant,
    rto: Duration,
}

/// A selected pair, kept whole so that it survives an ICE restart.
#[derive(Debug, Clone)]
struct Selected {
    component: u16,
    generation: u32,
    priority: u64,
    local: Candidate,
    local_base: SocketAddr,
    local_priority: u32,
    remote: Candidate,
    remote_address: SocketAddr,
    local_credentials: Credentials,
    remote_credentials: Credentials,
    last_consent: Instant,
    next_consent: Instant,
    consent: Option<Consent>,
}

/// The [`Event::SelectedPair`] for a pair of `component`.
fn selected_pair_event(
    component: u16,
    local: &Candidate,
    local_base: SocketAddr,
    remote: &Candidate,
    remote_address: SocketAddr,
) -> Event {
    Event::SelectedPair {
        component,
        local: Box::new(local.clone()),
        local_base,
        remote: Box::new(remote.clone()),
        remote_address,
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
    config: Config,
    rng: Rng,
    now: Instant,
    controlling: bool,
    tie_breaker: u64,
    generation: u32,
    local_credentials: Credentials,
    old_local_credentials: Option<Credentials>,
    remote_credentials: Option<Credentials>,
    sockets: Vec<LocalSocket>,
    locals: Vec<Local>,
    remotes: Vec<Remote>,
    pending_names: Vec<Candidate>,
    remote_prflx: usize,
    local_prflx: usize,
    prflx_foundation: u32,
    checklist: CheckList,
    gathers: Vec<Gather>,
    gathering: GatheringState,
    end_of_remote: bool,
    next_pacing: Instant,
    first_valid_at: Vec<(u16, Instant)>,
    selected: Vec<Selected>,
    /// A lite agent's nominations (local base, remote address) that came
    /// before the remote credentials: installed when those arrive. One per
    /// local socket.
    lite_nominated: Vec<(SocketAddr, SocketAddr)>,
    state: ConnectionState,
    checking_since: Option<Instant>,
    last_local_candidate: Instant,
    stamp_progress: bool,
    stamp_local: bool,
    transmits: VecDeque<Transmit>,
    events: VecDeque<Event>,
    checks_sent: u64,
    relays: Relays,
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
        ] {
            *duration = (*duration).min(day);
        }
        if let NominationPolicy::BestOrAfter(wait) = &mut config.nomination {
            *wait = (*wait).min(day);
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
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            checks_sent: 0,
            relays,
        }
    }

    // ----------------------------------------------------------------- inputs

    /// Handles a packet received on a local socket. STUN messages for the
    /// agent are consumed; anything else comes back as
    /// [`RecvError::NotStun`] for the caller to route elsewhere.
    ///
    /// Packets from a configured TURN server (`source` the server,
    /// `destination` the host socket its allocation uses) go to the agent's
    /// TURN client, even after [`close`](Self::close) so that the
    /// allocation can be released; data relayed from a peer is then
    /// handled as if received on the relayed address, and application data
    /// comes out as [`Event::RelayedData`].
    pub fn handle_receive(
        &mut self,
        now: Instant,
        packet: Receive<'_>,
    ) -> Result<Handled, RecvError> {
        if let Some(handled) = self.receive_from_turn_server(now, &packet) {
            return handled;
        }
        if self.state == ConnectionState::Closed {
            return Err(RecvError::Closed);
        }
        self.advance(now);
        self.receive(packet)
    }

    /// Handles a packet on a local socket (host or relayed).
    fn receive(&mut self, packet: Receive<'_>) -> Result<Handled, RecvError> {
        // RFC 7983: STUN starts with 0 to 3.
        if packet.bytes.first().is_none_or(|b| *b > 3) {
            return Err(RecvError::NotStun);
        }
        let message = Message::parse(packet.bytes).map_err(RecvError::Malformed)?;
        if !self
            .sockets
            .iter()
            .any(|s| s.address == packet.destination && s.transport == packet.transport)
        {
            return Err(RecvError::UnknownSocket);
        }
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
        if socket.transport != Transport::Udp {
            return Err(Error::UnsupportedTransport);
        }
        if socket.component == 0 || socket.component > self.config.components {
            return Err(Error::Component(socket.component));
        }
        if self.sockets.iter().any(|s| s.address == socket.address) {
            return Err(Error::DuplicateSocket);
        }
        if self.sockets.len() >= MAX_LOCAL_SOCKETS {
            return Err(Error::TooMany("local sockets"));
        }
        self.sockets.push(socket);
        let ip = socket.address.ip();
        let priority = candidate::priority(
            CandidateType::Host,
            candidate::local_preference(socket.interface_rank, ip),
            socket.component,
        );
        let foundation = candidate::foundation(CandidateType::Host, ip, None, Transport::Udp);
        let host = Candidate::new(
            &foundation,
            socket.component,
            Transport::Udp,
            priority,
            socket.address,
            CandidateType::Host,
        )
        .map_err(|_| Error::Component(socket.component))?;
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
        if !self.config.lite {
            let servers: Vec<SocketAddr> = self
                .config
                .stun_servers
                .iter()
                .filter(|s| s.is_ipv4() == socket.address.is_ipv4())
                .copied()
                .collect();
            for server in servers {
                let transaction_id = self.transaction_id();
                let bytes = binding_request(transaction_id).unwrap_or_default();
                self.gathers.push(Gather {
                    base: socket.address,
                    server,
                    component: socket.component,
                    interface_rank: socket.interface_rank,
                    transaction_id,
                    bytes,
                    transaction: None,
                    done: false,
                });
            }
            let now = self.now;
            self.relays
                .start(now, socket.address, socket.component, &mut self.rng);
            self.flush_relay_transmits();
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
        if self.sockets.iter().any(|s| s.address == relayed) {
            return Err(Error::DuplicateSocket);
        }
        if self.sockets.len() >= MAX_LOCAL_SOCKETS {
            return Err(Error::TooMany("local sockets"));
        }
        let socket = LocalSocket {
            address: relayed,
            transport: Transport::Udp,
            component,
            interface_rank: 0,
        };
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
    /// are handed to the caller to resolve ([`Event::ResolveName`]).
    pub fn add_remote_candidate(&mut self, candidate: Candidate) -> Result<(), Error> {
        self.check_open()?;
        if candidate.transport() != Transport::Udp {
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
        for (local_base, remote_address) in core::mem::take(&mut self.lite_nominated) {
            if let Some(remote_index) = self
                .remotes
                .iter()
                .position(|r| r.address == remote_address)
            {
                self.select_lite(local_base, remote_index);
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

    /// Restarts ICE (RFC 8445 §9): new local credentials, remote candidates
    /// and pairs dropped; the selected pair stays in use (and keeps its
    /// consent) until a new one is selected. Local candidates are announced
    /// again; signal them with the new credentials.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.check_open()?;
        let new = Credentials::random(&mut self.rng);
        let old = core::mem::replace(&mut self.local_credentials, new);
        if !self.selected.is_empty() {
            self.old_local_credentials = Some(old);
        }
        self.remote_credentials = None;
        self.new_generation();
        // Relayed candidates of ended allocations go; live allocations are
        // kept (a selected relayed pair stays in use, and a new Allocate
        // from the same socket would meet 437 Allocation Mismatch).
        let stale = self.relays.take_stale();
        self.locals.retain(|l| {
            l.candidate.kind() != CandidateType::PeerReflexive
                && !(l.candidate.kind() == CandidateType::Relayed && stale.contains(&l.base))
        });
        self.sockets.retain(|s| !stale.contains(&s.address));
        let now = self.now;
        self.relays.restart(now, &mut self.rng);
        self.flush_relay_transmits();
        self.local_prflx = 0;
        let announced: Vec<Candidate> = self.locals.iter().map(|l| l.candidate.clone()).collect();
        for candidate in announced {
            self.stamp_local = true;
            self.event(Event::LocalCandidate(candidate));
        }
        if self.gathers.iter().all(|g| g.done) && self.relays.is_settled() {
            self.event(Event::GatheringComplete);
        } else if self.gathering == GatheringState::Complete {
            self.gathering = GatheringState::Gathering;
        }
        if self.state == ConnectionState::Failed {
            self.state = ConnectionState::New;
            self.selected.clear();
            self.event(Event::StateChanged(ConnectionState::New));
        }
        Ok(())
    }

    /// Like [`restart`](Self::restart), with a new list of TURN servers
    /// (such as fresh credentials). A server whose credentials changed
    /// releases its allocation with the old ones before allocating again,
    /// so the new Allocate does not meet 437 (Allocation Mismatch); a
    /// server no longer listed is released; a new one is allocated.
    pub fn restart_with_turn_servers(&mut self, servers: Vec<TurnServer>) -> Result<(), Error> {
        self.check_open()?;
        if self.config.lite {
            return self.restart();
        }
        let mut bases: Vec<(SocketAddr, u16)> = Vec::new();
        for local in &self.locals {
            if local.candidate.kind() != CandidateType::Host {
                continue;
            }
            let family = local.base.is_ipv4();
            let component = local.candidate.component();
            if !bases
                .iter()
                .any(|(b, c)| b.is_ipv4() == family && *c == component)
            {
                bases.push((local.base, component));
            }
        }
        let now = self.now;
        self.relays.set_servers(now, servers, &bases, &mut self.rng);
        self.restart()?;
        self.drain_relays();
        Ok(())
    }

    /// Closes the agent: nothing more is sent or accepted, except that TURN
    /// allocations are released (Refresh with LIFETIME 0): keep feeding
    /// packets from the TURN servers and timeouts until
    /// [`poll_timeout`](Self::poll_timeout) returns `None`.
    pub fn close(&mut self) {
        if self.state != ConnectionState::Closed {
            self.set_state(ConnectionState::Closed);
        }
        self.transmits.clear();
        let now = self.now;
        self.relays.close(now);
        self.drain_relays();
    }

    /// Sends application data on the selected pair of `component`: from
    /// its local base to the remote address, or, when the local candidate
    /// is one of the agent's relayed candidates, through the TURN server
    /// (a Send indication, or ChannelData once the channel for the pair is
    /// bound). Read the packet from [`poll_transmit`](Self::poll_transmit).
    /// Data received on a relayed candidate comes back as
    /// [`Event::RelayedData`]; on other candidates it arrives on the
    /// caller's own socket.
    pub fn send_data(&mut self, now: Instant, component: u16, data: &[u8]) -> Result<(), Error> {
        self.check_open()?;
        self.advance(now);
        let (source, destination) = self
            .selected
            .iter()
            .find(|s| s.component == component)
            .map(|s| (s.local_base, s.remote_address))
            .ok_or(Error::NoSelectedPair(component))?;
        if self.relays.is_relayed(source) {
            self.relays
                .send(now, source, destination, data)
                .map_err(Error::Relay)?;
            self.flush_relay_transmits();
        } else {
            if self.transmits.len() >= MAX_QUEUED_TRANSMITS {
                return Err(Error::TooMany("queued transmits"));
            }
            self.transmit(source, destination, data.to_vec());
        }
        Ok(())
    }

    // ---------------------------------------------------------------- outputs

    /// The next packet to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.transmits.pop_front()
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
        earliest
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
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

    /// Connectivity checks sent so far (first transmissions, not counting
    /// retransmissions or consent checks).
    pub const fn checks_sent(&self) -> u64 {
        self.checks_sent
    }

    // -------------------------------------------------------------- internals

    fn check_open(&self) -> Result<(), Error> {
        if self.state == ConnectionState::Closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    /// Moves the clock forward. Commands carry no time, so what they
    /// started (a new remote or local candidate) is stamped with the time
    /// of the next input.
    fn advance(&mut self, now: Instant) {
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

    fn transaction_id(&mut self) -> TransactionId {
        let mut bytes = [0u8; 12];
        self.rng.fill(&mut bytes);
        TransactionId::new(bytes)
    }

    /// Queues a packet from `source`: from a relayed address of the
    /// agent's TURN clients, wrapped for the TURN server.
    fn transmit(&mut self, source: SocketAddr, destination: SocketAddr, contents: Vec<u8>) {
        if self.relays.is_relayed(source) {
            let now = self.now;
            // A packet the relay cannot take is lost, like a datagram.
            let _ = self.relays.send(now, source, destination, &contents);
            self.flush_relay_transmits();
            return;
        }
        self.push_transmit(source, destination, Transport::Udp, contents);
    }

    fn push_transmit(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        contents: Vec<u8>,
    ) {
        if self.transmits.len() < MAX_QUEUED_TRANSMITS && !contents.is_empty() {
            self.transmits.push_back(Transmit {
                source,
                destination,
                transport,
                contents,
            });
        }
    }

    /// Moves the TURN clients' packets to the transmit queue.
    fn flush_relay_transmits(&mut self) {
        while let Some(transmit) = self.relays.poll_transmit() {
            self.push_transmit(
                transmit.source,
                transmit.destination,
                transmit.transport,
                transmit.contents,
            );
        }
    }

    /// Acts on what the TURN clients report: new relayed candidates,
    /// errors, data relayed over TCP; then moves their packets out.
    fn drain_relays(&mut self) {
        while let Some(output) = self.relays.poll_output() {
            match output {
                RelayOutput::Allocated {
                    relayed,
                    mapped,
                    server,
                    component,
                } => {
                    let now = self.now;
                    if self
                        .add_relayed_candidate(relayed, mapped, server, component)
                        .is_err()
                    {
                        // A relayed address the agent cannot take (one of
                        // its sockets, or no room): never relay through it.
                        self.relays.reject(now, relayed);
                    } else {
                        let ips: Vec<IpAddr> =
                            self.remotes.iter().map(|r| r.address.ip()).collect();
                        for ip in ips {
                            self.relays.permit(now, ip);
                        }
                    }
                }
                RelayOutput::Error {
                    server,
                    code,
                    reason,
                } => self.event(Event::TurnError {
                    server,
                    code,
                    reason,
                }),
                RelayOutput::Permitted { relayed, ip } => {
                    // Checks sent through the relay before the permission
                    // existed were likely dropped: send them again now
                    // rather than after their retransmission timeout.
                    let now = self.now;
                    for pair in self.checklist.pairs_mut() {
                        if pair.local_base != relayed || pair.remote_addr.ip() != ip {
                            continue;
                        }
                        if let Some(check) = &mut pair.check {
                            check.next_at = check.next_at.min(now);
                        }
                    }
                }
                RelayOutput::Data {
                    relayed,
                    peer,
                    data,
                } => {
                    // Bad relayed packets are dropped like bad datagrams.
                    let _ = self.receive_relayed(relayed, peer, &data);
                }
            }
        }
        self.flush_relay_transmits();
        if self.state != ConnectionState::Closed {
            self.check_gathering_complete();
            self.update_state();
        }
    }

    /// Installs a permission for a remote candidate's IP on the TURN
    /// allocations.
    fn permit_remote(&mut self, ip: IpAddr) {
        let now = self.now;
        self.relays.permit(now, ip);
        self.flush_relay_transmits();
    }

    /// A packet from a TURN server, for one of the agent's TURN clients;
    /// `None` when it is not (or is a STUN answer the client does not know,
    /// such as a Binding response from the same server).
    fn receive_from_turn_server(
        &mut self,
        now: Instant,
        packet: &Receive<'_>,
    ) -> Option<Result<Handled, RecvError>> {
        let result = self.relays.handle_receive(
            now,
            packet.source,
            packet.destination,
            packet.transport,
            packet.bytes,
        )?;
        self.advance(now);
        let handled = match result {
            Ok(Some((relayed, received))) => {
                self.receive_relayed(relayed, received.peer, received.data)
            }
            Ok(None) => Ok(Handled::Turn),
            Err(turn::RecvError::UnknownTransaction | turn::RecvError::Unexpected) => {
                self.drain_relays();
                return None;
            }
            Err(error) => Err(RecvError::Turn(error)),
        };
        self.drain_relays();
        Some(handled)
    }

    /// Data a TURN client received from `peer` on `relayed`: STUN for the
    /// agent, or application data for the caller.
    fn receive_relayed(
        &mut self,
        relayed: SocketAddr,
        peer: SocketAddr,
        data: &[u8],
    ) -> Result<Handled, RecvError> {
        if self.state == ConnectionState::Closed {
            return Err(RecvError::Closed);
        }
        if data.first().is_some_and(|b| *b <= 3) {
            return self.receive(Receive {
                source: peer,
                destination: relayed,
                transport: Transport::Udp,
                bytes: data,
            });
        }
        let component = self
            .sockets
            .iter()
            .find(|s| s.address == relayed)
            .map_or(1, |s| s.component);
        self.event(Event::RelayedData {
            component,
            relayed,
            peer,
            contents: data.to_vec(),
        });
        Ok(Handled::Data)
    }

    fn event(&mut self, event: Event) {
        if self.events.len() < MAX_QUEUED_EVENTS {
            self.events.push_back(event);
        }
    }

    fn set_state(&mut self, state: ConnectionState) {
        if self.state != state {
            self.state = state;
            self.event(Event::StateChanged(state));
        }
    }

    fn set_role(&mut self, controlling: bool) {
        self.controlling = controlling;
        self.checklist.set_role(controlling);
        self.event(Event::RoleChanged { controlling });
    }

    fn new_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.remotes.clear();
        self.pending_names.clear();
        self.remote_prflx = 0;
        self.checklist.clear();
        self.end_of_remote = false;
        self.first_valid_at.clear();
        self.checking_since = None;
        self.lite_nominated.clear();
    }

    fn add_remote(&mut self, candidate: Candidate, address: SocketAddr) -> Result<(), Error> {
        if let Some(existing) = self
            .remotes
            .iter_mut()
            .find(|r| r.address == address && r.candidate.component() == candidate.component())
        {
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
        self.remotes.push(Remote { candidate, address });
        self.permit_remote(address.ip());
        self.stamp_progress = true;
        self.pair_remote(self.remotes.len() - 1);
        self.next_pacing = self
            .next_pacing
            .max(self.now)
            .min(self.now + self.config.ta);
        self.update_state();
        Ok(())
    }

    /// Pairs local candidate `index` with every remote one (RFC 8445
    /// §6.1.2.2). Server-reflexive local candidates are not paired: their
    /// base is, and pruning would drop them (§6.1.2.4).
    fn pair_local(&mut self, index: usize) {
        for remote in 0..self.remotes.len() {
            self.make_pair(index, remote);
        }
    }

    fn pair_remote(&mut self, index: usize) {
        for local in 0..self.locals.len() {
            self.make_pair(local, index);
        }
    }

    fn make_pair(&mut self, local_index: usize, remote_index: usize) -> Option<u32> {
        let local = self.locals.get(local_index)?;
        let remote = self.remotes.get(remote_index)?;
        if !matches!(
            local.candidate.kind(),
            CandidateType::Host | CandidateType::Relayed
        ) || local.candidate.component() != remote.candidate.component()
            || local.base.is_ipv4() != remote.address.is_ipv4()
        {
            return None;
        }
        let pair = Pair::new(
            local_index,
            remote_index,
            local.base,
            remote.address,
            local.candidate.component(),
            format!(
                "{}:{}",
                local.candidate.foundation(),
                remote.candidate.foundation()
            ),
            local.candidate.priority(),
            remote.candidate.priority(),
            self.controlling,
        );
        if self.config.lite {
            return None;
        }
        match self.checklist.add(pair) {
            Added::New(id) | Added::Existing(id) => Some(id),
            Added::Full => None,
        }
    }

    fn check_gathering_complete(&mut self) {
        if self.gathering == GatheringState::Gathering
            && self.gathers.iter().all(|g| g.done)
            && self.relays.is_settled()
        {
            self.gathering = GatheringState::Complete;
            // Non-trickle peers learn our candidates only now, and their
            // first checks open their NAT to ours: pairs that failed get one
            // more round, checks in progress a fresh retransmission budget.
            self.last_local_candidate = self.now;
            let (now, rto) = (self.now, self.config.initial_rto);
            for pair in self.checklist.pairs_mut() {
                if pair.state == PairState::Failed && !pair.valid {
                    pair.state = PairState::Waiting;
                }
                if let (PairState::InProgress, Some(check)) = (pair.state, &mut pair.check) {
                    check.sent = 1;
                    check.rto = rto;
                    check.next_at = now + rto;
                }
            }
            self.event(Event::GatheringComplete);
        }
    }

    fn has_paced_work(&self) -> bool {
        if matches!(
            self.state,
            ConnectionState::Closed | ConnectionState::Failed
        ) {
            return false;
        }
        self.gathers
            .iter()
            .any(|g| !g.done && g.transaction.is_none())
            || (!self.config.lite && self.remote_credentials.is_some() && self.checklist.has_work())
    }

    /// Starts one new transaction if Ta has passed since the last one:
    /// a gathering request first, then the checklist's choice.
    fn pace(&mut self) {
        if self.now < self.next_pacing {
            return;
        }
        let now = self.now;
        let config = self.gather_transaction_config();
        if let Some(gather) = self
            .gathers
            .iter_mut()
            .find(|g| !g.done && g.transaction.is_none())
        {
            let mut transaction = ClientTransaction::new(
                config,
                now,
                gather.transaction_id,
                gather.bytes.clone(),
                false,
            );
            let bytes = transaction.poll_transmit().map(<[u8]>::to_vec);
            gather.transaction = Some(transaction);
            let (base, server) = (gather.base, gather.server);
            if let Some(bytes) = bytes {
                self.transmit(base, server, bytes);
            }
            self.next_pacing = now + self.config.ta;
            return;
        }
        if self.config.lite || self.remote_credentials.is_none() {
            return;
        }
        while let Some((id, _triggered)) = self.checklist.next_to_check() {
            if self.send_check(id) {
                self.next_pacing = now + self.config.ta;
                return;
            }
        }
    }

    /// Gathering requests follow RFC 8489's schedule (RTO doubling without
    /// a cap) with the agent's initial RTO, at most 7 transmissions (Rc),
    /// and wait 4 RTO after the last one: with the defaults a STUN server
    /// that never answers is given up after 33.5 s.
    fn gather_transaction_config(&self) -> TransactionConfig {
        gather_config(&self.config)
    }

    fn retransmit_gathers(&mut self) {
        let now = self.now;
        let mut sends = Vec::new();
        for gather in &mut self.gathers {
            let Some(transaction) = &mut gather.transaction else {
                continue;
            };
            if gather.done {
                continue;
            }
            transaction.handle_timeout(now);
            if let Some(bytes) = transaction.poll_transmit() {
                sends.push((gather.base, gather.server, bytes.to_vec()));
            }
            if transaction.is_finished() {
                gather.done = true;
            }
        }
        for (source, destination, bytes) in sends {
            self.transmit(source, destination, bytes);
        }
        self.check_gathering_complete();
    }

    fn retransmit_checks(&mut self) {
        let now = self.now;
        let max = self.config.max_transmissions;
        let max_rto = self.config.max_rto;
        let mut sends = Vec::new();
        for pair in self.checklist.pairs_mut() {
            let Some(check) = &mut pair.check else {
                continue;
            };
            if check.next_at > now {
                continue;
            }
            if check.sent >= max {
                pair.check = None;
                pair.state = if pair.valid {
                    PairState::Succeeded
                } else {
                    PairState::Failed
                };
                pair.use_candidate = false;
                continue;
            }
            check.sent += 1;
            check.rto = (check.rto * 2).min(max_rto);
            check.next_at = now + check.rto;
            sends.push((pair.local_base, pair.remote_addr, check.bytes.clone()));
        }
        for (source, destination, bytes) in sends {
            self.transmit(source, destination, bytes);
        }
    }

    /// Sends a connectivity check on pair `id` (RFC 8445 §7.2.4). Returns
    /// whether one was sent.
    fn send_check(&mut self, id: u32) -> bool {
        let Some(remote_credentials) = self.remote_credentials.clone() else {
            return false;
        };
        let Some(pair) = self.checklist.get(id) else {
            return false;
        };
        let Some(local) = self.locals.get(pair.local) else {
            return false;
        };
        let priority = candidate::priority(
            CandidateType::PeerReflexive,
            candidate::local_preference(local.interface_rank, local.base.ip()),
            pair.component,
        );
        let use_candidate = self.controlling && pair.use_candidate;
        let (source, destination) = (pair.local_base, pair.remote_addr);
        let transaction_id = self.transaction_id();
        let Some(bytes) = check_request(
            transaction_id,
            &remote_credentials,
            &self.local_credentials,
            priority,
            self.controlling,
            self.tie_breaker,
            use_candidate,
        ) else {
            return false;
        };
        let rto = self.config.initial_rto;
        let now = self.now;
        let controlling = self.controlling;
        if let Some(pair) = self.checklist.get_mut(id) {
            if pair.state != PairState::Succeeded {
                pair.state = PairState::InProgress;
            }
            pair.check = Some(Check {
                transaction_id,
                bytes: bytes.clone(),
                sent: 1,
                next_at: now + rto,
                rto,
                use_candidate,
                controlling,
                priority,
            });
        }
        if self.checking_since.is_none() {
            self.checking_since = Some(now);
        }
        self.checks_sent += 1;
        self.transmit(source, destination, bytes);
        true
    }

    fn nomination_deadline(&self) -> Option<Instant> {
        if !self.controlling || self.config.lite {
            return None;
        }
        let NominationPolicy::BestOrAfter(wait) = self.config.nomination else {
            return None;
        };
        self.first_valid_at
            .iter()
            .filter(|(component, _)| !self.nomination_started(*component))
            .map(|(_, at)| *at + wait)
            .min()
    }

    fn nomination_started(&self, component: u16) -> bool {
        self.checklist
            .pairs()
            .iter()
            .any(|p| p.component == component && (p.nominated || p.use_candidate))
    }

    /// Regular nomination (RFC 8445 §8.1.1) by the configured policy.
    fn nominate(&mut self) {
        if !self.controlling
            || self.config.lite
            || matches!(
                self.state,
                ConnectionState::Failed | ConnectionState::Closed
            )
        {
            return;
        }
        for component in 1..=self.config.components {
            if self.nomination_started(component) {
                continue;
            }
            let pairs = self.checklist.pairs();
            // Pairs are sorted: the first valid one is the best.
            let Some(best) = pairs.iter().find(|p| p.component == component && p.valid) else {
                continue;
            };
            let ready = match self.config.nomination {
                NominationPolicy::FirstValid => true,
                NominationPolicy::BestOrAfter(wait) => {
                    let better_pending = pairs.iter().any(|p| {
                        p.component == component
                            && p.priority > best.priority
                            && matches!(
                                p.state,
                                PairState::Frozen | PairState::Waiting | PairState::InProgress
                            )
                    });
                    let waited = self
                        .first_valid_at
                        .iter()
                        .find(|(c, _)| *c == component)
                        .is_some_and(|(_, at)| self.now >= *at + wait);
                    !better_pending || waited
                }
            };
            if ready {
                let id = best.id;
                if let Some(pair) = self.checklist.get_mut(id) {
                    pair.use_candidate = true;
                }
                self.checklist.enqueue_triggered(id);
                self.next_pacing = self.next_pacing.min(self.now);
                self.pace();
            }
        }
    }

    /// Consent freshness (RFC 7675): a check on each selected pair every
    /// 4–6 s, retransmitted with the check RTO until the next one.
    fn consent(&mut self) {
        let now = self.now;
        let max = self.config.max_transmissions;
        let max_rto = self.config.max_rto;
        let mut sends = Vec::new();
        for index in 0..self.selected.len() {
            let interval = self.consent_interval();
            let transaction_id = self.transaction_id();
            let controlling = self.controlling;
            let tie_breaker = self.tie_breaker;
            let initial_rto = self.config.initial_rto;
            let Some(selected) = self.selected.get_mut(index) else {
                continue;
            };
            if let Some(consent) = &mut selected.consent {
                if consent.next_at <= now {
                    if consent.sent >= max {
                        selected.consent = None;
                    } else {
                        consent.sent += 1;
                        consent.rto = (consent.rto * 2).min(max_rto);
                        consent.next_at = now + consent.rto;
                        sends.push((
                            selected.local_base,
                            selected.remote_address,
                            consent.bytes.clone(),
                        ));
                    }
                }
            }
            if selected.next_consent <= now {
                selected.next_consent = now + interval;
                if let Some(bytes) = check_request(
                    transaction_id,
                    &selected.remote_credentials,
                    &selected.local_credentials,
                    selected.local_priority,
                    controlling,
                    tie_breaker,
                    false,
                ) {
                    sends.push((selected.local_base, selected.remote_address, bytes.clone()));
                    selected.consent = Some(Consent {
                        transaction_id,
                        bytes,
                        sent: 1,
                        next_at: now + initial_rto,
                        rto: initial_rto,
                    });
                }
            }
        }
        for (source, destination, bytes) in sends {
            self.transmit(source, destination, bytes);
        }
    }

    fn consent_interval(&mut self) -> Duration {
        let base = self.config.consent_interval;
        // 0.8 to 1.2 times the interval.
        let permille = 800 + self.rng.below(401);
        base * u32::try_from(permille).unwrap_or(1000) / 1000
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
    fn check_span(&self) -> Duration {
        let mut rto = self.config.initial_rto;
        let mut span = Duration::ZERO;
        for _ in 0..self.config.max_transmissions {
            span += rto;
            rto = (rto * 2).min(self.config.max_rto);
        }
        span
    }

    fn update_state(&mut self) {
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
            if since >= self.config.consent_timeout {
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
        self.set_state(state);
    }

    // ------------------------------------------------------------ responses

    fn on_response(
        &mut self,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled, RecvError> {
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
        Err(RecvError::UnknownTransaction)
    }

    fn on_check_response(
        &mut self,
        id: u32,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled, RecvError> {
        let Some(remote_credentials) = &self.remote_credentials else {
            return Err(RecvError::UnknownTransaction);
        };
        message
            .verify_message_integrity_with(&remote_credentials.key)
            .map_err(|_| RecvError::Unauthenticated("MESSAGE-INTEGRITY"))?;
        let Some(pair) = self.checklist.get_mut(id) else {
            return Err(RecvError::UnknownTransaction);
        };
        let Some(check) = pair.check.take() else {
            return Err(RecvError::UnknownTransaction);
        };
        if message.class() == Class::ErrorResponse {
            let code = message.error_code().map(|e| e.code);
            if code == Some(ErrorCode::ROLE_CONFLICT) {
                // RFC 8445 §7.2.5.1: switch to the other role and retry.
                pair.state = PairState::Waiting;
                self.checklist.enqueue_triggered(id);
                if check.controlling == self.controlling {
                    self.set_role(!check.controlling);
                }
            } else {
                pair.state = PairState::Failed;
                pair.use_candidate = false;
            }
            return Ok(Handled::Response);
        }
        // RFC 8445 §7.2.5.2.1: the addresses must be symmetric.
        let mapped = message.xor_mapped_address();
        if packet.source != pair.remote_addr || packet.destination != pair.local_base {
            pair.state = PairState::Failed;
            pair.use_candidate = false;
            return Ok(Handled::Response);
        }
        let Some(mapped) = mapped else {
            pair.state = PairState::Failed;
            return Ok(Handled::Response);
        };
        let (local_base, component, foundation) =
            (pair.local_base, pair.component, pair.foundation.clone());
        // The valid pair's local candidate: the one with the mapped address,
        // or a new peer-reflexive one (RFC 8445 §7.2.5.3.1).
        let local_index = match self
            .locals
            .iter()
            .position(|l| l.base == local_base && l.transport_address() == Some(mapped))
        {
            Some(index) => Some(index),
            None if self.local_prflx < MAX_LOCAL_PEER_REFLEXIVE => {
                let rank = self
                    .locals
                    .iter()
                    .find(|l| l.base == local_base)
                    .map_or(0, |l| l.interface_rank);
                let foundation_text = candidate::foundation(
                    CandidateType::PeerReflexive,
                    local_base.ip(),
                    None,
                    Transport::Udp,
                );
                Candidate::new(
                    &foundation_text,
                    component,
                    Transport::Udp,
                    check.priority,
                    mapped,
                    CandidateType::PeerReflexive,
                )
                .ok()
                .map(|c| {
                    self.locals.push(Local {
                        candidate: c.with_related(local_base),
                        base: local_base,
                        interface_rank: rank,
                    });
                    self.local_prflx += 1;
                    self.locals.len() - 1
                })
            }
            None => None,
        };
        let controlling = self.controlling;
        let now = self.now;
        let Some(pair) = self.checklist.get_mut(id) else {
            return Ok(Handled::Response);
        };
        if let Some(index) = local_index {
            if index != pair.local {
                pair.local = index;
                pair.local_priority = check.priority;
                pair.set_role(controlling);
            }
        }
        pair.state = PairState::Succeeded;
        pair.valid = true;
        let nominated =
            (check.use_candidate && controlling) || (!controlling && pair.nominate_on_success);
        if nominated {
            pair.nominated = true;
            pair.use_candidate = false;
        }
        self.checklist.set_role(controlling);
        self.checklist.unfreeze_foundation(&foundation);
        if !self.first_valid_at.iter().any(|(c, _)| *c == component) {
            self.first_valid_at.push((component, now));
        }
        if nominated {
            self.select(id);
        }
        self.nominate();
        Ok(Handled::Response)
    }

    fn on_consent_response(
        &mut self,
        index: usize,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled, RecvError> {
        let now = self.now;
        let Some(selected) = self.selected.get_mut(index) else {
            return Err(RecvError::UnknownTransaction);
        };
        message
            .verify_message_integrity_with(&selected.remote_credentials.key)
            .map_err(|_| RecvError::Unauthenticated("MESSAGE-INTEGRITY"))?;
        selected.consent = None;
        if message.class() == Class::SuccessResponse
            && packet.source == selected.remote_address
            && packet.destination == selected.local_base
        {
            selected.last_consent = now;
        }
        Ok(Handled::Response)
    }

    fn on_gather_response(
        &mut self,
        index: usize,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled, RecvError> {
        let Some(gather) = self.gathers.get_mut(index) else {
            return Err(RecvError::UnknownTransaction);
        };
        if packet.source != gather.server || packet.destination != gather.base {
            return Err(RecvError::UnknownTransaction);
        }
        let Some(transaction) = &mut gather.transaction else {
            return Err(RecvError::UnknownTransaction);
        };
        transaction
            .handle_response(self.now, message)
            .map_err(|_| RecvError::UnknownTransaction)?;
        let mapped = match transaction.poll_event() {
            Some(TransactionEvent::Success(response)) => response.mapped_address(),
            _ => None,
        };
        gather.done = true;
        let (base, server, component, rank) = (
            gather.base,
            gather.server,
            gather.component,
            gather.interface_rank,
        );
        if let Some(mapped) = mapped {
            // Behind an mDNS name the host address is not announced, so a
            // server-reflexive candidate equal to it is not redundant.
            let named = self
                .locals
                .iter()
                .any(|l| l.base == base && l.candidate.address().ip().is_none());
            let redundant = (mapped == base && !named)
                || self
                    .locals
                    .iter()
                    .any(|l| l.base == base && l.candidate.socket_addr() == Some(mapped));
            if !redundant {
                let priority = candidate::priority(
                    CandidateType::ServerReflexive,
                    candidate::local_preference(rank, base.ip()),
                    component,
                );
                let foundation = candidate::foundation(
                    CandidateType::ServerReflexive,
                    base.ip(),
                    Some(server.ip()),
                    Transport::Udp,
                );
                let related = if named {
                    SocketAddr::new(IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED), 0)
                } else {
                    base
                };
                if let Ok(srflx) = Candidate::new(
                    &foundation,
                    component,
                    Transport::Udp,
                    priority,
                    mapped,
                    CandidateType::ServerReflexive,
                ) {
                    let srflx = srflx.with_related(related);
                    self.locals.push(Local {
                        candidate: srflx.clone(),
                        base,
                        interface_rank: rank,
                    });
                    self.last_local_candidate = self.now;
                    self.event(Event::LocalCandidate(srflx));
                }
            }
        }
        self.check_gathering_complete();
        Ok(Handled::Response)
    }

    fn select(&mut self, id: u32) {
        let interval = self.consent_interval();
        let Some(pair) = self.checklist.get(id) else {
            return;
        };
        let (Some(local), Some(remote), Some(remote_credentials)) = (
            self.locals.get(pair.local),
            self.remotes.get(pair.remote),
            self.remote_credentials.clone(),
        ) else {
            return;
        };
        let component = pair.component;
        if let Some(current) = self.selected.iter().find(|s| s.component == component) {
            // Aggressive nomination: keep the best nominated pair.
            if current.generation == self.generation && current.priority >= pair.priority {
                return;
            }
        }
        let selected = Selected {
            component,
            generation: self.generation,
            priority: pair.priority,
            local: local.candidate.clone(),
            local_base: pair.local_base,
            local_priority: candidate::priority(
                CandidateType::PeerReflexive,
                candidate::local_preference(local.interface_rank, local.base.ip()),
                component,
            ),
            remote: remote.candidate.clone(),
            remote_address: pair.remote_addr,
            local_credentials: self.local_credentials.clone(),
            remote_credentials,
            last_consent: self.now,
            next_consent: self.now + interval,
            consent: None,
        };
        let relayed = (selected.local_base, selected.remote_address);
        let event = self.install_selected(selected);
        if self.relays.is_relayed(relayed.0) {
            // ChannelData carries the pair's traffic with a 4-byte header
            // (RFC 8656 §12).
            let now = self.now;
            self.relays.bind_channel(now, relayed.0, relayed.1);
            self.flush_relay_transmits();
        }
        if self
            .selected
            .iter()
            .all(|s| s.generation == self.generation)
        {
            self.old_local_credentials = None;
        }
        if self.controlling {
            self.checklist.stop_component(component);
        }
        self.event(event);
    }

    // ------------------------------------------------------------- requests

    fn on_request(
        &mut self,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled, RecvError> {
        if message.method() != Method::BINDING {
            return Err(RecvError::Unsupported("only Binding requests are served"));
        }
        if !message.has_fingerprint() {
            return Err(RecvError::Fingerprint);
        }
        let username = message
            .username()
            .ok_or(RecvError::Unauthenticated("no USERNAME"))?;
        let ours = username.split(':').next().unwrap_or_default();
        let credentials = if ours == &*self.local_credentials.ufrag {
            self.local_credentials.clone()
        } else if let Some(old) = self
            .old_local_credentials
            .as_ref()
            .filter(|old| &*old.ufrag == ours)
        {
            old.clone()
        } else {
            return Err(RecvError::Unauthenticated("USERNAME"));
        };
        message
            .verify_message_integrity_with(&credentials.key)
            .map_err(|_| RecvError::Unauthenticated("MESSAGE-INTEGRITY"))?;
        let transaction_id = message.transaction_id();
        let (source, destination) = (packet.source, packet.destination);
        let Some(priority) = message.priority() else {
            self.respond_error(transaction_id, ErrorCode::BAD_REQUEST, &credentials, packet);
            return Err(RecvError::Unsupported("no PRIORITY"));
        };
        // Role conflict (RFC 8445 §7.3.1.1).
        if !self.config.lite {
            if let (true, Some(theirs)) = (self.controlling, message.ice_controlling()) {
                if self.tie_breaker >= theirs {
                    self.respond_error(
                        transaction_id,
                        ErrorCode::ROLE_CONFLICT,
                        &credentials,
                        packet,
                    );
                    return Ok(Handled::Request);
                }
                self.set_role(false);
            } else if let (false, Some(theirs)) = (self.controlling, message.ice_controlled()) {
                if self.tie_breaker >= theirs {
                    self.set_role(true);
                } else {
                    self.respond_error(
                        transaction_id,
                        ErrorCode::ROLE_CONFLICT,
                        &credentials,
                        packet,
                    );
                    return Ok(Handled::Request);
                }
            }
        }
        if let Some(bytes) = success_response(transaction_id, source, &credentials) {
            self.transmit(destination, source, bytes);
        }
        if self.config.lite {
            // A lite agent sends no checks (RFC 8445 §2.5): the full peer's
            // checks on the selected pair are its sign of life.
            let now = self.now;
            for selected in &mut self.selected {
                if selected.local_base == destination && selected.remote_address == source {
                    selected.last_consent = now;
                }
            }
        }
        if credentials != self.local_credentials {
            // A check of the previous generation: answered for consent only.
            return Ok(Handled::Request);
        }
        let component = self
            .sockets
            .iter()
            .find(|s| s.address == destination)
            .map_or(1, |s| s.component);
        let remote_index = match self
            .remotes
            .iter()
            .position(|r| r.address == source && r.candidate.component() == component)
        {
            Some(index) => index,
            None => {
                if self.remote_prflx >= MAX_PEER_REFLEXIVE {
                    return Ok(Handled::Request);
                }
                // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate.
                self.prflx_foundation = self.prflx_foundation.wrapping_add(1);
                let foundation = format!("prflx{}", self.prflx_foundation);
                let Ok(candidate) = Candidate::new(
                    &foundation,
                    component,
                    Transport::Udp,
                    priority,
                    source,
                    CandidateType::PeerReflexive,
                ) else {
                    return Ok(Handled::Request);
                };
                self.remotes.push(Remote {
                    candidate,
                    address: source,
                });
                self.remote_prflx += 1;
                self.permit_remote(source.ip());
                self.remotes.len() - 1
            }
        };
        let use_candidate = message.use_candidate() && !self.controlling;
        if self.checking_since.is_none() {
            self.checking_since = Some(self.now);
        }
        if self.config.lite {
            if use_candidate {
                self.select_lite(destination, remote_index);
            }
            return Ok(Handled::Request);
        }
        let Some(local_index) = self.locals.iter().position(|l| {
            l.base == destination
                && matches!(
                    l.candidate.kind(),
                    CandidateType::Host | CandidateType::Relayed
                )
        }) else {
            return Ok(Handled::Request);
        };
        let id = match self.checklist.find(destination, source) {
            Some(id) => Some(id),
            None => self.make_pair(local_index, remote_index),
        };
        let Some(id) = id else {
            return Ok(Handled::Request);
        };
        if self.checking_since.is_none() {
            self.checking_since = Some(self.now);
        }
        let mut select = false;
        if let Some(pair) = self.checklist.get_mut(id) {
            // Triggered check (RFC 8445 §7.3.1.4). An In-Progress check is
            // sent again at once with a fresh retransmission budget, under
            // the same transaction id so that earlier answers still count.
            let trigger = matches!(
                pair.state,
                PairState::Frozen | PairState::Waiting | PairState::Failed
            );
            let initial_rto = self.config.initial_rto;
            let now = self.now;
            let mut resend = None;
            if let (PairState::InProgress, Some(check)) = (pair.state, &mut pair.check) {
                check.sent = 1;
                check.rto = initial_rto;
                check.next_at = now + initial_rto;
                resend = Some(check.bytes.clone());
            }
            if let Some(bytes) = resend {
                self.transmit(destination, source, bytes);
            }
            let Some(pair) = self.checklist.get_mut(id) else {
                return Ok(Handled::Request);
            };
            if trigger {
                pair.state = PairState::Waiting;
            }
            if use_candidate {
                if pair.state == PairState::Succeeded && pair.valid {
                    pair.nominated = true;
                    select = true;
                } else {
                    pair.nominate_on_success = true;
                }
            }
            if trigger {
                self.checklist.enqueue_triggered(id);
                self.pace();
            }
        }
        if select {
            self.select(id);
        }
        Ok(Handled::Request)
    }

    /// An ICE-lite agent selects the pair a USE-CANDIDATE check arrived on
    /// (RFC 8445 §8.2).
    fn select_lite(&mut self, destination: SocketAddr, remote_index: usize) {
        let (Some(local), Some(remote)) = (
            self.locals.iter().find(|l| l.base == destination),
            self.remotes.get(remote_index),
        ) else {
            return;
        };
        let component = local.candidate.component();
        if self
            .selected
            .iter()
            .any(|s| s.component == component && s.remote_address == remote.address)
        {
            return;
        }
        let Some(remote_credentials) = self.remote_credentials.clone() else {
            // The peer's nomination overtook its description (its answer
            // to our offer): the pair is selected when the credentials
            // arrive, so that the state then becomes connected.
            let (base, address) = (local.base, remote.address);
            self.lite_nominated.retain(|(b, _)| *b != base);
            self.lite_nominated.push((base, address));
            return;
        };
        let selected = Selected {
            component,
            generation: self.generation,
            priority: 0,
            local: local.candidate.clone(),
            local_base: local.base,
            local_priority: local.candidate.priority(),
            remote: remote.candidate.clone(),
            remote_address: remote.address,
            local_credentials: self.local_credentials.clone(),
            remote_credentials,
            last_consent: self.now,
            // Lite agents do not send checks (RFC 8445 §2.5): no consent.
            next_consent: self.now + Duration::from_secs(100 * 365 * 86_400),
            consent: None,
        };
        let event = self.install_selected(selected);
        self.event(event);
    }

    /// Makes `selected` the pair of its component, replacing any other, and
    /// returns the [`Event::SelectedPair`] that announces it.
    fn install_selected(&mut self, selected: Selected) -> Event {
        let event = selected_pair_event(
            selected.component,
            &selected.local,
            selected.local_base,
            &selected.remote,
            selected.remote_address,
        );
        self.selected.retain(|s| s.component != selected.component);
        self.selected.push(selected);
        event
    }

    fn respond_error(
        &mut self,
        transaction_id: TransactionId,
        code: u16,
        credentials: &Credentials,
        packet: &Receive<'_>,
    ) {
        if let Some(bytes) = error_response(transaction_id, code, credentials) {
            self.transmit(packet.destination, packet.source, bytes);
        }
    }
}

/// The transaction settings of gathering requests and TURN requests:
/// RFC 8489's schedule (RTO doubling without a cap) with the agent's
/// initial RTO, at most 7 transmissions (Rc), and a wait of 4 RTO after the
/// last one: with the defaults a server that never answers is given up
/// after 33.5 s.
fn gather_config(config: &Config) -> TransactionConfig {
    let mut transaction = TransactionConfig::with_rto(config.initial_rto);
    transaction.max_transmissions = config.max_transmissions.min(7);
    transaction.last_wait_multiplier = 4;
    transaction
}

/// Room for the largest message the agent writes (a 513-byte USERNAME and
/// the fixed attributes).
const MESSAGE_BUF: usize = 640;

fn finish(
    build: impl FnOnce(&mut MessageBuilder<'_>) -> Result<(), sansrtc_stun::WriteError>,
    class: Class,
    transaction_id: TransactionId,
) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; MESSAGE_BUF];
    let mut builder = MessageBuilder::new(&mut buf, class, Method::BINDING, transaction_id).ok()?;
    build(&mut builder).ok()?;
    let len = builder.finish();
    buf.truncate(len);
    Some(buf)
}

/// A Binding request to a STUN server (RFC 8489 §6.1).
fn binding_request(transaction_id: TransactionId) -> Option<Vec<u8>> {
    finish(
        |b| {
            b.add_fingerprint()?;
            Ok(())
        },
        Class::Request,
        transaction_id,
    )
}

/// A connectivity check (RFC 8445 §7.2.2): USERNAME `remote:local`,
/// PRIORITY, the role with the tie-breaker, USE-CANDIDATE when nominating,
/// MESSAGE-INTEGRITY with the remote password, FINGERPRINT.
pub(crate) fn check_request(
    transaction_id: TransactionId,
    remote: &Credentials,
    local: &Credentials,
    priority: u32,
    controlling: bool,
    tie_breaker: u64,
    use_candidate: bool,
) -> Option<Vec<u8>> {
    let username = format!("{}:{}", remote.ufrag, local.ufrag);
    finish(
        |b| {
            b.add(&Attribute::Username(&username))?
                .add(&Attribute::Priority(priority))?;
            if controlling {
                b.add(&Attribute::IceControlling(tie_breaker))?;
            } else {
                b.add(&Attribute::IceControlled(tie_breaker))?;
            }
            if use_candidate {
                b.add(&Attribute::UseCandidate)?;
            }
            b.add_message_integrity_with(&remote.key)?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::Request,
        transaction_id,
    )
}

/// A success response to a check (RFC 8445 §7.3.1.2).
fn success_response(
    transaction_id: TransactionId,
    source: SocketAddr,
    local: &Credentials,
) -> Option<Vec<u8>> {
    finish(
        |b| {
            b.add(&Attribute::XorMappedAddress(source))?;
            b.add_message_integrity_with(&local.key)?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::SuccessResponse,
        transaction_id,
    )
}

fn error_response(
    transaction_id: TransactionId,
    code: u16,
    local: &Credentials,
) -> Option<Vec<u8>> {
    finish(
        |b| {
            b.add(&Attribute::ErrorCode(ErrorCode::new(
                code,
                ErrorCode::default_reason(code),
            )))?;
            b.add_message_integrity_with(&local.key)?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::ErrorResponse,
        transaction_id,
    )
}
