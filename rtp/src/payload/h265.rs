//! H.265 (HEVC) over RTP: single NAL unit packets, aggregation packets
//! (AP) and fragmentation units (FU).
//!
//! ```text
//! NAL unit header: +---------------+---------------+
//!                  |0|1|2|3|4|5|6|7|0|1|2|3|4|5|6|7|
//!                  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//!                  |F|   Type    |  LayerId  | TID |
//!                  +-------------+-----------------+
//! AP: payload header (type 48), then (16-bit size, NAL unit) repeated
//! FU: payload header (type 49), FU header (S, E, FuType), fragment
//! ```
//!
//! Frames are access units in Annex B format. A receiver reports a
//! keyframe only for an access unit with a VPS, an SPS, a PPS and an IRAP
//! picture (IDR, CRA or BLA). Decoding order numbers (DONL/DOND, present
//! only when `sprop-max-don-diff` is above 0) are not supported; neither
//! are PACI packets.
//!
//! <https://www.rfc-editor.org/rfc/rfc7798#section-4.4>

use alloc::vec::Vec;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::payload::h264::annex_b_nal_units;
use crate::payload::{
    Boundary, Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, Sink, balanced_split,
    check_max_payload_len,
};

const WHAT: &str = "H.265 payload";

/// NAL unit types that matter to RTP (H.265 Table 7-1, RFC 7798 §4.4).
pub mod nal_type {
    /// First IRAP type (BLA_W_LP); IRAP pictures are types 16 to 23.
    pub const BLA_W_LP: u8 = 16;
    /// IDR picture with leading pictures.
    pub const IDR_W_RADL: u8 = 19;
    /// IDR picture without leading pictures.
    pub const IDR_N_LP: u8 = 20;
    /// Clean random access picture.
    pub const CRA_NUT: u8 = 21;
    /// Last IRAP type (reserved).
    pub const RSV_IRAP_23: u8 = 23;
    /// Video parameter set.
    pub const VPS: u8 = 32;
    /// Sequence parameter set.
    pub const SPS: u8 = 33;
    /// Picture parameter set.
    pub const PPS: u8 = 34;
    /// Access unit delimiter.
    pub const AUD: u8 = 35;
    /// Filler data.
    pub const FD: u8 = 38;
    /// Prefix SEI.
    pub const PREFIX_SEI: u8 = 39;
    /// Suffix SEI.
    pub const SUFFIX_SEI: u8 = 40;
    /// Aggregation packet.
    pub const AP: u8 = 48;
    /// Fragmentation unit.
    pub const FU: u8 = 49;
    /// PAyload Content Information.
    pub const PACI: u8 = 50;
}

/// The type of the NAL unit whose header starts with `first_byte`.
pub const fn nal_unit_type(first_byte: u8) -> u8 {
    (first_byte >> 1) & 0x3f
}

/// Whether a NAL unit type is an IRAP picture (a random access point).
pub const fn is_irap(nal_type: u8) -> bool {
    nal_type >= nal_type::BLA_W_LP && nal_type <= nal_type::RSV_IRAP_23
}

fn unit_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0xff, |&b| nal_unit_type(b))
}

/// A checked view over an H.265 RTP payload.
///
/// <https://www.rfc-editor.org/rfc/rfc7798#section-4.4>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H265Payload<'a> {
    /// A single NAL unit (types 0 to 47), header included.
    Single(&'a [u8]),
    /// An aggregation packet: several NAL units of one access unit.
    Aggregation(AggregationPacket<'a>),
    /// A fragment of one NAL unit.
    Fragment(FragmentationUnit<'a>),
}

impl<'a> H265Payload<'a> {
    /// Reads a payload; refuses PACI, unspecified types, nested
    /// aggregation or fragmentation and lengths that do not add up.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let Some(&[first, _]) = payload.first_chunk::<2>() else {
            return Err(ParseError::Truncated {
                what: WHAT,
                needed: 2,
                have: payload.len(),
            });
        };
        match nal_unit_type(first) {
            0..=47 => Ok(Self::Single(payload)),
            nal_type::AP => AggregationPacket::parse(payload).map(Self::Aggregation),
            nal_type::FU => FragmentationUnit::parse(payload).map(Self::Fragment),
            nal_type::PACI => Err(invalid(WHAT, "PACI packets are not supported")),
            _ => Err(invalid(WHAT, "unspecified NAL unit type")),
        }
    }
}

