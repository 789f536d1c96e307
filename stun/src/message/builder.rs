//! Writing a message into the caller's buffer: the header, then attribute
//! by attribute with the length field kept current, so that
//! MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT cover
//! exactly what RFC 8489 §14.5–§14.7 say.
//!
//! <https://www.rfc-editor.org/rfc/rfc8489#section-14.5>

use super::header::{
    Class, HEADER_LEN, MAGIC_COOKIE, MAX_MESSAGE_LEN, Method, TransactionId, message_type,
};
use crate::attribute::{Attribute, AttributeType, padded};
use crate::error::WriteError;

/// Writes a STUN message into a caller's buffer, attribute by attribute.
///
/// The header's length field is kept up to date after every attribute, so
/// MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are computed
/// over exactly what RFC 8489 says. Writing never panics and never allocates:
/// a buffer that is too small gives [`WriteError::BufferTooSmall`].
///
/// ```
/// use sansrtc_stun::{Attribute, Class, Message, MessageBuilder, Method, TransactionId};
///
/// let mut buf = [0u8; 128];
/// let transaction_id = TransactionId::new([7; 12]);
/// let mut builder = MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, transaction_id)?;
/// builder.add(&Attribute::Username("alice:bob"))?;
/// builder.add(&Attribute::Priority(0x6e00_01ff))?;
/// builder.add_message_integrity(b"password")?;
/// builder.add_fingerprint()?;
/// let len = builder.finish();
///
/// let message = Message::parse(&buf[..len]).unwrap();
/// assert_eq!(message.username(), Some("alice:bob"));
/// message.verify_message_integrity(b"password").unwrap();
/// message.verify_fingerprint().unwrap();
/// # Ok::<(), sansrtc_stun::WriteError>(())
/// ```
#[derive(Debug)]
pub struct MessageBuilder<'b> {
    buf: &'b mut [u8],
    len: usize,
    transaction_id: TransactionId,
    has_integrity: bool,
    has_integrity_sha256: bool,
    has_fingerprint: bool,
    padding: u8,
}

/// What to put in an attribute's padding.
#[derive(Clone, Copy)]
pub(crate) enum Padding<'p> {
    Fill(u8),
    Copy(&'p [u8]),
}

impl<'b> MessageBuilder<'b> {
    /// Starts a message: writes the 20-byte header into `buf`.
    pub fn new(
        buf: &'b mut [u8],
        class: Class,
        method: Method,
        transaction_id: TransactionId,
    ) -> Result<Self, WriteError> {
        let have = buf.len();
        let header = buf
            .first_chunk_mut::<HEADER_LEN>()
            .ok_or(WriteError::BufferTooSmall {
                needed: HEADER_LEN,
                have,
            })?;
        let [t0, t1] = message_type(class, method).to_be_bytes();
        let [c0, c1, c2, c3] = MAGIC_COOKIE.to_be_bytes();
        let [i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11] = transaction_id.0;
        *header = [
            t0, t1, 0, 0, c0, c1, c2, c3, i0, i1, i2, i3, i4, i5, i6, i7, i8, i9, i10, i11,
        ];
        Ok(Self {
            buf,
            len: HEADER_LEN,
            transaction_id,
            has_integrity: false,
            has_integrity_sha256: false,
            has_fingerprint: false,
            padding: 0,
        })
    }

    /// The transaction id in the header.
    pub const fn transaction_id(&self) -> TransactionId {
        self.transaction_id
    }

    /// Bytes written so far.
    pub const fn len(&self) -> usize {
        self.len
    }

    /// Whether only the header has been written.
    pub const fn is_empty(&self) -> bool {
        self.len == HEADER_LEN
    }

