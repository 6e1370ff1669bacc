#!/bin/bash
# The console's bench in scratch mode on a disk on an LVM logical volume, through tmux: the
# mode cycles through the scratch LV's sizes (1 GiB, 4 GiB, 256 MiB) with the words that say
# what lvcreate will take; the run makes the LV with lvcreate in the disk's volume group,
# benchmarks it and removes it with lvremove; the disk is never written. LVM cannot run on
# this kernel (no device-mapper): its tools are the stand-in tests/helpers/lvm-standin.sh on
# PATH, the LVs loop devices over files written with data. Usage: scratch_lv.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: scratch_lv.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"
[ "$(id -u)" = 0 ] || vdt_skip "needs root for loop devices"

tui_keep_results_clean
. "$SRC/tests/helpers/lvm_env.sh"
DIR=$(mktemp -d /var/tmp/vdt-tui-scratch-lv-XXXXXX)
eval "$(declare -f tui_cleanup | sed '1s/tui_cleanup/tui_cleanup_results/')"
tui_cleanup() { tui_cleanup_results; lvm_env_cleanup "$DIR"; }
lvm_env_setup "$DIR" $((2 << 30)) || fail "set-up"
DISKDEV=$LVM_ENV_DISK
SUM=$LVM_ENV_SUM

start -c "test://$DIR/node.xml"
wait_for "lvdom"
keys Tab
wait_for ">vda"
keys b
wait_for "Bench lvdom vda"
# randread off, randwrite on; runtime 5 → 10 → 30 → 1 s.
keys Space j Space
wait_for "[x] randwrite"
keys j j j j j Space Space Space
wait_for "runtime  1 s per cell"
keys j Space
wait_for "mode     scratch, a new 1 GiB LV"
expect "scratch: writes go to a new 1 GiB LV (lvcreate"
keys Space
wait_for "mode     scratch, a new 4 GiB LV"
keys Space
wait_for "mode     scratch, a new 256 MiB LV"
# Cache none and io native only.
keys j j j j Space j Space j Space j Space j j Space j Space
wait_for "[ ] io=io_uring"
wait_for "1 cell, about"
: >"$DIR/lvm/log"
keys Enter
TIMEOUT=120 wait_for "bench done"
grep -q '^lvcreate --yes --name virt-disktune-scratch-[0-9]* --size 268435456b --addtag virt-disktune-scratch vg0$' "$DIR/lvm/log" ||
    fail "lvcreate's command line: $(cat "$DIR/lvm/log")"
grep -q '^lvremove --yes vg0/virt-disktune-scratch-[0-9]*$' "$DIR/lvm/log" ||
    fail "lvremove's command line: $(cat "$DIR/lvm/log")"
left=$(ls "$DIR/lvm/lvs/vg0" | grep -v '^web1$' || true)
[ -z "$left" ] || fail "a scratch LV is left: $left"
[ "$(sha256sum <"$DISKDEV")" = "$SUM" ] || fail "the disk's LV changed"
wait_for "randwrite: IOPS, higher is better"
echo "ok: the console made a 256 MiB scratch LV, benchmarked it and removed it"
keys q
wait_exit
