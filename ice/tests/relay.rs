//! The agent's own TURN clients, against a scripted TURN server in virtual
//! time: allocation with the 401 challenge, relayed candidates, permissions
//! for remote candidates, checks and data through the relay (Send and Data
//! indications, then ChannelData on the selected pair), errors as events,
//! release on close and on a restart with new credentials, caps and
//! determinism.

#![allow(clippy::indexing_slicing)]
#![allow(clippy::disallowed_methods)] // one real instant anchors the virtual clock

extern crate alloc;

use alloc::collections::BTreeMap;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use sansrtc_stun::framing::{StreamFraming, StreamReader};
use std::time::Instant;

use sansrtc_ice::{
    Agent, Candidate, CandidateType, Config, ConnectionState, Event, GatheringState, Handled,
    LocalSocket, MAX_TURN_SERVERS, Receive, Transmit, Transport, TurnServer,
};
use sansrtc_stun::credentials::LongTermKey;
use sansrtc_stun::framing::{ChannelData, Transport as Framing};
use sansrtc_stun::{Attribute, AttributeType, Class, ErrorCode, Message, MessageBuilder, Method};

const SERVER: &str = "192.0.2.10:3478";
const RELAYED: &str = "192.0.2.10:50000";
const MAPPED: &str = "198.51.100.7:40000";
const HOST_A: &str = "10.0.0.1:5000";
const HOST_B: &str = "203.0.113.5:6000";
const REALM: &str = "example.org";
const NONCE: &str = "abcdefgh12345678";

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

fn turn_config(controlling: bool, seed: u64, servers: Vec<TurnServer>) -> Config {
    let mut config = Config::new(controlling);
    config.seed = Some(sansrtc_ice::seed_from_u64(seed));
    config.turn_servers = servers;
    config
}

fn socket(address: &str) -> LocalSocket {
    LocalSocket::udp(addr(address))
}

/// What the scripted server made of a packet from the client.
#[derive(Debug, PartialEq, Eq)]
enum Seen {
    /// A request, answered (the answer is in `answer`).
    Request(Method),
    /// Data to relay to a peer.
    Relay(SocketAddr, Vec<u8>),
}

/// A TURN server that answers as RFC 8656 says, with one allocation at
/// `RELAYED`. It signs with the key of `user`/`pass` and challenges
/// unauthenticated requests with 401.
struct Server {
    key: LongTermKey,
    password: String,
    permissions: Vec<IpAddr>,
    channels: BTreeMap<u16, SocketAddr>,
    requests: Vec<(Method, Option<String>, Option<u32>)>,
    refuse_allocate: Option<u16>,
}

impl Server {
    fn new(password: &str) -> Self {
        Self {
            key: LongTermKey::md5("user", REALM, password).unwrap(),
            password: password.into(),
            permissions: Vec::new(),
            channels: BTreeMap::new(),
            requests: Vec::new(),
            refuse_allocate: None,
        }
    }

