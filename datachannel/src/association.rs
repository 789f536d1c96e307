//! [`Association`]: the one SCTP association of a peer connection and the
//! data channels it carries, over [`sctp_proto`].

use alloc::collections::{BTreeMap, BTreeSet, VecDeque};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use core::time::Duration;
use std::time::Instant;

use bytes::Bytes;
use sansrtc_stun::Overflow;
use sansrtc_stun::drive::Queue;
use sctp_proto::{
    AssociationError, AssociationHandle, ClientConfig, DatagramEvent, Endpoint, EndpointConfig,
    PayloadProtocolIdentifier as Ppid, ReliabilityType, ServerConfig, StreamEvent, TransportConfig,
};

use crate::channel::{
    Channel, ChannelId, ChannelOptions, ChannelState, Message, Payload, Reliability,
};
use crate::dcep::{self, ChannelType, Open};
use crate::error::{Error, ReceiveError};

/// The SCTP port WebRTC uses when `a=sctp-port` is absent (RFC 8841 §5).
pub const DEFAULT_SCTP_PORT: u16 = 5000;

/// Most data channels an association holds at once, ours and the peer's
/// together; stream ids go from 0 to `MAX_CHANNELS - 1`, as in Chromium.
/// A DATA_CHANNEL_OPEN past the cap is refused (its stream is reset).
pub const MAX_CHANNELS: usize = 1024;

/// The `a=max-message-size` we advertise by default: the largest message
/// we accept (Chromium's value).
///
/// <https://www.rfc-editor.org/rfc/rfc8841#section-6>
pub const DEFAULT_MAX_MESSAGE_SIZE: u32 = 256 * 1024;

/// The peer's limit when its description has no `a=max-message-size`
/// (RFC 8841 §6.1).
pub const DEFAULT_REMOTE_MAX_MESSAGE_SIZE: u32 = 64 * 1024;

/// Default cap on bytes queued for sending across all channels (as in
/// Chromium, whose `send` fails past 16 MiB of `bufferedAmount`).
pub const DEFAULT_MAX_BUFFERED_AMOUNT: usize = 16 * 1024 * 1024;

/// Default memory for messages being reassembled and received messages not
/// yet handed out: the receive window advertised to the peer.
pub const DEFAULT_RECEIVE_BUFFER_SIZE: u32 = 1024 * 1024;

/// Default largest SCTP packet (the payload of one DTLS record), leaving
/// room for DTLS, UDP, IP and TURN headers within a 1280-byte IPv6 path.
pub const DEFAULT_MAX_PACKET_SIZE: usize = 1200;

/// Smallest SCTP packet size accepted in [`Config::max_packet_size`].
pub const MIN_PACKET_SIZE: usize = 256;

/// Most events waiting in [`Association::poll_event`]. Messages stop being
/// read from SCTP while the queue is nearly full (the peer's sending then
/// waits on the receive window), so a caller that drains late loses no
/// message; other events past the cap are dropped and counted.
pub const MAX_EVENTS: usize = 1024;

/// Most DATA chunks accepted beyond the peer's cumulative TSN as our latest
/// SACK acknowledged it. A packet carrying DATA further ahead is refused
/// ([`ReceiveError::BeyondWindow`]) before it reaches sctp-proto, which,
/// once its receive window is full, still stores every chunk that fills a
/// gap below the highest TSN seen: without this bound a peer could make it
/// hold up to 2^31 chunks. A sender that respects our window never comes
/// near it with full-size chunks (a 1 MiB window is about 900 of them).
pub const MAX_TSN_GAP: u32 = 4096;

/// Event slots kept free of messages for channel and association events.
const RESERVED_EVENTS: usize = 64;

/// SCTP common header (RFC 9260 §3.1).
const COMMON_HEADER_LEN: usize = 12;
/// SCTP common header plus DATA chunk header: what a full packet adds to
/// its payload.
const DATA_OVERHEAD: usize = COMMON_HEADER_LEN + 16;
/// Chunk type of DATA.
const CHUNK_DATA: u8 = 0;
/// Chunk type of INIT.
const CHUNK_INIT: u8 = 1;
/// Chunk type of INIT ACK.
const CHUNK_INIT_ACK: u8 = 2;
/// Chunk type of SACK.
const CHUNK_SACK: u8 = 3;
/// Chunk type of I-DATA (RFC 8260).
const CHUNK_I_DATA: u8 = 64;
/// Chunk type of ABORT.
const CHUNK_ABORT: u8 = 6;
/// Chunk type of SHUTDOWN.
const CHUNK_SHUTDOWN: u8 = 7;
/// Chunk type of SHUTDOWN COMPLETE.
const CHUNK_SHUTDOWN_COMPLETE: u8 = 14;
/// Payload of an empty message (RFC 8831 §6.6: one zero byte with the
/// "empty" PPIDs).
const EMPTY_PAYLOAD: [u8; 1] = [0];

/// Our DTLS role, which picks the stream ids we open (RFC 8832 §6: even
/// for the DTLS client, odd for the server) and who sends the SCTP INIT.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DtlsRole {
    /// The DTLS client: opens channels on even stream ids and starts the
    /// association on [`Association::connect`].
    Client,
    /// The DTLS server: odd stream ids; answers the client's INIT.
    Server,
}

impl DtlsRole {
    /// The parity (0 even, 1 odd) of the stream ids this side opens.
    const fn parity(self) -> u16 {
        match self {
            Self::Client => 0,
            Self::Server => 1,
        }
    }
}

/// How an [`Association`] behaves: start from [`Config::new`] and set what
/// differs from its defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Config {
    /// Our DTLS role.
    pub role: DtlsRole,
    /// Our `a=sctp-port`.
    pub local_port: u16,
    /// The peer's `a=sctp-port`.
    pub remote_port: u16,
    /// Our `a=max-message-size`: the largest message we accept. A larger one
    /// makes the SCTP layer abort the association.
    pub max_message_size: u32,
    /// The peer's `a=max-message-size` ([`DEFAULT_REMOTE_MAX_MESSAGE_SIZE`]
    /// when its description has none; 0 means it accepts any size, and then
    /// only [`max_buffered_amount`](Self::max_buffered_amount) limits a
    /// message). Larger sends are refused with [`Error::MessageTooLarge`].
    pub remote_max_message_size: u32,
    /// Cap on bytes queued for sending across all channels
    /// ([`Error::BufferFull`] past it).
    pub max_buffered_amount: usize,
    /// Memory for messages being reassembled and received messages not yet
    /// handed out (the SCTP receive window).
    pub receive_buffer_size: u32,
    /// Largest SCTP packet [`Association::poll_transmit`] hands out.
    pub max_packet_size: usize,
    /// INIT retransmissions before the association fails; `None` retries
    /// for ever.
    pub max_init_retransmits: Option<usize>,
    /// Initial retransmission timeout (RFC 9260 §16: 1 s).
    pub rto_initial: Duration,
    /// Lower bound of the retransmission timeout.
    pub rto_min: Duration,
    /// Upper bound of the retransmission timeout.
    pub rto_max: Duration,
}

impl Config {
    /// An association for our DTLS `role` on port 5000 at both ends,
    /// advertising [`DEFAULT_MAX_MESSAGE_SIZE`] and assuming the peer's
    /// default of [`DEFAULT_REMOTE_MAX_MESSAGE_SIZE`].
    pub fn new(role: DtlsRole) -> Self {
        Self {
            role,
            local_port: DEFAULT_SCTP_PORT,
            remote_port: DEFAULT_SCTP_PORT,
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
            remote_max_message_size: DEFAULT_REMOTE_MAX_MESSAGE_SIZE,
            max_buffered_amount: DEFAULT_MAX_BUFFERED_AMOUNT,
            receive_buffer_size: DEFAULT_RECEIVE_BUFFER_SIZE,
            max_packet_size: DEFAULT_MAX_PACKET_SIZE,
            max_init_retransmits: Some(8),
            rto_initial: Duration::from_secs(1),
            rto_min: Duration::from_millis(200),
            rto_max: Duration::from_secs(60),
        }
    }

