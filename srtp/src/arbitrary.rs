//! Owned descriptions of SRTP sessions and of the RTP and RTCP packets
//! protected with them, for fuzzing and property testing (features
//! `arbitrary` and `proptest`).
//!
//! A [`SessionSpec`] is a master key of any [`ProtectionProfile`] with a
//! [`Config`] (replay window, SRTCP encryption, cryptex, MKI); it makes the
//! [`MasterKey`], the [`Config`] and the [`Session`]. A [`ProtectedSpec`]
//! adds plain packets, RTP ones and compound RTCP ones, described by
//! `sansrtc-rtp`'s own specs ([`PacketSpec`], [`CompoundSpec`]), and
//! [`ProtectedSpec::protect`] gives the SRTP and SRTCP datagrams a sender
//! with that session writes: what a receiver built from the same
//! [`SessionSpec`] unprotects back to [`ProtectedSpec::plain`].
//!
//! With the `arbitrary` feature they implement [`arbitrary::Arbitrary`]:
//! every generated value is valid (key and salt of the profile's lengths,
//! a replay window and an MKI the [`Config`] accepts, the sequence numbers
//! of each SSRC going forward). With the `proptest` feature,
//! [`strategy`](crate::strategy) generates the same types, and near-valid
//! datagrams (one defect each) with the error a receiver must give.
//!
//! ```
//! # #[cfg(feature = "arbitrary")] {
//! use arbitrary::{Arbitrary, Unstructured};
//! use sansrtc_srtp::arbitrary::{Plain, ProtectedSpec};
//!
//! // In a `cargo fuzz` target, `data` is libFuzzer's input.
//! let data = [0x17; 1024];
//! let mut u = Unstructured::new(&data);
//! let spec = ProtectedSpec::arbitrary(&mut u)?;
//!
//! // Your receiver gets valid SRTP and SRTCP; ours unprotects it.
//! let mut receiver = spec.session.session();
//! for ((mut datagram, plain), packet) in spec.protect().into_iter().zip(spec.plain()).zip(&spec.packets) {
//!     let len = match packet {
//!         Plain::Rtp(_) => receiver.unprotect_rtp(&mut datagram),
//!         Plain::Rtcp(_) => receiver.unprotect_rtcp(&mut datagram),
//!     }
//!     .expect("generated datagrams unprotect");
//!     assert_eq!(datagram[..len], plain[..]);
//! }
//! # }
//! # Ok::<(), arbitrary::Error>(())
//! ```

use alloc::vec;
use alloc::vec::Vec;

use sansrtc_rtp::arbitrary::{CompoundSpec, ExtensionSpec, PacketSpec, RtcpSpec};

use crate::context::MAX_REPLAY_WINDOW;
use crate::kdf::SessionKeys;
use crate::profile::{MAX_MASTER_KEY_LEN, MAX_MASTER_SALT_LEN, MasterKey, ProtectionProfile};
use crate::session::{Config, DEFAULT_MAX_STREAMS, MAX_MKI_LEN, Session};

/// Most packets a generated [`ProtectedSpec`] holds (well under
/// [`DEFAULT_MAX_STREAMS`], so every SSRC fits one session).
pub const MAX_GENERATED_PACKETS: usize = 8;

/// Smallest replay window a generated [`SessionSpec`] has: wider than the
/// span of packet indices of one SSRC in a generated [`ProtectedSpec`], so
/// that an earlier packet sent again is a replay, not too old.
pub const MIN_GENERATED_REPLAY_WINDOW: u32 = 128;

/// Longest MKI a generated [`SessionSpec`] has, in bytes.
pub const MAX_GENERATED_MKI_LEN: usize = 16;

/// The largest step between the sequence numbers of consecutive packets of
/// one SSRC in a [`ProtectedSpec`].
const MAX_SEQUENCE_STEP: u16 = 8;

