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

/// How a [`NackGenerator`] behaves.
///
/// Start from [`NackConfig::default`] and change what you need, with the
/// `with_*` methods or by assigning the fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
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
    /// Largest forward jump still taken as loss; a larger one is a probable
    /// restart of the sender's sequence (RFC 3550 A.1 `MAX_DROPOUT`).
    pub max_dropout: u16,
    /// Largest backward jump still taken as reordering; a packet further
    /// back that is not missing is a probable restart too (RFC 3550 A.1
    /// `MAX_MISORDER`).
    pub max_misorder: u16,
}

impl Default for NackConfig {
    fn default() -> Self {
        Self {
            max_retries: 10,
            max_missing: 1000,
            max_age: 10_000,
            default_retry_interval: Duration::from_millis(100),
            max_dropout: MAX_DROPOUT,
            max_misorder: MAX_MISORDER,
        }
    }
}

impl NackConfig {
    /// Sets [`max_retries`](Self::max_retries).
    #[must_use]
    pub const fn with_max_retries(mut self, max_retries: u8) -> Self {
        self.max_retries = max_retries;
        self
    }

    /// Sets [`max_missing`](Self::max_missing).
    #[must_use]
    pub const fn with_max_missing(mut self, max_missing: usize) -> Self {
        self.max_missing = max_missing;
        self
    }

    /// Sets [`max_age`](Self::max_age).
    #[must_use]
    pub const fn with_max_age(mut self, max_age: u64) -> Self {
        self.max_age = max_age;
        self
    }

    /// Sets [`default_retry_interval`](Self::default_retry_interval).
    #[must_use]
    pub const fn with_default_retry_interval(mut self, interval: Duration) -> Self {
        self.default_retry_interval = interval;
        self
    }

    /// Sets [`max_dropout`](Self::max_dropout).
    #[must_use]
    pub const fn with_max_dropout(mut self, max_dropout: u16) -> Self {
        self.max_dropout = max_dropout;
        self
    }

