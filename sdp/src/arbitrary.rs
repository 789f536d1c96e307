//! Generated session descriptions for fuzzing and property testing
//! (features `arbitrary` and `proptest`).
//!
//! Two kinds, both produced by this crate's own model and writers:
//!
//! - Any description the grammar allows: with the `arbitrary` feature,
//!   [`Sdp<'static>`](Sdp), [`Media<'static>`](crate::Media) and
//!   [`Attribute<'static>`](crate::Attribute) implement [`arbitrary::Arbitrary`]:
//!   every line type of RFC 8866, every typed attribute, unknown ones, in
//!   RFC order. What is generated writes (with [`Display`](core::fmt::Display))
//!   to text that parses back to an equal description.
//! - JSEP offers and answerers as browsers and SFUs make them:
//!   [`OfferSpec`] holds a [`Session`] and [`LocalMedia`] and writes the
//!   offer with [`create_offer`]; [`Capabilities`] (what an answerer takes)
//!   is generated too. Offers made this way are what
//!   [`create_answer`](crate::negotiate::create_answer) and your own
//!   negotiation code must handle.
//!
//! With the `proptest` feature, [`strategy`](crate::strategy) generates the
//! same.
//!
//! ```
//! # #[cfg(feature = "arbitrary")] {
//! use arbitrary::{Arbitrary, Unstructured};
//! use sansrtc_sdp::Sdp;
//! use sansrtc_sdp::arbitrary::OfferSpec;
//! use sansrtc_sdp::negotiate::{Capabilities, create_answer};
//!
//! // In a `cargo fuzz` target, `data` is libFuzzer's input.
//! let data = [0x3c; 512];
//! let mut u = Unstructured::new(&data);
//!
//! // Any description the grammar allows; its text parses back.
//! let sdp = Sdp::arbitrary(&mut u)?;
//! assert_eq!(Sdp::parse(&sdp.to_string()).unwrap(), sdp);
//!
//! // A browser-like offer and an answerer's capabilities.
//! let offer = OfferSpec::arbitrary(&mut u)?.to_sdp();
//! let capabilities = Capabilities::arbitrary(&mut u)?;
//! let _ = create_answer(&offer, &capabilities);
//! # }
//! # Ok::<(), arbitrary::Error>(())
//! ```

use alloc::borrow::Cow;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::connection::Origin;
use crate::media::MediaType;
use crate::negotiate::{
    AUDIO_EXTENSIONS, Capabilities, Codec, LocalMedia, Session, VIDEO_EXTENSIONS, create_offer,
};
use crate::rtp::{Direction, Extmap, Ssrc, SsrcGroup};
use crate::session::Sdp;
use crate::simulcast::{Rid, RidDirection, Simulcast, SimulcastId};
use crate::transport::{Fingerprint, Msid};

/// Most media descriptions a generated [`Sdp`] or [`OfferSpec`] holds.
pub const MAX_GENERATED_MEDIA: usize = 4;

/// Most `a=` lines a generated [`Sdp`] holds per section.
pub const MAX_GENERATED_ATTRIBUTES: usize = 12;

/// A JSEP offer: our transport parameters and local media, written by
/// [`create_offer`].
///
/// ```
/// use sansrtc_sdp::arbitrary::OfferSpec;
/// use sansrtc_sdp::negotiate::{Capabilities, Session, create_answer};
///
/// let spec = OfferSpec {
///     session: Session::example(),
///     media: Capabilities::webrtc_defaults(Session::example())
///         .audio
///         .into_iter()
///         .collect(),
/// };
/// let offer = spec.to_sdp();
/// assert_eq!(offer.media.len(), 1);
/// let capabilities = Capabilities::webrtc_defaults(Session::example());
/// assert!(create_answer(&offer, &capabilities).is_ok());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfferSpec {
    /// ICE credentials, fingerprint, candidates and session options.
    pub session: Session<'static>,
    /// The m-lines to offer, in order (each `mid` once).
    pub media: Vec<LocalMedia<'static>>,
}

impl OfferSpec {
    /// The offer, as [`create_offer`] writes it.
    pub fn to_sdp(&self) -> Sdp<'static> {
        create_offer(&self.session, &self.media)
    }
}

/// The choices a generated [`Session`] is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SessionChoice {
    pub(crate) session_id: u64,
    pub(crate) address: Option<u128>,
    pub(crate) ufrag: Vec<u8>,
    pub(crate) pwd: Vec<u8>,
    pub(crate) hash: u8,
    pub(crate) fingerprint: Vec<u8>,
    pub(crate) ice_lite: bool,
    pub(crate) trickle: bool,
    pub(crate) bundle: bool,
    pub(crate) extmap_allow_mixed: bool,
    pub(crate) candidates: Vec<(u16, u32, u16)>,
    pub(crate) end_of_candidates: bool,
}

