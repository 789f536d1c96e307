#!/usr/bin/env python3
"""Chromium's ICE agent against the example peer, in a network namespace.

Runs, inside a fresh network namespace with only `lo` up: the `signal`
server (which also serves interop/chromium.html), coturn for the relay
case, the example `peer`, and headless Chromium on the page. The page
drives an RTCPeerConnection and logs a `SANSRTC-RESULT {json}` line; the
peer prints JSON lines. Each case passes when Chromium reaches
`connected` and both sides report the same selected pair.

Usage (as root; interop/chromium.sh builds the programs and calls this):

    python3 interop/chromium.py --bin target/debug [--case NAME]... [--save-test-data]

`--save-test-data` also captures the loopback traffic of two cases with
tshark and writes Chromium's STUN messages to stun/tests/data/chromium/
and the session descriptions to sdp/tests/data/chromium-ice/.
"""

import argparse
import json
import os
import pathlib
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
SIGNAL_PORT = 8080
TURN_PORT = 3478
TURN_USER = "sansrtc"
TURN_PASSWORD = "interop-password"
TURN_REALM = "sansrtc.test"

# name: (what it shows, page query, peer options)
CASES = {
    "chromium-offers": (
        "Chromium offers (controlling), our peer answers",
        {"offer": "1"},
        ["--answer"],
    ),
    "sansrtc-offers": (
        "our peer offers (controlling, nominates), Chromium answers",
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
        {"offer": "1", "settle": "3000"},
        ["--answer", "--late-candidates", "1.5"],
    ),
    "restart-by-sansrtc": (
        "our peer offers, then restarts ICE with a new offer",
        {"wait_restart": "1"},
        ["--restart-after", "2.5"],
    ),
    "restart-by-chromium": (
        "Chromium offers, then restarts ICE (createOffer iceRestart)",
        {"offer": "1", "restart": "1"},
        ["--answer"],
    ),
    "relay": (
        "Chromium with iceTransportPolicy relay through coturn; our peer with --turn",
        {"offer": "1", "turn": f"{TURN_USER}:{TURN_PASSWORD}@127.0.0.1:{TURN_PORT}"},
        ["--answer", "--turn", f"{TURN_USER}:{TURN_PASSWORD}@127.0.0.1:{TURN_PORT}"],
    ),
    "tcp": (
        "UDP dropped in the namespace: Chromium's active TCP candidate reaches our passive one (ICE-TCP); "
        "our peer offers and nominates the TCP pair once its UDP checks have had a second",
        {"settle": "3000"},
        ["--tcp"],
    ),
}
# Cases run with every UDP packet in the namespace dropped (an nftables or
# iptables rule added before the case and removed after it).
UDP_BLOCKED_CASES = ("tcp",)
NFT_TABLE = "sansrtc_block_udp"
CAPTURED_CASES = ("chromium-offers", "sansrtc-offers")
CASE_TIMEOUT = 30.0

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
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
        if not any(word in line for word in ("CONSOLE", "p2p", "/pc/", "ERROR", "FATAL")):
            continue
        if "SANSRTC-RESULT" in line or "dbus" in line or "zygote" in line:
            continue
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


