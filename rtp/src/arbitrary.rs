//! Owned descriptions of RTP packets, RTCP packets and compound RTCP that
//! write themselves through the crate's writers, for fuzzing and property
//! testing (features `arbitrary` and `proptest`).
//!
//! [`rtp::Builder`] and the RTCP packet types borrow their lists and
//! payloads, so they cannot be generated on their own. [`PacketSpec`],
//! [`RtcpSpec`] and [`CompoundSpec`] own everything and write with
//! [`rtp::Builder`], [`rtcp::Packet::write_to`] and
//! [`rtcp::write_compound`]: what you feed your code is what this crate
//! writes.
//!
//! With the `arbitrary` feature they implement [`arbitrary::Arbitrary`]
//! (as do the plain RTCP items: [`ReportBlock`], [`NackEntry`], ...):
//! every generated value is well formed (fields within the widths the
//! RFCs give them, lists within their counts) and `to_bytes` never fails
//! for it. With the `proptest` feature, [`strategy`](crate::strategy)
//! generates the same types.
//!
//! ```
//! # #[cfg(feature = "arbitrary")] {
//! use arbitrary::{Arbitrary, Unstructured};
//! use sansrtc_rtp::arbitrary::{CompoundSpec, PacketSpec};
//! use sansrtc_rtp::{rtcp, rtp};
//!
//! // In a `cargo fuzz` target, `data` is libFuzzer's input.
//! let data = [0x17; 512];
//! let mut u = Unstructured::new(&data);
//! let packet = PacketSpec::arbitrary(&mut u)?.to_bytes().expect("generated specs write");
//! let report = CompoundSpec::arbitrary(&mut u)?.to_bytes().expect("generated specs write");
//!
//! // Your code under test gets a well-formed RTP packet and compound RTCP.
//! assert!(rtp::Packet::parse(&packet).is_ok());
//! assert!(rtcp::Compound::parse(&report).is_ok());
//! # }
//! # Ok::<(), arbitrary::Error>(())
//! ```

use alloc::vec;
use alloc::vec::Vec;

use crate::error::{WriteError, write_invalid};
use crate::list::List;
use crate::ntp::NtpTime;
use crate::rtcp::ccfb::{CcfbMetric, CcfbStream, CcfbStreams, CongestionControlFeedback};
use crate::rtcp::sdes::{SdesChunk, SdesChunks, SdesItem, SdesItems, item_type};
use crate::rtcp::twcc::{PacketStatus, PacketStatuses, TransportCc};
use crate::rtcp::xr::{
    DlrrItem, ExtendedReport, RleReport, StatisticsSummary, VoipMetrics, XrBlock, XrBlocks,
};
use crate::rtcp::{
    self, ApplicationDefined, FirEntry, FullIntraRequest, Goodbye, Nack, NackEntry,
    PictureLossIndication, ReceiverReport, ReferencePictureSelection, Remb, ReportBlock,
    SenderReport, SliEntry, SliceLossIndication, SourceDescription, Tmmbn, Tmmbr, TmmbrEntry,
};
use crate::rtp::{self, Element, HeaderExtension};

/// Longest payload a generated [`PacketSpec`] carries, in bytes.
pub const MAX_GENERATED_PAYLOAD_LEN: usize = 1200;

/// Most packets a generated [`CompoundSpec`] holds.
pub const MAX_GENERATED_PACKETS: usize = 6;

/// One RFC 8285 header extension element, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ElementSpec {
    /// The local identifier.
    pub id: u8,
    /// The element data.
    pub data: Vec<u8>,
}

/// The header extension of a [`PacketSpec`].
///
/// <https://www.rfc-editor.org/rfc/rfc8285>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ExtensionSpec {
    /// Elements written in the one-byte form when they all fit it (ids
    /// 1..=14, 1..=16 bytes), in the two-byte form otherwise
    /// ([`rtp::Builder::extensions`]).
    Elements(Vec<ElementSpec>),
    /// Elements always in the two-byte form
    /// ([`rtp::Builder::two_byte_extensions`]).
    TwoByte(Vec<ElementSpec>),
    /// A block of another profile, as raw data (a whole number of words).
    Raw {
        /// The 16-bit "defined by profile" field.
        profile: u16,
        /// The data.
        data: Vec<u8>,
    },
}

/// An owned RTP packet, written with [`rtp::Builder`].
///
/// ```
/// use sansrtc_rtp::arbitrary::{ElementSpec, ExtensionSpec, PacketSpec};
/// use sansrtc_rtp::rtp::Packet;
///
/// let mut spec = PacketSpec::new(111, 7, 960, 0x1234_5678);
/// spec.extension = Some(ExtensionSpec::Elements(vec![ElementSpec { id: 1, data: vec![0x12, 0x34] }]));
/// spec.payload = b"opus".to_vec();
/// let bytes = spec.to_bytes()?;
/// let packet = Packet::parse(&bytes).unwrap();
/// assert_eq!(packet.extension().unwrap().get(1), Some(&[0x12, 0x34][..]));
/// assert_eq!(packet.payload(), b"opus");
/// # Ok::<(), sansrtc_rtp::WriteError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PacketSpec {
    /// The marker bit.
    pub marker: bool,
    /// The payload type (0..=127).
    pub payload_type: u8,
    /// The sequence number.
    pub sequence_number: u16,
    /// The timestamp.
    pub timestamp: u32,
    /// The SSRC.
    pub ssrc: u32,
    /// The CSRCs (at most [`rtp::MAX_CSRCS`]).
    pub csrcs: Vec<u32>,
    /// The header extension.
    pub extension: Option<ExtensionSpec>,
    /// The payload.
    pub payload: Vec<u8>,
    /// Bytes of padding (0 for none).
    pub padding: u8,
}

