//! Every combination of NATs on the two sides, with a STUN server: the
//! agents connect whenever a path exists, on the pair type theory predicts,
//! and fail (not hang) where none exists without a relay; with the
//! simulated network's TURN server configured on both agents (their own TURN
//! clients speak RFC 8656 to it), those cells connect through it. Where one
//! side's network blocks UDP, both agents also have TCP candidates (RFC
//! 6544) and connect over TCP.

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::time::Duration;
use std::time::Instant;

use sansrtc_ice::sim::{Behaviour, Link, Scenario, Side};
use sansrtc_ice::{CandidateType, Transport};

mod topology;

use topology::{SIDES, path_exists, udp_path_exists};

/// The type of the local candidate a side ends up sending from, as theory
/// predicts: its host address without NAT, its server-reflexive address
/// behind an endpoint-independent mapping, a peer-reflexive one behind a
/// symmetric NAT (the mapping towards the peer differs from the one the
/// STUN server saw).
fn predicted_local(side: Side) -> CandidateType {
    match side.nat {
        None => CandidateType::Host,
        Some(nat) if nat.mapping == Behaviour::EndpointIndependent => {
            CandidateType::ServerReflexive
        }
        Some(_) => CandidateType::PeerReflexive,
    }
}

#[test]
fn nat_matrix() {
    let start = Instant::now();
    let mut table = String::from(
        "controlling \\ controlled | no NAT | endpoint-indep. | address-dep. | addr+port-dep. | symmetric | UDP firewall | UDP blocked\n",
    );
    let mut failures = Vec::new();
    for (i, (name_a, a)) in SIDES.into_iter().enumerate() {
        table.push_str(&format!("{name_a:<24}"));
        for (j, (_, b)) in SIDES.into_iter().enumerate() {
            let seed = (i * 6 + j) as u64 + 1;
            // Where UDP is blocked, both sides offer TCP candidates too.
            let (a, b) = if a.udp_blocked || b.udp_blocked {
                (a.with_tcp(), b.with_tcp())
            } else {
                (a, b)
            };
            let mut scenario = Scenario::new(seed, start, Link::default(), a, b);
            let outcome = scenario.run(Duration::from_secs(60));
            let checks = outcome.checks_sent[0] + outcome.checks_sent[1];
            let cell = if path_exists(a, b) && !udp_path_exists(a, b) {
                // Over TCP: the side that connects out from behind a NAT is
                // seen at a peer-reflexive address; a public one at its own.
                // The side that accepted learns its peer's address from the
                // connection (active candidates announce port 9).
                if !outcome.connected() || !outcome.same_pair() {
                    failures.push(format!("{i},{j}: not connected over TCP: {outcome:?}"));
                }
                if outcome.transports != [Some(Transport::Tcp); 2] {
                    failures.push(format!("{i},{j}: transports {:?}", outcome.transports));
                }
                let over_tcp = |side: Side| {
                    if side.nat.is_none() {
                        CandidateType::Host
                    } else {
                        CandidateType::PeerReflexive
                    }
                };
                let types = outcome.selected[0].map(|s| (s.0, s.1));
                let ok = types.is_some_and(|(l, r)| {
                    l == over_tcp(a)
                        && (r == over_tcp(b)
                            || (r == CandidateType::PeerReflexive && b.nat.is_none()))
                });
                if !ok {
                    failures.push(format!("{i},{j}: TCP types {types:?}"));
                }
                let t = outcome.connected_after.iter().flatten().max().copied();
                format!(
                    "tcp {} {}ms {}chk",
                    types.map_or("?".into(), |(l, r)| format!("{l}/{r}")),
                    t.map_or(0, |t| t.as_millis()),
                    checks
                )
            } else if path_exists(a, b) {
                if !outcome.connected() {
                    failures.push(format!(
                        "{i},{j}: expected connected, got {:?}",
                        outcome.states
                    ));
                }
                if !outcome.same_pair() {
                    failures.push(format!("{i},{j}: different pairs {:?}", outcome.selected));
                }
                let types = outcome.selected[0].map(|s| (s.0, s.1));
                if types != Some((predicted_local(a), predicted_local(b))) {
                    // The remote side of a's pair may be learned as
                    // peer-reflexive before its srflx candidate is signaled.
                    let ok = types.is_some_and(|(l, r)| {
                        l == predicted_local(a)
                            && (r == predicted_local(b)
                                || (r == CandidateType::PeerReflexive
                                    && predicted_local(b) == CandidateType::ServerReflexive))
                    });
                    if !ok {
                        failures.push(format!(
                            "{i},{j}: types {types:?}, predicted {:?}",
                            (predicted_local(a), predicted_local(b))
                        ));
                    }
                }
                let t = outcome.connected_after.iter().flatten().max().copied();
                format!(
                    "{} {}ms {}chk",
                    types.map_or("?".into(), |(l, r)| format!("{l}/{r}")),
                    t.map_or(0, |t| t.as_millis()),
                    checks
                )
            } else {
                if !outcome.failed() {
                    failures.push(format!(
                        "{i},{j}: expected failed, got {:?}",
                        outcome.states
                    ));
                }
                let t = outcome.failed_after.iter().flatten().max().copied();
                // With the TURN server on both sides the same cell connects.
                let relay = |s: Side| Side { relay: true, ..s };
                let mut relayed = Scenario::new(seed, start, Link::default(), relay(a), relay(b));
                let with_relay = relayed.run(Duration::from_secs(60));
                if !with_relay.connected() || !with_relay.same_pair() {
                    failures.push(format!(
                        "{i},{j}: not connected through TURN: {with_relay:?}"
                    ));
                }
                // Both agents allocated on the TURN server itself.
                let allocations = relayed
                    .network
                    .turn_server(Scenario::TURN_SERVER)
                    .map_or(0, |server| server.relayed_addresses().count());
                if allocations != 2 {
                    failures.push(format!("{i},{j}: {allocations} TURN allocations"));
                }
                // A relayed end of the selected pair is one of its relayed
                // addresses.
                for selected in with_relay.selected.iter().flatten() {
                    let relayed_here = relayed
                        .network
                        .turn_server(Scenario::TURN_SERVER)
                        .is_some_and(|server| server.relayed_addresses().any(|r| r == selected.2));
                    if (selected.0 == CandidateType::Relayed) != relayed_here {
                        failures.push(format!("{i},{j}: {selected:?} vs the TURN server"));
                    }
                }
                let relayed_types = with_relay.selected[0].map(|s| (s.0, s.1));
                if !relayed_types.is_some_and(|(l, r)| {
                    l == CandidateType::Relayed || r == CandidateType::Relayed
                }) {
                    failures.push(format!("{i},{j}: relay not used: {relayed_types:?}"));
                }
                let relay_t = with_relay.connected_after.iter().flatten().max().copied();
                format!(
                    "failed {}ms {}chk; with TURN {} {}ms",
                    t.map_or(0, |t| t.as_millis()),
                    checks,
                    relayed_types.map_or("?".into(), |(l, r)| format!("{l}/{r}")),
                    relay_t.map_or(0, |t| t.as_millis()),
                )
            };
            table.push_str(&format!(" | {cell}"));
        }
        table.push('\n');
    }
    println!("{table}");
    assert!(failures.is_empty(), "{table}\n{failures:#?}");
}
