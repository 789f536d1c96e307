//! [`Sdp`]: a whole session description, its parser and its writer.

use alloc::borrow::Cow;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::str::FromStr;

use crate::attribute::{Attribute, Level};
use crate::bandwidth::Bandwidth;
use crate::connection::{Connection, Origin};
use crate::error::{ErrorKind, ParseError};
use crate::line::Line;
use crate::media::{Media, MediaLine};
use crate::time::{Repeat, TimeDescription, TimeZones, Timing};
use crate::token::{HIGH_BITS, ONES, number, own};

/// The largest session description this crate parses, in bytes.
///
/// A browser offer with a hundred media sections is about 100 KB.
pub const MAX_SDP_LEN: usize = 512 * 1024;

/// The most media descriptions a session description may have.
pub const MAX_MEDIA: usize = 1024;

/// The most lines a session description may have.
pub const MAX_LINES: usize = 16 * 1024;

/// How strictly to parse.
///
/// Both modes accept CRLF and LF line endings (RFC 8866 section 5 asks
/// parsers to), keep unknown attributes, enforce the line order of RFC 8866
/// section 9, and reject unknown line types, NUL characters and lone CRs. They differ in what they do with what browsers and SIP
/// equipment send in the wild:
///
/// | | [`Mode::Strict`] | [`Mode::Lenient`] |
/// |---|---|---|
/// | a known attribute whose value does not follow its grammar (a wrong-length `a=fingerprint`, `a=ssrc:5150`) | error | kept as [`Attribute::Other`], written back as it was |
/// | spaces before a typed value (`a=msid-semantic: WMS`, as Chrome writes) | error | skipped for the typed value, kept in the text |
/// | an attribute at a level its definition forbids (`a=rtpmap` at session level, `a=ice-lite` in a media description) | error | accepted |
/// | no `t=` line | error | accepted |
/// | no `c=` line at session level nor in every media description | error | accepted |
/// | `v=` other than `0` | error | accepted |
/// | blank lines at the end | error | kept, and written back |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    /// RFC 8866 and the attribute RFCs to the letter.
    Strict,
    /// What browsers send in the wild (the default).
    #[default]
    Lenient,
}

/// A session description.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5>
///
/// Text fields borrow from the parsed input; [`Sdp::into_owned`] gives a
/// `Sdp<'static>`. Writing (with [`fmt::Display`]) reproduces every line
/// whose value was not changed byte for byte, and ends lines with CRLF.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp<'a> {
    /// `v=` protocol version, 0.
    pub version: Line<'a, u32>,
    /// `o=` origin.
    pub origin: Line<'a, Origin<'a>>,
    /// `s=` session name (`-` when there is none).
    pub session_name: Line<'a, Cow<'a, str>>,
    /// `i=` session information.
    pub information: Option<Line<'a, Cow<'a, str>>>,
    /// `u=` URI.
    pub uri: Option<Line<'a, Cow<'a, str>>>,
    /// `e=` email addresses.
    pub emails: Vec<Line<'a, Cow<'a, str>>>,
    /// `p=` phone numbers.
    pub phones: Vec<Line<'a, Cow<'a, str>>>,
    /// `c=` session-level connection data.
    pub connection: Option<Line<'a, Connection<'a>>>,
    /// `b=` session-level bandwidths.
    pub bandwidths: Vec<Line<'a, Bandwidth<'a>>>,
    /// `t=` lines with their `r=` lines.
    pub times: Vec<TimeDescription<'a>>,
    /// `z=` time zone adjustments.
    pub time_zones: Option<Line<'a, TimeZones>>,
    /// `k=` (obsolete encryption key), as written.
    pub key: Option<Line<'a, Cow<'a, str>>>,
    /// Session-level `a=` lines, in order.
    pub attributes: Vec<Line<'a, Attribute<'a>>>,
    /// Media descriptions, in order.
    pub media: Vec<Media<'a>>,
    /// Blank lines after the last line (lenient mode), written back.
    pub trailing_blank_lines: usize,
}

/// Where the parser is in the RFC 8866 line order.
#[derive(Clone, Copy)]
struct Position {
    in_media: bool,
    rank: u8,
    last: u8,
}

/// The rank of a line type in RFC 8866 section 9 order, and whether it may
/// repeat.
fn session_rank(kind: u8) -> Option<(u8, bool)> {
    Some(match kind {
        b'i' => (3, false),
        b'u' => (4, false),
        b'e' => (5, true),
        b'p' => (6, true),
        b'c' => (7, false),
        b'b' => (8, true),
        b't' | b'r' => (9, true),
        b'z' => (10, false),
        b'k' => (11, false),
        b'a' => (12, true),
        _ => return None,
    })
}

