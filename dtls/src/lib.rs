//! DTLS for WebRTC, without I/O: certificates and fingerprints
//! ([RFC 8122](https://www.rfc-editor.org/rfc/rfc8122)), roles from
//! `a=setup` ([RFC 5763](https://www.rfc-editor.org/rfc/rfc5763),
//! [RFC 8842](https://www.rfc-editor.org/rfc/rfc8842)), and DTLS-SRTP
//! keying ([RFC 5764](https://www.rfc-editor.org/rfc/rfc5764)), as
//! [RFC 8827](https://www.rfc-editor.org/rfc/rfc8827) asks of a WebRTC
//! endpoint.
//!
//! The DTLS 1.2 and 1.3 record and handshake layers are
//! [dimpl](https://docs.rs/dimpl)'s (with aws-lc-rs for the cryptography);
//! this crate drives it the way the other sansrtc state machines are
//! driven and adds what WebRTC needs around it:
//!
//! - [`Certificate`]: a self-signed ECDSA P-256 certificate, generated as
//!   browsers do or given as DER, shared by many connections; its
//!   [`Fingerprint`] for `a=fingerprint`.
//! - [`negotiate_role`] and [`Setup`]: who is the DTLS client, from both
//!   sides' `a=setup`.
//! - [`Endpoint`]: one connection. It accepts the peer only if its
//!   certificate matches the remote description's fingerprint (compared in
//!   constant time); then [`Event::Connected`] carries the negotiated SRTP
//!   [`ProtectionProfile`] and the [`KeyingMaterial`] for `sansrtc-srtp`.
//!   Application data (SCTP) goes both ways; close_notify closes.
//!
//! # The drive loop
//!
//! The endpoint never reads a clock or touches a socket. Feed it input, then
//! drain its outputs; sleep until [`Endpoint::poll_timeout`]. Its datagrams
//! carry no address: DTLS runs over ICE's selected pair. Here two endpoints
//! talk over an in-memory link:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_dtls::{Certificate, Config, Endpoint, Event, Setup, negotiate_role};
//!
//! let mut now = Instant::now();
//! // Each side's certificate; its fingerprint goes into its description.
//! let configs = [
//!     Config::builder(Certificate::generate()?).build()?,
//!     Config::builder(Certificate::generate()?).build()?,
//! ];
//! let fingerprints = [
//!     configs[0].certificate().fingerprint().to_string(), // "sha-256 AB:CD:..."
//!     configs[1].certificate().fingerprint().to_string(),
//! ];
//! let mut endpoints = configs.map(|config| Endpoint::new(config, now));
//! // Signaling: endpoint 0 offers `a=setup:actpass`, endpoint 1 answers.
//! let answer = Setup::answer_to(Setup::ActPass)?; // active
//! let roles = [
//!     negotiate_role(Setup::ActPass, answer, true)?, // server
//!     negotiate_role(answer, Setup::ActPass, false)?, // client
//! ];
//! for i in 0..2 {
//!     endpoints[i].set_remote_fingerprints([fingerprints[1 - i].parse()?])?;
//!     endpoints[i].start(now, roles[i])?;
//! }
//! let mut keys = [None, None];
//! for _ in 0..100 {
//!     for i in 0..2 {
//!         // Transmits: "send" each datagram (here: to the other endpoint).
//!         while let Some(datagram) = endpoints[i].poll_transmit() {
//!             let datagram = datagram.to_vec();
//!             let _ = endpoints[1 - i].handle_receive(now, &datagram);
//!         }
//!         // Events: keys for SRTP once the peer is verified.
//!         while let Some(event) = endpoints[i].poll_event() {
//!             match event {
//!                 Event::Connected(connected) => keys[i] = connected.srtp,
//!                 Event::Failed(failure) => panic!("{failure}"),
//!                 _ => {}
//!             }
//!         }
//!     }
//!     if keys.iter().all(Option::is_some) {
//!         break;
//!     }
//!     // Timers: sleep until the earliest deadline, then tell the endpoints.
//!     let next = endpoints.iter().filter_map(Endpoint::poll_timeout).min();
//!     now = next.map_or(now + Duration::from_millis(10), |t| t.max(now));
//!     for endpoint in &mut endpoints {
//!         endpoint.handle_timeout(now);
//!     }
//! }
//! let [Some(server), Some(client)] = keys else { panic!("no keys") };
//! assert_eq!(server.profile, client.profile);
//! // What one side protects with, the other unprotects with.
//! assert_eq!(server.keying_material.local, client.keying_material.remote);
//! assert_eq!(client.keying_material.local, server.keying_material.remote);
//! // Application data, for SCTP.
//! endpoints[1].send_application_data(b"hello")?;
//! let datagram = endpoints[1].poll_transmit().expect("a record").to_vec();
//! endpoints[0].handle_receive(now, &datagram)?;
//! assert_eq!(endpoints[0].poll_event(), Some(Event::ApplicationData(b"hello".to_vec())));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Wiring it into a peer connection
//!
//! - **Certificate.** Generate one [`Certificate`] (or load a stored one
//!   with [`Certificate::from_der`]) and build one [`Config`] for all
//!   connections; put [`Certificate::fingerprint`] in `a=fingerprint`.
//! - **Role.** The offer says `a=setup:actpass`; the answerer picks
//!   ([`Setup::answer_to`]: `active`). [`negotiate_role`] turns both values
//!   into the [`DtlsRole`] for [`Endpoint::start`]. An offerer does not
//!   know its role before the answer: create the [`Endpoint`] early anyway;
//!   it keeps a peer's ClientHello that arrives first
//!   ([`MAX_EARLY_DATAGRAMS`]) until `start`.
//! - **Fingerprints.** Give every `a=fingerprint` of the remote description
//!   to [`Endpoint::set_remote_fingerprints`] ([`Fingerprint`] parses the
//!   attribute value). It may come after the handshake: the keys wait for
//!   it.
//! - **Datagrams.** Demultiplex by first byte (RFC 7983): 20 to 63 is DTLS
//!   ([`Handled::NotDtls`] otherwise). Send every [`Endpoint::poll_transmit`]
//!   datagram on ICE's selected pair.
//! - **Keys.** [`Event::Connected`] gives the [`Srtp`] profile and keys:
//!   `keying_material.local` protects what you send,
//!   `keying_material.remote` unprotects what you receive.
//!
//! # Failure
//!
//! [`Event::Failed`] ends the connection, and no keys come after it: a
//! certificate that does not match the fingerprint, no usable fingerprint,
//! a handshake not done within [`Config::handshake_timeout`] (30 s by
//! default, counted from [`Endpoint::start`]), a flight unanswered through
//! every retransmission, a peer's fatal alert or protocol error, an SRTP
//! profile outside [`Config::srtp_profiles`].
//!
//! # Caps
//!
//! Everything a peer controls is bounded: the output queues
//! ([`MAX_QUEUED_TRANSMITS`], [`MAX_QUEUED_EVENTS`]), datagrams before
//! [`Endpoint::start`] ([`MAX_EARLY_DATAGRAMS`], [`MAX_EARLY_BYTES`]),
//! application data before the fingerprint check
//! ([`MAX_EARLY_APPLICATION_DATA`]), and the library's own receive queue
//! for out-of-order handshake messages (30 datagrams; past it
//! [`RecvError::QueueFull`]). What was dropped is counted in [`Stats`].
//!
//! # Limits
//!
//! What the DTLS library (dimpl 0.9) does not do, and so neither does this
//! crate:
//!
//! - `SRTP_AES128_CM_HMAC_SHA1_32` is neither offered nor accepted, and
//!   the order of the `use_srtp` profiles is the library's
//!   ([`ConfigBuilder::srtp_profiles`] is a list of accepted profiles).
//! - No alert is sent when the fingerprint check refuses the peer: the
//!   endpoint stops, and the peer times out.
//! - The library keeps the first copy of each handshake message number, so
//!   a forged plaintext handshake message of a type the role expects,
//!   arriving before the real one, stalls the handshake until its timeout
//!   (the keys stay safe: the peer is still checked). Messages a role never
//!   receives are refused before they get there.
//! - A server takes up the first ClientHello it receives, even with a
//!   cookie exchange: spoofed ClientHellos ahead of the real one make the
//!   handshake fail (again without keys for anyone).
//!
//! # Randomness
//!
//! Certificates (keys and serial numbers), ECDHE keys and signatures come
//! from the operating system's random source. [`ConfigBuilder::seed`]
//! makes the rest (handshake randoms, retransmission jitter, nonces)
//! reproducible; the library does not let a seed reach its key exchange.
//!
//! # Panics
//!
//! No input from the network may cause a panic; a panic is a bug.

#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;

#[cfg(any(feature = "arbitrary", feature = "proptest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "arbitrary", feature = "proptest"))))]
pub mod arbitrary;
mod certificate;
mod config;
mod endpoint;
mod event;
mod framing;
mod keying;
mod setup;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;

pub use certificate::{
    Certificate, CertificateError, Fingerprint, FingerprintError, HashFunction, MAX_FINGERPRINT_LEN,
};
pub use config::{Config, ConfigBuilder, ConfigError, MAX_MTU, MIN_MTU, Version, Versions};
pub use endpoint::{
    Endpoint, MAX_APPLICATION_DATA, MAX_EARLY_APPLICATION_DATA, MAX_EARLY_BYTES,
    MAX_EARLY_DATAGRAMS, MAX_QUEUED_EVENTS, MAX_QUEUED_TRANSMITS, MAX_REMOTE_FINGERPRINTS,
};
pub use event::{Connected, Error, Event, Failure, Handled, RecvError, State, Stats};
pub use keying::{EXPORTER_LABEL, SUPPORTED_PROFILES, Srtp};
pub use sansrtc_srtp::{DtlsRole, KeyingMaterial, MasterKey, ProtectionProfile};
pub use setup::{RoleError, Setup, SetupParseError, negotiate_role};
