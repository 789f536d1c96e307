//! Writes `RESULTS.md` from a criterion run of `benches/compare.rs`: per
//! group, each case's median, its ratio to the fastest peer and to the
//! floor, and its heap allocations per operation (counted here, by running
//! each case under a counting global allocator); then the targets, met or
//! missed.
//!
//! Usage: `report <criterion dir> <output.md> [<load before> <load after>]`
//! (`run.sh` passes these).

use std::alloc::System;
extern crate alloc;

use alloc::collections::BTreeMap;
use core::fmt::Write as _;
use std::path::{Path, PathBuf};

use sansrtc_bench::{Buffer, Case, EXCLUDED, Role, cases};
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

/// How many runs the allocation count is averaged over.
const ALLOCATION_RUNS: usize = 100;

/// Heap allocations per run of a case (after one run to warm it up:
/// agents and caches that allocate once are not counted).
fn allocations(case: &mut Case) -> f64 {
    case.run_once();
    if let (Some(prepare), Some(run)) = (&mut case.prepare, &mut case.run_on) {
        // Only the operation is counted, not the making of its input.
        let mut inputs: Vec<Buffer> = (0..ALLOCATION_RUNS)
            .map(|_| {
                let mut buffer = Buffer::default();
                prepare(&mut buffer);
                buffer
            })
            .collect();
        let region = Region::new(GLOBAL);
        for buffer in &mut inputs {
            core::hint::black_box(run(buffer));
        }
        return region.change().allocations as f64 / ALLOCATION_RUNS as f64;
    }
    let region = Region::new(GLOBAL);
    for _ in 0..ALLOCATION_RUNS {
        core::hint::black_box((case.run)());
    }
    region.change().allocations as f64 / ALLOCATION_RUNS as f64
}

/// Criterion's median estimate, in nanoseconds, for every
/// `group/function` under `dir`.
fn medians(dir: &Path) -> BTreeMap<(String, String), f64> {
    let mut found = BTreeMap::new();
    let Ok(groups) = std::fs::read_dir(dir) else {
        return found;
    };
    for group in groups.flatten() {
        let Ok(functions) = std::fs::read_dir(group.path()) else {
            continue;
        };
        for function in functions.flatten() {
            let new = function.path().join("new");
            let (Ok(benchmark), Ok(estimates)) = (
                std::fs::read_to_string(new.join("benchmark.json")),
                std::fs::read_to_string(new.join("estimates.json")),
            ) else {
                continue;
            };
            let (Ok(benchmark), Ok(estimates)) = (
                serde_json::from_str::<serde_json::Value>(&benchmark),
                serde_json::from_str::<serde_json::Value>(&estimates),
            ) else {
                continue;
            };
            let (Some(group_id), Some(function_id), Some(median)) = (
                benchmark["group_id"].as_str(),
                benchmark["function_id"].as_str(),
                estimates["median"]["point_estimate"].as_f64(),
            ) else {
                continue;
            };
            found.insert((group_id.to_owned(), function_id.to_owned()), median);
        }
    }
    found
}

fn time(ns: f64) -> String {
    if ns >= 1_000_000.0 {
        format!("{:.2} ms", ns / 1_000_000.0)
    } else if ns >= 1_000.0 {
        format!("{:.2} µs", ns / 1_000.0)
    } else {
        format!("{ns:.1} ns")
    }
}

fn count(allocations: f64) -> String {
    if allocations.fract() == 0.0 {
        format!("{allocations:.0}")
    } else {
        format!("{allocations:.2}")
    }
}

/// A target of the comparison.
enum Target {
    /// sansrtc at least this many times faster than the fastest peer (and,
    /// when set, allocating nothing).
    FasterThanPeers { factor: f64, zero_allocations: bool },
    /// sansrtc within this factor of the floor.
    NearFloor { factor: f64 },
    /// At least this many operations per second on one core.
    PerSecond { rate: f64 },
    /// sansrtc within `floor` of the floor, at least `peers` times faster
    /// than the fastest peer, and allocating nothing.
    FloorAndPeers { floor: f64, peers: f64 },
}

