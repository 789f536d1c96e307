//! Media streams and the receive path.
//!
//! Each transceiver has one [`Outbound`] stream, or one per simulcast
//! layer (what we send: SSRC, sequence numbers, counters, the packets kept
//! to answer NACKs, what the other side's reports say about it) and up to
//! [`MAX_INBOUND_STREAMS`] [`Inbound`] streams, one per SSRC we hear on it
//! (its simulcast rid, counters, NACK generation, the jitter buffer of
//! frame mode).
//!
//! A received SRTP packet is unprotected, routed to its transceiver
//! (RFC 8843 §9.2: by MID, SSRC or payload type), unwrapped when it is an
//! RTX packet (RFC 4588 §4: the original sequence number, SSRC and payload
//! type back), delivered once (a duplicate or a late retransmission is
//! dropped when NACK is on), counted, and handed to the application as
//! [`Event::Media`] or, in frame mode, to the stream's jitter buffer.
//!
//! On a transceiver that receives simulcast, a stream is known by the rid
//! its first packets carry (RFC 8852 §3.1), kept for the packets after
//! that carry none; an RTX stream by the repaired rid of its first packets
//! (§3.2). A rid that was not agreed, or a stream no rid identified yet,
//! is refused ([`RecvError::Rid`]).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8843#section-9.2>
//! - <https://www.rfc-editor.org/rfc/rfc4588#section-4>
//! - <https://www.rfc-editor.org/rfc/rfc8852#section-3>

use core::time::Duration;
use std::time::Instant;

use bytes::{Bytes, BytesMut};

use sansrtc_rtp::nack::{NackConfig, NackGenerator, NackOutcome};
use sansrtc_rtp::rtp::extension::Mid as MidExtension;
use sansrtc_rtp::rtp::rtx::{RetransmissionBuffer, RtxPayload};
use sansrtc_rtp::rtp::{Builder, Element, ExtensionKind, Packet as RtpPacket, SequenceUnwrapper};
use sansrtc_rtp::session::Session as RtcpSession;
use sansrtc_stun::rng::Rng;

use crate::event::{Event, MediaPacket, Payload, RecvError};
use crate::frames::Assembly;
use crate::peer::Peer;
use crate::simulcast::Rid;
use crate::transceiver::Transceiver;

/// Most SSRCs a transceiver receives at once (as many as it can receive
/// simulcast layers, [`MAX_SIMULCAST_LAYERS`](crate::MAX_SIMULCAST_LAYERS));
/// a new one beyond replaces the one heard from least recently.
pub const MAX_INBOUND_STREAMS: usize = 8;

/// Most sequence numbers one NACK we send asks for, and most packets we
/// resend for one NACK we receive.
pub const MAX_NACKED_PER_PACKET: usize = 256;

/// Most NACK entries (each a sequence number and a bitmask of the 16
/// after it) in one NACK we send.
const MAX_NACK_ENTRIES: usize = 64;

/// Size of the blocks the payloads of [`Event::Media`] are copied into
/// (see [`Payload`]).
pub const PAYLOAD_BLOCK: usize = 4096;

/// Pooled memory for the payloads handed out in [`Event::Media`]: each
/// payload is a [`Bytes`] view of a block of [`PAYLOAD_BLOCK`] bytes, and
/// a block whose payloads were all dropped is written over again, so that
/// a caller who drops each payload after use makes the peer allocate
/// nothing per packet.
#[derive(Debug, Default)]
pub(crate) struct PayloadPool {
    block: BytesMut,
}

impl PayloadPool {
    pub(crate) fn copy(&mut self, payload: &[u8]) -> Bytes {
        if self.block.capacity() < payload.len() {
            // Takes the whole block back when every payload in it was
            // dropped, a new one otherwise.
            self.block.reserve(payload.len().max(PAYLOAD_BLOCK));
        }
        self.block.extend_from_slice(payload);
        self.block.split().freeze()
    }
}

/// What the other side's receiver reports say about a stream we send
/// (RFC 3550 §6.4.1).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RemoteInbound {
    pub(crate) fraction_lost: u8,
    pub(crate) packets_lost: i32,
    /// In RTP timestamp units.
    pub(crate) jitter: u32,
    pub(crate) round_trip_time: Option<Duration>,
    pub(crate) total_round_trip_time: Duration,
    pub(crate) round_trip_time_measurements: u64,
    pub(crate) reports_received: u64,
    pub(crate) last_report: Instant,
}

/// A stream a transceiver sends: its one stream, or a simulcast layer.
#[derive(Debug)]
pub(crate) struct Outbound {
    /// Our SSRC (RFC 3550 §8: random).
    pub(crate) ssrc: u32,
    /// The simulcast layer, for a transceiver that sends layers.
    pub(crate) rid: Option<Rid>,
    pub(crate) sequence_number: u16,
    /// Added to the application's timestamps (RFC 3550 §5.1: a random
    /// start).
    pub(crate) timestamp_offset: u32,
    /// The RTCP session of a layer after the first (which reports in the
    /// transceiver's): its sender reports.
    pub(crate) rtcp: Option<RtcpSession>,
    /// Our RTX SSRC (RFC 4588 §8.2).
    pub(crate) rtx_ssrc: u32,
    /// The other side reported on our RTX stream: it knows which layer it
    /// repairs.
    pub(crate) rtx_reported: bool,
    /// The first RTX sequence number (RFC 4588 §4: random).
    first_rtx_sequence_number: u16,
    /// The packets kept to answer NACKs, once NACK is agreed.
    pub(crate) resend: Option<RetransmissionBuffer>,
    pub(crate) packets_sent: u64,
    /// Payload bytes.
    pub(crate) bytes_sent: u64,
    pub(crate) header_bytes_sent: u64,
    pub(crate) retransmitted_packets_sent: u64,
    pub(crate) retransmitted_bytes_sent: u64,
    /// NACK packets received.
    pub(crate) nack_count: u64,
    pub(crate) pli_count: u64,
    pub(crate) fir_count: u64,
    pub(crate) frames_sent: u64,
    pub(crate) last_packet_sent: Option<Instant>,
    /// The payload type of the last packet sent.
    pub(crate) payload_type: Option<u8>,
    pub(crate) remote: Option<RemoteInbound>,
}

