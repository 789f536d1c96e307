//! VP9 over RTP: a payload descriptor in front of each piece of a layer
//! frame, in flexible or non-flexible mode, with an optional scalability
//! structure.
//!
//! ```text
//!       0 1 2 3 4 5 6 7
//!      +-+-+-+-+-+-+-+-+
//!      |I|P|L|F|B|E|V|Z| (required)
//!      +-+-+-+-+-+-+-+-+
//! I:   |M| PICTURE ID  | (a second byte when M is set)
//!      +-+-+-+-+-+-+-+-+
//! L:   |  TID|U| SID |D|
//!      +-+-+-+-+-+-+-+-+
//!      |   TL0PICIDX   | (non-flexible mode only)
//!      +-+-+-+-+-+-+-+-+
//! P,F: | P_DIFF      |N| (flexible mode, up to 3 times)
//!      +-+-+-+-+-+-+-+-+
//! V:   | SS            | (scalability structure)
//!      +-+-+-+-+-+-+-+-+
//! ```
//!
//! A picture (all spatial layers at one timestamp) starts at the payload
//! with B set and spatial layer 0; the marker bit is set on its last
//! packet. The depacketizer hands the layer frames of a picture to the
//! decoder one after the other, as libvpx expects.
//!
//! <https://www.rfc-editor.org/rfc/rfc9628#section-4.2>

use alloc::vec::Vec;

use crate::cursor::{Reader, Writer};
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::payload::bits::BitReader;
use crate::payload::{
    Boundary, Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, PictureId, Sink,
    balanced_split, check_max_payload_len,
};

const WHAT: &str = "VP9 payload descriptor";
const SS: &str = "VP9 scalability structure";
/// Most reference indices (P_DIFF) a flexible-mode descriptor carries.
pub const MAX_REFERENCES: usize = 3;
/// Most spatial layers a scalability structure describes (N_S has 3 bits).
pub const MAX_SPATIAL_LAYERS: usize = 8;

/// The layer indices (the L byte).
///
/// <https://www.rfc-editor.org/rfc/rfc9628#section-4.2>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Vp9LayerIndex {
    /// TID: the temporal layer (0 to 7).
    pub temporal_id: u8,
    /// U: a switching-up point to a higher temporal layer.
    pub switching_up_point: bool,
    /// SID: the spatial layer (0 to 7).
    pub spatial_id: u8,
    /// D: the layer frame depends on the spatial layer below.
    pub inter_layer_dependency: bool,
}

impl Vp9LayerIndex {
    fn decode(byte: u8) -> Self {
        Self {
            temporal_id: byte >> 5,
            switching_up_point: byte & 0x10 != 0,
            spatial_id: (byte >> 1) & 0x07,
            inter_layer_dependency: byte & 0x01 != 0,
        }
    }

    fn encode(self) -> u8 {
        (self.temporal_id & 0x07) << 5
            | u8::from(self.switching_up_point) << 4
            | (self.spatial_id & 0x07) << 1
            | u8::from(self.inter_layer_dependency)
    }
}

/// Reference indices of a flexible-mode layer frame: how many pictures
/// back (1 to 127) each reference is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct ReferenceDiffs {
    diffs: [u8; MAX_REFERENCES],
    len: u8,
}

impl ReferenceDiffs {
    /// Up to [`MAX_REFERENCES`] differences, each 1 to 127.
    pub fn new(diffs: &[u8]) -> Option<Self> {
        if diffs.len() > MAX_REFERENCES || diffs.iter().any(|&d| d == 0 || d > 127) {
            return None;
        }
        let mut out = Self::default();
        for (slot, &d) in out.diffs.iter_mut().zip(diffs) {
            *slot = d;
        }
        out.len = diffs.len() as u8;
        Some(out)
    }

    /// The differences.
    pub fn as_slice(&self) -> &[u8] {
        self.diffs.get(..usize::from(self.len)).unwrap_or_default()
    }
}

/// A checked view over a scalability structure (SS).
///
/// ```text
/// V:   | N_S |Y|G|-|-|-|
///      | WIDTH (16), HEIGHT (16) | × (N_S + 1), when Y
///      | N_G (8)       |                        when G
///      | T |U| R |-|-| , R × P_DIFF (8)  | × N_G
/// ```
///
/// <https://www.rfc-editor.org/rfc/rfc9628#section-4.2.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ScalabilityStructure<'a> {
    bytes: &'a [u8],
}

