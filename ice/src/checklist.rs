//! The checklist (RFC 8445 §6.1.2): pairs ordered by priority, pruned,
//! capped, unfrozen by foundation, and the triggered-check queue; and the
//! agent's side of it: pairing local and remote candidates (§6.1.2.2) and
//! pacing new transactions by Ta (§6.1.4.2, §14.2).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-6.1.2>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-6.1.4.2>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-14.2>

use alloc::collections::VecDeque;
use core::net::SocketAddr;

use crate::agent::Agent;
use crate::candidate::{CandidateType, TcpType, Transport};
use crate::event::ConnectionState;
use crate::pair::{Pair, PairState};

/// Default cap on the number of pairs in a checklist (RFC 8445 §6.1.2.5
/// recommends 100).
pub const DEFAULT_MAX_PAIRS: usize = 100;

/// Hard cap on [`Config::max_pairs`](crate::Config::max_pairs): a larger
/// configured value is clamped to this.
pub const MAX_PAIRS_LIMIT: usize = 1000;

/// Pairs ordered by priority, highest first, with the triggered-check queue.
#[derive(Debug, Clone)]
pub(crate) struct CheckList {
    pairs: Vec<Pair>,
    triggered: VecDeque<u32>,
    next_id: u32,
    max_pairs: usize,
}

/// What [`CheckList::add`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Added {
    /// A new pair with this id.
    New(u32),
    /// A pair with the same local base and remote address was there: its id.
    Existing(u32),
    /// The list is full of pairs that rank higher.
    Full,
}

impl CheckList {
    pub(crate) fn new(max_pairs: usize) -> Self {
        Self {
            pairs: Vec::new(),
            triggered: VecDeque::new(),
            next_id: 1,
            max_pairs: max_pairs.clamp(1, MAX_PAIRS_LIMIT),
        }
    }

    pub(crate) fn pairs(&self) -> &[Pair] {
        &self.pairs
    }

    pub(crate) fn pairs_mut(&mut self) -> impl Iterator<Item = &mut Pair> {
        self.pairs.iter_mut()
    }

    pub(crate) fn len(&self) -> usize {
        self.pairs.len()
    }

    pub(crate) fn clear(&mut self) {
        self.pairs.clear();
        self.triggered.clear();
    }

    pub(crate) fn get(&self, id: u32) -> Option<&Pair> {
        self.pairs.iter().find(|p| p.id == id)
    }

    pub(crate) fn get_mut(&mut self, id: u32) -> Option<&mut Pair> {
        self.pairs.iter_mut().find(|p| p.id == id)
    }

    pub(crate) fn find(
        &self,
        local_base: SocketAddr,
        remote_addr: SocketAddr,
        transport: Transport,
    ) -> Option<u32> {
        self.pairs
            .iter()
            .find(|p| {
                p.local_base == local_base
                    && p.remote_addr == remote_addr
                    && p.transport == transport
            })
            .map(|p| p.id)
    }

    /// Adds a pair, pruning (RFC 8445 §6.1.2.4: a pair with the same local
    /// base, remote address and transport is redundant, the higher priority
    /// stays; so is a TCP pair from the same active socket to the same
    /// remote address, whose connection has its own local address) and
    /// capping (§6.1.2.5: at the limit the lowest-priority pair that is not
    /// valid or in progress makes room, if it ranks below the new one).
    ///
    /// The new pair is Waiting when no other pair of its foundation is
    /// Waiting or In-Progress, or one has already succeeded (RFC 8838 §8);
    /// otherwise Frozen.
    pub(crate) fn add(&mut self, mut pair: Pair) -> Added {
        if let Some(existing) = self.pairs.iter_mut().find(|p| {
            p.remote_addr == pair.remote_addr
                && p.transport == pair.transport
                && (p.local_base == pair.local_base
                    || (pair.active.is_some() && p.active == pair.active))
        }) {
            if pair.priority > existing.priority && existing.check.is_none() && !existing.valid {
                existing.local = pair.local;
                existing.remote = pair.remote;
                existing.local_priority = pair.local_priority;
                existing.remote_priority = pair.remote_priority;
                existing.priority = pair.priority;
                existing.foundation = pair.foundation;
            }
            let id = existing.id;
            self.sort();
            return Added::Existing(id);
        }
        if self.pairs.len() >= self.max_pairs {
            let victim = self
                .pairs
                .iter()
                .enumerate()
                .filter(|(_, p)| !p.valid && p.check.is_none() && !p.nominated)
                .min_by_key(|(_, p)| p.priority)
                .map(|(i, p)| (i, p.priority, p.id));
            match victim {
                Some((index, priority, id)) if priority < pair.priority => {
                    self.pairs.remove(index);
                    self.triggered.retain(|t| *t != id);
                }
                _ => return Added::Full,
            }
        }
        let foundation_busy = self.pairs.iter().any(|p| {
            p.foundation == pair.foundation
                && matches!(p.state, PairState::Waiting | PairState::InProgress)
        });
        let foundation_succeeded = self
            .pairs
            .iter()
            .any(|p| p.foundation == pair.foundation && p.state == PairState::Succeeded);
        pair.state = if foundation_succeeded || !foundation_busy {
            PairState::Waiting
        } else {
            PairState::Frozen
        };
        pair.id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        let id = pair.id;
        self.pairs.push(pair);
        self.sort();
        Added::New(id)
    }

