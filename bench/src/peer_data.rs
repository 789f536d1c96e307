//! A data channel between two whole `sansrtc::Peer`s connected in memory
//! (ICE, DTLS and SCTP all in the path; no loss, datagrams handed across at
//! once), one reliable ordered channel. The peers are driven on the
//! caller's clock: time jumps to the next deadline whenever nothing moved,
//! so the figures are the CPU cost of the stack, never time spent waiting
//! on a timer.
//!
//! - `peer_datachannel_throughput_4m`: [`TOTAL`] bytes (64 messages of
//!   64 KiB) from one peer to the other per operation, with up to 1 MiB
//!   kept queued; criterion reports it in bytes per second.
//! - `peer_datachannel_round_trip_100b`: one 100-byte message there and
//!   back (low load: one message in flight).
//!
//! Connecting (offer and answer, ICE, DTLS, SCTP and the channel's DCEP
//! open) happens once, outside the measured operations. The floor is the
//! SCTP association alone (`sansrtc-datachannel`, no DTLS, no ICE), which
//! shows what encrypting and carrying the packets adds.
//!
//! The peer is webrtc-rs's whole stack: two `webrtc` `RTCPeerConnection`s
//! over webrtc-rs's in-memory virtual network (`webrtc-util`'s vnet: a
//! router and one virtual NIC per peer, no sockets, no loss), with the
//! channel detached (its raw `webrtc-data` channel read and written
//! directly: webrtc-rs's `on_message` cannot take 64 KiB messages), on a
//! single-threaded tokio runtime. It runs on tokio's clock, not the
//! caller's: with nothing lost no timer has to fire for the transfer to
//! finish, but its figures are wall time, not CPU time only.

// The peers take the time from the caller; the bench reads the clock once
// to have one.
#![allow(clippy::disallowed_methods)]

use core::time::Duration;
use std::time::Instant;

use sansrtc::ice::LocalSocket;
use sansrtc::stun::Receive;
use sansrtc::stun::rng::seed_from_u64;
use sansrtc::{ChannelOptions, Config, DataChannelEvent, DataChannelId, Event, Message, Peer};

use alloc::sync::Arc;

use bytes::Bytes;
use tokio::runtime::Runtime;
use webrtc::api::APIBuilder;
use webrtc::api::setting_engine::SettingEngine;
use webrtc::data::data_channel::DataChannel;
use webrtc::peer_connection::RTCPeerConnection;
use webrtc::peer_connection::configuration::RTCConfiguration;
use webrtc::util::vnet::net::{Net, NetConfig};
use webrtc::util::vnet::router::{Router, RouterConfig};

use crate::datachannel::{LARGE, Ours, SMALL};
use crate::{Case, Role};

extern crate alloc;

/// The throughput group.
pub const THROUGHPUT: &str = "peer_datachannel_throughput_4m";
/// The round-trip group.
pub const ROUND_TRIP: &str = "peer_datachannel_round_trip_100b";
/// Bytes moved per throughput operation: 64 messages of 64 KiB.
pub const TOTAL: usize = 64 * LARGE;
/// Bytes kept queued on the sending channel while measuring throughput.
const IN_FLIGHT: usize = 1024 * 1024;
/// How long webrtc-rs may take over one transfer before it counts as
/// stalled.
const STALL: Duration = Duration::from_secs(60);
/// Steps after which a pair that stopped moving data is a bug.
const MAX_STEPS: usize = 1_000_000;

/// Two peers connected in memory with one data channel open between them.
pub struct DataPair {
    peers: [Peer; 2],
    /// The channel as each peer names it.
    channels: [DataChannelId; 2],
    now: Instant,
    /// Messages each peer received and the bench has not taken yet.
    arrived: [usize; 2],
    /// Bytes of the messages each peer received.
    pub bytes: [usize; 2],
}

