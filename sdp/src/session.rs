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
use crate::layout::{Layout, Slot};
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
/// parsers to), keep unknown attributes, want `v=` and `o=` as the first two
/// lines, keep session lines (`u= e= p= t= r= z=`) out of media
/// descriptions and `r=` right after its `t=`, allow the lines that may
/// appear once in a section only once, and reject unknown line types, NUL
/// characters and lone CRs. They differ in what they do with what browsers
/// and SIP equipment send in the wild:
///
/// | | [`Mode::Strict`] | [`Mode::Lenient`] |
/// |---|---|---|
/// | lines of a section out of RFC 8866 section 9 order (`c=` after `t=`, `c=` before `s=` as in RFC 7273's examples, `b=` after `t=`, a media `b=` before `c=`, a media `c=` or `i=` after `a=` lines) | error | accepted, and written back where they were while the section keeps its lines (see below) |
/// | blank lines | error | skipped, and written back |
/// | an `m=` line without any format (`m=video 0 UDP/TLS/RTP/SAVPF`, a rejected section of legacy Edge) | error | accepted, with no format |
/// | an `o=` line with fewer than six fields (some IP cameras) | error | accepted, see [`Origin::parse_lenient`] |
/// | a known attribute whose value does not follow its grammar (a wrong-length `a=fingerprint`, `a=ssrc:5150`) | error | kept as [`Attribute::Other`], written back as it was |
/// | spaces before a typed value (`a=msid-semantic: WMS`, as Chrome writes) | error | skipped for the typed value, kept in the text |
/// | an attribute at a level its definition forbids (`a=rtpmap` at session level, `a=ice-lite` in a media description) | error | accepted |
/// | no `t=` line | error | accepted |
/// | no `c=` line at session level nor in every media description | error | accepted |
/// | `v=` other than `0` | error | accepted |
///
/// A section parsed out of order or with blank lines remembers the order
/// of its lines, so that it is written back byte for byte. The writer
/// follows that order as long as the section holds as many lines of each
/// type as when it was parsed (values may change); a section that gained
/// or lost lines is written in RFC order, as is everything after
/// [`Sdp::regenerate`]. That order is formatting: two descriptions that
/// differ only in it are equal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
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
    /// The order of the session-level lines as parsed, when it is not RFC
    /// order (lenient mode).
    #[cfg_attr(feature = "serde", serde(skip))]
    pub(crate) layout: Layout,
}

/// Where the parser is in the RFC 8866 line order.
#[derive(Clone, Copy)]
struct Position {
    in_media: bool,
    /// The highest rank of a line of the section so far.
    rank: u8,
    /// The type of the last line that was not blank.
    last: u8,
    /// Whether the section keeps a layout (it had a line out of order or a
    /// blank line).
    laid_out: bool,
}

/// The rank of a line type in RFC 8866 section 9 order, and whether it may
/// repeat.
fn session_rank(kind: u8) -> Option<(u8, bool)> {
    Some(match kind {
        b's' => (2, false),
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
            layout: Layout::default(),
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

    /// Forgets the original text of every line, the order of lines parsed
    /// out of RFC order and the blank lines between lines, so that the
    /// whole description is written from its typed values in RFC order
    /// (canonical form). [`trailing_blank_lines`](Self::trailing_blank_lines)
    /// is a field of the description and stays.
    pub fn regenerate(&mut self) {
        self.layout.clear();
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
            media.layout.clear();
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
            layout: self.layout,
        }
    }
}

struct Parser {
    mode: Mode,
}

/// A line of the input: its number (from 1) and its text.
type Place<'a> = (usize, &'a str);

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
    /// The session's line order, when it is not the writer's.
    layout: Layout,
    /// The `a=` lines of the section being parsed (the session, or the last
    /// media description), in a vector allocated for the rest of the text
    /// (see [`attribute_capacity`]) and shrunk to its length when the
    /// section ends: one allocation and one shrink in place per section
    /// instead of one allocation per doubling.
    section_attributes: Vec<Line<'a, Attribute<'a>>>,
    /// How many bytes of the text follow the line being parsed.
    rest_len: usize,
    /// The `m=` line of the media description being parsed.
    media_line: Place<'a>,
    /// The first `m=` line.
    first_media: Option<Place<'a>>,
    /// The `m=` line of the first media description without `c=`.
    media_without_connection: Option<Place<'a>>,
    /// The first line that belongs after the `t=` lines, while there is
    /// none: where a missing `t=` is reported.
    after_times: Option<Place<'a>>,
}

