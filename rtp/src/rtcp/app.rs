//! Application-defined packets (APP).
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6.7>

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::rtcp::header::{
    APPLICATION_DEFINED, HEADER_LEN, Header, expect_type, single_packet, start_packet,
};

const WHAT: &str = "application-defined packet";

/// An application-defined packet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ApplicationDefined<'a> {
    /// The 5-bit subtype.
    pub subtype: u8,
    /// The sender's SSRC.
    pub ssrc: u32,
    /// The four ASCII characters naming the application.
    pub name: [u8; 4],
    /// Application data (a whole number of 32-bit words).
    pub data: &'a [u8],
}

impl<'a> ApplicationDefined<'a> {
    /// Parses one APP packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, APPLICATION_DEFINED, WHAT)?;
        let mut r = Reader::new(body, WHAT);
        let ssrc = u32::from_be_bytes(r.array()?);
        let name = r.array()?;
        if r.remaining() % 4 != 0 {
            return Err(invalid(WHAT, "data not a whole number of words"));
        }
        Ok(Self {
            subtype: header.count,
            ssrc,
            name,
            data: r.rest(),
        })
    }

    /// Encoded length.
    pub const fn encoded_len(&self) -> usize {
        HEADER_LEN + 8 + self.data.len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        if self.data.len() % 4 != 0 {
            return Err(write_invalid(WHAT, "data not a whole number of words"));
        }
        let len = self.encoded_len();
        let mut w = start_packet(buf, usize::from(self.subtype), APPLICATION_DEFINED, len)?;
        w.u32(self.ssrc)?;
        w.array(self.name)?;
        w.bytes(self.data)?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn application_defined_round_trip() {
        let bytes = hex("85cc0003 12345678 74657374 00010203");
        let app = ApplicationDefined::parse(&bytes).unwrap();
        assert_eq!(app.subtype, 5);
        assert_eq!(app.ssrc, 0x1234_5678);
        assert_eq!(&app.name, b"test");
        assert_eq!(app.data, &[0, 1, 2, 3]);
        let mut out = [0u8; 16];
        assert_eq!(app.write_to(&mut out).unwrap(), 16);
        assert_eq!(&out[..], &bytes[..]);
        assert!(ApplicationDefined::parse(&hex("80cc0001 12345678")).is_err());
        let bad = ApplicationDefined { data: &[1], ..app };
        assert!(bad.write_to(&mut out).is_err());
        let bad = ApplicationDefined { subtype: 32, ..app };
        assert!(bad.write_to(&mut out).is_err());
    }
}
