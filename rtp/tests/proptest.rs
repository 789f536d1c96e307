//! Property tests: every codec writes what it parses and parses what it
//! writes, and arbitrary bytes never make a parser panic.

use proptest::collection::vec;
use proptest::prelude::*;
use sansrtc_rtp::list::List;
use sansrtc_rtp::ntp::NtpTime;
use sansrtc_rtp::rtcp::ccfb::{CcfbMetric, CcfbStream, CcfbStreams, CongestionControlFeedback};
use sansrtc_rtp::rtcp::twcc::{PacketStatus, PacketStatuses, TransportCc};
use sansrtc_rtp::rtcp::xr::{
    DlrrItem, ExtendedReport, RleReport, StatisticsSummary, VoipMetrics, XrBlock, XrBlocks,
};
use sansrtc_rtp::rtcp::{
    self, ApplicationDefined, Compound, FirEntry, FullIntraRequest, Goodbye, Nack, NackEntry,
    Packet, Packets, PictureLossIndication, ReceiverReport, ReferencePictureSelection, Remb,
    ReportBlock, SdesChunk, SdesChunks, SdesItem, SdesItems, SenderReport, SliEntry,
    SliceLossIndication, SourceDescription, Tmmbn, Tmmbr, TmmbrEntry,
};
use sansrtc_rtp::rtp::{self, Element, HeaderExtension};

fn write_rtcp(packet: &Packet<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; packet.encoded_len()];
    let n = packet.write_to(&mut buf).unwrap();
    assert_eq!(n, buf.len());
    buf
}

/// Writes `packet`, parses it back (alone and as the second packet of a
/// compound), and checks both equal the original.
fn check_rtcp(packet: Packet<'_>) -> Result<(), TestCaseError> {
    let bytes = write_rtcp(&packet);
    prop_assert_eq!(Packet::parse(&bytes).unwrap(), packet);
    let rr = Packet::ReceiverReport(ReceiverReport::default());
    let mut compound = vec![0u8; rtcp::compound_len(&[rr, packet])];
    rtcp::write_compound(&[rr, packet], &mut compound).unwrap();
    let parsed: Vec<Packet<'_>> = Compound::parse(&compound)
        .unwrap()
        .packets()
        .map(Result::unwrap)
        .collect();
    prop_assert_eq!(parsed, vec![rr, packet]);
    Ok(())
}