    fn sort(&mut self) {
        self.pairs.sort_by_key(|p| core::cmp::Reverse(p.priority));
    }

    /// Recomputes priorities after a role change (RFC 8445 §7.3.1.1).
    pub(crate) fn set_role(&mut self, controlling: bool) {
        for pair in &mut self.pairs {
            pair.set_role(controlling);
        }
        self.sort();
    }

    /// Unfreezes the Frozen pairs that share `foundation` (RFC 8445
    /// §7.2.5.3.3).
    pub(crate) fn unfreeze_foundation(&mut self, foundation: &str) {
        for pair in &mut self.pairs {
            if pair.state == PairState::Frozen && pair.foundation == foundation {
                pair.state = PairState::Waiting;
            }
        }
    }

    /// Queues a triggered check (RFC 8445 §7.3.1.4), once.
    pub(crate) fn enqueue_triggered(&mut self, id: u32) {
        if !self.triggered.contains(&id) {
            self.triggered.push_back(id);
        }
    }

    /// The next pair to check (RFC 8445 §6.1.4.2): the head of the
    /// triggered queue, else the highest-priority Waiting pair, else the
    /// highest-priority Frozen pair whose foundation has nothing Waiting or
    /// In-Progress (which becomes Waiting). The flag says whether the check
    /// is a triggered one.
    pub(crate) fn next_to_check(&mut self) -> Option<(u32, bool)> {
        while let Some(id) = self.triggered.pop_front() {
            if self
                .get(id)
                .is_some_and(|p| p.state != PairState::Succeeded || p.use_candidate)
            {
                return Some((id, true));
            }
        }
        if let Some(pair) = self.pairs.iter().find(|p| p.state == PairState::Waiting) {
            return Some((pair.id, false));
        }
        let candidate = self.pairs.iter().find(|frozen| {
            frozen.state == PairState::Frozen
                && !self.pairs.iter().any(|p| {
                    p.foundation == frozen.foundation
                        && matches!(p.state, PairState::Waiting | PairState::InProgress)
                })
        })?;
        let id = candidate.id;
        if let Some(pair) = self.get_mut(id) {
            pair.state = PairState::Waiting;
        }
        Some((id, false))
    }

    /// Whether a check could still be sent or is awaiting its answer.
    pub(crate) fn has_pending(&self) -> bool {
        !self.triggered.is_empty()
            || self.pairs.iter().any(|p| {
                p.check.is_some()
                    || matches!(
                        p.state,
                        PairState::Frozen | PairState::Waiting | PairState::InProgress
                    )
            })
    }

    /// Whether the triggered queue or a Waiting or Frozen pair has a check to
    /// send.
    /// Mirrors [`next_to_check`](Self::next_to_check), so that a timer is
    /// armed only when a check can go out.
    pub(crate) fn has_work(&self) -> bool {
        !self.triggered.is_empty()
            || self.pairs.iter().any(|p| p.state == PairState::Waiting)
            || self.pairs.iter().any(|frozen| {
                frozen.state == PairState::Frozen
                    && !self.pairs.iter().any(|p| {
                        p.foundation == frozen.foundation
                            && matches!(p.state, PairState::Waiting | PairState::InProgress)
                    })
            })
    }

    /// Drops the Waiting and Frozen pairs of `component` and the queued
    /// triggered checks on them (RFC 8445 §8.1.2, once a pair is nominated).
    pub(crate) fn stop_component(&mut self, component: u16) {
        let mut removed = Vec::new();
        self.pairs.retain(|p| {
            let drop = p.component == component
                && matches!(p.state, PairState::Frozen | PairState::Waiting);
            if drop {
                removed.push(p.id);
            }
            !drop
        });
        self.triggered.retain(|id| !removed.contains(id));
    }
}

impl Agent {
    /// Pairs local candidate `index` with every remote one (RFC 8445
    /// §6.1.2.2). Server-reflexive local candidates are not paired: their
    /// base is, and pruning would drop them (§6.1.2.4).
    pub(crate) fn pair_local(&mut self, index: usize) {
        for remote in 0..self.remotes.len() {
            self.make_pair(index, remote);
        }
    }

