//! Simulcast between two peers on the simulated network (RFC 8851, 8852,
//! 8853): peer 0 sends three VP8 layers named q, h and f on one m-line,
//! peer 1 receives them as an SFU would, each packet and frame with its
//! layer's rid, statistics and keyframe requests per layer; and a real
//! Chromium simulcast offer (`tests/data/chromium-simulcast-offer.sdp`)
//! answered, and the answer accepted by Chromium (when installed).

#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop
)]

mod common;
#[path = "../../support/outside.rs"]
mod outside;

use core::time::Duration;

use common::Call;
use sansrtc::ice::sim::Link;
use sansrtc::sdp::{Attribute, Direction, RidDirection, Sdp};
use sansrtc::{Config, Error, Event, MediaKind, Mid, Peer, Rid};

/// The layers, lowest first, as browsers name them.
const RIDS: [&str; 3] = ["q", "h", "f"];

/// A VP8 frame of layer `layer`: a key frame header (P = 0) or an
/// interframe's (P = 1), then the layer, the frame's index and a body
/// whose size grows with the layer.
fn vp8(layer: usize, index: u32, keyframe: bool) -> Vec<u8> {
    let mut frame = if keyframe {
        vec![0xb0, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xf0, 0x00]
    } else {
        vec![0xb1, 0x01, 0x00]
    };
    frame.push(layer as u8);
    frame.extend_from_slice(&index.to_be_bytes());
    let len = [300, 1100, 2900][layer] + if keyframe { 2000 } else { 0 };
    frame.extend((0..len).map(|k| (k as u32 * 7 + index * 13 + layer as u32) as u8));
    frame
}

/// The layer and index a received VP8 frame carries.
fn layer_and_index(frame: &[u8], keyframe: bool) -> (usize, u32) {
    let at = if keyframe { 10 } else { 3 };
    let index = u32::from_be_bytes(frame[at + 1..at + 5].try_into().unwrap());
    (usize::from(frame[at]), index)
}

/// Makes a call where peer 0 offers the layers [`RIDS`] on a video
/// transceiver and peer 1 answers (in frame mode when `frames`), with
/// `offer` and `answer` changing the descriptions on their way; connects
/// it. The transceiver's MID and VP8's payload type.
fn simulcast_call(
    seed: u64,
    link: Link,
    frames: bool,
    offer: impl Fn(String) -> String,
    answer: impl Fn(String) -> String,
) -> (Call, Mid, u8) {
    let mut call = Call::with_config(seed, link, [None, None], |i, config| {
        config.receive_frames = frames && i == 1;
    });
    let mid = call.peers[0]
        .add_simulcast_transceiver(MediaKind::Video, Direction::SendOnly, &RIDS)
        .unwrap();
    let sdp = call.peers[0].create_offer().unwrap();
    assert!(sdp.contains("a=simulcast:send q;h;f\r\n"), "{sdp}");
    for rid in RIDS {
        assert!(sdp.contains(&format!("a=rid:{rid} send\r\n")), "{sdp}");
    }
    assert!(sdp.contains("urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id\r\n"));
    assert!(sdp.contains("urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id\r\n"));
    call.peers[1].set_remote_offer(&offer(sdp)).unwrap();
    call.drain_events();
    let sdp = call.peers[1].create_answer().unwrap();
    call.peers[0].set_remote_answer(&answer(sdp)).unwrap();
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected(), "{:?}", call.events);
    let payload_type = call.peers[0]
        .codecs(&mid)
        .into_iter()
        .find(|(_, name, _)| name == "VP8")
        .map(|(pt, _, _)| pt)
        .unwrap();
    (call, mid, payload_type)
}

/// Sends one frame on each of `layers` every 33 ms for `duration`, a key
/// frame first; returns the frames sent per layer.
fn send_layers(
    call: &mut Call,
    mid: &str,
    payload_type: u8,
    layers: &[&str],
    duration: Duration,
    sent: &mut [Vec<Vec<u8>>; 3],
) {
    let mut next = call.now;
    call.run(duration, |call| {
        if call.now < next {
            return;
        }
        for rid in layers {
            let layer = RIDS.iter().position(|r| r == rid).unwrap();
            let index = sent[layer].len() as u32;
            let frame = vp8(layer, index, index == 0);
            call.peers[0]
                .write_frame_rid(call.now, mid, rid, payload_type, index * 3000, &frame)
                .unwrap();
            sent[layer].push(frame);
        }
        next += Duration::from_millis(33);
    });
}

fn rid(text: &str) -> Rid {
    Rid::new(text).unwrap()
}

