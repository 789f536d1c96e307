//! Transceivers: one m-line each, with what we send (one stream, or one
//! per simulcast layer: SSRC, sequence numbers, timestamps, the MID and
//! rid header extensions of RFC 8843 and RFC 8852, the RTX stream that
//! repairs it) and what we agreed to receive (the streams we hear, see
//! [`crate::media`]), and the RTCP session that reports on both (RFC 3550
//! §6).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use sansrtc_rtp::ntp::NtpTime;
use sansrtc_rtp::rtcp::ReportBlock;
use sansrtc_rtp::rtp::{Builder, Element, ExtensionKind, ExtensionMap};
use sansrtc_rtp::session::{Session as RtcpSession, SessionConfig};
use sansrtc_sdp::Direction;
use sansrtc_sdp::negotiate::AgreedMedia;
use sansrtc_stun::rng::Rng;

use crate::event::{MediaKind, Mid};
use crate::frames::Packetizers;
use crate::media::{Inbound, Outbound};
use crate::simulcast::Rid;

/// The RTP header extension a transceiver writes on every packet: its mid
/// (RFC 8843 §15), so that BUNDLE can route it.
pub(crate) const MID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";

/// The id we offer for the MID extension.
pub(crate) const MID_EXTENSION_ID: u16 = 9;

/// The ids we offer for the rtp-stream-id and repaired-rtp-stream-id
/// extensions (RFC 8852 §4), the ones browsers use.
pub(crate) const RID_EXTENSION_ID: u16 = 10;
pub(crate) const REPAIRED_RID_EXTENSION_ID: u16 = 11;

/// Most RTX associations (`a=ssrc-group:FID`) kept from a remote
/// description.
pub(crate) const MAX_REMOTE_RTX: usize = 16;

/// A codec both sides agreed on for a transceiver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AgreedCodec {
    pub(crate) payload_type: u8,
    pub(crate) name: String,
    pub(crate) clock_rate: u32,
    pub(crate) rtx_payload_type: Option<u8>,
    /// `a=rtcp-fb:<pt> nack` (RFC 4585 §4.2): generic NACK.
    pub(crate) nack: bool,
    /// `a=rtcp-fb:<pt> nack pli`.
    pub(crate) pli: bool,
    /// `a=rtcp-fb:<pt> ccm fir` (RFC 5104 §7.1).
    pub(crate) fir: bool,
    /// H.264 `packetization-mode=1` (RFC 6184 §8.1); mode 0 otherwise.
    pub(crate) non_interleaved: bool,
}

/// What an offer/answer exchange settled for a transceiver.
#[derive(Debug, Clone)]
pub(crate) struct Negotiated {
    /// Our direction.
    pub(crate) direction: Direction,
    pub(crate) codecs: Vec<AgreedCodec>,
    /// Header extension ids both sides use.
    pub(crate) extensions: ExtensionMap,
    /// SSRCs the other side announced.
    pub(crate) remote_ssrcs: Vec<u32>,
    /// The other side's RTX streams (RFC 4588 §8.2, `a=ssrc-group:FID`):
    /// (media SSRC, RTX SSRC), at most [`MAX_REMOTE_RTX`].
    pub(crate) remote_rtx: Vec<(u32, u32)>,
    /// The simulcast layers we send (RFC 8853), at most
    /// [`MAX_SIMULCAST_LAYERS`](crate::MAX_SIMULCAST_LAYERS).
    pub(crate) send_rids: Vec<Rid>,
    /// The simulcast layers we receive.
    pub(crate) recv_rids: Vec<Rid>,
}

impl Negotiated {
    pub(crate) fn from_agreement(agreed: &AgreedMedia<'_>) -> Self {
        let codecs = agreed
            .codecs
            .iter()
            .map(|c| {
                let feedback = |kind: &str, parameters: Option<&str>| {
                    c.feedback.iter().any(|f| {
                        f.feedback_type.eq_ignore_ascii_case(kind)
                            && f.parameters.as_deref().map(str::trim) == parameters
                    })
                };
                AgreedCodec {
                    payload_type: c.payload_type,
                    name: c.name.to_string(),
                    clock_rate: c.clock_rate,
                    rtx_payload_type: c.rtx_payload_type,
                    nack: feedback("nack", None),
                    pli: feedback("nack", Some("pli")),
                    fir: feedback("ccm", Some("fir")),
                    non_interleaved: c.fmtp().get("packetization-mode") == Some("1"),
                }
            })
            .collect();
        let mut extensions = ExtensionMap::new();
        for extmap in &agreed.extensions {
            // An id the map refuses (0, or one id for two extensions) is
            // left out: packets carrying it are read without it.
            let _ = extensions.insert(extmap.id, &extmap.uri);
        }
        Self {
            direction: if agreed.accepted {
                agreed.direction
            } else {
                Direction::Inactive
            },
            codecs,
            extensions,
            remote_ssrcs: agreed.remote_ssrcs.clone(),
            remote_rtx: Vec::new(),
            send_rids: Vec::new(),
            recv_rids: Vec::new(),
        }
    }

