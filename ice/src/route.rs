//! Routing packets to agents: many agents can share one socket (an SFU
//! serving every peer on one port), and the caller must find each STUN
//! packet's agent before handing it over.
//!
//! A connectivity check names its agent in USERNAME: `<receiver's
//! ufrag>:<sender's ufrag>` (RFC 8445 §7.2.2). [`local_ufrag`] reads that
//! first part without allocating, so the caller can look the agent up in a
//! map keyed by each agent's [`local ufrag`](crate::Credentials::ufrag);
//! [`Agent::accepts`] answers for one agent, responses included.
//!
//! <https://www.rfc-editor.org/rfc/rfc8445#section-7.2.2>

use sansrtc_stun::{Class, Message};

use crate::agent::Agent;
use crate::event::Receive;

/// The ufrag of the agent a STUN request is for: the part of its USERNAME
/// before the colon. `None` for anything else (not STUN, not a request, no
/// USERNAME). Parsing borrows from `packet` and allocates nothing.
///
/// ```
/// use sansrtc_ice::local_ufrag;
/// use sansrtc_stun::{Attribute, Class, MessageBuilder, Method, TransactionId};
///
/// let mut buf = [0u8; 128];
/// let mut check = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING,
///     TransactionId::new([7; 12]))?;
/// check.add(&Attribute::Username("sfu1:peerA"))?;
/// let len = check.finish();
/// assert_eq!(local_ufrag(&buf[..len]), Some("sfu1"));
/// assert_eq!(local_ufrag(b"\x80\x60 an RTP packet"), None);
/// # Ok::<(), sansrtc_stun::WriteError>(())
/// ```
pub fn local_ufrag(packet: &[u8]) -> Option<&str> {
    if packet.first().is_none_or(|b| *b > 3) {
        return None;
    }
    let message = Message::parse(packet).ok()?;
    if message.class() != Class::Request {
        return None;
    }
    let username = message.username()?;
    username.split(':').next()
}

impl Agent {
    /// Whether `packet` is this agent's to handle: a request whose USERNAME
    /// names this agent's ufrag (this generation's or the previous one's),
    /// a response to one of its transactions, or a packet from one of its
    /// TURN servers. Application data (not STUN) is never claimed here:
    /// route it by the selected pair's addresses.
    ///
    /// Cheap (one zero-copy parse and a few comparisons); call it on each
    /// agent sharing a socket, or use [`local_ufrag`] with a map for many.
    pub fn accepts(&self, packet: &Receive<'_>) -> bool {
        if self
            .relays
            .serves(packet.source, packet.destination, packet.transport)
        {
            return true;
        }
        if packet.contents.first().is_none_or(|b| *b > 3) {
            return false;
        }
        let Ok(message) = Message::parse(packet.contents) else {
            return false;
        };
        match message.class() {
            Class::Request => message
                .username()
                .and_then(|username| username.split(':').next())
                .is_some_and(|ufrag| {
                    ufrag == self.local_credentials.ufrag()
                        || self
                            .old_local_credentials
                            .as_ref()
                            .is_some_and(|old| ufrag == old.ufrag())
                }),
            Class::SuccessResponse | Class::ErrorResponse => {
                self.owns_transaction(message.transaction_id())
            }
            Class::Indication => false,
        }
    }

    /// Whether `transaction_id` is one of the agent's checks, consent
    /// checks or gathering requests in flight.
    fn owns_transaction(&self, transaction_id: sansrtc_stun::TransactionId) -> bool {
        self.checklist.pairs().iter().any(|p| {
            p.check
                .as_ref()
                .is_some_and(|c| c.transaction_id == transaction_id)
        }) || self.selected.iter().any(|s| {
            s.consent
                .as_ref()
                .is_some_and(|c| c.transaction_id == transaction_id)
        }) || self
            .gathers
            .iter()
            .any(|g| !g.done && g.transaction_id == transaction_id)
    }
}