impl PacketSpec {
    /// A packet without CSRCs, extension, payload or padding.
    pub const fn new(payload_type: u8, sequence_number: u16, timestamp: u32, ssrc: u32) -> Self {
        Self {
            marker: false,
            payload_type,
            sequence_number,
            timestamp,
            ssrc,
            csrcs: Vec::new(),
            extension: None,
            payload: Vec::new(),
            padding: 0,
        }
    }

    /// Calls `f` with the [`rtp::Builder`] that writes this packet; fails
    /// for a raw extension block the builder cannot take (data longer than
    /// the length field allows, or malformed RFC 8285 elements).
    pub fn with_builder<R>(&self, f: impl FnOnce(rtp::Builder<'_>) -> R) -> Result<R, WriteError> {
        let builder = rtp::Builder::new()
            .marker(self.marker)
            .payload_type(self.payload_type)
            .sequence_number(self.sequence_number)
            .timestamp(self.timestamp)
            .ssrc(self.ssrc)
            .csrcs(&self.csrcs)
            .payload(&self.payload)
            .padding(self.padding);
        Ok(match &self.extension {
            None => f(builder),
            Some(ExtensionSpec::Elements(elements)) => {
                let elements: Vec<Element<'_>> = elements
                    .iter()
                    .map(|e| Element::new(e.id, &e.data))
                    .collect();
                f(builder.extensions(&elements))
            }
            Some(ExtensionSpec::TwoByte(elements)) => {
                let elements: Vec<Element<'_>> = elements
                    .iter()
                    .map(|e| Element::new(e.id, &e.data))
                    .collect();
                f(builder.two_byte_extensions(&elements))
            }
            Some(ExtensionSpec::Raw { profile, data }) => {
                let extension = HeaderExtension::new(*profile, data).map_err(|_| {
                    write_invalid("RTP header extension", "not a valid extension block")
                })?;
                f(builder.raw_extension(extension))
            }
        })
    }

    /// Length of the packet [`to_bytes`](Self::to_bytes) writes (0 for a
    /// spec that cannot be written).
    pub fn encoded_len(&self) -> usize {
        self.with_builder(|b| b.encoded_len()).unwrap_or(0)
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.with_builder(|b| b.write_to(buf))?
    }

    /// The packet as [`rtp::Builder`] writes it. Never fails for a
    /// generated spec; a spec you changed fails as the builder would.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut buf = vec![0u8; self.encoded_len()];
        let len = self.write_to(&mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }
}

/// One SDES item, owned: CNAME, NAME, ... (types 1 to 7), PRIV (8, with
/// its prefix) or any other type up to 255.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.5>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdesItemSpec {
    /// The item type (not 0, which ends the list).
    pub kind: u8,
    /// The prefix of a PRIV item (ignored for other types).
    pub prefix: Vec<u8>,
    /// The value.
    pub value: Vec<u8>,
}

impl SdesItemSpec {
    fn borrow(&self) -> SdesItem<'_> {
        match self.kind {
            item_type::CNAME => SdesItem::Cname(&self.value),
            item_type::NAME => SdesItem::Name(&self.value),
            item_type::EMAIL => SdesItem::Email(&self.value),
            item_type::PHONE => SdesItem::Phone(&self.value),
            item_type::LOC => SdesItem::Location(&self.value),
            item_type::TOOL => SdesItem::Tool(&self.value),
            item_type::NOTE => SdesItem::Note(&self.value),
            item_type::PRIV => SdesItem::Private {
                prefix: &self.prefix,
                value: &self.value,
            },
            kind => SdesItem::Unknown {
                kind,
                value: &self.value,
            },
        }
    }
}

/// One SDES chunk, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SdesChunkSpec {
    /// The SSRC or CSRC described.
    pub source: u32,
    /// Its items.
    pub items: Vec<SdesItemSpec>,
}

/// The reports about one stream in RFC 8888 feedback, owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CcfbStreamSpec {
    /// The stream's SSRC.
    pub ssrc: u32,
    /// Sequence number of the first report.
    pub begin_sequence: u16,
    /// One report per sequence number.
    pub metrics: Vec<CcfbMetric>,
}

/// A loss or duplicate RLE report block (RFC 3611 §4.1, §4.2), owned.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RleSpec {
    /// Thinning (4 bits).
    pub thinning: u8,
    /// The source reported on.
    pub ssrc: u32,
    /// First sequence number covered.
    pub begin_sequence: u16,
    /// One past the last sequence number covered.
    pub end_sequence: u16,
    /// The chunks (an even number of them: the writer pads an odd count
    /// with a null chunk, which the reader then reads back).
    pub chunks: Vec<u16>,
}

impl RleSpec {
    fn borrow(&self) -> RleReport<'_> {
        RleReport {
            thinning: self.thinning,
            ssrc: self.ssrc,
            begin_sequence: self.begin_sequence,
            end_sequence: self.end_sequence,
            chunks: List::new(&self.chunks),
        }
    }
}

/// One XR report block, owned.
///
/// <https://www.rfc-editor.org/rfc/rfc3611#section-4>
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum XrBlockSpec {
    /// Loss RLE (BT=1).
    LossRle(RleSpec),
    /// Duplicate RLE (BT=2).
    DuplicateRle(RleSpec),
    /// Receiver reference time (BT=4).
    ReceiverReferenceTime(NtpTime),
    /// DLRR (BT=5).
    Dlrr(Vec<DlrrItem>),
    /// Statistics summary (BT=6).
    StatisticsSummary(StatisticsSummary),
    /// VoIP metrics (BT=7).
    VoipMetrics(VoipMetrics),
    /// Another block type (8 and above), with its contents.
    Unknown {
        /// The block type.
        block_type: u8,
        /// The type-specific byte.
        type_specific: u8,
        /// The contents (a whole number of words).
        data: Vec<u8>,
    },
}

