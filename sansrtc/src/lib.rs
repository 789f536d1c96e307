//! A sans-IO WebRTC peer connection.
//!
//! [`Peer`] ties the sansrtc crates into one `RTCPeerConnection` that your
//! own event loop drives: offers and answers ([JSEP](https://www.rfc-editor.org/rfc/rfc8829),
//! [`sdp`]), connectivity ([`ice`], with STUN and TURN from [`stun`]),
//! DTLS-SRTP ([`dtls`], [`srtp`]) and media ([`rtp`]): one BUNDLEd
//! transport, RFC 7983 demultiplexing, RTP routed to transceivers by the
//! MID header extension (RFC 8843), SSRC or payload type, RTCP reports,
//! keyframe requests and BYE, generic NACK with RTX retransmission
//! (RFC 4585, RFC 4588), frames packetized and reassembled through a
//! jitter buffer ([`Peer::write_frame`], [`Peer::receive_frames`]),
//! simulcast sent and received (RFC 8851, 8852, 8853: layers named by
//! [`Rid`], [`Peer::add_simulcast_transceiver`]), and statistics in the
//! shape of the W3C `getStats()` ([`Peer::stats`]).
//!
//! It never reads a clock, sleeps, spawns or touches a socket: you own the
//! sockets and the time, as with every sansrtc state machine (see
//! [`stun::drive`] for the shared contract).
//!
//! # The drive loop
//!
//! Two peers in memory: one offers audio, the other answers; once
//! connected (ICE, then DTLS, then SRTP keys) an RTP packet crosses.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc::{Config, Event, MediaKind, Peer};
//! use sansrtc::ice::LocalSocket;
//! use sansrtc::sdp::Direction;
//! use sansrtc::stun::Receive;
//!
//! let mut now = Instant::now();
//! let mut peers = [Peer::new(Config::new(), now)?, Peer::new(Config::new(), now)?];
//! let addresses = ["192.0.2.1:5000".parse()?, "192.0.2.2:5000".parse()?];
//! for (peer, address) in peers.iter_mut().zip(addresses) {
//!     peer.add_local_socket(LocalSocket::udp(address))?;
//! }
//! // Signaling: offer and answer go through your signaling channel.
//! let mid = peers[0].add_transceiver(MediaKind::Audio, Direction::SendRecv)?;
//! let offer = peers[0].create_offer()?;
//! peers[1].set_remote_offer(&offer)?;
//! let answer = peers[1].create_answer()?;
//! peers[0].set_remote_answer(&answer)?;
//!
//! let mut received = None;
//! for _ in 0..10_000 {
//!     for i in 0..2 {
//!         // Events: trickle candidates to the other side, watch states,
//!         // read media.
//!         while let Some(event) = peers[i].poll_event() {
//!             match event {
//!                 Event::LocalCandidate { candidate, .. } => {
//!                     peers[1 - i].add_remote_candidate(&candidate)?;
//!                 }
//!                 Event::SrtpReady { .. } if i == 0 => {
//!                     // Send media: payload type 0 (PCMU), timestamp 0.
//!                     peers[0].write_rtp(now, &mid, 0, 0, true, &[0xff; 160])?;
//!                 }
//!                 Event::Media(packet) => received = Some(packet),
//!                 _ => {}
//!             }
//!         }
//!         // Transmits: send each from its socket (here: hand it over).
//!         while let Some(transmit) = peers[i].poll_transmit() {
//!             let packet = Receive::udp(transmit.source, transmit.destination, &transmit.contents);
//!             let _ = peers[1 - i].handle_receive(now, packet);
//!         }
//!     }
//!     if received.is_some() {
//!         break;
//!     }
//!     // Timers: sleep until the earliest deadline, then tell the peers.
//!     let next = peers.iter().filter_map(Peer::poll_timeout).min();
//!     now = next.map_or(now + Duration::from_millis(10), |t| t.max(now));
//!     for peer in &mut peers {
//!         peer.handle_timeout(now);
//!     }
//! }
//! let packet = received.expect("media crossed");
//! assert_eq!((packet.mid.as_str(), packet.payload_type), ("0", 0));
//! assert_eq!(packet.payload, [0xff; 160]);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Panics
//!
//! No input from the network may cause a panic; a panic is a bug.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod data;
mod demux;
mod event;
mod frames;
mod jsep;
mod media;
mod peer;
mod simulcast;
pub mod stats;
mod transceiver;

pub use data::{DataChannelEvent, DataChannelId, MAX_PENDING_DATA_CHANNELS};
pub use event::{
    ConnectionState, DtlsState, Error, Event, Failure, IceConnectionState, KeyframeRequest,
    MediaKind, MediaPacket, Mid, Payload, RecvError, SignalingState,
};
pub use frames::DEFAULT_MAX_PAYLOAD_LEN;
pub use media::{MAX_INBOUND_STREAMS, MAX_NACKED_PER_PACKET, PAYLOAD_BLOCK};
pub use peer::{
    Config, DEFAULT_AUDIO_RETRANSMISSION_CAPACITY, DEFAULT_VIDEO_RETRANSMISSION_CAPACITY,
    MAX_DATAGRAM, MAX_QUEUED_EVENTS, MAX_TRANSCEIVERS, Peer,
};
pub use sansrtc_datachannel::{ChannelOptions, Message, Priority, Reliability};
pub use simulcast::{MAX_RID_LEN, MAX_SIMULCAST_LAYERS, Rid};
pub use stats::Stats;

pub use sansrtc_datachannel as datachannel;
pub use sansrtc_dtls as dtls;
pub use sansrtc_ice as ice;
pub use sansrtc_rtp as rtp;
pub use sansrtc_sdp as sdp;
pub use sansrtc_srtp as srtp;
pub use sansrtc_stun as stun;
