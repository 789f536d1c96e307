//! The RTP packet: a checked view over bytes ([`Packet`]) and a writer
//! ([`Builder`]).
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-5.1>

use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::list::List;
use crate::rtp::extension::{
    Element, ExtensionForm, HeaderExtension, Plan, write_elements, write_raw,
};

/// Size of the fixed RTP header.
pub const FIXED_HEADER_LEN: usize = 12;
/// Most CSRCs a header can carry (the CC field has 4 bits).
pub const MAX_CSRCS: usize = 15;

/// A checked view over an RTP packet.
///
/// [`new_checked`](Self::new_checked) validates the packet once (the
/// version, every length, the padding); afterwards no accessor can fail or
/// panic. Nothing is copied and nothing is allocated.
///
/// RFC 8285 extension elements are read lazily by
/// [`HeaderExtension::elements`], which stops at a malformed element, as
/// libwebrtc does (the packet itself is still good);
/// [`HeaderExtension::validate`] tells whether every element is well formed.
///
/// ```
/// use sansrtc_rtp::rtp::Packet;
/// let bytes = [0x80, 0xe0, 0x00, 0x01, 0, 0, 0, 0x10, 0xde, 0xad, 0xbe, 0xef, 0xaa];
/// let packet = Packet::new_checked(&bytes[..]).unwrap();
/// assert!(packet.marker());
/// assert_eq!(packet.payload_type(), 96);
/// assert_eq!(packet.sequence_number(), 1);
/// assert_eq!(packet.payload(), &[0xaa]);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
    first: u8,
    second: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    extension_profile: u16,
    extension_start: u32,
    payload_start: u32,
    payload_end: u32,
}

