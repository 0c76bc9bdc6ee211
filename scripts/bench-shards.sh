#!/usr/bin/env bash
# Shard balance: 1,000 account ids over 3, 5 and 8 shards (no AWS needed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --quiet -p tagwarden-core --bench shards
