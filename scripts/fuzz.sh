#!/usr/bin/env bash
# iotflow-bridge: fuzz with libFuzzer and AddressSanitizer (LeakSanitizer included) for SECONDS
# (default 300) per target. Targets:
#   mapping  topic + payload → line protocol; traps on any output that breaks line-protocol
#            invariants. Seeds come from the mapping's table tests (Fuzz/Seeds).
#   replies  status + body + Retry-After → WriteOutcome → BatchDelivery; traps on any
#            inconsistency (a line settled twice, an index outside the batch, more requests than
#            the documented bounds). Seeds: Fuzz/ReplySeeds.
#   all      both, one after the other (the default).
# libFuzzer also reports hangs (-timeout) and leaks.
# Usage: scripts/fuzz.sh [SECONDS] [mapping|replies|all]
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}
which=${2:-all}
case "$which" in
mapping | replies | all) ;;
*)
    echo "usage: scripts/fuzz.sh [SECONDS] [mapping|replies|all]" >&2
    exit 2
    ;;
esac

build=Fuzz/.build
swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address >/dev/null

# fuzz NAME TARGET SEEDS MAX_LEN: links TARGET's objects with BridgeCore (SwiftPM renames an
# executable's entry point, and libFuzzer brings its own main), then runs it for $seconds.
fuzz() {
    local name=$1 target=$2 seeds=$3 max_len=$4
    local binary="$build/iotflow-fuzz-$name"
    swiftc -sanitize=fuzzer,address "$build"/release/BridgeCore.build/*.o "$build/release/$target.build"/*.o \
        -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2)
    local work
    work=$(mktemp -d -t "iotflow-fuzz-$name.XXXXXX")
    cp "$seeds"/* "$work/"
    mkdir -p "$work/artifacts"
    echo "==> fuzzing $name for ${seconds}s (corpus: $work)"
    local status=0
    "$binary" "$work" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len="$max_len" \
        -print_final_stats=1 -artifact_prefix="$work/artifacts/" >"$work/fuzz.log" 2>&1 || status=$?
    grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$work/fuzz.log" || true
    if ((status != 0)) || compgen -G "$work/artifacts/*" >/dev/null; then
        echo "FAILED ($name): see $work/fuzz.log and $work/artifacts/" >&2
        grep -E "ERROR|Fatal error|precondition|invariant" "$work/fuzz.log" | head -5 >&2
        return 1
    fi
    echo "no crash, leak or hang in ${seconds}s ($name)"
    rm -rf "$work"
}

failed=0
if [[ $which == mapping || $which == all ]]; then
    fuzz mapping MappingFuzzTarget Fuzz/Seeds 70000 || failed=1
fi
if [[ $which == replies || $which == all ]]; then
    fuzz replies ReplyFuzzTarget Fuzz/ReplySeeds 4096 || failed=1
fi
exit "$failed"
