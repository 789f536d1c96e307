//! The Binding server: what it answers, what it does not, credentials, and
//! a client transaction talking to it.

// The client transaction in the last test needs an origin for its clock.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::indexing_slicing)]

use core::net::SocketAddr;
use std::time::Instant;

use sansrtc_stun::server::{Event, Handled, RecvError, Server, ServerConfig};
use sansrtc_stun::transaction::{self, ClientTransaction, TransactionConfig};
use sansrtc_stun::{
    Attribute, AttributeType, Class, Message, MessageBuilder, Method, ParseError, Receive,
    TransactionId, Transmit, Transport,
};

const ID: TransactionId = TransactionId::new(*b"server-test1");
const PASSWORD: &str = "VOkJxbRl1RmTxUk/WvJxBt";

fn v4() -> SocketAddr {
    "192.0.2.1:32853".parse().unwrap()
}

fn v6() -> SocketAddr {
    "[2001:db8:1234:5678:11:2233:4455:6677]:32853"
        .parse()
        .unwrap()
}

#[derive(Default)]
struct Request<'a> {
    class: Option<Class>,
    method: Option<Method>,
    attributes: Vec<Attribute<'a>>,
    integrity: Option<&'a [u8]>,
    integrity_sha256: Option<&'a [u8]>,
    fingerprint: bool,
}

impl Request<'_> {
    fn encode(&self) -> Vec<u8> {
        let mut buf = [0u8; 1024];
        let mut builder = MessageBuilder::new(
            &mut buf,
            self.class.unwrap_or(Class::Request),
            self.method.unwrap_or(Method::BINDING),
            ID,
        )
        .unwrap();
        for attribute in &self.attributes {
            builder.add(attribute).unwrap();
        }
        if let Some(key) = self.integrity {
            builder.add_message_integrity(key).unwrap();
        }
        if let Some(key) = self.integrity_sha256 {
            builder.add_message_integrity_sha256(key).unwrap();
        }
        if self.fingerprint {
            builder.add_fingerprint().unwrap();
        }
        let len = builder.finish();
        buf[..len].to_vec()
    }
}

/// The server's socket.
fn local() -> SocketAddr {
    "192.0.2.2:3478".parse().unwrap()
}

/// Hands `bytes` from `source` to the server.
fn receive(server: &mut Server, source: SocketAddr, bytes: &[u8]) -> Result<Handled, RecvError> {
    server.handle_receive(Instant::now(), Receive::udp(source, local(), bytes))
}

/// The server's single answer to `bytes` from `source`.
fn answer(server: &mut Server, source: SocketAddr, bytes: &[u8]) -> Vec<u8> {
    assert_eq!(receive(server, source, bytes), Ok(Handled::Answered));
    let transmit = server.poll_transmit().expect("a transmit");
    assert_eq!((transmit.source, transmit.destination), (local(), source));
    assert_eq!(server.poll_transmit(), None);
    transmit.contents.to_vec()
}

fn error_code(bytes: &[u8]) -> u16 {
    let message = Message::parse(bytes).unwrap();
    assert_eq!(message.class(), Class::ErrorResponse);
    assert_eq!(message.transaction_id(), ID);
    message.error_code().unwrap().code
}

#[test]
fn success_carries_the_source_address_ipv4_and_ipv6() {
    let mut server = Server::new(ServerConfig::default());
    for source in [v4(), v6()] {
        let bytes = answer(&mut server, source, &Request::default().encode());
        let message = Message::parse(&bytes).unwrap();
        assert_eq!(message.class(), Class::SuccessResponse);
        assert_eq!(message.method(), Method::BINDING);
        assert_eq!(message.transaction_id(), ID);
        assert_eq!(message.xor_mapped_address(), Some(source));
        assert_eq!(message.mapped_address(), None);
        assert_eq!(message.software(), None);
        assert!(!message.has_fingerprint());
        assert_eq!(
            server.poll_event(),
            Some(Event::Answered {
                source,
                method: Method::BINDING,
                transaction_id: ID,
                code: None
            })
        );
    }
}

#[test]
fn configured_attributes() {
    let mut config = ServerConfig::default();
    config.software = Some("sansrtc test".into());
    config.mapped_address = true;
    config.fingerprint = true;
    let mut server = Server::new(config);
    let bytes = answer(&mut server, v4(), &Request::default().encode());
    let message = Message::parse(&bytes).unwrap();
    assert_eq!(message.xor_mapped_address(), Some(v4()));
    assert_eq!(message.mapped_address(), Some(v4()));
    assert_eq!(message.software(), Some("sansrtc test"));
    message.verify_fingerprint().unwrap();
}

