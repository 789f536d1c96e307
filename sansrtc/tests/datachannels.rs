//! Data channels between two peers on `ice`'s simulated network with 5 %
//! loss: eight channels (ordered, unordered, `maxRetransmits` 0, opened by
//! either side) keep their promises over 1 000 messages each; a 16 MiB
//! transfer paced by `bufferedAmount` arrives intact; closing a channel
//! from either side leaves the others working; pre-negotiated channels
//! work on both sides; a message over the other side's
//! `a=max-message-size` is refused with a clear error; on a clean path a
//! channel without retransmissions gives up no message.

// The virtual clock starts at an arbitrary instant.
#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop
)]

extern crate alloc;

use alloc::collections::{BTreeMap, BTreeSet};
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use sansrtc::datachannel::Payload;
use sansrtc::ice::LocalSocket;
use sansrtc::ice::sim::{Link, Nat, Network};
use sansrtc::stun::Receive;
use sansrtc::stun::rng::seed_from_u64;
use sansrtc::{
    ChannelOptions, Config, ConnectionState, DataChannelEvent, DataChannelId, Error, Event,
    Message, Peer, Reliability,
};
use sha2::{Digest, Sha256};

/// The STUN server of the network.
const STUN_SERVER: &str = "192.0.2.1:3478";

/// 5 % of the datagrams are lost, each way.
const LOSSY: Link = Link {
    latency: Duration::from_millis(20),
    jitter: Duration::from_millis(5),
    loss_permille: 50,
};

/// What one peer reported, sorted for the checks.
#[derive(Debug, Default)]
struct Reports {
    /// Channel events other than messages, in order.
    channel_events: Vec<(DataChannelId, DataChannelEvent)>,
    /// Messages per channel, in arrival order (the test may take them).
    messages: BTreeMap<DataChannelId, Vec<Payload>>,
    /// Everything else.
    other: Vec<Event>,
}

impl Reports {
    fn saw(&self, id: DataChannelId, event: &DataChannelEvent) -> bool {
        self.channel_events
            .iter()
            .any(|(i, e)| *i == id && e == event)
    }

    fn count(&self, id: DataChannelId, event: &DataChannelEvent) -> usize {
        self.channel_events
            .iter()
            .filter(|(i, e)| *i == id && e == event)
            .count()
    }

    /// The channel the other side opened with this label.
    fn incoming(&self, label: &str) -> Option<(DataChannelId, String)> {
        self.channel_events.iter().find_map(|(id, e)| match e {
            DataChannelEvent::Incoming { label: l, protocol } if l == label => {
                Some((*id, protocol.clone()))
            }
            _ => None,
        })
    }
}

/// Two peers, one behind a NAT, and the network between them.
struct Call {
    peers: [Peer; 2],
    network: Network,
    now: Instant,
    addresses: [SocketAddr; 2],
    reports: [Reports; 2],
    /// Datagrams handed to the network by each peer.
    datagrams: [u64; 2],
}

impl Call {
    fn new(seed: u64, link: Link) -> Self {
        let now = Instant::now();
        let mut network = Network::new(seed, link);
        let stun: SocketAddr = STUN_SERVER.parse().unwrap();
        network.add_stun_server(stun);
        let public: IpAddr = "203.0.113.1".parse().unwrap();
        let nat = network.add_nat(public, Nat::PORT_RESTRICTED_CONE);
        let addresses: [SocketAddr; 2] = [
            "10.0.1.2:5000".parse().unwrap(),
            "203.0.113.2:5000".parse().unwrap(),
        ];
        network.add_host(addresses[0], Some(nat));
        network.add_host(addresses[1], None);
        let peers = [0, 1].map(|i| {
            let mut config = Config::new();
            config.seed = Some(seed_from_u64(seed * 2 + i as u64));
            config.stun_servers = vec![stun];
            let mut peer = Peer::new(config, now).unwrap();
            peer.add_local_socket(LocalSocket::udp(addresses[i]))
                .unwrap();
            peer
        });
        Self {
            peers,
            network,
            now,
            addresses,
            reports: Default::default(),
            datagrams: [0; 2],
        }
    }

    /// Offer from peer `from`, answer from the other; `edit` may change
    /// each description on its way (`true` for the offer).
    fn negotiate_with(&mut self, from: usize, edit: impl Fn(bool, String) -> String) {
        let offer = edit(true, self.peers[from].create_offer().unwrap());
        self.peers[1 - from].set_remote_offer(&offer).unwrap();
        let answer = edit(false, self.peers[1 - from].create_answer().unwrap());
        self.peers[from].set_remote_answer(&answer).unwrap();
    }

    fn negotiate(&mut self, from: usize) {
        self.negotiate_with(from, |_, sdp| sdp);
    }

