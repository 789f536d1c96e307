//! TCP in the simulated network: listeners, connections through NATs, and
//! the byte streams they carry (ICE-TCP, RFC 6544).
//!
//! A connection attempt travels like a datagram: it reaches a listener
//! (the host's own address, not behind a NAT: NATs do not forward
//! incoming connections) after the link latency, which accepts it; the
//! connector learns it is open one latency later, or that it was refused
//! when a host at that address has no listener on the port. A host behind
//! a NAT connects out through a new mapping, so the listener sees the NAT's
//! address. Firewalls drop UDP only: TCP passes them, which is how ICE-TCP
//! gets through a network that blocks UDP.
//!
//! Streams are reliable and ordered: the link's loss does not apply (TCP
//! would retransmit) and its jitter never reorders bytes. Each write
//! arrives cut into up to three segments at random points, so that the
//! receiver's framing sees frames split across reads.

use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use alloc::collections::BTreeMap;

use super::Network;
use crate::event::Transmit;
use crate::tcp::ConnectRequest;

/// Something that happened on the simulated network's TCP side, for the
/// host named in it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamEvent {
    /// A listener at `local` accepted a connection from `remote`.
    Accepted {
        /// The listener's address.
        local: SocketAddr,
        /// The connector as the listener sees it (after its NAT).
        remote: SocketAddr,
    },
    /// The connection `request` asked for is open, bound to `local`.
    Connected {
        /// The request passed to [`Network::connect`].
        request: ConnectRequest,
        /// The connector's end.
        local: SocketAddr,
    },
    /// A host at the request's remote address has no listener there.
    Refused {
        /// The request passed to [`Network::connect`].
        request: ConnectRequest,
    },
    /// Bytes arrived on the connection from `remote` to `local`.
    Bytes {
        /// The receiver's end.
        local: SocketAddr,
        /// The sender's end, as the receiver sees it.
        remote: SocketAddr,
        /// A segment of the stream.
        bytes: Vec<u8>,
    },
    /// The other end closed the connection.
    Closed {
        /// The receiver's end.
        local: SocketAddr,
        /// The other end, as the receiver sees it.
        remote: SocketAddr,
    },
}

/// A connection between a connector and a listener.
#[derive(Debug, Clone)]
struct Connection {
    /// The connector's end (its own address).
    client: SocketAddr,
    /// The listener's address.
    server: SocketAddr,
    /// The connector as the listener sees it.
    client_public: SocketAddr,
    /// When the last segment towards the listener, and towards the
    /// connector, arrives: later ones never overtake it.
    to_server: Instant,
    to_client: Instant,
}

/// What travels on the TCP side.
#[derive(Debug, Clone)]
enum Arrival {
    /// A connection attempt reaching the listener's address.
    Syn {
        request: ConnectRequest,
        client: SocketAddr,
        client_public: SocketAddr,
    },
    /// Delivered to the host as it is.
    Event(StreamEvent),
}

/// The TCP side of the network.
#[derive(Debug, Default)]
pub(super) struct Streams {
    listeners: Vec<(SocketAddr, Option<usize>)>,
    connections: Vec<Connection>,
    in_flight: BTreeMap<(Instant, u64), Arrival>,
    next_port: u16,
}

impl Streams {
    pub(super) fn next_arrival(&self) -> Option<Instant> {
        self.in_flight.keys().next().map(|(at, _)| *at)
    }
}

impl Network {
    /// Adds a TCP listener at `address`, on a public host or behind NAT
    /// `nat` (where it is out of reach: NATs do not forward incoming
    /// connections). Its host connects out through that NAT too.
    pub fn add_listener(&mut self, address: SocketAddr, nat: Option<usize>) {
        if !self.streams.listeners.iter().any(|(a, _)| *a == address) {
            self.streams.listeners.push((address, nat));
        }
    }

    /// The NAT in front of the host with IP address `ip`, if any.
    fn nat_of(&self, ip: IpAddr) -> Option<usize> {
        self.hosts
            .iter()
            .map(|h| (h.address, h.nat))
            .chain(self.streams.listeners.iter().copied())
            .find(|(address, _)| address.ip() == ip)
            .and_then(|(_, nat)| nat)
    }

    fn stream_delay(&mut self, now: Instant) -> Instant {
        let jitter_us = u64::try_from(self.link.jitter.as_micros()).unwrap_or(u64::MAX);
        let jitter = Duration::from_micros(self.rng.below(jitter_us.saturating_add(1)));
        now + self.link.latency + jitter
    }

    fn schedule_stream(&mut self, at: Instant, arrival: Arrival) {
        self.sequence += 1;
        self.streams.in_flight.insert((at, self.sequence), arrival);
    }

