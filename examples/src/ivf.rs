//! IVF files: the simple container of the libvpx tools (and ffmpeg's
//! `-f ivf`) for VP8, VP9 and AV1 frames. A 32-byte file header, then each
//! frame behind a 12-byte header:
//!
//! ```text
//! file:  "DKIF" | version u16 (0) | header length u16 (32) | FourCC
//!        | width u16 | height u16 | time base denominator u32
//!        | time base numerator u32 | frame count u32 | unused u32
//! frame: size u32 | timestamp u64 (in time base units) | data
//! ```
//!
//! Every number is little-endian. The reader refuses a file that is not
//! IVF, a header it cannot use and a frame larger than
//! [`MAX_FRAME_LEN`]; a file cut short in a frame is an error, not the end.

use std::io::{self, Read, Seek, SeekFrom, Write};

/// The largest frame the reader accepts: far more than a 4K key frame,
/// small enough that a corrupt size cannot exhaust memory.
pub const MAX_FRAME_LEN: usize = 16 * 1024 * 1024;

/// Length of the file header.
pub const HEADER_LEN: usize = 32;

/// Length of a frame header.
pub const FRAME_HEADER_LEN: usize = 12;

/// Why an IVF file could not be read or written.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IvfError {
    /// Reading or writing failed.
    #[error("{0}")]
    Io(#[from] io::Error),
    /// The file does not start with the IVF signature.
    #[error("not an IVF file (no DKIF signature)")]
    NotIvf,
    /// A header field the reader cannot use.
    #[error("bad IVF header: {0}")]
    BadHeader(&'static str),
    /// A frame says it is larger than [`MAX_FRAME_LEN`].
    #[error("IVF frame of {len} bytes, more than the {max} accepted")]
    FrameTooLarge {
        /// The size the frame header gives.
        len: u64,
        /// [`MAX_FRAME_LEN`].
        max: usize,
    },
    /// The file ends inside a frame header or a frame.
    #[error("IVF file cut short: {0}")]
    Truncated(&'static str),
}

/// The IVF file header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IvfHeader {
    /// The codec: `VP80`, `VP90`, `AV01`, ...
    pub fourcc: [u8; 4],
    /// Width in pixels.
    pub width: u16,
    /// Height in pixels.
    pub height: u16,
    /// The time base denominator (frame timestamps count
    /// `numerator / denominator` seconds).
    pub timebase_denominator: u32,
    /// The time base numerator.
    pub timebase_numerator: u32,
    /// Frames in the file, as its header says (writers that cannot seek
    /// leave it 0).
    pub frame_count: u32,
}

impl IvfHeader {
    /// Parses the 32-byte file header.
    pub fn parse(bytes: &[u8; HEADER_LEN]) -> Result<Self, IvfError> {
        let mut fields = Fields(bytes);
        if fields.take() != *b"DKIF" {
            return Err(IvfError::NotIvf);
        }
        if u16::from_le_bytes(fields.take()) != 0 {
            return Err(IvfError::BadHeader("version is not 0"));
        }
        if usize::from(u16::from_le_bytes(fields.take())) < HEADER_LEN {
            return Err(IvfError::BadHeader("header shorter than 32 bytes"));
        }
        let header = Self {
            fourcc: fields.take(),
            width: u16::from_le_bytes(fields.take()),
            height: u16::from_le_bytes(fields.take()),
            timebase_denominator: u32::from_le_bytes(fields.take()),
            timebase_numerator: u32::from_le_bytes(fields.take()),
            frame_count: u32::from_le_bytes(fields.take()),
        };
        if header.timebase_denominator == 0 || header.timebase_numerator == 0 {
            return Err(IvfError::BadHeader("zero in the time base"));
        }
        Ok(header)
    }

    /// The 32-byte file header.
    pub fn to_bytes(&self) -> [u8; HEADER_LEN] {
        let mut bytes = [0u8; HEADER_LEN];
        let fields = b"DKIF"
            .iter()
            .copied()
            .chain(0u16.to_le_bytes())
            .chain((HEADER_LEN as u16).to_le_bytes())
            .chain(self.fourcc)
            .chain(self.width.to_le_bytes())
            .chain(self.height.to_le_bytes())
            .chain(self.timebase_denominator.to_le_bytes())
            .chain(self.timebase_numerator.to_le_bytes())
            .chain(self.frame_count.to_le_bytes());
        for (slot, byte) in bytes.iter_mut().zip(fields) {
            *slot = byte;
        }
        bytes
    }

    /// The FourCC as text (`VP80`), or `?` for bytes that are not ASCII.
    pub fn fourcc_str(&self) -> &str {
        core::str::from_utf8(&self.fourcc).unwrap_or("?")
    }
}

/// Little-endian fields read in order from a header of known length.
struct Fields<'a>(&'a [u8]);

