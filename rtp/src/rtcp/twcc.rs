//! Transport-wide congestion control feedback (draft-holmer): per-packet
//! arrival status and receive deltas for the transport-wide sequence
//! numbers of [`TransportSequenceNumber`](crate::rtp::extension::TransportSequenceNumber).
//!
//! <https://datatracker.ietf.org/doc/html/draft-holmer-rmcat-transport-wide-cc-extensions-01#section-3.1>

use core::fmt;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::rtcp::header::{
    FEEDBACK_HEADER_LEN, Header, TRANSPORT_FEEDBACK, read_feedback, single_packet, start_feedback,
    transport_format,
};

const WHAT: &str = "transport-wide CC feedback";

/// Length of one receive-delta tick.
pub const DELTA_TICK_MICROS: i64 = 250;
/// Length of one reference-time tick.
pub const REFERENCE_TICK_MICROS: i64 = 64_000;
/// The longest run a run-length chunk can say.
pub const MAX_RUN_LENGTH: usize = 0x1fff;

/// What the receiver says about one packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PacketStatus {
    /// Not received.
    NotReceived,
    /// Received, with a receive delta of 0..=255 ticks of 250 µs.
    SmallDelta(u8),
    /// Received, with a negative or large delta (signed 16-bit ticks).
    LargeDelta(i16),
}

impl PacketStatus {
    /// The status of a packet received `ticks` (250 µs) after the
    /// previous one; `None` if the delta does not fit 16 bits.
    pub fn received(ticks: i32) -> Option<Self> {
        if let Ok(small) = u8::try_from(ticks) {
            Some(Self::SmallDelta(small))
        } else {
            i16::try_from(ticks).ok().map(Self::LargeDelta)
        }
    }

    /// The 2-bit status symbol.
    pub const fn symbol(&self) -> u8 {
        match self {
            Self::NotReceived => 0,
            Self::SmallDelta(_) => 1,
            Self::LargeDelta(_) => 2,
        }
    }

    /// The receive delta in 250 µs ticks, if received.
    pub const fn delta_ticks(&self) -> Option<i32> {
        match *self {
            Self::NotReceived => None,
            Self::SmallDelta(d) => Some(d as i32),
            Self::LargeDelta(d) => Some(d as i32),
        }
    }

    const fn delta_len(&self) -> usize {
        self.symbol() as usize
    }
}

/// One chunk as decoded: which symbols it gives.
#[derive(Debug, Clone, Copy)]
enum Chunk {
    /// `len` copies of `symbol`.
    Run { symbol: u8, len: u16 },
    /// Up to 14 one-bit or 7 two-bit symbols, packed from the top bits.
    Vector { bits: u16, two_bit: bool, len: u8 },
}

impl Chunk {
    fn decode(raw: u16) -> Self {
        if raw & 0x8000 == 0 {
            Self::Run {
                symbol: ((raw >> 13) & 3) as u8,
                len: raw & 0x1fff,
            }
        } else if raw & 0x4000 == 0 {
            Self::Vector {
                bits: raw << 2,
                two_bit: false,
                len: 14,
            }
        } else {
            Self::Vector {
                bits: raw << 2,
                two_bit: true,
                len: 7,
            }
        }
    }

    /// Takes the next symbol; `None` when the chunk is used up.
    fn next_symbol(&mut self) -> Option<u8> {
        match self {
            Self::Run { symbol, len } => {
                *len = len.checked_sub(1)?;
                Some(*symbol)
            }
            Self::Vector { bits, two_bit, len } => {
                *len = len.checked_sub(1)?;
                if *two_bit {
                    let s = (*bits >> 14) as u8;
                    *bits <<= 2;
                    Some(s)
                } else {
                    let s = (*bits >> 15) as u8;
                    *bits <<= 1;
                    Some(s)
                }
            }
        }
    }
}

/// Walks chunks and deltas, yielding statuses. Used both to validate and
/// to iterate.
#[derive(Debug, Clone)]
struct Decoder<'a> {
    chunks: Reader<'a>,
    deltas: Reader<'a>,
    current: Option<Chunk>,
    left: u16,
}

impl Decoder<'_> {
    fn next_status(&mut self) -> Result<Option<PacketStatus>, ParseError> {
        if self.left == 0 {
            return Ok(None);
        }
        let symbol = loop {
            if let Some(symbol) = self.current.as_mut().and_then(Chunk::next_symbol) {
                break symbol;
            }
            self.current = Some(Chunk::decode(self.chunks.u16()?));
        };
        self.left -= 1;
        let status = match symbol {
            0 => PacketStatus::NotReceived,
            1 => PacketStatus::SmallDelta(self.deltas.u8()?),
            2 => PacketStatus::LargeDelta(i16::from_be_bytes(self.deltas.array()?)),
            _ => return Err(invalid(WHAT, "reserved status symbol")),
        };
        Ok(Some(status))
    }
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    /// Chunks, then deltas and padding, as received.
    Wire {
        count: u16,
        fci: &'a [u8],
    },
    Statuses(&'a [PacketStatus]),
}

