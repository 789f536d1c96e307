//! The one-process demo: a signaling server, a STUN server and two peers on
//! loopback make a call, and the outcome is checked.
//!
//! Peer `alice` joins the room first and so makes the offer; `bob`
//! answers. Both gather a host candidate and ask the STUN server for a
//! server-reflexive one, connect with ICE, run DTLS and key SRTP, send
//! each other a tone (440 Hz from alice, 660 Hz from bob) as SRTP and
//! exchange SRTCP reports; alice hangs up after the call's duration.

// The demo owns the clock.
#![allow(clippy::disallowed_methods)]

use alloc::sync::Arc;
use core::net::SocketAddr;
use core::time::Duration;
use std::io;
use std::path::PathBuf;
use std::time::Instant;

use sansrtc_stun::rng::seed_from_u64;
use sansrtc_stun::server::{Server, ServerConfig};
use tokio::net::{TcpListener, UdpSocket};
use tokio::sync::Notify;

use crate::peer::{self, CallSummary, Output, PeerConfig, PeerError};
use crate::{binding, signal};

/// Frequency of the tone alice sends.
pub const ALICE_TONE_HZ: f64 = 440.0;
/// Frequency of the tone bob sends.
pub const BOB_TONE_HZ: f64 = 660.0;
/// Peak of both tones, as a fraction of full scale.
pub const TONE_AMPLITUDE: f64 = 0.5;
/// Share of the sent packets that must arrive for the call to count as a
/// success.
pub const MIN_DELIVERY: f64 = 0.95;

/// How to run the demo.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Length of the call once connected.
    pub duration: Duration,
    /// Percentage of SRTP and SRTCP packets each peer drops on sending.
    pub loss_percent: f64,
    /// How the peers print.
    pub output: Output,
    /// Where alice and bob record what they receive.
    pub record: Option<(PathBuf, PathBuf)>,
    /// Time between statistics lines.
    pub stats_interval: Duration,
    /// Seed of both peers (alice gets it, bob gets it plus one), for a
    /// reproducible run; `None` (the default) takes their randomness from
    /// the operating system.
    pub seed: Option<u64>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        Self {
            duration: Duration::from_secs(4),
            loss_percent: 0.0,
            output: Output::Text,
            record: None,
            stats_interval: Duration::from_secs(1),
            seed: None,
        }
    }
}

/// What the demo did.
#[derive(Debug, Clone)]
pub struct DemoResult {
    /// Address of the signaling server.
    pub signal: SocketAddr,
    /// Address of the STUN server.
    pub stun: SocketAddr,
    /// The offerer's view of the call.
    pub alice: CallSummary,
    /// The answerer's view of the call.
    pub bob: CallSummary,
}

impl DemoResult {
    /// Both agents connected, each on the pair the other selected.
    pub fn same_pair(&self) -> bool {
        match (&self.alice.selected, &self.bob.selected) {
            (Some(a), Some(b)) => a.local_base == b.remote && b.local_base == a.remote,
            _ => false,
        }
    }

    /// Share of the packets `from` sent that `to` received, counting those
    /// that arrived only by retransmission after a NACK (the loss injection
    /// drops some before they leave).
    pub fn delivery(from: &CallSummary, to: &CallSummary) -> f64 {
        if from.packets_sent == 0 {
            return 0.0;
        }
        to.packets_received as f64 / from.packets_sent as f64
    }

    /// Why the call counts as failed, if it does: not connected (ICE and
    /// DTLS) on the same pair, SRTP keyed differently, or less than
    /// [`MIN_DELIVERY`] of the packets that left delivered either way.
    pub fn failure(&self) -> Option<String> {
        if !self.alice.connected || !self.bob.connected {
            return Some("the call did not connect (ICE and DTLS) on both sides".to_owned());
        }
        if !self.same_pair() {
            return Some("the two agents selected different pairs".to_owned());
        }
        if self.alice.srtp_profile.is_none() || self.alice.srtp_profile != self.bob.srtp_profile {
            return Some("the two sides did not key SRTP with the same profile".to_owned());
        }
        for (name, from, to) in [
            ("alice -> bob", &self.alice, &self.bob),
            ("bob -> alice", &self.bob, &self.alice),
        ] {
            let delivery = Self::delivery(from, to);
            if delivery < MIN_DELIVERY {
                return Some(format!(
                    "{name}: {:.1} % of the packets arrived",
                    delivery * 100.0
                ));
            }
        }
        None
    }
}

