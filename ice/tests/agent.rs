//! The agent in the simulated network: roles and conflicts, nomination,
//! consent, restart, lite, two components, failure, and hostile input.

// The virtual clock starts at an arbitrary instant.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use sansrtc_ice::sim::{Link, Nat, Scenario, Side};
use sansrtc_ice::{
    Agent, Candidate, CandidateType, Config, ConnectionState, Error, Event, Handled, LocalSocket,
    MAX_PEER_REFLEXIVE, MAX_REMOTE_CANDIDATES, NominationPolicy, Receive, RecvError, Transport,
};
use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, TransactionId};

mod one_socket;

use one_socket::{
    REMOTE_PWD, REMOTE_UFRAG, agent_on_one_socket, agent_on_one_socket_without_credentials,
};

fn config(controlling: bool, seed: u64) -> Config {
    let mut config = Config::new(controlling);
    config.seed = Some(sansrtc_ice::seed_from_u64(seed));
    config.stun_servers = vec![Scenario::STUN_SERVER];
    config
}

fn scenario(configs: [Config; 2], sides: [Side; 2]) -> Scenario {
    Scenario::with_configs(7, Instant::now(), Link::default(), sides, configs)
}

fn is_up(state: ConnectionState) -> bool {
    matches!(
        state,
        ConnectionState::Connected | ConnectionState::Completed
    )
}

#[test]
fn role_conflict_resolves_both_ways() {
    for controlling in [true, false] {
        let mut s = scenario(
            [config(controlling, 1), config(controlling, 2)],
            [Side::PUBLIC, Side::behind(Nat::RESTRICTED_CONE)],
        );
        let outcome = s.run(Duration::from_secs(30));
        assert!(outcome.connected(), "{outcome:?}");
        assert!(outcome.same_pair(), "{outcome:?}");
        assert_ne!(
            s.agents[0].is_controlling(),
            s.agents[1].is_controlling(),
            "exactly one side ends controlling"
        );
        assert!(
            s.log
                .iter()
                .any(|(_, _, e)| matches!(e, Event::RoleChanged { .. })),
            "a role switched"
        );
    }
}

#[test]
fn nomination_does_not_wait_for_nothing() {
    // With one pair the best pair is known at once: nominated on success.
    for policy in [
        NominationPolicy::FirstValid,
        NominationPolicy::BestOrAfter(Duration::from_secs(1)),
    ] {
        let mut configs = [config(true, 1), config(false, 2)];
        configs[0].nomination = policy;
        let mut s = scenario(configs, [Side::PUBLIC, Side::PUBLIC]);
        let outcome = s.run(Duration::from_secs(30));
        assert!(outcome.connected());
        let t = outcome.connected_after.iter().flatten().max().unwrap();
        // Gathering slot, check, response, nominating check, response:
        // a few round trips of 40 ms, far from the 1 s wait.
        assert!(*t < Duration::from_millis(400), "{policy:?}: {t:?}");
    }
}

#[test]
fn best_or_after_waits_for_a_better_pair_first_valid_does_not() {
    // Behind a full-cone NAT the controlled side's srflx pair succeeds
    // while its (unreachable) host pair is still in progress.
    let run = |policy| {
        let mut configs = [config(true, 1), config(false, 2)];
        configs[0].nomination = policy;
        let mut s = scenario(configs, [Side::PUBLIC, Side::behind(Nat::FULL_CONE)]);
        let outcome = s.run(Duration::from_secs(30));
        assert!(outcome.connected(), "{outcome:?}");
        *outcome.connected_after.iter().flatten().max().unwrap()
    };
    let first = run(NominationPolicy::FirstValid);
    let waited = run(NominationPolicy::BestOrAfter(Duration::from_millis(300)));
    assert!(waited >= first, "{first:?} {waited:?}");
    assert!(
        waited < first + Duration::from_millis(400),
        "{first:?} {waited:?}"
    );
}

#[test]
fn consent_expiry_disconnects_then_fails() {
    let mut s = scenario(
        [config(true, 1), config(false, 2)],
        [Side::PUBLIC, Side::behind(Nat::FULL_CONE)],
    );
    assert!(s.run(Duration::from_secs(30)).connected());
    // Consent checks keep it up.
    s.advance(Duration::from_secs(60));
    assert!(is_up(s.agents[0].state()), "{:?}", s.agents[0].state());
    assert!(is_up(s.agents[1].state()));
    let cut = s.elapsed();
    s.network.set_link(Link {
        loss_permille: 1000,
        ..Link::default()
    });
    s.advance(Duration::from_secs(9));
    assert_eq!(s.agents[0].state(), ConnectionState::Disconnected);
    s.advance(Duration::from_secs(30));
    assert_eq!(s.agents[0].state(), ConnectionState::Failed);
    assert_eq!(s.agents[1].state(), ConnectionState::Failed);
    let failed_at = s
        .log
        .iter()
        .find(|(_, i, e)| *i == 0 && *e == Event::StateChanged(ConnectionState::Failed))
        .map(|(t, _, _)| *t)
        .unwrap();
    // 30 s after the last consent response, which came at most one consent
    // interval (6 s) before the cut.
    let after_cut = failed_at - cut;
    assert!(
        after_cut >= Duration::from_secs(24) && after_cut <= Duration::from_secs(30),
        "{after_cut:?}"
    );
    assert_eq!(
        s.agents[0].poll_timeout(),
        None,
        "a failed agent has no timers"
    );
}

