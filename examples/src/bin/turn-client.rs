//! `turn-client`: allocates a relayed address on a TURN server with the
//! sans-IO [`sansrtc_stun::turn::Client`], sends a datagram to a peer
//! through the relay twice — first in a Send indication, then as
//! ChannelData once a channel is bound — prints what the peer sends back
//! each time, and releases the allocation.
//!
//! ```text
//! turn-client [--tcp] [--message TEXT] [--timeout-ms MS] SERVER USER PASSWORD PEER
//! turn-client [--tcp] [--message TEXT] [--timeout-ms MS] SERVER USER PASSWORD --local-echo
//! ```
//!
//! `SERVER` and `PEER` are `HOST:PORT`. `--local-echo` starts a UDP echo
//! peer in this process on 127.0.0.1 (the TURN server must then allow
//! loopback peers, as coturn does with `--allow-loopback-peers`). `--tcp`
//! talks to the server over TCP (RFC 8656 §5; the relay to the peer is
//! still UDP). Exits 0 when both answers came back and the allocation was
//! released, 1 with the reason otherwise (for example the server's error
//! code and reason phrase).

// The examples are applications: they own the clock and hand its readings to
// the sans-IO state machines.
#![allow(clippy::disallowed_methods)]

use core::net::SocketAddr;
use core::time::Duration;
use std::process::ExitCode;
use std::time::Instant;

use sansrtc_examples::diagnostics::{RateLimit, Verdict};
use sansrtc_examples::net;
use sansrtc_stun::framing::PacketKind;
use sansrtc_stun::framing::{StreamFraming, StreamReader};
use sansrtc_stun::turn::{Client, Config, Event, Handled};
use sansrtc_stun::{Receive, Transport};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const USAGE: &str = "usage: turn-client [--tcp] [--message TEXT] [--timeout-ms MS] SERVER USER PASSWORD (PEER | --local-echo)";

/// How long to wait for the peer's answer before sending the datagram
/// again (the relay and the peer are reached over UDP).
const RESEND_AFTER: Duration = Duration::from_millis(500);

/// Largest datagram or stream read.
const MAX_READ: usize = 65_535;

struct Args {
    server: String,
    username: String,
    password: String,
    /// `None` for `--local-echo`.
    peer: Option<String>,
    tcp: bool,
    message: String,
    timeout: Duration,
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut positional = Vec::new();
    let mut tcp = false;
    let mut local_echo = false;
    let mut message = "hello through the relay".to_owned();
    let mut timeout = Duration::from_secs(10);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tcp" => tcp = true,
            "--local-echo" => local_echo = true,
            "--message" => {
                message = args.next().ok_or("--message needs a text")?;
                if message.is_empty() {
                    return Err("--message must not be empty".to_owned());
                }
            }
            "--timeout-ms" => {
                let value = args
                    .next()
                    .ok_or("--timeout-ms needs a number of milliseconds")?;
                let ms: u64 = value
                    .parse()
                    .map_err(|e| format!("--timeout-ms {value}: {e}"))?;
                timeout = Duration::from_millis(ms);
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with("--") => {
                return Err(format!("unknown option {other:?}\n{USAGE}"));
            }
            _ => positional.push(arg),
        }
    }
    let expected = if local_echo { 3 } else { 4 };
    if positional.len() != expected {
        return Err(USAGE.to_owned());
    }
    let mut positional = positional.into_iter();
    let mut next = || positional.next().unwrap_or_default();
    Ok(Args {
        server: next(),
        username: next(),
        password: next(),
        peer: if local_echo { None } else { Some(next()) },
        tcp,
        message,
        timeout,
    })
}

/// A UDP echo peer on 127.0.0.1 that answers every datagram with its bytes.
async fn start_local_echo() -> Result<SocketAddr, String> {
    let socket = UdpSocket::bind("127.0.0.1:0")
        .await
        .map_err(|e| format!("local echo peer: {e}"))?;
    let address = socket
        .local_addr()
        .map_err(|e| format!("local echo peer: {e}"))?;
    tokio::spawn(async move {
        let mut buf = vec![0u8; MAX_READ];
        while let Ok((n, from)) = socket.recv_from(&mut buf).await {
            let Some(bytes) = buf.get(..n) else { break };
            if socket.send_to(bytes, from).await.is_err() {
                break;
            }
        }
    });
    Ok(address)
}

