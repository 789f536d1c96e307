//! AV1 over RTP: an aggregation header, then OBU elements (whole OBUs or
//! fragments of one), each after a LEB128 length except, when W says how
//! many there are, the last.
//!
//! ```text
//!  0 1 2 3 4 5 6 7
//! +-+-+-+-+-+-+-+-+
//! |Z|Y| W |N|-|-|-|  Z: the first element continues an OBU
//! +-+-+-+-+-+-+-+-+  Y: the last element continues in the next packet
//!                    W: number of elements (0: each has a length)
//!                    N: first packet of a coded video sequence
//! ```
//!
//! Frames are temporal units in the low overhead bitstream format (AV1
//! §5.2: OBUs with size fields), which is what encoders write and IVF
//! files hold. The packetizer drops temporal delimiters, tile lists and
//! padding and removes the OBU size fields; the depacketizer puts a
//! temporal delimiter in front of each temporal unit and the size fields
//! back. A receiver reports a keyframe for a temporal unit that starts a
//! coded video sequence: N set, or a sequence header and a key frame.
//!
//! <https://aomediacodec.github.io/av1-rtp-spec/#4-payload-format>

use alloc::vec::Vec;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::payload::bits::BitReader;
use crate::payload::{
    Boundary, Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, Sink,
    check_max_payload_len,
};

const WHAT: &str = "AV1 payload";
const OBU: &str = "AV1 OBU";

/// OBU types (AV1 §6.2.2).
pub mod obu_type {
    /// Sequence header.
    pub const SEQUENCE_HEADER: u8 = 1;
    /// Temporal delimiter.
    pub const TEMPORAL_DELIMITER: u8 = 2;
    /// Frame header.
    pub const FRAME_HEADER: u8 = 3;
    /// Tile group.
    pub const TILE_GROUP: u8 = 4;
    /// Metadata.
    pub const METADATA: u8 = 5;
    /// Frame (frame header and tile group).
    pub const FRAME: u8 = 6;
    /// Redundant frame header.
    pub const REDUNDANT_FRAME_HEADER: u8 = 7;
    /// Tile list.
    pub const TILE_LIST: u8 = 8;
    /// Padding.
    pub const PADDING: u8 = 15;
}

/// The temporal delimiter OBU with its size field, as the depacketizer
/// writes it at the start of each temporal unit.
pub const TEMPORAL_DELIMITER: [u8; 2] = [0x12, 0x00];

/// Reads a LEB128 number (AV1 §4.10.5): at most 8 bytes, at most
/// `u32::MAX`.
pub fn read_leb128(r: &mut &[u8]) -> Result<u32, ParseError> {
    let mut value = 0u64;
    for i in 0..8 {
        let (&byte, rest) = r.split_first().ok_or(ParseError::Truncated {
            what: "LEB128",
            needed: 1,
            have: 0,
        })?;
        *r = rest;
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return u32::try_from(value).map_err(|_| invalid("LEB128", "above 2^32 - 1"));
        }
    }
    Err(invalid("LEB128", "longer than 8 bytes"))
}

/// Number of bytes the shortest LEB128 encoding of `value` takes.
pub const fn leb128_len(value: usize) -> usize {
    let mut len = 1;
    let mut v = value >> 7;
    while v != 0 {
        len += 1;
        v >>= 7;
    }
    len
}

/// The shortest LEB128 encoding of `value`, and its length.
fn leb128(value: usize) -> ([u8; 10], usize) {
    let mut bytes = [0u8; 10];
    let mut v = value;
    let mut len = 0;
    for slot in &mut bytes {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        len += 1;
        if v == 0 {
            *slot = byte;
            break;
        }
        *slot = byte | 0x80;
    }
    (bytes, len)
}

fn put_leb128(out: &mut impl Sink, value: usize) {
    let (bytes, len) = leb128(value);
    out.extend(bytes.get(..len).unwrap_or_default());
}

/// One OBU of a temporal unit, read in place.
///
/// <https://aomediacodec.github.io/av1-spec/#obu-header-syntax>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Obu<'a> {
    /// The OBU header byte as written (with `obu_has_size_field`).
    pub header: u8,
    /// The extension byte (temporal and spatial ids), when present.
    pub extension: Option<u8>,
    /// The OBU payload (after the header and size).
    pub payload: &'a [u8],
}

