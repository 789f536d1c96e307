//! Video and Opus files between two of our peers on 127.0.0.1, checked by
//! ffmpeg: ffmpeg encodes its test pattern into an IVF file (VP8, and VP9
//! and AV1 when this ffmpeg has the encoders), alice sends it with
//! `send_video`, bob records it with `record_video`; bob's file holds the
//! file's frames byte for byte, in the order alice sent them (from the
//! start again after the end or a keyframe request), every one of them,
//! and ffprobe decodes it: as many frames as alice sent (give or take the
//! frames in flight at the hang-up), at the size of the original. The IVF
//! reader and writer copy ffmpeg's file byte for byte. The Ogg Opus
//! writer gets the packets of an Opus file ffmpeg encoded and must give a
//! file ffprobe reads with the same packets and duration. Unusable files
//! are errors before the call.
//!
//! Skipped, with one `skipped: ffmpeg not installed` line, when `ffmpeg`
//! is not installed.

// The test owns the clock (the peers' epoch); a bad index is a failed test.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

#[path = "../../support/outside.rs"]
mod outside;

extern crate alloc;

use alloc::sync::Arc;
use core::time::Duration;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use sansrtc_examples::ivf::{IvfReader, IvfWriter};
use sansrtc_examples::ogg::{OggOpusWriter, OpusHead};
use sansrtc_examples::peer::{self, CallSummary, Output, PeerConfig, PeerError};
use sansrtc_examples::signal;
use sansrtc_rtp::payload::opus::OpusPacket;
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// Frames the sender may have in flight when it hangs up.
const IN_FLIGHT: u64 = 3;

/// Whether ffmpeg and ffprobe run; otherwise one `skipped:` line.
fn ffmpeg_installed() -> bool {
    outside::installed_or_skip("ffmpeg", &["-version"]).is_some()
        && outside::installed_or_skip("ffprobe", &["-version"]).is_some()
}

/// Whether this ffmpeg has an encoder.
fn has_encoder(name: &str) -> bool {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-encoders"])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .any(|line| line.split_whitespace().nth(1) == Some(name))
}

/// A directory of its own under the system's temporary directory.
fn work_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sansrtc-video-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Encodes 2 s of ffmpeg's test pattern at 320x240, 30 frames a second,
/// a keyframe a second, into an IVF file.
fn encode_ivf(output: &Path, codec_args: &[&str]) {
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("testsrc=size=320x240:rate=30")
        .args(["-t", "2", "-pix_fmt", "yuv420p", "-g", "30"])
        .args(codec_args)
        .args(["-f", "ivf"])
        .arg(output)
        .status()
        .unwrap();
    assert!(
        status.success(),
        "ffmpeg could not encode {}",
        output.display()
    );
}

/// ffprobe's codec, width, height and decoded frame count of a video file.
fn probe_video(file: &Path) -> (String, u32, u32, u64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-select_streams", "v:0"])
        .args([
            "-show_entries",
            "stream=codec_name,width,height,nb_read_frames",
        ])
        .args(["-of", "csv=p=0"])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let fields: Vec<&str> = text.trim().split(',').collect();
    assert_eq!(
        fields.len(),
        4,
        "ffprobe said {text:?} for {}",
        file.display()
    );
    (
        fields[0].to_owned(),
        fields[1].parse().unwrap(),
        fields[2].parse().unwrap(),
        fields[3].parse().unwrap(),
    )
}