const _: () = assert!(
    MAX_GENERATED_PACKETS * (MAX_SEQUENCE_STEP as usize) < MIN_GENERATED_REPLAY_WINDOW as usize
);
const _: () = assert!(MAX_GENERATED_PACKETS < DEFAULT_MAX_STREAMS);
const _: () = assert!(MAX_GENERATED_MKI_LEN <= MAX_MKI_LEN);

/// An owned SRTP session: a master key and the [`Config`] it is used with.
///
/// ```
/// use sansrtc_srtp::ProtectionProfile;
/// use sansrtc_srtp::arbitrary::SessionSpec;
///
/// let mut spec = SessionSpec::new(ProtectionProfile::AeadAes128Gcm, &[7; 16], &[9; 12]);
/// spec.cryptex = true;
/// assert_eq!(spec.master_key().key(), &[7; 16]);
/// assert!(spec.config().cryptex);
/// assert_eq!(spec.session().profile(), ProtectionProfile::AeadAes128Gcm);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionSpec {
    /// The protection profile.
    pub profile: ProtectionProfile,
    /// The master key ([`ProtectionProfile::master_key_len`] bytes).
    pub key: Vec<u8>,
    /// The master salt ([`ProtectionProfile::master_salt_len`] bytes).
    pub salt: Vec<u8>,
    /// [`Config::replay_window`].
    pub replay_window: u32,
    /// [`Config::encrypt_rtcp`].
    pub encrypt_rtcp: bool,
    /// [`Config::cryptex`].
    pub cryptex: bool,
    /// [`Config::mki`].
    pub mki: Option<Vec<u8>>,
}

impl SessionSpec {
    /// A session of `profile` with the default [`Config`].
    pub fn new(profile: ProtectionProfile, key: &[u8], salt: &[u8]) -> Self {
        let config = Config::default();
        Self {
            profile,
            key: key.to_vec(),
            salt: salt.to_vec(),
            replay_window: config.replay_window,
            encrypt_rtcp: config.encrypt_rtcp,
            cryptex: config.cryptex,
            mki: config.mki,
        }
    }

    /// The master key. A key or salt of another length than the profile's
    /// (in a spec you changed) is cut, or padded with zeros.
    pub fn master_key(&self) -> MasterKey {
        let mut key = [0u8; MAX_MASTER_KEY_LEN];
        let mut salt = [0u8; MAX_MASTER_SALT_LEN];
        for (to, from) in key
            .iter_mut()
            .take(self.profile.master_key_len())
            .zip(&self.key)
        {
            *to = *from;
        }
        for (to, from) in salt
            .iter_mut()
            .take(self.profile.master_salt_len())
            .zip(&self.salt)
        {
            *to = *from;
        }
        MasterKey::from_parts(self.profile, key, salt)
    }

    /// The configuration. A field out of range (in a spec you changed) is
    /// brought in: the replay window to 1..=[`MAX_REPLAY_WINDOW`], an empty
    /// MKI to none, a longer one than [`MAX_MKI_LEN`] cut.
    pub fn config(&self) -> Config {
        Config {
            replay_window: self.replay_window.clamp(1, MAX_REPLAY_WINDOW),
            encrypt_rtcp: self.encrypt_rtcp,
            cryptex: self.cryptex,
            mki: self
                .mki
                .as_ref()
                .filter(|mki| !mki.is_empty())
                .map(|mki| mki.iter().copied().take(MAX_MKI_LEN).collect()),
            ..Config::default()
        }
    }

    /// A new session with [`master_key`](Self::master_key) and
    /// [`config`](Self::config): one to protect with, another to
    /// unprotect with.
    pub fn session(&self) -> Session {
        let key = self.master_key();
        Session::build(
            &SessionKeys::derive_rtp(&key),
            &SessionKeys::derive_rtcp(&key),
            self.config(),
        )
    }
}

/// A plain packet of a [`ProtectedSpec`].
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Plain {
    /// An RTP packet, protected as SRTP.
    Rtp(PacketSpec),
    /// A compound RTCP packet, protected as SRTCP.
    Rtcp(CompoundSpec),
}

