#!/usr/bin/env bash
# Measures `optimize-telemetry run` at rest on the embedded store, with telemetry enabled (the
# last report just went out, the next one is a day away) and disabled, both at once: resident
# memory, CPU, and wake-ups, counted as the context switches of all its threads (threads that
# come and go included) by `perf stat` (Debian: linux-perf) over a window of SECONDS after a
# settling minute. Per hour is the raw count scaled from the window, printed next to it.
# Targets: <= 15 MiB resident, <= 2 wake-ups per hour.
# Usage: scripts/bench-runtime.sh [SECONDS]   (default 600)
#   BIN=<path>  measures that binary instead of building this checkout (an older build, side
#               by side).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-600}"
settle=60

if [[ -z "${BIN:-}" ]]; then
  cargo build -q --release --bin optimize-telemetry
  BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/optimize-telemetry"
fi
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

cpu_ticks() { # user + system clock ticks of the whole process, exited threads included
  awk '{print $14 + $15}' /proc/"$1"/stat
}

start() { # name enabled -> starts a daemon, remembers its pid in $work/<name>/pid
  local name=$1 enabled=$2 dir="$work/$1"
  mkdir -p "$dir/state"
  chmod 700 "$dir/state"
  cat > "$dir/config.toml" <<CONF
[telemetry]
initializeTelemetry = $enabled
telemetryEndpoint = "https://127.0.0.1:9/pings"
[elasticsearch]
url = "http://127.0.0.1:9"
[state]
dir = "$dir/state"
[control]
enabled = false
CONF
  local now tomorrow
  now=$(date -u +%Y-%m-%dT%H:%M:%S.000Z)
  tomorrow=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%S.000Z)
  printf '{"lastSuccess": "%s", "nextDue": "%s"}\n' "$now" "$tomorrow" > "$dir/state/send-state.json"
  "$BIN" --config "$dir/config.toml" --log-level warn run 2> "$dir/log" &
  pids+=($!)
  echo $! > "$dir/pid"
}

measure() { # name -> one line of figures over the window
  local name=$1 dir="$work/$1" pid
  pid=$(cat "$dir/pid")
  local cpu_before cpu_after switches rss hwm threads
  cpu_before=$(cpu_ticks "$pid")
  # A thread that never ran in the window is reported as `<not counted>`: no switches.
  switches=$(perf stat -x, -e context-switches -p "$pid" -- sleep "$seconds" 2>&1 >/dev/null |
    awk -F, '/context-switches/ {print ($1 ~ /^[0-9]+$/) ? $1 : 0}')
  cpu_after=$(cpu_ticks "$pid")
  rss=$(awk '/^VmRSS/ {print $2}' /proc/"$pid"/status)
  hwm=$(awk '/^VmHWM/ {print $2}' /proc/"$pid"/status)
  threads=$(ls /proc/"$pid"/task | wc -l)
  printf '%-9s %5d wake-ups in %ds = %7.1f per hour; %d threads; resident %4.1f MiB (peak %4.1f); %d ms CPU\n' \
    "$name" "$switches" "$seconds" "$(echo "$switches * 3600 / $seconds" | bc -l)" "$threads" \
    "$(echo "$rss/1024" | bc -l)" "$(echo "$hwm/1024" | bc -l)" \
    "$(((cpu_after - cpu_before) * 1000 / $(getconf CLK_TCK)))" > "$dir/result"
  if [[ -s "$dir/log" ]]; then
    sed 's/^/  log: /' "$dir/log" >> "$dir/result"
  fi
}

start enabled true
start disabled false
# The start (reading the store, threads of the blocking pool winding down) is not idle time.
sleep "$settle"
measure enabled &
on=$!
measure disabled &
off=$!
wait "$on" "$off"
echo "optimize-telemetry run, idle, embedded store ($BIN):"
cat "$work/enabled/result" "$work/disabled/result"
