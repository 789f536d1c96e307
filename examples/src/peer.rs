//! The example peer: a tokio driver of [`sansrtc::Peer`], which does all of
//! WebRTC (offers and answers, ICE with STUN, TURN and ICE-TCP, DTLS-SRTP,
//! RTP and RTCP). The driver owns what a `Peer` leaves to its caller: one
//! UDP socket (and, with [`PeerConfig::tcp`], a TCP listener for ICE-TCP),
//! the clock, signaling, the PCMU tone it sends and the WAV file it
//! records.
//!
//! [`run`] makes one call and returns a [`CallSummary`]; each line it prints
//! reports something as it happened (a state change, the selected pair,
//! the SRTP profile, statistics, ...).
//!
//! Signaling goes through the WebSocket server of [`crate::signal`] (the
//! first peer in the room offers once the second arrives), or with
//! [`PeerConfig::stdio_signaling`] by copy and paste: every message (offer,
//! answer, candidate, end-of-candidates, bye) is one JSON line on stdout,
//! the other side's lines are read from stdin, and the timeline goes to
//! stderr; the peer then offers unless [`PeerConfig::answer_only`] is set.
//! Lines that are not JSON objects are ignored; a line longer than
//! [`crate::signal::MAX_MESSAGE_LEN`] is an error.
//!
//! With [`PeerConfig::data`], the call also carries data channels (see
//! [`crate::data`]): a `chat` that prints and echoes, a file transfer with
//! its SHA-256 on both sides, echo channels, and a probe of the other
//! side's echo.

// The driver owns the clock: it reads `Instant::now()` and hands the time
// to the sans-IO `Peer`.
#![allow(clippy::disallowed_methods)]

use alloc::sync::Arc;
use core::future::Future;
use core::net::SocketAddr;
use core::pin::pin;
use core::time::Duration;
use std::path::PathBuf;
use std::time::Instant;

use sansrtc::ice::{ConnectionEvent, ConnectionState as IceState, Event as IceEvent};
use sansrtc::ice::{LocalSocket, TurnServer};
use sansrtc::sdp::Direction;
use sansrtc::sdp::negotiate::Codec;
use sansrtc::stun::framing::{PacketKind, rfc4571};
use sansrtc::stun::rng::{Rng, Seed};
use sansrtc::stun::{Class, Message as StunMessage, Receive, Transmit, Transport};
use sansrtc::{Config, ConnectionState, Event, MediaKind, MediaPacket, Mid, Peer};
use serde_json::{Value, json};
use tokio::net::UdpSocket;
use tokio::sync::Notify;

use crate::data::{DataChannels, DataOptions, DataSummary};
use crate::pcmu;
use crate::signaling::{Signaling, kind};
use crate::tcp::{Tcp, TcpEvent};
pub use crate::timeline::Output;
use crate::timeline::{Timeline, note};

/// Largest datagram read from the socket.
const MAX_DATAGRAM: usize = 2048;
/// Datagrams read from the socket in one go before the `Peer`'s output is
/// sent.
const MAX_DATAGRAMS_PER_WAKE: usize = 256;
/// Packets sent in one go when the media timer fell behind.
const MAX_CATCH_UP_PACKETS: u32 = 5;
/// Longest recording kept in memory (10 minutes at 8 kHz); later audio is
/// not recorded.
pub const MAX_RECORDING_SAMPLES: usize = 8000 * 600;
/// Time between two media packets.
pub const PACKET_INTERVAL: Duration = Duration::from_millis(20);

/// Everything [`run`] needs.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// Name printed on each line (and the RTCP CNAME).
    pub name: String,
    /// Address of the signaling server (`ws://ADDR/`).
    pub signal: SocketAddr,
    /// Signal by copy and paste instead of through the server.
    pub stdio_signaling: bool,
    /// Room to join.
    pub room: String,
    /// Address of the UDP socket (port 0: any).
    pub bind: SocketAddr,
    /// STUN server for a server-reflexive candidate.
    pub stun: Option<SocketAddr>,
    /// TURN server for a relayed candidate.
    pub turn: Option<TurnServer>,
    /// Length of the call once connected; `None`: until interrupted or the
    /// other side hangs up.
    pub duration: Option<Duration>,
    /// Give up when not connected (ICE and DTLS) this long after the call
    /// started.
    pub connect_timeout: Duration,
    /// Frequency of the tone we send, in hertz.
    pub tone_hz: f64,
    /// Peak of the tone, 0 to 1 of full scale.
    pub tone_amplitude: f64,
    /// Time between two statistics lines.
    pub stats_interval: Duration,
    /// RTCP minimum report interval.
    pub rtcp_interval: Duration,
    /// Where to write what we receive, as WAV.
    pub record: Option<PathBuf>,
    /// Percentage of our outgoing SRTP and SRTCP datagrams to drop (on
    /// direct UDP pairs; STUN and DTLS are never dropped).
    pub send_loss_percent: f64,
    /// Seed of the `Peer` and of the loss: `None` (the default) takes it
    /// from the operating system; `Some` makes a run reproducible.
    pub seed: Option<Seed>,
    /// How to print.
    pub output: Output,
    /// Instant that printed times are relative to.
    pub epoch: Instant,
    /// Notified once the signaling server confirmed the join.
    pub joined: Option<Arc<Notify>>,
    /// Wait for the other side's offer, even when first in the room.
    pub answer_only: bool,
    /// Be an ICE-lite agent (`a=ice-lite`).
    pub ice_lite: bool,
    /// Signal our candidates this long after our first description.
    pub candidate_delay: Option<Duration>,
    /// Restart ICE (a new offer with new credentials) this long after
    /// connecting, once.
    pub restart_after: Option<Duration>,
    /// Also listen on TCP and offer a passive TCP candidate (ICE-TCP).
    pub tcp: bool,
    /// Put another certificate's fingerprint in our descriptions, so that
    /// the other side must refuse DTLS (a test of that check).
    pub forge_fingerprint: bool,
    /// Data channels (see [`crate::data`]): the offerer opens `chat`, and
    /// the other side's channels are answered.
    pub data: bool,
    /// Lines to say on `chat` once it is open.
    pub say: Vec<String>,
    /// Also send the lines typed on stdin on `chat`.
    pub chat_stdin: bool,
    /// A file to send on a `file` channel (needs [`PeerConfig::data`]).
    pub send_file: Option<PathBuf>,
    /// Open the probe channels and check that the other side echoes
    /// every message (needs [`PeerConfig::data`]).
    pub probe: bool,
    /// Make a pre-negotiated echo channel on this stream (the other side
    /// of a probe; needs [`PeerConfig::data`]).
    pub echo_negotiated: Option<u16>,
    /// Hang up once the file is sent and acknowledged, the probe is done
    /// and every chat line came back echoed.
    pub hang_up_when_done: bool,
    /// Video to send, video and Opus to record.
    pub media_files: crate::video::MediaFiles,
}

