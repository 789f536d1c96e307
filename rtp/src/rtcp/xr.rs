//! Extended reports (XR): report blocks of RFC 3611.
//!
//! <https://www.rfc-editor.org/rfc/rfc3611>

use core::fmt;

use crate::cursor::{Reader, Writer};
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::list::{Item, List, chunk, put};
use crate::ntp::NtpTime;
use crate::rtcp::header::{
    EXTENDED_REPORT, HEADER_LEN, Header, expect_type, single_packet, start_packet,
};

const WHAT: &str = "extended report";

/// XR block type numbers.
///
/// <https://www.rfc-editor.org/rfc/rfc3611#section-4>
pub mod block_type {
    /// Loss RLE report block.
    pub const LOSS_RLE: u8 = 1;
    /// Duplicate RLE report block.
    pub const DUPLICATE_RLE: u8 = 2;
    /// Receiver reference time report block.
    pub const RECEIVER_REFERENCE_TIME: u8 = 4;
    /// DLRR report block.
    pub const DLRR: u8 = 5;
    /// Statistics summary report block.
    pub const STATISTICS_SUMMARY: u8 = 6;
    /// VoIP metrics report block.
    pub const VOIP_METRICS: u8 = 7;
}

/// A loss or duplicate run-length-encoded report block.
///
/// <https://www.rfc-editor.org/rfc/rfc3611#section-4.1>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RleReport<'a> {
    /// Thinning: only sequence numbers that are multiples of 2^T are
    /// reported (4 bits).
    pub thinning: u8,
    /// The source reported on.
    pub ssrc: u32,
    /// First sequence number covered.
    pub begin_sequence: u16,
    /// One past the last sequence number covered.
    pub end_sequence: u16,
    /// The 16-bit run-length and bit-vector chunks (a trailing null chunk
    /// pads the block to a whole word).
    pub chunks: List<'a, u16>,
}

/// One DLRR sub-block.
///
/// <https://www.rfc-editor.org/rfc/rfc3611#section-4.5>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DlrrItem {
    /// The receiver this sub-block answers.
    pub ssrc: u32,
    /// Last RR timestamp (compact NTP of its receiver reference time).
    pub last_receiver_report: u32,
    /// Delay since that report, in 1/65536 s.
    pub delay_since_last_receiver_report: u32,
}

impl Item for DlrrItem {
    const SIZE: usize = 12;
    fn decode(bytes: &[u8]) -> Self {
        let [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3] = chunk::<12>(bytes);
        Self {
            ssrc: u32::from_be_bytes([a0, a1, a2, a3]),
            last_receiver_report: u32::from_be_bytes([b0, b1, b2, b3]),
            delay_since_last_receiver_report: u32::from_be_bytes([c0, c1, c2, c3]),
        }
    }
    fn encode(&self, out: &mut [u8]) {
        let [a0, a1, a2, a3] = self.ssrc.to_be_bytes();
        let [b0, b1, b2, b3] = self.last_receiver_report.to_be_bytes();
        let [c0, c1, c2, c3] = self.delay_since_last_receiver_report.to_be_bytes();
        put(out, [a0, a1, a2, a3, b0, b1, b2, b3, c0, c1, c2, c3]);
    }
}

/// A statistics summary report block.
///
/// <https://www.rfc-editor.org/rfc/rfc3611#section-4.6>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct StatisticsSummary {
    /// L: the loss count is present.
    pub has_loss: bool,
    /// D: the duplicate count is present.
    pub has_duplicates: bool,
    /// J: the jitter fields are present.
    pub has_jitter: bool,
    /// ToH: 0 none, 1 IPv4 TTL, 2 IPv6 hop limit (2 bits).
    pub ttl_or_hop_limit: u8,
    /// The source reported on.
    pub ssrc: u32,
    /// First sequence number covered.
    pub begin_sequence: u16,
    /// One past the last sequence number covered.
    pub end_sequence: u16,
    /// Packets lost.
    pub lost_packets: u32,
    /// Packets duplicated.
    pub duplicate_packets: u32,
    /// Minimum jitter.
    pub min_jitter: u32,
    /// Maximum jitter.
    pub max_jitter: u32,
    /// Mean jitter.
    pub mean_jitter: u32,
    /// Standard deviation of jitter.
    pub dev_jitter: u32,
    /// Minimum TTL or hop limit.
    pub min_ttl_or_hl: u8,
    /// Maximum TTL or hop limit.
    pub max_ttl_or_hl: u8,
    /// Mean TTL or hop limit.
    pub mean_ttl_or_hl: u8,
    /// Standard deviation of TTL or hop limit.
    pub dev_ttl_or_hl: u8,
}

