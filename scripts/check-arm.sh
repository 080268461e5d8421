#!/usr/bin/env bash
# The core's and the bridge's test suites built for 64-bit and 32-bit ARM Linux and run under
# qemu-user: ARM's weaker memory ordering in the atomics, and 32-bit `usize`, are where bugs
# that x86_64 hides show. The tests start tim-server in their own process, so it runs emulated too.
#
#   scripts/check-arm.sh [aarch64|armv7]...     default: both
#
# Under emulation everything runs several times slower. The tests run one at a time, and the one
# test whose timing emulation cannot meet is skipped: 200 clients reconnecting to a restarted
# server at once exceed its connect timeout under qemu (it runs natively in scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(aarch64 armv7)
packages=(qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross gcc-arm-linux-gnueabihf libc6-dev-armhf-cross)
if ! dpkg -s "${packages[@]}" >/dev/null 2>&1; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${packages[@]}" >/dev/null
fi

for arch in "${arches[@]}"; do
  case "$arch" in
    aarch64) target=aarch64-unknown-linux-gnu gnu=aarch64-linux-gnu qemu=qemu-aarch64 ;;
    armv7) target=armv7-unknown-linux-gnueabihf gnu=arm-linux-gnueabihf qemu=qemu-arm ;;
    *) echo "usage: $0 [aarch64|armv7]..." >&2; exit 2 ;;
  esac
  t="${target//-/_}"
  rustup target add "$target" >/dev/null 2>&1
  export "CC_$t=$gnu-gcc" "CARGO_TARGET_${t^^}_LINKER=$gnu-gcc" \
    "CARGO_TARGET_${t^^}_RUNNER=$qemu -L /usr/$gnu"
  echo "== $arch: cargo test -p tim-core -p tim-bridge under $qemu" >&2
  cargo test --locked -p tim-core -p tim-bridge --target "$target" -- --test-threads=1 \
    --skip a_killed_and_restarted_server_gets_every_client_back_exactly_once
done
