//! Generic NACK: the sequence numbers a receiver asks to be sent again.
//!
//! <https://www.rfc-editor.org/rfc/rfc4585#section-6.2.1>

use crate::list::{Item, chunk, put};
use crate::rtcp::header::{TRANSPORT_FEEDBACK, feedback_with_entries, transport_format};

const WHAT: &str = "generic NACK";

/// One NACK entry: a packet id and a bitmask of the 16 following ones.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct NackEntry {
    /// PID: the first lost sequence number.
    pub packet_id: u16,
    /// BLP: bit i set means `packet_id + i + 1` is lost too.
    pub lost_bitmask: u16,
}

impl Item for NackEntry {
    const SIZE: usize = 4;
    #[inline]
    fn decode(bytes: &[u8]) -> Self {
        let [a, b, c, d] = chunk::<4>(bytes);
        Self {
            packet_id: u16::from_be_bytes([a, b]),
            lost_bitmask: u16::from_be_bytes([c, d]),
        }
    }
    #[inline]
    fn encode(&self, out: &mut [u8]) {
        let [a, b] = self.packet_id.to_be_bytes();
        let [c, d] = self.lost_bitmask.to_be_bytes();
        put(out, [a, b, c, d]);
    }
}

impl NackEntry {
    /// The lost sequence numbers this entry names, in order.
    #[inline]
    pub fn lost(&self) -> NackEntryLost {
        NackEntryLost {
            packet_id: self.packet_id,
            remaining: (u32::from(self.lost_bitmask) << 1) | 1,
        }
    }

    /// Packs lost sequence numbers into entries. The input should be in
    /// increasing order (on the 16-bit circle); a number that is not after
    /// the current entry's PID starts a new entry.
    pub fn pack<I: IntoIterator<Item = u16>>(lost: I) -> NackPacker<I::IntoIter> {
        NackPacker {
            lost: lost.into_iter(),
            pending: None,
        }
    }
}

/// Iterator over the sequence numbers of one [`NackEntry`].
#[derive(Debug, Clone)]
pub struct NackEntryLost {
    packet_id: u16,
    remaining: u32,
}

impl Iterator for NackEntryLost {
    type Item = u16;
    #[inline]
    fn next(&mut self) -> Option<u16> {
        if self.remaining == 0 {
            return None;
        }
        let bit = self.remaining.trailing_zeros();
        self.remaining &= self.remaining - 1;
        Some(self.packet_id.wrapping_add(bit as u16))
    }
}

/// Iterator that packs lost sequence numbers into [`NackEntry`]s.
#[derive(Debug, Clone)]
pub struct NackPacker<I> {
    lost: I,
    pending: Option<u16>,
}

impl<I: Iterator<Item = u16>> Iterator for NackPacker<I> {
    type Item = NackEntry;
    fn next(&mut self) -> Option<NackEntry> {
        let packet_id = self.pending.take().or_else(|| self.lost.next())?;
        let mut entry = NackEntry {
            packet_id,
            lost_bitmask: 0,
        };
        for seq in self.lost.by_ref() {
            let offset = seq.wrapping_sub(packet_id);
            if (1..=16).contains(&offset) {
                entry.lost_bitmask |= 1 << (offset - 1);
            } else if offset != 0 {
                self.pending = Some(seq);
                break;
            }
        }
        Some(entry)
    }
}

feedback_with_entries! {
    /// A generic NACK packet.
    pub struct Nack {
        /// SSRC of the media source the NACK is about.
        media_ssrc,
        /// The entries.
        entries: NackEntry,
    }
    packet_type: TRANSPORT_FEEDBACK,
    format: transport_format::NACK,
    what: WHAT,
    accepts: |fci| !fci.is_empty() && fci.remaining() % NackEntry::SIZE == 0,
    otherwise: "FCI empty or not a whole number of 4-byte entries",
}

impl<'a> Nack<'a> {
    /// Every lost sequence number, entry by entry.
    #[inline]
    pub fn lost_sequence_numbers(&self) -> impl Iterator<Item = u16> + 'a {
        self.entries.iter().flat_map(|e| e.lost())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::list::List;
    use crate::test_hex as hex;
    use alloc::vec::Vec;

    #[test]
    fn nack_round_trip_and_lost_list() {
        let bytes = hex("81cd0004 00000001 00000002 fffe0005 00100000");
        let nack = Nack::parse(&bytes).unwrap();
        assert_eq!(nack.sender_ssrc, 1);
        assert_eq!(nack.media_ssrc, 2);
        assert_eq!(
            nack.entries,
            List::new(&[
                NackEntry {
                    packet_id: 0xfffe,
                    lost_bitmask: 5
                },
                NackEntry {
                    packet_id: 0x10,
                    lost_bitmask: 0
                }
            ])
        );
        let lost: Vec<u16> = nack.lost_sequence_numbers().collect();
        assert_eq!(lost, [0xfffe, 0xffff, 1, 0x10]);
        let mut out = [0u8; 32];
        let n = nack.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);

        let packed: Vec<NackEntry> = NackEntry::pack(lost.iter().copied()).collect();
        assert_eq!(nack.entries, List::new(&packed));
        assert!(Nack::parse(&hex("81cd0002 00000001 00000002")).is_err());
        // Found by fuzzing: padding (here one byte) that leaves part of an
        // entry is refused, as a packet without entries is; the entries
        // could not be written back.
        assert!(Nack::parse(&hex("a1cd0003 00000200 21000042 00000001")).is_err());
        assert!(Nack::parse(&hex("a1cd0004 00000200 21000042 00640000 00000004")).is_ok());
    }

    #[test]
    fn packing_spans_several_entries() {
        let lost: Vec<u16> = (100..140).chain([140, 140, 500]).collect();
        let entries: Vec<NackEntry> = NackEntry::pack(lost.iter().copied()).collect();
        assert_eq!(entries.len(), 4);
        assert_eq!(entries[0].packet_id, 100);
        assert_eq!(entries[0].lost_bitmask, 0xffff);
        assert_eq!(entries[1].packet_id, 117);
        assert_eq!(entries[2].packet_id, 134);
        assert_eq!(entries[2].lost_bitmask, 0b11_1111);
        let back: Vec<u16> = entries.iter().flat_map(NackEntry::lost).collect();
        let mut expected = lost.clone();
        expected.dedup();
        assert_eq!(back, expected);
    }
}