impl Plain {
    /// The plain packet as `sansrtc-rtp` writes it (empty for a spec that
    /// does not write).
    pub fn to_bytes(&self) -> Vec<u8> {
        match self {
            Self::Rtp(spec) => spec.to_bytes(),
            Self::Rtcp(spec) => spec.to_bytes(),
        }
        .unwrap_or_default()
    }
}

/// A session and the packets a sender protects with it, in order.
///
/// Made with [`ProtectedSpec::new`] (as the generators make it), the
/// packets fit the session: the sequence numbers of each SSRC go forward,
/// by at most a few, and the datagrams of [`protect`](Self::protect)
/// unprotect, in order, to [`plain`](Self::plain) in a session made from
/// the same [`SessionSpec`].
///
/// ```
/// use sansrtc_rtp::arbitrary::PacketSpec;
/// use sansrtc_srtp::ProtectionProfile;
/// use sansrtc_srtp::arbitrary::{Plain, ProtectedSpec, SessionSpec};
///
/// let session = SessionSpec::new(ProtectionProfile::Aes128CmHmacSha1_80, &[1; 16], &[2; 14]);
/// let packet = PacketSpec::new(111, 7, 960, 0x1234_5678);
/// let spec = ProtectedSpec::new(session, vec![Plain::Rtp(packet.clone()), Plain::Rtp(packet)]);
/// let mut receiver = spec.session.session();
/// for (mut datagram, plain) in spec.protect().into_iter().zip(spec.plain()) {
///     let len = receiver.unprotect_rtp(&mut datagram).unwrap();
///     assert_eq!(datagram[..len], plain[..]);
/// }
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ProtectedSpec {
    /// The session both ends make.
    pub session: SessionSpec,
    /// The plain packets, in the order they are protected.
    pub packets: Vec<Plain>,
}

impl ProtectedSpec {
    /// The packets of `packets` made to fit one session: the second and
    /// later RTP packets of an SSRC get sequence numbers 1 to 8 past the
    /// one before; with cryptex, a packet with CSRCs and no extension gets
    /// an empty one (as protecting would add); an extension block of
    /// another profile marked as RFC 9335's encrypted ones (0xC0DE,
    /// 0xC2DE) is given another profile; a compound RTCP packet too short
    /// to carry an SSRC becomes an empty receiver report.
    pub fn new(session: SessionSpec, mut packets: Vec<Plain>) -> Self {
        let mut last: Vec<(u32, u16)> = Vec::new();
        for packet in &mut packets {
            match packet {
                Plain::Rtp(spec) => {
                    fit_extension(spec, session.cryptex);
                    match last.iter_mut().find(|(ssrc, _)| *ssrc == spec.ssrc) {
                        Some((_, sequence_number)) => {
                            let step = 1 + spec.sequence_number % MAX_SEQUENCE_STEP;
                            *sequence_number = sequence_number.wrapping_add(step);
                            spec.sequence_number = *sequence_number;
                        }
                        None => last.push((spec.ssrc, spec.sequence_number)),
                    }
                }
                Plain::Rtcp(spec) => {
                    if spec.encoded_len() < 8 {
                        *spec = CompoundSpec {
                            reduced_size: false,
                            packets: vec![RtcpSpec::ReceiverReport {
                                ssrc: 1,
                                report_blocks: Vec::new(),
                                profile_extension: Vec::new(),
                            }],
                        };
                    }
                }
            }
        }
        Self { session, packets }
    }

    /// The plain packets as `sansrtc-rtp` writes them.
    pub fn plain(&self) -> Vec<Vec<u8>> {
        self.packets.iter().map(Plain::to_bytes).collect()
    }

