//! `stun-server`: a STUN Binding server on UDP, built on the sans-IO
//! [`sansrtc_stun::server::Server`].
//!
//! ```text
//! stun-server [--bind ADDR] [--software TEXT] [--mapped-address] [--fingerprint]
//! ```
//!
//! `--bind` defaults to 127.0.0.1:3478. Every request answered is printed.

use core::net::SocketAddr;
use std::process::ExitCode;

use sansrtc_examples::binding;
use sansrtc_stun::server::{Server, ServerConfig};
use tokio::net::UdpSocket;

const USAGE: &str =
    "usage: stun-server [--bind ADDR] [--software TEXT] [--mapped-address] [--fingerprint]";

fn parse_args(args: impl Iterator<Item = String>) -> Result<(SocketAddr, ServerConfig), String> {
    let mut bind: SocketAddr = "127.0.0.1:3478".parse().map_err(|e| format!("{e}"))?;
    let mut config = ServerConfig::default();
    let mut args = args;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bind" => {
                let value = args.next().ok_or("--bind needs an address")?;
                bind = value.parse().map_err(|e| format!("--bind {value}: {e}"))?;
            }
            "--software" => {
                config.software = Some(args.next().ok_or("--software needs a value")?);
            }
            "--mapped-address" => config.mapped_address = true,
            "--fingerprint" => config.fingerprint = true,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok((bind, config))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (bind, config) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let socket = match UdpSocket::bind(bind).await {
        Ok(socket) => socket,
        Err(error) => {
            eprintln!("stun-server: cannot bind {bind}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match socket.local_addr() {
        Ok(address) => println!("stun-server listening on udp {address}"),
        Err(error) => eprintln!("stun-server: {error}"),
    }
    tokio::select! {
        result = binding::serve(socket, Server::new(config), true) => {
            if let Err(error) = result {
                eprintln!("stun-server: {error}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        _ = tokio::signal::ctrl_c() => {
            println!("stun-server: interrupted, exiting");
            ExitCode::SUCCESS
        }
    }
}
