//! The STUN Binding server loop shared by `stun-server` and
//! `stun-client --with-local-server`: a UDP socket feeding a
//! [`sansrtc_stun::server::Server`].

// A program owns its clock; the server gets the time passed in.
#![allow(clippy::disallowed_methods)]

use std::io;
use std::time::Instant;

use sansrtc_stun::Receive;
use sansrtc_stun::server::{Event, Server};
use tokio::net::UdpSocket;

use crate::diagnostics::{RateLimit, Verdict};

/// Largest datagram the server reads; longer ones are truncated by the
/// socket and then fail to parse.
const MAX_DATAGRAM: usize = 2048;

/// Answers Binding requests on `socket` until an I/O error. With `log`,
/// prints a line per request answered or packet ignored, at most a few of
/// each kind every ten seconds (a flood is summarised, not echoed).
pub async fn serve(socket: UdpSocket, mut server: Server, log: bool) -> io::Result<()> {
    let mut buf = [0u8; MAX_DATAGRAM];
    let local = socket.local_addr()?;
    let mut limit = RateLimit::default_for_programs();
    let suppressed_note = |suppressed: u64| {
        if suppressed > 0 {
            format!(" ({suppressed} similar lines suppressed)")
        } else {
            String::new()
        }
    };
    loop {
        let (len, source) = socket.recv_from(&mut buf).await?;
        let Some(datagram) = buf.get(..len) else {
            continue;
        };
        let now = Instant::now();
        if let Err(error) = server.handle_receive(now, Receive::udp(source, local, datagram)) {
            if let (true, Verdict::Print { suppressed }) = (log, limit.check("ignored", now)) {
                let note = suppressed_note(suppressed);
                println!("ignored {len} bytes from {source}: {error}{note}");
            }
        }
        while let Some(transmit) = server.poll_transmit() {
            socket
                .send_to(&transmit.contents, transmit.destination)
                .await?;
        }
        while let Some(event) = server.poll_event() {
            let Event::Answered {
                source,
                method,
                transaction_id,
                code,
            } = event
            else {
                continue;
            };
            let kind = if code.is_none() { "success" } else { "error" };
            let (true, Verdict::Print { suppressed }) = (log, limit.check(kind, now)) else {
                continue;
            };
            let note = suppressed_note(suppressed);
            match code {
                None => println!(
                    "answered {method:?} request from {source} ({transaction_id:?}): success, mapped address {source}{note}"
                ),
                Some(code) => println!(
                    "answered {method:?} request from {source} ({transaction_id:?}): error {code}{note}"
                ),
            }
        }
    }
}