impl PeerConfig {
    /// A configuration with the defaults: 127.0.0.1, room `demo`, a 440 Hz
    /// tone at half scale, statistics every 2 s, RTCP every second, no
    /// time limit, randomness from the operating system.
    pub fn new(name: &str, signal: SocketAddr) -> Self {
        Self {
            name: name.to_owned(),
            signal,
            stdio_signaling: false,
            room: "demo".to_owned(),
            bind: SocketAddr::from(([127, 0, 0, 1], 0)),
            stun: None,
            turn: None,
            duration: None,
            connect_timeout: Duration::from_secs(10),
            tone_hz: 440.0,
            tone_amplitude: 0.5,
            stats_interval: Duration::from_secs(2),
            rtcp_interval: Duration::from_secs(1),
            record: None,
            send_loss_percent: 0.0,
            seed: None,
            output: Output::Text,
            epoch: Instant::now(),
            joined: None,
            answer_only: false,
            ice_lite: false,
            candidate_delay: None,
            restart_after: None,
            tcp: false,
            forge_fingerprint: false,
            data: false,
            say: Vec::new(),
            chat_stdin: false,
            send_file: None,
            probe: false,
            echo_negotiated: None,
            hang_up_when_done: false,
            media_files: crate::video::MediaFiles::default(),
        }
    }
}

/// Why a call could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PeerError {
    /// A socket or file operation failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: &'static str,
        /// The error.
        source: std::io::Error,
    },
    /// The signaling server could not be reached or broke the protocol.
    #[error("signaling: {0}")]
    Signaling(String),
    /// A description could not be made or used.
    #[error("negotiation: {0}")]
    Negotiation(String),
    /// A video or Opus file could not be used.
    #[error("{0}")]
    Media(String),
}

/// The pair ICE selected, as this peer sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SelectedPair {
    /// Our candidate's address.
    pub local: SocketAddr,
    /// Our candidate's type (`host`, `srflx`, `prflx`, `relay`).
    pub local_type: String,
    /// The socket media leaves from.
    pub local_base: SocketAddr,
    /// The remote candidate's address, where media goes.
    pub remote: SocketAddr,
    /// The remote candidate's type.
    pub remote_type: String,
}

/// What happened during a call, as counted by one peer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallSummary {
    /// Whether we made the offer.
    pub offerer: bool,
    /// Whether the connection reached connected (ICE and DTLS).
    pub connected: bool,
    /// Time from the start of the call to connected.
    pub time_to_connected: Option<Duration>,
    /// The selected pair, if any.
    pub selected: Option<SelectedPair>,
    /// The SRTP profile DTLS negotiated (`SRTP_AEAD_AES_128_GCM`, ...).
    pub srtp_profile: Option<String>,
    /// Our DTLS role, `client` or `server`.
    pub dtls_role: Option<String>,
    /// Why the connection failed, if it did.
    pub failure: Option<String>,
    /// Local candidates signalled, as `a=candidate` values.
    pub local_candidates: Vec<String>,
    /// Of those, candidates held back and signalled late.
    pub late_candidates: usize,
    /// Pairs selected (a restart selects a new one).
    pub pairs_selected: u32,
    /// ICE restarts, started by either side.
    pub ice_restarts: u32,
    /// RTP packets written.
    pub packets_sent: u64,
    /// RTP payload bytes written.
    pub bytes_sent: u64,
    /// SRTP packets the loss injection dropped before they left.
    pub packets_dropped: u64,
    /// RTP packets of the agreed codec received.
    pub packets_received: u64,
    /// RTP payload bytes received in those packets.
    pub bytes_received: u64,
    /// Lost packets by the RFC 3550 count (expected minus received).
    pub packets_lost: i64,
    /// Interarrival jitter at the end, in milliseconds.
    pub jitter_ms: f64,
    /// Latest round-trip time from the other side's RTCP report blocks.
    pub rtt: Option<Duration>,
    /// NACK packets we sent for the media we receive.
    pub nacks_sent: u64,
    /// Packets we retransmitted because the other side asked for them.
    pub retransmissions_sent: u64,
    /// Retransmitted packets we received.
    pub retransmissions_received: u64,
    /// STUN Binding requests sent to the other peer (connectivity and
    /// consent checks).
    pub checks_sent: u64,
    /// Whether the other side sent an RTCP BYE.
    pub bye_received: bool,
    /// Who ended the call, and why.
    pub end_reason: String,
    /// The audio received (8 kHz), when recording.
    pub recording: Vec<i16>,
    /// What the data channels did.
    pub data: DataSummary,
    /// What the video and Opus files saw.
    pub media: crate::video::MediaSummary,
}

/// The first packet of the stream we record: the SSRC we follow and the
/// timestamp the recording starts at.
struct FirstPacket {
    ssrc: u32,
    timestamp: u32,
}

/// The payload type we offer for RTX of PCMU.
const RTX_PAYLOAD_TYPE: u8 = 97;