    pub(crate) fn pair_remote(&mut self, index: usize) {
        for local in 0..self.locals.len() {
            self.make_pair(local, index);
        }
    }

    /// Adds the pair of local candidate `local_index` and remote candidate
    /// `remote_index` to the checklist, if they can be paired (§6.1.2.2),
    /// and returns its id.
    pub(crate) fn make_pair(&mut self, local_index: usize, remote_index: usize) -> Option<u32> {
        self.make_pair_on(local_index, remote_index, None)
    }

    /// [`make_pair`](Self::make_pair), for TCP candidates by RFC 6544
    /// §6.2: a local active candidate pairs with a remote passive one;
    /// pairs with a local passive candidate are pruned, and simultaneous-open
    /// candidates are not paired. With `connection` (the local and remote
    /// addresses of the TCP connection a check arrived on) the pair is
    /// made on that connection, whatever the directions.
    pub(crate) fn make_pair_on(
        &mut self,
        local_index: usize,
        remote_index: usize,
        connection: Option<(SocketAddr, SocketAddr)>,
    ) -> Option<u32> {
        let local = self.locals.get(local_index)?;
        let remote = self.remotes.get(remote_index)?;
        let transport = local.candidate.transport();
        if !matches!(
            local.candidate.kind(),
            CandidateType::Host | CandidateType::Relayed
        ) || local.candidate.component() != remote.candidate.component()
            || local.base.is_ipv4() != remote.address.is_ipv4()
            || remote.candidate.transport() != transport
        {
            return None;
        }
        let local_active = local.candidate.tcp_type() == Some(TcpType::Active);
        let (local_base, remote_addr, active) = match (transport, connection) {
            (Transport::Udp, _) => (local.base, remote.address, None),
            (_, Some((local_addr, remote_addr))) => {
                (local_addr, remote_addr, local_active.then_some(local.base))
            }
            (_, None) => match (local.candidate.tcp_type(), remote.candidate.tcp_type()) {
                (Some(TcpType::Active), Some(TcpType::Passive)) => {
                    (local.base, remote.address, Some(local.base))
                }
                _ => return None,
            },
        };
        let mut pair = Pair::new(
            local_index,
            remote_index,
            local_base,
            remote_addr,
            local.candidate.component(),
            format!(
                "{}:{}",
                local.candidate.foundation(),
                remote.candidate.foundation()
            ),
            local.candidate.priority(),
            remote.candidate.priority(),
            self.controlling,
        );
        pair.transport = transport;
        pair.active = active;
        if self.config.lite {
            return None;
        }
        match self.checklist.add(pair) {
            Added::New(id) | Added::Existing(id) => Some(id),
            Added::Full => None,
        }
    }

    /// Whether a gathering request or a check waits for a Ta slot.
    pub(crate) fn has_paced_work(&self) -> bool {
        if matches!(
            self.state,
            ConnectionState::Closed | ConnectionState::Failed
        ) {
            return false;
        }
        self.gathers
            .iter()
            .any(|g| !g.done && g.transaction.is_none())
            || (!self.config.lite && self.remote_credentials.is_some() && self.checklist.has_work())
    }

