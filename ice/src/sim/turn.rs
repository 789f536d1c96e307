//! A TURN server for the simulated network
//! ([RFC 8656](https://www.rfc-editor.org/rfc/rfc8656), server side, UDP):
//! Allocate behind the long-term credential challenge, Refresh (LIFETIME 0
//! releases), CreatePermission, ChannelBind, Send indications and
//! ChannelData out of the relayed address, and data from permitted peers
//! back to the client as Data indications or ChannelData.
//!
//! Data from a peer without a permission is dropped (RFC 8656 §9). All
//! state is bounded: [`MAX_ALLOCATIONS`], and per allocation
//! [`MAX_PERMISSIONS`] and [`MAX_CHANNELS`].

use alloc::string::String;
use alloc::vec::Vec;
use core::net::{IpAddr, SocketAddr};
use core::time::Duration;
use std::time::Instant;

use sansrtc_stun::credentials::LongTermKey;
use sansrtc_stun::framing::{ChannelData, Transport as Framing};
use sansrtc_stun::{
    Attribute, AttributeType, Class, ErrorCode, Message, MessageBuilder, Method, TransactionId,
};

/// Most allocations the server holds; further Allocate requests get 486
/// Allocation Quota Reached.
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-7.2>
pub const MAX_ALLOCATIONS: usize = 64;

/// Most permissions per allocation; more get 508 Insufficient Capacity.
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-9>
pub const MAX_PERMISSIONS: usize = 64;

/// Most channels per allocation; more get 508 Insufficient Capacity.
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-12>
pub const MAX_CHANNELS: usize = 64;

/// Allocation lifetime when the client asks for none or less (RFC 8656
/// §3.8: 10 minutes).
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-3.8>
pub const DEFAULT_LIFETIME: u32 = 600;

/// Longest allocation lifetime granted (one hour).
pub const MAX_LIFETIME: u32 = 3600;

/// Permission lifetime (RFC 8656 §9: 300 seconds).
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-9>
const PERMISSION_LIFETIME: Duration = Duration::from_secs(300);

/// Channel binding lifetime (RFC 8656 §12: 10 minutes).
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-12>
const CHANNEL_LIFETIME: Duration = Duration::from_secs(600);

/// First relayed port handed out (they run to 65535, then wrap).
const FIRST_PORT: u16 = 49_152;

/// Channel numbers a client may bind (RFC 8656 §12).
const CHANNELS: core::ops::RangeInclusive<u16> = 0x4000..=0x4FFF;

/// The transport protocol number of UDP (REQUESTED-TRANSPORT).
const UDP: u8 = 17;

/// Room for a response's attributes beside relayed data.
const OVERHEAD: usize = 128;

/// A datagram the server sends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Datagram {
    /// Where it leaves from: the server's address, or a relayed address.
    pub source: SocketAddr,
    /// Where it goes: a client, or a peer.
    pub destination: SocketAddr,
    /// The datagram.
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone)]
struct Allocation {
    /// The client's address as the server sees it (after NATs).
    client: SocketAddr,
    relayed: SocketAddr,
    /// The Allocate transaction that made it (a retransmission gets the
    /// same answer).
    transaction: TransactionId,
    lifetime: u32,
    expires: Instant,
    permissions: Vec<(IpAddr, Instant)>,
    channels: Vec<(u16, SocketAddr, Instant)>,
}

impl Allocation {
    fn permitted(&self, now: Instant, ip: IpAddr) -> bool {
        self.permissions
            .iter()
            .any(|&(p, expires)| p == ip && expires > now)
    }

    fn permit(&mut self, now: Instant, ip: IpAddr) -> bool {
        self.permissions.retain(|&(_, expires)| expires > now);
        let expires = now + PERMISSION_LIFETIME;
        if let Some(slot) = self.permissions.iter_mut().find(|(p, _)| *p == ip) {
            slot.1 = expires;
            return true;
        }
        if self.permissions.len() >= MAX_PERMISSIONS {
            return false;
        }
        self.permissions.push((ip, expires));
        true
    }

