#!/usr/bin/env bash
# sockwire-tokio's SioClient against the reference Node server (socket.io 4.8, npm), on
# long-polling only, WebSocket only, and polling then upgrade: connect, the server's emit with
# ack, events with binary both ways, our emit with ack, reconnection after the server drops the
# connection, heartbeats answered while the application is busy. Exits non-zero on any failure
# or missing peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/sio_client
require_node
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
PORT=$(free_port)
node "$DIR/server.mjs" "$PORT" >/dev/null 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
wait_port "$PORT"
SIO_NODE_ADDR="127.0.0.1:$PORT" cargo test -p sockwire-tokio --test sio_client_node -- --ignored
echo "49-sio-client-node: done in $(( $(date +%s) - T0 )) s"
