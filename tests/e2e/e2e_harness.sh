#!/bin/bash
# The harness itself: the fixture it builds is real (defined, running, iothreads pinned),
# and whatever it made is gone after a clean exit, a failure and a SIGTERM.
here=$(dirname "$0")
. "$here/lib.sh"
e2e_init

# Runs a child test that builds the standard fixture and then ends as $1 says; prints the
# child's prefix and scratch directory.
child() {
    bash -c '
        . "$1/lib.sh"
        e2e_init
        e2e_setup_standard
        echo "$E2E_PREFIX $E2E_TMP" >"$2"
        case $3 in
            pass) exit 0 ;;
            fail) e2e_fail "on purpose" ;;
            term) while :; do sleep 0.1; done ;;
        esac' child "$here" "$E2E_TMP/child-$1" "$1" >/dev/null 2>&1 &
    local pid=$!
    e2e_track_child "$pid"
    if [ "$1" = term ]; then
        # The child's set-up: two files, two loop devices, two defines and a start.
        e2e_wait_for 300 test -s "$E2E_TMP/child-$1" ||
            e2e_fail "child never finished set-up (files, loop devices, define, start) within 300 s"
        kill -TERM "$pid"
    fi
    local rc=0
    wait "$pid" || rc=$?
    echo "$rc"
}

left_behind() {
    local prefix=$1 dir=$2
    e2e_virsh list --all --name | grep -F "$prefix" || true
    losetup -a | grep -F "$dir" || true
    [ -e "$dir" ] && echo "$dir"
    return 0
}

for how in pass fail term; do
    rc=$(child $how)
    read -r prefix dir <"$E2E_TMP/child-$how" || e2e_fail "child ($how) did not set up (rc $rc)"
    case $how in
        pass) e2e_eq "exit status after a clean exit" 0 "$rc" ;;
        fail) e2e_eq "exit status after a failure" 1 "$rc" ;;
        term) e2e_eq "exit status after SIGTERM" 130 "$rc" ;;
    esac
    e2e_eq "what the harness left after '$how'" "" "$(left_behind "$prefix" "$dir")"
done

# The fixture seen through virsh: what list's tests rely on.
e2e_setup_standard
e2e_eq "state of $E2E_OFF" "shut off" "$(e2e_virsh domstate "$E2E_OFF")"
e2e_eq "iothreads of $E2E_RUN (id and pin)" "1 0,2 1" \
    "$(e2e_virsh iothreadinfo "$E2E_RUN" | awk '{print $1, $2}' | sort | paste -sd,)"
e2e_eq "loop device backing $E2E_RUN vda" "$E2E_TMP/run-vda.img" \
    "$(cat "/sys/block/${E2E_RUN_LOOP#/dev/}/loop/backing_file")"
allocated=$(( $(stat -c '%b * %B' "$E2E_TMP/run-vda.img") ))
e2e_check "backing file is written with data, not sparse ($allocated bytes)" \
    test "$allocated" -ge $((64 * 1024 * 1024))