def run_case(name, args, netns, bin_dir, profile_root):
    title, query, peer_options = CASES[name]
    room = name
    print(f"\n--- {name}: {title}")
    peer = Process(
        netns,
        [str(bin_dir / "peer"), "--signal", f"127.0.0.1:{SIGNAL_PORT}", "--room", room,
         "--name", "sansrtc", "--json", "--stats-interval", "60", *peer_options],
        "peer",
    )
    chromium = None
    failures = []
    result = None
    started = time.monotonic()
    try:
        if peer.wait_for(lambda l: '"event":"joined"' in l, 10) is None:
            failures.append("our peer did not join the room")
            return False, failures, peer, chromium, None
        params = {"case": name, "room": room, "timeout": str(int(CASE_TIMEOUT * 1000) - 5000), **query}
        url = f"http://127.0.0.1:{SIGNAL_PORT}/chromium?" + "&".join(f"{k}={v}" for k, v in params.items())
        profile = tempfile.mkdtemp(dir=profile_root)
        chromium = Process(netns, ["chromium", *CHROMIUM_FLAGS, f"--user-data-dir={profile}", url], "chromium")
        line = chromium.wait_for(lambda l: "SANSRTC-RESULT " in l, CASE_TIMEOUT)
        if line is None:
            failures.append(f"no result from the page within {CASE_TIMEOUT:.0f} s")
            return False, failures, peer, chromium, None
        result = result_of(line)
    finally:
        if chromium is not None:
            chromium.stop()
        # The page is gone: our peer sees the other side leave and ends.
        if peer.proc.poll() is None:
            try:
                peer.proc.wait(5)
            except subprocess.TimeoutExpired:
                peer.stop(signal.SIGINT)
    elapsed = time.monotonic() - started

    events = peer_events(peer)
    pairs = [e for e in events if e.get("event") == "selected-pair"]
    states = [e["state"] for e in events if e.get("event") == "ice-state"]
    restarts = [e for e in events if e.get("event") == "ice-restart"]
    selected = result.get("selected") or {}
    local, remote = selected.get("local"), selected.get("remote")
    print(f"Chromium iceConnectionState: {result.get('ice_connection_state')} "
          f"(states: {' -> '.join(s['state'] for s in result.get('states', []))})")
    if result.get("time_to_connected_ms") is not None:
        since = result["time_to_connected_ms"] - (result.get("first_description_ms") or 0)
        print(f"Chromium time to connected: {since} ms after its first description "
              f"({result['time_to_connected_ms']} ms after the page started)")
    if local and remote:
        print(f"Chromium selected pair: {local['candidate_type']} {address(local)} -> "
              f"{remote['candidate_type']} {address(remote)} "
              f"(role {selected['transport']['ice_role']}, nominated {selected['pair']['nominated']}, "
              f"{selected['pair']['requests_sent']} checks sent, {selected['pair']['requests_received']} received)")
    else:
        print("Chromium selected pair: none")
    connected = [e for e in events if e.get("event") == "ice-state" and e.get("state") in ("connected", "completed")]
    if pairs:
        last = pairs[-1]
        print(f"our selected pair:      {last['remote_type']} {last['remote']} <- "
              f"{last['local_type']} {last['local']} (remote <- local, as Chromium's local -> remote)")
    if connected:
        described = next((e["t"] for e in events if e.get("event") in ("offer", "answer")), 0.0)
        print(f"our ICE connected {(connected[0]['t'] - described) * 1000:.0f} ms after the first description "
              f"(states: {' -> '.join(states)})")
    if result.get("restart"):
        print(f"restart: {json.dumps(result['restart'])}")
    for error in result.get("candidate_errors", []):
        print(f"Chromium icecandidateerror: {json.dumps(error)}")

    if not result.get("ok"):
        failures.append(f"page: {result.get('reason')}")
    if result.get("ice_connection_state") not in ("connected", "completed"):
        failures.append(f"Chromium's iceConnectionState is {result.get('ice_connection_state')}")
    if not connected:
        failures.append("our agent never reached connected")
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
    for error in result.get("errors", []):
        failures.append(f"page error: {error}")
    if name.startswith("restart"):
        if not restarts:
            failures.append("our peer saw no ICE restart")
        elif not any(e["t"] > restarts[-1]["t"] for e in pairs):
            failures.append("our peer selected no pair after the restart")
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
        late = [e for e in events if e.get("event") == "late-candidates"]
        if not late:
            failures.append("our peer did not send its candidates late")
    print(f"{name}: {'PASS' if not failures else 'FAIL'} ({elapsed:.1f} s)")
    return not failures, failures, peer, chromium, result


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
    parser.add_argument("--case", action="append", choices=sorted(CASES), help="run only these cases")
    parser.add_argument("--save-test-data", action="store_true")
    args = parser.parse_args()
    cases = args.case or list(CASES)

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
        for name in cases:
            capture = None
            pcap = pathlib.Path(profile_root) / f"{name}.pcapng"
            if args.save_test_data and name in CAPTURED_CASES:
                capture = start_capture(netns, pcap)
            if name in UDP_BLOCKED_CASES:
                block_udp(netns)
            try:
                ok, failures, peer, chromium, result = run_case(name, args, netns, args.bin, profile_root)
            finally:
                if name in UDP_BLOCKED_CASES:
                    unblock_udp(netns)
            if capture is not None:
                time.sleep(0.5)
                capture.stop(signal.SIGINT)
            results.append((name, ok))
            if not ok:
                for failure in failures:
                    print(f"  failure: {failure}")
                if chromium is not None:
                    print("  Chromium's log:")
                    for line in chromium_log(chromium.lines):
                        print(f"    {line}")
                print("  our peer's output:")
                for line in peer.lines[-60:]:
                    print(f"    {line}")
                continue
            if args.save_test_data and result is not None:
                for description in result["descriptions"]:
                    sdp_saved.append((name, description["kind"], description["sdp"]))
                candidates_saved.extend(
                    (name, c["candidate"]) for c in result["local_candidates"])
                if capture is not None:
                    ufrag, count = save_stun(pcap, name, result, peer, stun_lines)
                    print(f"captured {count} STUN messages from Chromium to our peer (ufrag {ufrag})")
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
