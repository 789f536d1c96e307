//! Inputs the fuzz targets once failed on, replayed with the targets' own
//! checks (`tests/fuzz-regressions/<target>/`).

#![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]

mod roundtrip;

use std::fs;
use std::path::Path;

use roundtrip::check_parse;
use sansrtc_sdp::{Mode, Sdp};

fn inputs(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(target);
    let mut inputs: Vec<_> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .map(|p| {
                    (
                        p.file_name().unwrap().to_string_lossy().into_owned(),
                        fs::read(&p).unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    inputs.sort();
    inputs
}

#[test]
fn sdp_parse_regressions() {
    let inputs = inputs("sdp_parse");
    assert!(!inputs.is_empty());
    for (name, bytes) in inputs {
        if let Ok(text) = std::str::from_utf8(&bytes) {
            println!("{name}");
            check_parse(text);
        }
    }
}

#[test]
fn nul_is_rejected_in_both_modes() {
    let text = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\nc=IN IP4 0.0.0.0\r\na=candidate:1 1 udp 1 192.0.2.1 9 typ host\t\0\r\n";
    for mode in [Mode::Lenient, Mode::Strict] {
        assert_eq!(Sdp::parse_with(text, mode).unwrap_err().line_number, 7);
    }
}

/// The fuzz target's check holds for descriptions with lines out of order
/// and blank lines, trailing ones included (a section's layout takes no
/// part in equality, and the canonical form drops it).
#[test]
fn layouts_pass_the_round_trip_check() {
    for text in [
        "\r\nv=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nc=IN IP4 0.0.0.0\r\ns=-\r\n\r\na=x\r\nt=0 0\r\nr=7d 1h 0\r\n\
         m=audio 9 RTP/AVP 0\r\na=sendrecv\r\nb=AS:1\r\nc=IN IP4 0.0.0.0\r\n\r\n\r\n",
        "v=0\no=- 1 IN IP4 192.168.1.2\ns=-\nt=0 0\nm=video 0 UDP/TLS/RTP/SAVPF\n\nm=audio 9 RTP/AVP 0\ni=x\n",
    ] {
        assert!(Sdp::parse(text).is_ok(), "{text}");
        check_parse(text);
    }
}
