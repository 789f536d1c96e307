//! The jitter buffer: reordering, frame assembly, waiting for and giving
//! up on missing packets, keyframe requests, and its memory caps.

// Test code: a bad index is a failed test, as the workspace lints intend.
#![allow(clippy::indexing_slicing)]

use core::time::Duration;
use std::time::Instant;

use sansrtc_rtp::jitter::{
    DropReason, Event, Frame, Handled, JitterBuffer, JitterConfig, KeyframeRequest,
    MAX_BUFFERED_BYTES, MAX_EVENTS, MAX_PACKETS,
};
use sansrtc_rtp::payload::h264::H264Depacketizer;
use sansrtc_rtp::payload::opus::OpusDepacketizer;
use sansrtc_rtp::payload::vp8::{Vp8Depacketizer, Vp8Packetizer};
use sansrtc_rtp::payload::{Depacketizer, Packetizer, Payloads};
use sansrtc_rtp::rtp::{Builder, Packet};

#[allow(clippy::disallowed_methods)]
fn start() -> Instant {
    Instant::now()
}

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// One RTP packet.
#[derive(Debug, Clone)]
struct Rtp {
    bytes: Vec<u8>,
}

impl Rtp {
    fn new(seq: u16, timestamp: u32, marker: bool, payload: &[u8]) -> Self {
        let builder = Builder::new()
            .payload_type(96)
            .sequence_number(seq)
            .timestamp(timestamp)
            .ssrc(0x1234)
            .marker(marker)
            .payload(payload);
        let mut bytes = vec![0u8; builder.encoded_len()];
        builder.write_to(&mut bytes).unwrap();
        Self { bytes }
    }

    fn seq(&self) -> u16 {
        Packet::parse(&self.bytes).unwrap().sequence_number()
    }
}

/// A VP8 frame of `len` bytes: a key frame header or an interframe one.
fn vp8_frame(key: bool, len: usize, fill: u8) -> Vec<u8> {
    let mut frame = if key {
        vec![0xb0, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00]
    } else {
        vec![0xb1, 0x01, 0x00]
    };
    frame.resize(len, fill);
    frame
}

/// A VP8 stream: frames (key or not, length), packetized at 500 bytes,
/// 3000 timestamp units apart, sequence numbers from `first_seq`.
struct Stream {
    frames: Vec<Vec<u8>>,
    packets: Vec<Rtp>,
    /// For each frame, the indices of its packets.
    frame_packets: Vec<Vec<usize>>,
}

fn vp8_stream(first_seq: u16, frames: &[(bool, usize)]) -> Stream {
    let mut packetizer = Vp8Packetizer::new();
    let mut payloads = Payloads::new();
    let mut stream = Stream {
        frames: Vec::new(),
        packets: Vec::new(),
        frame_packets: Vec::new(),
    };
    let mut seq = first_seq;
    for (i, &(key, len)) in frames.iter().enumerate() {
        let frame = vp8_frame(key, len, i as u8);
        let timestamp = 3000 * i as u32;
        packetizer
            .packetize(&frame, timestamp, 500, &mut payloads)
            .unwrap();
        let mut indices = Vec::new();
        for payload in &payloads {
            indices.push(stream.packets.len());
            stream
                .packets
                .push(Rtp::new(seq, timestamp, payload.marker, payload.data));
            seq = seq.wrapping_add(1);
        }
        stream.frames.push(frame);
        stream.frame_packets.push(indices);
    }
    stream
}

fn feed<D: Depacketizer>(jitter: &mut JitterBuffer<D>, now: Instant, packet: &Rtp) -> Handled {
    jitter
        .handle_packet(now, &Packet::parse(&packet.bytes).unwrap())
        .unwrap()
}

fn frames<D: Depacketizer>(jitter: &mut JitterBuffer<D>) -> Vec<Frame> {
    core::iter::from_fn(|| jitter.poll_frame()).collect()
}

fn events<D: Depacketizer>(jitter: &mut JitterBuffer<D>) -> Vec<Event> {
    core::iter::from_fn(|| jitter.poll_event()).collect()
}

