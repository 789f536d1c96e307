//! `signal`: the WebSocket signaling server of the example peers (rooms of
//! two, JSON messages relayed; see [`sansrtc_examples::signal`]).
//!
//! ```text
//! signal [--bind ADDR] [--page PATH=FILE]...
//! ```
//!
//! `--bind` defaults to 127.0.0.1:8080. `http://ADDR/` serves a page that
//! joins a room; `ws://ADDR/` is the WebSocket endpoint. `--page` serves
//! the HTML file FILE at `http://ADDR/PATH` (such as
//! `--page /chromium=interop/chromium.html`).

use core::net::SocketAddr;
use std::process::ExitCode;

use sansrtc_examples::signal;
use tokio::net::TcpListener;

const USAGE: &str = "usage: signal [--bind ADDR] [--page PATH=FILE]...";

fn parse_args(
    mut args: impl Iterator<Item = String>,
) -> Result<(SocketAddr, Vec<signal::Page>), String> {
    let mut bind = SocketAddr::from(([127, 0, 0, 1], 8080));
    let mut pages = Vec::new();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--bind" => {
                let value = args.next().ok_or("--bind needs an address")?;
                bind = value.parse().map_err(|e| format!("--bind {value}: {e}"))?;
            }
            "--page" => {
                let value = args.next().ok_or("--page needs PATH=FILE")?;
                let (path, file) = value
                    .split_once('=')
                    .filter(|(path, _)| path.starts_with('/'))
                    .ok_or(format!("--page {value}: expected /PATH=FILE"))?;
                let body =
                    std::fs::read_to_string(file).map_err(|e| format!("--page {file}: {e}"))?;
                if body.len() > signal::MAX_PAGE_LEN {
                    return Err(format!(
                        "--page {file}: longer than {} bytes",
                        signal::MAX_PAGE_LEN
                    ));
                }
                pages.push(signal::Page {
                    path: path.to_owned(),
                    body,
                });
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok((bind, pages))
}

#[tokio::main]
async fn main() -> ExitCode {
    let (bind, pages) = match parse_args(std::env::args().skip(1)) {
        Ok(parsed) => parsed,
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
        result = signal::serve_with_pages(listener, true, pages) => {
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
