//! Payload formats: how encoded audio and video frames travel in RTP
//! payloads, and back.
//!
//! An application hands the stack whole encoded frames (an Opus packet, a
//! VP8 frame, an H.264 access unit) and wants whole frames back. A
//! [`Packetizer`] cuts a frame into RTP payloads that fit a caller-chosen
//! size, each with its marker bit; a [`Depacketizer`] reads payloads back
//! into the frame and says where frames begin and end and which are
//! keyframes. The jitter buffer (`crate::jitter`, feature `std`) drives a
//! depacketizer to turn reordered, lossy packets into whole frames.
//!
//! | format | module | RFC |
//! |---|---|---|
//! | Opus | [`opus`] | [RFC 7587](https://www.rfc-editor.org/rfc/rfc7587) |
//! | G.711 PCMU and PCMA | [`g711`] | [RFC 3551 §4.5.14](https://www.rfc-editor.org/rfc/rfc3551#section-4.5.14) |
//! | G.722 | [`g722`] | [RFC 3551 §4.5.2](https://www.rfc-editor.org/rfc/rfc3551#section-4.5.2) |
//! | telephone-event (DTMF) | [`telephone_event`] | [RFC 4733](https://www.rfc-editor.org/rfc/rfc4733) |
//! | RED (redundant audio) | [`red`] | [RFC 2198](https://www.rfc-editor.org/rfc/rfc2198) |
//! | VP8 | [`vp8`] | [RFC 7741](https://www.rfc-editor.org/rfc/rfc7741) |
//! | VP9 | [`vp9`] | [RFC 9628](https://www.rfc-editor.org/rfc/rfc9628) |
//! | H.264 | [`h264`] | [RFC 6184](https://www.rfc-editor.org/rfc/rfc6184) |
//! | H.265 | [`h265`] | [RFC 7798](https://www.rfc-editor.org/rfc/rfc7798) |
//! | AV1 | [`av1`] | [RTP Payload Format for AV1](https://aomediacodec.github.io/av1-rtp-spec/) |
//!
//! Each format also has zero-copy views over its payload headers (the VP8
//! payload descriptor, H.264 NAL unit types, VP9 layer indices, the AV1
//! aggregation header, ...) for code that forwards packets without
//! assembling frames; [`dependency_descriptor`] reads the header
//! extension that describes frames and layers without the payload.
//!
//! # Sending
//!
//! ```
//! use sansrtc_rtp::payload::{Packetizer, Payloads, vp8::Vp8Packetizer};
//! use sansrtc_rtp::rtp::Packet;
//!
//! let frame = [0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0xaa, 0xbb, 0xcc, 0xdd];
//! let mut packetizer = Vp8Packetizer::new();
//! let mut payloads = Payloads::new();
//! packetizer.packetize(&frame, 3000, 9, &mut payloads).unwrap();
//! let mut sequence_number = 100;
//! for payload in &payloads {
//!     let mut buf = [0u8; 1500];
//!     let len = payload
//!         .to_builder()
//!         .payload_type(96)
//!         .sequence_number(sequence_number)
//!         .timestamp(3000)
//!         .ssrc(0x1234_5678)
//!         .write_to(&mut buf)
//!         .unwrap();
//!     let packet = Packet::parse(&buf[..len]).unwrap();
//!     assert_eq!(packet.marker(), payload.marker);
//!     sequence_number += 1;
//! }
//! assert_eq!(payloads.len(), 2);
//! ```
//!
//! # Receiving
//!
//! ```
//! use sansrtc_rtp::payload::{Depacketizer, Packetizer, Payloads};
//! use sansrtc_rtp::payload::vp8::{Vp8Depacketizer, Vp8Packetizer};
//!
//! // A VP8 key frame: frame tag, start code, 16×16, then data.
//! let mut frame = vec![0xb0, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00];
//! frame.resize(3000, 0x55);
//! let mut payloads = Payloads::new();
//! Vp8Packetizer::new().packetize(&frame, 0, 1200, &mut payloads).unwrap();
//! assert_eq!(payloads.len(), 3);
//!
//! let mut depacketizer = Vp8Depacketizer::new();
//! let mut back = Vec::new();
//! for payload in &payloads {
//!     depacketizer.depacketize(payload.data, &mut back).unwrap();
//! }
//! let info = depacketizer.finish_frame(&mut back).unwrap();
//! assert!(info.keyframe);
//! assert_eq!(back, frame);
//! ```

