//! Ogg Opus files (RFC 7845) written packet by packet: the `OpusHead`
//! identification header and the `OpusTags` comment header each on a page
//! of their own, then the audio packets on pages whose granule position is
//! the number of 48 kHz samples up to the end of the last packet the page
//! completes (pre-skip included). Pages follow RFC 3533: the `OggS`
//! capture pattern, lacing values of at most 255 segments a page, packets
//! continued across pages when they do not fit, and the CRC-32 (polynomial
//! 0x04c11db7, not reflected) over the page.
//!
//! <https://www.rfc-editor.org/rfc/rfc7845>,
//! <https://www.rfc-editor.org/rfc/rfc3533>

use std::io::{self, Write};

/// Most lacing values (segments) on one page.
const MAX_SEGMENTS: usize = 255;

/// Most packets ending on one page: about a second of 20 ms packets, so
/// that a reader seeks in steps of a second at most.
const MAX_PACKETS_PER_PAGE: usize = 50;

/// Largest packet [`OggOpusWriter::write_packet`] takes: an Opus packet
/// is at most 120 ms of at most 1275-byte frames (RFC 6716 §3.2.5), well
/// under this.
pub const MAX_PACKET_LEN: usize = 65_025;

/// Page header flags (RFC 3533 §6).
mod flag {
    /// The page starts with the rest of a packet from the previous page.
    pub(super) const CONTINUED: u8 = 0x01;
    /// First page of the stream.
    pub(super) const BEGINNING: u8 = 0x02;
    /// Last page of the stream.
    pub(super) const END: u8 = 0x04;
}

/// The `OpusHead` fields a writer chooses (RFC 7845 §5.1); channel
/// mapping family 0 (mono or stereo).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpusHead {
    /// 1 or 2.
    pub channels: u8,
    /// Samples (at 48 kHz) the decoder drops at the start.
    pub pre_skip: u16,
    /// The sample rate of the original input, for information (0: unknown).
    pub input_sample_rate: u32,
    /// Gain to apply, in 1/256 dB (Q7.8).
    pub output_gain: i16,
}

impl OpusHead {
    /// The identification header packet.
    pub fn to_bytes(&self) -> [u8; 19] {
        let mut bytes = [0u8; 19];
        let fields = b"OpusHead"
            .iter()
            .copied()
            .chain([1, self.channels])
            .chain(self.pre_skip.to_le_bytes())
            .chain(self.input_sample_rate.to_le_bytes())
            .chain(self.output_gain.to_le_bytes())
            .chain([0]);
        for (slot, byte) in bytes.iter_mut().zip(fields) {
            *slot = byte;
        }
        bytes
    }
}

/// Writes one logical Ogg Opus stream.
///
/// A page is written once the next packet would not fit on it (or at
/// [`finish`](Self::finish)), so the last page always carries audio and
/// the end-of-stream flag.
#[derive(Debug)]
pub struct OggOpusWriter<W: Write> {
    output: W,
    serial: u32,
    sequence: u32,
    /// Samples up to the end of the last packet given, pre-skip included.
    granule: u64,
    /// The page being filled: its lacing values and data.
    segments: Vec<u8>,
    data: Vec<u8>,
    /// Packets that end on the page being filled.
    packets_ending: usize,
    /// The granule position of the last packet that ends on the page
    /// being filled.
    page_granule: Option<u64>,
    /// The page being filled starts with the rest of a packet.
    continued: bool,
    packets: u64,
}