    /// Sets our and the peer's `a=sctp-port`.
    #[must_use]
    pub fn with_ports(mut self, local_port: u16, remote_port: u16) -> Self {
        self.local_port = local_port;
        self.remote_port = remote_port;
        self
    }

    /// Sets the `a=max-message-size` we advertise.
    #[must_use]
    pub fn with_max_message_size(mut self, size: u32) -> Self {
        self.max_message_size = size;
        self
    }

    /// Sets the peer's `a=max-message-size` (0: any size).
    #[must_use]
    pub fn with_remote_max_message_size(mut self, size: u32) -> Self {
        self.remote_max_message_size = size;
        self
    }

    /// Sets the cap on queued outgoing bytes.
    #[must_use]
    pub fn with_max_buffered_amount(mut self, bytes: usize) -> Self {
        self.max_buffered_amount = bytes;
        self
    }

    /// Sets the receive buffer.
    #[must_use]
    pub fn with_receive_buffer_size(mut self, bytes: u32) -> Self {
        self.receive_buffer_size = bytes;
        self
    }

    /// Sets the largest SCTP packet (at least [`MIN_PACKET_SIZE`]).
    #[must_use]
    pub fn with_max_packet_size(mut self, bytes: usize) -> Self {
        self.max_packet_size = bytes.max(MIN_PACKET_SIZE);
        self
    }

    /// Sets the retransmission timeouts: initial, lowest and highest.
    #[must_use]
    pub fn with_rto(mut self, initial: Duration, min: Duration, max: Duration) -> Self {
        self.rto_initial = initial;
        self.rto_min = min;
        self.rto_max = max;
        self
    }

    /// Sets how many times INIT is retransmitted before giving up.
    #[must_use]
    pub fn with_max_init_retransmits(mut self, retransmits: Option<usize>) -> Self {
        self.max_init_retransmits = retransmits;
        self
    }

    /// The message size we advertise in `a=max-message-size`.
    pub fn sdp_max_message_size(&self) -> u32 {
        self.max_message_size
    }
}

/// Where the association is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum State {
    /// Created; the client has not called [`Association::connect`] and no
    /// INIT has arrived.
    New,
    /// The four-way handshake is under way.
    Connecting,
    /// Channels open and carry messages.
    Established,
    /// Lost, aborted or shut down: nothing more happens.
    Closed,
}

/// Why the association closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CloseReason {
    /// The handshake did not complete (no answer to INIT after the
    /// configured retransmissions, or a broken answer).
    HandshakeFailed,
    /// The peer aborted the association, or the SCTP layer gave up on the
    /// peer's input (a message over our `max-message-size`, for instance),
    /// and then an ABORT tells the peer.
    Aborted,
    /// The peer shut the association down.
    ShutDownByPeer,
    /// [`Association::shutdown`] completed.
    ShutDown,
    /// The peer restarted its side.
    Restarted,
    /// Retransmissions ran out.
    TimedOut,
    /// The receive buffer filled with partial messages that could never be
    /// completed.
    ReceiveBufferExhausted,
    /// The peer broke the SCTP rules.
    ProtocolViolation,
}

impl CloseReason {
    fn from_sctp(error: &AssociationError) -> Self {
        match error {
            AssociationError::HandshakeFailed(_) => Self::HandshakeFailed,
            AssociationError::TransportError => Self::ProtocolViolation,
            AssociationError::ReceiveBufferExhausted => Self::ReceiveBufferExhausted,
            AssociationError::ApplicationClosed => Self::ShutDownByPeer,
            AssociationError::Reset => Self::Restarted,
            AssociationError::TimedOut => Self::TimedOut,
            AssociationError::LocallyClosed => Self::ShutDown,
            _ => Self::Aborted,
        }
    }
}

/// What happened, from [`Association::poll_event`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// The SCTP handshake completed: channels created so far open now.
    AssociationEstablished,
    /// The association closed; every channel was reported closed before
    /// this event. Nothing more happens.
    AssociationClosed {
        /// Why.
        reason: CloseReason,
    },
    /// The peer opened a channel with DATA_CHANNEL_OPEN (`ondatachannel`);
    /// [`Association::channel`] describes it. [`Event::ChannelOpen`]
    /// follows.
    IncomingChannel {
        /// The new channel.
        channel: ChannelId,
    },
    /// The channel is open: messages can be sent.
    ChannelOpen {
        /// The channel.
        channel: ChannelId,
    },
    /// A message arrived.
    Message {
        /// On this channel.
        channel: ChannelId,
        /// The message.
        payload: Payload,
    },
    /// The channel's buffered amount fell to its low threshold or under.
    BufferedAmountLow {
        /// The channel.
        channel: ChannelId,
    },
    /// The channel is closing: [`Association::close`] was called, or the
    /// peer reset its stream. No more sending.
    ChannelClosing {
        /// The channel.
        channel: ChannelId,
    },
    /// The channel is closed (both streams reset, RFC 8831 §6.7); its id
    /// may be used again.
    ChannelClosed {
        /// The channel.
        channel: ChannelId,
    },
}

/// Counters of what the association dropped or ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct Stats {
    /// Messages that arrived on a stream without an open channel, or with a
    /// PPID that is not a WebRTC one.
    pub messages_dropped: u64,
    /// DCEP messages refused (malformed, wrong stream, past the channel
    /// cap); each refused DATA_CHANNEL_OPEN resets its stream.
    pub dcep_refused: u64,
    /// Well-formed packets that belong to no association of ours (a stray
    /// INIT once one exists, anything after the association closed).
    pub packets_ignored: u64,
}

/// One SCTP association and its data channels (RFC 8831, RFC 8832), for a
/// peer connection that carries its packets over DTLS.
///
/// Inputs are the SCTP packets DTLS decrypted ([`handle_receive`]) and the
/// time ([`handle_timeout`]); outputs are SCTP packets for DTLS to encrypt
/// ([`poll_transmit`]), the next deadline ([`poll_timeout`]) and events
/// ([`poll_event`]). Commands create, use and close channels. See the
/// [crate documentation](crate) for the whole loop.
///
/// [`handle_receive`]: Self::handle_receive
/// [`handle_timeout`]: Self::handle_timeout
/// [`poll_transmit`]: Self::poll_transmit
/// [`poll_timeout`]: Self::poll_timeout
/// [`poll_event`]: Self::poll_event
pub struct Association {
    config: Config,
    endpoint: Endpoint,
    handle: AssociationHandle,
    sctp: Option<sctp_proto::Association>,
    state: State,
    /// Initiate tag of the INIT that created the association, so that its
    /// retransmissions still reach it and other INITs do not.
    peer_init_tag: Option<u32>,
    channels: BTreeMap<u16, Channel>,
    /// Streams that may hold unread messages.
    readable: BTreeSet<u16>,
    /// Channels whose buffered amount is not zero.
    sending: BTreeSet<u16>,
    /// Stream ids whose reset failed: SCTP keeps them unusable.
    blocked_ids: BTreeSet<u16>,
    transmits: VecDeque<Bytes>,
    events: Queue<Event>,
    /// Bytes of the messages waiting in `events`.
    queued_message_bytes: usize,
    remote_max_message_size: u32,
    /// Why the association will close, when the SCTP layer's reason is
    /// less precise (a shutdown it reports as a close, a peer's ABORT).
    close_reason: Option<CloseReason>,
    /// The peer's TSN our latest SACK acknowledged cumulatively (before the
    /// first, its initial TSN minus one): DATA is accepted up to
    /// [`MAX_TSN_GAP`] past it.
    peer_cumulative_tsn: Option<u32>,
    /// The verification tag our packets carry (the peer's tag), for an
    /// ABORT of our own.
    peer_verification_tag: Option<u32>,
    last_now: Instant,
    /// Our time as the SCTP layer sees it.
    clock: Clock,
    stats: Stats,
}

impl core::fmt::Debug for Association {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Association")
            .field("role", &self.config.role)
            .field("state", &self.state)
            .field("channels", &self.channels.len())
            .finish_non_exhaustive()
    }
}

/// The address sctp-proto wants for its peer; packets never go there.
const PEER: SocketAddr = SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 5000));