/// The packet statuses of a feedback message: on the wire after parsing,
/// or a caller's slice (the writer picks the chunk encoding).
#[derive(Clone, Copy)]
pub struct PacketStatuses<'a> {
    repr: Repr<'a>,
}

impl<'a> PacketStatuses<'a> {
    /// Statuses from a slice, one per sequence number from the base on (at
    /// most 65535).
    pub const fn new(statuses: &'a [PacketStatus]) -> Self {
        Self {
            repr: Repr::Statuses(statuses),
        }
    }

    /// The packet status count.
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Wire { count, .. } => usize::from(count),
            Repr::Statuses(s) => s.len(),
        }
    }

    /// Whether there is no status.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the statuses, in sequence-number order.
    #[inline]
    pub fn iter(&self) -> StatusIter<'a> {
        StatusIter {
            inner: match self.repr {
                Repr::Wire { count, fci } => {
                    let (chunks, deltas) = split_fci(count, fci).unwrap_or_default();
                    IterRepr::Wire(Decoder {
                        chunks: Reader::new(chunks, WHAT),
                        deltas: Reader::new(deltas, WHAT),
                        current: None,
                        left: count,
                    })
                }
                Repr::Statuses(s) => IterRepr::Statuses(s.iter()),
            },
        }
    }
}

/// Splits the FCI after the fixed fields into chunk bytes and the rest.
fn split_fci(count: u16, fci: &[u8]) -> Result<(&[u8], &[u8]), ParseError> {
    let mut r = Reader::new(fci, WHAT);
    let mut covered = 0usize;
    let mut chunk_bytes = 0usize;
    while covered < usize::from(count) {
        let raw = r.u16()?;
        chunk_bytes += 2;
        covered += match Chunk::decode(raw) {
            Chunk::Run { len, .. } => usize::from(len),
            Chunk::Vector { len, .. } => usize::from(len),
        };
    }
    fci.split_at_checked(chunk_bytes)
        .ok_or(invalid(WHAT, "chunks"))
}

impl PartialEq for PacketStatuses<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for PacketStatuses<'_> {}

impl fmt::Debug for PacketStatuses<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Debug, Clone)]
enum IterRepr<'a> {
    Wire(Decoder<'a>),
    Statuses(core::slice::Iter<'a, PacketStatus>),
}

/// Iterator over [`PacketStatuses`]; allocates nothing.
#[derive(Debug, Clone)]
pub struct StatusIter<'a> {
    inner: IterRepr<'a>,
}

impl Iterator for StatusIter<'_> {
    type Item = PacketStatus;
    fn next(&mut self) -> Option<PacketStatus> {
        match &mut self.inner {
            IterRepr::Wire(d) => d.next_status().ok().flatten(),
            IterRepr::Statuses(s) => s.next().copied(),
        }
    }
}

/// The chunk encoding the writer uses: (raw chunk, symbols it covers).
fn next_chunk(statuses: &[PacketStatus]) -> (u16, usize) {
    let Some(first) = statuses.first() else {
        return (0, 0);
    };
    let symbol = first.symbol();
    let run = statuses
        .iter()
        .take(MAX_RUN_LENGTH)
        .take_while(|s| s.symbol() == symbol)
        .count();
    let one_bit = statuses.iter().take(14).all(|s| s.symbol() <= 1);
    if run >= 14 || (run >= 7 && !one_bit) || run == statuses.len() && run > 7 {
        return ((u16::from(symbol) << 13) | run as u16, run);
    }
    if one_bit {
        let mut raw = 0x8000u16;
        for (i, s) in statuses.iter().take(14).enumerate() {
            raw |= u16::from(s.symbol()) << (13 - i);
        }
        (raw, statuses.len().min(14))
    } else {
        let mut raw = 0xc000u16;
        for (i, s) in statuses.iter().take(7).enumerate() {
            raw |= u16::from(s.symbol()) << (12 - 2 * i);
        }
        (raw, statuses.len().min(7))
    }
}

/// A transport-wide congestion control feedback message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransportCc<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// SSRC of the media source.
    pub media_ssrc: u32,
    /// The first transport-wide sequence number reported.
    pub base_sequence_number: u16,
    /// Reference time, signed 24 bits, in multiples of 64 ms.
    pub reference_time: i32,
    /// Feedback packet count (wrapping).
    pub feedback_packet_count: u8,
    /// The statuses from the base sequence number on.
    pub statuses: PacketStatuses<'a>,
}