/// A VoIP metrics report block.
///
/// <https://www.rfc-editor.org/rfc/rfc3611#section-4.7>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct VoipMetrics {
    /// The source reported on.
    pub ssrc: u32,
    /// Loss rate, in 1/256.
    pub loss_rate: u8,
    /// Discard rate, in 1/256.
    pub discard_rate: u8,
    /// Burst density, in 1/256.
    pub burst_density: u8,
    /// Gap density, in 1/256.
    pub gap_density: u8,
    /// Mean burst duration, ms.
    pub burst_duration: u16,
    /// Mean gap duration, ms.
    pub gap_duration: u16,
    /// Round-trip delay, ms.
    pub round_trip_delay: u16,
    /// End system delay, ms.
    pub end_system_delay: u16,
    /// Signal level, dBm0 (signed).
    pub signal_level: u8,
    /// Noise level, dBm0 (signed).
    pub noise_level: u8,
    /// Residual echo return loss, dB.
    pub rerl: u8,
    /// Gap threshold.
    pub gmin: u8,
    /// R factor.
    pub r_factor: u8,
    /// External R factor.
    pub ext_r_factor: u8,
    /// MOS-LQ, times 10.
    pub mos_lq: u8,
    /// MOS-CQ, times 10.
    pub mos_cq: u8,
    /// Receiver configuration byte.
    pub rx_config: u8,
    /// Jitter buffer nominal delay, ms.
    pub jb_nominal: u16,
    /// Jitter buffer maximum delay, ms.
    pub jb_maximum: u16,
    /// Jitter buffer absolute maximum delay, ms.
    pub jb_abs_max: u16,
}

