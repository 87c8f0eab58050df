#!/usr/bin/env bash
# Cluster broadcast fan-out through Redis: `benches/load/cluster.sh N B` (from the project root).
# One redis-server; then, in turn, two sockwire-tokio `sio_cluster` nodes and two Node
# socket.io 4.8 + @socket.io/redis-adapter 8.3 nodes (tests/interop/cluster/run.mjs); N
# Socket.IO clients spread over the two nodes; one client asks its node for B broadcasts to
# everyone (`sio_fanout`). Prints the CPU, the load, the commit and one line per pair.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
require_node
command -v redis-server >/dev/null || { echo "FAIL: redis-server missing"; exit 1; }
N=${1:-10000}; B=${2:-10}
TMP=$(mktemp -d); PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
ulimit -n 65536 2>/dev/null || true
echo '{"private":true,"type":"module"}' > "$TMP/package.json"
(cd "$TMP" && npm install --no-audit --no-fund --loglevel=error \
  socket.io@4.8 @socket.io/redis-adapter@8.3 redis@4.7 socket.io-client@4.8) >/dev/null
cp tests/interop/cluster/run.mjs "$TMP/run.mjs"
cargo build --release -q -p sockwire-tokio --features redis --example sio_cluster
(cd benches/load && cargo build --release -q --bin sio_fanout)
SW="${CARGO_TARGET_DIR:-target}/release/examples/sio_cluster"
FAN=benches/load/target/release/sio_fanout
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-) ($(nproc) cpus); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "commit: $(git rev-parse --short HEAD); command: benches/load/cluster.sh $N $B"
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
PIDS+=($!); wait_port "$RPORT"
run_pair() { # run_pair NAME: starts the pair (P1 P2 set by the caller), measures, stops it
  sleep 1
  echo -n "$1: "
  timeout 300 "$FAN" "127.0.0.1:$P1,127.0.0.1:$P2" "$N" "$B" || echo "(failed)"
  kill "${PIDS[@]:1}" 2>/dev/null || true; PIDS=("${PIDS[0]}")
  sleep 1
}
P1=$(free_port); P2=$(free_port)
"$SW" --addr "127.0.0.1:$P1" --redis "127.0.0.1:$RPORT" --name a & PIDS+=($!)
"$SW" --addr "127.0.0.1:$P2" --redis "127.0.0.1:$RPORT" --name b & PIDS+=($!)
wait_port "$P1"; wait_port "$P2"
run_pair "sockwire x2"
P1=$(free_port); P2=$(free_port)
node "$TMP/run.mjs" node-server "$P1" "redis://127.0.0.1:$RPORT" & PIDS+=($!)
node "$TMP/run.mjs" node-server "$P2" "redis://127.0.0.1:$RPORT" & PIDS+=($!)
wait_port "$P1"; wait_port "$P2"
run_pair "node socket.io x2"