impl<'a> Obu<'a> {
    /// The OBU type.
    pub const fn obu_type(&self) -> u8 {
        (self.header >> 3) & 0x0f
    }

    /// The temporal layer, 0 without an extension.
    pub fn temporal_id(&self) -> u8 {
        self.extension.map_or(0, |e| e >> 5)
    }

    /// The spatial layer, 0 without an extension.
    pub fn spatial_id(&self) -> u8 {
        self.extension.map_or(0, |e| (e >> 3) & 0x03)
    }
}

/// The OBUs of a temporal unit in the low overhead format. An OBU without
/// a size field runs to the end, so it can only be the last. Each item is
/// an error for bytes that are not OBUs (after which iteration stops).
pub fn obus(temporal_unit: &[u8]) -> impl Iterator<Item = Result<Obu<'_>, ParseError>> + '_ {
    let mut rest = temporal_unit;
    core::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let result = next_obu(&mut rest);
        if result.is_err() {
            rest = &[];
        }
        Some(result)
    })
}

fn next_obu<'a>(rest: &mut &'a [u8]) -> Result<Obu<'a>, ParseError> {
    let mut r = Reader::new(rest, OBU);
    let header = r.u8()?;
    if header & 0x80 != 0 {
        return Err(invalid(OBU, "forbidden bit set"));
    }
    let extension = if header & 0x04 != 0 {
        Some(r.u8()?)
    } else {
        None
    };
    let payload = if header & 0x02 != 0 {
        let mut bytes = r.rest();
        let size = read_leb128(&mut bytes)? as usize;
        let (payload, tail) = bytes.split_at_checked(size).ok_or(ParseError::Truncated {
            what: OBU,
            needed: size,
            have: bytes.len(),
        })?;
        *rest = tail;
        payload
    } else {
        let payload = r.rest();
        *rest = &[];
        payload
    };
    Ok(Obu {
        header,
        extension,
        payload,
    })
}

/// Whether a sequence header sets `reduced_still_picture_header` (its
/// frames are all key frames with no frame type in their headers).
fn reduced_still_picture_header(sequence_header: &[u8]) -> Result<bool, ParseError> {
    let mut r = BitReader::new(sequence_header, "AV1 sequence header");
    let _seq_profile = r.bits(3)?;
    let _still_picture = r.bit()?;
    r.bit()
}

/// Whether a frame header (or frame) OBU starts a shown key frame, given
/// the sequence header's `reduced_still_picture_header`.
fn is_key_frame(
    frame_header: &[u8],
    reduced_still_picture_header: bool,
) -> Result<bool, ParseError> {
    if reduced_still_picture_header {
        return Ok(true);
    }
    let mut r = BitReader::new(frame_header, "AV1 frame header");
    let show_existing_frame = r.bit()?;
    Ok(!show_existing_frame && r.bits(2)? == 0)
}

/// A checked view over an AV1 RTP payload.
///
/// ```
/// use sansrtc_rtp::payload::av1::Av1Payload;
/// // W = 2: a 1-byte element with its length, then the last element.
/// let payload = [0x20, 0x01, 0x10, 0x30, 0xaa, 0xbb];
/// let p = Av1Payload::parse(&payload).unwrap();
/// assert!(!p.continues_obu() && !p.obu_continues());
/// let elements: Vec<&[u8]> = p.elements().collect();
/// assert_eq!(elements, [&[0x10][..], &[0x30, 0xaa, 0xbb][..]]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Av1Payload<'a> {
    aggregation_header: u8,
    elements: &'a [u8],
}