use alloc::boxed::Box;
use alloc::vec::Vec;

use crate::error::{ParseError, WriteError, write_invalid};
use crate::rtp::Builder;

pub mod av1;
mod bits;
pub mod dependency_descriptor;
pub mod g711;
pub mod g722;
pub mod h264;
pub mod h265;
pub mod opus;
pub mod red;
pub mod telephone_event;
pub mod vp8;
pub mod vp9;

/// Cuts encoded frames into RTP payloads.
///
/// One call takes one frame (for video: one access unit, temporal unit or
/// picture) and replaces the contents of `out` with its payloads, in
/// sending order, each at most `max_payload_len` bytes, with the marker
/// bit the format wants on each. The caller writes the RTP headers (see
/// [`Payload::to_builder`]): one sequence number per payload, the same
/// timestamp for all.
///
/// `max_payload_len` is what is left of the path MTU after the IP, UDP,
/// RTP (with its header extensions) and SRTP overheads; 1200 is a common
/// choice for WebRTC.
pub trait Packetizer {
    /// Packetizes `frame`, sampled at RTP `timestamp`, into `out`.
    ///
    /// Errors (the frame is the caller's, so these are [`WriteError`]s):
    /// a frame the format cannot carry (empty, malformed, a piece larger
    /// than `max_payload_len` where the format cannot fragment), or a
    /// `max_payload_len` too small for the format's headers. On error `out`
    /// is left empty.
    fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError>;
}

/// Reads RTP payloads back into frames.
///
/// A depacketizer is driven one frame at a time: [`depacketize`] for each
/// payload of the frame, in sequence-number order, then [`finish_frame`].
/// [`payload_info`] looks at a single payload without any state, so that a
/// jitter buffer can find frame boundaries before it has every packet.
///
/// Errors are [`ParseError`]s: payloads come from a peer. An error never
/// leaves the depacketizer unusable; after one, call [`reset`] (or
/// [`finish_frame`]) and go on with the next frame.
///
/// [`depacketize`]: Self::depacketize
/// [`finish_frame`]: Self::finish_frame
/// [`payload_info`]: Self::payload_info
/// [`reset`]: Self::reset
pub trait Depacketizer {
    /// What one payload says about frame boundaries and keyframes, read in
    /// place. Refuses a payload the format cannot parse.
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError>;

    /// Appends the frame bytes one payload carries to `frame`.
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError>;

    /// Ends the frame whose payloads were given since the last
    /// `finish_frame` or [`reset`](Self::reset): completes what is pending
    /// (refusing a frame that ends inside a fragment) and says what the
    /// frame is. The depacketizer is ready for the next frame afterwards,
    /// whatever the result.
    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError>;

    /// Forgets a half-read frame.
    fn reset(&mut self);

    /// Whether every frame decodes on its own (audio), so that a receiver
    /// never has to wait for a keyframe after a loss.
    fn frames_are_independent(&self) -> bool {
        false
    }

    /// Reads the payloads of one whole frame, in order, into `frame`.
    fn depacketize_frame<'p, I>(
        &mut self,
        payloads: I,
        frame: &mut Vec<u8>,
    ) -> Result<FrameInfo, ParseError>
    where
        I: IntoIterator<Item = &'p [u8]>,
        Self: Sized,
    {
        self.reset();
        for payload in payloads {
            if let Err(e) = self.depacketize(payload, frame) {
                self.reset();
                return Err(e);
            }
        }
        self.finish_frame(frame)
    }
}

impl<P: Packetizer + ?Sized> Packetizer for Box<P> {
    fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        (**self).packetize(frame, timestamp, max_payload_len, out)
    }
}

impl<D: Depacketizer + ?Sized> Depacketizer for Box<D> {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        (**self).payload_info(payload)
    }
    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        (**self).depacketize(payload, frame)
    }
    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        (**self).finish_frame(frame)
    }
    fn reset(&mut self) {
        (**self).reset();
    }
    fn frames_are_independent(&self) -> bool {
        (**self).frames_are_independent()
    }
}

