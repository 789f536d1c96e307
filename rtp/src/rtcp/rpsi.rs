//! Reference picture selection indication (RPSI).
//!
//! <https://www.rfc-editor.org/rfc/rfc4585#section-6.3.3>

use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::rtcp::header::{
    FEEDBACK_HEADER_LEN, Header, PAYLOAD_FEEDBACK, payload_format, read_feedback, single_packet,
    start_feedback,
};

const WHAT: &str = "reference picture selection indication";

/// A reference picture selection indication.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ReferencePictureSelection<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// The RTP payload type the bit string is for (7 bits).
    pub payload_type: u8,
    /// PB: the number of bits at the end of the FCI that are padding.
    pub padding_bits: u8,
    /// The native RPSI bit string, with its padding, as on the wire (its
    /// length plus 2 is a whole number of words once written; the writer
    /// appends zero bytes and counts them in PB when it is not).
    pub bit_string: &'a [u8],
}

impl<'a> ReferencePictureSelection<'a> {
    /// Parses one RPSI packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        let (sender_ssrc, media_ssrc, mut fci) =
            read_feedback(header, body, PAYLOAD_FEEDBACK, WHAT)?;
        let [padding_bits, pt] = fci.array()?;
        if pt & 0x80 != 0 {
            return Err(invalid(
                WHAT,
                "the bit before the payload type must be zero",
            ));
        }
        let bit_string = fci.rest();
        // RFC 4585 §6.3.3.1: the FCI is padded to whole 32-bit words. (A
        // packet whose own padding left part of a word would not parse the
        // same once written back, padded to a word again.)
        if (2 + bit_string.len()) % 4 != 0 {
            return Err(invalid(WHAT, "the FCI must fill whole 32-bit words"));
        }
        if usize::from(padding_bits) > bit_string.len() * 8 {
            return Err(invalid(WHAT, "more padding bits than bits"));
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            payload_type: pt,
            padding_bits,
            bit_string,
        })
    }

    fn extra_padding(&self) -> usize {
        let fci = 2 + self.bit_string.len();
        fci.next_multiple_of(4) - fci
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        FEEDBACK_HEADER_LEN + 2 + self.bit_string.len() + self.extra_padding()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        if self.payload_type > 0x7f {
            return Err(write_invalid(WHAT, "payload type above 127"));
        }
        let extra = self.extra_padding();
        let padding_bits = u8::try_from(usize::from(self.padding_bits) + 8 * extra)
            .map_err(|_| write_invalid(WHAT, "more than 255 padding bits"))?;
        let mut w = start_feedback(
            buf,
            payload_format::RPSI,
            PAYLOAD_FEEDBACK,
            self.encoded_len(),
            self.sender_ssrc,
            self.media_ssrc,
        )?;
        w.array([padding_bits, self.payload_type])?;
        w.bytes(self.bit_string)?;
        w.zeros(extra)?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn rpsi_round_trip() {
        let bytes = hex("83ce0004 00000001 00000002 1c60abcd ef000000");
        let rpsi = ReferencePictureSelection::parse(&bytes).unwrap();
        assert_eq!(rpsi.padding_bits, 28);
        assert_eq!(rpsi.payload_type, 96);
        assert_eq!(rpsi.bit_string, &hex("abcdef000000")[..]);
        let mut out = [0u8; 32];
        let n = rpsi.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
        // The writer pads to a word and counts the padding.
        let short = ReferencePictureSelection {
            bit_string: &[0xab, 0xcd, 0xef],
            padding_bits: 4,
            ..rpsi
        };
        let n = short.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
        assert!(
            ReferencePictureSelection::parse(&hex("83ce0003 00000001 00000002 ff600000")).is_err()
        );
        assert!(
            ReferencePictureSelection::parse(&hex("83ce0003 00000001 00000002 00e00000")).is_err()
        );
    }

    /// Found by the `rtcp_compound` fuzz target: RTCP padding that leaves
    /// the FCI short of a word. Written back, the writer pads the bit
    /// string to a word and the packet no longer parses the same, so it is
    /// refused.
    #[test]
    fn an_fci_cut_short_of_a_word_by_padding_is_refused() {
        // 20 bytes of packet, the last 3 of them RTCP padding: an FCI of
        // PB, PT and a 3-byte bit string.
        let bytes = hex("a3ce0004 00000001 00000002 0060abcd ef000003");
        assert_eq!(
            ReferencePictureSelection::parse(&bytes),
            Err(invalid(WHAT, "the FCI must fill whole 32-bit words"))
        );
    }
}
