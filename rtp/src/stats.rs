//! Receiver statistics per RFC 3550 appendix A (source validation and
//! sequence tracking, loss, jitter) and the sender side that fills sender
//! reports.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#appendix-A.1>

use core::time::Duration;
use std::time::Instant;

use crate::ntp::{NtpTime, duration_to_compact};
use crate::rtcp::ReportBlock;

/// Sequence numbers in a row a new source must send before it counts
/// (RFC 3550 A.1 `MIN_SEQUENTIAL`).
pub const MIN_SEQUENTIAL: u16 = 2;
/// Largest forward jump still taken as loss (A.1 `MAX_DROPOUT`).
pub const MAX_DROPOUT: u16 = 3000;
/// Largest backward jump still taken as reordering (A.1 `MAX_MISORDER`).
pub const MAX_MISORDER: u16 = 100;
const RTP_SEQ_MOD: u32 = 1 << 16;

/// What [`ReceiverStats::handle_packet`] made of a packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SequenceOutcome {
    /// Counted.
    Valid,
    /// The source is still on probation (A.1): not counted yet.
    Probation,
    /// A jump too large (more than [`MAX_DROPOUT`] ahead or
    /// [`MAX_MISORDER`] behind): not counted; a second packet right after
    /// it makes the receiver resynchronise on the new sequence.
    BadSequence,
    /// The packet followed a [`BadSequence`](Self::BadSequence) one: the
    /// sender restarted its sequence there, and counting started again
    /// from this packet (RFC 3550 A.1).
    Resynchronised,
}

/// Reception statistics for one source.
#[derive(Debug, Clone)]
pub struct ReceiverStats {
    ssrc: u32,
    clock_rate: u32,
    started: Option<Instant>,
    max_seq: u16,
    cycles: u32,
    base_seq: u32,
    bad_seq: u32,
    probation: u16,
    received: u32,
    expected_prior: u32,
    received_prior: u32,
    last_transit: Option<u32>,
    /// Jitter, scaled by 16 (A.8's integer form).
    jitter_q4: u32,
    last_sender_report: Option<(NtpTime, Instant)>,
    last_seen: Option<Instant>,
}