/// One XR report block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum XrBlock<'a> {
    /// Loss RLE (BT=1).
    LossRle(RleReport<'a>),
    /// Duplicate RLE (BT=2).
    DuplicateRle(RleReport<'a>),
    /// Receiver reference time (BT=4).
    ReceiverReferenceTime(NtpTime),
    /// DLRR (BT=5).
    Dlrr(List<'a, DlrrItem>),
    /// Statistics summary (BT=6).
    StatisticsSummary(StatisticsSummary),
    /// VoIP metrics (BT=7).
    VoipMetrics(VoipMetrics),
    /// Any other block type, as bytes.
    Unknown {
        /// The block type.
        block_type: u8,
        /// The type-specific byte.
        type_specific: u8,
        /// The contents (a whole number of words).
        data: &'a [u8],
    },
}

impl<'a> XrBlock<'a> {
    fn decode(block_type: u8, ts: u8, data: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(data, WHAT);
        let block = match block_type {
            block_type::LOSS_RLE | block_type::DUPLICATE_RLE => {
                let [s0, s1, s2, s3, b0, b1, e0, e1] = r.array()?;
                let report = RleReport {
                    thinning: ts & 0x0f,
                    ssrc: u32::from_be_bytes([s0, s1, s2, s3]),
                    begin_sequence: u16::from_be_bytes([b0, b1]),
                    end_sequence: u16::from_be_bytes([e0, e1]),
                    chunks: List::from_wire(r.rest()),
                };
                if block_type == block_type::LOSS_RLE {
                    Self::LossRle(report)
                } else {
                    Self::DuplicateRle(report)
                }
            }
            block_type::RECEIVER_REFERENCE_TIME => {
                let ntp = NtpTime(u64::from_be_bytes(r.array()?));
                if !r.is_empty() {
                    return Err(invalid(WHAT, "receiver reference time block is 2 words"));
                }
                Self::ReceiverReferenceTime(ntp)
            }
            block_type::DLRR => {
                if data.len() % DlrrItem::SIZE != 0 {
                    return Err(invalid(WHAT, "DLRR block not a whole number of sub-blocks"));
                }
                Self::Dlrr(List::from_wire(data))
            }
            block_type::STATISTICS_SUMMARY => {
                let [s0, s1, s2, s3, b0, b1, e0, e1] = r.array()?;
                let mut words = [0u32; 6];
                for word in &mut words {
                    *word = u32::from_be_bytes(r.array()?);
                }
                let [lost, dup, min_j, max_j, mean_j, dev_j] = words;
                let [min_t, max_t, mean_t, dev_t] = r.array()?;
                if !r.is_empty() {
                    return Err(invalid(WHAT, "statistics summary block is 9 words"));
                }
                Self::StatisticsSummary(StatisticsSummary {
                    has_loss: ts & 0x80 != 0,
                    has_duplicates: ts & 0x40 != 0,
                    has_jitter: ts & 0x20 != 0,
                    ttl_or_hop_limit: (ts >> 3) & 3,
                    ssrc: u32::from_be_bytes([s0, s1, s2, s3]),
                    begin_sequence: u16::from_be_bytes([b0, b1]),
                    end_sequence: u16::from_be_bytes([e0, e1]),
                    lost_packets: lost,
                    duplicate_packets: dup,
                    min_jitter: min_j,
                    max_jitter: max_j,
                    mean_jitter: mean_j,
                    dev_jitter: dev_j,
                    min_ttl_or_hl: min_t,
                    max_ttl_or_hl: max_t,
                    mean_ttl_or_hl: mean_t,
                    dev_ttl_or_hl: dev_t,
                })
            }
            block_type::VOIP_METRICS => {
                let [
                    s0,
                    s1,
                    s2,
                    s3,
                    loss,
                    discard,
                    burst_d,
                    gap_d,
                    bd0,
                    bd1,
                    gd0,
                    gd1,
                    rt0,
                    rt1,
                    es0,
                    es1,
                    signal,
                    noise,
                    rerl,
                    gmin,
                    r_factor,
                    ext_r,
                    mos_lq,
                    mos_cq,
                    rx_config,
                    _reserved,
                    jn0,
                    jn1,
                    jm0,
                    jm1,
                    ja0,
                    ja1,
                ] = r.array()?;
                if !r.is_empty() {
                    return Err(invalid(WHAT, "VoIP metrics block is 8 words"));
                }
                Self::VoipMetrics(VoipMetrics {
                    ssrc: u32::from_be_bytes([s0, s1, s2, s3]),
                    loss_rate: loss,
                    discard_rate: discard,
                    burst_density: burst_d,
                    gap_density: gap_d,
                    burst_duration: u16::from_be_bytes([bd0, bd1]),
                    gap_duration: u16::from_be_bytes([gd0, gd1]),
                    round_trip_delay: u16::from_be_bytes([rt0, rt1]),
                    end_system_delay: u16::from_be_bytes([es0, es1]),
                    signal_level: signal,
                    noise_level: noise,
                    rerl,
                    gmin,
                    r_factor,
                    ext_r_factor: ext_r,
                    mos_lq,
                    mos_cq,
                    rx_config,
                    jb_nominal: u16::from_be_bytes([jn0, jn1]),
                    jb_maximum: u16::from_be_bytes([jm0, jm1]),
                    jb_abs_max: u16::from_be_bytes([ja0, ja1]),
                })
            }
            _ => Self::Unknown {
                block_type,
                type_specific: ts,
                data,
            },
        };
        Ok(block)
    }

    /// The block type number.
    pub const fn block_type(&self) -> u8 {
        match self {
            Self::LossRle(_) => block_type::LOSS_RLE,
            Self::DuplicateRle(_) => block_type::DUPLICATE_RLE,
            Self::ReceiverReferenceTime(_) => block_type::RECEIVER_REFERENCE_TIME,
            Self::Dlrr(_) => block_type::DLRR,
            Self::StatisticsSummary(_) => block_type::STATISTICS_SUMMARY,
            Self::VoipMetrics(_) => block_type::VOIP_METRICS,
            Self::Unknown { block_type, .. } => *block_type,
        }
    }

    /// Length of the contents (after the 4-byte block header).
    fn data_len(&self) -> usize {
        match self {
            Self::LossRle(r) | Self::DuplicateRle(r) => {
                8 + (2 * r.chunks.len()).next_multiple_of(4)
            }
            Self::ReceiverReferenceTime(_) => 8,
            Self::Dlrr(items) => items.encoded_len(),
            Self::StatisticsSummary(_) => 36,
            Self::VoipMetrics(_) => 32,
            Self::Unknown { data, .. } => data.len(),
        }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        let data_len = self.data_len();
        if data_len % 4 != 0 {
            return Err(write_invalid(WHAT, "block not a whole number of words"));
        }
        let words = u16::try_from(data_len / 4)
            .map_err(|_| write_invalid(WHAT, "block longer than 65535 words"))?;
        let ts = match self {
            Self::LossRle(r) | Self::DuplicateRle(r) => r.thinning & 0x0f,
            Self::StatisticsSummary(s) => {
                (u8::from(s.has_loss) << 7)
                    | (u8::from(s.has_duplicates) << 6)
                    | (u8::from(s.has_jitter) << 5)
                    | ((s.ttl_or_hop_limit & 3) << 3)
            }
            Self::Unknown { type_specific, .. } => *type_specific,
            _ => 0,
        };
        w.array([self.block_type(), ts])?;
        w.u16(words)?;
        match self {
            Self::LossRle(r) | Self::DuplicateRle(r) => {
                w.u32(r.ssrc)?;
                w.u16(r.begin_sequence)?;
                w.u16(r.end_sequence)?;
                r.chunks.write(w)?;
                if r.chunks.len() % 2 == 1 {
                    w.zeros(2)?;
                }
            }
            Self::ReceiverReferenceTime(ntp) => w.u64(ntp.0)?,
            Self::Dlrr(items) => items.write(w)?,
            Self::StatisticsSummary(s) => {
                w.u32(s.ssrc)?;
                w.u16(s.begin_sequence)?;
                w.u16(s.end_sequence)?;
                for v in [
                    s.lost_packets,
                    s.duplicate_packets,
                    s.min_jitter,
                    s.max_jitter,
                    s.mean_jitter,
                    s.dev_jitter,
                ] {
                    w.u32(v)?;
                }
                w.array([
                    s.min_ttl_or_hl,
                    s.max_ttl_or_hl,
                    s.mean_ttl_or_hl,
                    s.dev_ttl_or_hl,
                ])?;
            }
            Self::VoipMetrics(v) => {
                w.u32(v.ssrc)?;
                w.array([v.loss_rate, v.discard_rate, v.burst_density, v.gap_density])?;
                for x in [
                    v.burst_duration,
                    v.gap_duration,
                    v.round_trip_delay,
                    v.end_system_delay,
                ] {
                    w.u16(x)?;
                }
                w.array([
                    v.signal_level,
                    v.noise_level,
                    v.rerl,
                    v.gmin,
                    v.r_factor,
                    v.ext_r_factor,
                    v.mos_lq,
                    v.mos_cq,
                    v.rx_config,
                    0,
                ])?;
                for x in [v.jb_nominal, v.jb_maximum, v.jb_abs_max] {
                    w.u16(x)?;
                }
            }
            Self::Unknown { data, .. } => w.bytes(data)?,
        }
        Ok(())
    }
}

#[inline]
fn read_block<'a>(r: &mut Reader<'a>) -> Result<XrBlock<'a>, ParseError> {
    let [block_type, ts, l0, l1] = r.array()?;
    let data = r.take(4 * usize::from(u16::from_be_bytes([l0, l1])))?;
    XrBlock::decode(block_type, ts, data)
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    Wire(&'a [u8]),
    Blocks(&'a [XrBlock<'a>]),
}

