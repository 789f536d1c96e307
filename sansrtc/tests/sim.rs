//! Two peers on `ice`'s simulated network (NATs, latency, loss): they
//! connect through ICE, DTLS and SRTP and exchange media both ways; a wrong
//! fingerprint fails cleanly; renegotiation adds video mid-call; an ICE
//! restart keeps SRTP running.

// The virtual clock starts at an arbitrary instant.
#![allow(
    clippy::disallowed_methods,
    clippy::indexing_slicing,
    clippy::needless_range_loop
)]

mod common;

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
