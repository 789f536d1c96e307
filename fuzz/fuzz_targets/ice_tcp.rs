//! An ICE agent with TCP candidates (RFC 6544) driven over its TCP
//! connections: connections accepted, opened, refused and closed in any
//! order; arbitrary stream bytes cut by a `FrameReader` at arbitrary
//! points; well-formed framed checks and answers to the agent's own checks
//! (so that the fuzzer gets past MESSAGE-INTEGRITY), split across reads;
//! oversized frame headers; data, time, restarts and close. The agent never
//! panics, stays within its connection cap, frames every TCP packet it
//! sends as exactly one RFC 4571 frame for a connection it was given, and
//! no reader holds more than its cap and one read.

#![no_main]

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_ice::tcp::MAX_FRAME_LEN;
use sansrtc_ice::{
    Agent, Candidate, Config, ConnectRequest, ConnectionEvent, Event, FrameReader, LocalSocket,
    MAX_QUEUED_EVENTS, MAX_QUEUED_TRANSMITS, MAX_TCP_CONNECTIONS, NominationPolicy, Receive,
    TcpPolicy, Transmit, Transport,
};
use sansrtc_stun::framing::rfc4571;
use sansrtc_stun::{Attribute, Class, ErrorCode, Message, MessageBuilder, Method, TransactionId};

const REMOTE_UFRAG: &str = "fUzZ";
const REMOTE_PWD: &str = "fuzzpasswordfuzzpassword";
const LOCAL_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 10));
const LISTENER: SocketAddr = SocketAddr::new(LOCAL_IP, 5000);

#[derive(Debug, Arbitrary)]
enum Op {
    /// A peer connects to the listener (or, with `elsewhere`, to an
    /// address that is not one).
    Accept { port: u8, elsewhere: bool },
    /// The connection the agent asked for opens.
    Open { request: u8, port: u8 },
    /// The connection the agent asked for cannot open.
    Refuse { request: u8 },
    /// A connection closes from the peer's side.
    Close { connection: u8 },
    /// Bytes arrive on a connection, read in two pieces.
    Bytes {
        connection: u8,
        bytes: Vec<u8>,
        split: u16,
    },
    /// A framed, signed check arrives on a connection, split at `split`.
    Check {
        connection: u8,
        id: u8,
        priority: u32,
        use_candidate: bool,
        controlling: Option<u64>,
        split: u16,
    },
    /// A framed answer to one of the agent's TCP packets arrives, on its
    /// connection or another.
    Answer {
        index: u8,
        connection: Option<u8>,
        mapped: u8,
        error: Option<u16>,
    },
    /// A frame header announcing `len` bytes, and some of them.
    Header {
        connection: u8,
        len: u16,
        body: Vec<u8>,
    },
    Time {
        millis: u16,
    },
    RemoteCandidate {
        port: u8,
        kind: u8,
    },
    Candidate {
        line: String,
    },
    EndOfCandidates,
    SendData {
        bytes: Vec<u8>,
    },
    Restart,
    RemoteCredentials {
        other: bool,
    },
    CloseAgent,
}

#[derive(Debug, Arbitrary)]
struct Input {
    controlling: bool,
    lite: bool,
    by_priority: bool,
    first_valid: bool,
    seed: u64,
    ops: Vec<Op>,
}

/// A connection the harness keeps, with the reader that cuts its stream.
struct Connection {
    local: SocketAddr,
    remote: SocketAddr,
    reader: FrameReader,
}

fn remote(port: u8) -> SocketAddr {
    SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, 1 + port % 4)),
        40_000 + u16::from(port),
    )
}