#[test]
fn disconnected_recovers_when_consent_returns() {
    let mut s = scenario(
        [config(true, 1), config(false, 2)],
        [Side::PUBLIC, Side::PUBLIC],
    );
    assert!(s.run(Duration::from_secs(30)).connected());
    s.network.set_link(Link {
        loss_permille: 1000,
        ..Link::default()
    });
    s.advance(Duration::from_secs(12));
    assert_eq!(s.agents[0].state(), ConnectionState::Disconnected);
    s.network.set_link(Link::default());
    s.advance(Duration::from_secs(8));
    assert!(is_up(s.agents[0].state()), "{:?}", s.agents[0].state());
}

#[test]
fn restart_keeps_the_old_pair_until_a_new_one_is_selected() {
    let mut s = scenario(
        [config(true, 1), config(false, 2)],
        [
            Side::behind(Nat::FULL_CONE),
            Side::behind(Nat::RESTRICTED_CONE),
        ],
    );
    assert!(s.run(Duration::from_secs(30)).connected());
    let old = s.agents[0].local_credentials().clone();
    let selections_before = s
        .log
        .iter()
        .filter(|(_, _, e)| matches!(e, Event::SelectedPair { .. }))
        .count();
    s.restart();
    assert_ne!(*s.agents[0].local_credentials(), old);
    // Connected all along, and a new pair is selected on each side.
    for _ in 0..100 {
        s.advance(Duration::from_millis(100));
        assert!(is_up(s.agents[0].state()), "{:?}", s.agents[0].state());
        assert!(is_up(s.agents[1].state()), "{:?}", s.agents[1].state());
    }
    let selections_after = s
        .log
        .iter()
        .filter(|(_, _, e)| matches!(e, Event::SelectedPair { .. }))
        .count();
    assert_eq!(selections_after, selections_before + 2);
    s.advance(Duration::from_secs(60));
    assert!(is_up(s.agents[0].state()));
}

#[test]
fn full_agent_and_lite_agent() {
    let mut lite = config(false, 2);
    lite.lite = true;
    lite.stun_servers.clear();
    // A lite agent that believes it is controlling is still controlled.
    lite.controlling = true;
    let mut s = scenario(
        [config(false, 1), lite],
        [Side::behind(Nat::SYMMETRIC), Side::PUBLIC],
    );
    s.agents[0].set_remote_lite();
    assert!(s.agents[0].is_controlling());
    assert!(!s.agents[1].is_controlling());
    let outcome = s.run(Duration::from_secs(30));
    assert!(outcome.connected(), "{outcome:?}");
    assert!(outcome.same_pair(), "{outcome:?}");
    assert_eq!(s.agents[1].checks_sent(), 0, "lite agents never check");
    // The full agent's consent checks keep both up.
    s.advance(Duration::from_secs(120));
    assert!(is_up(s.agents[0].state()), "{:?}", s.agents[0].state());
    assert!(is_up(s.agents[1].state()), "{:?}", s.agents[1].state());
    assert_eq!(s.agents[1].checks_sent(), 0);
}

#[test]
fn two_components() {
    let mut configs = [config(true, 1), config(false, 2)];
    configs[0].components = 2;
    configs[1].components = 2;
    let mut s = scenario(
        configs,
        [Side::behind(Nat::FULL_CONE), Side::behind(Nat::SYMMETRIC)],
    );
    let outcome = s.run(Duration::from_secs(30));
    assert!(outcome.connected(), "{outcome:?}");
    for agent in &s.agents {
        let one = agent.selected_pair(1).unwrap();
        let two = agent.selected_pair(2).unwrap();
        assert_eq!(one.0.component(), 1);
        assert_eq!(two.0.component(), 2);
        assert_ne!(one.0.socket_addr(), two.0.socket_addr());
    }
}

#[test]
fn without_end_of_candidates_failure_comes_from_the_timeout() {
    let mut configs = [config(true, 1), config(false, 2)];
    configs[0].failure_timeout = Duration::from_secs(20);
    configs[1].failure_timeout = Duration::from_secs(20);
    let mut s = scenario(
        configs,
        [Side::behind(Nat::SYMMETRIC), Side::behind(Nat::SYMMETRIC)],
    );
    s.end_of_candidates = false;
    let outcome = s.run(Duration::from_secs(60));
    assert!(outcome.failed(), "{outcome:?}");
    for t in outcome.failed_after.iter().flatten() {
        assert!(
            *t >= Duration::from_secs(20) && *t < Duration::from_secs(21),
            "{t:?}"
        );
    }
}

fn agent_with_socket(controlling: bool) -> (Agent, SocketAddr, Instant) {
    let now = Instant::now();
    let (mut agent, address) = agent_on_one_socket(config(controlling, 3), now);
    while agent.poll_transmit().is_some() {}
    (agent, address, now)
}

fn check(local_ufrag: &str, pwd: &str, id: u8, priority: u32) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new([id; 12]),
    )
    .unwrap();
    b.add(&Attribute::Username(&format!(
        "{local_ufrag}:{REMOTE_UFRAG}"
    )))
    .unwrap()
    .add(&Attribute::Priority(priority))
    .unwrap()
    .add(&Attribute::IceControlled(1))
    .unwrap();
    b.add_message_integrity(pwd.as_bytes()).unwrap();
    b.add_fingerprint().unwrap();
    let len = b.finish();
    buf[..len].to_vec()
}

