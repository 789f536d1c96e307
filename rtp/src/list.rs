//! [`List`]: a run of fixed-size items that is either still on the wire
//! (after parsing, decoded lazily, nothing allocated) or a caller's slice
//! (for writing).

use core::fmt;
use core::slice::ChunksExact;

use crate::cursor::Writer;
use crate::error::WriteError;

/// A fixed-size wire item: a report block, a NACK entry, an SSRC.
pub trait Item: Copy {
    /// Encoded size in bytes.
    const SIZE: usize;
    /// Decodes an item from exactly [`SIZE`](Self::SIZE) bytes. Shorter
    /// input reads as zeros (lists only ever pass whole items).
    fn decode(bytes: &[u8]) -> Self;
    /// Encodes the item into exactly [`SIZE`](Self::SIZE) bytes (a shorter
    /// `out` is left unwritten; lists only ever pass whole items).
    fn encode(&self, out: &mut [u8]);
}

/// `first_chunk`, or zeros: for [`Item::decode`] implementations.
#[inline]
pub(crate) fn chunk<const N: usize>(bytes: &[u8]) -> [u8; N] {
    bytes.first_chunk::<N>().copied().unwrap_or([0; N])
}

/// Writes `bytes` at the front of `out` when they fit: for [`Item::encode`]
/// implementations.
#[inline]
pub(crate) fn put<const N: usize>(out: &mut [u8], bytes: [u8; N]) {
    if let Some(head) = out.first_chunk_mut::<N>() {
        *head = bytes;
    }
}

/// [`chunk`] as `N` words of `W` bytes, for items laid out in words.
#[inline]
pub(crate) fn chunk_words<const N: usize, const W: usize>(bytes: &[u8]) -> [[u8; W]; N] {
    let mut words = [[0; W]; N];
    let flat = words.as_flattened_mut();
    if let Some(head) = bytes.get(..flat.len()) {
        flat.copy_from_slice(head);
    }
    words
}

/// [`put`] for 32-bit words, for items laid out in words.
#[inline]
pub(crate) fn put_words<const N: usize>(out: &mut [u8], words: [[u8; 4]; N]) {
    let flat = words.as_flattened();
    if let Some(head) = out.get_mut(..flat.len()) {
        head.copy_from_slice(flat);
    }
}

/// Unsigned integers are items in network byte order (SSRC lists, XR run
/// length chunks).
macro_rules! big_endian_item {
    ($($int:ty),*) => {$(
        impl Item for $int {
            const SIZE: usize = core::mem::size_of::<$int>();
            #[inline]
            fn decode(bytes: &[u8]) -> Self {
                Self::from_be_bytes(chunk(bytes))
            }
            #[inline]
            fn encode(&self, out: &mut [u8]) {
                put(out, self.to_be_bytes());
            }
        }
    )*};
}
big_endian_item!(u16, u32);

#[derive(Clone, Copy)]
enum Repr<'a, T> {
    Wire(&'a [u8]),
    Items(&'a [T]),
}

/// A list of fixed-size items, either borrowed from a parsed packet (and
/// decoded on iteration) or borrowed from the caller's slice.
///
/// Two lists are equal when they hold the same items, whichever form they
/// are in.
#[derive(Clone, Copy)]
pub struct List<'a, T> {
    repr: Repr<'a, T>,
}

impl<'a, T: Item> List<'a, T> {
    /// A list over the caller's items (for writing).
    #[inline]
    pub const fn new(items: &'a [T]) -> Self {
        Self {
            repr: Repr::Items(items),
        }
    }

    /// The empty list.
    #[inline]
    pub const fn empty() -> Self {
        Self::new(&[])
    }

    /// A list over wire bytes; a trailing partial item is ignored (parsers
    /// check lengths first).
    #[inline]
    pub(crate) const fn from_wire(bytes: &'a [u8]) -> Self {
        Self {
            repr: Repr::Wire(bytes),
        }
    }

    /// Number of items.
    #[inline]
    pub fn len(&self) -> usize {
        match self.repr {
            Repr::Wire(bytes) => bytes.len() / T::SIZE,
            Repr::Items(items) => items.len(),
        }
    }

    /// Whether the list is empty.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The item at `index`.
    #[inline]
    pub fn get(&self, index: usize) -> Option<T> {
        match self.repr {
            Repr::Wire(bytes) => {
                let start = index.checked_mul(T::SIZE)?;
                let item = bytes.get(start..start.checked_add(T::SIZE)?)?;
                Some(T::decode(item))
            }
            Repr::Items(items) => items.get(index).copied(),
        }
    }

