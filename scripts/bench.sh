#!/usr/bin/env bash
# iotflow-bridge: throughput and memory, as ratios measured in one run.
#
#   (a) the broker's own delivery rate: `iotflow-sim count`, a plain libmosquitto subscriber
#       that only counts, receives N QoS 1 messages while `iotflow-sim publish` sends them;
#   (b) the bridge: the same load, mapped, buffered and written to VictoriaMetrics through
#       /api/v2/write; the clock stops when VictoriaMetrics has inserted every row. Run twice:
#       with the durable buffer (fsync per read burst, the default) and with the memory buffer;
#   (c) the same three consumers draining a backlog the broker queued while they were away, so
#       the publisher's pace (which varies between legs on a loaded machine) is not in the figure.
#
# Prints the rates and their ratios (against the subscriber; for (b) also against the publisher's
# pace in the same leg), the bridge's CPU seconds per 100k messages and its peak RSS, then the
# mapping's own cost per message (decode + map + encode, Benchmarks/mapping-bench).
# Usage: scripts/bench.sh [MESSAGES] [DEVICES] [INFLIGHT]
#   MESSAGES is rounded to whole 5000-point batches. INFLIGHT is the broker's
#   max_inflight_messages (default 20, mosquitto's own): the QoS 1 messages it sends a client
#   before waiting for PUBACKs, which bounds a read burst and so how many messages share an fsync.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
batch=5000
messages=$(( (${1:-200000} + batch - 1) / batch * batch ))
devices=${2:-1000}
inflight=${3:-20}
fields_per_message=4  # temperature, humidity, battery_level, seq (iotflow-sim's payload)

ensure_packages "${BUILD_PACKAGES[@]}" "${SERVER_PACKAGES[@]}" curl python3
swift build -q -c release --product iotflow-bridge
swift build -q -c release --product iotflow-sim
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d -t iotflow-bench.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT
mqtt_port=$(free_port)
vm_port=$(free_port)
start_mosquitto "$work/mosquitto" "$mqtt_port" "max_inflight_messages $inflight"
start_victoria "$work/victoria" "$vm_port"
publish=("$bin/iotflow-sim" publish --port "$mqtt_port" --devices "$devices" --count "$messages" --max-inflight 1000 --timeout 600)
now() { date +%s.%N; }

echo "==> (a) plain subscriber, $messages messages from $devices devices (broker max_inflight_messages $inflight)"
"$bin/iotflow-sim" count --port "$mqtt_port" --expect "$messages" --timeout 600 >"$work/count.out" &
count_pid=$!
wait_for_line "$work/count.out" 10 ready
"${publish[@]}" | sed 's/^/    publisher: /'
wait "$count_pid"
sed 's/^/    subscriber: /' "$work/count.out" | grep received
subscriber_rate=$(awk '/^received/ {print $(NF-1)}' "$work/count.out")

rows() {
    curl -fsS "http://127.0.0.1:$vm_port/metrics" |
        awk '/^vm_rows_inserted_total\{type="influx"\}/ {print $2; found=1} END {if (!found) print 0}'
}

# Starts the bridge as $1 (client id, buffer directory and log $2) with the environment that
# follows, waits until it has subscribed, and sets bridge_pid.
start_bridge() {
    local name=$1 log=$2; shift 2
    env "$@" MQTT_PORT=$mqtt_port MQTT_CLIENT_ID="iotflow-bench-$name" INFLUXDB_API=v2 \
        INFLUXDB_URL="http://127.0.0.1:$vm_port" INFLUXDB_BATCH_SIZE=$batch INFLUXDB_FLUSH_INTERVAL=1000 \
        LOGGING_SUMMARY_INTERVAL=1h HTTP_LISTEN="127.0.0.1:$(free_port)" DEAD_LETTERS_PATH="$work/dead-letters.jsonl" BUFFER_PATH="$work/buffer-$name" \
        "$bin/iotflow-bridge" run >"$log" 2>&1 &
    bridge_pid=$!
    wait_for_line "$log" 20 "Subscribed."
}

stop_bridge() {
    kill -TERM "$bridge_pid"
    wait "$bridge_pid" || true
}

# Waits until VictoriaMetrics holds $1 rows (bridge log $2 shown if it never does).
wait_for_rows() {
    local deadline=$((SECONDS + 300))
    until (($(rows) >= $1)); do
        ((SECONDS < deadline)) || { echo "VictoriaMetrics did not receive every row" >&2; tail "$2" >&2; exit 1; }
        sleep 0.05
    done
}

