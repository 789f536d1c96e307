//! RTP congestion control feedback (RFC 8888): per-packet arrival, ECN and
//! arrival-time offset, for several RTP streams.
//!
//! <https://www.rfc-editor.org/rfc/rfc8888#section-3.1>

use core::fmt;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::list::{Item, List, chunk, put};
use crate::rtcp::header::{
    HEADER_LEN, Header, TRANSPORT_FEEDBACK, expect_type, single_packet, start_packet,
    transport_format,
};

const WHAT: &str = "congestion control feedback";

/// Most reports one stream block may hold (RFC 8888 §3.1).
pub const MAX_REPORTS_PER_STREAM: usize = 16384;

/// The metric block for one RTP packet.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct CcfbMetric {
    /// R: the packet was received.
    pub received: bool,
    /// The 2-bit ECN mark it arrived with.
    pub ecn: u8,
    /// Arrival time offset before the report timestamp, in 1/1024 s
    /// (13 bits; 0x1FFF means "too late or unknown").
    pub arrival_time_offset: u16,
}

impl Item for CcfbMetric {
    const SIZE: usize = 2;
    fn decode(bytes: &[u8]) -> Self {
        let v = u16::from_be_bytes(chunk(bytes));
        Self {
            received: v & 0x8000 != 0,
            ecn: ((v >> 13) & 3) as u8,
            arrival_time_offset: v & 0x1fff,
        }
    }
    fn encode(&self, out: &mut [u8]) {
        let v = (u16::from(self.received) << 15)
            | (u16::from(self.ecn & 3) << 13)
            | (self.arrival_time_offset & 0x1fff);
        put(out, v.to_be_bytes());
    }
}

/// The reports about one RTP stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CcfbStream<'a> {
    /// The stream's SSRC.
    pub ssrc: u32,
    /// Sequence number of the first report.
    pub begin_sequence: u16,
    /// One report per sequence number from `begin_sequence` on (at most
    /// [`MAX_REPORTS_PER_STREAM`]).
    pub metrics: List<'a, CcfbMetric>,
}

impl CcfbStream<'_> {
    fn encoded_len(&self) -> usize {
        8 + (2 * self.metrics.len()).next_multiple_of(4)
    }
}

#[inline]
fn read_stream<'a>(r: &mut Reader<'a>) -> Result<CcfbStream<'a>, ParseError> {
    let [s0, s1, s2, s3, b0, b1, n0, n1] = r.array()?;
    let count = usize::from(u16::from_be_bytes([n0, n1]));
    if count > MAX_REPORTS_PER_STREAM {
        return Err(ParseError::TooMany {
            what: "RFC 8888 reports in one stream",
            limit: MAX_REPORTS_PER_STREAM,
        });
    }
    let metrics = r.take(2 * count)?;
    if count % 2 == 1 {
        r.take(2)?;
    }
    Ok(CcfbStream {
        ssrc: u32::from_be_bytes([s0, s1, s2, s3]),
        begin_sequence: u16::from_be_bytes([b0, b1]),
        metrics: List::from_wire(metrics),
    })
}

#[derive(Clone, Copy)]
enum Repr<'a> {
    Wire(&'a [u8]),
    Streams(&'a [CcfbStream<'a>]),
}

/// The stream blocks of a message: on the wire after parsing, or a
/// caller's slice.
#[derive(Clone, Copy)]
pub struct CcfbStreams<'a> {
    repr: Repr<'a>,
}

impl<'a> CcfbStreams<'a> {
    /// Stream blocks from a slice.
    pub const fn new(streams: &'a [CcfbStream<'a>]) -> Self {
        Self {
            repr: Repr::Streams(streams),
        }
    }

    /// Iterates over the stream blocks.
    #[inline]
    pub fn iter(&self) -> CcfbStreamIter<'a> {
        CcfbStreamIter {
            inner: match self.repr {
                Repr::Wire(bytes) => IterRepr::Wire(Reader::new(bytes, WHAT)),
                Repr::Streams(s) => IterRepr::Streams(s.iter()),
            },
        }
    }

    fn encoded_len(&self) -> usize {
        match self.repr {
            Repr::Wire(bytes) => bytes.len(),
            Repr::Streams(s) => s.iter().map(CcfbStream::encoded_len).sum(),
        }
    }
}

impl PartialEq for CcfbStreams<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for CcfbStreams<'_> {}

impl fmt::Debug for CcfbStreams<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[derive(Debug, Clone)]
enum IterRepr<'a> {
    Wire(Reader<'a>),
    Streams(core::slice::Iter<'a, CcfbStream<'a>>),
}

/// Iterator over [`CcfbStreams`]; allocates nothing.
#[derive(Debug, Clone)]
pub struct CcfbStreamIter<'a> {
    inner: IterRepr<'a>,
}

