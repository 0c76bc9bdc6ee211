#!/usr/bin/env bash
# Tags that stay on, at scale: a burst of removal events restored by the
# daemon. ACCOUNTS accounts (default 20) hold RESOURCES EC2 instances between
# them (default 2,000), all tagged map-migrated=migABCDE12345 (the shipped
# MAP policy's value; their root volumes too). Terraform-style DeleteTags
# then take the MAP tag off every instance in the emulator, and EVENTS
# CloudTrail DeleteTags events (default 10,000, EventBridge envelopes as
# tests/it/restore.rs builds them) name them on the daemon's queue: per
# instance one removal of map-migrated alone (Terraform), one of it with
# CostCenter (the CLI), one of Owner alone (a key no policy has), one in
# a call naming 10 instances (an SDK script), and the rest duplicate
# deliveries of earlier ones: about 5 events per instance, shuffled.
#
# The daemon (`tagwarden run`, mode enforce, policies/map-migrated.yaml,
# the accounts listed with a role, interval 1h) talks to the emulator
# through scripts/replay-proxy.py in `delay` mode: every request is live and
# answered after LATENCY_MS (default 100). The seeding and the checks go to
# the emulator directly.
#
# The daemon always runs a cycle at start, and its event consumer starts
# only after it (the cycle says which accounts are whose). A cycle that met
# the removals would write the tags back itself (up to
# limits.max_changes_per_run) and leave the events nothing to do, so the
# cycle runs first, over the still tagged estate (it writes nothing; its
# time, requests and peak RSS are shown apart). Then the tags are removed
# and the whole burst is sent, while the daemon polls its queue, with SQS
# DelaySeconds such that every message becomes visible at one instant T
# (within the second SQS counts delays in): the daemon meets the whole
# burst at once, as it would one queued before it started. From T on:
#   - time: until every instance holds the MAP tag again (the emulator
#     polled every 0.5 s) and the queue is empty (visible, in flight and
#     delayed messages 0), both times shown;
#   - requests by operation the proxy answered from T on (the first cycle's
#     and the idle polls before T apart);
#   - the bursts the daemon made of it (its "burst handled" lines);
#   - the daemon's peak RSS from T on (VmHWM, reset at T through
#     /proc/PID/clear_refs) and the first cycle's;
#   - the daemon's counters from /metrics: tagwarden_events_total and
#     tagwarden_tag_removals_total by outcome;
#   - the journal: `restore` runs in `tagwarden history`, and each
#     instance's map-migrated applied exactly once across them; `drift`
#     rows by outcome, and how many `restored` rows name an instance that
#     their burst's restore run did not write.
# Prints a summary, then the figures as one JSON line.
#   scripts/bench-removals.sh [ACCOUNTS] [RESOURCES] [EVENTS] [LATENCY_MS]
# PROFILE=release measures the release binary; MAX_CHANGES sets
# limits.max_changes_per_run (default: the daemon's, 500); TIMEOUT (s,
# default 1800) bounds the wait for the restore; KEEP=1 keeps the work
# directory (configuration, daemon log, state store) and names it.
set -euo pipefail
cd "$(dirname "$0")/.."
accounts=${1:-20}
resources=${2:-2000}
events=${3:-10000}
latency=${4:-100}
timeout=${TIMEOUT:-1800}
scripts/setup-emulator.sh
# shellcheck source=scripts/emulator.sh disable=SC1091
. scripts/emulator.sh
build --bin tagwarden
exe=$target/tagwarden
dir=$(mktemp -d)
pids=()
daemon=
moto=
cleanup() {
  [ -n "$daemon" ] && kill "$daemon" 2>/dev/null
  kill "${pids[@]}" $moto 2>/dev/null
  if [ "${KEEP:-}" = 1 ]; then echo "kept $dir" >&2; else rm -rf "$dir"; fi
}
trap cleanup EXIT
# moto 5.2.5's SQS counts every message of a queue, reading a clock built
# from datetimes for each, on every message sent and for every message
# received (its queue attributes, wanted only for a FIFO flag and the
# retention period): with 10,000 messages queued one ReceiveMessage takes
# it 19 s. Here moto runs with that clock read from time.time(), the
# retention period read directly, and the counts left out of what
# SendMessage reads (a standard queue's attributes hold no FIFO flag):
# the same answers, at the speed of a queue of a few messages.
cat >"$dir/fast-moto.py" <<'PY'
import sys, threading, time
import moto.sqs.models as sqs
from moto.server import main

