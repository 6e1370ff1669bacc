#!/bin/bash
# The console's cross-check through tmux, on --demo: the bench dialog's runner "both" on
# web1's vda (cache none, io native and io_uring, 1 s): the in-process run, then the same
# cells by qemu-img bench; the report opens by itself (rank correlation, a ratio per cell),
# e shows qemu-img's grid, x opens the report again. Usage: crosscheck.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: crosscheck.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"
command -v qemu-img >/dev/null || vdt_skip "qemu-img is not installed (package qemu-utils)"

tui_keep_results_clean

open_web1_vda
keys b
wait_for "Bench web1 vda"
# runtime 5 → 10 → 30 → 1 s; the runner: in-process → qemu-img → both.
keys j j j j j j Space Space Space
wait_for "runtime  1 s per cell"
keys j j j Space Space
wait_for "runner   both: cross-check"
# cache none only (the four others off), io native and io_uring (threads off).
keys j j Space j Space j Space j Space j j Space
wait_for "2 cells, run by each runner, about"
keys Enter
TIMEOUT=120 wait_for "Cross-check web1 vda"
wait_for "cross-check randread: in-process against qemu-img, 2 cells ok in both"
expect "io modes within each cache mode: "
expect "none/native"
expect "none/io_uring"
expect "ratio in-process/qemu-img: "
echo "ok: the cross-check ran both runners and its report opened"
keys Escape
wait_gone "Cross-check web1 vda"
wait_for "(x: the cross-check)"
keys Tab
keys e
wait_for "run by qemu-img bench"
keys e
wait_gone "run by qemu-img bench"
keys x
wait_for "Cross-check web1 vda"
keys Escape
wait_gone "Cross-check web1 vda"
echo "ok: e shows qemu-img's grid and back, x the report again"
keys q