fn media_rank(kind: u8) -> Option<(u8, bool)> {
    Some(match kind {
        b'i' => (1, false),
        b'c' => (2, true),
        b'b' => (3, true),
        b'k' => (4, false),
        b'a' => (5, true),
        _ => return None,
    })
}

const ORDER_SESSION: &str = "session lines in the order v o s i u e p c b t r z k a, then m";
const ORDER_MEDIA: &str = "media lines in the order m i c b k a";

fn text_value(value: &str) -> Result<Cow<'_, str>, &'static str> {
    Ok(Cow::Borrowed(value))
}

impl<'a> Sdp<'a> {
    /// Parses a session description in [`Mode::Lenient`].
    pub fn parse(text: &'a str) -> Result<Self, ParseError> {
        Self::parse_with(text, Mode::Lenient)
    }

    /// Parses a session description in [`Mode::Strict`].
    pub fn parse_strict(text: &'a str) -> Result<Self, ParseError> {
        Self::parse_with(text, Mode::Strict)
    }

    /// Parses a session description in the given mode.
    pub fn parse_with(text: &'a str, mode: Mode) -> Result<Self, ParseError> {
        Parser::new(mode).run(text)
    }

    /// A minimal description: `v=0`, the origin, `s=-` and `t=0 0`.
    pub fn new(origin: Origin<'a>) -> Self {
        Self {
            version: Line::new(0),
            origin: Line::new(origin),
            session_name: Line::new(Cow::Borrowed("-")),
            information: None,
            uri: None,
            emails: Vec::new(),
            phones: Vec::new(),
            connection: None,
            bandwidths: Vec::new(),
            times: alloc::vec![TimeDescription {
                timing: Line::new(Timing { start: 0, stop: 0 }),
                repeats: Vec::new(),
            }],
            time_zones: None,
            key: None,
            attributes: Vec::new(),
            media: Vec::new(),
            trailing_blank_lines: 0,
        }
    }

    /// Appends a session-level attribute.
    pub fn push(&mut self, attribute: Attribute<'a>) {
        self.attributes.push(Line::new(attribute));
    }

    /// The typed session-level attributes, in order.
    pub fn attributes(&self) -> impl Iterator<Item = &Attribute<'a>> + '_ {
        self.attributes.iter().map(Line::value)
    }

    /// The media identifiers of the `BUNDLE` groups.
    pub fn bundle_groups(&self) -> impl Iterator<Item = &crate::transport::Group<'a>> + '_ {
        self.attributes().filter_map(|a| match a {
            Attribute::Group(g) if g.is_bundle() => Some(g),
            _ => None,
        })
    }

    /// The media description with this `a=mid`.
    pub fn media_by_mid(&self, mid: &str) -> Option<&Media<'a>> {
        self.media.iter().find(|m| m.mid() == Some(mid))
    }

    /// The number of bytes [`fmt::Display`] writes.
    pub fn encoded_len(&self) -> usize {
        struct Count(usize);
        impl fmt::Write for Count {
            fn write_str(&mut self, s: &str) -> fmt::Result {
                self.0 = self.0.saturating_add(s.len());
                Ok(())
            }
        }
        let mut count = Count(0);
        let _ = fmt::write(&mut count, format_args!("{self}"));
        count.0
    }

    /// Writes the description into `out` (CRLF line endings).
    pub fn write_to(&self, out: &mut String) {
        out.reserve(self.encoded_len_hint());
        let _ = fmt::write(out, format_args!("{self}"));
    }

    fn encoded_len_hint(&self) -> usize {
        let lines = self.attributes.len()
            + self
                .media
                .iter()
                .map(|m| m.attributes.len() + 4)
                .sum::<usize>()
            + 8;
        lines * 48
    }

    /// Forgets the original text of every line, so that the whole
    /// description is written from its typed values (canonical form).
    pub fn regenerate(&mut self) {
        self.version.regenerate();
        self.origin.regenerate();
        self.session_name.regenerate();
        let lines = self
            .information
            .iter_mut()
            .chain(self.uri.iter_mut())
            .chain(self.key.iter_mut());
        lines
            .chain(self.emails.iter_mut())
            .chain(self.phones.iter_mut())
            .for_each(Line::regenerate);
        self.connection.iter_mut().for_each(Line::regenerate);
        self.bandwidths.iter_mut().for_each(Line::regenerate);
        for time in &mut self.times {
            time.timing.regenerate();
            time.repeats.iter_mut().for_each(Line::regenerate);
        }
        self.time_zones.iter_mut().for_each(Line::regenerate);
        self.attributes.iter_mut().for_each(Line::regenerate);
        for media in &mut self.media {
            media.media_line.regenerate();
            media
                .information
                .iter_mut()
                .chain(media.key.iter_mut())
                .for_each(Line::regenerate);
            media.connections.iter_mut().for_each(Line::regenerate);
            media.bandwidths.iter_mut().for_each(Line::regenerate);
            media.attributes.iter_mut().for_each(Line::regenerate);
        }
    }

    /// An owned copy that no longer borrows the input.
    pub fn into_owned(self) -> Sdp<'static> {
        Sdp {
            version: self.version.map_owned(|v| v),
            origin: self.origin.map_owned(Origin::into_owned),
            session_name: self.session_name.map_owned(own),
            information: self.information.map(|l| l.map_owned(own)),
            uri: self.uri.map(|l| l.map_owned(own)),
            emails: self.emails.into_iter().map(|l| l.map_owned(own)).collect(),
            phones: self.phones.into_iter().map(|l| l.map_owned(own)).collect(),
            connection: self.connection.map(|l| l.map_owned(Connection::into_owned)),
            bandwidths: self
                .bandwidths
                .into_iter()
                .map(|l| l.map_owned(Bandwidth::into_owned))
                .collect(),
            times: self
                .times
                .into_iter()
                .map(TimeDescription::into_owned)
                .collect(),
            time_zones: self.time_zones.map(|l| l.map_owned(|z| z)),
            key: self.key.map(|l| l.map_owned(own)),
            attributes: self
                .attributes
                .into_iter()
                .map(|l| l.map_owned(Attribute::into_owned))
                .collect(),
            media: self.media.into_iter().map(Media::into_owned).collect(),
            trailing_blank_lines: self.trailing_blank_lines,
        }
    }
}

