//! Full intra request (FIR).
//!
//! <https://www.rfc-editor.org/rfc/rfc5104#section-4.3.1>

use crate::error::{ParseError, WriteError, invalid};
use crate::list::{Item, List, chunk, put};
use crate::rtcp::header::{
    FEEDBACK_HEADER_LEN, Header, PAYLOAD_FEEDBACK, payload_format, read_feedback, single_packet,
    start_feedback,
};

const WHAT: &str = "full intra request";

/// One FIR entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct FirEntry {
    /// The media sender asked for a decoder refresh point.
    pub ssrc: u32,
    /// Command sequence number.
    pub sequence_number: u8,
}

impl Item for FirEntry {
    const SIZE: usize = 8;
    fn decode(bytes: &[u8]) -> Self {
        let [a, b, c, d, seq, _, _, _] = chunk::<8>(bytes);
        Self {
            ssrc: u32::from_be_bytes([a, b, c, d]),
            sequence_number: seq,
        }
    }
    fn encode(&self, out: &mut [u8]) {
        let [a, b, c, d] = self.ssrc.to_be_bytes();
        put(out, [a, b, c, d, self.sequence_number, 0, 0, 0]);
    }
}

/// A full intra request.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FullIntraRequest<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source (RFC 5104 asks for 0; kept as received).
    pub media_ssrc: u32,
    /// The requests.
    pub entries: List<'a, FirEntry>,
}

impl<'a> FullIntraRequest<'a> {
    /// Parses one FIR packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        let (sender_ssrc, media_ssrc, fci) = read_feedback(header, body, PAYLOAD_FEEDBACK, WHAT)?;
        if fci.is_empty() || fci.remaining() % FirEntry::SIZE != 0 {
            return Err(invalid(WHAT, "FCI not a whole number of 8-byte entries"));
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            entries: List::from_wire(fci.rest()),
        })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        FEEDBACK_HEADER_LEN + self.entries.encoded_len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = start_feedback(
            buf,
            payload_format::FIR,
            PAYLOAD_FEEDBACK,
            self.encoded_len(),
            self.sender_ssrc,
            self.media_ssrc,
        )?;
        self.entries.write(&mut w)?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn fir_round_trip() {
        let bytes = hex("84ce0004 00000001 00000000 12345678 07000000");
        let fir = FullIntraRequest::parse(&bytes).unwrap();
        assert_eq!(fir.sender_ssrc, 1);
        assert_eq!(fir.media_ssrc, 0);
        assert_eq!(
            fir.entries,
            List::new(&[FirEntry {
                ssrc: 0x1234_5678,
                sequence_number: 7
            }])
        );
        let mut out = [0u8; 20];
        assert_eq!(fir.write_to(&mut out).unwrap(), 20);
        assert_eq!(&out[..], &bytes[..]);
        assert!(FullIntraRequest::parse(&hex("84ce0003 00000001 00000000 12345678")).is_err());
    }
}
