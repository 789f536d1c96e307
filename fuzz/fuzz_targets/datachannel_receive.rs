#![no_main]
//! An established data channel association fed what a peer can send:
//! arbitrary bytes, arbitrary chunks behind a valid SCTP header and
//! checksum, DCEP messages and user messages on any stream with any PPID
//! (written by a bare sctp-proto peer), stream resets, corrupted packets,
//! interleaved with our own commands and the passing of time. It never
//! panics and its caps hold.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc_datachannel::{
    Association, ChannelId, ChannelOptions, Config, DtlsRole, MAX_CHANNELS, Message, Reliability,
};
use sctp_proto::{
    DatagramEvent, Endpoint, EndpointConfig, Payload, PayloadProtocolIdentifier as Ppid,
    ServerConfig,
};

#[derive(Arbitrary, Debug)]
enum Op {
    /// Bytes as they come.
    Raw(Vec<u8>),
    /// Chunks behind a valid common header (ports, our tag) and checksum.
    Chunks(Vec<u8>),
    /// The peer writes on a stream with a PPID.
    PeerWrite { stream: u16, ppid: u8, data: Vec<u8> },
    /// The peer sends DATA_CHANNEL_OPEN built from these fields.
    PeerOpen {
        stream: u16,
        channel_type: u8,
        priority: u16,
        parameter: u32,
        label: String,
        protocol: String,
    },
    /// The peer resets a stream.
    PeerClose { stream: u16 },
    /// We create a channel.
    Create {
        negotiated: Option<u16>,
        ordered: bool,
        reliability: u8,
        value: u16,
    },
    /// We send.
    Send { channel: u16, binary: bool, data: Vec<u8> },
    /// We close a channel.
    Close { channel: u16 },
    /// We set a threshold.
    Threshold { channel: u16, threshold: u16 },
    /// Time passes.
    Wait { millis: u16 },
    /// The next packet from the peer has one byte flipped (and its
    /// checksum fixed when `fix` is set).
    Corrupt { index: u16, xor: u8, fix: bool },
    /// The next packet from the peer is lost.
    Lose,
}

#[derive(Arbitrary, Debug)]
struct Input {
    ops: Vec<Op>,
}

fn set_checksum(packet: &mut [u8]) {
    if packet.len() < 12 {
        return;
    }
    packet[8..12].fill(0);
    let crc = crc32c::crc32c(packet);
    packet[8..12].copy_from_slice(&crc.to_le_bytes());
}

struct World {
    now: Instant,
    ours: Association,
    endpoint: Endpoint,
    peer: Option<sctp_proto::Association>,
    /// The verification tag the peer's packets carry.
    tag: [u8; 4],
    corrupt: Option<(usize, u8, bool)>,
    lose: bool,
}

impl World {
    fn exchange(&mut self) {
        let addr: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        for _ in 0..16 {
            let mut any = false;
            while let Some(packet) = self.ours.poll_transmit() {
                any = true;
                match self.endpoint.handle(self.now, addr, None, None, packet) {
                    Some((_, DatagramEvent::NewAssociation(a))) => {
                        if self.peer.is_none() {
                            self.peer = Some(a);
                        }
                    }
                    Some((_, DatagramEvent::AssociationEvent(e))) => {
                        if let Some(peer) = self.peer.as_mut() {
                            peer.handle_event(e);
                        }
                    }
                    None => {}
                }
            }
            while self.ours.poll_event().is_some() {
                any = true;
            }
            if let Some(peer) = self.peer.as_mut() {
                while peer.poll_endpoint_event().is_some() {}
                while peer.accept_stream().is_some() {}
                while peer.poll().is_some() {}
                let mut packets = Vec::new();
                while let Some(transmit) = peer.poll_transmit(self.now) {
                    if let Payload::RawEncode(p) = transmit.payload {
                        packets.extend(p);
                    }
                }
                for packet in packets {
                    any = true;
                    let mut packet = packet.to_vec();
                    if packet.len() >= 8 {
                        self.tag.copy_from_slice(&packet[4..8]);
                    }
                    if std::mem::take(&mut self.lose) {
                        continue;
                    }
                    if let Some((index, xor, fix)) = self.corrupt.take() {
                        if !packet.is_empty() {
                            let index = index % packet.len();
                            packet[index] ^= xor;
                            if fix {
                                set_checksum(&mut packet);
                            }
                        }
                    }
                    let _ = self.ours.handle_receive(self.now, &packet);
                }
            }
            if !any {
                return;
            }
        }
    }