struct Parser {
    mode: Mode,
}

/// The fields of a description as they are collected, before the required
/// ones are known to be present.
#[derive(Default)]
struct Partial<'a> {
    version: Option<Line<'a, u32>>,
    origin: Option<Line<'a, Origin<'a>>>,
    session_name: Option<Line<'a, Cow<'a, str>>>,
    information: Option<Line<'a, Cow<'a, str>>>,
    uri: Option<Line<'a, Cow<'a, str>>>,
    emails: Vec<Line<'a, Cow<'a, str>>>,
    phones: Vec<Line<'a, Cow<'a, str>>>,
    connection: Option<Line<'a, Connection<'a>>>,
    bandwidths: Vec<Line<'a, Bandwidth<'a>>>,
    times: Vec<TimeDescription<'a>>,
    time_zones: Option<Line<'a, TimeZones>>,
    key: Option<Line<'a, Cow<'a, str>>>,
    attributes: Vec<Line<'a, Attribute<'a>>>,
    media: Vec<Media<'a>>,
    /// The `a=` lines of the section being parsed (the session, or the last
    /// media description), in a vector allocated for the rest of the text
    /// (see [`attribute_capacity`]) and shrunk to its length when the
    /// section ends: one allocation and one shrink in place per section
    /// instead of one allocation per doubling.
    section_attributes: Vec<Line<'a, Attribute<'a>>>,
    /// How many bytes of the text follow the line being parsed.
    rest_len: usize,
}

impl Partial<'_> {
    /// Moves the attributes collected so far to the section they belong to,
    /// and starts the list of the next section.
    fn close_section(&mut self, in_media: bool) {
        if self.section_attributes.is_empty() {
            return;
        }
        let next = Vec::with_capacity(attribute_capacity(self.rest_len));
        let mut attributes = core::mem::replace(&mut self.section_attributes, next);
        attributes.shrink_to_fit();
        match (in_media, self.media.last_mut()) {
            (true, Some(media)) => media.attributes = attributes,
            _ => self.attributes = attributes,
        }
    }
}

/// The capacity to start the attribute list of a section with, from the
/// length of the text left: about one line per 32 bytes (browser SDP
/// averages 36), so that the list rarely grows, and at most 512 lines
/// (56 KiB, below the size where allocators map pages for each request); a
/// longer section grows the list by doubling.
fn attribute_capacity(rest_len: usize) -> usize {
    (rest_len / 32).min(512)
}

impl Parser {
    fn new(mode: Mode) -> Self {
        Self { mode }
    }

    fn strict(&self) -> bool {
        self.mode == Mode::Strict
    }

