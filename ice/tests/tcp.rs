//! ICE over TCP (RFC 6544): TCP host candidates and their priorities, the
//! pairing rules, the connection contract (the agent asks for connections,
//! the caller opens, accepts and closes them), RFC 4571 framing both ways,
//! the caps and timeouts, the UDP-first policy, and agents that connect
//! over TCP in the simulated network where UDP is blocked.

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use sansrtc_ice::sim::{Link, Nat, Scenario, Side};
use sansrtc_ice::tcp::{self, MAX_FRAME_LEN};
use sansrtc_ice::{
    Agent, Candidate, CandidateType, Config, ConnectRequest, ConnectionEvent, ConnectionState,
    Error, Event, FrameReader, Handled, LocalSocket, MAX_TCP_CONNECTIONS, PairState, Receive,
    TcpPolicy, TcpType, Transmit, Transport,
};
use sansrtc_stun::framing::rfc4571;
use sansrtc_stun::{Attribute, Class, Message, MessageBuilder, Method, TransactionId};

const REMOTE_UFRAG: &str = "rEmO";
const REMOTE_PWD: &str = "remotepasswordremotepassword";

fn addr(s: &str) -> SocketAddr {
    s.parse().unwrap()
}

fn config(controlling: bool, seed: u64) -> Config {
    let mut config = Config::new(controlling);
    config.seed = Some(sansrtc_ice::seed_from_u64(seed));
    config
}

/// An agent with the peer's credentials and the given sockets, its events
/// drained.
fn agent(controlling: bool, sockets: &[LocalSocket], now: Instant) -> Agent {
    let mut agent = Agent::new(config(controlling, 5), now);
    agent
        .set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD)
        .unwrap();
    for socket in sockets {
        agent.add_local_socket(*socket).unwrap();
    }
    while agent.poll_event().is_some() {}
    agent
}

fn events(agent: &mut Agent) -> Vec<Event> {
    core::iter::from_fn(|| agent.poll_event()).collect()
}

fn transmits(agent: &mut Agent) -> Vec<Transmit> {
    core::iter::from_fn(|| agent.poll_transmit()).collect()
}

/// The packet an RFC 4571-framed transmit carries.
fn unframe(transmit: &Transmit) -> &[u8] {
    assert_eq!(transmit.transport, Transport::Tcp);
    let (packet, rest) = rfc4571::split(&transmit.contents).expect("a whole frame");
    assert!(rest.is_empty(), "one frame per transmit");
    packet
}

/// The peer's check to the agent, signed with the agent's password.
fn check(agent: &Agent, id: u8, use_candidate: bool) -> Vec<u8> {
    let local = agent.local_credentials();
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new([id; 12]),
    )
    .unwrap();
    b.add(&Attribute::Username(&format!(
        "{}:{REMOTE_UFRAG}",
        local.ufrag()
    )))
    .unwrap()
    .add(&Attribute::Priority(1_000_000))
    .unwrap()
    .add(&Attribute::IceControlling(1))
    .unwrap();
    if use_candidate {
        b.add(&Attribute::UseCandidate).unwrap();
    }
    b.add_message_integrity(local.pwd().as_bytes()).unwrap();
    b.add_fingerprint().unwrap();
    let len = b.finish();
    buf[..len].to_vec()
}

/// The peer's success response to `request`, seen from `mapped`.
fn success(request: &[u8], mapped: SocketAddr) -> Vec<u8> {
    let request = Message::parse(request).unwrap();
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::SuccessResponse,
        Method::BINDING,
        request.transaction_id(),
    )
    .unwrap();
    b.add(&Attribute::XorMappedAddress(mapped)).unwrap();
    b.add_message_integrity(REMOTE_PWD.as_bytes()).unwrap();
    b.add_fingerprint().unwrap();
    let len = b.finish();
    buf[..len].to_vec()
}

fn tcp(source: SocketAddr, destination: SocketAddr, contents: &[u8]) -> Receive<'_> {
    Receive {
        source,
        destination,
        transport: Transport::Tcp,
        contents,
    }
}

/// Runs the agent's timers until `until` returns something or 20 s pass.
fn drive<T>(
    agent: &mut Agent,
    now: &mut Instant,
    mut until: impl FnMut(&mut Agent, Instant) -> Option<T>,
) -> T {
    let end = *now + Duration::from_secs(20);
    loop {
        if let Some(found) = until(agent, *now) {
            return found;
        }
        let next = agent.poll_timeout().expect("a timer");
        assert!(next <= end, "nothing happened in 20 s");
        *now = next.max(*now);
        agent.handle_timeout(*now);
    }
}