/// The connection to the TURN server.
enum Link {
    Udp(UdpSocket),
    /// The connection and what cuts its stream into messages.
    Tcp(TcpStream, StreamReader),
}

impl Link {
    async fn connect(server: SocketAddr, tcp: bool) -> Result<Self, String> {
        if tcp {
            let stream = TcpStream::connect(server)
                .await
                .map_err(|e| format!("TCP connection to {server}: {e}"))?;
            Ok(Self::Tcp(stream, StreamReader::new(StreamFraming::Turn)))
        } else {
            let socket = UdpSocket::bind(net::wildcard_for(server))
                .await
                .map_err(|e| format!("UDP socket: {e}"))?;
            Ok(Self::Udp(socket))
        }
    }

    async fn send(&mut self, server: SocketAddr, bytes: &[u8]) -> Result<(), String> {
        match self {
            Self::Udp(socket) => socket
                .send_to(bytes, server)
                .await
                .map(|_| ())
                .map_err(|e| format!("send to {server}: {e}")),
            Self::Tcp(stream, _) => stream
                .write_all(bytes)
                .await
                .map_err(|e| format!("write to {server}: {e}")),
        }
    }

    /// Reads one datagram (with its source) or one chunk of the stream
    /// (from the server). A closed stream is an error.
    async fn receive(
        &mut self,
        server: SocketAddr,
        buf: &mut [u8],
    ) -> Result<(usize, SocketAddr), String> {
        match self {
            Self::Udp(socket) => socket
                .recv_from(buf)
                .await
                .map_err(|e| format!("receive: {e}")),
            Self::Tcp(stream, _) => match stream.read(buf).await {
                Ok(0) => Err(format!("{server} closed the TCP connection")),
                Ok(n) => Ok((n, server)),
                Err(e) => Err(format!("read from {server}: {e}")),
            },
        }
    }

    /// The local address packets leave from.
    fn local_addr(&self) -> Result<SocketAddr, String> {
        match self {
            Self::Udp(socket) => socket.local_addr(),
            Self::Tcp(stream, _) => stream.local_addr(),
        }
        .map_err(|e| format!("local address: {e}"))
    }
}

/// Where the exchange is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Allocating,
    /// Waiting for CreatePermission before the first send.
    Permitting,
    /// The datagram went in a Send indication; waiting for the answer.
    ViaIndication {
        sent: Instant,
    },
    /// ChannelBind in flight.
    Binding,
    /// The datagram went as ChannelData; waiting for the answer.
    ViaChannel {
        sent: Instant,
    },
    /// Refresh with LIFETIME 0 in flight.
    Releasing,
    Done,
}

struct Run {
    client: Client,
    server: SocketAddr,
    peer: SocketAddr,
    message: Vec<u8>,
    phase: Phase,
}

impl Run {
    /// Sends the message to the peer through the relay and says how.
    fn send_message(&mut self, now: Instant) -> Result<(), String> {
        self.client
            .send_to(now, self.peer, &self.message)
            .map_err(|e| format!("cannot send to {}: {e}", self.peer))?;
        match self.client.channel(self.peer) {
            Some(channel) => println!(
                "sent {} bytes to {} as ChannelData on channel {channel:#06x}",
                self.message.len(),
                self.peer
            ),
            None => println!(
                "sent {} bytes to {} in a Send indication",
                self.message.len(),
                self.peer
            ),
        }
        Ok(())
    }