fn vp8_jitter(now: Instant) -> JitterBuffer<Vp8Depacketizer> {
    JitterBuffer::new(Vp8Depacketizer::new(), JitterConfig::default(), now)
}

#[test]
fn frames_come_out_whole_and_in_order_whatever_the_arrival_order() {
    let stream = vp8_stream(
        65530,
        &[(true, 1400), (false, 900), (false, 1200), (false, 300)],
    );
    // Reverse each frame's packets, and swap the last two frames.
    let mut order: Vec<usize> = Vec::new();
    for frame in [0, 1, 3, 2] {
        order.extend(stream.frame_packets[frame].iter().rev());
    }
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    let mut out = Vec::new();
    for (i, &index) in order.iter().enumerate() {
        feed(&mut jitter, t0 + ms(i as u64), &stream.packets[index]);
        out.extend(frames(&mut jitter));
    }
    assert_eq!(out.len(), 4);
    for (i, frame) in out.iter().enumerate() {
        assert_eq!(frame.data, stream.frames[i], "frame {i}");
        assert_eq!(frame.timestamp, 3000 * i as u32);
        assert_eq!(frame.keyframe, i == 0);
        assert!(!frame.discontinuity);
        let packets = &stream.frame_packets[i];
        assert_eq!(
            frame.first_sequence_number,
            stream.packets[packets[0]].seq()
        );
        assert_eq!(
            frame.last_sequence_number,
            stream.packets[*packets.last().unwrap()].seq()
        );
    }
    assert!(events(&mut jitter).is_empty());
    assert_eq!(jitter.buffered_packets(), 0);
    assert_eq!(jitter.buffered_bytes(), 0);
    assert_eq!(jitter.poll_timeout(), None);
}

#[test]
fn a_retransmission_in_time_completes_the_frame() {
    let stream = vp8_stream(100, &[(true, 1400), (false, 1400)]);
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    jitter.set_rtt(ms(40));
    assert_eq!(jitter.wait(), ms(80));
    // The second packet of the key frame goes missing.
    for &i in &[0, 2, 3] {
        feed(&mut jitter, t0, &stream.packets[i]);
    }
    assert!(frames(&mut jitter).is_empty());
    assert_eq!(jitter.missing().collect::<Vec<_>>(), [101]);
    assert_eq!(jitter.poll_timeout(), Some(t0 + ms(80)));
    jitter.handle_timeout(t0 + ms(79));
    assert!(events(&mut jitter).is_empty());
    // Its retransmission arrives 60 ms later.
    feed(&mut jitter, t0 + ms(60), &stream.packets[1]);
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data, stream.frames[0]);
    assert_eq!(out[0].received_at, t0 + ms(60));
    // The wait learnt from it: 60 ms and a quarter more.
    assert_eq!(jitter.wait(), ms(80));
    jitter.set_rtt(ms(10));
    assert_eq!(jitter.wait(), ms(75));
    for i in 4..stream.packets.len() {
        feed(&mut jitter, t0 + ms(70), &stream.packets[i]);
    }
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data, stream.frames[1]);
    assert!(jitter.missing().next().is_none());
}

