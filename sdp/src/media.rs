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
use crate::rtp::{Direction, Rtpmap};
use crate::token::{fields, is_token, number, own, own_all, split_once, write_number};

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
    use alloc::string::ToString;

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
}
