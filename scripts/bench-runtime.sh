#!/usr/bin/env bash
# Measures `optimize-telemetry run` at rest: resident memory and wakeups (context switches of
# all its threads) over one idle minute, with telemetry enabled (the next report a day away) and
# disabled. Target: <= 15 MiB resident. Needs perf (Debian: linux-perf) for the wakeup count.
# Usage: scripts/bench-runtime.sh [SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"

cargo build -q --release --bin optimize-telemetry
bin="$PWD/target/release/optimize-telemetry"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cpu_ticks() { # user + system clock ticks of the whole process, exited threads included
  awk '{print $14 + $15}' /proc/"$1"/stat
}

measure() { # name enabled
  local name=$1 enabled=$2 dir="$work/$1"
  mkdir -p "$dir/state"
  cat > "$dir/config.toml" <<CONF
[telemetry]
initializeTelemetry = $enabled
telemetryEndpoint = "https://127.0.0.1:9/pings"
[elasticsearch]
url = "http://127.0.0.1:9"
[state]
dir = "$dir/state"
CONF
  # The last report went out just now: the next one is a day away.
  local now tomorrow
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  tomorrow=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%S.000Z)
  printf '{"lastSuccess": "%s", "nextDue": "%s"}\n' "$now" "$tomorrow" > "$dir/state/send-state.json"
  "$bin" --config "$dir/config.toml" --log-level warn run 2> "$dir/log" &
  local pid=$!
  sleep 2
  local cpu_before cpu_after wakeups rss hwm threads
  cpu_before=$(cpu_ticks "$pid")
  # perf counts the context switches of every thread, including threads that come and go.
  wakeups=$(perf stat -x, -e context-switches -p "$pid" -- sleep "$seconds" 2>&1 >/dev/null | awk -F, '/context-switches/ {print $1}')
  cpu_after=$(cpu_ticks "$pid")
  rss=$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status)
  hwm=$(awk '/^VmHWM/ {print $2}' /proc/"$pid"/status)
  threads=$(ls /proc/"$pid"/task | wc -l)
  kill -TERM "$pid"
  wait "$pid" || true
  printf '%-9s resident %5.1f MiB (peak %5.1f MiB), %d threads, %s wakeups and %d ms CPU in %ds\n' \
    "$name" "$(echo "$rss/1024" | bc -l)" "$(echo "$hwm/1024" | bc -l)" "$threads" "$wakeups" \
    "$(( (cpu_after - cpu_before) * 1000 / $(getconf CLK_TCK) ))" "$seconds"
}

echo "optimize-telemetry run, idle:"
measure enabled true
measure disabled false
