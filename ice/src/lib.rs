//! Interactive Connectivity Establishment
//! ([RFC 8445](https://www.rfc-editor.org/rfc/rfc8445)) for WebRTC, without I/O.
//!
//! - [`Candidate`]: the RFC 8839 `candidate` attribute, parsed and printed
//!   back exactly as browsers write it; [`candidate`] has the priority,
//!   local-preference (RFC 8421), foundation and redundancy rules.
//! - [`Agent`]: a full or lite ICE agent: gathering (host, optionally under
//!   an mDNS name, server-reflexive, and relayed through TURN servers the
//!   agent allocates on), components 1 and 2, IPv4 and IPv6, the checklist with foundation-based unfreezing, Ta
//!   pacing and triggered checks, peer-reflexive candidates, roles and
//!   conflicts, regular nomination with a [`NominationPolicy`], trickle ICE,
//!   consent freshness (RFC 7675), ICE restart, states after the W3C
//!   `RTCIceConnectionState`, including `failed`.
//! - [`tcp`]: ICE over TCP (RFC 6544) for networks that block UDP: passive
//!   and active TCP host candidates, RFC 4571 framing, and the connections
//!   the agent asks the caller to open, or takes from it.
//! - `sim` (cargo feature `sim`): a simulated network with NATs, firewalls,
//!   STUN and TURN servers, for testing the agent and your integration
//!   of it.
//!
//! # The drive loop
//!
//! The agent never reads a clock or touches a socket. Feed it input, then
//! drain its outputs; sleep until [`Agent::poll_timeout`]. Here two agents
//! talk over an in-memory "network":
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_ice::{Agent, Config, ConnectionState, Event, Handled, LocalSocket, Receive};
//!
//! let mut now = Instant::now();
//! let mut agents = [
//!     Agent::new(Config::new(true), now),  // the offerer controls
//!     Agent::new(Config::new(false), now),
//! ];
//! let addresses = ["192.0.2.1:5000".parse()?, "192.0.2.2:5000".parse()?];
//! // Signaling: exchange credentials (a=ice-ufrag, a=ice-pwd).
//! let credentials = [agents[0].local_credentials().clone(), agents[1].local_credentials().clone()];
//! for i in 0..2 {
//!     let other = &credentials[1 - i];
//!     agents[i].set_remote_credentials(other.ufrag(), other.pwd())?;
//!     agents[i].add_local_socket(LocalSocket::udp(addresses[i]))?;
//! }
//! for _ in 0..1000 {
//!     for i in 0..2 {
//!         // Events: trickle candidates to the peer, watch the state.
//!         while let Some(event) = agents[i].poll_event() {
//!             match event {
//!                 Event::LocalCandidate(candidate) => agents[1 - i].add_remote_candidate(candidate)?,
//!                 Event::GatheringComplete => agents[1 - i].end_of_remote_candidates(),
//!                 _ => {}
//!             }
//!         }
//!         // Transmits: "send" each packet (here: hand it to the other agent).
//!         while let Some(transmit) = agents[i].poll_transmit() {
//!             let packet = Receive {
//!                 source: transmit.source,
//!                 destination: transmit.destination,
//!                 transport: transmit.transport,
//!                 contents: &transmit.contents,
//!             };
//!             match agents[1 - i].handle_receive(now, packet) {
//!                 // DTLS or SRTP for the rest of the stack.
//!                 Ok(Handled::Data(data)) => { let _ = data.contents; }
//!                 // STUN the agent consumed, or not its own.
//!                 Ok(_) => {}
//!                 // A bad packet: dropped, the agent carries on.
//!                 Err(_error) => {}
//!             }
//!         }
//!     }
//!     if agents.iter().all(|a| a.state() == ConnectionState::Completed) {
//!         break;
//!     }
//!     // Timers: sleep until the earliest deadline, then tell the agents.
//!     let next = agents.iter().filter_map(Agent::poll_timeout).min();
//!     now = next.map_or(now + Duration::from_millis(10), |t| t.max(now));
//!     for agent in &mut agents {
//!         agent.handle_timeout(now);
//!     }
//! }
//! assert_eq!(agents[0].state(), ConnectionState::Completed);
//! let (local, remote) = agents[0].selected_pair(1).expect("selected");
//! assert_eq!(remote.socket_addr(), Some(addresses[1]));
//! # let _ = local;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Wiring the agent to sockets, signaling and SDP
//!
//! - **Sockets.** Bind one UDP socket per interface address you want to
//!   offer (and per component without rtcp-mux) and tell the agent with
//!   [`Agent::add_local_socket`] (TCP listeners and active addresses too,
//!   see [TCP candidates](#tcp-candidates)). Every datagram received on them goes
//!   to [`Agent::handle_receive`] with the socket's own address as
//!   `destination`: the agent consumes STUN and hands everything else back
//!   as [`Handled::Data`] (borrowed, not copied) for DTLS or SRTP. Send
//!   every [`Transmit`] from the socket bound to its `source`.
//! - **Many agents on one socket** (an SFU): route each STUN packet with
//!   [`local_ufrag`] (a map from each agent's ufrag) or [`Agent::accepts`]
//!   before handing it over; application data by the selected pair's
//!   addresses.
//! - **Timers.** After every input, drain [`Agent::poll_transmit`] and
//!   [`Agent::poll_event`], then arm one timer at [`Agent::poll_timeout`];
//!   when it fires call [`Agent::handle_timeout`] with the current time.
//! - **SDP.** Put [`Agent::local_credentials`] in `a=ice-ufrag` and
//!   `a=ice-pwd`, each [`Event::LocalCandidate`] in an `a=candidate` line
//!   ([`Candidate::sdp_value`] writes the value after the colon) or a
//!   trickle message (its `Display` writes `candidate:...`), and
//!   [`Event::GatheringComplete`] as `a=end-of-candidates`. From the remote
//!   description: [`Agent::set_remote_credentials`], each `a=candidate`
//!   parsed with [`str::parse`] into [`Agent::add_remote_candidate`],
//!   `a=end-of-candidates` into [`Agent::end_of_remote_candidates`], and
//!   `a=ice-lite` into [`Agent::set_remote_lite`]. The offerer is
//!   controlling ([`Config::controlling`]).
//! - **mDNS.** A remote `.local` candidate produces [`Event::ResolveName`];
//!   resolve it with your mDNS resolver and answer with
//!   [`Agent::resolve_name`]. To hide your own host addresses, register a
//!   name and add the socket with [`Agent::add_local_socket_with_name`].
//! - **Media.** On [`Event::SelectedPair`], send media from `local_base` to
//!   `remote_address`. The event names both candidates with their types.
//! - **TURN.** List the servers in [`Config::turn_servers`]; see
//!   [Relayed candidates](#relayed-candidates).
//! - **Restart.** [`Agent::restart`] makes new credentials for a new offer;
//!   media keeps flowing on the old pair until a new one is selected.
//!
//! # Relayed candidates
//!
//! With [`Config::turn_servers`] the agent runs one
//! `sansrtc_stun::turn::Client` per server and component (RFC 8656), from
//! the first host socket of the server's address family, seeded from
//! [`Config::seed`]:
//!
//! - Its packets are ordinary [`Transmit`]s from that host socket to the
//!   server ([`Transport::Tcp`] for a [`TurnServer::tcp`] server: write
//!   them to your TCP connection to it). Feed what the socket receives from
//!   the server to [`Agent::handle_receive`] as usual (over TCP, cut the
//!   stream into messages with `sansrtc_stun::framing::StreamReader` and
//!   hand over each with `transport: Tcp`).
//! - Once allocated, the relayed address is a relayed candidate
//!   ([`Event::LocalCandidate`], its related address the server-reflexive
//!   address the allocation reported), and gathering completes only when
//!   every allocation has succeeded or failed. Permissions are installed
//!   for every remote candidate's IP, peer-reflexive ones included; checks
//!   from the relayed candidate travel as Send indications, and the
//!   selected pair gets a channel (ChannelData, 4 bytes of overhead).
//! - Application data on the selected pair: [`Agent::send_data`] sends it
//!   from the right place (wrapped for the relay when the local candidate
//!   is relayed), and data relayed back comes out of
//!   [`Agent::handle_receive`] as [`Handled::Data`] exactly like data on a
//!   socket, with the relayed address as [`Data::local`].
//! - Failures (refusals with their ERROR-CODE, timeouts, a lost
//!   allocation) are [`Event::TurnError`]s; ICE goes on with its other
//!   candidates. Allocations, permissions and channels are refreshed in
//!   time while the agent lives.
//! - [`Agent::close`] releases the allocations (keep driving the agent
//!   until [`Agent::poll_timeout`] is `None`). [`Agent::restart`] keeps
//!   live allocations, so a selected relayed pair keeps working, and
//!   allocates again where one was lost;
//!   [`Agent::restart_with_turn_servers`] takes new credentials, releasing
//!   the old allocation before the new Allocate so that the server does not
//!   answer 437 (Allocation Mismatch).
//!
//! A TURN client of your own still works: hand its relayed address to
//! [`Agent::add_relayed_candidate`]; transmits from that address are then
//! yours to wrap, and what your client receives from peers comes back to
//! [`Agent::handle_receive`] with the relayed address as `destination`.
//!
//! # TCP candidates
//!
//! Where UDP is blocked, a peer can still be reached over TCP (RFC 6544).
//! Add a TCP listener with [`LocalSocket::tcp_passive`] (announced
//! `tcptype passive` on its port) and the address to connect from with
//! [`LocalSocket::tcp_active`] (announced `tcptype active`, port 9); their
//! priorities follow RFC 6544 §4.2 ([`tcp::local_preference`]). Browsers
//! offer active candidates only, so a server that browsers must reach
//! over TCP offers a passive one. The caller owns the connections; the
//! agent says what it needs and is told what happened:
//!
//! | the agent asks | the caller reports |
//! |---|---|
//! | [`Event::OpenConnection`]: connect from this IP address to this passive candidate | [`Agent::handle_connection`] with [`ConnectionEvent::Opened`] (and the address it bound) or [`ConnectionEvent::Failed`] |
//! | | [`ConnectionEvent::Accepted`]: a peer connected to a listener (an `Err` means: close it) |
//! | [`Event::CloseConnection`]: close this connection | [`ConnectionEvent::Closed`]: the peer closed it, it broke, or its framing failed |
//!
//! A connection is named by its two ends: our `local` address and the
//! peer's `remote`. Cut each connection's bytes into RFC 4571 frames with a
//! [`FrameReader`] and hand every frame to [`Agent::handle_receive`] with
//! `transport: Transport::Tcp`, `source: remote`, `destination: local`;
//! application data comes back as [`Handled::Data`] as over UDP. Write every
//! [`Transmit`] whose transport is TCP to the connection from its `source`
//! to its `destination` **as it is: its contents are already framed**
//! (two bytes of length, then the packet). [`Agent::send_data`] frames data
//! on a TCP pair the same way.
//!
//! Checks, nomination, consent and data work over a TCP pair exactly as
//! over UDP, but a check is sent once (the stream is reliable). By default
//! ([`TcpPolicy::UdpFirst`]) the controlling agent nominates a TCP pair
//! only when no UDP pair works: while UDP pairs are still being checked it
//! waits up to a second after the first TCP pair succeeded;
//! [`TcpPolicy::ByPriority`] lets priorities decide. A connection that
//! closes fails its pairs; if a selected pair used it, the agent fails. A
//! connection that completes no check within [`Config::tcp_timeout`] is
//! closed, at most [`MAX_TCP_CONNECTIONS`] are kept, and a [`FrameReader`]
//! refuses frames longer than [`tcp::MAX_FRAME_LEN`] as soon as their
//! length is read. Simultaneous-open candidates are parsed but not paired.
//! The [`tcp`] module has the details.
//!
//! # Retransmissions
//!
//! Server-reflexive gathering uses `sansrtc_stun` client transactions (the
//! RFC 8489 schedule, at most 7 transmissions, given up 33.5 s after the
//! first with the defaults). Connectivity checks and consent checks are
//! retransmitted by the agent itself, because the checklist decides which
//! pair gets each Ta slot (RFC 8445 §14) and an incoming check refreshes
//! the budget of an in-progress one: RTO 500 ms doubling to 1.6 s, 7
//! transmissions, so a pair fails 9.5 s after its first check with the
//! defaults.
//!
//! # Failure
//!
//! No agent stays in `checking` forever. It fails when every pair has
//! failed, the peer signalled end of candidates and the peer had the time
//! to check our latest candidate (one check span after we announced it),
//! or, without end of candidates, [`Config::failure_timeout`] after the
//! last candidate on either side.
//!
//! # Caps
//!
//! Everything a peer controls is capped by a documented constant:
//! [`MAX_REMOTE_CANDIDATES`], [`MAX_PEER_REFLEXIVE`],
//! [`MAX_LOCAL_PEER_REFLEXIVE`], [`MAX_PENDING_NAMES`], [`MAX_TURN_SERVERS`],
//! [`MAX_TCP_CONNECTIONS`] and [`tcp::MAX_FRAME_LEN`] (with
//! [`Config::tcp_timeout`] for connections that complete no check),
//! [`Config::max_pairs`] (at most [`MAX_PAIRS_LIMIT`]), the output queues
//! ([`MAX_QUEUED_TRANSMITS`], [`MAX_QUEUED_EVENTS`]; what they drop is
//! counted in [`Agent::overflow`]) and the candidate grammar
//! ([`candidate::MAX_CANDIDATE_LEN`], [`candidate::MAX_EXTENSIONS`]).
//! Requests that do not authenticate change nothing; they get the 400 or
//! 401 of RFC 8489 §9.1.3, at most [`MAX_UNAUTHENTICATED_ANSWERS`] a
//! second.
//!
//! # Seeing why
//!
//! With the `tracing` feature (off by default) the agent tells
//! [`tracing`](https://docs.rs/tracing) why it did what it did: each pair
//! that fails and the reason, the pair selected, role switches, state
//! changes, refused checks and TURN errors, at `DEBUG` level under the
//! target `sansrtc_ice`.
//!
//! # Panics
//!
//! No input may cause a panic; a panic is a bug.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod agent;
pub mod candidate;
mod check;
mod checklist;
mod consent;
mod event;
mod gather;
mod nomination;
mod pair;
mod relay;
mod restart;
mod rng;
mod role;
mod route;
#[cfg(feature = "sim")]
pub mod sim;
pub mod tcp;
mod trace;

