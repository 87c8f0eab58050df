#!/usr/bin/env bash
# Autobahn TestSuite conformance (RFC 6455 cases 1-11 and the permessage-deflate groups 12/13,
# RFC 7692): the server side against examples/echo_server, the client side with
# examples/autobahn_client. Fails on any FAILED, NON-STRICT, missing or odd verdict.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)
NAME=10-autobahn
. tests/ci/lib/autobahn.sh
ab_install

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release --features deflate --example echo_server --example autobahn_client
BIN="$TARGET_DIR/release/examples"
OUT="$TARGET_DIR/autobahn"
rm -rf "$OUT"
mkdir -p "$OUT"

SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

PORT=$(free_port)
"$BIN/echo_server" --addr "127.0.0.1:$PORT" >"$OUT/echo_server.log" 2>&1 &
SERVER_PID=$!
wait_port "$PORT"

echo "== Autobahn server cases against echo_server on port $PORT"
"$AB/run-server-tests.sh" -a sockwire-server -o "$OUT/server" "ws://127.0.0.1:$PORT"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

CPORT=$(free_port)
echo "== Autobahn client cases with autobahn_client on port $CPORT"
"$AB/run-client-tests.sh" -p "$CPORT" -a sockwire-client -o "$OUT/client" -- \
  "$BIN/autobahn_client" --url '{url}' --agent '{agent}'

ab_strict_check "$OUT/server/summary.json" "$OUT/client/summary.json"
echo "10-autobahn: done in $(( $(date +%s) - T0 )) s"
