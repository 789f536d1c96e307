//! `a=` lines: the [`Attribute`] enum, typed for every attribute WebRTC uses.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use crate::fmtp::Fmtp;
use crate::imageattr::Imageattr;
use crate::rtp::{Direction, Extmap, RtcpFb, Rtpmap, Ssrc, SsrcGroup};
use crate::simulcast::{Rid, Simulcast};
use crate::token::{
    is_token, is_word, number, own, own_all, skip_spaces, split_once, words, write_number,
};
use crate::transport::{
    ConnectionMode, Decimal, Fingerprint, Group, Msid, MsidSemantic, RemoteCandidate, Rtcp,
    Sctpmap, Setup,
};

/// Where an attribute may appear.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    /// Only at session level.
    Session,
    /// Only in a media description.
    Media,
    /// At either level.
    Both,
}

/// One `a=` line.
///
/// Attributes this crate knows are typed; any other one is kept as
/// [`Attribute::Other`] and written back unchanged.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.13>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Attribute<'a> {
    /// `a=group`, RFC 5888.
    Group(Group<'a>),
    /// `a=mid`, RFC 5888.
    Mid(Cow<'a, str>),
    /// `a=msid`, RFC 8830.
    Msid(Msid<'a>),
    /// `a=msid-semantic`.
    MsidSemantic(MsidSemantic<'a>),
    /// `a=rtpmap`, RFC 8866 section 6.6.
    Rtpmap(Rtpmap<'a>),
    /// `a=fmtp`, RFC 8866 section 6.15.
    Fmtp(Fmtp<'a>),
    /// `a=rtcp-fb`, RFC 4585.
    RtcpFb(RtcpFb<'a>),
    /// `a=extmap`, RFC 8285.
    Extmap(Extmap<'a>),
    /// `a=extmap-allow-mixed`, RFC 8285 section 6.
    ExtmapAllowMixed,
    /// `a=ssrc`, RFC 5576.
    Ssrc(Ssrc<'a>),
    /// `a=ssrc-group`, RFC 5576.
    SsrcGroup(SsrcGroup<'a>),
    /// `a=rid`, RFC 8851.
    Rid(Rid<'a>),
    /// `a=simulcast`, RFC 8853.
    Simulcast(Simulcast<'a>),
    /// `a=ice-ufrag`, RFC 8839.
    IceUfrag(Cow<'a, str>),
    /// `a=ice-pwd`, RFC 8839.
    IcePwd(Cow<'a, str>),
    /// `a=ice-options`, RFC 8839: option tags such as `trickle`.
    IceOptions(Vec<Cow<'a, str>>),
    /// `a=ice-lite`, RFC 8839.
    IceLite,
    /// `a=candidate`, RFC 8839: the value after `candidate:`, as written
    /// (the `ice` crate owns its grammar).
    Candidate(Cow<'a, str>),
    /// `a=end-of-candidates`, RFC 8840.
    EndOfCandidates,
    /// `a=remote-candidates`, RFC 8839 section 5.2.
    RemoteCandidates(Vec<RemoteCandidate<'a>>),
    /// `a=ice-mismatch`, RFC 8839 section 5.3.
    IceMismatch,
    /// `a=imageattr`, RFC 6236.
    Imageattr(Imageattr<'a>),
    /// `a=fingerprint`, RFC 8122.
    Fingerprint(Fingerprint<'a>),
    /// `a=setup`, RFC 4145.
    Setup(Setup),
    /// `a=connection`, RFC 4145.
    Connection(ConnectionMode),
    /// `a=rtcp`, RFC 3605.
    Rtcp(Rtcp<'a>),
    /// `a=rtcp-mux`, RFC 5761.
    RtcpMux,
    /// `a=rtcp-mux-only`, RFC 8858.
    RtcpMuxOnly,
    /// `a=rtcp-rsize`, RFC 5506.
    RtcpRsize,
    /// `a=sctp-port`, RFC 8841.
    SctpPort(u16),
    /// `a=sctpmap` (pre-standard data channels).
    Sctpmap(Sctpmap<'a>),
    /// `a=max-message-size`, RFC 8841.
    MaxMessageSize(u64),
    /// `a=ptime` in milliseconds, RFC 8866 section 6.4.
    Ptime(Decimal),
    /// `a=maxptime` in milliseconds, RFC 8866 section 6.5.
    Maxptime(u32),
    /// `a=framerate`, RFC 8866 section 6.17.
    Framerate(Decimal),
    /// `a=sendrecv`, `a=sendonly`, `a=recvonly` or `a=inactive`.
    Direction(Direction),
    /// `a=label`, RFC 4574.
    Label(Cow<'a, str>),
    /// `a=identity`, RFC 8827.
    Identity(Cow<'a, str>),
    /// `a=bundle-only`, RFC 8843.
    BundleOnly,
    /// Any other attribute, kept as written.
    Other {
        /// The attribute name.
        name: Cow<'a, str>,
        /// The value after `:`, if any.
        value: Option<Cow<'a, str>>,
    },
}

const FLAG_VALUE: &str = "no value";

impl<'a> Attribute<'a> {
    /// Parses the text after `a=` into its typed form.
    ///
    /// Returns what was expected when a known attribute's value does not
    /// follow its grammar; unknown attributes always parse (as
    /// [`Attribute::Other`]).
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        let (name, value) = match split_once(text, b':') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        Self::parse_typed(name, value)
    }

    /// Like [`Attribute::parse`], but a known attribute whose value does not
    /// parse is kept as [`Attribute::Other`]. Leading spaces in the value are
    /// skipped for the typed form (`a=msid-semantic: WMS`).
    // Inlined (with `parse_typed`) into the session parser, which then
    // builds each attribute where it stores it instead of copying the
    // 88-byte value out of every return on the way.
    #[inline(always)]
    pub fn parse_lenient(text: &'a str) -> Self {
        let (name, value) = match split_once(text, b':') {
            Some((n, v)) => (n, Some(v)),
            None => (text, None),
        };
        let trimmed = value.map(skip_spaces);
        match Self::parse_typed(name, trimmed) {
            Ok(Self::Other { .. }) | Err(_) => Self::Other {
                name: Cow::Borrowed(name),
                value: value.map(Cow::Borrowed),
            },
            Ok(typed) => typed,
        }
    }

    #[inline(always)]
    fn parse_typed(name: &'a str, value: Option<&'a str>) -> Result<Self, &'static str> {
        let flag = |attribute: Self| {
            if value.is_none() {
                Ok(attribute)
            } else {
                Err(FLAG_VALUE)
            }
        };
        let text = || match value {
            None | Some("") => Err("a value after `:`"),
            Some(v) if v.starts_with(' ') => Err("no space after `:`"),
            Some(v) => Ok(v),
        };
        let string = || text().map(Cow::Borrowed);
        let word = || {
            text().and_then(|v| {
                if is_word(v) {
                    Ok(Cow::Borrowed(v))
                } else {
                    Err("a value without spaces")
                }
            })
        };
        Ok(match name {
            // The most frequent names in browser SDP first.
            "rtcp-fb" => Self::RtcpFb(RtcpFb::parse(text()?)?),
            "rtpmap" => Self::Rtpmap(Rtpmap::parse(text()?)?),
            "fmtp" => Self::Fmtp(Fmtp::parse(text()?)?),
            "extmap" => Self::Extmap(Extmap::parse(text()?)?),
            "candidate" => Self::Candidate(string()?),
            "ssrc" => Self::Ssrc(Ssrc::parse(text()?)?),
            "group" => Self::Group(Group::parse(text()?)?),
            "mid" => Self::Mid(word()?),
            "msid" => Self::Msid(Msid::parse(text()?)?),
            "msid-semantic" => Self::MsidSemantic(MsidSemantic::parse(text()?)?),
            "extmap-allow-mixed" => flag(Self::ExtmapAllowMixed)?,
            "ssrc-group" => Self::SsrcGroup(SsrcGroup::parse(text()?)?),
            "rid" => Self::Rid(Rid::parse(text()?)?),
            "simulcast" => Self::Simulcast(Simulcast::parse(text()?)?),
            "ice-ufrag" => Self::IceUfrag(word()?),
            "ice-pwd" => Self::IcePwd(word()?),
            "ice-options" => {
                Self::IceOptions(words(text()?, "option tags separated by single spaces")?)
            }
            "ice-lite" => flag(Self::IceLite)?,
            "end-of-candidates" => flag(Self::EndOfCandidates)?,
            "remote-candidates" => Self::RemoteCandidates(RemoteCandidate::parse_list(text()?)?),
            "ice-mismatch" => flag(Self::IceMismatch)?,
            "imageattr" => Self::Imageattr(Imageattr::parse(text()?)?),
            "fingerprint" => Self::Fingerprint(Fingerprint::parse(text()?)?),
            "setup" => Self::Setup(Setup::parse(text()?)?),
            "connection" => Self::Connection(ConnectionMode::parse(text()?)?),
            "rtcp" => Self::Rtcp(Rtcp::parse(text()?)?),
            "rtcp-mux" => flag(Self::RtcpMux)?,
            "rtcp-mux-only" => flag(Self::RtcpMuxOnly)?,
            "rtcp-rsize" => flag(Self::RtcpRsize)?,
            "sctp-port" => Self::SctpPort(number(text()?).ok_or("an SCTP port")?),
            "sctpmap" => Self::Sctpmap(Sctpmap::parse(text()?)?),
            "max-message-size" => {
                Self::MaxMessageSize(number(text()?).ok_or("a message size in bytes")?)
            }
            "ptime" => Self::Ptime(Decimal::parse(text()?)?),
            "maxptime" => Self::Maxptime(number(text()?).ok_or("a packet time in milliseconds")?),
            "framerate" => Self::Framerate(Decimal::parse(text()?)?),
            "sendrecv" => flag(Self::Direction(Direction::SendRecv))?,
            "sendonly" => flag(Self::Direction(Direction::SendOnly))?,
            "recvonly" => flag(Self::Direction(Direction::RecvOnly))?,
            "inactive" => flag(Self::Direction(Direction::Inactive))?,
            "label" => Self::Label(word()?),
            "identity" => Self::Identity(string()?),
            "bundle-only" => flag(Self::BundleOnly)?,
            _ => {
                if !is_token(name) {
                    return Err("an attribute name (RFC 8866 token)");
                }
                Self::Other {
                    name: Cow::Borrowed(name),
                    value: value.map(Cow::Borrowed),
                }
            }
        })
    }

    /// The attribute name, as written after `a=`.
    pub fn name(&self) -> &str {
        match self {
            Self::Group(_) => "group",
            Self::Mid(_) => "mid",
            Self::Msid(_) => "msid",
            Self::MsidSemantic(_) => "msid-semantic",
            Self::Rtpmap(_) => "rtpmap",
            Self::Fmtp(_) => "fmtp",
            Self::RtcpFb(_) => "rtcp-fb",
            Self::Extmap(_) => "extmap",
            Self::ExtmapAllowMixed => "extmap-allow-mixed",
            Self::Ssrc(_) => "ssrc",
            Self::SsrcGroup(_) => "ssrc-group",
            Self::Rid(_) => "rid",
            Self::Simulcast(_) => "simulcast",
            Self::IceUfrag(_) => "ice-ufrag",
            Self::IcePwd(_) => "ice-pwd",
            Self::IceOptions(_) => "ice-options",
            Self::IceLite => "ice-lite",
            Self::Candidate(_) => "candidate",
            Self::EndOfCandidates => "end-of-candidates",
            Self::RemoteCandidates(_) => "remote-candidates",
            Self::IceMismatch => "ice-mismatch",
            Self::Imageattr(_) => "imageattr",
            Self::Fingerprint(_) => "fingerprint",
            Self::Setup(_) => "setup",
            Self::Connection(_) => "connection",
            Self::Rtcp(_) => "rtcp",
            Self::RtcpMux => "rtcp-mux",
            Self::RtcpMuxOnly => "rtcp-mux-only",
            Self::RtcpRsize => "rtcp-rsize",
            Self::SctpPort(_) => "sctp-port",
            Self::Sctpmap(_) => "sctpmap",
            Self::MaxMessageSize(_) => "max-message-size",
            Self::Ptime(_) => "ptime",
            Self::Maxptime(_) => "maxptime",
            Self::Framerate(_) => "framerate",
            Self::Direction(d) => d.as_str(),
            Self::Label(_) => "label",
            Self::Identity(_) => "identity",
            Self::BundleOnly => "bundle-only",
            Self::Other { name, .. } => name,
        }
    }

    /// Where the attribute's definition allows it (unknown attributes:
    /// anywhere).
    pub fn level(&self) -> Level {
        match self {
            Self::Group(_) | Self::MsidSemantic(_) | Self::IceLite | Self::Identity(_) => {
                Level::Session
            }
            Self::Mid(_)
            | Self::Msid(_)
            | Self::Rtpmap(_)
            | Self::Fmtp(_)
            | Self::RtcpFb(_)
            | Self::Ssrc(_)
            | Self::SsrcGroup(_)
            | Self::Rid(_)
            | Self::Simulcast(_)
            | Self::Candidate(_)
            | Self::RemoteCandidates(_)
            | Self::IceMismatch
            | Self::Imageattr(_)
            | Self::Rtcp(_)
            | Self::RtcpMux
            | Self::RtcpMuxOnly
            | Self::RtcpRsize
            | Self::SctpPort(_)
            | Self::Sctpmap(_)
            | Self::MaxMessageSize(_)
            | Self::Ptime(_)
            | Self::Maxptime(_)
            | Self::Framerate(_)
            | Self::Label(_)
            | Self::BundleOnly => Level::Media,
            Self::Extmap(_)
            | Self::ExtmapAllowMixed
            | Self::IceUfrag(_)
            | Self::IcePwd(_)
            | Self::IceOptions(_)
            | Self::EndOfCandidates
            | Self::Fingerprint(_)
            | Self::Setup(_)
            | Self::Connection(_)
            | Self::Direction(_)
            | Self::Other { .. } => Level::Both,
        }
    }

    /// An owned copy.
    pub fn into_owned(self) -> Attribute<'static> {
        match self {
            Self::Group(v) => Attribute::Group(v.into_owned()),
            Self::Mid(v) => Attribute::Mid(own(v)),
            Self::Msid(v) => Attribute::Msid(v.into_owned()),
            Self::MsidSemantic(v) => Attribute::MsidSemantic(v.into_owned()),
            Self::Rtpmap(v) => Attribute::Rtpmap(v.into_owned()),
            Self::Fmtp(v) => Attribute::Fmtp(v.into_owned()),
            Self::RtcpFb(v) => Attribute::RtcpFb(v.into_owned()),
            Self::Extmap(v) => Attribute::Extmap(v.into_owned()),
            Self::ExtmapAllowMixed => Attribute::ExtmapAllowMixed,
            Self::Ssrc(v) => Attribute::Ssrc(v.into_owned()),
            Self::SsrcGroup(v) => Attribute::SsrcGroup(v.into_owned()),
            Self::Rid(v) => Attribute::Rid(v.into_owned()),
            Self::Simulcast(v) => Attribute::Simulcast(v.into_owned()),
            Self::IceUfrag(v) => Attribute::IceUfrag(own(v)),
            Self::IcePwd(v) => Attribute::IcePwd(own(v)),
            Self::IceOptions(v) => Attribute::IceOptions(own_all(v)),
            Self::IceLite => Attribute::IceLite,
            Self::Candidate(v) => Attribute::Candidate(own(v)),
            Self::EndOfCandidates => Attribute::EndOfCandidates,
            Self::RemoteCandidates(v) => Attribute::RemoteCandidates(
                v.into_iter().map(RemoteCandidate::into_owned).collect(),
            ),
            Self::IceMismatch => Attribute::IceMismatch,
            Self::Imageattr(v) => Attribute::Imageattr(v.into_owned()),
            Self::Fingerprint(v) => Attribute::Fingerprint(v.into_owned()),
            Self::Setup(v) => Attribute::Setup(v),
            Self::Connection(v) => Attribute::Connection(v),
            Self::Rtcp(v) => Attribute::Rtcp(v.into_owned()),
            Self::RtcpMux => Attribute::RtcpMux,
            Self::RtcpMuxOnly => Attribute::RtcpMuxOnly,
            Self::RtcpRsize => Attribute::RtcpRsize,
            Self::SctpPort(v) => Attribute::SctpPort(v),
            Self::Sctpmap(v) => Attribute::Sctpmap(v.into_owned()),
            Self::MaxMessageSize(v) => Attribute::MaxMessageSize(v),
            Self::Ptime(v) => Attribute::Ptime(v),
            Self::Maxptime(v) => Attribute::Maxptime(v),
            Self::Framerate(v) => Attribute::Framerate(v),
            Self::Direction(v) => Attribute::Direction(v),
            Self::Label(v) => Attribute::Label(own(v)),
            Self::Identity(v) => Attribute::Identity(own(v)),
            Self::BundleOnly => Attribute::BundleOnly,
            Self::Other { name, value } => Attribute::Other {
                name: own(name),
                value: value.map(own),
            },
        }
    }
}

fn colon(f: &mut fmt::Formatter<'_>, value: &dyn fmt::Display) -> fmt::Result {
    f.write_str(":")?;
    value.fmt(f)
}

fn colon_number(f: &mut fmt::Formatter<'_>, value: u64) -> fmt::Result {
    f.write_str(":")?;
    write_number(f, value)
}

impl fmt::Display for Attribute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        match self {
            Self::Group(v) => colon(f, v),
            Self::Mid(v)
            | Self::IceUfrag(v)
            | Self::IcePwd(v)
            | Self::Candidate(v)
            | Self::Label(v)
            | Self::Identity(v) => {
                f.write_str(":")?;
                f.write_str(v)
            }
            Self::Msid(v) => colon(f, v),
            Self::RemoteCandidates(v) => {
                for (i, candidate) in v.iter().enumerate() {
                    f.write_str(if i == 0 { ":" } else { " " })?;
                    fmt::Display::fmt(candidate, f)?;
                }
                Ok(())
            }
            Self::Imageattr(v) => colon(f, v),
            Self::MsidSemantic(v) => colon(f, v),
            Self::Rtpmap(v) => colon(f, v),
            Self::Fmtp(v) => colon(f, v),
            Self::RtcpFb(v) => colon(f, v),
            Self::Extmap(v) => colon(f, v),
            Self::Ssrc(v) => colon(f, v),
            Self::SsrcGroup(v) => colon(f, v),
            Self::Rid(v) => colon(f, v),
            Self::Simulcast(v) => colon(f, v),
            Self::IceOptions(v) => {
                for (i, option) in v.iter().enumerate() {
                    f.write_str(if i == 0 { ":" } else { " " })?;
                    f.write_str(option)?;
                }
                Ok(())
            }
            Self::Fingerprint(v) => colon(f, v),
            Self::Setup(v) => colon(f, v),
            Self::Connection(v) => colon(f, v),
            Self::Rtcp(v) => colon(f, v),
            Self::SctpPort(v) => colon_number(f, u64::from(*v)),
            Self::Sctpmap(v) => colon(f, v),
            Self::MaxMessageSize(v) => colon_number(f, *v),
            Self::Ptime(v) | Self::Framerate(v) => colon(f, v),
            Self::Maxptime(v) => colon_number(f, u64::from(*v)),
            Self::Other { value: Some(v), .. } => colon(f, v),
            Self::ExtmapAllowMixed
            | Self::IceLite
            | Self::EndOfCandidates
            | Self::IceMismatch
            | Self::RtcpMux
            | Self::RtcpMuxOnly
            | Self::RtcpRsize
            | Self::Direction(_)
            | Self::BundleOnly
            | Self::Other { value: None, .. } => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn typed_and_written_back() {
        for text in [
            "group:BUNDLE 0 1",
            "mid:0",
            "msid:- 7f0f",
            "rtpmap:111 opus/48000/2",
            "fmtp:111 minptime=10;useinbandfec=1",
            "rtcp-fb:96 nack pli",
            "extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "extmap-allow-mixed",
            "ssrc:1 cname:x",
            "ssrc-group:FID 1 2",
            "rid:h send",
            "simulcast:send h;l",
            "ice-ufrag:abcd",
            "ice-pwd:0123456789012345678901",
            "ice-options:trickle renomination",
            "ice-lite",
            "candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host",
            "end-of-candidates",
            "setup:actpass",
            "connection:new",
            "rtcp:9 IN IP4 0.0.0.0",
            "rtcp-mux",
            "rtcp-mux-only",
            "rtcp-rsize",
            "sctp-port:5000",
            "sctpmap:5000 webrtc-datachannel 1024",
            "max-message-size:262144",
            "ptime:20",
            "maxptime:120",
            "framerate:29.97",
            "sendonly",
            "label:1",
            "identity:eyJpZHAiOnt9fQ",
            "bundle-only",
            "x-google-flag:conference",
            "remote-candidates:1 192.0.2.3 45664 2 192.0.2.3 45665",
            "ice-mismatch",
            "imageattr:97 send [x=800,y=640,sar=1.1,q=0.6] [x=480,y=320] recv [x=330,y=250]",
            "crypto:1 AES_CM_128_HMAC_SHA1_80 inline:abc",
        ] {
            let attribute = Attribute::parse(text).unwrap();
            assert!(
                !matches!(attribute, Attribute::Other { .. })
                    || text.starts_with('x')
                    || text.starts_with("crypto")
            );
            assert_eq!(attribute.to_string(), text, "{text}");
            assert_eq!(attribute.clone().into_owned(), attribute);
        }
    }

    #[test]
    fn flags_take_no_value_and_values_are_required() {
        assert_eq!(Attribute::parse("rtcp-mux:1"), Err(FLAG_VALUE));
        assert!(Attribute::parse("mid").is_err());
        assert!(Attribute::parse("mid:").is_err());
        assert!(Attribute::parse("ice-pwd: x").is_err());
        assert!(Attribute::parse("mid:a b").is_err());
        assert!(Attribute::parse("candidate: 1 1 udp 1 192.0.2.1 9 typ host").is_err());
        assert!(Attribute::parse("bad name").is_err());
    }

    #[test]
    fn lenient_keeps_bad_values_as_other() {
        let a = Attribute::parse_lenient("rtpmap:x");
        assert_eq!(
            a,
            Attribute::Other {
                name: Cow::Borrowed("rtpmap"),
                value: Some(Cow::Borrowed("x"))
            }
        );
        assert_eq!(a.to_string(), "rtpmap:x");
        let s = Attribute::parse_lenient("msid-semantic: WMS");
        assert!(matches!(s, Attribute::MsidSemantic(ref m) if m.semantic == "WMS"));
        assert!(Attribute::parse("msid-semantic: WMS").is_err());
    }

    #[test]
    fn levels() {
        assert_eq!(Attribute::IceMismatch.level(), Level::Media);
        assert_eq!(
            Attribute::parse("remote-candidates:1 192.0.2.3 45664")
                .unwrap()
                .level(),
            Level::Media
        );
        assert_eq!(
            Attribute::parse("imageattr:120 send * recv *")
                .unwrap()
                .level(),
            Level::Media
        );
        assert!(Attribute::parse("imageattr:flob").is_err());
        assert!(matches!(
            Attribute::parse_lenient("imageattr:flob"),
            Attribute::Other { .. }
        ));
        assert_eq!(Attribute::IceLite.level(), Level::Session);
        assert_eq!(Attribute::RtcpMux.level(), Level::Media);
        assert_eq!(Attribute::Setup(Setup::Active).level(), Level::Both);
    }
}
