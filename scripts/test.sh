#!/usr/bin/env bash
# The project's tests, as CI runs them. Installs what it needs on a fresh machine of this
# project's kind (Rust by rustup, Node.js and npm, Java 17 and Maven, Python 3, apt): the npm,
# PyPI and Maven Central packages each suite pins, and Debian's clang, cross toolchains and
# qemu-user for the mobile checks. Every suite talks to a real tim-server on 127.0.0.1:0.
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

step "Rust: no import cycle between tim-server's files (docs/architecture.md, the server's layers)"
python3 scripts/check-import-cycles.py

step "Rust: cargo test (server, core, bridge, protocol, tickets, test helpers)"
cargo test --workspace --locked

step "Cluster: SDK clients through HAProxy in front of 3 nodes on Redis; one node SIGKILLed"
# Its clients must come back through the balancer to the others, each once, with no kick, and
# Redis must then hold exactly the clients' (user, instance) pairs (docs/reliability.md).
cargo build --locked -p tim-server -p tim-loadgen
target/debug/tim-loadgen failover --clients 300 --server-bin target/debug/tim-server

step "Cluster under combined faults: tim-loadgen chaos, a fixed seed for two minutes"
# Nodes killed, stopped and restarted, Redis stalled and restarted, links cut and delayed, REST
# kicks and imports, under 300 SDK clients; the device limits, the store and the clients' beliefs
# are checked throughout and at quiescence (docs/reliability.md).
target/debug/tim-loadgen chaos --seed 2 --duration 120 --clients 300 --server-bin target/debug/tim-server

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

step "iOS: cargo check and the release-mobile static library"
bash scripts/check-mobile.sh

step "iOS module: Swift grammar, generated bindings against the library, codegen spec"
bash scripts/check-ios.sh

step "Android: build.gradle evaluated with Groovy against a strict DSL, old and new architecture"
bash android/gradle-check/run.sh

# The two slowest checks (cold cross builds) run when their inputs changed since they last
# passed (scripts/stamped.sh: a committed hash in .ci/stamps/, written by the passing check).
# Their inputs: the lock file, the workspace manifest, the folders of every workspace crate the
# build reads (from cargo tree, so a new path dependency is an input at once) and the check's
# own scripts.
crate_dirs() { cargo tree --locked --target all "$@" --prefix none | sed -n "s#.*($PWD/\([^)]*\)).*#\1#p" | sort -u; }
mapfile -t ffi_crates < <(crate_dirs -p tim-ffi -e normal,build)
mapfile -t test_crates < <(crate_dirs -p tim-core -p tim-bridge -e normal,build,dev)

step "Android: libtim_ffi.so linked against bionic's public ABI at API 24 (four ABIs), load-checked"
bash scripts/stamped.sh android-abi Cargo.toml Cargo.lock "${ffi_crates[@]}" ios/Generated/tim_ffiFFI.h \
  android/src/main/java/com/timrs/TimNative.java scripts/check-android-abi.sh scripts/android-abis.sh \
  scripts/android-abi -- bash scripts/check-android-abi.sh

step "ARM: core and bridge test suites for aarch64 and armv7 under qemu-user"
bash scripts/stamped.sh arm Cargo.toml Cargo.lock "${test_crates[@]}" scripts/check-arm.sh -- bash scripts/check-arm.sh

step "Package: development and refused release tarballs; a fresh app's Jest and Node require from the tarball; Expo plugin; slow-check stamps"
PROFILE=dev bash scripts/build-node-addon.sh
node --test test/package/*.test.mjs test/ci/*.test.mjs

step "Release workflow: actionlint with shellcheck"
bash scripts/check-workflows.sh

step "Fuzz: every target (tickets, frames, login headers, bridge parameters), a short run each"
# A smoke run that catches a target that no longer builds or crashes at once; scripts/fuzz.sh
# with a larger RUNS is the real search (docs/reliability.md).
bash scripts/fuzz.sh 2000

step "all suites passed in $((SECONDS - started)) s"
