//! STUN client transactions with the RFC 8489 retransmission schedule.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-6.2.1>
//!
//! Over UDP a request is sent at 0, then again after RTO, 2·RTO, 4·RTO, …
//! for Rc = 7 transmissions in all; the transaction times out Rm·RTO (16·RTO)
//! after the last one. With the default RTO of 500 ms that is transmissions
//! at 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s and a timeout at 39.5 s. Over a
//! reliable transport (TCP, TLS) the request is sent once and the
//! transaction times out after Ti = 39.5 s.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_stun::transaction::{ClientTransaction, Response, TransactionConfig, TransactionEvent};
//! use sansrtc_stun::{Attribute, Class, Message, MessageBuilder, Method, TransactionId};
//!
//! let start = Instant::now();
//! let id = TransactionId::new([1; 12]);
//! let mut buf = [0u8; 20];
//! let len = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, id)?.finish();
//! let mut transaction =
//!     ClientTransaction::new(TransactionConfig::default(), start, id, buf[..len].to_vec(), false);
//!
//! // Drive loop: send what poll_transmit gives, wake at poll_timeout.
//! let mut sent = 0;
//! while let Some(_datagram) = transaction.poll_transmit() {
//!     sent += 1; // socket.send_to(_datagram, server)
//! }
//! assert_eq!(transaction.poll_timeout(), Some(start + Duration::from_millis(500)));
//! transaction.handle_timeout(start + Duration::from_millis(500));
//! while transaction.poll_transmit().is_some() {
//!     sent += 1;
//! }
//! assert_eq!(sent, 2);
//!
//! // The server's answer arrives.
//! let mut answer = [0u8; 64];
//! let mut builder = MessageBuilder::new(&mut answer, Class::SuccessResponse, Method::BINDING, id)?;
//! builder.add(&Attribute::XorMappedAddress("192.0.2.1:4000".parse().unwrap()))?;
//! let len = builder.finish();
//! let message = Message::parse(&answer[..len]).unwrap();
//! match transaction.handle_response(start + Duration::from_millis(600), &message) {
//!     Ok(Response::Success(response)) => {
//!         assert_eq!(response.xor_mapped_address(), Some("192.0.2.1:4000".parse().unwrap()));
//!     }
//!     other => panic!("{other:?}"),
//! }
//! assert_eq!(transaction.poll_event(), Some(TransactionEvent::Completed));
//! assert_eq!(transaction.poll_timeout(), None);
//! # Ok::<(), sansrtc_stun::WriteError>(())
//! ```

use alloc::vec::Vec;
use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use crate::attribute::ErrorCode;
use crate::message::{Message, TransactionId};

/// Retransmission settings (RFC 8489 §6.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransactionConfig {
    /// The initial retransmission timeout, RTO (500 ms by default; RFC 8489
    /// says it should be more than 500 ms unless the path is known better).
    pub rto: Duration,
    /// Rc: how many times the request is sent over UDP (7).
    pub max_transmissions: u32,
    /// Rm: how many RTOs to wait after the last transmission (16).
    pub last_wait_factor: u32,
    /// Ti: how long to wait over a reliable transport (39.5 s).
    pub reliable_timeout: Duration,
}

impl Default for TransactionConfig {
    fn default() -> Self {
        Self {
            rto: Duration::from_millis(500),
            max_transmissions: 7,
            last_wait_factor: 16,
            reliable_timeout: Duration::from_millis(39_500),
        }
    }
}

/// What a transaction reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransactionEvent {
    /// A response was accepted.
    Completed,
    /// No response came in time.
    TimedOut,
}

/// A response accepted by [`ClientTransaction::handle_response`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response<'m> {
    /// A success response.
    Success(Message<'m>),
    /// 300 Try Alternate: the server names another server (RFC 8489 §10).
    TryAlternate {
        /// ALTERNATE-SERVER.
        server: Option<SocketAddr>,
        /// ALTERNATE-DOMAIN, for TLS.
        domain: Option<&'m str>,
        /// The whole response.
        message: Message<'m>,
    },
    /// Any other error response.
    Error {
        /// The ERROR-CODE (400 Bad Request when the response lacks one).
        error: ErrorCode<'m>,
        /// The whole response.
        message: Message<'m>,
    },
}

/// Why a response was not accepted. The transaction keeps waiting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RecvError {
    /// The message's transaction id is another one.
    #[error("response to another transaction")]
    OtherTransaction,
    /// The message is a request or an indication.
    #[error("not a response")]
    NotAResponse,
    /// The transaction already completed or timed out.
    #[error("transaction already finished")]
    Finished,
    /// A key is set and the response's integrity did not verify.
    #[error("response failed its integrity check: {0}")]
    Integrity(crate::IntegrityError),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Completed,
    TimedOut,
}

