# Sourced by the demo and the benchmarks (after scripts/setup-emulator.sh):
# a free loopback port, and the emulator started on one and waited for.

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
