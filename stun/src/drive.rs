//! The drive contract every sansrtc state machine shares: the same inputs,
//! the same outputs, the same types.
//!
//! A state machine (a STUN [client transaction](crate::transaction), the
//! [Binding server](crate::server), the [TURN client](crate::turn), the ICE
//! agent, the peer connection) never reads a clock, sleeps or opens a
//! socket. The caller drives it:
//!
//! | input | what the caller passes |
//! |---|---|
//! | `handle_receive(now, Receive)` | a datagram (or one framed message of a stream) that arrived on one of its sockets |
//! | `handle_timeout(now)` | the time, once [`poll_timeout`] has passed (early or repeated calls are harmless) |
//! | commands | what the application wants (add a candidate, send data, close) |
//!
//! | output | drained after every input or command |
//! |---|---|
//! | `poll_transmit() -> Option<Transmit>` | what to send, from which local socket, to where |
//! | `poll_timeout() -> Option<Instant>` | when to call `handle_timeout` next |
//! | `poll_event() -> Option<Event>` | what happened |
//!
//! `handle_receive` returns `Ok` for every packet the machine took or
//! recognised as not its own ("not mine", e.g. DTLS or RTP on a socket ICE
//! shares); `Err` is for packets that were meant for it but are broken. A
//! bad packet never changes the machine's state for the worse.
//!
//! Queues are bounded ([`Outbox`], [`Queue`]): a caller that never drains
//! them loses the newest items, and every loss is counted in
//! [`Overflow`], which each machine exposes.
//!
//! Machines that ride on a transport chosen elsewhere (the RTCP session,
//! DTLS) hand out bare datagrams instead of a [`Transmit`]: the caller
//! sends them on the pair ICE selected.
//!
//! [`poll_timeout`]: crate::transaction::ClientTransaction::poll_timeout

use core::net::SocketAddr;

#[cfg(feature = "std")]
use alloc::collections::VecDeque;
#[cfg(feature = "std")]
use bytes::{Bytes, BytesMut};

/// The transport a packet travels over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[non_exhaustive]
pub enum Transport {
    /// UDP: one message per datagram.
    #[default]
    Udp,
    /// TCP (or TLS over TCP): a byte stream, cut into messages by
    /// [`StreamReader`](crate::framing::StreamReader) before they reach a
    /// state machine.
    Tcp,
}

impl Transport {
    /// Whether the transport is a byte stream (TCP), where TURN pads
    /// ChannelData (RFC 8656 §12.5) and STUN does not retransmit
    /// (RFC 8489 §6.2.2).
    pub const fn is_stream(self) -> bool {
        matches!(self, Self::Tcp)
    }

    /// `"udp"` or `"tcp"`, as SDP candidates write it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Udp => "udp",
            Self::Tcp => "tcp",
        }
    }
}

impl core::fmt::Display for Transport {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A packet the caller received on one of its sockets, for
/// `handle_receive`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Receive<'a> {
    /// Where it came from.
    pub source: SocketAddr,
    /// The local socket it arrived on.
    pub destination: SocketAddr,
    /// The transport.
    pub transport: Transport,
    /// The datagram, or one message framed out of a stream.
    pub contents: &'a [u8],
}

impl<'a> Receive<'a> {
    /// A UDP datagram from `source` that arrived on the local socket
    /// `destination`.
    pub const fn udp(source: SocketAddr, destination: SocketAddr, contents: &'a [u8]) -> Self {
        Self {
            source,
            destination,
            transport: Transport::Udp,
            contents,
        }
    }
}

/// A packet for the caller to send: from the local socket `source` to
/// `destination`.
///
/// `contents` is reference-counted: cloning a `Transmit` copies no bytes,
/// and a machine writes its packets into pooled memory that is reused once
/// the caller drops them, so sending allocates nothing per packet in the
/// steady state.
#[cfg(feature = "std")]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transmit {
    /// The local socket to send it from.
    pub source: SocketAddr,
    /// Where to send it.
    pub destination: SocketAddr,
    /// The transport.
    pub transport: Transport,
    /// The datagram (over TCP: the bytes to write to the stream, framed).
    pub contents: Bytes,
}

#[cfg(feature = "std")]
impl Transmit {
    /// A packet from `source` to `destination` over `transport`.
    pub fn new(
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        contents: impl Into<Bytes>,
    ) -> Self {
        Self {
            source,
            destination,
            transport,
            contents: contents.into(),
        }
    }
}

