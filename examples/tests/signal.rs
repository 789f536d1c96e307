//! The signaling server: rooms, relaying, bad messages, a third peer, a peer
//! leaving, and the static page.

use core::net::SocketAddr;
use core::time::Duration;

use futures_util::{SinkExt, StreamExt};
use sansrtc_examples::signal;
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

async fn start() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(signal::serve(listener, false));
    address
}

async fn connect(address: SocketAddr) -> Socket {
    let (socket, _) = tokio_tungstenite::connect_async(format!("ws://{address}/"))
        .await
        .unwrap();
    socket
}

async fn send(socket: &mut Socket, value: Value) {
    socket.send(Message::text(value.to_string())).await.unwrap();
}

/// The next text message as JSON; `None` when the connection closed.
async fn receive(socket: &mut Socket) -> Option<Value> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(5), socket.next())
            .await
            .expect("no message within 5 s");
        match message {
            Some(Ok(Message::Text(text))) => return Some(serde_json::from_str(&text).unwrap()),
            Some(Ok(Message::Close(_))) | None | Some(Err(_)) => return None,
            Some(Ok(_)) => {}
        }
    }
}

async fn join(address: SocketAddr, room: &str) -> (Socket, Value) {
    let mut socket = connect(address).await;
    send(&mut socket, json!({"type": "join", "room": room})).await;
    let joined = receive(&mut socket).await.unwrap();
    (socket, joined)
}

#[tokio::test]
async fn two_peers_relay_every_message_type() {
    let address = start().await;
    let (mut a, joined) = join(address, "r1").await;
    assert_eq!(joined, json!({"type": "joined", "room": "r1", "peers": 1}));
    let (mut b, joined) = join(address, "r1").await;
    assert_eq!(joined["peers"], 2);
    assert_eq!(receive(&mut a).await.unwrap()["type"], "peer-joined");
    let messages = [
        json!({"type": "offer", "sdp": "v=0\r\n"}),
        json!({"type": "candidate", "candidate": "1 1 udp 2130706431 127.0.0.1 5000 typ host"}),
        json!({"type": "end-of-candidates"}),
    ];
    for message in &messages {
        send(&mut a, message.clone()).await;
        assert_eq!(&receive(&mut b).await.unwrap(), message);
    }
    let answer = json!({"type": "answer", "sdp": "v=0\r\n", "extra": [1, 2]});
    send(&mut b, answer.clone()).await;
    assert_eq!(receive(&mut a).await.unwrap(), answer);
    send(&mut b, json!({"type": "bye"})).await;
    assert_eq!(receive(&mut a).await.unwrap(), json!({"type": "bye"}));
}

#[tokio::test]
async fn rooms_are_separate() {
    let address = start().await;
    let (mut a, _) = join(address, "left").await;
    let (mut b, joined) = join(address, "right").await;
    assert_eq!(joined["peers"], 1);
    send(&mut a, json!({"type": "bye"})).await;
    assert_eq!(
        receive(&mut a).await.unwrap(),
        json!({"type": "error", "reason": "no other peer in the room"})
    );
    let (mut c, _) = join(address, "right").await;
    assert_eq!(receive(&mut b).await.unwrap()["type"], "peer-joined");
    send(&mut c, json!({"type": "bye"})).await;
    assert_eq!(receive(&mut b).await.unwrap()["type"], "bye");
}

#[tokio::test]
async fn bad_messages_get_an_error_and_change_nothing() {
    let address = start().await;
    let mut a = connect(address).await;
    let cases = [
        ("not json", "not JSON"),
        ("{\"room\":\"x\"}", "no \"type\" string"),
        ("{\"type\":\"dance\"}", "unknown message type"),
        ("{\"type\":\"bye\"}", "join a room first"),
        ("{\"type\":\"join\"}", "join needs a \"room\" string"),
        (
            "{\"type\":\"join\",\"room\":\"\"}",
            "room names are 1 to 64 characters",
        ),
        (
            "{\"type\":\"offer\"}",
            "offer and answer need an \"sdp\" string",
        ),
        (
            "{\"type\":\"candidate\",\"candidate\":5}",
            "candidate needs a \"candidate\" string",
        ),
    ];
    for (text, reason) in cases {
        a.send(Message::text(text)).await.unwrap();
        assert_eq!(
            receive(&mut a).await.unwrap(),
            json!({"type": "error", "reason": reason}),
            "{text}"
        );
    }
    let long_room = "x".repeat(signal::MAX_ROOM_NAME_LEN + 1);
    send(&mut a, json!({"type": "join", "room": long_room})).await;
    assert_eq!(receive(&mut a).await.unwrap()["type"], "error");
    // Still usable after the errors.
    send(&mut a, json!({"type": "join", "room": "ok"})).await;
    assert_eq!(receive(&mut a).await.unwrap()["type"], "joined");
    send(&mut a, json!({"type": "join", "room": "ok"})).await;
    assert_eq!(
        receive(&mut a).await.unwrap(),
        json!({"type": "error", "reason": "already in a room"})
    );
}

