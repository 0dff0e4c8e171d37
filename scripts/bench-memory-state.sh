#!/usr/bin/env bash
# How the state of the machine's free memory moves `telemetry-spec rust` on N string items
# (default 10,000), on glibc's default small pages and with its huge-page tunables (see the
# README, "Measuring": why the tool no longer restarts itself with those tunables).
#
# On virtual machines that report freed memory to their host (Linux's page_reporting), a page
# the host has taken back costs a fault on the host when it is used again. Three cases, ROUNDS
# times each (default 8), interleaved, on small pages and on huge pages (GLIBC_TUNABLES
# glibc.malloc.hugetlb=1, heaps grown 12 MiB at a time):
#   back-to-back   right after another run of the same command
#   right-after    right after a process that filled and freed 300 MiB
#   2.5s-after     2.5 seconds after such a process (its memory reported to the host by then)
# Prints the median wall and system time of each. Not part of CI.
# Usage: scripts/bench-memory-state.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
rounds="${2:-8}"
bench="${BENCH_DIR:-target/bench-memory-state}"
mkdir -p "$bench"

cargo build -q --release -p telemetry-spec --bin telemetry-spec --example synthetic_spec
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
"$target_dir/release/examples/synthetic_spec" "$n" strings > "$bench/telemetry.toml"
if [[ -r /sys/module/page_reporting/parameters/reported_kib ]]; then
  echo "free page reporting: on ($(cat /sys/module/page_reporting/parameters/reported_kib) KiB reported so far)"
else
  echo "free page reporting: not found (the cases should then measure alike)"
fi

python3 - "$target_dir/release/telemetry-spec" "$bench/telemetry.toml" "$rounds" <<'EOF'
import os, statistics, subprocess, sys, time
binary, spec, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
small = {k: v for k, v in os.environ.items() if k != "GLIBC_TUNABLES"}
variants = {
    "huge pages": dict(small, GLIBC_TUNABLES="glibc.malloc.hugetlb=1:glibc.malloc.top_pad=12582912"),
    "small pages": small,
}
hog = ["python3", "-c", "b = bytearray(300 << 20); b[::4096] = b'x' * len(b[::4096])"]

def run(env):
    start = time.perf_counter()
    child = subprocess.Popen(["telemetry-spec", "rust", spec], executable=binary,
                             stdout=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(child.pid, 0)
    if status != 0:
        sys.exit("bench-memory-state: telemetry-spec rust failed")
    return (time.perf_counter() - start) * 1000, usage.ru_stime * 1000

results = {}
for _ in range(rounds):
    for name, env in variants.items():
        run(env)
        results.setdefault((name, "back-to-back"), []).append(run(env))
        subprocess.run(hog, check=True)
        results.setdefault((name, "right-after"), []).append(run(env))
        subprocess.run(hog, check=True)
        time.sleep(2.5)
        results.setdefault((name, "2.5s-after"), []).append(run(env))
print(f"telemetry-spec rust, {rounds} rounds: median wall, median system time")
for (name, case), runs in results.items():
    wall = statistics.median(r[0] for r in runs)
    system = statistics.median(r[1] for r in runs)
    print(f"  {name:<12} {case:<13} {wall:7.1f} ms  {system:6.1f} ms system")
EOF
