//! Frame assembly and jitter buffering: RTP packets in, in any order and
//! with losses, whole frames out in decode order.
//!
//! A [`JitterBuffer`] holds the packets of one stream (one SSRC, one
//! payload format; RTX packets go in as the originals they repair),
//! reorders them by sequence number, and hands out each frame once all its
//! packets are there, read back through the format's [`Depacketizer`].
//! A missing packet is waited for a bounded time that adapts to the
//! round-trip time (one NACK and its retransmission) and to how late
//! reordered or repaired packets have actually been; then it is given up,
//! the frame it belonged to is dropped, and for video no frame is handed
//! out until a keyframe arrives, with keyframe requests (PLI, then FIR if
//! PLI does not help) as events.
//!
//! # Drive loop
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_rtp::jitter::{Event, JitterBuffer, JitterConfig};
//! use sansrtc_rtp::payload::{Packetizer, Payloads, vp8::{Vp8Depacketizer, Vp8Packetizer}};
//! use sansrtc_rtp::rtp::Packet;
//!
//! # #[allow(clippy::disallowed_methods)]
//! let start = Instant::now();
//! let mut jitter = JitterBuffer::new(Vp8Depacketizer::new(), JitterConfig::default(), start);
//!
//! // A sender's key frame in three packets; the second arrives last.
//! let mut frame = vec![0xb0, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x10, 0x00, 0x10, 0x00];
//! frame.resize(3000, 0x55);
//! let mut payloads = Payloads::new();
//! Vp8Packetizer::new().packetize(&frame, 90_000, 1200, &mut payloads).unwrap();
//! let packets: Vec<Vec<u8>> = payloads
//!     .iter()
//!     .enumerate()
//!     .map(|(i, payload)| {
//!         let builder = payload.to_builder().payload_type(96).sequence_number(i as u16).timestamp(90_000);
//!         let mut buf = vec![0u8; builder.encoded_len()];
//!         builder.write_to(&mut buf).unwrap();
//!         buf
//!     })
//!     .collect();
//! for (i, bytes) in [&packets[0], &packets[2], &packets[1]].into_iter().enumerate() {
//!     let now = start + Duration::from_millis(10 * i as u64);
//!     jitter.handle_packet(now, &Packet::parse(bytes).unwrap()).unwrap();
//!     // Drain after every input: frames, events, the next deadline.
//!     while let Some(frame) = jitter.poll_frame() {
//!         assert!(frame.keyframe);
//!         assert_eq!(frame.data.len(), 3000);
//!     }
//!     while let Some(event) = jitter.poll_event() {
//!         if let Event::KeyframeRequest(_) = event { /* send a PLI or FIR */ }
//!     }
//!     if let Some(deadline) = jitter.poll_timeout() {
//!         // Call handle_timeout(deadline) when the clock gets there.
//!         assert!(deadline > now);
//!     }
//! }
//! assert_eq!(jitter.buffered_packets(), 0);
//! ```

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use crate::error::ParseError;
use crate::payload::{Boundary, Depacketizer, PayloadInfo};
use crate::rtp::{Packet, SequenceUnwrapper};

/// Most packets a jitter buffer holds; [`JitterConfig::max_packets`] can
/// only lower it. A sequence number further ahead than this flushes the
/// buffer.
pub const MAX_PACKETS: usize = 4096;
/// Most payload bytes a jitter buffer holds; beyond, the oldest frames are
/// dropped.
pub const MAX_BUFFERED_BYTES: usize = 16 << 20;
/// Most events waiting for [`JitterBuffer::poll_event`]; further ones are
/// counted in [`JitterBuffer::dropped_events`] and lost.
pub const MAX_EVENTS: usize = 256;
/// Packet buffers kept for reuse.
const MAX_SPARE_BUFFERS: usize = 64;
/// Largest packet buffer kept for reuse.
const MAX_SPARE_CAPACITY: usize = 2048;
/// Sequence numbers given up on, remembered to learn from their late
/// arrival.
const GIVEN_UP_MEMORY: usize = 64;

