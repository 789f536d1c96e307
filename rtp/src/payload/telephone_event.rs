//! Telephone events (DTMF digits and other telephony signals) over RTP,
//! `telephone-event`.
//!
//! A payload holds one or more 4-byte event reports. The RTP timestamp is
//! the event's start; packets are sent while the key is held, with the
//! duration growing, and the last report (E bit set) is usually sent three
//! times. The marker bit is set on the first packet of an event.
//!
//! <https://www.rfc-editor.org/rfc/rfc4733#section-2.3>

use alloc::vec::Vec;

use crate::cursor::Writer;
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::payload::{Depacketizer, FrameInfo, Packetizer, PayloadInfo, Payloads};

const WHAT: &str = "telephone-event payload";
/// Size of one event report.
pub const EVENT_LEN: usize = 4;

/// One event report.
///
/// <https://www.rfc-editor.org/rfc/rfc4733#section-2.3>
///
/// ```
/// use sansrtc_rtp::payload::telephone_event::TelephoneEvent;
/// let five = TelephoneEvent::from_dtmf('5').unwrap();
/// let report = TelephoneEvent { end: true, volume: 10, duration: 800, ..five };
/// let mut buf = [0u8; 4];
/// report.write_to(&mut buf).unwrap();
/// assert_eq!(buf, [0x05, 0x8a, 0x03, 0x20]);
/// assert_eq!(TelephoneEvent::parse(&buf).unwrap(), report);
/// assert_eq!(report.dtmf(), Some('5'));
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct TelephoneEvent {
    /// The event code (0–9, 10 for `*`, 11 for `#`, 12–15 for A–D, 16 for
    /// flash; other codes per the IANA registry).
    pub event: u8,
    /// The E bit: this report ends the event.
    pub end: bool,
    /// The R bit (reserved): sent as zero, kept as received.
    pub reserved: bool,
    /// Power level of the tone, 0 to -63 dBm0, as a positive number (6
    /// bits).
    pub volume: u8,
    /// Duration so far, in RTP timestamp units.
    pub duration: u16,
}

impl TelephoneEvent {
    /// The event for a DTMF key: `0`–`9`, `*`, `#`, `A`–`D`.
    pub fn from_dtmf(key: char) -> Option<Self> {
        let event = match key {
            '0'..='9' => key as u8 - b'0',
            '*' => 10,
            '#' => 11,
            'A'..='D' => key as u8 - b'A' + 12,
            'a'..='d' => key as u8 - b'a' + 12,
            _ => return None,
        };
        Some(Self {
            event,
            ..Self::default()
        })
    }

    /// The DTMF key of the event, if it is one.
    pub fn dtmf(&self) -> Option<char> {
        match self.event {
            0..=9 => Some(char::from(b'0' + self.event)),
            10 => Some('*'),
            11 => Some('#'),
            12..=15 => Some(char::from(b'A' + self.event - 12)),
            _ => None,
        }
    }

    /// Reads one report from exactly [`EVENT_LEN`] bytes.
    pub fn parse(bytes: &[u8]) -> Result<Self, ParseError> {
        let &[event, flags, d0, d1] =
            bytes
                .first_chunk::<EVENT_LEN>()
                .ok_or(ParseError::Truncated {
                    what: WHAT,
                    needed: EVENT_LEN,
                    have: bytes.len(),
                })?;
        if bytes.len() != EVENT_LEN {
            return Err(invalid(WHAT, "an event report is 4 bytes"));
        }
        Ok(Self {
            event,
            end: flags & 0x80 != 0,
            reserved: flags & 0x40 != 0,
            volume: flags & 0x3f,
            duration: u16::from_be_bytes([d0, d1]),
        })
    }

    /// Writes the report; errors when `buf` is short or the volume does not
    /// fit in 6 bits.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        if self.volume > 0x3f {
            return Err(write_invalid(WHAT, "volume above 63"));
        }
        let mut w = Writer::with_capacity(buf, EVENT_LEN)?;
        w.u8(self.event)?;
        w.u8(u8::from(self.end) << 7 | u8::from(self.reserved) << 6 | self.volume)?;
        w.u16(self.duration)?;
        Ok(w.written())
    }
}

/// The event reports of a payload, read in place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TelephoneEvents<'a> {
    bytes: &'a [u8],
}

impl<'a> TelephoneEvents<'a> {
    /// Checks that `payload` is one or more whole event reports.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        if payload.len() < EVENT_LEN {
            return Err(ParseError::Truncated {
                what: WHAT,
                needed: EVENT_LEN,
                have: payload.len(),
            });
        }
        if payload.len() % EVENT_LEN != 0 {
            return Err(invalid(WHAT, "not a whole number of 4-byte reports"));
        }
        Ok(Self { bytes: payload })
    }

    /// Number of reports.
    pub const fn len(&self) -> usize {
        self.bytes.len() / EVENT_LEN
    }

    /// Whether there are none (never, after [`parse`](Self::parse)).
    pub const fn is_empty(&self) -> bool {
        self.bytes.len() < EVENT_LEN
    }

    /// The reports, in order.
    pub fn iter(&self) -> impl Iterator<Item = TelephoneEvent> + 'a {
        self.bytes
            .chunks_exact(EVENT_LEN)
            .filter_map(|chunk| TelephoneEvent::parse(chunk).ok())
    }
}

