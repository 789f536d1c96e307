//! Redundant audio data (RED): each payload carries the current audio
//! frame (the primary encoding) and copies of earlier ones, so that a lost
//! packet can be rebuilt from the next.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |1|   block PT  |  timestamp offset         |   block length    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |0|   block PT  |  (the primary's header: one byte)
//! +-+-+-+-+-+-+-+-+
//! ```
//!
//! The headers come first, then the blocks' data in the same order; the
//! primary block is last and its length is what is left.
//!
//! <https://www.rfc-editor.org/rfc/rfc2198#section-3>

use alloc::vec::Vec;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::payload::{Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, Sink};

const WHAT: &str = "RED payload";
/// Most earlier frames a [`RedPacketizer`] repeats in each payload.
pub const MAX_DISTANCE: usize = 8;
/// Largest timestamp offset a redundant block can have (14 bits).
pub const MAX_TIMESTAMP_OFFSET: u32 = 0x3fff;
/// Largest redundant block (10 bits of length).
pub const MAX_BLOCK_LEN: usize = 0x3ff;

/// One block of a RED payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RedBlock<'a> {
    /// The payload type of the block's encoding.
    pub payload_type: u8,
    /// How far before the packet's timestamp the block was sampled (0 for
    /// the primary block).
    pub timestamp_offset: u16,
    /// The encoded frame.
    pub data: &'a [u8],
}

impl RedBlock<'_> {
    /// The RTP timestamp of the block in a packet stamped `timestamp`.
    pub const fn timestamp(&self, timestamp: u32) -> u32 {
        timestamp.wrapping_sub(self.timestamp_offset as u32)
    }
}

/// A checked view over a RED payload.
///
/// ```
/// use sansrtc_rtp::payload::red::RedPayload;
/// // A redundant block (PT 111, 960 earlier, 2 bytes), then the primary (PT 111).
/// let payload = [0xef, 0x0f, 0x00, 0x02, 0x6f, 0xaa, 0xbb, 0xcc];
/// let red = RedPayload::parse(&payload).unwrap();
/// let blocks: Vec<_> = red.blocks().collect();
/// assert_eq!(blocks.len(), 2);
/// assert_eq!((blocks[0].payload_type, blocks[0].timestamp_offset), (111, 960));
/// assert_eq!(blocks[0].data, [0xaa, 0xbb]);
/// assert_eq!(red.primary().data, [0xcc]);
/// ```
///
/// <https://www.rfc-editor.org/rfc/rfc2198#section-3>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RedPayload<'a> {
    /// The redundant blocks' 4-byte headers.
    headers: &'a [u8],
    primary_payload_type: u8,
    /// Every block's data, the primary last.
    data: &'a [u8],
}

impl<'a> RedPayload<'a> {
    /// Checks the headers and that the blocks fit in the payload.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(payload, WHAT);
        let mut redundant = 0usize;
        let mut lengths = 0usize;
        let primary_payload_type = loop {
            let first = r.u8()?;
            if first & 0x80 == 0 {
                break first;
            }
            let [_, b2, b3] = r.array::<3>()?;
            lengths += usize::from(u16::from_be_bytes([b2, b3]) & 0x3ff);
            redundant += 1;
        };
        let data = r.rest();
        if lengths > data.len() {
            return Err(invalid(WHAT, "blocks longer than the payload"));
        }
        Ok(Self {
            headers: payload.get(..redundant * 4).unwrap_or_default(),
            primary_payload_type,
            data,
        })
    }

    /// Number of redundant blocks.
    pub const fn redundant_len(&self) -> usize {
        self.headers.len() / 4
    }

    /// Every block, oldest first, the primary last.
    pub fn blocks(&self) -> RedBlocks<'a> {
        RedBlocks {
            headers: self.headers,
            primary_payload_type: Some(self.primary_payload_type),
            data: self.data,
        }
    }

    /// The primary block.
    pub fn primary(&self) -> RedBlock<'a> {
        let redundant: usize = self
            .headers
            .chunks_exact(4)
            .map(|header| match header {
                &[_, _, b2, b3] => usize::from(u16::from_be_bytes([b2, b3]) & 0x3ff),
                _ => 0,
            })
            .sum();
        RedBlock {
            payload_type: self.primary_payload_type,
            timestamp_offset: 0,
            data: self.data.get(redundant..).unwrap_or_default(),
        }
    }
}