impl XrBlockSpec {
    fn borrow(&self) -> XrBlock<'_> {
        match self {
            Self::LossRle(r) => XrBlock::LossRle(r.borrow()),
            Self::DuplicateRle(r) => XrBlock::DuplicateRle(r.borrow()),
            Self::ReceiverReferenceTime(t) => XrBlock::ReceiverReferenceTime(*t),
            Self::Dlrr(items) => XrBlock::Dlrr(List::new(items)),
            Self::StatisticsSummary(s) => XrBlock::StatisticsSummary(*s),
            Self::VoipMetrics(v) => XrBlock::VoipMetrics(*v),
            Self::Unknown {
                block_type,
                type_specific,
                data,
            } => XrBlock::Unknown {
                block_type: *block_type,
                type_specific: *type_specific,
                data,
            },
        }
    }
}

/// An owned RTCP packet: one variant per [`rtcp::Packet`] variant, written
/// by that packet's writer.
///
/// ```
/// use sansrtc_rtp::arbitrary::RtcpSpec;
/// use sansrtc_rtp::rtcp::{NackEntry, Packet};
///
/// let spec = RtcpSpec::Nack {
///     sender_ssrc: 1,
///     media_ssrc: 2,
///     entries: vec![NackEntry { packet_id: 100, lost_bitmask: 0b101 }],
/// };
/// let bytes = spec.to_bytes()?;
/// let Ok(Packet::Nack(nack)) = Packet::parse(&bytes) else { panic!() };
/// assert_eq!(nack.lost_sequence_numbers().collect::<Vec<_>>(), [100, 101, 103]);
/// # Ok::<(), sansrtc_rtp::WriteError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum RtcpSpec {
    /// SR.
    SenderReport {
        /// The sender's SSRC.
        ssrc: u32,
        /// Wallclock time.
        ntp_time: NtpTime,
        /// RTP timestamp matching `ntp_time`.
        rtp_time: u32,
        /// Packets sent.
        packet_count: u32,
        /// Payload octets sent.
        octet_count: u32,
        /// Report blocks (at most 31).
        report_blocks: Vec<ReportBlock>,
        /// Profile-specific extension (a whole number of words).
        profile_extension: Vec<u8>,
    },
    /// RR.
    ReceiverReport {
        /// The receiver's SSRC.
        ssrc: u32,
        /// Report blocks (at most 31).
        report_blocks: Vec<ReportBlock>,
        /// Profile-specific extension (a whole number of words).
        profile_extension: Vec<u8>,
    },
    /// SDES (at most 31 chunks).
    SourceDescription(Vec<SdesChunkSpec>),
    /// BYE.
    Goodbye {
        /// The sources leaving (at most 31).
        sources: Vec<u32>,
        /// The reason (at most 255 bytes).
        reason: Option<Vec<u8>>,
    },
    /// APP.
    ApplicationDefined {
        /// Subtype (5 bits).
        subtype: u8,
        /// SSRC.
        ssrc: u32,
        /// Name (four ASCII characters).
        name: [u8; 4],
        /// Data (a whole number of words).
        data: Vec<u8>,
    },
    /// Generic NACK (at least one entry).
    Nack {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Entries.
        entries: Vec<NackEntry>,
    },
    /// TMMBR.
    Tmmbr {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Entries.
        entries: Vec<TmmbrEntry>,
    },
    /// TMMBN.
    Tmmbn {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Entries.
        entries: Vec<TmmbrEntry>,
    },
    /// RFC 8888 congestion control feedback.
    CongestionControlFeedback {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// The streams reported on.
        streams: Vec<CcfbStreamSpec>,
        /// Report timestamp.
        report_timestamp: u32,
    },
    /// Transport-wide congestion control feedback.
    TransportCc {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Sequence number of the first status.
        base_sequence_number: u16,
        /// Reference time (signed 24 bits, in 64 ms).
        reference_time: i32,
        /// Feedback packet count.
        feedback_packet_count: u8,
        /// One status per packet.
        statuses: Vec<PacketStatus>,
    },
    /// PLI.
    PictureLossIndication(PictureLossIndication),
    /// SLI (at least one entry).
    SliceLossIndication {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Entries.
        entries: Vec<SliEntry>,
    },
    /// RPSI.
    ReferencePictureSelection {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Payload type (0..=127).
        payload_type: u8,
        /// Padding bits at the end of the bit string.
        padding_bits: u8,
        /// The bit string (two bytes short of a whole number of words).
        bit_string: Vec<u8>,
    },
    /// FIR (at least one entry).
    FullIntraRequest {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Entries.
        entries: Vec<FirEntry>,
    },
    /// REMB.
    Remb {
        /// Sender SSRC.
        sender_ssrc: u32,
        /// Media SSRC.
        media_ssrc: u32,
        /// Bit rate exponent (6 bits).
        exponent: u8,
        /// Bit rate mantissa (18 bits).
        mantissa: u32,
        /// SSRCs (at most 255).
        ssrcs: Vec<u32>,
    },
    /// XR.
    ExtendedReport {
        /// The reporter's SSRC.
        ssrc: u32,
        /// The report blocks.
        blocks: Vec<XrBlockSpec>,
    },
    /// A packet this crate does not decode: one whole packet, header and
    /// padding included.
    Unknown(Vec<u8>),
}

/// The lists a compound's packets borrow, one entry per packet (empty for
/// packets that need none).
struct Lowered<'s> {
    sdes_items: Vec<Vec<Vec<SdesItem<'s>>>>,
    ccfb_streams: Vec<Vec<CcfbStream<'s>>>,
    xr_blocks: Vec<Vec<XrBlock<'s>>>,
}

