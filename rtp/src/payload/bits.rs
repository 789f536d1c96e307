//! A bit reader for the few codec headers the payload formats look into
//! (the VP9 uncompressed header, AV1 sequence and frame headers): most
//! significant bit first, never indexing past the end.

use crate::error::ParseError;

/// Reads bits off the front of a byte slice, most significant bit first.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BitReader<'a> {
    bytes: &'a [u8],
    /// Bits already read.
    position: usize,
    what: &'static str,
}

impl<'a> BitReader<'a> {
    /// A reader over `bytes`; `what` names the structure in errors.
    pub(crate) const fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self {
            bytes,
            position: 0,
            what,
        }
    }

    fn truncated(&self) -> ParseError {
        ParseError::Truncated {
            what: self.what,
            needed: self.position / 8 + 1,
            have: self.bytes.len(),
        }
    }

    /// One bit.
    pub(crate) fn bit(&mut self) -> Result<bool, ParseError> {
        let byte = *self.bytes.get(self.position / 8).ok_or(self.truncated())?;
        let bit = (byte >> (7 - self.position % 8)) & 1;
        self.position += 1;
        Ok(bit == 1)
    }

    /// `n` bits (at most 32) as an unsigned number.
    pub(crate) fn bits(&mut self, n: u32) -> Result<u32, ParseError> {
        let mut value = 0u32;
        for _ in 0..n.min(32) {
            value = (value << 1) | u32::from(self.bit()?);
        }
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_bits_most_significant_first() {
        let bytes = [0b1010_0110, 0b0100_0001];
        let mut r = BitReader::new(&bytes, "test");
        assert!(r.bit().unwrap());
        assert_eq!(r.bits(3).unwrap(), 0b010);
        assert_eq!(r.bits(6).unwrap(), 0b01_1001);
        assert_eq!(r.bits(6).unwrap(), 0b1);
        assert!(r.bit().is_err());
        assert_eq!(
            BitReader::new(&[0xff; 4], "test").bits(32).unwrap(),
            u32::MAX
        );
    }
}
