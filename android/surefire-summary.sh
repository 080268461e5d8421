#!/usr/bin/env bash
# Prints "NAME: N passed, N failed, N skipped" from Surefire XML reports (Maven -q prints no
# summary) and exits 1 when they hold a failure or no test at all.
# Usage: surefire-summary.sh NAME REPORT...
set -uo pipefail
name=$1
shift
tests=0 failed=0 skipped=0
for report in "$@"; do
    [[ -e "$report" ]] || continue
    head=$(grep -m1 -o '<testsuite [^>]*>' "$report")
    attr() { sed -E "s/.* $1=\"([0-9]+)\".*/\1/" <<<"$head"; }
    tests=$((tests + $(attr tests)))
    failed=$((failed + $(attr failures) + $(attr errors)))
    skipped=$((skipped + $(attr skipped)))
done
# On a line of its own: Maven leaves colour-reset codes without a newline even in batch mode.
printf '\n%s: %d passed, %d failed, %d skipped\n' "$name" "$((tests - failed - skipped))" "$failed" "$skipped"
if ((tests == 0)); then
    echo "$name: no test ran" >&2
    exit 1
fi
((failed == 0))
