//! RTP header extensions: the RFC 8285 one-byte and two-byte element forms,
//! and typed helpers for the extensions browsers send.
//!
//! <https://www.rfc-editor.org/rfc/rfc8285>

use crate::cursor::{Reader, Writer};
use crate::error::{ParseError, WriteError, invalid, write_invalid};

/// The "defined by profile" value of the one-byte form.
///
/// <https://www.rfc-editor.org/rfc/rfc8285#section-4.2>
pub const ONE_BYTE_PROFILE: u16 = 0xbede;
/// The two-byte form: `0x100` followed by 4 application bits.
///
/// <https://www.rfc-editor.org/rfc/rfc8285#section-4.3>
pub const TWO_BYTE_PROFILE: u16 = 0x1000;

/// Which RFC 8285 form an extension block uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ExtensionForm {
    /// One-byte headers (profile `0xBEDE`): ids 1..=14, 1..=16 bytes.
    OneByte,
    /// Two-byte headers (profile `0x100X`): ids 1..=255, 0..=255 bytes.
    TwoByte,
}

/// Longest header extension data: the extension header counts its length
/// in 32-bit words, in 16 bits.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-5.3.1>
pub const MAX_EXTENSION_LEN: usize = 4 * u16::MAX as usize;

/// The header extension of an RTP packet: the profile and its data (a
/// whole number of 32-bit words, at most [`MAX_EXTENSION_LEN`] bytes).
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-5.3.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HeaderExtension<'a> {
    profile: u16,
    data: &'a [u8],
}

impl<'a> HeaderExtension<'a> {
    /// An extension whose data came from a packet's 16-bit length field
    /// (so it is at most [`MAX_EXTENSION_LEN`] bytes long).
    pub(crate) const fn new_unchecked(profile: u16, data: &'a [u8]) -> Self {
        Self { profile, data }
    }

    /// An extension block with raw data, for writing. The data must fit
    /// the 16-bit length field ([`MAX_EXTENSION_LEN`]); for the RFC 8285
    /// profiles the elements are checked.
    pub fn new(profile: u16, data: &'a [u8]) -> Result<Self, ParseError> {
        if data.len() > MAX_EXTENSION_LEN {
            return Err(invalid("RTP header extension", "longer than 65535 words"));
        }
        validate_elements(profile, data)?;
        Ok(Self { profile, data })
    }

    /// Checks every RFC 8285 element (other profiles are opaque and always
    /// valid). [`elements`](Self::elements) yields the elements before
    /// the first malformed one.
    pub fn validate(&self) -> Result<(), ParseError> {
        validate_elements(self.profile, self.data)
    }

    /// The 16-bit "defined by profile" field.
    #[inline]
    pub const fn profile(&self) -> u16 {
        self.profile
    }

    /// The extension data, after the 4-byte extension header.
    #[inline]
    pub const fn data(&self) -> &'a [u8] {
        self.data
    }

    /// The RFC 8285 form, or `None` for another profile.
    #[inline]
    pub const fn form(&self) -> Option<ExtensionForm> {
        form_of(self.profile)
    }

    /// Iterates over the RFC 8285 elements (none for another profile).
    /// Padding is skipped; an element with id 15 in the one-byte form ends
    /// the list, as RFC 8285 §4.2 asks.
    #[inline]
    pub fn elements(&self) -> Elements<'a> {
        // Another profile has no elements: nothing to iterate over.
        let (data, form) = match self.form() {
            Some(form) => (self.data, form),
            None => (&[][..], ExtensionForm::OneByte),
        };
        Elements { data, pos: 0, form }
    }

    /// The data of the first element with this id.
    #[inline]
    pub fn get(&self, id: u8) -> Option<&'a [u8]> {
        self.elements().find(|e| e.id == id).map(|e| e.data)
    }
}

#[inline]
const fn form_of(profile: u16) -> Option<ExtensionForm> {
    if profile == ONE_BYTE_PROFILE {
        Some(ExtensionForm::OneByte)
    } else if profile & 0xfff0 == TWO_BYTE_PROFILE {
        Some(ExtensionForm::TwoByte)
    } else {
        None
    }
}

/// One RFC 8285 extension element: a local id (negotiated with
/// `a=extmap`) and its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Element<'a> {
    /// The local identifier.
    pub id: u8,
    /// The element data.
    pub data: &'a [u8],
}

impl<'a> Element<'a> {
    /// An element.
    pub const fn new(id: u8, data: &'a [u8]) -> Self {
        Self { id, data }
    }

    #[inline]
    const fn fits_one_byte(&self) -> bool {
        // id in 1..=14 and length in 1..=16, without branches.
        (self.id.wrapping_sub(1) < 14) & (self.data.len().wrapping_sub(1) < 16)
    }
}

/// Iterator over the elements of a [`HeaderExtension`]; allocates nothing.
#[derive(Debug, Clone)]
pub struct Elements<'a> {
    /// The extension data (at most [`MAX_EXTENSION_LEN`] bytes).
    data: &'a [u8],
    /// Where the next element or padding byte starts. A `u32` (the data is
    /// far shorter than 4 GiB), so that the end of an element, computed
    /// from it, cannot wrap: only that end needs a bounds check.
    pos: u32,
    form: ExtensionForm,
}

impl<'a> Iterator for Elements<'a> {
    type Item = Element<'a>;

    #[inline]
    fn next(&mut self) -> Option<Element<'a>> {
        // Offsets into `data` rather than a shrinking slice: one bounds
        // check per byte read, and nothing else to update. A malformed
        // element ends the iteration (every later call fails the same way).
        // Every offset stored in `pos` is at most `data.len()`, so the
        // conversions to `u32` lose nothing.
        let len = self.data.len();
        match self.form {
            ExtensionForm::OneByte => loop {
                let pos = self.pos as usize;
                let &head = self.data.get(pos)?;
                let id = head >> 4;
                match id {
                    // A padding byte. Padding at the end of the data (where
                    // writers put it) ends the list in one step: when every
                    // byte from here on is zero, nothing is left.
                    0 => {
                        let zeros = self.data.last_chunk::<4>().map_or(0, |word| {
                            u32::from_be_bytes(*word).trailing_zeros() as usize / 8
                        });
                        if pos + zeros >= len {
                            self.pos = len as u32;
                            return None;
                        }
                        self.pos += 1;
                    }
                    // Id 15 ends the list.
                    15 => {
                        self.pos = len as u32;
                        return None;
                    }
                    _ => {
                        let start = pos + 1;
                        let end = start + usize::from(head & 0x0f) + 1;
                        let data = self.data.get(start..end)?;
                        self.pos = end as u32;
                        return Some(Element { id, data });
                    }
                }
            },
            ExtensionForm::TwoByte => loop {
                let pos = self.pos as usize;
                let &id = self.data.get(pos)?;
                if id == 0 {
                    self.pos += 1;
                    continue;
                }
                let &data_len = self.data.get(pos + 1)?;
                let start = pos + 2;
                let end = start + usize::from(data_len);
                let data = self.data.get(start..end)?;
                self.pos = end as u32;
                return Some(Element { id, data });
            },
        }
    }
}

