#!/usr/bin/env bash
# The tools the deploy/ and report tests use, installed when absent:
# kubernetes-validate and cfn-lint into .venv (PyPI); systemd-analyze, kubectl,
# promtool and a headless browser from Debian's packages (systemd,
# kubernetes-client, prometheus, chromium). Idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
KUBERNETES_VALIDATE_VERSION=1.37.0
CFN_LINT_VERSION=1.58.0

[ -x .venv/bin/python ] || scripts/setup-emulator.sh
want=()
.venv/bin/python -c "import kubernetes_validate" 2>/dev/null || want+=("kubernetes-validate==$KUBERNETES_VALIDATE_VERSION")
[ -x .venv/bin/cfn-lint ] || want+=("cfn-lint==$CFN_LINT_VERSION")
if [ ${#want[@]} -gt 0 ]; then
  echo "Installing ${want[*]} into .venv …" >&2
  .venv/bin/pip install --quiet "${want[@]}"
fi

packages=()
command -v systemd-analyze >/dev/null || packages+=(systemd)
command -v kubectl >/dev/null || packages+=(kubernetes-client)
command -v promtool >/dev/null || packages+=(prometheus)
[ -x /usr/bin/chromium ] || packages+=(chromium)
if [ ${#packages[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  if ! command -v apt-get >/dev/null; then
    echo "error: ${packages[*]} needed by the tests; install them with your package manager" >&2
    exit 1
  fi
  echo "Installing ${packages[*]} (Debian packages) …" >&2
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null 2>&1 \
    || { $sudo apt-get update >/dev/null && $sudo apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null; }
fi