/// A round-trip time for people: milliseconds, or "not measured".
pub fn format_rtt(rtt: Option<Duration>) -> String {
    rtt.map_or_else(
        || "not measured".to_owned(),
        |r| format!("{:.3} ms", r.as_secs_f64() * 1000.0),
    )
}

/// Injected loss: true with `percent` % probability.
fn chance(rng: &mut Rng, percent: f64) -> bool {
    let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    draw * 100.0 < percent
}

/// A call under way.
struct Call {
    out: Timeline,
    config: PeerConfig,
    peer: Peer,
    socket: UdpSocket,
    local: SocketAddr,
    tcp: Tcp,
    signaling: Signaling,
    /// For the loss injection.
    rng: Rng,
    started: Instant,
    summary: CallSummary,
    /// Our audio transceiver, and PCMU's payload type on it.
    mid: Option<Mid>,
    payload_type: Option<u8>,
    tone: pcmu::Tone,
    tone_timestamp: u32,
    next_packet: Option<Instant>,
    next_stats: Option<Instant>,
    connected_at: Option<Instant>,
    restart_at: Option<Instant>,
    /// Statistics of the source we receive, and its first timestamp.
    received: Option<FirstPacket>,
    ice_state: IceState,
    /// Signals wait here while our description is not out (and, for late
    /// candidates, until `hold_until`).
    pending: Vec<Value>,
    described: bool,
    descriptions: u32,
    hold_until: Option<Instant>,
    /// Our fingerprint and the one our descriptions carry instead.
    forged: Option<(String, String)>,
    /// The data channels, when asked for.
    data: Option<DataChannels>,
    ended: Option<String>,
    media: crate::video::Media,
}

impl Call {
    // ------------------------------------------------------------ signaling

    async fn signal(&mut self, value: Value) -> Result<(), PeerError> {
        if self.described && self.hold_until.is_none() {
            self.signaling.send(value).await
        } else {
            self.pending.push(value);
            Ok(())
        }
    }

    /// Sends a description, then what waited for it.
    async fn describe(&mut self, kind: &'static str, sdp: String) -> Result<(), PeerError> {
        let sdp = match &self.forged {
            Some((real, forged)) => sdp.replace(real.as_str(), forged),
            None => sdp,
        };
        let ufrag = self.peer.ice().local_credentials().ufrag().to_owned();
        let first = self.descriptions == 0;
        let len = sdp.len();
        let message = json!({ "type": kind, "sdp": sdp });
        if kind == "offer" {
            let joined = if self.summary.offerer && first {
                "the other peer joined: "
            } else {
                ""
            };
            let lite = if self.config.ice_lite {
                ", ICE-lite"
            } else {
                ""
            };
            note!(self.out, kind =>
                "{joined}sending offer ({len} bytes, ICE ufrag {ufrag}{lite})", sdp);
        } else {
            let pt = self.payload_type.unwrap_or_default();
            note!(self.out, kind =>
                "sending answer ({len} bytes, ICE ufrag {ufrag}): PCMU/8000 payload type {pt}",
                sdp);
        }
        self.signaling.send(message).await?;
        self.descriptions += 1;
        self.described = true;
        if first {
            self.hold_until = self.config.candidate_delay.map(|d| Instant::now() + d);
        }
        self.release().await
    }

    /// Sends the signals that waited, once nothing holds them.
    async fn release(&mut self) -> Result<(), PeerError> {
        if !self.described || self.hold_until.is_some_and(|t| t > Instant::now()) {
            return Ok(());
        }
        if self.hold_until.take().is_some() {
            let candidates = self.pending.iter().filter(|v| kind(v) == "candidate");
            let candidates = candidates.count();
            self.summary.late_candidates += candidates;
            note!(self.out, "late-candidates" => "signalling our {candidates} candidate(s) late",
                candidates);
        }
        for value in core::mem::take(&mut self.pending) {
            self.signaling.send(value).await?;
        }
        Ok(())
    }

    /// The payload type of PCMU, once an exchange agreed on it.
    fn agree(&mut self) -> Result<(), PeerError> {
        let codecs = self.peer.codecs(self.mid.as_deref().unwrap_or_default());
        let pcmu = codecs.iter().find(|(_, name, rate)| {
            name.eq_ignore_ascii_case("PCMU") && *rate == pcmu::SAMPLE_RATE
        });
        let pcmu = pcmu.ok_or_else(|| PeerError::Negotiation("PCMU was not agreed".to_owned()))?;
        self.payload_type = Some(pcmu.0);
        Ok(())
    }

    async fn handle_signal(&mut self, message: Value) -> Result<(), PeerError> {
        let text = |key| message.get(key).and_then(Value::as_str).unwrap_or("");
        let negotiation = |e: sansrtc::Error| PeerError::Negotiation(e.to_string());
        let sdp_len = text("sdp").len();
        match kind(&message) {
            "offer" => {
                note!(self.out, "offer" => "received offer ({sdp_len} bytes)", sdp_len);
                let ufrag = self.peer.ice().local_credentials().ufrag().to_owned();
                // Candidates of a restart wait for the answer.
                self.described = false;
                let offer = self.peer.set_remote_offer(text("sdp"));
                offer.map_err(negotiation)?;
                self.drain_events().await?;
                if let Some(data) = &mut self.data {
                    data.create_channels(&mut self.peer, false);
                }
                let answer = self.peer.create_answer().map_err(negotiation)?;
                self.agree()?;
                let new_ufrag = self.peer.ice().local_credentials().ufrag().to_owned();
                if self.descriptions > 0 && new_ufrag != ufrag {
                    self.restarted("remote", new_ufrag);
                }
                self.describe("answer", answer).await?;
            }
            "answer" => {
                let answer = self.peer.set_remote_answer(text("sdp"));
                answer.map_err(negotiation)?;
                self.agree()?;
                let payload_type = self.payload_type.unwrap_or_default();
                note!(self.out, "answer" =>
                    "received answer ({sdp_len} bytes): PCMU/8000 payload type {payload_type}",
                    sdp_len, payload_type);
            }
            "candidate" => {
                let candidate = text("candidate").trim_start_matches("candidate:");
                match self.peer.add_remote_candidate(candidate) {
                    Ok(()) => note!(self.out, "remote-candidate" => "remote candidate {candidate}",
                        candidate),
                    Err(e) => note!(self.out, "remote-candidate-refused" =>
                        "remote candidate {candidate:?} refused: {error}",
                        candidate, error = e.to_string()),
                }
            }
            "end-of-candidates" => {
                note!(self.out, "remote-end-of-candidates" => "remote end-of-candidates");
                self.peer.end_of_remote_candidates();
            }
            "bye" => self.end("remote-bye", "the other side hung up"),
            "peer-left" => self.end("peer-left", "the other side left the room"),
            "error" => {
                let reason = text("reason");
                note!(self.out, "signal-error" => "signaling server error: {reason}", reason);
            }
            _ => {}
        }
        Ok(())
    }

