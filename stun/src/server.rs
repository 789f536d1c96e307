//! A sans-IO STUN Binding server.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-6.3>
//!
//! [`Server`] answers Binding requests with the address it saw them come
//! from, in XOR-MAPPED-ADDRESS (and MAPPED-ADDRESS too for RFC 3489-era
//! clients when [`ServerConfig::mapped_address`] is set). It answers:
//!
//! - 420 (Unknown Attribute) with UNKNOWN-ATTRIBUTES when a request holds
//!   comprehension-required attributes it does not act on: unknown ones,
//!   and known ones such as RFC 5780's CHANGE-REQUEST, PADDING and
//!   RESPONSE-PORT (it has no alternate address), or ICE's PRIORITY and
//!   USE-CANDIDATE (it is not an ICE agent) — [`UNDERSTOOD`] lists what it
//!   acts on;
//! - 400 (Bad Request) when a request's header is sound but its attributes
//!   are malformed (the answer can still carry the transaction id), or when
//!   the method is not Binding;
//! - with short-term credentials configured ([`ServerConfig::password`]),
//!   400 to a request without USERNAME or MESSAGE-INTEGRITY and 401
//!   (Unauthenticated) to one whose integrity or username does not check
//!   out (RFC 8489 §9.1.3); its other answers carry MESSAGE-INTEGRITY (or
//!   MESSAGE-INTEGRITY-SHA256, like the request).
//!
//! It stays silent on indications, responses, classic RFC 3489 messages,
//! messages whose header is broken (RFC 8489 §6.3 discards those) and
//! messages with a wrong FINGERPRINT; [`handle_receive`](Server::handle_receive)
//! says why with a [`RecvError`]. Bytes that are not STUN at all are
//! [`Handled::NotMine`].
//! Answers carry SOFTWARE when configured and FINGERPRINT when configured or
//! when the request had one.
//!
//! The server keeps no per-client state and no timers:
//! [`poll_timeout`](Server::poll_timeout) is always `None`. Its queues are
//! bounded by [`MAX_QUEUED`]; what they drop is counted in
//! [`overflow`](Server::overflow).
//!
//! ```
//! use std::net::SocketAddr;
//! use std::time::Instant;
//! use sansrtc_stun::server::{Event, Server, ServerConfig};
//! use sansrtc_stun::{Class, Message, MessageBuilder, Method, Receive, TransactionId};
//!
//! let mut config = ServerConfig::default();
//! config.software = Some("sansrtc example".into());
//! let mut server = Server::new(config);
//!
//! // A Binding request arrives from 192.0.2.10:5000 on our socket.
//! let client: SocketAddr = "192.0.2.10:5000".parse().unwrap();
//! let local: SocketAddr = "192.0.2.1:3478".parse().unwrap();
//! let id = TransactionId::new(*b"request-0001");
//! let mut buf = [0u8; 20];
//! let len = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, id)?.finish();
//! # #[allow(clippy::disallowed_methods)]
//! let now = Instant::now();
//! server.handle_receive(now, Receive::udp(client, local, &buf[..len])).expect("a Binding request");
//!
//! // Drain the answers and send each from its socket to its destination ...
//! while let Some(transmit) = server.poll_transmit() {
//!     assert_eq!((transmit.source, transmit.destination), (local, client));
//!     let response = Message::parse(&transmit.contents).unwrap();
//!     assert_eq!(response.class(), Class::SuccessResponse);
//!     assert_eq!(response.xor_mapped_address(), Some(client));
//!     assert_eq!(response.software(), Some("sansrtc example"));
//! }
//! // ... and the events, to log what was answered.
//! while let Some(event) = server.poll_event() {
//!     let Event::Answered { source, code, .. } = event else { continue };
//!     assert_eq!((source, code), (client, None));
//! }
//! # Ok::<(), sansrtc_stun::WriteError>(())
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::net::SocketAddr;
use std::time::Instant;

