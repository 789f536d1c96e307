//! Property: in random topologies, latencies, jitter, loss up to 30 % and
//! candidate orders, with or without mDNS names hiding the host addresses,
//! firewalls, networks that block UDP, TCP candidates (RFC 6544) and the
//! simulated TURN server (reached by the agents' own TURN clients),
//! whenever a path exists (and the sides behind a NAT got their
//! server-reflexive candidate, the sides with TURN their relayed one: at
//! 30 % loss all 7 transmissions of a STUN or TURN request are lost about
//! once in a hundred) both agents reach
//! connected on the same pair within 90 s of virtual time, and otherwise
//! both fail. Runs are reproducible: the case's seed drives the network
//! and agents, and the proptest generator itself is seeded.

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::time::Duration;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sansrtc_ice::sim::{Link, Scenario, Side};

mod topology;

use sansrtc_ice::{CandidateType, Config};
use topology::{SIDES, path_exists};

/// The bound. A STUN request's 7th and last transmission leaves at 31.5 s,
/// so a side may learn its server-reflexive candidate (and a non-trickle
/// peer its candidates) that late; with 12 transmissions per check (instead
/// of the default 7) a check is lost with probability 0.51^12 < 0.04 % at
/// 30 % loss, and its retransmissions span 17.5 s. The failure timeout is
/// raised to 60 s to cover both, and the bound is 90 s.
const BOUND: Duration = Duration::from_secs(90);

fn config(controlling: bool, seed: u64) -> Config {
    let mut config = Config::new(controlling);
    config.seed = Some(sansrtc_ice::seed_from_u64(seed));
    config.max_transmissions = 12;
    config.failure_timeout = Duration::from_secs(60);
    config.stun_servers = vec![Scenario::STUN_SERVER];
    config
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 256,
        rng_seed: RngSeed::Fixed(0x1ce),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn connects_whenever_a_path_exists(
        seed in any::<u64>(),
        a in 0..SIDES.len(),
        b in 0..SIDES.len(),
        latency_ms in 1..150u64,
        jitter_ms in 0..50u64,
        loss_permille in 0..=300u32,
        shuffle in any::<Option<u64>>(),
        mdns in any::<(bool, bool)>(),
        relay in any::<(bool, bool)>(),
        tcp in any::<(bool, bool)>(),
    ) {
        let a = Side { mdns: mdns.0, relay: relay.0, tcp: tcp.0 || SIDES[a].1.tcp, ..SIDES[a].1 };
        let b = Side { mdns: mdns.1, relay: relay.1, tcp: tcp.1 || SIDES[b].1.tcp, ..SIDES[b].1 };
        let link = Link {
            latency: Duration::from_millis(latency_ms),
            jitter: Duration::from_millis(jitter_ms),
            loss_permille,
        };
        let mut scenario = Scenario::with_configs(
            seed,
            Instant::now(),
            link,
            [a, b],
            [config(true, seed), config(false, seed.wrapping_add(1))],
        );
        scenario.shuffle_candidates = shuffle;
        let outcome = scenario.run(BOUND);
        // Gathering itself may lose every transmission of a STUN or TURN
        // transaction; only runs that gathered what their side offers count.
        let gathered = |i: usize, side: Side| {
            let has = |kind: CandidateType| {
                scenario.agents[i].local_candidates().any(|c| c.kind() == kind)
            };
            (side.nat.is_none() || has(CandidateType::ServerReflexive))
                && (!side.relay || has(CandidateType::Relayed))
        };
        prop_assume!(gathered(0, a) && gathered(1, b));
        if path_exists(a, b) {
            prop_assert!(outcome.connected(), "seed {seed}: {outcome:?}");
            prop_assert!(outcome.same_pair(), "seed {seed}: {outcome:?}");
        } else {
            prop_assert!(outcome.failed(), "seed {seed}: {outcome:?}");
        }
    }
}
