//! The example peer's data channels, with [`PeerConfig::data`]:
//!
//! - `chat`: opened by the offerer. Every message that arrives on it is
//!   printed and sent back prefixed with [`ECHO_PREFIX`] (unless it is such
//!   an echo itself); [`PeerConfig::say`] and the lines typed on stdin go
//!   out on it.
//! - `file`: with [`PeerConfig::send_file`], the file in 64 KiB binary
//!   messages, paced by `bufferedAmount` (at most [`FILE_HIGH_WATER`]
//!   queued; more once it fell to [`FILE_LOW_WATER`]), then one text
//!   message `{"size":N,"sha256":"HEX"}`. A `file` channel from the other
//!   side is hashed as it arrives and checked against that last message.
//!   Both sides print the SHA-256.
//! - Any other channel the other side opens is an echo channel: each
//!   message goes back unchanged, text as text, binary as binary.
//! - With [`PeerConfig::probe`], three channels of our own, `probe-ordered`,
//!   `probe-unordered` and `probe-negotiated` (pre-negotiated on stream
//!   [`PROBE_NEGOTIATED_ID`]: the other side must create it too), each
//!   carry text and binary messages of every size in [`PROBE_SIZES`] (0 B
//!   to 256 KiB), which the other side must echo unchanged (in order on the
//!   ordered ones); once all came back on every probe channel,
//!   `probe-ordered` is closed.
//! - With [`PeerConfig::echo_negotiated`], a pre-negotiated echo channel
//!   `echo-negotiated` on that stream (the other side of a probe).
//!
//! [`PeerConfig::data`]: crate::peer::PeerConfig::data
//! [`PeerConfig::say`]: crate::peer::PeerConfig::say
//! [`PeerConfig::send_file`]: crate::peer::PeerConfig::send_file
//! [`PeerConfig::probe`]: crate::peer::PeerConfig::probe
//! [`PeerConfig::echo_negotiated`]: crate::peer::PeerConfig::echo_negotiated

// Transfer times come from the clock.
#![allow(clippy::disallowed_methods)]

use alloc::collections::{BTreeMap, VecDeque};
use core::time::Duration;
use std::fs::File;
use std::io::Read;
use std::time::Instant;

use sansrtc::datachannel::Payload;
use sansrtc::{ChannelOptions, DataChannelEvent, DataChannelId, Message, Peer};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::timeline::{Timeline, note};

/// The label of the chat channel.
pub const CHAT_LABEL: &str = "chat";
/// The label of the file channel.
pub const FILE_LABEL: &str = "file";
/// What an echo on `chat` starts with.
pub const ECHO_PREFIX: &str = "echo: ";
/// Size of the file's messages.
pub const FILE_CHUNK: usize = 64 * 1024;
/// Most bytes of the file queued at once.
pub const FILE_HIGH_WATER: usize = 256 * 1024;
/// The `bufferedAmount` under which the file sender queues more.
pub const FILE_LOW_WATER: usize = 128 * 1024;
/// The label of the pre-negotiated echo channel.
pub const ECHO_NEGOTIATED_LABEL: &str = "echo-negotiated";
/// The stream id of the pre-negotiated `probe-negotiated` channel.
pub const PROBE_NEGOTIATED_ID: u16 = 42;
/// The sizes of the probe's messages, each sent as text and as binary.
pub const PROBE_SIZES: [usize; 8] = [0, 1, 100, 1200, 5000, 16 * 1024, 64 * 1024, 256 * 1024];
/// The probe's channels: label, ordered, pre-negotiated id.
pub const PROBE_CHANNELS: [(&str, bool, Option<u16>); 3] = [
    ("probe-ordered", true, None),
    ("probe-unordered", false, None),
    ("probe-negotiated", true, Some(PROBE_NEGOTIATED_ID)),
];

