//! The programs run by hand: `signal` and two `peer` processes on
//! 127.0.0.1, JSON output, Ctrl-C (SIGINT) as the hang-up.

// The test owns the clock (its deadlines), and indexes JSON values.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

mod program;

use std::process::Command;

use program::Program;
use serde_json::Value;

fn event(line: &str) -> Option<Value> {
    let value: Value = serde_json::from_str(line).ok()?;
    value.get("event").is_some().then_some(value)
}

fn is_event(line: &str, name: &str) -> bool {
    event(line).is_some_and(|v| v["event"] == name)
}

#[test]
fn two_peer_processes_call_through_signal_and_hang_up_on_sigint() {
    let mut signal = Program::start(env!("CARGO_BIN_EXE_signal"), &["--bind", "127.0.0.1:0"]);
    let line = signal.wait_for(|l| l.starts_with("signal listening on ws://"));
    let address = line
        .trim_start_matches("signal listening on ws://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let room = format!("test-{}", std::process::id());
    let peer = env!("CARGO_BIN_EXE_peer");
    let common = [
        "--signal",
        &address,
        "--room",
        &room,
        "--json",
        "--stats-interval",
        "0.5",
    ];
    let mut alice = Program::start(peer, &[&common[..], &["--name", "alice"]].concat());
    alice.wait_for(|l| is_event(l, "joined"));
    let mut bob = Program::start(peer, &[&common[..], &["--name", "bob"]].concat());

    let a = event(&alice.wait_for(|l| is_event(l, "selected-pair"))).unwrap();
    let b = event(&bob.wait_for(|l| is_event(l, "selected-pair"))).unwrap();
    assert_eq!(a["peer"], "alice");
    assert_eq!(a["local"], b["remote"]);
    assert_eq!(b["local"], a["remote"]);
    assert_eq!(a["local_type"], "host");
    // Media flows, keyed by DTLS-SRTP: a statistics line with packets
    // received and the profile.
    let stats = event(&bob.wait_for(|l| {
        event(l).is_some_and(|v| v["event"] == "stats" && v["received_packets"].as_u64() > Some(20))
    }))
    .unwrap();
    assert!(
        stats["srtp_profile"].as_str().unwrap().starts_with("SRTP_"),
        "{stats}"
    );
    assert!(stats["sent_packets"].as_u64() > Some(20), "{stats}");

    // Ctrl-C on alice: RTCP BYE, signaling bye, ICE closed, exit 0.
    let status = Command::new("kill")
        .args(["-INT", &alice.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    alice.wait_for(|l| is_event(l, "rtcp-bye-sent"));
    let end = event(&alice.wait_for(|l| is_event(l, "end"))).unwrap();
    assert_eq!(end["reason"], "interrupted");
    assert_eq!(alice.wait_exit(), Some(0));
    let end = event(&bob.wait_for(|l| is_event(l, "end"))).unwrap();
    assert!(end["reason"] == "the other side hung up", "{end}");
    assert!(bob.seen.iter().any(|l| is_event(l, "rtcp-bye")));
    assert_eq!(bob.wait_exit(), Some(0));
}

#[test]
fn a_third_peer_process_is_refused() {
    let mut signal = Program::start(env!("CARGO_BIN_EXE_signal"), &["--bind", "127.0.0.1:0"]);
    let line = signal.wait_for(|l| l.starts_with("signal listening on ws://"));
    let address = line
        .trim_start_matches("signal listening on ws://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let peer = env!("CARGO_BIN_EXE_peer");
    let args = [
        "--signal",
        &address,
        "--room",
        "three",
        "--json",
        "--seconds",
        "3",
    ];
    let mut first = Program::start(peer, &args);
    first.wait_for(|l| is_event(l, "joined"));
    let mut second = Program::start(peer, &args);
    second.wait_for(|l| is_event(l, "joined"));
    let mut third = Program::start(peer, &args);
    assert_eq!(third.wait_exit(), Some(1));
}

#[test]
fn garbage_datagrams_do_not_disturb_a_call() {
    let mut signal = Program::start(env!("CARGO_BIN_EXE_signal"), &["--bind", "127.0.0.1:0"]);
    let line = signal.wait_for(|l| l.starts_with("signal listening on ws://"));
    let address = line
        .trim_start_matches("signal listening on ws://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    let peer = env!("CARGO_BIN_EXE_peer");
    let args = |seconds| {
        [
            "--signal",
            &address,
            "--room",
            "garbage",
            "--json",
            "--seconds",
            seconds,
        ]
    };
    // Alice hangs up on her own timer: bob, who connects about as early,
    // would otherwise race her to it.
    let mut alice = Program::start(peer, &args("2"));
    let joined = event(&alice.wait_for(|l| is_event(l, "joined"))).unwrap();
    let target: core::net::SocketAddr = joined["socket"].as_str().unwrap().parse().unwrap();
    let mut bob = Program::start(peer, &args("4"));
    alice.wait_for(|l| is_event(l, "selected-pair"));
    // STUN-, RTP-, RTCP-, ChannelData- and DTLS-looking garbage, truncated
    // and oversized packets, from a stranger.
    let stranger = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
    let mut garbage: Vec<Vec<u8>> = vec![
        vec![],
        vec![0x00],
        vec![0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42],
        vec![0x80, 0x00, 0x00, 0x01],
        vec![0x80, 0x61, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0],
        vec![0x81, 0xc9, 0x00, 0x07, 1, 2, 3, 4],
        vec![0x81, 0xcd, 0xff, 0xff],
        vec![0x40, 0x00, 0x00, 0x10],
        vec![22, 0xfe, 0xfd, 0, 0],
        vec![0xff; 1500],
    ];
    for first in [0x00u8, 0x80, 0x81, 0x90] {
        for len in [20usize, 64, 200] {
            let mut packet: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            packet[0] = first;
            garbage.push(packet);
        }
    }
    for _ in 0..5 {
        for packet in &garbage {
            stranger.send_to(packet, target).unwrap();
        }
    }
    let end = event(&alice.wait_for(|l| is_event(l, "end"))).unwrap();
    assert_eq!(end["reason"], "hung up after 2 s");
    assert_eq!(alice.wait_exit(), Some(0));
    assert_eq!(bob.wait_exit(), Some(0));
    // Alice kept receiving bob's tone: its last statistics show about
    // 2 s of packets.
    let last = alice
        .seen
        .iter()
        .filter_map(|l| event(l))
        .rfind(|v| v["event"] == "stats")
        .unwrap();
    assert!(last["received_packets"].as_u64() >= Some(90), "{last}");
}

#[test]
fn interop_options_are_checked() {
    for (args, error) in [
        (
            &["--late-candidates", "0"][..],
            "--late-candidates must be between",
        ),
        (&["--restart-after", "x"][..], "--restart-after x"),
        (&["--restart-after"][..], "--restart-after needs a number"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_peer"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(error), "{args:?}: {stderr}");
    }
    let output = Command::new(env!("CARGO_BIN_EXE_signal"))
        .args(["--page", "chromium.html"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("expected /PATH=FILE"));
}
