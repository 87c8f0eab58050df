#!/usr/bin/env bash
# Autobahn TestSuite server cases 1-11 (strict: 0 NON-STRICT, 0 FAILED; -x skips the
# permessage-deflate groups 12/13) against the tokio adapter's echo example.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)
NAME=70-tokio
. tests/ci/lib/autobahn.sh
ab_install

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -p sockwire-tokio --example echo
OUT="$TARGET_DIR/autobahn-tokio"
rm -rf "$OUT"
mkdir -p "$OUT"
SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

PORT=$(free_port)
"$TARGET_DIR/release/examples/echo" "127.0.0.1:$PORT" >"$OUT/echo.log" 2>&1 &
SERVER_PID=$!
wait_port "$PORT"

echo "== Autobahn server cases against sockwire-tokio echo on port $PORT"
"$AB/run-server-tests.sh" -x -a sockwire-tokio -o "$OUT/server" "ws://127.0.0.1:$PORT"
ab_strict_check "$OUT/server/summary.json"
echo "70-tokio: done in $(( $(date +%s) - T0 )) s"
