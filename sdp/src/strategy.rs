//! [proptest](https://docs.rs/proptest) strategies for session
//! descriptions (feature `proptest`): any description the grammar allows
//! ([`sdp`], [`media`], [`attribute`]; also `any::<Sdp<'static>>()`), JSEP
//! offers and answerer capabilities ([`offer`], [`capabilities`]), and
//! near-valid descriptions (one defect each) for negative tests.
//!
//! ```
//! use proptest::prelude::*;
//! use sansrtc_sdp::Sdp;
//! use sansrtc_sdp::negotiate::{apply_answer, create_answer};
//! use sansrtc_sdp::strategy::{capabilities, near_valid_sdp, offer};
//!
//! proptest!(|(sdp in any::<Sdp<'static>>())| {
//!     let text = sdp.to_string();
//!     prop_assert_eq!(Sdp::parse(&text).unwrap(), sdp);
//! });
//! proptest!(|(offer in offer(), capabilities in capabilities())| {
//!     let offer = offer.to_sdp();
//!     if let Ok(answer) = create_answer(&offer, &capabilities) {
//!         prop_assert!(apply_answer(&offer, &answer).is_ok());
//!     }
//! });
//! // Your parser, like ours, must refuse each of these.
//! proptest!(|(near in near_valid_sdp())| {
//!     prop_assert!(Sdp::parse(&near.text).is_err(), "{:?}", near.defect);
//! });
//! ```

use alloc::borrow::Cow;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use crate::arbitrary::{
    MAX_GENERATED_ATTRIBUTES, MAX_GENERATED_MEDIA, MediaChoice, OfferSpec, SessionChoice,
};
use crate::attribute::Attribute;
use crate::bandwidth::{Bandwidth, BandwidthType};
use crate::connection::{Address, AddressType, Connection, Origin};
use crate::fmtp::{Fmtp, FmtpParameter};
use crate::imageattr::Imageattr;
use crate::line::Line;
use crate::media::{Media, MediaLine, MediaType};
use crate::negotiate::Capabilities;
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

fn owned(text: String) -> Cow<'static, str> {
    Cow::Owned(text)
}

fn word() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-zA-Z0-9+/_.-]{1,12}".prop_map(owned)
}

fn token() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-zA-Z0-9_.-]{1,10}".prop_map(owned)
}

fn rid_id() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-zA-Z0-9_-]{1,6}".prop_map(owned)
}

fn text() -> impl Strategy<Value = Cow<'static, str>> {
    "[ -~]{0,20}".prop_map(owned)
}

fn address_parts() -> impl Strategy<Value = (AddressType<'static>, Address<'static>)> {
    prop_oneof![
        any::<u32>().prop_map(|a| (AddressType::Ip4, Address::Ip4(Ipv4Addr::from(a)))),
        any::<u128>().prop_map(|a| (AddressType::Ip6, Address::Ip6(Ipv6Addr::from(a)))),
        "[a-z]{1,8}\\.example".prop_map(|n| (AddressType::Ip4, Address::Name(owned(n)))),
        "[a-z]{1,8}".prop_map(|n| (
            AddressType::Other(Cow::Borrowed("X")),
            Address::Name(owned(n))
        )),
    ]
}

fn origin() -> impl Strategy<Value = Origin<'static>> {
    (word(), any::<u64>(), any::<u64>(), address_parts()).prop_map(
        |(username, session_id, session_version, (address_type, unicast_address))| Origin {
            username,
            session_id,
            session_version,
            network_type: Cow::Borrowed("IN"),
            address_type,
            unicast_address,
        },
    )
}

fn connection() -> impl Strategy<Value = Connection<'static>> {
    (
        address_parts(),
        option::of(any::<u8>()),
        option::of(any::<u32>()),
    )
        .prop_map(|((address_type, address), ttl, count)| {
            let (ttl, count) = match address_type {
                AddressType::Ip4 => (ttl, ttl.and(count)),
                AddressType::Ip6 => (None, count),
                AddressType::Other(_) => (None, None),
            };
            Connection {
                network_type: Cow::Borrowed("IN"),
                address_type,
                address,
                ttl,
                count,
            }
        })
}

