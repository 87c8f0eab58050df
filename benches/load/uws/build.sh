#!/usr/bin/env bash
# Builds uws_echo (echo.cpp) against uWebSockets v20 and uSockets as the crates.io package
# libuwebsockets-sys 0.0.10 ships them (fetched with cargo, not built with it), without SSL
# or zlib: `benches/load/uws/build.sh OUT_DIR`. Needs g++ with C++20.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:?output directory}
mkdir -p "$out"
cargo fetch --manifest-path "$here/Cargo.toml" >/dev/null 2>&1
src=$(cargo metadata --format-version 1 --manifest-path "$here/Cargo.toml" \
  | python3 -c 'import json,sys,os; m=json.load(sys.stdin); print(next(os.path.dirname(p["manifest_path"]) for p in m["packages"] if p["name"]=="libuwebsockets-sys"))')
uws="$src/uWebSockets"
obj="$out/uws-obj"
rm -rf "$obj"; mkdir -p "$obj"
(cd "$obj" && gcc -O3 -DLIBUS_NO_SSL -I"$uws/uSockets/src" -c "$uws"/uSockets/src/*.c "$uws"/uSockets/src/eventing/*.c "$uws"/uSockets/src/crypto/*.c)
g++ -std=c++20 -O3 -DLIBUS_NO_SSL -DUWS_NO_ZLIB -I"$uws/src" -I"$uws/uSockets/src" \
  "$here/echo.cpp" "$obj"/*.o -o "$out/uws_echo"
echo "$out/uws_echo"