    fn peer_write(&mut self, stream: u16, ppid: Ppid, data: &[u8]) {
        if let Some(peer) = self.peer.as_mut() {
            if peer.stream(stream).is_err() {
                let _ = peer.open_stream(stream, Ppid::Binary);
            }
            if let Ok(mut s) = peer.stream(stream) {
                let _ = s.write_with_ppi(data, ppid);
            }
        }
    }
}

fuzz_target!(|input: Input| {
    let now = Instant::now();
    let mut ours = Association::new(Config::new(DtlsRole::Client), now);
    let _ = ours.create_channel(now, ChannelOptions::new("first"));
    let _ = ours.connect(now);
    let mut world = World {
        now,
        ours,
        endpoint: Endpoint::new(
            Arc::new(EndpointConfig::new()),
            Some(Arc::new(ServerConfig::new())),
        ),
        peer: None,
        tag: [0; 4],
        corrupt: None,
        lose: false,
    };
    world.exchange();
    world.exchange();

    for op in input.ops.into_iter().take(64) {
        let now = world.now;
        match op {
            Op::Raw(bytes) => {
                let _ = world.ours.handle_receive(now, &bytes);
            }
            Op::Chunks(chunks) => {
                let mut packet = vec![0x13, 0x88, 0x13, 0x88];
                packet.extend_from_slice(&world.tag);
                packet.extend_from_slice(&[0; 4]);
                packet.extend_from_slice(&chunks);
                set_checksum(&mut packet);
                let _ = world.ours.handle_receive(now, &packet);
            }
            Op::PeerWrite { stream, ppid, data } => {
                let ppid = match ppid % 6 {
                    0 => Ppid::Dcep,
                    1 => Ppid::String,
                    2 => Ppid::Binary,
                    3 => Ppid::StringEmpty,
                    4 => Ppid::BinaryEmpty,
                    _ => Ppid::Unknown,
                };
                world.peer_write(stream, ppid, &data);
            }
            Op::PeerOpen {
                stream,
                channel_type,
                priority,
                parameter,
                label,
                protocol,
            } => {
                let mut open = vec![0x03, channel_type];
                open.extend_from_slice(&priority.to_be_bytes());
                open.extend_from_slice(&parameter.to_be_bytes());
                open.extend_from_slice(&(label.len() as u16).to_be_bytes());
                open.extend_from_slice(&(protocol.len() as u16).to_be_bytes());
                open.extend_from_slice(label.as_bytes());
                open.extend_from_slice(protocol.as_bytes());
                world.peer_write(stream, Ppid::Dcep, &open);
            }
            Op::PeerClose { stream } => {
                if let Some(peer) = world.peer.as_mut() {
                    if let Ok(mut s) = peer.stream(stream) {
                        let _ = s.close();
                    }
                }
            }
            Op::Create {
                negotiated,
                ordered,
                reliability,
                value,
            } => {
                let reliability = match reliability % 3 {
                    0 => Reliability::Reliable,
                    1 => Reliability::MaxRetransmits(value),
                    _ => Reliability::MaxPacketLifeTime(value),
                };
                let mut options = ChannelOptions::new("fuzz")
                    .with_ordered(ordered)
                    .with_reliability(reliability);
                options.negotiated = negotiated;
                let _ = world.ours.create_channel(now, options);
            }
            Op::Send {
                channel,
                binary,
                data,
            } => {
                let message = if binary {
                    Message::Binary(&data)
                } else {
                    Message::Text(std::str::from_utf8(&data).unwrap_or("text"))
                };
                let _ = world.ours.send(now, ChannelId(channel), message);
            }
            Op::Close { channel } => {
                let _ = world.ours.close(now, ChannelId(channel));
            }
            Op::Threshold { channel, threshold } => {
                let _ = world
                    .ours
                    .set_buffered_amount_low_threshold(ChannelId(channel), usize::from(threshold));
            }
            Op::Wait { millis } => {
                world.now += Duration::from_millis(u64::from(millis));
                let now = world.now;
                world.ours.handle_timeout(now);
                if let Some(peer) = world.peer.as_mut() {
                    peer.handle_timeout(now);
                }
            }
            Op::Corrupt { index, xor, fix } => {
                world.corrupt = Some((usize::from(index), xor, fix));
            }
            Op::Lose => world.lose = true,
        }
        world.exchange();
        assert!(world.ours.channels().count() <= MAX_CHANNELS);
        assert!(world.ours.channels().all(|c| usize::from(c.id().0) < MAX_CHANNELS));
        assert!(world.ours.total_buffered_amount() <= world.ours.config().max_buffered_amount);
    }
});
