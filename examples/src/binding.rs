//! The STUN Binding server loop shared by `stun-server` and
//! `stun-client --with-local-server`: a UDP socket feeding a
//! [`sansrtc_stun::server::Server`].

use std::io;

use sansrtc_stun::server::{Event, Server};
use tokio::net::UdpSocket;

/// Largest datagram the server reads; longer ones are truncated by the
/// socket and then fail to parse.
const MAX_DATAGRAM: usize = 2048;

/// Answers Binding requests on `socket` until an I/O error. With `log`, prints
/// one line per request answered.
pub async fn serve(socket: UdpSocket, mut server: Server, log: bool) -> io::Result<()> {
    let mut buf = [0u8; MAX_DATAGRAM];
    loop {
        let (len, source) = socket.recv_from(&mut buf).await?;
        let Some(datagram) = buf.get(..len) else {
            continue;
        };
        if let Err(error) = server.handle_receive(source, datagram) {
            if log {
                println!("ignored {len} bytes from {source}: {error}");
            }
        }
        while let Some(transmit) = server.poll_transmit() {
            socket
                .send_to(&transmit.contents, transmit.destination)
                .await?;
        }
        while let Some(event) = server.poll_event() {
            if let (
                true,
                Event::Answered {
                    source,
                    method,
                    transaction_id,
                    code,
                },
            ) = (log, event)
            {
                match code {
                    None => println!(
                        "answered {method:?} request from {source} ({transaction_id:?}): success, mapped address {source}"
                    ),
                    Some(code) => println!(
                        "answered {method:?} request from {source} ({transaction_id:?}): error {code}"
                    ),
                }
            }
        }
    }
}