impl Outbound {
    /// A stream with random SSRCs, sequence numbers and timestamp offset.
    pub(crate) fn random(rng: &mut Rng) -> Self {
        let ssrc = rng.next_u32();
        let sequence_number = (rng.next_u32() & 0x7fff) as u16;
        let timestamp_offset = rng.next_u32();
        let mut outbound = Self::new(ssrc, rng.next_u32(), (rng.next_u32() & 0x7fff) as u16);
        outbound.sequence_number = sequence_number;
        outbound.timestamp_offset = timestamp_offset;
        outbound
    }

    pub(crate) fn new(ssrc: u32, rtx_ssrc: u32, first_rtx_sequence_number: u16) -> Self {
        Self {
            ssrc,
            rid: None,
            sequence_number: 0,
            timestamp_offset: 0,
            rtcp: None,
            rtx_ssrc,
            rtx_reported: false,
            first_rtx_sequence_number,
            resend: None,
            packets_sent: 0,
            bytes_sent: 0,
            header_bytes_sent: 0,
            retransmitted_packets_sent: 0,
            retransmitted_bytes_sent: 0,
            nack_count: 0,
            pli_count: 0,
            fir_count: 0,
            frames_sent: 0,
            last_packet_sent: None,
            payload_type: None,
            remote: None,
        }
    }

    /// Keeps the last `capacity` packets sent from now on (once: a later
    /// agreement keeps the buffer and what it holds).
    pub(crate) fn keep_sent(&mut self, capacity: usize) {
        if self.resend.is_none() {
            self.resend = Some(RetransmissionBuffer::new(
                capacity,
                self.rtx_ssrc,
                self.first_rtx_sequence_number,
            ));
        }
    }

    /// Takes a report block about this stream, received at `now` (compact
    /// NTP `arrival`).
    pub(crate) fn handle_report_block(
        &mut self,
        now: Instant,
        arrival: u32,
        block: &sansrtc_rtp::rtcp::ReportBlock,
    ) -> Option<Duration> {
        let rtt = sansrtc_rtp::ntp::round_trip_time(
            arrival,
            block.last_sender_report,
            block.delay_since_last_sender_report,
        );
        let previous = self.remote;
        let mut remote = RemoteInbound {
            fraction_lost: block.fraction_lost,
            packets_lost: block.cumulative_lost,
            jitter: block.jitter,
            round_trip_time: previous.and_then(|p| p.round_trip_time),
            total_round_trip_time: previous.map_or(Duration::ZERO, |p| p.total_round_trip_time),
            round_trip_time_measurements: previous.map_or(0, |p| p.round_trip_time_measurements),
            reports_received: previous.map_or(0, |p| p.reports_received) + 1,
            last_report: now,
        };
        if let Some(rtt) = rtt {
            remote.round_trip_time = Some(rtt);
            remote.total_round_trip_time = remote.total_round_trip_time.saturating_add(rtt);
            remote.round_trip_time_measurements += 1;
        }
        self.remote = Some(remote);
        rtt
    }
}

/// A stream we receive on a transceiver: one remote SSRC (and the RTX SSRC
/// that repairs it).
#[derive(Debug)]
pub(crate) struct Inbound {
    pub(crate) ssrc: u32,
    /// The simulcast layer, latched from the first packet that named it.
    pub(crate) rid: Option<Rid>,
    pub(crate) rtx_ssrc: Option<u32>,
    /// The payload type of the last packet.
    pub(crate) payload_type: u8,
    /// Packets delivered (each sequence number once), repaired ones
    /// included.
    pub(crate) packets_received: u64,
    /// Payload bytes delivered.
    pub(crate) bytes_received: u64,
    pub(crate) header_bytes_received: u64,
    /// RTX packets (or resent originals) received, delivered or not.
    pub(crate) retransmitted_packets_received: u64,
    pub(crate) retransmitted_bytes_received: u64,
    /// Duplicates, and packets too late or too far from the stream.
    pub(crate) packets_discarded: u64,
    unwrapper: SequenceUnwrapper,
    /// Lowest and highest extended sequence numbers delivered.
    sequence_range: Option<(u64, u64)>,
    /// Asks for the missing packets, when NACK is agreed.
    pub(crate) nack: Option<NackGenerator>,
    /// NACK packets sent.
    pub(crate) nack_count: u64,
    pub(crate) pli_count: u64,
    pub(crate) fir_count: u64,
    /// The FIR command sequence number (RFC 5104 §4.3.1.1).
    pub(crate) fir_sequence_number: u8,
    pub(crate) last_packet_received: Option<Instant>,
    /// Frame mode: the jitter buffer.
    pub(crate) assembly: Option<Assembly>,
    pub(crate) frames_received: u64,
    pub(crate) frames_dropped: u64,
}

impl Inbound {
    fn new(ssrc: u32, payload_type: u8) -> Self {
        Self {
            ssrc,
            rid: None,
            rtx_ssrc: None,
            payload_type,
            packets_received: 0,
            bytes_received: 0,
            header_bytes_received: 0,
            retransmitted_packets_received: 0,
            retransmitted_bytes_received: 0,
            packets_discarded: 0,
            unwrapper: SequenceUnwrapper::new(),
            sequence_range: None,
            nack: None,
            nack_count: 0,
            pli_count: 0,
            fir_count: 0,
            fir_sequence_number: 0,
            last_packet_received: None,
            assembly: None,
            frames_received: 0,
            frames_dropped: 0,
        }
    }

