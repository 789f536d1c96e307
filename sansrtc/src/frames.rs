//! Frames: the peer-connection half of the RTP payload formats.
//!
//! [`Peer::write_frame`] cuts an encoded frame into RTP packets with the
//! packetizer of the transceiver's agreed codec (at most
//! [`Config::max_payload_len`](crate::Config::max_payload_len) payload
//! bytes each, the marker bit where the format wants it) and sends them.
//! [`Peer::receive_frames`] switches a transceiver to frame mode: each
//! stream it receives goes through a [`JitterBuffer`] with the codec's
//! depacketizer, and whole frames come out as [`Event::Frame`], in decode
//! order. The jitter buffer's keyframe requests go out as PLI or FIR
//! (whichever the other side agreed to, RFC 4585 §6.3.1, RFC 5104 §4.3.1),
//! and only the packets it still waits for are asked for again by NACK.
//!
//! Codecs: Opus, PCMU and PCMA, G.722, VP8, VP9, H.264 (packetization mode
//! 0 or 1, from `a=fmtp`), H.265 and AV1. A payload type of another codec
//! keeps arriving as [`Event::Media`] in frame mode.

use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use sansrtc_rtp::ParseError;
use sansrtc_rtp::jitter::{
    Event as JitterEvent, JitterBuffer, JitterConfig, KeyframeRequest as JitterKeyframeRequest,
};
use sansrtc_rtp::payload::av1::{Av1Depacketizer, Av1Packetizer};
use sansrtc_rtp::payload::g711::{G711Depacketizer, G711Packetizer};
use sansrtc_rtp::payload::g722::{G722Depacketizer, G722Packetizer};
use sansrtc_rtp::payload::h264::{H264Depacketizer, H264Packetizer, PacketizationMode};
use sansrtc_rtp::payload::h265::{H265Depacketizer, H265Packetizer};
use sansrtc_rtp::payload::opus::{OpusDepacketizer, OpusPacketizer};
use sansrtc_rtp::payload::vp8::{Vp8Depacketizer, Vp8Packetizer};
use sansrtc_rtp::payload::vp9::{Vp9Depacketizer, Vp9Packetizer};
use sansrtc_rtp::payload::{Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads};
use sansrtc_rtp::rtp::Packet as RtpPacket;
use sansrtc_rtp::rtp::seq_diff;

use crate::event::{Error, Event, KeyframeRequest};
use crate::media::Received;
use crate::peer::Peer;
use crate::transceiver::AgreedCodec;

/// The payload size [`Config::max_payload_len`](crate::Config::max_payload_len)
/// starts at: what is left of a 1280-byte IPv6 minimum MTU after the IP,
/// UDP, RTP, header extension and SRTP overheads, the usual WebRTC choice.
pub const DEFAULT_MAX_PAYLOAD_LEN: usize = 1200;

/// The packetizer of one codec.
#[derive(Debug)]
enum AnyPacketizer {
    Opus(OpusPacketizer),
    G711(G711Packetizer),
    G722(G722Packetizer),
    Vp8(Vp8Packetizer),
    Vp9(Vp9Packetizer),
    H264(H264Packetizer),
    H265(H265Packetizer),
    Av1(Av1Packetizer),
}

impl AnyPacketizer {
    fn for_codec(codec: &AgreedCodec) -> Option<Self> {
        let name = codec.name.as_str();
        let is = |other: &str| name.eq_ignore_ascii_case(other);
        Some(if is("opus") {
            Self::Opus(OpusPacketizer::new())
        } else if is("PCMU") || is("PCMA") {
            Self::G711(G711Packetizer::new())
        } else if is("G722") {
            Self::G722(G722Packetizer::new())
        } else if is("VP8") {
            Self::Vp8(Vp8Packetizer::new())
        } else if is("VP9") {
            Self::Vp9(Vp9Packetizer::new())
        } else if is("H264") {
            let mode = if codec.non_interleaved {
                PacketizationMode::NonInterleaved
            } else {
                PacketizationMode::SingleNalUnit
            };
            Self::H264(H264Packetizer::new().with_mode(mode))
        } else if is("H265") {
            Self::H265(H265Packetizer::new())
        } else if is("AV1") {
            Self::Av1(Av1Packetizer::new())
        } else {
            return None;
        })
    }

    fn packetizer(&mut self) -> &mut dyn Packetizer {
        match self {
            Self::Opus(p) => p,
            Self::G711(p) => p,
            Self::G722(p) => p,
            Self::Vp8(p) => p,
            Self::Vp9(p) => p,
            Self::H264(p) => p,
            Self::H265(p) => p,
            Self::Av1(p) => p,
        }
    }
}

