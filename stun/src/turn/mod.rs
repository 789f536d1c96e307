//! A sans-IO TURN client ([RFC 8656](https://www.rfc-editor.org/rfc/rfc8656)).
//!
//! [`Client`] allocates a relayed transport address on a TURN server, keeps
//! it alive, installs permissions, binds channels and wraps application data
//! for the relay: Send indications while no channel is bound, ChannelData
//! once one is. It speaks the long-term credential mechanism, including the
//! 401 challenge, 438 stale-nonce retries, PASSWORD-ALGORITHMS (MD5 and
//! SHA-256) and USERHASH when the server's nonce asks for them.
//!
//! Like every machine in this crate it does no I/O and reads no clock: feed
//! it what the socket receives and the time, send what
//! [`poll_transmit`](Client::poll_transmit) returns to the server, wake it at
//! [`poll_timeout`](Client::poll_timeout), and read
//! [`poll_event`](Client::poll_event).
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_stun::turn::{Client, Config, Event};
//!
//! let local = "127.0.0.1:50000".parse().unwrap();
//! let server = "127.0.0.1:3478".parse().unwrap();
//! let now = Instant::now();
//! let mut client = Client::new(Config::new(local, server, "user", "secret"), now);
//!
//! // The first output is an unauthenticated Allocate request.
//! let transmit = client.poll_transmit().expect("Allocate request");
//! assert_eq!((transmit.source, transmit.destination), (local, server));
//! // ... send `transmit.contents` to the server, feed its answers to
//! // `client.handle_receive(now, Receive::udp(server, local, &bytes))`, call
//! // `client.handle_timeout(now)` at `client.poll_timeout()`, and drain
//! // `client.poll_event()` after each call:
//! while let Some(event) = client.poll_event() {
//!     if let Event::Allocated { relayed, .. } = event {
//!         println!("relayed address: {relayed}");
//!     }
//! }
//! # let _ = Duration::ZERO;
//! ```

mod client;

pub use client::{
    Client, Config, Event, Handled, MAX_CHANNELS, MAX_PERMISSIONS, MAX_QUEUED_EVENTS,
    MAX_QUEUED_TRANSMITS, Received, RecvError, SendError, ServerError,
};
