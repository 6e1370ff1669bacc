#!/bin/bash
# The daemon stops mid-session: tests/e2e/lost_daemon (path in $1) loads the host, stops the
# libvirtd this test started and loads again on the same session, which must fail with
# SESSION_ERROR_LOST and one line.
#
# The daemon it stops is its own, never the suite's or another's: the test re-runs itself in
# a private mount namespace (unshare -m) with empty tmpfs over libvirt's run directory (its
# sockets), the QEMU driver's state and its persistent domain definitions, and starts a
# virtlogd and libvirtd there. Only this test's processes see that daemon; the capability
# cache in /var/cache/libvirt is shared, so it is not probed again.
here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${E2E_PRIVATE_NS:-}" ]; then
    . "$here/../skip.sh"
    [ "$(id -u)" -eq 0 ] || vdt_skip "e2e tests need root (loop devices, libvirtd)"
    command -v unshare >/dev/null || vdt_skip "unshare is not installed"
    exec unshare --mount --propagation private env E2E_PRIVATE_NS=1 bash "$here/$(basename "$0")" "$@"
fi
for d in /run/libvirt /var/lib/libvirt/qemu /etc/libvirt/qemu; do
    mkdir -p "$d"
    mount -t tmpfs -o mode=0755 vdt-e2e-private "$d" || { echo "FAIL: cannot mount a tmpfs on $d" >&2; exit 1; }
done
E2E_OWN_DAEMONS=1
. "$here/lib.sh"
lost_daemon=${1:?usage: e2e_lost_daemon.sh PATH_TO_lost_daemon}
e2e_init
e2e_own_libvirtd || e2e_fail "the private libvirtd was not started"
e2e_setup_standard

pid=$E2E_LIBVIRTD_PID
e2e_check "host_load fails with SESSION_ERROR_LOST once the daemon is gone" \
    "$lost_daemon" "$E2E_URI" "$pid"
e2e_check "libvirtd $pid is stopped" eval "! e2e_pid_alive $pid"

# A daemon started again finds the running QEMU again, and list works on a new session.
e2e_start_libvirtd

# apply, with libvirtd stopped between the undo record and the define (the libvirt fault
# shim stops it): one clear line, exit 1, the record already safe, the definition untouched.
shim=${VDT_BUILDDIR:?}/tests/libvdt_libvirt_faults.so
[ -f "$shim" ] || e2e_fail "the libvirt fault shim is not built: $shim"
export VIRT_DISKTUNE_APPLY_DIR=$E2E_TMP/apply
before=$(e2e_virsh dumpxml --inactive --security-info "$E2E_OFF" | xmllint --c14n -)
rc=0
LD_PRELOAD=$shim VDT_SHIM_STOP_BEFORE_DEFINE=$E2E_LIBVIRTD_PID "$VDT" apply -c "$E2E_URI" \
    --domain "$E2E_OFF" --disk vdb --cache none --yes >"$E2E_TMP/apply.out" 2>"$E2E_TMP/apply.err" || rc=$?
e2e_log "   $(cat "$E2E_TMP/apply.err")"
e2e_eq "apply with libvirtd stopped before the define: exit status" 1 "$rc"
e2e_eq "  one line on stderr" 1 "$(wc -l <"$E2E_TMP/apply.err")"
e2e_check "  it says the connection was lost" grep -q "connection lost" "$E2E_TMP/apply.err"
e2e_eq "  the undo record was already saved" 1 "$(ls "$VIRT_DISKTUNE_APPLY_DIR" | grep -c '\.json$')"
e2e_check "  the output named the record" grep -q "saved the undo record $VIRT_DISKTUNE_APPLY_DIR/" "$E2E_TMP/apply.out"
e2e_start_libvirtd
e2e_eq "  the definition is untouched (C14N)" "$before" \
    "$(e2e_virsh dumpxml --inactive --security-info "$E2E_OFF" | xmllint --c14n -)"
e2e_eq "domstate of $E2E_RUN after the restart" running "$(e2e_virsh domstate "$E2E_RUN")"
rc=0
"$VDT" list --json -c "$E2E_URI" >"$E2E_TMP/list.json" || rc=$?
e2e_eq "list after the restart: exit status" 0 "$rc"
e2e_eq "list after the restart: $E2E_RUN state" running \
    "$(jq -r ".domains[] | select(.name == \"$E2E_RUN\") | .state" "$E2E_TMP/list.json")"
