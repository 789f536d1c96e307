//! Answering an offer (RFC 3264 section 6, JSEP section 5.3).

use alloc::borrow::Cow;
use alloc::vec::Vec;

use super::offer::{
    media_section, push_candidates, push_codecs, push_transport, session_description,
};
use super::{Capabilities, Codec, LocalMedia, NegotiationError};
use crate::attribute::Attribute;
use crate::connection::Connection;
use crate::fmtp::FmtpParameter;
use crate::media::{Media, MediaLine, MediaType};
use crate::rtp::{Direction, Extmap, RtcpFb, SsrcGroup};
use crate::session::Sdp;
use crate::simulcast::{Rid, RidDirection, Simulcast};
use crate::transport::{Group, Sctpmap, Setup};

/// The profiles of RTP m-lines an answer takes (RFC 8829 section 5.1.3):
/// with DTLS-SRTP required they all mean `UDP/TLS/RTP/SAVPF`, and the
/// answer repeats the offer's.
const RTP_PROFILES: [&str; 8] = [
    "UDP/TLS/RTP/SAVPF",
    "UDP/TLS/RTP/SAVP",
    "TCP/DTLS/RTP/SAVPF",
    "TCP/DTLS/RTP/SAVP",
    "RTP/SAVPF",
    "RTP/SAVP",
    "RTP/AVPF",
    "RTP/AVP",
];

/// The profiles of data channel m-lines an answer takes (RFC 8841 section
/// 4.1, and the pre-standard `DTLS/SCTP`).
const SCTP_PROFILES: [&str; 3] = ["UDP/DTLS/SCTP", "TCP/DTLS/SCTP", "DTLS/SCTP"];

/// The m-line whose transport an offered m-line uses: itself, or, when it
/// is in a `BUNDLE` group and has no ICE credentials of its own, the first
/// m-line of the group (RFC 8843 section 7: bundled m-lines share the
/// offerer-tagged m-line's transport).
fn transport_of<'o, 'a>(offer: &'o Sdp<'a>, offered: &'o Media<'a>) -> &'o Media<'a> {
    if offered.ice_ufrag(offer).is_some() {
        return offered;
    }
    let Some(mid) = offered.mid() else {
        return offered;
    };
    offer
        .bundle_groups()
        .find(|g| g.mids.iter().any(|m| m == mid))
        .and_then(|g| g.mids.first())
        .and_then(|tagged| offer.media_by_mid(tagged))
        .unwrap_or(offered)
}

/// Whether the offerer can run ICE and DTLS for an m-line: ICE credentials
/// and a DTLS fingerprint, at media or session level. SIP equipment offering
/// plain RTP (`RTP/AVP`) or SDES (`RTP/SAVP` with `a=crypto`) has neither,
/// and could not use an answer that carries them: JSEP rejects such an
/// m-line (RFC 8829 section 5.8 requires ICE credentials and a
/// fingerprint).
fn offers_ice_and_dtls(offer: &Sdp<'_>, offered: &Media<'_>) -> bool {
    let transport = transport_of(offer, offered);
    transport.ice_ufrag(offer).is_some()
        && transport.ice_pwd(offer).is_some()
        && transport.fingerprint(offer).is_some()
}

/// Our role for the offered one (RFC 8842 section 5.3): `active` unless
/// the offerer is active.
fn answer_setup(offered: Option<Setup>) -> Setup {
    match offered {
        Some(Setup::Active) => Setup::Passive,
        Some(Setup::Holdconn) => Setup::Holdconn,
        Some(Setup::Passive | Setup::Actpass) | None => Setup::Active,
    }
}