    /// Starts one new transaction if Ta has passed since the last one:
    /// a gathering request first, then the checklist's choice.
    pub(crate) fn pace(&mut self) {
        if self.now < self.next_pacing {
            return;
        }
        if self.start_paced_gather() {
            return;
        }
        let now = self.now;
        if self.config.lite || self.remote_credentials.is_none() {
            return;
        }
        while let Some((id, _triggered)) = self.checklist.next_to_check() {
            if self.send_check(id) {
                self.next_pacing = now + self.config.ta;
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn pair(local: &str, remote: &str, foundation: &str, lp: u32, rp: u32) -> Pair {
        Pair::new(
            0,
            0,
            addr(local),
            addr(remote),
            1,
            foundation.into(),
            lp,
            rp,
            true,
        )
    }

    #[test]
    fn sorted_by_priority_and_pruned() {
        let mut list = CheckList::new(DEFAULT_MAX_PAIRS);
        let Added::New(low) = list.add(pair("10.0.0.1:1", "10.0.0.2:1", "a", 10, 10)) else {
            panic!("new")
        };
        let Added::New(high) = list.add(pair("10.0.0.1:1", "10.0.0.3:1", "b", 100, 100)) else {
            panic!("new")
        };
        assert_eq!(list.pairs()[0].id, high);
        assert_eq!(list.pairs()[1].id, low);
        // Same local base and remote address: redundant, the higher priority
        // replaces the lower one's values.
        assert_eq!(
            list.add(pair("10.0.0.1:1", "10.0.0.2:1", "c", 1000, 1000)),
            Added::Existing(low)
        );
        assert_eq!(list.len(), 2);
        assert_eq!(list.pairs()[0].id, low);
        assert_eq!(list.pairs()[0].foundation, "c");
    }

    #[test]
    fn pair_limit_evicts_the_lowest() {
        let mut list = CheckList::new(3);
        for i in 0..3u32 {
            let remote = format!("10.0.1.{}:1", i + 1);
            assert!(matches!(
                list.add(pair("10.0.0.1:1", &remote, "a", 10 + i, 10)),
                Added::New(_)
            ));
        }
        // Lower than everything: refused.
        assert_eq!(
            list.add(pair("10.0.0.1:1", "10.0.2.1:1", "a", 1, 1)),
            Added::Full
        );
        // Higher: the lowest makes room.
        assert!(matches!(
            list.add(pair("10.0.0.1:1", "10.0.2.2:1", "a", 50, 50)),
            Added::New(_)
        ));
        assert_eq!(list.len(), 3);
        assert!(
            list.find(addr("10.0.0.1:1"), addr("10.0.1.1:1"), Transport::Udp)
                .is_none()
        );
        assert_eq!(CheckList::new(usize::MAX).max_pairs, MAX_PAIRS_LIMIT);
    }

    #[test]
    fn foundations_freeze_and_unfreeze() {
        let mut list = CheckList::new(DEFAULT_MAX_PAIRS);
        let Added::New(a1) = list.add(pair("10.0.0.1:1", "10.0.0.2:1", "a", 100, 100)) else {
            panic!()
        };
        let Added::New(a2) = list.add(pair("10.0.0.1:2", "10.0.0.2:2", "a", 90, 90)) else {
            panic!()
        };
        let Added::New(b1) = list.add(pair("10.0.0.1:1", "10.0.0.3:1", "b", 80, 80)) else {
            panic!()
        };
        let state = |l: &CheckList, id| l.get(id).unwrap().state;
        assert_eq!(state(&list, a1), PairState::Waiting);
        assert_eq!(state(&list, a2), PairState::Frozen);
        assert_eq!(state(&list, b1), PairState::Waiting);
        assert_eq!(list.next_to_check(), Some((a1, false)));
        list.get_mut(a1).unwrap().state = PairState::InProgress;
        assert_eq!(list.next_to_check(), Some((b1, false)));
        list.get_mut(b1).unwrap().state = PairState::Failed;
        // a2 stays frozen while a1 is in progress.
        assert_eq!(list.next_to_check(), None);
        list.get_mut(a1).unwrap().state = PairState::Succeeded;
        list.unfreeze_foundation("a");
        assert_eq!(state(&list, a2), PairState::Waiting);
        assert!(list.has_work());
    }

    #[test]
    fn frozen_pair_unfreezes_when_its_foundation_is_idle() {
        let mut list = CheckList::new(DEFAULT_MAX_PAIRS);
        let Added::New(a1) = list.add(pair("10.0.0.1:1", "10.0.0.2:1", "a", 100, 100)) else {
            panic!()
        };
        let Added::New(a2) = list.add(pair("10.0.0.1:2", "10.0.0.2:2", "a", 90, 90)) else {
            panic!()
        };
        list.get_mut(a1).unwrap().state = PairState::Failed;
        assert_eq!(list.next_to_check(), Some((a2, false)));
        assert_eq!(list.get(a2).unwrap().state, PairState::Waiting);
    }

    #[test]
    fn triggered_checks_come_first_once() {
        let mut list = CheckList::new(DEFAULT_MAX_PAIRS);
        let Added::New(high) = list.add(pair("10.0.0.1:1", "10.0.0.2:1", "a", 100, 100)) else {
            panic!()
        };
        let Added::New(low) = list.add(pair("10.0.0.1:1", "10.0.0.3:1", "b", 1, 1)) else {
            panic!()
        };
        list.enqueue_triggered(low);
        list.enqueue_triggered(low);
        assert_eq!(list.next_to_check(), Some((low, true)));
        assert_eq!(list.next_to_check(), Some((high, false)));
        list.stop_component(1);
        assert!(!list.has_work());
    }

    #[test]
    fn role_change_reorders() {
        let mut list = CheckList::new(DEFAULT_MAX_PAIRS);
        let Added::New(a) = list.add(pair("10.0.0.1:1", "10.0.0.2:1", "a", 100, 10)) else {
            panic!()
        };
        let Added::New(b) = list.add(pair("10.0.0.1:1", "10.0.0.3:1", "b", 10, 100)) else {
            panic!()
        };
        assert_eq!(list.pairs()[0].id, a);
        list.set_role(false);
        assert_eq!(list.pairs()[0].id, b);
    }
}
