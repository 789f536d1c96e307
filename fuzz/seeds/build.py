#!/usr/bin/env python3
"""Builds the committed seed corpora, fuzz/seeds/<target>/.

Candidates come from data already in the repository:

- SDP: the descriptions under sdp/tests/data (browser captures, Firefox's
  parser corpus, the RFC 8866 and RFC 8829 examples);
- STUN: Chromium's connectivity checks (stun/tests/data/chromium), the RFC
  5769 vectors (stun/tests/rfc5769.rs), the checks of the example call
  (fuzz/data/demo-udp.txt), and those framed as TURN over TCP and RFC 4571;
- RTP and RTCP: the example call's traffic (fuzz/data/demo-udp.txt) and the
  packets written as hex in the crate's tests and in the tshark test;
- RTP payloads: a few frames of ffmpeg's test pattern encoded as VP8, VP9,
  H.264, H.265 and AV1, Opus and G.722 audio, and the call's PCMU.

For each byte-level target the candidates are run through the target and a
greedy set cover keeps the files that add the most edges, within a file
count and a byte budget. The targets that take structured input (the
state machines and the structure-aware targets) get their seeds from a
fuzzing campaign started from the related byte-level seeds, reduced the
same way (`--campaign SECONDS`, in fuzz/corpus/<target>, which git
ignores).

Run from anywhere after `cargo fuzz build -O` (in fuzz/):

    python3 fuzz/seeds/build.py                  # byte-level targets
    python3 fuzz/seeds/build.py --campaign 300   # and the others, 300 s each

Needs ffmpeg (the payload frames) and the fuzz targets built.
"""

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FUZZ = ROOT / "fuzz"
SEEDS = FUZZ / "seeds"
BINARIES = FUZZ / "target" / "x86_64-unknown-linux-gnu" / "release"

# At most this many files per target, and about this many bytes. Inputs of
# the structured targets are smaller and each reaches fewer edges.
MAX_FILES = 48
MAX_STRUCTURED_FILES = 64
BYTE_BUDGET = 48 * 1024


def hex_bytes(text):
    return bytes.fromhex("".join(text.split()))


def rust_hex_literals(path):
    """The byte strings written as `hex("...")` in a Rust source file."""
    source = (ROOT / path).read_text()
    found = []
    for match in re.finditer(r'hex\(\s*"([0-9a-fA-F\s]+)"\s*\)', source):
        digits = "".join(match.group(1).split())
        if digits and len(digits) % 2 == 0:
            found.append(bytes.fromhex(digits))
    return found


def demo_traffic(kind):
    packets = []
    for line in (FUZZ / "data" / "demo-udp.txt").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        k, h = line.split()
        if k == kind:
            packets.append(bytes.fromhex(h))
    return packets


def first_byte_kind(packet):
    if len(packet) < 2 or packet[0] >> 6 != 2:
        return None
    return "rtcp" if 192 <= packet[1] <= 223 else "rtp"


# --- candidates per byte-level target -------------------------------------

def sdp_files():
    files = sorted((ROOT / "sdp" / "tests" / "data").rglob("*.sdp"))
    return {f"{p.parent.name}-{p.name}": p.read_bytes() for p in files}


def sdp_parse():
    return sdp_files()


def sdp_negotiate():
    # Offers, and anything else with m-lines: an answer read as an offer.
    return {n: b for n, b in sdp_files().items() if b"\nm=" in b}


def stun_messages():
    out = {}
    checks = ROOT / "stun" / "tests" / "data" / "chromium" / "checks.txt"
    for i, line in enumerate(l for l in checks.read_text().splitlines() if l and not l.startswith("#")):
        out[f"chromium-{line.split()[0]}-{line.split()[1]}-{i:02}"] = bytes.fromhex(line.split()[3])
    for i, message in enumerate(rust_hex_literals("stun/tests/rfc5769.rs")):
        out[f"rfc5769-{i:02}"] = message
    for i, message in enumerate(demo_traffic("stun")):
        out[f"demo-call-{i:02}"] = message
    return out


