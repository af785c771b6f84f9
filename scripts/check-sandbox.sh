#!/usr/bin/env bash
# iotflow-bridge: runs the built bridge inside the shipped unit's sandbox, as much of it as can be
# reproduced without systemd as PID 1 (docs/operations.md, "Hardening"), and checks that it still
# does its job there: 10,000 messages through mosquitto land in InfluxDB 1.6.7, SIGHUP reloads,
# SIGTERM stops it with exit 0, and its threads name themselves.
#   scripts/check-sandbox.sh BIN_DIR      (BIN_DIR holds the built iotflow-bridge and iotflow-sim)
# Needs root: it builds the mount namespace, then drops to a uid of DynamicUser='s range.
# SPDX-License-Identifier: Apache-2.0
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

readonly SANDBOX_UID=61934 MESSAGES=10000

# Inside `unshare --mount --pid --ipc --uts --fork`, as root: the unit's file system directives,
# then no privileges at all, then its system call filter; the last exec is the bridge's.
inside() {
    local work=$1 bin=$2
    # ProtectProc=invisible, ProcSubset=pid
    mount -t proc -o hidepid=invisible,subset=pid proc /proc
    # PrivateDevices=yes: null, zero, full, random and urandom only
    mkdir "$work/devices"
    for device in null zero full random urandom; do
        touch "$work/devices/$device"
        mount --bind "/dev/$device" "$work/devices/$device"
    done
    mount -t tmpfs -o mode=0755,nosuid,noexec tmpfs /dev
    for device in null zero full random urandom; do
        touch "/dev/$device"
        mount --move "$work/devices/$device" "/dev/$device"
    done
    # PrivateTmp=, ProtectHome=, ProtectSystem=strict but for StateDirectory=, and /sys read-only
    # (ProtectKernelTunables=, ProtectControlGroups=)
    mount -t tmpfs tmpfs /tmp
    for home in /root /home; do mount -t tmpfs -o mode=0755 tmpfs "$home"; done
    mount --bind "$work/state" "$work/state"
    mount -o remount,bind,ro /
    for target in $(findmnt -rn -o TARGET | grep '^/sys'); do mount -o remount,bind,ro "$target"; done
    umask 0077
    ulimit -c 0
    cd /
    exec setpriv --reuid="$SANDBOX_UID" --regid="$SANDBOX_UID" --clear-groups --no-new-privs \
        --inh-caps=-all --ambient-caps=-all --bounding-set=-all -- \
        /usr/bin/python3 "$work/sandbox-exec.py" "$work/iotflow-bridge.service" \
        "$bin/iotflow-bridge" run --config "$work/iotflow-bridge.yaml"
}

# A CA in $1/ca.crt, and certificates it signed for the broker (127.0.0.1) and the bridge.
make_certificates() {
    local dir=$1
    mkdir -p "$dir"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj "/CN=iotflow-bridge sandbox CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
    for name in server client; do
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$name" \
            -keyout "$dir/$name.key" -out "$dir/$name.csr" 2>/dev/null
        openssl x509 -req -in "$dir/$name.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
            -days 1 -extfile <(echo "subjectAltName=IP:127.0.0.1") -out "$dir/$name.crt" 2>/dev/null
    done
}

if [[ ${1:-} == --inside ]]; then
    inside "$2" "$3"
fi

bin=$(realpath "$1")
(($(id -u) == 0)) || { echo "error: check-sandbox.sh needs root (mount namespace, setpriv)" >&2; exit 1; }
work=$(mktemp -d /var/tmp/iotflow-sandbox.XXXXXX)
chmod 0755 "$work"
trap 'stop_started; rm -rf "$work"' EXIT
mkdir -m 0700 "$work/state"
chown "$SANDBOX_UID:$SANDBOX_UID" "$work/state"
cp etc/iotflow-bridge.yaml systemd/iotflow-bridge.service scripts/sandbox-exec.py "$work/"
chmod a+r "$work/iotflow-bridge.yaml" "$work/iotflow-bridge.service" "$work/sandbox-exec.py"
# The binary runs from the work directory: the build may lie under /tmp or /root, which the
# sandbox hides (PrivateTmp=, ProtectHome=), as the unit's /usr/local/bin would not be.
mkdir -m 0755 "$work/bin"
install -m 0755 "$bin/iotflow-bridge" "$work/bin/iotflow-bridge"

# MQTT over TLS with a client certificate whose key is a systemd credential (LoadCredential=,
# which systemd hands over owned by the service's user, mode 0400): OpenSSL, the CA file and
# $CREDENTIALS_DIRECTORY are used inside the sandbox.
make_certificates "$work/tls"
chmod a+r "$work/tls/ca.crt" "$work/tls/client.crt"
mkdir -m 0500 "$work/credentials"
install -m 0400 -o "$SANDBOX_UID" "$work/tls/client.key" "$work/credentials/mqtt-tls-key"
chown "$SANDBOX_UID" "$work/credentials"
mqtt_port=$(free_port)
influx_port=$(free_port)
http_port=$(free_port)
start_mosquitto "$work/mosquitto" "$mqtt_port" "cafile $work/tls/ca.crt" "certfile $work/tls/server.crt" \
    "keyfile $work/tls/server.key" "require_certificate true"
