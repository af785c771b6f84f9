#!/usr/bin/env bash
# iotflow-bridge: fails if any Swift file differs from what `swift format` makes of it.
# Fix with: swift format --in-place --recursive --parallel Sources Tests Package.swift Fuzz Benchmarks (their Package.swift and Sources)
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
swift format lint --strict --recursive --parallel Sources Tests Package.swift Fuzz/Package.swift Fuzz/Sources Benchmarks/Package.swift Benchmarks/Sources
