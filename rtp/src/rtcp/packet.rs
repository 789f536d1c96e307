//! Any RTCP packet ([`Packet`]) and compound packets ([`Compound`]).
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6.1>,
//! <https://www.rfc-editor.org/rfc/rfc5506>

use crate::cursor::Writer;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::rtcp::header::{
    self, HEADER_LEN, Header, payload_format, single_packet, split_packet, transport_format,
};
use crate::rtcp::{
    ApplicationDefined, CongestionControlFeedback, ExtendedReport, FullIntraRequest, Goodbye, Nack,
    PictureLossIndication, ReceiverReport, ReferencePictureSelection, Remb, SenderReport,
    SliceLossIndication, SourceDescription, Tmmbn, Tmmbr, TransportCc,
};

/// A packet this crate does not decode, kept as its bytes (header and
/// padding included) so that it can be written back unchanged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Unknown<'a> {
    /// One whole packet whose header was checked.
    bytes: &'a [u8],
}

impl<'a> Unknown<'a> {
    /// Wraps one whole RTCP packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (_, _, packet) = single_packet(bytes)?;
        Ok(Self { bytes: packet })
    }

    /// The header.
    pub const fn header(&self) -> Header {
        match self.bytes.first_chunk::<HEADER_LEN>() {
            Some(&header) => Header::from_bytes(header),
            // A checked packet always has its header.
            None => Header::from_bytes([0; HEADER_LEN]),
        }
    }

    /// The packet type.
    pub const fn packet_type(&self) -> u8 {
        self.header().packet_type
    }

    /// The 5-bit count (or feedback format).
    pub const fn count(&self) -> u8 {
        self.header().count
    }

    /// The whole packet.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// The body: after the header, without padding.
    pub fn body(&self) -> &'a [u8] {
        split_packet(self.bytes).map_or(&[], |split| split.body)
    }

    /// Encoded length.
    pub const fn encoded_len(&self) -> usize {
        self.bytes.len()
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let mut w = Writer::with_capacity(buf, self.bytes.len())?;
        w.bytes(self.bytes)?;
        Ok(w.written())
    }
}

