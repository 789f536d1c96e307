//! Connectivity checks: Binding requests authenticated with the ICE
//! credentials (RFC 8445 §7.2.2, RFC 8839 §5.4) and their retransmissions
//! (§14.3); the processing of their responses (§7.2.5); the answers to the
//! peer's checks (§7.3), with peer-reflexive candidates (§7.3.1.3) and
//! triggered checks (§7.3.1.4).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-7.2>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-7.2.5>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-7.3>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-14.3>
//! - <https://www.rfc-editor.org/rfc/rfc8839#section-5.4>

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt;
use core::net::SocketAddr;

use bytes::Bytes;
use sansrtc_stun::attribute::UnknownAttributes;
use sansrtc_stun::drive::PacketWriter;
use sansrtc_stun::{
    Attribute, AttributeType, Class, ErrorCode, IntegrityKey, MAX_ATTRIBUTES, Message,
    MessageBuilder, Method, TransactionId,
};

use crate::agent::{Agent, MAX_UNAUTHENTICATED_ANSWERS};
use crate::candidate::{self, Candidate, CandidateType, Local, Remote, TcpType, Transport};
use crate::event::{Error, Handled, Receive, RecvError};
use crate::nomination::nominate_on_request;
use crate::pair::{Check, PairState};
use crate::rng::Rng;
use crate::tcp;
use crate::trace::decision;

/// Most peer-reflexive remote candidates an agent learns from incoming
/// checks (per generation). Checks from further unknown addresses are
/// answered but not paired.
pub const MAX_PEER_REFLEXIVE: usize = 16;

/// Most peer-reflexive local candidates learned from responses.
pub const MAX_LOCAL_PEER_REFLEXIVE: usize = 16;

/// Most transmissions of one check
/// ([`Config::max_transmissions`](crate::Config::max_transmissions) is
/// clamped to 1 to this).
pub const MAX_CHECK_TRANSMISSIONS: u32 = 16;

/// ICE credentials: the `ice-ufrag` and `ice-pwd` of one side.
///
/// <https://www.rfc-editor.org/rfc/rfc8839#section-5.4>
///
/// Cloning is cheap (shared, not copied), and the password is kept as a
/// prepared MESSAGE-INTEGRITY key ([`IntegrityKey`]), so the checks the
/// agent answers and sends do not key HMAC again for every message.
#[derive(Clone)]
pub struct Credentials {
    pub(crate) ufrag: Arc<str>,
    pub(crate) pwd: Arc<str>,
    pub(crate) key: Arc<IntegrityKey>,
}

impl PartialEq for Credentials {
    fn eq(&self, other: &Self) -> bool {
        self.ufrag == other.ufrag && self.pwd == other.pwd
    }
}

impl Eq for Credentials {}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("ufrag", &self.ufrag)
            .field("pwd", &self.pwd)
            .finish()
    }
}

impl Credentials {
    /// Credentials from a ufrag (4 to 256 characters) and a password (22 to
    /// 256 characters) of the ICE alphabet.
    pub fn new(ufrag: &str, pwd: &str) -> Result<Self, Error> {
        let ice = |s: &str| {
            s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
        };
        if !(4..=256).contains(&ufrag.len()) || !ice(ufrag) {
            return Err(Error::Credentials("ufrag must be 4 to 256 ICE characters"));
        }
        if !(22..=256).contains(&pwd.len()) || !ice(pwd) {
            return Err(Error::Credentials(
                "password must be 22 to 256 ICE characters",
            ));
        }
        Ok(Self::from_parts(ufrag, pwd))
    }

    fn from_parts(ufrag: &str, pwd: &str) -> Self {
        Self {
            ufrag: ufrag.into(),
            pwd: pwd.into(),
            key: Arc::new(IntegrityKey::new(pwd.as_bytes())),
        }
    }

    pub(crate) fn random(rng: &mut Rng) -> Self {
        Self::from_parts(
            &crate::rng::ice_string(rng, 8),
            &crate::rng::ice_string(rng, 24),
        )
    }

    /// The username fragment.
    pub fn ufrag(&self) -> &str {
        &self.ufrag
    }

    /// The password.
    pub fn pwd(&self) -> &str {
        &self.pwd
    }
}

