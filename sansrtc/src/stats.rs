//! Statistics in the shape of the W3C `getStats()` report: one entry per
//! stream and per transport object, with the W3C identifiers as field
//! names (snake_case: `packetsReceived` is `packets_received`).
//!
//! Times are [`Duration`]s where W3C has seconds as a double (jitter,
//! round-trip time) and [`Instant`]s where it has a timestamp.
//!
//! - <https://www.w3.org/TR/webrtc-stats/>

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use sansrtc_dtls::DtlsRole;
use sansrtc_ice::{Candidate, CandidateType, Transport};
use sansrtc_srtp::ProtectionProfile;

use crate::event::{DtlsState, IceConnectionState, MediaKind, Mid};
use crate::peer::Peer;
use crate::simulcast::Rid;

/// The id of the one transport (everything is BUNDLEd on it).
const TRANSPORT_ID: &str = "transport";

/// A snapshot of a peer connection's statistics ([`Peer::stats`]), after
/// the W3C `RTCStatsReport`.
///
/// <https://www.w3.org/TR/webrtc-stats/#summary>
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Stats {
    /// When the snapshot was taken.
    pub timestamp: Instant,
    /// `inbound-rtp`: one per SSRC we receive.
    pub inbound_rtp: Vec<InboundRtpStats>,
    /// `outbound-rtp`: one per SSRC we send.
    pub outbound_rtp: Vec<OutboundRtpStats>,
    /// `remote-inbound-rtp`: what the other side's receiver reports say
    /// about each SSRC we send (once one came).
    pub remote_inbound_rtp: Vec<RemoteInboundRtpStats>,
    /// `candidate-pair`: the selected pair, once ICE selected one.
    pub candidate_pair: Option<CandidatePairStats>,
    /// `transport`: the (BUNDLEd) ICE and DTLS transport.
    pub transport: TransportStats,
}

impl Stats {
    /// The `inbound-rtp` entries of a transceiver.
    pub fn inbound(&self, mid: &str) -> impl Iterator<Item = &InboundRtpStats> {
        self.inbound_rtp.iter().filter(move |s| s.mid == mid)
    }

    /// The `outbound-rtp` entry of a transceiver (its first simulcast
    /// layer, when it sends several).
    pub fn outbound(&self, mid: &str) -> Option<&OutboundRtpStats> {
        self.outbound_rtp.iter().find(|s| s.mid == mid)
    }

    /// The `outbound-rtp` entry of simulcast layer `rid` of a transceiver.
    pub fn outbound_rid(&self, mid: &str, rid: &str) -> Option<&OutboundRtpStats> {
        self.outbound_rtp
            .iter()
            .find(|s| s.mid == mid && s.rid.is_some_and(|r| r == rid))
    }

    /// The `inbound-rtp` entry of simulcast layer `rid` received on a
    /// transceiver.
    pub fn inbound_rid(&self, mid: &str, rid: &str) -> Option<&InboundRtpStats> {
        self.inbound_rtp
            .iter()
            .find(|s| s.mid == mid && s.rid.is_some_and(|r| r == rid))
    }

    /// The `remote-inbound-rtp` entry of a transceiver.
    pub fn remote_inbound(&self, mid: &str) -> Option<&RemoteInboundRtpStats> {
        self.remote_inbound_rtp.iter().find(|s| s.mid == mid)
    }
}