use crate::attribute::{Attribute, AttributeType, ErrorCode, MAX_TEXT_LEN, UnknownAttributes};
use crate::drive::{Outbox, Overflow, Queue, Receive, Transmit, Transport};
use crate::error::{IntegrityError, ParseError, WriteError};
use crate::integrity::IntegrityKind;
use crate::message::{
    Class, HEADER_LEN, MAX_ATTRIBUTES, Message, MessageBuilder, Method, TransactionId,
    split_message_type,
};

/// Most answers (and events) the server queues before the caller drains
/// them; further requests are refused with [`RecvError::QueueFull`] and
/// counted in [`Server::overflow`].
pub const MAX_QUEUED: usize = 64;

/// The comprehension-required attributes the server acts on. Any other in
/// a request, known to the codec or not, gets 420 (Unknown Attribute).
pub const UNDERSTOOD: [AttributeType; 3] = [
    AttributeType::USERNAME,
    AttributeType::MESSAGE_INTEGRITY,
    AttributeType::MESSAGE_INTEGRITY_SHA256,
];

/// Largest answer the server writes: header, both address attributes,
/// SOFTWARE, ERROR-CODE, UNKNOWN-ATTRIBUTES for [`MAX_ATTRIBUTES`] types,
/// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT fit with room to spare.
const ANSWER_BUF_LEN: usize = 2048;

/// What the server puts in its answers and whether it checks credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerConfig {
    /// SOFTWARE to put in every answer (cut to 763 bytes).
    pub software: Option<String>,
    /// Whether success responses also carry MAPPED-ADDRESS, for clients
    /// that predate XOR-MAPPED-ADDRESS.
    pub mapped_address: bool,
    /// Whether every answer carries FINGERPRINT (answers to requests that
    /// had one always do).
    pub fingerprint: bool,
    /// Short-term credential password: when set, requests must carry
    /// USERNAME and a MESSAGE-INTEGRITY (or MESSAGE-INTEGRITY-SHA256) made
    /// with it (RFC 8489 §9.1.3).
    pub password: Option<String>,
    /// With [`password`](Self::password), the USERNAME requests must carry;
    /// `None` accepts any.
    pub username: Option<String>,
}

/// What the server did with a received packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Handled {
    /// A request was answered: the answer waits in
    /// [`poll_transmit`](Server::poll_transmit).
    Answered,
    /// Not STUN (the first two bits are not zero): for someone else.
    NotMine,
}

/// What the server did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// A request was answered.
    Answered {
        /// Where the request came from.
        source: SocketAddr,
        /// Its method.
        method: Method,
        /// Its transaction id.
        transaction_id: TransactionId,
        /// The error code of the answer; `None` for a success response.
        code: Option<u16>,
    },
}

/// Why the server did not answer a datagram. None of these is fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// Not a STUN message, a classic RFC 3489 message, or a header that
    /// breaks RFC 8489's framing rules: discarded without an answer.
    #[error("not answered: {0}")]
    Malformed(ParseError),
    /// An indication or a response: a server does not answer those.
    #[error("not a request")]
    NotRequest,
    /// FINGERPRINT is present and wrong: discarded (RFC 8489 §14.7).
    #[error("bad fingerprint: {0}")]
    BadFingerprint(IntegrityError),
    /// The answer could not be written. Every value in an answer is
    /// bounded so that it fits its buffer; this is kept as an error rather
    /// than a panic.
    #[error("the answer could not be written: {0}")]
    Answer(WriteError),
    /// [`MAX_QUEUED`] answers wait to be sent; drain
    /// [`poll_transmit`](Server::poll_transmit).
    #[error("too many answers are waiting to be sent")]
    QueueFull,
}

/// A STUN Binding server. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct Server {
    config: ServerConfig,
    queues: Queues,
}

/// The answers and events waiting for the caller, apart from the
/// configuration so that an answer can borrow the password while queued.
#[derive(Debug, Clone)]
struct Queues {
    outbox: Outbox,
    events: Queue<Event>,
}

