#!/usr/bin/env bash
# Builds tim-ffi for Android with cargo-ndk into android/src/main/jniLibs/<abi>/libtim_ffi.so, the
# folder the Android module packages (the Android Gradle Plugin strips the libraries into the APK).
# Needs the Android NDK: ANDROID_NDK_HOME names it. Installs the rustup targets and cargo-ndk.
# PROFILE picks the Cargo profile (default release-mobile, the size-tuned one).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${ANDROID_NDK_HOME:-}" ] || [ ! -f "$ANDROID_NDK_HOME/source.properties" ]; then
  cat >&2 <<'MSG'
build-android: ANDROID_NDK_HOME must name an Android NDK (r26 or newer), for example
  export ANDROID_NDK_HOME="$HOME/Android/Sdk/ndk/<version>"
Install one with Android Studio (SDK Manager > SDK Tools > NDK) or `sdkmanager "ndk;<version>"`.
Without an NDK, scripts/check-mobile.sh still checks that tim-ffi compiles for Android.
MSG
  exit 1
fi

rustup target add aarch64-linux-android armv7-linux-androideabi x86_64-linux-android
command -v cargo-ndk >/dev/null || cargo install --locked cargo-ndk@4.1.2
# API 21: the lowest Android that React Native supports.
cargo ndk -t arm64-v8a -t armeabi-v7a -t x86_64 --platform 21 -o android/src/main/jniLibs \
  build --locked -p tim-ffi --lib --profile "${PROFILE:-release-mobile}"
ls -l android/src/main/jniLibs/*/libtim_ffi.so
