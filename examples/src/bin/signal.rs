//! `signal`: the WebSocket signaling server of the example peers (rooms of
//! two, JSON messages relayed; see [`sansrtc_examples::signal`]).
//!
//! ```text
//! signal [--bind ADDR]
//! ```
//!
//! `--bind` defaults to 127.0.0.1:8080. `http://ADDR/` serves a page that
//! joins a room; `ws://ADDR/` is the WebSocket endpoint.

use core::net::SocketAddr;
use std::process::ExitCode;

use sansrtc_examples::signal;
use tokio::net::TcpListener;

const USAGE: &str = "usage: signal [--bind ADDR]";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<SocketAddr, String> {
    let mut bind = SocketAddr::from(([127, 0, 0, 1], 8080));
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bind" => {
                let value = args.next().ok_or("--bind needs an address")?;
                bind = value.parse().map_err(|e| format!("--bind {value}: {e}"))?;
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(bind)
}

#[tokio::main]
async fn main() -> ExitCode {
    let bind = match parse_args(std::env::args().skip(1)) {
        Ok(bind) => bind,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let listener = match TcpListener::bind(bind).await {
        Ok(listener) => listener,
        Err(error) => {
            eprintln!("signal: cannot bind {bind}: {error}");
            return ExitCode::FAILURE;
        }
    };
    match listener.local_addr() {
        Ok(address) => println!("signal listening on ws://{address}/ (page at http://{address}/)"),
        Err(error) => eprintln!("signal: {error}"),
    }
    tokio::select! {
        result = signal::serve(listener, true) => {
            if let Err(error) = result {
                eprintln!("signal: {error}");
                return ExitCode::FAILURE;
            }
            ExitCode::SUCCESS
        }
        _ = tokio::signal::ctrl_c() => {
            println!("signal: interrupted, exiting");
            ExitCode::SUCCESS
        }
    }
}
