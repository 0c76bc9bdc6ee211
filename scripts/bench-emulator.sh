#!/usr/bin/env bash
# Benchmarks against the emulator, with N never-tagged instances + N root
# volumes in one account-region:
#  1. audit: wall time, peak RSS, API calls per 1,000 resources;
#  2. apply of `map-migrated` to all of them: write calls against the minimum
#     the APIs allow, verification calls, wall time.
#   scripts/bench-emulator.sh [N]      (default 5000, i.e. 10,000 resources)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5000}
scripts/setup-emulator.sh
# The debug build by default: the audit is bound by the emulator, and a release
# build of the AWS SDK takes many minutes. PROFILE=release to measure that.
. scripts/emulator.sh
build --bin tagwarden --example seed_bulk
start_moto
trap 'kill $moto 2>/dev/null' EXIT
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true
"$target/examples/seed_bulk" "$n"
dir=$(mktemp -d)
cat >"$dir/tagwarden.yaml" <<YAML
policies: [$PWD/policies/map-migrated.yaml]
regions: [us-east-1]
limits: {max_changes_per_run: 1000000}
store: $dir/state.db
YAML
start=$(date +%s.%N)
python3 - "$target/tagwarden" "$dir" <<'PY'
import json, resource, subprocess, sys, time
exe, d = sys.argv[1], sys.argv[2]
t = time.time()
out = subprocess.run([exe, "audit", "-c", f"{d}/tagwarden.yaml", "--format", "json", "-o", f"{d}/report.json"], capture_output=True, text=True)
wall = time.time() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
r = json.load(open(f"{d}/report.json"))
s = r["summary"]
print(f"resources: {s['resources']}  findings: {len(r['findings'])}  exit: {out.returncode}")
print(f"wall time: {wall:.2f} s (bound by the emulator)  peak RSS: {rss:.1f} MiB")
print(f"API calls: {s['api_calls']} = {1000 * s['api_calls'] / s['resources']:.2f} per 1,000 resources")
for op, n in r["api_calls_by_operation"].items():
    print(f"  {op}: {n}")
PY
python3 - "$target/tagwarden" "$dir" <<'PY'
import json, math, resource, subprocess, sys, time
exe, d = sys.argv[1], sys.argv[2]
t = time.time()
out = subprocess.run([exe, "-c", f"{d}/tagwarden.yaml", "apply", "--yes", "--format", "json", "-o", f"{d}/apply.json"], capture_output=True, text=True)
wall = time.time() - t
r = json.load(open(f"{d}/apply.json"))
s, calls = r["summary"], r["api_calls_by_operation"]
n = s["applied"]
print(f"\napply: {n} changes applied, {s['failed']} failed, exit {out.returncode}, wall time {wall:.2f} s (bound by the emulator)")
writes = calls.get("ec2:CreateTags", 0)
print(f"  ec2:CreateTags: {writes} (minimum the API allows: {math.ceil(n / 1000)}) = {1000 * writes / max(n, 1):.2f} per 1,000 changes")
print(f"  ec2:DescribeTags (verification): {calls.get('ec2:DescribeTags', 0)}")
print(f"  all calls: {s['api_calls']} = {1000 * s['api_calls'] / max(n, 1):.2f} per 1,000 changes")
for op, c in calls.items():
    print(f"    {op}: {c}")
PY
rm -rf "$dir"