impl Agent {
    /// Retransmits checks whose RTO passed, doubling it up to the cap
    /// (RFC 8445 §14.3); a check out of transmissions fails its pair,
    /// unless the pair is already valid.
    pub(crate) fn retransmit_checks(&mut self) {
        let now = self.now;
        let max = self.config.max_transmissions;
        let max_rto = self.config.max_rto;
        let mut sends = Vec::new();
        for pair in self.checklist.pairs_mut() {
            let Some(check) = &mut pair.check else {
                continue;
            };
            if check.next_at > now {
                continue;
            }
            if check.sent >= max {
                let sent = check.sent;
                pair.check = None;
                if !pair.valid {
                    decision!(
                        "pair {} -> {} failed: no answer after {} checks",
                        pair.local_base,
                        pair.remote_addr,
                        sent
                    );
                }
                pair.state = if pair.valid {
                    PairState::Succeeded
                } else {
                    PairState::Failed
                };
                pair.use_candidate = false;
                continue;
            }
            check.sent += 1;
            check.rto = (check.rto * 2).min(max_rto);
            check.next_at = now + check.rto;
            sends.push((
                pair.local_base,
                pair.remote_addr,
                pair.transport,
                check.bytes.clone(),
            ));
        }
        for (source, destination, transport, bytes) in sends {
            self.transmit(source, destination, transport, bytes);
        }
    }

    /// Sends a connectivity check on pair `id` (RFC 8445 §7.2.4). Returns
    /// whether one was sent, or, for a TCP pair without a connection yet,
    /// whether its connection was asked for (RFC 6544 §7.1); a TCP pair
    /// that can have no connection fails.
    pub(crate) fn send_check(&mut self, id: u32) -> bool {
        let Some(remote_credentials) = self.remote_credentials.clone() else {
            return false;
        };
        let Some(pair) = self.checklist.get(id) else {
            return false;
        };
        let Some(local) = self.locals.get(pair.local) else {
            return false;
        };
        let transport = pair.transport;
        if transport == Transport::Tcp
            && self.connection(pair.local_base, pair.remote_addr).is_none()
        {
            let (active, remote, component) = (pair.active, pair.remote_addr, pair.component);
            let waiting =
                active.is_some_and(|socket| self.request_connection(socket, remote, component));
            if let Some(pair) = self.checklist.get_mut(id) {
                pair.check = None;
                if waiting {
                    pair.state = PairState::InProgress;
                } else {
                    pair.state = PairState::Failed;
                    pair.valid = false;
                    pair.use_candidate = false;
                }
            }
            if waiting && self.checking_since.is_none() {
                self.checking_since = Some(self.now);
            }
            return waiting;
        }
        let local_preference = if transport == Transport::Tcp {
            // The check's PRIORITY is that of a peer-reflexive candidate in
            // the connection's direction (RFC 6544 §4.2).
            let direction = if pair.active.is_some() {
                TcpType::Active
            } else {
                TcpType::Passive
            };
            tcp::local_preference(
                CandidateType::PeerReflexive,
                direction,
                tcp::other_preference(local.interface_rank, local.base.ip()),
            )
        } else {
            candidate::local_preference(local.interface_rank, local.base.ip())
        };
        let priority = candidate::priority(
            CandidateType::PeerReflexive,
            local_preference,
            pair.component,
        );
        let use_candidate = self.controlling && pair.use_candidate;
        let (source, destination) = (pair.local_base, pair.remote_addr);
        let transaction_id = self.transaction_id();
        let Some(bytes) = check_request(
            &mut self.writer,
            transaction_id,
            (&remote_credentials, &self.local_credentials),
            priority,
            (self.controlling, self.tie_breaker),
            use_candidate,
        ) else {
            return false;
        };
        let rto = self.config.initial_rto;
        let now = self.now;
        let controlling = self.controlling;
        // Over TCP a check is sent once (the stream is reliable, RFC 8489
        // §6.2.2) and given as long as a retransmitted one would take.
        let reliable = transport == Transport::Tcp;
        let (sent, next_at) = if reliable {
            (self.config.max_transmissions, now + self.check_span())
        } else {
            (1, now + rto)
        };
        if let Some(pair) = self.checklist.get_mut(id) {
            if pair.state != PairState::Succeeded {
                pair.state = PairState::InProgress;
            }
            pair.check = Some(Check {
                transaction_id,
                bytes: bytes.clone(),
                sent,
                next_at,
                rto,
                use_candidate,
                controlling,
                priority,
                reliable,
            });
        }
        if self.checking_since.is_none() {
            self.checking_since = Some(now);
        }
        self.checks_sent += 1;
        self.transmit(source, destination, transport, bytes);
        true
    }

