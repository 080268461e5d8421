#!/usr/bin/env bash
# Checks the example app as far as a machine without Android SDK or Xcode can: installs its
# dependencies (npm ci), typechecks it against the package's published types, and bundles its
# JavaScript with Metro for Android and iOS, release mode, as the native builds would. Then checks
# that each bundle holds the package's real code (not a stub) and one copy of react-native only.
#
#   example/bundle.sh            bundles into a temporary folder, removed at the end
#   BUNDLE_OUT=dir example/bundle.sh   keeps the bundles, assets and source maps in dir
#
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")"
example=$PWD
root=$(cd .. && pwd)

step() { printf '== %s\n' "$*"; }
seconds() { echo $(($(date +%s) - $1)); }

# 1. Dependencies, exactly as locked. npm ci wipes node_modules first, so it runs only when the
# lock changed since the last run here (the stamp is inside node_modules, so a wipe resets it).
stamp=node_modules/.bundle-sh-lock
if [[ -f $stamp ]] && cmp -s package-lock.json "$stamp"; then
  step "dependencies: up to date with package-lock.json"
else
  step "dependencies: npm ci"
  npm ci --no-audit --no-fund
  cp package-lock.json "$stamp"
fi

# 2. The package's built JavaScript and types (lib/, not in git): what an app installed from npm
# bundles and typechecks against. Built with the package's own TypeScript setup when missing or older
# than its sources; this is the TypeScript half of `npm run build` in the root (no Rust).
if [[ ! -f $root/lib/index.d.ts ]] ||
  [[ -n $(find "$root/js" -name '*.ts' -not -path '*/__tests__/*' -newer "$root/lib/index.d.ts") ]]; then
  step "package types: building lib/ in $root"
  if [[ ! -x $root/node_modules/.bin/tsc ]]; then
    (cd "$root" && npm ci --no-audit --no-fund)
  fi
  (cd "$root" && node_modules/.bin/tsc -p tsconfig.build.json)
fi

step "typecheck: tsc --noEmit"
npx tsc --noEmit

# 3. The bundles.
if [[ -n ${BUNDLE_OUT:-} ]]; then
  out=$(mkdir -p "$BUNDLE_OUT" && cd "$BUNDLE_OUT" && pwd)
else
  out=$(mktemp -d)
  trap 'rm -rf "$out"' EXIT
fi

for platform in android ios; do
  bundle=$out/index.$platform.bundle
  log=$out/metro-$platform.log
  step "bundle: $platform"
  start=$(date +%s)
  if ! npx react-native bundle --platform "$platform" --dev false --entry-file index.js \
    --bundle-output "$bundle" --assets-dest "$out/assets-$platform" \
    --sourcemap-output "$bundle.map" >"$log" 2>&1; then
    cat "$log"
    echo "bundle.sh: Metro failed for $platform" >&2
    exit 1
  fi
  printf '   %s: %s bytes in %ss\n' "${bundle#"$out"/}" "$(wc -c <"$bundle" | tr -d ' ')" "$(seconds "$start")"

  # The package's code is in the bundle: its plugin object and its own error text.
  for needle in 'TencentImSDKPlugin' 'the native module TencentImSDK is not in this app'; do
    if ! grep -qF "$needle" "$bundle"; then
      echo "bundle.sh: $platform bundle lacks \"$needle\": the package was not bundled" >&2
      exit 1
    fi
  done

  # Where its modules came from (source map): the package's built lib/ (its "exports" for React
  # Native, through node_modules' symlink), and no module from the root's node_modules (a second
  # react-native would break at run time).
  node - "$bundle.map" "$root" "$example" <<'EOF'
const [map, root, example] = process.argv.slice(2);
const sources = JSON.parse(require("fs").readFileSync(map, "utf8")).sources;
const fromPackage = sources.filter((s) => s.startsWith(`${root}/lib/`));
const fromRootModules = sources.filter((s) => s.startsWith(`${root}/node_modules/`));
const reactNatives = new Set(
  sources.map((s) => s.match(/^(.*\/node_modules\/react-native)\/Libraries\//)?.[1]).filter(Boolean),
);
const problems = [];
if (!fromPackage.some((s) => s.endsWith('/V2TIMManager.js'))) problems.push('no module from the package lib/');
if (fromRootModules.length > 0) problems.push(`modules from ${root}/node_modules: ${fromRootModules.slice(0, 3)}`);
if (reactNatives.size !== 1 || ![...reactNatives][0].startsWith(`${example}/node_modules/`)) {
  problems.push(`react-native copies: ${[...reactNatives]}`);
}
if (problems.length > 0) {
  console.error(`bundle.sh: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`   ${sources.length} modules; ${fromPackage.length} from the package: ${fromPackage.map((s) => s.slice(root.length + 1)).join(', ')}`);
EOF
done

step "ok: both bundles contain react-native-tim-rs${BUNDLE_OUT:+ (kept in $out)}"
