//! Consent freshness ([RFC 7675](https://www.rfc-editor.org/rfc/rfc7675)):
//! a check on each selected pair every 4 to 6 s, retransmitted until the
//! next one; consent expires after 30 s without an answer. The consent
//! checks are also the keepalives of RFC 8445 §11.
//!
//! - <https://www.rfc-editor.org/rfc/rfc7675#section-5.1>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-11>

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use sansrtc_stun::{Class, Message, TransactionId};

use crate::agent::Agent;
use crate::candidate::Transport;
use crate::check::check_request;
use crate::event::{Handled, Receive, RecvError};

/// A consent check on a selected pair.
#[derive(Debug, Clone)]
pub(crate) struct Consent {
    pub(crate) transaction_id: TransactionId,
    pub(crate) bytes: Bytes,
    pub(crate) sent: u32,
    pub(crate) next_at: Instant,
    pub(crate) rto: Duration,
}

impl Agent {
    /// Consent freshness (RFC 7675): a check on each selected pair every
    /// 4–6 s, retransmitted with the check RTO until the next one.
    pub(crate) fn consent(&mut self) {
        let now = self.now;
        let max = self.config.max_transmissions;
        let max_rto = self.config.max_rto;
        let mut sends = Vec::new();
        for index in 0..self.selected.len() {
            let interval = self.consent_interval();
            let transaction_id = self.transaction_id();
            let controlling = self.controlling;
            let tie_breaker = self.tie_breaker;
            let initial_rto = self.config.initial_rto;
            let Some(selected) = self.selected.get_mut(index) else {
                continue;
            };
            if let Some(consent) = &mut selected.consent {
                if consent.next_at <= now {
                    if consent.sent >= max {
                        selected.consent = None;
                    } else {
                        consent.sent += 1;
                        consent.rto = (consent.rto * 2).min(max_rto);
                        consent.next_at = now + consent.rto;
                        sends.push((
                            selected.local_base,
                            selected.remote_address,
                            selected.transport,
                            consent.bytes.clone(),
                        ));
                    }
                }
            }
            if selected.next_consent <= now {
                selected.next_consent = now + interval;
                if let Some(bytes) = check_request(
                    &mut self.writer,
                    transaction_id,
                    (&selected.remote_credentials, &selected.local_credentials),
                    selected.local_priority,
                    (controlling, tie_breaker),
                    false,
                ) {
                    sends.push((
                        selected.local_base,
                        selected.remote_address,
                        selected.transport,
                        bytes.clone(),
                    ));
                    // Over TCP the check is not retransmitted: it waits for
                    // its answer until the next one replaces it.
                    let (sent, next_at) = if selected.transport == Transport::Tcp {
                        (max, selected.next_consent)
                    } else {
                        (1, now + initial_rto)
                    };
                    selected.consent = Some(Consent {
                        transaction_id,
                        bytes,
                        sent,
                        next_at,
                        rto: initial_rto,
                    });
                }
            }
        }
        for (source, destination, transport, bytes) in sends {
            self.transmit(source, destination, transport, bytes);
        }
    }

    /// The next consent interval: 0.8 to 1.2 times the configured one.
    pub(crate) fn consent_interval(&mut self) -> Duration {
        let base = self.config.consent_interval;
        // 0.8 to 1.2 times the interval.
        let permille = 800 + self.rng.below(401);
        base * u32::try_from(permille).unwrap_or(1000) / 1000
    }

    /// A response to a consent check: a success on the selected pair's
    /// addresses renews consent (RFC 7675 §5.1).
    pub(crate) fn on_consent_response(
        &mut self,
        index: usize,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled<'static>, RecvError> {
        let now = self.now;
        let Some(selected) = self.selected.get_mut(index) else {
            return Ok(Handled::NotMine);
        };
        message
            .verify_message_integrity_with(&selected.remote_credentials.key)
            .map_err(|_| RecvError::Unauthenticated("MESSAGE-INTEGRITY"))?;
        selected.consent = None;
        if message.class() == Class::SuccessResponse
            && packet.source == selected.remote_address
            && packet.destination == selected.local_base
            && packet.transport == selected.transport
        {
            selected.last_consent = now;
        }
        Ok(Handled::Response)
    }

    /// A check received by a lite agent on its selected pair renews consent.
    pub(crate) fn refresh_lite_consent(
        &mut self,
        destination: SocketAddr,
        source: SocketAddr,
        transport: Transport,
    ) {
        if self.config.lite {
            // A lite agent sends no checks (RFC 8445 §2.5): the full peer's
            // checks on the selected pair are its sign of life.
            let now = self.now;
            for selected in &mut self.selected {
                if selected.local_base == destination
                    && selected.remote_address == source
                    && selected.transport == transport
                {
                    selected.last_consent = now;
                }
            }
        }
    }
}
