//! Retransmission: a bounded send-side buffer of recent packets and the
//! RTX payload format that carries them again (RFC 4588).
//!
//! <https://www.rfc-editor.org/rfc/rfc4588#section-4>

use alloc::vec::Vec;

use crate::error::{ParseError, WriteError, invalid};
use crate::rtp::{Builder, Element, Packet};

/// Largest packet the buffer keeps (an RTP packet in one UDP datagram).
pub const MAX_STORED_PACKET_LEN: usize = 1500;
/// Most packets a buffer can be asked to keep.
pub const MAX_CAPACITY: usize = 1 << 15;

/// The original sequence number and payload carried by an RTX packet.
///
/// <https://www.rfc-editor.org/rfc/rfc4588#section-4>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RtxPayload<'a> {
    /// OSN: the sequence number of the packet being repaired.
    pub original_sequence_number: u16,
    /// The original payload.
    pub payload: &'a [u8],
}

impl<'a> RtxPayload<'a> {
    /// Reads the payload of an RTX packet.
    pub fn parse(payload: &'a [u8]) -> Result<Self, ParseError> {
        let (osn, payload) = payload
            .split_first_chunk::<2>()
            .ok_or(ParseError::Truncated {
                what: "RTX payload",
                needed: 2,
                have: payload.len(),
            })?;
        Ok(Self {
            original_sequence_number: u16::from_be_bytes(*osn),
            payload,
        })
    }
}

#[derive(Debug, Clone, Default)]
struct Slot {
    sequence_number: u16,
    bytes: Vec<u8>,
    used: bool,
}

/// Keeps the last packets sent, by sequence number, to answer NACKs.
///
/// Memory is bounded: `capacity` slots of at most
/// [`MAX_STORED_PACKET_LEN`] bytes, allocated as packets arrive and then
/// reused.
#[derive(Debug, Clone)]
pub struct RetransmissionBuffer {
    slots: Vec<Slot>,
    rtx_ssrc: u32,
    rtx_sequence_number: u16,
}

impl RetransmissionBuffer {
    /// A buffer keeping the last `capacity` packets (1..=[`MAX_CAPACITY`];
    /// other values are clamped), that resends them on `rtx_ssrc` starting
    /// at sequence number `first_rtx_sequence_number`.
    pub fn new(capacity: usize, rtx_ssrc: u32, first_rtx_sequence_number: u16) -> Self {
        let capacity = capacity.clamp(1, MAX_CAPACITY);
        let mut slots = Vec::new();
        slots.resize_with(capacity, Slot::default);
        Self {
            slots,
            rtx_ssrc,
            rtx_sequence_number: first_rtx_sequence_number,
        }
    }

    fn index(&self, sequence_number: u16) -> usize {
        usize::from(sequence_number) % self.slots.len()
    }

    /// Stores a packet being sent; it replaces whatever packet had the same
    /// slot.
    pub fn store(&mut self, packet: &[u8]) -> Result<(), ParseError> {
        if packet.len() > MAX_STORED_PACKET_LEN {
            return Err(invalid(
                "retransmission buffer",
                "packet longer than 1500 bytes",
            ));
        }
        let sequence_number = Packet::new_checked(packet)?.sequence_number();
        let index = self.index(sequence_number);
        if let Some(slot) = self.slots.get_mut(index) {
            slot.bytes.clear();
            slot.bytes.extend_from_slice(packet);
            slot.sequence_number = sequence_number;
            slot.used = true;
        }
        Ok(())
    }

    /// The stored packet with this sequence number.
    pub fn get(&self, sequence_number: u16) -> Option<&[u8]> {
        let slot = self.slots.get(self.index(sequence_number))?;
        (slot.used && slot.sequence_number == sequence_number).then_some(&slot.bytes[..])
    }

    /// Writes the RTX packet repairing `sequence_number` into `buf`: the
    /// original header with the RTX SSRC, `rtx_payload_type` and the next
    /// RTX sequence number, then the original sequence number and payload.
    /// `Ok(None)` when the packet is no longer stored.
    pub fn write_rtx(
        &mut self,
        sequence_number: u16,
        rtx_payload_type: u8,
        buf: &mut [u8],
    ) -> Result<Option<usize>, WriteError> {
        self.write(sequence_number, rtx_payload_type, None, buf)
    }

