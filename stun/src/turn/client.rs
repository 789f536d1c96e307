//! The TURN client state machine.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use crate::attribute::{
    AddressFamily, Attribute, ErrorCode, PasswordAlgorithm, PasswordAlgorithms,
};
use crate::credentials::{LongTermKey, Preparation, SecurityFeatures, userhash};
use crate::drive::{Outbox, Overflow, Queue, Receive, Transmit, Transport};
use crate::framing::{ChannelData, MAX_CHANNEL, MIN_CHANNEL};
use crate::message::{Class, Message, MessageBuilder, Method, TransactionId};
use crate::rng::{Rng, Seed};
use crate::transaction::{ClientTransaction, TransactionConfig};

/// Most permissions (peer IP addresses) one client keeps. Permissions are
/// created by the caller, not by the server, but a caller relaying for a
/// remote peer's candidates must still be bounded.
pub const MAX_PERMISSIONS: usize = 256;

/// Most channels one client binds (RFC 8656 allows 0x4000–0x4FFF).
pub const MAX_CHANNELS: usize = (MAX_CHANNEL - MIN_CHANNEL) as usize + 1;

/// Most requests in flight at once; further commands wait in a queue of the
/// same bound.
const MAX_IN_FLIGHT: usize = 32;

/// Most 438 (Stale Nonce) retries for one request before it fails. A 401
/// to a request that carried credentials is retried once, and only when the
/// server sent a new nonce; a second one fails (the credentials are wrong).
const MAX_AUTH_RETRIES: u8 = 3;

/// Most packets waiting in [`Client::poll_transmit`]; more are dropped and
/// counted in [`Client::overflow`].
pub const MAX_QUEUED_TRANSMITS: usize = 256;

/// Most events waiting in [`Client::poll_event`]; more are dropped and
/// counted in [`Client::overflow`].
pub const MAX_QUEUED_EVENTS: usize = 256;

/// Lifetime of a permission (RFC 8656 §9).
const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);

/// Lifetime of a channel binding (RFC 8656 §12).
const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);

/// How long before expiry permissions, channels and allocations are
/// refreshed.
const REFRESH_MARGIN: Duration = Duration::from_secs(60);

/// IANA protocol number of UDP, for REQUESTED-TRANSPORT.
const PROTOCOL_UDP: u8 = 17;

/// How to reach and authenticate with a TURN server.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The local socket the client talks to the server from (the source of
    /// every [`Transmit`]).
    pub local: SocketAddr,
    /// The server's address.
    pub server: SocketAddr,
    /// The transport to the server: over TCP, cut the received stream into
    /// messages with [`StreamReader`](crate::framing::StreamReader) and
    /// [`StreamFraming::Turn`](crate::framing::StreamFraming::Turn);
    /// requests are not retransmitted and ChannelData is padded to a
    /// multiple of four (RFC 8656 §12.5).
    pub transport: Transport,
    /// Long-term credential username.
    pub username: String,
    /// Long-term credential password.
    pub password: String,
    /// How passwords are prepared (OpaqueString by default).
    pub preparation: Preparation,
    /// The lifetime to ask for; `None` takes the server's default (600 s).
    pub requested_lifetime: Option<Duration>,
    /// The relayed address family to ask for; `None` lets the server choose
    /// (IPv4).
    pub requested_family: Option<AddressFamily>,
    /// Ask the server to set DF on relayed datagrams.
    pub dont_fragment: bool,
    /// SOFTWARE to send, if any.
    pub software: Option<String>,
    /// Retransmission settings of requests over UDP.
    pub transaction: TransactionConfig,
    /// Seed of the generator of transaction ids: `None` (the default) seeds
    /// it from the operating system; `Some` makes runs reproducible (tests
    /// and simulations only: transaction ids must be unpredictable).
    pub seed: Option<Seed>,
}

impl Config {
    /// A UDP configuration with defaults for everything but the sockets
    /// and the credentials.
    pub fn new(local: SocketAddr, server: SocketAddr, username: &str, password: &str) -> Self {
        Self {
            local,
            server,
            transport: Transport::Udp,
            username: username.to_string(),
            password: password.to_string(),
            preparation: Preparation::OpaqueString,
            requested_lifetime: None,
            requested_family: None,
            dont_fragment: false,
            software: None,
            transaction: TransactionConfig::default(),
            seed: None,
        }
    }
}

/// An error answer from the server: its code and reason phrase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerError {
    /// The ERROR-CODE, such as 403, 437, 441, 442, 486 or 508; 0 when the
    /// request timed out without an answer.
    pub code: u16,
    /// The reason phrase the server sent (or a description of the timeout).
    pub reason: String,
}

impl ServerError {
    fn from_code(error: ErrorCode<'_>) -> Self {
        Self {
            code: error.code,
            reason: error.reason.to_string(),
        }
    }

    fn timeout() -> Self {
        Self {
            code: 0,
            reason: "no answer from the TURN server".to_string(),
        }
    }

    fn local(reason: &str) -> Self {
        Self {
            code: 0,
            reason: reason.to_string(),
        }
    }