#[test]
fn fingerprint_is_echoed_and_checked() {
    let mut server = Server::new(ServerConfig::default());
    let request = Request {
        fingerprint: true,
        ..Request::default()
    }
    .encode();
    let bytes = answer(&mut server, v4(), &request);
    Message::parse(&bytes)
        .unwrap()
        .verify_fingerprint()
        .unwrap();

    let mut corrupted = request;
    let last = corrupted.len() - 1;
    corrupted[last] ^= 0xff;
    assert!(matches!(
        receive(&mut server, v4(), &corrupted),
        Err(RecvError::BadFingerprint(_))
    ));
    assert_eq!(server.poll_transmit(), None);
}

#[test]
fn unknown_comprehension_required_attributes_get_420() {
    let mut server = Server::new(ServerConfig::default());
    let request = Request {
        attributes: vec![
            Attribute::Unknown {
                kind: AttributeType(0x7F01),
                value: b"abcd",
            },
            // Comprehension-optional: ignored.
            Attribute::Unknown {
                kind: AttributeType(0xC001),
                value: b"",
            },
            Attribute::Unknown {
                kind: AttributeType(0x0002),
                value: b"xy",
            },
        ],
        ..Request::default()
    }
    .encode();
    let bytes = answer(&mut server, v4(), &request);
    assert_eq!(error_code(&bytes), 420);
    let message = Message::parse(&bytes).unwrap();
    let listed: Vec<AttributeType> = message.unknown_attributes().unwrap().iter().collect();
    assert_eq!(listed, [AttributeType(0x7F01), AttributeType(0x0002)]);
}

#[test]
fn other_methods_get_400() {
    let mut server = Server::new(ServerConfig::default());
    let request = Request {
        method: Some(Method::ALLOCATE),
        ..Request::default()
    }
    .encode();
    let bytes = answer(&mut server, v4(), &request);
    assert_eq!(error_code(&bytes), 400);
    assert_eq!(Message::parse(&bytes).unwrap().method(), Method::ALLOCATE);
}

#[test]
fn silent_on_indications_responses_garbage_and_rfc3489() {
    let mut server = Server::new(ServerConfig::default());
    for class in [
        Class::Indication,
        Class::SuccessResponse,
        Class::ErrorResponse,
    ] {
        let bytes = Request {
            class: Some(class),
            ..Request::default()
        }
        .encode();
        assert_eq!(
            receive(&mut server, v4(), &bytes),
            Err(RecvError::NotRequest)
        );
    }
    // An RFC 3489 Binding request: no magic cookie, 16-byte transaction id.
    let classic = [
        0x00, 0x01, 0x00, 0x00, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
    ];
    assert_eq!(
        receive(&mut server, v4(), &classic),
        Err(RecvError::Malformed(ParseError::Rfc3489))
    );
    for garbage in [&b""[..], &[0x00; 19]] {
        assert!(matches!(
            receive(&mut server, v4(), garbage),
            Err(RecvError::Malformed(_))
        ));
    }
    // Not STUN at all (another protocol on the socket): not the server's.
    for other in [&b"hello"[..], &[0xff; 40]] {
        assert_eq!(receive(&mut server, v4(), other), Ok(Handled::NotMine));
    }
    assert_eq!(server.poll_transmit(), None);
    assert_eq!(server.poll_event(), None);
}

#[test]
fn malformed_attribute_in_an_indication_is_not_answered() {
    let mut server = Server::new(ServerConfig::default());
    // Binding indication with a USERNAME that is not UTF-8.
    let mut bytes = vec![0x00, 0x11, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42];
    bytes.extend_from_slice(ID.as_bytes());
    bytes.extend_from_slice(&[0x00, 0x06, 0x00, 0x02, 0xff, 0xfe, 0x00, 0x00]);
    assert!(matches!(
        receive(&mut server, v4(), &bytes),
        Err(RecvError::Malformed(ParseError::BadAttribute { .. }))
    ));
    // The same as a request gets a 400.
    bytes[1] = 0x01;
    assert_eq!(error_code(&answer(&mut server, v4(), &bytes)), 400);
}

fn authenticated_server(username: Option<&str>) -> Server {
    let mut config = ServerConfig::default();
    config.password = Some(PASSWORD.into());
    config.username = username.map(Into::into);
    Server::new(config)
}

