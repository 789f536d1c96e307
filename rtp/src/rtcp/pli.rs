//! Picture loss indication (PLI).
//!
//! <https://www.rfc-editor.org/rfc/rfc4585#section-6.3.1>

use crate::error::{ParseError, WriteError, invalid};
use crate::rtcp::header::{
    FEEDBACK_HEADER_LEN, Header, PAYLOAD_FEEDBACK, payload_format, read_feedback, single_packet,
    start_feedback,
};

const WHAT: &str = "picture loss indication";

/// A picture loss indication: "send me a key frame".
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct PictureLossIndication {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
}

impl PictureLossIndication {
    /// Encoded length.
    pub const LEN: usize = FEEDBACK_HEADER_LEN;

    /// Parses one PLI packet.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &[u8]) -> Result<Self, ParseError> {
        let (sender_ssrc, media_ssrc, fci) = read_feedback(header, body, PAYLOAD_FEEDBACK, WHAT)?;
        if !fci.is_empty() {
            return Err(invalid(WHAT, "PLI has no FCI"));
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
        })
    }

    /// Encoded length.
    pub const fn encoded_len(&self) -> usize {
        Self::LEN
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let w = start_feedback(
            buf,
            payload_format::PLI,
            PAYLOAD_FEEDBACK,
            Self::LEN,
            self.sender_ssrc,
            self.media_ssrc,
        )?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn pli_round_trip() {
        let bytes = hex("81ce0002 0000000a 0000000b");
        let pli = PictureLossIndication::parse(&bytes).unwrap();
        assert_eq!(pli.sender_ssrc, 10);
        assert_eq!(pli.media_ssrc, 11);
        let mut out = [0u8; 12];
        assert_eq!(pli.write_to(&mut out).unwrap(), 12);
        assert_eq!(&out[..], &bytes[..]);
        assert!(PictureLossIndication::parse(&hex("81ce0003 0000000a 0000000b 00000000")).is_err());
    }
}