    /// Whether the request timed out rather than being refused.
    pub const fn is_timeout(&self) -> bool {
        self.code == 0
    }
}

impl core::fmt::Display for ServerError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.code == 0 {
            f.write_str(&self.reason)
        } else {
            write!(f, "{} {}", self.code, self.reason)
        }
    }
}

/// What the client reports.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The allocation exists.
    Allocated {
        /// The relayed transport address peers send to.
        relayed: SocketAddr,
        /// The client's address as the server saw it (server reflexive).
        mapped: Option<SocketAddr>,
        /// How long the allocation lives without a refresh.
        lifetime: Duration,
    },
    /// The allocation could not be made.
    AllocationFailed(ServerError),
    /// The allocation was refreshed.
    Refreshed {
        /// Its new lifetime.
        lifetime: Duration,
    },
    /// A refresh failed; the allocation is lost (the client stops).
    RefreshFailed(ServerError),
    /// The allocation expired or was lost; send nothing more through it.
    AllocationLost,
    /// A permission for this peer IP address is installed (or refreshed).
    PermissionCreated(IpAddr),
    /// A permission could not be installed.
    PermissionFailed(IpAddr, ServerError),
    /// A channel is bound to this peer; data to it now goes as ChannelData.
    ChannelBound {
        /// The peer's transport address.
        peer: SocketAddr,
        /// The channel number.
        channel: u16,
    },
    /// A channel could not be bound.
    ChannelBindFailed(SocketAddr, ServerError),
    /// The allocation was released (Refresh with LIFETIME 0 answered, or
    /// the server no longer knew it).
    Deallocated,
}

/// Application data a peer sent through the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Received<'a> {
    /// The peer's transport address.
    pub peer: SocketAddr,
    /// The data.
    pub data: &'a [u8],
}

/// What the client did with a received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled<'a> {
    /// The server's answer to one of the client's requests.
    Response,
    /// Application data a peer sent through the relay (a Data indication
    /// or ChannelData), borrowed from the received packet.
    Data(Received<'a>),
    /// Not the client's: from another address or transport than the
    /// server's, or an answer to no request in flight (a late
    /// retransmission).
    NotMine,
}

/// Why a packet from the server was dropped. The client stays usable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// Neither STUN nor ChannelData, or malformed.
    #[error("malformed packet: {0}")]
    Malformed(crate::ParseError),
    /// A response whose MESSAGE-INTEGRITY did not verify.
    #[error("response failed its integrity check")]
    BadIntegrity,
    /// ChannelData on a channel that is not bound.
    #[error("ChannelData on unbound channel {0:#06x}")]
    UnknownChannel(u16),
    /// A STUN message the client has no use for (a request, or an
    /// indication other than Data).
    #[error("unexpected STUN message")]
    Unexpected,
    /// An answer that fails the request's checks (another method, a bad
    /// FINGERPRINT).
    #[error("bad response: {0}")]
    Response(crate::transaction::RecvError),
}

/// Why data could not be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SendError {
    /// There is no allocation (yet, or any more).
    #[error("no allocation")]
    NotAllocated,
    /// Too many permissions or channels.
    #[error("permission table full")]
    TooManyPermissions,
    /// The data does not fit in one message.
    #[error("data too large for one TURN message")]
    TooLarge,
    /// The peer address family differs from the relayed address's.
    #[error("peer address family differs from the relayed address family")]
    FamilyMismatch,
}

/// The allocation's life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Allocate in flight (possibly after a 401).
    Allocating,
    /// Allocated until `expires`; refreshed at `refresh_at`.
    Allocated {
        relayed: SocketAddr,
        expires: Instant,
        refresh_at: Instant,
    },
    /// A Refresh with LIFETIME 0 is in flight.
    Deallocating,
    /// Nothing more to do (failed, lost or released); a credential change
    /// starts over.
    Closed,
}

/// Credentials learnt from the server's 401.
#[derive(Debug, Clone)]
struct Auth {
    realm: String,
    nonce: String,
    key: LongTermKey,
    /// PASSWORD-ALGORITHMS as the server sent it (echoed in requests).
    algorithms: Vec<(u16, Vec<u8>)>,
    /// The chosen PASSWORD-ALGORITHM, when the server offered a list.
    algorithm: Option<u16>,
    /// Send USERHASH instead of USERNAME.
    userhash: Option<[u8; 32]>,
}

/// What a request in flight is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Allocate,
    Refresh { lifetime: u32 },
    Permission(IpAddr),
    ChannelBind { peer: SocketAddr, channel: u16 },
}

struct Pending {
    purpose: Purpose,
    transaction: ClientTransaction,
    auth_retries: u8,
    /// Whether this is the retry after a 401 to credentials (there is no
    /// second one).
    refused_once: bool,
    /// Whether the request carried MESSAGE-INTEGRITY (its answer must too).
    authenticated: bool,
}

#[derive(Debug, Clone, Copy)]
struct Permission {
    /// Installed until then (`None` while the first CreatePermission is in
    /// flight).
    expires: Option<Instant>,
    refresh_at: Option<Instant>,
    in_flight: bool,
}

