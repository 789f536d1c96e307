//! SRTP (RFC 3711 §3.1, §4; RFC 7714 §8): protecting and unprotecting RTP
//! packets in place.
//!
//! AES-CM packet: `header | encrypted payload | MKI | tag`, the tag over
//! `header | encrypted payload | ROC`. GCM packet: `header | encrypted
//! payload | tag | MKI`, the header as associated data.

use crate::cipher::{Cipher, GCM_TAG_LEN};
use crate::context::{MAX_RTP_INDEX, Replay, ReplayWindow, estimate_index};
use crate::error::{ProtectError, UnprotectError};
use crate::session::Session;

/// The fixed RTP header, in bytes.
const RTP_HEADER_LEN: usize = 12;

/// What protection needs from an RTP header.
#[derive(Debug, Clone, Copy)]
struct Header {
    /// Header length: fixed part, CSRCs and extension.
    len: usize,
    sequence_number: u16,
    ssrc: u32,
    /// Whether the X bit is set.
    has_extension: bool,
}

/// Reads the RTP header at the start of `packet` (RFC 3550 §5.1): version
/// 2, then the CSRC list and the header extension must fit.
fn parse_header(packet: &[u8]) -> Result<Header, &'static str> {
    let Some((fixed, _)) = packet.split_first_chunk::<RTP_HEADER_LEN>() else {
        return Err("shorter than an RTP header");
    };
    let [first, _, seq_hi, seq_lo, _, _, _, _, s0, s1, s2, s3] = *fixed;
    if first >> 6 != 2 {
        return Err("RTP version is not 2");
    }
    let mut len = RTP_HEADER_LEN + 4 * usize::from(first & 0x0f);
    if first & 0x10 != 0 {
        let Some(&[_, _, words_hi, words_lo]) =
            packet.get(len..).and_then(|rest| rest.first_chunk::<4>())
        else {
            return Err("header extension does not fit");
        };
        len += 4 + 4 * usize::from(u16::from_be_bytes([words_hi, words_lo]));
    }
    if len > packet.len() {
        return Err("CSRC list or header extension does not fit");
    }
    Ok(Header {
        len,
        sequence_number: u16::from_be_bytes([seq_hi, seq_lo]),
        ssrc: u32::from_be_bytes([s0, s1, s2, s3]),
        has_extension: first & 0x10 != 0,
    })
}

/// The RFC 8285 one-byte and two-byte header extension profiles, and their
/// encrypted counterparts of RFC 9335 §4.
const ONE_BYTE: u16 = 0xbede;
const TWO_BYTE: u16 = 0x1000;
const ONE_BYTE_CRYPTEX: u16 = 0xc0de;
const TWO_BYTE_CRYPTEX: u16 = 0xc2de;

/// What cryptex (RFC 9335) does to a packet about to be protected.
#[derive(Debug, Clone, Copy)]
enum CryptexPlan {
    /// Nothing: cryptex is off, or there is nothing to hide (no CSRC, no
    /// extension), or the extension is not of RFC 8285.
    None,
    /// Mark the extension block at `at` with `profile` (0xC0DE or 0xC2DE).
    Mark { at: usize, profile: u16 },
    /// CSRCs without an extension: add an empty 0xC0DE block at `at`.
    AddEmpty { at: usize },
}

/// How a packet is encrypted under cryptex: its `csrc_len` bytes of CSRCs
/// and the extension data are encrypted along with the payload; the
/// 4-byte extension header stays in clear. The transform moves that header
/// in front of the CSRCs, so the clear part is the first 16 bytes and the
/// encrypted part is contiguous, then moves it back.
const CRYPTEX_CLEAR_LEN: usize = RTP_HEADER_LEN + 4;

fn cryptex_plan(packet: &[u8]) -> CryptexPlan {
    let Some(&first) = packet.first() else {
        return CryptexPlan::None;
    };
    let at = RTP_HEADER_LEN + 4 * usize::from(first & 0x0f);
    if first & 0x10 == 0 {
        return if first & 0x0f == 0 {
            CryptexPlan::None
        } else {
            CryptexPlan::AddEmpty { at }
        };
    }
    match extension_profile(packet, at) {
        Some(ONE_BYTE) => CryptexPlan::Mark {
            at,
            profile: ONE_BYTE_CRYPTEX,
        },
        Some(TWO_BYTE) => CryptexPlan::Mark {
            at,
            profile: TWO_BYTE_CRYPTEX,
        },
        _ => CryptexPlan::None,
    }
}

