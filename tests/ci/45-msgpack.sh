#!/usr/bin/env bash
# The real npm socket.io-msgpack-parser against sockwire::socketio::msgpack: the reference
# encodes a set of packets (every type 0-4, binary, nested, large, integer widths), we decode
# them with the reference checks and re-encode byte-exact, and the reference decodes our bytes
# back to deep-equal packets. Exits non-zero on any failure or if node/npm is missing.
set -euo pipefail
cd "$(dirname "$0")/../.."
T0=$(date +%s)
DIR=tests/interop/msgpack
command -v node >/dev/null || { echo "45-msgpack: node missing" >&2; exit 1; }
command -v npm >/dev/null || { echo "45-msgpack: npm missing" >&2; exit 1; }
(cd "$DIR" && npm install --no-audit --no-fund --silent)
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
node "$DIR/roundtrip.mjs" gen "$TMP/ref.hex"
SOCKWIRE_MSGPACK_IN="$TMP/ref.hex" SOCKWIRE_MSGPACK_OUT="$TMP/ours.hex" \
  cargo test -q -p sockwire --test msgpack_interop -- --ignored --nocapture 2>&1 | tee "$TMP/rust.log"
grep -q "re-encoded byte-exact" "$TMP/rust.log" || { echo "45-msgpack: Rust side did not run" >&2; exit 1; }
node "$DIR/roundtrip.mjs" check "$TMP/ours.hex"
echo "45-msgpack: done in $(( $(date +%s) - T0 )) s"