    fn build(
        request: &Message<'_>,
        class: Class,
        attributes: &[Attribute<'_>],
        key: Option<&[u8]>,
    ) -> Vec<u8> {
        let mut buf = vec![0u8; 1024];
        let mut builder =
            MessageBuilder::new(&mut buf, class, request.method(), request.transaction_id())
                .unwrap();
        for attribute in attributes {
            builder.add(attribute).unwrap();
        }
        if let Some(key) = key {
            builder.add_message_integrity(key).unwrap();
        }
        let len = builder.finish();
        buf.truncate(len);
        buf
    }

    /// The 401 answer to an unauthenticated `request`, with the realm and
    /// nonce to sign the next one with.
    fn challenge(request: &Message<'_>) -> Vec<u8> {
        Self::build(
            request,
            Class::ErrorResponse,
            &[
                Attribute::ErrorCode(ErrorCode::new(401, "Unauthorized")),
                Attribute::Realm(REALM),
                Attribute::Nonce(NONCE),
            ],
            None,
        )
    }

    /// Handles one packet from the client; returns what it was and the
    /// answer to send back, if any.
    fn handle(&mut self, bytes: &[u8]) -> (Seen, Option<Vec<u8>>) {
        if let Ok(channel) = ChannelData::parse(bytes, Framing::Udp) {
            let peer = self.channels[&channel.channel_number];
            return (Seen::Relay(peer, channel.data.to_vec()), None);
        }
        let message = Message::parse(bytes).unwrap();
        if message.class() == Class::Indication {
            assert_eq!(message.method(), Method::SEND);
            let peer = message.xor_peer_address().unwrap();
            return (Seen::Relay(peer, message.data().unwrap().to_vec()), None);
        }
        assert_eq!(message.class(), Class::Request);
        let username = message.username().map(str::to_string);
        self.requests
            .push((message.method(), username, message.lifetime()));
        if !message.has(AttributeType::MESSAGE_INTEGRITY) {
            return (
                Seen::Request(message.method()),
                Some(Self::challenge(&message)),
            );
        }
        let key = LongTermKey::md5(message.username().unwrap(), REALM, &self.password).unwrap();
        let key = if message.verify_message_integrity(key.as_bytes()).is_ok() {
            key
        } else {
            // Signed with other credentials (a release with the old key):
            // accepted as the old allocation's owner.
            self.key
        };
        let method = message.method();
        let attributes: Vec<Attribute<'_>> = match method {
            Method::ALLOCATE => {
                if let Some(code) = self.refuse_allocate {
                    vec![Attribute::ErrorCode(ErrorCode::new(code, "Forbidden"))]
                } else {
                    vec![
                        Attribute::XorRelayedAddress(addr(RELAYED)),
                        Attribute::XorMappedAddress(addr(MAPPED)),
                        Attribute::Lifetime(600),
                    ]
                }
            }
            Method::REFRESH => vec![Attribute::Lifetime(message.lifetime().unwrap_or(600))],
            Method::CREATE_PERMISSION => {
                self.permissions
                    .push(message.xor_peer_address().unwrap().ip());
                vec![]
            }
            Method::CHANNEL_BIND => {
                let channel = message.channel_number().unwrap();
                self.channels
                    .insert(channel, message.xor_peer_address().unwrap());
                vec![]
            }
            other => panic!("unexpected request {other:?}"),
        };
        let class = if attributes
            .iter()
            .any(|a| matches!(a, Attribute::ErrorCode(_)))
        {
            Class::ErrorResponse
        } else {
            Class::SuccessResponse
        };
        let answer = Self::build(&message, class, &attributes, Some(key.as_bytes()));
        (Seen::Request(method), Some(answer))
    }

    /// Wraps data from `peer` for the client: ChannelData when a channel is
    /// bound to the peer, a Data indication otherwise.
    fn wrap(&self, peer: SocketAddr, data: &[u8]) -> Vec<u8> {
        if let Some((channel, _)) = self.channels.iter().find(|(_, p)| **p == peer) {
            let message = ChannelData::new(*channel, data);
            let mut buf = vec![0u8; message.encoded_len(Framing::Udp)];
            message.write_to(&mut buf, Framing::Udp).unwrap();
            return buf;
        }
        let mut buf = vec![0u8; 2048];
        let mut builder = MessageBuilder::new(
            &mut buf,
            Class::Indication,
            Method::DATA,
            sansrtc_stun::TransactionId::new([7; 12]),
        )
        .unwrap();
        builder.add(&Attribute::XorPeerAddress(peer)).unwrap();
        builder.add(&Attribute::Data(data)).unwrap();
        let len = builder.finish();
        buf.truncate(len);
        buf
    }
}

fn from_server<'a>(
    agent: &mut Agent,
    now: Instant,
    bytes: &'a [u8],
) -> Result<Handled<'a>, sansrtc_ice::RecvError> {
    agent.handle_receive(
        now,
        Receive {
            source: addr(SERVER),
            destination: addr(HOST_A),
            transport: Transport::Udp,
            contents: bytes,
        },
    )
}

/// Feeds every packet the agent sends to the server to the scripted server
/// and its answers back, until the agent has nothing more to say. Returns
/// what the server saw; packets to elsewhere are returned too.
fn exchange(agent: &mut Agent, server: &mut Server, now: Instant) -> (Vec<Seen>, Vec<Transmit>) {
    let mut seen = Vec::new();
    let mut other = Vec::new();
    for _ in 0..100 {
        let Some(transmit) = agent.poll_transmit() else {
            return (seen, other);
        };
        if transmit.destination != addr(SERVER) {
            other.push(transmit);
            continue;
        }
        assert_eq!(transmit.source, addr(HOST_A));
        let (what, answer) = server.handle(&transmit.contents);
        seen.push(what);
        if let Some(answer) = answer {
            assert_eq!(from_server(agent, now, &answer), Ok(Handled::Turn));
        }
    }
    panic!("the agent never stops sending");
}