impl DataPair {
    /// Connects two peers (offerer with a channel, answerer accepting it)
    /// and returns once the channel is open on both sides.
    pub fn connect() -> Self {
        let certificate = sansrtc::dtls::Certificate::generate().expect("certificate");
        // The one place this reads the clock: where virtual time starts.
        let start = Instant::now();
        let mut peers = [0u64, 1].map(|i| {
            let mut config = Config::new();
            config.seed = Some(seed_from_u64(2000 + i));
            config.certificate = Some(certificate.clone());
            let mut peer = Peer::new(config, start).expect("peer");
            let address = format!("192.0.2.{}:5000", i + 1).parse().expect("address");
            peer.add_local_socket(LocalSocket::udp(address))
                .expect("socket");
            peer
        });
        let offered = peers[0]
            .create_data_channel(ChannelOptions::new("bench"))
            .expect("channel");
        let offer = peers[0].create_offer().expect("offer");
        peers[1].set_remote_offer(&offer).expect("remote offer");
        let answer = peers[1].create_answer().expect("answer");
        peers[0].set_remote_answer(&answer).expect("answer");
        let mut pair = Self {
            peers,
            channels: [offered, offered],
            now: start,
            arrived: [0; 2],
            bytes: [0; 2],
        };
        let mut open = [false; 2];
        for _ in 0..100_000 {
            if open == [true; 2] {
                return pair;
            }
            let mut moved = false;
            for i in 0..2 {
                while let Some(event) = pair.peers[i].poll_event() {
                    moved = true;
                    match event {
                        Event::LocalCandidate { candidate, .. } => {
                            let _ = pair.peers[1 - i].add_remote_candidate(&candidate);
                        }
                        Event::DataChannel {
                            id,
                            event: DataChannelEvent::Open,
                        } => {
                            pair.channels[i] = id;
                            open[i] = true;
                        }
                        Event::DataChannel {
                            id,
                            event: DataChannelEvent::Incoming { .. },
                        } if i == 1 => {
                            // Usable as soon as the other side's DCEP open
                            // arrived.
                            pair.channels[1] = id;
                            open[1] = true;
                        }
                        _ => {}
                    }
                }
                moved |= pair.deliver(i);
            }
            if !moved {
                pair.advance();
            }
        }
        panic!("the data channel did not open");
    }

    /// Hands everything peer `from` has to send to the other one; whether
    /// anything went.
    fn deliver(&mut self, from: usize) -> bool {
        let now = self.now;
        let [a, b] = &mut self.peers;
        let (sender, receiver) = if from == 0 { (a, b) } else { (b, a) };
        let mut moved = false;
        while let Some(transmit) = sender.poll_transmit() {
            moved = true;
            let packet = Receive::udp(transmit.source, transmit.destination, &transmit.contents);
            receiver.handle_receive(now, packet).expect("our datagram");
        }
        moved
    }

    /// Jumps to the earliest deadline of either peer and lets both act on
    /// it.
    fn advance(&mut self) {
        let next = self.peers.iter().filter_map(Peer::poll_timeout).min();
        self.now = next.map_or(self.now + Duration::from_millis(1), |t| t.max(self.now));
        let now = self.now;
        for peer in &mut self.peers {
            peer.handle_timeout(now);
        }
    }

    /// One round of both poll loops: datagrams across both ways, events
    /// taken (messages counted); time moves on only when nothing moved.
    fn step(&mut self) {
        let mut moved = self.deliver(0);
        moved |= self.deliver(1);
        for i in 0..2 {
            while let Some(event) = self.peers[i].poll_event() {
                moved = true;
                if let Event::DataChannel {
                    event: DataChannelEvent::Message(payload),
                    ..
                } = event
                {
                    self.arrived[i] += 1;
                    self.bytes[i] += payload.len();
                    core::hint::black_box(payload);
                }
            }
        }
        if !moved {
            self.advance();
        }
    }

