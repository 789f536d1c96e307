//! An ICE agent fed arbitrary packets, addresses, remote candidates, time
//! steps and commands — plus authenticated checks and answers to its own
//! checks, so that the fuzzer reaches past MESSAGE-INTEGRITY — never panics
//! and stays within its caps. A TURN server is configured: the fuzzer sends
//! arbitrary packets from its address, signed answers to the agent's TURN
//! requests (401 challenges, allocations, errors), Data indications and
//! ChannelData, application data, and restarts with new TURN credentials.

#![no_main]

use core::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_ice::{
    Agent, Candidate, Config, LocalSocket, MAX_LOCAL_PEER_REFLEXIVE, MAX_LOCAL_SOCKETS,
    MAX_PEER_REFLEXIVE, MAX_QUEUED_EVENTS, MAX_QUEUED_TRANSMITS, MAX_REMOTE_CANDIDATES,
    NominationPolicy, Receive, Transmit, Transport, TurnServer,
};
use sansrtc_stun::credentials::LongTermKey;
use sansrtc_stun::framing::{ChannelData, Transport as Framing};
use sansrtc_stun::{Attribute, Class, ErrorCode, Message, MessageBuilder, Method, TransactionId};

const REMOTE_UFRAG: &str = "fUzZ";
const REMOTE_PWD: &str = "fuzzpasswordfuzzpassword";
const TURN: &str = "192.0.2.202:3478";
const TURN_REALM: &str = "fuzz.test";

#[derive(Debug, Arbitrary)]
enum Op {
    Packet {
        source: u8,
        socket: u8,
        bytes: Vec<u8>,
    },
    Check {
        source: u8,
        socket: u8,
        priority: u32,
        role: Option<(bool, u64)>,
        use_candidate: bool,
        id: u8,
    },
    Answer {
        index: u8,
        mapped: u8,
        error: Option<u16>,
        symmetric: bool,
    },
    Time {
        millis: u16,
    },
    Candidate {
        line: String,
    },
    HostCandidate {
        component: u8,
        address: u8,
        priority: u32,
        kind: u8,
    },
    EndOfCandidates,
    RemoteCredentials {
        other: bool,
    },
    RemoteLite,
    Restart,
    Resolve {
        name: u8,
        ip: Option<u8>,
    },
    Socket {
        address: u8,
        component: u8,
    },
    Relayed {
        address: u8,
        component: u8,
    },
    NamedSocket {
        address: u8,
        component: u8,
        name: String,
    },
    /// Arbitrary bytes from the TURN server.
    TurnPacket {
        socket: u8,
        tcp: bool,
        bytes: Vec<u8>,
    },
    /// A well-formed answer to one of the agent's TURN requests.
    TurnAnswer {
        index: u8,
        kind: u8,
        relayed: u8,
        mapped: u8,
        lifetime: u16,
        code: u16,
    },
    /// Data from a peer through the TURN server.
    TurnData {
        socket: u8,
        peer: u8,
        channel: Option<u16>,
        bytes: Vec<u8>,
    },
    SendData {
        component: u8,
        bytes: Vec<u8>,
    },
    RestartTurn {
        password: bool,
    },
    Close,
}

#[derive(Debug, Arbitrary)]
struct Input {
    turn_tcp: bool,
    controlling: bool,
    lite: bool,
    components: u8,
    seed: u64,
    first_valid: bool,
    max_pairs: u8,
    ops: Vec<Op>,
}

fn address(n: u8) -> SocketAddr {
    if n & 0x80 != 0 {
        SocketAddr::new(
            IpAddr::V6(Ipv6Addr::new(
                0x2001,
                0xdb8,
                0,
                0,
                0,
                0,
                0,
                u16::from(n & 7),
            )),
            5000 + u16::from(n & 0x70),
        )
    } else {
        SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(198, 51, 100, n & 7)),
            5000 + u16::from(n & 0x70),
        )
    }
}

