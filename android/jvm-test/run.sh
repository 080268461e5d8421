#!/usr/bin/env bash
# The Android JNI glue on a host JVM.
#   run.sh         build libtim_ffi, tim-server and tim-usersig (debug), run the JUnit tests with
#                  -Xcheck:jni, and fail on any JNI warning the JVM printed.
#   run.sh bench   build the release libtim_ffi and time getLoginStatus round trips
#                  (RoundTripBench; an optional second argument sets the number of calls).
# Needs cargo, a JDK 17 and Maven; Maven downloads JUnit and its plugins once into ~/.m2.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
mode="${1:-test}"
if [[ -z "${JAVA_HOME:-}" && -d /usr/lib/jvm/java-17-openjdk-amd64 ]]; then
    export JAVA_HOME=/usr/lib/jvm/java-17-openjdk-amd64
fi

cd "$root"
cargo build -p tim-ffi -p tim-server -p tim-usersig
cd "$here"

case "$mode" in
test)
    log="$here/target/mvn-test.log"
    mkdir -p "$here/target"
    rm -rf "$here/target/surefire-reports"
    status=0
    mvn -q -B -Dstyle.color=never test -Dtim.lib.dir="$target/debug" -Dtim.bin.dir="$target/debug" 2>&1 \
        | tee "$log" || status=$?
    # -Xcheck:jni reports through the forked JVM's output, which Surefire puts in its log or in
    # target/surefire-reports (*-output.txt, *.dumpstream).
    jni_warning="WARNING in native method|WARNING: JNI local refs|FATAL ERROR in native method"
    if grep -rqE "$jni_warning" "$log" "$here/target/surefire-reports" 2>/dev/null; then
        grep -rhoE "($jni_warning).*" "$log" "$here/target/surefire-reports" \
            | sort | uniq -c | head -20 >&2
        echo "run.sh: -Xcheck:jni reported the JNI warnings above" >&2
        status=1
    fi
    "$here/../surefire-summary.sh" jvm-test "$here"/target/surefire-reports/TEST-*.xml || status=1
    exit "$status"
    ;;
bench)
    (cd "$root" && cargo build --release -p tim-ffi)
    mvn -q -B -Dstyle.color=never test-compile
    exec "${JAVA_HOME:+$JAVA_HOME/bin/}java" -Djava.library.path="$target/release" \
        -Dtim.bin.dir="$target/debug" -cp "$here/target/classes:$here/target/test-classes" \
        com.timrs.RoundTripBench "${@:2}"
    ;;
*)
    echo "usage: $0 [test|bench [CALLS]]" >&2
    exit 2
    ;;
esac