    pub(crate) fn codec(&self, payload_type: u8) -> Option<&AgreedCodec> {
        self.codecs.iter().find(|c| c.payload_type == payload_type)
    }

    /// The codec an RTX payload type repairs.
    pub(crate) fn repaired_by(&self, rtx_payload_type: u8) -> Option<&AgreedCodec> {
        self.codecs
            .iter()
            .find(|c| c.rtx_payload_type == Some(rtx_payload_type))
    }

    /// Whether generic NACK was agreed for any codec: we then ask for lost
    /// packets, and keep what we send to answer the other side's.
    pub(crate) fn nack(&self) -> bool {
        self.codecs.iter().any(|c| c.nack)
    }

    /// The media SSRC an RTX SSRC repairs, from the other side's
    /// `a=ssrc-group:FID`.
    pub(crate) fn rtx_source(&self, rtx_ssrc: u32) -> Option<u32> {
        self.remote_rtx
            .iter()
            .find(|(_, rtx)| *rtx == rtx_ssrc)
            .map(|(media, _)| *media)
    }
}

/// What a transceiver's RTCP session starts from.
#[derive(Debug, Clone)]
struct RtcpSetup {
    cname: Vec<u8>,
    anchor: (Instant, NtpTime),
    interval: Duration,
    seed: sansrtc_stun::rng::Seed,
}

/// One transceiver.
#[derive(Debug)]
pub(crate) struct Transceiver {
    pub(crate) mid: Mid,
    pub(crate) kind: MediaKind,
    /// What the application wants.
    pub(crate) direction: Direction,
    /// After the last offer/answer exchange.
    pub(crate) negotiated: Option<Negotiated>,
    /// Our SSRC (RFC 3550 §8: random): the first stream we send, and the
    /// sender of our RTCP.
    pub(crate) ssrc: u32,
    /// The RTCP session, once media flows (its clock rate is the first
    /// packet's): reports on what we receive, and sender reports of the
    /// first stream we send.
    pub(crate) rtcp: Option<RtcpSession>,
    /// What the RTCP session starts from, once negotiated.
    rtcp_setup: Option<RtcpSetup>,
    /// The clock rate of the RTCP session (its jitter's units).
    pub(crate) rtcp_clock_rate: u32,
    /// The streams we send, never empty: one, or one per simulcast layer
    /// (the first one's SSRC is [`ssrc`](Self::ssrc)). Each has its
    /// counters, the packets kept to answer NACKs, what the other side
    /// reports about it.
    pub(crate) outbound: Vec<Outbound>,
    /// The streams we receive, most recently heard last.
    pub(crate) inbound: Vec<Inbound>,
    /// The media SSRC we heard from most recently (never an RTX one).
    pub(crate) remote_ssrc: Option<u32>,
    /// Received media goes through a jitter buffer and comes out as
    /// [`Event::Frame`](crate::Event::Frame).
    pub(crate) frames: bool,
    /// The packetizers [`Peer::write_frame`](crate::Peer::write_frame) made.
    pub(crate) packetizers: Packetizers,
}

impl Transceiver {
    pub(crate) fn new(mid: Mid, kind: MediaKind, direction: Direction, rng: &mut Rng) -> Self {
        let outbound = Outbound::random(rng);
        Self {
            mid,
            kind,
            direction,
            negotiated: None,
            ssrc: outbound.ssrc,
            rtcp: None,
            rtcp_setup: None,
            rtcp_clock_rate: 0,
            outbound: alloc::vec![outbound],
            inbound: Vec::new(),
            remote_ssrc: None,
            frames: false,
            packetizers: Packetizers::default(),
        }
    }