#[test]
fn garbage_and_unauthenticated_packets_change_nothing() {
    let (mut agent, address, now) = agent_with_socket(true);
    let source: SocketAddr = "198.51.100.99:1234".parse().unwrap();
    let ufrag = agent.local_credentials().ufrag().to_owned();
    let mut rng = sansrtc_ice::Rng::from_u64(99);
    let wrong_pwd = check(&ufrag, "wrongpasswordwrongpassword", 1, 100);
    let wrong_user = check("nobody", agent.local_credentials().pwd(), 2, 100);
    for i in 0..5000u32 {
        let mut bytes = vec![0u8; (i % 300) as usize];
        rng.fill(&mut bytes);
        if let Some(first) = bytes.first_mut() {
            *first &= 0x03;
        }
        let packets: [&[u8]; 3] = [&bytes, &wrong_pwd, &wrong_user];
        for packet in packets {
            let result = agent.handle_receive(
                now,
                Receive {
                    source,
                    destination: address,
                    transport: Transport::Udp,
                    contents: packet,
                },
            );
            assert!(result.is_err());
        }
    }
    // The unauthenticated checks are refused with 401 (RFC 8489 §9.1.3),
    // unsigned, and only up to the rate limit: the rest of the flood gets
    // nothing.
    let answers: Vec<_> = core::iter::from_fn(|| agent.poll_transmit()).collect();
    assert_eq!(
        answers.len(),
        sansrtc_ice::MAX_UNAUTHENTICATED_ANSWERS as usize
    );
    for answer in &answers {
        assert_eq!(answer.destination, source);
        let message = sansrtc_stun::Message::parse(&answer.contents).unwrap();
        assert_eq!(message.class(), Class::ErrorResponse);
        assert_eq!(message.error_code().unwrap().code, 401);
        assert!(!message.has_integrity());
    }
    assert_eq!(agent.poll_event(), None);
    assert_eq!(agent.remote_candidates().count(), 0);
    assert_eq!(agent.pair_count(), 0);
    assert_eq!(agent.state(), ConnectionState::New);
    let unknown_socket = agent.handle_receive(
        now,
        Receive {
            source,
            destination: "192.0.2.99:1".parse().unwrap(),
            transport: Transport::Udp,
            contents: &wrong_pwd,
        },
    );
    assert_eq!(unknown_socket, Ok(Handled::NotMine));
}

#[test]
fn peer_reflexive_candidates_are_capped() {
    let (mut agent, address, now) = agent_with_socket(true);
    let ufrag = agent.local_credentials().ufrag().to_owned();
    let pwd = agent.local_credentials().pwd().to_owned();
    for i in 0..200u16 {
        let source = SocketAddr::new("198.51.100.7".parse().unwrap(), 1000 + i);
        let packet = check(&ufrag, &pwd, (i % 250) as u8, 1000);
        let handled = agent.handle_receive(
            now,
            Receive {
                source,
                destination: address,
                transport: Transport::Udp,
                contents: &packet,
            },
        );
        assert!(handled.is_ok(), "{handled:?}");
    }
    assert_eq!(agent.remote_candidates().count(), MAX_PEER_REFLEXIVE);
    assert!(
        agent
            .remote_candidates()
            .all(|c| c.kind() == CandidateType::PeerReflexive)
    );
    assert!(agent.pair_count() <= MAX_PEER_REFLEXIVE);
}

#[test]
fn remote_candidates_and_pairs_are_capped() {
    let (mut agent, _, _) = agent_with_socket(true);
    let mut accepted = 0;
    for i in 0..200u16 {
        let line = format!(
            "candidate:{i} 1 udp {} 203.0.113.5 {} typ host",
            1000 + u32::from(i),
            2000 + i
        );
        match agent.add_remote_candidate(line.parse().unwrap()) {
            Ok(()) => accepted += 1,
            Err(e) => assert_eq!(e, Error::TooMany("remote candidates")),
        }
    }
    assert_eq!(accepted, MAX_REMOTE_CANDIDATES);
    assert!(agent.pair_count() <= sansrtc_ice::DEFAULT_MAX_PAIRS);
    // TCP candidates count against the same cap; without a tcptype
    // (RFC 6544 §4.5) they are refused outright.
    let tcp: Candidate = "candidate:1 1 tcp 1 203.0.113.5 9 typ host tcptype active"
        .parse()
        .unwrap();
    assert_eq!(
        agent.add_remote_candidate(tcp),
        Err(Error::TooMany("remote candidates"))
    );
    let untyped: Candidate = "candidate:1 1 tcp 1 203.0.113.5 9 typ host"
        .parse()
        .unwrap();
    assert_eq!(
        agent.add_remote_candidate(untyped),
        Err(Error::UnsupportedTransport)
    );
    let component: Candidate = "candidate:1 2 udp 1 203.0.113.5 9 typ host"
        .parse()
        .unwrap();
    assert_eq!(
        agent.add_remote_candidate(component),
        Err(Error::Component(2))
    );
}

#[test]
fn mdns_candidates_are_resolved_by_the_caller() {
    let (mut agent, _, _) = agent_with_socket(true);
    let candidate: Candidate =
        "candidate:1 1 udp 2113937151 0d5a4a8b-2f1c-4a7e-9e0b-6c1a2b3c4d5e.local 54400 typ host"
            .parse()
            .unwrap();
    agent.add_remote_candidate(candidate.clone()).unwrap();
    agent.add_remote_candidate(candidate).unwrap();
    let name = "0d5a4a8b-2f1c-4a7e-9e0b-6c1a2b3c4d5e.local";
    assert_eq!(agent.poll_event(), Some(Event::ResolveName(name.into())));
    assert_eq!(agent.poll_event(), None, "one question per name");
    assert_eq!(agent.pair_count(), 0);
    agent
        .resolve_name(name, Some("192.0.2.44".parse().unwrap()))
        .unwrap();
    assert_eq!(agent.pair_count(), 1);
    let remote = agent.remote_candidates().next().unwrap();
    assert_eq!(
        remote.socket_addr(),
        Some("192.0.2.44:54400".parse().unwrap())
    );
    assert_eq!(agent.resolve_name(name, None), Err(Error::UnknownName));
}

