//! Frames across two peers on the simulated network with 5 % loss: the
//! sender's `write_frame` packetizes VP8 frames and H.264 access units
//! (synthetic but well formed: a VP8 key frame header, H.264 SPS, PPS and
//! IDR NAL units); the receiver in frame mode gets them back whole and in
//! order through its jitter buffer, with NACK and RTX repairing the loss
//! and keyframe requests answered.

#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop
)]

mod common;

use core::time::Duration;

use common::Call;
use sansrtc::ice::sim::{Link, Nat};
use sansrtc::sdp::Direction;
use sansrtc::{Event, KeyframeRequest, MediaKind};

/// Frames sent (5 s at 30 frames a second).
const FRAMES: u32 = 150;

/// Frame bytes that never hold a zero (so that no H.264 start code
/// appears by chance), carrying the frame's index.
fn body(index: u32, len: usize) -> Vec<u8> {
    let mut body: Vec<u8> = index
        .to_be_bytes()
        .iter()
        .flat_map(|b| [0x80 | (b >> 4), 0x80 | (b & 0x0f)])
        .collect();
    body.extend((0..len).map(|k| 1 + ((k as u32 * 7 + index * 13) % 250) as u8));
    body
}

/// The index a frame's body carries, after `skip` header bytes.
fn index_of(frame: &[u8], skip: usize) -> u32 {
    let nibbles = &frame[skip..skip + 8];
    let mut bytes = [0u8; 4];
    for (i, byte) in bytes.iter_mut().enumerate() {
        *byte = ((nibbles[2 * i] & 0x0f) << 4) | (nibbles[2 * i + 1] & 0x0f);
    }
    u32::from_be_bytes(bytes)
}

/// A VP8 frame: a key frame (frame tag with P = 0, start code, 320×240)
/// or an interframe (P = 1), then the body.
fn vp8(index: u32, keyframe: bool) -> Vec<u8> {
    let mut frame = if keyframe {
        vec![0xb0, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]
    } else {
        vec![0xb1, 0x01, 0x00]
    };
    frame.extend(body(
        index,
        if keyframe {
            6000
        } else {
            1500 + 97 * (index as usize % 13)
        },
    ));
    frame
}

/// The header bytes before a VP8 frame's body.
fn vp8_header(keyframe: bool) -> usize {
    if keyframe { 10 } else { 3 }
}

const START: [u8; 4] = [0, 0, 0, 1];
/// A baseline-profile SPS (level 3.1, 640×480) and its PPS.
const SPS: [u8; 12] = [
    0x67, 0x42, 0xc0, 0x1f, 0xda, 0x02, 0x80, 0xf6, 0x9b, 0x80, 0x80, 0x83,
];
const PPS: [u8; 4] = [0x68, 0xce, 0x3c, 0x80];

/// An H.264 access unit in Annex B: SPS, PPS and an IDR slice
/// (first_mb_in_slice 0), or a non-IDR slice.
fn h264(index: u32, keyframe: bool) -> Vec<u8> {
    let mut unit = Vec::new();
    if keyframe {
        for nal in [&SPS[..], &PPS[..]] {
            unit.extend_from_slice(&START);
            unit.extend_from_slice(nal);
        }
        unit.extend_from_slice(&START);
        unit.extend_from_slice(&[0x65, 0x88]);
        unit.extend(body(index, 7000));
    } else {
        unit.extend_from_slice(&START);
        unit.extend_from_slice(&[0x41, 0x9a]);
        unit.extend(body(index, 1200 + 131 * (index as usize % 11)));
    }
    unit
}

/// The header bytes before an H.264 access unit's body.
fn h264_header(keyframe: bool) -> usize {
    if keyframe {
        3 * START.len() + SPS.len() + PPS.len() + 2
    } else {
        START.len() + 2
    }
}