    fn handle_event(&mut self, now: Instant, event: Event) -> Result<(), String> {
        match event {
            Event::Allocated {
                relayed,
                mapped,
                lifetime,
            } => {
                println!(
                    "allocated relayed address {relayed} (the server sees us at {}), lifetime {} s",
                    mapped
                        .map_or_else(|| "an address it did not say".to_owned(), |m| m.to_string()),
                    lifetime.as_secs()
                );
                self.client
                    .create_permission(now, self.peer.ip())
                    .map_err(|e| format!("cannot ask for a permission: {e}"))?;
                self.phase = Phase::Permitting;
            }
            Event::PermissionCreated(ip) => {
                println!("permission for {ip} installed");
                if self.phase == Phase::Permitting {
                    self.send_message(now)?;
                    self.phase = Phase::ViaIndication { sent: now };
                }
            }
            Event::ChannelBound { peer, channel } => {
                println!("channel {channel:#06x} bound to {peer}");
                if self.phase == Phase::Binding {
                    self.send_message(now)?;
                    self.phase = Phase::ViaChannel { sent: now };
                }
            }
            Event::Refreshed { lifetime } => {
                println!("allocation refreshed, lifetime {} s", lifetime.as_secs());
            }
            Event::Deallocated => {
                println!("allocation released");
                self.phase = Phase::Done;
            }
            Event::AllocationFailed(error) => return Err(format!("allocation failed: {error}")),
            Event::RefreshFailed(error) => return Err(format!("refresh failed: {error}")),
            Event::AllocationLost => return Err("the allocation was lost".to_owned()),
            Event::PermissionFailed(ip, error) => {
                return Err(format!("permission for {ip} refused: {error}"));
            }
            Event::ChannelBindFailed(peer, error) => {
                return Err(format!("channel to {peer} refused: {error}"));
            }
            other => println!("{other:?}"),
        }
        Ok(())
    }

    /// Data the relay brought from `from`; over UDP, `kind` says whether
    /// it came in a Data indication or as ChannelData.
    fn handle_data(
        &mut self,
        now: Instant,
        from: SocketAddr,
        data: &[u8],
        kind: Option<PacketKind>,
    ) -> Result<(), String> {
        if from != self.peer {
            println!(
                "{} bytes from {from} through the relay (ignored)",
                data.len()
            );
            return Ok(());
        }
        let how = match kind {
            Some(PacketKind::ChannelData) => " as ChannelData",
            Some(PacketKind::Stun) => " in a Data indication",
            _ => "",
        };
        println!(
            "{from} answered through the relay{how}: {:?} ({} bytes)",
            String::from_utf8_lossy(data),
            data.len()
        );
        if data != self.message.as_slice() {
            return Err(format!("{from} answered with other bytes than were sent"));
        }
        match self.phase {
            Phase::ViaIndication { .. } => {
                let channel = self
                    .client
                    .bind_channel(now, self.peer)
                    .map_err(|e| format!("cannot bind a channel: {e}"))?;
                println!("binding channel {channel:#06x} to {}", self.peer);
                self.phase = Phase::Binding;
            }
            Phase::ViaChannel { .. } => {
                self.client.deallocate(now);
                self.phase = Phase::Releasing;
            }
            _ => {}
        }
        Ok(())
    }

    /// Sends the datagram again when its answer is overdue.
    fn resend_if_due(&mut self, now: Instant) -> Result<(), String> {
        match self.phase {
            Phase::ViaIndication { sent } if now >= sent + RESEND_AFTER => {
                self.send_message(now)?;
                self.phase = Phase::ViaIndication { sent: now };
            }
            Phase::ViaChannel { sent } if now >= sent + RESEND_AFTER => {
                self.send_message(now)?;
                self.phase = Phase::ViaChannel { sent: now };
            }
            _ => {}
        }
        Ok(())
    }

