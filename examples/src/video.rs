//! Video and Opus files for the example peer: sending the frames of an IVF
//! file at the pace of their timestamps, and recording what arrives.
//!
//! - [`PeerConfig::media_files`](crate::peer::PeerConfig::media_files)
//!   `send_video`: a VP8, VP9 or AV1 IVF file (ffmpeg `-f ivf`). The peer
//!   offers (or accepts) that codec on a video transceiver and hands each
//!   frame to [`Peer::write_frame`] when its timestamp is due, from the
//!   first keyframe, looping at the end. A keyframe request from the other
//!   side (PLI or FIR, [`Event::KeyframeRequested`]) restarts the file at
//!   its first keyframe, so that the other side's decoder can start.
//! - `record_video`: receives the video transceiver in frame mode
//!   ([`Peer::receive_frames`]) and writes each [`Event::Frame`]: to IVF
//!   for VP8, VP9 and AV1 (file name ending in `.ivf`), to an H.264 Annex B
//!   byte stream (`.h264` or `.264`). It asks for a keyframe once connected
//!   and whenever a frame follows a loss.
//! - `record_opus`: offers and accepts Opus besides PCMU and writes the
//!   Opus packets received to an Ogg Opus file ([`crate::ogg`]); a gap in
//!   the RTP timestamps (lost packets) is filled with empty Opus frames,
//!   which a decoder conceals, so that the file keeps the call's timing.
//!
//! Files are opened before the call, so that a missing or unusable file is
//! an error at once; a file that turns out corrupt later stops the sending,
//! with a line that says why.

use core::time::Duration;
use std::fs::File;
use std::io::{BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use sansrtc::rtp::payload::opus::OpusPacket;
use sansrtc::rtp::payload::vp8;
use sansrtc::rtp::payload::vp9::Vp9FrameHeader;
use sansrtc::rtp::payload::{av1, h264};
use sansrtc::sdp::Direction;
use sansrtc::sdp::negotiate::Codec;
use sansrtc::{Config, ConnectionState, Event, MediaKind, MediaPacket, Mid, Peer};

use crate::ivf::{IvfError, IvfFrame, IvfHeader, IvfReader, IvfWriter};
use crate::ogg::{OggOpusWriter, OpusHead};
use crate::peer::PeerError;
use crate::timeline::{Timeline, note};

/// The RTP clock of video (RFC 3551 §5).
pub const VIDEO_CLOCK_RATE: u32 = 90_000;

/// The longest pause between two frames of a file that the sender keeps:
/// a file whose timestamps jump further is sent as if they did not.
pub const MAX_FRAME_STEP: Duration = Duration::from_secs(1);

/// Frame step when the file gives none (a file of one frame).
const DEFAULT_FRAME_STEP: Duration = Duration::from_millis(33);

/// The longest gap in received Opus that the recording fills with
/// concealment: longer gaps are cut short.
pub const MAX_OPUS_GAP_SAMPLES: u32 = 10 * 48_000;

/// Shortest time between two keyframe requests for lost video.
const KEYFRAME_REQUEST_INTERVAL: Duration = Duration::from_millis(500);

/// The Opus payload type we offer.
const OPUS_PAYLOAD_TYPE: u8 = 111;

/// The files of a call (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaFiles {
    /// An IVF file (VP8, VP9 or AV1) to send as video, looping.
    pub send_video: Option<PathBuf>,
    /// Where to record received video: `.ivf` for VP8, VP9 or AV1,
    /// `.h264` (or `.264`) for an H.264 Annex B stream.
    pub record_video: Option<PathBuf>,
    /// Where to record received Opus, as Ogg Opus.
    pub record_opus: Option<PathBuf>,
}

/// What the video and Opus side of a call did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaSummary {
    /// Video frames handed to the `Peer`.
    pub video_frames_sent: u64,
    /// Times the sent file was started again at its first keyframe because
    /// the other side asked for a keyframe.
    pub keyframe_requests_received: u64,
    /// Times the sent file looped.
    pub video_loops: u64,
    /// Video frames received.
    pub video_frames_received: u64,
    /// Of those, frames written to the recording.
    pub video_frames_recorded: u64,
    /// Of those, keyframes.
    pub video_keyframes_recorded: u64,
    /// Received frames that followed a loss.
    pub video_discontinuities: u64,
    /// The recorded video codec (`VP8`, `VP9`, `AV1`, `H264`).
    pub video_codec: Option<String>,
    /// The recorded picture size, from the first keyframe (VP8, VP9, AV1).
    pub video_size: Option<(u16, u16)>,
    /// Opus packets written to the recording (concealment not counted).
    pub opus_packets_recorded: u64,
    /// Their payload type.
    pub opus_payload_type: Option<u8>,
    /// The samples (48 kHz) in the recording: the packets and the
    /// concealment of gaps.
    pub opus_samples: u64,
    /// The samples the RTP timestamps of the recorded packets span (48 kHz
    /// clock), last packet's duration included.
    pub opus_rtp_span: u64,
    /// Empty frames written for lost packets.
    pub opus_concealed_packets: u64,
    /// Packets that came too late (after a later one was written) or were
    /// not Opus, and were left out.
    pub opus_packets_dropped: u64,
}

