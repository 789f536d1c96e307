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

/// SIP equipment's offers (plain RTP, or SDES keys) have no ICE and no DTLS:
/// the answer rejects their m-line with port 0 instead of answering with
/// transport attributes the offerer cannot use, and says so.
#[test]
fn answer_rejects_offers_without_ice_and_dtls() {
    let sip = "v=0\r\no=alice 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n\
               c=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8\r\n\
               a=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=sendrecv\r\n";
    let sdes = "v=0\r\no=- 1 1 IN IP4 192.0.2.10\r\ns=-\r\nt=0 0\r\n\
                m=audio 9 RTP/SAVP 0\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:sdes\r\n\
                a=ice-pwd:sdespassword0123456789ab\r\n\
                a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:d0RmdmcmVCspeEc3QGZiNWpVLFJhQX1cfHAwJSoj\r\n\
                a=rtpmap:0 PCMU/8000\r\n";
    for (name, offer, protocol) in [("sip", sip, "RTP/AVP"), ("sdes", sdes, "RTP/SAVP")] {
        let path =
            std::env::temp_dir().join(format!("sansrtc-{name}-offer-{}.sdp", std::process::id()));
        std::fs::write(&path, offer).unwrap();
        let output = Command::new(env!("CARGO_BIN_EXE_sdp"))
            .args(["answer", path.to_str().unwrap()])
            .output()
            .expect("run sdp");
        std::fs::remove_file(&path).unwrap();
        assert_eq!(output.status.code(), Some(0), "{name}");
        let answer = String::from_utf8_lossy(&output.stdout);
        assert!(
            answer.contains(&format!("m=audio 0 {protocol} ")),
            "{name}: {answer}"
        );
        assert!(!answer.contains("a=fingerprint"), "{name}: {answer}");
        assert!(!answer.contains("a=ice-ufrag"), "{name}: {answer}");
        let errors = String::from_utf8_lossy(&output.stderr);
        assert!(
            errors.contains("media description 0 (audio"),
            "{name}: {errors}"
        );
    }
}
