//! What goes in and out of the [`Agent`](crate::Agent): received packets,
//! packets to send, events, states and errors.

use core::net::SocketAddr;

use sansrtc_stun::ParseError;

use crate::candidate::Candidate;
use crate::tcp::ConnectRequest;

pub use sansrtc_stun::{Receive, Transmit};

/// Application data (DTLS, RTP, ...) that reached the agent: on one of its
/// local sockets, or through one of its relayed candidates (unwrapped from
/// the TURN server's Data indication or ChannelData). Either way it is
/// borrowed from the received packet and handed back to the caller the same
/// way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Data<'a> {
    /// The component of the local candidate it arrived on.
    pub component: u16,
    /// The local candidate's base: the socket it arrived on, or the relayed
    /// address it was sent to.
    pub local: SocketAddr,
    /// Where it came from (the peer's address, also through a relay).
    pub remote: SocketAddr,
    /// The data.
    pub contents: &'a [u8],
}

/// What the agent did with a received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled<'a> {
    /// A connectivity check, answered.
    Request,
    /// A response to one of our checks, consent checks or STUN requests.
    Response,
    /// A Binding indication (a keepalive), absorbed.
    Indication,
    /// A message from a TURN server for the agent's TURN client (an answer
    /// to one of its requests).
    Turn,
    /// Not STUN (RFC 7983): application data for the caller's DTLS or
    /// SRTP, whether it came directly or through a relayed candidate.
    Data(Data<'a>),
    /// Not the agent's: it arrived on a socket that was not added, or it is
    /// a response to no transaction of the agent's (a late retransmission,
    /// or another agent's on a shared socket).
    NotMine,
}

