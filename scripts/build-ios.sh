#!/usr/bin/env bash
# Builds tim-ffi's iOS static libraries (device; simulator for Apple silicon and Intel, joined with
# lipo) and packs them with the generated C header and module map (ios/Generated/, see
# scripts/gen-bindings.sh) into ios/Frameworks/TimFfi.xcframework (slices ios-arm64 and
# ios-arm64_x86_64-simulator), which the podspec vendors and the npm tarball carries, so that apps
# need no Rust. The release workflow runs it. macOS with Xcode only. PROFILE picks the Cargo
# profile (default release-mobile).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "$(uname -s)" != Darwin ] || ! command -v xcodebuild >/dev/null; then
  echo "build-ios: needs macOS with Xcode (xcodebuild and the iOS SDKs). Elsewhere," \
    "scripts/check-mobile.sh checks that tim-ffi compiles for iOS." >&2
  exit 1
fi

profile="${PROFILE:-release-mobile}"
device=aarch64-apple-ios
simulators=(aarch64-apple-ios-sim x86_64-apple-ios)
# React Native's lowest iOS (as in scripts/check-mobile.sh).
export IPHONEOS_DEPLOYMENT_TARGET="${IPHONEOS_DEPLOYMENT_TARGET:-15.1}"
rustup target add "$device" "${simulators[@]}"
for target in "$device" "${simulators[@]}"; do
  # staticlib only: the crate's cdylib type is for Android and host tests.
  cargo rustc --locked -p tim-ffi --lib --profile "$profile" --target "$target" --crate-type staticlib
done

target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/headers/tim_ffiFFI" "$work/simulator" "$work/stripped"
# Without debug symbols (strip -S): the tarball carries the libraries, and an app's release build
# drops them anyway. The global symbols the app links against stay.
for target in "$device" "${simulators[@]}"; do
  xcrun strip -S -o "$work/stripped/$target.a" "$target_dir/$target/$profile/libtim_ffi.a"
done
lib() { echo "$work/stripped/$1.a"; }
# The module map in a folder named after the module (Headers/tim_ffiFFI/module.modulemap), where
# clang finds it: at the root of Headers/ it would collide with any other library's
# module.modulemap in the app's build products (every UniFFI XCFramework has one).
cp ios/Generated/tim_ffiFFI.h "$work/headers/tim_ffiFFI/"
cp ios/Generated/tim_ffiFFI.modulemap "$work/headers/tim_ffiFFI/module.modulemap"
lipo -create "$(lib "${simulators[0]}")" "$(lib "${simulators[1]}")" -output "$work/simulator/libtim_ffi.a"

rm -rf ios/Frameworks/TimFfi.xcframework
xcodebuild -create-xcframework \
  -library "$(lib "$device")" -headers "$work/headers" \
  -library "$work/simulator/libtim_ffi.a" -headers "$work/headers" \
  -output ios/Frameworks/TimFfi.xcframework
