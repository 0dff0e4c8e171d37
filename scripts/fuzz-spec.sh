#!/usr/bin/env bash
# Fuzzes the spec compiler (parse, validate, lint, diagnostics, codegen) with libFuzzer through
# cargo fuzz, seeded with the real spec and every spec fixture, gathered here at each run (so
# the seeds never drift from the fixtures).
# Usage: scripts/fuzz-spec.sh [RUNS]   (default 1,000,000 executions)
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo fuzz wants nightly features; on a stable
# toolchain RUSTC_BOOTSTRAP=1 enables them, as below.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/compiler/fuzz"
runs="${1:-1000000}"
mkdir -p corpus/check
seeds=$(mktemp -d)
trap 'rm -rf "$seeds"' EXIT
cp "$root/spec/telemetry.toml" "$seeds/real.toml"
find "$root/tests/fixtures" -name '*.toml' | while read -r f; do
  cp "$f" "$seeds/$(basename "$(dirname "$f")")-$(basename "$f")"
done
echo "seeds: $(ls "$seeds" | wc -l) specs from spec/ and tests/fixtures/"
RUSTC_BOOTSTRAP=1 cargo fuzz run check corpus/check "$seeds" -- \
  -runs="$runs" -max_len=8192 -print_final_stats=1
