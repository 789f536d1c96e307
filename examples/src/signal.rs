//! The signaling server: WebSocket rooms of two peers that relay JSON
//! messages to each other, and a static page for browsers on the same port.
//!
//! # Protocol
//!
//! Every message is a JSON object with a `"type"`:
//!
//! | from a peer | fields | the server |
//! |---|---|---|
//! | `join` | `room` (1 to [`MAX_ROOM_NAME_LEN`] characters) | answers `joined` with `room` and `peers` (1 or 2); the other peer gets `peer-joined`. A third peer gets an `error` and is disconnected |
//! | `offer`, `answer` | `sdp` (string) | relays the message unchanged to the other peer |
//! | `candidate` | `candidate` (string, an `a=candidate` value), optionally `mid` | relays it |
//! | `end-of-candidates`, `bye` | — | relays it |
//!
//! A message that is not JSON, has an unknown type, misses a field, comes
//! before `join` or has no peer to go to gets `{"type":"error","reason":...}`
//! and changes nothing. When a peer leaves, the other one gets `peer-left`.
//! The peer already in the room when the second one joins is the offerer.
//!
//! A plain HTTP `GET` on the same port returns [`PAGE`], or one of the
//! extra [`Page`]s given to [`serve_with_pages`] when its path matches
//! (the query string is left to the page's script).

use alloc::sync::Arc;
use std::collections::HashMap;
use std::io;
use std::sync::Mutex;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

/// Longest WebSocket message accepted (an SDP with many candidates fits
/// well under it); a longer one closes the connection.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024;
/// Longest room name.
pub const MAX_ROOM_NAME_LEN: usize = 64;
/// Most rooms open at once; a `join` that would open one more is refused.
pub const MAX_ROOMS: usize = 128;
/// Most connections served at once (peers, pages, requests still being
/// read); further ones are closed at once.
pub const MAX_CONNECTIONS: usize = 256;
/// Peers in a room.
pub const ROOM_SIZE: usize = 2;
/// Messages waiting to be written to one peer; when its queue is full,
/// messages for it are refused with an error to their sender.
pub const MAX_QUEUED_MESSAGES: usize = 256;
/// Longest HTTP request head read before deciding between WebSocket and
/// the static page.
const MAX_REQUEST_HEAD: usize = 8 * 1024;
/// How long a new connection has to send its request head.
const REQUEST_TIMEOUT: core::time::Duration = core::time::Duration::from_secs(5);

/// The page served to browsers: it calls an example peer (or any other
/// peer speaking this protocol) in a room with the microphone, plays what
/// the peer sends, and shows the connection, DTLS-SRTP and audio levels
/// from `getStats()`.
pub const PAGE: &str = include_str!("call.html");

/// Longest extra page.
pub const MAX_PAGE_LEN: usize = 1024 * 1024;

/// An extra page served at `path` (such as the browser side of an interop
/// test).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page {
    /// The path it is served at, starting with `/`.
    pub path: String,
    /// The HTML.
    pub body: String,
}

type Outbox = mpsc::Sender<Message>;

#[derive(Debug, Default)]
struct Rooms {
    next_id: u64,
    rooms: HashMap<String, Vec<(u64, Outbox)>>,
}

/// Shared state of a running server.
#[derive(Debug, Clone, Default)]
struct Server {
    rooms: Arc<Mutex<Rooms>>,
    pages: Arc<Vec<Page>>,
    log: bool,
}

/// Serves WebSocket peers and the static page on `listener` until an I/O
/// error on it. With `log`, prints one line per connection and relay.
pub async fn serve(listener: TcpListener, log: bool) -> io::Result<()> {
    serve_with_pages(listener, log, Vec::new()).await
}