/// `inbound-rtp`: a stream we receive.
///
/// <https://www.w3.org/TR/webrtc-stats/#inboundrtpstats-dict*>
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboundRtpStats {
    /// `id`.
    pub id: String,
    /// `ssrc`: the sender's SSRC.
    pub ssrc: u32,
    /// `kind`.
    pub kind: MediaKind,
    /// `mid`.
    pub mid: Mid,
    /// The simulcast layer (RFC 8852 rid), on a transceiver that receives
    /// simulcast. W3C's `inbound-rtp` has no rid: this one is ours.
    pub rid: Option<Rid>,
    /// `transportId`.
    pub transport_id: String,
    /// The payload type of the last packet (W3C `codecId` names the codec
    /// entry of this payload type).
    pub payload_type: u8,
    /// `packetsReceived`: packets delivered, each sequence number once,
    /// those repaired by retransmission included.
    pub packets_received: u64,
    /// `bytesReceived`: payload bytes of those packets.
    pub bytes_received: u64,
    /// `headerBytesReceived`: their RTP header bytes.
    pub header_bytes_received: u64,
    /// `packetsLost`: packets never delivered, after repair (RFC 3550
    /// §6.4.1's expected less received; negative with duplicates when
    /// NACK is off).
    pub packets_lost: i64,
    /// `packetsDiscarded`: duplicates, and packets too late or too far
    /// from the stream (with NACK).
    pub packets_discarded: u64,
    /// `jitter`: RFC 3550 §6.4.1 interarrival jitter of the packets as
    /// they first arrived.
    pub jitter: Duration,
    /// `nackCount`: NACK packets sent.
    pub nack_count: u64,
    /// `pliCount`: PLI packets sent.
    pub pli_count: u64,
    /// `firCount`: FIR packets sent.
    pub fir_count: u64,
    /// `retransmittedPacketsReceived`: RTX packets (or resent originals)
    /// received.
    pub retransmitted_packets_received: u64,
    /// `retransmittedBytesReceived`: their payload bytes.
    pub retransmitted_bytes_received: u64,
    /// `rtxSsrc`: the SSRC of the RTX stream that repairs this one.
    pub rtx_ssrc: Option<u32>,
    /// `lastPacketReceivedTimestamp`.
    pub last_packet_received_timestamp: Option<Instant>,
    /// `framesReceived`: frames assembled (frame mode).
    pub frames_received: u64,
    /// `framesDropped`: frames dropped by the jitter buffer, or because
    /// the event queue was full (frame mode).
    pub frames_dropped: u64,
}

/// `outbound-rtp`: a stream we send.
///
/// <https://www.w3.org/TR/webrtc-stats/#outboundrtpstats-dict*>
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct OutboundRtpStats {
    /// `id`.
    pub id: String,
    /// `ssrc`.
    pub ssrc: u32,
    /// `kind`.
    pub kind: MediaKind,
    /// `mid`.
    pub mid: Mid,
    /// `rid`: the simulcast layer, on a transceiver that sends layers.
    pub rid: Option<Rid>,
    /// `transportId`.
    pub transport_id: String,
    /// `rtxSsrc`: our RTX SSRC, when RTX was agreed.
    pub rtx_ssrc: Option<u32>,
    /// `packetsSent`: retransmissions included.
    pub packets_sent: u64,
    /// `bytesSent`: payload bytes, retransmissions included.
    pub bytes_sent: u64,
    /// `headerBytesSent`: RTP header bytes of the first transmissions.
    pub header_bytes_sent: u64,
    /// `retransmittedPacketsSent`.
    pub retransmitted_packets_sent: u64,
    /// `retransmittedBytesSent`: payload bytes.
    pub retransmitted_bytes_sent: u64,
    /// `nackCount`: NACK packets received.
    pub nack_count: u64,
    /// `pliCount`: PLI packets received.
    pub pli_count: u64,
    /// `firCount`: FIR requests received.
    pub fir_count: u64,
    /// `framesSent`: frames sent with [`Peer::write_frame`].
    pub frames_sent: u64,
    /// `remoteId`: the `remote-inbound-rtp` entry about this stream.
    pub remote_id: Option<String>,
}

/// `remote-inbound-rtp`: what the other side reports about a stream we
/// send, from the last report block about it (RFC 3550 §6.4.1).
///
/// <https://www.w3.org/TR/webrtc-stats/#remoteinboundrtpstats-dict*>
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RemoteInboundRtpStats {
    /// `id`.
    pub id: String,
    /// `ssrc`: our SSRC, which the report is about.
    pub ssrc: u32,
    /// `kind`.
    pub kind: MediaKind,
    /// The transceiver.
    pub mid: Mid,
    /// `transportId`.
    pub transport_id: String,
    /// `localId`: the `outbound-rtp` entry.
    pub local_id: String,
    /// `timestamp`: when the last report arrived.
    pub timestamp: Instant,
    /// `packetsLost`: the report's cumulative number of packets lost (as
    /// the network lost them, before any retransmission).
    pub packets_lost: i64,
    /// `fractionLost`: the report's fraction lost since its previous
    /// report, 0 to 1.
    pub fraction_lost: f64,
    /// `jitter`.
    pub jitter: Duration,
    /// `roundTripTime`: the last round-trip time measured from a report
    /// (RFC 3550 §6.4.1: its arrival less LSR and DLSR); `None` until a
    /// report answered one of our sender reports.
    pub round_trip_time: Option<Duration>,
    /// `totalRoundTripTime`: the sum of the measurements.
    pub total_round_trip_time: Duration,
    /// `roundTripTimeMeasurements`.
    pub round_trip_time_measurements: u64,
    /// `reportsReceived`: report blocks received about the stream.
    pub reports_received: u64,
}