/// The report blocks of an XR packet: on the wire after parsing, or a
/// caller's slice.
#[derive(Clone, Copy)]
pub struct XrBlocks<'a> {
    repr: Repr<'a>,
}

impl<'a> XrBlocks<'a> {
    /// Blocks from a slice.
    pub const fn new(blocks: &'a [XrBlock<'a>]) -> Self {
        Self {
            repr: Repr::Blocks(blocks),
        }
    }

    /// Iterates over the blocks.
    #[inline]
    pub fn iter(&self) -> XrBlockIter<'a> {
        XrBlockIter {
            inner: match self.repr {
                Repr::Wire(bytes) => IterRepr::Wire(Reader::new(bytes, WHAT)),
                Repr::Blocks(b) => IterRepr::Blocks(b.iter()),
            },
        }
    }
}

impl PartialEq for XrBlocks<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for XrBlocks<'_> {}

impl fmt::Debug for XrBlocks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Debug, Clone)]
enum IterRepr<'a> {
    Wire(Reader<'a>),
    Blocks(core::slice::Iter<'a, XrBlock<'a>>),
}

/// Iterator over [`XrBlocks`]; allocates nothing.
#[derive(Debug, Clone)]
pub struct XrBlockIter<'a> {
    inner: IterRepr<'a>,
}

