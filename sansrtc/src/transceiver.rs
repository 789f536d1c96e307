//! Transceivers: one m-line each, with what we send (our SSRC, sequence
//! numbers, timestamps, the MID header extension of RFC 8843, the RTX
//! stream that repairs it) and what we agreed to receive (the streams we
//! hear, see [`crate::media`]), and the RTCP session that reports on both
//! (RFC 3550 §6).

use alloc::string::String;
use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use sansrtc_rtp::ntp::NtpTime;
use sansrtc_rtp::rtp::{Builder, Element, ExtensionKind, ExtensionMap};
use sansrtc_rtp::session::{Session as RtcpSession, SessionConfig};
use sansrtc_sdp::Direction;
use sansrtc_sdp::negotiate::AgreedMedia;
use sansrtc_stun::rng::Rng;

use crate::event::{MediaKind, Mid};
use crate::frames::Packetizers;
use crate::media::{Inbound, Outbound};

/// The RTP header extension a transceiver writes on every packet: its mid
/// (RFC 8843 §15), so that BUNDLE can route it.
pub(crate) const MID_URI: &str = "urn:ietf:params:rtp-hdrext:sdes:mid";

/// The id we offer for the MID extension.
pub(crate) const MID_EXTENSION_ID: u16 = 9;

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
    /// Our SSRC (RFC 3550 §8: random).
    pub(crate) ssrc: u32,
    pub(crate) sequence_number: u16,
    /// Added to the application's timestamps (RFC 3550 §5.1: a random
    /// start).
    pub(crate) timestamp_offset: u32,
    /// The RTCP session, once media flows (its clock rate is the first
    /// packet's).
    pub(crate) rtcp: Option<RtcpSession>,
    /// What the RTCP session starts from, once negotiated.
    rtcp_setup: Option<RtcpSetup>,
    /// The clock rate of the RTCP session (its jitter's units).
    pub(crate) rtcp_clock_rate: u32,
    /// What we sent: counters, the packets kept to answer NACKs, what
    /// the other side reports about them.
    pub(crate) outbound: Outbound,
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
        Self {
            mid,
            kind,
            direction,
            negotiated: None,
            ssrc: rng.next_u32(),
            sequence_number: (rng.next_u32() & 0x7fff) as u16,
            timestamp_offset: rng.next_u32(),
            rtcp: None,
            rtcp_setup: None,
            rtcp_clock_rate: 0,
            outbound: Outbound::new(rng.next_u32(), (rng.next_u32() & 0x7fff) as u16),
            inbound: Vec::new(),
            remote_ssrc: None,
            frames: false,
            packetizers: Packetizers::default(),
        }
    }

    /// Starts the RTCP session, if it has not started, at the clock rate of
    /// `payload_type`'s codec (RFC 3550 §6.4.1: jitter and the RTP time of
    /// sender reports are in its units).
    pub(crate) fn start_rtcp(&mut self, now: Instant, payload_type: u8) {
        if self.rtcp.is_some() {
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
        let mut config = SessionConfig::new(
            self.ssrc,
            &setup.cname,
            clock_rate,
            setup.anchor.1,
            setup.anchor.0,
        );
        config.min_interval = setup.interval;
        config.seed = Some(setup.seed);
        config.session_bandwidth = match self.kind {
            MediaKind::Audio => 64_000,
            _ => 2_000_000,
        };
        self.rtcp = Some(RtcpSession::new(config, now));
        self.rtcp_clock_rate = clock_rate;
    }

    /// Our RTX SSRC (RFC 4588 §8.2), announced with `a=ssrc-group:FID`.
    pub(crate) const fn rtx_ssrc(&self) -> u32 {
        self.outbound.rtx_ssrc
    }

    /// Whether the agreed direction lets us send.
    pub(crate) fn sends(&self) -> bool {
        self.negotiated
            .as_ref()
            .is_some_and(|n| n.direction.sends())
    }

    /// Applies a new agreement: readies the RTCP session (it starts with
    /// the first packet sent or received, at its codec's clock rate), and
    /// keeps the last `retransmission_capacity` packets sent when NACK was
    /// agreed.
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
            self.outbound.keep_sent(retransmission_capacity);
        }
        self.packetizers.retain(|pt| negotiated.codec(pt).is_some());
        self.negotiated = Some(negotiated);
    }

    /// Writes the header and `payload` of our next RTP packet into `buf`;
    /// returns its length.
    pub(crate) fn write_rtp(
        &mut self,
        buf: &mut [u8],
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Option<usize> {
        let negotiated = self.negotiated.as_ref()?;
        let mid_id = negotiated.extensions.id(ExtensionKind::Mid);
        let element;
        let elements;
        let mut builder = Builder::new()
            .payload_type(payload_type)
            .sequence_number(self.sequence_number)
            .timestamp(timestamp.wrapping_add(self.timestamp_offset))
            .ssrc(self.ssrc)
            .marker(marker)
            .payload(payload);
        if let Some(id) = mid_id {
            element = [Element::new(id, self.mid.as_bytes())];
            elements = &element[..];
            builder = builder.extensions(elements);
        }
        let len = builder.write_to(buf).ok()?;
        self.sequence_number = self.sequence_number.wrapping_add(1);
        self.outbound.packets_sent += 1;
        self.outbound.bytes_sent += payload.len() as u64;
        self.outbound.header_bytes_sent += (len - payload.len()) as u64;
        Some(len)
    }
}