/// A checked view over an aggregation packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AggregationPacket<'a> {
    header: [u8; 2],
    units: &'a [u8],
}

impl<'a> AggregationPacket<'a> {
    fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(payload, "H.265 AP");
        let header = r.array::<2>()?;
        let units = r.rest();
        if r.is_empty() {
            return Err(invalid("H.265 AP", "no NAL units"));
        }
        while !r.is_empty() {
            let size = usize::from(r.u16()?);
            let nal = r.take(size)?;
            if nal.len() < 2 {
                return Err(invalid("H.265 AP", "NAL unit shorter than its header"));
            }
            if unit_type(nal) > 47 {
                return Err(invalid(
                    "H.265 AP",
                    "aggregated unit is not a single NAL unit",
                ));
            }
        }
        Ok(Self { header, units })
    }

    /// The payload header (F, type 48, the lowest LayerId and TID).
    pub const fn header(&self) -> [u8; 2] {
        self.header
    }

    /// The aggregated NAL units, headers included.
    pub fn nal_units(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.units, "H.265 AP");
        core::iter::from_fn(move || {
            let size = usize::from(r.u16().ok()?);
            r.take(size).ok()
        })
    }
}

/// A checked view over a fragmentation unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FragmentationUnit<'a> {
    header: [u8; 2],
    fu_header: u8,
    fragment: &'a [u8],
}

impl<'a> FragmentationUnit<'a> {
    fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(payload, "H.265 FU");
        let header = r.array::<2>()?;
        let fu_header = r.u8()?;
        let fragment = r.rest();
        if fu_header & 0xc0 == 0xc0 {
            return Err(invalid("H.265 FU", "start and end bits both set"));
        }
        if fu_header & 0x3f > 47 {
            return Err(invalid(
                "H.265 FU",
                "fragmented unit is not a single NAL unit",
            ));
        }
        if fragment.is_empty() {
            return Err(invalid("H.265 FU", "empty fragment"));
        }
        Ok(Self {
            header,
            fu_header,
            fragment,
        })
    }

    /// S: the first fragment.
    pub const fn is_start(&self) -> bool {
        self.fu_header & 0x80 != 0
    }

    /// E: the last fragment.
    pub const fn is_end(&self) -> bool {
        self.fu_header & 0x40 != 0
    }

    /// The type of the fragmented NAL unit (FuType).
    pub const fn nal_unit_type(&self) -> u8 {
        self.fu_header & 0x3f
    }

    /// The header of the fragmented NAL unit: the payload header with the
    /// type replaced by FuType.
    pub const fn nal_unit_header(&self) -> [u8; 2] {
        let [first, second] = self.header;
        [(first & 0x81) | (self.nal_unit_type() << 1), second]
    }

    /// The fragment.
    pub const fn fragment(&self) -> &'a [u8] {
        self.fragment
    }
}

/// Packetizes H.265 access units in Annex B format.
///
/// Consecutive NAL units that fit together go in one aggregation packet
/// (so VPS, SPS and PPS travel with a small picture), a NAL unit too
/// large for one payload is split into fragmentation units of even size,
/// and the others go alone. Access unit delimiters and filler data are not
/// sent. With [`with_parameter_sets`](Self::with_parameter_sets), the last
/// VPS, SPS and PPS seen are sent again in front of an IRAP picture whose
/// access unit lacks them.
#[derive(Debug, Clone, Default)]
pub struct H265Packetizer {
    repeat_parameter_sets: bool,
    /// The last VPS, SPS and PPS.
    parameter_sets: [Vec<u8>; 3],
}

