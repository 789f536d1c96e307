//! H.264 over RTP: single NAL unit packets, STAP-A aggregation and FU-A
//! fragmentation, in packetization mode 0 (single NAL unit) and 1
//! (non-interleaved).
//!
//! ```text
//! NAL unit header:  +---------------+
//!                   |0|1|2|3|4|5|6|7|
//!                   +-+-+-+-+-+-+-+-+
//!                   |F|NRI|  Type   |
//!                   +---------------+
//! STAP-A: header (type 24), then (16-bit size, NAL unit) repeated
//! FU-A:   indicator (F, NRI, type 28), header (S, E, R, type), fragment
//! ```
//!
//! Frames are access units in Annex B byte stream format (start codes in
//! front of each NAL unit), which is what encoders write and decoders
//! read. A receiver reports a keyframe only for an access unit that holds
//! an SPS, a PPS and an IDR slice: what a decoder needs to start.
//!
//! <https://www.rfc-editor.org/rfc/rfc6184#section-5>
//!
//! ```
//! use sansrtc_rtp::payload::{Depacketizer, Packetizer, Payloads};
//! use sansrtc_rtp::payload::h264::{H264Depacketizer, H264Packetizer};
//!
//! // SPS, PPS and an IDR slice, in Annex B.
//! let access_unit = [
//!     0, 0, 0, 1, 0x67, 0x42, 0xc0, 0x1f, 0, 0, 0, 1, 0x68, 0xce, 0x3c, 0x80,
//!     0, 0, 0, 1, 0x65, 0x88, 0x84, 0x00, 0x33, 0xff,
//! ];
//! let mut payloads = Payloads::new();
//! H264Packetizer::new().packetize(&access_unit, 0, 1200, &mut payloads).unwrap();
//! assert_eq!(payloads.len(), 1); // one STAP-A
//! let mut frame = Vec::new();
//! let info = H264Depacketizer::new()
//!     .depacketize_frame(payloads.iter().map(|p| p.data), &mut frame)
//!     .unwrap();
//! assert!(info.keyframe);
//! assert_eq!(frame, access_unit);
//! ```

use alloc::vec::Vec;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::payload::{
    Boundary, Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, Sink, balanced_split,
    check_max_payload_len,
};

const WHAT: &str = "H.264 payload";

/// NAL unit types that matter to RTP (H.264 Table 7-1, RFC 6184 Table 1).
pub mod nal_type {
    /// A slice of a non-IDR picture.
    pub const SLICE: u8 = 1;
    /// A slice of an IDR picture: a decoder can start here.
    pub const IDR: u8 = 5;
    /// Supplemental enhancement information.
    pub const SEI: u8 = 6;
    /// Sequence parameter set.
    pub const SPS: u8 = 7;
    /// Picture parameter set.
    pub const PPS: u8 = 8;
    /// Access unit delimiter.
    pub const AUD: u8 = 9;
    /// Filler data.
    pub const FILLER: u8 = 12;
    /// Single-time aggregation packet, type A.
    pub const STAP_A: u8 = 24;
    /// Single-time aggregation packet, type B (interleaved mode).
    pub const STAP_B: u8 = 25;
    /// Multi-time aggregation packet, 16-bit offsets (interleaved mode).
    pub const MTAP16: u8 = 26;
    /// Multi-time aggregation packet, 24-bit offsets (interleaved mode).
    pub const MTAP24: u8 = 27;
    /// Fragmentation unit, type A.
    pub const FU_A: u8 = 28;
    /// Fragmentation unit, type B (interleaved mode).
    pub const FU_B: u8 = 29;
}

/// The type of the NAL unit whose header is `header`.
pub const fn nal_unit_type(header: u8) -> u8 {
    header & 0x1f
}

