//! Source description (SDES): chunks of items about each source.
//!
//! <https://www.rfc-editor.org/rfc/rfc3550#section-6.5>

use core::fmt;

use crate::cursor::{Reader, Writer};
use crate::error::{ParseError, WriteError, invalid, write_invalid};
use crate::rtcp::header::{
    HEADER_LEN, Header, SOURCE_DESCRIPTION, expect_type, single_packet, start_packet,
};

const WHAT: &str = "source description";

/// SDES item type numbers.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.5>
pub mod item_type {
    /// End of the item list.
    pub const END: u8 = 0;
    /// Canonical end-point identifier.
    pub const CNAME: u8 = 1;
    /// User name.
    pub const NAME: u8 = 2;
    /// Electronic mail address.
    pub const EMAIL: u8 = 3;
    /// Phone number.
    pub const PHONE: u8 = 4;
    /// Geographic location.
    pub const LOC: u8 = 5;
    /// Application or tool name.
    pub const TOOL: u8 = 6;
    /// Notice/status.
    pub const NOTE: u8 = 7;
    /// Private extensions.
    pub const PRIV: u8 = 8;
}

/// One SDES item. Texts are bytes (RFC 3550 asks for UTF-8 but peers do
/// not always comply); [`value`](Self::value) gives them back.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.5.1>
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SdesItem<'a> {
    /// CNAME.
    Cname(&'a [u8]),
    /// NAME.
    Name(&'a [u8]),
    /// EMAIL.
    Email(&'a [u8]),
    /// PHONE.
    Phone(&'a [u8]),
    /// LOC.
    Location(&'a [u8]),
    /// TOOL.
    Tool(&'a [u8]),
    /// NOTE.
    Note(&'a [u8]),
    /// PRIV: a prefix naming the extension and its value.
    Private {
        /// The prefix.
        prefix: &'a [u8],
        /// The value.
        value: &'a [u8],
    },
    /// An item type this crate does not know.
    Unknown {
        /// The item type.
        kind: u8,
        /// The raw value.
        value: &'a [u8],
    },
}

impl<'a> SdesItem<'a> {
    /// The item type number.
    pub const fn kind(&self) -> u8 {
        match self {
            Self::Cname(_) => item_type::CNAME,
            Self::Name(_) => item_type::NAME,
            Self::Email(_) => item_type::EMAIL,
            Self::Phone(_) => item_type::PHONE,
            Self::Location(_) => item_type::LOC,
            Self::Tool(_) => item_type::TOOL,
            Self::Note(_) => item_type::NOTE,
            Self::Private { .. } => item_type::PRIV,
            Self::Unknown { kind, .. } => *kind,
        }
    }

    /// The text (for PRIV, the value after the prefix).
    pub const fn value(&self) -> &'a [u8] {
        match *self {
            Self::Cname(v)
            | Self::Name(v)
            | Self::Email(v)
            | Self::Phone(v)
            | Self::Location(v)
            | Self::Tool(v)
            | Self::Note(v)
            | Self::Private { value: v, .. }
            | Self::Unknown { value: v, .. } => v,
        }
    }

    #[inline]
    fn decode(kind: u8, data: &'a [u8]) -> Result<Self, ParseError> {
        Ok(match kind {
            item_type::CNAME => Self::Cname(data),
            item_type::NAME => Self::Name(data),
            item_type::EMAIL => Self::Email(data),
            item_type::PHONE => Self::Phone(data),
            item_type::LOC => Self::Location(data),
            item_type::TOOL => Self::Tool(data),
            item_type::NOTE => Self::Note(data),
            item_type::PRIV => {
                let mut r = Reader::new(data, "SDES PRIV item");
                let prefix_len = r.u8()?;
                let prefix = r.take(usize::from(prefix_len))?;
                Self::Private {
                    prefix,
                    value: r.rest(),
                }
            }
            kind => Self::Unknown { kind, value: data },
        })
    }

    /// Length of the value field.
    fn data_len(&self) -> usize {
        match self {
            Self::Private { prefix, value } => 1 + prefix.len() + value.len(),
            other => other.value().len(),
        }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        let len = u8::try_from(self.data_len())
            .map_err(|_| write_invalid("SDES item", "longer than 255 bytes"))?;
        let kind = self.kind();
        if kind == item_type::END {
            return Err(write_invalid("SDES item", "type 0 ends the list"));
        }
        w.array([kind, len])?;
        if let Self::Private { prefix, value } = self {
            // `data_len` fits a u8, so the prefix length does too.
            w.u8(prefix.len() as u8)?;
            w.bytes(prefix)?;
            w.bytes(value)
        } else {
            w.bytes(self.value())
        }
    }
}

/// Reads one item; `None` at the end-of-list null octet.
#[inline]
fn read_item<'a>(r: &mut Reader<'a>) -> Result<Option<SdesItem<'a>>, ParseError> {
    let kind = r.u8()?;
    if kind == item_type::END {
        return Ok(None);
    }
    let len = r.u8()?;
    let data = r.take(usize::from(len))?;
    SdesItem::decode(kind, data).map(Some)
}

/// Length of the items at the front of `bytes`, up to (not including) the
/// null octet that ends them, or all of `bytes` when no null octet does.
/// Only writing chunks taken from a parsed packet needs it: kept out of
/// line, away from the lengths of chunks built from items.
#[inline(never)]
fn items_len(bytes: &[u8]) -> usize {
    let mut r = Reader::new(bytes, WHAT);
    while let Ok(Some(_)) = read_item(&mut r) {}
    let len = bytes.len() - r.remaining();
    match bytes.get(len.wrapping_sub(1)) {
        Some(&item_type::END) => len - 1,
        _ => len,
    }
}

#[derive(Clone, Copy)]
enum ItemsRepr<'a> {
    /// From parsing: the items of a checked chunk, followed by the null
    /// octet that ends them and whatever comes after it in the packet.
    Wire(&'a [u8]),
    Items(&'a [SdesItem<'a>]),
}

/// The items of one chunk: on the wire after parsing, or a caller's slice.
#[derive(Clone, Copy)]
pub struct SdesItems<'a> {
    repr: ItemsRepr<'a>,
}

impl<'a> SdesItems<'a> {
    /// Items from a slice (for writing).
    pub const fn new(items: &'a [SdesItem<'a>]) -> Self {
        Self {
            repr: ItemsRepr::Items(items),
        }
    }

    /// Iterates over the items.
    #[inline]
    pub fn iter(&self) -> SdesItemIter<'a> {
        SdesItemIter {
            inner: match self.repr {
                ItemsRepr::Wire(bytes) => ItemIterRepr::Wire(Reader::new(bytes, WHAT)),
                ItemsRepr::Items(items) => ItemIterRepr::Items(items.iter()),
            },
        }
    }

    /// The CNAME, if the chunk has one.
    pub fn cname(&self) -> Option<&'a [u8]> {
        self.iter().find_map(|item| match item {
            SdesItem::Cname(v) => Some(v),
            _ => None,
        })
    }

    /// Length of the items plus the terminating null octet and padding
    /// (relative to a 4-aligned chunk start after the 4-byte SSRC).
    fn encoded_len(&self) -> usize {
        match self.repr {
            ItemsRepr::Wire(bytes) => (items_len(bytes) + 1).next_multiple_of(4),
            ItemsRepr::Items(items) => {
                let len: usize = items.iter().map(|i| 2 + i.data_len()).sum();
                (len + 1).next_multiple_of(4)
            }
        }
    }

    fn write(&self, w: &mut Writer<'_>) -> Result<(), WriteError> {
        let start = w.written();
        match self.repr {
            ItemsRepr::Wire(bytes) => w.bytes(bytes.get(..items_len(bytes)).unwrap_or_default())?,
            ItemsRepr::Items(items) => {
                for item in items {
                    item.write(w)?;
                }
            }
        }
        let len = w.written() - start;
        w.zeros((len + 1).next_multiple_of(4) - len)
    }
}