impl ReceiverStats {
    /// Statistics for `ssrc`, whose RTP clock runs at `clock_rate` Hz.
    pub const fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            started: None,
            max_seq: 0,
            cycles: 0,
            base_seq: 0,
            bad_seq: RTP_SEQ_MOD + 1,
            probation: MIN_SEQUENTIAL,
            received: 0,
            expected_prior: 0,
            received_prior: 0,
            last_transit: None,
            jitter_q4: 0,
            last_sender_report: None,
            last_seen: None,
        }
    }

    fn init_seq(&mut self, seq: u16) {
        self.base_seq = u32::from(seq);
        self.max_seq = seq;
        self.bad_seq = RTP_SEQ_MOD + 1;
        self.cycles = 0;
        self.received = 0;
        self.received_prior = 0;
        self.expected_prior = 0;
    }

    /// `update_seq` of RFC 3550 A.1.
    fn update_seq(&mut self, seq: u16) -> SequenceOutcome {
        let udelta = seq.wrapping_sub(self.max_seq);
        if self.probation > 0 {
            if seq == self.max_seq.wrapping_add(1) {
                self.probation -= 1;
                self.max_seq = seq;
                if self.probation == 0 {
                    self.init_seq(seq);
                    self.received += 1;
                    return SequenceOutcome::Valid;
                }
            } else {
                self.probation = MIN_SEQUENTIAL - 1;
                self.max_seq = seq;
            }
            return SequenceOutcome::Probation;
        } else if udelta < MAX_DROPOUT {
            if seq < self.max_seq {
                self.cycles = self.cycles.wrapping_add(RTP_SEQ_MOD);
            }
            self.max_seq = seq;
        } else if u32::from(udelta) <= RTP_SEQ_MOD - u32::from(MAX_MISORDER) {
            if u32::from(seq) == self.bad_seq {
                // Two packets in a row: the sender restarted. Its timestamps
                // restarted too, so the jitter estimate keeps its value but
                // the transit time starts again.
                self.init_seq(seq);
                self.last_transit = None;
                self.received = self.received.wrapping_add(1);
                return SequenceOutcome::Resynchronised;
            } else {
                self.bad_seq = (u32::from(seq) + 1) & (RTP_SEQ_MOD - 1);
                return SequenceOutcome::BadSequence;
            }
        }
        // Else a duplicate or reordered packet: counted, nothing else.
        self.received = self.received.wrapping_add(1);
        SequenceOutcome::Valid
    }

    /// Feeds one received RTP packet.
    pub fn handle_packet(
        &mut self,
        now: Instant,
        sequence_number: u16,
        timestamp: u32,
    ) -> SequenceOutcome {
        let started = match self.started {
            Some(started) => started,
            None => {
                // A new source: A.1 puts it on probation, one below its
                // first sequence number.
                self.started = Some(now);
                self.init_seq(sequence_number);
                self.max_seq = sequence_number.wrapping_sub(1);
                self.probation = MIN_SEQUENTIAL;
                now
            }
        };
        self.last_seen = Some(now);
        let outcome = self.update_seq(sequence_number);
        if matches!(
            outcome,
            SequenceOutcome::Valid | SequenceOutcome::Resynchronised
        ) {
            // A.8: transit time in timestamp units; its variation feeds the
            // jitter estimate.
            let elapsed = now.saturating_duration_since(started);
            let arrival = (elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000) as u32;
            let transit = arrival.wrapping_sub(timestamp);
            if let Some(last) = self.last_transit {
                let d = transit.wrapping_sub(last) as i32;
                let d = d.unsigned_abs();
                self.jitter_q4 = self
                    .jitter_q4
                    .wrapping_add(d)
                    .wrapping_sub((self.jitter_q4 + 8) >> 4);
            }
            self.last_transit = Some(transit);
        }
        outcome
    }

    /// Feeds a sender report received from this source (for LSR/DLSR).
    pub fn handle_sender_report(&mut self, now: Instant, ntp_time: NtpTime) {
        self.last_sender_report = Some((ntp_time, now));
        self.last_seen = Some(now);
    }

    /// The source.
    pub const fn ssrc(&self) -> u32 {
        self.ssrc
    }

    /// Whether the source passed probation.
    pub const fn is_valid(&self) -> bool {
        self.probation == 0
    }

    /// When the source was last heard from.
    pub const fn last_seen(&self) -> Option<Instant> {
        self.last_seen
    }

    /// The extended highest sequence number received.
    pub const fn extended_highest_sequence(&self) -> u32 {
        self.cycles.wrapping_add(self.max_seq as u32)
    }

    /// Packets expected (A.3).
    pub const fn expected(&self) -> u32 {
        self.extended_highest_sequence()
            .wrapping_sub(self.base_seq)
            .wrapping_add(1)
    }

    /// Packets received (duplicates included).
    pub const fn received(&self) -> u32 {
        self.received
    }

    /// Cumulative packets lost (A.3; negative with duplicates).
    pub const fn cumulative_lost(&self) -> i64 {
        self.expected() as i64 - self.received as i64
    }

    /// Interarrival jitter, in timestamp units (A.8).
    pub const fn jitter(&self) -> u32 {
        self.jitter_q4 >> 4
    }

    /// A report block for this source; starts a new interval for the
    /// fraction lost (A.3).
    pub fn report_block(&mut self, now: Instant) -> ReportBlock {
        let expected = self.expected();
        let expected_interval = expected.wrapping_sub(self.expected_prior);
        self.expected_prior = expected;
        let received_interval = self.received.wrapping_sub(self.received_prior);
        self.received_prior = self.received;
        let lost_interval = i64::from(expected_interval) - i64::from(received_interval);
        let fraction_lost = if expected_interval == 0 || lost_interval <= 0 {
            0
        } else {
            ((lost_interval << 8) / i64::from(expected_interval)).min(255) as u8
        };
        let (last_sender_report, delay) = match self.last_sender_report {
            Some((ntp, at)) => (
                ntp.compact(),
                duration_to_compact(now.saturating_duration_since(at)),
            ),
            None => (0, 0),
        };
        ReportBlock {
            ssrc: self.ssrc,
            fraction_lost,
            cumulative_lost: self.cumulative_lost().clamp(-0x80_0000, 0x7f_ffff) as i32,
            extended_highest_sequence: self.extended_highest_sequence(),
            jitter: self.jitter(),
            last_sender_report,
            delay_since_last_sender_report: delay,
        }
    }
}

/// What a sender counts for its sender reports.
#[derive(Debug, Clone)]
pub struct SenderStats {
    ssrc: u32,
    clock_rate: u32,
    packet_count: u32,
    octet_count: u32,
    last: Option<(u32, Instant)>,
}

impl SenderStats {
    /// A sender with SSRC `ssrc` and an RTP clock of `clock_rate` Hz.
    pub const fn new(ssrc: u32, clock_rate: u32) -> Self {
        Self {
            ssrc,
            clock_rate,
            packet_count: 0,
            octet_count: 0,
            last: None,
        }
    }

    /// Counts one sent packet.
    pub fn handle_sent(&mut self, now: Instant, timestamp: u32, payload_len: usize) {
        self.packet_count = self.packet_count.wrapping_add(1);
        self.octet_count = self
            .octet_count
            .wrapping_add(u32::try_from(payload_len).unwrap_or(u32::MAX));
        self.last = Some((timestamp, now));
    }

