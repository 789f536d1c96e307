#![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]

//! Property tests: generated descriptions survive write → parse unchanged,
//! and no text makes the parser panic.

use std::borrow::Cow;
use std::net::{Ipv4Addr, Ipv6Addr};

use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use sansrtc_sdp::negotiate::{Capabilities, Session, apply_answer, create_answer};
use sansrtc_sdp::*;

fn word() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-zA-Z0-9+/_.-]{1,12}".prop_map(Cow::Owned)
}

fn token() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-zA-Z0-9_.-]{1,10}".prop_map(Cow::Owned)
}

fn rid_id() -> impl Strategy<Value = Cow<'static, str>> {
    "[a-zA-Z0-9_-]{1,6}".prop_map(Cow::Owned)
}

fn text() -> impl Strategy<Value = Cow<'static, str>> {
    "[ -~]{0,20}".prop_map(Cow::Owned)
}

fn address_parts() -> impl Strategy<Value = (AddressType<'static>, Address<'static>)> {
    prop_oneof![
        any::<u32>().prop_map(|a| (AddressType::Ip4, Address::Ip4(Ipv4Addr::from(a)))),
        any::<u128>().prop_map(|a| (AddressType::Ip6, Address::Ip6(Ipv6Addr::from(a)))),
        "[a-z]{1,8}\\.example".prop_map(|n| (AddressType::Ip4, Address::Name(n.into()))),
        "[a-z]{1,8}".prop_map(|n| (AddressType::Other("X".into()), Address::Name(n.into()))),
    ]
}

fn origin() -> impl Strategy<Value = Origin<'static>> {
    (word(), any::<u64>(), any::<u64>(), address_parts()).prop_map(
        |(username, id, version, (t, a))| Origin {
            username,
            session_id: id,
            session_version: version,
            network_type: "IN".into(),
            address_type: t,
            unicast_address: a,
        },
    )
}

fn connection() -> impl Strategy<Value = Connection<'static>> {
    (
        address_parts(),
        option::of(any::<u8>()),
        option::of(any::<u32>()),
    )
        .prop_map(|((t, a), ttl, count)| {
            let (ttl, count) = match t {
                AddressType::Ip4 => (ttl, ttl.and(count)),
                AddressType::Ip6 => (None, count),
                AddressType::Other(_) => (None, None),
            };
            Connection {
                network_type: "IN".into(),
                address_type: t,
                address: a,
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
        "X-[A-Z]{1,4}".prop_map(|t| BandwidthType::Other(t.into())),
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

fn fmtp() -> impl Strategy<Value = Fmtp<'static>> {
    let parameter =
        ("[a-z0-9-]{1,8}", option::of("[a-zA-Z0-9=,/+-]{0,8}")).prop_map(|(name, value)| {
            FmtpParameter {
                name: name.into(),
                value: value.map(Cow::Owned),
            }
        });
    (0u8..128, vec(parameter, 1..5)).prop_map(|(payload_type, parameters)| Fmtp {
        payload_type,
        parameters,
    })
}

fn simulcast() -> impl Strategy<Value = Simulcast<'static>> {
    fn streams() -> impl Strategy<Value = SimulcastStreams<'static>> {
        let id = (rid_id(), any::<bool>()).prop_map(|(id, paused)| SimulcastId { id, paused });
        vec(vec(id, 1..3), 1..4)
    }
    (option::of(streams()), option::of(streams()))
        .prop_filter("one direction at least", |(s, r)| {
            s.is_some() || r.is_some()
        })
        .prop_map(|(send, recv)| Simulcast { send, recv })
}

fn rid() -> impl Strategy<Value = Rid<'static>> {
    let restriction =
        ("max-[a-z]{1,6}", option::of("[0-9]{1,5}")).prop_map(|(name, value)| RidRestriction {
            name: name.into(),
            value: value.map(Cow::Owned),
        });
    (
        rid_id(),
        prop_oneof![Just(RidDirection::Send), Just(RidDirection::Recv)],
        vec(0u8..128, 0..3),
        vec(restriction, 0..3),
    )
        .prop_map(|(id, direction, payload_types, restrictions)| Rid {
            id,
            direction,
            payload_types,
            restrictions,
        })
}