/// ICE characters (RFC 8839 `ice-char`).
const ICE_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `len` characters of `set`, picked by `seed` (cycled; `'a'`s without
/// one).
fn spell(set: &[u8], seed: &[u8], len: usize) -> String {
    (0..len)
        .map(|i| {
            let pick = seed.get(i % seed.len().max(1)).copied().unwrap_or(0);
            let pick = pick.wrapping_add(i as u8);
            char::from(
                set.get(usize::from(pick) % set.len())
                    .copied()
                    .unwrap_or(b'a'),
            )
        })
        .collect()
}

impl SessionChoice {
    pub(crate) fn build(&self) -> Session<'static> {
        let ip = match self.address {
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
            Some(bits) if bits >> 64 == 0 => IpAddr::V4(Ipv4Addr::from(bits as u32)),
            Some(bits) => IpAddr::V6(Ipv6Addr::from(bits)),
        };
        // JSEP: a session id of at most 63 bits.
        let origin = Origin::new(self.session_id >> 1, ip);
        let ufrag = spell(ICE_CHARS, &self.ufrag, 4 + self.ufrag.len() % 29);
        let pwd = spell(ICE_CHARS, &self.pwd, 22 + self.pwd.len() % 19);
        let (hash_function, len) = match self.hash % 3 {
            0 => ("sha-256", 32),
            1 => ("sha-1", 20),
            _ => ("sha-512", 64),
        };
        let mut bytes = self.fingerprint.clone();
        bytes.resize(len, 0x5a);
        let fingerprint = Fingerprint {
            hash_function: Cow::Borrowed(hash_function),
            bytes,
        };
        let candidates = self
            .candidates
            .iter()
            .enumerate()
            .map(|(i, (component, address, port))| {
                Cow::Owned(format!(
                    "{i} {} udp {} {} {port} typ host",
                    1 + component % 2,
                    2_130_706_431 - u32::from(*component),
                    Ipv4Addr::from(*address),
                ))
            })
            .collect();
        let session = Session::new(origin.clone(), ufrag, pwd, fingerprint.clone());
        // Both credentials are spelled from ICE characters at lengths the
        // grammar takes: `new` accepts them.
        let session = match session {
            Ok(session) => session,
            Err(_) => Session {
                origin,
                fingerprint,
                ..Session::example()
            },
        };
        session
            .with_ice_lite(self.ice_lite)
            .with_ice_options(if self.trickle {
                vec![Cow::Borrowed("trickle")]
            } else {
                Vec::new()
            })
            .with_bundle(self.bundle)
            .with_extmap_allow_mixed(self.extmap_allow_mixed)
            .with_candidates(candidates)
            .with_end_of_candidates(self.end_of_candidates)
    }
}

/// The choices a generated [`LocalMedia`] is made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaChoice {
    /// 0 audio, 1 video, 2 data channel.
    pub(crate) kind: u8,
    /// Which codecs of the kind's pool, one bit each.
    pub(crate) codecs: u32,
    /// Which video codecs get RTX, one bit each.
    pub(crate) rtx: u32,
    /// Preference order: the list rotated by this much.
    pub(crate) rotate: u8,
    /// Which header extensions, one bit each.
    pub(crate) extensions: u16,
    /// Extension ids from this one on (one-byte ids when it is small).
    pub(crate) first_extension_id: u8,
    /// Which extensions are `sendonly` or `recvonly`, two bits each.
    pub(crate) extension_directions: u32,
    pub(crate) direction: u8,
    pub(crate) msid: bool,
    pub(crate) ssrc: u32,
    /// Simulcast layers sent (video): 0, 2 or 3.
    pub(crate) layers: u8,
    pub(crate) max_message_size: u32,
}

fn audio_pool(pt: &mut impl FnMut() -> u8) -> Vec<Codec<'static>> {
    vec![
        Codec::opus(pt()),
        Codec::new(pt(), "red", 48_000, Some(2)),
        Codec::new(9, "G722", 8_000, None),
        Codec::new(0, "PCMU", 8_000, None),
        Codec::new(8, "PCMA", 8_000, None),
        Codec::new(pt(), "telephone-event", 48_000, None),
        Codec::new(pt(), "telephone-event", 8_000, None),
        Codec::new(pt(), "ISAC", 16_000, None),
        Codec::new(pt(), "L16", 48_000, Some(2)),
    ]
}

fn video_pool(pt: &mut impl FnMut() -> u8) -> Vec<Codec<'static>> {
    vec![
        Codec::vp8(pt()),
        Codec::vp9(pt(), "0"),
        Codec::vp9(pt(), "2"),
        Codec::h264(pt(), "42e01f", "1"),
        Codec::h264(pt(), "42e01f", "0"),
        Codec::h264(pt(), "42001f", "1"),
        Codec::h264(pt(), "4d001f", "1"),
        Codec::h264(pt(), "640c1f", "1"),
        Codec::av1(pt()),
        Codec::new(pt(), "red", 90_000, None),
        Codec::new(pt(), "ulpfec", 90_000, None),
        Codec::new(pt(), "H265", 90_000, None),
    ]
}

