#!/usr/bin/env bash
# Memory per idle WebSocket connection: each server (ours on sockwire-tokio, tokio-tungstenite,
# Node `ws`) gets N connections from our load generator (benches/load), held SECS seconds while
# every server sends each connection a keepalive Ping every PING seconds (answered by the
# generator; 0: no Pings); the figure is (server RSS with N connections open - RSS before) / N.
# The generator then checks that every connection still echoes (none dropped) and says how many
# Pings each answered. Every peer runs in this one script, one after another, on this machine;
# the CPU model and the command go at the top of the output.
#
#   benches/load/idle.sh [N] [SECS] [PING]   (from the project root; default 10000 60 25)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
SECS=${2:-60}
PING=${3:-25}
PING_ARG=(); [ "$PING" != 0 ] && PING_ARG=("$PING")
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) vCPUs)"
echo "# command: benches/load/idle.sh $N $SECS $PING; commit $(git rev-parse --short HEAD); open files $(ulimit -n)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p sockwire-tokio --example ws_bench >/dev/null 2>&1
(cd benches/load && cargo build --release >/dev/null 2>&1)
(cd benches/load && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
LOAD=benches/load/target/release/load
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; true' EXIT
measure() { # name, command...
  local name=$1; shift
  local port; port=$(free_port)
  "$@" "127.0.0.1:$port" "${PING_ARG[@]}" >/dev/null 2>&1 &
  local pid=$!
  SERVER=$pid
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  local before; before=$(rss_kb "$pid")
  local ready; ready=$(mktemp -u)
  local log; log=$(mktemp)
  LOAD_READY=$ready "$LOAD" idle "127.0.0.1:$port" "$N" "$SECS" > "$log" &
  local lpid=$!
  while [ ! -e "$ready" ]; do
    kill -0 "$lpid" 2>/dev/null || { echo "$name: the load generator failed"; cat "$log"; kill "$pid"; return 1; }
    sleep 0.2
  done
  sleep 1
  local with; with=$(rss_kb "$pid")
  local ok=yes
  wait "$lpid" || ok=no
  local held; held=$(rss_kb "$pid")
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; SERVER=""
  rm -f "$ready"
  sed 's/^/   /' "$log"; rm -f "$log"
  printf '%-22s RSS before %7d KiB, with %d connections %8d KiB, after %ss %8d KiB: %6.0f B per connection; all alive: %s\n' \
    "$name" "$before" "$N" "$with" "$SECS" "$held" "$(echo "($with - $before) * 1024 / $N" | bc -l)" "$ok"
}


measure "sockwire-tokio ws_bench" target/release/examples/ws_bench
measure "tokio-tungstenite" benches/load/target/release/tungstenite_echo
measure "node ws 8.18" env NODE_PATH=benches/load/node_modules node benches/load/ws_echo.cjs
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
