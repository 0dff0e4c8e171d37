#!/usr/bin/env bash
# The compiler against its peers on the same job, whole processes side by side: N string items
# (default 10,000) in one category, turned into code and a disclosure page.
#   - this project: `telemetry-spec generate` (Markdown + HTML + JSON Schema into a directory)
#     and `telemetry-spec rust`, release build;
#   - glean_parser (installed with pip into a local virtualenv, $BENCH_DIR/venv): N string
#     metrics in one metrics.yaml, `glean_parser translate -f rust` and `-f markdown`;
#   - OpenTelemetry Weaver, only when WEAVER=/path/to/weaver is set: N string attributes in one
#     registry group, `weaver registry check` and `weaver registry generate` of one Markdown
#     file from a one-template target.
# Every command runs ROUNDS times (default 5), interleaved with the others; the script prints
# each command's median wall time and peak RSS (wait4's ru_maxrss), then the ratios.
# With BASELINE=/path/to/an/older/telemetry-spec, that binary runs the same two commands
# alongside (before/after); with GLEAN=0, glean_parser is left out (for large N); with
# SPEC=path, this project's commands read that spec instead of the synthetic one (the real
# spec: `SPEC=spec/telemetry.toml GLEAN=0 scripts/bench-peers.sh 13 31`).
# Weaver has no release binary in any registry these machines reach: build it from its source
# (README, "Measuring"), then pass the binary as WEAVER.
# Not part of CI. Usage: scripts/bench-peers.sh [N] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-10000}"
rounds="${2:-5}"
bench="${BENCH_DIR:-target/bench-peers}"
mkdir -p "$bench"
bench="$(cd "$bench" && pwd)"

cargo build -q --release -p telemetry-spec --bin telemetry-spec --example synthetic_spec
target_dir="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
spec_bin="$target_dir/release/telemetry-spec"
if [[ -n "${SPEC:-}" ]]; then
  cp "$SPEC" "$bench/telemetry.toml"
else
  "$target_dir/release/examples/synthetic_spec" "$n" strings > "$bench/telemetry.toml"
fi

glean="${GLEAN:-1}"
if [[ "$glean" != 0 && ! -x "$bench/venv/bin/glean_parser" ]]; then
  python3 -m venv "$bench/venv"
  "$bench/venv/bin/pip" install -q glean_parser
fi
python3 - "$n" "$bench/metrics.yaml" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as out:
    out.write("---\n$schema: moz://mozilla.org/schemas/glean/metrics/2-0-0\n\ngeneral:\n")
    for i in range(n):
        out.write(
            f"  item_{i}:\n"
            f"    type: string\n"
            f"    description: Synthetic item number {i}, described well enough for a reviewer to read.\n"
            f"    bugs:\n      - https://example.com/bug/1\n"
            f"    data_reviews:\n      - https://example.com/review/1\n"
            f"    notification_emails:\n      - bench@example.com\n"
            f"    expires: never\n"
        )
EOF

cases=(
  "spec-generate|$spec_bin generate $bench/telemetry.toml --out $bench/out/disclosure --templates spec/templates"
  "spec-rust|$spec_bin rust $bench/telemetry.toml"
)
if [[ -n "${BASELINE:-}" ]]; then
  cases+=(
    "base-generate|$BASELINE generate $bench/telemetry.toml --out $bench/out/disclosure --templates spec/templates"
    "base-rust|$BASELINE rust $bench/telemetry.toml"
  )
fi
if [[ "$glean" != 0 ]]; then
  cases+=(
    "glean-rust|$bench/venv/bin/glean_parser translate -f rust -o $bench/out/glean-rust $bench/metrics.yaml"
    "glean-markdown|$bench/venv/bin/glean_parser translate -f markdown -o $bench/out/glean-md $bench/metrics.yaml"
  )
fi
if [[ -n "${WEAVER:-}" ]]; then
  registry="$bench/weaver/registry"
  templates="$bench/weaver/templates"
  mkdir -p "$registry" "$templates/registry/markdown"
  python3 - "$n" "$registry/bench.yaml" <<'EOF'
import sys
n, path = int(sys.argv[1]), sys.argv[2]
with open(path, "w") as out:
    out.write("groups:\n  - id: registry.bench\n    type: attribute_group\n    brief: Synthetic attributes.\n    attributes:\n")
    for i in range(n):
        out.write(
            f"      - id: bench.item_{i}\n        type: string\n"
            f"        brief: Synthetic item number {i}, described well enough for a reviewer to read.\n"
            f"        examples: ['some text']\n        stability: development\n"
        )