    /// An incoming Binding request (RFC 8445 §7.3): authenticated, answered
    /// (or refused with 400, 401, 420 or 487), then, for this generation,
    /// its remote candidate found or learned and its pair checked in return.
    pub(crate) fn on_request(
        &mut self,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled<'static>, RecvError> {
        let credentials = match self.authenticate_request(message) {
            Ok(credentials) => credentials,
            Err((error, Some(code))) => {
                decision!(
                    "check from {} refused with {}: {}",
                    packet.source,
                    code,
                    error
                );
                self.refuse_unauthenticated(message, code, packet);
                return Err(error);
            }
            Err((error, None)) => {
                decision!("check from {} dropped: {}", packet.source, error);
                return Err(error);
            }
        };
        let transaction_id = message.transaction_id();
        let (source, destination, transport) =
            (packet.source, packet.destination, packet.transport);
        if transport == Transport::Tcp {
            // An authenticated check: the connection carries ICE.
            self.connections.verify(destination, source);
        }
        // RFC 8489 §6.3.1: after authentication, comprehension-required
        // attributes the agent does not act on get 420.
        if message.not_understood(&UNDERSTOOD).next().is_some() {
            let unknown: Vec<AttributeType> = message
                .not_understood(&UNDERSTOOD)
                .take(MAX_ATTRIBUTES)
                .collect();
            if let Some(bytes) = unknown_attributes_response(
                &mut self.writer,
                transaction_id,
                &unknown,
                &credentials,
            ) {
                self.transmit(destination, source, transport, bytes);
            }
            return Err(RecvError::Unsupported(
                "unknown comprehension-required attributes",
            ));
        }
        let Some(priority) = message.priority() else {
            self.respond_error(transaction_id, ErrorCode::BAD_REQUEST, &credentials, packet);
            return Err(RecvError::Unsupported("no PRIORITY"));
        };
        if self.answered_role_conflict(message, &credentials, packet) {
            return Ok(Handled::Request);
        }
        if let Some(bytes) =
            success_response(&mut self.writer, transaction_id, source, &credentials)
        {
            self.transmit(destination, source, transport, bytes);
        }
        self.refresh_lite_consent(destination, source, transport);
        if credentials != self.local_credentials {
            // A check of the previous generation: answered for consent only.
            return Ok(Handled::Request);
        }
        let Some(remote_index) = self.remote_of_request(source, destination, transport, priority)
        else {
            return Ok(Handled::Request);
        };
        let use_candidate = message.use_candidate() && !self.controlling;
        if self.checking_since.is_none() {
            self.checking_since = Some(self.now);
        }
        if self.config.lite {
            if use_candidate {
                self.select_lite(destination, remote_index, transport);
            }
            return Ok(Handled::Request);
        }
        self.triggered_check(destination, source, transport, remote_index, use_candidate);
        Ok(Handled::Request)
    }

