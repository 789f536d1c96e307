#!/usr/bin/env python3
"""Chromium against the example peer, in a network namespace.

Runs, inside a fresh network namespace with only `lo` up: the `signal`
server (which also serves interop/chromium.html), coturn for the relay
case, one headless Chromium on the page, which goes through the cases in
order, and for each case the example `peer` (JSON lines, recording what
it receives to WAV). Each case but `wrong-fingerprint` passes when both
sides are connected (ICE and DTLS, in the DTLS roles the offer decides,
with the same SRTP profile) on the same pair, Chromium hears our PCMU tone
(getStats: packets and audio energy) and our recording holds the beeps of
Chromium's fake microphone.

Usage (as root; interop/chromium.sh builds the programs and calls this):

    python3 interop/chromium.py --bin target/debug [--case NAME]... [--save-test-data]

`--save-test-data` also captures the loopback traffic of two cases with
tshark and writes Chromium's STUN messages to stun/tests/data/chromium/
and the session descriptions to sdp/tests/data/chromium-ice/.
"""

import argparse
import array
import hashlib
import json
import math
import os
import pathlib
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import wave

ROOT = pathlib.Path(__file__).resolve().parent.parent
SIGNAL_PORT = 8080
TURN_PORT = 3478
TURN_USER = "sansrtc"
TURN_PASSWORD = "interop-password"
TURN_REALM = "sansrtc.test"

# name: (what it shows, page options, peer options). Every case but
# `wrong-fingerprint` checks DTLS-SRTP and audio both ways: our PCMU tone
# reaches Chromium (inbound-rtp packets and audio energy) and Chromium's
# fake microphone reaches our peer (its WAV recording holds the beeps).
CASES = {
    "chromium-offers": (
        "Chromium offers sendrecv audio (controlling), our peer answers PCMU only and is the DTLS client",
        {"offer": True},
        ["--answer"],
    ),
    "sansrtc-offers": (
        "our peer offers PCMU (controlling, nominates) and is the DTLS server, Chromium answers",
        {},
        [],
    ),
    "sansrtc-ice-lite": (
        "our peer offers as an ICE-lite agent, Chromium answers and controls",
        {},
        ["--ice-lite"],
    ),
    "late-trickle": (
        "trickle both ways, our candidates 1.5 s after our answer",
        {"offer": True, "settle": 3000},
        ["--answer", "--late-candidates", "1.5"],
    ),
    "restart-by-sansrtc": (
        "our peer offers, then restarts ICE with a new offer mid-call; media goes on",
        {"wait_restart": True},
        ["--restart-after", "2.5"],
    ),
    "restart-by-chromium": (
        "Chromium offers, then restarts ICE mid-call (createOffer iceRestart); media goes on",
        {"offer": True, "restart": True},
        ["--answer"],
    ),
    "relay": (
        "Chromium with iceTransportPolicy relay through coturn; our peer with --turn",
        {"offer": True, "turn": f"{TURN_USER}:{TURN_PASSWORD}@127.0.0.1:{TURN_PORT}"},
        ["--answer", "--turn", f"{TURN_USER}:{TURN_PASSWORD}@127.0.0.1:{TURN_PORT}"],
    ),
    "tcp": (
        "UDP dropped in the namespace: Chromium's active TCP candidate reaches our passive one (ICE-TCP); "
        "our peer offers and nominates the TCP pair once its UDP checks have had a second",
        {"settle": 3000},
        ["--tcp"],
    ),
    "wrong-fingerprint": (
        "our offer carries another certificate's fingerprint: Chromium refuses DTLS, no media flows",
        {"expect_failure": True},
        ["--forge-fingerprint"],
    ),
    "data-from-chromium": (
        "Chromium offers data channels (ordered, unordered, maxRetransmits 0, and one pre-negotiated on "
        "stream 43 on both sides) and sends text and binary of 0 B to 256 KiB on each, which our peer echoes; "
        "Chromium checks every echo byte for byte, then closes echo-ordered, which our peer sees",
        {"offer": True, "data": "chromium-opens", "negotiated_id": 43, "linger": 1000},
        ["--answer", "--data", "--echo-negotiated", "43"],
    ),
    "data-to-chromium": (
        "our peer offers data channels (ordered, unordered, and one pre-negotiated on stream 42 on both "
        "sides) and sends text and binary of 0 B to 256 KiB on each, which Chromium echoes; our peer checks "
        "every echo, then closes probe-ordered, which Chromium sees, and hangs up once the close completed",
        {"data": "sansrtc-opens", "negotiated_id": 42, "linger": 5000},
        ["--probe", "--hang-up-when-done"],
    ),
    "data-file": (
        "16 MiB each way at once: our peer's file to Chromium and Chromium's to our peer (64 KiB messages "
        "paced by bufferedAmount), each SHA-256 checked by the receiver; Chromium then closes its file "
        "channel, which our peer sees",
        {"offer": True, "data": "file", "file_size": 16 * 1024 * 1024, "file_from_peer": True, "linger": 1000},
        ["--answer", "--data", "--send-file", "{file}"],
    ),
    "video-from-chromium": (
        "Chromium offers its fake camera as VP8 besides audio; our peer records the frames to IVF "
        "(--record-video), which ffmpeg decodes to Chromium's frame count and size",
        {"offer": True, "video": "send"},
        ["--answer"],
    ),
    "video-to-chromium": (
        "our peer offers a VP8 IVF file ffmpeg encoded (--send-video); Chromium decodes it at its size",
        {"video": "recv"},
        [],
    ),
    "opus-from-chromium": (
        "Chromium offers Opus, our peer answers Opus and PCMU and records the Opus to Ogg (--record-opus), "
        "which ffmpeg decodes to about as long as Chromium sent",
        {"offer": True, "opus": True},
        ["--answer"],
    ),
}
# The file our peer sends in `data-file` (random bytes, made once).
DATA_FILE_SIZE = 16 * 1024 * 1024
# What the probes send on each channel: text and binary of each size.
PROBE_MESSAGES = 2 * 8
# Without retransmissions a message is lost with any one of its packets.
# Over loopback the kernel drops bursts when a socket's receive buffer is
# full (the namespace counts RcvbufErrors), and a 64 KiB or 256 KiB
# message is a burst of 50 to 200 packets: on Chromium's maxRetransmits 0
# probe those may be lost. Every message of at most this many bytes must
# come back, and none may come back changed or twice.
UNRELIABLE_ALWAYS_BACK = 16384


