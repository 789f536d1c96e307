//! Opus over RTP: one Opus packet per RTP payload, no payload header, a
//! 48 kHz RTP clock whatever the audio bandwidth.
//!
//! <https://www.rfc-editor.org/rfc/rfc7587#section-4.2>
//!
//! [`OpusPacket`] checks an Opus packet against the rules of RFC 6716
//! §3.4 and reads its TOC byte and duration without decoding audio.

use alloc::vec::Vec;

use crate::cursor::Reader;
use crate::error::{ParseError, WriteError, invalid};
use crate::payload::{
    Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, packetize_whole, starts_talkspurt,
};

const WHAT: &str = "Opus packet";
/// Largest frame an Opus packet may hold (RFC 6716 §3.4, R2).
const MAX_FRAME_LEN: usize = 1275;
/// Longest audio one packet may carry, in 48 kHz samples (120 ms, R5).
const MAX_PACKET_SAMPLES: u32 = 5760;

/// The coding mode a TOC configuration selects.
///
/// <https://www.rfc-editor.org/rfc/rfc6716#section-3.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpusMode {
    /// SILK only (configurations 0 to 11).
    Silk,
    /// SILK and CELT (12 to 15).
    Hybrid,
    /// CELT only (16 to 31).
    Celt,
}

/// A checked view over an Opus packet.
///
/// <https://www.rfc-editor.org/rfc/rfc6716#section-3>
///
/// ```
/// use sansrtc_rtp::payload::opus::{OpusMode, OpusPacket};
/// // Configuration 27 (CELT, 20 ms), stereo, code 1: two frames of 3 bytes.
/// let packet = OpusPacket::parse(&[0xdd, 1, 2, 3, 4, 5, 6]).unwrap();
/// assert_eq!(packet.mode(), OpusMode::Celt);
/// assert!(packet.is_stereo());
/// assert_eq!(packet.frame_count(), 2);
/// assert_eq!(packet.duration(), 1920); // 40 ms at 48 kHz
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusPacket<'a> {
    bytes: &'a [u8],
    frame_count: u8,
}

impl<'a> OpusPacket<'a> {
    /// Checks `bytes` against RFC 6716 §3.4 (rules R1 to R7).
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(bytes, WHAT);
        let toc = r.u8()?;
        let frame_count = match toc & 0x03 {
            0 => {
                if r.remaining() > MAX_FRAME_LEN {
                    return Err(invalid(WHAT, "frame longer than 1275 bytes"));
                }
                1
            }
            1 => {
                if r.remaining() % 2 != 0 {
                    return Err(invalid(WHAT, "code 1 frames of unequal length"));
                }
                if r.remaining() / 2 > MAX_FRAME_LEN {
                    return Err(invalid(WHAT, "frame longer than 1275 bytes"));
                }
                2
            }
            2 => {
                let first = frame_length(&mut r)?;
                let rest = r.remaining();
                if first > rest {
                    return Err(invalid(WHAT, "first frame longer than the packet"));
                }
                if rest - first > MAX_FRAME_LEN {
                    return Err(invalid(WHAT, "frame longer than 1275 bytes"));
                }
                2
            }
            _ => {
                let count_byte = r.u8()?;
                let vbr = count_byte & 0x80 != 0;
                let padded = count_byte & 0x40 != 0;
                let count = count_byte & 0x3f;
                if count == 0 {
                    return Err(invalid(WHAT, "code 3 packet with no frames"));
                }
                if u32::from(count) * frame_samples(toc) > MAX_PACKET_SAMPLES {
                    return Err(invalid(WHAT, "more than 120 ms of audio"));
                }
                let mut padding = 0usize;
                if padded {
                    loop {
                        let b = r.u8()?;
                        padding += if b == 255 { 254 } else { usize::from(b) };
                        if b != 255 {
                            break;
                        }
                    }
                }
                let mut lengths = 0usize;
                if vbr {
                    for _ in 1..count {
                        lengths += frame_length(&mut r)?;
                    }
                }
                let data = r
                    .remaining()
                    .checked_sub(padding)
                    .ok_or(invalid(WHAT, "padding longer than the packet"))?;
                if vbr {
                    let last = data
                        .checked_sub(lengths)
                        .ok_or(invalid(WHAT, "frames longer than the packet"))?;
                    if last > MAX_FRAME_LEN {
                        return Err(invalid(WHAT, "frame longer than 1275 bytes"));
                    }
                } else {
                    if data % usize::from(count) != 0 {
                        return Err(invalid(WHAT, "CBR frames of unequal length"));
                    }
                    if data / usize::from(count) > MAX_FRAME_LEN {
                        return Err(invalid(WHAT, "frame longer than 1275 bytes"));
                    }
                }
                count
            }
        };
        Ok(Self { bytes, frame_count })
    }

    fn toc(&self) -> u8 {
        self.bytes.first().copied().unwrap_or(0)
    }

    /// The TOC configuration number, 0 to 31 (mode, bandwidth, frame size).
    pub fn config(&self) -> u8 {
        self.toc() >> 3
    }

    /// The coding mode.
    pub fn mode(&self) -> OpusMode {
        match self.config() {
            0..=11 => OpusMode::Silk,
            12..=15 => OpusMode::Hybrid,
            _ => OpusMode::Celt,
        }
    }

    /// The stereo flag.
    pub fn is_stereo(&self) -> bool {
        self.toc() & 0x04 != 0
    }

    /// Number of frames in the packet.
    pub const fn frame_count(&self) -> u8 {
        self.frame_count
    }

    /// Samples per frame at 48 kHz (120 for 2.5 ms up to 2880 for 60 ms).
    pub fn frame_samples(&self) -> u32 {
        frame_samples(self.toc())
    }

    /// The packet's duration in 48 kHz samples, which is also how far the
    /// RTP timestamp advances.
    pub fn duration(&self) -> u32 {
        u32::from(self.frame_count) * self.frame_samples()
    }

    /// The whole packet.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }
}

