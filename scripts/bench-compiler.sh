#!/usr/bin/env bash
# Measures the spec compiler against its targets:
#   - parse + validate + codegen for N = 100 .. 100,000 items (criterion medians),
#   - the per-item cost at N = 100,000 relative to N = 1,000,
#   - each stage alone on 10,000 string items (criterion medians: parse, validate, check,
#     markdown, html, schema, rust, example), so that a regression shows in the stage that
#     caused it (`check` is parse + validate as the tool runs them, item group by item group),
#   - the peak memory of `telemetry-spec check` on a 10,000-item spec.
# Usage: scripts/bench-compiler.sh [--quick]   (--quick skips criterion and reuses its last results)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ "${1:-}" != "--quick" ]]; then
  cargo bench -p telemetry-spec --bench pipeline
fi
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"

# The median of criterion benchmark `$1` (group/id), in nanoseconds.
median_ns() {
  python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["median"]["point_estimate"])' \
    "$target_dir/criterion/$1/new/estimates.json"
}

echo
echo "parse + validate + codegen, criterion medians:"
for n in 100 1000 10000 100000; do
  ns=$(median_ns "parse_validate_codegen/$n")
  python3 -c "import sys; n=int(sys.argv[1]); ns=float(sys.argv[2]); print(f'  N={n:>6}: {ns/1e6:9.2f} ms  ({ns/n/1e3:6.2f} us/item)')" "$n" "$ns"
done
python3 -c "import sys; a=float(sys.argv[1])/1000; b=float(sys.argv[2])/100000; print(f'  per-item cost at 100,000 / at 1,000 = {b/a:.2f}x (target <= 1.2x)')" \
  "$(median_ns parse_validate_codegen/1000)" "$(median_ns parse_validate_codegen/100000)"

mixed=$(median_ns parse_validate_codegen_mixed/10000)
python3 -c "import sys; t=float(sys.argv[1])/10000; m=float(sys.argv[2])/10000; print(f'  N= 10000, every type: {m*10/1e3:9.2f} ms  ({m/1e3:6.2f} us/item); per item, every type / text types = {m/t:.2f}x (target <= 1.0x)')" \
  "$(median_ns parse_validate_codegen/10000)" "$mixed"

echo
echo "each stage on 10,000 string items, criterion medians (markdown and html include preparing the pages):"
for stage in parse validate check markdown html schema rust example; do
  ns=$(median_ns "stages/$stage/10000")
  python3 -c "import sys; s=sys.argv[1]; ns=float(sys.argv[2]); print(f'  {s:<9} {ns/1e6:8.2f} ms  ({ns/1e7:5.2f} us/item)')" "$stage" "$ns"
done

cargo build -q --release -p telemetry-spec --bin telemetry-spec --example synthetic_spec
spec=$(mktemp --suffix=.toml)
trap 'rm -f "$spec"' EXIT
"$target_dir/release/examples/synthetic_spec" 10000 > "$spec"
peak_kib=$(/usr/bin/time -f '%M' "$target_dir/release/telemetry-spec" check "$spec" 2>&1 >/dev/null | tail -n 1)
echo
echo "peak RSS of 'telemetry-spec check' on 10,000 items: $((peak_kib / 1024)) MiB (${peak_kib} KiB; target <= 40 MiB)"
