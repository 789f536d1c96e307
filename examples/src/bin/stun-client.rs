//! `stun-client`: asks a STUN server which address it sees us at, with a
//! [`sansrtc_stun::transaction::ClientTransaction`] doing the
//! retransmissions.
//!
//! ```text
//! stun-client [--rto-ms MS] HOST:PORT
//! stun-client [--rto-ms MS] --with-local-server
//! ```
//!
//! Prints `mapped address: IP:PORT` and exits 0, or explains what went wrong
//! and exits 1. `--with-local-server` starts our Binding server in this
//! process on 127.0.0.1 (a free port) and asks it.

// The examples are applications: they own the clock and hand its readings to
// the sans-IO state machines.
#![allow(clippy::disallowed_methods)]

use core::net::SocketAddr;
use core::time::Duration;
use std::process::ExitCode;
use std::time::Instant;

use sansrtc_examples::diagnostics::{RateLimit, Verdict};
use sansrtc_examples::{binding, net};
use sansrtc_stun::rng::Rng;
use sansrtc_stun::server::{Server, ServerConfig};
use sansrtc_stun::transaction::{ClientTransaction, Event, Handled, TransactionConfig};
use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, Receive, Transmit, Transport};
use tokio::net::UdpSocket;

const USAGE: &str =
    "usage: stun-client [--rto-ms MS] HOST:PORT | stun-client [--rto-ms MS] --with-local-server";

enum Target {
    Remote(String),
    LocalServer,
}

struct Args {
    target: Target,
    rto: Duration,
}

fn parse_args(args: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut target = None;
    let mut rto = TransactionConfig::default().rto;
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rto-ms" => {
                let value = args
                    .next()
                    .ok_or("--rto-ms needs a number of milliseconds")?;
                let ms: u64 = value
                    .parse()
                    .map_err(|e| format!("--rto-ms {value}: {e}"))?;
                rto = Duration::from_millis(ms);
            }
            "--with-local-server" => target = Some(Target::LocalServer),
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other if other.starts_with('-') => {
                return Err(format!("unknown option {other:?}\n{USAGE}"));
            }
            other => target = Some(Target::Remote(other.to_owned())),
        }
    }
    let target = target.ok_or_else(|| USAGE.to_owned())?;
    Ok(Args { target, rto })
}

/// Runs one Binding transaction against `server` from `socket`.
async fn query(
    socket: &UdpSocket,
    server: SocketAddr,
    rto: Duration,
) -> Result<SocketAddr, String> {
    let transaction_id = Rng::new(None).transaction_id();
    let mut buf = [0u8; 128];
    let len = {
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, transaction_id)
                .map_err(|e| e.to_string())?;
        builder
            .add(&Attribute::Software("sansrtc stun-client"))
            .and_then(|b| b.add_fingerprint())
            .map_err(|e| e.to_string())?;
        builder.finish()
    };
    let local = socket.local_addr().map_err(|e| e.to_string())?;
    let request = Transmit::new(
        local,
        server,
        Transport::Udp,
        buf.get(..len).unwrap_or_default().to_vec(),
    );
    let config = TransactionConfig::with_rto(rto);
    let mut transaction =
        ClientTransaction::new(config, Instant::now(), request).map_err(|e| e.to_string())?;
    let mut datagram = [0u8; 2048];
    let mut limit = RateLimit::default_for_programs();
    loop {
        while let Some(transmit) = transaction.poll_transmit() {
            socket
                .send_to(&transmit.contents, transmit.destination)
                .await
                .map_err(|e| format!("send to {server}: {e}"))?;
        }
        if let Some(event) = transaction.poll_event() {
            return match event {
                Event::Success(response) => response
                    .mapped_address()
                    .ok_or_else(|| format!("{server} answered without a mapped address")),
                Event::ErrorResponse { code, reason, .. } => {
                    Err(format!("{server} answered with error {code} {reason}"))
                }
                Event::TryAlternate { server: other, .. } => {
                    Err(format!("{server} redirects to {other} (300 Try Alternate)"))
                }
                Event::TimedOut => Err(format!(
                    "no response from {server}: timed out after {} transmissions",
                    transaction.transmissions()
                )),
                other => Err(format!("transaction with {server} failed: {other:?}")),
            };
        }
        let Some(deadline) = transaction.poll_timeout() else {
            return Err("the transaction stopped without an outcome".to_owned());
        };
        let deadline = tokio::time::Instant::from_std(deadline);
        match tokio::time::timeout_at(deadline, socket.recv_from(&mut datagram)).await {
            Ok(Ok((len, from))) => {
                let Some(bytes) = datagram.get(..len) else {
                    continue;
                };
                let now = Instant::now();
                let ignored =
                    match transaction.handle_receive(now, Receive::udp(from, local, bytes)) {
                        Ok(Handled::Response) => None,
                        Ok(_) => Some(format!("ignored {len} bytes from {from}")),
                        Err(error) => Some(format!("ignored a message from {from}: {error}")),
                    };
                if let (Some(line), Verdict::Print { suppressed }) =
                    (ignored, limit.check("ignored", now))
                {
                    if suppressed > 0 {
                        eprintln!("{line} ({suppressed} similar lines suppressed)");
                    } else {
                        eprintln!("{line}");
                    }
                }
            }
            // ICMP port unreachable shows up as an error on some systems;
            // keep retransmitting like a lost datagram.
            Ok(Err(error)) => eprintln!("receive: {error}"),
            Err(_elapsed) => transaction.handle_timeout(Instant::now()),
        }
    }
}

async fn run(args: Args) -> Result<SocketAddr, String> {
    let server = match args.target {
        Target::Remote(target) => net::resolve(&target).await?,
        Target::LocalServer => {
            let socket = UdpSocket::bind("127.0.0.1:0")
                .await
                .map_err(|e| format!("cannot bind the local server: {e}"))?;
            let address = socket.local_addr().map_err(|e| e.to_string())?;
            println!("local Binding server on udp {address}");
            tokio::spawn(binding::serve(
                socket,
                Server::new(ServerConfig::default()),
                false,
            ));
            address
        }
    };
    let bind = net::wildcard_for(server);
    let socket = UdpSocket::bind(bind)
        .await
        .map_err(|e| format!("cannot bind {bind}: {e}"))?;
    query(&socket, server, args.rto).await
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = match parse_args(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    match run(args).await {
        Ok(address) => {
            println!("mapped address: {address}");
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("stun-client: {message}");
            ExitCode::FAILURE
        }
    }
}
