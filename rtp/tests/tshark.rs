//! Differential test against Wireshark: thousands of generated RTP and RTCP
//! packets go into a pcap, tshark decodes it, and every field it reports
//! for them must equal what our parsers read.
//!
//! Skipped, with one `skipped: tshark not installed` line, when `tshark` is
//! not installed.

// Test code: a bad index is a failed test, as the workspace lints intend.
#![allow(clippy::indexing_slicing)]

extern crate alloc;

#[path = "../../support/hex.rs"]
mod hex;
#[path = "../../support/outside.rs"]
mod outside;

use alloc::collections::BTreeMap;
use core::fmt::Write as _;
use std::process::Command;

use hex::hex;
use sansrtc_rtp::list::List;
use sansrtc_rtp::ntp::NtpTime;
use sansrtc_rtp::rtcp::ccfb::{CcfbMetric, CcfbStream, CcfbStreams, CongestionControlFeedback};
use sansrtc_rtp::rtcp::header::Header;
use sansrtc_rtp::rtcp::twcc::{PacketStatus, PacketStatuses, TransportCc};
use sansrtc_rtp::rtcp::xr::{
    DlrrItem, ExtendedReport, RleReport, StatisticsSummary, VoipMetrics, XrBlock, XrBlocks,
};
use sansrtc_rtp::rtcp::{
    self, ApplicationDefined, Compound, FirEntry, FullIntraRequest, Goodbye, Nack, NackEntry,
    Packet, PictureLossIndication, ReceiverReport, Remb, ReportBlock, SdesChunk, SdesChunks,
    SdesItem, SdesItems, SenderReport, SliEntry, SliceLossIndication, SourceDescription, Tmmbn,
    Tmmbr, TmmbrEntry,
};
use sansrtc_rtp::rtp::{self as rtp_mod, Element};
use serde_json::Value;

const RTP_PORT: u16 = 5004;
const RTCP_PORT: u16 = 5005;
const RTP_PACKETS: usize = 2500;
const RTCP_COMPOUNDS: usize = 1200;

/// xorshift64*: the test's own deterministic generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn u8(&mut self) -> u8 {
        self.next() as u8
    }
    fn u16(&mut self) -> u16 {
        self.next() as u16
    }
    fn u32(&mut self) -> u32 {
        self.next() as u32
    }
    fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.u8()).collect()
    }
    fn text(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| b'a' + self.below(26) as u8).collect()
    }
}

/// Expected tshark fields: key → values in document order.
#[derive(Default, Debug)]
struct Fields(BTreeMap<&'static str, Vec<String>>);

impl Fields {
    fn add(&mut self, key: &'static str, value: impl ToString) {
        self.0.entry(key).or_default().push(value.to_string());
    }
    /// Declares a key that must not appear.
    fn none(&mut self, key: &'static str) {
        self.0.entry(key).or_default();
    }
    /// What starts an RFC 4585 feedback packet: its format, the sender
    /// SSRC and the media SSRC (which RFC 8888 feedback does not have).
    fn feedback(&mut self, header: &Header, sender_ssrc: u32, media_ssrc: Option<u32>) {
        let format_key = if header.packet_type == rtcp::header::TRANSPORT_FEEDBACK {
            "rtcp.rtpfb.fmt"
        } else {
            "rtcp.psfb.fmt"
        };
        self.add(format_key, header.count);
        self.add("rtcp.senderssrc", hex32(sender_ssrc));
        if let Some(media_ssrc) = media_ssrc {
            self.add("rtcp.mediassrc", hex32(media_ssrc));
        }
    }
}

fn colon_hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        write!(s, "{b:02x}").unwrap();
    }
    s
}

fn hex32(v: u32) -> String {
    format!("0x{v:08x}")
}

/// Every value of `key` anywhere under `value`, in document order.
fn collect(value: &Value, key: &str, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                if k == key {
                    match v {
                        Value::Array(items) => {
                            for item in items {
                                if let Value::String(s) = item {
                                    out.push(s.clone());
                                }
                            }
                        }
                        Value::String(s) => out.push(s.clone()),
                        other => collect(other, key, out),
                    }
                } else {
                    collect(v, key, out);
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                collect(item, key, out);
            }
        }
        _ => {}
    }
}

fn compare(what: &str, expected: &Fields, got: &Value, disagreements: &mut Vec<String>) {
    for (key, values) in &expected.0 {
        let mut actual = Vec::new();
        collect(got, key, &mut actual);
        if &actual != values {
            disagreements.push(format!("{what}: {key}: ours {values:?}, tshark {actual:?}"));
        }
    }
}

