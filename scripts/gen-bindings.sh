#!/usr/bin/env bash
# Generates tim-ffi's UniFFI bindings from the built host library (library mode: the metadata the
# macros put in the library is the only source, so bindings cannot drift from the Rust code):
#   Swift  -> ios/Generated/                    committed; the iOS module compiles it
#   Kotlin -> <target>/bindings/kotlin/         host tests only, not committed
#   Python -> <target>/bindings/python/         host tests only (with a copy of the library)
# Prints <target>/bindings on stdout (everything else goes to stderr).
# `--check` (CI) generates the Swift into a temporary folder and fails if ios/Generated/ differs.
# The first run builds uniffi-bindgen (`--features bindgen`), which takes a few minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

check=0
case "${1:-}" in
  "") ;;
  --check) check=1 ;;
  *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
case "$(uname -s)" in
  Darwin) lib="$target_dir/debug/libtim_ffi.dylib" ;;
  *) lib="$target_dir/debug/libtim_ffi.so" ;;
esac

echo "== building uniffi-bindgen and the host library" >&2
cargo build --locked -p tim-ffi --features bindgen --bin uniffi-bindgen >&2
# After the bindgen: its build also writes the library, with the `bindgen` feature on.
cargo build --locked -p tim-ffi --lib >&2

# --no-format: the output must not depend on whether swiftformat or ktlint is installed,
# or `--check` would fail on one machine and pass on another.
generate() {
  "$target_dir/debug/uniffi-bindgen" generate "$lib" --no-format --metadata-no-deps \
    --language "$1" --out-dir "$2" >/dev/null
}

if [ "$check" -eq 1 ]; then
  fresh="$(mktemp -d)"
  trap 'rm -rf "$fresh"' EXIT
  generate swift "$fresh"
  if ! diff -ru ios/Generated "$fresh"; then
    echo "ios/Generated/ does not match the library: run scripts/gen-bindings.sh and commit it" >&2
    exit 1
  fi
  echo "== ios/Generated/ matches the library" >&2
  exit 0
fi

rm -rf ios/Generated "$target_dir/bindings/kotlin" "$target_dir/bindings/python"
generate swift ios/Generated
generate kotlin "$target_dir/bindings/kotlin"
generate python "$target_dir/bindings/python"
# tim_ffi.py loads the library from its own folder.
cp "$lib" "$target_dir/bindings/python/"
echo "== Swift: ios/Generated/  Kotlin, Python: $target_dir/bindings/" >&2
echo "$target_dir/bindings"
