//! The example peer: signaling over WebSocket ([`crate::signal`]) or by
//! copy and paste on stdin/stdout ([`PeerConfig::stdio_signaling`]), ICE with
//! [`sansrtc_ice::Agent`], offer and answer with [`sansrtc_sdp::negotiate`],
//! and a PCMU tone over RTP with RTCP reports, NACK and RTX from
//! [`sansrtc_rtp`], all on one UDP socket (and, with [`PeerConfig::tcp`],
//! a TCP listener for ICE-TCP).
//!
//! [`run`] drives one call from joining a room to hanging up and returns a
//! [`CallSummary`] of what happened; every line it prints reports an event
//! as it happened (an ICE state change, the selected pair, statistics read
//! from the RTP session, ...).
//!
//! # One socket, four protocols
//!
//! Every datagram is classified by its first byte (RFC 7983,
//! [`PacketKind`]): STUN goes to the ICE agent (connectivity checks and the
//! answers of the STUN server), RTP and RTCP to the media side. RTP and RTCP
//! share the port (`a=rtcp-mux`) and are told apart by the second byte (RFC
//! 5761 §4: RTCP packet types 200–207 read as marker bit plus payload type
//! 72–79).
//!
//! # ICE over TCP
//!
//! With [`PeerConfig::tcp`] the peer also listens on TCP (the UDP socket's
//! address and port when free) and offers it as a passive candidate
//! (RFC 6544), which a browser behind a network that blocks UDP connects
//! to. Each accepted connection is read by a task; a
//! [`sansrtc_ice::FrameReader`] cuts its bytes into RFC 4571 frames for the
//! agent, and every packet the agent hands out for a TCP connection is
//! already framed and written as it is. On a selected TCP pair media goes
//! through [`sansrtc_ice::Agent::send_data`], which frames it.
//!
//! # Copy-paste signaling
//!
//! With [`PeerConfig::stdio_signaling`] no server is involved: every
//! signaling message (offer, answer, candidate, end-of-candidates, bye) is
//! written to stdout as one JSON line, and the JSON lines read from stdin are
//! the other side's messages; the timeline goes to stderr instead. Paste
//! each line one peer prints into the other's terminal, or connect two peers
//! with pipes. The peer offers unless [`PeerConfig::answer_only`] is set.
//! Lines that are not JSON objects are ignored; a line longer than
//! [`crate::signal::MAX_MESSAGE_LEN`] is an error.
//!
//! # Without DTLS
//!
//! DTLS-SRTP is not implemented yet: media is plain RTP (the m-line still
//! says `UDP/TLS/RTP/SAVPF`, as JSEP requires) and the `a=fingerprint` is a
//! well-formed SHA-256 fingerprint of random bytes. Browsers will not
//! exchange media with this peer until DTLS exists.

// The peer owns the clock: it reads `Instant::now()` and `SystemTime::now()`
// and hands the time to the sans-IO state machines.
#![allow(clippy::disallowed_methods)]

use alloc::borrow::Cow;
use alloc::sync::Arc;
use core::future::Future;
use core::net::SocketAddr;
use core::pin::pin;
use core::time::Duration;
use std::path::PathBuf;
use std::time::{Instant, SystemTime};

use futures_util::{SinkExt, StreamExt};
use sansrtc_ice::{
    Agent, Candidate, CandidateType, Config as IceConfig, ConnectionEvent, ConnectionState,
    Event as IceEvent, FrameReader, Handled, LocalSocket, Receive, Transmit, Transport, TurnServer,
};
use sansrtc_rtp::list::List;
use sansrtc_rtp::nack::{NackConfig, NackGenerator, NackOutcome};
use sansrtc_rtp::ntp::{NtpTime, round_trip_time};
use sansrtc_rtp::rtcp::{Compound, Goodbye, Nack, NackEntry, Packet as RtcpPacket, ReportBlock};
use sansrtc_rtp::rtp::rtx::{RetransmissionBuffer, write_original};
use sansrtc_rtp::rtp::{Builder, Packet as RtpPacket};
use sansrtc_rtp::session::{Session as RtcpSession, SessionConfig};
use sansrtc_sdp::negotiate::{
    Capabilities, Codec, LocalMedia, Session as SdpSession, apply_answer, create_answer,
    create_offer,
};
use sansrtc_sdp::{Attribute, Fingerprint, MediaType, Origin, Sdp, Ssrc};
use sansrtc_stun::framing::{PacketKind, rfc4571};
use sansrtc_stun::rng::{Rng, Seed};
use sansrtc_stun::{Class, Message as StunMessage};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader, Stdin, Stdout};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{Notify, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::diagnostics::{RateLimit, Verdict};
use crate::pcmu;

/// Largest datagram read from the socket.
const MAX_DATAGRAM: usize = 2048;
/// Packets kept for retransmission: 2 s of 20 ms packets.
const RTX_BUFFER_PACKETS: usize = 100;
/// RTX payload type we offer for PCMU (`a=fmtp:97 apt=0`).
const RTX_PAYLOAD_TYPE: u8 = 97;
/// Shortest time between two NACKs for the same packet, whatever the RTT
/// (on loopback the RTT is far below a packet interval).
const MIN_NACK_INTERVAL: Duration = Duration::from_millis(20);
/// Packets sent in one go when the media timer fell behind.
const MAX_CATCH_UP_PACKETS: u32 = 5;
/// Longest recording kept in memory (10 minutes at 8 kHz); later audio is
/// not recorded.
pub const MAX_RECORDING_SAMPLES: usize = 8000 * 600;
/// Time between two media packets.
pub const PACKET_INTERVAL: Duration = Duration::from_millis(20);

/// How the peer prints what happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
    Json,
    /// Nothing (the summary is still returned).
    Quiet,
}

/// Everything [`run`] needs.
#[derive(Debug, Clone)]
pub struct PeerConfig {
    /// Name printed on each line (and the RTCP CNAME).
    pub name: String,
    /// Address of the signaling server (`ws://ADDR/`).
    pub signal: SocketAddr,
    /// Signal by copy and paste instead of through the server: messages as
    /// JSON lines on stdout and stdin, the timeline on stderr (see the
    /// module docs).
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
    /// Give up when ICE has not connected this long after the offer or
    /// answer.
    pub connect_timeout: Duration,
    /// Frequency of the tone we send, in hertz.
    pub tone_hz: f64,
    /// Peak of the tone, 0 to 1 of full scale.
    pub tone_amplitude: f64,
    /// Time between two statistics lines.
    pub stats_interval: Duration,
    /// RTCP minimum report interval (RFC 3550 §6.2 gives 5 s; short calls
    /// want less).
    pub rtcp_interval: Duration,
    /// Where to write what we receive, as WAV.
    pub record: Option<PathBuf>,
    /// Percentage of our outgoing RTP and RTCP packets to drop, to show
    /// NACK recovery (STUN is never dropped).
    pub send_loss_percent: f64,
    /// Seed of the ICE agent, the SSRCs, the credentials and the loss:
    /// `None` (the default) takes it from the operating system; `Some`
    /// makes a run reproducible.
    pub seed: Option<Seed>,
    /// How to print.
    pub output: Output,
    /// Instant that printed times are relative to.
    pub epoch: Instant,
    /// Notified once the signaling server confirmed the join.
    pub joined: Option<Arc<Notify>>,
    /// Wait for the other side's offer and answer it, even when first in
    /// the room.
    pub answer_only: bool,
    /// Be an ICE-lite agent (RFC 8445 §2.5) and say so (`a=ice-lite`):
    /// host candidates only, never controlling.
    pub ice_lite: bool,
    /// Keep our candidates out of our description and signal them this
    /// long after it (trickle ICE, RFC 8838, with late candidates).
    pub candidate_delay: Option<Duration>,
    /// Restart ICE this long after connecting (once): new credentials in a
    /// new offer (RFC 8445 §9, RFC 8839 §4.4.1.1.1).
    pub restart_after: Option<Duration>,
    /// Also listen on TCP and offer a passive TCP candidate (ICE-TCP,
    /// RFC 6544), for peers whose network blocks UDP.
    pub tcp: bool,
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
    /// The remote description could not be used.
    #[error("negotiation: {0}")]
    Negotiation(String),
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
    /// Whether we made the offer (and were the controlling ICE agent).
    pub offerer: bool,
    /// Whether ICE reached connected (or completed).
    pub connected: bool,
    /// Time from the start of ICE to connected.
    pub time_to_connected: Option<Duration>,
    /// The selected pair, if any.
    pub selected: Option<SelectedPair>,
    /// Local candidates signalled, as `a=candidate` values.
    pub local_candidates: Vec<String>,
    /// Of those, candidates held back and signalled late
    /// ([`PeerConfig::candidate_delay`]).
    pub late_candidates: usize,
    /// Pairs selected (a restart selects a new one).
    pub pairs_selected: u32,
    /// ICE restarts, started by either side.
    pub ice_restarts: u32,
    /// RTP media packets sent (retransmissions not included).
    pub packets_sent: u64,
    /// RTP payload bytes sent (retransmissions not included).
    pub bytes_sent: u64,
    /// Media packets the loss injection dropped before they left.
    pub packets_dropped: u64,
    /// Distinct media packets received (directly or through RTX).
    pub packets_received: u64,
    /// RTP payload bytes received in those packets.
    pub bytes_received: u64,
    /// Of those, packets that arrived only thanks to an RTX retransmission.
    pub packets_recovered: u64,
    /// Lost packets by the RFC 3550 count (expected minus received) at the
    /// end of the call.
    pub packets_lost: i64,
    /// Interarrival jitter at the end, in milliseconds.
    pub jitter_ms: f64,
    /// Latest round-trip time from the other side's report blocks.
    pub rtt: Option<Duration>,
    /// RTCP sender reports received.
    pub sender_reports_received: u64,
    /// RTCP receiver reports received.
    pub receiver_reports_received: u64,
    /// Report blocks about our stream received (in SRs or RRs).
    pub report_blocks_received: u64,
    /// RTCP compound packets we sent.
    pub rtcp_sent: u64,
    /// STUN Binding requests sent to the peer (connectivity and consent
    /// checks).
    pub checks_sent: u64,
    /// NACK packets sent.
    pub nacks_sent: u64,
    /// Sequence numbers asked for in the NACKs we sent.
    pub nacked_packets: u64,
    /// NACK packets received.
    pub nacks_received: u64,
    /// RTX packets we sent in answer.
    pub retransmissions_sent: u64,
    /// Whether the other side sent an RTCP BYE.
    pub bye_received: bool,
    /// Who ended the call, and why.
    pub end_reason: String,
    /// The audio received (8 kHz), when recording.
    pub recording: Vec<i16>,
}