impl<'a> Packet<&'a [u8]> {
    /// Parses `bytes` as an RTP packet; shorthand for [`new_checked`](Self::new_checked).
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        Self::new_checked(bytes)
    }

    /// The CSRC list, borrowing the packet's bytes.
    #[inline]
    pub fn csrc_list(&self) -> List<'a, u32> {
        let bytes: &'a [u8] = self.buffer;
        List::from_wire(
            bytes
                .get(FIXED_HEADER_LEN..FIXED_HEADER_LEN + 4 * usize::from(self.first & 0x0f))
                .unwrap_or_default(),
        )
    }

    /// The header extension, borrowing the packet's bytes.
    #[inline]
    pub fn header_extension(&self) -> Option<HeaderExtension<'a>> {
        let bytes: &'a [u8] = self.buffer;
        self.extension_in(bytes)
    }

    /// The payload, borrowing the packet's bytes.
    #[inline]
    pub fn payload_slice(&self) -> &'a [u8] {
        let bytes: &'a [u8] = self.buffer;
        bytes
            .get(self.payload_start as usize..self.payload_end as usize)
            .unwrap_or_default()
    }

    /// A builder that writes this packet again (with its extension bytes
    /// as they are).
    pub fn to_builder(&self) -> Builder<'a> {
        Builder {
            marker: self.marker(),
            payload_type: self.payload_type(),
            sequence_number: self.sequence_number,
            timestamp: self.timestamp,
            ssrc: self.ssrc,
            csrcs: self.csrc_list(),
            extension: match self.header_extension() {
                Some(ext) => ExtensionSource::Raw(ext),
                None => ExtensionSource::None,
            },
            payload: self.payload_slice(),
            padding: self.padding_len(),
        }
    }
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Validates `buffer` as an RTP packet.
    ///
    /// Errors: a buffer shorter than the header it announces, a version
    /// other than 2, a padding count of zero or longer than the payload.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, ParseError> {
        let bytes = buffer.as_ref();
        let len = bytes.len();
        let Some(&[first, second, s0, s1, t0, t1, t2, t3, c0, c1, c2, c3]) =
            bytes.first_chunk::<FIXED_HEADER_LEN>()
        else {
            return Err(ParseError::Truncated {
                what: "RTP header",
                needed: FIXED_HEADER_LEN,
                have: len,
            });
        };
        if first >> 6 != 2 {
            return Err(ParseError::BadVersion(first >> 6));
        }
        if u32::try_from(len).is_err() {
            return Err(invalid("RTP packet", "longer than 4 GiB"));
        }
        let csrc_end = FIXED_HEADER_LEN + 4 * usize::from(first & 0x0f);
        let mut payload_start = csrc_end;
        let mut extension_profile = 0;
        if first & 0x10 != 0 {
            let Some(&[p0, p1, w0, w1]) = bytes
                .get(csrc_end..)
                .and_then(|rest| rest.first_chunk::<4>())
            else {
                return Err(ParseError::Truncated {
                    what: "RTP header extension",
                    needed: csrc_end + 4,
                    have: len,
                });
            };
            extension_profile = u16::from_be_bytes([p0, p1]);
            payload_start = csrc_end + 4 + 4 * usize::from(u16::from_be_bytes([w0, w1]));
        }
        if payload_start > len {
            return Err(ParseError::Truncated {
                what: "RTP header",
                needed: payload_start,
                have: len,
            });
        }
        let mut payload_end = len;
        if first & 0x20 != 0 {
            let &padding = bytes
                .last()
                .ok_or(invalid("RTP padding", "no padding count"))?;
            if padding == 0 {
                return Err(invalid("RTP padding", "padding count is zero"));
            }
            if usize::from(padding) > len - payload_start {
                return Err(invalid("RTP padding", "longer than the payload"));
            }
            payload_end -= usize::from(padding);
        }
        // `len` fits in a u32, and so does every offset.
        Ok(Self {
            first,
            second,
            sequence_number: u16::from_be_bytes([s0, s1]),
            timestamp: u32::from_be_bytes([t0, t1, t2, t3]),
            ssrc: u32::from_be_bytes([c0, c1, c2, c3]),
            extension_profile,
            extension_start: (csrc_end + 4) as u32,
            payload_start: payload_start as u32,
            payload_end: payload_end as u32,
            buffer,
        })
    }

    /// The version field (always 2 after [`new_checked`](Self::new_checked)).
    #[inline]
    pub const fn version(&self) -> u8 {
        self.first >> 6
    }

    /// The padding bit.
    #[inline]
    pub const fn has_padding(&self) -> bool {
        self.first & 0x20 != 0
    }

    /// Number of padding bytes at the end (including the count byte); 0
    /// without padding.
    #[inline]
    pub fn padding_len(&self) -> u8 {
        u8::try_from(self.buffer.as_ref().len() - self.payload_end as usize).unwrap_or(0)
    }

    /// The extension bit.
    #[inline]
    pub const fn has_extension(&self) -> bool {
        self.first & 0x10 != 0
    }

    /// The CSRC count.
    #[inline]
    pub const fn csrc_count(&self) -> u8 {
        self.first & 0x0f
    }

    /// The marker bit.
    #[inline]
    pub const fn marker(&self) -> bool {
        self.second & 0x80 != 0
    }

    /// The payload type.
    #[inline]
    pub const fn payload_type(&self) -> u8 {
        self.second & 0x7f
    }

    /// The sequence number.
    #[inline]
    pub const fn sequence_number(&self) -> u16 {
        self.sequence_number
    }

    /// The RTP timestamp.
    #[inline]
    pub const fn timestamp(&self) -> u32 {
        self.timestamp
    }

    /// The synchronisation source.
    #[inline]
    pub const fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// The contributing sources.
    #[inline]
    pub fn csrcs(&self) -> List<'_, u32> {
        List::from_wire(
            self.buffer
                .as_ref()
                .get(FIXED_HEADER_LEN..FIXED_HEADER_LEN + 4 * usize::from(self.csrc_count()))
                .unwrap_or_default(),
        )
    }

    #[inline]
    fn extension_in<'b>(&self, bytes: &'b [u8]) -> Option<HeaderExtension<'b>> {
        if !self.has_extension() {
            return None;
        }
        let data = bytes
            .get(self.extension_start as usize..self.payload_start as usize)
            .unwrap_or_default();
        Some(HeaderExtension::new_unchecked(self.extension_profile, data))
    }

    /// The header extension, when the X bit is set.
    #[inline]
    pub fn extension(&self) -> Option<HeaderExtension<'_>> {
        self.extension_in(self.buffer.as_ref())
    }

    /// Length of the header (fixed part, CSRCs, extension).
    #[inline]
    pub const fn header_len(&self) -> usize {
        self.payload_start as usize
    }

    /// The payload, without padding.
    #[inline]
    pub fn payload(&self) -> &[u8] {
        self.buffer
            .as_ref()
            .get(self.payload_start as usize..self.payload_end as usize)
            .unwrap_or_default()
    }

    /// The whole packet.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        self.buffer.as_ref()
    }

    /// Gives the buffer back.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    fn put<const N: usize>(&mut self, at: usize, value: [u8; N]) {
        if let Some(slot) = self
            .buffer
            .as_mut()
            .get_mut(at..)
            .and_then(|rest| rest.first_chunk_mut::<N>())
        {
            *slot = value;
        }
    }

    /// Sets the marker bit in place.
    pub fn set_marker(&mut self, marker: bool) {
        self.second = (self.second & 0x7f) | (u8::from(marker) << 7);
        self.put(1, [self.second]);
    }

    /// Sets the payload type in place (the top bit of `payload_type` is
    /// ignored).
    pub fn set_payload_type(&mut self, payload_type: u8) {
        self.second = (self.second & 0x80) | (payload_type & 0x7f);
        self.put(1, [self.second]);
    }

    /// Sets the sequence number in place.
    pub fn set_sequence_number(&mut self, sequence_number: u16) {
        self.sequence_number = sequence_number;
        self.put(2, sequence_number.to_be_bytes());
    }

    /// Sets the timestamp in place.
    pub fn set_timestamp(&mut self, timestamp: u32) {
        self.timestamp = timestamp;
        self.put(4, timestamp.to_be_bytes());
    }

    /// Sets the SSRC in place.
    pub fn set_ssrc(&mut self, ssrc: u32) {
        self.ssrc = ssrc;
        self.put(8, ssrc.to_be_bytes());
    }

    /// The payload, writable in place.
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let (start, end) = (self.payload_start as usize, self.payload_end as usize);
        self.buffer.as_mut().get_mut(start..end).unwrap_or_default()
    }
}

