#!/usr/bin/env bash
# The permessage-deflate measurements of benches/deflate/RESULTS.md, in one run: bytes per
# connection (sockwire, counting allocator; Node ws, RSS growth over 500 connections) and
# throughput (sockwire's codec and direct zlib-rs calls under criterion; Node's zlib).
# Needs node and `npm ci` done in tests/interop/ws. Output: benches/deflate/out-<UTC>.txt
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT="benches/deflate/out-$(date -u +%Y%m%dT%H%M%SZ).txt"
{
  echo "# $(date -u)  $(grep -m1 'model name' /proc/cpuinfo)  nproc $(nproc)"
  echo "# load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "## sockwire bytes per connection (cargo bench --features deflate --bench deflate_memory)"
  cargo bench -q --features deflate --bench deflate_memory 2>/dev/null
  echo "## Node ws bytes per connection (node --expose-gc benches/deflate/ws_memory.mjs 500)"
  (cd tests/interop/ws && node --expose-gc ../../../benches/deflate/ws_memory.mjs 500)
  echo "## Python websockets bytes per connection (python benches/deflate/websockets_memory.py 500; needs websockets==17.4)"
  python3 benches/deflate/websockets_memory.py 500 || echo "(websockets not installed: pip install websockets==17.4)"
  echo "## throughput (cargo bench --features deflate --bench deflate -- --warm-up-time 1 --measurement-time 4)"
  cargo bench -q --features deflate --bench deflate -- --warm-up-time 1 --measurement-time 4 2>/dev/null \
    | grep -E '^(deflate_16k_json|\s+time:|\s+thrpt:)' || true
  echo "## Node zlib (node benches/deflate/node_zlib.mjs 4)"
  node benches/deflate/node_zlib.mjs 4
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} 2>&1 | tee "$OUT"
