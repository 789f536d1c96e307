//! Interactive Connectivity Establishment
//! ([RFC 8445](https://www.rfc-editor.org/rfc/rfc8445)) for WebRTC, without I/O.
//!
//! # Panics
//!
//! No input may cause a panic; a panic is a bug.

#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod candidate;
mod rng;

pub use candidate::{Address, Candidate, CandidateError, CandidateType, TcpType, Transport};
pub use rng::Rng;