/// One picture of a picture group, in a [`ScalabilityStructure`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PictureGroupEntry<'a> {
    /// T: the picture's temporal layer.
    pub temporal_id: u8,
    /// U: a switching-up point.
    pub switching_up_point: bool,
    /// The pictures it references, as differences (R entries).
    pub reference_diffs: &'a [u8],
}

impl<'a> ScalabilityStructure<'a> {
    /// Reads a structure off the front of `bytes`, returning it and what
    /// follows.
    pub fn parse(bytes: &'a [u8]) -> Result<(Self, &'a [u8]), ParseError> {
        let mut r = Reader::new(bytes, SS);
        let first = r.u8()?;
        let layers = usize::from(first >> 5) + 1;
        if first & 0x10 != 0 {
            r.take(4 * layers)?;
        }
        if first & 0x08 != 0 {
            let count = r.u8()?;
            for _ in 0..count {
                let entry = r.u8()?;
                r.take(usize::from((entry >> 2) & 0x03))?;
            }
        }
        let len = bytes.len() - r.remaining();
        let (ss, rest) = bytes.split_at_checked(len).unwrap_or((bytes, &[]));
        Ok((Self { bytes: ss }, rest))
    }

    /// The structure's bytes.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    fn first(&self) -> u8 {
        self.bytes.first().copied().unwrap_or(0)
    }

    /// Number of spatial layers (N_S + 1).
    pub fn spatial_layers(&self) -> usize {
        usize::from(self.first() >> 5) + 1
    }

    /// Width and height of each spatial layer, when the Y bit is set.
    pub fn resolutions(&self) -> Option<impl Iterator<Item = (u16, u16)> + 'a> {
        if self.first() & 0x10 == 0 {
            return None;
        }
        let sizes = self
            .bytes
            .get(1..1 + 4 * self.spatial_layers())
            .unwrap_or_default();
        Some(sizes.chunks_exact(4).map(|c| match c {
            &[w0, w1, h0, h1] => (u16::from_be_bytes([w0, w1]), u16::from_be_bytes([h0, h1])),
            _ => (0, 0),
        }))
    }

    /// The picture group, when the G bit is set.
    pub fn picture_group(&self) -> Option<impl Iterator<Item = PictureGroupEntry<'a>> + 'a> {
        let first = self.first();
        if first & 0x08 == 0 {
            return None;
        }
        let skip = 1 + if first & 0x10 != 0 {
            4 * self.spatial_layers()
        } else {
            0
        };
        let mut r = Reader::new(self.bytes.get(skip..).unwrap_or_default(), SS);
        let mut count = r.u8().unwrap_or(0);
        Some(core::iter::from_fn(move || {
            if count == 0 {
                return None;
            }
            count -= 1;
            let entry = r.u8().ok()?;
            let reference_diffs = r.take(usize::from((entry >> 2) & 0x03)).ok()?;
            Some(PictureGroupEntry {
                temporal_id: entry >> 5,
                switching_up_point: entry & 0x10 != 0,
                reference_diffs,
            })
        }))
    }

    /// Writes a structure for `spatial_layers` layers (1 to 8), with their
    /// resolutions when given (one per layer) and a picture group when
    /// given, returning its length.
    pub fn write(
        spatial_layers: usize,
        resolutions: Option<&[(u16, u16)]>,
        picture_group: Option<&[PictureGroupEntry<'_>]>,
        buf: &mut [u8],
    ) -> Result<usize, WriteError> {
        if !(1..=MAX_SPATIAL_LAYERS).contains(&spatial_layers) {
            return Err(write_invalid(SS, "1 to 8 spatial layers"));
        }
        if resolutions.is_some_and(|r| r.len() != spatial_layers) {
            return Err(write_invalid(SS, "one resolution per spatial layer"));
        }
        if picture_group.is_some_and(|g| {
            g.len() > 255
                || g.iter()
                    .any(|e| e.temporal_id > 7 || e.reference_diffs.len() > MAX_REFERENCES)
        }) {
            return Err(write_invalid(SS, "picture group does not fit its fields"));
        }
        let mut w = Writer::new(buf);
        w.u8(((spatial_layers - 1) as u8) << 5
            | u8::from(resolutions.is_some()) << 4
            | u8::from(picture_group.is_some()) << 3)?;
        for &(width, height) in resolutions.unwrap_or_default() {
            w.u16(width)?;
            w.u16(height)?;
        }
        if let Some(group) = picture_group {
            w.u8(group.len() as u8)?;
            for entry in group {
                w.u8(entry.temporal_id << 5
                    | u8::from(entry.switching_up_point) << 4
                    | (entry.reference_diffs.len() as u8) << 2)?;
                w.bytes(entry.reference_diffs)?;
            }
        }
        Ok(w.written())
    }
}

