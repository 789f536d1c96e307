//! Relayed candidates: the agent's own TURN clients
//! ([RFC 8656](https://www.rfc-editor.org/rfc/rfc8656)).
//!
//! For each configured [`TurnServer`] the agent runs one
//! [`sansrtc_stun::turn::Client`] per component, from the first host socket
//! of the server's address family. The client's packets leave from that
//! host socket; its relayed address becomes a relayed candidate
//! (RFC 8445 §5.1.1.2) whose checks and data the client wraps in Send
//! indications or ChannelData.
//!
//! The agent's side comes last: packets from the TURN servers, data
//! relayed from peers, permissions for remote candidates, and what the
//! clients report (new relayed candidates, errors).
//!
//! <https://www.rfc-editor.org/rfc/rfc8445#section-5.1.1.2>

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use std::time::Instant;

use sansrtc_stun::Transmit;
use sansrtc_stun::transaction::TransactionConfig;
use sansrtc_stun::turn::{self, Client};

use crate::agent::Agent;
use crate::candidate::Transport;
use crate::event::{ConnectionState, Event, Handled, Receive, RecvError};
use crate::rng::{Rng, Seed};
use crate::trace::decision;

/// Most TURN servers an agent uses ([`Config::turn_servers`] is truncated
/// to this). Each gets one allocation per component.
///
/// [`Config::turn_servers`]: crate::Config::turn_servers
pub const MAX_TURN_SERVERS: usize = 4;

/// Most allocations still being released after
/// [`Agent::restart_with_turn_servers`](crate::Agent::restart_with_turn_servers)
/// dropped their server; older ones are forgotten.
const MAX_RETIRED: usize = 2 * MAX_TURN_SERVERS;

/// Most relayed addresses remembered as ended until the next restart drops
/// their candidates.
const MAX_STALE: usize = crate::agent::MAX_LOCAL_SOCKETS;

/// A TURN server the agent allocates relayed candidates on, with its
/// long-term credentials (RFC 8489 §9.2).
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-7>
#[derive(Clone, PartialEq, Eq)]
pub struct TurnServer {
    /// The server's address.
    pub address: SocketAddr,
    /// Long-term credential username.
    pub username: String,
    /// Long-term credential password.
    pub password: String,
    /// The transport to the server: [`Transport::Udp`], or
    /// [`Transport::Tcp`] for a TCP connection the caller keeps to the
    /// server (RFC 8656 §3.1; the relayed transport is UDP either way). The
    /// caller cuts what it reads from the connection into messages with
    /// `sansrtc_stun::framing::StreamReader` (`StreamFraming::Turn`).
    pub transport: Transport,
}

impl TurnServer {
    /// A TURN server reached over UDP.
    pub fn udp(address: SocketAddr, username: &str, password: &str) -> Self {
        Self {
            address,
            username: username.into(),
            password: password.into(),
            transport: Transport::Udp,
        }
    }

    /// A TURN server reached over a TCP connection.
    pub fn tcp(address: SocketAddr, username: &str, password: &str) -> Self {
        Self {
            transport: Transport::Tcp,
            ..Self::udp(address, username, password)
        }
    }
}

impl core::fmt::Debug for TurnServer {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("TurnServer")
            .field("address", &self.address)
            .field("username", &self.username)
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}

/// One allocation: a TURN client bound to a host socket.
#[derive(Debug)]
struct Relay {
    server: TurnServer,
    /// The host socket the client's packets leave from.
    base: SocketAddr,
    component: u16,
    client: Client,
    /// The relayed address while the allocation lives.
    relayed: Option<SocketAddr>,
    /// Whether the first allocation attempt has ended (either way).
    settled: bool,
    /// The server was removed from the configuration: the allocation is
    /// being released.
    retired: bool,
}

