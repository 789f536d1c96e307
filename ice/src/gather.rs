//! Gathering (RFC 8445 §5.1.1): host candidates come with the caller's
//! sockets; server-reflexive candidates from Binding requests to STUN
//! servers (RFC 8489 §6.1), paced by Ta and retransmitted by `stun` client
//! transactions. Relayed candidates come from the agent's TURN clients
//! (`relay.rs`).
//!
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.1>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.1.2>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.3>
//! - <https://www.rfc-editor.org/rfc/rfc8445#section-14.2>
//! - <https://www.rfc-editor.org/rfc/rfc8489#section-6.1>

use core::net::{IpAddr, SocketAddr};

use bytes::Bytes;
use sansrtc_stun::drive::PacketWriter;
use sansrtc_stun::transaction::{
    ClientTransaction, Event as TransactionEvent, Handled as TransactionHandled, TransactionConfig,
};
use sansrtc_stun::{Class, Message, TransactionId, Transmit};

use crate::agent::{Agent, Config, LocalSocket};
use crate::candidate::{self, Candidate, CandidateType, Local, Transport};
use crate::check::finish;
use crate::event::{Event, GatheringState, Handled, Receive, RecvError};
use crate::pair::PairState;

/// Most STUN servers used for gathering.
pub const MAX_STUN_SERVERS: usize = 8;

/// A server-reflexive gathering request to a STUN server: a `stun` client
/// transaction, started when its Ta slot comes.
#[derive(Debug, Clone)]
pub(crate) struct Gather {
    pub(crate) base: SocketAddr,
    pub(crate) server: SocketAddr,
    pub(crate) component: u16,
    pub(crate) interface_rank: u8,
    pub(crate) transaction_id: TransactionId,
    pub(crate) bytes: Bytes,
    pub(crate) transaction: Option<ClientTransaction>,
    pub(crate) done: bool,
}

/// The transaction settings of gathering requests and TURN requests:
/// RFC 8489's schedule (RTO doubling without a cap) with the agent's
/// initial RTO, at most 7 transmissions (Rc), and a wait of 4 RTO after the
/// last one: with the defaults a server that never answers is given up
/// after 33.5 s.
pub(crate) fn gather_config(config: &Config) -> TransactionConfig {
    let mut transaction = TransactionConfig::with_rto(config.initial_rto);
    transaction.max_transmissions = config.max_transmissions.min(7);
    transaction.last_wait_multiplier = 4;
    transaction
}

/// A Binding request to a STUN server (RFC 8489 §6.1).
fn binding_request(writer: &mut PacketWriter, transaction_id: TransactionId) -> Option<Bytes> {
    finish(
        writer,
        |b| {
            b.add_fingerprint()?;
            Ok(())
        },
        Class::Request,
        transaction_id,
    )
}

impl Agent {
    /// Starts gathering on a new host socket (RFC 8445 §5.1.1): a Binding
    /// request to each STUN server of its address family, sent when its Ta
    /// slot comes, and an allocation on each TURN server.
    pub(crate) fn start_gathering(&mut self, socket: LocalSocket) {
        let servers: Vec<SocketAddr> = self
            .config
            .stun_servers
            .iter()
            .filter(|s| s.is_ipv4() == socket.address.is_ipv4())
            .copied()
            .collect();
        for server in servers {
            let transaction_id = self.transaction_id();
            let bytes = binding_request(&mut self.writer, transaction_id).unwrap_or_default();
            self.gathers.push(Gather {
                base: socket.address,
                server,
                component: socket.component,
                interface_rank: socket.interface_rank,
                transaction_id,
                bytes,
                transaction: None,
                done: false,
            });
        }
        let now = self.now;
        self.relays
            .start(now, socket.address, socket.component, &mut self.rng);
        self.flush_relay_transmits();
    }

    /// Starts the next gathering request waiting for its Ta slot (RFC 8445
    /// §5.1.1, §14.2); returns whether there was one.
    pub(crate) fn start_paced_gather(&mut self) -> bool {
        let now = self.now;
        let config = self.gather_transaction_config();
        if let Some(gather) = self
            .gathers
            .iter_mut()
            .find(|g| !g.done && g.transaction.is_none())
        {
            let request = Transmit::new(
                gather.base,
                gather.server,
                Transport::Udp,
                gather.bytes.clone(),
            );
            let Ok(mut transaction) = ClientTransaction::new(config, now, request) else {
                // Our own Binding request always parses; if it did not,
                // this gathering ends.
                gather.done = true;
                return true;
            };
            let bytes = transaction.poll_transmit().map(|t| t.contents);
            gather.transaction = Some(transaction);
            let (base, server) = (gather.base, gather.server);
            if let Some(bytes) = bytes {
                self.transmit(base, server, Transport::Udp, bytes);
            }
            self.next_pacing = now + self.config.ta;
            return true;
        }
        false
    }

    /// Gathering requests follow RFC 8489's schedule (RTO doubling without
    /// a cap) with the agent's initial RTO, at most 7 transmissions (Rc),
    /// and wait 4 RTO after the last one: with the defaults a STUN server
    /// that never answers is given up after 33.5 s.
    fn gather_transaction_config(&self) -> TransactionConfig {
        gather_config(&self.config)
    }

