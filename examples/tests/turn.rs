//! Runs the `turn-client` program against a real coturn server on
//! 127.0.0.1 (skipped, with a `skipped: turnserver not installed` line, when
//! coturn is not installed).

#[path = "../../stun/tests/support/mod.rs"]
mod support;

use core::time::Duration;
use std::net::UdpSocket;
use std::process::{Command, Output};
use std::thread;

use support::{coturn_or_skip, free_udp_port, start_relay};

const USER: &str = "alice";
const PASSWORD: &str = "turn-client-secret";
const REALM: &str = "sansrtc.test";

/// coturn on a free port with long-term credentials for [`USER`], relaying
/// to loopback peers.
fn coturn() -> (support::Coturn, String) {
    let port = free_udp_port();
    let server = start_relay(port, (USER, PASSWORD, REALM), &[]);
    (server, format!("127.0.0.1:{port}"))
}

/// A UDP echo peer on 127.0.0.1 in a thread of the test; it ends with the
/// test process.
fn echo_peer() -> String {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap().to_string();
    thread::spawn(move || {
        let mut buf = [0u8; 2048];
        while let Ok((n, from)) = socket.recv_from(&mut buf) {
            if let Some(bytes) = buf.get(..n) {
                let _ = socket.send_to(bytes, from);
            }
        }
    });
    address
}

fn turn_client(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_turn-client"))
        .args(args)
        .output()
        .unwrap()
}

/// Runs the program until coturn is up (it is started a moment before and
/// the first Allocate may reach a port not yet open over TCP).
fn turn_client_when_up(args: &[&str]) -> Output {
    let mut output = turn_client(args);
    for _ in 0..20 {
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !stderr.contains("Connection refused") {
            break;
        }
        thread::sleep(Duration::from_millis(100));
        output = turn_client(args);
    }
    output
}

fn assert_relayed_both_ways(output: &Output, peer: &str) {
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stdout}\n{stderr}");
    for expected in [
        "allocated relayed address 127.0.0.1:".to_owned(),
        "permission for 127.0.0.1 installed".to_owned(),
        format!("bytes to {peer} in a Send indication"),
        format!("channel 0x4000 bound to {peer}"),
        format!("bytes to {peer} as ChannelData on channel 0x4000"),
        "allocation released".to_owned(),
    ] {
        assert!(
            stdout.contains(&expected),
            "missing {expected:?} in\n{stdout}"
        );
    }
    let answers = stdout
        .lines()
        .filter(|line| line.starts_with(&format!("{peer} answered through the relay")))
        .count();
    assert_eq!(answers, 2, "{stdout}");
}

#[test]
fn relays_to_an_echo_peer_over_udp_by_indication_then_channel() {
    let test = "relays_to_an_echo_peer_over_udp_by_indication_then_channel";
    let Some(version) = coturn_or_skip(test) else {
        return;
    };
    let (_coturn, server) = coturn();
    let peer = echo_peer();
    let output = turn_client_when_up(&[&server, USER, PASSWORD, &peer]);
    assert_relayed_both_ways(&output, &peer);
    let stdout = String::from_utf8_lossy(&output.stdout);
    // Over UDP the program can tell how each answer came back.
    assert!(
        stdout.contains("answered through the relay in a Data indication"),
        "{stdout}"
    );
    assert!(
        stdout.contains("answered through the relay as ChannelData"),
        "{stdout}"
    );
    println!("{test}: turn-client against {version} over UDP");
}

#[test]
fn relays_to_an_echo_peer_over_tcp() {
    let test = "relays_to_an_echo_peer_over_tcp";
    let Some(version) = coturn_or_skip(test) else {
        return;
    };
    let (_coturn, server) = coturn();
    let peer = echo_peer();
    let output = turn_client_when_up(&["--tcp", &server, USER, PASSWORD, &peer]);
    assert_relayed_both_ways(&output, &peer);
    println!("{test}: turn-client against {version} over TCP");
}

#[test]
fn a_wrong_password_is_reported_with_the_server_s_error() {
    let test = "a_wrong_password_is_reported_with_the_server_s_error";
    if coturn_or_skip(test).is_none() {
        return;
    }
    let (_coturn, server) = coturn();
    let output = turn_client_when_up(&[&server, USER, "not-the-password", "--local-echo"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        stderr.contains("allocation failed: 401"),
        "unexpected error: {stderr}"
    );
}

#[test]
fn a_silent_server_is_given_up_with_what_was_missing() {
    // A bound socket that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    let output = turn_client(&[
        "--timeout-ms",
        "300",
        &server,
        USER,
        PASSWORD,
        "--local-echo",
    ]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        stderr.contains("gave up after 300 ms (no answer to Allocate)"),
        "{stderr}"
    );
    let mut buf = [0u8; 1500];
    silent.set_nonblocking(true).unwrap();
    let (n, _) = silent.recv_from(&mut buf).unwrap();
    // What arrived is a STUN Allocate request (method 0x003, class request).
    assert_eq!(&buf[..2], &[0x00, 0x03], "{:02x?}", &buf[..n]);
}

#[test]
fn bad_arguments_are_refused_with_the_usage() {
    for args in [
        &[][..],
        &["127.0.0.1:3478", "user"][..],
        &[
            "--timeout-ms",
            "soon",
            "127.0.0.1:3478",
            "u",
            "p",
            "--local-echo",
        ][..],
        &["--message", "", "127.0.0.1:3478", "u", "p", "--local-echo"][..],
        &["--bogus", "127.0.0.1:3478", "u", "p", "127.0.0.1:9"][..],
    ] {
        let output = turn_client(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}: {output:?}");
        assert!(!output.stderr.is_empty(), "{args:?}");
    }
}