    /// Like [`write_rtx`](Self::write_rtx), with `elements` as the RTX
    /// packet's header extension instead of the original's (no extension
    /// when it is empty). A simulcast sender names the stream an RTX
    /// packet repairs with the repaired-rtp-stream-id extension, and must
    /// not repeat the original's rtp-stream-id on the RTX stream.
    ///
    /// <https://www.rfc-editor.org/rfc/rfc8852#section-3.2>
    pub fn write_rtx_with_extensions(
        &mut self,
        sequence_number: u16,
        rtx_payload_type: u8,
        elements: &[Element<'_>],
        buf: &mut [u8],
    ) -> Result<Option<usize>, WriteError> {
        self.write(sequence_number, rtx_payload_type, Some(elements), buf)
    }

    fn write(
        &mut self,
        sequence_number: u16,
        rtx_payload_type: u8,
        elements: Option<&[Element<'_>]>,
        buf: &mut [u8],
    ) -> Result<Option<usize>, WriteError> {
        let Some(stored) = self.get(sequence_number) else {
            return Ok(None);
        };
        let Ok(original) = Packet::new_checked(stored) else {
            return Ok(None);
        };
        let payload = original.payload_slice();
        let osn = sequence_number.to_be_bytes();
        let builder = match elements {
            None => original.to_builder(),
            Some(elements) => {
                let builder = Builder::new()
                    .marker(original.marker())
                    .timestamp(original.timestamp())
                    .csrc_list(original.csrc_list());
                if elements.is_empty() {
                    builder
                } else {
                    builder.extensions(elements)
                }
            }
        }
        .payload_type(rtx_payload_type)
        .ssrc(self.rtx_ssrc)
        .sequence_number(self.rtx_sequence_number)
        .padding(0)
        .payload(&[]);
        let header_len = builder.encoded_len();
        let total = header_len + 2 + payload.len();
        let Some(out) = buf.get_mut(..total) else {
            return Err(WriteError::BufferTooSmall {
                needed: total,
                have: buf.len(),
            });
        };
        let written = builder.write_to(out)?;
        let rest = out.get_mut(written..).unwrap_or_default();
        if let Some((head, tail)) = rest.split_first_chunk_mut::<2>() {
            *head = osn;
            tail.copy_from_slice(payload);
        }
        self.rtx_sequence_number = self.rtx_sequence_number.wrapping_add(1);
        Ok(Some(total))
    }

    /// The RTX sequence number the next RTX packet will carry.
    pub const fn next_rtx_sequence_number(&self) -> u16 {
        self.rtx_sequence_number
    }
}

/// Rebuilds the original packet from an RTX packet, given the original
/// SSRC and payload type: writes it into `buf` and returns its length.
pub fn write_original(
    rtx_packet: &Packet<&[u8]>,
    original_ssrc: u32,
    original_payload_type: u8,
    buf: &mut [u8],
) -> Result<usize, RtxError> {
    let rtx = RtxPayload::parse(rtx_packet.payload_slice())?;
    let builder: Builder<'_> = rtx_packet
        .to_builder()
        .ssrc(original_ssrc)
        .payload_type(original_payload_type)
        .sequence_number(rtx.original_sequence_number)
        .padding(0)
        .payload(rtx.payload);
    Ok(builder.write_to(buf)?)
}

/// Why an RTX packet could not be turned back into the original.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RtxError {
    /// The RTX payload is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The output buffer is too small.
    #[error(transparent)]
    Write(#[from] WriteError),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(seq: u16, payload: &[u8]) -> Vec<u8> {
        let elements = [Element::new(3, &[0, 7])];
        let b = Builder::new()
            .marker(true)
            .payload_type(96)
            .sequence_number(seq)
            .timestamp(9000)
            .ssrc(0x1111)
            .extensions(&elements)
            .payload(payload)
            .padding(4);
        let mut v = alloc::vec![0; b.encoded_len()];
        b.write_to(&mut v).unwrap();
        v
    }

    #[test]
    fn stores_and_resends_in_rtx_format() {
        let mut buffer = RetransmissionBuffer::new(4, 0x2222, 500);
        for seq in 65534..=65535u16 {
            buffer.store(&packet(seq, &[seq as u8; 3])).unwrap();
        }
        for seq in 0..3u16 {
            buffer.store(&packet(seq, &[seq as u8; 3])).unwrap();
        }
        // Capacity 4: 65534 was overwritten by 2.
        assert!(buffer.get(65534).is_none());
        assert!(buffer.get(65535).is_some());
        let mut out = [0u8; 100];
        assert_eq!(buffer.write_rtx(65534, 97, &mut out), Ok(None));
        let n = buffer.write_rtx(65535, 97, &mut out).unwrap().unwrap();
        let rtx = Packet::parse(&out[..n]).unwrap();
        assert_eq!(rtx.ssrc(), 0x2222);
        assert_eq!(rtx.payload_type(), 97);
        assert_eq!(rtx.sequence_number(), 500);
        assert!(rtx.marker());
        assert_eq!(rtx.timestamp(), 9000);
        assert_eq!(rtx.extension().unwrap().get(3), Some(&[0, 7][..]));
        let payload = RtxPayload::parse(rtx.payload()).unwrap();
        assert_eq!(payload.original_sequence_number, 65535);
        assert_eq!(payload.payload, &[0xff; 3]);
        assert_eq!(buffer.next_rtx_sequence_number(), 501);

        // And back to the original (without its padding).
        let mut back = [0u8; 100];
        let n = write_original(&rtx, 0x1111, 96, &mut back).unwrap();
        let original = Packet::parse(&back[..n]).unwrap();
        assert_eq!(original.sequence_number(), 65535);
        assert_eq!(original.ssrc(), 0x1111);
        assert_eq!(original.payload(), &[0xff; 3]);

        assert!(matches!(
            buffer.write_rtx(1, 97, &mut out[..10]),
            Err(WriteError::BufferTooSmall { .. })
        ));
        assert!(buffer.store(&[0u8; 1501]).is_err());
        assert!(buffer.store(&[0u8; 5]).is_err());
        assert!(RtxPayload::parse(&[1]).is_err());
    }

    #[test]
    fn rtx_can_carry_other_extensions_than_the_original() {
        let mut buffer = RetransmissionBuffer::new(4, 0x2222, 500);
        buffer.store(&packet(7, &[1, 2, 3])).unwrap();
        let mut out = [0u8; 100];
        // The original's element (id 3) gives way to a repaired-rtp-stream-id.
        let elements = [Element::new(11, b"h")];
        let n = buffer
            .write_rtx_with_extensions(7, 97, &elements, &mut out)
            .unwrap()
            .unwrap();
        let rtx = Packet::parse(&out[..n]).unwrap();
        let extension = rtx.extension().unwrap();
        assert_eq!(extension.get(11), Some(&b"h"[..]));
        assert_eq!(extension.get(3), None);
        assert_eq!((rtx.ssrc(), rtx.sequence_number()), (0x2222, 500));
        assert_eq!((rtx.payload_type(), rtx.timestamp()), (97, 9000));
        assert!(rtx.marker());
        let payload = RtxPayload::parse(rtx.payload()).unwrap();
        assert_eq!(
            (payload.original_sequence_number, payload.payload),
            (7, &[1, 2, 3][..])
        );
        // None at all.
        let n = buffer
            .write_rtx_with_extensions(7, 97, &[], &mut out)
            .unwrap()
            .unwrap();
        let rtx = Packet::parse(&out[..n]).unwrap();
        assert!(rtx.extension().is_none());
        assert_eq!(rtx.sequence_number(), 501);
        assert_eq!(
            RtxPayload::parse(rtx.payload()).unwrap().payload,
            &[1, 2, 3]
        );
        assert_eq!(
            buffer.write_rtx_with_extensions(8, 97, &[], &mut out),
            Ok(None)
        );
    }

    #[test]
    fn capacity_is_bounded() {
        assert_eq!(RetransmissionBuffer::new(0, 1, 0).slots.len(), 1);
        assert_eq!(
            RetransmissionBuffer::new(usize::MAX, 1, 0).slots.len(),
            MAX_CAPACITY
        );
    }
}