#[test]
fn closed_agent_refuses_everything() {
    let (mut agent, address, now) = agent_with_socket(true);
    agent.close();
    assert_eq!(agent.state(), ConnectionState::Closed);
    assert_eq!(agent.poll_timeout(), None);
    let candidate: Candidate = "candidate:1 1 udp 1 203.0.113.5 9 typ host"
        .parse()
        .unwrap();
    assert_eq!(agent.add_remote_candidate(candidate), Err(Error::Closed));
    let r = agent.handle_receive(
        now,
        Receive {
            source: address,
            destination: address,
            transport: Transport::Udp,
            contents: &[0, 1, 0, 0],
        },
    );
    assert_eq!(r, Err(RecvError::Closed));
}

/// Two agents wired directly (every address reaches every other), driven
/// to completion; returns them.
fn direct(sockets: [&[&str]; 2], setup: impl FnOnce(&mut [Agent; 2])) -> [Agent; 2] {
    let mut now = Instant::now();
    let mut agents = [
        Agent::new(config(true, 11), now),
        Agent::new(config(false, 12), now),
    ];
    let credentials = [
        agents[0].local_credentials().clone(),
        agents[1].local_credentials().clone(),
    ];
    for i in 0..2 {
        let other = &credentials[1 - i];
        agents[i]
            .set_remote_credentials(other.ufrag(), other.pwd())
            .unwrap();
        for address in sockets[i] {
            agents[i]
                .add_local_socket(LocalSocket::udp(address.parse().unwrap()))
                .unwrap();
        }
    }
    setup(&mut agents);
    for _ in 0..10_000 {
        for i in 0..2 {
            while let Some(event) = agents[i].poll_event() {
                match event {
                    Event::LocalCandidate(c) => agents[1 - i].add_remote_candidate(c).unwrap(),
                    Event::GatheringComplete => agents[1 - i].end_of_remote_candidates(),
                    _ => {}
                }
            }
            while let Some(t) = agents[i].poll_transmit() {
                // No STUN server here: its requests vanish.
                let _ = agents[1 - i].handle_receive(
                    now,
                    Receive {
                        source: t.source,
                        destination: t.destination,
                        transport: t.transport,
                        contents: &t.contents,
                    },
                );
            }
        }
        if agents
            .iter()
            .all(|a| a.state() == ConnectionState::Completed)
        {
            break;
        }
        let Some(next) = agents.iter().filter_map(Agent::poll_timeout).min() else {
            break;
        };
        now = now.max(next);
        for agent in &mut agents {
            agent.handle_timeout(now);
        }
    }
    agents
}

#[test]
fn dual_stack_prefers_ipv6_and_completes() {
    let agents = direct(
        [
            &["192.0.2.1:5000", "[2001:db8::1]:5000"],
            &["192.0.2.2:5000", "[2001:db8::2]:5000"],
        ],
        |_| {},
    );
    for agent in &agents {
        assert_eq!(agent.state(), ConnectionState::Completed);
        let (local, remote) = agent.selected_pair(1).unwrap();
        assert!(local.socket_addr().unwrap().is_ipv6(), "{local}");
        assert!(remote.socket_addr().unwrap().is_ipv6(), "{remote}");
        assert_eq!(local.kind(), CandidateType::Host);
    }
    // Only same-family pairs: 1 IPv4 pair and 1 IPv6 pair.
    assert!(agents[0].pair_count() <= 2);
}

#[test]
fn relayed_candidates_slot_in() {
    let relayed: SocketAddr = "203.0.113.50:49152".parse().unwrap();
    let agents = direct([&[], &["192.0.2.2:5000"]], |agents| {
        agents[0]
            .add_relayed_candidate(
                relayed,
                "198.51.100.9:40000".parse().unwrap(),
                "203.0.113.50:3478".parse().unwrap(),
                1,
            )
            .unwrap();
    });
    assert_eq!(agents[0].state(), ConnectionState::Completed);
    let (local, remote) = agents[0].selected_pair(1).unwrap();
    assert_eq!(local.kind(), CandidateType::Relayed);
    assert_eq!(local.socket_addr(), Some(relayed));
    assert_eq!(remote.kind(), CandidateType::Host);
    let (_, remote) = agents[1].selected_pair(1).unwrap();
    assert_eq!(remote.kind(), CandidateType::Relayed);
}