impl Association {
    /// An association that does nothing until [`connect`](Self::connect)
    /// (or, on either side, until the peer's INIT arrives).
    pub fn new(config: Config, now: Instant) -> Self {
        let mut endpoint_config = EndpointConfig::new();
        let max_payload = config
            .max_packet_size
            .max(MIN_PACKET_SIZE)
            .saturating_sub(DATA_OVERHEAD);
        endpoint_config.max_payload_size(u32::try_from(max_payload).unwrap_or(u32::MAX));
        let mut server_config = ServerConfig::new();
        server_config.transport = Arc::new(transport_config(&config));
        let endpoint = Endpoint::new(Arc::new(endpoint_config), Some(Arc::new(server_config)));
        Self {
            remote_max_message_size: config.remote_max_message_size,
            config,
            endpoint,
            handle: AssociationHandle(0),
            sctp: None,
            state: State::New,
            peer_init_tag: None,
            channels: BTreeMap::new(),
            readable: BTreeSet::new(),
            sending: BTreeSet::new(),
            blocked_ids: BTreeSet::new(),
            transmits: VecDeque::new(),
            events: Queue::new(MAX_EVENTS),
            queued_message_bytes: 0,
            close_reason: None,
            peer_cumulative_tsn: None,
            peer_verification_tag: None,
            last_now: now,
            clock: Clock::new(now),
            stats: Stats::default(),
        }
    }

    // Inputs.

    /// Takes one SCTP packet (the payload of a DTLS application data
    /// record).
    ///
    /// `Ok` when the packet was taken or, well formed, belongs to nothing
    /// here (counted in [`Stats::packets_ignored`]); `Err` when it is broken.
    /// Either way the association stays usable.
    pub fn handle_receive(&mut self, now: Instant, packet: &[u8]) -> Result<(), ReceiveError> {
        self.last_now = now;
        let header = check_packet(
            packet,
            self.config.local_port,
            self.config.remote_port,
            self.peer_cumulative_tsn,
        )?;
        if self.state == State::Closed {
            self.stats.packets_ignored += 1;
            return Ok(());
        }
        if let Some(init_tag) = header.init_tag {
            // A stray INIT must not create a second association; the
            // retransmission of the one that created ours must reach it.
            if self.sctp.is_some() && self.peer_init_tag != Some(init_tag) {
                self.stats.packets_ignored += 1;
                return Ok(());
            }
        }
        let data = Bytes::copy_from_slice(packet);
        let sctp_now = self.clock.sctp_time(now);
        match self.endpoint.handle(sctp_now, PEER, None, None, data) {
            Some((handle, DatagramEvent::NewAssociation(association))) => {
                if self.sctp.is_some() {
                    self.stats.packets_ignored += 1;
                    return Ok(());
                }
                self.handle = handle;
                self.sctp = Some(association);
                self.peer_init_tag = header.init_tag;
                self.state = State::Connecting;
                if let Some(tsn) = header.initial_tsn {
                    self.peer_cumulative_tsn = Some(tsn.wrapping_sub(1));
                }
            }
            Some((handle, DatagramEvent::AssociationEvent(event))) => match self.sctp.as_mut() {
                Some(sctp) if handle == self.handle => {
                    sctp.handle_event(event);
                    if let (None, Some(tsn)) = (self.peer_cumulative_tsn, header.initial_tsn) {
                        self.peer_cumulative_tsn = Some(tsn.wrapping_sub(1));
                    }
                    // Name the reason the SCTP layer reports vaguely, once
                    // it took the chunk.
                    if header.abort && sctp.is_closed() {
                        self.close_reason.get_or_insert(CloseReason::Aborted);
                    } else if header.shutdown && (sctp.is_closing() || sctp.is_closed()) {
                        self.close_reason.get_or_insert(CloseReason::ShutDownByPeer);
                    }
                }
                _ => self.stats.packets_ignored += 1,
            },
            None => self.stats.packets_ignored += 1,
        }
        self.drive();
        Ok(())
    }

