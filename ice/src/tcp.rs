//! ICE over TCP ([RFC 6544](https://www.rfc-editor.org/rfc/rfc6544)): TCP
//! host candidates, the connections their checks travel on, and RFC 4571
//! framing.
//!
//! Where UDP is blocked (corporate networks, some mobile carriers),
//! browsers fall back to TCP candidates. The agent checks, nominates, keeps
//! consent and carries data over a TCP pair exactly as over UDP; what TCP
//! adds is a connection under each pair, which the caller owns:
//!
//! - **Candidates.** [`LocalSocket::tcp_passive`] is a listener the caller
//!   accepts connections on (announced `tcptype passive`, its own port);
//!   [`LocalSocket::tcp_active`] is an IP address the caller opens
//!   connections from (announced `tcptype active`, port 9, RFC 6544 §4.5).
//!   Their priorities follow RFC 6544 §4.2 ([`local_preference`]).
//!   Simultaneous-open (`tcptype so`) candidates are parsed and accepted
//!   from the peer but never paired: no browser offers them, and they need
//!   both sides to connect from a fixed port at the same moment.
//! - **Pairs** (RFC 6544 §6.2). A local active candidate pairs with a
//!   remote passive one; pairs with a local passive candidate are pruned,
//!   and formed instead when the peer's check arrives on a connection it
//!   opened to our listener (its address is then a peer-reflexive
//!   candidate, since active candidates announce port 9).
//! - **Opening** (local active). When such a pair's turn comes, the agent
//!   asks for a connection with [`Event::OpenConnection`]; the caller
//!   connects from the request's IP address (any port) to its remote
//!   address and reports back with [`Agent::handle_connection`]:
//!   [`ConnectionEvent::Opened`] with the address the connection was bound
//!   to, or [`ConnectionEvent::Failed`] (which fails the pair, RFC 6544
//!   §7.1). The check then goes out on the connection.
//! - **Accepting** (local passive). Report each accepted connection with
//!   [`ConnectionEvent::Accepted`]; an `Err` means the agent will not take
//!   it (unknown listener, or [`MAX_TCP_CONNECTIONS`] reached): close it.
//! - **Both ways, a connection is its 4-tuple**: `local` (our end's address)
//!   and `remote`. Cut what it carries into frames with a [`FrameReader`]
//!   and hand each frame to [`Agent::handle_receive`] with
//!   `transport: Transport::Tcp`, `source: remote`, `destination: local`.
//!   Every [`Transmit`](crate::Transmit) with `transport: Tcp` goes to the
//!   connection from its `source` to its `destination`, and its `contents`
//!   are already **RFC 4571-framed** (two bytes of length, then the
//!   packet): write them to the stream as they are. Data sent with
//!   [`Agent::send_data`] on a TCP pair is framed the same way; a caller
//!   that writes media to the stream itself frames each packet
//!   (`sansrtc_stun::framing::rfc4571`).
//! - **Closing.** Report a connection the peer closed, that broke, or whose
//!   framing failed with [`ConnectionEvent::Closed`]: its pairs fail, and a
//!   selected pair on it loses consent at once (the state becomes
//!   `Failed`; restart ICE to recover). The agent asks the caller to close
//!   connections with [`Event::CloseConnection`]: those that did not
//!   complete a check within [`Config::tcp_timeout`], those no selected
//!   pair uses once ICE completes or restarts, and all of them on
//!   [`Agent::close`].
//! - **Checks** over TCP are not retransmitted (the stream is reliable,
//!   RFC 8489 §6.2.2); a check without an answer fails its pair after as
//!   long as a UDP check would take to fail.
//! - **UDP first.** With the default [`TcpPolicy::UdpFirst`] the
//!   controlling agent nominates a TCP pair only when no UDP pair of the
//!   component is valid, and either none is still being checked or the
//!   policy's fallback time has passed since the first TCP pair succeeded;
//!   [`TcpPolicy::ByPriority`] lets the priorities alone decide. A
//!   controlled agent takes whatever pair the peer nominates.
//!
//! [`LocalSocket::tcp_passive`]: crate::LocalSocket::tcp_passive
//! [`LocalSocket::tcp_active`]: crate::LocalSocket::tcp_active
//! [`Event::OpenConnection`]: crate::Event::OpenConnection
//! [`Event::CloseConnection`]: crate::Event::CloseConnection
//! [`Agent::handle_connection`]: crate::Agent::handle_connection
//! [`Agent::handle_receive`]: crate::Agent::handle_receive
//! [`Agent::send_data`]: crate::Agent::send_data
//! [`Agent::close`]: crate::Agent::close
//! [`Config::tcp_timeout`]: crate::Config::tcp_timeout
//!
//! - <https://www.rfc-editor.org/rfc/rfc6544>
//! - <https://www.rfc-editor.org/rfc/rfc4571>

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use sansrtc_stun::framing::{StreamError, StreamFraming, StreamReader, rfc4571};