/// A file transfer, as one side saw it.
#[derive(Debug, Clone, PartialEq)]
pub struct FileTransfer {
    /// Bytes of the file.
    pub bytes: u64,
    /// Its SHA-256, in hex.
    pub sha256: String,
    /// From the first message to the last one acknowledged (sender) or
    /// received (receiver).
    pub duration: Duration,
    /// For the receiver: whether size and SHA-256 match what the sender
    /// announced.
    pub matches: Option<bool>,
}

/// How one probe channel went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeResult {
    /// The channel.
    pub label: String,
    /// Messages sent.
    pub sent: usize,
    /// Of those, messages echoed back unchanged (and in order on an
    /// ordered channel).
    pub echoed: usize,
    /// What went wrong.
    pub failures: Vec<String>,
}

/// What the data channels did during a call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DataSummary {
    /// Labels of the channels that opened, in order.
    pub opened: Vec<String>,
    /// Messages received on `chat` (binary ones as `<N binary bytes>`).
    pub chat_received: Vec<String>,
    /// Messages sent back on echo channels.
    pub echoed: u64,
    /// The file we sent.
    pub file_sent: Option<FileTransfer>,
    /// The file we received.
    pub file_received: Option<FileTransfer>,
    /// The probe channels, once done.
    pub probes: Vec<ProbeResult>,
    /// Labels of the channels that closed, in order.
    pub closed: Vec<String>,
}

/// What the data channels should do.
#[derive(Debug, Clone, Default)]
pub(crate) struct DataOptions {
    pub(crate) say: Vec<String>,
    pub(crate) send_file: Option<std::path::PathBuf>,
    pub(crate) probe: bool,
    pub(crate) echo_negotiated: Option<u16>,
}

#[derive(Debug)]
struct Channel {
    label: String,
    /// We opened it.
    ours: bool,
    /// Its messages go back unchanged.
    echo: bool,
}

impl Channel {
    /// A channel the other side opened: an echo channel unless it is
    /// `chat` or `file`.
    fn theirs(label: String) -> Self {
        let echo = label != CHAT_LABEL && label != FILE_LABEL;
        Self {
            label,
            ours: false,
            echo,
        }
    }
}

#[derive(Debug)]
struct FileSender {
    id: DataChannelId,
    file: File,
    hasher: Sha256,
    sent: u64,
    started: Option<Instant>,
    /// The closing text message is queued.
    finished: bool,
    reported: bool,
}

#[derive(Debug)]
struct FileReceiver {
    hasher: Sha256,
    bytes: u64,
    started: Instant,
}

#[derive(Debug)]
struct Probe {
    label: String,
    ordered: bool,
    outstanding: VecDeque<Payload>,
    sent: usize,
    echoed: usize,
    failures: Vec<String>,
    done: bool,
}

/// The data channels of a call.
#[derive(Debug)]
pub(crate) struct DataChannels {
    out: Timeline,
    options: DataOptions,
    channels: BTreeMap<DataChannelId, Channel>,
    /// The open chat channel.
    chat: Option<DataChannelId>,
    /// Chat lines waiting for the channel to open.
    to_say: VecDeque<String>,
    said: usize,
    echoes_back: usize,
    file: Option<File>,
    sender: Option<FileSender>,
    receivers: BTreeMap<DataChannelId, FileReceiver>,
    probes: BTreeMap<DataChannelId, Probe>,
    created: bool,
    pub(crate) summary: DataSummary,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A probe text of exactly `len` bytes, with multi-byte characters.
pub fn probe_text(len: usize) -> String {
    let mut text = String::with_capacity(len);
    for c in "sansrtc ✓ données ".chars().cycle() {
        if text.len() + c.len_utf8() > len {
            break;
        }
        text.push(c);
    }
    while text.len() < len {
        text.push('.');
    }
    text
}

/// Probe bytes: `len` of them, not text.
pub fn probe_binary(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 + len) as u8 ^ 0x80).collect()
}

fn describe(payload: &Payload) -> String {
    match payload {
        Payload::Text(text) => format!("text of {} bytes", text.len()),
        Payload::Binary(bytes) => format!("binary of {} bytes", bytes.len()),
    }
}

