//! STUN ([RFC 8489](https://www.rfc-editor.org/rfc/rfc8489)) and the message
//! layer of TURN ([RFC 8656](https://www.rfc-editor.org/rfc/rfc8656)), without
//! I/O.
//!
//! - [`Message`] parses a message without copying or allocating and decodes
//!   every attribute of RFC 8489, RFC 8445 (ICE), RFC 8656 (TURN) and
//!   RFC 5780 into [`Attribute`]; unknown attributes keep their bytes.
//! - [`MessageBuilder`] writes a message into your buffer, with
//!   MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT computed
//!   over exactly the bytes RFC 8489 names.
//! - [`credentials`] derives short- and long-term keys (MD5 and SHA-256),
//!   USERHASH and the nonce cookie's security features.
//! - [`framing`] handles TURN ChannelData, RFC 4571 stream framing and
//!   RFC 7983 demultiplexing.
//!
//! With the default `std` feature, the state machines:
//!
//! - [`transaction::ClientTransaction`]: a request with the RFC 8489
//!   retransmission schedule, matched to its response.
//! - [`server::Server`]: a Binding server (XOR-MAPPED-ADDRESS, 400, 401,
//!   420, optional short-term credentials).
//! - [`turn::Client`]: a TURN client (allocation, refresh, permissions,
//!   channels, Send/Data and ChannelData).
//!
//! # Example
//!
//! ```
//! use sansrtc_stun::{Attribute, Class, Message, MessageBuilder, Method, TransactionId};
//!
//! // A controlling ICE agent's connectivity check.
//! let mut buf = [0u8; 256];
//! let mut request = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING,
//!     TransactionId::new(*b"abcdefghijkl"))?;
//! request
//!     .add(&Attribute::Username("remote:local"))?
//!     .add(&Attribute::IceControlling(0x1234_5678_9abc_def0))?
//!     .add(&Attribute::Priority(1_845_501_695))?
//!     .add(&Attribute::UseCandidate)?;
//! request.add_message_integrity(b"remote-password")?;
//! request.add_fingerprint()?;
//! let len = request.finish();
//!
//! // The other side parses and checks it.
//! let message = Message::parse(&buf[..len]).expect("valid message");
//! message.verify_fingerprint().expect("fingerprint");
//! message.verify_message_integrity(b"remote-password").expect("integrity");
//! assert_eq!(message.username(), Some("remote:local"));
//! assert!(message.use_candidate());
//! # Ok::<(), sansrtc_stun::WriteError>(())
//! ```
//!
//! # Allocation
//!
//! The codec is `no_std` and allocates nothing: parsing borrows from your
//! bytes, writing fills your buffer, errors are `Copy`.
//!
//! # Fuzzing and property testing
//!
//! The `arbitrary` feature implements `arbitrary::Arbitrary` for owned
//! message specs (`arbitrary::MessageSpec`) that write themselves with
//! [`MessageBuilder`], signed and fingerprinted with the keys you give; the
//! `proptest` feature adds strategies for them (`strategy`), and near-valid
//! messages for negative tests.
//!
//! # Panics
//!
//! No input from the network may cause a panic; a panic is a bug. Every cap
//! on peer-controlled sizes is a documented constant ([`MAX_ATTRIBUTES`],
//! [`attribute::MAX_TEXT_LEN`], ...).

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(any(feature = "arbitrary", feature = "proptest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "arbitrary", feature = "proptest"))))]
pub mod arbitrary;
pub mod attribute;
pub mod credentials;
pub mod drive;
mod error;
pub mod framing;
mod integrity;
mod message;
pub mod rng;
#[cfg(feature = "std")]
pub mod server;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;
#[cfg(feature = "std")]
pub mod transaction;
#[cfg(feature = "std")]
pub mod turn;

pub use attribute::{Attribute, AttributeType, ErrorCode};
#[cfg(feature = "std")]
pub use drive::Transmit;
pub use drive::{Overflow, Receive, Transport};
pub use error::{CredentialError, IntegrityError, ParseError, WriteError};
pub use integrity::{
    FINGERPRINT_LEN, FINGERPRINT_XOR, IntegrityKey, IntegrityKind, MESSAGE_INTEGRITY_LEN,
    MESSAGE_INTEGRITY_SHA256_LEN,
};
pub use message::{
    Attributes, Class, HEADER_LEN, MAGIC_COOKIE, MAX_ATTRIBUTES, MAX_MESSAGE_LEN, Message,
    MessageBuilder, Method, TransactionId, is_stun, message_type, split_message_type,
};