    /// Appends an attribute.
    ///
    /// Use [`add_message_integrity`](Self::add_message_integrity),
    /// [`add_message_integrity_sha256`](Self::add_message_integrity_sha256)
    /// and [`add_fingerprint`](Self::add_fingerprint) for the attributes
    /// computed over the message; giving their values here is refused, as is
    /// any attribute after them (RFC 8489 §14.5–§14.7).
    pub fn add(&mut self, attribute: &Attribute<'_>) -> Result<&mut Self, WriteError> {
        match attribute.kind() {
            AttributeType::MESSAGE_INTEGRITY
            | AttributeType::MESSAGE_INTEGRITY_SHA256
            | AttributeType::FINGERPRINT => {
                return Err(WriteError::Order(
                    "integrity and fingerprint are computed: use the add_message_integrity* and add_fingerprint methods",
                ));
            }
            _ => {}
        }
        if self.has_integrity || self.has_integrity_sha256 || self.has_fingerprint {
            return Err(WriteError::Order(
                "no attribute may follow MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 or FINGERPRINT",
            ));
        }
        self.push(attribute, Padding::Fill(self.padding))
    }

    /// Sets the byte used to pad attribute values to a multiple of four
    /// (zero by default). RFC 8489 says padding may hold any value and
    /// receivers ignore it; RFC 5769's sample request pads with spaces.
    pub fn set_padding_byte(&mut self, byte: u8) -> &mut Self {
        self.padding = byte;
        self
    }

    /// Appends any attribute as given, with no ordering rule (used to write a
    /// parsed message back).
    pub(crate) fn push(
        &mut self,
        attribute: &Attribute<'_>,
        padding: Padding<'_>,
    ) -> Result<&mut Self, WriteError> {
        attribute.validate()?;
        let value_len = attribute.value_len();
        let transaction_id = self.transaction_id;
        let region = self.reserve(attribute.kind(), value_len)?;
        let (value, pad) = region.split_at_mut(value_len);
        attribute.write_value(value, &transaction_id);
        match padding {
            Padding::Fill(byte) => pad.fill(byte),
            Padding::Copy(bytes) if bytes.len() == pad.len() => pad.copy_from_slice(bytes),
            Padding::Copy(_) => pad.fill(0),
        }
        match attribute.kind() {
            AttributeType::MESSAGE_INTEGRITY => self.has_integrity = true,
            AttributeType::MESSAGE_INTEGRITY_SHA256 => self.has_integrity_sha256 = true,
            AttributeType::FINGERPRINT => self.has_fingerprint = true,
            _ => {}
        }
        Ok(self)
    }

    /// After [`push`](Self::push) wrote the attribute at `start` from its
    /// decoded value, puts back the received value bytes where they differ:
    /// only reserved fields can differ, as the value decoded from them.
    pub(crate) fn keep_reserved_bits(&mut self, start: usize, received: &[u8]) {
        let region = self.buf.get_mut(start + 4..start + 4 + received.len());
        if let Some(written) = region.filter(|written| *written != received) {
            written.copy_from_slice(received);
        }
    }

    /// Writes an attribute header, updates the length field, and returns the
    /// value region (value plus padding) for the caller to fill.
    fn reserve(&mut self, kind: AttributeType, value_len: usize) -> Result<&mut [u8], WriteError> {
        let total = 4 + padded(value_len);
        let start = self.len;
        let end = start + total;
        if end > MAX_MESSAGE_LEN {
            return Err(WriteError::MessageTooLong(end - HEADER_LEN));
        }
        let have = self.buf.len();
        if end > have {
            return Err(WriteError::BufferTooSmall { needed: end, have });
        }
        self.len = end;
        self.set_length_field();
        let region = self
            .buf
            .get_mut(start..end)
            .ok_or(WriteError::BufferTooSmall { needed: end, have })?;
        let (head, value) = region.split_at_mut(4);
        let [k0, k1] = kind.0.to_be_bytes();
        let [l0, l1] = (value_len as u16).to_be_bytes();
        head.copy_from_slice(&[k0, k1, l0, l1]);
        Ok(value)
    }

    fn set_length_field(&mut self) {
        let [l0, l1] = ((self.len - HEADER_LEN) as u16).to_be_bytes();
        if let Some(field) = self.buf.get_mut(2..4) {
            field.copy_from_slice(&[l0, l1]);
        }
    }

