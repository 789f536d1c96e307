//! Framing around STUN: TURN ChannelData, RFC 4571 length-prefixed streams,
//! and telling STUN apart from the other protocols on a WebRTC socket.

pub use crate::drive::Transport;
use crate::error::{ParseError, WriteError};
use crate::message::{HEADER_LEN, MAGIC_COOKIE};

/// Lowest channel number a client may bind (RFC 8656 §12).
pub const MIN_CHANNEL: u16 = 0x4000;

/// Highest channel number a client may bind (RFC 8656 §12).
pub const MAX_CHANNEL: u16 = 0x4FFF;

/// Length of the ChannelData header.
pub const CHANNEL_DATA_HEADER_LEN: usize = 4;

/// A TURN ChannelData message: application data on a bound channel.
///
/// <https://www.rfc-editor.org/rfc/rfc8656#section-12.4>
///
/// ```
/// use sansrtc_stun::framing::{ChannelData, Transport};
///
/// let mut buf = [0u8; 16];
/// let len = ChannelData::new(0x4001, b"hello").write_to(&mut buf, Transport::Tcp)?;
/// assert_eq!(len, 12); // 4-byte header, 5 bytes, 3 bytes of padding
/// let message = ChannelData::parse(&buf[..len], Transport::Tcp).unwrap();
/// assert_eq!(message.channel_number, 0x4001);
/// assert_eq!(message.data, b"hello");
/// # Ok::<(), sansrtc_stun::WriteError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChannelData<'a> {
    /// The channel number, 0x4000–0x4FFF.
    pub channel_number: u16,
    /// The application data.
    pub data: &'a [u8],
}

impl<'a> ChannelData<'a> {
    /// A ChannelData message to write.
    pub const fn new(channel_number: u16, data: &'a [u8]) -> Self {
        Self {
            channel_number,
            data,
        }
    }

    /// Parses one ChannelData message that fills `bytes`. Over a datagram
    /// transport the bytes after the data may be padding (up to 3 bytes);
    /// over a stream the padding must be present.
    pub fn parse(bytes: &'a [u8], transport: Transport) -> Result<Self, ParseError> {
        let (header, rest) =
            bytes
                .split_first_chunk::<CHANNEL_DATA_HEADER_LEN>()
                .ok_or(ParseError::Truncated {
                    needed: CHANNEL_DATA_HEADER_LEN,
                    have: bytes.len(),
                })?;
        let [c0, c1, l0, l1] = *header;
        let channel_number = u16::from_be_bytes([c0, c1]);
        if !(MIN_CHANNEL..=MAX_CHANNEL).contains(&channel_number) {
            return Err(ParseError::BadChannelNumber(channel_number));
        }
        let len = usize::from(u16::from_be_bytes([l0, l1]));
        let (data, padding) = rest.split_at_checked(len).ok_or(ParseError::Truncated {
            needed: CHANNEL_DATA_HEADER_LEN + len,
            have: bytes.len(),
        })?;
        let expected_padding = padding_len(len);
        let padding_ok = match transport {
            Transport::Tcp => padding.len() == expected_padding,
            _ => padding.is_empty() || padding.len() == expected_padding,
        };
        if !padding_ok {
            return Err(if padding.len() < expected_padding {
                ParseError::Truncated {
                    needed: CHANNEL_DATA_HEADER_LEN + len + expected_padding,
                    have: bytes.len(),
                }
            } else {
                ParseError::BadAttribute {
                    kind: channel_number,
                    reason: "ChannelData followed by more than its padding",
                }
            });
        }
        Ok(Self {
            channel_number,
            data,
        })
    }

    /// Length on the wire: header, data, and the padding the transport
    /// calls for (none over datagrams, up to three bytes over streams).
    pub const fn encoded_len(&self, transport: Transport) -> usize {
        let len = CHANNEL_DATA_HEADER_LEN + self.data.len();
        match transport {
            Transport::Tcp => len + padding_len(self.data.len()),
            _ => len,
        }
    }

