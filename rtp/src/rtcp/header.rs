//! The common RTCP header and packet-type numbers.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1>

use crate::cursor::{Reader, Writer};
use crate::error::{ParseError, WriteError, invalid, write_invalid};

/// Packet type of a sender report.
pub const SENDER_REPORT: u8 = 200;
/// Packet type of a receiver report.
pub const RECEIVER_REPORT: u8 = 201;
/// Packet type of a source description.
pub const SOURCE_DESCRIPTION: u8 = 202;
/// Packet type of a goodbye.
pub const GOODBYE: u8 = 203;
/// Packet type of an application-defined packet.
pub const APPLICATION_DEFINED: u8 = 204;
/// Packet type of transport-layer feedback (RFC 4585 RTPFB).
pub const TRANSPORT_FEEDBACK: u8 = 205;
/// Packet type of payload-specific feedback (RFC 4585 PSFB).
pub const PAYLOAD_FEEDBACK: u8 = 206;
/// Packet type of an extended report (RFC 3611 XR).
pub const EXTENDED_REPORT: u8 = 207;

/// Size of the common header.
pub const HEADER_LEN: usize = 4;
/// Most items the 5-bit count field can announce.
pub const MAX_COUNT: usize = 31;
/// Longest RTCP packet the 16-bit length field can describe.
pub const MAX_PACKET_LEN: usize = 4 * (u16::MAX as usize + 1);

/// The 4-byte header every RTCP packet starts with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// The padding bit.
    pub padding: bool,
    /// The 5-bit count (report count, source count, or feedback format).
    pub count: u8,
    /// The packet type.
    pub packet_type: u8,
    /// The length field: the packet's length in 32-bit words, minus one.
    pub length: u16,
}

impl Header {
    /// Reads the header fields from a packet's first 4 bytes (the version
    /// is not checked here).
    #[inline]
    pub(crate) const fn from_bytes([first, packet_type, l0, l1]: [u8; 4]) -> Self {
        Self {
            padding: first & 0x20 != 0,
            count: first & 0x1f,
            packet_type,
            length: u16::from_be_bytes([l0, l1]),
        }
    }

    /// Length of the whole packet in bytes.
    pub const fn packet_len(&self) -> usize {
        (self.length as usize + 1) * 4
    }
}

/// The first RTCP packet of a buffer, split off the rest.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Split<'a> {
    /// Its header.
    pub(crate) header: Header,
    /// Its body: after the header, without padding.
    pub(crate) body: &'a [u8],
    /// The whole packet.
    pub(crate) packet: &'a [u8],
    /// What follows it.
    pub(crate) rest: &'a [u8],
}

/// Splits the first RTCP packet off `bytes`.
#[inline]
pub(crate) fn split_packet(bytes: &[u8]) -> Result<Split<'_>, ParseError> {
    let Some(&[first, packet_type, l0, l1]) = bytes.first_chunk::<4>() else {
        return Err(ParseError::Truncated {
            what: "RTCP packet",
            needed: HEADER_LEN,
            have: bytes.len(),
        });
    };
    if first >> 6 != 2 {
        return Err(ParseError::BadVersion(first >> 6));
    }
    let length = u16::from_be_bytes([l0, l1]);
    let len = (usize::from(length) + 1) * 4;
    let Some((packet, rest)) = bytes.split_at_checked(len) else {
        return Err(ParseError::Truncated {
            what: "RTCP packet",
            needed: len,
            have: bytes.len(),
        });
    };
    let header = Header::from_bytes([first, packet_type, l0, l1]);
    let mut body = packet.get(HEADER_LEN..).unwrap_or_default();
    if header.padding {
        body = strip_padding(body)?;
    }
    Ok(Split {
        header,
        body,
        packet,
        rest,
    })
}

/// Removes the padding announced by the last byte of `body`.
fn strip_padding(body: &[u8]) -> Result<&[u8], ParseError> {
    let &padding = body
        .last()
        .ok_or(invalid("RTCP padding", "no padding count"))?;
    if padding == 0 {
        return Err(invalid("RTCP padding", "padding count is zero"));
    }
    body.get(..body.len().wrapping_sub(usize::from(padding)))
        .ok_or(invalid("RTCP padding", "longer than the packet"))
}

