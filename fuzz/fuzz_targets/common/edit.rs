#![allow(dead_code)]
//! Byte edits the structure-aware targets make to what they generated:
//! libFuzzer picks them, so it explores the bytes around valid messages.

use arbitrary::Arbitrary;

/// One edit; positions wrap around the length of the bytes.
#[derive(Arbitrary, Debug, Clone)]
pub enum Edit {
    /// XOR one byte with a non-zero mask.
    Flip { at: u16, mask: core::num::NonZeroU8 },
    /// Overwrite one byte.
    Set { at: u16, byte: u8 },
    /// Cut the bytes to this length.
    Truncate { len: u16 },
    /// Insert bytes.
    Insert { at: u16, bytes: Vec<u8> },
    /// Remove up to `len` bytes.
    Remove { at: u16, len: u8 },
    /// Append bytes.
    Append { bytes: Vec<u8> },
}

fn wrap(at: u16, len: usize) -> usize {
    usize::from(at) % (len + 1)
}

impl Edit {
    /// Applies the edit.
    pub fn apply(&self, bytes: &mut Vec<u8>) {
        let len = bytes.len();
        match self {
            Self::Flip { at, mask } => {
                if len > 0 {
                    bytes[usize::from(*at) % len] ^= mask.get();
                }
            }
            Self::Set { at, byte } => {
                if len > 0 {
                    bytes[usize::from(*at) % len] = *byte;
                }
            }
            Self::Truncate { len: keep } => bytes.truncate(wrap(*keep, len)),
            Self::Insert { at, bytes: new } => {
                let at = wrap(*at, len);
                bytes.splice(at..at, new.iter().copied());
            }
            Self::Remove { at, len: n } => {
                let at = wrap(*at, len);
                let end = (at + usize::from(*n)).min(len);
                bytes.drain(at..end);
            }
            Self::Append { bytes: new } => bytes.extend_from_slice(new),
        }
    }

    /// Whether the edit is one byte changed in place.
    pub fn is_single_byte(&self) -> bool {
        matches!(self, Self::Flip { .. })
    }
}

/// Applies `edits` in order to a copy of `bytes`.
pub fn edited(bytes: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    for edit in edits {
        edit.apply(&mut out);
    }
    out
}