/// Why a received packet was dropped. The agent stays usable; nothing in
/// its state changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// A STUN message that does not parse.
    #[error("malformed STUN message: {0}")]
    Malformed(ParseError),
    /// FINGERPRINT is missing or wrong.
    #[error("FINGERPRINT missing or wrong")]
    Fingerprint,
    /// USERNAME or MESSAGE-INTEGRITY do not match our credentials.
    #[error("not authenticated: {0}")]
    Unauthenticated(&'static str),
    /// A request the agent does not serve (not a Binding request, missing
    /// ICE attributes, or comprehension-required attributes it does not
    /// act on: answered with 400 or 420).
    #[error("unsupported request: {0}")]
    Unsupported(&'static str),
    /// The agent is closed.
    #[error("the agent is closed")]
    Closed,
    /// A STUN server's answer to a gathering request that fails the
    /// request's checks (another method, a bad FINGERPRINT).
    #[error("gathering: {0}")]
    Gather(sansrtc_stun::transaction::RecvError),
    /// A packet from a TURN server that its TURN client dropped.
    #[error("TURN: {0}")]
    Turn(sansrtc_stun::turn::RecvError),
}

/// Misuse of the API by the caller, or a remote candidate the agent will
/// not take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A cap was reached (the name says which).
    #[error("too many {0}")]
    TooMany(&'static str),
    /// A component other than the configured ones.
    #[error("component {0} is not in use")]
    Component(u16),
    /// A socket or candidate the agent cannot use: a TCP candidate without
    /// `tcptype`, a simultaneous-open or (for a lite agent) active TCP
    /// socket, a UDP socket with a TCP type.
    #[error("unsupported transport or TCP type")]
    UnsupportedTransport,
    /// A TCP connection the agent did not ask for or no longer waits for,
    /// or one accepted on an address that is no passive socket of the
    /// agent: close it.
    #[error("unknown TCP connection")]
    UnknownConnection,
    /// Data too long for one RFC 4571 frame (65535 bytes).
    #[error("data too long for a TCP frame")]
    TooLarge,
    /// The local socket was already added (or the TCP connection
    /// reported is one the agent already has).
    #[error("local socket or connection already added")]
    DuplicateSocket,
    /// The candidate belongs to another ICE generation (its `ufrag`
    /// extension does not match the remote credentials).
    #[error("candidate of another ICE generation")]
    StaleCandidate,
    /// Credentials that are not 4 to 256 characters (ufrag) and 22 to 256
    /// characters (password) of the ICE alphabet (RFC 8839 §5.4).
    #[error("invalid ICE credentials: {0}")]
    Credentials(&'static str),
    /// A name that is not an mDNS `.local` name.
    #[error("invalid name: {0}")]
    Name(&'static str),
    /// No name resolution was asked for this name.
    #[error("no pending resolution for this name")]
    UnknownName,
    /// No pair is selected for this component (yet).
    #[error("no selected pair for component {0}")]
    NoSelectedPair(u16),
    /// The TURN client of the selected relayed pair refused the data.
    #[error("relay: {0}")]
    Relay(sansrtc_stun::turn::SendError),
    /// The agent is closed.
    #[error("the agent is closed")]
    Closed,
}

/// The state of the agent, after the W3C `RTCIceConnectionState`.
///
/// <https://www.w3.org/TR/webrtc/#rtciceconnectionstate-enum>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ConnectionState {
    /// Gathering or waiting for remote candidates; no check sent.
    New,
    /// Checks under way, no pair selected for every component yet.
    Checking,
    /// A pair is selected for every component.
    Connected,
    /// Connected, and every check is done (end of candidates on both sides).
    Completed,
    /// Consent has not been confirmed for a while (RFC 7675); may recover.
    Disconnected,
    /// No pair worked, or consent expired. Final until an ICE restart.
    Failed,
    /// Closed by the caller. Final.
    Closed,
}

/// Whether local candidates are still being gathered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum GatheringState {
    /// No socket added yet.
    New,
    /// Server-reflexive requests are outstanding.
    Gathering,
    /// Every request finished.
    Complete,
}

/// Something the caller should know about.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A local candidate to signal to the peer (trickle ICE, RFC 8838).
    LocalCandidate(Candidate),
    /// Local gathering is complete: signal `end-of-candidates`.
    GatheringComplete,
    /// Resolve this name (an mDNS `.local` remote candidate) and call
    /// [`Agent::resolve_name`](crate::Agent::resolve_name) with the result.
    ResolveName(String),
    /// The connection state changed.
    StateChanged(ConnectionState),
    /// A pair was selected for a component: send media from `local`'s base to
    /// `remote_address`. On a TCP pair (`local.transport()` is TCP) the two
    /// addresses name the connection to send on, RFC 4571-framed (or send
    /// with [`Agent::send_data`](crate::Agent::send_data)).
    SelectedPair {
        /// The component.
        component: u16,
        /// The local candidate (its type says host, srflx, prflx or relay).
        local: Box<Candidate>,
        /// The local socket to send from (for TCP, the connection's local
        /// address).
        local_base: SocketAddr,
        /// The remote candidate.
        remote: Box<Candidate>,
        /// Where to send.
        remote_address: SocketAddr,
    },
    /// The agent switched role after a role conflict (RFC 8445 §7.3.1.1).
    RoleChanged {
        /// Whether the agent is now controlling.
        controlling: bool,
    },
    /// Open a TCP connection from the request's IP address (any port) to
    /// its remote address, and report the outcome with
    /// [`Agent::handle_connection`](crate::Agent::handle_connection)
    /// ([`ConnectionEvent::Opened`](crate::tcp::ConnectionEvent::Opened) or
    /// [`Failed`](crate::tcp::ConnectionEvent::Failed)). See
    /// [`crate::tcp`].
    OpenConnection(ConnectRequest),
    /// Close the TCP connection from `local` to `remote`: it did not
    /// complete a check in time, ICE no longer needs it, or the agent
    /// closed. No [`Closed`](crate::tcp::ConnectionEvent::Closed) report is
    /// needed for it.
    CloseConnection {
        /// Our end's address.
        local: SocketAddr,
        /// The peer's end.
        remote: SocketAddr,
    },
    /// A TURN server refused a request, did not answer, or lost the
    /// allocation. ICE goes on with its other candidates.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8656#section-19>
    TurnError {
        /// The TURN server.
        server: SocketAddr,
        /// Its ERROR-CODE (403, 437, 441, 486, 508, ...), or 0 when there
        /// was no answer or the allocation was lost.
        code: u16,
        /// The reason phrase, or what happened.
        reason: String,
    },
}