impl PartialEq for SdesItems<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl Eq for SdesItems<'_> {}

impl fmt::Debug for SdesItems<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over [`SdesItems`]; allocates nothing.
#[derive(Debug, Clone)]
pub struct SdesItemIter<'a> {
    inner: ItemIterRepr<'a>,
}

#[derive(Debug, Clone)]
enum ItemIterRepr<'a> {
    Wire(Reader<'a>),
    Items(core::slice::Iter<'a, SdesItem<'a>>),
}

impl<'a> Iterator for SdesItemIter<'a> {
    type Item = SdesItem<'a>;
    #[inline]
    fn next(&mut self) -> Option<SdesItem<'a>> {
        match &mut self.inner {
            ItemIterRepr::Wire(r) => read_item(r).ok().flatten(),
            ItemIterRepr::Items(items) => items.next().copied(),
        }
    }

    /// One loop per form rather than a choice of form per item.
    #[inline]
    fn fold<B, F: FnMut(B, SdesItem<'a>) -> B>(self, init: B, mut f: F) -> B {
        match self.inner {
            ItemIterRepr::Wire(mut r) => {
                let mut acc = init;
                while let Ok(Some(item)) = read_item(&mut r) {
                    acc = f(acc, item);
                }
                acc
            }
            ItemIterRepr::Items(items) => items.copied().fold(init, f),
        }
    }
}

