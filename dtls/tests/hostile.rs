//! What a hostile or broken network does to an endpoint: garbage,
//! truncated records, floods of ClientHellos, a renegotiation attempt,
//! more data than the queues hold. Never a panic, never unbounded memory,
//! and a connection that goes on where the protocol allows.

// The virtual clock starts at the real time; nothing waits on it.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::indexing_slicing)]

mod support;

use sansrtc_dtls::{
    Certificate, DtlsRole, Endpoint, Error, Event, Handled, MAX_EARLY_DATAGRAMS, MAX_QUEUED_EVENTS,
    MAX_QUEUED_TRANSMITS, RecvError, State,
};
use support::{Link, Pair, Rng, config};

fn certificates() -> [Certificate; 2] {
    [
        Certificate::generate().unwrap(),
        Certificate::generate().unwrap(),
    ]
}

fn connected_pair(certificates: &[Certificate; 2]) -> Pair {
    let builders = [0, 1].map(|i| config(&certificates[i]));
    let (mut pair, _) = Pair::new(
        builders,
        [DtlsRole::Client, DtlsRole::Server],
        Link::lossless(),
    );
    assert!(pair.run_until(1_000, Pair::both_connected));
    pair
}

/// A real ClientHello datagram, from a client that is then thrown away.
fn client_hello(certificate: &Certificate) -> Vec<u8> {
    let mut client = Endpoint::new(
        config(certificate).build().unwrap(),
        std::time::Instant::now(),
    );
    client
        .start(std::time::Instant::now(), DtlsRole::Client)
        .unwrap();
    client.poll_transmit().unwrap().to_vec()
}

#[test]
fn garbage_is_refused_or_not_ours_and_the_handshake_goes_on() {
    let certificates = certificates();
    let builders = [0, 1].map(|i| config(&certificates[i]));
    let (mut pair, _) = Pair::new(
        builders,
        [DtlsRole::Client, DtlsRole::Server],
        Link::lossless(),
    );
    let hello = client_hello(&certificates[0]);
    let now = pair.now;
    for endpoint in &mut pair.endpoints {
        assert_eq!(
            endpoint.handle_receive(now, &[]),
            Err(RecvError::Malformed("empty datagram"))
        );
        // STUN, RTP: someone else's.
        assert_eq!(
            endpoint.handle_receive(now, &[0, 1, 0, 0]),
            Ok(Handled::NotDtls)
        );
        assert_eq!(
            endpoint.handle_receive(now, &[0x80, 0x60, 0, 1]),
            Ok(Handled::NotDtls)
        );
        for cut in [1, 5, 12, 13, 40, hello.len() - 1] {
            assert!(
                matches!(
                    endpoint.handle_receive(now, &hello[..cut]),
                    Err(RecvError::Malformed(_))
                ),
                "{cut}"
            );
        }
        // Framed correctly but nonsense inside: a message type no peer
        // sends in the clear.
        let mut nonsense = hello.clone();
        for byte in &mut nonsense[13..] {
            *byte = 0xee;
        }
        assert!(matches!(
            endpoint.handle_receive(now, &nonsense),
            Err(RecvError::Malformed(_))
        ));
        let mut wrong_version = hello.clone();
        wrong_version[1] = 0x03;
        let _ = endpoint.handle_receive(now, &wrong_version);
        assert_eq!(endpoint.state(), State::Handshaking);
    }
    // A ClientHello to the client: refused; to the server, with nonsense
    // after its header: the library drops it.
    assert!(matches!(
        pair.endpoints[0].handle_receive(now, &hello),
        Err(RecvError::Malformed(_))
    ));
    let mut broken_hello = hello.clone();
    for byte in &mut broken_hello[13 + 12..] {
        *byte = 0xee;
    }
    assert_eq!(
        pair.endpoints[1].handle_receive(now, &broken_hello),
        Ok(Handled::Dtls)
    );
    // Random datagrams in the DTLS range.
    let mut rng = Rng::new(99);
    for _ in 0..2_000 {
        let len = rng.below(300) as usize;
        let mut datagram: Vec<u8> = (0..len).map(|_| rng.next_u64() as u8).collect();
        if let Some(first) = datagram.first_mut() {
            *first = 20 + (*first % 44);
        }
        for endpoint in &mut pair.endpoints {
            let _ = endpoint.handle_receive(now, &datagram);
        }
    }
    pair.flush();
    assert!(pair.run_until(1_000, Pair::both_connected));
}

