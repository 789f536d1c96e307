//! VP8 over RTP: a payload descriptor in front of each piece of the frame.
//!
//! ```text
//!       0 1 2 3 4 5 6 7
//!      +-+-+-+-+-+-+-+-+
//!      |X|R|N|S|R| PID | (required)
//!      +-+-+-+-+-+-+-+-+
//! X:   |I|L|T|K| RSV   | (optional)
//!      +-+-+-+-+-+-+-+-+
//! I:   |M| PictureID   | (optional, a second byte when M is set)
//!      +-+-+-+-+-+-+-+-+
//! L:   |   TL0PICIDX   | (optional)
//!      +-+-+-+-+-+-+-+-+
//! T/K: |TID|Y| KEYIDX  | (optional)
//!      +-+-+-+-+-+-+-+-+
//! ```
//!
//! A frame starts at the payload with S set and partition index 0; the
//! marker bit is set on its last packet. The first three bytes of the frame
//! carry the inverse key frame flag (P).
//!
//! <https://www.rfc-editor.org/rfc/rfc7741#section-4.2>

use alloc::vec::Vec;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::payload::{
    Boundary, Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, PictureId, Sink,
    balanced_split, check_max_payload_len,
};

const WHAT: &str = "VP8 payload descriptor";

/// The VP8 payload descriptor.
///
/// <https://www.rfc-editor.org/rfc/rfc7741#section-4.2>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Vp8Descriptor {
    /// X: the extension byte is present. It is written whenever one of
    /// the optional fields is set; this keeps an empty one as received.
    pub extended: bool,
    /// N: the frame is not used as a reference; it can be discarded.
    pub non_reference: bool,
    /// S: the payload begins a VP8 partition.
    pub start_of_partition: bool,
    /// PID: the partition the payload's first byte belongs to (0 to 7).
    pub partition_index: u8,
    /// I: the picture id.
    pub picture_id: Option<PictureId>,
    /// L: the temporal level zero index (TL0PICIDX).
    pub tl0_pic_idx: Option<u8>,
    /// T: the temporal layer index (0 to 3) and Y, the layer sync bit.
    pub temporal_id: Option<(u8, bool)>,
    /// K: the temporal key frame index (0 to 31).
    pub key_index: Option<u8>,
}

impl Vp8Descriptor {
    /// Reads a descriptor off the front of `payload`, returning it and the
    /// VP8 data after it.
    pub fn parse(payload: &[u8]) -> Result<(Self, &[u8]), ParseError> {
        let mut r = Reader::new(payload, WHAT);
        let first = r.u8()?;
        let mut descriptor = Self {
            non_reference: first & 0x20 != 0,
            start_of_partition: first & 0x10 != 0,
            partition_index: first & 0x07,
            ..Self::default()
        };
        if first & 0x80 != 0 {
            descriptor.extended = true;
            let extension = r.u8()?;
            if extension & 0x80 != 0 {
                descriptor.picture_id = Some(PictureId::read(&mut r)?);
            }
            if extension & 0x40 != 0 {
                descriptor.tl0_pic_idx = Some(r.u8()?);
            }
            if extension & 0x30 != 0 {
                let byte = r.u8()?;
                if extension & 0x20 != 0 {
                    descriptor.temporal_id = Some((byte >> 6, byte & 0x20 != 0));
                }
                if extension & 0x10 != 0 {
                    descriptor.key_index = Some(byte & 0x1f);
                }
            }
        }
        Ok((descriptor, r.rest()))
    }