    fn run<'a>(&self, text: &'a str) -> Result<Sdp<'a>, ParseError> {
        if text.len() > MAX_SDP_LEN {
            return Err(ParseError::new(
                0,
                "",
                ErrorKind::Limit,
                "a session description of at most 512 KiB",
            ));
        }
        let mut partial = Partial {
            section_attributes: Vec::with_capacity(attribute_capacity(text.len())),
            ..Partial::default()
        };
        let mut position = Position {
            in_media: false,
            rank: 0,
            last: 0,
        };
        let mut number = 0usize;
        let mut blank_lines = 0usize;
        let mut last_line = "";
        let mut lines = Lines::new(text);
        while let Some(RawLine { raw, bad_byte }) = lines.next() {
            number += 1;
            if number > MAX_LINES {
                return Err(ParseError::new(
                    number,
                    raw,
                    ErrorKind::Limit,
                    "at most 16384 lines",
                ));
            }
            let line = strip_cr(raw);
            if line.is_empty() {
                if self.strict() {
                    return Err(ParseError::new(
                        number,
                        line,
                        ErrorKind::Syntax,
                        "a `<type>=<value>` line, not a blank line",
                    ));
                }
                blank_lines += 1;
                continue;
            }
            if blank_lines > 0 {
                return Err(ParseError::new(
                    number,
                    line,
                    ErrorKind::Syntax,
                    "no line after a blank line",
                ));
            }
            if let Some(byte) = bad_byte {
                let expected = if byte == b'\r' {
                    "lines ending in CRLF or LF (no lone CR)"
                } else {
                    "text without NUL characters"
                };
                return Err(ParseError::new(number, line, ErrorKind::Syntax, expected));
            }
            last_line = line;
            partial.rest_len = text.len().saturating_sub(lines.start);
            self.line(&mut partial, &mut position, number, line)
                .map_err(|(kind, expected)| ParseError::new(number, line, kind, expected))?;
        }
        partial.rest_len = 0;
        partial.close_section(position.in_media);
        self.finish(partial, number, last_line, blank_lines)
    }

    fn line<'a>(
        &self,
        sdp: &mut Partial<'a>,
        position: &mut Position,
        number: usize,
        line: &'a str,
    ) -> Result<(), (ErrorKind, &'static str)> {
        let syntax = |expected| (ErrorKind::Syntax, expected);
        let Some(([kind, b'='], _)) = line.as_bytes().split_first_chunk::<2>() else {
            return Err(syntax("`<type>=<value>` with a one-letter type"));
        };
        let kind = *kind;
        let value = line.get(2..).unwrap_or_default();
        // `a=` lines after the first three (most lines) are neither one of
        // the leading lines nor one of the lines handled here.
        if number <= 3 || kind != b'a' {
            // v=, o= and s= are the first three lines.
            let leading = match number {
                1 => Some(b'v'),
                2 => Some(b'o'),
                3 => Some(b's'),
                _ => None,
            };
            if let Some(expected_kind) = leading {
                if kind != expected_kind {
                    return Err((
                        ErrorKind::Missing,
                        match expected_kind {
                            b'v' => "`v=0` as the first line",
                            b'o' => "`o=` as the second line",
                            _ => "`s=` as the third line",
                        },
                    ));
                }
            }
            match kind {
                b'v' if number == 1 => {
                    let version = number_value(value).ok_or(syntax("`v=0`"))?;
                    if self.strict() && version != 0 {
                        return Err(syntax("`v=0` (strict mode)"));
                    }
                    sdp.version = Some(Line::parsed(version, value));
                    return Ok(());
                }
                b'o' if number == 2 => {
                    sdp.origin = Some(Line::parsed(Origin::parse(value).map_err(syntax)?, value));
                    return Ok(());
                }
                b's' if number == 3 => {
                    sdp.session_name =
                        Some(Line::parsed(text_value(value).map_err(syntax)?, value));
                    position.rank = 2;
                    position.last = b's';
                    return Ok(());
                }
                b'm' => {
                    if sdp.media.len() >= MAX_MEDIA {
                        return Err((ErrorKind::Limit, "at most 1024 media descriptions"));
                    }
                    let media_line = MediaLine::parse(value).map_err(syntax)?;
                    let mut media = Media::new(media_line);
                    media.media_line.mark_parsed(value);
                    sdp.close_section(position.in_media);
                    sdp.media.push(media);
                    *position = Position {
                        in_media: true,
                        rank: 0,
                        last: b'm',
                    };
                    return Ok(());
                }
                _ => {}
            }
        }
        let ranked = if position.in_media {
            media_rank(kind)
        } else {
            session_rank(kind)
        };
        let Some((rank, repeats)) = ranked else {
            return Err(
                if matches!(kind, b'v' | b'o' | b's')
                    || (position.in_media
                        && matches!(kind, b'u' | b'e' | b'p' | b't' | b'r' | b'z'))
                {
                    (
                        ErrorKind::Order,
                        if position.in_media {
                            ORDER_MEDIA
                        } else {
                            ORDER_SESSION
                        },
                    )
                } else {
                    syntax("a known line type (v o s i u e p c b t r z k a m)")
                },
            );
        };
        let in_order = rank > position.rank || (rank == position.rank && repeats);
        let repeat_ok = kind != b'r' || matches!(position.last, b't' | b'r');
        if !in_order || !repeat_ok {
            return Err((
                ErrorKind::Order,
                if position.in_media {
                    ORDER_MEDIA
                } else {
                    ORDER_SESSION
                },
            ));
        }
        position.rank = rank;
        position.last = kind;
        if let (true, Some(media)) = (position.in_media, sdp.media.last_mut()) {
            match kind {
                b'i' => {
                    media.information =
                        Some(Line::parsed(text_value(value).map_err(syntax)?, value))
                }
                b'c' => media.connections.push(Line::parsed(
                    Connection::parse(value).map_err(syntax)?,
                    value,
                )),
                b'b' => media.bandwidths.push(Line::parsed(
                    Bandwidth::parse(value).map_err(syntax)?,
                    value,
                )),
                b'k' => media.key = Some(Line::parsed(text_value(value).map_err(syntax)?, value)),
                _ => self.attribute(&mut sdp.section_attributes, value, Level::Media)?,
            }
            return Ok(());
        }
        match kind {
            b'i' => sdp.information = Some(Line::parsed(text_value(value).map_err(syntax)?, value)),
            b'u' => sdp.uri = Some(Line::parsed(text_value(value).map_err(syntax)?, value)),
            b'e' => sdp
                .emails
                .push(Line::parsed(text_value(value).map_err(syntax)?, value)),
            b'p' => sdp
                .phones
                .push(Line::parsed(text_value(value).map_err(syntax)?, value)),
            b'c' => {
                sdp.connection = Some(Line::parsed(
                    Connection::parse(value).map_err(syntax)?,
                    value,
                ))
            }
            b'b' => sdp.bandwidths.push(Line::parsed(
                Bandwidth::parse(value).map_err(syntax)?,
                value,
            )),
            b't' => sdp.times.push(TimeDescription {
                timing: Line::parsed(Timing::parse(value).map_err(syntax)?, value),
                repeats: Vec::new(),
            }),
            b'r' => {
                let repeat = Line::parsed(Repeat::parse(value).map_err(syntax)?, value);
                if let Some(time) = sdp.times.last_mut() {
                    time.repeats.push(repeat);
                }
            }
            b'z' => {
                sdp.time_zones = Some(Line::parsed(
                    TimeZones::parse(value).map_err(syntax)?,
                    value,
                ))
            }
            b'k' => sdp.key = Some(Line::parsed(text_value(value).map_err(syntax)?, value)),
            _ => self.attribute(&mut sdp.section_attributes, value, Level::Session)?,
        }
        Ok(())
    }

    /// Parses an `a=` line's value and appends it to `attributes`.
    fn attribute<'a>(
        &self,
        attributes: &mut Vec<Line<'a, Attribute<'a>>>,
        value: &'a str,
        level: Level,
    ) -> Result<(), (ErrorKind, &'static str)> {
        let attribute = if self.strict() {
            let attribute = Attribute::parse(value).map_err(|e| (ErrorKind::Syntax, e))?;
            let allowed = match (attribute.level(), level) {
                (Level::Session, Level::Media) => Err("this attribute at session level only"),
                (Level::Media, Level::Session) => Err("this attribute in a media description only"),
                _ => Ok(()),
            };
            allowed.map_err(|e| (ErrorKind::Level, e))?;
            attribute
        } else {
            if value.is_empty() {
                return Err((ErrorKind::Syntax, "`a=<name>[:<value>]`"));
            }
            Attribute::parse_lenient(value)
        };
        attributes.push(Line::parsed(attribute, value));
        Ok(())
    }

    fn finish<'a>(
        &self,
        sdp: Partial<'a>,
        lines: usize,
        last_line: &'a str,
        blank_lines: usize,
    ) -> Result<Sdp<'a>, ParseError> {
        let missing =
            |expected| ParseError::new(lines + 1, last_line, ErrorKind::Missing, expected);
        let version = sdp
            .version
            .ok_or_else(|| missing("`v=0` as the first line"))?;
        let origin = sdp
            .origin
            .ok_or_else(|| missing("`o=` as the second line"))?;
        let session_name = sdp
            .session_name
            .ok_or_else(|| missing("`s=` as the third line"))?;
        if self.strict() {
            if sdp.times.is_empty() {
                return Err(missing("at least one `t=` line"));
            }
            if sdp.connection.is_none() && sdp.media.iter().any(|m| m.connections.is_empty()) {
                return Err(missing(
                    "`c=` at session level or in every media description",
                ));
            }
        }
        Ok(Sdp {
            version,
            origin,
            session_name,
            information: sdp.information,
            uri: sdp.uri,
            emails: sdp.emails,
            phones: sdp.phones,
            connection: sdp.connection,
            bandwidths: sdp.bandwidths,
            times: sdp.times,
            time_zones: sdp.time_zones,
            key: sdp.key,
            attributes: sdp.attributes,
            media: sdp.media,
            trailing_blank_lines: blank_lines,
        })
    }
}

