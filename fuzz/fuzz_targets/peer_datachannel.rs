#![no_main]
//! A `Peer` in a connected call whose other side is a bare stack (an
//! ICE-lite agent, a DTLS endpoint and an sctp-proto association) that
//! sends what a hostile peer can: DCEP messages built from arbitrary
//! fields, user messages on any stream with any PPID, stream resets,
//! arbitrary chunks behind a valid SCTP common header and checksum, and
//! arbitrary bytes as DTLS application data or as datagrams, interleaved
//! with the application's own channel commands and the passing of time.
//! The peer never panics and its caps hold.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sansrtc::datachannel::MAX_CHANNELS;
use sansrtc::dtls::{Certificate, DtlsRole, Endpoint as Dtls, Event as DtlsEvent};
use sansrtc::ice::{Agent, Credentials, Handled, LocalSocket};
use sansrtc::stun::Receive;
use sansrtc::stun::rng::seed_from_u64;
use sansrtc::{
    ChannelOptions, Config, ConnectionState, DataChannelEvent, DataChannelId, Event, Message, Peer,
    Reliability,
};
use sctp_proto::{
    DatagramEvent, Endpoint, EndpointConfig, Payload, PayloadProtocolIdentifier as Ppid,
    ServerConfig,
};

const OURS: &str = "10.0.0.1:5000";
const THEIRS: &str = "10.0.0.2:5000";
const UFRAG: &str = "fuzz";
const PWD: &str = "fuzzfuzzfuzzfuzzfuzzfuzz";

#[derive(Arbitrary, Debug)]
enum Op {
    /// A datagram to our peer, as it comes.
    Datagram(Vec<u8>),
    /// DTLS application data (what SCTP rides on), as it comes.
    Sctp(Vec<u8>),
    /// Chunks behind a valid common header (ports, our tag) and checksum.
    Chunks(Vec<u8>),
    /// The other side writes on a stream with a PPID.
    PeerWrite {
        stream: u16,
        ppid: u8,
        data: Vec<u8>,
    },
    /// The other side sends DATA_CHANNEL_OPEN built from these fields.
    PeerOpen {
        stream: u16,
        channel_type: u8,
        priority: u16,
        parameter: u32,
        label: String,
        protocol: String,
    },
    /// The other side resets a stream.
    PeerClose { stream: u16 },
    /// Our application creates a channel.
    Create {
        negotiated: Option<u16>,
        ordered: bool,
        reliability: u8,
        value: u16,
    },
    /// Our application sends.
    Send {
        channel: u32,
        binary: bool,
        data: Vec<u8>,
    },
    /// Our application closes a channel.
    Close { channel: u32 },
    /// Time passes.
    Wait { millis: u16 },
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

/// The value of the first `a=NAME:` line of an SDP.
fn attribute<'a>(sdp: &'a str, name: &str) -> &'a str {
    let prefix = format!("a={name}:");
    sdp.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .expect("attribute in our offer")
        .trim()
}

/// Certificates made once: key generation is not what is fuzzed.
fn certificates() -> &'static (Certificate, Certificate) {
    static CERTIFICATES: OnceLock<(Certificate, Certificate)> = OnceLock::new();
    CERTIFICATES.get_or_init(|| {
        (
            Certificate::generate().expect("certificate"),
            Certificate::generate().expect("certificate"),
        )
    })
}

struct World {
    now: Instant,
    peer: Peer,
    ice: Agent,
    dtls: Dtls,
    endpoint: Endpoint,
    association: Option<sctp_proto::Association>,
    /// The verification tag the other side's packets carry.
    tag: [u8; 4],
    ours: SocketAddr,
    theirs: SocketAddr,
    /// Our peer's connection state, from its events.
    state: ConnectionState,
    /// The channels our peer reported and has not reported closed.
    channels: BTreeSet<u32>,
}