/// A video codec the peer sends or records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VideoCodec {
    /// VP8 (IVF `VP80`).
    Vp8,
    /// VP9 (IVF `VP90`).
    Vp9,
    /// AV1 (IVF `AV01`).
    Av1,
    /// H.264 (Annex B).
    H264,
}

impl VideoCodec {
    /// The SDP encoding name.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Vp8 => "VP8",
            Self::Vp9 => "VP9",
            Self::Av1 => "AV1",
            Self::H264 => "H264",
        }
    }

    /// The codec of an IVF FourCC.
    pub fn from_fourcc(fourcc: [u8; 4]) -> Option<Self> {
        match &fourcc {
            b"VP80" => Some(Self::Vp8),
            b"VP90" => Some(Self::Vp9),
            b"AV01" => Some(Self::Av1),
            _ => None,
        }
    }

    /// The IVF FourCC (none for H.264, recorded as Annex B).
    pub const fn fourcc(self) -> Option<[u8; 4]> {
        match self {
            Self::Vp8 => Some(*b"VP80"),
            Self::Vp9 => Some(*b"VP90"),
            Self::Av1 => Some(*b"AV01"),
            Self::H264 => None,
        }
    }

    fn from_name(name: &str) -> Option<Self> {
        [Self::Vp8, Self::Vp9, Self::Av1, Self::H264]
            .into_iter()
            .find(|codec| codec.name().eq_ignore_ascii_case(name))
    }

    /// What we offer for this codec: the codec and its RTX, with the
    /// payload types browsers use.
    fn sdp(self) -> Vec<Codec<'static>> {
        match self {
            Self::Vp8 => vec![Codec::vp8(96), Codec::rtx(97, 96)],
            Self::Vp9 => vec![Codec::vp9(98, "0"), Codec::rtx(99, 98)],
            Self::Av1 => vec![Codec::av1(45), Codec::rtx(46, 45)],
            Self::H264 => vec![
                Codec::h264(102, "42e01f", "1"),
                Codec::rtx(103, 102),
                Codec::h264(104, "42e01f", "0"),
                Codec::rtx(105, 104),
            ],
        }
    }

    /// Whether a frame (IVF frame, temporal unit, access unit) is one a
    /// decoder can start from.
    pub fn is_keyframe(self, frame: &[u8]) -> bool {
        match self {
            Self::Vp8 => vp8::is_keyframe(frame) == Some(true),
            Self::Vp9 => Vp9FrameHeader::parse(frame).is_ok_and(|h| h.keyframe),
            // Encoders repeat the sequence header with each key frame.
            Self::Av1 => av1::obus(frame)
                .any(|obu| obu.is_ok_and(|obu| obu.obu_type() == av1::obu_type::SEQUENCE_HEADER)),
            Self::H264 => h264::annex_b_nal_units(frame)
                .any(|nal| nal.first().is_some_and(|&h| h & 0x1f == 5)),
        }
    }

    /// The picture size a keyframe gives (not read for H.264).
    pub fn frame_size(self, frame: &[u8]) -> Option<(u16, u16)> {
        match self {
            // RFC 6386 §9.1: 14-bit width and height after the start code.
            Self::Vp8 => {
                let size = frame.get(6..10)?;
                let width = u16::from_le_bytes([*size.first()?, *size.get(1)?]) & 0x3fff;
                let height = u16::from_le_bytes([*size.get(2)?, *size.get(3)?]) & 0x3fff;
                Some((width, height))
            }
            Self::Vp9 => Vp9FrameHeader::parse(frame).ok()?.size,
            Self::Av1 => av1::obus(frame)
                .filter_map(Result::ok)
                .find(|obu| obu.obu_type() == av1::obu_type::SEQUENCE_HEADER)
                .and_then(|obu| av1_max_frame_size(obu.payload)),
            Self::H264 => None,
        }
    }
}

/// Reads bits MSB first; `None` past the end.
struct Bits<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Bits<'_> {
    fn bit(&mut self) -> Option<u32> {
        let byte = self.bytes.get(self.position / 8)?;
        let bit = (byte >> (7 - self.position % 8)) & 1;
        self.position += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, count: u32) -> Option<u32> {
        (0..count).try_fold(0u32, |acc, _| Some(acc << 1 | self.bit()?))
    }

    /// AV1 `uvlc()` (§4.10.3).
    fn uvlc(&mut self) -> Option<u32> {
        let mut leading_zeros = 0;
        while self.bit()? == 0 {
            leading_zeros += 1;
            if leading_zeros >= 32 {
                return Some(u32::MAX);
            }
        }
        let value = self.bits(leading_zeros)?;
        Some(value + ((1u32 << leading_zeros) - 1))
    }
}

