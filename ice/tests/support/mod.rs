//! Starting and stopping a coturn server on 127.0.0.1 for the interop test.

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

/// coturn's version when `turnserver` is on the PATH. Without it the caller
/// skips, except under CI (`CI` set), where coturn must be installed and
/// its absence is a failure.
pub(crate) fn coturn_or_skip(test: &str) -> Option<String> {
    let output = Command::new("turnserver")
        .arg("--version")
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(output) => {
            let text = String::from_utf8_lossy(&output.stdout);
            Some(format!(
                "coturn {}",
                text.lines().next().unwrap_or("").trim()
            ))
        }
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{test}: coturn (turnserver) is required in CI but is not on the PATH"
            );
            println!("{test} skipped: turnserver not on PATH");
            None
        }
    }
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
    let pidfile = std::env::temp_dir().join(format!("sansrtc-ice-coturn-{port}.pid"));
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
