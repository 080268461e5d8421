#!/usr/bin/env bash
# Runs a slow check only when its inputs changed since it last passed.
#
#   scripts/stamped.sh NAME PATH... -- COMMAND...
#
# The inputs are the files git tracks under PATH... (their content as it is in the work tree,
# committed or not). `.ci/stamps/NAME` holds the hash of the inputs the check last passed on:
#   - equal to the inputs' hash now: the check is skipped, and says so with the hash;
#   - different, or missing: the check runs; when it passes, it writes the new hash there, to be
#     committed with the change. A failure leaves the stamp as it was.
# So a changed input never goes unchecked: at worst CI runs the check itself (when the stamp was
# not committed). What the hash does not cover: the Rust toolchain's version and the machine's
# packages; a new toolchain is checked when the inputs next change.
set -euo pipefail
cd "$(dirname "$0")/.."

name="$1"
shift
inputs=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do
  inputs+=("$1")
  shift
done
if [ "${1:-}" != -- ] || [ $# -lt 2 ] || [ ${#inputs[@]} -eq 0 ]; then
  echo "usage: $0 NAME PATH... -- COMMAND..." >&2
  exit 2
fi
shift

stamp=".ci/stamps/$name"
# Path and content hash of every tracked input, in git's order: any edit, addition, removal or
# rename changes it.
hash="$(git ls-files -z -- "${inputs[@]}" |
  while IFS= read -r -d '' file; do
    [ -f "$file" ] && printf '%s %s\n' "$(git hash-object -- "$file")" "$file"
  done | sha256sum | cut -d' ' -f1)"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ]; then
  echo "stamped: SKIPPED $name: its inputs (${inputs[*]}) are unchanged since it passed (inputs hash $hash in $stamp)" >&2
  exit 0
fi
echo "stamped: running $name: inputs hash $hash, ${stamp} has $(cat "$stamp" 2>/dev/null || echo none)" >&2
"$@"
mkdir -p "$(dirname "$stamp")"
echo "$hash" >"$stamp"
echo "stamped: $name passed; wrote $stamp (commit it with the change)" >&2
