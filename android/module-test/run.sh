#!/usr/bin/env bash
# The React Native module (android/src) on a host JVM, for both architectures: builds
# libtim_ffi, tim-server and tim-usersig (debug), then compiles the module against React Native's
# Android classes and runs its JUnit tests under Robolectric, once with src/oldarch and once with
# src/newarch over the spec that React Native's codegen makes from js/.
# Needs cargo, node (with the repo's npm packages; installed here if missing), a JDK 17 and Maven;
# the first run downloads React Native's aar, Robolectric and Android jars from Maven Central
# (about 500 MB into ~/.m2).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
if [[ -z "${JAVA_HOME:-}" && -d /usr/lib/jvm/java-17-openjdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi

cd "$root"
cargo build -p tim-ffi -p tim-server -p tim-usersig
# The newarch build runs React Native's codegen from node_modules.
if [[ ! -e node_modules/@react-native/codegen/package.json ]]; then
    npm ci --ignore-scripts --no-audit --no-fund
fi

cd "$here"
status=0
for arch in oldarch newarch; do
    rm -rf "test/target/$arch/surefire-reports"
    mvn -q -B -Dstyle.color=never -P"$arch" test \
        -Dtim.lib.dir="$target/debug" -Dtim.bin.dir="$target/debug" || status=$?
done

../surefire-summary.sh module-test test/target/{oldarch,newarch}/surefire-reports/TEST-*.xml || status=1
exit "$status"