    fn has_extension(&self) -> bool {
        self.extended
            || self.picture_id.is_some()
            || self.tl0_pic_idx.is_some()
            || self.temporal_id.is_some()
            || self.key_index.is_some()
    }

    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        if !self.has_extension() {
            return 1;
        }
        2 + self.picture_id.map_or(0, PictureId::encoded_len)
            + usize::from(self.tl0_pic_idx.is_some())
            + usize::from(self.temporal_id.is_some() || self.key_index.is_some())
    }

    fn check(&self) -> Result<(), WriteError> {
        if self.partition_index > 7 {
            return Err(write_invalid(WHAT, "partition index above 7"));
        }
        if self.temporal_id.is_some_and(|(tid, _)| tid > 3) {
            return Err(write_invalid(WHAT, "temporal layer index above 3"));
        }
        if self.key_index.is_some_and(|k| k > 31) {
            return Err(write_invalid(WHAT, "key index above 31"));
        }
        Ok(())
    }

    /// The descriptor's bytes (at most 6) and their count.
    fn encode(&self) -> ([u8; 6], usize) {
        let mut bytes = [0u8; 6];
        let mut len = 0;
        let mut put = |b: u8| {
            if let Some(slot) = bytes.get_mut(len) {
                *slot = b;
                len += 1;
            }
        };
        let extension = self.has_extension();
        put(u8::from(extension) << 7
            | u8::from(self.non_reference) << 5
            | u8::from(self.start_of_partition) << 4
            | (self.partition_index & 0x07));
        if extension {
            put(u8::from(self.picture_id.is_some()) << 7
                | u8::from(self.tl0_pic_idx.is_some()) << 6
                | u8::from(self.temporal_id.is_some()) << 5
                | u8::from(self.key_index.is_some()) << 4);
            match self.picture_id {
                Some(PictureId::Short(v)) => put(v & 0x7f),
                Some(PictureId::Long(v)) => {
                    let [high, low] = (0x8000 | (v & 0x7fff)).to_be_bytes();
                    put(high);
                    put(low);
                }
                None => {}
            }
            if let Some(tl0) = self.tl0_pic_idx {
                put(tl0);
            }
            if self.temporal_id.is_some() || self.key_index.is_some() {
                let (tid, sync) = self.temporal_id.unwrap_or((0, false));
                put((tid & 0x03) << 6 | u8::from(sync) << 5 | (self.key_index.unwrap_or(0) & 0x1f));
            }
        }
        (bytes, len)
    }

    /// Writes the descriptor into `buf`, returning its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.check()?;
        let (bytes, len) = self.encode();
        let have = buf.len();
        let slot = buf
            .get_mut(..len)
            .ok_or(WriteError::BufferTooSmall { needed: len, have })?;
        slot.copy_from_slice(bytes.get(..len).unwrap_or_default());
        Ok(len)
    }
}

/// Reads a VP8 frame header's key frame flag: `Some(true)` for a key
/// frame (P bit 0 and the start code), `Some(false)` for an interframe,
/// `None` when `frame` is too short to say.
///
/// <https://www.rfc-editor.org/rfc/rfc6386#section-9.1>
pub fn is_keyframe(frame: &[u8]) -> Option<bool> {
    let &first = frame.first()?;
    if first & 0x01 != 0 {
        return Some(false);
    }
    Some(frame.get(3..6)? == [0x9d, 0x01, 0x2a])
}

/// What varies from frame to frame in the descriptor, for temporal
/// scalability; see [`Vp8Packetizer::packetize_layer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Vp8Layer {
    /// N: the frame is not used as a reference.
    pub non_reference: bool,
    /// TL0PICIDX.
    pub tl0_pic_idx: Option<u8>,
    /// The temporal layer index and layer sync bit.
    pub temporal_id: Option<(u8, bool)>,
    /// KEYIDX.
    pub key_index: Option<u8>,
}

/// Cuts VP8 frames into payloads of even size, each with a descriptor
/// carrying the picture id (15 bits, one more per frame).
#[derive(Debug, Clone)]
pub struct Vp8Packetizer {
    picture_id: Option<PictureId>,
}

impl Default for Vp8Packetizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Vp8Packetizer {
    /// A packetizer whose first frame has the 15-bit picture id 0.
    pub const fn new() -> Self {
        Self {
            picture_id: Some(PictureId::Long(0)),
        }
    }

    /// Starts at `picture_id` (or sends none); WebRTC senders start at a
    /// random 15-bit value.
    pub const fn with_picture_id(picture_id: Option<PictureId>) -> Self {
        Self { picture_id }
    }

    /// The picture id the next frame gets.
    pub const fn next_picture_id(&self) -> Option<PictureId> {
        self.picture_id
    }

    /// Packetizes a frame with the layer fields of `layer` in every
    /// descriptor.
    pub fn packetize_layer(
        &mut self,
        frame: &[u8],
        layer: &Vp8Layer,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        if frame.is_empty() {
            return Err(write_invalid(WHAT, "empty frame"));
        }
        let mut descriptor = Vp8Descriptor {
            extended: false,
            non_reference: layer.non_reference,
            start_of_partition: true,
            partition_index: 0,
            picture_id: self.picture_id,
            tl0_pic_idx: layer.tl0_pic_idx,
            temporal_id: layer.temporal_id,
            key_index: layer.key_index,
        };
        descriptor.check()?;
        let header = descriptor.encoded_len();
        check_max_payload_len(WHAT, max_payload_len, header + 1)?;
        let mut rest = frame;
        for size in balanced_split(frame.len(), max_payload_len - header) {
            let (chunk, tail) = rest.split_at_checked(size).unwrap_or((rest, &[]));
            rest = tail;
            let (bytes, len) = descriptor.encode();
            out.extend(bytes.get(..len).unwrap_or_default());
            out.extend(chunk);
            out.close(rest.is_empty());
            descriptor.start_of_partition = false;
        }
        self.picture_id = self.picture_id.map(PictureId::next);
        Ok(())
    }
}