use crate::agent::Agent;
use crate::candidate::{CandidateType, TcpType, Transport};
use crate::event::{Error, Event};
use crate::pair::PairState;

/// Most TCP connections an agent keeps at once: opened, being opened and
/// accepted together. An accepted connection beyond this is refused
/// ([`Agent::handle_connection`](crate::Agent::handle_connection) returns
/// an error), and a pair whose connection would exceed it fails.
pub const MAX_TCP_CONNECTIONS: usize = 32;

/// Longest frame a [`FrameReader`] takes by default: 20 KiB, above the
/// largest DTLS record (a 13-byte header and at most 2^14 + 2048 bytes,
/// RFC 6347 §4.1) and every RTP, RTCP or STUN packet. A peer that announces
/// a longer frame is cut off as soon as the two length bytes arrive, so a
/// connection never holds more than one such frame, partly received, plus
/// one read.
pub const MAX_FRAME_LEN: usize = 20 * 1024;

/// The RFC 6544 §4.2 local preference of a TCP candidate:
/// `2^13 × direction-pref + other-pref`.
///
/// The direction preference ranks the connection's direction: for host
/// and relayed candidates active 6, passive 4, simultaneous-open 2; for
/// server- and peer-reflexive ones simultaneous-open 6, active 4, passive
/// 2. `other_pref` (0 to 8191, capped) ranks the address among the
/// candidates of the same type and direction; see [`other_preference`].
///
/// ```
/// use sansrtc_ice::CandidateType;
/// use sansrtc_ice::TcpType;
/// use sansrtc_ice::tcp::local_preference;
///
/// assert_eq!(local_preference(CandidateType::Host, TcpType::Active, 8191), 6 * 8192 + 8191);
/// assert_eq!(local_preference(CandidateType::PeerReflexive, TcpType::Passive, 0), 2 * 8192);
/// ```
///
/// <https://www.rfc-editor.org/rfc/rfc6544#section-4.2>
pub const fn local_preference(kind: CandidateType, tcp_type: TcpType, other_pref: u16) -> u16 {
    let direction: u16 = match (kind, tcp_type) {
        (CandidateType::Host | CandidateType::Relayed, TcpType::Active) => 6,
        (CandidateType::Host | CandidateType::Relayed, TcpType::Passive) => 4,
        (CandidateType::Host | CandidateType::Relayed, TcpType::SimultaneousOpen) => 2,
        (_, TcpType::SimultaneousOpen) => 6,
        (_, TcpType::Active) => 4,
        (_, TcpType::Passive) => 2,
    };
    let other = if other_pref > 8191 { 8191 } else { other_pref };
    (direction << 13) + other
}

/// The other-preference (RFC 6544 §4.2) of a TCP candidate on an address:
/// the same ranking as [`candidate::local_preference`] gives UDP
/// candidates (interface first, then RFC 8421's address families), in 13
/// bits: the interface rank takes the top 5 (ranks past 31 share the
/// last), the family the low 8. A single IPv4 address on the preferred
/// interface gets `31 × 256 + 128`.
///
/// [`candidate::local_preference`]: crate::candidate::local_preference
pub fn other_preference(interface_rank: u8, ip: IpAddr) -> u16 {
    let family = crate::candidate::local_preference(0, ip) & 0xff;
    (u16::from(31 - interface_rank.min(31)) << 8) | family
}

/// How a controlling agent weighs TCP pairs against UDP pairs when it
/// nominates ([`Config::tcp_policy`](crate::Config::tcp_policy)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TcpPolicy {
    /// UDP first: every valid UDP pair beats every TCP pair, and a TCP pair
    /// is nominated only when no UDP pair of the component is valid and
    /// either none is still being checked or this long has passed since the
    /// first TCP pair of the component succeeded (where UDP is blocked, its
    /// checks take 9.5 s to fail with the defaults). The default, 1 s.
    UdpFirst(Duration),
    /// The pair priorities alone decide (RFC 6544 §4.2: TCP candidates use
    /// the type preferences of UDP ones, so a direct TCP pair outranks a
    /// server-reflexive or relayed UDP pair).
    ByPriority,
}