/// The NAL units of an Annex B byte stream (each after a 3- or 4-byte
/// start code), without the start codes and the zero bytes that pad
/// between units. Bytes before the first start code are skipped.
///
/// ```
/// use sansrtc_rtp::payload::h264::annex_b_nal_units;
/// let stream = [0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xce, 0];
/// let units: Vec<&[u8]> = annex_b_nal_units(&stream).collect();
/// assert_eq!(units, [&[0x67, 0x42][..], &[0x68, 0xce][..]]);
/// ```
pub fn annex_b_nal_units(stream: &[u8]) -> impl Iterator<Item = &[u8]> + '_ {
    let mut rest = after_start_code(stream);
    core::iter::from_fn(move || {
        loop {
            let current = rest?;
            let (unit, next) = match find_start_code(current) {
                Some((at, len)) => (
                    current.get(..at).unwrap_or_default(),
                    current.get(at + len..),
                ),
                None => (current, None),
            };
            rest = next;
            let unit = trim_trailing_zeros(unit);
            if !unit.is_empty() {
                return Some(unit);
            }
            rest?;
        }
    })
}

/// The bytes after the first start code, if there is one.
fn after_start_code(stream: &[u8]) -> Option<&[u8]> {
    let (at, len) = find_start_code(stream)?;
    stream.get(at + len..)
}

/// Where the first `00 00 01` is, and its length (3).
///
/// A start code begins with a zero byte: eight bytes without one are
/// skipped at once (the zero-byte test of a 64-bit word), and only the
/// eight that hold a zero are looked at byte by byte.
fn find_start_code(bytes: &[u8]) -> Option<(usize, usize)> {
    const LOW: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let mut at = 0;
    loop {
        while let Some(chunk) = bytes
            .get(at..at + 8)
            .and_then(|c| <[u8; 8]>::try_from(c).ok())
        {
            let word = u64::from_le_bytes(chunk);
            if word.wrapping_sub(LOW) & !word & HIGH != 0 {
                break;
            }
            at += 8;
        }
        // Start codes that begin in the next eight bytes (or the rest).
        let end = (at + 8).min(bytes.len());
        let window = bytes.get(at..(end + 2).min(bytes.len()))?;
        if let Some(found) = window.windows(3).position(|w| w == [0, 0, 1]) {
            return Some((at + found, 3));
        }
        if end >= bytes.len() {
            return None;
        }
        at = end;
    }
}

fn trim_trailing_zeros(mut unit: &[u8]) -> &[u8] {
    while let Some((&0, rest)) = unit.split_last() {
        unit = rest;
    }
    unit
}

/// A checked view over an H.264 RTP payload.
///
/// <https://www.rfc-editor.org/rfc/rfc6184#section-5.2>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H264Payload<'a> {
    /// A single NAL unit (types 1 to 23), header included.
    Single(&'a [u8]),
    /// A STAP-A: several NAL units of one access unit.
    StapA(StapA<'a>),
    /// A FU-A: a fragment of one NAL unit.
    FuA(FuA<'a>),
}

impl<'a> H264Payload<'a> {
    /// Reads a payload. Refuses the interleaved-mode packets (STAP-B,
    /// MTAP16, MTAP24, FU-B), reserved types, nested aggregation and
    /// lengths that do not add up.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let &header = payload.first().ok_or(super::empty_payload(WHAT))?;
        match nal_unit_type(header) {
            1..=23 => Ok(Self::Single(payload)),
            nal_type::STAP_A => StapA::parse(payload).map(Self::StapA),
            nal_type::FU_A => FuA::parse(payload).map(Self::FuA),
            nal_type::STAP_B | nal_type::MTAP16 | nal_type::MTAP24 | nal_type::FU_B => Err(
                invalid(WHAT, "interleaved packetization mode is not supported"),
            ),
            _ => Err(invalid(WHAT, "reserved NAL unit type")),
        }
    }

    /// The type of the (first) NAL unit carried: for a FU-A, the type of
    /// the fragmented unit.
    pub fn first_nal_unit_type(&self) -> u8 {
        match self {
            Self::Single(nal) => nal.first().map_or(0, |&h| nal_unit_type(h)),
            Self::StapA(stap) => stap
                .nal_units()
                .next()
                .and_then(|nal| nal.first())
                .map_or(0, |&h| nal_unit_type(h)),
            Self::FuA(fu) => fu.nal_unit_type(),
        }
    }
}

/// A checked view over a STAP-A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StapA<'a> {
    header: u8,
    units: &'a [u8],
}

