//! `candidate` lines: the examples of RFC 8839 and RFC 8445, strings
//! Chromium and Firefox write (trickled and in SDP), and every
//! `a=candidate` line of the SDP test data (browser captures and Firefox's
//! unit-test SDPs):
//! each parses and prints back byte for byte.

#![allow(clippy::indexing_slicing)]

use sansrtc_ice::{Address, Candidate, CandidateType, TcpType, Transport};

fn round_trip(line: &str) -> Candidate {
    let candidate: Candidate = line.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
    assert_eq!(candidate.to_string(), line.trim_start_matches("a="));
    candidate
}

#[test]
fn rfc_examples() {
    // RFC 8839 §5.1 / RFC 8445 appendix B.
    let host = round_trip("candidate:1 1 UDP 2130706431 203.0.113.141 8998 typ host");
    assert_eq!(host.kind(), CandidateType::Host);
    assert_eq!(host.priority(), 2_130_706_431);
    let srflx = round_trip(
        "candidate:2 1 UDP 1694498815 192.0.2.3 45664 typ srflx raddr 203.0.113.141 rport 8998",
    );
    assert_eq!(
        srflx.related(),
        Some((&Address::Ip("203.0.113.141".parse().unwrap()), 8998))
    );
    // RFC 6544 §4.5 TCP candidates.
    let tcp = round_trip("candidate:1 1 TCP 2128609279 10.0.1.1 9 typ host tcptype active");
    assert_eq!(tcp.transport(), Transport::Tcp);
    assert_eq!(tcp.tcp_type(), Some(TcpType::Active));
    let so = round_trip("candidate:2 1 TCP 2124414975 10.0.1.1 8998 typ host tcptype so");
    assert_eq!(so.tcp_type(), Some(TcpType::SimultaneousOpen));
}

#[test]
fn browser_strings() {
    for line in [
        // Chromium, trickled.
        "candidate:842163049 1 udp 1677729535 192.0.2.3 61665 typ srflx raddr 10.0.1.1 rport 8998 generation 0 ufrag EEtu network-id 3 network-cost 10",
        "candidate:1 1 TCP 2105458943 192.0.2.5 9 typ host tcptype active",
        "candidate:3442447574 1 udp 2122260223 192.168.1.10 54321 typ host generation 0 ufrag EEtu network-id 1 network-cost 10",
        "candidate:2999745851 1 udp 2122262783 2001:db8:85a3::8a2e:370:7334 56789 typ host generation 0 ufrag EEtu network-id 2 network-cost 10",
        "candidate:1562236271 1 tcp 1518280447 192.168.1.10 9 typ host tcptype active generation 0 ufrag EEtu network-id 1 network-cost 10",
        "candidate:4057197935 1 udp 2113937151 6f3b7a0e-8c5a-4d2b-9b61-2d1e0f6e4a11.local 60425 typ host generation 0 ufrag EEtu network-cost 999",
        "candidate:2157334355 1 udp 41885439 203.0.113.7 3478 typ relay raddr 198.51.100.2 rport 54400 generation 0 ufrag EEtu network-id 1 network-cost 10",
        // Firefox.
        "candidate:0 1 UDP 2122252543 192.168.1.10 54400 typ host",
        "candidate:2 1 TCP 2105524479 192.168.1.10 9 typ host tcptype active",
        "candidate:1 1 UDP 1686052863 198.51.100.2 54400 typ srflx raddr 192.168.1.10 rport 54400",
        "candidate:3 1 UDP 92217087 203.0.113.7 61234 typ relay raddr 203.0.113.7 rport 61234",
        "candidate:0 1 UDP 2122187007 a1b2c3d4-e5f6-4789-abcd-ef0123456789.local 50000 typ host",
        "candidate:1 1 UDP 1685987327 198.51.100.2 50000 typ srflx raddr 0.0.0.0 rport 0",
    ] {
        round_trip(line);
    }
}

#[test]
fn sdp_corpus_candidates_round_trip() {
    // The SDP crate's test data: browser captures and Firefox's unit-test
    // corpus. Missing data is a failure, not a pass.
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../sdp/tests/data");
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("{dir}: {e}"));
    let mut checked = 0;
    let mut stack: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(
                std::fs::read_dir(&path)
                    .unwrap()
                    .flatten()
                    .map(|e| e.path()),
            );
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for line in text.lines() {
            let line = line.trim_end_matches('\r');
            if let Some(value) = line.strip_prefix("a=candidate:") {
                let candidate: Candidate = line
                    .parse()
                    .unwrap_or_else(|e| panic!("{}: {line}: {e}", path.display()));
                assert_eq!(candidate.to_string(), format!("candidate:{value}"));
                checked += 1;
            }
        }
    }
    assert!(checked >= 30, "only {checked} candidates in the corpus");
}