    /// Runs the timers due at `now`. Early or repeated calls do nothing
    /// harmful.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.last_now = now;
        let sctp_now = self.clock.sctp_time(now);
        if let Some(sctp) = self.sctp.as_mut() {
            sctp.handle_timeout(sctp_now);
        }
        self.drive();
    }

    // Commands.

    /// Starts the association: the DTLS client sends INIT. On the DTLS
    /// server it does nothing (the server answers the client's INIT, which
    /// either side accepts at any time before an association exists).
    /// Call it once DTLS is connected.
    pub fn connect(&mut self, now: Instant) -> Result<(), Error> {
        self.last_now = now;
        if self.state == State::Closed {
            return Err(Error::AssociationClosed);
        }
        if self.config.role == DtlsRole::Server || self.sctp.is_some() {
            return Ok(());
        }
        if self.config.local_port == 0 || self.config.remote_port == 0 {
            return Err(Error::InvalidPort);
        }
        let mut client = ClientConfig::new();
        client.transport = Arc::new(transport_config(&self.config));
        let (handle, association) = self
            .endpoint
            .connect(client, PEER)
            .map_err(|_| Error::Sctp("the SCTP endpoint refused to connect"))?;
        // The only timer running is T1-init, started from the system clock
        // one initial RTO before it fires: that instant is `now` for it.
        if let Some(t1_init) = association.poll_timeout() {
            let rto = self.config.rto_initial.min(self.config.rto_max);
            let rto = Duration::from_millis(millis(rto));
            if let Some(start) = t1_init.checked_sub(rto) {
                self.clock = Clock {
                    ours: now,
                    sctp: start,
                };
            }
        }
        self.handle = handle;
        self.sctp = Some(association);
        self.state = State::Connecting;
        self.drive();
        Ok(())
    }

    /// Creates a channel. Before the association is established it waits
    /// (state [`ChannelState::Connecting`]) and opens once it is; then
    /// [`Event::ChannelOpen`] reports it.
    ///
    /// In-band channels get the lowest free stream id of our parity;
    /// negotiated ones the id the options name, which must be free.
    pub fn create_channel(
        &mut self,
        now: Instant,
        options: ChannelOptions,
    ) -> Result<ChannelId, Error> {
        self.last_now = now;
        if self.state == State::Closed {
            return Err(Error::AssociationClosed);
        }
        for (what, value) in [("label", &options.label), ("protocol", &options.protocol)] {
            if value.len() > dcep::MAX_LABEL_LEN {
                return Err(Error::TooLong {
                    what,
                    len: value.len(),
                });
            }
        }
        if self.channels.len() >= MAX_CHANNELS {
            return Err(Error::TooManyChannels {
                limit: MAX_CHANNELS,
            });
        }
        let id = match options.negotiated {
            Some(id) => {
                if usize::from(id) >= MAX_CHANNELS {
                    return Err(Error::ChannelIdOutOfRange {
                        id,
                        max: MAX_CHANNELS as u16 - 1,
                    });
                }
                if self.channels.contains_key(&id) || self.blocked_ids.contains(&id) {
                    return Err(Error::ChannelIdInUse(ChannelId(id)));
                }
                id
            }
            None => self.free_id().ok_or(Error::TooManyChannels {
                limit: MAX_CHANNELS,
            })?,
        };
        let in_band = options.negotiated.is_none();
        self.channels.insert(
            id,
            Channel {
                id: ChannelId(id),
                label: options.label,
                protocol: options.protocol,
                ordered: options.ordered,
                reliability: options.reliability,
                priority: options.priority,
                negotiated: !in_band,
                state: ChannelState::Connecting,
                buffered_amount: 0,
                buffered_amount_low_threshold: 0,
                dcep_unacked: 0,
                remote: false,
                awaiting_ack: in_band,
                stream_open: false,
                closing_reported: false,
                incoming_reset: false,
            },
        );
        if self.state == State::Established {
            self.drive();
        }
        Ok(ChannelId(id))
    }

    /// Sends a message on an open channel.
    ///
    /// Refused when the channel is not open, when the message is larger
    /// than the peer's `a=max-message-size` ([`Error::MessageTooLarge`]) or
    /// when it would take the queued bytes over
    /// [`Config::max_buffered_amount`] ([`Error::BufferFull`]).
    pub fn send(
        &mut self,
        now: Instant,
        channel: ChannelId,
        message: Message<'_>,
    ) -> Result<(), Error> {
        self.last_now = now;
        let entry = self
            .channels
            .get(&channel.0)
            .ok_or(Error::UnknownChannel(channel))?;
        if entry.state != ChannelState::Open {
            return Err(Error::NotOpen {
                channel,
                state: entry.state,
            });
        }
        let len = message.len();
        let max = self.remote_max_message_size as usize;
        if max != 0 && len > max {
            return Err(Error::MessageTooLarge { len, max });
        }
        let buffered = self.total_buffered();
        let limit = self.config.max_buffered_amount;
        if buffered.saturating_add(len) > limit {
            return Err(Error::BufferFull {
                buffered,
                len,
                limit,
            });
        }
        let (ppid, data) = match message {
            Message::Text("") => (Ppid::StringEmpty, &EMPTY_PAYLOAD[..]),
            Message::Text(text) => (Ppid::String, text.as_bytes()),
            Message::Binary([]) => (Ppid::BinaryEmpty, &EMPTY_PAYLOAD[..]),
            Message::Binary(bytes) => (Ppid::Binary, bytes),
        };
        let sctp = self.sctp.as_mut().ok_or(Error::AssociationClosed)?;
        let mut stream = sctp.stream(channel.0).map_err(|_| Error::NotOpen {
            channel,
            state: ChannelState::Closing,
        })?;
        stream
            .write_with_ppi(data, ppid)
            .map_err(|error| match error {
                sctp_proto::Error::ErrOutboundPacketTooLarge => Error::MessageTooLarge { len, max },
                sctp_proto::Error::ErrStreamClosed => Error::NotOpen {
                    channel,
                    state: ChannelState::Closing,
                },
                _ => Error::Sctp("the SCTP stream refused the message"),
            })?;
        let amount = stream.buffered_amount().unwrap_or(0);
        if let Some(entry) = self.channels.get_mut(&channel.0) {
            entry.buffered_amount = amount.saturating_sub(entry.dcep_unacked);
        }
        self.sending.insert(channel.0);
        Ok(())
    }

    /// Closes a channel: its outgoing stream is reset once the messages
    /// queued on it are sent (RFC 8831 §6.7), the peer resets its own, and
    /// [`Event::ChannelClosing`] then [`Event::ChannelClosed`] report it.
    /// Closing a closing channel does nothing.
    pub fn close(&mut self, now: Instant, channel: ChannelId) -> Result<(), Error> {
        self.last_now = now;
        let entry = self
            .channels
            .get(&channel.0)
            .ok_or(Error::UnknownChannel(channel))?;
        match entry.state {
            ChannelState::Closing | ChannelState::Closed => return Ok(()),
            ChannelState::Connecting | ChannelState::Open => {}
        }
        let stream_open = entry.stream_open;
        self.report_closing(channel.0);
        if stream_open && self.reset_stream(channel.0) {
            // The reset completes later: ChannelClosed then.
        } else {
            self.finish_channel(channel.0);
        }
        self.drive();
        Ok(())
    }

    /// Sets the level at or under which [`Event::BufferedAmountLow`] fires
    /// for a channel (0 by default: when everything was sent).
    pub fn set_buffered_amount_low_threshold(
        &mut self,
        channel: ChannelId,
        threshold: usize,
    ) -> Result<(), Error> {
        let entry = self
            .channels
            .get_mut(&channel.0)
            .ok_or(Error::UnknownChannel(channel))?;
        entry.buffered_amount_low_threshold = threshold;
        if entry.stream_open {
            if let Some(mut stream) = self.sctp.as_mut().and_then(|s| s.stream(channel.0).ok()) {
                let _ = stream.set_buffered_amount_low_threshold(threshold);
            }
        }
        Ok(())
    }

    /// Sets the peer's `a=max-message-size` (after a new description; 0
    /// means any size).
    pub fn set_remote_max_message_size(&mut self, size: u32) {
        self.remote_max_message_size = size;
        if let Some(sctp) = self.sctp.as_mut() {
            sctp.set_max_send_message_size(sctp_send_limit(size));
        }
    }

    /// Shuts the association down gracefully (SCTP SHUTDOWN, once what is
    /// queued was acknowledged). [`Event::AssociationClosed`] with
    /// [`CloseReason::ShutDown`] reports the end.
    pub fn shutdown(&mut self, now: Instant) -> Result<(), Error> {
        self.last_now = now;
        match (self.state, self.sctp.as_mut()) {
            (State::Established, Some(sctp)) => {
                sctp.shutdown()
                    .map_err(|_| Error::Sctp("the SCTP association cannot shut down now"))?;
                self.close_reason.get_or_insert(CloseReason::ShutDown);
            }
            (State::Closed, _) => return Err(Error::AssociationClosed),
            _ => {
                // Nothing to shut down gracefully: close at once.
                if let Some(sctp) = self.sctp.as_mut() {
                    let _ = sctp.close();
                } else {
                    self.lose(CloseReason::ShutDown);
                }
            }
        }
        self.drive();
        Ok(())
    }

    // Outputs.

    /// The next SCTP packet to send (inside a DTLS application data record),
    /// at most [`Config::max_packet_size`] bytes.
    pub fn poll_transmit(&mut self) -> Option<Bytes> {
        loop {
            if let Some(packet) = self.transmits.pop_front() {
                return Some(packet);
            }
            if !self.pull_transmits() {
                return None;
            }
        }
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if !self.transmits.is_empty() {
            return Some(self.last_now);
        }
        let clock = self.clock;
        self.sctp
            .as_ref()
            .and_then(sctp_proto::Association::poll_timeout)
            .map(|at| clock.caller_time(at))
    }

    /// The next event.
    ///
    /// Taking a message out makes room for more: messages held back while
    /// the queue was full are read then, and the packets that frees (a
    /// window update) wait in [`poll_transmit`](Self::poll_transmit).
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop()?;
        if let Event::Message { payload, .. } = &event {
            self.queued_message_bytes = self.queued_message_bytes.saturating_sub(payload.len());
            if !self.readable.is_empty() && self.has_room_for_messages() {
                self.drive();
                while self.pull_transmits() {}
            }
        }
        Some(event)
    }

    // Getters.

    /// Where the association is.
    pub fn state(&self) -> State {
        self.state
    }

    /// Our DTLS role.
    pub fn role(&self) -> DtlsRole {
        self.config.role
    }

    /// The configuration it was made with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A channel, while it exists (until [`Event::ChannelClosed`]).
    pub fn channel(&self, channel: ChannelId) -> Option<&Channel> {
        self.channels.get(&channel.0)
    }

    /// Every channel, by id.
    pub fn channels(&self) -> impl Iterator<Item = &Channel> {
        self.channels.values()
    }

    /// A channel's buffered amount: bytes sent on it and not yet
    /// acknowledged, as of the latest input.
    pub fn buffered_amount(&self, channel: ChannelId) -> Option<usize> {
        self.channels.get(&channel.0).map(Channel::buffered_amount)
    }

    /// Bytes queued for sending on every channel.
    pub fn total_buffered_amount(&self) -> usize {
        self.total_buffered()
    }

    /// The peer's `a=max-message-size` in force.
    pub fn remote_max_message_size(&self) -> u32 {
        self.remote_max_message_size
    }

    /// Events dropped because the event queue was full (messages are never
    /// dropped: they wait in SCTP). No packet is ever dropped: they are made
    /// when [`poll_transmit`](Self::poll_transmit) asks.
    pub fn overflow(&self) -> Overflow {
        Overflow {
            transmits: 0,
            events: self.events.dropped(),
        }
    }

    /// What was dropped or ignored.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    /// The SCTP round-trip time estimate (its retransmission timeout), once
    /// an association exists.
    pub fn rto(&self) -> Option<Duration> {
        self.sctp.as_ref().map(sctp_proto::Association::rtt)
    }

    // The drive loop.

    /// Moves everything that can move: the SCTP layer's events, channels
    /// waiting to open, messages waiting to be read, buffered amounts.
    fn drive(&mut self) {
        // Each round handles what the previous one caused (a DCEP ACK
        // written, a stream finished by a read); a few rounds always
        // settle it, the bound only guards against a loop.
        for _ in 0..8 {
            let mut progressed = self.pump_sctp_events();
            progressed |= self.open_pending_channels();
            progressed |= self.read_streams();
            if !progressed {
                break;
            }
        }
        self.refresh_buffered();
    }

    /// Handles the events of the SCTP layer; whether there were any.
    fn pump_sctp_events(&mut self) -> bool {
        let Some(sctp) = self.sctp.as_mut() else {
            return false;
        };
        // The only endpoint event says the association is drained, and
        // sctp-proto sends it as soon as a shutdown starts: handing it to
        // the endpoint then would unroute the peer's SHUTDOWN ACK. The one
        // association never leaves the endpoint.
        while sctp.poll_endpoint_event().is_some() {}
        while sctp.accept_stream().is_some() {}
        let mut events = Vec::new();
        while let Some(event) = sctp.poll() {
            events.push(event);
        }
        let any = !events.is_empty();
        for event in events {
            self.on_sctp_event(event);
        }
        any
    }

    fn on_sctp_event(&mut self, event: sctp_proto::Event) {
        match event {
            sctp_proto::Event::Connected if self.state == State::Connecting => {
                self.state = State::Established;
                let limit = sctp_send_limit(self.remote_max_message_size);
                if let Some(sctp) = self.sctp.as_mut() {
                    sctp.set_max_send_message_size(limit);
                }
                self.push_event(Event::AssociationEstablished);
            }
            sctp_proto::Event::HandshakeFailed { reason } => {
                self.lose(match reason {
                    AssociationError::HandshakeFailed(_) => CloseReason::HandshakeFailed,
                    other => CloseReason::from_sctp(&other),
                });
            }
            sctp_proto::Event::AssociationLost { reason } => {
                let reason = if self.state == State::Connecting {
                    CloseReason::HandshakeFailed
                } else if let Some(known) = self.close_reason {
                    known
                } else {
                    let reason = CloseReason::from_sctp(&reason);
                    if matches!(
                        reason,
                        CloseReason::Aborted | CloseReason::ProtocolViolation
                    ) {
                        // The SCTP layer gave up on the peer's input (a
                        // message over our limit, a broken chunk) without
                        // telling it: it would retransmit for ever.
                        self.send_abort();
                    }
                    reason
                };
                self.lose(reason);
            }
            sctp_proto::Event::Stream(event) => self.on_stream_event(event),
            _ => {}
        }
    }

    fn on_stream_event(&mut self, event: StreamEvent) {
        match event {
            StreamEvent::Readable { id } | StreamEvent::Opened { id } => {
                self.readable.insert(id);
            }
            StreamEvent::Finished { id } | StreamEvent::Stopped { id, .. } => {
                // The peer reset its outgoing stream: the SCTP layer resets
                // ours in answer (RFC 8831 §6.7); the channel is closing.
                self.readable.remove(&id);
                if let Some(channel) = self.channels.get_mut(&id) {
                    channel.incoming_reset = true;
                    if channel.state == ChannelState::Open
                        || channel.state == ChannelState::Connecting
                    {
                        self.report_closing(id);
                    }
                }
            }
            StreamEvent::ResetComplete { id }
                if self
                    .channels
                    .get(&id)
                    .is_some_and(|c| c.state == ChannelState::Closing) =>
            {
                self.finish_channel(id);
            }
            StreamEvent::ResetFailed { id, .. } => {
                self.blocked_ids.insert(id);
                if self.channels.contains_key(&id) {
                    self.report_closing(id);
                    self.finish_channel(id);
                }
            }
            StreamEvent::BufferedAmountLow { id } => {
                if let Some(channel) = self.channels.get(&id) {
                    if channel.state == ChannelState::Open {
                        self.push_event(Event::BufferedAmountLow {
                            channel: ChannelId(id),
                        });
                    }
                }
            }
            _ => {}
        }
    }

    /// Opens the streams of the channels created before the association
    /// was up; whether any opened.
    fn open_pending_channels(&mut self) -> bool {
        if self.state != State::Established {
            return false;
        }
        let pending: Vec<u16> = self
            .channels
            .values()
            .filter(|c| c.state == ChannelState::Connecting && !c.remote && !c.stream_open)
            .map(|c| c.id.0)
            .collect();
        let mut progressed = false;
        for id in pending {
            progressed |= self.open_channel(id);
        }
        progressed
    }

    /// Opens one local channel's stream and, in band, sends
    /// DATA_CHANNEL_OPEN; whether the channel changed.
    fn open_channel(&mut self, id: u16) -> bool {
        let Some(sctp) = self.sctp.as_mut() else {
            return false;
        };
        let Some(channel) = self.channels.get_mut(&id) else {
            return false;
        };
        let opened = match sctp.open_stream(id, Ppid::Binary) {
            Ok(_) => true,
            // The peer already sent on it (a negotiated channel it created
            // first): adopt the stream.
            Err(sctp_proto::Error::ErrStreamAlreadyExist) => {
                sctp.stream(id).is_ok_and(|s| s.is_writable())
            }
            // An earlier channel's reset is still under way: try again on
            // the next input.
            Err(sctp_proto::Error::ErrStreamResetPending) => return false,
            Err(_) => false,
        };
        if !opened {
            self.report_closing(id);
            self.finish_channel(id);
            return true;
        }
        let Ok(mut stream) = sctp.stream(id) else {
            return false;
        };
        channel.stream_open = true;
        let (channel_type, parameter) =
            ChannelType::from_options(channel.ordered, channel.reliability);
        // Until DATA_CHANNEL_ACK arrives, messages go out ordered
        // (RFC 8832 §6).
        let unordered = !channel.ordered && !channel.awaiting_ack;
        let _ = stream.set_reliability_params(
            unordered,
            sctp_reliability(channel.reliability),
            parameter,
        );
        let _ = stream.set_buffered_amount_low_threshold(channel.buffered_amount_low_threshold);
        if !channel.negotiated {
            let open = Open {
                channel_type,
                priority: channel.priority,
                reliability_parameter: parameter,
                label: &channel.label,
                protocol: &channel.protocol,
            };
            let message = dcep::Message::Open(open);
            let mut buf = alloc::vec![0u8; message.encoded_len()];
            let written = message
                .write_to(&mut buf)
                .ok()
                .and_then(|len| stream.write_with_ppi(buf.get(..len)?, Ppid::Dcep).ok());
            channel.dcep_unacked = written.unwrap_or(0);
            self.sending.insert(id);
            if written.is_none() {
                self.report_closing(id);
                if !self.reset_stream(id) {
                    self.finish_channel(id);
                }
                return true;
            }
        }
        channel.state = ChannelState::Open;
        self.push_event(Event::ChannelOpen {
            channel: ChannelId(id),
        });
        true
    }

    /// Reads the messages waiting on readable streams, as far as the event
    /// queue has room; whether any was read.
    ///
    /// Only once established: the DTLS client, whose COOKIE ACK was lost,
    /// receives the server's DATA while still COOKIE-ECHOED, and the SCTP
    /// layer takes it then but sends nothing before it is established (a
    /// DATA_CHANNEL_ACK could not answer a DATA_CHANNEL_OPEN). The
    /// messages wait in SCTP until the handshake completes.
    fn read_streams(&mut self) -> bool {
        if self.state != State::Established {
            return false;
        }
        let mut progressed = false;
        let ids: Vec<u16> = self.readable.iter().copied().collect();
        for id in ids {
            loop {
                if !self.has_room_for_messages() {
                    return progressed;
                }
                let Some(sctp) = self.sctp.as_mut() else {
                    return progressed;
                };
                let read = match sctp.stream(id) {
                    Ok(mut stream) => stream.read_sctp(),
                    Err(_) => Ok(None),
                };
                let Ok(Some(chunks)) = read else {
                    self.readable.remove(&id);
                    break;
                };
                progressed = true;
                let mut data = alloc::vec![0u8; chunks.len()];
                let len = chunks.read(&mut data).unwrap_or(0);
                data.truncate(len);
                self.on_message(id, chunks.ppi, data);
            }
        }
        progressed
    }

    fn on_message(&mut self, id: u16, ppid: Ppid, data: Vec<u8>) {
        let payload = match ppid {
            Ppid::Dcep => {
                self.on_dcep(id, &data);
                return;
            }
            Ppid::String => Payload::Text(match String::from_utf8(data) {
                Ok(text) => text,
                // As browsers decode text: invalid sequences become U+FFFD.
                Err(error) => String::from_utf8_lossy(error.as_bytes()).into_owned(),
            }),
            Ppid::StringEmpty => Payload::Text(String::new()),
            Ppid::Binary => Payload::Binary(data),
            Ppid::BinaryEmpty => Payload::Binary(Vec::new()),
            _ => {
                self.stats.messages_dropped += 1;
                return;
            }
        };
        let Some(channel) = self.channels.get_mut(&id) else {
            self.stats.messages_dropped += 1;
            if usize::from(id) >= MAX_CHANNELS {
                // No channel can ever use this stream: reset it, so that
                // the SCTP layer does not keep it.
                self.reset_stream(id);
            }
            return;
        };
        if channel.state != ChannelState::Open && channel.state != ChannelState::Closing {
            self.stats.messages_dropped += 1;
            return;
        }
        if channel.awaiting_ack {
            // A message from the peer on the channel means it saw our OPEN.
            self.on_ack(id);
        }
        self.queued_message_bytes += payload.len();
        self.push_event(Event::Message {
            channel: ChannelId(id),
            payload,
        });
    }

    fn on_dcep(&mut self, id: u16, data: &[u8]) {
        match dcep::Message::parse(data) {
            Ok(dcep::Message::Ack) => {
                match self.channels.get(&id) {
                    Some(channel) if channel.awaiting_ack => self.on_ack(id),
                    Some(_) => self.stats.dcep_refused += 1,
                    // An ACK for no OPEN of ours: the stream has no use.
                    None => self.refuse(id),
                }
            }
            Ok(dcep::Message::Open(open)) => self.on_open(id, &open),
            Err(_) => self.refuse(id),
        }
    }

    fn on_ack(&mut self, id: u16) {
        let Some(channel) = self.channels.get_mut(&id) else {
            return;
        };
        channel.awaiting_ack = false;
        if !channel.ordered {
            let (_, parameter) = ChannelType::from_options(channel.ordered, channel.reliability);
            let reliability = sctp_reliability(channel.reliability);
            if let Some(mut stream) = self.sctp.as_mut().and_then(|s| s.stream(id).ok()) {
                let _ = stream.set_reliability_params(true, reliability, parameter);
            }
        }
    }

    /// DATA_CHANNEL_OPEN: a new channel from the peer, if the stream is
    /// free, has the peer's parity and fits under the cap (RFC 8832 §6).
    fn on_open(&mut self, id: u16, open: &Open<'_>) {
        let peer_parity = 1 - self.config.role.parity();
        let acceptable = id % 2 == peer_parity
            && usize::from(id) < MAX_CHANNELS
            && self.channels.len() < MAX_CHANNELS
            && !self.channels.contains_key(&id);
        if !acceptable {
            if let Some(channel) = self.channels.get(&id) {
                // An OPEN on a stream in use closes that channel.
                if channel.state == ChannelState::Open {
                    self.stats.dcep_refused += 1;
                    self.report_closing(id);
                    if !self.reset_stream(id) {
                        self.finish_channel(id);
                    }
                    return;
                }
            }
            self.refuse(id);
            return;
        }
        let reliability = open.channel_type.reliability(open.reliability_parameter);
        let ordered = open.channel_type.is_ordered();
        let (_, parameter) = ChannelType::from_options(ordered, reliability);
        let acked = self.sctp.as_mut().and_then(|sctp| {
            let mut stream = sctp.stream(id).ok()?;
            stream
                .set_reliability_params(!ordered, sctp_reliability(reliability), parameter)
                .ok()?;
            let mut ack = [0u8; 1];
            let len = dcep::Message::Ack.write_to(&mut ack).ok()?;
            stream.write_with_ppi(ack.get(..len)?, Ppid::Dcep).ok()
        });
        if acked.is_none() {
            self.refuse(id);
            return;
        }
        self.channels.insert(
            id,
            Channel {
                id: ChannelId(id),
                label: String::from(open.label),
                protocol: String::from(open.protocol),
                ordered,
                reliability,
                priority: open.priority,
                negotiated: false,
                state: ChannelState::Open,
                buffered_amount: 0,
                buffered_amount_low_threshold: 0,
                dcep_unacked: 1,
                remote: true,
                awaiting_ack: false,
                stream_open: true,
                closing_reported: false,
                incoming_reset: false,
            },
        );
        self.sending.insert(id);
        self.push_event(Event::IncomingChannel {
            channel: ChannelId(id),
        });
        self.push_event(Event::ChannelOpen {
            channel: ChannelId(id),
        });
    }

    /// Refuses a DCEP message on a stream without a channel: resets the
    /// stream and sends no ACK (RFC 8832 §6).
    fn refuse(&mut self, id: u16) {
        self.stats.dcep_refused += 1;
        if !self.channels.contains_key(&id) {
            self.reset_stream(id);
        }
    }

    /// Resets a stream (RFC 6525); whether a reset is under way.
    fn reset_stream(&mut self, id: u16) -> bool {
        self.readable.remove(&id);
        self.sctp
            .as_mut()
            .and_then(|sctp| sctp.stream(id).ok())
            .is_some_and(|mut stream| stream.close().is_ok())
    }

    fn report_closing(&mut self, id: u16) {
        let Some(channel) = self.channels.get_mut(&id) else {
            return;
        };
        channel.state = ChannelState::Closing;
        if !channel.closing_reported {
            channel.closing_reported = true;
            self.push_event(Event::ChannelClosing {
                channel: ChannelId(id),
            });
        }
    }

    /// The channel is gone: report it and free its id.
    fn finish_channel(&mut self, id: u16) {
        if self.channels.remove(&id).is_some() {
            self.sending.remove(&id);
            self.push_event(Event::ChannelClosed {
                channel: ChannelId(id),
            });
        }
    }

    /// The association is gone: every channel closes, then it does.
    fn lose(&mut self, reason: CloseReason) {
        if self.state == State::Closed {
            return;
        }
        self.state = State::Closed;
        let ids: Vec<u16> = self.channels.keys().copied().collect();
        for id in ids {
            self.report_closing(id);
            self.finish_channel(id);
        }
        self.readable.clear();
        self.sending.clear();
        self.push_event(Event::AssociationClosed { reason });
    }

    fn refresh_buffered(&mut self) {
        let Some(sctp) = self.sctp.as_mut() else {
            return;
        };
        let ids: Vec<u16> = self.sending.iter().copied().collect();
        for id in ids {
            let amount = sctp
                .stream(id)
                .ok()
                .and_then(|s| s.buffered_amount().ok())
                .unwrap_or(0);
            if let Some(channel) = self.channels.get_mut(&id) {
                if amount == 0 {
                    channel.dcep_unacked = 0;
                }
                channel.buffered_amount = amount.saturating_sub(channel.dcep_unacked);
            }
            if amount == 0 {
                self.sending.remove(&id);
            }
        }
    }

    fn total_buffered(&self) -> usize {
        self.sending
            .iter()
            .filter_map(|id| self.channels.get(id))
            .map(|c| c.buffered_amount)
            .sum()
    }

    /// Takes the packets the SCTP layer has ready; whether there were any.
    fn pull_transmits(&mut self) -> bool {
        let mut any = false;
        while let Some(transmit) = self.endpoint.poll_transmit() {
            any |= self.queue_transmit(transmit);
        }
        if !any {
            let sctp_now = self.clock.sctp_time(self.last_now);
            if let Some(transmit) = self.sctp.as_mut().and_then(|s| s.poll_transmit(sctp_now)) {
                any |= self.queue_transmit(transmit);
            }
        }
        any
    }

    fn queue_transmit(&mut self, transmit: sctp_proto::Transmit) -> bool {
        match transmit.payload {
            sctp_proto::Payload::RawEncode(packets) => {
                let any = !packets.is_empty();
                let mut shut_down = false;
                for packet in packets {
                    shut_down |= packet.get(COMMON_HEADER_LEN) == Some(&CHUNK_SHUTDOWN_COMPLETE);
                    if let Some(tsn) = sack_cumulative_tsn(&packet) {
                        self.peer_cumulative_tsn = Some(tsn);
                    }
                    if let Some(tag) = read_u32(&packet, 4).filter(|&tag| tag != 0) {
                        self.peer_verification_tag = Some(tag);
                    }
                    if packet.len() <= self.config.max_packet_size {
                        self.transmits.push_back(packet);
                    } else {
                        split_packet(&packet, self.config.max_packet_size, &mut self.transmits);
                    }
                }
                if shut_down {
                    // sctp-proto does not close the side that sends
                    // SHUTDOWN COMPLETE (RFC 9260 §9.2: it is closed then).
                    if let Some(sctp) = self.sctp.as_mut() {
                        let _ = sctp.close();
                    }
                    self.drive();
                }
                any
            }
            sctp_proto::Payload::PartialDecode(_) => false,
        }
    }

    /// Queues an ABORT (RFC 9260 §3.3.7) with the peer's verification tag.
    fn send_abort(&mut self) {
        let Some(tag) = self.peer_verification_tag else {
            return;
        };
        let mut packet = Vec::with_capacity(COMMON_HEADER_LEN + 4);
        packet.extend_from_slice(&self.config.local_port.to_be_bytes());
        packet.extend_from_slice(&self.config.remote_port.to_be_bytes());
        packet.extend_from_slice(&tag.to_be_bytes());
        packet.extend_from_slice(&[0, 0, 0, 0, CHUNK_ABORT, 0, 0, 4]);
        self.transmits.push_back(finish_packet(&mut packet));
    }

    fn has_room_for_messages(&self) -> bool {
        self.events.len() + RESERVED_EVENTS < MAX_EVENTS
            && self.queued_message_bytes < self.config.receive_buffer_size as usize
    }

    fn push_event(&mut self, event: Event) {
        self.events.push(event);
    }

    /// The lowest free stream id of our parity.
    fn free_id(&self) -> Option<u16> {
        let parity = self.config.role.parity();
        (0..MAX_CHANNELS as u16)
            .filter(|id| id % 2 == parity)
            .find(|id| !self.channels.contains_key(id) && !self.blocked_ids.contains(id))
    }
}