    fn drain_events(&mut self) {
        for i in 0..2 {
            while let Some(event) = self.peers[i].poll_event() {
                match event {
                    Event::LocalCandidate { candidate, .. } => {
                        let _ = self.peers[1 - i].add_remote_candidate(&candidate);
                    }
                    Event::DataChannel {
                        id,
                        event: DataChannelEvent::Message(payload),
                    } => self.reports[i]
                        .messages
                        .entry(id)
                        .or_default()
                        .push(payload),
                    Event::DataChannel { id, event } => {
                        self.reports[i].channel_events.push((id, event));
                    }
                    other => self.reports[i].other.push(other),
                }
            }
        }
    }

    /// Moves packets and time forward until `done` says so or `limit` of
    /// virtual time passed; `done` runs at every step (to send). Returns
    /// whether `done` said so.
    fn run_until(&mut self, limit: Duration, mut done: impl FnMut(&mut Self) -> bool) -> bool {
        let end = self.now + limit;
        for _ in 0..10_000_000 {
            self.drain_events();
            for i in 0..2 {
                while let Some(transmit) = self.peers[i].poll_transmit() {
                    self.datagrams[i] += 1;
                    self.network.send(self.now, transmit);
                }
            }
            while let Some(delivery) = self.network.poll_delivery(self.now) {
                let to = self
                    .addresses
                    .iter()
                    .position(|a| *a == delivery.destination);
                if let Some(to) = to {
                    let packet =
                        Receive::udp(delivery.source, delivery.destination, &delivery.bytes);
                    let _ = self.peers[to].handle_receive(self.now, packet);
                }
            }
            self.drain_events();
            if done(self) {
                return true;
            }
            if self.now >= end {
                return false;
            }
            let next = [
                self.peers[0].poll_timeout(),
                self.peers[1].poll_timeout(),
                self.network.next_arrival(),
            ]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(end)
            .max(self.now)
            .min(self.now + Duration::from_millis(10))
            .min(end);
            self.now = next;
            for peer in &mut self.peers {
                peer.handle_timeout(next);
            }
        }
        panic!("the call did not advance");
    }

    fn run(&mut self, duration: Duration) {
        self.run_until(duration, |_| false);
    }

    fn connected(&self) -> bool {
        self.peers
            .iter()
            .all(|p| p.connection_state() == ConnectionState::Connected)
    }

    /// Runs until every channel in `channels` (peer, id) is open.
    /// Runs until every channel in `channels` (peer, id) is open, and the
    /// peers in `announced` (peer, label) learned of the channel the other
    /// side opened in band with that label, and opened it.
    fn open(
        &mut self,
        channels: &[(usize, DataChannelId)],
        announced: &[(usize, &str)],
        limit: Duration,
    ) {
        let opened = self.run_until(limit, |call| {
            channels
                .iter()
                .all(|(i, id)| call.reports[*i].saw(*id, &DataChannelEvent::Open))
                && announced.iter().all(|(i, label)| {
                    call.reports[*i]
                        .incoming(label)
                        .is_some_and(|(id, _)| call.reports[*i].saw(id, &DataChannelEvent::Open))
                })
        });
        assert!(
            opened,
            "not every channel opened: {:?} {:?}",
            self.reports[0].channel_events, self.reports[1].channel_events
        );
    }

    fn assert_nothing_dropped(&self) {
        for i in 0..2 {
            let overflow = self.peers[i].overflow();
            assert!(overflow.is_empty(), "peer {i}: {overflow:?}");
        }
    }
}

// ------------------------------------------------------------ eight channels

/// A channel of the eight: who opens it and what it promises.
struct Spec {
    label: &'static str,
    /// The peer that creates it and sends on it.
    from: usize,
    ordered: bool,
    reliability: Reliability,
    binary: bool,
}

const SPECS: [Spec; 8] = [
    Spec {
        label: "ordered text",
        from: 0,
        ordered: true,
        reliability: Reliability::Reliable,
        binary: false,
    },
    Spec {
        label: "ordered binary",
        from: 0,
        ordered: true,
        reliability: Reliability::Reliable,
        binary: true,
    },
    Spec {
        label: "unordered binary",
        from: 0,
        ordered: false,
        reliability: Reliability::Reliable,
        binary: true,
    },
    Spec {
        label: "unordered unreliable binary",
        from: 0,
        ordered: false,
        reliability: Reliability::MaxRetransmits(0),
        binary: true,
    },
    Spec {
        label: "answerer's ordered text",
        from: 1,
        ordered: true,
        reliability: Reliability::Reliable,
        binary: false,
    },
    Spec {
        label: "answerer's unordered text",
        from: 1,
        ordered: false,
        reliability: Reliability::Reliable,
        binary: false,
    },
    Spec {
        label: "answerer's ordered unreliable text",
        from: 1,
        ordered: true,
        reliability: Reliability::MaxRetransmits(0),
        binary: false,
    },
    Spec {
        label: "answerer's unordered unreliable binary",
        from: 1,
        ordered: false,
        reliability: Reliability::MaxRetransmits(0),
        binary: true,
    },
];

const MESSAGES_PER_CHANNEL: u32 = 1000;

impl Spec {
    fn options(&self, index: usize) -> ChannelOptions {
        ChannelOptions::new(self.label)
            .with_ordered(self.ordered)
            .with_reliability(self.reliability)
            .with_protocol(format!("proto-{index}"))
    }