/// Like [`serve`], with extra pages served at their paths.
pub async fn serve_with_pages(
    listener: TcpListener,
    log: bool,
    pages: Vec<Page>,
) -> io::Result<()> {
    let server = Server {
        rooms: Arc::default(),
        pages: Arc::new(pages),
        log,
    };
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let (stream, address) = listener.accept().await?;
        let Ok(permit) = Arc::clone(&connections).try_acquire_owned() else {
            if log {
                println!("signal: {address}: refused, {MAX_CONNECTIONS} connections open");
            }
            continue;
        };
        let server = server.clone();
        tokio::spawn(async move {
            let _permit = permit;
            if let Err(error) = server.connection(stream).await {
                if server.log {
                    println!("signal: {address}: {error}");
                }
            }
        });
    }
}

fn error(reason: &str) -> Message {
    Message::text(json!({ "type": "error", "reason": reason }).to_string())
}

/// The path of a request head, without its query string.
fn request_path(head: &str) -> &str {
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    target.split(['?', '#']).next().unwrap_or(target)
}

/// Whether the request head (peeked, not consumed) asks for a WebSocket,
/// and the path it asks for.
async fn is_websocket(stream: &TcpStream) -> io::Result<(bool, String)> {
    let mut buf = vec![0u8; MAX_REQUEST_HEAD];
    loop {
        let len = stream.peek(&mut buf).await?;
        let head = buf.get(..len).unwrap_or_default();
        let raw = String::from_utf8_lossy(head);
        let text = raw.to_ascii_lowercase();
        if text.contains("\r\n\r\n") || len == buf.len() {
            return Ok((
                text.contains("upgrade: websocket"),
                request_path(&raw).to_owned(),
            ));
        }
        if len == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "closed before the request",
            ));
        }
        stream.readable().await?;
        // peek returns what is buffered; wait a little for the rest.
        tokio::time::sleep(core::time::Duration::from_millis(5)).await;
    }
}