/// Iterator over the blocks of a [`RedPayload`].
#[derive(Debug, Clone)]
pub struct RedBlocks<'a> {
    headers: &'a [u8],
    primary_payload_type: Option<u8>,
    data: &'a [u8],
}

impl<'a> Iterator for RedBlocks<'a> {
    type Item = RedBlock<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        if let Some((&[b0, b1, b2, b3], rest)) = self.headers.split_first_chunk::<4>() {
            self.headers = rest;
            let len = usize::from(u16::from_be_bytes([b2, b3]) & 0x3ff);
            let (data, tail) = self.data.split_at_checked(len)?;
            self.data = tail;
            return Some(RedBlock {
                payload_type: b0 & 0x7f,
                timestamp_offset: (u16::from_be_bytes([b1, b2])) >> 2,
                data,
            });
        }
        let payload_type = self.primary_payload_type.take()?;
        Some(RedBlock {
            payload_type,
            timestamp_offset: 0,
            data: core::mem::take(&mut self.data),
        })
    }
}

#[derive(Debug, Clone, Default)]
struct Previous {
    timestamp: u32,
    data: Vec<u8>,
}

/// Packetizes audio frames with copies of up to `distance` earlier ones.
///
/// The frames kept for redundancy live in buffers allocated once and then
/// reused. A redundant block is left out when it is older than the 14-bit
/// offset can say, longer than 1023 bytes, or when it would not fit in
/// `max_payload_len` (the oldest go first). The marker bit is set on the
/// first payload.
#[derive(Debug, Clone)]
pub struct RedPacketizer {
    primary_payload_type: u8,
    distance: usize,
    /// The last `distance` frames, oldest first.
    previous: Vec<Previous>,
    spare: Option<Vec<u8>>,
    started: bool,
}

impl RedPacketizer {
    /// A packetizer for audio of payload type `primary_payload_type` (the
    /// top bit is ignored) that repeats the `distance` previous frames
    /// (at most [`MAX_DISTANCE`]; 1 or 2 is usual).
    pub fn new(primary_payload_type: u8, distance: usize) -> Self {
        Self {
            primary_payload_type: primary_payload_type & 0x7f,
            distance: distance.min(MAX_DISTANCE),
            previous: Vec::new(),
            spare: None,
            started: false,
        }
    }

    fn remember(&mut self, frame: &[u8], timestamp: u32) {
        if self.distance == 0 {
            return;
        }
        let mut data = if self.previous.len() >= self.distance {
            self.previous.remove(0).data
        } else {
            self.spare.take().unwrap_or_default()
        };
        data.clear();
        data.extend_from_slice(frame);
        self.previous.push(Previous { timestamp, data });
    }
}

impl Packetizer for RedPacketizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        if frame.is_empty() {
            return Err(write_invalid(WHAT, "empty frame"));
        }
        if 1 + frame.len() > max_payload_len {
            return Err(WriteError::BufferTooSmall {
                needed: 1 + frame.len(),
                have: max_payload_len,
            });
        }
        // Which earlier frames go in: the newest that fit, kept in order.
        let usable = |p: &Previous| {
            let offset = timestamp.wrapping_sub(p.timestamp);
            offset > 0
                && offset <= MAX_TIMESTAMP_OFFSET
                && !p.data.is_empty()
                && p.data.len() <= MAX_BLOCK_LEN
        };
        let mut room = max_payload_len - 1 - frame.len();
        let mut first_included = self.previous.len();
        for (index, p) in self.previous.iter().enumerate().rev() {
            if !usable(p) {
                continue;
            }
            if 4 + p.data.len() > room {
                break;
            }
            room -= 4 + p.data.len();
            first_included = index;
        }
        let included = self.previous.get(first_included..).unwrap_or_default();
        for p in included.iter().filter(|p| usable(p)) {
            let offset = timestamp.wrapping_sub(p.timestamp);
            let header = (offset << 10) | p.data.len() as u32;
            out.put(0x80 | self.primary_payload_type);
            out.extend(&header.to_be_bytes()[1..]);
        }
        out.put(self.primary_payload_type);
        for p in included.iter().filter(|p| usable(p)) {
            out.extend(&p.data);
        }
        out.extend(frame);
        out.close(!self.started);
        self.started = true;
        self.remember(frame, timestamp);
        Ok(())
    }
}

/// Reads RED payloads: the frame is the primary block (the redundant
/// blocks, for rebuilding lost frames, are in [`RedPayload::blocks`]).
#[derive(Debug, Clone, Default)]
pub struct RedDepacketizer {
    _private: (),
}