fn bandwidth() -> impl Strategy<Value = Bandwidth<'static>> {
    let kind = prop_oneof![
        Just(BandwidthType::ConferenceTotal),
        Just(BandwidthType::ApplicationSpecific),
        Just(BandwidthType::Tias),
        Just(BandwidthType::RtcpSenders),
        Just(BandwidthType::RtcpReceivers),
        "X-[A-Z]{1,4}".prop_map(|t| BandwidthType::Other(owned(t))),
    ];
    (kind, any::<u64>()).prop_map(|(bandwidth_type, value)| Bandwidth {
        bandwidth_type,
        value,
    })
}

fn typed_time(signed: bool) -> impl Strategy<Value = TypedTime> {
    let unit = prop_oneof![
        Just(TimeUnit::None),
        Just(TimeUnit::Days),
        Just(TimeUnit::Hours),
        Just(TimeUnit::Minutes),
        Just(TimeUnit::Seconds)
    ];
    let low = if signed { -100_000i64 } else { 0 };
    (low..100_000i64, unit).prop_map(|(value, unit)| TypedTime { value, unit })
}

fn time_description() -> impl Strategy<Value = TimeDescription<'static>> {
    let repeat = (
        typed_time(false),
        typed_time(false),
        vec(typed_time(false), 1..4),
    )
        .prop_map(|(interval, duration, offsets)| {
            Line::new(Repeat {
                interval,
                duration,
                offsets,
            })
        });
    (any::<u64>(), any::<u64>(), vec(repeat, 0..2)).prop_map(|(start, stop, repeats)| {
        TimeDescription {
            timing: Line::new(Timing { start, stop }),
            repeats,
        }
    })
}

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::SendRecv),
        Just(Direction::SendOnly),
        Just(Direction::RecvOnly),
        Just(Direction::Inactive)
    ]
}

fn decimal() -> impl Strategy<Value = Decimal> {
    (any::<u64>(), 0u8..=9).prop_map(|(units, scale)| Decimal { units, scale })
}

fn simulcast_streams() -> impl Strategy<Value = Vec<Vec<SimulcastId<'static>>>> {
    let id = (rid_id(), any::<bool>()).prop_map(|(id, paused)| SimulcastId { id, paused });
    vec(vec(id, 1..3), 1..4)
}

fn image_sets() -> impl Strategy<Value = Cow<'static, str>> {
    let set = (1u16..=1920, 1u16..=1080, 0u8..3).prop_map(|(x, y, form)| match form {
        0 => alloc::format!("[x={x},y={y}]"),
        1 => alloc::format!("[x=[{x}:16:{}],y=[{y}:16:{}]]", x + 320, y + 240),
        _ => alloc::format!("[x=[{x},{}],y={y},q=0.5]", x * 2),
    });
    prop_oneof![
        1 => Just(Cow::Borrowed("*")),
        3 => vec(set, 1..3).prop_map(|sets| owned(sets.join(" "))),
    ]
}

