#!/usr/bin/env bash
# Migration waves at scale: N accounts (default 50), each with M MGN source
# servers (default 200) in W waves of the same names across the accounts
# (default 10). The first wave has cut over (its instances exist in the
# emulator, half of them without the MAP tag); of the others' servers most
# have MAP auto-tagging on with the agreement's value, some off, some with
# another agreement's. `waves` and `audit --wave wave-3` are recorded once
# through proxies, then replayed with LATENCY_MS per request (default 100).
# Prints, for each: wall time, the requests by operation, and the counts.
#   scripts/bench-waves.sh [N] [M] [W] [LATENCY_MS]
# PROFILE=release measures the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-50}
m=${2:-200}
w=${3:-10}
latency=${4:-100}
scripts/setup-emulator.sh
. scripts/emulator.sh
build --bin tagwarden
exe=$target/tagwarden
dir=$(mktemp -d)
pids=()
trap 'kill ${pids[*]} 2>/dev/null; rm -rf "$dir"' EXIT
start_emulator "$dir"
pids+=("$emulator")
moto=$moto_port
mgn=$mgn_port
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
echo "seeding $n accounts x $m servers in $w waves …" >&2
.venv/bin/python - "$moto" "$mgn" "$n" "$m" "$w" <<'PY'
import json, sys, urllib.request, boto3
moto, mgn, n, m, w = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
base = dict(endpoint_url=f"http://127.0.0.1:{moto}", region_name="us-east-1",
            aws_access_key_id="bench", aws_secret_access_key="bench")
OURS = {"enableMapAutoTagging": True, "mapAutoTaggingMpeID": "migABCDE12345"}
OTHER = {"enableMapAutoTagging": True, "mapAutoTaggingMpeID": "migZZZZZ99999"}
per_wave = m // w
for a in range(n):
    account = str(100000000000 + a)
    c = boto3.client("sts", **base).assume_role(RoleArn=f"arn:aws:iam::{account}:role/bench", RoleSessionName="seed")["Credentials"]
    ec2 = boto3.client("ec2", **dict(base, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"]))
    launched = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=per_wave, MaxCount=per_wave)["Instances"]
    ids = [i["InstanceId"] for i in launched]
    ec2.create_tags(Resources=ids[: per_wave // 2], Tags=[{"Key": "map-migrated", "Value": "migABCDE12345"}])
    servers = []
    for i in range(m):
        wave = min(i // per_wave, w - 1)
        s = {"hostname": f"host-{a}-{i}", "application": f"app-{wave + 1}"}
        if wave == 0 and i < len(ids):
            s.update(state="CUTOVER", launched_instance=ids[i], launch=OURS)
        else:
            s.update(state="READY_FOR_CUTOVER", launch={0: {}, 1: OTHER}.get(i % 10, OURS))
        servers.append(s)
    body = {"account": account, "region": "us-east-1",
            "waves": [{"name": f"wave-{k + 1}"} for k in range(w)],
            "applications": [{"name": f"app-{k + 1}", "wave": f"wave-{k + 1}"} for k in range(w)],
            "servers": servers}
    req = urllib.request.Request(f"http://127.0.0.1:{mgn}/_control/seed", data=json.dumps(body).encode(), method="POST")
    urllib.request.urlopen(req).read()
PY
policy="$dir/policy.yaml"
cat >"$policy" <<YAML
version: 1
policies:
  - name: map
    resources: [mgn:source-server, ec2:instance, ec2:volume]
    require:
      map-migrated: {values: [migABCDE12345], format: map}
YAML
{ echo "policies: [$policy]"
  echo "regions: [us-east-1]"
  echo "accounts:"
  echo "  role: bench"
  echo "  list:"
  for a in $(seq 0 $((n - 1))); do echo "    - {id: \"$((100000000000 + a))\"}"; done
  printf 'inventory:\n  mgn: {}\n'
} >"$dir/config.yaml"
measure() {  # NAME ARGS…
  local name=$1; shift
  p1=$(free_port); p2=$(free_port)
  proxy "$dir" record "$p1" "$moto" "$dir/$name-aws"
  proxy "$dir" record "$p2" "$mgn" "$dir/$name-mgn"
  AWS_ENDPOINT_URL="http://127.0.0.1:$p1" AWS_ENDPOINT_URL_MGN="http://127.0.0.1:$p2" \
    "$exe" -c "$dir/config.yaml" "$@" --format json -o "$dir/$name-recorded.json" 2>"$dir/$name-recorded.err" || true
  kill -TERM "${pids[-1]}" "${pids[-2]}"; wait "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
  proxy "$dir" replay "$p1" "$dir/$name-aws" "$latency"
  proxy "$dir" replay "$p2" "$dir/$name-mgn" "$latency"
  local start end code=0
  start=$(date +%s.%N)
  AWS_ENDPOINT_URL="http://127.0.0.1:$p1" AWS_ENDPOINT_URL_MGN="http://127.0.0.1:$p2" \
    "$exe" -c "$dir/config.yaml" "$@" --format json -o "$dir/$name.json" 2>"$dir/$name.err" || code=$?
  end=$(date +%s.%N)
  kill -TERM "${pids[-1]}" "${pids[-2]}"; wait "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
  python3 - "$dir" "$name" "$code" "$start" "$end" "$latency" "$p1" "$p2" "$*" <<'PY'
import json, sys
d, name, code, start, end, latency, p1, p2, args = sys.argv[1:10]
r = json.load(open(f"{d}/{name}.json"))
calls = {}
for p in (p1, p2):
    lines = [l for l in open(f"{d}/proxy-{p}.out") if l.startswith("{")]
    for op, k in json.loads(lines[-1]).items():
        calls[op] = calls.get(op, 0) + k
total = sum(calls.values())
print(f"tagwarden {args}: exit {code}, wall {float(end) - float(start):.1f} s with {latency} ms a request")
print(f"  {total} requests: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())))
if "waves" in r:
    rows = r["waves"]
    print(f"  {len(rows)} wave rows, {sum(x['servers'] for x in rows)} servers, "
          f"{sum(x['ready'] for x in rows)} ready, {sum(x['not_ready'] for x in rows)} not ready, "
          f"{len(r['errors'])} errors")
else:
    s = r["summary"]
    print(f"  {s['resources']} resources, {len(r['findings'])} findings, {len(r['errors'])} errors")
PY
}
measure waves waves
measure audit-wave audit --wave wave-3