impl RedDepacketizer {
    /// A depacketizer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl Depacketizer for RedDepacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        RedPayload::parse(payload)?;
        Ok(PayloadInfo::WHOLE)
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        if !frame.is_empty() {
            return Err(invalid(WHAT, "a RED frame is one payload"));
        }
        frame.extend_from_slice(RedPayload::parse(payload)?.primary().data);
        Ok(())
    }

    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        if frame.is_empty() {
            return Err(invalid(WHAT, "no primary data"));
        }
        Ok(FrameInfo::new(true))
    }

    fn reset(&mut self) {}

    fn frames_are_independent(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn rfc_2198_example_layout() {
        // The example of RFC 2198 §3: a primary of PT 0 and a redundant
        // block of PT 5, 320 timestamp units earlier, 4 bytes long (the
        // RFC's figure leaves the lengths open).
        let payload = hex("85 0500 04  00  11223344  aabbccddeeff");
        let red = RedPayload::parse(&payload).unwrap();
        assert_eq!(red.redundant_len(), 1);
        let blocks: Vec<_> = red.blocks().collect();
        assert_eq!(
            blocks,
            [
                RedBlock {
                    payload_type: 5,
                    timestamp_offset: 320,
                    data: &hex("11223344")
                },
                RedBlock {
                    payload_type: 0,
                    timestamp_offset: 0,
                    data: &hex("aabbccddeeff")
                },
            ]
        );
        assert_eq!(blocks[0].timestamp(1000), 680);
        assert_eq!(red.primary(), blocks[1]);
        // Headers only, blocks longer than the payload, nothing at all.
        assert!(RedPayload::parse(&hex("85 0500")).is_err());
        assert!(RedPayload::parse(&hex("85 0500 04 00 1122")).is_err());
        assert!(RedPayload::parse(&[]).is_err());
        // A primary alone.
        let alone = hex("6f aa");
        let red = RedPayload::parse(&alone).unwrap();
        assert_eq!(red.blocks().count(), 1);
    }

    #[test]
    fn packetizer_repeats_earlier_frames() {
        let mut p = RedPacketizer::new(111, 2);
        let mut out = Payloads::new();
        p.packetize(&hex("a1a1"), 0, 1200, &mut out).unwrap();
        assert_eq!(out.get(0).unwrap().data, hex("6f a1a1"));
        assert!(out.get(0).unwrap().marker);
        p.packetize(&hex("b2"), 960, 1200, &mut out).unwrap();
        assert_eq!(out.get(0).unwrap().data, hex("ef 0f0002 6f a1a1 b2"));
        assert!(!out.get(0).unwrap().marker);
        p.packetize(&hex("c3c3c3"), 1920, 1200, &mut out).unwrap();
        assert_eq!(
            out.get(0).unwrap().data,
            hex("ef 1e0002 ef 0f0001 6f a1a1 b2 c3c3c3")
        );
        // Only two earlier frames are kept.
        p.packetize(&hex("d4"), 2880, 1200, &mut out).unwrap();
        let red = RedPayload::parse(out.get(0).unwrap().data).unwrap();
        let blocks: Vec<_> = red.blocks().map(|b| (b.timestamp(2880), b.data)).collect();
        assert_eq!(
            blocks,
            [
                (960, &hex("b2")[..]),
                (1920, &hex("c3c3c3")[..]),
                (2880, &hex("d4")[..])
            ]
        );
        // Little room: the oldest block is left out first.
        p.packetize(&hex("e5"), 3840, 1 + 1 + 4 + 1, &mut out)
            .unwrap();
        assert_eq!(out.get(0).unwrap().data, hex("ef 0f0001 6f d4 e5"));
        // A jump too far for the 14-bit offset: no redundancy.
        p.packetize(&hex("f6"), 3840 + 20_000, 1200, &mut out)
            .unwrap();
        assert_eq!(out.get(0).unwrap().data, hex("6f f6"));
        assert!(p.packetize(&hex("f6"), 0, 1, &mut out).is_err());
        assert!(p.packetize(&[], 0, 100, &mut out).is_err());
    }

    #[test]
    fn depacketizer_gives_the_primary() {
        let mut d = RedDepacketizer::new();
        let payload = hex("ef 0f0002 6f a1a1 b2");
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame([&payload[..]], &mut frame)
                .unwrap()
                .keyframe
        );
        assert_eq!(frame, hex("b2"));
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame([&hex("ef 0f0002 6f a1a1")[..]], &mut frame)
                .is_err()
        );
    }
}