impl<'a> StapA<'a> {
    fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(payload, "STAP-A");
        let header = r.u8()?;
        let units = r.rest();
        if r.is_empty() {
            return Err(invalid("STAP-A", "no NAL units"));
        }
        while !r.is_empty() {
            let size = usize::from(r.u16()?);
            let nal = r.take(size)?;
            match nal.first() {
                None => return Err(invalid("STAP-A", "empty NAL unit")),
                Some(&h) if !(1..=23).contains(&nal_unit_type(h)) => {
                    return Err(invalid(
                        "STAP-A",
                        "aggregated unit is not a single NAL unit",
                    ));
                }
                Some(_) => {}
            }
        }
        Ok(Self { header, units })
    }

    /// The STAP-A header byte (F, the highest NRI, type 24).
    pub const fn header(&self) -> u8 {
        self.header
    }

    /// The aggregated NAL units, headers included.
    pub fn nal_units(&self) -> impl Iterator<Item = &'a [u8]> + 'a {
        let mut r = Reader::new(self.units, "STAP-A");
        core::iter::from_fn(move || {
            let size = usize::from(r.u16().ok()?);
            r.take(size).ok()
        })
    }
}

/// A checked view over a FU-A.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FuA<'a> {
    indicator: u8,
    header: u8,
    fragment: &'a [u8],
}

impl<'a> FuA<'a> {
    fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(payload, "FU-A");
        let [indicator, header] = r.array::<2>()?;
        let fragment = r.rest();
        if header & 0xc0 == 0xc0 {
            return Err(invalid("FU-A", "start and end bits both set"));
        }
        if !(1..=23).contains(&nal_unit_type(header)) {
            return Err(invalid("FU-A", "fragmented unit is not a single NAL unit"));
        }
        if fragment.is_empty() {
            return Err(invalid("FU-A", "empty fragment"));
        }
        Ok(Self {
            indicator,
            header,
            fragment,
        })
    }

    /// S: the first fragment.
    pub const fn is_start(&self) -> bool {
        self.header & 0x80 != 0
    }

    /// E: the last fragment.
    pub const fn is_end(&self) -> bool {
        self.header & 0x40 != 0
    }

    /// The type of the fragmented NAL unit.
    pub const fn nal_unit_type(&self) -> u8 {
        nal_unit_type(self.header)
    }

    /// The header of the fragmented NAL unit (F and NRI from the
    /// indicator, the type from the FU header).
    pub const fn nal_unit_header(&self) -> u8 {
        (self.indicator & 0xe0) | nal_unit_type(self.header)
    }

    /// The fragment (without the indicator and header).
    pub const fn fragment(&self) -> &'a [u8] {
        self.fragment
    }
}

/// The packetization mode (`packetization-mode` in the SDP `a=fmtp`).
///
/// <https://www.rfc-editor.org/rfc/rfc6184#section-6.2>
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum PacketizationMode {
    /// Mode 0: one NAL unit per packet, no aggregation or fragmentation;
    /// a NAL unit larger than the payload size is refused.
    SingleNalUnit,
    /// Mode 1: single NAL units, STAP-A and FU-A (what browsers use).
    #[default]
    NonInterleaved,
}

/// Packetizes H.264 access units in Annex B format.
///
/// In non-interleaved mode, consecutive NAL units that fit together go in
/// one STAP-A (so SPS, PPS and a small IDR slice travel together), a NAL
/// unit too large for one payload is split into FU-As of even size, and
/// the others go alone. Access unit delimiters and filler data are not
/// sent. With [`with_parameter_sets`](Self::with_parameter_sets), the last
/// SPS and PPS seen are sent again in front of an IDR slice whose access
/// unit lacks them (for encoders that write them only once).
#[derive(Debug, Clone, Default)]
pub struct H264Packetizer {
    mode: PacketizationMode,
    repeat_parameter_sets: bool,
    sps: Vec<u8>,
    pps: Vec<u8>,
}