/// `local-candidate` and `remote-candidate`: one end of the selected
/// pair.
///
/// <https://www.w3.org/TR/webrtc-stats/#icecandidate-dict*>
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct IceCandidateStats {
    /// `id`.
    pub id: String,
    /// `address`: an IP address, or an mDNS name.
    pub address: String,
    /// `port`.
    pub port: u16,
    /// `protocol`.
    pub protocol: Transport,
    /// `candidateType`.
    pub candidate_type: CandidateType,
    /// `priority`.
    pub priority: u32,
    /// `foundation`.
    pub foundation: String,
}

impl IceCandidateStats {
    fn new(id: String, candidate: &Candidate) -> Self {
        Self {
            id,
            address: candidate.address().to_string(),
            port: candidate.port(),
            protocol: candidate.transport(),
            candidate_type: candidate.kind(),
            priority: candidate.priority(),
            foundation: candidate.foundation().to_string(),
        }
    }
}

/// `candidate-pair`: the pair ICE selected, with what went over it since.
///
/// The bytes are the payload ICE carried for us (DTLS, SRTP and SRTCP),
/// without the connectivity and consent checks. W3C's
/// `currentRoundTripTime` is not given: the ICE agent does not report the
/// timing of its consent checks; the round-trip time RTCP measures is in
/// [`RemoteInboundRtpStats::round_trip_time`].
///
/// <https://www.w3.org/TR/webrtc-stats/#candidatepair-dict*>
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct CandidatePairStats {
    /// `id`.
    pub id: String,
    /// `transportId`.
    pub transport_id: String,
    /// `localCandidateId`.
    pub local_candidate_id: String,
    /// `remoteCandidateId`.
    pub remote_candidate_id: String,
    /// The local candidate.
    pub local_candidate: IceCandidateStats,
    /// The remote candidate.
    pub remote_candidate: IceCandidateStats,
    /// `nominated`.
    pub nominated: bool,
    /// `packetsSent`.
    pub packets_sent: u64,
    /// `packetsReceived`.
    pub packets_received: u64,
    /// `bytesSent`.
    pub bytes_sent: u64,
    /// `bytesReceived`.
    pub bytes_received: u64,
    /// `lastPacketSentTimestamp`.
    pub last_packet_sent_timestamp: Option<Instant>,
    /// `lastPacketReceivedTimestamp`.
    pub last_packet_received_timestamp: Option<Instant>,
}

/// `transport`: the ICE and DTLS transport every transceiver is BUNDLEd
/// on.
///
/// <https://www.w3.org/TR/webrtc-stats/#transportstats-dict*>
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransportStats {
    /// `id`.
    pub id: String,
    /// `packetsSent`: datagrams ICE carried for us.
    pub packets_sent: u64,
    /// `packetsReceived`.
    pub packets_received: u64,
    /// `bytesSent`: their payload bytes (DTLS, SRTP, SRTCP).
    pub bytes_sent: u64,
    /// `bytesReceived`.
    pub bytes_received: u64,
    /// `iceState`.
    pub ice_state: IceConnectionState,
    /// `dtlsState`.
    pub dtls_state: DtlsState,
    /// `dtlsRole`, once the descriptions set it.
    pub dtls_role: Option<DtlsRole>,
    /// `srtpCipher`: the SRTP protection profile DTLS negotiated.
    pub srtp_cipher: Option<ProtectionProfile>,
    /// `selectedCandidatePairId`.
    pub selected_candidate_pair_id: Option<String>,
    /// `selectedCandidatePairChanges`.
    pub selected_candidate_pair_changes: u64,
    /// RTP packets that authenticated but that no transceiver took, or
    /// that a transceiver receiving simulcast refused (a rid that was not
    /// agreed, a stream no rid identified yet; see
    /// [`RecvError::Rid`](crate::RecvError::Rid)). W3C has no such
    /// counter: this one is ours.
    pub rtp_packets_discarded: u64,
}