    /// Whether anything was sent.
    pub const fn has_sent(&self) -> bool {
        self.last.is_some()
    }

    /// Packets sent.
    pub const fn packet_count(&self) -> u32 {
        self.packet_count
    }

    /// Payload octets sent.
    pub const fn octet_count(&self) -> u32 {
        self.octet_count
    }

    /// The RTP timestamp matching `now`, extrapolated from the last packet
    /// sent.
    pub fn rtp_time_at(&self, now: Instant) -> u32 {
        match self.last {
            Some((timestamp, at)) => {
                let elapsed: Duration = now.saturating_duration_since(at);
                let ticks = elapsed.as_nanos() * u128::from(self.clock_rate) / 1_000_000_000;
                timestamp.wrapping_add(ticks as u32)
            }
            None => 0,
        }
    }

    /// A sender report (without report blocks) for `now`, whose wallclock
    /// time is `ntp_time`.
    pub fn sender_report(
        &self,
        now: Instant,
        ntp_time: NtpTime,
    ) -> crate::rtcp::SenderReport<'static> {
        crate::rtcp::SenderReport {
            ssrc: self.ssrc,
            ntp_time,
            rtp_time: self.rtp_time_at(now),
            packet_count: self.packet_count,
            octet_count: self.octet_count,
            report_blocks: crate::list::List::empty(),
            profile_extension: &[],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// Any instant will do as the start of a test's virtual clock.
    #[allow(clippy::disallowed_methods)]
    fn start() -> Instant {
        Instant::now()
    }

    #[test]
    fn probation_then_counting_with_loss_and_wrap() {
        let t0 = start();
        let mut s = ReceiverStats::new(7, 8000);
        assert_eq!(s.handle_packet(t0, 65530, 0), SequenceOutcome::Probation);
        assert!(!s.is_valid());
        assert_eq!(
            s.handle_packet(t0 + ms(20), 65531, 160),
            SequenceOutcome::Valid
        );
        assert!(s.is_valid());
        // 65532..=65535, 0..=9 with 2 and 5 lost.
        let mut t = 40;
        for seq in (65532u32..65546).map(|s| (s % 65536) as u16) {
            if seq == 2 || seq == 5 {
                t += 20;
                continue;
            }
            assert_eq!(
                s.handle_packet(t0 + ms(t), seq, (t * 8) as u32),
                SequenceOutcome::Valid
            );
            t += 20;
        }
        assert_eq!(s.extended_highest_sequence(), 65536 + 9);
        assert_eq!(s.expected(), 15);
        assert_eq!(s.received(), 13);
        assert_eq!(s.cumulative_lost(), 2);
        let block = s.report_block(t0 + ms(t));
        assert_eq!(block.ssrc, 7);
        assert_eq!(block.cumulative_lost, 2);
        assert_eq!(block.fraction_lost, (2 * 256 / 15) as u8);
        assert_eq!(block.extended_highest_sequence, 65536 + 9);
        // Perfectly paced packets: no jitter.
        assert_eq!(block.jitter, 0);
        assert_eq!(block.last_sender_report, 0);
        // Nothing new: the next interval loses nothing.
        assert_eq!(s.report_block(t0 + ms(t)).fraction_lost, 0);
    }

    #[test]
    fn big_jumps_resynchronise_after_two_packets() {
        let t0 = start();
        let mut s = ReceiverStats::new(1, 90000);
        s.handle_packet(t0, 100, 0);
        s.handle_packet(t0, 101, 0);
        assert_eq!(s.handle_packet(t0, 20000, 0), SequenceOutcome::BadSequence);
        assert_eq!(
            s.handle_packet(t0, 20001, 0),
            SequenceOutcome::Resynchronised
        );
        assert_eq!(s.extended_highest_sequence(), 20001);
        assert_eq!(s.expected(), 1);
        // Reordering within MAX_MISORDER counts but does not move max_seq.
        assert_eq!(s.handle_packet(t0, 19990, 0), SequenceOutcome::Valid);
        assert_eq!(s.extended_highest_sequence(), 20001);
        assert_eq!(s.cumulative_lost(), -1);
    }

    #[test]
    fn jitter_follows_a_8() {
        let t0 = start();
        let mut s = ReceiverStats::new(1, 1000);
        // Timestamps advance 10 ticks per packet; arrivals alternate 5 and
        // 15 ms apart: |D| = 5 every packet after the second.
        let mut arrival = 0;
        let mut expected_q4: u32 = 0;
        for i in 0..50u32 {
            arrival += if i % 2 == 0 { 5 } else { 15 };
            s.handle_packet(t0 + ms(arrival), i as u16, i * 10);
            if i >= 2 {
                expected_q4 = expected_q4 + 5 - ((expected_q4 + 8) >> 4);
            }
        }
        assert_eq!(s.jitter(), expected_q4 >> 4);
        assert!(s.jitter() >= 3 && s.jitter() <= 5, "jitter {}", s.jitter());
    }

    #[test]
    fn lsr_and_dlsr_come_from_the_last_sender_report() {
        let t0 = start();
        let mut s = ReceiverStats::new(1, 8000);
        s.handle_sender_report(t0, NtpTime(0x1234_5678_9abc_def0));
        let block = s.report_block(t0 + ms(1500));
        assert_eq!(block.last_sender_report, 0x5678_9abc);
        assert_eq!(block.delay_since_last_sender_report, 0x0001_8000);
    }

    #[test]
    fn sender_report_extrapolates_the_rtp_time() {
        let t0 = start();
        let mut s = SenderStats::new(9, 48000);
        assert!(!s.has_sent());
        s.handle_sent(t0, 1000, 100);
        s.handle_sent(t0, 1000, 50);
        let sr = s.sender_report(t0 + ms(500), NtpTime(5));
        assert_eq!(sr.ssrc, 9);
        assert_eq!(sr.rtp_time, 1000 + 24000);
        assert_eq!((sr.packet_count, sr.octet_count), (2, 150));
        assert_eq!(sr.ntp_time, NtpTime(5));
    }

    /// Feeds `range` 20 ms apart from `*t` with matching timestamps from
    /// `ts`; every packet must count.
    fn feed(
        s: &mut ReceiverStats,
        t0: Instant,
        t: &mut u64,
        ts: &mut u32,
        range: core::ops::Range<u32>,
    ) {
        for seq in range {
            let on_probation = !s.is_valid();
            let outcome = s.handle_packet(t0 + ms(*t), seq as u16, *ts);
            if !(on_probation && outcome == SequenceOutcome::Probation) {
                assert_eq!(outcome, SequenceOutcome::Valid, "{seq}");
            }
            *t += 20;
            *ts = ts.wrapping_add(160);
        }
    }

    #[test]
    fn one_stray_packet_far_ahead_is_not_counted() {
        let t0 = start();
        let mut s = ReceiverStats::new(1, 8000);
        let (mut t, mut ts) = (0, 0);
        feed(&mut s, t0, &mut t, &mut ts, 1000..1100);
        for jump in [u32::from(MAX_DROPOUT), 5000, 32767] {
            let stray = (1100 + jump) as u16;
            assert_eq!(
                s.handle_packet(t0 + ms(t), stray, 12345),
                SequenceOutcome::BadSequence
            );
        }
        feed(&mut s, t0, &mut t, &mut ts, 1100..1200);
        assert_eq!(s.extended_highest_sequence(), 1199);
        assert_eq!(s.cumulative_lost(), 0);
        assert_eq!(s.jitter(), 0);
    }

    #[test]
    fn a_sender_that_restarts_is_followed_after_two_packets() {
        let t0 = start();
        let mut s = ReceiverStats::new(1, 8000);
        let (mut t, mut ts) = (0, 0);
        feed(&mut s, t0, &mut t, &mut ts, 30_000..30_100);
        assert_eq!(s.report_block(t0 + ms(t)).fraction_lost, 0);
        // The sender restarts lower, with a new timestamp base.
        ts = 0x8000_0000;
        assert_eq!(
            s.handle_packet(t0 + ms(t), 100, ts),
            SequenceOutcome::BadSequence
        );
        t += 20;
        ts += 160;
        assert_eq!(
            s.handle_packet(t0 + ms(t), 101, ts),
            SequenceOutcome::Resynchronised
        );
        t += 20;
        ts += 160;
        feed(&mut s, t0, &mut t, &mut ts, 102..200);
        assert_eq!(s.extended_highest_sequence(), 199);
        assert_eq!(s.expected(), 99);
        assert_eq!(s.cumulative_lost(), 0);
        // The jump of the timestamps is not jitter.
        assert_eq!(s.jitter(), 0);
        // The interval after the restart lost nothing either.
        assert_eq!(s.report_block(t0 + ms(t)).fraction_lost, 0);
    }

    #[test]
    fn a_single_old_packet_changes_nothing() {
        let t0 = start();
        let mut s = ReceiverStats::new(1, 8000);
        let (mut t, mut ts) = (0, 0);
        feed(&mut s, t0, &mut t, &mut ts, 5000..5100);
        assert_eq!(
            s.handle_packet(t0 + ms(t), 4000, 7),
            SequenceOutcome::BadSequence
        );
        feed(&mut s, t0, &mut t, &mut ts, 5100..5200);
        assert_eq!(s.extended_highest_sequence(), 5199);
        assert_eq!(s.cumulative_lost(), 0);
        assert_eq!(s.jitter(), 0);
    }
}
