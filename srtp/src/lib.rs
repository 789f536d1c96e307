//! SRTP and SRTCP ([RFC 3711](https://www.rfc-editor.org/rfc/rfc3711),
//! [RFC 7714](https://www.rfc-editor.org/rfc/rfc7714)) for WebRTC, in place
//! and without I/O.
//!
//! - [`ProtectionProfile`]: the four profiles DTLS-SRTP negotiates
//!   (RFC 5764 §4.1.2, RFC 7714 §14.2), with their key, salt and tag sizes:
//!   AES-128-CM with HMAC-SHA1 tags of 80 or 32 bits, AES-128-GCM and
//!   AES-256-GCM.
//! - [`KeyingMaterial`]: the local and remote master keys, split from the
//!   keying material a DTLS handshake exports (RFC 5764 §4.2).
//! - [`Session`]: the SRTP and SRTCP contexts of one master key, for every
//!   SSRC it sees (created on first use, up to [`Config::max_streams`]):
//!   key derivation (RFC 3711 §4.3), rollover counter and packet index
//!   estimation (§3.3.1, Appendix A), replay protection (§3.3.2) with a
//!   configurable window, SRTCP index and E flag, an optional MKI, and
//!   cryptex ([RFC 9335](https://www.rfc-editor.org/rfc/rfc9335): CSRCs
//!   and header extensions encrypted too) when [`Config::cryptex`] is on.
//!
//! Protecting and unprotecting work in place on the caller's buffer and
//! allocate nothing per packet: [`Session::protect_rtp`] takes the packet
//! at the start of a buffer with room for the tag and returns the new
//! length; [`Session::unprotect_rtp`] takes the received packet and returns
//! the length of the plain one, decrypted where it was. Tags are compared
//! in constant time.
//!
//! # Backends
//!
//! By default the ciphers and MACs are RustCrypto's `aes` (AES-NI where the
//! CPU has it), `ctr`, `hmac`, `sha1` and `aes-gcm`: pure Rust, builds
//! anywhere, `no_std`. The `aws-lc-rs` feature takes AES-GCM from AWS-LC
//! instead (a C and assembly library, through `aws-lc-rs`; needs a C
//! compiler and `std`), whose AES-GCM interleaves AES and GHASH and is
//! several times faster on x86-64; AES-CM and HMAC-SHA1 stay RustCrypto's,
//! which AWS-LC's do not beat. Both give the same bytes and pass the same
//! tests.
//!
//! ```
//! use sansrtc_srtp::{Config, DtlsRole, KeyingMaterial, ProtectionProfile, Session};
//!
//! // What DTLS exported (RFC 5764 §4.2); each side reads it by its role.
//! let profile = ProtectionProfile::AeadAes128Gcm;
//! let exported = [7u8; 56];
//! let alice = KeyingMaterial::from_dtls_export(profile, &exported, DtlsRole::Client)?;
//! let bob = KeyingMaterial::from_dtls_export(profile, &exported, DtlsRole::Server)?;
//! let mut alice_send = Session::new(&alice.local, Config::default())?;
//! let mut bob_receive = Session::new(&bob.remote, Config::default())?;
//!
//! // An RTP packet (12-byte header, 4-byte payload) with room for the tag.
//! let rtp = [0x80, 0x60, 0x12, 0x34, 0, 0, 0, 1, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4];
//! let mut buf = [0u8; 1500];
//! buf[..rtp.len()].copy_from_slice(&rtp);
//! let len = alice_send.protect_rtp(&mut buf, rtp.len())?;
//! assert_eq!(len, rtp.len() + alice_send.rtp_overhead());
//! assert_ne!(buf[12..16], rtp[12..]); // the payload is encrypted
//!
//! // Unprotect decrypts in place and says how long the RTP packet is.
//! let plain = bob_receive.unprotect_rtp(&mut buf[..len])?;
//! assert_eq!(buf[..plain], rtp);
//!
//! // The same packet again is a replay.
//! let mut again = [0u8; 1500];
//! again[..rtp.len()].copy_from_slice(&rtp);
//! let len = alice_send.protect_rtp(&mut again, rtp.len())?;
//! assert_eq!(
//!     bob_receive.unprotect_rtp(&mut again[..len]),
//!     Err(sansrtc_srtp::UnprotectError::Replayed { index: 0x1234 })
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Panics
//!
//! No input from the network may cause a panic; a panic is a bug.

#![no_std]
#![cfg_attr(docsrs, feature(doc_cfg))]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

extern crate alloc;
#[cfg(test)]
extern crate std;

#[cfg(any(feature = "arbitrary", feature = "proptest"))]
#[cfg_attr(docsrs, doc(cfg(any(feature = "arbitrary", feature = "proptest"))))]
pub mod arbitrary;
mod cipher;
mod context;
mod error;
mod kdf;
mod profile;
mod session;
mod srtcp;
mod srtp;
#[cfg(feature = "proptest")]
#[cfg_attr(docsrs, doc(cfg(feature = "proptest")))]
pub mod strategy;

pub use context::MAX_REPLAY_WINDOW;
pub use error::{ConfigError, ProtectError, UnprotectError};
pub use kdf::{Label, SessionKeys, derive_key};
pub use profile::{
    DtlsRole, KeyError, KeyingMaterial, MAX_MASTER_KEY_LEN, MAX_MASTER_SALT_LEN, MasterKey,
    ProtectionProfile,
};
pub use session::{Config, DEFAULT_MAX_STREAMS, DEFAULT_REPLAY_WINDOW, MAX_MKI_LEN, Session};
