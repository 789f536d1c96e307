//! Offer/answer: the direction, codec and BUNDLE cases of RFC 3264 section 6
//! and JSEP (RFC 8829) section 5.3, data channels, simulcast, and applying
//! an answer.

#![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]

use sansrtc_sdp::negotiate::{
    Capabilities, Codec, LocalMedia, NegotiationError, Session, Side, agree, apply_answer,
    create_answer, create_offer,
};
use sansrtc_sdp::{Attribute, Direction, Media, MediaType, Sdp, Setup};

/// The session part of the offers: ICE credentials and a DTLS fingerprint
/// at session level, for every m-line.
const HEADER: &str = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
    a=ice-ufrag:oFfR\r\na=ice-pwd:offererpassword0123456789\r\n\
    a=fingerprint:sha-256 29:E2:1C:3B:4B:9F:81:E6:B8:5C:F4:A5:A8:D8:73:04:BB:05:2F:70:9F:04:A9:0E:05:E9:26:33:E8:70:88:A2\r\n";

fn offer_text(session_lines: &str, media: &[&str]) -> String {
    let mut text = format!("{HEADER}{session_lines}");
    for m in media {
        text.push_str(m);
    }
    text
}

fn audio(mid: &str, extra: &str) -> String {
    format!(
        "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\na=mid:{mid}\r\n{extra}a=rtcp-mux\r\n\
         a=rtpmap:111 opus/48000/2\r\na=fmtp:111 minptime=10;useinbandfec=1\r\n"
    )
}

fn video(mid: &str, extra: &str) -> String {
    format!(
        "m=video 9 UDP/TLS/RTP/SAVPF 120 121 126 127 97 98\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\na=mid:{mid}\r\n{extra}a=rtcp-mux\r\n\
         a=rtpmap:120 VP8/90000\r\na=rtcp-fb:120 nack\r\na=rtcp-fb:120 nack pli\r\na=rtcp-fb:120 goog-unknown\r\n\
         a=rtpmap:121 rtx/90000\r\na=fmtp:121 apt=120\r\n\
         a=rtpmap:126 H264/90000\r\na=fmtp:126 packetization-mode=1;profile-level-id=42e01f\r\n\
         a=rtpmap:127 rtx/90000\r\na=fmtp:127 apt=126\r\n\
         a=rtpmap:97 H264/90000\r\na=fmtp:97 packetization-mode=1;profile-level-id=640c1f\r\n\
         a=rtpmap:98 rtx/90000\r\na=fmtp:98 apt=97\r\n"
    )
}

fn capabilities() -> Capabilities<'static> {
    Capabilities::webrtc_defaults(Session::example())
}

fn answer_for(text: &str, capabilities: &Capabilities<'_>) -> String {
    let offer = Sdp::parse(text).unwrap();
    let answer = create_answer(&offer, capabilities).unwrap().to_string();
    // Every answer we write parses in strict mode.
    Sdp::parse_strict(&answer).unwrap_or_else(|e| panic!("{e}\n{answer}"));
    answer
}

fn media_of(answer: &str, index: usize) -> Media<'static> {
    Sdp::parse(answer)
        .unwrap()
        .into_owned()
        .media
        .swap_remove(index)
}

fn payload_types(media: &Media<'_>) -> Vec<u8> {
    media.media_line.payload_types().collect()
}

// Directions, RFC 3264 section 6.1.

fn answered_direction(offered: Option<&str>, local: Direction) -> Direction {
    let extra = offered.map(|d| format!("a={d}\r\n")).unwrap_or_default();
    let mut caps = capabilities();
    caps.audio.as_mut().unwrap().direction = local;
    let answer = answer_for(&offer_text("", &[&audio("0", &extra)]), &caps);
    let media = media_of(&answer, 0);
    assert!(media.direction_attribute().is_some());
    media.direction()
}

#[test]
fn direction_sendrecv_is_answered_sendrecv() {
    assert_eq!(
        answered_direction(Some("sendrecv"), Direction::SendRecv),
        Direction::SendRecv
    );
}

#[test]
fn direction_absent_means_sendrecv() {
    assert_eq!(
        answered_direction(None, Direction::SendRecv),
        Direction::SendRecv
    );
}