/// `max_frame_width_minus_1 + 1` and `max_frame_height_minus_1 + 1` of an
/// AV1 sequence header OBU (AV1 §5.5.1).
fn av1_max_frame_size(sequence_header: &[u8]) -> Option<(u16, u16)> {
    let mut r = Bits {
        bytes: sequence_header,
        position: 0,
    };
    let _seq_profile = r.bits(3)?;
    let _still_picture = r.bit()?;
    let reduced_still_picture_header = r.bit()? == 1;
    if reduced_still_picture_header {
        let _seq_level_idx = r.bits(5)?;
    } else {
        let mut decoder_model_info_present = false;
        let mut buffer_delay_length = 0;
        if r.bit()? == 1 {
            // timing_info()
            let _num_units_in_display_tick = r.bits(32)?;
            let _time_scale = r.bits(32)?;
            if r.bit()? == 1 {
                let _num_ticks_per_picture_minus_1 = r.uvlc()?;
            }
            decoder_model_info_present = r.bit()? == 1;
            if decoder_model_info_present {
                buffer_delay_length = r.bits(5)? + 1;
                let _num_units_in_decoding_tick = r.bits(32)?;
                let _buffer_removal_time_length_minus_1 = r.bits(5)?;
                let _frame_presentation_time_length_minus_1 = r.bits(5)?;
            }
        }
        let initial_display_delay_present = r.bit()? == 1;
        let operating_points = r.bits(5)? + 1;
        for _ in 0..operating_points {
            let _operating_point_idc = r.bits(12)?;
            let seq_level_idx = r.bits(5)?;
            if seq_level_idx > 7 {
                let _seq_tier = r.bit()?;
            }
            if decoder_model_info_present && r.bit()? == 1 {
                let _decoder_buffer_delay = r.bits(buffer_delay_length)?;
                let _encoder_buffer_delay = r.bits(buffer_delay_length)?;
                let _low_delay_mode_flag = r.bit()?;
            }
            if initial_display_delay_present && r.bit()? == 1 {
                let _initial_display_delay_minus_1 = r.bits(4)?;
            }
        }
    }
    let width_bits = r.bits(4)? + 1;
    let height_bits = r.bits(4)? + 1;
    let width = r.bits(width_bits)? + 1;
    let height = r.bits(height_bits)? + 1;
    Some((u16::try_from(width).ok()?, u16::try_from(height).ok()?))
}

/// The codecs a recording file name allows.
fn recorded_codecs(path: &Path) -> Result<Vec<VideoCodec>, PeerError> {
    let extension = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("ivf") => Ok(vec![VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::Av1]),
        Some("h264" | "264") => Ok(vec![VideoCodec::H264]),
        _ => Err(PeerError::Media(format!(
            "--record-video {}: the name must end in .ivf (VP8, VP9, AV1) or .h264 (H.264)",
            path.display()
        ))),
    }
}

/// Converts a count of file ticks (`numerator / denominator` seconds each)
/// to a duration, saturating.
fn ticks_to_duration(ticks: u64, (numerator, denominator): (u32, u32)) -> Duration {
    let nanos =
        u128::from(ticks) * u128::from(numerator) * 1_000_000_000 / u128::from(denominator.max(1));
    Duration::from_nanos(u64::try_from(nanos).unwrap_or(u64::MAX))
}

/// The RTP ticks (90 kHz) of a duration.
fn rtp_ticks(duration: Duration) -> u32 {
    let ticks = duration.as_nanos() * u128::from(VIDEO_CLOCK_RATE) / 1_000_000_000;
    ticks as u32
}

/// Sends the frames of an IVF file.
#[derive(Debug)]
struct VideoSender {
    path: PathBuf,
    reader: IvfReader<BufReader<File>>,
    codec: VideoCodec,
    timebase: (u32, u32),
    /// The frame to send next, and when.
    next: Option<IvfFrame>,
    due: Option<Instant>,
    /// The file timestamp of the frame sent last (none after a restart).
    previous_timestamp: Option<u64>,
    /// The step between the last two frames of the file.
    step: Duration,
    rtp_timestamp: u32,
    stopped: bool,
}

impl VideoSender {
    fn open(path: &Path) -> Result<Self, PeerError> {
        let error = |e: &dyn core::fmt::Display| {
            PeerError::Media(format!("--send-video {}: {e}", path.display()))
        };
        let file = File::open(path).map_err(|e| error(&e))?;
        let reader = IvfReader::new(BufReader::new(file)).map_err(|e| error(&e))?;
        let header = *reader.header();
        let codec = VideoCodec::from_fourcc(header.fourcc).ok_or_else(|| {
            let fourcc = header.fourcc_str();
            error(&format!(
                "IVF FourCC {fourcc:?}: only VP8, VP9 and AV1 can be sent"
            ))
        })?;
        let mut sender = Self {
            path: path.to_owned(),
            reader,
            codec,
            timebase: (header.timebase_numerator, header.timebase_denominator),
            next: None,
            due: None,
            previous_timestamp: None,
            step: DEFAULT_FRAME_STEP,
            rtp_timestamp: 0,
            stopped: false,
        };
        sender.restart().map_err(|e| error(&e))?;
        Ok(sender)
    }

    fn header(&self) -> &IvfHeader {
        self.reader.header()
    }

    /// Goes back to the first keyframe of the file.
    fn restart(&mut self) -> Result<(), String> {
        self.reader.rewind().map_err(|e| e.to_string())?;
        self.previous_timestamp = None;
        while let Some(frame) = self.reader.next_frame().map_err(|e| e.to_string())? {
            if self.codec.is_keyframe(&frame.data) {
                self.next = Some(frame);
                return Ok(());
            }
        }
        Err(format!("no {} keyframe in the file", self.codec.name()))
    }

