//! Copy-paste signaling: two `peer --stdio` processes whose stdout lines
//! the test hands to the other's stdin, as a person pasting them would.

extern crate alloc;

use alloc::sync::Arc;
use core::time::Duration;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Output, Stdio};
use std::sync::Mutex;
use std::thread;

/// Starts `peer --stdio` with `args`; stdin and stdout piped, stderr kept.
fn peer(args: &[&str]) -> Child {
    Command::new(env!("CARGO_BIN_EXE_peer"))
        .arg("--stdio")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Copies every stdout line of `from` to `to`'s stdin (the paste), and
/// keeps them.
fn paste(
    from: &mut Child,
    to: ChildStdin,
    pasted: Arc<Mutex<Vec<String>>>,
) -> thread::JoinHandle<()> {
    let stdout = from.stdout.take().unwrap();
    thread::spawn(move || {
        let mut to = to;
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            pasted.lock().unwrap().push(line.clone());
            if writeln!(to, "{line}").is_err() {
                break;
            }
        }
    })
}

fn stderr_of(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn two_peers_connect_with_pasted_signaling_and_exchange_media() {
    let mut alice = peer(&["--name", "alice", "--seconds", "1.5"]);
    let mut bob = peer(&["--name", "bob", "--answer", "--seconds", "3"]);
    let from_alice = Arc::new(Mutex::new(Vec::new()));
    let from_bob = Arc::new(Mutex::new(Vec::new()));
    let alice_stdin = alice.stdin.take().unwrap();
    let bob_stdin = bob.stdin.take().unwrap();
    let a = paste(&mut alice, bob_stdin, Arc::clone(&from_alice));
    let b = paste(&mut bob, alice_stdin, Arc::clone(&from_bob));
    // The call lasts 1.5 s once connected; both must be done well within 20 s.
    let (sender, done) = std::sync::mpsc::channel();
    thread::spawn(move || {
        let alice = alice.wait_with_output().unwrap();
        let bob = bob.wait_with_output().unwrap();
        let _ = sender.send((alice, bob));
    });
    let (alice, bob) = done
        .recv_timeout(Duration::from_secs(20))
        .expect("both peers end within 20 s");
    a.join().unwrap();
    b.join().unwrap();
    let (alice_log, bob_log) = (stderr_of(&alice), stderr_of(&bob));
    assert!(
        alice.status.success(),
        "alice:\n{alice_log}\nbob:\n{bob_log}"
    );
    assert!(bob.status.success(), "alice:\n{alice_log}\nbob:\n{bob_log}");

    // Every line on stdout is a signaling message, as JSON.
    let kinds = |lines: &[String]| -> Vec<String> {
        lines
            .iter()
            .map(|line| {
                let value: serde_json::Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("stdout line {line:?} is not JSON: {e}"));
                value["type"].as_str().unwrap_or_default().to_owned()
            })
            .collect()
    };
    let alice_kinds = kinds(&from_alice.lock().unwrap());
    let bob_kinds = kinds(&from_bob.lock().unwrap());
    assert_eq!(
        alice_kinds.first().map(String::as_str),
        Some("offer"),
        "{alice_kinds:?}"
    );
    assert_eq!(
        bob_kinds.first().map(String::as_str),
        Some("answer"),
        "{bob_kinds:?}"
    );
    for kinds in [&alice_kinds, &bob_kinds] {
        assert!(kinds.iter().any(|k| k == "end-of-candidates"), "{kinds:?}");
    }

    // The timeline went to stderr and tells of a call with media both ways.
    for log in [&alice_log, &bob_log] {
        assert!(log.contains("copy-paste signaling"), "{log}");
        assert!(log.contains("selected pair host 127.0.0.1:"), "{log}");
        assert!(log.contains("stats: sent "), "{log}");
    }
    assert!(bob_log.contains("received offer"), "{bob_log}");
    assert!(alice_log.contains("received answer"), "{alice_log}");
}

#[test]
fn an_answering_peer_ignores_lines_that_are_not_messages_and_ends_with_its_input() {
    let mut bob = peer(&["--name", "bob", "--answer"]);
    let mut stdin = bob.stdin.take().unwrap();
    writeln!(stdin, "this is not JSON").unwrap();
    writeln!(stdin, "[1, 2, 3]").unwrap();
    writeln!(stdin, "{{\"type\": \"candidate\"}}").unwrap();
    drop(stdin);
    let output = bob.wait_with_output().unwrap();
    let stderr = stderr_of(&output);
    // Nothing was offered: the end of the input ends the peer with an error.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("peer: signaling: connection closed"),
        "{stderr}"
    );
    assert!(
        output.stdout.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&output.stdout)
    );
}

#[test]
fn a_line_longer_than_a_message_may_be_is_refused() {
    let mut bob = peer(&["--name", "bob", "--answer"]);
    let mut stdin = bob.stdin.take().unwrap();
    // 100 KiB without a newline, more than the 64 KiB a message may take.
    let long = vec![b'x'; 100 * 1024];
    // The writer keeps stdin open: the peer must give up on its own.
    thread::spawn(move || {
        let _ = stdin.write_all(&long);
        thread::sleep(Duration::from_secs(30));
    });
    let output = bob.wait_with_output().unwrap();
    let stderr = stderr_of(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(
            "peer: signaling: a line on stdin is longer than a message may be (65536 bytes)"
        ),
        "{stderr}"
    );
}
