#!/usr/bin/env bash
# Real WebSocket clients against examples/echo_server: Python `websockets` (pip, in a venv under
# the target dir) and Node `ws` (npm ci from the committed lock file in tests/interop/ws).
# Sizes 0..1 MiB, fragmented UTF-8, ping/pong, close with reason, pipelining, 50 concurrent
# connections, the chat subprotocol, the lecture's handshake over a raw socket, and
# permessage-deflate (the echo server negotiates it; every window size, context takeover on/off).
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
OUT="$TARGET_DIR/ws-peers"
mkdir -p "$OUT"

command -v python3 >/dev/null || { echo "20-ws-peers: python3 missing" >&2; exit 1; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  if command -v apt-get >/dev/null; then
    apt-get update -qq && apt-get install -y -qq nodejs npm >/dev/null
  fi
fi
command -v node >/dev/null || { echo "20-ws-peers: node missing" >&2; exit 1; }

# Peers.
if [ ! -x "$OUT/venv/bin/python" ]; then
  python3 -m venv "$OUT/venv" || { apt-get install -y -qq python3-venv >/dev/null && python3 -m venv "$OUT/venv"; }
fi
"$OUT/venv/bin/pip" install -q --disable-pip-version-check -r tests/interop/ws/requirements.txt
(cd tests/interop/ws && npm ci --no-audit --no-fund --silent)

cargo build --release --features deflate --example echo_server
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$TARGET_DIR/release/examples/echo_server" --addr "127.0.0.1:$PORT" >"$OUT/echo_server.log" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done

PASSED=0
FAILED=0
run_peer() {
  local name=$1; shift
  local log="$OUT/$name.log"
  echo "== $name"
  set +e
  timeout 300 "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  set -e
  local line
  line=$(grep -E '^[a-z]+: [0-9]+ passed, [0-9]+ failed$' "$log" | tail -1 || true)
  if [ -z "$line" ]; then
    echo "$name: no result line (exit $rc)"
    FAILED=$((FAILED + 1))
    return
  fi
  local p f
  p=$(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')
  f=$(echo "$line" | sed -E 's/.* ([0-9]+) failed$/\1/')
  PASSED=$((PASSED + p))
  FAILED=$((FAILED + f))
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then FAILED=$((FAILED + 1)); fi
}

run_peer websockets "$OUT/venv/bin/python" tests/interop/ws/peer_websockets.py "ws://127.0.0.1:$PORT"
run_peer ws node tests/interop/ws/peer_ws.mjs "ws://127.0.0.1:$PORT"

if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "20-ws-peers: echo_server died"; FAILED=$((FAILED + 1))
fi
echo "20-ws-peers: done in $(( $(date +%s) - T0 )) s"
echo "$PASSED passed, $FAILED failed"
[ "$FAILED" -eq 0 ]
