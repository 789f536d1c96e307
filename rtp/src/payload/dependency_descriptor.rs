//! The Dependency Descriptor RTP header extension: which frame a packet
//! belongs to, where the frame begins and ends, and which frames and
//! decode targets (spatial and temporal layers) it depends on, without
//! looking at the payload. Sent with AV1 (and VP9 or H.264 with
//! scalability) by browsers; what a selective forwarder needs to drop
//! layers.
//!
//! The structure of templates arrives with the first packet of each
//! coded video sequence; later descriptors refer to a template by id. A
//! [`DependencyDescriptorReader`] keeps the last structure and reads each
//! descriptor against it. Reading allocates nothing; the caps below bound
//! what a structure may hold.
//!
//! <https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension>

use crate::error::{ParseError, invalid};
use crate::payload::bits::BitReader;

const WHAT: &str = "dependency descriptor";

/// Most decode targets (`dt_cnt_minus_one` has 5 bits).
pub const MAX_DECODE_TARGETS: usize = 32;
/// Most templates in a structure (template ids have 6 bits).
pub const MAX_TEMPLATES: usize = 64;
/// Most frame differences a template or a frame lists.
pub const MAX_FRAME_DIFFS: usize = 8;
/// Most spatial layers a structure describes.
pub const MAX_SPATIAL_LAYERS: usize = 4;

/// How a frame relates to a decode target (Table A.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DecodeTargetIndication {
    /// No payload for this decode target.
    NotPresent,
    /// Present and discardable.
    Discardable,
    /// Present, and a switch to this decode target is possible here.
    Switch,
    /// Present and required.
    Required,
}

impl DecodeTargetIndication {
    fn from_bits(bits: u8) -> Self {
        match bits & 0x03 {
            0 => Self::NotPresent,
            1 => Self::Discardable,
            2 => Self::Switch,
            _ => Self::Required,
        }
    }
}

/// The fields every descriptor carries, readable without the structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct MandatoryFields {
    /// The packet's payload begins a frame.
    pub start_of_frame: bool,
    /// The packet is the last of its frame.
    pub end_of_frame: bool,
    /// The template the frame follows.
    pub template_id: u8,
    /// The frame number (16 bits, increasing in decode order).
    pub frame_number: u16,
}