/// The feedback both sides want.
fn feedback_intersection<'a>(offered: &[RtcpFb<'a>], ours: &[RtcpFb<'a>]) -> Vec<RtcpFb<'a>> {
    let mut result: Vec<RtcpFb<'a>> = Vec::new();
    for fb in offered {
        if ours.iter().any(|o| o.same_feedback(fb)) && !result.iter().any(|r| r.same_feedback(fb)) {
            result.push(RtcpFb {
                payload_type: None,
                ..fb.clone()
            });
        }
    }
    result
}

/// The codecs we accept, with the offer's payload types, in the offer's
/// order. Primary codecs first match by name, clock rate, channels and
/// parameters; RED is kept when every codec it carries is; RTX follows the
/// codec its `apt` names.
fn answer_codecs<'a>(offered: &[Codec<'a>], local: &[Codec<'a>]) -> Vec<Codec<'a>> {
    // (offered index, answer codec, local payload type)
    let mut accepted: Vec<(usize, Codec<'a>, u8)> = Vec::new();
    for (index, codec) in offered.iter().enumerate() {
        if codec.is_rtx()
            || codec.is_red()
            || accepted
                .iter()
                .any(|(_, a, _)| a.payload_type == codec.payload_type)
        {
            continue;
        }
        let matched = local
            .iter()
            .filter(|l| !l.is_rtx() && !l.is_red())
            .find_map(|l| l.answer_parameters(codec).map(|parameters| (l, parameters)));
        if let Some((ours, parameters)) = matched {
            accepted.push((
                index,
                Codec {
                    parameters,
                    feedback: feedback_intersection(&codec.feedback, &ours.feedback),
                    ..codec.clone()
                },
                ours.payload_type,
            ));
        }
    }
    let is_accepted = |accepted: &[(usize, Codec<'a>, u8)], pt: u8| {
        accepted.iter().any(|(_, c, _)| c.payload_type == pt)
    };
    for (index, codec) in offered.iter().enumerate() {
        if !codec.is_red() || is_accepted(&accepted, codec.payload_type) {
            continue;
        }
        let ours = local.iter().find(|l| {
            l.is_red()
                && l.clock_rate == codec.clock_rate
                && l.channels.unwrap_or(1) == codec.channels.unwrap_or(1)
        });
        let carried_ok = codec
            .fmtp()
            .red_payload_types()
            .is_none_or(|pts| !pts.is_empty() && pts.iter().all(|pt| is_accepted(&accepted, *pt)));
        if let (Some(ours), true) = (ours, carried_ok) {
            accepted.push((index, codec.clone(), ours.payload_type));
        }
    }
    for (index, codec) in offered.iter().enumerate() {
        if !codec.is_rtx() || is_accepted(&accepted, codec.payload_type) {
            continue;
        }
        let Some(apt) = codec.fmtp().rtx_apt() else {
            continue;
        };
        let Some((primary_clock_rate, local_primary)) = accepted
            .iter()
            .find(|(_, c, _)| c.payload_type == apt)
            .map(|(_, c, l)| (c.clock_rate, *l))
        else {
            continue;
        };
        let supported = local
            .iter()
            .any(|l| l.is_rtx() && l.fmtp().rtx_apt() == Some(local_primary));
        // RTX runs at the clock rate of the stream it repairs (RFC 4588
        // section 8.1): 90 kHz for video, 8 kHz for PCMU, and so on.
        if supported && codec.clock_rate == primary_clock_rate {
            let parameters: Vec<FmtpParameter<'a>> = codec
                .parameters
                .iter()
                .filter(|p| {
                    p.name.eq_ignore_ascii_case("apt") || p.name.eq_ignore_ascii_case("rtx-time")
                })
                .cloned()
                .collect();
            accepted.push((
                index,
                Codec {
                    parameters,
                    feedback: Vec::new(),
                    ..codec.clone()
                },
                codec.payload_type,
            ));
        }
    }
    accepted.sort_by_key(|(index, _, _)| *index);
    accepted.into_iter().map(|(_, codec, _)| codec).collect()
}

/// A rejected m-line: port 0, the offered formats, a placeholder `c=` and
/// the `mid`.
fn rejected<'a>(offered: &Media<'a>) -> Media<'a> {
    let line = offered.media_line.value();
    // An m-line needs a format, even a rejected one (an offer without any
    // is only taken in lenient mode).
    let formats = if line.formats.is_empty() {
        alloc::vec![Cow::Borrowed("0")]
    } else {
        line.formats.clone()
    };
    let mut media = Media::new(MediaLine {
        media: line.media.clone(),
        port: 0,
        port_count: None,
        protocol: line.protocol.clone(),
        formats,
    });
    media
        .connections
        .push(Connection::from_ip(core::net::IpAddr::V4(core::net::Ipv4Addr::UNSPECIFIED)).into());
    if let Some(mid) = mid_of(offered) {
        media.push(Attribute::Mid(mid));
    }
    media
}

/// The `a=mid` of an m-line, sharing the offer's text.
fn mid_of<'a>(media: &Media<'a>) -> Option<Cow<'a, str>> {
    media.attributes().find_map(|a| match a {
        Attribute::Mid(m) => Some(m.clone()),
        _ => None,
    })
}

