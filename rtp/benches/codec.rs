//! Parse and write benchmarks for RTP and RTCP.
//!
//! Parsing "visits" every field: the RTP benchmarks read the header, every
//! CSRC and every extension element; the RTCP ones walk every packet, report
//! block, SDES item and NACK entry.

use core::hint::black_box;

use criterion::{Criterion, Throughput, criterion_main};
use sansrtc_rtp::rtcp::{
    self, Compound, Nack, NackEntry, Packet, PictureLossIndication, ReceiverReport, ReportBlock,
    SdesChunk, SdesItem, SdesItems, SenderReport, SourceDescription,
};
use sansrtc_rtp::rtp;
use sansrtc_rtp::{list::List, ntp::NtpTime};

const VIDEO_PAYLOAD: [u8; 1200 - 12 - 4 - 16] = [0x5a; 1200 - 12 - 4 - 16];
const AUDIO_PAYLOAD: [u8; 160 - 12] = [0x11; 160 - 12];
const ABS_SEND_TIME: [u8; 3] = [0x12, 0x34, 0x56];
const TWCC: [u8; 2] = [0x01, 0x02];
const MID: [u8; 1] = [b'0'];

fn video_builder() -> rtp::Builder<'static> {
    const ELEMENTS: [rtp::Element<'static>; 3] = [
        rtp::Element::new(2, &ABS_SEND_TIME),
        rtp::Element::new(3, &TWCC),
        rtp::Element::new(4, &MID),
    ];
    rtp::Builder::new()
        .marker(true)
        .payload_type(96)
        .sequence_number(4711)
        .timestamp(0x1234_5678)
        .ssrc(0xdead_beef)
        .csrcs(&[0x0102_0304])
        .extensions(&ELEMENTS)
        .payload(&VIDEO_PAYLOAD)
}

fn audio_builder() -> rtp::Builder<'static> {
    rtp::Builder::new()
        .payload_type(111)
        .sequence_number(1)
        .timestamp(960)
        .ssrc(0x0bad_cafe)
        .payload(&AUDIO_PAYLOAD)
}

fn encode(builder: &rtp::Builder<'_>) -> Vec<u8> {
    let mut buf = vec![0u8; builder.encoded_len()];
    builder.write_to(&mut buf).unwrap();
    buf
}

fn visit_rtp(bytes: &[u8]) -> u64 {
    let packet = rtp::Packet::new_checked(bytes).unwrap();
    let mut acc = u64::from(packet.sequence_number())
        + u64::from(packet.timestamp())
        + u64::from(packet.ssrc())
        + u64::from(packet.payload_type())
        + u64::from(packet.marker())
        + packet.payload().len() as u64;
    for csrc in packet.csrcs() {
        acc += u64::from(csrc);
    }
    if let Some(ext) = packet.extension() {
        for element in ext.elements() {
            acc += u64::from(element.id) + element.data.len() as u64;
        }
    }
    acc
}

const BLOCKS: [ReportBlock; 4] = [
    ReportBlock {
        ssrc: 1,
        fraction_lost: 2,
        cumulative_lost: 3,
        extended_highest_sequence: 4,
        jitter: 5,
        last_sender_report: 6,
        delay_since_last_sender_report: 7,
    },
    ReportBlock {
        ssrc: 11,
        fraction_lost: 12,
        cumulative_lost: 13,
        extended_highest_sequence: 14,
        jitter: 15,
        last_sender_report: 16,
        delay_since_last_sender_report: 17,
    },
    ReportBlock {
        ssrc: 21,
        fraction_lost: 22,
        cumulative_lost: 23,
        extended_highest_sequence: 24,
        jitter: 25,
        last_sender_report: 26,
        delay_since_last_sender_report: 27,
    },
    ReportBlock {
        ssrc: 31,
        fraction_lost: 32,
        cumulative_lost: 33,
        extended_highest_sequence: 34,
        jitter: 35,
        last_sender_report: 36,
        delay_since_last_sender_report: 37,
    },
];
const ITEMS: [SdesItem<'static>; 1] = [SdesItem::Cname(b"4TOk42mSjXCkVIa6")];
const NACKS: [NackEntry; 2] = [
    NackEntry {
        packet_id: 100,
        lost_bitmask: 0x0005,
    },
    NackEntry {
        packet_id: 200,
        lost_bitmask: 0,
    },
];

fn sr_compound() -> [Packet<'static>; 4] {
    static CHUNKS: [SdesChunk<'static>; 1] = [SdesChunk {
        source: 0xdead_beef,
        items: SdesItems::new(&ITEMS),
    }];
    [
        Packet::SenderReport(SenderReport {
            ssrc: 0xdead_beef,
            ntp_time: NtpTime(0xe000_0000_8000_0000),
            rtp_time: 0x1234_5678,
            packet_count: 1000,
            octet_count: 1_000_000,
            report_blocks: List::new(&BLOCKS[..1]),
            profile_extension: &[],
        }),
        Packet::SourceDescription(SourceDescription {
            chunks: rtcp::SdesChunks::new(&CHUNKS),
        }),
        Packet::Nack(Nack {
            sender_ssrc: 0xdead_beef,
            media_ssrc: 0x0bad_cafe,
            entries: List::new(&NACKS),
        }),
        Packet::PictureLossIndication(PictureLossIndication {
            sender_ssrc: 0xdead_beef,
            media_ssrc: 0x0bad_cafe,
        }),
    ]
}

