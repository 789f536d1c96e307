//! A whole `sansrtc::Peer`: packets per second through its send path
//! (`write_rtp`: header with the MID extension, SRTP protect, queued for
//! the socket, the transmit drained) and its receive path
//! (`handle_receive`: ICE's demultiplexing, SRTP unprotect, RTP parse,
//! routing to the transceiver, statistics, the `Event::Media` drained),
//! for a 160-byte audio payload and a 1200-byte video payload, between two
//! peers connected in memory. Floor: SRTP protect or unprotect alone, of
//! the same packet with the profile the peers negotiated (the one cost
//! no implementation avoids).
//!
//! Also the memory of a `Peer` with one audio transceiver
//! ([`memory_per_peer`]), counted with the report's allocation counter.

// The bench reads the clock once, where virtual time starts.
#![allow(clippy::disallowed_methods)]

extern crate alloc;

use alloc::rc::Rc;
use core::cell::RefCell;
use core::hint::black_box;
use core::time::Duration;
use std::time::Instant;

use sansrtc::ice::LocalSocket;
use sansrtc::sdp::Direction;
use sansrtc::srtp::{Config as SrtpConfig, MasterKey, ProtectionProfile, Session};
use sansrtc::stun::Receive;
use sansrtc::stun::rng::seed_from_u64;
use sansrtc::{Config, Event, MediaKind, Peer};

use crate::{Buffer, Case, Role};

/// The payload type written: PCMU for audio, VP8 for video.
fn payload_type(kind: MediaKind) -> u8 {
    match kind {
        MediaKind::Audio => 0,
        _ => 96,
    }
}

/// Two peers connected in memory (ICE, DTLS, SRTP), with one
/// transceiver of `kind` sending both ways.
pub struct Pair {
    /// The offerer (index 0) and the answerer.
    pub peers: [Peer; 2],
    /// The transceiver.
    pub mid: String,
    /// The time the peers were last driven at.
    pub now: Instant,
}

impl Pair {
    /// Connects two peers with a new certificate; `configure` adjusts both
    /// configurations.
    pub fn connect(kind: MediaKind, configure: impl Fn(&mut Config)) -> Self {
        let certificate = sansrtc::dtls::Certificate::generate().expect("certificate");
        Self::connect_with(kind, &certificate, configure)
    }

    /// Connects two peers that share `certificate`.
    pub fn connect_with(
        kind: MediaKind,
        certificate: &sansrtc::dtls::Certificate,
        configure: impl Fn(&mut Config),
    ) -> Self {
        // The one place the bench reads the clock: where virtual time
        // starts.
        let start = Instant::now();
        let mut peers = [0u64, 1].map(|i| {
            let mut config = Config::new();
            config.seed = Some(seed_from_u64(1000 + i));
            config.certificate = Some(certificate.clone());
            configure(&mut config);
            let mut peer = Peer::new(config, start).expect("peer");
            let address = format!("192.0.2.{}:5000", i + 1).parse().expect("address");
            peer.add_local_socket(LocalSocket::udp(address))
                .expect("socket");
            peer
        });
        let mid = peers[0]
            .add_transceiver(kind, Direction::SendRecv)
            .expect("transceiver");
        let offer = peers[0].create_offer().expect("offer");
        peers[1].set_remote_offer(&offer).expect("remote offer");
        peers[1]
            .set_direction(&mid, Direction::SendRecv)
            .expect("direction");
        let answer = peers[1].create_answer().expect("answer");
        peers[0].set_remote_answer(&answer).expect("answer");
        let mut pair = Self {
            peers,
            mid,
            now: start,
        };
        let mut ready = [false; 2];
        for _ in 0..10_000 {
            for (i, ready) in ready.iter_mut().enumerate() {
                while let Some(event) = pair.peers[i].poll_event() {
                    match event {
                        Event::LocalCandidate { candidate, .. } => {
                            let _ = pair.peers[1 - i].add_remote_candidate(&candidate);
                        }
                        Event::SrtpReady { .. } => *ready = true,
                        _ => {}
                    }
                }
                pair.deliver(i);
            }
            if ready == [true; 2] {
                // Whatever is still on its way (the last DTLS flight).
                for _ in 0..4 {
                    pair.deliver(0);
                    pair.deliver(1);
                }
                pair.discard_events();
                return pair;
            }
            let next = pair.peers.iter().filter_map(Peer::poll_timeout).min();
            pair.now = next.map_or(pair.now + Duration::from_millis(10), |t| t.max(pair.now));
            let now = pair.now;
            for peer in &mut pair.peers {
                peer.handle_timeout(now);
            }
        }
        panic!("the peers did not connect");
    }