impl<'a> Partial<'a> {
    /// Moves the attributes collected so far to the section they belong to,
    /// and starts the list of the next section.
    fn close_section(&mut self, in_media: bool) {
        if let (true, Some(media)) = (in_media, self.media.last()) {
            if media.connections.is_empty() && self.media_without_connection.is_none() {
                self.media_without_connection = Some(self.media_line);
            }
        }
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

    /// Notes the next line of a section in its layout. The layout starts
    /// (with the lines parsed so far, which were in order) at the first
    /// line that is not where the writer would put it.
    #[cold]
    fn record(&mut self, in_media: bool, slot: Slot, out_of_place: bool) {
        let attributes = self.section_attributes.len();
        if in_media {
            if let Some(media) = self.media.last_mut() {
                if media.layout.is_empty() {
                    if !out_of_place {
                        return;
                    }
                    let so_far = media_slots(media, attributes);
                    media.layout.start(so_far);
                }
                media.layout.push(slot);
            }
        } else {
            if self.layout.is_empty() {
                if !out_of_place {
                    return;
                }
                let so_far = self.session_slots(attributes);
                self.layout.start(so_far);
            }
            self.layout.push(slot);
        }
    }

    /// The session lines parsed so far, in order (they were in the
    /// writer's order).
    fn session_slots(&self, attributes: usize) -> Vec<Slot> {
        let mut slots = Vec::new();
        let one = |present: bool, slot: Slot| core::iter::repeat_n(slot, usize::from(present));
        slots.extend(one(self.version.is_some(), Slot::Version));
        slots.extend(one(self.origin.is_some(), Slot::Origin));
        slots.extend(one(self.session_name.is_some(), Slot::SessionName));
        slots.extend(one(self.information.is_some(), Slot::Information));
        slots.extend(one(self.uri.is_some(), Slot::Uri));
        slots.extend(core::iter::repeat_n(Slot::Email, self.emails.len()));
        slots.extend(core::iter::repeat_n(Slot::Phone, self.phones.len()));
        slots.extend(one(self.connection.is_some(), Slot::Connection));
        slots.extend(core::iter::repeat_n(Slot::Bandwidth, self.bandwidths.len()));
        for time in &self.times {
            slots.push(Slot::Time);
            slots.extend(core::iter::repeat_n(Slot::Repeat, time.repeats.len()));
        }
        slots.extend(one(self.time_zones.is_some(), Slot::TimeZones));
        slots.extend(one(self.key.is_some(), Slot::Key));
        slots.extend(core::iter::repeat_n(Slot::Attribute, attributes));
        slots
    }

    /// Whether a line that may appear once in a section is already there.
    fn has(&self, in_media: bool, kind: u8) -> bool {
        match (in_media, self.media.last()) {
            (true, Some(media)) => match kind {
                b'i' => media.information.is_some(),
                b'k' => media.key.is_some(),
                _ => false,
            },
            _ => match kind {
                b's' => self.session_name.is_some(),
                b'i' => self.information.is_some(),
                b'u' => self.uri.is_some(),
                b'c' => self.connection.is_some(),
                b'z' => self.time_zones.is_some(),
                b'k' => self.key.is_some(),
                _ => false,
            },
        }
    }
}

/// The lines of a media description parsed so far, after its `m=` line.
fn media_slots(media: &Media<'_>, attributes: usize) -> Vec<Slot> {
    let mut slots = Vec::new();
    if media.information.is_some() {
        slots.push(Slot::Information);
    }
    slots.extend(core::iter::repeat_n(
        Slot::Connection,
        media.connections.len(),
    ));
    slots.extend(core::iter::repeat_n(
        Slot::Bandwidth,
        media.bandwidths.len(),
    ));
    if media.key.is_some() {
        slots.push(Slot::Key);
    }
    slots.extend(core::iter::repeat_n(Slot::Attribute, attributes));
    slots
}

/// What a second line of a type that may appear once in a section gets.
fn only_once(in_media: bool, kind: u8) -> &'static str {
    match (in_media, kind) {
        (_, b's') => "one `s=` line",
        (false, b'i') => "at most one `i=` line at session level",
        (true, b'i') => "at most one `i=` line per media description",
        (_, b'u') => "at most one `u=` line",
        (_, b'c') => "at most one `c=` line at session level",
        (_, b'z') => "at most one `z=` line",
        (false, _) => "at most one `k=` line at session level",
        (true, _) => "at most one `k=` line per media description",
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
            laid_out: false,
        };
        // `number` counts every line, `index` the lines that are not blank.
        let mut number = 0usize;
        let mut index = 0usize;
        let mut blank_lines = 0usize;
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
            if let Some(byte) = bad_byte {
                let expected = if byte == b'\r' {
                    "lines ending in CRLF or LF (no lone CR)"
                } else {
                    "text without NUL characters"
                };
                return Err(ParseError::new(number, line, ErrorKind::Syntax, expected));
            }
            // Blank lines followed by more lines belong to the section
            // before them.
            for _ in 0..blank_lines {
                partial.record(position.in_media, Slot::Blank, true);
                position.laid_out = true;
            }
            blank_lines = 0;
            index += 1;
            partial.rest_len = text.len().saturating_sub(lines.start);
            self.line(&mut partial, &mut position, (number, line), index)
                .map_err(|(kind, expected)| ParseError::new(number, line, kind, expected))?;
        }
        partial.rest_len = 0;
        partial.close_section(position.in_media);
        self.finish(partial, number, blank_lines)
    }

    fn line<'a>(
        &self,
        sdp: &mut Partial<'a>,
        position: &mut Position,
        (number, line): Place<'a>,
        index: usize,
    ) -> Result<(), (ErrorKind, &'static str)> {
        let syntax = |expected| (ErrorKind::Syntax, expected);
        let order = |in_media: bool| {
            (
                ErrorKind::Order,
                if in_media { ORDER_MEDIA } else { ORDER_SESSION },
            )
        };
        let Some(([kind, b'='], _)) = line.as_bytes().split_first_chunk::<2>() else {
            return Err(syntax("`<type>=<value>` with a one-letter type"));
        };
        let kind = *kind;
        let value = line.get(2..).unwrap_or_default();
        // `a=` lines after the first three (most lines) are neither one of
        // the leading lines nor one of the lines handled here.
        if index <= 3 || kind != b'a' {
            // v= and o= are the first two lines; s= the third in strict
            // mode, anywhere in the session section in lenient mode.
            match (index, kind) {
                (1, b'v') => {
                    let version = number_value(value).ok_or(syntax("`v=0`"))?;
                    if self.strict() && version != 0 {
                        return Err(syntax("`v=0` (strict mode)"));
                    }
                    if position.laid_out {
                        sdp.record(false, Slot::Version, false);
                    }
                    sdp.version = Some(Line::parsed(version, value));
                    return Ok(());
                }
                (1, _) => return Err((ErrorKind::Missing, "`v=0` as the first line")),
                (2, b'o') => {
                    let origin = if self.strict() {
                        Origin::parse(value)
                    } else {
                        Origin::parse_lenient(value)
                    };
                    if position.laid_out {
                        sdp.record(false, Slot::Origin, false);
                    }
                    sdp.origin = Some(Line::parsed(origin.map_err(syntax)?, value));
                    return Ok(());
                }
                (2, _) => return Err((ErrorKind::Missing, "`o=` as the second line")),
                (3, kind) if kind != b's' && self.strict() => {
                    return Err((ErrorKind::Missing, "`s=` as the third line"));
                }
                _ => {}
            }
            match kind {
                b'm' => {
                    if sdp.media.len() >= MAX_MEDIA {
                        return Err((ErrorKind::Limit, "at most 1024 media descriptions"));
                    }
                    let media_line = if self.strict() {
                        MediaLine::parse(value)
                    } else {
                        MediaLine::parse_lenient(value)
                    };
                    let mut media = Media::new(media_line.map_err(syntax)?);
                    media.media_line.mark_parsed(value);
                    sdp.close_section(position.in_media);
                    if sdp.times.is_empty() && sdp.after_times.is_none() {
                        sdp.after_times = Some((number, line));
                    }
                    sdp.first_media.get_or_insert((number, line));
                    sdp.media_line = (number, line);
                    sdp.media.push(media);
                    *position = Position {
                        in_media: true,
                        rank: 0,
                        last: b'm',
                        laid_out: false,
                    };
                    return Ok(());
                }
                b'v' | b'o' => return Err(order(position.in_media)),
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
                if position.in_media
                    && matches!(kind, b's' | b'u' | b'e' | b'p' | b't' | b'r' | b'z')
                {
                    order(true)
                } else {
                    syntax("a known line type (v o s i u e p c b t r z k a m)")
                },
            );
        };
        let in_order = rank > position.rank || (rank == position.rank && repeats);
        let repeat_ok = kind != b'r' || matches!(position.last, b't' | b'r');
        if (!in_order && self.strict()) || !repeat_ok {
            return Err(order(position.in_media));
        }
        if !repeats && sdp.has(position.in_media, kind) {
            return Err((ErrorKind::Order, only_once(position.in_media, kind)));
        }
        if !position.in_media && rank > 9 && sdp.times.is_empty() && sdp.after_times.is_none() {
            sdp.after_times = Some((number, line));
        }
        if position.laid_out || !in_order {
            sdp.record(position.in_media, Slot::of(kind), !in_order);
            position.laid_out = true;
        }
        position.rank = position.rank.max(rank);
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
            b's' => {
                sdp.session_name = Some(Line::parsed(text_value(value).map_err(syntax)?, value))
            }
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

    /// Checks that the required lines are there. A missing line is reported
    /// at the line it should come before (the first `m=` line for `s=`, the
    /// first line after the `t=` lines for `t=`, the `m=` line of the media
    /// description for `c=`), or after the last line, with an empty text,
    /// when the description ends before it.
    fn finish<'a>(
        &self,
        sdp: Partial<'a>,
        lines: usize,
        blank_lines: usize,
    ) -> Result<Sdp<'a>, ParseError> {
        let missing = |place: Option<Place<'_>>, expected| {
            let (number, line) = place.unwrap_or((lines + 1, ""));
            ParseError::new(number, line, ErrorKind::Missing, expected)
        };
        let version = sdp
            .version
            .ok_or_else(|| missing(None, "`v=0` as the first line"))?;
        let origin = sdp
            .origin
            .ok_or_else(|| missing(None, "`o=` as the second line"))?;
        let session_name = sdp.session_name.ok_or_else(|| {
            if self.strict() {
                missing(None, "`s=` as the third line")
            } else {
                missing(sdp.first_media, "an `s=` line before the first `m=` line")
            }
        })?;
        if self.strict() {
            if sdp.times.is_empty() {
                return Err(match sdp.after_times {
                    Some(place) => missing(Some(place), "a `t=` line before this one"),
                    None => missing(None, "at least one `t=` line"),
                });
            }
            if sdp.connection.is_none() {
                if let Some(place) = sdp.media_without_connection {
                    return Err(missing(
                        Some(place),
                        "`c=` at session level or in this media description",
                    ));
                }
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
            layout: sdp.layout,
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

/// What the writer does with each line: `(line type with "=", value)`;
/// a blank line is `("", "")`.
type Emit<'e> = dyn FnMut(&str, &dyn fmt::Display) -> fmt::Result + 'e;

impl Sdp<'_> {
    /// Writes the session-level lines in RFC order.
    fn write_session<E: FnMut(&str, &dyn fmt::Display) -> fmt::Result>(
        &self,
        emit: &mut E,
    ) -> fmt::Result {
        emit("v=", &self.version)?;
        emit("o=", &self.origin)?;
        emit("s=", &self.session_name)?;
        if let Some(i) = &self.information {
            emit("i=", i)?;
        }
        if let Some(u) = &self.uri {
            emit("u=", u)?;
        }
        for e in &self.emails {
            emit("e=", e)?;
        }
        for p in &self.phones {
            emit("p=", p)?;
        }
        if let Some(c) = &self.connection {
            emit("c=", c)?;
        }
        for b in &self.bandwidths {
            emit("b=", b)?;
        }
        for t in &self.times {
            emit("t=", &t.timing)?;
            for r in &t.repeats {
                emit("r=", r)?;
            }
        }
        if let Some(z) = &self.time_zones {
            emit("z=", z)?;
        }
        if let Some(k) = &self.key {
            emit("k=", k)?;
        }
        for a in &self.attributes {
            emit("a=", a)?;
        }
        Ok(())
    }

    /// Writes the session-level lines in the order of the layout. Returns
    /// `Ok(false)`, having emitted only part of the lines, when the layout
    /// does not describe the lines the description holds.
    fn write_session_in_layout(&self, emit: &mut Emit<'_>) -> Result<bool, fmt::Error> {
        let (mut fixed, mut emails, mut phones, mut bandwidths) = ([0u8; 9], 0, 0, 0);
        let (mut times, mut repeats, mut attributes) = (0, 0, 0);
        for slot in self.layout.slots() {
            let line: Option<(&str, &dyn fmt::Display)> =
                match slot {
                    Slot::Version => once(&mut fixed[0], Some(&self.version as &dyn fmt::Display))
                        .map(|l| ("v=", l)),
                    Slot::Origin => once(&mut fixed[1], Some(&self.origin as &dyn fmt::Display))
                        .map(|l| ("o=", l)),
                    Slot::SessionName => {
                        once(&mut fixed[2], Some(&self.session_name as &dyn fmt::Display))
                            .map(|l| ("s=", l))
                    }
                    Slot::Information => {
                        once(&mut fixed[3], display(&self.information)).map(|l| ("i=", l))
                    }
                    Slot::Uri => once(&mut fixed[4], display(&self.uri)).map(|l| ("u=", l)),
                    Slot::Connection => {
                        once(&mut fixed[5], display(&self.connection)).map(|l| ("c=", l))
                    }
                    Slot::TimeZones => {
                        once(&mut fixed[6], display(&self.time_zones)).map(|l| ("z=", l))
                    }
                    Slot::Key => once(&mut fixed[7], display(&self.key)).map(|l| ("k=", l)),
                    Slot::Email => next(&self.emails, &mut emails).map(|l| ("e=", l)),
                    Slot::Phone => next(&self.phones, &mut phones).map(|l| ("p=", l)),
                    Slot::Bandwidth => next(&self.bandwidths, &mut bandwidths).map(|l| ("b=", l)),
                    Slot::Attribute => next(&self.attributes, &mut attributes).map(|l| ("a=", l)),
                    Slot::Time => {
                        // Every repeat of the time before was written.
                        let done = times == 0
                            || self
                                .times
                                .get(times - 1)
                                .is_some_and(|t| t.repeats.len() == repeats);
                        let time = self.times.get(times).filter(|_| done);
                        times += 1;
                        repeats = 0;
                        time.map(|t| ("t=", &t.timing as &dyn fmt::Display))
                    }
                    Slot::Repeat => {
                        let time = times.checked_sub(1).and_then(|i| self.times.get(i));
                        let repeat = time.and_then(|t| next(&t.repeats, &mut repeats));
                        repeat.map(|l| ("r=", l))
                    }
                    Slot::Blank => Some(("", &"" as &dyn fmt::Display)),
                };
            let Some((kind, line)) = line else {
                return Ok(false);
            };
            emit(kind, line)?;
        }
        let last_repeats = times
            .checked_sub(1)
            .and_then(|i| self.times.get(i))
            .map_or(0, |t| t.repeats.len());
        let present = [
            true,
            true,
            true,
            self.information.is_some(),
            self.uri.is_some(),
            self.connection.is_some(),
            self.time_zones.is_some(),
            self.key.is_some(),
        ];
        Ok(present
            .iter()
            .zip(&fixed)
            .all(|(present, count)| u8::from(*present) == *count)
            && emails == self.emails.len()
            && phones == self.phones.len()
            && bandwidths == self.bandwidths.len()
            && times == self.times.len()
            && repeats == last_repeats
            && attributes == self.attributes.len())
    }

    fn emit_all<E: FnMut(&str, &dyn fmt::Display) -> fmt::Result>(
        &self,
        emit: &mut E,
    ) -> fmt::Result {
        let in_layout =
            !self.layout.is_empty() && self.write_session_in_layout(&mut |_, _| Ok(()))?;
        if in_layout {
            self.write_session_in_layout(emit)?;
        } else {
            self.write_session(emit)?;
        }
        for m in &self.media {
            emit("m=", &m.media_line)?;
            let in_layout = !m.layout.is_empty() && m.write_in_layout(&mut |_, _| Ok(()))?;
            if in_layout {
                m.write_in_layout(emit)?;
            } else {
                m.write(emit)?;
            }
        }
        for _ in 0..self.trailing_blank_lines {
            emit("", &"")?;
        }
        Ok(())
    }
}

/// A line that may appear once: `None` the second time.
fn once<'l>(count: &mut u8, line: Option<&'l dyn fmt::Display>) -> Option<&'l dyn fmt::Display> {
    *count = count.saturating_add(1);
    line.filter(|_| *count == 1)
}