    /// Moves `total` bytes in `message`-sized messages from peer 0 to peer
    /// 1, keeping up to [`IN_FLIGHT`] bytes queued, and returns once the
    /// last one arrived.
    pub fn transfer(&mut self, message: &[u8], total: usize) {
        let target = self.bytes[1] + total;
        let mut to_send = total;
        for _ in 0..MAX_STEPS {
            while to_send > 0
                && self.peers[0].buffered_amount(self.channels[0]) + message.len() <= IN_FLIGHT
            {
                let now = self.now;
                self.peers[0]
                    .send_data(now, self.channels[0], Message::Binary(message))
                    .expect("send");
                to_send = to_send.saturating_sub(message.len());
            }
            if self.bytes[1] >= target {
                self.arrived[1] = 0;
                return;
            }
            self.step();
        }
        panic!("the transfer stalled");
    }

    /// Sends `message` from peer 0, which peer 1 sends back, and returns
    /// once it is back.
    pub fn round_trip(&mut self, message: &[u8]) {
        let now = self.now;
        self.peers[0]
            .send_data(now, self.channels[0], Message::Binary(message))
            .expect("send");
        self.wait_for(1);
        let now = self.now;
        self.peers[1]
            .send_data(now, self.channels[1], Message::Binary(message))
            .expect("echo");
        self.wait_for(0);
    }

    /// Steps until peer `side` received a message, and takes it.
    fn wait_for(&mut self, side: usize) {
        for _ in 0..MAX_STEPS {
            if self.arrived[side] > 0 {
                self.arrived[side] -= 1;
                return;
            }
            self.step();
        }
        panic!("the message did not arrive");
    }
}

/// Two webrtc-rs peer connections over webrtc-rs's virtual network, with
/// one data channel open and detached on both sides.
pub struct WebrtcPeers {
    runtime: Runtime,
    sender: Arc<DataChannel>,
    receiver: Arc<DataChannel>,
    read_buf: Vec<u8>,
    /// Bytes each side received (offerer, answerer).
    pub bytes: [usize; 2],
    // Kept alive: dropping them closes the connection and the network.
    _peers: (RTCPeerConnection, RTCPeerConnection),
    _router: Arc<tokio::sync::Mutex<Router>>,
}

