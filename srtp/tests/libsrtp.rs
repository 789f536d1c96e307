//! Differential tests against libsrtp 2, the reference implementation
//! (and the one inside Chromium), driven through a small C harness
//! (`tests/libsrtp/harness.c`) that this test compiles with `cc` and
//! talks to over a line protocol on its stdin and stdout.
//!
//! For every profile: 10 000 random RTP packets (CSRCs, header extensions,
//! payloads of 0 to 1200 bytes) on three SSRCs whose sequence numbers cross
//! a rollover (one sender starts at 65 530), protected by both sides (the
//! bytes must be equal) and each side's output unprotected by the other;
//! 10 000 random RTCP packets protected by each side and unprotected by
//! the other; then a shuffled, duplicated and partly corrupted stream of
//! SRTP and of SRTCP packets fed to both receivers, whose verdicts (accept,
//! replay, too old, authentication failure) must agree packet by packet.
//!
//! Needs `cc`, libsrtp2 and its headers (Debian: `libsrtp2-1`,
//! `libsrtp2-dev`); without them the test says it was skipped.

#![allow(clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};

#[path = "../../support/hex.rs"]
mod hex;

use hex::{hex, to_hex};
use sansrtc_srtp::{Config, MasterKey, ProtectionProfile, Session, UnprotectError};

const PACKETS: usize = 10_000;

/// xorshift64*: reproducible random bytes without a dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next() as u8).collect()
    }
}

/// libsrtp's answer: the packet, or its `srtp_err_status_t`.
type Answer = Result<Vec<u8>, i32>;

/// `srtp_err_status_bad_param`, `_auth_fail`, `_replay_fail`,
/// `_replay_old`.
const BAD_PARAM: i32 = 2;
const AUTH_FAIL: i32 = 7;
const REPLAY_FAIL: i32 = 9;
const REPLAY_OLD: i32 = 10;

struct Libsrtp {
    child: Child,
    stdin: ChildStdin,
    stdout: BufReader<ChildStdout>,
    dir: PathBuf,
}

impl Libsrtp {
    /// Compiles and starts the harness, or says why it cannot.
    fn start() -> Option<Self> {
        let have_cc = Command::new("cc")
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success());
        let have_header = Path::new("/usr/include/srtp2/srtp.h").exists();
        if !have_cc || !have_header {
            // Past the harness's capture, so `.ci/run` sees it.
            let _ = writeln!(std::io::stderr(), "skipped: libsrtp not installed");
            return None;
        }
        // One directory per harness: the tests run in parallel in one
        // process, and each removes its own when it ends.
        static HARNESSES: core::sync::atomic::AtomicUsize = core::sync::atomic::AtomicUsize::new(0);
        let number = HARNESSES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!(
            "sansrtc-srtp-libsrtp-{}-{number}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir).unwrap();
        let binary = dir.join("harness");
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/libsrtp/harness.c");
        let output = Command::new("cc")
            .args(["-O2", "-Wall", "-o"])
            .arg(&binary)
            .arg(&source)
            .arg("-lsrtp2")
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "the harness does not compile: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let mut child = Command::new(&binary)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let stdin = child.stdin.take().unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        Some(Self {
            child,
            stdin,
            stdout,
            dir,
        })
    }

    fn call(&mut self, line: &str) -> Answer {
        writeln!(self.stdin, "{line}").unwrap();
        self.stdin.flush().unwrap();
        let mut answer = String::new();
        self.stdout.read_line(&mut answer).unwrap();
        let answer = answer.trim_end();
        if let Some(status) = answer.strip_prefix("err ") {
            return Err(status.parse().unwrap());
        }
        let rest = answer
            .strip_prefix("ok")
            .unwrap_or_else(|| panic!("harness answered {answer:?}"));
        Ok(hex(rest.trim_start()))
    }

    fn new_session(
        &mut self,
        id: u32,
        key: &MasterKey,
        inbound: bool,
        window: u32,
        encrypt_rtcp: bool,
    ) {
        let mut key_and_salt = key.key().to_vec();
        key_and_salt.extend_from_slice(key.salt());
        let line = format!(
            "new {id} {} {} {window} {} {}",
            key.profile().id(),
            if inbound { "in" } else { "out" },
            u8::from(encrypt_rtcp),
            to_hex(&key_and_salt)
        );
        assert_eq!(self.call(&line), Ok(Vec::new()), "{line}");
    }

    fn packet(&mut self, command: &str, id: u32, packet: &[u8]) -> Answer {
        self.call(&format!("{command} {id} {}", to_hex(packet)))
    }
}

