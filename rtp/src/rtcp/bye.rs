//! Goodbye (BYE).
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6.6>

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::list::List;
use crate::rtcp::header::{GOODBYE, HEADER_LEN, Header, expect_type, single_packet, start_packet};

const WHAT: &str = "goodbye";

/// A goodbye packet: sources leaving, with an optional reason.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Goodbye<'a> {
    /// The sources leaving (at most 31).
    pub sources: List<'a, u32>,
    /// Why (at most 255 bytes of text).
    pub reason: Option<&'a [u8]>,
}

impl<'a> Goodbye<'a> {
    /// Parses one BYE packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, GOODBYE, WHAT)?;
        let mut r = Reader::new(body, WHAT);
        let sources = List::from_wire(r.take(4 * usize::from(header.count))?);
        let reason = if r.is_empty() {
            None
        } else {
            let len = r.u8()?;
            let reason = r.take(usize::from(len))?;
            if r.remaining() >= 4 || r.rest().iter().any(|&b| b != 0) {
                return Err(invalid(WHAT, "bytes after the reason"));
            }
            Some(reason)
        };
        Ok(Self { sources, reason })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        let reason = self.reason.map_or(0, |r| (1 + r.len()).next_multiple_of(4));
        HEADER_LEN + self.sources.encoded_len() + reason
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let mut w = start_packet(buf, self.sources.len(), GOODBYE, len)?;
        self.sources.write(&mut w)?;
        if let Some(reason) = self.reason {
            let n = u8::try_from(reason.len())
                .map_err(|_| write_invalid(WHAT, "reason longer than 255 bytes"))?;
            w.u8(n)?;
            w.bytes(reason)?;
            let used = 1 + reason.len();
            w.zeros(used.next_multiple_of(4) - used)?;
        }
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn goodbye_with_reason() {
        let bytes = hex("82cb0004 11111111 22222222 05627965 21210000");
        let bye = Goodbye::parse(&bytes).unwrap();
        assert_eq!(bye.sources, List::new(&[0x1111_1111, 0x2222_2222]));
        assert_eq!(bye.reason, Some(&b"bye!!"[..]));
        let mut out = [0u8; 32];
        let n = bye.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
        let built = Goodbye {
            sources: List::new(&[0x1111_1111, 0x2222_2222]),
            reason: Some(b"bye!!"),
        };
        assert_eq!(built, bye);
        assert_eq!(built.write_to(&mut out).unwrap(), n);
        assert_eq!(&out[..n], &bytes[..]);
    }

    #[test]
    fn goodbye_without_reason_and_bad_ones() {
        let bytes = hex("81cb0001 abcdef01");
        let bye = Goodbye::parse(&bytes).unwrap();
        assert_eq!(bye.reason, None);
        assert_eq!(bye.sources.get(0), Some(0xabcd_ef01));
        let mut out = [0u8; 8];
        assert_eq!(bye.write_to(&mut out).unwrap(), 8);
        assert_eq!(&out[..], &bytes[..]);
        // Reason longer than the packet.
        assert!(Goodbye::parse(&hex("81cb0002 abcdef01 09616263")).is_err());
        // Garbage after the reason.
        assert!(Goodbye::parse(&hex("81cb0002 abcdef01 01610101")).is_err());
        // Fewer sources than announced.
        assert!(Goodbye::parse(&hex("82cb0001 abcdef01")).is_err());
    }
}
