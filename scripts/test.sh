#!/usr/bin/env bash
# The whole test suite: unit, snapshot and emulator-backed integration tests.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-emulator.sh
cargo test --workspace "$@"