start_influxd "$work/influxdb" "$influx_port" "$(free_port)" iotflow

MQTT_PORT=$mqtt_port MQTT_TLS_CA_FILE="$work/tls/ca.crt" MQTT_TLS_CERT_FILE="$work/tls/client.crt" \
    CREDENTIALS_DIRECTORY="$work/credentials" INFLUXDB_API=v1 INFLUXDB_URL="http://127.0.0.1:$influx_port" INFLUXDB_DATABASE=iotflow \
    INFLUXDB_FLUSH_INTERVAL=500 HTTP_LISTEN="127.0.0.1:$http_port" BUFFER_PATH="$work/state/buffer" DEAD_LETTERS_PATH="$work/state/dead-letters.jsonl" \
    unshare --mount --pid --ipc --uts --fork --propagation private bash "$0" --inside "$work" "$work/bin" \
    >"$work/bridge.log" 2>&1 &
runner=$!
# The bridge is unshare's child (bash, setpriv and python exec into it). It is stopped by its own
# pid: unshare's --kill-child would not reach it, as setpriv's uid change clears that signal.
trap 'kill -KILL $(pgrep -P "$runner" -x iotflow-bridge) 2>/dev/null || true; stop_started; rm -rf "$work"' EXIT
fail() {
    echo "error: $1" >&2
    tail -20 "$work/bridge.log" >&2
    exit 1
}
wait_for_line "$work/bridge.log" 30 "Subscribed." || fail "the bridge did not subscribe in its sandbox"
pid=$(pgrep -P "$runner" -x iotflow-bridge) || fail "the sandbox runs no iotflow-bridge process"

# The sandbox is really there: not root, no capability, no new privileges, a seccomp filter.
status=$(cat "/proc/$pid/status")
grep -Eq "^Uid:\s+$SANDBOX_UID\s" <<<"$status" || fail "the bridge does not run as uid $SANDBOX_UID"
grep -Eq '^CapBnd:\s+0+$' <<<"$status" || fail "the bridge keeps a capability"
grep -Eq '^NoNewPrivs:\s+1$' <<<"$status" || fail "the bridge may gain privileges"
grep -Eq '^Seccomp:\s+2$' <<<"$status" || fail "the bridge runs without a system call filter"
# /proc/thread-self/comm is writable with ProcSubset=pid: the dedicated threads named themselves.
names=$(cat "/proc/$pid/task/"*/comm)
grep -qx mqtt <<<"$names" && grep -qx writer <<<"$names" || fail "the threads could not name themselves: $names"

"$bin/iotflow-sim" publish --port "$mqtt_port" --cafile "$work/tls/ca.crt" --cert "$work/tls/client.crt" \
    --key "$work/tls/client.key" --devices 100 --count "$MESSAGES" --rate 5000
landed=0
for _ in $(seq 60); do
    landed=$(curl -fsS "http://127.0.0.1:$influx_port/query?db=iotflow" --data-urlencode "q=SELECT count(*) FROM /.*/" |
        python3 -c 'import json, sys
series = json.load(sys.stdin)["results"][0].get("series", [])
print(sum(max(v for v in s["values"][0][1:] if v is not None) for s in series))')
    ((landed >= MESSAGES)) && break
    sleep 1
done
echo "landed $landed of $MESSAGES points in the sandbox"
((landed == MESSAGES)) || fail "landed $landed points, sent $MESSAGES"
# The HTTP endpoint (swift-nio's event loop: epoll, eventfd, timerfd) answers under the filter.
received=$(curl -fsS "http://127.0.0.1:$http_port/metrics" | awk '$1 == "iotflow_bridge_messages_received_total" {print $2}')
echo "/metrics in the sandbox: iotflow_bridge_messages_received_total $received"
[[ $received == "$MESSAGES" ]] || fail "/metrics counted ${received:-nothing} messages received, sent $MESSAGES"

kill -HUP "$pid"
wait_for_line "$work/bridge.log" 10 "Reloaded the configuration." || fail "SIGHUP did not reload"
kill -TERM "$pid"
code=0
wait "$runner" || code=$?
((code == 0)) || fail "the bridge exited $code"
if grep -E " (error|critical) " "$work/bridge.log"; then
    fail "the bridge logged errors in its sandbox"
fi
echo "sandbox: uid $SANDBOX_UID, no capabilities, seccomp filter and MemoryDenyWriteExecute from the unit; all points landed"