fn message(class: Class, id: TransactionId, f: impl FnOnce(&mut MessageBuilder<'_>)) -> Vec<u8> {
    let mut buf = vec![0u8; 700];
    let Ok(mut b) = MessageBuilder::new(&mut buf, class, Method::BINDING, id) else {
        return Vec::new();
    };
    f(&mut b);
    let len = b.finish();
    buf.truncate(len);
    buf
}

fn framed(packet: &[u8]) -> Vec<u8> {
    let mut out = vec![0u8; rfc4571::HEADER_LEN + packet.len()];
    match rfc4571::write_to(packet, &mut out) {
        Ok(len) => out.truncate(len),
        Err(_) => out.clear(),
    }
    out
}

/// Feeds `bytes` to connection `index` in two reads split at `split`; every
/// frame goes to the agent. A framing error closes the connection.
fn feed(
    agent: &mut Agent,
    now: Instant,
    connections: &mut Vec<Connection>,
    index: usize,
    bytes: &[u8],
    split: usize,
) {
    let Some(connection) = connections.get_mut(index) else {
        return;
    };
    let (first, second) = bytes.split_at(split.min(bytes.len()));
    let mut broken = false;
    for piece in [first, second] {
        if connection.reader.push(piece).is_err() {
            broken = true;
            break;
        }
        assert!(
            connection.reader.buffered() <= MAX_FRAME_LEN + rfc4571::HEADER_LEN + piece.len(),
            "a reader holds more than its cap and one read"
        );
        loop {
            match connection.reader.next_frame() {
                Ok(Some(frame)) => {
                    let _ = agent.handle_receive(
                        now,
                        Receive {
                            source: connection.remote,
                            destination: connection.local,
                            transport: Transport::Tcp,
                            contents: frame,
                        },
                    );
                }
                Ok(None) => break,
                Err(_) => {
                    broken = true;
                    break;
                }
            }
        }
        if broken {
            break;
        }
    }
    if broken {
        let connection = connections.remove(index);
        let _ = agent.handle_connection(
            now,
            ConnectionEvent::Closed {
                local: connection.local,
                remote: connection.remote,
            },
        );
    }
}

fuzz_target!(|input: Input| {
    let start = Instant::now();
    let mut now = start;
    let mut config = Config::new(input.controlling);
    config.lite = input.lite;
    config.seed = Some(sansrtc_ice::seed_from_u64(input.seed));
    config.tcp_policy = if input.by_priority {
        TcpPolicy::ByPriority
    } else {
        TcpPolicy::default()
    };
    config.nomination = if input.first_valid {
        NominationPolicy::FirstValid
    } else {
        NominationPolicy::default_wait()
    };
    let mut agent = Agent::new(config, now);
    let _ = agent.set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD);
    let _ = agent.add_local_socket(LocalSocket::udp(LISTENER));
    let _ = agent.add_local_socket(LocalSocket::tcp_passive(LISTENER));
    let _ = agent.add_local_socket(LocalSocket::tcp_active(LOCAL_IP));
    let mut connections: Vec<Connection> = Vec::new();
    let mut requests: Vec<ConnectRequest> = Vec::new();
    // Every connection the agent was ever given, as (local, remote).
    let mut known: Vec<(SocketAddr, SocketAddr)> = Vec::new();
    let mut sent: Vec<Transmit> = Vec::new();
    for op in input.ops.into_iter().take(256) {
        match op {
            Op::Accept { port, elsewhere } => {
                let local = if elsewhere {
                    SocketAddr::new(LOCAL_IP, 5001)
                } else {
                    LISTENER
                };
                let remote = remote(port);
                let update = ConnectionEvent::Accepted { local, remote };
                if agent.handle_connection(now, update).is_ok() {
                    assert!(!elsewhere, "a connection to no listener was taken");
                    known.push((local, remote));
                    connections.push(Connection {
                        local,
                        remote,
                        reader: FrameReader::new(),
                    });
                }
            }
            Op::Open { request, port } => {
                if requests.is_empty() {
                    continue;
                }
                let request = requests.remove(usize::from(request) % requests.len());
                let local = SocketAddr::new(LOCAL_IP, 50_000 + u16::from(port));
                let update = ConnectionEvent::Opened { request, local };
                if agent.handle_connection(now, update).is_ok() {
                    known.push((local, request.remote));
                    connections.push(Connection {
                        local,
                        remote: request.remote,
                        reader: FrameReader::new(),
                    });
                }
            }
            Op::Refuse { request } => {
                if requests.is_empty() {
                    continue;
                }
                let request = requests.remove(usize::from(request) % requests.len());
                let _ = agent.handle_connection(now, ConnectionEvent::Failed { request });
            }
            Op::Close { connection } => {
                if connections.is_empty() {
                    continue;
                }
                let c = connections.remove(usize::from(connection) % connections.len());
                let _ = agent.handle_connection(
                    now,
                    ConnectionEvent::Closed {
                        local: c.local,
                        remote: c.remote,
                    },
                );
            }
            Op::Bytes {
                connection,
                bytes,
                split,
            } => {
                if connections.is_empty() {
                    continue;
                }
                let index = usize::from(connection) % connections.len();
                feed(
                    &mut agent,
                    now,
                    &mut connections,
                    index,
                    &bytes,
                    usize::from(split),
                );
            }
            Op::Check {
                connection,
                id,
                priority,
                use_candidate,
                controlling,
                split,
            } => {
                if connections.is_empty() {
                    continue;
                }
                let local = agent.local_credentials().clone();
                let username = format!("{}:{REMOTE_UFRAG}", local.ufrag());
                let check = message(Class::Request, TransactionId::new([id; 12]), |b| {
                    let _ = b.add(&Attribute::Username(&username));
                    let _ = b.add(&Attribute::Priority(priority));
                    match controlling {
                        Some(t) => {
                            let _ = b.add(&Attribute::IceControlling(t));
                        }
                        None => {
                            let _ = b.add(&Attribute::IceControlled(u64::from(id)));
                        }
                    }
                    if use_candidate {
                        let _ = b.add(&Attribute::UseCandidate);
                    }
                    let _ = b.add_message_integrity(local.pwd().as_bytes());
                    let _ = b.add_fingerprint();
                });
                let index = usize::from(connection) % connections.len();
                feed(
                    &mut agent,
                    now,
                    &mut connections,
                    index,
                    &framed(&check),
                    usize::from(split),
                );
            }
            Op::Answer {
                index,
                connection,
                mapped,
                error,
            } => {
                let tcp: Vec<&Transmit> = sent
                    .iter()
                    .filter(|t| t.transport == Transport::Tcp)
                    .collect();
                if tcp.is_empty() {
                    continue;
                }
                let transmit = tcp[usize::from(index) % tcp.len()];
                let Some((packet, _)) = rfc4571::split(&transmit.contents) else {
                    continue;
                };
                let Ok(request) = Message::parse(packet) else {
                    continue;
                };
                if request.class() != Class::Request {
                    continue;
                }
                let mapped = if mapped == 0 {
                    transmit.source
                } else {
                    remote(mapped)
                };
                let answer = match error {
                    Some(code) => message(Class::ErrorResponse, request.transaction_id(), |b| {
                        let code = if code & 1 == 0 {
                            ErrorCode::ROLE_CONFLICT
                        } else {
                            300 + code % 300
                        };
                        let _ = b.add(&Attribute::ErrorCode(ErrorCode::new(code, "x")));
                        let _ = b.add_message_integrity(REMOTE_PWD.as_bytes());
                        let _ = b.add_fingerprint();
                    }),
                    None => message(Class::SuccessResponse, request.transaction_id(), |b| {
                        let _ = b.add(&Attribute::XorMappedAddress(mapped));
                        let _ = b.add_message_integrity(REMOTE_PWD.as_bytes());
                        let _ = b.add_fingerprint();
                    }),
                };
                let index = match connection {
                    Some(c) if !connections.is_empty() => usize::from(c) % connections.len(),
                    _ => match connections.iter().position(|c| {
                        c.local == transmit.source && c.remote == transmit.destination
                    }) {
                        Some(index) => index,
                        None => continue,
                    },
                };
                feed(
                    &mut agent,
                    now,
                    &mut connections,
                    index,
                    &framed(&answer),
                    usize::MAX,
                );
            }
            Op::Header {
                connection,
                len,
                body,
            } => {
                if connections.is_empty() {
                    continue;
                }
                let mut bytes = len.to_be_bytes().to_vec();
                bytes.extend_from_slice(&body);
                let index = usize::from(connection) % connections.len();
                feed(&mut agent, now, &mut connections, index, &bytes, 1);
            }
            Op::Time { millis } => {
                now += Duration::from_millis(u64::from(millis) * 8);
                agent.handle_timeout(now);
            }
            Op::RemoteCandidate { port, kind } => {
                let (typ, port) = match kind % 3 {
                    0 => ("passive", 6000 + u16::from(port)),
                    1 => ("active", 9),
                    _ => ("so", 7000 + u16::from(port)),
                };
                let line = format!(
                    "candidate:{kind} 1 tcp {} {} {port} typ host tcptype {typ}",
                    1_518_280_447u32.wrapping_sub(u32::from(kind)),
                    remote(kind).ip()
                );
                if let Ok(candidate) = line.parse::<Candidate>() {
                    let _ = agent.add_remote_candidate(candidate);
                }
            }
            Op::Candidate { line } => {
                if let Ok(candidate) = line.parse::<Candidate>() {
                    let _ = agent.add_remote_candidate(candidate);
                }
            }
            Op::EndOfCandidates => agent.end_of_remote_candidates(),
            Op::SendData { bytes } => {
                let _ = agent.send_data(now, 1, &bytes);
            }
            Op::Restart => {
                let _ = agent.restart();
            }
            Op::RemoteCredentials { other } => {
                let (u, p) = if other {
                    ("oThEr", "otherpasswordotherpassword")
                } else {
                    (REMOTE_UFRAG, REMOTE_PWD)
                };
                let _ = agent.set_remote_credentials(u, p);
            }
            Op::CloseAgent => agent.close(),
        }
        let mut transmits = 0;
        while let Some(t) = agent.poll_transmit() {
            transmits += 1;
            if t.transport == Transport::Tcp {
                // One whole frame, for a connection the agent was given.
                let (_, rest) = rfc4571::split(&t.contents).expect("a whole frame");
                assert!(rest.is_empty(), "more than one frame in a transmit");
                assert!(
                    known.contains(&(t.source, t.destination)),
                    "a TCP packet for a connection the agent was never given"
                );
            }
            sent.push(t);
        }
        if sent.len() > 64 {
            sent.drain(..sent.len() - 64);
        }
        let mut events = 0;
        while let Some(event) = agent.poll_event() {
            events += 1;
            match event {
                Event::OpenConnection(request) => {
                    assert_eq!(request.local, SocketAddr::new(LOCAL_IP, 0));
                    requests.push(request);
                }
                Event::CloseConnection { local, remote } => {
                    connections.retain(|c| !(c.local == local && c.remote == remote));
                }
                _ => {}
            }
        }
        if requests.len() > 64 {
            requests.drain(..requests.len() - 64);
        }
        assert!(transmits <= MAX_QUEUED_TRANSMITS);
        assert!(events <= MAX_QUEUED_EVENTS);
        assert!(agent.connection_count() <= MAX_TCP_CONNECTIONS);
        if let Some(t) = agent.poll_timeout() {
            assert!(t >= start);
        }
    }
});