/// Parses exactly one packet: `bytes` must hold nothing after it.
#[inline]
pub(crate) fn single_packet(bytes: &[u8]) -> Result<(Header, &[u8], &[u8]), ParseError> {
    let split = split_packet(bytes)?;
    if !split.rest.is_empty() {
        return Err(invalid("RTCP packet", "bytes after the packet"));
    }
    Ok((split.header, split.body, split.packet))
}

/// Checks that a packet has `expected` type.
#[inline]
pub(crate) fn expect_type(
    header: &Header,
    expected: u8,
    what: &'static str,
) -> Result<(), ParseError> {
    if header.packet_type == expected {
        Ok(())
    } else {
        Err(invalid(what, "wrong packet type"))
    }
}

/// Checks that `buf` holds a packet of `total_len` bytes (a multiple of 4),
/// writes its header and returns a writer positioned at the body.
#[inline]
pub(crate) fn start_packet(
    buf: &mut [u8],
    count: usize,
    packet_type: u8,
    total_len: usize,
) -> Result<Writer<'_>, WriteError> {
    let mut w = Writer::with_capacity(buf, total_len)?;
    if count > MAX_COUNT {
        return Err(write_invalid("RTCP header", "count above 31"));
    }
    if total_len % 4 != 0 || !(HEADER_LEN..=MAX_PACKET_LEN).contains(&total_len) {
        return Err(write_invalid(
            "RTCP header",
            "length not a whole number of words up to 256 KiB",
        ));
    }
    let length = (total_len / 4 - 1) as u16;
    let [l0, l1] = length.to_be_bytes();
    w.array([0x80 | count as u8, packet_type, l0, l1])?;
    Ok(w)
}

/// Length of what every RFC 4585 feedback packet starts with: the common
/// header, then the SSRCs of the packet sender and of the media source.
/// The feedback control information (FCI) follows.
///
/// <https://www.rfc-editor.org/rfc/rfc4585#section-6.1>
pub(crate) const FEEDBACK_HEADER_LEN: usize = HEADER_LEN + 8;

/// Checks that a feedback packet has `packet_type` and reads the SSRCs of
/// the packet sender and of the media source that start its body; returns
/// them with a reader over the feedback control information (FCI). `what`
/// names the packet in errors.
///
/// <https://www.rfc-editor.org/rfc/rfc4585#section-6.1>
#[inline]
pub(crate) fn read_feedback<'a>(
    header: &Header,
    body: &'a [u8],
    packet_type: u8,
    what: &'static str,
) -> Result<(u32, u32, Reader<'a>), ParseError> {
    expect_type(header, packet_type, what)?;
    let mut fci = Reader::new(body, what);
    let [a0, a1, a2, a3, b0, b1, b2, b3] = fci.array::<8>()?;
    Ok((
        u32::from_be_bytes([a0, a1, a2, a3]),
        u32::from_be_bytes([b0, b1, b2, b3]),
        fci,
    ))
}

/// Starts a feedback packet of `total_len` bytes in `buf` (see
/// [`start_packet`]) and writes the sender and media SSRCs; returns a writer
/// positioned at the FCI.
///
/// <https://www.rfc-editor.org/rfc/rfc4585#section-6.1>
#[inline]
pub(crate) fn start_feedback(
    buf: &mut [u8],
    format: u8,
    packet_type: u8,
    total_len: usize,
    sender_ssrc: u32,
    media_ssrc: u32,
) -> Result<Writer<'_>, WriteError> {
    let mut w = start_packet(buf, format.into(), packet_type, total_len)?;
    w.u32(sender_ssrc)?;
    w.u32(media_ssrc)?;
    Ok(w)
}