/// Checks every RFC 8285 element of an extension block (other profiles are
/// opaque and always valid).
pub(crate) fn validate_elements(profile: u16, data: &[u8]) -> Result<(), ParseError> {
    const WHAT: &str = "RTP header extension element";
    let mut r = Reader::new(data, WHAT);
    match form_of(profile) {
        None => Ok(()),
        Some(ExtensionForm::OneByte) => {
            while let Ok(head) = r.u8() {
                let id = head >> 4;
                if id == 0 {
                    continue;
                }
                if id == 15 {
                    break;
                }
                r.take(usize::from(head & 0x0f) + 1)?;
            }
            Ok(())
        }
        Some(ExtensionForm::TwoByte) => {
            while let Ok(id) = r.u8() {
                if id == 0 {
                    continue;
                }
                let len = r.u8()?;
                r.take(usize::from(len))?;
            }
            Ok(())
        }
    }
}

/// How the writer lays out a list of elements, worked out once when the
/// list is given to a [`Builder`](crate::rtp::Builder): the form, the length
/// of the elements (without the 4-byte extension header and the padding),
/// and why the list cannot be written, when it cannot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Plan {
    form: ExtensionForm,
    len: usize,
    invalid: Option<&'static str>,
}

impl Plan {
    /// Lays out `elements`: in the one-byte form when `form` allows it and
    /// every element fits it, in the two-byte form otherwise.
    pub(crate) const fn new(elements: &[Element<'_>], form: ExtensionForm) -> Self {
        let mut one_byte = matches!(form, ExtensionForm::OneByte);
        let mut data: usize = 0;
        let mut id_zero = false;
        let mut too_long = false;
        let mut rest = elements;
        while let [element, tail @ ..] = rest {
            one_byte &= element.fits_one_byte();
            id_zero |= element.id == 0;
            too_long |= element.data.len() > 255;
            data = data.saturating_add(element.data.len());
            rest = tail;
        }
        let (form, len) = if one_byte {
            (ExtensionForm::OneByte, data.saturating_add(elements.len()))
        } else {
            (
                ExtensionForm::TwoByte,
                data.saturating_add(elements.len().saturating_mul(2)),
            )
        };
        let invalid = if len > 4 * u16::MAX as usize {
            Some("longer than 65535 words")
        } else if !one_byte && id_zero {
            Some("element id 0 is reserved for padding")
        } else if !one_byte && too_long {
            Some("element longer than 255 bytes")
        } else {
            None
        };
        Self { form, len, invalid }
    }

    /// Length of the whole block: the 4-byte header, the elements and the
    /// padding to a whole number of words.
    #[inline]
    pub(crate) const fn block_len(&self) -> usize {
        4 + self.len.next_multiple_of(4)
    }
}

/// Copies `src` into `dst` (of the same length). Element data is a few
/// bytes long: fixed-size moves beat a call to `memcpy` there.
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    macro_rules! fixed {
        ($n:literal) => {
            if let (Some(d), Some(s)) = (dst.first_chunk_mut::<$n>(), src.first_chunk::<$n>()) {
                *d = *s;
                return;
            }
        };
    }
    match src.len() {
        1 => fixed!(1),
        2 => fixed!(2),
        3 => fixed!(3),
        4 => fixed!(4),
        5 => fixed!(5),
        6 => fixed!(6),
        7 => fixed!(7),
        8 => fixed!(8),
        _ => {}
    }
    dst.copy_from_slice(src);
}

/// Writes the 4-byte extension header, the elements and the padding, as
/// `plan` laid them out, into `out` (exactly [`Plan::block_len`] long).
#[inline]
pub(crate) fn write_elements(
    elements: &[Element<'_>],
    plan: Plan,
    out: &mut [u8],
) -> Result<(), WriteError> {
    const WHAT: &str = "RTP header extension";
    if let Some(reason) = plan.invalid {
        return Err(write_invalid(WHAT, reason));
    }
    let layout = || write_invalid(WHAT, "layout");
    // `plan` checked that the number of words fits in 16 bits.
    let words = (plan.len.div_ceil(4) as u16).to_be_bytes();
    let profile = match plan.form {
        ExtensionForm::OneByte => ONE_BYTE_PROFILE,
        ExtensionForm::TwoByte => TWO_BYTE_PROFILE,
    }
    .to_be_bytes();
    let (head, mut out) = out.split_first_chunk_mut::<4>().ok_or_else(layout)?;
    *head = [profile[0], profile[1], words[0], words[1]];
    // The padding (at most 3 bytes) is in the last word: zero it first, and
    // the elements overwrite the part of it they need.
    if let Some(last) = out.last_chunk_mut::<4>() {
        *last = [0; 4];
    }
    match plan.form {
        ExtensionForm::OneByte => {
            for element in elements {
                // `plan` checked that the id and the length fit.
                let (head, rest) = out.split_first_mut().ok_or_else(layout)?;
                *head = (element.id << 4) | (element.data.len() as u8).wrapping_sub(1);
                let (data, rest) = rest
                    .split_at_mut_checked(element.data.len())
                    .ok_or_else(layout)?;
                copy_short(data, element.data);
                out = rest;
            }
        }
        ExtensionForm::TwoByte => {
            for element in elements {
                // `plan` checked that the id is not 0 and the length fits.
                let (head, rest) = out.split_first_chunk_mut::<2>().ok_or_else(layout)?;
                *head = [element.id, element.data.len() as u8];
                let (data, rest) = rest
                    .split_at_mut_checked(element.data.len())
                    .ok_or_else(layout)?;
                copy_short(data, element.data);
                out = rest;
            }
        }
    }
    Ok(())
}

/// Writes an extension block as raw bytes: the 4-byte header with `ext`'s
/// profile, its data and zeros up to a whole number of words, into `out`
/// (exactly that long). A forwarder that leaves the extensions alone
/// copies the block it received this way.
#[inline]
pub(crate) fn write_raw(ext: HeaderExtension<'_>, out: &mut [u8]) -> Result<(), WriteError> {
    const WHAT: &str = "RTP header extension";
    let data = ext.data();
    let words = u16::try_from(data.len().div_ceil(4))
        .map_err(|_| write_invalid(WHAT, "longer than 65535 words"))?;
    let parts = out
        .split_first_chunk_mut::<4>()
        .and_then(|(head, rest)| Some((head, rest.split_at_mut_checked(data.len())?)));
    let Some((head, (copy, padding))) = parts else {
        return Err(write_invalid(WHAT, "layout"));
    };
    let [p0, p1] = ext.profile().to_be_bytes();
    let [w0, w1] = words.to_be_bytes();
    *head = [p0, p1, w0, w1];
    copy.copy_from_slice(data);
    padding.fill(0);
    Ok(())
}

/// Extension URIs, as they appear in `a=extmap` lines.
pub mod uri {
    /// [`AbsSendTime`](super::AbsSendTime).
    pub const ABS_SEND_TIME: &str = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
    /// [`TransportSequenceNumber`](super::TransportSequenceNumber).
    pub const TRANSPORT_WIDE_CC: &str =
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
    /// [`Mid`](super::Mid).
    pub const MID: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";
    /// [`Rid`](super::Rid).
    pub const RID: &str = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id";
    /// [`RepairedRid`](super::RepairedRid).
    pub const REPAIRED_RID: &str = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id";
    /// [`AudioLevel`](super::AudioLevel).
    pub const AUDIO_LEVEL: &str = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    /// [`VideoOrientation`](super::VideoOrientation).
    pub const VIDEO_ORIENTATION: &str = "urn:3gpp:video-orientation";
    /// [`AbsCaptureTime`](super::AbsCaptureTime).
    pub const ABS_CAPTURE_TIME: &str =
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time";
    /// [`PlayoutDelay`](super::PlayoutDelay).
    pub const PLAYOUT_DELAY: &str = "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay";
}

fn exact<const N: usize>(data: &[u8], what: &'static str) -> Result<[u8; N], ParseError> {
    match data.first_chunk::<N>() {
        Some(bytes) if data.len() == N => Ok(*bytes),
        Some(_) => Err(invalid(what, "longer than its fixed size")),
        None => Err(ParseError::Truncated {
            what,
            needed: N,
            have: data.len(),
        }),
    }
}

/// abs-send-time: the send time as a 6.18 fixed-point number of seconds
/// (24 bits, wrapping every 64 s).
///
/// <https://webrtc.googlesource.com/src/+/refs/heads/main/docs/native-code/rtp-hdrext/abs-send-time/>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbsSendTime(pub u32);

impl AbsSendTime {
    /// Decodes the 3-byte element data.
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        let [a, b, c] = exact(data, "abs-send-time")?;
        Ok(Self(u32::from_be_bytes([0, a, b, c])))
    }

    /// From an NTP time (the middle 24 bits of it).
    pub const fn from_ntp(ntp: crate::ntp::NtpTime) -> Self {
        Self(((ntp.0 >> 14) & 0x00ff_ffff) as u32)
    }

    /// The element data.
    pub const fn to_bytes(self) -> [u8; 3] {
        let [_, a, b, c] = self.0.to_be_bytes();
        [a, b, c]
    }
}

