//! [proptest](https://docs.rs/proptest) strategies for RTP and RTCP
//! (feature `proptest`): well-formed [`PacketSpec`]s, [`RtcpSpec`]s and
//! [`CompoundSpec`]s that write themselves through the crate's writers,
//! and near-valid packets (one defect each) for negative tests.
//!
//! ```
//! use proptest::prelude::*;
//! use sansrtc_rtp::arbitrary::{CompoundSpec, PacketSpec};
//! use sansrtc_rtp::strategy::{near_valid_compound, near_valid_packet};
//! use sansrtc_rtp::{rtcp, rtp};
//!
//! proptest!(|(spec in any::<PacketSpec>())| {
//!     let bytes = spec.to_bytes().unwrap();
//!     prop_assert_eq!(rtp::Packet::parse(&bytes).unwrap().ssrc(), spec.ssrc);
//! });
//! proptest!(|(spec in any::<CompoundSpec>())| {
//!     prop_assert!(rtcp::Compound::parse_reduced_size(&spec.to_bytes().unwrap()).is_ok());
//! });
//! // Your parser, like ours, must refuse each of these.
//! proptest!(|(near in near_valid_packet())| {
//!     prop_assert!(rtp::Packet::parse(&near.bytes).is_err(), "{:?}", near.defect);
//! });
//! proptest!(|(near in near_valid_compound())| {
//!     prop_assert!(rtcp::Compound::parse(&near.bytes).is_err(), "{:?}", near.defect);
//! });
//! ```

use alloc::vec;
use alloc::vec::Vec;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::arbitrary::{
    CcfbStreamSpec, CompoundSpec, ElementSpec, ExtensionSpec, MAX_GENERATED_PACKETS,
    MAX_GENERATED_PAYLOAD_LEN, PacketSpec, RleSpec, RtcpSpec, SdesChunkSpec, SdesItemSpec,
    XrBlockSpec,
};
use crate::ntp::NtpTime;
use crate::rtcp::ccfb::CcfbMetric;
use crate::rtcp::twcc::PacketStatus;
use crate::rtcp::xr::{DlrrItem, StatisticsSummary, VoipMetrics};
use crate::rtcp::{FirEntry, NackEntry, PictureLossIndication, ReportBlock, SliEntry, TmmbrEntry};
use crate::rtp::extension::{ONE_BYTE_PROFILE, TWO_BYTE_PROFILE};
use crate::rtp::{FIXED_HEADER_LEN, MAX_CSRCS};

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<u8>(), 0..=max)
}

fn words(max_words: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<[u8; 4]>(), 0..=max_words).prop_map(|w| w.concat())
}

fn element() -> impl Strategy<Value = ElementSpec> {
    (1u8..=14, vec(any::<u8>(), 1..=16)).prop_map(|(id, data)| ElementSpec { id, data })
}

fn two_byte_element() -> impl Strategy<Value = ElementSpec> {
    (1u8..=255, bytes(40)).prop_map(|(id, data)| ElementSpec { id, data })
}

/// A header extension: RFC 8285 elements in either form, or a raw block of
/// another profile.
pub fn extension() -> impl Strategy<Value = ExtensionSpec> {
    prop_oneof![
        3 => vec(element(), 0..6).prop_map(ExtensionSpec::Elements),
        1 => (vec(two_byte_element(), 0..4), vec(element(), 0..3)).prop_map(|(mut a, b)| {
            a.extend(b);
            ExtensionSpec::Elements(a)
        }),
        1 => vec(two_byte_element(), 0..6).prop_map(ExtensionSpec::TwoByte),
        1 => (
            any::<u16>().prop_filter("another profile", |p| {
                *p != ONE_BYTE_PROFILE && *p & 0xfff0 != TWO_BYTE_PROFILE
            }),
            words(8)
        )
            .prop_map(|(profile, data)| ExtensionSpec::Raw { profile, data }),
    ]
}