    fn end(&mut self, event: &str, reason: &str) {
        note!(self.out, event => "{reason}");
        self.ended.get_or_insert_with(|| reason.to_owned());
    }

    fn restarted(&mut self, by: &str, local_ufrag: String) {
        self.summary.ice_restarts += 1;
        note!(self.out, "ice-restart" =>
            "ICE restart by the {by} side: our new ICE ufrag is {local_ufrag}",
            by, local_ufrag);
    }

    // --------------------------------------------------------------- events

    async fn drain_events(&mut self) -> Result<(), PeerError> {
        while let Some(event) = self.peer.poll_event() {
            let now = Instant::now();
            let Some(event) = self.media.handle_event(&mut self.peer, now, event) else {
                continue;
            };
            let lower = |state: &dyn core::fmt::Debug| format!("{state:?}").to_lowercase();
            match event {
                Event::LocalCandidate { candidate, mid } => {
                    let value = candidate.trim_start_matches("candidate:").to_owned();
                    let kind = value.split(' ').nth(7).unwrap_or("?");
                    note!(self.out, "local-candidate" => "gathered {kind} candidate {value}",
                        candidate = &value, candidate_type = kind);
                    self.summary.local_candidates.push(value.clone());
                    let message =
                        json!({ "type": "candidate", "candidate": candidate, "mid": mid });
                    self.signal(message).await?;
                }
                Event::GatheringComplete => {
                    note!(self.out, "gathering-complete" =>
                        "gathering complete, sent end-of-candidates");
                    self.signal(json!({ "type": "end-of-candidates" })).await?;
                }
                Event::IceConnectionState(ice) => {
                    self.ice_state = ice;
                    note!(self.out, "ice-state" => "ICE {ice:?}", state = lower(&ice));
                }
                Event::DtlsState(dtls) => {
                    let role = self.peer.dtls_role().map(|role| lower(&role));
                    self.summary.dtls_role = role.clone();
                    let shown = role.clone().unwrap_or_default();
                    note!(self.out, "dtls-state" => "DTLS {dtls:?} (we are the {shown})",
                        state = lower(&dtls), role);
                }
                Event::SrtpReady { profile } => {
                    let profile = profile.to_string();
                    self.summary.srtp_profile = Some(profile.clone());
                    note!(self.out, "srtp-ready" => "DTLS-SRTP keyed: {profile}", profile);
                }
                Event::ConnectionState(connection) => {
                    note!(self.out, "connection-state" => "connection {connection:?}",
                        state = lower(&connection));
                    if connection == ConnectionState::Connected && !self.summary.connected {
                        self.summary.connected = true;
                        self.summary.time_to_connected = Some(now - self.started);
                        self.connected_at = Some(now);
                        self.next_packet = Some(now);
                        self.next_stats = Some(now + self.config.stats_interval);
                        self.restart_at = self.config.restart_after.map(|after| now + after);
                    }
                }
                Event::TransceiverAdded {
                    mid,
                    kind: MediaKind::Audio,
                } if self.mid.is_none() => {
                    let _ = self.peer.set_direction(&mid, Direction::SendRecv);
                    self.mid = Some(mid);
                }
                Event::Media(packet) => self.receive_media(packet),
                Event::RemoteEnded { .. } => {
                    self.summary.bye_received = true;
                    note!(self.out, "rtcp-bye" => "received RTCP BYE");
                }
                Event::Failed(failure) => {
                    let reason = failure.to_string();
                    note!(self.out, "failed" => "failed: {reason}", reason = &reason);
                    self.summary.failure = Some(reason.clone());
                    self.ended.get_or_insert(reason);
                }
                Event::Ice(event) => self.ice_event(event),
                Event::DataChannel { id, event } => {
                    if let Some(data) = &mut self.data {
                        data.handle_event(&mut self.peer, now, id, event);
                    }
                }
                _ => {}
            }
        }
        if let Some(data) = &mut self.data {
            data.poll(&mut self.peer, Instant::now());
            if self.config.hang_up_when_done && self.summary.connected && data.is_done() {
                self.ended
                    .get_or_insert_with(|| "data channels done".to_owned());
            }
        }
        Ok(())
    }

    fn ice_event(&mut self, event: IceEvent) {
        match event {
            IceEvent::SelectedPair {
                local,
                local_base,
                remote,
                remote_address,
                ..
            } => {
                let pair = SelectedPair {
                    local: local.socket_addr().unwrap_or(local_base),
                    local_type: local.kind().to_string(),
                    local_base,
                    remote: remote_address,
                    remote_type: remote.kind().to_string(),
                };
                let transport = local.transport().to_string();
                let (l, lt, r, rt) = (pair.local, &pair.local_type, pair.remote, &pair.remote_type);
                note!(self.out, "selected-pair" => "selected pair {lt} {l} -> {rt} {r}",
                    local = l.to_string(), local_type = lt, remote = r.to_string(),
                    remote_type = rt, transport);
                self.summary.selected = Some(pair);
                self.summary.pairs_selected += 1;
            }
            IceEvent::CloseConnection { local, remote } => {
                if self.tcp.close(local, remote) {
                    note!(self.out, "tcp-closed" => "TCP connection from {remote} closed",
                        remote = remote.to_string());
                }
            }
            IceEvent::RoleChanged { controlling } => {
                let role = if controlling {
                    "controlling"
                } else {
                    "controlled"
                };
                note!(self.out, "ice-role" => "ICE role: {role}", controlling);
            }
            other => {
                note!(self.out, "ice-event" => "ICE event {detail}", detail = format!("{other:?}"))
            }
        }
    }