/// Transport-wide sequence number (draft-holmer-rmcat-transport-wide-cc-extensions).
///
/// <https://datatracker.ietf.org/doc/html/draft-holmer-rmcat-transport-wide-cc-extensions-01#section-2>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TransportSequenceNumber(pub u16);

impl TransportSequenceNumber {
    /// Decodes the 2-byte element data.
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        exact(data, "transport-wide sequence number").map(|b| Self(u16::from_be_bytes(b)))
    }

    /// The element data.
    pub const fn to_bytes(self) -> [u8; 2] {
        self.0.to_be_bytes()
    }
}

fn sdes_text<'a>(data: &'a [u8], what: &'static str) -> Result<&'a str, ParseError> {
    if data.is_empty() {
        return Err(invalid(what, "empty"));
    }
    let text = core::str::from_utf8(data).map_err(|_| invalid(what, "not UTF-8"))?;
    // Some senders pad the value with NUL bytes; they are not part of it.
    let text = text.trim_end_matches('\0');
    if text.is_empty() {
        return Err(invalid(what, "empty"));
    }
    Ok(text)
}

macro_rules! sdes_extension {
    ($(#[$doc:meta])* $name:ident, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct $name<'a>(pub &'a str);

        impl<'a> $name<'a> {
            /// Decodes the element data (UTF-8, not empty; trailing NUL
            /// bytes are dropped).
            pub fn parse(data: &'a [u8]) -> Result<Self, ParseError> {
                sdes_text(data, $what).map(Self)
            }

            /// The element data.
            pub const fn as_bytes(&self) -> &'a [u8] {
                self.0.as_bytes()
            }
        }
    };
}

sdes_extension!(
    /// The media identification (BUNDLE `a=mid`) of the stream.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc9143#section-15>
    Mid,
    "mid extension"
);
sdes_extension!(
    /// The RTP stream id (simulcast `a=rid`).
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8852#section-3.1>
    Rid,
    "rtp-stream-id extension"
);
sdes_extension!(
    /// The RTP stream id of the stream a redundancy stream repairs.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8852#section-3.2>
    RepairedRid,
    "repaired-rtp-stream-id extension"
);

/// Client-to-mixer audio level: voice activity and level in -dBov (0..=127).
///
/// <https://www.rfc-editor.org/rfc/rfc6464#section-3>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AudioLevel {
    /// The V bit: the packet contains voice.
    pub voice_activity: bool,
    /// The level, in -dBov (0 is loudest, 127 is silence).
    pub level: u8,
}

impl AudioLevel {
    /// Decodes the element data (one byte; the two-byte form may pad it).
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        let &b = data.first().ok_or(ParseError::Truncated {
            what: "audio level extension",
            needed: 1,
            have: 0,
        })?;
        Ok(Self {
            voice_activity: b & 0x80 != 0,
            level: b & 0x7f,
        })
    }

    /// The element data.
    pub const fn to_bytes(self) -> [u8; 1] {
        [((self.voice_activity as u8) << 7) | (self.level & 0x7f)]
    }
}

/// Coordination of video orientation: camera, flip and rotation.
///
/// <https://www.etsi.org/deliver/etsi_ts/126100_126199/126114/16.07.00_60/ts_126114v160700p.pdf> (section 7.4.5)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VideoOrientation {
    /// The C bit: back-facing camera.
    pub back_camera: bool,
    /// The F bit: horizontally flipped.
    pub flip: bool,
    /// Clockwise rotation in units of 90 degrees (0..=3).
    pub rotation: u8,
}

impl VideoOrientation {
    /// Decodes the element data (one byte).
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        let &b = data.first().ok_or(ParseError::Truncated {
            what: "video orientation extension",
            needed: 1,
            have: 0,
        })?;
        Ok(Self {
            back_camera: b & 0x08 != 0,
            flip: b & 0x04 != 0,
            rotation: b & 0x03,
        })
    }

    /// Clockwise rotation in degrees.
    pub const fn degrees(&self) -> u16 {
        (self.rotation & 3) as u16 * 90
    }

    /// The element data.
    pub const fn to_bytes(self) -> [u8; 1] {
        [((self.back_camera as u8) << 3) | ((self.flip as u8) << 2) | (self.rotation & 3)]
    }
}

/// Absolute capture time: the NTP time the frame was captured and,
/// optionally, the sender's estimate of the capturer's clock offset.
///
/// <https://webrtc.googlesource.com/src/+/refs/heads/main/docs/native-code/rtp-hdrext/abs-capture-time/>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct AbsCaptureTime {
    /// Capture time, 64-bit NTP (32.32 fixed point).
    pub timestamp: crate::ntp::NtpTime,
    /// Estimated capture clock offset, signed 32.32 fixed point seconds.
    pub estimated_capture_clock_offset: Option<i64>,
}

