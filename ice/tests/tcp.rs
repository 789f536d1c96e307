//! ICE over TCP (RFC 6544).

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::time::Duration;
use std::time::Instant;

use sansrtc_ice::sim::{Link, Nat, Scenario, Side};
use sansrtc_ice::{Event, Transport};

#[test]
fn udp_blocked_connects_over_tcp() {
    for (a, b) in [
        (Side::UDP_BLOCKED, Side::PUBLIC.with_tcp()),
        (Side::UDP_BLOCKED, Side::behind(Nat::SYMMETRIC).with_tcp()),
        (Side::behind(Nat::FULL_CONE).with_tcp(), Side::UDP_BLOCKED),
    ] {
        let mut s = Scenario::new(3, Instant::now(), Link::default(), a, b);
        let outcome = s.run(Duration::from_secs(60));
        for (t, i, e) in &s.log {
            if !matches!(e, Event::LocalCandidate(_)) {
                println!("{t:?} {i} {e:?}");
            }
        }
        println!("{outcome:?}");
        assert!(outcome.connected(), "{outcome:?}");
        assert!(outcome.same_pair(), "{outcome:?}");
        assert_eq!(outcome.transports, [Some(Transport::Tcp); 2]);
    }
}