impl TcpPolicy {
    /// [`UdpFirst`](Self::UdpFirst) with a 1 s fallback.
    pub const fn default_udp_first() -> Self {
        Self::UdpFirst(Duration::from_secs(1))
    }
}

impl Default for TcpPolicy {
    fn default() -> Self {
        Self::default_udp_first()
    }
}

/// The agent's request for a TCP connection, carried by an
/// [`Event::OpenConnection`]. Connect from `local`'s IP address (any port:
/// `local` is the active candidate's base, port 0) to `remote`, then hand
/// the request back with the outcome in [`ConnectionEvent::Opened`] or
/// [`ConnectionEvent::Failed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnectRequest {
    /// The active socket (IP address and port 0) to connect from.
    pub local: SocketAddr,
    /// The peer's passive candidate to connect to.
    pub remote: SocketAddr,
}

/// What happened to a TCP connection, for
/// [`Agent::handle_connection`](crate::Agent::handle_connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConnectionEvent {
    /// The connection asked for is open; `local` is the address it is
    /// bound to (what `Receive::destination` and `Transmit::source` will
    /// name).
    Opened {
        /// The request, as the event carried it.
        request: ConnectRequest,
        /// The connection's local address.
        local: SocketAddr,
    },
    /// The connection asked for could not be opened (refused, unreachable,
    /// timed out).
    Failed {
        /// The request, as the event carried it.
        request: ConnectRequest,
    },
    /// A peer connected to a passive socket at `local` from `remote`.
    Accepted {
        /// The listener's address (the passive candidate's).
        local: SocketAddr,
        /// The peer's address.
        remote: SocketAddr,
    },
    /// The connection closed: the peer closed it, it broke, or its framing
    /// failed.
    Closed {
        /// Our end's address.
        local: SocketAddr,
        /// The peer's end.
        remote: SocketAddr,
    },
}

/// Why a [`FrameReader`] cannot go on. The stream is out of sync after
/// either: close the connection (and report
/// [`ConnectionEvent::Closed`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FrameError {
    /// A frame header announced more than the reader's cap.
    #[error("frame of {len} bytes announced, more than {max}")]
    TooLong {
        /// The announced length.
        len: usize,
        /// The cap.
        max: usize,
    },
    /// The underlying reader refused the bytes.
    #[error(transparent)]
    Stream(#[from] StreamError),
}

/// Cuts one ICE-TCP connection's byte stream into its RFC 4571 frames: a
/// `sansrtc_stun::framing::StreamReader` for
/// `StreamFraming::Rfc4571` that also refuses frames longer than a cap
/// ([`MAX_FRAME_LEN`] by default) as soon as their length is read, so a
/// peer cannot make a connection hold more than one capped frame, partly
/// received. Keep one per connection.
///
/// ```
/// use sansrtc_ice::tcp::{FrameError, FrameReader};
///
/// let mut reader = FrameReader::new();
/// reader.push(&[0, 3, 1, 2])?;
/// assert_eq!(reader.next_frame()?, None); // the frame is not complete
/// reader.push(&[3, 0, 1, 4])?;
/// assert_eq!(reader.next_frame()?, Some(&[1, 2, 3][..]));
/// assert_eq!(reader.next_frame()?, Some(&[4][..]));
///
/// let mut capped = FrameReader::with_max_frame_len(100);
/// assert_eq!(capped.push(&[0xff, 0xff]), Err(FrameError::TooLong { len: 65535, max: 100 }));
/// # Ok::<(), FrameError>(())
/// ```
#[derive(Debug, Clone)]
pub struct FrameReader {
    inner: StreamReader,
    max_frame_len: usize,
    /// Bytes of the frame in progress still to come, once its header is
    /// read.
    body_left: usize,
    /// The first byte of a header split across two pushes.
    header_byte: Option<u8>,
}

impl Default for FrameReader {
    fn default() -> Self {
        Self::new()
    }
}

impl FrameReader {
    /// A reader with the default cap, [`MAX_FRAME_LEN`].
    pub const fn new() -> Self {
        Self::with_max_frame_len(MAX_FRAME_LEN)
    }

