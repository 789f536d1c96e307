//! SDP: parse the ~6.4 KB Chromium offer into each crate's model, and write
//! the model back to text. Peers: `webrtc-sdp` (Firefox's parser), webrtc-rs
//! `sdp`. Floor: a UTF-8 check and splitting into lines.

use core::hint::black_box;

use sansrtc_sdp::Sdp;

use crate::inputs::CHROMIUM_OFFER;
use crate::{Case, Role};

const PARSE_GROUP: &str = "sdp_parse_chromium_offer";
const WRITE_GROUP: &str = "sdp_write_chromium_offer";

/// What each parser must have found: the media sections and, in each, the
/// number of formats on its `m=` line.
fn checksum(formats_per_media: impl IntoIterator<Item = usize>) -> u64 {
    formats_per_media
        .into_iter()
        .fold(0u64, |acc, formats| acc * 31 + formats as u64 + 1)
}

fn parse_sansrtc(text: &str) -> u64 {
    let sdp = Sdp::parse(text).expect("sansrtc parses");
    checksum(sdp.media.iter().map(|media| media.media_line.formats.len()))
}

fn parse_webrtc_sdp(text: &str) -> u64 {
    let sdp = webrtc_sdp::parse_sdp(text, false).expect("webrtc-sdp parses");
    checksum(sdp.media.iter().map(|media| match media.get_formats() {
        webrtc_sdp::media_type::SdpFormatList::Integers(list) => list.len(),
        webrtc_sdp::media_type::SdpFormatList::Strings(list) => list.len(),
        webrtc_sdp::media_type::SdpFormatList::Unknown(_) => 0,
    }))
}

fn parse_webrtc_rs(text: &str) -> u64 {
    let mut reader = std::io::Cursor::new(text.as_bytes());
    let sdp = sdp::SessionDescription::unmarshal(&mut reader).expect("webrtc-rs parses");
    checksum(
        sdp.media_descriptions
            .iter()
            .map(|media| media.media_name.formats.len()),
    )
}

/// A UTF-8 check and a split into lines: what every SDP parser does
/// before it looks at a line.
fn floor(bytes: &[u8]) -> u64 {
    let Ok(text) = core::str::from_utf8(bytes) else {
        return 0;
    };
    text.split("\r\n").map(|line| line.len() as u64 + 1).sum()
}

/// The SDP cases.
pub fn cases() -> Vec<Case> {
    let mut cases = vec![
        Case::decode(PARSE_GROUP, "sansrtc", Role::Sansrtc, || {
            parse_sansrtc(black_box(CHROMIUM_OFFER))
        }),
        Case::decode(PARSE_GROUP, "webrtc-sdp (Firefox)", Role::Peer, || {
            parse_webrtc_sdp(black_box(CHROMIUM_OFFER))
        }),
        Case::decode(PARSE_GROUP, "sdp (webrtc-rs)", Role::Peer, || {
            parse_webrtc_rs(black_box(CHROMIUM_OFFER))
        }),
        Case::new(PARSE_GROUP, "floor: UTF-8 + lines", Role::Floor, || {
            floor(black_box(CHROMIUM_OFFER.as_bytes()))
        }),
    ];

    let ours = Sdp::parse(CHROMIUM_OFFER).expect("sansrtc parses");
    cases.push(Case::new(
        WRITE_GROUP,
        "sansrtc",
        Role::Sansrtc,
        move || {
            let mut out = String::with_capacity(CHROMIUM_OFFER.len());
            black_box(&ours).write_to(&mut out);
            out.len() as u64
        },
    ));
    let firefox = webrtc_sdp::parse_sdp(CHROMIUM_OFFER, false).expect("webrtc-sdp parses");
    cases.push(Case::new(
        WRITE_GROUP,
        "webrtc-sdp (Firefox)",
        Role::Peer,
        move || black_box(&firefox).to_string().len() as u64,
    ));
    let mut reader = std::io::Cursor::new(CHROMIUM_OFFER.as_bytes());
    let webrtc_rs = sdp::SessionDescription::unmarshal(&mut reader).expect("webrtc-rs parses");
    cases.push(Case::new(
        WRITE_GROUP,
        "sdp (webrtc-rs)",
        Role::Peer,
        move || black_box(&webrtc_rs).marshal().len() as u64,
    ));
    cases.push(Case::new(WRITE_GROUP, "floor: copy", Role::Floor, || {
        let mut out = String::with_capacity(CHROMIUM_OFFER.len());
        out.push_str(black_box(CHROMIUM_OFFER));
        out.len() as u64
    }));
    cases
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The offer has audio, video and a data channel, and the checksum
    /// sees them.
    #[test]
    fn offer_has_media() {
        let sdp = Sdp::parse(CHROMIUM_OFFER).unwrap();
        assert!(sdp.media.len() >= 3);
        assert_ne!(parse_sansrtc(CHROMIUM_OFFER), checksum([]));
    }

    /// Every writer writes text that sansrtc parses to the same media.
    #[test]
    fn every_writer_writes_the_offer() {
        let expected = parse_sansrtc(CHROMIUM_OFFER);
        let firefox = webrtc_sdp::parse_sdp(CHROMIUM_OFFER, false)
            .unwrap()
            .to_string();
        assert_eq!(parse_sansrtc(&firefox), expected);
        let mut reader = std::io::Cursor::new(CHROMIUM_OFFER.as_bytes());
        let webrtc_rs = sdp::SessionDescription::unmarshal(&mut reader)
            .unwrap()
            .marshal();
        assert_eq!(parse_sansrtc(&webrtc_rs), expected);
        let mut ours = String::new();
        Sdp::parse(CHROMIUM_OFFER).unwrap().write_to(&mut ours);
        assert_eq!(ours, CHROMIUM_OFFER);
    }
}
