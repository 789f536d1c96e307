//! Per-SSRC state: the rollover counter and packet index estimation of
//! RFC 3711 §3.3.1 and Appendix A, and the replay list of §3.3.2.

use alloc::vec;
use alloc::vec::Vec;

/// The largest replay window [`Config::replay_window`](crate::Config)
/// accepts, in packets (as libsrtp: 2^15).
pub const MAX_REPLAY_WINDOW: u32 = 0x8000;

/// The largest SRTP packet index: 48 bits (RFC 3711 §3.3.1).
pub(crate) const MAX_RTP_INDEX: u64 = (1 << 48) - 1;

/// The largest SRTCP index: 31 bits (RFC 3711 §3.4).
pub(crate) const MAX_RTCP_INDEX: u32 = (1 << 31) - 1;

/// The packet index of an SRTP packet with sequence number `seq`, given
/// the highest index seen so far in its stream (RFC 3711 Appendix A).
///
/// The rollover counter guessed is the one that puts the index closest to
/// `highest`: `ROC - 1` when `seq` is far above a low `s_l`, `ROC + 1` when
/// it is far below a high one. A guess below 0 (a packet from before the
/// stream's first index, at rollover counter 0) becomes rollover counter
/// 0, as libsrtp reads it. The result may exceed 48 bits only when the
/// rollover counter is exhausted; the caller refuses such an index.
#[inline]
pub(crate) fn estimate_index(highest: u64, seq: u16) -> u64 {
    let roc = highest >> 16;
    let s_l = highest as u16;
    let seq_wide = u64::from(seq);
    if s_l < 0x8000 {
        if u32::from(seq) > u32::from(s_l) + 0x8000 && roc > 0 {
            ((roc - 1) << 16) | seq_wide
        } else {
            (roc << 16) | seq_wide
        }
    } else if u32::from(s_l) - 0x8000 > u32::from(seq) {
        ((roc + 1) << 16) | seq_wide
    } else {
        (roc << 16) | seq_wide
    }
}

/// A sliding replay window over packet indices (RFC 3711 §3.3.2): which of
/// the last `size` indices up to the highest were accepted.
///
/// The bits live in a ring of words indexed by `index mod bits`, so moving
/// the window forward clears the words it enters instead of shifting the
/// whole bitmap.
#[derive(Debug, Clone)]
pub(crate) struct ReplayWindow {
    /// Accepted indices, bit `index % (64 * words.len())`.
    words: Vec<u64>,
    /// The highest index accepted; meaningless while `empty`.
    top: u64,
    /// How far behind `top` an index may be and still be accepted.
    size: u64,
    /// Whether no index was accepted yet.
    empty: bool,
}

/// What the replay window says of an index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Replay {
    /// Never seen, inside or ahead of the window.
    New,
    /// Already accepted.
    Replayed,
    /// Behind the window.
    TooOld,
}

impl ReplayWindow {
    /// A window of `size` packets (at least 1, at most
    /// [`MAX_REPLAY_WINDOW`]).
    pub(crate) fn new(size: u32) -> Self {
        let size = size.clamp(1, MAX_REPLAY_WINDOW);
        // One word more than the window, so the word `top` is in never
        // holds bits of an index still inside the window; a power of two,
        // so the ring position is a mask.
        let words = (size as usize).div_ceil(64) + 1;
        Self {
            words: vec![0; words.next_power_of_two()],
            top: 0,
            size: u64::from(size),
            empty: true,
        }
    }

    /// The highest index accepted, if any.
    pub(crate) fn top(&self) -> Option<u64> {
        (!self.empty).then_some(self.top)
    }

    #[inline]
    fn position(&self, index: u64) -> (usize, u64) {
        let word = (index >> 6) as usize & (self.words.len() - 1);
        (word, 1 << (index & 63))
    }

    /// Whether `index` would be accepted; changes nothing.
    #[inline(always)]
    pub(crate) fn check(&self, index: u64) -> Replay {
        if self.empty || index > self.top {
            return Replay::New;
        }
        if self.top - index >= self.size {
            return Replay::TooOld;
        }
        let (word, bit) = self.position(index);
        match self.words.get(word) {
            Some(bits) if bits & bit != 0 => Replay::Replayed,
            _ => Replay::New,
        }
    }