/// Any attribute, typed or not, that writes to text parsing back to it.
pub fn attribute() -> impl Strategy<Value = Attribute<'static>> {
    let grouping = prop_oneof![
        (token(), vec(word(), 0..4))
            .prop_map(|(semantics, mids)| Attribute::Group(Group { semantics, mids })),
        word().prop_map(Attribute::Mid),
        (word(), option::of(word())).prop_map(|(stream_id, track_id)| Attribute::Msid(Msid {
            stream_id,
            track_id
        })),
        (token(), vec(word(), 0..3)).prop_map(|(semantic, identifiers)| {
            Attribute::MsidSemantic(MsidSemantic {
                semantic,
                identifiers,
            })
        }),
        Just(Attribute::ExtmapAllowMixed),
        Just(Attribute::BundleOnly),
        word().prop_map(Attribute::Label),
        word().prop_map(Attribute::Identity),
    ];
    let rtp = prop_oneof![
        (
            0u8..128,
            prop_oneof![
                token(),
                Just(Cow::Borrowed("opus")),
                Just(Cow::Borrowed("VP8")),
                Just(Cow::Borrowed("H264")),
                Just(Cow::Borrowed("rtx")),
                Just(Cow::Borrowed("red"))
            ],
            prop_oneof![any::<u32>(), Just(48_000), Just(90_000)],
            option::of(prop_oneof![any::<u16>(), Just(2)]),
        )
            .prop_map(|(payload_type, encoding_name, clock_rate, channels)| {
                Attribute::Rtpmap(Rtpmap {
                    payload_type,
                    encoding_name,
                    clock_rate,
                    encoding_parameters: channels,
                })
            }),
        (
            0u8..128,
            vec(
                ("[a-z0-9-]{1,8}", option::of("[a-zA-Z0-9=,/+-]{0,8}")),
                1..5
            )
        )
            .prop_map(|(payload_type, parameters)| Attribute::Fmtp(Fmtp {
                payload_type,
                parameters: parameters
                    .into_iter()
                    .map(|(name, value)| FmtpParameter {
                        name: owned(name),
                        value: value.map(owned),
                    })
                    .collect(),
            })),
        (option::of(0u8..128), token(), option::of(vec(word(), 1..3))).prop_map(
            |(payload_type, feedback_type, parameters)| Attribute::RtcpFb(RtcpFb {
                payload_type,
                feedback_type,
                parameters: parameters.map(|p| owned(p.join(" "))),
            })
        ),
        (
            1u16..4096,
            option::of(direction()),
            word(),
            option::of(word())
        )
            .prop_map(
                |(id, direction, uri, attributes)| Attribute::Extmap(Extmap {
                    id,
                    direction,
                    uri,
                    attributes,
                })
            ),
        (any::<u32>(), token(), option::of(text())).prop_map(|(ssrc, attribute, value)| {
            Attribute::Ssrc(Ssrc {
                ssrc,
                attribute,
                value,
            })
        }),
        (token(), vec(any::<u32>(), 0..4))
            .prop_map(|(semantics, ssrcs)| Attribute::SsrcGroup(SsrcGroup { semantics, ssrcs })),
        (
            rid_id(),
            any::<bool>(),
            vec(0u8..128, 0..3),
            vec(("max-[a-z]{1,6}", option::of("[0-9]{1,5}")), 0..3)
        )
            .prop_map(
                |(id, send, payload_types, restrictions)| Attribute::Rid(Rid {
                    id,
                    direction: if send {
                        RidDirection::Send
                    } else {
                        RidDirection::Recv
                    },
                    payload_types,
                    restrictions: restrictions
                        .into_iter()
                        .map(|(name, value)| RidRestriction {
                            name: owned(name),
                            value: value.map(owned),
                        })
                        .collect(),
                })
            ),
        (
            option::of(simulcast_streams()),
            option::of(simulcast_streams())
        )
            .prop_filter("one direction at least", |(s, r)| s.is_some()
                || r.is_some())
            .prop_map(|(send, recv)| Attribute::Simulcast(Simulcast { send, recv })),
        (option::of(0u8..128), option::of(image_sets()), image_sets()).prop_map(
            |(payload_type, send, recv)| Attribute::Imageattr(Imageattr {
                payload_type,
                send,
                recv: Some(recv),
            })
        ),
    ];
    let ice = prop_oneof![
        word().prop_map(Attribute::IceUfrag),
        word().prop_map(Attribute::IcePwd),
        vec(word(), 1..4).prop_map(Attribute::IceOptions),
        Just(Attribute::IceLite),
        "[!-~][ -~]{0,39}".prop_map(|c| Attribute::Candidate(owned(c))),
        Just(Attribute::EndOfCandidates),
        vec((0u16..1000, word(), any::<u16>()), 1..3).prop_map(|candidates| {
            Attribute::RemoteCandidates(
                candidates
                    .into_iter()
                    .map(|(component, address, port)| RemoteCandidate {
                        component,
                        address,
                        port,
                    })
                    .collect(),
            )
        }),
        Just(Attribute::IceMismatch),
    ];
    let transport = prop_oneof![
        vec(any::<u8>(), 32).prop_map(|bytes| Attribute::Fingerprint(Fingerprint {
            hash_function: Cow::Borrowed("sha-256"),
            bytes
        })),
        vec(any::<u8>(), 1..64).prop_map(|bytes| Attribute::Fingerprint(Fingerprint {
            hash_function: Cow::Borrowed("x-hash"),
            bytes
        })),
        prop_oneof![
            Just(Setup::Active),
            Just(Setup::Passive),
            Just(Setup::Actpass),
            Just(Setup::Holdconn)
        ]
        .prop_map(Attribute::Setup),
        prop_oneof![Just(ConnectionMode::New), Just(ConnectionMode::Existing)]
            .prop_map(Attribute::Connection),
        (any::<u16>(), option::of(address_parts())).prop_map(|(port, a)| Attribute::Rtcp(Rtcp {
            port,
            address: a.map(|(t, a)| (Cow::Borrowed("IN"), t, a))
        })),
        Just(Attribute::RtcpMux),
        Just(Attribute::RtcpMuxOnly),
        Just(Attribute::RtcpRsize),
        any::<u16>().prop_map(Attribute::SctpPort),
        (any::<u16>(), token(), option::of(any::<u32>())).prop_map(|(port, protocol, streams)| {
            Attribute::Sctpmap(Sctpmap {
                port,
                protocol,
                streams,
            })
        }),
        any::<u64>().prop_map(Attribute::MaxMessageSize),
    ];
    let media = prop_oneof![
        decimal().prop_map(Attribute::Ptime),
        any::<u32>().prop_map(Attribute::Maxptime),
        decimal().prop_map(Attribute::Framerate),
        direction().prop_map(Attribute::Direction),
        ("x-[a-z-]{1,8}", option::of(text())).prop_map(|(name, value)| Attribute::Other {
            name: owned(name),
            value
        }),
    ];
    prop_oneof![2 => grouping, 4 => rtp, 2 => ice, 3 => transport, 1 => media]
}