    /// A reader that refuses frames longer than `max` bytes (at most
    /// 65535, what RFC 4571's length field can say).
    pub const fn with_max_frame_len(max: usize) -> Self {
        Self {
            inner: StreamReader::new(StreamFraming::Rfc4571),
            max_frame_len: if max > rfc4571::MAX_PACKET_LEN {
                rfc4571::MAX_PACKET_LEN
            } else {
                max
            },
            body_left: 0,
            header_byte: None,
        }
    }

    /// Appends bytes read from the connection. Frame headers are checked as
    /// they pass: an error means the connection must be closed.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), FrameError> {
        let mut rest = bytes;
        while !rest.is_empty() {
            if self.body_left > 0 {
                let skip = self.body_left.min(rest.len());
                self.body_left -= skip;
                rest = rest.get(skip..).unwrap_or_default();
                continue;
            }
            let Some((&byte, tail)) = rest.split_first() else {
                break;
            };
            rest = tail;
            match self.header_byte.take() {
                None => self.header_byte = Some(byte),
                Some(high) => {
                    let len = usize::from(u16::from_be_bytes([high, byte]));
                    if len > self.max_frame_len {
                        return Err(FrameError::TooLong {
                            len,
                            max: self.max_frame_len,
                        });
                    }
                    self.body_left = len;
                }
            }
        }
        self.inner.push(bytes)?;
        Ok(())
    }

    /// The next complete frame (the packet, without its length), or `None`
    /// until more bytes arrive.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, FrameError> {
        Ok(self.inner.next_frame()?)
    }

    /// Bytes buffered and not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.inner.buffered()
    }

    /// The cap on frame lengths.
    pub const fn max_frame_len(&self) -> usize {
        self.max_frame_len
    }
}

/// Where a connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stage {
    /// Asked for with [`Event::OpenConnection`]; no answer yet.
    Opening,
    /// Open (opened by us or accepted).
    Open,
}

/// A TCP connection of the agent.
#[derive(Debug, Clone)]
pub(crate) struct Connection {
    /// The local socket it belongs to: the passive listener's address, or
    /// the active socket's (IP address, port 0).
    pub(crate) socket: SocketAddr,
    /// Our end's address (for an opening connection, the socket's).
    pub(crate) local: SocketAddr,
    pub(crate) remote: SocketAddr,
    pub(crate) component: u16,
    /// Whether the peer opened it (to our passive socket).
    pub(crate) accepted: bool,
    stage: Stage,
    /// When it was asked for or accepted.
    since: Instant,
    /// Whether a check completed on it: an authenticated request arrived,
    /// or a response to one of our checks authenticated.
    pub(crate) verified: bool,
}

/// The agent's TCP connections, at most [`MAX_TCP_CONNECTIONS`].
#[derive(Debug, Clone, Default)]
pub(crate) struct Connections {
    connections: Vec<Connection>,
}

impl Connections {
    /// The open connection from `local` to `remote`.
    pub(crate) fn open(&self, local: SocketAddr, remote: SocketAddr) -> Option<&Connection> {
        self.connections
            .iter()
            .find(|c| c.stage == Stage::Open && c.local == local && c.remote == remote)
    }

    fn is_full(&self) -> bool {
        self.connections.len() >= MAX_TCP_CONNECTIONS
    }

    fn opening(&self, request: ConnectRequest) -> Option<usize> {
        self.connections.iter().position(|c| {
            c.stage == Stage::Opening && c.socket == request.local && c.remote == request.remote
        })
    }

    /// Marks the open connection from `local` to `remote` as having
    /// completed a check.
    pub(crate) fn verify(&mut self, local: SocketAddr, remote: SocketAddr) {
        for connection in &mut self.connections {
            if connection.stage == Stage::Open
                && connection.local == local
                && connection.remote == remote
            {
                connection.verified = true;
            }
        }
    }

    /// How many connections are kept (open or being opened).
    pub(crate) fn len(&self) -> usize {
        self.connections.len()
    }

    /// When the next unverified connection times out.
    pub(crate) fn next_deadline(&self, timeout: Duration) -> Option<Instant> {
        self.connections
            .iter()
            .filter(|c| !c.verified)
            .map(|c| c.since + timeout)
            .min()
    }
}

