#!/usr/bin/env bash
# Line coverage of the library code each fuzz target reaches after a fixed
# run from its committed seeds: runs every target for SECONDS (default 60)
# into a scratch corpus, replays that corpus and the seeds with
# `cargo fuzz coverage`, and prints a Markdown table of the lines covered in
# each crate's src/ (per target, then for all targets together), as in
# fuzz/README.md.
#
#   bash fuzz/coverage.sh [SECONDS] [TARGET...]
#
# Needs cargo-fuzz and llvm-tools (`rustup component add llvm-tools-preview`).
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
export RUSTC_BOOTSTRAP=1
host=$(rustc -vV | sed -n 's/^host: //p')
bin=$(dirname "$(find "$(rustc --print sysroot)" -name llvm-profdata -type f | head -n 1)")
if [ ! -x "$bin/llvm-cov" ]; then
    echo "llvm-cov not found: rustup component add llvm-tools-preview" >&2
    exit 1
fi
targets=${*:-$(cargo fuzz list)}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

cargo fuzz build -O >/dev/null 2>&1
for target in $targets; do
    mkdir -p "$scratch/corpus/$target"
    dict=()
    case "$target" in
        sdp_*) dict=(-dict=dict/sdp.dict) ;;
        stun_* | turn_client | ice_agent) dict=(-dict=dict/stun.dict) ;;
    esac
    "target/$host/release/$target" -max_total_time="$seconds" -rss_limit_mb=2048 "${dict[@]}" \
        "$scratch/corpus/$target" "seeds/$target" >"$scratch/$target.log" 2>&1 || {
        tail -n 30 "$scratch/$target.log" >&2
        exit 1
    }
    cargo fuzz coverage -O "$target" "$scratch/corpus/$target" "seeds/$target" >"$scratch/$target.cov.log" 2>&1 || {
        tail -n 30 "$scratch/$target.cov.log" >&2
        exit 1
    }
    "$bin/llvm-cov" export -summary-only \
        -instr-profile="coverage/$target/coverage.profdata" \
        "target/$host/coverage/$host/release/$target" >"$scratch/$target.json"
done

# All targets together: the profiles merged, every binary read.
objects=()
profiles=()
for target in $targets; do
    objects+=(-object "target/$host/coverage/$host/release/$target")
    profiles+=("coverage/$target/coverage.profdata")
done
"$bin/llvm-profdata" merge -sparse "${profiles[@]}" -o "$scratch/all.profdata"
"$bin/llvm-cov" export -summary-only -instr-profile="$scratch/all.profdata" "${objects[@]}" >"$scratch/all.json"

python3 - "$scratch" "$(cd .. && pwd)" $targets <<'EOF'
import json, sys
scratch, root, targets = sys.argv[1], sys.argv[2], sys.argv[3:]
crates = ["stun", "ice", "sdp", "rtp"]

def per_crate(path):
    files = json.load(open(path))["data"][0]["files"]
    out = {}
    for f in files:
        for crate in crates:
            if f["filename"].startswith(f"{root}/{crate}/src/"):
                lines = f["summary"]["lines"]
                count, covered = out.get(crate, (0, 0))
                out[crate] = (count + lines["count"], covered + lines["covered"])
    return out

print("| target | " + " | ".join(f"`{c}` lines" for c in crates) + " |")
print("|---|" + "---|" * len(crates))
for target in targets + ["all"]:
    cov = per_crate(f"{scratch}/{target}.json")
    cells = []
    for crate in crates:
        count, covered = cov.get(crate, (0, 0))
        cells.append(f"{100 * covered / count:.1f} % ({covered}/{count})" if covered else "")
    name = "all targets together" if target == "all" else f"`{target}`"
    print(f"| {name} | " + " | ".join(cells) + " |")
EOF