#[tokio::test]
async fn oversized_message_closes_the_connection() {
    let address = start().await;
    let (mut a, _) = join(address, "big").await;
    let sdp = "a".repeat(signal::MAX_MESSAGE_LEN + 1);
    let _ = a
        .send(Message::text(
            json!({"type": "offer", "sdp": sdp}).to_string(),
        ))
        .await;
    assert_eq!(receive(&mut a).await, None);
}

#[tokio::test]
async fn a_third_peer_is_refused() {
    let address = start().await;
    let (mut a, _) = join(address, "full").await;
    let (mut b, _) = join(address, "full").await;
    assert_eq!(receive(&mut a).await.unwrap()["type"], "peer-joined");
    let (mut c, refused) = join(address, "full").await;
    assert_eq!(refused, json!({"type": "error", "reason": "room full"}));
    assert_eq!(receive(&mut c).await, None);
    // The two peers of the room still talk.
    send(&mut b, json!({"type": "end-of-candidates"})).await;
    assert_eq!(receive(&mut a).await.unwrap()["type"], "end-of-candidates");
}

#[tokio::test]
async fn a_peer_leaving_is_announced_and_frees_its_place() {
    let address = start().await;
    let (mut a, _) = join(address, "leave").await;
    let (b, _) = join(address, "leave").await;
    assert_eq!(receive(&mut a).await.unwrap()["type"], "peer-joined");
    drop(b);
    assert_eq!(receive(&mut a).await.unwrap(), json!({"type": "peer-left"}));
    let (_c, joined) = join(address, "leave").await;
    assert_eq!(joined["peers"], 2);
    assert_eq!(receive(&mut a).await.unwrap()["type"], "peer-joined");
}

#[tokio::test]
async fn plain_http_gets_the_page() {
    let address = start().await;
    let response = get(address, "/").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with(signal::PAGE));
    assert!(response.contains("new WebSocket"));
}

async fn get(address: SocketAddr, target: &str) -> String {
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream
        .write_all(format!("GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n").as_bytes())
        .await
        .unwrap();
    let mut response = String::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_string(&mut response))
        .await
        .unwrap()
        .unwrap();
    response
}

#[tokio::test]
async fn extra_pages_are_served_at_their_path_whatever_the_query() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let page = signal::Page {
        path: "/chromium".to_owned(),
        body: "<p>interop</p>".to_owned(),
    };
    tokio::spawn(signal::serve_with_pages(listener, false, vec![page]));
    let response = get(address, "/chromium?case=relay&offer=1").await;
    assert!(response.starts_with("HTTP/1.1 200 OK\r\n"), "{response}");
    assert!(response.ends_with("\r\n\r\n<p>interop</p>"), "{response}");
    assert!(get(address, "/").await.ends_with(signal::PAGE));
    assert!(get(address, "/other").await.ends_with(signal::PAGE));
    // The WebSocket endpoint still works next to the pages.
    let (_socket, joined) = join(address, "room").await;
    assert_eq!(joined["type"], "joined");
}

#[tokio::test]
async fn rooms_are_capped() {
    let address = start().await;
    let mut sockets = Vec::new();
    for i in 0..signal::MAX_ROOMS {
        let (socket, joined) = join(address, &format!("room-{i}")).await;
        assert_eq!(joined["type"], "joined", "{i}");
        sockets.push(socket);
    }
    let mut extra = connect(address).await;
    send(&mut extra, json!({"type": "join", "room": "one-too-many"})).await;
    assert_eq!(
        receive(&mut extra).await.unwrap(),
        json!({"type": "error", "reason": "too many rooms"})
    );
    // An existing room still takes its second peer.
    send(&mut extra, json!({"type": "join", "room": "room-0"})).await;
    assert_eq!(receive(&mut extra).await.unwrap()["peers"], 2);
}

#[tokio::test]
async fn connections_are_capped() {
    let address = start().await;
    let mut idle = Vec::new();
    for _ in 0..signal::MAX_CONNECTIONS {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    // Once the server has accepted them all, one more is closed at once
    // (an accepted one would wait 5 s for its request).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut probe = TcpStream::connect(address).await.unwrap();
    let mut byte = [0u8; 1];
    let read = tokio::time::timeout(Duration::from_secs(2), probe.read(&mut byte))
        .await
        .expect("not closed at once");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    drop(idle);
    // Places free again once the idle connections are gone.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let (_socket, joined) = join(address, "after").await;
    assert_eq!(joined["type"], "joined");
}