/// Any RTCP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Packet<'a> {
    /// SR (200).
    SenderReport(SenderReport<'a>),
    /// RR (201).
    ReceiverReport(ReceiverReport<'a>),
    /// SDES (202).
    SourceDescription(SourceDescription<'a>),
    /// BYE (203).
    Goodbye(Goodbye<'a>),
    /// APP (204).
    ApplicationDefined(ApplicationDefined<'a>),
    /// Generic NACK (205, FMT 1).
    Nack(Nack<'a>),
    /// TMMBR (205, FMT 3).
    Tmmbr(Tmmbr<'a>),
    /// TMMBN (205, FMT 4).
    Tmmbn(Tmmbn<'a>),
    /// RFC 8888 congestion control feedback (205, FMT 11).
    CongestionControlFeedback(CongestionControlFeedback<'a>),
    /// Transport-wide congestion control feedback (205, FMT 15).
    TransportCc(TransportCc<'a>),
    /// PLI (206, FMT 1).
    PictureLossIndication(PictureLossIndication),
    /// SLI (206, FMT 2).
    SliceLossIndication(SliceLossIndication<'a>),
    /// RPSI (206, FMT 3).
    ReferencePictureSelection(ReferencePictureSelection<'a>),
    /// FIR (206, FMT 4).
    FullIntraRequest(FullIntraRequest<'a>),
    /// REMB (206, FMT 15 with the `REMB` identifier).
    Remb(Remb<'a>),
    /// XR (207).
    ExtendedReport(ExtendedReport<'a>),
    /// Any other packet type or feedback format, as bytes.
    Unknown(Unknown<'a>),
}

impl<'a> Packet<'a> {
    /// Parses one packet; `bytes` must hold exactly one.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, packet) = single_packet(bytes)?;
        Self::decode(header, body, packet)
    }

    #[inline(always)]
    fn decode(header: Header, body: &'a [u8], packet: &'a [u8]) -> Result<Self, ParseError> {
        Ok(match (header.packet_type, header.count) {
            (header::SENDER_REPORT, _) => {
                Self::SenderReport(SenderReport::parse_body(&header, body)?)
            }
            (header::RECEIVER_REPORT, _) => {
                Self::ReceiverReport(ReceiverReport::parse_body(&header, body)?)
            }
            (header::SOURCE_DESCRIPTION, _) => {
                Self::SourceDescription(SourceDescription::parse_body(&header, body)?)
            }
            (header::GOODBYE, _) => Self::Goodbye(Goodbye::parse_body(&header, body)?),
            (header::APPLICATION_DEFINED, _) => {
                Self::ApplicationDefined(ApplicationDefined::parse_body(&header, body)?)
            }
            (header::TRANSPORT_FEEDBACK, transport_format::NACK) => {
                Self::Nack(Nack::parse_body(&header, body)?)
            }
            (header::TRANSPORT_FEEDBACK, transport_format::TMMBR) => {
                Self::Tmmbr(Tmmbr::parse_body(&header, body)?)
            }
            (header::TRANSPORT_FEEDBACK, transport_format::TMMBN) => {
                Self::Tmmbn(Tmmbn::parse_body(&header, body)?)
            }
            (header::TRANSPORT_FEEDBACK, transport_format::CCFB) => {
                Self::CongestionControlFeedback(CongestionControlFeedback::parse_body(
                    &header, body,
                )?)
            }
            (header::TRANSPORT_FEEDBACK, transport_format::TRANSPORT_CC) => {
                Self::TransportCc(TransportCc::parse_body(&header, body)?)
            }
            (header::EXTENDED_REPORT, _) => {
                Self::ExtendedReport(ExtendedReport::parse_body(&header, body)?)
            }
            (header::PAYLOAD_FEEDBACK, payload_format::PLI) => {
                Self::PictureLossIndication(PictureLossIndication::parse_body(&header, body)?)
            }
            (header::PAYLOAD_FEEDBACK, payload_format::SLI) => {
                Self::SliceLossIndication(SliceLossIndication::parse_body(&header, body)?)
            }
            (header::PAYLOAD_FEEDBACK, payload_format::RPSI) => Self::ReferencePictureSelection(
                ReferencePictureSelection::parse_body(&header, body)?,
            ),
            (header::PAYLOAD_FEEDBACK, payload_format::FIR) => {
                Self::FullIntraRequest(FullIntraRequest::parse_body(&header, body)?)
            }
            (header::PAYLOAD_FEEDBACK, payload_format::AFB) if Remb::is_remb(body) => {
                Self::Remb(Remb::parse_body(&header, body)?)
            }
            _ => Self::Unknown(Unknown { bytes: packet }),
        })
    }

    /// The packet type.
    pub fn packet_type(&self) -> u8 {
        match self {
            Self::SenderReport(_) => header::SENDER_REPORT,
            Self::ReceiverReport(_) => header::RECEIVER_REPORT,
            Self::SourceDescription(_) => header::SOURCE_DESCRIPTION,
            Self::Goodbye(_) => header::GOODBYE,
            Self::ApplicationDefined(_) => header::APPLICATION_DEFINED,
            Self::Nack(_)
            | Self::Tmmbr(_)
            | Self::Tmmbn(_)
            | Self::CongestionControlFeedback(_)
            | Self::TransportCc(_) => header::TRANSPORT_FEEDBACK,
            Self::ExtendedReport(_) => header::EXTENDED_REPORT,
            Self::PictureLossIndication(_)
            | Self::SliceLossIndication(_)
            | Self::ReferencePictureSelection(_)
            | Self::FullIntraRequest(_)
            | Self::Remb(_) => header::PAYLOAD_FEEDBACK,
            Self::Unknown(u) => u.packet_type(),
        }
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        match self {
            Self::SenderReport(p) => p.encoded_len(),
            Self::ReceiverReport(p) => p.encoded_len(),
            Self::SourceDescription(p) => p.encoded_len(),
            Self::Goodbye(p) => p.encoded_len(),
            Self::ApplicationDefined(p) => p.encoded_len(),
            Self::Nack(p) => p.encoded_len(),
            Self::Tmmbr(p) => p.encoded_len(),
            Self::Tmmbn(p) => p.encoded_len(),
            Self::CongestionControlFeedback(p) => p.encoded_len(),
            Self::TransportCc(p) => p.encoded_len(),
            Self::ExtendedReport(p) => p.encoded_len(),
            Self::PictureLossIndication(p) => p.encoded_len(),
            Self::SliceLossIndication(p) => p.encoded_len(),
            Self::ReferencePictureSelection(p) => p.encoded_len(),
            Self::FullIntraRequest(p) => p.encoded_len(),
            Self::Remb(p) => p.encoded_len(),
            Self::Unknown(p) => p.encoded_len(),
        }
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        match self {
            Self::SenderReport(p) => p.write_to(buf),
            Self::ReceiverReport(p) => p.write_to(buf),
            Self::SourceDescription(p) => p.write_to(buf),
            Self::Goodbye(p) => p.write_to(buf),
            Self::ApplicationDefined(p) => p.write_to(buf),
            Self::Nack(p) => p.write_to(buf),
            Self::Tmmbr(p) => p.write_to(buf),
            Self::Tmmbn(p) => p.write_to(buf),
            Self::CongestionControlFeedback(p) => p.write_to(buf),
            Self::TransportCc(p) => p.write_to(buf),
            Self::ExtendedReport(p) => p.write_to(buf),
            Self::PictureLossIndication(p) => p.write_to(buf),
            Self::SliceLossIndication(p) => p.write_to(buf),
            Self::ReferencePictureSelection(p) => p.write_to(buf),
            Self::FullIntraRequest(p) => p.write_to(buf),
            Self::Remb(p) => p.write_to(buf),
            Self::Unknown(p) => p.write_to(buf),
        }
    }
}

/// A compound RTCP packet whose packet boundaries have been checked.
///
/// [`parse`](Self::parse) applies the RFC 3550 appendix A.2 checks: every
/// packet has version 2, the first is an SR or RR, only the last may be
/// padded, and the lengths add up to the datagram exactly.
/// [`parse_reduced_size`](Self::parse_reduced_size) drops the first-packet
/// rule, as RFC 5506 allows. Packets are decoded one by one, lazily, by
/// [`packets`](Self::packets); nothing is allocated.
///
/// ```
/// use sansrtc_rtp::rtcp::{Compound, Packet};
/// let bytes = [
///     0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x2a, // RR from 42, no blocks
///     0x81, 0xce, 0x00, 0x02, 0x00, 0x00, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x07, // PLI
/// ];
/// let compound = Compound::parse(&bytes).unwrap();
/// let mut packets = compound.packets();
/// assert!(matches!(packets.next(), Some(Ok(Packet::ReceiverReport(rr))) if rr.ssrc == 42));
/// assert!(matches!(packets.next(), Some(Ok(Packet::PictureLossIndication(p))) if p.media_ssrc == 7));
/// assert!(packets.next().is_none());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Compound<'a> {
    bytes: &'a [u8],
}

impl<'a> Compound<'a> {
    /// Checks a compound packet (RFC 3550 A.2).
    #[inline]
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        Self::check(bytes, true)
    }

    /// Checks a reduced-size RTCP packet (RFC 5506): like
    /// [`parse`](Self::parse) without the rule that the first packet is a
    /// report.
    #[inline]
    pub fn parse_reduced_size(bytes: &'a [u8]) -> Result<Self, ParseError> {
        Self::check(bytes, false)
    }

    #[inline]
    fn check(bytes: &'a [u8], first_must_be_report: bool) -> Result<Self, ParseError> {
        const WHAT: &str = "compound RTCP packet";
        if bytes.is_empty() {
            return Err(ParseError::Truncated {
                what: WHAT,
                needed: HEADER_LEN,
                have: 0,
            });
        }
        let mut rest = bytes;
        let mut first = true;
        while let Some(&[b0, packet_type, l0, l1]) = rest.first_chunk::<4>() {
            if b0 >> 6 != 2 {
                return Err(ParseError::BadVersion(b0 >> 6));
            }
            if first
                && first_must_be_report
                && packet_type != header::SENDER_REPORT
                && packet_type != header::RECEIVER_REPORT
            {
                return Err(invalid(WHAT, "first packet is not an SR or RR"));
            }
            let len = (usize::from(u16::from_be_bytes([l0, l1])) + 1) * 4;
            let Some((packet, after)) = rest.split_at_checked(len) else {
                return Err(ParseError::Truncated {
                    what: WHAT,
                    needed: len,
                    have: rest.len(),
                });
            };
            if b0 & 0x20 != 0 {
                if !after.is_empty() {
                    return Err(invalid(WHAT, "padding on a packet that is not the last"));
                }
                // Checks the padding count.
                split_packet(packet)?;
            }
            rest = after;
            first = false;
        }
        if !rest.is_empty() {
            return Err(ParseError::Truncated {
                what: WHAT,
                needed: HEADER_LEN,
                have: rest.len(),
            });
        }
        Ok(Self { bytes })
    }

    /// The whole datagram.
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// Decodes the packets one by one.
    #[inline]
    pub fn packets(&self) -> Packets<'a> {
        Packets { rest: self.bytes }
    }
}

/// Iterator over the packets of a [`Compound`]. A packet whose body is
/// malformed yields an error and iteration goes on with the next one.
#[derive(Debug, Clone)]
pub struct Packets<'a> {
    rest: &'a [u8],
}

impl<'a> Packets<'a> {
    /// Iterates over packets in `bytes` without the compound checks (the
    /// iterator stops at the first packet whose header is unreadable).
    pub const fn new(bytes: &'a [u8]) -> Self {
        Self { rest: bytes }
    }
}

impl<'a> Iterator for Packets<'a> {
    type Item = Result<Packet<'a>, ParseError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        Some(next_packet(&mut self.rest))
    }
}

/// Splits the first packet off `rest` and decodes it. Kept out of line:
/// the caller matches on the result, and a [`Packet`] handed over in memory
/// costs less than one rebuilt from every variant's registers.
#[inline(never)]
fn next_packet<'a>(rest: &mut &'a [u8]) -> Result<Packet<'a>, ParseError> {
    match split_packet(rest) {
        Ok(split) => {
            *rest = split.rest;
            Packet::decode(split.header, split.body, split.packet)
        }
        Err(e) => {
            *rest = &[];
            Err(e)
        }
    }
}

/// Length of `packets` written back to back.
pub fn compound_len(packets: &[Packet<'_>]) -> usize {
    packets.iter().map(Packet::encoded_len).sum()
}

/// Writes `packets` back to back into `buf` as a compound RTCP packet;
/// returns the length written.
///
/// The writer and [`Compound::parse`] follow one rule (RFC 3550 section
/// 6.1 and appendix A.2): a compound packet has at least one packet, its
/// first packet is an SR or an RR, and only its last packet may be padded.
/// What breaks it is refused here with [`WriteError::Invalid`], so every
/// compound this writes parses, and a list of packets writes exactly when
/// the packets written back to back would parse. For feedback sent alone
/// (RFC 5506), use [`write_reduced_size`].
pub fn write_compound(packets: &[Packet<'_>], buf: &mut [u8]) -> Result<usize, WriteError> {
    check_compound(packets, true)?;
    write_packets(packets, buf)
}

/// Writes `packets` back to back into `buf` as a reduced-size RTCP packet
/// (RFC 5506): the rule of [`write_compound`] without the first-packet
/// one, as [`Compound::parse_reduced_size`] reads it.
pub fn write_reduced_size(packets: &[Packet<'_>], buf: &mut [u8]) -> Result<usize, WriteError> {
    check_compound(packets, false)?;
    write_packets(packets, buf)
}

/// The rule [`Compound::check`] applies, on the packets to write.
fn check_compound(packets: &[Packet<'_>], first_must_be_report: bool) -> Result<(), WriteError> {
    const WHAT: &str = "compound RTCP packet";
    let Some((last, before)) = packets.split_last() else {
        return Err(write_invalid(WHAT, "no packet"));
    };
    let first = before.first().unwrap_or(last);
    if first_must_be_report
        && !matches!(
            first.packet_type(),
            header::SENDER_REPORT | header::RECEIVER_REPORT
        )
    {
        return Err(write_invalid(WHAT, "first packet is not an SR or RR"));
    }
    // Only packets kept as bytes can be padded.
    if before
        .iter()
        .any(|p| matches!(p, Packet::Unknown(u) if u.header().padding))
    {
        return Err(write_invalid(
            WHAT,
            "padding on a packet that is not the last",
        ));
    }
    Ok(())
}

fn write_packets(packets: &[Packet<'_>], buf: &mut [u8]) -> Result<usize, WriteError> {
    let needed = compound_len(packets);
    if buf.len() < needed {
        return Err(WriteError::BufferTooSmall {
            needed,
            have: buf.len(),
        });
    }
    // Each packet checks that it fits what is left.
    let mut written = 0;
    for packet in packets {
        written += packet.write_to(buf.get_mut(written..).unwrap_or_default())?;
    }
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;
    use alloc::vec::Vec;

    #[test]
    fn compound_checks() {
        let rr = "80c90001 00000001";
        let pli = "81ce0002 00000001 00000002";
        let ok = hex(&alloc::format!("{rr} {pli}"));
        let compound = Compound::parse(&ok).unwrap();
        let packets: Vec<_> = compound.packets().map(Result::unwrap).collect();
        assert_eq!(packets.len(), 2);
        assert_eq!(packets[1].packet_type(), 206);
        let mut out = [0u8; 64];
        let n = write_compound(&packets, &mut out).unwrap();
        assert_eq!(&out[..n], &ok[..]);
        assert_eq!(
            write_compound(&packets, &mut out[..n - 1]),
            Err(WriteError::BufferTooSmall {
                needed: n,
                have: n - 1
            })
        );

        // First packet must be a report, unless reduced-size.
        let reduced = hex(pli);
        assert!(Compound::parse(&reduced).is_err());
        assert!(Compound::parse_reduced_size(&reduced).is_ok());
        // Padding only on the last packet.
        let padded_first = hex("a0c90002 00000001 00000004 81ce0002 00000001 00000002");
        assert!(Compound::parse(&padded_first).is_err());
        let padded_last = hex("80c90001 00000001 a1ce0003 00000001 00000002 00000004");
        let compound = Compound::parse(&padded_last).unwrap();
        assert_eq!(compound.packets().filter(Result::is_ok).count(), 2);
        // Lengths must add up.
        assert!(Compound::parse(&hex("80c90001 00000001 00")).is_err());
        assert!(Compound::parse(&hex("80c90002 00000001")).is_err());
        assert!(Compound::parse(&[]).is_err());
        // Version.
        assert_eq!(
            Compound::parse(&hex("40c90001 00000001")),
            Err(ParseError::BadVersion(1))
        );
    }

    #[test]
    fn unknown_packets_are_kept_as_bytes() {
        let bytes = hex("80c90001 00000001 85d00002 01020304 05060708 8acd0002 00000001 00000002");
        let compound = Compound::parse(&bytes).unwrap();
        let packets: Vec<_> = compound.packets().map(Result::unwrap).collect();
        let Packet::Unknown(u) = packets[1] else {
            panic!("expected an unknown packet, got {:?}", packets[1]);
        };
        assert_eq!(u.packet_type(), 208);
        assert_eq!(u.count(), 5);
        assert_eq!(u.body(), &hex("01020304 05060708")[..]);
        // An unknown feedback format too.
        assert!(matches!(packets[2], Packet::Unknown(u) if u.count() == 10));
        let mut out = [0u8; 64];
        let n = write_compound(&packets, &mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
    }

    #[test]
    fn a_malformed_packet_does_not_hide_the_next() {
        // RR, then a NACK without entries, then a PLI.
        let bytes = hex("80c90001 00000001 81cd0002 00000001 00000002 81ce0002 00000001 00000002");
        let compound = Compound::parse(&bytes).unwrap();
        let results: Vec<_> = compound.packets().collect();
        assert!(results[0].is_ok());
        assert!(results[1].is_err());
        assert!(matches!(results[2], Ok(Packet::PictureLossIndication(_))));
    }

    /// The writer refuses exactly what the parser refuses: a list with no
    /// packet, a first packet that is not a report (compound only), padding
    /// before the last packet.
    #[test]
    fn writer_and_parser_follow_one_rule() {
        let rr = "80c90001 00000001";
        let pli = "81ce0002 00000001 00000002";
        let padded_unknown = "a0d00003 01020304 05060708 00000004";
        let cases = [
            ("", false, false),
            (rr, true, true),
            (pli, false, true),
            (&*alloc::format!("{rr} {pli}"), true, true),
            (&*alloc::format!("{pli} {rr}"), false, true),
            (&*alloc::format!("{rr} {padded_unknown}"), true, true),
            (
                &*alloc::format!("{rr} {padded_unknown} {pli}"),
                false,
                false,
            ),
        ];
        for (text, compound, reduced) in cases {
            let bytes = hex(text);
            let packets: Vec<Packet<'_>> = Packets::new(&bytes).map(Result::unwrap).collect();
            assert_eq!(Compound::parse(&bytes).is_ok(), compound, "{text}");
            assert_eq!(
                Compound::parse_reduced_size(&bytes).is_ok(),
                reduced,
                "{text}"
            );
            let mut out = [0u8; 64];
            let written = write_compound(&packets, &mut out);
            assert_eq!(written.is_ok(), compound, "{text}");
            if let Ok(n) = written {
                assert_eq!(&out[..n], &bytes[..]);
            }
            let written = write_reduced_size(&packets, &mut out);
            assert_eq!(written.is_ok(), reduced, "{text}");
            if let Ok(n) = written {
                assert_eq!(
                    Compound::parse_reduced_size(&out[..n]).unwrap().as_bytes(),
                    &bytes[..]
                );
            }
        }
        assert_eq!(
            write_compound(&[], &mut [0u8; 8]),
            Err(WriteError::Invalid {
                what: "compound RTCP packet",
                reason: "no packet"
            })
        );
        let bytes = hex(pli);
        let packets: Vec<Packet<'_>> = Packets::new(&bytes).map(Result::unwrap).collect();
        assert_eq!(
            write_compound(&packets, &mut [0u8; 16]),
            Err(WriteError::Invalid {
                what: "compound RTCP packet",
                reason: "first packet is not an SR or RR"
            })
        );
    }
}
