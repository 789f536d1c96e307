//! RTP and RTCP ([RFC 3550](https://www.rfc-editor.org/rfc/rfc3550)) for WebRTC,
//! without I/O.
//!
//! - [`rtp`]: a checked, zero-copy view over RTP packets ([`rtp::Packet`]), a
//!   writer ([`rtp::Builder`]), RFC 8285 header extensions with typed helpers,
//!   and wrap-around-safe sequence arithmetic.
//! - [`rtcp`]: compound and reduced-size RTCP, every report and feedback
//!   packet WebRTC uses, decoded lazily from the bytes.
//! - [`ntp`]: NTP timestamps as sender reports carry them.
//! - `stats` and `session` (feature `std`): receiver statistics per RFC 3550
//!   appendix A, the sender side of sender reports, and a sans-IO RTCP
//!   session that schedules and writes reports.
//! - `nack` (feature `std`) and [`rtp::rtx`]: which packets to NACK and
//!   when, and a bounded send-side buffer that answers NACKs with RFC 4588
//!   RTX packets.
//! - [`payload`]: packetizers and depacketizers for Opus, G.711, G.722,
//!   telephone-event, RED, VP8, VP9, H.264, H.265 and AV1, with zero-copy
//!   views over their payload headers, and a reader of the dependency
//!   descriptor header extension.
//! - `jitter` (feature `std`): a jitter buffer that reorders packets,
//!   assembles frames in decode order, waits a bounded, adaptive time for
//!   missing packets and asks for keyframes when decoding cannot go on.
//!
//! # Zero copy, zero allocation
//!
//! Parsing never allocates and never copies: views validate the bytes once
//! and then read fields in place; lists (report blocks, SDES chunks, NACK
//! entries, extension elements) are iterators over the original bytes.
//! Writers fill a buffer the caller owns. A test with a counting global
//! allocator checks this.
//!
//! # Fuzzing and property testing
//!
//! The `arbitrary` feature implements `arbitrary::Arbitrary` for owned
//! packet specs (`arbitrary::PacketSpec`, `RtcpSpec`, `CompoundSpec`) that
//! write themselves with this crate's writers; the `proptest` feature adds
//! strategies for them (`strategy`), and near-valid packets for negative
//! tests.
//!
//! # Panics
//!
//! No input may cause a panic; a panic is a bug.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

#[cfg(any(feature = "arbitrary", feature = "proptest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "arbitrary", feature = "proptest"))))]
pub mod arbitrary;
mod cursor;
mod error;
#[cfg(feature = "std")]
pub mod jitter;
pub mod list;
#[cfg(feature = "std")]
pub mod nack;
pub mod ntp;
pub mod payload;
pub mod rtcp;
pub mod rtp;
#[cfg(feature = "std")]
pub mod session;
#[cfg(feature = "std")]
pub mod stats;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;

pub use error::{ParseError, WriteError};

/// Decodes hex with optional whitespace; for unit tests.
#[cfg(test)]
pub(crate) fn test_hex(s: &str) -> alloc::vec::Vec<u8> {
    let digits: alloc::vec::Vec<u8> = s
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => panic!("bad hex digit {b}"),
        })
        .collect();
    assert!(digits.len() % 2 == 0, "odd number of hex digits");
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}