    /// A received packet, for the statistics and the recording.
    fn receive_media(&mut self, packet: MediaPacket) {
        if Some(packet.payload_type) != self.payload_type {
            return;
        }
        let first = self.received.get_or_insert(FirstPacket {
            ssrc: packet.ssrc,
            timestamp: packet.timestamp,
        });
        if first.ssrc != packet.ssrc {
            return;
        }
        self.summary.packets_received += 1;
        self.summary.bytes_received += packet.payload.len() as u64;
        let offset = packet.timestamp.wrapping_sub(first.timestamp);
        let start = usize::try_from(offset).unwrap_or(usize::MAX);
        let end = start.saturating_add(packet.payload.len());
        if self.config.record.is_none() || offset >= 0x8000_0000 || end > MAX_RECORDING_SAMPLES {
            return;
        }
        let recording = &mut self.summary.recording;
        if recording.len() < end {
            recording.resize(end, 0);
        }
        if let Some(slot) = recording.get_mut(start..end) {
            for (sample, byte) in slot.iter_mut().zip(&packet.payload) {
                *sample = pcmu::decode(*byte);
            }
        }
    }

    // ------------------------------------------------------------- packets

    /// Sends what the `Peer` has to send: datagrams from the UDP socket,
    /// framed packets on TCP connections.
    async fn flush(&mut self) {
        while let Some(transmit) = self.peer.poll_transmit() {
            self.note_stun_sent(&transmit);
            let (from, to) = (transmit.source, transmit.destination);
            if transmit.transport == Transport::Tcp {
                self.tcp.send(from, to, &transmit.contents).await;
                continue;
            }
            let loss = self.config.send_loss_percent;
            let media = PacketKind::of(&transmit.contents) == PacketKind::Rtp;
            if media && loss > 0.0 && chance(&mut self.rng, loss) {
                // SRTCP has a packet type where SRTP has its marker and
                // payload type (RFC 5761 §4).
                let rtcp = transmit
                    .contents
                    .get(1)
                    .is_some_and(|b| (192..=223).contains(b));
                self.summary.packets_dropped += u64::from(!rtcp);
                continue;
            }
            if let Err(e) = self.socket.send_to(&transmit.contents, to).await {
                note!(self.out, "send-error" => "cannot send to {destination}: {error}",
                    destination = to.to_string(), error = e.to_string());
            }
        }
    }

    /// Says which STUN messages went out: requests to the STUN server, and
    /// connectivity checks while ICE is checking (consent checks later are
    /// only counted).
    fn note_stun_sent(&mut self, transmit: &Transmit) {
        let packet = match transmit.transport {
            Transport::Tcp => rfc4571::split(&transmit.contents).map_or(&[][..], |(p, _)| p),
            _ => &transmit.contents,
        };
        let Ok(message) = StunMessage::parse(packet) else {
            return;
        };
        let to = transmit.destination.to_string();
        if Some(transmit.destination) == self.config.stun {
            note!(self.out, "stun-request" =>
                "asked STUN server {to} for our server-reflexive address",
                server = &to);
        } else if message.class() == Class::Request {
            self.summary.checks_sent += 1;
            if matches!(self.ice_state, IceState::New | IceState::Checking) {
                let use_candidate = message.use_candidate();
                let nomination = if use_candidate {
                    " (USE-CANDIDATE: nomination)"
                } else {
                    ""
                };
                note!(self.out, "check-sent" => "connectivity check to {to}{nomination}",
                    to = &to, use_candidate);
            }
        }
    }

    fn receive_datagram(&mut self, source: SocketAddr, bytes: &[u8]) {
        if Some(source) == self.config.stun {
            if let Ok(message) = StunMessage::parse(bytes) {
                let mapped = message.xor_mapped_address().map(|a| a.to_string());
                let seen = mapped.clone().unwrap_or_else(|| "(no address)".to_owned());
                note!(self.out, "stun-response" =>
                    "STUN server {source} answered: we are seen as {seen}",
                    server = source.to_string(), mapped);
            }
        }
        // A packet the `Peer` refuses (garbage, a stranger's) changes
        // nothing.
        let packet = Receive::udp(source, self.local, bytes);
        let _ = self.peer.handle_receive(Instant::now(), packet);
    }

    fn tcp_event(&mut self, event: TcpEvent) {
        let now = Instant::now();
        match event {
            TcpEvent::Accepted(stream, address) => {
                let Some(local) = self.tcp.local() else {
                    return;
                };
                let accepted = ConnectionEvent::Accepted {
                    local,
                    remote: address,
                };
                let remote = address.to_string();
                match self.peer.handle_connection(now, accepted) {
                    Ok(()) => {
                        note!(self.out, "tcp-accepted" =>
                            "TCP connection from {remote} accepted", remote);
                        self.tcp.add(stream, address);
                    }
                    Err(e) => {
                        note!(self.out, "tcp-refused" =>
                            "TCP connection from {remote} refused: {error}",
                        remote, error = e.to_string())
                    }
                }
            }
            TcpEvent::Frames {
                local,
                remote,
                frames,
                closed,
            } => {
                for contents in &frames {
                    let (source, destination, transport) = (remote, local, Transport::Tcp);
                    let packet = Receive {
                        source,
                        destination,
                        transport,
                        contents,
                    };
                    let _ = self.peer.handle_receive(now, packet);
                }
                if closed {
                    let _ = self
                        .peer
                        .handle_connection(now, ConnectionEvent::Closed { local, remote });
                    note!(self.out, "tcp-closed" => "TCP connection from {remote} closed",
                        remote = remote.to_string());
                }
            }
        }
    }