fn extension_profile(packet: &[u8], at: usize) -> Option<u16> {
    let &[high, low] = packet.get(at..)?.first_chunk::<2>()?;
    Some(u16::from_be_bytes([high, low]))
}

/// Moves the extension header in front of the CSRCs (`to_front`) or back
/// behind them; `csrc_len` is the CSRC list's length (not 0).
#[cold]
fn move_extension_header(buf: &mut [u8], csrc_len: usize, to_front: bool) {
    if let Some(block) = buf.get_mut(RTP_HEADER_LEN..CRYPTEX_CLEAR_LEN + csrc_len) {
        if to_front {
            block.rotate_right(4);
        } else {
            block.rotate_left(4);
        }
    }
}

const INTERNAL_LENGTH: ProtectError = ProtectError::Malformed {
    reason: "length out of range",
};

impl Session {
    /// Protects the RTP packet `buf[..len]` in place: encrypts its payload
    /// and appends the MKI (if configured) and the authentication tag.
    /// Returns the length of the SRTP packet, at most `len +`
    /// [`rtp_overhead`](Self::rtp_overhead); `buf` must be that long.
    ///
    /// The packet index comes from the sequence number and the stream's
    /// rollover counter (RFC 3711 §3.3.1), which follows the sequence
    /// numbers this session protected for the SSRC, reordered or not. The
    /// first packet of an SSRC starts the stream at rollover counter 0.
    pub fn protect_rtp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, ProtectError> {
        let have = buf.len();
        let packet = buf
            .get(..len)
            .ok_or(ProtectError::BufferTooSmall { needed: len, have })?;
        let header = parse_header(packet).map_err(|reason| ProtectError::Malformed { reason })?;
        let plan = if self.config.cryptex {
            cryptex_plan(packet)
        } else {
            CryptexPlan::None
        };
        let added = if matches!(plan, CryptexPlan::AddEmpty { .. }) {
            4
        } else {
            0
        };
        let mki_len = self.mki_len();
        let tag_len = self.profile.rtp_auth_tag_len();
        let total = len + added + mki_len + tag_len;
        if have < total {
            return Err(ProtectError::BufferTooSmall {
                needed: total,
                have,
            });
        }
        let ssrc = header.ssrc;
        let limit = self.config.max_streams;
        let found = self.outbound.find(ssrc);
        let highest = match found {
            Ok(position) => self.outbound.get(position).and_then(|s| s.rtp.highest),
            Err(_) if self.outbound.has_room(limit) => None,
            Err(_) => return Err(ProtectError::TooManyStreams { ssrc, limit }),
        };
        let index = highest.map_or(u64::from(header.sequence_number), |highest| {
            estimate_index(highest, header.sequence_number)
        });
        if index > MAX_RTP_INDEX {
            return Err(ProtectError::IndexExhausted { ssrc });
        }
        let roc = (index >> 16) as u32;

        // RFC 9335: mark (or add) the extension block, and encrypt from
        // byte 16 with the extension header moved in front of the CSRCs.
        let (len, encrypt_from, csrc_len) = match plan {
            CryptexPlan::None => (len, header.len, 0),
            CryptexPlan::Mark { at, profile } => {
                buf.get_mut(at..at + 2)
                    .ok_or(INTERNAL_LENGTH)?
                    .copy_from_slice(&profile.to_be_bytes());
                (len, CRYPTEX_CLEAR_LEN, at - RTP_HEADER_LEN)
            }
            CryptexPlan::AddEmpty { at } => {
                buf.copy_within(at..len, at + 4);
                let [high, low] = ONE_BYTE_CRYPTEX.to_be_bytes();
                buf.get_mut(at..at + 4)
                    .ok_or(INTERNAL_LENGTH)?
                    .copy_from_slice(&[high, low, 0, 0]);
                if let Some(first) = buf.first_mut() {
                    *first |= 0x10;
                }
                (len + 4, CRYPTEX_CLEAR_LEN, at - RTP_HEADER_LEN)
            }
        };
        if csrc_len != 0 {
            move_extension_header(buf, csrc_len, true);
        }

        let (packet, trailer) = buf.split_at_mut(len);
        let trailer = trailer
            .get_mut(..mki_len + tag_len)
            .ok_or(INTERNAL_LENGTH)?;
        let (head, payload) = packet.split_at_mut(encrypt_from);
        match &self.rtp {
            Cipher::AesCm { ctr, mac, salt } => {
                let iv = Cipher::cm_iv(*salt, ssrc, index);
                ctr.apply(&iv, payload);
                if csrc_len != 0 {
                    move_extension_header(packet, csrc_len, false);
                }
                let digest = mac.digest(packet, &roc.to_be_bytes());
                let (mki, tag) = trailer.split_at_mut(mki_len);
                if mki_len != 0 {
                    mki.copy_from_slice(self.config.mki.as_deref().unwrap_or(&[]));
                }
                tag.copy_from_slice(digest.get(..tag_len).ok_or(INTERNAL_LENGTH)?);
            }
            Cipher::Gcm { gcm, salt } => {
                let iv = Cipher::gcm_iv(*salt, ssrc, roc, header.sequence_number);
                let sealed = gcm.seal(&iv, head, payload).ok_or(INTERNAL_LENGTH)?;
                if csrc_len != 0 {
                    move_extension_header(packet, csrc_len, false);
                }
                let (tag, mki) = trailer.split_at_mut(GCM_TAG_LEN);
                tag.copy_from_slice(&sealed);
                if mki_len != 0 {
                    mki.copy_from_slice(self.config.mki.as_deref().unwrap_or(&[]));
                }
            }
        }

        let stream = self
            .outbound
            .entry(found, ssrc)
            .ok_or(ProtectError::TooManyStreams { ssrc, limit })?;
        stream.rtp.highest = Some(highest.map_or(index, |highest| highest.max(index)));
        Ok(total)
    }

