//! [`Endpoint`]: one DTLS connection for WebRTC, over dimpl.

use alloc::collections::VecDeque;
use alloc::vec::Vec;
use core::mem;
use core::time::Duration;
use std::time::Instant;

use sansrtc_srtp::DtlsRole;

use crate::certificate::{self, Fingerprint, Mismatch};
use crate::config::{Config, Version, Versions};
use crate::event::{Connected, Error, Event, Failure, Handled, RecvError, State, Stats};
use crate::framing::{self, Kind, Plaintext};
use crate::keying::{self, Srtp};

/// At most this many datagrams wait in [`Endpoint::poll_transmit`]; past
/// it, datagrams made by timers are dropped (and counted in
/// [`Stats::transmits_dropped`]; handshake flights go out again on their
/// timer) and [`Endpoint::send_application_data`] refuses more.
pub const MAX_QUEUED_TRANSMITS: usize = 64;

/// At most this many events wait in [`Endpoint::poll_event`]; past it,
/// application data is dropped (and counted in
/// [`Stats::application_data_dropped`]). The few other events are always
/// kept.
pub const MAX_QUEUED_EVENTS: usize = 256;

/// At most this many DTLS datagrams received before [`Endpoint::start`]
/// are kept for it (a peer's ClientHello can arrive before the answer that
/// tells us our role); the rest are dropped.
pub const MAX_EARLY_DATAGRAMS: usize = 16;

/// At most this many bytes of DTLS datagrams received before
/// [`Endpoint::start`] are kept.
pub const MAX_EARLY_BYTES: usize = 64 * 1024;

/// At most this many application data messages that arrive after the
/// handshake but before the remote fingerprint verified the peer are kept
/// for [`Event::Connected`]; the rest are dropped.
pub const MAX_EARLY_APPLICATION_DATA: usize = 64;

/// At most this many remote fingerprints are taken.
pub const MAX_REMOTE_FINGERPRINTS: usize = 16;

/// The largest application data message, in bytes: one DTLS record's
/// plaintext (RFC 6347 §4.1, 2^14).
pub const MAX_APPLICATION_DATA: usize = 16_384;

/// The largest output the library may ask a buffer for: a full record with
/// its protection and header.
const MAX_OUTPUT: usize = MAX_APPLICATION_DATA + 2048;

/// A library timer at least this far away means "idle".
const IDLE: Duration = Duration::from_secs(365 * 24 * 60 * 60);

/// How many spare datagram buffers are kept for reuse.
const MAX_SPARE_BUFFERS: usize = 16;

/// One DTLS connection for WebRTC (RFC 5763, RFC 5764, RFC 8827): the
/// handshake in the role `a=setup` gave, the peer checked against the
/// remote description's fingerprint, SRTP keys out, application data in
/// and out. See the [crate docs](crate) for the drive loop.
///
/// Inputs: [`handle_receive`](Self::handle_receive),
/// [`handle_timeout`](Self::handle_timeout). Commands:
/// [`start`](Self::start),
/// [`set_remote_fingerprints`](Self::set_remote_fingerprints),
/// [`send_application_data`](Self::send_application_data),
/// [`close`](Self::close). Outputs, to drain after every input and command:
/// [`poll_transmit`](Self::poll_transmit),
/// [`poll_timeout`](Self::poll_timeout), [`poll_event`](Self::poll_event).
pub struct Endpoint {
    config: Config,
    /// The DTLS library's connection, from `start` until closed or failed.
    dtls: Option<dimpl::Dtls>,
    role: Option<DtlsRole>,
    state: State,
    /// The latest time given.
    now: Instant,
    /// When the handshake must be complete.
    deadline: Option<Instant>,
    /// The library's next timer.
    library_timeout: Option<Instant>,
    remote_fingerprints: Option<Vec<Fingerprint>>,
    /// The peer's certificate, DER, once it arrived.
    peer_certificate: Option<Vec<u8>>,
    /// The fingerprint the peer's certificate matched.
    verified: Option<Fingerprint>,
    /// The library finished its handshake.
    handshake_done: bool,
    /// The SRTP keys, held until the peer is verified.
    srtp: Option<Srtp>,
    /// The negotiated profile was not accepted.
    srtp_refused: bool,
    /// Datagrams received before `start`.
    early_datagrams: VecDeque<Vec<u8>>,
    early_bytes: usize,
    /// Application data received before the peer was verified.
    early_data: VecDeque<Vec<u8>>,
    transmits: VecDeque<Vec<u8>>,
    /// The datagram last handed out by `poll_transmit`.
    current: Vec<u8>,
    spare: Vec<Vec<u8>>,
    /// The size of the buffers handed to the library.
    buffer_len: usize,
    events: VecDeque<Event>,
    stats: Stats,
}

