#!/usr/bin/env bash
# Runs every fuzz target of the repo for a fixed number of executions each, and exits non-zero if
# any target finds a crash (a panic, a failed assertion, a timeout or running out of memory).
#
#   scripts/fuzz.sh [RUNS]        RUNS executions per target (default 20000)
#
# Installs cargo-fuzz 0.13 if it is missing. Works on stable Rust: RUSTC_BOOTSTRAP=1 lets
# cargo-fuzz use the nightly-only sanitizer flags. Each target starts from the seeds committed in
# rust/<crate>/fuzz/corpus-seed/<target>/ and grows rust/<crate>/fuzz/corpus/<target>/ (ignored by
# git), so later runs start from what earlier ones found. A crashing input is written to
# rust/<crate>/fuzz/artifacts/<target>/; replay it with
#   (cd rust/<crate>/fuzz && RUSTC_BOOTSTRAP=1 cargo fuzz run <target> artifacts/<target>/<file>)
set -euo pipefail

RUNS="${1:-20000}"
CARGO_FUZZ_VERSION=0.13.2
TARGETS=(
  "usersig decode"
  "protocol client_frame"
  "protocol login_headers"
  "bridge params"
  "server rest_request"
)

cd "$(dirname "$0")/.."
root="$PWD"

if ! cargo fuzz --version 2>/dev/null | grep -q '^cargo-fuzz 0\.13\.'; then
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

export RUSTC_BOOTSTRAP=1
started=$SECONDS
failed=()
for entry in "${TARGETS[@]}"; do
  read -r crate target <<<"$entry"
  dir="$root/rust/$crate/fuzz"
  log="$dir/target/fuzz-$target.log"
  mkdir -p "$dir/corpus/$target" "$dir/target"
  echo "== $crate/$target: $RUNS runs"
  build_started=$SECONDS
  (cd "$dir" && cargo fuzz build "$target") >"$log" 2>&1 || {
    cat "$log" >&2
    exit 2
  }
  run_started=$(date +%s%N)
  status=0
  (cd "$dir" && cargo fuzz run "$target" "corpus/$target" "corpus-seed/$target" -- \
    -runs="$RUNS" -timeout=10 -rss_limit_mb=2048) >"$log" 2>&1 || status=$?
  run_ms=$((($(date +%s%N) - run_started) / 1000000))
  echo "   built in $((SECONDS - build_started - run_ms / 1000)) s; ran in ${run_ms} ms," \
    "$((RUNS * 1000 / (run_ms > 0 ? run_ms : 1))) execs/s; exit $status"
  if [ "$status" -ne 0 ]; then
    failed+=("$crate/$target")
    grep -E 'panicked|ERROR: libFuzzer|SUMMARY|Test unit written|^Caused by|assertion' "$log" | head -20 || true
    echo "   full log: $log"
  fi
done

echo "== $((SECONDS - started)) s for ${#TARGETS[@]} targets"
if [ "${#failed[@]}" -ne 0 ]; then
  echo "crashed: ${failed[*]}" >&2
  exit 1
fi
echo "no crashes"
