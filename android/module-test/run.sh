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

# Maven -q prints no summary: count the Surefire reports instead.
tests=0 failed=0 skipped=0
for report in test/target/{oldarch,newarch}/surefire-reports/TEST-*.xml; do
    [[ -e "$report" ]] || continue
    head=$(grep -m1 -o '<testsuite [^>]*>' "$report")
    attr() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$head"; }
    tests=$((tests + $(attr tests)))
    failed=$((failed + $(attr failures) + $(attr errors)))
    skipped=$((skipped + $(attr skipped)))
done
if ((tests == 0)); then
    echo "run.sh: no test ran" >&2
    status=1
fi
# On a line of its own: Maven leaves colour-reset codes without a newline even in batch mode.
printf '\nmodule-test: %d passed, %d failed, %d skipped\n' "$((tests - failed - skipped))" "$failed" "$skipped"
exit "$status"
