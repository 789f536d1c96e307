#![no_main]
//! The receive path of both roles: an endpoint (client or server, DTLS 1.2,
//! 1.3 or either) handshaking with an honest peer while the fuzzer injects
//! datagrams of its own (raw, or a real datagram of the handshake with
//! bytes changed), drops and repeats the honest ones and moves time. It
//! never panics, its queues stay within their caps, it never reports the
//! peer connected under a fingerprint it was not given, and after it
//! fails or closes it has no timer.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_dtls::{
    Certificate, Config, DtlsRole, Endpoint, Event, MAX_QUEUED_EVENTS, MAX_QUEUED_TRANSMITS, State,
    Versions,
};

/// Two certificates for every run: generating them is the slow part.
fn certificates() -> &'static [Certificate; 2] {
    static CERTIFICATES: OnceLock<[Certificate; 2]> = OnceLock::new();
    CERTIFICATES.get_or_init(|| {
        [
            Certificate::generate().expect("certificate"),
            Certificate::generate().expect("certificate"),
        ]
    })
}

#[derive(Arbitrary, Debug)]
enum Step {
    /// The peer's next datagram reaches the endpoint.
    Deliver,
    /// The peer's next datagram is lost.
    Drop,
    /// The peer's next datagram arrives twice.
    Repeat,
    /// The endpoint's datagrams reach the peer.
    Answer,
    /// A datagram of the fuzzer's.
    Inject(Vec<u8>),
    /// The peer's next datagram with one byte changed.
    Corrupt { index: u16, xor: u8 },
    /// Time passes (milliseconds), then both handle their timeouts.
    Wait(u16),
    /// The endpoint sends application data.
    Send(Vec<u8>),
    /// The endpoint closes.
    Close,
}

#[derive(Arbitrary, Debug)]
struct Input {
    server: bool,
    versions: u8,
    cookie_exchange: bool,
    steps: Vec<Step>,
}

fuzz_target!(|input: Input| {
    let [ours, theirs] = certificates();
    let versions = match input.versions % 3 {
        0 => Versions::Dtls12,
        1 => Versions::Dtls13,
        _ => Versions::Auto,
    };
    let config = |certificate: &Certificate, seed: u8| {
        Config::builder(certificate.clone())
            .versions(versions)
            .cookie_exchange(input.cookie_exchange)
            .seed([seed; 32])
            .build()
            .expect("config")
    };
    let mut now = Instant::now();
    let mut endpoint = Endpoint::new(config(ours, 1), now);
    let mut peer = Endpoint::new(config(theirs, 2), now);
    let (role, peer_role) = if input.server {
        (DtlsRole::Server, DtlsRole::Client)
    } else {
        (DtlsRole::Client, DtlsRole::Server)
    };
    endpoint
        .set_remote_fingerprints([theirs.fingerprint().clone()])
        .expect("fingerprints");
    peer.set_remote_fingerprints([ours.fingerprint().clone()])
        .expect("fingerprints");
    endpoint.start(now, role).expect("start");
    peer.start(now, peer_role).expect("start");

    let mut from_peer: Vec<Vec<u8>> = Vec::new();
    let mut to_peer: Vec<Vec<u8>> = Vec::new();
    while let Some(datagram) = endpoint.poll_transmit() {
        to_peer.push(datagram.to_vec());
    }
    let drain_peer = |peer: &mut Endpoint, from_peer: &mut Vec<Vec<u8>>| {
        while let Some(datagram) = peer.poll_transmit() {
            if from_peer.len() < 256 {
                from_peer.push(datagram.to_vec());
            }
        }
        while peer.poll_event().is_some() {}
    };
    drain_peer(&mut peer, &mut from_peer);

    for step in input.steps.into_iter().take(64) {
        match step {
            Step::Deliver | Step::Repeat | Step::Drop | Step::Corrupt { .. } => {
                if from_peer.is_empty() {
                    continue;
                }
                let mut datagram = from_peer.remove(0);
                match step {
                    Step::Drop => continue,
                    Step::Repeat => {
                        let _ = endpoint.handle_receive(now, &datagram);
                    }
                    Step::Corrupt { index, xor } => {
                        let len = datagram.len();
                        if let Some(byte) = datagram.get_mut(usize::from(index) % len.max(1)) {
                            *byte ^= xor;
                        }
                    }
                    _ => {}
                }
                let _ = endpoint.handle_receive(now, &datagram);
            }
            Step::Answer => {
                for datagram in to_peer.drain(..) {
                    let _ = peer.handle_receive(now, &datagram);
                }
                drain_peer(&mut peer, &mut from_peer);
            }
            Step::Inject(bytes) => {
                let _ = endpoint.handle_receive(now, &bytes);
            }
            Step::Wait(ms) => {
                now += Duration::from_millis(u64::from(ms));
                endpoint.handle_timeout(now);
                peer.handle_timeout(now);
                drain_peer(&mut peer, &mut from_peer);
            }
            Step::Send(data) => {
                let _ = endpoint.send_application_data(&data);
            }
            Step::Close => endpoint.close(),
        }
        // Invariants after every step.
        let mut transmits = 0;
        while let Some(datagram) = endpoint.poll_transmit() {
            transmits += 1;
            assert!(
                transmits <= MAX_QUEUED_TRANSMITS,
                "more datagrams queued than the cap"
            );
            if to_peer.len() < 256 {
                to_peer.push(datagram.to_vec());
            }
        }
        let mut events = 0;
        while let Some(event) = endpoint.poll_event() {
            events += 1;
            assert!(events <= MAX_QUEUED_EVENTS + 4, "too many events queued");
            if let Event::Connected(connected) = event {
                assert_eq!(&connected.remote_fingerprint, theirs.fingerprint());
                assert_eq!(connected.role, role);
            }
        }
        if matches!(endpoint.state(), State::Closed | State::Failed(_)) {
            assert_eq!(endpoint.poll_timeout(), None);
        }
    }
});