    /// Writes the message into `buf` and returns its length.
    pub fn write_to(&self, buf: &mut [u8], transport: Transport) -> Result<usize, WriteError> {
        if !(MIN_CHANNEL..=MAX_CHANNEL).contains(&self.channel_number) {
            return Err(WriteError::InvalidValue {
                kind: self.channel_number,
                reason: "channel number outside 0x4000-0x4FFF",
            });
        }
        let data_len = u16::try_from(self.data.len()).map_err(|_| WriteError::InvalidValue {
            kind: self.channel_number,
            reason: "ChannelData longer than 65535 bytes",
        })?;
        let needed = self.encoded_len(transport);
        let have = buf.len();
        let out = buf
            .get_mut(..needed)
            .ok_or(WriteError::BufferTooSmall { needed, have })?;
        let (header, rest) = out.split_at_mut(CHANNEL_DATA_HEADER_LEN);
        let [c0, c1] = self.channel_number.to_be_bytes();
        let [l0, l1] = data_len.to_be_bytes();
        header.copy_from_slice(&[c0, c1, l0, l1]);
        let (data, padding) = rest.split_at_mut(self.data.len());
        data.copy_from_slice(self.data);
        padding.fill(0);
        Ok(needed)
    }
}

const fn padding_len(len: usize) -> usize {
    (4 - len % 4) % 4
}

/// How many bytes the next STUN message or ChannelData message at the front
/// of a TURN stream (TCP or TLS) takes, so a caller can cut the stream into
/// messages (RFC 8656 §12.5: "the client MUST pad ChannelData over TCP").
///
/// Returns `Ok(None)` while fewer than four bytes are buffered, and an error
/// when the first bytes are neither STUN nor ChannelData (the stream cannot
/// be resynchronised then).
pub fn stream_frame_len(buf: &[u8]) -> Result<Option<usize>, ParseError> {
    let Some(&[b0, b1, l0, l1]) = buf.first_chunk::<4>() else {
        return Ok(None);
    };
    let len = usize::from(u16::from_be_bytes([l0, l1]));
    match b0 >> 6 {
        0b00 => Ok(Some(HEADER_LEN + len)),
        0b01 => {
            let channel = u16::from_be_bytes([b0, b1]);
            if !(MIN_CHANNEL..=MAX_CHANNEL).contains(&channel) {
                return Err(ParseError::BadChannelNumber(channel));
            }
            Ok(Some(CHANNEL_DATA_HEADER_LEN + len + padding_len(len)))
        }
        _ => Err(ParseError::NotStun),
    }
}

/// RFC 4571 framing: each packet on a stream is preceded by its length as a
/// 16-bit big-endian number. ICE-TCP (RFC 6544) carries STUN and media this
/// way.
///
/// <https://www.rfc-editor.org/rfc/rfc4571#section-2>
pub mod rfc4571 {
    use crate::error::WriteError;

    /// Length of the frame header.
    pub const HEADER_LEN: usize = 2;

    /// Largest packet a frame can carry.
    pub const MAX_PACKET_LEN: usize = u16::MAX as usize;

    /// Splits the first complete frame off `buf`: `Ok(Some((packet, rest)))`,
    /// or `Ok(None)` when more bytes are needed. A caller that buffers
    /// never needs more than `HEADER_LEN + MAX_PACKET_LEN` bytes.
    ///
    /// ```
    /// use sansrtc_stun::framing::rfc4571;
    ///
    /// let stream = [0, 3, b'a', b'b', b'c', 0, 1];
    /// let (packet, rest) = rfc4571::split(&stream).unwrap();
    /// assert_eq!(packet, b"abc");
    /// assert_eq!(rfc4571::split(rest), None); // the second frame is incomplete
    /// ```
    pub fn split(buf: &[u8]) -> Option<(&[u8], &[u8])> {
        let (&header, rest) = buf.split_first_chunk::<HEADER_LEN>()?;
        let len = usize::from(u16::from_be_bytes(header));
        rest.split_at_checked(len)
    }

    /// Writes the frame header and `packet` into `buf`; returns the length.
    pub fn write_to(packet: &[u8], buf: &mut [u8]) -> Result<usize, WriteError> {
        let len = u16::try_from(packet.len()).map_err(|_| WriteError::InvalidValue {
            kind: 0,
            reason: "RFC 4571 frames carry at most 65535 bytes",
        })?;
        let needed = HEADER_LEN + packet.len();
        let have = buf.len();
        let out = buf
            .get_mut(..needed)
            .ok_or(WriteError::BufferTooSmall { needed, have })?;
        let (header, body) = out.split_at_mut(HEADER_LEN);
        header.copy_from_slice(&len.to_be_bytes());
        body.copy_from_slice(packet);
        Ok(needed)
    }

