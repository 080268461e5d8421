#!/usr/bin/env bash
# The project's tests, as CI runs them: formatting, lints, the Rust workspace's tests (the server
# on 127.0.0.1:0 with real sockets), and the interop tests against Tencent's official signing
# libraries (installed from npm and PyPI by rust/usersig/interop/run.sh). Needs only what a fresh
# machine of this project's kind has: rustup's cargo, node and npm, python3.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n== %s\n' "$*"; }

step "toolchain"
cargo --version
for component in rustfmt clippy; do
  rustup component list --installed 2>/dev/null | grep -q "^$component" || rustup component add "$component"
done

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test"
cargo test --workspace --locked

step "interop with the official UserSig libraries"
bash rust/usersig/interop/run.sh

step "all tests passed"
