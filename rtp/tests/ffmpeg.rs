//! Real bitstreams: ffmpeg encodes a few frames of its test pattern in
//! VP8, VP9, H.264, H.265 and AV1; each frame is packetized at 1200 bytes,
//! the packets are reordered and some duplicated, the jitter buffer puts
//! the frames back together, and the reassembled stream is written out
//! again and must decode with ffmpeg, without errors, to as many frames as
//! the original. Then again with a packet lost: the frames up to the next
//! keyframe are dropped, and what is left still decodes without errors.
//!
//! Skipped, with one `skipped: ffmpeg not installed` line, when `ffmpeg` is
//! not installed.

// Test code: a bad index is a failed test, as the workspace lints intend.
#![allow(clippy::indexing_slicing)]

#[path = "../../support/outside.rs"]
mod outside;

use core::time::Duration;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sansrtc_rtp::jitter::{Event, JitterBuffer, JitterConfig};
use sansrtc_rtp::payload::av1::{self, obu_type};
use sansrtc_rtp::payload::h264::annex_b_nal_units;
use sansrtc_rtp::payload::{Codec, Payloads};
use sansrtc_rtp::rtp::Packet;

const MAX_PAYLOAD_LEN: usize = 1200;
const FRAMES: usize = 30;

/// Whether ffmpeg and ffprobe run; otherwise one `skipped:` line.
fn ffmpeg_installed() -> bool {
    outside::installed_or_skip("ffmpeg", &["-version"]).is_some()
        && outside::installed_or_skip("ffprobe", &["-version"]).is_some()
}

/// A directory of its own under the system's temporary directory.
fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sansrtc-ffmpeg-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Encodes `FRAMES` frames of ffmpeg's test source with `codec_args`.
fn encode(output: &Path, codec_args: &[&str]) {
    let frames = FRAMES.to_string();
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=176x144:rate=30")
        .args(["-frames:v", &frames, "-pix_fmt", "yuv420p", "-g", "10"])
        .args(codec_args)
        .arg(output)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "ffmpeg could not encode {}",
        output.display()
    );
}

