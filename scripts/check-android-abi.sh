#!/usr/bin/env bash
# Links libtim_ffi.so for each Android ABI against bionic's public ABI at the package's minimum
# API level, the way an NDK build links it, then reads the result as Android's loader will. For a
# machine without the NDK: the NDK's own libc/libm/libdl/liblog are stubs generated from bionic's
# symbol maps, and scripts/android-abi/stubs.py generates the same ones from the same maps.
#
#   scripts/check-android-abi.sh [ABI...]     default: every ABI of scripts/android-abis.sh
#
# Fails when
#   - the library imports a symbol bionic does not export at API $ANDROID_API for that
#     architecture (the link runs with --no-undefined; a phone would refuse to load it);
#   - DT_NEEDED names anything but libc, libm, libdl and liblog, or lacks libc; DT_SONAME is not
#     libtim_ffi.so;
#   - a loadable segment is aligned to less than 16 KiB, or is writable and executable;
#   - it has text relocations, or ELF TLS (PT_TLS needs API 29; Rust uses emulated TLS below);
#   - JNI_OnLoad, a native method TimNative.java declares, or any function of tim_ffiFFI.h is not
#     exported.
#
# The library is linked against stubs (and a stand-in libunwind), so it is thrown away: apps ship
# what scripts/build-android.sh links with the NDK. Same profile and link arguments as that one.
# Needs Debian's clang-14, llvm-14 and the glibc headers of each CPU (for ring's C code, as in
# scripts/check-mobile.sh); installs them with apt-get when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/android-abis.sh

abis=("$@")
[ ${#abis[@]} -gt 0 ] || abis=("${ANDROID_ABIS[@]}")
profile="${PROFILE:-release-mobile}"
packages=(clang-14 llvm-14 libc6-dev-arm64-cross libc6-dev-armhf-cross libc6-dev-i386-cross libc6-dev)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

lld="$(rustc --print sysroot)/lib/rustlib/$(rustc -vV | sed -n 's/^host: //p')/bin/rust-lld"
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# armv7's glibc headers are for the hard-float ABI and ask for gnu/stubs-soft.h under Android's
# soft-float one: that header only lists unimplemented functions, so an empty one does.
mkdir -p "$work/armv7/gnu"
: >"$work/armv7/gnu/stubs-soft.h"

# The C headers ring compiles against (only string.h and assert.h; none of glibc's code).
headers() {
  case "$1" in
    arm64-v8a) echo "-isystem /usr/aarch64-linux-gnu/include" ;;
    armeabi-v7a) echo "-isystem $work/armv7 -isystem /usr/arm-linux-gnueabihf/include" ;;
    x86_64) echo "-isystem /usr/include/x86_64-linux-gnu" ;;
    x86) echo "-isystem /usr/i686-linux-gnu/include" ;;
  esac
}
map_arch() {
  case "$1" in arm64-v8a) echo arm64 ;; armeabi-v7a) echo arm ;; *) echo "$1" ;; esac
}

# The NDK links LLVM's libunwind statically; its names are all a Rust library needs from it.
unwind_symbols=(_Unwind_Backtrace _Unwind_DeleteException _Unwind_FindEnclosingFunction
  _Unwind_ForcedUnwind _Unwind_GetCFA _Unwind_GetDataRelBase _Unwind_GetGR _Unwind_GetIP
  _Unwind_GetIPInfo _Unwind_GetLanguageSpecificData _Unwind_GetRegionStart _Unwind_GetTextRelBase
  _Unwind_RaiseException _Unwind_Resume _Unwind_Resume_or_Rethrow _Unwind_SetGR _Unwind_SetIP
  _Unwind_VRS_Get _Unwind_VRS_Set __gnu_unwind_frame _Unwind_Complete
  __aeabi_unwind_cpp_pr0 __aeabi_unwind_cpp_pr1 __aeabi_unwind_cpp_pr2)

# The JNI functions TimNative.java declares `native` (Java_<class>_<method>), and every function
# the Swift bindings call, from the generated C header.
jni_functions="$(sed -nE 's/.*[[:space:]]native[[:space:]].*[[:space:]]([A-Za-z0-9_]+)\(.*/Java_com_timrs_TimNative_\1/p' \
  android/src/main/java/com/timrs/TimNative.java | sort -u)"
[ -n "$jni_functions" ] || { echo "check-android-abi: no native methods found in TimNative.java" >&2; exit 1; }
ffi_functions="$(grep -oE '^[A-Za-z][^#]*\b(uniffi|ffi)_tim_ffi_[a-z0-9_]+\(' ios/Generated/tim_ffiFFI.h |
  grep -oE '(uniffi|ffi)_tim_ffi_[a-z0-9_]+' | sort -u)"

status=0
failed=0
fail() {
  echo "check-android-abi: $abi: $*" >&2
  status=1
  failed=1
}