def stun_attribute_messages():
    """The attribute vectors of the crate's unit tests (every attribute
    type), eight to a message, in a request, a success and an error
    response with RFC 5769's transaction id."""
    source = (ROOT / "stun" / "src" / "attribute.rs").read_text()
    attributes = [hex_bytes(m.group(1)) for m in re.finditer(r'check\(\s*"([0-9a-fA-F\s]+)"', source)]
    # Computed attributes go last, as the builder puts them.
    computed = (0x0008, 0x001C, 0x8028)
    ordinary = [a for a in attributes if int.from_bytes(a[:2], "big") not in computed]
    out = {}
    for n, start in enumerate(range(0, len(ordinary), 8)):
        body = b"".join(ordinary[start:start + 8])
        message_type = (0x0001, 0x0101, 0x0111, 0x0003, 0x0113, 0x0016, 0x0017, 0x0009)[n % 8]
        header = message_type.to_bytes(2, "big") + len(body).to_bytes(2, "big")
        header += bytes.fromhex("2112a442 b7e7a701 bc34d686 fa87dfae".replace(" ", ""))
        out[f"attributes-{n}"] = header + body
    return out


def stun_parse():
    out = stun_messages()
    out.update(stun_attribute_messages())
    # The same messages as TURN over TCP and RFC 4571 carry them, and
    # ChannelData around some of the call's RTP.
    for name, message in list(out.items())[:6]:
        out[f"{name}-rfc4571"] = len(message).to_bytes(2, "big") + message
    for i, packet in enumerate(demo_traffic("rtp")[:4]):
        frame = (0x4000 + i).to_bytes(2, "big") + len(packet).to_bytes(2, "big") + packet
        out[f"channel-data-{i}"] = frame + b"\0" * (-len(frame) % 4)
    return out