impl WebrtcPeers {
    /// Connects two peer connections on a new virtual network and returns
    /// once the channel is open (and detached) on both sides.
    pub fn connect() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let (peers, router, sender, receiver) = runtime.block_on(async {
            let router = Arc::new(tokio::sync::Mutex::new(
                Router::new(RouterConfig {
                    cidr: "192.0.2.0/24".to_owned(),
                    ..RouterConfig::default()
                })
                .expect("router"),
            ));
            let mut apis = Vec::new();
            for ip in ["192.0.2.1", "192.0.2.2"] {
                let net = Arc::new(Net::new(Some(NetConfig {
                    static_ips: vec![ip.to_owned()],
                    ..NetConfig::default()
                })));
                let nic = net.get_nic().expect("nic");
                router
                    .lock()
                    .await
                    .add_net(Arc::clone(&nic))
                    .await
                    .expect("add net");
                nic.lock()
                    .await
                    .set_router(Arc::clone(&router))
                    .await
                    .expect("router");
                let mut settings = SettingEngine::default();
                settings.set_vnet(Some(net));
                settings.detach_data_channels();
                apis.push(APIBuilder::new().with_setting_engine(settings).build());
            }
            router.lock().await.start().await.expect("start");
            let offerer = apis[0]
                .new_peer_connection(RTCConfiguration::default())
                .await
                .expect("offerer");
            let answerer = apis[1]
                .new_peer_connection(RTCConfiguration::default())
                .await
                .expect("answerer");

            let (opened_tx, mut opened) = tokio::sync::mpsc::unbounded_channel();
            let channel = offerer
                .create_data_channel("bench", None)
                .await
                .expect("channel");
            let on_open = Arc::clone(&channel);
            let tx = opened_tx.clone();
            channel.on_open(Box::new(move || {
                Box::pin(async move {
                    let raw = on_open.detach().await.expect("detach");
                    let _ = tx.send((0, raw));
                })
            }));
            answerer.on_data_channel(Box::new(move |channel| {
                let tx = opened_tx.clone();
                let on_open = Arc::clone(&channel);
                Box::pin(async move {
                    channel.on_open(Box::new(move || {
                        Box::pin(async move {
                            let raw = on_open.detach().await.expect("detach");
                            let _ = tx.send((1, raw));
                        })
                    }));
                })
            }));

            let offer = offerer.create_offer(None).await.expect("offer");
            let mut gathered = offerer.gathering_complete_promise().await;
            offerer.set_local_description(offer).await.expect("local");
            let _ = gathered.recv().await;
            let offer = offerer.local_description().await.expect("offer");
            answerer
                .set_remote_description(offer)
                .await
                .expect("remote");
            let answer = answerer.create_answer(None).await.expect("answer");
            let mut gathered = answerer.gathering_complete_promise().await;
            answerer.set_local_description(answer).await.expect("local");
            let _ = gathered.recv().await;
            let answer = answerer.local_description().await.expect("answer");
            offerer
                .set_remote_description(answer)
                .await
                .expect("remote");

            let mut raw: [Option<Arc<DataChannel>>; 2] = [None, None];
            while raw.iter().any(Option::is_none) {
                let (side, channel) = opened.recv().await.expect("opened");
                raw[side] = Some(channel);
            }
            let [sender, receiver] = raw.map(|c| c.expect("open"));
            ((offerer, answerer), router, sender, receiver)
        });
        Self {
            runtime,
            sender,
            receiver,
            read_buf: vec![0; 256 * 1024],
            bytes: [0; 2],
            _peers: peers,
            _router: router,
        }
    }

    /// Moves `total` bytes in `message`-sized messages from the offerer to
    /// the answerer (the writes wait while webrtc-rs's send queue is
    /// full) and returns once the last one arrived.
    ///
    /// Under heavy load a webrtc-rs transfer was once seen to stall for
    /// good (no progress, no CPU). A transfer that makes no progress for
    /// a minute is started again once on a newly connected pair (said on
    /// stderr, since it distorts that measurement); a second stall fails.
    pub fn transfer(&mut self, message: &Bytes, total: usize) {
        for _ in 0..2 {
            if let Some(received) = self.try_transfer(message, total) {
                self.bytes[1] += received;
                return;
            }
            eprintln!(
                "webrtc-rs: the transfer stalled for {} s; moving it again on a new connection",
                STALL.as_secs()
            );
            let bytes = self.bytes;
            *self = Self::connect();
            self.bytes = bytes;
        }
        panic!("webrtc-rs stalled twice");
    }

    /// One transfer, or `None` if it stalled.
    fn try_transfer(&mut self, message: &Bytes, total: usize) -> Option<usize> {
        let sender = &self.sender;
        let receiver = &self.receiver;
        let buf = &mut self.read_buf;
        self.runtime.block_on(async move {
            let write = async {
                let mut sent = 0;
                while sent < total {
                    sender.write(message).await.expect("write");
                    sent += message.len();
                }
            };
            let read = async {
                let mut received = 0;
                while received < total {
                    received += receiver.read(buf).await.expect("read");
                }
                received
            };
            tokio::time::timeout(STALL, async { tokio::join!(write, read).1 })
                .await
                .ok()
        })
    }

    /// Sends `message` from the offerer, which the answerer sends back,
    /// and returns once it is back.
    pub fn round_trip(&mut self, message: &Bytes) {
        let sender = &self.sender;
        let receiver = &self.receiver;
        let buf = &mut self.read_buf;
        let (there, back) = self.runtime.block_on(async move {
            sender.write(message).await.expect("write");
            let there = receiver.read(buf).await.expect("read");
            receiver
                .write(&Bytes::copy_from_slice(&buf[..there]))
                .await
                .expect("echo");
            let back = sender.read(buf).await.expect("read");
            (there, back)
        });
        self.bytes[1] += there;
        self.bytes[0] += back;
    }
}