impl Drop for Libsrtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn random_key(rng: &mut Rng, profile: ProtectionProfile) -> MasterKey {
    MasterKey::new(
        profile,
        &rng.bytes(profile.master_key_len()),
        &rng.bytes(profile.master_salt_len()),
    )
    .unwrap()
}

/// A random RTP packet: 0-3 CSRCs, an extension or not, 0-1200 bytes of
/// payload.
fn rtp_packet(rng: &mut Rng, ssrc: u32, sequence_number: u16) -> Vec<u8> {
    let csrcs = rng.below(4) as u8;
    let extension = rng.below(2) == 1;
    let mut packet = vec![
        0x80 | (u8::from(extension) << 4) | csrcs,
        rng.below(256) as u8,
    ];
    packet.extend_from_slice(&sequence_number.to_be_bytes());
    packet.extend_from_slice(&rng.bytes(4));
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend(rng.bytes(4 * usize::from(csrcs)));
    if extension {
        let words = rng.below(4) as u16;
        packet.extend_from_slice(&[0xbe, 0xde]);
        packet.extend_from_slice(&words.to_be_bytes());
        packet.extend(rng.bytes(4 * usize::from(words)));
    }
    let payload = rng.below(1201) as usize;
    packet.extend(rng.bytes(payload));
    packet
}

/// A random RTCP packet: a sender report header of `ssrc` and 0-300
/// words.
fn rtcp_packet(rng: &mut Rng, ssrc: u32) -> Vec<u8> {
    let words = rng.below(301) as u16;
    let mut packet = vec![0x80, 200];
    packet.extend_from_slice(&(words + 1).to_be_bytes());
    packet.extend_from_slice(&ssrc.to_be_bytes());
    packet.extend(rng.bytes(4 * usize::from(words)));
    packet
}

fn protect_rtp(session: &mut Session, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + session.rtp_overhead(), 0);
    let len = session.protect_rtp(&mut buf, packet.len()).unwrap();
    buf.truncate(len);
    buf
}

fn protect_rtcp(session: &mut Session, packet: &[u8]) -> Vec<u8> {
    let mut buf = packet.to_vec();
    buf.resize(packet.len() + session.rtcp_overhead(), 0);
    let len = session.protect_rtcp(&mut buf, packet.len()).unwrap();
    buf.truncate(len);
    buf
}

fn unprotect(session: &mut Session, packet: &[u8], rtcp: bool) -> Result<Vec<u8>, UnprotectError> {
    let mut buf = packet.to_vec();
    let len = if rtcp {
        session.unprotect_rtcp(&mut buf)?
    } else {
        session.unprotect_rtp(&mut buf)?
    };
    buf.truncate(len);
    Ok(buf)
}

fn config(window: u32) -> Config {
    let mut config = Config::default();
    config.replay_window = window;
    config
}

