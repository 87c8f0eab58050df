#!/usr/bin/env bash
# engine.io-client (npm, v6) against the sio_server example's /engine.io/ echo endpoint:
# polling-only, WebSocket-only and polling-then-upgrade; text and binary messages; heartbeats
# (pingInterval 300 ms, pingTimeout 200 ms) surviving 2 s. Prints "N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)
DIR=tests/interop/engineio

command -v node >/dev/null || { echo "FAIL: node missing"; exit 1; }
command -v npm >/dev/null || { echo "FAIL: npm missing"; exit 1; }
(cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error)

cargo build --release --example sio_server

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
wait_port() {
  for _ in $(seq 1 100); do
    if node -e 'require("net").connect(+process.argv[1],"127.0.0.1").on("connect",()=>process.exit(0)).on("error",()=>process.exit(1))' "$1"; then return 0; fi
    sleep 0.1
  done
  echo "FAIL: nothing listening on $1"; return 1
}

PORT=$(free_port)
"${CARGO_TARGET_DIR:-target}/release/examples/sio_server" --addr "127.0.0.1:$PORT" 2>/dev/null &
PID=$!
trap 'kill "$PID" 2>/dev/null || true' EXIT
wait_port "$PORT"

rc=0
timeout 120 node "$DIR/client.mjs" "http://127.0.0.1:$PORT" || rc=1
echo "30-engineio-node: done in $(( $(date +%s) - T0 )) s"
exit "$rc"