slow_unix_time = sqs.unix_time


def unix_time(dt=None):
    return time.time() if dt is None else slow_unix_time(dt)


def retained(self, queue_name, message):
    until = self.get_queue(queue_name).message_retention_period + message.sent_timestamp / 1000
    return until > unix_time()


sending = threading.local()


def uncounted_while_sending(count):
    return property(lambda q: 0 if getattr(sending, "on", False) else count(q))


def send_message(self, *args, **kwargs):
    sending.on = True
    try:
        return slow_send(self, *args, **kwargs)
    finally:
        sending.on = False


sqs.unix_time = unix_time
sqs.unix_time_millis = lambda dt=None: unix_time(dt) * 1000.0
sqs.SQSBackend.is_message_valid_based_on_retention_period = retained
for name in ("approximate_number_of_messages", "approximate_number_of_messages_delayed",
             "approximate_number_of_messages_not_visible"):
    setattr(sqs.Queue, name, uncounted_while_sending(getattr(sqs.Queue, name).fget))
slow_send = sqs.SQSBackend.send_message
sqs.SQSBackend.send_message = send_message
main(["-H", "127.0.0.1", "-p", sys.argv[1]])
PY
port=$(free_port)
.venv/bin/python "$dir/fast-moto.py" "$port" >"$dir/moto.log" 2>&1 &
moto=$!
for _ in $(seq 1 100); do
  python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && break
  sleep 0.2
done
kill -0 "$moto" 2>/dev/null || { cat "$dir/moto.log" >&2; exit 1; }
export AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
py() { .venv/bin/python "$dir/bench.py" "$@"; }
cat >"$dir/bench.py" <<'PY'
"""The benchmark's side of AWS: seed, remove and send, watch, report."""
import bisect, concurrent.futures, datetime, json, os, random, signal, sys, time, uuid
import boto3

OURS = "migABCDE12345"
REGION = "us-east-1"
TERRAFORM = ("APN/1.0 HashiCorp/1.0 Terraform/1.5.7 (+https://www.terraform.io) terraform-provider-aws/5.31.0 "
             "(+https://registry.terraform.io/providers/hashicorp/aws) aws-sdk-go-v2/1.24.0 os/linux lang/go#1.20.12 api/ec2#1.141.0")
CLI = "aws-cli/2.15.10 Python/3.11.6 Linux/6.5.0 exe/x86_64.ubuntu.22 prompt/off command/ec2.delete-tags"
IDS = random.Random(11)
SDK = "Boto3/1.34.14 md/Botocore#1.34.14 ua/2.0 os/linux#6.5.0 md/arch#x86_64 lang/python#3.11.6 Botocore/1.34.14"


def base(port):
    return dict(endpoint_url=f"http://127.0.0.1:{port}", region_name=REGION,
                aws_access_key_id="bench", aws_secret_access_key="bench")