def may_be_lost(label, lost):
    """Whether a probe message reported lost (`... of N bytes ...`) is
    one that the channel labelled `label` may lose."""
    size = re.search(r"of (\d+) ", lost)
    return label == "echo-unreliable" and size is not None and int(size.group(1)) > UNRELIABLE_ALWAYS_BACK
# The files of the video and Opus cases, in the run's directory: the
# option, the file name, and whether our peer writes it (else the run
# makes it first with ffmpeg).
MEDIA_FILES = {
    "video-from-chromium": ("--record-video", "video-from-chromium.ivf"),
    "video-to-chromium": ("--send-video", "testsrc-320x240.ivf"),
    "opus-from-chromium": ("--record-opus", "opus-from-chromium.ogg"),
}
# The clip our peer sends: ffmpeg's test pattern, 320x240 at 30 frames a
# second, 3 s (it loops), a keyframe a second.
CLIP_SIZE = (320, 240)
# Cases run with every UDP packet in the namespace dropped (an nftables or
# iptables rule added before the case and removed after it).
UDP_BLOCKED_CASES = ("tcp",)
NFT_TABLE = "sansrtc_block_udp"
CAPTURED_CASES = ("chromium-offers", "sansrtc-offers")
CASE_TIMEOUT = 30.0
# The W3C stats' name of each SRTP profile (RTCTransportStats.srtpCipher);
# Chromium uses the RFC 5764 names, as we do.
SRTP_CIPHERS = {
    "SRTP_AES128_CM_HMAC_SHA1_80": "AES_CM_128_HMAC_SHA1_80",
    "SRTP_AES128_CM_HMAC_SHA1_32": "AES_CM_128_HMAC_SHA1_32",
    "SRTP_AEAD_AES_128_GCM": "AEAD_AES_128_GCM",
    "SRTP_AEAD_AES_256_GCM": "AEAD_AES_256_GCM",
}

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
    "--autoplay-policy=no-user-gesture-required",
    "--allow-loopback-in-peer-connection", "--enable-logging=stderr", "--v=0",
    "--vmodule=*/p2p/*=1,*/pc/*=1",
]


class Process:
    """A program in the namespace; its output lines are kept and queued."""

    def __init__(self, netns, args, name):
        self.name = name
        self.lines = []
        self.queue = queue.Queue()
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", netns, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            errors="replace",
        )
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            line = line.rstrip("\n")
            self.lines.append(line)
            self.queue.put(line)
        self.queue.put(None)

    def wait_for(self, predicate, timeout):
        """The first new line matching `predicate`, or None at the timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.queue.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self.queue.put(None)
                return None
            if predicate(line):
                return line

    def stop(self, sig=signal.SIGTERM, grace=5.0):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def peer_events(peer):
    events = []
    for line in peer.lines:
        try:
            events.append(json.loads(line))
        except ValueError:
            pass
    return events


def chromium_log(lines, limit=80):
    """Chromium's own log lines worth showing (WebRTC, errors, the page),
    with runs of the same message folded into one line."""
    keep = []
    previous, repeats = None, 0
    for line in lines:
        if not any(word in line for word in ("CONSOLE", "p2p", "/pc/", "dtls", "ERROR", "FATAL")):
            continue
        if "SANSRTC-RESULT" in line or "dbus" in line or "zygote" in line:
            continue
        # The page's console lines end with its (long) address.
        line = line.split('", source: ', 1)[0]
        message = line.split("] ", 1)[-1]
        if message == previous:
            repeats += 1
            continue
        if repeats:
            keep.append(f"    (and {repeats} more times)")
        keep.append(line)
        previous, repeats = message, 0
    if repeats:
        keep.append(f"    (and {repeats} more times)")
    return keep[-limit:]


def result_of(line):
    """The JSON of a `SANSRTC-RESULT` console line."""
    text = line.split("SANSRTC-RESULT ", 1)[1]
    end = text.rfind("}")
    return json.loads(text[: end + 1])


def address(candidate):
    if not candidate:
        return None
    host = candidate["address"]
    return f"[{host}]:{candidate['port']}" if ":" in host else f"{host}:{candidate['port']}"


def beeps(path):
    """Loud 20 ms windows in a WAV recording of 8 kHz 16-bit samples, the
    recording's length in seconds, and its peak."""
    with wave.open(str(path)) as recording:
        frames = recording.readframes(recording.getnframes())
    samples = array.array("h", frames)
    if sys.byteorder != "little":
        samples.byteswap()
    loud = 0
    for start in range(0, len(samples) - 160 + 1, 160):
        window = samples[start:start + 160]
        rms = math.sqrt(sum(s * s for s in window) / len(window))
        loud += rms > 300
    return loud, len(samples) / 8000.0, max((abs(s) for s in samples), default=0)


def data_file(profile_root):
    """The file our peer sends, made on first use; returns (path, SHA-256)."""
    path = pathlib.Path(profile_root) / "data-file.bin"
    if not path.exists():
        path.write_bytes(os.urandom(DATA_FILE_SIZE))
    return path, hashlib.sha256(path.read_bytes()).hexdigest()


def media_options(name, profile_root):
    """Our peer's video or Opus file option of the case, if it has one."""
    if name not in MEDIA_FILES:
        return []
    option, file_name = MEDIA_FILES[name]
    return [option, str(pathlib.Path(profile_root) / file_name)]


def encode_clip(path):
    """Encodes the clip our peer sends (VP8 in IVF) with ffmpeg."""
    width, height = CLIP_SIZE
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={width}x{height}:rate=30",
         "-t", "3", "-pix_fmt", "yuv420p", "-g", "30", "-c:v", "libvpx", "-deadline", "realtime",
         "-b:v", "500k", "-f", "ivf", str(path)],
        check=True,
    )


def probe(path, stream, entries, count):
    """ffprobe's fields of the first `stream` (v:0, a:0) of a file, with
    `count` (-count_frames or -count_packets), as a dict; and ffmpeg's
    decoding errors of the whole file."""
    out = subprocess.run(
        ["ffprobe", "-v", "error", count, "-select_streams", stream, "-show_entries", entries,
         "-of", "default=noprint_wrappers=1", str(path)],
        capture_output=True, text=True,
    )
    fields = dict(line.split("=", 1) for line in out.stdout.splitlines() if "=" in line)
    decoded = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "null", "-"],
                             capture_output=True, text=True)
    errors = (out.stderr + decoded.stderr).strip()
    if decoded.returncode != 0 and not errors:
        errors = f"ffmpeg exited with {decoded.returncode}"
    return fields, errors