pub use agent::{
    Agent, Config, LocalSocket, MAX_LOCAL_SOCKETS, MAX_PENDING_NAMES, MAX_QUEUED_EVENTS,
    MAX_QUEUED_TRANSMITS, MAX_REMOTE_CANDIDATES, MAX_UNAUTHENTICATED_ANSWERS,
};
pub use candidate::{
    Address, Candidate, CandidateError, CandidateType, SdpValue, TcpType, Transport,
};
pub use check::{
    Credentials, MAX_CHECK_TRANSMISSIONS, MAX_LOCAL_PEER_REFLEXIVE, MAX_PEER_REFLEXIVE,
};
pub use checklist::{DEFAULT_MAX_PAIRS, MAX_PAIRS_LIMIT};
pub use event::{
    ConnectionState, Data, Error, Event, GatheringState, Handled, Receive, RecvError, Transmit,
};
pub use gather::MAX_STUN_SERVERS;
pub use nomination::NominationPolicy;
pub use pair::{PairInfo, PairState, pair_priority};
pub use relay::{MAX_TURN_SERVERS, TurnServer};
pub use rng::{Rng, Seed, seed_from_u64};
pub use route::local_ufrag;
pub use sansrtc_stun::Overflow;
pub use tcp::{
    ConnectRequest, ConnectionEvent, FrameError, FrameReader, MAX_TCP_CONNECTIONS, TcpPolicy,
};
