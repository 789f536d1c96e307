#!/usr/bin/env python3
"""Chromium's own data channel throughput, the outside reference for bench/.

Runs one headless Chromium, inside a fresh network namespace with only
`lo` up (as interop/chromium.py does), on a page that connects two
RTCPeerConnections to each other over loopback (host candidates, ICE,
DTLS, SCTP: the whole stack of a browser) and moves 64 MiB in 64 KiB
messages over one reliable ordered data channel, keeping the sender's
bufferedAmount between 1 and 4 MiB. Prints the rate in MB/s (10^6 bytes
a second), from the first message sent to the last one received.

This is a measuring tool, not a test: nothing in CI runs it. Both peers
share one browser process on the same machine, so the figure is what one
Chromium does with both ends of the channel on one machine's cores.

Usage (as root, network namespaces):

    python3 interop/chromium-datachannel-throughput.py [--mib 64] [--runs 1]
"""

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
chromium_interop = __import__("chromium")
Process = chromium_interop.Process
CHROMIUM_FLAGS = chromium_interop.CHROMIUM_FLAGS

MARKER = "SANSRTC-THROUGHPUT"
TIMEOUT = 180.0

PAGE = """<!doctype html>
<meta charset="utf-8">
<title>data channel throughput</title>
<script>
const TOTAL = %(total)d;
const MESSAGE = 64 * 1024;
const HIGH = 4 * 1024 * 1024;
const LOW = 1024 * 1024;

function report(result) {
  console.log("%(marker)s " + JSON.stringify(result));
}

async function run() {
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  const sender = a.createDataChannel("bench", { ordered: true });
  sender.binaryType = "arraybuffer";
  const received = new Promise((resolve) => {
    b.ondatachannel = (event) => {
      const channel = event.channel;
      channel.binaryType = "arraybuffer";
      let bytes = 0;
      channel.onmessage = (message) => {
        bytes += message.data.byteLength;
        if (bytes >= TOTAL) resolve({ bytes, end: performance.now() });
      };
    };
  });
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  if (sender.readyState !== "open") {
    await new Promise((resolve) => { sender.onopen = resolve; });
  }

  const chunk = new Uint8Array(MESSAGE);
  for (let i = 0; i < MESSAGE; i++) chunk[i] = i & 0xff;
  sender.bufferedAmountLowThreshold = LOW;
  const start = performance.now();
  let sent = 0;
  while (sent < TOTAL) {
    while (sent < TOTAL && sender.bufferedAmount < HIGH) {
      sender.send(chunk);
      sent += MESSAGE;
    }
    if (sent < TOTAL) {
      await new Promise((resolve) => { sender.onbufferedamountlow = resolve; });
    }
  }
  const { bytes, end } = await received;
  const seconds = (end - start) / 1000;
  const pair = (await a.getStats()).values();
  let candidatePair = null;
  for (const stat of pair) {
    if (stat.type === "candidate-pair" && stat.nominated && stat.state === "succeeded") {
      candidatePair = { bytesSent: stat.bytesSent, bytesReceived: stat.bytesReceived };
    }
  }
  report({ bytes, seconds, mbps: bytes / seconds / 1e6, candidatePair,
           userAgent: navigator.userAgent });
  a.close();
  b.close();
}

run().catch((error) => report({ error: String(error) }));
</script>
"""


def measure(netns, profile_root, total):
    page = pathlib.Path(profile_root) / "throughput.html"
    page.write_text(PAGE % {"total": total, "marker": MARKER})
    profile = pathlib.Path(profile_root) / "profile"
    chromium = Process(
        netns,
        ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", page.as_uri()],
        "chromium",
    )
    try:
        line = chromium.wait_for(lambda l: MARKER in l, TIMEOUT)
    finally:
        chromium.stop()
    if line is None:
        for log_line in chromium_interop.chromium_log(chromium.lines):
            print(log_line, file=sys.stderr)
        raise RuntimeError("Chromium did not report within the timeout")
    text = line.split(MARKER + " ", 1)[1]
    # Console lines end with `", source: <url> (<line>)`.
    text = text.split('", source: ', 1)[0]
    result = json.loads(text)
    if "error" in result:
        raise RuntimeError("the page failed: " + result["error"])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=64, help="MiB to move per run")
    parser.add_argument("--runs", type=int, default=1, help="runs, each in a new Chromium")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (network namespaces)", file=sys.stderr)
        return 2
    if subprocess.run(["sh", "-c", "command -v chromium"], capture_output=True).returncode != 0:
        print("skipped: chromium not installed")
        return 0
    version = subprocess.run(["chromium", "--version"], capture_output=True, text=True).stdout.strip()
    with open("/proc/loadavg") as f:
        load_before = " ".join(f.read().split()[:3])

    netns = f"sansrtc-throughput-{os.getpid()}"
    subprocess.run(["ip", "netns", "add", netns], check=True)
    profile_root = tempfile.mkdtemp(prefix="sansrtc-throughput-")
    results = []
    try:
        subprocess.run(["ip", "netns", "exec", netns, "ip", "link", "set", "lo", "up"], check=True)
        for _ in range(args.runs):
            results.append(measure(netns, profile_root, args.mib * 1024 * 1024))
    finally:
        subprocess.run(["ip", "netns", "del", netns], check=False)
        subprocess.run(["rm", "-rf", profile_root], check=False)

    with open("/proc/loadavg") as f:
        load_after = " ".join(f.read().split()[:3])
    print(version)
    print(f"load average before {load_before}, after {load_after}")
    for result in results:
        print(f"{result['bytes']} bytes in {result['seconds']:.3f} s: {result['mbps']:.1f} MB/s "
              f"(selected pair: {result['candidatePair']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