/// One SDES chunk: a source and its items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SdesChunk<'a> {
    /// The source (SSRC or CSRC).
    pub source: u32,
    /// Its items.
    pub items: SdesItems<'a>,
}

impl SdesChunk<'_> {
    fn encoded_len(&self) -> usize {
        4 + self.items.encoded_len()
    }
}

/// Skips the items of a checked chunk (their start is `items`, 4 bytes
/// after the chunk's start), the null octet and the padding; returns what
/// follows the chunk.
#[inline]
fn skip_items(items: &[u8]) -> &[u8] {
    let mut r = Reader::new(items, WHAT);
    while let Ok(Some(_)) = read_item(&mut r) {}
    // The chunk (4 bytes of SSRC, then the items) ends on a word boundary.
    let used = items.len() - r.remaining();
    let padding = used.next_multiple_of(4) - used;
    r.rest().get(padding..).unwrap_or_default()
}

/// Checks one chunk without decoding its items (what the chunk and item
/// iterators will then read without failing).
#[inline]
fn check_chunk(r: &mut Reader<'_>) -> Result<(), ParseError> {
    r.array::<4>()?;
    let mut used = 0;
    loop {
        let kind = r.u8()?;
        used += 1;
        if kind == item_type::END {
            break;
        }
        let len = r.u8()?;
        let data = r.take(usize::from(len))?;
        used += 1 + data.len();
        if kind == item_type::PRIV {
            match data.split_first() {
                Some((&prefix, rest)) if usize::from(prefix) <= rest.len() => {}
                _ => return Err(invalid("SDES PRIV item", "prefix longer than the item")),
            }
        }
    }
    let pad = r.take(used.next_multiple_of(4) - used)?;
    if pad.iter().any(|&b| b != 0) {
        return Err(invalid(WHAT, "non-zero bytes after the item list"));
    }
    Ok(())
}

#[derive(Clone, Copy)]
enum ChunksRepr<'a> {
    Wire(&'a [u8]),
    Items(&'a [SdesChunk<'a>]),
}

/// The chunks of an SDES packet: on the wire after parsing, or a caller's
/// slice.
#[derive(Clone, Copy)]
pub struct SdesChunks<'a> {
    repr: ChunksRepr<'a>,
    count: u8,
}

impl<'a> SdesChunks<'a> {
    /// Chunks from a slice (for writing; at most 31).
    pub const fn new(chunks: &'a [SdesChunk<'a>]) -> Self {
        Self {
            repr: ChunksRepr::Items(chunks),
            count: 0,
        }
    }

    /// Number of chunks.
    pub const fn len(&self) -> usize {
        match self.repr {
            ChunksRepr::Wire(_) => self.count as usize,
            ChunksRepr::Items(chunks) => chunks.len(),
        }
    }

    /// Whether there is no chunk.
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Iterates over the chunks.
    #[inline]
    pub fn iter(&self) -> SdesChunkIter<'a> {
        SdesChunkIter {
            inner: match self.repr {
                ChunksRepr::Wire(bytes) => ChunkIterRepr::Wire {
                    rest: bytes,
                    in_chunk: false,
                    left: self.count,
                },
                ChunksRepr::Items(chunks) => ChunkIterRepr::Items(chunks.iter()),
            },
        }
    }
}

impl PartialEq for SdesChunks<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for SdesChunks<'_> {}

impl fmt::Debug for SdesChunks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over [`SdesChunks`]; allocates nothing.
#[derive(Debug, Clone)]
pub struct SdesChunkIter<'a> {
    inner: ChunkIterRepr<'a>,
}

#[derive(Debug, Clone)]
enum ChunkIterRepr<'a> {
    /// Chunks of a checked packet: what follows the last chunk yielded
    /// (its items first, when `in_chunk`), and how many chunks are left.
    Wire {
        rest: &'a [u8],
        in_chunk: bool,
        left: u8,
    },
    Items(core::slice::Iter<'a, SdesChunk<'a>>),
}