impl<'a> Iterator for XrBlockIter<'a> {
    type Item = XrBlock<'a>;
    fn next(&mut self) -> Option<XrBlock<'a>> {
        match &mut self.inner {
            IterRepr::Wire(r) => {
                if r.is_empty() {
                    None
                } else {
                    read_block(r).ok()
                }
            }
            IterRepr::Blocks(b) => b.next().copied(),
        }
    }
}

/// An extended report packet.
///
/// <https://www.rfc-editor.org/rfc/rfc3611#section-2>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExtendedReport<'a> {
    /// The originator's SSRC.
    pub ssrc: u32,
    /// The report blocks.
    pub blocks: XrBlocks<'a>,
}

impl<'a> ExtendedReport<'a> {
    /// Parses one XR packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, EXTENDED_REPORT, WHAT)?;
        let mut r = Reader::new(body, WHAT);
        let ssrc = u32::from_be_bytes(r.array()?);
        let blocks = r.rest();
        while !r.is_empty() {
            read_block(&mut r)?;
        }
        Ok(Self {
            ssrc,
            blocks: XrBlocks {
                repr: Repr::Wire(blocks),
            },
        })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + 4
            + match self.blocks.repr {
                Repr::Wire(bytes) => bytes.len(),
                Repr::Blocks(blocks) => blocks.iter().map(|b| 4 + b.data_len()).sum(),
            }
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let mut w = start_packet(buf, 0, EXTENDED_REPORT, len)?;
        w.u32(self.ssrc)?;
        match self.blocks.repr {
            Repr::Wire(bytes) => w.bytes(bytes)?,
            Repr::Blocks(blocks) => {
                for block in blocks {
                    block.write(&mut w)?;
                }
            }
        }
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;
    use alloc::vec::Vec;