impl DataChannels {
    pub(crate) fn new(out: Timeline, options: DataOptions) -> Result<Self, std::io::Error> {
        let file = options.send_file.as_deref().map(File::open).transpose()?;
        Ok(Self {
            out,
            to_say: options.say.iter().cloned().collect(),
            options,
            channels: BTreeMap::new(),
            chat: None,
            said: 0,
            echoes_back: 0,
            file,
            sender: None,
            receivers: BTreeMap::new(),
            probes: BTreeMap::new(),
            created: false,
            summary: DataSummary::default(),
        })
    }

    /// Makes our channels, once, before our first description: `chat` when
    /// we offer, `file` when sending one, the probe's.
    pub(crate) fn create_channels(&mut self, peer: &mut Peer, offerer: bool) {
        if core::mem::replace(&mut self.created, true) {
            return;
        }
        let mut wanted = Vec::new();
        if offerer {
            wanted.push(ChannelOptions::new(CHAT_LABEL));
        }
        if let Some(id) = self.options.echo_negotiated {
            wanted.push(ChannelOptions::new(ECHO_NEGOTIATED_LABEL).with_negotiated(id));
        }
        if self.file.is_some() {
            wanted.push(ChannelOptions::new(FILE_LABEL));
        }
        if self.options.probe {
            for (label, ordered, negotiated) in PROBE_CHANNELS {
                let mut options = ChannelOptions::new(label).with_ordered(ordered);
                if let Some(id) = negotiated {
                    options = options.with_negotiated(id);
                }
                wanted.push(options);
            }
        }
        for options in wanted {
            let label = options.label.clone();
            match peer.create_data_channel(options) {
                Ok(id) => {
                    let echo = label == ECHO_NEGOTIATED_LABEL;
                    let channel = Channel {
                        label,
                        ours: true,
                        echo,
                    };
                    self.channels.insert(id, channel);
                }
                Err(e) => note!(self.out, "data-channel-error" =>
                    "cannot create channel {label:?}: {error}", label, error = e.to_string()),
            }
        }
    }

    /// Sends a line on `chat` (once it is open).
    pub(crate) fn say(&mut self, peer: &mut Peer, now: Instant, text: String) {
        self.to_say.push_back(text);
        self.flush_chat(peer, now);
    }

    fn flush_chat(&mut self, peer: &mut Peer, now: Instant) {
        let Some(chat) = self.chat else {
            return;
        };
        while let Some(text) = self.to_say.pop_front() {
            match peer.send_data(now, chat, Message::Text(&text)) {
                Ok(()) => {
                    self.said += 1;
                    note!(self.out, "chat-sent" => "chat: said {text:?}", text);
                }
                Err(e) => note!(self.out, "data-send-error" =>
                    "chat: cannot send {text:?}: {error}", text, error = e.to_string()),
            }
        }
    }

    fn label(&self, id: DataChannelId) -> String {
        self.channels
            .get(&id)
            .map_or_else(String::new, |c| c.label.clone())
    }

    pub(crate) fn handle_event(
        &mut self,
        peer: &mut Peer,
        now: Instant,
        id: DataChannelId,
        event: DataChannelEvent,
    ) {
        match event {
            DataChannelEvent::Incoming { label, protocol } => {
                note!(self.out, "data-channel-incoming" =>
                    "the other side opened channel {label:?}", label = &label, protocol);
                self.channels.insert(id, Channel::theirs(label));
            }
            DataChannelEvent::Open => self.on_open(peer, now, id),
            DataChannelEvent::Message(payload) => self.on_message(peer, now, id, payload),
            DataChannelEvent::BufferedAmountLow
                if self.sender.as_ref().is_some_and(|s| s.id == id) =>
            {
                self.pump_file(peer, now);
            }
            DataChannelEvent::Closing => {
                let label = self.label(id);
                note!(self.out, "data-channel-closing" => "channel {label:?} closing", label);
            }
            DataChannelEvent::Closed => {
                let label = self.label(id);
                note!(self.out, "data-channel-closed" => "channel {label:?} closed", label = &label);
                self.summary.closed.push(label);
                self.channels.remove(&id);
                if self.chat == Some(id) {
                    self.chat = None;
                }
            }
            _ => {}
        }
    }

