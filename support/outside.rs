//! Outside programs for the interop tests (coturn, tshark, openssl, libsrtp,
//! ffmpeg, ...), included by each test that needs one with
//! `#[path = "../../support/outside.rs"] mod outside;`.
//!
//! A test whose program is missing says so on one line,
//! `skipped: <program> not installed`, and passes; `.ci/run` installs every
//! program and fails when any test printed that line.

use std::io::Write as _;
use std::process::{Command, Stdio};

/// The first line that `program version_args` prints (standard output, then
/// standard error), when `program` runs. Otherwise writes
/// `skipped: <program> not installed` and returns `None`.
///
/// The line goes straight to the process's standard error, past the test
/// harness's output capture, so that it shows in every `cargo test` run and
/// `.ci/run` can see it.
#[allow(dead_code)]
pub(crate) fn installed_or_skip(program: &str, version_args: &[&str]) -> Option<String> {
    let output = Command::new(program)
        .args(version_args)
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(output) => {
            let stdout = String::from_utf8_lossy(&output.stdout);
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first_line = stdout
                .lines()
                .chain(stderr.lines())
                .map(str::trim)
                .find(|line| !line.is_empty())
                .unwrap_or(program);
            Some(first_line.to_owned())
        }
        Err(_) => {
            let _ = writeln!(std::io::stderr(), "skipped: {program} not installed");
            None
        }
    }
}
