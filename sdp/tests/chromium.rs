//! Real Chromium session descriptions (`tests/data/chromium/`): typed
//! correctly, round-tripped (see `corpus.rs`), and answered the way
//! Chromium accepted.

#![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]

use std::path::Path;

use sansrtc_sdp::negotiate::{Capabilities, Session, apply_answer, create_answer};
use sansrtc_sdp::{Attribute, Direction, MediaType, Sdp};

fn data(name: &str) -> String {
    std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data/chromium")
            .join(name),
    )
    .unwrap()
}

fn ice_ufrag(sdp: &Sdp<'_>) -> String {
    sdp.media
        .first()
        .unwrap()
        .attributes()
        .find_map(|a| match a {
            Attribute::IceUfrag(u) => Some(u.to_string()),
            _ => None,
        })
        .unwrap()
}

#[test]
fn offer_and_answer_with_audio_video_and_data() {
    let offer_text = data("offer-av-data.sdp");
    let answer_text = data("answer-av-data.sdp");
    let offer = Sdp::parse(&offer_text).unwrap();
    let answer = Sdp::parse(&answer_text).unwrap();
    assert_eq!(offer.to_string(), offer_text);
    assert_eq!(answer.to_string(), answer_text);
    let kinds: Vec<&MediaType<'_>> = offer.media.iter().map(|m| &m.media_line.media).collect();
    assert_eq!(
        kinds,
        [
            &MediaType::Audio,
            &MediaType::Video,
            &MediaType::Application
        ]
    );
    assert_eq!(offer.bundle_groups().next().unwrap().mids, ["0", "1", "2"]);
    // Only the browser's spacing in `a=msid-semantic: WMS` keeps it from
    // strict mode.
    for text in [&offer_text, &answer_text] {
        let error = Sdp::parse_strict(text).unwrap_err();
        assert!(error.line.as_str().starts_with("a=msid-semantic: "));
        Sdp::parse_strict(&text.replace("msid-semantic: WMS", "msid-semantic:WMS")).unwrap();
    }
    let agreement = apply_answer(&offer, &answer).unwrap();
    assert_eq!(agreement.bundle_groups, [vec!["0", "1", "2"]]);
    let audio = agreement.media_by_mid("0").unwrap();
    assert_eq!(audio.codecs[0].name, "opus");
    assert_eq!(audio.direction, Direction::SendRecv);
    assert!(!audio.local_ssrcs.is_empty() && !audio.remote_ssrcs.is_empty());
    let video = agreement.media_by_mid("1").unwrap();
    assert_eq!(video.codecs[0].name, "VP8");
    assert!(video.codecs[0].rtx_payload_type.is_some());
    assert!(video.extensions.len() >= 4);
    assert!(agreement.media_by_mid("2").unwrap().accepted);
}

#[test]
fn ice_restart_offer_changes_credentials_only() {
    let first = parse_owned(&data("offer-av-data.sdp"));
    let restart = parse_owned(&data("offer-ice-restart.sdp"));
    assert_ne!(ice_ufrag(&first), ice_ufrag(&restart));
    assert!(restart.origin.session_version > first.origin.session_version);
    assert_eq!(restart.origin.session_id, first.origin.session_id);
    let fingerprint = |sdp: &Sdp<'_>| {
        sdp.media[0].attributes().find_map(|a| match a {
            Attribute::Fingerprint(f) => Some(f.bytes.clone()),
            _ => None,
        })
    };
    assert_eq!(fingerprint(&first), fingerprint(&restart));
}

fn parse_owned(text: &str) -> Sdp<'static> {
    Sdp::parse(text).unwrap().into_owned()
}

#[test]
fn simulcast_offer() {
    let offer = parse_owned(&data("offer-simulcast.sdp"));
    let video = &offer.media[0];
    assert_eq!(video.direction(), Direction::SendOnly);
    let rids: Vec<String> = video
        .attributes()
        .filter_map(|a| match a {
            Attribute::Rid(r) => Some(r.id.to_string()),
            _ => None,
        })
        .collect();
    assert_eq!(rids, ["h", "m", "l"]);
    let simulcast = video
        .attributes()
        .find_map(|a| match a {
            Attribute::Simulcast(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(simulcast.send.unwrap().len(), 3);
}

/// The answers Chromium accepted are the ones `create_answer` writes for
/// its offers (ICE credentials aside, which the `sdp` tool draws at random).
#[test]
fn our_answers_were_accepted_by_chromium() {
    for name in ["av-data", "simulcast"] {
        assert_eq!(
            data(&format!("sansrtc-answer-{name}.verdict.txt")),
            "accepted\n",
            "{name}"
        );
        let offer_text = data(&format!("sansrtc-answer-{name}.offer.sdp"));
        let recorded_text = data(&format!("sansrtc-answer-{name}.answer.sdp"));
        let offer = Sdp::parse(&offer_text).unwrap();
        let recorded = Sdp::parse_strict(&recorded_text).unwrap();
        let mut session = Session::example();
        session.ice_ufrag = ice_ufrag(&recorded).into();
        session.ice_pwd = recorded.media[0]
            .attributes()
            .find_map(|a| match a {
                Attribute::IcePwd(p) => Some(p.to_string()),
                _ => None,
            })
            .unwrap()
            .into();
        let answer = create_answer(&offer, &Capabilities::webrtc_defaults(session)).unwrap();
        assert_eq!(answer.to_string(), recorded_text, "{name}");
        let agreement = apply_answer(&offer, &answer).unwrap();
        assert!(agreement.media.iter().all(|m| m.accepted), "{name}");
        if name == "simulcast" {
            assert_eq!(agreement.media[0].send_layers, ["h", "m", "l"]);
        }
    }
}
