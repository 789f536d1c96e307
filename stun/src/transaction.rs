//! Client transactions: sending one STUN request, retransmitting it on the
//! RFC schedule and matching its response.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-6.2.1>
//!
//! Over an unreliable transport (UDP) a [`ClientTransaction`] sends the
//! request at 0, RTO, 3·RTO, 7·RTO, ... (the interval doubles after each
//! transmission), `Rc` times in all, and gives up `Rm`·RTO after the last
//! one. With the defaults (RTO 500 ms, Rc 7, Rm 16) that is transmissions at
//! 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and a timeout at 39.5 s. Over a
//! reliable transport (TCP, TLS) the request is sent once and the
//! transaction times out after Ti = 39.5 s.
//!
//! The transaction does no I/O and never reads a clock: the caller passes the
//! time into every input, sends what [`poll_transmit`](ClientTransaction::poll_transmit)
//! returns, calls [`handle_timeout`](ClientTransaction::handle_timeout) at
//! [`poll_timeout`](ClientTransaction::poll_timeout) and reads the outcome
//! from [`poll_event`](ClientTransaction::poll_event). The request's bytes are
//! stored once; retransmissions hand out the same slice.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_stun::transaction::{ClientTransaction, Event, TransactionConfig};
//! use sansrtc_stun::{Class, MessageBuilder, Method, Transmit, Transport, rng::Rng};
//!
//! // Transaction ids come from the suite's generator, seeded by the OS.
//! let transaction_id = Rng::new(None).transaction_id();
//! let mut buf = [0u8; 64];
//! let mut builder = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, transaction_id)?;
//! builder.add_fingerprint()?;
//! let len = builder.finish();
//!
//! let local = "192.0.2.10:50000".parse().unwrap();
//! let server = "192.0.2.1:3478".parse().unwrap();
//! let request = Transmit::new(local, server, Transport::Udp, buf[..len].to_vec());
//! let start = Instant::now();
//! let mut transaction = ClientTransaction::new(TransactionConfig::default(), start, request)
//!     .expect("a STUN request");
//!
//! // The drive loop: drain poll_transmit, wait until poll_timeout or a
//! // datagram, feed it in, drain poll_event. Here nobody answers and the
//! // clock jumps straight to each deadline.
//! let mut sent = 0;
//! let mut outcome = None;
//! let mut now = start;
//! loop {
//!     while let Some(transmit) = transaction.poll_transmit() {
//!         assert_eq!(transmit.contents, &buf[..len]); // socket.send_to(&transmit.contents, server)
//!         sent += 1;
//!     }
//!     if let Some(event) = transaction.poll_event() {
//!         outcome = Some(event);
//!         break;
//!     }
//!     let Some(deadline) = transaction.poll_timeout() else { break };
//!     // socket.recv_from with a timeout of `deadline - now`; a datagram
//!     // would go to `transaction.handle_receive(now, Receive::udp(from, local, &datagram))`.
//!     now = deadline;
//!     transaction.handle_timeout(now);
//! }
//! assert_eq!(sent, 7);
//! assert_eq!(outcome, Some(Event::TimedOut));
//! assert_eq!(now - start, Duration::from_millis(39_500));
//! # Ok::<(), sansrtc_stun::WriteError>(())
//! ```
//!
//! When the answer comes, feed it in; the outcome carries the response:
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_stun::transaction::{ClientTransaction, Event, Handled, TransactionConfig};
//! use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, Receive, TransactionId, Transmit, Transport};
//!
//! let id = TransactionId::new(*b"binding-0001");
//! let mut request = [0u8; 20];
//! let len = MessageBuilder::new(&mut request, Class::Request, Method::BINDING, id)?.finish();
//! let (local, server) = ("192.0.2.10:50000".parse().unwrap(), "192.0.2.1:3478".parse().unwrap());
//! let start = Instant::now();
//! let request = Transmit::new(local, server, Transport::Udp, request[..len].to_vec());
//! let mut transaction = ClientTransaction::new(TransactionConfig::default(), start, request).unwrap();
//! assert!(transaction.poll_transmit().is_some());
//!
//! // The server's answer, 40 ms later.
//! let mut answer = [0u8; 64];
//! let mut builder = MessageBuilder::new(&mut answer, Class::SuccessResponse, Method::BINDING, id)?;
//! builder.add(&Attribute::XorMappedAddress("203.0.113.9:61000".parse().unwrap()))?;
//! let len = builder.finish();
//! let at = start + Duration::from_millis(40);
//! let handled = transaction.handle_receive(at, Receive::udp(server, local, &answer[..len]));
//! assert_eq!(handled, Ok(Handled::Response));
//!
//! assert_eq!(transaction.poll_transmit(), None);
//! assert_eq!(transaction.poll_timeout(), None);
//! match transaction.poll_event() {
//!     Some(Event::Success(response)) => {
//!         assert_eq!(response.mapped_address(), Some("203.0.113.9:61000".parse().unwrap()));
//!         assert_eq!(response.rtt(), Some(Duration::from_millis(40)));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! # Ok::<(), sansrtc_stun::WriteError>(())
//! ```

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::mem;
use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use crate::attribute::ErrorCode;
use crate::drive::{Receive, Transmit};
use crate::error::{IntegrityError, ParseError};
use crate::message::{Class, Message, Method, TransactionId};