impl Server {
    async fn connection(&self, mut stream: TcpStream) -> io::Result<()> {
        let (upgrade, path) = tokio::time::timeout(REQUEST_TIMEOUT, is_websocket(&stream))
            .await
            .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "no request"))??;
        if !upgrade {
            let page = self
                .pages
                .iter()
                .find(|page| page.path == path)
                .map_or(PAGE, |page| page.body.as_str());
            let response = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/html; charset=utf-8\r\ncache-control: no-store\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}",
                page.len()
            );
            stream.write_all(response.as_bytes()).await?;
            return stream.shutdown().await;
        }
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_LEN))
            .max_frame_size(Some(MAX_MESSAGE_LEN));
        let socket = tokio_tungstenite::accept_async_with_config(stream, Some(config))
            .await
            .map_err(io::Error::other)?;
        let (mut sink, mut source) = socket.split();
        let (outbox, mut inbox) = mpsc::channel::<Message>(MAX_QUEUED_MESSAGES);
        let writer = tokio::spawn(async move {
            while let Some(message) = inbox.recv().await {
                let close = matches!(message, Message::Close(_));
                if sink.send(message).await.is_err() || close {
                    break;
                }
            }
        });
        let id = {
            let mut rooms = self.lock();
            rooms.next_id += 1;
            rooms.next_id
        };
        let mut room: Option<String> = None;
        while let Some(message) = source.next().await {
            let Ok(message) = message else { break };
            let text = match message {
                Message::Text(text) => text,
                Message::Close(_) => break,
                Message::Binary(_) => {
                    let _ = outbox.try_send(error("binary messages are not supported"));
                    continue;
                }
                _ => continue,
            };
            match self.handle(id, &mut room, &outbox, text.as_str()) {
                Ok(true) => {}
                Ok(false) => break,
                Err(reason) => {
                    let _ = outbox.try_send(error(reason));
                }
            }
        }
        if let Some(name) = room {
            self.leave(id, &name);
        }
        drop(outbox);
        let _ = writer.await;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Rooms> {
        self.rooms
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Handles one text message. `Ok(false)` ends the connection.
    fn handle(
        &self,
        id: u64,
        room: &mut Option<String>,
        outbox: &Outbox,
        text: &str,
    ) -> Result<bool, &'static str> {
        let value: Value = serde_json::from_str(text).map_err(|_| "not JSON")?;
        let kind = value
            .get("type")
            .and_then(Value::as_str)
            .ok_or("no \"type\" string")?;
        match kind {
            "join" => {
                if room.is_some() {
                    return Err("already in a room");
                }
                let name = value
                    .get("room")
                    .and_then(Value::as_str)
                    .ok_or("join needs a \"room\" string")?;
                if name.is_empty() || name.chars().count() > MAX_ROOM_NAME_LEN {
                    return Err("room names are 1 to 64 characters");
                }
                let mut rooms = self.lock();
                if !rooms.rooms.contains_key(name) && rooms.rooms.len() >= MAX_ROOMS {
                    return Err("too many rooms");
                }
                let members = rooms.rooms.entry(name.to_owned()).or_default();
                if members.len() >= ROOM_SIZE {
                    let _ = outbox.try_send(error("room full"));
                    let _ = outbox.try_send(Message::Close(None));
                    if members.is_empty() {
                        rooms.rooms.remove(name);
                    }
                    if self.log {
                        println!("signal: room {name:?} full, refused a peer");
                    }
                    return Ok(false);
                }
                for (_, other) in members.iter() {
                    let _ =
                        other.try_send(Message::text(json!({ "type": "peer-joined" }).to_string()));
                }
                members.push((id, outbox.clone()));
                let peers = members.len();
                let _ = outbox.try_send(Message::text(
                    json!({ "type": "joined", "room": name, "peers": peers }).to_string(),
                ));
                if self.log {
                    println!("signal: peer {id} joined room {name:?} ({peers} of {ROOM_SIZE})");
                }
                *room = Some(name.to_owned());
                Ok(true)
            }
            "offer" | "answer" | "candidate" | "end-of-candidates" | "bye" => {
                let field = match kind {
                    "offer" | "answer" => Some("sdp"),
                    "candidate" => Some("candidate"),
                    _ => None,
                };
                if let Some(field) = field {
                    if !value.get(field).is_some_and(Value::is_string) {
                        return Err(match field {
                            "sdp" => "offer and answer need an \"sdp\" string",
                            _ => "candidate needs a \"candidate\" string",
                        });
                    }
                }
                let name = room.as_deref().ok_or("join a room first")?;
                let rooms = self.lock();
                let other = rooms
                    .rooms
                    .get(name)
                    .and_then(|members| members.iter().find(|(peer, _)| *peer != id))
                    .ok_or("no other peer in the room")?;
                other
                    .1
                    .try_send(Message::text(text.to_owned()))
                    .map_err(|_| "the other peer is not reading")?;
                if self.log {
                    println!("signal: room {name:?}: relayed {kind} from peer {id}");
                }
                Ok(true)
            }
            _ => Err("unknown message type"),
        }
    }

    fn leave(&self, id: u64, name: &str) {
        let mut rooms = self.lock();
        let Some(members) = rooms.rooms.get_mut(name) else {
            return;
        };
        members.retain(|(peer, _)| *peer != id);
        for (_, other) in members.iter() {
            let _ = other.try_send(Message::text(json!({ "type": "peer-left" }).to_string()));
        }
        if members.is_empty() {
            rooms.rooms.remove(name);
        }
        if self.log {
            println!("signal: peer {id} left room {name:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::request_path;

    #[test]
    fn request_paths_lose_their_query() {
        assert_eq!(request_path("GET /interop?case=1 HTTP/1.1\r\n"), "/interop");
        assert_eq!(request_path("GET / HTTP/1.1\r\n"), "/");
        assert_eq!(request_path("GET /a#b HTTP/1.1\r\n"), "/a");
        assert_eq!(request_path(""), "/");
    }
}