/// The target of each group, and how the table names it.
fn targets() -> Vec<(&'static str, &'static str, Target)> {
    use Target::{FasterThanPeers, FloorAndPeers, NearFloor, PerSecond};
    let mut targets = vec![
        (
            "rtp_parse_video_1200",
            "RTP parse, video 1200 B, extension elements iterated",
            FasterThanPeers {
                factor: 1.5,
                zero_allocations: true,
            },
        ),
        (
            "rtp_write_video_1200",
            "RTP write, video 1200 B",
            FasterThanPeers {
                factor: 3.0,
                zero_allocations: false,
            },
        ),
        (
            "rtp_write_audio_160",
            "RTP write, audio 160 B",
            FasterThanPeers {
                factor: 3.0,
                zero_allocations: false,
            },
        ),
        (
            "rtcp_parse_sr_sdes_nack_pli",
            "RTCP compound parse (SR+SDES+NACK+PLI)",
            FasterThanPeers {
                factor: 3.0,
                zero_allocations: true,
            },
        ),
        (
            "rtcp_parse_rr_4_blocks",
            "RTCP RR parse (4 blocks)",
            FasterThanPeers {
                factor: 3.0,
                zero_allocations: true,
            },
        ),
        (
            "rtcp_write_sr_sdes_nack_pli",
            "RTCP write, compound",
            FasterThanPeers {
                factor: 2.0,
                zero_allocations: false,
            },
        ),
        (
            "rtcp_write_rr_4_blocks",
            "RTCP write, RR",
            FasterThanPeers {
                factor: 2.0,
                zero_allocations: false,
            },
        ),
        (
            "stun_decode_ice_request",
            "STUN decode, ICE check",
            FasterThanPeers {
                factor: 1.0,
                zero_allocations: true,
            },
        ),
        (
            "stun_decode_ice_response",
            "STUN decode, success response",
            FasterThanPeers {
                factor: 1.0,
                zero_allocations: true,
            },
        ),
        (
            "stun_decode_rfc5769_request",
            "STUN decode, RFC 5769 request",
            FasterThanPeers {
                factor: 1.0,
                zero_allocations: true,
            },
        ),
        (
            "stun_verify_ice_request",
            "STUN decode + verify, ICE check",
            NearFloor { factor: 1.15 },
        ),
        (
            "stun_verify_ice_response",
            "STUN decode + verify, success response",
            NearFloor { factor: 1.15 },
        ),
        (
            "stun_verify_rfc5769_request",
            "STUN decode + verify, RFC 5769 request",
            NearFloor { factor: 1.15 },
        ),
        (
            "stun_encode_ice_request",
            "STUN encode with MESSAGE-INTEGRITY + FINGERPRINT",
            NearFloor { factor: 1.3 },
        ),
        (
            "sdp_parse_chromium_offer",
            "SDP parse (typed, lossless)",
            FasterThanPeers {
                factor: 5.0,
                zero_allocations: false,
            },
        ),
        (
            "sdp_write_chromium_offer",
            "SDP write",
            FasterThanPeers {
                factor: 2.5,
                zero_allocations: false,
            },
        ),
        (
            "ice_lite_check_and_response",
            "ICE check handled + response written",
            PerSecond { rate: 1_000_000.0 },
        ),
    ];
    for (group, label) in SRTP_GROUPS {
        targets.push((
            group,
            label,
            FloorAndPeers {
                floor: 1.10,
                peers: 2.0,
            },
        ));
    }
    // 1 000 audio calls on one core: 50 packets a second each way.
    for (group, label) in PEER_GROUPS {
        targets.push((group, label, PerSecond { rate: 100_000.0 }));
    }
    // The reused output (payloads, or the frame) is the only memory.
    for (group, label) in PAYLOAD_GROUPS {
        targets.push((
            group,
            label,
            FasterThanPeers {
                factor: 2.0,
                zero_allocations: true,
            },
        ));
    }
    targets
}

