#!/usr/bin/env bash
# Echo throughput: CONNS connections × SIZE-byte messages, each connection one message in
# flight, for SECS seconds, against each server in turn (sockwire-tokio `echo`,
# tokio-tungstenite, Node `ws`), the server pinned to CPU 0 and the generator to CPU 1, all in
# one run. Reports messages/s and p50/p99 round trip per server.
#
#   benches/load/echo.sh [CONNS] [SIZE] [SECS]     (from the project root; default 100 20 10)
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNS=${1:-100}; SIZE=${2:-20}; SECS=${3:-10}
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) vCPUs)"
echo "# command: benches/load/echo.sh $CONNS $SIZE $SECS; commit $(git rev-parse --short HEAD); load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p sockwire-tokio --example echo >/dev/null 2>&1
(cd benches/load && cargo build --release >/dev/null 2>&1)
(cd tests/interop/ws && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
LOAD=benches/load/target/release/load
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
run() {
  local name=$1; shift
  local port; port=$(free_port)
  taskset -c 0 "$@" "127.0.0.1:$port" >/dev/null 2>&1 &
  local pid=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  printf '%-22s ' "$name"
  taskset -c 1 "$LOAD" echo "127.0.0.1:$port" "$CONNS" "$SIZE" "$SECS"
  kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
}
run "sockwire-tokio echo" target/release/examples/echo
run "tokio-tungstenite" benches/load/target/release/tungstenite_echo
run "node ws 8.18" env NODE_PATH=tests/interop/ws/node_modules node benches/load/ws_echo.cjs
