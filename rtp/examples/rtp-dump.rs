//! `rtp-dump FILE [--port PORT]...`: prints every RTP and RTCP packet of a
//! capture (pcap or pcapng) as one JSON line with every decoded field.
//!
//! Without `--port`, RTP and RTCP are told from the rest by the first byte
//! (RFC 7983: 128..=191) and from each other by the payload type
//! (RFC 5761: 192..=223 is RTCP). With `--port`, only UDP datagrams from or
//! to those ports are decoded. Anything that cannot be decoded is printed
//! with the reason: nothing is skipped silently.
//!
//! ```text
//! cargo run -p sansrtc-rtp --example rtp-dump -- call.pcapng --port 5004
//! ```

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use core::time::Duration;
use std::fs::File;
use std::io::{BufReader, Read as _};
use std::process::ExitCode;

use pcap_file::DataLink;
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use sansrtc_rtp::rtcp::twcc::PacketStatus;
use sansrtc_rtp::rtcp::xr::XrBlock;
use sansrtc_rtp::rtcp::{Compound, Packet, SdesItem};
use sansrtc_rtp::rtp;
use serde_json::{Value, json};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A UDP datagram found in a frame.
struct Datagram<'a> {
    source: (IpAddr, u16),
    destination: (IpAddr, u16),
    payload: &'a [u8],
}

/// Takes `n` bytes off the front.
fn take<'a>(bytes: &mut &'a [u8], n: usize, what: &'static str) -> Result<&'a [u8], String> {
    let (head, tail) = bytes
        .split_at_checked(n)
        .ok_or_else(|| format!("{what}: truncated"))?;
    *bytes = tail;
    Ok(head)
}

fn be16(bytes: &[u8], at: usize) -> Option<u16> {
    bytes.get(at..at + 2).map(|b| {
        u16::from_be_bytes([
            b.first().copied().unwrap_or(0),
            b.get(1).copied().unwrap_or(0),
        ])
    })
}

/// Finds the IP packet inside a link-layer frame.
fn link_payload(link: DataLink, frame: &[u8]) -> Result<&[u8], String> {
    let mut rest = frame;
    match link {
        DataLink::ETHERNET => {
            let header = take(&mut rest, 14, "Ethernet header")?;
            let mut ethertype = be16(header, 12).unwrap_or(0);
            while ethertype == 0x8100 || ethertype == 0x88a8 {
                let tag = take(&mut rest, 4, "VLAN tag")?;
                ethertype = be16(tag, 2).unwrap_or(0);
            }
            match ethertype {
                0x0800 | 0x86dd => Ok(rest),
                other => Err(format!("not IP (ethertype {other:#06x})")),
            }
        }
        DataLink::LINUX_SLL => {
            let header = take(&mut rest, 16, "Linux cooked header")?;
            match be16(header, 14) {
                Some(0x0800 | 0x86dd) => Ok(rest),
                other => Err(format!("not IP (protocol {:#06x})", other.unwrap_or(0))),
            }
        }
        DataLink::NULL | DataLink::LOOP => {
            take(&mut rest, 4, "loopback header")?;
            Ok(rest)
        }
        DataLink::RAW | DataLink::IPV4 | DataLink::IPV6 => Ok(rest),
        other => Err(format!("unsupported link type {other:?}")),
    }
}

