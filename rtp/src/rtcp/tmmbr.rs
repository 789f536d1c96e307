//! Temporary maximum media stream bit rate request and notification
//! (TMMBR, TMMBN).
//!
//! <https://www.rfc-editor.org/rfc/rfc5104#section-4.2>

use crate::list::{Item, chunk, put};
use crate::rtcp::header::{TRANSPORT_FEEDBACK, feedback_with_entries, transport_format};

/// One TMMBR/TMMBN entry: a bit-rate limit for one media sender.
///
/// <https://www.rfc-editor.org/rfc/rfc5104#section-4.2.1.1>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TmmbrEntry {
    /// The media sender.
    pub ssrc: u32,
    /// MxTBR exponent (6 bits).
    pub exponent: u8,
    /// MxTBR mantissa (17 bits).
    pub mantissa: u32,
    /// Measured per-packet overhead in bytes (9 bits).
    pub overhead: u16,
}

impl TmmbrEntry {
    /// An entry for `bitrate` bits per second, with the smallest exponent
    /// that fits (rounding the rate down).
    pub const fn from_bitrate(ssrc: u32, bitrate: u64, overhead: u16) -> Self {
        let (exponent, mantissa) = split_bitrate(bitrate, 17);
        Self {
            ssrc,
            exponent,
            mantissa,
            overhead,
        }
    }

    /// The maximum total media bit rate, in bits per second (saturating).
    pub const fn bitrate(&self) -> u64 {
        join_bitrate(self.exponent, self.mantissa)
    }
}

/// Splits a bit rate into an exponent and a mantissa of `bits` bits.
pub(crate) const fn split_bitrate(bitrate: u64, bits: u32) -> (u8, u32) {
    let mut exponent = 0;
    let mut mantissa = bitrate;
    while mantissa >= (1 << bits) && exponent < 63 {
        mantissa >>= 1;
        exponent += 1;
    }
    (exponent, mantissa as u32)
}

/// `mantissa << exponent`, saturating.
pub(crate) const fn join_bitrate(exponent: u8, mantissa: u32) -> u64 {
    let m = mantissa as u64;
    if exponent >= 64 || (m != 0 && m.leading_zeros() < exponent as u32) {
        u64::MAX
    } else {
        m << exponent
    }
}

impl Item for TmmbrEntry {
    const SIZE: usize = 8;
    fn decode(bytes: &[u8]) -> Self {
        let [a, b, c, d, e, f, g, h] = chunk::<8>(bytes);
        let v = u32::from_be_bytes([e, f, g, h]);
        Self {
            ssrc: u32::from_be_bytes([a, b, c, d]),
            exponent: (v >> 26) as u8,
            mantissa: (v >> 9) & 0x1_ffff,
            overhead: (v & 0x1ff) as u16,
        }
    }
    fn encode(&self, out: &mut [u8]) {
        let [a, b, c, d] = self.ssrc.to_be_bytes();
        let v = (u32::from(self.exponent & 0x3f) << 26)
            | ((self.mantissa & 0x1_ffff) << 9)
            | u32::from(self.overhead & 0x1ff);
        let [e, f, g, h] = v.to_be_bytes();
        put(out, [a, b, c, d, e, f, g, h]);
    }
}

feedback_with_entries! {
    /// A TMMBR: a receiver asks senders to keep under a bit rate.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc5104#section-4.2.1>
    pub struct Tmmbr {
        /// SSRC of the media source (RFC 5104 asks for 0; kept as received).
        media_ssrc,
        /// The entries (fields wider than the wire format are cut).
        entries: TmmbrEntry,
    }
    packet_type: TRANSPORT_FEEDBACK,
    format: transport_format::TMMBR,
    what: "TMMBR",
    accepts: |fci| fci.remaining() % TmmbrEntry::SIZE == 0,
    otherwise: "FCI not a whole number of 8-byte entries",
}

feedback_with_entries! {
    /// A TMMBN: a sender announces the limits it follows (possibly none).
    ///
    /// <https://www.rfc-editor.org/rfc/rfc5104#section-4.2.2>
    pub struct Tmmbn {
        /// SSRC of the media source (RFC 5104 asks for 0; kept as received).
        media_ssrc,
        /// The entries (fields wider than the wire format are cut).
        entries: TmmbrEntry,
    }
    packet_type: TRANSPORT_FEEDBACK,
    format: transport_format::TMMBN,
    what: "TMMBN",
    accepts: |fci| fci.remaining() % TmmbrEntry::SIZE == 0,
    otherwise: "FCI not a whole number of 8-byte entries",
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn tmmbr_and_tmmbn_round_trip() {
        // exp 4, mantissa 0x10000 (65536 << 4 = 1048576 bps), overhead 40.
        let bytes = hex("83cd0004 00000001 00000000 0a0b0c0d 12000028");
        let tmmbr = Tmmbr::parse(&bytes).unwrap();
        let entry = tmmbr.entries.get(0).unwrap();
        assert_eq!(
            entry,
            TmmbrEntry {
                ssrc: 0x0a0b_0c0d,
                exponent: 4,
                mantissa: 0x1_0000,
                overhead: 40
            }
        );
        assert_eq!(entry.bitrate(), 1_048_576);
        assert_eq!(
            TmmbrEntry::from_bitrate(0x0a0b_0c0d, 1_048_576, 40).bitrate(),
            1_048_576
        );
        let mut out = [0u8; 20];
        assert_eq!(tmmbr.write_to(&mut out).unwrap(), 20);
        assert_eq!(&out[..], &bytes[..]);

        let bytes = hex("84cd0002 00000001 00000000");
        let tmmbn = Tmmbn::parse(&bytes).unwrap();
        assert!(tmmbn.entries.is_empty());
        assert_eq!(tmmbn.write_to(&mut out).unwrap(), 12);
        assert_eq!(&out[..12], &bytes[..]);
        assert!(Tmmbn::parse(&hex("84cd0003 00000001 00000000 00000000")).is_err());
        assert_eq!(join_bitrate(63, 0x1_ffff), u64::MAX);
    }
}