    fn channel_of(&self, now: Instant, peer: SocketAddr) -> Option<u16> {
        self.channels
            .iter()
            .find(|&&(_, p, expires)| p == peer && expires > now)
            .map(|&(channel, _, _)| channel)
    }

    fn peer_of(&self, now: Instant, channel: u16) -> Option<SocketAddr> {
        self.channels
            .iter()
            .find(|&&(c, _, expires)| c == channel && expires > now)
            .map(|&(_, peer, _)| peer)
    }
}

/// What a request asks for, once authenticated.
enum Answer<'a> {
    Success(Vec<Attribute<'a>>),
    Error(u16, &'static str),
}

/// A TURN server with one long-term credential (username, password) in one
/// realm, relaying UDP on its own IP address.
#[derive(Debug, Clone)]
pub struct Server {
    address: SocketAddr,
    realm: String,
    username: String,
    key: LongTermKey,
    nonce: String,
    allocations: Vec<Allocation>,
    next_port: u16,
    /// Data indications sent (their transaction IDs).
    indications: u64,
}

impl Server {
    /// A server at `address` accepting `username`/`password` in `realm`.
    /// `None` when the credentials cannot make a key (SASLprep rejects
    /// them).
    pub fn new(address: SocketAddr, realm: &str, username: &str, password: &str) -> Option<Self> {
        let key = LongTermKey::md5(username, realm, password).ok()?;
        Some(Self {
            address,
            realm: realm.into(),
            username: username.into(),
            key,
            nonce: String::from("sim-nonce-0123456789abcdef"),
            allocations: Vec::new(),
            next_port: FIRST_PORT,
            indications: 0,
        })
    }

    /// The server's address.
    pub const fn address(&self) -> SocketAddr {
        self.address
    }

    /// Whether a packet to `destination` is for this server: its own
    /// address or one of its relayed addresses.
    pub fn serves(&self, destination: SocketAddr) -> bool {
        destination == self.address || self.allocations.iter().any(|a| a.relayed == destination)
    }

    /// The relayed addresses of the live allocations (expired ones are
    /// dropped on the next packet).
    pub fn relayed_addresses(&self) -> impl Iterator<Item = SocketAddr> + '_ {
        self.allocations.iter().map(|a| a.relayed)
    }

    /// Handles a datagram from `source` to `destination` (the server's
    /// address or a relayed address) at `now`; returns what the server
    /// sends in reply or relays, if anything. Malformed, unauthenticated
    /// or unpermitted traffic gets an error response or is dropped.
    pub fn handle(
        &mut self,
        now: Instant,
        source: SocketAddr,
        destination: SocketAddr,
        bytes: &[u8],
    ) -> Option<Datagram> {
        self.allocations.retain(|a| a.expires > now);
        if destination == self.address {
            return self.client_packet(now, source, bytes);
        }
        self.indications = self.indications.wrapping_add(1);
        let mut transaction = [0u8; 12];
        if let Some(head) = transaction.first_chunk_mut::<8>() {
            *head = self.indications.to_be_bytes();
        }
        let allocation = self.allocations.iter().find(|a| a.relayed == destination)?;
        if !allocation.permitted(now, source.ip()) {
            return None;
        }
        let bytes = match allocation.channel_of(now, source) {
            Some(channel) => {
                let message = ChannelData::new(channel, bytes);
                let mut buf = vec![0u8; message.encoded_len(Framing::Udp)];
                let len = message.write_to(&mut buf, Framing::Udp).ok()?;
                buf.truncate(len);
                buf
            }
            None => {
                let mut buf = vec![0u8; bytes.len().saturating_add(OVERHEAD)];
                let mut builder = MessageBuilder::new(
                    &mut buf,
                    Class::Indication,
                    Method::DATA,
                    TransactionId::new(transaction),
                )
                .ok()?;
                builder
                    .add(&Attribute::XorPeerAddress(source))
                    .and_then(|b| b.add(&Attribute::Data(bytes)))
                    .ok()?;
                let len = builder.finish();
                buf.truncate(len);
                buf
            }
        };
        Some(Datagram {
            source: self.address,
            destination: allocation.client,
            bytes,
        })
    }

    fn client_packet(
        &mut self,
        now: Instant,
        client: SocketAddr,
        bytes: &[u8],
    ) -> Option<Datagram> {
        if let Ok(channel) = ChannelData::parse(bytes, Framing::Udp) {
            let allocation = self.allocations.iter().find(|a| a.client == client)?;
            let peer = allocation.peer_of(now, channel.channel_number)?;
            return allocation.permitted(now, peer.ip()).then(|| Datagram {
                source: allocation.relayed,
                destination: peer,
                bytes: channel.data.to_vec(),
            });
        }
        let message = Message::parse(bytes).ok()?;
        match message.class() {
            Class::Indication if message.method() == Method::SEND => {
                let allocation = self.allocations.iter().find(|a| a.client == client)?;
                let peer = message.xor_peer_address()?;
                let data = message.data()?;
                allocation.permitted(now, peer.ip()).then(|| Datagram {
                    source: allocation.relayed,
                    destination: peer,
                    bytes: data.to_vec(),
                })
            }
            Class::Request => self.request(now, client, &message),
            _ => None,
        }
    }

    fn request(
        &mut self,
        now: Instant,
        client: SocketAddr,
        request: &Message<'_>,
    ) -> Option<Datagram> {
        if request.method() == Method::BINDING {
            return self.respond(
                client,
                request,
                Answer::Success(vec![Attribute::XorMappedAddress(client)]),
                None,
            );
        }
        if !matches!(
            request.method(),
            Method::ALLOCATE | Method::REFRESH | Method::CREATE_PERMISSION | Method::CHANNEL_BIND
        ) {
            return self.respond(
                client,
                request,
                Answer::Error(ErrorCode::BAD_REQUEST, "Bad Request"),
                None,
            );
        }
        // The long-term credential mechanism (RFC 8489 §9.2.4).
        let signed = request.has(AttributeType::MESSAGE_INTEGRITY);
        let (Some(username), Some(realm), Some(nonce), true) =
            (request.username(), request.realm(), request.nonce(), signed)
        else {
            return self.challenge(
                client,
                request,
                ErrorCode::UNAUTHENTICATED,
                "Unauthenticated",
            );
        };
        if username != self.username
            || realm != self.realm
            || request
                .verify_message_integrity(self.key.as_bytes())
                .is_err()
        {
            return self.challenge(
                client,
                request,
                ErrorCode::UNAUTHENTICATED,
                "Unauthenticated",
            );
        }
        if nonce != self.nonce {
            return self.challenge(client, request, ErrorCode::STALE_NONCE, "Stale Nonce");
        }
        let key = self.key;
        let answer = match request.method() {
            Method::ALLOCATE => self.allocate(now, client, request),
            Method::REFRESH => self.refresh(now, client, request),
            Method::CREATE_PERMISSION => self.create_permission(now, client, request),
            _ => self.channel_bind(now, client, request),
        };
        self.respond(client, request, answer, Some(key.as_bytes()))
    }

    fn allocate<'a>(
        &mut self,
        now: Instant,
        client: SocketAddr,
        request: &Message<'_>,
    ) -> Answer<'a> {
        if let Some(allocation) = self.allocations.iter().find(|a| a.client == client) {
            if allocation.transaction != request.transaction_id() {
                return Answer::Error(ErrorCode::ALLOCATION_MISMATCH, "Allocation Mismatch");
            }
            return Answer::Success(vec![
                Attribute::XorRelayedAddress(allocation.relayed),
                Attribute::XorMappedAddress(client),
                Attribute::Lifetime(allocation.lifetime),
            ]);
        }
        match request.get(AttributeType::REQUESTED_TRANSPORT) {
            Some(Attribute::RequestedTransport(UDP)) => {}
            Some(_) => {
                return Answer::Error(
                    ErrorCode::UNSUPPORTED_TRANSPORT_PROTOCOL,
                    "Unsupported Transport Protocol",
                );
            }
            None => return Answer::Error(ErrorCode::BAD_REQUEST, "Bad Request"),
        }
        if client.is_ipv4() != self.address.is_ipv4() {
            return Answer::Error(
                ErrorCode::ADDRESS_FAMILY_NOT_SUPPORTED,
                "Address Family not Supported",
            );
        }
        if self.allocations.len() >= MAX_ALLOCATIONS {
            return Answer::Error(
                ErrorCode::ALLOCATION_QUOTA_REACHED,
                "Allocation Quota Reached",
            );
        }
        let Some(port) = self.free_port() else {
            return Answer::Error(ErrorCode::INSUFFICIENT_CAPACITY, "Insufficient Capacity");
        };
        let relayed = SocketAddr::new(self.address.ip(), port);
        let lifetime = granted(request.lifetime());
        self.allocations.push(Allocation {
            client,
            relayed,
            transaction: request.transaction_id(),
            lifetime,
            expires: now + Duration::from_secs(lifetime.into()),
            permissions: Vec::new(),
            channels: Vec::new(),
        });
        Answer::Success(vec![
            Attribute::XorRelayedAddress(relayed),
            Attribute::XorMappedAddress(client),
            Attribute::Lifetime(lifetime),
        ])
    }

    /// The next relayed port not in use (at most [`MAX_ALLOCATIONS`] are).
    fn free_port(&mut self) -> Option<u16> {
        for _ in 0..=MAX_ALLOCATIONS {
            let port = self.next_port;
            self.next_port = port.checked_add(1).unwrap_or(FIRST_PORT);
            if port != self.address.port()
                && !self.allocations.iter().any(|a| a.relayed.port() == port)
            {
                return Some(port);
            }
        }
        None
    }

    fn refresh<'a>(
        &mut self,
        now: Instant,
        client: SocketAddr,
        request: &Message<'_>,
    ) -> Answer<'a> {
        let Some(index) = self.allocations.iter().position(|a| a.client == client) else {
            return Answer::Error(ErrorCode::ALLOCATION_MISMATCH, "Allocation Mismatch");
        };
        if request.lifetime() == Some(0) {
            self.allocations.remove(index);
            return Answer::Success(vec![Attribute::Lifetime(0)]);
        }
        let lifetime = granted(request.lifetime());
        if let Some(allocation) = self.allocations.get_mut(index) {
            allocation.lifetime = lifetime;
            allocation.expires = now + Duration::from_secs(lifetime.into());
        }
        Answer::Success(vec![Attribute::Lifetime(lifetime)])
    }

    fn create_permission<'a>(
        &mut self,
        now: Instant,
        client: SocketAddr,
        request: &Message<'_>,
    ) -> Answer<'a> {
        let Some(allocation) = self.allocations.iter_mut().find(|a| a.client == client) else {
            return Answer::Error(ErrorCode::ALLOCATION_MISMATCH, "Allocation Mismatch");
        };
        let peers: Vec<IpAddr> = request
            .considered_attributes()
            .filter_map(|a| match a {
                Attribute::XorPeerAddress(peer) => Some(peer.ip()),
                _ => None,
            })
            .take(MAX_PERMISSIONS.saturating_add(1))
            .collect();
        if peers.is_empty() {
            return Answer::Error(ErrorCode::BAD_REQUEST, "Bad Request");
        }
        if peers
            .iter()
            .any(|p| p.is_ipv4() != allocation.relayed.is_ipv4())
        {
            return Answer::Error(
                ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH,
                "Peer Address Family Mismatch",
            );
        }
        for peer in peers {
            if !allocation.permit(now, peer) {
                return Answer::Error(ErrorCode::INSUFFICIENT_CAPACITY, "Insufficient Capacity");
            }
        }
        Answer::Success(Vec::new())
    }

    fn channel_bind<'a>(
        &mut self,
        now: Instant,
        client: SocketAddr,
        request: &Message<'_>,
    ) -> Answer<'a> {
        let Some(allocation) = self.allocations.iter_mut().find(|a| a.client == client) else {
            return Answer::Error(ErrorCode::ALLOCATION_MISMATCH, "Allocation Mismatch");
        };
        let (Some(channel), Some(peer)) = (request.channel_number(), request.xor_peer_address())
        else {
            return Answer::Error(ErrorCode::BAD_REQUEST, "Bad Request");
        };
        if !CHANNELS.contains(&channel) {
            return Answer::Error(ErrorCode::BAD_REQUEST, "Bad Request");
        }
        if peer.is_ipv4() != allocation.relayed.is_ipv4() {
            return Answer::Error(
                ErrorCode::PEER_ADDRESS_FAMILY_MISMATCH,
                "Peer Address Family Mismatch",
            );
        }
        allocation.channels.retain(|&(_, _, expires)| expires > now);
        // A channel is bound to one peer and a peer to one channel.
        if allocation
            .channels
            .iter()
            .any(|&(c, p, _)| (c == channel) != (p == peer))
        {
            return Answer::Error(ErrorCode::BAD_REQUEST, "Bad Request");
        }
        let expires = now + CHANNEL_LIFETIME;
        if let Some(slot) = allocation
            .channels
            .iter_mut()
            .find(|(c, _, _)| *c == channel)
        {
            slot.2 = expires;
        } else if allocation.channels.len() >= MAX_CHANNELS {
            return Answer::Error(ErrorCode::INSUFFICIENT_CAPACITY, "Insufficient Capacity");
        } else {
            allocation.channels.push((channel, peer, expires));
        }
        // A channel binding installs or refreshes the peer's permission.
        if !allocation.permit(now, peer.ip()) {
            return Answer::Error(ErrorCode::INSUFFICIENT_CAPACITY, "Insufficient Capacity");
        }
        Answer::Success(Vec::new())
    }

    /// A 401 or 438 with the realm and a nonce (RFC 8489 §9.2.4), unsigned.
    fn challenge(
        &self,
        client: SocketAddr,
        request: &Message<'_>,
        code: u16,
        reason: &'static str,
    ) -> Option<Datagram> {
        self.respond(client, request, Answer::Error(code, reason), None)
    }

    fn respond(
        &self,
        client: SocketAddr,
        request: &Message<'_>,
        answer: Answer<'_>,
        key: Option<&[u8]>,
    ) -> Option<Datagram> {
        let mut buf = vec![0u8; 512];
        let (class, attributes) = match answer {
            Answer::Success(attributes) => (Class::SuccessResponse, attributes),
            Answer::Error(code, reason) => {
                let mut attributes = vec![Attribute::ErrorCode(ErrorCode::new(code, reason))];
                if key.is_none() {
                    attributes.push(Attribute::Realm(&self.realm));
                    attributes.push(Attribute::Nonce(&self.nonce));
                }
                (Class::ErrorResponse, attributes)
            }
        };
        let mut builder =
            MessageBuilder::new(&mut buf, class, request.method(), request.transaction_id())
                .ok()?;
        for attribute in &attributes {
            builder.add(attribute).ok()?;
        }
        if let Some(key) = key {
            builder.add_message_integrity(key).ok()?;
        }
        builder.add_fingerprint().ok()?;
        let len = builder.finish();
        buf.truncate(len);
        Some(Datagram {
            source: self.address,
            destination: client,
            bytes: buf,
        })
    }
}

