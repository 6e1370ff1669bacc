#!/bin/bash
# apply's question on a terminal, through tmux, on libvirt's test driver: "n" writes nothing
# (exit 0, no undo record), "y" applies and verifies; with no terminal and no --yes it is a
# usage error (tested in e2e_apply and hostile_output). Usage: apply_prompt.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: apply_prompt.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"
export VIRT_DISKTUNE_APPLY_DIR=$work/apply

start apply -c test:///default --domain test --disk vda --cache none
wait_for "apply these changes? [y/N]"
expect "vda: cache default → none"
keys n Enter
wait_for "Nothing written."
wait_exit
[ ! -e "$VIRT_DISKTUNE_APPLY_DIR" ] || fail "'n' left an undo record: $(ls "$VIRT_DISKTUNE_APPLY_DIR")"
echo "ok: 'n' writes nothing"

start apply -c test:///default --domain test --disk vda --cache none
wait_for "apply these changes? [y/N]"
keys y Enter
wait_for "ok: definition: every disk's cache, io and iothread as planned"
wait_exit
[ "$(ls "$VIRT_DISKTUNE_APPLY_DIR" | grep -c '\.json$')" = 1 ] || fail "'y' did not leave one undo record"
echo "ok: 'y' applies, verifies and records"