/// Where a [`Builder`] takes its header extension from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtensionSource<'a> {
    None,
    Raw(HeaderExtension<'a>),
    /// Elements, laid out when they were given.
    Elements(&'a [Element<'a>], Plan),
}

/// Writes an RTP packet into a caller's buffer.
///
/// ```
/// use sansrtc_rtp::rtp::{Builder, Element, Packet};
/// let elements = [Element::new(1, &[0x12, 0x34])];
/// let builder = Builder::new()
///     .payload_type(111)
///     .sequence_number(7)
///     .timestamp(960)
///     .ssrc(0x1234_5678)
///     .extensions(&elements)
///     .payload(b"opus");
/// let mut buf = [0u8; 64];
/// let len = builder.write_to(&mut buf).unwrap();
/// assert_eq!(len, builder.encoded_len());
/// let packet = Packet::parse(&buf[..len]).unwrap();
/// assert_eq!(packet.extension().unwrap().get(1), Some(&[0x12, 0x34][..]));
/// assert_eq!(packet.payload(), b"opus");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[must_use]
pub struct Builder<'a> {
    marker: bool,
    payload_type: u8,
    sequence_number: u16,
    timestamp: u32,
    ssrc: u32,
    csrcs: List<'a, u32>,
    extension: ExtensionSource<'a>,
    payload: &'a [u8],
    padding: u8,
}