impl core::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Endpoint")
            .field("role", &self.role)
            .field("state", &self.state)
            .field("transmits", &self.transmits.len())
            .field("events", &self.events.len())
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint that will present `config`'s certificate. It waits for
    /// [`start`](Self::start) (once `a=setup` has decided its role),
    /// keeping DTLS datagrams that arrive before.
    pub fn new(config: Config, now: Instant) -> Self {
        let buffer_len = config.mtu().max(1500);
        Self {
            config,
            dtls: None,
            role: None,
            state: State::New,
            now,
            deadline: None,
            library_timeout: None,
            remote_fingerprints: None,
            peer_certificate: None,
            verified: None,
            handshake_done: false,
            srtp: None,
            srtp_refused: false,
            early_datagrams: VecDeque::new(),
            early_bytes: 0,
            early_data: VecDeque::new(),
            transmits: VecDeque::new(),
            current: Vec::new(),
            spare: Vec::new(),
            buffer_len,
            events: VecDeque::new(),
            stats: Stats::default(),
        }
    }

    // Inputs.

    /// A datagram received on the transport (ICE's selected pair).
    ///
    /// Datagrams whose first byte is not 20 to 63 are not DTLS (RFC 7983)
    /// and come back as [`Handled::NotDtls`]. A datagram with broken record
    /// framing is a [`RecvError::Malformed`] and changes nothing; records
    /// the library cannot use (replays, bad MACs, noise) are discarded by
    /// it. A datagram that makes the connection fail (a failed signature,
    /// a renegotiation attempt, a fatal alert, a certificate that does not
    /// match the fingerprint) returns [`RecvError::Failed`] and queues
    /// [`Event::Failed`].
    pub fn handle_receive(&mut self, now: Instant, datagram: &[u8]) -> Result<Handled, RecvError> {
        match framing::classify_for(datagram, self.plaintext()) {
            Ok(Kind::NotDtls) => return Ok(Handled::NotDtls),
            Err(reason) => return Err(RecvError::Malformed(reason)),
            Ok(Kind::Dtls) => {}
        }
        self.advance(now);
        match self.state {
            State::New => return self.keep_early(datagram),
            State::Closed => return Err(RecvError::Closed),
            State::Failed(failure) => return Err(RecvError::Failed(failure)),
            State::Handshaking | State::Connected => {}
        }
        self.tick(now);
        let Some(dtls) = self.dtls.as_mut() else {
            return Err(self.closed_error());
        };
        match dtls.handle_packet(datagram) {
            Ok(()) => {}
            Err(dimpl::Error::ReceiveQueueFull) => {
                // Refused before anything changed: the datagram is dropped
                // and the connection goes on.
                self.stats.receive_queue_full += 1;
                self.drain();
                return Err(RecvError::QueueFull);
            }
            Err(error) => {
                self.fail(failure_of(&error));
                return Err(self.closed_error());
            }
        }
        self.drain();
        match self.state {
            State::Failed(failure) => Err(RecvError::Failed(failure)),
            _ => Ok(Handled::Dtls),
        }
    }

    /// Time passed: retransmits flights whose timer ran out, fails a
    /// handshake past its timeout. Calling it early or twice does no harm.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.advance(now);
        self.tick(now);
        if self.dtls.is_some() {
            self.drain();
        }
    }

    // Commands.

    /// Starts the handshake in `role` (from [`negotiate_role`](crate::negotiate_role)):
    /// a client sends its ClientHello now; a server answers the one it
    /// receives (or already kept). The handshake timeout starts now.
    pub fn start(&mut self, now: Instant, role: DtlsRole) -> Result<(), Error> {
        match self.state {
            State::New => {}
            State::Closed | State::Failed(_) => return Err(Error::Closed),
            State::Handshaking | State::Connected => return Err(Error::AlreadyStarted),
        }
        self.advance(now);
        let config = self.config.dimpl().clone();
        let certificate = self.config.certificate().to_dimpl();
        let now = self.now;
        let mut dtls = match self.config.versions() {
            Versions::Dtls12 => dimpl::Dtls::new_12(config, certificate, now),
            Versions::Dtls13 => dimpl::Dtls::new_13(config, certificate, now),
            Versions::Auto => dimpl::Dtls::new_auto(config, certificate, now),
        };
        dtls.set_active(role == DtlsRole::Client);
        self.dtls = Some(dtls);
        self.role = Some(role);
        self.state = State::Handshaking;
        self.deadline = now.checked_add(self.config.handshake_timeout());
        self.tick(now);
        self.drain();
        let early = mem::take(&mut self.early_datagrams);
        self.early_bytes = 0;
        for datagram in early {
            if !matches!(self.state, State::Handshaking | State::Connected) {
                break;
            }
            // Each one was checked when it arrived; what the library makes
            // of it is reported as for any other datagram.
            let _ = self.handle_receive(now, &datagram);
        }
        Ok(())
    }

    /// The fingerprints of the remote description's `a=fingerprint`
    /// lines (RFC 8122 §5). The peer's certificate must match one of those
    /// of the strongest usable hash function (SHA-512, then SHA-384, then
    /// SHA-256; others are ignored) before [`Event::Connected`] comes; a
    /// mismatch fails the connection ([`Failure::FingerprintMismatch`]).
    ///
    /// May come before or after the handshake: until it does, a finished
    /// handshake waits (within the handshake timeout) and its keys and data
    /// are held. Setting the same fingerprints again is accepted; other
    /// ones are refused (a new certificate needs a new connection). None
    /// usable fails the connection ([`Failure::NoUsableFingerprint`]).
    pub fn set_remote_fingerprints(
        &mut self,
        fingerprints: impl IntoIterator<Item = Fingerprint>,
    ) -> Result<(), Error> {
        if matches!(self.state, State::Closed | State::Failed(_)) {
            return Err(Error::Closed);
        }
        let mut list = Vec::new();
        for fingerprint in fingerprints {
            if list.len() == MAX_REMOTE_FINGERPRINTS {
                return Err(Error::TooManyFingerprints);
            }
            list.push(fingerprint);
        }
        if let Some(existing) = &self.remote_fingerprints {
            return if *existing == list {
                Ok(())
            } else {
                Err(Error::FingerprintsAlreadySet)
            };
        }
        if !list.iter().any(|f| f.hash_function.is_usable()) {
            self.fail(Failure::NoUsableFingerprint);
            return Err(Error::NoUsableFingerprint);
        }
        self.remote_fingerprints = Some(list);
        self.progress();
        Ok(())
    }

    /// Sends application data (an SCTP packet) to the peer, as one DTLS
    /// record of at most [`MAX_APPLICATION_DATA`] bytes.
    pub fn send_application_data(&mut self, data: &[u8]) -> Result<(), Error> {
        match self.state {
            State::Connected => {}
            State::Closed | State::Failed(_) => return Err(Error::Closed),
            State::New | State::Handshaking => return Err(Error::NotConnected),
        }
        if data.len() > MAX_APPLICATION_DATA {
            return Err(Error::TooLarge);
        }
        if self.transmits.len() >= MAX_QUEUED_TRANSMITS {
            return Err(Error::TransmitQueueFull);
        }
        let Some(dtls) = self.dtls.as_mut() else {
            return Err(Error::Closed);
        };
        if let Err(error) = dtls.send_application_data(data) {
            self.fail(failure_of(&error));
            return Err(Error::Closed);
        }
        self.drain();
        Ok(())
    }

    /// Closes the connection: once connected, a close_notify alert goes out
    /// (RFC 6347 §4.2.7; it is not retransmitted); during the handshake it
    /// just stops. Nothing is received after. Closing twice does nothing.
    pub fn close(&mut self) {
        match self.state {
            State::Connected => {
                if let Some(dtls) = self.dtls.as_mut() {
                    // An error here means the library had closed already;
                    // there is nothing more to send either way.
                    let _ = dtls.close();
                }
                self.drain();
            }
            State::New | State::Handshaking => {
                self.transmits.clear();
            }
            State::Closed | State::Failed(_) => return,
        }
        self.state = State::Closed;
        self.finish();
    }

    // Outputs.

    /// The next datagram to send to the peer (on ICE's selected pair),
    /// borrowed until the next call on the endpoint. Drain after every input
    /// and command.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        let next = self.transmits.pop_front()?;
        let previous = mem::replace(&mut self.current, next);
        self.recycle(previous);
        Some(&self.current)
    }

    /// When to call [`handle_timeout`](Self::handle_timeout) next: the
    /// earliest retransmission timer or the handshake timeout. `None` when
    /// nothing is scheduled: connected and idle, closed, failed or not
    /// started.
    pub fn poll_timeout(&self) -> Option<Instant> {
        match self.state {
            State::Handshaking => match (self.library_timeout, self.deadline) {
                (Some(a), Some(b)) => Some(a.min(b)),
                (a, b) => a.or(b),
            },
            // Idle, the library keeps a timer years away: no timer at all.
            State::Connected => self
                .library_timeout
                .filter(|at| at.saturating_duration_since(self.now) < IDLE),
            State::New | State::Closed | State::Failed(_) => None,
        }
    }

    /// The next event.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // Getters.

    /// Where the connection is.
    pub fn state(&self) -> State {
        self.state
    }

    /// The role, once started.
    pub fn role(&self) -> Option<DtlsRole> {
        self.role
    }

    /// The DTLS version, once negotiated.
    pub fn version(&self) -> Option<Version> {
        self.dtls
            .as_ref()
            .and_then(dimpl::Dtls::protocol_version)
            .and_then(version_of)
    }

    /// This endpoint's certificate fingerprint, for `a=fingerprint`.
    pub fn local_fingerprint(&self) -> &Fingerprint {
        self.config.certificate().fingerprint()
    }

    /// The remote fingerprint the peer's certificate matched, once it did.
    pub fn remote_fingerprint(&self) -> Option<&Fingerprint> {
        self.verified.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// What the bounded queues dropped.
    pub fn stats(&self) -> Stats {
        self.stats
    }

    // Internals.

    fn advance(&mut self, now: Instant) {
        self.now = self.now.max(now);
    }

    /// Runs the timers: the handshake deadline, then the library's.
    fn tick(&mut self, now: Instant) {
        let now = self.now.max(now);
        if self.state == State::Handshaking && self.deadline.is_some_and(|d| now >= d) {
            self.fail(Failure::Timeout);
            return;
        }
        let Some(dtls) = self.dtls.as_mut() else {
            return;
        };
        if let Err(error) = dtls.handle_timeout(now) {
            self.fail(failure_of(&error));
        }
    }

    /// Which plaintext handshake messages can be real for this endpoint:
    /// for a server, a second ClientHello only where a cookie exchange or
    /// a DTLS 1.3 HelloRetryRequest asks for one.
    fn plaintext(&self) -> Plaintext {
        match self.role {
            None => Plaintext::Any,
            Some(DtlsRole::Client) => Plaintext::Client,
            Some(DtlsRole::Server) => {
                let retry =
                    self.config.cookie_exchange() || self.config.versions() != Versions::Dtls12;
                Plaintext::Server(u16::from(retry))
            }
        }
    }

    fn keep_early(&mut self, datagram: &[u8]) -> Result<Handled, RecvError> {
        if self.early_datagrams.len() >= MAX_EARLY_DATAGRAMS
            || self.early_bytes + datagram.len() > MAX_EARLY_BYTES
        {
            self.stats.early_datagrams_dropped += 1;
            return Err(RecvError::QueueFull);
        }
        self.early_bytes += datagram.len();
        self.early_datagrams.push_back(datagram.to_vec());
        Ok(Handled::Buffered)
    }

    /// Takes everything the library has to say, up to its next timer.
    fn drain(&mut self) {
        let mut buffer = self.take_buffer();
        while let Some(dtls) = self.dtls.as_mut() {
            match dtls.poll_output(&mut buffer) {
                dimpl::Output::Packet(packet) => {
                    let len = packet.len();
                    buffer.truncate(len);
                    if self.transmits.len() < MAX_QUEUED_TRANSMITS {
                        self.transmits.push_back(buffer);
                        buffer = self.take_buffer();
                    } else {
                        self.stats.transmits_dropped += 1;
                        buffer.resize(self.buffer_len, 0);
                    }
                }
                dimpl::Output::BufferTooSmall { needed } => {
                    if needed > MAX_OUTPUT {
                        self.fail(Failure::Protocol("a record larger than any DTLS record"));
                        break;
                    }
                    self.buffer_len = self.buffer_len.max(needed);
                    buffer.resize(self.buffer_len, 0);
                }
                dimpl::Output::Timeout(at) => {
                    self.library_timeout = Some(at);
                    break;
                }
                dimpl::Output::Connected => self.handshake_done = true,
                dimpl::Output::PeerCert(der) => {
                    if self.peer_certificate.is_none() {
                        self.peer_certificate = Some(der.to_vec());
                    }
                    self.progress();
                }
                dimpl::Output::KeyingMaterial(exported, profile) => {
                    self.take_keys(&exported, profile);
                }
                dimpl::Output::ApplicationData(data) => {
                    let data = data.to_vec();
                    self.deliver(data);
                }
                dimpl::Output::CloseNotify => {
                    if self.state == State::Connected {
                        self.push_event(Event::PeerClosed);
                    }
                    // The library answers with its own close_notify; send
                    // what it queued, then stop.
                    self.state = State::Closed;
                }
                _ => {}
            }
        }
        self.recycle(buffer);
        self.progress();
        if self.state == State::Closed {
            self.finish();
        }
    }

    fn take_keys(&mut self, exported: &[u8], profile: dimpl::SrtpProfile) {
        let Some(role) = self.role else {
            return;
        };
        let accepted = keying::profile_from_dimpl(profile)
            .filter(|profile| self.config.srtp_profiles().contains(profile));
        let Some(profile) = accepted else {
            self.srtp_refused = true;
            return;
        };
        match keying::split(profile, exported, role) {
            Ok(srtp) => self.srtp = Some(srtp),
            Err(_) => self.fail(Failure::Protocol("keying material of the wrong length")),
        }
    }

    /// Application data goes to the caller once the peer is verified, and
    /// is held until then.
    fn deliver(&mut self, data: Vec<u8>) {
        match self.state {
            State::Connected => {
                if self.events.len() >= MAX_QUEUED_EVENTS {
                    self.stats.application_data_dropped += 1;
                } else {
                    self.events.push_back(Event::ApplicationData(data));
                }
            }
            State::Handshaking => {
                if self.early_data.len() >= MAX_EARLY_APPLICATION_DATA {
                    self.stats.application_data_dropped += 1;
                } else {
                    self.early_data.push_back(data);
                }
            }
            State::New | State::Closed | State::Failed(_) => {}
        }
    }

    /// Verifies the peer when both its certificate and the fingerprints are
    /// there, and connects when the handshake is done too.
    fn progress(&mut self) {
        if self.state != State::Handshaking {
            return;
        }
        if self.verified.is_none() {
            let (Some(der), Some(fingerprints)) =
                (&self.peer_certificate, &self.remote_fingerprints)
            else {
                return;
            };
            match certificate::verify(fingerprints, der) {
                Ok(fingerprint) => self.verified = Some(fingerprint.clone()),
                Err(Mismatch::Mismatch) => return self.fail(Failure::FingerprintMismatch),
                Err(Mismatch::NoUsableFingerprint) => {
                    return self.fail(Failure::NoUsableFingerprint);
                }
            }
        }
        if !self.handshake_done {
            return;
        }
        if self.srtp_refused {
            return self.fail(Failure::SrtpProfileNotAccepted);
        }
        if self.srtp.is_none() && self.config.require_srtp() {
            return self.fail(Failure::NoSrtpProfile);
        }
        let (Some(role), Some(version), Some(remote_fingerprint)) =
            (self.role, self.version(), self.verified.clone())
        else {
            return self.fail(Failure::Protocol("handshake done without a version"));
        };
        self.state = State::Connected;
        self.deadline = None;
        let srtp = self.srtp.take();
        self.push_event(Event::Connected(Connected {
            role,
            version,
            remote_fingerprint,
            srtp,
        }));
        while let Some(data) = self.early_data.pop_front() {
            self.deliver(data);
        }
    }

    /// Fails the connection: nothing more is sent or given out.
    fn fail(&mut self, failure: Failure) {
        if matches!(self.state, State::Closed | State::Failed(_)) {
            return;
        }
        self.state = State::Failed(failure);
        self.transmits.clear();
        self.push_event(Event::Failed(failure));
        self.finish();
    }

    /// Lets go of the library and of everything held for the handshake.
    fn finish(&mut self) {
        self.dtls = None;
        self.deadline = None;
        self.library_timeout = None;
        self.srtp = None;
        self.early_data.clear();
        self.early_datagrams.clear();
        self.early_bytes = 0;
    }

    fn closed_error(&self) -> RecvError {
        match self.state {
            State::Failed(failure) => RecvError::Failed(failure),
            _ => RecvError::Closed,
        }
    }

    fn push_event(&mut self, event: Event) {
        self.events.push_back(event);
    }

    fn take_buffer(&mut self) -> Vec<u8> {
        let mut buffer = self.spare.pop().unwrap_or_default();
        buffer.resize(self.buffer_len, 0);
        buffer
    }

    fn recycle(&mut self, buffer: Vec<u8>) {
        if self.spare.len() < MAX_SPARE_BUFFERS && buffer.capacity() > 0 {
            self.spare.push(buffer);
        }
    }
}