/// Default initial retransmission timeout, RTO (RFC 8489 §6.2.1).
pub const DEFAULT_RTO: Duration = Duration::from_millis(500);

/// Default number of transmissions over an unreliable transport, Rc
/// (RFC 8489 §6.2.1).
pub const DEFAULT_MAX_TRANSMISSIONS: u32 = 7;

/// Default wait after the last transmission, in multiples of RTO, Rm
/// (RFC 8489 §6.2.1).
pub const DEFAULT_LAST_WAIT_MULTIPLIER: u32 = 16;

/// Default transaction timeout over a reliable transport, Ti
/// (RFC 8489 §6.2.2).
pub const DEFAULT_RELIABLE_TIMEOUT: Duration = Duration::from_millis(39_500);

/// Most transmissions a configuration may ask for; larger values of
/// [`TransactionConfig::max_transmissions`] are clamped to it, so the
/// doubling interval stays within `Duration`'s range.
pub const MAX_TRANSMISSIONS: u32 = 16;

/// Retransmission parameters of a client transaction.
///
/// <https://www.rfc-editor.org/rfc/rfc8489#section-6.2.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct TransactionConfig {
    /// Initial retransmission timeout, RTO; doubles after each
    /// retransmission. Default 500 ms.
    pub rto: Duration,
    /// Transmissions in all over an unreliable transport, Rc, from 1 to
    /// [`MAX_TRANSMISSIONS`] (clamped). Default 7.
    pub max_transmissions: u32,
    /// How long to wait after the last transmission, in multiples of RTO,
    /// Rm (at least 1; clamped). Default 16.
    pub last_wait_multiplier: u32,
    /// Timeout over a reliable transport, Ti. Default 39.5 s.
    pub reliable_timeout: Duration,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        Self {
            rto: DEFAULT_RTO,
            max_transmissions: DEFAULT_MAX_TRANSMISSIONS,
            last_wait_multiplier: DEFAULT_LAST_WAIT_MULTIPLIER,
            reliable_timeout: DEFAULT_RELIABLE_TIMEOUT,
        }
    }
}

impl TransactionConfig {
    /// The default configuration with another initial RTO.
    pub fn with_rto(rto: Duration) -> Self {
        Self {
            rto,
            ..Self::default()
        }
    }

    fn clamped(self) -> Self {
        Self {
            max_transmissions: self.max_transmissions.clamp(1, MAX_TRANSMISSIONS),
            last_wait_multiplier: self.last_wait_multiplier.max(1),
            ..self
        }
    }
}