    /// The frame header for a packet of `len` bytes, for callers that write
    /// header and packet separately (vectored I/O).
    pub fn header(len: usize) -> Result<[u8; HEADER_LEN], WriteError> {
        u16::try_from(len)
            .map(u16::to_be_bytes)
            .map_err(|_| WriteError::InvalidValue {
                kind: 0,
                reason: "RFC 4571 frames carry at most 65535 bytes",
            })
    }
}

/// How messages are cut out of a byte stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StreamFraming {
    /// A stream to a TURN server: STUN messages and ChannelData back to
    /// back, each delimited by its own length field (RFC 8656 §12.5).
    Turn,
    /// RFC 4571: each packet preceded by a 16-bit length (ICE-TCP,
    /// RFC 6544).
    Rfc4571,
}

/// Most bytes a [`StreamReader`] holds: one largest frame plus what may
/// follow it in the same read. A peer cannot make it hold more.
pub const MAX_STREAM_BUFFER: usize = 2 * (rfc4571::HEADER_LEN + rfc4571::MAX_PACKET_LEN);

/// Why a stream cannot be read further. After this error the stream is out
/// of sync: close the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamError {
    /// The bytes at a frame boundary are neither STUN nor ChannelData.
    #[error("stream out of sync: {0}")]
    Framing(ParseError),
    /// More than [`MAX_STREAM_BUFFER`] bytes would be buffered.
    #[error("more than {MAX_STREAM_BUFFER} bytes buffered without a complete frame")]
    Overflow,
}

/// Cuts a TCP stream into the messages the state machines take: push the
/// bytes read from the socket, then hand every frame to `handle_receive`
/// with [`Transport::Tcp`].
///
/// ```
/// use sansrtc_stun::framing::{StreamFraming, StreamReader};
///
/// let mut reader = StreamReader::new(StreamFraming::Rfc4571);
/// reader.push(&[0, 3, b'a', b'b'])?;
/// assert_eq!(reader.next_frame()?, None); // incomplete
/// reader.push(&[b'c', 0, 1, b'd'])?;
/// assert_eq!(reader.next_frame()?, Some(&b"abc"[..]));
/// assert_eq!(reader.next_frame()?, Some(&b"d"[..]));
/// assert_eq!(reader.next_frame()?, None);
/// # Ok::<(), sansrtc_stun::framing::StreamError>(())
/// ```
#[cfg(feature = "std")]
#[derive(Debug, Clone)]
pub struct StreamReader {
    framing: StreamFraming,
    buffer: alloc::vec::Vec<u8>,
    /// Where the unread bytes start.
    start: usize,
}

#[cfg(feature = "std")]
impl StreamReader {
    /// An empty reader.
    pub const fn new(framing: StreamFraming) -> Self {
        Self {
            framing,
            buffer: alloc::vec::Vec::new(),
            start: 0,
        }
    }

    /// Appends bytes read from the stream.
    pub fn push(&mut self, bytes: &[u8]) -> Result<(), StreamError> {
        if self.start > 0 {
            self.buffer.drain(..self.start);
            self.start = 0;
        }
        if self.buffer.len().saturating_add(bytes.len()) > MAX_STREAM_BUFFER {
            return Err(StreamError::Overflow);
        }
        self.buffer.extend_from_slice(bytes);
        Ok(())
    }

    /// The next complete frame (for [`StreamFraming::Turn`], the whole
    /// message; for RFC 4571, the packet without its length), or `None`
    /// until more bytes arrive.
    pub fn next_frame(&mut self) -> Result<Option<&[u8]>, StreamError> {
        let unread = self.buffer.get(self.start..).unwrap_or_default();
        let (skip, frame_len) = match self.framing {
            StreamFraming::Turn => match stream_frame_len(unread) {
                Ok(Some(len)) => (0, len),
                Ok(None) => return Ok(None),
                Err(error) => return Err(StreamError::Framing(error)),
            },
            StreamFraming::Rfc4571 => match unread.first_chunk::<{ rfc4571::HEADER_LEN }>() {
                Some(&header) => (rfc4571::HEADER_LEN, usize::from(u16::from_be_bytes(header))),
                None => return Ok(None),
            },
        };
        let end = self.start + skip + frame_len;
        if end > self.buffer.len() {
            return Ok(None);
        }
        let frame = self.buffer.get(self.start + skip..end).unwrap_or_default();
        self.start = end;
        Ok(Some(frame))
    }

