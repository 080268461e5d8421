#!/usr/bin/env bash
# The project's tests, as CI runs them. Installs what it needs on a fresh machine of this
# project's kind (Rust by rustup, Node.js and npm, Java 17 and Maven, Python 3, apt): the npm,
# PyPI and Maven Central packages each suite pins, and Debian's clang for the mobile compile
# checks. Every suite talks to a real tim-server on 127.0.0.1:0.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }
started=$SECONDS

step "toolchain"
cargo --version
node --version
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done

step "Debian packages: redis-server, redis-tools, haproxy (Redis and the balancer of the cluster tests)"
missing=()
for package in redis-server redis-tools haproxy; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  as_root=()
  if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then as_root=(sudo); fi
  "${as_root[@]}" apt-get update -qq
  "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi
redis-server --version

step "Rust: cargo fmt --check, clippy -D warnings"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --locked -- -D warnings

step "Rust: cargo test (server, core, bridge, protocol, tickets, test helpers)"
cargo test --workspace --locked

step "Cluster: SDK clients through HAProxy in front of 3 nodes on Redis; one node SIGKILLed"
# Its clients must come back through the balancer to the others, each once, with no kick, and
# Redis must then hold exactly the clients' (user, instance) pairs (docs/reliability.md).
cargo build --locked -p tim-server -p tim-loadgen
target/debug/tim-loadgen failover --clients 300 --server-bin target/debug/tim-server

step "TypeScript: npm ci, tsc --noEmit, eslint, jest"
npm ci --no-audit --no-fund --loglevel=error
npx tsc --noEmit
npx eslint js
npx jest --ci
npx typedoc --logLevel Warn
if [ -n "$(git status --porcelain -- docs/api)" ]; then
  echo "docs/api is stale: run npx typedoc and commit it" >&2
  git status --short -- docs/api >&2
  exit 1
fi

step "Node: the addon's tests, and the package's API end to end"
bash rust/node/test.sh
npx tsc -p tsconfig.build.json
bash rust/node/build.sh --out lib/tim_node.node
node --test test/node/

step "UserSig interop with Tencent's official npm and PyPI libraries"
bash rust/usersig/interop/run.sh

step "JVM: TimNative (the Android module's JNI class) under -Xcheck:jni"
bash android/jvm-test/run.sh

step "JVM: the React Native Android module, old and new architecture, under Robolectric"
bash android/module-test/run.sh

step "UniFFI: generated Swift is current; Python and Kotlin bindings log in"
bash scripts/gen-bindings.sh --check
bash rust/ffi/tests/run-bindings.sh

step "React Native example: typecheck and Metro bundles for Android and iOS"
bash example/bundle.sh

step "Mobile targets: cargo check for Android and iOS, iOS static library"
bash scripts/check-mobile.sh

step "Fuzz: every target (tickets, frames, login headers, bridge parameters), a short run each"
# A smoke run that catches a target that no longer builds or crashes at once; scripts/fuzz.sh
# with a larger RUNS is the real search (docs/reliability.md).
bash scripts/fuzz.sh 2000

step "all suites passed in $((SECONDS - started)) s"
