//! A sans-IO RTCP session: fed the RTP and RTCP it sends and receives and
//! the time, it says when the next report is due (RFC 3550 §6.2, §6.3 and
//! appendix A.7) and writes it.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6.3>

use alloc::collections::{BTreeMap, VecDeque};
use alloc::vec::Vec;
use core::time::Duration;
use std::time::Instant;

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};

use crate::error::{ParseError, WriteError};
use crate::list::List;
use crate::ntp::NtpTime;
use crate::rtcp::{
    Compound, Packet, ReceiverReport, ReportBlock, SdesChunk, SdesChunks, SdesItem, SdesItems,
    SourceDescription,
};
use crate::stats::{ReceiverStats, SenderStats};

/// Most remote sources a session tracks; packets from further sources are
/// ignored (each costs a little memory, and a peer picks SSRCs freely).
pub const MAX_SOURCES: usize = 1024;
/// Most reports waiting in [`Session::poll_transmit`]'s queue.
pub const MAX_QUEUED_REPORTS: usize = 4;
/// RFC 3550's minimum interval between reports.
pub const MIN_INTERVAL: Duration = Duration::from_secs(5);
/// Size of IPv4 and UDP headers, added to each RTCP packet in the average
/// (RFC 3550 §6.2).
const UDP_IP_OVERHEAD: f64 = 28.0;
/// e - 3/2 (RFC 3550 A.7), compensating the timer reconsideration bias.
const COMPENSATION: f64 = core::f64::consts::E - 1.5;

/// A seed for the generator that randomises the report interval (RFC 3550
/// §6.3.1): ChaCha20, as every sansrtc state machine uses.
pub type Seed = [u8; 32];

/// The interval's random factor: a number uniformly drawn from [0, 1).
fn unit_interval(rng: &mut ChaCha20Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// How a [`Session`] behaves: start from [`SessionConfig::new`] and set
/// what differs from its defaults.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct SessionConfig {
    /// Our SSRC.
    pub ssrc: u32,
    /// Our CNAME, sent in SDES (at most 255 bytes).
    pub cname: Vec<u8>,
    /// RTP clock rate of the media we send and receive, in Hz.
    pub clock_rate: u32,
    /// Session bandwidth in bits per second; RTCP takes 5 % of it.
    pub session_bandwidth: u32,
    /// The minimum interval (5 s per RFC 3550; halved for the first report).
    pub min_interval: Duration,
    /// Seed of the generator that randomises the interval: `None` (what
    /// you want outside tests) seeds it from the operating system, so that
    /// nobody can predict when reports go out; `Some` gives reproducible
    /// runs.
    pub seed: Option<Seed>,
    /// The wallclock at `anchor`, for the NTP time of sender reports.
    pub ntp_at_anchor: NtpTime,
    /// The instant whose wallclock is `ntp_at_anchor`.
    pub anchor: Instant,
}

impl SessionConfig {
    /// A session for our `ssrc` and `cname` at `clock_rate` Hz, whose
    /// wallclock at `anchor` is `ntp_at_anchor`; a session bandwidth of
    /// 64 kbit/s, RFC 3550's 5 s minimum interval, randomness from the
    /// operating system.
    pub fn new(
        ssrc: u32,
        cname: &[u8],
        clock_rate: u32,
        ntp_at_anchor: NtpTime,
        anchor: Instant,
    ) -> Self {
        Self {
            ssrc,
            cname: cname.to_vec(),
            clock_rate,
            session_bandwidth: 64_000,
            min_interval: MIN_INTERVAL,
            seed: None,
            ntp_at_anchor,
            anchor,
        }
    }
}

