//! STUN ([RFC 8489](https://www.rfc-editor.org/rfc/rfc8489)) without I/O.

#![no_std]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

#[cfg(feature = "std")]
extern crate std;
