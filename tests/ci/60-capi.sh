#!/usr/bin/env bash
# The C ABI (sockwire-capi): the C unit tests under AddressSanitizer + UndefinedBehaviorSanitizer,
# Autobahn cases 1-11 strictly against the C echo server (poll(2), one thread), and the same
# echo server under valgrind memcheck through Autobahn's cases without the 9.* performance
# group (247 cases; 9.* moves 16 MiB messages, hours under valgrind). Fails on any FAILED,
# NON-STRICT or missing verdict, any sanitizer or valgrind error, or a missing tool.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)

NAME=60-capi
. tests/ci/lib/autobahn.sh
ab_install
if ! command -v valgrind >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq valgrind gcc make >/dev/null
fi
command -v valgrind >/dev/null && command -v make >/dev/null || { echo "60-capi: valgrind/make missing" >&2; exit 1; }

TARGET_DIR="${CARGO_TARGET_DIR:-$(pwd)/target}"
OUT="$TARGET_DIR/capi-ci"
rm -rf "$OUT"; mkdir -p "$OUT"

echo "== C unit tests (ASan + UBSan)"
make -s -C sockwire-capi TARGET="$TARGET_DIR" all test

SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

PORT=$(free_port)
"$TARGET_DIR/capi/echo_server" "$PORT" >"$OUT/echo_server.log" 2>&1 &
SERVER_PID=$!
wait_port "$PORT"
echo "== Autobahn 1-11 against the C echo server on port $PORT"
"$AB/run-server-tests.sh" -x -q -a sockwire-c -o "$OUT/autobahn" "ws://127.0.0.1:$PORT" | tail -n 4
ab_strict_check "$OUT/autobahn/summary.json"
kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""

PORT=$(free_port)
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$TARGET_DIR/capi/echo_server" "$PORT" >"$OUT/valgrind.log" 2>&1 &
SERVER_PID=$!
wait_port "$PORT"
echo "== the C echo server under valgrind, Autobahn without 9.* (247 cases)"
"$AB/run-server-tests.sh" -x --no-perf -q -a sockwire-c-valgrind -o "$OUT/valgrind" "ws://127.0.0.1:$PORT" | tail -n 4
ab_strict_check "$OUT/valgrind/summary.json"
kill -TERM "$SERVER_PID"
set +e
wait "$SERVER_PID"; VG=$?
set -e
SERVER_PID=""
if [ "$VG" -ne 0 ]; then
  echo "60-capi: valgrind reported errors (exit $VG):" >&2
  cat "$OUT/valgrind.log" >&2
  exit 1
fi
echo "valgrind: clean (exit 0, no definite or indirect leaks, no memory errors)"
echo "60-capi: done in $(( $(date +%s) - T0 )) s"