#[test]
fn a_lost_packet_drops_its_frame_and_video_waits_for_a_keyframe() {
    let stream = vp8_stream(
        0,
        &[
            (true, 900),
            (false, 900),
            (false, 900),
            (true, 900),
            (false, 900),
        ],
    );
    let config = JitterConfig {
        keyframe_request_interval: ms(300),
        fir_after: ms(700),
        ..JitterConfig::default()
    };
    let t0 = start();
    let mut jitter = JitterBuffer::new(Vp8Depacketizer::new(), config, t0);
    jitter.set_rtt(ms(50));
    // Frame 1's first packet is lost; frames 2 and 3 arrive.
    let lost = stream.frame_packets[1][0];
    for i in 0..stream.frame_packets[3][0] {
        if i != lost {
            feed(&mut jitter, t0, &stream.packets[i]);
        }
    }
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 1);
    assert!(out[0].keyframe);
    assert_eq!(jitter.missing().collect::<Vec<_>>(), [lost as u16]);
    let deadline = jitter.poll_timeout().unwrap();
    assert_eq!(deadline, t0 + ms(100));
    jitter.handle_timeout(deadline);
    assert!(frames(&mut jitter).is_empty());
    assert_eq!(
        events(&mut jitter),
        [
            Event::PacketsLost {
                first: lost as u16,
                count: 1
            },
            Event::KeyframeRequest(KeyframeRequest::Pli),
            Event::FrameDropped {
                timestamp: 3000,
                reason: DropReason::Incomplete
            },
            Event::FrameDropped {
                timestamp: 6000,
                reason: DropReason::NeedKeyframe
            },
        ]
    );
    assert!(jitter.needs_keyframe());
    // No keyframe yet: PLI again every 300 ms, FIR after 700 ms.
    let mut requests = Vec::new();
    let mut now = deadline;
    for _ in 0..3 {
        now = jitter.poll_timeout().unwrap();
        jitter.handle_timeout(now);
        requests.extend(events(&mut jitter));
    }
    assert_eq!(
        requests,
        [
            Event::KeyframeRequest(KeyframeRequest::Pli),
            Event::KeyframeRequest(KeyframeRequest::Pli),
            Event::KeyframeRequest(KeyframeRequest::Fir),
        ]
    );
    assert_eq!(now, deadline + ms(900));
    // The key frame and the frame after it come out.
    for i in stream.frame_packets[3][0]..stream.packets.len() {
        feed(&mut jitter, now, &stream.packets[i]);
    }
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 2);
    assert!(out[0].keyframe && out[0].discontinuity);
    assert_eq!(out[0].data, stream.frames[3]);
    assert!(!out[1].keyframe && !out[1].discontinuity);
    assert!(!jitter.needs_keyframe());
    assert_eq!(jitter.poll_timeout(), None);
    // The lost packet shows up after all: too late, and the wait learns.
    assert_eq!(
        feed(&mut jitter, now, &stream.packets[lost]),
        Handled::TooLate
    );
    assert!(jitter.wait() > ms(100));
    assert!(jitter.wait() <= JitterConfig::default().max_wait);
}

#[test]
fn a_stream_that_starts_without_a_keyframe_asks_for_one() {
    let stream = vp8_stream(7, &[(false, 600), (true, 600)]);
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    for i in stream.frame_packets[0].clone() {
        feed(&mut jitter, t0, &stream.packets[i]);
    }
    // The first frame waits a moment for packets reordered before it.
    assert!(frames(&mut jitter).is_empty());
    assert!(events(&mut jitter).is_empty());
    let min_wait = JitterConfig::default().min_wait;
    assert_eq!(jitter.poll_timeout(), Some(t0 + min_wait));
    jitter.handle_timeout(t0 + min_wait);
    assert!(frames(&mut jitter).is_empty());
    assert_eq!(
        events(&mut jitter),
        [
            Event::FrameDropped {
                timestamp: 0,
                reason: DropReason::NeedKeyframe
            },
            Event::KeyframeRequest(KeyframeRequest::Pli),
        ]
    );
    for i in stream.frame_packets[1].clone() {
        feed(&mut jitter, t0 + ms(15), &stream.packets[i]);
    }
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 1);
    assert!(out[0].keyframe);
}

#[test]
fn joining_in_the_middle_of_a_frame_skips_its_rest() {
    let stream = vp8_stream(1000, &[(true, 1400), (true, 1400)]);
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    // The first packet seen is the key frame's second: the one before it
    // is waited for, as it may only be late.
    let mut out = Vec::new();
    for i in 1..stream.packets.len() {
        feed(&mut jitter, t0, &stream.packets[i]);
        out.extend(frames(&mut jitter));
    }
    assert!(out.is_empty());
    assert_eq!(jitter.missing().collect::<Vec<_>>(), [1000]);
    jitter.handle_timeout(jitter.poll_timeout().unwrap());
    out.extend(frames(&mut jitter));
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].timestamp, 3000);
    assert_eq!(
        events(&mut jitter),
        [
            Event::PacketsLost {
                first: 1000,
                count: 1
            },
            Event::KeyframeRequest(KeyframeRequest::Pli),
            Event::FrameDropped {
                timestamp: 0,
                reason: DropReason::Incomplete
            },
        ]
    );
}