impl Fields<'_> {
    /// The next `N` bytes (zeros past the end, which the fixed header
    /// lengths rule out).
    fn take<const N: usize>(&mut self) -> [u8; N] {
        match self.0.split_first_chunk::<N>() {
            Some((head, rest)) => {
                self.0 = rest;
                *head
            }
            None => [0; N],
        }
    }
}

/// One frame of an IVF file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IvfFrame {
    /// The presentation timestamp, in time base units.
    pub timestamp: u64,
    /// The frame.
    pub data: Vec<u8>,
}

/// Reads an IVF file frame by frame.
#[derive(Debug)]
pub struct IvfReader<R> {
    input: R,
    header: IvfHeader,
    /// Where the first frame starts (the header may be longer than 32).
    first_frame: u64,
}

impl<R: Read> IvfReader<R> {
    /// Reads the file header.
    pub fn new(mut input: R) -> Result<Self, IvfError> {
        let mut bytes = [0u8; HEADER_LEN];
        let read = read_up_to(&mut input, &mut bytes)?;
        if read < HEADER_LEN {
            // Too short to be anything: say whether it even looked like IVF.
            let signature = bytes.get(..read.min(4)).unwrap_or_default();
            if read == 0 || !b"DKIF".starts_with(signature) {
                return Err(IvfError::NotIvf);
            }
            return Err(IvfError::Truncated("in the file header"));
        }
        let header = IvfHeader::parse(&bytes)?;
        let mut fields = Fields(&bytes);
        let _signature_and_version: [u8; 6] = fields.take();
        let header_len = u64::from(u16::from_le_bytes(fields.take()));
        // Skip what a longer header adds.
        let extra = header_len - HEADER_LEN as u64;
        let skipped = io::copy(&mut (&mut input).take(extra), &mut io::sink())?;
        if skipped != extra {
            return Err(IvfError::Truncated("in the file header"));
        }
        Ok(Self {
            input,
            header,
            first_frame: header_len,
        })
    }

    /// The file header.
    pub const fn header(&self) -> &IvfHeader {
        &self.header
    }

    /// The next frame; `None` at the end of the file.
    pub fn next_frame(&mut self) -> Result<Option<IvfFrame>, IvfError> {
        let mut bytes = [0u8; FRAME_HEADER_LEN];
        match read_up_to(&mut self.input, &mut bytes)? {
            0 => return Ok(None),
            FRAME_HEADER_LEN => {}
            _ => return Err(IvfError::Truncated("in a frame header")),
        }
        let mut fields = Fields(&bytes);
        let len = u32::from_le_bytes(fields.take());
        let timestamp = u64::from_le_bytes(fields.take());
        let len = usize::try_from(len)
            .ok()
            .filter(|len| *len <= MAX_FRAME_LEN)
            .ok_or(IvfError::FrameTooLarge {
                len: u64::from(len),
                max: MAX_FRAME_LEN,
            })?;
        let mut data = Vec::new();
        let read = (&mut self.input).take(len as u64).read_to_end(&mut data)?;
        if read != len {
            return Err(IvfError::Truncated("in a frame"));
        }
        Ok(Some(IvfFrame { timestamp, data }))
    }
}

impl<R: Read + Seek> IvfReader<R> {
    /// Goes back to the first frame.
    pub fn rewind(&mut self) -> Result<(), IvfError> {
        self.input.seek(SeekFrom::Start(self.first_frame))?;
        Ok(())
    }
}