    /// Reads the frame after the one just sent (looping at the end) and
    /// works out when it is due. Returns whether the file looped.
    fn advance(&mut self, sent_at: Instant) -> Result<bool, String> {
        let mut looped = false;
        let frame = match self.reader.next_frame().map_err(|e| e.to_string())? {
            Some(frame) => frame,
            None => {
                self.restart()?;
                looped = true;
                self.next.take().ok_or("no frame")?
            }
        };
        // Timestamps that do not increase get the last step that did.
        let step = match self.previous_timestamp {
            Some(previous) if frame.timestamp > previous => {
                ticks_to_duration(frame.timestamp - previous, self.timebase).min(MAX_FRAME_STEP)
            }
            _ => self.step,
        };
        if !step.is_zero() {
            self.step = step;
        }
        self.due = Some(sent_at + step);
        self.rtp_timestamp = self.rtp_timestamp.wrapping_add(rtp_ticks(step));
        self.next = Some(frame);
        Ok(looped)
    }
}

/// Where received video goes.
#[derive(Debug)]
enum VideoOutput {
    /// The file, before the first keyframe.
    Waiting(File),
    Ivf(IvfWriter<BufWriter<File>>),
    AnnexB(BufWriter<File>),
    /// Closed, or given up after an error.
    Done,
}

/// Records received video frames.
#[derive(Debug)]
struct VideoRecorder {
    path: PathBuf,
    codecs: Vec<VideoCodec>,
    output: VideoOutput,
    codec: Option<VideoCodec>,
    first_timestamp: Option<u32>,
    last_timestamp: u32,
    elapsed: u64,
    last_request: Option<Instant>,
}

impl VideoRecorder {
    fn open(path: &Path) -> Result<Self, PeerError> {
        let codecs = recorded_codecs(path)?;
        let file = File::create(path)
            .map_err(|e| PeerError::Media(format!("--record-video {}: {e}", path.display())))?;
        Ok(Self {
            path: path.to_owned(),
            codecs,
            output: VideoOutput::Waiting(file),
            codec: None,
            first_timestamp: None,
            last_timestamp: 0,
            elapsed: 0,
            last_request: None,
        })
    }

    /// Writes a frame; `Err` says why the recording stopped.
    fn write(
        &mut self,
        codec: VideoCodec,
        timestamp: u32,
        keyframe: bool,
        data: &[u8],
        summary: &mut MediaSummary,
    ) -> Result<bool, String> {
        if let VideoOutput::Waiting(_) = self.output {
            if !keyframe {
                return Ok(false);
            }
            if !self.codecs.contains(&codec) {
                self.output = VideoOutput::Done;
                return Err(format!("{} cannot be recorded in this file", codec.name()));
            }
            let VideoOutput::Waiting(file) =
                core::mem::replace(&mut self.output, VideoOutput::Done)
            else {
                return Ok(false);
            };
            let size = codec.frame_size(data);
            summary.video_size = size;
            summary.video_codec = Some(codec.name().to_owned());
            self.codec = Some(codec);
            self.output = match codec.fourcc() {
                Some(fourcc) => {
                    let (width, height) = size.unwrap_or((0, 0));
                    let header = IvfHeader {
                        fourcc,
                        width,
                        height,
                        timebase_denominator: VIDEO_CLOCK_RATE,
                        timebase_numerator: 1,
                        frame_count: 0,
                    };
                    let writer = IvfWriter::new(BufWriter::new(file), header);
                    VideoOutput::Ivf(writer.map_err(|e| e.to_string())?)
                }
                None => VideoOutput::AnnexB(BufWriter::new(file)),
            };
        }
        if self.codec != Some(codec) {
            // A change of codec mid-call: the file holds one.
            return Ok(false);
        }
        let first = *self.first_timestamp.get_or_insert(timestamp);
        if summary.video_frames_recorded > 0 {
            let step = timestamp.wrapping_sub(self.last_timestamp) as i32;
            self.elapsed = self.elapsed.saturating_add_signed(i64::from(step));
        } else {
            self.elapsed = u64::from(timestamp.wrapping_sub(first));
        }
        self.last_timestamp = timestamp;
        let written = match &mut self.output {
            VideoOutput::Ivf(writer) => writer
                .write_frame(self.elapsed, data)
                .map_err(|e| e.to_string()),
            VideoOutput::AnnexB(writer) => writer.write_all(data).map_err(|e| e.to_string()),
            VideoOutput::Waiting(_) | VideoOutput::Done => return Ok(false),
        };
        if let Err(e) = written {
            self.output = VideoOutput::Done;
            return Err(e);
        }
        summary.video_frames_recorded += 1;
        summary.video_keyframes_recorded += u64::from(keyframe);
        Ok(true)
    }

    fn finish(&mut self) -> Result<(), String> {
        match core::mem::replace(&mut self.output, VideoOutput::Done) {
            VideoOutput::Ivf(writer) => writer
                .finish()
                .and_then(|mut w| w.flush().map_err(IvfError::from))
                .map_err(|e| e.to_string()),
            VideoOutput::AnnexB(mut writer) => writer.flush().map_err(|e| e.to_string()),
            VideoOutput::Waiting(_) | VideoOutput::Done => Ok(()),
        }
    }
}

