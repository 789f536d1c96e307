//! `demo`: a whole WebRTC call on loopback in one process — signaling
//! server, STUN server and two peers, DTLS-SRTP between them — with a
//! timeline of what happened (see [`sansrtc_examples::demo`]).
//!
//! ```text
//! demo [--seconds N] [--loss PERCENT] [--json] [--seed N]
//! ```
//!
//! Exits with 1 when the call failed (not connected, ICE and DTLS, on a
//! common pair; SRTP keyed differently; or less than 95 % of the packets
//! that left delivered either way).

use core::time::Duration;
use std::process::ExitCode;

use sansrtc_examples::demo::{self, DemoOptions};
use sansrtc_examples::peer::Output;

const USAGE: &str = "usage: demo [--seconds N] [--loss PERCENT] [--json] [--seed N]";

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<DemoOptions, String> {
    let mut options = DemoOptions::default();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--seconds" => {
                let value = args.next().ok_or("--seconds needs a number")?;
                let seconds: f64 = value
                    .parse()
                    .map_err(|e| format!("--seconds {value}: {e}"))?;
                if !(0.5..=600.0).contains(&seconds) {
                    return Err("--seconds must be between 0.5 and 600".to_owned());
                }
                options.duration = Duration::from_secs_f64(seconds);
            }
            "--loss" => {
                let value = args.next().ok_or("--loss needs a percentage")?;
                let loss: f64 = value.parse().map_err(|e| format!("--loss {value}: {e}"))?;
                if !(0.0..=50.0).contains(&loss) {
                    return Err("--loss must be between 0 and 50".to_owned());
                }
                options.loss_percent = loss;
            }
            "--seed" => {
                let value = args.next().ok_or("--seed needs a number")?;
                options.seed = Some(value.parse().map_err(|e| format!("--seed {value}: {e}"))?);
            }
            "--json" => options.output = Output::Json,
            "-h" | "--help" => return Err(USAGE.to_owned()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            return ExitCode::from(2);
        }
    };
    let result = match demo::call(&options).await {
        Ok(result) => result,
        Err(error) => {
            eprintln!("demo: the call failed: {error}");
            return ExitCode::FAILURE;
        }
    };
    let failure = result.failure();
    if options.output == Output::Text {
        print!("{}", demo::report(&result, options.loss_percent));
        match &failure {
            None => println!("call succeeded"),
            Some(reason) => println!("call FAILED: {reason}"),
        }
    } else {
        let summary = serde_json::json!({
            "event": "result",
            "success": failure.is_none(),
            "failure": failure,
            "same_pair": result.same_pair(),
            "alice_to_bob_delivery": demo::DemoResult::delivery(&result.alice, &result.bob),
            "bob_to_alice_delivery": demo::DemoResult::delivery(&result.bob, &result.alice),
        });
        println!("{summary}");
    }
    if failure.is_some() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
