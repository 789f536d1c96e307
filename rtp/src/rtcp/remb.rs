//! Receiver estimated maximum bitrate (REMB), an application-layer feedback
//! message.
//!
//! <https://datatracker.ietf.org/doc/html/draft-alvestrand-rmcat-remb-03#section-2.2>

use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::list::List;
use crate::rtcp::header::{
    FEEDBACK_HEADER_LEN, Header, PAYLOAD_FEEDBACK, expect_type, payload_format, read_feedback,
    single_packet, start_feedback,
};
use crate::rtcp::tmmbr::{join_bitrate, split_bitrate};

const WHAT: &str = "REMB";
/// The unique identifier that starts the FCI.
pub const REMB_IDENTIFIER: [u8; 4] = *b"REMB";

/// A receiver estimated maximum bitrate message.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Remb<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source (always 0 in practice; kept as received).
    pub media_ssrc: u32,
    /// Bit-rate exponent (6 bits).
    pub exponent: u8,
    /// Bit-rate mantissa (18 bits).
    pub mantissa: u32,
    /// The SSRCs the estimate applies to (at most 255).
    pub ssrcs: List<'a, u32>,
}

impl<'a> Remb<'a> {
    /// A message for `bitrate` bits per second (rounded down to what the
    /// 18-bit mantissa can say).
    pub const fn new(sender_ssrc: u32, bitrate: u64, ssrcs: &'a [u32]) -> Self {
        let (exponent, mantissa) = split_bitrate(bitrate, 18);
        Self {
            sender_ssrc,
            media_ssrc: 0,
            exponent,
            mantissa,
            ssrcs: List::new(ssrcs),
        }
    }

    /// The estimate in bits per second (saturating).
    pub const fn bitrate(&self) -> u64 {
        join_bitrate(self.exponent, self.mantissa)
    }

    /// Whether a payload-specific feedback body carries REMB.
    pub(crate) fn is_remb(body: &[u8]) -> bool {
        body.get(8..12) == Some(&REMB_IDENTIFIER[..])
    }

    /// Parses one REMB packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, PAYLOAD_FEEDBACK, WHAT)?;
        if header.count != payload_format::AFB {
            return Err(invalid(WHAT, "not application layer feedback"));
        }
        let (sender_ssrc, media_ssrc, mut fci) =
            read_feedback(header, body, PAYLOAD_FEEDBACK, WHAT)?;
        if fci.array::<4>()? != REMB_IDENTIFIER {
            return Err(invalid(WHAT, "no REMB identifier"));
        }
        let [count, b0, b1, b2] = fci.array()?;
        let v = u32::from_be_bytes([0, b0, b1, b2]);
        let ssrcs = fci.take(4 * usize::from(count))?;
        if !fci.is_empty() {
            return Err(invalid(WHAT, "bytes after the SSRC list"));
        }
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            exponent: (v >> 18) as u8,
            mantissa: v & 0x3_ffff,
            ssrcs: List::from_wire(ssrcs),
        })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        FEEDBACK_HEADER_LEN + 8 + self.ssrcs.encoded_len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let count = u8::try_from(self.ssrcs.len())
            .map_err(|_| write_invalid(WHAT, "more than 255 SSRCs"))?;
        if self.exponent > 63 || self.mantissa > 0x3_ffff {
            return Err(write_invalid(WHAT, "bit rate does not fit 6+18 bits"));
        }
        let mut w = start_feedback(
            buf,
            payload_format::AFB,
            PAYLOAD_FEEDBACK,
            self.encoded_len(),
            self.sender_ssrc,
            self.media_ssrc,
        )?;
        w.array(REMB_IDENTIFIER)?;
        let [_, b0, b1, b2] = ((u32::from(self.exponent) << 18) | self.mantissa).to_be_bytes();
        w.array([count, b0, b1, b2])?;
        self.ssrcs.write(&mut w)?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn remb_round_trip() {
        // exp 2, mantissa 0x3d090 (250000) -> 1 Mbit/s; two SSRCs.
        let bytes = hex("8fce0006 00000001 00000000 52454d42 020bd090 11111111 22222222");
        let remb = Remb::parse(&bytes).unwrap();
        assert_eq!(remb.sender_ssrc, 1);
        assert_eq!(remb.exponent, 2);
        assert_eq!(remb.mantissa, 250_000);
        assert_eq!(remb.bitrate(), 1_000_000);
        assert_eq!(remb.ssrcs, List::new(&[0x1111_1111, 0x2222_2222]));
        let mut out = [0u8; 32];
        let n = remb.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
        let built = Remb::new(1, 1_000_000, &[0x1111_1111, 0x2222_2222]);
        assert_eq!(built, remb);
        assert!(Remb::parse(&hex("8fce0004 00000001 00000000 52454d43 00000000")).is_err());
        assert!(Remb::parse(&hex("8fce0004 00000001 00000000 52454d42 01000000")).is_err());
    }
}