fn stun(
    class: Class,
    id: TransactionId,
    add: impl FnOnce(&mut MessageBuilder<'_>),
    key: &str,
) -> Vec<u8> {
    let mut buf = [0u8; 512];
    let mut b = MessageBuilder::new(&mut buf, class, Method::BINDING, id).unwrap();
    add(&mut b);
    b.add_message_integrity(key.as_bytes()).unwrap();
    b.add_fingerprint().unwrap();
    let len = b.finish();
    buf[..len].to_vec()
}

#[test]
fn aggressive_nomination_from_an_old_peer_is_accepted() {
    // A controlled agent, and a hand-written old controlling peer that puts
    // USE-CANDIDATE on every check.
    let (mut agent, local, now) = agent_with_socket(false);
    let (ufrag, pwd) = (
        agent.local_credentials().ufrag().to_owned(),
        agent.local_credentials().pwd().to_owned(),
    );
    let peer_pwd = REMOTE_PWD;
    let low: SocketAddr = "198.51.100.20:6000".parse().unwrap();
    let high: SocketAddr = "198.51.100.21:6000".parse().unwrap();
    let line = format!(
        "candidate:1 1 udp 1000 {} {} typ host",
        low.ip(),
        low.port()
    );
    agent.add_remote_candidate(line.parse().unwrap()).unwrap();
    let peer_check = |id: u8, priority: u32| {
        stun(
            Class::Request,
            TransactionId::new([id; 12]),
            |b| {
                b.add(&Attribute::Username(&format!("{ufrag}:{REMOTE_UFRAG}")))
                    .unwrap()
                    .add(&Attribute::Priority(priority))
                    .unwrap()
                    .add(&Attribute::IceControlling(7))
                    .unwrap()
                    .add(&Attribute::UseCandidate)
                    .unwrap();
            },
            &pwd,
        )
    };
    // Answers every check the agent sent to `peer` (as the peer would).
    let answer_all = |agent: &mut Agent, now| {
        let mut selected = Vec::new();
        for step in 0..10u32 {
            let now = now + Duration::from_millis(60) * step;
            agent.handle_timeout(now);
            while let Some(t) = agent.poll_transmit() {
                let request = sansrtc_stun::Message::parse(&t.contents).unwrap();
                if request.class() != Class::Request {
                    continue;
                }
                if request.username().is_none() {
                    // A request to the STUN server: left unanswered.
                    continue;
                }
                assert!(request.ice_controlled().is_some());
                let response = stun(
                    Class::SuccessResponse,
                    request.transaction_id(),
                    |b| {
                        b.add(&Attribute::XorMappedAddress(t.source)).unwrap();
                    },
                    peer_pwd,
                );
                let _ = agent.handle_receive(
                    now,
                    Receive {
                        source: t.destination,
                        destination: t.source,
                        transport: Transport::Udp,
                        contents: &response,
                    },
                );
            }
            while let Some(event) = agent.poll_event() {
                if let Event::SelectedPair { remote_address, .. } = event {
                    selected.push(remote_address);
                }
            }
        }
        selected
    };
    let receive = |agent: &mut Agent, source, bytes: &[u8]| {
        agent
            .handle_receive(
                now,
                Receive {
                    source,
                    destination: local,
                    transport: Transport::Udp,
                    contents: bytes,
                },
            )
            .unwrap();
    };
    // The agent's own check on the signaled pair succeeds; the peer's
    // nominating check selects it.
    assert!(answer_all(&mut agent, now).is_empty());
    receive(&mut agent, low, &peer_check(1, 1000));
    assert_eq!(answer_all(&mut agent, now), vec![low]);
    assert_eq!(agent.state(), ConnectionState::Connected);
    // A better pair, learned from a nominating check (peer-reflexive):
    // selected once the agent's triggered check on it succeeds.
    receive(&mut agent, high, &peer_check(2, 2000));
    assert_eq!(answer_all(&mut agent, now), vec![high]);
    let (_, remote) = agent.selected_pair(1).unwrap();
    assert_eq!(remote.kind(), CandidateType::PeerReflexive);
    // A worse nominated pair does not replace it.
    let worse: SocketAddr = "198.51.100.22:6000".parse().unwrap();
    receive(&mut agent, worse, &peer_check(3, 10));
    assert!(answer_all(&mut agent, now).is_empty());
    assert_eq!(agent.selected_pair(1).unwrap().1.socket_addr(), Some(high));
}

#[test]
fn extreme_configuration_does_not_overflow() {
    let mut configs = [config(true, 1), config(false, 2)];
    for c in &mut configs {
        c.ta = Duration::MAX;
        c.initial_rto = Duration::MAX;
        c.max_rto = Duration::ZERO;
        c.max_transmissions = u32::MAX;
        c.failure_timeout = Duration::MAX;
        c.consent_interval = Duration::MAX;
        c.consent_timeout = Duration::MAX;
        c.disconnected_timeout = Duration::MAX;
        c.nomination = NominationPolicy::BestOrAfter(Duration::MAX);
        c.max_pairs = usize::MAX;
    }
    let mut s = scenario(configs, [Side::PUBLIC, Side::PUBLIC]);
    s.advance(Duration::from_secs(3 * 86_400));
    let _ = s.outcome();
}

#[test]
fn mdns_hidden_hosts_connect() {
    let mdns = Side {
        mdns: true,
        ..Side::PUBLIC
    };
    let mut s = scenario([config(true, 1), config(false, 2)], [mdns, mdns]);
    let outcome = s.run(Duration::from_secs(30));
    assert!(outcome.connected(), "{outcome:?}");
    assert!(outcome.same_pair(), "{outcome:?}");
    for agent in &s.agents {
        let (local, remote) = agent.selected_pair(1).unwrap();
        // Our host candidate keeps its name; the peer's host, whose name
        // does not resolve here, is reached through its server-reflexive
        // candidate (not redundant, since the host address is hidden) or
        // learned from its checks.
        assert!(local.address().is_mdns(), "{local}");
        assert_eq!(local.kind(), CandidateType::Host);
        assert!(
            matches!(
                remote.kind(),
                CandidateType::ServerReflexive | CandidateType::PeerReflexive
            ),
            "{remote}"
        );
    }
    // No announced host candidate carries an IP address, and no
    // server-reflexive one names the host in its related address.
    for (_, _, event) in &s.log {
        if let Event::LocalCandidate(c) = event {
            match c.kind() {
                CandidateType::Host => assert!(c.address().is_mdns(), "{c}"),
                _ => assert!(c.to_string().ends_with("raddr 0.0.0.0 rport 0"), "{c}"),
            }
        }
    }
}

#[test]
fn mdns_names_hide_the_related_address_of_srflx() {
    let mdns = Side {
        mdns: true,
        ..Side::behind(Nat::FULL_CONE)
    };
    let mut s = scenario([config(true, 1), config(false, 2)], [mdns, Side::PUBLIC]);
    assert!(s.run(Duration::from_secs(30)).connected());
    let srflx = s
        .log
        .iter()
        .find_map(|(_, i, e)| match e {
            Event::LocalCandidate(c) if *i == 0 && c.kind() == CandidateType::ServerReflexive => {
                Some(c.clone())
            }
            _ => None,
        })
        .unwrap();
    assert!(
        srflx.to_string().ends_with("raddr 0.0.0.0 rport 0"),
        "{srflx}"
    );
    let (mut agent, _, _) = agent_with_socket(true);
    let socket = LocalSocket::udp("192.0.2.11:5000".parse().unwrap());
    assert!(matches!(
        agent.add_local_socket_with_name(socket, "not-mdns.example"),
        Err(Error::Name(_))
    ));
    assert!(matches!(
        agent.add_local_socket_with_name(socket, "bad name.local"),
        Err(Error::Name(_))
    ));
    agent
        .add_local_socket_with_name(socket, "0d5a4a8b-2f1c-4a7e.local")
        .unwrap();
}

#[test]
fn nothing_to_check_after_end_of_candidates_fails() {
    let (mut agent, _, mut now) = agent_with_socket(true);
    agent.end_of_remote_candidates();
    for _ in 0..100 {
        let Some(next) = agent.poll_timeout() else {
            break;
        };
        now = now.max(next);
        agent.handle_timeout(now);
        while agent.poll_transmit().is_some() {}
    }
    assert_eq!(agent.state(), ConnectionState::Failed);
    assert_eq!(agent.poll_timeout(), None);
}

#[test]
fn pairs_show_states_and_the_nominated_pair() {
    let mut s = scenario(
        [config(true, 1), config(false, 2)],
        [Side::behind(Nat::FULL_CONE), Side::behind(Nat::SYMMETRIC)],
    );
    assert!(s.run(Duration::from_secs(30)).connected());
    for agent in &s.agents {
        let pairs: Vec<_> = agent.pairs().collect();
        assert!(!pairs.is_empty());
        assert!(pairs.windows(2).all(|w| w[0].priority >= w[1].priority));
        let (local, remote) = agent.selected_pair(1).unwrap();
        let nominated = pairs.iter().find(|p| p.nominated).unwrap();
        assert_eq!(nominated.state, sansrtc_ice::PairState::Succeeded);
        assert!(nominated.valid);
        assert_eq!(nominated.local, local);
        assert_eq!(nominated.remote, remote);
    }
}

#[test]
fn a_relay_connects_where_no_direct_path_exists() {
    let firewalled = Side {
        firewall: true,
        relay: true,
        ..Side::PUBLIC
    };
    let symmetric = Side {
        relay: true,
        ..Side::behind(Nat::SYMMETRIC)
    };
    let cases = [
        (firewalled, Side::PUBLIC),
        (Side::behind(Nat::SYMMETRIC), symmetric),
        (firewalled, firewalled),
    ];
    for (a, b) in cases {
        let mut s = scenario([config(true, 1), config(false, 2)], [a, b]);
        let outcome = s.run(Duration::from_secs(60));
        assert!(outcome.connected(), "{a:?} {b:?}: {outcome:?}");
        assert!(outcome.same_pair(), "{outcome:?}");
        for (i, side) in [a, b].into_iter().enumerate() {
            let (local, _) = s.agents[i].selected_pair(1).unwrap();
            if side.relay {
                assert_eq!(local.kind(), CandidateType::Relayed, "{a:?} {b:?}");
            }
        }
    }
    // Without the relay, the same firewall fails.
    let mut s = scenario(
        [config(true, 1), config(false, 2)],
        [
            Side {
                relay: false,
                ..firewalled
            },
            Side::PUBLIC,
        ],
    );
    assert!(s.run(Duration::from_secs(60)).failed());
}

/// A lite agent offers; the full peer answers and nominates at once, so its
/// USE-CANDIDATE check can arrive before its answer (seen with our example
/// peers). The pair is selected when the credentials arrive, and the agent
/// is then connected, not left selected but in `checking`.
#[test]
fn a_lite_agent_nominated_before_the_answer_connects_when_it_arrives() {
    let now = Instant::now();
    let (mut agent, local) = agent_on_one_socket_without_credentials(
        {
            let mut config = Config::new(false);
            config.lite = true;
            config.seed = Some(sansrtc_ice::seed_from_u64(5));
            config
        },
        now,
    );
    let (ufrag, pwd) = (
        agent.local_credentials().ufrag().to_owned(),
        agent.local_credentials().pwd().to_owned(),
    );
    let peer: SocketAddr = "198.51.100.20:6000".parse().unwrap();
    // A check from the controlling peer, nominating or not.
    let controlling_check = |id: u8, use_candidate: bool| {
        stun(
            Class::Request,
            TransactionId::new([id; 12]),
            |b| {
                b.add(&Attribute::Username(&format!("{ufrag}:{REMOTE_UFRAG}")))
                    .unwrap()
                    .add(&Attribute::Priority(1_845_501_695))
                    .unwrap()
                    .add(&Attribute::IceControlling(7))
                    .unwrap();
                if use_candidate {
                    b.add(&Attribute::UseCandidate).unwrap();
                }
            },
            &pwd,
        )
    };
    let receive = |agent: &mut Agent, at: Instant, bytes: &[u8]| {
        agent
            .handle_receive(
                at,
                Receive {
                    source: peer,
                    destination: local,
                    transport: Transport::Udp,
                    contents: bytes,
                },
            )
            .unwrap();
    };
    receive(&mut agent, now, &controlling_check(9, true));
    let response = agent.poll_transmit().unwrap();
    assert_eq!(response.destination, peer);
    let events: Vec<Event> = core::iter::from_fn(|| agent.poll_event()).collect();
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, Event::SelectedPair { .. })),
        "{events:?}"
    );
    assert!(agent.selected_pair(1).is_none());
    assert!(!is_up(agent.state()));

    agent
        .set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD)
        .unwrap();
    let events: Vec<Event> = core::iter::from_fn(|| agent.poll_event()).collect();
    assert!(
        events.iter().any(|e| matches!(
            e,
            Event::SelectedPair { remote_address, .. } if *remote_address == peer
        )),
        "{events:?}"
    );
    assert_eq!(agent.state(), ConnectionState::Connected);
    assert_eq!(agent.selected_pair(1).unwrap().1.socket_addr(), Some(peer));
    // It stays up on the peer's consent checks (no USE-CANDIDATE now).
    let later = now + Duration::from_secs(6);
    agent.handle_timeout(later);
    receive(&mut agent, later, &controlling_check(10, false));
    agent.handle_timeout(later + Duration::from_secs(4));
    assert!(is_up(agent.state()), "{:?}", agent.state());
}