    fn on_open(&mut self, peer: &mut Peer, now: Instant, id: DataChannelId) {
        let (label, ours) = match self.channels.get(&id) {
            Some(channel) => (channel.label.clone(), channel.ours),
            None => {
                let label = peer.data_channel_label(id).unwrap_or_default().to_owned();
                self.channels.insert(id, Channel::theirs(label.clone()));
                (label, false)
            }
        };
        let by = if ours { "us" } else { "the other side" };
        note!(self.out, "data-channel-open" => "channel {label:?} open (opened by {by})",
            label = &label, ours);
        self.summary.opened.push(label.clone());
        if label == CHAT_LABEL && self.chat.is_none() {
            self.chat = Some(id);
            self.flush_chat(peer, now);
        } else if label == FILE_LABEL && ours {
            if let Some(file) = self.file.take() {
                let _ = peer.set_buffered_amount_low_threshold(id, FILE_LOW_WATER);
                self.sender = Some(FileSender {
                    id,
                    file,
                    hasher: Sha256::new(),
                    sent: 0,
                    started: None,
                    finished: false,
                    reported: false,
                });
                self.pump_file(peer, now);
            }
        } else if ours {
            if let Some((_, ordered, _)) = PROBE_CHANNELS.iter().find(|p| p.0 == label) {
                self.start_probe(peer, now, id, label, *ordered);
            }
        }
    }

    fn on_message(&mut self, peer: &mut Peer, now: Instant, id: DataChannelId, payload: Payload) {
        let Some(channel) = self.channels.get(&id) else {
            return;
        };
        let (label, ours, echo) = (channel.label.clone(), channel.ours, channel.echo);
        if Some(id) == self.chat {
            self.on_chat(peer, now, id, payload);
        } else if label == FILE_LABEL && !ours {
            self.on_file(id, payload);
        } else if self.probes.contains_key(&id) {
            self.on_probe_echo(peer, now, id, payload);
        } else if echo {
            let what = describe(&payload);
            match peer.send_data(now, id, payload.as_message()) {
                Ok(()) => {
                    self.summary.echoed += 1;
                    note!(self.out, "echo" => "{label}: echoed a {what}", label, what);
                }
                Err(e) => note!(self.out, "data-send-error" =>
                    "{label}: cannot echo a {what}: {error}", label, what, error = e.to_string()),
            }
        }
    }

    fn on_chat(&mut self, peer: &mut Peer, now: Instant, id: DataChannelId, payload: Payload) {
        let (shown, echo) = match &payload {
            Payload::Text(text) => {
                let echo = (!text.starts_with(ECHO_PREFIX)).then(|| format!("{ECHO_PREFIX}{text}"));
                (text.clone(), echo.map(Payload::Text))
            }
            Payload::Binary(bytes) => {
                let echo = (!bytes.starts_with(ECHO_PREFIX.as_bytes()))
                    .then(|| [ECHO_PREFIX.as_bytes(), bytes].concat());
                (
                    format!("<{} binary bytes>", bytes.len()),
                    echo.map(Payload::Binary),
                )
            }
        };
        note!(self.out, "chat" => "chat: {text}", text = &shown);
        self.summary.chat_received.push(shown);
        match echo {
            Some(echo) => {
                if let Err(e) = peer.send_data(now, id, echo.as_message()) {
                    note!(self.out, "data-send-error" => "chat: cannot echo: {error}",
                        error = e.to_string());
                }
            }
            None => self.echoes_back += 1,
        }
    }

