#!/usr/bin/env bash
# What a machine without Xcode can check of the iOS module:
#   1. the hand-written Swift (ios/TimSession.swift) parses (tree-sitter's Swift grammar);
#   2. the generated Swift bindings (ios/Generated/tim_ffi.swift) carry the UniFFI contract
#      version and API checksums of the library built from this tree, so the bindings' own check
#      at an app's first call cannot end in fatalError;
#   3. React Native's codegen makes the iOS spec (TimRsSpec.h) from js/, with the selector the
#      Objective-C++ shim implements.
# The iOS static library itself is built by scripts/check-mobile.sh. Installs tree-sitter from
# PyPI into a virtualenv under the target folder.
set -euo pipefail
cd "$(dirname "$0")/.."

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
# The shim's RCT_EXPORT_METHOD must be the spec's selector, call:paramsJson:resolve:reject:.
selector() { tr -s ' \n' ' ' <"$1" | grep -oE "$2" | head -1; }
spec_call="$(selector "$spec" '\(void\)call:\(NSString \*\)method paramsJson:\(NSString \*\)paramsJson resolve:\(RCTPromiseResolveBlock\)resolve reject:\(RCTPromiseRejectBlock\)reject')"
shim_call="$(selector ios/TencentImSDK.mm 'call:\(NSString \*\)method paramsJson:\(NSString \*\)paramsJson resolve:\(RCTPromiseResolveBlock\)resolve reject:\(RCTPromiseRejectBlock\)reject')"
if [ -z "$spec_call" ] || [ -z "$shim_call" ]; then
  echo "check-ios: the shim's call selector does not match the codegen spec:" >&2
  grep -A4 'call:' "$spec" >&2
  exit 1
fi
echo "check-ios: all passed" >&2
