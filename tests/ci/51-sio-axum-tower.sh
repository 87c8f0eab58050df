#!/usr/bin/env bash
# socket.io-client 4.8 (npm) against sockwire's Socket.IO server mounted into an axum app with
# `sockwire_tokio::tower::SocketIoLayer` (`axum_chat` example, feature `tower`): the rooms chat
# suite of 48-sio-chat-tokio.sh over polling, WebSocket and upgrade (mixed in one room), then
# the app's own routes next to the mount. Exits non-zero on any failure or missing peer.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/sio_chat
start_example_for "$DIR" axum_chat -p sockwire-tokio --features tower
rc=0
SIO_URL="http://127.0.0.1:$PORT" timeout 300 node "$DIR/run.mjs" || rc=1
SIO_URL="http://127.0.0.1:$PORT" timeout 60 node tests/interop/sio_axum/routes.mjs || rc=1
echo "51-sio-axum-tower: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
