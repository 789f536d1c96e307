//! Full intra request (FIR).
//!
//! <https://www.rfc-editor.org/rfc/rfc5104#section-4.3.1>

use crate::list::{Item, chunk, put};
use crate::rtcp::header::{PAYLOAD_FEEDBACK, feedback_with_entries, payload_format};

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

feedback_with_entries! {
    /// A full intra request.
    pub struct FullIntraRequest {
        /// SSRC of the media source (RFC 5104 asks for 0; kept as received).
        media_ssrc,
        /// The requests.
        entries: FirEntry,
    }
    packet_type: PAYLOAD_FEEDBACK,
    format: payload_format::FIR,
    what: WHAT,
    accepts: |fci| !fci.is_empty() && fci.remaining() % FirEntry::SIZE == 0,
    otherwise: "FCI not a whole number of 8-byte entries",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::List;
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
