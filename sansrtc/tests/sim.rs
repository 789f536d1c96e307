//! Two peers on `ice`'s simulated network (NATs, latency, loss): they
//! connect through ICE, DTLS and SRTP and exchange media both ways; a wrong
//! fingerprint fails cleanly; renegotiation adds video mid-call; an ICE
//! restart keeps SRTP running; data channels deliver bursts over a lossy
//! path and to an application that reads late, dropping nothing.

// The virtual clock starts at an arbitrary instant.
#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop
)]

extern crate alloc;

mod common;

use alloc::collections::{BTreeMap, BTreeSet};
use core::time::Duration;

use common::{Call, Tone};
use sansrtc::ice::sim::{Link, Nat};
use sansrtc::sdp::Direction;
use sansrtc::{ConnectionState, DtlsState, Event, Failure, MediaKind};

#[test]
fn peers_behind_nats_exchange_audio_with_loss() {
    let link = Link {
        loss_permille: 50,
        ..Link::default()
    };
    let mut call = Call::new(
        1,
        link,
        [Some(Nat::RESTRICTED_CONE), Some(Nat::PORT_RESTRICTED_CONE)],
    );
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(15), |_| {});
    assert!(
        call.connected(),
        "{:?} {:?}",
        call.events[0],
        call.events[1]
    );
    let profile = call.peers[0].srtp_profile().unwrap();
    assert_eq!(call.peers[1].srtp_profile(), Some(profile));
    let mut tone = Tone::new();
    call.run(Duration::from_secs(5), |call| tone.send(call, &mid, 0));
    for i in 0..2 {
        let got = call.received[i].len();
        // 250 packets sent each way; 5 % loss.
        assert!(got > 200 && got <= 250, "peer {i} received {got}");
        assert!(
            call.received[i]
                .iter()
                .all(|p| p.mid == mid && p.payload == [0x55; 160])
        );
    }
}

#[test]
fn a_wrong_fingerprint_fails_dtls_and_no_media_flows() {
    let mut call = Call::new(2, Link::default(), [None, None]);
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    let offer = call.peers[0].create_offer().unwrap();
    call.peers[1].set_remote_offer(&offer).unwrap();
    let answer = call.peers[1].create_answer().unwrap();
    // Someone in the middle swaps the answerer's fingerprint for another
    // certificate's.
    let other = sansrtc::dtls::Certificate::generate().unwrap();
    let real = call.peers[1].fingerprint();
    let forged = answer.replace(&real, &other.fingerprint().to_string());
    assert_ne!(forged, answer);
    call.peers[0].set_remote_answer(&forged).unwrap();
    let mut tone = Tone::new();
    call.run(Duration::from_secs(40), |call| tone.send(call, &mid, 0));
    assert_eq!(call.peers[0].dtls_state(), DtlsState::Failed);
    assert!(
        call.events[0].contains(&Event::Failed(Failure::Dtls(
            sansrtc::dtls::Failure::FingerprintMismatch
        ))),
        "{:?}",
        call.events[0]
    );
    assert_eq!(call.peers[0].connection_state(), ConnectionState::Failed);
    assert_eq!(call.peers[0].srtp_profile(), None);
    assert!(call.received[0].is_empty() && call.received[1].is_empty());
}

#[test]
fn renegotiation_adds_video_mid_call() {
    let mut call = Call::new(3, Link::default(), [Some(Nat::FULL_CONE), None]);
    let audio = call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected());
    let mut tone = Tone::new();
    call.run(Duration::from_secs(1), |call| tone.send(call, &audio, 0));
    // Peer 1 adds video and offers; peer 0 answers and sends video too.
    let video = call.peers[1]
        .add_transceiver(MediaKind::Video, Direction::SendRecv)
        .unwrap();
    assert_ne!(video, audio);
    let offer = call.peers[1].create_offer().unwrap();
    call.peers[0].set_remote_offer(&offer).unwrap();
    call.drain_events();
    assert!(call.events[0].contains(&Event::TransceiverAdded {
        mid: video.clone(),
        kind: MediaKind::Video
    }));
    call.peers[0]
        .set_direction(&video, Direction::SendRecv)
        .unwrap();
    let answer = call.peers[0].create_answer().unwrap();
    call.peers[1].set_remote_answer(&answer).unwrap();
    let vp8 = call.peers[0]
        .codecs(&video)
        .into_iter()
        .find(|(_, name, _)| name == "VP8")
        .map(|(pt, _, _)| pt)
        .unwrap();
    let before = [call.received[0].len(), call.received[1].len()];
    let mut frames = 0u32;
    call.run(Duration::from_secs(2), |call| {
        tone.send(call, &audio, 0);
        if frames < 30 {
            for peer in &mut call.peers {
                peer.write_rtp(
                    call.now,
                    &video,
                    vp8,
                    frames * 3000,
                    true,
                    &[0x10, 0, 0x9d, 1, 0x2a],
                )
                .unwrap();
            }
            frames += 1;
        }
    });
    for i in 0..2 {
        let video_packets = call.received[i].iter().filter(|p| p.mid == video).count();
        assert_eq!(video_packets, 30, "peer {i}");
        let audio_after = call.received[i].len() - before[i] - video_packets;
        assert!(audio_after > 90, "peer {i}: {audio_after} audio packets");
    }
    // Still one DTLS connection: the SRTP profile did not change.
    assert_eq!(call.peers[0].dtls_state(), DtlsState::Connected);
}