def check_media(name, media, events, directory):
    """The checks of the video and Opus cases; returns the failures."""
    failures = []
    file = directory / MEDIA_FILES[name][1]
    if name == "video-from-chromium":
        sent = media.get("outbound_video") or {}
        print(f"Chromium sent {sent.get('frames_encoded')} frames of {sent.get('codec')} "
              f"({sent.get('key_frames_encoded')} keyframes) at {sent.get('frame_width')}x{sent.get('frame_height')}, "
              f"{sent.get('pli_count')} PLIs from us, quality limitation {sent.get('quality_limitation_reason')}")
        recorded = [e for e in events if e.get("event") == "video-recorded"]
        if recorded:
            print(f"our peer: {json.dumps(recorded[-1])}")
        if sent.get("codec") != "video/VP8":
            failures.append(f"Chromium sent {sent.get('codec')}, not VP8")
        if not file.exists():
            return failures + [f"our peer wrote no {file.name}"]
        fields, errors = probe(file, "v:0", "stream=codec_name,width,height,nb_read_frames", "-count_frames")
        frames = int(fields.get("nb_read_frames") or 0)
        size = (int(fields.get("width") or 0), int(fields.get("height") or 0))
        print(f"ffprobe {file.name}: {fields.get('codec_name')} {size[0]}x{size[1]}, {frames} frames; "
              f"ffmpeg decoding errors: {errors or 'none'}")
        if fields.get("codec_name") != "vp8":
            failures.append(f"ffprobe reads {fields.get('codec_name')} in {file.name}")
        if errors:
            failures.append(f"ffmpeg cannot decode {file.name} cleanly: {errors[:300]}")
        if size != (sent.get("frame_width"), sent.get("frame_height")):
            failures.append(f"the recording is {size[0]}x{size[1]}, Chromium encoded "
                            f"{sent.get('frame_width')}x{sent.get('frame_height')}")
        # Chromium's count is taken just before it hangs up: a few frames
        # more may reach us after it; none may be missing on loopback.
        encoded = sent.get("frames_encoded") or 0
        tolerance = max(5, encoded // 10)
        if encoded < 60 or abs(frames - encoded) > tolerance:
            failures.append(f"the recording decodes to {frames} frames, Chromium encoded {encoded} "
                            f"(tolerance {tolerance})")
        if recorded and recorded[-1].get("frames") != frames:
            failures.append(f"our peer wrote {recorded[-1].get('frames')} frames, ffprobe reads {frames}")
    elif name == "video-to-chromium":
        got = media.get("inbound_video") or {}
        sent = [e for e in events if e.get("event") == "video-sent"]
        print(f"Chromium received {got.get('frames_received')} frames of {got.get('codec')}, decoded "
              f"{got.get('frames_decoded')} ({got.get('key_frames_decoded')} keyframes) at "
              f"{got.get('frame_width')}x{got.get('frame_height')}, dropped {got.get('frames_dropped')}, "
              f"lost {got.get('packets_lost')} packets, sent {got.get('pli_count')} PLIs, {got.get('nack_count')} NACKs")
        if sent:
            print(f"our peer: {json.dumps(sent[-1])}")
        if got.get("codec") != "video/VP8":
            failures.append(f"Chromium received {got.get('codec')}, not VP8")
        if not (got.get("frames_decoded") or 0) > 0 or not (got.get("key_frames_decoded") or 0) > 0:
            failures.append(f"Chromium decoded {got.get('frames_decoded')} frames "
                            f"({got.get('key_frames_decoded')} keyframes) of our video")
        if (got.get("frame_width"), got.get("frame_height")) != CLIP_SIZE:
            failures.append(f"Chromium decoded {got.get('frame_width')}x{got.get('frame_height')}, "
                            f"the clip is {CLIP_SIZE[0]}x{CLIP_SIZE[1]}")
        if not sent or not sent[-1].get("frames"):
            failures.append("our peer sent no video frames")
    elif name == "opus-from-chromium":
        outbound = media.get("outbound") or {}
        packets_sent = outbound.get("packets_sent") or 0
        recorded = [e for e in events if e.get("event") == "opus-recorded"]
        if recorded:
            print(f"our peer: {json.dumps(recorded[-1])}")
        if not file.exists():
            return failures + [f"our peer wrote no {file.name}"]
        fields, errors = probe(file, "a:0", "stream=codec_name,channels,nb_read_packets:format=duration",
                               "-count_packets")
        duration = float(fields.get("duration") or 0)
        print(f"ffprobe {file.name}: {fields.get('codec_name')}, {fields.get('channels')} channels, "
              f"{fields.get('nb_read_packets')} packets, {duration:.2f} s; ffmpeg decoding errors: {errors or 'none'}")
        if fields.get("codec_name") != "opus":
            failures.append(f"ffprobe reads {fields.get('codec_name')} in {file.name}")
        if errors:
            failures.append(f"ffmpeg cannot decode {file.name} cleanly: {errors[:300]}")
        # Chromium sends a packet every 20 ms: the recording lasts about
        # as long as what it had sent when it measured, a little more for
        # what it sent before hanging up.
        expected = packets_sent * 0.020
        print(f"Chromium sent {packets_sent} Opus packets, {expected:.2f} s at 20 ms each")
        if packets_sent < 100 or not expected - 0.5 <= duration <= expected + 2.0:
            failures.append(f"the recording lasts {duration:.2f} s, Chromium sent {expected:.2f} s")
        if recorded and recorded[-1].get("packets", 0) < packets_sent - 25:
            failures.append(f"our peer recorded {recorded[-1].get('packets')} Opus packets of {packets_sent}")
    return failures


def start_peer(name, netns, bin_dir, profile_root):
    peer_options = [str(data_file(profile_root)[0]) if o == "{file}" else o for o in CASES[name][2]]
    peer_options += media_options(name, profile_root)
    recording = pathlib.Path(profile_root) / f"{name}.wav"
    return Process(
        netns,
        [str(bin_dir / "peer"), "--signal", f"127.0.0.1:{SIGNAL_PORT}", "--room", name,
         "--name", "sansrtc", "--json", "--stats-interval", "0.5", "--record", str(recording),
         *peer_options],
        "peer",
    ), recording


def check_case(name, result, peer, recording):
    """Prints what both sides say about the case; returns the failures."""
    page = CASES[name][1]
    failures = []
    events = peer_events(peer)
    pairs = [e for e in events if e.get("event") == "selected-pair"]
    states = [e["state"] for e in events if e.get("event") == "ice-state"]
    restarts = [e for e in events if e.get("event") == "ice-restart"]
    dtls = [e for e in events if e.get("event") == "dtls-state"]
    keyed = [e for e in events if e.get("event") == "srtp-ready"]
    connection = [e["state"] for e in events if e.get("event") == "connection-state"]
    stats = [e for e in events if e.get("event") == "stats"]
    report = result.get("selected") or {}
    transport = report.get("transport") or {}
    local, remote = report.get("local"), report.get("remote")
    media = result.get("media") or report
    inbound, outbound = media.get("inbound") or {}, media.get("outbound") or {}
    print(f"Chromium: iceConnectionState {result.get('ice_connection_state')} "
          f"(states: {' -> '.join(s['state'] for s in result.get('states', []))}), "
          f"connectionState {result.get('connection_state')} "
          f"(states: {' -> '.join(s['state'] for s in result.get('connection_states', []))})")
    if result.get("time_to_connected_ms") is not None:
        since = result["time_to_connected_ms"] - (result.get("first_description_ms") or 0)
        print(f"Chromium connected (ICE and DTLS) {since} ms after its first description")
    print(f"Chromium DTLS: {transport.get('dtls_state')}, role {transport.get('dtls_role')}, "
          f"SRTP {transport.get('srtp_cipher')}, {transport.get('tls_version')}")
    if local and remote:
        print(f"Chromium selected pair: {local['candidate_type']} {address(local)} -> "
              f"{remote['candidate_type']} {address(remote)} (role {transport.get('ice_role')})")
    else:
        print("Chromium selected pair: none")
    if pairs:
        last = pairs[-1]
        print(f"our selected pair:      {last['remote_type']} {last['remote']} <- "
              f"{last['local_type']} {last['local']} (remote <- local, as Chromium's local -> remote)")
    print(f"our peer: ICE {' -> '.join(states)}; DTLS {' -> '.join(e['state'] for e in dtls)} "
          f"(role {dtls[-1]['role'] if dtls else None}); SRTP {keyed[-1]['profile'] if keyed else None}; "
          f"connection {' -> '.join(connection)}")
    print(f"Chromium received {inbound.get('packets_received')} packets of {inbound.get('codec')} from us, "
          f"audio level {inbound.get('audio_level')}, total audio energy {inbound.get('total_audio_energy')}; "
          f"sent {outbound.get('packets_sent')} of {outbound.get('codec')}")
    received = stats[-1]["received_packets"] if stats else 0
    loud, seconds, peak = beeps(recording) if recording.exists() else (0, 0.0, 0)
    print(f"our peer received {received} packets; its recording: {seconds:.2f} s, "
          f"{loud} loud 20 ms windows, peak {peak}")
    if result.get("restart"):
        print(f"restart: {json.dumps(result['restart'])}")
    for error in result.get("candidate_errors", []):
        print(f"Chromium icecandidateerror: {json.dumps(error)}")
    for error in result.get("errors", []):
        failures.append(f"page error: {error}")
    if not result.get("ok"):
        failures.append(f"page: {result.get('reason')}")

    if page.get("expect_failure"):
        if result.get("connection_state") != "failed":
            failures.append(f"Chromium's connectionState is {result.get('connection_state')}, not failed")
        if transport.get("dtls_state") != "failed":
            failures.append(f"Chromium's DTLS state is {transport.get('dtls_state')}, not failed")
        if not any(s in ("connected", "completed") for s in states):
            failures.append("our ICE never connected (the case is about DTLS)")
        failed = [e for e in events if e.get("event") == "failed"]
        if not failed or not failed[0]["reason"].startswith("DTLS"):
            failures.append(f"our peer reported no DTLS failure: {failed}")
        else:
            print(f"our peer: {failed[0]['reason']}")
        if keyed:
            failures.append("our peer keyed SRTP")
        if inbound.get("packets_received") or received:
            failures.append(f"media flowed: Chromium received {inbound.get('packets_received')}, we {received}")
        return failures

    # Connected, on the same pair, with DTLS-SRTP in the roles the offer
    # decides: the answerer (a=setup:active) is the DTLS client.
    our_role = "client" if page.get("offer") else "server"
    if result.get("connection_state") != "connected":
        failures.append(f"Chromium's connectionState is {result.get('connection_state')}")
    if result.get("ice_connection_state") not in ("connected", "completed"):
        failures.append(f"Chromium's iceConnectionState is {result.get('ice_connection_state')}")
    if "connected" not in connection:
        failures.append("our peer never reached connected (ICE and DTLS)")
    if not dtls or dtls[-1].get("role") != our_role:
        failures.append(f"our DTLS role is {dtls[-1].get('role') if dtls else None}, not {our_role}")
    if transport.get("dtls_role") != ("server" if our_role == "client" else "client"):
        failures.append(f"Chromium's DTLS role is {transport.get('dtls_role')}")
    if transport.get("dtls_state") != "connected":
        failures.append(f"Chromium's DTLS state is {transport.get('dtls_state')}")
    if not keyed:
        failures.append("our peer did not key SRTP")
    elif transport.get("srtp_cipher") not in (keyed[-1]["profile"], SRTP_CIPHERS.get(keyed[-1]["profile"])):
        failures.append(f"SRTP profiles differ: ours {keyed[-1]['profile']}, Chromium's {transport.get('srtp_cipher')}")
    if not pairs:
        failures.append("our agent selected no pair")
    elif local and remote:
        last = pairs[-1]
        if (address(local), address(remote)) != (last["remote"], last["local"]):
            failures.append(
                f"the pairs differ: Chromium {address(local)} -> {address(remote)}, "
                f"ours {last['local']} -> {last['remote']}")
    else:
        failures.append("Chromium reported no selected pair")

    if page.get("data"):
        # The audio went on during the transfers; the data is what counts.
        if not inbound.get("packets_received") or not received:
            failures.append(f"no audio during the data case: Chromium received {inbound.get('packets_received')}, "
                            f"we {received}")
        return failures + check_data(name, page, result, events, recording.parent)

    # Audio both ways, PCMU (Chromium sends Opus when our peer records it).
    sends = "audio/opus" if page.get("opus") else "audio/PCMU"
    if inbound.get("codec") != "audio/PCMU" or outbound.get("codec") != sends:
        failures.append(f"not PCMU to Chromium and {sends} from it: Chromium receives {inbound.get('codec')}, "
                        f"sends {outbound.get('codec')}")
    if (inbound.get("packets_received") or 0) < 100:
        failures.append(f"Chromium received {inbound.get('packets_received')} packets from us")
    if not (inbound.get("total_audio_energy") or 0) > 0 or not (inbound.get("audio_level") or 0) > 0:
        failures.append("Chromium heard silence from us")
    # (Opus goes to the Ogg recording, which check_media looks at.)
    if received < 100 and not page.get("opus"):
        failures.append(f"our peer received {received} packets from Chromium")
    # Chromium's fake microphone beeps (20 ms every 500 ms or so): the
    # recording must hold beeps, not silence.
    if not page.get("opus") and (loud < 2 or peak < 1000):
        failures.append(f"our recording of Chromium's microphone is silence ({loud} loud windows, peak {peak})")
    if name in MEDIA_FILES:
        failures += check_media(name, media, events, recording.parent)

    if name.startswith("restart"):
        if not restarts:
            failures.append("our peer saw no ICE restart")
        else:
            at = restarts[-1]["t"]
            if not any(e["t"] > at for e in pairs):
                failures.append("our peer selected no pair after the restart")
            before = max((e["received_packets"] for e in stats if e["t"] <= at), default=0)
            print(f"our peer received {received - before} packets after the restart")
            if received - before < 100:
                failures.append(f"our peer received {received - before} packets after the restart")
        if not (result.get("restart") or {}).get("reconnected_ms"):
            failures.append("Chromium did not reconnect after the restart")
    if name == "relay":
        if not local or local["candidate_type"] != "relay":
            failures.append("Chromium's selected local candidate is not a relay candidate")
        # Our agent may have learned the relayed address from Chromium's
        # check (peer-reflexive) before the candidate came: the address is
        # what matters, and the pair comparison checked it.
        if pairs and pairs[-1]["remote_type"] not in ("relay", "prflx"):
            failures.append("our agent's selected remote candidate is not Chromium's relayed address")
        relayed = [e["candidate"] for e in events
                   if e.get("event") == "local-candidate" and e.get("candidate_type") == "relay"]
        if not relayed:
            failures.append("our peer gathered no relay candidate through coturn")
        else:
            print(f"our relay candidate: {relayed[0]}")
    if name in UDP_BLOCKED_CASES:
        protocols = [c.get("protocol") for c in (local, remote) if c]
        print(f"Chromium's selected candidates' protocols: {protocols}")
        if protocols != ["tcp", "tcp"]:
            failures.append(f"Chromium's selected pair is not over TCP: {protocols}")
        if pairs and pairs[-1].get("transport") != "tcp":
            failures.append(f"our selected pair is not over TCP: {pairs[-1]}")
        accepted = [e for e in events if e.get("event") == "tcp-accepted"]
        print(f"our peer accepted {len(accepted)} TCP connection(s) from Chromium")
        if not accepted:
            failures.append("our peer accepted no TCP connection")
    if name == "late-trickle":
        if not [e for e in events if e.get("event") == "late-candidates"]:
            failures.append("our peer did not send its candidates late")
    return failures


def check_data(name, page, result, events, profile_root):
    """The data channels of a data case, as both sides report them;
    returns the failures."""
    failures = []
    data = result.get("data") or {}
    of = lambda kind: [e for e in events if e.get("event") == kind]
    incoming = [e["label"] for e in of("data-channel-incoming")]
    opened = [e["label"] for e in of("data-channel-open")]
    closed = [e["label"] for e in of("data-channel-closed")]
    print(f"Chromium: opened {data.get('opened')}, the other side's channels {[c['label'] for c in data.get('incoming', [])]}, "
          f"closed by Chromium {data.get('closed_by_us')}, by the other side {data.get('closed_by_peer')}")
    print(f"our peer: opened {opened}, the other side's channels {incoming}, closed {closed}")
    for error in data.get("errors", []):
        failures.append(f"Chromium data channel error: {error}")
    for error in of("data-channel-error") + of("data-send-error") + of("file-error"):
        failures.append(f"our peer: {error}")
    mb = lambda transfer, ms: transfer["bytes"] / max(ms, 1) / 1000
    if page["data"] == "chromium-opens":
        for probe in data.get("probes", []):
            lost = probe.get("lost") or []
            print(f"Chromium's {probe['label']} (ordered {probe['ordered']}): {probe['echoed']} of {probe['sent']} "
                  f"messages came back unchanged in {probe['ms']} ms" + (f"; lost: {lost}" if lost else ""))
            if (probe["failures"] or probe["echoed"] + len(lost) != probe["sent"]
                    or not all(may_be_lost(probe["label"], entry) for entry in lost)
                    or probe["sent"] != PROBE_MESSAGES):
                failures.append(f"{probe['label']}: {probe}")
        labels = sorted(p["label"] for p in data.get("probes", []))
        if labels != ["echo-negotiated", "echo-ordered", "echo-unordered", "echo-unreliable"]:
            failures.append(f"Chromium probed {labels}")
        echoes = {label: sum(e.get("label") == label for e in of("echo"))
                  for label in ("echo-ordered", "echo-unordered", "echo-negotiated", "echo-unreliable")}
        print(f"our peer echoed {echoes}")
        came_back = {p["label"]: p["echoed"] for p in data.get("probes", [])}
        for label, count in echoes.items():
            # What came back was echoed; on the reliable ones, everything.
            least = came_back.get(label, 0) if label == "echo-unreliable" else PROBE_MESSAGES
            if not least <= count <= PROBE_MESSAGES:
                failures.append(f"our peer echoed {count} messages on {label}")
        if "echo-ordered" not in closed:
            failures.append("our peer did not see Chromium close echo-ordered")
        for label in ("echo-ordered", "echo-unordered", "echo-unreliable"):
            if label not in incoming:
                failures.append(f"our peer did not learn of Chromium's channel {label}")
        if "echo-negotiated" in incoming:
            failures.append("the pre-negotiated echo-negotiated came in-band")
        if "echo-negotiated" not in opened:
            failures.append("our pre-negotiated echo channel did not open")
    if page["data"] == "sansrtc-opens":
        probes = of("probe")
        for probe in probes:
            print(f"our {probe['label']}: {probe['echoed']} of {probe['sent']} messages came back unchanged")
            if not probe["ok"] or probe["sent"] != PROBE_MESSAGES or probe["echoed"] != probe["sent"]:
                failures.append(f"our probe on {probe['label']}: {probe}")
        if sorted(p["label"] for p in probes) != ["probe-negotiated", "probe-ordered", "probe-unordered"]:
            failures.append(f"our probes: {[p['label'] for p in probes]}")
        print(f"Chromium echoed {data.get('echoed')} messages")
        if data.get("echoed") != 3 * PROBE_MESSAGES:
            failures.append(f"Chromium echoed {data.get('echoed')} messages, not {3 * PROBE_MESSAGES}")
        # Our offer opens "chat" too; the pre-negotiated channel must not come in-band.
        theirs = sorted(c["label"] for c in data.get("incoming", []))
        if theirs != ["chat", "probe-ordered", "probe-unordered"]:
            failures.append(f"Chromium learned of our channels {theirs}, not chat, probe-ordered and probe-unordered")
        if "probe-ordered" not in (data.get("closed_by_peer") or []):
            failures.append("Chromium did not see our peer close probe-ordered")
        if "probe-ordered" not in closed:
            failures.append("our peer's close of probe-ordered did not complete")
    if page.get("file_from_peer"):
        _, sha256 = data_file(profile_root)
        sent, received = of("file-sent"), data.get("file_received")
        if not sent or not received:
            failures.append(f"our file: our peer sent {sent}, Chromium received {received}")
        else:
            ours = sent[-1]
            print(f"our file: our peer sent {ours['bytes']} bytes in {ours['seconds']:.2f} s, SHA-256 {ours['sha256']}; "
                  f"Chromium received {received['bytes']} bytes in {received['ms']} ms "
                  f"({mb(received, received['ms']):.1f} MB/s), SHA-256 {received['sha256']}")
            if ours["sha256"] != sha256 or ours["bytes"] != DATA_FILE_SIZE:
                failures.append("our peer did not send the file as it is")
            if (received["bytes"], received["sha256"], received["matches"]) != (DATA_FILE_SIZE, sha256, True):
                failures.append("the file Chromium received is not ours")
    if page.get("file_size"):
        sent, received = data.get("file_sent"), of("file-received")
        if not sent or not received:
            failures.append(f"Chromium's file: Chromium sent {sent}, our peer received {received}")
        else:
            got = received[-1]
            print(f"Chromium's file: Chromium sent {sent['bytes']} bytes in {sent['ms']} ms "
                  f"({mb(sent, sent['ms']):.1f} MB/s), SHA-256 {sent['sha256']}; our peer received "
                  f"{got['bytes']} bytes in {got['seconds']:.2f} s, SHA-256 {got['sha256']}")
            if (got["bytes"], got["sha256"], got["matches"]) != (page["file_size"], sent["sha256"], True):
                failures.append("the file our peer received is not the one Chromium sent")
        if "file" not in closed:
            failures.append("our peer did not see Chromium close its file channel")
    return failures


def run_cases(names, args, netns, profile_root, on_case_start, on_case_end):
    """Runs the cases in one Chromium: the page goes through them in
    order, and an example peer is started for each. Yields (name, ok,
    peer, result)."""
    if not names:
        return
    page_cases = []
    for name in names:
        page = dict(CASES[name][1])
        page.update({"case": name, "room": name, "timeout": int(CASE_TIMEOUT * 1000) - 5000})
        page_cases.append(page)
    query = urllib.parse.urlencode({"cases": json.dumps(page_cases)})
    url = f"http://127.0.0.1:{SIGNAL_PORT}/chromium?{query}"
    profile = tempfile.mkdtemp(dir=profile_root)
    chromium = Process(netns, ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url], "chromium")
    try:
        for name in names:
            print(f"\n--- {name}: {CASES[name][0]}")
            started = time.monotonic()
            on_case_start(name)
            peer, recording = start_peer(name, netns, args.bin, profile_root)
            result = None
            try:
                if peer.wait_for(lambda l: '"event":"joined"' in l, 10) is None:
                    failures = ["our peer did not join the room"]
                else:
                    line = chromium.wait_for(
                        lambda l: "SANSRTC-RESULT " in l and f'"case":"{name}"' in l, CASE_TIMEOUT)
                    result = result_of(line) if line else None
                    failures = [] if result else [f"no result from the page within {CASE_TIMEOUT:.0f} s"]
            finally:
                # The page left the room: our peer sees it and ends.
                if peer.proc.poll() is None:
                    try:
                        peer.proc.wait(8)
                    except subprocess.TimeoutExpired:
                        peer.stop(signal.SIGINT)
                on_case_end(name)
            if result is not None:
                failures += check_case(name, result, peer, recording)
            ok = not failures
            print(f"{name}: {'PASS' if ok else 'FAIL'} ({time.monotonic() - started:.1f} s)")
            if not ok:
                for failure in failures:
                    print(f"  failure: {failure}")
                print("  Chromium's log:")
                for line in chromium_log(chromium.lines):
                    print(f"    {line}")
                print("  our peer's output:")
                for line in peer.lines[-60:]:
                    print(f"    {line[:400]}")
            yield name, ok, peer, result
    finally:
        chromium.stop()