/// Header extension URIs beyond the defaults, that browsers also offer.
const MORE_EXTENSIONS: [&str; 4] = [
    "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time",
    "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension",
    "urn:ietf:params:rtp-hdrext:toffset",
];

impl MediaChoice {
    pub(crate) fn build(&self, mid: String) -> LocalMedia<'static> {
        let kind = match self.kind % 3 {
            0 => MediaType::Audio,
            1 => MediaType::Video,
            _ => {
                let mut media = LocalMedia::data_channel("");
                media.mid = Cow::Owned(mid);
                media.max_message_size =
                    (self.max_message_size % 2 == 0).then_some(u64::from(self.max_message_size));
                return media;
            }
        };
        // Dynamic payload types, each once: 96 to 127, then 35 to 63.
        let mut next = 96u8;
        let mut pt = || {
            let pt = next;
            next = match next {
                127 => 35,
                63 => 64,
                n => n + 1,
            };
            pt
        };
        let pool = if kind == MediaType::Audio {
            audio_pool(&mut pt)
        } else {
            video_pool(&mut pt)
        };
        let mut chosen: Vec<Codec<'static>> = pool
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.codecs & (1 << i) != 0)
            .map(|(_, codec)| codec)
            .collect();
        // RED and FEC protect other codecs: an m-line needs one of those.
        if chosen.iter().all(|c| matches!(&*c.name, "red" | "ulpfec")) {
            chosen.insert(
                0,
                if kind == MediaType::Audio {
                    Codec::opus(111)
                } else {
                    Codec::vp8(pt())
                },
            );
        }
        let turns = usize::from(self.rotate) % chosen.len();
        chosen.rotate_left(turns);
        let mut codecs = Vec::with_capacity(2 * chosen.len());
        for (i, codec) in chosen.into_iter().enumerate() {
            let repaired = kind == MediaType::Video
                && self.rtx & (1 << i) != 0
                && !matches!(&*codec.name, "red" | "ulpfec");
            let apt = codec.payload_type;
            codecs.push(codec);
            if repaired {
                codecs.push(Codec::rtx(pt(), apt));
            }
        }
        let uris: Vec<&'static str> = if kind == MediaType::Audio {
            AUDIO_EXTENSIONS
                .iter()
                .chain(MORE_EXTENSIONS.iter().take(2))
                .copied()
                .collect()
        } else {
            VIDEO_EXTENSIONS
                .iter()
                .chain(&MORE_EXTENSIONS)
                .copied()
                .collect()
        };
        let first_id = u16::from(self.first_extension_id % 20) + 1;
        let extensions = uris
            .into_iter()
            .enumerate()
            .filter(|(i, _)| self.extensions & (1 << i) != 0)
            .zip(first_id..)
            .map(|((i, uri), id)| {
                let mut extmap = Extmap::new(id, uri);
                extmap.direction = match (self.extension_directions >> (2 * i)) & 3 {
                    1 => Some(Direction::SendOnly),
                    2 => Some(Direction::RecvOnly),
                    _ => None,
                };
                extmap
            })
            .collect();
        let mut media = LocalMedia::new("", kind.clone(), codecs, extensions);
        media.mid = Cow::Owned(mid);
        media.direction = match self.direction % 4 {
            0 => Direction::SendRecv,
            1 => Direction::SendOnly,
            2 => Direction::RecvOnly,
            _ => Direction::Inactive,
        };
        if self.msid {
            media.msid = Some(Msid {
                stream_id: Cow::Owned(format!("stream{}", self.ssrc % 100)),
                track_id: Some(Cow::Owned(format!("track{}", self.ssrc))),
            });
        }
        let layers = if kind == MediaType::Video {
            self.layers % 4
        } else {
            0
        };
        if layers >= 2 {
            let ids = ["q", "h", "f"];
            let ids = ids.get(..usize::from(layers)).unwrap_or(&ids);
            media.rids = ids
                .iter()
                .map(|id| Rid {
                    id: Cow::Borrowed(id),
                    direction: RidDirection::Send,
                    payload_types: Vec::new(),
                    restrictions: Vec::new(),
                })
                .collect();
            media.simulcast = Some(Simulcast {
                send: Some(
                    ids.iter()
                        .map(|id| {
                            vec![SimulcastId {
                                id: Cow::Borrowed(id),
                                paused: false,
                            }]
                        })
                        .collect(),
                ),
                recv: None,
            });
        } else if self.ssrc != 0 {
            let cname: Cow<'static, str> = Cow::Owned(format!("cname{}", self.ssrc % 1000));
            let mut ssrcs = vec![self.ssrc];
            if media.codecs.iter().any(Codec::is_rtx) {
                let rtx = self.ssrc.wrapping_add(1).max(1);
                ssrcs.push(rtx);
                media.ssrc_groups.push(SsrcGroup {
                    semantics: Cow::Borrowed("FID"),
                    ssrcs: ssrcs.clone(),
                });
            }
            media.ssrcs = ssrcs
                .into_iter()
                .map(|ssrc| Ssrc {
                    ssrc,
                    attribute: Cow::Borrowed("cname"),
                    value: Some(cname.clone()),
                })
                .collect();
        }
        media
    }
}

