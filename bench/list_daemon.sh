#!/bin/bash
# Listing speed on a real libvirtd: N defined, shut-off domains (one file disk each),
# `virt-disktune list -c qemu:///system --json` against `virsh list --all` on the same
# daemon, R alternating rounds; prints each one's median and the median per-round ratio,
# and list's peak RSS. As root; starts virtlogd and libvirtd when none runs (as the e2e
# suite does, tests/e2e/daemons.sh) and stops only those; defines and undefines its own
# domains (vdt-bench-*), so nothing is left.
#   bench/list_daemon.sh [-b BUILDDIR] [-n DOMAINS] [-r ROUNDS]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. bench/daemon_args.sh "$@"
. bench/daemon_host.sh


seconds virsh -c "$uri" list --all >/dev/null   # warm both once
seconds "$vdt" list -c "$uri" --json >/dev/null
: >"$work/virsh" ; : >"$work/vdt"; : >"$work/ratio"
for r in $(seq 1 "$rounds"); do
    a=$(seconds virsh -c "$uri" list --all) || exit 1
    b=$(seconds "$vdt" list -c "$uri" --json) || exit 1
    echo "$a" >>"$work/virsh"
    echo "$b" >>"$work/vdt"
    awk -v a="$a" -v b="$b" 'BEGIN { print b / a }' >>"$work/ratio"
    printf 'round %d: virsh %.3f s, list --json %.3f s\n' "$r" "$a" "$b"
done
[ -x /usr/bin/time ] || { echo "peak RSS needs /usr/bin/time (Debian package time)" >&2; exit 1; }
rss=$( { /usr/bin/time -f '%M' "$vdt" list -c "$uri" --json >/dev/null; } 2>&1 | tail -1)
printf 'median: virsh list --all %.3f s, virt-disktune list --json %.3f s, ratio %.2f (range %.2f-%.2f), peak RSS %.1f MiB (%d domains)\n' \
    "$(median <"$work/virsh")" "$(median <"$work/vdt")" "$(median <"$work/ratio")" \
    "$(sort -g "$work/ratio" | head -1)" "$(sort -g "$work/ratio" | tail -1)" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')" "$n"