/// What the relays ask of the agent.
#[derive(Debug)]
pub(crate) enum Output {
    /// An allocation exists: add its relayed candidate.
    Allocated {
        relayed: SocketAddr,
        mapped: SocketAddr,
        server: SocketAddr,
        component: u16,
    },
    /// A TURN request failed or an allocation was lost.
    Error {
        server: SocketAddr,
        code: u16,
        reason: String,
    },
    /// A permission for `ip` is installed on the allocation at `relayed`:
    /// checks to it sent before may have been dropped by the server.
    Permitted { relayed: SocketAddr, ip: IpAddr },
}

/// The agent's TURN clients.
#[derive(Debug)]
pub(crate) struct Relays {
    servers: Vec<TurnServer>,
    relays: Vec<Relay>,
    transaction: TransactionConfig,
    /// Relayed addresses whose allocation ended since the last restart.
    stale: Vec<SocketAddr>,
}

impl Relays {
    pub(crate) fn new(mut servers: Vec<TurnServer>, transaction: TransactionConfig) -> Self {
        servers.truncate(MAX_TURN_SERVERS);
        Self {
            servers,
            relays: Vec::new(),
            transaction,
            stale: Vec::new(),
        }
    }

    /// Starts an allocation on every server of `base`'s address family that
    /// has none for `component` yet.
    pub(crate) fn start(&mut self, now: Instant, base: SocketAddr, component: u16, rng: &mut Rng) {
        let servers: Vec<TurnServer> = self
            .servers
            .iter()
            .filter(|s| s.address.is_ipv4() == base.is_ipv4())
            .filter(|s| {
                !self.relays.iter().any(|r| {
                    !r.retired
                        && r.component == component
                        && r.server.address == s.address
                        && r.server.transport == s.transport
                })
            })
            .cloned()
            .collect();
        for server in servers {
            let client = Client::new(self.client_config(base, &server, rng.next_seed()), now);
            self.relays.push(Relay {
                server,
                base,
                component,
                client,
                relayed: None,
                settled: false,
                retired: false,
            });
        }
    }

    fn client_config(&self, base: SocketAddr, server: &TurnServer, seed: Seed) -> turn::Config {
        let mut config =
            turn::Config::new(base, server.address, &server.username, &server.password);
        config.transport = server.transport;
        config.transaction = self.transaction;
        config.seed = Some(seed);
        config
    }

    /// Whether every allocation has had its first answer (or failed).
    pub(crate) fn is_settled(&self) -> bool {
        self.relays.iter().all(|r| r.retired || r.settled)
    }

    /// Whether the agent runs no TURN client.
    pub(crate) fn is_empty(&self) -> bool {
        self.relays.is_empty()
    }

    /// Whether packets from `source` to the host socket `destination` are
    /// a TURN server's for one of the clients.
    pub(crate) fn serves(
        &self,
        source: SocketAddr,
        destination: SocketAddr,
        transport: Transport,
    ) -> bool {
        self.relays.iter().any(|r| {
            r.server.address == source && r.base == destination && r.server.transport == transport
        })
    }

    /// Whether `address` is the relayed address of a live allocation.
    pub(crate) fn is_relayed(&self, address: SocketAddr) -> bool {
        self.relays.iter().any(|r| r.relayed == Some(address))
    }

    /// Relayed addresses whose allocation ended; their candidates go at the
    /// next restart.
    pub(crate) fn take_stale(&mut self) -> Vec<SocketAddr> {
        core::mem::take(&mut self.stale)
    }