# The signaling server's own page (`signal` serves it at /), as a person
# would use it to call a running peer: the page joins second, the peer
# offers.
BROWSER_PAGE = "browser-page"
BROWSER_PAGE_TITLE = ("the signaling server's call page, as a person uses it: it calls a waiting peer, "
                      "plays its tone, and the peer records the microphone")


def run_browser_page(args, netns, profile_root):
    """Calls a peer from the page at / in a Chromium of its own; returns
    (ok, peer)."""
    print(f"\n--- {BROWSER_PAGE}: {BROWSER_PAGE_TITLE}")
    started = time.monotonic()
    recording = pathlib.Path(profile_root) / f"{BROWSER_PAGE}.wav"
    peer = Process(
        netns,
        [str(args.bin / "peer"), "--signal", f"127.0.0.1:{SIGNAL_PORT}", "--room", BROWSER_PAGE,
         "--name", "sansrtc", "--json", "--stats-interval", "0.5", "--record", str(recording)],
        "peer",
    )
    failures = []
    chromium = None
    state = {}
    try:
        if peer.wait_for(lambda l: '"event":"joined"' in l, 10) is None:
            failures.append("our peer did not join the room")
        else:
            url = f"http://127.0.0.1:{SIGNAL_PORT}/?room={BROWSER_PAGE}&autostart=1&raw=1"
            profile = tempfile.mkdtemp(dir=profile_root)
            chromium = Process(netns, ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url], "chromium")

            def heard(line):
                if "SANSRTC-PAGE " not in line:
                    return False
                state.update(result_of(line.replace("SANSRTC-PAGE ", "SANSRTC-RESULT ")))
                inbound = state.get("inbound") or {}
                return (state.get("connection_state") == "connected" and inbound.get("packets_received", 0) >= 100
                        and inbound.get("total_audio_energy", 0) > 0)

            if chromium.wait_for(heard, CASE_TIMEOUT) is None:
                failures.append(f"the page did not hear the peer within {CASE_TIMEOUT:.0f} s: {state}")
    finally:
        # Closing the browser leaves the room: our peer ends.
        if chromium is not None:
            chromium.stop()
        if peer.proc.poll() is None:
            try:
                peer.proc.wait(8)
            except subprocess.TimeoutExpired:
                peer.stop(signal.SIGINT)
    events = peer_events(peer)
    keyed = [e["profile"] for e in events if e.get("event") == "srtp-ready"]
    stats = [e for e in events if e.get("event") == "stats"]
    received = stats[-1]["received_packets"] if stats else 0
    loud, seconds, peak = beeps(recording) if recording.exists() else (0, 0.0, 0)
    inbound = state.get("inbound") or {}
    print(f"the page: connection {state.get('connection_state')}, DTLS {state.get('dtls_state')} "
          f"{state.get('srtp_cipher')}, pair {state.get('pair')}; heard {inbound.get('packets_received')} packets of "
          f"{inbound.get('codec')}, audio level {inbound.get('audio_level')}, "
          f"total audio energy {inbound.get('total_audio_energy')}")
    print(f"our peer: SRTP {keyed}; received {received} packets; its recording: {seconds:.2f} s, "
          f"{loud} loud 20 ms windows, peak {peak}")
    if not failures:
        if not keyed or state.get("srtp_cipher") not in (keyed[-1], SRTP_CIPHERS.get(keyed[-1])):
            failures.append(f"SRTP profiles differ: ours {keyed}, the page's {state.get('srtp_cipher')}")
        if inbound.get("codec") != "audio/PCMU":
            failures.append(f"the page received {inbound.get('codec')}")
        if received < 50:
            failures.append(f"our peer received {received} packets from the page")
        if loud < 2 or peak < 1000:
            failures.append(f"our recording of the page's microphone is silence ({loud} loud windows, peak {peak})")
    ok = not failures
    print(f"{BROWSER_PAGE}: {'PASS' if ok else 'FAIL'} ({time.monotonic() - started:.1f} s)")
    if not ok:
        for failure in failures:
            print(f"  failure: {failure}")
        if chromium is not None:
            print("  Chromium's log:")
            for line in chromium_log(chromium.lines):
                print(f"    {line}")
        print("  our peer's output:")
        for line in peer.lines[-60:]:
            print(f"    {line[:400]}")
    return ok


