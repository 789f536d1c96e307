//! Data channels: two associations joined in memory (no loss, packets
//! handed over at once), one reliable ordered channel.
//!
//! - `datachannel_throughput_64k`: one 64 KiB message delivered per
//!   operation with the pipeline kept full (up to 1 MiB queued), so
//!   65536 bytes over the median time is the throughput.
//! - `datachannel_latency_100b`: one 100-byte message at a time, from
//!   `send` to its arrival at the other side (low load).
//!
//! sansrtc's `Association` over sctp-proto; webrtc-rs's `webrtc-data` over
//! `webrtc-sctp` 0.17, driven by a single-threaded tokio runtime over
//! `webrtc-util`'s in-memory pipe (it cannot be driven without a runtime:
//! its association runs read and write loops as tasks); and, as the floor,
//! sctp-proto alone (the SCTP work without the data channel layer).

// The associations take the time from the caller; a benchmark reads the
// clock once to have one.
#![allow(clippy::disallowed_methods)]

use alloc::sync::Arc;
use core::time::Duration;
use std::time::Instant;

use bytes::Bytes;
use sansrtc_datachannel::{
    Association, ChannelId, ChannelOptions, Config, DtlsRole, Event, Message, Payload,
};
use sctp_proto::{
    DatagramEvent, Endpoint, EndpointConfig, PayloadProtocolIdentifier, ServerConfig,
};
use tokio::runtime::Runtime;

use crate::{Case, Role};

extern crate alloc;

const THROUGHPUT: &str = "datachannel_throughput_64k";
const LATENCY: &str = "datachannel_latency_100b";
/// Size of the throughput messages.
pub const LARGE: usize = 64 * 1024;
/// Size of the latency messages.
pub const SMALL: usize = 100;
/// Bytes kept queued while measuring throughput.
const IN_FLIGHT: usize = 1024 * 1024;

/// Two sansrtc associations with one open channel.
pub struct Ours {
    now: Instant,
    client: Association,
    server: Association,
    channel: ChannelId,
    /// Messages that arrived and were not counted yet.
    arrived: usize,
    /// Bytes of the messages that arrived.
    pub bytes: usize,
    /// Messages that came back to the client and were not counted yet.
    returned: usize,
    /// Bytes of the messages that came back to the client.
    pub returned_bytes: usize,
}

impl Ours {
    /// Connected, with the channel open on both sides.
    pub fn new() -> Self {
        let now = Instant::now();
        let mut client = Association::new(Config::new(DtlsRole::Client), now);
        let server = Association::new(Config::new(DtlsRole::Server), now);
        let channel = client
            .create_channel(now, ChannelOptions::new("bench"))
            .expect("a channel");
        client.connect(now).expect("connect");
        let mut pair = Self {
            now,
            client,
            server,
            channel,
            arrived: 0,
            bytes: 0,
            returned: 0,
            returned_bytes: 0,
        };
        while pair.server.channel(channel).is_none() {
            pair.pump();
        }
        pair
    }

    /// Moves packets and events once; when nothing moved, jumps to the next
    /// deadline.
    fn pump(&mut self) {
        let mut moved = false;
        while let Some(packet) = self.client.poll_transmit() {
            moved = true;
            self.server
                .handle_receive(self.now, &packet)
                .expect("our packet");
        }
        while let Some(packet) = self.server.poll_transmit() {
            moved = true;
            self.client
                .handle_receive(self.now, &packet)
                .expect("our packet");
        }
        while let Some(event) = self.server.poll_event() {
            moved = true;
            if let Event::Message { payload, .. } = event {
                self.arrived += 1;
                self.bytes += payload.len();
                if let Payload::Binary(bytes) = payload {
                    core::hint::black_box(bytes);
                }
            }
        }
        while let Some(event) = self.client.poll_event() {
            moved = true;
            if let Event::Message { payload, .. } = event {
                self.returned += 1;
                self.returned_bytes += payload.len();
                core::hint::black_box(payload);
            }
        }
        if !moved {
            let next = [self.client.poll_timeout(), self.server.poll_timeout()]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(self.now + Duration::from_millis(1));
            self.now = self.now.max(next);
            self.client.handle_timeout(self.now);
            self.server.handle_timeout(self.now);
        }
    }