    /// Hands everything peer `from` has to send to the other one.
    fn deliver(&mut self, from: usize) {
        let now = self.now;
        let [a, b] = &mut self.peers;
        let (sender, receiver) = if from == 0 { (a, b) } else { (b, a) };
        while let Some(transmit) = sender.poll_transmit() {
            let packet = Receive::udp(transmit.source, transmit.destination, &transmit.contents);
            let _ = receiver.handle_receive(now, packet);
        }
    }

    /// Drops the events both peers have.
    fn discard_events(&mut self) {
        for peer in &mut self.peers {
            while peer.poll_event().is_some() {}
        }
    }

    /// The SRTP profile the peers agreed on.
    pub fn profile(&self) -> ProtectionProfile {
        self.peers[0].srtp_profile().expect("keyed")
    }
}

/// The state the send case works on.
struct Sender {
    pair: Pair,
    timestamp: u32,
    payload: Vec<u8>,
}

impl Sender {
    fn send(&mut self, kind: MediaKind) -> u64 {
        let now = self.pair.now;
        self.timestamp = self.timestamp.wrapping_add(160);
        self.pair.peers[0]
            .write_rtp(
                now,
                &self.pair.mid,
                payload_type(kind),
                self.timestamp,
                false,
                &self.payload,
            )
            .expect("sent");
        let mut sum = 0;
        while let Some(transmit) = self.pair.peers[0].poll_transmit() {
            sum += transmit.contents.len() as u64;
            black_box(&transmit);
        }
        sum
    }
}

/// The state the receive case works on: each input is a datagram peer 0
/// sent, made outside the timing.
struct Receiver {
    pair: Pair,
    timestamp: u32,
    payload: Vec<u8>,
    /// Peer 0's and peer 1's addresses.
    source: core::net::SocketAddr,
    destination: core::net::SocketAddr,
}

impl Receiver {
    fn prepare(&mut self, kind: MediaKind, buffer: &mut Buffer) {
        let now = self.pair.now;
        self.timestamp = self.timestamp.wrapping_add(160);
        self.pair.peers[0]
            .write_rtp(
                now,
                &self.pair.mid,
                payload_type(kind),
                self.timestamp,
                false,
                &self.payload,
            )
            .expect("sent");
        let transmit = self.pair.peers[0].poll_transmit().expect("a datagram");
        self.source = transmit.source;
        self.destination = transmit.destination;
        buffer.set(&transmit.contents);
    }

    fn receive(&mut self, buffer: &mut Buffer) -> u64 {
        let now = self.pair.now;
        let packet = Receive::udp(self.source, self.destination, buffer.packet());
        self.pair.peers[1]
            .handle_receive(now, packet)
            .expect("received");
        let mut sum = 0;
        while let Some(event) = self.pair.peers[1].poll_event() {
            if let Event::Media(media) = event {
                sum += media.payload.len() as u64;
            }
        }
        sum
    }
}

/// An SRTP session of `profile` with a fixed key.
fn srtp(profile: ProtectionProfile) -> Session {
    let key = [0x2b; 32];
    let salt = [0x5c; 14];
    let master = MasterKey::new(
        profile,
        &key[..profile.master_key_len()],
        &salt[..profile.master_salt_len()],
    )
    .expect("key");
    Session::new(&master, SrtpConfig::default()).expect("session")
}

/// The plain RTP packet the peer writes for `payload` (12-byte header and
/// the 8-byte MID extension), sequence number `seq`.
fn plain_packet(kind: MediaKind, payload: &[u8], seq: u16) -> Vec<u8> {
    let mid = [sansrtc::rtp::rtp::Element::new(9, b"0")];
    let builder = sansrtc::rtp::rtp::Builder::new()
        .payload_type(payload_type(kind))
        .sequence_number(seq)
        .timestamp(u32::from(seq) * 160)
        .ssrc(0x1234_5678)
        .extensions(&mid)
        .payload(payload);
    let mut packet = vec![0; builder.encoded_len()];
    builder.write_to(&mut packet).expect("written");
    packet
}

/// Packets each side sends before the measurements: more than a video
/// transceiver keeps for retransmission, whose slots allocate at their
/// first packet.
const WARM_UP: usize = 2 * sansrtc::DEFAULT_VIDEO_RETRANSMISSION_CAPACITY;

