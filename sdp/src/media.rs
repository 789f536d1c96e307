//! `m=` lines and media descriptions.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::fmt;

use crate::attribute::Attribute;
use crate::bandwidth::Bandwidth;
use crate::connection::Connection;
use crate::fmtp::Fmtp;
use crate::layout::Layout;
use crate::line::Line;
use crate::rtp::{Direction, Extmap, Rtpmap};
use crate::session::Sdp;
use crate::token::{fields, is_token, number, own, own_all, split_once, write_number};
use crate::transport::{Fingerprint, Setup};

/// `<media>` of an `m=` line.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.14>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaType<'a> {
    /// `audio`.
    Audio,
    /// `video`.
    Video,
    /// `application` (data channels).
    Application,
    /// `text`.
    Text,
    /// `message`.
    Message,
    /// Another media type, kept as written.
    Other(Cow<'a, str>),
}

impl MediaType<'_> {
    /// The name as written.
    pub fn as_str(&self) -> &str {
        match self {
            Self::Audio => "audio",
            Self::Video => "video",
            Self::Application => "application",
            Self::Text => "text",
            Self::Message => "message",
            Self::Other(t) => t,
        }
    }
}

/// `m=<media> <port>[/<number of ports>] <proto> <fmt> ...`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.14>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine<'a> {
    /// Media type.
    pub media: MediaType<'a>,
    /// Transport port; 0 rejects or disables the media description.
    pub port: u16,
    /// Number of ports, when given.
    pub port_count: Option<u16>,
    /// Transport protocol (`UDP/TLS/RTP/SAVPF`, `UDP/DTLS/SCTP`, ...).
    pub protocol: Cow<'a, str>,
    /// Media formats: RTP payload types, or `webrtc-datachannel`.
    pub formats: Vec<Cow<'a, str>>,
}

impl<'a> MediaLine<'a> {
    /// Parses the text after `m=`.
    pub fn parse(text: &'a str) -> Result<Self, &'static str> {
        Self::parse_with(text, true)
    }

    /// Like [`MediaLine::parse`], but a line without any format
    /// (`m=video 0 UDP/TLS/RTP/SAVPF`, as legacy Edge wrote rejected
    /// sections) is accepted, with an empty [`formats`](Self::formats).
    pub fn parse_lenient(text: &'a str) -> Result<Self, &'static str> {
        Self::parse_with(text, false)
    }

    fn parse_with(text: &'a str, format_required: bool) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`m=<media> <port> <proto> <fmt> ...`";
        let mut columns = fields(text, b' ');
        let media = match columns.next().ok_or(EXPECTED)? {
            "audio" => MediaType::Audio,
            "video" => MediaType::Video,
            "application" => MediaType::Application,
            "text" => MediaType::Text,
            "message" => MediaType::Message,
            other if is_token(other) => MediaType::Other(Cow::Borrowed(other)),
            _ => return Err("a media type"),
        };
        let port_text = columns.next().ok_or(EXPECTED)?;
        let (port, port_count) = match split_once(port_text, b'/') {
            Some((p, n)) => (p, Some(number(n).ok_or("a number of ports")?)),
            None => (port_text, None),
        };
        let port = number(port).ok_or("a port from 0 to 65535")?;
        let protocol = columns
            .next()
            .filter(|p| is_token(p) || p.contains('/'))
            .ok_or(EXPECTED)?;
        if protocol
            .bytes()
            .any(|b| !(b == b'/' || crate::token::is_token_char(b)))
        {
            return Err("a transport protocol");
        }
        // `<media> <port> <proto>` hold two of the spaces; each other one
        // starts a format.
        let spaces = text.bytes().filter(|b| *b == b' ').count();
        let mut formats = Vec::with_capacity(spaces.saturating_sub(2));
        for format in columns {
            if !is_token(format) {
                return Err("media formats separated by single spaces");
            }
            formats.push(Cow::Borrowed(format));
        }
        if formats.is_empty() && format_required {
            return Err("at least one media format");
        }
        Ok(Self {
            media,
            port,
            port_count,
            protocol: Cow::Borrowed(protocol),
            formats,
        })
    }

    /// The formats that are RTP payload types.
    pub fn payload_types(&self) -> impl Iterator<Item = u8> + '_ {
        self.formats.iter().filter_map(|f| number::<u8>(f))
    }

    /// Whether the protocol carries RTP (`RTP/AVP`, `UDP/TLS/RTP/SAVPF`, ...).
    pub fn is_rtp(&self) -> bool {
        self.protocol.contains("RTP/")
    }

    /// An owned copy.
    pub fn into_owned(self) -> MediaLine<'static> {
        MediaLine {
            media: match self.media {
                MediaType::Audio => MediaType::Audio,
                MediaType::Video => MediaType::Video,
                MediaType::Application => MediaType::Application,
                MediaType::Text => MediaType::Text,
                MediaType::Message => MediaType::Message,
                MediaType::Other(t) => MediaType::Other(own(t)),
            },
            port: self.port,
            port_count: self.port_count,
            protocol: own(self.protocol),
            formats: own_all(self.formats),
        }
    }
}

