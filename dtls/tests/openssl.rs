//! Our endpoint against OpenSSL's command line on loopback UDP: our client
//! against `openssl s_server -dtls1_2`, and `openssl s_client -dtls1_2`
//! against our server. OpenSSL prints the keying material it exports with
//! the label `EXTRACTOR-dtls_srtp` (`-keymatexport`); it must equal ours
//! byte for byte, the negotiated profile must be the same, each side must
//! check the other's certificate, and application data must cross both
//! ways. (The OpenSSL here, 3.0, has no DTLS 1.3.)
//!
//! The test installs nothing. It runs when `openssl` is on the PATH and
//! prints `skipped: openssl not installed` otherwise (which fails
//! `.ci/run`, where it is installed).

// A real socket needs the real clock; the endpoint still gets it passed in.
#![allow(clippy::disallowed_methods)]
#![allow(clippy::indexing_slicing)]

use core::net::SocketAddr;
use core::time::Duration;
use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::UdpSocket;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Instant;

#[path = "../../support/hex.rs"]
mod hex;
#[path = "../../support/outside.rs"]
mod outside;

use hex::hex;

use sansrtc_dtls::{
    Certificate, Config, Connected, DtlsRole, Endpoint, Event, Failure, Fingerprint,
    ProtectionProfile, Versions,
};

/// OpenSSL's version when `openssl` is on the PATH; otherwise one
/// `skipped: openssl not installed` line.
fn openssl_or_skip() -> Option<String> {
    outside::installed_or_skip("openssl", &["version"])
}

/// A running `openssl s_server` or `s_client`, killed when dropped.
struct OpenSsl {
    child: Child,
    stdin: ChildStdin,
    lines: Receiver<String>,
    seen: Vec<String>,
}

impl Drop for OpenSsl {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl OpenSsl {
    fn spawn(args: &[String]) -> Self {
        let mut child = Command::new("openssl")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("openssl runs");
        let stdin = child.stdin.take().unwrap();
        let (sender, lines) = channel();
        for stream in [
            Box::new(child.stdout.take().unwrap()) as Box<dyn std::io::Read + Send>,
            Box::new(child.stderr.take().unwrap()),
        ] {
            let sender = sender.clone();
            std::thread::spawn(move || {
                for line in BufReader::new(stream).lines() {
                    let Ok(line) = line else { break };
                    if sender.send(line).is_err() {
                        break;
                    }
                }
            });
        }
        Self {
            child,
            stdin,
            lines,
            seen: Vec::new(),
        }
    }

    /// Takes in what OpenSSL printed so far.
    fn read(&mut self) {
        while let Ok(line) = self.lines.try_recv() {
            self.seen.push(line);
        }
    }