/// The packetizers of a transceiver's codecs, made at their first frame
/// (one per stream sent and payload type, so that picture ids and the
/// like continue from frame to frame).
#[derive(Debug, Default)]
pub(crate) struct Packetizers {
    /// (stream, payload type, packetizer).
    by_payload_type: Vec<(usize, u8, AnyPacketizer)>,
}

impl Packetizers {
    fn get(&mut self, layer: usize, codec: &AgreedCodec) -> Option<&mut AnyPacketizer> {
        let payload_type = codec.payload_type;
        let matches = |(l, pt, _): &(usize, u8, AnyPacketizer)| *l == layer && *pt == payload_type;
        if !self.by_payload_type.iter().any(matches) {
            let packetizer = AnyPacketizer::for_codec(codec)?;
            self.by_payload_type
                .push((layer, codec.payload_type, packetizer));
        }
        self.by_payload_type
            .iter_mut()
            .find(|p| matches(p))
            .map(|(_, _, p)| p)
    }

    /// Forgets the packetizers of payload types no longer agreed.
    pub(crate) fn retain(&mut self, agreed: impl Fn(u8) -> bool) {
        self.by_payload_type.retain(|(_, pt, _)| agreed(*pt));
    }
}

/// The depacketizer of one codec.
#[derive(Debug)]
pub(crate) enum AnyDepacketizer {
    Opus(OpusDepacketizer),
    G711(G711Depacketizer),
    G722(G722Depacketizer),
    Vp8(Vp8Depacketizer),
    Vp9(Vp9Depacketizer),
    H264(H264Depacketizer),
    H265(H265Depacketizer),
    Av1(Av1Depacketizer),
}

impl AnyDepacketizer {
    fn for_codec(name: &str) -> Option<Self> {
        let is = |other: &str| name.eq_ignore_ascii_case(other);
        Some(if is("opus") {
            Self::Opus(OpusDepacketizer::new())
        } else if is("PCMU") || is("PCMA") {
            Self::G711(G711Depacketizer::new())
        } else if is("G722") {
            Self::G722(G722Depacketizer::new())
        } else if is("VP8") {
            Self::Vp8(Vp8Depacketizer::new())
        } else if is("VP9") {
            Self::Vp9(Vp9Depacketizer::new())
        } else if is("H264") {
            Self::H264(H264Depacketizer::new())
        } else if is("H265") {
            Self::H265(H265Depacketizer::new())
        } else if is("AV1") {
            Self::Av1(Av1Depacketizer::new())
        } else {
            return None;
        })
    }

    fn inner(&self) -> &dyn Depacketizer {
        match self {
            Self::Opus(d) => d,
            Self::G711(d) => d,
            Self::G722(d) => d,
            Self::Vp8(d) => d,
            Self::Vp9(d) => d,
            Self::H264(d) => d,
            Self::H265(d) => d,
            Self::Av1(d) => d,
        }
    }

    fn inner_mut(&mut self) -> &mut dyn Depacketizer {
        match self {
            Self::Opus(d) => d,
            Self::G711(d) => d,
            Self::G722(d) => d,
            Self::Vp8(d) => d,
            Self::Vp9(d) => d,
            Self::H264(d) => d,
            Self::H265(d) => d,
            Self::Av1(d) => d,
        }
    }
}

impl Depacketizer for AnyDepacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        self.inner().payload_info(payload)
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        self.inner_mut().depacketize(payload, frame)
    }

    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        self.inner_mut().finish_frame(frame)
    }

    fn reset(&mut self) {
        self.inner_mut().reset();
    }

    fn frames_are_independent(&self) -> bool {
        self.inner().frames_are_independent()
    }
}

/// A stream's frame assembly: its jitter buffer, for one payload type.
#[derive(Debug)]
pub(crate) struct Assembly {
    payload_type: u8,
    jitter: JitterBuffer<AnyDepacketizer>,
}

impl Assembly {
    fn new(
        payload_type: u8,
        depacketizer: AnyDepacketizer,
        config: JitterConfig,
        rtt: Option<Duration>,
        now: Instant,
    ) -> Self {
        let mut jitter = JitterBuffer::new(depacketizer, config, now);
        if let Some(rtt) = rtt {
            jitter.set_rtt(rtt);
        }
        Self {
            payload_type,
            jitter,
        }
    }

