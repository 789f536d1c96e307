//! RTP payload formats: packetizing a video frame of about 100 KB into
//! payloads of at most 1200 bytes, and depacketizing those payloads back
//! into the frame, for a VP8 key frame and an H.264 access unit (SPS, PPS,
//! IDR) that ffmpeg encoded (`data/README.md`). Peer: webrtc-rs
//! `rtp::codecs`. Floor: copying the frame's bytes once.
//!
//! Each crate packetizes into the output it offers: sansrtc into a
//! [`Payloads`] reused from frame to frame, webrtc-rs into a fresh
//! `Vec<Bytes>`. Depacketizing gives every crate the same payloads (the
//! ones sansrtc made; webrtc-rs makes the same ones for H.264, and only a
//! shorter picture id for VP8) and ends with the whole frame in a buffer
//! reused from frame to frame: sansrtc's depacketizers append to it,
//! webrtc-rs's return one `Bytes` per payload, which are appended to it,
//! as an application (or webrtc-rs's own sample builder) must to decode.
//! Both H.264 depacketizers write every NAL unit behind a 4-byte start
//! code, so their frames agree with each other, and with the access unit
//! NAL unit for NAL unit (ffmpeg wrote the slice behind a 3-byte one).

use core::hint::black_box;

use bytes::Bytes;
use sansrtc_rtp::payload::h264::{H264Depacketizer, H264Packetizer};
use sansrtc_rtp::payload::vp8::{Vp8Depacketizer, Vp8Packetizer};
use sansrtc_rtp::payload::{Depacketizer, Packetizer, Payloads};

use crate::inputs::{h264_access_unit, vp8_keyframe};
use crate::{Case, Role};

/// The largest payload: 1200 bytes, the usual WebRTC choice.
pub const MAX_PAYLOAD_LEN: usize = 1200;

/// A checksum over a reassembled frame that does not cost a pass over it:
/// its length and its first and last 8 bytes.
pub fn frame_checksum(frame: &[u8]) -> u64 {
    let head = frame.iter().take(8);
    let tail = frame.iter().rev().take(8);
    let mut acc = frame.len() as u64;
    for (i, &b) in head.chain(tail).enumerate() {
        acc = acc.wrapping_add(u64::from(b) << (8 * (i % 8)));
    }
    acc
}

/// sansrtc's payloads of `frame`, as owned byte vectors.
pub fn sansrtc_payloads(packetizer: &mut impl Packetizer, frame: &[u8]) -> Vec<Vec<u8>> {
    let mut payloads = Payloads::new();
    packetizer
        .packetize(frame, 0, MAX_PAYLOAD_LEN, &mut payloads)
        .expect("sansrtc packetizes");
    payloads.iter().map(|p| p.data.to_vec()).collect()
}

/// Reassembles a frame with a sansrtc depacketizer into `frame`.
pub fn depacketize_sansrtc(
    depacketizer: &mut impl Depacketizer,
    payloads: &[Vec<u8>],
    frame: &mut Vec<u8>,
) -> u64 {
    frame.clear();
    for payload in payloads {
        depacketizer
            .depacketize(payload, frame)
            .expect("sansrtc depacketizes");
    }
    let info = depacketizer
        .finish_frame(frame)
        .expect("sansrtc ends the frame");
    // Every crate's checksum covers the frame only: webrtc-rs does not say
    // whether it is a keyframe.
    black_box(info.keyframe);
    frame_checksum(frame)
}

/// Reassembles a frame with a webrtc-rs depacketizer into `frame`.
pub fn depacketize_webrtc(
    depacketizer: &mut impl rtp::packetizer::Depacketizer,
    payloads: &[Bytes],
    frame: &mut Vec<u8>,
) -> u64 {
    frame.clear();
    for payload in payloads {
        let data = depacketizer
            .depacketize(payload)
            .expect("webrtc-rs depacketizes");
        frame.extend_from_slice(&data);
    }
    frame_checksum(frame)
}

/// Copies the payloads' bytes into `frame`: the least a depacketizer does.
fn copy_payloads(payloads: &[Vec<u8>], frame: &mut Vec<u8>) -> u64 {
    frame.clear();
    for payload in payloads {
        frame.extend_from_slice(payload);
    }
    frame.len() as u64
}

/// Copies the frame into `out`: the least a packetizer does.
fn copy_frame(frame: &[u8], out: &mut Vec<u8>) -> u64 {
    out.clear();
    out.extend_from_slice(frame);
    out.len() as u64
}

/// The packetize group of one codec: each crate's packetizer, then the
/// floor.
fn packetize_cases(
    group: &'static str,
    frame: &[u8],
    mut ours: impl Packetizer + 'static,
    mut theirs: impl rtp::packetizer::Payloader + 'static,
) -> [Case; 3] {
    let input = frame.to_vec();
    let mut payloads = Payloads::new();
    let sansrtc = Case::new(group, "sansrtc", Role::Sansrtc, move || {
        ours.packetize(black_box(&input), 0, MAX_PAYLOAD_LEN, &mut payloads)
            .expect("sansrtc packetizes");
        black_box(&payloads).len() as u64
    });
    let input = Bytes::from(frame.to_vec());
    let webrtc = Case::new(group, "rtp (webrtc-rs)", Role::Peer, move || {
        let payloads = theirs
            .payload(MAX_PAYLOAD_LEN, black_box(&input))
            .expect("webrtc-rs packetizes");
        black_box(&payloads).len() as u64
    });
    let input = frame.to_vec();
    let mut out = Vec::with_capacity(input.len());
    let floor = Case::new(group, "floor: copy", Role::Floor, move || {
        copy_frame(black_box(&input), &mut out)
    });
    [sansrtc, webrtc, floor]
}