/// The VP9 payload descriptor, borrowing its scalability structure.
///
/// <https://www.rfc-editor.org/rfc/rfc9628#section-4.2>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Vp9Descriptor<'a> {
    /// I (and M): the picture id.
    pub picture_id: Option<PictureId>,
    /// P: the layer frame uses references to earlier pictures.
    pub inter_picture_predicted: bool,
    /// F: flexible mode (references listed per frame) rather than
    /// non-flexible (a picture group in the scalability structure).
    pub flexible_mode: bool,
    /// B: the payload begins a layer frame.
    pub beginning_of_frame: bool,
    /// E: the payload ends a layer frame.
    pub end_of_frame: bool,
    /// Z: the layer frame is not a reference for higher spatial layers.
    pub not_upper_reference: bool,
    /// L: the layer indices.
    pub layer: Option<Vp9LayerIndex>,
    /// TL0PICIDX (non-flexible mode with L).
    pub tl0_pic_idx: Option<u8>,
    /// P_DIFF (flexible mode with P).
    pub reference_diffs: ReferenceDiffs,
    /// V: the scalability structure.
    pub scalability_structure: Option<ScalabilityStructure<'a>>,
}

impl<'a> Vp9Descriptor<'a> {
    /// Reads a descriptor off the front of `payload`, returning it and the
    /// VP9 data after it.
    pub fn parse(payload: &'a [u8]) -> Result<(Self, &'a [u8]), ParseError> {
        let mut r = Reader::new(payload, WHAT);
        let first = r.u8()?;
        let flexible_mode = first & 0x10 != 0;
        let inter_picture_predicted = first & 0x40 != 0;
        let mut descriptor = Self {
            inter_picture_predicted,
            flexible_mode,
            beginning_of_frame: first & 0x08 != 0,
            end_of_frame: first & 0x04 != 0,
            not_upper_reference: first & 0x01 != 0,
            ..Self::default()
        };
        if first & 0x80 != 0 {
            descriptor.picture_id = Some(PictureId::read(&mut r)?);
        }
        if first & 0x20 != 0 {
            descriptor.layer = Some(Vp9LayerIndex::decode(r.u8()?));
            if !flexible_mode {
                descriptor.tl0_pic_idx = Some(r.u8()?);
            }
        }
        if flexible_mode && inter_picture_predicted {
            let mut diffs = [0u8; MAX_REFERENCES];
            let mut len = 0;
            loop {
                let byte = r.u8()?;
                let slot = diffs
                    .get_mut(len)
                    .ok_or(invalid(WHAT, "more than 3 reference indices"))?;
                *slot = byte >> 1;
                len += 1;
                if byte & 0x01 == 0 {
                    break;
                }
            }
            descriptor.reference_diffs = ReferenceDiffs {
                diffs,
                len: len as u8,
            };
        }
        let rest = if first & 0x02 != 0 {
            let (ss, rest) = ScalabilityStructure::parse(r.rest())?;
            descriptor.scalability_structure = Some(ss);
            rest
        } else {
            r.rest()
        };
        Ok((descriptor, rest))
    }

    /// Whether the payload begins a picture: B set in spatial layer 0.
    pub fn begins_picture(&self) -> bool {
        self.beginning_of_frame && self.layer.is_none_or(|l| l.spatial_id == 0)
    }

    /// Encoded size in bytes.
    pub fn encoded_len(&self) -> usize {
        1 + self.picture_id.map_or(0, PictureId::encoded_len)
            + match (self.layer, self.flexible_mode) {
                (None, _) => 0,
                (Some(_), true) => 1,
                (Some(_), false) => 2,
            }
            + if self.flexible_mode && self.inter_picture_predicted {
                usize::from(self.reference_diffs.len)
            } else {
                0
            }
            + self.scalability_structure.map_or(0, |ss| ss.bytes.len())
    }

    fn check(&self) -> Result<(), WriteError> {
        if self.flexible_mode && self.picture_id.is_none() {
            return Err(write_invalid(WHAT, "flexible mode needs a picture id"));
        }
        if self.flexible_mode && self.inter_picture_predicted && self.reference_diffs.len == 0 {
            return Err(write_invalid(
                WHAT,
                "flexible mode with P needs reference indices",
            ));
        }
        if self
            .layer
            .is_some_and(|l| l.temporal_id > 7 || l.spatial_id > 7)
        {
            return Err(write_invalid(WHAT, "layer index above 7"));
        }
        Ok(())
    }