#[test]
fn short_term_credentials() {
    let mut server = authenticated_server(Some("local:remote"));
    let key = PASSWORD.as_bytes();

    // No MESSAGE-INTEGRITY, or no USERNAME: 400.
    let no_integrity = Request {
        attributes: vec![Attribute::Username("local:remote")],
        ..Request::default()
    };
    assert_eq!(
        error_code(&answer(&mut server, v4(), &no_integrity.encode())),
        400
    );
    let no_username = Request {
        integrity: Some(key),
        ..Request::default()
    };
    assert_eq!(
        error_code(&answer(&mut server, v4(), &no_username.encode())),
        400
    );

    // Wrong password or wrong username: 401, without integrity.
    let wrong_key = Request {
        attributes: vec![Attribute::Username("local:remote")],
        integrity: Some(b"not the password"),
        ..Request::default()
    };
    let bytes = answer(&mut server, v4(), &wrong_key.encode());
    assert_eq!(error_code(&bytes), 401);
    assert!(!Message::parse(&bytes).unwrap().has_integrity());
    let wrong_user = Request {
        attributes: vec![Attribute::Username("someone:else")],
        integrity: Some(key),
        ..Request::default()
    };
    assert_eq!(
        error_code(&answer(&mut server, v4(), &wrong_user.encode())),
        401
    );

    // Right credentials: a success signed with the same key.
    let good = Request {
        attributes: vec![Attribute::Username("local:remote")],
        integrity: Some(key),
        fingerprint: true,
        ..Request::default()
    };
    let bytes = answer(&mut server, v4(), &good.encode());
    let message = Message::parse(&bytes).unwrap();
    assert_eq!(message.class(), Class::SuccessResponse);
    message.verify_message_integrity(key).unwrap();
    message.verify_fingerprint().unwrap();
}

#[test]
fn sha256_integrity_is_answered_in_kind() {
    let mut server = authenticated_server(None);
    let key = PASSWORD.as_bytes();
    let request = Request {
        attributes: vec![Attribute::Username("anyone")],
        integrity_sha256: Some(key),
        ..Request::default()
    };
    let bytes = answer(&mut server, v4(), &request.encode());
    let message = Message::parse(&bytes).unwrap();
    assert_eq!(message.class(), Class::SuccessResponse);
    message.verify_message_integrity_sha256(key).unwrap();
    assert!(message.verify_message_integrity(key).is_err());
}

#[test]
fn authenticated_420_is_signed() {
    let mut server = authenticated_server(None);
    let key = PASSWORD.as_bytes();
    let request = Request {
        attributes: vec![
            Attribute::Username("anyone"),
            Attribute::Unknown {
                kind: AttributeType(0x0050),
                value: b"",
            },
        ],
        integrity: Some(key),
        ..Request::default()
    };
    let bytes = answer(&mut server, v4(), &request.encode());
    assert_eq!(error_code(&bytes), 420);
    Message::parse(&bytes)
        .unwrap()
        .verify_message_integrity(key)
        .unwrap();
}

#[test]
fn client_transaction_against_the_server() {
    let mut server = authenticated_server(None);
    let key = PASSWORD.as_bytes();
    let transaction_id = sansrtc_stun::rng::Rng::from_u64(0x5eed).transaction_id();
    let mut buf = [0u8; 256];
    let mut builder =
        MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, transaction_id).unwrap();
    builder.add(&Attribute::Username("a:b")).unwrap();
    builder.add_message_integrity(key).unwrap();
    builder.add_fingerprint().unwrap();
    let len = builder.finish();

    let now = Instant::now();
    let request = Transmit::new(v6(), local(), Transport::Udp, buf[..len].to_vec());
    let mut transaction =
        ClientTransaction::new(TransactionConfig::default(), now, request).unwrap();
    transaction.set_integrity_key(key);
    let request = transaction.poll_transmit().unwrap();
    receive(&mut server, request.source, &request.contents).unwrap();
    let reply = server.poll_transmit().unwrap();
    let handled = transaction.handle_receive(
        now,
        Receive::udp(reply.source, reply.destination, &reply.contents),
    );
    assert_eq!(handled, Ok(transaction::Handled::Response));
    match transaction.poll_event() {
        Some(transaction::Event::Success(response)) => {
            assert_eq!(response.mapped_address(), Some(v6()));
        }
        other => panic!("expected success, got {other:?}"),
    }
}