    // -------------------------------------------------------------- timers

    /// The earliest instant something is due.
    fn deadline(&self) -> Instant {
        let end = self
            .connected_at
            .zip(self.config.duration)
            .map(|(at, d)| at + d);
        let connect = (!self.summary.connected).then(|| self.started + self.config.connect_timeout);
        let timers = [
            self.next_packet,
            self.next_stats,
            self.hold_until,
            self.restart_at,
        ];
        let timers = timers.into_iter().chain([
            end,
            connect,
            self.peer.poll_timeout(),
            self.media.poll_timeout(),
        ]);
        let next = timers.flatten().min();
        next.unwrap_or_else(|| Instant::now() + Duration::from_secs(3600))
    }

    async fn handle_timeouts(&mut self) -> Result<(), PeerError> {
        let now = Instant::now();
        self.peer.handle_timeout(now);
        self.send_tone(now);
        self.media.handle_timeout(&mut self.peer, now);
        if self.next_stats.is_some_and(|t| t <= now) {
            self.print_stats();
            self.next_stats = Some(now + self.config.stats_interval);
        }
        if self.restart_at.is_some_and(|t| t <= now) {
            self.restart_at = None;
            self.peer.restart_ice();
            let offer = self.peer.create_offer();
            let offer = offer.map_err(|e| PeerError::Negotiation(e.to_string()))?;
            let ufrag = self.peer.ice().local_credentials().ufrag().to_owned();
            self.restarted("local", ufrag);
            self.describe("offer", offer).await?;
        }
        if let Some((at, duration)) = self.connected_at.zip(self.config.duration) {
            if now >= at + duration {
                let seconds = duration.as_secs_f64();
                self.ended
                    .get_or_insert(format!("hung up after {seconds} s"));
            }
        }
        if !self.summary.connected && now >= self.started + self.config.connect_timeout {
            let timeout = self.config.connect_timeout.as_secs_f64();
            self.ended
                .get_or_insert(format!("not connected after {timeout} s"));
        }
        self.release().await
    }

    /// Writes the tone's packets that are due.
    fn send_tone(&mut self, now: Instant) {
        let (Some(mid), Some(payload_type), Some(mut due)) =
            (self.mid.clone(), self.payload_type, self.next_packet)
        else {
            return;
        };
        let mut sent = 0;
        while due <= now && sent < MAX_CATCH_UP_PACKETS {
            let payload = self.tone.next_packet();
            let (timestamp, first) = (self.tone_timestamp, self.summary.packets_sent == 0);
            let written = self
                .peer
                .write_rtp(now, &mid, payload_type, timestamp, first, &payload);
            if written.is_ok() {
                self.summary.packets_sent += 1;
                self.summary.bytes_sent += payload.len() as u64;
            }
            self.tone_timestamp = timestamp.wrapping_add(pcmu::SAMPLES_PER_PACKET as u32);
            due += PACKET_INTERVAL;
            sent += 1;
        }
        // After a long stall, skip ahead instead of bursting.
        self.next_packet = Some(if due <= now {
            now + PACKET_INTERVAL
        } else {
            due
        });
    }

    fn print_stats(&mut self) {
        if let Some(mid) = &self.mid {
            let stats = self.peer.stats(Instant::now());
            let ssrc = self.received.as_ref().map(|first| first.ssrc);
            if let Some(inbound) = stats.inbound(mid).find(|s| Some(s.ssrc) == ssrc) {
                self.summary.packets_lost = inbound.packets_lost;
                self.summary.jitter_ms = inbound.jitter.as_secs_f64() * 1000.0;
            }
            if let Some(rtt) = stats.remote_inbound(mid).and_then(|r| r.round_trip_time) {
                self.summary.rtt = Some(rtt);
            }
            self.summary.nacks_sent = stats.inbound(mid).map(|s| s.nack_count).sum();
            self.summary.retransmissions_received = stats
                .inbound(mid)
                .map(|s| s.retransmitted_packets_received)
                .sum();
            self.summary.retransmissions_sent = stats
                .outbound(mid)
                .map_or(0, |s| s.retransmitted_packets_sent);
        }
        let s = &self.summary;
        note!(self.out, "stats" =>
            "stats: sent {sent_packets} packets / {sent_bytes} bytes ({dropped} dropped by the \
             loss injection), received {received_packets} packets / {received_bytes} bytes, \
             {lost} lost, jitter {jitter_ms:.2} ms, RTT {rtt}, {nacks} NACKs sent, \
             {resent} packets retransmitted, {repaired} retransmissions received",
            sent_packets = s.packets_sent, sent_bytes = s.bytes_sent, dropped = s.packets_dropped,
            received_packets = s.packets_received, received_bytes = s.bytes_received,
            lost = s.packets_lost, jitter_ms = s.jitter_ms, rtt = format_rtt(s.rtt),
            rtt_ms = s.rtt.map(|r| r.as_secs_f64() * 1000.0), nacks = s.nacks_sent,
            resent = s.retransmissions_sent, repaired = s.retransmissions_received,
            srtp_profile = &s.srtp_profile);
    }

    /// Closes the `Peer` (RTCP BYE, DTLS close_notify, ICE closed, TURN
    /// allocations released) and says `bye` when we are the one hanging up.
    async fn hang_up(&mut self, tell_peer: bool) {
        let keyed = self.peer.srtp_profile().is_some();
        self.peer.close(Instant::now());
        self.flush().await;
        if keyed && self.summary.packets_sent > 0 {
            note!(self.out, "rtcp-bye-sent" => "sent RTCP BYE");
        }
        if tell_peer {
            let _ = self.signaling.send(json!({ "type": "bye" })).await;
        }
        let limit = Instant::now() + Duration::from_secs(1);
        let mut buf = vec![0u8; MAX_DATAGRAM];
        while let Some(deadline) = self.peer.poll_timeout().filter(|_| Instant::now() < limit) {
            tokio::select! {
                Ok((len, source)) = self.socket.recv_from(&mut buf) => {
                    self.receive_datagram(source, buf.get(..len).unwrap_or_default());
                }
                () = tokio::time::sleep_until(deadline.min(limit).into()) => {
                    self.peer.handle_timeout(Instant::now());
                }
            }
            self.flush().await;
        }
        let ice = self.peer.ice_connection_state();
        note!(self.out, "ice-state" => "ICE {ice:?}", state = format!("{ice:?}").to_lowercase());
    }
}