    /// Writes the descriptor to `out`.
    fn write(&self, out: &mut impl Sink) {
        let flexible_refs = self.flexible_mode && self.inter_picture_predicted;
        out.put(
            u8::from(self.picture_id.is_some()) << 7
                | u8::from(self.inter_picture_predicted) << 6
                | u8::from(self.layer.is_some()) << 5
                | u8::from(self.flexible_mode) << 4
                | u8::from(self.beginning_of_frame) << 3
                | u8::from(self.end_of_frame) << 2
                | u8::from(self.scalability_structure.is_some()) << 1
                | u8::from(self.not_upper_reference),
        );
        match self.picture_id {
            Some(PictureId::Short(v)) => out.put(v & 0x7f),
            Some(PictureId::Long(v)) => out.extend(&(0x8000 | (v & 0x7fff)).to_be_bytes()),
            None => {}
        }
        if let Some(layer) = self.layer {
            out.put(layer.encode());
            if !self.flexible_mode {
                out.put(self.tl0_pic_idx.unwrap_or(0));
            }
        }
        if flexible_refs {
            let diffs = self.reference_diffs.as_slice();
            for (i, &d) in diffs.iter().enumerate() {
                out.put((d << 1) | u8::from(i + 1 < diffs.len()));
            }
        }
        if let Some(ss) = self.scalability_structure {
            out.extend(ss.bytes);
        }
    }

    /// Writes the descriptor into `buf`, returning its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.check()?;
        let mut w = Writer::with_capacity(buf, self.encoded_len())?;
        self.write(&mut w);
        Ok(w.written())
    }
}

/// What the uncompressed header of a VP9 frame says, as far as RTP cares.
///
/// <https://storage.googleapis.com/downloads.webmproject.org/docs/vp9/vp9-bitstream-specification-v0.6-20160331-draft.pdf> §6.2
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Vp9FrameHeader {
    /// The profile, 0 to 3.
    pub profile: u8,
    /// The frame only shows an earlier one again.
    pub show_existing_frame: bool,
    /// A key frame.
    pub keyframe: bool,
    /// Width and height, for key frames.
    pub size: Option<(u16, u16)>,
}

impl Vp9FrameHeader {
    /// Reads the start of the uncompressed header of `frame` (the first
    /// frame, for a superframe).
    pub fn parse(frame: &[u8]) -> Result<Self, ParseError> {
        const HEADER: &str = "VP9 frame header";
        let mut r = BitReader::new(frame, HEADER);
        if r.bits(2)? != 2 {
            return Err(invalid(HEADER, "bad frame marker"));
        }
        let low = r.bits(1)?;
        let high = r.bits(1)?;
        let profile = (high << 1 | low) as u8;
        if profile == 3 && r.bit()? {
            return Err(invalid(HEADER, "reserved bit set"));
        }
        let mut header = Self {
            profile,
            show_existing_frame: r.bit()?,
            keyframe: false,
            size: None,
        };
        if header.show_existing_frame {
            return Ok(header);
        }
        header.keyframe = !r.bit()?;
        let _show_frame = r.bit()?;
        let _error_resilient = r.bit()?;
        if header.keyframe {
            if r.bits(24)? != 0x49_83_42 {
                return Err(invalid(HEADER, "bad sync code"));
            }
            if profile >= 2 {
                r.bit()?;
            }
            let color_space = r.bits(3)?;
            if color_space != 7 {
                r.bit()?;
                if profile == 1 || profile == 3 {
                    r.bits(3)?;
                }
            } else if profile == 1 || profile == 3 {
                r.bit()?;
            }
            let width = r.bits(16)? + 1;
            let height = r.bits(16)? + 1;
            header.size = Some((width as u16, height as u16));
        }
        Ok(header)
    }
}

/// What varies from layer frame to layer frame in the descriptor, for
/// spatial and temporal scalability; see [`Vp9Packetizer::packetize_layer`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Vp9Layer<'a> {
    /// P: the layer frame references earlier pictures.
    pub inter_picture_predicted: bool,
    /// Z: the layer frame is not a reference for higher spatial layers.
    pub not_upper_reference: bool,
    /// The layer indices.
    pub layer: Option<Vp9LayerIndex>,
    /// TL0PICIDX (non-flexible mode, with `layer`).
    pub tl0_pic_idx: Option<u8>,
    /// The references (flexible mode, with P).
    pub reference_diffs: ReferenceDiffs,
    /// A scalability structure to send in the first packet.
    pub scalability_structure: Option<ScalabilityStructure<'a>>,
    /// The last layer frame of the picture: its last packet gets the
    /// marker bit and the picture id advances after it.
    pub end_of_picture: bool,
}