    /// Authenticates a request (RFC 8445 §7.3, with the short-term
    /// credentials of RFC 8489 §9.1): a Binding request with a FINGERPRINT,
    /// whose USERNAME starts with our ufrag (this generation's, or the
    /// previous one's while a pair selected with it is in use) and whose
    /// MESSAGE-INTEGRITY that ufrag's password verifies. Returns the
    /// credentials it matched, or why not with the error code RFC 8489
    /// §9.1.3 answers it with:
    ///
    /// - no USERNAME or no MESSAGE-INTEGRITY: 400 (Bad Request);
    /// - a USERNAME that is not ours, or a MESSAGE-INTEGRITY that does not
    ///   verify: 401 (Unauthenticated);
    /// - another method: 400;
    /// - no FINGERPRINT: no answer. Every ICE check carries one
    ///   (RFC 8445 §7.2.2); without it the message may well be another
    ///   protocol's that only looks like STUN.
    ///
    /// The answers are rate-limited ([`MAX_UNAUTHENTICATED_ANSWERS`]).
    fn authenticate_request(
        &self,
        message: &Message<'_>,
    ) -> Result<Credentials, (RecvError, Option<u16>)> {
        if !message.has_fingerprint() {
            return Err((RecvError::Fingerprint, None));
        }
        if message.method() != Method::BINDING {
            let error = RecvError::Unsupported("only Binding requests are served");
            return Err((error, Some(ErrorCode::BAD_REQUEST)));
        }
        let bad_request = |what| {
            Err((
                RecvError::Unauthenticated(what),
                Some(ErrorCode::BAD_REQUEST),
            ))
        };
        let unauthenticated = |what| {
            Err((
                RecvError::Unauthenticated(what),
                Some(ErrorCode::UNAUTHENTICATED),
            ))
        };
        let Some(username) = message.username() else {
            return bad_request("no USERNAME");
        };
        if !message.has_integrity() {
            return bad_request("no MESSAGE-INTEGRITY");
        }
        let ours = username.split(':').next().unwrap_or_default();
        let credentials = if ours == &*self.local_credentials.ufrag {
            self.local_credentials.clone()
        } else if let Some(old) = self
            .old_local_credentials
            .as_ref()
            .filter(|old| &*old.ufrag == ours)
        {
            old.clone()
        } else {
            return unauthenticated("USERNAME");
        };
        if message
            .verify_message_integrity_with(&credentials.key)
            .is_err()
        {
            return unauthenticated("MESSAGE-INTEGRITY");
        }
        Ok(credentials)
    }

    /// Answers a request that did not authenticate with `code` (400 or
    /// 401), without MESSAGE-INTEGRITY (there is no key to sign with,
    /// RFC 8489 §9.1.3), at most [`MAX_UNAUTHENTICATED_ANSWERS`] times a
    /// second.
    fn refuse_unauthenticated(&mut self, message: &Message<'_>, code: u16, packet: &Receive<'_>) {
        let (since, count) = &mut self.unauthenticated_answers;
        if self.now.saturating_duration_since(*since) >= core::time::Duration::from_secs(1) {
            *since = self.now;
            *count = 0;
        }
        if *count >= MAX_UNAUTHENTICATED_ANSWERS {
            return;
        }
        *count += 1;
        if let Some(bytes) = unsigned_error_response(
            &mut self.writer,
            message.method(),
            message.transaction_id(),
            code,
        ) {
            self.transmit(packet.destination, packet.source, packet.transport, bytes);
        }
    }

    /// The remote candidate a check came from: a known one, or a new
    /// peer-reflexive one (RFC 8445 §7.3.1.3) while there are fewer than
    /// [`MAX_PEER_REFLEXIVE`]; `None` when it cannot be learned.
    fn remote_of_request(
        &mut self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
        priority: u32,
    ) -> Option<usize> {
        // Over TCP, the peer's end of a connection it opened is active, of
        // one we opened passive (RFC 6544 §7.2).
        let (component, tcp_type) = if transport == Transport::Tcp {
            let connection = self.connection(destination, source)?;
            let tcp_type = if connection.accepted {
                TcpType::Active
            } else {
                TcpType::Passive
            };
            (connection.component, Some(tcp_type))
        } else {
            let component = self
                .sockets
                .iter()
                .find(|s| s.address == destination && s.transport == transport)
                .map_or(1, |s| s.component);
            (component, None)
        };
        match self.remotes.iter().position(|r| {
            r.address == source
                && r.candidate.component() == component
                && r.candidate.transport() == transport
        }) {
            Some(index) => Some(index),
            None => {
                if self.remote_prflx >= MAX_PEER_REFLEXIVE {
                    return None;
                }
                // RFC 8445 §7.3.1.3: a peer-reflexive remote candidate.
                self.prflx_foundation = self.prflx_foundation.wrapping_add(1);
                let foundation = format!("prflx{}", self.prflx_foundation);
                let Ok(candidate) = Candidate::new(
                    &foundation,
                    component,
                    transport,
                    priority,
                    source,
                    CandidateType::PeerReflexive,
                ) else {
                    return None;
                };
                let candidate = match tcp_type {
                    Some(tcp_type) => candidate
                        .with_extension("tcptype", tcp_type.as_str())
                        .ok()?,
                    None => candidate,
                };
                self.remotes.push(Remote {
                    candidate,
                    address: source,
                });
                self.remote_prflx += 1;
                if transport == Transport::Udp {
                    self.permit_remote(source.ip());
                }
                Some(self.remotes.len() - 1)
            }
        }
    }

