#!/usr/bin/env bash
# Echo throughput: CONNS connections × SIZE-byte messages, each connection one message in
# flight, for SECS seconds, against each server in turn (sockwire-tokio's `ws_bench` example,
# tokio-tungstenite, fastwebsockets, Node `ws`, uWebSockets.js, and uWebSockets itself built from
# its C++ sources by `uws/build.sh` where uWebSockets.js's binaries cannot run), the server pinned to CPU 0 and
# the generator to CPU 1, all in one run. Reports messages/s and p50/p99 round trip per server.
#
# The servers take turns ROUNDS times (A B C ... A B C ...) so that a noisy neighbour on a
# shared machine hits them all alike; every round's line is printed.
#
#   benches/load/echo.sh [CONNS] [SIZE] [SECS] [ROUNDS]   (from the project root; default 100 20 10 3)
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNS=${1:-100}; SIZE=${2:-20}; SECS=${3:-10}; ROUNDS=${4:-3}
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) vCPUs)"
echo "# command: benches/load/echo.sh $CONNS $SIZE $SECS $ROUNDS; commit $(git rev-parse --short HEAD); load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p sockwire-tokio --example ws_bench >/dev/null 2>&1
(cd benches/load && cargo build --release >/dev/null 2>&1)
(cd benches/load && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
UWS=$(benches/load/uws/build.sh benches/load/target/uws)
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
SERVER=""
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; true' EXIT
LOAD=benches/load/target/release/load
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
run() {
  local name=$1; shift
  local port; port=$(free_port)
  local err; err=$(mktemp)
  taskset -c 0 "$@" "127.0.0.1:$port" >/dev/null 2>"$err" &
  local pid=$!
  SERVER=$pid
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  printf '%-22s ' "$name"
  if ! kill -0 "$pid" 2>/dev/null; then # a peer that cannot run here is said so, not skipped silently
    echo "DID NOT START: $(grep -m1 -oE "version .GLIBC_[0-9.]+' not found" "$err" || grep -m1 -E 'Error|error' "$err")"; rm -f "$err"; SERVER=""; return
  fi
  rm -f "$err"
  taskset -c 1 "$LOAD" echo "127.0.0.1:$port" "$CONNS" "$SIZE" "$SECS"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; SERVER=""
}
for r in $(seq "$ROUNDS"); do
  echo "# round $r, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  run "sockwire-tokio ws_bench" target/release/examples/ws_bench
  run "tokio-tungstenite 0.28" benches/load/target/release/tungstenite_echo
  run "fastwebsockets 0.10" benches/load/target/release/fastwebsockets_echo
  run "node ws 8.18" env NODE_PATH=benches/load/node_modules node benches/load/ws_echo.cjs
  run "uWebSockets.js 20.57" env NODE_PATH=benches/load/node_modules node benches/load/uws_echo.cjs
  run "uWebSockets 20 (C++)" "$UWS"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
