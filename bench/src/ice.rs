//! ICE: an ICE-lite agent handles one connectivity check (parse, checks of
//! USERNAME, MESSAGE-INTEGRITY and FINGERPRINT, pair lookup) and writes its
//! signed success response, as an SFU does for every check. sansrtc's
//! agent and `is` (str0m's ICE agent), each fed the same kind of check.

// The agents take the time from the caller; a benchmark reads the clock
// once to have one.
#![allow(clippy::disallowed_methods)]

use core::hint::black_box;
use core::net::SocketAddr;
use std::time::Instant;

use sansrtc_ice::{Agent, Config, LocalSocket, Receive, Transport};
use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, TransactionId};

use crate::{Case, Role};

const GROUP: &str = "ice_lite_check_and_response";
const REMOTE_UFRAG: &str = "rEmO";
const REMOTE_PWD: &str = "remotepasswordremotepassword";
const LOCAL: &str = "192.0.2.10:5000";
const SOURCE: &str = "198.51.100.7:40000";

fn address(text: &str) -> SocketAddr {
    text.parse().expect("an address")
}

/// A Chromium-like check: USERNAME, PRIORITY, ICE-CONTROLLING,
/// USE-CANDIDATE, MESSAGE-INTEGRITY (the receiver's password),
/// FINGERPRINT.
fn check(local_ufrag: &str, local_pwd: &str) -> Vec<u8> {
    let username = format!("{local_ufrag}:{REMOTE_UFRAG}");
    let mut buf = [0u8; 256];
    let mut builder = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new(*b"0123456789ab"),
    )
    .expect("buffer for the header");
    builder
        .add(&Attribute::Username(&username))
        .and_then(|b| b.add(&Attribute::Priority(1_845_501_695)))
        .and_then(|b| b.add(&Attribute::IceControlling(42)))
        .and_then(|b| b.add(&Attribute::UseCandidate))
        .and_then(|b| b.add_message_integrity(local_pwd.as_bytes()))
        .and_then(|b| b.add_fingerprint())
        .expect("buffer for the check");
    let len = builder.finish();
    buf.get(..len).expect("written").to_vec()
}

/// sansrtc's ICE-lite agent with one host socket and the remote
/// credentials, and a check for it.
fn sansrtc_agent(now: Instant) -> (Agent, Vec<u8>) {
    let mut agent = Agent::new(
        {
            let mut config = Config::new(true);
            config.lite = true;
            config.seed = Some(sansrtc_ice::seed_from_u64(1));
            config
        },
        now,
    );
    agent
        .add_local_socket(LocalSocket::udp(address(LOCAL)))
        .expect("a local socket");
    agent
        .set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD)
        .expect("credentials");
    while agent.poll_event().is_some() {}
    let local = agent.local_credentials();
    let request = check(local.ufrag(), local.pwd());
    (agent, request)
}

/// `is`'s ICE-lite agent, set up the same way.
fn is_agent() -> (is::IceAgent, Vec<u8>) {
    let local = is::IceCreds {
        ufrag: "lOcA".to_owned(),
        pass: "localpasswordlocalpassword".to_owned(),
    };
    let request = check(&local.ufrag, &local.pass);
    let mut agent = is::IceAgent::new(local);
    agent.set_ice_lite(true);
    agent.add_local_candidate(is::Candidate::host(address(LOCAL), "udp").expect("a candidate"));
    agent.set_remote_credentials(is::IceCreds {
        ufrag: REMOTE_UFRAG.to_owned(),
        pass: REMOTE_PWD.to_owned(),
    });
    while agent.poll_event().is_some() {}
    (agent, request)
}

/// One check through sansrtc's agent; the response's length.
fn handle_sansrtc(agent: &mut Agent, now: Instant, request: &[u8]) -> u64 {
    agent
        .handle_receive(
            now,
            Receive {
                source: address(SOURCE),
                destination: address(LOCAL),
                transport: Transport::Udp,
                contents: request,
            },
        )
        .expect("sansrtc accepts the check");
    let response = agent.poll_transmit().expect("a response");
    while agent.poll_event().is_some() {}
    response.contents.len() as u64
}

/// One check through `is`'s agent; the response's length.
fn handle_is(agent: &mut is::IceAgent, now: Instant, request: &[u8]) -> u64 {
    let message = is::stun::StunMessage::parse(request).expect("is parses the check");
    let accepted = agent.handle_packet(
        now,
        is::stun::StunPacket {
            proto: is::Protocol::Udp,
            source: address(SOURCE),
            destination: address(LOCAL),
            message,
        },
    );
    assert!(accepted, "is accepts the check");
    let response = agent.poll_transmit().expect("a response");
    while agent.poll_event().is_some() {}
    response.contents.len() as u64
}

/// The ICE cases.
pub fn cases() -> Vec<Case> {
    let now = Instant::now();
    let (mut agent, request) = sansrtc_agent(now);
    let (mut peer, peer_request) = is_agent();
    vec![
        Case::new(GROUP, "sansrtc", Role::Sansrtc, move || {
            handle_sansrtc(&mut agent, now, black_box(&request))
        }),
        Case::new(GROUP, "is (str0m)", Role::Peer, move || {
            handle_is(&mut peer, now, black_box(&peer_request))
        }),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use sansrtc_stun::Message;

    /// Both agents answer with a success response that carries the
    /// source address and verifies with the local password.
    #[test]
    fn both_agents_answer() {
        let now = Instant::now();
        let (mut agent, request) = sansrtc_agent(now);
        let password = agent.local_credentials().pwd().to_owned();
        agent
            .handle_receive(
                now,
                Receive {
                    source: address(SOURCE),
                    destination: address(LOCAL),
                    transport: Transport::Udp,
                    contents: &request,
                },
            )
            .unwrap();
        let response = agent.poll_transmit().unwrap();
        let message = Message::parse(&response.contents).unwrap();
        assert_eq!(message.class(), Class::SuccessResponse);
        assert_eq!(message.xor_mapped_address(), Some(address(SOURCE)));
        message
            .verify_message_integrity(password.as_bytes())
            .unwrap();
        message.verify_fingerprint().unwrap();

        let (mut peer, request) = is_agent();
        for _ in 0..2 {
            assert!(handle_is(&mut peer, now, &request) > 0);
        }
        let message = is::stun::StunMessage::parse(&request).unwrap();
        assert!(peer.accepts_message(&message));
    }
}
