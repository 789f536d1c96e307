//! `a=fmtp`: format parameters as an ordered list, with typed helpers for
//! the codecs WebRTC uses.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use crate::rtp::payload_type;
use crate::token::{fields, number, own, skip_spaces, split_once, split_space, write_number};

/// One `name=value` (or bare `name`) of an `a=fmtp` line.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FmtpParameter<'a> {
    /// Parameter name (or the whole text when it has no `=`).
    pub name: Cow<'a, str>,
    /// Value after the first `=`.
    pub value: Option<Cow<'a, str>>,
}

/// `a=fmtp:<format> <format specific parameters>`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-6.15>
///
/// Parameters are kept in order, including ones this crate does not know;
/// they are separated by `;` (spaces after `;` are accepted).
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fmtp<'a> {
    /// The payload type the parameters apply to.
    pub payload_type: u8,
    /// The parameters, in order.
    pub parameters: Vec<FmtpParameter<'a>>,
}

impl<'a> Fmtp<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let (pt, rest) = split_space(text).ok_or("`<payload type> <parameters>`")?;
        let payload_type = payload_type(pt)?;
        // A control character is in a part that is not empty, so the
        // first part it makes fail is the first that can.
        if rest
            .bytes()
            .fold(false, |bad, b| bad | (b < 0x20) | (b == 0x7F))
        {
            return Err("printable format parameters");
        }
        let mut parameters = Vec::with_capacity(1 + rest.bytes().filter(|b| *b == b';').count());
        for part in fields(rest, b';') {
            let part = skip_spaces(part);
            if part.is_empty() {
                continue;
            }
            let (name, value) = match split_once(part, b'=') {
                Some((n, v)) => (n, Some(Cow::Borrowed(v))),
                None => (part, None),
            };
            parameters.push(FmtpParameter {
                name: Cow::Borrowed(name),
                value,
            });
        }
        if parameters.is_empty() {
            return Err("at least one format parameter");
        }
        Ok(Self {
            payload_type,
            parameters,
        })
    }

    /// Format parameters for a payload type, from `(name, value)` pairs.
    pub fn new(payload_type: u8, parameters: &[(&'a str, &'a str)]) -> Self {
        Self {
            payload_type,
            parameters: parameters
                .iter()
                .map(|(n, v)| FmtpParameter {
                    name: Cow::Borrowed(*n),
                    value: Some(Cow::Borrowed(*v)),
                })
                .collect(),
        }
    }

    /// The value of a parameter (names compare case-insensitively).
    pub fn get(&self, name: &str) -> Option<&str> {
        self.parameters
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
            .and_then(|p| p.value.as_deref())
    }

    fn get_number<T: TryFrom<u64>>(&self, name: &str) -> Option<T> {
        self.get(name).and_then(number)
    }

    fn get_flag(&self, name: &str) -> Option<bool> {
        self.get(name).map(|v| v == "1")
    }

    /// Sets a parameter, replacing it if present, appending it otherwise.
    pub fn set(&mut self, name: &'a str, value: Cow<'a, str>) {
        match self
            .parameters
            .iter_mut()
            .find(|p| p.name.eq_ignore_ascii_case(name))
        {
            Some(p) => p.value = Some(value),
            None => self.parameters.push(FmtpParameter {
                name: Cow::Borrowed(name),
                value: Some(value),
            }),
        }
    }

    /// Opus parameters, <https://www.rfc-editor.org/rfc/rfc7587#section-6.1>.
    pub fn opus(&self) -> OpusParameters {
        OpusParameters {
            minptime: self.get_number("minptime"),
            useinbandfec: self.get_flag("useinbandfec").unwrap_or(false),
            usedtx: self.get_flag("usedtx").unwrap_or(false),
            stereo: self.get_flag("stereo").unwrap_or(false),
            sprop_stereo: self.get_flag("sprop-stereo").unwrap_or(false),
            cbr: self.get_flag("cbr").unwrap_or(false),
            maxaveragebitrate: self.get_number("maxaveragebitrate"),
            maxplaybackrate: self.get_number("maxplaybackrate"),
        }
    }

    /// H.264 parameters, <https://www.rfc-editor.org/rfc/rfc6184#section-8.1>.
    pub fn h264(&self) -> H264Parameters {
        H264Parameters {
            profile_level_id: self.get("profile-level-id").and_then(ProfileLevelId::parse),
            packetization_mode: self.get_number("packetization-mode").unwrap_or(0),
            level_asymmetry_allowed: self.get_flag("level-asymmetry-allowed").unwrap_or(false),
        }
    }

    /// VP9 `profile-id` (0 when absent).
    /// <https://www.rfc-editor.org/rfc/rfc9628#section-6.1>
    pub fn vp9_profile_id(&self) -> u8 {
        self.get_number("profile-id").unwrap_or(0)
    }

    /// AV1 parameters (defaults when absent), from the AV1 RTP
    /// specification, section 7.2 (<https://aomediacodec.github.io/av1-rtp-spec/#72-sdp-parameters>).
    pub fn av1(&self) -> Av1Parameters {
        Av1Parameters {
            profile: self.get_number("profile").unwrap_or(0),
            level_idx: self.get_number("level-idx").unwrap_or(5),
            tier: self.get_number("tier").unwrap_or(0),
        }
    }

    /// RTX `apt`: the payload type this retransmission format repairs.
    /// <https://www.rfc-editor.org/rfc/rfc4588#section-8.1>
    pub fn rtx_apt(&self) -> Option<u8> {
        self.get("apt").and_then(|v| payload_type(v).ok())
    }

    /// RTX `rtx-time` in milliseconds.
    pub fn rtx_time(&self) -> Option<u32> {
        self.get_number("rtx-time")
    }

    /// RED redundant payload types (`111/111`).
    /// <https://www.rfc-editor.org/rfc/rfc2198#section-5>
    pub fn red_payload_types(&self) -> Option<Vec<u8>> {
        let first = self.parameters.first().filter(|p| p.value.is_none())?;
        first
            .name
            .split('/')
            .map(|pt| payload_type(pt).ok())
            .collect()
    }

    /// An owned copy.
    pub fn into_owned(self) -> Fmtp<'static> {
        Fmtp {
            payload_type: self.payload_type,
            parameters: self
                .parameters
                .into_iter()
                .map(|p| FmtpParameter {
                    name: own(p.name),
                    value: p.value.map(own),
                })
                .collect(),
        }
    }
}