    #[test]
    fn every_block_type_round_trips() {
        let bytes = hex(
            "80cf0022 11111111
             01030004 22222222 00640078 4fff8123 c0010000
             04000002 e1234567 89abcdef
             05000003 33333333 44444444 00010000
             06e80009 22222222 00640078 00000002 00000001 00000003 00000009 00000005 00000001 3f40403f
             07000008 22222222 0a0b0c0d 00140028 00960032 eeb01e20 5d5a2a26 11000050 00780096
             09070001 01020304",
        );
        let xr = ExtendedReport::parse(&bytes).unwrap();
        assert_eq!(xr.ssrc, 0x1111_1111);
        let blocks: Vec<XrBlock<'_>> = xr.blocks.iter().collect();
        assert_eq!(blocks.len(), 6);
        assert_eq!(
            blocks[0],
            XrBlock::LossRle(RleReport {
                thinning: 3,
                ssrc: 0x2222_2222,
                begin_sequence: 100,
                end_sequence: 120,
                chunks: List::new(&[0x4fff, 0x8123, 0xc001, 0]),
            })
        );
        assert_eq!(
            blocks[1],
            XrBlock::ReceiverReferenceTime(NtpTime(0xe123_4567_89ab_cdef))
        );
        assert_eq!(
            blocks[2],
            XrBlock::Dlrr(List::new(&[DlrrItem {
                ssrc: 0x3333_3333,
                last_receiver_report: 0x4444_4444,
                delay_since_last_receiver_report: 0x1_0000,
            }]))
        );
        let XrBlock::StatisticsSummary(s) = blocks[3] else {
            panic!("{:?}", blocks[3]);
        };
        assert!(s.has_loss && s.has_duplicates && s.has_jitter);
        assert_eq!(s.ttl_or_hop_limit, 1);
        assert_eq!((s.lost_packets, s.duplicate_packets), (2, 1));
        assert_eq!(
            (s.min_jitter, s.max_jitter, s.mean_jitter, s.dev_jitter),
            (3, 9, 5, 1)
        );
        assert_eq!(
            (
                s.min_ttl_or_hl,
                s.max_ttl_or_hl,
                s.mean_ttl_or_hl,
                s.dev_ttl_or_hl
            ),
            (63, 64, 64, 63)
        );
        let XrBlock::VoipMetrics(v) = blocks[4] else {
            panic!("{:?}", blocks[4]);
        };
        assert_eq!(v.ssrc, 0x2222_2222);
        assert_eq!(
            (v.loss_rate, v.discard_rate, v.burst_density, v.gap_density),
            (10, 11, 12, 13)
        );
        assert_eq!((v.burst_duration, v.gap_duration), (20, 40));
        assert_eq!((v.round_trip_delay, v.end_system_delay), (150, 50));
        assert_eq!(
            (v.signal_level, v.noise_level, v.rerl, v.gmin),
            (0xee, 0xb0, 0x1e, 0x20)
        );
        assert_eq!(
            (v.r_factor, v.ext_r_factor, v.mos_lq, v.mos_cq),
            (93, 90, 42, 38)
        );
        assert_eq!(v.rx_config, 0x11);
        assert_eq!((v.jb_nominal, v.jb_maximum, v.jb_abs_max), (80, 120, 150));
        assert_eq!(
            blocks[5],
            XrBlock::Unknown {
                block_type: 9,
                type_specific: 7,
                data: &[1, 2, 3, 4]
            }
        );

        let mut out = [0u8; 256];
        let n = xr.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
        let built = ExtendedReport {
            ssrc: xr.ssrc,
            blocks: XrBlocks::new(&blocks),
        };
        assert_eq!(built, xr);
        let n = built.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
    }

    #[test]
    fn rejects_bad_blocks() {
        // Block longer than the packet.
        assert!(ExtendedReport::parse(&hex("80cf0002 11111111 04000002")).is_err());
        // Wrong fixed sizes.
        assert!(ExtendedReport::parse(&hex("80cf0003 11111111 04000001 00000000")).is_err());
        assert!(ExtendedReport::parse(&hex("80cf0003 11111111 05000001 00000000")).is_err());
        assert!(ExtendedReport::parse(&hex("80cf0003 11111111 06000001 00000000")).is_err());
        assert!(ExtendedReport::parse(&hex("80cf0003 11111111 07000001 00000000")).is_err());
        // An empty XR is fine.
        assert!(ExtendedReport::parse(&hex("80cf0001 11111111")).is_ok());
    }
}