/// How a [`JitterBuffer`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct JitterConfig {
    /// Shortest wait for a missing packet (reordering on the path).
    pub min_wait: Duration,
    /// Longest wait for a missing packet, whatever the round-trip time.
    pub max_wait: Duration,
    /// Whether missing packets are asked for again (NACK): the wait then
    /// covers `nack_rounds` round trips.
    pub nack: bool,
    /// Round trips to wait for a retransmission (each a NACK and its
    /// answer).
    pub nack_rounds: u32,
    /// Round-trip time assumed until [`JitterBuffer::set_rtt`] is called.
    pub default_rtt: Duration,
    /// Time between two keyframe requests while decoding cannot continue.
    pub keyframe_request_interval: Duration,
    /// How long PLIs may go unanswered before the requests become FIRs.
    pub fir_after: Duration,
    /// Most packets held (at most [`MAX_PACKETS`]).
    pub max_packets: usize,
}

impl Default for JitterConfig {
    fn default() -> Self {
        Self {
            min_wait: Duration::from_millis(10),
            max_wait: Duration::from_millis(1000),
            nack: true,
            nack_rounds: 2,
            default_rtt: Duration::from_millis(100),
            keyframe_request_interval: Duration::from_millis(500),
            fir_after: Duration::from_secs(2),
            max_packets: 1024,
        }
    }
}

/// An assembled frame.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Frame {
    /// The RTP timestamp of its packets.
    pub timestamp: u32,
    /// Whether a decoder can start from it ([`crate::payload::FrameInfo::keyframe`]).
    pub keyframe: bool,
    /// The frame, in the format's frame layout (Annex B for H.264, ...).
    pub data: Vec<u8>,
    /// Sequence number of its first packet.
    pub first_sequence_number: u16,
    /// Sequence number of its last packet.
    pub last_sequence_number: u16,
    /// Frames or packets were dropped since the previous frame handed out:
    /// an audio decoder conceals the gap; a video one gets a keyframe.
    pub discontinuity: bool,
    /// When its last packet arrived.
    pub received_at: Instant,
}

/// A way to ask the sender for a keyframe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyframeRequest {
    /// Picture loss indication (RFC 4585 §6.3.1).
    Pli,
    /// Full intra request (RFC 5104 §4.3.1), once PLIs did not help.
    Fir,
}

/// Why frames were dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum DropReason {
    /// A packet of the frame was given up on.
    Incomplete,
    /// The frame needs earlier frames that were lost: waiting for a
    /// keyframe.
    NeedKeyframe,
    /// The depacketizer refused it.
    Malformed(ParseError),
    /// The buffer was full, or the sequence numbers jumped too far.
    Overflow,
}

/// What happened inside the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Decoding cannot continue: ask the sender for a keyframe, this way.
    KeyframeRequest(KeyframeRequest),
    /// Packets were given up on after waiting for them.
    PacketsLost {
        /// The first sequence number.
        first: u16,
        /// How many, in sequence.
        count: u16,
    },
    /// A frame was dropped (or, with [`DropReason::Overflow`], frames).
    FrameDropped {
        /// Its RTP timestamp.
        timestamp: u32,
        /// Why.
        reason: DropReason,
    },
}

/// What [`JitterBuffer::handle_packet`] did with a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Handled {
    /// Kept.
    Buffered,
    /// A padding-only packet: it fills its sequence number, nothing else.
    Padding,
    /// Already there.
    Duplicate,
    /// Too late: its place was already given up on or handed out.
    TooLate,
}

#[derive(Debug)]
enum Content {
    Media(PayloadInfo, Vec<u8>),
    Padding,
    /// Refused by the depacketizer: its frame cannot be assembled.
    Broken(ParseError),
}

#[derive(Debug)]
struct Slot {
    timestamp: u32,
    marker: bool,
    content: Content,
    arrival: Instant,
}

impl Slot {
    fn info(&self) -> Option<PayloadInfo> {
        match &self.content {
            Content::Media(info, _) => Some(*info),
            _ => None,
        }
    }

    fn is_end(&self) -> bool {
        self.marker || self.info().is_some_and(|info| info.end == Boundary::Yes)
    }
}

#[derive(Debug, Clone, Copy)]
struct KeyframeRequestState {
    since: Instant,
    next: Instant,
}