fn rr_compound() -> [Packet<'static>; 1] {
    [Packet::ReceiverReport(ReceiverReport {
        ssrc: 0xdead_beef,
        report_blocks: List::new(&BLOCKS),
        profile_extension: &[],
    })]
}

fn visit_block(b: &ReportBlock) -> u64 {
    u64::from(b.ssrc)
        + u64::from(b.fraction_lost)
        + b.cumulative_lost as u64
        + u64::from(b.extended_highest_sequence)
        + u64::from(b.jitter)
        + u64::from(b.last_sender_report)
        + u64::from(b.delay_since_last_sender_report)
}

fn visit_rtcp(bytes: &[u8]) -> u64 {
    let mut acc = 0u64;
    for packet in Compound::parse(bytes).unwrap().packets() {
        match packet.unwrap() {
            Packet::SenderReport(sr) => {
                acc += u64::from(sr.ssrc) + sr.ntp_time.0 + u64::from(sr.rtp_time);
                acc += u64::from(sr.packet_count) + u64::from(sr.octet_count);
                acc += sr
                    .report_blocks
                    .iter()
                    .map(|b| visit_block(&b))
                    .sum::<u64>();
            }
            Packet::ReceiverReport(rr) => {
                acc += u64::from(rr.ssrc);
                acc += rr
                    .report_blocks
                    .iter()
                    .map(|b| visit_block(&b))
                    .sum::<u64>();
            }
            Packet::SourceDescription(sdes) => {
                for chunk in sdes.chunks.iter() {
                    acc += u64::from(chunk.source);
                    for item in chunk.items.iter() {
                        acc += u64::from(item.kind()) + item.value().len() as u64;
                    }
                }
            }
            Packet::Nack(nack) => {
                acc += u64::from(nack.sender_ssrc) + u64::from(nack.media_ssrc);
                acc += nack.lost_sequence_numbers().map(u64::from).sum::<u64>();
            }
            Packet::PictureLossIndication(pli) => {
                acc += u64::from(pli.sender_ssrc) + u64::from(pli.media_ssrc);
            }
            other => acc += other.encoded_len() as u64,
        }
    }
    acc
}

fn bench_rtp(c: &mut Criterion) {
    let cases = [
        ("video_1200", video_builder()),
        ("audio_160", audio_builder()),
    ];
    let mut group = c.benchmark_group("rtp");
    for (name, builder) in cases {
        let bytes = encode(&builder);
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| visit_rtp(black_box(&bytes)))
        });
        let mut out = vec![0u8; 1500];
        group.bench_function(format!("write/{name}"), |b| {
            b.iter(|| black_box(&builder).write_to(black_box(&mut out)).unwrap())
        });
    }
    group.finish();
}

fn bench_rtcp(c: &mut Criterion) {
    let sr = sr_compound();
    let rr = rr_compound();
    let cases: [(&str, &[Packet<'_>]); 2] = [("sr_sdes_nack_pli", &sr), ("rr_4_blocks", &rr)];
    let mut group = c.benchmark_group("rtcp");
    for (name, packets) in cases {
        let mut bytes = vec![0u8; rtcp::compound_len(packets)];
        rtcp::write_compound(packets, &mut bytes).unwrap();
        group.throughput(Throughput::Bytes(bytes.len() as u64));
        group.bench_function(format!("parse/{name}"), |b| {
            b.iter(|| visit_rtcp(black_box(&bytes)))
        });
        let mut out = vec![0u8; 1500];
        group.bench_function(format!("write/{name}"), |b| {
            b.iter(|| rtcp::write_compound(black_box(packets), black_box(&mut out)).unwrap())
        });
    }
    group.finish();
}

mod group {
    //! The criterion group (a module so that its generated items may go
    //! undocumented).
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::bench_rtp, super::bench_rtcp);
}
criterion_main!(group::benches);