#[test]
fn packets_reordered_before_the_first_one_seen_still_count() {
    let stream = vp8_stream(500, &[(true, 1400)]);
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    let mut out = Vec::new();
    for i in [2, 1, 0] {
        feed(&mut jitter, t0 + ms(i as u64), &stream.packets[i]);
        out.extend(frames(&mut jitter));
    }
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].data, stream.frames[0]);
    assert!(events(&mut jitter).is_empty());

    // A whole interframe arrives before the key frame it follows: it waits
    // a moment rather than being dropped for want of a keyframe.
    let stream = vp8_stream(900, &[(true, 900), (false, 300)]);
    let mut jitter = vp8_jitter(t0);
    let mut out = Vec::new();
    for (i, index) in [2, 0, 1].into_iter().enumerate() {
        feed(&mut jitter, t0 + ms(2 * i as u64), &stream.packets[index]);
        out.extend(frames(&mut jitter));
    }
    assert_eq!(out.len(), 2);
    assert!(out[0].keyframe);
    assert!(events(&mut jitter).is_empty());
}

#[test]
fn audio_goes_on_after_a_loss() {
    let t0 = start();
    let mut jitter = JitterBuffer::new(OpusDepacketizer::new(), JitterConfig::default(), t0);
    let opus = [0x78u8, 0x01, 0x02];
    let packets: Vec<Rtp> = (0..6u16)
        .map(|i| Rtp::new(i, 960 * u32::from(i), i == 0, &opus))
        .collect();
    let mut out = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        if i != 2 {
            feed(&mut jitter, t0, p);
        }
        out.extend(frames(&mut jitter));
    }
    assert_eq!(out.len(), 2);
    jitter.handle_timeout(jitter.poll_timeout().unwrap());
    out.extend(frames(&mut jitter));
    assert_eq!(out.len(), 5);
    assert_eq!(
        out.iter().map(|f| f.timestamp).collect::<Vec<_>>(),
        [0, 960, 2880, 3840, 4800]
    );
    assert!(out[2].discontinuity && !out[3].discontinuity);
    assert!(out.iter().all(|f| f.keyframe));
    // No keyframe requests for audio.
    assert_eq!(
        events(&mut jitter),
        [Event::PacketsLost { first: 2, count: 1 }]
    );
    assert!(!jitter.needs_keyframe());
}

#[test]
fn padding_fills_gaps_and_duplicates_are_ignored() {
    let stream = vp8_stream(10, &[(true, 400), (false, 400)]);
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    assert_eq!(feed(&mut jitter, t0, &stream.packets[0]), Handled::Buffered);
    assert_eq!(
        feed(&mut jitter, t0, &stream.packets[0]),
        Handled::Duplicate
    );
    // Frame 1 is sent after a padding-only packet (sequence number 11).
    let padding = Rtp::new(11, 0, false, &[]);
    let shifted: Vec<u8> = {
        let mut bytes = stream.packets[1].bytes.clone();
        let mut packet = Packet::new_checked(&mut bytes[..]).unwrap();
        packet.set_sequence_number(12);
        bytes
    };
    jitter
        .handle_packet(t0, &Packet::parse(&shifted).unwrap())
        .unwrap();
    assert_eq!(frames(&mut jitter).len(), 1);
    assert_eq!(jitter.missing().collect::<Vec<_>>(), [11]);
    assert_eq!(feed(&mut jitter, t0, &padding), Handled::Padding);
    assert_eq!(frames(&mut jitter).len(), 1);
    assert!(jitter.missing().next().is_none());
    assert_eq!(feed(&mut jitter, t0, &stream.packets[0]), Handled::TooLate);
}