def ec2_in(port, account):
    c = boto3.client("sts", **base(port)).assume_role(
        RoleArn=f"arn:aws:iam::{account}:role/bench", RoleSessionName="bench")["Credentials"]
    return boto3.client("ec2", **dict(base(port), aws_access_key_id=c["AccessKeyId"],
                                      aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"]))


def load(d):
    return json.load(open(f"{d}/estate.json"))


def seed(port, d, n, per):
    """n accounts of per instances, tagged (the root volumes too); the queue."""
    def one(a):
        account = str(100000000000 + a)
        ec2 = ec2_in(port, account)
        tags = [{"Key": "map-migrated", "Value": OURS}, {"Key": "Owner", "Value": f"team-{a}"},
                {"Key": "CostCenter", "Value": f"cc-{a}"}]
        launched = ec2.run_instances(ImageId="ami-12c6146b", InstanceType="t3.micro", MinCount=per, MaxCount=per,
                                     TagSpecifications=[{"ResourceType": t, "Tags": tags} for t in ("instance", "volume")])
        return account, [i["InstanceId"] for i in launched["Instances"]]
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        estate = dict(pool.map(one, range(n)))
    sqs = boto3.client("sqs", **base(port))
    url = sqs.create_queue(QueueName="tagwarden-events")["QueueUrl"]
    json.dump({"queue": url, "accounts": estate}, open(f"{d}/estate.json", "w"))
    print(url)


def event(account, request, user_agent, role):
    """The EventBridge envelope around a CloudTrail DeleteTags record, as
    tests/it/restore.rs builds it."""
    eid = str(uuid.UUID(int=IDS.getrandbits(128), version=4))
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({
        "version": "0", "id": f"eb-{eid}", "detail-type": "AWS API Call via CloudTrail",
        "source": "aws.ec2", "account": account, "region": REGION, "time": now, "resources": [],
        "detail": {
            "eventVersion": "1.09", "eventTime": now, "eventSource": "ec2.amazonaws.com",
            "eventName": "DeleteTags", "awsRegion": REGION, "requestParameters": request,
            "responseElements": None, "eventID": eid, "eventType": "AwsApiCall",
            "recipientAccountId": account, "userAgent": user_agent,
            "userIdentity": {
                "type": "AssumedRole", "accountId": account,
                "arn": f"arn:aws:sts::{account}:assumed-role/{role}/session",
                "sessionContext": {"sessionIssuer": {"type": "Role", "arn": f"arn:aws:iam::{account}:role/{role}"}},
            },
        },
    })


def delete_tags(account, ids, keys, user_agent, role):
    request = {"resourcesSet": {"items": [{"resourceId": i} for i in ids]},
               "tagSet": {"items": [{"key": k} for k in keys]}}
    return event(account, request, user_agent, role)


def bodies(estate, total, rng):
    """`total` events, about total/instances naming each instance."""
    kinds = [[], [], [], []]
    for account, ids in estate.items():
        for i in ids:
            kinds[0].append(delete_tags(account, [i], ["map-migrated"], TERRAFORM, "terraform-ci"))
        for k in range(0, len(ids), 10):
            kinds[1].append(delete_tags(account, ids[k:k + 10], ["map-migrated"], SDK, "cleanup-script"))
        for i in ids:
            kinds[2].append(delete_tags(account, [i], ["map-migrated", "CostCenter"], CLI, "ops-admin"))
        for i in ids:
            kinds[3].append(delete_tags(account, [i], ["Owner"], TERRAFORM, "terraform-ci"))
    if total < len(kinds[0]):
        sys.exit(f"EVENTS ({total}) must be at least the instances ({len(kinds[0])}): each is named once")
    out = []
    for kind in kinds:
        out += kind[: total - len(out)]
    unique = list(out)
    while len(out) < total:  # EventBridge and SQS deliver at least once
        out.append(rng.choice(unique))
    rng.shuffle(out)
    return out


def burst(port, d, total, lead):
    """Take the MAP tag off every instance, then send the burst so that all
    of it becomes visible at T (printed): now + lead seconds."""
    data = load(d)
    estate = data["accounts"]
    rng = random.Random(7)
    out = bodies(estate, total, rng)
    t = time.time() + lead

    def remove(item):
        account, ids = item
        ec2 = ec2_in(port, account)
        for k in range(0, len(ids), 500):
            ec2.delete_tags(Resources=ids[k:k + 500], Tags=[{"Key": "map-migrated"}])
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(remove, estate.items()))
    sqs = boto3.client("sqs", **base(port))

    def send(k):
        chunk = out[k:k + 10]
        delay = int(t - time.time()) + 1
        if t - time.time() < 1:
            raise SystemExit("the burst took longer to send than its lead: raise it")
        r = sqs.send_message_batch(QueueUrl=data["queue"], Entries=[
            {"Id": str(j), "MessageBody": b, "DelaySeconds": min(delay, 900)} for j, b in enumerate(chunk)])
        if r.get("Failed"):
            raise SystemExit(f"not sent: {r['Failed']}")
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(send, range(0, len(out), 10)))
    named = sum(len(json.loads(b)["detail"]["requestParameters"]["resourcesSet"]["items"]) for b in out)
    print(f"{t:.3f} {len(out)} {len(set(out))} {named}")


def queued(sqs, url):
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return sum(int(a.get(k, 0)) for k in ("ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible",
                                          "ApproximateNumberOfMessagesDelayed"))