impl fmt::Display for Fmtp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_number(f, u64::from(self.payload_type))?;
        f.write_str(" ")?;
        for (i, p) in self.parameters.iter().enumerate() {
            if i > 0 {
                f.write_str(";")?;
            }
            f.write_str(&p.name)?;
            if let Some(v) = &p.value {
                f.write_str("=")?;
                f.write_str(v)?;
            }
        }
        Ok(())
    }
}

/// Opus format parameters.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OpusParameters {
    /// `minptime`.
    pub minptime: Option<u32>,
    /// `useinbandfec=1`.
    pub useinbandfec: bool,
    /// `usedtx=1`.
    pub usedtx: bool,
    /// `stereo=1`.
    pub stereo: bool,
    /// `sprop-stereo=1`.
    pub sprop_stereo: bool,
    /// `cbr=1`.
    pub cbr: bool,
    /// `maxaveragebitrate` in bit/s.
    pub maxaveragebitrate: Option<u32>,
    /// `maxplaybackrate` in Hz.
    pub maxplaybackrate: Option<u32>,
}

/// H.264 format parameters relevant to negotiation.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct H264Parameters {
    /// `profile-level-id`.
    pub profile_level_id: Option<ProfileLevelId>,
    /// `packetization-mode` (0 when absent).
    pub packetization_mode: u8,
    /// `level-asymmetry-allowed=1`.
    pub level_asymmetry_allowed: bool,
}

/// An H.264 profile, as WebRTC classifies `profile-level-id` values.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum H264Profile {
    /// Constrained Baseline (`42e0..`, `42c0..`, `4d80..`, ...).
    ConstrainedBaseline,
    /// Baseline.
    Baseline,
    /// Main.
    Main,
    /// Extended.
    Extended,
    /// High.
    High,
    /// Constrained High (`640c..`).
    ConstrainedHigh,
    /// Another `profile_idc`.
    Other(u8),
}

/// `profile-level-id`: three bytes written as six hex digits.
/// <https://www.rfc-editor.org/rfc/rfc6184#section-8.1>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProfileLevelId {
    /// `profile_idc`.
    pub profile_idc: u8,
    /// `profile-iop` (the constraint flags).
    pub profile_iop: u8,
    /// `level_idc`.
    pub level_idc: u8,
}

impl ProfileLevelId {
    /// Parses six hex digits.
    pub fn parse(text: &str) -> Option<Self> {
        // Only hex digits: `from_str_radix` alone would also take a sign.
        if text.len() != 6 || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let byte = |range: core::ops::Range<usize>| {
            text.get(range).and_then(|h| u8::from_str_radix(h, 16).ok())
        };
        Some(Self {
            profile_idc: byte(0..2)?,
            profile_iop: byte(2..4)?,
            level_idc: byte(4..6)?,
        })
    }

