//! [`Codec`]: one RTP format with its parameters and feedback, and the
//! matching rules of offer/answer.

use alloc::borrow::Cow;
use alloc::vec::Vec;

use crate::fmtp::{Fmtp, FmtpParameter, ProfileLevelId};
use crate::media::Media;
use crate::rtp::{RtcpFb, Rtpmap};

/// The most distinct `rtcp-fb` entries a codec read from an m-line keeps.
pub const MAX_FEEDBACK: usize = 32;

/// An RTP format: `a=rtpmap`, `a=fmtp` and `a=rtcp-fb` of one payload type.
/// Made with [`Codec::new`] or one of the named constructors
/// ([`Codec::opus`], [`Codec::vp8`], ...).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Codec<'a> {
    /// Payload type.
    pub payload_type: u8,
    /// Encoding name (`opus`, `VP8`, `rtx`, ...).
    pub name: Cow<'a, str>,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Channels (audio).
    pub channels: Option<u16>,
    /// Format parameters, in order.
    pub parameters: Vec<FmtpParameter<'a>>,
    /// Feedback (`payload_type` of each entry is ignored).
    pub feedback: Vec<RtcpFb<'a>>,
}

const VIDEO_FEEDBACK: [(&str, Option<&str>); 5] = [
    ("goog-remb", None),
    ("transport-cc", None),
    ("ccm", Some("fir")),
    ("nack", None),
    ("nack", Some("pli")),
];

impl<'a> Codec<'a> {
    /// A codec without parameters or feedback.
    pub fn new(payload_type: u8, name: &'a str, clock_rate: u32, channels: Option<u16>) -> Self {
        Self {
            payload_type,
            name: Cow::Borrowed(name),
            clock_rate,
            channels,
            parameters: Vec::new(),
            feedback: Vec::new(),
        }
    }

    /// Adds `name=value` format parameters.
    pub fn with_parameters(mut self, parameters: &[(&'a str, &'a str)]) -> Self {
        self.parameters
            .extend(parameters.iter().map(|(n, v)| FmtpParameter {
                name: Cow::Borrowed(*n),
                value: Some(Cow::Borrowed(*v)),
            }));
        self
    }

    /// Adds feedback types (`("nack", Some("pli"))`).
    pub fn with_feedback(mut self, feedback: &[(&'a str, Option<&'a str>)]) -> Self {
        self.feedback.extend(
            feedback
                .iter()
                .map(|(kind, parameters)| RtcpFb::new(None, kind, *parameters)),
        );
        self
    }

    /// Opus, 48 kHz stereo, with in-band FEC and transport-cc.
    pub fn opus(payload_type: u8) -> Self {
        Self::new(payload_type, "opus", 48_000, Some(2))
            .with_parameters(&[("minptime", "10"), ("useinbandfec", "1")])
            .with_feedback(&[("transport-cc", None)])
    }

    /// VP8 with the usual video feedback.
    pub fn vp8(payload_type: u8) -> Self {
        Self::new(payload_type, "VP8", 90_000, None).with_feedback(&VIDEO_FEEDBACK)
    }

    /// VP9 of a profile.
    pub fn vp9(payload_type: u8, profile_id: &'a str) -> Self {
        Self::new(payload_type, "VP9", 90_000, None)
            .with_parameters(&[("profile-id", profile_id)])
            .with_feedback(&VIDEO_FEEDBACK)
    }

    /// H.264 with a `profile-level-id` and a `packetization-mode`.
    pub fn h264(payload_type: u8, profile_level_id: &'a str, packetization_mode: &'a str) -> Self {
        Self::new(payload_type, "H264", 90_000, None)
            .with_parameters(&[
                ("level-asymmetry-allowed", "1"),
                ("packetization-mode", packetization_mode),
                ("profile-level-id", profile_level_id),
            ])
            .with_feedback(&VIDEO_FEEDBACK)
    }

    /// AV1, profile 0.
    pub fn av1(payload_type: u8) -> Self {
        Self::new(payload_type, "AV1", 90_000, None)
            .with_parameters(&[("level-idx", "5"), ("profile", "0"), ("tier", "0")])
            .with_feedback(&VIDEO_FEEDBACK)
    }

    /// RTX repairing the video codec with payload type `apt` (90 kHz).
    pub fn rtx(payload_type: u8, apt: u8) -> Self {
        Self::rtx_with_clock_rate(payload_type, apt, 90_000)
    }

    /// RTX repairing the codec with payload type `apt`, at that codec's
    /// clock rate (RFC 4588 section 8.1), e.g. 8000 for PCMU.
    pub fn rtx_with_clock_rate(payload_type: u8, apt: u8, clock_rate: u32) -> Self {
        let mut codec = Self::new(payload_type, "rtx", clock_rate, None);
        codec.parameters.push(FmtpParameter {
            name: Cow::Borrowed("apt"),
            value: Some(Cow::Owned(alloc::format!("{apt}"))),
        });
        codec
    }