def block_udp(netns):
    """Drops every UDP packet in the namespace: with nftables when present,
    else with iptables."""
    if shutil.which("nft"):
        rules = (f"table inet {NFT_TABLE} {{\n"
                 "  chain output { type filter hook output priority 0; meta l4proto udp drop; }\n"
                 "  chain input { type filter hook input priority 0; meta l4proto udp drop; }\n"
                 "}\n")
        subprocess.run(["ip", "netns", "exec", netns, "nft", "-f", "-"], input=rules, text=True, check=True)
        print(f"UDP dropped in the namespace (nft table inet {NFT_TABLE})")
    else:
        for chain in ("OUTPUT", "INPUT"):
            subprocess.run(["ip", "netns", "exec", netns, "iptables", "-A", chain, "-p", "udp", "-j", "DROP"],
                           check=True)
        print("UDP dropped in the namespace (iptables)")


def unblock_udp(netns):
    if shutil.which("nft"):
        subprocess.run(["ip", "netns", "exec", netns, "nft", "delete", "table", "inet", NFT_TABLE], check=False)
    else:
        for chain in ("OUTPUT", "INPUT"):
            subprocess.run(["ip", "netns", "exec", netns, "iptables", "-D", chain, "-p", "udp", "-j", "DROP"],
                           check=False)


