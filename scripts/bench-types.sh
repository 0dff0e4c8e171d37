#!/usr/bin/env bash
# The per-item cost of `telemetry-spec rust` (parse + validate + Rust codegen, whole process) on a
# 10,000-item spec of every type, beside the text-only spec, and optionally beside an older build
# (BASELINE_DIR: a target dir holding release/telemetry-spec and release/examples/synthetic_spec
# built from an older commit). Prints wall-clock medians of interleaved rounds and instruction
# counts (valgrind's callgrind: the same count whatever else the machine is doing).
# Usage: scripts/bench-types.sh [ROUNDS]   (default 7)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-7}"
cargo build -q --release -p telemetry-spec --bin telemetry-spec --example synthetic_spec
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
target/release/examples/synthetic_spec 10000 > "$work/text.toml"
target/release/examples/synthetic_spec 10000 mixed > "$work/mixed.toml"
cases=("text target/release/telemetry-spec $work/text.toml" "mixed target/release/telemetry-spec $work/mixed.toml")
if [[ -n "${BASELINE_DIR:-}" ]]; then
  "$BASELINE_DIR/release/examples/synthetic_spec" 10000 > "$work/baseline.toml"
  cases=("baseline-text $BASELINE_DIR/release/telemetry-spec $work/baseline.toml" "${cases[@]}")
fi
for ((r = 0; r < rounds; r++)); do
  for c in "${cases[@]}"; do
    read -r name bin spec <<<"$c"
    start=$(date +%s%N)
    "$bin" rust "$spec" > /dev/null
    echo "$name $(( ($(date +%s%N) - start) / 1000 ))" >> "$work/times"
  done
done
echo "telemetry-spec rust on 10,000 items, $rounds interleaved rounds:"
for c in "${cases[@]}"; do
  read -r name bin spec <<<"$c"
  median=$(awk -v n="$name" '$1 == n { print $2 }' "$work/times" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  instructions=""
  if command -v valgrind > /dev/null; then
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.$name" "$bin" rust "$spec" > /dev/null 2> "$work/vg.$name"
    instructions=$(awk '/^summary:/ { print $2 }' "$work/cg.$name")
  fi
  printf '  %-14s median %7.1f ms (%5.2f us/item)   instructions %s (%s per item)\n' "$name" \
    "$(echo "$median / 1000" | bc -l)" "$(echo "$median / 10000" | bc -l)" "${instructions:-n/a}" \
    "$([[ -n $instructions ]] && echo $((instructions / 10000)) || echo n/a)"
done