    /// The audio codecs of [`Capabilities::webrtc_defaults`](super::Capabilities::webrtc_defaults).
    pub fn default_audio() -> Vec<Codec<'static>> {
        alloc::vec![
            Codec::opus(111),
            Codec::new(63, "red", 48_000, Some(2)),
            Codec::new(9, "G722", 8_000, None),
            Codec::new(0, "PCMU", 8_000, None),
            Codec::new(8, "PCMA", 8_000, None),
            Codec::new(110, "telephone-event", 48_000, None),
            Codec::new(126, "telephone-event", 8_000, None),
        ]
    }

    /// The video codecs of [`Capabilities::webrtc_defaults`](super::Capabilities::webrtc_defaults).
    pub fn default_video() -> Vec<Codec<'static>> {
        alloc::vec![
            Codec::vp8(96),
            Codec::rtx(97, 96),
            Codec::vp9(98, "0"),
            Codec::rtx(99, 98),
            Codec::vp9(100, "2"),
            Codec::rtx(101, 100),
            Codec::h264(102, "42e01f", "1"),
            Codec::rtx(103, 102),
            Codec::h264(104, "42e01f", "0"),
            Codec::rtx(105, 104),
            Codec::av1(45),
            Codec::rtx(46, 45),
        ]
    }

    /// Whether this is RTX (RFC 4588).
    pub fn is_rtx(&self) -> bool {
        self.name.eq_ignore_ascii_case("rtx")
    }

    /// Whether this is RED (RFC 2198).
    pub fn is_red(&self) -> bool {
        self.name.eq_ignore_ascii_case("red")
    }

    /// The `a=fmtp` view of the parameters.
    pub fn fmtp(&self) -> Fmtp<'a> {
        Fmtp {
            payload_type: self.payload_type,
            parameters: self.parameters.clone(),
        }
    }

    /// The `a=rtpmap` of this codec.
    pub fn rtpmap(&self) -> Rtpmap<'a> {
        Rtpmap {
            payload_type: self.payload_type,
            encoding_name: self.name.clone(),
            clock_rate: self.clock_rate,
            encoding_parameters: self.channels,
        }
    }

    /// The codecs of an m-line, in the order of its format list, with
    /// their parameters and feedback (`rtcp-fb:*` included). Static payload
    /// types without `a=rtpmap` get their RFC 3551 names.
    ///
    /// A payload type listed twice is taken once, and each codec keeps at
    /// most [`MAX_FEEDBACK`] distinct `rtcp-fb` entries, so the work and
    /// memory stay bounded whatever the m-line lists.
    pub fn from_media(media: &Media<'a>) -> Vec<Self> {
        let mut seen = [false; 128];
        media
            .media_line
            .payload_types()
            .filter(|pt| match seen.get_mut(usize::from(*pt)) {
                Some(slot) if !*slot => {
                    *slot = true;
                    true
                }
                _ => false,
            })
            .filter_map(|pt| {
                let (name, clock_rate, channels) = match media.rtpmap(pt) {
                    Some(r) => (r.encoding_name.clone(), r.clock_rate, r.encoding_parameters),
                    None => {
                        let (name, rate) = static_payload_type(pt)?;
                        (Cow::Borrowed(name), rate, None)
                    }
                };
                let parameters = media
                    .fmtp(pt)
                    .map(|f| f.parameters.clone())
                    .unwrap_or_default();
                let mut feedback: Vec<RtcpFb<'a>> = Vec::new();
                for attribute in media.attributes() {
                    if let crate::Attribute::RtcpFb(fb) = attribute {
                        if fb.payload_type.is_none_or(|p| p == pt)
                            && feedback.len() < MAX_FEEDBACK
                            && !feedback.iter().any(|f| f.same_feedback(fb))
                        {
                            feedback.push(fb.clone());
                        }
                    }
                }
                Some(Self {
                    payload_type: pt,
                    name,
                    clock_rate,
                    channels,
                    parameters,
                    feedback,
                })
            })
            .collect()
    }

    /// The format parameters an answer gives for `offered` when we support
    /// `self`, or `None` when they do not match (RTX and RED are matched by
    /// the codecs they refer to, not here).
    pub(crate) fn answer_parameters(&self, offered: &Self) -> Option<Vec<FmtpParameter<'a>>> {
        if !self.name.eq_ignore_ascii_case(&offered.name)
            || self.clock_rate != offered.clock_rate
            || self.channels.unwrap_or(1) != offered.channels.unwrap_or(1)
        {
            return None;
        }
        let ours = self.fmtp();
        let theirs = offered.fmtp();
        if self.name.eq_ignore_ascii_case("H264") {
            let (ours, theirs) = (ours.h264(), theirs.h264());
            if ours.packetization_mode != theirs.packetization_mode {
                return None;
            }
            // RFC 6184 section 8.1: no profile-level-id means 42000a.
            let default = ProfileLevelId {
                profile_idc: 0x42,
                profile_iop: 0,
                level_idc: 0x0a,
            };
            let local = ours.profile_level_id.unwrap_or(default);
            let remote = theirs.profile_level_id.unwrap_or(default);
            if local.profile() != remote.profile() {
                return None;
            }
            let level = if ours.level_asymmetry_allowed && theirs.level_asymmetry_allowed {
                local.level_idc
            } else {
                local.level_idc.min(remote.level_idc)
            };
            let chosen = ProfileLevelId {
                level_idc: level,
                ..remote
            };
            let mut answer = self.fmtp();
            answer.set("profile-level-id", Cow::Owned(alloc::format!("{chosen}")));
            return Some(answer.parameters);
        }
        if self.name.eq_ignore_ascii_case("VP9") && ours.vp9_profile_id() != theirs.vp9_profile_id()
        {
            return None;
        }
        if self.name.eq_ignore_ascii_case("AV1") && ours.av1().profile != theirs.av1().profile {
            return None;
        }
        Some(self.parameters.clone())
    }

    /// An owned copy.
    pub fn into_owned(self) -> Codec<'static> {
        let parameters = self.fmtp().into_owned().parameters;
        Codec {
            payload_type: self.payload_type,
            name: crate::token::own(self.name),
            clock_rate: self.clock_rate,
            channels: self.channels,
            parameters,
            feedback: self.feedback.into_iter().map(RtcpFb::into_owned).collect(),
        }
    }
}