    /// Unprotects the SRTP packet that fills `buf`, in place: checks its
    /// MKI, replay status and tag, then decrypts. Returns the length of
    /// the RTP packet, now at `buf[..n]`.
    ///
    /// On any error the session is unchanged: a packet that does not
    /// authenticate, or that was already received, neither moves the
    /// rollover counter nor the replay window, nor creates a stream.
    pub fn unprotect_rtp(&mut self, buf: &mut [u8]) -> Result<usize, UnprotectError> {
        let len = buf.len();
        let mki_len = self.mki_len();
        let tag_len = self.profile.rtp_auth_tag_len();
        let needed = RTP_HEADER_LEN + mki_len + tag_len;
        if len < needed {
            return Err(UnprotectError::TooShort { needed, have: len });
        }
        let body_len = len - mki_len - tag_len;
        let too_short = UnprotectError::TooShort { needed, have: len };
        let header = parse_header(buf.get(..body_len).ok_or(too_short)?)
            .map_err(|reason| UnprotectError::Malformed { reason })?;
        // AES-CM: body | MKI | tag. GCM: body | tag | MKI.
        let mki_at = if self.profile.is_aead() {
            len - mki_len
        } else {
            body_len
        };
        if mki_len != 0 && buf.get(mki_at..mki_at + mki_len) != Some(self.mki()) {
            return Err(UnprotectError::UnknownMki);
        }

        let ssrc = header.ssrc;
        let limit = self.config.max_streams;
        let found = self.inbound.find(ssrc);
        let (highest, window) = match found {
            Ok(position) => {
                let rtp = self.inbound.get(position).map(|s| &s.rtp);
                (
                    rtp.and_then(|rtp| rtp.highest),
                    rtp.and_then(|rtp| rtp.window.as_ref()),
                )
            }
            Err(_) if self.inbound.has_room(limit) => (None, None),
            Err(_) => return Err(UnprotectError::TooManyStreams { ssrc, limit }),
        };
        let index = highest.map_or(u64::from(header.sequence_number), |highest| {
            estimate_index(highest, header.sequence_number)
        });
        if index > MAX_RTP_INDEX {
            return Err(UnprotectError::IndexExhausted);
        }
        if let Some(window) = window {
            match window.check(index) {
                Replay::New => {}
                Replay::Replayed => return Err(UnprotectError::Replayed { index }),
                Replay::TooOld => {
                    return Err(UnprotectError::TooOld {
                        index,
                        highest: window.top().unwrap_or(index),
                    });
                }
            }
        }
        let roc = (index >> 16) as u32;

        // RFC 9335: an extension block marked 0xC0DE or 0xC2DE means the
        // CSRCs and the extension data are encrypted too.
        let cryptex = if self.config.cryptex && header.len > RTP_HEADER_LEN {
            let csrc_len = buf.first().map_or(0, |first| 4 * usize::from(first & 0x0f));
            match extension_profile(buf, RTP_HEADER_LEN + csrc_len) {
                Some(ONE_BYTE_CRYPTEX) if header.has_extension => Some((csrc_len, ONE_BYTE)),
                Some(TWO_BYTE_CRYPTEX) if header.has_extension => Some((csrc_len, TWO_BYTE)),
                _ => None,
            }
        } else {
            None
        };
        let (decrypt_from, csrc_len) = match cryptex {
            Some((csrc_len, _)) => (CRYPTEX_CLEAR_LEN, csrc_len),
            None => (header.len, 0),
        };

        match &self.rtp {
            Cipher::AesCm { ctr, mac, salt } => {
                let (body, trailer) = buf.split_at_mut(body_len);
                let tag = trailer.get(mki_len..).ok_or(too_short)?;
                let digest = mac.digest(body, &roc.to_be_bytes());
                if !Cipher::tag_matches(&digest, tag) {
                    return Err(UnprotectError::AuthenticationFailed);
                }
                let iv = Cipher::cm_iv(*salt, ssrc, index);
                if csrc_len != 0 {
                    move_extension_header(body, csrc_len, true);
                }
                ctr.apply(&iv, body.get_mut(decrypt_from..).ok_or(too_short)?);
                if csrc_len != 0 {
                    move_extension_header(body, csrc_len, false);
                }
            }
            Cipher::Gcm { gcm, salt } => {
                let iv = Cipher::gcm_iv(*salt, ssrc, roc, header.sequence_number);
                if csrc_len != 0 {
                    move_extension_header(buf, csrc_len, true);
                }
                let (head, rest) = buf.split_at_mut(decrypt_from);
                let opened = match rest.get_mut(..body_len + tag_len - decrypt_from) {
                    Some(data_and_tag) => gcm.open(&iv, head, data_and_tag),
                    None => false,
                };
                if csrc_len != 0 {
                    move_extension_header(buf, csrc_len, false);
                }
                if !opened {
                    return Err(UnprotectError::AuthenticationFailed);
                }
            }
        }
        if let Some((csrc_len, profile)) = cryptex
            && let Some(field) =
                buf.get_mut(RTP_HEADER_LEN + csrc_len..RTP_HEADER_LEN + csrc_len + 2)
        {
            field.copy_from_slice(&profile.to_be_bytes());
        }

        let replay_window = self.config.replay_window;
        let stream = self
            .inbound
            .entry(found, ssrc)
            .ok_or(UnprotectError::TooManyStreams { ssrc, limit })?;
        stream.rtp.highest = Some(highest.map_or(index, |highest| highest.max(index)));
        stream
            .rtp
            .window
            .get_or_insert_with(|| ReplayWindow::new(replay_window))
            .accept(index);
        Ok(body_len)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_lengths_count_csrcs_and_the_extension() {
        let mut packet = [0u8; 40];
        packet[0] = 0x80;
        assert_eq!(parse_header(&packet).unwrap().len, 12);
        packet[0] = 0x82;
        assert_eq!(parse_header(&packet).unwrap().len, 20);
        packet[0] = 0x92;
        packet[22] = 0;
        packet[23] = 2;
        assert_eq!(parse_header(&packet).unwrap().len, 32);
        packet[23] = 5;
        assert!(parse_header(&packet).is_err());
        packet[0] = 0x40;
        assert_eq!(parse_header(&packet).unwrap_err(), "RTP version is not 2");
        assert!(parse_header(&packet[..11]).is_err());
    }
}