/// The lifetime granted for a requested one: the default at least, the
/// maximum at most.
fn granted(requested: Option<u32>) -> u32 {
    requested
        .unwrap_or(DEFAULT_LIFETIME)
        .clamp(DEFAULT_LIFETIME, MAX_LIFETIME)
}

#[cfg(test)]
// The virtual clock starts at an arbitrary instant.
#[allow(clippy::disallowed_methods, clippy::indexing_slicing)]
mod tests {
    use sansrtc_stun::Receive;
    use sansrtc_stun::turn::{self, Client, Event};

    use super::*;

    const SERVER: &str = "192.0.2.3:3478";
    const CLIENT: &str = "203.0.113.10:40000";
    const PEER: &str = "198.51.100.11:5000";

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    fn server() -> Server {
        Server::new(addr(SERVER), "sim.example", "user", "pass").unwrap()
    }

    fn client(now: Instant, password: &str) -> Client {
        Client::new(
            turn::Config::new(addr(CLIENT), addr(SERVER), "user", password),
            now,
        )
    }

    /// Carries the client's packets (sent from `from`) to the server and
    /// the server's answers back; returns what the server relayed to peers.
    fn pump(
        client: &mut Client,
        server: &mut Server,
        now: Instant,
        from: SocketAddr,
    ) -> Vec<Datagram> {
        let mut relayed = Vec::new();
        while let Some(transmit) = client.poll_transmit() {
            assert_eq!(transmit.destination, addr(SERVER));
            let Some(out) = server.handle(now, from, transmit.destination, &transmit.contents)
            else {
                continue;
            };
            if out.destination == from {
                assert_eq!(out.source, addr(SERVER));
                assert_eq!(
                    client.handle_receive(now, Receive::udp(out.source, from, &out.bytes)),
                    Ok(turn::Handled::Response)
                );
            } else {
                relayed.push(out);
            }
        }
        relayed
    }