/// Opens the signaling channel, joins the room (unless signaling by copy
/// and paste) and finds our role: whether we offer, and the offer when the
/// other side made it first.
async fn open_signaling(
    config: &PeerConfig,
    out: &Timeline,
    (local, tcp): (SocketAddr, Option<SocketAddr>),
    stop: &mut (impl Future<Output = ()> + Unpin),
) -> Result<(Signaling, bool, Option<Value>), PeerError> {
    let listener = tcp.map_or(String::new(), |a| format!(", TCP listener {a}"));
    let sockets = format!("UDP socket {local}{listener}");
    let (socket, tcp) = (local.to_string(), tcp.map(|a| a.to_string()));
    let url = format!("ws://{}/", config.signal);
    let mut signaling = if config.stdio_signaling {
        note!(out, "stdio-signaling" =>
            "copy-paste signaling: our messages are the JSON lines on stdout, the other side's are \
             read from stdin; {sockets}", socket = &socket);
        if let Some(joined) = &config.joined {
            joined.notify_one();
        }
        if !config.answer_only {
            // No room: the offer goes out at once.
            return Ok((Signaling::stdio(), true, None));
        }
        Signaling::stdio()
    } else {
        let mut signaling = Signaling::connect(&url).await?;
        let join = json!({ "type": "join", "room": config.room });
        signaling.send(join).await?;
        signaling
    };
    // The first in the room offers once the second arrives (unless told to
    // answer only).
    loop {
        let message = tokio::select! {
            message = signaling.receive() => message?,
            () = &mut *stop => {
                return Err(PeerError::Signaling("interrupted before the call".to_owned()));
            }
        };
        let message =
            message.ok_or_else(|| PeerError::Signaling("connection closed".to_owned()))?;
        match kind(&message) {
            "joined" => {
                let (room, peers) = (&config.room, message.get("peers").and_then(Value::as_u64));
                let count = peers.unwrap_or(0);
                note!(out, "joined" => "joined room {room:?} on {url} ({count} of 2); {sockets}",
                    room, peers, socket = &socket, tcp = &tcp);
                if let Some(joined) = &config.joined {
                    joined.notify_one();
                }
            }
            "peer-joined" if !config.answer_only => return Ok((signaling, true, None)),
            "offer" => return Ok((signaling, false, Some(message))),
            "error" => {
                let reason = message.get("reason").and_then(Value::as_str).unwrap_or("");
                return Err(PeerError::Signaling(reason.to_owned()));
            }
            _ => {}
        }
    }
}