/// An optional line as something to write.
fn display<T: fmt::Display>(line: &Option<T>) -> Option<&dyn fmt::Display> {
    line.as_ref().map(|l| l as &dyn fmt::Display)
}

/// The next line of a list, advancing `at`.
fn next<'l, T: fmt::Display>(lines: &'l [T], at: &mut usize) -> Option<&'l dyn fmt::Display> {
    let line = lines.get(*at)?;
    *at += 1;
    Some(line)
}

impl Media<'_> {
    /// Writes the lines after `m=` in RFC order.
    fn write<E: FnMut(&str, &dyn fmt::Display) -> fmt::Result>(&self, emit: &mut E) -> fmt::Result {
        if let Some(i) = &self.information {
            emit("i=", i)?;
        }
        for c in &self.connections {
            emit("c=", c)?;
        }
        for b in &self.bandwidths {
            emit("b=", b)?;
        }
        if let Some(k) = &self.key {
            emit("k=", k)?;
        }
        for a in &self.attributes {
            emit("a=", a)?;
        }
        Ok(())
    }

    /// Writes the lines after `m=` in the order of the layout; `Ok(false)`
    /// when the layout does not describe them.
    fn write_in_layout(&self, emit: &mut Emit<'_>) -> Result<bool, fmt::Error> {
        let (mut information, mut key) = (0u8, 0u8);
        let (mut connections, mut bandwidths, mut attributes) = (0, 0, 0);
        for slot in self.layout.slots() {
            let line: Option<(&str, &dyn fmt::Display)> = match slot {
                Slot::Information => {
                    information = information.saturating_add(1);
                    display(&self.information)
                        .filter(|_| information == 1)
                        .map(|l| ("i=", l))
                }
                Slot::Key => {
                    key = key.saturating_add(1);
                    display(&self.key).filter(|_| key == 1).map(|l| ("k=", l))
                }
                Slot::Connection => next(&self.connections, &mut connections).map(|l| ("c=", l)),
                Slot::Bandwidth => next(&self.bandwidths, &mut bandwidths).map(|l| ("b=", l)),
                Slot::Attribute => next(&self.attributes, &mut attributes).map(|l| ("a=", l)),
                Slot::Blank => Some(("", &"" as &dyn fmt::Display)),
                _ => None,
            };
            let Some((kind, line)) = line else {
                return Ok(false);
            };
            emit(kind, line)?;
        }
        Ok(u8::from(self.information.is_some()) == information
            && u8::from(self.key.is_some()) == key
            && connections == self.connections.len()
            && bandwidths == self.bandwidths.len()
            && attributes == self.attributes.len())
    }
}

