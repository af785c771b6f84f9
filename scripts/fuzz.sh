#!/usr/bin/env bash
# iotflow-bridge: fuzz the mapping (topic + payload → line protocol) with libFuzzer and
# AddressSanitizer (LeakSanitizer included) for SECONDS (default 300). The target traps on
# any crash and on any output that breaks line-protocol invariants; libFuzzer reports hangs
# (-timeout) and leaks. Seeds come from the mapping's table tests (Fuzz/Seeds).
# Usage: scripts/fuzz.sh [SECONDS]
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-300}

build=Fuzz/.build
swift build -c release --package-path Fuzz -Xswiftc -sanitize=fuzzer,address >/dev/null
# SwiftPM renames an executable's entry point, and libFuzzer brings its own main, so link here.
swiftc -sanitize=fuzzer,address "$build"/release/BridgeCore.build/*.o "$build"/release/MappingFuzzTarget.build/*.o \
    -o "$build/iotflow-fuzz" 2> >(grep -v "Cannot export local symbol" >&2)

work=$(mktemp -d -t iotflow-fuzz.XXXXXX)
cp Fuzz/Seeds/* "$work/"
mkdir -p "$work/artifacts"
echo "==> fuzzing for ${seconds}s (corpus: $work)"
status=0
"$build/iotflow-fuzz" "$work" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=70000 \
    -print_final_stats=1 -artifact_prefix="$work/artifacts/" >"$work/fuzz.log" 2>&1 || status=$?
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb)" "$work/fuzz.log" || true
if ((status != 0)) || compgen -G "$work/artifacts/*" >/dev/null; then
    echo "FAILED: see $work/fuzz.log and $work/artifacts/" >&2
    grep -E "ERROR|Fatal error|precondition" "$work/fuzz.log" | head -5 >&2
    exit 1
fi
echo "no crash, leak or hang in ${seconds}s"
rm -rf "$work"