/// How sure a payload is that it begins or ends a frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Boundary {
    /// It certainly does not (for example a middle fragment).
    No,
    /// The payload cannot tell: the RTP marker bit and timestamps decide
    /// (for example an H.264 slice that may follow parameter sets sent in
    /// an earlier packet).
    Maybe,
    /// It certainly does (for example the VP9 B bit of the first spatial
    /// layer, or any audio payload).
    Yes,
}

/// What a single payload says about the frame it belongs to; see
/// [`Depacketizer::payload_info`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct PayloadInfo {
    /// Whether the payload is the first of its frame.
    pub start: Boundary,
    /// Whether the payload is the last of its frame (for video the marker
    /// bit usually says so; this is what the payload itself says).
    pub end: Boundary,
    /// Whether the payload begins a keyframe, as far as it can tell alone
    /// (a hint: [`FrameInfo::keyframe`] is the answer for a whole frame).
    pub keyframe: bool,
}

impl PayloadInfo {
    /// A payload info from its parts.
    pub const fn new(start: Boundary, end: Boundary, keyframe: bool) -> Self {
        Self {
            start,
            end,
            keyframe,
        }
    }

    /// A payload that is a whole frame on its own that any decoder can
    /// start from (audio).
    pub const WHOLE: Self = Self::new(Boundary::Yes, Boundary::Yes, true);
}

/// What a depacketized frame is; see [`Depacketizer::finish_frame`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct FrameInfo {
    /// A decoder can start from this frame: a VP8 or VP9 key frame, an
    /// H.264 access unit with SPS, PPS and an IDR slice, an H.265 one
    /// with VPS, SPS, PPS and an IRAP picture, an AV1 temporal unit with a
    /// sequence header and a key frame; every audio frame.
    pub keyframe: bool,
}

impl FrameInfo {
    /// A frame info from its parts.
    pub const fn new(keyframe: bool) -> Self {
        Self { keyframe }
    }
}

/// A VP8 or VP9 picture id: 7 bits, or 15 bits with the M bit set.
///
/// <https://www.rfc-editor.org/rfc/rfc7741#section-4.2>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PictureId {
    /// The one-byte form, 0 to 127.
    Short(u8),
    /// The two-byte form, 0 to 32767.
    Long(u16),
}

impl PictureId {
    /// The value.
    pub const fn value(self) -> u16 {
        match self {
            Self::Short(v) => (v & 0x7f) as u16,
            Self::Long(v) => v & 0x7fff,
        }
    }

    /// The next picture id, wrapping within its width.
    pub const fn next(self) -> Self {
        match self {
            Self::Short(v) => Self::Short(v.wrapping_add(1) & 0x7f),
            Self::Long(v) => Self::Long(v.wrapping_add(1) & 0x7fff),
        }
    }

    const fn encoded_len(self) -> usize {
        match self {
            Self::Short(_) => 1,
            Self::Long(_) => 2,
        }
    }

    fn read(r: &mut crate::cursor::Reader<'_>) -> Result<Self, ParseError> {
        let first = r.u8()?;
        if first & 0x80 == 0 {
            return Ok(Self::Short(first));
        }
        let second = r.u8()?;
        Ok(Self::Long(u16::from_be_bytes([first & 0x7f, second])))
    }
}

/// Where payload headers are written: the payload being built in
/// [`Payloads`], or a caller's buffer already checked to be large enough.
trait Sink {
    fn put(&mut self, byte: u8);
    fn extend(&mut self, bytes: &[u8]);
}

impl Sink for Payloads {
    fn put(&mut self, byte: u8) {
        self.bytes.push(byte);
    }
    fn extend(&mut self, bytes: &[u8]) {
        self.bytes.extend_from_slice(bytes);
    }
}

impl Sink for crate::cursor::Writer<'_> {
    fn put(&mut self, byte: u8) {
        // The caller checked the length first.
        let _ = self.u8(byte);
    }
    fn extend(&mut self, bytes: &[u8]) {
        let _ = self.bytes(bytes);
    }
}

