//! WebRTC data channels without I/O: the Data Channel Establishment
//! Protocol ([RFC 8832](https://www.rfc-editor.org/rfc/rfc8832)) and the
//! channel rules of [RFC 8831](https://www.rfc-editor.org/rfc/rfc8831) over
//! the SCTP of [`sctp_proto`].
//!
//! - [`Association`]: the one SCTP association of a peer connection and its
//!   channels. It takes the SCTP packets DTLS decrypted and the time, and
//!   hands out SCTP packets for DTLS to encrypt, deadlines and [`Event`]s.
//! - Channels: in band (DATA_CHANNEL_OPEN / ACK, stream ids even for the
//!   DTLS client and odd for the server) or negotiated by the application;
//!   ordered or not; reliable, or partially reliable by retransmissions
//!   (`maxRetransmits`) or by lifetime (`maxPacketLifeTime`); text and
//!   binary messages with their PPIDs (51, 53, and 56, 57 when empty);
//!   `a=max-message-size` honoured both ways; buffered amounts and their low
//!   threshold; closing by stream reset (RFC 6525).
//! - [`dcep`]: the DCEP messages, parsed without copying and written into
//!   your buffer.
//!
//! # The drive loop
//!
//! Two associations joined in memory; in a peer connection each packet
//! travels in a DTLS application data record instead.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_datachannel::{
//!     Association, ChannelOptions, Config, DtlsRole, Event, Message, Payload,
//! };
//!
//! let mut now = Instant::now();
//! let mut client = Association::new(Config::new(DtlsRole::Client), now);
//! let mut server = Association::new(Config::new(DtlsRole::Server), now);
//!
//! // A channel may be created before the association is up.
//! let chat = client.create_channel(now, ChannelOptions::new("chat"))?;
//! client.connect(now)?; // once DTLS is connected
//!
//! let mut got = None;
//! for _ in 0..100 {
//!     // Outputs: packets (to the other side here), then events.
//!     while let Some(packet) = client.poll_transmit() {
//!         server.handle_receive(now, &packet)?;
//!     }
//!     while let Some(packet) = server.poll_transmit() {
//!         client.handle_receive(now, &packet)?;
//!     }
//!     while let Some(event) = client.poll_event() {
//!         if event == (Event::ChannelOpen { channel: chat }) {
//!             client.send(now, chat, Message::Text("hello"))?;
//!         }
//!     }
//!     while let Some(event) = server.poll_event() {
//!         if let Event::Message { channel, payload } = event {
//!             assert_eq!(server.channel(channel).unwrap().label(), "chat");
//!             got = Some(payload);
//!         }
//!     }
//!     if got.is_some() {
//!         break;
//!     }
//!     // Then the deadline: sleep until it (or the next packet).
//!     let next = [client.poll_timeout(), server.poll_timeout()]
//!         .into_iter()
//!         .flatten()
//!         .min()
//!         .unwrap_or(now + Duration::from_millis(10));
//!     now = now.max(next);
//!     client.handle_timeout(now);
//!     server.handle_timeout(now);
//! }
//! assert_eq!(got, Some(Payload::Text("hello".into())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Time
//!
//! Every timer runs on the caller's clock, which may be virtual and run
//! far ahead of or behind the system's. (`sctp-proto` starts its INIT
//! timer from the system clock in `Endpoint::connect`;
//! [`Association::connect`] reads that deadline back and shifts the time
//! it gives `sctp-proto` to match.)
//!
//! # Randomness
//!
//! The SCTP verification tags, initial TSNs and state cookies come from
//! `sctp-proto`, which draws them from `rand`'s thread-local generator
//! (ChaCha12 seeded by the operating system): nobody can predict them, and
//! there is no seed to fix them. Nothing above SCTP is random, so two runs
//! with the same inputs give the same events and messages, while the bytes
//! of the packets differ.
//!
//! # Caps
//!
//! Nothing a peer sends grows memory without bound: at most
//! [`MAX_CHANNELS`] channels, [`Config::receive_buffer_size`] bytes of
//! messages being reassembled and as much again waiting in the event queue
//! (at most [`MAX_EVENTS`] events; past that, messages wait in SCTP and the
//! peer's window closes), messages up to [`Config::max_message_size`].
//! What we send is capped by [`Config::max_buffered_amount`]. DATA more
//! than [`MAX_TSN_GAP`] chunks past what we acknowledged is refused before
//! it reaches SCTP (sctp-proto itself would keep every chunk that fills a
//! gap, window or not).
//!
//! # Panics
//!
//! No input from the network may cause a panic; a panic is a bug. The
//! `datachannel_receive` fuzz target feeds arbitrary packets to an
//! established association.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

mod association;
pub mod channel;
pub mod dcep;
mod error;

pub use association::{
    Association, CloseReason, Config, DEFAULT_MAX_BUFFERED_AMOUNT, DEFAULT_MAX_MESSAGE_SIZE,
    DEFAULT_MAX_PACKET_SIZE, DEFAULT_RECEIVE_BUFFER_SIZE, DEFAULT_REMOTE_MAX_MESSAGE_SIZE,
    DEFAULT_SCTP_PORT, DtlsRole, Event, MAX_CHANNELS, MAX_EVENTS, MAX_TSN_GAP, MIN_PACKET_SIZE,
    State, Stats,
};
pub use channel::{
    Channel, ChannelId, ChannelOptions, ChannelState, Message, Payload, Priority, Reliability,
};
pub use error::{Error, ReceiveError};