    /// Empty messages go on ordered reliable channels only, where their
    /// place in the sequence names them.
    fn has_empty_messages(&self) -> bool {
        self.ordered && self.reliability == Reliability::Reliable
    }

    /// Message `n` of channel `index`: `index:n:` then filler that depends
    /// on both, of a length from 0 to 2 KiB (some messages take several
    /// SCTP chunks); every 100th is empty where the order names it.
    fn message(&self, index: usize, n: u32) -> Vec<u8> {
        if self.has_empty_messages() && n % 100 == 99 {
            return Vec::new();
        }
        let mut bytes = format!("{index}:{n}:").into_bytes();
        let len = if n % 50 == 7 {
            1500 + (n as usize * 13) % 600
        } else {
            (n as usize * 37 + index * 11) % 400
        };
        bytes.extend((0..len).map(|k| b'a' + ((index * 7 + n as usize * 3 + k) % 26) as u8));
        if self.binary {
            // Bytes that are not text.
            bytes.push(0xff);
        }
        bytes
    }

    fn send(&self, peer: &mut Peer, now: Instant, id: DataChannelId, bytes: &[u8]) {
        let message = if self.binary {
            Message::Binary(bytes)
        } else {
            Message::Text(core::str::from_utf8(bytes).unwrap())
        };
        peer.send_data(now, id, message).unwrap();
    }

    /// The received payload's bytes, checked to be of the channel's kind.
    fn bytes_of<'p>(&self, payload: &'p Payload) -> &'p [u8] {
        match payload {
            Payload::Binary(bytes) if self.binary => bytes,
            Payload::Text(text) if !self.binary => text.as_bytes(),
            other => panic!("{}: a message of the wrong kind: {other:?}", self.label),
        }
    }

    /// The sequence number a received (non-empty) message names, after
    /// checking that its bytes are exactly what was sent under it.
    fn check(&self, index: usize, bytes: &[u8]) -> u32 {
        let text = core::str::from_utf8(bytes.strip_suffix(&[0xff]).unwrap_or(bytes)).unwrap();
        let mut fields = text.splitn(3, ':');
        assert_eq!(fields.next(), Some(index.to_string().as_str()), "{text}");
        let n: u32 = fields.next().unwrap().parse().unwrap();
        assert!(n < MESSAGES_PER_CHANNEL);
        assert_eq!(bytes, self.message(index, n), "{}: message {n}", self.label);
        n
    }
}

/// Both sides' ids of each of the eight channels: (sender's, receiver's).
fn open_eight_channels(call: &mut Call) -> Vec<(DataChannelId, DataChannelId)> {
    // The offerer's four exist before the offer (the offer then carries
    // m=application); the answerer's four are made once connected.
    let mut ours: Vec<Option<DataChannelId>> = vec![None; SPECS.len()];
    for (index, spec) in SPECS.iter().enumerate().filter(|(_, s)| s.from == 0) {
        ours[index] = Some(
            call.peers[0]
                .create_data_channel(spec.options(index))
                .unwrap(),
        );
    }
    call.negotiate(0);
    assert!(call.run_until(Duration::from_secs(20), |call| call.connected()));
    for (index, spec) in SPECS.iter().enumerate().filter(|(_, s)| s.from == 1) {
        ours[index] = Some(
            call.peers[1]
                .create_data_channel(spec.options(index))
                .unwrap(),
        );
    }
    let channels: Vec<(usize, DataChannelId)> = SPECS
        .iter()
        .zip(&ours)
        .map(|(spec, id)| (spec.from, id.unwrap()))
        .collect();
    let announced: Vec<(usize, &str)> = SPECS.iter().map(|s| (1 - s.from, s.label)).collect();
    call.open(&channels, &announced, Duration::from_secs(20));
    // Until DATA_CHANNEL_ACK comes back, an opener sends ordered (RFC 8832
    // §6): give the acknowledgements time to land (and be retransmitted).
    call.run(Duration::from_secs(3));
    // The other side learned each channel with its label and protocol.
    let mut ids = Vec::new();
    for (index, spec) in SPECS.iter().enumerate() {
        let (theirs, protocol) = call.reports[1 - spec.from]
            .incoming(spec.label)
            .unwrap_or_else(|| panic!("{} did not reach the other side", spec.label));
        assert_eq!(protocol, format!("proto-{index}"));
        let ours = ours[index].unwrap();
        assert_eq!(
            call.peers[spec.from].data_channel_label(ours),
            Some(spec.label)
        );
        assert_eq!(
            call.peers[1 - spec.from].data_channel_label(theirs),
            Some(spec.label)
        );
        ids.push((ours, theirs));
    }
    ids
}

