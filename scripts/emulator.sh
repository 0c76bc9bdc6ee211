# Sourced by the demo and the benchmarks (after scripts/setup-emulator.sh):
# their build, a free loopback port, and the emulator started on one and
# waited for.

# build CARGO_ARGS...: cargo build in $PROFILE (debug unless `release`);
# sets $profile and $target, the directory the binaries are in.
build() {
  local flag=
  profile=${PROFILE:-debug}
  if [ "$profile" = release ]; then flag=--release; fi
  cargo build --quiet $flag "$@"
  # shellcheck disable=SC2034 # read by the scripts that source this file
  target=${CARGO_TARGET_DIR:-target}/$profile
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start_moto [LOG]: moto on a free port; sets $port and $moto (its pid).
# The caller stops it (trap 'kill $moto' EXIT).
start_moto() {
  port=$(free_port)
  .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"${1:-/dev/null}" 2>&1 &
  moto=$!
  for _ in $(seq 1 100); do
    python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/')" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "the emulator did not start on port $port" >&2
  return 1
}

# start_emulator DIR: moto with the Resource Explorer and MGN stand-ins
# (tests/it/support/emulator.py) on free ports; sets $emulator (its pid),
# $moto_port, $explorer_port and $mgn_port. The caller stops it.
start_emulator() {
  .venv/bin/python tests/it/support/emulator.py >"$1/ports" 2>"$1/emulator.log" &
  emulator=$!
  for _ in $(seq 1 300); do [ -s "$1/ports" ] && break; sleep 0.1; done
  if [ ! -s "$1/ports" ]; then
    echo "the emulator did not start: $(cat "$1/emulator.log")" >&2
    return 1
  fi
  read -r moto_port explorer_port mgn_port < <(.venv/bin/python -c \
    'import json, sys; p = json.load(open(sys.argv[1])); print(p["moto"], p["resource_explorer"], p["mgn"])' "$1/ports")
}

# proxy DIR MODE PORT TARGET_OR_FILE [LATENCY]: scripts/replay-proxy.py
# (record, replay or delay) on PORT, waited for; its pid appended to $pids,
# its output in DIR/proxy-PORT.out.
proxy() {
  local dir=$1
  shift
  python3 scripts/replay-proxy.py "$@" >"$dir/proxy-$2.out" &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q ready "$dir/proxy-$2.out" 2>/dev/null && return; sleep 0.1; done
}