fn rtp_fields(bytes: &[u8]) -> Fields {
    let p = rtp_mod::Packet::parse(bytes).unwrap();
    let mut f = Fields::default();
    f.add("rtp.version", p.version());
    f.add("rtp.padding", u8::from(p.has_padding()));
    f.add("rtp.ext", u8::from(p.has_extension()));
    f.add("rtp.cc", p.csrc_count());
    f.add("rtp.marker", u8::from(p.marker()));
    f.add("rtp.p_type", p.payload_type());
    f.add("rtp.seq", p.sequence_number());
    f.add("rtp.timestamp", p.timestamp());
    f.add("rtp.ssrc", hex32(p.ssrc()));
    f.none("rtp.csrc.item");
    for csrc in p.csrcs() {
        f.add("rtp.csrc.item", hex32(csrc));
    }
    f.none("rtp.ext.rfc5285.id");
    if let Some(ext) = p.extension() {
        f.add("rtp.ext.profile", format!("0x{:04x}", ext.profile()));
        f.add("rtp.ext.len", ext.data().len() / 4);
        f.none("rtp.ext.rfc5285.data");
        let two_byte = ext.form() == Some(rtp_mod::ExtensionForm::TwoByte);
        for e in ext.elements() {
            // Wireshark 4.0 (packet-rtp.c, `while (ext_offset + 2 < len)`)
            // never reads a two-byte element header in the last two bytes
            // of the block: an empty element there is invisible to it,
            // though RFC 8285 §4.3 allows it.
            let data_at = e.data.as_ptr() as usize - ext.data().as_ptr() as usize;
            if two_byte && data_at >= ext.data().len() {
                continue;
            }
            f.add("rtp.ext.rfc5285.id", e.id);
            f.add("rtp.ext.rfc5285.len", e.data.len());
            if !e.data.is_empty() {
                f.add("rtp.ext.rfc5285.data", colon_hex(e.data));
            }
        }
    }
    f.add("rtp.payload", colon_hex(p.payload()));
    if p.has_padding() {
        f.add("rtp.padding.count", p.padding_len());
    }
    f
}

fn gen_rtp(rng: &mut Rng) -> Vec<u8> {
    let csrcs: Vec<u32> = (0..rng.below(4)).map(|_| rng.u32()).collect();
    let two_byte = rng.below(3) == 0;
    let datas: Vec<(u8, Vec<u8>)> = (0..rng.below(5))
        .map(|_| {
            if two_byte {
                let id = 1 + rng.below(255) as u8;
                let len = rng.below(20) as usize;
                (id, rng.bytes(len))
            } else {
                let id = 1 + rng.below(14) as u8;
                let len = 1 + rng.below(16) as usize;
                (id, rng.bytes(len))
            }
        })
        .collect();
    let elements: Vec<Element<'_>> = datas.iter().map(|(id, d)| Element::new(*id, d)).collect();
    let payload_len = 1 + rng.below(300) as usize;
    let payload = rng.bytes(payload_len);
    let mut builder = rtp_mod::Builder::new()
        .marker(rng.bool())
        // Dynamic payload types, except 99 and 101: Wireshark decodes those
        // as RFC 2198 redundancy and RFC 2833 events by default, which
        // hides the padding.
        .payload_type([96, 97, 98, 100, 102, 111, 120, 127][rng.below(8) as usize])
        .sequence_number(rng.u16())
        .timestamp(rng.u32())
        .ssrc(rng.u32())
        .csrcs(&csrcs)
        .payload(&payload);
    if !elements.is_empty() {
        builder = if two_byte {
            builder.two_byte_extensions(&elements)
        } else {
            builder.extensions(&elements)
        };
    }
    if rng.below(4) == 0 {
        builder = builder.padding(1 + rng.below(8) as u8);
    }
    let mut buf = vec![0u8; builder.encoded_len()];
    builder.write_to(&mut buf).unwrap();
    buf
}

fn block_fields(f: &mut Fields, b: &ReportBlock) {
    f.add("rtcp.ssrc.identifier", hex32(b.ssrc));
    f.add("rtcp.ssrc.fraction", b.fraction_lost);
    f.add("rtcp.ssrc.cum_nr", b.cumulative_lost);
    f.add("rtcp.ssrc.ext_high", b.extended_highest_sequence);
    f.add("rtcp.ssrc.jitter", b.jitter);
    f.add("rtcp.ssrc.lsr", b.last_sender_report);
    f.add("rtcp.ssrc.dlsr", b.delay_since_last_sender_report);
}