/// Any media description that writes to text parsing back to it.
pub fn media() -> impl Strategy<Value = Media<'static>> {
    let kind = prop_oneof![
        Just(MediaType::Audio),
        Just(MediaType::Video),
        Just(MediaType::Application),
        Just(MediaType::Text),
        Just(MediaType::Message),
        "x-[a-z]{1,5}".prop_map(|t| MediaType::Other(owned(t))),
    ];
    let line = (
        kind,
        any::<u16>(),
        option::of(any::<u16>()),
        prop_oneof![
            "[A-Z]{1,4}(/[A-Z]{1,5}){0,3}".prop_map(owned),
            Just(Cow::Borrowed("UDP/TLS/RTP/SAVPF")),
            Just(Cow::Borrowed("UDP/DTLS/SCTP"))
        ],
        vec(
            prop_oneof![token(), (96u8..100).prop_map(|pt| owned(pt.to_string()))],
            1..6,
        ),
    )
        .prop_map(|(media, port, port_count, protocol, formats)| MediaLine {
            media,
            port,
            port_count,
            protocol,
            formats,
        });
    (
        line,
        option::of(text()),
        vec(connection(), 0..3),
        vec(bandwidth(), 0..2),
        option::of(text()),
        vec(attribute(), 0..=MAX_GENERATED_ATTRIBUTES),
    )
        .prop_map(
            |(line, information, connections, bandwidths, key, attributes)| {
                let mut media = Media::new(line);
                media.information = information.map(Line::new);
                media.connections = connections.into_iter().map(Line::new).collect();
                media.bandwidths = bandwidths.into_iter().map(Line::new).collect();
                media.key = key.map(Line::new);
                media.attributes = attributes.into_iter().map(Line::new).collect();
                media
            },
        )
}

prop_compose! {
    /// Any session description: every RFC 8866 line type, typed and
    /// unknown attributes, up to [`MAX_GENERATED_MEDIA`] media
    /// descriptions. Its text (`to_string()`) parses back to it.
    pub fn sdp()(
        origin in origin(),
        session_name in text(),
        information in option::of(text()),
        uri in option::of(text()),
        emails in vec(text(), 0..2),
        phones in vec(text(), 0..2),
        connection in option::of(connection()),
        bandwidths in vec(bandwidth(), 0..3),
        times in vec(time_description(), 0..3),
        zones in option::of(vec((any::<u64>(), typed_time(true)), 1..3)),
        key in option::of(text()),
        attributes in vec(attribute(), 0..=MAX_GENERATED_ATTRIBUTES),
        media in vec(media(), 0..=MAX_GENERATED_MEDIA),
        trailing_blank_lines in 0usize..3,
    ) -> Sdp<'static> {
        let mut sdp = Sdp::new(origin);
        sdp.session_name = Line::new(session_name);
        sdp.information = information.map(Line::new);
        sdp.uri = uri.map(Line::new);
        sdp.emails = emails.into_iter().map(Line::new).collect();
        sdp.phones = phones.into_iter().map(Line::new).collect();
        sdp.connection = connection.map(Line::new);
        sdp.bandwidths = bandwidths.into_iter().map(Line::new).collect();
        sdp.times = times;
        sdp.time_zones = zones.map(|z| Line::new(TimeZones {
            adjustments: z.into_iter().map(|(time, offset)| TimeZoneAdjustment { time, offset }).collect(),
        }));
        sdp.key = key.map(Line::new);
        sdp.attributes = attributes.into_iter().map(Line::new).collect();
        sdp.media = media;
        sdp.trailing_blank_lines = trailing_blank_lines;
        sdp
    }
}