#[test]
fn eight_channels_keep_their_promises_over_a_lossy_path() {
    let mut call = Call::new(21, LOSSY);
    let ids = open_eight_channels(&mut call);
    // Every channel's 1 000 messages go out in one burst (about 3 MB in
    // all, both ways at once).
    let now = call.now;
    for (index, spec) in SPECS.iter().enumerate() {
        for n in 0..MESSAGES_PER_CHANNEL {
            let bytes = spec.message(index, n);
            spec.send(&mut call.peers[spec.from], now, ids[index].0, &bytes);
        }
    }
    let started = call.now;
    let reliable_done = |call: &Call| {
        SPECS.iter().zip(&ids).all(|(spec, (_, theirs))| {
            spec.reliability != Reliability::Reliable
                || call.reports[1 - spec.from]
                    .messages
                    .get(theirs)
                    .is_some_and(|m| m.len() == MESSAGES_PER_CHANNEL as usize)
        })
    };
    let delivered = call.run_until(Duration::from_secs(120), |call| reliable_done(call));
    assert!(
        delivered,
        "the reliable channels did not deliver everything"
    );
    // Let the unreliable channels' last messages land.
    call.run(Duration::from_secs(2));
    let elapsed = call.now - started;
    call.assert_nothing_dropped();

    let mut unreliable_lost = 0;
    for (index, spec) in SPECS.iter().enumerate() {
        let received = &call.reports[1 - spec.from].messages[&ids[index].1];
        let expected: Vec<Vec<u8>> = (0..MESSAGES_PER_CHANNEL)
            .map(|n| spec.message(index, n))
            .collect();
        let got: Vec<&[u8]> = received.iter().map(|p| spec.bytes_of(p)).collect();
        match (spec.ordered, spec.reliability) {
            (true, Reliability::Reliable) => {
                // All, in order, intact (empty ones included).
                assert_eq!(got.len(), expected.len(), "{}", spec.label);
                for (n, (got, expected)) in got.iter().zip(&expected).enumerate() {
                    assert_eq!(got, expected, "{}: message {n}", spec.label);
                }
            }
            (false, Reliability::Reliable) => {
                // All, each once, intact.
                let numbers: BTreeSet<u32> = got.iter().map(|b| spec.check(index, b)).collect();
                assert_eq!(
                    numbers.len(),
                    MESSAGES_PER_CHANNEL as usize,
                    "{}",
                    spec.label
                );
                // Unordered delivery over a lossy path overtakes.
                let in_order = got
                    .windows(2)
                    .all(|w| spec.check(index, w[0]) < spec.check(index, w[1]));
                assert!(!in_order, "{}: never reordered", spec.label);
            }
            (ordered, _) => {
                // Some lost, none twice, none corrupted; ordered ones in
                // order.
                let numbers: Vec<u32> = got.iter().map(|b| spec.check(index, b)).collect();
                let unique: BTreeSet<u32> = numbers.iter().copied().collect();
                assert_eq!(unique.len(), numbers.len(), "{}: duplicates", spec.label);
                if ordered {
                    assert!(
                        numbers.windows(2).all(|w| w[0] < w[1]),
                        "{}: out of order",
                        spec.label
                    );
                }
                // Most get through: 5 % of the packets are lost.
                assert!(numbers.len() > 800, "{}: {}", spec.label, numbers.len());
                unreliable_lost += MESSAGES_PER_CHANNEL as usize - numbers.len();
            }
        }
        // Nothing waits to be sent any more on the reliable channels.
        if spec.reliability == Reliability::Reliable {
            assert_eq!(call.peers[spec.from].buffered_amount(ids[index].0), 0);
        }
    }
    // maxRetransmits 0: what the path lost stays lost.
    assert!(
        unreliable_lost > 0,
        "no message lost on the unreliable channels"
    );
    eprintln!(
        "8 x {MESSAGES_PER_CHANNEL} messages with 5 % loss: {:.1} s of virtual time, \
         {unreliable_lost} lost on the maxRetransmits=0 channels, {} + {} datagrams",
        elapsed.as_secs_f64(),
        call.datagrams[0],
        call.datagrams[1],
    );

    // Closing: the offerer closes one of its channels, the answerer one of
    // its own and one the offerer opened. Each side sees each close.
    let closed = [(0, 2), (1, 5), (1, 1)];
    for (by, index) in closed {
        let id = if SPECS[index].from == by {
            ids[index].0
        } else {
            ids[index].1
        };
        call.peers[by].close_data_channel(call.now, id).unwrap();
    }
    let all_closed = call.run_until(Duration::from_secs(20), |call| {
        closed.iter().all(|(_, index)| {
            let (ours, theirs) = ids[*index];
            let from = SPECS[*index].from;
            call.reports[from].saw(ours, &DataChannelEvent::Closed)
                && call.reports[1 - from].saw(theirs, &DataChannelEvent::Closed)
        })
    });
    assert!(
        all_closed,
        "{:?} {:?}",
        call.reports[0].channel_events, call.reports[1].channel_events
    );
    for (_, index) in closed {
        let (ours, theirs) = ids[index];
        let from = SPECS[index].from;
        for (peer, id) in [(from, ours), (1 - from, theirs)] {
            assert_eq!(call.reports[peer].count(id, &DataChannelEvent::Closing), 1);
            assert_eq!(call.reports[peer].count(id, &DataChannelEvent::Closed), 1);
            assert!(call.peers[peer].data_channel_label(id).is_none());
            // A closed channel takes no message.
            let refused = call.peers[peer].send_data(call.now, id, Message::Text("late"));
            assert!(refused.is_err(), "{}: {refused:?}", SPECS[index].label);
        }
    }
    // The others still carry messages, both ways, reliable ones all of
    // them.
    let before: Vec<[usize; 2]> = ids
        .iter()
        .enumerate()
        .map(|(index, (ours, theirs))| {
            let from = SPECS[index].from;
            let count = |peer: usize, id| call.reports[peer].messages.get(&id).map_or(0, Vec::len);
            [count(1 - from, *theirs), count(from, *ours)]
        })
        .collect();
    let open: Vec<usize> = (0..SPECS.len())
        .filter(|i| !closed.iter().any(|(_, c)| c == i))
        .collect();
    let now = call.now;
    for &index in &open {
        let (ours, theirs) = ids[index];
        let from = SPECS[index].from;
        for n in 0..20 {
            let forth = format!("after the closes, forth {n}");
            let back = format!("after the closes, back {n}");
            call.peers[from]
                .send_data(now, ours, Message::Text(&forth))
                .unwrap();
            call.peers[1 - from]
                .send_data(now, theirs, Message::Text(&back))
                .unwrap();
        }
    }
    call.run(Duration::from_secs(10));
    for &index in &open {
        let spec = &SPECS[index];
        let (ours, theirs) = ids[index];
        let after = |peer: usize, id, skip: usize| -> Vec<String> {
            call.reports[peer]
                .messages
                .get(&id)
                .map_or(Vec::new(), |m| {
                    m[skip..]
                        .iter()
                        .map(|p| match p {
                            Payload::Text(text) => text.clone(),
                            other => panic!("{other:?}"),
                        })
                        .collect()
                })
        };
        let forth = after(1 - spec.from, theirs, before[index][0]);
        let back = after(spec.from, ours, before[index][1]);
        for (what, got) in [("forth", forth), ("back", back)] {
            let expected: Vec<String> = (0..20)
                .map(|n| format!("after the closes, {what} {n}"))
                .collect();
            if spec.reliability == Reliability::Reliable {
                let mut got = got;
                if !spec.ordered {
                    got.sort_by_key(|m| m.rsplit(' ').next().unwrap().parse::<u32>().unwrap());
                }
                assert_eq!(got, expected, "{} {what}", spec.label);
            } else {
                assert!(!got.is_empty(), "{} {what}", spec.label);
                assert!(got.iter().all(|m| expected.contains(m)));
            }
        }
    }
    call.assert_nothing_dropped();
}

