#!/usr/bin/env bash
# Socket.IO at scale: each server (ours: sockwire-tokio's `sio_bench` example; Node socket.io
# 4.8; socketioxide 0.18 on axum) gets N Socket.IO clients from our load generator (WebSocket
# transport, CONNECT to `/`, `join` the room `bench`), held HOLD seconds with the servers'
# default heartbeat (a ping every 25 s, answered by every client), then ROUNDS broadcasts: one
# `go` from a control client makes the server emit `msg` to the room, timed until the last of
# the N has it. Reports memory per connection ((server RSS with N in - RSS before) / N), pings
# per client, none dropped, and the broadcast times (median). The server runs on CPU 0, the
# generator on CPU 1; every server in this one run, one after another, REPEATS times in turn
# (A B C, A B C, ...); the summary gives each server's median of its runs' medians, the
# spread of those, and the ratios. Each run ends with `send_floor`: the same number of sockets
# (capped by the open-file limit) each sent one 16-byte frame by a bare loop, timed the same way:
# what no server can beat on this machine.
#
#   benches/load/sio.sh [N] [HOLD] [ROUNDS] [REPEATS]   (from the project root; default 1000 0 15 1)
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000}; HOLD=${2:-0}; ROUNDS=${3:-15}; REPEATS=${4:-1}
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) vCPUs)"
echo "# command: benches/load/sio.sh $N $HOLD $ROUNDS $REPEATS; commit $(git rev-parse --short HEAD); open files $(ulimit -n)"
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p sockwire-tokio --example sio_bench >/dev/null 2>&1
(cd benches/load && cargo build --release >/dev/null 2>&1)
(cd benches/load && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
LOAD=benches/load/target/release/load
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
SERVER=""
MEDIANS=$(mktemp -d)
trap '[ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; rm -rf "$MEDIANS"; true' EXIT

measure() { # name, command...
  local name=$1; shift
  local port; port=$(free_port)
  taskset -c 0 "$@" "127.0.0.1:$port" >/dev/null 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
  sleep 0.5
  local before; before=$(rss_kb "$SERVER")
  local ready; ready=$(mktemp -u)
  local log; log=$(mktemp)
  LOAD_READY=$ready taskset -c 1 "$LOAD" sio "127.0.0.1:$port" "$N" "$HOLD" "$ROUNDS" > "$log" 2>"$log.err" &
  local lpid=$!
  while [ ! -e "$ready" ]; do
    kill -0 "$lpid" 2>/dev/null || break
    sleep 0.2
  done
  sleep 2
  local with; with=$(rss_kb "$SERVER")
  local ok=yes
  wait "$lpid" || ok=no
  kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; SERVER=""
  rm -f "$ready"
  printf '== %s: RSS before %d KiB, with %d clients %d KiB: %.0f B per connection; run ok: %s\n' \
    "$name" "$before" "$N" "$with" "$(echo "($with - $before) * 1024 / $N" | bc -l)" "$ok"
  sed 's/^/   /' "$log"
  sed -n 's/^broadcast to [0-9]*: median \([0-9.]*\) ms.*/\1/p' "$log" >> "$MEDIANS/$name"
  [ "$ok" = yes ] || head -5 "$log.err" | sed 's/^/   stderr: /'
  rm -f "$log" "$log.err"
}

for name in "sockwire-tokio sio_bench" "node socket.io 4.8.1" "socketioxide 0.18.9" "send floor"; do : > "$MEDIANS/$name"; done
for rep in $(seq "$REPEATS"); do
  echo "# run $rep of $REPEATS, load average $(cut -d' ' -f1-3 /proc/loadavg)"
  measure "sockwire-tokio sio_bench" target/release/examples/sio_bench
  measure "node socket.io 4.8.1" env NODE_PATH=benches/load/node_modules node benches/load/sio_server.cjs
  measure "socketioxide 0.18.9" benches/load/target/release/socketioxide_server
  # The floor under every server: one send of a 16-byte frame per socket and nothing else
  # (both ends in one process, so at most (open files - 100) / 2 sockets).
  FLOOR_N=$(( N < ($(ulimit -n) - 100) / 2 ? N : ($(ulimit -n) - 100) / 2 ))
  floor=$(benches/load/target/release/send_floor "$FLOOR_N" "$ROUNDS" 16 2>/dev/null)
  echo "== $floor"
  echo "$floor" | sed -n 's/.*: median \([0-9.]*\) ms.*/\1/p' >> "$MEDIANS/send floor"
done
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
# Median (and min-max) over the runs of each server's per-run median.
summary() {
  sort -n "$MEDIANS/$1" | awk -v name="$1" '{ v[NR] = $1 } END {
    if (NR == 0) { printf "%s: no run\n", name; exit }
    printf "%s: median of %d runs %.1f ms (runs %.1f-%.1f)\n", name, NR, v[int((NR + 1) / 2)], v[1], v[NR] }'
}
med() { sort -n "$MEDIANS/$1" | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'; }
echo "# summary, broadcast to $N:"
for name in "sockwire-tokio sio_bench" "node socket.io 4.8.1" "socketioxide 0.18.9" "send floor"; do summary "$name"; done
ours=$(med "sockwire-tokio sio_bench")
for name in "node socket.io 4.8.1" "socketioxide 0.18.9"; do
  theirs=$(med "$name")
  [ -n "$ours" ] && [ -n "$theirs" ] && printf '%s / sockwire-tokio = %.2fx\n' "$name" "$(echo "$theirs / $ours" | bc -l)"
done
# What no server can beat: the peers against the bare send loop (the best ratio possible here).
floor=$(med "send floor")
for name in "socketioxide 0.18.9" "sockwire-tokio sio_bench"; do
  theirs=$(med "$name")
  [ -n "$floor" ] && [ -n "$theirs" ] && printf '%s / send floor = %.2fx\n' "$name" "$(echo "$theirs / $floor" | bc -l)"
done
true