    /// The first line printed that holds `needle`, waiting up to `wait`.
    fn wait_for(&mut self, needle: &str, wait: Duration) -> Option<String> {
        let deadline = Instant::now() + wait;
        loop {
            self.read();
            if let Some(line) = self.seen.iter().find(|l| l.contains(needle)) {
                return Some(line.clone());
            }
            if Instant::now() >= deadline {
                return None;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn send_line(&mut self, line: &str) {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
    }

    fn output(&mut self) -> String {
        self.read();
        self.seen.join("\n")
    }
}

/// Our certificate and OpenSSL's, as DER files for `-certform DER`.
struct Certificates {
    ours: Certificate,
    theirs: Certificate,
    directory: PathBuf,
}

impl Certificates {
    fn new(name: &str) -> Self {
        let directory =
            std::env::temp_dir().join(format!("sansrtc-dtls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&directory).unwrap();
        let theirs = Certificate::generate().unwrap();
        std::fs::write(directory.join("cert.der"), theirs.der()).unwrap();
        std::fs::write(directory.join("key.der"), theirs.private_key_der()).unwrap();
        Self {
            ours: Certificate::generate().unwrap(),
            theirs,
            directory,
        }
    }

    fn args(&self) -> Vec<String> {
        let path = |name: &str| self.directory.join(name).display().to_string();
        [
            "-cert".into(),
            path("cert.der"),
            "-certform".into(),
            "DER".into(),
            "-key".into(),
            path("key.der"),
            "-keyform".into(),
            "DER".into(),
        ]
        .to_vec()
    }
}

impl Drop for Certificates {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.directory);
    }
}

fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `openssl s_server -dtls1_2` with `args`, listening on a free loopback
/// port, and that port. The port is free when picked but another test may
/// take it before OpenSSL binds it, so a server that cannot start is tried
/// again on another port; after five tries the test fails with what
/// OpenSSL printed.
fn start_server(args: &[String]) -> (OpenSsl, u16) {
    let mut printed = String::new();
    for _ in 0..5 {
        let port = free_udp_port();
        let mut all: Vec<String> = ["s_server", "-dtls1_2", "-accept"]
            .map(String::from)
            .to_vec();
        all.push(format!("127.0.0.1:{port}"));
        all.extend_from_slice(args);
        let mut server = OpenSsl::spawn(&all);
        if server.wait_for("ACCEPT", Duration::from_secs(10)).is_some() {
            return (server, port);
        }
        printed = server.output();
    }
    panic!("s_server did not start:\n{printed}");
}

/// OpenSSL's name of a profile for `-use_srtp`.
fn openssl_name(profile: ProtectionProfile) -> &'static str {
    match profile {
        ProtectionProfile::Aes128CmHmacSha1_80 => "SRTP_AES128_CM_SHA1_80",
        ProtectionProfile::Aes128CmHmacSha1_32 => "SRTP_AES128_CM_SHA1_32",
        other => other.name(),
    }
}

/// The hex after "Keying material: ".
fn exported(line: &str) -> Vec<u8> {
    hex(line.split("Keying material:").nth(1).unwrap().trim())
}

/// Our endpoint on a UDP socket, talking to `peer` (or to whoever sends
/// first, for a server), until `done` holds or `wait` passes.
struct Driver {
    socket: UdpSocket,
    peer: Option<SocketAddr>,
    endpoint: Endpoint,
    events: Vec<Event>,
}

impl Driver {
    fn new(config: Config, peer: Option<SocketAddr>) -> Self {
        let socket = UdpSocket::bind("127.0.0.1:0").unwrap();
        socket
            .set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        Self {
            socket,
            peer,
            endpoint: Endpoint::new(config, Instant::now()),
            events: Vec::new(),
        }
    }

    /// Our endpoint as the DTLS client of OpenSSL's server on loopback
    /// `port`, expecting its certificate to match `fingerprint`, started.
    fn client(config: Config, port: u16, fingerprint: Fingerprint) -> Self {
        let peer: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
        let mut client = Self::new(config, Some(peer));
        client
            .endpoint
            .set_remote_fingerprints([fingerprint])
            .unwrap();
        client
            .endpoint
            .start(Instant::now(), DtlsRole::Client)
            .unwrap();
        client
    }

    fn flush(&mut self) {
        if let Some(peer) = self.peer {
            while let Some(datagram) = self.endpoint.poll_transmit() {
                self.socket.send_to(datagram, peer).unwrap();
            }
        }
        while let Some(event) = self.endpoint.poll_event() {
            self.events.push(event);
        }
    }

    fn run_until(&mut self, wait: Duration, mut done: impl FnMut(&Self) -> bool) -> bool {
        let deadline = Instant::now() + wait;
        let mut buffer = [0u8; 2048];
        while Instant::now() < deadline {
            self.flush();
            if done(self) {
                return true;
            }
            match self.socket.recv_from(&mut buffer) {
                Ok((len, from)) => {
                    // Only our peer's datagrams (loopback, but other tests
                    // run alongside).
                    if self.peer.is_none_or(|peer| peer == from) {
                        self.peer = Some(from);
                        let _ = self.endpoint.handle_receive(Instant::now(), &buffer[..len]);
                    }
                }
                Err(error)
                    if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(error) => panic!("{error}"),
            }
            self.endpoint.handle_timeout(Instant::now());
        }
        self.flush();
        done(self)
    }

    fn connected(&self) -> Option<&Connected> {
        self.events.iter().find_map(|event| match event {
            Event::Connected(connected) => Some(connected),
            _ => None,
        })
    }

    fn failure(&self) -> Option<Failure> {
        self.events.iter().find_map(|event| match event {
            Event::Failed(failure) => Some(*failure),
            _ => None,
        })
    }

    fn received(&self) -> Vec<u8> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::ApplicationData(data) => Some(data.as_slice()),
                _ => None,
            })
            .flatten()
            .copied()
            .collect()
    }
}

fn config(certificate: &Certificate, versions: Versions) -> Config {
    Config::builder(certificate.clone())
        .versions(versions)
        .initial_rto(Duration::from_millis(200))
        .build()
        .unwrap()
}

/// Our keys as the exported bytes: client key, server key, client salt,
/// server salt (RFC 5764 §4.2).
fn our_export(connected: &Connected) -> Vec<u8> {
    let srtp = connected.srtp.as_ref().expect("SRTP keys");
    let (client, server) = match connected.role {
        DtlsRole::Client => (&srtp.keying_material.local, &srtp.keying_material.remote),
        DtlsRole::Server => (&srtp.keying_material.remote, &srtp.keying_material.local),
    };
    [client.key(), server.key(), client.salt(), server.salt()].concat()
}