/// Floods endpoint 1 (the server) with `count` ClientHellos of other
/// clients, every other one with another message sequence number; returns
/// how many the library's receive queue refused.
fn flood(pair: &mut Pair, certificates: &[Certificate; 2], count: u16, renumber: bool) -> u64 {
    let now = pair.now;
    let mut refused = 0;
    for n in 0..count {
        let mut hello = client_hello(&certificates[n as usize % 2]);
        if renumber && n % 2 == 1 {
            hello[13 + 4..13 + 6].copy_from_slice(&n.to_be_bytes());
        }
        match pair.endpoints[1].handle_receive(now, &hello) {
            Ok(Handled::Dtls) => {}
            Err(RecvError::QueueFull) => refused += 1,
            Err(RecvError::Malformed(_)) => {}
            other => panic!("{other:?}"),
        }
        // Answers to the flood go nowhere.
        while pair.endpoints[1].poll_transmit().is_some() {}
    }
    refused
}

#[test]
fn a_flood_of_client_hellos_during_the_handshake_is_dropped() {
    let certificates = certificates();
    for renumber in [false, true] {
        let builders = [0, 1].map(|i| config(&certificates[i]));
        let (mut pair, _) = Pair::new(
            builders,
            [DtlsRole::Client, DtlsRole::Server],
            Link::lossless(),
        );
        // The real ClientHello first; then the flood.
        pair.now += core::time::Duration::from_millis(10);
        for (to, datagram) in pair.link.arrivals(pair.now) {
            pair.endpoints[to]
                .handle_receive(pair.now, &datagram)
                .unwrap();
        }
        let refused = flood(&mut pair, &certificates, 300, renumber);
        assert_eq!(pair.endpoints[1].stats().receive_queue_full, refused);
        pair.flush();
        assert!(
            pair.run_until(1_000, Pair::both_connected),
            "renumber {renumber}"
        );
        assert_eq!(
            pair.connected(1).unwrap().remote_fingerprint,
            *certificates[0].fingerprint()
        );
    }
}

#[test]
fn a_flood_of_spoofed_client_hellos_first_is_bounded_and_gives_nobody_keys() {
    let certificates = certificates();
    for (cookie_exchange, renumber) in [(false, false), (false, true), (true, false), (true, true)]
    {
        let builders = [0, 1].map(|i| config(&certificates[i]).cookie_exchange(cookie_exchange));
        let (mut pair, _) = Pair::new(
            builders,
            [DtlsRole::Client, DtlsRole::Server],
            Link::lossless(),
        );
        // The flood is there before the real ClientHello. The server takes
        // up the first ClientHello, a spoofed one; even with a cookie
        // exchange the library's server then holds on to it. The real
        // client fails, and nobody gets keys.
        let refused = flood(&mut pair, &certificates, 300, renumber);
        assert_eq!(pair.endpoints[1].stats().receive_queue_full, refused);
        pair.flush();
        pair.run_until(1_000, |p| p.failure(0).is_some() && p.failure(1).is_some());
        let context = format!("cookies {cookie_exchange}, renumbered {renumber}");
        assert_eq!(pair.connected(0), None, "{context}");
        assert_eq!(pair.connected(1), None, "{context}");
        assert!(
            pair.failure(0).is_some() && pair.failure(1).is_some(),
            "{context}"
        );
    }
}