    /// The SRTP and SRTCP datagrams a new session of
    /// [`session`](Self::session) protects the packets into, in order. A
    /// packet that cannot be written or protected (only in a spec you
    /// changed: a raw extension the writer refuses, more SSRCs than
    /// [`DEFAULT_MAX_STREAMS`]) gives an empty datagram.
    pub fn protect(&self) -> Vec<Vec<u8>> {
        let mut sender = self.session.session();
        self.packets
            .iter()
            .map(|packet| {
                let mut buf = packet.to_bytes();
                let len = buf.len();
                let protected = match packet {
                    Plain::Rtp(_) => {
                        buf.resize(len + sender.rtp_overhead(), 0);
                        sender.protect_rtp(&mut buf, len)
                    }
                    Plain::Rtcp(_) => {
                        buf.resize(len + sender.rtcp_overhead(), 0);
                        sender.protect_rtcp(&mut buf, len)
                    }
                };
                match protected {
                    Ok(len) if len > 0 => {
                        buf.truncate(len);
                        buf
                    }
                    _ => Vec::new(),
                }
            })
            .collect()
    }
}

/// The RFC 9335 profiles a receiver with cryptex reads as encrypted.
const CRYPTEX_PROFILES: [u16; 2] = [0xc0de, 0xc2de];

fn fit_extension(spec: &mut PacketSpec, cryptex: bool) {
    match &mut spec.extension {
        Some(ExtensionSpec::Raw { profile, .. }) if CRYPTEX_PROFILES.contains(profile) => {
            *profile = 0xabac;
        }
        Some(ExtensionSpec::Elements(elements) | ExtensionSpec::TwoByte(elements))
            if cryptex && elements.is_empty() && !spec.csrcs.is_empty() =>
        {
            spec.extension = Some(empty_extension());
        }
        None if cryptex && !spec.csrcs.is_empty() => spec.extension = Some(empty_extension()),
        _ => {}
    }
}

/// An empty RFC 8285 one-byte block, as cryptex adds and unprotecting
/// leaves.
const fn empty_extension() -> ExtensionSpec {
    ExtensionSpec::Raw {
        profile: 0xbede,
        data: Vec::new(),
    }
}

#[cfg(feature = "arbitrary")]
mod generate {
    //! The [`Arbitrary`] implementations.

    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{
        MAX_GENERATED_MKI_LEN, MAX_GENERATED_PACKETS, MIN_GENERATED_REPLAY_WINDOW, Plain,
        ProtectedSpec, SessionSpec, Vec,
    };
    use crate::context::MAX_REPLAY_WINDOW;
    use crate::profile::ProtectionProfile;

    fn bytes(u: &mut Unstructured<'_>, len: usize) -> Result<Vec<u8>> {
        (0..len).map(|_| u.arbitrary()).collect()
    }

    impl<'a> Arbitrary<'a> for SessionSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let profile = *u.choose(&ProtectionProfile::ALL)?;
            let key = bytes(u, profile.master_key_len())?;
            let salt = bytes(u, profile.master_salt_len())?;
            let replay_window = u.int_in_range(MIN_GENERATED_REPLAY_WINDOW..=MAX_REPLAY_WINDOW)?;
            let mki = if u.ratio(1u8, 4u8)? {
                let len = u.int_in_range(1..=MAX_GENERATED_MKI_LEN)?;
                Some(bytes(u, len)?)
            } else {
                None
            };
            Ok(Self {
                profile,
                key,
                salt,
                replay_window,
                encrypt_rtcp: u.arbitrary()?,
                cryptex: u.arbitrary()?,
                mki,
            })
        }
    }

    impl<'a> Arbitrary<'a> for Plain {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(if u.ratio(3u8, 4u8)? {
                Self::Rtp(u.arbitrary()?)
            } else {
                Self::Rtcp(u.arbitrary()?)
            })
        }
    }

    impl<'a> Arbitrary<'a> for ProtectedSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let session = u.arbitrary()?;
            let count = u.int_in_range(1..=MAX_GENERATED_PACKETS)?;
            let packets = (0..count).map(|_| u.arbitrary()).collect::<Result<_>>()?;
            Ok(Self::new(session, packets))
        }
    }
}
