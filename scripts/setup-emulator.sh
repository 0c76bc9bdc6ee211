#!/usr/bin/env bash
# Creates .venv with the local AWS emulator (moto server) that the demo and
# the integration tests use. Idempotent: does nothing when it is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION=5.2.5
if [ -x .venv/bin/moto_server ] && .venv/bin/python -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  exit 0
fi
command -v python3 >/dev/null || { echo "error: python3 is needed for the AWS emulator (moto)" >&2; exit 1; }
echo "Installing moto[server]==$MOTO_VERSION into .venv …" >&2
python3 -m venv .venv
.venv/bin/pip install --quiet "moto[server]==$MOTO_VERSION"
