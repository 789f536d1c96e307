//! Interactive Connectivity Establishment
//! ([RFC 8445](https://www.rfc-editor.org/rfc/rfc8445)) for WebRTC, without I/O.
//!
//! This crate is part of the sansrtc suite. The agent (candidates, gathering,
//! checklists, nomination, consent) is not written yet; the crate is an empty
//! library that depends on `sansrtc-stun` until then.
//!
//! # Panics
//!
//! No input may cause a panic; a panic is a bug.

#![forbid(unsafe_code)]
#![warn(missing_docs)]