/// Maps the caller's time to the SCTP layer's and back.
///
/// sctp-proto takes the time from its caller everywhere but in
/// `Endpoint::connect`, which starts the INIT timer (T1-init) from the
/// system clock: on a caller's clock ahead of it (a simulation, a test)
/// INIT would be retransmitted at once, on one behind it (a paused runtime
/// clock) only after the difference. [`Association::connect`] reads back
/// that timer and shifts every time it gives sctp-proto so that, for it,
/// the association began when the caller connected; nothing else changes.
#[derive(Debug, Clone, Copy)]
struct Clock {
    /// An instant of the caller's ...
    ours: Instant,
    /// ... and the same instant for the SCTP layer.
    sctp: Instant,
}

impl Clock {
    /// The identity.
    const fn new(now: Instant) -> Self {
        Self {
            ours: now,
            sctp: now,
        }
    }

    /// The SCTP layer's time for our `now`.
    fn sctp_time(self, now: Instant) -> Instant {
        shift(now, self.ours, self.sctp)
    }

    /// Our time for the SCTP layer's `at`.
    fn caller_time(self, at: Instant) -> Instant {
        shift(at, self.sctp, self.ours)
    }
}

/// `at` moved from a timeline where `from` happens to one where `to`
/// does (saturating at `to` where an `Instant` cannot go).
fn shift(at: Instant, from: Instant, to: Instant) -> Instant {
    if at >= from {
        to.checked_add(at.duration_since(from)).unwrap_or(to)
    } else {
        to.checked_sub(from.duration_since(at)).unwrap_or(to)
    }
}