/// The groups of `sansrtc_bench::payload`, as the table names them.
const PAYLOAD_GROUPS: [(&str, &str); 4] = [
    (
        "payload_packetize_vp8_100k",
        "VP8 packetize, 95 KB key frame (libvpx), 1200 B payloads",
    ),
    (
        "payload_depacketize_vp8_100k",
        "VP8 depacketize into the frame, 95 KB key frame (libvpx)",
    ),
    (
        "payload_packetize_h264_100k",
        "H.264 packetize, 91 KB access unit (libx264), 1200 B payloads",
    ),
    (
        "payload_depacketize_h264_100k",
        "H.264 depacketize into the frame, 91 KB access unit (libx264)",
    ),
];

/// The groups of `sansrtc_bench::peer`, as the table names them.
const PEER_GROUPS: [(&str, &str); 4] = [
    (
        "peer_send_audio_160",
        "Peer send (write_rtp, SRTP, transmit), audio 160 B",
    ),
    (
        "peer_receive_audio_160",
        "Peer receive (handle_receive, SRTP, route, event), audio 160 B",
    ),
    (
        "peer_send_video_1200",
        "Peer send (write_rtp, SRTP, transmit), video 1200 B",
    ),
    (
        "peer_receive_video_1200",
        "Peer receive (handle_receive, SRTP, route, event), video 1200 B",
    ),
];

/// The `Peer` section: audio calls one core carries, and the memory of a
/// peer with one audio transceiver.
fn peer_section(summaries: &BTreeMap<&str, Summary>) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "## A whole Peer\n");
    let median = |group: &str| summaries.get(group).and_then(|s| s.ours);
    if let (Some(send), Some(receive)) = (
        median("peer_send_audio_160"),
        median("peer_receive_audio_160"),
    ) {
        // Each call sends and receives 50 packets a second.
        let per_call = 50.0 * (send + receive);
        let _ = writeln!(
            out,
            "Audio calls one core carries (50 packets a second each way, send {} + receive {} \
             per packet pair): **{:.0}** (goal: 1 000, that is 100 000 packets a second).\n",
            time(send),
            time(receive),
            1e9 / per_call
        );
    }
    let memory = sansrtc_bench::peer::memory_per_peer(&mut |run| {
        let region = Region::new(GLOBAL);
        run();
        let change = region.change();
        let held = change.bytes_allocated as i64 - change.bytes_deallocated as i64
            + change.bytes_reallocated as i64;
        (
            change.allocations as u64 + change.reallocations as u64,
            held,
        )
    });
    let _ = writeln!(
        out,
        "Memory of a connected `Peer` with one audio transceiver (certificate shared), after a \
         second of audio each way: **{:.1} KiB**; {} allocations to connect; {:.2} allocations \
         per packet sent or received while the audio ran (RTCP reports included).\n",
        memory.bytes as f64 / 1024.0,
        memory.allocations,
        memory.allocations_per_packet
    );
    out
}