fn report_block() -> impl Strategy<Value = ReportBlock> {
    (
        any::<u32>(),
        any::<u8>(),
        -0x80_0000i32..=0x7f_ffff,
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
        any::<u32>(),
    )
        .prop_map(
            |(ssrc, fraction_lost, cumulative_lost, ehs, jitter, lsr, dlsr)| ReportBlock {
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

fn words(max_words: usize) -> impl Strategy<Value = Vec<u8>> {
    vec(any::<[u8; 4]>(), 0..=max_words).prop_map(|w| w.concat())
}

/// An owned SDES item: (type, value, prefix for PRIV).
fn sdes_item() -> impl Strategy<Value = (u8, Vec<u8>, Vec<u8>)> {
    (1u8..=12, vec(any::<u8>(), 0..40), vec(any::<u8>(), 0..10))
}

fn to_item<'a>((kind, value, prefix): &'a (u8, Vec<u8>, Vec<u8>)) -> SdesItem<'a> {
    match kind {
        1 => SdesItem::Cname(value),
        2 => SdesItem::Name(value),
        3 => SdesItem::Email(value),
        4 => SdesItem::Phone(value),
        5 => SdesItem::Location(value),
        6 => SdesItem::Tool(value),
        7 => SdesItem::Note(value),
        8 => SdesItem::Private { prefix, value },
        _ => SdesItem::Unknown { kind: *kind, value },
    }
}

proptest! {
    #[test]
    fn rtp_round_trip(
        marker: bool,
        payload_type in 0u8..128,
        sequence_number: u16,
        timestamp: u32,
        ssrc: u32,
        csrcs in vec(any::<u32>(), 0..=15),
        one_byte in any::<bool>(),
        elements in vec((1u8..=255, vec(any::<u8>(), 0..=20)), 0..6),
        payload in vec(any::<u8>(), 0..300),
        padding: u8,
    ) {
        let elements: Vec<(u8, Vec<u8>)> = if one_byte {
            elements
                .into_iter()
                .map(|(id, mut data)| {
                    data.truncate(16);
                    if data.is_empty() {
                        data.push(0);
                    }
                    (id % 14 + 1, data)
                })
                .collect()
        } else {
            elements
        };
        let refs: Vec<Element<'_>> = elements.iter().map(|(id, d)| Element::new(*id, d)).collect();
        let mut builder = rtp::Builder::new()
            .marker(marker)
            .payload_type(payload_type)
            .sequence_number(sequence_number)
            .timestamp(timestamp)
            .ssrc(ssrc)
            .csrcs(&csrcs)
            .payload(&payload)
            .padding(padding);
        if !refs.is_empty() {
            builder = builder.extensions(&refs);
        }
        let mut buf = vec![0u8; builder.encoded_len()];
        prop_assert_eq!(builder.write_to(&mut buf).unwrap(), buf.len());
        let packet = rtp::Packet::parse(&buf).unwrap();
        prop_assert_eq!(packet.marker(), marker);
        prop_assert_eq!(packet.payload_type(), payload_type);
        prop_assert_eq!(packet.sequence_number(), sequence_number);
        prop_assert_eq!(packet.timestamp(), timestamp);
        prop_assert_eq!(packet.ssrc(), ssrc);
        prop_assert_eq!(packet.csrcs(), List::new(&csrcs));
        prop_assert_eq!(packet.payload(), &payload[..]);
        prop_assert_eq!(packet.padding_len(), padding);
        match packet.extension() {
            None => prop_assert!(refs.is_empty()),
            Some(ext) => {
                let got: Vec<Element<'_>> = ext.elements().collect();
                prop_assert_eq!(got, refs.clone());
                if one_byte {
                    prop_assert_eq!(ext.profile(), rtp::extension::ONE_BYTE_PROFILE);
                }
            }
        }
        // Writing the parsed packet again gives the same bytes.
        let again = packet.to_builder();
        let mut out = vec![0u8; again.encoded_len()];
        again.write_to(&mut out).unwrap();
        prop_assert_eq!(out, buf);
    }

    #[test]
    fn rtp_parse_never_panics(bytes in vec(any::<u8>(), 0..200)) {
        if let Ok(packet) = rtp::Packet::parse(&bytes) {
            let _ = (packet.csrcs().iter().count(), packet.payload().len(), packet.padding_len());
            if let Some(ext) = packet.extension() {
                let _ = ext.elements().count();
                // Iteration yields exactly the elements before the first
                // malformed one; a valid block gives them all back.
                if ext.validate().is_ok() {
                    prop_assert!(HeaderExtension::new(ext.profile(), ext.data()).is_ok());
                }
            }
            let builder = packet.to_builder();
            let mut out = vec![0u8; builder.encoded_len()];
            prop_assert_eq!(builder.write_to(&mut out).unwrap(), bytes.len());
            let again = rtp::Packet::parse(&out).unwrap();
            prop_assert_eq!(again.payload(), packet.payload());
            prop_assert_eq!(again.extension(), packet.extension());
        }
    }

    #[test]
    fn rtp_header_with_valid_start_never_panics(mut bytes in vec(any::<u8>(), 12..200)) {
        bytes[0] = (bytes[0] & 0x3f) | 0x80;
        let _ = rtp::Packet::parse(&bytes).map(|p| p.extension().map(|e| e.elements().count()));
    }

    #[test]
    fn sender_and_receiver_reports(
        ssrc: u32, ntp: u64, rtp_time: u32, packets: u32, octets: u32,
        blocks in vec(report_block(), 0..=31),
        extension in words(4),
    ) {
        check_rtcp(Packet::SenderReport(SenderReport {
            ssrc,
            ntp_time: NtpTime(ntp),
            rtp_time,
            packet_count: packets,
            octet_count: octets,
            report_blocks: List::new(&blocks),
            profile_extension: &extension,
        }))?;
        check_rtcp(Packet::ReceiverReport(ReceiverReport {
            ssrc,
            report_blocks: List::new(&blocks),
            profile_extension: &extension,
        }))?;
    }

    #[test]
    fn source_descriptions(chunks in vec((any::<u32>(), vec(sdes_item(), 0..5)), 0..=31)) {
        let items: Vec<Vec<SdesItem<'_>>> = chunks
            .iter()
            .map(|(_, items)| items.iter().map(to_item).collect())
            .collect();
        let built: Vec<SdesChunk<'_>> = chunks
            .iter()
            .zip(&items)
            .map(|((source, _), items)| SdesChunk { source: *source, items: SdesItems::new(items) })
            .collect();
        check_rtcp(Packet::SourceDescription(SourceDescription { chunks: SdesChunks::new(&built) }))?;
    }

    #[test]
    fn goodbye_and_app(
        sources in vec(any::<u32>(), 0..=31),
        reason in proptest::option::of(vec(any::<u8>(), 0..=255)),
        subtype in 0u8..32, ssrc: u32, name: [u8; 4], data in words(8),
    ) {
        check_rtcp(Packet::Goodbye(Goodbye { sources: List::new(&sources), reason: reason.as_deref() }))?;
        check_rtcp(Packet::ApplicationDefined(ApplicationDefined { subtype, ssrc, name, data: &data }))?;
    }

    #[test]
    fn feedback(
        sender: u32, media: u32,
        nacks in vec(any::<(u16, u16)>(), 1..20),
        slis in vec((0u16..0x2000, 0u16..0x2000, 0u8..64), 1..10),
        firs in vec(any::<(u32, u8)>(), 1..10),
        tmmbs in vec((any::<u32>(), 0u8..64, 0u32..0x2_0000, 0u16..0x200), 0..10),
        payload_type in 0u8..128, padding_bits: u8, bits in vec(any::<u8>(), 0..5),
        exponent in 0u8..64, mantissa in 0u32..0x4_0000, ssrcs in vec(any::<u32>(), 0..=255),
    ) {
        let nacks: Vec<NackEntry> = nacks.into_iter().map(|(p, b)| NackEntry { packet_id: p, lost_bitmask: b }).collect();
        check_rtcp(Packet::Nack(Nack { sender_ssrc: sender, media_ssrc: media, entries: List::new(&nacks) }))?;
        check_rtcp(Packet::PictureLossIndication(PictureLossIndication { sender_ssrc: sender, media_ssrc: media }))?;
        let slis: Vec<SliEntry> = slis.into_iter().map(|(first, number, picture_id)| SliEntry { first, number, picture_id }).collect();
        check_rtcp(Packet::SliceLossIndication(SliceLossIndication { sender_ssrc: sender, media_ssrc: media, entries: List::new(&slis) }))?;
        let firs: Vec<FirEntry> = firs.into_iter().map(|(ssrc, sequence_number)| FirEntry { ssrc, sequence_number }).collect();
        check_rtcp(Packet::FullIntraRequest(FullIntraRequest { sender_ssrc: sender, media_ssrc: media, entries: List::new(&firs) }))?;
        let tmmbs: Vec<TmmbrEntry> = tmmbs.into_iter().map(|(ssrc, exponent, mantissa, overhead)| TmmbrEntry { ssrc, exponent, mantissa, overhead }).collect();
        check_rtcp(Packet::Tmmbr(Tmmbr { sender_ssrc: sender, media_ssrc: media, entries: List::new(&tmmbs) }))?;
        check_rtcp(Packet::Tmmbn(Tmmbn { sender_ssrc: sender, media_ssrc: media, entries: List::new(&tmmbs) }))?;
        // A bit string whose FCI is a whole number of words parses back as is.
        let mut bits = bits;
        while (bits.len() + 2) % 4 != 0 {
            bits.push(0);
        }
        let padding_bits = padding_bits.min(u8::try_from(bits.len() * 8).unwrap_or(u8::MAX));
        check_rtcp(Packet::ReferencePictureSelection(ReferencePictureSelection {
            sender_ssrc: sender, media_ssrc: media, payload_type, padding_bits, bit_string: &bits,
        }))?;
        check_rtcp(Packet::Remb(Remb { sender_ssrc: sender, media_ssrc: media, exponent, mantissa, ssrcs: List::new(&ssrcs) }))?;
    }

    #[test]
    fn transport_cc(
        sender: u32, media: u32, base: u16, reference_time in -0x80_0000i32..=0x7f_ffff, count: u8,
        runs in vec((0u8..3, 1usize..40, any::<i16>()), 0..30),
    ) {
        let mut statuses = Vec::new();
        for (kind, len, delta) in runs {
            for i in 0..len {
                statuses.push(match kind {
                    0 => PacketStatus::NotReceived,
                    1 => PacketStatus::SmallDelta((delta as u8).wrapping_add(i as u8)),
                    _ => PacketStatus::LargeDelta(delta.wrapping_sub(i as i16)),
                });
            }
        }
        check_rtcp(Packet::TransportCc(TransportCc {
            sender_ssrc: sender,
            media_ssrc: media,
            base_sequence_number: base,
            reference_time,
            feedback_packet_count: count,
            statuses: PacketStatuses::new(&statuses),
        }))?;
    }

    #[test]
    fn congestion_control_feedback(
        sender: u32, timestamp: u32,
        streams in vec((any::<u32>(), any::<u16>(), vec((any::<bool>(), 0u8..4, 0u16..0x2000), 0..40)), 0..5),
    ) {
        let metrics: Vec<Vec<CcfbMetric>> = streams
            .iter()
            .map(|(_, _, m)| m.iter().map(|&(received, ecn, arrival_time_offset)| CcfbMetric { received, ecn, arrival_time_offset }).collect())
            .collect();
        let built: Vec<CcfbStream<'_>> = streams
            .iter()
            .zip(&metrics)
            .map(|((ssrc, begin, _), m)| CcfbStream { ssrc: *ssrc, begin_sequence: *begin, metrics: List::new(m) })
            .collect();
        check_rtcp(Packet::CongestionControlFeedback(CongestionControlFeedback {
            sender_ssrc: sender,
            streams: CcfbStreams::new(&built),
            report_timestamp: timestamp,
        }))?;
    }

    #[test]
    fn extended_reports(
        ssrc: u32, ntp: u64, thinning in 0u8..16, rle: (u32, u16, u16),
        chunks in vec(any::<[u16; 2]>(), 0..10),
        dlrr in vec(any::<(u32, u32, u32)>(), 0..5),
        summary in any::<(bool, bool, bool, u32, u16, u16, [u32; 6], [u8; 4])>(), toh in 0u8..4,
        voip in any::<(u32, [u8; 4], [u16; 4], [u8; 9], [u16; 3])>(),
        unknown_type in 8u8..=255, ts: u8, data in words(4),
    ) {
        let chunks: Vec<u16> = chunks.concat();
        let dlrr: Vec<DlrrItem> = dlrr.into_iter().map(|(a, b, c)| DlrrItem { ssrc: a, last_receiver_report: b, delay_since_last_receiver_report: c }).collect();
        let (l, d, j, s_ssrc, begin, end, w, t) = summary;
        let (v_ssrc, rates, durations, levels, jb) = voip;
        let rle = RleReport { thinning, ssrc: rle.0, begin_sequence: rle.1, end_sequence: rle.2, chunks: List::new(&chunks) };
        let blocks = [
            XrBlock::LossRle(rle),
            XrBlock::DuplicateRle(rle),
            XrBlock::ReceiverReferenceTime(NtpTime(ntp)),
            XrBlock::Dlrr(List::new(&dlrr)),
            XrBlock::StatisticsSummary(StatisticsSummary {
                has_loss: l, has_duplicates: d, has_jitter: j, ttl_or_hop_limit: toh,
                ssrc: s_ssrc, begin_sequence: begin, end_sequence: end,
                lost_packets: w[0], duplicate_packets: w[1], min_jitter: w[2], max_jitter: w[3], mean_jitter: w[4], dev_jitter: w[5],
                min_ttl_or_hl: t[0], max_ttl_or_hl: t[1], mean_ttl_or_hl: t[2], dev_ttl_or_hl: t[3],
            }),
            XrBlock::VoipMetrics(VoipMetrics {
                ssrc: v_ssrc, loss_rate: rates[0], discard_rate: rates[1], burst_density: rates[2], gap_density: rates[3],
                burst_duration: durations[0], gap_duration: durations[1], round_trip_delay: durations[2], end_system_delay: durations[3],
                signal_level: levels[0], noise_level: levels[1], rerl: levels[2], gmin: levels[3], r_factor: levels[4],
                ext_r_factor: levels[5], mos_lq: levels[6], mos_cq: levels[7], rx_config: levels[8],
                jb_nominal: jb[0], jb_maximum: jb[1], jb_abs_max: jb[2],
            }),
            XrBlock::Unknown { block_type: unknown_type, type_specific: ts, data: &data },
        ];
        check_rtcp(Packet::ExtendedReport(ExtendedReport { ssrc, blocks: XrBlocks::new(&blocks) }))?;
    }

    #[test]
    fn nack_lists_round_trip(mut lost in vec(any::<u16>(), 0..200)) {
        lost.sort_unstable();
        lost.dedup();
        let entries: Vec<NackEntry> = NackEntry::pack(lost.iter().copied()).collect();
        let back: Vec<u16> = entries.iter().flat_map(NackEntry::lost).collect();
        prop_assert_eq!(back, lost);
    }

    #[test]
    fn rtcp_parse_never_panics(bytes in vec(any::<u8>(), 0..300)) {
        rtcp_anything(&bytes)?;
    }

    #[test]
    fn rtcp_with_valid_headers_never_panics(
        packets in vec((0u8..32, 192u8..=210, vec(any::<u8>(), 0..60), any::<bool>()), 1..5)
    ) {
        // Well-formed headers around random bodies reach the body parsers.
        let mut bytes = Vec::new();
        for (count, packet_type, mut body, padding) in packets {
            while body.len() % 4 != 0 {
                body.push(0);
            }
            if padding && !body.is_empty() {
                let last = body.len() - 1;
                body[last] = 4;
            }
            let len = u16::try_from(body.len() / 4).unwrap();
            bytes.push(0x80 | (u8::from(padding) << 5) | count);
            bytes.push(packet_type);
            bytes.extend_from_slice(&len.to_be_bytes());
            bytes.extend_from_slice(&body);
        }
        rtcp_anything(&bytes)?;
    }
}

fn rtcp_anything(bytes: &[u8]) -> Result<(), TestCaseError> {
    let _ = Compound::parse(bytes);
    let _ = Compound::parse_reduced_size(bytes);
    let packets: Vec<Packet<'_>> = Packets::new(bytes).flatten().collect();
    let mut back_to_back = Vec::new();
    for packet in &packets {
        // Whatever parses writes back and parses to an equal value.
        let written = write_rtcp(packet);
        prop_assert_eq!(Packet::parse(&written).unwrap(), *packet);
        back_to_back.extend_from_slice(&written);
    }
    // The compound writers refuse exactly what the parsers refuse.
    let mut out = vec![0u8; back_to_back.len()];
    let compound = rtcp::write_compound(&packets, &mut out);
    prop_assert_eq!(compound.is_ok(), Compound::parse(&back_to_back).is_ok());
    if compound.is_ok() {
        prop_assert_eq!(&out, &back_to_back);
    }
    let reduced = rtcp::write_reduced_size(&packets, &mut out);
    prop_assert_eq!(
        reduced.is_ok(),
        Compound::parse_reduced_size(&back_to_back).is_ok()
    );
    Ok(())
}