/// Records received Opus packets to Ogg.
#[derive(Debug)]
struct OpusRecorder {
    path: PathBuf,
    file: Option<File>,
    writer: Option<OggOpusWriter<BufWriter<File>>>,
    ssrc: Option<u32>,
    first_timestamp: u32,
    /// Where the next packet should start.
    next_timestamp: u32,
    /// The TOC byte of the last packet (its configuration and stereo flag
    /// make the concealment frames).
    last_toc: u8,
    failed: bool,
}

impl OpusRecorder {
    fn open(path: &Path) -> Result<Self, PeerError> {
        let file = File::create(path)
            .map_err(|e| PeerError::Media(format!("--record-opus {}: {e}", path.display())))?;
        Ok(Self {
            path: path.to_owned(),
            file: Some(file),
            writer: None,
            ssrc: None,
            first_timestamp: 0,
            next_timestamp: 0,
            last_toc: 0,
            failed: false,
        })
    }

    fn write(&mut self, packet: &MediaPacket, summary: &mut MediaSummary) -> Result<(), String> {
        if self.failed || self.ssrc.is_some_and(|ssrc| ssrc != packet.ssrc) {
            return Ok(());
        }
        let Ok(opus) = OpusPacket::parse(&packet.payload) else {
            summary.opus_packets_dropped += 1;
            return Ok(());
        };
        let duration = opus.duration();
        let toc = packet.payload.first().copied().unwrap_or(0);
        if self.writer.is_none() {
            let Some(file) = self.file.take() else {
                return Ok(());
            };
            let head = OpusHead {
                channels: if opus.is_stereo() { 2 } else { 1 },
                // The sender's encoder delay is not known: keep every sample.
                pre_skip: 0,
                input_sample_rate: 48_000,
                output_gain: 0,
            };
            match OggOpusWriter::new(BufWriter::new(file), head, packet.ssrc, "sansrtc") {
                Ok(writer) => self.writer = Some(writer),
                Err(e) => {
                    self.failed = true;
                    return Err(e.to_string());
                }
            }
            self.ssrc = Some(packet.ssrc);
            self.first_timestamp = packet.timestamp;
            self.next_timestamp = packet.timestamp;
            summary.opus_payload_type = Some(packet.payload_type);
        }
        let gap = packet.timestamp.wrapping_sub(self.next_timestamp) as i32;
        if gap < 0 {
            summary.opus_packets_dropped += 1;
            return Ok(());
        }
        let Some(writer) = self.writer.as_mut() else {
            return Ok(());
        };
        // Lost packets: empty frames of the last packet's configuration
        // (a TOC byte alone, code 0: RFC 6716 §3.2.1), which the decoder
        // conceals.
        let concealment = [self.last_toc & 0xfc];
        let frame = OpusPacket::parse(&concealment).map_or(0, |p| p.frame_samples());
        let mut gap = (gap as u32).min(MAX_OPUS_GAP_SAMPLES);
        while frame > 0 && gap >= frame {
            let written = writer.write_packet(&concealment, frame);
            written.map_err(|e| e.to_string())?;
            summary.opus_concealed_packets += 1;
            summary.opus_samples += u64::from(frame);
            gap -= frame;
        }
        let written = writer.write_packet(&packet.payload, duration);
        written.map_err(|e| e.to_string())?;
        summary.opus_packets_recorded += 1;
        summary.opus_samples += u64::from(duration);
        self.last_toc = toc;
        self.next_timestamp = packet.timestamp.wrapping_add(duration);
        summary.opus_rtp_span = u64::from(self.next_timestamp.wrapping_sub(self.first_timestamp));
        Ok(())
    }

    fn finish(&mut self) -> Result<(), String> {
        match self.writer.take() {
            Some(writer) => writer
                .finish()
                .and_then(|mut w| w.flush())
                .map_err(|e| e.to_string()),
            None => Ok(()),
        }
    }
}

/// The video and Opus side of a call: what the driver calls from its
/// event loop.
#[derive(Debug)]
pub(crate) struct Media {
    out: Timeline,
    sender: Option<VideoSender>,
    recorder: Option<VideoRecorder>,
    opus: Option<OpusRecorder>,
    /// Our video transceiver.
    mid: Option<Mid>,
    connected: bool,
    stats_interval: Duration,
    next_stats: Option<Instant>,
    summary: MediaSummary,
}

impl Media {
    /// Opens the files.
    pub(crate) fn open(
        files: &MediaFiles,
        out: Timeline,
        stats_interval: Duration,
    ) -> Result<Self, PeerError> {
        let sender = files.send_video.as_deref().map(VideoSender::open);
        let sender = sender.transpose()?;
        let recorder = files.record_video.as_deref().map(VideoRecorder::open);
        let recorder = recorder.transpose()?;
        if let (Some(sender), Some(recorder)) = (&sender, &recorder) {
            if !recorder.codecs.contains(&sender.codec) {
                return Err(PeerError::Media(format!(
                    "--send-video sends {} but --record-video {} cannot hold it",
                    sender.codec.name(),
                    recorder.path.display()
                )));
            }
        }
        let opus = files.record_opus.as_deref().map(OpusRecorder::open);
        let opus = opus.transpose()?;
        if let Some(sender) = &sender {
            let header = sender.header();
            let (path, codec) = (sender.path.display().to_string(), sender.codec.name());
            let (width, height) = (header.width, header.height);
            let (numerator, denominator) = sender.timebase;
            note!(out, "video-file" =>
                "will send {path}: {codec} {width}x{height}, time base {numerator}/{denominator} s",
                path, codec, width, height);
        }
        Ok(Self {
            out,
            sender,
            recorder,
            opus,
            mid: None,
            connected: false,
            stats_interval,
            next_stats: None,
            summary: MediaSummary::default(),
        })
    }