    fn events(client: &mut Client) -> Vec<Event> {
        core::iter::from_fn(|| client.poll_event()).collect()
    }

    /// Runs `client`'s Allocate from the client address and checks that
    /// the server refuses it with error `code` and nothing else happens.
    #[track_caller]
    fn assert_allocation_fails(client: &mut Client, server: &mut Server, now: Instant, code: u16) {
        pump(client, server, now, addr(CLIENT));
        let events = events(client);
        assert!(
            matches!(events.as_slice(), [Event::AllocationFailed(e)] if e.code == code),
            "{events:?}"
        );
    }

    /// A client allocated on a server; returns the relayed address.
    fn allocated(now: Instant) -> (Server, Client, SocketAddr) {
        let mut server = server();
        let mut client = client(now, "pass");
        assert!(pump(&mut client, &mut server, now, addr(CLIENT)).is_empty());
        let events = events(&mut client);
        let Some(Event::Allocated {
            relayed,
            mapped,
            lifetime,
        }) = events.first().cloned()
        else {
            panic!("not allocated: {events:?}");
        };
        assert_eq!(relayed.ip(), addr(SERVER).ip());
        assert_eq!(mapped, Some(addr(CLIENT)));
        assert_eq!(lifetime, Duration::from_secs(DEFAULT_LIFETIME.into()));
        assert_eq!(server.relayed_addresses().collect::<Vec<_>>(), [relayed]);
        assert!(server.serves(relayed) && server.serves(addr(SERVER)));
        (server, client, relayed)
    }

