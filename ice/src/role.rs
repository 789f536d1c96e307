//! Roles (RFC 8445 §6.1.1): one agent is controlling, the other
//! controlled; each check carries its sender's role and tie-breaker
//! (ICE-CONTROLLING or ICE-CONTROLLED, §7.1.3). A conflict is resolved by
//! the tie-breakers (§7.3.1.1), with 487 (Role Conflict) answers that make
//! the sender switch and retry (§7.2.5.1).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-6.1.1>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-7.1.3>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-7.2.5.1>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-7.3.1.1>

use sansrtc_stun::{ErrorCode, Message};

use crate::agent::Agent;
use crate::check::Credentials;
use crate::event::{Event, Receive};
use crate::pair::{Check, PairState};
use crate::trace::decision;

impl Agent {
    /// Sets the role: in JSEP the offerer is controlling and the answerer
    /// controlled (RFC 8445 §6.1.1, RFC 8829 §3.5.1), which a peer
    /// connection only knows once it creates or receives the offer. A lite
    /// agent stays controlled. Setting the role it already has does
    /// nothing; a change is announced with [`Event::RoleChanged`].
    pub fn set_controlling(&mut self, controlling: bool) {
        let controlling = controlling && !self.config.lite;
        if controlling != self.controlling {
            self.set_role(controlling);
        }
    }

    /// Takes the role `controlling`: pair priorities are recomputed and
    /// the caller is told ([`Event::RoleChanged`]).
    pub(crate) fn set_role(&mut self, controlling: bool) {
        decision!(
            "role: now {}",
            if controlling {
                "controlling"
            } else {
                "controlled"
            }
        );
        self.controlling = controlling;
        self.checklist.set_role(controlling);
        self.event(Event::RoleChanged { controlling });
    }

    /// A role conflict on an incoming check (RFC 8445 §7.3.1.1): the agent
    /// with the larger tie-breaker keeps its role and answers 487 (Role
    /// Conflict), the other switches. Returns whether the check was
    /// answered with 487, which ends its handling. A lite agent is always
    /// controlled and never answers 487.
    pub(crate) fn answered_role_conflict(
        &mut self,
        message: &Message<'_>,
        credentials: &Credentials,
        packet: &Receive<'_>,
    ) -> bool {
        let transaction_id = message.transaction_id();
        // Role conflict (RFC 8445 §7.3.1.1).
        if !self.config.lite {
            if let (true, Some(theirs)) = (self.controlling, message.ice_controlling()) {
                if self.tie_breaker >= theirs {
                    self.respond_error(
                        transaction_id,
                        ErrorCode::ROLE_CONFLICT,
                        credentials,
                        packet,
                    );
                    return true;
                }
                self.set_role(false);
            } else if let (false, Some(theirs)) = (self.controlling, message.ice_controlled()) {
                if self.tie_breaker >= theirs {
                    self.set_role(true);
                } else {
                    self.respond_error(
                        transaction_id,
                        ErrorCode::ROLE_CONFLICT,
                        credentials,
                        packet,
                    );
                    return true;
                }
            }
        }
        false
    }

    /// A 487 (Role Conflict) answer to our check `id` (RFC 8445 §7.2.5.1):
    /// switch to the other role, unless an earlier 487 already did, and
    /// retry the pair with a triggered check.
    pub(crate) fn on_role_conflict(&mut self, id: u32, check: &Check) {
        // RFC 8445 §7.2.5.1: switch to the other role and retry.
        if let Some(pair) = self.checklist.get_mut(id) {
            pair.state = PairState::Waiting;
        }
        self.checklist.enqueue_triggered(id);
        if check.controlling == self.controlling {
            self.set_role(!check.controlling);
        }
    }
}