/// The `mid` of the m-line at `index`.
pub(crate) fn mid(index: usize) -> String {
    format!("{index}")
}

/// Capabilities from a session and up to one media choice per kind.
pub(crate) fn capabilities(
    session: &SessionChoice,
    audio: Option<&MediaChoice>,
    video: Option<&MediaChoice>,
    data: bool,
) -> Capabilities<'static> {
    let mut capabilities = Capabilities::new(session.build());
    if let Some(choice) = audio {
        let choice = MediaChoice {
            kind: 0,
            ..choice.clone()
        };
        capabilities = capabilities.with_audio(choice.build(mid(0)));
    }
    if let Some(choice) = video {
        let choice = MediaChoice {
            kind: 1,
            ..choice.clone()
        };
        capabilities = capabilities.with_video(choice.build(mid(1)));
    }
    if data {
        capabilities = capabilities.with_data_channel(LocalMedia::data_channel("2"));
    }
    capabilities
}

/// An offer from a session and media choices.
pub(crate) fn offer(session: &SessionChoice, media: &[MediaChoice]) -> OfferSpec {
    OfferSpec {
        session: session.build(),
        media: media
            .iter()
            .take(MAX_GENERATED_MEDIA + 1)
            .enumerate()
            .map(|(i, choice)| choice.build(mid(i)))
            .collect(),
    }
}

#[cfg(feature = "arbitrary")]
mod generate {
    //! The [`Arbitrary`] implementations.

    use alloc::borrow::Cow;
    use alloc::string::String;
    use alloc::vec::Vec;
    use core::net::{Ipv4Addr, Ipv6Addr};

    use arbitrary::{Arbitrary, Result, Unstructured};

    use super::{
        MAX_GENERATED_ATTRIBUTES, MAX_GENERATED_MEDIA, MediaChoice, OfferSpec, SessionChoice,
    };
    use crate::attribute::Attribute;
    use crate::bandwidth::{Bandwidth, BandwidthType};
    use crate::connection::{Address, AddressType, Connection, Origin};
    use crate::fmtp::{Fmtp, FmtpParameter};
    use crate::imageattr::Imageattr;
    use crate::line::Line;
    use crate::media::{Media, MediaLine, MediaType};
    use crate::negotiate::{Capabilities, LocalMedia, Session};
    use crate::rtp::{Direction, Extmap, RtcpFb, Rtpmap, Ssrc, SsrcGroup};
    use crate::session::Sdp;
    use crate::simulcast::{Rid, RidDirection, RidRestriction, Simulcast, SimulcastId};
    use crate::time::{
        Repeat, TimeDescription, TimeUnit, TimeZoneAdjustment, TimeZones, Timing, TypedTime,
    };
    use crate::transport::{
        ConnectionMode, Decimal, Fingerprint, Group, Msid, MsidSemantic, RemoteCandidate, Rtcp,
        Sctpmap, Setup,
    };

    const ALNUM: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// Between `min` and `max` characters of `set` and `extra`.
    fn chars(
        u: &mut Unstructured<'_>,
        set: &str,
        extra: &str,
        min: usize,
        max: usize,
    ) -> Result<String> {
        let len = u.int_in_range(min..=max)?;
        let set = set.as_bytes();
        let extra = extra.as_bytes();
        let mut text = String::with_capacity(len);
        for _ in 0..len {
            let i = u.choose_index(set.len() + extra.len())?;
            let b = set.get(i).or_else(|| extra.get(i - set.len())).copied();
            text.push(char::from(b.unwrap_or(b'a')));
        }
        Ok(text)
    }