/// Writes every line, each ended by CRLF: in RFC 8866 order, or, for a
/// section parsed out of that order or with blank lines (lenient mode) and
/// still holding the same lines, in the order it was parsed.
impl fmt::Display for Sdp<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.emit_all(&mut |kind, line| {
            f.write_str(kind)?;
            fmt::Display::fmt(line, f)?;
            f.write_str("\r\n")
        })
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
    use crate::Direction;
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

    /// `OFFER` with the spacing strict mode takes.
    fn strict_offer() -> String {
        OFFER.replace(": WMS", ":WMS")
    }

    #[test]
    fn order_rules() {
        let swapped = strict_offer().replace(
            "t=0 0\r\na=group:BUNDLE 0\r\n",
            "a=group:BUNDLE 0\r\nt=0 0\r\n",
        );
        let error = Sdp::parse_strict(&swapped).unwrap_err();
        assert_eq!((error.line_number, error.kind), (5, ErrorKind::Order));
        assert_eq!(error.line.as_str(), "t=0 0");
        let no_origin = OFFER.replace("o=- 4294967296 2 IN IP4 127.0.0.1\r\n", "");
        assert_eq!(Sdp::parse(&no_origin).unwrap_err().line_number, 2);
        let repeat_first = OFFER.replace("t=0 0\r\n", "r=7d 1h 0\r\nt=0 0\r\n");
        assert_eq!(
            Sdp::parse(&repeat_first).unwrap_err().kind,
            ErrorKind::Order
        );
        let unknown = OFFER.replace("t=0 0\r\n", "t=0 0\r\nx=1\r\n");
        assert_eq!(Sdp::parse(&unknown).unwrap_err().line_number, 5);
        assert_eq!(Sdp::parse("").unwrap_err().line_number, 1);
        // Lines that may appear once per section do, in either mode.
        for (twice, line) in [
            (OFFER.replace("s=-\r\n", "s=-\r\ns=x\r\n"), 4),
            (
                OFFER.replace("t=0 0\r\n", "t=0 0\r\nk=clear:x\r\nk=clear:y\r\n"),
                6,
            ),
            (
                OFFER.replace(
                    "t=0 0\r\n",
                    "c=IN IP4 0.0.0.0\r\nt=0 0\r\nc=IN IP4 0.0.0.0\r\n",
                ),
                6,
            ),
            (
                OFFER.replace("a=mid:0\r\n", "i=a\r\na=mid:0\r\ni=b\r\n"),
                11,
            ),
        ] {
            let error = Sdp::parse(&twice).unwrap_err();
            assert_eq!((error.line_number, error.kind), (line, ErrorKind::Order));
        }
    }

    /// Lines out of RFC 8866 order that real equipment (and RFC 7273's
    /// examples) write: lenient mode takes them and writes them back where
    /// they were; strict mode refuses them at the first such line.
    #[test]
    fn lenient_mode_takes_lines_out_of_order_and_writes_them_back() {
        let cases = [
            // `c=` after `t=`.
            (
                "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\n\
                 m=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n",
                (5, ErrorKind::Order),
            ),
            // `c=` before `s=`, as in RFC 7273's examples.
            (
                "v=0\r\no=jdoe 2890844526 2890842807 IN IP4 192.0.2.1\r\nc=IN IP4 233.252.0.1/64\r\n\
                 s=SDP Seminar\r\nt=0 0\r\na=ts-refclk:ntp=/traceable/\r\n\
                 m=audio 49170 RTP/AVP 0\r\n",
                (3, ErrorKind::Missing),
            ),
            // `b=` after `t=`.
            (
                "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nb=AS:64\r\n\
                 m=audio 5004 RTP/AVP 0\r\n",
                (6, ErrorKind::Order),
            ),
            // A media `b=` before its `c=`.
            (
                "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=video 5006 RTP/AVP 96\r\n\
                 b=AS:512\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:96 H264/90000\r\n",
                (7, ErrorKind::Order),
            ),
            // A media `c=` and `i=` after its `a=` lines.
            (
                "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nm=audio 5004 RTP/AVP 0\r\n\
                 a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\nc=IN IP4 192.0.2.1\r\ni=voice\r\n\
                 m=video 5006 RTP/AVP 96\r\na=rtpmap:96 H264/90000\r\nc=IN IP4 192.0.2.1\r\n",
                (8, ErrorKind::Order),
            ),
        ];
        for (text, strict_error) in cases {
            let sdp = Sdp::parse(text).unwrap_or_else(|e| panic!("{e}\n{text}"));
            assert_eq!(sdp.to_string(), text);
            assert_eq!(sdp.encoded_len(), text.len());
            let written = sdp.to_string();
            assert_eq!(Sdp::parse(&written).unwrap(), sdp);
            assert_eq!(sdp.clone().into_owned().to_string(), text);
            let error = Sdp::parse_strict(text).unwrap_err();
            assert_eq!((error.line_number, error.kind), strict_error, "{text}");
            // Canonical form is RFC order, which strict mode takes.
            let mut canonical = sdp.clone();
            canonical.regenerate();
            let written = canonical.to_string();
            assert_eq!(Sdp::parse_strict(&written).unwrap(), sdp, "{written}");
        }
        // The values are where they belong.
        let sdp = Sdp::parse(cases[1].0).unwrap();
        assert_eq!(sdp.session_name.as_ref(), "SDP Seminar");
        assert!(sdp.connection.is_some());
        let sdp = Sdp::parse(cases[4].0).unwrap();
        assert_eq!(sdp.media[0].connections.len(), 1);
        assert_eq!(
            sdp.media[0].information.as_deref().map(|i| &**i),
            Some("voice")
        );
        assert_eq!(sdp.media[0].attributes.len(), 2);
    }

    #[test]
    fn a_changed_section_is_written_in_rfc_order() {
        let text = "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\nc=IN IP4 192.0.2.1\r\n\
                    m=audio 5004 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\nc=IN IP4 192.0.2.1\r\n";
        let mut sdp = Sdp::parse(text).unwrap();
        // A changed value keeps the layout: the line count is the same.
        sdp.media[0].set_direction(Direction::RecvOnly);
        sdp.connection = None;
        let written = sdp.to_string();
        assert_eq!(
            written,
            "v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nt=0 0\r\n\
             m=audio 5004 RTP/AVP 0\r\nc=IN IP4 192.0.2.1\r\na=rtpmap:0 PCMU/8000\r\na=recvonly\r\n"
        );
        assert_eq!(Sdp::parse_strict(&written).unwrap(), sdp);
    }

    #[test]
    fn blank_lines_and_bare_cr() {
        let trailing = alloc::format!("{OFFER}\r\n");
        let sdp = Sdp::parse(&trailing).unwrap();
        assert_eq!(sdp.trailing_blank_lines, 1);
        assert_eq!(sdp.to_string(), trailing);
        assert!(Sdp::parse_strict(&trailing).is_err());
        let cr = OFFER.replace("s=-", "s=a\rb");
        assert_eq!(Sdp::parse(&cr).unwrap_err().line_number, 3);
    }

    /// Blank lines inside a description (Mozilla's, pion's and aiortc's
    /// test descriptions have them, and those parsers skip them): lenient
    /// mode skips them and writes them back; strict mode refuses them.
    #[test]
    fn blank_lines_inside_are_skipped_and_written_back() {
        let strict = strict_offer();
        for (blank, line) in [
            ("v=0\r\n", 2),
            ("s=-\r\n", 4),
            ("a=msid-semantic:WMS\r\n", 7),
            ("a=mid:0\r\n", 10),
        ] {
            let with_blank = strict.replacen(blank, &alloc::format!("{blank}\r\n"), 1);
            let sdp = Sdp::parse(&with_blank).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sdp, Sdp::parse(&strict).unwrap());
            assert_eq!(sdp.to_string(), with_blank);
            let error = Sdp::parse_strict(&with_blank).unwrap_err();
            assert_eq!((error.line_number, error.line.as_str()), (line, ""));
        }
        // Several, before the first line, with LF endings, and at the end.
        let text = "\n\nv=0\no=- 1 1 IN IP4 0.0.0.0\n\ns=-\nt=0 0\n\n\nm=audio 9 RTP/AVP 0\n\
                    c=IN IP4 0.0.0.0\n\na=sendrecv\n\n";
        let sdp = Sdp::parse(text).unwrap();
        assert_eq!(sdp.media.len(), 1);
        assert_eq!(sdp.trailing_blank_lines, 1);
        assert_eq!(sdp.to_string(), text.replace('\n', "\r\n"));
        let mut canonical = sdp.clone();
        canonical.regenerate();
        assert_eq!(
            canonical.to_string(),
            "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n\
             c=IN IP4 0.0.0.0\r\na=sendrecv\r\n\r\n"
        );
        assert_eq!(Sdp::parse(&canonical.to_string()).unwrap(), sdp);
    }

    /// Media-level ICE and image attributes at session level, and a
    /// malformed `a=imageattr`: strict mode refuses them (as Firefox's
    /// parser does), lenient mode keeps them.
    #[test]
    fn strict_mode_refuses_media_attributes_at_session_level() {
        const BASE: &str = "v=0\r\no=- 5184 0 IN IP4 0.0.0.0\r\ns=-\r\nc=IN IP4 0.0.0.0\r\nt=0 0\r\n\
                            m=video 9 RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=rtpmap:120 VP8/90000\r\n";
        assert!(Sdp::parse_strict(BASE).is_ok());
        for line in [
            "a=ice-mismatch",
            "a=remote-candidates:0 10.0.0.1 5555",
            "a=imageattr:120 send * recv *",
        ] {
            let text = BASE.replace("t=0 0\r\n", &alloc::format!("t=0 0\r\n{line}\r\n"));
            let error = Sdp::parse_strict(&text).unwrap_err();
            assert_eq!(
                (error.line_number, error.line.as_str(), error.kind),
                (6, line, ErrorKind::Level)
            );
            assert_eq!(Sdp::parse(&text).unwrap().to_string(), text);
            // In a media description they are fine.
            let media = alloc::format!("{BASE}{line}\r\n");
            let sdp = Sdp::parse_strict(&media).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(sdp.to_string(), media);
        }
        let flob = alloc::format!("{BASE}a=imageattr:flob\r\n");
        let error = Sdp::parse_strict(&flob).unwrap_err();
        assert_eq!((error.line_number, error.kind), (9, ErrorKind::Syntax));
        let sdp = Sdp::parse(&flob).unwrap();
        assert!(matches!(
            sdp.media[0].attributes().last(),
            Some(Attribute::Other { .. })
        ));
        assert_eq!(sdp.to_string(), flob);
    }

    /// A rejected section of a legacy Edge answer has no format.
    #[test]
    fn a_media_line_without_format_is_lenient() {
        let text = strict_offer().replace(
            "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
            "m=video 0 UDP/TLS/RTP/SAVPF\r\nc=IN IP4 0.0.0.0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n",
        );
        let sdp = Sdp::parse(&text).unwrap();
        assert!(sdp.media[0].media_line.formats.is_empty());
        assert!(sdp.media[0].is_port_zero());
        assert_eq!(sdp.to_string(), text);
        let error = Sdp::parse_strict(&text).unwrap_err();
        assert_eq!((error.line_number, error.kind), (7, ErrorKind::Syntax));
        assert_eq!(error.expected, "at least one media format");
    }

    /// `o=` lines with fewer than six fields, as some IP cameras write.
    #[test]
    fn short_origins_are_lenient() {
        for (origin, fields) in [
            ("- 1 IN IP4 192.168.1.2", ("-", 1, 0, "IN IP4 192.168.1.2")),
            (
                "StreamingServer 3331435948 1116907222000 IN IP4",
                (
                    "StreamingServer",
                    3_331_435_948,
                    1_116_907_222_000,
                    "IN IP4 0.0.0.0",
                ),
            ),
        ] {
            let text = OFFER.replace("- 4294967296 2 IN IP4 127.0.0.1", origin);
            let mut sdp = Sdp::parse(&text).unwrap();
            let o = sdp.origin.value();
            assert_eq!(
                (&*o.username, o.session_id, o.session_version),
                (fields.0, fields.1, fields.2)
            );
            assert_eq!(sdp.to_string(), text);
            let error = Sdp::parse_strict(&text.replace(": WMS", ":WMS")).unwrap_err();
            assert_eq!((error.line_number, error.kind), (2, ErrorKind::Syntax));
            // A changed origin is written whole.
            sdp.origin.get_mut().session_version += 1;
            let written = sdp.to_string();
            let expected = alloc::format!(
                "o={} {} {} {}\r\n",
                fields.0,
                fields.1,
                fields.2 + 1,
                fields.3
            );
            assert!(written.contains(&expected), "{written}");
        }
        for bad in [
            "- x IN IP4 1.2.3.4",
            "- 1 2 3 IP4",
            "- 1 IN FOO",
            "a b c d e f g",
        ] {
            let text = OFFER.replace("- 4294967296 2 IN IP4 127.0.0.1", bad);
            assert_eq!(Sdp::parse(&text).unwrap_err().line_number, 2, "{bad}");
        }
    }

    /// Errors name the line they are about, and that line's text.
    #[test]
    fn errors_point_at_the_right_line() {
        let error = Sdp::parse("v=0\r\n").unwrap_err();
        assert_eq!(
            (error.line_number, error.line.as_str(), error.kind),
            (2, "", ErrorKind::Missing)
        );
        let error = Sdp::parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n").unwrap_err();
        assert_eq!((error.line_number, error.line.as_str()), (3, ""));
        // Lenient: `s=` may come late, but before the first `m=`.
        let error = Sdp::parse("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n")
            .unwrap_err();
        assert_eq!(
            (error.line_number, error.line.as_str()),
            (4, "m=audio 9 RTP/AVP 0")
        );
        // Strict: a missing `t=` is reported where it should have been.
        let no_time = strict_offer().replace("t=0 0\r\n", "");
        let error = Sdp::parse_strict(&no_time).unwrap_err();
        assert_eq!(
            (error.line_number, error.line.as_str(), error.kind),
            (4, "a=group:BUNDLE 0", ErrorKind::Missing)
        );
        // Strict: the media description without `c=`.
        let no_connection = strict_offer().replace("c=IN IP4 0.0.0.0\r\n", "");
        let error = Sdp::parse_strict(&no_connection).unwrap_err();
        assert_eq!(
            (error.line_number, error.line.as_str()),
            (7, "m=audio 9 UDP/TLS/RTP/SAVPF 111")
        );
        // An empty value is not a space after `:`.
        let empty = strict_offer().replace("a=sendrecv", "a=setup:");
        let error = Sdp::parse_strict(&empty).unwrap_err();
        assert_eq!((error.line_number, error.line.as_str()), (12, "a=setup:"));
        assert_eq!(error.expected, "a value after `:`");
        let spaced = strict_offer().replace("a=sendrecv", "a=setup: active");
        assert_eq!(
            Sdp::parse_strict(&spaced).unwrap_err().expected,
            "no space after `:`"
        );
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