#[test]
fn tcp_candidates_carry_their_type_and_the_rfc_6544_priority() {
    let now = Instant::now();
    let mut agent = Agent::new(config(true, 1), now);
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    agent
        .add_local_socket(LocalSocket::tcp_passive(SocketAddr::new(ip, 5000)))
        .unwrap();
    agent.add_local_socket(LocalSocket::tcp_active(ip)).unwrap();
    // The same address and port over UDP is another socket.
    agent
        .add_local_socket(LocalSocket::udp(SocketAddr::new(ip, 5000)))
        .unwrap();
    assert_eq!(
        agent.add_local_socket(LocalSocket::tcp_passive(SocketAddr::new(ip, 5000))),
        Err(Error::DuplicateSocket)
    );
    let candidates: Vec<Candidate> = events(&mut agent)
        .into_iter()
        .filter_map(|e| match e {
            Event::LocalCandidate(c) => Some(c),
            _ => None,
        })
        .collect();
    let other = 31 * 256 + 128;
    let passive = (126 << 24) + ((4 * 8192 + other) << 8) + 255;
    let active = (126 << 24) + ((6 * 8192 + other) << 8) + 255;
    let foundation = candidates[0].foundation().to_owned();
    assert_eq!(
        candidates[0].to_string(),
        format!("candidate:{foundation} 1 tcp {passive} 192.0.2.10 5000 typ host tcptype passive")
    );
    // Active candidates announce the discard port (RFC 6544 §4.5).
    assert_eq!(
        candidates[1].sdp_value().to_string(),
        format!("{foundation} 1 tcp {active} 192.0.2.10 9 typ host tcptype active")
    );
    assert_eq!(candidates[1].tcp_type(), Some(TcpType::Active));
    assert_eq!(candidates[2].transport(), Transport::Udp);
    assert_ne!(candidates[2].foundation(), foundation);
    for candidate in &candidates {
        let again: Candidate = candidate.to_string().parse().unwrap();
        assert_eq!(&again, candidate);
    }
    // Below the UDP host candidate, above a server-reflexive one.
    assert!(candidates[2].priority() > active && active > passive);
    assert!(passive > sansrtc_ice::candidate::priority(CandidateType::ServerReflexive, 65535, 1));
    assert_eq!(
        tcp::local_preference(CandidateType::Host, TcpType::Passive, other as u16),
        (4 * 8192 + other) as u16
    );
}

#[test]
fn sockets_and_candidates_the_agent_cannot_use_are_refused() {
    let now = Instant::now();
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let mut agent = Agent::new(config(true, 1), now);
    let mut so = LocalSocket::tcp_passive(SocketAddr::new(ip, 5000));
    so.tcp_type = Some(TcpType::SimultaneousOpen);
    assert_eq!(agent.add_local_socket(so), Err(Error::UnsupportedTransport));
    let mut untyped = LocalSocket::tcp_passive(SocketAddr::new(ip, 5000));
    untyped.tcp_type = None;
    assert_eq!(
        agent.add_local_socket(untyped),
        Err(Error::UnsupportedTransport)
    );
    // A lite agent takes connections but never opens one.
    let mut lite_config = config(false, 2);
    lite_config.lite = true;
    let mut lite = Agent::new(lite_config, now);
    assert_eq!(
        lite.add_local_socket(LocalSocket::tcp_active(ip)),
        Err(Error::UnsupportedTransport)
    );
    lite.add_local_socket(LocalSocket::tcp_passive(SocketAddr::new(ip, 5000)))
        .unwrap();
    // A TCP candidate needs its tcptype.
    let untyped: Candidate = "candidate:1 1 tcp 1 192.0.2.20 5000 typ host"
        .parse()
        .unwrap();
    assert_eq!(
        agent.add_remote_candidate(untyped),
        Err(Error::UnsupportedTransport)
    );
}