    /// Reserves an attribute whose value is computed over the message so
    /// far (with the length field already covering the attribute) and
    /// writes the value that `compute` returns.
    pub(crate) fn add_computed<const N: usize>(
        &mut self,
        kind: AttributeType,
        value_len: usize,
        compute: impl FnOnce(&[u8]) -> Option<[u8; N]>,
    ) -> Result<(), WriteError> {
        let start = self.len;
        self.reserve(kind, value_len)?;
        let Some(value) = compute(self.buf.get(..start).unwrap_or(&[])) else {
            // Undo the reservation so the message stays well formed.
            self.len = start;
            self.set_length_field();
            return Err(WriteError::InvalidValue {
                kind: kind.0,
                reason: "the MAC could not be computed with this key",
            });
        };
        let region = self
            .buf
            .get_mut(start + 4..start + 4 + value_len)
            .unwrap_or(&mut []);
        let n = region.len().min(N);
        if let (Some(dst), Some(src)) = (region.get_mut(..n), value.get(..n)) {
            dst.copy_from_slice(src);
        }
        match kind {
            AttributeType::MESSAGE_INTEGRITY => self.has_integrity = true,
            AttributeType::MESSAGE_INTEGRITY_SHA256 => self.has_integrity_sha256 = true,
            AttributeType::FINGERPRINT => self.has_fingerprint = true,
            _ => {}
        }
        Ok(())
    }

    pub(crate) const fn has_integrity(&self) -> bool {
        self.has_integrity
    }

    pub(crate) const fn has_integrity_sha256(&self) -> bool {
        self.has_integrity_sha256
    }

    pub(crate) const fn has_fingerprint(&self) -> bool {
        self.has_fingerprint
    }