    /// Starts the RTCP session of stream `layer` we send (the
    /// transceiver's for the first), if it has not started, at the clock
    /// rate of `payload_type`'s codec (RFC 3550 §6.4.1: jitter and the RTP
    /// time of sender reports are in its units).
    pub(crate) fn start_rtcp(&mut self, now: Instant, layer: usize, payload_type: u8) {
        let started = match layer {
            0 => self.rtcp.is_some(),
            _ => self.outbound.get(layer).is_none_or(|o| o.rtcp.is_some()),
        };
        if started {
            return;
        }
        let Some(setup) = &self.rtcp_setup else {
            return;
        };
        let Some(clock_rate) = self
            .negotiated
            .as_ref()
            .and_then(|n| n.codec(payload_type).or_else(|| n.codecs.first()))
            .map(|c| c.clock_rate)
        else {
            return;
        };
        let Some(ssrc) = self.outbound.get(layer).map(|o| o.ssrc) else {
            return;
        };
        let mut config = SessionConfig::new(
            ssrc,
            &setup.cname,
            clock_rate,
            setup.anchor.1,
            setup.anchor.0,
        );
        config.min_interval = setup.interval;
        let mut seed = setup.seed;
        // Each layer's reports on a timer of its own.
        if let Some(first) = seed.first_mut() {
            *first ^= layer as u8;
        }
        config.seed = Some(seed);
        config.session_bandwidth = match self.kind {
            MediaKind::Audio => 64_000,
            _ => 2_000_000,
        };
        let session = RtcpSession::new(config, now);
        match (layer, self.outbound.get_mut(layer)) {
            (0, _) => {
                self.rtcp = Some(session);
                self.rtcp_clock_rate = clock_rate;
            }
            (_, Some(outbound)) => outbound.rtcp = Some(session),
            _ => {}
        }
    }

    /// Our RTX SSRC (RFC 4588 §8.2) of the first stream, announced with
    /// `a=ssrc-group:FID`.
    pub(crate) fn rtx_ssrc(&self) -> u32 {
        self.outbound.first().map_or(0, |o| o.rtx_ssrc)
    }

    /// Makes the transceiver send the simulcast layers `rids` (at least
    /// one): the first stream takes the first rid, each other gets a
    /// stream of its own.
    pub(crate) fn set_layers(&mut self, rids: &[Rid], rng: &mut Rng) {
        self.outbound.truncate(1);
        for (layer, rid) in rids.iter().enumerate() {
            if layer > 0 {
                self.outbound.push(Outbound::random(rng));
            }
            if let Some(outbound) = self.outbound.get_mut(layer) {
                outbound.rid = Some(*rid);
            }
        }
    }

    /// The simulcast layers we asked to send (empty without simulcast).
    pub(crate) fn rids(&self) -> Vec<Rid> {
        self.outbound.iter().filter_map(|o| o.rid).collect()
    }

    /// Whether the agreement has us send simulcast layers: the answer
    /// accepted at least one of ours.
    pub(crate) fn sends_simulcast(&self) -> bool {
        self.negotiated.as_ref().is_some_and(|n| {
            self.outbound
                .iter()
                .any(|o| o.rid.is_some_and(|rid| n.send_rids.contains(&rid)))
        })
    }

    /// Whether stream `layer` is sent: a simulcast layer the answer
    /// accepted, or, without simulcast, the first stream.
    pub(crate) fn layer_is_sent(&self, layer: usize) -> bool {
        if !self.sends_simulcast() {
            return layer == 0;
        }
        let Some(negotiated) = &self.negotiated else {
            return false;
        };
        self.outbound
            .get(layer)
            .and_then(|o| o.rid)
            .is_some_and(|rid| negotiated.send_rids.contains(&rid))
    }

    /// The stream we send on `ssrc`.
    pub(crate) fn layer_of(&self, ssrc: u32) -> Option<usize> {
        self.outbound.iter().position(|o| o.ssrc == ssrc)
    }

    /// When the next RTCP report of the transceiver is due.
    pub(crate) fn rtcp_timeout(&self) -> Option<Instant> {
        core::iter::once(self.rtcp.as_ref())
            .chain(self.outbound.iter().map(|o| o.rtcp.as_ref()))
            .flatten()
            .filter_map(RtcpSession::poll_timeout)
            .min()
    }

    /// Runs the RTCP sessions' timers and takes the reports due.
    pub(crate) fn poll_reports(&mut self, now: Instant, reports: &mut Vec<Vec<u8>>) {
        let sessions = core::iter::once(self.rtcp.as_mut())
            .chain(self.outbound.iter_mut().map(|o| o.rtcp.as_mut()))
            .flatten();
        for session in sessions {
            session.handle_timeout(now);
            while let Some(report) = session.poll_transmit() {
                reports.push(report);
            }
        }
    }

    /// Gives a received RTCP compound to every RTCP session: each takes
    /// the blocks about its own source and the sender reports of the
    /// sources it receives.
    pub(crate) fn handle_rtcp_receive(&mut self, now: Instant, plain: &[u8]) {
        let sessions = core::iter::once(self.rtcp.as_mut())
            .chain(self.outbound.iter_mut().map(|o| o.rtcp.as_mut()))
            .flatten();
        for session in sessions {
            let _ = session.handle_rtcp_receive(now, plain);
        }
    }