/// One request in flight. See the [module docs](self).
#[derive(Debug, Clone)]
pub struct ClientTransaction {
    config: TransactionConfig,
    transaction_id: TransactionId,
    request: Vec<u8>,
    reliable: bool,
    key: Option<Vec<u8>>,
    state: State,
    transmissions: u32,
    transmit_due: bool,
    /// When the next retransmission (or the timeout) is due.
    deadline: Instant,
    /// The RTO for the next wait.
    interval: Duration,
    event: Option<TransactionEvent>,
}

impl ClientTransaction {
    /// Starts a transaction for the encoded `request`: its first
    /// transmission is ready at once. `reliable` is true over TCP and TLS.
    pub fn new(
        config: TransactionConfig,
        now: Instant,
        transaction_id: TransactionId,
        request: Vec<u8>,
        reliable: bool,
    ) -> Self {
        let (deadline, interval) = if reliable {
            (now + config.reliable_timeout, config.reliable_timeout)
        } else {
            (now + config.rto, config.rto)
        };
        Self {
            config,
            transaction_id,
            request,
            reliable,
            key: None,
            state: State::Waiting,
            transmissions: 0,
            transmit_due: true,
            deadline,
            interval,
            event: None,
        }
    }

    /// Requires responses to carry MESSAGE-INTEGRITY (or -SHA256) that
    /// verifies with `key`. Error responses 400, 401 and 438 are accepted
    /// without it: a server sends them when it could not authenticate the
    /// request, so it cannot sign them (RFC 8489 §9.1.3, §9.2.4).
    pub fn set_key(&mut self, key: &[u8]) {
        self.key = Some(key.to_vec());
    }

    // ----- inputs -------------------------------------------------------

    /// Offers a received message. A response to this transaction that
    /// passes the integrity check completes it.
    pub fn handle_response<'m>(
        &mut self,
        _now: Instant,
        message: &Message<'m>,
    ) -> Result<Response<'m>, RecvError> {
        if message.transaction_id() != self.transaction_id {
            return Err(RecvError::OtherTransaction);
        }
        if !message.class().is_response() {
            return Err(RecvError::NotAResponse);
        }
        if self.state != State::Waiting {
            return Err(RecvError::Finished);
        }
        let error = message.error_code();
        if let Some(key) = &self.key {
            let unsigned_allowed = matches!(error.map(|e| e.code), Some(400 | 401 | 438));
            if !unsigned_allowed || message.has_integrity() {
                message
                    .verify_integrity(key)
                    .map_err(RecvError::Integrity)?;
            }
        }
        self.state = State::Completed;
        self.transmit_due = false;
        self.event = Some(TransactionEvent::Completed);
        let message = *message;
        Ok(match message.class() {
            crate::Class::SuccessResponse => Response::Success(message),
            _ => match error {
                Some(error) if error.code == ErrorCode::TRY_ALTERNATE => Response::TryAlternate {
                    server: message.alternate_server(),
                    domain: message.alternate_domain(),
                    message,
                },
                Some(error) => Response::Error { error, message },
                None => Response::Error {
                    error: ErrorCode::new(
                        ErrorCode::BAD_REQUEST,
                        "error response without ERROR-CODE",
                    ),
                    message,
                },
            },
        })
    }

    /// Advances the retransmission timer. Early or repeated calls do
    /// nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.state != State::Waiting || self.transmit_due || now < self.deadline {
            return;
        }
        let sent_all = self.reliable || self.transmissions >= self.config.max_transmissions;
        if sent_all {
            self.state = State::TimedOut;
            self.event = Some(TransactionEvent::TimedOut);
            return;
        }
        self.transmit_due = true;
        self.interval = self.interval.saturating_mul(2);
        self.deadline = if self.transmissions + 1 >= self.config.max_transmissions {
            now + self.config.rto.saturating_mul(self.config.last_wait_factor)
        } else {
            now + self.interval
        };
    }

    // ----- outputs ------------------------------------------------------

    /// The request bytes when a (re)transmission is due.
    pub fn poll_transmit(&mut self) -> Option<&[u8]> {
        if !self.transmit_due || self.state != State::Waiting {
            return None;
        }
        self.transmit_due = false;
        self.transmissions += 1;
        Some(&self.request)
    }

    /// When [`handle_timeout`](Self::handle_timeout) must be called next;
    /// `None` once the transaction finished.
    pub fn poll_timeout(&self) -> Option<Instant> {
        (self.state == State::Waiting).then_some(self.deadline)
    }

    /// The completion or timeout, once.
    pub fn poll_event(&mut self) -> Option<TransactionEvent> {
        self.event.take()
    }

    // ----- getters ------------------------------------------------------

    /// The transaction id.
    pub const fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    /// The request bytes.
    pub fn request(&self) -> &[u8] {
        &self.request
    }

    /// How many times the request has been handed out for sending.
    pub const fn transmissions(&self) -> u32 {
        self.transmissions
    }

    /// Whether the transaction timed out.
    pub fn is_timed_out(&self) -> bool {
        self.state == State::TimedOut
    }

    /// Whether the transaction finished (completed or timed out).
    pub fn is_finished(&self) -> bool {
        self.state != State::Waiting
    }
}
