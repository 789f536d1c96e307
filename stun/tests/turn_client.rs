//! The TURN client driven through scripted server answers in virtual time:
//! the 401 challenge, 438 stale nonce, 437 and other errors, password
//! algorithms and USERHASH, refresh timing, expiry, credential changes, and
//! wrapping of application data.

#![allow(clippy::indexing_slicing)]
#![allow(clippy::disallowed_methods)] // one real instant anchors the virtual clock

use core::net::SocketAddr;
use core::time::Duration;
use std::time::Instant;

use sansrtc_stun::attribute::{PasswordAlgorithm, PasswordAlgorithms};
use sansrtc_stun::credentials::{LongTermKey, SecurityFeatures, userhash};
use sansrtc_stun::framing::ChannelData;
use sansrtc_stun::turn::{Client, Config, Event, Handled, Received, RecvError};
use sansrtc_stun::{
    Attribute, Class, ErrorCode, Message, MessageBuilder, Method, Receive, Transmit, Transport,
};

const SERVER: &str = "192.0.2.10:3478";
const RELAYED: &str = "192.0.2.10:50000";
const MAPPED: &str = "198.51.100.7:40000";
const PEER: &str = "203.0.113.5:6000";
const REALM: &str = "example.org";
const NONCE: &str = "abcdefgh12345678";

fn server() -> SocketAddr {
    SERVER.parse().unwrap()
}

/// The client's socket.
fn local() -> SocketAddr {
    "198.51.100.1:5000".parse().unwrap()
}

/// `bytes` from the server, arriving on the client's socket.
fn from_server(bytes: &[u8]) -> Receive<'_> {
    Receive::udp(server(), local(), bytes)
}

/// The relayed data in `handled`.
fn relayed<'a>(handled: Result<Handled<'a>, RecvError>) -> Received<'a> {
    match handled {
        Ok(Handled::Data(received)) => received,
        other => panic!("expected relayed data, got {other:?}"),
    }
}

fn addr(text: &str) -> SocketAddr {
    text.parse().unwrap()
}

/// A scripted TURN server: it answers the client's requests as a test says.
struct Script {
    start: Instant,
    now: Instant,
    key: LongTermKey,
}

impl Script {
    fn new() -> Self {
        let start = Instant::now();
        Self {
            start,
            now: start,
            key: LongTermKey::md5("user", REALM, "pass").unwrap(),
        }
    }

    fn client(&self) -> Client {
        let mut config = Config::new(local(), server(), "user", "pass");
        config.seed = Some([7; 32]);
        Client::new(config, self.now)
    }

    fn at(&self, secs: f64) -> Instant {
        self.start + Duration::from_secs_f64(secs)
    }

    /// Takes the next datagram the client sends and parses it.
    fn next(client: &mut Client) -> Vec<u8> {
        let Transmit {
            source,
            destination,
            transport,
            contents,
            ..
        } = client.poll_transmit().expect("the client sends something");
        assert_eq!(
            (source, destination, transport),
            (local(), server(), Transport::Udp)
        );
        contents.to_vec()
    }