    /// Hands a packet from a TURN server to its client. `None`: the packet
    /// is not from a server the agent uses on that socket. Relayed data
    /// comes back with the relayed address it arrived at.
    pub(crate) fn handle_receive<'a>(
        &mut self,
        now: Instant,
        packet: Receive<'a>,
    ) -> Option<Result<(Option<SocketAddr>, turn::Handled<'a>), turn::RecvError>> {
        let relay = self.relays.iter_mut().find(|r| {
            r.server.address == packet.source
                && r.base == packet.destination
                && r.server.transport == packet.transport
        })?;
        Some(
            relay
                .client
                .handle_receive(now, packet)
                .map(|handled| (relay.relayed, handled)),
        )
    }

    pub(crate) fn handle_timeout(&mut self, now: Instant) {
        for relay in &mut self.relays {
            relay.client.handle_timeout(now);
        }
    }

    pub(crate) fn poll_timeout(&self) -> Option<Instant> {
        self.relays
            .iter()
            .filter_map(|r| r.client.poll_timeout())
            .min()
    }

    /// Sends `data` from the relayed address `relayed` to `peer`.
    pub(crate) fn send(
        &mut self,
        now: Instant,
        relayed: SocketAddr,
        peer: SocketAddr,
        data: &[u8],
    ) -> Result<(), turn::SendError> {
        let relay = self
            .relays
            .iter_mut()
            .find(|r| r.relayed == Some(relayed))
            .ok_or(turn::SendError::NotAllocated)?;
        relay.client.send_to(now, peer, data)
    }

    /// Installs a permission for `ip` on every live allocation of its
    /// family (RFC 8656 §9).
    pub(crate) fn permit(&mut self, now: Instant, ip: IpAddr) {
        for relay in &mut self.relays {
            let family = relay.relayed.is_some_and(|r| r.is_ipv4() == ip.is_ipv4());
            if family && !relay.retired && !relay.client.has_permission(ip) {
                // A full permission table only means the peer's data is
                // not relayed; ICE goes on without this pair.
                let _ = relay.client.create_permission(now, ip);
            }
        }
    }

    /// Binds a channel from the relayed address to `peer` (RFC 8656 §12),
    /// for the selected pair.
    pub(crate) fn bind_channel(&mut self, now: Instant, relayed: SocketAddr, peer: SocketAddr) {
        if let Some(relay) = self.relays.iter_mut().find(|r| r.relayed == Some(relayed)) {
            let _ = relay.client.bind_channel(now, peer);
        }
    }

    /// Releases every allocation.
    pub(crate) fn close(&mut self, now: Instant) {
        for index in 0..self.relays.len() {
            self.forget(index);
            if let Some(relay) = self.relays.get_mut(index) {
                relay.client.deallocate(now);
                relay.settled = true;
            }
        }
    }

    /// The agent could not take the relayed address (it is one of its
    /// sockets already, or the socket table is full): the allocation is
    /// released and its address never treated as relayed.
    pub(crate) fn reject(&mut self, now: Instant, relayed: SocketAddr) {
        for relay in &mut self.relays {
            if relay.relayed == Some(relayed) {
                relay.relayed = None;
                relay.client.deallocate(now);
            }
        }
    }

    /// Allocates again where an allocation failed or was lost; live
    /// allocations are kept.
    pub(crate) fn restart(&mut self, now: Instant, rng: &mut Rng) {
        self.relays.retain(|r| !(r.retired && r.client.is_closed()));
        for index in 0..self.relays.len() {
            let Some(relay) = self.relays.get(index) else {
                continue;
            };
            if relay.retired || !relay.client.is_closed() {
                continue;
            }
            let config = self.client_config(relay.base, &relay.server, rng.next_seed());
            if let Some(relay) = self.relays.get_mut(index) {
                relay.client = Client::new(config, now);
                relay.relayed = None;
                relay.settled = false;
            }
        }
    }

    /// Replaces the server list. A server whose credentials changed
    /// releases its allocation with the old ones and allocates again
    /// (so the new Allocate does not meet 437 Allocation Mismatch); a
    /// server no longer listed is released; a new one is allocated on
    /// `bases` (the first host socket per family and component).
    pub(crate) fn set_servers(
        &mut self,
        now: Instant,
        mut servers: Vec<TurnServer>,
        bases: &[(SocketAddr, u16)],
        rng: &mut Rng,
    ) {
        servers.truncate(MAX_TURN_SERVERS);
        for index in 0..self.relays.len() {
            let Some(relay) = self.relays.get(index) else {
                continue;
            };
            if relay.retired {
                continue;
            }
            let new = servers
                .iter()
                .find(|s| {
                    s.address == relay.server.address && s.transport == relay.server.transport
                })
                .cloned();
            match new {
                Some(new) if new == relay.server => {}
                Some(new) => {
                    self.forget(index);
                    if let Some(relay) = self.relays.get_mut(index) {
                        relay
                            .client
                            .set_credentials(now, &new.username, &new.password);
                        relay.server = new;
                        relay.settled = false;
                    }
                }
                None => {
                    self.forget(index);
                    if let Some(relay) = self.relays.get_mut(index) {
                        relay.client.deallocate(now);
                        relay.retired = true;
                    }
                }
            }
        }
        self.relays.retain(|r| !(r.retired && r.client.is_closed()));
        while self.relays.iter().filter(|r| r.retired).count() > MAX_RETIRED {
            if let Some(oldest) = self.relays.iter().position(|r| r.retired) {
                self.relays.remove(oldest);
            }
        }
        self.servers = servers;
        for &(base, component) in bases {
            self.start(now, base, component, rng);
        }
    }

    /// The allocation of relay `index` is over: its relayed address goes
    /// stale.
    fn forget(&mut self, index: usize) {
        let Some(relay) = self.relays.get_mut(index) else {
            return;
        };
        if let Some(relayed) = relay.relayed.take() {
            if self.stale.len() < MAX_STALE && !self.stale.contains(&relayed) {
                self.stale.push(relayed);
            }
        }
    }

    /// The next packet for a TURN server (from the host socket its client
    /// was made for).
    pub(crate) fn poll_transmit(&mut self) -> Option<Transmit> {
        self.relays
            .iter_mut()
            .find_map(|relay| relay.client.poll_transmit())
    }

    /// The next thing the agent must act on.
    pub(crate) fn poll_output(&mut self) -> Option<Output> {
        for index in 0..self.relays.len() {
            loop {
                let relay = self.relays.get_mut(index)?;
                let Some(event) = relay.client.poll_event() else {
                    break;
                };
                if let Some(output) = self.on_event(index, event) {
                    return Some(output);
                }
            }
        }
        None
    }

    fn on_event(&mut self, index: usize, event: turn::Event) -> Option<Output> {
        let relay = self.relays.get_mut(index)?;
        let server = relay.server.address;
        let error = |error: turn::ServerError| Output::Error {
            server,
            code: error.code,
            reason: error.reason,
        };
        if relay.retired {
            // A released allocation has nothing more to say.
            return None;
        }
        match event {
            turn::Event::Allocated {
                relayed, mapped, ..
            } => {
                relay.relayed = Some(relayed);
                relay.settled = true;
                Some(Output::Allocated {
                    relayed,
                    mapped: mapped.unwrap_or(relay.base),
                    server,
                    component: relay.component,
                })
            }
            turn::Event::AllocationFailed(e) => {
                relay.settled = true;
                Some(error(e))
            }
            turn::Event::PermissionCreated(ip) => relay
                .relayed
                .map(|relayed| Output::Permitted { relayed, ip }),
            turn::Event::RefreshFailed(e)
            | turn::Event::PermissionFailed(_, e)
            | turn::Event::ChannelBindFailed(_, e) => Some(error(e)),
            turn::Event::AllocationLost => {
                self.forget(index);
                Some(Output::Error {
                    server,
                    code: 0,
                    reason: "allocation lost".into(),
                })
            }
            turn::Event::Deallocated => {
                self.forget(index);
                None
            }
            _ => None,
        }
    }
}