/// Any well-formed RTP packet.
pub fn packet() -> impl Strategy<Value = PacketSpec> {
    (
        (
            any::<bool>(),
            0u8..=127,
            any::<u16>(),
            any::<u32>(),
            any::<u32>(),
        ),
        vec(any::<u32>(), 0..=MAX_CSRCS),
        option::of(extension()),
        bytes(MAX_GENERATED_PAYLOAD_LEN / 4),
        prop_oneof![3 => Just(0u8), 1 => 1u8..=255],
    )
        .prop_map(
            |(
                (marker, payload_type, sequence_number, timestamp, ssrc),
                csrcs,
                extension,
                payload,
                padding,
            )| {
                PacketSpec {
                    marker,
                    payload_type,
                    sequence_number,
                    timestamp,
                    ssrc,
                    csrcs,
                    extension,
                    payload,
                    padding,
                }
            },
        )
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..=0x7f_ffff,
        any::<[u32; 4]>(),
    )
        .prop_map(
            |(ssrc, fraction_lost, cumulative_lost, [ehs, jitter, lsr, dlsr])| ReportBlock {
                ssrc,
                fraction_lost,
                cumulative_lost,
                extended_highest_sequence: ehs,
                jitter,
                last_sender_report: lsr,
                delay_since_last_sender_report: dlsr,
            },
        )
}

fn report() -> impl Strategy<Value = RtcpSpec> {
    prop_oneof![
        (
            any::<u32>(),
            any::<u64>(),
            any::<[u32; 3]>(),
            vec(report_block(), 0..=4),
            words(2)
        )
            .prop_map(
                |(
                    ssrc,
                    ntp,
                    [rtp_time, packet_count, octet_count],
                    report_blocks,
                    profile_extension,
                )| {
                    RtcpSpec::SenderReport {
                        ssrc,
                        ntp_time: NtpTime(ntp),
                        rtp_time,
                        packet_count,
                        octet_count,
                        report_blocks,
                        profile_extension,
                    }
                }
            ),
        (any::<u32>(), vec(report_block(), 0..=4), words(2)).prop_map(
            |(ssrc, report_blocks, profile_extension)| RtcpSpec::ReceiverReport {
                ssrc,
                report_blocks,
                profile_extension,
            }
        ),
    ]
}

fn sdes_item() -> impl Strategy<Value = SdesItemSpec> {
    (
        prop_oneof![7 => 1u8..=8, 1 => 9u8..=255],
        bytes(12),
        bytes(48),
    )
        .prop_map(|(kind, prefix, value)| SdesItemSpec {
            kind,
            prefix: if kind == 8 { prefix } else { Vec::new() },
            value,
        })
}

fn xr_block() -> impl Strategy<Value = XrBlockSpec> {
    let rle = (
        0u8..16,
        any::<u32>(),
        any::<u16>(),
        any::<u16>(),
        vec(any::<[u16; 2]>(), 0..6),
    )
        .prop_map(
            |(thinning, ssrc, begin_sequence, end_sequence, chunks)| RleSpec {
                thinning,
                ssrc,
                begin_sequence,
                end_sequence,
                chunks: chunks.concat(),
            },
        );
    let summary = (
        any::<(bool, bool, bool)>(),
        0u8..4,
        (any::<u32>(), any::<u16>(), any::<u16>()),
        any::<[u32; 6]>(),
        any::<[u8; 4]>(),
    )
        .prop_map(
            |((l, d, j), ttl, (ssrc, begin, end), w, t)| StatisticsSummary {
                has_loss: l,
                has_duplicates: d,
                has_jitter: j,
                ttl_or_hop_limit: ttl,
                ssrc,
                begin_sequence: begin,
                end_sequence: end,
                lost_packets: w[0],
                duplicate_packets: w[1],
                min_jitter: w[2],
                max_jitter: w[3],
                mean_jitter: w[4],
                dev_jitter: w[5],
                min_ttl_or_hl: t[0],
                max_ttl_or_hl: t[1],
                mean_ttl_or_hl: t[2],
                dev_ttl_or_hl: t[3],
            },
        );
    let voip = (
        any::<u32>(),
        any::<[u8; 4]>(),
        any::<[u16; 4]>(),
        any::<[u8; 9]>(),
        any::<[u16; 3]>(),
    )
        .prop_map(|(ssrc, rates, durations, levels, jb)| VoipMetrics {
            ssrc,
            loss_rate: rates[0],
            discard_rate: rates[1],
            burst_density: rates[2],
            gap_density: rates[3],
            burst_duration: durations[0],
            gap_duration: durations[1],
            round_trip_delay: durations[2],
            end_system_delay: durations[3],
            signal_level: levels[0],
            noise_level: levels[1],
            rerl: levels[2],
            gmin: levels[3],
            r_factor: levels[4],
            ext_r_factor: levels[5],
            mos_lq: levels[6],
            mos_cq: levels[7],
            rx_config: levels[8],
            jb_nominal: jb[0],
            jb_maximum: jb[1],
            jb_abs_max: jb[2],
        });
    prop_oneof![
        rle.clone().prop_map(XrBlockSpec::LossRle),
        rle.prop_map(XrBlockSpec::DuplicateRle),
        any::<u64>().prop_map(|t| XrBlockSpec::ReceiverReferenceTime(NtpTime(t))),
        vec(any::<[u32; 3]>(), 0..4).prop_map(|items| XrBlockSpec::Dlrr(
            items
                .into_iter()
                .map(|[ssrc, lrr, dlrr]| DlrrItem {
                    ssrc,
                    last_receiver_report: lrr,
                    delay_since_last_receiver_report: dlrr,
                })
                .collect()
        )),
        summary.prop_map(XrBlockSpec::StatisticsSummary),
        voip.prop_map(XrBlockSpec::VoipMetrics),
        (8u8..=255, any::<u8>(), words(4)).prop_map(|(block_type, type_specific, data)| {
            XrBlockSpec::Unknown {
                block_type,
                type_specific,
                data,
            }
        }),
    ]
}

