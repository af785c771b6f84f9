# iotflow-bridge: shared helpers for the scripts (sourced, not run).
# SPDX-License-Identifier: Apache-2.0

# Installs the Debian packages given as arguments that are not installed yet. On a fresh
# machine that means `apt-get update` first; on a prepared one it does nothing.
ensure_packages() {
    local missing=()
    for package in "$@"; do
        dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
    done
    if ((${#missing[@]} > 0)); then
        echo "==> installing ${missing[*]}"
        local sudo=""
        [[ $(id -u) -eq 0 ]] || sudo="sudo"
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

# What building the bridge needs: the C libraries and pkg-config (the Swift toolchain is assumed).
BUILD_PACKAGES=(pkg-config libmosquitto-dev libcurl4-openssl-dev zlib1g-dev libssl-dev libsystemd-dev)
# systemd-analyze checks the unit file; scripts/check-sandbox.sh applies its system call filter
# with libseccomp's python3 binding.
CHECK_PACKAGES=(systemd python3 curl python3-seccomp)
# The real servers the tests and the demo run on loopback.
SERVER_PACKAGES=(mosquitto mosquitto-clients influxdb influxdb-client victoria-metrics)
# The TLS tests generate their certificate authorities and certificates with openssl.
SERVER_PACKAGES+=(openssl)
# promtool checks the /metrics text in the observability end-to-end test.
SERVER_PACKAGES+=(prometheus)

# A free TCP port on 127.0.0.1.
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits up to $2 seconds for a TCP port on 127.0.0.1 to accept connections.
wait_for_port() {
    local port=$1 deadline=$((SECONDS + ${2:-20}))
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        ((SECONDS < deadline)) || { echo "port $port did not open" >&2; return 1; }
        sleep 0.1
    done
}

# Processes started by the script, stopped (SIGTERM, then SIGKILL) by stop_started on exit.
STARTED_PIDS=()

stop_started() {
    for pid in "${STARTED_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
    for pid in "${STARTED_PIDS[@]}"; do
        for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null || true
    done
}

# Starts mosquitto on 127.0.0.1:$2 with its files in $1. No per-client queue limit
# (mosquitto's max_queued_messages defaults to 1000 and then drops silently). Further
# arguments are extra mosquitto.conf lines.
start_mosquitto() {
    local dir=$1 port=$2
    shift 2
    mkdir -p "$dir"
    cat >"$dir/mosquitto.conf" <<CONF
listener $port 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 0
# Without it the broker delays small packets (Nagle), which skews short benchmark runs.
set_tcp_nodelay true
log_dest file $dir/mosquitto.log
$( [[ $(id -u) -eq 0 ]] && echo "user root" )
$(printf '%s\n' "$@")
CONF
    mosquitto -c "$dir/mosquitto.conf" >>"$dir/mosquitto.out" 2>&1 &
    STARTED_PIDS+=($!)
    wait_for_port "$port" 10
}

# Starts InfluxDB 1.x on 127.0.0.1:$2 (RPC on $3) with every file in $1, and creates database $4.
start_influxd() {
    local dir=$1 port=$2 rpc=$3 database=$4
    mkdir -p "$dir"
    cat >"$dir/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$rpc"
[meta]
  dir = "$dir/meta"
  logging-enabled = false
[data]
  dir = "$dir/data"
  wal-dir = "$dir/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[subscriber]
  enabled = false
[continuous_queries]
  enabled = false
[http]
  bind-address = "127.0.0.1:$port"
  log-enabled = false
[logging]
  level = "warn"
  suppress-logo = true
CONF
    influxd -config "$dir/influxdb.conf" >>"$dir/influxd.log" 2>&1 &
    STARTED_PIDS+=($!)
    wait_for_port "$port" 30
    curl -fsS -XPOST "http://127.0.0.1:$port/query" --data-urlencode "q=CREATE DATABASE $database" >/dev/null
}

# Starts VictoriaMetrics on 127.0.0.1:$2 with its data in $1.
start_victoria() {
    local dir=$1 port=$2
    mkdir -p "$dir"
    victoria-metrics -httpListenAddr="127.0.0.1:$port" -storageDataPath="$dir/data" -retentionPeriod=100y \
        >>"$dir/victoria.log" 2>&1 &
    STARTED_PIDS+=($!)
    wait_for_port "$port" 20
}

# Waits up to $2 seconds for a line matching $3 in file $1.
wait_for_line() {
    local file=$1 deadline=$((SECONDS + $2)) pattern=$3
    until grep -q -- "$pattern" "$file" 2>/dev/null; do
        ((SECONDS < deadline)) || { echo "'$pattern' did not appear in $file" >&2; return 1; }
        sleep 0.1
    done
}