    /// Sets [`max_misorder`](Self::max_misorder).
    #[must_use]
    pub const fn with_max_misorder(mut self, max_misorder: u16) -> Self {
        self.max_misorder = max_misorder;
        self
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
///
/// A receiver plays or forwards packets reported as [`InOrder`](Self::InOrder),
/// [`Recovered`](Self::Recovered), [`Gap`](Self::Gap),
/// [`KeyFrameNeeded`](Self::KeyFrameNeeded) and
/// [`Resynchronised`](Self::Resynchronised), and drops the
/// [`Ignored`](Self::Ignored) and [`OutOfSequence`](Self::OutOfSequence)
/// ones.
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
    /// A duplicate, or a packet a little older than the newest that is not
    /// missing (already received, or given up on).
    Ignored,
    /// A packet far from the stream (more than
    /// [`max_dropout`](NackConfig::max_dropout) ahead or
    /// [`max_misorder`](NackConfig::max_misorder) behind): a stray packet,
    /// or the first of a sender that restarted its sequence. Nothing
    /// changes; if the next packet follows this one, the generator
    /// resynchronises on it (RFC 3550 A.1).
    OutOfSequence,
    /// This packet follows an [`OutOfSequence`](Self::OutOfSequence) one:
    /// the sender restarted its sequence there. The list of missing
    /// packets was cleared and the stream goes on from this packet (a
    /// video receiver asks for a key frame).
    Resynchronised,
}

/// Largest forward jump [`NackConfig::default`] takes as loss (RFC 3550
/// A.1 `MAX_DROPOUT`).
pub const MAX_DROPOUT: u16 = 3000;
/// Largest backward jump [`NackConfig::default`] takes as reordering (RFC
/// 3550 A.1 `MAX_MISORDER`).
pub const MAX_MISORDER: u16 = 100;

/// Tracks the sequence numbers of one stream and says which to NACK.
///
/// Sequence numbers are validated as RFC 3550 A.1 does: a jump of more than
/// [`max_dropout`](NackConfig::max_dropout) forward or
/// [`max_misorder`](NackConfig::max_misorder) back is not taken on its own
/// ([`NackOutcome::OutOfSequence`]), so one stray packet cannot make the
/// rest of the stream look old; two packets in a row there are a restart,
/// and the generator follows it ([`NackOutcome::Resynchronised`]).
#[derive(Debug, Clone)]
pub struct NackGenerator {
    config: NackConfig,
    /// The newest sequence number accepted, extended to 64 bits (the first
    /// one is `0x1_0000 + seq`, so that the extended values of packets from
    /// before it stay positive).
    newest: Option<u64>,
    /// The sequence number that would confirm a restart: the one after the
    /// last out-of-sequence packet.
    bad_seq: Option<u16>,
    missing: BTreeMap<u64, Missing>,
    rtt: Option<Duration>,
}

impl NackGenerator {
    /// A generator with `config`.
    pub fn new(config: NackConfig) -> Self {
        Self {
            config,
            newest: None,
            bad_seq: None,
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

    /// The newest sequence number accepted.
    pub fn newest(&self) -> Option<u16> {
        self.newest.map(|n| n as u16)
    }

    /// Feeds a received packet's sequence number.
    pub fn handle_packet(&mut self, now: Instant, sequence_number: u16) -> NackOutcome {
        let Some(newest) = self.newest else {
            self.newest = Some(0x1_0000 + u64::from(sequence_number));
            return NackOutcome::InOrder;
        };
        let udelta = sequence_number.wrapping_sub(newest as u16);
        if udelta == 0 {
            return NackOutcome::Ignored;
        }
        if udelta < self.config.max_dropout {
            self.bad_seq = None;
            return self.advance(now, newest, newest + u64::from(udelta));
        }
        // Behind the newest (or far ahead, which on the circle is the same
        // as far behind): a missing packet arriving, a duplicate, or a jump.
        let back = 0x1_0000 - u64::from(udelta);
        if let Some(m) = newest
            .checked_sub(back)
            .and_then(|seq| self.missing.remove(&seq))
        {
            return NackOutcome::Recovered { retries: m.retries };
        }
        if back <= u64::from(self.config.max_misorder) {
            return NackOutcome::Ignored;
        }
        if self.bad_seq == Some(sequence_number) {
            // Two packets in a row out there: the sender restarted.
            self.bad_seq = None;
            self.missing.clear();
            self.newest = Some(newest + u64::from(udelta));
            return NackOutcome::Resynchronised;
        }
        self.bad_seq = Some(sequence_number.wrapping_add(1));
        NackOutcome::OutOfSequence
    }

    /// Moves the newest sequence number forward to `seq`, noting the
    /// packets in between as missing.
    fn advance(&mut self, now: Instant, newest: u64, seq: u64) -> NackOutcome {
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
        let mut g = NackGenerator::new(NackConfig::default().with_max_retries(3));
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
        let mut g =
            NackGenerator::new(NackConfig::default().with_max_missing(100).with_max_age(50));
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

    /// Feeds `range` in order; every packet must be taken.
    fn feed(g: &mut NackGenerator, t: Instant, range: impl IntoIterator<Item = u16>) {
        for seq in range {
            let outcome = g.handle_packet(t, seq);
            assert!(
                matches!(outcome, NackOutcome::InOrder | NackOutcome::Resynchronised),
                "{seq}: {outcome:?}"
            );
        }
    }

    #[test]
    fn one_stray_packet_far_ahead_does_not_stop_the_stream() {
        let t0 = start();
        let mut g = NackGenerator::new(NackConfig::default());
        feed(&mut g, t0, 1000..1100);
        // One packet 2000 to 32767 ahead, then the real stream goes on.
        for jump in [MAX_DROPOUT, 5000, 32767] {
            let stray = g.newest().unwrap().wrapping_add(jump);
            assert_eq!(g.handle_packet(t0, stray), NackOutcome::OutOfSequence);
            let next = g.newest().unwrap().wrapping_add(1);
            feed(&mut g, t0, next..next + 10);
        }
        // Nothing was taken as lost.
        assert_eq!(g.missing_len(), 0);
        assert_eq!(g.newest(), Some(1129));
        // A forward jump below the limit is loss, as before.
        assert_eq!(g.handle_packet(t0, 1129 + 500), NackOutcome::Gap(499));
    }

    #[test]
    fn a_sender_that_restarts_lower_is_followed_after_two_packets() {
        let t0 = start();
        let mut g = NackGenerator::new(NackConfig::default());
        feed(&mut g, t0, 30_000..30_050);
        // A gap is being repaired when the sender restarts at 100.
        assert_eq!(g.handle_packet(t0, 30_051), NackOutcome::Gap(1));
        assert_eq!(g.missing_len(), 1);
        assert_eq!(g.handle_packet(t0, 100), NackOutcome::OutOfSequence);
        assert_eq!(g.handle_packet(t0, 101), NackOutcome::Resynchronised);
        assert_eq!(g.missing_len(), 0);
        feed(&mut g, t0, 102..200);
        assert_eq!(g.handle_packet(t0, 201), NackOutcome::Gap(1));
        let mut out = Vec::new();
        g.poll_nacks(t0, &mut out);
        assert_eq!(out, [200]);
        // A restart far ahead is followed the same way.
        assert_eq!(g.handle_packet(t0, 40_000), NackOutcome::OutOfSequence);
        assert_eq!(g.handle_packet(t0, 40_001), NackOutcome::Resynchronised);
        assert_eq!(g.newest(), Some(40_001));
        assert_eq!(g.missing_len(), 0);
    }

    #[test]
    fn a_single_old_packet_is_dropped_and_changes_nothing() {
        let t0 = start();
        let mut g = NackGenerator::new(NackConfig::default());
        feed(&mut g, t0, 5000..5100);
        // Far behind and not missing: out of sequence.
        assert_eq!(g.handle_packet(t0, 4000), NackOutcome::OutOfSequence);
        // A little behind: a duplicate.
        assert_eq!(g.handle_packet(t0, 5090), NackOutcome::Ignored);
        assert_eq!(g.handle_packet(t0, 5099), NackOutcome::Ignored);
        feed(&mut g, t0, 5100..5110);
        // Two old packets that do not follow each other do not resync.
        assert_eq!(g.handle_packet(t0, 4000), NackOutcome::OutOfSequence);
        assert_eq!(g.handle_packet(t0, 4500), NackOutcome::OutOfSequence);
        assert_eq!(g.handle_packet(t0, 5110), NackOutcome::InOrder);
        // A missing packet is recovered however late it comes back.
        assert_eq!(g.handle_packet(t0, 5310), NackOutcome::Gap(199));
        assert_eq!(
            g.handle_packet(t0, 5111),
            NackOutcome::Recovered { retries: 0 }
        );
        // Its duplicate is far behind and no longer missing.
        assert_eq!(g.handle_packet(t0, 5111), NackOutcome::OutOfSequence);
        assert_eq!(g.handle_packet(t0, 5311), NackOutcome::InOrder);
    }
}