/// A response that ended a transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    bytes: Vec<u8>,
    mapped_address: Option<SocketAddr>,
    rtt: Option<Duration>,
}

impl Response {
    fn new(message: &Message<'_>, rtt: Option<Duration>) -> Self {
        Self {
            bytes: message.as_bytes().to_vec(),
            mapped_address: message
                .xor_mapped_address()
                .or_else(|| message.mapped_address()),
            rtt,
        }
    }

    /// The response's bytes, as received.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The response parsed again (it parsed when it arrived, so this
    /// succeeds).
    pub fn message(&self) -> Result<Message<'_>, ParseError> {
        Message::parse(&self.bytes)
    }

    /// XOR-MAPPED-ADDRESS, or MAPPED-ADDRESS from a server that only sends
    /// that one: the client's address as the server saw it.
    pub const fn mapped_address(&self) -> Option<SocketAddr> {
        self.mapped_address
    }

    /// The round-trip time, when the request was sent only once (Karn's
    /// rule: after a retransmission the sample is ambiguous).
    pub const fn rtt(&self) -> Option<Duration> {
        self.rtt
    }
}

/// How a transaction ended. A transaction yields exactly one event.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A success response arrived.
    Success(Response),
    /// An error response arrived (other than a 300 with ALTERNATE-SERVER).
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-6.3.4>
    ErrorResponse {
        /// The ERROR-CODE, or 0 when the response carries none.
        code: u16,
        /// The reason phrase.
        reason: String,
        /// The whole response.
        response: Response,
    },
    /// A 300 (Try Alternate) response: the client should retry with the
    /// server at `server`.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8489#section-10>
    TryAlternate {
        /// The ALTERNATE-SERVER address.
        server: SocketAddr,
        /// ALTERNATE-DOMAIN, when present (the name to check the
        /// alternate server's certificate against).
        domain: Option<String>,
        /// The whole response.
        response: Response,
    },
    /// No response came in time.
    TimedOut,
    /// Over a reliable transport, a response failed its integrity check;
    /// RFC 8489 §9.1.4 and §9.2.5 end the transaction then.
    IntegrityViolated,
}

/// What a transaction did with a received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// This transaction's response: the outcome is ready in
    /// [`poll_event`](ClientTransaction::poll_event).
    Response,
    /// Not this transaction's: another protocol, a request or indication,
    /// a response to another transaction, or a packet from another address.
    NotMine,
}

/// Why a request cannot start a transaction (the caller's mistake).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RequestError {
    /// The request does not parse.
    #[error("the request is not a valid STUN message: {0}")]
    Malformed(ParseError),
    /// The message is not a request.
    #[error("the message is not a request")]
    NotRequest,
}

/// Why a response to this transaction was not accepted. The transaction
/// stays usable: it keeps waiting (unless it already ended).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// STUN from the server that does not parse.
    #[error("malformed message: {0}")]
    Malformed(#[from] ParseError),
    /// A response of another method than the request's.
    #[error("response method {received:?} differs from the request's {expected:?}")]
    MethodMismatch {
        /// The request's method.
        expected: Method,
        /// The response's method.
        received: Method,
    },
    /// FINGERPRINT is present and wrong.
    #[error("bad fingerprint: {0}")]
    BadFingerprint(IntegrityError),
    /// An integrity key is set and the response's MESSAGE-INTEGRITY (or
    /// MESSAGE-INTEGRITY-SHA256) is missing or wrong.
    #[error("integrity check failed: {0}")]
    BadIntegrity(IntegrityError),
    /// The transaction already ended (a duplicate or late response).
    #[error("the transaction already ended")]
    Finished,
}