/// The RTCP side of one RTP session.
///
/// ```
/// use std::time::{Duration, Instant};
/// use sansrtc_rtp::ntp::NtpTime;
/// use sansrtc_rtp::rtcp::{Compound, Packet};
/// use sansrtc_rtp::session::{Session, SessionConfig};
///
/// # #[allow(clippy::disallowed_methods)]
/// let start = Instant::now(); // the caller's clock
/// let mut config =
///     SessionConfig::new(1, b"me@example", 90_000, NtpTime::from_parts(3_900_000_000, 0), start);
/// config.session_bandwidth = 1_000_000;
/// let mut session = Session::new(config, start);
/// let mut now = start;
/// let mut reports = 0;
/// while reports < 3 {
///     now = session.poll_timeout().unwrap();   // sleep until then
///     session.handle_timeout(now);
///     while let Some(datagram) = session.poll_transmit() {
///         let compound = Compound::parse(&datagram).unwrap();
///         assert!(matches!(compound.packets().next(), Some(Ok(Packet::ReceiverReport(_)))));
///         reports += 1;                        // send it
///     }
/// }
/// assert!(now - start >= Duration::from_secs(5));
/// ```
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    rng: ChaCha20Rng,
    sources: BTreeMap<u32, ReceiverStats>,
    senders_since_report: BTreeMap<u32, ()>,
    sender: SenderStats,
    we_sent: bool,
    last_transmit: Instant,
    next_transmit: Instant,
    previous_members: usize,
    avg_rtcp_size: f64,
    initial: bool,
    queue: VecDeque<Vec<u8>>,
    dropped_reports: u64,
}

impl Session {
    /// A session starting at `now`; the first report is due after half the
    /// minimum interval, randomised.
    pub fn new(config: SessionConfig, now: Instant) -> Self {
        let mut session = Self {
            rng: config.seed.map_or_else(
                || {
                    let mut seed = [0u8; 32];
                    #[allow(clippy::expect_used)]
                    getrandom::fill(&mut seed)
                        .expect("the operating system's random source failed");
                    ChaCha20Rng::from_seed(seed)
                },
                ChaCha20Rng::from_seed,
            ),
            sender: SenderStats::new(config.ssrc, config.clock_rate),
            sources: BTreeMap::new(),
            senders_since_report: BTreeMap::new(),
            we_sent: false,
            last_transmit: now,
            next_transmit: now,
            previous_members: 1,
            // A first guess: an RR with one block and an SDES CNAME.
            avg_rtcp_size: 100.0 + UDP_IP_OVERHEAD,
            initial: true,
            queue: VecDeque::new(),
            dropped_reports: 0,
            config,
        };
        session.next_transmit = now + session.interval();
        session
    }

    /// Members of the session: the remote sources and us.
    pub fn members(&self) -> usize {
        self.sources.len() + 1
    }

    /// Sources that sent RTP since the last report (us included).
    pub fn senders(&self) -> usize {
        self.senders_since_report.len() + usize::from(self.we_sent)
    }

    /// The deterministic interval Td (RFC 3550 §6.3.1), before
    /// randomisation.
    pub fn deterministic_interval(&self) -> Duration {
        let min = if self.initial {
            self.config.min_interval / 2
        } else {
            self.config.min_interval
        };
        let rtcp_bw = f64::from(self.config.session_bandwidth) * 0.05 / 8.0;
        let members = self.members() as f64;
        let senders = self.senders() as f64;
        let (bw, n) = if senders <= members * 0.25 {
            if self.we_sent {
                (rtcp_bw * 0.25, senders)
            } else {
                (rtcp_bw * 0.75, members - senders)
            }
        } else {
            (rtcp_bw, members)
        };
        let t = if bw > 0.0 {
            self.avg_rtcp_size * n / bw
        } else {
            f64::MAX
        };
        let t = Duration::try_from_secs_f64(t).unwrap_or(Duration::from_secs(3600));
        t.clamp(min, Duration::from_secs(3600).max(min))
    }

    /// A randomised interval (A.7 `rtcp_interval`): Td times a number in
    /// [0.5, 1.5), divided by e - 3/2.
    fn interval(&mut self) -> Duration {
        let td = self.deterministic_interval().as_secs_f64();
        let t = td * (unit_interval(&mut self.rng) + 0.5) / COMPENSATION;
        Duration::from_secs_f64(t)
    }

    /// Feeds an RTP packet received from a remote source.
    pub fn handle_rtp_receive(
        &mut self,
        now: Instant,
        ssrc: u32,
        sequence_number: u16,
        timestamp: u32,
    ) {
        if ssrc == self.config.ssrc {
            return;
        }
        let Some(stats) = self.source(ssrc) else {
            return;
        };
        stats.handle_packet(now, sequence_number, timestamp);
        if self.senders_since_report.len() < MAX_SOURCES {
            self.senders_since_report.insert(ssrc, ());
        }
    }

    /// Feeds an RTP packet we sent.
    pub fn handle_rtp_send(&mut self, now: Instant, timestamp: u32, payload_len: usize) {
        self.sender.handle_sent(now, timestamp, payload_len);
        self.we_sent = true;
    }