def start_capture(netns, path):
    capture = Process(netns, ["tshark", "-i", "lo", "-f", "udp", "-w", str(path)], "tshark")
    if capture.wait_for(lambda l: "Capturing on" in l, 10) is None:
        raise RuntimeError("tshark did not start: " + "\n".join(capture.lines))
    return capture


def save_stun(path, case, result, peer, out):
    """Writes the STUN messages Chromium sent, with the password that keys them."""
    events = peer_events(peer)
    ours = next(e for e in events if e.get("event") == "joined")["socket"]
    our_port = int(ours.rsplit(":", 1)[1])
    our_sdp = next(e["sdp"] for e in events if e.get("event") in ("offer", "answer") and "sdp" in e)
    chromium_sdp = next(d["sdp"] for d in result["descriptions"] if d["kind"].startswith("local-"))

    def field(sdp, name):
        return next(l.split(":", 1)[1].strip() for l in sdp.splitlines() if l.startswith(f"a={name}:"))

    our_ufrag, our_pwd = field(our_sdp, "ice-ufrag"), field(our_sdp, "ice-pwd")
    chromium_pwd = field(chromium_sdp, "ice-pwd")
    fields = subprocess.run(
        ["tshark", "-r", str(path), "-Y", "stun", "-T", "fields", "-e", "udp.srcport", "-e", "udp.dstport",
         "-e", "udp.payload"],
        check=True, capture_output=True, text=True,
    ).stdout
    lines = []
    for row in fields.splitlines():
        source, destination, payload = row.split("\t")
        if int(destination) != our_port or int(source) == our_port:
            continue
        payload = payload.replace(":", "")
        # The class bits C1 (0x0100) and C0 (0x0010) of the message type
        # (RFC 8489 section 5).
        message_type = int(payload[:4], 16)
        klass = ("request", "indication", "success", "error")[
            ((message_type >> 7) & 2) | ((message_type >> 4) & 1)]
        # Requests and indications carry our credentials; responses Chromium's.
        key = our_pwd if klass in ("request", "indication") else chromium_pwd
        lines.append(f"{case} {klass} {key} {payload}")
    out.extend(lines)
    return our_ufrag, len(lines)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", type=pathlib.Path, required=True, help="directory of the signal and peer programs")
    parser.add_argument("--case", action="append", choices=sorted([*CASES, BROWSER_PAGE]),
                        help="run only these cases")
    parser.add_argument("--save-test-data", action="store_true")
    args = parser.parse_args()
    cases = args.case or [*CASES, BROWSER_PAGE]

    netns = f"sansrtc-chromium-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    processes = []
    profile_root = tempfile.mkdtemp(prefix="sansrtc-chromium-")
    results = []
    stun_lines = []
    sdp_saved = []
    candidates_saved = []
    try:
        subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True)
        signal_server = Process(
            netns,
            [str(args.bin / "signal"), "--bind", f"127.0.0.1:{SIGNAL_PORT}",
             "--page", f"/chromium={ROOT / 'interop' / 'chromium.html'}"],
            "signal",
        )
        processes.append(signal_server)
        if signal_server.wait_for(lambda l: "listening" in l, 10) is None:
            raise RuntimeError("signal did not start: " + "\n".join(signal_server.lines))
        if "relay" in cases:
            coturn = Process(
                netns,
                ["turnserver", "-n", "--no-cli", "--no-tls", "--no-dtls", "--listening-ip=127.0.0.1",
                 "--relay-ip=127.0.0.1", f"--listening-port={TURN_PORT}", "--allow-loopback-peers",
                 "--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}", f"--realm={TURN_REALM}",
                 "--min-port=50000", "--max-port=50200", "--simple-log", "--log-file=stdout",
                 f"--pidfile={profile_root}/turnserver.pid"],
                "turnserver",
            )
            processes.append(coturn)
            if coturn.wait_for(lambda l: "Total General servers" in l or "IPv4. UDP listener opened" in l, 10) is None:
                raise RuntimeError("coturn did not start: " + "\n".join(coturn.lines[-20:]))
        captures = {}

        def on_case_start(name):
            if args.save_test_data and name in CAPTURED_CASES:
                captures[name] = start_capture(netns, pathlib.Path(profile_root) / f"{name}.pcapng")
            if name in UDP_BLOCKED_CASES:
                block_udp(netns)

        def on_case_end(name):
            if name in UDP_BLOCKED_CASES:
                unblock_udp(netns)
            if name in captures:
                time.sleep(0.5)
                captures[name].stop(signal.SIGINT)

        if "video-to-chromium" in cases:
            encode_clip(pathlib.Path(profile_root) / MEDIA_FILES["video-to-chromium"][1])
        page_cases = [name for name in cases if name in CASES]
        for name, ok, peer, result in run_cases(page_cases, args, netns, profile_root, on_case_start, on_case_end):
            results.append((name, ok))
            if ok and args.save_test_data and result is not None:
                for description in result["descriptions"]:
                    sdp_saved.append((name, description["kind"], description["sdp"]))
                candidates_saved.extend(
                    (name, c["candidate"]) for c in result["local_candidates"])
                if name in captures:
                    pcap = pathlib.Path(profile_root) / f"{name}.pcapng"
                    ufrag, count = save_stun(pcap, name, result, peer, stun_lines)
                    print(f"captured {count} STUN messages from Chromium to our peer (ufrag {ufrag})")
        if BROWSER_PAGE in cases:
            results.append((BROWSER_PAGE, run_browser_page(args, netns, profile_root)))
    finally:
        for process in reversed(processes):
            process.stop()
        subprocess.run(["ip", "netns", "del", netns], check=False)
        subprocess.run(["rm", "-rf", profile_root], check=False)

    if args.save_test_data:
        write_test_data(stun_lines, sdp_saved, candidates_saved)
    passed = sum(ok for _, ok in results)
    print(f"\nChromium interop: {passed} of {len(results)} cases passed: "
          + ", ".join(f"{name} {'PASS' if ok else 'FAIL'}" for name, ok in results))
    return 0 if passed == len(results) == len(cases) else 1