/// Runs the demo call.
pub async fn call(options: &DemoOptions) -> Result<DemoResult, PeerError> {
    let epoch = Instant::now();
    let io_error = |context| move |source| PeerError::Io { context, source };
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .map_err(io_error("binding the signaling server"))?;
    let signal_address = listener
        .local_addr()
        .map_err(io_error("binding the signaling server"))?;
    let stun_socket = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(io_error("binding the STUN server"))?;
    let stun_address = stun_socket
        .local_addr()
        .map_err(io_error("binding the STUN server"))?;
    if options.output == Output::Text {
        println!("signaling server on ws://{signal_address}/, STUN server on udp {stun_address}");
    }
    let signal_task = tokio::spawn(async move {
        let _: io::Result<()> = signal::serve(listener, false).await;
    });
    let stun_task = tokio::spawn(async move {
        let _: io::Result<()> =
            binding::serve(stun_socket, Server::new(ServerConfig::default()), false).await;
    });

    let joined = Arc::new(Notify::new());
    let mut alice = PeerConfig::new("alice", signal_address);
    alice.stun = Some(stun_address);
    alice.duration = Some(options.duration);
    alice.tone_hz = ALICE_TONE_HZ;
    alice.tone_amplitude = TONE_AMPLITUDE;
    alice.output = options.output;
    alice.epoch = epoch;
    alice.seed = options.seed.map(seed_from_u64);
    alice.send_loss_percent = options.loss_percent;
    alice.stats_interval = options.stats_interval;
    alice.joined = Some(Arc::clone(&joined));
    let mut bob = alice.clone();
    bob.name = "bob".to_owned();
    bob.tone_hz = BOB_TONE_HZ;
    bob.seed = options.seed.map(|seed| seed_from_u64(seed.wrapping_add(1)));
    // Alice hangs up; bob's limit only guards against a lost hang-up.
    bob.duration = Some(options.duration + Duration::from_secs(2));
    bob.joined = None;
    if let Some((alice_file, bob_file)) = &options.record {
        alice.record = Some(alice_file.clone());
        bob.record = Some(bob_file.clone());
    }

    let alice_call = tokio::spawn(peer::run(alice, core::future::pending()));
    // Bob joins once alice is in the room, so alice makes the offer.
    let bob_call = async {
        tokio::time::timeout(Duration::from_secs(5), joined.notified())
            .await
            .map_err(|_| PeerError::Signaling("alice did not join".to_owned()))?;
        peer::run(bob, core::future::pending()).await
    };
    let bob_result = bob_call.await;
    let alice_result = alice_call
        .await
        .map_err(|e| PeerError::Signaling(format!("alice's task: {e}")))?;
    signal_task.abort();
    stun_task.abort();
    Ok(DemoResult {
        signal: signal_address,
        stun: stun_address,
        alice: alice_result?,
        bob: bob_result?,
    })
}

/// The closing report: connection, then each direction's figures.
pub fn report(result: &DemoResult, loss_percent: f64) -> String {
    let mut out = String::new();
    let pair = |s: &CallSummary| {
        s.selected.as_ref().map_or_else(
            || "none".to_owned(),
            |p| {
                format!(
                    "{} {} -> {} {}",
                    p.local_type, p.local, p.remote_type, p.remote
                )
            },
        )
    };
    out.push_str("\nsummary\n");
    for (name, summary) in [("alice", &result.alice), ("bob", &result.bob)] {
        out.push_str(&format!(
            "  {name:<6} {} in {}, pair {}\n",
            if summary.connected {
                "connected"
            } else {
                "NOT connected"
            },
            summary.time_to_connected.map_or_else(
                || "-".to_owned(),
                |t| format!("{:.0} ms", t.as_secs_f64() * 1000.0)
            ),
            pair(summary)
        ));
    }
    out.push_str(&format!(
        "  same pair on both sides: {}\n",
        if result.same_pair() { "yes" } else { "no" }
    ));
    let role = |s: &CallSummary| s.dtls_role.clone().unwrap_or_else(|| "-".to_owned());
    out.push_str(&format!(
        "  DTLS-SRTP: {} (alice the DTLS {}, bob the DTLS {})\n",
        result.alice.srtp_profile.as_deref().unwrap_or("not keyed"),
        role(&result.alice),
        role(&result.bob),
    ));
    for (name, from, to) in [
        ("alice -> bob", &result.alice, &result.bob),
        ("bob -> alice", &result.bob, &result.alice),
    ] {
        out.push_str(&format!(
            "  {name}: sent {} packets ({} bytes), received {} ({:.1} %), jitter {:.2} ms, \
             RTT seen by the sender {}\n",
            from.packets_sent,
            from.bytes_sent,
            to.packets_received,
            DemoResult::delivery(from, to) * 100.0,
            to.jitter_ms,
            peer::format_rtt(from.rtt),
        ));
        if loss_percent > 0.0 {
            out.push_str(&format!(
                "    {loss_percent} % loss injected: {} SRTP packets dropped before they left, \
                 {} NACKs sent, {} packets retransmitted, {} retransmissions received\n",
                from.packets_dropped,
                to.nacks_sent,
                from.retransmissions_sent,
                to.retransmissions_received,
            ));
        }
    }
    out
}
