#!/usr/bin/env bash
# The demo: start a local AWS emulator, seed a small multi-account estate
# (two accounts, two regions, EC2, RDS, S3; some resources never tagged, some
# with wrong-case keys or bad MAP values) and audit it with the shipped policies.
# Extra arguments go to `tagwarden audit` (e.g. --format markdown).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-emulator.sh
cargo build --quiet --bin tagwarden --example demo_estate

. scripts/emulator.sh
log=$(mktemp)
start_moto "$log"
trap 'kill $moto 2>/dev/null; rm -f "$log"' EXIT

# The emulator accepts any credentials; these never leave this machine.
export AWS_ACCESS_KEY_ID=demo AWS_SECRET_ACCESS_KEY=demo AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_EC2_METADATA_DISABLED=true
target=${CARGO_TARGET_DIR:-target}
"$target/debug/examples/demo_estate"
echo
set +e
"$target/debug/tagwarden" audit -c demo/tagwarden.yaml "$@"
code=$?
set -e
echo
case $code in
  1) echo "Exit code 1: non-compliant resources found, as seeded in the demo estate." ;;
  0) echo "Exit code 0: everything in scope is compliant." ;;
  *) echo "Exit code $code."; exit $code ;;
esac
