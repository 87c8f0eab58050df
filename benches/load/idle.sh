#!/usr/bin/env bash
# Memory per idle WebSocket connection: each server (ours on sockwire-tokio, tokio-tungstenite,
# Node `ws`) gets N connections from our load generator (benches/load), held SECS seconds; the
# figure is (server RSS with N connections open - RSS before) / N. The generator then checks
# that every connection still echoes (none dropped). Every peer runs in this one script, one
# after another, on this machine; the CPU model and the command go at the top of the output.
#
#   benches/load/idle.sh [N] [SECS]      (from the project root; default 10000 and 60)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-10000}
SECS=${2:-60}
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) vCPUs)"
echo "# command: benches/load/idle.sh $N $SECS; commit $(git rev-parse --short HEAD); open files $(ulimit -n)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p sockwire-tokio --example echo >/dev/null 2>&1
(cd benches/load && cargo build --release >/dev/null 2>&1)
(cd tests/interop/ws && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
LOAD=benches/load/target/release/load
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

measure() { # name, command...
  local name=$1; shift
  local port; port=$(free_port)
  "$@" "127.0.0.1:$port" >/dev/null 2>&1 &
  local pid=$!
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
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  rm -f "$ready"
  printf '%-22s RSS before %7d KiB, with %d connections %8d KiB, after %ss %8d KiB: %6.0f B per connection; all alive: %s\n' \
    "$name" "$before" "$N" "$with" "$SECS" "$held" "$(echo "($with - $before) * 1024 / $N" | bc -l)" "$ok"
}


measure "sockwire-tokio echo" target/release/examples/echo
measure "tokio-tungstenite" benches/load/target/release/tungstenite_echo
measure "node ws 8.18" env NODE_PATH=tests/interop/ws/node_modules node benches/load/ws_echo.cjs
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