/// Cuts VP9 frames into payloads.
///
/// [`Packetizer::packetize`] sends a stream without layers: it reads the
/// frame's uncompressed header, clears P on key frames and adds a
/// scalability structure with the resolution to their first packet, in
/// non-flexible mode. [`packetize_layer`](Self::packetize_layer) gives the
/// caller every field for spatial and temporal layers, in either mode.
#[derive(Debug, Clone)]
pub struct Vp9Packetizer {
    picture_id: PictureId,
    flexible_mode: bool,
}

impl Default for Vp9Packetizer {
    fn default() -> Self {
        Self::new()
    }
}

impl Vp9Packetizer {
    /// A non-flexible packetizer whose first picture has the 15-bit
    /// picture id 0.
    pub const fn new() -> Self {
        Self {
            picture_id: PictureId::Long(0),
            flexible_mode: false,
        }
    }

    /// Starts at `picture_id`; WebRTC senders start at a random value.
    pub const fn with_picture_id(mut self, picture_id: PictureId) -> Self {
        self.picture_id = picture_id;
        self
    }

    /// Uses flexible mode (F set; references in each descriptor) in
    /// [`packetize_layer`](Self::packetize_layer).
    pub const fn flexible(mut self, flexible_mode: bool) -> Self {
        self.flexible_mode = flexible_mode;
        self
    }

    /// The picture id the next picture gets.
    pub const fn next_picture_id(&self) -> PictureId {
        self.picture_id
    }

    /// Packetizes one layer frame with the fields of `layer`.
    pub fn packetize_layer(
        &mut self,
        frame: &[u8],
        layer: &Vp9Layer<'_>,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        if frame.is_empty() {
            return Err(write_invalid(WHAT, "empty frame"));
        }
        let mut descriptor = Vp9Descriptor {
            picture_id: Some(self.picture_id),
            inter_picture_predicted: layer.inter_picture_predicted,
            flexible_mode: self.flexible_mode,
            beginning_of_frame: true,
            end_of_frame: false,
            not_upper_reference: layer.not_upper_reference,
            layer: layer.layer,
            tl0_pic_idx: if self.flexible_mode {
                None
            } else {
                layer.tl0_pic_idx
            },
            reference_diffs: if self.flexible_mode {
                layer.reference_diffs
            } else {
                ReferenceDiffs::default()
            },
            scalability_structure: layer.scalability_structure,
        };
        descriptor.check()?;
        let first_header = descriptor.encoded_len();
        check_max_payload_len(WHAT, max_payload_len, first_header + 1)?;
        let (first, mut rest) = frame
            .split_at_checked(max_payload_len - first_header)
            .unwrap_or((frame, &[]));
        descriptor.end_of_frame = rest.is_empty();
        descriptor.write(out);
        out.extend(first);
        out.close(rest.is_empty() && layer.end_of_picture);
        descriptor.beginning_of_frame = false;
        descriptor.scalability_structure = None;
        let header = descriptor.encoded_len();
        let sizes = balanced_split(rest.len(), max_payload_len - header);
        for size in sizes.take(if rest.is_empty() { 0 } else { usize::MAX }) {
            let (chunk, tail) = rest.split_at_checked(size).unwrap_or((rest, &[]));
            rest = tail;
            descriptor.end_of_frame = rest.is_empty();
            descriptor.write(out);
            out.extend(chunk);
            out.close(rest.is_empty() && layer.end_of_picture);
        }
        if layer.end_of_picture {
            self.picture_id = self.picture_id.next();
        }
        Ok(())
    }
}

