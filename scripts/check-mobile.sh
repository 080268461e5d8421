#!/usr/bin/env bash
# Compile checks of tim-ffi, TLS included, for the phone targets on a Linux machine that has
# neither the Android NDK nor Xcode; then release-mobile builds of the iOS static library and of
# an aarch64 Android library, whose sizes it prints. ring's C code needs a C compiler for each
# target even for `cargo check`. Without the real SDKs (shared TOOLCHAIN-NOTES.md):
#   Android  Debian's clang-14 with the glibc headers of the target's CPU: ring needs only a few
#            C headers (string.h, assert.h) and none of glibc's code.
#   iOS      clang-14 with three shim headers (scripts/ios-shim/) and an empty SDKROOT.
# Apps ship builds made by scripts/build-android.sh (NDK) and scripts/build-ios.sh (Xcode).
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

android=(aarch64-linux-android armv7-linux-androideabi x86_64-linux-android)
ios=aarch64-apple-ios
packages=(clang-14 llvm-14 libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev)

echo "== rustup targets" >&2
command -v rustup >/dev/null || cannot "no rustup to add the targets"
rustup target add "${android[@]}" "$ios" >&2 || cannot "rustup could not add the targets (no network?)"

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

# cc-rs reads CC_<target>, CFLAGS_<target> and AR_<target>, with the target's dashes as underscores.
tools() { # target, CFLAGS
  local t="${1//-/_}"
  export "CC_$t=clang-14" "AR_$t=llvm-ar-14" "CFLAGS_$t=$2"
}
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# API 21: the lowest Android that React Native supports. armv7's glibc headers are for the
# hard-float ABI and ask for gnu/stubs-soft.h under Android's soft-float one: that header only
# lists unimplemented functions, so an empty one does.
mkdir -p "$work/armv7/gnu" "$work/sdk" "$work/bin"
: >"$work/armv7/gnu/stubs-soft.h"
tools aarch64-linux-android "--target=aarch64-linux-android21 -isystem /usr/aarch64-linux-gnu/include"
tools armv7-linux-androideabi "--target=armv7a-linux-androideabi21 -isystem $work/armv7 -isystem /usr/arm-linux-gnueabihf/include"
tools x86_64-linux-android "--target=x86_64-linux-android21 -isystem /usr/include/x86_64-linux-gnu"
# iOS: cc-rs runs xcrun unless SDKROOT is set; ring's release build also calls `clang` by that name.
ln -s "$(command -v clang-14)" "$work/bin/clang"
tools "$ios" "-ffreestanding -nostdlibinc -isystem $PWD/scripts/ios-shim"
export PATH="$work/bin:$PATH" SDKROOT="$work/sdk" IPHONEOS_DEPLOYMENT_TARGET=15.1

status=0
for target in "${android[@]}" "$ios"; do
  echo "== cargo check -p tim-ffi --target $target" >&2
  cargo check --locked -p tim-ffi --target "$target" || status=1
done
[ "$status" -eq 0 ] || { echo "check-mobile: FAILED" >&2; exit 1; }

# Sizes of what apps ship, in the release-mobile profile. The Android library is linked the way
# TOOLCHAIN-NOTES.md describes, without the NDK: rust-lld against empty stub libraries, so it
# cannot load on a device (no DT_NEEDED entries); it is measured, then thrown away.
profile=release-mobile
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
size() { stat -c %s "$1"; }

echo "== iOS static library ($profile)" >&2
cargo rustc --locked -p tim-ffi --lib --profile "$profile" --target "$ios" --crate-type staticlib
a="$target_dir/$ios/$profile/libtim_ffi.a"
llvm-strip-14 -S -o "$work/ios.a" "$a"

echo "== Android aarch64 library ($profile), smoke-linked with rust-lld" >&2
lld="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld"
mkdir "$work/stubs"
llvm-mc-14 -triple=aarch64-linux-android -filetype=obj /dev/null -o "$work/stubs/empty.o"
for name in c m dl log; do
  "$lld" -flavor gnu -shared "$work/stubs/empty.o" -soname "lib$name.so" -o "$work/stubs/lib$name.so"
done
llvm-ar-14 rcs "$work/stubs/libunwind.a"
cargo rustc --locked -p tim-ffi --lib --profile "$profile" --target aarch64-linux-android \
  --crate-type cdylib -- -C linker="$lld" -C linker-flavor=ld.lld -L "$work/stubs"
so="$target_dir/aarch64-linux-android/$profile/libtim_ffi.so"
llvm-strip-14 -o "$work/android.so" "$so"
rm -f "$so"

echo "check-mobile: all passed. Sizes ($profile, bytes):"
echo "  iOS libtim_ffi.a: $(size "$a"), without debug symbols $(size "$work/ios.a")"
echo "  Android arm64-v8a libtim_ffi.so stripped: $(size "$work/android.so")"