impl AbsCaptureTime {
    /// Decodes the element data (8 or 16 bytes).
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        let mut r = Reader::new(data, "abs-capture-time extension");
        let timestamp = crate::ntp::NtpTime(r.u64()?);
        let estimated_capture_clock_offset = match r.remaining() {
            0 => None,
            8 => Some(r.u64()? as i64),
            _ => return Err(invalid("abs-capture-time extension", "not 8 or 16 bytes")),
        };
        Ok(Self {
            timestamp,
            estimated_capture_clock_offset,
        })
    }

    /// Length of the element data.
    pub const fn encoded_len(&self) -> usize {
        if self.estimated_capture_clock_offset.is_some() {
            16
        } else {
            8
        }
    }

    /// Writes the element data into `buf` and returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::with_capacity(buf, self.encoded_len())?;
        w.u64(self.timestamp.0)?;
        if let Some(offset) = self.estimated_capture_clock_offset {
            w.u64(offset as u64)?;
        }
        Ok(w.written())
    }
}

/// Playout delay limits, in units of 10 ms (12 bits each).
///
/// <https://webrtc.googlesource.com/src/+/refs/heads/main/docs/native-code/rtp-hdrext/playout-delay/>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct PlayoutDelay {
    /// Minimum delay, 10 ms units (0..=4095).
    pub min: u16,
    /// Maximum delay, 10 ms units (0..=4095).
    pub max: u16,
}

impl PlayoutDelay {
    /// Decodes the 3-byte element data.
    pub fn parse(data: &[u8]) -> Result<Self, ParseError> {
        let [a, b, c] = exact(data, "playout-delay extension")?;
        let v = u32::from_be_bytes([0, a, b, c]);
        Ok(Self {
            min: (v >> 12) as u16,
            max: (v & 0xfff) as u16,
        })
    }

    /// The element data (values above 4095 are cut to 12 bits).
    pub const fn to_bytes(self) -> [u8; 3] {
        let v = ((self.min as u32 & 0xfff) << 12) | (self.max as u32 & 0xfff);
        let [_, a, b, c] = v.to_be_bytes();
        [a, b, c]
    }
}

/// The header extensions this crate reads and writes as typed values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionKind {
    /// [`AbsSendTime`].
    AbsSendTime,
    /// [`TransportSequenceNumber`] (transport-cc).
    TransportSequenceNumber,
    /// [`Mid`].
    Mid,
    /// [`Rid`].
    Rid,
    /// [`RepairedRid`].
    RepairedRid,
    /// [`AudioLevel`].
    AudioLevel,
    /// [`VideoOrientation`].
    VideoOrientation,
    /// [`AbsCaptureTime`].
    AbsCaptureTime,
    /// [`PlayoutDelay`].
    PlayoutDelay,
}

impl ExtensionKind {
    /// Every kind, in the order of [`ExtensionKind`].
    pub const ALL: [Self; 9] = [
        Self::AbsSendTime,
        Self::TransportSequenceNumber,
        Self::Mid,
        Self::Rid,
        Self::RepairedRid,
        Self::AudioLevel,
        Self::VideoOrientation,
        Self::AbsCaptureTime,
        Self::PlayoutDelay,
    ];

    /// The URI that names the extension in `a=extmap` (see [`uri`]).
    pub const fn uri(self) -> &'static str {
        match self {
            Self::AbsSendTime => uri::ABS_SEND_TIME,
            Self::TransportSequenceNumber => uri::TRANSPORT_WIDE_CC,
            Self::Mid => uri::MID,
            Self::Rid => uri::RID,
            Self::RepairedRid => uri::REPAIRED_RID,
            Self::AudioLevel => uri::AUDIO_LEVEL,
            Self::VideoOrientation => uri::VIDEO_ORIENTATION,
            Self::AbsCaptureTime => uri::ABS_CAPTURE_TIME,
            Self::PlayoutDelay => uri::PLAYOUT_DELAY,
        }
    }

    /// The kind a URI names, if this crate knows it. URIs are compared
    /// exactly, as RFC 8285 section 5 asks.
    pub fn from_uri(uri: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.uri() == uri)
    }

    const fn index(self) -> usize {
        self as usize
    }
}

/// A header extension with a typed value: how to decode and encode its
/// element data.
pub trait TypedExtension<'a>: Sized {
    /// Which extension this is.
    const KIND: ExtensionKind;

    /// Decodes the element data.
    fn decode(data: &'a [u8]) -> Result<Self, ParseError>;

    /// Length of the element data.
    fn encoded_len(&self) -> usize;

    /// Writes the element data into `buf` and returns its length.
    fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError>;
}

/// Writes `data` at the start of `buf`.
fn put(buf: &mut [u8], data: &[u8]) -> Result<usize, WriteError> {
    let mut w = Writer::with_capacity(buf, data.len())?;
    w.bytes(data)?;
    Ok(w.written())
}

macro_rules! typed_fixed {
    ($type:ident, $kind:ident, $len:literal) => {
        impl TypedExtension<'_> for $type {
            const KIND: ExtensionKind = ExtensionKind::$kind;
            fn decode(data: &[u8]) -> Result<Self, ParseError> {
                Self::parse(data)
            }
            fn encoded_len(&self) -> usize {
                $len
            }
            fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
                put(buf, &self.to_bytes())
            }
        }
    };
}

typed_fixed!(AbsSendTime, AbsSendTime, 3);
typed_fixed!(TransportSequenceNumber, TransportSequenceNumber, 2);
typed_fixed!(AudioLevel, AudioLevel, 1);
typed_fixed!(VideoOrientation, VideoOrientation, 1);
typed_fixed!(PlayoutDelay, PlayoutDelay, 3);

macro_rules! typed_sdes {
    ($type:ident) => {
        impl<'a> TypedExtension<'a> for $type<'a> {
            const KIND: ExtensionKind = ExtensionKind::$type;
            fn decode(data: &'a [u8]) -> Result<Self, ParseError> {
                Self::parse(data)
            }
            fn encoded_len(&self) -> usize {
                self.0.len()
            }
            fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
                put(buf, self.as_bytes())
            }
        }
    };
}

typed_sdes!(Mid);
typed_sdes!(Rid);
typed_sdes!(RepairedRid);

impl TypedExtension<'_> for AbsCaptureTime {
    const KIND: ExtensionKind = ExtensionKind::AbsCaptureTime;
    fn decode(data: &[u8]) -> Result<Self, ParseError> {
        Self::parse(data)
    }
    fn encoded_len(&self) -> usize {
        Self::encoded_len(self)
    }
    fn encode(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.write_to(buf)
    }
}