fn status() -> impl Strategy<Value = PacketStatus> {
    prop_oneof![
        Just(PacketStatus::NotReceived),
        any::<u8>().prop_map(PacketStatus::SmallDelta),
        any::<i16>().prop_map(PacketStatus::LargeDelta),
    ]
}

fn statuses() -> impl Strategy<Value = Vec<PacketStatus>> {
    vec((status(), 1usize..30, vec(status(), 0..8)), 0..6).prop_map(|runs| {
        runs.into_iter()
            .flat_map(|(status, len, tail)| core::iter::repeat_n(status, len).chain(tail))
            .collect()
    })
}

fn feedback() -> impl Strategy<Value = RtcpSpec> {
    let nack = (any::<u32>(), any::<u32>(), vec(any::<(u16, u16)>(), 1..6)).prop_map(
        |(sender_ssrc, media_ssrc, entries)| RtcpSpec::Nack {
            sender_ssrc,
            media_ssrc,
            entries: entries
                .into_iter()
                .map(|(packet_id, lost_bitmask)| NackEntry {
                    packet_id,
                    lost_bitmask,
                })
                .collect(),
        },
    );
    let tmmb_entries =
        vec((any::<u32>(), 0u8..64, 0u32..0x2_0000, 0u16..0x200), 0..4).prop_map(|entries| {
            entries
                .into_iter()
                .map(|(ssrc, exponent, mantissa, overhead)| TmmbrEntry {
                    ssrc,
                    exponent,
                    mantissa,
                    overhead,
                })
                .collect::<Vec<_>>()
        });
    let tmmb = (any::<u32>(), any::<u32>(), tmmb_entries, any::<bool>()).prop_map(
        |(sender_ssrc, media_ssrc, entries, notification)| {
            if notification {
                RtcpSpec::Tmmbn {
                    sender_ssrc,
                    media_ssrc,
                    entries,
                }
            } else {
                RtcpSpec::Tmmbr {
                    sender_ssrc,
                    media_ssrc,
                    entries,
                }
            }
        },
    );
    let ccfb_stream = (
        any::<u32>(),
        any::<u16>(),
        vec((any::<bool>(), 0u8..4, 0u16..0x2000), 0..40),
    )
        .prop_map(|(ssrc, begin_sequence, metrics)| CcfbStreamSpec {
            ssrc,
            begin_sequence,
            metrics: metrics
                .into_iter()
                .map(|(received, ecn, arrival_time_offset)| CcfbMetric {
                    received,
                    ecn,
                    arrival_time_offset,
                })
                .collect(),
        });
    let ccfb = (any::<u32>(), vec(ccfb_stream, 0..3), any::<u32>()).prop_map(
        |(sender_ssrc, streams, report_timestamp)| RtcpSpec::CongestionControlFeedback {
            sender_ssrc,
            streams,
            report_timestamp,
        },
    );
    let twcc = (
        any::<(u32, u32, u16, u8)>(),
        -0x80_0000i32..=0x7f_ffff,
        statuses(),
    )
        .prop_map(
            |((sender_ssrc, media_ssrc, base, count), reference_time, statuses)| {
                RtcpSpec::TransportCc {
                    sender_ssrc,
                    media_ssrc,
                    base_sequence_number: base,
                    reference_time,
                    feedback_packet_count: count,
                    statuses,
                }
            },
        );
    let pli = any::<(u32, u32)>().prop_map(|(sender_ssrc, media_ssrc)| {
        RtcpSpec::PictureLossIndication(PictureLossIndication {
            sender_ssrc,
            media_ssrc,
        })
    });
    let sli = (
        any::<(u32, u32)>(),
        vec((0u16..0x2000, 0u16..0x2000, 0u8..64), 1..4),
    )
        .prop_map(
            |((sender_ssrc, media_ssrc), entries)| RtcpSpec::SliceLossIndication {
                sender_ssrc,
                media_ssrc,
                entries: entries
                    .into_iter()
                    .map(|(first, number, picture_id)| SliEntry {
                        first,
                        number,
                        picture_id,
                    })
                    .collect(),
            },
        );
    let rpsi = (
        any::<(u32, u32)>(),
        0u8..128,
        0usize..4,
        any::<u8>(),
        bytes(14),
    )
        .prop_map(
            |((sender_ssrc, media_ssrc), payload_type, words, padding_bits, mut bit_string)| {
                // Two bytes short of a whole number of words.
                bit_string.resize(4 * words + 2, 0);
                let bits = u8::try_from(bit_string.len() * 8).unwrap_or(u8::MAX);
                RtcpSpec::ReferencePictureSelection {
                    sender_ssrc,
                    media_ssrc,
                    payload_type,
                    padding_bits: padding_bits.min(bits),
                    bit_string,
                }
            },
        );
    let fir = (any::<(u32, u32)>(), vec(any::<(u32, u8)>(), 1..4)).prop_map(
        |((sender_ssrc, media_ssrc), entries)| RtcpSpec::FullIntraRequest {
            sender_ssrc,
            media_ssrc,
            entries: entries
                .into_iter()
                .map(|(ssrc, sequence_number)| FirEntry {
                    ssrc,
                    sequence_number,
                })
                .collect(),
        },
    );
    let remb = (
        any::<(u32, u32)>(),
        0u8..64,
        0u32..0x4_0000,
        vec(any::<u32>(), 0..4),
    )
        .prop_map(
            |((sender_ssrc, media_ssrc), exponent, mantissa, ssrcs)| RtcpSpec::Remb {
                sender_ssrc,
                media_ssrc,
                exponent,
                mantissa,
                ssrcs,
            },
        );
    prop_oneof![nack, tmmb, ccfb, twcc, pli, sli, rpsi, fir, remb]
}

