//! RTCP: parse (walking every packet, report block, SDES item and NACKed
//! sequence number) and write, on an SR+SDES+NACK+PLI compound and a
//! receiver report with four blocks. Peers: webrtc-rs `rtcp`,
//! `rtcp-types`. Floor: copying the compound.

use core::hint::black_box;

use sansrtc_rtp::rtcp as ours;

use crate::inputs::{rr4, rtcp_bytes, sr_compound};
use crate::{Case, Role, sum};

fn block_sansrtc(block: &ours::ReportBlock) -> u64 {
    sum([
        u64::from(block.ssrc),
        u64::from(block.fraction_lost),
        u64::from(block.cumulative_lost as u32),
        u64::from(block.extended_highest_sequence),
        u64::from(block.jitter),
        u64::from(block.last_sender_report),
        u64::from(block.delay_since_last_sender_report),
    ])
}

fn visit_sansrtc(bytes: &[u8]) -> u64 {
    let mut acc = 0u64;
    for packet in ours::Compound::parse(bytes)
        .expect("sansrtc parses")
        .packets()
    {
        let value = match packet.expect("sansrtc parses the packet") {
            ours::Packet::SenderReport(sr) => sum([
                u64::from(sr.ssrc),
                sr.ntp_time.0,
                u64::from(sr.rtp_time),
                u64::from(sr.packet_count),
                u64::from(sr.octet_count),
                sum(sr.report_blocks.iter().map(|b| block_sansrtc(&b))),
            ]),
            ours::Packet::ReceiverReport(rr) => sum([
                u64::from(rr.ssrc),
                sum(rr.report_blocks.iter().map(|b| block_sansrtc(&b))),
            ]),
            ours::Packet::SourceDescription(sdes) => sum(sdes.chunks.iter().map(|chunk| {
                u64::from(chunk.source)
                    + sum(chunk
                        .items
                        .iter()
                        .map(|item| u64::from(item.kind()) + item.value().len() as u64))
            })),
            ours::Packet::Nack(nack) => sum([
                u64::from(nack.sender_ssrc),
                u64::from(nack.media_ssrc),
                sum(nack.lost_sequence_numbers().map(u64::from)),
            ]),
            ours::Packet::PictureLossIndication(pli) => {
                u64::from(pli.sender_ssrc) + u64::from(pli.media_ssrc)
            }
            other => panic!("unexpected packet {other:?}"),
        };
        acc = acc.wrapping_add(value);
    }
    acc
}

fn block_rtcp_types(block: &rtcp_types::ReportBlock<'_>) -> u64 {
    sum([
        u64::from(block.ssrc()),
        u64::from(block.fraction_lost()),
        u64::from(block.cumulative_lost()),
        u64::from(block.extended_sequence_number()),
        u64::from(block.interarrival_jitter()),
        u64::from(block.last_sender_report_timestamp()),
        u64::from(block.delay_since_last_sender_report_timestamp()),
    ])
}

fn visit_rtcp_types(bytes: &[u8]) -> u64 {
    use rtcp_types::{Compound, Nack, Packet, Pli};
    let mut acc = 0u64;
    for packet in Compound::parse(bytes).expect("rtcp-types parses") {
        let value = match packet.expect("rtcp-types parses the packet") {
            Packet::Sr(sr) => sum([
                u64::from(sr.ssrc()),
                sr.ntp_timestamp(),
                u64::from(sr.rtp_timestamp()),
                u64::from(sr.packet_count()),
                u64::from(sr.octet_count()),
                sum(sr.report_blocks().map(|b| block_rtcp_types(&b))),
            ]),
            Packet::Rr(rr) => sum([
                u64::from(rr.ssrc()),
                sum(rr.report_blocks().map(|b| block_rtcp_types(&b))),
            ]),
            Packet::Sdes(sdes) => sum(sdes.chunks().map(|chunk| {
                u64::from(chunk.ssrc())
                    + sum(chunk
                        .items()
                        .map(|item| u64::from(item.type_()) + item.value().len() as u64))
            })),
            Packet::TransportFeedback(feedback) => {
                let nack = feedback.parse_fci::<Nack<'_>>().expect("a generic NACK");
                sum([
                    u64::from(feedback.sender_ssrc()),
                    u64::from(feedback.media_ssrc()),
                    sum(nack.entries().map(u64::from)),
                ])
            }
            Packet::PayloadFeedback(feedback) => {
                feedback.parse_fci::<Pli<'_>>().expect("a PLI");
                u64::from(feedback.sender_ssrc()) + u64::from(feedback.media_ssrc())
            }
            other => panic!("unexpected packet {other:?}"),
        };
        acc = acc.wrapping_add(value);
    }
    acc
}