/// The local description for an offered kind of media.
fn local_for<'c, 'a>(
    capabilities: &'c Capabilities<'a>,
    kind: &MediaType<'_>,
) -> Option<&'c LocalMedia<'a>> {
    match kind {
        MediaType::Audio => capabilities.audio.as_ref(),
        MediaType::Video => capabilities.video.as_ref(),
        MediaType::Application => capabilities.data_channel.as_ref(),
        _ => None,
    }
}

/// Answers a remote offer from local capabilities.
///
/// - m-lines are answered in order and keep the offer's `mid`;
/// - codecs are intersected (see [`Codec`]) and keep the offer's payload
///   types; `rtcp-fb` and `extmap` are intersected;
/// - the direction is the offer's, reversed, restricted to what we want
///   (`sendonly` ↔ `recvonly`, `inactive` when neither side can send);
/// - an m-line we cannot take is rejected with port 0: an unknown kind, no
///   common codec, a protocol JSEP does not answer (RFC 8829 section 5.1.3),
///   port 0, or an offer without ICE credentials or a DTLS fingerprint
///   (plain RTP or SDES from SIP equipment: answering it with ICE and DTLS
///   would give the offerer a transport it cannot use);
/// - a data channel m-line is answered with our `max-message-size`;
/// - a `BUNDLE` group is accepted with the m-lines we accepted, in the
///   offer's order;
/// - a simulcast offer (`a=simulcast:send`) is answered with
///   `a=simulcast:recv` and receive `a=rid` lines.
///
/// <https://www.rfc-editor.org/rfc/rfc8829#section-5.3.1>
pub fn create_answer<'a>(
    offer: &Sdp<'a>,
    capabilities: &Capabilities<'a>,
) -> Result<Sdp<'a>, NegotiationError> {
    let mids: Vec<&str> = offer.media.iter().filter_map(Media::mid).collect();
    for (i, mid) in mids.iter().enumerate() {
        if mids.get(..i).is_some_and(|before| before.contains(mid)) {
            return Err(NegotiationError::Session {
                reason: "each `a=mid` once",
            });
        }
    }
    let session = &capabilities.session;
    let mut answer = session_description(session);
    let offered_bundle = offer.bundle_groups().next();
    let bundle = session.bundle && offered_bundle.is_some();
    let mut sending_kinds: Vec<MediaType<'a>> = Vec::new();
    let mut accepted_mids: Vec<Cow<'a, str>> = Vec::new();
    for offered in &offer.media {
        let media = answer_media(offer, offered, capabilities, bundle, &mut sending_kinds);
        if let (false, Some(mid)) = (media.is_port_zero(), mid_of(offered)) {
            accepted_mids.push(mid);
        }
        answer.media.push(media);
    }
    if let (true, Some(group)) = (bundle, offered_bundle) {
        // A group lists at most one mid per m-line; anything longer is cut.
        let mids: Vec<Cow<'a, str>> = group
            .mids
            .iter()
            .take(offer.media.len())
            .filter(|m| accepted_mids.contains(m))
            .cloned()
            .collect();
        if !mids.is_empty() {
            answer.attributes.insert(
                0,
                Attribute::Group(Group {
                    semantics: Cow::Borrowed("BUNDLE"),
                    mids,
                })
                .into(),
            );
        }
    }
    if session.extmap_allow_mixed
        && offer
            .attributes()
            .any(|a| *a == Attribute::ExtmapAllowMixed)
    {
        answer.push(Attribute::ExtmapAllowMixed);
    }
    Ok(answer)
}

