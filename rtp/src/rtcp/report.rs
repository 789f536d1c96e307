//! Sender and receiver reports and their report blocks.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6.4>

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid};
use crate::list::{Item, List, chunk_words, put_words};
use crate::ntp::NtpTime;
use crate::rtcp::header::{
    HEADER_LEN, Header, RECEIVER_REPORT, SENDER_REPORT, expect_type, single_packet, start_packet,
};

/// A reception report block: what one receiver saw of one source.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ReportBlock {
    /// The source this block is about.
    pub ssrc: u32,
    /// Fraction of packets lost since the last report, in 1/256.
    pub fraction_lost: u8,
    /// Cumulative number of packets lost (signed 24 bits: duplicates can
    /// make it negative). Written clamped to `-0x80_0000..=0x7f_ffff`.
    pub cumulative_lost: i32,
    /// Extended highest sequence number received.
    pub extended_highest_sequence: u32,
    /// Interarrival jitter, in timestamp units.
    pub jitter: u32,
    /// Last SR timestamp (compact NTP), 0 if none.
    pub last_sender_report: u32,
    /// Delay since last SR, in 1/65536 s.
    pub delay_since_last_sender_report: u32,
}

impl ReportBlock {
    /// Encoded size.
    pub const LEN: usize = 24;
}

impl Item for ReportBlock {
    const SIZE: usize = 24;

    #[inline]
    fn decode(bytes: &[u8]) -> Self {
        // Three 64-bit loads rather than six 32-bit ones: fewer
        // instructions, and nothing for the compiler to vectorise badly.
        let [a, b, c] = chunk_words::<3, 8>(bytes).map(u64::from_be_bytes);
        Self {
            ssrc: (a >> 32) as u32,
            fraction_lost: (a >> 24) as u8,
            // Sign-extend the 24-bit field.
            cumulative_lost: ((a as i32) << 8) >> 8,
            extended_highest_sequence: (b >> 32) as u32,
            jitter: b as u32,
            last_sender_report: (c >> 32) as u32,
            delay_since_last_sender_report: c as u32,
        }
    }

    #[inline]
    fn encode(&self, out: &mut [u8]) {
        let lost = self.cumulative_lost.clamp(-0x80_0000, 0x7f_ffff);
        let [_, c0, c1, c2] = lost.to_be_bytes();
        put_words(
            out,
            [
                self.ssrc.to_be_bytes(),
                [self.fraction_lost, c0, c1, c2],
                self.extended_highest_sequence.to_be_bytes(),
                self.jitter.to_be_bytes(),
                self.last_sender_report.to_be_bytes(),
                self.delay_since_last_sender_report.to_be_bytes(),
            ],
        );
    }
}

/// Splits `count` report blocks and the profile-specific extension off `body`.
#[inline]
fn blocks<'a>(
    r: &mut Reader<'a>,
    count: u8,
) -> Result<(List<'a, ReportBlock>, &'a [u8]), ParseError> {
    let blocks = r.take(usize::from(count) * ReportBlock::LEN)?;
    let extension = r.rest();
    if extension.len() % 4 != 0 {
        return Err(invalid(
            "RTCP report",
            "extension not a whole number of words",
        ));
    }
    Ok((List::from_wire(blocks), extension))
}

/// A sender report.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SenderReport<'a> {
    /// The sender's SSRC.
    pub ssrc: u32,
    /// Wallclock time the report was sent.
    pub ntp_time: NtpTime,
    /// The RTP timestamp matching `ntp_time`.
    pub rtp_time: u32,
    /// Packets sent since the start of transmission.
    pub packet_count: u32,
    /// Payload octets sent since the start of transmission.
    pub octet_count: u32,
    /// Report blocks (at most 31).
    pub report_blocks: List<'a, ReportBlock>,
    /// Profile-specific extension (a whole number of words).
    pub profile_extension: &'a [u8],
}

impl<'a> SenderReport<'a> {
    /// Parses one SR packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, SENDER_REPORT, "sender report")?;
        let mut r = Reader::new(body, "sender report");
        // The sender info in three 64-bit loads, as for report blocks.
        let [ssrc_ntp, ntp_rtp, counts] = chunk_words::<3, 8>(r.take(24)?).map(u64::from_be_bytes);
        let (report_blocks, profile_extension) = blocks(&mut r, header.count)?;
        Ok(Self {
            ssrc: (ssrc_ntp >> 32) as u32,
            ntp_time: NtpTime((ssrc_ntp << 32) | (ntp_rtp >> 32)),
            rtp_time: ntp_rtp as u32,
            packet_count: (counts >> 32) as u32,
            octet_count: counts as u32,
            report_blocks,
            profile_extension,
        })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + 24 + self.report_blocks.encoded_len() + self.profile_extension.len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let mut w = start_packet(buf, self.report_blocks.len(), SENDER_REPORT, len)?;
        w.u32(self.ssrc)?;
        w.u64(self.ntp_time.0)?;
        w.u32(self.rtp_time)?;
        w.u32(self.packet_count)?;
        w.u32(self.octet_count)?;
        self.report_blocks.write(&mut w)?;
        w.bytes(self.profile_extension)?;
        Ok(w.written())
    }
}

