#!/usr/bin/env bash
# The tim-server benchmark (docs/benchmarks.md): builds the release server and load generator,
# then measures on loopback
#   1. logins per second, a new TCP connection and WebSocket upgrade for every login, and
#   2. the server's resident memory per idle logged-in session,
# and prints a table against the aims. The JSON of each run is kept in target/bench/.
#
# Environment: DURATION (seconds measured, default 10), CONCURRENCY (default 64),
# SESSIONS (idle sessions, default 10000). Extra arguments go to both tim-loadgen runs.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-64}
SESSIONS=${SESSIONS:-10000}
out=target/bench
mkdir -p "$out"

echo "== building (release)" >&2
cargo build --release --locked -p tim-server -p tim-loadgen >&2
loadgen=target/release/tim-loadgen

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')" >&2
echo "== logins: ${DURATION}s, ${CONCURRENCY} workers, distinct users" >&2
"$loadgen" logins --duration "$DURATION" --concurrency "$CONCURRENCY" --json "$@" >"$out/logins.json"
echo "== logins: ${DURATION}s, ${CONCURRENCY} workers, same user" >&2
"$loadgen" logins --duration "$DURATION" --concurrency "$CONCURRENCY" --same-user --json "$@" >"$out/logins-same-user.json"
echo "== idle: ${SESSIONS} sessions" >&2
"$loadgen" idle --sessions "$SESSIONS" --json "$@" >"$out/idle.json"

# One number from a pretty-printed JSON file: the first "key": value.
field() { sed -n "s/^ *\"$2\": \([-0-9.e]*\),\{0,1\}$/\1/p" "$1" | head -n1; }
errors() {
  local e
  e=$(tr -d '\n ' <"$1" | sed -n 's/.*"errors":{\([^}]*\)}.*/\1/p')
  echo "${e:-none}"
}
verdict() { awk -v v="$1" -v aim="$2" -v dir="$3" 'BEGIN {
  if (v == "") { print "n/a"; exit }
  ok = (dir == "min") ? (v + 0 >= aim + 0) : (v + 0 <= aim + 0)
  print (ok ? "met" : "NOT met") }'; }

printf '\n| measurement | result | aim | |\n|---|---|---|---|\n'
for run in logins logins-same-user; do
  f="$out/$run.json"
  rate=$(field "$f" logins_per_sec)
  printf '| logins/s (%s) | %.0f (p50 %s ms, p99 %s ms, max %s ms; errors: %s) | 20000 | %s |\n' \
    "$(sed -n 's/^ *"mode": "\(.*\)",$/\1/p' "$f")" "$rate" \
    "$(field "$f" p50)" "$(field "$f" p99)" "$(field "$f" max)" "$(errors "$f")" \
    "$(verdict "$rate" 20000 min)"
done
per=$(field "$out/idle.json" kib_per_session)
printf '| KiB per idle session (%s sessions) | %.2f (RSS %s -> %s KiB) | <= 16 | %s |\n' \
  "$(field "$out/idle.json" sessions)" "$per" \
  "$(field "$out/idle.json" baseline)" "$(field "$out/idle.json" open)" "$(verdict "$per" 16 max)"
printf '\nCPU during the logins runs, in cores of %s: server / load generator / whole machine busy\n' "$(nproc)"
for run in logins logins-same-user; do
  f="$out/$run.json"
  printf '  %-18s %.2f / %.2f / %.2f (server CPU per login: %.1f us)\n' "$run" \
    "$(field "$f" server_cpu_cores)" "$(field "$f" loadgen_cpu_cores)" "$(field "$f" machine_busy_cores)" \
    "$(field "$f" server_cpu_us_per_login)"
done
echo "A whole-machine figure well above server + load generator means something else ran: rerun on a quiet machine."
