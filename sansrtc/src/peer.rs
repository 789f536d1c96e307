//! The peer connection: its configuration, its state, and the drive loop
//! that ties ICE, DTLS, SRTP and RTP together.
//!
//! Every datagram goes to the ICE agent first; what ICE hands back as
//! application data is demultiplexed (RFC 7983) to DTLS or, once DTLS has
//! keyed SRTP, to SRTP and SRTCP. Everything we send (DTLS records, SRTP,
//! SRTCP) goes out through the agent on the selected pair, wrapped for the
//! TURN server when that pair's local candidate is relayed.
//!
//! - <https://www.rfc-editor.org/rfc/rfc8829> (JSEP)
//! - <https://www.rfc-editor.org/rfc/rfc8834> (media transport)
//! - <https://www.rfc-editor.org/rfc/rfc8835> (transports)

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use sansrtc_dtls::{Certificate, Endpoint};
use sansrtc_ice::{Agent, ConnectionEvent, Handled, LocalSocket, Receive, Transmit, TurnServer};
use sansrtc_rtp::ntp::NtpTime;
use sansrtc_rtp::payload::Payloads;
use sansrtc_rtp::rtcp::{Compound, Packet as RtcpPacket};
use sansrtc_sdp::Direction;
use sansrtc_sdp::negotiate::Codec;
use sansrtc_srtp::{KeyingMaterial, ProtectionProfile, Session as SrtpSession};
use sansrtc_stun::drive::Queue;
use sansrtc_stun::rng::{Rng, Seed};

use crate::demux::{self, Packet};
use crate::event::{
    ConnectionState, DtlsState, Error, Event, Failure, IceConnectionState, KeyframeRequest,
    MediaKind, Mid, RecvError, SignalingState,
};
use crate::media::MAX_NACKED_PER_PACKET;
use crate::stats::TransportCounters;
use crate::transceiver::Transceiver;

/// Most transceivers a peer connection has.
pub const MAX_TRANSCEIVERS: usize = 64;

/// Most events waiting in [`Peer::poll_event`]; further received media is
/// dropped ([`RecvError::QueueFull`]) and counted in [`Peer::overflow`].
/// Data-channel messages are never dropped: they wait in SCTP, whose
/// receive window holds the sender back, until there is room.
pub const MAX_QUEUED_EVENTS: usize = 1024;

/// The largest datagram the peer writes or reads: an Ethernet MTU less the
/// IPv6 and UDP headers, with room for the SRTP tag and MKI.
pub const MAX_DATAGRAM: usize = 1500;

/// The packets an audio transceiver keeps to answer NACKs by default
/// ([`Config::audio_retransmission_capacity`]): 2.5 s of 20 ms packets.
pub const DEFAULT_AUDIO_RETRANSMISSION_CAPACITY: usize = 128;

/// The packets a video transceiver keeps to answer NACKs by default
/// ([`Config::video_retransmission_capacity`]).
pub const DEFAULT_VIDEO_RETRANSMISSION_CAPACITY: usize = 1024;

/// How a [`Peer`] behaves: start from [`Config::new`] and set what differs.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    /// The DTLS certificate; `None` generates a fresh ECDSA P-256 one.
    /// Browsers keep one per origin and reuse it: pass the same one to
    /// many peers to do the same.
    pub certificate: Option<Certificate>,
    /// The seed of every random value (ICE credentials and tie-breaker,
    /// SSRCs, sequence numbers, timestamps): `None` (the default) takes it
    /// from the operating system; `Some` makes a run reproducible (tests,
    /// simulations).
    pub seed: Option<Seed>,
    /// STUN servers for server-reflexive candidates.
    pub stun_servers: Vec<SocketAddr>,
    /// TURN servers for relayed candidates.
    pub turn_servers: Vec<TurnServer>,
    /// Be an ICE-lite agent (a server with a public address).
    pub ice_lite: bool,
    /// Audio codecs we offer and accept, in order of preference.
    pub audio_codecs: Vec<Codec<'static>>,
    /// Video codecs we offer and accept, in order of preference.
    pub video_codecs: Vec<Codec<'static>>,
    /// SRTP profiles DTLS may negotiate.
    pub srtp_profiles: Vec<ProtectionProfile>,
    /// The CNAME of our RTP sources (RFC 7022: random by default).
    pub cname: Option<String>,
    /// The minimum interval between RTCP reports (RFC 3550: 5 s; WebRTC
    /// stacks report every second).
    pub rtcp_interval: Duration,
    /// The wallclock at an instant, for the NTP time of sender reports:
    /// the peer never reads a clock. `None` counts NTP time from the
    /// instant the peer was made.
    pub ntp_anchor: Option<(Instant, NtpTime)>,
    /// The largest RTP payload [`Peer::write_frame`] makes
    /// ([`DEFAULT_MAX_PAYLOAD_LEN`](crate::DEFAULT_MAX_PAYLOAD_LEN) bytes
    /// by default). With the RTP header, the MID extension and the SRTP
    /// tag, a packet must fit in [`MAX_DATAGRAM`].
    pub max_payload_len: usize,
    /// Packets an audio transceiver keeps to answer NACKs (RFC 4585
    /// §6.2.1) when NACK is agreed, at most
    /// [`rtx::MAX_CAPACITY`](sansrtc_rtp::rtp::rtx::MAX_CAPACITY); each
    /// takes the size of its packet.
    pub audio_retransmission_capacity: usize,
    /// The same for a video transceiver.
    pub video_retransmission_capacity: usize,
    /// Transceivers start in frame mode ([`Peer::receive_frames`]).
    pub receive_frames: bool,
    /// How the jitter buffers of frame mode wait for missing packets and
    /// ask for keyframes (whether they count on NACK follows the
    /// agreement).
    pub jitter_buffer: sansrtc_rtp::jitter::JitterConfig,
}