/// A decoded header extension element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExtensionValue<'a> {
    /// abs-send-time.
    AbsSendTime(AbsSendTime),
    /// Transport-wide sequence number.
    TransportSequenceNumber(TransportSequenceNumber),
    /// `mid`.
    Mid(Mid<'a>),
    /// `rtp-stream-id`.
    Rid(Rid<'a>),
    /// `repaired-rtp-stream-id`.
    RepairedRid(RepairedRid<'a>),
    /// Audio level.
    AudioLevel(AudioLevel),
    /// Video orientation.
    VideoOrientation(VideoOrientation),
    /// abs-capture-time.
    AbsCaptureTime(AbsCaptureTime),
    /// playout-delay.
    PlayoutDelay(PlayoutDelay),
    /// An element whose id the map does not know, as it is.
    Unknown(Element<'a>),
}

impl<'a> ExtensionValue<'a> {
    /// Decodes `data` as an element of `kind`.
    pub fn decode(kind: ExtensionKind, data: &'a [u8]) -> Result<Self, ParseError> {
        Ok(match kind {
            ExtensionKind::AbsSendTime => Self::AbsSendTime(AbsSendTime::parse(data)?),
            ExtensionKind::TransportSequenceNumber => {
                Self::TransportSequenceNumber(TransportSequenceNumber::parse(data)?)
            }
            ExtensionKind::Mid => Self::Mid(Mid::parse(data)?),
            ExtensionKind::Rid => Self::Rid(Rid::parse(data)?),
            ExtensionKind::RepairedRid => Self::RepairedRid(RepairedRid::parse(data)?),
            ExtensionKind::AudioLevel => Self::AudioLevel(AudioLevel::parse(data)?),
            ExtensionKind::VideoOrientation => {
                Self::VideoOrientation(VideoOrientation::parse(data)?)
            }
            ExtensionKind::AbsCaptureTime => Self::AbsCaptureTime(AbsCaptureTime::parse(data)?),
            ExtensionKind::PlayoutDelay => Self::PlayoutDelay(PlayoutDelay::parse(data)?),
        })
    }
}

/// Why an extension map could not take an `a=extmap` entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ExtensionMapError {
    /// The id is not a local identifier a packet can carry (1 to 255; the
    /// 4096-4351 range of RFC 8285 section 6 is only for offers).
    #[error("extension id {0}: not from 1 to 255")]
    InvalidId(u16),
    /// The id already stands for another extension.
    #[error("extension id {id}: already mapped to another extension")]
    Conflict {
        /// The id.
        id: u8,
    },
}

/// Which local id (negotiated with `a=extmap`, RFC 8285 section 5) stands
/// for which of the extensions this crate knows, in both directions.
///
/// Built from `(id, URI)` pairs, such as the `a=extmap` lines an SDP
/// negotiation agreed on; URIs this crate does not know are left out. It
/// is a fixed-size table (about 270 bytes, `Copy`, no allocation), so that
/// it can sit in every stream of an SFU.
///
/// ```
/// use sansrtc_rtp::rtp::extension::{uri, ExtensionKind, ExtensionMap, TransportSequenceNumber};
/// use sansrtc_rtp::rtp::{Builder, Element, Packet};
///
/// let map = ExtensionMap::from_pairs([(3, uri::TRANSPORT_WIDE_CC), (1, "urn:x-unknown")])?;
/// assert_eq!(map.id(ExtensionKind::TransportSequenceNumber), Some(3));
/// assert_eq!(map.kind(1), None);
///
/// let elements = [Element::new(3, &[0x01, 0x02])];
/// let mut buf = [0u8; 64];
/// let len = Builder::new().extensions(&elements).payload(b"x").write_to(&mut buf)?;
/// let packet = Packet::parse(&buf[..len])?;
/// let seq: TransportSequenceNumber = map.read(&packet).unwrap()?;
/// assert_eq!(seq.0, 0x0102);
///
/// // An SFU renumbers transport-cc in place, without rebuilding the packet.
/// map.rewrite(&mut buf[..len], &TransportSequenceNumber(7))?;
/// let packet = Packet::parse(&buf[..len])?;
/// assert_eq!(map.read::<TransportSequenceNumber, _>(&packet).unwrap()?.0, 7);
/// # Ok::<(), Box<dyn core::error::Error>>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ExtensionMap {
    /// The kind of each id (index 0 is never used).
    kinds: [Option<ExtensionKind>; 256],
    /// The id of each kind (0: none), the first one mapped.
    ids: [u8; ExtensionKind::ALL.len()],
}

impl Default for ExtensionMap {
    fn default() -> Self {
        Self::new()
    }
}

impl core::fmt::Debug for ExtensionMap {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_map()
            .entries(
                self.kinds
                    .iter()
                    .enumerate()
                    .filter_map(|(id, kind)| kind.map(|k| (id, k))),
            )
            .finish()
    }
}

impl ExtensionMap {
    /// A map with no extension.
    pub const fn new() -> Self {
        Self {
            kinds: [None; 256],
            ids: [0; ExtensionKind::ALL.len()],
        }
    }

    /// A map of `(id, URI)` pairs (see [`insert`](Self::insert)).
    pub fn from_pairs<'u>(
        pairs: impl IntoIterator<Item = (u16, &'u str)>,
    ) -> Result<Self, ExtensionMapError> {
        let mut map = Self::new();
        for (id, uri) in pairs {
            map.insert(id, uri)?;
        }
        Ok(map)
    }

    /// Maps `id` to the extension `uri` names; returns its kind, or `None`
    /// (and changes nothing) for a URI this crate does not know. Mapping
    /// an id again to the same extension is allowed; an id already mapped
    /// to another extension is an error. When an extension has several
    /// ids, [`id`](Self::id) gives the first.
    pub fn insert(
        &mut self,
        id: u16,
        uri: &str,
    ) -> Result<Option<ExtensionKind>, ExtensionMapError> {
        let id = u8::try_from(id)
            .ok()
            .filter(|id| *id != 0)
            .ok_or(ExtensionMapError::InvalidId(id))?;
        let Some(kind) = ExtensionKind::from_uri(uri) else {
            return Ok(None);
        };
        self.insert_kind(id, kind)?;
        Ok(Some(kind))
    }

    /// Maps `id` (1 to 255) to `kind`.
    pub fn insert_kind(&mut self, id: u8, kind: ExtensionKind) -> Result<(), ExtensionMapError> {
        let slot = self
            .kinds
            .get_mut(usize::from(id))
            .filter(|_| id != 0)
            .ok_or(ExtensionMapError::InvalidId(u16::from(id)))?;
        match slot {
            Some(existing) if *existing != kind => return Err(ExtensionMapError::Conflict { id }),
            _ => *slot = Some(kind),
        }
        if let Some(first) = self.ids.get_mut(kind.index()) {
            if *first == 0 {
                *first = id;
            }
        }
        Ok(())
    }

    /// The extension an id stands for.
    pub fn kind(&self, id: u8) -> Option<ExtensionKind> {
        self.kinds.get(usize::from(id)).copied().flatten()
    }

    /// The id of an extension.
    pub fn id(&self, kind: ExtensionKind) -> Option<u8> {
        self.ids.get(kind.index()).copied().filter(|id| *id != 0)
    }

    /// Whether no extension is mapped.
    pub fn is_empty(&self) -> bool {
        self.ids.iter().all(|id| *id == 0)
    }