    /// The pair of a check received by a full agent, found or made, gets a
    /// triggered check (RFC 8445 §7.3.1.4), and USE-CANDIDATE nominates it
    /// (§7.3.1.5).
    fn triggered_check(
        &mut self,
        destination: SocketAddr,
        source: SocketAddr,
        transport: Transport,
        remote_index: usize,
        use_candidate: bool,
    ) {
        // Over TCP the local candidate is the one of the connection's
        // socket (a passive listener, or an active socket whose connection
        // has its own port), and the pair is made on the connection.
        let (base, connection) = if transport == Transport::Tcp {
            let Some(connection) = self.connection(destination, source) else {
                return;
            };
            (connection.socket, Some((destination, source)))
        } else {
            (destination, None)
        };
        let Some(local_index) = self.locals.iter().position(|l| {
            l.base == base
                && l.candidate.transport() == transport
                && matches!(
                    l.candidate.kind(),
                    CandidateType::Host | CandidateType::Relayed
                )
        }) else {
            return;
        };
        let id = match self.checklist.find(destination, source, transport) {
            Some(id) => Some(id),
            None => self.make_pair_on(local_index, remote_index, connection),
        };
        let Some(id) = id else {
            return;
        };
        if self.checking_since.is_none() {
            self.checking_since = Some(self.now);
        }
        let mut select = false;
        let span = self.check_span();
        if let Some(pair) = self.checklist.get_mut(id) {
            // Triggered check (RFC 8445 §7.3.1.4). An In-Progress check is
            // sent again at once with a fresh retransmission budget, under
            // the same transaction id so that earlier answers still count
            // (over TCP it only gets more time).
            let trigger = matches!(
                pair.state,
                PairState::Frozen | PairState::Waiting | PairState::Failed
            );
            let initial_rto = self.config.initial_rto;
            let now = self.now;
            let mut resend = None;
            if let (PairState::InProgress, Some(check)) = (pair.state, &mut pair.check) {
                if check.refresh(now, initial_rto, span) {
                    resend = Some(check.bytes.clone());
                }
            }
            if let Some(bytes) = resend {
                self.transmit(destination, source, transport, bytes);
            }
            let Some(pair) = self.checklist.get_mut(id) else {
                return;
            };
            if trigger {
                pair.state = PairState::Waiting;
            }
            if use_candidate {
                select = nominate_on_request(pair);
            }
            if trigger {
                self.checklist.enqueue_triggered(id);
                self.pace();
            }
        }
        if select {
            self.select(id);
        }
    }

    /// Answers a request with an error response.
    pub(crate) fn respond_error(
        &mut self,
        transaction_id: TransactionId,
        code: u16,
        credentials: &Credentials,
        packet: &Receive<'_>,
    ) {
        if let Some(bytes) = error_response(&mut self.writer, transaction_id, code, credentials) {
            self.transmit(packet.destination, packet.source, packet.transport, bytes);
        }
    }

    /// A response to a connectivity check (RFC 8445 §7.2.5), authenticated
    /// with the remote password: an error or a success.
    pub(crate) fn on_check_response(
        &mut self,
        id: u32,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled<'static>, RecvError> {
        let Some(remote_credentials) = &self.remote_credentials else {
            return Ok(Handled::NotMine);
        };
        message
            .verify_message_integrity_with(&remote_credentials.key)
            .map_err(|_| RecvError::Unauthenticated("MESSAGE-INTEGRITY"))?;
        let Some(pair) = self.checklist.get_mut(id) else {
            return Ok(Handled::NotMine);
        };
        let Some(check) = pair.check.take() else {
            return Ok(Handled::NotMine);
        };
        if message.class() == Class::ErrorResponse {
            self.on_check_error(id, &check, message);
            return Ok(Handled::Response);
        }
        self.on_check_success(id, &check, message, packet);
        Ok(Handled::Response)
    }