impl H264Packetizer {
    /// A packetizer in non-interleaved mode.
    pub const fn new() -> Self {
        Self {
            mode: PacketizationMode::NonInterleaved,
            repeat_parameter_sets: false,
            sps: Vec::new(),
            pps: Vec::new(),
        }
    }

    /// Uses `mode`.
    pub const fn with_mode(mut self, mode: PacketizationMode) -> Self {
        self.mode = mode;
        self
    }

    /// Sends the last SPS and PPS again before an IDR slice whose access
    /// unit lacks them.
    pub const fn with_parameter_sets(mut self, repeat: bool) -> Self {
        self.repeat_parameter_sets = repeat;
        self
    }
}

impl Packetizer for H264Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        _timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        let units = || {
            annex_b_nal_units(frame).filter(|nal| {
                !matches!(
                    nal.first().map(|&h| nal_unit_type(h)),
                    Some(nal_type::AUD | nal_type::FILLER)
                )
            })
        };
        let (mut has_sps, mut has_pps, mut has_idr) = (false, false, false);
        for nal in units() {
            if !nal
                .first()
                .is_some_and(|&h| (1..=23).contains(&nal_unit_type(h)))
            {
                return Err(write_invalid(WHAT, "NAL unit type reserved for RTP"));
            }
            match nal.first().map(|&h| nal_unit_type(h)) {
                Some(nal_type::SPS) => {
                    has_sps = true;
                    if self.repeat_parameter_sets {
                        self.sps.clear();
                        self.sps.extend_from_slice(nal);
                    }
                }
                Some(nal_type::PPS) => {
                    has_pps = true;
                    if self.repeat_parameter_sets {
                        self.pps.clear();
                        self.pps.extend_from_slice(nal);
                    }
                }
                Some(nal_type::IDR) => has_idr = true,
                _ => {}
            }
        }
        let insert = self.repeat_parameter_sets && has_idr;
        let sps = (insert && !has_sps && !self.sps.is_empty()).then_some(self.sps.as_slice());
        let pps = (insert && !has_pps && !self.pps.is_empty()).then_some(self.pps.as_slice());
        let result = packetize_nal_units(
            sps.into_iter().chain(pps).chain(units()),
            self.mode,
            max_payload_len,
            out,
        );
        if result.is_err() {
            out.clear();
        }
        result
    }
}