    /// Keeps in `lost` (ascending on the sequence-number circle) only the
    /// sequence numbers the jitter buffer still waits for.
    pub(crate) fn keep_missing(&self, lost: &mut Vec<u16>) {
        let mut missing = self.jitter.missing().peekable();
        lost.retain(|&seq| {
            while let Some(&next) = missing.peek() {
                match seq_diff(next, seq) {
                    0 => return true,
                    // `next` is before `seq`: not asked for.
                    d if d < 0 => {
                        missing.next();
                    }
                    _ => return false,
                }
            }
            false
        });
    }

    pub(crate) fn set_rtt(&mut self, rtt: Duration) {
        self.jitter.set_rtt(rtt);
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.jitter.poll_timeout()
    }
}

impl Peer {
    /// Sends an encoded frame on a transceiver: cuts it into RTP payloads
    /// with the packetizer of `payload_type`'s codec (at most
    /// [`Config::max_payload_len`](crate::Config::max_payload_len) bytes
    /// each) and sends them as [`write_rtp`](Self::write_rtp) would, all
    /// with `timestamp`, the marker bit where the format puts it (on the
    /// last packet of a video frame).
    ///
    /// A frame is what the codec's encoder wrote: an Opus packet, G.711 or
    /// G.722 samples, a VP8 or VP9 frame, an H.264 or H.265 access unit in
    /// Annex B format, an AV1 temporal unit of OBUs. Its packets wait in
    /// [`poll_transmit`](Self::poll_transmit) until drained, at most
    /// [`ice::MAX_QUEUED_TRANSMITS`](sansrtc_ice::MAX_QUEUED_TRANSMITS) of
    /// them (300 KB at the default payload size): a larger frame is
    /// refused with [`Error::QueueFull`] before any packet goes.
    ///
    /// On a transceiver that sends simulcast, the frame goes to the first
    /// layer sent; [`write_frame_rid`](Self::write_frame_rid) picks one.
    pub fn write_frame(
        &mut self,
        now: Instant,
        mid: &str,
        payload_type: u8,
        timestamp: u32,
        frame: &[u8],
    ) -> Result<(), Error> {
        self.write_frame_on(now, mid, None, payload_type, timestamp, frame)
    }

    /// [`write_frame`](Self::write_frame) on layer `rid`, or the first
    /// layer sent.
    pub(crate) fn write_frame_on(
        &mut self,
        now: Instant,
        mid: &str,
        rid: Option<&str>,
        payload_type: u8,
        timestamp: u32,
        frame: &[u8],
    ) -> Result<(), Error> {
        self.check_open()?;
        self.advance(now);
        let index = self.sending_index(mid, payload_type)?;
        let layer = self.sending_layer(index, rid)?;
        if self.srtp.is_none() {
            return Err(Error::NotConnected);
        }
        let mut payloads = core::mem::take(&mut self.payloads);
        let packetized = self
            .packetize(index, layer, payload_type, timestamp, frame, &mut payloads)
            .and_then(|()| {
                // All or nothing: the packets must fit in the queue.
                if payloads.len() > sansrtc_ice::MAX_QUEUED_TRANSMITS {
                    Err(Error::QueueFull)
                } else {
                    Ok(())
                }
            });
        let result = packetized.and_then(|()| {
            for payload in &payloads {
                self.send_rtp(
                    now,
                    index,
                    layer,
                    payload_type,
                    timestamp,
                    payload.marker,
                    payload.data,
                )?;
            }
            Ok(())
        });
        self.payloads = payloads;
        if let (Ok(()), Some(outbound)) = (
            &result,
            self.transceivers
                .get_mut(index)
                .and_then(|t| t.outbound.get_mut(layer)),
        ) {
            outbound.frames_sent += 1;
        }
        self.pump(now);
        result
    }

    /// Cuts `frame` into `payloads` with the packetizer of a
    /// transceiver's codec for stream `layer`.
    fn packetize(
        &mut self,
        index: usize,
        layer: usize,
        payload_type: u8,
        timestamp: u32,
        frame: &[u8],
        payloads: &mut Payloads,
    ) -> Result<(), Error> {
        let max_payload_len = self.config.max_payload_len;
        let transceiver = self
            .transceivers
            .get_mut(index)
            .ok_or(Error::PayloadType(payload_type))?;
        let codec = transceiver
            .negotiated
            .as_ref()
            .and_then(|n| n.codec(payload_type))
            .ok_or(Error::PayloadType(payload_type))?;
        let packetizer = transceiver
            .packetizers
            .get(layer, codec)
            .ok_or(Error::NoPacketizer(payload_type))?;
        packetizer
            .packetizer()
            .packetize(frame, timestamp, max_payload_len, payloads)
            .map_err(Error::Packetize)
    }

