#![allow(clippy::std_instead_of_alloc, clippy::std_instead_of_core)]

//! The examples of RFC 8866 and RFC 8829 (JSEP) parse, in strict mode, and
//! round-trip byte for byte.
//!
//! The JSEP examples are kept in `tests/data/` with the blank lines between
//! media sections and the folded `a=fingerprint` lines of the RFC's
//! presentation joined, as the RFC says they are on the wire.

use std::net::{Ipv4Addr, Ipv6Addr};

use sansrtc_sdp::negotiate::apply_answer;
use sansrtc_sdp::{Address, Attribute, BandwidthType, Direction, MediaType, Sdp, Setup};

fn data(name: &str) -> String {
    std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

#[test]
fn rfc8866_section5_example() {
    let text = data("rfc8866-section5.sdp");
    let sdp = Sdp::parse_strict(&text).unwrap();
    assert_eq!(sdp.origin.username, "jdoe");
    assert_eq!(sdp.origin.session_id, 3_724_394_400);
    assert_eq!(sdp.origin.session_version, 3_724_394_405);
    assert_eq!(sdp.session_name.as_ref(), "Call to John Smith");
    assert_eq!(
        sdp.information.as_deref().map(|i| &**i),
        Some("SDP Offer #1")
    );
    assert_eq!(
        sdp.uri.as_deref().map(|u| &**u),
        Some("http://www.jdoe.example.com/home.html")
    );
    assert_eq!(sdp.emails[0].as_ref(), "Jane Doe <jane@jdoe.example.com>");
    assert_eq!(sdp.phones[0].as_ref(), "+1 617 555-6011");
    assert_eq!(
        sdp.connection.as_ref().unwrap().address,
        Address::Ip4(Ipv4Addr::new(198, 51, 100, 1))
    );
    assert_eq!(sdp.media.len(), 3);
    assert_eq!(sdp.media[1].media_line.port, 49180);
    assert_eq!(sdp.media[2].media_line.media, MediaType::Video);
    assert_eq!(
        sdp.media[2].connections[0].address,
        Address::Ip6("2001:db8::2".parse::<Ipv6Addr>().unwrap())
    );
    assert_eq!(sdp.media[2].rtpmap(99).unwrap().encoding_name, "h263-1998");
    assert_eq!(sdp.to_string(), text.replace('\n', "\r\n"));
}

/// The line examples of RFC 8866 sections 5.7 to 5.13, in one description.
#[test]
fn rfc8866_line_examples() {
    let text = "v=0\r\n\
o=mhandley 2890844526 2890842807 IN IP4 198.51.100.5\r\n\
s=SDP Seminar\r\n\
i=A Seminar on the session description protocol\r\n\
u=https://www.example.com/seminars/sdp.pdf\r\n\
e=j.doe@example.com (Jane Doe)\r\n\
c=IN IP4 233.252.0.1/127/3\r\n\
b=X-YZ:128\r\n\
b=AS:2000\r\n\
t=2873397496 2873404696\r\n\
r=604800 3600 0 90000\r\n\
t=3034423619 3042462419\r\n\
r=7d 1h 0 25h\r\n\
z=2882844526 -1h 2898848070 0\r\n\
k=prompt\r\n\
a=recvonly\r\n\
a=orient:portrait\r\n\
m=audio 49170 RTP/AVP 0\r\n\
m=video 51372 RTP/AVP 99\r\n\
c=IN IP6 ff00::db8:0:101/3\r\n\
c=IN IP4 233.252.0.1/127\r\n\
a=rtpmap:99 h263-1998/90000\r\n\
a=framerate:29.97\r\n\
a=ptime:20\r\n";
    let sdp = Sdp::parse_strict(text).unwrap();
    let c = sdp.connection.as_ref().unwrap();
    assert_eq!((c.ttl, c.count), (Some(127), Some(3)));
    assert_eq!(
        sdp.bandwidths[0].bandwidth_type,
        BandwidthType::Other("X-YZ".into())
    );
    assert_eq!(sdp.times.len(), 2);
    assert_eq!(sdp.times[0].repeats[0].interval.as_seconds(), 604_800);
    assert_eq!(sdp.times[1].repeats[0].offsets[1].as_seconds(), 90_000);
    assert_eq!(
        sdp.time_zones.as_ref().unwrap().adjustments[0]
            .offset
            .as_seconds(),
        -3600
    );
    assert_eq!(sdp.key.as_deref().map(|k| &**k), Some("prompt"));
    assert_eq!(
        sdp.attributes[0].value(),
        &Attribute::Direction(Direction::RecvOnly)
    );
    let video = &sdp.media[1];
    assert_eq!(video.connections.len(), 2);
    assert_eq!(video.connections[0].count, Some(3));
    assert!(
        video
            .attributes()
            .any(|a| matches!(a, Attribute::Framerate(f) if f.to_string() == "29.97"))
    );
    assert_eq!(sdp.to_string(), text);
}

#[test]
fn rfc8829_section7_1_offer_and_answer() {
    for name in [
        "rfc8829-section7.1-offer.sdp",
        "rfc8829-section7.1-answer.sdp",
    ] {
        let text = data(name);
        let sdp = Sdp::parse_strict(&text).unwrap();
        assert_eq!(sdp.to_string(), text, "{name}");
        let bundle = sdp.bundle_groups().next().unwrap();
        assert_eq!(bundle.mids, ["a1", "v1"]);
        assert!(
            sdp.attributes()
                .any(|a| matches!(a, Attribute::IceOptions(o) if o == &["trickle", "ice2"]))
        );
        let audio = sdp.media_by_mid("a1").unwrap();
        assert_eq!(audio.rtpmap(96).unwrap().channels(), 2);
        assert!(audio.has(&Attribute::RtcpMux));
        let video = sdp.media_by_mid("v1").unwrap();
        assert_eq!(video.fmtp(102).unwrap().rtx_apt(), Some(100));
        assert_eq!(video.fmtp(101).unwrap().h264().packetization_mode, 1);
        // `a=tls-id` is not typed: kept as written.
        assert!(
            audio
                .attributes()
                .any(|a| matches!(a, Attribute::Other { name, .. } if name == "tls-id"))
        );
    }
    let offer = data("rfc8829-section7.1-offer.sdp");
    let offer = Sdp::parse(&offer).unwrap();
    let setup = offer.media[0].attributes().find_map(|a| match a {
        Attribute::Setup(s) => Some(*s),
        _ => None,
    });
    assert_eq!(setup, Some(Setup::Actpass));
}

/// The Chrome-style offer used by the benchmark: typed where it matters, and
/// written from its values it still parses to the same description.
#[test]
fn chrome_offer_typed_and_canonical() {
    let text = data("chrome-offer-av-data.sdp");
    let sdp = Sdp::parse(&text).unwrap();
    assert_eq!(sdp.to_string(), text);
    assert_eq!(sdp.media.len(), 3);
    let video = &sdp.media[1];
    assert_eq!(video.rtpmaps().count(), 19);
    assert_eq!(video.fmtp(46).unwrap().rtx_apt(), Some(45));
    assert_eq!(video.fmtp(45).unwrap().av1().level_idx, 5);
    assert_eq!(video.fmtp(100).unwrap().vp9_profile_id(), 2);
    assert!(!sdp.media[2].media_line.is_rtp());
    let mut canonical = sdp.clone();
    canonical.regenerate();
    let written = canonical.to_string();
    assert_ne!(written, text, "msid-semantic spacing is normalised");
    assert_eq!(Sdp::parse_strict(&written).unwrap(), sdp);
}

/// RFC 8829 §7.2, the detailed example: audio and data channel first
/// (max-bundle, rtcp-mux-only, trickled host, srflx and relay candidates),
/// then Bob adds two video streams, one simulcast with FEC, which Alice
/// receives only. The RFC folds long lines for presentation; the files
/// hold them unfolded, as they travel.
#[test]
fn rfc8829_section7_2_detailed_example() {
    let names = ["offer-b1", "answer-b1", "offer-b2", "answer-b2"];
    let texts: Vec<String> = names
        .iter()
        .map(|n| data(&format!("rfc8829-section7.2-{n}.sdp")))
        .collect();
    for (name, text) in names.iter().zip(&texts) {
        let sdp = Sdp::parse_strict(text).unwrap();
        assert_eq!(&sdp.to_string(), text, "{name}");
        assert!(sdp.media_by_mid("a1").unwrap().has(&Attribute::RtcpMuxOnly));
    }
    let parsed: Vec<Sdp<'_>> = texts
        .iter()
        .map(|t| Sdp::parse_strict(t).unwrap())
        .collect();
    let [offer_b1, answer_b1, offer_b2, answer_b2] = &parsed[..] else {
        unreachable!("four descriptions")
    };
    // The data channel is bundle-only in the first offer.
    assert_eq!(offer_b1.bundle_groups().next().unwrap().mids, ["a1", "d1"]);
    assert!(
        offer_b1
            .media_by_mid("d1")
            .unwrap()
            .has(&Attribute::BundleOnly)
    );
    assert!(offer_b1.media_by_mid("d1").unwrap().is_port_zero());

    let first = apply_answer(offer_b1, answer_b1).unwrap();
    assert!(first.media.iter().all(|m| m.accepted));
    assert_eq!(first.media[0].direction, Direction::SendRecv);
    assert_eq!(first.media[0].codecs[0].name, "opus");

    // Bob's re-offer: two video m-lines, v1 sending three simulcast layers.
    assert_eq!(
        offer_b2.bundle_groups().next().unwrap().mids,
        ["a1", "d1", "v1", "v2"]
    );
    let second = apply_answer(offer_b2, answer_b2).unwrap();
    let v1 = second
        .media
        .iter()
        .find(|m| m.mid.as_deref() == Some("v1"))
        .unwrap();
    let v2 = second
        .media
        .iter()
        .find(|m| m.mid.as_deref() == Some("v2"))
        .unwrap();
    // Alice answered recvonly, so Bob sends only.
    assert_eq!(v1.direction, Direction::SendOnly);
    assert_eq!(v2.direction, Direction::SendOnly);
    assert_eq!(v1.codecs[0].name, "VP8");
    assert_eq!(v1.codecs[0].rtx_payload_type, Some(102));
    assert_eq!(
        answer_b2.media_by_mid("v1").unwrap().direction(),
        Direction::RecvOnly
    );
    // `a=imageattr` is typed (RFC 6236), and written back as it came.
    let imageattr = answer_b2
        .media_by_mid("v1")
        .unwrap()
        .attributes()
        .find_map(|a| match a {
            Attribute::Imageattr(i) => Some(i),
            _ => None,
        })
        .unwrap();
    assert_eq!(imageattr.payload_type, Some(100));
    assert!(imageattr.send.is_none());
    assert_eq!(
        imageattr.recv.as_deref(),
        Some("[x=[48:1920],y=[48:1080],q=1.0]")
    );
}
