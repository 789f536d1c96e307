//! `t=`, `r=` and `z=` lines with typed times.

use alloc::vec::Vec;
use core::fmt;

use crate::line::Line;
use crate::token::{fields, number, split_once};

/// The unit letter of a typed time (`d`, `h`, `m`, `s`, or none).
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.10>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    /// No letter: seconds.
    None,
    /// `d`: days.
    Days,
    /// `h`: hours.
    Hours,
    /// `m`: minutes.
    Minutes,
    /// `s`: seconds, written explicitly.
    Seconds,
}

/// A typed time such as `7d`, `-1h` or `3600`.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TypedTime {
    /// The number as written (negative only in `z=` offsets).
    pub value: i64,
    /// The unit letter.
    pub unit: TimeUnit,
}

impl TypedTime {
    /// A duration in seconds, written without a unit.
    pub fn seconds(value: i64) -> Self {
        Self {
            value,
            unit: TimeUnit::None,
        }
    }

    fn parse(text: &str, signed: bool) -> Result<Self, &'static str> {
        let (negative, text) = match text.strip_prefix('-') {
            Some(rest) if signed => (true, rest),
            _ => (false, text),
        };
        let (digits, unit) = match text.as_bytes().last() {
            Some(b'd') => (text.strip_suffix('d'), TimeUnit::Days),
            Some(b'h') => (text.strip_suffix('h'), TimeUnit::Hours),
            Some(b'm') => (text.strip_suffix('m'), TimeUnit::Minutes),
            Some(b's') => (text.strip_suffix('s'), TimeUnit::Seconds),
            _ => (Some(text), TimeUnit::None),
        };
        let value: i64 = digits
            .and_then(number)
            .ok_or("a typed time (digits and an optional d, h, m or s)")?;
        Ok(Self {
            value: if negative { -value } else { value },
            unit,
        })
    }

    /// The time in seconds (saturating).
    pub fn as_seconds(&self) -> i64 {
        let factor = match self.unit {
            TimeUnit::None | TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3600,
            TimeUnit::Days => 86_400,
        };
        self.value.saturating_mul(factor)
    }
}

impl fmt::Display for TypedTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.value)?;
        f.write_str(match self.unit {
            TimeUnit::None => "",
            TimeUnit::Days => "d",
            TimeUnit::Hours => "h",
            TimeUnit::Minutes => "m",
            TimeUnit::Seconds => "s",
        })
    }
}

/// `t=<start-time> <stop-time>`, NTP seconds; `0 0` is an unbounded session.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.9>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timing {
    /// Start time (NTP seconds), 0 for unbounded.
    pub start: u64,
    /// Stop time (NTP seconds), 0 for unbounded.
    pub stop: u64,
}

impl Timing {
    /// Parses the text after `t=`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let (start, stop) = split_once(text, b' ').ok_or("`t=<start-time> <stop-time>`")?;
        Ok(Self {
            start: number(start).ok_or("a start time in NTP seconds")?,
            stop: number(stop).ok_or("a stop time in NTP seconds")?,
        })
    }
}

impl fmt::Display for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.start, self.stop)
    }
}

/// `r=<repeat interval> <active duration> <offsets from start-time>`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.10>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repeat {
    /// Repeat interval.
    pub interval: TypedTime,
    /// Active duration.
    pub duration: TypedTime,
    /// Offsets from the start time (at least one).
    pub offsets: Vec<TypedTime>,
}

impl Repeat {
    /// Parses the text after `r=`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        let mut columns = fields(text, b' ');
        let mut next = || {
            columns
                .next()
                .ok_or("`r=<interval> <duration> <offset>...`")
        };
        let interval = TypedTime::parse(next()?, false)?;
        let duration = TypedTime::parse(next()?, false)?;
        let offsets = text
            .splitn(3, ' ')
            .nth(2)
            .ok_or("at least one offset")?
            .split(' ')
            .map(|o| TypedTime::parse(o, false))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            interval,
            duration,
            offsets,
        })
    }
}

impl fmt::Display for Repeat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.interval, self.duration)?;
        for offset in &self.offsets {
            write!(f, " {offset}")?;
        }
        Ok(())
    }
}

/// One `<adjustment time> <offset>` pair of a `z=` line.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeZoneAdjustment {
    /// When the adjustment happens (NTP seconds).
    pub time: u64,
    /// The offset to apply, possibly negative.
    pub offset: TypedTime,
}

/// `z=<adjustment time> <offset> ...`.
/// <https://www.rfc-editor.org/rfc/rfc8866#section-5.11>
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeZones {
    /// The adjustments (at least one).
    pub adjustments: Vec<TimeZoneAdjustment>,
}

impl TimeZones {
    /// Parses the text after `z=`.
    pub fn parse(text: &str) -> Result<Self, &'static str> {
        const EXPECTED: &str = "`z=<adjustment time> <offset>` pairs";
        let mut columns = fields(text, b' ');
        let mut adjustments = Vec::new();
        while let Some(time) = columns.next() {
            let offset = columns.next().ok_or(EXPECTED)?;
            adjustments.push(TimeZoneAdjustment {
                time: number(time).ok_or("an adjustment time in NTP seconds")?,
                offset: TypedTime::parse(offset, true)?,
            });
        }
        Ok(Self { adjustments })
    }
}

impl fmt::Display for TimeZones {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, adjustment) in self.adjustments.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{} {}", adjustment.time, adjustment.offset)?;
        }
        Ok(())
    }
}

/// A `t=` line and the `r=` lines after it.
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeDescription<'a> {
    /// The `t=` line.
    pub timing: Line<'a, Timing>,
    /// Its `r=` lines.
    pub repeats: Vec<Line<'a, Repeat>>,
}

impl TimeDescription<'_> {
    /// An owned copy.
    pub fn into_owned(self) -> TimeDescription<'static> {
        TimeDescription {
            timing: self.timing.map_owned(|t| t),
            repeats: self
                .repeats
                .into_iter()
                .map(|r| r.map_owned(|r| r))
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn repeat_with_units() {
        // RFC 8866 section 5.10.
        let r = Repeat::parse("7d 1h 0 25h").unwrap();
        assert_eq!(r.interval.as_seconds(), 604_800);
        assert_eq!(r.duration.as_seconds(), 3600);
        assert_eq!(r.offsets.len(), 2);
        assert_eq!(r.offsets[1].as_seconds(), 90_000);
        assert_eq!(r.to_string(), "7d 1h 0 25h");
        assert!(Repeat::parse("7d 1h").is_err());
        assert!(Repeat::parse("7d -1h 0").is_err());
    }

    #[test]
    fn time_zones_with_negative_offsets() {
        let z = TimeZones::parse("2882844526 -1h 2898848070 0").unwrap();
        assert_eq!(z.adjustments.len(), 2);
        assert_eq!(z.adjustments[0].offset.as_seconds(), -3600);
        assert_eq!(z.to_string(), "2882844526 -1h 2898848070 0");
        assert!(TimeZones::parse("2882844526").is_err());
    }

    #[test]
    fn timing() {
        let t = Timing::parse("3034423619 3042462419").unwrap();
        assert_eq!((t.start, t.stop), (3_034_423_619, 3_042_462_419));
        assert_eq!(t.to_string(), "3034423619 3042462419");
        assert!(Timing::parse("0").is_err());
        assert!(Timing::parse("0 0 0").is_err());
    }
}