impl Agent {
    /// Reports what happened to a TCP connection (see [the `tcp`
    /// module](crate::tcp)): a connection the agent asked for opened or
    /// failed, a peer connected to a passive socket, or a connection
    /// closed.
    ///
    /// An `Err` says the agent does not take the connection: close it.
    /// That is the answer to an opened connection nobody waits for any
    /// more (it took longer than [`Config::tcp_timeout`](crate::Config::tcp_timeout),
    /// or the agent restarted), to a connection accepted on an address that
    /// is no passive socket of the agent, to one whose two ends the agent
    /// already has a connection between, to one beyond
    /// [`MAX_TCP_CONNECTIONS`], and to any after [`close`](Agent::close).
    pub fn handle_connection(&mut self, now: Instant, event: ConnectionEvent) -> Result<(), Error> {
        self.advance(now);
        let result = match event {
            ConnectionEvent::Opened { request, local } => self.connection_opened(request, local),
            ConnectionEvent::Failed { request } => {
                if let Some(index) = self.connections.opening(request) {
                    self.connections.connections.remove(index);
                    self.fail_tcp_pairs(|p| {
                        p.active == Some(request.local) && p.remote_addr == request.remote
                    });
                }
                Ok(())
            }
            ConnectionEvent::Accepted { local, remote } => self.connection_accepted(local, remote),
            ConnectionEvent::Closed { local, remote } => {
                self.connection_closed(local, remote);
                Ok(())
            }
        };
        self.update_state();
        result
    }

    fn connection_opened(
        &mut self,
        request: ConnectRequest,
        local: SocketAddr,
    ) -> Result<(), Error> {
        self.check_open()?;
        let index = self
            .connections
            .opening(request)
            .ok_or(Error::UnknownConnection)?;
        if self.connections.open(local, request.remote).is_some() {
            // The caller reports a connection it already has: the request
            // is void, and so are the pairs that waited for it.
            self.connections.connections.remove(index);
            self.fail_tcp_pairs(|p| {
                p.active == Some(request.local)
                    && p.remote_addr == request.remote
                    && p.state == PairState::InProgress
                    && p.check.is_none()
            });
            return Err(Error::DuplicateSocket);
        }
        let now = self.now;
        let Some(connection) = self.connections.connections.get_mut(index) else {
            return Err(Error::UnknownConnection);
        };
        connection.local = local;
        connection.stage = Stage::Open;
        connection.since = now;
        // The pairs waiting for it take its address and send their check.
        let waiting: Vec<u32> = self
            .checklist
            .pairs_mut()
            .filter(|p| {
                p.active == Some(request.local)
                    && p.remote_addr == request.remote
                    && p.state == PairState::InProgress
                    && p.check.is_none()
            })
            .map(|p| {
                p.local_base = local;
                p.id
            })
            .collect();
        for id in waiting {
            self.send_check(id);
        }
        Ok(())
    }

    fn connection_accepted(&mut self, local: SocketAddr, remote: SocketAddr) -> Result<(), Error> {
        self.check_open()?;
        let socket = self
            .sockets
            .iter()
            .find(|s| {
                s.address == local
                    && s.transport == Transport::Tcp
                    && s.tcp_type == Some(TcpType::Passive)
            })
            .copied()
            .ok_or(Error::UnknownConnection)?;
        if self.connections.open(local, remote).is_some() {
            return Err(Error::DuplicateSocket);
        }
        if self.connections.is_full() {
            return Err(Error::TooMany("TCP connections"));
        }
        self.connections.connections.push(Connection {
            socket: socket.address,
            local,
            remote,
            component: socket.component,
            accepted: true,
            stage: Stage::Open,
            since: self.now,
            verified: false,
        });
        Ok(())
    }

    /// The connection from `local` to `remote` is gone: its pairs fail,
    /// and a selected pair on it loses consent.
    fn connection_closed(&mut self, local: SocketAddr, remote: SocketAddr) {
        let before = self.connections.len();
        self.connections
            .connections
            .retain(|c| !(c.stage == Stage::Open && c.local == local && c.remote == remote));
        if self.connections.len() == before {
            return;
        }
        self.fail_tcp_pairs(|p| p.local_base == local && p.remote_addr == remote);
        for selected in &mut self.selected {
            if selected.transport == Transport::Tcp
                && selected.local_base == local
                && selected.remote_address == remote
            {
                selected.lost = true;
            }
        }
    }