/// One whole packet of a type (or feedback format) the crate keeps as
/// bytes, with padding when `padded`.
fn unknown(padded: bool) -> impl Strategy<Value = RtcpSpec> {
    let kind = prop_oneof![
        (
            prop::sample::select(vec![192u8, 193, 195, 196, 197, 199, 208, 209, 210, 213]),
            0u8..32
        ),
        (
            Just(205u8),
            prop::sample::select(vec![0u8, 2, 5, 6, 7, 8, 9, 10, 12, 31])
        ),
        (Just(206u8), prop::sample::select(vec![0u8, 5, 6, 7, 31])),
    ];
    (kind, words(8), 1u8..=3).prop_map(move |((packet_type, count), mut body, pad_words)| {
        if padded {
            let padding = 4 * usize::from(pad_words);
            body.resize(body.len() + padding - 1, 0);
            body.push(4 * pad_words);
        }
        let length = (body.len() / 4) as u16;
        let mut packet = Vec::with_capacity(4 + body.len());
        packet.push(0x80 | (u8::from(padded) << 5) | count);
        packet.push(packet_type);
        packet.extend_from_slice(&length.to_be_bytes());
        packet.extend_from_slice(&body);
        RtcpSpec::Unknown(packet)
    })
}

fn rtcp_packet_padded(may_pad: bool) -> impl Strategy<Value = RtcpSpec> {
    let others = prop_oneof![
        vec(
            (any::<u32>(), vec(sdes_item(), 0..4))
                .prop_map(|(source, items)| SdesChunkSpec { source, items }),
            0..3
        )
        .prop_map(RtcpSpec::SourceDescription),
        (vec(any::<u32>(), 0..4), option::of(bytes(40)))
            .prop_map(|(sources, reason)| RtcpSpec::Goodbye { sources, reason }),
        (0u8..32, any::<u32>(), any::<[u8; 4]>(), words(6)).prop_map(
            |(subtype, ssrc, name, data)| RtcpSpec::ApplicationDefined {
                subtype,
                ssrc,
                name,
                data,
            }
        ),
        (any::<u32>(), vec(xr_block(), 0..4))
            .prop_map(|(ssrc, blocks)| RtcpSpec::ExtendedReport { ssrc, blocks }),
    ];
    let unknown = if may_pad {
        prop_oneof![unknown(false), unknown(true)].boxed()
    } else {
        unknown(false).boxed()
    };
    prop_oneof![2 => report(), 2 => others, 4 => feedback(), 1 => unknown]
}