/// Sizes for splitting `len` bytes into the fewest payloads of at most
/// `room` bytes each, as even as possible (larger ones first): what
/// libwebrtc does too, so that no packet is much smaller than the others.
fn balanced_split(len: usize, room: usize) -> impl Iterator<Item = usize> {
    let count = len.div_ceil(room.max(1)).max(1);
    let base = len / count;
    let larger = len % count;
    (0..count).map(move |i| base + usize::from(i < larger))
}

/// One RTP payload made by a [`Packetizer`], borrowed from [`Payloads`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Payload<'a> {
    /// The payload bytes.
    pub data: &'a [u8],
    /// The RTP marker bit for the packet carrying it.
    pub marker: bool,
}

impl<'a> Payload<'a> {
    /// An RTP packet builder with this payload and marker bit; set the
    /// payload type, sequence number, timestamp and SSRC, then write it.
    pub const fn to_builder(&self) -> Builder<'a> {
        Builder::new().marker(self.marker).payload(self.data)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    end: usize,
    marker: bool,
}

/// The payloads of one frame, as a [`Packetizer`] writes them.
///
/// All payloads share one byte buffer; [`clear`](Self::clear) keeps its
/// capacity, so a `Payloads` reused from frame to frame stops allocating
/// once it has grown to the largest frame.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Payloads {
    bytes: Vec<u8>,
    entries: Vec<Entry>,
}

impl Payloads {
    /// No payloads.
    pub const fn new() -> Self {
        Self {
            bytes: Vec::new(),
            entries: Vec::new(),
        }
    }

    /// Number of payloads.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Forgets every payload and keeps the memory.
    pub fn clear(&mut self) {
        self.bytes.clear();
        self.entries.clear();
    }

    /// The payload at `index`.
    pub fn get(&self, index: usize) -> Option<Payload<'_>> {
        let entry = self.entries.get(index)?;
        let start = match index.checked_sub(1) {
            Some(previous) => self.entries.get(previous).map_or(0, |e| e.end),
            None => 0,
        };
        Some(Payload {
            data: self.bytes.get(start..entry.end).unwrap_or_default(),
            marker: entry.marker,
        })
    }

    /// The payloads in sending order.
    pub fn iter(&self) -> PayloadIter<'_> {
        PayloadIter {
            payloads: self,
            index: 0,
        }
    }

    /// Adds a payload made of `parts` one after the other (for packetizers
    /// written outside this crate).
    pub fn push(&mut self, parts: &[&[u8]], marker: bool) {
        for part in parts {
            self.bytes.extend_from_slice(part);
        }
        self.close(marker);
    }

    /// The bytes of the payload being built, to patch a header in place.
    fn open_mut(&mut self) -> &mut [u8] {
        let start = self.entries.last().map_or(0, |e| e.end);
        self.bytes.get_mut(start..).unwrap_or_default()
    }

    /// Ends the payload being built.
    fn close(&mut self, marker: bool) {
        self.entries.push(Entry {
            end: self.bytes.len(),
            marker,
        });
    }

    /// Sets the marker bit of the last payload.
    fn mark_last(&mut self) {
        if let Some(last) = self.entries.last_mut() {
            last.marker = true;
        }
    }
}

impl<'a> IntoIterator for &'a Payloads {
    type Item = Payload<'a>;
    type IntoIter = PayloadIter<'a>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over [`Payloads`].
#[derive(Debug, Clone)]
pub struct PayloadIter<'a> {
    payloads: &'a Payloads,
    index: usize,
}

impl<'a> Iterator for PayloadIter<'a> {
    type Item = Payload<'a>;
    fn next(&mut self) -> Option<Self::Item> {
        let payload = self.payloads.get(self.index)?;
        self.index += 1;
        Some(payload)
    }
    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.payloads.len().saturating_sub(self.index);
        (left, Some(left))
    }
}

impl ExactSizeIterator for PayloadIter<'_> {}