def rtp_header(pt, seq, ts, ssrc, marker=False, extension=None, padding=0):
    """An RTP header, with an extension block `(profile, data)`."""
    first = 0x80 | (0x20 if padding else 0) | (0x10 if extension else 0)
    header = bytes([first, (0x80 if marker else 0) | pt]) + seq.to_bytes(2, "big")
    header += ts.to_bytes(4, "big") + ssrc.to_bytes(4, "big")
    if extension:
        profile, data = extension
        data += b"\0" * (-len(data) % 4)
        header += profile.to_bytes(2, "big") + (len(data) // 4).to_bytes(2, "big") + data
    return header


def one_byte(*elements):
    return 0xBEDE, b"".join(bytes([i << 4 | (len(d) - 1)]) + d for i, d in elements)


def two_byte(*elements):
    return 0x1000, b"".join(bytes([i, len(d)]) + d for i, d in elements)


def chromium_like():
    """Packets shaped as Chromium sends them with the extension ids of its
    offer (sdp/tests/data/chromium/offer-av-data.sdp): 1 audio level, 2
    abs-send-time, 3 transport-wide sequence number, 4 mid, 5 playout
    delay, 10 rid, 13 video orientation."""
    audio = one_byte((1, bytes([0x80 | 42])), (2, bytes.fromhex("1c4a2b")), (3, (517).to_bytes(2, "big")),
                     (4, b"0"))
    video = one_byte((2, bytes.fromhex("1c4a30")), (3, (518).to_bytes(2, "big")), (4, b"1"),
                     (10, b"h"), (13, bytes([1])), (5, bytes.fromhex("000000")))
    mixed = two_byte((3, (519).to_bytes(2, "big")), (4, b"1"), (16, b""), (22, bytes(20)))
    opus = bytes.fromhex("fc ff fe") + bytes(40)
    # VP8 payload descriptor (X, S, picture id 0x1234) and a keyframe header.
    vp8 = bytes.fromhex("90 80 9234") + bytes.fromhex("5006009d012a4000300000") + bytes(30)
    padding = bytes(223) + bytes([224])
    return {
        "chromium-like-opus": rtp_header(111, 7000, 96000, 0x11223344, True, audio) + opus,
        "chromium-like-vp8": rtp_header(96, 9000, 180000, 0x55667788, True, video) + vp8,
        "chromium-like-two-byte": rtp_header(96, 9001, 180000, 0x55667788, False, mixed) + vp8[:8],
        "chromium-like-rtx": rtp_header(97, 100, 180000, 0x99aabbcc, False, video) + (9000).to_bytes(2, "big") + vp8,
        "chromium-like-padding": rtp_header(97, 101, 180000, 0x99aabbcc, False, video, padding=1) + padding,
    }


def rtp_packets():
    out = dict(chromium_like())
    for i, packet in enumerate(demo_traffic("rtp")):
        out[f"demo-call-{i:02}"] = packet
    for source in ("rtp/src/rtp/packet.rs", "rtp/src/rtp/extension.rs", "rtp/src/rtp/rtx.rs",
                   "rtp/tests/tshark.rs"):
        for i, packet in enumerate(rust_hex_literals(source)):
            if first_byte_kind(packet) == "rtp":
                out[f"{Path(source).stem}-{i:02}"] = packet
    return out


def rtp_packet():
    return rtp_packets()


def rtcp_compound():
    out = {}
    for i, packet in enumerate(demo_traffic("rtcp")):
        out[f"demo-call-{i:02}"] = packet
    sources = sorted((ROOT / "rtp" / "src" / "rtcp").glob("*.rs")) + [ROOT / "rtp" / "tests" / "tshark.rs"]
    for source in sources:
        for i, packet in enumerate(rust_hex_literals(source.relative_to(ROOT))):
            if first_byte_kind(packet) == "rtcp":
                out[f"{source.stem}-{i:02}"] = packet
    return out


def rtp_extensions():
    """The target reads a u16 profile (little-endian, as `arbitrary` does)
    and the extension data."""
    out = {}
    for name, packet in rtp_packets().items():
        if len(packet) < 12 or not packet[0] & 0x10:
            continue
        start = 12 + 4 * (packet[0] & 0x0F)
        header = packet[start:start + 4]
        if len(header) < 4:
            continue
        words = int.from_bytes(header[2:4], "big")
        data = packet[start + 4:start + 4 + 4 * words]
        out[name] = int.from_bytes(header[:2], "big").to_bytes(2, "little") + data
    return out


CODECS = ["opus", "pcmu", "pcma", "g722", "telephone-event", "red", "vp8", "vp9", "h264", "h265", "av1"]


def ffmpeg(args, output):
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args, str(output)], check=True)
    return Path(output).read_bytes()


def ivf_frames(data):
    frames, at = [], 32
    while at + 12 <= len(data):
        size = int.from_bytes(data[at:at + 4], "little")
        frames.append(data[at + 12:at + 12 + size])
        at += 12 + size
    return frames


def ogg_packets(data):
    packets, at, pending = [], 0, b""
    while data.startswith(b"OggS", at):
        segments = data[at + 26]
        table = data[at + 27:at + 27 + segments]
        at += 27 + segments
        for lacing in table:
            pending += data[at:at + lacing]
            at += lacing
            if lacing < 255:
                packets.append(pending)
                pending = b""
    return packets


