//! SRTCP (RFC 3711 §3.4; RFC 7714 §9): protecting and unprotecting RTCP
//! compound packets in place.
//!
//! AES-CM packet: `header (8) | encrypted rest | E + SRTCP index | MKI |
//! tag`, the tag over everything before the MKI. GCM packet: `header (8) |
//! encrypted rest | tag | E + SRTCP index | MKI`, with the header and the
//! index word as associated data (with E = 0, the whole RTCP packet and
//! the word are associated data and nothing is encrypted).

use crate::cipher::{Cipher, GCM_TAG_LEN};
use crate::context::{MAX_RTCP_INDEX, Replay, ReplayWindow};
use crate::error::{ProtectError, UnprotectError};
use crate::session::Session;

/// The RTCP header SRTCP leaves in clear: the first packet's fixed header
/// and SSRC, in bytes.
const RTCP_HEADER_LEN: usize = 8;

/// The E flag and SRTCP index word, in bytes.
const INDEX_LEN: usize = 4;

/// The E flag in the E + SRTCP index word.
const E_FLAG: u32 = 1 << 31;

/// Checks the RTCP header at the start of `packet` and returns the SSRC
/// of the first packet's sender.
fn parse_header(packet: &[u8]) -> Result<u32, &'static str> {
    let Some(&[first, _, _, _, s0, s1, s2, s3]) = packet.first_chunk::<RTCP_HEADER_LEN>() else {
        return Err("shorter than an RTCP header");
    };
    if first >> 6 != 2 {
        return Err("RTCP version is not 2");
    }
    Ok(u32::from_be_bytes([s0, s1, s2, s3]))
}

const INTERNAL_LENGTH: ProtectError = ProtectError::Malformed {
    reason: "length out of range",
};