/// How an answer is built.
struct Answer<'a> {
    /// Where the request came from (and the answer goes).
    source: SocketAddr,
    /// The local socket it arrived on (and the answer leaves from).
    local: SocketAddr,
    transport: Transport,
    class: Class,
    method: Method,
    transaction_id: TransactionId,
    error: Option<ErrorCode<'a>>,
    unknown: &'a [AttributeType],
    integrity: Option<(&'a [u8], IntegrityKind)>,
    fingerprint: bool,
}

impl Server {
    /// A server with this configuration.
    pub fn new(mut config: ServerConfig) -> Self {
        if let Some(software) = &mut config.software {
            let mut end = software.len().min(MAX_TEXT_LEN);
            while !software.is_char_boundary(end) {
                end -= 1;
            }
            software.truncate(end);
        }
        Self {
            config,
            queues: Queues {
                outbox: Outbox::new(MAX_QUEUED),
                events: Queue::new(MAX_QUEUED),
            },
        }
    }

    /// The configuration.
    pub const fn config(&self) -> &ServerConfig {
        &self.config
    }

    // ----- inputs --------------------------------------------------------

    /// Handles a packet that arrived on one of the caller's sockets. The
    /// server keeps no clock; `now` is there for the shared contract.
    pub fn handle_receive(
        &mut self,
        now: Instant,
        packet: Receive<'_>,
    ) -> Result<Handled, RecvError> {
        let _ = now;
        let bytes = packet.contents;
        if bytes.first().is_some_and(|b| b & 0xC0 != 0) {
            return Ok(Handled::NotMine);
        }
        let (source, local, transport) = (packet.source, packet.destination, packet.transport);
        let message = match Message::parse(bytes) {
            Ok(message) => message,
            Err(error) => return self.handle_malformed(packet, error),
        };
        if message.has_fingerprint() {
            message
                .verify_fingerprint()
                .map_err(RecvError::BadFingerprint)?;
        }
        if message.class() != Class::Request {
            return Err(RecvError::NotRequest);
        }
        let mut answer = Answer {
            source,
            local,
            transport,
            class: Class::ErrorResponse,
            method: message.method(),
            transaction_id: message.transaction_id(),
            error: None,
            unknown: &[],
            integrity: None,
            fingerprint: self.config.fingerprint || message.has_fingerprint(),
        };
        if let Some(password) = &self.config.password {
            let Some(username) = message.username().filter(|_| message.has_integrity()) else {
                answer.error = Some(ErrorCode::new(
                    ErrorCode::BAD_REQUEST,
                    "USERNAME and MESSAGE-INTEGRITY are required",
                ));
                return self.queues.answer(&self.config, &answer);
            };
            let username_ok = self
                .config
                .username
                .as_deref()
                .is_none_or(|u| u == username);
            let verified = message.verify_integrity(password.as_bytes());
            match verified {
                Ok(kind) if username_ok => answer.integrity = Some((password.as_bytes(), kind)),
                _ => {
                    answer.error = Some(ErrorCode::new(
                        ErrorCode::UNAUTHENTICATED,
                        ErrorCode::default_reason(ErrorCode::UNAUTHENTICATED),
                    ));
                    return self.queues.answer(&self.config, &answer);
                }
            }
        }
        let unknown: Vec<AttributeType> = message
            .not_understood(&UNDERSTOOD)
            .take(MAX_ATTRIBUTES)
            .collect();
        if !unknown.is_empty() {
            answer.error = Some(ErrorCode::new(
                ErrorCode::UNKNOWN_ATTRIBUTE,
                ErrorCode::default_reason(ErrorCode::UNKNOWN_ATTRIBUTE),
            ));
            answer.unknown = &unknown;
            return self.queues.answer(&self.config, &answer);
        }
        if message.method() != Method::BINDING {
            answer.error = Some(ErrorCode::new(
                ErrorCode::BAD_REQUEST,
                "this server answers only Binding requests",
            ));
            return self.queues.answer(&self.config, &answer);
        }
        answer.class = Class::SuccessResponse;
        self.queues.answer(&self.config, &answer)
    }

