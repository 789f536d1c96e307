//! A peer that breaks the rules: a bare sctp-proto association that writes
//! whatever DCEP and PPIDs it likes on whatever streams, and packets that
//! are not SCTP at all. Every refusal leaves the association working.

// The virtual clock starts at an arbitrary instant; a bad index is a
// failed test.
#![allow(clippy::disallowed_methods, clippy::indexing_slicing)]

extern crate alloc;

use alloc::sync::Arc;
use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use bytes::Bytes;
use sansrtc_datachannel::{
    Association, ChannelId, ChannelOptions, Config, DtlsRole, Event, MAX_TSN_GAP, Message, Payload,
    ReceiveError, State,
};
use sansrtc_stun::rng::Rng;
use sctp_proto::{
    DatagramEvent, Endpoint, EndpointConfig, Payload as RawPayload, PayloadProtocolIdentifier,
    ServerConfig,
};

/// Our client and a bare sctp-proto server.
struct Hostile {
    now: Instant,
    ours: Association,
    events: Vec<Event>,
    endpoint: Endpoint,
    raw: Option<sctp_proto::Association>,
    /// The verification tag and the last DATA TSN of the peer's packets.
    tag: [u8; 4],
    last_tsn: u32,
}

const ADDR: &str = "127.0.0.1:5000";

impl Hostile {
    fn new() -> Self {
        let now = Instant::now();
        let mut ours = Association::new(Config::new(DtlsRole::Client), now);
        ours.connect(now).unwrap();
        let endpoint = Endpoint::new(
            Arc::new(EndpointConfig::new()),
            Some(Arc::new(ServerConfig::new())),
        );
        let mut hostile = Self {
            now,
            ours,
            events: Vec::new(),
            endpoint,
            raw: None,
            tag: [0; 4],
            last_tsn: 0,
        };
        hostile.exchange();
        assert_eq!(hostile.ours.state(), State::Established);
        assert_eq!(hostile.events, [Event::AssociationEstablished]);
        hostile.events.clear();
        hostile
    }

    fn raw(&mut self) -> &mut sctp_proto::Association {
        self.raw.as_mut().unwrap()
    }

    /// Moves packets both ways until both sides are quiet.
    fn exchange(&mut self) {
        let addr: SocketAddr = ADDR.parse().unwrap();
        for _ in 0..50 {
            let mut any = false;
            while let Some(packet) = self.ours.poll_transmit() {
                any = true;
                let handled = self.endpoint.handle(
                    self.now,
                    addr,
                    None,
                    None,
                    Bytes::copy_from_slice(&packet),
                );
                match handled {
                    Some((_, DatagramEvent::NewAssociation(association))) => {
                        self.raw = Some(association);
                    }
                    Some((_, DatagramEvent::AssociationEvent(event))) => {
                        self.raw.as_mut().unwrap().handle_event(event);
                    }
                    None => {}
                }
            }
            while let Some(event) = self.ours.poll_event() {
                any = true;
                self.events.push(event);
            }
            if let Some(raw) = self.raw.as_mut() {
                while raw.poll_endpoint_event().is_some() {}
                while raw.accept_stream().is_some() {}
                while raw.poll().is_some() {}
                while let Some(transmit) = raw.poll_transmit(self.now) {
                    if let RawPayload::RawEncode(packets) = transmit.payload {
                        for packet in packets {
                            any = true;
                            self.tag.copy_from_slice(&packet[4..8]);
                            if packet.len() > 20 && packet[12] == 0 {
                                self.last_tsn =
                                    u32::from_be_bytes(packet[16..20].try_into().unwrap());
                            }
                            self.ours.handle_receive(self.now, &packet).unwrap();
                        }
                    }
                }
            }
            if !any {
                // Let delayed acknowledgements go.
                self.now += Duration::from_millis(250);
                self.ours.handle_timeout(self.now);
                if let Some(raw) = self.raw.as_mut() {
                    raw.handle_timeout(self.now);
                }
                if self.ours.poll_timeout().is_none_or(|t| t > self.now)
                    && self
                        .raw
                        .as_ref()
                        .unwrap()
                        .poll_timeout()
                        .is_none_or(|t| t > self.now)
                {
                    return;
                }
            }
        }
    }

    /// The raw peer writes `data` with `ppid` on `stream`.
    fn write(&mut self, stream: u16, ppid: PayloadProtocolIdentifier, data: &[u8]) {
        let raw = self.raw();
        if raw.stream(stream).is_err() {
            raw.open_stream(stream, PayloadProtocolIdentifier::Binary)
                .unwrap();
        }
        raw.stream(stream)
            .unwrap()
            .write_with_ppi(data, ppid)
            .unwrap();
        self.exchange();
    }