impl MandatoryFields {
    /// Reads the first three bytes of a descriptor.
    pub fn parse(descriptor: &[u8]) -> Result<Self, ParseError> {
        let Some(&[first, n0, n1]) = descriptor.first_chunk::<3>() else {
            return Err(ParseError::Truncated {
                what: WHAT,
                needed: 3,
                have: descriptor.len(),
            });
        };
        Ok(Self {
            start_of_frame: first & 0x80 != 0,
            end_of_frame: first & 0x40 != 0,
            template_id: first & 0x3f,
            frame_number: u16::from_be_bytes([n0, n1]),
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Template {
    spatial_id: u8,
    temporal_id: u8,
    dtis: [u8; MAX_DECODE_TARGETS],
    fdiffs: [u8; MAX_FRAME_DIFFS],
    fdiff_count: u8,
    chain_fdiffs: [u8; MAX_DECODE_TARGETS],
}

const EMPTY_TEMPLATE: Template = Template {
    spatial_id: 0,
    temporal_id: 0,
    dtis: [0; MAX_DECODE_TARGETS],
    fdiffs: [0; MAX_FRAME_DIFFS],
    fdiff_count: 0,
    chain_fdiffs: [0; MAX_DECODE_TARGETS],
};

/// A template dependency structure (§A.8.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateStructure {
    template_id_offset: u8,
    decode_target_count: u8,
    templates: [Template; MAX_TEMPLATES],
    template_count: u8,
    chain_count: u8,
    protected_by: [u8; MAX_DECODE_TARGETS],
    /// Render size per spatial layer, when sent.
    resolutions: Option<[(u16, u16); MAX_SPATIAL_LAYERS]>,
    max_spatial_id: u8,
}

impl TemplateStructure {
    /// Number of decode targets.
    pub fn decode_targets(&self) -> usize {
        usize::from(self.decode_target_count)
    }

    /// Number of templates.
    pub fn templates(&self) -> usize {
        usize::from(self.template_count)
    }

    /// Number of chains.
    pub fn chains(&self) -> usize {
        usize::from(self.chain_count)
    }

    /// The chain that protects decode target `index`.
    pub fn protected_by(&self, index: usize) -> Option<u8> {
        if index >= self.decode_targets() || self.chain_count == 0 {
            return None;
        }
        self.protected_by.get(index).copied()
    }

    /// The highest spatial and temporal layer of decode target `index`
    /// (its decode_target_layers).
    pub fn decode_target_layers(&self, index: usize) -> Option<(u8, u8)> {
        if index >= self.decode_targets() {
            return None;
        }
        let mut layers = (0, 0);
        for t in self.templates.iter().take(self.templates()) {
            if t.dtis.get(index).is_some_and(|&d| d != 0) {
                layers.0 = layers.0.max(t.spatial_id);
                layers.1 = layers.1.max(t.temporal_id);
            }
        }
        Some(layers)
    }

    /// Width and height of spatial layer `spatial_id`, when sent.
    pub fn resolution(&self, spatial_id: u8) -> Option<(u16, u16)> {
        if spatial_id > self.max_spatial_id {
            return None;
        }
        self.resolutions?.get(usize::from(spatial_id)).copied()
    }

    fn read(r: &mut BitReader<'_>) -> Result<Self, ParseError> {
        let mut s = Self {
            template_id_offset: r.bits(6)? as u8,
            decode_target_count: r.bits(5)? as u8 + 1,
            templates: [EMPTY_TEMPLATE; MAX_TEMPLATES],
            template_count: 0,
            chain_count: 0,
            protected_by: [0; MAX_DECODE_TARGETS],
            resolutions: None,
            max_spatial_id: 0,
        };
        let targets = s.decode_targets();
        // template_layers()
        let (mut spatial_id, mut temporal_id) = (0u8, 0u8);
        loop {
            let slot =
                s.templates
                    .get_mut(usize::from(s.template_count))
                    .ok_or(ParseError::TooMany {
                        what: "dependency descriptor templates",
                        limit: MAX_TEMPLATES,
                    })?;
            slot.spatial_id = spatial_id;
            slot.temporal_id = temporal_id;
            s.template_count += 1;
            match r.bits(2)? {
                0 => {}
                1 => temporal_id += 1,
                2 => {
                    temporal_id = 0;
                    spatial_id += 1;
                    if usize::from(spatial_id) >= MAX_SPATIAL_LAYERS {
                        return Err(ParseError::TooMany {
                            what: "dependency descriptor spatial layers",
                            limit: MAX_SPATIAL_LAYERS,
                        });
                    }
                }
                _ => break,
            }
        }
        s.max_spatial_id = spatial_id;
        let count = s.templates();
        // template_dtis()
        for t in s.templates.iter_mut().take(count) {
            for dti in t.dtis.iter_mut().take(targets) {
                *dti = r.bits(2)? as u8;
            }
        }
        // template_fdiffs()
        for t in s.templates.iter_mut().take(count) {
            while r.bit()? {
                let slot =
                    t.fdiffs
                        .get_mut(usize::from(t.fdiff_count))
                        .ok_or(ParseError::TooMany {
                            what: "dependency descriptor frame diffs",
                            limit: MAX_FRAME_DIFFS,
                        })?;
                *slot = r.bits(4)? as u8 + 1;
                t.fdiff_count += 1;
            }
        }
        // template_chains()
        s.chain_count = non_symmetric(r, targets as u32 + 1)? as u8;
        if s.chain_count > 0 {
            for protected in s.protected_by.iter_mut().take(targets) {
                *protected = non_symmetric(r, u32::from(s.chain_count))? as u8;
            }
            let chains = s.chains();
            for t in s.templates.iter_mut().take(count) {
                for fdiff in t.chain_fdiffs.iter_mut().take(chains) {
                    *fdiff = r.bits(4)? as u8;
                }
            }
        }
        // render_resolutions()
        if r.bit()? {
            let mut sizes = [(0, 0); MAX_SPATIAL_LAYERS];
            for size in sizes.iter_mut().take(usize::from(s.max_spatial_id) + 1) {
                *size = (r.bits(16)? as u16 + 1, r.bits(16)? as u16 + 1);
            }
            s.resolutions = Some(sizes);
        }
        Ok(s)
    }
}

/// `ns(n)`: a number below `n` in a non-symmetric code (§A.8.2).
fn non_symmetric(r: &mut BitReader<'_>, n: u32) -> Result<u32, ParseError> {
    let w = 32 - n.leading_zeros();
    let m = (1u32 << w) - n;
    let v = r.bits(w.saturating_sub(1))?;
    if v < m {
        return Ok(v);
    }
    let extra = u32::from(r.bit()?);
    Ok((v << 1) - m + extra)
}

/// What a descriptor says about its packet's frame, read against the
/// current structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameDependency {
    /// The mandatory fields.
    pub mandatory: MandatoryFields,
    /// The frame's spatial layer.
    pub spatial_id: u8,
    /// The frame's temporal layer.
    pub temporal_id: u8,
    /// The active decode targets (bit i for target i), when this
    /// descriptor sets them.
    pub active_decode_targets: Option<u32>,
    /// This descriptor carried a new template structure.
    pub new_structure: bool,
    /// The frame's render size, when the structure gives sizes.
    pub resolution: Option<(u16, u16)>,
    dtis: [u8; MAX_DECODE_TARGETS],
    decode_targets: u8,
    fdiffs: [u16; MAX_FRAME_DIFFS],
    fdiff_count: u8,
    chain_fdiffs: [u8; MAX_DECODE_TARGETS],
    chain_count: u8,
}

impl FrameDependency {
    /// How the frame relates to each decode target.
    pub fn decode_target_indications(&self) -> impl Iterator<Item = DecodeTargetIndication> + '_ {
        self.dtis
            .iter()
            .take(usize::from(self.decode_targets))
            .map(|&d| DecodeTargetIndication::from_bits(d))
    }

    /// The frames it references, as differences from its frame number.
    pub fn frame_diffs(&self) -> &[u16] {
        self.fdiffs
            .get(..usize::from(self.fdiff_count))
            .unwrap_or_default()
    }

    /// The frame numbers it references.
    pub fn referenced_frames(&self) -> impl Iterator<Item = u16> + '_ {
        let number = self.mandatory.frame_number;
        self.frame_diffs()
            .iter()
            .map(move |&d| number.wrapping_sub(d))
    }