/// The first connectivity check of an agent built from `config`, towards
/// one remote host candidate: its transaction id and ICE-CONTROLLING
/// tie-breaker.
fn first_check(config: Config) -> (TransactionId, u64, String, String) {
    let now = Instant::now();
    let mut agent = Agent::new(config, now);
    agent
        .add_local_socket(LocalSocket::udp("192.0.2.10:5000".parse().unwrap()))
        .unwrap();
    agent
        .set_remote_credentials("rmte", "remotepasswordof22chars0")
        .unwrap();
    agent
        .add_remote_candidate(
            "candidate:1 1 udp 2130706431 192.0.2.20 6000 typ host"
                .parse()
                .unwrap(),
        )
        .unwrap();
    let mut deadline = now;
    for _ in 0..20 {
        agent.handle_timeout(deadline);
        while let Some(transmit) = agent.poll_transmit() {
            let message = sansrtc_stun::Message::parse(&transmit.contents).unwrap();
            if message.class() == Class::Request && message.username().is_some() {
                let tie_breaker = message
                    .attributes()
                    .find_map(|a| match a {
                        Attribute::IceControlling(value) => Some(value),
                        _ => None,
                    })
                    .unwrap();
                let credentials = agent.local_credentials();
                return (
                    message.transaction_id(),
                    tie_breaker,
                    credentials.ufrag().to_owned(),
                    credentials.pwd().to_owned(),
                );
            }
        }
        deadline = agent.poll_timeout().unwrap_or(deadline);
    }
    panic!("no check sent");
}