/// Reads until `buf` is full or the input ends; how much was read.
fn read_up_to(input: &mut impl Read, buf: &mut [u8]) -> io::Result<usize> {
    let mut filled = 0;
    while let Some(rest) = buf.get_mut(filled..).filter(|rest| !rest.is_empty()) {
        match input.read(rest) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Writes an IVF file: the header first, then each frame; [`finish`]
/// writes the frame count into the header.
///
/// [`finish`]: Self::finish
#[derive(Debug)]
pub struct IvfWriter<W: Write + Seek> {
    output: W,
    header: IvfHeader,
}

impl<W: Write + Seek> IvfWriter<W> {
    /// Writes `header` (its frame count is kept up to date by the writer).
    pub fn new(mut output: W, header: IvfHeader) -> Result<Self, IvfError> {
        let header = IvfHeader {
            frame_count: 0,
            ..header
        };
        output.write_all(&header.to_bytes())?;
        Ok(Self { output, header })
    }

    /// The header as it will be written.
    pub const fn header(&self) -> &IvfHeader {
        &self.header
    }

    /// Appends a frame.
    pub fn write_frame(&mut self, timestamp: u64, data: &[u8]) -> Result<(), IvfError> {
        let len = u32::try_from(data.len()).map_err(|_| IvfError::FrameTooLarge {
            len: data.len() as u64,
            max: MAX_FRAME_LEN,
        })?;
        self.output.write_all(&len.to_le_bytes())?;
        self.output.write_all(&timestamp.to_le_bytes())?;
        self.output.write_all(data)?;
        self.header.frame_count = self.header.frame_count.saturating_add(1);
        Ok(())
    }

    /// Writes the frame count into the header and flushes; gives the
    /// output back.
    pub fn finish(mut self) -> Result<W, IvfError> {
        self.output.seek(SeekFrom::Start(24))?;
        self.output
            .write_all(&self.header.frame_count.to_le_bytes())?;
        self.output.seek(SeekFrom::End(0))?;
        self.output.flush()?;
        Ok(self.output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    fn header() -> IvfHeader {
        IvfHeader {
            fourcc: *b"VP80",
            width: 320,
            height: 240,
            timebase_denominator: 30,
            timebase_numerator: 1,
            frame_count: 0,
        }
    }

    fn file(frames: &[(u64, &[u8])]) -> Vec<u8> {
        let mut writer = IvfWriter::new(Cursor::new(Vec::new()), header()).unwrap();
        for (timestamp, data) in frames {
            writer.write_frame(*timestamp, data).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }

    #[test]
    fn frames_round_trip() {
        let bytes = file(&[(0, b"key"), (1, b""), (2, &[7; 1000])]);
        // The header as ffmpeg writes it for 320x240 VP8 at 30 fps, with
        // the frame count filled in.
        assert_eq!(
            bytes[..32],
            [
                0x44, 0x4b, 0x49, 0x46, 0, 0, 0x20, 0, 0x56, 0x50, 0x38, 0x30, 0x40, 0x01, 0xf0, 0,
                0x1e, 0, 0, 0, 1, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0
            ]
        );
        let mut reader = IvfReader::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(reader.header().frame_count, 3);
        assert_eq!(reader.header().fourcc_str(), "VP80");
        let mut frames = Vec::new();
        while let Some(frame) = reader.next_frame().unwrap() {
            frames.push(frame);
        }
        assert_eq!(frames.len(), 3);
        assert_eq!(frames[0].data, b"key");
        assert_eq!(frames[1].timestamp, 1);
        assert_eq!(frames[2].data, vec![7; 1000]);
        reader.rewind().unwrap();
        assert_eq!(reader.next_frame().unwrap().unwrap().data, b"key");
    }

    #[test]
    fn a_longer_header_is_skipped() {
        let mut bytes = file(&[(5, b"abc")]);
        bytes[6] = 40;
        bytes.splice(32..32, [0xee; 8]);
        let mut reader = IvfReader::new(Cursor::new(&bytes)).unwrap();
        assert_eq!(reader.next_frame().unwrap().unwrap().data, b"abc");
        reader.rewind().unwrap();
        assert_eq!(reader.next_frame().unwrap().unwrap().timestamp, 5);
    }

    #[test]
    fn bad_files_are_errors() {
        let good = file(&[(0, b"frame")]);
        let read_all = |bytes: &[u8]| -> Result<usize, IvfError> {
            let mut reader = IvfReader::new(Cursor::new(bytes))?;
            let mut count = 0;
            while reader.next_frame()?.is_some() {
                count += 1;
            }
            Ok(count)
        };
        assert_eq!(read_all(&good).unwrap(), 1);
        assert!(matches!(read_all(b"RIFF"), Err(IvfError::NotIvf)));
        assert!(matches!(read_all(b""), Err(IvfError::NotIvf)));
        assert!(matches!(read_all(&good[..20]), Err(IvfError::Truncated(_))));
        let mut not_ivf = good.clone();
        not_ivf[0] = b'X';
        assert!(matches!(read_all(&not_ivf), Err(IvfError::NotIvf)));
        let mut version = good.clone();
        version[4] = 1;
        assert!(matches!(read_all(&version), Err(IvfError::BadHeader(_))));
        let mut timebase = good.clone();
        timebase[16..20].fill(0);
        assert!(matches!(read_all(&timebase), Err(IvfError::BadHeader(_))));
        // Cut in the frame header, and in the frame.
        for cut in [good.len() - 10, good.len() - 1] {
            assert!(
                matches!(read_all(&good[..cut]), Err(IvfError::Truncated(_))),
                "{cut}"
            );
        }
    }

    #[test]
    fn frame_size_is_capped() {
        let mut bytes = file(&[(0, b"x")]);
        let huge = (MAX_FRAME_LEN as u32) + 1;
        bytes[32..36].copy_from_slice(&huge.to_le_bytes());
        let mut reader = IvfReader::new(Cursor::new(&bytes)).unwrap();
        assert!(matches!(
            reader.next_frame(),
            Err(IvfError::FrameTooLarge { len, .. }) if len == u64::from(huge)
        ));
        // At the cap, the size is believed but the data is missing.
        bytes[32..36].copy_from_slice(&(MAX_FRAME_LEN as u32).to_le_bytes());
        let mut reader = IvfReader::new(Cursor::new(&bytes)).unwrap();
        assert!(matches!(reader.next_frame(), Err(IvfError::Truncated(_))));
    }
}