/// Packetizes event reports: the frame is one or more 4-byte reports
/// (written with [`TelephoneEvent::write_to`]), sent as one payload; the
/// timestamp is the event's start.
///
/// The marker bit is set when the timestamp differs from the previous
/// packet's: the first packet of a new event.
#[derive(Debug, Clone, Default)]
pub struct TelephoneEventPacketizer {
    last_timestamp: Option<u32>,
}

impl TelephoneEventPacketizer {
    /// A packetizer that has sent nothing.
    pub const fn new() -> Self {
        Self {
            last_timestamp: None,
        }
    }
}

impl Packetizer for TelephoneEventPacketizer {
    fn packetize(
        &mut self,
        frame: &[u8],
        timestamp: u32,
        max_payload_len: usize,
        out: &mut Payloads,
    ) -> Result<(), WriteError> {
        out.clear();
        TelephoneEvents::parse(frame)
            .map_err(|_| write_invalid(WHAT, "not a whole number of 4-byte reports"))?;
        let marker = self.last_timestamp != Some(timestamp);
        super::packetize_whole(WHAT, frame, max_payload_len, marker, out)?;
        self.last_timestamp = Some(timestamp);
        Ok(())
    }
}

/// Reads telephone-event payloads: each is one frame of reports.
#[derive(Debug, Clone, Default)]
pub struct TelephoneEventDepacketizer {
    _private: (),
}

impl TelephoneEventDepacketizer {
    /// A depacketizer.
    pub const fn new() -> Self {
        Self { _private: () }
    }
}

impl Depacketizer for TelephoneEventDepacketizer {
    fn payload_info(&self, payload: &[u8]) -> Result<PayloadInfo, ParseError> {
        TelephoneEvents::parse(payload)?;
        Ok(PayloadInfo::WHOLE)
    }

    fn depacketize(&mut self, payload: &[u8], frame: &mut Vec<u8>) -> Result<(), ParseError> {
        TelephoneEvents::parse(payload)?;
        frame.extend_from_slice(payload);
        Ok(())
    }

    fn finish_frame(&mut self, frame: &mut Vec<u8>) -> Result<FrameInfo, ParseError> {
        TelephoneEvents::parse(frame)?;
        Ok(FrameInfo::new(true))
    }

    fn reset(&mut self) {}

    fn frames_are_independent(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;

    #[test]
    fn reports_round_trip() {
        // '#', end, reserved bit set, volume 63, duration 0xffff; then
        // flash (16), not ended, volume 0, duration 160.
        let bytes = hex("0b ff ffff  10 00 00a0");
        let events = TelephoneEvents::parse(&bytes).unwrap();
        assert_eq!(events.len(), 2);
        let list: Vec<_> = events.iter().collect();
        assert_eq!(
            list[0],
            TelephoneEvent {
                event: 11,
                end: true,
                reserved: true,
                volume: 63,
                duration: 0xffff
            }
        );
        assert_eq!(list[0].dtmf(), Some('#'));
        assert_eq!(list[1].dtmf(), None);
        assert_eq!(list[1].duration, 160);
        let mut out = [0u8; 8];
        list[0].write_to(&mut out[..4]).unwrap();
        list[1].write_to(&mut out[4..]).unwrap();
        assert_eq!(&out[..], &bytes[..]);
        assert!(TelephoneEvents::parse(&hex("0b ff ff")).is_err());
        assert!(TelephoneEvents::parse(&hex("0b ff ffff 00")).is_err());
        let bad_volume = TelephoneEvent {
            volume: 64,
            ..list[1]
        };
        assert!(bad_volume.write_to(&mut out).is_err());
        assert!(list[1].write_to(&mut out[..3]).is_err());
    }

    #[test]
    fn dtmf_keys() {
        for (key, code) in [
            ('0', 0),
            ('9', 9),
            ('*', 10),
            ('#', 11),
            ('A', 12),
            ('d', 15),
        ] {
            let event = TelephoneEvent::from_dtmf(key).unwrap();
            assert_eq!(event.event, code);
            assert_eq!(event.dtmf(), Some(key.to_ascii_uppercase()));
        }
        assert_eq!(TelephoneEvent::from_dtmf('x'), None);
    }

    #[test]
    fn the_first_packet_of_an_event_is_marked() {
        let mut p = TelephoneEventPacketizer::new();
        let mut out = Payloads::new();
        let mut report = [0u8; 4];
        let mut event = TelephoneEvent::from_dtmf('1').unwrap();
        let mut markers = Vec::new();
        for duration in [160u16, 320, 480, 480, 480] {
            event.duration = duration;
            event.end = duration == 480;
            event.write_to(&mut report).unwrap();
            p.packetize(&report, 8000, 1200, &mut out).unwrap();
            markers.push(out.get(0).unwrap().marker);
        }
        // The next key press starts a new event.
        p.packetize(&report, 9000, 1200, &mut out).unwrap();
        markers.push(out.get(0).unwrap().marker);
        assert_eq!(markers, [true, false, false, false, false, true]);
        assert!(p.packetize(&report[..3], 9000, 1200, &mut out).is_err());

        let mut d = TelephoneEventDepacketizer::new();
        let mut frame = Vec::new();
        d.depacketize_frame([&report[..]], &mut frame).unwrap();
        assert_eq!(frame, report);
        assert!(d.payload_info(&[1, 2]).is_err());
    }
}
