//! Errors: [`ParseError`] for bad bytes from a peer, [`WriteError`] for a
//! value that cannot be written into the caller's buffer.

/// Why bytes from the network could not be decoded.
///
/// It is `Copy` and carries only `&'static str` context: decoding hostile
/// input never allocates, not even for an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// The input ends before the structure does.
    #[error("{what}: truncated, need {needed} bytes, have {have}")]
    Truncated {
        /// The structure being read.
        what: &'static str,
        /// Bytes it needs.
        needed: usize,
        /// Bytes that were left.
        have: usize,
    },
    /// The version field is not 2.
    #[error("unsupported version {0} (only version 2 exists)")]
    BadVersion(u8),
    /// A field holds a value the RFC forbids.
    #[error("{what}: {reason}")]
    Invalid {
        /// The structure being read.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// A peer-controlled count exceeds one of this crate's caps.
    #[error("{what}: more than {limit}")]
    TooMany {
        /// What was counted.
        what: &'static str,
        /// The cap.
        limit: usize,
    },
}

/// Why a value could not be written.
///
/// These are mistakes of the caller (a buffer too small, a value the wire
/// format cannot carry), never of a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The output buffer is shorter than [`encoded_len`](crate::rtp::Builder::encoded_len).
    #[error("buffer too small: need {needed} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// A field does not fit the wire format (a count over its bit width, an
    /// extension id out of range, ...).
    #[error("{what}: {reason}")]
    Invalid {
        /// The structure being written.
        what: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

pub(crate) const fn invalid(what: &'static str, reason: &'static str) -> ParseError {
    ParseError::Invalid { what, reason }
}

pub(crate) const fn write_invalid(what: &'static str, reason: &'static str) -> WriteError {
    WriteError::Invalid { what, reason }
}