/// One STUN request in flight. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    config: TransactionConfig,
    transaction_id: TransactionId,
    method: Method,
    request: Transmit,
    reliable: bool,
    start: Instant,
    /// Transmissions scheduled so far (those that a late `handle_timeout`
    /// folded into one included).
    transmissions: u32,
    transmit_pending: bool,
    integrity_key: Option<Vec<u8>>,
    done: bool,
    timed_out: bool,
    event: Option<Event>,
}

impl ClientTransaction {
    /// Starts a transaction for `request`: a STUN request (its header gives
    /// the transaction id and method) with the socket to send it from and
    /// the server it goes to. The first transmission is ready at once. Over
    /// TCP ([`Transport::is_stream`](crate::Transport::is_stream)) the
    /// request is sent once and the transaction times out after Ti; over
    /// UDP it is retransmitted.
    ///
    /// Fails when `request` is not a STUN request.
    pub fn new(
        config: TransactionConfig,
        now: Instant,
        request: Transmit,
    ) -> Result<Self, RequestError> {
        let message = Message::parse(&request.contents).map_err(RequestError::Malformed)?;
        if message.class() != Class::Request {
            return Err(RequestError::NotRequest);
        }
        Ok(Self {
            config: config.clamped(),
            transaction_id: message.transaction_id(),
            method: message.method(),
            reliable: request.transport.is_stream(),
            request,
            start: now,
            transmissions: 1,
            transmit_pending: true,
            integrity_key: None,
            done: false,
            timed_out: false,
            event: None,
        })
    }

    /// Checks responses with this key (the short-term password or a
    /// long-term key): a response must carry a MESSAGE-INTEGRITY or
    /// MESSAGE-INTEGRITY-SHA256 that verifies, except 400, 401 and 438 error
    /// responses, which RFC 8489 §9 has servers send without one.
    pub fn set_integrity_key(&mut self, key: &[u8]) {
        self.integrity_key = Some(key.to_vec());
    }

    // ----- inputs --------------------------------------------------------