    /// Packets lost after repair (RFC 3550 §6.4.1's cumulative loss, over
    /// what was delivered): expected less received.
    pub(crate) fn packets_lost(&self) -> i64 {
        self.sequence_range.map_or(0, |(low, high)| {
            let expected = (high - low + 1) as i64;
            expected - self.packets_received as i64
        })
    }

    fn note_sequence_number(&mut self, sequence_number: u16) {
        let extended = self.unwrapper.unwrap(sequence_number);
        self.sequence_range = Some(match self.sequence_range {
            None => (extended, extended),
            Some((low, high)) => (low.min(extended), high.max(extended)),
        });
    }
}

/// A received RTP packet, read and (for RTX) unwrapped: the original
/// stream's view of it, the payload still in the peer's scratch buffer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Received {
    pub(crate) ssrc: u32,
    pub(crate) sequence_number: u16,
    pub(crate) timestamp: u32,
    pub(crate) marker: bool,
    pub(crate) payload_type: u8,
    /// Where the payload is in the scratch buffer.
    pub(crate) payload: (usize, usize),
    pub(crate) header_len: usize,
    /// The RTX SSRC it came on, for a retransmission.
    pub(crate) rtx_ssrc: Option<u32>,
    /// It came again after a NACK (as RTX, or as the original resent).
    pub(crate) retransmitted: bool,
    /// The simulcast layer it named (or its stream latched).
    pub(crate) rid: Option<Rid>,
}

impl Received {
    pub(crate) const fn payload_len(&self) -> usize {
        self.payload.1 - self.payload.0
    }
}

impl Peer {
    /// SRTP in: unprotect, route, unwrap RTX, deliver. A packet no
    /// transceiver or stream takes is counted.
    pub(crate) fn receive_rtp(&mut self, now: Instant, contents: &[u8]) -> Result<(), RecvError> {
        let Some(srtp) = &mut self.srtp else {
            return Err(RecvError::NotKeyed);
        };
        let buf = self
            .buffer
            .get_mut(..contents.len())
            .ok_or(RecvError::TooLarge)?;
        buf.copy_from_slice(contents);
        let len = srtp.inbound.unprotect_rtp(buf).map_err(RecvError::Srtp)?;
        let result = self.receive_plain_rtp(now, len);
        if let Err(RecvError::Unrouted | RecvError::Rid) = result {
            self.counters.rtp_discarded += 1;
        }
        result
    }

    /// Decrypted RTP, the first `len` bytes of the scratch buffer: route,
    /// identify its stream, unwrap RTX, deliver.
    fn receive_plain_rtp(&mut self, now: Instant, len: usize) -> Result<(), RecvError> {
        let plain = self.buffer.get(..len).unwrap_or_default();
        let packet = RtpPacket::parse(plain).map_err(RecvError::Malformed)?;
        let index = route(&self.transceivers, &packet).ok_or(RecvError::Unrouted)?;
        let transceiver = self.transceivers.get(index).ok_or(RecvError::Unrouted)?;
        let payload_start = packet.header_len();
        let payload_end = payload_start + packet.payload().len();
        let mut received = Received {
            ssrc: packet.ssrc(),
            sequence_number: packet.sequence_number(),
            timestamp: packet.timestamp(),
            marker: packet.marker(),
            payload_type: packet.payload_type(),
            payload: (payload_start, payload_end),
            header_len: packet.header_len(),
            rtx_ssrc: None,
            retransmitted: false,
            rid: None,
        };
        let repaired = transceiver
            .negotiated
            .as_ref()
            .and_then(|n| n.repaired_by(received.payload_type))
            .map(|c| c.payload_type);
        if let Some(original_payload_type) = repaired {
            // RFC 4588 §4: the original sequence number, then the original
            // payload. An RTX packet without one is padding (probing).
            let rtx = RtxPayload::parse(packet.payload()).map_err(RecvError::Malformed)?;
            if rtx.payload.is_empty() {
                return Ok(());
            }
            let named = named(transceiver, &packet, ExtensionKind::RepairedRid);
            let original_ssrc = original_source(transceiver, received.ssrc, named)?;
            received = Received {
                ssrc: original_ssrc,
                sequence_number: rtx.original_sequence_number,
                payload_type: original_payload_type,
                payload: (payload_start + 2, payload_end),
                header_len: received.header_len + 2,
                rtx_ssrc: Some(received.ssrc),
                retransmitted: true,
                ..received
            };
        } else if received.payload.0 == received.payload.1 && packet.padding_len() > 0 {
            // Padding only: nothing for the application.
            return Ok(());
        } else {
            let named = named(transceiver, &packet, ExtensionKind::Rid);
            match layer(transceiver, received.ssrc, named) {
                Ok(rid) => received.rid = rid,
                Err(known) => {
                    if let Some(stream) = known.and_then(|i| {
                        self.transceivers
                            .get_mut(index)
                            .and_then(|t| t.inbound.get_mut(i))
                    }) {
                        stream.packets_discarded += 1;
                    }
                    return Err(RecvError::Rid);
                }
            }
        }
        self.deliver(now, index, received)
    }