def watch(port, d, t, proxy_pid, daemon_pid, limit):
    """From T: poll the emulator every 0.5 s until every instance holds the
    MAP tag again and the queue is empty. At T, the proxy prints its counts
    so far (SIGUSR1) and the daemon's peak RSS is reset."""
    data = load(d)
    clients = {a: ec2_in(port, a) for a in data["accounts"]}
    want = {a: set(ids) for a, ids in data["accounts"].items()}
    total = sum(len(v) for v in want.values())
    sqs = boto3.client("sqs", **base(port))
    while time.time() < t:
        time.sleep(min(0.05, max(0.0, t - time.time())))
    os.kill(proxy_pid, signal.SIGUSR1)
    with open(f"/proc/{daemon_pid}/clear_refs", "w") as f:
        f.write("5")

    def tagged(a):
        n = 0
        for page in clients[a].get_paginator("describe_tags").paginate(Filters=[
                {"Name": "key", "Values": ["map-migrated"]}, {"Name": "resource-type", "Values": ["instance"]}]):
            n += sum(1 for x in page["Tags"] if x["Value"] == OURS and x["ResourceId"] in want[a])
        return n
    restored_at = empty_at = None
    last = (0, -1)
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        while True:
            tick = time.time()
            if restored_at is None:
                n = sum(pool.map(tagged, want))
                if n == total:
                    restored_at = time.time() - t
            left = queued(sqs, data["queue"])
            if left == 0 and restored_at is not None:
                empty_at = time.time() - t
                break
            if (n, left) != last and tick - t > 0:
                print(f"  {tick - t:6.1f} s: {n}/{total} tagged, {left} messages left", file=sys.stderr, flush=True)
                last = (n, left)
            if tick - t > limit:
                print(json.dumps({"timeout": True, "tagged": n, "total": total, "queued": left}))
                return
            time.sleep(max(0.0, 0.5 - (time.time() - tick)))
    print(json.dumps({"timeout": False, "tagged": total, "total": total, "restored_s": round(restored_at, 2),
                      "empty_s": round(empty_at, 2)}))


def metrics(path):
    out = {}
    for line in open(path):
        if line.startswith("tagwarden_") and " " in line:
            k, v = line.rsplit(" ", 1)
            out[k] = float(v)
    return out


def series(m, name, label):
    """`name`'s series summed by one label."""
    out = {}
    for k, v in m.items():
        if k.startswith(name + "{") and f'{label}="' in k:
            key = k.split(f'{label}="', 1)[1].split('"', 1)[0]
            out[key] = out.get(key, 0) + int(v)
    return dict(sorted(out.items()))


def proxy_lines(path):
    return [json.loads(l) for l in open(path) if l.startswith("{")]