#[test]
fn a_malformed_payload_drops_its_frame_without_waiting() {
    let stream = vp8_stream(0, &[(true, 1400), (true, 400)]);
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    // The key frame's middle packet is garbage (an X bit with nothing after it).
    let garbage = Rtp::new(1, 0, false, &[0x80]);
    feed(&mut jitter, t0, &stream.packets[0]);
    let err = jitter
        .handle_packet(t0, &Packet::parse(&garbage.bytes).unwrap())
        .unwrap_err();
    assert!(err.to_string().contains("VP8"));
    for i in 2..stream.packets.len() {
        feed(&mut jitter, t0, &stream.packets[i]);
    }
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].timestamp, 3000);
    assert!(out[0].discontinuity);
    let dropped = events(&mut jitter);
    assert!(matches!(
        dropped[0],
        Event::FrameDropped {
            timestamp: 0,
            reason: DropReason::Malformed(_)
        }
    ));
}

#[test]
fn a_frame_ends_where_the_timestamp_changes_without_a_marker() {
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    let key = vp8_frame(true, 20, 1);
    let delta = vp8_frame(false, 20, 2);
    let descriptor = [0x10u8];
    let first = [&descriptor[..], &key].concat();
    let second = [&descriptor[..], &delta].concat();
    feed(&mut jitter, t0, &Rtp::new(0, 0, false, &first));
    assert!(frames(&mut jitter).is_empty());
    feed(&mut jitter, t0, &Rtp::new(1, 3000, true, &second));
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 2);
    assert_eq!(out[0].data, key);
}

#[test]
fn h264_frames_need_their_parameter_sets() {
    // An access unit whose IDR slice is fragmented, then one without SPS.
    let t0 = start();
    let mut jitter = JitterBuffer::new(H264Depacketizer::new(), JitterConfig::default(), t0);
    let sps = [0x67u8, 0x42, 0xc0, 0x1f];
    let pps = [0x68u8, 0xce, 0x3c, 0x80];
    let stap = [&[0x78u8][..], &[0, 4], &sps, &[0, 4], &pps].concat();
    let fu_start = [0x7cu8, 0x85, 0x88, 0x84];
    let fu_end = [0x7cu8, 0x45, 0x33, 0xff];
    let idr_alone = [0x65u8, 0x88, 0x84, 0x21];
    feed(&mut jitter, t0, &Rtp::new(0, 0, false, &stap));
    feed(&mut jitter, t0, &Rtp::new(2, 0, true, &fu_end));
    feed(&mut jitter, t0, &Rtp::new(1, 0, false, &fu_start));
    feed(&mut jitter, t0, &Rtp::new(3, 3000, true, &idr_alone));
    // A packet that may begin the stream's first frame waits a moment for
    // packets reordered before it.
    assert!(frames(&mut jitter).is_empty());
    assert_eq!(
        jitter.poll_timeout(),
        Some(t0 + JitterConfig::default().min_wait)
    );
    jitter.handle_timeout(t0 + JitterConfig::default().min_wait);
    let out = frames(&mut jitter);
    assert_eq!(out.len(), 2);
    assert!(out[0].keyframe);
    assert_eq!(
        out[0].data,
        [
            &[0, 0, 0, 1][..],
            &sps,
            &[0, 0, 0, 1],
            &pps,
            &[0, 0, 0, 1, 0x65, 0x88, 0x84, 0x33, 0xff]
        ]
        .concat()
    );
    // An IDR without parameter sets still decodes after a keyframe.
    assert!(!out[1].keyframe);
}

