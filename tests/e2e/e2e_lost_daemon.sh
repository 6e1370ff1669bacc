#!/bin/bash
# The daemon stops mid-session: tests/e2e/lost_daemon (path in $1) loads the host, stops the
# libvirtd this harness started and loads again on the same session, which must fail with
# SESSION_ERROR_LOST and one line. Skipped when libvirtd was already running: that daemon
# is not ours to stop.
here=$(dirname "$0")
. "$here/lib.sh"
lost_daemon=${1:?usage: e2e_lost_daemon.sh PATH_TO_lost_daemon}
e2e_init
e2e_own_libvirtd || e2e_skip "libvirtd was running before the test: not stopping another's daemon"
e2e_setup_standard

pid=$E2E_LIBVIRTD_PID
e2e_check "host_load fails with SESSION_ERROR_LOST once the daemon is gone" \
    "$lost_daemon" "$E2E_URI" "$pid"
e2e_check "libvirtd $pid is stopped" eval "! e2e_pid_alive $pid"

# A daemon started again finds the running QEMU again, and list works on a new session.
e2e_start_libvirtd
e2e_eq "domstate of $E2E_RUN after the restart" running "$(e2e_virsh domstate "$E2E_RUN")"
rc=0
"$VDT" list --json -c "$E2E_URI" >"$E2E_TMP/list.json" || rc=$?
e2e_eq "list after the restart: exit status" 0 "$rc"
e2e_eq "list after the restart: $E2E_RUN state" running \
    "$(jq -r ".domains[] | select(.name == \"$E2E_RUN\") | .state" "$E2E_TMP/list.json")"
