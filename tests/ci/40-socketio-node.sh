#!/usr/bin/env bash
# socket.io-client 4.8 (npm) against the sio_server example's /socket.io/ endpoint over
# polling-only, WebSocket-only and polling-then-upgrade: namespaces with auth, an unknown
# namespace, message round trips with mixed JSON and nested binary (empty, 100 kB), acks,
# 200 ordered events, a 500 kB string, heartbeats for 2 s, disconnect, 20 concurrent clients.
# Prints "N passed, N failed"; exits non-zero on any failure or missing peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/socketio

start_sio_server_for "$DIR"

rc=0
SIO_URL="http://127.0.0.1:$PORT" timeout 300 node "$DIR/run.mjs" || rc=1
echo "40-socketio-node: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
