#!/usr/bin/env bash
# Builds the fuzz crate and runs every target for FUZZ_SECONDS (default 30) when a nightly
# toolchain is present (cargo-fuzz is installed from crates.io if missing). Without nightly the
# targets are still built with stable and each committed seed is replayed through them.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECS="${FUZZ_SECONDS:-30}"
targets=$(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | grep -v '^sockwire-fuzz$')
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  if ! command -v cargo-fuzz >/dev/null 2>&1; then
    cargo install cargo-fuzz --locked
  fi
  cargo +nightly fuzz build -O
  for t in $targets; do
    mkdir -p "corpus/$t"
    seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    echo "-- fuzz $t for ${SECS}s"
    if ! cargo +nightly fuzz run -O "$t" "corpus/$t" "${seeds[@]}" -- \
      -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
      >"corpus/$t.log" 2>&1; then
      # Say why: the panic or sanitizer report and the input that caused it.
      grep -E -A3 "panicked at|ERROR: |SUMMARY|Test unit written" "corpus/$t.log" | head -n 40
      echo "-- fuzz $t FAILED (full log: fuzz/corpus/$t.log)"
      exit 1
    fi
    tail -n 12 "corpus/$t.log"
  done
else
  echo "no nightly toolchain: building the fuzz targets with stable and replaying seeds"
  cargo build --release
  for t in $targets; do
    if [ -d "seeds/$t" ]; then
      for f in "seeds/$t"/*; do "./target/release/$t" "$f" >/dev/null; done
    fi
  done
fi