fn block_webrtc(block: &rtcp::reception_report::ReceptionReport) -> u64 {
    sum([
        u64::from(block.ssrc),
        u64::from(block.fraction_lost),
        u64::from(block.total_lost),
        u64::from(block.last_sequence_number),
        u64::from(block.jitter),
        u64::from(block.last_sender_report),
        u64::from(block.delay),
    ])
}

fn visit_webrtc(bytes: &bytes::Bytes) -> u64 {
    use rtcp::payload_feedbacks::picture_loss_indication::PictureLossIndication;
    use rtcp::receiver_report::ReceiverReport;
    use rtcp::sender_report::SenderReport;
    use rtcp::source_description::SourceDescription;
    use rtcp::transport_feedbacks::transport_layer_nack::TransportLayerNack;
    let mut buf = bytes.clone();
    let mut acc = 0u64;
    for packet in rtcp::packet::unmarshal(&mut buf).expect("webrtc-rs parses") {
        let any = packet.as_any();
        let value = if let Some(sr) = any.downcast_ref::<SenderReport>() {
            sum([
                u64::from(sr.ssrc),
                sr.ntp_time,
                u64::from(sr.rtp_time),
                u64::from(sr.packet_count),
                u64::from(sr.octet_count),
                sum(sr.reports.iter().map(block_webrtc)),
            ])
        } else if let Some(rr) = any.downcast_ref::<ReceiverReport>() {
            u64::from(rr.ssrc) + sum(rr.reports.iter().map(block_webrtc))
        } else if let Some(sdes) = any.downcast_ref::<SourceDescription>() {
            sum(sdes.chunks.iter().map(|chunk| {
                u64::from(chunk.source)
                    + sum(chunk
                        .items
                        .iter()
                        .map(|item| item.sdes_type as u64 + item.text.len() as u64))
            }))
        } else if let Some(nack) = any.downcast_ref::<TransportLayerNack>() {
            sum([
                u64::from(nack.sender_ssrc),
                u64::from(nack.media_ssrc),
                sum(nack
                    .nacks
                    .iter()
                    .flat_map(|pair| pair.into_iter())
                    .map(u64::from)),
            ])
        } else if let Some(pli) = any.downcast_ref::<PictureLossIndication>() {
            u64::from(pli.sender_ssrc) + u64::from(pli.media_ssrc)
        } else {
            panic!("unexpected packet {packet:?}")
        };
        acc = acc.wrapping_add(value);
    }
    acc
}