/// Makes one call: joins `config.room` on the signaling server, offers (if
/// first in the room) or answers, connects (ICE, then DTLS-SRTP), exchanges
/// a PCMU tone until `config.duration` passes, the other side hangs up or
/// `stop` completes, then hangs up. Writes the WAV file when asked to.
pub async fn run(
    config: PeerConfig,
    stop: impl Future<Output = ()>,
) -> Result<CallSummary, PeerError> {
    let io = |context| move |source| PeerError::Io { context, source };
    let negotiation = |e: sansrtc::Error| PeerError::Negotiation(e.to_string());
    let out = Timeline {
        name: config.name.clone(),
        output: config.output,
        epoch: config.epoch,
        to_stderr: config.stdio_signaling,
    };
    let socket = UdpSocket::bind(config.bind).await;
    let socket = socket.map_err(io("binding the UDP socket"))?;
    let local = socket
        .local_addr()
        .map_err(io("reading the UDP socket address"))?;
    let tcp = Tcp::bind(config.tcp, local).await;
    let tcp = tcp.map_err(io("binding the TCP listener"))?;
    // The `Peer` (and its certificate) is made while we wait for the other
    // side; its sockets are added once the call starts.
    let mut rng = Rng::new(config.seed);
    let mut peer_config = Config::new();
    peer_config.seed = Some(rng.next_seed());
    peer_config.stun_servers = config.stun.into_iter().collect();
    peer_config.turn_servers = config.turn.clone().into_iter().collect();
    peer_config.ice_lite = config.ice_lite;
    // PCMU with generic NACK and RTX (RFC 4588), so that lost packets are
    // asked for and resent when the other side agrees.
    let pcmu = Codec::new(pcmu::PAYLOAD_TYPE, "PCMU", pcmu::SAMPLE_RATE, None)
        .with_feedback(&[("nack", None)]);
    let rtx = Codec::rtx_with_clock_rate(RTX_PAYLOAD_TYPE, pcmu::PAYLOAD_TYPE, pcmu::SAMPLE_RATE);
    peer_config.audio_codecs = vec![pcmu, rtx];
    let media = crate::video::Media::open(&config.media_files, out.clone(), config.stats_interval)?;
    media.configure(&mut peer_config);
    peer_config.cname = Some(config.name.clone());
    peer_config.rtcp_interval = config.rtcp_interval;
    let mut peer = Peer::new(peer_config, Instant::now()).map_err(negotiation)?;
    let forged = match config.forge_fingerprint {
        false => None,
        true => {
            let other = sansrtc::dtls::Certificate::generate();
            let other = other.map_err(|e| PeerError::Negotiation(format!("a certificate: {e}")))?;
            Some((peer.fingerprint(), other.fingerprint().to_string()))
        }
    };
    let data = if config.data {
        let options = DataOptions {
            say: config.say.clone(),
            send_file: config.send_file.clone(),
            probe: config.probe,
            echo_negotiated: config.echo_negotiated,
        };
        Some(DataChannels::new(out.clone(), options).map_err(io("opening the file to send"))?)
    } else {
        None
    };
    let mut stop = pin!(stop);
    let sockets = (local, tcp.local());
    let (signaling, offerer, offer) = open_signaling(&config, &out, sockets, &mut stop).await?;

    let started = Instant::now();
    peer.add_local_socket(LocalSocket::udp(local))
        .map_err(negotiation)?;
    if let Some(listener) = tcp.local() {
        let listener = LocalSocket::tcp_passive(listener);
        peer.add_local_socket(listener).map_err(negotiation)?;
    }
    let mut call = Call {
        out: out.clone(),
        tone: pcmu::Tone::new(config.tone_hz, config.tone_amplitude),
        config,
        peer,
        socket,
        local,
        tcp,
        signaling,
        rng,
        started,
        summary: CallSummary {
            offerer,
            ..CallSummary::default()
        },
        mid: None,
        payload_type: None,
        tone_timestamp: 0,
        next_packet: None,
        next_stats: None,
        connected_at: None,
        restart_at: None,
        received: None,
        ice_state: IceState::New,
        pending: Vec::new(),
        described: false,
        descriptions: 0,
        hold_until: None,
        forged,
        data,
        ended: None,
        media,
    };
    if offerer {
        let mid = call
            .peer
            .add_transceiver(MediaKind::Audio, Direction::SendRecv);
        call.mid = Some(mid.map_err(negotiation)?);
        call.media
            .add_transceiver(&mut call.peer)
            .map_err(negotiation)?;
        if let Some(data) = &mut call.data {
            data.create_channels(&mut call.peer, true);
        }
        let offer = call.peer.create_offer().map_err(negotiation)?;
        call.describe("offer", offer).await?;
    } else if let Some(offer) = offer {
        call.handle_signal(offer).await?;
    }

    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut signaling_open = true;
    let mut interrupted = false;
    // Lines typed on stdin go out on `chat`.
    let mut stdin_open = call.config.chat_stdin && call.data.is_some();
    let mut stdin =
        tokio::io::AsyncBufReadExt::lines(tokio::io::BufReader::new(tokio::io::stdin()));
    call.drain_events().await?;
    call.flush().await;
    while call.ended.is_none() {
        let deadline = call.deadline();
        tokio::select! {
            Ok((len, source)) = call.socket.recv_from(&mut buf) => {
                call.receive_datagram(source, buf.get(..len).unwrap_or_default());
                // Take what else waits in the socket before sending: a
                // busy sender (a file on a data channel) must not leave
                // acknowledgements and consent responses to overflow the
                // socket's buffer.
                for _ in 0..MAX_DATAGRAMS_PER_WAKE {
                    let Ok((len, source)) = call.socket.try_recv_from(&mut buf) else {
                        break;
                    };
                    call.receive_datagram(source, buf.get(..len).unwrap_or_default());
                }
            }
            event = call.tcp.next() => call.tcp_event(event),
            line = stdin.next_line(), if stdin_open => match line {
                Ok(Some(line)) => {
                    if let Some(data) = &mut call.data {
                        data.say(&mut call.peer, Instant::now(), line);
                    }
                }
                Ok(None) | Err(_) => stdin_open = false,
            },
            message = call.signaling.receive(), if signaling_open => match message {
                Ok(Some(message)) => call.handle_signal(message).await?,
                Ok(None) | Err(_) => {
                    signaling_open = false;
                    note!(out, "signal-closed" => "signaling connection closed");
                    if !call.summary.connected {
                        call.ended = Some("signaling closed before the call connected".to_owned());
                    }
                }
            },
            () = tokio::time::sleep_until(deadline.into()) => call.handle_timeouts().await?,
            () = &mut stop => {
                interrupted = true;
                call.ended = Some("interrupted".to_owned());
            }
        }
        call.drain_events().await?;
        call.flush().await;
    }
    if call.ended.as_deref() == Some("the other side hung up") {
        // The signaling `bye` can overtake the RTCP BYE sent just before
        // it: give that datagram a moment to arrive.
        let grace = Instant::now() + Duration::from_millis(250);
        while !call.summary.bye_received {
            tokio::select! {
                Ok((len, source)) = call.socket.recv_from(&mut buf) => {
                    call.receive_datagram(source, buf.get(..len).unwrap_or_default());
                }
                () = tokio::time::sleep_until(grace.into()) => break,
            }
            call.drain_events().await?;
        }
    }
    let reason = call.ended.take().unwrap_or_default();
    call.print_stats();
    if let Some(data) = &call.data {
        call.summary.data = data.summary.clone();
    }
    let we_hang_up = interrupted || !reason.starts_with("the other side");
    call.hang_up(we_hang_up && signaling_open).await;
    call.summary.media = call.media.finish();
    note!(out, "end" => "call ended: {reason}", reason = &reason);
    call.summary.end_reason = reason;
    call.signaling.close().await;
    if let Some(path) = &call.config.record {
        let samples = &call.summary.recording;
        let wav = crate::wav::encode(samples, pcmu::SAMPLE_RATE);
        std::fs::write(path, wav).map_err(io("writing the recording"))?;
        let (count, seconds) = (
            samples.len(),
            samples.len() as f64 / f64::from(pcmu::SAMPLE_RATE),
        );
        let shown = path.display();
        note!(out, "recorded" => "wrote {count} samples ({seconds:.2} s) to {shown}",
            path = shown.to_string(), samples = count);
    }
    Ok(call.summary)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chance_follows_the_percentage() {
        let mut rng = Rng::from_u64(7);
        let hits = (0..100_000).filter(|_| chance(&mut rng, 5.0)).count();
        assert!((4_700..=5_300).contains(&hits), "{hits}");
        assert!(!(0..1000).any(|_| chance(&mut rng, 0.0)));
    }
}