/// Reorders packets, assembles frames, waits for the missing, and asks for
/// keyframes; see the [module documentation](self).
///
/// Driven like every sans-IO machine of the suite: [`handle_packet`] and
/// [`handle_timeout`] with the current time, then [`poll_frame`],
/// [`poll_event`] and [`poll_timeout`].
///
/// [`handle_packet`]: Self::handle_packet
/// [`handle_timeout`]: Self::handle_timeout
/// [`poll_frame`]: Self::poll_frame
/// [`poll_event`]: Self::poll_event
/// [`poll_timeout`]: Self::poll_timeout
#[derive(Debug)]
pub struct JitterBuffer<D> {
    config: JitterConfig,
    depacketizer: D,
    independent: bool,
    unwrapper: SequenceUnwrapper,
    packets: BTreeMap<u64, Slot>,
    bytes: usize,
    /// Missing sequence numbers (between `next` and the highest received)
    /// and when they were found missing.
    missing: BTreeMap<u64, Instant>,
    /// Missing sequence numbers given up on (at or after `next`).
    lost: BTreeMap<u64, Instant>,
    given_up: VecDeque<(u64, Instant)>,
    /// The first sequence number not yet handed out or dropped.
    next: Option<u64>,
    highest: u64,
    /// Whether `next` is known to begin a frame (the packet before it
    /// ended one).
    at_boundary: bool,
    /// Timestamp of the last packet handed out or dropped.
    last_timestamp: Option<u32>,
    /// Whether anything was handed out or dropped yet.
    consumed_any: bool,
    /// When the first packet arrived: until `min_wait` later, a frame
    /// that may begin at the first packet waits for earlier ones that
    /// were only reordered.
    first_arrival: Option<Instant>,
    need_keyframe: bool,
    discontinuity: bool,
    keyframe_request: Option<KeyframeRequestState>,
    rtt: Option<Duration>,
    recovery_peak: Duration,
    now: Instant,
    events: VecDeque<Event>,
    dropped_events: u64,
    last_dropped: Option<u32>,
    spare: Vec<Vec<u8>>,
}

impl<D: Depacketizer> JitterBuffer<D> {
    /// A buffer for one stream read by `depacketizer`.
    pub fn new(depacketizer: D, config: JitterConfig, now: Instant) -> Self {
        // Durations beyond an hour mean "never"; capping them keeps every
        // deadline representable.
        let hour = Duration::from_secs(3600);
        let config = JitterConfig {
            min_wait: config.min_wait.min(hour),
            max_wait: config.max_wait.min(hour),
            default_rtt: config.default_rtt.min(hour),
            keyframe_request_interval: config.keyframe_request_interval.min(hour),
            fir_after: config.fir_after.min(hour),
            max_packets: config.max_packets.clamp(1, MAX_PACKETS),
            ..config
        };
        Self {
            independent: depacketizer.frames_are_independent(),
            config,
            depacketizer,
            unwrapper: SequenceUnwrapper::new(),
            packets: BTreeMap::new(),
            bytes: 0,
            missing: BTreeMap::new(),
            lost: BTreeMap::new(),
            given_up: VecDeque::new(),
            next: None,
            highest: 0,
            at_boundary: false,
            last_timestamp: None,
            consumed_any: false,
            first_arrival: None,
            need_keyframe: true,
            discontinuity: false,
            keyframe_request: None,
            rtt: None,
            recovery_peak: Duration::ZERO,
            now,
            events: VecDeque::new(),
            dropped_events: 0,
            last_dropped: None,
            spare: Vec::new(),
        }
    }

    // ------------------------------------------------------------------ inputs

