#!/usr/bin/env bash
# Autobahn TestSuite conformance (RFC 6455 cases 1-11 and the permessage-deflate groups 12/13,
# RFC 7692): the server side against examples/echo_server, the client side with
# examples/autobahn_client. Fails on any FAILED, NON-STRICT, missing or odd verdict.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)

# In CI the shared folder is a sibling of the repository clone; SOCKWIRE_SHARED overrides it.
SHARED="${SOCKWIRE_SHARED:-$(pwd)/../shared}"
AB="$SHARED/tools/autobahn"
if [ ! -x "$AB/install.sh" ]; then
  echo "10-autobahn: Autobahn tools not found at $AB (the shared folder must sit next to the repo)" >&2
  exit 1
fi
"$AB/install.sh"

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release --features deflate --example echo_server --example autobahn_client
BIN="$TARGET_DIR/release/examples"
OUT="$TARGET_DIR/autobahn"
rm -rf "$OUT"
mkdir -p "$OUT"

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT

PORT=$(free_port)
"$BIN/echo_server" --addr "127.0.0.1:$PORT" >"$OUT/echo_server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done

echo "== Autobahn server cases against echo_server on port $PORT"
"$AB/run-server-tests.sh" -a sockwire-server -o "$OUT/server" "ws://127.0.0.1:$PORT"
kill "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""

CPORT=$(free_port)
echo "== Autobahn client cases with autobahn_client on port $CPORT"
"$AB/run-client-tests.sh" -p "$CPORT" -a sockwire-client -o "$OUT/client" -- \
  "$BIN/autobahn_client" --url '{url}' --agent '{agent}'

python3 - "$OUT/server/summary.json" "$OUT/client/summary.json" <<'PY'
import json, sys
passed = failed = 0
for path in sys.argv[1:]:
    try:
        data = json.load(open(path))
    except Exception as e:
        print("10-autobahn: no summary at %s: %s" % (path, e))
        failed += 1
        continue
    for agent, s in data.items():
        v = s["by_verdict"]
        bad = v.get("FAILED", 0) + v.get("NON-STRICT", 0) + len(s.get("other_verdicts", [])) + s.get("missing", 0)
        if s.get("cases") != s.get("expected"):
            bad += max(0, s.get("expected", 0) - s.get("cases", 0))
        good = v.get("OK", 0) + v.get("INFORMATIONAL", 0)
        print("%s: OK %d, NON-STRICT %d, INFORMATIONAL %d, UNIMPLEMENTED %d, FAILED %d, missing %d"
              % (agent, v.get("OK", 0), v.get("NON-STRICT", 0), v.get("INFORMATIONAL", 0),
                 v.get("UNIMPLEMENTED", 0), v.get("FAILED", 0), s.get("missing", 0)))
        if s.get("failed_cases"):
            print("  failed cases: %s" % ", ".join(s["failed_cases"]))
        passed += good
        failed += bad
print("%d passed, %d failed" % (passed, failed))
sys.exit(1 if failed else 0)
PY
echo "10-autobahn: done in $(( $(date +%s) - T0 )) s"
