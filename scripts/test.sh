#!/usr/bin/env bash
# The whole test suite: unit, snapshot and emulator-backed integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-emulator.sh
scripts/setup-tools.sh
log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
# test-hooks: the crash and pause hooks the integration tests drive (never
# in a release build).
cargo test --workspace --features tagwarden/test-hooks "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One closing line over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
