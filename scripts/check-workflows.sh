#!/usr/bin/env bash
# Lints .github/workflows/ with actionlint (built with `go install` from the Go module proxy),
# which runs Debian's shellcheck on every `run:` script. The release workflow
# cannot run here (it needs GitHub's macOS runners and the NDK); this catches a wrong key, a bad
# expression, a runner label or a shell mistake before a release does.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v shellcheck >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck >/dev/null
fi
target_dir="$(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')"
bin="$target_dir/actionlint/v1.7.12"
# Go's own install folder when go is not on PATH.
command -v go >/dev/null || PATH="/usr/local/go/bin:$PATH"
[ -x "$bin/actionlint" ] || GOBIN="$bin" go install github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
"$bin/actionlint" -version | head -1 >&2
"$bin/actionlint" -shellcheck "$(command -v shellcheck)" .github/workflows/*.yml
echo "check-workflows: .github/workflows/*.yml clean" >&2
