#!/usr/bin/env bash
# Builds tim-ffi for the four Android ABIs React Native apps build (arm64-v8a, armeabi-v7a,
# x86_64, x86) with the Android NDK's clang, stripped, into
# android/src/main/jniLibs/<abi>/libtim_ffi.so, the folder the Android module packages and the npm
# tarball carries, so that apps need neither Rust nor the NDK. The release workflow runs it; so
# can anyone with the NDK (r26 or newer; ANDROID_NDK_HOME names it).
# PROFILE picks the Cargo profile (default release-mobile, the size-tuned one).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/android-abis.sh

if [ -z "${ANDROID_NDK_HOME:-}" ] || [ ! -f "$ANDROID_NDK_HOME/source.properties" ]; then
  cat >&2 <<'MSG'
build-android: ANDROID_NDK_HOME must name an Android NDK (r26 or newer), for example
  export ANDROID_NDK_HOME="$HOME/Android/Sdk/ndk/<version>"
Install one with Android Studio (SDK Manager > SDK Tools > NDK) or `sdkmanager "ndk;<version>"`.
Without an NDK, scripts/check-android-abi.sh links the library against bionic's public ABI.
MSG
  exit 1
fi

profile="${PROFILE:-release-mobile}"
case "$(uname -s)" in
  Darwin) host=darwin-x86_64 ;; # the NDK's macOS toolchain is universal under this name
  *) host=linux-x86_64 ;;
esac
bin="$ANDROID_NDK_HOME/toolchains/llvm/prebuilt/$host/bin"
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
link=()
for arg in "${ANDROID_LINK_ARGS[@]}"; do link+=(-C "link-arg=-Wl,$arg"); done

for abi in "${ANDROID_ABIS[@]}"; do
  target="$(android_rust_target "$abi")"
  clang="$bin/$(android_clang_target "$abi")-clang"
  t="${target//-/_}"
  rustup target add "$target"
  # cc-rs (ring's C code) reads CC_<target> and AR_<target>; cargo links with the same clang.
  export "CC_$t=$clang" "AR_$t=$bin/llvm-ar" "CARGO_TARGET_${t^^}_LINKER=$clang"
  cargo rustc --locked -p tim-ffi --lib --profile "$profile" --target "$target" --crate-type cdylib -- "${link[@]}"
  mkdir -p "android/src/main/jniLibs/$abi"
  # Stripped here: the Android Gradle Plugin strips only when the app's machine has the NDK.
  "$bin/llvm-strip" -o "android/src/main/jniLibs/$abi/libtim_ffi.so" "$target_dir/$target/$profile/libtim_ffi.so"
done
ls -l android/src/main/jniLibs/*/libtim_ffi.so