/// What the SCTP layer is told to refuse: sends are checked above it, so
/// only an unlimited peer (0) changes anything.
fn sctp_send_limit(remote_max_message_size: u32) -> u32 {
    if remote_max_message_size == 0 {
        u32::MAX
    } else {
        remote_max_message_size
    }
}

fn sctp_reliability(reliability: Reliability) -> ReliabilityType {
    match reliability {
        Reliability::Reliable => ReliabilityType::Reliable,
        Reliability::MaxRetransmits(_) => ReliabilityType::Rexmit,
        Reliability::MaxPacketLifeTime(_) => ReliabilityType::Timed,
    }
}

/// A duration in whole milliseconds, at least 1, as sctp-proto takes them.
fn millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}

fn transport_config(config: &Config) -> TransportConfig {
    TransportConfig::default()
        .with_local_port(config.local_port)
        .with_remote_port(config.remote_port)
        .with_max_receive_message_size(config.max_message_size)
        .with_max_send_message_size(sctp_send_limit(config.remote_max_message_size))
        .with_max_receive_buffer_size(config.receive_buffer_size)
        .with_max_num_inbound_streams(MAX_CHANNELS as u16)
        .with_max_num_outbound_streams(MAX_CHANNELS as u16)
        .with_max_init_retransmits(config.max_init_retransmits)
        .with_max_data_retransmits(None)
        .with_rto_initial_ms(millis(config.rto_initial))
        .with_rto_min_ms(millis(config.rto_min))
        .with_rto_max_ms(millis(config.rto_max))
}