/// Local sockets; with the high bit, TURN relayed addresses.
fn socket(n: u8) -> SocketAddr {
    if n & 0x80 != 0 {
        SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(203, 0, 113, n & 3)),
            49152 + u16::from(n & 1),
        )
    } else {
        SocketAddr::new(
            IpAddr::V4(Ipv4Addr::new(192, 0, 2, n & 3)),
            4000 + u16::from(n & 1),
        )
    }
}

fn turn_server(tcp: bool, second_password: bool) -> TurnServer {
    let password = if second_password { "pass2" } else { "pass" };
    let address = TURN.parse().unwrap();
    if tcp {
        TurnServer::tcp(address, "user", password)
    } else {
        TurnServer::udp(address, "user", password)
    }
}

fn build(class: Class, id: TransactionId, f: impl FnOnce(&mut MessageBuilder<'_>)) -> Vec<u8> {
    build_method(class, Method::BINDING, id, f)
}

fn build_method(
    class: Class,
    method: Method,
    id: TransactionId,
    f: impl FnOnce(&mut MessageBuilder<'_>),
) -> Vec<u8> {
    let mut buf = vec![0u8; 700];
    let Ok(mut b) = MessageBuilder::new(&mut buf, class, method, id) else {
        return Vec::new();
    };
    f(&mut b);
    let len = b.finish();
    buf.truncate(len);
    buf
}

fuzz_target!(|input: Input| {
    let start = Instant::now();
    let mut now = start;
    let config = {
        let mut config = Config::new(input.controlling);
        config.lite = input.lite;
        config.components = u16::from(input.components % 3);
        config.seed = Some(sansrtc_ice::seed_from_u64(input.seed));
        config.max_pairs = usize::from(input.max_pairs);
        config.nomination = if input.first_valid {
            NominationPolicy::FirstValid
        } else {
            NominationPolicy::default_wait()
        };
        config.stun_servers = vec!["192.0.2.200:3478".parse().unwrap()];
        config.turn_servers = vec![turn_server(input.turn_tcp, false)];
        config
    };
    let turn_transport = if input.turn_tcp {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    let mut turn_password = false;
    let max_pairs = config.max_pairs.clamp(1, sansrtc_ice::MAX_PAIRS_LIMIT);
    let mut agent = Agent::new(config, now);
    let mut sent: Vec<Transmit> = Vec::new();
    for op in input.ops.into_iter().take(256) {
        match op {
            Op::Packet {
                source,
                socket: s,
                bytes,
            } => {
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        source: address(source),
                        destination: socket(s),
                        transport: Transport::Udp,
                        contents: &bytes,
                    },
                );
            }
            Op::Check {
                source,
                socket: s,
                priority,
                role,
                use_candidate,
                id,
            } => {
                let local = agent.local_credentials().clone();
                let username = format!("{}:{REMOTE_UFRAG}", local.ufrag());
                let bytes = build(Class::Request, TransactionId::new([id; 12]), |b| {
                    let _ = b.add(&Attribute::Username(&username));
                    let _ = b.add(&Attribute::Priority(priority));
                    match role {
                        Some((true, t)) => {
                            let _ = b.add(&Attribute::IceControlling(t));
                        }
                        Some((false, t)) => {
                            let _ = b.add(&Attribute::IceControlled(t));
                        }
                        None => {}
                    }
                    if use_candidate {
                        let _ = b.add(&Attribute::UseCandidate);
                    }
                    let _ = b.add_message_integrity(local.pwd().as_bytes());
                    let _ = b.add_fingerprint();
                });
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        source: address(source),
                        destination: socket(s),
                        transport: Transport::Udp,
                        contents: &bytes,
                    },
                );
            }
            Op::Answer {
                index,
                mapped,
                error,
                symmetric,
            } => {
                if sent.is_empty() {
                    continue;
                }
                let transmit = &sent[usize::from(index) % sent.len()];
                let Ok(request) = Message::parse(&transmit.contents) else {
                    continue;
                };
                let key = if request.has_integrity() {
                    REMOTE_PWD.as_bytes()
                } else {
                    &[][..]
                };
                let bytes = match error {
                    Some(code) => build(Class::ErrorResponse, request.transaction_id(), |b| {
                        let code = 300 + code % 400;
                        let _ = b.add(&Attribute::ErrorCode(ErrorCode::new(code, "x")));
                        if !key.is_empty() {
                            let _ = b.add_message_integrity(key);
                        }
                        let _ = b.add_fingerprint();
                    }),
                    None => build(Class::SuccessResponse, request.transaction_id(), |b| {
                        let _ = b.add(&Attribute::XorMappedAddress(address(mapped)));
                        if !key.is_empty() {
                            let _ = b.add_message_integrity(key);
                        }
                        let _ = b.add_fingerprint();
                    }),
                };
                let source = if symmetric {
                    transmit.destination
                } else {
                    address(mapped)
                };
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        source,
                        destination: transmit.source,
                        transport: Transport::Udp,
                        contents: &bytes,
                    },
                );
            }
            Op::Time { millis } => {
                now += Duration::from_millis(u64::from(millis));
                agent.handle_timeout(now);
                if let Some(t) = agent.poll_timeout() {
                    if t <= now {
                        // An early or repeated call does nothing harmful.
                        agent.handle_timeout(now);
                    }
                }
            }
            Op::Candidate { line } => {
                if let Ok(candidate) = line.parse::<Candidate>() {
                    let _ = agent.add_remote_candidate(candidate);
                }
            }
            Op::HostCandidate {
                component,
                address: a,
                priority,
                kind,
            } => {
                let kind = ["host", "srflx", "prflx", "relay"][usize::from(kind % 4)];
                let line = format!(
                    "candidate:{a} {} udp {priority} {} {} typ {kind}",
                    component % 3 + 1,
                    address(a).ip(),
                    address(a).port()
                );
                if let Ok(candidate) = line.parse::<Candidate>() {
                    let _ = agent.add_remote_candidate(candidate);
                }
            }
            Op::EndOfCandidates => agent.end_of_remote_candidates(),
            Op::RemoteCredentials { other } => {
                let (u, p) = if other {
                    ("oThEr", "otherpasswordotherpassword")
                } else {
                    (REMOTE_UFRAG, REMOTE_PWD)
                };
                let _ = agent.set_remote_credentials(u, p);
            }
            Op::RemoteLite => agent.set_remote_lite(),
            Op::Restart => {
                let _ = agent.restart();
            }
            Op::Resolve { name, ip } => {
                let _ =
                    agent.resolve_name(&format!("host-{name}.local"), ip.map(|i| address(i).ip()));
            }
            Op::NamedSocket {
                address: a,
                component,
                name,
            } => {
                let _ = agent.add_local_socket_with_name(
                    LocalSocket::udp(socket(a & 0x7f))
                        .with_component(u16::from(component % 3))
                        .with_interface_rank(a),
                    &name,
                );
            }
            Op::Relayed {
                address: a,
                component,
            } => {
                let _ = agent.add_relayed_candidate(
                    socket(a | 0x80),
                    address(a),
                    "192.0.2.201:3478".parse().unwrap(),
                    u16::from(component % 3),
                );
            }
            Op::TurnPacket {
                socket: s,
                tcp,
                bytes,
            } => {
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        source: TURN.parse().unwrap(),
                        destination: socket(s & 0x7f),
                        transport: if tcp { Transport::Tcp } else { Transport::Udp },
                        contents: &bytes,
                    },
                );
            }
            Op::TurnAnswer {
                index,
                kind,
                relayed,
                mapped,
                lifetime,
                code,
            } => {
                let turn: SocketAddr = TURN.parse().unwrap();
                let requests: Vec<&Transmit> =
                    sent.iter().filter(|t| t.destination == turn).collect();
                if requests.is_empty() {
                    continue;
                }
                let transmit = requests[usize::from(index) % requests.len()];
                let Ok(request) = Message::parse(&transmit.contents) else {
                    continue;
                };
                let password = if turn_password { "pass2" } else { "pass" };
                let key = LongTermKey::md5("user", TURN_REALM, password).unwrap();
                let (method, id) = (request.method(), request.transaction_id());
                let bytes = match kind % 4 {
                    0 => build_method(Class::ErrorResponse, method, id, |b| {
                        let code = if code & 1 == 0 { 401 } else { 438 };
                        let _ = b.add(&Attribute::ErrorCode(ErrorCode::new(code, "x")));
                        let _ = b.add(&Attribute::Realm(TURN_REALM));
                        let _ = b.add(&Attribute::Nonce("fuzznonce1234567"));
                    }),
                    1 => build_method(Class::ErrorResponse, method, id, |b| {
                        let code = 300 + code % 400;
                        let _ = b.add(&Attribute::ErrorCode(ErrorCode::new(code, "x")));
                        let _ = b.add_message_integrity(key.as_bytes());
                    }),
                    _ => build_method(Class::SuccessResponse, method, id, |b| {
                        let _ = b.add(&Attribute::XorRelayedAddress(socket(relayed | 0x80)));
                        let _ = b.add(&Attribute::XorMappedAddress(address(mapped)));
                        let _ = b.add(&Attribute::Lifetime(u32::from(lifetime)));
                        let _ = b.add_message_integrity(key.as_bytes());
                    }),
                };
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        source: turn,
                        destination: transmit.source,
                        transport: turn_transport,
                        contents: &bytes,
                    },
                );
            }
            Op::TurnData {
                socket: s,
                peer,
                channel,
                bytes,
            } => {
                let packet = match channel {
                    Some(number) => {
                        let message = ChannelData::new(0x4000 | (number & 0x0fff), &bytes);
                        let framing = if input.turn_tcp {
                            Framing::Tcp
                        } else {
                            Framing::Udp
                        };
                        let mut buf = vec![0u8; message.encoded_len(framing)];
                        if message.write_to(&mut buf, framing).is_err() {
                            continue;
                        }
                        buf
                    }
                    None => build_method(
                        Class::Indication,
                        Method::DATA,
                        TransactionId::new([peer; 12]),
                        |b| {
                            let _ = b.add(&Attribute::XorPeerAddress(address(peer)));
                            let _ = b.add(&Attribute::Data(&bytes));
                        },
                    ),
                };
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        source: TURN.parse().unwrap(),
                        destination: socket(s & 0x7f),
                        transport: turn_transport,
                        contents: &packet,
                    },
                );
            }
            Op::SendData { component, bytes } => {
                let _ = agent.send_data(now, u16::from(component % 3), &bytes);
            }
            Op::RestartTurn { password } => {
                turn_password = password;
                let _ =
                    agent.restart_with_turn_servers(vec![turn_server(input.turn_tcp, password)]);
            }
            Op::Close => agent.close(),
            Op::Socket {
                address: a,
                component,
            } => {
                let _ = agent.add_local_socket(
                    LocalSocket::udp(socket(a & 0x7f))
                        .with_component(u16::from(component % 3))
                        .with_interface_rank(a),
                );
            }
        }
        let mut transmits = 0;
        while let Some(t) = agent.poll_transmit() {
            transmits += 1;
            sent.push(t);
        }
        if sent.len() > 64 {
            sent.drain(..sent.len() - 64);
        }
        let mut events = 0;
        while agent.poll_event().is_some() {
            events += 1;
        }
        assert!(transmits <= MAX_QUEUED_TRANSMITS);
        assert!(events <= MAX_QUEUED_EVENTS);
        assert!(agent.remote_candidates().count() <= MAX_REMOTE_CANDIDATES + MAX_PEER_REFLEXIVE);
        assert!(agent.pair_count() <= max_pairs);
        assert!(
            agent.local_candidates().count() <= 2 * MAX_LOCAL_SOCKETS + MAX_LOCAL_PEER_REFLEXIVE
        );
        if let Some(t) = agent.poll_timeout() {
            assert!(t >= start);
        }
    }
});