/// Sends [`FRAMES`] frames of `codec` from peer 0 to peer 1 (in frame
/// mode) at 30 frames a second over 5 % loss, a key frame first and
/// whenever peer 1 asks for one; checks that what comes out is what was
/// sent, whole and in order.
fn frames_cross(seed: u64, codec: &str, make: fn(u32, bool) -> Vec<u8>, header: fn(bool) -> usize) {
    let link = Link {
        loss_permille: 50,
        ..Link::default()
    };
    let mut call = Call::with_config(
        seed,
        link,
        [Some(Nat::RESTRICTED_CONE), None],
        |i, config| config.receive_frames = i == 1,
    );
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Video, Direction::SendOnly)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(15), |_| {});
    assert!(call.connected(), "{:?}", call.events);
    let payload_type = call.peers[0]
        .codecs(&mid)
        .into_iter()
        .find(|(_, name, _)| name == codec)
        .map(|(pt, _, _)| pt)
        .unwrap();
    let mut sent: Vec<(Vec<u8>, bool)> = Vec::new();
    let mut next = call.now;
    let mut requests_seen = 0;
    let mut keyframes_sent = 0;
    call.run(Duration::from_secs(8), |call| {
        if sent.len() as u32 >= FRAMES || call.now < next {
            return;
        }
        let requests = call.events[0]
            .iter()
            .filter(|e| matches!(e, Event::KeyframeRequested { .. }))
            .count();
        let index = sent.len() as u32;
        let keyframe = index == 0 || requests > requests_seen;
        requests_seen = requests;
        keyframes_sent += usize::from(keyframe);
        let frame = make(index, keyframe);
        call.peers[0]
            .write_frame(call.now, &mid, payload_type, index * 3000, &frame)
            .unwrap();
        sent.push((frame, keyframe));
        next += Duration::from_millis(33);
    });
    assert_eq!(sent.len() as u32, FRAMES);
    let frames = &call.frames[1];
    assert!(call.received[1].is_empty(), "packets outside frame mode");
    let mut previous: Option<u32> = None;
    let mut offset = None;
    for frame in frames {
        assert_eq!(
            (frame.mid.as_str(), frame.payload_type),
            (mid.as_str(), payload_type)
        );
        let index = frame_index(frame, header);
        let (data, keyframe) = &sent[index as usize];
        assert_eq!(&frame.data, data, "frame {index} is not whole");
        assert_eq!(frame.keyframe, *keyframe, "frame {index}");
        // In order, one timestamp per frame (the sender's random offset
        // added).
        assert!(
            previous.is_none_or(|p| p < index),
            "{previous:?} then {index}"
        );
        let frame_offset = frame.timestamp.wrapping_sub(index * 3000);
        assert_eq!(*offset.get_or_insert(frame_offset), frame_offset);
        if frame.discontinuity || previous.is_none() {
            assert!(frame.keyframe, "frame {index} resumes without a keyframe");
        }
        previous = Some(index);
    }
    let stats = call.peers[1].stats(call.now);
    let inbound = &stats.inbound_rtp[0];
    let outbound = call.peers[0].stats(call.now);
    let outbound = outbound.outbound(&mid).unwrap();
    println!(
        "{codec}: {} of {FRAMES} frames whole and in order ({} key frames sent, {} packets sent, {} \
         retransmitted, {} NACKs, {} PLIs, {} FIRs, {} frames dropped)",
        frames.len(),
        keyframes_sent,
        outbound.packets_sent,
        outbound.retransmitted_packets_sent,
        inbound.nack_count,
        inbound.pli_count,
        inbound.fir_count,
        inbound.frames_dropped,
    );
    assert!(
        frames.len() as u32 >= FRAMES * 90 / 100,
        "{} frames",
        frames.len()
    );
    assert_eq!(inbound.frames_received, frames.len() as u64);
    assert_eq!(outbound.frames_sent, u64::from(FRAMES));
    assert!(outbound.retransmitted_packets_sent > 0);
    // More packets than frames: key frames took several.
    assert!(outbound.packets_sent > u64::from(FRAMES) + 20);
}

/// The index a received frame carries.
fn frame_index(frame: &common::Frame, header: fn(bool) -> usize) -> u32 {
    index_of(&frame.data, header(frame.keyframe))
}

#[test]
fn vp8_frames_cross_a_lossy_network_whole_and_in_order() {
    frames_cross(21, "VP8", vp8, vp8_header);
}

#[test]
fn h264_access_units_cross_a_lossy_network_whole_and_in_order() {
    frames_cross(22, "H264", h264, h264_header);
}

