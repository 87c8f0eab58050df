#!/usr/bin/env bash
# engine.io-client (npm, v6) against the sio_server example's /engine.io/ echo endpoint:
# polling-only, WebSocket-only and polling-then-upgrade; text and binary messages; heartbeats
# (pingInterval 300 ms, pingTimeout 200 ms) surviving 2 s. Prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/engineio

start_sio_server_for "$DIR"

rc=0
timeout 120 node "$DIR/client.mjs" "http://127.0.0.1:$PORT" || rc=1
echo "30-engineio-node: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
