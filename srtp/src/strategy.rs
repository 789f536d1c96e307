//! [proptest](https://docs.rs/proptest) strategies for SRTP and SRTCP
//! (feature `proptest`): valid [`SessionSpec`]s and [`ProtectedSpec`]s
//! (RTP and RTCP packets from `sansrtc-rtp`'s strategies, protected with
//! the session), and near-valid datagrams (one defect each) with the
//! error a receiver must refuse them with.
//!
//! ```
//! use proptest::prelude::*;
//! use sansrtc_srtp::arbitrary::Plain;
//! use sansrtc_srtp::strategy::{near_valid_protected, protected};
//!
//! proptest!(|(spec in protected())| {
//!     let mut receiver = spec.session.session();
//!     for ((mut datagram, plain), packet) in spec.protect().into_iter().zip(spec.plain()).zip(&spec.packets) {
//!         let len = match packet {
//!             Plain::Rtp(_) => receiver.unprotect_rtp(&mut datagram),
//!             Plain::Rtcp(_) => receiver.unprotect_rtcp(&mut datagram),
//!         };
//!         prop_assert_eq!(&datagram[..len.unwrap()], &plain[..]);
//!     }
//! });
//! // Your receiver, like ours, must refuse each of these.
//! proptest!(|(near in near_valid_protected())| {
//!     let mut receiver = near.spec.session.session();
//!     near.receive_before(&mut receiver).unwrap();
//!     let mut bytes = near.bytes.clone();
//!     prop_assert_eq!(near.unprotect(&mut receiver, &mut bytes), Err(near.expected), "{:?}", near.defect);
//! });
//! ```

use alloc::vec;
use alloc::vec::Vec;

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::arbitrary::{
    MAX_GENERATED_MKI_LEN, MAX_GENERATED_PACKETS, MIN_GENERATED_REPLAY_WINDOW, Plain,
    ProtectedSpec, SessionSpec,
};
use crate::context::MAX_REPLAY_WINDOW;
use crate::error::UnprotectError;
use crate::profile::{MAX_MASTER_KEY_LEN, MAX_MASTER_SALT_LEN, ProtectionProfile};
use crate::session::Session;

/// The fixed RTP header and the RTCP header SRTCP leaves in clear, and
/// the E flag and SRTCP index word, in bytes.
const RTP_HEADER_LEN: usize = 12;
const RTCP_HEADER_LEN: usize = 8;
const INDEX_LEN: usize = 4;

/// A valid session: any profile, key and salt of its lengths, a replay
/// window of [`MIN_GENERATED_REPLAY_WINDOW`] to [`MAX_REPLAY_WINDOW`],
/// SRTCP encrypted or not, cryptex or not, an MKI a quarter of the time.
pub fn session() -> impl Strategy<Value = SessionSpec> {
    (
        prop::sample::select(ProtectionProfile::ALL.to_vec()),
        any::<[u8; MAX_MASTER_KEY_LEN]>(),
        any::<[u8; MAX_MASTER_SALT_LEN]>(),
        MIN_GENERATED_REPLAY_WINDOW..=MAX_REPLAY_WINDOW,
        any::<bool>(),
        any::<bool>(),
        option::weighted(0.25, vec(any::<u8>(), 1..=MAX_GENERATED_MKI_LEN)),
    )
        .prop_map(
            |(profile, key, salt, replay_window, encrypt_rtcp, cryptex, mki)| SessionSpec {
                profile,
                key: key
                    .get(..profile.master_key_len())
                    .unwrap_or_default()
                    .to_vec(),
                salt: salt
                    .get(..profile.master_salt_len())
                    .unwrap_or_default()
                    .to_vec(),
                replay_window,
                encrypt_rtcp,
                cryptex,
                mki,
            },
        )
}

/// A plain RTP packet (three times in four) or compound RTCP packet.
pub fn plain() -> impl Strategy<Value = Plain> {
    prop_oneof![
        3 => sansrtc_rtp::strategy::packet().prop_map(Plain::Rtp),
        1 => sansrtc_rtp::strategy::compound().prop_map(Plain::Rtcp),
    ]
}

fn protected_of(min: usize) -> impl Strategy<Value = ProtectedSpec> {
    (session(), vec(plain(), min..=MAX_GENERATED_PACKETS))
        .prop_map(|(session, packets)| ProtectedSpec::new(session, packets))
}

/// A session and 1 to [`MAX_GENERATED_PACKETS`] packets that fit it
/// ([`ProtectedSpec::new`]).
pub fn protected() -> impl Strategy<Value = ProtectedSpec> {
    protected_of(1)
}

