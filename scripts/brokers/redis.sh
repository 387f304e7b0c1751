#!/usr/bin/env bash
# A Redis server on loopback, without persistence, for the stream tests and benches.
#
#   redis.sh start DIR PORT   installs Debian's redis-server with apt-get when it is missing, starts it on
#                             127.0.0.1:PORT (no RDB, no AOF), waits until it answers; DIR/pid holds its pid
#   redis.sh stop DIR         stops it and removes DIR
set -euo pipefail
# shellcheck source=process.sh
. "$(dirname "$0")/process.sh"
START_TIMEOUT_S=20

install() {
  command -v redis-server >/dev/null && return 0
  echo "redis.sh: redis-server is missing, installing Debian's package" >&2
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo -n)
  (
    flock 9
    command -v redis-server >/dev/null && exit 0
    "${sudo[@]}" apt-get install -y -q redis-server >&2 ||
      { "${sudo[@]}" apt-get update -q >&2 && "${sudo[@]}" apt-get install -y -q redis-server >&2; }
  ) 9>/tmp/graphserve-redis-install.lock
}

start() {
  local dir="$1" port="$2"
  install
  rm -rf "$dir"
  mkdir -p "$dir"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/pid" --logfile "$dir/redis.log"
  for _ in $(seq 1 $((START_TIMEOUT_S * 10))); do
    if [ -s "$dir/pid" ] && (echo >"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "redis.sh: redis-server did not listen on $port within ${START_TIMEOUT_S} s" >&2
  tail -20 "$dir/redis.log" >&2 || true
  stop "$dir"
  exit 1
}

stop() {
  stop_broker "$1" 5
}

case "${1:-}" in
  start) start "$2" "$3" ;;
  stop) stop "$2" ;;
  *)
    echo "usage: redis.sh start DIR PORT | stop DIR" >&2
    exit 2
    ;;
esac
