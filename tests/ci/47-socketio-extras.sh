#!/usr/bin/env bash
# Socket.IO beyond the default parser, against real npm peers installed in a temp dir
# (socket.io-client 4.8, socket.io-msgpack-parser 3.0.2, socket.io 4.8):
#  1. socket.io-client with `parser: require("socket.io-msgpack-parser")` against
#     `sio_server --parser msgpack` over polling, WebSocket and upgrade, with binary;
#  2. the seven cases of the reference server's connection-state-recovery test file, with the
#     real client against `sio_server --recovery` (and `--no-skip-middlewares`, and a plain one);
#  3. our client machine (examples/sio_recovery_client.rs) recovering against a real Node
#     socket.io server with connectionStateRecovery on.
# Exits non-zero on any failure, or if node/npm is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
require_node

TMP=$(mktemp -d)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$TMP"
}
trap cleanup EXIT

echo '{"private":true,"type":"module"}' > "$TMP/package.json"
(cd "$TMP" && npm install --no-audit --no-fund --loglevel=error \
  socket.io-client@4.8 socket.io-msgpack-parser@3.0.2 socket.io@4.8)
mkdir -p "$TMP/sio-extras"
cp tests/interop/harness.mjs "$TMP/harness.mjs"
cp tests/interop/sio-extras/run.mjs "$TMP/sio-extras/run.mjs"

cargo build --release --example sio_server --example sio_recovery_client
BIN="${CARGO_TARGET_DIR:-target}/release/examples"

start() { # start <args...>: a sio_server on a free port; sets PORT
  PORT=$(free_port)
  "$BIN/sio_server" --addr "127.0.0.1:$PORT" "$@" 2>/dev/null &
  PIDS+=($!)
  wait_port "$PORT"
}

rc=0
start --parser msgpack
timeout 300 node "$TMP/sio-extras/run.mjs" msgpack "http://127.0.0.1:$PORT" || rc=1

start --recovery; R1=$PORT
start --recovery --no-skip-middlewares; R2=$PORT
start; R3=$PORT
timeout 300 node "$TMP/sio-extras/run.mjs" recovery "http://127.0.0.1:$R1" "http://127.0.0.1:$R2" \
  "http://127.0.0.1:$R3" || rc=1

NPORT=$(free_port)
node "$TMP/sio-extras/run.mjs" node-server "$NPORT" &
PIDS+=($!)
wait_port "$NPORT"
if timeout 60 "$BIN/sio_recovery_client" "127.0.0.1:$NPORT"; then
  echo "ok   our client machine recovered against the Node socket.io server"
else
  echo "FAIL our client machine against the Node socket.io server"
  rc=1
fi

echo "47-socketio-extras: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