#[test]
fn a_new_client_hello_after_the_handshake_changes_nothing() {
    let certificates = certificates();
    let mut pair = connected_pair(&certificates);
    let now = pair.now;
    // A renegotiation attempt in the clear (a fresh ClientHello, epoch 0)
    // to the server, and a ClientHello to the client.
    for (certificate, to) in certificates.iter().zip([1, 0]) {
        let hello = client_hello(certificate);
        let _ = pair.endpoints[to].handle_receive(now, &hello);
        assert_eq!(pair.endpoints[to].state(), State::Connected);
    }
    pair.flush();
    pair.endpoints[0]
        .send_application_data(b"still here")
        .unwrap();
    pair.endpoints[1].send_application_data(b"me too").unwrap();
    pair.flush();
    pair.run_until(100, |p| p.link.next_arrival().is_none());
    assert_eq!(pair.data(1), [b"still here".to_vec()]);
    assert_eq!(pair.data(0), [b"me too".to_vec()]);
}

#[test]
fn datagrams_before_start_are_capped() {
    let certificates = certificates();
    let now = std::time::Instant::now();
    let mut endpoint = Endpoint::new(config(&certificates[0]).build().unwrap(), now);
    let hello = client_hello(&certificates[1]);
    for _ in 0..MAX_EARLY_DATAGRAMS {
        assert_eq!(endpoint.handle_receive(now, &hello), Ok(Handled::Buffered));
    }
    assert_eq!(
        endpoint.handle_receive(now, &hello),
        Err(RecvError::QueueFull)
    );
    assert_eq!(endpoint.stats().early_datagrams_dropped, 1);
    // Large datagrams hit the byte cap first.
    let mut endpoint = Endpoint::new(config(&certificates[0]).build().unwrap(), now);
    let mut big = vec![23, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0];
    big.extend_from_slice(&30_000u16.to_be_bytes());
    big.resize(13 + 30_000, 0);
    assert_eq!(endpoint.handle_receive(now, &big), Ok(Handled::Buffered));
    assert_eq!(endpoint.handle_receive(now, &big), Ok(Handled::Buffered));
    assert_eq!(
        endpoint.handle_receive(now, &big),
        Err(RecvError::QueueFull)
    );
    // Starting feeds what was kept; the handshake goes on.
    endpoint.start(now, DtlsRole::Server).unwrap();
    assert_eq!(endpoint.state(), State::Handshaking);
}

#[test]
fn unread_events_and_unsent_datagrams_are_capped_and_counted() {
    let certificates = certificates();
    let mut pair = connected_pair(&certificates);
    let now = pair.now;
    // Endpoint 0 sends more than endpoint 1 keeps while nobody reads its
    // events.
    let mut datagrams = Vec::new();
    let mut refused = 0;
    for n in 0..(MAX_QUEUED_EVENTS + 100) {
        match pair.endpoints[0].send_application_data(&n.to_be_bytes()) {
            Ok(()) => {}
            Err(Error::TransmitQueueFull) => {
                refused += 1;
                while let Some(datagram) = pair.endpoints[0].poll_transmit() {
                    datagrams.push(datagram.to_vec());
                }
                pair.endpoints[0]
                    .send_application_data(&n.to_be_bytes())
                    .unwrap();
            }
            Err(other) => panic!("{other:?}"),
        }
    }
    assert!(refused > 0, "the transmit queue never filled");
    while let Some(datagram) = pair.endpoints[0].poll_transmit() {
        datagrams.push(datagram.to_vec());
    }
    assert!(refused <= (MAX_QUEUED_EVENTS + 100) / MAX_QUEUED_TRANSMITS + 1);
    for datagram in &datagrams {
        pair.endpoints[1].handle_receive(now, datagram).unwrap();
    }
    let mut received = 0;
    while let Some(event) = pair.endpoints[1].poll_event() {
        if matches!(event, Event::ApplicationData(_)) {
            received += 1;
        }
    }
    assert_eq!(received, MAX_QUEUED_EVENTS);
    assert_eq!(pair.endpoints[1].stats().application_data_dropped, 100);
}
