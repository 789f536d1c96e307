//! Data channels between two example peers over the demo's signaling
//! server on 127.0.0.1: they chat (each line printed and echoed back), a
//! 4 MiB file crosses with the same SHA-256 on both sides while the tone
//! keeps flowing, a probe of 0 B to 256 KiB messages comes back echoed,
//! and the `peer` program does the same from its command line and stdin.

// The test owns the clock (its deadlines), and indexes JSON values.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

extern crate alloc;

use alloc::sync::Arc;
use core::time::Duration;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::Instant;

mod program;

use program::Program;
use sansrtc_examples::data::{CHAT_LABEL, FILE_LABEL, PROBE_CHANNELS, PROBE_SIZES};
use sansrtc_examples::peer::{self, CallSummary, Output, PeerConfig};
use sansrtc_examples::signal;
use sha2::{Digest, Sha256};
use tokio::net::TcpListener;
use tokio::sync::Notify;

/// A file of `len` bytes that are not all alike, and its SHA-256 in hex.
fn test_file(name: &str, len: usize) -> (PathBuf, String) {
    let path = std::env::temp_dir().join(format!("sansrtc-data-{}-{name}", std::process::id()));
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let bytes: Vec<u8> = (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state as u8
        })
        .collect();
    std::fs::write(&path, &bytes).unwrap();
    let sha256 = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    (path, sha256)
}

/// Runs alice (who joins first, so offers) and bob in one room of an
/// in-process signaling server; returns their summaries.
async fn call(alice: PeerConfig, bob: PeerConfig) -> (CallSummary, CallSummary) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(signal::serve(listener, false));
    let joined = Arc::new(Notify::new());
    let mut alice = alice;
    alice.signal = address;
    alice.joined = Some(Arc::clone(&joined));
    let mut bob = bob;
    bob.signal = address;
    let alice = tokio::spawn(peer::run(alice, core::future::pending()));
    tokio::time::timeout(Duration::from_secs(5), joined.notified())
        .await
        .unwrap();
    let bob = peer::run(bob, core::future::pending()).await.unwrap();
    let alice = alice.await.unwrap().unwrap();
    server.abort();
    (alice, bob)
}

