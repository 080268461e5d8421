#!/usr/bin/env bash
# The iOS side of tim-ffi on a Linux machine without Xcode: a compile check, TLS included, for
# aarch64-apple-ios, then the release-mobile static library, whose size it prints. ring's C code
# needs a C compiler for the target even for `cargo check`: Debian's clang-14 with three shim
# headers (scripts/ios-shim/) and an empty SDKROOT. Apps ship what scripts/build-ios.sh builds
# with Xcode. Android's library is linked and load-checked by scripts/check-android-abi.sh.
#
# Exit status: 1 on a compile error. 0 when every step passed, and also when a step cannot run on
# this machine (no rustup or its network, no apt-get or root for the C toolchain): the script says
# so on stderr and stops there.
set -euo pipefail
cd "$(dirname "$0")/.."

cannot() {
  echo "check-mobile: CANNOT RUN HERE: $*" >&2
  exit 0
}

ios=aarch64-apple-ios
packages=(clang-14 llvm-14)

echo "== rustup target $ios" >&2
command -v rustup >/dev/null || cannot "no rustup to add the target"
rustup target add "$ios" >&2 || cannot "rustup could not add the target (no network?)"

echo "== C toolchain: ${packages[*]}" >&2
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  command -v apt-get >/dev/null || cannot "needs the Debian packages ${packages[*]}; no apt-get"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || cannot "needs root to apt-get install ${packages[*]}"
    sudo=sudo
  fi
  { $sudo apt-get update -qq && $sudo env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -qq "${packages[@]}"; } >&2 || cannot "apt-get install ${packages[*]} failed"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/sdk" "$work/bin"
# cc-rs runs xcrun unless SDKROOT is set; ring's release build also calls `clang` by that name.
ln -s "$(command -v clang-14)" "$work/bin/clang"
t="${ios//-/_}"
export "CC_$t=clang-14" "AR_$t=llvm-ar-14" "CFLAGS_$t=-ffreestanding -nostdlibinc -isystem $PWD/scripts/ios-shim"
export PATH="$work/bin:$PATH" SDKROOT="$work/sdk" IPHONEOS_DEPLOYMENT_TARGET=15.1

echo "== cargo check -p tim-ffi --target $ios" >&2
cargo check --locked -p tim-ffi --target "$ios" || { echo "check-mobile: FAILED" >&2; exit 1; }

profile=release-mobile
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
echo "== iOS static library ($profile)" >&2
cargo rustc --locked -p tim-ffi --lib --profile "$profile" --target "$ios" --crate-type staticlib
a="$target_dir/$ios/$profile/libtim_ffi.a"
llvm-strip-14 -S -o "$work/ios.a" "$a"
echo "check-mobile: all passed. iOS libtim_ffi.a ($profile): $(stat -c %s "$a") bytes," \
  "without debug symbols $(stat -c %s "$work/ios.a")"