#[test]
fn three_layers_arrive_each_with_its_rid_and_keep_it_without_the_extension() {
    let (mut call, mid, vp8_pt) = simulcast_call(41, Link::default(), true, |o| o, |a| a);
    assert_eq!(call.peers[0].send_rids(&mid), RIDS.map(rid));
    assert_eq!(call.peers[1].receive_rids(&mid), RIDS.map(rid));
    let mut sent: [Vec<Vec<u8>>; 3] = Default::default();
    send_layers(
        &mut call,
        &mid,
        vp8_pt,
        &RIDS,
        Duration::from_secs(3),
        &mut sent,
    );

    // By now peer 1 has reported on every layer: peer 0 stopped putting
    // the MID and rid in them, and its packets are a bare 12-byte header
    // and the payload.
    let before = call.peers[0].stats(call.now);
    for r in RIDS {
        let outbound = before.outbound_rid(&mid, r).unwrap();
        assert!(
            before
                .remote_inbound_rtp
                .iter()
                .any(|remote| remote.ssrc == outbound.ssrc && remote.reports_received > 0),
            "no report on {r}"
        );
    }
    let frames_before = call.frames[1].len();
    send_layers(
        &mut call,
        &mid,
        vp8_pt,
        &RIDS,
        Duration::from_secs(2),
        &mut sent,
    );
    call.run(Duration::from_millis(300), |_| {});
    let after = call.peers[0].stats(call.now);
    for r in RIDS {
        let (b, a) = (
            before.outbound_rid(&mid, r).unwrap(),
            after.outbound_rid(&mid, r).unwrap(),
        );
        let packets = a.packets_sent - b.packets_sent;
        assert!(packets > 50, "{r}: {packets} packets");
        assert_eq!(
            a.header_bytes_sent - b.header_bytes_sent,
            12 * packets,
            "{r}"
        );
        assert_eq!(a.retransmitted_packets_sent, 0);
    }

    // Every frame of every layer, whole, in order, with its rid.
    let mut received = [0u32; 3];
    for frame in &call.frames[1] {
        assert_eq!(frame.mid, mid);
        let (layer, index) = layer_and_index(&frame.data, frame.keyframe);
        assert_eq!(
            frame.rid,
            Some(rid(RIDS[layer])),
            "frame {index} of layer {layer}"
        );
        assert_eq!(frame.data, sent[layer][index as usize]);
        assert_eq!(index, received[layer], "layer {layer} out of order");
        received[layer] += 1;
    }
    for layer in 0..3 {
        assert_eq!(received[layer] as usize, sent[layer].len(), "layer {layer}");
        assert!(sent[layer].len() > 140);
    }
    // Frames kept coming on each layer after the extension stopped.
    let mut later = [0usize; 3];
    for frame in &call.frames[1][frames_before..] {
        later[RIDS.iter().position(|r| frame.rid == Some(rid(r))).unwrap()] += 1;
    }
    assert!(later.iter().all(|&n| n > 50), "{later:?}");

    // Statistics per layer, on both sides, about the same SSRCs.
    let receiver = call.peers[1].stats(call.now);
    assert_eq!(receiver.inbound_rtp.len(), 3);
    assert_eq!(receiver.transport.rtp_packets_discarded, 0);
    for (layer, r) in RIDS.iter().enumerate() {
        let inbound = receiver.inbound_rid(&mid, r).unwrap();
        let outbound = after.outbound_rid(&mid, r).unwrap();
        assert_eq!(inbound.ssrc, outbound.ssrc);
        assert_eq!(inbound.frames_received, u64::from(received[layer]));
        assert_eq!(inbound.packets_received, outbound.packets_sent);
        assert_eq!(outbound.frames_sent, sent[layer].len() as u64);
    }
}