impl Config {
    /// The defaults: Opus and PCMU for audio, VP8, VP9, H.264 and AV1 with
    /// RTX for video, every SRTP profile, randomness from the operating
    /// system, a generated certificate.
    pub fn new() -> Self {
        Self {
            certificate: None,
            seed: None,
            stun_servers: Vec::new(),
            turn_servers: Vec::new(),
            ice_lite: false,
            audio_codecs: Codec::default_audio(),
            video_codecs: Codec::default_video(),
            srtp_profiles: ProtectionProfile::ALL.to_vec(),
            cname: None,
            rtcp_interval: Duration::from_secs(1),
            ntp_anchor: None,
            max_payload_len: crate::frames::DEFAULT_MAX_PAYLOAD_LEN,
            audio_retransmission_capacity: DEFAULT_AUDIO_RETRANSMISSION_CAPACITY,
            video_retransmission_capacity: DEFAULT_VIDEO_RETRANSMISSION_CAPACITY,
            receive_frames: false,
            jitter_buffer: sansrtc_rtp::jitter::JitterConfig::default(),
        }
    }
}

impl Default for Config {
    fn default() -> Self {
        Self::new()
    }
}

/// The SRTP contexts once DTLS has keyed them.
#[derive(Debug)]
pub(crate) struct Srtp {
    pub(crate) profile: ProtectionProfile,
    /// Protects what we send (RTP and RTCP).
    pub(crate) outbound: SrtpSession,
    /// Unprotects what we receive.
    pub(crate) inbound: SrtpSession,
}

/// A sans-IO WebRTC peer connection. See the [crate docs](crate) for the
/// drive loop.
#[derive(Debug)]
pub struct Peer {
    pub(crate) config: Config,
    pub(crate) rng: Rng,
    pub(crate) now: Instant,
    pub(crate) anchor: (Instant, NtpTime),
    pub(crate) cname: String,
    pub(crate) ice: Agent,
    pub(crate) dtls: Endpoint,
    pub(crate) dtls_started: bool,
    pub(crate) srtp: Option<Srtp>,
    pub(crate) transceivers: Vec<Transceiver>,
    pub(crate) signaling: crate::jsep::Signaling,
    pub(crate) data: crate::data::DataChannels,
    pub(crate) events: Queue<Event>,
    pub(crate) ice_state: IceConnectionState,
    pub(crate) dtls_state: DtlsState,
    pub(crate) connection_state: ConnectionState,
    /// Scratch space to protect and unprotect in, reused for every packet.
    pub(crate) buffer: Vec<u8>,
    /// Scratch space to rebuild received packets in (frame mode).
    pub(crate) scratch: Vec<u8>,
    /// Scratch list of sequence numbers to NACK.
    pub(crate) lost: Vec<u16>,
    /// Scratch payloads of [`write_frame`](Self::write_frame).
    pub(crate) payloads: Payloads,
    /// Pooled memory the payloads of [`Event::Media`] are copied into.
    pub(crate) payloads_received: crate::media::PayloadPool,
    /// The last round-trip time measured from RTCP reports.
    pub(crate) rtt: Option<Duration>,
    /// What ICE carried for us.
    pub(crate) counters: TransportCounters,
    pub(crate) closed: bool,
    /// What was queued to send when [`Peer::close`] closed the agent
    /// (which drops its queue): the last RTCP and DTLS's close_notify.
    pub(crate) closing: alloc::collections::VecDeque<Transmit>,
}

impl Peer {
    /// A peer connection with no transceivers and no sockets yet.
    pub fn new(config: Config, now: Instant) -> Result<Self, Error> {
        let mut rng = Rng::new(config.seed);
        let certificate = match &config.certificate {
            Some(certificate) => certificate.clone(),
            None => Certificate::generate().map_err(|e| Error::Certificate(e.to_string()))?,
        };
        let mut dtls_config = sansrtc_dtls::Config::builder(certificate)
            .srtp_profiles(&config.srtp_profiles)
            .seed(rng.next_seed());
        if config.srtp_profiles.is_empty() {
            dtls_config = dtls_config.require_srtp(false);
        }
        let dtls_config = dtls_config
            .build()
            .map_err(|e| Error::Certificate(e.to_string()))?;
        let dtls = Endpoint::new(dtls_config, now);
        let mut ice_config = sansrtc_ice::Config::new(true);
        ice_config.lite = config.ice_lite;
        ice_config.seed = Some(rng.next_seed());
        ice_config.stun_servers = config.stun_servers.clone();
        ice_config.turn_servers = config.turn_servers.clone();
        let ice = Agent::new(ice_config, now);
        let cname = config
            .cname
            .clone()
            .unwrap_or_else(|| crate::jsep::random_token(&mut rng, 16));
        let anchor = config
            .ntp_anchor
            .unwrap_or((now, NtpTime::from_parts(0, 0)));
        let signaling = crate::jsep::Signaling::new(&mut rng);
        Ok(Self {
            config,
            rng,
            now,
            anchor,
            cname,
            ice,
            dtls,
            dtls_started: false,
            srtp: None,
            transceivers: Vec::new(),
            signaling,
            data: crate::data::DataChannels::default(),
            events: Queue::new(MAX_QUEUED_EVENTS),
            ice_state: IceConnectionState::New,
            dtls_state: DtlsState::New,
            connection_state: ConnectionState::New,
            buffer: alloc::vec![0u8; MAX_DATAGRAM + 64],
            scratch: alloc::vec![0u8; MAX_DATAGRAM + 64],
            lost: Vec::new(),
            payloads: Payloads::new(),
            payloads_received: crate::media::PayloadPool::default(),
            rtt: None,
            counters: TransportCounters::default(),
            closed: false,
            closing: alloc::collections::VecDeque::new(),
        })
    }