#[test]
fn a_lost_keyframe_is_asked_for_again() {
    // Every packet of the first key frame is lost: the receiver, which
    // cannot decode what follows, asks for a key frame.
    let mut call = Call::with_config(23, Link::default(), [None, None], |i, config| {
        config.receive_frames = i == 1;
    });
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Video, Direction::SendOnly)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected());
    let vp8_pt = call.peers[0]
        .codecs(&mid)
        .into_iter()
        .find(|(_, name, _)| name == "VP8")
        .map(|(pt, _, _)| pt)
        .unwrap();
    // Interframes only: the receiver has nothing to start from.
    let mut index = 0;
    let mut next = call.now;
    call.run(Duration::from_secs(3), |call| {
        if call.now < next || index >= 60 {
            return;
        }
        let frame = vp8(index, false);
        call.peers[0]
            .write_frame(call.now, &mid, vp8_pt, index * 3000, &frame)
            .unwrap();
        index += 1;
        next += Duration::from_millis(33);
    });
    assert!(call.frames[1].is_empty());
    let requests: Vec<KeyframeRequest> = call.events[0]
        .iter()
        .filter_map(|e| match e {
            Event::KeyframeRequested { request, .. } => Some(*request),
            _ => None,
        })
        .collect();
    assert!(!requests.is_empty());
    let stats = call.peers[1].stats(call.now);
    let inbound = &stats.inbound_rtp[0];
    assert_eq!(
        inbound.pli_count + inbound.fir_count,
        requests.len() as u64,
        "{inbound:?}"
    );
    let sent = call.peers[0].stats(call.now);
    let outbound = sent.outbound(&mid).unwrap();
    assert_eq!(outbound.pli_count, inbound.pli_count);
    assert_eq!(outbound.fir_count, inbound.fir_count);
    // A key frame then starts the stream.
    let frame = vp8(index, true);
    call.peers[0]
        .write_frame(call.now, &mid, vp8_pt, index * 3000, &frame)
        .unwrap();
    call.run(Duration::from_millis(500), |_| {});
    assert_eq!(call.frames[1].len(), 1);
    assert!(call.frames[1][0].keyframe);
    assert_eq!(call.frames[1][0].data, frame);
}

#[test]
fn write_frame_refuses_what_it_cannot_send() {
    let mut call = Call::new(24, Link::default(), [None, None]);
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Video, Direction::SendRecv)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected());
    let now = call.now;
    // An unknown payload type, an unknown mid.
    assert_eq!(
        call.peers[0].write_frame(now, &mid, 127, 0, &[1, 2, 3]),
        Err(sansrtc::Error::PayloadType(127))
    );
    assert!(matches!(
        call.peers[0].write_frame(now, "nope", 96, 0, &[1, 2, 3]),
        Err(sansrtc::Error::UnknownMid(_))
    ));
    // An empty frame is not a VP8 frame.
    let vp8_pt = call.peers[0]
        .codecs(&mid)
        .into_iter()
        .find(|(_, name, _)| name == "VP8")
        .map(|(pt, _, _)| pt)
        .unwrap();
    assert!(matches!(
        call.peers[0].write_frame(now, &mid, vp8_pt, 0, &[]),
        Err(sansrtc::Error::Packetize(_))
    ));
    // A frame of more packets than can wait to be sent goes out not at
    // all rather than in part.
    let mut huge = vp8(0, true);
    huge.resize(400_000, 0x55);
    assert_eq!(
        call.peers[0].write_frame(now, &mid, vp8_pt, 0, &huge),
        Err(sansrtc::Error::QueueFull)
    );
    assert!(call.peers[0].poll_transmit().is_none());
    let stats = call.peers[0].stats(now);
    assert_eq!(stats.outbound(&mid).unwrap().packets_sent, 0);
    assert_eq!(stats.outbound(&mid).unwrap().frames_sent, 0);
    // One that fits goes.
    huge.truncate(200_000);
    call.peers[0]
        .write_frame(now, &mid, vp8_pt, 0, &huge)
        .unwrap();
    let stats = call.peers[0].stats(now);
    // Each packet: a VP8 payload descriptor of a few bytes, then the
    // frame's bytes up to 1200 in all.
    let packets = stats.outbound(&mid).unwrap().packets_sent;
    assert!((167..=170).contains(&packets), "{packets}");
    assert_eq!(stats.outbound(&mid).unwrap().frames_sent, 1);
}

#[test]
fn a_closed_peer_stops_waiting_for_keyframes() {
    let mut call = Call::with_config(25, Link::default(), [None, None], |i, config| {
        config.receive_frames = i == 1;
    });
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Video, Direction::SendOnly)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected());
    let vp8_pt = call.peers[0]
        .codecs(&mid)
        .into_iter()
        .find(|(_, name, _)| name == "VP8")
        .map(|(pt, _, _)| pt)
        .unwrap();
    // Interframes only: the receiver keeps asking for a key frame.
    for index in 0..3 {
        call.peers[0]
            .write_frame(call.now, &mid, vp8_pt, index * 3000, &vp8(index, false))
            .unwrap();
        call.run(Duration::from_millis(33), |_| {});
    }
    call.run(Duration::from_secs(2), |_| {});
    let asked = |call: &Call| {
        call.events[0]
            .iter()
            .filter(|e| matches!(e, Event::KeyframeRequested { .. }))
            .count()
    };
    let before = asked(&call);
    assert!(before >= 2, "{before} requests");
    // Once closed, it neither asks nor keeps a timer for it.
    let now = call.now;
    call.peers[1].close(now);
    call.run(Duration::from_secs(5), |_| {});
    assert_eq!(call.peers[1].poll_timeout(), None);
    assert!(asked(&call) <= before + 1);
}