/// The big-endian `u32` at `offset`.
fn read_u32(bytes: &[u8], offset: usize) -> Option<u32> {
    let (value, _) = bytes.get(offset..)?.split_first_chunk::<4>()?;
    Some(u32::from_be_bytes(*value))
}

/// The cumulative TSN ack of the last SACK in a packet we send.
fn sack_cumulative_tsn(packet: &[u8]) -> Option<u32> {
    let mut rest = packet.get(COMMON_HEADER_LEN..)?;
    let mut found = None;
    while let Some((&[kind, _, l0, l1], _)) = rest.split_first_chunk::<4>() {
        let len = usize::from(u16::from_be_bytes([l0, l1])).max(4);
        if kind == CHUNK_SACK {
            found = read_u32(rest, 4).or(found);
        }
        rest = rest.get(len.next_multiple_of(4)..).unwrap_or_default();
    }
    found
}

/// Cuts a packet the SCTP layer bundled past `max_len` into packets of at
/// most `max_len` bytes, at chunk boundaries, in order: each gets the same
/// common header and its own checksum. (sctp-proto leaves the header and
/// padding of the last DATA chunk out of its size check, so a bundle can
/// pass its MTU.) A chunk alone larger than `max_len` goes out alone.
fn split_packet(packet: &Bytes, max_len: usize, out: &mut VecDeque<Bytes>) {
    let Some((header, chunks)) = packet.split_first_chunk::<COMMON_HEADER_LEN>() else {
        return;
    };
    let mut current: Vec<u8> = Vec::with_capacity(max_len);
    let mut rest = chunks;
    while !rest.is_empty() {
        let len = match rest.split_first_chunk::<4>() {
            Some((&[_, _, l0, l1], _)) => usize::from(u16::from_be_bytes([l0, l1])).max(4),
            None => rest.len(),
        };
        let padded = len.next_multiple_of(4).min(rest.len());
        let (chunk, tail) = rest.split_at(padded);
        if !current.is_empty() && current.len() + padded > max_len {
            out.push_back(finish_packet(&mut current));
        }
        if current.is_empty() {
            current.extend_from_slice(header);
        }
        current.extend_from_slice(chunk);
        rest = tail;
    }
    if current.len() > COMMON_HEADER_LEN {
        out.push_back(finish_packet(&mut current));
    }
}

/// Writes the checksum of a packet built in `buf` and hands it out.
fn finish_packet(buf: &mut Vec<u8>) -> Bytes {
    if let Some(checksum) = buf.get_mut(8..12) {
        checksum.fill(0);
    }
    let crc = crc32c::crc32c(buf);
    if let Some(checksum) = buf.get_mut(8..12) {
        checksum.copy_from_slice(&crc.to_le_bytes());
    }
    Bytes::from(core::mem::take(buf))
}