// -------------------------------------------------------------- 16 MiB

/// Bytes of the transfer, the same for any seed-free run: an xorshift
/// stream.
struct Source {
    state: u64,
    left: usize,
}

impl Source {
    fn new(len: usize) -> Self {
        Self {
            state: 0x9e37_79b9_7f4a_7c15,
            left: len,
        }
    }

    fn next_chunk(&mut self, max: usize) -> Option<Vec<u8>> {
        if self.left == 0 {
            return None;
        }
        let len = self.left.min(max);
        self.left -= len;
        let mut chunk = Vec::with_capacity(len + 8);
        while chunk.len() < len {
            self.state ^= self.state << 13;
            self.state ^= self.state >> 7;
            self.state ^= self.state << 17;
            chunk.extend_from_slice(&self.state.to_le_bytes());
        }
        chunk.truncate(len);
        Some(chunk)
    }
}

#[test]
fn sixteen_mebibytes_arrive_intact_over_a_lossy_path() {
    const TOTAL: usize = 16 * 1024 * 1024;
    const CHUNK: usize = 64 * 1024;
    /// Stop queuing above this; go on when BufferedAmountLow says the
    /// queue fell to the threshold.
    const HIGH: usize = 1024 * 1024;
    const LOW: usize = 256 * 1024;

    let mut call = Call::new(22, LOSSY);
    let file = call.peers[0]
        .create_data_channel(ChannelOptions::new("file"))
        .unwrap();
    call.negotiate(0);
    call.open(&[(0, file)], &[(1, "file")], Duration::from_secs(20));
    call.peers[0]
        .set_buffered_amount_low_threshold(file, LOW)
        .unwrap();

    let started = call.now;
    let mut source = Source::new(TOTAL);
    let mut sent = Sha256::new();
    let mut received = Sha256::new();
    let (mut received_len, mut received_messages) = (0usize, 0usize);
    let mut waiting_for_low = false;
    let mut lows_seen = 0;
    let mut peak_buffered = 0;
    let mut finished_sending = None;
    let done = call.run_until(Duration::from_secs(600), |call| {
        // The receiver hashes what came.
        for (id, messages) in &mut call.reports[1].messages {
            assert_eq!(call.peers[1].data_channel_label(*id), Some("file"));
            for message in messages.drain(..) {
                let Payload::Binary(bytes) = message else {
                    panic!("a text message in the file");
                };
                assert!(bytes.len() <= CHUNK);
                received.update(&bytes);
                received_len += bytes.len();
                received_messages += 1;
            }
        }
        // The sender fills its queue up to HIGH, then waits for the event.
        let lows = call.reports[0].count(file, &DataChannelEvent::BufferedAmountLow);
        if lows > lows_seen {
            lows_seen = lows;
            waiting_for_low = false;
        }
        while !waiting_for_low && finished_sending.is_none() {
            let buffered = call.peers[0].buffered_amount(file);
            if buffered + CHUNK > HIGH {
                waiting_for_low = true;
                break;
            }
            match source.next_chunk(CHUNK) {
                Some(chunk) => {
                    sent.update(&chunk);
                    // Never refused: the queue stays far under its cap.
                    call.peers[0]
                        .send_data(call.now, file, Message::Binary(&chunk))
                        .unwrap();
                    peak_buffered = peak_buffered.max(call.peers[0].buffered_amount(file));
                }
                None => finished_sending = Some(call.now),
            }
        }
        received_len == TOTAL
    });
    let elapsed = call.now - started;
    assert!(
        done,
        "{received_len} of {TOTAL} bytes after {:.1} s",
        elapsed.as_secs_f64()
    );
    assert_eq!(received_messages, TOTAL / CHUNK);
    let (sent, received) = (sent.finalize(), received.finalize());
    assert_eq!(sent, received, "the SHA-256 of what arrived differs");
    assert!(peak_buffered <= HIGH);
    // The sender waited for the event many times (16 MiB through a 1 MiB
    // window).
    assert!(lows_seen >= 10, "{lows_seen} BufferedAmountLow events");
    call.run(Duration::from_secs(2));
    assert_eq!(call.peers[0].buffered_amount(file), 0);
    call.assert_nothing_dropped();
    let hex: String = sent.iter().map(|b| format!("{b:02x}")).collect();
    eprintln!(
        "16 MiB in 64 KiB messages with 5 % loss: {:.1} s of virtual time ({:.2} MB/s), \
         sha-256 {hex}, {lows_seen} BufferedAmountLow events, {} + {} datagrams",
        elapsed.as_secs_f64(),
        TOTAL as f64 / elapsed.as_secs_f64() / 1e6,
        call.datagrams[0],
        call.datagrams[1],
    );
}

