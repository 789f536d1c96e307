//! The TURN client fed arbitrary server packets, crafted answers to its own
//! requests, commands and time steps: it must never panic, and its queues
//! must stay bounded.

#![no_main]

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_stun::attribute::ErrorCode;
use sansrtc_stun::credentials::LongTermKey;
use sansrtc_stun::turn::{Client, Config};
use sansrtc_stun::{Attribute, Class, Message, MessageBuilder};

#[derive(Debug, Arbitrary)]
enum Op {
    /// Raw bytes from the server (or from elsewhere).
    Receive { from_server: bool, bytes: Vec<u8> },
    /// A well-formed answer to the last request the client sent.
    Answer {
        success: bool,
        code: u16,
        lifetime: u32,
        sign: bool,
        nonce: u8,
    },
    /// Time passes.
    Advance { millis: u32 },
    Permission { last_octet: u8 },
    Channel { last_octet: u8, port: u16 },
    Send { last_octet: u8, port: u16, len: u16 },
    Deallocate,
    Credentials { user: u8 },
    Stream { bytes: Vec<u8> },
}

const SERVER: SocketAddr = SocketAddr::new(IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1)), 3478);

fn peer(last_octet: u8, port: u16) -> SocketAddr {
    SocketAddr::new(IpAddr::V4(Ipv4Addr::new(203, 0, 113, last_octet)), port)
}

fn answer(request: &[u8], success: bool, code: u16, lifetime: u32, sign: bool, nonce: u8) -> Option<Vec<u8>> {
    let request = Message::parse(request).ok()?;
    let class = if success { Class::SuccessResponse } else { Class::ErrorResponse };
    let mut buf = vec![0u8; 512];
    let mut builder = MessageBuilder::new(&mut buf, class, request.method(), request.transaction_id()).ok()?;
    let nonce = format!("nonce-{nonce}");
    if success {
        builder.add(&Attribute::XorRelayedAddress(peer(9, 50000))).ok()?;
        builder.add(&Attribute::XorMappedAddress(peer(10, 40000))).ok()?;
        builder.add(&Attribute::Lifetime(lifetime % 7200)).ok()?;
    } else {
        let code = 300 + code % 400;
        builder.add(&Attribute::ErrorCode(ErrorCode::new(code, "fuzz"))).ok()?;
        builder.add(&Attribute::Realm("realm")).ok()?;
        builder.add(&Attribute::Nonce(&nonce)).ok()?;
    }
    if sign {
        let key = LongTermKey::md5("user", "realm", "pass").ok()?;
        builder.add_message_integrity(key.as_bytes()).ok()?;
    }
    let len = builder.finish();
    buf.truncate(len);
    Some(buf)
}

fuzz_target!(|ops: Vec<Op>| {
    let start = Instant::now();
    let mut now = start;
    let mut client = Client::new(Config::new(SERVER, "user", "pass"), now);
    let mut last_request: Vec<u8> = Vec::new();
    for op in ops.into_iter().take(256) {
        match op {
            Op::Receive { from_server, bytes } => {
                let from = if from_server { SERVER } else { peer(1, 1) };
                let _ = client.handle_receive(now, from, &bytes);
            }
            Op::Answer { success, code, lifetime, sign, nonce } => {
                if let Some(bytes) = answer(&last_request, success, code, lifetime, sign, nonce) {
                    let _ = client.handle_receive(now, SERVER, &bytes);
                }
            }
            Op::Advance { millis } => {
                now += Duration::from_millis(u64::from(millis % 700_000));
                client.handle_timeout(now);
            }
            Op::Permission { last_octet } => {
                let _ = client.create_permission(now, peer(last_octet, 0).ip());
            }
            Op::Channel { last_octet, port } => {
                let _ = client.bind_channel(now, peer(last_octet, port));
            }
            Op::Send { last_octet, port, len } => {
                let data = vec![0xAB; usize::from(len % 2048)];
                let _ = client.send_to(now, peer(last_octet, port), &data);
            }
            Op::Deallocate => client.deallocate(now),
            Op::Credentials { user } => client.set_credentials(now, &format!("user{user}"), "pass"),
            Op::Stream { bytes } => {
                let _ = client.handle_stream(now, &bytes);
                while client.poll_stream_data().is_some() {}
            }
        }
        let mut transmits = 0;
        while let Some(transmit) = client.poll_transmit() {
            assert_eq!(transmit.destination, SERVER);
            if Message::parse(&transmit.contents).is_ok_and(|m| m.class() == Class::Request) {
                last_request = transmit.contents;
            }
            transmits += 1;
            assert!(transmits < 10_000, "transmit queue must stay bounded");
        }
        let mut events = 0;
        while client.poll_event().is_some() {
            events += 1;
            assert!(events < 10_000, "event queue must stay bounded");
        }
        if let Some(deadline) = client.poll_timeout() {
            // Deadlines in the past are fine (the next Advance handles them),
            // but handling them must make progress rather than loop.
            if deadline <= now {
                client.handle_timeout(now);
            }
        }
    }
});