impl<'a> Iterator for CcfbStreamIter<'a> {
    type Item = CcfbStream<'a>;
    fn next(&mut self) -> Option<CcfbStream<'a>> {
        match &mut self.inner {
            IterRepr::Wire(r) => {
                if r.is_empty() {
                    None
                } else {
                    read_stream(r).ok()
                }
            }
            IterRepr::Streams(s) => s.next().copied(),
        }
    }
}

/// An RFC 8888 congestion control feedback message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CongestionControlFeedback<'a> {
    /// SSRC of the packet sender.
    pub sender_ssrc: u32,
    /// The stream blocks.
    pub streams: CcfbStreams<'a>,
    /// Report timestamp: the middle 32 bits of the NTP time the report was
    /// made.
    pub report_timestamp: u32,
}

impl<'a> CongestionControlFeedback<'a> {
    /// Parses one packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, TRANSPORT_FEEDBACK, WHAT)?;
        let mut r = Reader::new(body, WHAT);
        let sender_ssrc = u32::from_be_bytes(r.array()?);
        let blocks_len = r
            .remaining()
            .checked_sub(4)
            .ok_or(invalid(WHAT, "no report timestamp"))?;
        let blocks = r.take(blocks_len)?;
        let report_timestamp = u32::from_be_bytes(r.array()?);
        let mut br = Reader::new(blocks, WHAT);
        while !br.is_empty() {
            read_stream(&mut br)?;
        }
        Ok(Self {
            sender_ssrc,
            streams: CcfbStreams {
                repr: Repr::Wire(blocks),
            },
            report_timestamp,
        })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN + 8 + self.streams.encoded_len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let mut w = start_packet(buf, transport_format::CCFB.into(), TRANSPORT_FEEDBACK, len)?;
        w.u32(self.sender_ssrc)?;
        match self.streams.repr {
            Repr::Wire(bytes) => w.bytes(bytes)?,
            Repr::Streams(streams) => {
                for stream in streams {
                    let count = stream.metrics.len();
                    if count > MAX_REPORTS_PER_STREAM {
                        return Err(write_invalid(WHAT, "more than 16384 reports in a stream"));
                    }
                    w.u32(stream.ssrc)?;
                    w.u16(stream.begin_sequence)?;
                    w.u16(count as u16)?;
                    stream.metrics.write(&mut w)?;
                    if count % 2 == 1 {
                        w.zeros(2)?;
                    }
                }
            }
        }
        w.u32(self.report_timestamp)?;
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;
    use alloc::vec::Vec;

    #[test]
    fn two_streams_round_trip() {
        // Stream 1: begin 10, three reports (received ECT(0) offset 5;
        // lost; received CE offset 0x1fff) and two bytes of padding.
        // Stream 2: begin 0xffff, two reports.
        let bytes = hex("8bcd0009 00000001
             0000000a 000a0003 c0050000 ffff0000
             0000000b ffff0002 80018002
             12345678");
        let fb = CongestionControlFeedback::parse(&bytes).unwrap();
        assert_eq!(fb.sender_ssrc, 1);
        assert_eq!(fb.report_timestamp, 0x1234_5678);
        let streams: Vec<CcfbStream<'_>> = fb.streams.iter().collect();
        assert_eq!(streams.len(), 2);
        assert_eq!(streams[0].ssrc, 10);
        assert_eq!(streams[0].begin_sequence, 10);
        assert_eq!(
            streams[0].metrics,
            List::new(&[
                CcfbMetric {
                    received: true,
                    ecn: 2,
                    arrival_time_offset: 5
                },
                CcfbMetric::default(),
                CcfbMetric {
                    received: true,
                    ecn: 3,
                    arrival_time_offset: 0x1fff
                },
            ])
        );
        assert_eq!(streams[1].begin_sequence, 0xffff);
        assert_eq!(streams[1].metrics.len(), 2);
        let mut out = [0u8; 64];
        let n = fb.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
        let built = CongestionControlFeedback {
            streams: CcfbStreams::new(&streams),
            ..fb
        };
        assert_eq!(built, fb);
        let n = built.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
    }

    #[test]
    fn rejects_bad_blocks() {
        assert!(CongestionControlFeedback::parse(&hex("8bcd0001 00000001")).is_err());
        // Three reports announced, room for one.
        assert!(
            CongestionControlFeedback::parse(&hex("8bcd0004 00000001 0000000a 000a0003 12345678"))
                .is_err()
        );
        // Over the cap.
        assert_eq!(
            CongestionControlFeedback::parse(&hex("8bcd0004 00000001 0000000a 000a4001 12345678")),
            Err(ParseError::TooMany {
                what: "RFC 8888 reports in one stream",
                limit: MAX_REPORTS_PER_STREAM
            })
        );
        // No reports in a stream is allowed.
        assert!(
            CongestionControlFeedback::parse(&hex("8bcd0004 00000001 0000000a 000a0000 12345678"))
                .is_ok()
        );
    }
}