impl H265Packetizer {
    /// A packetizer.
    pub const fn new() -> Self {
        Self {
            repeat_parameter_sets: false,
            parameter_sets: [Vec::new(), Vec::new(), Vec::new()],
        }
    }

    /// Sends the last VPS, SPS and PPS again before an IRAP picture whose
    /// access unit lacks them.
    pub const fn with_parameter_sets(mut self, repeat: bool) -> Self {
        self.repeat_parameter_sets = repeat;
        self
    }
}

impl Packetizer for H265Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        _timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        let units = || {
            annex_b_nal_units(frame)
                .filter(|nal| !matches!(unit_type(nal), nal_type::AUD | nal_type::FD))
        };
        let mut present = [false; 3];
        let mut has_irap = false;
        for nal in units() {
            let t = unit_type(nal);
            if nal.len() < 2 {
                return Err(write_invalid(WHAT, "NAL unit shorter than its header"));
            }
            if t > 47 {
                return Err(write_invalid(WHAT, "NAL unit type reserved for RTP"));
            }
            if (nal_type::VPS..=nal_type::PPS).contains(&t) {
                let index = usize::from(t - nal_type::VPS);
                if let Some(seen) = present.get_mut(index) {
                    *seen = true;
                }
                if let (true, Some(cache)) = (
                    self.repeat_parameter_sets,
                    self.parameter_sets.get_mut(index),
                ) {
                    cache.clear();
                    cache.extend_from_slice(nal);
                }
            }
            has_irap |= is_irap(t);
        }
        let insert = self.repeat_parameter_sets && has_irap;
        let missing = self
            .parameter_sets
            .iter()
            .zip(present)
            .filter(|(cache, seen)| insert && !seen && !cache.is_empty())
            .map(|(cache, _)| cache.as_slice());
        let result = packetize_nal_units(missing.chain(units()), max_payload_len, out);
        if result.is_err() {
            out.clear();
        }
        result
    }
}

fn packetize_nal_units<'n>(
    units: impl Iterator<Item = &'n [u8]>,
    max_payload_len: usize,
    out: &mut Payloads,
) -> Result<(), WriteError> {
    check_max_payload_len(WHAT, max_payload_len, 4)?;
    let mut units = units.peekable();
    while let Some(nal) = units.next() {
        let Some((&[first, second], body)) = nal.split_first_chunk::<2>() else {
            return Err(write_invalid(WHAT, "NAL unit shorter than its header"));
        };
        if nal.len() > max_payload_len {
            // FU: payload header (type 49), FU header, even fragments.
            let header = [(first & 0x81) | (nal_type::FU << 1), second];
            let mut rest = body;
            let mut start = true;
            for size in balanced_split(body.len(), max_payload_len - 3) {
                let (chunk, tail) = rest.split_at_checked(size).unwrap_or((rest, &[]));
                rest = tail;
                out.extend(&header);
                out.put(u8::from(start) << 7 | u8::from(rest.is_empty()) << 6 | unit_type(nal));
                out.extend(chunk);
                out.close(false);
                start = false;
            }
            continue;
        }
        // An AP gives each unit a 16-bit size.
        let fits_with_next = |next: &&[u8]| {
            nal.len() <= usize::from(u16::MAX)
                && next.len() >= 2
                && next.len() <= usize::from(u16::MAX)
                && 2 + 2 + nal.len() + 2 + next.len() <= max_payload_len
        };
        if units.peek().is_some_and(fits_with_next) {
            // AP: F is the OR of the units' F bits, LayerId and TID the
            // lowest.
            let layer = |b0: u8, b1: u8| (u16::from(b0 & 0x01) << 5) | u16::from(b1 >> 3);
            let mut forbidden = first & 0x80;
            let mut layer_id = layer(first, second);
            let mut tid = second & 0x07;
            out.extend(&[0, 0]);
            out.extend(&(nal.len() as u16).to_be_bytes());
            out.extend(nal);
            let mut len = 2 + 2 + nal.len();
            while let Some(next) = units.next_if(|next| {
                next.len() >= 2
                    && next.len() <= usize::from(u16::MAX)
                    && len + 2 + next.len() <= max_payload_len
            }) {
                if let Some(&[b0, b1]) = next.first_chunk::<2>() {
                    forbidden |= b0 & 0x80;
                    layer_id = layer_id.min(layer(b0, b1));
                    tid = tid.min(b1 & 0x07);
                }
                out.extend(&(next.len() as u16).to_be_bytes());
                out.extend(next);
                len += 2 + next.len();
            }
            if let Some(header) = out.open_mut().first_chunk_mut::<2>() {
                *header = [
                    forbidden | (nal_type::AP << 1) | (layer_id >> 5) as u8,
                    ((layer_id & 0x1f) as u8) << 3 | tid,
                ];
            }
            out.close(false);
            continue;
        }
        out.extend(nal);
        out.close(false);
    }
    if out.is_empty() {
        return Err(write_invalid(WHAT, "no NAL units in the access unit"));
    }
    out.mark_last();
    Ok(())
}