    /// Iterates over the items.
    #[inline]
    pub fn iter(&self) -> Iter<'a, T> {
        Iter {
            repr: match self.repr {
                Repr::Wire(bytes) => IterRepr::Wire(bytes.chunks_exact(T::SIZE)),
                Repr::Items(items) => IterRepr::Items(items.iter()),
            },
        }
    }

    /// The wire bytes, when the list came from parsing.
    #[inline]
    pub const fn wire_bytes(&self) -> Option<&'a [u8]> {
        match self.repr {
            Repr::Wire(bytes) => Some(bytes),
            Repr::Items(_) => None,
        }
    }

    /// Encoded size in bytes.
    #[inline]
    pub fn encoded_len(&self) -> usize {
        self.len() * T::SIZE
    }

    /// Writes the items into `out`, which is [`encoded_len`](Self::encoded_len)
    /// bytes long.
    #[inline]
    pub(crate) fn write_into(&self, out: &mut [u8]) {
        match self.repr {
            Repr::Wire(bytes) => {
                let n = out.len().min(bytes.len());
                if let (Some(out), Some(bytes)) = (out.get_mut(..n), bytes.get(..n)) {
                    out.copy_from_slice(bytes);
                }
            }
            Repr::Items(items) => {
                for (item, out) in items.iter().zip(out.chunks_exact_mut(T::SIZE)) {
                    item.encode(out);
                }
            }
        }
    }

    /// Writes the items (whole ones only, for a list from the wire).
    #[inline]
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        self.write_into(w.reserve(self.encoded_len())?);
        Ok(())
    }
}

impl<T: Item> Default for List<'_, T> {
    fn default() -> Self {
        Self::empty()
    }
}

impl<T: Item + PartialEq> PartialEq for List<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl<T: Item + Eq> Eq for List<'_, T> {}

impl<T: Item + fmt::Debug> fmt::Debug for List<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

impl<'a, T: Item> IntoIterator for List<'a, T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

impl<'a, T: Item> IntoIterator for &List<'a, T> {
    type Item = T;
    type IntoIter = Iter<'a, T>;
    fn into_iter(self) -> Iter<'a, T> {
        self.iter()
    }
}

#[derive(Clone, Debug)]
enum IterRepr<'a, T> {
    Wire(ChunksExact<'a, u8>),
    Items(core::slice::Iter<'a, T>),
}

/// Iterator over a [`List`]; allocates nothing.
#[derive(Clone, Debug)]
pub struct Iter<'a, T> {
    repr: IterRepr<'a, T>,
}

impl<T: Item> Iterator for Iter<'_, T> {
    type Item = T;
    #[inline]
    fn next(&mut self) -> Option<T> {
        match &mut self.repr {
            IterRepr::Wire(chunks) => chunks.next().map(T::decode),
            IterRepr::Items(items) => items.next().copied(),
        }
    }
    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        match &self.repr {
            IterRepr::Wire(chunks) => chunks.size_hint(),
            IterRepr::Items(items) => items.size_hint(),
        }
    }
    /// One loop per form rather than a choice of form per item.
    #[inline]
    fn fold<B, F: FnMut(B, T) -> B>(self, init: B, f: F) -> B {
        match self.repr {
            IterRepr::Wire(chunks) => chunks.map(T::decode).fold(init, f),
            IterRepr::Items(items) => items.copied().fold(init, f),
        }
    }
}

impl<T: Item> ExactSizeIterator for Iter<'_, T> {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::vec::Vec;

    #[test]
    fn wire_and_slice_lists_compare_by_content() {
        let wire = [0, 0, 0, 1, 0, 0, 0, 2, 9];
        let parsed: List<'_, u32> = List::from_wire(&wire);
        assert_eq!(parsed.len(), 2);
        assert_eq!(parsed.get(1), Some(2));
        assert_eq!(parsed.get(2), None);
        assert_eq!(parsed, List::new(&[1, 2]));
        assert_ne!(parsed, List::new(&[1, 3]));
        assert_eq!(parsed.iter().len(), 2);

        let mut buf = [0u8; 8];
        let mut w = Writer::new(&mut buf);
        List::<u32>::new(&[1, 2]).write(&mut w).unwrap();
        assert_eq!(&buf, wire.get(..8).unwrap());

        // Folding sees what stepping sees, in both forms.
        for list in [parsed, List::new(&[1, 2])] {
            // A `for` loop steps with `next`.
            let mut stepped = Vec::new();
            for item in list.iter() {
                stepped.push(item);
            }
            let folded = list.iter().fold(Vec::new(), |mut acc, item| {
                acc.push(item);
                acc
            });
            assert_eq!(stepped, [1, 2]);
            assert_eq!(folded, stepped);
        }

        // A list from the wire writes its whole items only.
        let mut buf = [0u8; 9];
        let mut w = Writer::new(&mut buf);
        parsed.write(&mut w).unwrap();
        assert_eq!(w.written(), 8);
        assert_eq!(&buf, &[0, 0, 0, 1, 0, 0, 0, 2, 0]);
    }
}
