# Sourced by scripts/build-android.sh (the NDK build) and scripts/check-android-abi.sh (the link
# against bionic's public ABI), so that both build the library the same way.

# React Native's minimum Android (API 24, Android 7.0) since 0.76; android/build.gradle's minSdk.
ANDROID_API=24
# The ABIs React Native apps build by default (reactNativeArchitectures).
ANDROID_ABIS=(arm64-v8a armeabi-v7a x86_64 x86)

# The Rust target of an ABI.
android_rust_target() {
  case "$1" in
    arm64-v8a) echo aarch64-linux-android ;;
    armeabi-v7a) echo armv7-linux-androideabi ;;
    x86_64) echo x86_64-linux-android ;;
    x86) echo i686-linux-android ;;
    *) echo "unknown Android ABI $1" >&2; return 1 ;;
  esac
}

# The clang target of an ABI at ANDROID_API (the NDK names its compiler wrappers after it).
android_clang_target() {
  case "$1" in
    armeabi-v7a) echo "armv7a-linux-androideabi$ANDROID_API" ;;
    *) echo "$(android_rust_target "$1")$ANDROID_API" ;;
  esac
}

# What libtim_ffi.so's link adds, comma-separated as after clang's -Wl,:
#  - its DT_SONAME, which Android's loader requires (rustc sets none for a cdylib);
#  - 16 KiB segment alignment, without which it fails on 16 KiB-page devices (NDK r26/r27 use
#    4 KiB by default; Google Play requires 16 KiB for apps targeting Android 15).
ANDROID_LINK_ARGS=(-soname,libtim_ffi.so -z,max-page-size=16384)