impl<'a> Iterator for SdesChunkIter<'a> {
    type Item = SdesChunk<'a>;
    #[inline]
    fn next(&mut self) -> Option<SdesChunk<'a>> {
        match &mut self.inner {
            ChunkIterRepr::Wire {
                rest,
                in_chunk,
                left,
            } => next_wire_chunk(rest, in_chunk, left),
            ChunkIterRepr::Items(chunks) => chunks.next().copied(),
        }
    }

    /// One loop per form rather than a choice of form per chunk.
    #[inline]
    fn fold<B, F: FnMut(B, SdesChunk<'a>) -> B>(self, init: B, mut f: F) -> B {
        match self.inner {
            ChunkIterRepr::Wire {
                mut rest,
                mut in_chunk,
                mut left,
            } => {
                let mut acc = init;
                while let Some(chunk) = next_wire_chunk(&mut rest, &mut in_chunk, &mut left) {
                    acc = f(acc, chunk);
                }
                acc
            }
            ChunkIterRepr::Items(chunks) => chunks.copied().fold(init, f),
        }
    }
}

/// The next chunk of a checked packet (see [`ChunkIterRepr::Wire`]).
#[inline]
fn next_wire_chunk<'a>(
    rest: &mut &'a [u8],
    in_chunk: &mut bool,
    left: &mut u8,
) -> Option<SdesChunk<'a>> {
    // The end of a chunk is found by reading its items, so the items of
    // the chunk yielded last are skipped only when another chunk follows.
    *left = left.checked_sub(1)?;
    if *in_chunk {
        *rest = skip_items(rest);
    }
    let (&source, items) = rest.split_first_chunk::<4>()?;
    *rest = items;
    *in_chunk = true;
    Some(SdesChunk {
        source: u32::from_be_bytes(source),
        items: SdesItems {
            repr: ItemsRepr::Wire(items),
        },
    })
}

/// A source description packet.
///
/// <https://www.rfc-editor.org/rfc/rfc3550#section-6.5>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SourceDescription<'a> {
    /// The chunks (at most 31).
    pub chunks: SdesChunks<'a>,
}