impl<'a> Av1Payload<'a> {
    /// Reads the aggregation header and checks that the elements fill the
    /// payload exactly, none empty.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let (&aggregation_header, elements) =
            payload.split_first().ok_or(super::empty_payload(WHAT))?;
        let parsed = Self {
            aggregation_header,
            elements,
        };
        if aggregation_header & 0x08 != 0 && aggregation_header & 0x80 != 0 {
            return Err(invalid(WHAT, "N set on a packet that continues an OBU"));
        }
        if elements.is_empty() {
            return Err(invalid(WHAT, "no OBU elements"));
        }
        let mut count = 0;
        let mut rest = elements;
        while !rest.is_empty() {
            let element = parsed.next_element(&mut rest, count)?;
            if element.is_empty() {
                return Err(invalid(WHAT, "empty OBU element"));
            }
            count += 1;
        }
        let w = usize::from((aggregation_header >> 4) & 0x03);
        if w != 0 && count != w {
            return Err(invalid(WHAT, "element count differs from W"));
        }
        Ok(parsed)
    }

    fn next_element(&self, rest: &mut &'a [u8], index: usize) -> Result<&'a [u8], ParseError> {
        let w = usize::from(self.w());
        if w != 0 && index + 1 == w {
            return Ok(core::mem::take(rest));
        }
        if w != 0 && index >= w {
            return Err(invalid(WHAT, "more elements than W"));
        }
        let len = read_leb128(rest)? as usize;
        let (element, tail) = rest.split_at_checked(len).ok_or(ParseError::Truncated {
            what: WHAT,
            needed: len,
            have: rest.len(),
        })?;
        *rest = tail;
        Ok(element)
    }

    /// The aggregation header byte.
    pub const fn aggregation_header(&self) -> u8 {
        self.aggregation_header
    }

    /// Z: the first element continues an OBU from the previous packet.
    pub const fn continues_obu(&self) -> bool {
        self.aggregation_header & 0x80 != 0
    }

    /// Y: the last element continues in the next packet.
    pub const fn obu_continues(&self) -> bool {
        self.aggregation_header & 0x40 != 0
    }

    /// W: the number of elements, or 0 when each carries a length.
    pub const fn w(&self) -> u8 {
        (self.aggregation_header >> 4) & 0x03
    }

    /// N: the first packet of a coded video sequence.
    pub const fn starts_coded_video_sequence(&self) -> bool {
        self.aggregation_header & 0x08 != 0
    }

    /// The OBU elements.
    pub fn elements(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let this = *self;
        let mut rest = self.elements;
        let mut index = 0;
        core::iter::from_fn(move || {
            if rest.is_empty() {
                return None;
            }
            let element = this.next_element(&mut rest, index).ok()?;
            index += 1;
            Some(element)
        })
    }
}

/// An OBU as sent: its header (size field flag cleared) and extension,
/// then its payload; fragments are byte ranges of that.
#[derive(Debug, Clone, Copy)]
struct Element<'a> {
    head: [u8; 2],
    head_len: usize,
    payload: &'a [u8],
    obu_type: u8,
    layer: Option<u8>,
}

impl<'a> Element<'a> {
    fn new(obu: &Obu<'a>) -> Self {
        let header = obu.header & !0x02;
        let (head, head_len) = match obu.extension {
            Some(e) => ([header, e], 2),
            None => ([header, 0], 1),
        };
        Self {
            head,
            head_len,
            payload: obu.payload,
            obu_type: obu.obu_type(),
            // Temporal and spatial ids: the packet may not mix layers.
            layer: obu.extension.map(|e| e & 0xf8),
        }
    }

    fn len(&self) -> usize {
        self.head_len + self.payload.len()
    }

    /// Writes bytes `from..to` of the element.
    fn write(&self, from: usize, to: usize, out: &mut Payloads) {
        let head = self.head.get(..self.head_len).unwrap_or_default();
        if from < head.len() {
            out.extend(head.get(from..to.min(head.len())).unwrap_or_default());
        }
        let start = from.saturating_sub(head.len());
        let end = to.saturating_sub(head.len());
        if end > start {
            out.extend(self.payload.get(start..end).unwrap_or_default());
        }
    }
}

/// Packetizes AV1 temporal units in the low overhead format.
///
/// OBUs are aggregated while they fit, up to three per packet (W counts
/// them, so the last one needs no length field), an OBU that does not fit
/// is fragmented across packets, a sequence header always starts a packet,
/// and OBUs of different layers never share one. N is set on the first
/// packet of a temporal unit with a sequence header and a key frame.
#[derive(Debug, Clone, Default)]
pub struct Av1Packetizer {
    _private: (),
}

