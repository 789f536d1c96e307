//! `peer`: the example WebRTC peer (see [`sansrtc_examples::peer`]). Run a
//! `signal` server, then two peers in the same room: the first to join
//! makes the offer once the second arrives.
//!
//! ```text
//! peer [--signal ADDR | --stdio] [--room NAME] [--name NAME] [--bind ADDR]
//!      [--stun HOST:PORT] [--turn USER:PASSWORD@HOST:PORT] [--seconds N] [--tone HZ] [--record FILE.wav]
//!      [--stats-interval SECONDS] [--json]
//!      [--answer] [--ice-lite] [--late-candidates SECONDS] [--restart-after SECONDS] [--tcp] [--forge-fingerprint]
//!      [--data] [--say TEXT]... [--send-file PATH] [--probe] [--echo-negotiated ID] [--hang-up-when-done]
//!      [--send-video FILE.ivf] [--record-video FILE.ivf|FILE.h264] [--record-opus FILE.ogg]
//! ```
//!
//! `--signal` defaults to 127.0.0.1:8080 and `--bind` to 127.0.0.1:0.
//! `--stdio` signals by copy and paste instead of through `signal`: the
//! peer writes each of its messages to stdout as one JSON line and reads the
//! other side's from stdin (the timeline goes to stderr); it offers at once
//! unless `--answer` is given.
//! `--answer` waits for the other side's offer even when first in the
//! room; `--ice-lite` makes an ICE-lite agent (`a=ice-lite`);
//! `--late-candidates` keeps our candidates out of our description and
//! trickles them that long after it; `--restart-after` restarts ICE (a new
//! offer with new credentials) that long after connecting; `--tcp` also
//! listens on TCP and offers a passive TCP candidate (ICE-TCP, RFC 6544)
//! for peers whose network blocks UDP; `--forge-fingerprint` puts another
//! certificate's fingerprint in our descriptions, so that the other side
//! must refuse DTLS (a test of that check).
//! `--data` adds data channels (see [`sansrtc_examples::data`]): the
//! offerer opens `chat`; what arrives on it is printed and echoed back
//! prefixed `echo: `, and the lines typed on stdin (unless `--stdio`) and
//! each `--say` go out on it; every other channel the other side opens
//! echoes each message back unchanged. `--send-file` sends a file on a
//! `file` channel in 64 KiB messages and prints its SHA-256 once it is
//! acknowledged (the receiver prints the SHA-256 of what it got);
//! `--probe` opens channels of its own (one pre-negotiated) and checks
//! that the other side echoes messages of 0 B to 256 KiB (the other side
//! must make the pre-negotiated one: our peer does with
//! `--echo-negotiated 42`);
//! `--hang-up-when-done` hangs up once the file, the probe and the chat
//! lines' echoes are through. `--say`, `--send-file`, `--probe` and
//! `--echo-negotiated` imply `--data`.
//!
//! `--send-video` sends the frames of a VP8, VP9 or AV1 IVF file (ffmpeg
//! `-f ivf`) at the pace of their timestamps, looping, and starts it again
//! at its first keyframe when the other side asks for a keyframe;
//! `--record-video` writes the video received to IVF (VP8, VP9, AV1) or,
//! for a name ending in `.h264`, to an H.264 Annex B stream;
//! `--record-opus` offers Opus besides PCMU and writes the Opus received to
//! an Ogg Opus file (see [`sansrtc_examples::video`]).
//! Without `--seconds` the call lasts until Ctrl-C or the other side hangs
//! up; Ctrl-C sends RTCP BYE and a signaling `bye` and closes ICE.

use core::net::SocketAddr;
use core::time::Duration;
use std::process::ExitCode;

use sansrtc_examples::peer::{self, Output, PeerConfig};

const USAGE: &str = "usage: peer [--signal ADDR | --stdio] [--room NAME] [--name NAME] [--bind ADDR] [--stun HOST:PORT] [--turn USER:PASSWORD@HOST:PORT] [--seconds N] [--tone HZ] [--record FILE.wav] [--stats-interval SECONDS] [--json] [--answer] [--ice-lite] [--late-candidates SECONDS] [--restart-after SECONDS] [--tcp] [--forge-fingerprint] [--data] [--say TEXT]... [--send-file PATH] [--probe] [--echo-negotiated ID] [--hang-up-when-done] [--send-video FILE.ivf] [--record-video FILE.ivf|FILE.h264] [--record-opus FILE.ogg]";