impl<W: Write> OggOpusWriter<W> {
    /// Writes the two header pages. `serial` names the stream in the file
    /// (any value; a file with one stream needs no particular one).
    pub fn new(output: W, head: OpusHead, serial: u32, vendor: &str) -> io::Result<Self> {
        if !(1..=2).contains(&head.channels) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "Ogg Opus with mapping family 0 has 1 or 2 channels",
            ));
        }
        let vendor = vendor.as_bytes();
        let vendor_len = u32::try_from(vendor.len())
            .ok()
            .filter(|len| (*len as usize) < MAX_PACKET_LEN - 16)
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "vendor too long"))?;
        let mut writer = Self {
            output,
            serial,
            sequence: 0,
            granule: u64::from(head.pre_skip),
            segments: Vec::new(),
            data: Vec::new(),
            packets_ending: 0,
            page_granule: None,
            continued: false,
            packets: 0,
        };
        // Each header on a page of its own, with granule position 0 (§3).
        writer.add(&head.to_bytes(), 0)?;
        writer.flush_page(flag::BEGINNING)?;
        // OpusTags: the vendor string and no user comments (§5.2).
        let mut tags = Vec::with_capacity(16 + vendor.len());
        tags.extend_from_slice(b"OpusTags");
        tags.extend_from_slice(&vendor_len.to_le_bytes());
        tags.extend_from_slice(vendor);
        tags.extend_from_slice(&0u32.to_le_bytes());
        writer.add(&tags, 0)?;
        writer.flush_page(0)?;
        Ok(writer)
    }

    /// Appends an Opus packet that decodes to `samples` samples at 48 kHz.
    pub fn write_packet(&mut self, packet: &[u8], samples: u32) -> io::Result<()> {
        if packet.len() > MAX_PACKET_LEN {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("Opus packet of {} bytes", packet.len()),
            ));
        }
        if self.packets_ending >= MAX_PACKETS_PER_PAGE
            || self.segments.len() + packet.len() / 255 + 1 > MAX_SEGMENTS
        {
            self.flush_page(0)?;
        }
        self.granule += u64::from(samples);
        self.packets += 1;
        self.add(packet, self.granule)
    }

    /// Audio packets written.
    pub const fn packets(&self) -> u64 {
        self.packets
    }

    /// The granule position so far: samples up to the end of the last
    /// packet, pre-skip included.
    pub const fn granule_position(&self) -> u64 {
        self.granule
    }

    /// Writes the last page (end of stream) and flushes; gives the output
    /// back.
    pub fn finish(mut self) -> io::Result<W> {
        self.flush_page(flag::END)?;
        self.output.flush()?;
        Ok(self.output)
    }

    /// Puts a packet ending at `granule` on the page being filled,
    /// writing full pages (the packet continued on the next) on the way.
    fn add(&mut self, packet: &[u8], granule: u64) -> io::Result<()> {
        let mut rest = packet;
        loop {
            // Lacing: 255 for each full segment, then the remainder (0
            // included), which ends the packet.
            let room = MAX_SEGMENTS - self.segments.len();
            let needed = rest.len() / 255 + 1;
            if needed <= room {
                self.segments
                    .extend(core::iter::repeat_n(255, rest.len() / 255));
                self.segments.push((rest.len() % 255) as u8);
                self.data.extend_from_slice(rest);
                self.packets_ending += 1;
                self.page_granule = Some(granule);
                return Ok(());
            }
            let (here, later) = rest.split_at(room * 255);
            self.segments.extend(core::iter::repeat_n(255, room));
            self.data.extend_from_slice(here);
            rest = later;
            self.flush_page(0)?;
            self.continued = true;
        }
    }

    /// Writes the page being filled with `flags` (nothing for an empty
    /// page, unless it ends the stream). Its granule position is that of
    /// the last packet ending on it, or -1 (all ones) when none does
    /// (RFC 3533 §6).
    fn flush_page(&mut self, flags: u8) -> io::Result<()> {
        if self.segments.is_empty() && flags & flag::END == 0 {
            return Ok(());
        }
        let flags = flags | if self.continued { flag::CONTINUED } else { 0 };
        let granule = match self.page_granule {
            Some(granule) => granule,
            None if self.segments.is_empty() => self.granule,
            None => u64::MAX,
        };
        let mut page = Vec::with_capacity(27 + self.segments.len() + self.data.len());
        page.extend_from_slice(b"OggS");
        page.push(0);
        page.push(flags);
        page.extend_from_slice(&granule.to_le_bytes());
        page.extend_from_slice(&self.serial.to_le_bytes());
        page.extend_from_slice(&self.sequence.to_le_bytes());
        page.extend_from_slice(&[0; 4]);
        page.push(self.segments.len() as u8);
        page.extend_from_slice(&self.segments);
        page.extend_from_slice(&self.data);
        let crc = crc32(&page);
        for (slot, byte) in page.iter_mut().skip(22).zip(crc.to_le_bytes()) {
            *slot = byte;
        }
        self.output.write_all(&page)?;
        self.sequence = self.sequence.wrapping_add(1);
        self.segments.clear();
        self.data.clear();
        self.packets_ending = 0;
        self.page_granule = None;
        self.continued = false;
        Ok(())
    }
}