fn rtcp_fields(bytes: &[u8], packet: &Packet<'_>) -> Fields {
    let mut f = Fields::default();
    let header = Header {
        padding: bytes[0] & 0x20 != 0,
        count: bytes[0] & 0x1f,
        packet_type: bytes[1],
        length: u16::from_be_bytes([bytes[2], bytes[3]]),
    };
    f.add("rtcp.version", 2);
    f.add("rtcp.padding", u8::from(header.padding));
    f.add("rtcp.pt", header.packet_type);
    f.add("rtcp.length", header.length);
    match packet {
        Packet::SenderReport(sr) => {
            f.add("rtcp.rc", header.count);
            f.add("rtcp.senderssrc", hex32(sr.ssrc));
            f.add("rtcp.timestamp.ntp.msw", sr.ntp_time.seconds());
            f.add("rtcp.timestamp.ntp.lsw", sr.ntp_time.fraction());
            f.add("rtcp.timestamp.rtp", sr.rtp_time);
            f.add("rtcp.sender.packetcount", sr.packet_count);
            f.add("rtcp.sender.octetcount", sr.octet_count);
            for b in sr.report_blocks {
                block_fields(&mut f, &b);
            }
        }
        Packet::ReceiverReport(rr) => {
            f.add("rtcp.rc", header.count);
            f.add("rtcp.senderssrc", hex32(rr.ssrc));
            for b in rr.report_blocks {
                block_fields(&mut f, &b);
            }
        }
        Packet::SourceDescription(sdes) => {
            f.add("rtcp.sc", header.count);
            for chunk in sdes.chunks.iter() {
                f.add("rtcp.ssrc.identifier", hex32(chunk.source));
                for item in chunk.items.iter() {
                    f.add("rtcp.sdes.type", item.kind());
                    if let SdesItem::Private { prefix, value } = item {
                        f.add("rtcp.sdes.length", 1 + prefix.len() + value.len());
                        f.add("rtcp.sdes.prefix.length", prefix.len());
                        f.add("rtcp.sdes.prefix.string", String::from_utf8_lossy(prefix));
                    } else {
                        f.add("rtcp.sdes.length", item.value().len());
                    }
                    f.add("rtcp.sdes.text", String::from_utf8_lossy(item.value()));
                }
                f.add("rtcp.sdes.type", 0);
            }
        }
        Packet::Goodbye(bye) => {
            f.add("rtcp.sc", header.count);
            for ssrc in bye.sources {
                f.add("rtcp.ssrc.identifier", hex32(ssrc));
            }
            if let Some(reason) = bye.reason {
                f.add("rtcp.sdes.length", reason.len());
                f.add("rtcp.sdes.text", String::from_utf8_lossy(reason));
            }
        }
        Packet::ApplicationDefined(app) => {
            f.add("rtcp.app.subtype", app.subtype);
            f.add("rtcp.ssrc.identifier", hex32(app.ssrc));
            f.add("rtcp.app.name", String::from_utf8_lossy(&app.name));
            if !app.data.is_empty() {
                f.add("rtcp.app.data", colon_hex(app.data));
            }
        }
        Packet::Nack(nack) => {
            f.feedback(&header, nack.sender_ssrc, Some(nack.media_ssrc));
            for e in nack.entries {
                f.add("rtcp.rtpfb.nack_pid", e.packet_id);
                f.add("rtcp.rtpfb.nack_blp", format!("0x{:04x}", e.lost_bitmask));
            }
            // Wireshark then lists each lost packet of the bitmask, without
            // wrapping at 65536.
            for e in nack.entries {
                for (i, seq) in e.lost().enumerate().skip(1) {
                    let unwrapped =
                        u32::from(e.packet_id) + u32::from(seq.wrapping_sub(e.packet_id));
                    let _ = i;
                    f.add("rtcp.rtpfb.nack_pid", unwrapped);
                }
            }
        }
        Packet::Tmmbr(Tmmbr {
            sender_ssrc,
            media_ssrc,
            entries,
        })
        | Packet::Tmmbn(Tmmbn {
            sender_ssrc,
            media_ssrc,
            entries,
        }) => {
            f.feedback(&header, *sender_ssrc, Some(*media_ssrc));
            for e in entries {
                f.add("rtcp.rtpfb.tmmbr.fci.ssrc", hex32(e.ssrc));
                f.add("rtcp.rtpfb.tmmbr.fci.exp", e.exponent);
                f.add("rtcp.rtpfb.tmmbr.fci.mantissa", e.mantissa);
                // Wireshark 4.0 reads the 9-bit measured overhead (RFC 5104
                // §4.2.1.1) from its last byte only, losing the top bit.
                f.add("rtcp.rtpfb.tmmbr.fci.measuredoverhead", e.overhead & 0xff);
            }
        }
        Packet::TransportCc(cc) => {
            f.feedback(&header, cc.sender_ssrc, Some(cc.media_ssrc));
            f.add("rtcp.rtpfb.transportcc.baseseq", cc.base_sequence_number);
            f.add("rtcp.rtpfb.transportcc.statuscount", cc.statuses.len());
            f.add("rtcp.rtpfb.transportcc.reftime", cc.reference_time);
            f.add("rtcp.rtpfb.transportcc.pktcount", cc.feedback_packet_count);
            f.none("rtcp.rtpfb.transportcc.recv_delta");
            for s in cc.statuses.iter() {
                match s {
                    PacketStatus::NotReceived => {}
                    PacketStatus::SmallDelta(d) => {
                        f.add("rtcp.rtpfb.transportcc.recv_delta", format!("0x{d:02x}"))
                    }
                    PacketStatus::LargeDelta(d) => f.add(
                        "rtcp.rtpfb.transportcc.recv_delta",
                        format!("0x{:04x}", d as u16),
                    ),
                }
            }
        }
        Packet::CongestionControlFeedback(fb) => {
            // Wireshark 4.0 does not decode RFC 8888: the header only.
            f.feedback(&header, fb.sender_ssrc, None);
        }
        Packet::PictureLossIndication(pli) => {
            f.feedback(&header, pli.sender_ssrc, Some(pli.media_ssrc));
        }
        Packet::SliceLossIndication(sli) => {
            f.feedback(&header, sli.sender_ssrc, Some(sli.media_ssrc));
            for e in sli.entries {
                f.add("rtcp.psfb.fir.sli.first", e.first);
                f.add("rtcp.psfb.fir.sli.number", e.number);
                f.add("rtcp.psfb.fir.sli.picture_id", e.picture_id);
            }
        }
        Packet::FullIntraRequest(fir) => {
            f.feedback(&header, fir.sender_ssrc, Some(fir.media_ssrc));
            for e in fir.entries {
                f.add("rtcp.psfb.fir.fci.ssrc", hex32(e.ssrc));
                f.add("rtcp.psfb.fir.fci.csn", e.sequence_number);
            }
        }
        Packet::Remb(remb) => {
            f.feedback(&header, remb.sender_ssrc, Some(remb.media_ssrc));
            f.add("rtcp.psfb.remb.fci.number_ssrcs", remb.ssrcs.len());
            f.add("rtcp.psfb.remb.fci.br_exp", remb.exponent);
            f.add("rtcp.psfb.remb.fci.br_mantissa", remb.mantissa);
            f.none("rtcp.psfb.remb.fci.ssrc");
            for ssrc in remb.ssrcs {
                f.add("rtcp.psfb.remb.fci.ssrc", hex32(ssrc));
            }
        }
        Packet::ExtendedReport(xr) => {
            f.add("rtcp.senderssrc", hex32(xr.ssrc));
            for block in xr.blocks.iter() {
                f.add("rtcp.xr.bt", block.block_type());
                match block {
                    XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => {
                        f.add("rtcp.xr.tf", r.thinning);
                        f.add("rtcp.xr.bl", 2 + r.chunks.len().div_ceil(2));
                        f.add("rtcp.ssrc.identifier", hex32(r.ssrc));
                        f.add("rtcp.xr.beginseq", r.begin_sequence);
                        f.add("rtcp.xr.endseq", r.end_sequence);
                    }
                    XrBlock::ReceiverReferenceTime(_) => {
                        f.add("rtcp.xr.bs", 0);
                        f.add("rtcp.xr.bl", 2);
                    }
                    XrBlock::Dlrr(items) => {
                        f.add("rtcp.xr.bs", 0);
                        f.add("rtcp.xr.bl", 3 * items.len());
                        for item in items {
                            f.add("rtcp.ssrc.identifier", hex32(item.ssrc));
                            f.add("rtcp.xr.lrr", item.last_receiver_report);
                            f.add("rtcp.xr.dlrr", item.delay_since_last_receiver_report);
                        }
                    }
                    XrBlock::StatisticsSummary(s) => {
                        f.add("rtcp.xr.stats.lrflag", u8::from(s.has_loss));
                        f.add("rtcp.xr.stats.dupflag", u8::from(s.has_duplicates));
                        f.add("rtcp.xr.stats.jitterflag", u8::from(s.has_jitter));
                        f.add("rtcp.xr.bl", 9);
                        f.add("rtcp.ssrc.identifier", hex32(s.ssrc));
                        f.add("rtcp.xr.beginseq", s.begin_sequence);
                        f.add("rtcp.xr.endseq", s.end_sequence);
                        f.add("rtcp.xr.stats.lost", s.lost_packets);
                        f.add("rtcp.xr.stats.dups", s.duplicate_packets);
                        f.add("rtcp.xr.stats.minjitter", s.min_jitter);
                        f.add("rtcp.xr.stats.maxjitter", s.max_jitter);
                        f.add("rtcp.xr.stats.meanjitter", s.mean_jitter);
                        f.add("rtcp.xr.stats.devjitter", s.dev_jitter);
                    }
                    XrBlock::VoipMetrics(v) => {
                        f.add("rtcp.xr.bs", 0);
                        f.add("rtcp.xr.bl", 8);
                        f.add("rtcp.ssrc.identifier", hex32(v.ssrc));
                        f.add("rtcp.ssrc.fraction", v.loss_rate);
                        f.add("rtcp.ssrc.discarded", v.discard_rate);
                        f.add("rtcp.xr.voipmetrics.burstdensity", v.burst_density);
                        f.add("rtcp.xr.voipmetrics.gapdensity", v.gap_density);
                        f.add("rtcp.xr.voipmetrics.burstduration", v.burst_duration);
                        f.add("rtcp.xr.voipmetrics.gapduration", v.gap_duration);
                        f.add("rtcp.xr.voipmetrics.rtdelay", v.round_trip_delay);
                        f.add("rtcp.xr.voipmetrics.esdelay", v.end_system_delay);
                        f.add("rtcp.xr.voipmetrics.signallevel", v.signal_level as i8);
                        f.add("rtcp.xr.voipmetrics.noiselevel", v.noise_level as i8);
                        f.add("rtcp.xr.voipmetrics.rerl", v.rerl);
                        f.add("rtcp.xr.voipmetrics.gmin", v.gmin);
                        f.add("rtcp.xr.voipmetrics.jbnominal", v.jb_nominal);
                        f.add("rtcp.xr.voipmetrics.jbmax", v.jb_maximum);
                        f.add("rtcp.xr.voipmetrics.jbabsmax", v.jb_abs_max);
                    }
                    XrBlock::Unknown {
                        type_specific,
                        data,
                        ..
                    } => {
                        f.add("rtcp.xr.bs", type_specific);
                        f.add("rtcp.xr.bl", data.len() / 4);
                    }
                    _ => {}
                }
            }
        }
        _ => {}
    }
    f
}

