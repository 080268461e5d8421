#!/usr/bin/env bash
# Interop tests of tim-usersig against Tencent's official signing libraries (npm and PyPI
# tls-sig-api-v2, pinned in package-lock.json and requirements.txt). Installs them into this
# directory (node_modules/, .venv/), builds the CLI, runs both suites; exits non-zero on any
# failure. Idempotent. Needs cargo, node + npm, python3, and the package registries.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"

echo "== building tim-usersig"
(cd "$root" && cargo build -p tim-usersig --bin tim-usersig)
target_dir="$(cd "$root" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
export TIM_USERSIG_BIN="$target_dir/debug/tim-usersig"

cd "$here"

echo "== installing the official npm library"
npm ci --no-audit --no-fund

echo "== installing the official PyPI library"
if [ -x .venv/bin/python ] || python3 -m venv .venv; then
    python=.venv/bin/python
    "$python" -m pip install --quiet --disable-pip-version-check -r requirements.txt
else
    # No venv module (e.g. Debian without python3-venv): install beside the tests instead.
    rm -rf .venv
    python3 -m pip install --quiet --disable-pip-version-check --target .venv/site -r requirements.txt
    python=python3
    export PYTHONPATH="$here/.venv/site${PYTHONPATH:+:$PYTHONPATH}"
fi

status=0
echo "== node: official.test.mjs"
node --test official.test.mjs || status=1
echo "== python: test_official.py"
"$python" -m pytest -q -p no:cacheprovider test_official.py || status=1

if [ "$status" -eq 0 ]; then echo "== interop: all passed"; else echo "== interop: FAILED"; fi
exit "$status"