    #[test]
    fn unauthenticated_allocate_is_challenged() {
        // Allocate, REQUESTED-TRANSPORT UDP, no credentials.
        let request = hex("000300082112a442000102030405060708090a0b0019000411000000");
        let mut server = server();
        let now = Instant::now();
        let out = server
            .handle(now, addr(CLIENT), addr(SERVER), &request)
            .unwrap();
        assert_eq!((out.source, out.destination), (addr(SERVER), addr(CLIENT)));
        let response = Message::parse(&out.bytes).unwrap();
        assert_eq!(response.class(), Class::ErrorResponse);
        assert_eq!(response.method(), Method::ALLOCATE);
        assert_eq!(
            response.transaction_id(),
            TransactionId::new([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])
        );
        assert_eq!(response.error_code().map(|e| e.code), Some(401));
        assert_eq!(response.realm(), Some("sim.example"));
        assert!(response.nonce().is_some());
        assert!(response.verify_fingerprint().is_ok());
        assert!(!response.has(AttributeType::MESSAGE_INTEGRITY));
        // The challenge made nothing.
        assert_eq!(server.relayed_addresses().count(), 0);
        // Written back, the response is the same bytes.
        let mut again = vec![0u8; response.encoded_len()];
        let len = response.write_to(&mut again).unwrap();
        assert_eq!(&again[..len], &out.bytes[..]);
    }

