#!/usr/bin/env bash
# The cluster benchmark (docs/benchmarks.md, "tim-server as a cluster"): builds the release server
# and load generator, then in one run on this machine measures side by side the memory registry,
# 1 node + Redis and 2 nodes + Redis (a redis-server started on a free loopback port):
# logins/s with a new connection each, server and Redis CPU per login, Redis commands per login,
# Redis memory per online session, and cross-node kick latency. Prints a table against the aims;
# the JSON is kept in target/bench/cluster.json.
#
# Environment: DURATION (seconds measured per setup, default 10), CONCURRENCY (default 64),
# SESSIONS (online sessions for the memory reading, default 10000), KICKS (default 3000).
# Extra arguments go to tim-loadgen.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONCURRENCY=${CONCURRENCY:-64}
SESSIONS=${SESSIONS:-10000}
KICKS=${KICKS:-3000}
out=target/bench
mkdir -p "$out"

command -v redis-server >/dev/null || { echo "redis-server is needed (apt-get install redis-server)" >&2; exit 1; }
echo "== building (release)" >&2
cargo build --release --locked -p tim-server -p tim-loadgen >&2

echo "== machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(redis-server --version | cut -d' ' -f1-3)" >&2
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
target/release/tim-loadgen cluster --duration "$DURATION" --concurrency "$CONCURRENCY" \
  --sessions "$SESSIONS" --kicks "$KICKS" --json "$@" >"$out/cluster.json"

python3 - "$out/cluster.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
rows = r["logins"]
base = rows[0]["logins_per_sec"]
fmt = lambda v, d=0: "-" if v is None else f"{v:,.{d}f}"
# CPU per login of the load generator, and of everything else the machine ran meanwhile (other
# processes, interrupts): a large "other" means the run was disturbed and its rates are not comparable.
def per_login(row, cores):
    return None if cores is None or not row["ok"] else cores * row["seconds"] * 1e6 / row["ok"]
print("\n| | logins/s | vs memory | p50 / p99 ms | server CPU/login | Redis CPU/login | load generator CPU/login | other CPU/login | errors |")
print("|---|---|---|---|---|---|---|---|---|")
for row in rows:
    l = row["latency_ms"]
    loadgen = per_login(row, row["loadgen_cpu_cores"])
    busy = per_login(row, row["machine_busy_cores"])
    own = (row["server_cpu_us_per_login"] or 0) + (row["redis_cpu_us_per_login"] or 0) + (loadgen or 0)
    other = None if busy is None else busy - own
    print(f"| {row['setup']} | {fmt(row['logins_per_sec'])} | {row['logins_per_sec'] / base:.1%} "
          f"| {l['p50']:.2f} / {l['p99']:.2f} | {fmt(row['server_cpu_us_per_login'], 1)} µs "
          f"| {fmt(row['redis_cpu_us_per_login'], 1)} µs | {fmt(loadgen, 1)} µs | {fmt(other, 1)} µs "
          f"| {row['errors'] or 'none'} |")
for row in rows[1:]:
    calls = ", ".join(f"{c} {n:.2f}" for c, n in row["redis_calls_per_login"].items() if n >= 0.01)
    print(f"\nRedis commands per login ({row['setup']}, scripts' own calls included): {calls}")
m, k = r["redis_memory"], r["kick_latency"]
worst = min(row["logins_per_sec"] for row in rows[1:]) / base
verdict = lambda ok: "met" if ok else "NOT met"
print("\n| aim | result | |\n|---|---|---|")
print(f"| cluster logins/s >= 60% of the memory registry's | {worst:.1%} (the lower of 1 and 2 nodes) | {verdict(worst >= 0.6)} |")
print(f"| Redis memory per online session <= 300 B | {m['bytes_per_online_session']:.0f} B "
      f"({m['sessions']} sessions: session {m['bytes_per_session']:.0f} B + account {m['bytes_per_account']:.0f} B) "
      f"| {verdict(m['bytes_per_online_session'] <= 300)} |")
lk = k["latency_ms"]
print(f"| cross-node kick p99 < 5 ms | p50 {lk['p50']:.2f} ms, p99 {lk['p99']:.2f} ms, max {lk['max']:.2f} ms "
      f"({k['received']} of {k['kicks']} received) | {verdict(lk['p99'] < 5 and k['received'] == k['kicks'])} |")
PY
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