    /// Keeps `in_flight` bytes queued (0: sends one message) and returns
    /// once one more message arrived.
    pub fn deliver_one(&mut self, message: &[u8], in_flight: usize) {
        if in_flight == 0 {
            self.client
                .send(self.now, self.channel, Message::Binary(message))
                .expect("send");
        }
        while self.client.total_buffered_amount() + message.len() <= in_flight {
            self.client
                .send(self.now, self.channel, Message::Binary(message))
                .expect("send");
        }
        while self.arrived == 0 {
            self.pump();
        }
        self.arrived -= 1;
    }

    /// Sends `message`, which the server sends back, and returns once it
    /// is back.
    pub fn round_trip(&mut self, message: &[u8]) {
        self.deliver_one(message, 0);
        self.server
            .send(self.now, self.channel, Message::Binary(message))
            .expect("echo");
        while self.returned == 0 {
            self.pump();
        }
        self.returned -= 1;
    }
}

impl Default for Ours {
    fn default() -> Self {
        Self::new()
    }
}

/// Two bare sctp-proto associations with one stream: the floor.
pub struct Bare {
    now: Instant,
    client_endpoint: Endpoint,
    client: sctp_proto::Association,
    server_endpoint: Endpoint,
    server: Option<sctp_proto::Association>,
    arrived: usize,
    /// Bytes of the messages that arrived.
    pub bytes: usize,
    read_buf: Vec<u8>,
}

impl Bare {
    /// Connected, with stream 0 open on both sides.
    pub fn new() -> Self {
        let now = Instant::now();
        let mut client_endpoint = Endpoint::new(Arc::new(EndpointConfig::new()), None);
        let (_, client) = client_endpoint
            .connect(
                sctp_proto::ClientConfig::new(),
                "127.0.0.1:5000".parse().expect("address"),
            )
            .expect("connect");
        let server_endpoint = Endpoint::new(
            Arc::new(EndpointConfig::new()),
            Some(Arc::new(ServerConfig::new())),
        );
        let mut pair = Self {
            now,
            client_endpoint,
            client,
            server_endpoint,
            server: None,
            arrived: 0,
            bytes: 0,
            read_buf: vec![0; 256 * 1024],
        };
        for _ in 0..10 {
            pair.pump();
        }
        pair.client
            .open_stream(0, PayloadProtocolIdentifier::Binary)
            .expect("stream");
        pair
    }

