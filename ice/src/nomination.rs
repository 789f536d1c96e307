//! Nomination and the selected pair (RFC 8445 §8): regular nomination by
//! the controlling agent under a [`NominationPolicy`] (§8.1.1), the
//! controlled agent's side of USE-CANDIDATE (§7.3.1.5), and the selection
//! of an ICE-lite agent (§8.2).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-8.1.1>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-7.3.1.5>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-8.2>

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use crate::agent::Agent;
use crate::candidate::{self, Candidate, CandidateType, TcpType, Transport};
use crate::check::Credentials;
use crate::consent::Consent;
use crate::event::{ConnectionState, Event};
use crate::pair::{Pair, PairState};
use crate::tcp::{self, TcpPolicy};
use crate::trace::decision;

/// When the controlling agent nominates (regular nomination, RFC 8445
/// §8.1.1).
///
/// Measured in the simulated network (20 ms one-way latency, STUN server
/// 20 ms away, the NAT matrix test): with the default policy both agents
/// are connected 130 ms (no NAT on either side) to 330 ms (a symmetric
/// NAT) after start, gathering included. The wait only matters when a
/// better pair is still being checked: with one pair the best is known as
/// soon as it succeeds, and nothing waits (see the
/// `nomination_does_not_wait_for_nothing` test).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NominationPolicy {
    /// Nominate the first pair that succeeds.
    FirstValid,
    /// Nominate the best valid pair as soon as no pending pair of the
    /// component has a higher priority, or at the latest this long after
    /// the first pair of the component succeeded.
    BestOrAfter(Duration),
}

impl NominationPolicy {
    /// The default: [`BestOrAfter`](Self::BestOrAfter) 100 ms.
    pub const fn default_wait() -> Self {
        Self::BestOrAfter(Duration::from_millis(100))
    }
}

impl Default for NominationPolicy {
    fn default() -> Self {
        Self::default_wait()
    }
}

/// A selected pair, kept whole so that it survives an ICE restart.
#[derive(Debug, Clone)]
pub(crate) struct Selected {
    pub(crate) component: u16,
    pub(crate) generation: u32,
    pub(crate) priority: u64,
    pub(crate) local: Candidate,
    pub(crate) local_base: SocketAddr,
    pub(crate) local_priority: u32,
    pub(crate) remote: Candidate,
    pub(crate) remote_address: SocketAddr,
    /// UDP, or TCP: then `local_base` and `remote_address` name the
    /// connection.
    pub(crate) transport: Transport,
    /// The pair's TCP connection closed: no path is left.
    pub(crate) lost: bool,
    pub(crate) local_credentials: Credentials,
    pub(crate) remote_credentials: Credentials,
    pub(crate) last_consent: Instant,
    pub(crate) next_consent: Instant,
    pub(crate) consent: Option<Consent>,
}

/// The [`Event::SelectedPair`] for a pair of `component`.
fn selected_pair_event(
    component: u16,
    local: &Candidate,
    local_base: SocketAddr,
    remote: &Candidate,
    remote_address: SocketAddr,
) -> Event {
    Event::SelectedPair {
        component,
        local: Box::new(local.clone()),
        local_base,
        remote: Box::new(remote.clone()),
        remote_address,
    }
}

/// A USE-CANDIDATE check on `pair`, received by the controlled agent
/// (RFC 8445 §7.3.1.5): a valid pair is nominated at once (`true`: select
/// it now), any other when its triggered check succeeds.
pub(crate) fn nominate_on_request(pair: &mut Pair) -> bool {
    if pair.state == PairState::Succeeded && pair.valid {
        pair.nominated = true;
        true
    } else {
        pair.nominate_on_success = true;
        false
    }
}