    // ----------------------------------------------------------------- inputs

    /// Handles a datagram received on one of the caller's sockets (or one
    /// message framed out of a TCP stream to a TURN server).
    pub fn handle_receive(&mut self, now: Instant, packet: Receive<'_>) -> Result<(), RecvError> {
        self.advance(now);
        let handled = self.ice.handle_receive(now, packet);
        let result = match handled {
            Ok(Handled::Data(data)) => {
                self.counters.received(now, data.contents.len());
                self.receive_data(now, data.contents)
            }
            Ok(_) => Ok(()),
            Err(error) => Err(RecvError::Ice(error)),
        };
        self.pump(now);
        result
    }

    /// Handles the passage of time: ICE checks and consent, DTLS
    /// retransmissions, RTCP reports. Calling it early or twice is
    /// harmless.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        self.ice.handle_timeout(now);
        self.dtls.handle_timeout(now);
        if let Some(association) = &mut self.data.association {
            association.handle_timeout(now);
        }
        for index in 0..self.transceivers.len() {
            self.send_reports(now, index);
            self.send_nacks(now, index);
        }
        self.handle_assembly_timeouts(now);
        self.pump(now);
    }

    /// Reports an ICE-TCP connection to the agent (see [`sansrtc_ice::tcp`]):
    /// one accepted on a passive socket, one opened (or not) for an
    /// [`OpenConnection`](sansrtc_ice::Event::OpenConnection) request, or
    /// one the other side closed. An `Err` means the agent does not take
    /// the connection: close it.
    pub fn handle_connection(&mut self, now: Instant, event: ConnectionEvent) -> Result<(), Error> {
        self.advance(now);
        let result = self
            .ice
            .handle_connection(now, event)
            .map_err(|e| Error::Ice(e.to_string()));
        self.pump(now);
        result
    }

    // --------------------------------------------------------------- commands

    /// Adds a local socket for ICE (its host candidate, and server-reflexive
    /// and relayed ones through the configured servers).
    pub fn add_local_socket(&mut self, socket: LocalSocket) -> Result<(), Error> {
        self.ice
            .add_local_socket(socket)
            .map_err(|e| Error::Ice(e.to_string()))?;
        let now = self.now;
        self.pump(now);
        Ok(())
    }

    /// Adds a transceiver that sends and receives `kind` (or only one of
    /// the two, with `direction`); it goes into the next offer. Returns its
    /// mid.
    pub fn add_transceiver(&mut self, kind: MediaKind, direction: Direction) -> Result<Mid, Error> {
        self.check_open()?;
        if self.transceivers.len() >= MAX_TRANSCEIVERS {
            return Err(Error::TooManyTransceivers);
        }
        let mid = self
            .signaling
            .next_mid(&self.transceivers, self.data.mid.as_deref());
        let mut transceiver = Transceiver::new(mid.clone(), kind, direction, &mut self.rng);
        transceiver.frames = self.config.receive_frames;
        self.transceivers.push(transceiver);
        Ok(mid)
    }

    /// Changes what a transceiver wants to do; takes effect at the next
    /// offer or answer.
    pub fn set_direction(&mut self, mid: &str, direction: Direction) -> Result<(), Error> {
        let transceiver = self
            .transceivers
            .iter_mut()
            .find(|t| t.mid == mid)
            .ok_or_else(|| Error::UnknownMid(mid.to_string()))?;
        transceiver.direction = direction;
        Ok(())
    }

    /// Adds a remote ICE candidate (`candidate:...`, with or without the
    /// prefix, as trickle ICE delivers it).
    pub fn add_remote_candidate(&mut self, candidate: &str) -> Result<(), Error> {
        let candidate = candidate
            .trim()
            .trim_start_matches("a=")
            .parse()
            .map_err(|e: sansrtc_ice::CandidateError| Error::Ice(e.to_string()))?;
        self.ice
            .add_remote_candidate(candidate)
            .map_err(|e| Error::Ice(e.to_string()))?;
        let now = self.now;
        self.pump(now);
        Ok(())
    }

    /// The other side has no more candidates.
    pub fn end_of_remote_candidates(&mut self) {
        self.ice.end_of_remote_candidates();
        let now = self.now;
        self.pump(now);
    }

    /// Sends an RTP packet on a transceiver: the peer fills in our SSRC,
    /// the next sequence number, `timestamp` plus our random offset and the
    /// MID header extension, then protects it with SRTP. On a transceiver
    /// that sends simulcast it goes to the first layer sent
    /// ([`write_rtp_rid`](Self::write_rtp_rid) picks one).
    pub fn write_rtp(
        &mut self,
        now: Instant,
        mid: &str,
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        self.check_open()?;
        self.advance(now);
        let index = self.sending_index(mid, payload_type)?;
        let layer = self.sending_layer(index, None)?;
        self.send_rtp(now, index, layer, payload_type, timestamp, marker, payload)?;
        self.pump(now);
        Ok(())
    }

    /// Asks the other side for a keyframe on a transceiver we receive on
    /// (an RTCP PLI, RFC 4585 §6.3.1). On a transceiver that receives
    /// simulcast it is about the stream heard most recently;
    /// [`request_keyframe_for`](Self::request_keyframe_for) names a layer.
    pub fn request_keyframe(&mut self, now: Instant, mid: &str) -> Result<(), Error> {
        self.advance(now);
        let index = self.index_of(mid)?;
        self.send_keyframe_request(now, index, None, KeyframeRequest::Pli)?;
        self.pump(now);
        Ok(())
    }

    /// Closes the connection: RTCP BYE on every transceiver we send on,
    /// DTLS close_notify, ICE closed. Keep driving the peer until
    /// [`poll_timeout`](Self::poll_timeout) is `None` so that TURN
    /// allocations are released.
    pub fn close(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        self.advance(now);
        for index in 0..self.transceivers.len() {
            self.send_bye(now, index);
        }
        if let Some(association) = &mut self.data.association {
            // SCTP SHUTDOWN, then DTLS close_notify (RFC 8831 §6.2).
            let _ = association.shutdown(now);
        }
        self.pump_data(now);
        self.dtls.close();
        self.flush_dtls(now);
        while let Some(transmit) = self.ice.poll_transmit() {
            self.closing.push_back(transmit);
        }
        self.closed = true;
        self.ice.close();
        self.signaling.close();
        self.event(Event::SignalingState(SignalingState::Closed));
        self.set_dtls_state(DtlsState::Closed);
        self.update_connection_state();
        self.pump(now);
    }

    // ---------------------------------------------------------------- outputs

    /// The next packet to send: from the local socket `source` to
    /// `destination`.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.closing
            .pop_front()
            .or_else(|| self.ice.poll_transmit())
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let sctp = if self.data.held_back {
            Some(self.now)
        } else {
            self.data
                .association
                .as_ref()
                .and_then(sansrtc_datachannel::Association::poll_timeout)
        };
        let mut earliest = [self.ice.poll_timeout(), self.dtls.poll_timeout(), sctp]
            .into_iter()
            .flatten()
            .min();
        let mut consider = |deadline: Option<Instant>| {
            if let Some(deadline) = deadline {
                earliest = Some(earliest.map_or(deadline, |e| e.min(deadline)));
            }
        };
        let media = !self.closed && self.srtp.is_some();
        for transceiver in &self.transceivers {
            if media && transceiver.negotiated.is_some() {
                consider(transceiver.rtcp_timeout());
            }
            for stream in &transceiver.inbound {
                if media {
                    consider(stream.nack.as_ref().and_then(|n| n.poll_timeout()));
                }
                if !self.closed {
                    consider(stream.assembly.as_ref().and_then(|a| a.poll_timeout()));
                }
            }
        }
        earliest
    }

    /// The next event.
    ///
    /// Taking one out makes room for data-channel events that waited in
    /// the association; a window update this frees goes out on the next
    /// [`handle_timeout`](Self::handle_timeout), which
    /// [`poll_timeout`](Self::poll_timeout) then asks for at once.
    pub fn poll_event(&mut self) -> Option<Event> {
        let event = self.events.pop();
        self.pull_data_events();
        event.or_else(|| self.events.pop())
    }

    // ---------------------------------------------------------------- getters

    /// The signaling state.
    pub fn signaling_state(&self) -> SignalingState {
        self.signaling.state
    }

    /// The ICE connection state.
    pub const fn ice_connection_state(&self) -> IceConnectionState {
        self.ice_state
    }

    /// The DTLS state.
    pub const fn dtls_state(&self) -> DtlsState {
        self.dtls_state
    }

    /// The connection state.
    pub const fn connection_state(&self) -> ConnectionState {
        self.connection_state
    }

    /// Our certificate's fingerprint, as `a=fingerprint` carries it.
    pub fn fingerprint(&self) -> String {
        self.dtls.local_fingerprint().to_string()
    }

    /// Our DTLS role (client or server), once the offer/answer exchange
    /// settled it from both sides' `a=setup` (RFC 8842 §5).
    pub fn dtls_role(&self) -> Option<sansrtc_dtls::DtlsRole> {
        self.signaling.dtls_role
    }

    /// The negotiated SRTP profile, once keyed.
    pub fn srtp_profile(&self) -> Option<ProtectionProfile> {
        self.srtp.as_ref().map(|s| s.profile)
    }

    /// The mids of the transceivers, in m-line order.
    pub fn mids(&self) -> impl Iterator<Item = &str> {
        self.transceivers.iter().map(|t| t.mid.as_str())
    }

    /// The payload types agreed for a transceiver, with their encoding
    /// names and clock rates, in the answer's order of preference.
    pub fn codecs(&self, mid: &str) -> Vec<(u8, String, u32)> {
        self.transceivers
            .iter()
            .find(|t| t.mid == mid)
            .and_then(|t| t.negotiated.as_ref())
            .map(|n| {
                n.codecs
                    .iter()
                    .map(|c| (c.payload_type, c.name.clone(), c.clock_rate))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The ICE agent, for its candidates, pairs and credentials.
    pub const fn ice(&self) -> &Agent {
        &self.ice
    }

    /// Events dropped because the caller did not drain
    /// [`poll_event`](Self::poll_event), and packets the ICE agent dropped.
    pub fn overflow(&self) -> sansrtc_stun::Overflow {
        let ice = self.ice.overflow();
        sansrtc_stun::Overflow {
            transmits: ice.transmits,
            events: ice.events + self.events.dropped(),
        }
    }

    // -------------------------------------------------------------- internals

    pub(crate) fn advance(&mut self, now: Instant) {
        if now > self.now {
            self.now = now;
        }
    }

    pub(crate) fn check_open(&self) -> Result<(), Error> {
        if self.closed {
            Err(Error::Closed)
        } else {
            Ok(())
        }
    }

    pub(crate) fn event(&mut self, event: Event) {
        self.events.push(event);
    }

    pub(crate) fn index_of(&self, mid: &str) -> Result<usize, Error> {
        self.transceivers
            .iter()
            .position(|t| t.mid == mid)
            .ok_or_else(|| Error::UnknownMid(mid.to_string()))
    }

    /// The transceiver `mid` if it may send `payload_type`.
    pub(crate) fn sending_index(&self, mid: &str, payload_type: u8) -> Result<usize, Error> {
        let index = self.index_of(mid)?;
        let transceiver = self
            .transceivers
            .get(index)
            .ok_or_else(|| Error::UnknownMid(mid.to_string()))?;
        if !transceiver.sends() {
            return Err(Error::NotSending(mid.to_string()));
        }
        if transceiver
            .negotiated
            .as_ref()
            .and_then(|n| n.codec(payload_type))
            .is_none()
        {
            return Err(Error::PayloadType(payload_type));
        }
        Ok(index)
    }

    /// Writes, keeps (for NACKs), protects and sends one RTP packet of
    /// stream `layer` of a transceiver that may send `payload_type`.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn send_rtp(
        &mut self,
        now: Instant,
        index: usize,
        layer: usize,
        payload_type: u8,
        timestamp: u32,
        marker: bool,
        payload: &[u8],
    ) -> Result<(), Error> {
        let Some(srtp) = &mut self.srtp else {
            return Err(Error::NotConnected);
        };
        let transceiver = self
            .transceivers
            .get_mut(index)
            .ok_or(Error::NotConnected)?;
        let room = self
            .buffer
            .len()
            .saturating_sub(srtp.outbound.rtp_overhead());
        let buf = self.buffer.get_mut(..room).ok_or(Error::TooLarge)?;
        let len = transceiver
            .write_rtp(buf, layer, payload_type, timestamp, marker, payload)
            .ok_or(Error::TooLarge)?;
        transceiver.start_rtcp(now, layer, payload_type);
        let rtcp = transceiver.rtcp.as_mut();
        let Some(outbound) = transceiver.outbound.get_mut(layer) else {
            return Err(Error::NotConnected);
        };
        if let Some(resend) = &mut outbound.resend {
            // A packet too large to keep is sent all the same.
            let _ = resend.store(buf.get(..len).unwrap_or_default());
        }
        outbound.last_packet_sent = Some(now);
        outbound.payload_type = Some(payload_type);
        let rtp_timestamp = timestamp.wrapping_add(outbound.timestamp_offset);
        let rtcp = if layer == 0 {
            rtcp
        } else {
            outbound.rtcp.as_mut()
        };
        if let Some(rtcp) = rtcp {
            rtcp.handle_rtp_send(now, rtp_timestamp, payload.len());
        }
        let len = srtp
            .outbound
            .protect_rtp(&mut self.buffer, len)
            .map_err(|_| Error::TooLarge)?;
        self.send(now, len)
    }

    /// Sends a keyframe request about a stream we receive on a
    /// transceiver (`media_ssrc`, or the one heard last): `request` if the
    /// other side agreed to it (`a=rtcp-fb` `nack pli` or `ccm fir`), else
    /// the other kind if agreed, else a PLI.
    pub(crate) fn send_keyframe_request(
        &mut self,
        now: Instant,
        index: usize,
        media_ssrc: Option<u32>,
        request: KeyframeRequest,
    ) -> Result<(), Error> {
        let transceiver = self
            .transceivers
            .get_mut(index)
            .ok_or(Error::NotConnected)?;
        let (pli, fir) = transceiver.negotiated.as_ref().map_or((false, false), |n| {
            (
                n.codecs.iter().any(|c| c.pli),
                n.codecs.iter().any(|c| c.fir),
            )
        });
        let kind = match request {
            KeyframeRequest::Fir if fir || !pli => KeyframeRequest::Fir,
            KeyframeRequest::Pli if fir && !pli => KeyframeRequest::Fir,
            _ => KeyframeRequest::Pli,
        };
        let media_ssrc = media_ssrc
            .or(transceiver.remote_ssrc)
            .or_else(|| {
                transceiver
                    .negotiated
                    .as_ref()
                    .and_then(|n| n.remote_ssrcs.first().copied())
            })
            .unwrap_or(0);
        let sender_ssrc = transceiver.ssrc;
        let stream = transceiver
            .inbound
            .iter_mut()
            .find(|s| s.ssrc == media_ssrc);
        let mut plain = [0u8; 64];
        let len = match kind {
            KeyframeRequest::Fir => {
                let sequence_number = stream.as_ref().map_or(0, |s| s.fir_sequence_number);
                let entries = [sansrtc_rtp::rtcp::FirEntry {
                    ssrc: media_ssrc,
                    sequence_number,
                }];
                let fir = sansrtc_rtp::rtcp::FullIntraRequest {
                    sender_ssrc,
                    media_ssrc: 0,
                    entries: sansrtc_rtp::list::List::new(&entries),
                };
                sansrtc_rtp::rtcp::write_reduced_size(
                    &[RtcpPacket::FullIntraRequest(fir)],
                    &mut plain,
                )
            }
            _ => {
                let pli = sansrtc_rtp::rtcp::PictureLossIndication {
                    sender_ssrc,
                    media_ssrc,
                };
                sansrtc_rtp::rtcp::write_reduced_size(
                    &[RtcpPacket::PictureLossIndication(pli)],
                    &mut plain,
                )
            }
        }
        .map_err(|_| Error::TooLarge)?;
        if let Some(stream) = stream {
            match kind {
                KeyframeRequest::Fir => {
                    // RFC 5104 §4.3.1.2: a new request, a new number.
                    stream.fir_sequence_number = stream.fir_sequence_number.wrapping_add(1);
                    stream.fir_count += 1;
                }
                _ => stream.pli_count += 1,
            }
        }
        self.send_rtcp(now, plain.get(..len).unwrap_or_default())
    }

    /// Sends the first `len` bytes of the scratch buffer on the selected
    /// pair.
    pub(crate) fn send(&mut self, now: Instant, len: usize) -> Result<(), Error> {
        let data = self.buffer.get(..len).ok_or(Error::TooLarge)?;
        self.ice.send_data(now, 1, data).map_err(|e| match e {
            sansrtc_ice::Error::TooMany(_) => Error::QueueFull,
            _ => Error::NotConnected,
        })?;
        self.counters.sent(now, len);
        Ok(())
    }

    /// The NTP time at `now`, on the clock of our sender reports.
    fn ntp_time(&self, now: Instant) -> NtpTime {
        let elapsed = now.saturating_duration_since(self.anchor.0);
        NtpTime(
            self.anchor
                .1
                .0
                .wrapping_add(NtpTime::from_ntp_duration(elapsed).0),
        )
    }

    /// Protects a plain RTCP compound and sends it.
    pub(crate) fn send_rtcp(&mut self, now: Instant, plain: &[u8]) -> Result<(), Error> {
        let Some(srtp) = &mut self.srtp else {
            return Err(Error::NotConnected);
        };
        let room = self
            .buffer
            .len()
            .saturating_sub(srtp.outbound.rtcp_overhead());
        if plain.len() > room {
            return Err(Error::TooLarge);
        }
        self.buffer
            .get_mut(..plain.len())
            .ok_or(Error::TooLarge)?
            .copy_from_slice(plain);
        let len = srtp
            .outbound
            .protect_rtcp(&mut self.buffer, plain.len())
            .map_err(|_| Error::TooLarge)?;
        self.send(now, len)
    }

    /// RTCP reports a transceiver's session has due.
    fn send_reports(&mut self, now: Instant, index: usize) {
        if self.srtp.is_none() || self.closed {
            return;
        }
        let Some(transceiver) = self.transceivers.get_mut(index) else {
            return;
        };
        let mut reports = Vec::new();
        transceiver.poll_reports(now, &mut reports);
        for report in reports {
            // Lost like a datagram when there is no pair to send on.
            let _ = self.send_rtcp(now, &report);
        }
    }

    /// RTCP BYE (RFC 3550 §6.6) for the streams of a transceiver that
    /// sent.
    fn send_bye(&mut self, now: Instant, index: usize) {
        let Some(transceiver) = self.transceivers.get(index) else {
            return;
        };
        let mut ssrcs = [0u32; crate::MAX_SIMULCAST_LAYERS];
        let mut count = 0;
        for outbound in transceiver.outbound.iter().filter(|o| o.packets_sent > 0) {
            if let Some(slot) = ssrcs.get_mut(count) {
                *slot = outbound.ssrc;
                count += 1;
            }
        }
        if count == 0 || self.srtp.is_none() {
            return;
        }
        let bye = sansrtc_rtp::rtcp::Goodbye {
            sources: sansrtc_rtp::list::List::new(ssrcs.get(..count).unwrap_or_default()),
            reason: None,
        };
        let mut plain = [0u8; 64];
        if let Ok(len) =
            sansrtc_rtp::rtcp::write_reduced_size(&[RtcpPacket::Goodbye(bye)], &mut plain)
        {
            let _ = self.send_rtcp(now, plain.get(..len).unwrap_or_default());
        }
    }

    /// Application data ICE handed back: DTLS, SRTP or SRTCP.
    fn receive_data(&mut self, now: Instant, contents: &[u8]) -> Result<(), RecvError> {
        match demux::classify(contents) {
            Packet::Dtls => self
                .dtls
                .handle_receive(now, contents)
                .map(|_| ())
                .map_err(RecvError::Dtls),
            Packet::Rtp => self.receive_rtp(now, contents),
            Packet::Rtcp => self.receive_rtcp(now, contents),
            Packet::Other => Err(RecvError::Unknown),
        }
    }

    fn receive_rtcp(&mut self, now: Instant, contents: &[u8]) -> Result<(), RecvError> {
        let Some(srtp) = &mut self.srtp else {
            return Err(RecvError::NotKeyed);
        };
        let buf = self
            .buffer
            .get_mut(..contents.len())
            .ok_or(RecvError::TooLarge)?;
        buf.copy_from_slice(contents);
        let len = srtp.inbound.unprotect_rtcp(buf).map_err(RecvError::Srtp)?;
        // The compound is read from the second scratch buffer while the
        // first one carries what it makes us send.
        let mut plain = core::mem::take(&mut self.scratch);
        let result = match (plain.get_mut(..len), self.buffer.get(..len)) {
            (Some(to), Some(from)) => {
                to.copy_from_slice(from);
                self.handle_rtcp(now, to)
            }
            _ => Err(RecvError::TooLarge),
        };
        self.scratch = plain;
        result
    }

    /// A received RTCP compound, decrypted: reports, NACKs, keyframe
    /// requests, BYE.
    fn handle_rtcp(&mut self, now: Instant, plain: &[u8]) -> Result<(), RecvError> {
        let compound = Compound::parse_reduced_size(plain).map_err(RecvError::Malformed)?;
        for packet in compound.packets() {
            packet.map_err(RecvError::Malformed)?;
        }
        let arrival = self.ntp_time(now).compact();
        let mut rtt = None;
        for packet in compound.packets().flatten() {
            match packet {
                RtcpPacket::SenderReport(sr) => {
                    for block in sr.report_blocks.iter() {
                        rtt = self.handle_report_block(now, arrival, &block).or(rtt);
                    }
                }
                RtcpPacket::ReceiverReport(rr) => {
                    for block in rr.report_blocks.iter() {
                        rtt = self.handle_report_block(now, arrival, &block).or(rtt);
                    }
                }
                RtcpPacket::Nack(nack) => {
                    let Some((index, layer)) = self
                        .transceivers
                        .iter()
                        .enumerate()
                        .find_map(|(i, t)| t.layer_of(nack.media_ssrc).map(|layer| (i, layer)))
                    else {
                        continue;
                    };
                    if let Some(outbound) = self
                        .transceivers
                        .get_mut(index)
                        .and_then(|t| t.outbound.get_mut(layer))
                    {
                        outbound.nack_count += 1;
                    }
                    for sequence_number in nack.lost_sequence_numbers().take(MAX_NACKED_PER_PACKET)
                    {
                        self.retransmit(now, index, layer, sequence_number);
                    }
                }
                RtcpPacket::PictureLossIndication(pli) => {
                    self.keyframe_requested(pli.media_ssrc, KeyframeRequest::Pli);
                }
                RtcpPacket::FullIntraRequest(fir) => {
                    for entry in fir.entries.iter() {
                        self.keyframe_requested(entry.ssrc, KeyframeRequest::Fir);
                    }
                }
                RtcpPacket::Goodbye(bye) => {
                    for ssrc in bye.sources.iter() {
                        if let Some(t) = self.transceivers.iter_mut().find(|t| {
                            t.remote_ssrc == Some(ssrc) || t.inbound.iter().any(|s| s.ssrc == ssrc)
                        }) {
                            // Its frames end here: no more waiting for
                            // packets or asking for keyframes.
                            for stream in t.inbound.iter_mut().filter(|s| s.ssrc == ssrc) {
                                stream.assembly = None;
                            }
                            let mid = t.mid.clone();
                            self.event(Event::RemoteEnded { mid });
                        }
                    }
                }
                _ => {}
            }
        }
        if let Some(rtt) = rtt {
            self.set_rtt(rtt);
        }
        // Reports go to every session: each takes the blocks about its own
        // source and the sender reports of the sources it receives.
        for transceiver in &mut self.transceivers {
            transceiver.handle_rtcp_receive(now, plain);
        }
        Ok(())
    }

    /// A report block: about one of our streams, it tells the loss and
    /// jitter the other side sees and, answering one of our sender
    /// reports, the round-trip time.
    fn handle_report_block(
        &mut self,
        now: Instant,
        arrival: u32,
        block: &sansrtc_rtp::rtcp::ReportBlock,
    ) -> Option<Duration> {
        self.transceivers
            .iter_mut()
            .find_map(|t| t.handle_report_block(now, arrival, block))?
    }

    /// The other side asks for a keyframe of our stream `ssrc`.
    fn keyframe_requested(&mut self, ssrc: u32, request: KeyframeRequest) {
        let Some((mid, outbound)) = self.transceivers.iter_mut().find_map(|t| {
            let layer = t.layer_of(ssrc)?;
            let mid = t.mid.clone();
            t.outbound.get_mut(layer).map(|o| (mid, o))
        }) else {
            return;
        };
        match request {
            KeyframeRequest::Fir => outbound.fir_count += 1,
            _ => outbound.pli_count += 1,
        }
        let rid = outbound.rid;
        self.event(Event::KeyframeRequested { mid, rid, request });
    }

    /// Moves what ICE and DTLS produced along: DTLS datagrams out through
    /// ICE, ICE's and DTLS's events into ours, DTLS started when ICE has a
    /// pair, SRTP keyed when DTLS connects.
    pub(crate) fn pump(&mut self, now: Instant) {
        while let Some(event) = self.ice.poll_event() {
            self.on_ice_event(event);
        }
        self.maybe_start_dtls(now);
        self.flush_dtls(now);
        while let Some(event) = self.dtls.poll_event() {
            self.on_dtls_event(now, event);
        }
        if let Some(role) = self.signaling.dtls_role {
            self.start_data(now, role);
        }
        self.pump_data(now);
        self.flush_dtls(now);
        self.update_connection_state();
    }

    fn flush_dtls(&mut self, now: Instant) {
        while let Some(datagram) = self.dtls.poll_transmit() {
            // Without a selected pair the datagram is lost; DTLS sends its
            // flight again on its timer.
            if self.ice.send_data(now, 1, datagram).is_ok() {
                self.counters.sent(now, datagram.len());
            }
        }
    }

    fn on_ice_event(&mut self, event: sansrtc_ice::Event) {
        if let sansrtc_ice::Event::SelectedPair { .. } = event {
            // A new pair: its statistics start again.
            self.counters.pair_selected();
        }
        match event {
            sansrtc_ice::Event::LocalCandidate(candidate) => {
                let mid = self.signaling.bundle_mid(&self.transceivers);
                self.event(Event::LocalCandidate {
                    candidate: candidate.to_string(),
                    mid,
                });
            }
            sansrtc_ice::Event::GatheringComplete => self.event(Event::GatheringComplete),
            sansrtc_ice::Event::StateChanged(state) => {
                self.ice_state = state;
                self.event(Event::IceConnectionState(state));
                if state == IceConnectionState::Failed {
                    self.event(Event::Failed(Failure::Ice));
                }
            }
            other => self.event(Event::Ice(other)),
        }
    }

    fn maybe_start_dtls(&mut self, now: Instant) {
        if self.dtls_started || self.closed {
            return;
        }
        let connected = matches!(
            self.ice_state,
            IceConnectionState::Connected | IceConnectionState::Completed
        );
        let Some(role) = self.signaling.dtls_role else {
            return;
        };
        if !connected {
            return;
        }
        if self.dtls.start(now, role).is_ok() {
            self.dtls_started = true;
            self.set_dtls_state(DtlsState::Connecting);
        }
    }

    fn on_dtls_event(&mut self, now: Instant, event: sansrtc_dtls::Event) {
        match event {
            sansrtc_dtls::Event::Connected(connected) => {
                let Some(keys) = connected.srtp else {
                    self.set_dtls_state(DtlsState::Connected);
                    return;
                };
                match srtp_sessions(keys.profile, &keys.keying_material) {
                    Some(srtp) => {
                        let profile = srtp.profile;
                        self.srtp = Some(srtp);
                        self.set_dtls_state(DtlsState::Connected);
                        self.event(Event::SrtpReady { profile });
                    }
                    None => {
                        self.set_dtls_state(DtlsState::Failed);
                        self.event(Event::Failed(Failure::Srtp));
                    }
                }
            }
            sansrtc_dtls::Event::Failed(failure) => {
                self.set_dtls_state(DtlsState::Failed);
                self.event(Event::Failed(Failure::Dtls(failure)));
            }
            sansrtc_dtls::Event::ApplicationData(packet) => self.receive_sctp(now, &packet),
            sansrtc_dtls::Event::PeerClosed => self.set_dtls_state(DtlsState::Closed),
            _ => {}
        }
    }

    fn set_dtls_state(&mut self, state: DtlsState) {
        if self.dtls_state != state {
            self.dtls_state = state;
            self.event(Event::DtlsState(state));
        }
    }

    fn update_connection_state(&mut self) {
        let state = if self.closed {
            ConnectionState::Closed
        } else if self.ice_state == IceConnectionState::Failed
            || self.dtls_state == DtlsState::Failed
        {
            ConnectionState::Failed
        } else if self.ice_state == IceConnectionState::Disconnected {
            ConnectionState::Disconnected
        } else if matches!(self.dtls_state, DtlsState::Connected | DtlsState::Closed)
            && matches!(
                self.ice_state,
                IceConnectionState::Connected | IceConnectionState::Completed
            )
        {
            ConnectionState::Connected
        } else if self.ice_state == IceConnectionState::New && self.dtls_state == DtlsState::New {
            ConnectionState::New
        } else {
            ConnectionState::Connecting
        };
        if state != self.connection_state {
            self.connection_state = state;
            self.event(Event::ConnectionState(state));
        }
    }
}

/// SRTP sessions for both directions from DTLS's keys.
fn srtp_sessions(profile: ProtectionProfile, keys: &KeyingMaterial) -> Option<Srtp> {
    let config = sansrtc_srtp::Config::default();
    Some(Srtp {
        profile,
        outbound: SrtpSession::new(&keys.local, config.clone()).ok()?,
        inbound: SrtpSession::new(&keys.remote, config).ok()?,
    })
}