    /// Ends the message and returns its length; the message is
    /// `buf[..len]`.
    pub fn finish(self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;

    use alloc::vec;

    use super::*;
    use crate::message::Message;
    use crate::message::tests::{TID, assert_writes_back, build, hex};

    #[test]
    fn builder_ordering_errors() {
        let mut buf = [0u8; 256];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
        assert!(builder.is_empty());
        assert_eq!(builder.transaction_id(), TID);
        // Computed attributes cannot be given by value.
        for attribute in [
            Attribute::MessageIntegrity(&[0; 20]),
            Attribute::MessageIntegritySha256(&[0; 32]),
            Attribute::Fingerprint(0),
        ] {
            assert!(matches!(builder.add(&attribute), Err(WriteError::Order(_))));
        }
        assert!(builder.is_empty());
        builder.add(&Attribute::Username("u")).unwrap();
        builder.add_message_integrity(b"k").unwrap();
        let after_integrity = builder.len();
        assert!(matches!(
            builder.add(&Attribute::Priority(1)),
            Err(WriteError::Order(_))
        ));
        assert!(matches!(
            builder.add_message_integrity(b"k"),
            Err(WriteError::Order(_))
        ));
        builder.add_message_integrity_sha256(b"k").unwrap();
        assert!(matches!(
            builder.add_message_integrity_sha256(b"k"),
            Err(WriteError::Order(_))
        ));
        assert!(matches!(
            builder.add(&Attribute::Priority(1)),
            Err(WriteError::Order(_))
        ));
        builder.add_fingerprint().unwrap();
        assert!(matches!(
            builder.add_fingerprint(),
            Err(WriteError::Order(_))
        ));
        assert!(matches!(
            builder.add_message_integrity_sha256(b"k"),
            Err(WriteError::Order(_))
        ));
        assert!(matches!(
            builder.add(&Attribute::UseCandidate),
            Err(WriteError::Order(_))
        ));
        let len = builder.finish();
        assert_eq!(len, after_integrity + 36 + 8);
        let message = Message::parse(&buf[..len]).unwrap();
        message.verify_message_integrity(b"k").unwrap();
        message.verify_message_integrity_sha256(b"k").unwrap();
        message.verify_fingerprint().unwrap();

        // MESSAGE-INTEGRITY may not follow MESSAGE-INTEGRITY-SHA256 or
        // FINGERPRINT.
        let mut buf = [0u8; 256];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
        builder.add_message_integrity_sha256(b"k").unwrap();
        assert!(matches!(
            builder.add_message_integrity(b"k"),
            Err(WriteError::Order(_))
        ));
        let mut buf = [0u8; 256];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
        builder.add_fingerprint().unwrap();
        assert!(matches!(
            builder.add_message_integrity(b"k"),
            Err(WriteError::Order(_))
        ));
    }

    #[test]
    fn builder_buffer_too_small() {
        let mut buf = [0u8; 19];
        assert_eq!(
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).map(|b| b.len()),
            Err(WriteError::BufferTooSmall {
                needed: 20,
                have: 19
            })
        );
        // Room for the header and PRIORITY only.
        let mut buf = [0u8; 28];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Request, Method::BINDING, TID).unwrap();
        assert_eq!(
            builder.add(&Attribute::Username("alice")).map(|b| b.len()),
            Err(WriteError::BufferTooSmall {
                needed: 32,
                have: 28
            })
        );
        builder.add(&Attribute::Priority(5)).unwrap();
        assert_eq!(
            builder.add_message_integrity(b"k").map(|b| b.len()),
            Err(WriteError::BufferTooSmall {
                needed: 52,
                have: 28
            })
        );
        assert_eq!(
            builder.add_message_integrity_sha256(b"k").map(|b| b.len()),
            Err(WriteError::BufferTooSmall {
                needed: 64,
                have: 28
            })
        );
        assert_eq!(
            builder.add_fingerprint().map(|b| b.len()),
            Err(WriteError::BufferTooSmall {
                needed: 36,
                have: 28
            })
        );
        // The failed additions left a well-formed message.
        let len = builder.finish();
        assert_eq!(len, 28);
        let message = Message::parse(&buf[..len]).unwrap();
        assert_eq!(message.priority(), Some(5));
        assert!(!message.has_integrity());
        assert!(!message.has_fingerprint());
    }

    #[test]
    fn builder_message_too_long() {
        let mut buf = vec![0u8; MAX_MESSAGE_LEN + 64];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Indication, Method::DATA, TID).unwrap();
        let data = vec![0u8; 65_000];
        builder.add(&Attribute::Data(&data)).unwrap();
        assert_eq!(
            builder
                .add(&Attribute::Data(&data[..1000]))
                .map(|b| b.len()),
            Err(WriteError::MessageTooLong(65_004 + 1004))
        );
        // The largest value fits exactly once the header is counted.
        let mut buf = vec![0u8; MAX_MESSAGE_LEN + 64];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Indication, Method::DATA, TID).unwrap();
        let data = vec![0u8; usize::from(u16::MAX) - 4 - 3];
        builder.add(&Attribute::Data(&data)).unwrap();
        let len = builder.finish();
        assert_eq!(len, MAX_MESSAGE_LEN - 3);
        assert_eq!(Message::parse(&buf[..len]).unwrap().data(), Some(&data[..]));
        // A value over 65535 bytes cannot be encoded at all.
        let mut buf = vec![0u8; 2 * MAX_MESSAGE_LEN];
        let mut builder =
            MessageBuilder::new(&mut buf, Class::Indication, Method::DATA, TID).unwrap();
        let data = vec![0u8; 65_536];
        assert!(matches!(
            builder.add(&Attribute::Data(&data)),
            Err(WriteError::InvalidValue { kind: 0x0013, .. })
        ));
    }

    #[test]
    fn padding_byte() {
        let bytes = build(Class::Request, Method::BINDING, |b| {
            b.set_padding_byte(b' ')
                .add(&Attribute::Username("evtj:h6vY"))?;
            Ok(())
        });
        assert_eq!(
            bytes,
            hex("0001 0010 2112a442 b7e7a701 bc34d686 fa87dfae
                 0006 0009 6576746a 3a683676 59202020")
        );
        assert_writes_back(&bytes);
    }
}