impl Packetizer for Vp9Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        _timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        let header = Vp9FrameHeader::parse(frame).ok();
        let keyframe = header.is_some_and(|h| h.keyframe);
        let mut ss = [0u8; 5];
        let scalability_structure = match header.and_then(|h| h.size) {
            Some(size) if keyframe => {
                let len = ScalabilityStructure::write(1, Some(&[size]), None, &mut ss)?;
                ScalabilityStructure::parse(ss.get(..len).unwrap_or_default())
                    .ok()
                    .map(|(ss, _)| ss)
            }
            _ => None,
        };
        let flexible_mode = core::mem::replace(&mut self.flexible_mode, false);
        let result = self.packetize_layer(
            frame,
            &Vp9Layer {
                inter_picture_predicted: !keyframe,
                scalability_structure,
                end_of_picture: true,
                ..Vp9Layer::default()
            },
            max_payload_len,
            out,
        );
        self.flexible_mode = flexible_mode;
        result
    }
}

/// Reads VP9 payloads back into pictures (the layer frames of a picture
/// one after the other).
#[derive(Debug, Clone, Default)]
pub struct Vp9Depacketizer {
    /// Payloads read in the current picture.
    started: bool,
    /// Inside a layer frame (B seen, E not yet).
    in_layer_frame: bool,
    /// Where the base layer frame starts in the output, to read its
    /// header at the end.
    base_layer_start: Option<usize>,
}

impl Vp9Depacketizer {
    /// A depacketizer between pictures.
    pub const fn new() -> Self {
        Self {
            started: false,
            in_layer_frame: false,
            base_layer_start: None,
        }
    }
}