def bursts(path):
    """The daemon's "burst handled" lines: how many, and their messages."""
    sizes = [int(l.split(" messages=", 1)[1].split()[0]) for l in open(path) if "burst handled" in l]
    return {"bursts": len(sizes), "median_messages": sorted(sizes)[len(sizes) // 2] if sizes else 0,
            "max_messages": max(sizes, default=0)}


def stamp(s):
    return datetime.datetime.fromisoformat(s.replace("Z", "+00:00"))


def report(d, args):
    """The summary and the JSON line."""
    a = json.loads(args)
    watched = json.loads(a["watched"])
    lines = proxy_lines(a["proxy_out"])
    at_t, end = lines[0], lines[-1]
    during = {k: end[k] - at_t.get(k, 0) for k in end if end[k] - at_t.get(k, 0)}
    m_start, m_end = metrics(f"{d}/metrics-cycle"), metrics(f"{d}/metrics-end")
    history = json.load(open(f"{d}/history.json"))
    restores = sorted((r for r in history if r["kind"] == "restore"), key=lambda r: r["finished_at"])
    applied = {}
    states = {}
    written = []  # per restore run, the instances it wrote
    for r in restores:
        written.append(set())
        for e in json.load(open(f"{d}/run-{r['id']}.json")):
            states[e["state"]] = states.get(e["state"], 0) + 1
            if e["state"] == "applied":
                applied[(e["arn"], e["key"])] = applied.get((e["arn"], e["key"]), 0) + 1
                written[-1].add(e["arn"])
    # A drift row is recorded just after its burst's restore run: a
    # `restored` row whose instance that run did not write says more than
    # the journal does.
    finished = [stamp(r["finished_at"]) for r in restores]
    drift = json.load(open(f"{d}/drift.json"))["removals"]
    drift_outcomes = {}
    unwritten = 0
    for row in drift:
        drift_outcomes[row["outcome"]] = drift_outcomes.get(row["outcome"], 0) + 1
        if row["outcome"] == "restored":
            i = bisect.bisect_right(finished, stamp(row["seen_at"])) - 1
            unwritten += i < 0 or row["arn"] not in written[i]
    events_by_outcome = series(m_end, "tagwarden_events_total", "outcome")
    removals = series(m_end, "tagwarden_tag_removals_total", "outcome")
    figures = {
        "accounts": a["accounts"], "instances": watched["total"], "events": a["events"],
        "distinct_events": a["distinct"], "instances_named": a["named"], "latency_ms": a["latency"],
        "profile": a["profile"], "timeout": watched["timeout"],
        "restored_s": watched.get("restored_s"), "queue_empty_s": watched.get("empty_s"),
        "tagged_at_end": watched["tagged"],
        "requests": dict(sorted(during.items())), "requests_total": sum(during.values()),
        "peak_rss_kib": a["hwm_restore"], **bursts(f"{d}/daemon.log"), "first_cycle": {
            "seconds": m_start.get("tagwarden_cycle_duration_seconds_sum"),
            "result": series(m_start, "tagwarden_cycles_total", "result"),
            "changes_applied": int(sum(v for k, v in m_start.items() if k.startswith("tagwarden_changes_applied_total"))),
            "requests_to_t": sum(at_t.values()), "peak_rss_kib": a["hwm_cycle"]},
        "events_total": events_by_outcome, "tag_removals_total": removals,
        "restore_runs": len(restores), "restore_runs_applied": sum(r["applied"] or 0 for r in restores),
        "journal_states": dict(sorted(states.items())), "keys_applied": len(applied),
        "keys_applied_twice_or_more": sum(1 for v in applied.values() if v > 1),
        "drift_rows": dict(sorted(drift_outcomes.items())), "drift_restored_not_written": unwritten,
    }
    f = figures
    if f["timeout"]:
        print(f"NOT restored within {a['timeout']} s: {f['tagged_at_end']}/{f['instances']} instances tagged")
    else:
        print(f"restored {f['instances']} instances in {f['restored_s']:.1f} s, queue empty at {f['queue_empty_s']:.1f} s "
              f"({f['events']} events, {f['distinct_events']} distinct, naming instances {f['instances_named']} times, "
              f"{f['accounts']} accounts, {f['latency_ms']} ms a request, {f['profile']} build)")
    print(f"  {f['requests_total']} requests: " + ", ".join(f"{k} {v}" for k, v in f["requests"].items()))
    print(f"  {f['bursts']} bursts (median {f['median_messages']} messages, at most {f['max_messages']}); "
          f"peak RSS {f['peak_rss_kib'] / 1024:.1f} MiB")
    c = f["first_cycle"]
    print(f"  first cycle (before T): {c['seconds']:.1f} s, {c['changes_applied']} changes, "
          f"peak RSS {c['peak_rss_kib'] / 1024:.1f} MiB, {c['requests_to_t']} requests up to T")
    print("  events_total: " + ", ".join(f"{k} {v}" for k, v in events_by_outcome.items()))
    print("  tag_removals_total: " + ", ".join(f"{k} {v}" for k, v in removals.items()))
    print(f"  journal: {f['restore_runs']} restore runs, {f['restore_runs_applied']} applied, "
          f"{f['keys_applied']} instance+key applied, {f['keys_applied_twice_or_more']} of them more than once")
    print("  drift: " + ", ".join(f"{k} {v}" for k, v in f["drift_rows"].items())
          + f"; {f['drift_restored_not_written']} restored rows name an instance their burst's run did not write")
    print(json.dumps(figures))


if __name__ == "__main__":
    cmd, rest = sys.argv[1], sys.argv[2:]
    if cmd == "seed":
        seed(rest[0], rest[1], int(rest[2]), int(rest[3]))
    elif cmd == "burst":
        burst(rest[0], rest[1], int(rest[2]), float(rest[3]))
    elif cmd == "watch":
        watch(rest[0], rest[1], float(rest[2]), int(rest[3]), int(rest[4]), float(rest[5]))
    else:
        report(rest[0], rest[1])
PY
per=$((resources / accounts))
if [ "$per" -lt 1 ]; then echo "RESOURCES must be at least ACCOUNTS" >&2; exit 2; fi
echo "seeding $accounts accounts x $per instances …" >&2
queue=$(py seed "$port" "$dir" "$accounts" "$per")
listen=$(free_port)
{ echo "policies: [$PWD/policies/map-migrated.yaml]"
  echo "regions: [us-east-1]"
  echo "accounts:"
  echo "  role: tagwarden"
  echo "  list:"
  for a in $(seq 0 $((accounts - 1))); do echo "    - {id: \"$((100000000000 + a))\"}"; done
  echo "store: $dir/state.db"
  if [ -n "${MAX_CHANGES:-}" ]; then echo "limits: {max_changes_per_run: $MAX_CHANGES}"; fi
  echo "daemon:"
  echo "  interval: 1h"
  echo "  mode: enforce"
  echo "  listen: \"127.0.0.1:$listen\""
  echo "  events: {queues: [\"$queue\"]}"
} >"$dir/config.yaml"
p=$(free_port)
proxy "$dir" delay "$p" "$port" "$latency"
proxy_pid=${pids[-1]}
AWS_ENDPOINT_URL="http://127.0.0.1:$p" "$exe" run -c "$dir/config.yaml" >"$dir/daemon.log" 2>&1 &
daemon=$!
metric_lines() { curl -s "http://127.0.0.1:$listen/metrics"; }
cycles() {
  metric_lines 2>/dev/null | awk '$1 ~ /^tagwarden_cycles_total\{/ { n += $2 } END { print n + 0 }'
}
echo "the daemon's first cycle …" >&2
until [ "$(cycles)" -ge 1 ]; do
  kill -0 "$daemon" 2>/dev/null || { cat "$dir/daemon.log" >&2; exit 1; }
  sleep 0.5
done
metric_lines >"$dir/metrics-cycle"
hwm() { awk '/^VmHWM/ { print $2 }' "/proc/$daemon/status"; }
hwm_cycle=$(hwm)
# The lead: long enough to remove the tags and send every message first.
lead=$((10 + events / 500))
echo "removing the MAP tag from every instance, sending $events events (visible in $lead s) …" >&2
read -r t sent distinct named < <(py burst "$port" "$dir" "$events" "$lead")
echo "waiting for the restore …" >&2
watched=$(py watch "$port" "$dir" "$t" "$proxy_pid" "$daemon" "$timeout")
hwm_restore=$(hwm)
metric_lines >"$dir/metrics-end"
kill -TERM "$daemon"; wait "$daemon" 2>/dev/null || true
daemon=
kill -TERM "$proxy_pid"; wait "$proxy_pid" 2>/dev/null || true
"$exe" history -c "$dir/config.yaml" --limit 100000 --format json >"$dir/history.json"
for id in $(.venv/bin/python -c 'import json, sys; print(" ".join(r["id"] for r in json.load(open(sys.argv[1])) if r["kind"] == "restore"))' "$dir/history.json"); do
  "$exe" history -c "$dir/config.yaml" "$id" --format json >"$dir/run-$id.json"
done
"$exe" drift -c "$dir/config.yaml" --format json >"$dir/drift.json"
.venv/bin/python - "$accounts" "$sent" "$distinct" "$named" "$latency" "$profile" "$watched" "$dir/proxy-$p.out" \
  "$hwm_cycle" "$hwm_restore" "$timeout" >"$dir/args.json" <<'PY'
import json, sys
k = ["accounts", "events", "distinct", "named", "latency", "profile", "watched", "proxy_out", "hwm_cycle", "hwm_restore", "timeout"]
v = dict(zip(k, sys.argv[1:]))
for n in ("accounts", "events", "distinct", "named", "latency", "hwm_cycle", "hwm_restore", "timeout"):
    v[n] = int(v[n])
print(json.dumps(v))
PY
py report "$dir" "$(cat "$dir/args.json")"
