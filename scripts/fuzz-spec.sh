#!/usr/bin/env bash
# Fuzzes the spec compiler (parse, validate, lint, diagnostics, codegen) with libFuzzer through
# cargo fuzz, seeded with the real spec and every fixture.
# Usage: scripts/fuzz-spec.sh [RUNS]   (default 1,000,000 executions)
# Needs cargo-fuzz (`cargo install cargo-fuzz`). cargo fuzz wants nightly features; on a stable
# toolchain RUSTC_BOOTSTRAP=1 enables them, as below.
set -euo pipefail
cd "$(dirname "$0")/../compiler/fuzz"
runs="${1:-1000000}"
mkdir -p corpus/check
RUSTC_BOOTSTRAP=1 cargo fuzz run check corpus/check seeds -- \
  -runs="$runs" -max_len=8192 -print_final_stats=1