    /// A message that did not parse: answer 400 when its header is sound
    /// and it is a request, stay silent otherwise.
    fn handle_malformed(
        &mut self,
        packet: Receive<'_>,
        error: ParseError,
    ) -> Result<Handled, RecvError> {
        let bytes = packet.contents;
        let attribute_error = matches!(
            error,
            ParseError::BadAttribute { .. }
                | ParseError::TooManyAttributes { .. }
                | ParseError::AttributeAfterFingerprint { .. }
        );
        let header = bytes.first_chunk::<HEADER_LEN>();
        let Some(&[t0, t1, _, _, _, _, _, _, ref id @ ..]) = header.filter(|_| attribute_error)
        else {
            return Err(RecvError::Malformed(error));
        };
        let (class, method) = split_message_type(u16::from_be_bytes([t0, t1]));
        if class != Class::Request {
            return Err(RecvError::Malformed(error));
        }
        let reason = match error {
            ParseError::TooManyAttributes { .. } => "too many attributes",
            ParseError::AttributeAfterFingerprint { .. } => "attribute after FINGERPRINT",
            _ => "malformed attribute",
        };
        self.queues.answer(
            &self.config,
            &Answer {
                source: packet.source,
                local: packet.destination,
                transport: packet.transport,
                class: Class::ErrorResponse,
                method,
                transaction_id: TransactionId::new(*id),
                error: Some(ErrorCode::new(ErrorCode::BAD_REQUEST, reason)),
                unknown: &[],
                integrity: None,
                fingerprint: self.config.fingerprint,
            },
        )
    }

    // ----- outputs -------------------------------------------------------

    /// The next answer to send.
    pub fn poll_transmit(&mut self) -> Option<Transmit> {
        self.queues.outbox.pop()
    }

    /// Always `None`: the server has no timers.
    pub const fn poll_timeout(&self) -> Option<Instant> {
        None
    }

    /// The next event (at most [`MAX_QUEUED`] are kept; newer ones are
    /// dropped and counted in [`overflow`](Self::overflow)).
    pub fn poll_event(&mut self) -> Option<Event> {
        self.queues.events.pop()
    }

    /// Answers and events dropped because the caller did not drain them.
    pub const fn overflow(&self) -> Overflow {
        Overflow {
            transmits: self.queues.outbox.dropped(),
            events: self.queues.events.dropped(),
        }
    }
}

impl Queues {
    fn answer(&mut self, config: &ServerConfig, answer: &Answer<'_>) -> Result<Handled, RecvError> {
        // Every value here is bounded (see ANSWER_BUF_LEN) and valid, so
        // writing cannot fail; if it did, the request goes unanswered.
        let queued = self
            .outbox
            .push_with(
                answer.local,
                answer.source,
                answer.transport,
                ANSWER_BUF_LEN,
                |buf| write_answer(config, buf, answer),
            )
            .map_err(RecvError::Answer)?;
        if !queued {
            return Err(RecvError::QueueFull);
        }
        self.events.push(Event::Answered {
            source: answer.source,
            method: answer.method,
            transaction_id: answer.transaction_id,
            code: answer.error.map(|e| e.code),
        });
        Ok(Handled::Answered)
    }
}