/// RFC 3551 static payload types that WebRTC peers may list without
/// `a=rtpmap`.
fn static_payload_type(payload_type: u8) -> Option<(&'static str, u32)> {
    Some(match payload_type {
        0 => ("PCMU", 8_000),
        3 => ("GSM", 8_000),
        4 => ("G723", 8_000),
        8 => ("PCMA", 8_000),
        9 => ("G722", 8_000),
        13 => ("CN", 8_000),
        18 => ("G729", 8_000),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    fn parameters(codec: &Codec<'_>) -> alloc::string::String {
        codec.fmtp().to_string()
    }

    #[test]
    fn h264_matches_on_profile_and_packetization_mode() {
        let ours = Codec::h264(102, "42e01f", "1");
        let offered = Codec::h264(126, "42e01f", "1");
        assert!(ours.answer_parameters(&offered).is_some());
        assert!(
            ours.answer_parameters(&Codec::h264(126, "42e01f", "0"))
                .is_none()
        );
        assert!(
            ours.answer_parameters(&Codec::h264(126, "640c1f", "1"))
                .is_none()
        );
        // 42c0.. and 4d80.. are constrained baseline too.
        assert!(
            ours.answer_parameters(&Codec::h264(126, "4d801f", "1"))
                .is_some()
        );
    }

    #[test]
    fn h264_level_is_the_lower_one_without_asymmetry() {
        let ours = Codec::new(102, "H264", 90_000, None)
            .with_parameters(&[("packetization-mode", "1"), ("profile-level-id", "42e01f")]);
        let offered = Codec::new(126, "H264", 90_000, None)
            .with_parameters(&[("packetization-mode", "1"), ("profile-level-id", "42e00d")]);
        let answer = Codec {
            parameters: ours.answer_parameters(&offered).unwrap(),
            ..ours.clone()
        };
        assert_eq!(
            parameters(&answer),
            "102 packetization-mode=1;profile-level-id=42e00d"
        );
        // With level-asymmetry-allowed on both sides our level stays.
        let asym = Codec::h264(102, "42e01f", "1");
        let offered = Codec::h264(126, "42e00d", "1");
        let answer = Codec {
            parameters: asym.answer_parameters(&offered).unwrap(),
            ..asym.clone()
        };
        assert!(parameters(&answer).contains("profile-level-id=42e01f"));
    }

    #[test]
    fn name_clock_and_channels_must_match() {
        let opus = Codec::opus(111);
        assert!(
            opus.answer_parameters(&Codec::new(109, "OPUS", 48_000, Some(2)))
                .is_some()
        );
        assert!(
            opus.answer_parameters(&Codec::new(109, "opus", 48_000, Some(1)))
                .is_none()
        );
        assert!(
            opus.answer_parameters(&Codec::new(109, "opus", 16_000, Some(2)))
                .is_none()
        );
        assert!(
            Codec::vp9(98, "0")
                .answer_parameters(&Codec::vp9(100, "2"))
                .is_none()
        );
        assert!(
            Codec::vp9(98, "2")
                .answer_parameters(&Codec::vp9(100, "2"))
                .is_some()
        );
        let av1_high = Codec::new(45, "AV1", 90_000, None).with_parameters(&[("profile", "1")]);
        assert!(Codec::av1(45).answer_parameters(&av1_high).is_none());
    }
}