/// The payload formats of this module, by their SDP encoding names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Codec {
    /// Opus, `opus/48000/2`.
    Opus,
    /// G.711 µ-law, `PCMU/8000`.
    Pcmu,
    /// G.711 A-law, `PCMA/8000`.
    Pcma,
    /// G.722, `G722/8000` (sampled at 16 kHz, clocked at 8 kHz).
    G722,
    /// DTMF and other telephony events, `telephone-event`.
    TelephoneEvent,
    /// Redundant audio, `red`.
    Red,
    /// VP8, `VP8/90000`.
    Vp8,
    /// VP9, `VP9/90000`.
    Vp9,
    /// H.264, `H264/90000`.
    H264,
    /// H.265, `H265/90000`.
    H265,
    /// AV1, `AV1/90000`.
    Av1,
}

impl Codec {
    /// Every format, in the order of this enum.
    pub const ALL: [Self; 11] = [
        Self::Opus,
        Self::Pcmu,
        Self::Pcma,
        Self::G722,
        Self::TelephoneEvent,
        Self::Red,
        Self::Vp8,
        Self::Vp9,
        Self::H264,
        Self::H265,
        Self::Av1,
    ];

    /// The format with this SDP encoding name (`a=rtpmap`), any case.
    pub fn from_encoding_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|codec| codec.encoding_name().eq_ignore_ascii_case(name))
    }

    /// The SDP encoding name.
    pub const fn encoding_name(self) -> &'static str {
        match self {
            Self::Opus => "opus",
            Self::Pcmu => "PCMU",
            Self::Pcma => "PCMA",
            Self::G722 => "G722",
            Self::TelephoneEvent => "telephone-event",
            Self::Red => "red",
            Self::Vp8 => "VP8",
            Self::Vp9 => "VP9",
            Self::H264 => "H264",
            Self::H265 => "H265",
            Self::Av1 => "AV1",
        }
    }

    /// The RTP clock rate the format mandates; `None` for the formats
    /// whose rate the SDP gives (telephone-event and RED follow the audio
    /// they go with).
    pub const fn clock_rate(self) -> Option<u32> {
        match self {
            Self::Opus => Some(48_000),
            Self::Pcmu | Self::Pcma | Self::G722 => Some(8_000),
            Self::TelephoneEvent | Self::Red => None,
            Self::Vp8 | Self::Vp9 | Self::H264 | Self::H265 | Self::Av1 => Some(90_000),
        }
    }

    /// Whether it is a video format.
    pub const fn is_video(self) -> bool {
        matches!(
            self,
            Self::Vp8 | Self::Vp9 | Self::H264 | Self::H265 | Self::Av1
        )
    }

    /// A depacketizer for the format, with its default settings.
    pub fn depacketizer(self) -> Box<dyn Depacketizer + Send> {
        match self {
            Self::Opus => Box::new(opus::OpusDepacketizer::new()),
            Self::Pcmu | Self::Pcma => Box::new(g711::G711Depacketizer::new()),
            Self::G722 => Box::new(g722::G722Depacketizer::new()),
            Self::TelephoneEvent => Box::new(telephone_event::TelephoneEventDepacketizer::new()),
            Self::Red => Box::new(red::RedDepacketizer::new()),
            Self::Vp8 => Box::new(vp8::Vp8Depacketizer::new()),
            Self::Vp9 => Box::new(vp9::Vp9Depacketizer::new()),
            Self::H264 => Box::new(h264::H264Depacketizer::new()),
            Self::H265 => Box::new(h265::H265Depacketizer::new()),
            Self::Av1 => Box::new(av1::Av1Depacketizer::new()),
        }
    }

    /// A packetizer for the format, with its default settings; `None` for
    /// RED, which needs the payload type of the audio it carries (see
    /// [`red::RedPacketizer::new`]).
    pub fn packetizer(self) -> Option<Box<dyn Packetizer + Send>> {
        Some(match self {
            Self::Opus => Box::new(opus::OpusPacketizer::new()),
            Self::Pcmu | Self::Pcma => Box::new(g711::G711Packetizer::new()),
            Self::G722 => Box::new(g722::G722Packetizer::new()),
            Self::TelephoneEvent => Box::new(telephone_event::TelephoneEventPacketizer::new()),
            Self::Red => return None,
            Self::Vp8 => Box::new(vp8::Vp8Packetizer::new()),
            Self::Vp9 => Box::new(vp9::Vp9Packetizer::new()),
            Self::H264 => Box::new(h264::H264Packetizer::new()),
            Self::H265 => Box::new(h265::H265Packetizer::new()),
            Self::Av1 => Box::new(av1::Av1Packetizer::new()),
        })
    }
}

