//! Client transactions on a virtual clock: the RFC 8489 §6.2.1 schedule,
//! reliable transports, response matching, integrity and 300 Try Alternate.

// The virtual clock needs an origin; everything after it is computed.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::indexing_slicing)]

use core::time::Duration;
use std::time::Instant;

use core::net::SocketAddr;

use sansrtc_stun::transaction::{ClientTransaction, Event, Handled, RecvError, TransactionConfig};
use sansrtc_stun::{
    Attribute, Class, ErrorCode, IntegrityError, MessageBuilder, Method, Receive, TransactionId,
    Transmit, Transport,
};

const ID: TransactionId = TransactionId::new(*b"schedule-id1");
const KEY: &[u8] = b"VOkJxbRl1RmTxUk/WvJxBt";

fn message(
    class: Class,
    id: TransactionId,
    attributes: &[Attribute<'_>],
    key: Option<&[u8]>,
    fingerprint: bool,
) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let mut builder = MessageBuilder::new(&mut buf, class, Method::BINDING, id).unwrap();
    for attribute in attributes {
        builder.add(attribute).unwrap();
    }
    if let Some(key) = key {
        builder.add_message_integrity(key).unwrap();
    }
    if fingerprint {
        builder.add_fingerprint().unwrap();
    }
    let len = builder.finish();
    buf[..len].to_vec()
}

fn request() -> Vec<u8> {
    message(Class::Request, ID, &[], None, true)
}

fn local() -> SocketAddr {
    "192.0.2.10:50000".parse().unwrap()
}

fn server() -> SocketAddr {
    "192.0.2.1:3478".parse().unwrap()
}

/// A transaction for [`request`] from `local()` to `server()`, over TCP when
/// `reliable`.
fn new_transaction(config: TransactionConfig, start: Instant, reliable: bool) -> ClientTransaction {
    let transport = if reliable {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let request = Transmit::new(local(), server(), transport, request());
    ClientTransaction::new(config, start, request).unwrap()
}

/// `bytes` from `server()`, arriving on `local()`.
fn from_server(bytes: &[u8]) -> Receive<'_> {
    Receive::udp(server(), local(), bytes)
}

fn success(key: Option<&[u8]>) -> Vec<u8> {
    let mapped = Attribute::XorMappedAddress("198.51.100.7:40000".parse().unwrap());
    message(Class::SuccessResponse, ID, &[mapped], key, true)
}

/// Runs a transaction nobody answers, jumping the clock to each deadline.
/// Returns the offsets of the transmissions and of the timeout.
fn run_unanswered(config: TransactionConfig, reliable: bool) -> (Vec<Duration>, Duration) {
    let start = Instant::now();
    let mut transaction = new_transaction(config, start, reliable);
    let mut now = start;
    let mut sent = Vec::new();
    for _ in 0..100 {
        while let Some(transmit) = transaction.poll_transmit() {
            assert_eq!(transmit.contents, &request()[..]);
            assert_eq!((transmit.source, transmit.destination), (local(), server()));
            sent.push(now - start);
        }
        if let Some(event) = transaction.poll_event() {
            assert_eq!(event, Event::TimedOut);
            assert!(transaction.is_timed_out());
            assert_eq!(transaction.poll_timeout(), None);
            return (sent, now - start);
        }
        let deadline = transaction
            .poll_timeout()
            .expect("a deadline while waiting");
        assert!(deadline > now, "poll_timeout must move forward");
        now = deadline;
        transaction.handle_timeout(now);
    }
    panic!("the transaction did not end");
}

fn ms(values: &[u64]) -> Vec<Duration> {
    values.iter().map(|&v| Duration::from_millis(v)).collect()
}

#[test]
fn udp_schedule_is_0_05_15_35_75_155_315_then_timeout_at_395() {
    let (sent, timeout) = run_unanswered(TransactionConfig::default(), false);
    assert_eq!(sent, ms(&[0, 500, 1_500, 3_500, 7_500, 15_500, 31_500]));
    assert_eq!(timeout, Duration::from_millis(39_500));
}

#[test]
fn configured_rto_rc_and_rm() {
    let mut config = TransactionConfig::with_rto(Duration::from_millis(100));
    config.max_transmissions = 3;
    config.last_wait_multiplier = 4;
    let (sent, timeout) = run_unanswered(config, false);
    assert_eq!(sent, ms(&[0, 100, 300]));
    assert_eq!(timeout, Duration::from_millis(700));
}