impl<'a> SourceDescription<'a> {
    /// Parses one SDES packet.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, ParseError> {
        let (header, body, _) = single_packet(bytes)?;
        Self::parse_body(&header, body)
    }

    #[inline]
    pub(crate) fn parse_body(header: &Header, body: &'a [u8]) -> Result<Self, ParseError> {
        expect_type(header, SOURCE_DESCRIPTION, WHAT)?;
        let mut r = Reader::new(body, WHAT);
        for _ in 0..header.count {
            check_chunk(&mut r)?;
        }
        if !r.is_empty() {
            return Err(invalid(WHAT, "bytes after the last chunk"));
        }
        Ok(Self {
            chunks: SdesChunks {
                repr: ChunksRepr::Wire(body),
                count: header.count,
            },
        })
    }

    /// Encoded length.
    pub fn encoded_len(&self) -> usize {
        match self.chunks.repr {
            ChunksRepr::Wire(bytes) => HEADER_LEN + bytes.len(),
            ChunksRepr::Items(chunks) => {
                HEADER_LEN + chunks.iter().map(SdesChunk::encoded_len).sum::<usize>()
            }
        }
    }

    /// Writes the packet into `buf`; returns its length.
    pub fn write_to(&self, buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = self.encoded_len();
        let mut w = start_packet(buf, self.chunks.len(), SOURCE_DESCRIPTION, len)?;
        match self.chunks.repr {
            ChunksRepr::Wire(bytes) => w.bytes(bytes)?,
            ChunksRepr::Items(chunks) => {
                for chunk in chunks {
                    w.u32(chunk.source)?;
                    chunk.items.write(&mut w)?;
                }
            }
        }
        Ok(w.written())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_hex as hex;
    use alloc::vec::Vec;

    #[test]
    fn two_chunks_with_every_item_type() {
        // Chunk 1: CNAME "host", NAME "n", EMAIL "e", PHONE "p", LOC "l",
        // TOOL "t", NOTE "o", PRIV prefix "x" value "y", unknown 9 "z".
        // Chunk 2: no items.
        let bytes = hex("82ca000c
             11223344
             0104 686f7374
             0201 6e
             0301 65
             0401 70
             0501 6c
             0601 74
             0701 6f
             0803 01 78 79
             0901 7a
             00 000000
             55667788
             00000000");
        let sdes = SourceDescription::parse(&bytes).unwrap();
        assert_eq!(sdes.chunks.len(), 2);
        let chunks: Vec<_> = sdes.chunks.iter().collect();
        assert_eq!(chunks[0].source, 0x1122_3344);
        let items: Vec<_> = chunks[0].items.iter().collect();
        assert_eq!(
            items,
            [
                SdesItem::Cname(b"host"),
                SdesItem::Name(b"n"),
                SdesItem::Email(b"e"),
                SdesItem::Phone(b"p"),
                SdesItem::Location(b"l"),
                SdesItem::Tool(b"t"),
                SdesItem::Note(b"o"),
                SdesItem::Private {
                    prefix: b"x",
                    value: b"y"
                },
                SdesItem::Unknown {
                    kind: 9,
                    value: b"z"
                },
            ]
        );
        assert_eq!(chunks[0].items.cname(), Some(&b"host"[..]));
        assert_eq!(chunks[1].source, 0x5566_7788);
        assert_eq!(chunks[1].items.iter().count(), 0);

        let mut out = [0u8; 128];
        let n = sdes.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);

        let built_chunks = [
            SdesChunk {
                source: 0x1122_3344,
                items: SdesItems::new(&items),
            },
            SdesChunk {
                source: 0x5566_7788,
                items: SdesItems::new(&[]),
            },
        ];
        let built = SourceDescription {
            chunks: SdesChunks::new(&built_chunks),
        };
        assert_eq!(built, sdes);
        let n = built.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);

        // Chunks taken from the parsed packet write back the same bytes:
        // their items end at the null octet, not at the end of the packet.
        let rebuilt = SourceDescription {
            chunks: SdesChunks::new(&chunks),
        };
        assert_eq!(rebuilt.encoded_len(), bytes.len());
        let n = rebuilt.write_to(&mut out).unwrap();
        assert_eq!(&out[..n], &bytes[..]);
    }

    #[test]
    fn folding_and_stepping_see_the_same_chunks_and_items() {
        // Three chunks: two items, none, one item with padding after it.
        let bytes = hex("83ca0008
             00000001 0102 6162 0201 63 00
             00000002 00000000
             00000003 0103 646566 00 0000");
        let sdes = SourceDescription::parse(&bytes).unwrap();
        // A `for` loop steps with `next`.
        let mut stepped = Vec::new();
        for chunk in sdes.chunks.iter() {
            for item in chunk.items.iter() {
                stepped.push((chunk.source, item));
            }
        }
        let folded = sdes.chunks.iter().fold(Vec::new(), |acc, chunk| {
            chunk.items.iter().fold(acc, |mut acc, item| {
                acc.push((chunk.source, item));
                acc
            })
        });
        assert_eq!(
            stepped,
            [
                (1, SdesItem::Cname(b"ab")),
                (1, SdesItem::Name(b"c")),
                (3, SdesItem::Cname(b"def")),
            ]
        );
        assert_eq!(sdes.chunks.iter().count(), 3);
        assert_eq!(folded, stepped);
    }

    #[test]
    fn rejects_bad_chunks() {
        // Missing null terminator.
        assert!(SourceDescription::parse(&hex("81ca0002 00000001 01026162")).is_err());
        // Item longer than the packet.
        assert!(SourceDescription::parse(&hex("81ca0002 00000001 01056162")).is_err());
        // Fewer chunks than announced.
        assert!(SourceDescription::parse(&hex("82ca0002 00000001 00000000")).is_err());
        // Bytes after the last chunk.
        assert!(SourceDescription::parse(&hex("81ca0003 00000001 00000000 00000000")).is_err());
        // Non-zero padding after the terminator.
        assert!(SourceDescription::parse(&hex("81ca0002 00000001 00000100")).is_err());
        // PRIV prefix longer than the item.
        assert!(SourceDescription::parse(&hex("81ca0002 00000001 08010500")).is_err());
        // Writing an item over 255 bytes fails.
        let long = [0u8; 256];
        let items = [SdesItem::Cname(&long)];
        let chunks = [SdesChunk {
            source: 1,
            items: SdesItems::new(&items),
        }];
        let sdes = SourceDescription {
            chunks: SdesChunks::new(&chunks),
        };
        assert!(sdes.write_to(&mut [0u8; 600]).is_err());
    }
}