    /// An error response to a check: 487 (Role Conflict) is retried in the
    /// other role (RFC 8445 §7.2.5.1), anything else fails the pair
    /// (§7.2.5.2).
    fn on_check_error(&mut self, id: u32, check: &Check, message: &Message<'_>) {
        let code = message.error_code().map(|e| e.code);
        if code == Some(ErrorCode::ROLE_CONFLICT) {
            self.on_role_conflict(id, check);
        } else if let Some(pair) = self.checklist.get_mut(id) {
            decision!(
                "pair {} -> {} failed: error response {:?}",
                pair.local_base,
                pair.remote_addr,
                code
            );
            pair.state = PairState::Failed;
            pair.use_candidate = false;
        }
    }

    /// A success response to a check (RFC 8445 §7.2.5.2, §7.2.5.3): with
    /// symmetric addresses and an XOR-MAPPED-ADDRESS the pair becomes
    /// valid, and nominated when the check carried USE-CANDIDATE or the
    /// peer nominated it first.
    fn on_check_success(
        &mut self,
        id: u32,
        check: &Check,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) {
        let Some(pair) = self.checklist.get_mut(id) else {
            return;
        };
        // RFC 8445 §7.2.5.2.1: the addresses must be symmetric.
        let mapped = message.xor_mapped_address();
        if packet.source != pair.remote_addr
            || packet.destination != pair.local_base
            || packet.transport != pair.transport
        {
            decision!(
                "pair {} -> {} failed: the response came from {} to {} (not symmetric, RFC 8445 7.2.5.2.1)",
                pair.local_base,
                pair.remote_addr,
                packet.source,
                packet.destination
            );
            pair.state = PairState::Failed;
            pair.use_candidate = false;
            return;
        }
        let Some(mapped) = mapped else {
            decision!(
                "pair {} -> {} failed: success without XOR-MAPPED-ADDRESS",
                pair.local_base,
                pair.remote_addr
            );
            pair.state = PairState::Failed;
            return;
        };
        let (local_base, component, foundation, transport) = (
            pair.local_base,
            pair.component,
            pair.foundation.clone(),
            pair.transport,
        );
        let (current, active) = (pair.local, pair.active.is_some());
        if transport == Transport::Tcp {
            self.connections.verify(local_base, packet.source);
        }
        let local_index = if transport == Transport::Tcp {
            self.tcp_local_of_response(
                current,
                active,
                local_base,
                component,
                mapped,
                check.priority,
            )
        } else {
            self.local_of_response(local_base, component, mapped, check.priority)
        };
        let controlling = self.controlling;
        let now = self.now;
        let Some(pair) = self.checklist.get_mut(id) else {
            return;
        };
        if let Some(index) = local_index {
            if index != pair.local {
                pair.local = index;
                pair.local_priority = check.priority;
                pair.set_role(controlling);
            }
        }
        pair.state = PairState::Succeeded;
        pair.valid = true;
        let nominated =
            (check.use_candidate && controlling) || (!controlling && pair.nominate_on_success);
        if nominated {
            pair.nominated = true;
            pair.use_candidate = false;
        }
        self.checklist.set_role(controlling);
        self.checklist.unfreeze_foundation(&foundation);
        if !self.first_valid_at.iter().any(|(c, _)| *c == component) {
            self.first_valid_at.push((component, now));
        }
        if transport == Transport::Tcp
            && !self.first_tcp_valid_at.iter().any(|(c, _)| *c == component)
        {
            self.first_tcp_valid_at.push((component, now));
        }
        if nominated {
            self.select(id);
        }
        self.nominate();
    }