/// What [`check_packet`] learned about a packet.
struct Header {
    /// The initiate tag when the packet carries an INIT.
    init_tag: Option<u32>,
    /// The peer's initial TSN when the packet carries an INIT or INIT ACK.
    initial_tsn: Option<u32>,
    /// It carries an ABORT.
    abort: bool,
    /// It carries a SHUTDOWN.
    shutdown: bool,
}

/// Checks the common header, the checksum and the chunk layout
/// (RFC 9260 §3) before the packet reaches the SCTP layer.
fn check_packet(
    packet: &[u8],
    local_port: u16,
    remote_port: u16,
    cumulative_tsn: Option<u32>,
) -> Result<Header, ReceiveError> {
    let (header, chunks) = packet
        .split_first_chunk::<COMMON_HEADER_LEN>()
        .ok_or(ReceiveError::Truncated { len: packet.len() })?;
    let [s0, s1, d0, d1, v0, v1, v2, v3, c0, c1, c2, c3] = *header;
    let source_port = u16::from_be_bytes([s0, s1]);
    let destination_port = u16::from_be_bytes([d0, d1]);
    if source_port != remote_port || destination_port != local_port {
        return Err(ReceiveError::WrongPorts {
            source_port,
            destination_port,
        });
    }
    let crc = crc32c::crc32c(&[s0, s1, d0, d1, v0, v1, v2, v3, 0, 0, 0, 0]);
    if crc32c::crc32c_append(crc, chunks) != u32::from_le_bytes([c0, c1, c2, c3]) {
        return Err(ReceiveError::BadChecksum);
    }
    if chunks.is_empty() {
        return Err(ReceiveError::Malformed { reason: "no chunk" });
    }
    let verification_tag = u32::from_be_bytes([v0, v1, v2, v3]);
    let mut init_tag = None;
    let mut initial_tsn = None;
    let mut abort = false;
    let mut shutdown = false;
    let mut rest = chunks;
    let mut first = true;
    while !rest.is_empty() {
        let (&[kind, _flags, l0, l1], _) =
            rest.split_first_chunk::<4>()
                .ok_or(ReceiveError::Malformed {
                    reason: "chunk header cut short",
                })?;
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        if len < 4 {
            return Err(ReceiveError::Malformed {
                reason: "chunk length under 4",
            });
        }
        let chunk = rest.get(..len).ok_or(ReceiveError::Malformed {
            reason: "chunk longer than the packet",
        })?;
        if kind == CHUNK_INIT {
            // RFC 9260 §6.10: INIT travels alone, with tag 0.
            if !first || verification_tag != 0 {
                return Err(ReceiveError::Malformed {
                    reason: "INIT bundled or with a verification tag",
                });
            }
            init_tag = Some(read_u32(chunk, 4).ok_or(ReceiveError::Malformed {
                reason: "INIT without initiate tag",
            })?);
        }
        if kind == CHUNK_INIT || kind == CHUNK_INIT_ACK {
            initial_tsn = read_u32(chunk, 16);
        }
        if let (CHUNK_DATA | CHUNK_I_DATA, Some(base), Some(tsn)) =
            (kind, cumulative_tsn, read_u32(chunk, 4))
        {
            let ahead = tsn.wrapping_sub(base);
            // Behind (retransmissions, duplicates) is the SCTP layer's to
            // sort out; far ahead is refused.
            if ahead < 1 << 31 && ahead > MAX_TSN_GAP {
                return Err(ReceiveError::BeyondWindow { tsn });
            }
        }
        abort |= kind == CHUNK_ABORT;
        shutdown |= kind == CHUNK_SHUTDOWN;
        first = false;
        let padded = len.next_multiple_of(4).min(rest.len());
        rest = rest.get(padded..).unwrap_or_default();
    }
    Ok(Header {
        init_tag,
        initial_tsn,
        abort,
        shutdown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(source: u16, destination: u16, tag: u32, chunks: &[u8]) -> Vec<u8> {
        let mut p = Vec::new();
        p.extend_from_slice(&source.to_be_bytes());
        p.extend_from_slice(&destination.to_be_bytes());
        p.extend_from_slice(&tag.to_be_bytes());
        p.extend_from_slice(&[0; 4]);
        p.extend_from_slice(chunks);
        let crc = crc32c::crc32c(&p);
        p[8..12].copy_from_slice(&crc.to_le_bytes());
        p
    }

    #[test]
    fn packets_are_checked_before_sctp() {
        // A COOKIE-ACK (type 11, length 4).
        let good = packet(5000, 5000, 7, &[11, 0, 0, 4]);
        assert!(check_packet(&good, 5000, 5000, None).is_ok());
        assert_eq!(
            check_packet(&good[..11], 5000, 5000, None).err(),
            Some(ReceiveError::Truncated { len: 11 })
        );
        assert_eq!(
            check_packet(&good, 5001, 5000, None).err(),
            Some(ReceiveError::WrongPorts {
                source_port: 5000,
                destination_port: 5000
            })
        );
        let mut corrupt = good.clone();
        corrupt[13] ^= 1;
        assert_eq!(
            check_packet(&corrupt, 5000, 5000, None).err(),
            Some(ReceiveError::BadChecksum)
        );
        let long = packet(5000, 5000, 7, &[11, 0, 0, 8]);
        assert_eq!(
            check_packet(&long, 5000, 5000, None).err(),
            Some(ReceiveError::Malformed {
                reason: "chunk longer than the packet"
            })
        );
        let short = packet(5000, 5000, 7, &[11, 0, 0, 2]);
        assert!(matches!(
            check_packet(&short, 5000, 5000, None),
            Err(ReceiveError::Malformed { .. })
        ));
        let empty = packet(5000, 5000, 7, &[]);
        assert!(matches!(
            check_packet(&empty, 5000, 5000, None),
            Err(ReceiveError::Malformed { .. })
        ));
    }

    #[test]
    fn oversized_bundles_are_cut_at_chunk_boundaries() {
        // Five DATA-like chunks of 300 bytes (297 + 3 padding) and a SACK.
        let mut chunks = Vec::new();
        for i in 0..5u8 {
            chunks.extend_from_slice(&[0, 3, 0x01, 0x29]);
            chunks.extend(core::iter::repeat_n(i, 293));
            chunks.extend_from_slice(&[0, 0, 0]);
        }
        chunks.extend_from_slice(&[3, 0, 0, 16]);
        chunks.extend_from_slice(&[0; 12]);
        let big = Bytes::from(packet(5000, 5000, 9, &chunks));
        assert_eq!(big.len(), 12 + 5 * 300 + 16);
        let mut out = VecDeque::new();
        split_packet(&big, 700, &mut out);
        assert_eq!(out.len(), 3);
        let mut rejoined = Vec::new();
        for piece in &out {
            assert!(piece.len() <= 700);
            assert_eq!(piece[..8], big[..8]);
            assert!(check_packet(piece, 5000, 5000, None).is_ok());
            rejoined.extend_from_slice(&piece[12..]);
        }
        assert_eq!(rejoined, chunks);
    }

    #[test]
    fn init_tags_are_read() {
        let mut init = vec![1, 0, 0, 20];
        init.extend_from_slice(&0x1234_5678u32.to_be_bytes());
        init.extend_from_slice(&[0; 12]);
        let p = packet(5000, 5000, 0, &init);
        assert_eq!(
            check_packet(&p, 5000, 5000, None).unwrap().init_tag,
            Some(0x1234_5678)
        );
        let tagged = packet(5000, 5000, 9, &init);
        assert!(check_packet(&tagged, 5000, 5000, None).is_err());
    }

    #[test]
    #[allow(clippy::disallowed_methods)]
    fn ids_follow_the_dtls_role() {
        let now = Instant::now();
        let mut client = Association::new(Config::new(DtlsRole::Client), now);
        let mut server = Association::new(Config::new(DtlsRole::Server), now);
        let ids: Vec<u16> = (0..3)
            .map(|_| {
                client
                    .create_channel(now, ChannelOptions::new("c"))
                    .unwrap()
                    .0
            })
            .collect();
        assert_eq!(ids, [0, 2, 4]);
        let ids: Vec<u16> = (0..3)
            .map(|_| {
                server
                    .create_channel(now, ChannelOptions::new("s"))
                    .unwrap()
                    .0
            })
            .collect();
        assert_eq!(ids, [1, 3, 5]);
    }
}