// -------------------------------------------------------- pre-negotiated

#[test]
fn pre_negotiated_channels_work_on_both_sides() {
    let mut call = Call::new(23, LOSSY);
    // Both applications agree on stream 0 (an even id: the one the DTLS
    // client, the answerer, would take first for an in-band channel) and
    // stream 7, and make them before any negotiation.
    let negotiated = |label: &str, id: u16| ChannelOptions::new(label).with_negotiated(id);
    let a0 = call.peers[0]
        .create_data_channel(negotiated("state", 0))
        .unwrap();
    let a7 = call.peers[0]
        .create_data_channel(negotiated("input", 7).with_ordered(false))
        .unwrap();
    let b0 = call.peers[1]
        .create_data_channel(negotiated("state", 0))
        .unwrap();
    let b7 = call.peers[1]
        .create_data_channel(negotiated("input", 7).with_ordered(false))
        .unwrap();
    // The answerer also opens a channel in band: it must take another id.
    let chat = call.peers[1]
        .create_data_channel(ChannelOptions::new("chat"))
        .unwrap();
    call.negotiate(0);
    call.open(
        &[(0, a0), (0, a7), (1, b0), (1, b7), (1, chat)],
        &[(0, "chat")],
        Duration::from_secs(20),
    );
    for (peer, id, label) in [
        (0, a0, "state"),
        (0, a7, "input"),
        (1, b0, "state"),
        (1, b7, "input"),
    ] {
        assert_eq!(call.peers[peer].data_channel_label(id), Some(label));
    }
    // No DCEP for the negotiated ones: the only channel announced is chat.
    let incoming: Vec<&DataChannelEvent> = call.reports[0]
        .channel_events
        .iter()
        .map(|(_, e)| e)
        .filter(|e| matches!(e, DataChannelEvent::Incoming { .. }))
        .collect();
    assert_eq!(
        incoming,
        [&DataChannelEvent::Incoming {
            label: "chat".to_string(),
            protocol: String::new()
        }]
    );
    assert!(
        !call.reports[1]
            .channel_events
            .iter()
            .any(|(_, e)| matches!(e, DataChannelEvent::Incoming { .. }))
    );
    let (chat_there, _) = call.reports[0].incoming("chat").unwrap();
    let now = call.now;
    for n in 0..100 {
        call.peers[0]
            .send_data(now, a0, Message::Text(&format!("a state {n}")))
            .unwrap();
        call.peers[1]
            .send_data(now, b0, Message::Text(&format!("b state {n}")))
            .unwrap();
        call.peers[0]
            .send_data(now, a7, Message::Binary(&[0, n]))
            .unwrap();
        call.peers[1]
            .send_data(now, b7, Message::Binary(&[1, n]))
            .unwrap();
        call.peers[1]
            .send_data(now, chat, Message::Text(&format!("chat {n}")))
            .unwrap();
    }
    call.run(Duration::from_secs(10));
    let binaries = |peer: usize, id| -> BTreeSet<Vec<u8>> {
        call.reports[peer].messages[&id]
            .iter()
            .map(|p| match p {
                Payload::Binary(bytes) => bytes.clone(),
                other => panic!("{other:?}"),
            })
            .collect()
    };
    let numbered =
        |prefix: &str| -> Vec<String> { (0..100).map(|n| format!("{prefix} {n}")).collect() };
    assert_eq!(texts(&call, 1, b0), numbered("a state"));
    assert_eq!(texts(&call, 0, a0), numbered("b state"));
    assert_eq!(texts(&call, 0, chat_there), numbered("chat"));
    assert_eq!(call.reports[1].messages[&b7].len(), 100);
    assert_eq!(binaries(1, b7), (0..100).map(|n| vec![0, n]).collect());
    assert_eq!(call.reports[0].messages[&a7].len(), 100);
    assert_eq!(binaries(0, a7), (0..100).map(|n| vec![1, n]).collect());
    // Closing a negotiated channel closes it on both sides.
    call.peers[1].close_data_channel(call.now, b7).unwrap();
    assert!(call.run_until(Duration::from_secs(10), |call| {
        call.reports[0].saw(a7, &DataChannelEvent::Closed)
            && call.reports[1].saw(b7, &DataChannelEvent::Closed)
    }));
    call.peers[0]
        .send_data(call.now, a0, Message::Text("still here"))
        .unwrap();
    call.run(Duration::from_secs(3));
    assert_eq!(
        texts(&call, 1, b0).last().map(String::as_str),
        Some("still here")
    );
    call.assert_nothing_dropped();
}