#[test]
fn protects_and_unprotects_like_libsrtp_both_ways() {
    let Some(mut libsrtp) = Libsrtp::start() else {
        return;
    };
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for profile in ProtectionProfile::ALL {
        let key = random_key(&mut rng, profile);
        libsrtp.new_session(0, &key, false, 1024, true);
        libsrtp.new_session(1, &key, true, 1024, true);
        let mut sender = Session::new(&key, config(1024)).unwrap();
        let mut receiver = Session::new(&key, config(1024)).unwrap();

        // Three senders; 3 333 packets each cross a rollover for the
        // first two.
        let mut streams = [
            (0x1111_1111u32, 62_000u16),
            (0x2222_2222, 65_530),
            (0x3333_3333, 17),
        ];
        for i in 0..PACKETS {
            let (ssrc, sequence_number) = &mut streams[i % 3];
            let packet = rtp_packet(&mut rng, *ssrc, *sequence_number);
            *sequence_number = sequence_number.wrapping_add(1);

            let ours = protect_rtp(&mut sender, &packet);
            let theirs = libsrtp.packet("rtp+", 0, &packet).unwrap();
            assert_eq!(ours, theirs, "{profile}: packet {i} protected differently");
            assert_eq!(
                libsrtp.packet("rtp-", 1, &ours),
                Ok(packet.clone()),
                "{profile}: {i}"
            );
            assert_eq!(
                unprotect(&mut receiver, &theirs, false),
                Ok(packet),
                "{profile}: {i}"
            );
        }
        for (ssrc, sequence_number) in streams {
            let wrapped = u32::from(sequence_number < 20_000 && ssrc != 0x3333_3333);
            assert_eq!(
                receiver.rollover_counter(ssrc, false),
                Some(wrapped),
                "{profile}"
            );
        }

        for i in 0..PACKETS {
            let ssrc = [0x1111_1111, 0x4444_4444][i % 2];
            let packet = rtcp_packet(&mut rng, ssrc);
            let ours = protect_rtcp(&mut sender, &packet);
            assert_eq!(
                libsrtp.packet("rtcp-", 1, &ours),
                Ok(packet.clone()),
                "{profile}: {i}"
            );
            let theirs = libsrtp.packet("rtcp+", 0, &packet).unwrap();
            assert_eq!(theirs.len(), ours.len());
            assert_eq!(
                unprotect(&mut receiver, &theirs, true),
                Ok(packet),
                "{profile}: {i}"
            );
        }
        eprintln!("libsrtp: {profile}: {PACKETS} RTP and {PACKETS} RTCP packets agree both ways");
    }
}

#[test]
fn unencrypted_srtcp_agrees_with_libsrtp() {
    let Some(mut libsrtp) = Libsrtp::start() else {
        return;
    };
    let mut rng = Rng(0x5eed_1234_abcd_0002);
    for profile in ProtectionProfile::ALL {
        let key = random_key(&mut rng, profile);
        libsrtp.new_session(0, &key, false, 128, false);
        libsrtp.new_session(1, &key, true, 128, false);
        let mut config = config(128);
        config.encrypt_rtcp = false;
        let mut sender = Session::new(&key, config.clone()).unwrap();
        let mut receiver = Session::new(&key, config).unwrap();
        for i in 0..1000 {
            let packet = rtcp_packet(&mut rng, 0x0102_0304);
            let ours = protect_rtcp(&mut sender, &packet);
            // Clear text, E flag 0.
            assert_eq!(ours[..packet.len()], packet[..]);
            assert_eq!(
                libsrtp.packet("rtcp-", 1, &ours),
                Ok(packet.clone()),
                "{profile}: {i}"
            );
            let theirs = libsrtp.packet("rtcp+", 0, &packet).unwrap();
            assert_eq!(
                unprotect(&mut receiver, &theirs, true),
                Ok(packet),
                "{profile}: {i}"
            );
        }
    }
}

/// What a receiver said of one packet.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Verdict {
    Accepted(Vec<u8>),
    Replayed,
    TooOld,
    AuthenticationFailed,
    /// Not a packet the receiver can read (a corrupted header).
    Malformed,
    Other(String),
}

fn ours(result: Result<Vec<u8>, UnprotectError>) -> Verdict {
    match result {
        Ok(plain) => Verdict::Accepted(plain),
        Err(UnprotectError::Replayed { .. }) => Verdict::Replayed,
        Err(UnprotectError::TooOld { .. }) => Verdict::TooOld,
        Err(UnprotectError::AuthenticationFailed) => Verdict::AuthenticationFailed,
        Err(UnprotectError::Malformed { .. } | UnprotectError::TooShort { .. }) => {
            Verdict::Malformed
        }
        Err(other) => Verdict::Other(other.to_string()),
    }
}

fn theirs(answer: Answer) -> Verdict {
    match answer {
        Ok(plain) => Verdict::Accepted(plain),
        Err(REPLAY_FAIL) => Verdict::Replayed,
        Err(REPLAY_OLD) => Verdict::TooOld,
        Err(AUTH_FAIL) => Verdict::AuthenticationFailed,
        Err(BAD_PARAM) => Verdict::Malformed,
        Err(status) => Verdict::Other(format!("libsrtp status {status}")),
    }
}