/// Reads H.265 payloads back into access units in Annex B format (a
/// 4-byte start code in front of each NAL unit).
#[derive(Debug, Clone, Default)]
pub struct H265Depacketizer {
    fragment_type: Option<u8>,
    /// VPS, SPS, PPS seen.
    parameter_sets: [bool; 3],
    has_irap: bool,
    started: bool,
}

const START_CODE: [u8; 4] = [0, 0, 0, 1];

impl H265Depacketizer {
    /// A depacketizer between access units.
    pub const fn new() -> Self {
        Self {
            fragment_type: None,
            parameter_sets: [false; 3],
            has_irap: false,
            started: false,
        }
    }

    fn note(&mut self, t: u8) {
        if let Some(seen) = t
            .checked_sub(nal_type::VPS)
            .and_then(|i| self.parameter_sets.get_mut(usize::from(i)))
        {
            *seen = true;
        }
        self.has_irap |= is_irap(t);
    }

    fn push_unit(&mut self, nal: &[u8], frame: &mut Vec<u8>) {
        frame.extend_from_slice(&START_CODE);
        frame.extend_from_slice(nal);
        self.note(unit_type(nal));
    }
}

/// Whether a NAL unit can be the first of an access unit.
fn start_hint(t: u8, after_header: Option<u8>) -> Boundary {
    match t {
        nal_type::AUD => Boundary::Yes,
        nal_type::VPS | nal_type::SPS | nal_type::PPS | nal_type::PREFIX_SEI => Boundary::Maybe,
        // first_slice_segment_in_pic_flag.
        0..=31 => match after_header {
            Some(b) if b & 0x80 != 0 => Boundary::Maybe,
            _ => Boundary::No,
        },
        _ => Boundary::No,
    }
}

fn keyframe_hint(t: u8) -> bool {
    is_irap(t) || t == nal_type::VPS || t == nal_type::SPS
}

