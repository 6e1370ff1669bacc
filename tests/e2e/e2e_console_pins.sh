#!/bin/bash
# The console's pin editor on a real libvirtd + QEMU, through tmux: open it on the running
# domain, pin iothread 1 (pinned to CPU 0) to CPU 1 by typing, confirm, see it verified in
# the dialog, and check the thread 'IO iothread1' of the QEMU process in /proc; undo from
# the console and the thread is back on CPU 0.
here=$(dirname "$0")
. "$here/lib.sh"
e2e_init
e2e_setup_standard
[ "$(nproc)" -ge 2 ] || e2e_skip "the pin test needs two CPUs"
export VIRT_DISKTUNE_APPLY_DIR=$E2E_TMP/apply

BIN=$VDT
SRC=${VDT_SRCDIR:-$(cd "$here/../.." && pwd)}
# The tmux helpers (a private server, polling waits); their clean-up runs in ours.
. "$SRC/tests/tui/lib.sh"
trap 'cleanup; e2e_cleanup' EXIT

e2e_eq "before: thread 'IO iothread1' on CPU 0" 0 "$(e2e_thread_cpus "$E2E_RUN" 1)"
start -c "$E2E_URI"
wait_for "domains"
for _ in $(seq 1 20); do
    screen | grep -qF ">$E2E_RUN " && break
    keys j
    sleep 0.2
done
wait_for ">$E2E_RUN "
keys p
wait_for "Iothread pins of $E2E_RUN"
# It opens on the suggestion when there is one; o gives the current pins.
if screen | grep -qF "preselected: the suggestion"; then
    keys o
    wait_for "the domain's current pins; o: the suggestion"
fi
wait_for "iothread 1        CPUs 0 "
keys 1
wait_for "iothread 1        CPUs 1 "
keys Enter
wait_for "iothread 1: pinned 0 → 1 (live and config)"
keys Enter
TIMEOUT=120 wait_for "ok: running domain: iothread 1 pinned to 1"
wait_for "'IO iothread1' runs on CPUs 1"
e2e_log "the dialog: $(screen | grep -o "ok: QEMU (pid [0-9]*): thread [0-9]* 'IO iothread1' runs on CPUs 1")"
e2e_eq "after the editor: thread 'IO iothread1' on CPU 1 (/proc)" 1 "$(e2e_thread_cpus "$E2E_RUN" 1)"
keys Escape
wait_for "iothread 1:1 2:1"
keys u
wait_for "iothread 1: pinned 1 → 0 (live and config)"
keys Enter
TIMEOUT=120 wait_for "ok: running domain: iothread 1 pinned to 0"
e2e_eq "after undo: thread 'IO iothread1' on CPU 0 (/proc)" 0 "$(e2e_thread_cpus "$E2E_RUN" 1)"
keys Escape
keys q
wait_exit
e2e_log "ok: the console quit with exit status 0"