impl<'s> Lowered<'s> {
    fn new(specs: &'s [RtcpSpec]) -> Self {
        let mut lowered = Self {
            sdes_items: Vec::with_capacity(specs.len()),
            ccfb_streams: Vec::with_capacity(specs.len()),
            xr_blocks: Vec::with_capacity(specs.len()),
        };
        for spec in specs {
            lowered.sdes_items.push(match spec {
                RtcpSpec::SourceDescription(chunks) => chunks
                    .iter()
                    .map(|c| c.items.iter().map(SdesItemSpec::borrow).collect())
                    .collect(),
                _ => Vec::new(),
            });
            lowered.ccfb_streams.push(match spec {
                RtcpSpec::CongestionControlFeedback { streams, .. } => streams
                    .iter()
                    .map(|s| CcfbStream {
                        ssrc: s.ssrc,
                        begin_sequence: s.begin_sequence,
                        metrics: List::new(&s.metrics),
                    })
                    .collect(),
                _ => Vec::new(),
            });
            lowered.xr_blocks.push(match spec {
                RtcpSpec::ExtendedReport { blocks, .. } => {
                    blocks.iter().map(XrBlockSpec::borrow).collect()
                }
                _ => Vec::new(),
            });
        }
        lowered
    }
}

impl RtcpSpec {
    /// The packet, borrowing the spec and the lists made for it.
    fn packet<'p>(
        &'p self,
        sdes_chunks: &'p [SdesChunk<'p>],
        ccfb_streams: &'p [CcfbStream<'p>],
        xr_blocks: &'p [XrBlock<'p>],
    ) -> Result<rtcp::Packet<'p>, WriteError> {
        use rtcp::Packet;
        Ok(match self {
            Self::SenderReport {
                ssrc,
                ntp_time,
                rtp_time,
                packet_count,
                octet_count,
                report_blocks,
                profile_extension,
            } => Packet::SenderReport(SenderReport {
                ssrc: *ssrc,
                ntp_time: *ntp_time,
                rtp_time: *rtp_time,
                packet_count: *packet_count,
                octet_count: *octet_count,
                report_blocks: List::new(report_blocks),
                profile_extension,
            }),
            Self::ReceiverReport {
                ssrc,
                report_blocks,
                profile_extension,
            } => Packet::ReceiverReport(ReceiverReport {
                ssrc: *ssrc,
                report_blocks: List::new(report_blocks),
                profile_extension,
            }),
            Self::SourceDescription(_) => Packet::SourceDescription(SourceDescription {
                chunks: SdesChunks::new(sdes_chunks),
            }),
            Self::Goodbye { sources, reason } => Packet::Goodbye(Goodbye {
                sources: List::new(sources),
                reason: reason.as_deref(),
            }),
            Self::ApplicationDefined {
                subtype,
                ssrc,
                name,
                data,
            } => Packet::ApplicationDefined(ApplicationDefined {
                subtype: *subtype,
                ssrc: *ssrc,
                name: *name,
                data,
            }),
            Self::Nack {
                sender_ssrc,
                media_ssrc,
                entries,
            } => Packet::Nack(Nack {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                entries: List::new(entries),
            }),
            Self::Tmmbr {
                sender_ssrc,
                media_ssrc,
                entries,
            } => Packet::Tmmbr(Tmmbr {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                entries: List::new(entries),
            }),
            Self::Tmmbn {
                sender_ssrc,
                media_ssrc,
                entries,
            } => Packet::Tmmbn(Tmmbn {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                entries: List::new(entries),
            }),
            Self::CongestionControlFeedback {
                sender_ssrc,
                report_timestamp,
                ..
            } => Packet::CongestionControlFeedback(CongestionControlFeedback {
                sender_ssrc: *sender_ssrc,
                streams: CcfbStreams::new(ccfb_streams),
                report_timestamp: *report_timestamp,
            }),
            Self::TransportCc {
                sender_ssrc,
                media_ssrc,
                base_sequence_number,
                reference_time,
                feedback_packet_count,
                statuses,
            } => Packet::TransportCc(TransportCc {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                base_sequence_number: *base_sequence_number,
                reference_time: *reference_time,
                feedback_packet_count: *feedback_packet_count,
                statuses: PacketStatuses::new(statuses),
            }),
            Self::PictureLossIndication(pli) => Packet::PictureLossIndication(*pli),
            Self::SliceLossIndication {
                sender_ssrc,
                media_ssrc,
                entries,
            } => Packet::SliceLossIndication(SliceLossIndication {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                entries: List::new(entries),
            }),
            Self::ReferencePictureSelection {
                sender_ssrc,
                media_ssrc,
                payload_type,
                padding_bits,
                bit_string,
            } => Packet::ReferencePictureSelection(ReferencePictureSelection {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                payload_type: *payload_type,
                padding_bits: *padding_bits,
                bit_string,
            }),
            Self::FullIntraRequest {
                sender_ssrc,
                media_ssrc,
                entries,
            } => Packet::FullIntraRequest(FullIntraRequest {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                entries: List::new(entries),
            }),
            Self::Remb {
                sender_ssrc,
                media_ssrc,
                exponent,
                mantissa,
                ssrcs,
            } => Packet::Remb(Remb {
                sender_ssrc: *sender_ssrc,
                media_ssrc: *media_ssrc,
                exponent: *exponent,
                mantissa: *mantissa,
                ssrcs: List::new(ssrcs),
            }),
            Self::ExtendedReport { ssrc, .. } => Packet::ExtendedReport(ExtendedReport {
                ssrc: *ssrc,
                blocks: XrBlocks::new(xr_blocks),
            }),
            Self::Unknown(bytes) => Packet::Unknown(
                rtcp::Unknown::parse(bytes)
                    .map_err(|_| write_invalid("RTCP packet", "not one whole packet"))?,
            ),
        })
    }

    /// Whether this is an SR or an RR (what a compound starts with).
    pub const fn is_report(&self) -> bool {
        matches!(
            self,
            Self::SenderReport { .. } | Self::ReceiverReport { .. }
        )
    }

    /// Whether the packet has its padding bit set (only
    /// [`RtcpSpec::Unknown`] packets can: the writers of the typed
    /// packets write none).
    pub fn is_padded(&self) -> bool {
        matches!(self, Self::Unknown(bytes) if bytes.first().is_some_and(|b| b & 0x20 != 0))
    }

    /// Calls `f` with the [`rtcp::Packet`] this spec describes; fails for
    /// an [`RtcpSpec::Unknown`] that is not one whole packet.
    pub fn with_packet<R>(&self, f: impl FnOnce(&rtcp::Packet<'_>) -> R) -> Result<R, WriteError> {
        with_packets(core::slice::from_ref(self), |packets| {
            packets
                .first()
                .map(f)
                .ok_or(write_invalid("RTCP packet", "no packet"))
        })?
    }

    /// Length of the packet [`to_bytes`](Self::to_bytes) writes (0 for a
    /// spec that cannot be written).
    pub fn encoded_len(&self) -> usize {
        self.with_packet(|p| p.encoded_len()).unwrap_or(0)
    }

    /// Writes the packet into `buf` and returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.with_packet(|p| p.write_to(buf))?
    }

    /// The packet as its writer writes it. Never fails for a generated
    /// spec; a spec you changed fails as the writer would.
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut buf = vec![0u8; self.encoded_len()];
        let len = self.write_to(&mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }
}

