//! The timeline the example peer prints: one line per thing that happened,
//! as readable text or as a JSON object.

// Lines carry the time since the program's epoch.
#![allow(clippy::disallowed_methods)]

use std::time::Instant;

use serde_json::{Value, json};

/// How a program prints what happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Output {
    /// One readable line per event.
    Text,
    /// One JSON object per line.
    Json,
    /// Nothing.
    Quiet,
}

/// Prints timeline lines: `  1.234 s  alice  text`, or
/// `{"t":1.234,"peer":"alice","event":...,fields}`.
#[derive(Debug, Clone)]
pub(crate) struct Timeline {
    pub(crate) name: String,
    pub(crate) output: Output,
    /// Instant that printed times are relative to.
    pub(crate) epoch: Instant,
    /// Print on stderr (when stdout carries something else).
    pub(crate) to_stderr: bool,
}

impl Timeline {
    pub(crate) fn note(&self, event: &str, text: &str, fields: Value) {
        let elapsed = Instant::now().saturating_duration_since(self.epoch);
        let line = match self.output {
            Output::Quiet => return,
            Output::Text => format!("{:>7.3} s  {:<6} {text}", elapsed.as_secs_f64(), self.name),
            Output::Json => {
                let mut object = json!({
                    "t": (elapsed.as_secs_f64() * 1000.0).round() / 1000.0,
                    "peer": self.name,
                    "event": event,
                });
                if let (Some(target), Value::Object(extra)) = (object.as_object_mut(), fields) {
                    target.extend(extra);
                }
                object.to_string()
            }
        };
        if self.to_stderr {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
}

/// One timeline line: `note!(timeline, "event" => "text with {field}",
/// field = value, other, ...)` (`other` alone is `other = other`). The
/// fields are what the text may name, and the JSON object's members.
macro_rules! note {
    ($timeline:expr, $event:expr => $text:literal $(, $field:ident $(= $value:expr)?)* $(,)?) => {{
        $(let $field = note!(@value $field $($value)?);)*
        let fields = serde_json::json!({ $(stringify!($field): $field),* });
        $timeline.note($event, &format!($text), fields)
    }};
    (@value $field:ident $value:expr) => {
        $value
    };
    (@value $field:ident) => {
        $field
    };
}
pub(crate) use note;
