//! SRTP and SRTCP ([RFC 3711](https://www.rfc-editor.org/rfc/rfc3711),
//! [RFC 7714](https://www.rfc-editor.org/rfc/rfc7714)) for WebRTC, without
//! I/O.
//!
//! - [`ProtectionProfile`]: the four profiles DTLS-SRTP negotiates
//!   (RFC 5764 §4.1.2, RFC 7714 §14.2), with their key, salt and tag sizes.
//! - [`KeyingMaterial`]: the local and remote master keys, split from the
//!   keying material a DTLS handshake exports (RFC 5764 §4.2).
//!
//! # Panics
//!
//! No input from the network may cause a panic; a panic is a bug.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

mod profile;

pub use profile::{
    DtlsRole, KeyError, KeyingMaterial, MAX_MASTER_KEY_LEN, MAX_MASTER_SALT_LEN, MasterKey,
    ProtectionProfile,
};