    fn next_deadline(&self) -> Option<Instant> {
        let resend = match self.phase {
            Phase::ViaIndication { sent } | Phase::ViaChannel { sent } => Some(sent + RESEND_AFTER),
            _ => None,
        };
        match (self.client.poll_timeout(), resend) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

async fn run(args: Args) -> Result<(), String> {
    let server = net::resolve(&args.server)
        .await
        .map_err(|e| format!("server: {e}"))?;
    let peer = match &args.peer {
        Some(peer) => net::resolve(peer).await.map_err(|e| format!("peer: {e}"))?,
        None => {
            let echo = start_local_echo().await?;
            println!("local echo peer on {echo}");
            echo
        }
    };
    let mut link = Link::connect(server, args.tcp).await?;
    let local = link.local_addr()?;
    let mut config = Config::new(local, server, &args.username, &args.password);
    config.transport = if args.tcp {
        Transport::Tcp
    } else {
        Transport::Udp
    };
    config.software = Some("sansrtc turn-client".to_owned());
    println!(
        "TURN server {server} over {}, user {:?}, peer {peer}",
        if args.tcp { "TCP" } else { "UDP" },
        args.username
    );

    let start = Instant::now();
    let give_up = start + args.timeout;
    let mut run = Run {
        client: Client::new(config, start),
        server,
        peer,
        message: args.message.into_bytes(),
        phase: Phase::Allocating,
    };
    let mut buf = vec![0u8; MAX_READ];
    let mut limit = RateLimit::default_for_programs();
    loop {
        // Events first: handling them queues requests and data, which go
        // out with the client's own transmits before waiting.
        let now = Instant::now();
        while let Some(event) = run.client.poll_event() {
            run.handle_event(now, event)?;
        }
        if run.phase == Phase::Done {
            return Ok(());
        }
        while let Some(transmit) = run.client.poll_transmit() {
            link.send(run.server, &transmit.contents).await?;
        }
        let deadline = run.next_deadline().map_or(give_up, |d| d.min(give_up));
        tokio::select! {
            received = link.receive(run.server, &mut buf) => {
                let (n, from) = received?;
                let now = Instant::now();
                let bytes = buf.get(..n).unwrap_or_default();
                match &mut link {
                    Link::Udp(_) => {
                        let kind = PacketKind::of(bytes);
                        match run.client.handle_receive(now, Receive::udp(from, local, bytes)) {
                            Ok(Handled::Data(data)) => {
                                let (peer, data) = (data.peer, data.data.to_vec());
                                run.handle_data(now, peer, &data, Some(kind))?;
                            }
                            Ok(_) => {}
                            Err(error) => {
                                if let Verdict::Print { suppressed } = limit.check("dropped", now) {
                                    let note = if suppressed > 0 {
                                        format!(" ({suppressed} similar lines suppressed)")
                                    } else {
                                        String::new()
                                    };
                                    println!("dropped a packet from {from}: {error}{note}");
                                }
                            }
                        }
                    }
                    Link::Tcp(_, reader) => {
                        reader
                            .push(bytes)
                            .map_err(|e| format!("stream from {server}: {e}"))?;
                        while let Some(frame) = reader
                            .next_frame()
                            .map_err(|e| format!("stream from {server}: {e}"))?
                        {
                            let packet = Receive {
                                source: server,
                                destination: local,
                                transport: Transport::Tcp,
                                contents: frame,
                            };
                            if let Ok(Handled::Data(data)) = run.client.handle_receive(now, packet) {
                                let (peer, data) = (data.peer, data.data.to_vec());
                                run.handle_data(now, peer, &data, None)?;
                            }
                        }
                    }
                }
            }
            () = tokio::time::sleep_until(deadline.into()) => {
                let now = Instant::now();
                if now >= give_up {
                    return Err(format!(
                        "gave up after {} ms ({})",
                        args.timeout.as_millis(),
                        describe(run.phase)
                    ));
                }
                run.client.handle_timeout(now);
                run.resend_if_due(now)?;
            }
        }
    }
}

/// What was still missing when the program gave up.
fn describe(phase: Phase) -> &'static str {
    match phase {
        Phase::Allocating => "no answer to Allocate",
        Phase::Permitting => "no answer to CreatePermission",
        Phase::ViaIndication { .. } => "the peer did not answer the Send indication",
        Phase::Binding => "no answer to ChannelBind",
        Phase::ViaChannel { .. } => "the peer did not answer over the channel",
        Phase::Releasing => "no answer to the release",
        Phase::Done => "done",
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("turn-client: {message}");
            ExitCode::from(1)
        }
    }
}