    /// Builds a response to `request` with the given attributes, signed with
    /// `key` when given.
    fn respond(
        request: &[u8],
        class: Class,
        attributes: &[Attribute<'_>],
        key: Option<&[u8]>,
    ) -> Vec<u8> {
        let request = Message::parse(request).unwrap();
        let mut buf = vec![0u8; 1024];
        let mut builder =
            MessageBuilder::new(&mut buf, class, request.method(), request.transaction_id())
                .unwrap();
        for attribute in attributes {
            builder.add(attribute).unwrap();
        }
        if let Some(key) = key {
            builder.add_message_integrity(key).unwrap();
        }
        let len = builder.finish();
        buf.truncate(len);
        buf
    }

    /// Answers `request` with a success signed with the key and feeds it to
    /// the client.
    fn succeed(&self, client: &mut Client, request: &[u8], attributes: &[Attribute<'_>]) {
        let answer = Self::respond(
            request,
            Class::SuccessResponse,
            attributes,
            Some(self.key.as_bytes()),
        );
        client
            .handle_receive(self.now, from_server(&answer))
            .unwrap();
    }

    /// Answers `request` with a signed error and feeds it to the client.
    fn refuse(&self, client: &mut Client, request: &[u8], code: u16, reason: &str) {
        let answer = Self::respond(
            request,
            Class::ErrorResponse,
            &[Attribute::ErrorCode(ErrorCode::new(code, reason))],
            Some(self.key.as_bytes()),
        );
        client
            .handle_receive(self.now, from_server(&answer))
            .unwrap();
    }

    fn challenge(request: &[u8], code: u16, nonce: &str) -> Vec<u8> {
        Self::respond(
            request,
            Class::ErrorResponse,
            &[
                Attribute::ErrorCode(ErrorCode::new(code, ErrorCode::default_reason(code))),
                Attribute::Realm(REALM),
                Attribute::Nonce(nonce),
            ],
            None,
        )
    }

    /// Runs the 401 dance and a successful Allocate with `lifetime` seconds.
    fn allocate(&self, client: &mut Client, lifetime: u32) {
        let first = Self::next(client);
        let message = Message::parse(&first).unwrap();
        assert_eq!(message.method(), Method::ALLOCATE);
        assert!(
            message
                .get(sansrtc_stun::AttributeType::MESSAGE_INTEGRITY)
                .is_none()
        );
        assert_eq!(
            message.get(sansrtc_stun::AttributeType::REQUESTED_TRANSPORT),
            Some(Attribute::RequestedTransport(17))
        );
        let challenge = Self::challenge(&first, 401, NONCE);
        assert_eq!(
            client.handle_receive(self.now, from_server(&challenge)),
            Ok(Handled::Response)
        );

        let second = Self::next(client);
        let message = Message::parse(&second).unwrap();
        assert_eq!(message.method(), Method::ALLOCATE);
        assert_eq!(message.username(), Some("user"));
        assert_eq!(message.realm(), Some(REALM));
        assert_eq!(message.nonce(), Some(NONCE));
        message
            .verify_message_integrity(self.key.as_bytes())
            .unwrap();
        let success = Self::respond(
            &second,
            Class::SuccessResponse,
            &[
                Attribute::XorRelayedAddress(addr(RELAYED)),
                Attribute::XorMappedAddress(addr(MAPPED)),
                Attribute::Lifetime(lifetime),
            ],
            Some(self.key.as_bytes()),
        );
        assert_eq!(
            client.handle_receive(self.now, from_server(&success)),
            Ok(Handled::Response)
        );
        assert_eq!(
            client.poll_event(),
            Some(Event::Allocated {
                relayed: addr(RELAYED),
                mapped: Some(addr(MAPPED)),
                lifetime: Duration::from_secs(u64::from(lifetime)),
            })
        );
    }
}

#[test]
fn allocates_after_the_401_challenge() {
    let script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    assert_eq!(client.relayed_address(), Some(addr(RELAYED)));
    assert_eq!(client.mapped_address(), Some(addr(MAPPED)));
    assert!(client.poll_transmit().is_none());
}

#[test]
fn refreshes_a_minute_before_expiry() {
    let mut script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    assert_eq!(client.poll_timeout(), Some(script.at(540.0)));

    // Nothing happens early.
    script.now = script.at(539.0);
    client.handle_timeout(script.now);
    assert!(client.poll_transmit().is_none());

    script.now = script.at(540.0);
    client.handle_timeout(script.now);
    let refresh = Script::next(&mut client);
    let message = Message::parse(&refresh).unwrap();
    assert_eq!(message.method(), Method::REFRESH);
    assert_eq!(message.lifetime(), Some(600));
    message
        .verify_message_integrity(script.key.as_bytes())
        .unwrap();
    script.succeed(&mut client, &refresh, &[Attribute::Lifetime(600)]);
    assert_eq!(
        client.poll_event(),
        Some(Event::Refreshed {
            lifetime: Duration::from_secs(600)
        })
    );
    assert_eq!(client.poll_timeout(), Some(script.at(1080.0)));
}

#[test]
fn unanswered_refresh_loses_the_allocation() {
    let mut script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    script.now = script.at(540.0);
    client.handle_timeout(script.now);
    // The refresh is retransmitted and eventually times out (39.5 s), or
    // the allocation expires at 600 s, whichever comes first.
    let mut sent = 0;
    for _ in 0..100 {
        while client.poll_transmit().is_some() {
            sent += 1;
        }
        let Some(next) = client.poll_timeout() else {
            break;
        };
        script.now = next;
        client.handle_timeout(script.now);
    }
    assert_eq!(sent, 7, "Rc = 7 transmissions of the Refresh");
    let events: Vec<Event> = core::iter::from_fn(|| client.poll_event()).collect();
    assert!(matches!(events.first(), Some(Event::RefreshFailed(e)) if e.is_timeout()));
    assert_eq!(events.last(), Some(&Event::AllocationLost));
    assert!(client.is_closed());
    assert!(client.send_to(script.now, addr(PEER), b"x").is_err());
}

#[test]
fn stale_nonce_is_retried_with_the_new_nonce() {
    let script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    let peer = addr(PEER);
    client.create_permission(script.now, peer.ip()).unwrap();
    let request = Script::next(&mut client);
    assert_eq!(
        Message::parse(&request).unwrap().method(),
        Method::CREATE_PERMISSION
    );
    let stale = Script::challenge(&request, 438, "fresh-nonce-0001");
    client
        .handle_receive(script.now, from_server(&stale))
        .unwrap();
    let retry = Script::next(&mut client);
    let message = Message::parse(&retry).unwrap();
    assert_eq!(message.method(), Method::CREATE_PERMISSION);
    assert_eq!(message.nonce(), Some("fresh-nonce-0001"));
    assert_eq!(
        message.xor_peer_address(),
        Some(SocketAddr::new(peer.ip(), 0))
    );
    message
        .verify_message_integrity(script.key.as_bytes())
        .unwrap();
    script.succeed(&mut client, &retry, &[]);
    assert_eq!(
        client.poll_event(),
        Some(Event::PermissionCreated(peer.ip()))
    );
    assert!(client.has_permission(peer.ip()));
}

#[test]
fn allocation_mismatch_is_reported_with_code_and_reason() {
    let script = Script::new();
    let mut client = script.client();
    let first = Script::next(&mut client);
    let challenge = Script::challenge(&first, 401, NONCE);
    client
        .handle_receive(script.now, from_server(&challenge))
        .unwrap();
    let second = Script::next(&mut client);
    let mismatch = Script::respond(
        &second,
        Class::ErrorResponse,
        &[Attribute::ErrorCode(ErrorCode::new(
            437,
            "Allocation Mismatch",
        ))],
        Some(script.key.as_bytes()),
    );
    client
        .handle_receive(script.now, from_server(&mismatch))
        .unwrap();
    match client.poll_event() {
        Some(Event::AllocationFailed(error)) => {
            assert_eq!(error.code, 437);
            assert_eq!(error.reason, "Allocation Mismatch");
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(client.is_closed());
}

#[test]
fn permission_refusal_is_an_event() {
    let script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    let peer = addr(PEER);
    client.create_permission(script.now, peer.ip()).unwrap();
    let request = Script::next(&mut client);
    script.refuse(&mut client, &request, 403, "Forbidden");
    match client.poll_event() {
        Some(Event::PermissionFailed(ip, error)) => {
            assert_eq!(ip, peer.ip());
            assert_eq!((error.code, error.reason.as_str()), (403, "Forbidden"));
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(!client.has_permission(peer.ip()));
}

#[test]
fn response_with_bad_integrity_is_dropped() {
    let script = Script::new();
    let mut client = script.client();
    let first = Script::next(&mut client);
    client
        .handle_receive(
            script.now,
            from_server(&Script::challenge(&first, 401, NONCE)),
        )
        .unwrap();
    let second = Script::next(&mut client);
    let forged = Script::respond(
        &second,
        Class::SuccessResponse,
        &[Attribute::XorRelayedAddress(addr(RELAYED))],
        Some(b"not the key"),
    );
    assert_eq!(
        client.handle_receive(script.now, from_server(&forged)),
        Err(RecvError::BadIntegrity)
    );
    assert_eq!(client.poll_event(), None);
    assert_eq!(client.relayed_address(), None);
    // Packets from elsewhere are refused too.
    assert_eq!(
        client.handle_receive(script.now, Receive::udp(addr(PEER), local(), &forged)),
        Ok(Handled::NotMine)
    );
}

#[test]
fn sha256_password_algorithm_and_userhash_when_the_nonce_asks() {
    let script = Script::new();
    let mut client = script.client();
    let first = Script::next(&mut client);
    let features =
        SecurityFeatures::PASSWORD_ALGORITHMS.union(SecurityFeatures::USERNAME_ANONYMITY);
    let prefix = features.nonce_prefix();
    let nonce = format!("{}server-part", core::str::from_utf8(&prefix).unwrap());
    let offered = [
        PasswordAlgorithm {
            algorithm: PasswordAlgorithm::MD5,
            parameters: &[],
        },
        PasswordAlgorithm {
            algorithm: PasswordAlgorithm::SHA256,
            parameters: &[],
        },
    ];
    let challenge = Script::respond(
        &first,
        Class::ErrorResponse,
        &[
            Attribute::ErrorCode(ErrorCode::new(401, "Unauthenticated")),
            Attribute::Realm(REALM),
            Attribute::Nonce(&nonce),
            Attribute::PasswordAlgorithms(PasswordAlgorithms::from_list(&offered)),
        ],
        None,
    );
    client
        .handle_receive(script.now, from_server(&challenge))
        .unwrap();
    let second = Script::next(&mut client);
    let message = Message::parse(&second).unwrap();
    assert_eq!(message.username(), None);
    assert_eq!(message.userhash(), Some(&userhash("user", REALM).unwrap()));
    assert_eq!(
        message.password_algorithm().map(|a| a.algorithm),
        Some(PasswordAlgorithm::SHA256)
    );
    assert_eq!(
        message.password_algorithms(),
        Some(PasswordAlgorithms::from_list(&offered))
    );
    let key = LongTermKey::sha256("user", REALM, "pass").unwrap();
    message
        .verify_message_integrity_sha256(key.as_bytes())
        .unwrap();
}

#[test]
fn data_goes_by_indication_then_by_channel() {
    let script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    let peer = addr(PEER);

    // Without a channel: a permission request, then a Send indication.
    client.send_to(script.now, peer, b"hello").unwrap();
    let permission = Script::next(&mut client);
    assert_eq!(
        Message::parse(&permission).unwrap().method(),
        Method::CREATE_PERMISSION
    );
    let indication = Script::next(&mut client);
    let message = Message::parse(&indication).unwrap();
    assert_eq!(
        (message.class(), message.method()),
        (Class::Indication, Method::SEND)
    );
    assert_eq!(message.xor_peer_address(), Some(peer));
    assert_eq!(message.data(), Some(&b"hello"[..]));

    // Bind a channel; until the server confirms, data still goes as Send.
    let channel = client.bind_channel(script.now, peer).unwrap();
    assert_eq!(channel, 0x4000);
    let bind = Script::next(&mut client);
    let message = Message::parse(&bind).unwrap();
    assert_eq!(message.method(), Method::CHANNEL_BIND);
    assert_eq!(message.channel_number(), Some(0x4000));
    script.succeed(&mut client, &bind, &[]);
    assert_eq!(
        client.poll_event(),
        Some(Event::ChannelBound { peer, channel })
    );
    client.send_to(script.now, peer, b"hello").unwrap();
    let framed = Script::next(&mut client);
    let data = ChannelData::parse(&framed, Transport::Udp).unwrap();
    assert_eq!((data.channel_number, data.data), (0x4000, &b"hello"[..]));

    // Incoming: a Data indication and ChannelData both name the peer.
    let mut buf = [0u8; 128];
    let mut builder = MessageBuilder::new(
        &mut buf,
        Class::Indication,
        Method::DATA,
        sansrtc_stun::TransactionId::new([1; 12]),
    )
    .unwrap();
    builder
        .add(&Attribute::XorPeerAddress(peer))
        .unwrap()
        .add(&Attribute::Data(b"from peer"))
        .unwrap();
    let len = builder.finish();
    let received = relayed(client.handle_receive(script.now, from_server(&buf[..len])));
    assert_eq!((received.peer, received.data), (peer, &b"from peer"[..]));
    let mut frame = [0u8; 32];
    let len = ChannelData::new(0x4000, b"on channel")
        .write_to(&mut frame, Transport::Udp)
        .unwrap();
    let received = relayed(client.handle_receive(script.now, from_server(&frame[..len])));
    assert_eq!((received.peer, received.data), (peer, &b"on channel"[..]));
    // An unbound channel is refused.
    let len = ChannelData::new(0x4001, b"?")
        .write_to(&mut frame, Transport::Udp)
        .unwrap();
    assert_eq!(
        client.handle_receive(script.now, from_server(&frame[..len])),
        Err(RecvError::UnknownChannel(0x4001))
    );
}

#[test]
fn permissions_and_channels_are_refreshed_before_expiry() {
    let mut script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 3600);
    let peer = addr(PEER);
    client.bind_channel(script.now, peer).unwrap();
    let bind = Script::next(&mut client);
    script.succeed(&mut client, &bind, &[]);
    // The channel installed the permission too: it is refreshed at 240 s,
    // the channel at 540 s.
    assert!(client.has_permission(peer.ip()));
    assert_eq!(client.poll_timeout(), Some(script.at(240.0)));
    script.now = script.at(240.0);
    client.handle_timeout(script.now);
    let refresh = Script::next(&mut client);
    assert_eq!(
        Message::parse(&refresh).unwrap().method(),
        Method::CREATE_PERMISSION
    );
    script.succeed(&mut client, &refresh, &[]);
    assert_eq!(client.poll_timeout(), Some(script.at(480.0)));
    script.now = script.at(480.0);
    client.handle_timeout(script.now);
    let _ = Script::next(&mut client);
    assert_eq!(
        client.poll_timeout().map(|t| t <= script.at(540.0)),
        Some(true)
    );
}

#[test]
fn new_credentials_release_the_old_allocation_first() {
    let script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    client.set_credentials(script.now, "user2", "pass2");
    // The release is signed with the old key.
    let release = Script::next(&mut client);
    let message = Message::parse(&release).unwrap();
    assert_eq!(message.method(), Method::REFRESH);
    assert_eq!(message.lifetime(), Some(0));
    assert_eq!(message.username(), Some("user"));
    message
        .verify_message_integrity(script.key.as_bytes())
        .unwrap();
    script.succeed(&mut client, &release, &[Attribute::Lifetime(0)]);
    assert_eq!(client.poll_event(), Some(Event::Deallocated));
    // Then a fresh, unauthenticated Allocate starts the new credentials.
    let allocate = Script::next(&mut client);
    let message = Message::parse(&allocate).unwrap();
    assert_eq!(message.method(), Method::ALLOCATE);
    assert_eq!(message.username(), None);
    let challenge = Script::challenge(&allocate, 401, NONCE);
    client
        .handle_receive(script.now, from_server(&challenge))
        .unwrap();
    let second = Script::next(&mut client);
    let message = Message::parse(&second).unwrap();
    assert_eq!(message.username(), Some("user2"));
    let key = LongTermKey::md5("user2", REALM, "pass2").unwrap();
    message.verify_message_integrity(key.as_bytes()).unwrap();
}

/// Regression (fuzzing): requests timing out together with a failing
/// Allocate, which clears the request table, must not panic.
#[test]
fn timeouts_during_a_credential_change_do_not_panic() {
    let mut script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    client
        .create_permission(script.now, addr(PEER).ip())
        .unwrap();
    client.set_credentials(script.now, "user2", "pass2");
    // Nothing answers: the release times out, a new Allocate starts and
    // times out too.
    for _ in 0..200 {
        while client.poll_transmit().is_some() {}
        let Some(next) = client.poll_timeout() else {
            break;
        };
        script.now = next.max(script.now);
        client.handle_timeout(script.now);
    }
    let events: Vec<Event> = core::iter::from_fn(|| client.poll_event()).collect();
    assert!(events.contains(&Event::Deallocated), "{events:?}");
    assert!(
        matches!(events.last(), Some(Event::AllocationFailed(e)) if e.is_timeout()),
        "{events:?}"
    );
    assert!(client.is_closed());
}

#[test]
fn refused_credentials_are_not_retried_with_the_same_nonce() {
    let script = Script::new();
    let mut client = script.client();
    let first = Script::next(&mut client);
    let challenge = Script::challenge(&first, 401, NONCE);
    client
        .handle_receive(script.now, from_server(&challenge))
        .unwrap();
    let second = Script::next(&mut client);
    assert_eq!(Message::parse(&second).unwrap().username(), Some("user"));
    // The server refuses the password: 401 again with the same nonce.
    let refusal = Script::challenge(&second, 401, NONCE);
    client
        .handle_receive(script.now, from_server(&refusal))
        .unwrap();
    assert!(client.poll_transmit().is_none(), "no third Allocate");
    assert!(
        matches!(client.poll_event(), Some(Event::AllocationFailed(e)) if e.code == 401),
        "the allocation fails with 401"
    );
    assert!(client.is_closed());
}

#[test]
fn a_401_with_a_new_nonce_is_retried_once_then_fails() {
    let script = Script::new();
    let mut client = script.client();
    let first = Script::next(&mut client);
    let challenge = Script::challenge(&first, 401, NONCE);
    client
        .handle_receive(script.now, from_server(&challenge))
        .unwrap();
    let second = Script::next(&mut client);
    // A server that answers an expired nonce with 401 instead of 438.
    let renewed = Script::challenge(&second, 401, "renewed-nonce-01");
    client
        .handle_receive(script.now, from_server(&renewed))
        .unwrap();
    let third = Script::next(&mut client);
    assert_eq!(
        Message::parse(&third).unwrap().nonce(),
        Some("renewed-nonce-01")
    );
    let again = Script::challenge(&third, 401, "renewed-nonce-02");
    client
        .handle_receive(script.now, from_server(&again))
        .unwrap();
    assert!(client.poll_transmit().is_none(), "one retry is enough");
    assert!(matches!(
        client.poll_event(),
        Some(Event::AllocationFailed(e)) if e.code == 401
    ));
}

#[test]
fn undrained_queues_are_bounded_and_counted() {
    let script = Script::new();
    let mut client = script.client();
    script.allocate(&mut client, 600);
    let peer = addr(PEER);
    client.create_permission(script.now, peer.ip()).unwrap();
    // Nobody drains poll_transmit.
    for _ in 0..(sansrtc_stun::turn::MAX_QUEUED_TRANSMITS + 10) {
        client.send_to(script.now, peer, b"data").unwrap();
    }
    let overflow = client.overflow();
    assert!(overflow.transmits >= 10, "{overflow:?}");
    let mut queued = 0;
    while client.poll_transmit().is_some() {
        queued += 1;
    }
    assert_eq!(queued, sansrtc_stun::turn::MAX_QUEUED_TRANSMITS);
}