#[test]
fn a_keyframe_request_reaches_the_layer_it_names() {
    let (mut call, mid, vp8_pt) = simulcast_call(42, Link::default(), false, |o| o, |a| a);
    let mut sent: [Vec<Vec<u8>>; 3] = Default::default();
    send_layers(
        &mut call,
        &mid,
        vp8_pt,
        &RIDS,
        Duration::from_secs(1),
        &mut sent,
    );
    // Packet mode: each packet carries its layer's rid.
    let ssrcs: Vec<(Option<Rid>, u32)> = call.received[1].iter().map(|p| (p.rid, p.ssrc)).collect();
    for r in RIDS {
        let ssrc = call.peers[0]
            .stats(call.now)
            .outbound_rid(&mid, r)
            .unwrap()
            .ssrc;
        assert!(ssrcs.contains(&(Some(rid(r)), ssrc)), "{r}");
        assert!(
            ssrcs
                .iter()
                .all(|&(x, s)| (x == Some(rid(r))) == (s == ssrc)),
            "{r}"
        );
    }
    call.events[0].clear();
    call.peers[1]
        .request_keyframe_for(call.now, &mid, "h")
        .unwrap();
    assert!(matches!(
        call.peers[1].request_keyframe_for(call.now, &mid, "x"),
        Err(Error::UnknownRid(_))
    ));
    call.run(Duration::from_millis(300), |_| {});
    let requests: Vec<&Event> = call.events[0]
        .iter()
        .filter(|e| matches!(e, Event::KeyframeRequested { .. }))
        .collect();
    assert_eq!(requests.len(), 1, "{requests:?}");
    assert!(matches!(
        requests[0],
        Event::KeyframeRequested { mid: m, rid: Some(r), .. } if *m == mid && *r == "h"
    ));
    let sender = call.peers[0].stats(call.now);
    let receiver = call.peers[1].stats(call.now);
    for r in RIDS {
        let expected = u64::from(r == "h");
        assert_eq!(
            sender.outbound_rid(&mid, r).unwrap().pli_count,
            expected,
            "{r}"
        );
        assert_eq!(
            receiver.inbound_rid(&mid, r).unwrap().pli_count,
            expected,
            "{r}"
        );
    }
}

#[test]
fn a_layer_that_was_not_agreed_is_dropped_and_counted() {
    // Peer 1 is offered only q and h; peer 0 is told that f was accepted
    // too, and sends it.
    let (mut call, mid, vp8_pt) = simulcast_call(
        43,
        Link::default(),
        false,
        |offer| {
            offer
                .replace("a=rid:f send\r\n", "")
                .replace("a=simulcast:send q;h;f", "a=simulcast:send q;h")
        },
        |answer| {
            assert!(answer.contains("a=simulcast:recv q;h\r\n"), "{answer}");
            answer
                .replace("a=rid:h recv\r\n", "a=rid:h recv\r\na=rid:f recv\r\n")
                .replace("a=simulcast:recv q;h", "a=simulcast:recv q;h;f")
        },
    );
    assert_eq!(call.peers[0].send_rids(&mid), RIDS.map(rid));
    assert_eq!(call.peers[1].receive_rids(&mid), [rid("q"), rid("h")]);
    let mut sent: [Vec<Vec<u8>>; 3] = Default::default();
    send_layers(
        &mut call,
        &mid,
        vp8_pt,
        &RIDS,
        Duration::from_secs(3),
        &mut sent,
    );
    call.run(Duration::from_millis(300), |_| {});

    let sender = call.peers[0].stats(call.now);
    let receiver = call.peers[1].stats(call.now);
    let mut by_layer = [0u64; 3];
    for packet in &call.received[1] {
        let r = packet.rid.expect("a packet without its layer");
        by_layer[RIDS.iter().position(|x| r == *x).unwrap()] += 1;
    }
    assert_eq!(by_layer[2], 0);
    for layer in 0..2 {
        let outbound = sender.outbound_rid(&mid, RIDS[layer]).unwrap();
        assert_eq!(by_layer[layer], outbound.packets_sent, "{}", RIDS[layer]);
    }
    // No stream was made for f: every packet of it was dropped, counted.
    let f = sender.outbound_rid(&mid, "f").unwrap();
    assert!(f.packets_sent > 100);
    assert_eq!(receiver.inbound_rtp.len(), 2);
    assert!(receiver.inbound_rid(&mid, "f").is_none());
    assert_eq!(receiver.transport.rtp_packets_discarded, f.packets_sent);
    assert!(matches!(
        call.peers[1].request_keyframe_for(call.now, &mid, "f"),
        Err(Error::UnknownRid(_))
    ));
}

