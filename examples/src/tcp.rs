//! The sockets of ICE-TCP for the example peer: a listener (our passive
//! candidate), the connections it accepted, a task reading each, and
//! RFC 4571 framing of what they read. Which connection to take, keep or
//! close is the `sansrtc::Peer`'s decision.

use core::net::SocketAddr;
use std::io;

use sansrtc::ice::FrameReader;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;

/// Largest read.
const READ_SIZE: usize = 2048;

/// What a connection's reader task read (`None`: the end), with the
/// connection's two ends.
type Read = (SocketAddr, SocketAddr, Option<Vec<u8>>);

/// What happened on the TCP side.
pub(crate) enum TcpEvent {
    /// A peer connected to the listener: hand it to the `Peer`, then
    /// [`Tcp::add`] it (or drop it).
    Accepted(TcpStream, SocketAddr),
    /// A connection (our end, its end) read these frames; `closed` when it
    /// ended or its framing broke (it is gone: tell the `Peer`).
    Frames {
        local: SocketAddr,
        remote: SocketAddr,
        frames: Vec<Vec<u8>>,
        closed: bool,
    },
}

struct Connection {
    local: SocketAddr,
    remote: SocketAddr,
    writer: OwnedWriteHalf,
    frames: FrameReader,
    reader: tokio::task::JoinHandle<()>,
}

/// The listener and its connections.
pub(crate) struct Tcp {
    listener: Option<(TcpListener, SocketAddr)>,
    connections: Vec<Connection>,
    reads: (mpsc::Sender<Read>, mpsc::Receiver<Read>),
}

impl Tcp {
    /// With `listen`, a listener on `address` (or on its IP address and
    /// any port, when that one is taken); without, nothing ever happens.
    pub(crate) async fn bind(listen: bool, address: SocketAddr) -> io::Result<Self> {
        let listener = match listen {
            false => None,
            true => {
                let listener = match TcpListener::bind(address).await {
                    Ok(listener) => listener,
                    Err(_) => TcpListener::bind(SocketAddr::new(address.ip(), 0)).await?,
                };
                let local = listener.local_addr()?;
                Some((listener, local))
            }
        };
        Ok(Self {
            listener,
            connections: Vec::new(),
            reads: mpsc::channel(64),
        })
    }

    /// The listener's address.
    pub(crate) fn local(&self) -> Option<SocketAddr> {
        self.listener.as_ref().map(|(_, local)| *local)
    }

    /// The next thing that happens.
    pub(crate) async fn next(&mut self) -> TcpEvent {
        let Some((listener, _)) = &self.listener else {
            return core::future::pending().await;
        };
        loop {
            let (local, remote, bytes) = tokio::select! {
                Ok((stream, remote)) = listener.accept() => {
                    return TcpEvent::Accepted(stream, remote);
                }
                Some(read) = self.reads.1.recv() => read,
            };
            let Some(connection) = self
                .connections
                .iter_mut()
                .find(|c| c.local == local && c.remote == remote)
            else {
                continue;
            };
            let mut closed = bytes.is_none_or(|bytes| connection.frames.push(&bytes).is_err());
            let mut frames = Vec::new();
            while !closed {
                match connection.frames.next_frame() {
                    Ok(Some(frame)) => frames.push(frame.to_vec()),
                    Ok(None) => break,
                    Err(_) => closed = true,
                }
            }
            if closed {
                close(&mut self.connections, local, remote);
            }
            return TcpEvent::Frames {
                local,
                remote,
                frames,
                closed,
            };
        }
    }

    /// Keeps an accepted connection and starts reading it.
    pub(crate) fn add(&mut self, stream: TcpStream, remote: SocketAddr) {
        let Some(local) = self.local() else {
            return;
        };
        let (mut read, writer) = stream.into_split();
        let reads = self.reads.0.clone();
        let reader = tokio::spawn(async move {
            let mut buf = vec![0u8; READ_SIZE];
            loop {
                let bytes = match read.read(&mut buf).await {
                    Ok(0) | Err(_) => None,
                    Ok(len) => buf.get(..len).map(<[u8]>::to_vec),
                };
                let end = bytes.is_none();
                if reads.send((local, remote, bytes)).await.is_err() || end {
                    break;
                }
            }
        });
        self.connections.push(Connection {
            local,
            remote,
            writer,
            frames: FrameReader::new(),
            reader,
        });
    }

    /// Writes already framed bytes to the connection between `local` and
    /// `remote`, if there is one.
    pub(crate) async fn send(&mut self, local: SocketAddr, remote: SocketAddr, bytes: &[u8]) {
        if let Some(connection) = self
            .connections
            .iter_mut()
            .find(|c| c.local == local && c.remote == remote)
        {
            // A broken connection shows up on its reading side.
            let _ = connection.writer.write_all(bytes).await;
        }
    }

    /// Closes a connection; whether there was one.
    pub(crate) fn close(&mut self, local: SocketAddr, remote: SocketAddr) -> bool {
        close(&mut self.connections, local, remote)
    }
}

fn close(connections: &mut Vec<Connection>, local: SocketAddr, remote: SocketAddr) -> bool {
    let found = connections
        .iter()
        .position(|c| c.local == local && c.remote == remote);
    if let Some(index) = found {
        connections.remove(index).reader.abort();
    }
    found.is_some()
}