impl Arbitrary for SessionSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        session().boxed()
    }
}

impl Arbitrary for ProtectedSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        protected().boxed()
    }
}

/// What is wrong with a [`NearValidProtected`]. Each makes
/// [`Session::unprotect_rtp`] or [`Session::unprotect_rtcp`] fail with
/// [`NearValidProtected::expected`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Defect {
    /// This bit of the authentication tag flipped (bit 0 is the most
    /// significant of the tag's first byte).
    TagBit(usize),
    /// This bit of what follows the clear header (the encrypted payload,
    /// or the authenticated one when SRTCP is not encrypted) flipped,
    /// counted from the end of the header.
    PayloadBit(usize),
    /// This many bytes of the authentication tag cut out (an SRTP packet
    /// with room for them in its payload; MKI and header in place).
    TruncatedTag(usize),
    /// The first datagram sent again, after the receiver took it.
    Replayed,
    /// Cut to this many bytes: no room for the SSRC.
    NoSsrc(usize),
}

/// The last datagram of a [`ProtectedSpec`] with one [`Defect`], to be
/// given to a receiver that took all the datagrams before it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearValidProtected {
    /// The session and packets it was made from.
    pub spec: ProtectedSpec,
    /// What was changed.
    pub defect: Defect,
    /// Whether the datagram is SRTCP (else SRTP).
    pub rtcp: bool,
    /// The datagram with the defect.
    pub bytes: Vec<u8>,
    /// What unprotecting it gives.
    pub expected: UnprotectError,
}

impl NearValidProtected {
    /// The valid datagrams before the last one, which the receiver takes
    /// first.
    pub fn before(&self) -> Vec<Vec<u8>> {
        let mut datagrams = self.spec.protect();
        datagrams.pop();
        datagrams
    }

    /// The last datagram, valid: after refusing [`bytes`](Self::bytes),
    /// the receiver still takes it.
    pub fn last(&self) -> Vec<u8> {
        self.spec.protect().pop().unwrap_or_default()
    }

    /// Unprotects [`before`](Self::before) with `receiver`.
    pub fn receive_before(&self, receiver: &mut Session) -> Result<(), UnprotectError> {
        for (mut datagram, packet) in self.before().into_iter().zip(&self.spec.packets) {
            match packet {
                Plain::Rtp(_) => receiver.unprotect_rtp(&mut datagram)?,
                Plain::Rtcp(_) => receiver.unprotect_rtcp(&mut datagram)?,
            };
        }
        Ok(())
    }

    /// Unprotects [`last`](Self::last) with `receiver` and returns it,
    /// plain.
    pub fn receive_last(&self, receiver: &mut Session) -> Result<Vec<u8>, UnprotectError> {
        let mut datagram = self.last();
        let len = match self.spec.packets.last() {
            Some(Plain::Rtcp(_)) => receiver.unprotect_rtcp(&mut datagram)?,
            _ => receiver.unprotect_rtp(&mut datagram)?,
        };
        datagram.truncate(len);
        Ok(datagram)
    }

    /// Unprotects `datagram` as SRTCP or SRTP, as [`bytes`](Self::bytes)
    /// is.
    pub fn unprotect(
        &self,
        receiver: &mut Session,
        datagram: &mut [u8],
    ) -> Result<usize, UnprotectError> {
        if self.rtcp {
            receiver.unprotect_rtcp(datagram)
        } else {
            receiver.unprotect_rtp(datagram)
        }
    }
}

/// Where things are in the last datagram of `spec`.
struct Layout {
    rtcp: bool,
    datagram: Vec<u8>,
    /// The clear header's length (with cryptex, the encrypted CSRCs and
    /// extension count as header).
    header_len: usize,
    /// The plain packet's length (where the payload ends).
    plain_len: usize,
    /// Where the tag starts, and its length.
    tag_at: usize,
    tag_len: usize,
    /// The smallest datagram the receiver looks into.
    needed: usize,
}

fn layout(spec: &ProtectedSpec) -> Option<Layout> {
    let packet = spec.packets.last()?;
    let datagram = spec.protect().pop()?;
    let plain_len = packet.to_bytes().len();
    let profile = spec.session.profile;
    let mki_len = spec.session.config().mki.map_or(0, |mki| mki.len());
    let len = datagram.len();
    Some(match packet {
        Plain::Rtp(rtp) => {
            let tag_len = profile.rtp_auth_tag_len();
            Layout {
                rtcp: false,
                header_len: plain_len - rtp.payload.len() - usize::from(rtp.padding),
                plain_len,
                tag_at: if profile.is_aead() {
                    len - mki_len - tag_len
                } else {
                    len - tag_len
                },
                tag_len,
                needed: RTP_HEADER_LEN + mki_len + tag_len,
                datagram,
            }
        }
        Plain::Rtcp(_) => {
            let tag_len = profile.rtcp_auth_tag_len();
            Layout {
                rtcp: true,
                header_len: RTCP_HEADER_LEN,
                plain_len,
                tag_at: if profile.is_aead() {
                    len - mki_len - INDEX_LEN - tag_len
                } else {
                    len - tag_len
                },
                tag_len,
                needed: RTCP_HEADER_LEN + INDEX_LEN + mki_len + tag_len,
                datagram,
            }
        }
    })
}