/// `packets` reordered (each moved back by up to `spread` places),
/// with one in eight sent again later and one in sixteen corrupted by
/// one bit flipped after its first `keep_clear` bytes.
fn shuffle(rng: &mut Rng, packets: &[Vec<u8>], spread: u64, keep_clear: usize) -> Vec<Vec<u8>> {
    let mut keyed: Vec<(u64, Vec<u8>)> = Vec::new();
    for (i, packet) in packets.iter().enumerate() {
        let at = i as u64 * 4;
        keyed.push((at + rng.below(spread * 4 + 1), packet.clone()));
        if rng.below(8) == 0 {
            keyed.push((at + rng.below(spread * 8 + 1), packet.clone()));
        }
        if rng.below(16) == 0 {
            let mut corrupted = packet.clone();
            let bit = keep_clear * 8 + rng.below(((packet.len() - keep_clear) * 8) as u64) as usize;
            corrupted[bit / 8] ^= 1 << (bit % 8);
            keyed.push((at + rng.below(spread * 4 + 1), corrupted));
        }
    }
    keyed.sort_by_key(|(at, _)| *at);
    keyed.into_iter().map(|(_, packet)| packet).collect()
}

fn compare_verdicts(
    libsrtp: &mut Libsrtp,
    receiver: &mut Session,
    stream: &[Vec<u8>],
    rtcp: bool,
    what: &str,
) -> [usize; 4] {
    let mut counts = [0; 4];
    for (i, packet) in stream.iter().enumerate() {
        let command = if rtcp { "rtcp-" } else { "rtp-" };
        let expected = theirs(libsrtp.packet(command, 1, packet));
        let got = ours(unprotect(receiver, packet, rtcp));
        assert_eq!(got, expected, "{what}: packet {i} of the shuffled stream");
        counts[match got {
            Verdict::Accepted(_) => 0,
            Verdict::Replayed => 1,
            Verdict::TooOld => 2,
            _ => 3,
        }] += 1;
    }
    counts
}

#[test]
fn replay_verdicts_agree_with_libsrtp_on_a_shuffled_stream() {
    let Some(mut libsrtp) = Libsrtp::start() else {
        return;
    };
    let mut rng = Rng(0x5eed_1234_abcd_0003);
    for profile in ProtectionProfile::ALL {
        // SRTCP's window is fixed at 128 in libsrtp; SRTP's follows the
        // policy.
        for (window, spread) in [(128, 150), (1024, 1200)] {
            let key = random_key(&mut rng, profile);
            libsrtp.new_session(0, &key, false, window, true);
            libsrtp.new_session(1, &key, true, window, true);
            let mut receiver = Session::new(&key, config(window)).unwrap();

            let mut rtp = Vec::new();
            let mut streams = [(0xaaaa_0001u32, 60_000u16), (0xaaaa_0002, 65_530)];
            for i in 0..PACKETS {
                let (ssrc, sequence_number) = &mut streams[i % 2];
                let packet = rtp_packet(&mut rng, *ssrc, *sequence_number);
                *sequence_number = sequence_number.wrapping_add(1);
                rtp.push(libsrtp.packet("rtp+", 0, &packet).unwrap());
            }
            let stream = shuffle(&mut rng, &rtp, spread, 12);
            let counts =
                compare_verdicts(&mut libsrtp, &mut receiver, &stream, false, profile.name());
            assert!(counts.iter().all(|&n| n > 0), "{profile}: {counts:?}");
            eprintln!(
                "libsrtp: {profile}: window {window}: {} shuffled SRTP packets, same verdicts \
                 (accepted, replayed, too old, refused: {counts:?})",
                stream.len()
            );

            if window == 128 {
                let mut rtcp = Vec::new();
                for i in 0..PACKETS {
                    let packet = rtcp_packet(&mut rng, [0xbbbb_0001, 0xbbbb_0002][i % 2]);
                    rtcp.push(libsrtp.packet("rtcp+", 0, &packet).unwrap());
                }
                let stream = shuffle(&mut rng, &rtcp, spread, 8);
                let counts =
                    compare_verdicts(&mut libsrtp, &mut receiver, &stream, true, profile.name());
                assert!(counts.iter().all(|&n| n > 0), "{profile}: {counts:?}");
                eprintln!(
                    "libsrtp: {profile}: {} shuffled SRTCP packets, same verdicts \
                     (accepted, replayed, too old, refused: {counts:?})",
                    stream.len()
                );
            }
        }
    }
}
