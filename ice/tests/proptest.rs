//! Property: in random topologies, latencies, jitter, loss up to 30 % and
//! candidate orders, whenever a path exists both agents reach connected on
//! the same pair within 40 s of virtual time, and otherwise both fail.
//! Runs are reproducible: the case's seed drives the network and agents,
//! and the proptest generator itself is seeded.

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::time::Duration;
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::RngSeed;
use sansrtc_ice::Config;
use sansrtc_ice::sim::{Behaviour, Link, Nat, Scenario, Side};

const SIDES: [Side; 5] = [
    Side::PUBLIC,
    Side::behind(Nat::FULL_CONE),
    Side::behind(Nat::RESTRICTED_CONE),
    Side::behind(Nat::PORT_RESTRICTED_CONE),
    Side::behind(Nat::SYMMETRIC),
];

fn path_exists(a: Side, b: Side) -> bool {
    let symmetric = |s: Side| {
        s.nat
            .is_some_and(|n| n.mapping != Behaviour::EndpointIndependent)
    };
    let port_filter = |s: Side| {
        s.nat
            .is_some_and(|n| n.filtering == Behaviour::AddressAndPortDependent)
    };
    match (symmetric(a), symmetric(b)) {
        (false, false) => true,
        (true, true) => false,
        (true, false) => b.nat.is_none() || !port_filter(b),
        (false, true) => a.nat.is_none() || !port_filter(a),
    }
}

/// The bound: with 12 transmissions per transaction (instead of the
/// default 7) a transaction is lost with probability 0.51^12 < 0.04 % at
/// 30 % loss, so gathering and the checks of an existing path succeed.
const BOUND: Duration = Duration::from_secs(40);

fn config(controlling: bool, seed: u64) -> Config {
    Config {
        controlling,
        seed,
        max_transmissions: 12,
        stun_servers: vec![Scenario::STUN_SERVER],
        ..Config::default()
    }
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
    ) {
        let (a, b) = (SIDES[a], SIDES[b]);
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
        if path_exists(a, b) {
            prop_assert!(outcome.connected(), "seed {seed}: {outcome:?}");
            prop_assert!(outcome.same_pair(), "seed {seed}: {outcome:?}");
        } else {
            prop_assert!(outcome.failed(), "seed {seed}: {outcome:?}");
        }
    }
}