#[derive(Debug, Clone, Copy)]
struct Channel {
    number: u16,
    expires: Option<Instant>,
    refresh_at: Option<Instant>,
    in_flight: bool,
}

/// A sans-IO TURN client for one allocation. See the [module docs](super).
pub struct Client {
    config: Config,
    state: State,
    auth: Option<Auth>,
    mapped: Option<SocketAddr>,
    pending: Vec<Pending>,
    queued: VecDeque<Purpose>,
    permissions: BTreeMap<IpAddr, Permission>,
    channels: BTreeMap<SocketAddr, Channel>,
    channel_peers: BTreeMap<u16, SocketAddr>,
    next_channel: u16,
    outbox: Outbox,
    events: Queue<Event>,
    rng: Rng,
    /// A credential change waits for the old allocation's release.
    reallocate_after_release: bool,
}

impl core::fmt::Debug for Client {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Client")
            .field("server", &self.config.server)
            .field("state", &self.state)
            .field("permissions", &self.permissions.len())
            .field("channels", &self.channels.len())
            .finish_non_exhaustive()
    }
}

impl Client {
    /// A client that starts allocating at once: the first
    /// [`poll_transmit`](Self::poll_transmit) is the Allocate request.
    pub fn new(config: Config, now: Instant) -> Self {
        let rng = Rng::new(config.seed);
        let mut client = Self {
            config,
            state: State::Allocating,
            auth: None,
            mapped: None,
            pending: Vec::new(),
            queued: VecDeque::new(),
            permissions: BTreeMap::new(),
            channels: BTreeMap::new(),
            channel_peers: BTreeMap::new(),
            next_channel: MIN_CHANNEL,
            outbox: Outbox::new(MAX_QUEUED_TRANSMITS),
            events: Queue::new(MAX_QUEUED_EVENTS),
            rng,
            reallocate_after_release: false,
        };
        client.start(now, Purpose::Allocate);
        client
    }

    // ----- inputs -------------------------------------------------------