EOF
  cat > "$templates/registry/markdown/weaver.yaml" <<'EOF'
templates:
  - pattern: "attributes.md.j2"
    filter: "."
    application_mode: single
EOF
  cat > "$templates/registry/markdown/attributes.md.j2" <<'EOF'
| Attribute | Type | Description |
| --- | --- | --- |
{% for group in ctx.groups %}{% for a in group.attributes %}| `{{ a.name }}` | {{ a.type }} | {{ a.brief }} |
{% endfor %}{% endfor %}
EOF
  cases+=(
    "weaver-check|$WEAVER registry check -r $registry"
    "weaver-generate|$WEAVER registry generate -r $registry -t $templates markdown $bench/out/weaver"
  )
fi

results="$bench/results.txt"
# The runner: each command is started, waited for with wait4 and timed around that with a
# monotonic clock, so the figure is the command's own (a shell's `date` and GNU time around
# it added about 4 ms to every run); its peak RSS is wait4's ru_maxrss, what GNU time's %M
# reports. The output directory is emptied before each run, outside the timing. Every command
# runs under its file name as argv[0], as it does when found on PATH: the length of argv[0]
# moves the initial stack, and the same binary measured up to 15% slower under the 40-byte
# path of a build directory than under a short name.
printf '%s\n' "${cases[@]}" | python3 -c '
import os, shlex, shutil, subprocess, sys, time
bench, rounds, results = sys.argv[1], int(sys.argv[2]), sys.argv[3]
cases = [line.rstrip("\n").split("|", 1) for line in sys.stdin if line.strip()]
with open(results, "w") as out:
    for _ in range(rounds):
        for name, cmd in cases:
            shutil.rmtree(f"{bench}/out", ignore_errors=True)
            os.makedirs(f"{bench}/out")
            with open(f"{bench}/stderr.txt", "wb") as err:
                start = time.perf_counter()
                args = shlex.split(cmd)
                child = subprocess.Popen(
                    [os.path.basename(args[0])] + args[1:], executable=args[0],
                    stdout=subprocess.DEVNULL, stderr=err,
                )
                _, status, usage = os.wait4(child.pid, 0)
                took = time.perf_counter() - start
            if status != 0:
                with open(f"{bench}/stderr.txt") as err:
                    sys.stderr.write(f"bench-peers: {name} failed:\n{err.read()}")
                sys.exit(1)
            out.write(f"{name} {round(took * 1e6)} {usage.ru_maxrss}\n")
' "$bench" "$rounds" "$results"

python3 - "$results" "$n" "$rounds" <<'EOF'
import statistics, sys
path, n, rounds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = {}
for line in open(path):
    name, us, kib = line.split()
    runs.setdefault(name, []).append((int(us), int(kib)))
med = {k: (statistics.median(u for u, _ in v) / 1000, max(m for _, m in v) / 1024) for k, v in runs.items()}
print(f"{n} string items, {rounds} interleaved rounds: median wall, peak RSS")
for name, (ms, mib) in med.items():
    print(f"  {name:<16} {ms:9.1f} ms  {mib:7.1f} MiB")
full = med["spec-generate"][0] + med["spec-rust"][0]
print(f"  {'spec-full-job':<16} {full:9.1f} ms  (generate + rust; {full * 1000 / n:.2f} us/item)")
if "base-generate" in med:
    base = med["base-generate"][0] + med["base-rust"][0]
    print(f"  {'base-full-job':<16} {base:9.1f} ms  (generate + rust; {base * 1000 / n:.2f} us/item)")
print("ratios (other / this project, higher is faster here):")
if "base-generate" in med:
    print(f"  baseline generate+rust / spec generate+rust: {base / full:8.2f}x")
if "glean-rust" in med:
    glean = med["glean-rust"][0] + med["glean-markdown"][0]
    print(f"  {'glean-full-job':<16} {glean:9.1f} ms  (rust + markdown)")
    print(f"  glean rust+markdown / spec generate+rust: {glean / full:8.1f}x  (target >= 200x)")
if "weaver-generate" in med:
    print(f"  weaver generate / spec generate:          {med['weaver-generate'][0] / med['spec-generate'][0]:8.1f}x  (target >= 4x)")
else:
    print("  weaver: not measured (set WEAVER=/path/to/weaver)")
EOF