fn write_answer(
    config: &ServerConfig,
    buf: &mut [u8],
    answer: &Answer<'_>,
) -> Result<usize, WriteError> {
    let mut builder = MessageBuilder::new(buf, answer.class, answer.method, answer.transaction_id)?;
    if let Some(error) = answer.error {
        builder.add(&Attribute::ErrorCode(error))?;
        if !answer.unknown.is_empty() {
            builder.add(&Attribute::UnknownAttributes(UnknownAttributes::from_list(
                answer.unknown,
            )))?;
        }
    } else {
        builder.add(&Attribute::XorMappedAddress(answer.source))?;
        if config.mapped_address {
            builder.add(&Attribute::MappedAddress(answer.source))?;
        }
    }
    if let Some(software) = &config.software {
        builder.add(&Attribute::Software(software))?;
    }
    match answer.integrity {
        Some((key, IntegrityKind::Sha1)) => {
            builder.add_message_integrity(key)?;
        }
        Some((key, IntegrityKind::Sha256)) => {
            builder.add_message_integrity_sha256(key)?;
        }
        None => {}
    }
    if answer.fingerprint {
        builder.add_fingerprint()?;
    }
    Ok(builder.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: TransactionId = TransactionId::new(*b"0123456789ab");

    fn client() -> SocketAddr {
        "192.0.2.1:32853".parse().unwrap()
    }

    fn local() -> SocketAddr {
        "192.0.2.2:3478".parse().unwrap()
    }

    #[allow(clippy::disallowed_methods)]
    fn receive(
        server: &mut Server,
        source: SocketAddr,
        bytes: &[u8],
    ) -> Result<Handled, RecvError> {
        server.handle_receive(Instant::now(), Receive::udp(source, local(), bytes))
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    fn answer_to(server: &mut Server, bytes: &[u8]) -> Vec<u8> {
        receive(server, client(), bytes).unwrap();
        let transmit = server.poll_transmit().unwrap();
        assert_eq!((transmit.source, transmit.destination), (local(), client()));
        assert_eq!(server.poll_transmit(), None);
        transmit.contents.to_vec()
    }

    #[test]
    fn binding_success_bytes() {
        // Binding request, id "0123456789ab", no attributes.
        let request = hex("000100002112a442303132333435363738396162");
        let answer = answer_to(&mut Server::new(ServerConfig::default()), &request);
        // Binding success with XOR-MAPPED-ADDRESS 192.0.2.1:32853.
        assert_eq!(
            answer,
            hex(concat!(
                "0101000c2112a442303132333435363738396162",
                "002000080001a147e112a643",
            ))
        );
        let message = Message::parse(&answer).unwrap();
        assert_eq!(message.xor_mapped_address(), Some(client()));
        let mut written = [0u8; 64];
        let len = message.write_to(&mut written).unwrap();
        assert_eq!(&written[..len], &answer[..]);
    }

    #[test]
    fn malformed_attribute_gets_400_with_the_transaction_id() {
        // Binding request with a 3-byte XOR-MAPPED-ADDRESS (invalid length).
        let request = hex(concat!(
            "000100082112a442303132333435363738396162",
            "0020000301000000",
        ));
        let mut server = Server::new(ServerConfig::default());
        let answer = answer_to(&mut server, &request);
        let message = Message::parse(&answer).unwrap();
        assert_eq!(message.class(), Class::ErrorResponse);
        assert_eq!(message.transaction_id(), ID);
        assert_eq!(message.error_code().unwrap().code, 400);
        assert_eq!(
            server.poll_event(),
            Some(Event::Answered {
                source: client(),
                method: Method::BINDING,
                transaction_id: ID,
                code: Some(400),
            })
        );
    }

    #[test]
    fn broken_header_is_not_answered() {
        let mut server = Server::new(ServerConfig::default());
        // Length field 4, nothing follows.
        let request = hex("000100042112a442303132333435363738396162");
        assert!(matches!(
            receive(&mut server, client(), &request),
            Err(RecvError::Malformed(ParseError::LengthMismatch { .. }))
        ));
        // Not STUN at all: someone else's.
        assert_eq!(
            receive(&mut server, client(), &[0x80; 20]),
            Ok(Handled::NotMine)
        );
        assert_eq!(server.poll_transmit(), None);
        assert_eq!(server.poll_event(), None);
    }

    #[test]
    fn known_attributes_the_server_does_not_act_on_get_420() {
        // RFC 5780's CHANGE-REQUEST: without an alternate address the
        // server cannot honour it, so it is unknown to it (as coturn
        // answers); ICE's PRIORITY likewise.
        for attribute in [
            Attribute::ChangeRequest {
                change_ip: true,
                change_port: true,
            },
            Attribute::Priority(1),
        ] {
            let mut buf = [0u8; 64];
            let mut builder =
                MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, ID).unwrap();
            builder.add(&attribute).unwrap();
            let len = builder.finish();
            let mut server = Server::new(ServerConfig::default());
            let answer = answer_to(&mut server, &buf[..len]);
            let message = Message::parse(&answer).unwrap();
            assert_eq!(message.error_code().unwrap().code, 420);
            assert_eq!(
                message
                    .unknown_attributes()
                    .unwrap()
                    .iter()
                    .collect::<Vec<_>>(),
                [attribute.kind()]
            );
        }
    }

    #[test]
    fn queue_is_bounded() {
        let request = hex("000100002112a442303132333435363738396162");
        let mut server = Server::new(ServerConfig::default());
        for _ in 0..MAX_QUEUED {
            receive(&mut server, client(), &request).unwrap();
        }
        assert_eq!(
            receive(&mut server, client(), &request),
            Err(RecvError::QueueFull)
        );
        assert_eq!(server.overflow().transmits, 1);
        assert!(server.poll_transmit().is_some());
        receive(&mut server, client(), &request).unwrap();
        let mut count = 0;
        while server.poll_event().is_some() {
            count += 1;
        }
        assert_eq!(count, MAX_QUEUED);
    }

    #[test]
    fn largest_answers_fit_the_buffer() {
        let password = "p".repeat(64);
        let config = ServerConfig {
            software: Some("s".repeat(MAX_TEXT_LEN)),
            mapped_address: true,
            fingerprint: true,
            password: Some(password.clone()),
            username: None,
        };
        let mut server = Server::new(config);
        let source: SocketAddr = "[2001:db8::1]:65535".parse().unwrap();
        // As many unknown comprehension-required attributes as a request
        // may hold besides USERNAME, MESSAGE-INTEGRITY-SHA256 and
        // FINGERPRINT; then the same request without them.
        for unknown_count in [MAX_ATTRIBUTES - 3, 0] {
            let mut buf = [0u8; 2048];
            let mut builder =
                MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, ID).unwrap();
            builder.add(&Attribute::Username(&"u".repeat(513))).unwrap();
            for kind in 0..unknown_count {
                let kind = AttributeType(0x7000 + u16::try_from(kind).unwrap());
                builder
                    .add(&Attribute::Unknown { kind, value: &[] })
                    .unwrap();
            }
            builder
                .add_message_integrity_sha256(password.as_bytes())
                .unwrap();
            builder.add_fingerprint().unwrap();
            let len = builder.finish();
            receive(&mut server, source, &buf[..len]).unwrap();
            let answer = server.poll_transmit().unwrap().contents;
            assert!(answer.len() < ANSWER_BUF_LEN);
            let message = Message::parse(&answer).unwrap();
            message
                .verify_message_integrity_sha256(password.as_bytes())
                .unwrap();
            message.verify_fingerprint().unwrap();
            if unknown_count == 0 {
                assert_eq!(message.class(), Class::SuccessResponse);
                assert_eq!(message.mapped_address(), Some(source));
            } else {
                assert_eq!(message.error_code().unwrap().code, 420);
                assert_eq!(
                    message.unknown_attributes().unwrap().iter().count(),
                    unknown_count
                );
            }
        }
    }

    #[test]
    fn software_is_cut_at_a_character_boundary() {
        let config = ServerConfig {
            software: Some("é".repeat(500)),
            ..ServerConfig::default()
        };
        let server = Server::new(config);
        let software = server.config().software.as_deref().unwrap();
        assert_eq!(software.len(), 762);
        let request = hex("000100002112a442303132333435363738396162");
        let mut server = server;
        let answer = answer_to(&mut server, &request);
        assert_eq!(
            Message::parse(&answer).unwrap().software().map(str::len),
            Some(762)
        );
    }
}