impl Default for Builder<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> Builder<'a> {
    /// A packet with every field zero and no payload.
    pub const fn new() -> Self {
        Self {
            marker: false,
            payload_type: 0,
            sequence_number: 0,
            timestamp: 0,
            ssrc: 0,
            csrcs: List::empty(),
            extension: ExtensionSource::None,
            payload: &[],
            padding: 0,
        }
    }

    /// Sets the marker bit.
    pub const fn marker(mut self, marker: bool) -> Self {
        self.marker = marker;
        self
    }

    /// Sets the payload type (0..=127).
    pub const fn payload_type(mut self, payload_type: u8) -> Self {
        self.payload_type = payload_type;
        self
    }

    /// Sets the sequence number.
    pub const fn sequence_number(mut self, sequence_number: u16) -> Self {
        self.sequence_number = sequence_number;
        self
    }

    /// Sets the timestamp.
    pub const fn timestamp(mut self, timestamp: u32) -> Self {
        self.timestamp = timestamp;
        self
    }

    /// Sets the SSRC.
    pub const fn ssrc(mut self, ssrc: u32) -> Self {
        self.ssrc = ssrc;
        self
    }

    /// Sets the contributing sources (at most [`MAX_CSRCS`]).
    pub const fn csrcs(mut self, csrcs: &'a [u32]) -> Self {
        self.csrcs = List::new(csrcs);
        self
    }

    /// Sets the contributing sources from a list (for example one parsed
    /// from another packet).
    pub const fn csrc_list(mut self, csrcs: List<'a, u32>) -> Self {
        self.csrcs = csrcs;
        self
    }

    /// Adds RFC 8285 extension elements, written in the one-byte form when
    /// every element allows it and in the two-byte form otherwise (an
    /// element with id above 14, or data empty or longer than 16 bytes;
    /// the two-byte form needs `a=extmap-allow-mixed`).
    ///
    /// The layout (the form and the length) is worked out here, once:
    /// [`write_to`](Self::write_to) only writes, however often it is
    /// called, and reports an element the form cannot carry.
    pub const fn extensions(mut self, elements: &'a [Element<'a>]) -> Self {
        self.extension =
            ExtensionSource::Elements(elements, Plan::new(elements, ExtensionForm::OneByte));
        self
    }

    /// Adds RFC 8285 extension elements, always in the two-byte form.
    pub const fn two_byte_extensions(mut self, elements: &'a [Element<'a>]) -> Self {
        self.extension =
            ExtensionSource::Elements(elements, Plan::new(elements, ExtensionForm::TwoByte));
        self
    }

    /// Adds a header extension as raw bytes (any profile), copied as it
    /// is: a forwarder that leaves the extensions alone passes the block it
    /// received, and the writer copies it without looking at the elements.
    ///
    /// ```
    /// use sansrtc_rtp::rtp::{Builder, Packet};
    /// // One-byte extension: id 1, one byte 0xaa, then padding.
    /// let received = [
    ///     0x90, 0x60, 0x00, 0x07, 0, 0, 0x03, 0xc0, 0, 0, 0, 1,
    ///     0xbe, 0xde, 0x00, 0x01, 0x10, 0xaa, 0x00, 0x00,
    ///     0x42,
    /// ];
    /// let packet = Packet::parse(&received[..]).unwrap();
    /// let forwarded = Builder::new()
    ///     .payload_type(packet.payload_type())
    ///     .sequence_number(packet.sequence_number())
    ///     .timestamp(packet.timestamp())
    ///     .ssrc(0x0bad_cafe)
    ///     .raw_extension(packet.header_extension().unwrap())
    ///     .payload(packet.payload_slice());
    /// let mut buf = [0u8; 64];
    /// let len = forwarded.write_to(&mut buf).unwrap();
    /// assert_eq!(&buf[12..len], &received[12..]);
    /// ```
    pub const fn raw_extension(mut self, extension: HeaderExtension<'a>) -> Self {
        self.extension = ExtensionSource::Raw(extension);
        self
    }

    /// Sets the payload.
    pub const fn payload(mut self, payload: &'a [u8]) -> Self {
        self.payload = payload;
        self
    }

    /// Adds `padding` bytes of padding (the last one holds the count); 0
    /// means none.
    pub const fn padding(mut self, padding: u8) -> Self {
        self.padding = padding;
        self
    }

    /// Length of the header extension block (0 without one).
    #[inline]
    fn extension_len(&self) -> usize {
        match self.extension {
            ExtensionSource::None => 0,
            ExtensionSource::Raw(ext) => 4 + ext.data().len().next_multiple_of(4),
            ExtensionSource::Elements(_, plan) => plan.block_len(),
        }
    }

    /// Length of the packet this builder writes.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        FIXED_HEADER_LEN
            + self.csrcs.encoded_len()
            + self.extension_len()
            + self.payload.len()
            + usize::from(self.padding)
    }

    /// Writes the packet into the front of `buf` and returns its length.
    #[inline]
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        if self.payload_type > 0x7f {
            return Err(write_invalid("RTP header", "payload type above 127"));
        }
        let csrc_count = self.csrcs.len();
        if csrc_count > MAX_CSRCS {
            return Err(write_invalid("RTP header", "more than 15 CSRCs"));
        }
        let extension_len = self.extension_len();
        let len = FIXED_HEADER_LEN
            + 4 * csrc_count
            + extension_len
            + self.payload.len()
            + usize::from(self.padding);
        let Some((header, csrcs, extension, payload, padding)) = split_parts(
            buf,
            4 * csrc_count,
            extension_len,
            self.payload.len(),
            usize::from(self.padding),
        ) else {
            return Err(WriteError::BufferTooSmall {
                needed: len,
                have: buf.len(),
            });
        };
        let first = 0x80
            | (u8::from(self.padding != 0) << 5)
            | (u8::from(!matches!(self.extension, ExtensionSource::None)) << 4)
            | csrc_count as u8;
        let [s0, s1] = self.sequence_number.to_be_bytes();
        let [t0, t1, t2, t3] = self.timestamp.to_be_bytes();
        let [c0, c1, c2, c3] = self.ssrc.to_be_bytes();
        *header = [
            first,
            (u8::from(self.marker) << 7) | self.payload_type,
            s0,
            s1,
            t0,
            t1,
            t2,
            t3,
            c0,
            c1,
            c2,
            c3,
        ];
        self.csrcs.write_into(csrcs);
        match self.extension {
            ExtensionSource::None => {}
            ExtensionSource::Raw(ext) => write_raw(ext, extension)?,
            ExtensionSource::Elements(elements, plan) => write_elements(elements, plan, extension)?,
        }
        payload.copy_from_slice(self.payload);
        if let Some((last, zeros)) = padding.split_last_mut() {
            zeros.fill(0);
            *last = self.padding;
        }
        Ok(len)
    }
}

