# Sourced by kafka.sh and redis.sh: stopping a broker started with a pid file in its folder.

# stop_broker DIR GRACE_S: SIGTERM to the pid in DIR/pid, SIGKILL if it still runs after GRACE_S, then DIR removed.
stop_broker() {
  local dir="$1" grace_s="$2"
  if [ -s "$dir/pid" ]; then
    local pid
    pid="$(cat "$dir/pid")"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 $((grace_s * 4))); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.25
    done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -rf "$dir"
}
