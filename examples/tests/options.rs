//! The peer options the browser interop test uses, between two of our
//! peers on 127.0.0.1: an ICE-lite offerer, candidates signalled late, an
//! ICE restart started by either side, ICE-TCP, a forged fingerprint.

// The test owns the clock (the peers' epoch).
#![allow(clippy::disallowed_methods)]

use alloc::sync::Arc;
use core::time::Duration;
use std::time::Instant;

use sansrtc_examples::peer::{self, CallSummary, Output, PeerConfig};
use sansrtc_examples::signal;
use tokio::net::TcpListener;
use tokio::sync::Notify;

extern crate alloc;

/// A call between alice (first in the room, the offerer) and bob, with the
/// options `setup` gives them. Alice hangs up `seconds` after connecting.
async fn call(
    seconds: f64,
    setup: impl FnOnce(&mut PeerConfig, &mut PeerConfig),
) -> (CallSummary, CallSummary) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(signal::serve(listener, false));
    let epoch = Instant::now();
    let joined = Arc::new(Notify::new());
    let mut alice = PeerConfig::new("alice", address);
    alice.output = Output::Quiet;
    alice.seed = Some([1; 32]);
    alice.epoch = epoch;
    alice.joined = Some(Arc::clone(&joined));
    alice.duration = Some(Duration::from_secs_f64(seconds));
    let mut bob = PeerConfig::new("bob", address);
    bob.output = Output::Quiet;
    bob.seed = Some([2; 32]);
    bob.epoch = epoch;
    setup(&mut alice, &mut bob);
    let alice = tokio::spawn(peer::run(alice, core::future::pending()));
    joined.notified().await;
    let bob = tokio::spawn(peer::run(bob, core::future::pending()));
    let limit = Duration::from_secs_f64(seconds + 15.0);
    let alice = tokio::time::timeout(limit, alice)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    let bob = tokio::time::timeout(limit, bob)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    server.abort();
    (alice, bob)
}

fn assert_same_pair(alice: &CallSummary, bob: &CallSummary) {
    assert!(alice.connected && bob.connected, "{alice:?} {bob:?}");
    let (a, b) = (
        alice.selected.clone().unwrap(),
        bob.selected.clone().unwrap(),
    );
    assert_eq!(a.local_base, b.remote, "{a:?} {b:?}");
    assert_eq!(b.local_base, a.remote, "{a:?} {b:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ice_lite_offerer_connects_with_a_full_answerer() {
    let (alice, bob) = call(1.0, |alice, _| alice.ice_lite = true).await;
    assert!(alice.offerer && !bob.offerer);
    assert_same_pair(&alice, &bob);
    // Only the full agent checks; the lite one only answers.
    assert!(bob.checks_sent >= 1);
    assert_eq!(alice.checks_sent, 0);
    assert!(bob.packets_received > 0 && alice.packets_received > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn candidates_signalled_late_by_both_sides_still_connect() {
    let delay = Some(Duration::from_millis(500));
    let (alice, bob) = call(1.0, |alice, bob| {
        alice.candidate_delay = delay;
        bob.candidate_delay = delay;
    })
    .await;
    assert_same_pair(&alice, &bob);
    assert_eq!(alice.late_candidates, alice.local_candidates.len());
    assert_eq!(bob.late_candidates, bob.local_candidates.len());
    assert!(alice.late_candidates >= 1 && bob.late_candidates >= 1);
    // Nothing was known before the candidates came: it took the delay.
    assert!(alice.time_to_connected.unwrap() >= Duration::from_millis(500));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_by_the_offerer_selects_a_new_pair() {
    let (alice, bob) = call(2.5, |alice, _| {
        alice.restart_after = Some(Duration::from_millis(700));
    })
    .await;
    assert_same_pair(&alice, &bob);
    assert_eq!((alice.ice_restarts, bob.ice_restarts), (1, 1));
    assert!(alice.pairs_selected >= 2, "{}", alice.pairs_selected);
    assert!(bob.pairs_selected >= 2, "{}", bob.pairs_selected);
    // Media kept flowing through the restart: 2.5 s of 20 ms packets.
    let delivered = bob.packets_received as f64 / alice.packets_sent as f64;
    assert!(delivered >= 0.9, "{delivered}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restart_offer_from_the_answerer_is_answered() {
    let (alice, bob) = call(2.5, |_, bob| {
        bob.restart_after = Some(Duration::from_millis(700));
    })
    .await;
    assert_same_pair(&alice, &bob);
    assert_eq!((alice.ice_restarts, bob.ice_restarts), (1, 1));
    assert!(alice.pairs_selected >= 2, "{}", alice.pairs_selected);
    assert!(bob.pairs_selected >= 2, "{}", bob.pairs_selected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn peers_with_tcp_offer_a_passive_candidate_and_connect() {
    let (alice, bob) = call(1.0, |alice, bob| {
        alice.tcp = true;
        bob.tcp = true;
    })
    .await;
    assert_same_pair(&alice, &bob);
    for summary in [&alice, &bob] {
        // The listener is announced next to the UDP host candidate
        // (RFC 6544: `tcptype passive` on the listener's port).
        let tcp: Vec<&String> = summary
            .local_candidates
            .iter()
            .filter(|c| c.contains(" tcp "))
            .collect();
        assert_eq!(tcp.len(), 1, "{:?}", summary.local_candidates);
        assert!(tcp[0].ends_with("typ host tcptype passive"), "{}", tcp[0]);
        // Two passive candidates do not pair: the call is on UDP.
        let local = summary.selected.as_ref().unwrap().local_base;
        let address = format!(" {} {} typ host", local.ip(), local.port());
        assert!(
            summary
                .local_candidates
                .iter()
                .any(|c| c.contains(" udp ") && c.ends_with(&address)),
            "{local} in {:?}",
            summary.local_candidates
        );
    }
    assert!(bob.packets_received > 0 && alice.packets_received > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forged_fingerprint_fails_dtls_and_no_media_flows() {
    let (alice, bob) = call(1.0, |alice, bob| {
        alice.forge_fingerprint = true;
        alice.connect_timeout = Duration::from_secs(5);
        bob.connect_timeout = Duration::from_secs(5);
    })
    .await;
    // ICE connects; bob, who checks alice's certificate against the
    // fingerprint her offer carried, refuses it.
    assert!(alice.selected.is_some() && bob.selected.is_some());
    assert_eq!(
        bob.failure.as_deref(),
        Some("DTLS failed: the peer's certificate does not match the remote fingerprint"),
        "{bob:?}"
    );
    assert!(!alice.connected && !bob.connected);
    assert_eq!(
        (alice.srtp_profile.clone(), bob.srtp_profile.clone()),
        (None, None)
    );
    assert_eq!(alice.packets_received + bob.packets_received, 0);
    // Bob hangs up; alice learns it from the signaling channel.
    assert_eq!(alice.end_reason, "the other side hung up");
}