impl Session {
    /// Protects the RTCP compound packet `buf[..len]` in place: encrypts
    /// all but its first 8 bytes (unless
    /// [`Config::encrypt_rtcp`](crate::Config::encrypt_rtcp) is off) and
    /// appends the E flag with the stream's SRTCP index, the MKI (if
    /// configured) and the tag. Returns the length of the SRTCP packet,
    /// `len +` [`rtcp_overhead`](Self::rtcp_overhead); `buf` must be that
    /// long.
    ///
    /// The stream is the SSRC in the first packet's header; its SRTCP index
    /// starts at 0 and counts up to 2^31 − 1.
    pub fn protect_rtcp(&mut self, buf: &mut [u8], len: usize) -> Result<usize, ProtectError> {
        let have = buf.len();
        let packet = buf
            .get(..len)
            .ok_or(ProtectError::BufferTooSmall { needed: len, have })?;
        let ssrc = parse_header(packet).map_err(|reason| ProtectError::Malformed { reason })?;
        let mki_len = self.mki_len();
        let tag_len = self.profile.rtcp_auth_tag_len();
        let total = len + INDEX_LEN + mki_len + tag_len;
        if have < total {
            return Err(ProtectError::BufferTooSmall {
                needed: total,
                have,
            });
        }
        let limit = self.config.max_streams;
        let found = self.outbound.find(ssrc);
        let index = match found {
            Ok(position) => self.outbound.get(position).map_or(0, |s| s.rtcp.next_index),
            Err(_) if self.outbound.has_room(limit) => 0,
            Err(_) => return Err(ProtectError::TooManyStreams { ssrc, limit }),
        };
        if index > MAX_RTCP_INDEX {
            return Err(ProtectError::IndexExhausted { ssrc });
        }
        let encrypt = self.config.encrypt_rtcp;
        let word = (if encrypt { E_FLAG } else { 0 } | index).to_be_bytes();
        let mki = self.config.mki.as_deref().unwrap_or(&[]);

        let (packet, trailer) = buf.split_at_mut(len);
        let trailer = trailer
            .get_mut(..INDEX_LEN + mki_len + tag_len)
            .ok_or(INTERNAL_LENGTH)?;
        match &self.rtcp {
            Cipher::AesCm { ctr, mac, salt } => {
                if encrypt {
                    let iv = Cipher::cm_iv(*salt, ssrc, u64::from(index));
                    let rest = packet.get_mut(RTCP_HEADER_LEN..).ok_or(INTERNAL_LENGTH)?;
                    ctr.apply(&iv, rest);
                }
                let digest = mac.digest(packet, &word);
                let (word_out, rest) = trailer.split_at_mut(INDEX_LEN);
                let (mki_out, tag) = rest.split_at_mut(mki_len);
                word_out.copy_from_slice(&word);
                mki_out.copy_from_slice(mki);
                tag.copy_from_slice(digest.get(..tag_len).ok_or(INTERNAL_LENGTH)?);
            }
            Cipher::Gcm { gcm, salt } => {
                let iv = Cipher::gcm_iv(*salt, ssrc, index >> 16, index as u16);
                let sealed = if encrypt {
                    let (head, rest) = packet.split_at_mut(RTCP_HEADER_LEN);
                    let mut aad = [0u8; RTCP_HEADER_LEN + INDEX_LEN];
                    let (aad_head, aad_word) = aad.split_at_mut(RTCP_HEADER_LEN);
                    aad_head.copy_from_slice(head);
                    aad_word.copy_from_slice(&word);
                    gcm.seal(&iv, &aad, rest)
                } else {
                    // The associated data is the packet then the word:
                    // put the word right after the packet for the call,
                    // then move it after the tag.
                    let (word_slot, _) = trailer.split_at_mut(INDEX_LEN);
                    word_slot.copy_from_slice(&word);
                    let whole = buf.get(..len + INDEX_LEN).ok_or(INTERNAL_LENGTH)?;
                    gcm.seal(&iv, whole, &mut [])
                }
                .ok_or(INTERNAL_LENGTH)?;
                let trailer = buf
                    .get_mut(len..len + INDEX_LEN + mki_len + tag_len)
                    .ok_or(INTERNAL_LENGTH)?;
                let (tag, rest) = trailer.split_at_mut(GCM_TAG_LEN);
                let (word_out, mki_out) = rest.split_at_mut(INDEX_LEN);
                tag.copy_from_slice(&sealed);
                word_out.copy_from_slice(&word);
                mki_out.copy_from_slice(mki);
            }
        }

        let stream = self
            .outbound
            .entry(found, ssrc)
            .ok_or(ProtectError::TooManyStreams { ssrc, limit })?;
        stream.rtcp.next_index = index + 1;
        Ok(total)
    }