fn answer_media<'a>(
    offer: &Sdp<'a>,
    offered: &Media<'a>,
    capabilities: &Capabilities<'a>,
    bundle: bool,
    sending_kinds: &mut Vec<MediaType<'a>>,
) -> Media<'a> {
    let session = &capabilities.session;
    let line = offered.media_line.value();
    let Some(local) = local_for(capabilities, &line.media) else {
        return rejected(offered);
    };
    let bundle_only = offered.has(&Attribute::BundleOnly);
    if line.port == 0 && !(bundle && bundle_only) {
        return rejected(offered);
    }
    if !offers_ice_and_dtls(offer, offered) {
        return rejected(offered);
    }
    let setup = answer_setup(transport_of(offer, offered).setup(offer));
    if line.media == MediaType::Application {
        if !SCTP_PROFILES.contains(&&*line.protocol) {
            return rejected(offered);
        }
        let mut media = media_section(
            MediaType::Application,
            line.protocol.clone(),
            line.formats.clone(),
        );
        push_transport(&mut media, session, setup);
        if let Some(mid) = mid_of(offered) {
            media.push(Attribute::Mid(mid));
        }
        let legacy = offered.attributes().find_map(|a| match a {
            Attribute::Sctpmap(s) => Some(s.clone()),
            _ => None,
        });
        match legacy {
            Some(sctpmap) => media.push(Attribute::Sctpmap(Sctpmap {
                streams: sctpmap.streams.or(Some(1024)),
                ..sctpmap
            })),
            None => media.push(Attribute::SctpPort(5000)),
        }
        if let Some(size) = local.max_message_size {
            media.push(Attribute::MaxMessageSize(size));
        }
        push_candidates(&mut media, session);
        return media;
    }
    if !RTP_PROFILES.contains(&&*line.protocol) {
        return rejected(offered);
    }
    let codecs = answer_codecs(&Codec::from_media(offered), &local.codecs);
    if !codecs.iter().any(|c| !c.is_rtx() && !c.is_red()) {
        return rejected(offered);
    }
    let offered_direction = offered.direction();
    let direction = Direction::from_flags(
        offered_direction.receives() && local.direction.sends(),
        offered_direction.sends() && local.direction.receives(),
    );
    let formats = codecs
        .iter()
        .map(|c| Cow::Owned(alloc::format!("{}", c.payload_type)))
        .collect();
    let mut media = media_section(line.media.clone(), line.protocol.clone(), formats);
    push_transport(&mut media, session, setup);
    if let Some(mid) = mid_of(offered) {
        media.push(Attribute::Mid(mid));
    }
    for attribute in offered.attributes() {
        if let Attribute::Extmap(extmap) = attribute {
            if local.extensions.iter().any(|l| l.uri == extmap.uri) {
                media.push(Attribute::Extmap(Extmap {
                    direction: extmap.direction.map(Direction::reverse),
                    attributes: None,
                    ..extmap.clone()
                }));
            }
        }
    }
    media.push(Attribute::Direction(direction));
    let first_sender = direction.sends() && !sending_kinds.contains(&line.media);
    if first_sender {
        sending_kinds.push(line.media.clone());
        if let Some(msid) = &local.msid {
            media.push(Attribute::Msid(msid.clone()));
        }
    }
    if offered.has(&Attribute::RtcpMux) {
        media.push(Attribute::RtcpMux);
    }
    if offered.has(&Attribute::RtcpRsize) {
        media.push(Attribute::RtcpRsize);
    }
    push_codecs(&mut media, &codecs);
    answer_simulcast(offered, direction, &mut media);
    if first_sender {
        // Without RTX in the answer, the RTX streams of our FID groups
        // (RFC 4588 §8.2: the repair SSRC after the first) are not sent:
        // neither the groups nor those SSRCs are announced.
        let rtx = codecs.iter().any(Codec::is_rtx);
        let unused_fid =
            |group: &SsrcGroup<'_>| !rtx && group.semantics.eq_ignore_ascii_case("FID");
        let unused_ssrc = |ssrc: u32| {
            local
                .ssrc_groups
                .iter()
                .filter(|g| unused_fid(g))
                .any(|g| g.ssrcs.iter().skip(1).any(|s| *s == ssrc))
        };
        for group in local.ssrc_groups.iter().filter(|g| !unused_fid(g)) {
            media.push(Attribute::SsrcGroup(group.clone()));
        }
        for ssrc in local.ssrcs.iter().filter(|s| !unused_ssrc(s.ssrc)) {
            media.push(Attribute::Ssrc(ssrc.clone()));
        }
    }
    push_candidates(&mut media, session);
    media
}