    fn pump(&mut self) {
        let mut moved = false;
        let addr = "127.0.0.1:5000".parse().expect("address");
        while let Some(transmit) = self.client.poll_transmit(self.now) {
            if let sctp_proto::Payload::RawEncode(packets) = transmit.payload {
                for packet in packets {
                    moved = true;
                    match self
                        .server_endpoint
                        .handle(self.now, addr, None, None, packet)
                    {
                        Some((_, DatagramEvent::NewAssociation(a))) => self.server = Some(a),
                        Some((_, DatagramEvent::AssociationEvent(e))) => {
                            if let Some(server) = self.server.as_mut() {
                                server.handle_event(e);
                            }
                        }
                        None => {}
                    }
                }
            }
        }
        if let Some(server) = self.server.as_mut() {
            while server.poll_endpoint_event().is_some() {}
            while server.accept_stream().is_some() {}
            while server.poll().is_some() {}
            while let Ok(mut stream) = server.stream(0) {
                let Ok(Some(chunks)) = stream.read_sctp() else {
                    break;
                };
                moved = true;
                let len = chunks.read(&mut self.read_buf).expect("room");
                self.bytes += len;
                self.arrived += 1;
            }
            while let Some(transmit) = server.poll_transmit(self.now) {
                if let sctp_proto::Payload::RawEncode(packets) = transmit.payload {
                    for packet in packets {
                        moved = true;
                        if let Some((_, DatagramEvent::AssociationEvent(event))) = self
                            .client_endpoint
                            .handle(self.now, addr, None, None, packet)
                        {
                            self.client.handle_event(event);
                        }
                    }
                }
            }
        }
        while self.client.poll_endpoint_event().is_some() {}
        while self.client.poll().is_some() {}
        if !moved {
            let next = [
                self.client.poll_timeout(),
                self.server
                    .as_ref()
                    .and_then(sctp_proto::Association::poll_timeout),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(self.now + Duration::from_millis(1));
            self.now = self.now.max(next);
            self.client.handle_timeout(self.now);
            if let Some(server) = self.server.as_mut() {
                server.handle_timeout(self.now);
            }
        }
    }

    /// Keeps `in_flight` bytes queued (0: sends one message) and returns
    /// once one more message arrived.
    pub fn deliver_one(&mut self, message: &[u8], in_flight: usize) {
        if in_flight == 0 {
            let mut stream = self.client.stream(0).expect("stream");
            stream.write(message).expect("write");
        }
        let mut stream = self.client.stream(0).expect("stream");
        while in_flight > 0
            && stream.buffered_amount().expect("amount") + message.len() <= in_flight
        {
            stream.write(message).expect("write");
        }
        while self.arrived == 0 {
            self.pump();
        }
        self.arrived -= 1;
    }
}

impl Default for Bare {
    fn default() -> Self {
        Self::new()
    }
}

/// webrtc-rs: two `webrtc-sctp` associations over `webrtc-util`'s
/// in-memory pipe and a `webrtc-data` channel, on a single-threaded tokio
/// runtime.
pub struct WebrtcRs {
    runtime: Runtime,
    sender: webrtc_data::data_channel::DataChannel,
    receiver: webrtc_data::data_channel::DataChannel,
    read_buf: Vec<u8>,
    /// Bytes of the messages that arrived.
    pub bytes: usize,
    /// Whether a task keeps writing (throughput) rather than one message
    /// being written per delivery (latency).
    streaming: bool,
    // Kept alive: dropping them closes the channel.
    _associations: (
        Arc<webrtc_sctp::association::Association>,
        Arc<webrtc_sctp::association::Association>,
    ),
}

impl WebrtcRs {
    /// Connected, with the channel open on both sides.
    pub fn new() -> Self {
        use webrtc_data::data_channel::{Config as ChannelConfig, DataChannel};
        use webrtc_sctp::association::{Association as Sctp, Config as SctpConfig};
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a runtime");
        let (a, b) = webrtc_util::conn::conn_pipe::pipe();
        let config = |conn: Arc<dyn webrtc_util::Conn + Send + Sync>, name: &str| SctpConfig {
            net_conn: conn,
            max_receive_buffer_size: 0,
            max_message_size: 0,
            mtu: 0,
            name: name.to_owned(),
            local_port: 5000,
            remote_port: 5000,
        };
        let client_config = config(Arc::new(a), "client");
        let server_config = config(Arc::new(b), "server");
        let (client, server, sender, receiver) = runtime.block_on(async move {
            let client = tokio::spawn(Sctp::client(client_config));
            let server = Sctp::server(server_config).await.expect("server");
            let client = client.await.expect("task").expect("client");
            let (client, server) = (Arc::new(client), Arc::new(server));
            let channel = ChannelConfig {
                label: "bench".to_owned(),
                ..ChannelConfig::default()
            };
            let sender = DataChannel::dial(&client, 0, channel).await.expect("dial");
            let receiver =
                DataChannel::accept(&server, ChannelConfig::default(), &[] as &[DataChannel])
                    .await
                    .expect("accept");
            (client, server, sender, receiver)
        });
        Self {
            runtime,
            sender,
            receiver,
            read_buf: vec![0; 256 * 1024],
            bytes: 0,
            streaming: false,
            _associations: (client, server),
        }
    }