    /// Handles one datagram (over TCP, one message cut out of the stream
    /// by a [`StreamReader`](crate::framing::StreamReader)). Relayed
    /// application data comes back as [`Handled::Data`], borrowed from
    /// `packet`.
    pub fn handle_receive<'a>(
        &mut self,
        now: Instant,
        packet: Receive<'a>,
    ) -> Result<Handled<'a>, RecvError> {
        if packet.source != self.config.server || packet.transport != self.config.transport {
            return Ok(Handled::NotMine);
        }
        let bytes = packet.contents;
        match bytes.first() {
            Some(0x40..=0x4F) => {
                let message = ChannelData::parse(bytes, self.config.transport)
                    .map_err(RecvError::Malformed)?;
                let peer = *self
                    .channel_peers
                    .get(&message.channel_number)
                    .ok_or(RecvError::UnknownChannel(message.channel_number))?;
                Ok(Handled::Data(Received {
                    peer,
                    data: message.data,
                }))
            }
            _ => {
                let message = Message::parse(bytes).map_err(RecvError::Malformed)?;
                match message.class() {
                    Class::Indication if message.method() == Method::DATA => {
                        let (Some(peer), Some(data)) = (message.xor_peer_address(), message.data())
                        else {
                            return Err(RecvError::Unexpected);
                        };
                        Ok(Handled::Data(Received { peer, data }))
                    }
                    Class::SuccessResponse | Class::ErrorResponse => {
                        self.handle_response(now, &message)
                    }
                    _ => Err(RecvError::Unexpected),
                }
            }
        }
    }

    /// Advances timers: retransmissions, refreshes, expiry.
    pub fn handle_timeout(&mut self, now: Instant) {
        // Transactions first. Timed-out ones are taken out before their
        // failures are handled, since a failure may clear the whole table.
        let mut timed_out = Vec::new();
        let mut index = 0;
        while let Some(pending) = self.pending.get_mut(index) {
            pending.transaction.handle_timeout(now);
            while let Some(transmit) = pending.transaction.poll_transmit() {
                self.outbox.push(transmit);
            }
            if pending.transaction.is_timed_out() {
                timed_out.push(self.pending.swap_remove(index).purpose);
            } else {
                index += 1;
            }
        }
        for purpose in timed_out {
            self.fail(now, purpose, ServerError::timeout());
        }
        self.drain_queue(now);

        // Allocation refresh and expiry.
        if let State::Allocated {
            expires,
            refresh_at,
            ..
        } = self.state
        {
            if now >= expires {
                self.lose();
                return;
            }
            if now >= refresh_at && !self.in_flight(|p| matches!(p, Purpose::Refresh { .. })) {
                let lifetime = self.requested_lifetime_secs().unwrap_or(600);
                self.start(now, Purpose::Refresh { lifetime });
            }
        }
        if !matches!(self.state, State::Allocated { .. }) {
            return;
        }

        // Permission and channel refreshes.
        let due_permissions: Vec<IpAddr> = self
            .permissions
            .iter()
            .filter(|(_, p)| !p.in_flight && p.refresh_at.is_some_and(|t| now >= t))
            .map(|(ip, _)| *ip)
            .collect();
        for ip in due_permissions {
            self.request_permission(now, ip);
        }
        let due_channels: Vec<SocketAddr> = self
            .channels
            .iter()
            .filter(|(_, c)| !c.in_flight && c.refresh_at.is_some_and(|t| now >= t))
            .map(|(peer, _)| *peer)
            .collect();
        for peer in due_channels {
            self.request_channel(now, peer);
        }
        // Expired ones are forgotten.
        self.permissions
            .retain(|_, p| p.in_flight || p.expires.is_none_or(|t| now < t));
        let expired: Vec<(SocketAddr, u16)> = self
            .channels
            .iter()
            .filter(|(_, c)| !c.in_flight && c.expires.is_some_and(|t| now >= t))
            .map(|(peer, c)| (*peer, c.number))
            .collect();
        for (peer, number) in expired {
            self.channels.remove(&peer);
            self.channel_peers.remove(&number);
        }
    }

    // ----- commands -----------------------------------------------------

    /// Installs (and keeps refreshing) a permission for a peer's IP address,
    /// so the server relays its data.
    pub fn create_permission(&mut self, now: Instant, peer: IpAddr) -> Result<(), SendError> {
        self.check_peer_family(peer)?;
        if !self.permissions.contains_key(&peer) && self.permissions.len() >= MAX_PERMISSIONS {
            return Err(SendError::TooManyPermissions);
        }
        if self.permissions.get(&peer).is_some_and(|p| p.in_flight) {
            return Ok(());
        }
        self.request_permission(now, peer);
        Ok(())
    }

    /// Binds a channel to a peer (which also installs its permission), so
    /// data to and from it travels as 4-byte-header ChannelData. Returns the
    /// channel number; data uses it once [`Event::ChannelBound`] arrives.
    pub fn bind_channel(&mut self, now: Instant, peer: SocketAddr) -> Result<u16, SendError> {
        self.check_peer_family(peer.ip())?;
        if let Some(channel) = self.channels.get(&peer) {
            return Ok(channel.number);
        }
        if self.channels.len() >= MAX_CHANNELS {
            return Err(SendError::TooManyPermissions);
        }
        let number = self.free_channel().ok_or(SendError::TooManyPermissions)?;
        self.channels.insert(
            peer,
            Channel {
                number,
                expires: None,
                refresh_at: None,
                in_flight: false,
            },
        );
        self.request_channel(now, peer);
        Ok(number)
    }

    /// Sends data to a peer through the relay: as ChannelData when a channel
    /// to the peer is bound, otherwise as a Send indication. Installs a
    /// permission for the peer's IP if there is none; until the server
    /// confirms it ([`Event::PermissionCreated`]) the server may drop data,
    /// as an unreliable transport may.
    pub fn send_to(
        &mut self,
        now: Instant,
        peer: SocketAddr,
        data: &[u8],
    ) -> Result<(), SendError> {
        self.check_peer_family(peer.ip())?;
        if !self.permissions.contains_key(&peer.ip()) {
            self.create_permission(now, peer.ip())?;
        }
        let bound = self
            .channels
            .get(&peer)
            .filter(|c| c.expires.is_some())
            .map(|c| c.number);
        let (local, server, transport) =
            (self.config.local, self.config.server, self.config.transport);
        match bound {
            Some(number) => {
                let message = ChannelData::new(number, data);
                self.outbox
                    .push_with(
                        local,
                        server,
                        transport,
                        message.encoded_len(transport),
                        |buf| message.write_to(buf, transport),
                    )
                    .map_err(|_| SendError::TooLarge)?;
            }
            None => {
                let attributes = [Attribute::XorPeerAddress(peer), Attribute::Data(data)];
                let transaction_id = self.next_transaction_id();
                let max_len = encoded_len_bound(&attributes);
                self.outbox
                    .push_with(local, server, transport, max_len, |buf| {
                        write_message(
                            buf,
                            Class::Indication,
                            Method::SEND,
                            transaction_id,
                            &attributes,
                            None,
                        )
                    })
                    .map_err(|_| SendError::TooLarge)?;
            }
        }
        Ok(())
    }

    /// Releases the allocation (Refresh with LIFETIME 0).
    /// [`Event::Deallocated`] follows.
    pub fn deallocate(&mut self, now: Instant) {
        match self.state {
            State::Allocated { .. } => {
                // Requests for the allocation are moot now.
                self.pending.clear();
                self.queued.clear();
                self.state = State::Deallocating;
                self.start(now, Purpose::Refresh { lifetime: 0 });
            }
            State::Allocating => {
                self.pending.clear();
                self.queued.clear();
                self.state = State::Closed;
                self.events.push(Event::Deallocated);
            }
            State::Deallocating | State::Closed => {}
        }
    }

    /// Changes the credentials and allocates again. A live allocation is
    /// released first with the old credentials, so the new Allocate does not
    /// meet 437 (Allocation Mismatch) on the same 5-tuple.
    pub fn set_credentials(&mut self, now: Instant, username: &str, password: &str) {
        let had_allocation = matches!(self.state, State::Allocated { .. });
        if had_allocation {
            self.deallocate(now);
        }
        self.config.username = username.to_string();
        self.config.password = password.to_string();
        if had_allocation {
            // The release still uses the old key, kept in `auth`.
            self.reallocate_after_release = true;
        } else {
            self.auth = None;
            self.pending.clear();
            self.queued.clear();
            self.restart_allocation(now);
        }
    }

    // ----- outputs ------------------------------------------------------

    /// The next packet to send to the server.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.outbox.pop()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let transactions = self
            .pending
            .iter()
            .filter_map(|p| p.transaction.poll_timeout());
        let allocation = match self.state {
            State::Allocated {
                expires,
                refresh_at,
                ..
            } => {
                if self.in_flight(|p| matches!(p, Purpose::Refresh { .. })) {
                    Some(expires)
                } else {
                    Some(refresh_at.min(expires))
                }
            }
            _ => None,
        };
        let permissions = self
            .permissions
            .values()
            .filter(|p| !p.in_flight)
            .filter_map(|p| p.refresh_at);
        let channels = self
            .channels
            .values()
            .filter(|c| !c.in_flight)
            .filter_map(|c| c.refresh_at);
        transactions
            .chain(allocation)
            .chain(permissions)
            .chain(channels)
            .min()
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop()
    }

    // ----- getters ------------------------------------------------------

    /// The relayed transport address, once allocated.
    pub const fn relayed_address(&self) -> Option<SocketAddr> {
        match self.state {
            State::Allocated { relayed, .. } => Some(relayed),
            _ => None,
        }
    }

    /// The client's address as the server saw it, once allocated.
    pub const fn mapped_address(&self) -> Option<SocketAddr> {
        self.mapped
    }

    /// Whether a permission for this IP is installed.
    pub fn has_permission(&self, peer: IpAddr) -> bool {
        self.permissions
            .get(&peer)
            .is_some_and(|p| p.expires.is_some())
    }

    /// The bound channel to this peer, if confirmed by the server.
    pub fn channel(&self, peer: SocketAddr) -> Option<u16> {
        self.channels
            .get(&peer)
            .filter(|c| c.expires.is_some())
            .map(|c| c.number)
    }

    /// Packets and events dropped because the caller did not drain
    /// [`poll_transmit`](Self::poll_transmit) and
    /// [`poll_event`](Self::poll_event).
    pub const fn overflow(&self) -> Overflow {
        Overflow {
            transmits: self.outbox.dropped(),
            events: self.events.dropped(),
        }
    }

    /// The configuration (with the credentials last set).
    pub const fn config(&self) -> &Config {
        &self.config
    }

    /// Whether the client has stopped (allocation failed, lost or released).
    pub const fn is_closed(&self) -> bool {
        matches!(self.state, State::Closed)
    }

    // ----- internals ----------------------------------------------------

    fn check_peer_family(&self, peer: IpAddr) -> Result<(), SendError> {
        match self.state {
            State::Allocated { relayed, .. } => {
                if relayed.is_ipv4() == peer.is_ipv4() {
                    Ok(())
                } else {
                    Err(SendError::FamilyMismatch)
                }
            }
            _ => Err(SendError::NotAllocated),
        }
    }

    fn free_channel(&mut self) -> Option<u16> {
        for _ in 0..MAX_CHANNELS {
            let candidate = self.next_channel;
            self.next_channel = if candidate >= MAX_CHANNEL {
                MIN_CHANNEL
            } else {
                candidate + 1
            };
            if !self.channel_peers.contains_key(&candidate)
                && !self.channels.values().any(|c| c.number == candidate)
            {
                return Some(candidate);
            }
        }
        None
    }

    fn in_flight(&self, f: impl Fn(&Purpose) -> bool) -> bool {
        self.pending.iter().any(|p| f(&p.purpose))
    }

    fn requested_lifetime_secs(&self) -> Option<u32> {
        self.config
            .requested_lifetime
            .map(|d| u32::try_from(d.as_secs()).unwrap_or(u32::MAX))
    }

    fn request_permission(&mut self, now: Instant, peer: IpAddr) {
        let entry = self.permissions.entry(peer).or_insert(Permission {
            expires: None,
            refresh_at: None,
            in_flight: false,
        });
        entry.in_flight = true;
        self.start(now, Purpose::Permission(peer));
    }

    fn request_channel(&mut self, now: Instant, peer: SocketAddr) {
        let Some(channel) = self.channels.get_mut(&peer) else {
            return;
        };
        channel.in_flight = true;
        let number = channel.number;
        self.start(
            now,
            Purpose::ChannelBind {
                peer,
                channel: number,
            },
        );
    }

    fn next_transaction_id(&mut self) -> TransactionId {
        self.rng.transaction_id()
    }

    /// Sends a request for `purpose`, or queues it when too many are in
    /// flight.
    fn start(&mut self, now: Instant, purpose: Purpose) {
        if self.pending.len() >= MAX_IN_FLIGHT {
            if self.queued.len() < MAX_IN_FLIGHT * 4 && !self.queued.contains(&purpose) {
                self.queued.push_back(purpose);
            }
            return;
        }
        self.send_request(now, purpose, 0, false);
    }

    fn send_request(
        &mut self,
        now: Instant,
        purpose: Purpose,
        auth_retries: u8,
        refused_once: bool,
    ) {
        let transaction_id = self.next_transaction_id();
        let (method, mut attributes): (Method, Vec<Attribute<'_>>) = match purpose {
            Purpose::Allocate => {
                let mut list = alloc::vec![Attribute::RequestedTransport(PROTOCOL_UDP)];
                if let Some(lifetime) = self.requested_lifetime_secs() {
                    list.push(Attribute::Lifetime(lifetime));
                }
                if let Some(family) = self.config.requested_family {
                    list.push(Attribute::RequestedAddressFamily(family));
                }
                if self.config.dont_fragment {
                    list.push(Attribute::DontFragment);
                }
                (Method::ALLOCATE, list)
            }
            Purpose::Refresh { lifetime } => {
                (Method::REFRESH, alloc::vec![Attribute::Lifetime(lifetime)])
            }
            Purpose::Permission(ip) => (
                Method::CREATE_PERMISSION,
                alloc::vec![Attribute::XorPeerAddress(SocketAddr::new(ip, 0))],
            ),
            Purpose::ChannelBind { peer, channel } => (
                Method::CHANNEL_BIND,
                alloc::vec![
                    Attribute::ChannelNumber(channel),
                    Attribute::XorPeerAddress(peer),
                ],
            ),
        };
        if let Some(software) = &self.config.software {
            attributes.push(Attribute::Software(software));
        }
        let algorithm_list: Vec<PasswordAlgorithm<'_>>;
        let auth = self.auth.as_ref();
        if let Some(auth) = auth {
            match &auth.userhash {
                Some(hash) => attributes.push(Attribute::UserHash(hash)),
                None => attributes.push(Attribute::Username(&self.config.username)),
            }
            attributes.push(Attribute::Realm(&auth.realm));
            attributes.push(Attribute::Nonce(&auth.nonce));
            if let Some(algorithm) = auth.algorithm {
                algorithm_list = auth
                    .algorithms
                    .iter()
                    .map(|(algorithm, parameters)| PasswordAlgorithm {
                        algorithm: *algorithm,
                        parameters,
                    })
                    .collect();
                attributes.push(Attribute::PasswordAlgorithms(
                    PasswordAlgorithms::from_list(&algorithm_list),
                ));
                attributes.push(Attribute::PasswordAlgorithm(PasswordAlgorithm {
                    algorithm,
                    parameters: &[],
                }));
            }
        }
        let key = auth.map(|a| (a.key, a.algorithm == Some(PasswordAlgorithm::SHA256)));
        let Ok(bytes) = build(Class::Request, method, transaction_id, &attributes, key) else {
            let reason = "request does not fit in a STUN message";
            self.fail(now, purpose, ServerError::local(reason));
            return;
        };
        let request = Transmit {
            source: self.config.local,
            destination: self.config.server,
            transport: self.config.transport,
            contents: bytes.into(),
        };
        let Ok(mut transaction) = ClientTransaction::new(self.config.transaction, now, request)
        else {
            self.fail(
                now,
                purpose,
                ServerError::local("request could not be parsed back"),
            );
            return;
        };
        while let Some(transmit) = transaction.poll_transmit() {
            self.outbox.push(transmit);
        }
        self.pending.push(Pending {
            purpose,
            transaction,
            auth_retries,
            refused_once,
            authenticated: key.is_some(),
        });
    }

    fn handle_response<'a>(
        &mut self,
        now: Instant,
        message: &Message<'_>,
    ) -> Result<Handled<'a>, RecvError> {
        let Some(index) = self
            .pending
            .iter()
            .position(|p| p.transaction.transaction_id() == message.transaction_id())
        else {
            return Ok(Handled::NotMine);
        };
        let authenticated = self.pending.get(index).is_some_and(|p| p.authenticated);
        let error = message.error_code().map(|e| (e.code, e));
        // Responses to authenticated requests must carry valid integrity,
        // except the 401 and 438 challenges (RFC 8489 §9.2.5).
        let is_challenge = matches!(error, Some((401 | 438, _)));
        if authenticated && !is_challenge {
            let key = self.auth.as_ref().map(|a| a.key);
            let verified = key.is_some_and(|k| message.verify_integrity(k.as_bytes()).is_ok());
            if !verified {
                return Err(RecvError::BadIntegrity);
            }
        }
        // The transaction itself checks method and fingerprint; its
        // verdict is the client's.
        if let Some(pending) = self.pending.get_mut(index) {
            pending
                .transaction
                .handle_response(now, message)
                .map_err(RecvError::Response)?;
        }
        let pending = self.pending.swap_remove(index);
        let used_nonce = self.auth.as_ref().map(|a| a.nonce.as_str());
        let retry = match error {
            // The first challenge: learn realm and nonce, then authenticate.
            Some((401, _)) if !pending.authenticated => true,
            // Our credentials were refused. Only a nonce that changed since
            // (a server that sends 401 instead of 438) is worth one retry.
            Some((401, _)) => !pending.refused_once && message.nonce() != used_nonce,
            Some((438, _)) => pending.auth_retries < MAX_AUTH_RETRIES,
            _ => false,
        };
        match error {
            None if message.class() == Class::SuccessResponse => {
                self.succeed(now, pending.purpose, message);
            }
            Some((code @ (401 | 438), _)) if retry => match self.learn_auth(message, code == 438) {
                Ok(()) => {
                    let refused = pending.refused_once || (code == 401 && pending.authenticated);
                    self.send_request(now, pending.purpose, pending.auth_retries + 1, refused);
                }
                Err(reason) => self.fail(now, pending.purpose, reason),
            },
            Some((_, code)) => self.fail(now, pending.purpose, ServerError::from_code(code)),
            None => self.fail(
                now,
                pending.purpose,
                ServerError::local("error response without ERROR-CODE"),
            ),
        }
        self.drain_queue(now);
        Ok(Handled::Response)
    }

    fn drain_queue(&mut self, now: Instant) {
        while self.pending.len() < MAX_IN_FLIGHT {
            let Some(purpose) = self.queued.pop_front() else {
                break;
            };
            self.send_request(now, purpose, 0, false);
        }
    }

    /// Takes realm, nonce and the password algorithm from a 401 or 438.
    fn learn_auth(&mut self, message: &Message<'_>, stale: bool) -> Result<(), ServerError> {
        let nonce = message
            .nonce()
            .ok_or_else(|| ServerError::local("challenge without NONCE"))?;
        if stale {
            if let Some(auth) = &mut self.auth {
                auth.nonce = nonce.to_string();
                if let Some(realm) = message.realm() {
                    auth.realm = realm.to_string();
                }
                return Ok(());
            }
        }
        let realm = message
            .realm()
            .ok_or_else(|| ServerError::local("challenge without REALM"))?;
        let features = SecurityFeatures::from_nonce(nonce).unwrap_or_default();
        let mut algorithms = Vec::new();
        let mut algorithm = None;
        if features.contains(SecurityFeatures::PASSWORD_ALGORITHMS) {
            if let Some(offered) = message.password_algorithms() {
                algorithms = offered
                    .iter()
                    .map(|a| (a.algorithm, a.parameters.to_vec()))
                    .collect();
                algorithm = if offered.contains(PasswordAlgorithm::SHA256) {
                    Some(PasswordAlgorithm::SHA256)
                } else if offered.contains(PasswordAlgorithm::MD5) {
                    Some(PasswordAlgorithm::MD5)
                } else {
                    return Err(ServerError::local(
                        "the server offers no password algorithm this client supports",
                    ));
                };
            }
        }
        let key = LongTermKey::derive(
            algorithm.unwrap_or(PasswordAlgorithm::MD5),
            &self.config.username,
            realm,
            &self.config.password,
            self.config.preparation,
        )
        .map_err(|e| ServerError::local(&e.to_string()))?;
        let userhash = if features.contains(SecurityFeatures::USERNAME_ANONYMITY) {
            Some(
                userhash(&self.config.username, realm)
                    .map_err(|e| ServerError::local(&e.to_string()))?,
            )
        } else {
            None
        };
        self.auth = Some(Auth {
            realm: realm.to_string(),
            nonce: nonce.to_string(),
            key,
            algorithms,
            algorithm,
            userhash,
        });
        Ok(())
    }

    fn succeed(&mut self, now: Instant, purpose: Purpose, message: &Message<'_>) {
        match purpose {
            Purpose::Allocate => {
                let Some(relayed) = message.xor_relayed_address() else {
                    self.fail(
                        now,
                        purpose,
                        ServerError::local("Allocate success without XOR-RELAYED-ADDRESS"),
                    );
                    return;
                };
                let lifetime = Duration::from_secs(u64::from(message.lifetime().unwrap_or(600)));
                self.mapped = message.xor_mapped_address();
                self.state = State::Allocated {
                    relayed,
                    expires: now + lifetime,
                    refresh_at: now + refresh_delay(lifetime),
                };
                self.events.push(Event::Allocated {
                    relayed,
                    mapped: self.mapped,
                    lifetime,
                });
            }
            Purpose::Refresh { lifetime: 0 } => self.released(now),
            Purpose::Refresh { .. } => {
                let lifetime = Duration::from_secs(u64::from(message.lifetime().unwrap_or(600)));
                if let State::Allocated { relayed, .. } = self.state {
                    if lifetime.is_zero() {
                        self.released(now);
                        return;
                    }
                    self.state = State::Allocated {
                        relayed,
                        expires: now + lifetime,
                        refresh_at: now + refresh_delay(lifetime),
                    };
                    self.events.push(Event::Refreshed { lifetime });
                }
            }
            Purpose::Permission(ip) => {
                if let Some(permission) = self.permissions.get_mut(&ip) {
                    permission.in_flight = false;
                    permission.expires = Some(now + PERMISSION_LIFETIME);
                    permission.refresh_at = Some(now + PERMISSION_LIFETIME - REFRESH_MARGIN);
                    self.events.push(Event::PermissionCreated(ip));
                }
            }
            Purpose::ChannelBind { peer, channel } => {
                if let Some(binding) = self.channels.get_mut(&peer) {
                    binding.in_flight = false;
                    binding.expires = Some(now + CHANNEL_LIFETIME);
                    binding.refresh_at = Some(now + CHANNEL_LIFETIME - REFRESH_MARGIN);
                    let first = self.channel_peers.insert(channel, peer).is_none();
                    // A channel binding installs or refreshes the permission.
                    let permission = self.permissions.entry(peer.ip()).or_insert(Permission {
                        expires: None,
                        refresh_at: None,
                        in_flight: false,
                    });
                    permission.expires = Some(now + PERMISSION_LIFETIME);
                    if !permission.in_flight {
                        permission.refresh_at = Some(now + PERMISSION_LIFETIME - REFRESH_MARGIN);
                    }
                    if first {
                        self.events.push(Event::ChannelBound { peer, channel });
                    }
                }
            }
        }
    }

    fn fail(&mut self, now: Instant, purpose: Purpose, error: ServerError) {
        match purpose {
            Purpose::Allocate => {
                self.state = State::Closed;
                self.pending.clear();
                self.queued.clear();
                self.events.push(Event::AllocationFailed(error));
            }
            Purpose::Refresh { lifetime: 0 } => self.released(now),
            Purpose::Refresh { .. } => {
                if error.code == ErrorCode::ALLOCATION_MISMATCH {
                    // The server no longer has the allocation.
                    self.lose();
                } else {
                    self.events.push(Event::RefreshFailed(error));
                    self.lose();
                }
            }
            Purpose::Permission(ip) => {
                self.permissions.remove(&ip);
                self.events.push(Event::PermissionFailed(ip, error));
            }
            Purpose::ChannelBind { peer, channel } => {
                if self
                    .channels
                    .get(&peer)
                    .is_some_and(|c| c.expires.is_none())
                {
                    self.channels.remove(&peer);
                    self.channel_peers.remove(&channel);
                } else if let Some(binding) = self.channels.get_mut(&peer) {
                    binding.in_flight = false;
                }
                self.events.push(Event::ChannelBindFailed(peer, error));
            }
        }
    }

    /// The allocation is gone without a release.
    fn lose(&mut self) {
        self.state = State::Closed;
        self.pending.clear();
        self.queued.clear();
        self.permissions.clear();
        self.channels.clear();
        self.channel_peers.clear();
        self.events.push(Event::AllocationLost);
    }

    /// The allocation was released on purpose.
    fn released(&mut self, now: Instant) {
        self.state = State::Closed;
        self.permissions.clear();
        self.channels.clear();
        self.channel_peers.clear();
        self.events.push(Event::Deallocated);
        if core::mem::take(&mut self.reallocate_after_release) {
            self.auth = None;
            self.restart_allocation(now);
        }
    }

    fn restart_allocation(&mut self, now: Instant) {
        self.state = State::Allocating;
        self.mapped = None;
        self.start(now, Purpose::Allocate);
    }
}