#[test]
fn reliable_transport_sends_once_and_waits_ti() {
    let (sent, timeout) = run_unanswered(TransactionConfig::default(), true);
    assert_eq!(sent, ms(&[0]));
    assert_eq!(timeout, Duration::from_millis(39_500));

    let mut config = TransactionConfig::default();
    config.reliable_timeout = Duration::from_secs(5);
    let (sent, timeout) = run_unanswered(config, true);
    assert_eq!(sent, ms(&[0]));
    assert_eq!(timeout, Duration::from_secs(5));
}

#[test]
fn early_and_repeated_timeouts_do_nothing() {
    let start = Instant::now();
    let mut transaction = new_transaction(TransactionConfig::default(), start, false);
    assert!(transaction.poll_transmit().is_some());
    let first = start + Duration::from_millis(500);
    assert_eq!(transaction.poll_timeout(), Some(first));
    for early in [start, start + Duration::from_millis(499)] {
        transaction.handle_timeout(early);
        assert_eq!(transaction.poll_transmit(), None);
        assert_eq!(transaction.poll_timeout(), Some(first));
    }
    transaction.handle_timeout(first);
    transaction.handle_timeout(first);
    assert!(transaction.poll_transmit().is_some());
    assert_eq!(transaction.poll_transmit(), None);
    assert_eq!(transaction.transmissions(), 2);
    assert_eq!(
        transaction.poll_timeout(),
        Some(start + Duration::from_millis(1_500))
    );
    assert_eq!(transaction.poll_event(), None);
}

#[test]
fn success_ends_the_transaction_and_later_copies_are_refused() {
    let start = Instant::now();
    let mut transaction = new_transaction(TransactionConfig::default(), start, false);
    assert!(transaction.poll_transmit().is_some());
    transaction.handle_timeout(start + Duration::from_millis(500));
    assert!(transaction.poll_transmit().is_some());
    let at = start + Duration::from_millis(700);
    transaction
        .handle_receive(at, from_server(&success(None)))
        .unwrap();
    let Some(Event::Success(response)) = transaction.poll_event() else {
        panic!("expected a success");
    };
    assert_eq!(
        response.mapped_address(),
        Some("198.51.100.7:40000".parse().unwrap())
    );
    // Sent twice: the round-trip time is ambiguous (Karn).
    assert_eq!(response.rtt(), None);
    assert_eq!(response.message().unwrap().transaction_id(), ID);
    assert!(transaction.is_finished());
    assert_eq!(transaction.poll_timeout(), None);

    assert_eq!(
        transaction.handle_receive(at, from_server(&success(None))),
        Err(RecvError::Finished)
    );
    transaction.handle_timeout(start + Duration::from_secs(100));
    assert_eq!(transaction.poll_transmit(), None);
    assert_eq!(transaction.poll_event(), None);
    assert!(!transaction.is_timed_out());
}

#[test]
fn responses_to_other_transactions_are_refused() {
    let start = Instant::now();
    let mut transaction = new_transaction(TransactionConfig::default(), start, false);
    let other = message(
        Class::SuccessResponse,
        TransactionId::new(*b"another-id00"),
        &[],
        None,
        false,
    );
    assert_eq!(
        transaction.handle_receive(start, from_server(&other)),
        Ok(Handled::NotMine)
    );
    assert_eq!(
        transaction.handle_receive(start, from_server(&request())),
        Ok(Handled::NotMine)
    );
    let mut corrupted = success(None);
    let last = corrupted.len() - 1;
    corrupted[last] ^= 1;
    assert!(matches!(
        transaction.handle_receive(start, from_server(&corrupted)),
        Err(RecvError::BadFingerprint(IntegrityError::Mismatch(_)))
    ));
    assert!(!transaction.is_finished());
    assert_eq!(
        transaction.poll_timeout(),
        Some(start + Duration::from_millis(500))
    );
}

#[test]
fn integrity_failures_are_dropped_and_the_transaction_keeps_waiting() {
    let start = Instant::now();
    let mut transaction = new_transaction(TransactionConfig::default(), start, false);
    transaction.set_integrity_key(KEY);
    assert!(transaction.poll_transmit().is_some());

    // No MESSAGE-INTEGRITY, then a wrong one.
    assert!(matches!(
        transaction.handle_receive(start, from_server(&success(None))),
        Err(RecvError::BadIntegrity(IntegrityError::Missing(_)))
    ));
    assert!(matches!(
        transaction.handle_receive(start, from_server(&success(Some(b"wrong password")))),
        Err(RecvError::BadIntegrity(IntegrityError::Mismatch(_)))
    ));
    assert_eq!(transaction.poll_event(), None);

    // Retransmissions go on.
    transaction.handle_timeout(start + Duration::from_millis(500));
    assert!(transaction.poll_transmit().is_some());

    // The right key completes it.
    transaction
        .handle_receive(
            start + Duration::from_millis(600),
            from_server(&success(Some(KEY))),
        )
        .unwrap();
    assert!(matches!(transaction.poll_event(), Some(Event::Success(_))));
}

