#!/usr/bin/env bash
# The FFI benchmark: the cost of one `getLoginStatus` call through the UniFFI Python bindings
# (N sequential awaits after a login, N=20000 by default) against the release library, and the
# size of that library stripped. Prints one JSON line per measure; the size of the iOS static
# library comes from scripts/check-mobile.sh.
#
# Environment: CALLS (default 20000), PROFILE (Cargo profile of the library, default release).
set -euo pipefail
cd "$(dirname "$0")/.."

profile="${PROFILE:-release}"
bindings="$(scripts/gen-bindings.sh)"
target_dir="$(dirname "$bindings")"
echo "== building tim-server, tim-usersig and the tim-ffi library ($profile)" >&2
cargo build --locked --release -p tim-server -p tim-usersig >&2
cargo build --locked --profile "$profile" -p tim-ffi --lib >&2
case "$profile" in dev) dir=debug ;; *) dir="$profile" ;; esac
lib="$target_dir/$dir/libtim_ffi.so"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp "$bindings/python/tim_ffi.py" "$lib" "$work/"
strip -o "$work/stripped.so" "$lib"
echo "{\"library\": \"$lib\", \"bytes\": $(stat -c %s "$lib"), \"stripped_bytes\": $(stat -c %s "$work/stripped.so")}"

echo "== getLoginStatus through UniFFI Python, ${CALLS:-20000} sequential awaits" >&2
TIM_SERVER_BIN="$target_dir/release/tim-server" TIM_USERSIG_BIN="$target_dir/release/tim-usersig" \
  RUST_LOG=warn PYTHONPATH="$work:rust/ffi/tests/python" \
  python3 rust/ffi/tests/python/bench_call.py "${CALLS:-20000}"