/// The depacketize group of one codec: each crate's depacketizer on the
/// same payloads, then the floor.
fn depacketize_cases(
    group: &'static str,
    frame_len: usize,
    payloads: Vec<Vec<u8>>,
    mut ours: impl Depacketizer + 'static,
    mut theirs: impl rtp::packetizer::Depacketizer + 'static,
) -> [Case; 3] {
    let input = payloads.clone();
    let mut out = Vec::with_capacity(frame_len);
    let sansrtc = Case::decode(group, "sansrtc", Role::Sansrtc, move || {
        depacketize_sansrtc(&mut ours, black_box(&input), &mut out)
    });
    let input: Vec<Bytes> = payloads.iter().cloned().map(Bytes::from).collect();
    let mut out = Vec::with_capacity(frame_len);
    let webrtc = Case::decode(group, "rtp (webrtc-rs)", Role::Peer, move || {
        depacketize_webrtc(&mut theirs, black_box(&input), &mut out)
    })
    .noted("one `Bytes` per payload, appended to the frame buffer");
    let input = payloads;
    let mut out = Vec::with_capacity(frame_len + input.len() * 4);
    let floor = Case::new(group, "floor: copy", Role::Floor, move || {
        copy_payloads(black_box(&input), &mut out)
    });
    [sansrtc, webrtc, floor]
}

/// webrtc-rs's VP8 payloader with a picture id, as sansrtc (and every
/// WebRTC sender) writes.
fn vp8_payloader() -> rtp::codecs::vp8::Vp8Payloader {
    let mut payloader = rtp::codecs::vp8::Vp8Payloader::default();
    payloader.enable_picture_id = true;
    payloader
}

/// The payload-format cases.
pub fn cases() -> Vec<Case> {
    let vp8 = vp8_keyframe();
    let h264 = h264_access_unit();
    let mut cases = Vec::new();
    cases.extend(packetize_cases(
        "payload_packetize_vp8_100k",
        vp8,
        Vp8Packetizer::new(),
        vp8_payloader(),
    ));
    cases.extend(depacketize_cases(
        "payload_depacketize_vp8_100k",
        vp8.len(),
        sansrtc_payloads(&mut Vp8Packetizer::new(), vp8),
        Vp8Depacketizer::new(),
        rtp::codecs::vp8::Vp8Packet::default(),
    ));
    cases.extend(packetize_cases(
        "payload_packetize_h264_100k",
        h264,
        H264Packetizer::new(),
        rtp::codecs::h264::H264Payloader::default(),
    ));
    cases.extend(depacketize_cases(
        "payload_depacketize_h264_100k",
        h264.len(),
        sansrtc_payloads(&mut H264Packetizer::new(), h264),
        H264Depacketizer::new(),
        rtp::codecs::h264::H264Packet::default(),
    ));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;
    use rtp::packetizer::Payloader as _;
    use sansrtc_rtp::payload::h264::annex_b_nal_units;

    /// What each crate's packetizer makes comes back as the same frame
    /// through sansrtc's depacketizer, and through webrtc-rs's.
    #[test]
    fn every_packetizer_round_trips() {
        for (frame, is_vp8) in [(vp8_keyframe(), true), (h264_access_unit(), false)] {
            // The frame as a depacketizer gives it back.
            let same = |back: &[u8]| {
                if is_vp8 {
                    back == frame
                } else {
                    annex_b_nal_units(back).eq(annex_b_nal_units(frame))
                }
            };
            let ours = if is_vp8 {
                sansrtc_payloads(&mut Vp8Packetizer::new(), frame)
            } else {
                sansrtc_payloads(&mut H264Packetizer::new(), frame)
            };
            let theirs: Vec<Bytes> = if is_vp8 {
                vp8_payloader().payload(MAX_PAYLOAD_LEN, &Bytes::from_static(frame))
            } else {
                rtp::codecs::h264::H264Payloader::default()
                    .payload(MAX_PAYLOAD_LEN, &Bytes::from_static(frame))
            }
            .unwrap();
            assert!(ours.len() >= frame.len() / MAX_PAYLOAD_LEN);
            for payload in ours
                .iter()
                .map(Vec::len)
                .chain(theirs.iter().map(Bytes::len))
            {
                assert!(payload <= MAX_PAYLOAD_LEN, "{payload}");
            }
            for payloads in [ours.clone(), theirs.iter().map(|b| b.to_vec()).collect()] {
                let mut back = Vec::new();
                let keyframe = if is_vp8 {
                    Vp8Depacketizer::new()
                        .depacketize_frame(payloads.iter().map(Vec::as_slice), &mut back)
                } else {
                    H264Depacketizer::new()
                        .depacketize_frame(payloads.iter().map(Vec::as_slice), &mut back)
                }
                .unwrap()
                .keyframe;
                assert!(keyframe);
                assert!(same(&back));
            }
            let mut back = Vec::new();
            let input: Vec<Bytes> = ours.into_iter().map(Bytes::from).collect();
            if is_vp8 {
                depacketize_webrtc(
                    &mut rtp::codecs::vp8::Vp8Packet::default(),
                    &input,
                    &mut back,
                );
            } else {
                depacketize_webrtc(
                    &mut rtp::codecs::h264::H264Packet::default(),
                    &input,
                    &mut back,
                );
            }
            assert!(same(&back));
        }
    }

    #[test]
    fn the_checksum_sees_the_ends_and_the_length() {
        let frame = vp8_keyframe().to_vec();
        let base = frame_checksum(&frame);
        let mut other = frame.clone();
        *other.last_mut().unwrap() ^= 1;
        assert_ne!(frame_checksum(&other), base);
        other = frame.clone();
        other.pop();
        assert_ne!(frame_checksum(&other), base);
    }
}