impl Av1Packetizer {
    /// A packetizer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

/// Whether a temporal unit starts a coded video sequence: a sequence
/// header and a key frame.
fn starts_sequence(temporal_unit: &[u8]) -> bool {
    let mut reduced_still = None;
    for obu in obus(temporal_unit).filter_map(Result::ok) {
        match obu.obu_type() {
            obu_type::SEQUENCE_HEADER => {
                reduced_still = reduced_still_picture_header(obu.payload).ok();
            }
            obu_type::FRAME_HEADER | obu_type::FRAME => {
                return reduced_still
                    .is_some_and(|reduced| is_key_frame(obu.payload, reduced).unwrap_or(false));
            }
            _ => {}
        }
    }
    false
}

impl Packetizer for Av1Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        _timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        check_max_payload_len(WHAT, max_payload_len, 2)?;
        if obus(frame).any(|obu| obu.is_err()) {
            return Err(write_invalid(WHAT, "not a temporal unit of OBUs"));
        }
        let new_sequence = starts_sequence(frame);
        let mut elements = obus(frame)
            .filter_map(Result::ok)
            .filter(|obu| {
                !matches!(
                    obu.obu_type(),
                    obu_type::TEMPORAL_DELIMITER | obu_type::TILE_LIST | obu_type::PADDING
                )
            })
            .map(|obu| Element::new(&obu))
            .peekable();
        // The element being sent and how many of its bytes are out.
        let mut current: Option<(Element<'_>, usize)> = None;
        let mut continues = false;
        let mut first_packet = true;
        loop {
            // Up to three pieces (element, from, to); the last without a
            // length field.
            let mut pieces: [Option<(Element<'_>, usize, usize)>; 3] = [None; 3];
            let mut count = 0;
            let mut size_with_lengths = 1;
            let mut layer = None;
            let mut fragmented = false;
            while count < pieces.len() {
                let (element, done) = match current {
                    Some(c) => c,
                    None => {
                        let Some(next) = elements.peek() else { break };
                        let other_layer =
                            next.layer.is_some() && layer.is_some() && next.layer != layer;
                        if count > 0 && (next.obu_type == obu_type::SEQUENCE_HEADER || other_layer)
                        {
                            break;
                        }
                        let Some(next) = elements.next() else { break };
                        (next, 0)
                    }
                };
                let left = element.len() - done;
                let room = max_payload_len.saturating_sub(size_with_lengths);
                if room == 0 {
                    current = Some((element, done));
                    break;
                }
                let to = element.len().min(done + room);
                if let Some(slot) = pieces.get_mut(count) {
                    *slot = Some((element, done, to));
                }
                count += 1;
                layer = layer.or(element.layer);
                if to < element.len() {
                    current = Some((element, to));
                    fragmented = true;
                    break;
                }
                current = None;
                size_with_lengths += leb128_len(left) + left;
            }
            if count == 0 {
                break;
            }
            out.put(
                u8::from(continues) << 7
                    | u8::from(fragmented) << 6
                    | (count as u8) << 4
                    | u8::from(first_packet && new_sequence) << 3,
            );
            for (i, (element, from, to)) in pieces.iter().flatten().enumerate() {
                if i + 1 < count {
                    put_leb128(out, to - from);
                }
                element.write(*from, *to, out);
            }
            out.close(false);
            first_packet = false;
            continues = fragmented;
        }
        if out.is_empty() {
            return Err(write_invalid(WHAT, "no OBUs to send"));
        }
        out.mark_last();
        Ok(())
    }
}

/// Reads AV1 payloads back into temporal units in the low overhead format:
/// a temporal delimiter, then each OBU with its size field.
#[derive(Debug, Clone, Default)]
pub struct Av1Depacketizer {
    /// Where the OBU being received starts in the frame.
    obu_start: Option<usize>,
    started: bool,
    new_sequence: bool,
    /// `reduced_still_picture_header` of the unit's sequence header.
    sequence_header: Option<bool>,
    /// Whether the unit's first frame is a key frame.
    key_frame: Option<bool>,
}

impl Av1Depacketizer {
    /// A depacketizer between temporal units.
    pub const fn new() -> Self {
        Self {
            obu_start: None,
            started: false,
            new_sequence: false,
            sequence_header: None,
            key_frame: None,
        }
    }

    /// Completes the OBU that starts at `start`: drops it if receivers
    /// must ignore it, otherwise gives it its size field.
    fn complete_obu(&mut self, start: usize, frame: &mut Vec<u8>) -> Result<(), ParseError> {
        let obu = frame.get(start..).unwrap_or_default();
        let &header = obu.first().ok_or(invalid(OBU, "empty OBU"))?;
        if header & 0x80 != 0 {
            return Err(invalid(OBU, "forbidden bit set"));
        }
        let head_len = if header & 0x04 != 0 { 2 } else { 1 };
        if obu.len() < head_len {
            return Err(invalid(OBU, "OBU shorter than its header"));
        }
        let kind = (header >> 3) & 0x0f;
        if matches!(kind, obu_type::TEMPORAL_DELIMITER | obu_type::TILE_LIST) {
            frame.truncate(start);
            return Ok(());
        }
        let payload_at = start + head_len;
        if header & 0x02 != 0 {
            // Sent with its size field: it must match.
            let mut rest = frame.get(payload_at..).unwrap_or_default();
            let size = read_leb128(&mut rest)? as usize;
            if size != rest.len() {
                return Err(invalid(OBU, "size field disagrees with the element"));
            }
        } else {
            let (bytes, len) = leb128(frame.len() - payload_at);
            if let Some(h) = frame.get_mut(start) {
                *h |= 0x02;
            }
            frame.splice(
                payload_at..payload_at,
                bytes.get(..len).unwrap_or_default().iter().copied(),
            );
        }
        // What the unit is: a sequence header, then the first frame.
        let obu = frame.get(start..).unwrap_or_default();
        if let Some(Ok(parsed)) = obus(obu).next() {
            match kind {
                obu_type::SEQUENCE_HEADER => {
                    self.sequence_header = reduced_still_picture_header(parsed.payload).ok();
                }
                obu_type::FRAME_HEADER | obu_type::FRAME if self.key_frame.is_none() => {
                    self.key_frame = Some(self.sequence_header.is_some_and(|reduced| {
                        is_key_frame(parsed.payload, reduced).unwrap_or(false)
                    }));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

impl Depacketizer for Av1Depacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        let p = Av1Payload::parse(payload)?;
        Ok(PayloadInfo::new(
            if p.continues_obu() {
                Boundary::No
            } else if p.starts_coded_video_sequence() {
                Boundary::Yes
            } else {
                Boundary::Maybe
            },
            if p.obu_continues() {
                Boundary::No
            } else {
                Boundary::Maybe
            },
            p.starts_coded_video_sequence(),
        ))
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        let p = Av1Payload::parse(payload)?;
        if p.continues_obu() != self.obu_start.is_some() {
            return Err(invalid(
                WHAT,
                if p.continues_obu() {
                    "continues an OBU that did not start"
                } else {
                    "OBU fragment left unfinished"
                },
            ));
        }
        if !self.started {
            self.started = true;
            self.new_sequence = p.starts_coded_video_sequence();
            frame.extend_from_slice(&TEMPORAL_DELIMITER);
        }
        let mut elements = p.elements().peekable();
        let mut first = true;
        while let Some(element) = elements.next() {
            let start = match self.obu_start.take() {
                Some(start) if first => start,
                _ => frame.len(),
            };
            first = false;
            frame.extend_from_slice(element);
            if elements.peek().is_none() && p.obu_continues() {
                self.obu_start = Some(start);
            } else {
                self.complete_obu(start, frame)?;
            }
        }
        Ok(())
    }

    fn finish_frame(&mut self, _frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        let state = core::mem::take(self);
        if !state.started {
            return Err(invalid(WHAT, "no payloads"));
        }
        if state.obu_start.is_some() {
            return Err(invalid(WHAT, "temporal unit ends inside a fragmented OBU"));
        }
        let key = state.sequence_header.is_some() && state.key_frame == Some(true);
        Ok(FrameInfo::new(state.new_sequence || key))
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    // A temporal unit: temporal delimiter, sequence header (profile 0, not
    // reduced), and a frame OBU whose header starts a shown key frame.
    const KEY_UNIT: &str = "1200 0a02 0001 3203 10aabb";

    #[test]
    fn leb128_numbers() {
        for (bytes, value) in [
            ("00", 0u32),
            ("7f", 127),
            ("8001", 128),
            ("e58e26", 624_485),
        ] {
            let encoded = hex(bytes);
            let mut r = &encoded[..];
            assert_eq!(read_leb128(&mut r).unwrap(), value);
            assert!(r.is_empty());
            let (out, len) = leb128(value as usize);
            assert_eq!(&out[..len], &encoded[..]);
            assert_eq!(leb128_len(value as usize), len);
        }
        // Not minimal, but valid.
        assert_eq!(read_leb128(&mut &hex("8000")[..]).unwrap(), 0);
        assert!(read_leb128(&mut &hex("80")[..]).is_err());
        assert!(read_leb128(&mut &hex("8080808080808080 00")[..]).is_err());
        assert!(read_leb128(&mut &hex("ffffffff7f")[..]).is_err());
    }

    #[test]
    fn obus_of_a_temporal_unit() {
        let unit = hex("1200 0a02 0001 36 28 03 10aabb 20 ccdd");
        let list: Vec<_> = obus(&unit).map(Result::unwrap).collect();
        assert_eq!(list.len(), 4);
        assert_eq!(list[0].obu_type(), obu_type::TEMPORAL_DELIMITER);
        assert_eq!(list[1].payload, hex("0001"));
        assert_eq!(list[2].obu_type(), obu_type::FRAME);
        assert_eq!((list[2].temporal_id(), list[2].spatial_id()), (1, 1));
        // The last OBU has no size field: it runs to the end.
        assert_eq!(list[3].obu_type(), obu_type::TILE_GROUP);
        assert_eq!(list[3].payload, hex("ccdd"));
        assert!(obus(&hex("1205")).next().unwrap().is_err());
        assert!(obus(&hex("92 00")).next().unwrap().is_err());
    }

    #[test]
    fn a_small_unit_fits_one_packet() {
        let unit = hex(KEY_UNIT);
        let mut out = Payloads::new();
        Av1Packetizer::new()
            .packetize(&unit, 0, 1200, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        let payload = out.get(0).unwrap();
        assert!(payload.marker);
        // Z 0, Y 0, W 2, N 1; the sequence header with its length, the
        // frame without; no temporal delimiter, no size fields.
        assert_eq!(payload.data, hex("28 03 080001 3010aabb"));
        let mut d = Av1Depacketizer::new();
        let info = d.payload_info(payload.data).unwrap();
        assert_eq!(info, PayloadInfo::new(Boundary::Yes, Boundary::Maybe, true));
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame([payload.data], &mut frame)
                .unwrap()
                .keyframe
        );
        assert_eq!(frame, unit);
    }

    #[test]
    fn large_obus_are_fragmented() {
        let mut unit = hex("1200 3214 30");
        unit.resize(4 + 20, 0x99);
        let mut out = Payloads::new();
        Av1Packetizer::new()
            .packetize(&unit, 0, 8, &mut out)
            .unwrap();
        let headers: Vec<_> = out.iter().map(|p| p.data[0]).collect();
        // Y, then Z and Y, then Z; one element each; an interframe: no N.
        assert_eq!(headers, [0x50, 0xd0, 0x90]);
        assert!(out.iter().all(|p| p.data.len() == 8));
        let mut d = Av1Depacketizer::new();
        let infos: Vec<_> = out
            .iter()
            .map(|p| d.payload_info(p.data).unwrap())
            .collect();
        assert_eq!(
            (infos[0].start, infos[0].end),
            (Boundary::Maybe, Boundary::No)
        );
        assert_eq!((infos[1].start, infos[1].end), (Boundary::No, Boundary::No));
        assert_eq!(
            (infos[2].start, infos[2].end),
            (Boundary::No, Boundary::Maybe)
        );
        let mut frame = Vec::new();
        let info = d
            .depacketize_frame(out.iter().map(|p| p.data), &mut frame)
            .unwrap();
        assert!(!info.keyframe);
        assert_eq!(frame, unit);
        let p: Vec<_> = out.iter().map(|p| p.data).collect();
        assert!(d.depacketize_frame([p[1], p[2]], &mut frame).is_err());
        assert!(d.depacketize_frame([p[0], p[1]], &mut frame).is_err());
        assert!(d.depacketize_frame([p[0], p[0]], &mut frame).is_err());
    }

    #[test]
    fn at_most_three_elements_and_one_layer_per_packet() {
        // Five metadata OBUs: three in the first packet, two in the next.
        let unit = hex("2a01 01 2a01 02 2a01 03 2a01 04 2a01 05");
        let mut out = Payloads::new();
        Av1Packetizer::new()
            .packetize(&unit, 0, 1200, &mut out)
            .unwrap();
        let data: Vec<_> = out.iter().map(|p| p.data.to_vec()).collect();
        assert_eq!(
            data,
            [hex("30 02 2801 02 2802 2803"), hex("20 02 2804 2805")]
        );
        // Two tile groups of different spatial layers.
        let unit = hex("26 08 01 aa 26 10 01 bb");
        Av1Packetizer::new()
            .packetize(&unit, 0, 1200, &mut out)
            .unwrap();
        let data: Vec<_> = out.iter().map(|p| p.data.to_vec()).collect();
        assert_eq!(data, [hex("10 2408aa"), hex("10 2410bb")]);
        let mut d = Av1Depacketizer::new();
        let mut frame = Vec::new();
        d.depacketize_frame(out.iter().map(|p| p.data), &mut frame)
            .unwrap();
        assert_eq!(frame, [&TEMPORAL_DELIMITER[..], &unit].concat());
        // A sequence header starts its own packet.
        let unit = hex("2a01 01 0a02 0001 3203 10aabb");
        Av1Packetizer::new()
            .packetize(&unit, 0, 1200, &mut out)
            .unwrap();
        let data: Vec<_> = out.iter().map(|p| p.data.to_vec()).collect();
        assert_eq!(data, [hex("18 2801"), hex("20 03 080001 3010aabb")]);
    }

    #[test]
    fn malformed_payloads_are_refused() {
        let d = Av1Depacketizer::new();
        for bad in [
            "",                         // nothing
            "00",                       // no elements
            "10",                       // W 1 but no element
            "20 05 aa",                 // length past the end
            "00 00",                    // an empty element
            "20 01 aa",                 // W 2, one element
            "10 01 aa 02 bbcc",         // W 1 reads everything as one: fine, see below
            "88 01 aa",                 // N with Z
            "00 ffffffffffffffff01 aa", // LEB128 too long
        ] {
            let result = d.payload_info(&hex(bad));
            if bad.starts_with("10 01") {
                assert!(result.is_ok());
            } else {
                assert!(result.is_err(), "{bad}");
            }
        }
        let mut d = Av1Depacketizer::new();
        let mut frame = Vec::new();
        // The forbidden bit; an OBU shorter than its extension header.
        assert!(
            d.depacketize_frame([&hex("10 b0 00")[..]], &mut frame)
                .is_err()
        );
        assert!(
            d.depacketize_frame([&hex("10 34")[..]], &mut frame)
                .is_err()
        );
        // An element with a size field: kept if it agrees.
        let mut frame = Vec::new();
        d.depacketize_frame([&hex("10 32 02 10aa")[..]], &mut frame)
            .unwrap();
        assert_eq!(frame, hex("1200 3202 10aa"));
        assert!(
            d.depacketize_frame([&hex("10 32 05 10aa")[..]], &mut frame)
                .is_err()
        );
        // A temporal delimiter sent anyway is dropped.
        let mut frame = Vec::new();
        d.depacketize_frame([&hex("20 01 10 3010")[..]], &mut frame)
            .unwrap();
        assert_eq!(frame, hex("1200 3201 10"));
    }

    #[test]
    fn packetizer_refuses_what_is_not_obus() {
        let mut out = Payloads::new();
        let mut p = Av1Packetizer::new();
        assert!(p.packetize(&hex("1205"), 0, 1200, &mut out).is_err());
        assert!(p.packetize(&hex("1200"), 0, 1200, &mut out).is_err());
        assert!(p.packetize(&hex(KEY_UNIT), 0, 1, &mut out).is_err());
        assert!(out.is_empty());
    }
}
