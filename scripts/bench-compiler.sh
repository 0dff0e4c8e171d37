#!/usr/bin/env bash
# Measures the spec compiler against its targets:
#   - parse + validate + codegen for N = 100 .. 100,000 items (criterion medians),
#   - the per-item cost at N = 100,000 relative to N = 1,000,
#   - the peak memory of `telemetry-spec check` on a 10,000-item spec.
# Usage: scripts/bench-compiler.sh [--quick]   (--quick skips criterion and reuses its last results)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--quick" ]]; then
  cargo bench -p telemetry-spec --bench pipeline
fi

median_ns() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' \
    "target/criterion/parse_validate_codegen/$1/new/estimates.json"
}

echo
echo "parse + validate + codegen, criterion medians:"
for n in 100 1000 10000 100000; do
  ns=$(median_ns "$n")
  python3 -c "import sys; n=int(sys.argv[1]); ns=float(sys.argv[2]); print(f'  N={n:>6}: {ns/1e6:9.2f} ms  ({ns/n/1e3:6.2f} us/item)')" "$n" "$ns"
done
python3 -c "import sys; a=float(sys.argv[1])/1000; b=float(sys.argv[2])/100000; print(f'  per-item cost at 100,000 / at 1,000 = {b/a:.2f}x (target <= 1.2x)')" \
  "$(median_ns 1000)" "$(median_ns 100000)"

mixed=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' \
  "target/criterion/parse_validate_codegen_mixed/10000/new/estimates.json")
python3 -c "import sys; t=float(sys.argv[1])/10000; m=float(sys.argv[2])/10000; print(f'  N= 10000, every type: {m*10/1e3:9.2f} ms  ({m/1e3:6.2f} us/item); per item, every type / text types = {m/t:.2f}x (target <= 1.0x)')" \
  "$(median_ns 10000)" "$mixed"

cargo build -q --release -p telemetry-spec --bin telemetry-spec --example synthetic_spec
spec=$(mktemp --suffix=.toml)
trap 'rm -f "$spec"' EXIT
target/release/examples/synthetic_spec 10000 > "$spec"
peak_kib=$(/usr/bin/time -f '%M' target/release/telemetry-spec check "$spec" 2>&1 >/dev/null | tail -n 1)
echo
echo "peak RSS of 'telemetry-spec check' on 10,000 items: $((peak_kib / 1024)) MiB (${peak_kib} KiB; target < 50 MiB)"
