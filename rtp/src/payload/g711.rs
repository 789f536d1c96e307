//! G.711 over RTP (PCMU, payload type 0, and PCMA, payload type 8): one
//! byte per sample at 8 kHz, no payload header, any number of samples per
//! packet (usually 20 ms, 160 bytes).
//!
//! <https://www.rfc-editor.org/rfc/rfc3551#section-4.5.14>

use alloc::vec::Vec;

use crate::error::{ParseError, WriteError};
use crate::payload::{
    Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, empty_payload, packetize_whole,
    starts_talkspurt,
};

const WHAT: &str = "G.711 payload";

/// Puts each block of G.711 samples in one payload (µ-law and A-law
/// alike).
///
/// The marker bit is set on the first packet and on the first packet of
/// each talkspurt (a timestamp that does not follow on from the previous
/// packet's).
#[derive(Debug, Clone, Default)]
pub struct G711Packetizer {
    expected_timestamp: Option<u32>,
}

impl G711Packetizer {
    /// A packetizer that has sent nothing.
    pub const fn new() -> Self {
        Self {
            expected_timestamp: None,
        }
    }
}

impl Packetizer for G711Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        let marker = starts_talkspurt(self.expected_timestamp, timestamp);
        packetize_whole(WHAT, frame, max_payload_len, marker, out)?;
        // One sample per byte; a frame longer than 4 GiB was refused above.
        self.expected_timestamp = Some(timestamp.wrapping_add(frame.len() as u32));
        Ok(())
    }
}

/// Reads G.711 payloads: each is one block of samples.
#[derive(Debug, Clone, Default)]
pub struct G711Depacketizer {
    _private: (),
}

impl G711Depacketizer {
    /// A depacketizer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl Depacketizer for G711Depacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        if payload.is_empty() {
            return Err(empty_payload(WHAT));
        }
        Ok(PayloadInfo::WHOLE)
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        self.payload_info(payload)?;
        frame.extend_from_slice(payload);
        Ok(())
    }

    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        if frame.is_empty() {
            return Err(empty_payload(WHAT));
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

    #[test]
    fn samples_pass_through_and_talkspurts_are_marked() {
        let mut p = G711Packetizer::new();
        let mut out = Payloads::new();
        let samples = [0xffu8; 160];
        p.packetize(&samples, 0, 1200, &mut out).unwrap();
        assert_eq!(out.len(), 1);
        assert!(out.get(0).unwrap().marker);
        p.packetize(&samples, 160, 1200, &mut out).unwrap();
        assert!(!out.get(0).unwrap().marker);
        p.packetize(&samples, 1600, 1200, &mut out).unwrap();
        assert!(out.get(0).unwrap().marker);
        assert!(p.packetize(&samples, 1760, 100, &mut out).is_err());
        assert!(p.packetize(&[], 1760, 100, &mut out).is_err());

        let mut d = G711Depacketizer::new();
        let mut frame = Vec::new();
        let info = d.depacketize_frame([&samples[..]], &mut frame).unwrap();
        assert!(info.keyframe);
        assert_eq!(frame, samples);
        assert!(d.payload_info(&[]).is_err());
    }
}