    fn source(&mut self, ssrc: u32) -> Option<&mut ReceiverStats> {
        if !self.sources.contains_key(&ssrc) && self.sources.len() >= MAX_SOURCES {
            return None;
        }
        let clock_rate = self.config.clock_rate;
        Some(
            self.sources
                .entry(ssrc)
                .or_insert_with(|| ReceiverStats::new(ssrc, clock_rate)),
        )
    }

    /// Feeds an RTCP datagram received (compound or reduced-size).
    pub fn handle_rtcp_receive(&mut self, now: Instant, datagram: &[u8]) -> Result<(), ParseError> {
        let compound = Compound::parse_reduced_size(datagram)?;
        // RFC 3550 §6.3.3: the average includes the UDP and IP headers.
        self.avg_rtcp_size =
            (datagram.len() as f64 + UDP_IP_OVERHEAD) / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
        for packet in compound.packets() {
            match packet? {
                Packet::SenderReport(sr) => {
                    if let Some(stats) = self.source(sr.ssrc) {
                        stats.handle_sender_report(now, sr.ntp_time);
                    }
                }
                Packet::ReceiverReport(rr) => {
                    let _ = self.source(rr.ssrc);
                }
                Packet::Goodbye(bye) => {
                    for ssrc in bye.sources {
                        self.sources.remove(&ssrc);
                        self.senders_since_report.remove(&ssrc);
                    }
                    self.reverse_reconsider(now);
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// RFC 3550 §6.3.4: when members leave, bring the next report closer.
    fn reverse_reconsider(&mut self, now: Instant) {
        let members = self.members();
        if members < self.previous_members {
            let ratio = members as f64 / self.previous_members as f64;
            let until_next = self.next_transmit.saturating_duration_since(now);
            self.next_transmit = now + until_next.mul_f64(ratio);
            let since_last = now.saturating_duration_since(self.last_transmit);
            self.last_transmit = now
                .checked_sub(since_last.mul_f64(ratio))
                .unwrap_or(self.last_transmit);
        }
        self.previous_members = members;
    }

    /// Feeds the passing of time: sends a report when one is due (with
    /// timer reconsideration, §6.3.6).
    pub fn handle_timeout(&mut self, now: Instant) {
        if now < self.next_transmit {
            return;
        }
        let t = self.interval();
        if self.last_transmit + t <= now {
            let mut buf = [0u8; 1500];
            if let Ok(n) = self.write_report(now, &mut buf) {
                if self.queue.len() >= MAX_QUEUED_REPORTS {
                    // The oldest report is stale: drop it and count.
                    self.queue.pop_front();
                    self.dropped_reports = self.dropped_reports.saturating_add(1);
                }
                self.queue
                    .push_back(buf.get(..n).unwrap_or_default().to_vec());
                self.avg_rtcp_size =
                    (n as f64 + UDP_IP_OVERHEAD) / 16.0 + self.avg_rtcp_size * 15.0 / 16.0;
            }
            self.last_transmit = now;
            self.initial = false;
            self.we_sent = false;
            self.senders_since_report.clear();
            self.expire_sources(now);
            self.previous_members = self.members();
            self.next_transmit = now + self.interval();
        } else {
            self.next_transmit = self.last_transmit + t;
        }
    }

    /// Drops sources silent for five deterministic intervals (§6.3.5).
    fn expire_sources(&mut self, now: Instant) {
        let limit = self.deterministic_interval() * 5;
        self.sources.retain(|_, s| {
            s.last_seen()
                .is_none_or(|seen| now.saturating_duration_since(seen) < limit)
        });
    }

    /// The next report datagram to send.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.queue.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) should be called next:
    /// always `Some` (the next report is always scheduled), in the shape
    /// every sansrtc state machine shares.
    pub const fn poll_timeout(&self) -> Option<Instant> {
        Some(self.next_transmit)
    }

    /// Reports dropped because [`poll_transmit`](Self::poll_transmit) was
    /// not drained ([`MAX_QUEUED_REPORTS`] wait at most).
    pub const fn dropped_reports(&self) -> u64 {
        self.dropped_reports
    }

    /// The sender statistics.
    pub const fn sender(&self) -> &SenderStats {
        &self.sender
    }

    /// The statistics of a remote source.
    pub fn source_stats(&self, ssrc: u32) -> Option<&ReceiverStats> {
        self.sources.get(&ssrc)
    }

    /// Writes a report now: an SR if we sent since the last report, else an
    /// RR, with a block for each source heard since (at most 31), then an
    /// SDES with our CNAME. Returns the length written.
    pub fn write_report(&mut self, now: Instant, buf: &mut [u8]) -> Result<usize, WriteError> {
        let mut blocks: Vec<ReportBlock> = Vec::new();
        for ssrc in self
            .senders_since_report
            .keys()
            .take(crate::rtcp::header::MAX_COUNT)
        {
            if let Some(stats) = self.sources.get_mut(ssrc) {
                if stats.is_valid() {
                    blocks.push(stats.report_block(now));
                }
            }
        }
        let first = if self.we_sent {
            let elapsed = now.saturating_duration_since(self.config.anchor);
            let ntp = NtpTime(
                self.config
                    .ntp_at_anchor
                    .0
                    .wrapping_add(NtpTime::from_ntp_duration(elapsed).0),
            );
            let mut sr = self.sender.sender_report(now, ntp);
            sr.report_blocks = List::new(&blocks);
            Packet::SenderReport(sr)
        } else {
            Packet::ReceiverReport(ReceiverReport {
                ssrc: self.config.ssrc,
                report_blocks: List::new(&blocks),
                profile_extension: &[],
            })
        };
        let items = [SdesItem::Cname(&self.config.cname)];
        let chunks = [SdesChunk {
            source: self.config.ssrc,
            items: SdesItems::new(&items),
        }];
        let sdes = Packet::SourceDescription(SourceDescription {
            chunks: SdesChunks::new(&chunks),
        });
        crate::rtcp::write_compound(&[first, sdes], buf)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[allow(clippy::disallowed_methods)]
    fn start() -> Instant {
        Instant::now()
    }

    fn config(seed: u64, t0: Instant) -> SessionConfig {
        SessionConfig {
            ssrc: 0x1111,
            cname: b"test".to_vec(),
            clock_rate: 90_000,
            session_bandwidth: 1_000_000,
            min_interval: MIN_INTERVAL,
            seed: Some(ChaCha20Rng::seed_from_u64(seed).get_seed()),
            ntp_at_anchor: NtpTime::from_parts(3_900_000_000, 0),
            anchor: t0,
        }
    }

    /// Runs a session for `reports` reports, feeding RTP from a remote
    /// source and sending our own every 20 ms; returns the report times.
    fn run(seed: u64, reports: usize) -> Vec<Duration> {
        let t0 = start();
        let mut session = Session::new(config(seed, t0), t0);
        let mut times = Vec::new();
        let mut now = t0;
        let mut seq = 0u16;
        while times.len() < reports {
            let next_media = now + Duration::from_millis(20);
            let next_timer = session.poll_timeout().unwrap();
            if next_timer <= next_media {
                now = next_timer.max(now);
                session.handle_timeout(now);
            } else {
                now = next_media;
                session.handle_rtp_receive(now, 0x2222, seq, u32::from(seq) * 1800);
                session.handle_rtp_send(now, u32::from(seq) * 1800, 1000);
                seq = seq.wrapping_add(1);
            }
            while let Some(datagram) = session.poll_transmit() {
                let compound = Compound::parse(&datagram).unwrap();
                let packets: Vec<_> = compound.packets().map(Result::unwrap).collect();
                let Packet::SenderReport(sr) = packets[0] else {
                    panic!("expected an SR, got {:?}", packets[0]);
                };
                assert_eq!(sr.ssrc, 0x1111);
                assert_eq!(sr.report_blocks.len(), 1);
                assert_eq!(sr.report_blocks.get(0).unwrap().ssrc, 0x2222);
                assert!(matches!(packets[1], Packet::SourceDescription(_)));
                times.push(now - t0);
            }
        }
        times
    }

    #[test]
    fn intervals_respect_the_minimum_and_randomisation() {
        let times = run(7, 20);
        // The first report comes after 2.5 s randomised: [1.25, 3.75) / 1.218.
        assert!(times[0] >= Duration::from_secs_f64(1.25 / COMPENSATION));
        assert!(
            times[0] < Duration::from_secs_f64(3.75 / COMPENSATION) + Duration::from_millis(20)
        );
        let mut distinct = alloc::collections::BTreeSet::new();
        for pair in times.windows(2) {
            let gap = pair[1] - pair[0];
            assert!(
                gap >= Duration::from_secs_f64(2.5 / COMPENSATION),
                "gap {gap:?}"
            );
            assert!(
                gap <= Duration::from_secs_f64(7.5 / COMPENSATION) + Duration::from_millis(40),
                "gap {gap:?}"
            );
            distinct.insert(gap.as_millis());
        }
        assert!(distinct.len() > 5, "intervals are randomised");
        // Same seed, same schedule; another seed, another one.
        assert_eq!(run(7, 20), times);
        assert_ne!(run(8, 20), times);
    }

    #[test]
    fn receiver_only_session_sends_rr_and_handles_incoming_reports() {
        let t0 = start();
        let mut session = Session::new(config(1, t0), t0);
        for seq in 0..10u16 {
            session.handle_rtp_receive(
                t0 + Duration::from_millis(u64::from(seq) * 20),
                0x3333,
                seq,
                u32::from(seq) * 1800,
            );
        }
        // An SR from that source, then a BYE from another.
        let mut buf = [0u8; 200];
        let sr = crate::rtcp::SenderReport {
            ssrc: 0x3333,
            ntp_time: NtpTime(0x0001_0002_0003_0004),
            ..Default::default()
        };
        let n = crate::rtcp::write_compound(&[Packet::SenderReport(sr)], &mut buf).unwrap();
        session
            .handle_rtcp_receive(t0 + Duration::from_secs(1), &buf[..n])
            .unwrap();
        assert!(session.handle_rtcp_receive(t0, &[1, 2, 3]).is_err());
        assert_eq!(session.members(), 2);
        let now = t0 + Duration::from_secs(2);
        let n = session.write_report(now, &mut buf).unwrap();
        let compound = Compound::parse(&buf[..n]).unwrap();
        let Some(Ok(Packet::ReceiverReport(rr))) = compound.packets().next() else {
            panic!("expected an RR");
        };
        let block = rr.report_blocks.get(0).unwrap();
        assert_eq!(block.ssrc, 0x3333);
        assert_eq!(block.extended_highest_sequence, 9);
        assert_eq!(block.last_sender_report, 0x0002_0003);
        assert_eq!(block.delay_since_last_sender_report, 0x0001_0000);

        let bye = crate::rtcp::Goodbye {
            sources: List::new(&[0x3333]),
            reason: None,
        };
        let rr = Packet::ReceiverReport(ReceiverReport::default());
        let n = crate::rtcp::write_compound(&[rr, Packet::Goodbye(bye)], &mut buf).unwrap();
        session.handle_rtcp_receive(now, &buf[..n]).unwrap();
        // The RR's SSRC 0 is a member now, 0x3333 left.
        assert!(session.source_stats(0x3333).is_none());
    }

    #[test]
    fn sources_are_capped() {
        let t0 = start();
        let mut session = Session::new(config(1, t0), t0);
        for ssrc in 0..(MAX_SOURCES as u32 + 100) {
            session.handle_rtp_receive(t0, ssrc + 0x10_0000, 1, 0);
        }
        assert_eq!(session.members(), MAX_SOURCES + 1);
    }

    #[test]
    fn interval_factor_is_deterministic_and_uniform_enough() {
        let mut a = ChaCha20Rng::from_seed([5; 32]);
        let mut b = ChaCha20Rng::from_seed([5; 32]);
        let xs: Vec<f64> = (0..1000).map(|_| unit_interval(&mut a)).collect();
        let ys: Vec<f64> = (0..1000).map(|_| unit_interval(&mut b)).collect();
        assert_eq!(xs, ys);
        assert!(xs.iter().all(|x| (0.0..1.0).contains(x)));
        let mean = xs.iter().sum::<f64>() / 1000.0;
        assert!((0.45..0.55).contains(&mean), "mean {mean}");
    }

    #[test]
    fn undrained_reports_are_bounded_and_counted() {
        let t0 = start();
        let mut session = Session::new(config(3, t0), t0);
        for _ in 0..20 {
            let Some(next) = session.poll_timeout() else {
                break;
            };
            session.handle_timeout(next);
        }
        assert!(session.dropped_reports() > 0);
        let queued = core::iter::from_fn(|| session.poll_transmit()).count();
        assert_eq!(queued, MAX_QUEUED_REPORTS);
    }
}
