#!/usr/bin/env bash
# What a machine without Xcode can check of the iOS module:
#   1. the hand-written Swift (ios/TimSession.swift) parses (tree-sitter's Swift grammar);
#   2. the generated Swift bindings (ios/Generated/tim_ffi.swift) carry the UniFFI contract
#      version and API checksums of the library built from this tree, so the bindings' own check
#      at an app's first call cannot end in fatalError;
#   3. the Objective-C++ shim (ios/TencentImSDK.mm) compiles with clang against React Native's
#      real headers and the iOS spec that React Native's codegen makes from js/ (TimRsSpec.h),
#      for the old and the new architecture, under -Wall -Wextra -Werror.
# The iOS static library itself is built by scripts/check-mobile.sh. Installs tree-sitter from
# PyPI into a virtualenv under the target folder.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(clang-14 libstdc++-12-dev libc6-dev)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
venv="$target_dir/ios-check-venv"
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import tree_sitter_swift' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q tree-sitter==0.26.1 tree-sitter-swift==0.7.4
fi

echo "== Swift grammar" >&2
"$venv/bin/python" scripts/ios-check/swift_grammar.py ios/TimSession.swift

echo "== generated Swift bindings against the library" >&2
cargo build --locked -p tim-ffi --lib >&2
"$venv/bin/python" scripts/ios-check/uniffi_contract.py ios/Generated/tim_ffi.swift "$target_dir/debug/libtim_ffi.so"

echo "== React Native codegen: the iOS spec" >&2
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
[ -e node_modules/@react-native/codegen/package.json ] || npm ci --ignore-scripts --no-audit --no-fund
node node_modules/@react-native/codegen/lib/cli/combine/combine-js-to-schema-cli.js --platform ios \
  --exclude NativeSampleTurboModule "$work/schema.json" js
node node_modules/react-native/scripts/generate-specs-cli.js --platform ios --schemaPath "$work/schema.json" \
  --outputDir "$work/codegen" --libraryName TimRsSpec >/dev/null
spec="$work/codegen/TimRsSpec/TimRsSpec.h"

echo "== the Objective-C++ shim against React Native's headers, old and new architecture" >&2
# React Native's headers as CocoaPods lays them out (<React/...>, <ReactCommon/...>, ...), from
# the react-native npm package; Apple's SDK headers replaced by declarations-only stand-ins
# (scripts/ios-check/sdk/); TimSession's Objective-C interface as swiftc would export it
# (scripts/ios-check/swift/, the check's one assumption, tied to TimSession.swift below).
rn=node_modules/react-native
inc="$work/include"
mkdir -p "$inc"/{React,ReactCommon,RCTRequired,RCTTypeSafety,RCTDeprecation,TimRsSpec}
find "$rn/React" -name '*.h' -exec ln -sf "$PWD/{}" "$inc/React/" \;
for dir in callinvoker/ReactCommon react/nativemodule/core/ReactCommon react/nativemodule/core/platform/ios/ReactCommon; do
  ln -sf "$PWD/$rn/ReactCommon/$dir/"*.h "$inc/ReactCommon/"
done
ln -sf "$PWD/$rn/Libraries/Required/RCTRequired.h" "$inc/RCTRequired/"
ln -sf "$PWD/$rn/Libraries/TypeSafety/"*.h "$inc/RCTTypeSafety/"
ln -sf "$PWD/$rn/ReactApple/Libraries/RCTFoundation/RCTDeprecation/Exported/RCTDeprecation.h" "$inc/RCTDeprecation/"
cp "$spec" "$inc/TimRsSpec/"

# The Swift interface the shim compiles against must be TimSession.swift's.
for declaration in '@objc public init(onEvent: @escaping @Sendable (String) -> Void)' \
  'method: String, paramsJson: String, completion: @escaping @Sendable (String) -> Void' \
  '@objc public func close()'; do
  tr -s ' \n' ' ' <ios/TimSession.swift | grep -qF "$declaration" ||
    { echo "check-ios: TimSession.swift no longer declares '$declaration': update scripts/ios-check/swift/" >&2; exit 1; }
done

# The simulator's CPU is this machine's, so glibc's and libstdc++'s headers stand in for the C
# and C++ libraries. Clang predefines __nonnull (nullability) for Apple targets; glibc's headers
# use the name as a macro of their own.
flags=(-x objective-c++ -std=c++20 -fsyntax-only -fobjc-arc -fblocks -fobjc-runtime=ios-15.1
  --target=x86_64-apple-ios15.1-simulator -U__nonnull -D_GNU_SOURCE -nostdinc++
  -isystem /usr/include/c++/12 -isystem /usr/include/x86_64-linux-gnu/c++/12
  -isystem /usr/include/x86_64-linux-gnu -isystem /usr/include
  -I scripts/ios-check/sdk -I "$inc" -I "$rn/ReactCommon" -I "$rn/ReactCommon/jsi"
  -I "$rn/Libraries/FBLazyVector" -I scripts/ios-check/swift -Wall -Wextra -Werror)
for arch in old new; do
  define=()
  [ "$arch" = new ] && define=(-DRCT_NEW_ARCH_ENABLED=1)
  clang-14 "${flags[@]}" "${define[@]}" ios/TencentImSDK.mm
  echo "   ok: TencentImSDK.mm, $arch architecture" >&2
done
echo "check-ios: all passed" >&2