    /// For each chain, the difference to the previous frame in it (0: none
    /// needed).
    pub fn chain_diffs(&self) -> &[u8] {
        self.chain_fdiffs
            .get(..usize::from(self.chain_count))
            .unwrap_or_default()
    }
}

/// Reads dependency descriptors of one stream, keeping the last template
/// structure.
///
/// ```
/// use sansrtc_rtp::payload::dependency_descriptor::DependencyDescriptorReader;
/// let mut reader = DependencyDescriptorReader::new();
/// // Without a structure, only the mandatory fields can be read.
/// assert!(reader.read(&[0xc1, 0x00, 0x07]).is_err());
/// ```
#[derive(Debug, Clone, Default)]
pub struct DependencyDescriptorReader {
    structure: Option<TemplateStructure>,
    active_decode_targets: Option<u32>,
}

impl DependencyDescriptorReader {
    /// A reader with no structure yet.
    pub const fn new() -> Self {
        Self {
            structure: None,
            active_decode_targets: None,
        }
    }

    /// The current template structure.
    pub fn structure(&self) -> Option<&TemplateStructure> {
        self.structure.as_ref()
    }

    /// The active decode targets, as last set.
    pub const fn active_decode_targets(&self) -> Option<u32> {
        self.active_decode_targets
    }

