//! A Binding request to a real STUN server: coturn on 127.0.0.1, driven by
//! our client transaction over a std `UdpSocket`.
//!
//! The test installs nothing. It runs when `turnserver` (Debian `coturn`) is
//! on the PATH and prints `coturn test skipped: turnserver not on PATH`
//! otherwise.

// A real socket needs the real clock; the transaction still gets it passed in.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::indexing_slicing)]

use core::net::SocketAddr;
use core::time::Duration;
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use sansrtc_stun::rng::Rng;
use sansrtc_stun::transaction::{ClientTransaction, Event, TransactionConfig};
use sansrtc_stun::{Attribute, Class, MessageBuilder, Method};

/// Kills coturn when the test ends, pass or fail.
struct Coturn(Child);

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `turnserver --version`'s output, or `None` when it is not installed.
fn turnserver_version() -> Option<String> {
    let output = Command::new("turnserver")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&output.stdout);
    let version = text.lines().next().unwrap_or("").trim();
    Some(format!("coturn {version}"))
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start_coturn(port: u16) -> Coturn {
    let pidfile = std::env::temp_dir().join(format!("sansrtc-coturn-stun-{port}.pid"));
    let child = Command::new("turnserver")
        .args([
            "-n",
            "--stun-only",
            "--no-auth",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--listening-ip=127.0.0.1",
            "--simple-log",
            "--log-file=stdout",
        ])
        .arg(format!("--listening-port={port}"))
        .arg(format!("--pidfile={}", pidfile.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start turnserver");
    Coturn(child)
}

/// One Binding transaction from `socket` to `server`, retransmitting on our
/// schedule with a short RTO while coturn starts up.
fn binding(socket: &UdpSocket, server: SocketAddr, seed: u64) -> Event {
    let transaction_id = Rng::new(seed).transaction_id();
    let mut buf = [0u8; 64];
    let mut builder =
        MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, transaction_id).unwrap();
    builder
        .add(&Attribute::Software("sansrtc coturn test"))
        .unwrap();
    builder.add_fingerprint().unwrap();
    let len = builder.finish();
    let mut config = TransactionConfig::with_rto(Duration::from_millis(100));
    config.max_transmissions = 10;
    let mut transaction = ClientTransaction::new(
        config,
        Instant::now(),
        transaction_id,
        buf[..len].to_vec(),
        false,
    );
    let mut datagram = [0u8; 1500];
    loop {
        while let Some(bytes) = transaction.poll_transmit() {
            socket.send_to(bytes, server).unwrap();
        }
        if let Some(event) = transaction.poll_event() {
            return event;
        }
        let deadline = transaction
            .poll_timeout()
            .expect("a deadline while waiting");
        let wait = deadline.saturating_duration_since(Instant::now());
        if wait.is_zero() {
            transaction.handle_timeout(Instant::now());
            continue;
        }
        socket.set_read_timeout(Some(wait)).unwrap();
        match socket.recv_from(&mut datagram) {
            Ok((n, from)) if from == server => {
                if let Err(error) = transaction.handle_receive(Instant::now(), &datagram[..n]) {
                    println!("ignored a datagram from coturn: {error}");
                }
            }
            Ok(_) => {}
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::ConnectionRefused
                ) =>
            {
                transaction.handle_timeout(Instant::now());
            }
            Err(error) => panic!("receive: {error}"),
        }
    }
}

#[test]
fn binding_request_to_coturn() {
    let Some(version) = turnserver_version() else {
        println!("coturn test skipped: turnserver not on PATH");
        return;
    };
    let port = free_udp_port();
    let _coturn = start_coturn(port);
    let server = SocketAddr::from(([127, 0, 0, 1], port));
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let local = socket.local_addr().unwrap();

    // coturn may take a moment to listen; until then requests go unanswered
    // (or bounce as ICMP errors), and the transaction retransmits.
    let event = binding(&socket, server, u64::from(port));
    let Event::Success(response) = event else {
        panic!("coturn did not answer the Binding request: {event:?}");
    };
    println!("coturn test ran against {version}");
    let message = response.message().unwrap();
    assert_eq!(message.xor_mapped_address(), Some(local));
    assert_eq!(response.mapped_address(), Some(local));
    message.verify_fingerprint().unwrap();

    // A second transaction on the same socket gets the same answer.
    let Event::Success(again) = binding(&socket, server, u64::from(port) + 1) else {
        panic!("no answer to the second Binding request");
    };
    assert_eq!(again.mapped_address(), Some(local));
}
