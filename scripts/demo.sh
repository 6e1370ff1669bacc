#!/bin/bash
# The console on the built-in demo host: installs what building needs when it is missing,
# builds build-demo/ and opens `virt-disktune --demo` (no daemon, no root needed once the
# packages are there). Extra arguments are passed through to virt-disktune.
set -euo pipefail

cd "$(dirname "$0")/.."
. scripts/deps.sh
deps_install "${VDT_BUILD_PKGS[@]}" || exit 1

dir=build-demo
log=$dir.log
if [ ! -f "$dir/build.ninja" ]; then
    rm -rf "$dir"
    meson setup "$dir" >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
fi
ninja -C "$dir" tui/virt-disktune >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
rm -f "$log"
exec "$dir/tui/virt-disktune" --demo "$@"