    /// Records `index` as accepted (after [`check`](Self::check) said
    /// [`Replay::New`] and the packet was authenticated).
    #[inline(always)]
    pub(crate) fn accept(&mut self, index: u64) {
        // The usual case: within the word of the highest index, or behind
        // it; no word to clear.
        if !self.empty && index >> 6 <= self.top >> 6 {
            self.top = self.top.max(index);
            self.set(index);
        } else {
            self.advance(index);
        }
    }

    #[inline]
    fn set(&mut self, index: u64) {
        let (word, bit) = self.position(index);
        if let Some(bits) = self.words.get_mut(word) {
            *bits |= bit;
        }
    }

    /// Moves the window forward to `index` (or starts it), clearing the
    /// words it enters, and records `index`.
    #[cold]
    #[inline(never)]
    fn advance(&mut self, index: u64) {
        if self.empty || (index >> 6) - (self.top >> 6) >= self.words.len() as u64 {
            self.words.fill(0);
        } else {
            let mask = self.words.len() - 1;
            for word in (self.top >> 6) + 1..=index >> 6 {
                if let Some(bits) = self.words.get_mut(word as usize & mask) {
                    *bits = 0;
                }
            }
        }
        self.top = index;
        self.empty = false;
        self.set(index);
    }
}

/// What one stream keeps for SRTP.
#[derive(Debug, Clone)]
pub(crate) struct RtpState {
    /// The highest packet index sent or accepted; `None` before the first.
    pub(crate) highest: Option<u64>,
    /// Accepted indices (receiving streams only).
    pub(crate) window: Option<ReplayWindow>,
}

/// What one stream keeps for SRTCP.
#[derive(Debug, Clone)]
pub(crate) struct RtcpState {
    /// The next SRTCP index to send.
    pub(crate) next_index: u32,
    /// Accepted indices (receiving streams only).
    pub(crate) window: Option<ReplayWindow>,
}

/// The state of one SSRC in one direction.
#[derive(Debug, Clone)]
pub(crate) struct Stream {
    pub(crate) rtp: RtpState,
    pub(crate) rtcp: RtcpState,
}

impl Stream {
    fn new() -> Self {
        Self {
            rtp: RtpState {
                highest: None,
                window: None,
            },
            rtcp: RtcpState {
                next_index: 0,
                window: None,
            },
        }
    }
}

/// The streams of one direction, by SSRC, at most `limit` of them.
#[derive(Debug, Clone, Default)]
pub(crate) struct Streams {
    /// Sorted SSRCs; `streams[i]` is the state of `ssrcs[i]`.
    ssrcs: Vec<u32>,
    streams: Vec<Stream>,
}

impl Streams {
    /// The position of `ssrc`, or where it would be inserted.
    #[inline]
    pub(crate) fn find(&self, ssrc: u32) -> Result<usize, usize> {
        self.ssrcs.binary_search(&ssrc)
    }

    #[inline]
    pub(crate) fn get(&self, position: usize) -> Option<&Stream> {
        self.streams.get(position)
    }

    /// Inserts a new stream for `ssrc` at `position` (from
    /// [`find`](Self::find)) and returns it.
    pub(crate) fn insert(&mut self, position: usize, ssrc: u32) -> Option<&mut Stream> {
        if position > self.ssrcs.len() {
            return None;
        }
        self.ssrcs.insert(position, ssrc);
        self.streams.insert(position, Stream::new());
        self.streams.get_mut(position)
    }

    /// The stream [`find`](Self::find) found, or a new one for `ssrc`
    /// where it said to insert it.
    #[inline]
    pub(crate) fn entry(&mut self, found: Result<usize, usize>, ssrc: u32) -> Option<&mut Stream> {
        match found {
            Ok(position) => self.streams.get_mut(position),
            Err(position) => self.insert(position, ssrc),
        }
    }

    /// The stream of `ssrc`, created if there is room for one more.
    #[cfg(test)]
    pub(crate) fn get_or_insert(&mut self, ssrc: u32, limit: usize) -> Option<&mut Stream> {
        match self.find(ssrc) {
            Ok(position) => self.streams.get_mut(position),
            Err(position) if self.ssrcs.len() < limit => self.insert(position, ssrc),
            Err(_) => None,
        }
    }

    /// Whether one more stream fits under `limit`.
    pub(crate) fn has_room(&self, limit: usize) -> bool {
        self.ssrcs.len() < limit
    }

    /// Forgets `ssrc`; returns whether it was there.
    pub(crate) fn remove(&mut self, ssrc: u32) -> bool {
        match self.find(ssrc) {
            Ok(position) => {
                self.ssrcs.remove(position);
                self.streams.remove(position);
                true
            }
            Err(_) => false,
        }
    }