#[test]
fn direction_sendonly_is_answered_recvonly() {
    assert_eq!(
        answered_direction(Some("sendonly"), Direction::SendRecv),
        Direction::RecvOnly
    );
}

#[test]
fn direction_recvonly_is_answered_sendonly() {
    assert_eq!(
        answered_direction(Some("recvonly"), Direction::SendRecv),
        Direction::SendOnly
    );
}

#[test]
fn direction_inactive_is_answered_inactive() {
    assert_eq!(
        answered_direction(Some("inactive"), Direction::SendRecv),
        Direction::Inactive
    );
}

#[test]
fn direction_is_restricted_to_what_we_want() {
    assert_eq!(
        answered_direction(Some("sendrecv"), Direction::RecvOnly),
        Direction::RecvOnly
    );
    assert_eq!(
        answered_direction(Some("sendrecv"), Direction::SendOnly),
        Direction::SendOnly
    );
    assert_eq!(
        answered_direction(Some("sendonly"), Direction::SendOnly),
        Direction::Inactive
    );
    assert_eq!(
        answered_direction(Some("recvonly"), Direction::RecvOnly),
        Direction::Inactive
    );
}

// Codecs, RFC 3264 section 6.1 and JSEP section 5.3.1.

#[test]
fn codecs_keep_the_offered_payload_types_and_order() {
    let answer = answer_for(&offer_text("", &[&video("v", "")]), &capabilities());
    let media = media_of(&answer, 0);
    // VP8 on 120 with its RTX 121, constrained baseline H.264 on 126 with
    // RTX 127; constrained high (97) and its RTX (98) are not supported.
    assert_eq!(payload_types(&media), [120, 121, 126, 127]);
    assert_eq!(media.rtpmap(120).unwrap().encoding_name, "VP8");
    assert_eq!(media.fmtp(121).unwrap().rtx_apt(), Some(120));
    assert_eq!(media.fmtp(127).unwrap().rtx_apt(), Some(126));
    assert!(media.rtpmap(97).is_none() && media.rtpmap(98).is_none());
}

#[test]
fn codec_parameters_are_ours_where_they_describe_what_we_receive() {
    let answer = answer_for(&offer_text("", &[&video("v", "")]), &capabilities());
    let media = media_of(&answer, 0);
    let h264 = media.fmtp(126).unwrap().h264();
    assert_eq!(h264.packetization_mode, 1);
    assert_eq!(h264.profile_level_id.unwrap().to_string(), "42e01f");
    let audio = media_of(
        &answer_for(&offer_text("", &[&audio("a", "")]), &capabilities()),
        0,
    );
    assert!(audio.fmtp(111).unwrap().opus().useinbandfec);
}

#[test]
fn h264_packetization_mode_must_match() {
    let mode0 = video("v", "").replace(
        "packetization-mode=1;profile-level-id=42e01f",
        "packetization-mode=2;profile-level-id=42e01f",
    );
    let media = media_of(&answer_for(&offer_text("", &[&mode0]), &capabilities()), 0);
    assert_eq!(payload_types(&media), [120, 121]);
}