    /// Reads one descriptor (the extension element's data). A structure
    /// it carries replaces the current one, but only when the whole
    /// descriptor reads.
    pub fn read(&mut self, descriptor: &[u8]) -> Result<FrameDependency, ParseError> {
        let mandatory = MandatoryFields::parse(descriptor)?;
        let mut r = BitReader::new(descriptor.get(3..).unwrap_or_default(), WHAT);
        let mut new_structure = None;
        let mut active = None;
        let (mut custom_dtis, mut custom_fdiffs, mut custom_chains) = (false, false, false);
        if descriptor.len() > 3 {
            let structure_present = r.bit()?;
            let active_present = r.bit()?;
            custom_dtis = r.bit()?;
            custom_fdiffs = r.bit()?;
            custom_chains = r.bit()?;
            if structure_present {
                let s = TemplateStructure::read(&mut r)?;
                active = Some(low_bits(s.decode_targets()));
                new_structure = Some(s);
            }
            if active_present {
                let targets = new_structure
                    .as_ref()
                    .or(self.structure.as_ref())
                    .ok_or(invalid(WHAT, "no template structure yet"))?
                    .decode_targets();
                active = Some(r.bits(targets as u32)?);
            }
        }
        let structure = new_structure
            .as_ref()
            .or(self.structure.as_ref())
            .ok_or(invalid(WHAT, "no template structure yet"))?;
        let index = (usize::from(mandatory.template_id) + 64
            - usize::from(structure.template_id_offset))
            % 64;
        if index >= structure.templates() {
            return Err(invalid(WHAT, "unknown template id"));
        }
        let template = structure
            .templates
            .get(index)
            .ok_or(invalid(WHAT, "unknown template id"))?;
        let mut frame = FrameDependency {
            mandatory,
            spatial_id: template.spatial_id,
            temporal_id: template.temporal_id,
            active_decode_targets: active,
            new_structure: new_structure.is_some(),
            resolution: structure.resolution(template.spatial_id),
            dtis: template.dtis,
            decode_targets: structure.decode_target_count,
            fdiffs: [0; MAX_FRAME_DIFFS],
            fdiff_count: template.fdiff_count,
            chain_fdiffs: template.chain_fdiffs,
            chain_count: structure.chain_count,
        };
        for (slot, &d) in frame.fdiffs.iter_mut().zip(&template.fdiffs) {
            *slot = u16::from(d);
        }
        if custom_dtis {
            for dti in frame.dtis.iter_mut().take(structure.decode_targets()) {
                *dti = r.bits(2)? as u8;
            }
        }
        if custom_fdiffs {
            frame.fdiff_count = 0;
            loop {
                let size = r.bits(2)?;
                if size == 0 {
                    break;
                }
                let slot = frame.fdiffs.get_mut(usize::from(frame.fdiff_count)).ok_or(
                    ParseError::TooMany {
                        what: "dependency descriptor frame diffs",
                        limit: MAX_FRAME_DIFFS,
                    },
                )?;
                *slot = r.bits(4 * size)? as u16 + 1;
                frame.fdiff_count += 1;
            }
        }
        if custom_chains {
            for fdiff in frame.chain_fdiffs.iter_mut().take(structure.chains()) {
                *fdiff = r.bits(8)? as u8;
            }
        }
        if let Some(s) = new_structure {
            self.structure = Some(s);
        }
        if active.is_some() {
            self.active_decode_targets = active;
        }
        Ok(frame)
    }
}

