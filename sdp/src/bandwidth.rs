//! `b=` bandwidth lines.

use alloc::borrow::Cow;
use core::fmt;

use crate::token::{is_token, number, own, split_once};

/// `<bwtype>` of a `b=` line.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.8>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BandwidthType<'a> {
    /// `CT`: conference total.
    ConferenceTotal,
    /// `AS`: application specific (kbit/s).
    ApplicationSpecific,
    /// `TIAS`: transport independent application specific (bit/s),
    /// <https://www.rfc-editor.org/rfc/rfc3890>.
    Tias,
    /// `RS`: RTCP bandwidth of senders, <https://www.rfc-editor.org/rfc/rfc3556>.
    RtcpSenders,
    /// `RR`: RTCP bandwidth of receivers, <https://www.rfc-editor.org/rfc/rfc3556>.
    RtcpReceivers,
    /// Another type, kept as written.
    Other(Cow<'a, str>),
}

/// `b=<bwtype>:<bandwidth>`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.8>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bandwidth<'a> {
    /// The modifier.
    pub bandwidth_type: BandwidthType<'a>,
    /// The value, in the unit of the modifier.
    pub value: u64,
}

impl<'a> Bandwidth<'a> {
    /// Parses the text after `b=`.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let (kind, value) = split_once(text, b':').ok_or("`b=<bwtype>:<bandwidth>`")?;
        let bandwidth_type = match kind {
            "CT" => BandwidthType::ConferenceTotal,
            "AS" => BandwidthType::ApplicationSpecific,
            "TIAS" => BandwidthType::Tias,
            "RS" => BandwidthType::RtcpSenders,
            "RR" => BandwidthType::RtcpReceivers,
            k if is_token(k) => BandwidthType::Other(Cow::Borrowed(k)),
            _ => return Err("a bandwidth type token"),
        };
        let value = number(value).ok_or("a bandwidth number")?;
        Ok(Self {
            bandwidth_type,
            value,
        })
    }

    /// An owned copy.
    pub fn into_owned(self) -> Bandwidth<'static> {
        let bandwidth_type = match self.bandwidth_type {
            BandwidthType::ConferenceTotal => BandwidthType::ConferenceTotal,
            BandwidthType::ApplicationSpecific => BandwidthType::ApplicationSpecific,
            BandwidthType::Tias => BandwidthType::Tias,
            BandwidthType::RtcpSenders => BandwidthType::RtcpSenders,
            BandwidthType::RtcpReceivers => BandwidthType::RtcpReceivers,
            BandwidthType::Other(t) => BandwidthType::Other(own(t)),
        };
        Bandwidth {
            bandwidth_type,
            value: self.value,
        }
    }
}

impl fmt::Display for Bandwidth<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match &self.bandwidth_type {
            BandwidthType::ConferenceTotal => "CT",
            BandwidthType::ApplicationSpecific => "AS",
            BandwidthType::Tias => "TIAS",
            BandwidthType::RtcpSenders => "RS",
            BandwidthType::RtcpReceivers => "RR",
            BandwidthType::Other(t) => t,
        };
        write!(f, "{kind}:{}", self.value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn bandwidth_types() {
        let b = Bandwidth::parse("TIAS:64000").unwrap();
        assert_eq!(b.bandwidth_type, BandwidthType::Tias);
        assert_eq!(b.value, 64000);
        assert_eq!(b.to_string(), "TIAS:64000");
        let b = Bandwidth::parse("FOOBAR:10").unwrap();
        assert_eq!(
            b.bandwidth_type,
            BandwidthType::Other(Cow::Borrowed("FOOBAR"))
        );
        assert_eq!(b.to_string(), "FOOBAR:10");
        assert!(Bandwidth::parse("AS").is_err());
        assert!(Bandwidth::parse("AS:-1").is_err());
    }
}