/// The table of the Ogg CRC-32, one entry per byte value.
// Indexing in a constant cannot panic at run time: an index out of bounds
// would fail the build.
#[allow(clippy::indexing_slicing)]
const CRC_TABLE: [u32; 256] = {
    let mut table = [0u32; 256];
    let mut i = 0;
    while i < table.len() {
        let mut crc = (i as u32) << 24;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 0x8000_0000 != 0 {
                (crc << 1) ^ 0x04c1_1db7
            } else {
                crc << 1
            };
            bit += 1;
        }
        table[i] = crc;
        i += 1;
    }
    table
};

/// The Ogg CRC-32: polynomial 0x04c11db7, initial value 0, no reflection,
/// no final XOR (RFC 3533 §6).
pub fn crc32(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0u32, |crc, &byte| {
        let index = usize::from((crc >> 24) as u8 ^ byte);
        (crc << 8) ^ CRC_TABLE.get(index).copied().unwrap_or(0)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A page: flags, granule position, sequence number, lacing values,
    /// data.
    type Page = (u8, u64, u32, Vec<u8>, Vec<u8>);

    /// The pages of a stream, each checked against its CRC.
    fn pages(mut bytes: &[u8]) -> Vec<Page> {
        let mut out = Vec::new();
        while !bytes.is_empty() {
            assert_eq!(&bytes[..4], b"OggS");
            let segments = usize::from(bytes[26]);
            let lacing = bytes[27..27 + segments].to_vec();
            let len = 27 + segments + lacing.iter().map(|&l| usize::from(l)).sum::<usize>();
            let mut page = bytes[..len].to_vec();
            let crc = u32::from_le_bytes(page[22..26].try_into().unwrap());
            page[22..26].fill(0);
            assert_eq!(crc32(&page), crc, "page {}", out.len());
            out.push((
                bytes[5],
                u64::from_le_bytes(bytes[6..14].try_into().unwrap()),
                u32::from_le_bytes(bytes[18..22].try_into().unwrap()),
                lacing,
                bytes[27 + segments..len].to_vec(),
            ));
            bytes = &bytes[len..];
        }
        out
    }

    fn head() -> OpusHead {
        OpusHead {
            channels: 2,
            pre_skip: 312,
            input_sample_rate: 48_000,
            output_gain: 0,
        }
    }

    #[test]
    fn crc_matches_the_ogg_polynomial() {
        // CRC-32/POSIX without its final inversion.
        assert_eq!(crc32(b"123456789"), 0x765e_7680 ^ 0xffff_ffff);
        assert_eq!(crc32(b""), 0);
    }

    /// The two header pages ffmpeg 5.1 (libopus, `-fflags +bitexact`, so
    /// serial 0) wrote for a mono stream: `OpusHead` with pre-skip 312,
    /// then `OpusTags` with vendor `ffmpeg` and one comment.
    const FFMPEG_HEADER_PAGES: [u8; 121] = [
        0x4f, 0x67, 0x67, 0x53, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x28, 0xb5, 0x72, 0x01, 0x13, 0x4f, 0x70,
        0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 0x01, 0x01, 0x38, 0x01, 0x80, 0xbb, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x4f, 0x67, 0x67, 0x53, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x49, 0x95, 0xbe, 0x54, 0x01, 0x2e,
        0x4f, 0x70, 0x75, 0x73, 0x54, 0x61, 0x67, 0x73, 0x06, 0x00, 0x00, 0x00, 0x66, 0x66, 0x6d,
        0x70, 0x65, 0x67, 0x01, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x65, 0x6e, 0x63, 0x6f,
        0x64, 0x65, 0x72, 0x3d, 0x4c, 0x61, 0x76, 0x63, 0x20, 0x6c, 0x69, 0x62, 0x6f, 0x70, 0x75,
        0x73,
    ];

    #[test]
    fn crc_of_pages_ffmpeg_wrote() {
        let (head_page, tags_page) = FFMPEG_HEADER_PAGES.split_at(47);
        for (page, crc) in [(head_page, 0x72b5_2802), (tags_page, 0x54be_9549)] {
            assert_eq!(u32::from_le_bytes(page[22..26].try_into().unwrap()), crc);
            let mut zeroed = page.to_vec();
            zeroed[22..26].fill(0);
            assert_eq!(crc32(&zeroed), crc);
        }
        // Our OpusHead page for the same stream is the same, byte for byte.
        let head = OpusHead {
            channels: 1,
            pre_skip: 312,
            input_sample_rate: 48_000,
            output_gain: 0,
        };
        let ours = OggOpusWriter::new(Vec::new(), head, 0, "ffmpeg")
            .unwrap()
            .finish()
            .unwrap();
        assert_eq!(ours[..47], *head_page);
        // Its OpusTags page differs only by ffmpeg's comment.
        let pages = pages(&ours);
        assert_eq!(pages[1].4[..18], tags_page[28..46]);
    }

    #[test]
    fn headers_then_audio_pages() {
        let mut writer = OggOpusWriter::new(Vec::new(), head(), 7, "sansrtc").unwrap();
        for i in 0..120u8 {
            writer.write_packet(&[0xfc, i, i], 960).unwrap();
        }
        assert_eq!(writer.packets(), 120);
        assert_eq!(writer.granule_position(), 312 + 120 * 960);
        let bytes = writer.finish().unwrap();
        let pages = pages(&bytes);
        // OpusHead, OpusTags, then 50 + 50 + 20 packets.
        assert_eq!(pages.len(), 5);
        let (flags, granule, sequence, lacing, data) = &pages[0];
        assert_eq!((*flags, *granule, *sequence), (flag::BEGINNING, 0, 0));
        assert_eq!(lacing, &[19]);
        assert_eq!(
            data,
            &[
                b'O', b'p', b'u', b's', b'H', b'e', b'a', b'd', 1, 2, 0x38, 0x01, 0x80, 0xbb, 0, 0,
                0, 0, 0
            ]
        );
        assert_eq!(&pages[1].4[..8], b"OpusTags");
        assert_eq!(pages[1].1, 0);
        assert_eq!(pages[2].1, 312 + 50 * 960);
        assert_eq!(pages[2].3, vec![3; 50]);
        assert_eq!(pages[3].1, 312 + 100 * 960);
        let (flags, granule, sequence, lacing, _) = &pages[4];
        assert_eq!(
            (*flags, *granule, *sequence),
            (flag::END, 312 + 120 * 960, 4)
        );
        assert_eq!(lacing.len(), 20);
        for page in &pages {
            assert_eq!(page.0 & flag::CONTINUED, 0);
        }
    }

    #[test]
    fn a_packet_longer_than_a_page_spans_two() {
        let mut writer = OggOpusWriter::new(Vec::new(), head(), 1, "sansrtc").unwrap();
        // 510 bytes need lacing 255, 255, 0.
        writer.write_packet(&[1; 510], 960).unwrap();
        // 255 segments of 255 and a 0: more than a page holds.
        let long = vec![2u8; MAX_PACKET_LEN];
        writer.write_packet(&long, 960).unwrap();
        writer.write_packet(&[3; 10], 960).unwrap();
        assert!(
            writer
                .write_packet(&vec![0; MAX_PACKET_LEN + 1], 960)
                .is_err()
        );
        let pages = pages(&writer.finish().unwrap());
        let audio = &pages[2..];
        assert_eq!(audio.len(), 3);
        // The short packet alone: the long one would not fit after it.
        assert_eq!(audio[0].3, [255, 255, 0]);
        assert_eq!(audio[0].1, 312 + 960);
        // The long packet's first 255 segments: no packet ends there.
        assert_eq!(audio[1].3, vec![255; 255]);
        assert_eq!(audio[1].1, u64::MAX);
        assert_eq!(audio[1].0, 0);
        // Its last (empty) segment, then the 10-byte packet.
        assert_eq!(audio[2].0, flag::CONTINUED | flag::END);
        assert_eq!(audio[2].3, [0, 10]);
        assert_eq!(audio[2].1, 312 + 3 * 960);
        let data: Vec<u8> = audio.iter().flat_map(|p| p.4.clone()).collect();
        assert_eq!(data.len(), 510 + MAX_PACKET_LEN + 10);
        assert!(
            OggOpusWriter::new(
                Vec::new(),
                OpusHead {
                    channels: 3,
                    ..head()
                },
                1,
                "v"
            )
            .is_err()
        );
    }

    #[test]
    fn an_empty_stream_still_ends() {
        let bytes = OggOpusWriter::new(Vec::new(), head(), 1, "v")
            .unwrap()
            .finish()
            .unwrap();
        let pages = pages(&bytes);
        assert_eq!(pages.len(), 3);
        assert_eq!((pages[2].0, pages[2].1), (flag::END, 312));
        assert!(pages[2].3.is_empty());
    }
}
