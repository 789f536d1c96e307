//! Byte cursors: a [`Reader`] that takes bytes off the front of a slice and
//! a [`Writer`] that fills a caller's buffer from the front. Neither indexes
//! raw slices, so neither can panic.

use crate::error::{ParseError, WriteError};

/// Reads big-endian fields off the front of a slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Reader<'a> {
    rest: &'a [u8],
    what: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `bytes`; `what` names the structure in errors.
    #[inline]
    pub(crate) const fn new(bytes: &'a [u8], what: &'static str) -> Self {
        Self { rest: bytes, what }
    }

    #[inline]
    fn truncated(&self, needed: usize) -> ParseError {
        ParseError::Truncated {
            what: self.what,
            needed,
            have: self.rest.len(),
        }
    }

    /// The bytes not read yet.
    #[inline]
    pub(crate) const fn rest(&self) -> &'a [u8] {
        self.rest
    }

    /// Number of bytes not read yet.
    #[inline]
    pub(crate) const fn remaining(&self) -> usize {
        self.rest.len()
    }

    /// Whether everything was read.
    #[inline]
    pub(crate) const fn is_empty(&self) -> bool {
        self.rest.is_empty()
    }

    /// Takes `n` bytes.
    #[inline]
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], ParseError> {
        let (head, tail) = self.rest.split_at_checked(n).ok_or(self.truncated(n))?;
        self.rest = tail;
        Ok(head)
    }

    /// Takes `N` bytes as an array.
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self) -> Result<[u8; N], ParseError> {
        let (head, tail) = self
            .rest
            .split_first_chunk::<N>()
            .ok_or(self.truncated(N))?;
        self.rest = tail;
        Ok(*head)
    }

    #[inline]
    pub(crate) fn u8(&mut self) -> Result<u8, ParseError> {
        let (&b, tail) = self.rest.split_first().ok_or(self.truncated(1))?;
        self.rest = tail;
        Ok(b)
    }

    #[inline]
    pub(crate) fn u16(&mut self) -> Result<u16, ParseError> {
        self.array().map(u16::from_be_bytes)
    }

    #[inline]
    pub(crate) fn u64(&mut self) -> Result<u64, ParseError> {
        self.array().map(u64::from_be_bytes)
    }
}

/// Writes big-endian fields into the front of a caller's buffer.
#[derive(Debug)]
pub(crate) struct Writer<'a> {
    rest: &'a mut [u8],
    written: usize,
}

impl<'a> Writer<'a> {
    /// A writer over `buf`.
    #[inline]
    pub(crate) const fn new(buf: &'a mut [u8]) -> Self {
        Self {
            rest: buf,
            written: 0,
        }
    }

    /// A writer over `buf` that first checks that `needed` bytes fit.
    #[inline]
    pub(crate) fn with_capacity(buf: &'a mut [u8], needed: usize) -> Result<Self, WriteError> {
        if buf.len() < needed {
            return Err(WriteError::BufferTooSmall {
                needed,
                have: buf.len(),
            });
        }
        Ok(Self::new(buf))
    }

    /// Bytes written so far.
    #[inline]
    pub(crate) const fn written(&self) -> usize {
        self.written
    }

    #[inline]
    fn too_small(&self, n: usize) -> WriteError {
        WriteError::BufferTooSmall {
            needed: self.written + n,
            have: self.written + self.rest.len(),
        }
    }

    /// Reserves `n` bytes and returns them for the caller to fill.
    #[inline]
    pub(crate) fn reserve(&mut self, n: usize) -> Result<&'a mut [u8], WriteError> {
        if self.rest.len() < n {
            return Err(self.too_small(n));
        }
        let rest = core::mem::take(&mut self.rest);
        let (head, tail) = rest.split_at_mut(n);
        self.rest = tail;
        self.written += n;
        Ok(head)
    }

    /// Writes an array.
    #[inline]
    pub(crate) fn array<const N: usize>(&mut self, bytes: [u8; N]) -> Result<(), WriteError> {
        if self.rest.len() < N {
            return Err(self.too_small(N));
        }
        let rest = core::mem::take(&mut self.rest);
        if let Some((head, tail)) = rest.split_first_chunk_mut::<N>() {
            *head = bytes;
            self.rest = tail;
            self.written += N;
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Result<(), WriteError> {
        self.reserve(bytes.len())?.copy_from_slice(bytes);
        Ok(())
    }

    #[inline]
    pub(crate) fn zeros(&mut self, n: usize) -> Result<(), WriteError> {
        self.reserve(n)?.fill(0);
        Ok(())
    }

    #[inline]
    pub(crate) fn u8(&mut self, v: u8) -> Result<(), WriteError> {
        self.array([v])
    }

    #[inline]
    pub(crate) fn u16(&mut self, v: u16) -> Result<(), WriteError> {
        self.array(v.to_be_bytes())
    }

    #[inline]
    pub(crate) fn u32(&mut self, v: u32) -> Result<(), WriteError> {
        self.array(v.to_be_bytes())
    }

    #[inline]
    pub(crate) fn u64(&mut self, v: u64) -> Result<(), WriteError> {
        self.array(v.to_be_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reader_reads_fields_and_reports_truncation() {
        let bytes = [1, 2, 3, 4, 5, 6, 7];
        let mut r = Reader::new(&bytes, "test");
        assert_eq!(r.u8().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 0x0203);
        assert_eq!(r.array::<3>().unwrap(), [4, 5, 6]);
        assert_eq!(
            r.u16(),
            Err(ParseError::Truncated {
                what: "test",
                needed: 2,
                have: 1
            })
        );
        assert_eq!(r.remaining(), 1);
        assert_eq!(r.take(1).unwrap(), &[7]);
        assert!(r.is_empty());
    }

    #[test]
    fn writer_refuses_to_overflow() {
        let mut buf = [0u8; 5];
        let mut w = Writer::new(&mut buf);
        w.u32(0x0102_0304).unwrap();
        assert_eq!(
            w.u16(7),
            Err(WriteError::BufferTooSmall { needed: 6, have: 5 })
        );
        w.u8(9).unwrap();
        assert_eq!(w.written(), 5);
        assert_eq!(buf, [1, 2, 3, 4, 9]);
    }
}