fn config(name: &str) -> PeerConfig {
    let mut config = PeerConfig::new(name, "127.0.0.1:1".parse().unwrap());
    config.room = format!("data-{}-{name}", std::process::id());
    config.output = Output::Quiet;
    config.data = true;
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_peers_chat_and_send_a_4_mib_file_over_the_demo_signaling() {
    const LEN: usize = 4 * 1024 * 1024;
    let (path, sha256) = test_file("4mib", LEN);
    let mut alice = config("alice");
    alice.say = vec!["hello bob".to_owned(), "ça va ? ✓".to_owned()];
    alice.send_file = Some(path.clone());
    alice.hang_up_when_done = true;
    alice.duration = Some(Duration::from_secs(60));
    let mut bob = config("bob");
    bob.room = alice.room.clone();
    bob.say = vec!["hello alice".to_owned()];
    bob.duration = Some(Duration::from_secs(62));
    let started = Instant::now();
    let (alice, bob) = call(alice, bob).await;
    std::fs::remove_file(&path).unwrap();
    assert!(alice.connected && bob.connected);
    assert_eq!(alice.end_reason, "data channels done");
    assert_eq!(bob.end_reason, "the other side hung up");
    // The chat: each line printed on the other side, and its echo back.
    assert_eq!(alice.data.opened[..1], [CHAT_LABEL.to_owned()]);
    let mut bob_heard = bob.data.chat_received.clone();
    bob_heard.sort();
    assert_eq!(
        bob_heard,
        ["echo: hello alice", "hello bob", "ça va ? ✓"],
        "{:?}",
        bob.data
    );
    let mut alice_heard = alice.data.chat_received.clone();
    alice_heard.sort();
    assert_eq!(
        alice_heard,
        ["echo: hello bob", "echo: ça va ? ✓", "hello alice"]
    );
    // The file: the same SHA-256 on both sides.
    let sent = alice.data.file_sent.clone().unwrap();
    let received = bob.data.file_received.clone().unwrap();
    assert_eq!(
        (sent.bytes, sent.sha256.as_str()),
        (LEN as u64, sha256.as_str())
    );
    assert_eq!(
        (received.bytes, received.sha256.as_str()),
        (LEN as u64, sha256.as_str())
    );
    assert_eq!(received.matches, Some(true));
    assert!(bob.data.opened.contains(&FILE_LABEL.to_owned()));
    // The tone kept flowing both ways meanwhile.
    assert!(alice.packets_received > 10 && bob.packets_received > 10);
    eprintln!(
        "4 MiB: sent in {:.2} s, received in {:.2} s ({:.1} MB/s); the whole call {:.2} s; \
         audio received meanwhile: alice {} packets, bob {}",
        sent.duration.as_secs_f64(),
        received.duration.as_secs_f64(),
        LEN as f64 / received.duration.as_secs_f64() / 1e6,
        started.elapsed().as_secs_f64(),
        alice.packets_received,
        bob.packets_received,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_probe_comes_back_from_an_echoing_peer_and_the_close_is_seen() {
    let mut alice = config("alice");
    alice.probe = true;
    alice.hang_up_when_done = true;
    alice.duration = Some(Duration::from_secs(60));
    let mut bob = config("bob");
    bob.room = alice.room.clone();
    bob.echo_negotiated = Some(sansrtc_examples::data::PROBE_NEGOTIATED_ID);
    bob.duration = Some(Duration::from_secs(62));
    let (alice, bob) = call(alice, bob).await;
    assert_eq!(alice.end_reason, "data channels done");
    assert_eq!(alice.data.probes.len(), PROBE_CHANNELS.len());
    for probe in &alice.data.probes {
        assert_eq!(probe.sent, 2 * PROBE_SIZES.len(), "{probe:?}");
        assert_eq!(probe.echoed, probe.sent, "{probe:?}");
        assert!(probe.failures.is_empty(), "{probe:?}");
    }
    // Bob echoed everything: the in-band probes and the negotiated one.
    assert_eq!(
        bob.data.echoed,
        (PROBE_CHANNELS.len() * 2 * PROBE_SIZES.len()) as u64
    );
    // Alice closed probe-ordered; bob saw it close.
    assert!(bob.data.closed.contains(&"probe-ordered".to_owned()));
    assert!(alice.data.closed.contains(&"probe-ordered".to_owned()));
}

#[test]
fn the_peer_program_chats_from_stdin_and_sends_a_file() {
    let mut signal = Program::start(env!("CARGO_BIN_EXE_signal"), &["--bind", "127.0.0.1:0"]);
    let line = signal.wait_for(|l| l.starts_with("signal listening on ws://"));
    let address = line
        .trim_start_matches("signal listening on ws://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let (path, sha256) = test_file("program", 300 * 1024 + 7);
    let room = format!("data-program-{}", std::process::id());
    let peer = env!("CARGO_BIN_EXE_peer");
    let common = ["--signal", &address, "--room", &room, "--json"];
    let file = path.to_str().unwrap();
    let mut alice = Program::start(
        peer,
        &[
            &common[..],
            &["--name", "alice", "--say", "from the command line"],
        ]
        .concat(),
    );
    alice.wait_for_event(|v| v["event"] == "joined");
    let mut bob = Program::start(
        peer,
        &[&common[..], &["--name", "bob", "--send-file", file]].concat(),
    );
    bob.wait_for_event(|v| v["event"] == "data-channel-open" && v["label"] == "chat");
    // A line typed on bob's stdin goes out on chat.
    writeln!(bob.child.stdin.as_mut().unwrap(), "typed on stdin").unwrap();
    let heard = alice.wait_for_event(|v| v["event"] == "chat" && v["text"] == "typed on stdin");
    assert_eq!(heard["peer"], "alice");
    bob.wait_for_event(|v| v["event"] == "chat" && v["text"] == "echo: typed on stdin");
    bob.wait_for_event(|v| v["event"] == "chat" && v["text"] == "from the command line");
    alice.wait_for_event(|v| v["event"] == "chat" && v["text"] == "echo: from the command line");
    // The answerer's file reached the offerer, and both print its SHA-256.
    let sent = bob.wait_for_event(|v| v["event"] == "file-sent");
    let received = alice.wait_for_event(|v| v["event"] == "file-received");
    std::fs::remove_file(&path).unwrap();
    assert_eq!(sent["sha256"], sha256.as_str());
    assert_eq!(received["sha256"], sha256.as_str());
    assert_eq!(received["bytes"], 300 * 1024 + 7);
    assert_eq!(received["matches"], true);
}

#[test]
fn data_options_are_checked() {
    for (args, error) in [
        (&["--send-file"][..], "--send-file needs a file name"),
        (&["--echo-negotiated", "x"][..], "--echo-negotiated x"),
        (&["--say"][..], "--say needs a text"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_peer"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(error), "{args:?}: {stderr}");
    }
    // A file that cannot be opened is an error before anything starts.
    let output = Command::new(env!("CARGO_BIN_EXE_peer"))
        .args([
            "--signal",
            "127.0.0.1:1",
            "--send-file",
            "/nonexistent/file",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("opening the file to send"), "{stderr}");
}
