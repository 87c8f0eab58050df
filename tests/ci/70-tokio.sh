#!/usr/bin/env bash
# Autobahn TestSuite server cases 1-11 (strict: 0 NON-STRICT, 0 FAILED; -x skips the
# permessage-deflate groups 12/13) against the tokio adapter's echo example.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)
SHARED="${SOCKWIRE_SHARED:-$(pwd)/../shared}"
AB="$SHARED/tools/autobahn"
if [ ! -x "$AB/install.sh" ]; then
  echo "70-tokio: Autobahn tools not found at $AB" >&2
  exit 1
fi
"$AB/install.sh"

TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build --release -p sockwire-tokio --example echo
OUT="$TARGET_DIR/autobahn-tokio"
rm -rf "$OUT"
mkdir -p "$OUT"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
SERVER_PID=""
cleanup() { if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi; }
trap cleanup EXIT
"$TARGET_DIR/release/examples/echo" "127.0.0.1:$PORT" >"$OUT/echo.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done

echo "== Autobahn server cases against sockwire-tokio echo on port $PORT"
"$AB/run-server-tests.sh" -x -a sockwire-tokio -o "$OUT/server" "ws://127.0.0.1:$PORT"

python3 - "$OUT/server/summary.json" <<'PY'
import json, sys
try:
    data = json.load(open(sys.argv[1]))
except Exception as e:
    print("70-tokio: no summary: %s" % e)
    sys.exit(1)
failed = 0
for agent, s in data.items():
    v = s["by_verdict"]
    bad = v.get("FAILED", 0) + v.get("NON-STRICT", 0) + len(s.get("other_verdicts", [])) + s.get("missing", 0)
    bad += max(0, s.get("expected", 0) - s.get("cases", 0))
    print("%s: OK %d, NON-STRICT %d, INFORMATIONAL %d, UNIMPLEMENTED %d, FAILED %d, missing %d"
          % (agent, v.get("OK", 0), v.get("NON-STRICT", 0), v.get("INFORMATIONAL", 0),
             v.get("UNIMPLEMENTED", 0), v.get("FAILED", 0), s.get("missing", 0)))
    if s.get("failed_cases"):
        print("  failed cases: %s" % ", ".join(s["failed_cases"]))
    failed += bad
sys.exit(1 if failed else 0)
PY
echo "70-tokio: done in $(( $(date +%s) - T0 )) s"