    /// Opens a TCP connection from the host at `request.local`'s IP address
    /// (from a new port) to `request.remote`; the outcome comes from
    /// [`poll_stream`](Self::poll_stream).
    pub fn connect(&mut self, now: Instant, request: ConnectRequest) {
        self.sent += 1;
        let port = 50_000 + self.streams.next_port % 10_000;
        self.streams.next_port = self.streams.next_port.wrapping_add(1);
        let client = SocketAddr::new(request.local.ip(), port);
        let client_public = match self.nat_of(client.ip()).and_then(|n| self.nats.get_mut(n)) {
            Some(nat) => nat.outbound(client, request.remote),
            None => client,
        };
        let at = self.stream_delay(now);
        self.schedule_stream(
            at,
            Arrival::Syn {
                request,
                client,
                client_public,
            },
        );
    }

    /// Sends bytes on the connection from `transmit.source` to
    /// `transmit.destination` (a [`Transport::Tcp`](crate::Transport::Tcp)
    /// transmit); bytes for no connection are dropped.
    pub(super) fn send_stream(&mut self, now: Instant, transmit: &Transmit) {
        let (source, destination) = (transmit.source, transmit.destination);
        let Some(index) = self.streams.connections.iter().position(|c| {
            (c.client == source && c.server == destination)
                || (c.server == source && c.client_public == destination)
        }) else {
            self.dropped += 1;
            return;
        };
        let earliest = self.stream_delay(now);
        let Some(connection) = self.streams.connections.get_mut(index) else {
            return;
        };
        let to_server = connection.client == source;
        let (last, local, remote) = if to_server {
            (
                &mut connection.to_server,
                connection.server,
                connection.client_public,
            )
        } else {
            (
                &mut connection.to_client,
                connection.client,
                connection.server,
            )
        };
        let at = earliest.max(*last);
        *last = at;
        let bytes = &transmit.contents[..];
        // Up to three segments, cut at random points.
        let mut cuts = [
            self.rng.below(bytes.len() as u64 + 1),
            self.rng.below(bytes.len() as u64 + 1),
        ]
        .map(|c| usize::try_from(c).unwrap_or(0));
        cuts.sort_unstable();
        let mut start = 0;
        for end in cuts.into_iter().chain([bytes.len()]) {
            if let Some(segment) = bytes.get(start..end).filter(|s| !s.is_empty()) {
                self.schedule_stream(
                    at,
                    Arrival::Event(StreamEvent::Bytes {
                        local,
                        remote,
                        bytes: segment.to_vec(),
                    }),
                );
            }
            start = end.max(start);
        }
    }

    /// Closes the connection from `local` to `remote` (either end's view):
    /// the other end learns it after the latency.
    pub fn close(&mut self, now: Instant, local: SocketAddr, remote: SocketAddr) {
        let Some(index) = self.streams.connections.iter().position(|c| {
            (c.client == local && c.server == remote)
                || (c.server == local && c.client_public == remote)
        }) else {
            return;
        };
        let connection = self.streams.connections.remove(index);
        let closed = if connection.client == local {
            StreamEvent::Closed {
                local: connection.server,
                remote: connection.client_public,
            }
        } else {
            StreamEvent::Closed {
                local: connection.client,
                remote: connection.server,
            }
        };
        let last = if connection.client == local {
            connection.to_server
        } else {
            connection.to_client
        };
        let at = self.stream_delay(now).max(last);
        self.schedule_stream(at, Arrival::Event(closed));
    }

    /// The next TCP event due by `now`.
    pub fn poll_stream(&mut self, now: Instant) -> Option<StreamEvent> {
        loop {
            let key = *self.streams.in_flight.keys().next()?;
            if key.0 > now {
                return None;
            }
            let arrival = self.streams.in_flight.remove(&key)?;
            match arrival {
                Arrival::Event(event) => return Some(event),
                Arrival::Syn {
                    request,
                    client,
                    client_public,
                } => {
                    if let Some(event) = self.arrive_syn(key.0, request, client, client_public) {
                        return Some(event);
                    }
                }
            }
        }
    }

    /// A connection attempt reaches `request.remote`: a listener accepts
    /// it (and the connector hears back one latency later), a host without
    /// one refuses it, anything else drops it.
    fn arrive_syn(
        &mut self,
        now: Instant,
        request: ConnectRequest,
        client: SocketAddr,
        client_public: SocketAddr,
    ) -> Option<StreamEvent> {
        let server = request.remote;
        let unreachable = self.nats.iter().any(|n| n.public_ip == server.ip())
            || self.nat_of(server.ip()).is_some();
        if !unreachable && self.streams.listeners.iter().any(|(a, _)| *a == server) {
            let back = self.stream_delay(now);
            self.streams.connections.push(Connection {
                client,
                server,
                client_public,
                to_server: now,
                to_client: back,
            });
            self.schedule_stream(
                back,
                Arrival::Event(StreamEvent::Connected {
                    request,
                    local: client,
                }),
            );
            return Some(StreamEvent::Accepted {
                local: server,
                remote: client_public,
            });
        }
        let host_there = !unreachable
            && self
                .hosts
                .iter()
                .map(|h| h.address)
                .chain(self.streams.listeners.iter().map(|(a, _)| *a))
                .any(|a| a.ip() == server.ip());
        if host_there {
            let back = self.stream_delay(now);
            self.schedule_stream(back, Arrival::Event(StreamEvent::Refused { request }));
        } else {
            self.dropped += 1;
        }
        None
    }
}