#[test]
fn retransmissions_repair_the_layer_they_name() {
    // 5 % loss: RTX packets (named by the repaired rid until peer 1
    // reports on them, then by their SSRC) fill each layer's gaps.
    let link = Link {
        loss_permille: 50,
        ..Link::default()
    };
    let (mut call, mid, vp8_pt) = simulcast_call(44, link, true, |o| o, |a| a);
    let mut sent: [Vec<Vec<u8>>; 3] = Default::default();
    send_layers(
        &mut call,
        &mid,
        vp8_pt,
        &RIDS,
        Duration::from_secs(4),
        &mut sent,
    );
    call.run(Duration::from_secs(1), |_| {});
    let mut received = [0usize; 3];
    for frame in &call.frames[1] {
        let (layer, index) = layer_and_index(&frame.data, frame.keyframe);
        assert_eq!(frame.rid, Some(rid(RIDS[layer])));
        assert_eq!(
            frame.data, sent[layer][index as usize],
            "layer {layer} frame {index}"
        );
        received[layer] += 1;
    }
    let sender = call.peers[0].stats(call.now);
    let receiver = call.peers[1].stats(call.now);
    assert_eq!(receiver.inbound_rtp.len(), 3);
    for (layer, r) in RIDS.iter().enumerate() {
        assert!(
            received[layer] * 10 >= sent[layer].len() * 9,
            "{r}: {} of {}",
            received[layer],
            sent[layer].len()
        );
        let outbound = sender.outbound_rid(&mid, r).unwrap();
        let inbound = receiver.inbound_rid(&mid, r).unwrap();
        assert!(outbound.retransmitted_packets_sent > 0, "{r}");
        assert!(inbound.retransmitted_packets_received > 0, "{r}");
        assert!(inbound.retransmitted_packets_received <= outbound.retransmitted_packets_sent);
        assert_eq!(inbound.rtx_ssrc, outbound.rtx_ssrc, "{r}");
    }
}

#[test]
fn a_chromium_simulcast_offer_is_answered_with_its_layers() {
    let offer = include_str!("data/chromium-simulcast-offer.sdp");
    let mut peer = Peer::new(Config::new(), std::time::Instant::now()).unwrap();
    peer.set_remote_offer(offer).unwrap();
    let answer = peer.create_answer().unwrap();
    let parsed = Sdp::parse(&answer).unwrap();
    let media = parsed.media_by_mid("0").unwrap();
    assert!(!media.is_port_zero());
    let mut rids = Vec::new();
    let mut simulcast = None;
    let mut extensions = Vec::new();
    for attribute in media.attributes() {
        match attribute {
            Attribute::Rid(r) => {
                assert_eq!(r.direction, RidDirection::Recv);
                rids.push(r.id.to_string());
            }
            Attribute::Simulcast(s) => simulcast = Some(s.to_string()),
            Attribute::Extmap(e) => extensions.push((e.id, e.uri.to_string())),
            _ => {}
        }
    }
    assert_eq!(rids, RIDS);
    assert_eq!(simulcast.as_deref(), Some("recv q;h;f"));
    // Chromium's ids for the MID and the two rid extensions.
    for (id, uri) in [
        (9, "urn:ietf:params:rtp-hdrext:sdes:mid"),
        (10, "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"),
        (11, "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"),
    ] {
        assert!(
            extensions.contains(&(id, uri.to_string())),
            "{extensions:?}"
        );
    }
    assert!(answer.contains("a=recvonly\r\n"), "{answer}");
    assert_eq!(peer.receive_rids("0"), RIDS.map(rid));
    assert!(peer.send_rids("0").is_empty());
}

#[test]
fn an_answer_without_simulcast_leaves_one_stream_of_the_first_layer() {
    // Peer 1 sees an offer without rids (as from an endpoint that ignores
    // simulcast) and answers without them: peer 0 sends its first layer
    // alone, as a plain stream.
    let (mut call, mid, vp8_pt) = simulcast_call(
        45,
        Link::default(),
        false,
        |offer| {
            let kept: Vec<&str> = offer
                .split_inclusive("\r\n")
                .filter(|line| !line.starts_with("a=rid:") && !line.starts_with("a=simulcast:"))
                .collect();
            kept.concat()
        },
        |answer| {
            assert!(!answer.contains("a=simulcast"), "{answer}");
            answer
        },
    );
    assert_eq!(call.peers[0].send_rids(&mid), [rid("q")]);
    assert!(call.peers[1].receive_rids(&mid).is_empty());
    assert!(matches!(
        call.peers[0].write_rtp_rid(call.now, &mid, "h", vp8_pt, 0, true, &[0x10, 1, 2]),
        Err(Error::UnknownRid(_))
    ));
    let mut timestamp = 0;
    let mut next = call.now;
    call.run(Duration::from_secs(1), |call| {
        if call.now < next {
            return;
        }
        // VP8 payload descriptor (S = 1, partition 0), then data.
        let payload = [0x10, 0xb1, 0x01, 0x00, 7];
        call.peers[0]
            .write_rtp_rid(call.now, &mid, "q", vp8_pt, timestamp, true, &payload)
            .unwrap();
        call.peers[0]
            .write_rtp(call.now, &mid, vp8_pt, timestamp + 1, true, &payload)
            .unwrap();
        timestamp += 3000;
        next += Duration::from_millis(33);
    });
    call.run(Duration::from_millis(300), |_| {});
    let sender = call.peers[0].stats(call.now);
    assert_eq!(sender.outbound_rtp.len(), 1);
    let outbound = sender.outbound_rid(&mid, "q").unwrap();
    assert!(outbound.packets_sent > 50);
    // Both writes went to the one stream, received without a layer.
    assert_eq!(call.received[1].len() as u64, outbound.packets_sent);
    assert!(
        call.received[1]
            .iter()
            .all(|p| p.rid.is_none() && p.ssrc == outbound.ssrc)
    );
    assert_eq!(
        call.peers[1]
            .stats(call.now)
            .transport
            .rtp_packets_discarded,
        0
    );
}

