//! RTP attributes: `rtpmap`, `rtcp-fb`, `extmap`, `ssrc`, `ssrc-group` and
//! the direction attributes.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use crate::token::{
    fields, is_token, is_word, is_words, number, own, split_once, split_space, write_number,
};

/// `sendrecv`, `sendonly`, `recvonly` or `inactive`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-6.7>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Direction {
    /// `sendrecv` (the default when none is given).
    #[default]
    SendRecv,
    /// `sendonly`.
    SendOnly,
    /// `recvonly`.
    RecvOnly,
    /// `inactive`.
    Inactive,
}

impl Direction {
    /// Parses a direction name.
    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "sendrecv" => Some(Self::SendRecv),
            "sendonly" => Some(Self::SendOnly),
            "recvonly" => Some(Self::RecvOnly),
            "inactive" => Some(Self::Inactive),
            _ => None,
        }
    }

    /// The attribute name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SendRecv => "sendrecv",
            Self::SendOnly => "sendonly",
            Self::RecvOnly => "recvonly",
            Self::Inactive => "inactive",
        }
    }

    /// Builds a direction from whether we send and whether we receive.
    pub fn from_flags(send: bool, receive: bool) -> Self {
        match (send, receive) {
            (true, true) => Self::SendRecv,
            (true, false) => Self::SendOnly,
            (false, true) => Self::RecvOnly,
            (false, false) => Self::Inactive,
        }
    }

    /// Whether this side sends.
    pub fn sends(self) -> bool {
        matches!(self, Self::SendRecv | Self::SendOnly)
    }

    /// Whether this side receives.
    pub fn receives(self) -> bool {
        matches!(self, Self::SendRecv | Self::RecvOnly)
    }

    /// The direction as seen from the other side (`sendonly` ↔ `recvonly`).
    pub fn reverse(self) -> Self {
        Self::from_flags(self.receives(), self.sends())
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-6.6>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rtpmap<'a> {
    /// RTP payload type.
    pub payload_type: u8,
    /// Encoding name (`opus`, `VP8`, `H264`, ...).
    pub encoding_name: Cow<'a, str>,
    /// Clock rate in Hz.
    pub clock_rate: u32,
    /// Encoding parameters: the channel count for audio.
    pub encoding_parameters: Option<u16>,
}

impl<'a> Rtpmap<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<payload type> <encoding name>/<clock rate>[/<channels>]`";
        let (pt, rest) = split_space(text).ok_or(EXPECTED)?;
        let payload_type = payload_type(pt)?;
        let mut parts = fields(rest, b'/');
        let encoding_name = parts.next().filter(|n| is_token(n)).ok_or(EXPECTED)?;
        let clock_rate = parts.next().and_then(number).ok_or("a clock rate")?;
        let encoding_parameters = parts
            .next()
            .map(|p| number(p).ok_or("a channel count"))
            .transpose()?;
        if parts.next().is_some() {
            return Err(EXPECTED);
        }
        Ok(Self {
            payload_type,
            encoding_name: Cow::Borrowed(encoding_name),
            clock_rate,
            encoding_parameters,
        })
    }

    /// The channel count (1 when not given).
    pub fn channels(&self) -> u16 {
        self.encoding_parameters.unwrap_or(1)
    }

    /// An owned copy.
    pub fn into_owned(self) -> Rtpmap<'static> {
        Rtpmap {
            payload_type: self.payload_type,
            encoding_name: own(self.encoding_name),
            clock_rate: self.clock_rate,
            encoding_parameters: self.encoding_parameters,
        }
    }
}

impl fmt::Display for Rtpmap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_number(f, u64::from(self.payload_type))?;
        f.write_str(" ")?;
        f.write_str(&self.encoding_name)?;
        f.write_str("/")?;
        write_number(f, u64::from(self.clock_rate))?;
        if let Some(p) = self.encoding_parameters {
            f.write_str("/")?;
            write_number(f, u64::from(p))?;
        }
        Ok(())
    }
}

/// An RTP payload type: a number from 0 to 127.
pub(crate) fn payload_type(text: &str) -> Result<u8, &'static str> {
    number::<u8>(text)
        .filter(|pt| *pt < 128)
        .ok_or("a payload type from 0 to 127")
}

/// `a=rtcp-fb:<payload type or *> <type> [<parameters>]`.
/// <https://www.rfc-editor.org/rfc/rfc4585#section-4.2>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtcpFb<'a> {
    /// The payload type, `None` for `*` (all).
    pub payload_type: Option<u8>,
    /// Feedback type: `nack`, `ack`, `ccm`, `trr-int`, `goog-remb`,
    /// `transport-cc`, ...
    pub feedback_type: Cow<'a, str>,
    /// The rest: `pli`, `fir`, a `trr-int` value, ...
    pub parameters: Option<Cow<'a, str>>,
}