impl Agent {
    /// Moves the TURN clients' packets to the transmit queue.
    pub(crate) fn flush_relay_transmits(&mut self) {
        while let Some(transmit) = self.relays.poll_transmit() {
            self.outbox.push(transmit);
        }
    }

    /// Acts on what the TURN clients report: new relayed candidates and
    /// errors; then moves their packets out.
    pub(crate) fn drain_relays(&mut self) {
        while let Some(output) = self.relays.poll_output() {
            match output {
                Output::Allocated {
                    relayed,
                    mapped,
                    server,
                    component,
                } => {
                    let now = self.now;
                    if self
                        .add_relayed_candidate(relayed, mapped, server, component)
                        .is_err()
                    {
                        // A relayed address the agent cannot take (one of
                        // its sockets, or no room): never relay through it.
                        self.relays.reject(now, relayed);
                    } else {
                        let ips: Vec<IpAddr> = self
                            .remotes
                            .iter()
                            .filter(|r| r.candidate.transport() == Transport::Udp)
                            .map(|r| r.address.ip())
                            .collect();
                        for ip in ips {
                            self.relays.permit(now, ip);
                        }
                    }
                }
                Output::Error {
                    server,
                    code,
                    reason,
                } => {
                    decision!("TURN server {}: {} {}", server, code, reason);
                    self.event(Event::TurnError {
                        server,
                        code,
                        reason,
                    });
                }
                Output::Permitted { relayed, ip } => {
                    // Checks sent through the relay before the permission
                    // existed were likely dropped: send them again now
                    // rather than after their retransmission timeout.
                    let now = self.now;
                    for pair in self.checklist.pairs_mut() {
                        if pair.local_base != relayed || pair.remote_addr.ip() != ip {
                            continue;
                        }
                        if let Some(check) = &mut pair.check {
                            check.next_at = check.next_at.min(now);
                        }
                    }
                }
            }
        }
        self.flush_relay_transmits();
        if self.state != ConnectionState::Closed {
            self.check_gathering_complete();
            self.update_state();
        }
    }