    /// Whether the call has video.
    fn has_video(&self) -> bool {
        self.sender.is_some() || self.recorder.is_some()
    }

    /// Adds the codecs the files need: Opus in front of the audio codecs
    /// when recording it, and the video codecs of the files.
    pub(crate) fn configure(&self, config: &mut Config) {
        if self.opus.is_some() {
            config
                .audio_codecs
                .insert(0, Codec::opus(OPUS_PAYLOAD_TYPE));
        }
        let codecs = match (&self.sender, &self.recorder) {
            (Some(sender), _) => vec![sender.codec],
            (None, Some(recorder)) => recorder.codecs.clone(),
            (None, None) => return,
        };
        config.video_codecs = codecs.into_iter().flat_map(VideoCodec::sdp).collect();
    }

    fn direction(&self) -> Direction {
        match (self.sender.is_some(), self.recorder.is_some()) {
            (true, true) => Direction::SendRecv,
            (true, false) => Direction::SendOnly,
            _ => Direction::RecvOnly,
        }
    }

    /// For the offerer: adds the video transceiver.
    pub(crate) fn add_transceiver(&mut self, peer: &mut Peer) -> Result<(), sansrtc::Error> {
        if !self.has_video() {
            return Ok(());
        }
        let mid = peer.add_transceiver(MediaKind::Video, self.direction())?;
        self.use_transceiver(peer, mid)
    }

    fn use_transceiver(&mut self, peer: &mut Peer, mid: Mid) -> Result<(), sansrtc::Error> {
        if self.recorder.is_some() {
            peer.receive_frames(&mid, true)?;
        }
        self.mid = Some(mid);
        Ok(())
    }

    /// Takes the events that are ours (video frames, keyframe requests,
    /// Opus packets, the video transceiver of a remote offer); gives back
    /// the others.
    pub(crate) fn handle_event(
        &mut self,
        peer: &mut Peer,
        now: Instant,
        event: Event,
    ) -> Option<Event> {
        match event {
            Event::TransceiverAdded {
                mid,
                kind: MediaKind::Video,
            } if self.has_video() && self.mid.is_none() => {
                let direction = self.direction();
                let used = peer
                    .set_direction(&mid, direction)
                    .and_then(|()| self.use_transceiver(peer, mid.clone()));
                if let Err(e) = used {
                    let error = e.to_string();
                    note!(self.out, "video-error" => "video transceiver {mid}: {error}",
                        mid = mid.to_string(), error);
                }
                None
            }
            Event::ConnectionState(ConnectionState::Connected) if !self.connected => {
                self.connected = true;
                self.next_stats = self.has_video().then(|| now + self.stats_interval);
                if let Some(sender) = &mut self.sender {
                    sender.due = Some(now);
                }
                if self.recorder.is_some() {
                    self.ask_keyframe(peer, now, "start");
                }
                Some(event)
            }
            Event::Frame {
                mid,
                payload_type,
                timestamp,
                keyframe,
                discontinuity,
                data,
                ..
            } if Some(&mid) == self.mid.as_ref() => {
                self.frame(
                    peer,
                    now,
                    payload_type,
                    timestamp,
                    keyframe,
                    discontinuity,
                    &data,
                );
                None
            }
            Event::KeyframeRequested { mid, request, .. } if Some(&mid) == self.mid.as_ref() => {
                let restarted = self.sender.as_mut().map(VideoSender::restart);
                let how = format!("{request:?}").to_uppercase();
                match restarted {
                    Some(Ok(())) => {
                        self.summary.keyframe_requests_received += 1;
                        note!(self.out, "keyframe-requested" =>
                            "keyframe requested ({request}): sending the file again from its first \
                             keyframe", request = how);
                    }
                    Some(Err(e)) => self.stop_sending(&e),
                    None => {}
                }
                None
            }
            Event::Media(packet) if self.opus.is_some() && self.is_opus(peer, &packet) => {
                if let Some(opus) = &mut self.opus {
                    if let Err(e) = opus.write(&packet, &mut self.summary) {
                        let path = opus.path.display().to_string();
                        note!(self.out, "opus-error" => "recording Opus to {path}: {error}",
                            path, error = e);
                    }
                }
                None
            }
            other => Some(other),
        }
    }

    fn is_opus(&self, peer: &Peer, packet: &MediaPacket) -> bool {
        peer.codecs(&packet.mid).iter().any(|(pt, name, rate)| {
            *pt == packet.payload_type && name.eq_ignore_ascii_case("opus") && *rate == 48_000
        })
    }

