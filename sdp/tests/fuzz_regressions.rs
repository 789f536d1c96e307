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
