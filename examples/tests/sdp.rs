//! The `sdp` program: check, fmt, json and answer on real browser SDP.

use std::process::Command;

const OFFER: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../sdp/tests/data/chrome-offer-av-data.sdp"
);

fn sdp(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_sdp"))
        .args(args)
        .output()
        .expect("run sdp");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
    )
}

#[test]
fn check_accepts_and_fmt_round_trips() {
    assert_eq!(sdp(&["check", OFFER]).0, 0);
    let (code, text) = sdp(&["fmt", OFFER]);
    assert_eq!(code, 0);
    assert_eq!(text, std::fs::read_to_string(OFFER).unwrap());
}

#[test]
fn json_shows_the_typed_view() {
    let (code, text) = sdp(&["json", OFFER]);
    assert_eq!(code, 0);
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(json["version"], 0);
    assert_eq!(json["media"][0]["media_line"]["media"], "Audio");
}

#[test]
fn answer_is_a_description_and_bad_input_fails() {
    let (code, text) = sdp(&["answer", OFFER]);
    assert_eq!(code, 0);
    assert!(text.starts_with("v=0\r\n"), "{text}");
    assert!(text.contains("a=ice-ufrag:"));
    let broken = std::env::temp_dir().join("sansrtc-broken.sdp");
    std::fs::write(&broken, "v=0\r\nx=nonsense\r\n").unwrap();
    let (code, text) = sdp(&["check", broken.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(text.contains("line 2"), "{text}");
    assert_eq!(sdp(&["json"]).0, 2);
}
