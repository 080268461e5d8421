#!/usr/bin/env bash
# The demo: builds the server and the signing CLI, starts tim-server on a free loopback port,
# signs tickets with tim-usersig and a development key, and walks through a login story with a
# raw protocol client, printing a timeline of calls, answers and pushes.
set -euo pipefail
cd "$(dirname "$0")/.."

APP=1400000000
KEY=demo-development-key-never-use-in-production

echo "== building (first run: a few minutes)"
cargo build --quiet --locked -p tim-server -p tim-usersig --bins
cargo build --quiet --locked -p tim-loadgen --example demo
bin=target/debug

log=$(mktemp)
# The server's stdout is a pipe: its first line says where it listens.
exec 3< <(exec "$bin/tim-server" --listen 127.0.0.1:0 --app "$APP:$KEY" 2>"$log")
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
if ! read -r line <&3; then
  cat "$log"
  exit 1
fi
url=${line#listening on }
echo "== tim-server listening on $url"

alice=$("$bin/tim-usersig" gen --sdkappid "$APP" --key "$KEY" --user alice --expire 86400)
forged=$("$bin/tim-usersig" gen --sdkappid "$APP" --key guessed-key --user alice)
short=$("$bin/tim-usersig" gen --sdkappid "$APP" --key "$KEY" --user bob --expire 1)
echo "== tickets signed with tim-usersig; verifying alice's: $("$bin/tim-usersig" verify --sdkappid "$APP" --key "$KEY" --user alice -- "$alice")"
echo
target/debug/examples/demo "$url" "$APP" "$alice" "$forged" "$short"
echo
echo "== server metrics"
curl -fsS "http://${url#ws://}/metrics" 2>/dev/null | grep -E '^tim_(logins_total|kicks_total|usersig_expired_total|sessions_online)' || true