#[test]
fn simulcast_layers_are_checked() {
    let mut peer = Peer::new(Config::new(), std::time::Instant::now()).unwrap();
    let too_many: Vec<String> = (0..=sansrtc::MAX_SIMULCAST_LAYERS)
        .map(|i| format!("r{i}"))
        .collect();
    let too_many: Vec<&str> = too_many.iter().map(String::as_str).collect();
    for rids in [
        &[][..],
        &["q", "q"][..],
        &["q", "a b"][..],
        &["seventeen-bytes-x"][..],
        &too_many[..],
    ] {
        assert!(
            matches!(
                peer.add_simulcast_transceiver(MediaKind::Video, Direction::SendOnly, rids),
                Err(Error::InvalidRid(_))
            ),
            "{rids:?}"
        );
    }
    assert_eq!(peer.mids().count(), 0);
    let mid = peer
        .add_simulcast_transceiver(
            MediaKind::Video,
            Direction::SendOnly,
            &too_many[..sansrtc::MAX_SIMULCAST_LAYERS],
        )
        .unwrap();
    // Nothing is sent before an answer accepts the layers.
    assert!(peer.send_rids(&mid).is_empty());
    let offer = peer.create_offer().unwrap();
    assert!(
        offer.contains("a=simulcast:send r0;r1;r2;r3;r4;r5;r6;r7\r\n"),
        "{offer}"
    );
}

/// `text` as a JavaScript string literal.
fn js_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            '<' => out.push_str("\\x3c"),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Runs Chromium's offer again in a headless Chromium (the page of
/// `tests/data/README.md`), gives it our answer to the recorded offer, and
/// reads what Chromium made of it: it must accept it and keep the three
/// layers on.
#[test]
fn chromium_accepts_our_answer_and_keeps_its_three_layers() {
    if outside::installed_or_skip("chromium", &["--version"]).is_none() {
        return;
    }
    let offer = include_str!("data/chromium-simulcast-offer.sdp");
    let mut peer = Peer::new(Config::new(), std::time::Instant::now()).unwrap();
    peer.set_remote_offer(offer).unwrap();
    let answer = peer.create_answer().unwrap();
    let page = format!(
        "<!doctype html><pre id=out>waiting</pre><script>\
         (async () => {{\
           const pc = new RTCPeerConnection();\
           const t = pc.addTransceiver('video', {{direction: 'sendonly', sendEncodings: [\
             {{rid: 'q', scaleResolutionDownBy: 4.0}}, {{rid: 'h', scaleResolutionDownBy: 2.0}},\
             {{rid: 'f'}}]}});\
           await pc.setLocalDescription(await pc.createOffer());\
           await pc.setRemoteDescription({{type: 'answer', sdp: {}}});\
           const layers = t.sender.getParameters().encodings.map(e => e.rid + '=' + e.active);\
           out.textContent = 'verdict ' + pc.signalingState + ' ' + t.currentDirection + ' ' + layers.join(',');\
         }})().catch(e => {{ out.textContent = 'verdict error ' + e; }});\
         </script>",
        js_string(&answer)
    );
    let url: String = core::iter::once("data:text/html,".to_string())
        .chain(page.bytes().map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        }))
        .collect();
    let profile = std::env::temp_dir().join(format!("sansrtc-simulcast-{}", std::process::id()));
    let output = std::process::Command::new("chromium")
        .args([
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=10000",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg("--dump-dom")
        .arg(&url)
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&profile);
    let dom = String::from_utf8_lossy(&output.stdout);
    let verdict = dom
        .split("verdict ")
        .nth(1)
        .and_then(|rest| rest.split('<').next())
        .unwrap_or_else(|| {
            panic!(
                "no verdict: {dom} {}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    assert_eq!(verdict, "stable sendonly q=true,h=true,f=true");
}