    fn on_file(&mut self, id: DataChannelId, payload: Payload) {
        match payload {
            Payload::Binary(bytes) => {
                let receiver = self.receivers.entry(id).or_insert_with(|| FileReceiver {
                    hasher: Sha256::new(),
                    bytes: 0,
                    started: Instant::now(),
                });
                receiver.hasher.update(&bytes);
                receiver.bytes += bytes.len() as u64;
            }
            Payload::Text(text) => {
                let receiver = self.receivers.remove(&id).unwrap_or_else(|| FileReceiver {
                    hasher: Sha256::new(),
                    bytes: 0,
                    started: Instant::now(),
                });
                let sha256 = hex(&receiver.hasher.finalize());
                let announced: Value = serde_json::from_str(&text).unwrap_or(Value::Null);
                let matches = announced.get("size").and_then(Value::as_u64) == Some(receiver.bytes)
                    && announced.get("sha256").and_then(Value::as_str) == Some(sha256.as_str());
                let duration = receiver.started.elapsed();
                let (bytes, seconds) = (receiver.bytes, duration.as_secs_f64());
                let rate = bytes as f64 / seconds.max(1e-6) / 1e6;
                let verdict = if matches {
                    "the sender's"
                } else {
                    "NOT the sender's"
                };
                note!(self.out, "file-received" =>
                    "file: received {bytes} bytes in {seconds:.2} s ({rate:.1} MB/s), SHA-256 \
                     {sha256}, {verdict}", bytes, seconds, sha256 = &sha256, matches);
                self.summary.file_received = Some(FileTransfer {
                    bytes,
                    sha256,
                    duration,
                    matches: Some(matches),
                });
            }
        }
    }

    /// Queues file chunks up to the high water mark; once the file is all
    /// queued, the closing message.
    fn pump_file(&mut self, peer: &mut Peer, now: Instant) {
        let Some(sender) = &mut self.sender else {
            return;
        };
        if sender.finished {
            return;
        }
        if peer.buffered_amount(sender.id) + FILE_CHUNK > FILE_HIGH_WATER {
            return;
        }
        let mut chunk = vec![0u8; FILE_CHUNK];
        while peer.buffered_amount(sender.id) + FILE_CHUNK <= FILE_HIGH_WATER {
            let mut len = 0;
            while len < FILE_CHUNK {
                match sender.file.read(chunk.get_mut(len..).unwrap_or_default()) {
                    Ok(0) => break,
                    Ok(n) => len += n,
                    Err(e) => {
                        note!(self.out, "file-error" => "file: cannot read: {error}",
                            error = e.to_string());
                        self.sender = None;
                        return;
                    }
                }
            }
            sender.started.get_or_insert(now);
            if len == 0 {
                let sha256 = hex(&sender.hasher.clone().finalize());
                let end = json!({ "size": sender.sent, "sha256": sha256 }).to_string();
                let _ = peer.send_data(now, sender.id, Message::Text(&end));
                // The next BufferedAmountLow says everything was taken.
                let _ = peer.set_buffered_amount_low_threshold(sender.id, 0);
                sender.finished = true;
                break;
            }
            let data = chunk.get(..len).unwrap_or_default();
            if let Err(e) = peer.send_data(now, sender.id, Message::Binary(data)) {
                note!(self.out, "file-error" => "file: cannot send: {error}",
                    error = e.to_string());
                self.sender = None;
                return;
            }
            sender.hasher.update(data);
            sender.sent += len as u64;
        }
    }

    /// After every batch of events: the file's end, once acknowledged.
    pub(crate) fn poll(&mut self, peer: &mut Peer, now: Instant) {
        self.pump_file(peer, now);
        let Some(sender) = &mut self.sender else {
            return;
        };
        if !sender.finished || sender.reported || peer.buffered_amount(sender.id) > 0 {
            return;
        }
        sender.reported = true;
        let sha256 = hex(&sender.hasher.clone().finalize());
        let duration = now.saturating_duration_since(sender.started.unwrap_or(now));
        let (bytes, seconds) = (sender.sent, duration.as_secs_f64());
        let rate = bytes as f64 / seconds.max(1e-6) / 1e6;
        note!(self.out, "file-sent" =>
            "file: sent {bytes} bytes in {seconds:.2} s ({rate:.1} MB/s), SHA-256 {sha256}",
            bytes, seconds, sha256 = &sha256);
        self.summary.file_sent = Some(FileTransfer {
            bytes,
            sha256,
            duration,
            matches: None,
        });
    }