/// Decodes a file with ffmpeg; what ffmpeg said at level `error`.
fn decode_errors(file: &Path) -> String {
    let out = Command::new("ffmpeg")
        .args(["-v", "error", "-i"])
        .arg(file)
        .args(["-f", "null", "-"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "ffmpeg could not decode {}",
        file.display()
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A call between alice (first in the room, the offerer) and bob, with the
/// options `setup` gives them. Alice hangs up `seconds` after connecting.
async fn call(
    seconds: f64,
    setup: impl FnOnce(&mut PeerConfig, &mut PeerConfig),
) -> (CallSummary, CallSummary) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(signal::serve(listener, false));
    let epoch = Instant::now();
    let joined = Arc::new(Notify::new());
    let mut alice = PeerConfig::new("alice", address);
    alice.output = Output::Quiet;
    alice.epoch = epoch;
    alice.joined = Some(Arc::clone(&joined));
    alice.duration = Some(Duration::from_secs_f64(seconds));
    let mut bob = PeerConfig::new("bob", address);
    bob.output = Output::Quiet;
    bob.epoch = epoch;
    setup(&mut alice, &mut bob);
    let alice = tokio::spawn(peer::run(alice, core::future::pending()));
    joined.notified().await;
    let bob = tokio::spawn(peer::run(bob, core::future::pending()));
    let limit = Duration::from_secs_f64(seconds + 15.0);
    let alice = tokio::time::timeout(limit, alice).await.unwrap().unwrap();
    let bob = tokio::time::timeout(limit, bob).await.unwrap().unwrap();
    server.abort();
    (alice.unwrap(), bob.unwrap())
}

/// The frames of an IVF file.
fn ivf_frames(file: &Path) -> Vec<Vec<u8>> {
    let mut reader = IvfReader::new(std::fs::File::open(file).unwrap()).unwrap();
    let mut frames = Vec::new();
    while let Some(frame) = reader.next_frame().unwrap() {
        frames.push(frame.data);
    }
    assert_eq!(frames.len(), reader.header().frame_count as usize);
    frames
}

/// The recording holds the source's frames, byte for byte, in the order
/// the sender sends them: each the one after the last, or the source's
/// first frame again (the file looped, or started over for a keyframe
/// request); and every frame of the source is in it.
fn same_frames(source: &Path, recording: &Path) {
    let sent = ivf_frames(source);
    let received = ivf_frames(recording);
    let index = |frame: &Vec<u8>| sent.iter().position(|f| f == frame);
    for (i, frame) in sent.iter().enumerate() {
        assert_eq!(
            index(frame),
            Some(i),
            "frame {i} of the source is not unique"
        );
    }
    let mut seen = vec![false; sent.len()];
    let mut previous: Option<usize> = None;
    for (n, frame) in received.iter().enumerate() {
        let Some(i) = index(frame) else {
            panic!(
                "recorded frame {n} ({} bytes) is not in the source",
                frame.len()
            );
        };
        if let Some(p) = previous {
            assert!(
                i == p + 1 || i == 0,
                "recorded frame {n} is source frame {i} after source frame {p}"
            );
        }
        seen[i] = true;
        previous = Some(i);
    }
    let missing: Vec<usize> = (0..sent.len()).filter(|&i| !seen[i]).collect();
    assert!(
        missing.is_empty(),
        "source frames never recorded: {missing:?}"
    );
}

/// Alice sends `source`, bob records it; the recording holds the source's
/// frames and decodes to the frames alice sent at the source's size.
async fn send_and_record(source: &Path, recording: &Path, codec_name: &str) {
    let (send, record) = (source.to_owned(), recording.to_owned());
    let (alice, bob) = call(3.0, |alice, bob| {
        alice.media_files.send_video = Some(send);
        bob.media_files.record_video = Some(record);
    })
    .await;
    assert!(alice.connected && bob.connected, "{alice:?} {bob:?}");
    let (sent, received) = (&alice.media, &bob.media);
    // 3 s at 30 frames a second, the 2 s file looped once.
    assert!(sent.video_frames_sent >= 60, "{sent:?}");
    assert!(sent.video_loops >= 1, "{sent:?}");
    assert!(
        received.video_frames_recorded + IN_FLIGHT >= sent.video_frames_sent
            && received.video_frames_recorded <= sent.video_frames_sent,
        "sent {sent:?}, recorded {received:?}"
    );
    assert_eq!(received.video_codec.as_deref(), Some(codec_name));
    assert_eq!(received.video_size, Some((320, 240)));
    assert!(received.video_keyframes_recorded >= 1);

    let (codec, width, height, frames) = probe_video(recording);
    assert_eq!((width, height), (320, 240), "{codec}");
    assert_eq!(codec, codec_name.to_ascii_lowercase());
    assert_eq!(frames, received.video_frames_recorded, "{codec}");
    let errors = decode_errors(recording);
    assert!(errors.is_empty(), "{codec}: {errors}");
    same_frames(source, recording);
}

/// The IVF reader and writer copy an IVF file ffmpeg wrote byte for byte
/// (header, frame count and timestamps included).
fn copy_is_identical(source: &Path, copy: &Path) {
    let mut reader = IvfReader::new(std::fs::File::open(source).unwrap()).unwrap();
    let output = std::fs::File::create(copy).unwrap();
    let mut writer = IvfWriter::new(output, *reader.header()).unwrap();
    while let Some(frame) = reader.next_frame().unwrap() {
        writer.write_frame(frame.timestamp, &frame.data).unwrap();
    }
    writer.finish().unwrap();
    let (original, ours) = (std::fs::read(source).unwrap(), std::fs::read(copy).unwrap());
    assert_eq!(original.len(), ours.len());
    assert!(original == ours, "the copy of {} differs", source.display());
    let (codec, width, height, frames) = probe_video(copy);
    assert_eq!((width, height), (320, 240), "{codec}");
    assert_eq!(frames, 60);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vp8_from_a_file_is_recorded_by_the_other_peer() {
    if !ffmpeg_installed() {
        return;
    }
    let dir = work_dir("vp8");
    let source = dir.join("source.ivf");
    encode_ivf(
        &source,
        &["-c:v", "libvpx", "-deadline", "realtime", "-b:v", "500k"],
    );
    copy_is_identical(&source, &dir.join("copy.ivf"));
    send_and_record(&source, &dir.join("recording.ivf"), "VP8").await;
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn vp9_and_av1_from_files_are_recorded_when_ffmpeg_encodes_them() {
    if !ffmpeg_installed() {
        return;
    }
    let dir = work_dir("vp9-av1");
    let encoders: [(&str, &[&str], &str); 2] = [
        (
            "libvpx-vp9",
            &[
                "-c:v",
                "libvpx-vp9",
                "-deadline",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "500k",
            ],
            "VP9",
        ),
        (
            "libaom-av1",
            &[
                "-c:v",
                "libaom-av1",
                "-usage",
                "realtime",
                "-cpu-used",
                "8",
                "-b:v",
                "500k",
            ],
            "AV1",
        ),
    ];
    let mut tried = 0;
    for (encoder, args, codec) in encoders {
        if !has_encoder(encoder) {
            eprintln!("this ffmpeg has no {encoder}: {codec} not tried");
            continue;
        }
        tried += 1;
        let source = dir.join(format!("{codec}.ivf"));
        encode_ivf(&source, args);
        send_and_record(&source, &dir.join(format!("{codec}-recording.ivf")), codec).await;
    }
    eprintln!("{tried} of 2 codecs tried");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The packets of an Ogg stream and its `OpusHead`, read page by page
/// (lacing values join segments into packets).
fn read_ogg_opus(bytes: &[u8]) -> (OpusHead, Vec<Vec<u8>>) {
    let mut packets = Vec::new();
    let mut packet = Vec::new();
    let mut rest = bytes;
    while !rest.is_empty() {
        assert_eq!(&rest[..4], b"OggS");
        let segments = usize::from(rest[26]);
        let lacing = &rest[27..27 + segments];
        let mut data = &rest[27 + segments..];
        for &len in lacing {
            packet.extend_from_slice(&data[..usize::from(len)]);
            data = &data[usize::from(len)..];
            if len < 255 {
                packets.push(core::mem::take(&mut packet));
            }
        }
        let page_len = 27 + segments + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
        rest = &rest[page_len..];
    }
    let head = &packets[0];
    assert_eq!(&head[..8], b"OpusHead");
    let head_fields = OpusHead {
        channels: head[9],
        pre_skip: u16::from_le_bytes([head[10], head[11]]),
        input_sample_rate: u32::from_le_bytes(head[12..16].try_into().unwrap()),
        output_gain: i16::from_le_bytes([head[16], head[17]]),
    };
    assert_eq!(&packets[1][..8], b"OpusTags");
    (head_fields, packets.split_off(2))
}

/// ffprobe's packet count and duration (seconds) of an audio file.
fn probe_audio(file: &Path) -> (String, u64, f64) {
    let out = Command::new("ffprobe")
        .args(["-v", "error", "-count_packets", "-select_streams", "a:0"])
        .args([
            "-show_entries",
            "stream=codec_name,nb_read_packets:format=duration",
        ])
        .args(["-of", "default=noprint_wrappers=1"])
        .arg(file)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let field = |name: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name}=")))
            .unwrap_or_else(|| panic!("no {name} in {text:?}"))
            .to_owned()
    };
    (
        field("codec_name"),
        field("nb_read_packets").parse().unwrap(),
        field("duration").parse().unwrap(),
    )
}

#[test]
fn opus_packets_rewritten_to_ogg_read_back_the_same() {
    if !ffmpeg_installed() {
        return;
    }
    if !has_encoder("libopus") {
        // Without libopus ffmpeg's own encoder does the job.
        eprintln!("this ffmpeg has no libopus: its native Opus encoder is used");
    }
    let dir = work_dir("opus");
    let source = dir.join("source.ogg");
    let encoder = if has_encoder("libopus") {
        "libopus"
    } else {
        "opus"
    };
    let status = Command::new("ffmpeg")
        .args(["-v", "error", "-y", "-f", "lavfi", "-i"])
        .arg("sine=frequency=440:duration=3:sample_rate=48000")
        .args(["-ac", "2", "-c:a", encoder, "-b:a", "64k", "-strict", "-2"])
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success());
    let (head, packets) = read_ogg_opus(&std::fs::read(&source).unwrap());
    assert!(packets.len() >= 100, "{}", packets.len());

    let file = std::fs::File::create(dir.join("rewritten.ogg")).unwrap();
    let mut writer = OggOpusWriter::new(file, head, 0x5eed, "sansrtc").unwrap();
    let mut samples = 0u64;
    for packet in &packets {
        let duration = OpusPacket::parse(packet).unwrap().duration();
        samples += u64::from(duration);
        writer.write_packet(packet, duration).unwrap();
    }
    writer.finish().unwrap();

    let (codec, count, duration) = probe_audio(&dir.join("rewritten.ogg"));
    let (_, source_count, source_duration) = probe_audio(&source);
    assert_eq!(codec, "opus");
    assert_eq!(count, packets.len() as u64);
    assert_eq!(count, source_count);
    // ffprobe gives the last granule position (pre-skip included) as the
    // duration.
    let ours = (u64::from(head.pre_skip) + samples) as f64 / 48_000.0;
    assert!((duration - ours).abs() < 0.001, "{duration} vs {ours}");
    // The source's last page trims the end; ours keeps whole packets.
    assert!(
        (duration - source_duration).abs() <= 0.021,
        "{duration} vs {source_duration}"
    );
    let errors = decode_errors(&dir.join("rewritten.ogg"));
    assert!(errors.is_empty(), "{errors}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Files the sender cannot use are errors before the call starts.
#[tokio::test]
async fn unusable_files_are_errors_before_the_call() {
    let dir = work_dir("bad");
    let mut header = Vec::new();
    header
        .extend_from_slice(b"DKIF\0\0\x20\0VP80\x40\x01\xf0\0\x1e\0\0\0\x01\0\0\0\0\0\0\0\0\0\0\0");
    // A key frame header (10 bytes) in a frame said to hold 100.
    let mut truncated = header.clone();
    truncated.extend_from_slice(&100u32.to_le_bytes());
    truncated.extend_from_slice(&0u64.to_le_bytes());
    truncated.extend_from_slice(&[0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]);
    let mut interframe_only = header.clone();
    interframe_only.extend_from_slice(&3u32.to_le_bytes());
    interframe_only.extend_from_slice(&0u64.to_le_bytes());
    interframe_only.extend_from_slice(&[0x11, 0x00, 0x00]);
    let mut h264 = header.clone();
    h264[8..12].copy_from_slice(b"H264");
    let mut huge = header.clone();
    huge.extend_from_slice(&u32::MAX.to_le_bytes());
    huge.extend_from_slice(&0u64.to_le_bytes());
    let cases: [(&str, &[u8], &str); 6] = [
        (
            "garbage.ivf",
            b"this is not a video file at all",
            "not an IVF file",
        ),
        ("short.ivf", b"DKIF\0\0", "cut short"),
        ("truncated.ivf", &truncated, "cut short: in a frame"),
        ("interframes.ivf", &interframe_only, "no VP8 keyframe"),
        ("h264.ivf", &h264, "only VP8, VP9 and AV1"),
        ("huge.ivf", &huge, "more than the"),
    ];
    for (name, bytes, expected) in cases {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut config = PeerConfig::new("alice", "127.0.0.1:9".parse().unwrap());
        config.output = Output::Quiet;
        config.media_files.send_video = Some(path);
        let result = peer::run(config, core::future::pending()).await;
        match result {
            Err(PeerError::Media(message)) => {
                assert!(message.contains(expected), "{name}: {message}");
                assert!(message.contains(name), "{name}: {message}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
    let mut config = PeerConfig::new("alice", "127.0.0.1:9".parse().unwrap());
    config.output = Output::Quiet;
    config.media_files.record_video = Some(dir.join("recording.mp4"));
    let result = peer::run(config, core::future::pending()).await;
    assert!(
        matches!(&result, Err(PeerError::Media(m)) if m.contains(".ivf")),
        "{result:?}"
    );
    let mut config = PeerConfig::new("alice", "127.0.0.1:9".parse().unwrap());
    config.output = Output::Quiet;
    config.media_files.record_opus = Some(dir.join("no-such-directory").join("x.ogg"));
    let result = peer::run(config, core::future::pending()).await;
    assert!(
        matches!(&result, Err(PeerError::Media(m)) if m.contains("x.ogg")),
        "{result:?}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}
