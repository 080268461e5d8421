#!/usr/bin/env bash
# Host tests of tim-ffi's generated UniFFI bindings against a real tim-server on 127.0.0.1:0:
#   python/  pytest (pinned in requirements.txt, installed into python/.venv), asyncio awaits
#   kotlin/  kotlinc (npm kotlin-compiler, pinned in package-lock.json) with JNA and
#            kotlinx-coroutines from Maven Central (pinned with SHA-256 in jars.txt)
# Builds the binaries, generates the bindings (scripts/gen-bindings.sh), installs what is missing,
# runs both suites and exits non-zero if either fails. Idempotent. Needs cargo, python3 (with
# venv), node + npm, a JDK (java), curl, and the package registries.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
cd "$root"

echo "== building tim-server and tim-usersig"
cargo build --locked -p tim-server -p tim-usersig
bindings="$(scripts/gen-bindings.sh)"
target_dir="$(dirname "$bindings")"
export TIM_SERVER_BIN="$target_dir/debug/tim-server" TIM_USERSIG_BIN="$target_dir/debug/tim-usersig"
export RUST_LOG="${RUST_LOG:-warn}"
status=0

echo "== python: pytest"
cd "$here/python"
[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
PYTHONPATH="$bindings/python" .venv/bin/python -m pytest -q -p no:cacheprovider || status=1

echo "== kotlin: installing kotlinc and the jars"
cd "$here/kotlin"
npm ci --no-audit --no-fund --silent
jars="$target_dir/kotlin-test"
mkdir -p "$jars"
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d' ' -f1; }
classpath=""
while read -r path sum; do
  case "$path" in "" | "#"*) continue ;; esac
  jar="$jars/$(basename "$path")"
  if [ ! -f "$jar" ] || [ "$(sha256 "$jar")" != "$sum" ]; then
    curl -fsSL -o "$jar" "https://repo1.maven.org/maven2/$path"
    [ "$(sha256 "$jar")" = "$sum" ] || { echo "$jar: SHA-256 mismatch" >&2; exit 1; }
  fi
  classpath="$classpath${classpath:+:}$jar"
done <jars.txt

echo "== kotlin: compiling and running Main.kt"
if node_modules/kotlin-compiler/bin/kotlinc -nowarn Main.kt "$bindings/kotlin/uniffi/tim_ffi/tim_ffi.kt" \
  -cp "$classpath" -include-runtime -d "$jars/test.jar"; then
  java -Djna.library.path="$target_dir/debug" -cp "$jars/test.jar:$classpath" MainKt || status=1
else
  status=1
fi

if [ "$status" -eq 0 ]; then echo "== bindings: all passed"; else echo "== bindings: FAILED"; fi
exit "$status"