    /// Bytes buffered and not yet returned as a frame.
    pub fn buffered(&self) -> usize {
        self.buffer.len() - self.start
    }
}

/// What a datagram on a WebRTC socket carries, by its first byte
/// (RFC 7983, updated by RFC 9443).
///
/// <https://www.rfc-editor.org/rfc/rfc9443#section-3>
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum PacketKind {
    /// 0–3: STUN.
    Stun,
    /// 16–19: ZRTP.
    Zrtp,
    /// 20–63: DTLS.
    Dtls,
    /// 64–79: TURN ChannelData.
    ChannelData,
    /// 80–127 and 192–255: QUIC.
    Quic,
    /// 128–191: RTP or RTCP.
    Rtp,
    /// 4–15, or an empty packet: nothing registered.
    Unknown,
}

impl PacketKind {
    /// Classifies a packet by its first byte.
    ///
    /// ```
    /// use sansrtc_stun::framing::PacketKind;
    ///
    /// assert_eq!(PacketKind::of(&[0x00, 0x01]), PacketKind::Stun);
    /// assert_eq!(PacketKind::of(&[0x80, 0x60]), PacketKind::Rtp);
    /// assert_eq!(PacketKind::of(&[22, 0xfe, 0xfd]), PacketKind::Dtls);
    /// ```
    pub fn of(packet: &[u8]) -> Self {
        match packet.first() {
            Some(0..=3) => Self::Stun,
            Some(16..=19) => Self::Zrtp,
            Some(20..=63) => Self::Dtls,
            Some(64..=79) => Self::ChannelData,
            Some(80..=127 | 192..=255) => Self::Quic,
            Some(128..=191) => Self::Rtp,
            Some(4..=15) | None => Self::Unknown,
        }
    }
}

