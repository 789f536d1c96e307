//! Receiver-side NACK generation: which sequence numbers to ask for again,
//! when, and when to give up (RFC 4585 §3.2 leaves the policy open; this
//! follows libwebrtc's: ask at once, retry every round-trip time, stop after
//! a number of tries or when the packet is too old).
//!
//! <https://www.rfc-editor.org/rfc/rfc4585#section-6.2.1>

use alloc::collections::BTreeMap;
use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use crate::rtp::SequenceUnwrapper;

/// How a [`NackGenerator`] behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NackConfig {
    /// Requests per lost packet before giving up.
    pub max_retries: u8,
    /// Most missing packets tracked; a larger gap resets the list (a key
    /// frame is then the better repair).
    pub max_missing: usize,
    /// Packets older than this many sequence numbers behind the newest are
    /// no longer asked for.
    pub max_age: u64,
    /// Time between two requests for the same packet until an RTT is known.
    pub default_retry_interval: Duration,
}

impl Default for NackConfig {
    fn default() -> Self {
        Self {
            max_retries: 10,
            max_missing: 1000,
            max_age: 10_000,
            default_retry_interval: Duration::from_millis(100),
        }
    }
}

#[derive(Debug, Clone, Copy)]
struct Missing {
    detected: Instant,
    last_sent: Option<Instant>,
    retries: u8,
}

impl Missing {
    fn due(&self, interval: Duration) -> Instant {
        self.last_sent.map_or(self.detected, |sent| sent + interval)
    }
}

/// What [`NackGenerator::handle_packet`] learnt from a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum NackOutcome {
    /// The next packet in order.
    InOrder,
    /// A packet that was missing (recovered by retransmission or
    /// reordering), after this many NACKs for it.
    Recovered {
        /// NACKs sent for it.
        retries: u8,
    },
    /// A jump forward: this many packets went missing.
    Gap(u64),
    /// The gap was larger than the list can hold: the list was cleared and
    /// a key frame should be requested instead.
    KeyFrameNeeded,
    /// A duplicate or a packet too old to matter.
    Ignored,
}

/// Tracks the sequence numbers of one stream and says which to NACK.
#[derive(Debug, Clone)]
pub struct NackGenerator {
    config: NackConfig,
    unwrapper: SequenceUnwrapper,
    newest: Option<u64>,
    missing: BTreeMap<u64, Missing>,
    rtt: Option<Duration>,
}

impl NackGenerator {
    /// A generator with `config`.
    pub fn new(config: NackConfig) -> Self {
        Self {
            config,
            unwrapper: SequenceUnwrapper::new(),
            newest: None,
            missing: BTreeMap::new(),
            rtt: None,
        }
    }

    /// Sets the round-trip time, the interval between requests for the
    /// same packet.
    pub fn set_rtt(&mut self, rtt: Duration) {
        self.rtt = Some(rtt);
    }

    fn retry_interval(&self) -> Duration {
        self.rtt.unwrap_or(self.config.default_retry_interval)
    }

    /// Number of packets currently missing.
    pub fn missing_len(&self) -> usize {
        self.missing.len()
    }

    /// Feeds a received packet's sequence number.
    pub fn handle_packet(&mut self, now: Instant, sequence_number: u16) -> NackOutcome {
        let seq = self.unwrapper.unwrap(sequence_number);
        let Some(newest) = self.newest else {
            self.newest = Some(seq);
            return NackOutcome::InOrder;
        };
        if seq <= newest {
            return match self.missing.remove(&seq) {
                Some(m) => NackOutcome::Recovered { retries: m.retries },
                None => NackOutcome::Ignored,
            };
        }
        self.newest = Some(seq);
        let gap = seq - newest - 1;
        let outcome = if gap == 0 {
            NackOutcome::InOrder
        } else if gap > self.config.max_missing as u64 {
            self.missing.clear();
            NackOutcome::KeyFrameNeeded
        } else {
            for lost in newest + 1..seq {
                self.missing.insert(
                    lost,
                    Missing {
                        detected: now,
                        last_sent: None,
                        retries: 0,
                    },
                );
            }
            NackOutcome::Gap(gap)
        };
        // Forget what is too old, and keep the list within its cap.
        let oldest_kept = seq.saturating_sub(self.config.max_age);
        self.missing = self.missing.split_off(&oldest_kept);
        while self.missing.len() > self.config.max_missing {
            self.missing.pop_first();
        }
        outcome
    }