#[test]
fn a_negotiated_id_is_kept_from_in_band_channels_made_before_it() {
    let mut call = Call::new(26, LOSSY);
    // The answerer (the DTLS client: in-band channels take even ids) makes
    // an in-band channel first, then one negotiated on stream 0, before
    // it knows its role: the in-band channel must not take stream 0.
    let chat = call.peers[1]
        .create_data_channel(ChannelOptions::new("chat"))
        .unwrap();
    let b0 = call.peers[1]
        .create_data_channel(ChannelOptions::new("state").with_negotiated(0))
        .unwrap();
    let a0 = call.peers[0]
        .create_data_channel(ChannelOptions::new("state").with_negotiated(0))
        .unwrap();
    // A negotiated id is the application's: taken once, and in range.
    for (options, reason) in [
        (
            ChannelOptions::new("again").with_negotiated(0),
            "data channel: channel 0 is in use",
        ),
        (
            ChannelOptions::new("far").with_negotiated(1024),
            "data channel: stream id 1024 is out of range (0 to 1023)",
        ),
        (
            ChannelOptions::new("x".repeat(65_536)),
            "data channel: the channel label is 65536 bytes, more than 65535",
        ),
    ] {
        let refused = call.peers[1].create_data_channel(options).unwrap_err();
        assert_eq!(refused.to_string(), reason);
    }
    call.negotiate(0);
    call.open(
        &[(0, a0), (1, b0), (1, chat)],
        &[(0, "chat")],
        Duration::from_secs(20),
    );
    let (chat_there, _) = call.reports[0].incoming("chat").unwrap();
    call.peers[1]
        .send_data(call.now, b0, Message::Text("on the negotiated one"))
        .unwrap();
    call.peers[1]
        .send_data(call.now, chat, Message::Text("on chat"))
        .unwrap();
    call.run(Duration::from_secs(5));
    assert_eq!(texts(&call, 0, a0), ["on the negotiated one"]);
    assert_eq!(texts(&call, 0, chat_there), ["on chat"]);
}

/// The text messages peer `peer` received on channel `id`.
fn texts(call: &Call, peer: usize, id: DataChannelId) -> Vec<String> {
    call.reports[peer].messages[&id]
        .iter()
        .map(|p| match p {
            Payload::Text(text) => text.clone(),
            other => panic!("{other:?}"),
        })
        .collect()
}

// ----------------------------------------------------- max-message-size

/// `description` with its `a=max-message-size` set to `size`, or removed.
fn with_max_message_size(description: &str, size: Option<u32>) -> String {
    let mut out = String::new();
    for line in description.split_inclusive("\r\n") {
        if line.starts_with("a=max-message-size:") {
            if let Some(size) = size {
                out.push_str(&format!("a=max-message-size:{size}\r\n"));
            }
        } else {
            out.push_str(line);
        }
    }
    assert_ne!(out, description, "no a=max-message-size to change");
    out
}