fn attribute() -> impl Strategy<Value = Attribute<'static>> {
    prop_oneof![
        (token(), vec(word(), 0..4))
            .prop_map(|(semantics, mids)| Attribute::Group(Group { semantics, mids })),
        word().prop_map(Attribute::Mid),
        (word(), option::of(word())).prop_map(|(stream_id, track_id)| Attribute::Msid(Msid {
            stream_id,
            track_id
        })),
        (token(), vec(word(), 0..3)).prop_map(|(semantic, identifiers)| Attribute::MsidSemantic(
            MsidSemantic {
                semantic,
                identifiers
            }
        )),
        (
            prop_oneof![0u8..128, 96u8..100],
            prop_oneof![
                token(),
                Just("opus".into()),
                Just("VP8".into()),
                Just("H264".into()),
                Just("rtx".into()),
                Just("red".into())
            ],
            prop_oneof![any::<u32>(), Just(48_000), Just(90_000)],
            option::of(prop_oneof![any::<u16>(), Just(2)]),
        )
            .prop_map(|(payload_type, encoding_name, clock_rate, p)| {
                Attribute::Rtpmap(Rtpmap {
                    payload_type,
                    encoding_name,
                    clock_rate,
                    encoding_parameters: p,
                })
            }),
        fmtp().prop_map(Attribute::Fmtp),
        (option::of(0u8..128), token(), option::of(vec(word(), 1..3))).prop_map(
            |(payload_type, feedback_type, p)| {
                Attribute::RtcpFb(RtcpFb {
                    payload_type,
                    feedback_type,
                    parameters: p.map(|p| p.join(" ").into()),
                })
            }
        ),
        (
            1u16..4096,
            option::of(direction()),
            word(),
            option::of(word())
        )
            .prop_map(|(id, direction, uri, attributes)| {
                Attribute::Extmap(Extmap {
                    id,
                    direction,
                    uri,
                    attributes,
                })
            }),
        Just(Attribute::ExtmapAllowMixed),
        (any::<u32>(), token(), option::of(text())).prop_map(|(ssrc, attribute, value)| {
            Attribute::Ssrc(Ssrc {
                ssrc,
                attribute,
                value,
            })
        }),
        (token(), vec(any::<u32>(), 0..4))
            .prop_map(|(semantics, ssrcs)| Attribute::SsrcGroup(SsrcGroup { semantics, ssrcs })),
        rid().prop_map(Attribute::Rid),
        simulcast().prop_map(Attribute::Simulcast),
        word().prop_map(Attribute::IceUfrag),
        word().prop_map(Attribute::IcePwd),
        vec(word(), 1..4).prop_map(Attribute::IceOptions),
        Just(Attribute::IceLite),
        "[!-~][ -~]{0,39}".prop_map(|c| Attribute::Candidate(c.into())),
        Just(Attribute::EndOfCandidates),
        vec(any::<u8>(), 32).prop_map(|bytes| Attribute::Fingerprint(Fingerprint {
            hash_function: "sha-256".into(),
            bytes
        })),
        vec(any::<u8>(), 1..64).prop_map(|bytes| Attribute::Fingerprint(Fingerprint {
            hash_function: "x-hash".into(),
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
            address: a.map(|(t, a)| ("IN".into(), t, a))
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
        decimal().prop_map(Attribute::Ptime),
        any::<u32>().prop_map(Attribute::Maxptime),
        decimal().prop_map(Attribute::Framerate),
        direction().prop_map(Attribute::Direction),
        word().prop_map(Attribute::Label),
        word().prop_map(Attribute::Identity),
        Just(Attribute::BundleOnly),
        ("x-[a-z-]{1,8}", option::of(text())).prop_map(|(name, value)| Attribute::Other {
            name: name.into(),
            value
        }),
    ]
}

fn media() -> impl Strategy<Value = Media<'static>> {
    let kind = prop_oneof![
        Just(MediaType::Audio),
        Just(MediaType::Video),
        Just(MediaType::Application),
        Just(MediaType::Text),
        Just(MediaType::Message),
        "x-[a-z]{1,5}".prop_map(|t| MediaType::Other(t.into())),
    ];
    let line = (
        kind,
        any::<u16>(),
        option::of(any::<u16>()),
        prop_oneof![
            "[A-Z]{1,4}(/[A-Z]{1,5}){0,3}",
            Just("UDP/TLS/RTP/SAVPF".to_owned()),
            Just("UDP/DTLS/SCTP".to_owned())
        ],
        vec(
            prop_oneof![token(), (96u8..100).prop_map(|pt| pt.to_string().into())],
            1..6,
        ),
    )
        .prop_map(|(media, port, port_count, protocol, formats)| MediaLine {
            media,
            port,
            port_count,
            protocol: protocol.into(),
            formats,
        });
    (
        line,
        option::of(text()),
        vec(connection(), 0..3),
        vec(bandwidth(), 0..2),
        option::of(text()),
        vec(attribute(), 0..12),
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
    fn sdp()(
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
        attributes in vec(attribute(), 0..10),
        media in vec(media(), 0..4),
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

/// `text` (written by this crate, CRLF line endings) with the lines of each
/// section after its first (`v=` `o=`, or `m=`) put in the order of `keys`
/// (a `t=` line keeps its `r=` lines after it), and a blank line inserted
/// after the lines whose key is odd.
#[allow(clippy::indexing_slicing)]
fn shuffled(text: &str, keys: &[u32]) -> String {
    let mut sections: Vec<Vec<&str>> = Vec::new();
    for line in text.split_terminator("\r\n") {
        if line.starts_with("m=") || sections.is_empty() {
            sections.push(Vec::new());
        }
        if let Some(section) = sections.last_mut() {
            section.push(line);
        }
    }
    let mut keys = keys.iter().copied().cycle();
    let mut out = String::new();
    for section in sections {
        let head = if section.first().is_some_and(|l| l.starts_with("v=")) {
            2
        } else {
            1
        };
        let (first, rest) = section.split_at(head.min(section.len()));
        // Units: a line, or a `t=` line with its `r=` lines.
        let mut units: Vec<Vec<&str>> = Vec::new();
        for line in rest {
            match (line.starts_with("r="), units.last_mut()) {
                (true, Some(unit)) => unit.push(line),
                _ => units.push(vec![line]),
            }
        }
        let mut keyed: Vec<(u32, usize)> = (0..units.len())
            .map(|i| (keys.next().unwrap_or(0), i))
            .collect();
        keyed.sort_by_key(|(key, _)| *key >> 1);
        // Lines of one type keep their order (it is the order of the
        // lists): each type takes the places its lines were sorted to, in
        // its own order.
        let kind = |i: usize| units[i][0].as_bytes()[0];
        let mut queues: std::collections::BTreeMap<u8, std::collections::VecDeque<usize>> =
            Default::default();
        for i in 0..units.len() {
            queues.entry(kind(i)).or_default().push_back(i);
        }
        let keyed: Vec<(u32, &Vec<&str>)> = keyed
            .iter()
            .map(|&(key, i)| {
                (
                    key,
                    &units[queues.get_mut(&kind(i)).unwrap().pop_front().unwrap()],
                )
            })
            .collect();
        for line in first {
            out.push_str(line);
            out.push_str("\r\n");
        }
        for (key, unit) in keyed {
            for line in unit.iter() {
                out.push_str(line);
                out.push_str("\r\n");
            }
            if key & 1 == 1 {
                out.push_str("\r\n");
            }
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 512,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_descriptions_round_trip(sdp in sdp()) {
        let text = sdp.to_string();
        let parsed = Sdp::parse(&text).map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))?;
        prop_assert_eq!(&parsed, &sdp);
        // Parsed lines keep their text: writing again gives the same bytes.
        prop_assert_eq!(parsed.to_string(), text.clone());
        prop_assert_eq!(parsed.encoded_len(), text.len());
        prop_assert_eq!(parsed.into_owned(), sdp);
    }


    /// Lenient mode takes the lines of each section in any order, and blank
    /// lines between them, and writes them back as they were.
    #[test]
    fn shuffled_lines_and_blank_lines_round_trip(mut sdp in sdp(), keys in vec(any::<u32>(), 1..40)) {
        sdp.trailing_blank_lines = 0;
        let text = sdp.to_string();
        let mut expected = Sdp::parse(&text).unwrap();
        let shuffled = shuffled(&text, &keys);
        // Blank lines after the last line are counted apart.
        let body = shuffled.trim_end_matches("\r\n");
        expected.trailing_blank_lines = (shuffled.len() - body.len()) / 2 - 1;
        let parsed = Sdp::parse(&shuffled).map_err(|e| TestCaseError::fail(format!("{e}\n{shuffled}")))?;
        prop_assert_eq!(&parsed, &expected);
        prop_assert_eq!(parsed.to_string(), shuffled.clone());
        prop_assert_eq!(parsed.encoded_len(), shuffled.len());
        let mut canonical = parsed.clone().into_owned();
        canonical.regenerate();
        let written = canonical.to_string();
        prop_assert_eq!(Sdp::parse(&written).unwrap(), expected);
    }

    #[test]
    fn answers_to_generated_offers_parse_and_fit(mut sdp in sdp(), transport in any::<bool>()) {
        let capabilities = Capabilities::webrtc_defaults(Session::example());
        if transport {
            // ICE and DTLS at session level, so that m-lines can be taken.
            let session = Session::example();
            sdp.push(Attribute::IceUfrag(session.ice_ufrag.clone()));
            sdp.push(Attribute::IcePwd(session.ice_pwd.clone()));
            sdp.push(Attribute::Fingerprint(session.fingerprint.clone()));
        }
        let text = sdp.to_string();
        let offer = Sdp::parse(&text).unwrap();
        if let Ok(answer) = create_answer(&offer, &capabilities) {
            let written = answer.to_string();
            let parsed = Sdp::parse_strict(&written).map_err(|e| TestCaseError::fail(format!("{e}\n{written}")))?;
            prop_assert_eq!(&parsed, &answer);
            let agreement = apply_answer(&offer, &answer).unwrap();
            prop_assert_eq!(agreement.media.len(), offer.media.len());
        }
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = Sdp::parse(&text);
        let _ = Sdp::parse_strict(&text);
    }

    #[test]
    fn sdp_like_text_never_panics(lines in vec("[vosiuepcbtrzkam]=[ -~]{0,40}", 0..30)) {
        let text = lines.join("\r\n");
        for mode in [Mode::Strict, Mode::Lenient] {
            if let Ok(sdp) = Sdp::parse_with(&text, mode) {
                let written = sdp.to_string();
                prop_assert_eq!(Sdp::parse_with(&written, mode).unwrap(), sdp);
            }
        }
    }

    #[test]
    fn mutated_offer_never_panics(cut in 0usize..6605, byte in any::<u8>()) {
        let offer = include_str!("data/chrome-offer-av-data.sdp");
        let mut bytes = offer.as_bytes().to_vec();
        if let Some(b) = bytes.get_mut(cut) {
            *b = byte;
        }
        if let Ok(text) = std::str::from_utf8(&bytes) {
            if let Ok(sdp) = Sdp::parse(text) {
                let written = sdp.to_string();
                prop_assert_eq!(Sdp::parse(&written).unwrap(), sdp);
            }
        }
    }
}