/// Refuses a `max_payload_len` below `needed`.
fn check_max_payload_len(
    what: &'static str,
    max_payload_len: usize,
    needed: usize,
) -> Result<(), WriteError> {
    if max_payload_len < needed {
        return Err(write_invalid(
            what,
            "max_payload_len too small for the payload headers",
        ));
    }
    Ok(())
}

/// A frame that travels whole in one payload (audio): `frame` goes into
/// `out` as one payload with `marker`, or is refused when it does not fit.
fn packetize_whole(
    what: &'static str,
    frame: &[u8],
    max_payload_len: usize,
    marker: bool,
    out: &mut Payloads,
) -> Result<(), WriteError> {
    out.clear();
    if frame.is_empty() {
        return Err(write_invalid(what, "empty frame"));
    }
    if frame.len() > max_payload_len {
        return Err(WriteError::BufferTooSmall {
            needed: frame.len(),
            have: max_payload_len,
        });
    }
    out.push(&[frame], marker);
    Ok(())
}

/// Whether an audio packet at `timestamp` begins a talkspurt: the first
/// one, or one that does not follow on from the previous packet
/// (`expected`, its timestamp plus its duration). RFC 3551 §4.1 sets the
/// marker bit on such packets.
///
/// <https://www.rfc-editor.org/rfc/rfc3551#section-4.1>
fn starts_talkspurt(expected: Option<u32>, timestamp: u32) -> bool {
    expected != Some(timestamp)
}

/// Error for an empty payload where the format needs at least one byte.
const fn empty_payload(what: &'static str) -> ParseError {
    ParseError::Truncated {
        what,
        needed: 1,
        have: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_share_one_buffer() {
        let mut payloads = Payloads::new();
        payloads.push(&[b"ab", b"c"], false);
        payloads.push(&[b"de"], true);
        assert_eq!(payloads.len(), 2);
        assert_eq!(
            payloads.get(0),
            Some(Payload {
                data: b"abc",
                marker: false
            })
        );
        assert_eq!(payloads.get(1).unwrap().data, b"de");
        assert_eq!(payloads.get(2), None);
        assert_eq!(payloads.iter().len(), 2);
        let mut buf = [0u8; 32];
        let len = payloads
            .get(1)
            .unwrap()
            .to_builder()
            .write_to(&mut buf)
            .unwrap();
        assert_eq!(buf[1] & 0x80, 0x80);
        assert_eq!(&buf[12..len], b"de");
        let capacity = payloads.bytes.capacity();
        payloads.clear();
        assert!(payloads.is_empty());
        assert_eq!(payloads.bytes.capacity(), capacity);
    }

    #[test]
    fn codecs_by_name() {
        assert_eq!(Codec::from_encoding_name("OPUS"), Some(Codec::Opus));
        assert_eq!(Codec::from_encoding_name("h264"), Some(Codec::H264));
        assert_eq!(
            Codec::from_encoding_name("telephone-event"),
            Some(Codec::TelephoneEvent)
        );
        assert_eq!(Codec::from_encoding_name("VP10"), None);
        assert_eq!(Codec::G722.clock_rate(), Some(8000));
        assert_eq!(Codec::Red.clock_rate(), None);
        for codec in Codec::ALL {
            assert_eq!(
                Codec::from_encoding_name(codec.encoding_name()),
                Some(codec)
            );
            assert_eq!(
                codec.depacketizer().frames_are_independent(),
                !codec.is_video()
            );
            assert_eq!(codec.packetizer().is_none(), codec == Codec::Red);
        }
    }

    #[test]
    fn balanced_splits() {
        let sizes: Vec<usize> = balanced_split(10, 4).collect();
        assert_eq!(sizes, [4, 3, 3]);
        let sizes: Vec<usize> = balanced_split(8, 4).collect();
        assert_eq!(sizes, [4, 4]);
        let sizes: Vec<usize> = balanced_split(3, 100).collect();
        assert_eq!(sizes, [3]);
    }
}
