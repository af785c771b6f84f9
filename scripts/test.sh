#!/usr/bin/env bash
# iotflow-bridge: the README's second command. Installs what it needs, checks formatting,
# builds with the strict flags, and runs every test suite; the integration suites run
# against real mosquitto, InfluxDB 1.6.7 and VictoriaMetrics and may not be skipped here.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

ensure_packages "${BUILD_PACKAGES[@]}" "${SERVER_PACKAGES[@]}" "${CHECK_PACKAGES[@]}"

echo "==> format"
bash scripts/check-format.sh

echo "==> shape (files <= 300 lines, functions <= 60, nesting <= 4)"
python3 scripts/check-shape.py

echo "==> build (warnings are errors)"
swift build --build-tests -Xswiftc -warnings-as-errors --explicit-target-dependency-import-check error

echo "==> systemd unit"
unit=$(mktemp --suffix=.service)
sed "s|/usr/local/bin/iotflow-bridge|$(swift build --show-bin-path)/iotflow-bridge|g" systemd/iotflow-bridge.service >"$unit"
systemd-analyze verify "$unit"
rm -f "$unit"

echo "==> test"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# IOTFLOW_REQUIRE_INTEGRATION turns a missing server into a failure instead of a skip.
IOTFLOW_REQUIRE_INTEGRATION=1 swift test --skip-build --disable-xctest 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if grep -E "^➜ (Test|Suite) .+ skipped" "$log"; then
    echo "error: a test suite was skipped; every suite must run here" >&2
    exit 1
fi
exit "$status"