    #[allow(clippy::too_many_arguments)]
    fn frame(
        &mut self,
        peer: &mut Peer,
        now: Instant,
        payload_type: u8,
        timestamp: u32,
        keyframe: bool,
        discontinuity: bool,
        data: &[u8],
    ) {
        self.summary.video_frames_received += 1;
        if discontinuity {
            self.summary.video_discontinuities += 1;
            self.ask_keyframe(peer, now, "loss");
        }
        let Some(recorder) = &mut self.recorder else {
            return;
        };
        let codec = self.mid.as_ref().and_then(|mid| {
            let codecs = peer.codecs(mid);
            let (_, name, _) = codecs.iter().find(|(pt, _, _)| *pt == payload_type)?;
            VideoCodec::from_name(name)
        });
        let Some(codec) = codec else {
            return;
        };
        let first = self.summary.video_frames_recorded == 0;
        match recorder.write(codec, timestamp, keyframe, data, &mut self.summary) {
            Ok(true) if first => {
                let (codec, path) = (codec.name(), recorder.path.display().to_string());
                let size = self
                    .summary
                    .video_size
                    .map_or(String::new(), |(w, h)| format!(" {w}x{h}"));
                note!(self.out, "video-recording" => "recording {codec}{size} to {path}",
                    codec, path, width = self.summary.video_size.map(|s| s.0),
                    height = self.summary.video_size.map(|s| s.1));
            }
            Ok(_) => {}
            Err(e) => {
                let path = recorder.path.display().to_string();
                note!(self.out, "video-error" => "recording video to {path}: {error}",
                    path, error = e);
            }
        }
    }

    fn ask_keyframe(&mut self, peer: &mut Peer, now: Instant, reason: &str) {
        let Some(recorder) = &mut self.recorder else {
            return;
        };
        let Some(mid) = &self.mid else {
            return;
        };
        if recorder
            .last_request
            .is_some_and(|at| now < at + KEYFRAME_REQUEST_INTERVAL)
        {
            return;
        }
        recorder.last_request = Some(now);
        match peer.request_keyframe(now, mid) {
            Ok(()) => note!(self.out, "keyframe-request" => "asked for a keyframe ({reason})",
                reason),
            Err(e) => note!(self.out, "video-error" => "cannot ask for a keyframe: {error}",
                error = e.to_string()),
        }
    }

    fn stop_sending(&mut self, error: &str) {
        if let Some(sender) = &mut self.sender {
            sender.stopped = true;
            let path = sender.path.display().to_string();
            note!(self.out, "video-error" => "stopped sending {path}: {error}", path, error);
        }
    }