/// Calls `f` with the [`rtcp::Packet`]s that `specs` describe, in order;
/// fails for an [`RtcpSpec::Unknown`] that is not one whole packet.
pub fn with_packets<R>(
    specs: &[RtcpSpec],
    f: impl FnOnce(&[rtcp::Packet<'_>]) -> R,
) -> Result<R, WriteError> {
    let lowered = Lowered::new(specs);
    let sdes_chunks: Vec<Vec<SdesChunk<'_>>> = specs
        .iter()
        .zip(&lowered.sdes_items)
        .map(|(spec, items)| match spec {
            RtcpSpec::SourceDescription(chunks) => chunks
                .iter()
                .zip(items)
                .map(|(chunk, items)| SdesChunk {
                    source: chunk.source,
                    items: SdesItems::new(items),
                })
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let packets: Vec<rtcp::Packet<'_>> = specs
        .iter()
        .enumerate()
        .map(|(i, spec)| {
            spec.packet(
                sdes_chunks.get(i).map_or(&[], Vec::as_slice),
                lowered.ccfb_streams.get(i).map_or(&[], Vec::as_slice),
                lowered.xr_blocks.get(i).map_or(&[], Vec::as_slice),
            )
        })
        .collect::<Result<_, _>>()?;
    Ok(f(&packets))
}

/// A compound RTCP packet (RFC 3550 §6.1): an SR or RR first, padding only
/// on the last packet; or, when [`reduced_size`](Self::reduced_size) is
/// set, a reduced-size packet (RFC 5506) of any first packet. Written with
/// [`rtcp::write_compound`] or [`rtcp::write_reduced_size`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CompoundSpec {
    /// Write a reduced-size packet, which may start with any packet.
    pub reduced_size: bool,
    /// The packets, in order (at least one).
    pub packets: Vec<RtcpSpec>,
}

impl CompoundSpec {
    /// Calls `f` with the packets; fails for an [`RtcpSpec::Unknown`] that
    /// is not one whole packet.
    pub fn with_packets<R>(
        &self,
        f: impl FnOnce(&[rtcp::Packet<'_>]) -> R,
    ) -> Result<R, WriteError> {
        with_packets(&self.packets, f)
    }

    /// Length of what [`to_bytes`](Self::to_bytes) writes (0 for a spec
    /// that cannot be written).
    pub fn encoded_len(&self) -> usize {
        self.with_packets(rtcp::compound_len).unwrap_or(0)
    }

    /// Writes the packets back to back into `buf` and returns the length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        self.with_packets(|packets| {
            if self.reduced_size {
                rtcp::write_reduced_size(packets, buf)
            } else {
                rtcp::write_compound(packets, buf)
            }
        })?
    }

    /// The compound packet as the writers write it. Never fails for a
    /// generated spec; a spec you changed fails as the writer would (no
    /// packet, no report first, padding before the last packet).
    pub fn to_bytes(&self) -> Result<Vec<u8>, WriteError> {
        let mut buf = vec![0u8; self.encoded_len()];
        let len = self.write_to(&mut buf)?;
        buf.truncate(len);
        Ok(buf)
    }
}

#[cfg(feature = "arbitrary")]
mod generate {
    //! The [`Arbitrary`] implementations.

    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{
        CcfbStreamSpec, CompoundSpec, ElementSpec, ExtensionSpec, MAX_GENERATED_PACKETS,
        MAX_GENERATED_PAYLOAD_LEN, PacketSpec, RleSpec, RtcpSpec, SdesChunkSpec, SdesItemSpec, Vec,
        XrBlockSpec,
    };
    use crate::ntp::NtpTime;
    use crate::rtcp::ccfb::CcfbMetric;
    use crate::rtcp::header;
    use crate::rtcp::twcc::PacketStatus;
    use crate::rtcp::xr::{DlrrItem, StatisticsSummary, VoipMetrics};
    use crate::rtcp::{
        FirEntry, NackEntry, PictureLossIndication, ReportBlock, SliEntry, TmmbrEntry,
    };
    use crate::rtp::MAX_CSRCS;
    use crate::rtp::extension::{
        AbsSendTime, AudioLevel, PlayoutDelay, TransportSequenceNumber, VideoOrientation,
    };

    /// Up to `max` bytes (fewer when the input runs out).
    fn bytes(u: &mut Unstructured<'_>, max: usize) -> Result<Vec<u8>> {
        let len = u.int_in_range(0..=max)?.min(u.len());
        Ok(u.bytes(len)?.to_vec())
    }

    /// Up to `max_words` 32-bit words.
    fn words(u: &mut Unstructured<'_>, max_words: usize) -> Result<Vec<u8>> {
        let words = u.int_in_range(0..=max_words)?.min(u.len() / 4);
        Ok(u.bytes(4 * words)?.to_vec())
    }

    /// Between `min` and `max` values of `T`.
    fn list<'a, T: Arbitrary<'a>>(
        u: &mut Unstructured<'a>,
        min: usize,
        max: usize,
    ) -> Result<Vec<T>> {
        let len = u.int_in_range(min..=max)?;
        (0..len).map(|_| T::arbitrary(u)).collect()
    }

    impl<'a> Arbitrary<'a> for ElementSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let id = u.int_in_range(1..=14)?;
            // Half the time the value of an extension browsers send.
            let data = match u.int_in_range(0u8..=9)? {
                0 => AbsSendTime(u.int_in_range(0..=0xff_ffff)?)
                    .to_bytes()
                    .to_vec(),
                1 => TransportSequenceNumber(u.arbitrary()?).to_bytes().to_vec(),
                2 => AudioLevel {
                    voice_activity: u.arbitrary()?,
                    level: u.int_in_range(0..=127)?,
                }
                .to_bytes()
                .to_vec(),
                3 => VideoOrientation {
                    back_camera: u.arbitrary()?,
                    flip: u.arbitrary()?,
                    rotation: u.int_in_range(0..=3)?,
                }
                .to_bytes()
                .to_vec(),
                4 => PlayoutDelay {
                    min: u.int_in_range(0..=0xfff)?,
                    max: u.int_in_range(0..=0xfff)?,
                }
                .to_bytes()
                .to_vec(),
                _ => {
                    let mut data = bytes(u, 16)?;
                    if data.is_empty() {
                        data.push(u.arbitrary()?);
                    }
                    data
                }
            };
            Ok(Self { id, data })
        }
    }

    fn two_byte_element(u: &mut Unstructured<'_>) -> Result<ElementSpec> {
        Ok(ElementSpec {
            id: u.int_in_range(1..=255)?,
            data: bytes(u, 40)?,
        })
    }

    impl<'a> Arbitrary<'a> for ExtensionSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(match u.int_in_range(0u8..=5)? {
                0..=2 => Self::Elements(list(u, 0, 6)?),
                3 => {
                    let count = u.int_in_range(0..=6)?;
                    let mut elements = Vec::with_capacity(count);
                    for _ in 0..count {
                        elements.push(two_byte_element(u)?);
                    }
                    // Mixed: some elements that need the two-byte form.
                    elements.extend(list::<ElementSpec>(u, 0, 3)?);
                    Self::Elements(elements)
                }
                4 => {
                    let count = u.int_in_range(0..=6)?;
                    let mut elements = Vec::with_capacity(count);
                    for _ in 0..count {
                        elements.push(two_byte_element(u)?);
                    }
                    Self::TwoByte(elements)
                }
                _ => {
                    let mut profile: u16 = u.arbitrary()?;
                    if profile == crate::rtp::extension::ONE_BYTE_PROFILE
                        || profile & 0xfff0 == crate::rtp::extension::TWO_BYTE_PROFILE
                    {
                        profile = 0xabac;
                    }
                    Self::Raw {
                        profile,
                        data: words(u, 8)?,
                    }
                }
            })
        }
    }

    impl<'a> Arbitrary<'a> for PacketSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                marker: u.arbitrary()?,
                payload_type: u.int_in_range(0..=127)?,
                sequence_number: u.arbitrary()?,
                timestamp: u.arbitrary()?,
                ssrc: u.arbitrary()?,
                csrcs: list(u, 0, MAX_CSRCS)?,
                extension: u.arbitrary()?,
                payload: bytes(u, MAX_GENERATED_PAYLOAD_LEN)?,
                padding: if u.ratio(1u8, 4u8)? {
                    u.int_in_range(1..=255)?
                } else {
                    0
                },
            })
        }
    }

    impl<'a> Arbitrary<'a> for NtpTime {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self(u.arbitrary()?))
        }
    }

    impl<'a> Arbitrary<'a> for ReportBlock {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                ssrc: u.arbitrary()?,
                fraction_lost: u.arbitrary()?,
                cumulative_lost: u.int_in_range(-0x80_0000..=0x7f_ffff)?,
                extended_highest_sequence: u.arbitrary()?,
                jitter: u.arbitrary()?,
                last_sender_report: u.arbitrary()?,
                delay_since_last_sender_report: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for NackEntry {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                packet_id: u.arbitrary()?,
                lost_bitmask: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for TmmbrEntry {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                ssrc: u.arbitrary()?,
                exponent: u.int_in_range(0..=63)?,
                mantissa: u.int_in_range(0..=0x1_ffff)?,
                overhead: u.int_in_range(0..=0x1ff)?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for SliEntry {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                first: u.int_in_range(0..=0x1fff)?,
                number: u.int_in_range(0..=0x1fff)?,
                picture_id: u.int_in_range(0..=63)?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for FirEntry {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                ssrc: u.arbitrary()?,
                sequence_number: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for PictureLossIndication {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for CcfbMetric {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                received: u.arbitrary()?,
                ecn: u.int_in_range(0..=3)?,
                arrival_time_offset: u.int_in_range(0..=0x1fff)?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for PacketStatus {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(match u.int_in_range(0u8..=2)? {
                0 => Self::NotReceived,
                1 => Self::SmallDelta(u.arbitrary()?),
                _ => Self::LargeDelta(u.arbitrary()?),
            })
        }
    }

    impl<'a> Arbitrary<'a> for DlrrItem {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                ssrc: u.arbitrary()?,
                last_receiver_report: u.arbitrary()?,
                delay_since_last_receiver_report: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for StatisticsSummary {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                has_loss: u.arbitrary()?,
                has_duplicates: u.arbitrary()?,
                has_jitter: u.arbitrary()?,
                ttl_or_hop_limit: u.int_in_range(0..=3)?,
                ssrc: u.arbitrary()?,
                begin_sequence: u.arbitrary()?,
                end_sequence: u.arbitrary()?,
                lost_packets: u.arbitrary()?,
                duplicate_packets: u.arbitrary()?,
                min_jitter: u.arbitrary()?,
                max_jitter: u.arbitrary()?,
                mean_jitter: u.arbitrary()?,
                dev_jitter: u.arbitrary()?,
                min_ttl_or_hl: u.arbitrary()?,
                max_ttl_or_hl: u.arbitrary()?,
                mean_ttl_or_hl: u.arbitrary()?,
                dev_ttl_or_hl: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for VoipMetrics {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                ssrc: u.arbitrary()?,
                loss_rate: u.arbitrary()?,
                discard_rate: u.arbitrary()?,
                burst_density: u.arbitrary()?,
                gap_density: u.arbitrary()?,
                burst_duration: u.arbitrary()?,
                gap_duration: u.arbitrary()?,
                round_trip_delay: u.arbitrary()?,
                end_system_delay: u.arbitrary()?,
                signal_level: u.arbitrary()?,
                noise_level: u.arbitrary()?,
                rerl: u.arbitrary()?,
                gmin: u.arbitrary()?,
                r_factor: u.arbitrary()?,
                ext_r_factor: u.arbitrary()?,
                mos_lq: u.arbitrary()?,
                mos_cq: u.arbitrary()?,
                rx_config: u.arbitrary()?,
                jb_nominal: u.arbitrary()?,
                jb_maximum: u.arbitrary()?,
                jb_abs_max: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for SdesItemSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let kind = if u.ratio(7u8, 8u8)? {
                u.int_in_range(1..=8)?
            } else {
                u.int_in_range(9..=255)?
            };
            let prefix = if kind == crate::rtcp::sdes::item_type::PRIV {
                bytes(u, 12)?
            } else {
                Vec::new()
            };
            Ok(Self {
                kind,
                prefix,
                value: bytes(u, 48)?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for SdesChunkSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                source: u.arbitrary()?,
                items: list(u, 0, 4)?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for CcfbStreamSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                ssrc: u.arbitrary()?,
                begin_sequence: u.arbitrary()?,
                metrics: list(u, 0, 40)?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for RleSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let pairs = u.int_in_range(0..=6)?;
            let mut chunks = Vec::with_capacity(2 * pairs);
            for _ in 0..2 * pairs {
                chunks.push(u.arbitrary()?);
            }
            Ok(Self {
                thinning: u.int_in_range(0..=15)?,
                ssrc: u.arbitrary()?,
                begin_sequence: u.arbitrary()?,
                end_sequence: u.arbitrary()?,
                chunks,
            })
        }
    }

    impl<'a> Arbitrary<'a> for XrBlockSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(match u.int_in_range(0u8..=6)? {
                0 => Self::LossRle(u.arbitrary()?),
                1 => Self::DuplicateRle(u.arbitrary()?),
                2 => Self::ReceiverReferenceTime(u.arbitrary()?),
                3 => Self::Dlrr(list(u, 0, 4)?),
                4 => Self::StatisticsSummary(u.arbitrary()?),
                5 => Self::VoipMetrics(u.arbitrary()?),
                _ => Self::Unknown {
                    block_type: u.int_in_range(8..=255)?,
                    type_specific: u.arbitrary()?,
                    data: words(u, 4)?,
                },
            })
        }
    }

    /// One whole packet of a type (or feedback format) this crate keeps as
    /// bytes, padded or not.
    fn unknown_packet(u: &mut Unstructured<'_>, padded: bool) -> Result<Vec<u8>> {
        let (packet_type, count) = match u.int_in_range(0u8..=2)? {
            0 => (
                *u.choose(&[192, 193, 195, 196, 197, 199, 208, 209, 210, 213])?,
                u.int_in_range(0..=31)?,
            ),
            1 => (
                header::TRANSPORT_FEEDBACK,
                *u.choose(&[0, 2, 5, 6, 7, 8, 9, 10, 12, 31])?,
            ),
            _ => (header::PAYLOAD_FEEDBACK, *u.choose(&[0, 5, 6, 7, 31])?),
        };
        let mut body = words(u, 8)?;
        if padded {
            let words = u.int_in_range(1u8..=3)?;
            let padding = 4 * usize::from(words);
            body.resize(body.len() + padding - 1, 0);
            body.push(4 * words);
        }
        let length = (body.len() / 4) as u16;
        let mut packet = Vec::with_capacity(4 + body.len());
        packet.push(0x80 | (u8::from(padded) << 5) | count);
        packet.push(packet_type);
        packet.extend_from_slice(&length.to_be_bytes());
        packet.extend_from_slice(&body);
        Ok(packet)
    }

    fn report(u: &mut Unstructured<'_>) -> Result<RtcpSpec> {
        Ok(if u.arbitrary()? {
            RtcpSpec::SenderReport {
                ssrc: u.arbitrary()?,
                ntp_time: u.arbitrary()?,
                rtp_time: u.arbitrary()?,
                packet_count: u.arbitrary()?,
                octet_count: u.arbitrary()?,
                report_blocks: list(u, 0, 4)?,
                profile_extension: words(u, 2)?,
            }
        } else {
            RtcpSpec::ReceiverReport {
                ssrc: u.arbitrary()?,
                report_blocks: list(u, 0, 4)?,
                profile_extension: words(u, 2)?,
            }
        })
    }

    /// Any packet; padded only when `may_pad`.
    fn packet(u: &mut Unstructured<'_>, may_pad: bool) -> Result<RtcpSpec> {
        Ok(match u.int_in_range(0u8..=16)? {
            0 | 1 => report(u)?,
            2 => RtcpSpec::SourceDescription(list(u, 0, 3)?),
            3 => RtcpSpec::Goodbye {
                sources: list(u, 0, 4)?,
                reason: if u.arbitrary()? {
                    Some(bytes(u, 40)?)
                } else {
                    None
                },
            },
            4 => RtcpSpec::ApplicationDefined {
                subtype: u.int_in_range(0..=31)?,
                ssrc: u.arbitrary()?,
                name: u.arbitrary()?,
                data: words(u, 6)?,
            },
            5 => RtcpSpec::Nack {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
                entries: list(u, 1, 6)?,
            },
            6 => RtcpSpec::Tmmbr {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
                entries: list(u, 0, 4)?,
            },
            7 => RtcpSpec::Tmmbn {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
                entries: list(u, 0, 4)?,
            },
            8 => RtcpSpec::CongestionControlFeedback {
                sender_ssrc: u.arbitrary()?,
                streams: list(u, 0, 3)?,
                report_timestamp: u.arbitrary()?,
            },
            9 => RtcpSpec::TransportCc {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
                base_sequence_number: u.arbitrary()?,
                reference_time: u.int_in_range(-0x80_0000..=0x7f_ffff)?,
                feedback_packet_count: u.arbitrary()?,
                statuses: transport_cc_statuses(u)?,
            },
            10 => RtcpSpec::PictureLossIndication(u.arbitrary()?),
            11 => RtcpSpec::SliceLossIndication {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
                entries: list(u, 1, 4)?,
            },
            12 => {
                // Two bytes short of a whole number of words.
                let words = u.int_in_range(0usize..=3)?;
                let mut bit_string = bytes(u, 4 * words + 2)?;
                bit_string.resize(4 * words + 2, 0);
                let bits = u8::try_from(bit_string.len() * 8).unwrap_or(u8::MAX);
                RtcpSpec::ReferencePictureSelection {
                    sender_ssrc: u.arbitrary()?,
                    media_ssrc: u.arbitrary()?,
                    payload_type: u.int_in_range(0..=127)?,
                    padding_bits: u.int_in_range(0..=bits)?,
                    bit_string,
                }
            }
            13 => RtcpSpec::FullIntraRequest {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
                entries: list(u, 1, 4)?,
            },
            14 => RtcpSpec::Remb {
                sender_ssrc: u.arbitrary()?,
                media_ssrc: u.arbitrary()?,
                exponent: u.int_in_range(0..=63)?,
                mantissa: u.int_in_range(0..=0x3_ffff)?,
                ssrcs: list(u, 0, 4)?,
            },
            15 => RtcpSpec::ExtendedReport {
                ssrc: u.arbitrary()?,
                blocks: list(u, 0, 4)?,
            },
            _ => {
                let padded = may_pad && u.arbitrary()?;
                RtcpSpec::Unknown(unknown_packet(u, padded)?)
            }
        })
    }

    /// Statuses in runs, as transport-cc feedback reports them.
    fn transport_cc_statuses(u: &mut Unstructured<'_>) -> Result<Vec<PacketStatus>> {
        let runs = u.int_in_range(0..=6)?;
        let mut statuses = Vec::new();
        for _ in 0..runs {
            let status: PacketStatus = u.arbitrary()?;
            let len = u.int_in_range(1..=30)?;
            statuses.extend(core::iter::repeat_n(status, len));
            statuses.extend(list::<PacketStatus>(u, 0, 8)?);
        }
        Ok(statuses)
    }

    impl<'a> Arbitrary<'a> for RtcpSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            packet(u, true)
        }
    }

    impl<'a> Arbitrary<'a> for CompoundSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let reduced_size = u.ratio(1u8, 4u8)?;
            let count = u.int_in_range(1..=MAX_GENERATED_PACKETS)?;
            let mut packets = Vec::with_capacity(count);
            for i in 0..count {
                let last = i + 1 == count;
                packets.push(if i == 0 && !reduced_size {
                    report(u)?
                } else {
                    packet(u, last)?
                });
            }
            Ok(Self {
                reduced_size,
                packets,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rtcp::Compound;

    #[test]
    fn a_compound_writes_through_write_compound() {
        let spec = CompoundSpec {
            reduced_size: false,
            packets: vec![
                RtcpSpec::ReceiverReport {
                    ssrc: 42,
                    report_blocks: vec![ReportBlock::default()],
                    profile_extension: vec![],
                },
                RtcpSpec::SourceDescription(vec![SdesChunkSpec {
                    source: 42,
                    items: vec![SdesItemSpec {
                        kind: item_type::CNAME,
                        prefix: vec![],
                        value: b"cname".to_vec(),
                    }],
                }]),
            ],
        };
        let bytes = spec.to_bytes().unwrap();
        assert_eq!(bytes.len(), spec.encoded_len());
        let packets: Vec<rtcp::Packet<'_>> = Compound::parse(&bytes)
            .unwrap()
            .packets()
            .map(Result::unwrap)
            .collect();
        spec.with_packets(|expected| assert_eq!(packets, expected))
            .unwrap();
        // The same packets do not make a compound without a report first.
        let mut reversed = spec.clone();
        reversed.packets.reverse();
        assert!(reversed.to_bytes().is_err());
        reversed.reduced_size = true;
        assert!(reversed.to_bytes().is_ok());
    }

    #[test]
    fn a_changed_spec_fails_as_the_writer_would() {
        let mut packet = PacketSpec::new(200, 1, 2, 3);
        assert!(packet.to_bytes().is_err());
        packet.payload_type = 100;
        packet.csrcs = vec![0; 16];
        assert!(packet.to_bytes().is_err());
        packet.csrcs.clear();
        packet.extension = Some(ExtensionSpec::Raw {
            profile: 0xbede,
            data: vec![0xf0, 0, 0],
        });
        assert!(packet.to_bytes().is_err());
        assert!(RtcpSpec::Unknown(vec![0x80, 195, 0, 5]).to_bytes().is_err());
        assert!(
            RtcpSpec::Goodbye {
                sources: vec![],
                reason: Some(vec![0; 256]),
            }
            .to_bytes()
            .is_err()
        );
    }
}