fn frame_samples(toc: u8) -> u32 {
    let config = toc >> 3;
    match (config, config % 4) {
        // SILK: 10, 20, 40, 60 ms.
        (0..=11, 0) => 480,
        (0..=11, 1) => 960,
        (0..=11, 2) => 1920,
        (0..=11, _) => 2880,
        // Hybrid: 10, 20 ms.
        (12..=15, 0 | 2) => 480,
        (12..=15, _) => 960,
        // CELT: 2.5, 5, 10, 20 ms.
        (_, 0) => 120,
        (_, 1) => 240,
        (_, 2) => 480,
        (_, _) => 960,
    }
}

/// A frame length: one byte below 252, otherwise two (RFC 6716 §3.2.1).
fn frame_length(r: &mut Reader<'_>) -> Result<usize, ParseError> {
    let first = r.u8()?;
    if first < 252 {
        return Ok(usize::from(first));
    }
    let second = r.u8()?;
    Ok(usize::from(second) * 4 + usize::from(first))
}

/// Puts each Opus packet in one payload.
///
/// The marker bit is set on the first packet and on the first packet of
/// each talkspurt (a timestamp that does not follow on from the previous
/// packet's, as after discontinuous transmission).
#[derive(Debug, Clone, Default)]
pub struct OpusPacketizer {
    expected_timestamp: Option<u32>,
}

impl OpusPacketizer {
    /// A packetizer that has sent nothing.
    pub const fn new() -> Self {
        Self {
            expected_timestamp: None,
        }
    }
}

impl Packetizer for OpusPacketizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        let packet = OpusPacket::parse(frame)
            .map_err(|_| crate::error::write_invalid(WHAT, "not a valid Opus packet"))?;
        let marker = starts_talkspurt(self.expected_timestamp, timestamp);
        packetize_whole(WHAT, frame, max_payload_len, marker, out)?;
        self.expected_timestamp = Some(timestamp.wrapping_add(packet.duration()));
        Ok(())
    }
}

/// Reads Opus payloads: each is one whole frame.
#[derive(Debug, Clone, Default)]
pub struct OpusDepacketizer {
    _private: (),
}