    /// Counts a packet of a stream, drops it if it came before, and hands
    /// it to the application or the jitter buffer; then sends the NACKs
    /// that are due.
    fn deliver(&mut self, now: Instant, index: usize, received: Received) -> Result<(), RecvError> {
        let rtt = self.rtt;
        let Some(transceiver) = self.transceivers.get_mut(index) else {
            return Err(RecvError::Unrouted);
        };
        let nack = transceiver.negotiated.as_ref().is_some_and(|n| n.nack());
        if let Some(rtx_ssrc) = received.rtx_ssrc {
            // An RTX SSRC repairs one stream: the last one it was seen
            // repairing.
            for stream in transceiver
                .inbound
                .iter_mut()
                .filter(|s| s.ssrc != received.ssrc && s.rtx_ssrc == Some(rtx_ssrc))
            {
                stream.rtx_ssrc = None;
            }
        }
        let stream = inbound_stream(
            transceiver,
            received.ssrc,
            received.payload_type,
            received.rid,
        )
        .ok_or(RecvError::Unrouted)?;
        let payload_len = received.payload_len() as u64;
        if let Some(rtx_ssrc) = received.rtx_ssrc {
            stream.rtx_ssrc = Some(rtx_ssrc);
        }
        if received.retransmitted {
            stream.retransmitted_packets_received += 1;
            stream.retransmitted_bytes_received += payload_len;
        }
        if nack && stream.nack.is_none() {
            let mut generator = NackGenerator::new(NackConfig::default());
            if let Some(rtt) = rtt {
                generator.set_rtt(rtt);
            }
            stream.nack = Some(generator);
        }
        let mut retransmitted = received.retransmitted;
        if let Some(generator) = &mut stream.nack {
            match generator.handle_packet(now, received.sequence_number) {
                NackOutcome::Ignored | NackOutcome::OutOfSequence => {
                    stream.packets_discarded += 1;
                    return Ok(());
                }
                // Without RTX, a packet that was asked for again comes
                // back as itself.
                NackOutcome::Recovered { retries } if retries > 0 && !retransmitted => {
                    retransmitted = true;
                    stream.retransmitted_packets_received += 1;
                    stream.retransmitted_bytes_received += payload_len;
                }
                _ => {}
            }
        }
        stream.payload_type = received.payload_type;
        stream.packets_received += 1;
        stream.bytes_received += payload_len;
        stream.header_bytes_received += received.header_len as u64;
        stream.last_packet_received = Some(now);
        stream.note_sequence_number(received.sequence_number);
        let frames = transceiver.frames;
        if !retransmitted {
            // The reports describe the network: what arrived the first
            // time, at the time it arrived.
            transceiver.remote_ssrc = Some(received.ssrc);
            transceiver.start_rtcp(now, 0, received.payload_type);
            if let Some(rtcp) = &mut transceiver.rtcp {
                rtcp.handle_rtp_receive(
                    now,
                    received.ssrc,
                    received.sequence_number,
                    received.timestamp,
                );
            }
        }
        let result = if frames && self.assemble(now, index, &received) {
            Ok(())
        } else {
            self.media_event(index, &received)
        };
        self.send_nacks(now, index);
        result
    }

    /// [`Event::Media`] for a delivered packet.
    fn media_event(&mut self, index: usize, received: &Received) -> Result<(), RecvError> {
        let Some(transceiver) = self.transceivers.get(index) else {
            return Err(RecvError::Unrouted);
        };
        let payload = self
            .buffer
            .get(received.payload.0..received.payload.1)
            .unwrap_or_default();
        let rid = transceiver
            .inbound
            .iter()
            .find(|s| s.ssrc == received.ssrc)
            .and_then(|s| s.rid);
        let media = MediaPacket {
            mid: transceiver.mid.clone(),
            rid,
            payload_type: received.payload_type,
            sequence_number: received.sequence_number,
            timestamp: received.timestamp,
            marker: received.marker,
            ssrc: received.ssrc,
            payload: Payload::new(self.payloads_received.copy(payload)),
        };
        if self.events.push(Event::Media(media)) {
            Ok(())
        } else {
            Err(RecvError::QueueFull)
        }
    }

    /// A packet as the original stream sent it, written into the scratch
    /// buffer (for the jitter buffer, which reads packets).
    pub(crate) fn rebuild(&mut self, received: &Received) -> Option<usize> {
        let payload = self.buffer.get(received.payload.0..received.payload.1)?;
        let builder = Builder::new()
            .payload_type(received.payload_type)
            .sequence_number(received.sequence_number)
            .timestamp(received.timestamp)
            .ssrc(received.ssrc)
            .marker(received.marker)
            .payload(payload);
        builder.write_to(&mut self.scratch).ok()
    }

    /// Sends the NACKs a transceiver's streams have due (RFC 4585 §6.2.1).
    /// In frame mode only the packets the jitter buffer still waits for
    /// are asked for.
    pub(crate) fn send_nacks(&mut self, now: Instant, index: usize) {
        if self.srtp.is_none() || self.closed {
            return;
        }
        let mut lost = core::mem::take(&mut self.lost);
        for stream_index in 0..MAX_INBOUND_STREAMS {
            let Some(transceiver) = self.transceivers.get_mut(index) else {
                break;
            };
            let sender_ssrc = transceiver.ssrc;
            let Some(stream) = transceiver.inbound.get_mut(stream_index) else {
                break;
            };
            let Some(generator) = &mut stream.nack else {
                continue;
            };
            if generator.poll_timeout().is_none_or(|due| due > now) {
                continue;
            }
            lost.clear();
            generator.poll_nacks(now, &mut lost);
            if let Some(assembly) = &stream.assembly {
                assembly.keep_missing(&mut lost);
            }
            lost.truncate(MAX_NACKED_PER_PACKET);
            if lost.is_empty() {
                continue;
            }
            let mut entries = [sansrtc_rtp::rtcp::NackEntry::default(); MAX_NACK_ENTRIES];
            let mut count = 0;
            for (slot, entry) in entries
                .iter_mut()
                .zip(sansrtc_rtp::rtcp::NackEntry::pack(lost.iter().copied()))
            {
                *slot = entry;
                count += 1;
            }
            let nack = sansrtc_rtp::rtcp::Nack {
                sender_ssrc,
                media_ssrc: stream.ssrc,
                entries: sansrtc_rtp::list::List::new(entries.get(..count).unwrap_or_default()),
            };
            let mut plain = [0u8; 16 + 4 * MAX_NACK_ENTRIES];
            let Ok(len) = sansrtc_rtp::rtcp::write_reduced_size(
                &[sansrtc_rtp::rtcp::Packet::Nack(nack)],
                &mut plain,
            ) else {
                continue;
            };
            stream.nack_count += 1;
            // Lost like a datagram when there is no pair to send on.
            let _ = self.send_rtcp(now, plain.get(..len).unwrap_or_default());
        }
        self.lost = lost;
    }

