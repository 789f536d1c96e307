//! With the `tracing` feature the agent says why it did what it did: a run
//! in the simulated network logs the states, the pair it selected, and the
//! pairs that failed.

#![cfg(feature = "tracing")]
// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::std_instead_of_alloc)]

use core::time::Duration;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use sansrtc_ice::sim::{Link, Nat, Scenario, Side};

/// A writer that keeps everything in a shared buffer.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_agent_tells_why() {
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_writer(move || writer.clone())
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        let mut scenario = Scenario::new(
            5,
            Instant::now(),
            Link::default(),
            Side::behind(Nat::SYMMETRIC),
            Side::PUBLIC,
        );
        let outcome = scenario.run(Duration::from_secs(30));
        assert!(outcome.connected(), "{outcome:?}");
        // Two symmetric NATs and no relay: no pair can work.
        let mut scenario = Scenario::new(
            6,
            Instant::now(),
            Link::default(),
            Side::behind(Nat::SYMMETRIC),
            Side::behind(Nat::SYMMETRIC),
        );
        let outcome = scenario.run(Duration::from_secs(60));
        assert!(outcome.failed(), "{outcome:?}");
    });
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("sansrtc_ice"), "{text}");
    assert!(text.contains("state New -> Checking"), "{text}");
    assert!(text.contains("component 1: selected"), "{text}");
    // Between two symmetric NATs every pair fails, each with its reason.
    assert!(text.contains("failed: no answer after 7 checks"), "{text}");
    assert!(text.contains("-> Failed"), "{text}");
}
