//! Wrap-around-safe comparison of sequence numbers and timestamps, and
//! unwrapping them into 64-bit counters.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#appendix-A.1>

/// Whether sequence number `a` comes after `b`, treating the 16-bit space
/// as a circle. At exactly half the space apart, the larger value is the
/// newer one, so that the relation stays antisymmetric.
#[inline]
pub const fn seq_is_newer(a: u16, b: u16) -> bool {
    let d = a.wrapping_sub(b);
    if d == 0x8000 {
        a > b
    } else {
        d != 0 && d < 0x8000
    }
}

/// Signed distance from `b` to `a` on the 16-bit circle, in `-32767..=32768`.
#[inline]
pub const fn seq_diff(a: u16, b: u16) -> i32 {
    let d = a.wrapping_sub(b);
    if d <= 0x8000 {
        d as i32
    } else {
        d as i32 - 0x1_0000
    }
}

/// Whether timestamp `a` comes after `b` on the 32-bit circle (ties as in
/// [`seq_is_newer`]).
#[inline]
pub const fn timestamp_is_newer(a: u32, b: u32) -> bool {
    let d = a.wrapping_sub(b);
    if d == 0x8000_0000 {
        a > b
    } else {
        d != 0 && d < 0x8000_0000
    }
}

/// Signed distance from `b` to `a` on the 32-bit circle.
#[inline]
pub const fn timestamp_diff(a: u32, b: u32) -> i64 {
    let d = a.wrapping_sub(b);
    if d <= 0x8000_0000 {
        d as i64
    } else {
        d as i64 - 0x1_0000_0000
    }
}

/// Extends 16-bit sequence numbers to 64 bits by counting wrap-arounds.
///
/// The first value becomes `0x1_0000 + value`, so that a reordered packet
/// from just before the first one still unwraps without going below zero.
///
/// ```
/// use sansrtc_rtp::rtp::SequenceUnwrapper;
/// let mut u = SequenceUnwrapper::new();
/// let a = u.unwrap(65535);
/// assert_eq!(u.unwrap(0), a + 1);
/// assert_eq!(u.unwrap(65534), a - 1);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SequenceUnwrapper {
    last: Option<u64>,
}

impl SequenceUnwrapper {
    /// An unwrapper that has seen nothing.
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// The 64-bit value of `seq`: the one closest to the previous value.
    pub fn unwrap(&mut self, seq: u16) -> u64 {
        let value = match self.last {
            None => 0x1_0000 + u64::from(seq),
            Some(last) => {
                let d = i64::from(seq_diff(seq, last as u16));
                last.saturating_add_signed(d)
            }
        };
        self.last = Some(value);
        value
    }

    /// The last value returned.
    pub const fn last(&self) -> Option<u64> {
        self.last
    }
}

/// Extends 32-bit RTP timestamps to 64 bits by counting wrap-arounds.
///
/// The first value becomes `2^32 + value`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TimestampUnwrapper {
    last: Option<u64>,
}

impl TimestampUnwrapper {
    /// An unwrapper that has seen nothing.
    pub const fn new() -> Self {
        Self { last: None }
    }

    /// The 64-bit value of `timestamp`: the one closest to the previous value.
    pub fn unwrap(&mut self, timestamp: u32) -> u64 {
        let value = match self.last {
            None => 0x1_0000_0000 + u64::from(timestamp),
            Some(last) => last.saturating_add_signed(timestamp_diff(timestamp, last as u32)),
        };
        self.last = Some(value);
        value
    }

    /// The last value returned.
    pub const fn last(&self) -> Option<u64> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn comparisons_wrap() {
        assert!(seq_is_newer(0, 65535));
        assert!(!seq_is_newer(65535, 0));
        assert!(!seq_is_newer(5, 5));
        assert!(seq_is_newer(0x8000, 0));
        assert!(!seq_is_newer(0, 0x8000));
        assert_eq!(seq_diff(1, 65535), 2);
        assert_eq!(seq_diff(65535, 1), -2);
        assert!(timestamp_is_newer(3, u32::MAX));
        assert_eq!(timestamp_diff(u32::MAX, 3), -4);
    }

    #[test]
    fn unwraps_across_several_wraps_and_reordering() {
        let mut u = SequenceUnwrapper::new();
        let start = u.unwrap(65530);
        let mut expected = start;
        let mut seq = 65530u16;
        for _ in 0..200_000 {
            seq = seq.wrapping_add(1);
            expected += 1;
            assert_eq!(u.unwrap(seq), expected);
        }
        assert_eq!(u.unwrap(seq.wrapping_sub(10)), expected - 10);
        assert_eq!(u.unwrap(seq), expected);

        let mut t = TimestampUnwrapper::new();
        let a = t.unwrap(u32::MAX - 100);
        assert_eq!(t.unwrap(100), a + 201);
        assert_eq!(t.unwrap(u32::MAX), a + 100);
        assert_eq!(t.last(), Some(a + 100));
    }

    proptest! {
        #[test]
        fn unwrap_follows_any_walk_of_small_steps(start: u16, steps in proptest::collection::vec(-1000i32..1000, 1..200)) {
            let mut u = SequenceUnwrapper::new();
            let mut truth = 0x1_0000i64 + i64::from(start);
            prop_assert_eq!(u.unwrap(start) as i64, truth);
            for step in steps {
                truth += i64::from(step);
                prop_assert_eq!(u.unwrap(truth as u16) as i64, truth);
            }
        }
    }
}