    /// Installs a permission for a remote candidate's IP on the TURN
    /// allocations.
    pub(crate) fn permit_remote(&mut self, ip: IpAddr) {
        let now = self.now;
        self.relays.permit(now, ip);
        self.flush_relay_transmits();
    }

    /// A packet from a TURN server, for one of the agent's TURN clients;
    /// `None` when it is not (or is a STUN answer the client does not know,
    /// such as a Binding response from the same server).
    pub(crate) fn receive_from_turn_server<'a>(
        &mut self,
        now: Instant,
        packet: Receive<'a>,
    ) -> Option<Result<Handled<'a>, RecvError>> {
        let result = self.relays.handle_receive(now, packet)?;
        self.advance(now);
        let handled = match result {
            Ok((Some(relayed), turn::Handled::Data(received))) => {
                self.receive_relayed(relayed, received.peer, received.data)
            }
            // Data for an allocation the agent no longer uses.
            Ok((None, turn::Handled::Data(_))) => Ok(Handled::Turn),
            Ok((_, turn::Handled::NotMine)) | Err(turn::RecvError::Unexpected) => {
                // Not the TURN client's: a Binding response from the same
                // server (used for STUN too), for instance.
                self.drain_relays();
                return None;
            }
            Ok(_) => Ok(Handled::Turn),
            Err(error) => Err(RecvError::Turn(error)),
        };
        self.drain_relays();
        Some(handled)
    }

    /// Data a TURN client received from `peer` on `relayed`: STUN for the
    /// agent, or application data for the caller, exactly as if it had
    /// arrived on a socket bound to the relayed address.
    fn receive_relayed<'a>(
        &mut self,
        relayed: SocketAddr,
        peer: SocketAddr,
        data: &'a [u8],
    ) -> Result<Handled<'a>, RecvError> {
        self.receive(Receive {
            source: peer,
            destination: relayed,
            transport: Transport::Udp,
            contents: data,
        })
    }
}