/// Any well-formed RTCP packet (an [`RtcpSpec::Unknown`] one may be padded).
pub fn rtcp_packet() -> impl Strategy<Value = RtcpSpec> {
    rtcp_packet_padded(true)
}

/// A compound packet: an SR or RR first (unless reduced-size), then up to
/// [`MAX_GENERATED_PACKETS`] packets in all, padding only on the last.
pub fn compound() -> impl Strategy<Value = CompoundSpec> {
    (
        any::<bool>(),
        report(),
        rtcp_packet_padded(false),
        vec(rtcp_packet_padded(false), 0..MAX_GENERATED_PACKETS - 1),
        rtcp_packet_padded(true),
        any::<bool>(),
    )
        .prop_map(|(reduced_size, report, first, mut middle, last, one)| {
            let first = if reduced_size { first } else { report };
            let mut packets = vec![first];
            if !one {
                middle.truncate(MAX_GENERATED_PACKETS - 2);
                packets.append(&mut middle);
                packets.push(last);
            }
            CompoundSpec {
                reduced_size,
                packets,
            }
        })
}

impl Arbitrary for PacketSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        packet().boxed()
    }
}

impl Arbitrary for RtcpSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        rtcp_packet().boxed()
    }
}

impl Arbitrary for CompoundSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        compound().boxed()
    }
}

/// What is wrong with a [`NearValidPacket`]. Each defect makes
/// [`rtp::Packet::parse`](crate::rtp::Packet::parse) fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketDefect {
    /// Cut to this many bytes, inside the header (fixed part, CSRCs or
    /// extension).
    Truncated(usize),
    /// The version field set to this value (not 2).
    Version(u8),
    /// The padding bit set with this count in the last byte: zero, or more
    /// than the payload holds.
    Padding(u8),
    /// The extension length field (of a packet with an extension) raised
    /// past the end of the packet, to this many words.
    ExtensionLength(u16),
}

/// An RTP packet that is right but for one [`PacketDefect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearValidPacket {
    /// The well-formed packet it was made from.
    pub spec: PacketSpec,
    /// What was changed.
    pub defect: PacketDefect,
    /// The bytes with the defect.
    pub bytes: Vec<u8>,
}

/// The length of the header `spec` writes, and where its extension header
/// is, if it has one.
fn header_layout(spec: &PacketSpec) -> (usize, Option<usize>) {
    let csrc_end = FIXED_HEADER_LEN + 4 * spec.csrcs.len();
    let payload_start = spec.encoded_len() - spec.payload.len() - usize::from(spec.padding);
    let extension = spec.extension.as_ref().map(|_| csrc_end);
    (payload_start, extension)
}

