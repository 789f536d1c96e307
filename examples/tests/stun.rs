//! Runs the `stun-client` and `stun-server` programs.

use std::net::UdpSocket;
use std::process::{Child, Command, Stdio};

/// Kills the child process when the test ends, even on failure.
struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn client_with_local_server_prints_its_address() {
    let output = Command::new(env!("CARGO_BIN_EXE_stun-client"))
        .arg("--with-local-server")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(
        stdout.contains("mapped address: 127.0.0.1:"),
        "unexpected output: {stdout}"
    );
}

#[test]
fn client_times_out_on_a_silent_port() {
    // A bound socket that never answers.
    let silent = UdpSocket::bind("127.0.0.1:0").unwrap();
    let address = silent.local_addr().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_stun-client"))
        .args(["--rto-ms", "5", &address.to_string()])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        stderr.contains("timed out after 7 transmissions"),
        "{stderr}"
    );
    // The server saw the seven transmissions.
    silent.set_nonblocking(true).unwrap();
    let mut buf = [0u8; 256];
    let mut received = 0;
    while silent.recv_from(&mut buf).is_ok() {
        received += 1;
    }
    assert_eq!(received, 7);
}

#[test]
fn client_against_the_server_program() {
    // Find a free port, then hand it to the server.
    let port = UdpSocket::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let address = format!("127.0.0.1:{port}");
    let _server = KillOnDrop(
        Command::new(env!("CARGO_BIN_EXE_stun-server"))
            .args(["--bind", &address, "--fingerprint"])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    // The client retransmits until the server is up.
    let output = Command::new(env!("CARGO_BIN_EXE_stun-client"))
        .args(["--rto-ms", "50", &address])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{output:?}");
    assert!(stdout.contains("mapped address: 127.0.0.1:"), "{stdout}");
}

#[test]
fn bad_arguments_exit_2() {
    let output = Command::new(env!("CARGO_BIN_EXE_stun-client"))
        .arg("--frobnicate")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let output = Command::new(env!("CARGO_BIN_EXE_stun-server"))
        .args(["--bind", "not-an-address"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
}
