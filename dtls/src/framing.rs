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

/// Which plaintext (epoch 0) handshake messages an endpoint takes. The
/// library keys the handshake messages it holds by message sequence number
/// and keeps the first copy of each, so a stray message with a number a
/// real one will use could take that one's place: what the role never
/// receives is better dropped before it gets there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Plaintext {
    /// Role not known yet: everything is kept for later.
    Any,
    /// A client: HelloVerifyRequest, ServerHello, Certificate,
    /// ServerKeyExchange, CertificateRequest, ServerHelloDone.
    Client,
    /// A server: ClientHello (numbered up to this: 0, or 1 where a cookie
    /// or a HelloRetryRequest can make the client send a second one),
    /// Certificate, CertificateVerify, ClientKeyExchange.
    Server(u16),
}

/// Handshake message types (RFC 5246 §7.4, RFC 6347 §4.3.2).
const CLIENT_HELLO: u8 = 1;
const FROM_SERVERS: [u8; 6] = [2, 3, 11, 12, 13, 14];
const FROM_CLIENTS: [u8; 4] = [CLIENT_HELLO, 11, 15, 16];

/// Checks a DTLS 1.2-style record against `plaintext`.
fn check_plaintext(
    header: &[u8; HEADER_LEN],
    body: &[u8],
    plaintext: Plaintext,
) -> Result<(), &'static str> {
    let plaintext_handshake = header[0] == 22 && header[3] == 0 && header[4] == 0;
    let Some(&[msg_type, _, _, _, seq_high, seq_low]) = body.first_chunk::<6>() else {
        return Ok(());
    };
    if !plaintext_handshake {
        return Ok(());
    }
    match plaintext {
        Plaintext::Any => Ok(()),
        Plaintext::Client if FROM_SERVERS.contains(&msg_type) => Ok(()),
        Plaintext::Client => Err("a handshake message no server sends in the clear"),
        Plaintext::Server(max) if msg_type == CLIENT_HELLO => {
            if u16::from_be_bytes([seq_high, seq_low]) > max {
                Err("a ClientHello with a message sequence number no client sends")
            } else {
                Ok(())
            }
        }
        Plaintext::Server(_) if FROM_CLIENTS.contains(&msg_type) => Ok(()),
        Plaintext::Server(_) => Err("a handshake message no client sends in the clear"),
    }
}

/// Classifies `datagram` and checks that its records tile it.
#[cfg(test)]
pub(crate) fn classify(datagram: &[u8]) -> Result<Kind, &'static str> {
    classify_for(datagram, Plaintext::Any)
}

/// Classifies `datagram`, checks that its records tile it, and refuses
/// the plaintext handshake messages `plaintext` does not take.
pub(crate) fn classify_for(datagram: &[u8], plaintext: Plaintext) -> Result<Kind, &'static str> {
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
                let (record, after) = body
                    .split_at_checked(length)
                    .ok_or("record longer than the datagram")?;
                check_plaintext(header, record, plaintext)?;
                after
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
    fn plaintext_messages_a_role_never_receives_are_refused() {
        // Handshake header: type, length, message_seq, offset, fragment length.
        let message = |msg_type: u8, seq: u16| {
            let mut body = vec![msg_type, 0, 0, 1];
            body.extend_from_slice(&seq.to_be_bytes());
            body.extend_from_slice(&[0, 0, 0, 0, 0, 1, 0xaa]);
            record(22, &body)
        };
        let hello = |seq| message(CLIENT_HELLO, seq);
        assert_eq!(classify_for(&hello(0), Plaintext::Any), Ok(Kind::Dtls));
        assert_eq!(classify_for(&hello(7), Plaintext::Any), Ok(Kind::Dtls));
        assert_eq!(
            classify_for(&hello(0), Plaintext::Server(0)),
            Ok(Kind::Dtls)
        );
        assert!(classify_for(&hello(1), Plaintext::Server(0)).is_err());
        assert_eq!(
            classify_for(&hello(1), Plaintext::Server(1)),
            Ok(Kind::Dtls)
        );
        assert!(classify_for(&hello(0), Plaintext::Client).is_err());
        for msg_type in FROM_SERVERS {
            assert_eq!(
                classify_for(&message(msg_type, 1), Plaintext::Client),
                Ok(Kind::Dtls)
            );
        }
        for msg_type in FROM_CLIENTS {
            assert_eq!(
                classify_for(&message(msg_type, 0), Plaintext::Server(0)),
                Ok(Kind::Dtls)
            );
        }
        for msg_type in [0, 2, 20, 0xee] {
            assert!(classify_for(&message(msg_type, 1), Plaintext::Server(1)).is_err());
        }
        for msg_type in [0, 16, 20, 0xee] {
            assert!(classify_for(&message(msg_type, 1), Plaintext::Client).is_err());
        }
        // In a later record of the datagram too.
        let mut two = message(11, 1);
        two.extend(hello(0));
        assert!(classify_for(&two, Plaintext::Client).is_err());
        // Encrypted records (epoch 1) pass.
        let mut encrypted = hello(5);
        encrypted[4] = 1;
        assert_eq!(
            classify_for(&encrypted, Plaintext::Server(0)),
            Ok(Kind::Dtls)
        );
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