#[test]
fn unauthenticated_error_needs_no_integrity() {
    let start = Instant::now();
    let mut transaction = new_transaction(TransactionConfig::default(), start, false);
    transaction.set_integrity_key(KEY);
    // 487 without integrity is refused, 401 without integrity is accepted.
    let role_conflict = message(
        Class::ErrorResponse,
        ID,
        &[Attribute::ErrorCode(ErrorCode::new(487, "Role Conflict"))],
        None,
        false,
    );
    assert!(matches!(
        transaction.handle_receive(start, from_server(&role_conflict)),
        Err(RecvError::BadIntegrity(_))
    ));
    let unauthenticated = message(
        Class::ErrorResponse,
        ID,
        &[Attribute::ErrorCode(ErrorCode::new(401, "Unauthenticated"))],
        None,
        false,
    );
    transaction
        .handle_receive(start, from_server(&unauthenticated))
        .unwrap();
    match transaction.poll_event() {
        Some(Event::ErrorResponse { code, reason, .. }) => {
            assert_eq!((code, reason.as_str()), (401, "Unauthenticated"));
        }
        other => panic!("expected a 401, got {other:?}"),
    }
}

#[test]
fn integrity_failure_over_a_reliable_transport_ends_the_transaction() {
    let start = Instant::now();
    let mut transaction = new_transaction(TransactionConfig::default(), start, true);
    transaction.set_integrity_key(KEY);
    assert!(transaction.poll_transmit().is_some());
    assert!(matches!(
        transaction.handle_receive(start, from_server(&success(Some(b"wrong")))),
        Err(RecvError::BadIntegrity(_))
    ));
    assert_eq!(transaction.poll_event(), Some(Event::IntegrityViolated));
    assert!(transaction.is_finished());
    assert_eq!(transaction.poll_timeout(), None);
}

#[test]
fn try_alternate_is_its_own_outcome() {
    let start = Instant::now();
    let mut transaction = new_transaction(TransactionConfig::default(), start, false);
    let alternate = message(
        Class::ErrorResponse,
        ID,
        &[
            Attribute::ErrorCode(ErrorCode::new(300, "Try Alternate")),
            Attribute::AlternateServer("203.0.113.5:3478".parse().unwrap()),
            Attribute::AlternateDomain("stun.example.org"),
        ],
        None,
        true,
    );
    transaction
        .handle_receive(start, from_server(&alternate))
        .unwrap();
    match transaction.poll_event() {
        Some(Event::TryAlternate {
            server,
            domain,
            response,
        }) => {
            assert_eq!(server, "203.0.113.5:3478".parse().unwrap());
            assert_eq!(domain.as_deref(), Some("stun.example.org"));
            assert_eq!(response.as_bytes(), &alternate[..]);
            assert_eq!(response.rtt(), Some(Duration::ZERO));
        }
        other => panic!("expected Try Alternate, got {other:?}"),
    }

    // A 300 without ALTERNATE-SERVER is an ordinary error.
    let mut transaction = new_transaction(TransactionConfig::default(), start, false);
    let bare = message(
        Class::ErrorResponse,
        ID,
        &[Attribute::ErrorCode(ErrorCode::new(300, "Try Alternate"))],
        None,
        false,
    );
    transaction
        .handle_receive(start, from_server(&bare))
        .unwrap();
    assert!(matches!(
        transaction.poll_event(),
        Some(Event::ErrorResponse { code: 300, .. })
    ));
}

#[test]
fn same_inputs_same_outputs() {
    let run = || {
        let start = Instant::now();
        let mut transaction = new_transaction(TransactionConfig::default(), start, false);
        let mut log = Vec::new();
        for step in [0u64, 300, 500, 501, 2_000, 1_400, 40_000] {
            let now = start + Duration::from_millis(step);
            transaction.handle_timeout(now);
            while let Some(bytes) = transaction.poll_transmit() {
                log.push((step, bytes.contents.len()));
            }
            log.push((step, usize::from(transaction.poll_event().is_some())));
            log.push((
                step,
                transaction
                    .poll_timeout()
                    .map_or(0, |t| usize::try_from((t - start).as_millis()).unwrap()),
            ));
        }
        log
    };
    let first = run();
    assert_eq!(first, run());
    // The 40 s step timed the transaction out.
    assert_eq!(&first[first.len() - 2..], &[(40_000, 1), (40_000, 0)]);
}