    /// The typed value of extension `E` in `extension`: `None` when `E` is
    /// not mapped or the block has no element with its id, an error when
    /// the element does not decode.
    pub fn get<'a, E: TypedExtension<'a>>(
        &self,
        extension: HeaderExtension<'a>,
    ) -> Option<Result<E, ParseError>> {
        let data = extension.get(self.id(E::KIND)?)?;
        Some(E::decode(data))
    }

    /// The typed value of extension `E` in a packet (see [`get`](Self::get)).
    pub fn read<'p, E: TypedExtension<'p>, T: AsRef<[u8]>>(
        &self,
        packet: &'p crate::rtp::Packet<T>,
    ) -> Option<Result<E, ParseError>> {
        self.get(packet.extension()?)
    }

    /// Every element of `extension`, decoded by the kind its id is mapped
    /// to ([`ExtensionValue::Unknown`] for an id the map does not know).
    pub fn values<'a>(
        &self,
        extension: HeaderExtension<'a>,
    ) -> impl Iterator<Item = Result<ExtensionValue<'a>, ParseError>> {
        extension
            .elements()
            .map(|element| match self.kind(element.id) {
                Some(kind) => ExtensionValue::decode(kind, element.data),
                None => Ok(ExtensionValue::Unknown(element)),
            })
    }

    /// Overwrites, in the RTP packet `packet`, the element of extension `E`
    /// with `value`, in place (see [`rewrite_element`]): an SFU renumbers
    /// transport-cc or restamps abs-send-time this way without rebuilding
    /// the packet. The new value must be as long as the old one.
    pub fn rewrite<'v, E: TypedExtension<'v>>(
        &self,
        packet: &mut [u8],
        value: &E,
    ) -> Result<(), RewriteError> {
        let id = self.id(E::KIND).ok_or(RewriteError::NotMapped(E::KIND))?;
        let slot = element_mut(packet, id)?.ok_or(RewriteError::NoElement { id })?;
        let len = value.encoded_len();
        if slot.len() != len {
            return Err(RewriteError::LengthMismatch {
                id,
                have: slot.len(),
                want: len,
            });
        }
        value
            .encode(slot)
            .map_err(|_| RewriteError::LengthMismatch {
                id,
                have: slot.len(),
                want: len,
            })?;
        Ok(())
    }
}

/// Why an extension element could not be rewritten in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RewriteError {
    /// The bytes are not an RTP packet.
    #[error("not an RTP packet: {0}")]
    Packet(#[from] ParseError),
    /// The packet has no element with this id (or no RFC 8285 extension).
    #[error("no extension element with id {id}")]
    NoElement {
        /// The id.
        id: u8,
    },
    /// The new data is not as long as the element: rewriting in place
    /// cannot change the length (rebuild the packet with a
    /// [`Builder`](crate::rtp::Builder) instead).
    #[error("extension element {id} is {have} bytes long, the new data {want}")]
    LengthMismatch {
        /// The id.
        id: u8,
        /// The element's length.
        have: usize,
        /// The new data's length.
        want: usize,
    },
    /// The extension map has no id for this extension.
    #[error("{0:?} has no id in the extension map")]
    NotMapped(ExtensionKind),
}

/// The data of the first extension element with id `id` in the RTP packet
/// `packet`, writable in place: `Ok(None)` when the packet has no such
/// element (or no RFC 8285 header extension). Only the element's data can
/// change, never its length.
pub fn element_mut(packet: &mut [u8], id: u8) -> Result<Option<&mut [u8]>, ParseError> {
    let range = {
        let view = crate::rtp::Packet::new_checked(&*packet)?;
        let Some(extension) = view.extension() else {
            return Ok(None);
        };
        // The extension data starts after the CSRCs and the 4-byte
        // extension header.
        let start = crate::rtp::FIXED_HEADER_LEN + 4 * usize::from(view.csrc_count()) + 4;
        let mut elements = extension.elements();
        let mut found = None;
        while let Some(element) = elements.next() {
            if element.id == id {
                let end = elements.pos as usize;
                found = Some(start + end - element.data.len()..start + end);
                break;
            }
        }
        found
    };
    Ok(range.and_then(|range| packet.get_mut(range)))
}