/// `raw` without the CR of a CRLF line ending.
fn strip_cr(raw: &str) -> &str {
    match raw.as_bytes().last() {
        Some(b'\r') => raw.get(..raw.len() - 1).unwrap_or(raw),
        _ => raw,
    }
}

/// One line as [`Lines`] found it.
struct RawLine<'a> {
    /// The line up to its LF, without it (a CR before the LF is kept).
    raw: &'a str,
    /// The first NUL or lone CR (one not followed by LF) in the line.
    bad_byte: Option<u8>,
}

/// Bytes below this are the ones the line scan must look at: LF, CR and NUL
/// (and the other C0 controls before CR, which it steps over).
const FIRST_UNREMARKABLE: u64 = 0x0E;

/// The lines of a text, found in one forward pass that also finds the NUL
/// characters and lone CRs: eight bytes at a time while none of them is
/// below `0x0E`, then byte by byte from the first that is. A per-line
/// `memchr` costs more than it saves on lines of 30 to 40 bytes.
struct Lines<'a> {
    text: &'a str,
    start: usize,
}

impl<'a> Lines<'a> {
    fn new(text: &'a str) -> Self {
        Self { text, start: 0 }
    }
}

impl<'a> Iterator for Lines<'a> {
    type Item = RawLine<'a>;

