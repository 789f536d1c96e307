//! The typed view as JSON (feature `serde`).

#![cfg(feature = "serde")]

use sansrtc_sdp::Sdp;
use sansrtc_sdp::negotiate::{Capabilities, Session, apply_answer, create_answer};

const OFFER: &str = include_str!("data/chrome-offer-av-data.sdp");

#[test]
fn description_as_json() {
    let sdp = Sdp::parse(OFFER).unwrap();
    let json: serde_json::Value = serde_json::to_value(&sdp).unwrap();
    assert_eq!(json["version"], 0);
    assert_eq!(json["origin"]["session_id"], 8_470_812_378_236_455_981u64);
    assert_eq!(json["origin"]["unicast_address"]["Ip4"], "127.0.0.1");
    assert_eq!(json["media"][0]["media_line"]["media"], "Audio");
    assert_eq!(json["media"][0]["media_line"]["formats"][0], "111");
    let rtpmap = json["media"][0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a.get("Rtpmap"))
        .unwrap();
    assert_eq!(rtpmap["encoding_name"], "opus");
    assert_eq!(rtpmap["clock_rate"], 48000);
    let flags: Vec<&serde_json::Value> = json["media"][0]["attributes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a.is_string())
        .collect();
    assert!(flags.iter().any(|f| *f == "RtcpMux"));
}

#[test]
fn agreement_as_json() {
    let offer = Sdp::parse(OFFER).unwrap();
    let answer = create_answer(&offer, &Capabilities::webrtc_defaults(Session::example())).unwrap();
    let agreement = apply_answer(&offer, &answer).unwrap();
    let json = serde_json::to_value(&agreement).unwrap();
    assert_eq!(json["media"][1]["codecs"][0]["name"], "VP8");
    assert_eq!(json["media"][1]["codecs"][0]["rtx_payload_type"], 97);
    assert_eq!(json["media"][1]["direction"], "SendRecv");
    assert_eq!(json["bundle_groups"][0][2], "2");
}
