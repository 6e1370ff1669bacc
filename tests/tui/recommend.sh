#!/bin/bash
# The console's recommendation through tmux, on --demo: after a bench of web1's vda (cache
# none and writeback, io native and io_uring, 1 s), the results pane says what it
# recommends; R opens the reasons (the profile, the decision, the apply line) and moves the
# grid's cursor to the recommended cell, whose figures Enter then shows; the console's word
# is the one `virt-disktune recommend` gives. Usage: recommend.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: recommend.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"

tui_keep_results_clean

open_web1_vda
keys b
wait_for "Bench web1 vda"
# runtime 5 → 10 → 30 → 1 s; cache none and writeback, io native and io_uring.
keys j j j j j j Space Space Space
wait_for "runtime  1 s per cell"
keys j j j j j Space j j Space j Space j j Space
wait_for "[ ] io=threads"
wait_for "3 cells, about"
keys Enter
TIMEOUT=120 wait_for "bench done"
wait_for "recommended: "
line=$(screen | grep -o 'recommended: [a-z_]*/[a-z_]*' | head -1)
rec=${line#recommended: }
[[ $rec =~ ^(none|writethrough|directsync)/(native|io_uring)$ ]] ||
    fail "the recommendation '$rec' is not a cell of the run that may win (writeback is volatile)"
echo "ok: the results pane recommends $rec"

keys Tab
keys R
wait_for "Recommendation web1 vda"
expect "cache=${rec%/*} io=${rec#*/}"
expect "profile (none given"
expect "virt-disktune apply --domain web1 --disk vda --cache ${rec%/*} --io ${rec#*/}"
keys Escape
wait_gone "Recommendation web1 vda"
# The cursor is on the recommended cell: Enter shows that cell's figures.
keys Enter
wait_for "$rec randread"
keys Escape
echo "ok: R gives the reasons and puts the cursor on $rec"
keys q
wait_exit
