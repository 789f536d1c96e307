//! Slice loss indication (SLI).
//!
//! <https://www.rfc-editor.org/rfc/rfc4585#section-6.3.2>

use crate::list::{Item, chunk, put};
use crate::rtcp::header::{PAYLOAD_FEEDBACK, feedback_with_entries, payload_format};

const WHAT: &str = "slice loss indication";

/// One lost run of macroblocks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct SliEntry {
    /// First lost macroblock (13 bits).
    pub first: u16,
    /// Number of lost macroblocks (13 bits).
    pub number: u16,
    /// The six least significant bits of the picture id.
    pub picture_id: u8,
}

impl Item for SliEntry {
    const SIZE: usize = 4;
    fn decode(bytes: &[u8]) -> Self {
        let v = u32::from_be_bytes(chunk(bytes));
        Self {
            first: (v >> 19) as u16,
            number: ((v >> 6) & 0x1fff) as u16,
            picture_id: (v & 0x3f) as u8,
        }
    }
    fn encode(&self, out: &mut [u8]) {
        let v = (u32::from(self.first & 0x1fff) << 19)
            | (u32::from(self.number & 0x1fff) << 6)
            | u32::from(self.picture_id & 0x3f);
        put(out, v.to_be_bytes());
    }
}

feedback_with_entries! {
    /// A slice loss indication.
    pub struct SliceLossIndication {
        /// SSRC of the media source.
        media_ssrc,
        /// The lost slices (fields wider than the wire format are cut).
        entries: SliEntry,
    }
    packet_type: PAYLOAD_FEEDBACK,
    format: payload_format::SLI,
    what: WHAT,
    accepts: |fci| !fci.is_empty() && fci.remaining() % SliEntry::SIZE == 0,
    otherwise: "FCI empty or not a whole number of 4-byte entries",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn sli_round_trip() {
        // first=1, number=2, picture id=3: 0b0000000000001 0000000000010 000011
        let bytes = hex("82ce0003 00000001 00000002 00080083");
        let sli = SliceLossIndication::parse(&bytes).unwrap();
        assert_eq!(
            sli.entries.get(0),
            Some(SliEntry {
                first: 1,
                number: 2,
                picture_id: 3
            })
        );
        let mut out = [0u8; 16];
        assert_eq!(sli.write_to(&mut out).unwrap(), 16);
        assert_eq!(&out[..], &bytes[..]);
        assert!(SliceLossIndication::parse(&hex("82ce0002 00000001 00000002")).is_err());
    }
}