/// Finds the UDP datagram in an IP packet.
fn udp(ip: &[u8]) -> Result<Datagram<'_>, String> {
    let mut rest = ip;
    let version = ip.first().map(|b| b >> 4);
    let (source, destination) = match version {
        Some(4) => {
            let ihl = usize::from(ip.first().copied().unwrap_or(0) & 0x0f) * 4;
            let header = take(&mut rest, ihl.max(20), "IPv4 header")?;
            let total = usize::from(be16(header, 2).unwrap_or(0));
            let flags_offset = be16(header, 6).unwrap_or(0);
            if flags_offset & 0x3fff != 0 {
                return Err("IPv4 fragment".into());
            }
            if header.get(9) != Some(&17) {
                return Err(format!(
                    "not UDP (IP protocol {})",
                    header.get(9).copied().unwrap_or(0)
                ));
            }
            // Ethernet may pad short frames: trust the IPv4 total length.
            if let Some(trimmed) = rest.get(..total.saturating_sub(ihl)) {
                rest = trimmed;
            }
            let addr = |at: usize| {
                let b = header.get(at..at + 4).unwrap_or(&[0; 4]);
                let a: [u8; 4] = b.try_into().unwrap_or([0; 4]);
                IpAddr::V4(Ipv4Addr::from(a))
            };
            (addr(12), addr(16))
        }
        Some(6) => {
            let header = take(&mut rest, 40, "IPv6 header")?;
            if header.get(6) != Some(&17) {
                return Err(format!(
                    "not UDP (IPv6 next header {})",
                    header.get(6).copied().unwrap_or(0)
                ));
            }
            let addr = |at: usize| {
                let b = header.get(at..at + 16).unwrap_or(&[0; 16]);
                let a: [u8; 16] = b.try_into().unwrap_or([0; 16]);
                IpAddr::V6(Ipv6Addr::from(a))
            };
            (addr(8), addr(24))
        }
        other => return Err(format!("not IP (version {})", other.unwrap_or(0))),
    };
    let header = take(&mut rest, 8, "UDP header")?;
    let length = usize::from(be16(header, 4).unwrap_or(0));
    let payload = rest
        .get(..length.saturating_sub(8))
        .ok_or("UDP length beyond the frame")?;
    Ok(Datagram {
        source: (source, be16(header, 0).unwrap_or(0)),
        destination: (destination, be16(header, 2).unwrap_or(0)),
        payload,
    })
}

fn rtp_json(bytes: &[u8]) -> Result<Value, String> {
    let p = rtp::Packet::parse(bytes).map_err(|e| e.to_string())?;
    let extension = p.extension().map(|ext| {
        let elements: Vec<Value> = ext
            .elements()
            .map(|e| json!({"id": e.id, "len": e.data.len(), "data": hex(e.data)}))
            .collect();
        json!({
            "profile": format!("{:#06x}", ext.profile()),
            "form": match ext.form() {
                Some(rtp::ExtensionForm::OneByte) => "one-byte",
                Some(rtp::ExtensionForm::TwoByte) => "two-byte",
                None => "other",
            },
            "length_words": ext.data().len() / 4,
            "elements": elements,
        })
    });
    Ok(json!({
        "version": p.version(),
        "padding": p.has_padding(),
        "extension": p.has_extension(),
        "csrc_count": p.csrc_count(),
        "marker": p.marker(),
        "payload_type": p.payload_type(),
        "sequence_number": p.sequence_number(),
        "timestamp": p.timestamp(),
        "ssrc": p.ssrc(),
        "csrcs": p.csrcs().iter().collect::<Vec<u32>>(),
        "header_extension": extension,
        "payload_len": p.payload().len(),
        "padding_len": p.padding_len(),
    }))
}

fn block_json(b: &sansrtc_rtp::rtcp::ReportBlock) -> Value {
    json!({
        "ssrc": b.ssrc,
        "fraction_lost": b.fraction_lost,
        "cumulative_lost": b.cumulative_lost,
        "extended_highest_sequence": b.extended_highest_sequence,
        "jitter": b.jitter,
        "last_sender_report": b.last_sender_report,
        "delay_since_last_sender_report": b.delay_since_last_sender_report,
    })
}