    /// Whether the raw peer's stream was reset by us.
    fn reset_by_us(&mut self, stream: u16) -> bool {
        self.raw().stream(stream).is_err()
    }
}

fn open(label: &str) -> Vec<u8> {
    let mut bytes = vec![0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0];
    bytes.extend_from_slice(&(label.len() as u16).to_be_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes.extend_from_slice(label.as_bytes());
    bytes
}

#[test]
fn a_valid_open_is_acknowledged() {
    let mut peer = Hostile::new();
    peer.write(5, PayloadProtocolIdentifier::Dcep, &open("fine"));
    assert!(peer.events.contains(&Event::IncomingChannel {
        channel: ChannelId(5)
    }));
    assert_eq!(peer.ours.channel(ChannelId(5)).unwrap().label(), "fine");
    // The ACK arrived on the peer's stream 5.
    let chunks = peer.raw().stream(5).unwrap().read_sctp().unwrap().unwrap();
    assert_eq!(chunks.ppi, PayloadProtocolIdentifier::Dcep);
    let mut ack = [0u8; 4];
    assert_eq!(chunks.read(&mut ack).unwrap(), 1);
    assert_eq!(ack[0], 0x02);
    // Messages flow.
    peer.write(5, PayloadProtocolIdentifier::String, b"hi");
    assert!(peer.events.contains(&Event::Message {
        channel: ChannelId(5),
        payload: Payload::Text("hi".into())
    }));
}

#[test]
fn bad_opens_are_refused_by_resetting_the_stream() {
    let mut peer = Hostile::new();
    // Our parity (we are the DTLS client: even ids are ours).
    peer.write(4, PayloadProtocolIdentifier::Dcep, &open("mine"));
    // Past the stream id cap.
    peer.write(2001, PayloadProtocolIdentifier::Dcep, &open("far"));
    // Malformed: the label length says 9, 1 byte follows.
    let mut broken = open("x");
    broken[9] = 9;
    peer.write(7, PayloadProtocolIdentifier::Dcep, &broken);
    // An ACK nobody asked for.
    peer.write(9, PayloadProtocolIdentifier::Dcep, &[0x02]);
    assert!(
        peer.events.is_empty(),
        "no channel may appear: {:?}",
        peer.events
    );
    assert_eq!(peer.ours.channels().count(), 0);
    assert_eq!(peer.ours.stats().dcep_refused, 4);
    for stream in [4, 2001, 7, 9] {
        assert!(peer.reset_by_us(stream), "stream {stream} not reset");
    }

    // A second OPEN on a channel in use closes it.
    peer.write(11, PayloadProtocolIdentifier::Dcep, &open("once"));
    peer.write(11, PayloadProtocolIdentifier::Dcep, &open("twice"));
    assert!(peer.events.contains(&Event::ChannelClosing {
        channel: ChannelId(11)
    }));

    // The association still works.
    peer.write(13, PayloadProtocolIdentifier::Dcep, &open("after"));
    peer.write(13, PayloadProtocolIdentifier::Binary, &[1, 2, 3]);
    assert!(peer.events.contains(&Event::Message {
        channel: ChannelId(13),
        payload: Payload::Binary(vec![1, 2, 3])
    }));
}

#[test]
fn messages_without_a_channel_or_with_foreign_ppids_are_dropped() {
    let mut peer = Hostile::new();
    peer.write(3, PayloadProtocolIdentifier::Binary, b"nobody listens");
    // Past the cap, the stream is reset as well.
    peer.write(4000, PayloadProtocolIdentifier::Binary, b"far away");
    assert!(peer.reset_by_us(4000));
    peer.write(5, PayloadProtocolIdentifier::Dcep, &open("ok"));
    peer.write(5, PayloadProtocolIdentifier::Unknown, b"not webrtc");
    // Invalid UTF-8 as text: decoded as browsers do.
    peer.write(5, PayloadProtocolIdentifier::String, &[b'a', 0xff, b'b']);
    assert_eq!(peer.ours.stats().messages_dropped, 3);
    assert!(peer.events.contains(&Event::Message {
        channel: ChannelId(5),
        payload: Payload::Text("a\u{fffd}b".into())
    }));
}

#[test]
fn the_peer_cannot_open_more_channels_than_the_cap() {
    let mut peer = Hostile::new();
    for stream in (1..1200u16).step_by(2) {
        let raw = peer.raw();
        raw.open_stream(stream, PayloadProtocolIdentifier::Binary)
            .unwrap();
        raw.stream(stream)
            .unwrap()
            .write_with_ppi(&open("many"), PayloadProtocolIdentifier::Dcep)
            .unwrap();
    }
    for _ in 0..20 {
        peer.exchange();
    }
    // Every odd id below 1024 opened, the rest were refused.
    assert_eq!(peer.ours.channels().count(), 512);
    assert_eq!(peer.ours.stats().dcep_refused, 88);
    assert!(peer.ours.channels().all(|c| c.id().0 < 1024));
    assert!(peer.ours.overflow().is_empty());
}

#[test]
fn broken_packets_are_errors_and_change_nothing() {
    let mut peer = Hostile::new();
    let now = peer.now;
    assert_eq!(
        peer.ours.handle_receive(now, &[0; 5]),
        Err(ReceiveError::Truncated { len: 5 })
    );
    let mut rng = Rng::from_u64(5);
    let mut refused = 0;
    for len in 12..400 {
        let mut packet = vec![0u8; len];
        rng.fill(&mut packet);
        // Right ports, so the checksum (or the layout) is what fails.
        packet[..4].copy_from_slice(&[0x13, 0x88, 0x13, 0x88]);
        if peer.ours.handle_receive(now, &packet).is_err() {
            refused += 1;
        }
    }
    assert_eq!(refused, 400 - 12);
    let mut wrong_port = vec![0u8; 16];
    wrong_port[..4].copy_from_slice(&[0x13, 0x89, 0x13, 0x88]);
    assert_eq!(
        peer.ours.handle_receive(now, &wrong_port),
        Err(ReceiveError::WrongPorts {
            source_port: 5001,
            destination_port: 5000
        })
    );
    // Still established and working both ways.
    let channel = peer
        .ours
        .create_channel(now, ChannelOptions::new("still here"))
        .unwrap();
    peer.exchange();
    peer.ours
        .send(peer.now, channel, Message::Text("ping"))
        .unwrap();
    peer.exchange();
    let mut found = false;
    let raw = peer.raw();
    while let Ok(Some(chunks)) = raw.stream(channel.0).unwrap().read_sctp() {
        let mut buf = vec![0u8; chunks.len()];
        chunks.read(&mut buf).unwrap();
        found |= buf == b"ping";
    }
    assert!(found);
}

/// A packet from the peer with one DATA chunk on stream 5, written by
/// hand: TSN, stream sequence number and 1000 bytes.
fn data_packet(tag: [u8; 4], tsn: u32, ssn: u16) -> Vec<u8> {
    let mut packet = vec![0x13, 0x88, 0x13, 0x88];
    packet.extend_from_slice(&tag);
    packet.extend_from_slice(&[0; 4]);
    packet.extend_from_slice(&[0, 0x03]);
    packet.extend_from_slice(&(16u16 + 1000).to_be_bytes());
    packet.extend_from_slice(&tsn.to_be_bytes());
    packet.extend_from_slice(&5u16.to_be_bytes());
    packet.extend_from_slice(&ssn.to_be_bytes());
    packet.extend_from_slice(&53u32.to_be_bytes());
    packet.extend_from_slice(&[7; 1000]);
    let crc = crc32c::crc32c(&packet);
    packet[8..12].copy_from_slice(&crc.to_le_bytes());
    packet
}

#[test]
fn data_far_beyond_the_window_is_refused() {
    let mut peer = Hostile::new();
    peer.write(5, PayloadProtocolIdentifier::Dcep, &open("window"));
    let (tag, base) = (peer.tag, peer.last_tsn);
    let now = peer.now;
    // A chunk far ahead, then gap fillers carrying messages that can never
    // be delivered (their predecessor never comes): sctp-proto alone would
    // keep every one of them.
    assert_eq!(
        peer.ours
            .handle_receive(now, &data_packet(tag, base + 100_000, 9)),
        Err(ReceiveError::BeyondWindow {
            tsn: base + 100_000
        })
    );
    let mut accepted = 0;
    for i in 2..=2 * MAX_TSN_GAP {
        match peer
            .ours
            .handle_receive(now, &data_packet(tag, base + i, 100 + i as u16))
        {
            Ok(()) => accepted += 1,
            Err(ReceiveError::BeyondWindow { .. }) => {}
            Err(other) => panic!("{other}"),
        }
        while peer.ours.poll_transmit().is_some() {}
    }
    assert!(accepted < MAX_TSN_GAP, "{accepted} chunks kept");
    // A chunk within the window is taken as ever.
    let fresh = base + 1;
    assert_eq!(
        peer.ours.handle_receive(now, &data_packet(tag, fresh, 1)),
        Ok(())
    );
}