fn version_of(version: dimpl::ProtocolVersion) -> Option<Version> {
    match version {
        dimpl::ProtocolVersion::DTLS1_2 => Some(Version::Dtls12),
        dimpl::ProtocolVersion::DTLS1_3 => Some(Version::Dtls13),
        _ => None,
    }
}

/// What a library error means for the connection, without allocating.
fn failure_of(error: &dimpl::Error) -> Failure {
    use dimpl::Error as E;
    Failure::Protocol(match error {
        E::Timeout(_) => return Failure::Timeout,
        E::RenegotiationAttempt => "the peer attempted renegotiation",
        E::SecurityError(dimpl::SecurityError::FatalAlert { .. }) => "the peer sent a fatal alert",
        E::SecurityError(_) => "security policy violation",
        E::CertificateError(_) => "unusable peer certificate",
        E::CryptoError(_) => "cryptographic failure (bad signature or MAC)",
        E::UnexpectedMessage(_) => "unexpected handshake message",
        E::IncompleteServerHello => "incomplete ServerHello",
        E::TooManyClientHelloFragments => "too many ClientHello fragments",
        E::ReceiveQueueFull => "receive queue full",
        E::TransmitQueueFull | E::TransmitHistoryFull => "transmit queue full",
        E::ConnectionClosed => "connection closed",
        E::InvalidState(_) => "invalid handshake state",
        E::ConfigError(_) | E::PskError(_) => "configuration",
        _ => "handshake error",
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_and_configs_move_between_threads() {
        fn send<T: Send>() {}
        fn share<T: Send + Sync>() {}
        send::<Endpoint>();
        share::<Config>();
        share::<crate::Certificate>();
    }
}
