#!/usr/bin/env bash
# The chat demo in two real headless Chromium pages (playwright-core driving Debian's chromium),
# a socket.io-client (Node) user joining the chat, and standard socket.io-client clients against
# sio_server's /hub namespace (the same checks first run against the official socket.io server
# with the reference /hub, so they are known to describe the reference behaviour).
# Screenshot: ci-artifacts/chat.png.
set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/interop/lib.sh
T0=$(date +%s)
DIR=tests/interop/chat
ART=ci-artifacts
mkdir -p "$ART"

if ! command -v chromium >/dev/null 2>&1; then
  echo "installing chromium (Debian)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq chromium >/dev/null
fi
command -v chromium >/dev/null || { echo "FAIL: chromium missing"; exit 1; }
require_node
chromium --version || true

(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)

# The chat and /hub logic driven in process (standard client socket machines, no IO).
cargo test --example chat
cargo test --example sio_server # the /hub namespace (examples/sio_server/hub_tests.rs)

cargo build --release --example chat --example sio_server
BIN="${CARGO_TARGET_DIR:-target}/release/examples"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

CHAT_PORT=$(free_port)
"$BIN/chat" --addr "127.0.0.1:$CHAT_PORT" >"$ART/chat-server.log" 2>&1 &
PIDS+=($!)
SIO_PORT=$(free_port)
"$BIN/sio_server" --addr "127.0.0.1:$SIO_PORT" >"$ART/sio-server-hub.log" 2>&1 &
PIDS+=($!)
REF_PORT=$(free_port)
node "$DIR/reference-hub.cjs" "$REF_PORT" >"$ART/reference-hub.log" 2>&1 &
PIDS+=($!)
wait_port "$CHAT_PORT"
wait_port "$REF_PORT"
wait_port "$SIO_PORT"

rc=0
echo "== chat demo: two Chromium pages + socket.io-client"
node "$DIR/browser.mjs" "http://127.0.0.1:$CHAT_PORT" "$ART/chat.png" | tee "$ART/chat-browser.txt" || rc=1
echo "== /hub checks against the reference socket.io server"
node "$DIR/hub.mjs" "http://127.0.0.1:$REF_PORT" | tee "$ART/hub-reference.txt" || rc=1
echo "== /hub namespace of sio_server with socket.io-client"
node "$DIR/hub.mjs" "http://127.0.0.1:$SIO_PORT" | tee "$ART/hub.txt" || rc=1

P=$(cat "$ART/chat-browser.txt" "$ART/hub-reference.txt" "$ART/hub.txt" | sed -n 's/^\([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' | awk '{p+=$1; f+=$2} END {print p+0, f+0}')
set -- $P
echo "50-chat-browser: $1 passed, $2 failed in $(( $(date +%s) - T0 )) s"
[ "$rc" = 0 ] && [ "$2" = 0 ] && [ "$1" -gt 0 ]
