//! NTP timestamps as RTCP carries them: the 64-bit form in sender reports
//! and the compact 32-bit form in LSR and DLSR.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-4>

use core::time::Duration;

/// Seconds from the NTP epoch (1900-01-01) to the Unix epoch (1970-01-01).
pub const UNIX_EPOCH_OFFSET_SECS: u64 = 2_208_988_800;

/// A 64-bit NTP timestamp: seconds since 1900 in the high 32 bits, the
/// fraction in the low 32 bits.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct NtpTime(pub u64);

impl NtpTime {
    /// From the two 32-bit words of a sender report.
    pub const fn from_parts(seconds: u32, fraction: u32) -> Self {
        Self(((seconds as u64) << 32) | fraction as u64)
    }

    /// The seconds word.
    pub const fn seconds(self) -> u32 {
        (self.0 >> 32) as u32
    }

    /// The fraction word.
    pub const fn fraction(self) -> u32 {
        self.0 as u32
    }

    /// The middle 32 bits, as carried in LSR.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1>
    pub const fn compact(self) -> u32 {
        (self.0 >> 16) as u32
    }

    /// From the time since the Unix epoch.
    pub const fn from_unix(since_unix_epoch: Duration) -> Self {
        Self::from_ntp_duration(Duration::from_secs(
            since_unix_epoch.as_secs() + UNIX_EPOCH_OFFSET_SECS,
        ))
        .add_nanos(since_unix_epoch.subsec_nanos())
    }

    const fn add_nanos(self, nanos: u32) -> Self {
        Self(self.0 + (((nanos as u64) << 32) / 1_000_000_000))
    }

    /// From the time since the NTP epoch.
    pub const fn from_ntp_duration(since_ntp_epoch: Duration) -> Self {
        let secs = since_ntp_epoch.as_secs() as u32;
        let frac = ((since_ntp_epoch.subsec_nanos() as u64) << 32) / 1_000_000_000;
        Self(((secs as u64) << 32) | frac)
    }

    /// The time since the NTP epoch (to the nanosecond, rounded down).
    pub const fn to_ntp_duration(self) -> Duration {
        let nanos = ((self.fraction() as u64) * 1_000_000_000) >> 32;
        Duration::new(self.seconds() as u64, nanos as u32)
    }

    /// The time since the Unix epoch, or `None` before 1970.
    pub const fn to_unix(self) -> Option<Duration> {
        self.to_ntp_duration()
            .checked_sub(Duration::from_secs(UNIX_EPOCH_OFFSET_SECS))
    }

    /// From a system time (seconds before 1970 saturate to the epoch).
    #[cfg(feature = "std")]
    pub fn from_system_time(time: std::time::SystemTime) -> Self {
        Self::from_unix(
            time.duration_since(std::time::UNIX_EPOCH)
                .unwrap_or_default(),
        )
    }
}

/// A duration in the compact 16.16 NTP format of DLSR (units of 1/65536 s),
/// saturating at `u32::MAX`.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.4.1>
pub fn duration_to_compact(duration: Duration) -> u32 {
    let units = (u128::from(duration.as_secs()) << 16)
        + ((u128::from(duration.subsec_nanos()) << 16) / 1_000_000_000);
    u32::try_from(units).unwrap_or(u32::MAX)
}

/// A compact 16.16 NTP duration (DLSR, or a round-trip time) as a
/// [`Duration`].
pub fn compact_to_duration(compact: u32) -> Duration {
    let secs = u64::from(compact >> 16);
    let nanos = (u64::from(compact & 0xffff) * 1_000_000_000) >> 16;
    Duration::new(secs, nanos as u32)
}

/// The round-trip time from a report block received at `arrival` (compact
/// NTP) that carries `lsr` and `dlsr`: `arrival - lsr - dlsr`, per
/// RFC 3550 §6.4.1. `None` when LSR is zero (no SR received yet).
pub fn round_trip_time(arrival: u32, lsr: u32, dlsr: u32) -> Option<Duration> {
    if lsr == 0 {
        return None;
    }
    let rtt = arrival.wrapping_sub(lsr).wrapping_sub(dlsr);
    // A negative result (clock skew) wraps to a huge value: reject it.
    if rtt > 0x8000_0000 {
        return None;
    }
    Some(compact_to_duration(rtt))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn converts_between_unix_and_ntp() {
        // 2020-01-01T00:00:00.5Z
        let unix = Duration::from_millis(1_577_836_800_500);
        let ntp = NtpTime::from_unix(unix);
        assert_eq!(ntp.seconds(), 3_786_825_600);
        assert_eq!(ntp.fraction(), 0x8000_0000);
        assert_eq!(ntp.to_unix(), Some(unix));
        assert_eq!(NtpTime::from_parts(1, 2).0, (1 << 32) | 2);
        assert_eq!(NtpTime(0x1234_5678_9abc_def0).compact(), 0x5678_9abc);
        assert_eq!(NtpTime(0).to_unix(), None);
    }

    #[test]
    fn compact_durations_and_rtt() {
        assert_eq!(
            duration_to_compact(Duration::from_millis(1500)),
            0x0001_8000
        );
        assert_eq!(
            compact_to_duration(0x0001_8000),
            Duration::from_millis(1500)
        );
        assert_eq!(duration_to_compact(Duration::from_secs(1 << 20)), u32::MAX);
        // RFC 3550 §6.4.1 example: A=0xb710_8000 (46864.500), LSR=0xb705_2000
        // (46853.125), DLSR=0x0005_4000 (5.250) gives 6.125 s.
        assert_eq!(
            round_trip_time(0xb710_8000, 0xb705_2000, 0x0005_4000),
            Some(Duration::from_millis(6125))
        );
        assert_eq!(round_trip_time(5, 0, 0), None);
        assert_eq!(round_trip_time(5, 10, 0), None);
    }
}
