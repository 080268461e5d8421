#!/usr/bin/env bash
# Builds the addon (debug), tim-server and tim-usersig, then runs the addon's node:test suite
# against the real server. Exits non-zero when a build or a test fails.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cargo build --manifest-path "$root/Cargo.toml" -p tim-server -p tim-usersig
"$here/build.sh"
node --test "$here/test/"