for abi in "${abis[@]}"; do
  target="$(android_rust_target "$abi")"
  clang_target="$(android_clang_target "$abi")"
  stubs="$work/stubs-$abi"
  echo "== $abi ($target, API $ANDROID_API): bionic stubs $(python3 scripts/android-abi/stubs.py "$(map_arch "$abi")" "$ANDROID_API" "$stubs")" >&2
  for name in c m dl log; do
    llvm-mc-14 -triple="$clang_target" -filetype=obj "$stubs/lib$name.s" -o "$stubs/lib$name.o"
    "$lld" -flavor gnu -shared "$stubs/lib$name.o" --version-script "$stubs/lib$name.ver" \
      -soname "lib$name.so" -o "$stubs/lib$name.so"
  done
  { echo .text; for s in "${unwind_symbols[@]}"; do printf '.globl %s\n%s:\n.byte 0\n' "$s" "$s"; done; } >"$stubs/unwind.s"
  llvm-mc-14 -triple="$clang_target" -filetype=obj "$stubs/unwind.s" -o "$stubs/unwind.o"
  llvm-ar-14 rcs "$stubs/libunwind.a" "$stubs/unwind.o"

  rustup target add "$target" >/dev/null 2>&1
  t="${target//-/_}"
  # shellcheck disable=SC2046 # headers() is a list of flags
  export "CC_$t=clang-14" "AR_$t=llvm-ar-14" "CFLAGS_$t=--target=$clang_target $(headers "$abi")"
  link=(-C "linker=$lld" -C linker-flavor=ld.lld -L "$stubs" -C link-arg=--no-undefined)
  for arg in "${ANDROID_LINK_ARGS[@]}"; do
    IFS=, read -ra parts <<<"$arg"
    for part in "${parts[@]}"; do link+=(-C "link-arg=$part"); done
  done
  if ! cargo rustc --locked -p tim-ffi --lib --profile "$profile" --target "$target" \
    --crate-type cdylib -- "${link[@]}"; then
    fail "does not link against bionic's API $ANDROID_API ABI (an undefined symbol above is one a phone lacks)"
    continue
  fi
  so="$target_dir/$target/$profile/libtim_ffi.so"
  # Stubs-linked: never to be packaged. Moved out of Cargo's output so nothing picks it up.
  mv "$so" "$work/libtim_ffi-$abi.so"
  so="$work/libtim_ffi-$abi.so"

  dynamic="$(llvm-readelf-14 -d -W "$so")"
  segments="$(llvm-readelf-14 -l -W "$so")"
  symbols="$(llvm-readelf-14 --dyn-syms -W "$so")"
  needed="$(sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' <<<"$dynamic" | sort | tr '\n' ' ')"
  soname="$(sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p' <<<"$dynamic")"
  for lib in $needed; do
    case "$lib" in libc.so | libm.so | libdl.so | liblog.so) ;; *) fail "DT_NEEDED $lib is not a bionic library" ;; esac
  done
  [[ " $needed" == *" libc.so "* ]] || fail "no libc.so in DT_NEEDED ($needed)"
  [ "$soname" = libtim_ffi.so ] || fail "DT_SONAME is '${soname:-none}', not libtim_ffi.so"
  grep -q 'TEXTREL' <<<"$dynamic" && fail "has text relocations"
  grep -q '^ *TLS ' <<<"$segments" && fail "has a PT_TLS segment (ELF TLS needs API 29)"
  loads="$(grep '^ *LOAD ' <<<"$segments")"
  aligns="$(awk '{print $NF}' <<<"$loads" | sort -u | tr '\n' ' ')"
  for align in $aligns; do
    [ $((align)) -ge 16384 ] || fail "a PT_LOAD is aligned to $align bytes, less than 16 KiB"
  done
  grep -q ' RWE ' <<<"$loads" && fail "a segment is writable and executable"
  exported="$(awk '$7 != "UND" && ($5 == "GLOBAL" || $5 == "WEAK") { sub(/@.*/, "", $8); print $8 }' <<<"$symbols" | sort -u)"
  imports="$(awk '$7 == "UND" && $8 != "" { print $8 }' <<<"$symbols" | sort -u)"
  for name in JNI_OnLoad $jni_functions $ffi_functions; do
    grep -qx "$name" <<<"$exported" || fail "does not export $name"
  done
  # Sizes as an app carries it: stripped (what build-android.sh ships, and what an APK holds
  # uncompressed, the default for minSdk 23+), and deflated (an APK's compressed entry, and
  # roughly what the Play Store download adds).
  llvm-strip-14 -o "$so.stripped" "$so"
  sizes="stripped $(stat -c %s "$so.stripped") bytes, deflated $(python3 -c 'import sys, zlib; print(len(zlib.compress(open(sys.argv[1], "rb").read(), 9)))' "$so.stripped") bytes"
  [ "$failed" -eq 0 ] || { failed=0; continue; }
  printf '   ok: %s imports, all in bionic API %s; NEEDED %s; SONAME %s; PT_LOAD align %s; %s exports checked; %s\n' \
    "$(wc -l <<<"$imports")" "$ANDROID_API" "$needed" "$soname" \
    "$aligns" "$(($(wc -w <<<"$jni_functions $ffi_functions") + 1))" "$sizes" >&2
done

[ "$status" -eq 0 ] || { echo "check-android-abi: FAILED" >&2; exit 1; }
echo "check-android-abi: ${abis[*]} link against bionic's public ABI at API $ANDROID_API and load-check clean" >&2
