#!/usr/bin/env bash
# The demo: builds what it needs (the server and signing CLI, the TypeScript package and its Node
# addon), then tells the login story through the public JavaScript API on Node against a
# tim-server on a free loopback port (scripts/demo.mjs), printing a timeline of calls, results
# and events. Needs Rust (rustup), Node.js >= 20.19.4 and npm; nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== building (the first run takes a few minutes)"
[ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error
cargo build --quiet --locked -p tim-server -p tim-usersig
npx tsc -p tsconfig.build.json
bash rust/node/build.sh --out lib/tim_node.node >/dev/null
echo
node scripts/demo.mjs
