#!/usr/bin/env bash
# The daemon against the emulator (the demo estate: 2 accounts, 2 regions),
# a cycle every second:
#  1. memory: RSS between cycles after cycle 5 and after cycle N (default
#     100), and the peak: it must not grow with the number of cycles;
#  2. /metrics latency under 50 concurrent scrapers (wrk, 20 s) while cycles
#     run: p50 and p99, and how much of that time a cycle was running.
#   scripts/bench-daemon.sh [N]      PROFILE=release for the release build
set -euo pipefail
cd "$(dirname "$0")/.."
cycles=${1:-100}
scripts/setup-emulator.sh
if ! command -v wrk >/dev/null; then
  echo "Installing wrk (Debian package) …" >&2
  ${SUDO:-} apt-get install -y --no-install-recommends wrk >/dev/null
fi
. scripts/emulator.sh
build --bin tagwarden --example demo_estate
start_moto
dir=$(mktemp -d)
trap 'kill $daemon $moto 2>/dev/null; rm -rf "$dir"' EXIT
daemon=
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true
"$target/examples/demo_estate" >/dev/null
listen=$(free_port)
cat >"$dir/tagwarden.yaml" <<YAML
policies: [$PWD/policies]
regions: [us-east-1, eu-west-1]
accounts:
  role: tagwarden-audit
  list: [{id: "111111111111", name: prod}, {id: "222222222222", name: staging}]
store: $dir/state.db
daemon: {interval: 1s, listen: "127.0.0.1:$listen"}
YAML
"$target/tagwarden" run -c "$dir/tagwarden.yaml" >"$dir/log" 2>&1 &
daemon=$!

metric() { curl -s "http://127.0.0.1:$listen/metrics" | awk -v s="$1" '$1 == s { print $2 }'; }
finished() { echo $(( $(metric 'tagwarden_cycles_total{result="ok"}' || echo 0) + 0 )); }
wait_cycles() {
  until [ "$(finished 2>/dev/null || echo 0)" -ge "$1" ]; do sleep 0.05; done
}
# Between cycles: just after one has finished.
rss_kib() { awk '/^VmRSS/ { print $2 }' /proc/$daemon/status; }
idle_rss() {
  wait_cycles "$1"
  sleep 0.1
  rss_kib
}

rss5=$(idle_rss 5)
busy_before=$(metric tagwarden_cycle_duration_seconds_sum)
wrk -t2 -c50 -d20s --latency "http://127.0.0.1:$listen/metrics" >"$dir/wrk"
busy_after=$(metric tagwarden_cycle_duration_seconds_sum)
series=""
for at in $(seq 25 25 "$cycles"); do
  series="$series $at:$(( $(idle_rss "$at") / 1024 ))"
done
rss_n=$(idle_rss "$cycles")
peak=$(awk '/^VmHWM/ { print $2 }' /proc/$daemon/status)
skipped=$(metric 'tagwarden_cycles_total{result="skipped"}')
failed=$(metric 'tagwarden_cycles_total{result="failed"}')

echo "== tagwarden run ($profile): $cycles cycles of the demo estate, 1 s interval"
awk -v a="$rss5" -v b="$rss_n" -v n="$cycles" -v p="$peak" 'BEGIN {
  printf "RSS between cycles: after 5 cycles %.1f MiB, after %d cycles %.1f MiB; peak %.1f MiB\n", a/1024, n, b/1024, p/1024 }'
echo "RSS (MiB) between cycles, by cycle:$series"
echo "cycles skipped: $skipped, failed: $failed"
p50=$(awk '$1 == "50%" { print $2 }' "$dir/wrk")
p99=$(awk '$1 == "99%" { print $2 }' "$dir/wrk")
rate=$(awk '/Requests\/sec/ { print $2 }' "$dir/wrk")
awk -v p50="$p50" -v p99="$p99" -v rate="$rate" -v a="$busy_before" -v b="$busy_after" 'BEGIN {
  printf "/metrics, 50 concurrent scrapers for 20 s: p50 %s, p99 %s, %s scrapes/s; a cycle was running %.0f %% of that time\n", p50, p99, rate, (b - a) / 20 * 100 }'
