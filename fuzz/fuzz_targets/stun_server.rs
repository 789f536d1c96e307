#![no_main]
//! The Binding server fed arbitrary datagrams from arbitrary sources, with
//! an arbitrary configuration: it never panics, answers each accepted
//! datagram with exactly one response to its source carrying the request's
//! transaction id, and its queues stay bounded.

use std::collections::VecDeque;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use std::time::Instant;

use sansrtc_stun::server::{Handled, MAX_QUEUED, Server, ServerConfig};
use sansrtc_stun::{Class, MAGIC_COOKIE, Message, Receive};

const LOCAL: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2)), 3478);

#[derive(Arbitrary, Debug)]
struct Datagram {
    v6: bool,
    address: u128,
    port: u16,
    /// Make the header a well-formed request header.
    patch: bool,
    /// Drain the answers afterwards (otherwise they pile up to the cap).
    drain: bool,
    bytes: Vec<u8>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    software: Option<String>,
    mapped_address: bool,
    fingerprint: bool,
    password: Option<String>,
    username: Option<String>,
    datagrams: Vec<Datagram>,
}

fn patch(bytes: &mut Vec<u8>) {
    if bytes.len() < 20 {
        bytes.resize(20, 0);
    }
    let body = (bytes.len() - 20).min(0xfffc);
    bytes.truncate(20 + body - body % 4);
    let length = u16::try_from(bytes.len() - 20).unwrap_or(0);
    // Request class bits cleared, method kept.
    bytes[0] &= 0x3e;
    bytes[1] &= 0xef;
    bytes[2..4].copy_from_slice(&length.to_be_bytes());
    bytes[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
}

fuzz_target!(|input: Input| {
    let mut config = ServerConfig::default();
    config.software = input.software;
    config.mapped_address = input.mapped_address;
    config.fingerprint = input.fingerprint;
    config.password = input.password;
    config.username = input.username;
    let mut server = Server::new(config);
    // Source and transaction id of each answer still queued.
    let mut queued: VecDeque<(SocketAddr, Vec<u8>)> = VecDeque::new();
    for mut datagram in input.datagrams {
        let ip = if datagram.v6 {
            IpAddr::V6(Ipv6Addr::from(datagram.address))
        } else {
            IpAddr::V4(Ipv4Addr::from(datagram.address as u32))
        };
        let source = SocketAddr::new(ip, datagram.port);
        if datagram.patch {
            patch(&mut datagram.bytes);
        }
        let receive = Receive::udp(source, LOCAL, &datagram.bytes);
        if server.handle_receive(Instant::now(), receive) == Ok(Handled::Answered) {
            queued.push_back((source, datagram.bytes[8..20].to_vec()));
        }
        assert!(queued.len() <= MAX_QUEUED);
        if datagram.drain {
            while let Some(transmit) = server.poll_transmit() {
                let (source, id) = queued
                    .pop_front()
                    .expect("one answer per accepted datagram");
                assert_eq!(transmit.destination, source);
                let answer = Message::parse(&transmit.contents).expect("answers parse");
                assert!(answer.class().is_response());
                assert_eq!(&answer.as_bytes()[8..20], &id[..]);
                if answer.class() == Class::SuccessResponse {
                    assert_eq!(answer.xor_mapped_address(), Some(source));
                }
                if answer.has_fingerprint() {
                    answer.verify_fingerprint().expect("our fingerprint checks");
                }
            }
            assert!(queued.is_empty());
            while server.poll_event().is_some() {}
        }
    }
});
