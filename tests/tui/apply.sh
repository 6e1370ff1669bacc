#!/bin/bash
# The console's apply loop through tmux, on --demo: a one-cell matrix on web1's vda, `a` on
# its io_uring cell, confirm, the verification, and vda marked pending (web1 runs: io waits
# for a power-off); the pin editor (`p`): iothread 1 pinned to CPU 1 by typing, confirm,
# verified live and in the definition; `H` lists both applies; `u` twice undoes them and the
# original values are back. Usage: apply.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: apply.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"
export VIRT_DISKTUNE_APPLY_DIR=$work/apply

tui_keep_results_clean

start --demo
wait_for "4 domains"
keys j j j
wait_for ">web1"
expect "vda     virtio  cache=none io=native iothread=1"
expect "iothread 1:0 2:1"

# ---- a one-cell matrix, then `a` on it ------------------------------------------------------
keys Tab
wait_for ">vda"
keys b
wait_for "Bench web1 vda"
# runtime 5 → 10 → 30 → 1 s; cache none only; io io_uring only.
keys j j j j j j Space Space Space
wait_for "runtime  1 s per cell"
keys j j j j j Space j Space j Space j Space j Space j Space
wait_for "1 cell, about"
keys Enter
TIMEOUT=120 wait_for "bench done"
keys Tab
keys l l a
wait_for "Apply to web1"
wait_for "vda: io native → io_uring"
expect "at next power-off and start"
expect "+      <driver name=\"qemu\" type=\"raw\" cache=\"none\" io=\"io_uring\" iothread=\"1\"/>"
keys Enter
wait_for "ok: definition: every disk's cache, io and iothread as planned"
expect "saved the undo record $VIRT_DISKTUNE_APPLY_DIR/"
keys Escape
wait_for "pending (at next power-off and start): io=io_uring"
echo "ok: a applied the cell's io, verified, and vda is pending"

# ---- the pin editor -------------------------------------------------------------------------
keys Tab
keys p
wait_for "Iothread pins of web1"
# It opens on the suggestion (tests/tui/pins_suggest.sh); o gives the current pins.
wait_for "preselected: the suggestion"
keys o
wait_for "the domain's current pins; o: the suggestion"
expect "iothread 1        CPUs 0 "
expect "the domain runs: pins and added iothreads change now (live)"
# ? over the editor lists its keys first; Esc goes back to it.
keys '?'
wait_for "Pin editor (p):"
expect "pin the iothread to the CPU, or not"
keys Escape
wait_for "Iothread pins of web1"
# A CPU list the host lacks is refused as it is typed.
keys 9 9
wait_for "CPU 99 is not on this host"
keys BSpace BSpace
wait_gone "is not on this host"
keys 1
wait_for "iothread 1        CPUs 1 "
keys Enter
wait_for "iothread 1: pinned 0 → 1 (live and config)"
keys Enter
wait_for "ok: running domain: iothread 1 pinned to 1"
expect "ok: definition: iothread 1 pinned to 1"
keys Escape
wait_for "iothread 1:1 2:1"
echo "ok: the pin editor pinned iothread 1 to CPU 1, verified"

# ---- the history, then undo both ------------------------------------------------------------
keys H
wait_for "Apply history of web1"
expect "applied  iothread 1: pinned 0 → 1 (live and config)"
expect "applied  vda: io native → io_uring"
keys Escape
wait_gone "Apply history of web1"
keys u
wait_for "Undo the last apply on web1"
wait_for "iothread 1: pinned 1 → 0 (live and config)"
keys Enter
wait_for "ok: definition: identical to the undo record's, compared canonically (C14N)"
keys Escape
wait_for "iothread 1:0 2:1"
keys u
wait_for "vda: io io_uring → native"
keys Enter
wait_for "ok: definition: identical to the undo record's, compared canonically (C14N)"
keys Escape
wait_gone "pending ("
expect "vda     virtio  cache=none io=native iothread=1"
echo "ok: u twice: the original values are back"

# ---- a disk without an iothread on a domain that has one: i offers it -----------------------
keys k k
wait_for ">db1"
keys Tab
wait_for ">vda"
keys b
wait_for "Bench db1 vda"
wait_for "1 cell, about"
keys Enter
# The status line still says the first run's "bench done" until this one starts.
wait_gone "bench done"
TIMEOUT=120 wait_for "bench done"
keys Tab
keys a
wait_for "Apply to db1"
wait_for "disk iothread: none, as now (i: one of the domain's)"
keys i
wait_for "vda: iothread none → 1"
expect "disk iothread: 1 (i: another)"
keys Escape
wait_gone "Apply to db1"
[ "$(ls "$VIRT_DISKTUNE_APPLY_DIR" | grep -c '\.json')" = 2 ] || fail "Esc wrote an undo record"
echo "ok: i offers the domain's iothread to a disk without one; Esc changes nothing"

keys q
wait_exit