fn srtp_args(profile: ProtectionProfile) -> Vec<String> {
    [
        "-use_srtp".into(),
        openssl_name(profile).into(),
        "-keymatexport".into(),
        sansrtc_dtls::EXPORTER_LABEL.into(),
        "-keymatexportlen".into(),
        profile.keying_material_len().to_string(),
    ]
    .to_vec()
}

/// Our client against `openssl s_server`.
fn our_client(profile: ProtectionProfile, versions: Versions) {
    let certificates = Certificates::new("client");
    let mut args: Vec<String> = Vec::new();
    args.extend(certificates.args());
    args.extend(srtp_args(profile));
    // Ask for our certificate, as WebRTC does.
    args.extend(["-Verify".into(), "1".into()]);
    let (mut server, port) = start_server(&args);

    let mut client = Driver::client(
        config(&certificates.ours, versions),
        port,
        certificates.theirs.fingerprint().clone(),
    );
    let connected = client.run_until(Duration::from_secs(10), |d| {
        d.connected().is_some() || d.failure().is_some()
    });
    assert!(
        connected && client.connected().is_some(),
        "{:?}\n{}",
        client.events,
        server.output()
    );
    let ours = client.connected().unwrap().clone();
    assert_eq!(ours.srtp.as_ref().unwrap().profile, profile);
    assert_eq!(ours.remote_fingerprint, *certificates.theirs.fingerprint());

    let line = server
        .wait_for("Keying material:", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no keying material:\n{}", server.output()));
    let theirs = exported(&line);
    assert_eq!(theirs, our_export(&ours), "{}", server.output());
    let negotiated = format!(
        "SRTP Extension negotiated, profile={}",
        openssl_name(profile)
    );
    assert!(
        server
            .wait_for(&negotiated, Duration::from_secs(1))
            .is_some()
    );

    // Application data both ways.
    client
        .endpoint
        .send_application_data(b"hello from sansrtc\n")
        .unwrap();
    client.flush();
    assert!(
        server
            .wait_for("hello from sansrtc", Duration::from_secs(5))
            .is_some(),
        "{}",
        server.output()
    );
    server.send_line("hello from openssl");
    assert!(client.run_until(Duration::from_secs(5), |d| {
        d.received().starts_with(b"hello from openssl")
    }));
    client.endpoint.close();
    client.flush();
    eprintln!(
        "openssl s_server: our {versions:?} client, {}: {} bytes of keying material agree: {}",
        openssl_name(profile),
        theirs.len(),
        line.trim()
    );
}

/// `openssl s_client` against our server.
fn our_server(profile: ProtectionProfile, versions: Versions) {
    let certificates = Certificates::new("server");
    let mut server = Driver::new(config(&certificates.ours, versions), None);
    server
        .endpoint
        .set_remote_fingerprints([certificates.theirs.fingerprint().clone()])
        .unwrap();
    server
        .endpoint
        .start(Instant::now(), DtlsRole::Server)
        .unwrap();
    let port = server.socket.local_addr().unwrap().port();

    let mut args: Vec<String> = ["s_client", "-dtls1_2", "-connect"]
        .map(String::from)
        .to_vec();
    args.push(format!("127.0.0.1:{port}"));
    args.extend(certificates.args());
    args.extend(srtp_args(profile));
    let mut client = OpenSsl::spawn(&args);
    let connected = server.run_until(Duration::from_secs(10), |d| {
        d.connected().is_some() || d.failure().is_some()
    });
    assert!(
        connected && server.connected().is_some(),
        "{:?}\n{}",
        server.events,
        client.output()
    );
    let ours = server.connected().unwrap().clone();
    assert_eq!(ours.srtp.as_ref().unwrap().profile, profile);
    assert_eq!(ours.remote_fingerprint, *certificates.theirs.fingerprint());

    let line = client
        .wait_for("Keying material:", Duration::from_secs(5))
        .unwrap_or_else(|| panic!("no keying material:\n{}", client.output()));
    let theirs = exported(&line);
    assert_eq!(theirs, our_export(&ours), "{}", client.output());
    assert!(
        client
            .wait_for("Protocol  : DTLSv1.2", Duration::from_secs(1))
            .is_some()
    );

    client.send_line("hello from openssl");
    assert!(server.run_until(Duration::from_secs(5), |d| {
        d.received().starts_with(b"hello from openssl")
    }));
    server
        .endpoint
        .send_application_data(b"hello from sansrtc\n")
        .unwrap();
    server.flush();
    assert!(
        client
            .wait_for("hello from sansrtc", Duration::from_secs(5))
            .is_some(),
        "{}",
        client.output()
    );
    // close_notify: s_client reports the closed connection.
    server.endpoint.close();
    server.flush();
    eprintln!(
        "openssl s_client: our {versions:?} server, {}: {} bytes of keying material agree: {}",
        openssl_name(profile),
        theirs.len(),
        line.trim()
    );
}

const PROFILES: [ProtectionProfile; 3] = [
    ProtectionProfile::AeadAes128Gcm,
    ProtectionProfile::AeadAes256Gcm,
    ProtectionProfile::Aes128CmHmacSha1_80,
];

#[test]
fn our_client_against_openssl_s_server() {
    let Some(version) = openssl_or_skip() else {
        return;
    };
    eprintln!("{version}");
    for profile in PROFILES {
        our_client(profile, Versions::Dtls12);
    }
    // A client that offers DTLS 1.2 and 1.3 settles on 1.2 with OpenSSL.
    our_client(ProtectionProfile::AeadAes128Gcm, Versions::Auto);
}

#[test]
fn openssl_s_client_against_our_server() {
    let Some(version) = openssl_or_skip() else {
        return;
    };
    eprintln!("{version}");
    for profile in PROFILES {
        our_server(profile, Versions::Dtls12);
    }
    // A server that takes DTLS 1.2 or 1.3 takes OpenSSL's 1.2.
    our_server(ProtectionProfile::AeadAes256Gcm, Versions::Auto);
}

#[test]
fn openssl_refuses_a_certificate_its_fingerprint_does_not_name() {
    let Some(_) = openssl_or_skip() else {
        return;
    };
    // Our client expects another certificate than the one s_server shows.
    let certificates = Certificates::new("mismatch");
    let mut args: Vec<String> = Vec::new();
    args.extend(certificates.args());
    args.extend(srtp_args(ProtectionProfile::AeadAes128Gcm));
    let (mut server, port) = start_server(&args);
    let mut wrong = certificates.theirs.fingerprint().clone();
    wrong.bytes[5] ^= 0x40;
    let mut client = Driver::client(config(&certificates.ours, Versions::Dtls12), port, wrong);
    client.run_until(Duration::from_secs(10), |d| d.failure().is_some());
    assert_eq!(client.failure(), Some(Failure::FingerprintMismatch));
    assert!(client.connected().is_none());
    // The server never completed: we sent nothing after its certificate.
    assert!(
        server
            .wait_for("Keying material:", Duration::from_millis(500))
            .is_none()
    );
}

#[test]
fn srtp_aes128_cm_sha1_32_alone_is_not_negotiated() {
    let Some(_) = openssl_or_skip() else {
        return;
    };
    // The DTLS library does not offer SRTP_AES128_CM_HMAC_SHA1_32; against
    // a server that takes only it, no profile is agreed and the connection
    // fails rather than run without SRTP.
    let certificates = Certificates::new("sha1-32");
    let mut args: Vec<String> = Vec::new();
    args.extend(certificates.args());
    args.extend(srtp_args(ProtectionProfile::Aes128CmHmacSha1_32));
    let (mut server, port) = start_server(&args);
    let mut client = Driver::client(
        config(&certificates.ours, Versions::Dtls12),
        port,
        certificates.theirs.fingerprint().clone(),
    );
    client.run_until(Duration::from_secs(10), |d| d.failure().is_some());
    assert_eq!(
        client.failure(),
        Some(Failure::NoSrtpProfile),
        "{}",
        server.output()
    );
    assert!(client.connected().is_none());
}

#[test]
fn without_srtp_required_a_server_without_use_srtp_still_connects() {
    let Some(_) = openssl_or_skip() else {
        return;
    };
    // DTLS for data only: s_server offers no use_srtp.
    let certificates = Certificates::new("no-srtp");
    let mut args: Vec<String> = Vec::new();
    args.extend(certificates.args());
    let (mut server, port) = start_server(&args);
    let config = Config::builder(certificates.ours.clone())
        .require_srtp(false)
        .initial_rto(Duration::from_millis(200))
        .build()
        .unwrap();
    let mut client = Driver::client(config, port, certificates.theirs.fingerprint().clone());
    client.run_until(Duration::from_secs(10), |d| {
        d.connected().is_some() || d.failure().is_some()
    });
    let connected = client.connected().expect("connected").clone();
    assert_eq!(connected.srtp, None);
    client
        .endpoint
        .send_application_data(b"data only\n")
        .unwrap();
    client.flush();
    assert!(
        server
            .wait_for("data only", Duration::from_secs(5))
            .is_some()
    );
}