    /// Resends packet `sequence_number` of stream `layer` of a
    /// transceiver: as RTX when RTX was agreed for its payload type, else
    /// as it was. Whether it was still kept.
    ///
    /// The RTX packets of a simulcast layer carry the MID and the
    /// repaired rid (RFC 8852 §3.2) until the other side reports on the
    /// RTX stream; other RTX packets keep the original's extensions.
    pub(crate) fn retransmit(
        &mut self,
        now: Instant,
        index: usize,
        layer: usize,
        sequence_number: u16,
    ) -> bool {
        let Some(srtp) = &mut self.srtp else {
            return false;
        };
        let Some(transceiver) = self.transceivers.get_mut(index) else {
            return false;
        };
        let simulcast = transceiver.sends_simulcast();
        let Some(negotiated) = &transceiver.negotiated else {
            return false;
        };
        let Some(outbound) = transceiver.outbound.get_mut(layer) else {
            return false;
        };
        let mut elements = [Element::new(0, &[]); 2];
        let mut count = 0;
        let rid = outbound.rid;
        if simulcast && !outbound.rtx_reported {
            let wanted = [
                negotiated
                    .extensions
                    .id(ExtensionKind::Mid)
                    .map(|id| (id, transceiver.mid.as_bytes())),
                negotiated
                    .extensions
                    .id(ExtensionKind::RepairedRid)
                    .zip(rid.as_ref())
                    .map(|(id, rid)| (id, rid.as_bytes())),
            ];
            for (id, data) in wanted.into_iter().flatten() {
                if let Some(slot) = elements.get_mut(count) {
                    *slot = Element::new(id, data);
                    count += 1;
                }
            }
        }
        let Some(resend) = &mut outbound.resend else {
            return false;
        };
        let Some(stored) = resend.get(sequence_number) else {
            return false;
        };
        let Ok(original) = RtpPacket::parse(stored) else {
            return false;
        };
        let payload_len = original.payload().len();
        let rtx_payload_type = negotiated
            .codec(original.payload_type())
            .and_then(|c| c.rtx_payload_type);
        let room = self
            .buffer
            .len()
            .saturating_sub(srtp.outbound.rtp_overhead());
        let Some(buf) = self.buffer.get_mut(..room) else {
            return false;
        };
        let len = match rtx_payload_type {
            Some(rtx_payload_type) => {
                let written = if simulcast {
                    let elements = elements.get(..count).unwrap_or_default();
                    resend.write_rtx_with_extensions(
                        sequence_number,
                        rtx_payload_type,
                        elements,
                        buf,
                    )
                } else {
                    resend.write_rtx(sequence_number, rtx_payload_type, buf)
                };
                match written {
                    Ok(Some(len)) => len,
                    _ => return false,
                }
            }
            None => {
                let Some(out) = buf.get_mut(..stored.len()) else {
                    return false;
                };
                out.copy_from_slice(stored);
                stored.len()
            }
        };
        let Ok(len) = srtp.outbound.protect_rtp(&mut self.buffer, len) else {
            return false;
        };
        outbound.retransmitted_packets_sent += 1;
        outbound.retransmitted_bytes_sent += payload_len as u64;
        outbound.packets_sent += 1;
        outbound.bytes_sent += payload_len as u64;
        self.send(now, len).is_ok()
    }

    /// Gives a new round-trip time to everything that waits for
    /// retransmissions.
    pub(crate) fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = Some(rtt);
        for transceiver in &mut self.transceivers {
            for stream in &mut transceiver.inbound {
                if let Some(generator) = &mut stream.nack {
                    generator.set_rtt(rtt);
                }
                if let Some(assembly) = &mut stream.assembly {
                    assembly.set_rtt(rtt);
                }
            }
        }
    }
}

/// The stream of `ssrc` on a transceiver, made if new (replacing the one
/// heard from least recently when [`MAX_INBOUND_STREAMS`] are there), with
/// simulcast layer `rid` if it has none yet. A new stream of a layer
/// replaces the layer's old one (the sender changed its SSRC).
fn inbound_stream(
    transceiver: &mut Transceiver,
    ssrc: u32,
    payload_type: u8,
    rid: Option<Rid>,
) -> Option<&mut Inbound> {
    let streams = &mut transceiver.inbound;
    if !streams.iter().any(|s| s.ssrc == ssrc) {
        if rid.is_some() {
            streams.retain(|s| s.rid != rid);
        }
        if streams.len() >= MAX_INBOUND_STREAMS {
            let oldest = streams
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| s.last_packet_received)
                .map_or(0, |(i, _)| i);
            streams.swap_remove(oldest);
        }
        streams.push(Inbound::new(ssrc, payload_type));
    }
    let stream = streams.iter_mut().find(|s| s.ssrc == ssrc)?;
    if stream.rid.is_none() {
        stream.rid = rid;
    }
    Some(stream)
}

/// What a packet's rtp-stream-id or repaired-rtp-stream-id header
/// extension says (RFC 8852 §3), on a transceiver that receives simulcast.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Named {
    /// No such extension, or a transceiver without simulcast (where rids
    /// mean nothing).
    Nothing,
    /// A rid agreed for the transceiver.
    Agreed(Rid),
    /// A rid that was not agreed, too long, or malformed.
    Refused,
}

/// Whether a transceiver receives simulcast: rids were agreed, and the
/// rtp-stream-id extension that names them.
fn receives_simulcast(transceiver: &Transceiver) -> bool {
    transceiver
        .negotiated
        .as_ref()
        .is_some_and(|n| !n.recv_rids.is_empty() && n.extensions.id(ExtensionKind::Rid).is_some())
}

