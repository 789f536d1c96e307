//! The example peer's side of signaling: JSON messages through the
//! WebSocket server of [`crate::signal`], or by copy and paste as JSON
//! lines on stdout and stdin.

use futures_util::{SinkExt, StreamExt};
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Stdin, Stdout};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use crate::peer::PeerError;
use crate::signal::MAX_MESSAGE_LEN;

type WebSocket = tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<TcpStream>>;

/// A signaling channel.
pub(crate) enum Signaling {
    /// Through the signaling server.
    WebSocket(WebSocket),
    /// Copy and paste: JSON lines on stdout and stdin.
    Stdio {
        input: BufReader<Stdin>,
        output: Stdout,
    },
}

impl Signaling {
    /// Connects to the server at `url`.
    pub(crate) async fn connect(url: &str) -> Result<Self, PeerError> {
        // What the server sends is capped like what it accepts.
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE_LEN))
            .max_frame_size(Some(MAX_MESSAGE_LEN));
        let (websocket, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
            .await
            .map_err(|e| PeerError::Signaling(format!("{url}: {e}")))?;
        Ok(Self::WebSocket(websocket))
    }

    pub(crate) fn stdio() -> Self {
        Self::Stdio {
            input: BufReader::new(tokio::io::stdin()),
            output: tokio::io::stdout(),
        }
    }

    pub(crate) async fn send(&mut self, value: Value) -> Result<(), PeerError> {
        match self {
            Self::WebSocket(socket) => socket
                .send(Message::text(value.to_string()))
                .await
                .map_err(|e| PeerError::Signaling(e.to_string())),
            Self::Stdio { output, .. } => {
                let line = format!("{value}\n");
                let written = match output.write_all(line.as_bytes()).await {
                    Ok(()) => output.flush().await,
                    Err(error) => Err(error),
                };
                written.map_err(|source| PeerError::Io {
                    context: "writing a signaling message to stdout",
                    source,
                })
            }
        }
    }

    /// The next JSON object; `Ok(None)` when the connection (or stdin) is
    /// closed; an error when a pasted line is too long. Anything else is
    /// skipped.
    pub(crate) async fn receive(&mut self) -> Result<Option<Value>, PeerError> {
        loop {
            let value = match self {
                Self::WebSocket(socket) => match socket.next().await {
                    Some(Ok(Message::Text(text))) => serde_json::from_str(text.as_str()).ok(),
                    Some(Ok(Message::Close(_)) | Err(_)) | None => return Ok(None),
                    Some(Ok(_)) => None,
                },
                Self::Stdio { input, .. } => {
                    let Some(line) = read_line(input, MAX_MESSAGE_LEN).await? else {
                        return Ok(None);
                    };
                    serde_json::from_slice::<Value>(&line).ok()
                }
            };
            if let Some(value) = value.filter(Value::is_object) {
                return Ok(Some(value));
            }
        }
    }

    pub(crate) async fn close(&mut self) {
        if let Self::WebSocket(socket) = self {
            let _ = socket.close(None).await;
        }
    }
}

/// A message's `type`.
pub(crate) fn kind(value: &Value) -> &str {
    value.get("type").and_then(Value::as_str).unwrap_or("")
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
        let end = available.iter().position(|&b| b == b'\n');
        let chunk = available
            .get(..end.unwrap_or(available.len()))
            .unwrap_or_default();
        if line.len() + chunk.len() > max {
            return Err(PeerError::Signaling(format!(
                "a line on stdin is longer than a message may be ({max} bytes)"
            )));
        }
        line.extend_from_slice(chunk);
        let used = chunk.len() + usize::from(end.is_some());
        input.consume(used);
        if end.is_some() {
            if line.last() == Some(&b'\r') {
                line.pop();
            }
            return Ok(Some(line));
        }
    }
}