    /// Unprotects the SRTCP packet that fills `buf`, in place: checks its
    /// MKI, replay status (by its SRTCP index) and tag, then decrypts if
    /// its E flag is set. Returns the length of the RTCP compound packet,
    /// now at `buf[..n]`.
    ///
    /// On any error the session is unchanged.
    pub fn unprotect_rtcp(&mut self, buf: &mut [u8]) -> Result<usize, UnprotectError> {
        let len = buf.len();
        let mki_len = self.mki_len();
        let tag_len = self.profile.rtcp_auth_tag_len();
        let needed = RTCP_HEADER_LEN + INDEX_LEN + mki_len + tag_len;
        if len < needed {
            return Err(UnprotectError::TooShort { needed, have: len });
        }
        let too_short = UnprotectError::TooShort { needed, have: len };
        let ssrc = parse_header(buf).map_err(|reason| UnprotectError::Malformed { reason })?;
        let aead = self.profile.is_aead();
        // Where the word and the tag sit.
        let (word_at, tag_at, mki_at) = if aead {
            let mki_at = len - mki_len;
            (mki_at - INDEX_LEN, mki_at - INDEX_LEN - tag_len, mki_at)
        } else {
            let tag_at = len - tag_len;
            (tag_at - mki_len - INDEX_LEN, tag_at, tag_at - mki_len)
        };
        let plain_len = if aead { tag_at } else { word_at };
        let Some(&word) = buf
            .get(word_at..)
            .and_then(|rest| rest.first_chunk::<INDEX_LEN>())
        else {
            return Err(too_short);
        };
        let word = u32::from_be_bytes(word);
        let encrypted = word & E_FLAG != 0;
        let index = word & !E_FLAG;
        if mki_len != 0 && buf.get(mki_at..mki_at + mki_len) != Some(self.mki()) {
            return Err(UnprotectError::UnknownMki);
        }

        let limit = self.config.max_streams;
        let found = self.inbound.find(ssrc);
        let window = match found {
            Ok(position) => self
                .inbound
                .get(position)
                .and_then(|s| s.rtcp.window.as_ref()),
            Err(_) if self.inbound.has_room(limit) => None,
            Err(_) => return Err(UnprotectError::TooManyStreams { ssrc, limit }),
        };
        if let Some(window) = window {
            let index = u64::from(index);
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

        match &self.rtcp {
            Cipher::AesCm { ctr, mac, salt } => {
                let (authenticated, rest) = buf.split_at_mut(mki_at);
                let tag = rest.get(mki_len..).ok_or(too_short)?;
                let digest = mac.digest(authenticated, &[]);
                if !Cipher::tag_matches(&digest, tag) {
                    return Err(UnprotectError::AuthenticationFailed);
                }
                if encrypted {
                    let iv = Cipher::cm_iv(*salt, ssrc, u64::from(index));
                    let rest = authenticated
                        .get_mut(RTCP_HEADER_LEN..plain_len)
                        .ok_or(too_short)?;
                    ctr.apply(&iv, rest);
                }
            }
            Cipher::Gcm { gcm, salt } => {
                let iv = Cipher::gcm_iv(*salt, ssrc, index >> 16, index as u16);
                let word = word.to_be_bytes();
                let opened = if encrypted {
                    let (head, rest) = buf.split_at_mut(RTCP_HEADER_LEN);
                    let mut aad = [0u8; RTCP_HEADER_LEN + INDEX_LEN];
                    let (aad_head, aad_word) = aad.split_at_mut(RTCP_HEADER_LEN);
                    aad_head.copy_from_slice(head);
                    aad_word.copy_from_slice(&word);
                    let data_and_tag = rest
                        .get_mut(..tag_at + GCM_TAG_LEN - RTCP_HEADER_LEN)
                        .ok_or(too_short)?;
                    gcm.open(&iv, &aad, data_and_tag)
                } else {
                    // The associated data is the packet then the word: put
                    // the word where the tag starts for the call (the tag
                    // kept aside), then put the tag back.
                    let mut tag = [0u8; GCM_TAG_LEN];
                    let slot = buf.get_mut(tag_at..tag_at + GCM_TAG_LEN).ok_or(too_short)?;
                    tag.copy_from_slice(slot);
                    let kept = tag;
                    if let Some(slot) = slot.get_mut(..INDEX_LEN) {
                        slot.copy_from_slice(&word);
                    }
                    let whole = buf.get(..tag_at + INDEX_LEN).ok_or(too_short)?;
                    let opened = gcm.open(&iv, whole, &mut tag);
                    if let Some(slot) = buf.get_mut(tag_at..tag_at + GCM_TAG_LEN) {
                        slot.copy_from_slice(&kept);
                    }
                    opened
                };
                if !opened {
                    return Err(UnprotectError::AuthenticationFailed);
                }
            }
        }

        let replay_window = self.config.replay_window;
        let stream = self
            .inbound
            .entry(found, ssrc)
            .ok_or(UnprotectError::TooManyStreams { ssrc, limit })?;
        stream
            .rtcp
            .window
            .get_or_insert_with(|| ReplayWindow::new(replay_window))
            .accept(u64::from(index));
        Ok(plain_len)
    }
}