    /// The sequence numbers to NACK now, appended to `out`: each missing
    /// packet not asked for yet or asked for more than an RTT ago. Packets
    /// asked for `max_retries` times are dropped.
    pub fn poll_nacks(&mut self, now: Instant, out: &mut Vec<u16>) {
        let interval = self.retry_interval();
        let max_retries = self.config.max_retries;
        self.missing.retain(|&seq, m| {
            if m.due(interval) <= now {
                if m.retries >= max_retries {
                    return false;
                }
                m.retries += 1;
                m.last_sent = Some(now);
                out.push(seq as u16);
            }
            true
        });
    }

    /// When [`poll_nacks`](Self::poll_nacks) will next have something to
    /// send.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let interval = self.retry_interval();
        self.missing
            .values()
            .filter(|m| m.retries < self.config.max_retries)
            .map(|m| m.due(interval))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn start() -> Instant {
        Instant::now()
    }

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn asks_for_gaps_retries_every_rtt_and_gives_up() {
        let t0 = start();
        let mut g = NackGenerator::new(NackConfig {
            max_retries: 3,
            ..NackConfig::default()
        });
        g.set_rtt(ms(50));
        assert_eq!(g.handle_packet(t0, 65533), NackOutcome::InOrder);
        assert_eq!(g.handle_packet(t0, 65534), NackOutcome::InOrder);
        // 65535, 0 and 1 are lost.
        assert_eq!(g.handle_packet(t0, 2), NackOutcome::Gap(3));
        assert_eq!(g.poll_timeout(), Some(t0));
        let mut out = Vec::new();
        g.poll_nacks(t0, &mut out);
        assert_eq!(out, [65535, 0, 1]);
        // Not again before an RTT.
        out.clear();
        g.poll_nacks(t0 + ms(10), &mut out);
        assert!(out.is_empty());
        assert_eq!(g.poll_timeout(), Some(t0 + ms(50)));
        // 0 arrives (retransmitted).
        assert_eq!(
            g.handle_packet(t0 + ms(20), 0),
            NackOutcome::Recovered { retries: 1 }
        );
        assert_eq!(g.handle_packet(t0 + ms(21), 0), NackOutcome::Ignored);
        for i in 1..=3 {
            out.clear();
            g.poll_nacks(t0 + ms(50 * i), &mut out);
            if i < 3 {
                assert_eq!(out, [65535, 1], "round {i}");
            } else {
                // Three tries each: given up.
                assert!(out.is_empty());
            }
        }
        assert_eq!(g.missing_len(), 0);
        assert_eq!(g.poll_timeout(), None);
    }

    #[test]
    fn large_gaps_and_old_packets_are_bounded() {
        let t0 = start();
        let mut g = NackGenerator::new(NackConfig {
            max_missing: 100,
            max_age: 50,
            ..NackConfig::default()
        });
        g.handle_packet(t0, 0);
        assert_eq!(g.handle_packet(t0, 500), NackOutcome::KeyFrameNeeded);
        assert_eq!(g.missing_len(), 0);
        assert_eq!(g.handle_packet(t0, 541), NackOutcome::Gap(40));
        assert_eq!(g.missing_len(), 40);
        // 30 further on, the first 20 missing ones are too old.
        g.handle_packet(t0, 571);
        assert_eq!(g.missing_len(), 20 + 29);
        let mut out = Vec::new();
        g.poll_nacks(t0, &mut out);
        assert_eq!(out.first(), Some(&521));
        assert!(out.len() <= 100);
    }
}