/// Packetizes NAL units (H.264 framing) into `out`, marking the last.
fn packetize_nal_units<'n>(
    units: impl Iterator<Item = &'n [u8]>,
    mode: PacketizationMode,
    max_payload_len: usize,
    out: &mut Payloads,
) -> Result<(), WriteError> {
    check_max_payload_len(WHAT, max_payload_len, 3)?;
    let mut units = units.peekable();
    while let Some(nal) = units.next() {
        let Some((&header, body)) = nal.split_first() else {
            continue;
        };
        if nal.len() > max_payload_len {
            if mode == PacketizationMode::SingleNalUnit {
                return Err(WriteError::BufferTooSmall {
                    needed: nal.len(),
                    have: max_payload_len,
                });
            }
            // FU-A: indicator and header, then even fragments of the body.
            let indicator = (header & 0xe0) | nal_type::FU_A;
            let mut rest = body;
            let mut first = true;
            for size in balanced_split(body.len(), max_payload_len - 2) {
                let (chunk, tail) = rest.split_at_checked(size).unwrap_or((rest, &[]));
                rest = tail;
                let fu_header =
                    u8::from(first) << 7 | u8::from(rest.is_empty()) << 6 | nal_unit_type(header);
                out.put(indicator);
                out.put(fu_header);
                out.extend(chunk);
                out.close(false);
                first = false;
            }
            continue;
        }
        // A STAP-A gives each unit a 16-bit size.
        let fits_with_next = |next: &&[u8]| {
            nal.len() <= usize::from(u16::MAX)
                && next.len() <= usize::from(u16::MAX)
                && 1 + 2 + nal.len() + 2 + next.len() <= max_payload_len
        };
        if mode == PacketizationMode::NonInterleaved && units.peek().is_some_and(fits_with_next) {
            // STAP-A: F is the OR of the units' F bits, NRI their highest.
            let mut forbidden = header & 0x80;
            let mut nri = header & 0x60;
            out.put(nal_type::STAP_A);
            out.extend(&(nal.len() as u16).to_be_bytes());
            out.extend(nal);
            let mut len = 1 + 2 + nal.len();
            while let Some(next) = units.next_if(|next| {
                next.len() <= usize::from(u16::MAX) && len + 2 + next.len() <= max_payload_len
            }) {
                let h = next.first().copied().unwrap_or(0);
                forbidden |= h & 0x80;
                nri = nri.max(h & 0x60);
                out.extend(&(next.len() as u16).to_be_bytes());
                out.extend(next);
                len += 2 + next.len();
            }
            if let Some(first) = out.open_mut().first_mut() {
                *first = forbidden | nri | nal_type::STAP_A;
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

/// Reads H.264 payloads back into access units in Annex B format (a
/// 4-byte start code in front of each NAL unit).
#[derive(Debug, Clone, Default)]
pub struct H264Depacketizer {
    /// The type of the NAL unit being reassembled from FU-As.
    fragment_type: Option<u8>,
    has_sps: bool,
    has_pps: bool,
    has_idr: bool,
    started: bool,
}

const START_CODE: [u8; 4] = [0, 0, 0, 1];

impl H264Depacketizer {
    /// A depacketizer between access units.
    pub const fn new() -> Self {
        Self {
            fragment_type: None,
            has_sps: false,
            has_pps: false,
            has_idr: false,
            started: false,
        }
    }

    fn note(&mut self, nal_type: u8) {
        match nal_type {
            nal_type::SPS => self.has_sps = true,
            nal_type::PPS => self.has_pps = true,
            nal_type::IDR => self.has_idr = true,
            _ => {}
        }
    }

    fn push_unit(&mut self, nal: &[u8], frame: &mut Vec<u8>) {
        frame.extend_from_slice(&START_CODE);
        frame.extend_from_slice(nal);
        self.note(nal.first().map_or(0, |&h| nal_unit_type(h)));
    }
}

/// Whether a NAL unit can be the first of an access unit, judging from
/// its header and (for slices) the start of its slice header.
fn start_hint(nal_type: u8, after_header: Option<u8>) -> Boundary {
    match nal_type {
        nal_type::AUD => Boundary::Yes,
        nal_type::SPS | nal_type::PPS | nal_type::SEI | 14..=18 => Boundary::Maybe,
        // first_mb_in_slice is ue(v): 0 is a single 1 bit.
        1..=5 => match after_header {
            Some(b) if b & 0x80 != 0 => Boundary::Maybe,
            _ => Boundary::No,
        },
        _ => Boundary::No,
    }
}

impl Depacketizer for H264Depacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        let parsed = H264Payload::parse(payload)?;
        let (start, end, keyframe) = match parsed {
            H264Payload::Single(nal) => {
                let t = nal_unit_type(nal.first().copied().unwrap_or(0));
                (
                    start_hint(t, nal.get(1).copied()),
                    Boundary::Maybe,
                    matches!(t, nal_type::IDR | nal_type::SPS),
                )
            }
            H264Payload::StapA(stap) => {
                let mut units = stap.nal_units();
                let first = units.next().unwrap_or_default();
                let t = nal_unit_type(first.first().copied().unwrap_or(0));
                let keyframe = stap.nal_units().any(|nal| {
                    matches!(
                        nal.first().map(|&h| nal_unit_type(h)),
                        Some(nal_type::IDR | nal_type::SPS)
                    )
                });
                (
                    start_hint(t, first.get(1).copied()),
                    Boundary::Maybe,
                    keyframe,
                )
            }
            H264Payload::FuA(fu) => (
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
                fu.is_start() && fu.nal_unit_type() == nal_type::IDR,
            ),
        };
        Ok(PayloadInfo::new(start, end, keyframe))
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        let parsed = H264Payload::parse(payload)?;
        self.started = true;
        match parsed {
            H264Payload::Single(nal) => {
                if self.fragment_type.is_some() {
                    return Err(invalid(WHAT, "fragmented NAL unit left unfinished"));
                }
                self.push_unit(nal, frame);
            }
            H264Payload::StapA(stap) => {
                if self.fragment_type.is_some() {
                    return Err(invalid(WHAT, "fragmented NAL unit left unfinished"));
                }
                for nal in stap.nal_units() {
                    self.push_unit(nal, frame);
                }
            }
            H264Payload::FuA(fu) => {
                if fu.is_start() {
                    if self.fragment_type.is_some() {
                        return Err(invalid(WHAT, "fragmented NAL unit left unfinished"));
                    }
                    frame.extend_from_slice(&START_CODE);
                    frame.push(fu.nal_unit_header());
                    self.note(fu.nal_unit_type());
                    self.fragment_type = Some(fu.nal_unit_type());
                } else if self.fragment_type != Some(fu.nal_unit_type()) {
                    return Err(invalid(WHAT, "FU-A continues a unit that did not start"));
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
            state.has_sps && state.has_pps && state.has_idr,
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

    const SPS: &str = "67 42c01f 8c8d40";
    const PPS: &str = "68 ce3c80";
    // IDR slice, first_mb_in_slice 0.
    const IDR: &str = "65 888400 33ff";

    fn annex_b(units: &[&str]) -> Vec<u8> {
        units
            .iter()
            .flat_map(|u| [&START_CODE[..], &hex(u)].concat())
            .collect()
    }

    proptest::proptest! {
        /// The word-at-a-time scan finds the start code a byte-by-byte
        /// one does: in runs of bytes without a zero (which it skips)
        /// between zeros, ones and start codes, at every alignment.
        #[test]
        fn start_code_scan_matches_the_plain_one(
            pieces in proptest::collection::vec(
                proptest::prop_oneof![
                    6 => proptest::collection::vec(1u8..=255, 0..20),
                    1 => proptest::strategy::Just(alloc::vec![0, 0, 1]),
                    1 => proptest::strategy::Just(alloc::vec![0, 0]),
                    1 => proptest::strategy::Just(alloc::vec![0]),
                    1 => proptest::strategy::Just(alloc::vec![1]),
                ],
                0..12,
            ),
        ) {
            let bytes: Vec<u8> = pieces.concat();
            let plain = bytes.windows(3).position(|w| w == [0, 0, 1]).map(|at| (at, 3));
            proptest::prop_assert_eq!(find_start_code(&bytes), plain);
        }
    }

    #[test]
    fn annex_b_splitting() {
        // 3- and 4-byte start codes, a leading byte, trailing zeros, an
        // empty unit between two start codes.
        let stream = hex("ff 000001 0910 00000001 6742 0000 000001 000001 68ce 00");
        let units: Vec<_> = annex_b_nal_units(&stream).collect();
        assert_eq!(units, [&hex("0910")[..], &hex("6742"), &hex("68ce")]);
        assert_eq!(annex_b_nal_units(&hex("6742")).count(), 0);
        assert_eq!(annex_b_nal_units(&hex("000001")).count(), 0);
    }

    #[test]
    fn stap_a_parse() {
        // RFC 6184 §5.7.1 layout: header, then size and unit, twice.
        let payload = hex("78 0007 6742c01f8c8d40 0004 68ce3c80");
        let H264Payload::StapA(stap) = H264Payload::parse(&payload).unwrap() else {
            panic!("not a STAP-A");
        };
        assert_eq!(stap.header(), 0x78);
        let units: Vec<_> = stap.nal_units().collect();
        assert_eq!(units, [&hex(SPS)[..], &hex(PPS)[..]]);
        for bad in [
            "78",              // no units
            "78 0005 6742",    // size past the end
            "78 0000",         // empty unit
            "78 0002 7800",    // nested STAP-A
            "78 0002 6742 00", // a trailing byte
        ] {
            assert!(H264Payload::parse(&hex(bad)).is_err(), "{bad}");
        }
    }

    #[test]
    fn fu_a_parse() {
        let bytes = hex("7c 85 aabb");
        let H264Payload::FuA(fu) = H264Payload::parse(&bytes).unwrap() else {
            panic!("not a FU-A");
        };
        assert!(fu.is_start() && !fu.is_end());
        assert_eq!(fu.nal_unit_type(), nal_type::IDR);
        assert_eq!(fu.nal_unit_header(), 0x65);
        assert_eq!(fu.fragment(), hex("aabb"));
        for bad in ["7c", "7c 85", "7c c5 aa", "7c 98 aa", "7c 80 aa"] {
            assert!(H264Payload::parse(&hex(bad)).is_err(), "{bad}");
        }
        for interleaved in ["79 00", "7a 00", "7b 00", "7d 85 00"] {
            assert!(H264Payload::parse(&hex(interleaved)).is_err());
        }
        assert!(H264Payload::parse(&hex("60")).is_err());
        assert!(H264Payload::parse(&[]).is_err());
    }

    #[test]
    fn parameter_sets_and_idr_share_a_stap_a() {
        let au = annex_b(&[SPS, PPS, IDR]);
        let mut out = Payloads::new();
        H264Packetizer::new()
            .packetize(&au, 0, 1200, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        let payload = out.get(0).unwrap();
        assert!(payload.marker);
        assert_eq!(
            payload.data,
            hex("78 0007 6742c01f8c8d40 0004 68ce3c80 0006 65888400 33ff")
        );
        let mut d = H264Depacketizer::new();
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
    fn large_units_are_fragmented_evenly() {
        let mut idr = hex("65 88");
        idr.resize(25, 0xab);
        let au = [
            &START_CODE[..],
            &hex(SPS),
            &START_CODE,
            &hex(PPS),
            &START_CODE,
            &idr,
        ]
        .concat();
        let mut out = Payloads::new();
        H264Packetizer::new()
            .packetize(&au, 0, 12, &mut out)
            .unwrap();
        // SPS and PPS do not fit together in 12 bytes: alone; the IDR
        // slice's 24 bytes after its header go in three FU-As of 8 + 2.
        let sizes: Vec<_> = out.iter().map(|p| p.data.len()).collect();
        assert_eq!(sizes, [7, 4, 10, 10, 10]);
        assert_eq!(&out.get(2).unwrap().data[..2], hex("7c 85"));
        assert_eq!(&out.get(3).unwrap().data[..2], hex("7c 05"));
        assert_eq!(&out.get(4).unwrap().data[..2], hex("7c 45"));
        let markers: Vec<_> = out.iter().map(|p| p.marker).collect();
        assert_eq!(markers, [false, false, false, false, true]);
        let mut d = H264Depacketizer::new();
        let infos: Vec<_> = out
            .iter()
            .map(|p| d.payload_info(p.data).unwrap())
            .collect();
        assert_eq!(infos[2].start, Boundary::Maybe);
        assert_eq!(infos[3].start, Boundary::No);
        assert_eq!(infos[3].end, Boundary::No);
        assert_eq!(infos[4].end, Boundary::Maybe);
        let mut frame = Vec::new();
        let info = d
            .depacketize_frame(out.iter().map(|p| p.data), &mut frame)
            .unwrap();
        assert!(info.keyframe);
        assert_eq!(frame, au);

        // Fragments out of order, missing or unfinished.
        let p: Vec<_> = out.iter().map(|p| p.data).collect();
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame([p[0], p[1], p[3], p[4]], &mut frame)
                .is_err()
        );
        assert!(d.depacketize_frame([p[2], p[3]], &mut frame).is_err());
        assert!(d.depacketize_frame([p[2], p[0]], &mut frame).is_err());
        assert!(d.depacketize_frame([p[2], p[2]], &mut frame).is_err());

        // Mode 0 refuses what would need a FU-A.
        let mut single = H264Packetizer::new().with_mode(PacketizationMode::SingleNalUnit);
        assert!(single.packetize(&au, 0, 12, &mut out).is_err());
        assert!(out.is_empty());
        single.packetize(&au, 0, 100, &mut out).unwrap();
        assert_eq!(out.len(), 3);
    }

    #[test]
    fn keyframes_need_all_three() {
        let mut d = H264Depacketizer::new();
        for (units, key) in [
            (&[SPS, PPS, IDR][..], true),
            (&[PPS, IDR][..], false),
            (&[SPS, IDR][..], false),
            (&[SPS, PPS][..], false),
            (&["41 9a 01"][..], false),
        ] {
            let au = annex_b(units);
            let mut out = Payloads::new();
            H264Packetizer::new()
                .with_mode(PacketizationMode::SingleNalUnit)
                .packetize(&au, 0, 1200, &mut out)
                .unwrap();
            let mut frame = Vec::new();
            let info = d
                .depacketize_frame(out.iter().map(|p| p.data), &mut frame)
                .unwrap();
            assert_eq!(info.keyframe, key, "{units:?}");
            assert_eq!(frame, au);
        }
        // A slice that continues a picture cannot start a frame; an AUD
        // certainly does.
        assert_eq!(d.payload_info(&hex("41 1a")).unwrap().start, Boundary::No);
        assert_eq!(
            d.payload_info(&hex("41 9a")).unwrap().start,
            Boundary::Maybe
        );
        assert_eq!(d.payload_info(&hex("09 10")).unwrap().start, Boundary::Yes);
    }

    #[test]
    fn parameter_sets_are_repeated_when_asked() {
        let mut p = H264Packetizer::new().with_parameter_sets(true);
        let mut out = Payloads::new();
        p.packetize(&annex_b(&["09 10", SPS, PPS, IDR]), 0, 1200, &mut out)
            .unwrap();
        // The AUD is not sent.
        let mut frame = Vec::new();
        let mut d = H264Depacketizer::new();
        d.depacketize_frame(out.iter().map(|p| p.data), &mut frame)
            .unwrap();
        assert_eq!(frame, annex_b(&[SPS, PPS, IDR]));
        // A later IDR alone gets them again; a non-IDR frame does not.
        p.packetize(&annex_b(&[IDR]), 3000, 1200, &mut out).unwrap();
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame(out.iter().map(|p| p.data), &mut frame)
                .unwrap()
                .keyframe
        );
        assert_eq!(frame, annex_b(&[SPS, PPS, IDR]));
        p.packetize(&annex_b(&["41 9a 01"]), 6000, 1200, &mut out)
            .unwrap();
        assert_eq!(out.len(), 1);
        assert_eq!(out.get(0).unwrap().data, hex("41 9a 01"));
        // Nothing to send; a unit of a type only RTP may use.
        assert!(p.packetize(&hex("000001 0910"), 0, 1200, &mut out).is_err());
        assert!(
            p.packetize(&annex_b(&["78 0001 41"]), 0, 1200, &mut out)
                .is_err()
        );
        assert!(
            p.packetize(&annex_b(&["00 11"]), 0, 1200, &mut out)
                .is_err()
        );
        assert!(p.packetize(&annex_b(&[IDR]), 0, 2, &mut out).is_err());
    }
}