/// Datagrams and bytes in each direction.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Counters {
    pub(crate) packets_sent: u64,
    pub(crate) bytes_sent: u64,
    pub(crate) packets_received: u64,
    pub(crate) bytes_received: u64,
    pub(crate) last_sent: Option<Instant>,
    pub(crate) last_received: Option<Instant>,
}

impl Counters {
    pub(crate) fn sent(&mut self, now: Instant, len: usize) {
        self.packets_sent += 1;
        self.bytes_sent += len as u64;
        self.last_sent = Some(now);
    }

    pub(crate) fn received(&mut self, now: Instant, len: usize) {
        self.packets_received += 1;
        self.bytes_received += len as u64;
        self.last_received = Some(now);
    }
}

/// What ICE carried for us: on the transport since the start, and on the
/// selected pair since it was selected.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct TransportCounters {
    pub(crate) transport: Counters,
    pub(crate) pair: Counters,
    pub(crate) pair_changes: u64,
    /// RTP packets no transceiver or stream took.
    pub(crate) rtp_discarded: u64,
}

impl TransportCounters {
    pub(crate) fn sent(&mut self, now: Instant, len: usize) {
        self.transport.sent(now, len);
        self.pair.sent(now, len);
    }

    pub(crate) fn received(&mut self, now: Instant, len: usize) {
        self.transport.received(now, len);
        self.pair.received(now, len);
    }

    pub(crate) fn pair_selected(&mut self) {
        self.pair = Counters::default();
        self.pair_changes += 1;
    }
}

/// An RTP timestamp interval in time.
fn rtp_duration(units: u32, clock_rate: u32) -> Duration {
    if clock_rate == 0 {
        return Duration::ZERO;
    }
    Duration::from_nanos(u64::from(units) * 1_000_000_000 / u64::from(clock_rate))
}