    /// When something is due.
    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        let send = self
            .sender
            .as_ref()
            .filter(|s| self.connected && !s.stopped)
            .and_then(|s| s.due);
        [send, self.next_stats].into_iter().flatten().min()
    }

    /// Sends the frame that is due (one per call: the driver sends its
    /// packets before the next) and prints the statistics.
    pub(crate) fn handle_timeout(&mut self, peer: &mut Peer, now: Instant) {
        if self.next_stats.is_some_and(|t| t <= now) {
            self.next_stats = Some(now + self.stats_interval);
            let s = &self.summary;
            note!(self.out, "video-stats" =>
                "video: sent {frames_sent} frames ({requests} keyframe requests answered), \
                 received {frames_received} ({recorded} recorded)",
                frames_sent = s.video_frames_sent, requests = s.keyframe_requests_received,
                frames_received = s.video_frames_received, recorded = s.video_frames_recorded);
        }
        let (Some(sender), Some(mid)) = (&mut self.sender, &self.mid) else {
            return;
        };
        let due = sender.due.filter(|due| self.connected && *due <= now);
        let (Some(due), Some(frame)) = (due, &sender.next) else {
            return;
        };
        let codecs = peer.codecs(mid);
        let payload_type = codecs
            .iter()
            .find(|(_, name, _)| name.eq_ignore_ascii_case(sender.codec.name()))
            .map(|(pt, _, _)| *pt);
        let Some(payload_type) = payload_type else {
            // Not agreed (yet): try again a frame later.
            sender.due = Some(now + sender.step);
            return;
        };
        match peer.write_frame(now, mid, payload_type, sender.rtp_timestamp, &frame.data) {
            Ok(()) => self.summary.video_frames_sent += 1,
            Err(e) => note!(self.out, "video-send-error" => "a frame was not sent: {error}",
                error = e.to_string()),
        }
        sender.previous_timestamp = Some(frame.timestamp);
        // Far behind (the machine stalled): go on from now.
        let sent_at = if now > due + MAX_FRAME_STEP { now } else { due };
        match sender.advance(sent_at) {
            Ok(looped) => self.summary.video_loops += u64::from(looped),
            Err(e) => self.stop_sending(&e),
        }
    }

    /// Closes the recordings and says what they hold.
    pub(crate) fn finish(&mut self) -> MediaSummary {
        if let Some(recorder) = &mut self.recorder {
            let path = recorder.path.display().to_string();
            if let Err(e) = recorder.finish() {
                note!(self.out, "video-error" => "writing {path}: {error}", path = &path,
                    error = e);
            }
            let s = &self.summary;
            let (frames, keyframes) = (s.video_frames_recorded, s.video_keyframes_recorded);
            let codec = s
                .video_codec
                .clone()
                .unwrap_or_else(|| "no video".to_owned());
            note!(self.out, "video-recorded" =>
                "wrote {frames} {codec} frames ({keyframes} keyframes) to {path}",
                frames, keyframes, codec, path, received = s.video_frames_received,
                width = s.video_size.map(|v| v.0), height = s.video_size.map(|v| v.1),
                discontinuities = s.video_discontinuities);
        }
        if let Some(opus) = &mut self.opus {
            let path = opus.path.display().to_string();
            if let Err(e) = opus.finish() {
                note!(self.out, "opus-error" => "writing {path}: {error}", path = &path,
                    error = e);
            }
            let s = &self.summary;
            let seconds = s.opus_samples as f64 / 48_000.0;
            note!(self.out, "opus-recorded" =>
                "wrote {packets} Opus packets ({seconds:.2} s, payload type {payload_type:?}) \
                 to {path}",
                packets = s.opus_packets_recorded, seconds, path,
                payload_type = s.opus_payload_type, clock_rate = 48_000,
                samples = s.opus_samples, rtp_span = s.opus_rtp_span,
                concealed = s.opus_concealed_packets, dropped = s.opus_packets_dropped);
        }
        if self.sender.is_some() {
            let s = &self.summary;
            note!(self.out, "video-sent" =>
                "sent {frames} video frames ({loops} loops, {requests} keyframe requests)",
                frames = s.video_frames_sent, loops = s.video_loops,
                requests = s.keyframe_requests_received);
        }
        self.summary.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codecs_of_file_names() {
        let ivf = recorded_codecs(Path::new("a/b.IVF")).unwrap();
        assert_eq!(ivf, [VideoCodec::Vp8, VideoCodec::Vp9, VideoCodec::Av1]);
        assert_eq!(
            recorded_codecs(Path::new("x.h264")).unwrap(),
            [VideoCodec::H264]
        );
        assert!(recorded_codecs(Path::new("x.mp4")).is_err());
        assert!(recorded_codecs(Path::new("x")).is_err());
        assert_eq!(VideoCodec::from_fourcc(*b"VP90"), Some(VideoCodec::Vp9));
        assert_eq!(VideoCodec::from_fourcc(*b"H264"), None);
        assert_eq!(VideoCodec::from_name("vp8"), Some(VideoCodec::Vp8));
    }

    #[test]
    fn vp8_keyframe_size() {
        // Key frame tag, start code, 320x240 with scaling bits set.
        let frame = [
            0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x41, 0xf0, 0xc0, 0xff,
        ];
        assert!(VideoCodec::Vp8.is_keyframe(&frame));
        assert_eq!(VideoCodec::Vp8.frame_size(&frame), Some((320, 240)));
        assert_eq!(VideoCodec::Vp8.frame_size(&frame[..8]), None);
        assert!(!VideoCodec::Vp8.is_keyframe(&[0x11, 0, 0]));
    }

    #[test]
    fn av1_sequence_header_size() {
        // A sequence header for 320x240, profile 0, one operating point
        // at level 4.0 (so with a tier bit), no timing information.
        let mut bits = String::new();
        bits.push_str("000"); // seq_profile
        bits.push('0'); // still_picture
        bits.push('0'); // reduced_still_picture_header
        bits.push('0'); // timing_info_present_flag
        bits.push('0'); // initial_display_delay_present_flag
        bits.push_str("00000"); // operating_points_cnt_minus_1
        bits.push_str("000000000000"); // operating_point_idc
        bits.push_str("01000"); // seq_level_idx 8: a tier bit follows
        bits.push('0'); // seq_tier
        bits.push_str("1000"); // frame_width_bits_minus_1 = 8
        bits.push_str("1000");
        bits.push_str(&format!("{:09b}", 319));
        bits.push_str(&format!("{:09b}", 239));
        while bits.len() % 8 != 0 {
            bits.push('0');
        }
        let bytes: Vec<u8> = bits
            .as_bytes()
            .chunks(8)
            .map(|c| u8::from_str_radix(core::str::from_utf8(c).unwrap(), 2).unwrap())
            .collect();
        assert_eq!(av1_max_frame_size(&bytes), Some((320, 240)));
        assert_eq!(av1_max_frame_size(&bytes[..4]), None);
        // As an OBU of a temporal unit: header (type 1, has_size), size.
        let mut unit = vec![0x0a, bytes.len() as u8];
        unit.extend_from_slice(&bytes);
        assert!(VideoCodec::Av1.is_keyframe(&unit));
        assert_eq!(VideoCodec::Av1.frame_size(&unit), Some((320, 240)));
    }

    #[test]
    fn tick_conversions() {
        assert_eq!(
            ticks_to_duration(1, (1, 30)),
            Duration::from_nanos(33_333_333)
        );
        assert_eq!(
            ticks_to_duration(90_000, (1, 90_000)),
            Duration::from_secs(1)
        );
        assert_eq!(
            ticks_to_duration(u64::MAX, (u32::MAX, 1)),
            Duration::from_nanos(u64::MAX)
        );
        assert_eq!(rtp_ticks(Duration::from_millis(100)), 9000);
    }
}