    /// A report block about one of the streams we send (received at
    /// `now`, compact NTP `arrival`): `None` when it is about none of
    /// ours, else the round-trip time it measured, if any. A block about
    /// an RTX stream only tells that the other side knows it.
    pub(crate) fn handle_report_block(
        &mut self,
        now: Instant,
        arrival: u32,
        block: &ReportBlock,
    ) -> Option<Option<Duration>> {
        if let Some(outbound) = self.outbound.iter_mut().find(|o| o.ssrc == block.ssrc) {
            return Some(outbound.handle_report_block(now, arrival, block));
        }
        let outbound = self
            .outbound
            .iter_mut()
            .find(|o| o.rtx_ssrc == block.ssrc)?;
        outbound.rtx_reported = true;
        Some(None)
    }

    /// Whether the agreed direction lets us send.
    pub(crate) fn sends(&self) -> bool {
        self.negotiated
            .as_ref()
            .is_some_and(|n| n.direction.sends())
    }

    /// Applies a new agreement: readies the RTCP session (it starts with
    /// the first packet sent or received, at its codec's clock rate),
    /// keeps the last `retransmission_capacity` packets sent when NACK was
    /// agreed, and forgets the streams of simulcast layers no longer
    /// received (their packets are refused from then on, as any rid not
    /// agreed).
    pub(crate) fn negotiate(
        &mut self,
        negotiated: Negotiated,
        cname: &str,
        anchor: (Instant, NtpTime),
        rtcp_interval: Duration,
        retransmission_capacity: usize,
        rng: &mut Rng,
    ) {
        if self.rtcp_setup.is_none() {
            self.rtcp_setup = Some(RtcpSetup {
                cname: cname.as_bytes().to_vec(),
                anchor,
                interval: rtcp_interval,
                seed: rng.next_seed(),
            });
        }
        if negotiated.nack() && negotiated.direction.sends() {
            for outbound in &mut self.outbound {
                outbound.keep_sent(retransmission_capacity);
            }
        }
        self.packetizers.retain(|pt| negotiated.codec(pt).is_some());
        self.inbound
            .retain(|s| s.rid.is_none_or(|rid| negotiated.recv_rids.contains(&rid)));
        self.negotiated = Some(negotiated);
    }

    /// Writes the header and `payload` of the next RTP packet of stream
    /// `layer` into `buf`; returns its length.
    ///
    /// A single stream carries the MID on every packet. A simulcast layer
    /// carries the MID and its rid until the other side reports on it
    /// (RFC 8852 §4: from then on its SSRC names it), as browsers do.
    pub(crate) fn write_rtp(
        &mut self,
        buf: &mut [u8],
        layer: usize,
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Option<usize> {
        let simulcast = self.sends_simulcast();
        let negotiated = self.negotiated.as_ref()?;
        let outbound = self.outbound.get(layer)?;
        let mid_id = negotiated.extensions.id(ExtensionKind::Mid);
        let rid_id = negotiated.extensions.id(ExtensionKind::Rid);
        let rid = outbound.rid;
        let named = !simulcast || outbound.remote.is_none();
        let mut elements = [Element::new(0, &[]); 2];
        let mut count = 0;
        let wanted = [
            mid_id.filter(|_| named).map(|id| (id, self.mid.as_bytes())),
            rid_id
                .zip(rid.as_ref())
                .filter(|_| simulcast && named)
                .map(|(id, rid)| (id, rid.as_bytes())),
        ];
        for (id, data) in wanted.into_iter().flatten() {
            if let Some(slot) = elements.get_mut(count) {
                *slot = Element::new(id, data);
                count += 1;
            }
        }
        let mut builder = Builder::new()
            .payload_type(payload_type)
            .sequence_number(outbound.sequence_number)
            .timestamp(timestamp.wrapping_add(outbound.timestamp_offset))
            .ssrc(outbound.ssrc)
            .marker(marker)
            .payload(payload);
        if let Some(elements) = elements.get(..count).filter(|e| !e.is_empty()) {
            builder = builder.extensions(elements);
        }
        let len = builder.write_to(buf).ok()?;
        let outbound = self.outbound.get_mut(layer)?;
        outbound.sequence_number = outbound.sequence_number.wrapping_add(1);
        outbound.packets_sent += 1;
        outbound.bytes_sent += payload.len() as u64;
        outbound.header_bytes_sent += (len - payload.len()) as u64;
        Some(len)
    }
}
