#!/usr/bin/env bash
# Builds the Node addon with plain cargo and copies it to rust/node/tim_node.node (gitignored).
# A cdylib is already a valid addon on Linux; Node only wants the .node name.
# Usage: rust/node/build.sh [--release] [--out PATH]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
profile=debug
args=()
out="$here/tim_node.node"
while [ $# -gt 0 ]; do
  case "$1" in
    --release) profile=release; args=(--release) ;;
    --out) out="$(realpath -m "$2")"; shift ;;
    *) echo "usage: $0 [--release] [--out PATH]" >&2; exit 2 ;;
  esac
  shift
done
cargo build --manifest-path "$root/Cargo.toml" -p tim-node "${args[@]}"
target="${CARGO_TARGET_DIR:-$root/target}"
case "$(uname -s)" in
  Darwin) lib=libtim_node.dylib ;;
  *) lib=libtim_node.so ;;
esac
# Copy to a temporary name, then rename: a running node keeps its mapping of the old file.
mkdir -p "$(dirname "$out")"
cp "$target/$profile/$lib" "$out.tmp"
mv "$out.tmp" "$out"
echo "built $out ($profile)"