#[test]
fn a_message_over_the_other_side_s_max_message_size_is_refused() {
    let mut call = Call::new(24, LOSSY);
    let ours = call.peers[0]
        .create_data_channel(ChannelOptions::new("sizes"))
        .unwrap();
    // The answerer takes 16 KiB messages; the offer says nothing, so the
    // answerer assumes 64 KiB (RFC 8841 §6.1).
    call.negotiate_with(0, |offer, sdp| {
        with_max_message_size(&sdp, if offer { None } else { Some(16 * 1024) })
    });
    call.open(&[(0, ours)], &[(1, "sizes")], Duration::from_secs(20));
    let (theirs, _) = call.reports[1].incoming("sizes").unwrap();
    let now = call.now;
    let big = vec![0x5a; 64 * 1024 + 1];
    let refused = call.peers[0].send_data(now, ours, Message::Binary(&big[..16 * 1024 + 1]));
    let Err(Error::DataChannel(reason)) = &refused else {
        panic!("{refused:?}");
    };
    assert_eq!(
        reason,
        "message of 16385 bytes is larger than the peer accepts (16384 bytes)"
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "data channel: message of 16385 bytes is larger than the peer accepts (16384 bytes)"
    );
    // Text counts its UTF-8 bytes.
    let text = "é".repeat(8 * 1024 + 1);
    assert!(
        call.peers[0]
            .send_data(now, ours, Message::Text(&text))
            .is_err()
    );
    let refused = call.peers[1].send_data(now, theirs, Message::Binary(&big));
    assert_eq!(
        refused,
        Err(Error::DataChannel(
            "message of 65537 bytes is larger than the peer accepts (65536 bytes)".to_string()
        ))
    );
    // Nothing was queued by the refusals; messages at the limits go
    // through, intact.
    assert_eq!(call.peers[0].buffered_amount(ours), 0);
    assert_eq!(call.peers[1].buffered_amount(theirs), 0);
    call.peers[0]
        .send_data(now, ours, Message::Binary(&big[..16 * 1024]))
        .unwrap();
    call.peers[1]
        .send_data(now, theirs, Message::Binary(&big[..64 * 1024]))
        .unwrap();
    call.run(Duration::from_secs(10));
    assert_eq!(
        call.reports[1].messages[&theirs],
        [Payload::Binary(big[..16 * 1024].to_vec())]
    );
    assert_eq!(
        call.reports[0].messages[&ours],
        [Payload::Binary(big[..64 * 1024].to_vec())]
    );
}

#[test]
fn messages_up_to_the_default_256_kib_cross_and_larger_ones_are_refused() {
    let mut call = Call::new(25, LOSSY);
    let ours = call.peers[0]
        .create_data_channel(ChannelOptions::new("big"))
        .unwrap();
    call.negotiate(0);
    call.open(&[(0, ours)], &[(1, "big")], Duration::from_secs(20));
    let (theirs, _) = call.reports[1].incoming("big").unwrap();
    let limit = sansrtc::datachannel::DEFAULT_MAX_MESSAGE_SIZE as usize;
    let big: Vec<u8> = (0..=limit).map(|i| (i % 251) as u8).collect();
    for (peer, id) in [(0, ours), (1, theirs)] {
        let refused = call.peers[peer].send_data(call.now, id, Message::Binary(&big));
        assert_eq!(
            refused,
            Err(Error::DataChannel(format!(
                "message of {} bytes is larger than the peer accepts ({limit} bytes)",
                limit + 1
            )))
        );
        call.peers[peer]
            .send_data(call.now, id, Message::Binary(&big[..limit]))
            .unwrap();
    }
    call.run(Duration::from_secs(20));
    for (peer, id) in [(1, theirs), (0, ours)] {
        assert_eq!(
            call.reports[peer].messages[&id],
            [Payload::Binary(big[..limit].to_vec())]
        );
    }
    call.assert_nothing_dropped();
}

/// A channel without retransmissions (`maxRetransmits` 0) gives up a
/// message only when one of its packets was lost: on a clean path every
/// 256 KiB message (about 200 packets) arrives.
#[test]
fn without_retransmissions_nothing_is_given_up_on_a_clean_path() {
    let clean = Link {
        latency: Duration::from_millis(1),
        jitter: Duration::ZERO,
        loss_permille: 0,
    };
    let mut call = Call::new(26, clean);
    let ours = call.peers[0]
        .create_data_channel(
            ChannelOptions::new("u")
                .with_ordered(false)
                .with_reliability(Reliability::MaxRetransmits(0)),
        )
        .unwrap();
    call.negotiate(0);
    call.open(&[(0, ours)], &[(1, "u")], Duration::from_secs(20));
    let (theirs, _) = call.reports[1].incoming("u").unwrap();
    let big: Vec<u8> = (0..256 * 1024).map(|i| (i % 251) as u8).collect();
    for _ in 0..8 {
        call.peers[0]
            .send_data(call.now, ours, Message::Binary(&big))
            .unwrap();
        call.run(Duration::from_secs(2));
    }
    let got = &call.reports[1].messages[&theirs];
    assert_eq!(got.len(), 8);
    assert!(got.iter().all(|m| *m == Payload::Binary(big.clone())));
    call.assert_nothing_dropped();
}