#[test]
fn pairs_follow_rfc_6544_section_6_2() {
    let now = Instant::now();
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let mut agent = agent(
        true,
        &[
            LocalSocket::udp(SocketAddr::new(ip, 5000)),
            LocalSocket::tcp_passive(SocketAddr::new(ip, 5000)),
            LocalSocket::tcp_active(ip),
        ],
        now,
    );
    for line in [
        "candidate:1 1 udp 2130706431 192.0.2.20 6000 typ host",
        "candidate:2 1 tcp 1518280447 192.0.2.20 6000 typ host tcptype passive",
        "candidate:3 1 tcp 1518280447 192.0.2.20 9 typ host tcptype active",
        "candidate:4 1 tcp 1518280447 192.0.2.20 6001 typ host tcptype so",
    ] {
        agent.add_remote_candidate(line.parse().unwrap()).unwrap();
    }
    let pairs: Vec<(Transport, Option<TcpType>, Option<TcpType>)> = agent
        .pairs()
        .map(|p| {
            assert_eq!(p.local.transport(), p.remote.transport());
            (p.local.transport(), p.local.tcp_type(), p.remote.tcp_type())
        })
        .collect();
    // UDP with UDP; local active with remote passive. Pairs with a local
    // passive candidate are pruned, simultaneous-open is not paired.
    assert_eq!(pairs.len(), 2, "{pairs:?}");
    assert!(pairs.contains(&(Transport::Udp, None, None)));
    assert!(pairs.contains(&(
        Transport::Tcp,
        Some(TcpType::Active),
        Some(TcpType::Passive)
    )));
}

