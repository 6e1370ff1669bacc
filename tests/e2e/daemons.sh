#!/bin/bash
# One libvirtd (and virtlogd) for the whole e2e suite, run by scripts/test.sh around it:
#   daemons.sh start DIR   sets the host up (tests/e2e/lib.sh: QEMU's user, KVM access),
#                          starts the daemons that are not running, and returns once
#                          libvirtd has probed QEMU; the pids it started are kept in DIR
#   daemons.sh stop DIR    stops those, and only those
# Every e2e test then finds libvirtd running and uses it; run alone (meson test --suite e2e)
# each test starts and stops daemons of its own instead.
here=$(dirname "$0")
. "$here/lib.sh"
set +e
cmd=${1:?usage: daemons.sh start|stop DIR}
dir=${2:?usage: daemons.sh start|stop DIR}

case $cmd in
start)
    [ "$(id -u)" -eq 0 ] || { echo "daemons.sh: not root, no daemons started"; exit 0; }
    command -v libvirtd >/dev/null || { echo "daemons.sh: libvirtd is not installed" >&2; exit 1; }
    mkdir -p "$dir"
    E2E_TMP=$dir
    (
        set -e
        e2e_start_daemons
        echo "$E2E_LIBVIRTD_PID" >"$dir/own-libvirtd"
        echo "$E2E_VIRTLOGD_PID" >"$dir/own-virtlogd"
        e2e_log "test domains will be type='$(e2e_virt_type)'"
    )
    ;;
stop)
    for d in libvirtd virtlogd; do
        [ -s "$dir/own-$d" ] || continue
        pid=$(cat "$dir/own-$d")
        e2e_stop_pid "$pid"
        e2e_log "stopped $d (pid $pid)"
    done
    rm -rf "$dir"
    ;;
*)
    echo "usage: daemons.sh start|stop DIR" >&2
    exit 2
    ;;
esac