impl Depacketizer for Vp9Depacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        let (descriptor, data) = Vp9Descriptor::parse(payload)?;
        if data.is_empty() {
            return Err(invalid(WHAT, "no VP9 data"));
        }
        let start = descriptor.begins_picture();
        Ok(PayloadInfo::new(
            if start { Boundary::Yes } else { Boundary::No },
            if descriptor.end_of_frame {
                Boundary::Maybe
            } else {
                Boundary::No
            },
            start && !descriptor.inter_picture_predicted,
        ))
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        let (descriptor, data) = Vp9Descriptor::parse(payload)?;
        if data.is_empty() {
            return Err(invalid(WHAT, "no VP9 data"));
        }
        if !self.started && !descriptor.begins_picture() {
            return Err(invalid(
                WHAT,
                "picture does not begin with a layer frame start",
            ));
        }
        if descriptor.beginning_of_frame == self.in_layer_frame {
            return Err(invalid(
                WHAT,
                if self.in_layer_frame {
                    "layer frame begins before the previous one ended"
                } else {
                    "payload continues a layer frame that did not begin"
                },
            ));
        }
        if descriptor.beginning_of_frame
            && self.base_layer_start.is_none()
            && descriptor.layer.is_none_or(|l| l.spatial_id == 0)
        {
            self.base_layer_start = Some(frame.len());
        }
        self.started = true;
        self.in_layer_frame = !descriptor.end_of_frame;
        frame.extend_from_slice(data);
        Ok(())
    }

    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        let started = core::mem::replace(&mut self.started, false);
        let unfinished = core::mem::replace(&mut self.in_layer_frame, false);
        let base = self.base_layer_start.take();
        if !started {
            return Err(invalid(WHAT, "no payloads"));
        }
        if unfinished {
            return Err(invalid(WHAT, "last layer frame has no end (E)"));
        }
        // The frame header only tells keyframes apart: a frame whose header
        // does not parse is the decoder's to refuse.
        let keyframe = base
            .and_then(|at| frame.get(at..))
            .and_then(|base| Vp9FrameHeader::parse(base).ok())
            .is_some_and(|header| header.keyframe);
        Ok(FrameInfo::new(keyframe))
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn non_flexible_descriptor_with_scalability_structure() {
        // I (15-bit 0x0102), L, B, E, V; TID 1, U, SID 0, D 0; TL0PICIDX 9;
        // SS: 2 spatial layers with resolutions 320×180 and 640×360 and a
        // picture group of two pictures (T 0 referencing 1 back; T 1, U,
        // referencing 1 back).
        let bytes = hex("ae 8102 30 09
             38 0140 00b4 0280 0168 02 04 01 34 01");
        let mut payload = bytes.clone();
        payload.extend_from_slice(&[0xee, 0xff]);
        let (d, data) = Vp9Descriptor::parse(&payload).unwrap();
        assert_eq!(data, [0xee, 0xff]);
        assert_eq!(d.picture_id, Some(PictureId::Long(0x0102)));
        assert!(!d.inter_picture_predicted && !d.flexible_mode);
        assert!(d.beginning_of_frame && d.end_of_frame && !d.not_upper_reference);
        assert_eq!(
            d.layer,
            Some(Vp9LayerIndex {
                temporal_id: 1,
                switching_up_point: true,
                spatial_id: 0,
                inter_layer_dependency: false
            })
        );
        assert_eq!(d.tl0_pic_idx, Some(9));
        assert!(d.begins_picture());
        let ss = d.scalability_structure.unwrap();
        assert_eq!(ss.spatial_layers(), 2);
        let sizes: Vec<_> = ss.resolutions().unwrap().collect();
        assert_eq!(sizes, [(320, 180), (640, 360)]);
        let group: Vec<_> = ss.picture_group().unwrap().collect();
        assert_eq!(
            group,
            [
                PictureGroupEntry {
                    temporal_id: 0,
                    switching_up_point: false,
                    reference_diffs: &[1]
                },
                PictureGroupEntry {
                    temporal_id: 1,
                    switching_up_point: true,
                    reference_diffs: &[1]
                },
            ]
        );
        assert_eq!(d.encoded_len(), bytes.len());
        let mut out = [0u8; 32];
        assert_eq!(d.write_to(&mut out).unwrap(), bytes.len());
        assert_eq!(&out[..bytes.len()], &bytes[..]);
        // The same structure written from its parts.
        let mut ss_out = [0u8; 16];
        let len = ScalabilityStructure::write(2, Some(&sizes), Some(&group), &mut ss_out).unwrap();
        assert_eq!(&ss_out[..len], ss.as_bytes());
    }

    #[test]
    fn flexible_descriptor_with_references() {
        // I (7-bit 5), P, L, F, Z; TID 2, SID 1, D; references 1 and 3.
        let bytes = hex("f1 05 43 03 06");
        let (d, data) = Vp9Descriptor::parse(&bytes).unwrap();
        assert!(data.is_empty());
        assert!(d.flexible_mode && d.inter_picture_predicted && d.not_upper_reference);
        assert!(!d.beginning_of_frame && !d.begins_picture());
        assert_eq!(d.picture_id, Some(PictureId::Short(5)));
        assert_eq!(d.layer.unwrap().spatial_id, 1);
        assert!(d.layer.unwrap().inter_layer_dependency);
        assert_eq!(d.tl0_pic_idx, None);
        assert_eq!(d.reference_diffs.as_slice(), [1, 3]);
        let mut out = [0u8; 8];
        assert_eq!(d.write_to(&mut out).unwrap(), 5);
        assert_eq!(&out[..5], &bytes[..]);
        // Four references; a truncated reference list; a truncated SS.
        assert!(Vp9Descriptor::parse(&hex("d0 05 03 03 03 02")).is_err());
        assert!(Vp9Descriptor::parse(&hex("d0 05 03")).is_err());
        assert!(Vp9Descriptor::parse(&hex("0a 10 0140")).is_err());
        assert!(Vp9Descriptor::parse(&hex("a0 05")).is_err());
        // Flexible mode needs a picture id and, with P, references.
        let bad = Vp9Descriptor {
            flexible_mode: true,
            ..Vp9Descriptor::default()
        };
        assert!(bad.write_to(&mut out).is_err());
        let bad = Vp9Descriptor {
            flexible_mode: true,
            inter_picture_predicted: true,
            picture_id: Some(PictureId::Short(1)),
            ..Vp9Descriptor::default()
        };
        assert!(bad.write_to(&mut out).is_err());
        assert_eq!(ReferenceDiffs::new(&[1, 2, 3, 4]), None);
        assert_eq!(ReferenceDiffs::new(&[0]), None);
    }

    /// A VP9 profile 0 key frame header for 352×288 (as libvpx writes it),
    /// then filler.
    fn keyframe() -> Vec<u8> {
        let mut frame = hex("82 49 83 42 00 15 f0 11 f0");
        frame.resize(3000, 0x5a);
        frame
    }

    #[test]
    fn frame_headers() {
        let h = Vp9FrameHeader::parse(&keyframe()).unwrap();
        assert_eq!(
            h,
            Vp9FrameHeader {
                profile: 0,
                show_existing_frame: false,
                keyframe: true,
                size: Some((352, 288))
            }
        );
        // An interframe: frame type 1.
        let h = Vp9FrameHeader::parse(&hex("86 00")).unwrap();
        assert!(!h.keyframe && h.size.is_none());
        // Show an existing frame.
        assert!(
            Vp9FrameHeader::parse(&hex("88"))
                .unwrap()
                .show_existing_frame
        );
        assert!(Vp9FrameHeader::parse(&hex("42")).is_err());
        assert!(Vp9FrameHeader::parse(&hex("82 49 83 43 00")).is_err());
        assert!(Vp9FrameHeader::parse(&hex("82 49")).is_err());
    }

    #[test]
    fn key_frames_carry_their_resolution() {
        let frame = keyframe();
        let mut p = Vp9Packetizer::new().with_picture_id(PictureId::Long(0x7fff));
        let mut out = Payloads::new();
        p.packetize(&frame, 0, 1200, &mut out).unwrap();
        assert_eq!(out.len(), 3);
        let (first, _) = Vp9Descriptor::parse(out.get(0).unwrap().data).unwrap();
        assert!(first.begins_picture() && !first.inter_picture_predicted);
        let sizes: Vec<_> = first
            .scalability_structure
            .unwrap()
            .resolutions()
            .unwrap()
            .collect();
        assert_eq!(sizes, [(352, 288)]);
        let (last, _) = Vp9Descriptor::parse(out.get(2).unwrap().data).unwrap();
        assert!(last.end_of_frame && !last.beginning_of_frame);
        assert!(last.scalability_structure.is_none());
        let markers: Vec<_> = out.iter().map(|p| p.marker).collect();
        assert_eq!(markers, [false, false, true]);
        assert!(out.iter().all(|p| p.data.len() <= 1200));
        assert_eq!(p.next_picture_id(), PictureId::Long(0));

        let mut d = Vp9Depacketizer::new();
        assert!(d.payload_info(out.get(0).unwrap().data).unwrap().keyframe);
        let mut back = Vec::new();
        let info = d
            .depacketize_frame(out.iter().map(|p| p.data), &mut back)
            .unwrap();
        assert!(info.keyframe);
        assert_eq!(back, frame);

        // An interframe: P set, no SS.
        p.packetize(&hex("86 00 11 22"), 3000, 1200, &mut out)
            .unwrap();
        assert_eq!(out.get(0).unwrap().data, hex("cc 8000 86 00 11 22"));
    }

    #[test]
    fn spatial_layers_make_one_picture() {
        let mut p = Vp9Packetizer::new().flexible(true);
        let mut out = Payloads::new();
        let mut packets = Vec::new();
        let base = keyframe();
        let upper = hex("86 00 aa bb cc");
        for (sid, frame, end) in [(0, &base, false), (1, &upper, true)] {
            let layer = Vp9Layer {
                inter_picture_predicted: false,
                layer: Some(Vp9LayerIndex {
                    spatial_id: sid,
                    inter_layer_dependency: sid > 0,
                    ..Vp9LayerIndex::default()
                }),
                end_of_picture: end,
                ..Vp9Layer::default()
            };
            p.packetize_layer(frame, &layer, 1000, &mut out).unwrap();
            packets.extend(out.iter().map(|p| (p.data.to_vec(), p.marker)));
        }
        assert_eq!(packets.len(), 4 + 1);
        assert_eq!(packets.iter().filter(|(_, m)| *m).count(), 1);
        let mut d = Vp9Depacketizer::new();
        let starts: Vec<_> = packets
            .iter()
            .map(|(data, _)| d.payload_info(data).unwrap().start)
            .collect();
        assert_eq!(starts[0], Boundary::Yes);
        assert!(starts[1..].iter().all(|s| *s == Boundary::No));
        let mut back = Vec::new();
        let info = d
            .depacketize_frame(packets.iter().map(|(data, _)| &data[..]), &mut back)
            .unwrap();
        assert!(info.keyframe);
        assert_eq!(back, [&base[..], &upper[..]].concat());
        // Both layers share the picture id, and it advanced once.
        assert_eq!(p.next_picture_id(), PictureId::Long(1));
        // The base layer alone is a picture; a layer frame without its
        // first packet, without its middle or without its end is not.
        let mut back = Vec::new();
        assert!(
            d.depacketize_frame(packets[..4].iter().map(|(data, _)| &data[..]), &mut back)
                .is_ok()
        );
        let mut back = Vec::new();
        let skip_first_of_base = packets[1..].iter().map(|(data, _)| &data[..]);
        assert!(d.depacketize_frame(skip_first_of_base, &mut back).is_err());
        let mut back = Vec::new();
        let without_middle = [&packets[0].0[..], &packets[4].0[..]];
        assert!(d.depacketize_frame(without_middle, &mut back).is_err());
        let mut back = Vec::new();
        let unended = packets[..2].iter().map(|(data, _)| &data[..]);
        assert!(d.depacketize_frame(unended, &mut back).is_err());
    }
}