fn gen_block(rng: &mut Rng) -> ReportBlock {
    ReportBlock {
        ssrc: rng.u32(),
        fraction_lost: rng.u8(),
        cumulative_lost: (rng.u32() >> 8) as i32 - 0x80_0000,
        extended_highest_sequence: rng.u32(),
        jitter: rng.u32(),
        last_sender_report: rng.u32(),
        delay_since_last_sender_report: rng.u32(),
    }
}

/// Owned storage the generated packets borrow from.
#[derive(Default)]
struct Store {
    blocks: Vec<ReportBlock>,
    texts: Vec<Vec<u8>>,
    u32s: Vec<u32>,
}

/// Writes one compound: an SR or RR, then up to four other packets.
fn gen_compound(rng: &mut Rng) -> Vec<u8> {
    let mut out = Vec::new();
    let mut write = |p: Packet<'_>| {
        let mut buf = vec![0u8; p.encoded_len()];
        p.write_to(&mut buf).unwrap();
        out.extend_from_slice(&buf);
    };
    let mut store = Store {
        blocks: (0..rng.below(5)).map(|_| gen_block(rng)).collect(),
        ..Store::default()
    };
    if rng.bool() {
        write(Packet::SenderReport(SenderReport {
            ssrc: rng.u32(),
            ntp_time: NtpTime(rng.next()),
            rtp_time: rng.u32(),
            packet_count: rng.u32(),
            octet_count: rng.u32(),
            report_blocks: List::new(&store.blocks),
            profile_extension: &[],
        }));
    } else {
        write(Packet::ReceiverReport(ReceiverReport {
            ssrc: rng.u32(),
            report_blocks: List::new(&store.blocks),
            profile_extension: &[],
        }));
    }
    for _ in 0..rng.below(5) {
        let sender = rng.u32();
        let media = rng.u32();
        match rng.below(15) {
            0 => {
                let texts: Vec<Vec<u8>> = (0..6)
                    .map(|_| {
                        let n = 1 + rng.below(20) as usize;
                        rng.text(n)
                    })
                    .collect();
                store.texts = texts;
                let items = [
                    SdesItem::Cname(&store.texts[0]),
                    SdesItem::Name(&store.texts[1]),
                    SdesItem::Tool(&store.texts[2]),
                    SdesItem::Private {
                        prefix: &store.texts[3],
                        value: &store.texts[4],
                    },
                    SdesItem::Note(&store.texts[5]),
                ];
                let n = 1 + rng.below(5) as usize;
                let chunks = [
                    SdesChunk {
                        source: sender,
                        items: SdesItems::new(&items[..n]),
                    },
                    SdesChunk {
                        source: media,
                        items: SdesItems::new(&items[n - 1..]),
                    },
                ];
                let count = 1 + rng.below(2) as usize;
                write(Packet::SourceDescription(SourceDescription {
                    chunks: SdesChunks::new(&chunks[..count]),
                }));
            }
            1 => {
                let sources: Vec<u32> = (0..1 + rng.below(3)).map(|_| rng.u32()).collect();
                let reason_len = 1 + rng.below(30) as usize;
                let reason = rng.text(reason_len);
                let with_reason = rng.bool();
                write(Packet::Goodbye(Goodbye {
                    sources: List::new(&sources),
                    reason: with_reason.then_some(&reason[..]),
                }));
            }
            2 => {
                let data_len = 4 * rng.below(4) as usize;
                let data = rng.bytes(data_len);
                let name = rng.text(4);
                write(Packet::ApplicationDefined(ApplicationDefined {
                    subtype: rng.below(32) as u8,
                    ssrc: sender,
                    name: [name[0], name[1], name[2], name[3]],
                    data: &data,
                }));
            }
            3 => {
                let entries: Vec<NackEntry> = (0..1 + rng.below(4))
                    .map(|_| NackEntry {
                        packet_id: rng.u16(),
                        lost_bitmask: rng.u16(),
                    })
                    .collect();
                write(Packet::Nack(Nack {
                    sender_ssrc: sender,
                    media_ssrc: media,
                    entries: List::new(&entries),
                }));
            }
            4 => write(Packet::PictureLossIndication(PictureLossIndication {
                sender_ssrc: sender,
                media_ssrc: media,
            })),
            5 => {
                let entries: Vec<FirEntry> = (0..1 + rng.below(3))
                    .map(|_| FirEntry {
                        ssrc: rng.u32(),
                        sequence_number: rng.u8(),
                    })
                    .collect();
                write(Packet::FullIntraRequest(FullIntraRequest {
                    sender_ssrc: sender,
                    media_ssrc: 0,
                    entries: List::new(&entries),
                }));
            }
            6 => {
                store.u32s = (0..rng.below(4)).map(|_| rng.u32()).collect();
                write(Packet::Remb(Remb::new(
                    sender,
                    rng.next() >> rng.below(64),
                    &store.u32s,
                )));
            }
            7 | 8 => {
                let entries: Vec<TmmbrEntry> = (0..1 + rng.below(3))
                    .map(|_| TmmbrEntry {
                        ssrc: rng.u32(),
                        exponent: rng.below(64) as u8,
                        mantissa: rng.u32() & 0x1_ffff,
                        overhead: rng.u16() & 0x1ff,
                    })
                    .collect();
                if rng.bool() {
                    write(Packet::Tmmbr(Tmmbr {
                        sender_ssrc: sender,
                        media_ssrc: 0,
                        entries: List::new(&entries),
                    }));
                } else {
                    write(Packet::Tmmbn(Tmmbn {
                        sender_ssrc: sender,
                        media_ssrc: 0,
                        entries: List::new(&entries),
                    }));
                }
            }
            9 => {
                let entries: Vec<SliEntry> = (0..1 + rng.below(3))
                    .map(|_| SliEntry {
                        first: rng.u16() & 0x1fff,
                        number: rng.u16() & 0x1fff,
                        picture_id: rng.u8() & 0x3f,
                    })
                    .collect();
                write(Packet::SliceLossIndication(SliceLossIndication {
                    sender_ssrc: sender,
                    media_ssrc: media,
                    entries: List::new(&entries),
                }));
            }
            10 | 11 => {
                let mut statuses = Vec::new();
                for _ in 0..1 + rng.below(6) {
                    let kind = rng.below(3);
                    for _ in 0..1 + rng.below(20) {
                        statuses.push(match kind {
                            0 => PacketStatus::NotReceived,
                            1 => PacketStatus::SmallDelta(rng.u8()),
                            _ => PacketStatus::LargeDelta(rng.u16() as i16),
                        });
                    }
                }
                write(Packet::TransportCc(TransportCc {
                    sender_ssrc: sender,
                    media_ssrc: media,
                    base_sequence_number: rng.u16(),
                    reference_time: (rng.u32() >> 8) as i32 - 0x80_0000,
                    feedback_packet_count: rng.u8(),
                    statuses: PacketStatuses::new(&statuses),
                }));
            }
            12 => {
                let metrics: Vec<CcfbMetric> = (0..rng.below(10))
                    .map(|_| CcfbMetric {
                        received: rng.bool(),
                        ecn: rng.below(4) as u8,
                        arrival_time_offset: rng.u16() & 0x1fff,
                    })
                    .collect();
                let streams = [CcfbStream {
                    ssrc: media,
                    begin_sequence: rng.u16(),
                    metrics: List::new(&metrics),
                }];
                write(Packet::CongestionControlFeedback(
                    CongestionControlFeedback {
                        sender_ssrc: sender,
                        streams: CcfbStreams::new(&streams),
                        report_timestamp: rng.u32(),
                    },
                ));
            }
            _ => {
                let chunks: Vec<u16> = (0..2 * rng.below(3)).map(|_| rng.u16() & 0x3fff).collect();
                let dlrr: Vec<DlrrItem> = (0..1 + rng.below(3))
                    .map(|_| DlrrItem {
                        ssrc: rng.u32(),
                        last_receiver_report: rng.u32(),
                        delay_since_last_receiver_report: rng.u32(),
                    })
                    .collect();
                let blocks = [
                    XrBlock::LossRle(RleReport {
                        thinning: rng.below(16) as u8,
                        ssrc: media,
                        begin_sequence: rng.u16(),
                        end_sequence: rng.u16(),
                        chunks: List::new(&chunks),
                    }),
                    XrBlock::ReceiverReferenceTime(NtpTime(rng.next())),
                    XrBlock::Dlrr(List::new(&dlrr)),
                    XrBlock::StatisticsSummary(StatisticsSummary {
                        has_loss: rng.bool(),
                        has_duplicates: rng.bool(),
                        has_jitter: rng.bool(),
                        ttl_or_hop_limit: 0,
                        ssrc: media,
                        begin_sequence: rng.u16(),
                        end_sequence: rng.u16(),
                        lost_packets: rng.u32(),
                        duplicate_packets: rng.u32(),
                        min_jitter: rng.u32(),
                        max_jitter: rng.u32(),
                        mean_jitter: rng.u32(),
                        dev_jitter: rng.u32(),
                        ..StatisticsSummary::default()
                    }),
                    XrBlock::VoipMetrics(VoipMetrics {
                        ssrc: media,
                        loss_rate: rng.u8(),
                        discard_rate: rng.u8(),
                        burst_density: rng.u8(),
                        gap_density: rng.u8(),
                        burst_duration: rng.u16(),
                        gap_duration: rng.u16(),
                        round_trip_delay: rng.u16(),
                        end_system_delay: rng.u16(),
                        signal_level: rng.u8(),
                        noise_level: rng.u8(),
                        rerl: rng.u8(),
                        gmin: rng.u8(),
                        jb_nominal: rng.u16(),
                        jb_maximum: rng.u16(),
                        jb_abs_max: rng.u16(),
                        ..VoipMetrics::default()
                    }),
                ];
                let first = rng.below(blocks.len() as u64) as usize;
                write(Packet::ExtendedReport(ExtendedReport {
                    ssrc: sender,
                    blocks: XrBlocks::new(&blocks[first..]),
                }));
            }
        }
    }
    out
}