impl fmt::Display for MediaLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.media.as_str())?;
        f.write_str(" ")?;
        write_number(f, u64::from(self.port))?;
        if let Some(n) = self.port_count {
            f.write_str("/")?;
            write_number(f, u64::from(n))?;
        }
        f.write_str(" ")?;
        f.write_str(&self.protocol)?;
        for format in &self.formats {
            f.write_str(" ")?;
            f.write_str(format)?;
        }
        Ok(())
    }
}

/// A media description: an `m=` line and the lines after it.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media<'a> {
    /// The `m=` line.
    pub media_line: Line<'a, MediaLine<'a>>,
    /// `i=` media title.
    pub information: Option<Line<'a, Cow<'a, str>>>,
    /// `c=` lines (several for layered multicast).
    pub connections: Vec<Line<'a, Connection<'a>>>,
    /// `b=` lines.
    pub bandwidths: Vec<Line<'a, Bandwidth<'a>>>,
    /// `k=` (obsolete encryption key), as written.
    pub key: Option<Line<'a, Cow<'a, str>>>,
    /// `a=` lines, in order.
    pub attributes: Vec<Line<'a, Attribute<'a>>>,
    /// The order of the lines as parsed, when it is not RFC order (lenient
    /// mode).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) layout: Layout,
}

impl<'a> Media<'a> {
    /// A media description with only its `m=` line.
    pub fn new(media_line: MediaLine<'a>) -> Self {
        Self {
            media_line: Line::new(media_line),
            information: None,
            connections: Vec::new(),
            bandwidths: Vec::new(),
            key: None,
            attributes: Vec::new(),
            layout: Layout::default(),
        }
    }

    /// Appends an attribute.
    pub fn push(&mut self, attribute: Attribute<'a>) {
        self.attributes.push(Line::new(attribute));
    }