impl World {
    /// Moves packets both ways until both sides are quiet.
    fn exchange(&mut self) {
        for _ in 0..32 {
            let mut any = false;
            while let Some(transmit) = self.peer.poll_transmit() {
                any = true;
                if transmit.destination != self.theirs {
                    continue;
                }
                let packet = Receive::udp(self.ours, self.theirs, &transmit.contents);
                if let Ok(Handled::Data(data)) = self.ice.handle_receive(self.now, packet) {
                    let _ = self.dtls.handle_receive(self.now, data.contents);
                }
            }
            while let Some(event) = self.peer.poll_event() {
                any = true;
                match event {
                    Event::ConnectionState(state) => self.state = state,
                    Event::DataChannel { id, event } => match event {
                        DataChannelEvent::Incoming { .. } | DataChannelEvent::Open => {
                            self.channels.insert(id.0);
                        }
                        DataChannelEvent::Closed => {
                            self.channels.remove(&id.0);
                        }
                        _ => {}
                    },
                    _ => {}
                }
            }
            while let Some(transmit) = self.ice.poll_transmit() {
                any = true;
                let _ = self.peer.handle_receive(
                    self.now,
                    Receive::udp(self.theirs, self.ours, &transmit.contents),
                );
            }
            while self.ice.poll_event().is_some() {}
            while let Some(event) = self.dtls.poll_event() {
                if let DtlsEvent::ApplicationData(packet) = event {
                    any = true;
                    self.to_sctp(packet);
                }
            }
            if let Some(association) = self.association.as_mut() {
                while association.poll_endpoint_event().is_some() {}
                while association.accept_stream().is_some() {}
                while association.poll().is_some() {}
                let mut packets = Vec::new();
                while let Some(transmit) = association.poll_transmit(self.now) {
                    if let Payload::RawEncode(p) = transmit.payload {
                        packets.extend(p);
                    }
                }
                for packet in packets {
                    any = true;
                    if packet.len() >= 8 {
                        self.tag.copy_from_slice(&packet[4..8]);
                    }
                    let _ = self.dtls.send_application_data(&packet);
                }
            }
            while let Some(datagram) = self.dtls.poll_transmit() {
                any = true;
                let datagram = datagram.to_vec();
                let _ = self
                    .peer
                    .handle_receive(self.now, Receive::udp(self.theirs, self.ours, &datagram));
            }
            if !any {
                return;
            }
        }
    }

    /// SCTP from our peer, into the other side's association.
    fn to_sctp(&mut self, packet: Vec<u8>) {
        let addr: SocketAddr = OURS.parse().unwrap();
        match self
            .endpoint
            .handle(self.now, addr, None, None, packet.into())
        {
            Some((_, DatagramEvent::NewAssociation(a))) => {
                if self.association.is_none() {
                    self.association = Some(a);
                }
            }
            Some((_, DatagramEvent::AssociationEvent(e))) => {
                if let Some(association) = self.association.as_mut() {
                    association.handle_event(e);
                }
            }
            None => {}
        }
    }

    /// Bytes the other side's DTLS carries to our peer as application data.
    fn send_sctp(&mut self, bytes: &[u8]) {
        let _ = self.dtls.send_application_data(bytes);
        while let Some(datagram) = self.dtls.poll_transmit() {
            let datagram = datagram.to_vec();
            let _ = self
                .peer
                .handle_receive(self.now, Receive::udp(self.theirs, self.ours, &datagram));
        }
    }

    fn peer_write(&mut self, stream: u16, ppid: Ppid, data: &[u8]) {
        if let Some(association) = self.association.as_mut() {
            if association.stream(stream).is_err() {
                let _ = association.open_stream(stream, Ppid::Binary);
            }
            if let Ok(mut s) = association.stream(stream) {
                let _ = s.write_with_ppi(data, ppid);
            }
        }
    }

    fn advance(&mut self, by: Duration) {
        self.now += by;
        let now = self.now;
        self.peer.handle_timeout(now);
        self.ice.handle_timeout(now);
        self.dtls.handle_timeout(now);
        if let Some(association) = self.association.as_mut() {
            association.handle_timeout(now);
        }
    }
}