    /// Switches a transceiver to frame mode (`true`) or back to packets
    /// (`false`). In frame mode what it receives goes through a jitter
    /// buffer per stream and comes out as [`Event::Frame`]: whole frames,
    /// in order, after waiting a bounded time for missing packets (and
    /// asking for them with NACK when agreed); after a loss a video stream
    /// resumes at the next keyframe, which the peer asks for. Payload types
    /// of codecs without a depacketizer still arrive as
    /// [`Event::Media`].
    pub fn receive_frames(&mut self, mid: &str, frames: bool) -> Result<(), Error> {
        let index = self.index_of(mid)?;
        if let Some(transceiver) = self.transceivers.get_mut(index) {
            transceiver.frames = frames;
            if !frames {
                for stream in &mut transceiver.inbound {
                    stream.assembly = None;
                }
            }
        }
        Ok(())
    }

    /// Gives a delivered packet to its stream's jitter buffer, then hands
    /// out what it assembled. `false` when the codec has no depacketizer
    /// (the packet is then delivered as it is).
    pub(crate) fn assemble(&mut self, now: Instant, index: usize, received: &Received) -> bool {
        let rtt = self.rtt;
        let jitter_config = self.config.jitter_buffer;
        let Some(transceiver) = self.transceivers.get_mut(index) else {
            return false;
        };
        let Some(negotiated) = &transceiver.negotiated else {
            return false;
        };
        let config = JitterConfig {
            nack: negotiated.nack(),
            ..jitter_config
        };
        let Some(stream) = transceiver
            .inbound
            .iter_mut()
            .find(|s| s.ssrc == received.ssrc)
        else {
            return false;
        };
        if stream
            .assembly
            .as_ref()
            .is_none_or(|a| a.payload_type != received.payload_type)
        {
            let Some(depacketizer) = negotiated
                .codec(received.payload_type)
                .and_then(|c| AnyDepacketizer::for_codec(&c.name))
            else {
                return false;
            };
            stream.assembly = Some(Assembly::new(
                received.payload_type,
                depacketizer,
                config,
                rtt,
                now,
            ));
        }
        let Some(len) = self.rebuild(received) else {
            return false;
        };
        let Ok(packet) = RtpPacket::parse(self.scratch.get(..len).unwrap_or_default()) else {
            return false;
        };
        let Some(assembly) = self
            .transceivers
            .get_mut(index)
            .and_then(|t| t.inbound.iter_mut().find(|s| s.ssrc == received.ssrc))
            .and_then(|s| s.assembly.as_mut())
        else {
            return false;
        };
        // A payload the depacketizer refuses drops its frame; the jitter
        // buffer reports it as it hands out what follows.
        let _ = assembly.jitter.handle_packet(now, &packet);
        self.drain_assembly(now, index, received.ssrc);
        true
    }

    /// Gives up on missing packets whose wait is over, repeats keyframe
    /// requests, and hands out what that completed, for every stream in
    /// frame mode.
    pub(crate) fn handle_assembly_timeouts(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        for index in 0..self.transceivers.len() {
            let mut due = [0u32; crate::media::MAX_INBOUND_STREAMS];
            let mut count = 0;
            if let Some(transceiver) = self.transceivers.get_mut(index) {
                for stream in &mut transceiver.inbound {
                    if let Some(assembly) = &mut stream.assembly
                        && assembly.poll_timeout().is_some_and(|t| t <= now)
                    {
                        assembly.jitter.handle_timeout(now);
                        if let Some(slot) = due.get_mut(count) {
                            *slot = stream.ssrc;
                            count += 1;
                        }
                    }
                }
            }
            for ssrc in due.into_iter().take(count) {
                self.drain_assembly(now, index, ssrc);
            }
        }
    }