fn packet_defect(spec: &PacketSpec) -> BoxedStrategy<PacketDefect> {
    let (header_len, extension) = header_layout(spec);
    let total = spec.encoded_len();
    let room = total - header_len;
    let mut defects = vec![
        (0..header_len).prop_map(PacketDefect::Truncated).boxed(),
        prop_oneof![Just(0u8), Just(1), Just(3)]
            .prop_map(PacketDefect::Version)
            .boxed(),
    ];
    // A count the payload cannot hold (or zero).
    let too_long: Vec<u8> = (0..=255u8)
        .filter(|count| *count == 0 || usize::from(*count) > room)
        .collect();
    defects.push(
        prop::sample::select(too_long)
            .prop_map(PacketDefect::Padding)
            .boxed(),
    );
    if let Some(start) = extension {
        let words = (header_len - start - 4) / 4;
        // Past the end: more words than the packet has after the header.
        let min = words + (total - header_len) / 4 + 1;
        if let Ok(min) = u16::try_from(min) {
            defects.push(
                (min..=u16::MAX)
                    .prop_map(PacketDefect::ExtensionLength)
                    .boxed(),
            );
        }
    }
    proptest::strategy::Union::new(defects).boxed()
}

fn apply_packet_defect(spec: &PacketSpec, defect: &PacketDefect) -> Vec<u8> {
    let mut bytes = spec.to_bytes().unwrap_or_default();
    match defect {
        PacketDefect::Truncated(len) => bytes.truncate(*len),
        PacketDefect::Version(version) => {
            if let Some(first) = bytes.first_mut() {
                *first = (*first & 0x3f) | (version << 6);
            }
        }
        PacketDefect::Padding(count) => {
            if let Some(first) = bytes.first_mut() {
                *first |= 0x20;
            }
            if let Some(last) = bytes.last_mut() {
                *last = *count;
            }
        }
        PacketDefect::ExtensionLength(words) => {
            let (_, extension) = header_layout(spec);
            if let Some(field) = extension.and_then(|start| bytes.get_mut(start + 2..start + 4)) {
                field.copy_from_slice(&words.to_be_bytes());
            }
        }
    }
    bytes
}

/// A well-formed RTP packet with one [`PacketDefect`]: truncated inside
/// its header, a wrong version, a padding count out of range, an extension
/// longer than the packet. [`rtp::Packet::parse`](crate::rtp::Packet::parse)
/// refuses every one.
pub fn near_valid_packet() -> impl Strategy<Value = NearValidPacket> {
    packet().prop_flat_map(|spec| {
        let defect = packet_defect(&spec);
        (Just(spec), defect).prop_map(|(spec, defect)| {
            let bytes = apply_packet_defect(&spec, &defect);
            NearValidPacket {
                spec,
                defect,
                bytes,
            }
        })
    })
}

/// What is wrong with a [`NearValidCompound`]. Each defect makes
/// [`rtcp::Compound::parse`](crate::rtcp::Compound::parse) fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CompoundDefect {
    /// Cut to this many bytes, not at a packet boundary.
    Truncated(usize),
    /// One to three bytes appended (less than a packet header).
    Padded(usize),
    /// The version of this packet (by index) set to a value other than 2.
    Version(usize, u8),
    /// The first packet's type changed to this one, not SR or RR.
    FirstNotReport(u8),
    /// The last packet's length field raised past the end, to this many
    /// words.
    LastLength(u16),
    /// The padding bit set on this packet (by index), which is not the
    /// last.
    PaddingNotLast(usize),
}

/// A compound RTCP packet that is right but for one [`CompoundDefect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearValidCompound {
    /// The well-formed compound it was made from (never reduced-size).
    pub spec: CompoundSpec,
    /// What was changed.
    pub defect: CompoundDefect,
    /// The bytes with the defect.
    pub bytes: Vec<u8>,
}

