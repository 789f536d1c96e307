//! Candidate pairs: priority (RFC 8445 §6.1.2.3) and states (§6.1.2.6).
//!
//! <https://www.rfc-editor.org/rfc/rfc8445#section-6.1.2>

use bytes::Bytes;
use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use sansrtc_stun::TransactionId;

use crate::candidate::{Candidate, Transport};

/// The state of a candidate pair in a checklist.
///
/// <https://www.rfc-editor.org/rfc/rfc8445#section-6.1.2.6>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PairState {
    /// Not checked yet, and not allowed to be until its foundation unfreezes.
    Frozen,
    /// Ready to be checked.
    Waiting,
    /// A check was sent and has no answer yet.
    InProgress,
    /// A check succeeded.
    Succeeded,
    /// A check failed or timed out.
    Failed,
}

/// The priority of a pair (RFC 8445 §6.1.2.3) from the priority of the
/// controlling agent's candidate `g` and of the controlled agent's `d`:
/// `2^32 × min(g, d) + 2 × max(g, d) + (g > d ? 1 : 0)`.
///
/// <https://www.rfc-editor.org/rfc/rfc8445#section-6.1.2.3>
pub const fn pair_priority(g: u32, d: u32) -> u64 {
    let (min, max) = if g < d { (g, d) } else { (d, g) };
    // RFC 8445 priorities stay below 2^31; a peer's larger PRIORITY
    // saturates rather than overflows.
    ((min as u64) << 32)
        .saturating_add(2 * max as u64)
        .saturating_add(if g > d { 1 } else { 0 })
}

/// A connectivity check waiting for its response, retransmitted with a
/// doubling RTO (RFC 8445 §14.3, RFC 8489 §6.2.1).
#[derive(Debug, Clone)]
pub(crate) struct Check {
    pub(crate) transaction_id: TransactionId,
    pub(crate) bytes: Bytes,
    pub(crate) sent: u32,
    pub(crate) next_at: Instant,
    pub(crate) rto: Duration,
    pub(crate) use_candidate: bool,
    pub(crate) controlling: bool,
    pub(crate) priority: u32,
    /// Sent on a TCP connection: never retransmitted, it fails when
    /// `next_at` passes.
    pub(crate) reliable: bool,
}

impl Check {
    /// Gives the check a fresh budget from `now` (a triggered check on a
    /// pair in progress, RFC 8445 §7.3.1.4): a UDP check is sent again with
    /// the initial RTO; a TCP check, which is not retransmitted, gets
    /// `span` more to be answered. Returns whether to send it again.
    pub(crate) fn refresh(&mut self, now: Instant, initial_rto: Duration, span: Duration) -> bool {
        if self.reliable {
            self.next_at = now + span;
            false
        } else {
            self.sent = 1;
            self.rto = initial_rto;
            self.next_at = now + initial_rto;
            true
        }
    }
}

/// A candidate pair of the checklist.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    pub(crate) id: u32,
    /// Index of the local candidate in the agent's list.
    pub(crate) local: usize,
    /// Index of the remote candidate in the agent's list.
    pub(crate) remote: usize,
    pub(crate) local_base: SocketAddr,
    pub(crate) remote_addr: SocketAddr,
    pub(crate) component: u16,
    /// UDP, or TCP (RFC 6544).
    pub(crate) transport: Transport,
    /// For a TCP pair whose local candidate is active: the active socket
    /// its connection is opened from (`local_base` is that connection's
    /// address once it is open).
    pub(crate) active: Option<SocketAddr>,
    pub(crate) foundation: String,
    pub(crate) local_priority: u32,
    pub(crate) remote_priority: u32,
    pub(crate) priority: u64,
    pub(crate) state: PairState,
    /// In the valid list (RFC 8445 §7.2.5.3.2).
    pub(crate) valid: bool,
    pub(crate) nominated: bool,
    /// USE-CANDIDATE arrived before the pair succeeded (controlled side).
    pub(crate) nominate_on_success: bool,
    /// The next check on this pair carries USE-CANDIDATE (controlling side).
    pub(crate) use_candidate: bool,
    pub(crate) check: Option<Check>,
}

impl Pair {
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        local: usize,
        remote: usize,
        local_base: SocketAddr,
        remote_addr: SocketAddr,
        component: u16,
        foundation: String,
        local_priority: u32,
        remote_priority: u32,
        controlling: bool,
    ) -> Self {
        let mut pair = Self {
            id: 0,
            local,
            remote,
            local_base,
            remote_addr,
            component,
            transport: Transport::Udp,
            active: None,
            foundation,
            local_priority,
            remote_priority,
            priority: 0,
            state: PairState::Frozen,
            valid: false,
            nominated: false,
            nominate_on_success: false,
            use_candidate: false,
            check: None,
        };
        pair.set_role(controlling);
        pair
    }

    pub(crate) fn set_role(&mut self, controlling: bool) {
        self.priority = if controlling {
            pair_priority(self.local_priority, self.remote_priority)
        } else {
            pair_priority(self.remote_priority, self.local_priority)
        };
    }
}

/// A candidate pair as [`Agent::pairs`](crate::Agent::pairs) shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct PairInfo<'a> {
    /// The local candidate (peer-reflexive once a check found the mapped
    /// address).
    pub local: &'a Candidate,
    /// The remote candidate.
    pub remote: &'a Candidate,
    /// Its state.
    pub state: PairState,
    /// Its priority (RFC 8445 §6.1.2.3), for the current role.
    pub priority: u64,
    /// Whether it is in the valid list.
    pub valid: bool,
    /// Whether it is nominated.
    pub nominated: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pair_priority_formula() {
        assert_eq!(pair_priority(1, 1), (1 << 32) + 2);
        assert_eq!(pair_priority(2, 1), (1 << 32) + 4 + 1);
        assert_eq!(pair_priority(1, 2), (1 << 32) + 4);
        assert_eq!(
            pair_priority(i32::MAX as u32, i32::MAX as u32),
            (u64::from(i32::MAX as u32) << 32) + 2 * u64::from(i32::MAX as u32)
        );
        assert_eq!(pair_priority(u32::MAX, u32::MAX), u64::MAX);
        // The controlling side's preference breaks ties between mirrored pairs.
        assert!(pair_priority(10, 5) > pair_priority(5, 10));
    }

    #[test]
    fn role_swaps_the_operands() {
        let a: SocketAddr = "10.0.0.1:1".parse().unwrap();
        let b: SocketAddr = "10.0.0.2:1".parse().unwrap();
        let mut pair = Pair::new(0, 0, a, b, 1, "1:2".into(), 100, 50, true);
        assert_eq!(pair.priority, pair_priority(100, 50));
        pair.set_role(false);
        assert_eq!(pair.priority, pair_priority(50, 100));
        assert_eq!(pair.state, PairState::Frozen);
    }
}
