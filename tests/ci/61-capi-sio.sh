#!/usr/bin/env bash
# The Socket.IO server of the C ABI (sw_sio_server_*): its C unit tests under valgrind memcheck
# (they also run under ASan + UBSan in 60-capi's `make test`), then socket.io-client 4.8 (npm)
# against the C rooms chat (`sockwire-capi/examples/sio_chat.c`: POSIX sockets + poll(2), only
# moving bytes) over polling, WebSocket and upgrade mixed in one room, with the same checks as
# the Rust hosts (46, 48). Exits non-zero on any failure or missing peer/tool.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/sio_chat
require_node
if ! command -v valgrind >/dev/null 2>&1 || ! command -v cc >/dev/null 2>&1 || ! command -v make >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq valgrind gcc make >/dev/null
fi
for t in cc make valgrind; do
  command -v "$t" >/dev/null || { echo "FAIL: $t missing" >&2; exit 1; }
done
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)

TARGET_DIR="${CARGO_TARGET_DIR:-$(pwd)/target}"
make -s -C sockwire-capi TARGET="$TARGET_DIR" "$TARGET_DIR/capi/test_sio_server_vg" "$TARGET_DIR/capi/sio_chat"

echo "== C unit tests of sw_sio_server under valgrind"
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  "$TARGET_DIR/capi/test_sio_server_vg"

echo "== socket.io-client against the C rooms chat"
PORT=$(free_port)
"$TARGET_DIR/capi/sio_chat" "$PORT" 2>/dev/null &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
wait_port "$PORT"
rc=0
SIO_URL="http://127.0.0.1:$PORT" timeout 300 node "$DIR/run.mjs" || rc=1
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
echo "61-capi-sio: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