/// The rid a packet names in extension `kind` (`Rid` or `RepairedRid`).
pub(crate) fn named(
    transceiver: &Transceiver,
    packet: &RtpPacket<&[u8]>,
    kind: ExtensionKind,
) -> Named {
    let Some(negotiated) = transceiver
        .negotiated
        .as_ref()
        .filter(|_| receives_simulcast(transceiver))
    else {
        return Named::Nothing;
    };
    let Some(data) = negotiated
        .extensions
        .id(kind)
        .zip(packet.extension())
        .and_then(|(id, extension)| extension.get(id))
    else {
        return Named::Nothing;
    };
    // Some senders pad the value with NUL bytes; they are not part of it.
    let end = data
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    match Rid::from_bytes(data.get(..end).unwrap_or_default()) {
        Some(rid) if negotiated.recv_rids.contains(&rid) => Named::Agreed(rid),
        _ => Named::Refused,
    }
}

/// The simulcast layer of a media packet on `ssrc`: the rid it names, or
/// the one its stream latched; `None` on a transceiver without
/// simulcast. `Err` when it is refused, with the index of its stream if
/// it has one: a rid that was not agreed, another rid than the stream's,
/// or no rid on a stream no rid identified yet.
pub(crate) fn layer(
    transceiver: &Transceiver,
    ssrc: u32,
    named: Named,
) -> Result<Option<Rid>, Option<usize>> {
    let stream = transceiver.inbound.iter().position(|s| s.ssrc == ssrc);
    let latched = stream
        .and_then(|i| transceiver.inbound.get(i))
        .and_then(|s| s.rid);
    match (named, latched) {
        (Named::Refused, _) => Err(stream),
        (Named::Agreed(rid), Some(latched)) if rid != latched => Err(stream),
        (Named::Agreed(rid), _) => Ok(Some(rid)),
        (Named::Nothing, Some(latched)) => Ok(Some(latched)),
        (Named::Nothing, None) if receives_simulcast(transceiver) => Err(stream),
        (Named::Nothing, None) => Ok(None),
    }
}

/// The media SSRC an RTX packet on `rtx_ssrc` repairs: on a transceiver
/// that receives simulcast, the stream of the rid its repaired-rtp-stream-id
/// names (RFC 8852 §3.2); else from the other side's `a=ssrc-group:FID`,
/// else the stream it repaired before, else (without simulcast) the
/// stream the transceiver hears (RFC 4588 §5.3: with session multiplexing
/// the association is by SSRC; such a transceiver carries one media
/// stream).
pub(crate) fn original_source(
    transceiver: &Transceiver,
    rtx_ssrc: u32,
    repaired: Named,
) -> Result<u32, RecvError> {
    match repaired {
        Named::Refused => return Err(RecvError::Rid),
        Named::Agreed(rid) => {
            return transceiver
                .inbound
                .iter()
                .filter(|s| s.rid == Some(rid))
                .max_by_key(|s| s.last_packet_received)
                .map(|s| s.ssrc)
                .ok_or(RecvError::Rid);
        }
        Named::Nothing => {}
    }
    let known = transceiver
        .negotiated
        .as_ref()
        .and_then(|n| n.rtx_source(rtx_ssrc))
        .or_else(|| {
            transceiver
                .inbound
                .iter()
                .find(|s| s.rtx_ssrc == Some(rtx_ssrc))
                .map(|s| s.ssrc)
        });
    if receives_simulcast(transceiver) {
        // Guessing could put a layer's repairs on another layer.
        return known.ok_or(RecvError::Rid);
    }
    known
        .or(transceiver.remote_ssrc)
        .or_else(|| {
            transceiver.negotiated.as_ref().and_then(|n| {
                n.remote_ssrcs
                    .iter()
                    .copied()
                    .find(|ssrc| n.remote_rtx.iter().all(|(_, rtx)| rtx != ssrc))
            })
        })
        .ok_or(RecvError::Unrouted)
}

