//! Session Description Protocol ([RFC 8866](https://www.rfc-editor.org/rfc/rfc8866))
//! for WebRTC, without I/O.
//!
//! This crate is part of the sansrtc suite. Its model, lossless parser and
//! writer, and JSEP offer/answer negotiation are not written yet; the crate is
//! an empty `no_std` library until then.
//!
//! # Panics
//!
//! No input may cause a panic; a panic is a bug.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;
