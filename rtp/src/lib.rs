//! RTP and RTCP ([RFC 3550](https://www.rfc-editor.org/rfc/rfc3550)) for WebRTC,
//! without I/O.
//!
//! This crate is part of the sansrtc suite. Its codecs, header extensions and
//! receiver statistics are not written yet; the crate is an empty `no_std`
//! library until then.
//!
//! # Panics
//!
//! No input may cause a panic; a panic is a bug.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;