/// How many items each machine's queues dropped because the caller did not
/// drain them: the one way every sansrtc state machine reports overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Overflow {
    /// Packets not queued because [`poll_transmit`] was not drained.
    ///
    /// [`poll_transmit`]: crate::transaction::ClientTransaction::poll_transmit
    pub transmits: u64,
    /// Events not queued because `poll_event` was not drained.
    pub events: u64,
}

impl Overflow {
    /// Whether nothing was dropped.
    pub const fn is_empty(&self) -> bool {
        self.transmits == 0 && self.events == 0
    }
}

/// A bounded FIFO that drops (and counts) what does not fit: the event
/// queue of every state machine.
#[cfg(feature = "std")]
#[derive(Debug, Clone)]
pub struct Queue<T> {
    items: VecDeque<T>,
    capacity: usize,
    dropped: u64,
}

#[cfg(feature = "std")]
impl<T> Queue<T> {
    /// An empty queue that holds at most `capacity` items.
    pub const fn new(capacity: usize) -> Self {
        Self {
            items: VecDeque::new(),
            capacity,
            dropped: 0,
        }
    }

    /// Queues `item`; returns `false` (and counts it) when the queue is full.
    pub fn push(&mut self, item: T) -> bool {
        if self.items.len() >= self.capacity {
            self.dropped = self.dropped.saturating_add(1);
            return false;
        }
        self.items.push_back(item);
        true
    }

    /// The oldest item.
    pub fn pop(&mut self) -> Option<T> {
        self.items.pop_front()
    }

    /// Items waiting.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Items dropped so far because the queue was full.
    pub const fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Forgets every waiting item (dropped counts stay).
    pub fn clear(&mut self) {
        self.items.clear();
    }

    /// The waiting items, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items.iter()
    }
}

/// Size of the blocks [`PacketWriter`] writes packets into. Packets live in
/// a block until the caller drops them; once every packet of a block is
/// dropped, the block is reused.
#[cfg(feature = "std")]
pub const OUTBOX_BLOCK: usize = 16 * 1024;

/// Pooled memory to write packets in, handed out as [`Bytes`]: what
/// [`Outbox`] writes with, and what a machine uses to build a packet it
/// also keeps (a check it will retransmit).
///
/// A packet lives in a block of [`OUTBOX_BLOCK`] bytes until every handle
/// to it is dropped; then the block is written over again, so a machine
/// whose packets are sent and dropped allocates nothing per packet.
#[cfg(feature = "std")]
#[derive(Debug, Clone, Default)]
pub struct PacketWriter {
    buffer: BytesMut,
}

#[cfg(feature = "std")]
impl PacketWriter {
    /// An empty writer (the first packet allocates its block).
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes a packet of at most `max_len` bytes with `write`, which
    /// returns the length it wrote.
    pub fn write<E>(
        &mut self,
        max_len: usize,
        write: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) -> Result<Bytes, E> {
        if self.buffer.capacity() < max_len {
            // Reuses the block when every packet written in it was
            // dropped, and takes a new one otherwise.
            self.buffer.reserve(max_len.max(OUTBOX_BLOCK));
        }
        self.buffer.resize(max_len, 0);
        let len = match write(&mut self.buffer) {
            Ok(len) => len.min(max_len),
            Err(error) => {
                self.buffer.clear();
                return Err(error);
            }
        };
        self.buffer.truncate(len);
        Ok(self.buffer.split().freeze())
    }
}

/// The bounded queue of packets a state machine hands out through
/// `poll_transmit`, with the memory to write them in.
///
/// Machines write each packet directly into pooled memory
/// ([`push_with`](Self::push_with), through a [`PacketWriter`]); the
/// [`Transmit`] they hand out shares it. When the caller has sent and
/// dropped a packet, its memory serves the next ones: a machine drained
/// after every input allocates nothing per packet.
///
/// ```
/// use sansrtc_stun::drive::{Outbox, Transport};
///
/// let here = "127.0.0.1:5000".parse().unwrap();
/// let there = "127.0.0.1:6000".parse().unwrap();
/// let mut outbox = Outbox::new(2);
/// outbox.push_with(here, there, Transport::Udp, 16, |buf| {
///     buf[..5].copy_from_slice(b"hello");
///     Ok::<_, ()>(5)
/// })?;
/// let transmit = outbox.pop().unwrap();
/// assert_eq!(&transmit.contents[..], b"hello");
/// assert_eq!(transmit.destination, there);
/// # Ok::<(), ()>(())
/// ```
#[cfg(feature = "std")]
#[derive(Debug, Clone)]
pub struct Outbox {
    queue: Queue<Transmit>,
    writer: PacketWriter,
}

