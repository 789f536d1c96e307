//! ICE candidates meet SDP without string surgery: what `sansrtc_sdp`
//! reads from `a=candidate` lines parses as a [`Candidate`], and a
//! candidate's [`Candidate::sdp_value`] is what an `a=candidate` attribute
//! holds, so a description written with it reads back the same.

extern crate alloc;

use alloc::borrow::Cow;

use sansrtc_ice::Candidate;
use sansrtc_sdp::{Attribute, Sdp};

const OFFER: &str = "v=0\r\n\
o=- 1 2 IN IP4 127.0.0.1\r\n\
s=-\r\n\
t=0 0\r\n\
m=audio 9 UDP/TLS/RTP/SAVPF 0\r\n\
c=IN IP4 0.0.0.0\r\n\
a=mid:0\r\n\
a=candidate:1 1 udp 2130706431 192.0.2.1 5000 typ host generation 0\r\n\
a=candidate:2 1 UDP 1694498815 203.0.113.7 61000 typ srflx raddr 192.0.2.1 rport 5000\r\n\
a=candidate:3 1 TCP 2105524479 192.0.2.1 9 typ host tcptype active\r\n";

#[test]
fn candidates_cross_between_sdp_and_ice() {
    let sdp = Sdp::parse(OFFER).unwrap();
    let media = &sdp.media[0];
    let candidates: Vec<Candidate> = media
        .candidates()
        .map(|value| value.parse().unwrap())
        .collect();
    assert_eq!(candidates.len(), 3);
    // The same description without its candidates gets them back through
    // the typed attribute, byte for byte.
    let base: String = OFFER
        .split_inclusive("\r\n")
        .filter(|line| !line.starts_with("a=candidate"))
        .collect();
    let mut rebuilt = Sdp::parse(&base).unwrap();
    for candidate in &candidates {
        rebuilt.media[0].push(Attribute::Candidate(Cow::Owned(
            candidate.sdp_value().to_string(),
        )));
    }
    assert_eq!(rebuilt.to_string(), OFFER);
    for (value, candidate) in media.candidates().zip(&candidates) {
        assert_eq!(format!("a={candidate}"), format!("a=candidate:{value}"));
    }
}