/// A pcap of Ethernet/IPv4/UDP frames on loopback addresses.
fn pcap(frames: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]);
    out.extend_from_slice(&65_535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // Ethernet
    for (i, (port, payload)) in frames.iter().enumerate() {
        let udp_len = 8 + payload.len();
        let ip_len = 20 + udp_len;
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00]);
        frame.extend_from_slice(&[0x45, 0]);
        frame.extend_from_slice(&(ip_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1]);
        frame.extend_from_slice(&40_000u16.to_be_bytes());
        frame.extend_from_slice(&port.to_be_bytes());
        frame.extend_from_slice(&(udp_len as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(payload);
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&(frame.len() as u32).to_le_bytes());
        out.extend_from_slice(&frame);
    }
    out
}

fn tshark_present() -> bool {
    outside::installed_or_skip("tshark", &["--version"]).is_some()
}

/// Runs tshark over `frames` and returns its JSON, one value per frame.
fn decode_with_tshark(frames: &[(u16, Vec<u8>)], name: &str) -> Vec<Value> {
    let dir =
        std::env::temp_dir().join(format!("sansrtc-rtp-tshark-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("frames.pcap");
    std::fs::write(&path, pcap(frames)).unwrap();
    let output = Command::new("tshark")
        .arg("-r")
        .arg(&path)
        .args(["-T", "json", "--no-duplicate-keys"])
        .args(["-d", &format!("udp.port=={RTP_PORT},rtp")])
        .args(["-d", &format!("udp.port=={RTCP_PORT},rtcp")])
        .output()
        .unwrap();
    if std::env::var_os("KEEP_PCAP").is_none() {
        std::fs::remove_dir_all(&dir).unwrap();
    } else {
        println!("pcap kept at {}", path.display());
    }
    assert!(
        output.status.success(),
        "tshark failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decoded: Value = serde_json::from_slice(&output.stdout).unwrap();
    let decoded = decoded.as_array().unwrap().clone();
    assert_eq!(decoded.len(), frames.len());
    decoded
}

/// Compares every frame; returns the RTP and RTCP packet counts and the
/// disagreements.
fn compare_frames(frames: &[(u16, Vec<u8>)], decoded: &[Value]) -> (usize, usize, Vec<String>) {
    let mut disagreements = Vec::new();
    let (mut rtp_count, mut rtcp_count) = (0, 0);
    for (i, ((port, bytes), frame)) in frames.iter().zip(decoded).enumerate() {
        let layers = &frame["_source"]["layers"];
        if *port == RTP_PORT {
            rtp_count += 1;
            let Some(layer) = layers.get("rtp") else {
                disagreements.push(format!("frame {i}: tshark has no RTP layer"));
                continue;
            };
            compare(
                &format!("frame {i} (RTP)"),
                &rtp_fields(bytes),
                layer,
                &mut disagreements,
            );
        } else {
            let Some(layer) = layers.get("rtcp") else {
                disagreements.push(format!("frame {i}: tshark has no RTCP layer"));
                continue;
            };
            let theirs: Vec<&Value> = match layer {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            let mut rest = &bytes[..];
            let ours: Vec<Packet<'_>> = Compound::parse(bytes)
                .unwrap()
                .packets()
                .map(Result::unwrap)
                .collect();
            if ours.len() != theirs.len() {
                disagreements.push(format!(
                    "frame {i}: {} RTCP packets, tshark {}",
                    ours.len(),
                    theirs.len()
                ));
                continue;
            }
            for (j, (packet, their)) in ours.iter().zip(theirs).enumerate() {
                rtcp_count += 1;
                let len = packet.encoded_len();
                compare(
                    &format!("frame {i} RTCP packet {j} ({})", packet.packet_type()),
                    &rtcp_fields(&rest[..len], packet),
                    their,
                    &mut disagreements,
                );
                rest = &rest[len..];
            }
        }
    }
    (rtp_count, rtcp_count, disagreements)
}

#[test]
fn tshark_agrees_with_our_parsers() {
    if !tshark_present() {
        return;
    }
    let mut rng = Rng(0x5eed_1234_abcd_ef01);
    let mut frames: Vec<(u16, Vec<u8>)> = Vec::new();
    for i in 0..RTP_PACKETS + RTCP_COMPOUNDS {
        if i % 3 == 2 && frames.iter().filter(|f| f.0 == RTCP_PORT).count() < RTCP_COMPOUNDS {
            frames.push((RTCP_PORT, gen_compound(&mut rng)));
        } else {
            frames.push((RTP_PORT, gen_rtp(&mut rng)));
        }
    }
    let decoded = decode_with_tshark(&frames, "generated");
    let (rtp_count, rtcp_count, disagreements) = compare_frames(&frames, &decoded);
    println!("compared {rtp_count} RTP packets and {rtcp_count} RTCP packets with tshark");
    assert!(rtp_count >= 2000 && rtcp_count >= 2000);
    assert!(
        disagreements.is_empty(),
        "{} disagreements with tshark, first ones:\n{}",
        disagreements.len(),
        disagreements
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

/// The byte vectors of the unit tests, which were written by hand from the
/// RFCs: Wireshark must read them as we do.
#[test]
fn tshark_agrees_on_the_hand_written_vectors() {
    if !tshark_present() {
        return;
    }
    let frames = vec![
        (RTP_PORT, hex("b2e01234 11223344 deadbeef 00000001 00000002 bede0001 11aabb00 010203 000003")),
        (RTP_PORT, hex("90600001 00000002 00000003 10000002 0102aabb 03000000 ff")),
        (RTCP_PORT, hex(
            "81c8000c 902f9e2e da8bd1fc dddddddd 00018d0e 00000010 00000640
             bc5e9a40 05fffffe 00000044 00000222 11223344 00000100
             81ca0003 11223344 0104686f 73740000
             82cb0004 11111111 22222222 05627965 21210000
             85cc0003 12345678 74657374 00010203
             81cd0004 00000001 00000002 fffe0005 00100000
             81ce0002 0000000a 0000000b
             84ce0004 00000001 00000000 12345678 07000000
             8fce0006 00000001 00000000 52454d42 020bd090 11111111 22222222
             83cd0004 00000001 00000000 0a0b0c0d 12000028",
        )),
        (RTCP_PORT, hex(
            "81c90008 00000001 00000002 00800000 00000003 00000004 00000005 00000006 cafebabe
             8fcd0007 00000001 00000002 00640006 ffffff03 2002e180 0408ff00 01001000
             80cf0022 11111111
             01030004 22222222 00640078 4fff8123 c0010000
             04000002 e1234567 89abcdef
             05000003 33333333 44444444 00010000
             06e80009 22222222 00640078 00000002 00000001 00000003 00000009 00000005 00000001 3f40403f
             07000008 22222222 0a0b0c0d 00140028 00960032 eeb01e20 5d5a2a26 11000050 00780096
             09070001 01020304
             8bcd0009 00000001 0000000a 000a0003 c0050000 ffff0000 0000000b ffff0002 80018002 12345678
             82ce0003 00000001 00000002 00080083
             83ce0004 00000001 00000002 1c60abcd ef000000
             84cd0002 00000001 00000000",
        )),
    ];
    let decoded = decode_with_tshark(&frames, "vectors");
    let (rtp_count, rtcp_count, disagreements) = compare_frames(&frames, &decoded);
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
    assert_eq!((rtp_count, rtcp_count), (2, 16));
    assert!(disagreements.is_empty(), "{}", disagreements.join("\n"));
}