fn events(agent: &mut Agent) -> Vec<Event> {
    core::iter::from_fn(|| agent.poll_event()).collect()
}

/// An agent on `HOST_A` that allocates on the scripted server over UDP, as
/// `user`/`pass`.
fn agent_behind_server(controlling: bool, seed: u64, now: Instant) -> Agent {
    let mut agent = Agent::new(
        turn_config(
            controlling,
            seed,
            vec![TurnServer::udp(addr(SERVER), "user", "pass")],
        ),
        now,
    );
    agent.add_local_socket(socket(HOST_A)).unwrap();
    agent
}

/// The host candidate of `HOST_B`.
fn host_b() -> Candidate {
    "candidate:1 1 udp 2130706431 203.0.113.5 6000 typ host"
        .parse()
        .unwrap()
}

/// Gives `agent` a peer with credentials and the host candidate `HOST_B`.
fn add_peer_at_host_b(agent: &mut Agent) {
    agent
        .set_remote_credentials("abcd", "abcdefghijklmnopqrstuv")
        .unwrap();
    agent.add_remote_candidate(host_b()).unwrap();
}

/// An agent with the scripted server, allocated.
fn allocated(controlling: bool) -> (Agent, Server, Instant) {
    let now = Instant::now();
    let mut agent = agent_behind_server(controlling, 1, now);
    let mut server = Server::new("pass");
    assert_eq!(agent.gathering_state(), GatheringState::Gathering);
    let (seen, _) = exchange(&mut agent, &mut server, now);
    assert_eq!(
        seen,
        [
            Seen::Request(Method::ALLOCATE),
            Seen::Request(Method::ALLOCATE)
        ]
    );
    (agent, server, now)
}