fn low_bits(count: usize) -> u32 {
    if count >= 32 {
        u32::MAX
    } else {
        (1u32 << count) - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    /// Writes bits most significant first, as the descriptor syntax reads
    /// them (for building test vectors from the syntax).
    #[derive(Default)]
    struct Bits {
        bytes: Vec<u8>,
        len: usize,
    }

    impl Bits {
        fn put(&mut self, n: u32, value: u32) -> &mut Self {
            for i in (0..n).rev() {
                if self.len % 8 == 0 {
                    self.bytes.push(0);
                }
                if (value >> i) & 1 == 1 {
                    let last = self.bytes.last_mut().unwrap();
                    *last |= 0x80 >> (self.len % 8);
                }
                self.len += 1;
            }
            self
        }

        /// `write_ns(n, v)` of §A.8.2.
        fn ns(&mut self, n: u32, v: u32) -> &mut Self {
            if n == 1 {
                return self;
            }
            let w = 32 - n.leading_zeros();
            let m = (1 << w) - n;
            if v < m {
                self.put(w - 1, v)
            } else {
                self.put(w, v + m)
            }
        }
    }

    /// An L1T3-like structure: 3 decode targets, 5 templates, 1 chain,
    /// a 640×360 render size; the frame uses template 1.
    fn with_structure() -> Vec<u8> {
        let mut b = Bits::default();
        // Mandatory: start and end of frame, template id 1, frame 100.
        b.put(1, 1).put(1, 1).put(6, 1).put(16, 100);
        // Extended: structure present, no active targets, no custom
        // fields.
        b.put(1, 1).put(1, 0).put(1, 0).put(1, 0).put(1, 0);
        // template_id_offset 0, three decode targets.
        b.put(6, 0).put(5, 2);
        // Layers: (0,0) (0,0) (0,1) (0,2) (0,2).
        b.put(2, 0).put(2, 1).put(2, 1).put(2, 0).put(2, 3);
        // DTIs, per template.
        for dtis in [[2, 2, 2], [3, 3, 3], [0, 3, 3], [0, 0, 1], [0, 0, 1]] {
            for d in dtis {
                b.put(2, d);
            }
        }
        // Frame diffs: none, [4], [2], [1], [1, 3].
        for fdiffs in [&[][..], &[4], &[2], &[1], &[1, 3]] {
            for &d in fdiffs {
                b.put(1, 1).put(4, d - 1);
            }
            b.put(1, 0);
        }
        // One chain protecting every target; chain diffs per template.
        b.ns(4, 1);
        for _ in 0..3 {
            b.ns(1, 0);
        }
        for d in [0, 4, 2, 1, 3] {
            b.put(4, d);
        }
        // Resolutions: 640×360.
        b.put(1, 1).put(16, 639).put(16, 359);
        b.bytes
    }

    #[test]
    fn a_structure_then_frames_that_refer_to_it() {
        let mut reader = DependencyDescriptorReader::new();
        let first = reader.read(&with_structure()).unwrap();
        assert!(first.new_structure);
        assert_eq!(
            first.mandatory,
            MandatoryFields {
                start_of_frame: true,
                end_of_frame: true,
                template_id: 1,
                frame_number: 100
            }
        );
        assert_eq!((first.spatial_id, first.temporal_id), (0, 0));
        assert_eq!(first.frame_diffs(), [4]);
        assert_eq!(first.referenced_frames().collect::<Vec<_>>(), [96]);
        assert_eq!(first.chain_diffs(), [4]);
        assert_eq!(first.active_decode_targets, Some(0b111));
        assert_eq!(first.resolution, Some((640, 360)));
        assert!(
            first
                .decode_target_indications()
                .all(|d| d == DecodeTargetIndication::Required)
        );
        let s = reader.structure().unwrap();
        assert_eq!((s.decode_targets(), s.templates(), s.chains()), (3, 5, 1));
        assert_eq!(s.protected_by(2), Some(0));
        assert_eq!(s.decode_target_layers(0), Some((0, 0)));
        assert_eq!(s.decode_target_layers(1), Some((0, 1)));
        assert_eq!(s.decode_target_layers(2), Some((0, 2)));

        // Mandatory fields only: template 4, frame 101, start, not end.
        let frame = reader.read(&[0x84, 0x00, 0x65]).unwrap();
        assert!(!frame.new_structure);
        assert_eq!((frame.spatial_id, frame.temporal_id), (0, 2));
        assert_eq!(frame.referenced_frames().collect::<Vec<_>>(), [100, 98]);
        let dtis: Vec<_> = frame.decode_target_indications().collect();
        assert_eq!(
            dtis,
            [
                DecodeTargetIndication::NotPresent,
                DecodeTargetIndication::NotPresent,
                DecodeTargetIndication::Discardable
            ]
        );

        // Custom DTIs, frame diffs and chains, and active targets.
        let mut b = Bits::default();
        b.put(1, 0).put(1, 1).put(6, 2).put(16, 0xffff);
        b.put(1, 0).put(1, 1).put(1, 1).put(1, 1).put(1, 1);
        b.put(3, 0b011);
        b.put(2, 1).put(2, 2).put(2, 3);
        b.put(2, 1).put(4, 5).put(2, 2).put(8, 255).put(2, 0);
        b.put(8, 7);
        let frame = reader.read(&b.bytes).unwrap();
        assert_eq!(frame.mandatory.frame_number, 0xffff);
        assert_eq!(frame.frame_diffs(), [6, 256]);
        assert_eq!(frame.chain_diffs(), [7]);
        assert_eq!(frame.active_decode_targets, Some(0b011));
        assert_eq!(reader.active_decode_targets(), Some(0b011));
        assert_eq!(
            frame.decode_target_indications().collect::<Vec<_>>(),
            [
                DecodeTargetIndication::Discardable,
                DecodeTargetIndication::Switch,
                DecodeTargetIndication::Required
            ]
        );
    }

    #[test]
    fn bad_descriptors_are_refused() {
        let mut reader = DependencyDescriptorReader::new();
        assert!(reader.read(&[0x80, 0x00]).is_err());
        assert!(reader.read(&[0x80, 0x00, 0x01]).is_err());
        reader.read(&with_structure()).unwrap();
        // Template 5 is past the five templates.
        assert!(reader.read(&[0x85, 0x00, 0x01]).is_err());
        // A truncated structure leaves the old one in place.
        let mut cut = with_structure();
        cut.truncate(8);
        assert!(reader.read(&cut).is_err());
        assert_eq!(reader.structure().unwrap().templates(), 5);
        // Too many templates: 65 layers of next_layer_idc 0.
        let mut b = Bits::default();
        b.put(8, 0x80)
            .put(16, 0)
            .put(5, 0b10000)
            .put(6, 0)
            .put(5, 0);
        for _ in 0..65 {
            b.put(2, 0);
        }
        assert!(matches!(
            reader.read(&b.bytes),
            Err(ParseError::TooMany { .. })
        ));
        // Too many frame diffs in a template.
        let mut b = Bits::default();
        b.put(8, 0x80)
            .put(16, 0)
            .put(5, 0b10000)
            .put(6, 0)
            .put(5, 0);
        b.put(2, 3).put(2, 3);
        for _ in 0..=MAX_FRAME_DIFFS {
            b.put(1, 1).put(4, 0);
        }
        b.put(1, 0).put(8, 0);
        assert!(matches!(
            reader.read(&b.bytes),
            Err(ParseError::TooMany { .. })
        ));
    }

    #[test]
    fn non_symmetric_numbers() {
        // The table of §A.8.2 for n = 5: 00, 01, 10, 110, 111.
        for (bits, len, value) in [
            (0b00u32, 2, 0),
            (0b01, 2, 1),
            (0b10, 2, 2),
            (0b110, 3, 3),
            (0b111, 3, 4),
        ] {
            let mut b = Bits::default();
            b.put(len, bits).put(8 - len, 0);
            let mut r = BitReader::new(&b.bytes, "test");
            assert_eq!(non_symmetric(&mut r, 5).unwrap(), value);
            let mut w = Bits::default();
            w.ns(5, value).put(8 - len, 0);
            assert_eq!(w.bytes, b.bytes);
        }
    }
}
