#!/usr/bin/env bash
# Every type through Resource Explorer, at scale: N accounts (default 20)
# with M resources each (default 500) of six types, a third never tagged,
# seeded in the emulator; an audit with `inventory.resource_explorer` and one
# without (the Tagging API alone) are recorded once through a proxy, then
# replayed with LATENCY_MS per request (default 100: the emulator's own speed
# would hide the requests' cost). Prints, for each: wall time, requests by
# operation, resources and findings, tagwarden's own CPU time and peak RSS,
# and both per 10,000 resources.
#   scripts/bench-explorer.sh [N] [M] [LATENCY_MS]
# PROFILE=release measures the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-20}
m=${2:-500}
latency=${3:-100}
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
rex=$explorer_port
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
echo "seeding $n accounts x $m resources …" >&2
.venv/bin/python - "$moto" "$rex" "$n" "$m" <<'PY'
import json, sys, urllib.request, boto3
moto, rex, n, m = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
url = f"http://127.0.0.1:{moto}"
base = dict(endpoint_url=url, region_name="us-east-1", aws_access_key_id="bench", aws_secret_access_key="bench")
MAP = {"map-migrated": "migABCDE12345"}
for a in range(n):
    account = str(100000000000 + a)
    c = boto3.client("sts", **base).assume_role(RoleArn=f"arn:aws:iam::{account}:role/bench", RoleSessionName="seed")["Credentials"]
    kw = dict(base, aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    sns, sqs, logs, ddb, sm, ecs = (boto3.client(s, **kw) for s in ("sns", "sqs", "logs", "dynamodb", "secretsmanager", "ecs"))
    for i in range(m):
        kind = i % 6
        # Each type a third compliant, a third other tags, a third never tagged.
        cls = (i // 6) % 3
        tags = MAP if cls == 0 else ({"Owner": "x"} if cls == 1 else {})
        name = f"r{i}"
        if kind == 0:
            sns.create_topic(Name=name, **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}))
        elif kind == 1:
            sqs.create_queue(QueueName=name, **({"tags": tags} if tags else {}))
        elif kind == 2:
            logs.create_log_group(logGroupName=f"/app/{name}", **({"tags": tags} if tags else {}))
        elif kind == 3:
            ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST", KeySchema=[{"AttributeName": "k", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "k", "AttributeType": "S"}],
                             **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}))
        elif kind == 4:
            sm.create_secret(Name=name, SecretString="x", **({"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]} if tags else {}))
        else:
            ecs.create_cluster(clusterName=name, **({"tags": [{"key": k, "value": v} for k, v in tags.items()]} if tags else {}))
view = "arn:aws:resource-explorer-2:us-east-1:123456789012:view/org/1"
state = {"indexes": {"123456789012": {"region": "us-east-1", "type": "AGGREGATOR"}},
         "views": {view: {"tags": True, "scope": "organization"}},
         "default_views": {"123456789012/us-east-1": view}}
urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{rex}/_control", data=json.dumps(state).encode(), method="POST")).read()
PY
policy="$dir/policy.yaml"
cat >"$policy" <<YAML
version: 1
policies:
  - name: map
    resources: [sns:topic, sqs:queue, logs:log-group, dynamodb:table, secretsmanager:secret, ecs:cluster]
    require:
      map-migrated: {format: map}
YAML
config() {
  { echo "policies: [$policy]"
    echo "regions: [us-east-1]"
    echo "accounts:"
    echo "  role: bench"
    echo "  list:"
    for a in $(seq 0 $((n - 1))); do echo "    - {id: \"$((100000000000 + a))\"}"; done
    [ "$1" = explorer ] && printf 'inventory:\n  resource_explorer: {region: us-east-1}\n'
    true
  } >"$dir/$1.yaml"
}
for mode in explorer tagging; do
  config "$mode"
  p1=$(free_port); p2=$(free_port)
  proxy "$dir" record "$p1" "$moto" "$dir/$mode-aws"
  proxy "$dir" record "$p2" "$rex" "$dir/$mode-rex"
  AWS_ENDPOINT_URL="http://127.0.0.1:$p1" AWS_ENDPOINT_URL_RESOURCE_EXPLORER_2="http://127.0.0.1:$p2" \
    "$exe" audit -q -c "$dir/$mode.yaml" --format json -o "$dir/$mode-recorded.json" || true
  kill -TERM "${pids[-1]}" "${pids[-2]}"; wait "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
  proxy "$dir" replay "$p1" "$dir/$mode-aws" "$latency"
  proxy "$dir" replay "$p2" "$dir/$mode-rex" "$latency"
  AWS_ENDPOINT_URL="http://127.0.0.1:$p1" AWS_ENDPOINT_URL_RESOURCE_EXPLORER_2="http://127.0.0.1:$p2" \
    python3 - "$exe" "$dir" "$mode" "$latency" <<'PY'
import json, resource, subprocess, sys, time
exe, d, mode, latency = sys.argv[1:5]
before = resource.getrusage(resource.RUSAGE_CHILDREN)
t = time.time()
out = subprocess.run([exe, "audit", "-q", "-c", f"{d}/{mode}.yaml", "--format", "json", "-o", f"{d}/{mode}.json"], capture_output=True, text=True)
wall = time.time() - t
after = resource.getrusage(resource.RUSAGE_CHILDREN)
cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
rss = after.ru_maxrss / 1024
r = json.load(open(f"{d}/{mode}.json"))
s = r["summary"]
calls = r["api_calls_by_operation"]
per = 10000 / max(s["resources"], 1)
print(f"{mode}: {s['accounts']} accounts, {s['resources']} resources, {len(r['findings'])} findings, {len(r['errors'])} errors, exit {out.returncode}")
print(f"  wall {wall:.1f} s with {latency} ms a request; {s['api_calls']} requests: " + ", ".join(f"{k} {v}" for k, v in sorted(calls.items())))
print(f"  own CPU {cpu:.2f} s, peak RSS {rss:.0f} MiB; per 10,000 resources: CPU {cpu * per:.2f} s")
PY
  kill "${pids[-1]}" "${pids[-2]}" 2>/dev/null || true
  [ -n "${KEEP:-}" ] && cp "$dir/$mode.json" "$KEEP/"
done
