//! `sdp`: check, format and answer session descriptions with `sansrtc-sdp`.
//!
//! ```text
//! sdp check [--strict] FILE   exit 0, or print each problem with its line
//! sdp fmt [--canonical] FILE  parse and write back (CRLF line endings)
//! sdp json FILE               the typed view of the description as JSON
//! sdp answer OFFER            the answer our negotiation gives with the
//!                             default capabilities; a media description
//!                             it rejects is named on standard error
//! ```
//!
//! FILE `-` reads standard input.

use core::hash::BuildHasher;
use std::collections::hash_map::RandomState;
use std::io::{Read, Write};
use std::process::ExitCode;

use sansrtc_sdp::negotiate::{Capabilities, Session, create_answer};
use sansrtc_sdp::{Mode, ParseError, Sdp};

/// The most problems `check` reports.
const MAX_PROBLEMS: usize = 100;

fn read(path: &str) -> Result<String, String> {
    if path == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("stdin: {e}"))?;
        Ok(text)
    } else {
        std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))
    }
}

/// Every problem of a description: after each error the offending line is
/// left out and parsing starts again, so later problems are found too.
fn problems(text: &str, mode: Mode) -> Vec<ParseError> {
    let mut lines: Vec<(usize, &str)> = text
        .split_inclusive('\n')
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .collect();
    let mut found = Vec::new();
    while found.len() < MAX_PROBLEMS {
        let current: String = lines.iter().map(|(_, l)| *l).collect();
        let Err(mut error) = Sdp::parse_with(&current, mode) else {
            break;
        };
        let index = error.line_number.checked_sub(1);
        match index.and_then(|i| lines.get(i).map(|(n, _)| (i, *n))) {
            Some((i, original)) => {
                error.line_number = original;
                found.push(error);
                lines.remove(i);
            }
            None => {
                error.line_number = error
                    .line_number
                    .min(lines.last().map_or(0, |(n, _)| n + 1));
                found.push(error);
                break;
            }
        }
    }
    found
}

fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let state = RandomState::new();
    (0..len)
        .map(|i| {
            let index = usize::try_from(state.hash_one(i) % 64).unwrap_or(0);
            char::from(ALPHABET.get(index).copied().unwrap_or(b'A'))
        })
        .collect()
}

fn run(args: &[String]) -> Result<ExitCode, String> {
    let flags: Vec<&str> = args
        .iter()
        .skip(1)
        .filter(|a| a.starts_with("--"))
        .map(String::as_str)
        .collect();
    let paths: Vec<&str> = args
        .iter()
        .skip(1)
        .filter(|a| !a.starts_with("--") || *a == "-")
        .map(String::as_str)
        .collect();
    let (command, path) = match (args.first().map(String::as_str), paths.as_slice()) {
        (Some(command), [path]) => (command, *path),
        _ => {
            return Err(String::from(
                "usage: sdp check [--strict] FILE | sdp fmt [--canonical] FILE | sdp json FILE | sdp answer OFFER",
            ));
        }
    };
    let text = read(path)?;
    let mut out = std::io::stdout().lock();
    match command {
        "check" => {
            let mode = if flags.contains(&"--strict") {
                Mode::Strict
            } else {
                Mode::Lenient
            };
            let found = problems(&text, mode);
            for problem in &found {
                writeln!(out, "{path}:{problem}").map_err(|e| e.to_string())?;
            }
            Ok(if found.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        "fmt" => {
            let mut sdp = Sdp::parse(&text).map_err(|e| format!("{path}:{e}"))?;
            if flags.contains(&"--canonical") {
                sdp.regenerate();
            }
            write!(out, "{sdp}").map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        "json" => {
            let sdp = Sdp::parse(&text).map_err(|e| format!("{path}:{e}"))?;
            serde_json::to_writer_pretty(&mut out, &sdp).map_err(|e| e.to_string())?;
            writeln!(out).map_err(|e| e.to_string())?;
            Ok(ExitCode::SUCCESS)
        }
        "answer" => {
            let offer = Sdp::parse(&text).map_err(|e| format!("{path}:{e}"))?;
            let mut session = Session::example();
            session.ice_ufrag = random_token(8).into();
            session.ice_pwd = random_token(24).into();
            let capabilities = Capabilities::webrtc_defaults(session);
            let answer = create_answer(&offer, &capabilities).map_err(|e| e.to_string())?;
            write!(out, "{answer}").map_err(|e| e.to_string())?;
            for (index, (offered, answered)) in offer.media.iter().zip(&answer.media).enumerate() {
                if answered.is_port_zero() && !offered.is_port_zero() {
                    let line = offered.media_line.value();
                    let reason = if offered.ice_ufrag(&offer).is_none()
                        || offered.fingerprint(&offer).is_none()
                    {
                        "the offer has no ICE credentials or no DTLS fingerprint"
                    } else {
                        "nothing in it is supported"
                    };
                    eprintln!(
                        "sdp: media description {index} ({} {}) rejected: {reason}",
                        line.media.as_str(),
                        line.protocol
                    );
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        other => Err(format!("unknown command `{other}`")),
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(code) => code,
        Err(message) => {
            eprintln!("sdp: {message}");
            ExitCode::from(2)
        }
    }
}