    /// A `non-ws-string` as the tests write them.
    fn word(u: &mut Unstructured<'_>) -> Result<Cow<'static, str>> {
        chars(u, ALNUM, "+/_.-", 1, 12).map(Cow::Owned)
    }

    fn token(u: &mut Unstructured<'_>) -> Result<Cow<'static, str>> {
        chars(u, ALNUM, "_.-", 1, 10).map(Cow::Owned)
    }

    fn rid_id(u: &mut Unstructured<'_>) -> Result<Cow<'static, str>> {
        chars(u, ALNUM, "_-", 1, 6).map(Cow::Owned)
    }

    /// Printable ASCII, spaces included.
    fn text(u: &mut Unstructured<'_>) -> Result<Cow<'static, str>> {
        let len = u.int_in_range(0..=20)?;
        let mut text = String::with_capacity(len);
        for _ in 0..len {
            text.push(char::from(u.int_in_range(b' '..=b'~')?));
        }
        Ok(Cow::Owned(text))
    }

    fn lower(u: &mut Unstructured<'_>, min: usize, max: usize) -> Result<String> {
        chars(u, "abcdefghijklmnopqrstuvwxyz", "", min, max)
    }

    fn option<'a, T>(
        u: &mut Unstructured<'a>,
        f: impl FnOnce(&mut Unstructured<'a>) -> Result<T>,
    ) -> Result<Option<T>> {
        Ok(if u.arbitrary()? { Some(f(u)?) } else { None })
    }

    fn list<'a, T>(
        u: &mut Unstructured<'a>,
        min: usize,
        max: usize,
        mut f: impl FnMut(&mut Unstructured<'a>) -> Result<T>,
    ) -> Result<Vec<T>> {
        let len = u.int_in_range(min..=max)?;
        (0..len).map(|_| f(u)).collect()
    }

    fn address_parts(u: &mut Unstructured<'_>) -> Result<(AddressType<'static>, Address<'static>)> {
        Ok(match u.int_in_range(0u8..=3)? {
            0 => (
                AddressType::Ip4,
                Address::Ip4(Ipv4Addr::from(u.arbitrary::<u32>()?)),
            ),
            1 => (
                AddressType::Ip6,
                Address::Ip6(Ipv6Addr::from(u.arbitrary::<u128>()?)),
            ),
            2 => (
                AddressType::Ip4,
                Address::Name(Cow::Owned(alloc::format!("{}.example", lower(u, 1, 8)?))),
            ),
            _ => (
                AddressType::Other(Cow::Borrowed("X")),
                Address::Name(Cow::Owned(lower(u, 1, 8)?)),
            ),
        })
    }

    fn origin(u: &mut Unstructured<'_>) -> Result<Origin<'static>> {
        let (address_type, unicast_address) = address_parts(u)?;
        Ok(Origin {
            username: word(u)?,
            session_id: u.arbitrary()?,
            session_version: u.arbitrary()?,
            network_type: Cow::Borrowed("IN"),
            address_type,
            unicast_address,
        })
    }

    fn connection(u: &mut Unstructured<'_>) -> Result<Connection<'static>> {
        let (address_type, address) = address_parts(u)?;
        let ttl: Option<u8> = u.arbitrary()?;
        let count: Option<u32> = u.arbitrary()?;
        let (ttl, count) = match address_type {
            AddressType::Ip4 => (ttl, ttl.and(count)),
            AddressType::Ip6 => (None, count),
            AddressType::Other(_) => (None, None),
        };
        Ok(Connection {
            network_type: Cow::Borrowed("IN"),
            address_type,
            address,
            ttl,
            count,
        })
    }

    fn bandwidth(u: &mut Unstructured<'_>) -> Result<Bandwidth<'static>> {
        let bandwidth_type = match u.int_in_range(0u8..=5)? {
            0 => BandwidthType::ConferenceTotal,
            1 => BandwidthType::ApplicationSpecific,
            2 => BandwidthType::Tias,
            3 => BandwidthType::RtcpSenders,
            4 => BandwidthType::RtcpReceivers,
            _ => BandwidthType::Other(Cow::Owned(alloc::format!(
                "X-{}",
                chars(u, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", "", 1, 4)?
            ))),
        };
        Ok(Bandwidth {
            bandwidth_type,
            value: u.arbitrary()?,
        })
    }

    fn typed_time(u: &mut Unstructured<'_>, signed: bool) -> Result<TypedTime> {
        let low = if signed { -100_000i64 } else { 0 };
        Ok(TypedTime {
            value: u.int_in_range(low..=99_999)?,
            unit: *u.choose(&[
                TimeUnit::None,
                TimeUnit::Days,
                TimeUnit::Hours,
                TimeUnit::Minutes,
                TimeUnit::Seconds,
            ])?,
        })
    }

    fn time_description(u: &mut Unstructured<'_>) -> Result<TimeDescription<'static>> {
        Ok(TimeDescription {
            timing: Line::new(Timing {
                start: u.arbitrary()?,
                stop: u.arbitrary()?,
            }),
            repeats: list(u, 0, 2, |u| {
                Ok(Line::new(Repeat {
                    interval: typed_time(u, false)?,
                    duration: typed_time(u, false)?,
                    offsets: list(u, 1, 3, |u| typed_time(u, false))?,
                }))
            })?,
        })
    }

    fn direction(u: &mut Unstructured<'_>) -> Result<Direction> {
        Ok(*u.choose(&[
            Direction::SendRecv,
            Direction::SendOnly,
            Direction::RecvOnly,
            Direction::Inactive,
        ])?)
    }

    fn decimal(u: &mut Unstructured<'_>) -> Result<Decimal> {
        Ok(Decimal {
            units: u.arbitrary()?,
            scale: u.int_in_range(0..=9)?,
        })
    }

    fn payload_type(u: &mut Unstructured<'_>) -> Result<u8> {
        u.int_in_range(0..=127)
    }

    fn simulcast_streams(u: &mut Unstructured<'_>) -> Result<Vec<Vec<SimulcastId<'static>>>> {
        list(u, 1, 3, |u| {
            list(u, 1, 2, |u| {
                Ok(SimulcastId {
                    id: rid_id(u)?,
                    paused: u.arbitrary()?,
                })
            })
        })
    }

    /// An `a=imageattr` attribute list: `*` or sets.
    fn image_sets(u: &mut Unstructured<'_>) -> Result<Cow<'static, str>> {
        let sets = list(u, 1, 2, |u| {
            let x: u16 = u.int_in_range(1..=1920)?;
            let y: u16 = u.int_in_range(1..=1080)?;
            Ok(match u.int_in_range(0u8..=2)? {
                0 => alloc::format!("[x={x},y={y}]"),
                1 => alloc::format!("[x=[{x}:16:{}],y=[{y}:16:{}]]", x + 320, y + 240),
                _ => alloc::format!("[x=[{x},{}],y={y},q=0.5]", x * 2),
            })
        })?;
        Ok(if u.ratio(1u8, 4u8)? {
            Cow::Borrowed("*")
        } else {
            Cow::Owned(sets.join(" "))
        })
    }

    impl<'a> Arbitrary<'a> for Attribute<'static> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(match u.int_in_range(0u8..=44)? {
                0 => Self::Group(Group {
                    semantics: token(u)?,
                    mids: list(u, 0, 3, word)?,
                }),
                1 => Self::Mid(word(u)?),
                2 => Self::Msid(Msid {
                    stream_id: word(u)?,
                    track_id: option(u, word)?,
                }),
                3 => Self::MsidSemantic(MsidSemantic {
                    semantic: token(u)?,
                    identifiers: list(u, 0, 2, word)?,
                }),
                4 => Self::Rtpmap(Rtpmap {
                    payload_type: payload_type(u)?,
                    encoding_name: match u.int_in_range(0u8..=5)? {
                        0 => Cow::Borrowed("opus"),
                        1 => Cow::Borrowed("VP8"),
                        2 => Cow::Borrowed("H264"),
                        3 => Cow::Borrowed("rtx"),
                        4 => Cow::Borrowed("red"),
                        _ => token(u)?,
                    },
                    clock_rate: {
                        let any = u.arbitrary()?;
                        *u.choose(&[48_000, 90_000, 8_000, any])?
                    },
                    encoding_parameters: u.arbitrary()?,
                }),
                5 => Self::Fmtp(Fmtp {
                    payload_type: payload_type(u)?,
                    parameters: list(u, 1, 4, |u| {
                        Ok(FmtpParameter {
                            name: Cow::Owned(chars(
                                u,
                                "abcdefghijklmnopqrstuvwxyz0123456789",
                                "-",
                                1,
                                8,
                            )?),
                            value: option(u, |u| chars(u, ALNUM, "=,/+-", 0, 8).map(Cow::Owned))?,
                        })
                    })?,
                }),
                6 => Self::RtcpFb(RtcpFb {
                    payload_type: option(u, payload_type)?,
                    feedback_type: token(u)?,
                    parameters: option(u, |u| {
                        let words: Vec<Cow<'static, str>> = list(u, 1, 2, word)?;
                        Ok(Cow::Owned(words.join(" ")))
                    })?,
                }),
                7 => Self::Extmap(Extmap {
                    id: u.int_in_range(1..=4095)?,
                    direction: option(u, direction)?,
                    uri: word(u)?,
                    attributes: option(u, word)?,
                }),
                8 => Self::ExtmapAllowMixed,
                9 => Self::Ssrc(Ssrc {
                    ssrc: u.arbitrary()?,
                    attribute: token(u)?,
                    value: option(u, text)?,
                }),
                10 => Self::SsrcGroup(SsrcGroup {
                    semantics: token(u)?,
                    ssrcs: list(u, 0, 3, |u| u.arbitrary())?,
                }),
                11 => Self::Rid(Rid {
                    id: rid_id(u)?,
                    direction: if u.arbitrary()? {
                        RidDirection::Send
                    } else {
                        RidDirection::Recv
                    },
                    payload_types: list(u, 0, 2, payload_type)?,
                    restrictions: list(u, 0, 2, |u| {
                        Ok(RidRestriction {
                            name: Cow::Owned(alloc::format!("max-{}", lower(u, 1, 6)?)),
                            value: option(u, |u| chars(u, "0123456789", "", 1, 5).map(Cow::Owned))?,
                        })
                    })?,
                }),
                12 => {
                    let send = option(u, simulcast_streams)?;
                    let recv = match send {
                        None => Some(simulcast_streams(u)?),
                        Some(_) => option(u, simulcast_streams)?,
                    };
                    Self::Simulcast(Simulcast { send, recv })
                }
                13 => Self::IceUfrag(word(u)?),
                14 => Self::IcePwd(word(u)?),
                15 => Self::IceOptions(list(u, 1, 3, word)?),
                16 => Self::IceLite,
                17 => {
                    let first = chars(u, ALNUM, "!#$%&'()*+,-./:;<=>?@[]^_`{|}~", 1, 1)?;
                    let mut candidate = first;
                    candidate.push_str(&text(u)?);
                    Self::Candidate(Cow::Owned(candidate))
                }
                18 => Self::EndOfCandidates,
                19 => Self::RemoteCandidates(list(u, 1, 3, |u| {
                    Ok(RemoteCandidate {
                        component: u.int_in_range(0..=999)?,
                        address: word(u)?,
                        port: u.arbitrary()?,
                    })
                })?),
                20 => Self::IceMismatch,
                21 => Self::Imageattr({
                    let send = option(u, image_sets)?;
                    let recv = match send {
                        None => Some(image_sets(u)?),
                        Some(_) => option(u, image_sets)?,
                    };
                    Imageattr {
                        payload_type: option(u, payload_type)?,
                        send,
                        recv,
                    }
                }),
                22 => {
                    let (hash_function, len) = *u.choose(&[
                        ("sha-256", 32usize),
                        ("sha-1", 20),
                        ("sha-512", 64),
                        ("x-hash", 0),
                    ])?;
                    let len = if len == 0 {
                        u.int_in_range(1..=64)?
                    } else {
                        len
                    };
                    let mut bytes = Vec::with_capacity(len);
                    for _ in 0..len {
                        bytes.push(u.arbitrary()?);
                    }
                    Self::Fingerprint(Fingerprint {
                        hash_function: Cow::Borrowed(hash_function),
                        bytes,
                    })
                }
                23 => Self::Setup(*u.choose(&[
                    Setup::Active,
                    Setup::Passive,
                    Setup::Actpass,
                    Setup::Holdconn,
                ])?),
                24 => Self::Connection(if u.arbitrary()? {
                    ConnectionMode::New
                } else {
                    ConnectionMode::Existing
                }),
                25 => Self::Rtcp(Rtcp {
                    port: u.arbitrary()?,
                    address: option(u, |u| {
                        let (t, a) = address_parts(u)?;
                        Ok((Cow::Borrowed("IN"), t, a))
                    })?,
                }),
                26 => Self::RtcpMux,
                27 => Self::RtcpMuxOnly,
                28 => Self::RtcpRsize,
                29 => Self::SctpPort(u.arbitrary()?),
                30 => Self::Sctpmap(Sctpmap {
                    port: u.arbitrary()?,
                    protocol: token(u)?,
                    streams: u.arbitrary()?,
                }),
                31 => Self::MaxMessageSize(u.arbitrary()?),
                32 => Self::Ptime(decimal(u)?),
                33 => Self::Maxptime(u.arbitrary()?),
                34 => Self::Framerate(decimal(u)?),
                35 => Self::Direction(direction(u)?),
                36 => Self::Label(word(u)?),
                37 => Self::Identity(word(u)?),
                38 => Self::BundleOnly,
                _ => Self::Other {
                    name: Cow::Owned(alloc::format!(
                        "x-{}",
                        chars(u, "abcdefghijklmnopqrstuvwxyz", "-", 1, 8)?
                    )),
                    value: option(u, text)?,
                },
            })
        }
    }

    fn media_line(u: &mut Unstructured<'_>) -> Result<MediaLine<'static>> {
        let media = match u.int_in_range(0u8..=5)? {
            0 => MediaType::Audio,
            1 => MediaType::Video,
            2 => MediaType::Application,
            3 => MediaType::Text,
            4 => MediaType::Message,
            _ => MediaType::Other(Cow::Owned(alloc::format!("x-{}", lower(u, 1, 5)?))),
        };
        let protocol = match u.int_in_range(0u8..=2)? {
            0 => Cow::Borrowed("UDP/TLS/RTP/SAVPF"),
            1 => Cow::Borrowed("UDP/DTLS/SCTP"),
            _ => {
                const UPPER: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
                let mut protocol = chars(u, UPPER, "", 1, 4)?;
                for _ in 0..u.int_in_range(0..=3)? {
                    protocol.push('/');
                    protocol.push_str(&chars(u, UPPER, "", 1, 5)?);
                }
                Cow::Owned(protocol)
            }
        };
        Ok(MediaLine {
            media,
            port: u.arbitrary()?,
            port_count: u.arbitrary()?,
            protocol,
            formats: list(u, 1, 5, |u| {
                if u.arbitrary()? {
                    token(u)
                } else {
                    Ok(Cow::Owned(alloc::format!("{}", u.int_in_range(96u8..=99)?)))
                }
            })?,
        })
    }

    impl<'a> Arbitrary<'a> for Media<'static> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let mut media = Media::new(media_line(u)?);
            media.information = option(u, text)?.map(Line::new);
            media.connections = list(u, 0, 2, connection)?
                .into_iter()
                .map(Line::new)
                .collect();
            media.bandwidths = list(u, 0, 1, bandwidth)?
                .into_iter()
                .map(Line::new)
                .collect();
            media.key = option(u, text)?.map(Line::new);
            media.attributes = list(u, 0, MAX_GENERATED_ATTRIBUTES, |u| {
                Attribute::arbitrary(u).map(Line::new)
            })?;
            Ok(media)
        }
    }

    impl<'a> Arbitrary<'a> for Sdp<'static> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let mut sdp = Sdp::new(origin(u)?);
            sdp.session_name = Line::new(text(u)?);
            sdp.information = option(u, text)?.map(Line::new);
            sdp.uri = option(u, text)?.map(Line::new);
            sdp.emails = list(u, 0, 1, text)?.into_iter().map(Line::new).collect();
            sdp.phones = list(u, 0, 1, text)?.into_iter().map(Line::new).collect();
            sdp.connection = option(u, connection)?.map(Line::new);
            sdp.bandwidths = list(u, 0, 2, bandwidth)?
                .into_iter()
                .map(Line::new)
                .collect();
            sdp.times = list(u, 0, 2, time_description)?;
            sdp.time_zones = option(u, |u| {
                Ok(Line::new(TimeZones {
                    adjustments: list(u, 1, 2, |u| {
                        Ok(TimeZoneAdjustment {
                            time: u.arbitrary()?,
                            offset: typed_time(u, true)?,
                        })
                    })?,
                }))
            })?;
            sdp.key = option(u, text)?.map(Line::new);
            sdp.attributes = list(u, 0, MAX_GENERATED_ATTRIBUTES, |u| {
                Attribute::arbitrary(u).map(Line::new)
            })?;
            sdp.media = list(u, 0, MAX_GENERATED_MEDIA, Media::arbitrary)?;
            sdp.trailing_blank_lines = u.int_in_range(0..=2)?;
            Ok(sdp)
        }
    }

    impl<'a> Arbitrary<'a> for SessionChoice {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                session_id: u.arbitrary()?,
                address: u.arbitrary()?,
                ufrag: list(u, 0, 28, |u| u.arbitrary())?,
                pwd: list(u, 0, 18, |u| u.arbitrary())?,
                hash: u.arbitrary()?,
                fingerprint: list(u, 0, 64, |u| u.arbitrary())?,
                ice_lite: u.ratio(1u8, 8u8)?,
                trickle: u.arbitrary()?,
                bundle: u.ratio(3u8, 4u8)?,
                extmap_allow_mixed: u.arbitrary()?,
                candidates: list(u, 0, 2, |u| u.arbitrary())?,
                end_of_candidates: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for MediaChoice {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(Self {
                kind: u.arbitrary()?,
                codecs: u.arbitrary()?,
                rtx: u.arbitrary()?,
                rotate: u.arbitrary()?,
                extensions: u.arbitrary()?,
                first_extension_id: u.arbitrary()?,
                extension_directions: u.arbitrary()?,
                direction: u.arbitrary()?,
                msid: u.arbitrary()?,
                ssrc: u.arbitrary()?,
                layers: u.arbitrary()?,
                max_message_size: u.arbitrary()?,
            })
        }
    }

    impl<'a> Arbitrary<'a> for Session<'static> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            Ok(SessionChoice::arbitrary(u)?.build())
        }
    }

    impl<'a> Arbitrary<'a> for LocalMedia<'static> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let mid = word(u)?.into_owned();
            Ok(MediaChoice::arbitrary(u)?.build(mid))
        }
    }

    impl<'a> Arbitrary<'a> for Capabilities<'static> {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let session = SessionChoice::arbitrary(u)?;
            let audio = option(u, MediaChoice::arbitrary)?;
            let video = option(u, MediaChoice::arbitrary)?;
            let data = u.arbitrary()?;
            Ok(super::capabilities(
                &session,
                audio.as_ref(),
                video.as_ref(),
                data,
            ))
        }
    }

    impl<'a> Arbitrary<'a> for OfferSpec {
        fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
            let session = SessionChoice::arbitrary(u)?;
            let media = list(u, 0, MAX_GENERATED_MEDIA, MediaChoice::arbitrary)?;
            Ok(super::offer(&session, &media))
        }
    }
}
