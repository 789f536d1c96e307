//! Is a datagram DTLS, and is its record framing whole? A check of the
//! record headers only (RFC 6347 §4.1, RFC 9147 §4), so that broken
//! datagrams get a clear error; the records themselves are dimpl's.

/// What a datagram looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// DTLS records, framed correctly as far as the headers tell.
    Dtls,
    /// Not DTLS: the first byte is outside 20..=63 (RFC 7983 §7).
    NotDtls,
}

/// The DTLS 1.2 record header: type, version, epoch, sequence number,
/// length.
const HEADER_LEN: usize = 13;

/// Classifies `datagram` and checks that its records tile it.
pub(crate) fn classify(datagram: &[u8]) -> Result<Kind, &'static str> {
    let Some(&first) = datagram.first() else {
        return Err("empty datagram");
    };
    if !(20..=63).contains(&first) {
        return Ok(Kind::NotDtls);
    }
    let mut rest = datagram;
    while let Some(&first) = rest.first() {
        rest = match first {
            // DTLS 1.3 unified header: 001CSLEE (RFC 9147 §4).
            32..=63 => {
                if first & 0x10 != 0 {
                    // A connection id of a length only the connection knows
                    // (none is negotiated): the rest is the library's to
                    // refuse.
                    return Ok(Kind::Dtls);
                }
                let sequence_len = if first & 0x08 != 0 { 2 } else { 1 };
                let (_, after) = rest
                    .split_at_checked(1 + sequence_len)
                    .ok_or("truncated DTLS 1.3 record header")?;
                if first & 0x04 == 0 {
                    // No length: the record runs to the end of the datagram.
                    return Ok(Kind::Dtls);
                }
                let (length, body) = after
                    .split_first_chunk::<2>()
                    .ok_or("truncated DTLS 1.3 record header")?;
                let length = usize::from(u16::from_be_bytes(*length));
                body.get(length..)
                    .ok_or("DTLS 1.3 record longer than the datagram")?
            }
            20..=31 => {
                let (header, body) = rest
                    .split_first_chunk::<HEADER_LEN>()
                    .ok_or("truncated record header")?;
                let length = usize::from(u16::from_be_bytes([header[11], header[12]]));
                body.get(length..)
                    .ok_or("record longer than the datagram")?
            }
            _ => return Err("a record of no DTLS content type"),
        };
    }
    Ok(Kind::Dtls)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(content_type: u8, body: &[u8]) -> Vec<u8> {
        let mut bytes = vec![content_type, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 1];
        bytes.extend_from_slice(&(body.len() as u16).to_be_bytes());
        bytes.extend_from_slice(body);
        bytes
    }

    #[test]
    fn demultiplexes_by_the_first_byte() {
        assert_eq!(classify(&[]), Err("empty datagram"));
        for first in [0u8, 1, 3, 19, 64, 79, 128, 191, 255] {
            assert_eq!(classify(&[first, 0, 0, 0]), Ok(Kind::NotDtls), "{first}");
        }
    }

    #[test]
    fn records_must_tile_the_datagram() {
        let one = record(22, &[1, 2, 3]);
        assert_eq!(classify(&one), Ok(Kind::Dtls));
        let mut two = one.clone();
        two.extend(record(23, &[]));
        assert_eq!(classify(&two), Ok(Kind::Dtls));
        assert_eq!(classify(&one[..12]), Err("truncated record header"));
        assert_eq!(classify(&one[..15]), Err("record longer than the datagram"));
        let mut trailing = one.clone();
        trailing.push(0x99);
        assert_eq!(classify(&trailing), Err("a record of no DTLS content type"));
        trailing.pop();
        trailing.push(22);
        assert_eq!(classify(&trailing), Err("truncated record header"));
    }

    #[test]
    fn dtls_1_3_unified_headers() {
        // 001 C=0 S=1 L=1 EE=01: 16-bit sequence, length present.
        let mut ciphertext = vec![0b0010_1101, 0x00, 0x05, 0x00, 0x03, 1, 2, 3];
        assert_eq!(classify(&ciphertext), Ok(Kind::Dtls));
        ciphertext.truncate(7);
        assert_eq!(
            classify(&ciphertext),
            Err("DTLS 1.3 record longer than the datagram")
        );
        assert_eq!(
            classify(&[0b0010_1101, 0x00]),
            Err("truncated DTLS 1.3 record header")
        );
        // No length: the rest is the record.
        assert_eq!(classify(&[0b0010_0001, 7, 1, 2, 3, 4]), Ok(Kind::Dtls));
        // A plaintext record followed by a ciphertext one.
        let mut mixed = record(22, &[9]);
        mixed.extend([0b0010_1101, 0x00, 0x05, 0x00, 0x01, 1]);
        assert_eq!(classify(&mixed), Ok(Kind::Dtls));
    }
}
