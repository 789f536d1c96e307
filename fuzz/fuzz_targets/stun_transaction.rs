#![no_main]
//! A client transaction fed arbitrary time steps, timeouts and datagrams
//! (some patched to carry its transaction id): it never panics, after
//! `handle_timeout(now)` its next deadline lies after `now`, its deadlines
//! never move backwards, and jumping from deadline to deadline ends it
//! within a bounded number of steps.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_stun::transaction::{ClientTransaction, MAX_TRANSMISSIONS, TransactionConfig};
use sansrtc_stun::{MAGIC_COOKIE, Receive, TransactionId, Transmit, Transport};

const LOCAL: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 10)),
    5000,
);
const SERVER: SocketAddr = SocketAddr::new(
    std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 1)),
    3478,
);

const ID: TransactionId = TransactionId::new(*b"fuzz-transac");
/// A Binding request with that id.
const REQUEST: [u8; 20] = [
    0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xa4, 0x42, b'f', b'u', b'z', b'z', b'-', b't', b'r', b'a',
    b'n', b's', b'a', b'c',
];

#[derive(Arbitrary, Debug)]
enum Step {
    /// Let time pass (milliseconds), then call `handle_timeout`.
    Timeout(u16),
    /// Call `handle_timeout` at an earlier time than the latest.
    EarlyTimeout(u16),
    /// A datagram after some milliseconds; `patch` makes its header a
    /// well-formed one for this transaction.
    Receive {
        after: u16,
        patch: bool,
        bytes: Vec<u8>,
    },
}

#[derive(Arbitrary, Debug)]
struct Input {
    rto_ms: u16,
    max_transmissions: u8,
    last_wait_multiplier: u8,
    reliable_timeout_ms: u32,
    reliable: bool,
    key: Option<Vec<u8>>,
    steps: Vec<Step>,
}

fn patch(bytes: &mut Vec<u8>) {
    if bytes.len() < 20 {
        bytes.resize(20, 0);
    }
    let body = bytes.len() - 20;
    let body = body - body % 4;
    bytes.truncate(20 + body);
    let length = u16::try_from(body).unwrap_or(0);
    if usize::from(length) != body {
        bytes.truncate(20);
    }
    let length = u16::try_from(bytes.len() - 20).unwrap_or(0);
    // A Binding message of the class the fuzzer chose.
    bytes[0] &= 0x01;
    bytes[1] = (bytes[1] & 0x10) | 0x01;
    bytes[2..4].copy_from_slice(&length.to_be_bytes());
    bytes[4..8].copy_from_slice(&MAGIC_COOKIE.to_be_bytes());
    bytes[8..20].copy_from_slice(ID.as_bytes());
}

fuzz_target!(|input: Input| {
    let start = Instant::now();
    let mut config = TransactionConfig::with_rto(Duration::from_millis(u64::from(input.rto_ms)));
    config.max_transmissions = u32::from(input.max_transmissions);
    config.last_wait_multiplier = u32::from(input.last_wait_multiplier);
    config.reliable_timeout = Duration::from_millis(u64::from(input.reliable_timeout_ms));
    let transport = if input.reliable {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let request = Transmit::new(LOCAL, SERVER, transport, REQUEST.to_vec());
    let mut transaction = ClientTransaction::new(config, start, request).expect("a request");
    if let Some(key) = &input.key {
        transaction.set_integrity_key(key);
    }
    assert_eq!(
        transaction.poll_transmit().map(|t| t.contents),
        Some(REQUEST[..].to_vec().into())
    );
    let mut now = start;
    let mut last_deadline = transaction.poll_timeout();
    for step in input.steps {
        match step {
            Step::Timeout(ms) => {
                now += Duration::from_millis(u64::from(ms));
                transaction.handle_timeout(now);
                if let Some(deadline) = transaction.poll_timeout() {
                    assert!(deadline > now, "deadline {deadline:?} not after {now:?}");
                }
            }
            Step::EarlyTimeout(ms) => {
                let before = transaction.poll_timeout();
                let at = now
                    .checked_sub(Duration::from_millis(u64::from(ms)))
                    .unwrap_or(now);
                if before.is_some_and(|deadline| at < deadline) {
                    transaction.handle_timeout(at);
                    assert_eq!(transaction.poll_timeout(), before);
                    assert!(transaction.poll_transmit().is_none());
                }
            }
            Step::Receive {
                after,
                patch: fix,
                mut bytes,
            } => {
                now += Duration::from_millis(u64::from(after));
                if fix {
                    patch(&mut bytes);
                }
                let _ = transaction.handle_receive(now, Receive::udp(SERVER, LOCAL, &bytes));
            }
        }
        while let Some(transmit) = transaction.poll_transmit() {
            assert_eq!(&transmit.contents[..], &REQUEST[..]);
        }
        let _ = transaction.poll_event();
        let deadline = transaction.poll_timeout();
        if let (Some(previous), Some(next)) = (last_deadline, deadline) {
            assert!(next >= previous, "deadline moved backwards");
        }
        last_deadline = deadline;
        assert!(transaction.transmissions() <= MAX_TRANSMISSIONS.max(1));
    }
    // Jumping from deadline to deadline ends the transaction.
    for _ in 0..=MAX_TRANSMISSIONS + 1 {
        let Some(deadline) = transaction.poll_timeout() else {
            break;
        };
        transaction.handle_timeout(deadline);
        while transaction.poll_transmit().is_some() {}
    }
    assert!(transaction.is_finished());
});