fn session_choice() -> impl Strategy<Value = SessionChoice> {
    (
        (any::<u64>(), option::of(any::<u128>()), any::<u8>()),
        (
            vec(any::<u8>(), 0..28),
            vec(any::<u8>(), 0..18),
            vec(any::<u8>(), 0..64),
        ),
        any::<[bool; 5]>(),
        vec(any::<(u16, u32, u16)>(), 0..3),
    )
        .prop_map(
            |((session_id, address, hash), (ufrag, pwd, fingerprint), flags, candidates)| {
                let [
                    ice_lite,
                    trickle,
                    bundle,
                    extmap_allow_mixed,
                    end_of_candidates,
                ] = flags;
                SessionChoice {
                    session_id,
                    address,
                    ufrag,
                    pwd,
                    hash,
                    fingerprint,
                    ice_lite,
                    trickle,
                    bundle,
                    extmap_allow_mixed,
                    candidates,
                    end_of_candidates,
                }
            },
        )
}

fn media_choice() -> impl Strategy<Value = MediaChoice> {
    (
        (any::<u8>(), any::<u32>(), any::<u32>(), any::<u8>()),
        (any::<u16>(), any::<u8>(), any::<u32>()),
        (
            any::<u8>(),
            any::<bool>(),
            any::<u32>(),
            any::<u8>(),
            any::<u32>(),
        ),
    )
        .prop_map(
            |(
                (kind, codecs, rtx, rotate),
                (extensions, first_extension_id, extension_directions),
                (direction, msid, ssrc, layers, max_message_size),
            )| MediaChoice {
                kind,
                codecs,
                rtx,
                rotate,
                extensions,
                first_extension_id,
                extension_directions,
                direction,
                msid,
                ssrc,
                layers,
                max_message_size,
            },
        )
}

/// A JSEP offer as a browser or SFU makes one: audio, video and data
/// channel m-lines with codecs (RTX, RED, FEC), header extensions,
/// directions, SSRCs or simulcast, BUNDLE, candidates; written by
/// [`create_offer`](crate::negotiate::create_offer).
pub fn offer() -> impl Strategy<Value = OfferSpec> {
    (
        session_choice(),
        vec(media_choice(), 0..=MAX_GENERATED_MEDIA),
    )
        .prop_map(|(session, media)| crate::arbitrary::offer(&session, &media))
}

/// What an answerer takes: transport parameters and, for each kind, the
/// codecs and extensions it supports (or none).
pub fn capabilities() -> impl Strategy<Value = Capabilities<'static>> {
    (
        session_choice(),
        option::of(media_choice()),
        option::of(media_choice()),
        any::<bool>(),
    )
        .prop_map(|(session, audio, video, data)| {
            crate::arbitrary::capabilities(&session, audio.as_ref(), video.as_ref(), data)
        })
}

impl Arbitrary for Sdp<'static> {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        sdp().boxed()
    }
}

impl Arbitrary for Media<'static> {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        media().boxed()
    }
}

impl Arbitrary for Attribute<'static> {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        attribute().boxed()
    }
}

impl Arbitrary for OfferSpec {
    type Parameters = ();
    type Strategy = BoxedStrategy<Self>;

    fn arbitrary_with((): ()) -> Self::Strategy {
        offer().boxed()
    }
}

/// What is wrong with a [`NearValid`] description. Each defect makes
/// [`Sdp::parse`] and [`Sdp::parse_strict`] fail.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Defect {
    /// Cut to this many bytes, before the `s=` line.
    Truncated(usize),
    /// The `v=` line (0) or the `o=` line (1) left out.
    MissingLine(u8),
    /// The `s=` line left out.
    MissingSessionName,
    /// The port of this `m=` line (by index) set to this number above
    /// 65535.
    PortOutOfRange(usize, u32),
    /// This line (`x=...`, a type RFC 8866 does not have) inserted after
    /// the `s=` line.
    UnknownLineType(String),
    /// The `v=` value replaced by this text, which is not a number.
    BadVersion(String),
    /// A NUL character inserted at this byte (in the first three lines).
    Nul(usize),
    /// This line, which is no `<type>=<value>` line, appended.
    Garbage(String),
}

/// A session description that is right but for one [`Defect`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NearValid {
    /// The well-formed description it was made from.
    pub sdp: Sdp<'static>,
    /// What was changed.
    pub defect: Defect,
    /// The text with the defect.
    pub text: String,
}

