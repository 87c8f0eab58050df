#!/usr/bin/env bash
# Cluster broadcast fan-out through Redis: `benches/load/cluster.sh N B R` (from the project
# root). One redis-server; then R rounds, each with, in turn, two sockwire-tokio `sio_cluster`
# nodes and two Node socket.io 4.8 + @socket.io/redis-adapter 8.3 nodes
# (tests/interop/cluster/run.mjs); N Socket.IO clients spread over the two nodes; one client
# asks its node for B broadcasts to everyone (`sio_fanout`). Prints the CPU, the load (before
# each round), the commit, one line per pair and run, then each pair's medians.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
require_node
command -v redis-server >/dev/null || { echo "FAIL: redis-server missing"; exit 1; }
N=${1:-10000}; B=${2:-10}; R=${3:-1}
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
echo "commit: $(git rev-parse --short HEAD); command: benches/load/cluster.sh $N $B $R"
RPORT=$(free_port)
redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
PIDS+=($!); wait_port "$RPORT"
run_pair() { # run_pair NAME: starts the pair (P1 P2 set by the caller), measures, stops it
  sleep 1
  local line
  line=$(timeout 300 "$FAN" "127.0.0.1:$P1,127.0.0.1:$P2" "$N" "$B" || echo "(failed)")
  echo "$1: $line"
  echo "$line" >>"$TMP/$2.runs"
  kill "${PIDS[@]:1}" 2>/dev/null || true; PIDS=("${PIDS[0]}")
  sleep 1
}
for r in $(seq 1 "$R"); do
  echo "round $r, load: $(cut -d' ' -f1-3 /proc/loadavg)"
  P1=$(free_port); P2=$(free_port)
  "$SW" --addr "127.0.0.1:$P1" --redis "127.0.0.1:$RPORT" --name a & PIDS+=($!)
  "$SW" --addr "127.0.0.1:$P2" --redis "127.0.0.1:$RPORT" --name b & PIDS+=($!)
  wait_port "$P1"; wait_port "$P2"
  run_pair "sockwire x2" sw
  P1=$(free_port); P2=$(free_port)
  node "$TMP/run.mjs" node-server "$P1" "redis://127.0.0.1:$RPORT" & PIDS+=($!)
  node "$TMP/run.mjs" node-server "$P2" "redis://127.0.0.1:$RPORT" & PIDS+=($!)
  wait_port "$P1"; wait_port "$P2"
  run_pair "node socket.io x2" node
done
# Medians over the rounds: first delivery, first delivery on the other node, first broadcast
# at all clients, all deliveries (ms), deliveries/s.
median() { sort -g | awk '{v[NR]=$1} END {if (NR==0) print "nan"; else if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
for k in sw node; do
  f="$TMP/$k.runs"
  first=$(sed -n 's/.*first delivery \([0-9.]*\) ms.*/\1/p' "$f" | median)
  remote=$(sed -n 's/.*other server \([0-9.]*\) ms.*/\1/p' "$f" | median)
  all1=$(sed -n 's/.*reached all in \([0-9.]*\) ms.*/\1/p' "$f" | median)
  total=$(sed -n 's/.*deliveries in \([0-9.]*\) ms.*/\1/p' "$f" | median)
  rate=$(sed -n 's/.*= \([0-9]*\) deliveries\/s.*/\1/p' "$f" | median)
  ok=$(grep -c "deliveries/s" "$f" || true)
  echo "median $k ($ok/$R runs ok): first delivery $first ms, other node $remote ms, first broadcast at all $all1 ms, all $total ms, $rate deliveries/s"
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