    /// Retransmits gathering requests on their transactions' schedule;
    /// a transaction that ends without an answer ends its gathering.
    pub(crate) fn retransmit_gathers(&mut self) {
        let now = self.now;
        let mut sends = Vec::new();
        for gather in &mut self.gathers {
            let Some(transaction) = &mut gather.transaction else {
                continue;
            };
            if gather.done {
                continue;
            }
            transaction.handle_timeout(now);
            if let Some(transmit) = transaction.poll_transmit() {
                sends.push((gather.base, gather.server, transmit.contents));
            }
            if transaction.is_finished() {
                gather.done = true;
            }
        }
        for (source, destination, bytes) in sends {
            self.transmit(source, destination, Transport::Udp, bytes);
        }
        self.check_gathering_complete();
    }

    /// Gathering completes when every request and allocation is done.
    pub(crate) fn check_gathering_complete(&mut self) {
        if self.gathering == GatheringState::Gathering
            && self.gathers.iter().all(|g| g.done)
            && self.relays.is_settled()
        {
            self.gathering = GatheringState::Complete;
            // Non-trickle peers learn our candidates only now, and their
            // first checks open their NAT to ours: pairs that failed get one
            // more round, checks in progress a fresh retransmission budget.
            self.last_local_candidate = self.now;
            let (now, rto, span) = (self.now, self.config.initial_rto, self.check_span());
            for pair in self.checklist.pairs_mut() {
                if pair.state == PairState::Failed && !pair.valid {
                    pair.state = PairState::Waiting;
                }
                if let (PairState::InProgress, Some(check)) = (pair.state, &mut pair.check) {
                    check.refresh(now, rto, span);
                }
            }
            self.event(Event::GatheringComplete);
        }
    }

    /// A STUN server's answer to a gathering request: the transaction ends,
    /// and the mapped address becomes a server-reflexive candidate.
    pub(crate) fn on_gather_response(
        &mut self,
        index: usize,
        message: &Message<'_>,
        packet: &Receive<'_>,
    ) -> Result<Handled<'static>, RecvError> {
        let Some(gather) = self.gathers.get_mut(index) else {
            return Ok(Handled::NotMine);
        };
        if packet.source != gather.server || packet.destination != gather.base {
            return Ok(Handled::NotMine);
        }
        let Some(transaction) = &mut gather.transaction else {
            return Ok(Handled::NotMine);
        };
        match transaction.handle_response(self.now, message) {
            Ok(TransactionHandled::Response) => {}
            Ok(_) => return Ok(Handled::NotMine),
            Err(error) => return Err(RecvError::Gather(error)),
        }
        let mapped = match transaction.poll_event() {
            Some(TransactionEvent::Success(response)) => response.mapped_address(),
            _ => None,
        };
        gather.done = true;
        let (base, server, component, rank) = (
            gather.base,
            gather.server,
            gather.component,
            gather.interface_rank,
        );
        if let Some(mapped) = mapped {
            self.add_server_reflexive(base, server, component, rank, mapped);
        }
        self.check_gathering_complete();
        Ok(Handled::Response)
    }

    /// Adds the server-reflexive candidate `mapped` that `server` reported
    /// for `base` (RFC 8445 §5.1.1.2), unless it is redundant (§5.1.3).
    fn add_server_reflexive(
        &mut self,
        base: SocketAddr,
        server: SocketAddr,
        component: u16,
        rank: u8,
        mapped: SocketAddr,
    ) {
        // Behind an mDNS name the host address is not announced, so a
        // server-reflexive candidate equal to it is not redundant.
        // TCP candidates on the same address and port are not its kin.
        let udp_base = |l: &&Local| l.base == base && l.candidate.transport() == Transport::Udp;
        let named = self
            .locals
            .iter()
            .filter(udp_base)
            .any(|l| l.candidate.address().ip().is_none());
        let redundant = (mapped == base && !named)
            || self
                .locals
                .iter()
                .filter(udp_base)
                .any(|l| l.candidate.socket_addr() == Some(mapped));
        if !redundant {
            let priority = candidate::priority(
                CandidateType::ServerReflexive,
                candidate::local_preference(rank, base.ip()),
                component,
            );
            let foundation = candidate::foundation(
                CandidateType::ServerReflexive,
                base.ip(),
                Some(server.ip()),
                Transport::Udp,
            );
            let related = if named {
                SocketAddr::new(IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED), 0)
            } else {
                base
            };
            if let Ok(srflx) = Candidate::new(
                &foundation,
                component,
                Transport::Udp,
                priority,
                mapped,
                CandidateType::ServerReflexive,
            ) {
                let srflx = srflx.with_related(related);
                self.locals.push(Local {
                    candidate: srflx.clone(),
                    base,
                    interface_rank: rank,
                });
                self.last_local_candidate = self.now;
                self.event(Event::LocalCandidate(srflx));
            }
        }
    }
}