def rtp_payload():
    """First byte: the format (its index in `Codec::ALL`); second: a payload
    size limit in 8-byte units; then the bytes, read both as a frame and as
    length-prefixed payloads."""
    out = {}
    limit = bytes([150])
    pick = lambda codec: bytes([CODECS.index(codec)])
    video = ["-f", "lavfi", "-i", "testsrc=size=64x48:rate=10", "-frames:v", "3", "-pix_fmt", "yuv420p", "-g", "10"]
    audio = ["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", "0.1"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for codec, args, name in [
            ("vp8", ["-c:v", "libvpx", "-b:v", "100k", "-f", "ivf"], "vp8.ivf"),
            ("vp9", ["-c:v", "libvpx-vp9", "-b:v", "100k", "-f", "ivf"], "vp9.ivf"),
            ("av1", ["-c:v", "libaom-av1", "-cpu-used", "8", "-b:v", "100k", "-f", "ivf"], "av1.ivf"),
        ]:
            for i, frame in enumerate(ivf_frames(ffmpeg(video + args, tmp / name))):
                out[f"{codec}-frame-{i}"] = pick(codec) + limit + frame
        for codec, args, name in [
            ("h264", ["-c:v", "libx264", "-x264-params", "aud=1", "-f", "h264"], "video.h264"),
            ("h265", ["-c:v", "libx265", "-x265-params", "aud=1:log-level=error", "-f", "hevc"], "video.h265"),
        ]:
            out[f"{codec}-stream"] = pick(codec) + limit + ffmpeg(video + args, tmp / name)
        opus = ogg_packets(ffmpeg(audio + ["-c:a", "libopus", "-b:a", "32k", "-f", "ogg"], tmp / "audio.ogg"))
        for i, packet in enumerate(opus[2:6]):
            out[f"opus-packet-{i}"] = pick("opus") + limit + packet
        g722 = ffmpeg(audio + ["-ar", "16000", "-c:a", "g722", "-f", "g722"], tmp / "audio.g722")
        out["g722-frame"] = pick("g722") + limit + g722[:160]
    for i, packet in enumerate(demo_traffic("rtp")[:3]):
        start = 12 + 4 * (packet[0] & 0x0F)
        out[f"pcmu-call-{i}"] = pick("pcmu") + limit + packet[start:]
        out[f"pcma-call-{i}"] = pick("pcma") + limit + packet[start:]
    # RFC 4733 events (digit 1, end bit, volume 10, duration 800), and RFC
    # 2198 RED carrying an older and a newer Opus packet.
    out["telephone-event"] = pick("telephone-event") + limit + bytes.fromhex("018a0320 01 0a 0320")
    if len(opus) > 3:
        older, newer = opus[2], opus[3]
        red = bytes([0x80 | 111]) + (960 << 10 | len(older)).to_bytes(3, "big") + bytes([111]) + older + newer
        out["red-opus"] = pick("red") + limit + red
    return out


BYTE_LEVEL = {
    "sdp_parse": sdp_parse,
    "sdp_negotiate": sdp_negotiate,
    "stun_parse": stun_parse,
    "rtp_packet": rtp_packet,
    "rtcp_compound": rtcp_compound,
    "rtp_extensions": rtp_extensions,
    "rtp_payload": rtp_payload,
}

# Structured targets: the byte-level seeds their campaign starts from.
CAMPAIGNS = {
    "stun_structured": ["stun_parse"],
    "stun_server": ["stun_parse"],
    "stun_transaction": ["stun_parse"],
    "turn_client": ["stun_parse"],
    "ice_agent": ["stun_parse"],
    "rtp_structured": ["rtp_packet", "rtcp_compound"],
    "rtp_jitter": ["rtp_packet"],
    "sdp_structured": ["sdp_parse"],
    "sdp_offer_answer": ["sdp_negotiate"],
    # Their inputs are sequences of steps, not packets: they start empty.
    "dtls_receive": [],
    "srtp_unprotect": [],
    "ice_tcp": [],
    "datachannel_receive": [],
}


# --- reduction ------------------------------------------------------------

def edges_per_file(target, directory):
    """Runs `directory` through the target (a libFuzzer merge) and reads the
    edges each file reaches from the merge control file."""
    with tempfile.TemporaryDirectory() as tmp:
        control = Path(tmp) / "control"
        empty = Path(tmp) / "out"
        empty.mkdir()
        subprocess.run(
            [str(BINARIES / target), "-merge=1", f"-merge_control_file={control}",
             "-rss_limit_mb=2048", str(empty), str(directory)],
            check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        lines = control.read_text().splitlines()
        count = int(lines[0])
        files = lines[2:2 + count]
        edges = {i: set() for i in range(count)}
        for line in lines[2 + count:]:
            if line.startswith("COV "):
                fields = line.split()
                edges[int(fields[1])] = set(fields[2:])
        return {Path(files[i]).name: e for i, e in edges.items()}


def greedy(edges, sizes, max_files, budget, forced):
    """`forced`, then the files that add the most edges (larger ones a
    little less), one at a time."""
    chosen = list(forced)
    covered = set().union(*(edges[n] for n in forced)) if forced else set()
    spent = sum(sizes[n] for n in forced)
    everything = set().union(*edges.values()) if edges else set()
    while len(chosen) < max_files:
        best, best_score = None, 0.0
        for name, e in edges.items():
            if name in chosen or spent + sizes[name] > budget and chosen:
                continue
            gain = len(e - covered)
            if gain == 0:
                continue
            # Mostly the gain: a file of a few KiB counts as a little less.
            score = gain / (1 + sizes[name] / 4096)
            if score > best_score:
                best, best_score = name, score
        if best is None:
            break
        chosen.append(best)
        covered |= edges[best]
        spent += sizes[best]
    return chosen, len(covered), len(everything)


# Real browser traffic each seed set keeps whatever the cover says.
FORCED = {
    "sdp_parse": ["chromium-offer-av-data.sdp", "chromium-answer-av-data.sdp",
                  "chromium-offer-simulcast.sdp", "data-chrome-offer-av-data.sdp"],
    "sdp_negotiate": ["chromium-offer-av-data.sdp", "chromium-offer-simulcast.sdp",
                      "chromium-ice-chromium-offers.offer.sdp", "data-chrome-offer-av-data.sdp"],
    "stun_parse": ["chromium-chromium-offers-request-01", "chromium-chromium-offers-success-00"],
    "rtp_packet": ["chromium-like-opus", "chromium-like-vp8", "demo-call-00"],
    "rtcp_compound": ["demo-call-00", "twcc-00"],
}


def reduce_into(target, candidates_dir, max_files=MAX_FILES):
    edges = edges_per_file(target, candidates_dir)
    sizes = {p.name: p.stat().st_size for p in candidates_dir.iterdir()}
    forced = [n for n in FORCED.get(target, []) if n in edges]
    chosen, covered, total = greedy(edges, sizes, max_files, BYTE_BUDGET, forced)
    out = SEEDS / target
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    for name in chosen:
        shutil.copy(candidates_dir / name, out / name)
    size = sum(sizes[n] for n in chosen)
    print(f"{target}: {len(chosen)} files, {size} bytes, {covered} of {total} edges of the {len(sizes)} candidates")


def build_byte_level(target):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for name, data in BYTE_LEVEL[target]().items():
            (tmp / name).write_bytes(data)
        reduce_into(target, tmp)


def campaign(target, seconds):
    """Fuzzes `target` in fuzz/corpus/<target> (git ignores it), starting
    from the seeds of its protocol and its own, then reduces what is there
    into its seeds. libFuzzer names its inputs by hash; those names stay."""
    corpus = FUZZ / "corpus" / target
    corpus.mkdir(parents=True, exist_ok=True)
    for source in CAMPAIGNS[target] + [target]:
        if (SEEDS / source).exists():
            for seed in (SEEDS / source).iterdir():
                shutil.copy(seed, corpus / seed.name)
    dictionary = {"sdp": "sdp.dict", "stu": "stun.dict", "tur": "stun.dict", "ice": "stun.dict"}.get(target[:3])
    subprocess.run(
        [str(BINARIES / target), f"-max_total_time={seconds}", "-rss_limit_mb=2048",
         "-max_len=4096", "-len_control=0", "-print_final_stats=0", str(corpus)]
        + ([f"-dict={FUZZ / 'dict' / dictionary}"] if dictionary else []),
        check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    reduce_into(target, corpus, MAX_STRUCTURED_FILES)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaign", type=int, metavar="SECONDS",
                        help="also build the structured targets' seeds, fuzzing each this long")
    parser.add_argument("targets", nargs="*", help="only these targets")
    args = parser.parse_args()
    wanted = set(args.targets)
    for target in BYTE_LEVEL:
        if not wanted or target in wanted:
            build_byte_level(target)
    if args.campaign:
        for target in CAMPAIGNS:
            if not wanted or target in wanted:
                campaign(target, args.campaign)


if __name__ == "__main__":
    sys.exit(main())