/// Our peer offers a data channel; the other side answers as an ICE-lite,
/// DTLS-server, SCTP endpoint; both connect and the channel opens.
fn connected() -> World {
    let now = Instant::now();
    let (our_certificate, their_certificate) = certificates().clone();
    let (ours, theirs): (SocketAddr, SocketAddr) = (OURS.parse().unwrap(), THEIRS.parse().unwrap());
    let mut config = Config::default();
    config.seed = Some(seed_from_u64(1));
    config.certificate = Some(our_certificate);
    let mut peer = Peer::new(config, now).expect("peer");
    peer.add_local_socket(LocalSocket::udp(ours))
        .expect("socket");
    peer.create_data_channel(ChannelOptions::new("first"))
        .expect("channel");
    let offer = peer.create_offer().expect("offer");
    let mid = attribute(&offer, "mid").to_owned();

    let mut ice_config = sansrtc::ice::Config::new(false);
    ice_config.lite = true;
    ice_config.seed = Some(seed_from_u64(2));
    ice_config.local_credentials = Some(Credentials::new(UFRAG, PWD).expect("credentials"));
    let mut ice = Agent::new(ice_config, now);
    ice.add_local_socket(LocalSocket::udp(theirs))
        .expect("socket");
    ice.set_remote_credentials(attribute(&offer, "ice-ufrag"), attribute(&offer, "ice-pwd"))
        .expect("credentials");

    let fingerprint = their_certificate.fingerprint().to_string();
    let dtls_config = sansrtc::dtls::Config::builder(their_certificate)
        .require_srtp(false)
        .build()
        .expect("dtls config");
    let mut dtls = Dtls::new(dtls_config, now);
    let remote: sansrtc::dtls::Fingerprint = attribute(&offer, "fingerprint")
        .parse()
        .expect("fingerprint");
    dtls.set_remote_fingerprints([remote])
        .expect("fingerprints");
    dtls.start(now, DtlsRole::Server).expect("dtls");

    let answer = format!(
        "v=0\r\no=- 1 1 IN IP4 10.0.0.2\r\ns=-\r\nt=0 0\r\na=group:BUNDLE {mid}\r\na=ice-lite\r\n\
         m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 10.0.0.2\r\na=mid:{mid}\r\n\
         a=ice-ufrag:{UFRAG}\r\na=ice-pwd:{PWD}\r\na=fingerprint:{fingerprint}\r\na=setup:passive\r\n\
         a=sctp-port:5000\r\na=max-message-size:262144\r\n\
         a=candidate:1 1 udp 2130706431 10.0.0.2 5000 typ host\r\na=end-of-candidates\r\n"
    );
    peer.set_remote_answer(&answer).expect("answer");

    let mut world = World {
        now,
        peer,
        ice,
        dtls,
        endpoint: Endpoint::new(
            Arc::new(EndpointConfig::new()),
            Some(Arc::new(ServerConfig::new())),
        ),
        association: None,
        tag: [0; 4],
        ours,
        theirs,
        state: ConnectionState::New,
        channels: BTreeSet::new(),
    };
    for _ in 0..40 {
        world.exchange();
        if world.association.is_some() && world.state == ConnectionState::Connected {
            break;
        }
        world.advance(Duration::from_millis(50));
    }
    world.exchange();
    assert_eq!(
        world.state,
        ConnectionState::Connected,
        "the harness connects"
    );
    assert!(!world.channels.is_empty(), "the harness's channel opens");
    assert!(
        world.association.is_some(),
        "the harness's SCTP association is up"
    );
    world
}

fuzz_target!(|input: Input| {
    let mut world = connected();
    for op in input.ops.into_iter().take(64) {
        let now = world.now;
        match op {
            Op::Datagram(bytes) => {
                let _ = world
                    .peer
                    .handle_receive(now, Receive::udp(world.theirs, world.ours, &bytes));
            }
            Op::Sctp(bytes) => world.send_sctp(&bytes),
            Op::Chunks(chunks) => {
                let mut packet = vec![0x13, 0x88, 0x13, 0x88];
                packet.extend_from_slice(&world.tag);
                packet.extend_from_slice(&[0; 4]);
                packet.extend_from_slice(&chunks);
                set_checksum(&mut packet);
                world.send_sctp(&packet);
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
                if let Some(association) = world.association.as_mut() {
                    if let Ok(mut s) = association.stream(stream) {
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
                let _ = world.peer.create_data_channel(options);
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
                let _ = world.peer.send_data(now, DataChannelId(channel), message);
            }
            Op::Close { channel } => {
                let _ = world.peer.close_data_channel(now, DataChannelId(channel));
            }
            Op::Wait { millis } => world.advance(Duration::from_millis(u64::from(millis))),
        }
        world.exchange();
        assert!(world.channels.len() <= MAX_CHANNELS);
    }
    // Whatever came, the peer closes cleanly.
    world.peer.close(world.now);
    while world.peer.poll_transmit().is_some() {}
});