#[test]
fn default_agents_share_no_secret() {
    // `Config::default()` seeds from the operating system: two agents never
    // share credentials, tie-breakers or transaction ids.
    let a = first_check(Config::default());
    let b = first_check(Config::default());
    assert_ne!(a.0, b.0, "transaction ids");
    assert_ne!(a.1, b.1, "tie-breakers");
    assert_ne!(a.2, b.2, "ufrags");
    assert_ne!(a.3, b.3, "passwords");
    // A password of 24 characters of a 64-letter alphabet: 144 bits.
    assert_eq!(a.3.len(), 24);
    // An explicit seed reproduces all of it.
    let seeded = || {
        first_check({
            let mut config = Config::new(true);
            config.seed = Some([9; 32]);
            config
        })
    };
    assert_eq!(seeded(), seeded());
}

#[test]
fn the_same_seed_reproduces_a_simulated_run_byte_for_byte() {
    let start = Instant::now();
    let run = |seed: u64| {
        let link = Link {
            loss_permille: 50,
            ..Link::default()
        };
        let mut scenario = Scenario::new(
            seed,
            start,
            link,
            Side::behind(Nat::RESTRICTED_CONE),
            Side::PUBLIC,
        );
        scenario.network.transcript = Some(Vec::new());
        let outcome = scenario.run(Duration::from_secs(20));
        assert!(outcome.connected(), "{outcome:?}");
        scenario.network.transcript.take().unwrap()
    };
    let first = run(11);
    assert!(first.len() > 10);
    assert_eq!(first, run(11));
    assert_ne!(first, run(12));
}

/// A check like [`check`] with extra attributes, and with or without
/// USERNAME and MESSAGE-INTEGRITY.
fn check_with(
    local_ufrag: &str,
    pwd: &str,
    username: bool,
    integrity: bool,
    extra: &[Attribute<'_>],
) -> Vec<u8> {
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new([42; 12]),
    )
    .unwrap();
    let name = format!("{local_ufrag}:{REMOTE_UFRAG}");
    if username {
        b.add(&Attribute::Username(&name)).unwrap();
    }
    b.add(&Attribute::Priority(100))
        .unwrap()
        .add(&Attribute::IceControlled(1))
        .unwrap();
    for attribute in extra {
        b.add(attribute).unwrap();
    }
    if integrity {
        b.add_message_integrity(pwd.as_bytes()).unwrap();
    }
    b.add_fingerprint().unwrap();
    let len = b.finish();
    buf[..len].to_vec()
}