/// The data channel section: every throughput case in MB/s (10^6 bytes
/// per second) and the round trip of a small message between two peers.
fn data_section(groups: &[(&'static str, Vec<Row>)]) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "## Data channels between two Peers
"
    );
    let _ = writeln!(
        out,
        "One reliable ordered channel between two `sansrtc::Peer`s connected in memory \
         (ICE, DTLS and SCTP in the path, no loss), driven on the caller's clock, so the \
         figures are CPU cost; the floor is the SCTP association alone. See \
         `src/peer_data.rs`.\n"
    );
    let _ = writeln!(out, "| group | crate | MB/s |");
    let _ = writeln!(out, "|---|---|---|");
    for (group, rows) in groups {
        for row in rows {
            if let (Some(bytes), Some(median)) = (row.bytes, row.median) {
                let _ = writeln!(
                    out,
                    "| `{group}` | {} | {:.0} |",
                    row.name,
                    bytes as f64 / median * 1e3
                );
            }
        }
    }
    let _ = writeln!(out);
    for (group, rows) in groups {
        if *group != sansrtc_bench::peer_data::ROUND_TRIP {
            continue;
        }
        for row in rows {
            if let Some(median) = row.median {
                let _ = writeln!(
                    out,
                    "- 100-byte message there and back, {}: {}",
                    row.name,
                    time(median)
                );
            }
        }
    }
    let _ = writeln!(out);
    out
}

/// The SRTP groups of `sansrtc_bench::srtp`, as the table names them.
const SRTP_GROUPS: [(&str, &str); 12] = [
    (
        "srtp_protect_aes128_cm_80_video_1200",
        "SRTP protect, AES-CM-80, video 1200 B",
    ),
    (
        "srtp_unprotect_aes128_cm_80_video_1200",
        "SRTP unprotect, AES-CM-80, video 1200 B",
    ),
    (
        "srtp_protect_aes128_cm_80_audio_160",
        "SRTP protect, AES-CM-80, audio 160 B",
    ),
    (
        "srtp_unprotect_aes128_cm_80_audio_160",
        "SRTP unprotect, AES-CM-80, audio 160 B",
    ),
    (
        "srtp_protect_aes128_cm_80_rtcp_100",
        "SRTCP protect, AES-CM-80, RTCP 100 B",
    ),
    (
        "srtp_unprotect_aes128_cm_80_rtcp_100",
        "SRTCP unprotect, AES-CM-80, RTCP 100 B",
    ),
    (
        "srtp_protect_aes128_gcm_video_1200",
        "SRTP protect, AES-128-GCM, video 1200 B",
    ),
    (
        "srtp_unprotect_aes128_gcm_video_1200",
        "SRTP unprotect, AES-128-GCM, video 1200 B",
    ),
    (
        "srtp_protect_aes128_gcm_audio_160",
        "SRTP protect, AES-128-GCM, audio 160 B",
    ),
    (
        "srtp_unprotect_aes128_gcm_audio_160",
        "SRTP unprotect, AES-128-GCM, audio 160 B",
    ),
    (
        "srtp_protect_aes128_gcm_rtcp_100",
        "SRTCP protect, AES-128-GCM, RTCP 100 B",
    ),
    (
        "srtp_unprotect_aes128_gcm_rtcp_100",
        "SRTCP unprotect, AES-128-GCM, RTCP 100 B",
    ),
];

/// One measured row.
struct Row {
    name: &'static str,
    role: Role,
    median: Option<f64>,
    allocations: f64,
    deviation: Option<&'static str>,
    note: Option<&'static str>,
    /// Bytes one run moves, for a throughput case.
    bytes: Option<u64>,
}

/// A group's sansrtc median, fastest peer (name, median) and floor median.
struct Summary {
    ours: Option<f64>,
    ours_allocations: f64,
    best_peer: Option<(&'static str, f64)>,
    floor: Option<f64>,
}

fn summarize(rows: &[Row]) -> Summary {
    let ours = rows.iter().find(|r| r.role == Role::Sansrtc);
    let best_peer = rows
        .iter()
        .filter(|r| r.role == Role::Peer)
        .filter_map(|r| r.median.map(|m| (r.name, m)))
        .min_by(|a, b| a.1.total_cmp(&b.1));
    let floor = rows
        .iter()
        .find(|r| r.role == Role::Floor)
        .and_then(|r| r.median);
    Summary {
        ours: ours.and_then(|r| r.median),
        ours_allocations: ours.map_or(0.0, |r| r.allocations),
        best_peer,
        floor,
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let criterion_dir = PathBuf::from(args.next().unwrap_or_else(|| "target/criterion".into()));
    let output = PathBuf::from(args.next().unwrap_or_else(|| "RESULTS.md".into()));
    let load_before = args.next().unwrap_or_else(|| "unknown".into());
    let load_after = args.next().unwrap_or_else(|| "unknown".into());

    let medians = medians(&criterion_dir);
    let mut groups: Vec<(&'static str, Vec<Row>)> = Vec::new();
    for mut case in cases() {
        let allocations = allocations(&mut case);
        let row = Row {
            name: case.name,
            role: case.role,
            median: medians
                .get(&(case.group.to_owned(), case.name.to_owned()))
                .copied(),
            allocations,
            deviation: case.deviation,
            note: case.note,
            bytes: case.bytes,
        };
        match groups.last_mut() {
            Some((group, rows)) if *group == case.group => rows.push(row),
            _ => groups.push((case.group, vec![row])),
        }
    }

    let mut out = String::new();
    let _ = writeln!(out, "# sansrtc against the other Rust crates\n");
    let _ = writeln!(
        out,
        "Written by `bench/run.sh` (criterion medians from `benches/compare.rs`, \
         allocations counted by `src/bin/report.rs`). Each group runs one input \
         through sansrtc, every peer and the floor back to back in the same run; \
         compare ratios, not absolute times. `vs best peer` is the row's median over \
         the fastest peer's (below 1 is faster); `vs floor` is the row's median over \
         the floor's. Allocations are heap allocations per operation.\n"
    );
    let _ = writeln!(
        out,
        "Machine: {} ({} cores, shared with other work). Load average (1, 5, 15 min) \
         before the run: {load_before}; after: {load_after}.\n",
        cpu_model(),
        std::thread::available_parallelism().map_or(0, usize::from)
    );

    let _ = writeln!(out, "## Targets\n");
    let _ = writeln!(out, "| operation | target | measured | met |");
    let _ = writeln!(out, "|---|---|---|---|");
    let summaries: BTreeMap<&str, Summary> = groups
        .iter()
        .map(|(group, rows)| (*group, summarize(rows)))
        .collect();
    for (group, label, target) in targets() {
        let Some(summary) = summaries.get(group) else {
            let _ = writeln!(out, "| {label} | | not measured | |");
            continue;
        };
        let (wanted, measured, met) = judge(&target, summary);
        let _ = writeln!(out, "| {label} | {wanted} | {measured} | {met} |");
    }

    let _ = writeln!(out, "\n## Every group\n");
    for (group, rows) in &groups {
        let summary = &summaries[group];
        let _ = writeln!(out, "### `{group}`\n");
        let _ = writeln!(
            out,
            "| crate | median | vs best peer | vs floor | allocations | notes |"
        );
        let _ = writeln!(out, "|---|---|---|---|---|---|");
        for row in rows {
            let median = row.median.map_or_else(|| "not run".to_owned(), time);
            let vs_peer = match (row.median, summary.best_peer) {
                (Some(m), Some((_, best))) if row.role != Role::Floor => {
                    format!("{:.2}x", m / best)
                }
                _ => String::new(),
            };
            let vs_floor = match (row.median, summary.floor) {
                (Some(m), Some(floor)) if row.role != Role::Floor => format!("{:.2}x", m / floor),
                _ => String::new(),
            };
            let notes: Vec<&str> = row.deviation.into_iter().chain(row.note).collect();
            let name = if row.role == Role::Sansrtc {
                format!("**{}**", row.name)
            } else {
                row.name.to_owned()
            };
            let _ = writeln!(
                out,
                "| {name} | {median} | {vs_peer} | {vs_floor} | {} | {} |",
                count(row.allocations),
                notes.join("; ")
            );
        }
        let _ = writeln!(out);
    }

    out.push_str(&peer_section(&summaries));
    out.push_str(&data_section(&groups));

    let _ = writeln!(out, "## Peers left out\n");
    if EXCLUDED.is_empty() {
        let _ = writeln!(out, "None.\n");
    }
    for (peer, why) in EXCLUDED {
        let _ = writeln!(out, "- `{peer}`: {why}");
    }
    if !EXCLUDED.is_empty() {
        let _ = writeln!(out);
    }

    let notes = Path::new(env!("CARGO_MANIFEST_DIR")).join("NOTES.md");
    if let Ok(text) = std::fs::read_to_string(&notes) {
        out.push_str(&text);
    }

    if let Err(error) = std::fs::write(&output, out) {
        eprintln!("cannot write {}: {error}", output.display());
        std::process::exit(1);
    }
    let missing = groups
        .iter()
        .flat_map(|(_, rows)| rows)
        .filter(|r| r.median.is_none())
        .count();
    if missing > 0 {
        eprintln!(
            "{missing} cases have no criterion result under {}",
            criterion_dir.display()
        );
    }
    println!("wrote {}", output.display());
}

/// The target in words, the measured value, and whether it is met.
fn judge(target: &Target, summary: &Summary) -> (String, String, &'static str) {
    match *target {
        Target::FasterThanPeers {
            factor,
            zero_allocations,
        } => {
            let wanted = if zero_allocations {
                format!("≥ {factor}x faster than the fastest peer; 0 allocations")
            } else {
                format!("≥ {factor}x faster than the fastest peer")
            };
            let (Some(ours), Some((peer, best))) = (summary.ours, summary.best_peer) else {
                return (wanted, "not measured".into(), "");
            };
            let speedup = best / ours;
            let allocations_ok = !zero_allocations || summary.ours_allocations == 0.0;
            let relation = if speedup >= 1.0 {
                format!("{speedup:.2}x faster than")
            } else {
                format!("{:.2}x slower than", 1.0 / speedup)
            };
            let measured = format!(
                "{relation} {peer} ({} vs {}); {} allocations",
                time(ours),
                time(best),
                count(summary.ours_allocations)
            );
            let met = if speedup >= factor && allocations_ok {
                "yes"
            } else {
                "**no**"
            };
            (wanted, measured, met)
        }
        Target::NearFloor { factor } => {
            let wanted = format!("within {factor}x of the HMAC+CRC floor");
            let (Some(ours), Some(floor)) = (summary.ours, summary.floor) else {
                return (wanted, "not measured".into(), "");
            };
            let ratio = ours / floor;
            let measured = format!("{ratio:.2}x ({} vs {})", time(ours), time(floor));
            (
                wanted,
                measured,
                if ratio <= factor { "yes" } else { "**no**" },
            )
        }
        Target::FloorAndPeers { floor, peers } => {
            let wanted = format!(
                "within {floor}x of the cipher+MAC floor; ≥ {peers}x faster than the fastest peer; 0 allocations"
            );
            let (Some(ours), Some(floor_median), Some((peer, best))) =
                (summary.ours, summary.floor, summary.best_peer)
            else {
                return (wanted, "not measured".into(), "");
            };
            let ratio = ours / floor_median;
            let speedup = best / ours;
            let relation = if speedup >= 1.0 {
                format!("{speedup:.2}x faster than")
            } else {
                format!("{:.2}x slower than", 1.0 / speedup)
            };
            let measured = format!(
                "{ratio:.2}x the floor ({} vs {}); {relation} {peer} ({}); {} allocations",
                time(ours),
                time(floor_median),
                time(best),
                count(summary.ours_allocations)
            );
            let met = if ratio <= floor && speedup >= peers && summary.ours_allocations == 0.0 {
                "yes"
            } else {
                "**no**"
            };
            (wanted, measured, met)
        }
        Target::PerSecond { rate } => {
            let wanted = format!("≥ {:.0} per second per core", rate);
            let Some(ours) = summary.ours else {
                return (wanted, "not measured".into(), "");
            };
            let per_second = 1e9 / ours;
            let peer = summary
                .best_peer
                .map(|(name, m)| format!("; {name}: {:.2} million/s", 1e3 / m))
                .unwrap_or_default();
            let measured = format!(
                "{:.2} million/s ({} each){peer}",
                per_second / 1e6,
                time(ours)
            );
            (
                wanted,
                measured,
                if per_second >= rate { "yes" } else { "**no**" },
            )
        }
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}