    fn hex(text: &str) -> Vec<u8> {
        (0..text.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&text[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn wrong_password_fails_the_allocation() {
        let now = Instant::now();
        let mut server = server();
        let mut client = client(now, "wrong");
        assert_allocation_fails(&mut client, &mut server, now, 401);
        assert_eq!(server.relayed_addresses().count(), 0);
    }

    #[test]
    fn permission_send_and_receive_through_data_indications() {
        let now = Instant::now();
        let (mut server, mut client, relayed) = allocated(now);
        // Before any permission, the peer's data is dropped.
        assert_eq!(server.handle(now, addr(PEER), relayed, b"early"), None);
        client.create_permission(now, addr(PEER).ip()).unwrap();
        assert!(pump(&mut client, &mut server, now, addr(CLIENT)).is_empty());
        assert_eq!(
            events(&mut client),
            [Event::PermissionCreated(addr(PEER).ip())]
        );
        // Send indication out of the relayed address.
        client.send_to(now, addr(PEER), b"hello").unwrap();
        let out = pump(&mut client, &mut server, now, addr(CLIENT));
        assert_eq!(
            out,
            [Datagram {
                source: relayed,
                destination: addr(PEER),
                bytes: b"hello".to_vec(),
            }]
        );
        // The peer's answer, from any port of its IP, comes back as a Data
        // indication.
        let from = SocketAddr::new(addr(PEER).ip(), 5001);
        let back = server.handle(now, from, relayed, b"world").unwrap();
        assert_eq!(
            (back.source, back.destination),
            (addr(SERVER), addr(CLIENT))
        );
        let message = Message::parse(&back.bytes).unwrap();
        assert_eq!(
            (message.class(), message.method()),
            (Class::Indication, Method::DATA)
        );
        let received = client
            .handle_receive(now, Receive::udp(back.source, addr(CLIENT), &back.bytes))
            .unwrap();
        assert_eq!(
            received,
            turn::Handled::Data(turn::Received {
                peer: from,
                data: b"world"
            })
        );
        // Another IP is not permitted.
        assert_eq!(
            server.handle(now, addr("198.51.100.99:5000"), relayed, b"x"),
            None
        );
        // A Send indication to an unpermitted peer is dropped.
        let mut other = vec![0u8; 128];
        let mut builder = MessageBuilder::new(
            &mut other,
            Class::Indication,
            Method::SEND,
            TransactionId::new([9; 12]),
        )
        .unwrap();
        builder
            .add(&Attribute::XorPeerAddress(addr("198.51.100.99:5000")))
            .unwrap()
            .add(&Attribute::Data(b"x"))
            .unwrap();
        let len = builder.finish();
        assert_eq!(
            server.handle(now, addr(CLIENT), addr(SERVER), &other[..len]),
            None
        );
        // Permissions last 300 s without a refresh.
        let later = now + PERMISSION_LIFETIME;
        assert_eq!(server.handle(later, from, relayed, b"late"), None);
    }

    #[test]
    fn channel_data_both_ways() {
        let now = Instant::now();
        let (mut server, mut client, relayed) = allocated(now);
        let channel = client.bind_channel(now, addr(PEER)).unwrap();
        assert!(pump(&mut client, &mut server, now, addr(CLIENT)).is_empty());
        assert!(events(&mut client).contains(&Event::ChannelBound {
            peer: addr(PEER),
            channel
        }));
        client
            .send_to(now, addr(PEER), b"over the channel")
            .unwrap();
        let out = pump(&mut client, &mut server, now, addr(CLIENT));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].source, relayed);
        assert_eq!(out[0].bytes, b"over the channel");
        let back = server.handle(now, addr(PEER), relayed, b"back").unwrap();
        let framed = ChannelData::parse(&back.bytes, Framing::Udp).unwrap();
        assert_eq!(framed.channel_number, channel);
        assert_eq!(
            client
                .handle_receive(now, Receive::udp(back.source, addr(CLIENT), &back.bytes))
                .unwrap(),
            turn::Handled::Data(turn::Received {
                peer: addr(PEER),
                data: b"back"
            })
        );
        // Another port of the peer's IP is permitted but has no channel.
        let other = SocketAddr::new(addr(PEER).ip(), 5001);
        let back = server.handle(now, other, relayed, b"data").unwrap();
        assert!(Message::parse(&back.bytes).is_ok());
        // ChannelData on an unbound channel is dropped.
        let unbound = ChannelData::new(0x4FFF, b"x");
        let mut buf = vec![0u8; unbound.encoded_len(Framing::Udp)];
        unbound.write_to(&mut buf, Framing::Udp).unwrap();
        assert_eq!(server.handle(now, addr(CLIENT), addr(SERVER), &buf), None);
    }

    #[test]
    fn refresh_with_lifetime_zero_releases() {
        let now = Instant::now();
        let (mut server, mut client, relayed) = allocated(now);
        client.deallocate(now);
        pump(&mut client, &mut server, now, addr(CLIENT));
        assert!(events(&mut client).contains(&Event::Deallocated));
        assert_eq!(server.relayed_addresses().count(), 0);
        assert!(!server.serves(relayed));
    }

    #[test]
    fn allocations_expire_without_refresh() {
        let now = Instant::now();
        let (mut server, _client, relayed) = allocated(now);
        let later = now + Duration::from_secs(DEFAULT_LIFETIME.into());
        assert_eq!(server.handle(later, addr(PEER), relayed, b"x"), None);
        assert_eq!(server.relayed_addresses().count(), 0);
    }

    #[test]
    fn a_second_allocate_from_the_same_client_is_a_mismatch() {
        let now = Instant::now();
        let (mut server, _client, _) = allocated(now);
        // Another transaction (not a retransmission of the first Allocate).
        let mut config = turn::Config::new(addr(CLIENT), addr(SERVER), "user", "pass");
        config.seed = Some([2; 32]);
        let mut again = Client::new(config, now);
        assert_allocation_fails(&mut again, &mut server, now, 437);
        assert_eq!(server.relayed_addresses().count(), 1);
    }

    #[test]
    fn allocations_permissions_and_channels_are_capped() {
        let now = Instant::now();
        let mut server = server();
        for n in 0..MAX_ALLOCATIONS {
            let mut client = client(now, "pass");
            let from = SocketAddr::new(addr(CLIENT).ip(), 1024 + n as u16);
            pump(&mut client, &mut server, now, from);
            assert!(matches!(
                events(&mut client).first(),
                Some(Event::Allocated { .. })
            ));
        }
        let mut last = client(now, "pass");
        assert_allocation_fails(&mut last, &mut server, now, 486);
        assert_eq!(server.relayed_addresses().count(), MAX_ALLOCATIONS);

        let (mut server, mut client, _) = allocated(now);
        for n in 0..=MAX_PERMISSIONS {
            let ip = IpAddr::from([198, 51, 100, u8::try_from(n).unwrap()]);
            client.create_permission(now, ip).unwrap();
        }
        pump(&mut client, &mut server, now, addr(CLIENT));
        let failed = events(&mut client)
            .into_iter()
            .filter(|e| matches!(e, Event::PermissionFailed(_, e) if e.code == 508))
            .count();
        assert_eq!(failed, 1);

        let (mut server, mut client, _) = allocated(now);
        for n in 0..=MAX_CHANNELS {
            let peer = SocketAddr::new(addr(PEER).ip(), 6000 + n as u16);
            client.bind_channel(now, peer).unwrap();
        }
        pump(&mut client, &mut server, now, addr(CLIENT));
        let failed = events(&mut client)
            .into_iter()
            .filter(|e| matches!(e, Event::ChannelBindFailed(_, e) if e.code == 508))
            .count();
        assert_eq!(failed, 1);
    }

    #[test]
    fn garbage_is_dropped() {
        let now = Instant::now();
        let (mut server, _client, relayed) = allocated(now);
        for bytes in [
            &[][..],
            &[0x00, 0x01],
            &[0x40, 0x00, 0x00, 0x10],
            &[0xff; 40],
        ] {
            assert_eq!(server.handle(now, addr(CLIENT), addr(SERVER), bytes), None);
        }
        // Data from an unpermitted peer is not relayed however it looks.
        assert_eq!(server.handle(now, addr(PEER), relayed, &[0xff; 40]), None);
        assert_eq!(server.relayed_addresses().count(), 1);
    }
}