impl<'a> RtcpFb<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<payload type> <feedback type> [<parameters>]`";
        let (pt, rest) = split_space(text).ok_or(EXPECTED)?;
        let payload_type = if pt == "*" {
            None
        } else {
            Some(payload_type(pt)?)
        };
        let (feedback_type, parameters) = match split_space(rest) {
            Some((kind, params)) => (kind, Some(params)),
            None => (rest, None),
        };
        if !is_token(feedback_type) || parameters.is_some_and(|p| !is_words(p)) {
            return Err(EXPECTED);
        }
        Ok(Self {
            payload_type,
            feedback_type: Cow::Borrowed(feedback_type),
            parameters: parameters.map(Cow::Borrowed),
        })
    }

    /// A feedback line for one payload type.
    pub fn new(
        payload_type: Option<u8>,
        feedback_type: &'a str,
        parameters: Option<&'a str>,
    ) -> Self {
        Self {
            payload_type,
            feedback_type: Cow::Borrowed(feedback_type),
            parameters: parameters.map(Cow::Borrowed),
        }
    }

    /// Whether two lines ask for the same feedback (payload type aside).
    pub fn same_feedback(&self, other: &Self) -> bool {
        self.feedback_type == other.feedback_type && self.parameters == other.parameters
    }

    /// An owned copy.
    pub fn into_owned(self) -> RtcpFb<'static> {
        RtcpFb {
            payload_type: self.payload_type,
            feedback_type: own(self.feedback_type),
            parameters: self.parameters.map(own),
        }
    }
}

impl fmt::Display for RtcpFb<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.payload_type {
            Some(pt) => write_number(f, u64::from(pt))?,
            None => f.write_str("*")?,
        }
        f.write_str(" ")?;
        f.write_str(&self.feedback_type)?;
        if let Some(p) = &self.parameters {
            f.write_str(" ")?;
            f.write_str(p)?;
        }
        Ok(())
    }
}

/// `a=extmap:<id>[/<direction>] <URI> [<extension attributes>]`.
/// <https://www.rfc-editor.org/rfc/rfc8285#section-8>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extmap<'a> {
    /// Local identifier, 1-14 (one-byte) or 1-255 (two-byte headers).
    pub id: u16,
    /// Direction of the extension, when restricted.
    pub direction: Option<Direction>,
    /// The extension's URI.
    pub uri: Cow<'a, str>,
    /// Extension attributes after the URI.
    pub attributes: Option<Cow<'a, str>>,
}

impl<'a> Extmap<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<id>[/<direction>] <URI> [<attributes>]`";
        let (head, rest) = split_space(text).ok_or(EXPECTED)?;
        let (id, direction) = match split_once(head, b'/') {
            Some((id, dir)) => (
                id,
                Some(Direction::parse(dir).ok_or("an extmap direction")?),
            ),
            None => (head, None),
        };
        let id = number::<u16>(id)
            .filter(|id| (1..=4095).contains(id))
            .ok_or("an extmap id from 1 to 4095")?;
        let (uri, attributes) = match split_space(rest) {
            Some((uri, attributes)) => (uri, Some(attributes)),
            None => (rest, None),
        };
        if !is_word(uri) {
            return Err("an extension URI");
        }
        Ok(Self {
            id,
            direction,
            uri: Cow::Borrowed(uri),
            attributes: attributes.map(Cow::Borrowed),
        })
    }

    /// An extension with an id and a URI.
    pub fn new(id: u16, uri: &'a str) -> Self {
        Self {
            id,
            direction: None,
            uri: Cow::Borrowed(uri),
            attributes: None,
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Extmap<'static> {
        Extmap {
            id: self.id,
            direction: self.direction,
            uri: own(self.uri),
            attributes: self.attributes.map(own),
        }
    }
}

impl fmt::Display for Extmap<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_number(f, u64::from(self.id))?;
        if let Some(d) = self.direction {
            f.write_str("/")?;
            f.write_str(d.as_str())?;
        }
        f.write_str(" ")?;
        f.write_str(&self.uri)?;
        if let Some(a) = &self.attributes {
            f.write_str(" ")?;
            f.write_str(a)?;
        }
        Ok(())
    }
}

/// `a=ssrc:<ssrc> <attribute>[:<value>]`.
/// <https://www.rfc-editor.org/rfc/rfc5576#section-4.1>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ssrc<'a> {
    /// The synchronization source.
    pub ssrc: u32,
    /// The source attribute name (`cname`, `msid`, ...).
    pub attribute: Cow<'a, str>,
    /// The source attribute value.
    pub value: Option<Cow<'a, str>>,
}

impl<'a> Ssrc<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`<ssrc> <attribute>[:<value>]`";
        let (ssrc, rest) = split_space(text).ok_or(EXPECTED)?;
        let ssrc = number(ssrc).ok_or("an SSRC from 0 to 4294967295")?;
        let (attribute, value) = match split_once(rest, b':') {
            Some((a, v)) => (a, Some(v)),
            None => (rest, None),
        };
        if !is_token(attribute) {
            return Err(EXPECTED);
        }
        Ok(Self {
            ssrc,
            attribute: Cow::Borrowed(attribute),
            value: value.map(Cow::Borrowed),
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Ssrc<'static> {
        Ssrc {
            ssrc: self.ssrc,
            attribute: own(self.attribute),
            value: self.value.map(own),
        }
    }
}

