#!/usr/bin/env bash
# socket.io-client 4.8 (npm) against the rooms chat on the std host (`examples/sio_chat_std.rs`:
# `socketio::server::Server` on `sockwire_std::serve`, the same application as 48's tokio one): polling, WebSocket and upgrade mixed in
# one room; data, rooms, acks, broadcast, disconnect. Exits non-zero on any failure or missing peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/sio_chat
start_example_for "$DIR" sio_chat_std
rc=0
SIO_URL="http://127.0.0.1:$PORT" timeout 300 node "$DIR/run.mjs" || rc=1
echo "46-sio-chat-std: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