    /// Takes a received packet of the stream (an RTX packet as the
    /// original it carries).
    ///
    /// A payload the depacketizer refuses is an error; its sequence number
    /// still counts as received (it will not be waited for), and the frame
    /// it belongs to is dropped when its turn comes.
    pub fn handle_packet<T: AsRef<[u8]>>(
        &mut self,
        now: Instant,
        packet: &Packet<T>,
    ) -> Result<Handled, ParseError> {
        self.now = self.now.max(now);
        let seq = self.unwrapper.unwrap(packet.sequence_number());
        let window = self.config.max_packets as u64;
        let next = match self.next {
            None => {
                self.next = Some(seq);
                self.highest = seq;
                self.first_arrival = Some(now);
                seq
            }
            Some(next) => next,
        };
        if seq < next {
            if self.consumed_any || next - seq >= window / 2 {
                self.learn_from_late(seq);
                return Ok(Handled::TooLate);
            }
            // Reordered before the first packet seen: start earlier.
            for s in seq + 1..next {
                self.missing.insert(s, now);
            }
            self.next = Some(seq);
        }
        if self.packets.contains_key(&seq) {
            return Ok(Handled::Duplicate);
        }
        if self.lost.remove(&seq).is_some() {
            // Given up on, but its frame has not been dropped yet: take it.
            self.learn_from_late(seq);
        }
        // Keep the sequence numbers held within the window: drop the
        // oldest frames, or everything when the jump is that far.
        while self.next.is_some_and(|n| seq - n >= window) {
            if self.packets.is_empty() {
                self.flush(Some(seq));
                break;
            }
            self.evict_oldest();
        }
        if seq > self.highest {
            for s in self.highest + 1..seq {
                if !self.packets.contains_key(&s) {
                    self.missing.insert(s, now);
                }
            }
            self.highest = seq;
        } else if let Some(detected) = self.missing.remove(&seq) {
            self.learn(now.saturating_duration_since(detected));
        }
        let payload = packet.payload();
        let (content, result) = if payload.is_empty() {
            (Content::Padding, Ok(Handled::Padding))
        } else {
            match self.depacketizer.payload_info(payload) {
                Ok(info) => {
                    let mut buffer = self.spare.pop().unwrap_or_default();
                    buffer.clear();
                    buffer.extend_from_slice(payload);
                    self.bytes += payload.len();
                    (Content::Media(info, buffer), Ok(Handled::Buffered))
                }
                Err(e) => (Content::Broken(e), Err(e)),
            }
        };
        self.packets.insert(
            seq,
            Slot {
                timestamp: packet.timestamp(),
                marker: packet.marker(),
                content,
                arrival: now,
            },
        );
        while self.packets.len() > self.config.max_packets || self.bytes > MAX_BUFFERED_BYTES {
            self.evict_oldest();
        }
        result
    }

