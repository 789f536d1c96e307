//! The STUN message: header, zero-copy parsing and a builder that writes into
//! a caller's buffer.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-5>

// Split by part: the header, the parsed message and the builder.
// Everything is used from this module's path.
mod builder;
mod header;
mod parse;

pub use builder::MessageBuilder;
pub use header::{
    Class, HEADER_LEN, MAGIC_COOKIE, MAX_MESSAGE_LEN, Method, TransactionId, is_stun, message_type,
    split_message_type,
};
pub use parse::{Attributes, MAX_ATTRIBUTES, Message};

#[cfg(test)]
pub(crate) mod tests {
    //! Helpers shared by the tests of the message and the modules that
    //! build messages.

    extern crate alloc;

    use alloc::vec;
    use alloc::vec::Vec;

    use super::*;
    use crate::error::WriteError;

    /// Bytes from hex digits; whitespace is ignored.
    pub(crate) fn hex(text: &str) -> Vec<u8> {
        let digits: Vec<u8> = text
            .bytes()
            .filter(|b| !b.is_ascii_whitespace())
            .map(|b| char::from(b).to_digit(16).expect("hex digit") as u8)
            .collect();
        assert_eq!(digits.len() % 2, 0, "odd number of hex digits");
        digits
            .chunks_exact(2)
            .map(|pair| (pair[0] << 4) | pair[1])
            .collect()
    }

    /// The transaction id of the RFC 5769 sample messages.
    pub(crate) const TID: TransactionId = TransactionId::new([
        0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae,
    ]);

    /// Parses, checks that writing back gives the same bytes, and that a
    /// buffer one byte short is an error.
    pub(crate) fn assert_writes_back(bytes: &[u8]) {
        let message = Message::parse(bytes).unwrap();
        assert_eq!(message.encoded_len(), bytes.len());
        let mut out = vec![0u8; bytes.len()];
        assert_eq!(message.write_to(&mut out), Ok(bytes.len()));
        assert_eq!(out, bytes);
        let mut short = vec![0u8; bytes.len() - 1];
        assert_eq!(
            message.write_to(&mut short),
            Err(WriteError::BufferTooSmall {
                needed: if bytes.len() == HEADER_LEN {
                    HEADER_LEN
                } else {
                    // The last attribute no longer fits.
                    bytes.len()
                },
                have: bytes.len() - 1,
            })
        );
        assert_eq!(Message::parse(&out).unwrap(), message);
    }

    /// Appends an attribute by hand (bypassing the builder's ordering
    /// rules) and fixes the header's length field.
    pub(crate) fn append_raw(bytes: &mut Vec<u8>, attribute_hex: &str) {
        bytes.extend_from_slice(&hex(attribute_hex));
        let length = (bytes.len() - HEADER_LEN) as u16;
        bytes[2..4].copy_from_slice(&length.to_be_bytes());
    }

    pub(crate) fn build(
        class: Class,
        method: Method,
        fill: impl FnOnce(&mut MessageBuilder<'_>) -> Result<(), WriteError>,
    ) -> Vec<u8> {
        let mut buf = vec![0u8; 2048];
        let mut builder = MessageBuilder::new(&mut buf, class, method, TID).unwrap();
        fill(&mut builder).unwrap();
        let len = builder.finish();
        buf.truncate(len);
        buf
    }
}