/// Decodes `file` with ffmpeg: the frame count, and whatever ffmpeg said
/// at level `error`.
fn decode(file: &Path) -> (usize, String) {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-f", "framemd5", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg could not decode {}",
        file.display()
    );
    let frames = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#'))
        .count();
    (frames, String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The frame count as ffprobe reads it.
fn probe_frames(file: &Path) -> usize {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args(["-show_entries", "stream=nb_read_frames", "-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// An IVF file: its 32-byte header and its frames.
struct Ivf {
    header: Vec<u8>,
    frames: Vec<Vec<u8>>,
}

fn read_ivf(file: &Path) -> Ivf {
    let bytes = std::fs::read(file).unwrap();
    assert_eq!(&bytes[..4], b"DKIF");
    let header_len = usize::from(u16::from_le_bytes([bytes[6], bytes[7]]));
    let mut at = header_len;
    let mut frames = Vec::new();
    while at + 12 <= bytes.len() {
        let size = u32::from_le_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        frames.push(bytes[at + 12..at + 12 + size].to_vec());
        at += 12 + size;
    }
    Ivf {
        header: bytes[..header_len].to_vec(),
        frames,
    }
}

fn write_ivf(file: &Path, header: &[u8], frames: &[Vec<u8>]) {
    let mut out = header.to_vec();
    out[24..28].copy_from_slice(&(frames.len() as u32).to_le_bytes());
    for (pts, frame) in frames.iter().enumerate() {
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(pts as u64).to_le_bytes());
        out.extend_from_slice(frame);
    }
    std::fs::write(file, out).unwrap();
}

/// Splits an Annex B stream into access units at each access unit
/// delimiter (`is_aud`), each written with 4-byte start codes.
fn access_units(stream: &[u8], is_aud: fn(&[u8]) -> bool) -> Vec<Vec<u8>> {
    let mut units: Vec<Vec<u8>> = Vec::new();
    for nal in annex_b_nal_units(stream) {
        if is_aud(nal) || units.is_empty() {
            units.push(Vec::new());
        }
        let unit = units.last_mut().unwrap();
        unit.extend_from_slice(&[0, 0, 0, 1]);
        unit.extend_from_slice(nal);
    }
    units
}

/// An access unit without its delimiter, as the depacketizer gives it back.
fn without_aud(unit: &[u8], is_aud: fn(&[u8]) -> bool) -> Vec<u8> {
    annex_b_nal_units(unit)
        .filter(|nal| !is_aud(nal))
        .flat_map(|nal| [&[0, 0, 0, 1][..], nal].concat())
        .collect()
}

fn h264_aud(nal: &[u8]) -> bool {
    nal.first().is_some_and(|b| b & 0x1f == 9)
}

fn h265_aud(nal: &[u8]) -> bool {
    nal.first().is_some_and(|b| (b >> 1) & 0x3f == 35)
}

/// xorshift64*: the test's own deterministic generator.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % n as u64) as usize
    }
}

struct Outcome {
    frames: Vec<Vec<u8>>,
    /// The index in the input of each frame handed out.
    indices: Vec<usize>,
    keyframes: usize,
    packets: usize,
    events: Vec<Event>,
}

/// Packetizes `frames`, reorders and duplicates packets (and loses the
/// first packet of frame `lose`), and reassembles them with a jitter
/// buffer.
fn round_trip(codec: Codec, frames: &[Vec<u8>], lose: Option<usize>) -> Outcome {
    let mut packetizer = codec.packetizer().unwrap();
    let mut payloads = Payloads::new();
    let mut packets = Vec::new();
    let mut seq = 65_000u16;
    for (i, frame) in frames.iter().enumerate() {
        let timestamp = 3000 * i as u32;
        packetizer
            .packetize(frame, timestamp, MAX_PAYLOAD_LEN, &mut payloads)
            .unwrap();
        for (n, payload) in payloads.iter().enumerate() {
            if lose == Some(i) && n == 0 {
                seq = seq.wrapping_add(1);
                continue;
            }
            assert!(payload.data.len() <= MAX_PAYLOAD_LEN);
            let builder = payload
                .to_builder()
                .payload_type(96)
                .sequence_number(seq)
                .timestamp(timestamp)
                .ssrc(0x5eed);
            let mut bytes = vec![0u8; builder.encoded_len()];
            builder.write_to(&mut bytes).unwrap();
            packets.push(bytes);
            seq = seq.wrapping_add(1);
        }
    }
    let sent = packets.len();
    // Reorder within a few packets, and send one in twenty twice.
    let mut rng = Rng(0x0123_4567_89ab_cdef ^ sent as u64);
    for i in 0..packets.len() {
        let j = (i + rng.below(4)).min(packets.len() - 1);
        packets.swap(i, j);
    }
    let duplicates: Vec<Vec<u8>> = packets.iter().step_by(20).cloned().collect();
    for (n, packet) in duplicates.into_iter().enumerate() {
        let at = (n * 20 + 3).min(packets.len());
        packets.insert(at, packet);
    }

    #[allow(clippy::disallowed_methods)]
    let start = Instant::now();
    let mut jitter = JitterBuffer::new(codec.depacketizer(), JitterConfig::default(), start);
    let mut outcome = Outcome {
        frames: Vec::new(),
        indices: Vec::new(),
        keyframes: 0,
        packets: sent,
        events: Vec::new(),
    };
    let mut drain = |jitter: &mut JitterBuffer<_>| {
        while let Some(frame) = jitter.poll_frame() {
            outcome.keyframes += usize::from(frame.keyframe);
            outcome.indices.push((frame.timestamp / 3000) as usize);
            outcome.frames.push(frame.data);
        }
        outcome
            .events
            .extend(core::iter::from_fn(|| jitter.poll_event()));
    };
    let mut now = start;
    for bytes in &packets {
        now += Duration::from_millis(1);
        if jitter.poll_timeout().is_some_and(|t| t <= now) {
            jitter.handle_timeout(now);
        }
        jitter
            .handle_packet(now, &Packet::parse(bytes).unwrap())
            .unwrap();
        drain(&mut jitter);
    }
    // Let the waits run out (a few seconds of keyframe requests at most).
    for _ in 0..10 {
        let Some(deadline) = jitter.poll_timeout() else {
            break;
        };
        jitter.handle_timeout(deadline);
        drain(&mut jitter);
    }
    assert_eq!(jitter.buffered_packets(), 0, "{codec:?}: packets left over");
    outcome
}

/// Checks that the original and the reassembled file decode alike.
fn check_decodes(codec: Codec, original: &Path, reassembled: &Path, outcome: &Outcome) {
    let (original_frames, original_errors) = decode(original);
    let (frames, errors) = decode(reassembled);
    assert!(original_errors.is_empty(), "{original_errors}");
    assert!(errors.is_empty(), "{codec:?}: ffmpeg says {errors}");
    assert_eq!(frames, original_frames, "{codec:?}: decoded frame count");
    assert_eq!(probe_frames(reassembled), probe_frames(original));
    println!(
        "ffmpeg {codec:?}: {} frames ({} keyframes) in {} packets of at most {MAX_PAYLOAD_LEN} bytes, reordered and reassembled; ffmpeg decodes {frames} frames, no errors",
        outcome.frames.len(),
        outcome.keyframes,
        outcome.packets,
    );
}

/// The frame whose first packet is lost in the lossy run (not a keyframe:
/// those come every 10 frames).
const LOST_FRAME: usize = 3;

/// The lossy run: frames before the loss come out, then nothing until a
/// keyframe, which was asked for.
fn check_loss(codec: Codec, lossy: &Outcome) {
    assert!(
        lossy.indices.starts_with(&[0, 1, 2]),
        "{codec:?}: {:?} {:?}",
        lossy.indices,
        lossy.events
    );
    let resumed = lossy.indices[3];
    assert!(
        (LOST_FRAME + 1..=10).contains(&resumed),
        "{codec:?}: resumed at {resumed}"
    );
    assert!(lossy.indices[3..].windows(2).all(|w| w[1] == w[0] + 1));
    assert!(
        lossy
            .events
            .iter()
            .any(|e| matches!(e, Event::KeyframeRequest(_)))
    );
    assert!(
        lossy
            .events
            .iter()
            .any(|e| matches!(e, Event::PacketsLost { count: 1, .. }))
    );
}

/// The lossy stream decodes without errors to the frames handed out.
fn check_lossy_decodes(codec: Codec, file: &Path, lossy: &Outcome) {
    let (frames, errors) = decode(file);
    assert!(
        errors.is_empty(),
        "{codec:?} with a loss: ffmpeg says {errors}"
    );
    assert_eq!(frames, lossy.frames.len(), "{codec:?} with a loss");
    println!(
        "ffmpeg {codec:?} with a packet lost in frame {LOST_FRAME}: resumed at keyframe {}, {} frames out, ffmpeg decodes {frames} frames, no errors",
        lossy.indices[3],
        lossy.frames.len(),
    );
}

fn ivf_case(codec: Codec, name: &str, codec_args: &[&str]) {
    if !ffmpeg_installed() {
        return;
    }
    let dir = work_dir(name);
    let original = dir.join("original.ivf");
    encode(&original, codec_args);
    let ivf = read_ivf(&original);
    assert_eq!(ivf.frames.len(), FRAMES);
    let outcome = round_trip(codec, &ivf.frames, None);
    assert!(outcome.events.is_empty(), "{codec:?}: {:?}", outcome.events);
    assert_eq!(outcome.frames.len(), ivf.frames.len());
    assert!(
        outcome.keyframes >= 3,
        "{codec:?}: {} keyframes",
        outcome.keyframes
    );
    for (i, (got, sent)) in outcome.frames.iter().zip(&ivf.frames).enumerate() {
        if codec == Codec::Av1 {
            // Temporal delimiters and size fields are rewritten: compare
            // the OBUs.
            let obus = |unit: &[u8]| -> Vec<(u8, Option<u8>, Vec<u8>)> {
                av1::obus(unit)
                    .map(Result::unwrap)
                    .filter(|o| o.obu_type() != obu_type::TEMPORAL_DELIMITER)
                    .map(|o| (o.obu_type(), o.extension, o.payload.to_vec()))
                    .collect()
            };
            assert_eq!(obus(got), obus(sent), "{codec:?} frame {i}");
            assert!(got.starts_with(&av1::TEMPORAL_DELIMITER));
        } else {
            assert_eq!(got, sent, "{codec:?} frame {i}");
        }
    }
    let reassembled = dir.join("reassembled.ivf");
    write_ivf(&reassembled, &ivf.header, &outcome.frames);
    check_decodes(codec, &original, &reassembled, &outcome);

    let lossy = round_trip(codec, &ivf.frames, Some(LOST_FRAME));
    check_loss(codec, &lossy);
    let reassembled = dir.join("lossy.ivf");
    write_ivf(&reassembled, &ivf.header, &lossy.frames);
    check_lossy_decodes(codec, &reassembled, &lossy);
    std::fs::remove_dir_all(&dir).unwrap();
}

fn annex_b_case(codec: Codec, name: &str, codec_args: &[&str], is_aud: fn(&[u8]) -> bool) {
    if !ffmpeg_installed() {
        return;
    }
    let dir = work_dir(name);
    let original = dir.join(format!("original.{name}"));
    encode(&original, codec_args);
    let stream = std::fs::read(&original).unwrap();
    let units = access_units(&stream, is_aud);
    assert_eq!(units.len(), FRAMES);
    let outcome = round_trip(codec, &units, None);
    assert!(outcome.events.is_empty(), "{codec:?}: {:?}", outcome.events);
    assert_eq!(outcome.frames.len(), units.len());
    assert!(
        outcome.keyframes >= 3,
        "{codec:?}: {} keyframes",
        outcome.keyframes
    );
    for (i, (got, sent)) in outcome.frames.iter().zip(&units).enumerate() {
        assert_eq!(got, &without_aud(sent, is_aud), "{codec:?} access unit {i}");
    }
    let reassembled = dir.join(format!("reassembled.{name}"));
    std::fs::write(&reassembled, outcome.frames.concat()).unwrap();
    check_decodes(codec, &original, &reassembled, &outcome);

    let lossy = round_trip(codec, &units, Some(LOST_FRAME));
    check_loss(codec, &lossy);
    let reassembled = dir.join(format!("lossy.{name}"));
    std::fs::write(&reassembled, lossy.frames.concat()).unwrap();
    check_lossy_decodes(codec, &reassembled, &lossy);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn vp8() {
    ivf_case(Codec::Vp8, "vp8", &["-c:v", "libvpx", "-b:v", "400k"]);
}

#[test]
fn vp9() {
    ivf_case(
        Codec::Vp9,
        "vp9",
        &[
            "-c:v",
            "libvpx-vp9",
            "-b:v",
            "400k",
            "-deadline",
            "realtime",
            "-cpu-used",
            "8",
        ],
    );
}

#[test]
fn h264() {
    annex_b_case(
        Codec::H264,
        "h264",
        &["-c:v", "libx264", "-x264-params", "aud=1", "-f", "h264"],
        h264_aud,
    );
}

#[test]
fn h265() {
    annex_b_case(
        Codec::H265,
        "h265",
        &[
            "-c:v",
            "libx265",
            "-x265-params",
            "aud=1:log-level=error",
            "-f",
            "hevc",
        ],
        h265_aud,
    );
}

#[test]
fn av1() {
    ivf_case(
        Codec::Av1,
        "av1",
        &[
            "-c:v",
            "libaom-av1",
            "-cpu-used",
            "8",
            "-usage",
            "realtime",
            "-b:v",
            "400k",
        ],
    );
}