#[cfg(test)]
// The virtual clock starts at an arbitrary instant.
#[allow(clippy::disallowed_methods)]
mod tests {
    use super::*;
    use crate::candidate::Transport;
    use crate::sim::{Link, Nat};

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn all(network: &mut Network, now: Instant) -> Vec<StreamEvent> {
        let later = now + Duration::from_secs(1);
        core::iter::from_fn(|| network.poll_stream(later)).collect()
    }

    #[test]
    fn connect_through_a_nat_to_a_listener_and_back() {
        let mut network = Network::new(1, Link::default());
        let nat = network.add_nat("203.0.113.1".parse().unwrap(), Nat::SYMMETRIC);
        network.add_host(addr("10.0.0.2:5000"), Some(nat));
        network.add_host(addr("198.51.100.1:5000"), None);
        network.add_listener(addr("198.51.100.1:5000"), None);
        let now = Instant::now();
        let request = ConnectRequest {
            local: addr("10.0.0.2:0"),
            remote: addr("198.51.100.1:5000"),
        };
        network.connect(now, request);
        let events = all(&mut network, now);
        let [
            StreamEvent::Accepted { local, remote },
            StreamEvent::Connected {
                request: echoed,
                local: client,
            },
        ] = events.as_slice()
        else {
            panic!("{events:?}");
        };
        assert_eq!((*local, *echoed), (request.remote, request));
        assert_eq!(remote.ip(), "203.0.113.1".parse::<IpAddr>().unwrap());
        assert_eq!(client.ip(), request.local.ip());
        // Bytes both ways, in order, whatever the cuts.
        let (client, remote) = (*client, *remote);
        for i in 0..20u8 {
            network.send(
                now,
                Transmit::new(client, request.remote, Transport::Tcp, vec![i; 7]),
            );
            network.send(
                now,
                Transmit::new(request.remote, remote, Transport::Tcp, vec![i; 5]),
            );
        }
        let mut to_server = Vec::new();
        let mut to_client = Vec::new();
        for event in all(&mut network, now) {
            match event {
                StreamEvent::Bytes {
                    local,
                    remote: from,
                    bytes,
                } if local == request.remote && from == remote => to_server.extend(bytes),
                StreamEvent::Bytes {
                    local,
                    remote: from,
                    bytes,
                } if local == client && from == request.remote => to_client.extend(bytes),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(
            to_server,
            (0..20u8).flat_map(|i| [i; 7]).collect::<Vec<_>>()
        );
        assert_eq!(
            to_client,
            (0..20u8).flat_map(|i| [i; 5]).collect::<Vec<_>>()
        );
        // Closing: the other end hears of it; later bytes go nowhere.
        network.close(now, client, request.remote);
        assert_eq!(
            all(&mut network, now),
            [StreamEvent::Closed {
                local: request.remote,
                remote
            }]
        );
        let dropped = network.dropped;
        network.send(
            now,
            Transmit::new(request.remote, remote, Transport::Tcp, vec![1]),
        );
        assert_eq!(network.dropped, dropped + 1);
    }

    #[test]
    fn no_listener_refuses_and_a_nat_drops() {
        let mut network = Network::new(2, Link::default());
        let nat = network.add_nat("203.0.113.1".parse().unwrap(), Nat::FULL_CONE);
        network.add_host(addr("10.0.0.2:5000"), Some(nat));
        network.add_listener(addr("10.0.0.2:5000"), Some(nat));
        network.add_host(addr("198.51.100.1:5000"), None);
        let now = Instant::now();
        let refused = ConnectRequest {
            local: addr("10.0.0.2:0"),
            remote: addr("198.51.100.1:6000"),
        };
        network.connect(now, refused);
        assert_eq!(
            all(&mut network, now),
            [StreamEvent::Refused { request: refused }]
        );
        // A listener behind a NAT is out of reach, by its private or its
        // public address.
        for remote in ["10.0.0.2:5000", "203.0.113.1:40000"] {
            network.connect(
                now,
                ConnectRequest {
                    local: addr("198.51.100.1:0"),
                    remote: addr(remote),
                },
            );
        }
        assert!(all(&mut network, now).is_empty());
    }
}