impl<'a> TransportCc<'a> {
    /// Parses one packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        let (sender_ssrc, media_ssrc, mut r) =
            read_feedback(header, body, TRANSPORT_FEEDBACK, WHAT)?;
        let [b0, b1, c0, c1, t0, t1, t2, feedback_packet_count] = r.array()?;
        let count = u16::from_be_bytes([c0, c1]);
        let fci = r.rest();
        // Validate every chunk and delta now, so that iteration cannot fail.
        let (chunks, deltas) = split_fci(count, fci)?;
        let mut decoder = Decoder {
            chunks: Reader::new(chunks, WHAT),
            deltas: Reader::new(deltas, WHAT),
            current: None,
            left: count,
        };
        while decoder.next_status()?.is_some() {}
        let after_deltas = decoder.deltas.remaining();
        if after_deltas > 3 {
            return Err(invalid(WHAT, "bytes after the receive deltas"));
        }
        // The (up to 3) bytes after the deltas pad the packet to a word;
        // they are not part of the FCI, and writing pads it again.
        let fci = fci.get(..fci.len() - after_deltas).unwrap_or_default();
        Ok(Self {
            sender_ssrc,
            media_ssrc,
            base_sequence_number: u16::from_be_bytes([b0, b1]),
            reference_time: i32::from_be_bytes([t0, t1, t2, 0]) >> 8,
            feedback_packet_count,
            statuses: PacketStatuses {
                repr: Repr::Wire { count, fci },
            },
        })
    }

    /// The reference time in microseconds.
    pub const fn reference_time_micros(&self) -> i64 {
        self.reference_time as i64 * REFERENCE_TICK_MICROS
    }

    /// Each packet with its sequence number and, if received, its arrival
    /// time in microseconds on the sender of the feedback's clock
    /// (reference time plus the running sum of deltas).
    pub fn arrivals(&self) -> impl Iterator<Item = (u16, Option<i64>)> + 'a {
        let base = self.base_sequence_number;
        let mut time = self.reference_time_micros();
        self.statuses.iter().enumerate().map(move |(i, status)| {
            let seq = base.wrapping_add(i as u16);
            let arrival = status.delta_ticks().map(|d| {
                time += i64::from(d) * DELTA_TICK_MICROS;
                time
            });
            (seq, arrival)
        })
    }

    fn fci_len(&self) -> usize {
        match self.statuses.repr {
            Repr::Wire { fci, .. } => fci.len().next_multiple_of(4),
            Repr::Statuses(s) => {
                let mut rest = s;
                let mut len = 0;
                while !rest.is_empty() {
                    let (_, n) = next_chunk(rest);
                    len += 2;
                    rest = rest.get(n..).unwrap_or_default();
                }
                len += s.iter().map(PacketStatus::delta_len).sum::<usize>();
                len.next_multiple_of(4)
            }
        }
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        FEEDBACK_HEADER_LEN + 8 + self.fci_len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let count = u16::try_from(self.statuses.len())
            .map_err(|_| write_invalid(WHAT, "more than 65535 statuses"))?;
        if !(-0x80_0000..=0x7f_ffff).contains(&self.reference_time) {
            return Err(write_invalid(WHAT, "reference time does not fit 24 bits"));
        }
        let len = self.encoded_len();
        let mut w = start_feedback(
            buf,
            transport_format::TRANSPORT_CC,
            TRANSPORT_FEEDBACK,
            len,
            self.sender_ssrc,
            self.media_ssrc,
        )?;
        let [b0, b1] = self.base_sequence_number.to_be_bytes();
        let [c0, c1] = count.to_be_bytes();
        let [t0, t1, t2, _] = (self.reference_time << 8).to_be_bytes();
        w.array([b0, b1, c0, c1, t0, t1, t2, self.feedback_packet_count])?;
        match self.statuses.repr {
            Repr::Wire { fci, .. } => w.bytes(fci)?,
            Repr::Statuses(s) => {
                let mut rest = s;
                while !rest.is_empty() {
                    let (raw, n) = next_chunk(rest);
                    w.u16(raw)?;
                    rest = rest.get(n..).unwrap_or_default();
                }
                for status in s {
                    match *status {
                        PacketStatus::NotReceived => {}
                        PacketStatus::SmallDelta(d) => w.u8(d)?,
                        PacketStatus::LargeDelta(d) => w.array(d.to_be_bytes())?,
                    }
                }
            }
        }
        w.zeros(len - w.written())?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;
    use alloc::vec::Vec;

    #[test]
    fn padding_after_the_deltas_is_not_kept() {
        // Found by fuzzing: a padded packet (P bit, one byte of padding)
        // whose deltas end 3 bytes before the padding. Written back, it
        // must parse again to the same packet.
        let bytes = hex("afcd000b ff2802d6 00000000 3a000086 00000000 00000000
             0008a601 00008a8e 0081ca04 00ce0200 fffe008e cc000001");
        let cc = TransportCc::parse(&bytes).unwrap();
        let mut out = [0u8; 64];
        let n = cc.write_to(&mut out).unwrap();
        assert_eq!(n, cc.encoded_len());
        assert_eq!(TransportCc::parse(&out[..n]).unwrap(), cc);
    }

    #[test]
    fn run_length_and_vector_chunks() {
        // base 100, count 6, reference time -1 (0xffffff), fb count 3.
        // Chunk 1: run of 2 "small delta" (0 01 0000000000010 = 0x2002).
        // Chunk 2: two-bit vector: 10 00 01 10 ... = 1 1 10 00 01 10 000000 -> 0xe180?
        //   symbols: large, not received, small, large -> bits 11 10 00 01 10 00 00 00 = 0xe180
        //   (7 slots; only 4 are used since count is 6).
        // Deltas: 04, 08 | 0xff00 (-256), 01 | 0x0010, then one zero byte of padding.
        let bytes = hex("8fcd0007 00000001 00000002 00640006 ffffff03 2002e180 0408ff00 01001000");
        let cc = TransportCc::parse(&bytes).unwrap();
        assert_eq!(cc.base_sequence_number, 100);
        assert_eq!(cc.reference_time, -1);
        assert_eq!(cc.reference_time_micros(), -64_000);
        assert_eq!(cc.feedback_packet_count, 3);
        let statuses: Vec<PacketStatus> = cc.statuses.iter().collect();
        assert_eq!(
            statuses,
            [
                PacketStatus::SmallDelta(4),
                PacketStatus::SmallDelta(8),
                PacketStatus::LargeDelta(-256),
                PacketStatus::NotReceived,
                PacketStatus::SmallDelta(1),
                PacketStatus::LargeDelta(16),
            ]
        );
        let arrivals: Vec<_> = cc.arrivals().collect();
        assert_eq!(arrivals[0], (100, Some(-64_000 + 1000)));
        assert_eq!(arrivals[2], (102, Some(-64_000 + 3000 - 64_000)));
        assert_eq!(arrivals[3], (103, None));
        let mut out = [0u8; 64];
        let n = cc.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);

        // Rebuilt from the statuses, the writer may choose other chunks,
        // but it decodes to the same message.
        let built = TransportCc {
            statuses: PacketStatuses::new(&statuses),
            ..cc
        };
        assert_eq!(built, cc);
        let n = built.write_to(&mut out).unwrap();
        assert_eq!(TransportCc::parse(&out[..n]).unwrap(), cc);
    }

    #[test]
    fn one_bit_vectors_and_long_runs() {
        let mut statuses = Vec::new();
        statuses.extend([PacketStatus::NotReceived; 20]);
        statuses.extend((0..14).map(|i| {
            if i % 3 == 1 {
                PacketStatus::NotReceived
            } else {
                PacketStatus::SmallDelta(i)
            }
        }));
        statuses.extend([PacketStatus::LargeDelta(-5); 9]);
        let cc = TransportCc {
            sender_ssrc: 1,
            media_ssrc: 2,
            base_sequence_number: 65530,
            reference_time: 0x12_3456,
            feedback_packet_count: 0,
            statuses: PacketStatuses::new(&statuses),
        };
        let mut out = [0u8; 128];
        let n = cc.write_to(&mut out).unwrap();
        assert_eq!(n, cc.encoded_len());
        // Chunks: run of 20 not-received, one-bit vector, run of 9 large.
        assert_eq!(&out[20..26], &hex("0014 adb6 4009")[..]);
        let parsed = TransportCc::parse(&out[..n]).unwrap();
        assert_eq!(parsed, cc);
        assert_eq!(
            parsed.arrivals().last().unwrap().0,
            65530u16.wrapping_add(42)
        );
    }

    #[test]
    fn rejects_bad_feedback() {
        // Count 3 but the chunk covers 2.
        assert!(
            TransportCc::parse(&hex(
                "8fcd0005 00000001 00000002 00000003 00000000 20020102"
            ))
            .is_err()
        );
        // Missing delta.
        assert!(
            TransportCc::parse(&hex(
                "8fcd0005 00000001 00000002 00000002 00000000 20020100"
            ))
            .is_ok()
        );
        assert!(
            TransportCc::parse(&hex(
                "8fcd0005 00000001 00000002 00000002 00000000 40020100"
            ))
            .is_err()
        );
        // Reserved symbol.
        assert!(
            TransportCc::parse(&hex(
                "8fcd0005 00000001 00000002 00000001 00000000 60010000"
            ))
            .is_err()
        );
        // Too many bytes after the deltas.
        assert!(
            TransportCc::parse(&hex(
                "8fcd0006 00000001 00000002 00000001 00000000 20010100 00000000"
            ))
            .is_err()
        );
    }
}
