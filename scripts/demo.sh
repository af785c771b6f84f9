#!/usr/bin/env bash
# iotflow-bridge: the README's first command. On a fresh Debian 12 machine: installs what it
# needs, builds, starts mosquitto and InfluxDB 1.6.7 on loopback in a temporary directory, runs
# the bridge and 10,000 messages from 100 simulated ESP32 devices, and shows what landed.
# Everything it starts is stopped when it ends. Usage: scripts/demo.sh [MESSAGES] [DEVICES]
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
messages=${1:-10000}
devices=${2:-100}

ensure_packages "${BUILD_PACKAGES[@]}" "${SERVER_PACKAGES[@]}" curl python3
echo "==> building (release)"
swift build -c release --product iotflow-bridge
swift build -c release --product iotflow-sim
bin=$(swift build -c release --show-bin-path)

work=$(mktemp -d -t iotflow-demo.XXXXXX)
trap 'stop_started; rm -rf "$work"' EXIT
mqtt_port=$(free_port)
influx_port=$(free_port)
rpc_port=$(free_port)
http_port=$(free_port)
echo "==> mosquitto on 127.0.0.1:$mqtt_port, InfluxDB $(influxd version | awk '{print $2}') on 127.0.0.1:$influx_port"
start_mosquitto "$work/mosquitto" "$mqtt_port"
start_influxd "$work/influxdb" "$influx_port" "$rpc_port" iotflow

echo "==> iotflow-bridge (log: $work/bridge.log)"
MQTT_PORT=$mqtt_port INFLUXDB_API=v1 INFLUXDB_URL="http://127.0.0.1:$influx_port" INFLUXDB_DATABASE=iotflow \
    INFLUXDB_FLUSH_INTERVAL=1000 LOGGING_SUMMARY_INTERVAL=5s HTTP_LISTEN="127.0.0.1:$http_port" DEAD_LETTERS_PATH="$work/dead-letters.jsonl" BUFFER_PATH="$work/buffer" \
    "$bin/iotflow-bridge" run --config etc/iotflow-bridge.yaml >"$work/bridge.log" 2>&1 &
bridge_pid=$!
STARTED_PIDS+=("$bridge_pid")
wait_for_line "$work/bridge.log" 20 "Subscribed."

echo "==> $messages messages from $devices simulated devices (QoS 1)"
"$bin/iotflow-sim" publish --port "$mqtt_port" --devices "$devices" --count "$messages" --rate 5000

count() {
    curl -fsS -G "http://127.0.0.1:$influx_port/query" --data-urlencode db=iotflow \
        --data-urlencode "q=SELECT COUNT(seq) FROM environment" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["results"][0]; print(r["series"][0]["values"][0][1] if "series" in r else 0)'
}
deadline=$((SECONDS + 60))
landed=$(count)
while ((landed < messages && SECONDS < deadline)); do
    sleep 0.5
    landed=$(count)
done

echo "==> a few of the points in InfluxDB"
influx -host 127.0.0.1 -port "$influx_port" -database iotflow -precision rfc3339 -format column \
    -execute "SELECT device_id, temperature, humidity, battery_level, seq FROM environment ORDER BY time DESC LIMIT 5"
echo "==> field types (every number is a float)"
influx -host 127.0.0.1 -port "$influx_port" -database iotflow -format column -execute "SHOW FIELD KEYS FROM environment"

echo "==> iotflow-bridge status (the HTTP endpoint on 127.0.0.1:$http_port: /metrics, /health, /ready, /devices)"
"$bin/iotflow-bridge" status --url "http://127.0.0.1:$http_port" || true

kill -TERM "$bridge_pid"
wait "$bridge_pid" || true
echo "==> the bridge's last log lines"
tail -n 3 "$work/bridge.log"
echo
echo "landed $landed/$messages points"
((landed == messages))