fn seconds(flag: &str, value: &str) -> Result<Duration, String> {
    let seconds: f64 = value.parse().map_err(|e| format!("{flag} {value}: {e}"))?;
    if !(0.1..=86_400.0).contains(&seconds) {
        return Err(format!("{flag} must be between 0.1 and 86400"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

async fn parse_args(mut args: impl Iterator<Item = String>) -> Result<PeerConfig, String> {
    let mut config = PeerConfig::new("peer", SocketAddr::from(([127, 0, 0, 1], 8080)));
    while let Some(arg) = args.next() {
        let mut value = |what: &str| args.next().ok_or(format!("{arg} needs {what}"));
        match arg.as_str() {
            "--signal" => {
                let v = value("an address")?;
                config.signal = v.parse().map_err(|e| format!("--signal {v}: {e}"))?;
            }
            "--room" => config.room = value("a name")?,
            "--name" => config.name = value("a name")?,
            "--bind" => {
                let v = value("an address")?;
                config.bind = v.parse().map_err(|e| format!("--bind {v}: {e}"))?;
            }
            "--turn" => {
                let v = value("USER:PASSWORD@HOST:PORT")?;
                let (credentials, host) = v
                    .rsplit_once('@')
                    .ok_or(format!("--turn {v}: expected USER:PASSWORD@HOST:PORT"))?;
                let (user, password) = credentials
                    .split_once(':')
                    .ok_or(format!("--turn {v}: expected USER:PASSWORD@HOST:PORT"))?;
                let address = tokio::net::lookup_host(host)
                    .await
                    .map_err(|e| format!("--turn {host}: {e}"))?
                    .find(SocketAddr::is_ipv4)
                    .ok_or(format!("--turn {host}: no IPv4 address"))?;
                config.turn = Some(sansrtc_ice::TurnServer::udp(address, user, password));
            }
            "--stun" => {
                let v = value("HOST:PORT")?;
                let address = tokio::net::lookup_host(&v)
                    .await
                    .map_err(|e| format!("--stun {v}: {e}"))?
                    .find(SocketAddr::is_ipv4)
                    .ok_or(format!("--stun {v}: no IPv4 address"))?;
                config.stun = Some(address);
            }
            "--seconds" => config.duration = Some(seconds("--seconds", &value("a number")?)?),
            "--stats-interval" => {
                config.stats_interval = seconds("--stats-interval", &value("a number")?)?;
            }
            "--tone" => {
                let v = value("a frequency")?;
                let hz: f64 = v.parse().map_err(|e| format!("--tone {v}: {e}"))?;
                if !(20.0..=3900.0).contains(&hz) {
                    return Err("--tone must be between 20 and 3900 Hz".to_owned());
                }
                config.tone_hz = hz;
            }
            "--record" => config.record = Some(value("a file name")?.into()),
            "--send-video" => config.media_files.send_video = Some(value("an IVF file")?.into()),
            "--record-video" => {
                config.media_files.record_video = Some(value("a file name")?.into())
            }
            "--record-opus" => config.media_files.record_opus = Some(value("a file name")?.into()),
            "--json" => config.output = Output::Json,
            "--answer" => config.answer_only = true,
            "--stdio" => config.stdio_signaling = true,
            "--ice-lite" => config.ice_lite = true,
            "--tcp" => config.tcp = true,
            "--forge-fingerprint" => config.forge_fingerprint = true,
            "--data" => config.data = true,
            "--say" => {
                config.data = true;
                config.say.push(value("a text")?);
            }
            "--send-file" => {
                config.data = true;
                config.send_file = Some(value("a file name")?.into());
            }
            "--probe" => {
                config.data = true;
                config.probe = true;
            }
            "--echo-negotiated" => {
                let v = value("a stream id")?;
                config.data = true;
                config.echo_negotiated = Some(
                    v.parse()
                        .map_err(|e| format!("--echo-negotiated {v}: {e}"))?,
                );
            }
            "--hang-up-when-done" => config.hang_up_when_done = true,
            "--late-candidates" => {
                config.candidate_delay = Some(seconds("--late-candidates", &value("a number")?)?);
            }
            "--restart-after" => {
                config.restart_after = Some(seconds("--restart-after", &value("a number")?)?);
            }
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    config.chat_stdin = config.data && !config.stdio_signaling;
    Ok(config)
}

#[tokio::main]
async fn main() -> ExitCode {
    let config = match parse_args(std::env::args().skip(1)).await {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let stop = async {
        if tokio::signal::ctrl_c().await.is_err() {
            core::future::pending::<()>().await;
        }
    };
    let stdin = config.stdio_signaling || config.chat_stdin;
    let code = match peer::run(config, stop).await {
        Ok(summary) if summary.connected => 0,
        Ok(_) => 1,
        Err(error) => {
            eprintln!("peer: {error}");
            1
        }
    };
    if stdin {
        // tokio reads stdin with a blocking read that cannot be cancelled, so
        // the runtime would wait for one more line before shutting down.
        std::process::exit(code);
    }
    ExitCode::from(code as u8)
}
