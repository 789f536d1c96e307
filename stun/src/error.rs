//! Errors: a peer's bad bytes ([`ParseError`], [`IntegrityError`]) are kept
//! apart from the caller's misuse of the API ([`WriteError`],
//! [`CredentialError`]).

/// Why bytes received from the network are not an acceptable STUN message.
///
/// Every variant is `Copy` and carries only static context, so hostile input
/// never makes the parser allocate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    /// Fewer bytes than the structure needs.
    #[error("truncated: need {needed} bytes, have {have}")]
    Truncated {
        /// Bytes the structure needs.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The two most significant bits are not zero, so this is not STUN
    /// (RFC 8489 §5).
    #[error("not a STUN message: the first two bits are not zero")]
    NotStun,
    /// A well-formed header without the magic cookie: a classic RFC 3489
    /// message, which this implementation does not accept.
    #[error("RFC 3489 message (no magic cookie 0x2112A442): classic STUN is not supported")]
    Rfc3489,
    /// The header's length field disagrees with the bytes given.
    #[error(
        "message length field says {length} bytes of attributes, {have} bytes follow the header"
    )]
    LengthMismatch {
        /// The length field.
        length: usize,
        /// Bytes after the 20-byte header.
        have: usize,
    },
    /// The length field is not a multiple of four (RFC 8489 §5).
    #[error("message length {0} is not a multiple of 4")]
    UnalignedLength(usize),
    /// More attributes than [`MAX_ATTRIBUTES`](crate::MAX_ATTRIBUTES).
    #[error("more than {max} attributes")]
    TooManyAttributes {
        /// The cap.
        max: usize,
    },
    /// An attribute whose value does not follow its definition.
    #[error("attribute {kind:#06x}: {reason}")]
    BadAttribute {
        /// The attribute type.
        kind: u16,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An attribute follows FINGERPRINT, which must be last (RFC 8489 §14.7).
    #[error("attribute {kind:#06x} follows FINGERPRINT, which must be the last attribute")]
    AttributeAfterFingerprint {
        /// The attribute type that follows.
        kind: u16,
    },
    /// A ChannelData channel number outside 0x4000–0x4FFF (RFC 8656 §12).
    #[error("channel number {0:#06x} is outside 0x4000-0x4FFF")]
    BadChannelNumber(u16),
}

/// Why a message's MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 or
/// FINGERPRINT did not check out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IntegrityError {
    /// The message carries no attribute of the kind asked for.
    #[error("the message has no {0} attribute")]
    Missing(&'static str),
    /// The HMAC or CRC does not match.
    #[error("{0} does not match")]
    Mismatch(&'static str),
}

/// Why a message could not be written into the caller's buffer, or why the
/// caller's value cannot be encoded. These are errors of the caller, not of
/// a peer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WriteError {
    /// The buffer is too small.
    #[error("buffer too small: need {needed} bytes, have {have}")]
    BufferTooSmall {
        /// Bytes needed.
        needed: usize,
        /// Bytes available.
        have: usize,
    },
    /// The message would be longer than the 16-bit length field allows.
    #[error("message too long: {0} bytes of attributes")]
    MessageTooLong(usize),
    /// A value that cannot be encoded, such as a 70000-byte DATA or an
    /// error code outside 300–699.
    #[error("attribute {kind:#06x} cannot be encoded: {reason}")]
    InvalidValue {
        /// The attribute type.
        kind: u16,
        /// What is wrong with it.
        reason: &'static str,
    },
    /// An attribute added after FINGERPRINT, or integrity added twice in a
    /// way RFC 8489 forbids.
    #[error("attribute order: {0}")]
    Order(&'static str),
}

/// Why a username, realm or password cannot be prepared for a key
/// (RFC 8265 OpaqueString / UsernameCasePreserved).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CredentialError {
    /// The string is empty after preparation.
    #[error("{0} is empty")]
    Empty(&'static str),
    /// The string holds a character the profile disallows (such as a control
    /// character).
    #[error("{0} holds a disallowed character")]
    Disallowed(&'static str),
    /// The string holds non-ASCII text that would need Unicode normalization,
    /// which this implementation does not carry tables for.
    #[error("{0} holds non-ASCII text, which cannot be prepared without Unicode normalization")]
    Unsupported(&'static str),
    /// The PASSWORD-ALGORITHM is neither MD5 nor SHA-256.
    #[error("password algorithm {0:#06x} is not supported")]
    UnsupportedAlgorithm(u16),
}
