//! The example programs run as child processes, for the tests that drive
//! them as a person would: their stdout lines arrive on a channel, their
//! stdin is a pipe the test may write to, and they are killed on drop.

use core::time::Duration;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Instant;

use serde_json::Value;

/// A child process whose stdout lines arrive on a channel; killed on drop.
pub(crate) struct Program {
    pub(crate) child: Child,
    lines: mpsc::Receiver<String>,
    pub(crate) seen: Vec<String>,
}

impl Program {
    pub(crate) fn start(program: &str, args: &[&str]) -> Self {
        let mut child = Command::new(program)
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (sender, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if sender.send(line).is_err() {
                    break;
                }
            }
        });
        Self {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Waits (at most 10 s) for a new line matching `predicate`.
    pub(crate) fn wait_for(&mut self, predicate: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let line = self.next_line(deadline);
            if predicate(&line) {
                return line;
            }
        }
    }

    /// The first JSON line matching `predicate`, among those seen so far
    /// or (waiting at most 30 s) the next ones.
    #[allow(dead_code, reason = "not every test reads JSON lines")]
    pub(crate) fn wait_for_event(&mut self, predicate: impl Fn(&Value) -> bool) -> Value {
        let seen = self
            .seen
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok());
        if let Some(value) = seen.into_iter().find(|v| predicate(v)) {
            return value;
        }
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let line = self.next_line(deadline);
            if let Ok(value) = serde_json::from_str::<Value>(&line) {
                if predicate(&value) {
                    return value;
                }
            }
        }
    }

    /// Waits (at most 10 s) for the exit code.
    #[allow(dead_code, reason = "not every test waits for an exit")]
    pub(crate) fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("still running; output so far:\n{}", self.seen.join("\n"));
    }

    /// The next line printed, kept in `seen`; panics at `deadline`.
    fn next_line(&mut self, deadline: Instant) -> String {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.lines.recv_timeout(left) {
            Ok(line) => {
                self.seen.push(line.clone());
                line
            }
            Err(_) => panic!("not seen in time; output so far:\n{}", self.seen.join("\n")),
        }
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