/// When to refresh something that lives `lifetime`: a minute before it
/// expires, or half-way for lifetimes shorter than two minutes.
fn refresh_delay(lifetime: Duration) -> Duration {
    if lifetime >= 2 * REFRESH_MARGIN {
        lifetime - REFRESH_MARGIN
    } else {
        lifetime / 2
    }
}

/// An upper bound of the encoded length of a message with `attributes` and
/// MESSAGE-INTEGRITY(-SHA256).
fn encoded_len_bound(attributes: &[Attribute<'_>]) -> usize {
    crate::HEADER_LEN
        + attributes.iter().map(Attribute::encoded_len).sum::<usize>()
        + crate::MESSAGE_INTEGRITY_SHA256_LEN
}

/// Writes a message into `buf`, with MESSAGE-INTEGRITY (or
/// MESSAGE-INTEGRITY-SHA256 when `sha256`) when a key is given; returns its
/// length.
fn write_message(
    buf: &mut [u8],
    class: Class,
    method: Method,
    transaction_id: TransactionId,
    attributes: &[Attribute<'_>],
    key: Option<(LongTermKey, bool)>,
) -> Result<usize, crate::WriteError> {
    let mut builder = MessageBuilder::new(buf, class, method, transaction_id)?;
    for attribute in attributes {
        builder.add(attribute)?;
    }
    match key {
        Some((key, true)) => {
            builder.add_message_integrity_sha256(key.as_bytes())?;
        }
        Some((key, false)) => {
            builder.add_message_integrity(key.as_bytes())?;
        }
        None => {}
    }
    Ok(builder.finish())
}

/// Builds a message into a new buffer (see [`write_message`]).
fn build(
    class: Class,
    method: Method,
    transaction_id: TransactionId,
    attributes: &[Attribute<'_>],
    key: Option<(LongTermKey, bool)>,
) -> Result<Vec<u8>, crate::WriteError> {
    let mut buf = alloc::vec![0u8; encoded_len_bound(attributes)];
    let len = write_message(&mut buf, class, method, transaction_id, attributes, key)?;
    buf.truncate(len);
    Ok(buf)
}