impl Packetizer for Vp8Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        _timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        self.packetize_layer(frame, &Vp8Layer::default(), max_payload_len, out)
    }
}

/// Reads VP8 payloads back into frames.
#[derive(Debug, Clone, Default)]
pub struct Vp8Depacketizer {
    started: bool,
}

impl Vp8Depacketizer {
    /// A depacketizer between frames.
    pub const fn new() -> Self {
        Self { started: false }
    }
}

impl Depacketizer for Vp8Depacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        let (descriptor, data) = Vp8Descriptor::parse(payload)?;
        if data.is_empty() {
            return Err(invalid(WHAT, "no VP8 data"));
        }
        let start = descriptor.start_of_partition && descriptor.partition_index == 0;
        Ok(PayloadInfo::new(
            if start { Boundary::Yes } else { Boundary::No },
            Boundary::Maybe,
            start && data.first().is_some_and(|b| b & 0x01 == 0),
        ))
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        let (descriptor, data) = Vp8Descriptor::parse(payload)?;
        if data.is_empty() {
            return Err(invalid(WHAT, "no VP8 data"));
        }
        if !self.started {
            if !(descriptor.start_of_partition && descriptor.partition_index == 0) {
                return Err(invalid(WHAT, "frame does not begin with partition 0"));
            }
            self.started = true;
        }
        frame.extend_from_slice(data);
        Ok(())
    }

    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        let started = core::mem::replace(&mut self.started, false);
        if !started {
            return Err(invalid(WHAT, "no payloads"));
        }
        // The frame header only tells key frames apart: a frame too short
        // for one is the decoder's to refuse.
        Ok(FrameInfo::new(is_keyframe(frame).unwrap_or(false)))
    }

    fn reset(&mut self) {
        self.started = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn descriptors_parse_and_write_back() {
        let cases: [(&str, Vp8Descriptor); 4] = [
            // The bare minimum: S, partition 0.
            (
                "10",
                Vp8Descriptor {
                    start_of_partition: true,
                    ..Vp8Descriptor::default()
                },
            ),
            // X, I with a 7-bit picture id 0x12.
            (
                "90 80 12",
                Vp8Descriptor {
                    extended: true,
                    start_of_partition: true,
                    picture_id: Some(PictureId::Short(0x12)),
                    ..Vp8Descriptor::default()
                },
            ),
            // Everything: N, partition 3, 15-bit picture id 0x1234,
            // TL0PICIDX 5, TID 2 with Y, KEYIDX 17.
            (
                "a3 f0 9234 05 b1",
                Vp8Descriptor {
                    extended: true,
                    non_reference: true,
                    start_of_partition: false,
                    partition_index: 3,
                    picture_id: Some(PictureId::Long(0x1234)),
                    tl0_pic_idx: Some(5),
                    temporal_id: Some((2, true)),
                    key_index: Some(17),
                },
            ),
            // K without T.
            (
                "80 10 1f",
                Vp8Descriptor {
                    extended: true,
                    key_index: Some(31),
                    ..Vp8Descriptor::default()
                },
            ),
        ];
        for (bytes, expected) in cases {
            let mut payload = hex(bytes);
            let len = payload.len();
            payload.push(0xaa);
            let (descriptor, data) = Vp8Descriptor::parse(&payload).unwrap();
            assert_eq!(descriptor, expected, "{bytes}");
            assert_eq!(data, [0xaa]);
            assert_eq!(descriptor.encoded_len(), len);
            let mut out = [0u8; 8];
            assert_eq!(descriptor.write_to(&mut out).unwrap(), len);
            assert_eq!(&out[..len], &payload[..len], "{bytes}");
        }
        // Found by the rtp_payload fuzz target: X set, an extension byte
        // with nothing in it (and reserved bits set, which are not kept).
        let crash = hex("ff 00 ef");
        let (descriptor, data) = Vp8Descriptor::parse(&crash).unwrap();
        assert_eq!(data, [0xef]);
        assert!(descriptor.extended && descriptor.picture_id.is_none());
        assert_eq!(descriptor.encoded_len(), 2);
        let mut out = [0u8; 8];
        assert_eq!(descriptor.write_to(&mut out).unwrap(), 2);
        assert_eq!(&out[..2], hex("b7 00"));
        for truncated in ["", "80", "90 80", "90 80 92", "90 40", "90 20"] {
            assert!(
                Vp8Descriptor::parse(&hex(truncated)).is_err(),
                "{truncated}"
            );
        }
        let bad = Vp8Descriptor {
            temporal_id: Some((4, false)),
            ..Vp8Descriptor::default()
        };
        assert!(bad.write_to(&mut [0u8; 8]).is_err());
    }

    // A VP8 key frame header (RFC 6386 §9.1): frame tag with P = 0, the
    // start code, 16×16.
    const KEY: &str = "b0 0100 9d012a 1000 1000";

    #[test]
    fn packetizer_splits_evenly_and_increments_the_picture_id() {
        let mut frame = hex(KEY);
        frame.resize(25, 0x77);
        let mut p = Vp8Packetizer::with_picture_id(Some(PictureId::Long(0x7ffe)));
        let mut out = Payloads::new();
        // A 4-byte descriptor leaves 6 bytes of data in 10: five payloads
        // of 5 bytes rather than four of 6 and one of 1.
        p.packetize(&frame, 0, 10, &mut out).unwrap();
        let sizes: Vec<_> = out.iter().map(|p| p.data.len()).collect();
        assert_eq!(sizes, [4 + 5; 5]);
        assert_eq!(&out.get(0).unwrap().data[..4], hex("90 80 fffe"));
        // 9 bytes of data per payload: 9, 8, 8.
        p.packetize(&frame, 0, 13, &mut out).unwrap();
        let sizes: Vec<_> = out.iter().map(|p| p.data.len()).collect();
        assert_eq!(sizes, [4 + 9, 4 + 8, 4 + 8]);
        let markers: Vec<_> = out.iter().map(|p| p.marker).collect();
        assert_eq!(markers, [false, false, true]);
        assert_eq!(&out.get(0).unwrap().data[..4], hex("90 80 ffff"));
        assert_eq!(&out.get(1).unwrap().data[..4], hex("80 80 ffff"));
        // The picture id wraps within 15 bits.
        assert_eq!(p.next_picture_id(), Some(PictureId::Long(0)));

        let mut d = Vp8Depacketizer::new();
        let first = d.payload_info(out.get(0).unwrap().data).unwrap();
        assert_eq!(
            first,
            PayloadInfo::new(Boundary::Yes, Boundary::Maybe, true)
        );
        let second = d.payload_info(out.get(1).unwrap().data).unwrap();
        assert_eq!(second.start, Boundary::No);
        let mut back = Vec::new();
        let info = d
            .depacketize_frame(out.iter().map(|p| p.data), &mut back)
            .unwrap();
        assert!(info.keyframe);
        assert_eq!(back, frame);

        // Too small for the descriptor and a byte; an empty frame.
        assert!(p.packetize(&frame, 0, 4, &mut out).is_err());
        assert!(p.packetize(&[], 0, 100, &mut out).is_err());
    }

    #[test]
    fn depacketizer_checks_the_frame() {
        let mut d = Vp8Depacketizer::new();
        let mut frame = Vec::new();
        // An interframe (P = 1).
        let info = d
            .depacketize_frame([&hex("10 3101 00 aa")[..]], &mut frame)
            .unwrap();
        assert!(!info.keyframe);
        // A frame that does not start at partition 0.
        frame.clear();
        assert!(
            d.depacketize_frame([&hex("00 31")[..]], &mut frame)
                .is_err()
        );
        // No data after the descriptor.
        assert!(d.payload_info(&hex("90 80")).is_err());
        assert!(d.payload_info(&hex("10")).is_err());
        // A key frame flag without the start code is not a key frame.
        assert_eq!(is_keyframe(&hex("b0 0100 000000")), Some(false));
        assert_eq!(is_keyframe(&hex("b0 01")), None);
        // A payload starting a frame mid-way resets nothing: the next frame
        // still needs its start.
        frame.clear();
        d.depacketize(&hex("10 b0"), &mut frame).unwrap();
        d.reset();
        assert!(d.depacketize(&hex("00 b0"), &mut frame).is_err());
    }
}
