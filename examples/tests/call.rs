//! The demo's call, end to end on 127.0.0.1: signaling, STUN, ICE,
//! DTLS-SRTP, RTP and RTCP, the loss injection and the WAV recording.

use core::time::Duration;
use std::process::Command;

use sansrtc_examples::demo::{self, DemoOptions, DemoResult};
use sansrtc_examples::peer::{CallSummary, Output};
use sansrtc_examples::{pcmu, wav};

fn options(seconds: f64, loss_percent: f64) -> DemoOptions {
    DemoOptions {
        duration: Duration::from_secs_f64(seconds),
        loss_percent,
        output: Output::Quiet,
        ..DemoOptions::default()
    }
}

fn directions(result: &DemoResult) -> [(&'static str, &CallSummary, &CallSummary); 2] {
    [
        ("alice -> bob", &result.alice, &result.bob),
        ("bob -> alice", &result.bob, &result.alice),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_agents_connect_on_one_pair_and_media_flows_both_ways() {
    let result = demo::call(&options(3.0, 0.0)).await.unwrap();
    assert!(result.alice.offerer && !result.bob.offerer);
    assert!(result.alice.connected && result.bob.connected);
    let (a, b) = (
        result.alice.selected.clone().unwrap(),
        result.bob.selected.clone().unwrap(),
    );
    assert_eq!(a.local_base, b.remote, "{a:?} {b:?}");
    assert_eq!(b.local_base, a.remote, "{a:?} {b:?}");
    assert!(result.same_pair());
    assert_eq!(result.failure(), None);
    for (name, from, to) in directions(&result) {
        // 3 s of 20 ms packets (fewer if the machine stalled the sender).
        assert!(
            (100..=160).contains(&from.packets_sent),
            "{name}: {}",
            from.packets_sent
        );
        let delivery = DemoResult::delivery(from, to);
        assert!(delivery >= 0.95, "{name}: {delivery}");
        assert_eq!(to.bytes_received, to.packets_received * 160, "{name}");
        assert_eq!(from.packets_dropped, 0);
        assert_eq!(to.packets_lost, 0, "{name}");
    }
    // DTLS keyed SRTP with one profile; the offerer (actpass) is the DTLS
    // server, the answerer (active) the client.
    let profile = result.alice.srtp_profile.clone().unwrap();
    assert!(profile.starts_with("SRTP_"), "{profile}");
    assert_eq!(result.bob.srtp_profile.as_deref(), Some(profile.as_str()));
    assert_eq!(result.alice.dtls_role.as_deref(), Some("server"));
    assert_eq!(result.bob.dtls_role.as_deref(), Some("client"));
    assert_eq!(
        (result.alice.failure.clone(), result.bob.failure.clone()),
        (None, None)
    );
    assert!(result.bob.bye_received, "alice hangs up with an RTCP BYE");
    assert_eq!(result.alice.end_reason, "hung up after 3 s");
    assert_eq!(result.bob.end_reason, "the other side hung up");
}

/// With 5 % of the SRTP and SRTCP packets dropped on the way out, the
/// receivers see the gaps, ask for the missing packets with NACKs and get
/// them back as RTX retransmissions; nothing arrives twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn injected_loss_is_repaired_by_nack_and_retransmission() {
    let result = demo::call(&options(3.0, 5.0)).await.unwrap();
    assert_eq!(result.failure(), None);
    let mut dropped = 0;
    for (name, from, to) in directions(&result) {
        dropped += from.packets_dropped;
        assert!(to.packets_received <= from.packets_sent, "{name}");
        let delivery = DemoResult::delivery(from, to);
        assert!(delivery >= 0.95, "{name}: {delivery}");
        assert!(
            to.retransmissions_received <= from.retransmissions_sent,
            "{name}"
        );
        // A drop in the last packets before the hang-up may go unnoticed;
        // two or more leave a gap the receiver asks about.
        if from.packets_dropped > 1 {
            assert!(to.nacks_sent >= 1, "{name}: {to:?}");
            assert!(from.retransmissions_sent >= 1, "{name}: {from:?}");
        }
    }
    // About 300 packets at 5 %: 15 expected; fewer than 3 would make the
    // test say nothing.
    assert!(dropped >= 3, "only {dropped} packets dropped");
}

/// Power of `frequency` in `samples` (Goertzel).
fn power(samples: &[i16], frequency: f64) -> f64 {
    let coefficient = 2.0 * (core::f64::consts::TAU * frequency / 8000.0).cos();
    let (mut s1, mut s2) = (0.0, 0.0);
    for sample in samples {
        let s0 = f64::from(*sample) + coefficient * s1 - s2;
        s2 = s1;
        s1 = s0;
    }
    s1 * s1 + s2 * s2 - coefficient * s1 * s2
}

/// The frequency between 100 and 1000 Hz (5 Hz steps) with the most power.
fn dominant_frequency(samples: &[i16]) -> f64 {
    (20..=200)
        .map(|step| f64::from(step) * 5.0)
        .max_by(|a, b| power(samples, *a).total_cmp(&power(samples, *b)))
        .unwrap()
}

fn rms(samples: &[i16]) -> f64 {
    let sum: f64 = samples.iter().map(|s| f64::from(*s).powi(2)).sum();
    (sum / samples.len() as f64).sqrt()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_hold_the_other_side_s_tone() {
    let directory = std::env::temp_dir().join(format!("sansrtc-call-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let (alice_file, bob_file) = (directory.join("alice.wav"), directory.join("bob.wav"));
    let mut options = options(2.0, 0.0);
    options.record = Some((alice_file.clone(), bob_file.clone()));
    let result = demo::call(&options).await.unwrap();
    assert_eq!(result.failure(), None);
    // Full scale times the amplitude, over the square root of 2 for a sine.
    let expected_rms = demo::TONE_AMPLITUDE * f64::from(i16::MAX) / 2f64.sqrt();
    for (file, sent_hz, other_hz, receiver) in [
        (
            &bob_file,
            demo::ALICE_TONE_HZ,
            demo::BOB_TONE_HZ,
            &result.bob,
        ),
        (
            &alice_file,
            demo::BOB_TONE_HZ,
            demo::ALICE_TONE_HZ,
            &result.alice,
        ),
    ] {
        let recording = wav::parse(&std::fs::read(file).unwrap()).unwrap();
        assert_eq!(recording.sample_rate, pcmu::SAMPLE_RATE);
        assert_eq!(recording.samples, receiver.recording);
        // About 2 s of audio.
        let seconds = recording.samples.len() as f64 / 8000.0;
        assert!((1.8..=2.3).contains(&seconds), "{seconds} s");
        let middle = recording.samples.get(4000..12_000).unwrap();
        let found = dominant_frequency(middle);
        assert_eq!(found, sent_hz, "{}", file.display());
        assert!(power(middle, sent_hz) > 100.0 * power(middle, other_hz));
        let level = rms(middle);
        assert!(
            (level / expected_rms - 1.0).abs() < 0.05,
            "{}: rms {level}, expected {expected_rms}",
            file.display()
        );
    }
    std::fs::remove_dir_all(&directory).unwrap();
}

#[test]
fn demo_program_reports_the_call_and_exits_zero() {
    let output = Command::new(env!("CARGO_BIN_EXE_demo"))
        .args(["--seconds", "1.5"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    for expected in [
        "alice  the other peer joined: sending offer",
        "bob    sending answer",
        "connectivity check to 127.0.0.1:",
        "selected pair host 127.0.0.1:",
        "ICE Completed",
        "DTLS Connected (we are the server)",
        "DTLS-SRTP keyed: SRTP_",
        "stats: sent ",
        "sent RTCP BYE",
        "same pair on both sides: yes",
        "DTLS-SRTP: SRTP_",
        "call succeeded",
    ] {
        assert!(stdout.contains(expected), "{expected:?} not in\n{stdout}");
    }
}

#[test]
fn demo_program_rejects_bad_arguments() {
    for args in [&["--loss", "80"][..], &["--seconds", "x"], &["--bogus"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_demo"))
            .args(args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
    }
}