    /// Starts a task that writes `message` for ever: its writes wait
    /// whenever webrtc-sctp's send queue is full (128 KiB), which is how
    /// an application keeps the pipeline full with it. The task runs while
    /// [`deliver_one`](Self::deliver_one) drives the runtime.
    pub fn stream(&mut self, message: Bytes) {
        let sender = self.sender.clone();
        self.streaming = true;
        self.runtime
            .spawn(async move { while sender.write(&message).await.is_ok() {} });
    }

    /// Returns once one more message arrived; without a streaming task,
    /// writes it first.
    pub fn deliver_one(&mut self, message: &Bytes) {
        let sender = &self.sender;
        let receiver = &self.receiver;
        let buf = &mut self.read_buf;
        let streaming = self.streaming;
        let read = self.runtime.block_on(async move {
            if !streaming {
                sender.write(message).await.expect("write");
            }
            receiver.read(buf).await.expect("read")
        });
        self.bytes += read;
    }
}

impl Default for WebrtcRs {
    fn default() -> Self {
        Self::new()
    }
}

/// The data channel cases.
pub fn cases() -> Vec<Case> {
    let large: Vec<u8> = (0..LARGE).map(|i| i as u8).collect();
    let small: Vec<u8> = (0..SMALL).map(|i| i as u8).collect();
    let mut all = Vec::new();
    for (group, message, in_flight) in [(THROUGHPUT, large, IN_FLIGHT), (LATENCY, small, 0)] {
        // A latency case (0) sends one message at a time.
        let mut ours = Ours::new();
        let bytes = message.clone();
        all.push(Case::new(group, "sansrtc", Role::Sansrtc, move || {
            ours.deliver_one(&bytes, in_flight);
            bytes.len() as u64
        }));
        let mut webrtc = WebrtcRs::new();
        let bytes = Bytes::from(message.clone());
        if group == THROUGHPUT {
            webrtc.stream(bytes.clone());
        }
        all.push(Case::new(
            group,
            "webrtc-data (webrtc-rs)",
            Role::Peer,
            move || {
                let before = webrtc.bytes;
                webrtc.deliver_one(&bytes);
                (webrtc.bytes - before) as u64
            },
        ));
        let mut bare = Bare::new();
        let bytes = message;
        all.push(Case::new(
            group,
            "floor: sctp-proto alone",
            Role::Floor,
            move || {
                bare.deliver_one(&bytes, in_flight);
                bytes.len() as u64
            },
        ));
    }
    all
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One message at a time, every side delivers each before the next.
    #[test]
    fn every_side_delivers_one_at_a_time() {
        let message: Vec<u8> = (0..SMALL).map(|i| i as u8).collect();
        let mut ours = Ours::new();
        let mut bare = Bare::new();
        let mut webrtc = WebrtcRs::new();
        let bytes = Bytes::from(message.clone());
        for round in 1..=200 {
            ours.deliver_one(&message, 0);
            bare.deliver_one(&message, 0);
            webrtc.deliver_one(&bytes);
            assert_eq!(ours.bytes, round * SMALL);
            assert_eq!(bare.bytes, round * SMALL);
            assert_eq!(webrtc.bytes, round * SMALL);
        }
    }

    /// Every side delivers what was sent, message by message.
    #[test]
    fn every_side_delivers() {
        let message: Vec<u8> = (0..LARGE).map(|i| i as u8).collect();
        let mut ours = Ours::new();
        let mut bare = Bare::new();
        let mut webrtc = WebrtcRs::new();
        let mut streaming = WebrtcRs::new();
        let bytes = Bytes::from(message.clone());
        streaming.stream(bytes.clone());
        for round in 1..=40 {
            ours.deliver_one(&message, IN_FLIGHT);
            bare.deliver_one(&message, IN_FLIGHT);
            webrtc.deliver_one(&bytes);
            streaming.deliver_one(&bytes);
            // Whole messages only; some may have arrived ahead of being
            // counted.
            for bytes in [ours.bytes, bare.bytes] {
                assert!(bytes >= round * LARGE && bytes % LARGE == 0, "{bytes}");
            }
            assert_eq!(webrtc.bytes, round * LARGE);
            assert_eq!(streaming.bytes, round * LARGE);
        }
    }
}