impl Depacketizer for H265Depacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        let (start, end, keyframe) = match H265Payload::parse(payload)? {
            H265Payload::Single(nal) => (
                start_hint(unit_type(nal), nal.get(2).copied()),
                Boundary::Maybe,
                keyframe_hint(unit_type(nal)),
            ),
            H265Payload::Aggregation(ap) => {
                let first = ap.nal_units().next().unwrap_or_default();
                (
                    start_hint(unit_type(first), first.get(2).copied()),
                    Boundary::Maybe,
                    ap.nal_units().any(|nal| keyframe_hint(unit_type(nal))),
                )
            }
            H265Payload::Fragment(fu) => (
                if fu.is_start() {
                    start_hint(fu.nal_unit_type(), fu.fragment().first().copied())
                } else {
                    Boundary::No
                },
                if fu.is_end() {
                    Boundary::Maybe
                } else {
                    Boundary::No
                },
                fu.is_start() && is_irap(fu.nal_unit_type()),
            ),
        };
        Ok(PayloadInfo::new(start, end, keyframe))
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        let parsed = H265Payload::parse(payload)?;
        self.started = true;
        match parsed {
            H265Payload::Single(nal) => {
                if self.fragment_type.is_some() {
                    return Err(invalid(WHAT, "fragmented NAL unit left unfinished"));
                }
                self.push_unit(nal, frame);
            }
            H265Payload::Aggregation(ap) => {
                if self.fragment_type.is_some() {
                    return Err(invalid(WHAT, "fragmented NAL unit left unfinished"));
                }
                for nal in ap.nal_units() {
                    self.push_unit(nal, frame);
                }
            }
            H265Payload::Fragment(fu) => {
                if fu.is_start() {
                    if self.fragment_type.is_some() {
                        return Err(invalid(WHAT, "fragmented NAL unit left unfinished"));
                    }
                    frame.extend_from_slice(&START_CODE);
                    frame.extend_from_slice(&fu.nal_unit_header());
                    self.note(fu.nal_unit_type());
                    self.fragment_type = Some(fu.nal_unit_type());
                } else if self.fragment_type != Some(fu.nal_unit_type()) {
                    return Err(invalid(WHAT, "FU continues a unit that did not start"));
                }
                frame.extend_from_slice(fu.fragment());
                if fu.is_end() {
                    self.fragment_type = None;
                }
            }
        }
        Ok(())
    }

    fn finish_frame(&mut self, _frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        let state = core::mem::take(self);
        if !state.started {
            return Err(invalid(WHAT, "no payloads"));
        }
        if state.fragment_type.is_some() {
            return Err(invalid(
                WHAT,
                "access unit ends inside a fragmented NAL unit",
            ));
        }
        Ok(FrameInfo::new(
            state.has_irap && state.parameter_sets.iter().all(|&seen| seen),
        ))
    }

    fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    const VPS: &str = "4001 0c01ffff";
    const SPS: &str = "4201 0101 6001";
    const PPS: &str = "4401 c172b4";
    // IDR_W_RADL, first_slice_segment_in_pic_flag set.
    const IDR: &str = "2601 af06b8";

    fn annex_b(units: &[&str]) -> Vec<u8> {
        units
            .iter()
            .flat_map(|u| [&START_CODE[..], &hex(u)].concat())
            .collect()
    }

    #[test]
    fn headers_and_types() {
        assert_eq!(nal_unit_type(0x40), nal_type::VPS);
        assert_eq!(nal_unit_type(0x26), nal_type::IDR_W_RADL);
        assert!(is_irap(nal_type::CRA_NUT) && !is_irap(1));
        // An FU of an IDR_W_RADL unit with LayerId 0, TID 1.
        let bytes = hex("6201 93 aabb");
        let H265Payload::Fragment(fu) = H265Payload::parse(&bytes).unwrap() else {
            panic!("not an FU");
        };
        assert!(fu.is_start() && !fu.is_end());
        assert_eq!(fu.nal_unit_type(), nal_type::IDR_W_RADL);
        assert_eq!(fu.nal_unit_header(), [0x26, 0x01]);
        assert_eq!(fu.fragment(), hex("aabb"));
        for bad in [
            "62",             // short header
            "6201",           // no FU header
            "6201 93",        // empty fragment
            "6201 d3 aa",     // S and E
            "6201 b0 aa",     // FuType 48
            "6001",           // AP without units
            "6001 0005 4001", // unit past the end
            "6001 0001 40",   // unit shorter than its header
            "6001 0002 6001", // nested AP
            "6401 00",        // PACI
            "7e01 00",        // unspecified type 63
        ] {
            assert!(H265Payload::parse(&hex(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn parameter_sets_and_idr_share_an_aggregation_packet() {
        let au = annex_b(&[VPS, PPS, SPS, IDR]);
        let mut out = Payloads::new();
        H265Packetizer::new()
            .packetize(&au, 0, 1200, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        let payload = out.get(0).unwrap();
        assert!(payload.marker);
        assert_eq!(
            payload.data,
            hex("6001 0006 40010c01ffff 0005 4401c172b4 0006 420101016001 0005 2601af06b8")
        );
        let mut d = H265Depacketizer::new();
        let info = d.payload_info(payload.data).unwrap();
        assert_eq!(info.start, Boundary::Maybe);
        assert!(info.keyframe);
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame([payload.data], &mut frame)
                .unwrap()
                .keyframe
        );
        assert_eq!(frame, au);
    }

    #[test]
    fn large_units_are_fragmented() {
        let mut idr = hex("2601 af");
        idr.resize(30, 0x3c);
        let au = [&START_CODE[..], &idr].concat();
        let mut out = Payloads::new();
        H265Packetizer::new()
            .packetize(&au, 0, 13, &mut out)
            .unwrap();
        // 28 bytes after the header, at most 10 per FU: 10, 9 and 9.
        let sizes: Vec<_> = out.iter().map(|p| p.data.len()).collect();
        assert_eq!(sizes, [13, 12, 12]);
        assert_eq!(&out.get(0).unwrap().data[..3], hex("6201 93"));
        assert_eq!(&out.get(1).unwrap().data[..3], hex("6201 13"));
        assert_eq!(&out.get(2).unwrap().data[..3], hex("6201 53"));
        let mut d = H265Depacketizer::new();
        let mut frame = Vec::new();
        let info = d
            .depacketize_frame(out.iter().map(|p| p.data), &mut frame)
            .unwrap();
        // An IDR without parameter sets: not a place to start decoding.
        assert!(!info.keyframe);
        assert_eq!(frame, au);
        let p: Vec<_> = out.iter().map(|p| p.data).collect();
        assert!(d.depacketize_frame([p[0], p[2], p[1]], &mut frame).is_err());
        assert!(d.depacketize_frame([p[1], p[2]], &mut frame).is_err());
        assert!(d.depacketize_frame([p[0], p[1]], &mut frame).is_err());
    }

    #[test]
    fn parameter_sets_are_repeated_when_asked() {
        let mut p = H265Packetizer::new().with_parameter_sets(true);
        let mut out = Payloads::new();
        let mut d = H265Depacketizer::new();
        p.packetize(
            &annex_b(&["4601 50", VPS, SPS, PPS, IDR]),
            0,
            1200,
            &mut out,
        )
        .unwrap();
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame(out.iter().map(|p| p.data), &mut frame)
                .unwrap()
                .keyframe
        );
        assert_eq!(frame, annex_b(&[VPS, SPS, PPS, IDR]));
        p.packetize(&annex_b(&[IDR]), 3000, 1200, &mut out).unwrap();
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame(out.iter().map(|p| p.data), &mut frame)
                .unwrap()
                .keyframe
        );
        assert_eq!(frame, annex_b(&[VPS, SPS, PPS, IDR]));
        // A trailing picture: no parameter sets, starts a frame only with
        // first_slice_segment_in_pic_flag.
        p.packetize(&annex_b(&["0201 d0"]), 6000, 1200, &mut out)
            .unwrap();
        assert_eq!(out.get(0).unwrap().data, hex("0201 d0"));
        assert_eq!(
            d.payload_info(&hex("0201 d0")).unwrap().start,
            Boundary::Maybe
        );
        assert_eq!(d.payload_info(&hex("0201 50")).unwrap().start, Boundary::No);
        assert_eq!(
            d.payload_info(&hex("4601 50")).unwrap().start,
            Boundary::Yes
        );
        assert!(p.packetize(&hex("000001 4601"), 0, 1200, &mut out).is_err());
        assert!(p.packetize(&annex_b(&["40"]), 0, 1200, &mut out).is_err());
        assert!(
            p.packetize(&annex_b(&["6001 0002 4001"]), 0, 1200, &mut out)
                .is_err()
        );
    }
}