#[test]
fn an_ice_restart_keeps_srtp_running() {
    let mut call = Call::new(4, Link::default(), [Some(Nat::RESTRICTED_CONE), None]);
    let mid = call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected());
    let profile = call.peers[0].srtp_profile();
    let old_ufrag = call.peers[0].ice().local_credentials().ufrag().to_string();
    let mut tone = Tone::new();
    call.run(Duration::from_secs(1), |call| tone.send(call, &mid, 0));
    let before = call.received[1].len();
    call.peers[0].restart_ice();
    call.negotiate(0);
    assert_ne!(call.peers[0].ice().local_credentials().ufrag(), old_ufrag);
    call.run(Duration::from_secs(5), |call| tone.send(call, &mid, 0));
    assert!(call.connected());
    assert_eq!(call.peers[0].srtp_profile(), profile);
    let after = call.received[1].len() - before;
    // 250 packets in 5 s; a few may be lost while the pair changes.
    assert!(after > 230, "{after} packets after the restart");
}

/// Sends every message of `plan` (channel, count, size) from peer `from`
/// as the channels open, and collects what arrives.
fn data_channels_carry(call: &mut Call, from: usize, channels: &[sansrtc::DataChannelId]) {
    let mut sent = vec![false; channels.len()];
    call.run(Duration::from_secs(20), |call| {
        for (i, id) in channels.iter().enumerate() {
            let open = call.events[from].iter().any(|e| {
                *e == Event::DataChannel {
                    id: *id,
                    event: sansrtc::DataChannelEvent::Open,
                }
            });
            if open && !sent[i] {
                for n in 0..1000u32 {
                    let text = format!("{i}:{n}");
                    call.peers[from]
                        .send_data(call.now, *id, sansrtc::Message::Text(&text))
                        .unwrap();
                }
                sent[i] = true;
            }
        }
    });
    assert!(
        sent.iter().all(|s| *s),
        "not every channel opened: {:?}",
        call.events[from]
    );
}

/// The messages peer `at` received, per channel label, in arrival order.
fn messages(call: &Call, at: usize) -> BTreeMap<String, Vec<String>> {
    let mut labels = BTreeMap::new();
    let mut by_label: BTreeMap<String, Vec<String>> = Default::default();
    for event in &call.events[at] {
        if let Event::DataChannel { id, event } = event {
            match event {
                sansrtc::DataChannelEvent::Incoming { label, .. } => {
                    labels.insert(*id, label.clone());
                }
                sansrtc::DataChannelEvent::Message(sansrtc::datachannel::Payload::Text(text)) => {
                    let label = labels
                        .get(id)
                        .cloned()
                        .or_else(|| call.peers[at].data_channel_label(*id).map(str::to_string))
                        .unwrap_or_default();
                    by_label.entry(label).or_default().push(text.clone());
                }
                _ => {}
            }
        }
    }
    by_label
}

