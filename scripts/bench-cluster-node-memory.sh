#!/usr/bin/env bash
# A cluster node's memory per distinct user of the day (docs/benchmarks.md, "tim-server as a
# cluster"): starts a redis-server and one tim-server node on free loopback ports, warms the node
# up with 3 s of logins, reads its RSS, runs DURATION seconds of logins of users never seen before
# (each connection closed once its login is answered), waits for the last batch of figures and
# reads the RSS again. Prints both, the users of the measured run, Redis's count of the day's users
# (with the warm-up's) and the growth per user of the run.
#
# Environment: SERVER (the tim-server binary, default target/release/tim-server), LOADGEN (the
# tim-loadgen binary, default target/release/tim-loadgen), DURATION (default 150).
set -euo pipefail
cd "$(dirname "$0")/.."

SERVER=${SERVER:-target/release/tim-server}
LOADGEN=${LOADGEN:-target/release/tim-loadgen}
DURATION=${DURATION:-150}
KEY=5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
redis_port=$(free_port)
server_port=$(free_port)
dir=$(mktemp -d)
redis-server --port "$redis_port" --save '' --appendonly no --dir "$dir" >/dev/null &
redis_pid=$!
server_pid=
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null
  kill "$redis_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$dir"
}
trap cleanup EXIT
until redis-cli -p "$redis_port" ping >/dev/null 2>&1; do sleep 0.1; done
"$SERVER" --listen "127.0.0.1:$server_port" --app "1400000000:$KEY" \
  --redis "redis://127.0.0.1:$redis_port" --redis-ephemeral --node-id m \
  --heartbeat-timeout 3600 >"$dir/server.log" 2>&1 &
server_pid=$!
until grep -q listening "$dir/server.log" 2>/dev/null; do sleep 0.1; done
rss() { awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status"; }
url="ws://127.0.0.1:$server_port"
"$LOADGEN" --url "$url" logins --duration 3 --warmup 0 --fresh-users --json >/dev/null
sleep 2
before=$(rss)
"$LOADGEN" --url "$url" logins --duration "$DURATION" --warmup 0 --fresh-users --json >"$dir/run.json"
sleep 3 # the node's last batch of figures (one a second) and the closes
after=$(rss)
logins=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["ok"])' "$dir/run.json")
in_redis=$(redis-cli -p "$redis_port" --raw eval \
  "local n = 0 for _, k in ipairs(redis.call('KEYS', 'tim:d:*:u')) do n = n + redis.call('SCARD', k) end return n" 0)
echo "rss_before_kib=$before rss_after_kib=$after users=$logins users_in_redis=$in_redis bytes_per_user=$(( (after - before) * 1024 / logins ))"
