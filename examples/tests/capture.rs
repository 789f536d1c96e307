//! The demo's call as tshark sees it on the loopback interface: a DTLS
//! handshake that negotiates the SRTP profile the summary names, then SRTP
//! and SRTCP both ways, and never the tone in clear.

// The test indexes tshark's field rows.
#![allow(clippy::indexing_slicing)]

use core::time::Duration;
use std::path::Path;
use std::process::{Command, Stdio};

use sansrtc::srtp::ProtectionProfile;
use sansrtc_examples::demo::{self, DemoOptions};
use sansrtc_examples::pcmu;
use sansrtc_examples::peer::Output;

/// Packets of the tone a peer sends, as PCMU payloads.
fn tone(hz: f64, packets: usize) -> Vec<Vec<u8>> {
    let mut tone = pcmu::Tone::new(hz, demo::TONE_AMPLITUDE);
    (0..packets).map(|_| tone.next_packet().to_vec()).collect()
}

fn tshark(args: &[&str]) -> String {
    let output = Command::new("tshark").args(args).output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_call_is_dtls_srtp_on_the_wire() {
    if Command::new("tshark").arg("--version").output().is_err() {
        eprintln!("skipped: tshark not installed");
        return;
    }
    let directory = std::env::temp_dir().join(format!("sansrtc-capture-{}", std::process::id()));
    std::fs::create_dir_all(&directory).unwrap();
    let file = directory.join("call.pcapng");
    let mut capture = Command::new("tshark")
        .args(["-i", "lo", "-f", "udp", "-w"])
        .arg(&file)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // tshark says so on stderr once it captures.
    let stderr = capture.stderr.take().unwrap();
    let (started, capturing) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        let mut sent = false;
        for line in std::io::BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
        {
            if !sent && line.contains("Capturing on") {
                sent = started.send(()).is_ok();
            }
        }
    });
    capturing
        .recv_timeout(Duration::from_secs(20))
        .expect("tshark captures on lo");

    let options = DemoOptions {
        duration: Duration::from_secs(1),
        output: Output::Quiet,
        ..DemoOptions::default()
    };
    let result = demo::call(&options).await.unwrap();
    assert_eq!(result.failure(), None);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let stopped = Command::new("kill")
        .args(["-INT", &capture.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    capture.wait().unwrap();
    check(&file, &result);
    std::fs::remove_dir_all(&directory).unwrap();
}

fn check(file: &Path, result: &demo::DemoResult) {
    let pair = result.alice.selected.clone().unwrap();
    let filter = format!(
        "udp.port == {} && udp.port == {}",
        pair.local_base.port(),
        pair.remote.port()
    );
    let file = file.to_str().unwrap();
    let fields = tshark(&[
        "-r",
        file,
        "-o",
        "rtp.heuristic_rtp:TRUE",
        "-Y",
        &filter,
        "-T",
        "fields",
        "-E",
        "separator=|",
        "-e",
        "frame.protocols",
        "-e",
        "dtls.handshake.type",
        "-e",
        "dtls.use_srtp.protection_profile",
        "-e",
        "srtp.enc_payload",
        "-e",
        "srtp.auth_tag",
    ]);
    let rows: Vec<Vec<&str>> = fields.lines().map(|l| l.split('|').collect()).collect();
    let handshake_types: Vec<&str> = rows
        .iter()
        .flat_map(|row| row[1].split(','))
        .filter(|t| !t.is_empty())
        .collect();
    // ClientHello (1), ServerHello (2), Certificate (11), Finished inside
    // the encrypted part.
    for (kind, name) in [
        ("1", "ClientHello"),
        ("2", "ServerHello"),
        ("11", "Certificate"),
    ] {
        assert!(
            handshake_types.contains(&kind),
            "no {name}: {handshake_types:?}"
        );
    }
    // The ServerHello names one profile: the one the summary reports.
    let profile = result.alice.srtp_profile.clone().unwrap();
    let id = ProtectionProfile::ALL
        .iter()
        .find(|p| p.name() == profile)
        .map(|p| format!("0x{:04x}", p.id()))
        .unwrap();
    let chosen: Vec<&str> = rows
        .iter()
        .filter(|row| row[1].split(',').any(|t| t == "2"))
        .map(|row| row[2])
        .collect();
    assert_eq!(chosen, [id.as_str()], "{profile}");

    // Media: RTP headers in clear; tshark ties the stream to the DTLS-SRTP
    // handshake and shows encrypted payloads and authentication tags.
    let media: Vec<&str> = rows
        .iter()
        .filter(|row| row[0].ends_with(":rtp"))
        .inspect(|row| assert!(!row[4].is_empty(), "no SRTP tag: {row:?}"))
        .map(|row| row[3])
        .collect();
    let sent = result.alice.packets_sent + result.bob.packets_sent;
    assert!(
        media.len() as u64 * 10 >= sent * 9,
        "{} of {sent} packets captured",
        media.len()
    );
    let plain: Vec<String> = tone(demo::ALICE_TONE_HZ, 200)
        .into_iter()
        .chain(tone(demo::BOB_TONE_HZ, 200))
        .map(|packet| hex(&packet))
        .collect();
    for payload in &media {
        assert_eq!(payload.len(), 2 * pcmu::SAMPLES_PER_PACKET, "{payload}");
        assert!(
            !plain.iter().any(|p| payload.contains(p.as_str())),
            "a tone packet in clear: {payload}"
        );
    }
    let rtcp = rows.iter().filter(|row| row[0].ends_with(":rtcp")).count();
    assert!(rtcp >= 2, "{rtcp} RTCP packets");
    eprintln!(
        "tshark: DTLS handshake ({profile}), {} SRTP and {rtcp} SRTCP packets, no tone in clear",
        media.len()
    );
}