    /// Handles a datagram (or one framed message of a stream) that may be
    /// this transaction's response. Anything that is not a response to this
    /// transaction (another protocol, a request, another transaction's
    /// response, a packet from elsewhere) is `Ok(Handled::NotMine)`.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        packet: Receive<'_>,
    ) -> Result<Handled, RecvError> {
        let stun = packet.contents.first().is_some_and(|b| b & 0xC0 == 0);
        if packet.source != self.request.destination || !stun {
            return Ok(Handled::NotMine);
        }
        let message = Message::parse(packet.contents)?;
        self.handle_response(now, &message)
    }

    /// Handles a message the caller already parsed (for instance after
    /// demultiplexing many transactions by transaction id).
    pub fn handle_response(
        &mut self,
        now: Instant,
        message: &Message<'_>,
    ) -> Result<Handled, RecvError> {
        if !message.class().is_response() || message.transaction_id() != self.transaction_id {
            return Ok(Handled::NotMine);
        }
        if self.done {
            return Err(RecvError::Finished);
        }
        if message.method() != self.method {
            return Err(RecvError::MethodMismatch {
                expected: self.method,
                received: message.method(),
            });
        }
        if message.has_fingerprint() {
            message
                .verify_fingerprint()
                .map_err(RecvError::BadFingerprint)?;
        }
        if let Err(error) = self.check_integrity(message) {
            if self.reliable {
                self.finish(Event::IntegrityViolated);
            }
            return Err(RecvError::BadIntegrity(error));
        }
        let rtt = (self.transmissions == 1).then(|| now.saturating_duration_since(self.start));
        let response = Response::new(message, rtt);
        let event = match (message.class(), message.error_code()) {
            (Class::ErrorResponse, Some(error)) => match message.alternate_server() {
                Some(server) if error.code == ErrorCode::TRY_ALTERNATE => Event::TryAlternate {
                    server,
                    domain: message.alternate_domain().map(ToString::to_string),
                    response,
                },
                _ => Event::ErrorResponse {
                    code: error.code,
                    reason: error.reason.to_string(),
                    response,
                },
            },
            (Class::ErrorResponse, None) => Event::ErrorResponse {
                code: 0,
                reason: String::new(),
                response,
            },
            _ => Event::Success(response),
        };
        self.finish(event);
        Ok(Handled::Response)
    }

    fn check_integrity(&self, message: &Message<'_>) -> Result<(), IntegrityError> {
        let Some(key) = &self.integrity_key else {
            return Ok(());
        };
        if message.has_integrity() {
            return message.verify_integrity(key).map(|_| ());
        }
        let unprotected_error = message.class() == Class::ErrorResponse
            && message.error_code().is_some_and(|e| {
                matches!(
                    e.code,
                    ErrorCode::BAD_REQUEST | ErrorCode::UNAUTHENTICATED | ErrorCode::STALE_NONCE
                )
            });
        if unprotected_error {
            Ok(())
        } else {
            Err(IntegrityError::Missing("MESSAGE-INTEGRITY"))
        }
    }

    /// Advances the retransmission timer. Calling it early, late or twice
    /// is harmless: every deadline up to `now` is processed once, and the
    /// transmissions that a late call skipped are folded into one.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.done {
            return;
        }
        if !self.reliable {
            let mut due = false;
            while self.transmissions < self.config.max_transmissions {
                match self.transmission_deadline(self.transmissions) {
                    Some(deadline) if deadline <= now => {
                        self.transmissions += 1;
                        due = true;
                    }
                    _ => break,
                }
            }
            self.transmit_pending |= due;
        }
        if self
            .final_deadline()
            .is_some_and(|deadline| deadline <= now)
        {
            self.timed_out = true;
            self.finish(Event::TimedOut);
        }
    }

    // ----- outputs -------------------------------------------------------

    /// The request when a (re)transmission is due; `None` otherwise. Its
    /// bytes are shared with the transaction, not copied.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        mem::take(&mut self.transmit_pending).then(|| self.request.clone())
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next:
    /// the next retransmission or the timeout. `None` once the transaction
    /// ended (or if the configured times overflow `Instant`).
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.done {
            None
        } else if !self.reliable && self.transmissions < self.config.max_transmissions {
            self.transmission_deadline(self.transmissions)
        } else {
            self.final_deadline()
        }
    }

    /// The outcome, once: a response, a timeout or an integrity violation.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.event.take()
    }

    // ----- getters -------------------------------------------------------

    /// The transaction id responses are matched against.
    pub const fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    /// The request's bytes.
    pub fn request(&self) -> &[u8] {
        &self.request.contents
    }

    /// The request's method.
    pub const fn method(&self) -> Method {
        self.method
    }

    /// Whether the transaction ended (response, timeout or integrity
    /// violation).
    pub const fn is_finished(&self) -> bool {
        self.done
    }

    /// Whether the transaction ended without a response in time.
    pub const fn is_timed_out(&self) -> bool {
        self.timed_out
    }

    /// Transmissions scheduled so far, the first one included.
    pub const fn transmissions(&self) -> u32 {
        self.transmissions
    }

    // ----- internals -----------------------------------------------------

    /// When transmission number `index` (0-based) is due: `start + RTO ×
    /// (2^index − 1)`.
    fn transmission_deadline(&self, index: u32) -> Option<Instant> {
        let multiple = 1u32.checked_shl(index)?.checked_sub(1)?;
        self.start
            .checked_add(self.config.rto.checked_mul(multiple)?)
    }

    fn final_deadline(&self) -> Option<Instant> {
        if self.reliable {
            return self.start.checked_add(self.config.reliable_timeout);
        }
        let last = self.transmission_deadline(self.config.max_transmissions - 1)?;
        last.checked_add(
            self.config
                .rto
                .checked_mul(self.config.last_wait_multiplier)?,
        )
    }

    fn finish(&mut self, event: Event) {
        self.done = true;
        self.transmit_pending = false;
        self.event = Some(event);
    }
}