fn rtcp_packet_json(packet: &Packet<'_>) -> Value {
    match packet {
        Packet::SenderReport(sr) => json!({
            "type": "SR", "ssrc": sr.ssrc,
            "ntp_seconds": sr.ntp_time.seconds(), "ntp_fraction": sr.ntp_time.fraction(),
            "rtp_time": sr.rtp_time, "packet_count": sr.packet_count, "octet_count": sr.octet_count,
            "report_blocks": sr.report_blocks.iter().map(|b| block_json(&b)).collect::<Vec<_>>(),
            "profile_extension": hex(sr.profile_extension),
        }),
        Packet::ReceiverReport(rr) => json!({
            "type": "RR", "ssrc": rr.ssrc,
            "report_blocks": rr.report_blocks.iter().map(|b| block_json(&b)).collect::<Vec<_>>(),
            "profile_extension": hex(rr.profile_extension),
        }),
        Packet::SourceDescription(sdes) => json!({
            "type": "SDES",
            "chunks": sdes.chunks.iter().map(|c| json!({
                "source": c.source,
                "items": c.items.iter().map(|item| match item {
                    SdesItem::Private { prefix, value } => json!({"type": item.kind(), "prefix": text(prefix), "value": text(value)}),
                    other => json!({"type": other.kind(), "value": text(other.value())}),
                }).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Packet::Goodbye(bye) => json!({
            "type": "BYE",
            "sources": bye.sources.iter().collect::<Vec<u32>>(),
            "reason": bye.reason.map(text),
        }),
        Packet::ApplicationDefined(app) => json!({
            "type": "APP", "subtype": app.subtype, "ssrc": app.ssrc, "name": text(&app.name), "data": hex(app.data),
        }),
        Packet::Nack(nack) => json!({
            "type": "NACK", "sender_ssrc": nack.sender_ssrc, "media_ssrc": nack.media_ssrc,
            "entries": nack.entries.iter().map(|e| json!({"packet_id": e.packet_id, "lost_bitmask": format!("{:#06x}", e.lost_bitmask)})).collect::<Vec<_>>(),
            "lost_sequence_numbers": nack.lost_sequence_numbers().collect::<Vec<u16>>(),
        }),
        Packet::Tmmbr(t) => json!({
            "type": "TMMBR", "sender_ssrc": t.sender_ssrc, "media_ssrc": t.media_ssrc,
            "entries": t.entries.iter().map(|e| json!({"ssrc": e.ssrc, "bitrate": e.bitrate(), "exponent": e.exponent, "mantissa": e.mantissa, "overhead": e.overhead})).collect::<Vec<_>>(),
        }),
        Packet::Tmmbn(t) => json!({
            "type": "TMMBN", "sender_ssrc": t.sender_ssrc, "media_ssrc": t.media_ssrc,
            "entries": t.entries.iter().map(|e| json!({"ssrc": e.ssrc, "bitrate": e.bitrate(), "exponent": e.exponent, "mantissa": e.mantissa, "overhead": e.overhead})).collect::<Vec<_>>(),
        }),
        Packet::TransportCc(cc) => json!({
            "type": "transport-cc", "sender_ssrc": cc.sender_ssrc, "media_ssrc": cc.media_ssrc,
            "base_sequence_number": cc.base_sequence_number, "packet_status_count": cc.statuses.len(),
            "reference_time": cc.reference_time, "feedback_packet_count": cc.feedback_packet_count,
            "packets": cc.arrivals().zip(cc.statuses.iter()).map(|((seq, arrival), status)| json!({
                "sequence_number": seq,
                "received": status != PacketStatus::NotReceived,
                "delta_ticks": status.delta_ticks(),
                "arrival_micros": arrival,
            })).collect::<Vec<_>>(),
        }),
        Packet::CongestionControlFeedback(fb) => json!({
            "type": "CCFB", "sender_ssrc": fb.sender_ssrc, "report_timestamp": fb.report_timestamp,
            "streams": fb.streams.iter().map(|s| json!({
                "ssrc": s.ssrc, "begin_sequence": s.begin_sequence,
                "reports": s.metrics.iter().map(|m| json!({"received": m.received, "ecn": m.ecn, "arrival_time_offset": m.arrival_time_offset})).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
        Packet::PictureLossIndication(p) => {
            json!({"type": "PLI", "sender_ssrc": p.sender_ssrc, "media_ssrc": p.media_ssrc})
        }
        Packet::SliceLossIndication(s) => json!({
            "type": "SLI", "sender_ssrc": s.sender_ssrc, "media_ssrc": s.media_ssrc,
            "entries": s.entries.iter().map(|e| json!({"first": e.first, "number": e.number, "picture_id": e.picture_id})).collect::<Vec<_>>(),
        }),
        Packet::ReferencePictureSelection(r) => json!({
            "type": "RPSI", "sender_ssrc": r.sender_ssrc, "media_ssrc": r.media_ssrc,
            "payload_type": r.payload_type, "padding_bits": r.padding_bits, "bit_string": hex(r.bit_string),
        }),
        Packet::FullIntraRequest(f) => json!({
            "type": "FIR", "sender_ssrc": f.sender_ssrc, "media_ssrc": f.media_ssrc,
            "entries": f.entries.iter().map(|e| json!({"ssrc": e.ssrc, "sequence_number": e.sequence_number})).collect::<Vec<_>>(),
        }),
        Packet::Remb(r) => json!({
            "type": "REMB", "sender_ssrc": r.sender_ssrc, "media_ssrc": r.media_ssrc, "bitrate": r.bitrate(),
            "ssrcs": r.ssrcs.iter().collect::<Vec<u32>>(),
        }),
        Packet::ExtendedReport(xr) => json!({
            "type": "XR", "ssrc": xr.ssrc,
            "blocks": xr.blocks.iter().map(|b| match b {
                XrBlock::LossRle(r) | XrBlock::DuplicateRle(r) => json!({
                    "block_type": b.block_type(), "thinning": r.thinning, "ssrc": r.ssrc,
                    "begin_sequence": r.begin_sequence, "end_sequence": r.end_sequence,
                    "chunks": r.chunks.iter().map(|c| format!("{c:#06x}")).collect::<Vec<_>>(),
                }),
                XrBlock::ReceiverReferenceTime(ntp) => json!({"block_type": 4, "ntp_seconds": ntp.seconds(), "ntp_fraction": ntp.fraction()}),
                XrBlock::Dlrr(items) => json!({"block_type": 5, "items": items.iter().map(|i| json!({
                    "ssrc": i.ssrc, "last_receiver_report": i.last_receiver_report, "delay_since_last_receiver_report": i.delay_since_last_receiver_report,
                })).collect::<Vec<_>>()}),
                XrBlock::StatisticsSummary(s) => json!({"block_type": 6, "summary": format!("{s:?}")}),
                XrBlock::VoipMetrics(v) => json!({"block_type": 7, "metrics": format!("{v:?}")}),
                other => json!({"block_type": other.block_type(), "raw": format!("{other:?}")}),
            }).collect::<Vec<_>>(),
        }),
        Packet::Unknown(u) => json!({
            "type": "unknown", "packet_type": u.packet_type(), "count": u.count(), "body": hex(u.body()),
        }),
        other => json!({"type": other.packet_type(), "raw": format!("{other:?}")}),
    }
}

fn rtcp_json(bytes: &[u8]) -> Result<Value, String> {
    let compound = Compound::parse_reduced_size(bytes).map_err(|e| e.to_string())?;
    let packets: Vec<Value> = compound
        .packets()
        .map(|p| match p {
            Ok(packet) => rtcp_packet_json(&packet),
            Err(e) => json!({"error": e.to_string()}),
        })
        .collect();
    Ok(json!({"compound": Compound::parse(bytes).is_ok(), "packets": packets}))
}

/// Decodes one frame into its JSON line.
fn frame_json(number: usize, time: Duration, link: DataLink, frame: &[u8], ports: &[u16]) -> Value {
    let mut line = json!({"frame": number, "time": time.as_secs_f64()});
    let decoded = (|| -> Result<(&'static str, Value, String, String), String> {
        let ip = link_payload(link, frame)?;
        let d = udp(ip)?;
        let (src, dst) = (
            format!("{}:{}", d.source.0, d.source.1),
            format!("{}:{}", d.destination.0, d.destination.1),
        );
        if !ports.is_empty() && !ports.contains(&d.source.1) && !ports.contains(&d.destination.1) {
            return Err(format!("{src} -> {dst}: port not selected"));
        }
        let first = d.payload.first().copied().ok_or("empty UDP payload")?;
        if !(128..=191).contains(&first) {
            let kind = match first {
                0..=3 => "STUN",
                20..=63 => "DTLS",
                64..=79 => "TURN channel data",
                _ => "unknown",
            };
            return Err(format!(
                "{src} -> {dst}: {kind} by RFC 7983 (first byte {first})"
            ));
        }
        let is_rtcp = matches!(d.payload.get(1), Some(192..=223));
        let value = if is_rtcp {
            rtcp_json(d.payload)
        } else {
            rtp_json(d.payload)
        }
        .map_err(|e| format!("{src} -> {dst}: {e}"))?;
        Ok((if is_rtcp { "rtcp" } else { "rtp" }, value, src, dst))
    })();
    if let Some(fields) = line.as_object_mut() {
        match decoded {
            Ok((kind, value, src, dst)) => {
                fields.insert("src".into(), json!(src));
                fields.insert("dst".into(), json!(dst));
                fields.insert(kind.into(), value);
            }
            Err(reason) => {
                fields.insert("undecodable".into(), json!(reason));
            }
        }
    }
    line
}

fn run(path: &str, ports: &[u16]) -> Result<(), String> {
    let mut file = File::open(path).map_err(|e| format!("{path}: {e}"))?;
    let mut magic = [0u8; 4];
    file.read_exact(&mut magic)
        .map_err(|e| format!("{path}: {e}"))?;
    let file = BufReader::new(File::open(path).map_err(|e| format!("{path}: {e}"))?);
    let mut number = 0;
    if magic == [0x0a, 0x0d, 0x0d, 0x0a] {
        let mut reader = PcapNgReader::new(file).map_err(|e| e.to_string())?;
        let mut links: Vec<DataLink> = Vec::new();
        while let Some(block) = reader.next_block() {
            let block = block.map_err(|e| e.to_string())?;
            let (time, interface, data) = match &block {
                Block::SectionHeader(_) => {
                    links.clear();
                    continue;
                }
                Block::InterfaceDescription(i) => {
                    links.push(i.linktype);
                    continue;
                }
                Block::EnhancedPacket(p) => (p.timestamp, p.interface_id, &p.data[..]),
                Block::SimplePacket(p) => (Duration::ZERO, 0, &p.data[..]),
                _ => continue,
            };
            number += 1;
            let link = links
                .get(interface as usize)
                .copied()
                .unwrap_or(DataLink::ETHERNET);
            println!("{}", frame_json(number, time, link, data, ports));
        }
    } else {
        let mut reader = PcapReader::new(file).map_err(|e| e.to_string())?;
        let link = reader.header().datalink;
        while let Some(packet) = reader.next_packet() {
            let packet = packet.map_err(|e| e.to_string())?;
            number += 1;
            println!(
                "{}",
                frame_json(number, packet.timestamp, link, &packet.data, ports)
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut path = None;
    let mut ports = Vec::new();
    while let Some(arg) = args.next() {
        if arg == "--port" {
            match args.next().and_then(|p| p.parse().ok()) {
                Some(port) => ports.push(port),
                None => {
                    eprintln!("--port needs a port number");
                    return ExitCode::FAILURE;
                }
            }
        } else {
            path = Some(arg);
        }
    }
    let Some(path) = path else {
        eprintln!("usage: rtp-dump FILE.pcap [--port PORT]...");
        return ExitCode::FAILURE;
    };
    match run(&path, &ports) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("rtp-dump: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ethernet_udp(port: u16, payload: &[u8]) -> Vec<u8> {
        let mut frame = vec![0u8; 12];
        frame.extend_from_slice(&[0x08, 0x00, 0x45, 0]);
        frame.extend_from_slice(&((28 + payload.len()) as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        frame.extend_from_slice(&4000u16.to_be_bytes());
        frame.extend_from_slice(&port.to_be_bytes());
        frame.extend_from_slice(&((8 + payload.len()) as u16).to_be_bytes());
        frame.extend_from_slice(&[0, 0]);
        frame.extend_from_slice(payload);
        frame
    }

    #[test]
    fn decodes_rtp_rtcp_and_says_why_it_skips_the_rest() {
        let rtp = [
            0x90, 0x60, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xbe, 0xde, 0, 1, 0x10, 0xaa, 0, 0, 0xff,
        ];
        let line = frame_json(
            1,
            Duration::ZERO,
            DataLink::ETHERNET,
            &ethernet_udp(5004, &rtp),
            &[],
        );
        assert_eq!(line["rtp"]["sequence_number"], 1);
        assert_eq!(line["rtp"]["header_extension"]["elements"][0]["data"], "aa");
        assert_eq!(line["src"], "10.0.0.1:4000");

        let nack = [0x81, 0xcd, 0, 3, 0, 0, 0, 1, 0, 0, 0, 2, 0, 10, 0, 1];
        let line = frame_json(
            2,
            Duration::ZERO,
            DataLink::ETHERNET,
            &ethernet_udp(5005, &nack),
            &[],
        );
        assert_eq!(line["rtcp"]["packets"][0]["type"], "NACK");
        assert_eq!(
            line["rtcp"]["packets"][0]["lost_sequence_numbers"],
            json!([10, 11])
        );
        assert_eq!(line["rtcp"]["compound"], false);

        let stun = [0u8, 1, 0, 0];
        let line = frame_json(
            3,
            Duration::ZERO,
            DataLink::ETHERNET,
            &ethernet_udp(3478, &stun),
            &[],
        );
        assert!(line["undecodable"].as_str().unwrap().contains("STUN"));
        let line = frame_json(
            4,
            Duration::ZERO,
            DataLink::ETHERNET,
            &ethernet_udp(5004, &rtp),
            &[6000],
        );
        assert!(
            line["undecodable"]
                .as_str()
                .unwrap()
                .contains("port not selected")
        );
        let line = frame_json(
            5,
            Duration::ZERO,
            DataLink::ETHERNET,
            &ethernet_udp(5004, &rtp[..14]),
            &[],
        );
        assert!(line["undecodable"].as_str().unwrap().contains("truncated"));
        let line = frame_json(6, Duration::ZERO, DataLink::ETHERNET, &[0; 10], &[]);
        assert!(line["undecodable"].as_str().unwrap().contains("Ethernet"));
    }
}