/// Injected loss: true with `percent` % probability.
fn chance(rng: &mut Rng, percent: f64) -> bool {
    let draw = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    draw * 100.0 < percent
}

/// Prints timeline lines.
#[derive(Debug, Clone)]
struct Printer {
    name: String,
    output: Output,
    epoch: Instant,
    /// Print on stderr (stdout carries copy-paste signaling).
    to_stderr: bool,
}

impl Printer {
    fn note(&self, event: &str, text: &str, fields: Value) {
        let elapsed = Instant::now().saturating_duration_since(self.epoch);
        match self.output {
            Output::Quiet => {}
            Output::Text => {
                let line = format!("{:>7.3} s  {:<6} {text}", elapsed.as_secs_f64(), self.name);
                self.print(&line);
            }
            Output::Json => {
                let mut object = json!({
                    "t": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                    "peer": self.name,
                    "event": event,
                });
                if let (Some(target), Value::Object(extra)) = (object.as_object_mut(), fields) {
                    target.extend(extra);
                }
                self.print(&object.to_string());
            }
        }
    }

    fn print(&self, line: &str) {
        if self.to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

type WebSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// The signaling connection.
enum Signaling {
    /// Through the signaling server.
    WebSocket(WebSocket),
    /// Copy and paste: JSON lines on stdout and stdin.
    Stdio {
        input: BufReader<Stdin>,
        output: Stdout,
    },
}

impl Signaling {
    fn stdio() -> Self {
        Self::Stdio {
            input: BufReader::new(tokio::io::stdin()),
            output: tokio::io::stdout(),
        }
    }

    async fn send(&mut self, value: Value) -> Result<(), PeerError> {
        match self {
            Self::WebSocket(socket) => socket
                .send(Message::text(value.to_string()))
                .await
                .map_err(|e| PeerError::Signaling(e.to_string())),
            Self::Stdio { output, .. } => {
                let mut line = value.to_string();
                line.push('\n');
                output
                    .write_all(line.as_bytes())
                    .await
                    .map_err(|source| PeerError::Io {
                        context: "writing a signaling message to stdout",
                        source,
                    })?;
                output.flush().await.map_err(|source| PeerError::Io {
                    context: "writing a signaling message to stdout",
                    source,
                })
            }
        }
    }

    /// The next JSON message; `Ok(None)` when the connection (or stdin) is
    /// closed; an error when a pasted line is too long.
    async fn receive(&mut self) -> Result<Option<Value>, PeerError> {
        match self {
            Self::WebSocket(socket) => loop {
                let Some(message) = socket.next().await else {
                    return Ok(None);
                };
                match message {
                    Ok(Message::Text(text)) => match serde_json::from_str(text.as_str()) {
                        Ok(value) => return Ok(Some(value)),
                        Err(_) => continue,
                    },
                    Ok(Message::Close(_)) | Err(_) => return Ok(None),
                    Ok(_) => {}
                }
            },
            Self::Stdio { input, .. } => loop {
                let Some(line) = read_line(input, crate::signal::MAX_MESSAGE_LEN).await? else {
                    return Ok(None);
                };
                match serde_json::from_slice::<Value>(&line) {
                    Ok(value) if value.is_object() => return Ok(Some(value)),
                    _ => continue,
                }
            },
        }
    }
}

/// One line of `input` without its end, at most `max` bytes; `None` at the
/// end of the input or on a read error; an error when the line is longer
/// than `max` (read no further, so memory stays bounded).
async fn read_line(input: &mut BufReader<Stdin>, max: usize) -> Result<Option<Vec<u8>>, PeerError> {
    let mut line = Vec::new();
    loop {
        let Ok(available) = input.fill_buf().await else {
            return Ok(None);
        };
        if available.is_empty() {
            // End of input: a last line without a newline still counts.
            return Ok((!line.is_empty()).then_some(line));
        }
        let (chunk, done) = match available.iter().position(|&b| b == b'\n') {
            Some(end) => (available.get(..end).unwrap_or_default(), true),
            None => (available, false),
        };
        if line.len() + chunk.len() > max {
            return Err(PeerError::Signaling(format!(
                "a line on stdin is longer than a message may be ({max} bytes)"
            )));
        }
        line.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(done);
        input.consume(used);
        if done {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}

fn kind(value: &Value) -> &str {
    value.get("type").and_then(Value::as_str).unwrap_or("")
}

/// The `a=candidate` value of a candidate (without `candidate:`).
fn candidate_value(candidate: &Candidate) -> String {
    candidate.sdp_value().to_string()
}

/// What the media side of the call agreed on.
#[derive(Debug, Clone, Copy)]
struct Agreed {
    payload_type: u8,
    rtx_payload_type: Option<u8>,
}

fn agreed(offer: &Sdp<'_>, answer: &Sdp<'_>) -> Result<Agreed, PeerError> {
    let agreement =
        apply_answer(offer, answer).map_err(|e| PeerError::Negotiation(e.to_string()))?;
    let audio = agreement
        .media
        .iter()
        .find(|m| m.accepted && m.kind == MediaType::Audio)
        .ok_or_else(|| PeerError::Negotiation("no audio accepted".to_owned()))?;
    let codec = audio
        .codecs
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case("PCMU") && c.clock_rate == pcmu::SAMPLE_RATE)
        .ok_or_else(|| PeerError::Negotiation("PCMU was not agreed".to_owned()))?;
    Ok(Agreed {
        payload_type: codec.payload_type,
        rtx_payload_type: codec.rtx_payload_type,
    })
}

/// ICE credentials and candidates of a remote description.
fn remote_transport(sdp: &Sdp<'_>) -> (Option<String>, Option<String>, Vec<String>, bool) {
    let mut ufrag = None;
    let mut pwd = None;
    let mut candidates = Vec::new();
    let mut end = false;
    let media = sdp.media.first();
    let attributes = sdp
        .attributes()
        .chain(media.into_iter().flat_map(|m| m.attributes()));
    for attribute in attributes {
        match attribute {
            Attribute::IceUfrag(value) => ufrag = Some(value.to_string()),
            Attribute::IcePwd(value) => pwd = Some(value.to_string()),
            Attribute::Candidate(value) => candidates.push(value.to_string()),
            Attribute::EndOfCandidates => end = true,
            _ => {}
        }
    }
    (ufrag, pwd, candidates, end)
}

/// Our audio m-line: PCMU with NACK, and RTX for it.
///
/// Only the media SSRC is signalled, without an `a=ssrc-group:FID` for the
/// RTX stream: Chromium's voice engine takes exactly one SSRC per audio
/// stream and refuses a remote offer whose audio m-line groups two
/// ("Failed to add remote stream ssrc"). RTX packets are recognised by
/// their payload type, which is negotiated.
fn local_media(ssrc: u32, cname: &str) -> LocalMedia<'static> {
    let codecs = vec![
        Codec::new(pcmu::PAYLOAD_TYPE, "PCMU", pcmu::SAMPLE_RATE, None)
            .with_feedback(&[("nack", None)]),
        Codec::new(RTX_PAYLOAD_TYPE, "rtx", pcmu::SAMPLE_RATE, None)
            .with_parameters(&[("apt", "0")]),
    ];
    let mut media = LocalMedia::new("0", MediaType::Audio, codecs, Vec::new());
    media.ssrcs = vec![Ssrc {
        ssrc,
        attribute: Cow::Borrowed("cname"),
        value: Some(Cow::Owned(cname.to_owned())),
    }];
    media
}

/// State of a call once the role is known.
struct Call {
    printer: Printer,
    /// Per-packet diagnostics (a malformed RTCP packet) are rate-limited:
    /// a flood of bad packets prints a few lines and a count.
    diagnostics: RateLimit,
    config: PeerConfig,
    socket: UdpSocket,
    local: SocketAddr,
    agent: Agent,
    rng: Rng,
    started: Instant,
    ntp_anchor: NtpTime,
    anchor: Instant,
    summary: CallSummary,
    agreed: Option<Agreed>,
    /// Where media goes, once a pair is selected.
    destination: Option<SocketAddr>,
    connected_at: Option<Instant>,
    ssrc: u32,
    sequence_number: u16,
    timestamp: u32,
    tone: pcmu::Tone,
    next_packet: Option<Instant>,
    next_stats: Option<Instant>,
    rtcp: RtcpSession,
    rtx: RetransmissionBuffer,
    nack: NackGenerator,
    remote_ssrc: Option<u32>,
    first_timestamp: Option<u32>,
    /// Sent RTP and RTCP packets, and bytes, for the statistics lines.
    remote_report: Option<ReportBlock>,
    state: ConnectionState,
    /// Our address as the STUN server saw it.
    stun_mapped: Option<SocketAddr>,
    /// Whether media on the selected pair goes through the agent: its local
    /// candidate is relayed (the agent's TURN client wraps it) or TCP (the
    /// agent frames it for the connection).
    via_agent: bool,
    /// The TCP listener's address (`--tcp`).
    tcp_local: Option<SocketAddr>,
    /// Accepted TCP connections.
    tcp_connections: Vec<TcpConnection>,
    /// Where the connections' reader tasks send what they read.
    tcp_reads: mpsc::Sender<TcpRead>,
    signal_ready: bool,
    pending_signals: Vec<Value>,
    /// Signals are held until then (late candidates).
    hold_signals_until: Option<Instant>,
    ended: Option<String>,
    /// Our session description parameters, for later offers and answers.
    session: SdpSession<'static>,
    media: LocalMedia<'static>,
    /// Our latest offer, while its answer is awaited or after.
    local_offer: Option<String>,
    /// The remote ICE ufrag in use: a new one in an offer is a restart.
    remote_ufrag: Option<String>,
    /// When we restart ICE, once.
    restart_at: Option<Instant>,
}

impl Call {
    fn ntp_now(&self, now: Instant) -> NtpTime {
        let elapsed = now.saturating_duration_since(self.anchor);
        NtpTime(
            self.ntp_anchor
                .0
                .wrapping_add(NtpTime::from_ntp_duration(elapsed).0),
        )
    }

    async fn send_datagram(&mut self, destination: SocketAddr, bytes: &[u8]) {
        if let Err(error) = self.socket.send_to(bytes, destination).await {
            self.printer.note(
                "send-error",
                &format!("cannot send to {destination}: {error}"),
                json!({ "destination": destination.to_string(), "error": error.to_string() }),
            );
        }
    }

    /// Sends a media-side datagram through the loss injection; returns
    /// whether it left.
    async fn send_media(&mut self, bytes: &[u8]) -> bool {
        let Some(destination) = self.destination else {
            return false;
        };
        if self.config.send_loss_percent > 0.0
            && chance(&mut self.rng, self.config.send_loss_percent)
        {
            return false;
        }
        self.send_on_pair(destination, bytes).await
    }

    /// Sends a media-side packet on the selected pair: directly, or through
    /// the agent when its local candidate is relayed (the agent wraps the
    /// packet for the TURN server) or TCP (the agent frames it).
    async fn send_on_pair(&mut self, destination: SocketAddr, bytes: &[u8]) -> bool {
        if self.via_agent {
            if self.agent.send_data(Instant::now(), 1, bytes).is_err() {
                return false;
            }
            while let Some(transmit) = self.agent.poll_transmit() {
                self.send_transmit(&transmit).await;
            }
        } else {
            self.send_datagram(destination, bytes).await;
        }
        true
    }

    /// Sends a packet the agent handed out: a datagram, or bytes (already
    /// RFC 4571-framed) for one of our TCP connections.
    async fn send_transmit(&mut self, transmit: &Transmit) {
        if transmit.transport != Transport::Tcp {
            self.send_datagram(transmit.destination, &transmit.contents)
                .await;
            return;
        }
        let Some(connection) = self
            .tcp_connections
            .iter_mut()
            .find(|c| c.local == transmit.source && c.remote == transmit.destination)
        else {
            return;
        };
        if let Err(error) = connection.writer.write_all(&transmit.contents).await {
            self.printer.note(
                "send-error",
                &format!("cannot send to {} over TCP: {error}", transmit.destination),
                json!({ "destination": transmit.destination.to_string(), "error": error.to_string() }),
            );
        }
    }

    /// A peer connected to our TCP listener: the agent takes it (or not),
    /// and a task reads it.
    fn accept_tcp(&mut self, stream: TcpStream, remote: SocketAddr) {
        let Some(local) = self.tcp_local else {
            return;
        };
        let accepted = ConnectionEvent::Accepted { local, remote };
        if let Err(error) = self.agent.handle_connection(Instant::now(), accepted) {
            self.printer.note(
                "tcp-refused",
                &format!("TCP connection from {remote} refused: {error}"),
                json!({ "remote": remote.to_string(), "error": error.to_string() }),
            );
            return;
        }
        self.printer.note(
            "tcp-accepted",
            &format!("TCP connection from {remote} accepted"),
            json!({ "remote": remote.to_string() }),
        );
        let (mut read, writer) = stream.into_split();
        let reads = self.tcp_reads.clone();
        let reader = tokio::spawn(async move {
            let mut buf = vec![0u8; MAX_DATAGRAM];
            loop {
                let read = match read.read(&mut buf).await {
                    Ok(0) | Err(_) => TcpRead::Closed(local, remote),
                    Ok(len) => {
                        TcpRead::Bytes(local, remote, buf.get(..len).unwrap_or_default().to_vec())
                    }
                };
                let closed = matches!(read, TcpRead::Closed(..));
                if reads.send(read).await.is_err() || closed {
                    break;
                }
            }
        });
        self.tcp_connections.push(TcpConnection {
            local,
            remote,
            writer,
            frames: FrameReader::new(),
            reader,
        });
    }

    /// What a connection's reader task read: its frames go to the agent;
    /// the end of the stream or a framing error closes it.
    async fn handle_tcp_read(&mut self, read: TcpRead) {
        let (local, remote, bytes) = match read {
            TcpRead::Bytes(local, remote, bytes) => (local, remote, bytes),
            TcpRead::Closed(local, remote) => {
                self.close_tcp(local, remote, true);
                return;
            }
        };
        let Some(connection) = self
            .tcp_connections
            .iter_mut()
            .find(|c| c.local == local && c.remote == remote)
        else {
            return;
        };
        let mut frames = Vec::new();
        let mut broken = connection.frames.push(&bytes).is_err();
        while !broken {
            match connection.frames.next_frame() {
                Ok(Some(frame)) => frames.push(frame.to_vec()),
                Ok(None) => break,
                Err(_) => broken = true,
            }
        }
        for frame in frames {
            self.handle_frame(local, remote, &frame).await;
        }
        if broken {
            self.close_tcp(local, remote, true);
        }
    }

    /// Drops a TCP connection (closing it); `tell_agent` when the agent did
    /// not ask for it.
    fn close_tcp(&mut self, local: SocketAddr, remote: SocketAddr, tell_agent: bool) {
        let Some(index) = self
            .tcp_connections
            .iter()
            .position(|c| c.local == local && c.remote == remote)
        else {
            return;
        };
        let connection = self.tcp_connections.remove(index);
        connection.reader.abort();
        if tell_agent {
            let closed = ConnectionEvent::Closed { local, remote };
            let _ = self.agent.handle_connection(Instant::now(), closed);
        }
        self.printer.note(
            "tcp-closed",
            &format!("TCP connection from {remote} closed"),
            json!({ "remote": remote.to_string() }),
        );
    }

    /// One frame of a TCP connection, for the agent: STUN it consumes,
    /// media from the selected pair's connection.
    async fn handle_frame(&mut self, local: SocketAddr, remote: SocketAddr, frame: &[u8]) {
        let now = Instant::now();
        let receive = Receive {
            source: remote,
            destination: local,
            transport: Transport::Tcp,
            contents: frame,
        };
        match self.agent.handle_receive(now, receive) {
            Ok(Handled::Data(data)) => {
                if self.via_agent
                    && Some(data.remote) == self.destination
                    && PacketKind::of(data.contents) == PacketKind::Rtp
                {
                    self.handle_media(now, data.contents).await;
                }
            }
            Ok(Handled::NotMine) | Err(_) => {}
            Ok(_) => self.note_stun_received(remote, frame),
        }
    }

    /// Drains the agent: transmits, then events.
    async fn drain_agent(&mut self, signaling: &mut Signaling) -> Result<(), PeerError> {
        while let Some(transmit) = self.agent.poll_transmit() {
            let packet = match transmit.transport {
                Transport::Tcp => rfc4571::split(&transmit.contents).map_or(&[][..], |(p, _)| p),
                _ => &transmit.contents,
            };
            self.note_stun_sent(transmit.destination, packet);
            self.send_transmit(&transmit).await;
        }
        while let Some(event) = self.agent.poll_event() {
            match event {
                IceEvent::LocalCandidate(candidate) => {
                    let value = candidate_value(&candidate);
                    self.printer.note(
                        "local-candidate",
                        &format!("gathered {} candidate {value}", candidate.kind()),
                        json!({ "candidate": value, "candidate_type": candidate.kind().to_string() }),
                    );
                    self.summary.local_candidates.push(value.clone());
                    self.signal(
                        signaling,
                        json!({ "type": "candidate", "candidate": format!("candidate:{value}") }),
                    )
                    .await?;
                }
                IceEvent::GatheringComplete => {
                    if let Some(mapped) = self.stun_mapped {
                        if mapped == self.local {
                            self.printer.note(
                                "srflx-redundant",
                                &format!("no server-reflexive candidate: the STUN server saw {mapped}, our host address (no NAT on loopback), so it would be redundant (RFC 8445 §5.1.3)"),
                                json!({ "mapped": mapped.to_string() }),
                            );
                        }
                    }
                    self.printer.note(
                        "gathering-complete",
                        "gathering complete, sent end-of-candidates",
                        json!({}),
                    );
                    self.signal(signaling, json!({ "type": "end-of-candidates" }))
                        .await?;
                }
                IceEvent::StateChanged(state) => {
                    let now = Instant::now();
                    self.state = state;
                    self.printer.note(
                        "ice-state",
                        &format!("ICE {state:?}"),
                        json!({ "state": format!("{state:?}").to_lowercase() }),
                    );
                    match state {
                        ConnectionState::Connected | ConnectionState::Completed
                            if !self.summary.connected =>
                        {
                            self.summary.connected = true;
                            self.summary.time_to_connected =
                                Some(now.saturating_duration_since(self.started));
                        }
                        ConnectionState::Failed => {
                            self.ended.get_or_insert_with(|| "ICE failed".to_owned());
                        }
                        _ => {}
                    }
                }
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
                    self.printer.note(
                        "selected-pair",
                        &format!(
                            "selected pair {} {} -> {} {}",
                            pair.local_type, pair.local, pair.remote_type, pair.remote
                        ),
                        json!({
                            "local": pair.local.to_string(),
                            "local_type": pair.local_type,
                            "remote": pair.remote.to_string(),
                            "remote_type": pair.remote_type,
                            "transport": local.transport().to_string(),
                        }),
                    );
                    self.destination = Some(remote_address);
                    self.via_agent = local.kind() == CandidateType::Relayed
                        || local.transport() == Transport::Tcp;
                    if self.connected_at.is_none() {
                        let now = Instant::now();
                        self.connected_at = Some(now);
                        self.next_packet = Some(now);
                        self.next_stats = Some(now + self.config.stats_interval);
                        self.restart_at = self.config.restart_after.map(|after| now + after);
                    }
                    self.summary.selected = Some(pair);
                    self.summary.pairs_selected += 1;
                }
                IceEvent::CloseConnection { local, remote } => {
                    self.close_tcp(local, remote, false);
                }
                IceEvent::RoleChanged { controlling } => {
                    self.printer.note(
                        "role-changed",
                        &format!("ICE role conflict: now controlling={controlling}"),
                        json!({ "controlling": controlling }),
                    );
                }
                other => {
                    self.printer.note(
                        "ice-event",
                        &format!("ICE event {other:?}"),
                        json!({ "detail": format!("{other:?}") }),
                    );
                }
            }
        }
        Ok(())
    }

    /// Whether connectivity checks are still worth a line each (before
    /// the call is up; consent checks later are only counted).
    fn checking(&self) -> bool {
        matches!(self.state, ConnectionState::New | ConnectionState::Checking)
    }

    fn note_stun_sent(&mut self, destination: SocketAddr, bytes: &[u8]) {
        let Ok(message) = StunMessage::parse(bytes) else {
            return;
        };
        let class = message.class();
        if Some(destination) == self.config.stun {
            self.printer.note(
                "stun-request",
                &format!("asked STUN server {destination} for our server-reflexive address"),
                json!({ "server": destination.to_string() }),
            );
        } else if class == Class::Request {
            self.summary.checks_sent += 1;
            if self.checking() {
                self.printer.note(
                    "check-sent",
                    &format!(
                        "connectivity check to {destination}{}",
                        if message.use_candidate() { " (USE-CANDIDATE: nomination)" } else { "" }
                    ),
                    json!({ "to": destination.to_string(), "use_candidate": message.use_candidate() }),
                );
            }
        } else if class == Class::SuccessResponse && self.checking() {
            self.printer.note(
                "check-answered",
                &format!("answered the connectivity check of {destination}"),
                json!({ "to": destination.to_string() }),
            );
        }
    }

    fn note_stun_received(&mut self, source: SocketAddr, bytes: &[u8]) {
        let Ok(message) = StunMessage::parse(bytes) else {
            return;
        };
        if Some(source) == self.config.stun {
            let mapped = message
                .xor_mapped_address()
                .or_else(|| message.mapped_address());
            self.stun_mapped = mapped;
            self.printer.note(
                "stun-response",
                &format!(
                    "STUN server {source} answered: we are seen as {}",
                    mapped.map_or_else(|| "(no address)".to_owned(), |a| a.to_string())
                ),
                json!({ "server": source.to_string(), "mapped": mapped.map(|a| a.to_string()) }),
            );
        } else if message.class() == Class::SuccessResponse && self.checking() {
            self.printer.note(
                "check-succeeded",
                &format!("connectivity check to {source} succeeded"),
                json!({ "from": source.to_string() }),
            );
        }
    }

    async fn signal(&mut self, signaling: &mut Signaling, value: Value) -> Result<(), PeerError> {
        if self.signal_ready && self.hold_signals_until.is_none() {
            signaling.send(value).await
        } else {
            self.pending_signals.push(value);
            Ok(())
        }
    }

    async fn flush_signals(&mut self, signaling: &mut Signaling) -> Result<(), PeerError> {
        self.signal_ready = true;
        if self.hold_signals_until.is_some() {
            return Ok(());
        }
        for value in core::mem::take(&mut self.pending_signals) {
            signaling.send(value).await?;
        }
        Ok(())
    }

    /// Sends the signals held back for late candidates once their time
    /// has come (or at the answer, if that comes later).
    async fn release_held_signals(
        &mut self,
        now: Instant,
        signaling: &mut Signaling,
    ) -> Result<(), PeerError> {
        if self.hold_signals_until.is_none_or(|t| t > now) {
            return Ok(());
        }
        self.hold_signals_until = None;
        let count = self
            .pending_signals
            .iter()
            .filter(|v| kind(v) == "candidate")
            .count();
        self.summary.late_candidates += count;
        self.printer.note(
            "late-candidates",
            &format!("signalling our {count} candidate(s) late"),
            json!({ "candidates": count }),
        );
        if self.signal_ready {
            self.flush_signals(signaling).await?;
        }
        Ok(())
    }

    /// Holds our candidates back for [`PeerConfig::candidate_delay`] from
    /// now, when asked to.
    fn hold_candidates(&mut self) {
        if let Some(delay) = self.config.candidate_delay {
            self.hold_signals_until = Some(Instant::now() + delay);
        }
    }

    /// After [`Agent::restart`]: the new credentials go in the next
    /// description, with a new version; candidates are trickled.
    fn take_new_credentials(&mut self) {
        let credentials = self.agent.local_credentials().clone();
        self.session.ice_ufrag = Cow::Owned(credentials.ufrag().to_owned());
        self.session.ice_pwd = Cow::Owned(credentials.pwd().to_owned());
        self.session.candidates.clear();
        self.session.origin.session_version += 1;
    }

    /// Answers an offer: the first one, or a later one. A later offer with
    /// a new ufrag restarts ICE (RFC 8839 §4.4.1.1.1): we answer it with
    /// new credentials of our own and trickle our candidates again.
    async fn answer_offer(
        &mut self,
        signaling: &mut Signaling,
        text: &str,
    ) -> Result<(), PeerError> {
        let offer = Sdp::parse(text).map_err(|e| PeerError::Negotiation(format!("offer: {e}")))?;
        let (ufrag, ..) = remote_transport(&offer);
        let first = self.remote_ufrag.is_none();
        if !first {
            if ufrag != self.remote_ufrag {
                self.agent
                    .restart()
                    .map_err(|e| PeerError::Negotiation(e.to_string()))?;
                self.take_new_credentials();
                self.summary.ice_restarts += 1;
                self.printer.note(
                    "ice-restart",
                    &format!(
                        "the other side restarted ICE (ufrag {} -> {}): answering with ufrag {}",
                        self.remote_ufrag.as_deref().unwrap_or(""),
                        ufrag.as_deref().unwrap_or(""),
                        self.session.ice_ufrag
                    ),
                    json!({ "by": "remote", "remote_ufrag": ufrag, "local_ufrag": self.session.ice_ufrag }),
                );
            } else {
                self.session.origin.session_version += 1;
            }
        }
        self.printer.note(
            "offer",
            &format!("received offer ({} bytes)", text.len()),
            json!({ "sdp_len": text.len() }),
        );
        let capabilities = Capabilities::new(self.session.clone()).with_audio(self.media.clone());
        let answer = create_answer(&offer, &capabilities)
            .map_err(|e| PeerError::Negotiation(e.to_string()))?
            .into_owned();
        let agreed = agreed(&offer, &answer)?;
        let answer_text = answer.to_string();
        self.agreed = Some(agreed);
        self.apply_remote(&offer)?;
        self.printer.note(
            "answer",
            &format!(
                "sending answer ({} bytes, ICE ufrag {}): PCMU/{} payload type {}, RTX {}",
                answer_text.len(),
                self.session.ice_ufrag,
                pcmu::SAMPLE_RATE,
                agreed.payload_type,
                agreed.rtx_payload_type.map_or_else(
                    || "not agreed".to_owned(),
                    |pt| format!("payload type {pt}")
                )
            ),
            json!({ "sdp": answer_text }),
        );
        signaling
            .send(json!({ "type": "answer", "sdp": answer_text }))
            .await?;
        if first {
            self.hold_candidates();
        }
        self.flush_signals(signaling).await
    }

    /// Restarts ICE from our side: new credentials in a new offer.
    async fn restart_ice(&mut self, signaling: &mut Signaling) -> Result<(), PeerError> {
        self.restart_at = None;
        self.agent
            .restart()
            .map_err(|e| PeerError::Negotiation(e.to_string()))?;
        self.take_new_credentials();
        self.summary.ice_restarts += 1;
        let offer = create_offer(&self.session, core::slice::from_ref(&self.media)).to_string();
        self.printer.note(
            "ice-restart",
            &format!(
                "restarting ICE: sending a new offer ({} bytes, ICE ufrag {})",
                offer.len(),
                self.session.ice_ufrag
            ),
            json!({ "by": "local", "local_ufrag": self.session.ice_ufrag, "sdp": offer }),
        );
        signaling
            .send(json!({ "type": "offer", "sdp": offer }))
            .await?;
        self.local_offer = Some(offer);
        Ok(())
    }

    fn add_remote_candidate(&mut self, value: &str) {
        match value.parse::<Candidate>() {
            Ok(candidate) => {
                let text = candidate_value(&candidate);
                match self.agent.add_remote_candidate(candidate) {
                    Ok(()) => self.printer.note(
                        "remote-candidate",
                        &format!("remote candidate {text}"),
                        json!({ "candidate": text }),
                    ),
                    Err(error) => self.printer.note(
                        "remote-candidate-refused",
                        &format!("remote candidate {text} refused: {error}"),
                        json!({ "candidate": text, "error": error.to_string() }),
                    ),
                }
            }
            Err(error) => self.printer.note(
                "remote-candidate-invalid",
                &format!("remote candidate {value:?} does not parse: {error}"),
                json!({ "candidate": value, "error": error.to_string() }),
            ),
        }
    }

    /// Applies a remote description's ICE part.
    fn apply_remote(&mut self, sdp: &Sdp<'_>) -> Result<(), PeerError> {
        let (ufrag, pwd, candidates, end) = remote_transport(sdp);
        let (Some(ufrag), Some(pwd)) = (ufrag, pwd) else {
            return Err(PeerError::Negotiation(
                "no a=ice-ufrag or a=ice-pwd".to_owned(),
            ));
        };
        self.agent
            .set_remote_credentials(&ufrag, &pwd)
            .map_err(|e| PeerError::Negotiation(e.to_string()))?;
        self.remote_ufrag = Some(ufrag);
        if sdp.attributes().any(|a| matches!(a, Attribute::IceLite)) {
            // RFC 8445 §6.1.1: a full agent facing a lite one controls.
            self.agent.set_remote_lite();
        }
        for candidate in candidates {
            self.add_remote_candidate(&candidate);
        }
        if end {
            self.agent.end_of_remote_candidates();
        }
        Ok(())
    }

    async fn handle_signal(
        &mut self,
        signaling: &mut Signaling,
        message: Value,
    ) -> Result<(), PeerError> {
        match kind(&message) {
            "offer" => {
                if let Some(text) = message.get("sdp").and_then(Value::as_str) {
                    self.answer_offer(signaling, text).await?;
                }
            }
            "answer" => {
                let (Some(offer), Some(text)) = (
                    self.local_offer.clone(),
                    message.get("sdp").and_then(Value::as_str),
                ) else {
                    return Ok(());
                };
                let offer =
                    Sdp::parse(&offer).map_err(|e| PeerError::Negotiation(e.to_string()))?;
                let answer =
                    Sdp::parse(text).map_err(|e| PeerError::Negotiation(format!("answer: {e}")))?;
                let agreed = agreed(&offer, &answer)?;
                self.printer.note(
                    "answer",
                    &format!(
                        "received answer ({} bytes): PCMU/{} payload type {}, RTX {}",
                        text.len(),
                        pcmu::SAMPLE_RATE,
                        agreed.payload_type,
                        agreed
                            .rtx_payload_type
                            .map_or_else(|| "not agreed".to_owned(), |pt| format!("payload type {pt}"))
                    ),
                    json!({ "sdp_len": text.len(), "payload_type": agreed.payload_type, "rtx_payload_type": agreed.rtx_payload_type }),
                );
                self.agreed = Some(agreed);
                self.apply_remote(&answer)?;
                self.flush_signals(signaling).await?;
            }
            "candidate" => {
                if let Some(value) = message.get("candidate").and_then(Value::as_str) {
                    self.add_remote_candidate(value);
                }
            }
            "end-of-candidates" => {
                self.printer.note(
                    "remote-end-of-candidates",
                    "remote end-of-candidates",
                    json!({}),
                );
                self.agent.end_of_remote_candidates();
            }
            "bye" => {
                self.printer
                    .note("remote-bye", "the other side hung up", json!({}));
                self.ended
                    .get_or_insert_with(|| "the other side hung up".to_owned());
            }
            "peer-left" => {
                self.printer
                    .note("peer-left", "the other side left the room", json!({}));
                self.ended
                    .get_or_insert_with(|| "the other side left the room".to_owned());
            }
            "error" => {
                let reason = message.get("reason").and_then(Value::as_str).unwrap_or("");
                self.printer.note(
                    "signal-error",
                    &format!("signaling server error: {reason}"),
                    json!({ "reason": reason }),
                );
            }
            _ => {}
        }
        Ok(())
    }

    async fn handle_datagram(&mut self, source: SocketAddr, bytes: &[u8]) {
        let now = Instant::now();
        // Everything goes through the agent: it consumes STUN (its own and
        // the TURN server's) and hands back media, whether it came
        // directly or through the relay, unwrapped.
        let receive = Receive::udp(source, self.local, bytes);
        match self.agent.handle_receive(now, receive) {
            Ok(Handled::Data(data)) => {
                let accepted = if data.local == self.local {
                    self.accepts_media_from(data.remote)
                } else {
                    // Through our relayed candidate.
                    Some(data.remote) == self.destination
                };
                if accepted && PacketKind::of(data.contents) == PacketKind::Rtp {
                    self.handle_media(now, data.contents).await;
                }
            }
            // Bad or stale STUN is dropped by the agent; nothing to do.
            Ok(Handled::NotMine) | Err(_) => {}
            Ok(_) => self.note_stun_received(source, bytes),
        }
    }

    /// Whether RTP or RTCP from `source` (not through TURN) is the other
    /// peer's. Once a pair is selected only its remote address is; before
    /// that, any remote candidate's address (RFC 8445 §12.1: an agent must
    /// be ready to receive on any candidate of the latest exchange), so the
    /// media a controlling peer sends as soon as it has nominated is not
    /// lost while this side's own checks are still on their way.
    fn accepts_media_from(&self, source: SocketAddr) -> bool {
        if self.via_agent {
            return false;
        }
        match self.destination {
            Some(destination) => source == destination,
            None => self
                .agent
                .remote_candidates()
                .any(|candidate| candidate.socket_addr() == Some(source)),
        }
    }

    /// An RTP or RTCP packet from the other peer (RFC 5761 demultiplexing).
    async fn handle_media(&mut self, now: Instant, bytes: &[u8]) {
        let is_rtcp = bytes.get(1).is_some_and(|b| (192..=223).contains(b));
        if is_rtcp {
            self.handle_rtcp(now, bytes).await;
        } else {
            self.handle_rtp(now, bytes);
        }
    }

    fn handle_rtp(&mut self, now: Instant, bytes: &[u8]) {
        let Some(agreed) = self.agreed else {
            return;
        };
        let Ok(packet) = RtpPacket::parse(bytes) else {
            return;
        };
        let mut rebuilt = [0u8; MAX_DATAGRAM];
        let (packet, via_rtx) = if Some(packet.payload_type()) == agreed.rtx_payload_type {
            let Some(remote_ssrc) = self.remote_ssrc else {
                return;
            };
            let Ok(len) = write_original(&packet, remote_ssrc, agreed.payload_type, &mut rebuilt)
            else {
                return;
            };
            let Some(Ok(original)) = rebuilt.get(..len).map(RtpPacket::parse) else {
                return;
            };
            (original, true)
        } else if packet.payload_type() == agreed.payload_type {
            (packet, false)
        } else {
            return;
        };
        let ssrc = packet.ssrc();
        if ssrc == self.ssrc {
            // RFC 3550 §8.2: both sides drew the same SSRC. Rare enough (one
            // in 2^32) that the peer only reports it.
            if self.remote_ssrc.is_none() {
                self.remote_ssrc = Some(ssrc);
                self.printer.note(
                    "ssrc-collision",
                    &format!("the other side uses our SSRC {ssrc:#010x}; its media is not counted"),
                    json!({ "ssrc": ssrc }),
                );
            }
            return;
        }
        if *self.remote_ssrc.get_or_insert(ssrc) != ssrc {
            return;
        }
        // The statistics see every packet of the source (they follow RFC
        // 3550 A.1 themselves, and must see a restart's first packet).
        self.rtcp
            .handle_rtp_receive(now, ssrc, packet.sequence_number(), packet.timestamp());
        let outcome = self.nack.handle_packet(now, packet.sequence_number());
        match outcome {
            // A duplicate, or one stray packet far from the stream: not
            // played.
            NackOutcome::Ignored | NackOutcome::OutOfSequence => return,
            NackOutcome::Recovered { .. } if via_rtx => self.summary.packets_recovered += 1,
            NackOutcome::Resynchronised => {
                // The sender restarted (or jumped): the recording goes on
                // from where it is, with the new timestamp base.
                let recorded = u32::try_from(self.summary.recording.len()).unwrap_or(u32::MAX);
                self.first_timestamp = Some(packet.timestamp().wrapping_sub(recorded));
            }
            _ => {}
        }
        if let Some(stats) = self.rtcp.source_stats(ssrc) {
            self.summary.packets_lost = stats.cumulative_lost();
            self.summary.jitter_ms =
                f64::from(stats.jitter()) * 1000.0 / f64::from(pcmu::SAMPLE_RATE);
        }
        let payload = packet.payload();
        self.summary.packets_received += 1;
        self.summary.bytes_received += payload.len() as u64;
        if self.config.record.is_some() {
            let first = *self.first_timestamp.get_or_insert(packet.timestamp());
            let offset = packet.timestamp().wrapping_sub(first);
            if offset < 0x8000_0000 {
                let start = usize::try_from(offset).unwrap_or(usize::MAX);
                let end = start.saturating_add(payload.len());
                if end <= MAX_RECORDING_SAMPLES {
                    let recording = &mut self.summary.recording;
                    if recording.len() < end {
                        recording.resize(end, 0);
                    }
                    if let Some(slot) = recording.get_mut(start..end) {
                        for (sample, byte) in slot.iter_mut().zip(payload) {
                            *sample = pcmu::decode(*byte);
                        }
                    }
                }
            }
        }
    }

    async fn handle_rtcp(&mut self, now: Instant, bytes: &[u8]) {
        if let Err(error) = self.rtcp.handle_rtcp_receive(now, bytes) {
            if let Verdict::Print { suppressed } = self.diagnostics.check("rtcp-malformed", now) {
                let note = if suppressed > 0 {
                    format!(" ({suppressed} more since the last such line)")
                } else {
                    String::new()
                };
                self.printer.note(
                    "rtcp-malformed",
                    &format!("malformed RTCP ({} bytes): {error}{note}", bytes.len()),
                    json!({ "len": bytes.len(), "error": error.to_string(), "suppressed": suppressed }),
                );
            }
            return;
        }
        let Ok(compound) = Compound::parse_reduced_size(bytes) else {
            return;
        };
        let arrival = self.ntp_now(now).compact();
        let mut to_resend: Vec<u16> = Vec::new();
        for packet in compound.packets().flatten() {
            let blocks = match packet {
                RtcpPacket::SenderReport(sr) => {
                    self.summary.sender_reports_received += 1;
                    Some(sr.report_blocks)
                }
                RtcpPacket::ReceiverReport(rr) => {
                    self.summary.receiver_reports_received += 1;
                    Some(rr.report_blocks)
                }
                RtcpPacket::Nack(nack) if nack.media_ssrc == self.ssrc => {
                    self.summary.nacks_received += 1;
                    to_resend.extend(nack.lost_sequence_numbers());
                    None
                }
                RtcpPacket::Goodbye(_) => {
                    self.summary.bye_received = true;
                    self.printer
                        .note("rtcp-bye", "received RTCP BYE", json!({}));
                    None
                }
                _ => None,
            };
            for block in blocks.iter().flat_map(List::iter) {
                if block.ssrc != self.ssrc {
                    continue;
                }
                self.summary.report_blocks_received += 1;
                if let Some(rtt) = round_trip_time(
                    arrival,
                    block.last_sender_report,
                    block.delay_since_last_sender_report,
                ) {
                    self.summary.rtt = Some(rtt);
                }
                self.remote_report = Some(block);
            }
        }
        if let Some(rtt) = self.summary.rtt {
            self.nack.set_rtt(rtt.max(MIN_NACK_INTERVAL));
        }
        let rtx_payload_type = self.agreed.and_then(|a| a.rtx_payload_type);
        for sequence_number in to_resend {
            let Some(payload_type) = rtx_payload_type else {
                break;
            };
            let mut buf = [0u8; MAX_DATAGRAM];
            if let Ok(Some(len)) = self.rtx.write_rtx(sequence_number, payload_type, &mut buf) {
                if let Some(packet) = buf.get(..len) {
                    self.summary.retransmissions_sent += 1;
                    self.send_media(packet).await;
                }
            }
        }
    }

    async fn send_nacks(&mut self, now: Instant) {
        let Some(remote_ssrc) = self.remote_ssrc else {
            return;
        };
        let mut lost = Vec::new();
        self.nack.poll_nacks(now, &mut lost);
        if lost.is_empty() {
            return;
        }
        let entries: Vec<NackEntry> = NackEntry::pack(lost.iter().copied()).collect();
        let packet = Nack {
            sender_ssrc: self.ssrc,
            media_ssrc: remote_ssrc,
            entries: List::new(&entries),
        };
        let mut buf = [0u8; MAX_DATAGRAM];
        if let Ok(len) = packet.write_to(&mut buf) {
            if let Some(bytes) = buf.get(..len) {
                self.summary.nacks_sent += 1;
                self.summary.nacked_packets += lost.len() as u64;
                self.send_media(bytes).await;
            }
        }
    }

    async fn send_audio(&mut self, now: Instant) {
        let (Some(agreed), Some(mut due)) = (self.agreed, self.next_packet) else {
            return;
        };
        let mut sent = 0;
        while due <= now && sent < MAX_CATCH_UP_PACKETS {
            let payload = self.tone.next_packet();
            let builder = Builder::new()
                .payload_type(agreed.payload_type)
                .sequence_number(self.sequence_number)
                .timestamp(self.timestamp)
                .ssrc(self.ssrc)
                .marker(self.summary.packets_sent == 0)
                .payload(&payload);
            let mut buf = [0u8; 256];
            if let Ok(len) = builder.write_to(&mut buf) {
                if let Some(bytes) = buf.get(..len) {
                    let _ = self.rtx.store(bytes);
                    self.rtcp
                        .handle_rtp_send(now, self.timestamp, payload.len());
                    self.summary.packets_sent += 1;
                    self.summary.bytes_sent += payload.len() as u64;
                    if !self.send_media(bytes).await {
                        self.summary.packets_dropped += 1;
                    }
                }
            }
            self.sequence_number = self.sequence_number.wrapping_add(1);
            self.timestamp = self.timestamp.wrapping_add(pcmu::SAMPLES_PER_PACKET as u32);
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

    async fn send_reports(&mut self, now: Instant) {
        if self.destination.is_none() {
            return;
        }
        self.rtcp.handle_timeout(now);
        while let Some(report) = self.rtcp.poll_transmit() {
            self.summary.rtcp_sent += 1;
            self.send_media(&report).await;
        }
    }

    fn print_stats(&mut self, now: Instant) {
        let sent = self.rtcp.sender();
        let (sent_packets, sent_bytes) = (sent.packet_count(), sent.octet_count());
        let received = self
            .remote_ssrc
            .and_then(|ssrc| self.rtcp.source_stats(ssrc));
        // After the other side's BYE its statistics are gone: keep the last.
        let (lost, jitter_ms) = received.map_or(
            (self.summary.packets_lost, self.summary.jitter_ms),
            |stats| {
                (
                    stats.cumulative_lost(),
                    f64::from(stats.jitter()) * 1000.0 / f64::from(pcmu::SAMPLE_RATE),
                )
            },
        );
        let rtt_ms = self.summary.rtt.map(|rtt| rtt.as_secs_f64() * 1000.0);
        let (remote_lost, remote_fraction) = self.remote_report.map_or((None, None), |block| {
            (
                Some(block.cumulative_lost),
                Some(f64::from(block.fraction_lost) / 256.0 * 100.0),
            )
        });
        let text = format!(
            "stats: sent {sent_packets} packets / {sent_bytes} bytes (the other side reports {} lost, {}), received {} packets / {} bytes, {lost} lost, {} recovered by RTX, jitter {jitter_ms:.2} ms, RTT {}",
            remote_lost.map_or_else(|| "no report yet".to_owned(), |l| l.to_string()),
            remote_fraction.map_or_else(
                || "-".to_owned(),
                |f| format!("{f:.1} % in the last interval")
            ),
            self.summary.packets_received,
            self.summary.bytes_received,
            self.summary.packets_recovered,
            rtt_ms.map_or_else(|| "not measured yet".to_owned(), |ms| format!("{ms:.3} ms")),
        );
        self.printer.note(
            "stats",
            &text,
            json!({
                "sent_packets": sent_packets,
                "sent_bytes": sent_bytes,
                "remote_reported_lost": remote_lost,
                "remote_fraction_lost_percent": remote_fraction,
                "received_packets": self.summary.packets_received,
                "received_bytes": self.summary.bytes_received,
                "lost": lost,
                "recovered": self.summary.packets_recovered,
                "jitter_ms": jitter_ms,
                "rtt_ms": rtt_ms,
            }),
        );
        self.summary.packets_lost = lost;
        self.summary.jitter_ms = jitter_ms;
        let _ = now;
    }

    /// The earliest instant something is due.
    fn deadline(&self, connect_deadline: Instant) -> Instant {
        // Once connected, the connect deadline is over: without this an
        // elapsed one would wake the loop at once, again and again.
        let mut deadline = if self.summary.connected {
            Instant::now() + Duration::from_secs(3600)
        } else {
            connect_deadline
        };
        let mut consider = |t: Option<Instant>| {
            if let Some(t) = t {
                deadline = deadline.min(t);
            }
        };
        consider(self.agent.poll_timeout());
        consider(self.hold_signals_until);
        consider(self.restart_at);
        if self.destination.is_some() {
            consider(self.rtcp.poll_timeout());
            consider(self.nack.poll_timeout());
            consider(self.next_packet);
            consider(self.next_stats);
            consider(
                self.connected_at
                    .zip(self.config.duration)
                    .map(|(at, duration)| at + duration),
            );
        }
        deadline
    }

    /// Runs the timers that are due.
    async fn handle_timeouts(&mut self, now: Instant, connect_deadline: Instant) {
        self.agent.handle_timeout(now);
        if self.destination.is_some() {
            self.send_audio(now).await;
            self.send_reports(now).await;
            self.send_nacks(now).await;
            if self.next_stats.is_some_and(|t| t <= now) {
                self.print_stats(now);
                self.next_stats = Some(now + self.config.stats_interval);
            }
            if let (Some(at), Some(duration)) = (self.connected_at, self.config.duration) {
                if now >= at + duration {
                    self.ended.get_or_insert_with(|| {
                        format!("hung up after {} s", duration.as_secs_f64())
                    });
                }
            }
        } else if now >= connect_deadline && !self.summary.connected {
            self.ended.get_or_insert_with(|| {
                format!(
                    "not connected after {} s",
                    self.config.connect_timeout.as_secs_f64()
                )
            });
        }
    }

    /// Sends RTCP BYE (with a last report), a signaling `bye`, closes ICE.
    async fn hang_up(&mut self, signaling: &mut Signaling, tell_peer: bool) {
        let now = Instant::now();
        if self.destination.is_some() {
            let mut buf = [0u8; MAX_DATAGRAM];
            let sources = [self.ssrc];
            let bye = Goodbye {
                sources: List::new(&sources),
                reason: Some(b"hang up"),
            };
            if let Ok(len) = self.rtcp.write_report(now, &mut buf) {
                let tail = buf.get_mut(len..).unwrap_or_default();
                if let Ok(bye_len) = bye.write_to(tail) {
                    if let Some(bytes) = buf.get(..len + bye_len) {
                        let bytes = bytes.to_vec();
                        // The BYE is not subject to the loss injection.
                        if let Some(destination) = self.destination {
                            self.send_on_pair(destination, &bytes).await;
                        }
                        self.summary.rtcp_sent += 1;
                        self.printer
                            .note("rtcp-bye-sent", "sent RTCP BYE", json!({}));
                    }
                }
            }
        }
        if tell_peer {
            let _ = signaling.send(json!({ "type": "bye" })).await;
        }
        self.agent.close();
        while let Some(transmit) = self.agent.poll_transmit() {
            self.send_transmit(&transmit).await;
        }
        while let Some(event) = self.agent.poll_event() {
            if let IceEvent::CloseConnection { local, remote } = event {
                self.close_tcp(local, remote, false);
            }
        }
        let state = self.agent.state();
        self.printer.note(
            "ice-state",
            &format!("ICE {state:?}"),
            json!({ "state": format!("{state:?}").to_lowercase() }),
        );
    }
}

/// An accepted TCP connection (`--tcp`).
struct TcpConnection {
    /// Our end: the listener's address.
    local: SocketAddr,
    remote: SocketAddr,
    writer: OwnedWriteHalf,
    /// Cuts what the connection carries into RFC 4571 frames.
    frames: FrameReader,
    /// The task that reads the connection.
    reader: tokio::task::JoinHandle<()>,
}

/// What a TCP connection's reader task read: bytes, or the end.
enum TcpRead {
    Bytes(SocketAddr, SocketAddr, Vec<u8>),
    Closed(SocketAddr, SocketAddr),
}

/// The next connection on `listener`; never, without one.
async fn accept(listener: Option<&TcpListener>) -> std::io::Result<(TcpStream, SocketAddr)> {
    match listener {
        Some(listener) => listener.accept().await,
        None => core::future::pending().await,
    }
}

/// Makes one call: joins `config.room` on the signaling server, offers (if
/// first in the room) or answers, connects with ICE, exchanges a PCMU tone
/// until `config.duration` passes, the other side hangs up or `stop`
/// completes, then hangs up. Writes the WAV file when asked to.
pub async fn run(
    config: PeerConfig,
    stop: impl Future<Output = ()>,
) -> Result<CallSummary, PeerError> {
    let printer = Printer {
        name: config.name.clone(),
        output: config.output,
        epoch: config.epoch,
        to_stderr: config.stdio_signaling,
    };
    let socket = UdpSocket::bind(config.bind)
        .await
        .map_err(|source| PeerError::Io {
            context: "binding the UDP socket",
            source,
        })?;
    let local = socket.local_addr().map_err(|source| PeerError::Io {
        context: "reading the UDP socket address",
        source,
    })?;
    // ICE-TCP: a listener on the UDP socket's address and port if free.
    let tcp_listener = if config.tcp {
        let listener = match TcpListener::bind(local).await {
            Ok(listener) => listener,
            Err(_) => TcpListener::bind(SocketAddr::new(local.ip(), 0))
                .await
                .map_err(|source| PeerError::Io {
                    context: "binding the TCP listener",
                    source,
                })?,
        };
        Some(listener)
    } else {
        None
    };
    let tcp_local = match &tcp_listener {
        Some(listener) => Some(listener.local_addr().map_err(|source| PeerError::Io {
            context: "reading the TCP listener address",
            source,
        })?),
        None => None,
    };
    let (tcp_reads, mut tcp_read) = mpsc::channel(64);
    let url = format!("ws://{}/", config.signal);
    let mut signaling = if config.stdio_signaling {
        printer.note(
            "stdio-signaling",
            &format!(
                "copy-paste signaling: our messages are the JSON lines on stdout, the other side's are read from stdin; UDP socket {local}"
            ),
            json!({ "socket": local.to_string() }),
        );
        if let Some(joined) = &config.joined {
            joined.notify_one();
        }
        Signaling::stdio()
    } else {
        // What the signaling server sends is capped like what it accepts.
        let websocket_config = WebSocketConfig::default()
            .max_message_size(Some(crate::signal::MAX_MESSAGE_LEN))
            .max_frame_size(Some(crate::signal::MAX_MESSAGE_LEN));
        let (websocket, _) =
            tokio_tungstenite::connect_async_with_config(&url, Some(websocket_config), false)
                .await
                .map_err(|e| PeerError::Signaling(format!("{url}: {e}")))?;
        let mut signaling = Signaling::WebSocket(websocket);
        signaling
            .send(json!({ "type": "join", "room": config.room }))
            .await?;
        signaling
    };
    let mut stop = pin!(stop);

    // Find our role: the first in the room offers once the second arrives
    // (unless told to answer only).
    let mut offer_text: Option<String> = None;
    let offerer = if config.stdio_signaling && !config.answer_only {
        // No room: with copy-paste signaling the offer goes out at once.
        true
    } else {
        loop {
            let message = tokio::select! {
                message = signaling.receive() => message?,
                () = &mut stop => return Err(PeerError::Signaling("interrupted before the call".to_owned())),
            };
            let message =
                message.ok_or_else(|| PeerError::Signaling("connection closed".to_owned()))?;
            match kind(&message) {
                "joined" => {
                    let peers = message.get("peers").and_then(Value::as_u64).unwrap_or(0);
                    printer.note(
                        "joined",
                        &format!(
                            "joined room {:?} on {url} ({peers} of 2); UDP socket {local}{}",
                            config.room,
                            tcp_local.map_or(String::new(), |a| format!(", TCP listener {a}"))
                        ),
                        json!({
                            "room": config.room,
                            "peers": peers,
                            "socket": local.to_string(),
                            "tcp": tcp_local.map(|a| a.to_string()),
                        }),
                    );
                    if let Some(joined) = &config.joined {
                        joined.notify_one();
                    }
                }
                "peer-joined" if !config.answer_only => break true,
                "offer" => {
                    offer_text = message
                        .get("sdp")
                        .and_then(Value::as_str)
                        .map(str::to_owned);
                    break false;
                }
                "error" => {
                    let reason = message.get("reason").and_then(Value::as_str).unwrap_or("");
                    return Err(PeerError::Signaling(reason.to_owned()));
                }
                _ => {}
            }
        }
    };

    let started = Instant::now();
    let mut rng = Rng::new(config.seed);
    let ssrc = rng.next_u32();
    let rtx_ssrc = rng.next_u32();
    let mut ice_config = IceConfig::new(offerer && !config.ice_lite);
    ice_config.lite = config.ice_lite;
    ice_config.seed = Some(rng.next_seed());
    ice_config.stun_servers = config.stun.into_iter().collect();
    ice_config.turn_servers = config.turn.clone().into_iter().collect();
    let mut agent = Agent::new(ice_config, started);
    agent
        .add_local_socket(LocalSocket::udp(local))
        .map_err(|e| PeerError::Negotiation(e.to_string()))?;
    if let Some(tcp_local) = tcp_local {
        agent
            .add_local_socket(LocalSocket::tcp_passive(tcp_local))
            .map_err(|e| PeerError::Negotiation(e.to_string()))?;
    }
    let credentials = agent.local_credentials().clone();
    let mut fingerprint_bytes = Vec::with_capacity(32);
    while fingerprint_bytes.len() < 32 {
        fingerprint_bytes.extend_from_slice(&rng.next_u64().to_be_bytes());
    }
    let fingerprint = Fingerprint {
        hash_function: Cow::Borrowed("sha-256"),
        bytes: fingerprint_bytes,
    };
    let session = SdpSession::new(
        Origin::new(rng.next_u64() >> 2, core::net::Ipv4Addr::LOCALHOST.into()),
        credentials.ufrag().to_owned(),
        credentials.pwd().to_owned(),
        fingerprint,
    )
    .map_err(|e| PeerError::Negotiation(e.to_string()))?
    .with_ice_lite(config.ice_lite)
    .with_extmap_allow_mixed(false);
    let media = local_media(ssrc, &config.name);
    let ntp_anchor = NtpTime::from_system_time(SystemTime::now());
    let mut rtcp_config = SessionConfig::new(
        ssrc,
        config.name.as_bytes(),
        pcmu::SAMPLE_RATE,
        ntp_anchor,
        started,
    );
    rtcp_config.min_interval = config.rtcp_interval;
    rtcp_config.seed = Some(rng.next_seed());
    let rtcp = RtcpSession::new(rtcp_config, started);
    let mut call = Call {
        printer: printer.clone(),
        diagnostics: RateLimit::default_for_programs(),
        socket,
        local,
        agent,
        started,
        ntp_anchor,
        anchor: started,
        summary: CallSummary {
            offerer,
            ..CallSummary::default()
        },
        agreed: None,
        destination: None,
        connected_at: None,
        ssrc,
        sequence_number: (rng.next_u32() & 0x7fff) as u16,
        timestamp: rng.next_u32(),
        tone: pcmu::Tone::new(config.tone_hz, config.tone_amplitude),
        next_packet: None,
        next_stats: None,
        rtcp,
        rtx: RetransmissionBuffer::new(
            RTX_BUFFER_PACKETS,
            rtx_ssrc,
            (rng.next_u32() & 0x7fff) as u16,
        ),
        nack: NackGenerator::new(NackConfig::default()),
        remote_ssrc: None,
        first_timestamp: None,
        remote_report: None,
        state: ConnectionState::New,
        stun_mapped: None,
        via_agent: false,
        tcp_local,
        tcp_connections: Vec::new(),
        tcp_reads,
        signal_ready: false,
        pending_signals: Vec::new(),
        hold_signals_until: None,
        ended: None,
        session,
        media,
        local_offer: None,
        remote_ufrag: None,
        restart_at: None,
        rng,
        config,
    };

    // Host candidates are known at once; they go into the description.
    let mut initial = Vec::new();
    while let Some(event) = call.agent.poll_event() {
        match event {
            IceEvent::LocalCandidate(candidate) => {
                let value = candidate_value(&candidate);
                printer.note(
                    "local-candidate",
                    &format!("gathered {} candidate {value}", candidate.kind()),
                    json!({ "candidate": value, "candidate_type": candidate.kind().to_string() }),
                );
                call.summary.local_candidates.push(value.clone());
                if call.config.candidate_delay.is_some() {
                    call.pending_signals.push(
                        json!({ "type": "candidate", "candidate": format!("candidate:{value}") }),
                    );
                } else {
                    initial.push(value);
                }
            }
            IceEvent::GatheringComplete => {
                call.pending_signals
                    .push(json!({ "type": "end-of-candidates" }));
                printer.note(
                    "gathering-complete",
                    "gathering complete, sent end-of-candidates",
                    json!({}),
                );
            }
            _ => {}
        }
    }
    call.session.candidates = initial.into_iter().map(Cow::Owned).collect();
    if offerer {
        let offer = create_offer(&call.session, core::slice::from_ref(&call.media)).to_string();
        printer.note(
            "offer",
            &format!(
                "the other peer joined: sending offer ({} bytes, ICE ufrag {}{}, {} candidate(s), trickle, rtcp-mux, BUNDLE)",
                offer.len(),
                call.session.ice_ufrag,
                if call.config.ice_lite { ", ICE-lite" } else { "" },
                call.session.candidates.len()
            ),
            json!({ "sdp": offer }),
        );
        signaling
            .send(json!({ "type": "offer", "sdp": offer }))
            .await?;
        call.local_offer = Some(offer);
        call.hold_candidates();
    } else {
        let text = offer_text.unwrap_or_default();
        call.answer_offer(&mut signaling, &text).await?;
    }

    let connect_deadline = started + call.config.connect_timeout;
    let mut buf = vec![0u8; MAX_DATAGRAM];
    let mut signaling_open = true;
    let mut interrupted = false;
    call.drain_agent(&mut signaling).await?;
    while call.ended.is_none() {
        let deadline = call.deadline(connect_deadline);
        tokio::select! {
            received = call.socket.recv_from(&mut buf) => {
                if let Ok((len, source)) = received {
                    let datagram = buf.get(..len).unwrap_or_default().to_vec();
                    call.handle_datagram(source, &datagram).await;
                }
            }
            accepted = accept(tcp_listener.as_ref()) => {
                if let Ok((stream, remote)) = accepted {
                    call.accept_tcp(stream, remote);
                }
            }
            Some(read) = tcp_read.recv() => call.handle_tcp_read(read).await,
            message = signaling.receive(), if signaling_open => {
                match message {
                    Ok(Some(message)) => call.handle_signal(&mut signaling, message).await?,
                    Ok(None) => {
                        signaling_open = false;
                        printer.note("signal-closed", "signaling connection closed", json!({}));
                        if !call.summary.connected {
                            call.ended = Some("signaling closed before ICE connected".to_owned());
                        }
                    }
                    Err(error) => {
                        signaling_open = false;
                        printer.note("signal-error", &error.to_string(), json!({ "error": error.to_string() }));
                        if !call.summary.connected {
                            call.ended = Some(error.to_string());
                        }
                    }
                }
            }
            () = tokio::time::sleep_until(deadline.into()) => {
                call.handle_timeouts(Instant::now(), connect_deadline).await;
            }
            () = &mut stop => {
                interrupted = true;
                call.ended = Some("interrupted".to_owned());
            }
        }
        let now = Instant::now();
        call.release_held_signals(now, &mut signaling).await?;
        if call.restart_at.is_some_and(|t| t <= now) && signaling_open {
            call.restart_ice(&mut signaling).await?;
        }
        call.drain_agent(&mut signaling).await?;
    }
    if call.ended.as_deref() == Some("the other side hung up") && !call.summary.bye_received {
        // The signaling `bye` can overtake the RTCP BYE sent just before
        // it: give that datagram a moment to arrive.
        let grace = Instant::now() + Duration::from_millis(250);
        while !call.summary.bye_received {
            tokio::select! {
                received = call.socket.recv_from(&mut buf) => {
                    if let Ok((len, source)) = received {
                        let datagram = buf.get(..len).unwrap_or_default().to_vec();
                        call.handle_datagram(source, &datagram).await;
                    }
                }
                () = tokio::time::sleep_until(grace.into()) => break,
            }
        }
    }
    let reason = call.ended.take().unwrap_or_default();
    let we_hang_up = interrupted
        || reason.starts_with("hung up")
        || reason.starts_with("not connected")
        || reason == "ICE failed";
    call.print_stats(Instant::now());
    call.hang_up(&mut signaling, we_hang_up && signaling_open)
        .await;
    printer.note(
        "end",
        &format!("call ended: {reason}"),
        json!({ "reason": reason }),
    );
    call.summary.end_reason = reason;
    if let Signaling::WebSocket(socket) = &mut signaling {
        let _ = socket.close(None).await;
    }
    if let Some(path) = &call.config.record {
        let bytes = crate::wav::encode(&call.summary.recording, pcmu::SAMPLE_RATE);
        std::fs::write(path, bytes).map_err(|source| PeerError::Io {
            context: "writing the recording",
            source,
        })?;
        printer.note(
            "recorded",
            &format!(
                "wrote {} samples ({:.2} s) to {}",
                call.summary.recording.len(),
                call.summary.recording.len() as f64 / f64::from(pcmu::SAMPLE_RATE),
                path.display()
            ),
            json!({ "path": path.display().to_string(), "samples": call.summary.recording.len() }),
        );
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

    #[test]
    fn candidate_values_have_no_prefix() {
        let line = "candidate:1 1 udp 2130706431 127.0.0.1 5000 typ host";
        let candidate: Candidate = line.parse().unwrap();
        assert_eq!(
            candidate_value(&candidate),
            "1 1 udp 2130706431 127.0.0.1 5000 typ host"
        );
    }

    #[test]
    fn the_answer_accepts_rtx_for_pcmu() {
        let session = SdpSession::example();
        let media = local_media(1, "a");
        let offer = create_offer(&session, core::slice::from_ref(&media));
        let text = offer.to_string();
        assert!(
            text.contains("a=rtpmap:97 rtx/8000\r\na=fmtp:97 apt=0\r\n"),
            "{text}"
        );
        assert!(text.contains("a=rtcp-mux\r\n") && text.contains("a=group:BUNDLE 0\r\n"));
        assert!(text.contains("a=ssrc:1 cname:a\r\n"));
        assert!(!text.contains("a=ssrc-group"), "{text}");
        let capabilities = Capabilities::new(session.clone()).with_audio(media);
        // RTX at 8 kHz repairing PCMU is negotiated (RFC 4588 section 8.1).
        let answer = create_answer(&offer, &capabilities).unwrap().into_owned();
        let agreed = agreed(&offer, &answer).unwrap();
        assert_eq!(agreed.payload_type, 0);
        assert_eq!(agreed.rtx_payload_type, Some(RTX_PAYLOAD_TYPE));
        let written = answer.to_string();
        assert!(
            written.contains("m=audio 9 UDP/TLS/RTP/SAVPF 0 97\r\n"),
            "{written}"
        );
    }
}