fn cases_for(kind: MediaKind, payload_len: usize) -> Vec<Case> {
    let (send_group, receive_group) = match kind {
        MediaKind::Audio => ("peer_send_audio_160", "peer_receive_audio_160"),
        _ => ("peer_send_video_1200", "peer_receive_video_1200"),
    };
    let payload = vec![0x42u8; payload_len];
    let pair = Pair::connect(kind, |_| {});
    let profile = pair.profile();
    let mut sender = Sender {
        pair,
        timestamp: 0,
        payload: payload.clone(),
    };
    let receiver = Rc::new(RefCell::new(Receiver {
        pair: Pair::connect(kind, |_| {}),
        timestamp: 0,
        payload: payload.clone(),
        source: "0.0.0.0:0".parse().expect("address"),
        destination: "0.0.0.0:0".parse().expect("address"),
    }));
    // A call that has run for a while: the retransmission buffer (video)
    // has filled its slots, the pools have their blocks.
    for _ in 0..WARM_UP {
        sender.send(kind);
        let mut buffer = Buffer::default();
        let mut receiver = receiver.borrow_mut();
        receiver.prepare(kind, &mut buffer);
        receiver.receive(&mut buffer);
    }
    let prepare_receiver = Rc::clone(&receiver);

    // Floors: the same packets through SRTP alone.
    let mut floor_sender = srtp(profile);
    let mut seq = 0u16;
    let floor_payload = payload.clone();
    let mut floor_protector = srtp(profile);
    let mut floor_seq = 0u16;
    let mut floor_receiver = srtp(profile);
    vec![
        Case::new(send_group, "sansrtc Peer", Role::Sansrtc, move || {
            sender.send(kind)
        }),
        Case::prepared(
            send_group,
            "SRTP protect alone",
            Role::Floor,
            move |buffer| {
                seq = seq.wrapping_add(1);
                buffer.set(&plain_packet(kind, &payload, seq));
            },
            move |buffer| {
                let len = buffer.len;
                floor_sender
                    .protect_rtp(&mut buffer.bytes, len)
                    .expect("protected") as u64
            },
        ),
        Case::prepared(
            receive_group,
            "sansrtc Peer",
            Role::Sansrtc,
            move |buffer| prepare_receiver.borrow_mut().prepare(kind, buffer),
            move |buffer| receiver.borrow_mut().receive(buffer),
        ),
        Case::prepared(
            receive_group,
            "SRTP unprotect alone",
            Role::Floor,
            move |buffer| {
                floor_seq = floor_seq.wrapping_add(1);
                buffer.set(&plain_packet(kind, &floor_payload, floor_seq));
                let len = buffer.len;
                buffer.len = floor_protector
                    .protect_rtp(&mut buffer.bytes, len)
                    .expect("protected");
            },
            move |buffer| {
                let len = buffer.len;
                floor_receiver
                    .unprotect_rtp(&mut buffer.bytes[..len])
                    .expect("unprotected") as u64
            },
        ),
    ]
}

/// The peer groups: send and receive, audio and video.
pub fn cases() -> Vec<Case> {
    let mut cases = cases_for(MediaKind::Audio, 160);
    cases.extend(cases_for(MediaKind::Video, 1200));
    cases
}

/// What [`memory_per_peer`] measured.
#[derive(Debug, Clone, Copy)]
pub struct Memory {
    /// Bytes one connected peer with one audio transceiver holds, after a
    /// second of audio each way: its heap memory and the `Peer` itself.
    pub bytes: i64,
    /// Heap allocations made to connect it (offer or answer, ICE, DTLS).
    pub allocations: u64,
    /// Heap allocations made while the second of audio ran (50 packets
    /// each way, RTCP reports), per packet sent or received.
    pub allocations_per_packet: f64,
}

/// Runs a closure and returns the heap allocations it made and the bytes
/// it left allocated.
pub type Measure<'a> = dyn FnMut(&mut dyn FnMut()) -> (u64, i64) + 'a;

/// Memory of one `Peer` with one audio transceiver: two peers (sharing
/// one certificate, made beforehand, as a server does) are connected and
/// run a second of 20 ms audio each way. `measure` runs a closure and
/// returns the heap allocations it made and the bytes it left allocated.
/// The figures are per peer (half of the pair's).
pub fn memory_per_peer(measure: &mut Measure<'_>) -> Memory {
    let certificate = sansrtc::dtls::Certificate::generate().expect("certificate");
    let mut pair = None;
    let (allocations, connected_bytes) = measure(&mut || {
        pair = Some(Pair::connect_with(MediaKind::Audio, &certificate, |_| {}));
    });
    let mut pair = pair.expect("connected");
    let (media_allocations, media_bytes) = measure(&mut || {
        for i in 0..50u32 {
            pair.now += Duration::from_millis(20);
            let now = pair.now;
            for p in 0..2 {
                let mid = pair.mid.clone();
                pair.peers[p]
                    .write_rtp(now, &mid, 0, i * 160, false, &[0x55; 160])
                    .expect("sent");
                pair.peers[p].handle_timeout(now);
            }
            pair.deliver(0);
            pair.deliver(1);
            pair.discard_events();
        }
    });
    black_box(&pair);
    Memory {
        bytes: (connected_bytes + media_bytes) / 2 + size_of::<Peer>() as i64,
        allocations: allocations / 2,
        // 50 packets sent and 50 received by each peer; the mid clones
        // above are the bench's own.
        allocations_per_packet: media_allocations.saturating_sub(100) as f64 / 200.0,
    }
}