impl fmt::Display for Ssrc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_number(f, u64::from(self.ssrc))?;
        f.write_str(" ")?;
        f.write_str(&self.attribute)?;
        if let Some(v) = &self.value {
            f.write_str(":")?;
            f.write_str(v)?;
        }
        Ok(())
    }
}

/// `a=ssrc-group:<semantics> <ssrc>...` (`FID` for RTX, `SIM`, `FEC-FR`).
/// <https://www.rfc-editor.org/rfc/rfc5576#section-4.2>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SsrcGroup<'a> {
    /// The grouping semantics.
    pub semantics: Cow<'a, str>,
    /// The grouped sources, in order.
    pub ssrcs: Vec<u32>,
}

impl<'a> SsrcGroup<'a> {
    /// Parses the attribute value.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let mut columns = fields(text, b' ');
        let semantics = columns
            .next()
            .filter(|s| is_token(s))
            .ok_or("`<semantics> <ssrc>...`")?;
        let ssrcs = columns
            .map(|s| number(s).ok_or("an SSRC from 0 to 4294967295"))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            semantics: Cow::Borrowed(semantics),
            ssrcs,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> SsrcGroup<'static> {
        SsrcGroup {
            semantics: own(self.semantics),
            ssrcs: self.ssrcs,
        }
    }
}

impl fmt::Display for SsrcGroup<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.semantics)?;
        for ssrc in &self.ssrcs {
            f.write_str(" ")?;
            write_number(f, u64::from(*ssrc))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn rtpmap_fields() {
        let r = Rtpmap::parse("111 opus/48000/2").unwrap();
        assert_eq!(
            (
                r.payload_type,
                &*r.encoding_name,
                r.clock_rate,
                r.channels()
            ),
            (111, "opus", 48000, 2)
        );
        assert_eq!(r.to_string(), "111 opus/48000/2");
        let v = Rtpmap::parse("96 VP8/90000").unwrap();
        assert_eq!(v.encoding_parameters, None);
        assert_eq!(v.to_string(), "96 VP8/90000");
        assert!(Rtpmap::parse("128 VP8/90000").is_err());
        assert!(Rtpmap::parse("96 VP8").is_err());
        assert!(Rtpmap::parse("96 VP8/90000/2/1").is_err());
    }

    #[test]
    fn rtcp_fb_forms() {
        let fb = RtcpFb::parse("96 nack pli").unwrap();
        assert_eq!(
            (
                fb.payload_type,
                &*fb.feedback_type,
                fb.parameters.as_deref()
            ),
            (Some(96), "nack", Some("pli"))
        );
        assert_eq!(fb.to_string(), "96 nack pli");
        let all = RtcpFb::parse("* ccm tmmbr").unwrap();
        assert_eq!(all.payload_type, None);
        assert_eq!(all.to_string(), "* ccm tmmbr");
        assert_eq!(RtcpFb::parse("96 transport-cc").unwrap().parameters, None);
        assert!(RtcpFb::parse("96").is_err());
    }

    #[test]
    fn extmap_with_direction() {
        let e = Extmap::parse("2/sendonly some_extension").unwrap();
        assert_eq!(
            (e.id, e.direction, &*e.uri),
            (2, Some(Direction::SendOnly), "some_extension")
        );
        assert_eq!(e.to_string(), "2/sendonly some_extension");
        let e = Extmap::parse("3 urn:x some more params").unwrap();
        assert_eq!(e.attributes.as_deref(), Some("some more params"));
        assert!(Extmap::parse("0 urn:x").is_err());
        assert!(Extmap::parse("1/up urn:x").is_err());
    }

    #[test]
    fn ssrc_and_groups() {
        let s = Ssrc::parse("1111 foo:bar").unwrap();
        assert_eq!(
            (s.ssrc, &*s.attribute, s.value.as_deref()),
            (1111, "foo", Some("bar"))
        );
        assert_eq!(s.to_string(), "1111 foo:bar");
        let s = Ssrc::parse("2271517329 msid:a b").unwrap();
        assert_eq!(s.value.as_deref(), Some("a b"));
        assert!(Ssrc::parse("5150").is_err());
        let g = SsrcGroup::parse("FID 1 2").unwrap();
        assert_eq!(g.ssrcs, [1, 2]);
        assert_eq!(g.to_string(), "FID 1 2");
        assert!(SsrcGroup::parse("FID x").is_err());
    }

    #[test]
    fn directions_reverse() {
        assert_eq!(Direction::SendOnly.reverse(), Direction::RecvOnly);
        assert_eq!(Direction::Inactive.reverse(), Direction::Inactive);
        assert_eq!(Direction::parse("sendrecv"), Some(Direction::SendRecv));
        assert_eq!(Direction::parse("send"), None);
    }
}