/// Defines a feedback packet whose FCI is a list of fixed-size entries
/// (NACK, TMMBR, TMMBN, SLI, FIR): the struct with its sender SSRC, media
/// SSRC and entries, and its `parse`, `encoded_len` and `write_to`.
///
/// `accepts: |fci| condition` says which FCIs parse (`fci` is the
/// [`Reader`] over it); any other is refused with the `otherwise` reason.
macro_rules! feedback_with_entries {
    (
        $(#[$doc:meta])*
        pub struct $name:ident {
            $(#[$media_doc:meta])*
            media_ssrc,
            $(#[$entries_doc:meta])*
            entries: $entry:ty,
        }
        packet_type: $packet_type:expr,
        format: $format:expr,
        what: $what:expr,
        accepts: |$fci:ident| $accepts:expr,
        otherwise: $reason:literal,
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct $name<'a> {
            /// SSRC of the packet sender.
            pub sender_ssrc: u32,
            $(#[$media_doc])*
            pub media_ssrc: u32,
            $(#[$entries_doc])*
            pub entries: $crate::list::List<'a, $entry>,
        }

        impl<'a> $name<'a> {
            /// Parses one packet.
            pub fn parse(bytes: &'a [u8]) -> Result<Self, $crate::ParseError> {
                let (header, body, _) = $crate::rtcp::header::single_packet(bytes)?;
                Self::parse_body(&header, body)
            }

            #[inline]
            pub(crate) fn parse_body(
                header: &$crate::rtcp::header::Header,
                body: &'a [u8],
            ) -> Result<Self, $crate::ParseError> {
                let (sender_ssrc, media_ssrc, fci) =
                    $crate::rtcp::header::read_feedback(header, body, $packet_type, $what)?;
                let $fci = &fci;
                if !($accepts) {
                    return Err($crate::error::invalid($what, $reason));
                }
                Ok(Self {
                    sender_ssrc,
                    media_ssrc,
                    entries: $crate::list::List::from_wire(fci.rest()),
                })
            }

            /// Encoded length.
            pub fn encoded_len(&self) -> usize {
                $crate::rtcp::header::FEEDBACK_HEADER_LEN + self.entries.encoded_len()
            }

            /// Writes the packet into `buf`; returns its length.
            pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, $crate::WriteError> {
                let mut w = $crate::rtcp::header::start_feedback(
                    buf,
                    $format,
                    $packet_type,
                    self.encoded_len(),
                    self.sender_ssrc,
                    self.media_ssrc,
                )?;
                self.entries.write(&mut w)?;
                Ok(w.written())
            }
        }
    };
}
pub(crate) use feedback_with_entries;

/// Transport-layer feedback formats (FMT of PT 205).
pub mod transport_format {
    /// Generic NACK (RFC 4585).
    pub const NACK: u8 = 1;
    /// TMMBR (RFC 5104).
    pub const TMMBR: u8 = 3;
    /// TMMBN (RFC 5104).
    pub const TMMBN: u8 = 4;
    /// RFC 8888 congestion control feedback.
    pub const CCFB: u8 = 11;
    /// Transport-wide congestion control feedback (draft-holmer).
    pub const TRANSPORT_CC: u8 = 15;
}

/// Payload-specific feedback formats (FMT of PT 206).
pub mod payload_format {
    /// Picture loss indication (RFC 4585).
    pub const PLI: u8 = 1;
    /// Slice loss indication (RFC 4585).
    pub const SLI: u8 = 2;
    /// Reference picture selection indication (RFC 4585).
    pub const RPSI: u8 = 3;
    /// Full intra request (RFC 5104).
    pub const FIR: u8 = 4;
    /// Application layer feedback (RFC 4585), used by REMB.
    pub const AFB: u8 = 15;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_padded_packets() {
        let bytes = crate::test_hex("a0cc0002 aabbccdd 00000004 81c90000");
        let Split {
            header,
            body,
            packet,
            rest,
        } = split_packet(&bytes).unwrap();
        assert_eq!(
            header,
            Header {
                padding: true,
                count: 0,
                packet_type: 204,
                length: 2
            }
        );
        assert_eq!(body, &bytes[4..8]);
        assert_eq!(packet.len(), 12);
        assert_eq!(rest.len(), 4);
        assert!(split_packet(&crate::test_hex("a0cc0000")).is_err());
        assert!(split_packet(&crate::test_hex("a0cc0001 00000000")).is_err());
        assert!(split_packet(&crate::test_hex("a0cc0001 00000005")).is_err());
        assert!(split_packet(&crate::test_hex("80c90001 0000")).is_err());
        assert_eq!(
            split_packet(&crate::test_hex("40c90000")).unwrap_err(),
            ParseError::BadVersion(1)
        );
    }
}
