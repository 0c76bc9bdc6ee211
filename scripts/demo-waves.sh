#!/usr/bin/env bash
# The waves demo: a local AWS emulator with AWS Application Migration Service
# (the test suite's MGN stand-in), two accounts whose wave-3 is about to cut
# over, and what a migration team runs the week before: `waves`, then
# `audit --wave wave-3` and `plan --wave wave-3`. Extra arguments go to each
# (e.g. --format markdown).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-emulator.sh
cargo build --quiet --bin tagwarden
. scripts/emulator.sh
dir=$(mktemp -d)
emulator=
trap 'kill $emulator 2>/dev/null; rm -rf "$dir"' EXIT
start_emulator "$dir"
# The emulator accepts any credentials; these never leave this machine.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_ENDPOINT_URL_MGN="http://127.0.0.1:$mgn_port"
.venv/bin/python - <<'PY'
import json, os, urllib.request, boto3

def ec2_of(account):
    sts = boto3.client("sts", region_name="us-east-1")
    c = sts.assume_role(RoleArn=f"arn:aws:iam::{account}:role/demo", RoleSessionName="demo")["Credentials"]
    return boto3.client("ec2", region_name="us-east-1", aws_access_key_id=c["AccessKeyId"], aws_secret_access_key=c["SecretAccessKey"],
                        aws_session_token=c["SessionToken"])

def launch(account, tags):
    spec = [{"ResourceType": t, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
            for t in ("instance", "volume")] if tags else []
    out = ec2_of(account).run_instances(ImageId="ami-12c6146b", InstanceType="m5.large", MinCount=1,
                                        MaxCount=1, TagSpecifications=spec)
    return out["Instances"][0]["InstanceId"]

def seed(account, body):
    body.update(account=account, region="us-east-1")
    url = os.environ["AWS_ENDPOINT_URL_MGN"] + "/_control/seed"
    urllib.request.urlopen(urllib.request.Request(url, json.dumps(body).encode(), method="POST")).read()

ours = {"enableMapAutoTagging": True, "mapAutoTaggingMpeID": "migABCDE12345"}
seed("111111111111", {
    "waves": [{"name": "wave-2"}, {"name": "wave-3"}],
    "applications": [{"name": "billing", "wave": "wave-2"}, {"name": "erp", "wave": "wave-3"}],
    "servers": [
        {"hostname": "billing-db", "application": "billing", "state": "CUTOVER",
         "launched_instance": launch("111111111111", {"Name": "billing-db"}), "launch": ours},
        {"hostname": "erp-app-1", "application": "erp", "state": "READY_FOR_CUTOVER", "launch": ours},
        {"hostname": "erp-app-2", "application": "erp", "state": "READY_FOR_CUTOVER"},
        {"hostname": "erp-db", "application": "erp", "state": "TESTING",
         "launch": {"enableMapAutoTagging": True, "mapAutoTaggingMpeID": "ABCDE12345"}},
        {"hostname": "erp-batch", "application": "erp", "state": "READY_FOR_TEST",
         "launched_instance": launch("111111111111", {}), "launch": ours},
    ],
})
seed("222222222222", {
    "waves": [{"name": "wave-3"}],
    "applications": [{"name": "web", "wave": "wave-3"}],
    "servers": [{"hostname": "web-1", "application": "web", "state": "READY_FOR_CUTOVER", "launch": ours,
                 "launched_instance": launch("222222222222", {"map-migrated": "migABCDE12345"})}],
})
PY
tagwarden=${CARGO_TARGET_DIR:-target}/debug/tagwarden
status=0
for command in "waves" "audit --wave wave-3" "plan --wave wave-3"; do
  echo "\$ tagwarden $command"
  set +e
  # shellcheck disable=SC2086
  "$tagwarden" -q -c demo/waves.yaml $command "$@"
  code=$?
  set -e
  echo "(exit $code)"
  echo
  [ "$code" -gt 1 ] && status=$code
done
exit $status