#[test]
fn the_packet_cap_holds_whatever_the_sender_does() {
    let t0 = start();
    let config = JitterConfig {
        max_packets: 100,
        ..JitterConfig::default()
    };
    let mut jitter = JitterBuffer::new(Vp8Depacketizer::new(), config, t0);
    let delta = [&[0x10u8][..], &vp8_frame(false, 10, 0)].concat();
    // Complete frames nobody polls.
    for seq in 1..=500u16 {
        feed(
            &mut jitter,
            t0,
            &Rtp::new(seq, 3000 * u32::from(seq), true, &delta),
        );
        assert!(jitter.buffered_packets() <= 100);
        while jitter.poll_event().is_some() {}
    }
    // A jump far ahead drops everything.
    feed(&mut jitter, t0, &Rtp::new(20_000, 0, true, &delta));
    assert_eq!(jitter.buffered_packets(), 1);
    // A configuration cannot raise the cap.
    let mut jitter = JitterBuffer::new(
        Vp8Depacketizer::new(),
        JitterConfig {
            max_packets: usize::MAX,
            ..JitterConfig::default()
        },
        t0,
    );
    for seq in 1..=(MAX_PACKETS as u16 + 100) {
        feed(
            &mut jitter,
            t0,
            &Rtp::new(seq, 3000 * u32::from(seq), true, &delta),
        );
    }
    assert_eq!(jitter.buffered_packets(), MAX_PACKETS);
}

#[test]
fn the_byte_cap_holds_whatever_the_sender_does() {
    let t0 = start();
    let config = JitterConfig {
        max_packets: MAX_PACKETS,
        ..JitterConfig::default()
    };
    let mut jitter = JitterBuffer::new(Vp8Depacketizer::new(), config, t0);
    let big = [&[0x00u8][..], &vec![0x42; 60_000]].concat();
    // Never a frame start, never an end: kept until the cap pushes them out.
    for seq in 1..=400u16 {
        feed(&mut jitter, t0, &Rtp::new(seq, 0, false, &big));
        assert!(jitter.buffered_bytes() <= MAX_BUFFERED_BYTES);
    }
    assert!(jitter.buffered_packets() < 400);
}

#[test]
fn the_event_queue_is_capped_and_counts_what_it_loses() {
    let t0 = start();
    let config = JitterConfig {
        max_packets: MAX_PACKETS,
        ..JitterConfig::default()
    };
    let mut jitter = JitterBuffer::new(OpusDepacketizer::new(), config, t0);
    let opus = [0x78u8, 0x01];
    // Every other packet lost: one event per loss, never polled.
    for i in 0..(2 * MAX_EVENTS as u16 + 50) {
        feed(
            &mut jitter,
            t0,
            &Rtp::new(2 * i, 960 * u32::from(i), false, &opus),
        );
    }
    jitter.handle_timeout(t0 + Duration::from_secs(2));
    while jitter.poll_frame().is_some() {}
    assert!(jitter.dropped_events() > 0);
    assert_eq!(events(&mut jitter).len(), MAX_EVENTS);
}

#[test]
fn the_wait_follows_the_configuration() {
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    // No RTT yet: twice the default.
    assert_eq!(jitter.wait(), ms(200));
    jitter.set_rtt(Duration::from_secs(5));
    assert_eq!(jitter.wait(), JitterConfig::default().max_wait);
    jitter.set_rtt(ms(1));
    assert_eq!(jitter.wait(), JitterConfig::default().min_wait);
    let without_nack = JitterBuffer::new(
        Vp8Depacketizer::new(),
        JitterConfig {
            nack: false,
            min_wait: ms(30),
            ..JitterConfig::default()
        },
        t0,
    );
    assert_eq!(without_nack.wait(), ms(30));
}

#[test]
fn reset_forgets_the_stream() {
    let stream = vp8_stream(100, &[(true, 900), (false, 900)]);
    let t0 = start();
    let mut jitter = vp8_jitter(t0);
    feed(&mut jitter, t0, &stream.packets[0]);
    jitter.reset();
    assert_eq!(jitter.buffered_packets(), 0);
    assert!(jitter.needs_keyframe());
    // A new stream with other sequence numbers.
    let other = vp8_stream(30_000, &[(true, 900)]);
    for p in &other.packets {
        feed(&mut jitter, t0, p);
    }
    assert_eq!(frames(&mut jitter).len(), 1);
}
