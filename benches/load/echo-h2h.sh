#!/usr/bin/env bash
# Echo head to head: ours and one peer at a time, both servers on CPU 0 AT THE SAME TIME, each
# driven by its own generator (CONNS connections × SIZE-byte messages, one in flight each), both
# generators on CPU 1. The scheduler shares CPU 0 fairly between the two single-threaded
# servers, so whatever slows this VM down (a noisy neighbour, frequency) hits both alike and the
# ratio of their message rates is the ratio of their costs per message; `echo.sh`'s servers
# take turns instead, and its rounds swing by ±20 %. Caveat: the generators, on the other CPU,
# cost about what the servers do per message, so a server that is faster than its rival runs
# ahead only as far as its generator keeps up: a ratio here can understate a difference, never
# invert it (a first run found 2.06× against tokio-tungstenite, so the generators do let a
# faster server pull well ahead). Every server must be single-threaded (all of ours and the
# peers' are). So each rep also reads both servers' CPU time (utime + stime in
# /proc/PID/stat, clock ticks) over the generators' run and divides it by the round trips
# served: the CPU each server spends per message, whatever its generator could keep up with;
# "CPU ratio" is theirs / ours (above 1: ours is cheaper per message).
#
#   benches/load/echo-h2h.sh [CONNS] [SIZE] [SECS] [REPS]   (from the project root; default 100 20 5 5)
set -euo pipefail
cd "$(dirname "$0")/../.."
CONNS=${1:-100}; SIZE=${2:-20}; SECS=${3:-5}; REPS=${4:-5}
echo "# cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//') ($(nproc) vCPUs)"
echo "# command: benches/load/echo-h2h.sh $CONNS $SIZE $SECS $REPS; commit $(git rev-parse --short HEAD); load average $(cut -d' ' -f1-3 /proc/loadavg)"
cargo build --release -p sockwire-tokio --example ws_bench >/dev/null 2>&1
(cd benches/load && cargo build --release >/dev/null 2>&1)
(cd benches/load && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
UWS=$(benches/load/uws/build.sh benches/load/target/uws)
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
LOAD=benches/load/target/release/load
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; true' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_port() { for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; return 1; }
rate() { grep -oE '[0-9]+ msgs/s' "$1" | cut -d' ' -f1; }
trips() { grep -oE '[0-9]+ round trips' "$1" | cut -d' ' -f1; }
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TICK_US=$(( 1000000 / $(getconf CLK_TCK) ))
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
OURS=(target/release/examples/ws_bench)
pair() { # name, peer command...
  local name=$1; shift
  local ratios=() cpu_ratios=()
  for r in $(seq "$REPS"); do
    local pa pb; pa=$(free_port); pb=$(free_port)
    taskset -c 0 "${OURS[@]}" "127.0.0.1:$pa" >/dev/null 2>&1 & local sa=$!
    taskset -c 0 "$@" "127.0.0.1:$pb" >/dev/null 2>&1 & local sb=$!
    PIDS=("$sa" "$sb")
    if ! wait_port "$pa" || ! wait_port "$pb"; then
      echo "$name: DID NOT START"; kill "$sa" "$sb" 2>/dev/null || true; return
    fi
    local la lb; la=$(mktemp); lb=$(mktemp)
    local ca cb; ca=$(cpu_ticks "$sa"); cb=$(cpu_ticks "$sb")
    taskset -c 1 "$LOAD" echo "127.0.0.1:$pa" "$CONNS" "$SIZE" "$SECS" > "$la" 2>&1 & local ga=$!
    taskset -c 1 "$LOAD" echo "127.0.0.1:$pb" "$CONNS" "$SIZE" "$SECS" > "$lb" 2>&1 & local gb=$!
    wait "$ga" "$gb"
    ca=$(( $(cpu_ticks "$sa") - ca )); cb=$(( $(cpu_ticks "$sb") - cb ))
    local a b; a=$(rate "$la"); b=$(rate "$lb")
    local ua ub; ua=$(echo "scale=3; $ca * $TICK_US / $(trips "$la")" | bc); ub=$(echo "scale=3; $cb * $TICK_US / $(trips "$lb")" | bc)
    local c; c=$(echo "scale=3; $ub / $ua" | bc)
    cpu_ratios+=("$c")
    kill "$sa" "$sb" 2>/dev/null || true; wait "$sa" "$sb" 2>/dev/null || true
    rm -f "$la" "$lb"
    local q; q=$(echo "scale=3; $a / $b" | bc)
    ratios+=("$q")
    printf '  rep %d: sockwire-tokio %d msgs/s, %s %d msgs/s: ours / theirs %s; CPU per message %s / %s us: CPU ratio %s (load %s)\n' \
      "$r" "$a" "$name" "$b" "$q" "$ua" "$ub" "$c" "$(cut -d' ' -f1 /proc/loadavg)"
  done
  printf '%s: ours / theirs, median of %d: %s (all: %s)\n' "$name" "$REPS" \
    "$(printf '%s\n' "${ratios[@]}" | median)" "${ratios[*]}"
  printf '%s: CPU per message, theirs / ours, median of %d: %s (all: %s)\n' "$name" "$REPS" \
    "$(printf '%s\n' "${cpu_ratios[@]}" | median)" "${cpu_ratios[*]}"
}
pair "tokio-tungstenite 0.28" benches/load/target/release/tungstenite_echo
pair "fastwebsockets 0.10" benches/load/target/release/fastwebsockets_echo
pair "node ws 8.18" env NODE_PATH=benches/load/node_modules node benches/load/ws_echo.cjs
pair "uWebSockets 20 (C++)" "$UWS"
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