#[test]
fn data_channels_deliver_as_promised_over_a_lossy_path() {
    use sansrtc::{ChannelOptions, Reliability};
    let link = Link {
        loss_permille: 50,
        ..Link::default()
    };
    let mut call = Call::new(7, link, [Some(Nat::RESTRICTED_CONE), None]);
    // Channels made before the offer; the offer carries m=application.
    let ordered = call.peers[0]
        .create_data_channel(ChannelOptions::new("ordered"))
        .unwrap();
    let unordered = call.peers[0]
        .create_data_channel(ChannelOptions::new("unordered").with_ordered(false))
        .unwrap();
    let unreliable = call.peers[0]
        .create_data_channel(
            ChannelOptions::new("unreliable")
                .with_ordered(false)
                .with_reliability(Reliability::MaxRetransmits(0)),
        )
        .unwrap();
    call.negotiate(0);
    data_channels_carry(&mut call, 0, &[ordered, unordered, unreliable]);
    // The burst made more SCTP packets than ICE queues at once, and more
    // messages than the event queue holds: nothing was dropped locally.
    assert!(
        call.peers[0].overflow().is_empty(),
        "{:?}",
        call.peers[0].overflow()
    );
    assert!(
        call.peers[1].overflow().is_empty(),
        "{:?}",
        call.peers[1].overflow()
    );
    let got = messages(&call, 1);
    let expected: Vec<String> = (0..1000).map(|n| format!("0:{n}")).collect();
    assert_eq!(got["ordered"], expected, "ordered: all, in order");
    let mut unordered_got = got["unordered"].clone();
    unordered_got.sort_by_key(|m| m[2..].parse::<u32>().unwrap());
    let expected: Vec<String> = (0..1000).map(|n| format!("1:{n}")).collect();
    assert_eq!(unordered_got, expected, "unordered: all, once each");
    let unreliable_got = got.get("unreliable").cloned().unwrap_or_default();
    let mut seen = BTreeSet::new();
    assert!(
        unreliable_got
            .iter()
            .all(|m| m.starts_with("2:") && seen.insert(m.clone()))
    );
    assert!(unreliable_got.len() <= 1000);
    // Closing one channel leaves the others working.
    call.peers[0]
        .close_data_channel(call.now, unordered)
        .unwrap();
    call.run(Duration::from_secs(3), |_| {});
    assert!(call.events[1].iter().any(|e| matches!(
        e,
        Event::DataChannel {
            event: sansrtc::DataChannelEvent::Closed,
            ..
        }
    )));
    call.peers[0]
        .send_data(call.now, ordered, sansrtc::Message::Text("after close"))
        .unwrap();
    call.run(Duration::from_secs(3), |_| {});
    assert_eq!(
        messages(&call, 1)["ordered"].last().map(String::as_str),
        Some("after close")
    );
}

#[test]
fn data_channels_join_an_audio_call_by_renegotiation() {
    let mut call = Call::new(8, Link::default(), [None, Some(Nat::FULL_CONE)]);
    let audio = call.peers[0]
        .add_transceiver(MediaKind::Audio, Direction::SendRecv)
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    assert!(call.connected());
    // The answerer asks for a channel and offers again.
    let chat = call.peers[1]
        .create_data_channel(sansrtc::ChannelOptions::new("chat"))
        .unwrap();
    call.negotiate(1);
    let mut tone = Tone::new();
    let mut said = false;
    call.run(Duration::from_secs(5), |call| {
        tone.send(call, &audio, 0);
        let open = call.events[1].iter().any(|e| {
            *e == Event::DataChannel {
                id: chat,
                event: sansrtc::DataChannelEvent::Open,
            }
        });
        if open && !said {
            call.peers[1]
                .send_data(call.now, chat, sansrtc::Message::Binary(&[1, 2, 3]))
                .unwrap();
            said = true;
        }
    });
    assert!(said);
    assert!(call.events[0].iter().any(|e| matches!(
        e,
        Event::DataChannel {
            event: sansrtc::DataChannelEvent::Message(sansrtc::datachannel::Payload::Binary(bytes)),
            ..
        } if bytes == &[1, 2, 3]
    )));
    // Audio kept flowing.
    assert!(call.received[0].len() > 200);
}

#[test]
fn data_channel_messages_wait_for_an_application_that_reads_late() {
    use sansrtc::{ChannelOptions, DataChannelEvent, MAX_QUEUED_EVENTS, Message};
    let mut call = Call::new(9, Link::default(), [None, Some(Nat::FULL_CONE)]);
    let chat = call.peers[0]
        .create_data_channel(ChannelOptions::new("chat"))
        .unwrap();
    call.negotiate(0);
    call.run(Duration::from_secs(10), |_| {});
    let open = Event::DataChannel {
        id: chat,
        event: DataChannelEvent::Open,
    };
    assert!(call.events[0].contains(&open));
    assert_eq!(messages(&call, 1).len(), 0);
    // Peer 1's application stops reading events; peer 0 sends three times
    // as many messages as its event queue holds.
    call.reading[1] = false;
    let count = 3 * MAX_QUEUED_EVENTS;
    for n in 0..count {
        call.peers[0]
            .send_data(call.now, chat, Message::Text(&format!("{n}")))
            .unwrap();
    }
    // What does not fit in peer 1's event queue waits in SCTP (the
    // messages are small: the receive window stays open).
    call.run(Duration::from_secs(5), |_| {});
    assert!(call.peers[1].overflow().is_empty());
    call.reading[1] = true;
    call.run(Duration::from_secs(10), |_| {});
    let expected: Vec<String> = (0..count).map(|n| format!("{n}")).collect();
    assert_eq!(messages(&call, 1)["chat"], expected);
    assert_eq!(call.peers[0].buffered_amount(chat), 0);
    assert!(call.peers[0].overflow().is_empty());
    assert!(call.peers[1].overflow().is_empty());
}