/// The most simulcast streams an answer receives (browsers send three).
pub const MAX_SIMULCAST_STREAMS: usize = 16;

/// The most alternatives per simulcast stream an answer keeps.
pub const MAX_SIMULCAST_ALTERNATIVES: usize = 4;

/// Receives the layers of a simulcast offer (RFC 8853 section 5.3), up to
/// [`MAX_SIMULCAST_STREAMS`] streams of [`MAX_SIMULCAST_ALTERNATIVES`].
fn answer_simulcast<'a>(offered: &Media<'a>, direction: Direction, media: &mut Media<'a>) {
    if !direction.receives() {
        return;
    }
    let Some(streams) = offered.attributes().find_map(|a| match a {
        Attribute::Simulcast(Simulcast {
            send: Some(streams),
            ..
        }) => Some(streams),
        _ => None,
    }) else {
        return;
    };
    let offered_rids: Vec<&Rid<'a>> = offered
        .attributes()
        .filter_map(|a| match a {
            Attribute::Rid(r) if r.direction == RidDirection::Send => Some(r),
            _ => None,
        })
        .take(MAX_SIMULCAST_STREAMS * MAX_SIMULCAST_ALTERNATIVES)
        .collect();
    let streams: Vec<_> = streams
        .iter()
        .take(MAX_SIMULCAST_STREAMS)
        .map(|alternatives| {
            alternatives
                .iter()
                .take(MAX_SIMULCAST_ALTERNATIVES)
                .filter(|id| offered_rids.iter().any(|r| r.id == id.id))
                .cloned()
                .collect::<Vec<_>>()
        })
        .filter(|alternatives| !alternatives.is_empty())
        .collect();
    if streams.is_empty() {
        return;
    }
    for stream in &streams {
        for id in stream {
            media.push(Attribute::Rid(Rid {
                id: id.id.clone(),
                direction: RidDirection::Recv,
                payload_types: Vec::new(),
                restrictions: Vec::new(),
            }));
        }
    }
    media.push(Attribute::Simulcast(Simulcast {
        send: None,
        recv: Some(streams),
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setup_roles() {
        assert_eq!(answer_setup(Some(Setup::Actpass)), Setup::Active);
        assert_eq!(answer_setup(Some(Setup::Active)), Setup::Passive);
        assert_eq!(answer_setup(Some(Setup::Passive)), Setup::Active);
        assert_eq!(answer_setup(Some(Setup::Holdconn)), Setup::Holdconn);
        assert_eq!(answer_setup(None), Setup::Active);
    }

    #[test]
    fn feedback_is_intersected_once() {
        let offered = [
            RtcpFb::parse("96 nack").unwrap(),
            RtcpFb::parse("* nack").unwrap(),
            RtcpFb::parse("96 nack pli").unwrap(),
            RtcpFb::parse("96 goog-lntf").unwrap(),
        ];
        let ours = [
            RtcpFb::new(None, "nack", None),
            RtcpFb::new(None, "nack", Some("pli")),
        ];
        let both = feedback_intersection(&offered, &ours);
        assert_eq!(both.len(), 2);
        assert!(both.iter().all(|fb| fb.payload_type.is_none()));
    }

    #[test]
    fn codecs_in_offer_order_with_rtx_after_its_codec_is_accepted() {
        let offered = [
            Codec::rtx(97, 96),
            Codec::vp8(96),
            Codec::rtx(99, 98),
            Codec::vp9(98, "3"),
        ];
        let local = [Codec::vp8(100), Codec::rtx(101, 100)];
        let answer = answer_codecs(&offered, &local);
        let pts: Vec<u8> = answer.iter().map(|c| c.payload_type).collect();
        assert_eq!(pts, [97, 96]);
    }
}
