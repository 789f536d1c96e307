//! The ICE-lite server path an SFU runs per packet: handle one
//! connectivity check and produce its response. Also prints the memory an
//! agent with 10 local and 10 remote candidates holds (resident-set growth
//! over 1000 such agents, Linux only).

// A benchmark reads the clock to make its agents.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing, missing_docs)]

use core::hint::black_box;
use core::net::SocketAddr;
use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sansrtc_ice::{Agent, Candidate, Config, LocalSocket, Receive, Transport};
use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, TransactionId};

#[path = "../tests/one_socket/mod.rs"]
mod one_socket;

use one_socket::{REMOTE_PWD, REMOTE_UFRAG, agent_on_one_socket};

fn lite_agent(now: Instant) -> (Agent, SocketAddr) {
    let config = {
        let mut config = Config::new(true);
        config.lite = true;
        config.seed = Some(sansrtc_ice::seed_from_u64(1));
        config
    };
    agent_on_one_socket(config, now)
}

fn check(agent: &Agent) -> Vec<u8> {
    let local = agent.local_credentials();
    let username = format!("{}:{REMOTE_UFRAG}", local.ufrag());
    let mut buf = [0u8; 256];
    let mut b = MessageBuilder::new(
        &mut buf,
        Class::Request,
        Method::BINDING,
        TransactionId::new(*b"0123456789ab"),
    )
    .unwrap();
    b.add(&Attribute::Username(&username))
        .unwrap()
        .add(&Attribute::Priority(1_845_501_695))
        .unwrap()
        .add(&Attribute::IceControlling(42))
        .unwrap()
        .add(&Attribute::UseCandidate)
        .unwrap();
    b.add_message_integrity(local.pwd().as_bytes()).unwrap();
    b.add_fingerprint().unwrap();
    let len = b.finish();
    buf[..len].to_vec()
}

fn resident_bytes() -> Option<usize> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: usize = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096)
}

fn memory_of_10_by_10() {
    let now = Instant::now();
    let make = || {
        let mut agent = Agent::new(Config::default(), now);
        for i in 0..10u8 {
            agent
                .add_local_socket(
                    LocalSocket::udp(SocketAddr::new([10, 0, 0, i + 1].into(), 5000))
                        .with_interface_rank(i),
                )
                .unwrap();
        }
        agent
            .set_remote_credentials(REMOTE_UFRAG, REMOTE_PWD)
            .unwrap();
        for i in 0..10u32 {
            let line = format!(
                "candidate:{i} 1 udp {} 198.51.100.{} 6000 typ host generation 0",
                2_122_260_223 - i,
                i + 1
            );
            let candidate: Candidate = line.parse().unwrap();
            agent.add_remote_candidate(candidate).unwrap();
        }
        while agent.poll_event().is_some() {}
        agent
    };
    let Some(before) = resident_bytes() else {
        return;
    };
    let agents: Vec<Agent> = (0..1000).map(|_| make()).collect();
    let after = resident_bytes().unwrap_or(before);
    println!(
        "agent with 10 local and 10 remote candidates ({} pairs): about {} bytes (resident growth / 1000 agents; {} bytes inline)",
        agents[0].pair_count(),
        after.saturating_sub(before) / agents.len(),
        size_of::<Agent>()
    );
}

fn bench(c: &mut Criterion) {
    memory_of_10_by_10();
    let now = Instant::now();
    let (mut agent, address) = lite_agent(now);
    let request = check(&agent);
    let source: SocketAddr = "198.51.100.7:40000".parse().unwrap();
    let mut group = c.benchmark_group("ice_lite");
    group.throughput(Throughput::Elements(1));
    group.bench_function("check_and_response", |b| {
        b.iter(|| {
            let handled = agent.handle_receive(
                now,
                Receive {
                    source,
                    destination: address,
                    transport: Transport::Udp,
                    contents: black_box(&request),
                },
            );
            let response = agent.poll_transmit();
            while agent.poll_event().is_some() {}
            black_box((handled, response))
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