    /// The valid pair's local candidate: the one with the mapped address,
    /// or a new peer-reflexive one (RFC 8445 §7.2.5.3.1) while there are
    /// fewer than [`MAX_LOCAL_PEER_REFLEXIVE`].
    fn local_of_response(
        &mut self,
        local_base: SocketAddr,
        component: u16,
        mapped: SocketAddr,
        priority: u32,
    ) -> Option<usize> {
        match self.locals.iter().position(|l| {
            l.base == local_base
                && l.candidate.transport() == Transport::Udp
                && l.transport_address() == Some(mapped)
        }) {
            Some(index) => Some(index),
            None if self.local_prflx < MAX_LOCAL_PEER_REFLEXIVE => {
                let rank = self
                    .locals
                    .iter()
                    .find(|l| l.base == local_base)
                    .map_or(0, |l| l.interface_rank);
                let foundation_text = candidate::foundation(
                    CandidateType::PeerReflexive,
                    local_base.ip(),
                    None,
                    Transport::Udp,
                );
                Candidate::new(
                    &foundation_text,
                    component,
                    Transport::Udp,
                    priority,
                    mapped,
                    CandidateType::PeerReflexive,
                )
                .ok()
                .map(|c| {
                    self.locals.push(Local {
                        candidate: c.with_related(local_base),
                        base: local_base,
                        interface_rank: rank,
                    });
                    self.local_prflx += 1;
                    self.locals.len() - 1
                })
            }
            None => None,
        }
    }
}

impl Agent {
    /// The valid TCP pair's local candidate (RFC 6544 §7.1): the pair's
    /// own when the peer saw the connection's address (an active
    /// candidate stands for every connection opened from its address; a
    /// passive one's connections share its address), or a new
    /// peer-reflexive one with the mapped address, in the connection's
    /// direction, while there are fewer than [`MAX_LOCAL_PEER_REFLEXIVE`].
    fn tcp_local_of_response(
        &mut self,
        current: usize,
        active: bool,
        local_base: SocketAddr,
        component: u16,
        mapped: SocketAddr,
        priority: u32,
    ) -> Option<usize> {
        if mapped == local_base {
            return Some(current);
        }
        if let Some(index) = self.locals.iter().position(|l| {
            l.base == local_base
                && l.candidate.transport() == Transport::Tcp
                && l.candidate.socket_addr() == Some(mapped)
        }) {
            return Some(index);
        }
        if self.local_prflx >= MAX_LOCAL_PEER_REFLEXIVE {
            return None;
        }
        let rank = self.locals.get(current).map_or(0, |l| l.interface_rank);
        let foundation = candidate::foundation(
            CandidateType::PeerReflexive,
            local_base.ip(),
            None,
            Transport::Tcp,
        );
        let tcp_type = if active {
            TcpType::Active
        } else {
            TcpType::Passive
        };
        let candidate = Candidate::new(
            &foundation,
            component,
            Transport::Tcp,
            priority,
            mapped,
            CandidateType::PeerReflexive,
        )
        .ok()?
        .with_related(local_base)
        .with_extension("tcptype", tcp_type.as_str())
        .ok()?;
        self.locals.push(Local {
            candidate,
            base: local_base,
            interface_rank: rank,
        });
        self.local_prflx += 1;
        Some(self.locals.len() - 1)
    }
}

/// Room for the largest message the agent writes (a 513-byte USERNAME and
/// the fixed attributes).
const MESSAGE_BUF: usize = 640;

/// The comprehension-required attributes the agent acts on in a check;
/// any other gets 420 (Unknown Attribute).
const UNDERSTOOD: [AttributeType; 5] = [
    AttributeType::USERNAME,
    AttributeType::MESSAGE_INTEGRITY,
    AttributeType::MESSAGE_INTEGRITY_SHA256,
    AttributeType::PRIORITY,
    AttributeType::USE_CANDIDATE,
];

