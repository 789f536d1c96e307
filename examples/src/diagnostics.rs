//! Rate-limited diagnostics: a program under a flood of bad packets prints
//! a few lines of each kind and then counts, instead of writing a line per
//! packet.
//!
//! ```
//! use std::time::{Duration, Instant};
//! use sansrtc_examples::diagnostics::{RateLimit, Verdict};
//!
//! let mut limit = RateLimit::new(2, Duration::from_secs(10));
//! let start = Instant::now();
//! assert_eq!(limit.check("bad-rtcp", start), Verdict::Print { suppressed: 0 });
//! assert_eq!(limit.check("bad-rtcp", start), Verdict::Print { suppressed: 0 });
//! assert_eq!(limit.check("bad-rtcp", start), Verdict::Suppress);
//! // The next window says how many lines the last one held back.
//! let later = start + Duration::from_secs(11);
//! assert_eq!(limit.check("bad-rtcp", later), Verdict::Print { suppressed: 1 });
//! ```

use core::time::Duration;
use std::time::Instant;

/// Most kinds of diagnostics tracked; further kinds share the last slot.
const MAX_KINDS: usize = 32;

/// Whether to print one occurrence of a diagnostic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Print it; `suppressed` lines of the same kind were held back in the
    /// previous window (say so in the line when non-zero).
    Print {
        /// Lines held back since the last printed one.
        suppressed: u64,
    },
    /// Do not print it (it is counted).
    Suppress,
}

#[derive(Debug, Clone)]
struct Kind {
    name: &'static str,
    window_start: Instant,
    printed: u32,
    suppressed: u64,
}

/// At most `per_window` lines of each kind per window.
#[derive(Debug, Clone)]
pub struct RateLimit {
    per_window: u32,
    window: Duration,
    kinds: Vec<Kind>,
}

impl RateLimit {
    /// A limit of `per_window` lines of each kind per `window`.
    pub const fn new(per_window: u32, window: Duration) -> Self {
        Self {
            per_window,
            window,
            kinds: Vec::new(),
        }
    }

    /// The default for the example programs: 5 lines of a kind per 10 s.
    pub const fn default_for_programs() -> Self {
        Self::new(5, Duration::from_secs(10))
    }

    /// Whether to print an occurrence of `kind` at `now`.
    pub fn check(&mut self, kind: &'static str, now: Instant) -> Verdict {
        let index = match self.kinds.iter().position(|k| k.name == kind) {
            Some(index) => index,
            None if self.kinds.len() < MAX_KINDS => {
                self.kinds.push(Kind {
                    name: kind,
                    window_start: now,
                    printed: 0,
                    suppressed: 0,
                });
                self.kinds.len() - 1
            }
            None => self.kinds.len() - 1,
        };
        let Some(entry) = self.kinds.get_mut(index) else {
            return Verdict::Print { suppressed: 0 };
        };
        let mut suppressed = 0;
        if now.saturating_duration_since(entry.window_start) >= self.window {
            suppressed = core::mem::take(&mut entry.suppressed);
            entry.window_start = now;
            entry.printed = 0;
        }
        if entry.printed < self.per_window {
            entry.printed += 1;
            Verdict::Print { suppressed }
        } else {
            entry.suppressed = entry.suppressed.saturating_add(1);
            Verdict::Suppress
        }
    }

    /// Lines held back so far in the current windows, all kinds together.
    pub fn suppressed(&self) -> u64 {
        self.kinds.iter().map(|k| k.suppressed).sum()
    }
}

#[cfg(test)]
#[allow(clippy::disallowed_methods)] // the virtual clock needs an origin
mod tests {
    use super::*;

    #[test]
    fn a_flood_prints_a_few_lines_per_window_and_counts_the_rest() {
        let mut limit = RateLimit::new(5, Duration::from_secs(10));
        let start = Instant::now();
        let printed = (0..100_000)
            .filter(|_| matches!(limit.check("flood", start), Verdict::Print { .. }))
            .count();
        assert_eq!(printed, 5);
        assert_eq!(limit.suppressed(), 99_995);
        // Another kind is not held back by the first.
        assert_eq!(
            limit.check("other", start),
            Verdict::Print { suppressed: 0 }
        );
        assert_eq!(
            limit.check("flood", start + Duration::from_secs(10)),
            Verdict::Print { suppressed: 99_995 }
        );
    }
}