    /// Gives up on missing packets whose wait is over and repeats keyframe
    /// requests that are due. Early or repeated calls do no harm.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.now = self.now.max(now);
        let wait = self.wait();
        let mut run: Option<(u64, u16)> = None;
        while let Some((&seq, &detected)) = self.missing.first_key_value() {
            if detected + wait > now {
                break;
            }
            self.missing.remove(&seq);
            self.lost.insert(seq, detected);
            self.remember_given_up(seq, detected);
            run = match run {
                Some((first, count)) if first + u64::from(count) == seq && count < u16::MAX => {
                    Some((first, count + 1))
                }
                Some((first, count)) => {
                    self.event(Event::PacketsLost {
                        first: first as u16,
                        count,
                    });
                    Some((seq, 1))
                }
                None => Some((seq, 1)),
            };
        }
        if let Some((first, count)) = run {
            self.event(Event::PacketsLost {
                first: first as u16,
                count,
            });
        }
        if let Some(request) = self.keyframe_request {
            if request.next <= now {
                let kind = if now.saturating_duration_since(request.since) >= self.config.fir_after
                {
                    KeyframeRequest::Fir
                } else {
                    KeyframeRequest::Pli
                };
                self.event(Event::KeyframeRequest(kind));
                self.keyframe_request = Some(KeyframeRequestState {
                    since: request.since,
                    next: now + self.config.keyframe_request_interval,
                });
            }
        }
    }

    // ---------------------------------------------------------------- commands

    /// Sets the round-trip time (from RTCP reports), which sets how long a
    /// retransmission may take.
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = Some(rtt.min(Duration::from_secs(3600)));
    }

    /// Drops everything buffered (for example when the stream changes
    /// SSRC); the next frame handed out will be a keyframe.
    pub fn reset(&mut self) {
        self.flush(None);
        self.next = None;
        self.unwrapper = SequenceUnwrapper::new();
        self.consumed_any = false;
        self.first_arrival = None;
        self.last_timestamp = None;
    }

    // ----------------------------------------------------------------- outputs

    /// The next frame in decode order, once all its packets are there.
    pub fn poll_frame(&mut self) -> Option<Frame> {
        loop {
            let next = self.next?;
            let Some(slot) = self.packets.get(&next) else {
                if self.lost.remove(&next).is_some() {
                    // Given up: skip it; what follows may not begin a frame.
                    self.next = Some(next + 1);
                    self.consumed_any = true;
                    self.at_boundary = false;
                    self.note_loss();
                    self.request_keyframe_if_needed();
                    continue;
                }
                return None;
            };
            let timestamp = slot.timestamp;
            if matches!(slot.content, Content::Padding) {
                self.consume(next);
                continue;
            }
            if !self.begins_frame(slot) && !self.consumed_any && next > 0 {
                // The stream's first packet so far cannot begin a frame:
                // the one before it may only be late, so wait for it.
                self.next = Some(next - 1);
                self.missing.insert(next - 1, self.now);
                return None;
            }
            if self.probation_holds(slot) {
                return None;
            }
            if !self.begins_frame(slot) {
                // The rest of a frame whose beginning is gone.
                let mut last = next;
                while !self.packets.get(&last).is_some_and(Slot::is_end)
                    && self
                        .packets
                        .get(&(last + 1))
                        .is_some_and(|s| s.timestamp == timestamp)
                {
                    last += 1;
                }
                self.drop_packets(next, last, DropReason::Incomplete);
                continue;
            }
            // Find the frame's last packet.
            let mut end = next;
            let mut broken = None;
            let complete = loop {
                let Some(slot) = self.packets.get(&end) else {
                    break None;
                };
                if let Content::Broken(e) = slot.content {
                    broken.get_or_insert(e);
                }
                if slot.is_end() {
                    break Some(true);
                }
                match self.packets.get(&(end + 1)) {
                    Some(after) if after.timestamp != timestamp => break Some(true),
                    Some(_) => end += 1,
                    None if self.lost.contains_key(&(end + 1)) => break Some(false),
                    None => break None,
                }
            };
            match complete {
                // Waiting for packets.
                None => return None,
                Some(false) => {
                    self.drop_packets(next, end, DropReason::Incomplete);
                    continue;
                }
                Some(true) => {}
            }
            if let Some(e) = broken {
                self.drop_packets(next, end, DropReason::Malformed(e));
                continue;
            }
            if let Some(frame) = self.assemble(next, end, timestamp) {
                return Some(frame);
            }
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) has something to do:
    /// the wait for the oldest missing packet ends, or a keyframe request
    /// is due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let give_up = self
            .missing
            .first_key_value()
            .map(|(_, &detected)| detected + self.wait());
        let request = self.keyframe_request.map(|r| r.next);
        let head = self.next.and_then(|next| self.packets.get(&next));
        let probation = self
            .probation_end()
            .filter(|_| head.is_some_and(|slot| self.probation_holds(slot)));
        [give_up, request, probation].into_iter().flatten().min()
    }

    // ----------------------------------------------------------------- getters

    /// The sequence numbers missing and still waited for, oldest first
    /// (what a NACK should ask for).
    pub fn missing(&self) -> impl Iterator<Item = u16> + '_ {
        self.missing.keys().map(|&seq| seq as u16)
    }

    /// How long a missing packet is waited for now: the round-trip time
    /// times [`JitterConfig::nack_rounds`] (with NACK), or how late
    /// repaired and reordered packets have been lately if that is longer,
    /// within [`JitterConfig::min_wait`] and [`JitterConfig::max_wait`].
    pub fn wait(&self) -> Duration {
        let retransmission = if self.config.nack {
            self.rtt
                .unwrap_or(self.config.default_rtt)
                .saturating_mul(self.config.nack_rounds)
        } else {
            Duration::ZERO
        };
        let observed = self.recovery_peak.saturating_add(self.recovery_peak / 4);
        retransmission.max(observed).clamp(
            self.config.min_wait,
            self.config.max_wait.max(self.config.min_wait),
        )
    }

    /// Packets held.
    pub fn buffered_packets(&self) -> usize {
        self.packets.len()
    }

    /// Payload bytes held.
    pub fn buffered_bytes(&self) -> usize {
        self.bytes
    }

    /// Whether no frame will be handed out until a keyframe arrives.
    pub fn needs_keyframe(&self) -> bool {
        self.need_keyframe && !self.independent
    }

    /// Events lost because the queue held [`MAX_EVENTS`].
    pub fn dropped_events(&self) -> u64 {
        self.dropped_events
    }

    /// The depacketizer.
    pub fn depacketizer(&self) -> &D {
        &self.depacketizer
    }

    // ---------------------------------------------------------------- internal

    fn event(&mut self, event: Event) {
        if self.events.len() < MAX_EVENTS {
            self.events.push_back(event);
        } else {
            self.dropped_events += 1;
        }
    }

    /// Reports a dropped frame, once per timestamp in a row.
    fn dropped(&mut self, timestamp: u32, reason: DropReason) {
        if self.last_dropped != Some(timestamp) {
            self.last_dropped = Some(timestamp);
            self.event(Event::FrameDropped { timestamp, reason });
        }
    }

    fn learn(&mut self, delay: Duration) {
        // Up at once, down slowly.
        let decayed = self.recovery_peak.saturating_sub(self.recovery_peak / 16);
        self.recovery_peak = decayed.max(delay).min(self.config.max_wait);
    }

    fn learn_from_late(&mut self, seq: u64) {
        if let Some(&(_, detected)) = self.given_up.iter().find(|(s, _)| *s == seq) {
            let now = self.now;
            self.learn(now.saturating_duration_since(detected));
        }
    }

    fn remember_given_up(&mut self, seq: u64, detected: Instant) {
        if self.given_up.len() >= GIVEN_UP_MEMORY {
            self.given_up.pop_front();
        }
        self.given_up.push_back((seq, detected));
    }

    fn probation_end(&self) -> Option<Instant> {
        self.first_arrival.map(|t| t + self.config.min_wait)
    }

    /// Whether the first video frame waits for packets reordered before
    /// it: the stream has just started (nothing handed out or dropped yet,
    /// the first packet arrived less than `min_wait` ago) and `head` (the
    /// packet at `next`) does not certainly begin a keyframe.
    fn probation_holds(&self, head: &Slot) -> bool {
        let keyframe_start = head
            .info()
            .is_some_and(|i| i.start == Boundary::Yes && i.keyframe);
        !self.independent
            && !self.consumed_any
            && !keyframe_start
            && self.probation_end().is_some_and(|end| self.now < end)
    }

    /// Whether the packet at `next` (described by `slot`) begins a frame.
    fn begins_frame(&self, slot: &Slot) -> bool {
        if self.at_boundary {
            return true;
        }
        match slot.info().map(|info| info.start) {
            Some(Boundary::Yes) => true,
            Some(Boundary::No) => false,
            // Unknown, or a broken payload: a frame begins where the
            // timestamp changes.
            Some(Boundary::Maybe) | None => self.last_timestamp != Some(slot.timestamp),
        }
    }

    /// Something was lost: video cannot go on without a keyframe.
    fn note_loss(&mut self) {
        self.discontinuity = true;
        if !self.independent {
            self.need_keyframe = true;
        }
    }

    fn request_keyframe(&mut self) {
        if self.independent || self.keyframe_request.is_some() {
            return;
        }
        let now = self.now;
        self.event(Event::KeyframeRequest(KeyframeRequest::Pli));
        self.keyframe_request = Some(KeyframeRequestState {
            since: now,
            next: now + self.config.keyframe_request_interval,
        });
    }

    /// Removes the packet at `seq` (handed out or dropped) and moves on.
    fn consume(&mut self, seq: u64) -> Option<Slot> {
        let slot = self.packets.remove(&seq)?;
        self.missing.remove(&seq);
        self.lost.remove(&seq);
        self.next = Some(seq + 1);
        self.consumed_any = true;
        self.at_boundary = slot.is_end();
        if !matches!(slot.content, Content::Padding) {
            self.last_timestamp = Some(slot.timestamp);
        }
        Some(slot)
    }

    fn recycle(&mut self, slot: Slot) {
        if let Content::Media(_, buffer) = slot.content {
            self.bytes -= buffer.len();
            // Keep buffers of the usual packet size for reuse, a bounded
            // number of them.
            if self.spare.len() < MAX_SPARE_BUFFERS && buffer.capacity() <= MAX_SPARE_CAPACITY {
                self.spare.push(buffer);
            }
        }
    }

    /// Drops the packets `first..=last` (all present) as one frame.
    fn drop_packets(&mut self, first: u64, last: u64, reason: DropReason) {
        let mut timestamp = None;
        for seq in first..=last {
            if let Some(slot) = self.consume(seq) {
                timestamp.get_or_insert(slot.timestamp);
                self.recycle(slot);
            }
        }
        if let Some(timestamp) = timestamp {
            self.dropped(timestamp, reason);
        }
        self.note_loss();
        self.request_keyframe_if_needed();
    }

    fn request_keyframe_if_needed(&mut self) {
        if self.needs_keyframe() {
            self.request_keyframe();
        }
    }

    /// Reads the frame `first..=last` back; `None` when it had to be
    /// dropped.
    fn assemble(&mut self, first: u64, last: u64, timestamp: u32) -> Option<Frame> {
        let mut data = Vec::new();
        self.depacketizer.reset();
        let mut result = Ok(());
        let mut received_at = None::<Instant>;
        for seq in first..=last {
            if let Some(slot) = self.packets.get(&seq) {
                received_at = Some(received_at.map_or(slot.arrival, |t| t.max(slot.arrival)));
                if let (Ok(()), Content::Media(_, payload)) = (&result, &slot.content) {
                    result = self.depacketizer.depacketize(payload, &mut data);
                }
            }
        }
        let info = result.and_then(|()| self.depacketizer.finish_frame(&mut data));
        self.depacketizer.reset();
        let info = match info {
            Ok(info) => info,
            Err(e) => {
                self.drop_packets(first, last, DropReason::Malformed(e));
                return None;
            }
        };
        if self.needs_keyframe() && !info.keyframe {
            self.drop_packets(first, last, DropReason::NeedKeyframe);
            return None;
        }
        for seq in first..=last {
            if let Some(slot) = self.consume(seq) {
                self.recycle(slot);
            }
        }
        if info.keyframe {
            self.need_keyframe = false;
            self.keyframe_request = None;
        }
        Some(Frame {
            timestamp,
            keyframe: info.keyframe,
            data,
            first_sequence_number: first as u16,
            last_sequence_number: last as u16,
            discontinuity: core::mem::take(&mut self.discontinuity),
            received_at: received_at.unwrap_or(self.now),
        })
    }

    /// Drops the oldest buffered frame to make room.
    fn evict_oldest(&mut self) {
        let Some((&first, slot)) = self.packets.first_key_value() else {
            return;
        };
        let timestamp = slot.timestamp;
        let mut last = first;
        while self
            .packets
            .get(&(last + 1))
            .is_some_and(|s| s.timestamp == timestamp)
        {
            last += 1;
        }
        for seq in first..=last {
            if let Some(slot) = self.packets.remove(&seq) {
                self.recycle(slot);
            }
        }
        // Whatever was missing before them is not waited for any more.
        self.missing = self.missing.split_off(&(last + 1));
        self.lost = self.lost.split_off(&(last + 1));
        self.next = Some(last + 1);
        self.at_boundary = false;
        self.last_timestamp = Some(timestamp);
        self.consumed_any = true;
        self.dropped(timestamp, DropReason::Overflow);
        self.note_loss();
        self.request_keyframe_if_needed();
    }

    /// Drops everything; with `resume_at`, continues from that sequence
    /// number.
    fn flush(&mut self, resume_at: Option<u64>) {
        let had_packets = !self.packets.is_empty();
        if let Some((_, slot)) = self.packets.first_key_value() {
            let timestamp = slot.timestamp;
            self.dropped(timestamp, DropReason::Overflow);
        }
        let packets = core::mem::take(&mut self.packets);
        for (_, slot) in packets {
            self.recycle(slot);
        }
        self.bytes = 0;
        self.missing.clear();
        self.lost.clear();
        self.at_boundary = false;
        if let Some(seq) = resume_at {
            self.next = Some(seq);
            self.highest = seq;
            self.consumed_any = true;
        }
        if had_packets || resume_at.is_some() {
            self.note_loss();
            self.request_keyframe_if_needed();
        }
    }
}