    fn next(&mut self) -> Option<RawLine<'a>> {
        let bytes = self.text.as_bytes();
        let start = self.start;
        if start >= bytes.len() {
            return None;
        }
        let mut rest = bytes.get(start..).unwrap_or_default();
        let mut bad_byte = None;
        loop {
            while let Some((word, tail)) = rest.split_first_chunk::<8>() {
                let word = u64::from_le_bytes(*word);
                // The high bit of each byte below 0x0E, exact for the
                // lowest such byte (the borrow only runs upwards).
                let low = word.wrapping_sub(ONES * FIRST_UNREMARKABLE) & !word & HIGH_BITS;
                if low != 0 {
                    rest = rest
                        .get((low.trailing_zeros() / 8) as usize..)
                        .unwrap_or_default();
                    break;
                }
                rest = tail;
            }
            let Some((&byte, tail)) = rest.split_first() else {
                break;
            };
            match byte {
                b'\n' => break,
                b'\r' if tail.first() == Some(&b'\n') => {
                    rest = tail;
                    break;
                }
                b'\r' | 0 => {
                    bad_byte.get_or_insert(byte);
                }
                _ => {}
            }
            rest = tail;
        }
        let end = bytes.len() - rest.len();
        self.start = end + 1;
        let raw = self.text.get(start..end).unwrap_or_default();
        Some(RawLine { raw, bad_byte })
    }
}

fn number_value(text: &str) -> Option<u32> {
    number(text)
}

fn write_line<T: fmt::Display>(
    f: &mut fmt::Formatter<'_>,
    kind: &str,
    line: &Line<'_, T>,
) -> fmt::Result {
    f.write_str(kind)?;
    fmt::Display::fmt(line, f)?;
    f.write_str("\r\n")
}

impl fmt::Display for Sdp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_line(f, "v=", &self.version)?;
        write_line(f, "o=", &self.origin)?;
        write_line(f, "s=", &self.session_name)?;
        if let Some(i) = &self.information {
            write_line(f, "i=", i)?;
        }
        if let Some(u) = &self.uri {
            write_line(f, "u=", u)?;
        }
        for e in &self.emails {
            write_line(f, "e=", e)?;
        }
        for p in &self.phones {
            write_line(f, "p=", p)?;
        }
        if let Some(c) = &self.connection {
            write_line(f, "c=", c)?;
        }
        for b in &self.bandwidths {
            write_line(f, "b=", b)?;
        }
        for t in &self.times {
            write_line(f, "t=", &t.timing)?;
            for r in &t.repeats {
                write_line(f, "r=", r)?;
            }
        }
        if let Some(z) = &self.time_zones {
            write_line(f, "z=", z)?;
        }
        if let Some(k) = &self.key {
            write_line(f, "k=", k)?;
        }
        for a in &self.attributes {
            write_line(f, "a=", a)?;
        }
        for m in &self.media {
            write_line(f, "m=", &m.media_line)?;
            if let Some(i) = &m.information {
                write_line(f, "i=", i)?;
            }
            for c in &m.connections {
                write_line(f, "c=", c)?;
            }
            for b in &m.bandwidths {
                write_line(f, "b=", b)?;
            }
            if let Some(k) = &m.key {
                write_line(f, "k=", k)?;
            }
            for a in &m.attributes {
                write_line(f, "a=", a)?;
            }
        }
        for _ in 0..self.trailing_blank_lines {
            f.write_str("\r\n")?;
        }
        Ok(())
    }
}