#[test]
fn rtcp_feedback_is_intersected() {
    let media = media_of(
        &answer_for(&offer_text("", &[&video("v", "")]), &capabilities()),
        0,
    );
    let feedback: Vec<String> = media
        .attributes()
        .filter_map(|a| match a {
            Attribute::RtcpFb(fb) if fb.payload_type == Some(120) => Some(fb.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(feedback, ["120 nack", "120 nack pli"]);
}

#[test]
fn extensions_are_intersected_with_offered_ids_and_reversed_directions() {
    let extra = "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n\
                 a=extmap:7/sendonly urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n\
                 a=extmap:9 urn:example:unknown\r\n";
    let media = media_of(
        &answer_for(&offer_text("", &[&audio("a", extra)]), &capabilities()),
        0,
    );
    let extmaps: Vec<String> = media
        .attributes()
        .filter_map(|a| match a {
            Attribute::Extmap(e) => Some(e.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(
        extmaps,
        [
            "4 urn:ietf:params:rtp-hdrext:sdes:mid",
            "7/recvonly urn:ietf:params:rtp-hdrext:ssrc-audio-level"
        ]
    );
}

#[test]
fn no_common_codec_rejects_with_port_zero() {
    let isac = "m=audio 9 UDP/TLS/RTP/SAVPF 103\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\na=rtpmap:103 ISAC/16000\r\n";
    let answer = answer_for(&offer_text("", &[isac]), &capabilities());
    let media = media_of(&answer, 0);
    assert_eq!(media.media_line.port, 0);
    assert_eq!(media.mid(), Some("a"));
    assert_eq!(payload_types(&media), [103]);
    assert!(media.rtpmaps().next().is_none());
}

#[test]
fn static_payload_types_need_no_rtpmap() {
    let pcmu = "m=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\n";
    let media = media_of(&answer_for(&offer_text("", &[pcmu]), &capabilities()), 0);
    assert_eq!(payload_types(&media), [0]);
    assert_eq!(media.rtpmap(0).unwrap().encoding_name, "PCMU");
    assert_eq!(media.mid(), None);
}

#[test]
fn red_follows_the_codecs_it_carries() {
    let red = "m=audio 9 UDP/TLS/RTP/SAVPF 63 111 64 106\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n\
               a=rtpmap:63 red/48000/2\r\na=fmtp:63 111/111\r\na=rtpmap:111 opus/48000/2\r\n\
               a=rtpmap:64 red/48000/2\r\na=fmtp:64 106/106\r\na=rtpmap:106 ISAC/48000/2\r\n";
    let media = media_of(&answer_for(&offer_text("", &[red]), &capabilities()), 0);
    assert_eq!(payload_types(&media), [63, 111]);
    assert_eq!(
        media.fmtp(63).unwrap().red_payload_types(),
        Some(vec![111, 111])
    );
}

#[test]
fn rtx_without_its_codec_is_dropped() {
    let vp9_only = video("v", "").replace(
        "a=rtpmap:120 VP8/90000",
        "a=rtpmap:120 VP9/90000\r\na=fmtp:120 profile-id=3",
    );
    let media = media_of(
        &answer_for(&offer_text("", &[&vp9_only]), &capabilities()),
        0,
    );
    assert!(!payload_types(&media).contains(&121));
}

#[test]
fn the_rtx_stream_is_announced_only_when_rtx_is_answered() {
    use sansrtc_sdp::{Ssrc, SsrcGroup};
    let mut caps = capabilities();
    let local = caps.video.as_mut().unwrap();
    local.ssrc_groups = vec![SsrcGroup {
        semantics: "FID".into(),
        ssrcs: vec![1111, 2222],
    }];
    local.ssrcs = [1111, 2222]
        .into_iter()
        .map(|ssrc| Ssrc {
            ssrc,
            attribute: "cname".into(),
            value: Some("c".into()),
        })
        .collect();
    let ssrcs = |media: &Media<'_>| -> Vec<u32> {
        media
            .attributes()
            .filter_map(|a| match a {
                Attribute::Ssrc(s) => Some(s.ssrc),
                _ => None,
            })
            .collect()
    };
    let groups = |media: &Media<'_>| {
        media
            .attributes()
            .filter(|a| matches!(a, Attribute::SsrcGroup(_)))
            .count()
    };
    // RTX offered and answered: the FID group and both streams.
    let media = media_of(&answer_for(&offer_text("", &[&video("v", "")]), &caps), 0);
    assert_eq!((ssrcs(&media), groups(&media)), (vec![1111, 2222], 1));
    // No RTX offered: the media stream alone.
    let no_rtx = "m=video 9 UDP/TLS/RTP/SAVPF 120\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\n\
        a=mid:v\r\na=rtcp-mux\r\na=rtpmap:120 VP8/90000\r\na=rtcp-fb:120 nack\r\n";
    let media = media_of(&answer_for(&offer_text("", &[no_rtx]), &caps), 0);
    assert_eq!((ssrcs(&media), groups(&media)), (vec![1111], 0));
}

#[test]
fn unknown_media_and_protocols_are_rejected() {
    let text = "m=text 9 RTP/AVP 98\r\nc=IN IP4 0.0.0.0\r\na=mid:t\r\na=rtpmap:98 t140/1000\r\n";
    let udp = "m=audio 9 udp 0\r\nc=IN IP4 0.0.0.0\r\na=mid:u\r\n";
    let answer = answer_for(&offer_text("", &[text, udp]), &capabilities());
    assert_eq!(media_of(&answer, 0).media_line.port, 0);
    assert_eq!(media_of(&answer, 1).media_line.port, 0);
}

#[test]
fn rejected_offer_lines_stay_rejected() {
    let zero = audio("a", "").replace("m=audio 9", "m=audio 0");
    assert_eq!(
        media_of(&answer_for(&offer_text("", &[&zero]), &capabilities()), 0)
            .media_line
            .port,
        0
    );
}

// BUNDLE, JSEP section 5.3.1 and RFC 8843.

#[test]
fn bundle_is_accepted_with_the_accepted_mids() {
    let text = "m=text 9 RTP/AVP 98\r\nc=IN IP4 0.0.0.0\r\na=mid:t\r\n";
    let offer = offer_text(
        "a=group:BUNDLE a t v\r\n",
        &[&audio("a", ""), text, &video("v", "")],
    );
    let answer = Sdp::parse(&answer_for(&offer, &capabilities()))
        .unwrap()
        .into_owned();
    let group = answer.bundle_groups().next().unwrap();
    assert_eq!(group.mids, ["a", "v"]);
}

#[test]
fn bundle_only_lines_are_accepted_when_bundling() {
    let only = video("v", "a=bundle-only\r\n").replace("m=video 9", "m=video 0");
    let offer = offer_text("a=group:BUNDLE a v\r\n", &[&audio("a", ""), &only]);
    let answer = answer_for(&offer, &capabilities());
    let media = media_of(&answer, 1);
    assert_ne!(media.media_line.port, 0);
    assert!(!media.has(&Attribute::BundleOnly));
    let mut no_bundle = capabilities();
    no_bundle.session.bundle = false;
    let answer = answer_for(&offer, &no_bundle);
    assert_eq!(media_of(&answer, 1).media_line.port, 0);
    assert_eq!(Sdp::parse(&answer).unwrap().bundle_groups().count(), 0);
}

#[test]
fn no_bundle_offered_means_no_bundle_answered() {
    let answer = answer_for(
        &offer_text("", &[&audio("a", ""), &video("v", "")]),
        &capabilities(),
    );
    assert_eq!(Sdp::parse(&answer).unwrap().bundle_groups().count(), 0);
}

// Transport, data channels, simulcast.

#[test]
fn setup_role_answers_the_offer() {
    for (offered, answered) in [
        ("actpass", Setup::Active),
        ("active", Setup::Passive),
        ("passive", Setup::Active),
    ] {
        let text = offer_text("", &[&audio("a", "")])
            .replace("a=setup:actpass", &format!("a=setup:{offered}"));
        let media = media_of(&answer_for(&text, &capabilities()), 0);
        assert!(media.has(&Attribute::Setup(answered)), "{offered}");
        assert!(
            media
                .attributes()
                .any(|a| matches!(a, Attribute::IceUfrag(u) if u == "sR7q"))
        );
        assert!(
            media
                .attributes()
                .any(|a| matches!(a, Attribute::Fingerprint(_)))
        );
    }
}

#[test]
fn data_channel_is_answered() {
    let data = "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:d\r\na=sctp-port:5000\r\na=max-message-size:65536\r\n";
    let media = media_of(&answer_for(&offer_text("", &[data]), &capabilities()), 0);
    assert_eq!(media.media_line.port, 9);
    assert_eq!(media.media_line.formats, ["webrtc-datachannel"]);
    assert!(media.has(&Attribute::SctpPort(5000)));
    assert!(media.has(&Attribute::MaxMessageSize(262_144)));
    let legacy = "m=application 9 DTLS/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\na=sctpmap:5000 webrtc-datachannel 16\r\n";
    let media = media_of(&answer_for(&offer_text("", &[legacy]), &capabilities()), 0);
    assert!(
        media
            .attributes()
            .any(|a| matches!(a, Attribute::Sctpmap(s) if s.port == 5000 && s.streams == Some(16)))
    );
    let mut none = capabilities();
    none.data_channel = None;
    assert_eq!(
        media_of(&answer_for(&offer_text("", &[data]), &none), 0)
            .media_line
            .port,
        0
    );
}

#[test]
fn simulcast_offer_is_received() {
    let extra =
        "a=sendonly\r\na=rid:h send\r\na=rid:m send\r\na=rid:l send\r\na=simulcast:send h;m;~l\r\n";
    let offer_text = offer_text("", &[&video("v", extra)]);
    let answer_text = answer_for(&offer_text, &capabilities());
    let media = media_of(&answer_text, 0);
    assert_eq!(media.direction(), Direction::RecvOnly);
    let rids: Vec<String> = media
        .attributes()
        .filter_map(|a| match a {
            Attribute::Rid(r) => Some(r.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(rids, ["h recv", "m recv", "l recv"]);
    assert!(
        media
            .attributes()
            .any(|a| a.to_string() == "simulcast:recv h;m;~l")
    );
    let offer = Sdp::parse(&offer_text).unwrap();
    let answer = Sdp::parse(&answer_text).unwrap();
    let agreed = apply_answer(&offer, &answer).unwrap();
    assert_eq!(agreed.media[0].send_layers, ["h", "m", "l"]);
    assert_eq!(agreed.media[0].direction, Direction::SendOnly);
}

// Applying an answer.

#[test]
fn apply_answer_reports_codecs_extensions_direction_and_ssrcs() {
    let offer_text = offer_text(
        "a=group:BUNDLE a v\r\n",
        &[
            &audio(
                "a",
                "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\na=ssrc:11 cname:x\r\n",
            ),
            &video("v", "a=recvonly\r\n"),
        ],
    );
    let mut caps = capabilities();
    caps.video.as_mut().unwrap().ssrcs = vec![sansrtc_sdp::Ssrc::parse("4242 cname:y").unwrap()];
    let answer_text = answer_for(&offer_text, &caps);
    let offer = Sdp::parse(&offer_text).unwrap();
    let answer = Sdp::parse(&answer_text).unwrap();
    let agreement = apply_answer(&offer, &answer).unwrap();
    assert_eq!(agreement.bundle_groups, [vec!["a", "v"]]);
    let audio = agreement.media_by_mid("a").unwrap();
    assert!(audio.accepted);
    assert_eq!(audio.kind, MediaType::Audio);
    assert_eq!(
        audio
            .codecs
            .iter()
            .map(|c| c.payload_type)
            .collect::<Vec<_>>(),
        [111, 0]
    );
    assert_eq!(audio.codecs[0].name, "opus");
    assert_eq!(audio.extensions.len(), 1);
    assert_eq!(audio.direction, Direction::SendRecv);
    assert_eq!(audio.local_ssrcs, [11]);
    let video = agreement.media_by_mid("v").unwrap();
    assert_eq!(video.direction, Direction::RecvOnly);
    assert_eq!(video.codecs[0].rtx_payload_type, Some(121));
    assert_eq!(video.codecs[1].rtx_payload_type, Some(127));
    assert_eq!(video.remote_ssrcs, [4242]);
}

/// Both sides read the same exchange in their own terms: what one sends
/// the other receives, and "local" is always the reader.
#[test]
fn each_side_reads_the_agreement_in_its_own_terms() {
    let offer_text = offer_text(
        "",
        &[&video(
            "v",
            "a=sendonly\r\na=extmap:4/sendonly urn:3gpp:video-orientation\r\n\
             a=rid:h send\r\na=rid:l send\r\na=simulcast:send h;l\r\na=ssrc:11 cname:x\r\n",
        )],
    );
    let mut caps = capabilities();
    caps.video.as_mut().unwrap().ssrcs = vec![sansrtc_sdp::Ssrc::parse("4242 cname:y").unwrap()];
    caps.video.as_mut().unwrap().direction = Direction::SendRecv;
    let answer_text = answer_for(&offer_text, &caps);
    let offer = Sdp::parse(&offer_text).unwrap();
    let answer = Sdp::parse(&answer_text).unwrap();
    let offerer = agree(&offer, &answer, Side::Offerer).unwrap();
    let answerer = agree(&offer, &answer, Side::Answerer).unwrap();
    assert_eq!(offerer, apply_answer(&offer, &answer).unwrap());
    assert_eq!(
        (offerer.side, answerer.side),
        (Side::Offerer, Side::Answerer)
    );
    let (o, a) = (&offerer.media[0], &answerer.media[0]);
    assert_eq!(o.direction, Direction::SendOnly);
    assert_eq!(a.direction, Direction::RecvOnly);
    assert_eq!(
        (&o.local_ssrcs[..], &o.remote_ssrcs[..]),
        (&[11][..], &[][..])
    );
    assert_eq!(
        (&a.local_ssrcs[..], &a.remote_ssrcs[..]),
        (&[][..], &[11][..])
    );
    assert_eq!(o.send_layers, ["h", "l"]);
    assert!(o.recv_layers.is_empty());
    assert_eq!(a.recv_layers, ["h", "l"]);
    assert!(a.send_layers.is_empty());
    assert_eq!(o.extensions[0].direction, Some(Direction::SendOnly));
    assert_eq!(a.extensions[0].direction, Some(Direction::RecvOnly));
    // What does not depend on the side is the same.
    assert_eq!(o.codecs, a.codecs);
    assert_eq!((o.accepted, &o.mid), (a.accepted, &a.mid));
}

#[test]
fn apply_answer_rejects_answers_that_do_not_fit() {
    let text = offer_text("", &[&audio("a", ""), &video("v", "")]);
    let offer = Sdp::parse(&text).unwrap();
    let answer = create_answer(&offer, &capabilities()).unwrap();
    let mut short = answer.clone();
    short.media.pop();
    assert_eq!(
        apply_answer(&offer, &short),
        Err(NegotiationError::MediaCount {
            offer: 2,
            answer: 1
        })
    );
    let mut swapped = answer.clone();
    swapped.media.swap(0, 1);
    assert!(matches!(
        apply_answer(&offer, &swapped),
        Err(NegotiationError::Media { index: 0, .. })
    ));
    let duplicate_text = offer_text("", &[&audio("a", ""), &video("a", "")]);
    let duplicate = Sdp::parse(&duplicate_text).unwrap();
    assert!(matches!(
        create_answer(&duplicate, &capabilities()),
        Err(NegotiationError::Session { .. })
    ));
}

#[test]
fn rejected_lines_are_reported_rejected() {
    let isac = "m=audio 9 UDP/TLS/RTP/SAVPF 103\r\nc=IN IP4 0.0.0.0\r\na=mid:x\r\na=rtpmap:103 ISAC/16000\r\n";
    let text = offer_text("", &[isac]);
    let offer = Sdp::parse(&text).unwrap();
    let answer = create_answer(&offer, &capabilities()).unwrap();
    let agreed = apply_answer(&offer, &answer).unwrap();
    assert!(!agreed.media[0].accepted);
    assert!(agreed.media[0].codecs.is_empty());
    assert_eq!(agreed.media[0].direction, Direction::Inactive);
}

// Offers.

#[test]
fn our_offer_parses_strictly_and_answers_itself() {
    let session = Session::example();
    let mut audio = LocalMedia::new("0", MediaType::Audio, Codec::default_audio(), Vec::new());
    audio.msid = Some(sansrtc_sdp::Msid::parse("stream track").unwrap());
    audio.ssrcs = vec![sansrtc_sdp::Ssrc::parse("1234 cname:abc").unwrap()];
    let mut video = LocalMedia::new("1", MediaType::Video, Codec::default_video(), Vec::new());
    video.direction = Direction::RecvOnly;
    let offer = create_offer(&session, &[audio, video, LocalMedia::data_channel("2")]);
    let text = offer.to_string();
    let parsed = Sdp::parse_strict(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(parsed, offer);
    assert_eq!(parsed.bundle_groups().next().unwrap().mids, ["0", "1", "2"]);
    assert_eq!(parsed.media[1].direction(), Direction::RecvOnly);
    let answer = create_answer(&parsed, &capabilities()).unwrap();
    let agreement = apply_answer(&parsed, &answer).unwrap();
    assert!(agreement.media.iter().all(|m| m.accepted));
    assert_eq!(agreement.media[0].local_ssrcs, [1234]);
    assert_eq!(agreement.media[1].direction, Direction::RecvOnly);
    assert_eq!(agreement.media[1].codecs.len(), 6);
    assert_eq!(agreement.bundle_groups, [vec!["0", "1", "2"]]);
}

/// The answer we give to the Chrome-style offer, kept as test data
/// (`chrome-offer-av-data.answer.sdp`) so that any change to it is seen.
#[test]
fn chrome_offer_answer_is_stable() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    let offer = std::fs::read_to_string(dir.join("chrome-offer-av-data.sdp")).unwrap();
    let expected = std::fs::read_to_string(dir.join("chrome-offer-av-data.answer.sdp")).unwrap();
    let answer = answer_for(&offer, &capabilities());
    assert_eq!(answer, expected);
    let agreement =
        apply_answer(&Sdp::parse(&offer).unwrap(), &Sdp::parse(&answer).unwrap()).unwrap();
    assert_eq!(agreement.bundle_groups, [vec!["0", "1", "2"]]);
    let video = agreement.media_by_mid("1").unwrap();
    let names: Vec<&str> = video.codecs.iter().map(|c| &*c.name).collect();
    // 42001f is Baseline, not Constrained Baseline: only 106 (42e01f) matches.
    assert_eq!(names, ["VP8", "VP9", "VP9", "H264", "AV1"]);
    assert_eq!(video.codecs[3].payload_type, 106);
    assert!(video.codecs.iter().all(|c| c.rtx_payload_type.is_some()));
}

/// RTX runs at the clock rate of the codec it repairs (RFC 4588 section
/// 8.1): audio RTX at 8 kHz for PCMU is taken when we support it, RTX at a
/// clock rate other than its codec's is not.
#[test]
fn rtx_takes_the_clock_rate_of_its_codec() {
    let offer = "m=audio 9 UDP/TLS/RTP/SAVPF 0 97 98\r\nc=IN IP4 0.0.0.0\r\na=mid:a\r\n\
                 a=rtpmap:0 PCMU/8000\r\na=rtpmap:97 rtx/8000\r\na=fmtp:97 apt=0\r\n\
                 a=rtpmap:98 rtx/90000\r\na=fmtp:98 apt=0\r\n";
    let mut caps = capabilities();
    // Without audio RTX in our capabilities, PCMU only.
    let media = media_of(&answer_for(&offer_text("", &[offer]), &caps), 0);
    assert_eq!(payload_types(&media), [0]);
    let audio = caps.audio.as_mut().unwrap();
    audio.codecs.push(Codec::new(0, "PCMU", 8000, Some(1)));
    audio.codecs.push(Codec::rtx_with_clock_rate(99, 0, 8000));
    let media = media_of(&answer_for(&offer_text("", &[offer]), &caps), 0);
    assert_eq!(payload_types(&media), [0, 97]);
    assert_eq!(media.rtpmap(97).unwrap().clock_rate, 8000);
    assert_eq!(media.fmtp(97).unwrap().rtx_apt(), Some(0));
}

#[test]
fn rtx_of_red_follows_red() {
    let offer = "m=video 9 UDP/TLS/RTP/SAVPF 96 114 115\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\n\
                 a=rtpmap:96 VP8/90000\r\na=rtpmap:114 red/90000\r\na=rtpmap:115 rtx/90000\r\na=fmtp:115 apt=114\r\n";
    let mut caps = capabilities();
    // Without video RED we take VP8 only.
    let media = media_of(&answer_for(&offer_text("", &[offer]), &caps), 0);
    assert_eq!(payload_types(&media), [96]);
    let video = caps.video.as_mut().unwrap();
    video.codecs.push(Codec::new(120, "red", 90_000, None));
    video.codecs.push(Codec::rtx(121, 120));
    let media = media_of(&answer_for(&offer_text("", &[offer]), &caps), 0);
    assert_eq!(payload_types(&media), [96, 114, 115]);
    assert_eq!(media.fmtp(115).unwrap().rtx_apt(), Some(114));
}

/// What a peer controls stays bounded: repeated payload types are taken
/// once, feedback per codec is capped, and long BUNDLE groups and SSRC lists
/// are handled without quadratic work.
#[test]
fn hostile_offers_are_answered_within_caps() {
    let mut media = String::from("m=video 9 UDP/TLS/RTP/SAVPF");
    media.push_str(&" 96".repeat(50_000));
    media.push_str("\r\nc=IN IP4 0.0.0.0\r\na=mid:v\r\na=rtpmap:96 VP8/90000\r\n");
    for i in 0..2_000 {
        media.push_str(&format!(
            "a=rtcp-fb:* nack x{i}\r\na=ssrc:{} cname:c\r\n",
            i % 7
        ));
    }
    media.push_str("a=rtcp-fb:* nack\r\n");
    let group = format!("a=group:BUNDLE{}\r\n", " v".repeat(50_000));
    let text = offer_text(&group, &[&media]);
    assert!(text.len() < sansrtc_sdp::MAX_SDP_LEN);
    let offer = Sdp::parse(&text).unwrap();
    let codecs = Codec::from_media(&offer.media[0]);
    assert_eq!(codecs.len(), 1);
    assert_eq!(
        codecs[0].feedback.len(),
        sansrtc_sdp::negotiate::MAX_FEEDBACK
    );
    let answer = create_answer(&offer, &capabilities()).unwrap();
    let answered = &answer.media[0];
    assert_eq!(payload_types(answered), [96]);
    assert_eq!(answer.bundle_groups().next().unwrap().mids, ["v"]);
    let agreement = apply_answer(&offer, &answer).unwrap();
    // The plain `nack` came after the cap; the capped ones are not ours.
    assert!(agreement.media[0].codecs[0].feedback.is_empty());
    assert_eq!(agreement.media[0].local_ssrcs, [0, 1, 2, 3, 4, 5, 6]);
    assert_eq!(agreement.media[0].codecs.len(), 1);
}

/// A SIP phone's offer: plain RTP, a real address, no ICE, no DTLS.
const SIP_OFFER: &str = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n\
    c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\n\
    a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
    a=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

/// An SDES offer: SRTP keyed by `a=crypto`, with ICE but no DTLS.
const SDES_OFFER: &str = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n\
    m=audio 9 RTP/SAVP 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n\
    a=ice-ufrag:sdes\r\na=ice-pwd:sdespassword0123456789ab\r\n\
    a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj|2^20|1:32\r\n\
    a=rtpmap:0 PCMU/8000\r\na=sendrecv\r\n";

/// Offers without ICE credentials or a DTLS fingerprint cannot use an
/// answer that carries ours: each m-line is rejected with port 0, keeping
/// the offer's protocol, and without transport attributes.
#[test]
fn offers_without_ice_and_dtls_are_rejected() {
    for (name, text) in [("SIP", SIP_OFFER), ("SDES", SDES_OFFER)] {
        let answer = answer_for(text, &capabilities());
        let answered = media_of(&answer, 0);
        assert!(answered.is_port_zero(), "{name}: {answer}");
        assert!(answered.media_line.protocol.starts_with("RTP/"), "{name}");
        assert!(
            answered.attributes().all(|a| !matches!(
                a,
                Attribute::IceUfrag(_) | Attribute::Fingerprint(_) | Attribute::Setup(_)
            )),
            "{name}: {answer}"
        );
        let offer = Sdp::parse(text).unwrap();
        let answer = Sdp::parse(&answer).unwrap();
        let agreement = apply_answer(&offer, &answer).unwrap();
        assert!(!agreement.media[0].accepted, "{name}");
    }
    // The same m-line with ICE and a fingerprint is taken, with the
    // offer's profile (RFC 8829 section 5.1.3).
    let with_dtls = SIP_OFFER.replace(
        "t=0 0\r\n",
        &HEADER.replacen("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n", "", 1),
    );
    let answer = answer_for(&with_dtls, &capabilities());
    let answered = media_of(&answer, 0);
    assert!(!answered.is_port_zero(), "{answer}");
    assert_eq!(answered.media_line.protocol, "RTP/AVP");
    assert_eq!(payload_types(&answered), [0, 8, 101]);
    // A bundled m-line without transport attributes of its own uses those
    // of the first m-line of its group.
    let bundled = offer_text(
        "a=group:BUNDLE a v\r\n",
        &[&audio("a", ""), &video("v", "")],
    );
    let bundled = bundled.replacen(
        "a=ice-ufrag:oFfR\r\na=ice-pwd:offererpassword0123456789\r\n",
        "",
        1,
    );
    let bundled = bundled.replacen(
        "a=mid:a\r\n",
        "a=mid:a\r\na=ice-ufrag:oFfR\r\na=ice-pwd:offererpassword0123456789\r\n",
        1,
    );
    let answer = answer_for(&bundled, &capabilities());
    assert!(!media_of(&answer, 1).is_port_zero(), "{answer}");
}