/// A receiver report.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.4.2>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReceiverReport<'a> {
    /// The reporter's SSRC.
    pub ssrc: u32,
    /// Report blocks (at most 31).
    pub report_blocks: List<'a, ReportBlock>,
    /// Profile-specific extension (a whole number of words).
    pub profile_extension: &'a [u8],
}

impl<'a> ReceiverReport<'a> {
    /// Parses one RR packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, RECEIVER_REPORT, "receiver report")?;
        let mut r = Reader::new(body, "receiver report");
        let ssrc = u32::from_be_bytes(r.array()?);
        let (report_blocks, profile_extension) = blocks(&mut r, header.count)?;
        Ok(Self {
            ssrc,
            report_blocks,
            profile_extension,
        })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + 4 + self.report_blocks.encoded_len() + self.profile_extension.len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let mut w = start_packet(buf, self.report_blocks.len(), RECEIVER_REPORT, len)?;
        w.u32(self.ssrc)?;
        self.report_blocks.write(&mut w)?;
        w.bytes(self.profile_extension)?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn sender_report_with_one_block() {
        let bytes = hex(
            "81c8000c 902f9e2e da8bd1fc dddddddd 00018d0e 00000010 00000640
             bc5e9a40 05fffffe 00000044 00000222 11223344 00000100",
        );
        let sr = SenderReport::parse(&bytes).unwrap();
        assert_eq!(sr.ssrc, 0x902f_9e2e);
        assert_eq!(sr.ntp_time, NtpTime(0xda8b_d1fc_dddd_dddd));
        assert_eq!(sr.rtp_time, 0x0001_8d0e);
        assert_eq!(sr.packet_count, 16);
        assert_eq!(sr.octet_count, 1600);
        let block = sr.report_blocks.get(0).unwrap();
        assert_eq!(
            block,
            ReportBlock {
                ssrc: 0xbc5e_9a40,
                fraction_lost: 5,
                cumulative_lost: -2,
                extended_highest_sequence: 0x44,
                jitter: 0x222,
                last_sender_report: 0x1122_3344,
                delay_since_last_sender_report: 0x100,
            }
        );
        assert_eq!(sr.report_blocks.len(), 1);
        assert!(sr.profile_extension.is_empty());
        let mut out = [0u8; 64];
        let n = sr.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);

        let blocks = [block];
        let built = SenderReport {
            report_blocks: List::new(&blocks),
            ..sr
        };
        assert_eq!(built, sr);
        let n = built.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
    }

    #[test]
    fn receiver_report_with_extension_and_clamped_loss() {
        let bytes =
            hex("81c90008 00000001 00000002 00800000 00000003 00000004 00000005 00000006 cafebabe");
        let rr = ReceiverReport::parse(&bytes).unwrap();
        assert_eq!(rr.ssrc, 1);
        let block = rr.report_blocks.get(0).unwrap();
        assert_eq!(block.cumulative_lost, -0x80_0000);
        assert_eq!(rr.profile_extension, &hex("cafebabe")[..]);
        let mut out = [0u8; 64];
        let n = rr.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);

        let big = [ReportBlock {
            cumulative_lost: 0x100_0000,
            ..ReportBlock::default()
        }];
        let rr = ReceiverReport {
            ssrc: 0,
            report_blocks: List::new(&big),
            profile_extension: &[],
        };
        let n = rr.write_to(&mut out).unwrap();
        let back = ReceiverReport::parse(&out[..n]).unwrap();
        assert_eq!(
            back.report_blocks.get(0).unwrap().cumulative_lost,
            0x7f_ffff
        );
    }

    #[test]
    fn rejects_bad_reports() {
        // RC=1 but no block.
        assert!(ReceiverReport::parse(&hex("81c90001 00000001")).is_err());
        // Wrong type.
        assert!(ReceiverReport::parse(&hex("80c80001 00000001")).is_err());
        // SR too short for its sender info.
        assert!(SenderReport::parse(&hex("80c80001 00000001")).is_err());
        // Trailing bytes after a single packet.
        assert!(ReceiverReport::parse(&hex("80c90001 00000001 00")).is_err());
        let too_many = [ReportBlock::default(); 32];
        let rr = ReceiverReport {
            ssrc: 0,
            report_blocks: List::new(&too_many),
            profile_extension: &[],
        };
        assert!(rr.write_to(&mut [0u8; 1024]).is_err());
    }
}
