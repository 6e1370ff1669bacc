#!/bin/bash
# bench --mode scratch on a domain's disk on an LVM logical volume: a scratch LV in the same
# volume group, made with lvcreate only at the size --scratch-size names, removed with
# lvremove at the end, after a failure, and, when a run was killed, by `recover`; never an
# LV this program did not make. This kernel has no device-mapper, so LVM cannot run: LVM's
# tools are a stand-in on PATH (tests/helpers/lvm-standin.sh) that logs the command lines,
# and the LVs are loop devices over files written with data.
# Usage: scratch_lv.sh PATH-TO-virt-disktune
set -u
VDT=${1:?usage: scratch_lv.sh PATH-TO-virt-disktune}
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../skip.sh"
[ "$(id -u)" = 0 ] || vdt_skip "needs root for loop devices"

. "$HERE/../helpers/lvm_env.sh"
DIR=$(mktemp -d /var/tmp/vdt-scratch-lv-XXXXXX)
FAILS=0
BG=
cleanup() {
    [ -n "$BG" ] && kill -9 "$BG" 2>/dev/null
    lvm_env_cleanup "$DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# The domain's disk: LV vg0/web1 on a loop device; 256 MiB free in vg0.
lvm_env_setup "$DIR" $((256 << 20)) || { echo "FAIL: set-up"; exit 1; }
STANDIN=("$LVM_STANDIN")
DISKDEV=$LVM_ENV_DISK
SUM=$LVM_ENV_SUM
C=(-c "test://$DIR/node.xml" --domain lvdom --disk vda --mode scratch)
QUICK=(--runtime 0.2 --ramp 0 --cache none --io native --workload randwrite)

# run STATUS DESCRIPTION ARGS...: bench, its exit status checked.
run() {
    local want=$1 what=$2
    shift 2
    : >"$DIR/lvm/log"
    "$VDT" bench "$@" >"$DIR/out" 2>"$DIR/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$what: exit $got, expected $want: $(head -c 400 "$DIR/err")"
        return 1
    fi
    echo "ok: $what (exit $got)"
}
no_scratch_left() {
    local left
    left=$(ls "$DIR/lvm/lvs/vg0" | grep -v '^web1$')
    [ -z "$left" ] || fail "$1: a scratch LV is left: $left"
    [ -z "$(ls "$DIR/journals")" ] || fail "$1: a marker is left: $(ls "$DIR/journals")"
    [ "$(losetup -j "$DIR/lvm/vg0-virt-disktune-scratch-$2.img" 2>/dev/null)" = "" ] ||
        fail "$1: the scratch LV's loop device is left"
    [ "$(sha256sum <"$DISKDEV")" = "$SUM" ] || fail "$1: the domain's LV changed"
}

# ---- no size named: nothing is made ----
if run 2 "an LV-backed disk without --scratch-size" "${C[@]}" "${QUICK[@]}"; then
    grep -q "disk vda of lvdom is LV vg0/web1: .*--scratch-size SIZE" "$DIR/err" ||
        fail "no size: the message: $(cat "$DIR/err")"
    grep -q '^lvcreate' "$DIR/lvm/log" && fail "no size: lvcreate ran"
fi

# ---- a run: lvcreate in vg0, the cell on the new LV, lvremove ----
"$VDT" bench "${C[@]}" "${QUICK[@]}" --scratch-size 20M --json >"$DIR/out" 2>"$DIR/err" &
BG=$!
wait "$BG"
status=$?
PID=$BG
BG=
if [ "$status" = 0 ]; then
    echo "ok: a scratch LV run (exit 0)"
    want_create="lvcreate --yes --name virt-disktune-scratch-$PID --size 20971520b --addtag virt-disktune-scratch vg0"
    grep -qxF -- "$want_create" "$DIR/lvm/log" || fail "lvcreate's command line: $(cat "$DIR/lvm/log")"
    grep -qxF -- "lvremove --yes vg0/virt-disktune-scratch-$PID" "$DIR/lvm/log" ||
        fail "lvremove's command line: $(cat "$DIR/lvm/log")"
    grep -q "notice: scratch LV vg0/virt-disktune-scratch-$PID (20 MiB, lvcreate'd in the volume group of vg0/web1" "$DIR/err" ||
        fail "no notice naming the scratch LV: $(cat "$DIR/err")"
    jq -e --arg t "$DIR/dev/vg0/virt-disktune-scratch-$PID" \
        '.[0].status == "ok" and .[0].target == $t and .[0].domain == "lvdom" and .[0].ops > 0' \
        "$DIR/out" >/dev/null || fail "scratch LV JSON: $(head -c 600 "$DIR/out")"
    no_scratch_left "after a run" "$PID"
else
    fail "a scratch LV run: exit $status: $(cat "$DIR/err")"
fi

# ---- the VG lacks the room: lvcreate's complaint, nothing made ----
if run 1 "a scratch LV larger than the VG's free space" "${C[@]}" "${QUICK[@]}" --scratch-size 1G; then
    grep -q "cannot create the scratch LV vg0/virt-disktune-scratch-[0-9]*: Volume group \"vg0\" has insufficient free space" "$DIR/err" ||
        fail "no room: the message: $(cat "$DIR/err")"
    no_scratch_left "no room" x
fi

# ---- usage ----
run 2 "--scratch-size with --target" -c "test://$DIR/node.xml" --target "$DIR/new.img" \
    --mode scratch "${QUICK[@]}" --scratch-size 8M
run 2 "--scratch-size below 1M" "${C[@]}" "${QUICK[@]}" --scratch-size 4k
run 2 "--span beyond --scratch-size" "${C[@]}" "${QUICK[@]}" --scratch-size 8M --span 16M

# ---- a block device that is no LV: refused, nothing made ----
sed "s|$DIR/dev/vg0/web1|$DISKDEV|" "$DIR/node.xml" >"$DIR/node-plain.xml"
if run 3 "a plain block device" -c "test://$DIR/node-plain.xml" --domain lvdom --disk vda \
        --mode scratch "${QUICK[@]}" --scratch-size 8M; then
    grep -q "needs a scratch LV in the disk's LVM volume group, but $DISKDEV: not an LVM logical volume" "$DIR/err" ||
        fail "plain block device: the message: $(cat "$DIR/err")"
    grep -q '^lvcreate' "$DIR/lvm/log" && fail "plain block device: lvcreate ran"
fi

# ---- kill -9 mid-run: recover removes the LV the killed run made ----
# wait_created PID: until the killed run's scratch LV has its record (no deadline asserted).
wait_created() {
    local i
    for i in $(seq 600); do
        [ -e "$DIR/journals/scratchlv-$1-vg0.marker" ] && return 0
        sleep 0.05
    done
    return 1
}
# killed_run: a long scratch-LV run in the background, killed with -9 once its LV is made
# and recorded; KILLED: its pid. false when the LV was never made.
killed_run() {
    : >"$DIR/lvm/log"
    "$VDT" bench "${C[@]}" --runtime 600 --ramp 0 --cache none --io native --workload randwrite \
        --scratch-size 16M >/dev/null 2>"$DIR/err" &
    BG=$!
    wait_created "$BG" || return 1
    kill -9 "$BG"
    wait "$BG" 2>/dev/null
    KILLED=$BG
    BG=
}
if killed_run; then
    [ -f "$DIR/lvm/lvs/vg0/virt-disktune-scratch-$KILLED" ] || fail "kill -9: no LV to recover"
    "$VDT" recover >"$DIR/rec" 2>&1
    rc=$?
    [ "$rc" = 0 ] || fail "recover after kill -9: exit $rc"
    grep -q "scratch: removed the scratch LV vg0/virt-disktune-scratch-$KILLED that a killed run (pid $KILLED) left" "$DIR/rec" ||
        fail "recover after kill -9 (exit $rc): $(cat "$DIR/rec")"
    no_scratch_left "kill -9, recover" "$KILLED"
    echo "ok: kill -9 mid-run, recover removed the scratch LV"
else
    fail "kill -9: the scratch LV was never made: $(cat "$DIR/err")"
fi

# ---- an LV under the marker's name that this program did not make: left alone ----
if killed_run; then
    # Somebody removes it and makes their own LV under that name.
    "${STANDIN[@]}" lvremove --yes "vg0/virt-disktune-scratch-$KILLED" >/dev/null
    "${STANDIN[@]}" lvcreate --yes --name "virt-disktune-scratch-$KILLED" --size 8388608b \
        --addtag theirs vg0 >/dev/null
    : >"$DIR/lvm/log"
    "$VDT" recover >"$DIR/rec" 2>&1
    grep -q "virt-disktune-scratch-$KILLED is not the scratch LV this program made .*left alone" "$DIR/rec" ||
        fail "another LV under the name: recover said: $(cat "$DIR/rec")"
    grep -q '^lvremove' "$DIR/lvm/log" && fail "another LV under the name: lvremove ran"
    [ -f "$DIR/lvm/lvs/vg0/virt-disktune-scratch-$KILLED" ] || fail "another LV under the name: removed"
    # Said once: the record of an LV that is not ours is dropped.
    [ -z "$(ls "$DIR/journals")" ] || fail "another LV under the name: its record stays: $(ls "$DIR/journals")"
    echo "ok: an LV this program did not make is left alone"
    "${STANDIN[@]}" lvremove --yes "vg0/virt-disktune-scratch-$KILLED" >/dev/null
else
    fail "uuid check: the scratch LV was never made: $(cat "$DIR/err")"
fi

# ---- a record naming an LV that no run of its pid would have made: left alone ----
"${STANDIN[@]}" lvcreate --yes --name precious --size 4194304b --addtag virt-disktune-scratch vg0 >/dev/null
read -r uuid _ <"$DIR/lvm/lvs/vg0/precious"
printf '99999999\nvg0\nprecious\n%s\n' "$uuid" >"$DIR/journals/scratchlv-99999999-vg0.marker"
: >"$DIR/lvm/log"
"$VDT" recover >"$DIR/rec" 2>&1
if grep -q "a scratch record naming vg0/precious, which is not the name a run of pid 99999999 gives its LV: left alone" "$DIR/rec" &&
   [ -f "$DIR/lvm/lvs/vg0/precious" ] && ! grep -q '^lvremove' "$DIR/lvm/log"; then
    echo "ok: a record naming another LV is not followed"
else
    fail "a planted record: $(cat "$DIR/rec"); $(cat "$DIR/lvm/log")"
fi
"${STANDIN[@]}" lvremove --yes vg0/precious >/dev/null

[ "$(sha256sum <"$DISKDEV")" = "$SUM" ] || fail "the domain's LV changed"
echo "$FAILS failure(s)"
[ "$FAILS" = 0 ]