impl Agent {
    /// When the [`NominationPolicy::BestOrAfter`] wait, or the
    /// [`TcpPolicy::UdpFirst`] fallback, of a component without a
    /// nomination ends.
    pub(crate) fn nomination_deadline(&self) -> Option<Instant> {
        if !self.controlling || self.config.lite {
            return None;
        }
        let waits = match self.config.nomination {
            NominationPolicy::BestOrAfter(wait) => Some(wait),
            NominationPolicy::FirstValid => None,
        }
        .map(|wait| {
            self.first_valid_at
                .iter()
                .map(move |(c, at)| (*c, *at + wait))
        })
        .into_iter()
        .flatten();
        let fallbacks = match self.config.tcp_policy {
            TcpPolicy::UdpFirst(fallback) => Some(fallback),
            TcpPolicy::ByPriority => None,
        }
        .map(|fallback| {
            self.first_tcp_valid_at
                .iter()
                .map(move |(c, at)| (*c, *at + fallback))
        })
        .into_iter()
        .flatten();
        waits
            .chain(fallbacks)
            .filter(|(component, at)| !self.nomination_started(*component) && *at > self.now)
            .map(|(_, at)| at)
            .min()
    }

    /// Whether a pair of `component` is nominated or being nominated.
    fn nomination_started(&self, component: u16) -> bool {
        self.checklist
            .pairs()
            .iter()
            .any(|p| p.component == component && (p.nominated || p.use_candidate))
    }

    /// Regular nomination (RFC 8445 §8.1.1) by the configured policy.
    pub(crate) fn nominate(&mut self) {
        if !self.controlling
            || self.config.lite
            || matches!(
                self.state,
                ConnectionState::Failed | ConnectionState::Closed
            )
        {
            return;
        }
        for component in 1..=self.config.components {
            if self.nomination_started(component) {
                continue;
            }
            let pairs = self.checklist.pairs();
            // Under UDP first, a UDP pair outranks every TCP pair; else the
            // priority decides.
            let fallback = match self.config.tcp_policy {
                TcpPolicy::UdpFirst(fallback) => Some(fallback),
                TcpPolicy::ByPriority => None,
            };
            let rank = |p: &Pair| {
                (
                    fallback.is_some() && p.transport == Transport::Udp,
                    p.priority,
                )
            };
            let pending = |p: &Pair| {
                p.component == component
                    && matches!(
                        p.state,
                        PairState::Frozen | PairState::Waiting | PairState::InProgress
                    )
            };
            let Some(best) = pairs
                .iter()
                .filter(|p| p.component == component && p.valid)
                .max_by_key(|p| rank(p))
            else {
                continue;
            };
            // A TCP pair waits for the UDP pairs still being checked, until
            // the fallback time has passed.
            let tcp_held = best.transport == Transport::Tcp
                && fallback.is_some_and(|fallback| {
                    pairs
                        .iter()
                        .any(|p| pending(p) && p.transport == Transport::Udp)
                        && self
                            .first_tcp_valid_at
                            .iter()
                            .find(|(c, _)| *c == component)
                            .is_none_or(|(_, at)| self.now < *at + fallback)
                });
            let ready = !tcp_held
                && match self.config.nomination {
                    NominationPolicy::FirstValid => true,
                    NominationPolicy::BestOrAfter(wait) => {
                        let better_pending = pairs.iter().any(|p| {
                            pending(p)
                                && rank(p) > rank(best)
                                && !(fallback.is_some()
                                    && best.transport == Transport::Tcp
                                    && p.transport == Transport::Udp)
                        });
                        let waited = self
                            .first_valid_at
                            .iter()
                            .find(|(c, _)| *c == component)
                            .is_some_and(|(_, at)| self.now >= *at + wait);
                        !better_pending || waited
                    }
                };
            if ready {
                let id = best.id;
                if let Some(pair) = self.checklist.get_mut(id) {
                    pair.use_candidate = true;
                }
                self.checklist.enqueue_triggered(id);
                self.next_pacing = self.next_pacing.min(self.now);
                self.pace();
            }
        }
    }