    /// The profile, from `profile_idc` and the constraint flags.
    pub fn profile(&self) -> H264Profile {
        let iop = self.profile_iop;
        match self.profile_idc {
            0x42 if iop & 0x40 != 0 => H264Profile::ConstrainedBaseline,
            0x42 => H264Profile::Baseline,
            0x4D if iop & 0x80 != 0 => H264Profile::ConstrainedBaseline,
            0x4D => H264Profile::Main,
            0x58 if iop & 0xC0 == 0xC0 => H264Profile::ConstrainedBaseline,
            0x58 => H264Profile::Extended,
            0x64 if iop & 0x0C == 0x0C => H264Profile::ConstrainedHigh,
            0x64 => H264Profile::High,
            other => H264Profile::Other(other),
        }
    }
}

impl fmt::Display for ProfileLevelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:02x}{:02x}{:02x}",
            self.profile_idc, self.profile_iop, self.level_idc
        )
    }
}

/// AV1 format parameters.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Av1Parameters {
    /// `profile` (0 when absent).
    pub profile: u8,
    /// `level-idx` (5 when absent).
    pub level_idx: u8,
    /// `tier` (0 when absent).
    pub tier: u8,
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn opus_parameters() {
        let text = "111 minptime=10;useinbandfec=1";
        let f = Fmtp::parse(text).unwrap();
        assert_eq!(f.payload_type, 111);
        assert_eq!(f.parameters.len(), 2);
        let opus = f.opus();
        assert_eq!(opus.minptime, Some(10));
        assert!(opus.useinbandfec && !opus.stereo);
        assert_eq!(f.to_string(), text);
    }

    #[test]
    fn h264_profile_level_id() {
        let f = Fmtp::parse(
            "102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
        )
        .unwrap();
        let h = f.h264();
        assert_eq!(h.packetization_mode, 1);
        assert!(h.level_asymmetry_allowed);
        let id = h.profile_level_id.unwrap();
        assert_eq!(
            (id.profile_idc, id.profile_iop, id.level_idc),
            (0x42, 0x00, 0x1f)
        );
        assert_eq!(id.profile(), H264Profile::Baseline);
        assert_eq!(
            ProfileLevelId::parse("42e01f").unwrap().profile(),
            H264Profile::ConstrainedBaseline
        );
        assert_eq!(
            ProfileLevelId::parse("640c1f").unwrap().profile(),
            H264Profile::ConstrainedHigh
        );
        assert_eq!(
            ProfileLevelId::parse("4d001f").unwrap().profile(),
            H264Profile::Main
        );
        assert_eq!(
            ProfileLevelId::parse("42e01f").unwrap().to_string(),
            "42e01f"
        );
        assert_eq!(ProfileLevelId::parse("42e01"), None);
        assert_eq!(ProfileLevelId::parse("42g01f"), None);
    }

    #[test]
    fn rtx_red_vp9_av1() {
        let rtx = Fmtp::parse("97 apt=96;rtx-time=200").unwrap();
        assert_eq!((rtx.rtx_apt(), rtx.rtx_time()), (Some(96), Some(200)));
        let red = Fmtp::parse("63 111/111").unwrap();
        assert_eq!(red.red_payload_types(), Some(alloc::vec![111, 111]));
        assert_eq!(red.to_string(), "63 111/111");
        assert_eq!(Fmtp::parse("98 profile-id=2").unwrap().vp9_profile_id(), 2);
        let av1 = Fmtp::parse("45 level-idx=5;profile=0;tier=0")
            .unwrap()
            .av1();
        assert_eq!((av1.profile, av1.level_idx, av1.tier), (0, 5, 0));
    }

    #[test]
    fn spaces_after_semicolons_and_odd_values() {
        let f = Fmtp::parse("126 profile-level-id=42e01f; level-asymmetry-allowed=1").unwrap();
        assert_eq!(f.get("level-asymmetry-allowed"), Some("1"));
        let events = Fmtp::parse("101 0-15,66,32-34,67").unwrap();
        assert_eq!(events.parameters[0].name, "0-15,66,32-34,67");
        assert_eq!(events.parameters[0].value, None);
        let sprop = Fmtp::parse("97 sprop-parameter-sets=Z0IAH5WoFAFuQA==,aM48gA==").unwrap();
        assert_eq!(
            sprop.get("sprop-parameter-sets"),
            Some("Z0IAH5WoFAFuQA==,aM48gA==")
        );
        assert!(Fmtp::parse("96").is_err());
        assert!(Fmtp::parse("96 ;").is_err());
    }

    #[test]
    fn set_replaces_or_appends() {
        let mut f = Fmtp::parse("111 minptime=10").unwrap();
        f.set("minptime", Cow::Borrowed("20"));
        f.set("stereo", Cow::Borrowed("1"));
        assert_eq!(f.to_string(), "111 minptime=20;stereo=1");
    }
}