fn defect(spec: &ProtectedSpec) -> BoxedStrategy<Defect> {
    let Some(layout) = layout(spec) else {
        return Just(Defect::NoSsrc(0)).boxed();
    };
    let mut defects = vec![
        (0..8 * layout.tag_len).prop_map(Defect::TagBit).boxed(),
        (0..if layout.rtcp {
            RTCP_HEADER_LEN
        } else {
            RTP_HEADER_LEN
        })
            .prop_map(Defect::NoSsrc)
            .boxed(),
    ];
    let payload_bits = 8 * (layout.plain_len - layout.header_len);
    if payload_bits > 0 {
        defects.push((0..payload_bits).prop_map(Defect::PayloadBit).boxed());
    }
    let room = (layout.plain_len - layout.header_len).min(layout.tag_len);
    let mki_in_the_way = !spec.session.profile.is_aead() && spec.session.config().mki.is_some();
    if !layout.rtcp && room > 0 && !mki_in_the_way {
        defects.push((1..=room).prop_map(Defect::TruncatedTag).boxed());
    }
    if spec.packets.len() > 1 {
        defects.push(Just(Defect::Replayed).boxed());
    }
    proptest::strategy::Union::new(defects).boxed()
}

fn flip(bytes: &mut [u8], bit: usize) {
    if let Some(byte) = bytes.get_mut(bit / 8) {
        *byte ^= 0x80 >> (bit % 8);
    }
}

/// The defective datagram and the error it gives.
fn apply(spec: &ProtectedSpec, defect: &Defect) -> Option<(bool, Vec<u8>, UnprotectError)> {
    let layout = layout(spec)?;
    let mut bytes = layout.datagram.clone();
    let expected = match defect {
        Defect::TagBit(bit) => {
            flip(bytes.get_mut(layout.tag_at..)?, *bit);
            UnprotectError::AuthenticationFailed
        }
        Defect::PayloadBit(bit) => {
            flip(bytes.get_mut(layout.header_len..)?, *bit);
            UnprotectError::AuthenticationFailed
        }
        Defect::TruncatedTag(cut) => {
            bytes.drain(layout.tag_at..layout.tag_at + cut);
            UnprotectError::AuthenticationFailed
        }
        Defect::Replayed => {
            bytes = spec.protect().into_iter().next()?;
            let index = match spec.packets.first()? {
                Plain::Rtp(rtp) => u64::from(rtp.sequence_number),
                Plain::Rtcp(_) => 0,
            };
            return Some((
                matches!(spec.packets.first()?, Plain::Rtcp(_)),
                bytes,
                UnprotectError::Replayed { index },
            ));
        }
        Defect::NoSsrc(len) => {
            bytes.truncate(*len);
            UnprotectError::TooShort {
                needed: layout.needed,
                have: *len,
            }
        }
    };
    Some((layout.rtcp, bytes, expected))
}

/// A [`ProtectedSpec`] whose last datagram has one [`Defect`]: a bit of
/// the tag or of the payload flipped, the tag cut short, an earlier
/// datagram replayed, a datagram too short to hold an SSRC. A receiver
/// that took the datagrams before it refuses it with
/// [`expected`](NearValidProtected::expected), and is left as it was: it
/// still takes the valid last datagram.
pub fn near_valid_protected() -> impl Strategy<Value = NearValidProtected> {
    protected_of(1)
        .prop_flat_map(|spec| {
            let defect = defect(&spec);
            (Just(spec), defect)
        })
        .prop_filter_map("a datagram to change", |(spec, defect)| {
            let (rtcp, bytes, expected) = apply(&spec, &defect)?;
            Some(NearValidProtected {
                spec,
                defect,
                rtcp,
                bytes,
                expected,
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bits_of_a_byte_flip_from_the_most_significant() {
        let mut bytes = [0u8; 2];
        flip(&mut bytes, 0);
        flip(&mut bytes, 15);
        assert_eq!(bytes, [0x80, 0x01]);
    }
}
