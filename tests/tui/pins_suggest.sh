#!/bin/bash
# The pin editor opens on the iothread suggestion: on the demo host's mail1 (no iothread, one
# virtio disk, vdb) it preselects one new iothread and says so; o shows the domain's current
# pins (none) and back; Esc closes it with nothing applied. The demo host has this machine's
# topology, so the CPU chosen is not asserted, only what the editor shows around it.
# Usage: pins_suggest.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: pins_suggest.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"

start --demo
wait_for "4 domains"
keys j j
wait_for ">mail1"
expect "mail1, running, 1 vCPU"
expect_not "iothread=1"

keys p
wait_for "Iothread pins of mail1"
wait_for "preselected: the suggestion (1 iothread for 1 busy disk"
expect "domain's current pins"
expect "iothread 1   new"
expect "suggested: iothread 1 for vdb"
expect "vdb has no iothread now"

# o: the domain as it is (no iothread), the suggestion one key away.
keys o
wait_for "the domain's current pins; o: the suggestion (1 iothread"
expect "no iothread: + adds one"
expect_not "iothread 1   new"
expect_not "suggested: iothread 1"

# o again: the suggestion back.
keys o
wait_for "preselected: the suggestion (1 iothread"
expect "iothread 1   new"

# The help, opened from the editor, lists the key first.
keys '?'
wait_for "the suggested iothreads and pins, or the domain's current ones"
keys Escape
wait_for "Iothread pins of mail1"
keys Escape
wait_gone "Iothread pins of mail1"
expect "mail1, running, 1 vCPU"
expect_not "iothread=1"

keys q
wait_exit
echo "ok: the pin editor preselects the suggestion, o switches to the current pins and back"