#[test]
fn allocation_makes_a_relayed_candidate_and_completes_gathering() {
    let (mut agent, server, _) = allocated(true);
    // The first Allocate carries no credentials, the second does.
    assert_eq!(server.requests[0].1, None);
    assert_eq!(server.requests[1].1.as_deref(), Some("user"));
    let events = events(&mut agent);
    let candidates: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::LocalCandidate(c) => Some(c.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(candidates.len(), 2, "{events:?}");
    assert_eq!(candidates[0].kind(), CandidateType::Host);
    let relay = &candidates[1];
    assert_eq!(relay.kind(), CandidateType::Relayed);
    assert_eq!(relay.socket_addr(), Some(addr(RELAYED)));
    // The related address is the mapped address the allocation reported.
    let (raddr, rport) = relay.related().unwrap();
    assert_eq!(
        (raddr.ip(), rport),
        (Some(addr(MAPPED).ip()), addr(MAPPED).port())
    );
    assert_eq!(events.last(), Some(&Event::GatheringComplete));
    assert_eq!(agent.gathering_state(), GatheringState::Complete);
}

#[test]
fn remote_candidates_get_permissions() {
    let (mut agent, mut server, now) = allocated(true);
    agent.add_remote_candidate(host_b()).unwrap();
    let (seen, _) = exchange(&mut agent, &mut server, now);
    assert_eq!(seen, [Seen::Request(Method::CREATE_PERMISSION)]);
    assert_eq!(server.permissions, [addr(HOST_B).ip()]);
    // A remote candidate that existed before the allocation gets one too.
    let now = Instant::now();
    let mut late = agent_behind_server(true, 3, now);
    late.add_remote_candidate(host_b()).unwrap();
    let mut server = Server::new("pass");
    let (seen, _) = exchange(&mut late, &mut server, now);
    assert_eq!(seen.last(), Some(&Seen::Request(Method::CREATE_PERMISSION)));
    assert_eq!(server.permissions, [addr(HOST_B).ip()]);
}

/// Agent A (behind the scripted TURN server, only reachable through it)
/// and agent B (a public host) connect relay to host; checks go through
/// Send and Data indications, the selected pair gets a channel, and
/// application data goes both ways through it.
#[test]
fn checks_and_data_go_through_the_relay() {
    let start = Instant::now();
    let server_config = vec![TurnServer::udp(addr(SERVER), "user", "pass")];
    let mut a = Agent::new(turn_config(true, 1, server_config), start);
    let mut b = Agent::new(turn_config(false, 2, Vec::new()), start);
    let mut server = Server::new("pass");
    let ca = a.local_credentials().clone();
    let cb = b.local_credentials().clone();
    a.set_remote_credentials(cb.ufrag(), cb.pwd()).unwrap();
    b.set_remote_credentials(ca.ufrag(), ca.pwd()).unwrap();
    a.add_local_socket(socket(HOST_A)).unwrap();
    b.add_local_socket(socket(HOST_B)).unwrap();
    let mut now = start;
    let mut selected = [None, None];
    let mut received = [Vec::new(), Vec::new()];
    let mut sent_data = false;
    for _ in 0..2000 {
        // Candidates: B learns only A's relayed one; A learns B's host.
        while let Some(event) = a.poll_event() {
            match event {
                Event::LocalCandidate(c) if c.kind() == CandidateType::Relayed => {
                    b.add_remote_candidate(c).unwrap();
                }
                Event::SelectedPair { local, .. } => selected[0] = Some(local.kind()),
                Event::TurnError { .. } => panic!("{event:?}"),
                _ => {}
            }
        }
        while let Some(event) = b.poll_event() {
            match event {
                Event::LocalCandidate(c) => a.add_remote_candidate(c).unwrap(),
                Event::SelectedPair { remote, .. } => selected[1] = Some(remote.kind()),
                _ => {}
            }
        }
        // A's packets: to the server only (its host address is firewalled).
        while let Some(transmit) = a.poll_transmit() {
            if transmit.destination != addr(SERVER) {
                continue;
            }
            let (seen, answer) = server.handle(&transmit.contents);
            if let Some(answer) = answer {
                from_server(&mut a, now, &answer).unwrap();
            }
            if let Seen::Relay(peer, data) = seen {
                assert_eq!(peer, addr(HOST_B));
                if data.first().is_some_and(|b| *b > 3) {
                    received[1].push(data.clone());
                }
                let _ = b.handle_receive(
                    now,
                    Receive {
                        source: addr(RELAYED),
                        destination: addr(HOST_B),
                        transport: Transport::Udp,
                        contents: &data,
                    },
                );
            }
        }
        // B's packets: to the relayed address, wrapped by the server.
        while let Some(transmit) = b.poll_transmit() {
            assert_eq!(transmit.destination, addr(RELAYED));
            assert!(server.permissions.contains(&transmit.source.ip()));
            let wrapped = server.wrap(transmit.source, &transmit.contents);
            let handled = from_server(&mut a, now, &wrapped).unwrap();
            if transmit.contents.first().is_some_and(|b| *b > 3) {
                // Relayed application data comes back like data on a
                // socket, with the relayed address as the local side.
                let Handled::Data(data) = handled else {
                    panic!("{handled:?}");
                };
                assert_eq!((data.local, data.remote), (addr(RELAYED), addr(HOST_B)));
                assert_eq!(data.component, 1);
                received[0].push(data.contents.to_vec());
            }
        }
        let connected = |agent: &Agent| {
            matches!(
                agent.state(),
                ConnectionState::Connected | ConnectionState::Completed
            )
        };
        if connected(&a) && connected(&b) && !server.channels.is_empty() && !sent_data {
            a.send_data(now, 1, b"\x80from a").unwrap();
            b.send_data(now, 1, b"\x80from b").unwrap();
            sent_data = true;
            continue;
        }
        if sent_data && !received[0].is_empty() && !received[1].is_empty() {
            break;
        }
        let next = [a.poll_timeout(), b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now + Duration::from_millis(10));
        now = next.max(now);
        a.handle_timeout(now);
        b.handle_timeout(now);
    }
    assert_eq!(
        selected,
        [Some(CandidateType::Relayed), Some(CandidateType::Relayed)]
    );
    // The selected pair got a channel to B, and data used it.
    assert_eq!(
        server.channels.values().copied().collect::<Vec<_>>(),
        [addr(HOST_B)]
    );
    assert_eq!(received[0], [b"\x80from b".to_vec()]);
    assert_eq!(received[1], [b"\x80from a".to_vec()]);
    assert!(now < start + Duration::from_secs(5), "{:?}", now - start);
}

#[test]
fn a_refused_allocation_is_an_event_not_a_failure() {
    let now = Instant::now();
    let mut agent = agent_behind_server(true, 1, now);
    let mut server = Server::new("pass");
    server.refuse_allocate = Some(403);
    exchange(&mut agent, &mut server, now);
    let events = events(&mut agent);
    assert!(
        events.contains(&Event::TurnError {
            server: addr(SERVER),
            code: 403,
            reason: "Forbidden".into(),
        }),
        "{events:?}"
    );
    assert_eq!(events.last(), Some(&Event::GatheringComplete));
    assert_ne!(agent.state(), ConnectionState::Failed);
    assert!(
        agent
            .local_candidates()
            .all(|c| c.kind() == CandidateType::Host)
    );
}

#[test]
fn a_silent_server_times_out_and_gathering_completes() {
    let start = Instant::now();
    let mut agent = agent_behind_server(true, 1, start);
    let mut sent = 0;
    let mut now = start;
    while agent.gathering_state() != GatheringState::Complete {
        while agent.poll_transmit().is_some() {
            sent += 1;
        }
        now = agent.poll_timeout().expect("a retransmission is due");
        agent.handle_timeout(now);
        assert!(now < start + Duration::from_secs(60));
    }
    assert_eq!(sent, 7);
    assert_eq!(now - start, Duration::from_millis(33_500));
    assert!(
        events(&mut agent)
            .iter()
            .any(|e| matches!(e, Event::TurnError { code: 0, .. }))
    );
}

#[test]
fn close_releases_the_allocation() {
    let (mut agent, mut server, now) = allocated(true);
    agent.close();
    let (seen, _) = exchange(&mut agent, &mut server, now);
    assert_eq!(seen, [Seen::Request(Method::REFRESH)]);
    assert_eq!(server.requests.last().unwrap().2, Some(0));
    // Released: nothing more to wait for.
    assert_eq!(agent.poll_timeout(), None);
}

#[test]
fn the_allocation_is_refreshed_while_the_agent_lives() {
    let (mut agent, mut server, now) = allocated(true);
    events(&mut agent);
    agent.handle_timeout(now);
    let at = agent.poll_timeout().unwrap();
    // No ICE work: the next deadline is the refresh, a minute before the
    // 600 s lifetime ends.
    assert_eq!(at - now, Duration::from_secs(540));
    agent.handle_timeout(at);
    let (seen, _) = exchange(&mut agent, &mut server, at);
    assert_eq!(seen, [Seen::Request(Method::REFRESH)]);
    assert_eq!(server.requests.last().unwrap().2, Some(600));
}

#[test]
fn restart_with_new_credentials_releases_before_allocating() {
    let (mut agent, mut server, now) = allocated(true);
    events(&mut agent);
    server.password = "new-pass".into();
    agent
        .restart_with_turn_servers(vec![TurnServer::udp(addr(SERVER), "user", "new-pass")])
        .unwrap();
    let (seen, _) = exchange(&mut agent, &mut server, now);
    // The release (signed with the old key), then the 401 dance and the
    // new Allocate: no 437 Allocation Mismatch.
    assert_eq!(
        seen,
        [
            Seen::Request(Method::REFRESH),
            Seen::Request(Method::ALLOCATE),
            Seen::Request(Method::ALLOCATE),
        ]
    );
    let refresh = &server.requests[server.requests.len() - 3];
    assert_eq!(refresh.2, Some(0));
    let relays: Vec<_> = events(&mut agent)
        .into_iter()
        .filter_map(|e| match e {
            Event::LocalCandidate(c) if c.kind() == CandidateType::Relayed => Some(c),
            _ => None,
        })
        .collect();
    // Announced once for the new generation.
    assert_eq!(relays.len(), 1);
    assert_eq!(
        agent
            .local_candidates()
            .filter(|c| c.kind() == CandidateType::Relayed)
            .count(),
        1
    );
}

#[test]
fn a_plain_restart_keeps_the_allocation() {
    let (mut agent, mut server, now) = allocated(true);
    events(&mut agent);
    agent.restart().unwrap();
    let (seen, _) = exchange(&mut agent, &mut server, now);
    assert_eq!(seen, []);
    let events = events(&mut agent);
    assert!(events.iter().any(|e| matches!(
        e,
        Event::LocalCandidate(c) if c.kind() == CandidateType::Relayed
    )));
    assert!(events.contains(&Event::GatheringComplete));
}

#[test]
fn turn_servers_are_capped() {
    let now = Instant::now();
    let servers = (0..MAX_TURN_SERVERS + 3)
        .map(|i| TurnServer::udp(addr(&format!("192.0.2.{}:3478", 20 + i)), "u", "p"))
        .collect();
    let mut agent = Agent::new(turn_config(true, 1, servers), now);
    agent.add_local_socket(socket(HOST_A)).unwrap();
    // A second socket of the same family starts no more allocations, and
    // an IPv6 socket none (no IPv6 server).
    agent.add_local_socket(socket("10.0.0.2:5000")).unwrap();
    agent
        .add_local_socket(socket("[2001:db8::1]:5000"))
        .unwrap();
    let destinations: Vec<SocketAddr> = core::iter::from_fn(|| agent.poll_transmit())
        .map(|t| t.destination)
        .collect();
    assert_eq!(destinations.len(), MAX_TURN_SERVERS);
}

#[test]
fn runs_are_deterministic() {
    let run = || {
        let (mut agent, _, _) = allocated(true);
        agent.add_remote_candidate(host_b()).unwrap();
        core::iter::from_fn(|| agent.poll_transmit())
            .map(|t| t.contents)
            .collect::<Vec<_>>()
    };
    let first = run();
    assert!(!first.is_empty());
    assert_eq!(first, run());
}

#[test]
fn packets_from_elsewhere_are_not_taken_for_the_server() {
    let (mut agent, server, now) = allocated(true);
    // A Data indication from another address is not the TURN server's.
    let wrapped = server.wrap(addr(HOST_B), b"\x80data");
    let result = agent.handle_receive(
        now,
        Receive {
            source: addr("192.0.2.99:3478"),
            destination: addr(HOST_A),
            transport: Transport::Udp,
            contents: &wrapped,
        },
    );
    assert!(!matches!(result, Ok(Handled::Data(_))), "{result:?}");
    // Garbage from the server is dropped with a TURN error.
    assert!(matches!(
        from_server(&mut agent, now, &[0x40, 0x00, 0x00, 0x10]),
        Err(sansrtc_ice::RecvError::Turn(_))
    ));
}

#[test]
fn a_server_over_tcp_gets_stream_bytes() {
    let now = Instant::now();
    let mut agent = Agent::new(
        turn_config(true, 1, vec![TurnServer::tcp(addr(SERVER), "user", "pass")]),
        now,
    );
    let mut server = Server::new("pass");
    agent.add_local_socket(socket(HOST_A)).unwrap();
    let mut requests = 0;
    while let Some(transmit) = agent.poll_transmit() {
        // Written to the caller's TCP connection to the server.
        assert_eq!(transmit.transport, Transport::Tcp);
        assert_eq!(transmit.destination, addr(SERVER));
        requests += 1;
        let (_, answer) = server.handle(&transmit.contents);
        let answer = answer.unwrap();
        // The stream delivers the answer in two reads; the caller's reader
        // cuts the stream into messages.
        let mut reader = StreamReader::new(StreamFraming::Turn);
        let (first, second) = answer.split_at(7);
        reader.push(first).unwrap();
        assert_eq!(reader.next_frame().unwrap(), None);
        reader.push(second).unwrap();
        let frame = reader.next_frame().unwrap().unwrap();
        let handled = agent.handle_receive(
            now,
            Receive {
                source: addr(SERVER),
                destination: addr(HOST_A),
                transport: Transport::Tcp,
                contents: frame,
            },
        );
        assert_eq!(handled, Ok(Handled::Turn));
    }
    assert_eq!(requests, 2);
    assert!(
        agent
            .local_candidates()
            .any(|c| c.kind() == CandidateType::Relayed && c.socket_addr() == Some(addr(RELAYED)))
    );
}

#[test]
fn checks_are_sent_again_once_the_permission_is_installed() {
    let (mut agent, mut server, start) = allocated(true);
    add_peer_at_host_b(&mut agent);
    // The CreatePermission request: held back for now.
    let permission = agent.poll_transmit().unwrap();
    assert_eq!(
        Message::parse(&permission.contents).unwrap().method(),
        Method::CREATE_PERMISSION
    );
    // The checks go out, the relayed one as a Send indication the server
    // would drop without the permission.
    let mut now = start;
    let mut sends = 0;
    while sends == 0 {
        now = agent.poll_timeout().unwrap().max(now);
        assert!(now < start + Duration::from_millis(400));
        agent.handle_timeout(now);
        while let Some(transmit) = agent.poll_transmit() {
            if transmit.destination == addr(SERVER) {
                assert!(matches!(
                    server.handle(&transmit.contents).0,
                    Seen::Relay(..)
                ));
                sends += 1;
            }
        }
    }
    // The permission arrives: the check goes again at once, well before its
    // 500 ms retransmission timeout.
    let (_, answer) = server.handle(&permission.contents);
    from_server(&mut agent, now, &answer.unwrap()).unwrap();
    assert_eq!(agent.poll_timeout(), Some(now));
    agent.handle_timeout(now);
    let again: Vec<Transmit> = core::iter::from_fn(|| agent.poll_transmit()).collect();
    assert_eq!(again.len(), 1, "{again:?}");
    assert!(matches!(
        server.handle(&again[0].contents).0,
        Seen::Relay(peer, _) if peer == addr(HOST_B)
    ));
}

#[test]
fn a_relayed_address_equal_to_a_host_socket_is_refused_and_released() {
    let now = Instant::now();
    let mut agent = agent_behind_server(true, 1, now);
    // The first Allocate is challenged; the server claims the host socket's
    // own address as the relayed one.
    let first = agent.poll_transmit().unwrap();
    let message = Message::parse(&first.contents).unwrap();
    let challenge = Server::challenge(&message);
    from_server(&mut agent, now, &challenge).unwrap();
    let second = agent.poll_transmit().unwrap();
    let message = Message::parse(&second.contents).unwrap();
    let key = LongTermKey::md5("user", REALM, "pass").unwrap();
    let success = Server::build(
        &message,
        Class::SuccessResponse,
        &[
            Attribute::XorRelayedAddress(addr(HOST_A)),
            Attribute::XorMappedAddress(addr(MAPPED)),
            Attribute::Lifetime(600),
        ],
        Some(key.as_bytes()),
    );
    assert_eq!(from_server(&mut agent, now, &success), Ok(Handled::Turn));
    assert!(
        agent
            .local_candidates()
            .all(|c| c.kind() == CandidateType::Host)
    );
    // The allocation is released at once ...
    let release = agent.poll_transmit().unwrap();
    let message = Message::parse(&release.contents).unwrap();
    assert_eq!(
        (message.method(), message.lifetime()),
        (Method::REFRESH, Some(0))
    );
    // ... and the host socket's own checks are not wrapped for the relay.
    add_peer_at_host_b(&mut agent);
    agent.handle_timeout(now);
    let check = agent.poll_transmit().unwrap();
    assert_eq!(
        (check.source, check.destination),
        (addr(HOST_A), addr(HOST_B))
    );
    assert_eq!(
        Message::parse(&check.contents).unwrap().method(),
        Method::BINDING
    );
}

#[test]
fn a_lost_allocation_is_reported_and_made_again_at_restart() {
    let (mut agent, mut server, now) = allocated(true);
    events(&mut agent);
    agent.handle_timeout(now);
    // The refresh is answered 437: the server no longer has the allocation.
    let at = agent.poll_timeout().unwrap();
    agent.handle_timeout(at);
    let refresh = agent.poll_transmit().unwrap();
    let message = Message::parse(&refresh.contents).unwrap();
    assert_eq!(message.method(), Method::REFRESH);
    let answer = Server::build(
        &message,
        Class::ErrorResponse,
        &[Attribute::ErrorCode(ErrorCode::new(
            437,
            "Allocation Mismatch",
        ))],
        Some(server.key.as_bytes()),
    );
    from_server(&mut agent, at, &answer).unwrap();
    assert!(events(&mut agent).contains(&Event::TurnError {
        server: addr(SERVER),
        code: 0,
        reason: "allocation lost".into(),
    }));
    // Nothing is wrapped for the lost allocation any more; at restart its
    // candidate goes and a new allocation is made.
    agent.restart().unwrap();
    assert!(
        agent
            .local_candidates()
            .all(|c| c.kind() == CandidateType::Host)
    );
    let (seen, _) = exchange(&mut agent, &mut server, at);
    assert_eq!(
        seen,
        [
            Seen::Request(Method::ALLOCATE),
            Seen::Request(Method::ALLOCATE)
        ]
    );
    let relayed: Vec<_> = events(&mut agent)
        .into_iter()
        .filter(|e| matches!(e, Event::LocalCandidate(c) if c.kind() == CandidateType::Relayed))
        .collect();
    assert_eq!(relayed.len(), 1);
    assert_eq!(agent.gathering_state(), GatheringState::Complete);
}
