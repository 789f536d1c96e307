//! The `a=candidate` values a real Chromium trickled during the interop
//! test (`tests/data/chromium/candidates.txt`, written by
//! `interop/chromium.py --save-test-data`): host UDP, TCP active and relay
//! candidates, with Chromium's `generation`, `ufrag`, `network-id` and
//! `network-cost` extensions. Each parses, prints back byte for byte, and
//! has the fields the test saw it use.

#![allow(clippy::indexing_slicing)]

use std::path::Path;

use sansrtc_ice::{Candidate, CandidateType, TcpType, Transport};

#[test]
fn every_trickled_candidate_parses_and_prints_back() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/chromium/candidates.txt");
    let text = std::fs::read_to_string(path).unwrap();
    let mut kinds = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (case, value) = line.split_once(' ').unwrap();
        let candidate: Candidate = value.parse().unwrap_or_else(|e| panic!("{line}: {e}"));
        assert_eq!(candidate.to_string(), value, "{case}");
        assert_eq!(candidate.component(), 1, "{line}");
        assert!(candidate.ufrag().is_some_and(|u| u.len() >= 4), "{line}");
        assert!(candidate.extension("generation").is_some(), "{line}");
        let address = candidate.socket_addr().unwrap();
        assert!(address.ip().is_loopback(), "{line}");
        match candidate.transport() {
            // Chromium's TCP candidates are active: port 9, never listened.
            Transport::Tcp => {
                assert_eq!(candidate.tcp_type(), Some(TcpType::Active), "{line}");
                assert_eq!(address.port(), 9, "{line}");
            }
            _ => assert_ne!(address.port(), 9, "{line}"),
        }
        if case == "relay" {
            // Only relayed candidates under iceTransportPolicy "relay".
            assert_eq!(candidate.kind(), CandidateType::Relayed, "{line}");
            assert!(candidate.related().is_some(), "{line}");
        } else {
            assert_eq!(candidate.kind(), CandidateType::Host, "{line}");
        }
        kinds.push((candidate.kind(), candidate.transport()));
    }
    assert!(kinds.contains(&(CandidateType::Host, Transport::Udp)));
    assert!(kinds.contains(&(CandidateType::Host, Transport::Tcp)));
    assert!(kinds.contains(&(CandidateType::Relayed, Transport::Udp)));
}
