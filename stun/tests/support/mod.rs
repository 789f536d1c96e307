//! Starting and stopping a coturn server on 127.0.0.1 for the interop tests.

#[path = "../../../support/outside.rs"]
mod outside;

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};

/// A running `turnserver`, killed when dropped (the test passed or failed).
pub(crate) struct Coturn(Child);

impl Drop for Coturn {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// coturn's version when `turnserver` is installed; otherwise `None`,
/// after the one `skipped: turnserver not installed` line of
/// [`installed_or_skip`](outside::installed_or_skip).
pub(crate) fn coturn_or_skip(_test: &str) -> Option<String> {
    outside::installed_or_skip("turnserver", &["--version"])
        .map(|version| format!("coturn {version}"))
}

/// A UDP port that was free a moment ago.
pub(crate) fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts coturn listening on 127.0.0.1:`port` (UDP and TCP, no TLS), with
/// `options` added to the common ones.
pub(crate) fn start_coturn(port: u16, options: &[String]) -> Coturn {
    let pidfile = std::env::temp_dir().join(format!("sansrtc-coturn-{port}.pid"));
    let child = Command::new("turnserver")
        .args([
            "-n",
            "--no-cli",
            "--no-tls",
            "--no-dtls",
            "--listening-ip=127.0.0.1",
            "--simple-log",
            "--log-file=stdout",
        ])
        .arg(format!("--listening-port={port}"))
        .arg(format!("--pidfile={}", pidfile.display()))
        .args(options)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start turnserver");
    Coturn(child)
}

/// Starts coturn on 127.0.0.1:`port` as a TURN server with long-term
/// credentials for `user` in `realm`, relaying from 127.0.0.1 to loopback
/// peers on a range of 200 relay ports, with `options` added.
#[allow(
    dead_code,
    reason = "the STUN-only interop test includes this module too"
)]
pub(crate) fn start_relay(
    port: u16,
    (user, password, realm): (&str, &str, &str),
    options: &[String],
) -> Coturn {
    let relay_min = free_udp_port().max(20000);
    let mut all = vec![
        "--relay-ip=127.0.0.1".to_owned(),
        "--allow-loopback-peers".to_owned(),
        "--lt-cred-mech".to_owned(),
        format!("--user={user}:{password}"),
        format!("--realm={realm}"),
        format!("--min-port={relay_min}"),
        format!("--max-port={}", relay_min.saturating_add(200)),
    ];
    all.extend_from_slice(options);
    start_coturn(port, &all)
}