    /// How many streams there are.
    pub(crate) fn len(&self) -> usize {
        self.ssrcs.len()
    }

    /// The SSRCs, in ascending order.
    pub(crate) fn ssrcs(&self) -> &[u32] {
        &self.ssrcs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn estimation_follows_appendix_a() {
        // Same rollover counter.
        assert_eq!(estimate_index(100, 101), 101);
        assert_eq!(estimate_index(100, 50), 50);
        // Wrap forward: s_l high, seq low.
        assert_eq!(estimate_index(65_530, 3), (1 << 16) | 3);
        assert_eq!(estimate_index((5 << 16) | 65_000, 10), (6 << 16) | 10);
        // Late packet from before the wrap: s_l low, seq high.
        assert_eq!(estimate_index((1 << 16) | 3, 65_534), 65_534);
        assert_eq!(estimate_index((6 << 16) | 10, 65_000), (5 << 16) | 65_000);
        // At rollover counter 0 there is nothing before.
        assert_eq!(estimate_index(3, 65_534), 65_534);
        // Half-way boundaries.
        assert_eq!(estimate_index(0x8000, 0), 0);
        assert_eq!(estimate_index(0x8001, 0), 1 << 16);
        assert_eq!(
            estimate_index((1 << 16) | 0x7fff, 0xffff),
            (1 << 16) | 0xffff
        );
        assert_eq!(estimate_index((1 << 16) | 0x7ffe, 0xffff), 0xffff);
    }

    #[test]
    fn replay_window_accepts_once_and_forgets_what_falls_behind() {
        let mut window = ReplayWindow::new(128);
        assert_eq!(window.check(1000), Replay::New);
        window.accept(1000);
        assert_eq!(window.check(1000), Replay::Replayed);
        assert_eq!(window.check(999), Replay::New);
        assert_eq!(window.check(1000 - 127), Replay::New);
        assert_eq!(window.check(1000 - 128), Replay::TooOld);
        window.accept(990);
        assert_eq!(window.check(990), Replay::Replayed);
        // Jump forward by less than the window: 990 and 1000 stay.
        window.accept(1100);
        assert_eq!(window.check(990), Replay::Replayed);
        assert_eq!(window.check(1000), Replay::Replayed);
        assert_eq!(window.check(1050), Replay::New);
        assert_eq!(window.check(972), Replay::TooOld);
        // Jump far: everything old is too old, nothing stale remains.
        window.accept(1_000_000);
        assert_eq!(window.check(1_000_000 - 100), Replay::New);
        assert_eq!(window.top(), Some(1_000_000));
    }

    #[test]
    fn replay_window_matches_a_plain_set_on_every_pattern() {
        // A straightforward model: the set of accepted indices.
        for size in [1u32, 63, 64, 65, 128, 1000] {
            let mut window = ReplayWindow::new(size);
            let mut accepted = alloc::collections::BTreeSet::new();
            let mut top: Option<u64> = None;
            let mut x = 0x1234_5678_u64;
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let base = top.unwrap_or(5000);
                let index = match x % 4 {
                    0 => base + x % 3,
                    1 => base.saturating_sub(x % (u64::from(size) + 10)),
                    2 => base + (x >> 8) % 300,
                    _ => base.saturating_sub((x >> 8) % 40),
                };
                let expected = match top {
                    Some(top) if index <= top && top - index >= u64::from(size) => Replay::TooOld,
                    _ if accepted.contains(&index) => Replay::Replayed,
                    _ => Replay::New,
                };
                assert_eq!(
                    window.check(index),
                    expected,
                    "size {size} index {index} top {top:?}"
                );
                if expected == Replay::New {
                    window.accept(index);
                    accepted.insert(index);
                    top = Some(top.map_or(index, |top| top.max(index)));
                }
            }
        }
    }

    #[test]
    fn streams_stay_sorted_and_bounded() {
        let mut streams = Streams::default();
        for ssrc in [5, 1, 9] {
            assert!(streams.get_or_insert(ssrc, 3).is_some());
        }
        assert!(streams.get_or_insert(7, 3).is_none());
        assert!(streams.get_or_insert(9, 3).is_some());
        assert_eq!(streams.ssrcs(), &[1, 5, 9]);
        assert!(streams.remove(5));
        assert!(!streams.remove(5));
        assert_eq!(streams.len(), 2);
    }
}