/// Where each packet of `spec` starts.
fn packet_starts(spec: &CompoundSpec) -> Vec<usize> {
    let mut starts = Vec::with_capacity(spec.packets.len());
    let mut at = 0;
    for packet in &spec.packets {
        starts.push(at);
        at += packet.encoded_len();
    }
    starts
}

fn compound_defect(spec: &CompoundSpec) -> BoxedStrategy<CompoundDefect> {
    let starts = packet_starts(spec);
    let total = spec.encoded_len();
    let count = spec.packets.len();
    let last_start = starts.last().copied().unwrap_or(0);
    let last_words = (total - last_start) / 4 - 1;
    let later_starts = starts.get(1..).unwrap_or_default();
    let cuts: Vec<usize> = (0..total)
        .filter(|cut| !later_starts.contains(cut))
        .collect();
    let mut defects = vec![
        prop::sample::select(cuts)
            .prop_map(CompoundDefect::Truncated)
            .boxed(),
        (1usize..=3).prop_map(CompoundDefect::Padded).boxed(),
        (0..count, prop_oneof![Just(0u8), Just(1), Just(3)])
            .prop_map(|(i, v)| CompoundDefect::Version(i, v))
            .boxed(),
        prop::sample::select(vec![202u8, 203, 204, 205, 206, 207, 195, 210])
            .prop_map(CompoundDefect::FirstNotReport)
            .boxed(),
    ];
    if let Ok(min) = u16::try_from(last_words + 1) {
        defects.push(
            (min..=u16::MAX)
                .prop_map(CompoundDefect::LastLength)
                .boxed(),
        );
    }
    if count > 1 {
        defects.push(
            (0..count - 1)
                .prop_map(CompoundDefect::PaddingNotLast)
                .boxed(),
        );
    }
    proptest::strategy::Union::new(defects).boxed()
}

fn apply_compound_defect(spec: &CompoundSpec, defect: &CompoundDefect) -> Vec<u8> {
    let mut bytes = spec.to_bytes().unwrap_or_default();
    let starts = packet_starts(spec);
    let at = |i: usize| starts.get(i).copied().unwrap_or(0);
    match defect {
        CompoundDefect::Truncated(len) => bytes.truncate(*len),
        CompoundDefect::Padded(extra) => bytes.resize(bytes.len() + extra, 0xff),
        CompoundDefect::Version(i, version) => {
            if let Some(first) = bytes.get_mut(at(*i)) {
                *first = (*first & 0x3f) | (version << 6);
            }
        }
        CompoundDefect::FirstNotReport(packet_type) => {
            if let Some(slot) = bytes.get_mut(1) {
                *slot = *packet_type;
            }
        }
        CompoundDefect::LastLength(words) => {
            let start = at(spec.packets.len().saturating_sub(1));
            if let Some(field) = bytes.get_mut(start + 2..start + 4) {
                field.copy_from_slice(&words.to_be_bytes());
            }
        }
        CompoundDefect::PaddingNotLast(i) => {
            if let Some(first) = bytes.get_mut(at(*i)) {
                *first |= 0x20;
            }
        }
    }
    bytes
}

/// A well-formed compound RTCP packet (SR or RR first) with one
/// [`CompoundDefect`]: truncated or padded off a packet boundary, a wrong
/// version, no report first, a last packet longer than the datagram,
/// padding before the last packet.
/// [`rtcp::Compound::parse`](crate::rtcp::Compound::parse) refuses every
/// one.
pub fn near_valid_compound() -> impl Strategy<Value = NearValidCompound> {
    compound()
        .prop_map(|mut spec| {
            spec.reduced_size = false;
            if !spec.packets.first().is_some_and(RtcpSpec::is_report) {
                spec.packets.insert(
                    0,
                    RtcpSpec::ReceiverReport {
                        ssrc: 1,
                        report_blocks: Vec::new(),
                        profile_extension: Vec::new(),
                    },
                );
            }
            spec
        })
        .prop_flat_map(|spec| {
            let defect = compound_defect(&spec);
            (Just(spec), defect).prop_map(|(spec, defect)| {
                let bytes = apply_compound_defect(&spec, &defect);
                NearValidCompound {
                    spec,
                    defect,
                    bytes,
                }
            })
        })
}
