#!/usr/bin/env bash
# Chromium against the example peer: ICE, DTLS-SRTP, audio both ways and
# data channels (see interop/README.md).
# Installs what it needs (Debian packages chromium, coturn, tshark, iproute2,
# python3, nftables, ffmpeg), builds the programs, then runs every case of
# interop/chromium.py in a network namespace of its own, in one Chromium.
#
# Needs root (network namespaces). Outside CI, a machine where Chromium
# cannot be installed prints one `skipped: ...` line (which fails .ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

# One `skipped: ...` line, as the Rust interop tests print; `.ci/run` fails on it.
skip() {
    echo "skipped: $*"
    exit 0
}

[ "$(id -u)" = 0 ] || skip "chromium interop needs root (network namespaces)"
need=()
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v turnserver >/dev/null 2>&1 || need+=(coturn)
command -v tshark >/dev/null 2>&1 || need+=(tshark)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v python3 >/dev/null 2>&1 || need+=(python3)
# The video and Opus cases encode a clip and check recordings with ffmpeg.
command -v ffprobe >/dev/null 2>&1 || need+=(ffmpeg)
# The ICE-TCP case drops UDP in the namespace with nft (or iptables).
command -v nft >/dev/null 2>&1 || command -v iptables >/dev/null 2>&1 || need+=(nftables)
if [ ${#need[@]} -gt 0 ]; then
    command -v apt-get >/dev/null 2>&1 || skip "${need[*]} not installed (and no apt-get)"
    echo "installing ${need[*]}"
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null) \
        || skip "${need[*]} not installed (apt-get failed)"
    # Debian's coturn package may start a system service; the test starts its own.
    if command -v systemctl >/dev/null 2>&1; then systemctl stop coturn >/dev/null 2>&1 || true; fi
fi
echo "$(chromium --version 2>/dev/null | head -n 1)"

cargo build -q -p sansrtc-examples --bin signal --bin peer
target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
exec python3 interop/chromium.py --bin "$target_dir/debug" "$@"