impl Peer {
    /// The statistics now, after the W3C `getStats()`: a snapshot of every
    /// stream, the selected candidate pair and the transport.
    pub fn stats(&self, now: Instant) -> Stats {
        let mut inbound_rtp = Vec::new();
        let mut outbound_rtp = Vec::new();
        let mut remote_inbound_rtp = Vec::new();
        for transceiver in &self.transceivers {
            let clock_rate = |payload_type: Option<u8>| {
                transceiver
                    .negotiated
                    .as_ref()
                    .and_then(|n| {
                        payload_type
                            .and_then(|pt| n.codec(pt))
                            .or_else(|| n.codecs.first())
                    })
                    .map_or(0, |c| c.clock_rate)
            };
            for stream in &transceiver.inbound {
                let jitter = transceiver
                    .rtcp
                    .as_ref()
                    .and_then(|rtcp| rtcp.source_stats(stream.ssrc))
                    .map_or(Duration::ZERO, |s| {
                        // In the units of the session's clock.
                        rtp_duration(s.jitter(), transceiver.rtcp_clock_rate)
                    });
                inbound_rtp.push(InboundRtpStats {
                    id: format!("inbound-rtp-{}", stream.ssrc),
                    ssrc: stream.ssrc,
                    kind: transceiver.kind,
                    mid: transceiver.mid.clone(),
                    rid: stream.rid,
                    transport_id: TRANSPORT_ID.to_string(),
                    payload_type: stream.payload_type,
                    packets_received: stream.packets_received,
                    bytes_received: stream.bytes_received,
                    header_bytes_received: stream.header_bytes_received,
                    packets_lost: stream.packets_lost(),
                    packets_discarded: stream.packets_discarded,
                    jitter,
                    nack_count: stream.nack_count,
                    pli_count: stream.pli_count,
                    fir_count: stream.fir_count,
                    retransmitted_packets_received: stream.retransmitted_packets_received,
                    retransmitted_bytes_received: stream.retransmitted_bytes_received,
                    rtx_ssrc: stream.rtx_ssrc,
                    last_packet_received_timestamp: stream.last_packet_received,
                    frames_received: stream.frames_received,
                    frames_dropped: stream.frames_dropped,
                });
            }
            let rtx = transceiver
                .negotiated
                .as_ref()
                .is_some_and(|n| n.codecs.iter().any(|c| c.rtx_payload_type.is_some()));
            for (layer, outbound) in transceiver.outbound.iter().enumerate() {
                let sent = transceiver.sends() && transceiver.layer_is_sent(layer);
                if outbound.packets_sent == 0 && !sent {
                    continue;
                }
                let id = format!("outbound-rtp-{}", outbound.ssrc);
                let remote_id = format!("remote-inbound-rtp-{}", outbound.ssrc);
                if let Some(remote) = &outbound.remote {
                    remote_inbound_rtp.push(RemoteInboundRtpStats {
                        id: remote_id.clone(),
                        ssrc: outbound.ssrc,
                        kind: transceiver.kind,
                        mid: transceiver.mid.clone(),
                        transport_id: TRANSPORT_ID.to_string(),
                        local_id: id.clone(),
                        timestamp: remote.last_report,
                        packets_lost: i64::from(remote.packets_lost),
                        fraction_lost: f64::from(remote.fraction_lost) / 256.0,
                        // In the units of what we send.
                        jitter: rtp_duration(remote.jitter, clock_rate(outbound.payload_type)),
                        round_trip_time: remote.round_trip_time,
                        total_round_trip_time: remote.total_round_trip_time,
                        round_trip_time_measurements: remote.round_trip_time_measurements,
                        reports_received: remote.reports_received,
                    });
                }
                outbound_rtp.push(OutboundRtpStats {
                    id,
                    ssrc: outbound.ssrc,
                    kind: transceiver.kind,
                    mid: transceiver.mid.clone(),
                    rid: outbound.rid,
                    transport_id: TRANSPORT_ID.to_string(),
                    rtx_ssrc: rtx.then_some(outbound.rtx_ssrc),
                    packets_sent: outbound.packets_sent,
                    bytes_sent: outbound.bytes_sent,
                    header_bytes_sent: outbound.header_bytes_sent,
                    retransmitted_packets_sent: outbound.retransmitted_packets_sent,
                    retransmitted_bytes_sent: outbound.retransmitted_bytes_sent,
                    nack_count: outbound.nack_count,
                    pli_count: outbound.pli_count,
                    fir_count: outbound.fir_count,
                    frames_sent: outbound.frames_sent,
                    remote_id: outbound.remote.is_some().then_some(remote_id),
                });
            }
        }
        let candidate_pair = self.ice.selected_pair(1).map(|(local, remote)| {
            let local_id = format!("candidate-local-{}", local.foundation());
            let remote_id = format!("candidate-remote-{}", remote.foundation());
            let pair = &self.counters.pair;
            CandidatePairStats {
                id: format!(
                    "candidate-pair-{}-{}",
                    local.foundation(),
                    remote.foundation()
                ),
                transport_id: TRANSPORT_ID.to_string(),
                local_candidate: IceCandidateStats::new(local_id.clone(), local),
                remote_candidate: IceCandidateStats::new(remote_id.clone(), remote),
                local_candidate_id: local_id,
                remote_candidate_id: remote_id,
                nominated: true,
                packets_sent: pair.packets_sent,
                packets_received: pair.packets_received,
                bytes_sent: pair.bytes_sent,
                bytes_received: pair.bytes_received,
                last_packet_sent_timestamp: pair.last_sent,
                last_packet_received_timestamp: pair.last_received,
            }
        });
        let transport = &self.counters.transport;
        let transport = TransportStats {
            id: TRANSPORT_ID.to_string(),
            packets_sent: transport.packets_sent,
            packets_received: transport.packets_received,
            bytes_sent: transport.bytes_sent,
            bytes_received: transport.bytes_received,
            ice_state: self.ice_state,
            dtls_state: self.dtls_state,
            dtls_role: self.signaling.dtls_role,
            srtp_cipher: self.srtp_profile(),
            selected_candidate_pair_id: candidate_pair.as_ref().map(|p| p.id.clone()),
            selected_candidate_pair_changes: self.counters.pair_changes,
            rtp_packets_discarded: self.counters.rtp_discarded,
        };
        Stats {
            timestamp: now,
            inbound_rtp,
            outbound_rtp,
            remote_inbound_rtp,
            candidate_pair,
            transport,
        }
    }
}
