#!/usr/bin/env bash
# Builds the Node addon (tim-node) that the package ships for one platform, into
# prebuilds/<platform>-<arch>/tim_node.node, named as Node names them (process.platform,
# process.arch), where the package's Node entry looks for it. The release workflow runs it once
# per platform; `npm run build` runs it for this machine.
#
#   scripts/build-node-addon.sh [RUST_TARGET]     default: this machine's target
#   PROFILE=dev scripts/build-node-addon.sh        a debug build (tests); default release
set -euo pipefail
cd "$(dirname "$0")/.."

host="$(rustc -vV | sed -n 's/^host: //p')"
target="${1:-$host}"
profile="${PROFILE:-release}"
case "$target" in
  x86_64-unknown-linux-gnu) platform=linux-x64 lib=libtim_node.so ;;
  aarch64-unknown-linux-gnu) platform=linux-arm64 lib=libtim_node.so ;;
  x86_64-apple-darwin) platform=darwin-x64 lib=libtim_node.dylib ;;
  aarch64-apple-darwin) platform=darwin-arm64 lib=libtim_node.dylib ;;
  x86_64-pc-windows-msvc) platform=win32-x64 lib=tim_node.dll ;;
  *) echo "build-node-addon: no Node platform name for $target" >&2; exit 2 ;;
esac

# A release addon ships without symbols (Node loads it by its exports only).
export CARGO_PROFILE_RELEASE_STRIP=symbols
target_dir="$(cargo metadata --format-version 1 --no-deps |
  node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).target_directory')"
# Cargo's folder for the dev profile is called debug; a host build keeps the host's folders.
out_dir="$target_dir/${profile/#dev/debug}"
if [ "$target" = "$host" ]; then
  cargo build --locked -p tim-node --profile "$profile"
else
  rustup target add "$target"
  cargo build --locked -p tim-node --profile "$profile" --target "$target"
  out_dir="$target_dir/$target/${profile/#dev/debug}"
fi
built="$out_dir/$lib"
out="prebuilds/$platform/tim_node.node"
mkdir -p "$(dirname "$out")"
# Copy, then rename: a running node keeps its mapping of the old file.
cp "$built" "$out.tmp"
mv "$out.tmp" "$out"
echo "build-node-addon: $out ($target, $profile)"