    /// Frames to [`Event::Frame`], keyframe requests to PLI or FIR.
    fn drain_assembly(&mut self, now: Instant, index: usize, ssrc: u32) {
        let mut requests = [None; 2];
        loop {
            let Some(transceiver) = self.transceivers.get_mut(index) else {
                return;
            };
            let Some(stream) = transceiver.inbound.iter_mut().find(|s| s.ssrc == ssrc) else {
                return;
            };
            let Some(assembly) = &mut stream.assembly else {
                return;
            };
            let payload_type = assembly.payload_type;
            while let Some(event) = assembly.jitter.poll_event() {
                match event {
                    JitterEvent::KeyframeRequest(JitterKeyframeRequest::Fir) => {
                        requests[1] = Some(KeyframeRequest::Fir);
                    }
                    JitterEvent::KeyframeRequest(_) => requests[0] = Some(KeyframeRequest::Pli),
                    JitterEvent::FrameDropped { .. } => stream.frames_dropped += 1,
                    _ => {}
                }
            }
            let Some(frame) = assembly.jitter.poll_frame() else {
                break;
            };
            stream.frames_received += 1;
            let event = Event::Frame {
                mid: transceiver.mid.clone(),
                rid: stream.rid,
                payload_type,
                timestamp: frame.timestamp,
                keyframe: frame.keyframe,
                discontinuity: frame.discontinuity,
                data: frame.data,
            };
            if !self.events.push(event)
                && let Some(stream) = self
                    .transceivers
                    .get_mut(index)
                    .and_then(|t| t.inbound.iter_mut().find(|s| s.ssrc == ssrc))
            {
                stream.frames_dropped += 1;
            }
        }
        for request in requests.into_iter().flatten() {
            // Lost like a datagram when there is no pair to send on.
            let _ = self.send_keyframe_request(now, index, Some(ssrc), request);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sansrtc_rtp::rtp::Builder;

    #[allow(clippy::disallowed_methods)]
    fn start() -> Instant {
        Instant::now()
    }

    fn feed(assembly: &mut Assembly, now: Instant, seqs: &[u16]) {
        for &seq in seqs {
            let mut buf = [0u8; 64];
            // A VP8 interframe's middle packet: not a frame start.
            let len = Builder::new()
                .payload_type(96)
                .sequence_number(seq)
                .timestamp(3000)
                .payload(&[0x00, 0x01, 0x02])
                .write_to(&mut buf)
                .unwrap();
            let packet = RtpPacket::parse(&buf[..len]).unwrap();
            let _ = assembly.jitter.handle_packet(now, &packet);
        }
    }

    fn assembly(now: Instant) -> Assembly {
        Assembly::new(
            96,
            AnyDepacketizer::for_codec("vp8").unwrap(),
            JitterConfig::default(),
            None,
            now,
        )
    }

    #[test]
    fn only_what_the_jitter_buffer_waits_for_is_nacked() {
        let t0 = start();
        let mut a = assembly(t0);
        feed(&mut a, t0, &[10, 11, 14, 16]);
        assert_eq!(a.jitter.missing().collect::<Vec<_>>(), [12, 13, 15]);
        let mut lost = vec![9, 12, 13, 15, 17];
        a.keep_missing(&mut lost);
        assert_eq!(lost, [12, 13, 15]);
        let mut lost = vec![13];
        a.keep_missing(&mut lost);
        assert_eq!(lost, [13]);
        let mut lost = vec![];
        a.keep_missing(&mut lost);
        assert!(lost.is_empty());
        // Across the wrap of the sequence numbers.
        let mut a = assembly(t0);
        feed(&mut a, t0, &[65_533, 65_534, 1, 3]);
        assert_eq!(a.jitter.missing().collect::<Vec<_>>(), [65_535, 0, 2]);
        let mut lost = vec![65_532, 65_535, 0, 1, 2];
        a.keep_missing(&mut lost);
        assert_eq!(lost, [65_535, 0, 2]);
    }

    #[test]
    fn every_webrtc_codec_has_a_packetizer_and_a_depacketizer() {
        for name in [
            "opus", "PCMU", "PCMA", "G722", "VP8", "vp9", "H264", "H265", "AV1",
        ] {
            assert!(AnyDepacketizer::for_codec(name).is_some(), "{name}");
            let codec = AgreedCodec {
                payload_type: 100,
                name: name.into(),
                clock_rate: 90_000,
                rtx_payload_type: None,
                nack: false,
                pli: false,
                fir: false,
                non_interleaved: true,
            };
            assert!(AnyPacketizer::for_codec(&codec).is_some(), "{name}");
        }
        assert!(AnyDepacketizer::for_codec("telephone-event").is_none());
        // Audio frames stand alone; video frames do not.
        assert!(
            AnyDepacketizer::for_codec("opus")
                .unwrap()
                .frames_are_independent()
        );
        assert!(
            !AnyDepacketizer::for_codec("VP8")
                .unwrap()
                .frames_are_independent()
        );
    }
}