def write_test_data(stun_lines, sdp_saved, candidates_saved):
    version = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.split()[1]
    stun_dir = ROOT / "stun" / "tests" / "data" / "chromium"
    stun_dir.mkdir(parents=True, exist_ok=True)
    header = [
        f"# STUN messages Chromium {version} sent to the example peer during interop/chromium.py,",
        "# captured with tshark on lo inside the test's network namespace.",
        "# case, class, the ICE password that keys its MESSAGE-INTEGRITY, the message in hex",
    ]
    (stun_dir / "checks.txt").write_text("\n".join(header + stun_lines) + "\n")
    sdp_dir = ROOT / "sdp" / "tests" / "data" / "chromium-ice"
    sdp_dir.mkdir(parents=True, exist_ok=True)
    seen = set()
    for case, kind, sdp in sdp_saved:
        if not kind.startswith("local-"):
            continue
        name = f"{case}.{kind.removeprefix('local-')}"
        index = 1
        while name + (f"-{index}" if index > 1 else "") in seen:
            index += 1
        name += f"-{index}" if index > 1 else ""
        seen.add(name)
        (sdp_dir / f"{name}.sdp").write_text(sdp.replace("\r\n", "\n").replace("\n", "\r\n"), newline="")
    ice_dir = ROOT / "ice" / "tests" / "data" / "chromium"
    ice_dir.mkdir(parents=True, exist_ok=True)
    header = [
        f"# a=candidate values Chromium {version} gathered during interop/chromium.py",
        "# (host, TCP, relay through coturn), one per line after the case name.",
    ]
    lines = [f"{case} {candidate}" for case, candidate in candidates_saved]
    (ice_dir / "candidates.txt").write_text("\n".join(header + lines) + "\n")
    print(f"wrote {len(lines)} candidates to {ice_dir / 'candidates.txt'}")
    print(f"wrote {len(stun_lines)} STUN messages to {stun_dir / 'checks.txt'} and {len(seen)} descriptions to {sdp_dir}")


if __name__ == "__main__":
    sys.exit(main())