# One bridge leg: the same load through the bridge with the given buffer settings.
bridge_leg() {
    local name=$1; shift
    echo "==> (b) iotflow-bridge to VictoriaMetrics, same load, $name buffer"
    local expected_rows=$(($(rows) + messages * fields_per_message))
    start_bridge "$name" "$work/bridge-$name.log" "$@"
    local start; start=$(now)
    "${publish[@]}" | tee "$work/publisher-$name.out" | sed 's/^/    publisher: /'
    wait_for_rows "$expected_rows" "$work/bridge-$name.log"
    local finish; finish=$(now)
    # CPU time and peak RSS from the kernel's own accounting, read before the bridge exits.
    cp "/proc/$bridge_pid/stat" "$work/bridge-$name.stat"
    cp "/proc/$bridge_pid/status" "$work/bridge-$name.status"
    stop_bridge
    echo "$start $finish" >"$work/bridge-$name.times"
}
bridge_leg durable BUFFER_DURABLE=true BUFFER_FSYNC=burst
bridge_leg memory BUFFER_DURABLE=false

# (c) The consumer's own ceiling, without the publisher's pace in it: the broker queues the load
# for a consumer that is away (persistent session), and the clock runs while it drains.
echo "==> (c) backlog drain: $messages messages queued for a consumer that was away"
drain_subscriber=("$bin/iotflow-sim" count --port "$mqtt_port" --client-id iotflow-bench-drain --keep-session --timeout 600)
"${drain_subscriber[@]}" --expect 0 >/dev/null
"${publish[@]}" >/dev/null
"${drain_subscriber[@]}" --expect "$messages" >"$work/drain-count.out"
sed 's/^/    plain subscriber: /' "$work/drain-count.out" | grep received
drain_leg() {
    local name=$1; shift
    start_bridge "drain-$name" "$work/drain-$name-1.log" "$@"
    stop_bridge
    "${publish[@]}" >/dev/null
    local expected_rows=$(($(rows) + messages * fields_per_message))
    local start; start=$(now)
    start_bridge "drain-$name" "$work/drain-$name-2.log" "$@"
    wait_for_rows "$expected_rows" "$work/drain-$name-2.log"
    local finish; finish=$(now)
    stop_bridge
    echo "$start $finish" >"$work/drain-$name.times"
    echo "    bridge, $name buffer: drained in $(awk '{printf "%.3f", $2 - $1}' "$work/drain-$name.times")s (start-up to last row inserted)"
}
drain_leg durable BUFFER_DURABLE=true BUFFER_FSYNC=burst
drain_leg memory BUFFER_DURABLE=false

python3 - "$messages" "$subscriber_rate" "$work" "$(getconf CLK_TCK)" <<'PY'
import sys
messages, subscriber_rate, work, ticks = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], int(sys.argv[4])
rates = {}
for name in ("durable", "memory"):
    start, finish = map(float, open(f"{work}/bridge-{name}.times").read().split())
    stat = open(f"{work}/bridge-{name}.stat").read().rsplit(")", 1)[1].split()
    cpu = (int(stat[11]) + int(stat[12])) / ticks  # utime + stime (fields 14 and 15 of /proc/PID/stat)
    peak_kib = next(int(line.split()[1]) for line in open(f"{work}/bridge-{name}.status") if line.startswith("VmHWM:"))
    rates[name] = messages / (finish - start)
    publisher_rate = float(open(f"{work}/publisher-{name}.out").read().split()[-2])
    print(f"broker -> bridge ({name} buffer) -> VictoriaMetrics: {rates[name]:,.0f} msg/s (publish start to last row inserted)")
    print(f"    ratio bridge/subscriber: {rates[name] / subscriber_rate:.2f}")
    # The publisher's pace varies between legs on a loaded machine; this ratio is within one leg.
    print(f"    ratio bridge/publisher in this leg: {rates[name] / publisher_rate:.2f} (publisher {publisher_rate:,.0f} msg/s)")
    print(f"    CPU: {cpu * 100000 / messages:.2f} s per 100k messages (whole process, start-up included); peak RSS {peak_kib / 1024:.1f} MiB")
print(f"broker -> plain subscriber: {subscriber_rate:,.0f} msg/s")
print(f"ratio durable/memory: {rates['durable'] / rates['memory']:.2f}")
drain_subscriber = float(open(f"{work}/drain-count.out").read().split()[-2])
drains = {}
for name in ("durable", "memory"):
    start, finish = map(float, open(f"{work}/drain-{name}.times").read().split())
    drains[name] = messages / (finish - start)
    print(f"backlog drain, bridge ({name} buffer): {drains[name]:,.0f} msg/s, ratio bridge/subscriber {drains[name] / drain_subscriber:.2f}")
print(f"backlog drain, plain subscriber: {drain_subscriber:,.0f} msg/s")
print(f"backlog drain ratio durable/memory: {drains['durable'] / drains['memory']:.2f}")
PY

echo "==> mapping cost per message and per input byte, ordinary and hostile shapes (best of 3)"
swift build -q -c release --package-path Benchmarks
Benchmarks/.build/release/mapping-bench 1000000
