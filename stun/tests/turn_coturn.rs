//! The TURN client against a real coturn server on 127.0.0.1: allocate,
//! install a permission, relay a datagram to a UDP echo peer by Send
//! indication and again by ChannelData, refresh, and release.
//!
//! The test installs nothing. It runs when `turnserver` (Debian `coturn`) is
//! on the PATH; otherwise it prints `skipped: turnserver not installed`
//! (which fails `.ci/run`, where coturn is installed).

#![allow(clippy::disallowed_methods)] // a test against a real server owns the clock
#![allow(clippy::indexing_slicing)]

mod support;

use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use core::time::Duration;
use std::io::{Read, Write};
use std::net::{TcpStream, UdpSocket};
use std::time::Instant;

use sansrtc_stun::framing::{StreamFraming, StreamReader};
use sansrtc_stun::turn::{Client, Config, Event, Handled};
use sansrtc_stun::{Receive, Transport};
use support::{coturn_or_skip, free_udp_port, start_relay};

const REALM: &str = "sansrtc.test";
const USER: &str = "alice";
const PASSWORD: &str = "wonderland";

/// coturn with long-term credentials, relaying to loopback peers.
fn start_turn_server(port: u16) -> support::Coturn {
    start_relay(port, (USER, PASSWORD, REALM), &["--fingerprint".into()])
}

/// A clock that can be moved ahead of real time, so refreshes happen without
/// waiting minutes. The server does not mind early refreshes.
struct Clock {
    offset: Duration,
}

impl Clock {
    fn now(&self) -> Instant {
        Instant::now() + self.offset
    }
}

/// What [`drive`] waits for.
enum Until {
    /// An event the function accepts.
    Event(fn(&Event) -> bool),
    /// Relayed data from a peer.
    Data,
}

/// The client's connection to the server.
enum Link {
    Udp(UdpSocket),
    Tcp(TcpStream, StreamReader),
}

impl Link {
    fn local_addr(&self) -> SocketAddr {
        match self {
            Self::Udp(socket) => socket.local_addr().unwrap(),
            Self::Tcp(stream, _) => stream.local_addr().unwrap(),
        }
    }

    fn send(&mut self, transmit: &sansrtc_stun::Transmit) {
        match self {
            Self::Udp(socket) => {
                socket
                    .send_to(&transmit.contents, transmit.destination)
                    .unwrap();
            }
            Self::Tcp(stream, _) => stream.write_all(&transmit.contents).unwrap(),
        }
    }

    /// Waits up to `wait` for bytes and hands them to the client; on
    /// nothing, runs its timers.
    fn receive(
        &mut self,
        client: &mut Client,
        now: Instant,
        wait: Duration,
        received: &mut Vec<(SocketAddr, Vec<u8>)>,
    ) {
        let mut buf = [0u8; 4096];
        let local = self.local_addr();
        match self {
            Self::Udp(socket) => {
                socket.set_read_timeout(Some(wait)).unwrap();
                match socket.recv_from(&mut buf) {
                    Ok((len, from)) => {
                        let packet = Receive::udp(from, local, &buf[..len]);
                        if let Ok(Handled::Data(data)) = client.handle_receive(now, packet) {
                            received.push((data.peer, data.data.to_vec()));
                        }
                    }
                    Err(_) => client.handle_timeout(now),
                }
            }
            Self::Tcp(stream, reader) => {
                let server = stream.peer_addr().unwrap();
                stream.set_read_timeout(Some(wait)).unwrap();
                match stream.read(&mut buf) {
                    Ok(len) if len > 0 => {
                        reader.push(&buf[..len]).unwrap();
                        while let Some(frame) = reader.next_frame().unwrap() {
                            let packet = Receive {
                                source: server,
                                destination: local,
                                transport: Transport::Tcp,
                                contents: frame,
                            };
                            if let Ok(Handled::Data(data)) = client.handle_receive(now, packet) {
                                received.push((data.peer, data.data.to_vec()));
                            }
                        }
                    }
                    _ => client.handle_timeout(now),
                }
            }
        }
    }
}

/// Drives the client over `link` until `until` is met or ten seconds pass.
/// Relayed data is collected into `received`.
fn drive(
    client: &mut Client,
    link: &mut Link,
    clock: &Clock,
    received: &mut Vec<(SocketAddr, Vec<u8>)>,
    until: Until,
) -> Vec<Event> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut events = Vec::new();
    loop {
        while let Some(transmit) = client.poll_transmit() {
            link.send(&transmit);
        }
        while let Some(event) = client.poll_event() {
            let finished = matches!(&until, Until::Event(accept) if accept(&event));
            events.push(event);
            if finished {
                return events;
            }
        }
        if matches!(until, Until::Data) && !received.is_empty() {
            return events;
        }
        assert!(
            Instant::now() < deadline,
            "timed out; events so far: {events:?}"
        );
        let wait = client
            .poll_timeout()
            .map(|t| t.saturating_duration_since(clock.now()))
            .unwrap_or(Duration::from_millis(50))
            .clamp(Duration::from_millis(1), Duration::from_millis(50));
        link.receive(client, clock.now(), wait, received);
    }
}

/// A UDP peer on 127.0.0.1 that sends every datagram back to its sender.
fn start_echo_peer() -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = socket.local_addr().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 2048];
        socket
            .set_read_timeout(Some(Duration::from_secs(30)))
            .unwrap();
        while let Ok((len, from)) = socket.recv_from(&mut buf) {
            let _ = socket.send_to(&buf[..len], from);
        }
    });
    address
}

