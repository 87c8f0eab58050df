#!/usr/bin/env bash
# Runs the shared peer benchmark with our glue and records, at the top of its output, what a
# reader needs to reproduce or compare the figures: CPU model and the flags that choose our code
# paths, kernel, load average, commit, the exact command and the statistic quoted.
#
#   benches/peers/run.sh LABEL [peer-bench args...]     (from the project root)
#
# Writes benches/peers/runs/<UTC date>-<cpu family>-<LABEL>.txt (raw rows; summarise with
# `python3 ../shared/tools/peer-bench/aggregate.py FILE`) and prints the summary table.
# Example: benches/peers/run.sh frame mask parse encode handshake
set -euo pipefail
cd "$(dirname "$0")/../.."
label=${1:?usage: benches/peers/run.sh LABEL [peer-bench args...]}
shift
tool=${PEER_BENCH:-../shared/tools/peer-bench}
[ -x "$tool/run.sh" ] || { echo "peer-bench not found at $tool (set PEER_BENCH)" >&2; exit 1; }

model=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
case "$model" in
  *AMD*) family=amd ;;
  *Intel*) family=intel ;;
  *) family=other ;;
esac
out="benches/peers/runs/$(date -u +%Y-%m-%d)-$family-$label.txt"
flags=$(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
  grep -E '^(sse4_2|ssse3|avx|avx2|avx512f|avx512bw|avx512vl|sha_ni|erms|fsrm|bmi2)$' | tr '\n' ' ')
{
  echo "# cpu: $model ($(nproc) vCPUs)"
  echo "# cpu flags that pick code paths: $flags"
  echo "# kernel: $(uname -r); load average before the run: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# commit: $(git rev-parse --short HEAD)$(git diff --quiet || echo ' (with uncommitted changes)')"
  echo "# command: $tool/run.sh --raw $*"
  echo "# statistic: each RAW row is median / min / max over interleaved rounds of (sample time /"
  echo "#   calls); quote the median, the fastest round (min) only beside it."
} > "$out"
"$tool/run.sh" --raw "$@" >> "$out"
echo "# load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out"
echo "wrote $out" >&2
python3 "$tool/aggregate.py" "$out"