    /// Selects the nominated pair `id` for its component (RFC 8445 §8.1.1),
    /// unless a better nominated pair of this generation is selected.
    pub(crate) fn select(&mut self, id: u32) {
        let interval = self.consent_interval();
        let Some(pair) = self.checklist.get(id) else {
            return;
        };
        let (Some(local), Some(remote), Some(remote_credentials)) = (
            self.locals.get(pair.local),
            self.remotes.get(pair.remote),
            self.remote_credentials.clone(),
        ) else {
            return;
        };
        let component = pair.component;
        if let Some(current) = self.selected.iter().find(|s| s.component == component) {
            // Aggressive nomination: keep the best nominated pair.
            if current.generation == self.generation && current.priority >= pair.priority {
                return;
            }
        }
        decision!(
            "component {}: selected {} {} -> {} {} ({})",
            component,
            local.candidate.kind(),
            pair.local_base,
            remote.candidate.kind(),
            pair.remote_addr,
            pair.transport
        );
        let local_preference = if pair.transport == Transport::Tcp {
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
        let selected = Selected {
            component,
            generation: self.generation,
            priority: pair.priority,
            local: local.candidate.clone(),
            local_base: pair.local_base,
            local_priority: candidate::priority(
                CandidateType::PeerReflexive,
                local_preference,
                component,
            ),
            remote: remote.candidate.clone(),
            remote_address: pair.remote_addr,
            transport: pair.transport,
            lost: false,
            local_credentials: self.local_credentials.clone(),
            remote_credentials,
            last_consent: self.now,
            next_consent: self.now + interval,
            consent: None,
        };
        let relayed = (selected.local_base, selected.remote_address);
        let event = self.install_selected(selected);
        if self.relays.is_relayed(relayed.0) {
            // ChannelData carries the pair's traffic with a 4-byte header
            // (RFC 8656 §12).
            let now = self.now;
            self.relays.bind_channel(now, relayed.0, relayed.1);
            self.flush_relay_transmits();
        }
        if self
            .selected
            .iter()
            .all(|s| s.generation == self.generation)
        {
            self.old_local_credentials = None;
        }
        if self.controlling {
            self.checklist.stop_component(component);
        }
        self.event(event);
    }

    /// An ICE-lite agent selects the pair a USE-CANDIDATE check arrived on
    /// (RFC 8445 §8.2).
    pub(crate) fn select_lite(
        &mut self,
        destination: SocketAddr,
        remote_index: usize,
        transport: Transport,
    ) {
        let (Some(local), Some(remote)) = (
            self.locals
                .iter()
                .find(|l| l.base == destination && l.candidate.transport() == transport),
            self.remotes.get(remote_index),
        ) else {
            return;
        };
        let component = local.candidate.component();
        if self.selected.iter().any(|s| {
            s.component == component
                && s.remote_address == remote.address
                && s.local_base == destination
                && s.transport == transport
        }) {
            return;
        }
        let Some(remote_credentials) = self.remote_credentials.clone() else {
            // The peer's nomination overtook its description (its answer
            // to our offer): the pair is selected when the credentials
            // arrive, so that the state then becomes connected.
            let (base, address) = (local.base, remote.address);
            self.lite_nominated
                .retain(|(b, _, t)| !(*b == base && *t == transport));
            self.lite_nominated.push((base, address, transport));
            return;
        };
        let selected = Selected {
            component,
            generation: self.generation,
            priority: 0,
            local: local.candidate.clone(),
            local_base: local.base,
            local_priority: local.candidate.priority(),
            remote: remote.candidate.clone(),
            remote_address: remote.address,
            transport,
            lost: false,
            local_credentials: self.local_credentials.clone(),
            remote_credentials,
            last_consent: self.now,
            // Lite agents do not send checks (RFC 8445 §2.5): no consent.
            next_consent: self.now + Duration::from_secs(100 * 365 * 86_400),
            consent: None,
        };
        let event = self.install_selected(selected);
        self.event(event);
    }

    /// Makes `selected` the pair of its component, replacing any other, and
    /// returns the [`Event::SelectedPair`] that announces it.
    fn install_selected(&mut self, selected: Selected) -> Event {
        let event = selected_pair_event(
            selected.component,
            &selected.local,
            selected.local_base,
            &selected.remote,
            selected.remote_address,
        );
        self.selected.retain(|s| s.component != selected.component);
        self.selected.push(selected);
        event
    }
}