#[test]
fn an_active_pair_opens_a_connection_checks_nominates_and_carries_data() {
    let mut now = Instant::now();
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let mut agent = agent(true, &[LocalSocket::tcp_active(ip)], now);
    let remote = addr("192.0.2.20:6000");
    agent
        .add_remote_candidate(
            "candidate:2 1 tcp 1518280447 192.0.2.20 6000 typ host tcptype passive"
                .parse()
                .unwrap(),
        )
        .unwrap();
    agent.end_of_remote_candidates();
    // The pair's turn: the agent asks for a connection, and sends nothing.
    let request = drive(&mut agent, &mut now, |agent, _| {
        events(agent).into_iter().find_map(|e| match e {
            Event::OpenConnection(request) => Some(request),
            _ => None,
        })
    });
    assert_eq!(
        request,
        ConnectRequest {
            local: SocketAddr::new(ip, 0),
            remote
        }
    );
    assert!(transmits(&mut agent).is_empty());
    assert_eq!(agent.connection_count(), 1);
    assert_eq!(
        agent.pairs().next().map(|p| p.state),
        Some(PairState::InProgress)
    );
    // Open: the check goes out at once on the connection, framed.
    let local = addr("192.0.2.10:40001");
    agent
        .handle_connection(now, ConnectionEvent::Opened { request, local })
        .unwrap();
    let sent = transmits(&mut agent);
    assert_eq!(sent.len(), 1);
    assert_eq!((sent[0].source, sent[0].destination), (local, remote));
    let request_bytes = unframe(&sent[0]).to_vec();
    let message = Message::parse(&request_bytes).unwrap();
    assert_eq!(message.class(), Class::Request);
    // The PRIORITY is a peer-reflexive active candidate's (RFC 6544 §4.2).
    let expected = sansrtc_ice::candidate::priority(
        CandidateType::PeerReflexive,
        tcp::local_preference(
            CandidateType::PeerReflexive,
            TcpType::Active,
            tcp::other_preference(0, ip),
        ),
        1,
    );
    assert_eq!(message.priority(), Some(expected));
    // Not retransmitted over a stream, however long the answer takes.
    now += Duration::from_secs(3);
    agent.handle_timeout(now);
    assert!(transmits(&mut agent).is_empty());
    let answer = success(&request_bytes, local);
    assert_eq!(
        agent.handle_receive(now, tcp(remote, local, &answer)),
        Ok(Handled::Response)
    );
    // No UDP pair is pending: the TCP pair is nominated on the same
    // connection, and selected with the host candidate (the peer saw the
    // connection's own address).
    let nomination = drive(&mut agent, &mut now, |agent, _| {
        transmits(agent).into_iter().next()
    });
    let nomination_bytes = unframe(&nomination).to_vec();
    assert!(Message::parse(&nomination_bytes).unwrap().use_candidate());
    let answer = success(&nomination_bytes, local);
    agent
        .handle_receive(now, tcp(remote, local, &answer))
        .unwrap();
    let selected = events(&mut agent)
        .into_iter()
        .find_map(|e| match e {
            Event::SelectedPair {
                local: candidate,
                local_base,
                remote_address,
                ..
            } => Some((candidate, local_base, remote_address)),
            _ => None,
        })
        .expect("a selected pair");
    assert_eq!(selected.0.kind(), CandidateType::Host);
    assert_eq!(selected.0.tcp_type(), Some(TcpType::Active));
    assert_eq!((selected.1, selected.2), (local, remote));
    assert!(matches!(
        agent.state(),
        ConnectionState::Connected | ConnectionState::Completed
    ));
    // Data both ways: framed out, frames in.
    agent.send_data(now, 1, b"\x80media").unwrap();
    let data = transmits(&mut agent);
    assert_eq!(data.len(), 1);
    assert_eq!(&data[0].contents[..], b"\x00\x06\x80media");
    match agent.handle_receive(now, tcp(remote, local, b"\x80back")) {
        Ok(Handled::Data(data)) => {
            assert_eq!(
                (data.local, data.remote, data.contents),
                (local, remote, &b"\x80back"[..])
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        agent.send_data(now, 1, &vec![0x80; 70_000]),
        Err(Error::TooLarge)
    );
    // The connection closes: no path is left.
    agent
        .handle_connection(now, ConnectionEvent::Closed { local, remote })
        .unwrap();
    assert_eq!(agent.state(), ConnectionState::Failed);
    assert_eq!(agent.connection_count(), 0);
    assert_eq!(
        agent.send_data(now, 1, b"\x80media"),
        Err(Error::NoSelectedPair(1))
    );
}

#[test]
fn a_connection_that_cannot_open_fails_its_pair() {
    let mut now = Instant::now();
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let mut agent = agent(true, &[LocalSocket::tcp_active(ip)], now);
    agent
        .add_remote_candidate(
            "candidate:2 1 tcp 1 192.0.2.20 6000 typ host tcptype passive"
                .parse()
                .unwrap(),
        )
        .unwrap();
    let request = drive(&mut agent, &mut now, |agent, _| {
        events(agent).into_iter().find_map(|e| match e {
            Event::OpenConnection(request) => Some(request),
            _ => None,
        })
    });
    agent
        .handle_connection(now, ConnectionEvent::Failed { request })
        .unwrap();
    assert_eq!(
        agent.pairs().next().map(|p| p.state),
        Some(PairState::Failed)
    );
    assert_eq!(agent.connection_count(), 0);
    // A late success for the same request is not taken: close it.
    assert_eq!(
        agent.handle_connection(
            now,
            ConnectionEvent::Opened {
                request,
                local: addr("192.0.2.10:40002")
            }
        ),
        Err(Error::UnknownConnection)
    );
}

#[test]
fn a_request_without_an_answer_times_out() {
    let mut now = Instant::now();
    let ip: IpAddr = "192.0.2.10".parse().unwrap();
    let mut agent = agent(true, &[LocalSocket::tcp_active(ip)], now);
    agent
        .add_remote_candidate(
            "candidate:2 1 tcp 1 192.0.2.20 6000 typ host tcptype passive"
                .parse()
                .unwrap(),
        )
        .unwrap();
    let asked = drive(&mut agent, &mut now, |agent, now| {
        events(agent)
            .into_iter()
            .any(|e| matches!(e, Event::OpenConnection(_)))
            .then_some(now)
    });
    drive(&mut agent, &mut now, |agent, _| {
        (agent.connection_count() == 0).then_some(())
    });
    assert_eq!(now - asked, Config::default().tcp_timeout);
    assert_eq!(
        agent.pairs().next().map(|p| p.state),
        Some(PairState::Failed)
    );
}

#[test]
fn accepted_connections_are_capped_and_must_reach_a_listener() {
    let now = Instant::now();
    let listener = addr("192.0.2.10:5000");
    let mut agent = agent(false, &[LocalSocket::tcp_passive(listener)], now);
    for port in 0..MAX_TCP_CONNECTIONS as u16 {
        let remote = SocketAddr::new("192.0.2.20".parse().unwrap(), 40_000 + port);
        agent
            .handle_connection(
                now,
                ConnectionEvent::Accepted {
                    local: listener,
                    remote,
                },
            )
            .unwrap();
    }
    assert_eq!(agent.connection_count(), MAX_TCP_CONNECTIONS);
    assert_eq!(
        agent.handle_connection(
            now,
            ConnectionEvent::Accepted {
                local: listener,
                remote: addr("192.0.2.20:50000")
            }
        ),
        Err(Error::TooMany("TCP connections"))
    );
    // No listener there, or the same connection twice.
    let mut agent = self::agent(false, &[LocalSocket::tcp_passive(listener)], now);
    for (local, expected) in [
        (addr("192.0.2.10:5001"), Err(Error::UnknownConnection)),
        (listener, Ok(())),
        (listener, Err(Error::DuplicateSocket)),
    ] {
        let update = ConnectionEvent::Accepted {
            local,
            remote: addr("192.0.2.20:40000"),
        };
        assert_eq!(agent.handle_connection(now, update), expected);
    }
    // A UDP socket on the listener's address is no listener.
    let mut udp = self::agent(false, &[LocalSocket::udp(listener)], now);
    let update = ConnectionEvent::Accepted {
        local: listener,
        remote: addr("192.0.2.20:40000"),
    };
    assert_eq!(
        udp.handle_connection(now, update),
        Err(Error::UnknownConnection)
    );
}

#[test]
fn a_check_on_an_accepted_connection_is_answered_on_it_and_triggers_one_back() {
    let now = Instant::now();
    let listener = addr("192.0.2.10:5000");
    // A UDP socket on the same address and port must not get in the way.
    let mut agent = agent(
        false,
        &[
            LocalSocket::udp(listener),
            LocalSocket::tcp_passive(listener),
        ],
        now,
    );
    let remote = addr("192.0.2.20:40000");
    agent
        .handle_connection(
            now,
            ConnectionEvent::Accepted {
                local: listener,
                remote,
            },
        )
        .unwrap();
    let request = check(&agent, 1, true);
    assert_eq!(
        agent.handle_receive(now, tcp(remote, listener, &request)),
        Ok(Handled::Request)
    );
    let sent = transmits(&mut agent);
    assert_eq!(sent.len(), 2, "{sent:?}");
    for transmit in &sent {
        assert_eq!((transmit.source, transmit.destination), (listener, remote));
    }
    let response = Message::parse(unframe(&sent[0])).unwrap();
    assert_eq!(response.class(), Class::SuccessResponse);
    assert_eq!(response.xor_mapped_address(), Some(remote));
    let triggered = unframe(&sent[1]).to_vec();
    assert_eq!(Message::parse(&triggered).unwrap().class(), Class::Request);
    // The peer is learned from the connection: peer-reflexive, active.
    let pair = agent.pairs().next().expect("a pair");
    assert_eq!(pair.local.tcp_type(), Some(TcpType::Passive));
    assert_eq!(pair.remote.kind(), CandidateType::PeerReflexive);
    assert_eq!(pair.remote.tcp_type(), Some(TcpType::Active));
    assert_eq!(pair.remote.socket_addr(), Some(remote));
    // Its answer completes the pair the peer already nominated.
    agent
        .handle_receive(now, tcp(remote, listener, &success(&triggered, listener)))
        .unwrap();
    assert!(events(&mut agent).iter().any(|e| matches!(
        e,
        Event::SelectedPair { local_base, remote_address, .. }
            if (*local_base, *remote_address) == (listener, remote)
    )));
    assert_eq!(agent.state(), ConnectionState::Connected);
    // A frame on a connection the agent does not know is not its own.
    assert_eq!(
        agent.handle_receive(now, tcp(addr("192.0.2.20:40001"), listener, &request)),
        Ok(Handled::NotMine)
    );
}

#[test]
fn connections_that_complete_no_check_are_closed_in_time() {
    let mut now = Instant::now();
    let listener = addr("192.0.2.10:5000");
    let mut agent = agent(false, &[LocalSocket::tcp_passive(listener)], now);
    let idle = addr("192.0.2.20:40000");
    let busy = addr("192.0.2.20:40001");
    let start = now;
    for remote in [idle, busy] {
        let update = ConnectionEvent::Accepted {
            local: listener,
            remote,
        };
        agent.handle_connection(now, update).unwrap();
    }
    let request = check(&agent, 1, false);
    agent
        .handle_receive(now, tcp(busy, listener, &request))
        .unwrap();
    let closed = drive(&mut agent, &mut now, |agent, _| {
        events(agent).into_iter().find_map(|e| match e {
            Event::CloseConnection { local, remote } => Some((local, remote)),
            _ => None,
        })
    });
    assert_eq!(closed, (listener, idle));
    assert_eq!(now - start, Config::default().tcp_timeout);
    assert_eq!(agent.connection_count(), 1);
    // Closing the agent closes the rest.
    agent.close();
    assert_eq!(
        events(&mut agent)
            .into_iter()
            .filter(|e| matches!(e, Event::CloseConnection { remote, .. } if *remote == busy))
            .count(),
        1
    );
    assert_eq!(agent.connection_count(), 0);
}

#[test]
fn frame_readers_cut_an_agents_stream() {
    // What a caller does with the bytes of a connection: frames of any
    // split go to the agent whole; an oversized one ends the stream.
    let now = Instant::now();
    let listener = addr("192.0.2.10:5000");
    let remote = addr("192.0.2.20:40000");
    let mut agent = agent(false, &[LocalSocket::tcp_passive(listener)], now);
    let update = ConnectionEvent::Accepted {
        local: listener,
        remote,
    };
    agent.handle_connection(now, update).unwrap();
    let mut stream = Vec::new();
    for id in 1..=3 {
        let request = check(&agent, id, false);
        stream.extend_from_slice(&rfc4571::header(request.len()).unwrap());
        stream.extend_from_slice(&request);
    }
    let mut reader = FrameReader::new();
    let mut handled = Vec::new();
    for piece in stream.chunks(7) {
        reader.push(piece).unwrap();
        while let Some(frame) = reader.next_frame().unwrap() {
            let result = agent.handle_receive(now, tcp(remote, listener, frame));
            handled.push(matches!(result, Ok(Handled::Request)));
        }
    }
    assert_eq!(handled, [true; 3]);
    let too_long = (MAX_FRAME_LEN as u16 + 1).to_be_bytes();
    assert!(reader.push(&too_long).is_err());
}

/// A scenario where both UDP and TCP work: one side behind a firewall that
/// lets UDP through to the TURN server only (so UDP goes through a relay),
/// the other public, both with TCP candidates.
fn udp_and_tcp(policy: TcpPolicy) -> Scenario {
    let mut configs = [config(true, 21), config(false, 22)];
    for config in &mut configs {
        config.stun_servers = vec![Scenario::STUN_SERVER];
        config.tcp_policy = policy;
    }
    Scenario::with_configs(
        21,
        Instant::now(),
        Link::default(),
        [
            Side {
                firewall: true,
                relay: true,
                ..Side::PUBLIC.with_tcp()
            },
            Side::PUBLIC.with_tcp(),
        ],
        configs,
    )
}

#[test]
fn udp_comes_first_unless_the_policy_says_otherwise() {
    // UDP first: the relayed UDP pair, though a direct TCP pair works.
    let mut first = udp_and_tcp(TcpPolicy::default());
    let outcome = first.run(Duration::from_secs(30));
    assert!(outcome.connected() && outcome.same_pair(), "{outcome:?}");
    assert_eq!(outcome.transports, [Some(Transport::Udp); 2]);
    assert_eq!(
        outcome.selected[0].map(|s| s.0),
        Some(CandidateType::Relayed)
    );
    // By priority, the direct TCP pair (host type preference) outranks the
    // relayed one (type preference 0).
    let mut by_priority = udp_and_tcp(TcpPolicy::ByPriority);
    let outcome = by_priority.run(Duration::from_secs(30));
    assert!(outcome.connected() && outcome.same_pair(), "{outcome:?}");
    assert_eq!(outcome.transports, [Some(Transport::Tcp); 2]);
}

#[test]
fn udp_blocked_connects_over_tcp_after_the_fallback() {
    for (a, b) in [
        (Side::UDP_BLOCKED, Side::PUBLIC.with_tcp()),
        (Side::UDP_BLOCKED, Side::behind(Nat::SYMMETRIC).with_tcp()),
        (Side::behind(Nat::FULL_CONE).with_tcp(), Side::UDP_BLOCKED),
    ] {
        let mut scenario = Scenario::new(3, Instant::now(), Link::default(), a, b);
        let outcome = scenario.run(Duration::from_secs(60));
        assert!(outcome.connected() && outcome.same_pair(), "{outcome:?}");
        assert_eq!(outcome.transports, [Some(Transport::Tcp); 2]);
        // The UDP checks were still under way: the TCP pair waited for the
        // fallback (1 s), not for them to fail (9.5 s).
        let connected = outcome.connected_after.iter().flatten().max().unwrap();
        assert!(
            (Duration::from_secs(1)..Duration::from_secs(2)).contains(connected),
            "{connected:?}"
        );
    }
}

#[test]
fn tcp_pairs_complete_keep_consent_and_close_what_they_do_not_use() {
    // Both sides public with UDP blocked: each can connect to the other,
    // so two TCP pairs succeed and one is selected.
    let mut scenario = Scenario::new(
        9,
        Instant::now(),
        Link::default(),
        Side::UDP_BLOCKED,
        Side::UDP_BLOCKED,
    );
    let outcome = scenario.run_until(Duration::from_secs(60), |s| {
        s.iter().all(|s| *s == ConnectionState::Completed)
    });
    assert!(outcome.same_pair(), "{outcome:?}");
    assert_eq!(outcome.transports, [Some(Transport::Tcp); 2]);
    let opened = scenario
        .log
        .iter()
        .filter(|(_, _, e)| matches!(e, Event::OpenConnection(_)))
        .count();
    assert_eq!(opened, 2);
    let closed = scenario
        .log
        .iter()
        .filter(|(_, _, e)| matches!(e, Event::CloseConnection { .. }))
        .count();
    assert!(closed >= 1, "the unused connection was closed");
    for agent in &scenario.agents {
        assert_eq!(agent.connection_count(), 1);
    }
    // Consent checks travel on the connection: a minute later nothing
    // changed.
    scenario.advance(Duration::from_secs(60));
    for agent in &scenario.agents {
        assert_eq!(agent.state(), ConnectionState::Completed);
        assert_eq!(agent.connection_count(), 1);
    }
}

#[test]
fn a_lite_agent_takes_connections() {
    let mut lite = config(false, 32);
    lite.lite = true;
    let mut full = config(true, 31);
    full.stun_servers = vec![Scenario::STUN_SERVER];
    let mut scenario = Scenario::with_configs(
        31,
        Instant::now(),
        Link::default(),
        [Side::UDP_BLOCKED, Side::PUBLIC.with_tcp()],
        [full, lite],
    );
    let outcome = scenario.run(Duration::from_secs(30));
    assert!(outcome.connected() && outcome.same_pair(), "{outcome:?}");
    assert_eq!(outcome.transports, [Some(Transport::Tcp); 2]);
}

#[test]
fn an_ice_restart_over_tcp_reconnects() {
    let mut scenario = Scenario::new(
        13,
        Instant::now(),
        Link::default(),
        Side::behind(Nat::SYMMETRIC).with_tcp(),
        Side::UDP_BLOCKED,
    );
    assert!(scenario.run(Duration::from_secs(30)).connected());
    let before = scenario.log.len();
    scenario.restart();
    scenario.advance(Duration::from_secs(15));
    let reselected = scenario.log[before..]
        .iter()
        .filter(|(_, _, e)| matches!(e, Event::SelectedPair { local, .. } if local.transport() == Transport::Tcp))
        .count();
    assert_eq!(reselected, 2, "both agents selected a new TCP pair");
    for agent in &scenario.agents {
        assert!(matches!(
            agent.state(),
            ConnectionState::Connected | ConnectionState::Completed
        ));
    }
}

#[test]
fn a_firewall_rule_between_two_hosts_leaves_them_tcp() {
    // Both public with TCP candidates; a rule drops UDP between them only
    // (each still reaches the STUN server).
    let mut scenario = Scenario::new(
        17,
        Instant::now(),
        Link::default(),
        Side::PUBLIC.with_tcp(),
        Side::PUBLIC.with_tcp(),
    );
    let ip = |agent: &Agent| {
        agent
            .local_candidates()
            .find_map(|c| c.socket_addr().filter(|_| c.transport() == Transport::Udp))
            .unwrap()
            .ip()
    };
    let (a, b) = (ip(&scenario.agents[0]), ip(&scenario.agents[1]));
    scenario.network.block_udp_between(a, b);
    let outcome = scenario.run_until(Duration::from_secs(60), |s| {
        s.iter().all(|s| *s == ConnectionState::Completed)
    });
    assert!(outcome.same_pair(), "{outcome:?}");
    assert_eq!(outcome.transports, [Some(Transport::Tcp); 2]);
    // Gathering was not held up: the STUN server answered both.
    assert!(scenario.log.iter().any(|(at, _, e)| matches!(e, Event::GatheringComplete)
        && *at < Duration::from_secs(1)));
}
