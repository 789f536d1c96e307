//! A Binding request to a real STUN server: coturn on 127.0.0.1, driven by
//! our client transaction over a std `UdpSocket`.
//!
//! The test installs nothing. It runs when `turnserver` (Debian `coturn`) is
//! on the PATH; otherwise it prints `skipped: turnserver not installed`
//! (which fails `.ci/run`, where coturn is installed).

// A real socket needs the real clock; the transaction still gets it passed in.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::indexing_slicing)]

mod support;

use core::net::SocketAddr;
use core::time::Duration;
use std::io::ErrorKind;
use std::net::UdpSocket;
use std::time::Instant;

use sansrtc_stun::rng::Rng;
use sansrtc_stun::transaction::{ClientTransaction, Event, TransactionConfig};
use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, Receive, Transmit, Transport};
use support::{coturn_or_skip, free_udp_port, start_coturn};

/// One Binding transaction from `socket` to `server`, retransmitting on our
/// schedule with a short RTO while coturn starts up.
fn binding(socket: &UdpSocket, server: SocketAddr, seed: u64) -> Event {
    let transaction_id = Rng::from_u64(seed).transaction_id();
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
    let local = socket.local_addr().unwrap();
    let request = Transmit::new(local, server, Transport::Udp, buf[..len].to_vec());
    let mut transaction = ClientTransaction::new(config, Instant::now(), request).unwrap();
    let mut datagram = [0u8; 1500];
    loop {
        while let Some(transmit) = transaction.poll_transmit() {
            socket
                .send_to(&transmit.contents, transmit.destination)
                .unwrap();
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
            Ok((n, from)) => {
                let packet = Receive::udp(from, local, &datagram[..n]);
                if let Err(error) = transaction.handle_receive(Instant::now(), packet) {
                    println!("ignored a datagram from coturn: {error}");
                }
            }
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
    let Some(version) = coturn_or_skip("coturn test") else {
        return;
    };
    let port = free_udp_port();
    let _coturn = start_coturn(port, &["--stun-only".into(), "--no-auth".into()]);
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