#[cfg(feature = "std")]
impl Outbox {
    /// An empty outbox that holds at most `capacity` packets.
    pub fn new(capacity: usize) -> Self {
        Self {
            queue: Queue::new(capacity),
            writer: PacketWriter::new(),
        }
    }

    /// Writes a packet of at most `max_len` bytes with `write` (which
    /// returns the length it wrote) and queues it. A full outbox drops the
    /// packet and counts it, without calling `write`; `Ok(false)` says so.
    pub fn push_with<E>(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        max_len: usize,
        write: impl FnOnce(&mut [u8]) -> Result<usize, E>,
    ) -> Result<bool, E> {
        if self.is_full() {
            self.queue.dropped = self.queue.dropped.saturating_add(1);
            return Ok(false);
        }
        let contents = self.writer.write(max_len, write)?;
        Ok(self.queue.push(Transmit {
            source,
            destination,
            transport,
            contents,
        }))
    }

    /// Copies `contents` into the outbox and queues it; `false` when the
    /// outbox is full (the packet is dropped and counted).
    pub fn push_copy(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        contents: &[u8],
    ) -> bool {
        let written = self.push_with(source, destination, transport, contents.len(), |buf| {
            let out = buf.get_mut(..contents.len()).ok_or(())?;
            out.copy_from_slice(contents);
            Ok::<_, ()>(contents.len())
        });
        written.unwrap_or(false)
    }

    /// Queues a packet another machine made (its bytes are shared, not
    /// copied); `false` when the outbox is full.
    pub fn push(&mut self, transmit: Transmit) -> bool {
        self.queue.push(transmit)
    }

    /// The oldest packet.
    pub fn pop(&mut self) -> Option<Transmit> {
        self.queue.pop()
    }

    /// Packets waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether nothing waits.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether another packet would be dropped.
    pub fn is_full(&self) -> bool {
        self.queue.len() >= self.queue.capacity
    }

    /// Packets dropped so far because the outbox was full.
    pub const fn dropped(&self) -> u64 {
        self.queue.dropped()
    }

    /// Forgets every waiting packet (dropped counts stay).
    pub fn clear(&mut self) {
        self.queue.clear();
    }
}

#[cfg(all(test, feature = "std"))]
mod tests {
    use super::*;

    fn addr(port: u16) -> SocketAddr {
        SocketAddr::from(([127, 0, 0, 1], port))
    }

    #[test]
    fn a_full_outbox_counts_what_it_drops() {
        let mut outbox = Outbox::new(2);
        for i in 0..5u8 {
            outbox.push_copy(addr(1), addr(2), Transport::Udp, &[i]);
        }
        assert_eq!(outbox.len(), 2);
        assert_eq!(outbox.dropped(), 3);
        assert_eq!(&outbox.pop().unwrap().contents[..], &[0]);
        assert_eq!(&outbox.pop().unwrap().contents[..], &[1]);
        assert!(outbox.pop().is_none());
    }

    #[test]
    fn a_failed_write_queues_nothing() {
        let mut outbox = Outbox::new(4);
        let result = outbox.push_with(addr(1), addr(2), Transport::Tcp, 8, |_| Err("no"));
        assert_eq!(result, Err("no"));
        assert!(outbox.is_empty());
        assert!(outbox.push_copy(addr(1), addr(2), Transport::Tcp, b"ok"));
        let transmit = outbox.pop().unwrap();
        assert_eq!(
            (transmit.transport, &transmit.contents[..]),
            (Transport::Tcp, &b"ok"[..])
        );
    }

    #[test]
    fn dropped_packets_free_their_memory_for_the_next() {
        let mut outbox = Outbox::new(4);
        outbox.push_copy(addr(1), addr(2), Transport::Udp, &[7; 1000]);
        let first = outbox.pop().unwrap();
        let first_ptr = first.contents.as_ptr();
        drop(first);
        // Enough packets to go past the block: the dropped ones' memory is
        // taken again, so the block's start comes back.
        let mut seen_again = false;
        for _ in 0..40 {
            outbox.push_copy(addr(1), addr(2), Transport::Udp, &[8; 1000]);
            let transmit = outbox.pop().unwrap();
            seen_again |= transmit.contents.as_ptr() == first_ptr;
            assert_eq!(transmit.contents.len(), 1000);
        }
        assert!(seen_again, "the block was not reused");
    }

    #[test]
    fn queue_drops_the_newest_and_counts() {
        let mut queue = Queue::new(1);
        assert!(queue.push(1));
        assert!(!queue.push(2));
        assert_eq!((queue.pop(), queue.dropped()), (Some(1), 1));
    }
}