    /// Fails the TCP pairs `which` selects (their connection failed or
    /// closed, RFC 6544 §7.1).
    fn fail_tcp_pairs(&mut self, which: impl Fn(&crate::pair::Pair) -> bool) {
        for pair in self.checklist.pairs_mut() {
            if pair.transport == Transport::Tcp && which(pair) {
                pair.check = None;
                pair.state = if pair.valid && pair.nominated {
                    PairState::Succeeded
                } else {
                    pair.valid = false;
                    PairState::Failed
                };
                pair.use_candidate = false;
            }
        }
    }

    /// Asks the caller for a connection from the active socket `socket` to
    /// `remote` for a pair of `component`, unless one is being opened;
    /// returns whether the pair can wait for it.
    pub(crate) fn request_connection(
        &mut self,
        socket: SocketAddr,
        remote: SocketAddr,
        component: u16,
    ) -> bool {
        let request = ConnectRequest {
            local: socket,
            remote,
        };
        if self.connections.opening(request).is_some() {
            return true;
        }
        if self.connections.is_full() {
            return false;
        }
        self.connections.connections.push(Connection {
            socket,
            local: socket,
            remote,
            component,
            accepted: false,
            stage: Stage::Opening,
            since: self.now,
            verified: false,
        });
        self.event(Event::OpenConnection(request));
        true
    }

    /// Closes connections that did not complete a check within
    /// [`Config::tcp_timeout`](crate::Config::tcp_timeout), failing their
    /// pairs; requests that got no answer in that time are forgotten.
    pub(crate) fn expire_connections(&mut self) {
        let now = self.now;
        let timeout = self.config.tcp_timeout;
        let (expired, kept): (Vec<Connection>, Vec<Connection>) = self
            .connections
            .connections
            .drain(..)
            .partition(|c| !c.verified && now >= c.since + timeout);
        self.connections.connections = kept;
        for connection in expired {
            match connection.stage {
                Stage::Opening => self.fail_tcp_pairs(|p| {
                    p.active == Some(connection.socket) && p.remote_addr == connection.remote
                }),
                Stage::Open => {
                    self.fail_tcp_pairs(|p| {
                        p.local_base == connection.local && p.remote_addr == connection.remote
                    });
                    self.event(Event::CloseConnection {
                        local: connection.local,
                        remote: connection.remote,
                    });
                }
            }
        }
    }

    /// Closes every connection no selected pair uses (`all`: every one),
    /// and forgets the requests still unanswered.
    pub(crate) fn close_connections(&mut self, all: bool) {
        let selected: Vec<(SocketAddr, SocketAddr)> = self
            .selected
            .iter()
            .filter(|s| s.transport == Transport::Tcp && !all)
            .map(|s| (s.local_base, s.remote_address))
            .collect();
        let (closed, kept): (Vec<Connection>, Vec<Connection>) =
            self.connections.connections.drain(..).partition(|c| {
                c.stage == Stage::Opening || !selected.contains(&(c.local, c.remote))
            });
        self.connections.connections = kept;
        for connection in closed {
            if connection.stage == Stage::Open {
                self.event(Event::CloseConnection {
                    local: connection.local,
                    remote: connection.remote,
                });
            }
        }
    }

    /// Queues `contents` for the connection from `source` to
    /// `destination`, RFC 4571-framed in pooled memory.
    pub(crate) fn push_framed(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        contents: &[u8],
    ) -> bool {
        let Ok(framed) = self
            .writer
            .write(rfc4571::HEADER_LEN + contents.len(), |buf| {
                rfc4571::write_to(contents, buf)
            })
        else {
            return false;
        };
        self.outbox.push(crate::event::Transmit {
            source,
            destination,
            transport: Transport::Tcp,
            contents: framed,
        })
    }

