#!/usr/bin/env bash
# socket.io-client 4.8 (npm) against the rooms chat on the std host (`examples/sio_chat_std.rs`:
# `socketio::server::Server` on `sockwire_std::serve`, the same application as 48's tokio one): polling, WebSocket and upgrade mixed in
# one room; data, rooms, acks, broadcast, disconnect. Exits non-zero on any failure or missing peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/sio_chat
require_node
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)
cargo build --release --example sio_chat_std
PORT=$(free_port)
"${CARGO_TARGET_DIR:-target}/release/examples/sio_chat_std" "127.0.0.1:$PORT" 2>/dev/null &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
wait_port "$PORT"
rc=0
SIO_URL="http://127.0.0.1:$PORT" timeout 300 node "$DIR/run.mjs" || rc=1
echo "46-sio-chat-std: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
