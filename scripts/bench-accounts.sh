#!/usr/bin/env bash
# Many accounts behind real API latency: N accounts in the emulator (one
# instance, its root volume and one bucket each), audited once through a
# recording proxy, then again per `limits.concurrent_accounts` value given
# against a replay of those answers that takes LATENCY_MS per request (the
# emulator itself serves ~100 requests a second, which would hide the
# difference). Prints wall time, CPU time (user + system) and requests.
#   scripts/bench-accounts.sh [N] [LATENCY_MS] [CONCURRENCY...]
#   (defaults: 400 accounts, 100 ms, concurrency 8 and the default)
# EXE=path runs another tagwarden binary against the same recording.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-400}
latency=${2:-100}
shift 2 || true
concurrency=("$@")
[ $# -eq 0 ] && concurrency=(8 default)
scripts/setup-emulator.sh
. scripts/emulator.sh
build --bin tagwarden --example seed_accounts
start_moto
trap 'kill $moto 2>/dev/null' EXIT
proxy_port=$(free_port)
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
AWS_ENDPOINT_URL="http://127.0.0.1:$port" "$target/examples/seed_accounts" "$n"
dir=$(mktemp -d)
proxy=
trap 'kill $moto $proxy 2>/dev/null; rm -rf "$dir"' EXIT
# Start the proxy (record or replay) and wait until it listens.
start_proxy() {
  python3 scripts/replay-proxy.py "$@" >"$dir/proxy.out" &
  proxy=$!
  for _ in $(seq 1 100); do grep -q ready "$dir/proxy.out" 2>/dev/null && return; sleep 0.1; done
}
python3 - "$n" >"$dir/accounts.yaml" <<'PY'
import sys
print("  list:")
for i in range(int(sys.argv[1])):
    print(f'    - {{id: "{100000000000 + i}"}}')
PY
config() {
  local limits=""
  [ "$1" != default ] && limits="limits: {concurrent_accounts: $1}"
  cat >"$dir/tagwarden.yaml" <<YAML
policies: [$PWD/policies/map-migrated.yaml]
regions: [us-east-1]
$limits
accounts:
  role: bench
$(cat "$dir/accounts.yaml")
YAML
}
# Record: one audit against the emulator; every request it makes is kept.
config 8
start_proxy record "$proxy_port" "$port" "$dir/answers"
AWS_ENDPOINT_URL="http://127.0.0.1:$proxy_port" "$target/tagwarden" audit -q -c "$dir/tagwarden.yaml" --format json -o "$dir/recorded.json" || true
python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print(\"recorded:\", r[\"summary\"][\"resources\"], \"resources,\", len(r[\"errors\"]), \"errors\", r[\"errors\"][:3])" "$dir/recorded.json"
kill -TERM $proxy; wait $proxy || true
start_proxy replay "$proxy_port" "$dir/answers" "$latency"
for c in "${concurrency[@]}"; do
  config "$c"
  AWS_ENDPOINT_URL="http://127.0.0.1:$proxy_port" python3 - "${EXE:-$target/tagwarden}" "$dir" "$c" "$latency" <<'PY'
import json, os, resource, shlex, subprocess, sys, time
exe, d, c, latency = sys.argv[1:5]
wrap = shlex.split(os.environ.get("WRAP", ""))  # e.g. WRAP="perf record -g -o perf.data"
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.time()
out = subprocess.run(wrap + [exe, "audit", "-q", "-c", f"{d}/tagwarden.yaml", "--format", "json", "-o", f"{d}/report.json"], capture_output=True, text=True)
wall = time.time() - t
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
r = json.load(open(f"{d}/report.json"))
s = r["summary"]
print(f"concurrent_accounts {c}: {s['accounts']} accounts, {s['resources']} resources, {len(r['errors'])} errors, exit {out.returncode}")
print(f"  wall {wall:.2f} s with {latency} ms per request; CPU {cpu:.2f} s = {1000 * cpu / s['accounts']:.2f} ms per account; {s['api_calls']} requests")
PY
done
