//! ICE restart (RFC 8445 §9): new local credentials, remote candidates and
//! pairs dropped and checks started over (a new generation), while the
//! selected pair stays in use, keeping its consent, until a new one is
//! selected. A peer restarts by signalling new credentials
//! ([`Agent::set_remote_credentials`]).
//!
//! <https://www.rfc-editor.org/rfc/rfc8445#section-9>

use core::net::SocketAddr;

use crate::agent::Agent;
use crate::candidate::{Candidate, CandidateType, Transport};
use crate::check::Credentials;
use crate::event::{ConnectionState, Error, Event, GatheringState};
use crate::relay::TurnServer;

impl Agent {
    /// Restarts ICE (RFC 8445 §9): new local credentials, remote candidates
    /// and pairs dropped; the selected pair stays in use (and keeps its
    /// consent) until a new one is selected. Local candidates are announced
    /// again; signal them with the new credentials.
    pub fn restart(&mut self) -> Result<(), Error> {
        self.check_open()?;
        let new = Credentials::random(&mut self.rng);
        let old = core::mem::replace(&mut self.local_credentials, new);
        if !self.selected.is_empty() {
            self.old_local_credentials = Some(old);
        }
        self.remote_credentials = None;
        self.new_generation();
        // Relayed candidates of ended allocations go; live allocations are
        // kept (a selected relayed pair stays in use, and a new Allocate
        // from the same socket would meet 437 Allocation Mismatch).
        let stale = self.relays.take_stale();
        self.locals.retain(|l| {
            l.candidate.kind() != CandidateType::PeerReflexive
                && !(l.candidate.kind() == CandidateType::Relayed && stale.contains(&l.base))
        });
        self.sockets.retain(|s| !stale.contains(&s.address));
        let now = self.now;
        self.relays.restart(now, &mut self.rng);
        self.flush_relay_transmits();
        self.local_prflx = 0;
        let announced: Vec<Candidate> = self.locals.iter().map(|l| l.candidate.clone()).collect();
        for candidate in announced {
            self.stamp_local = true;
            self.event(Event::LocalCandidate(candidate));
        }
        if self.gathers.iter().all(|g| g.done) && self.relays.is_settled() {
            self.event(Event::GatheringComplete);
        } else if self.gathering == GatheringState::Complete {
            self.gathering = GatheringState::Gathering;
        }
        if self.state == ConnectionState::Failed {
            self.state = ConnectionState::New;
            self.selected.clear();
            self.event(Event::StateChanged(ConnectionState::New));
        }
        Ok(())
    }

    /// Like [`restart`](Self::restart), with a new list of TURN servers
    /// (such as fresh credentials). A server whose credentials changed
    /// releases its allocation with the old ones before allocating again,
    /// so the new Allocate does not meet 437 (Allocation Mismatch); a
    /// server no longer listed is released; a new one is allocated.
    pub fn restart_with_turn_servers(&mut self, servers: Vec<TurnServer>) -> Result<(), Error> {
        self.check_open()?;
        if self.config.lite {
            return self.restart();
        }
        let mut bases: Vec<(SocketAddr, u16)> = Vec::new();
        for local in &self.locals {
            if local.candidate.kind() != CandidateType::Host
                || local.candidate.transport() != Transport::Udp
            {
                continue;
            }
            let family = local.base.is_ipv4();
            let component = local.candidate.component();
            if !bases
                .iter()
                .any(|(b, c)| b.is_ipv4() == family && *c == component)
            {
                bases.push((local.base, component));
            }
        }
        let now = self.now;
        self.relays.set_servers(now, servers, &bases, &mut self.rng);
        self.restart()?;
        self.drain_relays();
        Ok(())
    }

    /// Starts a new generation: the remote side's candidates, pairs and
    /// nomination state go.
    pub(crate) fn new_generation(&mut self) {
        self.generation = self.generation.wrapping_add(1);
        self.remotes.clear();
        self.pending_names.clear();
        self.remote_prflx = 0;
        self.checklist.clear();
        self.end_of_remote = false;
        self.first_valid_at.clear();
        self.checking_since = None;
        self.lite_nominated.clear();
        self.first_tcp_valid_at.clear();
        // TCP connections of the old pairs go; a selected pair's stays.
        self.close_connections(false);
    }
}