/// The parts of a packet of the given lengths at the front of `buf`: the
/// fixed header, the CSRCs, the header extension, the payload and the
/// padding; `None` when `buf` is too short for them.
#[inline]
#[allow(clippy::type_complexity)]
fn split_parts(
    buf: &mut [u8],
    csrcs: usize,
    extension: usize,
    payload: usize,
    padding: usize,
) -> Option<(
    &mut [u8; FIXED_HEADER_LEN],
    &mut [u8],
    &mut [u8],
    &mut [u8],
    &mut [u8],
)> {
    let (header, rest) = buf.split_first_chunk_mut::<FIXED_HEADER_LEN>()?;
    let (csrcs, rest) = rest.split_at_mut_checked(csrcs)?;
    let (extension, rest) = rest.split_at_mut_checked(extension)?;
    let (payload, rest) = rest.split_at_mut_checked(payload)?;
    let padding = rest.get_mut(..padding)?;
    Some((header, csrcs, extension, payload, padding))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> alloc::vec::Vec<u8> {
        crate::test_hex(s)
    }

    #[test]
    fn parses_and_writes_a_packet_with_csrcs_extension_and_padding() {
        // V=2 P=1 X=1 CC=2, M=1 PT=96, seq 0x1234, ts 0x11223344, ssrc 0xdeadbeef,
        // CSRCs 1 and 2, one-byte extension (id 1 len 2: aa bb; padding),
        // payload 01 02 03, 3 bytes of padding.
        let bytes =
            hex("b2e01234 11223344 deadbeef 00000001 00000002 bede0001 11aabb00 010203 000003");
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.version(), 2);
        assert!(packet.has_padding());
        assert!(packet.has_extension());
        assert_eq!(packet.csrc_count(), 2);
        assert!(packet.marker());
        assert_eq!(packet.payload_type(), 96);
        assert_eq!(packet.sequence_number(), 0x1234);
        assert_eq!(packet.timestamp(), 0x1122_3344);
        assert_eq!(packet.ssrc(), 0xdead_beef);
        assert_eq!(packet.csrcs(), List::new(&[1, 2]));
        let ext = packet.extension().unwrap();
        assert_eq!(ext.profile(), 0xbede);
        let elements: alloc::vec::Vec<_> = ext.elements().collect();
        assert_eq!(elements, [Element::new(1, &[0xaa, 0xbb])]);
        assert_eq!(packet.header_len(), 28);
        assert_eq!(packet.payload(), &[1, 2, 3]);
        assert_eq!(packet.padding_len(), 3);

        let builder = packet.to_builder();
        let mut out = [0u8; 64];
        let len = builder.write_to(&mut out).unwrap();
        assert_eq!(&out[..len], &bytes[..]);

        // The same packet from typed elements.
        let elements = [Element::new(1, &[0xaa, 0xbb])];
        let len = Builder::new()
            .marker(true)
            .payload_type(96)
            .sequence_number(0x1234)
            .timestamp(0x1122_3344)
            .ssrc(0xdead_beef)
            .csrcs(&[1, 2])
            .extensions(&elements)
            .payload(&[1, 2, 3])
            .padding(3)
            .write_to(&mut out)
            .unwrap();
        assert_eq!(&out[..len], &bytes[..]);
    }

    #[test]
    fn rejects_bad_packets() {
        assert!(matches!(
            Packet::parse(&hex("8060")),
            Err(ParseError::Truncated { .. })
        ));
        assert_eq!(
            Packet::parse(&hex("40600001 00000000 00000000")),
            Err(ParseError::BadVersion(1))
        );
        // CC=1 but no CSRC.
        assert!(Packet::parse(&hex("81600001 00000000 00000000")).is_err());
        // Extension announced, missing.
        assert!(Packet::parse(&hex("90600001 00000000 00000000 bede")).is_err());
        // Extension length beyond the packet.
        assert!(Packet::parse(&hex("90600001 00000000 00000000 bede0002 10aa0000")).is_err());
        // A malformed element does not make the packet bad: iteration stops
        // there and `validate` says why.
        let bytes = hex("90600001 00000000 00000000 bede0001 10aa3f00 bb");
        let packet = Packet::parse(&bytes).unwrap();
        let ext = packet.extension().unwrap();
        assert_eq!(
            ext.elements().collect::<alloc::vec::Vec<_>>(),
            [Element::new(1, &[0xaa])]
        );
        assert!(ext.validate().is_err());
        assert_eq!(packet.payload(), &[0xbb]);
        // Padding count zero.
        assert!(Packet::parse(&hex("a0600001 00000000 00000000 0100")).is_err());
        // Padding longer than the payload.
        assert!(Packet::parse(&hex("a0600001 00000000 00000000 0103")).is_err());
        // Padding bit with no payload at all.
        assert!(Packet::parse(&hex("a0600001 00000000 00000000")).is_err());
    }

    #[test]
    fn setters_change_the_bytes_in_place() {
        let mut bytes = hex("80600001 00000002 00000003 aa");
        let mut packet = Packet::new_checked(&mut bytes[..]).unwrap();
        packet.set_marker(true);
        packet.set_payload_type(97);
        packet.set_sequence_number(0xfffe);
        packet.set_timestamp(9);
        packet.set_ssrc(0x0102_0304);
        packet.payload_mut()[0] = 0xbb;
        assert_eq!(packet.payload_type(), 97);
        assert_eq!(bytes, hex("80e1fffe 00000009 01020304 bb"));
    }

    #[test]
    fn writer_rejects_what_the_format_cannot_carry() {
        let mut buf = [0u8; 128];
        assert!(Builder::new().payload_type(128).write_to(&mut buf).is_err());
        assert!(Builder::new().csrcs(&[0; 16]).write_to(&mut buf).is_err());
        assert_eq!(
            Builder::new().payload(&[0; 10]).write_to(&mut buf[..21]),
            Err(WriteError::BufferTooSmall {
                needed: 22,
                have: 21
            })
        );
    }
}