impl OpusDepacketizer {
    /// A depacketizer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl Depacketizer for OpusDepacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        OpusPacket::parse(payload)?;
        Ok(PayloadInfo::WHOLE)
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        if !frame.is_empty() {
            return Err(invalid(WHAT, "an Opus frame is one payload"));
        }
        OpusPacket::parse(payload)?;
        frame.extend_from_slice(payload);
        Ok(())
    }

    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        if frame.is_empty() {
            return Err(super::empty_payload(WHAT));
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
    fn toc_codes_and_durations() {
        // Code 0, config 1 (SILK NB 20 ms), mono.
        let bytes = hex("08 aabb");
        let p = OpusPacket::parse(&bytes).unwrap();
        assert_eq!(
            (p.config(), p.mode(), p.is_stereo(), p.frame_count()),
            (1, OpusMode::Silk, false, 1)
        );
        assert_eq!(p.duration(), 960);
        // A DTX packet: the TOC byte alone.
        assert_eq!(OpusPacket::parse(&hex("f8")).unwrap().duration(), 960);
        // Code 2: frames of 1 and 2 bytes; config 12 (hybrid 10 ms).
        let bytes = hex("62 01 aa bbcc");
        let p = OpusPacket::parse(&bytes).unwrap();
        assert_eq!(
            (p.mode(), p.frame_count(), p.duration()),
            (OpusMode::Hybrid, 2, 960)
        );
        // Code 2 with a two-byte length: 252 + 4 * 1 = 256 bytes.
        let mut long = hex("62 fc01");
        long.resize(3 + 256, 0);
        assert!(OpusPacket::parse(&long).is_ok());
        long.truncate(3 + 255);
        assert!(OpusPacket::parse(&long).is_err());
        // Code 3 CBR, 3 frames of 2 bytes, with 2 bytes of padding
        // (config 16, CELT 2.5 ms).
        let bytes = hex("83 43 02 aaaa bbbb cccc 0000");
        let p = OpusPacket::parse(&bytes).unwrap();
        assert_eq!((p.frame_count(), p.duration()), (3, 360));
        // Code 3 VBR, 2 frames: 1 byte, then the rest.
        let bytes = hex("fb 82 01 aa bbbbbb");
        let p = OpusPacket::parse(&bytes).unwrap();
        assert_eq!((p.frame_count(), p.duration()), (2, 1920));
    }

    #[test]
    fn malformed_packets_are_refused() {
        for bad in [
            "",              // R1: no TOC
            "01 aa",         // R3: code 1 with an odd payload
            "02 05 aa",      // R4: first frame longer than the packet
            "03 00",         // R5: no frames
            "1b 03",         // R5: 3 × 60 ms > 120 ms
            "03 02 aaaaaa",  // R6: CBR not a multiple of the count
            "03 42 05 aaaa", // padding longer than the packet
            "03 82 05 aa",   // R7: VBR lengths longer than the packet
            "03",            // no frame count byte
        ] {
            assert!(OpusPacket::parse(&hex(bad)).is_err(), "{bad}");
        }
        let mut too_long = hex("08");
        too_long.resize(1 + 1276, 0);
        assert!(OpusPacket::parse(&too_long).is_err());
    }

    #[test]
    fn packetizer_marks_talkspurts() {
        let mut p = OpusPacketizer::new();
        let mut out = Payloads::new();
        let frame = hex("78 0102"); // config 15, 20 ms
        p.packetize(&frame, 1000, 1200, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert!(out.get(0).unwrap().marker);
        assert_eq!(out.get(0).unwrap().data, &frame[..]);
        p.packetize(&frame, 1960, 1200, &mut out).unwrap();
        assert!(!out.get(0).unwrap().marker);
        // A gap in timestamps (DTX): a new talkspurt.
        p.packetize(&frame, 9000, 1200, &mut out).unwrap();
        assert!(out.get(0).unwrap().marker);
        // Too large, malformed, empty.
        assert!(p.packetize(&frame, 9960, 2, &mut out).is_err());
        assert!(out.is_empty());
        assert!(p.packetize(&hex("01 aa"), 0, 1200, &mut out).is_err());
        assert!(p.packetize(&[], 0, 1200, &mut out).is_err());
    }

    #[test]
    fn depacketizer_gives_the_packet_back() {
        let mut d = OpusDepacketizer::new();
        let payload = hex("78 0102");
        assert_eq!(d.payload_info(&payload).unwrap(), PayloadInfo::WHOLE);
        let mut frame = Vec::new();
        let info = d.depacketize_frame([&payload[..]], &mut frame).unwrap();
        assert!(info.keyframe);
        assert_eq!(frame, payload);
        assert!(d.payload_info(&[]).is_err());
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame([&payload[..], &payload[..]], &mut frame)
                .is_err()
        );
    }
}