/// Overwrites the data of the first extension element with id `id` in the
/// RTP packet `packet` with `data`, in place. `data` must be exactly as
/// long as the element's data.
pub fn rewrite_element(packet: &mut [u8], id: u8, data: &[u8]) -> Result<(), RewriteError> {
    let slot = element_mut(packet, id)?.ok_or(RewriteError::NoElement { id })?;
    if slot.len() != data.len() {
        return Err(RewriteError::LengthMismatch {
            id,
            have: slot.len(),
            want: data.len(),
        });
    }
    slot.copy_from_slice(data);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    fn elements(ext: &HeaderExtension<'_>) -> Vec<(u8, Vec<u8>)> {
        ext.elements().map(|e| (e.id, e.data.to_vec())).collect()
    }

    #[test]
    fn one_byte_form_skips_padding_and_stops_at_id_15() {
        // id 1 len 1 "aa bb"?: 0x11 -> id 1, 2 bytes; padding 00; id 2 len 1 byte: 0x20 cc;
        // id 15 ends processing.
        let data = crate::test_hex("11aabb00 20ccf0ff");
        let ext = HeaderExtension::new(ONE_BYTE_PROFILE, &data).unwrap();
        assert_eq!(ext.form(), Some(ExtensionForm::OneByte));
        assert_eq!(
            elements(&ext),
            [(1, alloc::vec![0xaa, 0xbb]), (2, alloc::vec![0xcc])]
        );
        assert_eq!(ext.get(2), Some(&[0xcc][..]));
        assert_eq!(ext.get(3), None);
    }

    #[test]
    fn zero_bytes_are_padding_only_between_elements() {
        // Element data may end in zero bytes; padding may sit between
        // elements; zeros at the end are padding.
        for (data, expected) in [
            ("11000000", alloc::vec![(1, alloc::vec![0, 0])]),
            (
                "10000020 cc000000",
                alloc::vec![(1, alloc::vec![0]), (2, alloc::vec![0xcc])],
            ),
            ("00000000 10aa0000", alloc::vec![(1, alloc::vec![0xaa])]),
            ("00000000", alloc::vec![]),
        ] {
            let data = crate::test_hex(data);
            let ext = HeaderExtension::new(ONE_BYTE_PROFILE, &data).unwrap();
            assert_eq!(elements(&ext), expected, "{data:02x?}");
        }
        // Fewer than 4 bytes: padding is stepped over byte by byte.
        let ext = HeaderExtension::new(ONE_BYTE_PROFILE, &[0, 0x10, 0xaa]).unwrap();
        assert_eq!(elements(&ext), [(1, alloc::vec![0xaa])]);
        // The same in the two-byte form: an empty element, padding, an
        // element ending in zeros, padding.
        let data = crate::test_hex("0100 00 020200 00 00000000");
        let ext = HeaderExtension::new(TWO_BYTE_PROFILE, &data).unwrap();
        assert_eq!(elements(&ext), [(1, alloc::vec![]), (2, alloc::vec![0, 0])]);
    }

    #[test]
    fn two_byte_form_allows_empty_and_long_elements() {
        let data = crate::test_hex("0100 00 1003aabbcc 00");
        let ext = HeaderExtension::new(0x1003, &data).unwrap();
        assert_eq!(ext.form(), Some(ExtensionForm::TwoByte));
        assert_eq!(
            elements(&ext),
            [(1, alloc::vec![]), (0x10, alloc::vec![0xaa, 0xbb, 0xcc])]
        );
    }

    #[test]
    fn truncated_elements_are_errors() {
        assert!(HeaderExtension::new(ONE_BYTE_PROFILE, &crate::test_hex("13aabb00")).is_err());
        assert!(HeaderExtension::new(TWO_BYTE_PROFILE, &crate::test_hex("0105aabb")).is_err());
        assert!(HeaderExtension::new(TWO_BYTE_PROFILE, &crate::test_hex("000001")).is_err());
        // Other profiles are opaque.
        assert!(HeaderExtension::new(0x1234, &crate::test_hex("ffffffff")).is_ok());
        // Data must fit the 16-bit length field.
        let long = alloc::vec![0u8; MAX_EXTENSION_LEN + 4];
        assert!(HeaderExtension::new(0x1234, &long).is_err());
        assert!(HeaderExtension::new(ONE_BYTE_PROFILE, &long[..MAX_EXTENSION_LEN]).is_ok());
        assert_eq!(
            HeaderExtension::new(0x1234, &[1, 2, 3, 4])
                .unwrap()
                .elements()
                .count(),
            0
        );
    }

    #[test]
    fn writer_picks_the_two_byte_form_when_an_element_needs_it() {
        let mut buf = [0u8; 64];
        let short = [Element::new(3, &[1]), Element::new(14, &[0; 16])];
        let p = Plan::new(&short, ExtensionForm::OneByte);
        let n = p.block_len();
        write_elements(&short, p, &mut buf[..n]).unwrap();
        assert_eq!(n, 4 + 20);
        assert_eq!(&buf[..6], &crate::test_hex("bede0005 3001")[..]);

        for mixed in [
            [Element::new(3, &[1]), Element::new(15, &[2])],
            [Element::new(3, &[1]), Element::new(4, &[])],
            [Element::new(3, &[1]), Element::new(4, &[0; 17])],
        ] {
            let p = Plan::new(&mixed, ExtensionForm::OneByte);
            let n = p.block_len();
            write_elements(&mixed, p, &mut buf[..n]).unwrap();
            let ext =
                HeaderExtension::new(u16::from_be_bytes([buf[0], buf[1]]), &buf[4..n]).unwrap();
            assert_eq!(ext.form(), Some(ExtensionForm::TwoByte));
            let got: Vec<_> = ext.elements().collect();
            assert_eq!(got, mixed);
        }
        // Padding is zeroed whatever the buffer held.
        let one = [Element::new(1, &[0xaa])];
        let mut dirty = [0xffu8; 8];
        write_elements(&one, Plan::new(&one, ExtensionForm::OneByte), &mut dirty).unwrap();
        assert_eq!(dirty, [0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0]);

        let zero = [Element::new(0, &[1])];
        let p = Plan::new(&zero, ExtensionForm::TwoByte);
        assert!(write_elements(&zero, p, &mut buf[..8]).is_err());
        let long = [Element::new(1, &[0; 256])];
        let p = Plan::new(&long, ExtensionForm::OneByte);
        assert!(write_elements(&long, p, &mut [0u8; 300]).is_err());
    }

    #[test]
    fn typed_helpers_decode_and_encode() {
        let t = AbsSendTime::parse(&[0x12, 0x34, 0x56]).unwrap();
        assert_eq!(t, AbsSendTime(0x12_3456));
        assert_eq!(t.to_bytes(), [0x12, 0x34, 0x56]);
        assert!(AbsSendTime::parse(&[1, 2]).is_err());
        assert!(AbsSendTime::parse(&[1, 2, 3, 4]).is_err());
        assert_eq!(
            AbsSendTime::from_ntp(crate::ntp::NtpTime(0x0000_0001_8000_0000)),
            AbsSendTime(0x06_0000)
        );

        let s = TransportSequenceNumber::parse(&[0xff, 0xfe]).unwrap();
        assert_eq!(s.0, 0xfffe);
        assert_eq!(s.to_bytes(), [0xff, 0xfe]);

        assert_eq!(Mid::parse(b"0").unwrap(), Mid("0"));
        assert_eq!(Rid::parse(b"hi\0\0").unwrap().0, "hi");
        assert_eq!(RepairedRid::parse(b"lo").unwrap().as_bytes(), b"lo");
        assert!(Mid::parse(b"").is_err());
        assert!(Mid::parse(&[0xff]).is_err());

        let level = AudioLevel::parse(&[0x80 | 42]).unwrap();
        assert_eq!(
            level,
            AudioLevel {
                voice_activity: true,
                level: 42
            }
        );
        assert_eq!(level.to_bytes(), [0xaa]);

        let o = VideoOrientation::parse(&[0x0d]).unwrap();
        assert_eq!(
            o,
            VideoOrientation {
                back_camera: true,
                flip: true,
                rotation: 1
            }
        );
        assert_eq!(o.degrees(), 90);
        assert_eq!(o.to_bytes(), [0x0d]);

        let data = crate::test_hex("e2 3d 5a 1b 80 00 00 00 ff ff ff ff 00 00 00 00");
        let c = AbsCaptureTime::parse(&data).unwrap();
        assert_eq!(c.timestamp.0, 0xe23d_5a1b_8000_0000);
        assert_eq!(c.estimated_capture_clock_offset, Some(-(1i64 << 32)));
        let mut buf = [0u8; 16];
        assert_eq!(c.write_to(&mut buf).unwrap(), 16);
        assert_eq!(buf.as_slice(), data.as_slice());
        assert_eq!(AbsCaptureTime::parse(&data[..8]).unwrap().encoded_len(), 8);
        assert!(AbsCaptureTime::parse(&data[..12]).is_err());

        let d = PlayoutDelay::parse(&[0x01, 0x40, 0x64]).unwrap();
        assert_eq!(d, PlayoutDelay { min: 20, max: 100 });
        assert_eq!(d.to_bytes(), [0x01, 0x40, 0x64]);
    }

    /// Chrome's audio ids, plus one it does not know.
    fn chrome_map() -> ExtensionMap {
        ExtensionMap::from_pairs([
            (1, uri::AUDIO_LEVEL),
            (2, uri::ABS_SEND_TIME),
            (3, uri::TRANSPORT_WIDE_CC),
            (4, uri::MID),
            (5, "urn:ietf:params:rtp-hdrext:csrc-audio-level"),
            (20, uri::PLAYOUT_DELAY),
        ])
        .unwrap()
    }

    #[test]
    fn extension_map_turns_extmap_ids_into_kinds() {
        let map = chrome_map();
        assert_eq!(map.kind(1), Some(ExtensionKind::AudioLevel));
        assert_eq!(map.kind(5), None);
        assert_eq!(map.kind(0), None);
        assert_eq!(map.id(ExtensionKind::TransportSequenceNumber), Some(3));
        assert_eq!(map.id(ExtensionKind::Mid), Some(4));
        assert_eq!(map.id(ExtensionKind::PlayoutDelay), Some(20));
        assert_eq!(map.id(ExtensionKind::Rid), None);
        assert!(!map.is_empty() && ExtensionMap::new().is_empty());
        for kind in ExtensionKind::ALL {
            assert_eq!(ExtensionKind::from_uri(kind.uri()), Some(kind));
        }
        let mut map = map;
        // The same extension again is fine; another one on a used id is not.
        assert_eq!(
            map.insert(3, uri::TRANSPORT_WIDE_CC),
            Ok(Some(ExtensionKind::TransportSequenceNumber))
        );
        assert_eq!(
            map.insert(3, uri::ABS_SEND_TIME),
            Err(ExtensionMapError::Conflict { id: 3 })
        );
        // A second id for a kind: both read, the first is its id.
        map.insert(9, uri::MID).unwrap();
        assert_eq!(
            (map.kind(9), map.id(ExtensionKind::Mid)),
            (Some(ExtensionKind::Mid), Some(4))
        );
        for bad in [0, 256, 4096] {
            assert_eq!(
                map.insert(bad, uri::MID),
                Err(ExtensionMapError::InvalidId(bad))
            );
        }
        assert_eq!(map.insert(7, "urn:x-unknown"), Ok(None));
        assert_eq!(map.kind(7), None);
    }

    /// A packet with two CSRCs and the elements, in the given form.
    fn packet(elements: &[Element<'_>], two_byte: bool) -> Vec<u8> {
        let csrcs = [0x1111_1111, 0x2222_2222];
        let builder = crate::rtp::Builder::new()
            .payload_type(111)
            .sequence_number(9)
            .ssrc(0xabcd)
            .csrcs(&csrcs)
            .payload(b"payload");
        let builder = if two_byte {
            builder.two_byte_extensions(elements)
        } else {
            builder.extensions(elements)
        };
        let mut buf = alloc::vec![0u8; builder.encoded_len()];
        let n = builder.write_to(&mut buf).unwrap();
        buf.truncate(n);
        buf
    }

    #[test]
    fn extension_map_reads_typed_values() {
        let map = chrome_map();
        let elements = [
            Element::new(1, &[0x80 | 30]),
            Element::new(2, &[0x12, 0x34, 0x56]),
            Element::new(3, &[0xff, 0xfe]),
            Element::new(4, b"0"),
            Element::new(5, &[1, 2]),
        ];
        for two_byte in [false, true] {
            let bytes = packet(&elements, two_byte);
            let packet = crate::rtp::Packet::parse(&bytes).unwrap();
            let level: AudioLevel = map.read(&packet).unwrap().unwrap();
            assert_eq!((level.voice_activity, level.level), (true, 30));
            let seq: TransportSequenceNumber = map.read(&packet).unwrap().unwrap();
            assert_eq!(seq.0, 0xfffe);
            let mid: Mid<'_> = map.read(&packet).unwrap().unwrap();
            assert_eq!(mid.0, "0");
            assert!(map.read::<PlayoutDelay, _>(&packet).is_none());
            assert!(map.read::<Rid<'_>, _>(&packet).is_none());
            let values: Vec<_> = map
                .values(packet.extension().unwrap())
                .map(Result::unwrap)
                .collect();
            assert_eq!(
                values,
                [
                    ExtensionValue::AudioLevel(level),
                    ExtensionValue::AbsSendTime(AbsSendTime(0x12_3456)),
                    ExtensionValue::TransportSequenceNumber(seq),
                    ExtensionValue::Mid(Mid("0")),
                    ExtensionValue::Unknown(Element::new(5, &[1, 2])),
                ]
            );
        }
        // A malformed element is an error, not a missing one.
        let bytes = packet(&[Element::new(3, &[1, 2, 3])], false);
        let packet = crate::rtp::Packet::parse(&bytes).unwrap();
        assert!(
            map.read::<TransportSequenceNumber, _>(&packet)
                .unwrap()
                .is_err()
        );
    }

    #[test]
    fn elements_are_rewritten_in_place() {
        let map = chrome_map();
        let elements = [
            Element::new(2, &[0x12, 0x34, 0x56]),
            Element::new(3, &[0x00, 0x01]),
            Element::new(4, b"audio"),
        ];
        for two_byte in [false, true] {
            let original = packet(&elements, two_byte);
            let mut bytes = original.clone();
            map.rewrite(&mut bytes, &TransportSequenceNumber(0xbeef))
                .unwrap();
            map.rewrite(&mut bytes, &AbsSendTime(0x65_4321)).unwrap();
            let expected = packet(
                &[
                    Element::new(2, &[0x65, 0x43, 0x21]),
                    Element::new(3, &[0xbe, 0xef]),
                    Element::new(4, b"audio"),
                ],
                two_byte,
            );
            assert_eq!(bytes, expected);
            // Raw bytes, by id.
            rewrite_element(&mut bytes, 4, b"video").unwrap();
            let view = crate::rtp::Packet::parse(&bytes).unwrap();
            assert_eq!(view.extension().unwrap().get(4), Some(&b"video"[..]));
            assert_eq!(view.payload(), b"payload");
            assert_eq!(view.csrcs().iter().count(), 2);
            element_mut(&mut bytes, 3)
                .unwrap()
                .unwrap()
                .copy_from_slice(&[0, 9]);
            let view = crate::rtp::Packet::parse(&bytes).unwrap();
            assert_eq!(
                map.read::<TransportSequenceNumber, _>(&view)
                    .unwrap()
                    .unwrap()
                    .0,
                9
            );
            // The length cannot change.
            assert_eq!(
                map.rewrite(&mut bytes, &Mid("0")),
                Err(RewriteError::LengthMismatch {
                    id: 4,
                    have: 5,
                    want: 1
                })
            );
            assert_eq!(
                rewrite_element(&mut bytes, 2, &[1, 2]),
                Err(RewriteError::LengthMismatch {
                    id: 2,
                    have: 3,
                    want: 2
                })
            );
            assert_eq!(
                rewrite_element(&mut bytes, 7, &[1]),
                Err(RewriteError::NoElement { id: 7 })
            );
            assert_eq!(
                map.rewrite(&mut bytes, &Rid("h")),
                Err(RewriteError::NotMapped(ExtensionKind::Rid))
            );
            assert_eq!(
                map.rewrite(
                    &mut bytes,
                    &AudioLevel {
                        voice_activity: false,
                        level: 1
                    }
                ),
                Err(RewriteError::NoElement { id: 1 })
            );
        }
        // No extension, and not RTP.
        let mut plain = packet(&[], false);
        assert_eq!(element_mut(&mut plain, 1), Ok(None));
        assert!(matches!(
            rewrite_element(&mut [0x40, 0, 0], 1, &[1]),
            Err(RewriteError::Packet(_))
        ));
    }
}
