#!/bin/sh
# Runs the whole comparison once and writes RESULTS.md.
#
# Criterion settings can be passed through, e.g.
#   ./run.sh --warm-up-time 1 --measurement-time 3
# (the default). Other arguments are criterion filters.
set -eu
cd "$(dirname "$0")"
target="${CARGO_TARGET_DIR:-target}"
case "$target" in
/*) ;;
*) target="$PWD/$target" ;;
esac
if [ "$#" -eq 0 ]; then
    set -- --warm-up-time 1 --measurement-time 3
fi
load_before="$(cut -d' ' -f1-3 /proc/loadavg)"
cargo bench --bench compare -- "$@"
load_after="$(cut -d' ' -f1-3 /proc/loadavg)"
cargo run --quiet --profile bench --bin report -- \
    "$target/criterion" RESULTS.md "$load_before" "$load_after"
