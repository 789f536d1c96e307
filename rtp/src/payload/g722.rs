//! G.722 over RTP (payload type 9): 64 kbit/s, two samples of 16 kHz
//! audio per byte, no payload header.
//!
//! For historical reasons the RTP clock runs at 8 kHz even though the
//! audio is sampled at 16 kHz (RFC 3551 §4.5.2): the timestamp advances by
//! one per byte, 160 for a 20 ms packet of 160 bytes.
//!
//! <https://www.rfc-editor.org/rfc/rfc3551#section-4.5.2>

use alloc::vec::Vec;

use crate::error::{ParseError, WriteError};
use crate::payload::{
    Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads, empty_payload, packetize_whole,
    starts_talkspurt,
};

const WHAT: &str = "G.722 payload";

/// Puts each block of G.722 bytes in one payload.
///
/// The marker bit is set on the first packet and on the first packet of
/// each talkspurt (a timestamp that does not follow on from the previous
/// packet's, one tick per byte).
#[derive(Debug, Clone, Default)]
pub struct G722Packetizer {
    expected_timestamp: Option<u32>,
}

impl G722Packetizer {
    /// A packetizer that has sent nothing.
    pub const fn new() -> Self {
        Self {
            expected_timestamp: None,
        }
    }
}

impl Packetizer for G722Packetizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        let marker = starts_talkspurt(self.expected_timestamp, timestamp);
        packetize_whole(WHAT, frame, max_payload_len, marker, out)?;
        // One 8 kHz tick per byte (two 16 kHz samples).
        self.expected_timestamp = Some(timestamp.wrapping_add(frame.len() as u32));
        Ok(())
    }
}

/// Reads G.722 payloads: each is one block of audio.
#[derive(Debug, Clone, Default)]
pub struct G722Depacketizer {
    _private: (),
}

impl G722Depacketizer {
    /// A depacketizer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl Depacketizer for G722Depacketizer {
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
    fn the_clock_ticks_once_per_byte() {
        let mut p = G722Packetizer::new();
        let mut out = Payloads::new();
        let audio = [0x5au8; 160];
        p.packetize(&audio, 8000, 1200, &mut out).unwrap();
        assert!(out.get(0).unwrap().marker);
        // 160 bytes are 20 ms: 320 samples at 16 kHz, 160 ticks at 8 kHz.
        p.packetize(&audio, 8160, 1200, &mut out).unwrap();
        assert!(!out.get(0).unwrap().marker);
        p.packetize(&audio, 8640, 1200, &mut out).unwrap();
        assert!(out.get(0).unwrap().marker);

        let mut d = G722Depacketizer::new();
        let mut frame = Vec::new();
        assert!(
            d.depacketize_frame([&audio[..]], &mut frame)
                .unwrap()
                .keyframe
        );
        assert_eq!(frame, audio);
        assert!(d.depacketize(&[], &mut frame).is_err());
    }
}