    /// The typed attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute<'a>> + '_ {
        self.attributes.iter().map(Line::value)
    }

    /// Whether a value-less attribute (a flag such as `rtcp-mux`) is present.
    pub fn has(&self, flag: &Attribute<'_>) -> bool {
        self.attributes().any(|a| a == flag)
    }

    /// `a=mid`.
    pub fn mid(&self) -> Option<&str> {
        self.attributes().find_map(|a| match a {
            Attribute::Mid(m) => Some(&**m),
            _ => None,
        })
    }

    /// The direction attribute (`sendrecv` when absent).
    pub fn direction(&self) -> Direction {
        self.direction_attribute().unwrap_or_default()
    }

    /// The direction attribute, if present.
    pub fn direction_attribute(&self) -> Option<Direction> {
        self.attributes().find_map(|a| match a {
            Attribute::Direction(d) => Some(*d),
            _ => None,
        })
    }

    /// Sets the direction attribute (replacing the existing one).
    pub fn set_direction(&mut self, direction: Direction) {
        for line in &mut self.attributes {
            if matches!(line.value(), Attribute::Direction(_)) {
                line.set(Attribute::Direction(direction));
                return;
            }
        }
        self.push(Attribute::Direction(direction));
    }

    /// `a=rtpmap` lines.
    pub fn rtpmaps(&self) -> impl Iterator<Item = &Rtpmap<'a>> + '_ {
        self.attributes().filter_map(|a| match a {
            Attribute::Rtpmap(r) => Some(r),
            _ => None,
        })
    }

    /// The `a=rtpmap` of a payload type.
    pub fn rtpmap(&self, payload_type: u8) -> Option<&Rtpmap<'a>> {
        self.rtpmaps().find(|r| r.payload_type == payload_type)
    }

    /// The `a=fmtp` of a payload type.
    pub fn fmtp(&self, payload_type: u8) -> Option<&Fmtp<'a>> {
        self.attributes().find_map(|a| match a {
            Attribute::Fmtp(f) if f.payload_type == payload_type => Some(f),
            _ => None,
        })
    }

    /// The first attribute `pick` finds in this media description, or else
    /// at the session level of `session`.
    fn here_or_session<'s, T: ?Sized>(
        &'s self,
        session: &'s Sdp<'_>,
        pick: impl Fn(&'s Attribute<'_>) -> Option<&'s T>,
    ) -> Option<&'s T> {
        self.attributes()
            .find_map(&pick)
            .or_else(|| session.attributes().find_map(pick))
    }

    /// `a=ice-ufrag` of this media description, or of the session (RFC
    /// 8839 section 5.4 allows both; the media level wins).
    pub fn ice_ufrag<'s>(&'s self, session: &'s Sdp<'_>) -> Option<&'s str> {
        self.here_or_session(session, |a| match a {
            Attribute::IceUfrag(u) => Some(&**u),
            _ => None,
        })
    }

    /// `a=ice-pwd` of this media description, or of the session (RFC 8839
    /// section 5.4).
    pub fn ice_pwd<'s>(&'s self, session: &'s Sdp<'_>) -> Option<&'s str> {
        self.here_or_session(session, |a| match a {
            Attribute::IcePwd(p) => Some(&**p),
            _ => None,
        })
    }

    /// The `a=ice-options` tags of this media description, or of the
    /// session (RFC 8839 section 5.6); empty when there are none.
    pub fn ice_options<'s>(&'s self, session: &'s Sdp<'a>) -> &'s [Cow<'a, str>] {
        let pick = |a: &'s Attribute<'a>| match a {
            Attribute::IceOptions(o) => Some(o.as_slice()),
            _ => None,
        };
        self.attributes()
            .find_map(pick)
            .or_else(|| session.attributes().find_map(pick))
            .unwrap_or_default()
    }

    /// Whether the agent at the other end is ICE-lite: `a=ice-lite` at
    /// session level (RFC 8839 section 5.3; a media-level one, which only
    /// lenient mode takes, counts too).
    pub fn ice_lite(&self, session: &Sdp<'_>) -> bool {
        self.has(&Attribute::IceLite) || session.attributes().any(|a| *a == Attribute::IceLite)
    }

    /// The `a=candidate` values of this media description (the text after
    /// `candidate:`, for the `ice` crate's candidate parser), in order.
    /// Candidates are media-level only (RFC 8839 section 5.1).
    pub fn candidates(&self) -> impl Iterator<Item = &str> + '_ {
        self.attributes().filter_map(|a| match a {
            Attribute::Candidate(c) => Some(&**c),
            _ => None,
        })
    }

    /// Whether no more candidates will come: `a=end-of-candidates` in this
    /// media description or at session level (RFC 8840 section 8.2).
    pub fn end_of_candidates(&self, session: &Sdp<'_>) -> bool {
        self.has(&Attribute::EndOfCandidates)
            || session
                .attributes()
                .any(|a| *a == Attribute::EndOfCandidates)
    }

    /// The `a=fingerprint` lines that apply to this media description: its
    /// own, or else the session's (RFC 8122 section 5). There may be several
    /// (one per hash function or certificate).
    pub fn fingerprints<'s>(
        &'s self,
        session: &'s Sdp<'a>,
    ) -> impl Iterator<Item = &'s Fingerprint<'a>> + 's {
        let pick = |a: &'s Attribute<'a>| match a {
            Attribute::Fingerprint(f) => Some(f),
            _ => None,
        };
        let here = self.attributes().any(|a| pick(a).is_some());
        let from = if here {
            &self.attributes
        } else {
            &session.attributes
        };
        from.iter().filter_map(move |line| pick(line.value()))
    }

    /// The first fingerprint that applies to this media description (see
    /// [`fingerprints`](Self::fingerprints)).
    pub fn fingerprint<'s>(&'s self, session: &'s Sdp<'a>) -> Option<&'s Fingerprint<'a>> {
        self.fingerprints(session).next()
    }

    /// `a=setup` of this media description, or of the session (RFC 4145
    /// section 4, RFC 8842).
    pub fn setup(&self, session: &Sdp<'_>) -> Option<Setup> {
        self.here_or_session(session, |a| match a {
            Attribute::Setup(s) => Some(s),
            _ => None,
        })
        .copied()
    }

    /// The header extensions that apply to this media description: its own
    /// `a=extmap` lines, then the session-level ones (RFC 8285 section 5)
    /// whose id it does not use itself.
    pub fn extmaps<'s>(
        &'s self,
        session: &'s Sdp<'a>,
    ) -> impl Iterator<Item = &'s Extmap<'a>> + 's {
        let extmap = |a: &'s Attribute<'a>| match a {
            Attribute::Extmap(e) => Some(e),
            _ => None,
        };
        let here = self.attributes().filter_map(extmap);
        let inherited = session
            .attributes()
            .filter_map(extmap)
            .filter(move |e| !self.attributes().filter_map(extmap).any(|m| m.id == e.id));
        here.chain(inherited)
    }

    /// Whether the port is 0 (rejected, or bundled and `bundle-only`).
    pub fn is_port_zero(&self) -> bool {
        self.media_line.port == 0
    }

    /// An owned copy.
    pub fn into_owned(self) -> Media<'static> {
        Media {
            media_line: self.media_line.map_owned(MediaLine::into_owned),
            information: self.information.map(|l| l.map_owned(own)),
            connections: self
                .connections
                .into_iter()
                .map(|l| l.map_owned(Connection::into_owned))
                .collect(),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(|l| l.map_owned(Bandwidth::into_owned))
                .collect(),
            key: self.key.map(|l| l.map_owned(own)),
            attributes: self
                .attributes
                .into_iter()
                .map(|l| l.map_owned(Attribute::into_owned))
                .collect(),
            layout: self.layout,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};

    #[test]
    fn media_line_fields() {
        let text = "audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0";
        let m = MediaLine::parse(text).unwrap();
        assert_eq!(m.media, MediaType::Audio);
        assert_eq!(m.port, 9);
        assert!(m.is_rtp());
        assert_eq!(m.payload_types().collect::<Vec<_>>(), [111, 63, 9, 0]);
        assert_eq!(m.to_string(), text);
        let d = MediaLine::parse("application 9 UDP/DTLS/SCTP webrtc-datachannel").unwrap();
        assert!(!d.is_rtp());
        assert_eq!(d.payload_types().count(), 0);
        let p = MediaLine::parse("audio 12345/2 RTP/SAVPF 0").unwrap();
        assert_eq!(p.port_count, Some(2));
        assert_eq!(p.to_string(), "audio 12345/2 RTP/SAVPF 0");
        assert!(MediaLine::parse("audio 9 RTP/AVP").is_err());
        assert!(MediaLine::parse("audio 70000 RTP/AVP 0").is_err());
        assert!(MediaLine::parse("audio 9 RTP/AVP 0  8").is_err());
    }

    #[test]
    fn direction_helpers() {
        let mut m = Media::new(MediaLine::parse("audio 9 RTP/AVP 0").unwrap());
        assert_eq!(m.direction(), Direction::SendRecv);
        assert_eq!(m.direction_attribute(), None);
        m.set_direction(Direction::RecvOnly);
        m.set_direction(Direction::SendOnly);
        assert_eq!(m.direction(), Direction::SendOnly);
        assert_eq!(m.attributes.len(), 1);
    }

    #[test]
    fn transport_helpers_fall_back_to_the_session() {
        let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
                    a=ice-ufrag:sess\r\na=ice-pwd:sessionpassword0123456789\r\n\
                    a=ice-options:trickle\r\na=ice-lite\r\n\
                    a=fingerprint:sha-1 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13\r\n\
                    a=setup:actpass\r\na=extmap:1 urn:a\r\na=extmap:2 urn:b\r\na=end-of-candidates\r\n\
                    m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n\
                    a=candidate:1 1 udp 2122260223 192.0.2.1 54400 typ host\r\n\
                    a=candidate:2 1 udp 1686052607 198.51.100.1 54400 typ srflx raddr 192.0.2.1 rport 54400\r\n\
                    m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n\
                    a=ice-ufrag:vid\r\na=ice-pwd:videopassword0123456789\r\na=ice-options:renomination\r\n\
                    a=fingerprint:sha-256 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13:14:15:16:17:18:19:1A:1B:1C:1D:1E:1F\r\n\
                    a=fingerprint:sha-1 FF:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:10:11:12:13\r\n\
                    a=setup:active\r\na=extmap:2/recvonly urn:c\r\n";
        let sdp = Sdp::parse(text).unwrap();
        let (audio, video) = (&sdp.media[0], &sdp.media[1]);
        assert_eq!(audio.mid(), Some("a"));
        assert_eq!(audio.ice_ufrag(&sdp), Some("sess"));
        assert_eq!(video.ice_ufrag(&sdp), Some("vid"));
        assert_eq!(audio.ice_pwd(&sdp), Some("sessionpassword0123456789"));
        assert_eq!(video.ice_pwd(&sdp), Some("videopassword0123456789"));
        assert_eq!(audio.ice_options(&sdp), ["trickle"]);
        assert_eq!(video.ice_options(&sdp), ["renomination"]);
        assert!(audio.ice_lite(&sdp) && video.ice_lite(&sdp));
        assert_eq!(audio.candidates().count(), 2);
        assert!(audio.candidates().next().unwrap().starts_with("1 1 udp"));
        assert_eq!(video.candidates().count(), 0);
        assert!(audio.end_of_candidates(&sdp));
        let hashes = |m: &Media<'_>| -> Vec<String> {
            m.fingerprints(&sdp)
                .map(|f| f.hash_function.to_string())
                .collect()
        };
        assert_eq!(hashes(audio), ["sha-1"]);
        assert_eq!(hashes(video), ["sha-256", "sha-1"]);
        assert_eq!(video.fingerprint(&sdp).unwrap().bytes.len(), 32);
        assert_eq!(audio.setup(&sdp), Some(Setup::Actpass));
        assert_eq!(video.setup(&sdp), Some(Setup::Active));
        let extmaps = |m: &Media<'_>| -> Vec<(u16, String, Option<Direction>)> {
            m.extmaps(&sdp)
                .map(|e| (e.id, e.uri.to_string(), e.direction))
                .collect()
        };
        assert_eq!(
            extmaps(audio),
            [(1, "urn:a".into(), None), (2, "urn:b".into(), None)]
        );
        assert_eq!(
            extmaps(video),
            [
                (2, "urn:c".into(), Some(Direction::RecvOnly)),
                (1, "urn:a".into(), None)
            ]
        );
        // Nothing anywhere.
        let bare =
            Sdp::parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n")
                .unwrap();
        let m = &bare.media[0];
        assert_eq!(
            (m.ice_ufrag(&bare), m.ice_pwd(&bare), m.setup(&bare)),
            (None, None, None)
        );
        assert!(
            m.ice_options(&bare).is_empty() && !m.ice_lite(&bare) && !m.end_of_candidates(&bare)
        );
        assert!(m.fingerprint(&bare).is_none() && m.extmaps(&bare).next().is_none());
    }
}