/// The agent's one answer to `packet`: its error code (`None` for a
/// success) and whether it carries MESSAGE-INTEGRITY.
fn answer_to(
    agent: &mut Agent,
    address: SocketAddr,
    now: Instant,
    packet: &[u8],
) -> (Option<u16>, bool) {
    let source: SocketAddr = "198.51.100.20:4000".parse().unwrap();
    let _ = agent.handle_receive(
        now,
        Receive {
            source,
            destination: address,
            transport: Transport::Udp,
            contents: packet,
        },
    );
    let answer = agent
        .poll_transmit()
        .filter(|t| t.destination == source)
        .expect("an answer");
    let message = sansrtc_stun::Message::parse(&answer.contents).unwrap();
    assert_eq!(message.transaction_id(), TransactionId::new([42; 12]));
    (
        message.error_code().map(|e| e.code),
        message.has_integrity(),
    )
}

#[test]
fn checks_that_do_not_authenticate_get_400_or_401() {
    let (mut agent, address, now) = agent_with_socket(true);
    let ufrag = agent.local_credentials().ufrag().to_owned();
    let pwd = agent.local_credentials().pwd().to_owned();
    // RFC 8489 §9.1.3: no USERNAME or no MESSAGE-INTEGRITY is a bad
    // request; a USERNAME that is not ours or a wrong MESSAGE-INTEGRITY is
    // unauthenticated. None of these answers can be signed.
    let cases = [
        (check_with(&ufrag, &pwd, false, true, &[]), 400),
        (check_with(&ufrag, &pwd, true, false, &[]), 400),
        (check_with("nobody", &pwd, true, true, &[]), 401),
        (
            check_with(&ufrag, "wrongpasswordwrongpassword", true, true, &[]),
            401,
        ),
    ];
    for (packet, code) in cases {
        assert_eq!(
            answer_to(&mut agent, address, now, &packet),
            (Some(code), false)
        );
        assert!(agent.poll_transmit().is_none(), "no triggered check");
    }
    assert_eq!(agent.remote_candidates().count(), 0);
}

#[test]
fn unknown_comprehension_required_attributes_get_420() {
    let (mut agent, address, now) = agent_with_socket(true);
    let ufrag = agent.local_credentials().ufrag().to_owned();
    let pwd = agent.local_credentials().pwd().to_owned();
    let unknown = Attribute::Unknown {
        kind: sansrtc_stun::AttributeType(0x7FF0),
        value: b"????",
    };
    let packet = check_with(&ufrag, &pwd, true, true, &[unknown]);
    // Authenticated, so the 420 is signed; the check is not acted on.
    assert_eq!(
        answer_to(&mut agent, address, now, &packet),
        (Some(420), true)
    );
    assert!(agent.poll_transmit().is_none());
    assert_eq!(agent.remote_candidates().count(), 0);
    // The same check without it succeeds.
    let packet = check_with(&ufrag, &pwd, true, true, &[]);
    assert_eq!(answer_to(&mut agent, address, now, &packet), (None, true));
}

#[test]
fn packets_are_routed_to_their_agent_by_ufrag() {
    let (agent_a, address, now) = agent_with_socket(true);
    let (agent_b, _) = agent_on_one_socket(config(false, 4), now);
    let ufrag_a = agent_a.local_credentials().ufrag().to_owned();
    let packet = check(&ufrag_a, agent_a.local_credentials().pwd(), 1, 1);
    assert_eq!(sansrtc_ice::local_ufrag(&packet), Some(ufrag_a.as_str()));
    let receive = Receive {
        source: "198.51.100.20:4000".parse().unwrap(),
        destination: address,
        transport: Transport::Udp,
        contents: &packet,
    };
    assert!(agent_a.accepts(&receive));
    assert!(!agent_b.accepts(&receive));
    // Application data is routed by addresses, not by the agents.
    let data = Receive {
        contents: b"\x80\x60rtp",
        ..receive
    };
    assert!(!agent_a.accepts(&data));
    assert_eq!(sansrtc_ice::local_ufrag(b"\x80\x60rtp"), None);
}

#[test]
fn data_on_a_socket_comes_back_borrowed_and_undrained_queues_are_counted() {
    let (mut agent, address, now) = agent_with_socket(true);
    let source: SocketAddr = "198.51.100.20:4000".parse().unwrap();
    let datagram = [22u8, 0xfe, 0xfd, 0, 0];
    let handled = agent
        .handle_receive(
            now,
            Receive {
                source,
                destination: address,
                transport: Transport::Udp,
                contents: &datagram,
            },
        )
        .unwrap();
    let Handled::Data(data) = handled else {
        panic!("{handled:?}");
    };
    assert_eq!(
        (data.component, data.local, data.remote),
        (1, address, source)
    );
    assert!(core::ptr::eq(data.contents, &datagram[..]));
    // Nobody drains: the flood of checks is answered up to the queue's
    // bound, and what did not fit is counted.
    let ufrag = agent.local_credentials().ufrag().to_owned();
    let pwd = agent.local_credentials().pwd().to_owned();
    for i in 0..(sansrtc_ice::MAX_QUEUED_TRANSMITS + 50) {
        let packet = check(&ufrag, &pwd, (i % 200) as u8, 100);
        let _ = agent.handle_receive(
            now,
            Receive {
                source,
                destination: address,
                transport: Transport::Udp,
                contents: &packet,
            },
        );
    }
    assert!(agent.overflow().transmits > 0, "{:?}", agent.overflow());
    let queued = core::iter::from_fn(|| agent.poll_transmit()).count();
    assert_eq!(queued, sansrtc_ice::MAX_QUEUED_TRANSMITS);
}