#[cfg(test)]
// The tests need some origin for their virtual clock.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::attribute::Attribute;
    use crate::drive::Transport;
    use crate::message::MessageBuilder;

    const ID: TransactionId = TransactionId::new(*b"0123456789ab");

    fn message(
        class: Class,
        method: Method,
        id: TransactionId,
        attributes: &[Attribute<'_>],
    ) -> Vec<u8> {
        let mut buf = [0u8; 512];
        let mut builder = MessageBuilder::new(&mut buf, class, method, id).unwrap();
        for attribute in attributes {
            builder.add(attribute).unwrap();
        }
        let len = builder.finish();
        buf[..len].to_vec()
    }

    fn binding_request() -> Vec<u8> {
        message(Class::Request, Method::BINDING, ID, &[])
    }

    fn local() -> SocketAddr {
        "192.0.2.10:50000".parse().unwrap()
    }

    fn server() -> SocketAddr {
        "192.0.2.1:3478".parse().unwrap()
    }

    /// `bytes` from `local()` to `server()`, over TCP when `reliable`.
    fn to_server(bytes: Vec<u8>, reliable: bool) -> Transmit {
        let transport = if reliable {
            Transport::Tcp
        } else {
            Transport::Udp
        };
        Transmit::new(local(), server(), transport, bytes)
    }

    /// `bytes` from `server()`, arriving on `local()`.
    fn from_server(bytes: &[u8]) -> Receive<'_> {
        Receive::udp(server(), local(), bytes)
    }

    /// A Binding transaction with the default settings over UDP.
    fn binding_transaction(now: Instant) -> ClientTransaction {
        ClientTransaction::new(
            TransactionConfig::default(),
            now,
            to_server(binding_request(), false),
        )
        .unwrap()
    }

    #[test]
    fn request_header_gives_the_method() {
        // Allocate request: type 0x0003.
        let bytes = message(Class::Request, Method::ALLOCATE, ID, &[]);
        let transaction = ClientTransaction::new(
            TransactionConfig::default(),
            Instant::now(),
            to_server(bytes.clone(), false),
        )
        .unwrap();
        assert_eq!(transaction.method(), Method::ALLOCATE);
        assert_eq!(transaction.transaction_id(), ID);
        assert_eq!(transaction.request(), &bytes[..]);
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn success_response_from_hex() {
        // Binding success, id "0123456789ab", XOR-MAPPED-ADDRESS 192.0.2.1:48725.
        let response = hex(concat!(
            "0101000c2112a442303132333435363738396162",
            "0020000800019f47e112a643",
        ));
        let now = Instant::now();
        let mut transaction = binding_transaction(now);
        assert!(transaction.poll_transmit().is_some());
        transaction
            .handle_receive(now + Duration::from_millis(20), from_server(&response))
            .unwrap();
        let Some(Event::Success(response_event)) = transaction.poll_event() else {
            panic!("expected success");
        };
        assert_eq!(
            response_event.mapped_address(),
            Some("192.0.2.1:48725".parse().unwrap())
        );
        assert_eq!(response_event.rtt(), Some(Duration::from_millis(20)));
        assert_eq!(response_event.as_bytes(), &response[..]);
        assert!(transaction.is_finished());
        assert_eq!(transaction.poll_timeout(), None);
        assert_eq!(transaction.poll_transmit(), None);
        assert_eq!(transaction.poll_event(), None);
    }

    #[test]
    fn late_call_folds_missed_transmissions() {
        let start = Instant::now();
        let mut transaction = binding_transaction(start);
        assert!(transaction.poll_transmit().is_some());
        // At 4 s the transmissions due at 0.5, 1.5 and 3.5 s are folded.
        transaction.handle_timeout(start + Duration::from_secs(4));
        assert!(transaction.poll_transmit().is_some());
        assert_eq!(transaction.poll_transmit(), None);
        assert_eq!(transaction.transmissions(), 4);
        assert_eq!(
            transaction.poll_timeout(),
            Some(start + Duration::from_millis(7_500))
        );
    }

    #[test]
    fn clamps_the_configuration() {
        let config = TransactionConfig {
            max_transmissions: 1_000,
            last_wait_multiplier: 0,
            ..TransactionConfig::default()
        }
        .clamped();
        assert_eq!(config.max_transmissions, MAX_TRANSMISSIONS);
        assert_eq!(config.last_wait_multiplier, 1);
        let config = TransactionConfig {
            max_transmissions: 0,
            ..TransactionConfig::default()
        }
        .clamped();
        assert_eq!(config.max_transmissions, 1);
    }

    #[test]
    fn huge_rto_does_not_overflow() {
        let start = Instant::now();
        let config = TransactionConfig {
            rto: Duration::MAX,
            max_transmissions: MAX_TRANSMISSIONS,
            ..TransactionConfig::default()
        };
        let mut transaction =
            ClientTransaction::new(config, start, to_server(binding_request(), false)).unwrap();
        assert_eq!(transaction.poll_timeout(), None);
        transaction.handle_timeout(start + Duration::from_secs(1_000_000));
        assert!(!transaction.is_finished());
    }

    #[test]
    fn zero_rto_ends_at_once() {
        let start = Instant::now();
        let mut transaction = ClientTransaction::new(
            TransactionConfig::with_rto(Duration::ZERO),
            start,
            to_server(binding_request(), false),
        )
        .unwrap();
        assert_eq!(transaction.poll_timeout(), Some(start));
        transaction.handle_timeout(start);
        assert!(transaction.is_timed_out());
        assert_eq!(transaction.poll_event(), Some(Event::TimedOut));
        assert_eq!(transaction.poll_timeout(), None);
    }

    #[test]
    fn rejects_other_messages() {
        let now = Instant::now();
        let mut transaction = binding_transaction(now);
        assert_eq!(
            transaction.handle_receive(now, from_server(&[0xff; 20])),
            Ok(Handled::NotMine)
        );
        assert_eq!(
            transaction.handle_receive(now, from_server(&[0x00; 20])),
            Err(RecvError::Malformed(ParseError::Rfc3489))
        );
        assert_eq!(
            transaction.handle_receive(now, from_server(&binding_request())),
            Ok(Handled::NotMine)
        );
        let elsewhere = Receive::udp("192.0.2.99:3478".parse().unwrap(), local(), &[0x01; 20]);
        assert_eq!(
            transaction.handle_receive(now, elsewhere),
            Ok(Handled::NotMine)
        );
        let other = message(
            Class::SuccessResponse,
            Method::BINDING,
            TransactionId::new([9; 12]),
            &[],
        );
        assert_eq!(
            transaction.handle_receive(now, from_server(&other)),
            Ok(Handled::NotMine)
        );
        let allocate = message(Class::SuccessResponse, Method::ALLOCATE, ID, &[]);
        assert_eq!(
            transaction.handle_receive(now, from_server(&allocate)),
            Err(RecvError::MethodMismatch {
                expected: Method::BINDING,
                received: Method::ALLOCATE
            })
        );
        assert!(!transaction.is_finished());
        assert_eq!(transaction.poll_event(), None);
    }

    #[test]
    fn error_response_without_error_code() {
        let now = Instant::now();
        let mut transaction = binding_transaction(now);
        let bytes = message(Class::ErrorResponse, Method::BINDING, ID, &[]);
        transaction
            .handle_receive(now, from_server(&bytes))
            .unwrap();
        let Some(Event::ErrorResponse { code, reason, .. }) = transaction.poll_event() else {
            panic!("expected an error response");
        };
        assert_eq!((code, reason.as_str()), (0, ""));
    }
}