/// The transceiver an RTP packet belongs to (RFC 8843 §9.2): by its MID
/// header extension, else by the SSRCs the other side announced or that
/// it sent before, else by a payload type (or RTX payload type) only one
/// transceiver agreed on.
pub(crate) fn route(transceivers: &[Transceiver], packet: &RtpPacket<&[u8]>) -> Option<usize> {
    let by_mid = transceivers.iter().position(|t| {
        t.negotiated.as_ref().is_some_and(|n| {
            n.extensions.id(ExtensionKind::Mid).is_some()
                && n.extensions
                    .read::<MidExtension<'_>, _>(packet)
                    .and_then(Result::ok)
                    .is_some_and(|mid| mid.as_bytes() == t.mid.as_bytes())
        })
    });
    if by_mid.is_some() {
        return by_mid;
    }
    let ssrc = packet.ssrc();
    let by_ssrc = transceivers.iter().position(|t| {
        t.remote_ssrc == Some(ssrc)
            || t.inbound
                .iter()
                .any(|s| s.ssrc == ssrc || s.rtx_ssrc == Some(ssrc))
            || t.negotiated
                .as_ref()
                .is_some_and(|n| n.remote_ssrcs.contains(&ssrc))
    });
    if by_ssrc.is_some() {
        return by_ssrc;
    }
    let payload_type = packet.payload_type();
    let mut candidates = transceivers.iter().enumerate().filter(|(_, t)| {
        t.negotiated.as_ref().is_some_and(|n| {
            n.direction.receives()
                && (n.codec(payload_type).is_some() || n.repaired_by(payload_type).is_some())
        })
    });
    match (candidates.next(), candidates.next()) {
        (Some((index, _)), None) => Some(index),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::MediaKind;
    use sansrtc_sdp::Direction;
    use sansrtc_stun::rng::{Rng, seed_from_u64};

    #[allow(clippy::disallowed_methods)]
    fn start() -> Instant {
        Instant::now()
    }

    #[test]
    fn payload_blocks_are_reused_once_their_payloads_are_dropped() {
        let mut pool = PayloadPool::default();
        let first = pool.copy(&[1; 1000]);
        let address = first.as_ptr();
        assert_eq!(first[..], [1; 1000]);
        let second = pool.copy(&[2; 1000]);
        assert_eq!(second.as_ptr(), address.wrapping_add(1000));
        drop((first, second));
        // Everything dropped: the next payload that does not fit takes
        // the block back from its start.
        for _ in 0..2 {
            drop(pool.copy(&[3; 1000]));
        }
        let again = pool.copy(&[4; 1500]);
        assert_eq!(again.as_ptr(), address);
        // Held payloads keep their bytes while new blocks are taken.
        let held: Vec<Bytes> = (0..10u8).map(|i| pool.copy(&[i; 900])).collect();
        for (i, payload) in held.iter().enumerate() {
            assert_eq!(payload[..], [i as u8; 900]);
        }
        assert!(pool.copy(&[]).is_empty());
    }

    /// A video transceiver that receives the simulcast layers q and h,
    /// with the MID (id 1), rtp-stream-id (2) and repaired-rtp-stream-id
    /// (3) extensions.
    fn simulcast_receiver(rng: &mut Rng) -> Transceiver {
        let mut transceiver =
            Transceiver::new("0".into(), MediaKind::Video, Direction::RecvOnly, rng);
        let mut extensions = sansrtc_rtp::rtp::extension::ExtensionMap::new();
        extensions.insert_kind(1, ExtensionKind::Mid).unwrap();
        extensions.insert_kind(2, ExtensionKind::Rid).unwrap();
        extensions
            .insert_kind(3, ExtensionKind::RepairedRid)
            .unwrap();
        transceiver.negotiated = Some(crate::transceiver::Negotiated {
            direction: Direction::RecvOnly,
            codecs: Vec::new(),
            extensions,
            remote_ssrcs: Vec::new(),
            remote_rtx: Vec::new(),
            send_rids: Vec::new(),
            recv_rids: alloc::vec![Rid::new("q").unwrap(), Rid::new("h").unwrap()],
        });
        transceiver
    }

    /// An RTP packet on `ssrc` with header extension elements `elements`.
    fn rtp(ssrc: u32, elements: &[Element<'_>]) -> Vec<u8> {
        let mut builder = Builder::new()
            .payload_type(96)
            .ssrc(ssrc)
            .payload(&[1, 2, 3]);
        if !elements.is_empty() {
            builder = builder.extensions(elements);
        }
        let mut buf = alloc::vec![0u8; 100];
        let len = builder.write_to(&mut buf).unwrap();
        buf.truncate(len);
        buf
    }

    #[test]
    fn rids_are_read_checked_and_latched() {
        let mut rng = Rng::new(Some(seed_from_u64(3)));
        let mut transceiver = simulcast_receiver(&mut rng);
        let (q, h) = (Rid::new("q").unwrap(), Rid::new("h").unwrap());
        let name = |t: &Transceiver, elements: &[Element<'_>], kind| {
            let bytes = rtp(7, elements);
            named(t, &RtpPacket::parse(&bytes[..]).unwrap(), kind)
        };
        assert_eq!(
            name(&transceiver, &[Element::new(2, b"h")], ExtensionKind::Rid),
            Named::Agreed(h)
        );
        // Padding NULs are not part of the rid.
        assert_eq!(
            name(
                &transceiver,
                &[Element::new(2, b"h\0\0")],
                ExtensionKind::Rid
            ),
            Named::Agreed(h)
        );
        for bad in [&b"x"[..], b"h h", b"\xff", b"\0", b"seventeen-bytes-x"] {
            assert_eq!(
                name(&transceiver, &[Element::new(2, bad)], ExtensionKind::Rid),
                Named::Refused
            );
        }
        assert_eq!(
            name(&transceiver, &[Element::new(1, b"0")], ExtensionKind::Rid),
            Named::Nothing
        );
        assert_eq!(
            name(
                &transceiver,
                &[Element::new(2, b"h")],
                ExtensionKind::RepairedRid
            ),
            Named::Nothing
        );
        assert_eq!(
            name(
                &transceiver,
                &[Element::new(3, b"q")],
                ExtensionKind::RepairedRid
            ),
            Named::Agreed(q)
        );

        // A new SSRC needs a rid; once it has one, it keeps it.
        assert_eq!(layer(&transceiver, 7, Named::Nothing), Err(None));
        assert_eq!(layer(&transceiver, 7, Named::Refused), Err(None));
        assert_eq!(layer(&transceiver, 7, Named::Agreed(q)), Ok(Some(q)));
        inbound_stream(&mut transceiver, 7, 96, Some(q)).unwrap();
        assert_eq!(layer(&transceiver, 7, Named::Nothing), Ok(Some(q)));
        assert_eq!(layer(&transceiver, 7, Named::Agreed(q)), Ok(Some(q)));
        // It cannot change layers.
        assert_eq!(layer(&transceiver, 7, Named::Agreed(h)), Err(Some(0)));

        // RTX finds the stream of the layer it repairs, and only by name
        // or by what it repaired before.
        assert_eq!(original_source(&transceiver, 70, Named::Agreed(q)), Ok(7));
        assert_eq!(
            original_source(&transceiver, 70, Named::Agreed(h)),
            Err(RecvError::Rid)
        );
        assert_eq!(
            original_source(&transceiver, 70, Named::Refused),
            Err(RecvError::Rid)
        );
        assert_eq!(
            original_source(&transceiver, 70, Named::Nothing),
            Err(RecvError::Rid)
        );
        inbound_stream(&mut transceiver, 7, 96, None)
            .unwrap()
            .rtx_ssrc = Some(70);
        assert_eq!(original_source(&transceiver, 70, Named::Nothing), Ok(7));

        // A new SSRC of a layer replaces the layer's old stream.
        inbound_stream(&mut transceiver, 8, 96, Some(h)).unwrap();
        inbound_stream(&mut transceiver, 9, 96, Some(q)).unwrap();
        let streams: Vec<(u32, Option<Rid>)> = transceiver
            .inbound
            .iter()
            .map(|s| (s.ssrc, s.rid))
            .collect();
        assert_eq!(streams, [(8, Some(h)), (9, Some(q))]);

        // A new agreement without layer q forgets its stream: an SSRC
        // of q is a stream no rid identified, and q is refused.
        let mut renegotiated = transceiver.negotiated.clone().unwrap();
        renegotiated.recv_rids = alloc::vec![h];
        let anchor = (start(), sansrtc_rtp::ntp::NtpTime(0));
        let interval = Duration::from_secs(1);
        transceiver.negotiate(renegotiated.clone(), "c", anchor, interval, 0, &mut rng);
        let streams: Vec<u32> = transceiver.inbound.iter().map(|s| s.ssrc).collect();
        assert_eq!(streams, [8]);
        assert_eq!(layer(&transceiver, 9, Named::Nothing), Err(None));
        assert_eq!(
            name(&transceiver, &[Element::new(2, b"q")], ExtensionKind::Rid),
            Named::Refused
        );
        assert_eq!(layer(&transceiver, 8, Named::Nothing), Ok(Some(h)));

        // Without simulcast agreed, rids mean nothing.
        renegotiated.recv_rids.clear();
        transceiver.negotiate(renegotiated, "c", anchor, interval, 0, &mut rng);
        assert!(transceiver.inbound.is_empty());
        assert_eq!(
            name(&transceiver, &[Element::new(2, b"x")], ExtensionKind::Rid),
            Named::Nothing
        );
        assert_eq!(layer(&transceiver, 5, Named::Nothing), Ok(None));
    }

    #[test]
    fn inbound_streams_are_capped_and_the_least_recent_goes() {
        let mut rng = Rng::new(Some(seed_from_u64(1)));
        let mut transceiver =
            Transceiver::new("0".into(), MediaKind::Video, Direction::RecvOnly, &mut rng);
        let t0 = start();
        let total = MAX_INBOUND_STREAMS as u32 + 6;
        for ssrc in 0..total {
            let stream = inbound_stream(&mut transceiver, ssrc, 96, None).unwrap();
            stream.last_packet_received = Some(t0 + Duration::from_millis(u64::from(ssrc)));
            assert!(transceiver.inbound.len() <= MAX_INBOUND_STREAMS);
        }
        let mut kept: Vec<u32> = transceiver.inbound.iter().map(|s| s.ssrc).collect();
        kept.sort_unstable();
        assert_eq!(kept, (6..total).collect::<Vec<_>>());
        // A known SSRC is found, not added.
        inbound_stream(&mut transceiver, 7, 96, None).unwrap();
        assert_eq!(transceiver.inbound.len(), MAX_INBOUND_STREAMS);
    }

    #[test]
    fn packets_lost_counts_the_gaps_in_what_was_delivered() {
        let mut stream = Inbound::new(1, 0);
        assert_eq!(stream.packets_lost(), 0);
        for seq in [65_530u16, 65_531, 65_535, 1, 0, 3] {
            stream.packets_received += 1;
            stream.note_sequence_number(seq);
        }
        // 65530..=3 is 10 numbers; 6 delivered.
        assert_eq!(stream.packets_lost(), 4);
    }

    #[test]
    fn report_blocks_give_loss_and_round_trip_time() {
        let t0 = start();
        let mut outbound = Outbound::new(1, 2, 0);
        let mut block = sansrtc_rtp::rtcp::ReportBlock {
            ssrc: 1,
            fraction_lost: 64,
            cumulative_lost: 12,
            extended_highest_sequence: 1000,
            jitter: 80,
            last_sender_report: 0,
            delay_since_last_sender_report: 0,
        };
        // No sender report answered yet: no round trip.
        assert_eq!(outbound.handle_report_block(t0, 0x1_0000, &block), None);
        // LSR 1 s, DLSR 0.25 s, arrival 1.5 s: 250 ms.
        block.last_sender_report = 0x1_0000;
        block.delay_since_last_sender_report = 0x4000;
        let rtt = outbound.handle_report_block(t0, 0x1_8000, &block).unwrap();
        assert_eq!(rtt, Duration::from_millis(250));
        let remote = outbound.remote.unwrap();
        assert_eq!(remote.fraction_lost, 64);
        assert_eq!(remote.packets_lost, 12);
        assert_eq!(remote.reports_received, 2);
        assert_eq!(remote.round_trip_time_measurements, 1);
        assert_eq!(remote.total_round_trip_time, rtt);
    }

    #[test]
    fn the_retransmission_buffer_is_made_once_and_bounded() {
        let mut outbound = Outbound::new(9, 5, 100);
        outbound.keep_sent(usize::MAX);
        let mut buf = [0u8; 64];
        for seq in 0..3u16 {
            let len = Builder::new()
                .payload_type(96)
                .sequence_number(seq)
                .ssrc(9)
                .payload(&[1, 2, 3])
                .write_to(&mut buf)
                .unwrap();
            outbound
                .resend
                .as_mut()
                .unwrap()
                .store(&buf[..len])
                .unwrap();
        }
        // A second agreement keeps the buffer and what it holds.
        outbound.keep_sent(1);
        assert!(outbound.resend.as_ref().unwrap().get(2).is_some());
        // RTX goes out on our RTX SSRC, numbered from the random start.
        let mut out = [0u8; 64];
        let len = outbound
            .resend
            .as_mut()
            .unwrap()
            .write_rtx(1, 97, &mut out)
            .unwrap()
            .unwrap();
        let rtx = RtpPacket::parse(&out[..len]).unwrap();
        assert_eq!((rtx.ssrc(), rtx.sequence_number()), (5, 100));
        assert_eq!(rtx.payload(), [0, 1, 1, 2, 3]);
    }
}