/// Parses in [`Mode::Lenient`] into an owned description.
impl FromStr for Sdp<'static> {
    type Err = ParseError;
    fn from_str(text: &str) -> Result<Self, ParseError> {
        Sdp::parse(text).map(Sdp::into_owned)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    const OFFER: &str = "v=0\r\n\
o=- 4294967296 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
a=group:BUNDLE 0\r\n\
a=msid-semantic: WMS\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n\
c=IN IP4 0.0.0.0\r\n\
a=mid:0\r\n\
a=rtpmap:111 opus/48000/2\r\n\
a=fmtp:111 minptime=10; useinbandfec=1\r\n\
a=sendrecv\r\n";

    #[test]
    fn parse_fields_and_write_back() {
        let sdp = Sdp::parse(OFFER).unwrap();
        assert_eq!(*sdp.version, 0);
        assert_eq!(sdp.origin.session_id, 4_294_967_296);
        assert_eq!(sdp.session_name.as_ref(), "-");
        assert_eq!(sdp.times.len(), 1);
        assert_eq!(sdp.bundle_groups().count(), 1);
        assert_eq!(sdp.media.len(), 1);
        let audio = &sdp.media[0];
        assert_eq!(audio.mid(), Some("0"));
        assert_eq!(audio.rtpmap(111).unwrap().encoding_name, "opus");
        assert_eq!(audio.fmtp(111).unwrap().opus().minptime, Some(10));
        assert_eq!(sdp.to_string(), OFFER);
        assert_eq!(sdp.encoded_len(), OFFER.len());
        let owned: Sdp<'static> = OFFER.parse().unwrap();
        assert_eq!(owned, sdp);
        assert_eq!(owned.to_string(), OFFER);
    }

    #[test]
    fn changed_values_are_regenerated_and_others_kept() {
        let mut sdp = Sdp::parse(OFFER).unwrap();
        sdp.origin.get_mut().session_version += 1;
        if let Attribute::Fmtp(f) = &mut *sdp.media[0].attributes[2].get_mut() {
            f.set("stereo", Cow::Borrowed("1"));
        }
        let text = sdp.to_string();
        assert!(text.contains("o=- 4294967296 3 IN IP4 127.0.0.1\r\n"));
        assert!(text.contains("a=fmtp:111 minptime=10;useinbandfec=1;stereo=1\r\n"));
        assert!(text.contains("a=msid-semantic: WMS\r\n"));
    }

    #[test]
    fn lf_input_is_written_with_crlf() {
        let lf = OFFER.replace("\r\n", "\n");
        assert_eq!(Sdp::parse(&lf).unwrap().to_string(), OFFER);
    }

    #[test]
    fn errors_name_the_line() {
        let bad = OFFER.replace("a=rtpmap:111 opus/48000/2", "a=rtpmap:x opus");
        let error = Sdp::parse_strict(&bad.replace(": WMS", ":WMS")).unwrap_err();
        assert_eq!(error.line_number, 10);
        assert_eq!(error.line.as_str(), "a=rtpmap:x opus");
        assert_eq!(error.kind, ErrorKind::Syntax);
        // Lenient keeps it as an unknown attribute and writes it back.
        assert_eq!(Sdp::parse(&bad).unwrap().to_string(), bad);
        // Strict rejects the browser's spacing, lenient accepts it.
        assert_eq!(Sdp::parse_strict(OFFER).unwrap_err().line_number, 6);
    }

    #[test]
    fn order_rules() {
        let swapped = OFFER.replace(
            "t=0 0\r\na=group:BUNDLE 0\r\n",
            "a=group:BUNDLE 0\r\nt=0 0\r\n",
        );
        let error = Sdp::parse(&swapped).unwrap_err();
        assert_eq!((error.line_number, error.kind), (5, ErrorKind::Order));
        let no_origin = OFFER.replace("o=- 4294967296 2 IN IP4 127.0.0.1\r\n", "");
        assert_eq!(Sdp::parse(&no_origin).unwrap_err().line_number, 2);
        let repeat_first = OFFER.replace("t=0 0\r\n", "r=7d 1h 0\r\nt=0 0\r\n");
        assert_eq!(
            Sdp::parse(&repeat_first).unwrap_err().kind,
            ErrorKind::Order
        );
        let media_connection_late = OFFER.replace(
            "c=IN IP4 0.0.0.0\r\na=mid:0\r\n",
            "a=mid:0\r\nc=IN IP4 0.0.0.0\r\n",
        );
        assert_eq!(
            Sdp::parse(&media_connection_late).unwrap_err().line_number,
            9
        );
        let unknown = OFFER.replace("t=0 0\r\n", "t=0 0\r\nx=1\r\n");
        assert_eq!(Sdp::parse(&unknown).unwrap_err().line_number, 5);
        assert_eq!(Sdp::parse("").unwrap_err().line_number, 1);
    }

    #[test]
    fn blank_lines_and_bare_cr() {
        let trailing = alloc::format!("{OFFER}\r\n");
        let sdp = Sdp::parse(&trailing).unwrap();
        assert_eq!(sdp.trailing_blank_lines, 1);
        assert_eq!(sdp.to_string(), trailing);
        assert!(Sdp::parse_strict(&trailing).is_err());
        let middle = OFFER.replace("s=-\r\n", "s=-\r\n\r\n");
        assert_eq!(Sdp::parse(&middle).unwrap_err().line_number, 5);
        let cr = OFFER.replace("s=-", "s=a\rb");
        assert_eq!(Sdp::parse(&cr).unwrap_err().line_number, 3);
    }

    #[test]
    fn line_scan_finds_ends_and_bad_bytes() {
        fn scan(text: &str) -> Vec<(&str, Option<u8>)> {
            Lines::new(text).map(|l| (l.raw, l.bad_byte)).collect()
        }
        assert_eq!(scan(""), []);
        assert_eq!(scan("a=1"), [("a=1", None)]);
        assert_eq!(scan("a=1\n\n"), [("a=1", None), ("", None)]);
        assert_eq!(scan("a=1\r\nb=2\n"), [("a=1\r", None), ("b=2", None)]);
        assert_eq!(scan("a=1\r"), [("a=1\r", Some(b'\r'))]);
        // Bad bytes before, inside and after an 8-byte word, the first wins.
        let long = "s=0123456789abcdef";
        for at in 2..long.len() {
            for bad in ["\r", "\0", "\r\0", "\0\r"] {
                let mut line = String::from(long);
                line.insert_str(at, bad);
                let text = alloc::format!("v=0\r\n{line}\r\nt=0 0\n");
                let first = bad.as_bytes()[0];
                assert_eq!(
                    scan(&text),
                    [
                        ("v=0\r", None),
                        (&*alloc::format!("{line}\r"), Some(first)),
                        ("t=0 0", None)
                    ],
                    "{text:?}"
                );
            }
        }
        // Tabs and other controls are stepped over; multi-byte characters
        // are not split.
        assert_eq!(
            scan("i=\té\x01\x0b\x0c€\r\ni=x"),
            [("i=\té\x01\x0b\x0c€\r", None), ("i=x", None)]
        );
    }

    #[test]
    fn caps_are_enforced() {
        let huge = "a".repeat(MAX_SDP_LEN + 1);
        assert_eq!(Sdp::parse(&huge).unwrap_err().kind, ErrorKind::Limit);
        let many = alloc::format!(
            "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n{}",
            "a=x\n".repeat(MAX_LINES)
        );
        assert_eq!(Sdp::parse(&many).unwrap_err().kind, ErrorKind::Limit);
        let media = alloc::format!(
            "v=0\no=- 1 1 IN IP4 0.0.0.0\ns=-\nt=0 0\n{}",
            "m=audio 0 RTP/AVP 0\n".repeat(MAX_MEDIA + 1)
        );
        assert_eq!(Sdp::parse(&media).unwrap_err().kind, ErrorKind::Limit);
    }

    #[test]
    fn strict_level_rules() {
        let session_rtpmap = OFFER.replace("t=0 0\r\n", "t=0 0\r\na=rtpmap:96 VP8/90000\r\n");
        assert_eq!(
            Sdp::parse_strict(&session_rtpmap.replace(": WMS", ":WMS"))
                .unwrap_err()
                .kind,
            ErrorKind::Level
        );
        assert!(Sdp::parse(&session_rtpmap).is_ok());
        let media_lite = OFFER.replace("a=sendrecv", "a=ice-lite");
        assert_eq!(
            Sdp::parse_strict(&media_lite.replace(": WMS", ":WMS"))
                .unwrap_err()
                .line_number,
            12
        );
    }
}