/// Waits until coturn answers on its port.
fn wait_until_listening(server: SocketAddr) {
    let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    let mut request = [0u8; 20];
    let len = sansrtc_stun::MessageBuilder::new(
        &mut request,
        sansrtc_stun::Class::Request,
        sansrtc_stun::Method::BINDING,
        sansrtc_stun::TransactionId::new([3; 12]),
    )
    .unwrap()
    .finish();
    let mut buf = [0u8; 512];
    for _ in 0..100 {
        socket.send_to(&request[..len], server).unwrap();
        if socket.recv_from(&mut buf).is_ok() {
            return;
        }
    }
    panic!("coturn did not start listening on {server}");
}

#[test]
fn over_udp() {
    exercise(Transport::Udp);
}

#[test]
fn over_tcp() {
    exercise(Transport::Tcp);
}

/// Allocates, relays by Send indication and by channel, refreshes and
/// releases, over the given transport to coturn.
fn exercise(transport: Transport) {
    let Some(version) = coturn_or_skip("coturn TURN test") else {
        return;
    };
    let port = free_udp_port();
    let _server = start_turn_server(port);
    let server = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port);
    wait_until_listening(server);
    println!("coturn TURN test ({transport:?}) running against {version} on {server}");

    let mut link = match transport {
        Transport::Tcp => Link::Tcp(
            TcpStream::connect(server).unwrap(),
            StreamReader::new(StreamFraming::Turn),
        ),
        _ => Link::Udp(UdpSocket::bind("127.0.0.1:0").unwrap()),
    };
    let mut clock = Clock {
        offset: Duration::ZERO,
    };
    let mut config = Config::new(link.local_addr(), server, USER, PASSWORD);
    config.transport = transport;
    config.requested_lifetime = Some(Duration::from_secs(300));
    config.software = Some("sansrtc test".to_string());
    let mut client = Client::new(config, clock.now());
    let mut received = Vec::new();

    // Allocate: 401 challenge, then the authenticated request.
    let events = drive(
        &mut client,
        &mut link,
        &clock,
        &mut received,
        Until::Event(|e| matches!(e, Event::Allocated { .. } | Event::AllocationFailed(_))),
    );
    let Some(Event::Allocated {
        relayed,
        mapped,
        lifetime,
    }) = events.last().cloned()
    else {
        panic!("allocation failed: {events:?}");
    };
    assert_eq!(relayed.ip(), IpAddr::V4(Ipv4Addr::LOCALHOST));
    assert_eq!(mapped, Some(link.local_addr()));
    assert_eq!(client.relayed_address(), Some(relayed));

    // Permission for the echo peer, then data by Send indication.
    let peer = start_echo_peer();
    client.create_permission(clock.now(), peer.ip()).unwrap();
    drive(
        &mut client,
        &mut link,
        &clock,
        &mut received,
        Until::Event(|e| matches!(e, Event::PermissionCreated(_) | Event::PermissionFailed(..))),
    );
    assert!(client.has_permission(peer.ip()));
    client
        .send_to(clock.now(), peer, b"through a Send indication")
        .unwrap();
    drive(&mut client, &mut link, &clock, &mut received, Until::Data);
    assert_eq!(
        received.remove(0),
        (peer, b"through a Send indication".to_vec())
    );

    // Bind a channel and send again: ChannelData both ways.
    let channel = client.bind_channel(clock.now(), peer).unwrap();
    let events = drive(
        &mut client,
        &mut link,
        &clock,
        &mut received,
        Until::Event(|e| matches!(e, Event::ChannelBound { .. } | Event::ChannelBindFailed(..))),
    );
    assert_eq!(
        events.last(),
        Some(&Event::ChannelBound { peer, channel }),
        "{events:?}"
    );
    assert_eq!(client.channel(peer), Some(channel));
    client
        .send_to(clock.now(), peer, b"through a channel")
        .unwrap();
    drive(&mut client, &mut link, &clock, &mut received, Until::Data);
    assert_eq!(received.remove(0), (peer, b"through a channel".to_vec()));

    // Move the client's clock past its refresh time (a minute before the
    // granted lifetime ends): it refreshes the allocation, and the
    // permission and channel that are due by then.
    clock.offset = lifetime - Duration::from_secs(55);
    client.handle_timeout(clock.now());
    let events = drive(
        &mut client,
        &mut link,
        &clock,
        &mut received,
        Until::Event(|e| matches!(e, Event::Refreshed { .. } | Event::RefreshFailed(_))),
    );
    assert!(
        matches!(events.last(), Some(Event::Refreshed { .. })),
        "{events:?}"
    );
    // Data still flows after the refreshes.
    client.send_to(clock.now(), peer, b"after refresh").unwrap();
    drive(&mut client, &mut link, &clock, &mut received, Until::Data);
    assert_eq!(received.remove(0), (peer, b"after refresh".to_vec()));

    // Release.
    client.deallocate(clock.now());
    drive(
        &mut client,
        &mut link,
        &clock,
        &mut received,
        Until::Event(|e| matches!(e, Event::Deallocated)),
    );
    assert!(client.is_closed());
    println!("coturn TURN test ({transport:?}) passed: relayed {relayed}, channel {channel:#06x}");
}