/// Writes the packets with `rtcp-types`' builders (its way of writing:
/// the builders borrow the values and check them while writing).
fn write_rtcp_types(packets: &[ours::Packet<'_>], out: &mut [u8]) -> usize {
    use rtcp_types::{
        Compound, Nack, PayloadFeedback, Pli, ReceiverReport, ReportBlock, RtcpPacketWriterExt,
        Sdes, SdesChunk, SdesItem, SenderReport, TransportFeedback,
    };
    let block = |b: ours::ReportBlock| {
        ReportBlock::builder(b.ssrc)
            .fraction_lost(b.fraction_lost)
            .cumulative_lost(b.cumulative_lost as u32)
            .extended_sequence_number(b.extended_highest_sequence)
            .interarrival_jitter(b.jitter)
            .last_sender_report_timestamp(b.last_sender_report)
            .delay_since_last_sender_report_timestamp(b.delay_since_last_sender_report)
    };
    let mut compound = Compound::builder();
    for packet in packets {
        compound = match packet {
            ours::Packet::SenderReport(sr) => {
                let mut builder = SenderReport::builder(sr.ssrc)
                    .ntp_timestamp(sr.ntp_time.0)
                    .rtp_timestamp(sr.rtp_time)
                    .packet_count(sr.packet_count)
                    .octet_count(sr.octet_count);
                for b in sr.report_blocks.iter() {
                    builder = builder.add_report_block(block(b));
                }
                compound.add_packet(builder)
            }
            ours::Packet::ReceiverReport(rr) => {
                let mut builder = ReceiverReport::builder(rr.ssrc);
                for b in rr.report_blocks.iter() {
                    builder = builder.add_report_block(block(b));
                }
                compound.add_packet(builder)
            }
            ours::Packet::SourceDescription(sdes) => {
                let mut builder = Sdes::builder();
                for chunk in sdes.chunks.iter() {
                    let mut chunk_builder = SdesChunk::builder(chunk.source);
                    for item in chunk.items.iter() {
                        let value = core::str::from_utf8(item.value()).expect("text");
                        chunk_builder =
                            chunk_builder.add_item_owned(SdesItem::builder(item.kind(), value));
                    }
                    builder = builder.add_chunk(chunk_builder);
                }
                compound.add_packet(builder)
            }
            ours::Packet::Nack(nack) => {
                let mut fci = Nack::builder();
                for sequence in nack.lost_sequence_numbers() {
                    fci = fci.add_rtp_sequence(sequence);
                }
                compound.add_packet(
                    TransportFeedback::builder_owned(fci)
                        .sender_ssrc(nack.sender_ssrc)
                        .media_ssrc(nack.media_ssrc),
                )
            }
            ours::Packet::PictureLossIndication(pli) => compound.add_packet(
                PayloadFeedback::builder_owned(Pli::builder())
                    .sender_ssrc(pli.sender_ssrc)
                    .media_ssrc(pli.media_ssrc),
            ),
            other => panic!("unexpected packet {other:?}"),
        };
    }
    compound.write_into(out).expect("rtcp-types writes")
}

/// The RTCP cases.
pub fn cases() -> Vec<Case> {
    let mut cases = Vec::new();
    let sr: &'static [ours::Packet<'static>] = Box::leak(Box::new(sr_compound()));
    let rr: &'static [ours::Packet<'static>] = Box::leak(Box::new(rr4()));
    for (parse_group, write_group, packets) in [
        (
            "rtcp_parse_sr_sdes_nack_pli",
            "rtcp_write_sr_sdes_nack_pli",
            sr,
        ),
        ("rtcp_parse_rr_4_blocks", "rtcp_write_rr_4_blocks", rr),
    ] {
        let bytes = rtcp_bytes(packets);

        let input = bytes.clone();
        cases.push(Case::decode(
            parse_group,
            "sansrtc",
            Role::Sansrtc,
            move || visit_sansrtc(black_box(&input)),
        ));
        let input = bytes.clone();
        cases.push(Case::decode(
            parse_group,
            "rtcp-types",
            Role::Peer,
            move || visit_rtcp_types(black_box(&input)),
        ));
        let input = bytes::Bytes::from(bytes.clone());
        cases.push(Case::decode(
            parse_group,
            "rtcp (webrtc-rs)",
            Role::Peer,
            move || visit_webrtc(black_box(&input)),
        ));
        let input = bytes.clone();
        let mut out = [0u8; 1500];
        cases.push(Case::new(
            parse_group,
            "floor: copy",
            Role::Floor,
            move || crate::rtp::copy(black_box(&input), black_box(&mut out)),
        ));

        let mut out = [0u8; 1500];
        cases.push(Case::new(
            write_group,
            "sansrtc",
            Role::Sansrtc,
            move || {
                ours::write_compound(black_box(packets), black_box(&mut out))
                    .expect("sansrtc writes") as u64
            },
        ));
        let mut out = [0u8; 1500];
        cases.push(Case::new(
            write_group,
            "rtcp-types",
            Role::Peer,
            move || write_rtcp_types(black_box(packets), black_box(&mut out)) as u64,
        ));
        let webrtc = rtcp::packet::unmarshal(&mut bytes::Bytes::from(bytes.clone()))
            .expect("webrtc-rs parses");
        cases.push(Case::new(
            write_group,
            "rtcp (webrtc-rs)",
            Role::Peer,
            move || {
                rtcp::packet::marshal(black_box(&webrtc))
                    .expect("webrtc-rs writes")
                    .len() as u64
            },
        ));
        let input = bytes;
        let mut out = [0u8; 1500];
        cases.push(Case::new(
            write_group,
            "floor: copy",
            Role::Floor,
            move || crate::rtp::copy(black_box(&input), black_box(&mut out)),
        ));
    }
    cases
}