    /// The connection a TCP packet from `source` to `destination` arrived
    /// on, if the agent keeps it open.
    pub(crate) fn connection(
        &self,
        destination: SocketAddr,
        source: SocketAddr,
    ) -> Option<&Connection> {
        self.connections.open(destination, source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_preferences_follow_rfc_6544() {
        use CandidateType::{Host, PeerReflexive, Relayed, ServerReflexive};
        use TcpType::{Active, Passive, SimultaneousOpen};
        for (kind, tcp_type, direction) in [
            (Host, Active, 6),
            (Host, Passive, 4),
            (Host, SimultaneousOpen, 2),
            (Relayed, Active, 6),
            (ServerReflexive, SimultaneousOpen, 6),
            (ServerReflexive, Active, 4),
            (ServerReflexive, Passive, 2),
            (PeerReflexive, Active, 4),
        ] {
            assert_eq!(
                local_preference(kind, tcp_type, 8191),
                direction * 8192 + 8191,
                "{kind:?} {tcp_type:?}"
            );
        }
        // other-pref is capped to 13 bits.
        assert_eq!(local_preference(Host, Active, u16::MAX), 6 * 8192 + 8191);
        // The full priority: type preference 126, then the local
        // preference, then the component.
        let priority = crate::candidate::priority(Host, local_preference(Host, Passive, 8191), 1);
        assert_eq!(priority, (126 << 24) + ((4 * 8192 + 8191) << 8) + 255);
    }

    #[test]
    fn other_preferences_rank_interfaces_then_families() {
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let v6: IpAddr = "2001:db8::1".parse().unwrap();
        let link_local: IpAddr = "fe80::1".parse().unwrap();
        assert_eq!(other_preference(0, v4), 31 * 256 + 128);
        assert!(other_preference(0, v6) > other_preference(0, v4));
        assert!(other_preference(0, v4) > other_preference(0, link_local));
        assert!(other_preference(1, v6) < other_preference(0, link_local));
        assert_eq!(other_preference(0, v6), 8191);
        assert_eq!(other_preference(200, v4), other_preference(31, v4));
    }

    #[test]
    fn frames_split_anywhere_come_out_whole() {
        let mut stream = Vec::new();
        let packets: [&[u8]; 4] = [b"first", b"", &[7; 300], b"last"];
        for packet in packets {
            stream.extend_from_slice(&(packet.len() as u16).to_be_bytes());
            stream.extend_from_slice(packet);
        }
        for chunk in 1..=stream.len() {
            let mut reader = FrameReader::new();
            let mut frames = Vec::new();
            for piece in stream.chunks(chunk) {
                reader.push(piece).unwrap();
                while let Some(frame) = reader.next_frame().unwrap() {
                    frames.push(frame.to_vec());
                }
            }
            assert_eq!(frames, packets.map(<[u8]>::to_vec), "chunks of {chunk}");
            assert_eq!(reader.buffered(), 0);
        }
    }

    #[test]
    fn a_frame_over_the_cap_is_refused_at_its_header() {
        // The cap is a constant: a 20 KiB frame passes, one byte more does
        // not, and the refusal comes with the length bytes, before the body.
        let mut reader = FrameReader::new();
        assert_eq!(reader.max_frame_len(), MAX_FRAME_LEN);
        let at_cap = (MAX_FRAME_LEN as u16).to_be_bytes();
        reader.push(&at_cap).unwrap();
        reader.push(&vec![1; MAX_FRAME_LEN]).unwrap();
        assert_eq!(
            reader.next_frame().unwrap().map(<[u8]>::len),
            Some(MAX_FRAME_LEN)
        );
        let over = (MAX_FRAME_LEN as u16 + 1).to_be_bytes();
        // The header split across two reads.
        reader.push(&over[..1]).unwrap();
        assert_eq!(
            reader.push(&over[1..]),
            Err(FrameError::TooLong {
                len: MAX_FRAME_LEN + 1,
                max: MAX_FRAME_LEN
            })
        );
        // A header after a frame in the same read is checked too.
        let mut reader = FrameReader::with_max_frame_len(4);
        assert!(matches!(
            reader.push(&[0, 1, 9, 0, 5]),
            Err(FrameError::TooLong { len: 5, max: 4 })
        ));
        assert_eq!(
            FrameReader::with_max_frame_len(usize::MAX).max_frame_len(),
            65_535
        );
    }

    #[test]
    fn a_reader_never_holds_more_than_its_cap_and_one_read() {
        let mut reader = FrameReader::with_max_frame_len(1000);
        reader.push(&[0x03, 0xe8]).unwrap();
        for _ in 0..9 {
            reader.push(&[0; 100]).unwrap();
            assert_eq!(reader.next_frame().unwrap(), None);
        }
        assert_eq!(reader.buffered(), 902);
        reader.push(&[0; 100]).unwrap();
        assert_eq!(reader.next_frame().unwrap().map(<[u8]>::len), Some(1000));
        assert_eq!(reader.buffered(), 0);
    }
}