/// A message of `class` and `method` with the attributes `build` adds,
/// written in pooled memory; `None` if it does not fit.
fn finish_message(
    writer: &mut PacketWriter,
    build: impl FnOnce(&mut MessageBuilder<'_>) -> Result<(), sansrtc_stun::WriteError>,
    class: Class,
    method: Method,
    transaction_id: TransactionId,
) -> Option<Bytes> {
    writer
        .write(MESSAGE_BUF, |buf| {
            let mut builder = MessageBuilder::new(buf, class, method, transaction_id)?;
            build(&mut builder)?;
            Ok::<_, sansrtc_stun::WriteError>(builder.finish())
        })
        .ok()
}

/// A Binding message of `class` with the attributes `build` adds, written
/// in pooled memory; `None` if it does not fit.
pub(crate) fn finish(
    writer: &mut PacketWriter,
    build: impl FnOnce(&mut MessageBuilder<'_>) -> Result<(), sansrtc_stun::WriteError>,
    class: Class,
    transaction_id: TransactionId,
) -> Option<Bytes> {
    finish_message(writer, build, class, Method::BINDING, transaction_id)
}

/// A connectivity check (RFC 8445 §7.2.2): USERNAME `remote:local`,
/// PRIORITY, the role with the tie-breaker, USE-CANDIDATE when nominating,
/// MESSAGE-INTEGRITY with the remote password, FINGERPRINT.
pub(crate) fn check_request(
    writer: &mut PacketWriter,
    transaction_id: TransactionId,
    (remote, local): (&Credentials, &Credentials),
    priority: u32,
    (controlling, tie_breaker): (bool, u64),
    use_candidate: bool,
) -> Option<Bytes> {
    let username = format!("{}:{}", remote.ufrag, local.ufrag);
    finish(
        writer,
        |b| {
            b.add(&Attribute::Username(&username))?
                .add(&Attribute::Priority(priority))?;
            if controlling {
                b.add(&Attribute::IceControlling(tie_breaker))?;
            } else {
                b.add(&Attribute::IceControlled(tie_breaker))?;
            }
            if use_candidate {
                b.add(&Attribute::UseCandidate)?;
            }
            b.add_message_integrity_with(&remote.key)?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::Request,
        transaction_id,
    )
}

/// A success response to a check (RFC 8445 §7.3.1.2).
fn success_response(
    writer: &mut PacketWriter,
    transaction_id: TransactionId,
    source: SocketAddr,
    local: &Credentials,
) -> Option<Bytes> {
    finish(
        writer,
        |b| {
            b.add(&Attribute::XorMappedAddress(source))?;
            b.add_message_integrity_with(&local.key)?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::SuccessResponse,
        transaction_id,
    )
}

/// An error response to a check (400 or 487, RFC 8445 §7.3.1.1), with
/// MESSAGE-INTEGRITY and FINGERPRINT.
fn error_response(
    writer: &mut PacketWriter,
    transaction_id: TransactionId,
    code: u16,
    local: &Credentials,
) -> Option<Bytes> {
    finish(
        writer,
        |b| {
            b.add(&Attribute::ErrorCode(ErrorCode::new(
                code,
                ErrorCode::default_reason(code),
            )))?;
            b.add_message_integrity_with(&local.key)?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::ErrorResponse,
        transaction_id,
    )
}

/// A 420 (Unknown Attribute) response listing `unknown`, with
/// MESSAGE-INTEGRITY and FINGERPRINT (RFC 8489 §6.3.1.1).
fn unknown_attributes_response(
    writer: &mut PacketWriter,
    transaction_id: TransactionId,
    unknown: &[AttributeType],
    local: &Credentials,
) -> Option<Bytes> {
    finish(
        writer,
        |b| {
            b.add(&Attribute::ErrorCode(ErrorCode::new(
                ErrorCode::UNKNOWN_ATTRIBUTE,
                ErrorCode::default_reason(ErrorCode::UNKNOWN_ATTRIBUTE),
            )))?
            .add(&Attribute::UnknownAttributes(UnknownAttributes::from_list(
                unknown,
            )))?;
            b.add_message_integrity_with(&local.key)?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::ErrorResponse,
        transaction_id,
    )
}

/// An error response (400 or 401) to a request that did not authenticate:
/// FINGERPRINT but no MESSAGE-INTEGRITY (RFC 8489 §9.1.3).
fn unsigned_error_response(
    writer: &mut PacketWriter,
    method: Method,
    transaction_id: TransactionId,
    code: u16,
) -> Option<Bytes> {
    finish_message(
        writer,
        |b| {
            b.add(&Attribute::ErrorCode(ErrorCode::new(
                code,
                ErrorCode::default_reason(code),
            )))?;
            b.add_fingerprint()?;
            Ok(())
        },
        Class::ErrorResponse,
        method,
        transaction_id,
    )
}