    fn start_probe(
        &mut self,
        peer: &mut Peer,
        now: Instant,
        id: DataChannelId,
        label: String,
        ordered: bool,
    ) {
        let mut probe = Probe {
            label,
            ordered,
            outstanding: VecDeque::new(),
            sent: 0,
            echoed: 0,
            failures: Vec::new(),
            done: false,
        };
        for size in PROBE_SIZES {
            for payload in [
                Payload::Text(probe_text(size)),
                Payload::Binary(probe_binary(size)),
            ] {
                match peer.send_data(now, id, payload.as_message()) {
                    Ok(()) => {
                        probe.sent += 1;
                        probe.outstanding.push_back(payload);
                    }
                    Err(e) => probe
                        .failures
                        .push(format!("cannot send a {}: {e}", describe(&payload))),
                }
            }
        }
        let (label, sent) = (&probe.label, probe.sent);
        note!(self.out, "probe-sent" =>
            "{label}: sent {sent} messages of 0 to 256 KiB, text and binary", label, sent);
        self.probes.insert(id, probe);
    }

    fn on_probe_echo(
        &mut self,
        peer: &mut Peer,
        now: Instant,
        id: DataChannelId,
        payload: Payload,
    ) {
        let Some(probe) = self.probes.get_mut(&id) else {
            return;
        };
        let position = if probe.ordered {
            (probe.outstanding.front() == Some(&payload)).then_some(0)
        } else {
            probe.outstanding.iter().position(|p| *p == payload)
        };
        match position {
            Some(index) => {
                probe.outstanding.remove(index);
                probe.echoed += 1;
            }
            None => {
                let what = describe(&payload);
                probe.failures.push(format!("unexpected echo: a {what}"));
                if let Some(index) = probe.outstanding.iter().position(|p| *p == payload) {
                    probe.outstanding.remove(index);
                }
            }
        }
        if probe.outstanding.is_empty() && !probe.done {
            probe.done = true;
            let ok = probe.failures.is_empty() && probe.echoed == probe.sent;
            let (label, sent, echoed) = (&probe.label, probe.sent, probe.echoed);
            let failures = &probe.failures;
            let verdict = if ok { "" } else { " (FAILED)" };
            note!(self.out, "probe" => "{label}: {echoed} of {sent} messages echoed unchanged{verdict}",
                label, sent, echoed, ok, failures);
            self.summary.probes.push(ProbeResult {
                label: probe.label.clone(),
                sent,
                echoed,
                failures: probe.failures.clone(),
            });
            // Once every probe is over, closing probe-ordered tells the
            // other side we are done.
            let ordered = self
                .probes
                .iter()
                .find(|(_, p)| p.label == "probe-ordered")
                .map(|(id, _)| *id);
            let all_done =
                self.probes.len() == PROBE_CHANNELS.len() && self.probes.values().all(|p| p.done);
            if let Some(ordered) = ordered.filter(|_| all_done) {
                note!(self.out, "data-channel-close" => "closing channel {label:?}",
                    label = "probe-ordered");
                if let Err(e) = peer.close_data_channel(now, ordered) {
                    note!(self.out, "data-channel-error" => "cannot close: {error}",
                        error = e.to_string());
                }
            }
        }
    }

    /// Whether everything asked for is done: the file sent and
    /// acknowledged, every probe echoed and `probe-ordered` closed, every
    /// chat line's echo back.
    pub(crate) fn is_done(&self) -> bool {
        let file = self.options.send_file.is_none() || self.summary.file_sent.is_some();
        // The probe is over once its close of `probe-ordered` completed
        // (both directions reset): hanging up earlier would leave the
        // other side without the close.
        let probes = !self.options.probe
            || (self.summary.probes.len() == PROBE_CHANNELS.len()
                && self.summary.closed.iter().any(|l| l == "probe-ordered"));
        let chat = self.to_say.is_empty() && self.echoes_back >= self.said;
        file && probes && chat
    }
}