/// The two groups: throughput and round trip, each against the SCTP
/// association alone.
pub fn cases() -> Vec<Case> {
    let large: Vec<u8> = (0..LARGE).map(|i| i as u8).collect();
    let small: Vec<u8> = (0..SMALL).map(|i| i as u8).collect();

    let mut pair = DataPair::connect();
    let message = large.clone();
    let throughput = Case::new(THROUGHPUT, "sansrtc Peer", Role::Sansrtc, move || {
        pair.transfer(&message, TOTAL);
        TOTAL as u64
    })
    .moving(TOTAL as u64);
    let mut webrtc = WebrtcPeers::connect();
    let message = Bytes::from(large.clone());
    let throughput_webrtc = Case::new(
        THROUGHPUT,
        "webrtc (webrtc-rs RTCPeerConnection, vnet)",
        Role::Peer,
        move || {
            webrtc.transfer(&message, TOTAL);
            TOTAL as u64
        },
    )
    .moving(TOTAL as u64)
    .noted("tokio's clock: wall time");
    let mut floor = Ours::new();
    let throughput_floor = Case::new(
        THROUGHPUT,
        "floor: sansrtc-datachannel Association alone (no DTLS, no ICE)",
        Role::Floor,
        move || {
            for _ in 0..TOTAL / LARGE {
                floor.deliver_one(&large, IN_FLIGHT);
            }
            TOTAL as u64
        },
    )
    .moving(TOTAL as u64);

    let mut pair = DataPair::connect();
    let message = small.clone();
    let round_trip = Case::new(ROUND_TRIP, "sansrtc Peer", Role::Sansrtc, move || {
        pair.round_trip(&message);
        SMALL as u64
    });
    let mut webrtc = WebrtcPeers::connect();
    let message = Bytes::from(small.clone());
    let round_trip_webrtc = Case::new(
        ROUND_TRIP,
        "webrtc (webrtc-rs RTCPeerConnection, vnet)",
        Role::Peer,
        move || {
            webrtc.round_trip(&message);
            SMALL as u64
        },
    )
    .noted("tokio's clock: wall time");
    let mut floor = Ours::new();
    let round_trip_floor = Case::new(
        ROUND_TRIP,
        "floor: sansrtc-datachannel Association alone (no DTLS, no ICE)",
        Role::Floor,
        move || {
            floor.round_trip(&small);
            SMALL as u64
        },
    );
    vec![
        throughput,
        throughput_webrtc,
        throughput_floor,
        round_trip,
        round_trip_webrtc,
        round_trip_floor,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte sent arrives, transfer after transfer, and round trips
    /// come back one at a time.
    #[test]
    fn peers_move_every_byte() {
        let large: Vec<u8> = (0..LARGE).map(|i| i as u8).collect();
        let mut pair = DataPair::connect();
        for round in 1..=2 {
            pair.transfer(&large, TOTAL);
            assert_eq!(pair.bytes[1], round * TOTAL);
        }
        let small: Vec<u8> = (0..SMALL).map(|i| i as u8).collect();
        for round in 1..=50 {
            pair.round_trip(&small);
            assert_eq!(pair.bytes[0], round * SMALL);
            assert_eq!(pair.bytes[1], 2 * TOTAL + round * SMALL);
        }
    }

    /// webrtc-rs's peers move every byte too, and round trips come back.
    #[test]
    fn webrtc_peers_move_every_byte() {
        let large = Bytes::from((0..LARGE).map(|i| i as u8).collect::<Vec<u8>>());
        let mut peers = WebrtcPeers::connect();
        peers.transfer(&large, TOTAL);
        assert_eq!(peers.bytes[1], TOTAL);
        let small = Bytes::from((0..SMALL).map(|i| i as u8).collect::<Vec<u8>>());
        for round in 1..=20 {
            peers.round_trip(&small);
            assert_eq!(peers.bytes[0], round * SMALL);
        }
    }

    /// The floor's round trip comes back, message by message.
    #[test]
    fn association_round_trips() {
        let small: Vec<u8> = (0..SMALL).map(|i| i as u8).collect();
        let mut ours = Ours::new();
        for round in 1..=50 {
            ours.round_trip(&small);
            assert_eq!(ours.bytes, round * SMALL);
            assert_eq!(ours.returned_bytes, round * SMALL);
        }
    }
}