/// Where each line of `text` starts (lines end in CRLF).
fn line_starts(text: &str) -> Vec<usize> {
    let mut starts = vec![0];
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        at += line.len();
        starts.push(at);
    }
    starts.pop();
    starts
}

fn defect(sdp: &Sdp<'static>, text: &str) -> BoxedStrategy<Defect> {
    let starts = line_starts(text);
    // `v=`, `o=` and `s=` are the first three lines the writer writes.
    let session_name = starts.get(2).copied().unwrap_or(0);
    let mut defects = vec![
        (0..session_name).prop_map(Defect::Truncated).boxed(),
        (0u8..2).prop_map(Defect::MissingLine).boxed(),
        Just(Defect::MissingSessionName).boxed(),
        "[fghjlnqwxy]=[ -~]{0,10}"
            .prop_map(Defect::UnknownLineType)
            .boxed(),
        "[a-z -]{1,4}".prop_map(Defect::BadVersion).boxed(),
        (0..session_name).prop_map(Defect::Nul).boxed(),
        "[A-Za-z%;!]{1,10}".prop_map(Defect::Garbage).boxed(),
    ];
    if !sdp.media.is_empty() {
        defects.push(
            (0..sdp.media.len(), 65_536u32..1_000_000)
                .prop_map(|(i, port)| Defect::PortOutOfRange(i, port))
                .boxed(),
        );
    }
    proptest::strategy::Union::new(defects).boxed()
}

fn apply(text: &str, defect: &Defect) -> String {
    let starts = line_starts(text);
    let line = |i: usize| {
        let start = starts.get(i).copied().unwrap_or(text.len());
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        (start, end)
    };
    let splice = |start: usize, end: usize, with: &str| {
        let mut out = String::with_capacity(text.len() + with.len());
        out.push_str(text.get(..start).unwrap_or_default());
        out.push_str(with);
        out.push_str(text.get(end..).unwrap_or_default());
        out
    };
    match defect {
        Defect::Truncated(len) => text.get(..*len).unwrap_or_default().to_string(),
        Defect::MissingLine(i) => {
            let (start, end) = line(usize::from(*i));
            splice(start, end, "")
        }
        Defect::MissingSessionName => {
            let (start, end) = line(2);
            splice(start, end, "")
        }
        Defect::PortOutOfRange(index, port) => {
            // The m-lines in order; the port is the second field.
            let (start, end) = starts
                .iter()
                .enumerate()
                .filter(|(_, s)| text.get(**s..).is_some_and(|t| t.starts_with("m=")))
                .nth(*index)
                .map_or((text.len(), text.len()), |(i, _)| line(i));
            let old = text.get(start..end).unwrap_or_default();
            let mut fields: Vec<String> = old.splitn(3, ' ').map(String::from).collect();
            if let Some(field) = fields.get_mut(1) {
                let rest = field
                    .find('/')
                    .and_then(|slash| field.get(slash..))
                    .unwrap_or("");
                *field = alloc::format!("{port}{rest}");
            }
            splice(start, end, &fields.join(" "))
        }
        Defect::UnknownLineType(new) => {
            let (_, end) = line(2);
            splice(end, end, &alloc::format!("{new}\r\n"))
        }
        Defect::BadVersion(value) => {
            let (start, end) = line(0);
            splice(start, end, &alloc::format!("v={value}\r\n"))
        }
        Defect::Nul(at) => splice(*at, *at, "\0"),
        Defect::Garbage(garbage) => {
            let mut out = text.to_string();
            out.push_str(garbage);
            out.push_str("\r\n");
            out
        }
    }
}

/// A well-formed description with one [`Defect`]: truncated before `s=`,
/// a required line left out, an unknown line type, a port out of range, a
/// version that is not a number, a NUL character, a line without `=`.
/// [`Sdp::parse`] and [`Sdp::parse_strict`] refuse every one.
pub fn near_valid_sdp() -> impl Strategy<Value = NearValid> {
    sdp().prop_flat_map(|mut sdp| {
        sdp.trailing_blank_lines = 0;
        let text = sdp.to_string();
        let defect = defect(&sdp, &text);
        (Just(sdp), Just(text), defect).prop_map(|(sdp, text, defect)| {
            let text = apply(&text, &defect);
            NearValid { sdp, defect, text }
        })
    })
}