/// Whether `bytes` starts like a STUN message with the RFC 8489 magic
/// cookie: at least a header, the two top bits zero and the cookie in place.
/// Cheaper than [`is_stun`](crate::is_stun), which also checks the length.
pub fn has_magic_cookie(bytes: &[u8]) -> bool {
    match bytes.first_chunk::<8>() {
        Some(&[b0, _, _, _, c0, c1, c2, c3]) => {
            b0 & 0xC0 == 0 && u32::from_be_bytes([c0, c1, c2, c3]) == MAGIC_COOKIE
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    extern crate alloc;

    use alloc::vec;

    use super::*;
    use crate::message::tests::hex;

    #[test]
    fn channel_data_over_datagrams() {
        // Unpadded, as UDP allows.
        let bytes = hex("4001 0005 68656c6c6f");
        let message = ChannelData::parse(&bytes, Transport::Udp).unwrap();
        assert_eq!(message, ChannelData::new(0x4001, b"hello"));
        assert_eq!(message.encoded_len(Transport::Udp), 9);
        let mut out = [0u8; 9];
        assert_eq!(message.write_to(&mut out, Transport::Udp), Ok(9));
        assert_eq!(out[..], bytes[..]);
        // Padded, which UDP also allows.
        let padded = hex("4001 0005 68656c6c6f 000000");
        assert_eq!(
            ChannelData::parse(&padded, Transport::Udp),
            Ok(ChannelData::new(0x4001, b"hello"))
        );
        // Some padding but not all of it.
        assert_eq!(
            ChannelData::parse(&hex("4001 0005 68656c6c6f 00"), Transport::Udp),
            Err(ParseError::Truncated {
                needed: 12,
                have: 10
            })
        );
        // More than the padding.
        assert_eq!(
            ChannelData::parse(&hex("4001 0005 68656c6c6f 00000000"), Transport::Udp),
            Err(ParseError::BadAttribute {
                kind: 0x4001,
                reason: "ChannelData followed by more than its padding"
            })
        );
        // Aligned data takes no padding; anything after it is too much.
        assert_eq!(
            ChannelData::parse(&hex("4fff 0004 01020304"), Transport::Udp),
            Ok(ChannelData::new(0x4fff, &[1, 2, 3, 4]))
        );
        assert!(ChannelData::parse(&hex("4fff 0004 01020304 00"), Transport::Udp).is_err());
        // Empty data.
        assert_eq!(
            ChannelData::parse(&hex("4000 0000"), Transport::Udp),
            Ok(ChannelData::new(0x4000, b""))
        );
    }

    #[test]
    fn channel_data_over_streams() {
        let bytes = hex("4001 0005 68656c6c6f 000000");
        let message = ChannelData::parse(&bytes, Transport::Tcp).unwrap();
        assert_eq!(message, ChannelData::new(0x4001, b"hello"));
        assert_eq!(message.encoded_len(Transport::Tcp), 12);
        let mut out = [0xffu8; 12];
        assert_eq!(message.write_to(&mut out, Transport::Tcp), Ok(12));
        assert_eq!(out[..], bytes[..]);
        // Over a stream the padding is mandatory.
        assert_eq!(
            ChannelData::parse(&hex("4001 0005 68656c6c6f"), Transport::Tcp),
            Err(ParseError::Truncated {
                needed: 12,
                have: 9
            })
        );
        assert!(ChannelData::parse(&hex("4001 0005 68656c6c6f 00000000"), Transport::Tcp).is_err());
    }

    #[test]
    fn channel_data_errors() {
        for channel in ["0000", "3fff", "5000", "7fff", "ffff"] {
            let bytes = hex(&alloc::format!("{channel} 0000"));
            let number = u16::from_be_bytes([bytes[0], bytes[1]]);
            for transport in [Transport::Udp, Transport::Tcp] {
                assert_eq!(
                    ChannelData::parse(&bytes, transport),
                    Err(ParseError::BadChannelNumber(number))
                );
            }
            assert!(matches!(
                ChannelData::new(number, b"").write_to(&mut [0u8; 8], Transport::Udp),
                Err(WriteError::InvalidValue { .. })
            ));
        }
        assert_eq!(
            ChannelData::parse(&hex("4001 00"), Transport::Udp),
            Err(ParseError::Truncated { needed: 4, have: 3 })
        );
        assert_eq!(
            ChannelData::parse(&hex("4001 0008 01020304"), Transport::Udp),
            Err(ParseError::Truncated {
                needed: 12,
                have: 8
            })
        );
        // Writing: a short buffer and data over 65535 bytes are errors.
        let message = ChannelData::new(0x4001, b"hello");
        assert_eq!(
            message.write_to(&mut [0u8; 11], Transport::Tcp),
            Err(WriteError::BufferTooSmall {
                needed: 12,
                have: 11
            })
        );
        let data = vec![0u8; 65_536];
        assert!(matches!(
            ChannelData::new(0x4001, &data).write_to(&mut vec![0u8; 70_000], Transport::Udp),
            Err(WriteError::InvalidValue { .. })
        ));
    }

    #[test]
    fn stream_frame_lengths() {
        assert_eq!(stream_frame_len(&[]), Ok(None));
        assert_eq!(stream_frame_len(&[0x00, 0x01, 0x00]), Ok(None));
        // A STUN header: 20 bytes plus the length field.
        assert_eq!(
            stream_frame_len(&hex("0001 0058 2112a442")),
            Ok(Some(20 + 0x58))
        );
        assert_eq!(stream_frame_len(&hex("0101 0000")), Ok(Some(20)));
        // ChannelData: header, data and padding to four.
        assert_eq!(stream_frame_len(&hex("4001 0005")), Ok(Some(12)));
        assert_eq!(stream_frame_len(&hex("4fff 0008 0102")), Ok(Some(12)));
        assert_eq!(stream_frame_len(&hex("4000 0000")), Ok(Some(4)));
        assert_eq!(
            stream_frame_len(&hex("5000 0004")),
            Err(ParseError::BadChannelNumber(0x5000))
        );
        assert_eq!(
            stream_frame_len(&hex("7fff 0004")),
            Err(ParseError::BadChannelNumber(0x7fff))
        );
        assert_eq!(
            stream_frame_len(&hex("8000 0004")),
            Err(ParseError::NotStun)
        );
        assert_eq!(
            stream_frame_len(&hex("c000 0004")),
            Err(ParseError::NotStun)
        );
    }

    #[test]
    fn rfc4571_framing() {
        let stream = hex("0003 616263 0000 0001");
        let (packet, rest) = rfc4571::split(&stream).unwrap();
        assert_eq!(packet, b"abc");
        let (packet, rest) = rfc4571::split(rest).unwrap();
        assert_eq!(packet, b"");
        assert_eq!(rest, [0x00, 0x01]);
        assert_eq!(rfc4571::split(rest), None);
        assert_eq!(rfc4571::split(&[0x00]), None);
        assert_eq!(rfc4571::split(&[]), None);

        let mut out = [0u8; 5];
        assert_eq!(rfc4571::write_to(b"abc", &mut out), Ok(5));
        assert_eq!(out, [0x00, 0x03, b'a', b'b', b'c']);
        assert_eq!(
            rfc4571::write_to(b"abcd", &mut out),
            Err(WriteError::BufferTooSmall { needed: 6, have: 5 })
        );
        let big = vec![0u8; rfc4571::MAX_PACKET_LEN + 1];
        assert!(matches!(
            rfc4571::write_to(&big, &mut vec![0u8; 70_000]),
            Err(WriteError::InvalidValue { .. })
        ));
        let mut out = vec![0u8; rfc4571::HEADER_LEN + rfc4571::MAX_PACKET_LEN];
        assert_eq!(
            rfc4571::write_to(&big[1..], &mut out),
            Ok(rfc4571::HEADER_LEN + rfc4571::MAX_PACKET_LEN)
        );
        assert_eq!(rfc4571::split(&out).map(|(p, _)| p.len()), Some(65_535));

        assert_eq!(rfc4571::header(0x0102), Ok([0x01, 0x02]));
        assert_eq!(rfc4571::header(65_535), Ok([0xff, 0xff]));
        assert!(matches!(
            rfc4571::header(65_536),
            Err(WriteError::InvalidValue { .. })
        ));
    }

    #[test]
    fn packet_kinds() {
        let expected = |byte: u8| match byte {
            0..=3 => PacketKind::Stun,
            4..=15 => PacketKind::Unknown,
            16..=19 => PacketKind::Zrtp,
            20..=63 => PacketKind::Dtls,
            64..=79 => PacketKind::ChannelData,
            80..=127 => PacketKind::Quic,
            128..=191 => PacketKind::Rtp,
            192..=255 => PacketKind::Quic,
        };
        for byte in 0..=255u8 {
            assert_eq!(PacketKind::of(&[byte, 0, 0, 0]), expected(byte), "{byte}");
        }
        // The boundaries, spelled out.
        for (byte, kind) in [
            (0, PacketKind::Stun),
            (3, PacketKind::Stun),
            (4, PacketKind::Unknown),
            (15, PacketKind::Unknown),
            (16, PacketKind::Zrtp),
            (19, PacketKind::Zrtp),
            (20, PacketKind::Dtls),
            (63, PacketKind::Dtls),
            (64, PacketKind::ChannelData),
            (79, PacketKind::ChannelData),
            (80, PacketKind::Quic),
            (127, PacketKind::Quic),
            (128, PacketKind::Rtp),
            (191, PacketKind::Rtp),
            (192, PacketKind::Quic),
            (255, PacketKind::Quic),
        ] {
            assert_eq!(PacketKind::of(&[byte]), kind, "{byte}");
        }
        assert_eq!(PacketKind::of(&[]), PacketKind::Unknown);
    }

    #[test]
    fn magic_cookie_check() {
        assert!(has_magic_cookie(&hex("0001 0000 2112a442")));
        assert!(has_magic_cookie(&hex("0101 0058 2112a442 b7e7")));
        assert!(!has_magic_cookie(&hex("0001 0000 2112a443")));
        assert!(!has_magic_cookie(&hex("4001 0000 2112a442")));
        assert!(!has_magic_cookie(&hex("0001 0000 2112a4")));
    }
}
