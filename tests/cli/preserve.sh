#!/bin/bash
# bench --mode preserve and recover from the outside, on real files in /var/tmp and a tiny
# tmpfs: a run leaves the target's bytes as they were (SHA-256); kill -9 in the write phase
# leaves a journal that `recover` replays, and that any later command replays on its own;
# kill -9 during the replay, then again: the same bytes; a full journal filesystem refuses
# before the first write; kill -9 during the restore after a cell; EIO and ENOSPC from the journal's fdatasync mid-run stop the writing
# with the target as it was; a journal whose target was replaced is never applied; while a run
# holds an image, QEMU cannot open it for writing; a scratch file a killed run left is removed
# at the next start (and another file at its path is not). Usage: preserve.sh PATH-TO-virt-disktune
set -u
VDT=${1:?usage: preserve.sh PATH-TO-virt-disktune}
. "$(dirname "$0")/../skip.sh"
[ "$(id -u)" -eq 0 ] || vdt_skip "needs root (a tmpfs mount)"
for tool in sha256sum mount; do
    command -v "$tool" >/dev/null || vdt_skip "$tool is not installed"
done
DIR=$(mktemp -d /var/tmp/vdt-preserve-XXXXXX)
export VIRT_DISKTUNE_JOURNAL_DIR=$DIR/journals
FAILS=0
BG=
MNT=
cleanup() {
    [ -n "$BG" ] && kill -9 "$BG" 2>/dev/null && wait "$BG" 2>/dev/null
    [ -n "$MNT" ] && umount "$MNT"
    rm -rf "$DIR"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
sum() { sha256sum <"$1" | cut -d' ' -f1; }
T=$DIR/disk.img
dd if=/dev/urandom of="$T" bs=1M count=64 status=none conv=fsync
ORIG=$(sum "$T")
TV=(-c test:///default)
PRES=(bench "${TV[@]}" --target "$T" --mode preserve --journal-limit 32M --ramp 0)
# The fault shim (tests/shim/faults.c) under a program: slow or failing libc I/O.
SHIM=${VDT_BUILDDIR:?run from meson test}/tests/libvdt_faults.so
shim() {
    LD_PRELOAD=$SHIM ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" "$@"
}

# ---- a run: the target's bytes as they were -------------------------------------------------
"$VDT" "${PRES[@]}" --workload randwrite,syncwrite --cache none,writeback --io io_uring,threads \
    --runtime 0.3 --json >"$DIR/out.json" 2>"$DIR/err" || fail "preserve run: exit $? ($(tail -2 "$DIR/err"))"
if [ "$(jq '[.[] | select(.status == "ok")] | length' "$DIR/out.json")" = 8 ] && [ "$(sum "$T")" = "$ORIG" ] &&
   [ -z "$(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")" ]; then
    ok "8 writing cells in preserve mode; the target's SHA-256 unchanged, no journal left"
else
    fail "preserve run: $(jq -c '[.[] | {cache, io, workload, status, reason}]' "$DIR/out.json"); sum $(sum "$T")"
fi
grep -q "notice: preserve: each writing cell writes the first 32 MiB" "$DIR/err" ||
    fail "no notice of what preserve mode does: $(cat "$DIR/err")"

# kill_in_write_phase: a long randwrite cell, killed once its journal is there and it writes.
kill_in_write_phase() {
    "$VDT" "${PRES[@]}" --workload randwrite --cache writeback --io io_uring --runtime 30 \
        >/dev/null 2>"$DIR/bg.err" &
    BG=$!
    for _ in $(seq 1 200); do
        ls "$VIRT_DISKTUNE_JOURNAL_DIR"/*.journal >/dev/null 2>&1 && [ "$(sum "$T")" != "$ORIG" ] && break
        sleep 0.1
    done
    kill -9 "$BG"
    wait "$BG" 2>/dev/null
    BG=
}

# ---- kill -9 while writing, then recover ------------------------------------------------------
kill_in_write_phase
if [ "$(sum "$T")" = "$ORIG" ] || ! ls "$VIRT_DISKTUNE_JOURNAL_DIR"/*.journal >/dev/null 2>&1; then
    fail "kill -9: expected a changed target and a journal ($(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR"))"
else
    ok "kill -9 in the write phase: the target changed, a journal is left"
fi
"$VDT" recover "${TV[@]}" >"$DIR/rec.out" 2>"$DIR/rec.err"
st=$?
if [ "$st" = 0 ] && grep -q "^restored: " "$DIR/rec.out" && [ "$(sum "$T")" = "$ORIG" ] &&
   [ -z "$(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")" ]; then
    ok "recover: $(head -1 "$DIR/rec.out"); SHA-256 as before"
else
    fail "recover: exit $st: $(cat "$DIR/rec.out" "$DIR/rec.err")"
fi
"$VDT" recover "${TV[@]}" >"$DIR/rec.out" 2>&1 && grep -q "no journal to replay" "$DIR/rec.out" ||
    fail "recover with nothing to do: $(cat "$DIR/rec.out")"

# ---- any later command replays on its own ------------------------------------------------------
kill_in_write_phase
"$VDT" list "${TV[@]}" >/dev/null 2>"$DIR/list.err"
if grep -q "preserve: .*restored from the journal" "$DIR/list.err" && [ "$(sum "$T")" = "$ORIG" ]; then
    ok "list replayed the journal at its start: $(head -1 "$DIR/list.err")"
else
    fail "list did not replay: $(cat "$DIR/list.err")"
fi

# ---- kill -9 during the replay, then again -----------------------------------------------------
kill_in_write_phase
"$VDT" recover "${TV[@]}" >/dev/null 2>&1 &
REC=$!
sleep 0.05
kill -9 "$REC" 2>/dev/null
wait "$REC" 2>/dev/null
"$VDT" recover "${TV[@]}" >"$DIR/rec.out" 2>&1
if [ "$(sum "$T")" = "$ORIG" ] && [ -z "$(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")" ]; then
    ok "recover killed and run again: SHA-256 as before ($(head -1 "$DIR/rec.out"))"
else
    fail "after a killed recover: $(cat "$DIR/rec.out")"
fi

# ---- kill -9 while the run restores a cell's bytes, then recover -------------------------------
# The fault shim makes every libc pread/pwrite take 0.2 s (and logs it first): the journal's
# saving and the restore after the cell (libc calls, the write-back in 1 MiB pieces) become
# seconds long, while the cell's own writes (io_uring, 0.3 s) are not slowed. The run is
# killed once the restore has written the first 16 MiB region back and starts on the second
# (its first MiB at offset 16 MiB of the target; the journal's own writes are at other
# offsets), so the target is half restored.
# (env, not the shim function: $! must be the program's pid, for the kill.)
rm -f "$DIR/restore.log"
env VDT_SHIM_LOG="$DIR/restore.log" VDT_SHIM_DELAY_US=200000 LD_PRELOAD="$SHIM" \
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
    "$VDT" "${PRES[@]}" --workload randwrite --cache none --io io_uring --runtime 0.3 \
    >/dev/null 2>"$DIR/bg.err" &
BG=$!
mid=
for _ in $(seq 1 1200); do
    grep -qx "pwrite 16777216 1048576" "$DIR/restore.log" 2>/dev/null && { mid=yes; break; }
    kill -0 "$BG" 2>/dev/null || break
    sleep 0.05
done
kill -9 "$BG" 2>/dev/null
wait "$BG" 2>/dev/null
BG=
if [ -z "$mid" ] || ! ls "$VIRT_DISKTUNE_JOURNAL_DIR"/*.journal >/dev/null 2>&1 ||
   [ "$(sum "$T")" = "$ORIG" ]; then
    fail "kill -9 during the restore: not killed half-way ($(cat "$DIR/bg.err"); $(grep -c . "$DIR/restore.log") shim lines)"
else
    "$VDT" recover "${TV[@]}" >"$DIR/rec.out" 2>&1
    st=$?
    if [ "$st" = 0 ] && [ "$(sum "$T")" = "$ORIG" ] && [ -z "$(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")" ]; then
        ok "kill -9 half-way through the restore after a cell, then recover: SHA-256 as before"
    else
        fail "kill -9 during the restore: recover exit $st: $(cat "$DIR/rec.out")"
    fi
fi

# ---- a journal whose target was replaced: never applied ----------------------------------------
kill_in_write_phase
cp "$T" "$DIR/changed.img"
dd if=/dev/urandom of="$DIR/other.img" bs=1M count=64 status=none
OTHER=$(sum "$DIR/other.img")
mv "$T" "$DIR/changed.img"
mv "$DIR/other.img" "$T"
"$VDT" recover "${TV[@]}" >"$DIR/rec.out" 2>&1
st=$?
if [ "$st" = 3 ] && grep -q "is not the target the journal was written for" "$DIR/rec.out" &&
   [ "$(sum "$T")" = "$OTHER" ] && ls "$VIRT_DISKTUNE_JOURNAL_DIR"/*.journal >/dev/null 2>&1; then
    ok "a replaced target: refused (exit 3), untouched, the journal kept"
else
    fail "replaced target: exit $st: $(cat "$DIR/rec.out")"
fi
# The console shows the journal that waits in a banner (and leaves it alone).
if command -v tmux >/dev/null; then
    SOCK=vdt-preserve-$$
    tmux -L "$SOCK" new-session -d -x 160 -y 30 -s vdt \
        "VIRT_DISKTUNE_JOURNAL_DIR=$VIRT_DISKTUNE_JOURNAL_DIR $VDT --demo"
    seen=
    for _ in $(seq 1 100); do
        tmux -L "$SOCK" capture-pane -p -t vdt 2>/dev/null | grep -q "PRESERVE JOURNAL WAITS (1)" &&
            { seen=yes; break; }
        sleep 0.1
    done
    tmux -L "$SOCK" kill-server 2>/dev/null
    [ -n "$seen" ] && ok "the console shows the waiting journal in a banner" ||
        fail "no banner for the waiting journal in the console"
fi
mv "$DIR/changed.img" "$T"
"$VDT" recover "${TV[@]}" >"$DIR/rec.out" 2>&1 && [ "$(sum "$T")" = "$ORIG" ] ||
    fail "the right target back: $(cat "$DIR/rec.out")"

# ---- while a run holds the image, QEMU cannot open it to write ----------------------------------
if command -v qemu-img >/dev/null; then
    "$VDT" "${PRES[@]}" --workload randwrite --cache none --io io_uring --runtime 3 \
        >/dev/null 2>"$DIR/bg.err" &
    BG=$!
    for _ in $(seq 1 100); do
        ls "$VIRT_DISKTUNE_JOURNAL_DIR"/*.journal >/dev/null 2>&1 && break
        sleep 0.05
    done
    if qemu-img bench -f raw -w -c 1 "$T" >"$DIR/q.out" 2>&1; then
        fail "qemu-img wrote the image while a preserve run held it"
    elif grep -Eq 'Failed to (get "write" )?lock' "$DIR/q.out"; then
        ok "QEMU cannot open the image for writing during the run: $(head -1 "$DIR/q.out")"
    else
        fail "qemu-img failed otherwise: $(cat "$DIR/q.out")"
    fi
    wait "$BG"
    BG=
    [ "$(sum "$T")" = "$ORIG" ] || fail "the run with qemu-img beside it changed the target"
fi

# ---- the journal's disk fails mid-run: fdatasync on the journal fails (EIO, ENOSPC) -----------
# The fault shim (tests/shim/faults.c) fails the journal's fdatasync from a chosen call on.
# One writing cell syncs its journal once per record and for its header, all before it
# writes (counted first from the shim's log); cell 1 runs, then cell 2's journal fails at
# its header (EIO) or at its second record (ENOSPC): cell 2 and cell 3 write nothing and are
# refused (exit 3), what cell 1 wrote is back, and whatever journal stays is replayed by
# recover.
rm -f "$DIR/sync.log"
VDT_SHIM_LOG=$DIR/sync.log shim "$VDT" "${PRES[@]}" --workload randwrite --cache none --io io_uring \
    --runtime 0.2 >/dev/null 2>&1 || fail "counting a cell's journal syncs: exit $?"
K=$(grep -c "^fdatasync $VIRT_DISKTUNE_JOURNAL_DIR" "$DIR/sync.log")
[ "$K" = 3 ] || fail "a writing cell of 32 MiB made $K journal syncs, expected 3 (header, 2 records)"
for fault in "5 $K header" "28 $((K + 2)) second-record"; do
    read -r errno after when <<<"$fault"
    VDT_SHIM_FDATASYNC_FAIL=$VIRT_DISKTUNE_JOURNAL_DIR VDT_SHIM_FDATASYNC_FAIL_AFTER=$after \
        VDT_SHIM_ERRNO=$errno shim "$VDT" "${PRES[@]}" --workload randwrite \
        --cache none,writeback,unsafe --io io_uring --runtime 0.2 --json >"$DIR/out.json" 2>"$DIR/err"
    st=$?
    msg=$(python3 -c "import os; print(os.strerror($errno))")
    statuses=$(jq -r '[.[].status] | join(" ")' "$DIR/out.json")
    reason=$(jq -r '.[1].reason // ""' "$DIR/out.json")
    if [ "$st" = 3 ] && [ "$statuses" = "ok refused refused" ] && [[ $reason == *"$msg"*"nothing written"* ]] &&
       [ "$(sum "$T")" = "$ORIG" ]; then
        ok "$msg from the journal's fdatasync at cell 2's $when: cells $statuses, exit 3, the target as it was"
    else
        fail "$msg from the journal's fdatasync at cell 2's $when: exit $st, cells $statuses ($reason); sum $(sum "$T")"
    fi
    "$VDT" recover "${TV[@]}" >"$DIR/rec.out" 2>&1 || fail "recover after the fault: $(cat "$DIR/rec.out")"
    [ "$(sum "$T")" = "$ORIG" ] && [ -z "$(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR" | grep -v '^scratch')" ] ||
        fail "after the fault and recover: sum $(sum "$T"), left: $(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")"
done

# ---- a scratch file a killed run left: removed at the next start ---------------------------------
S=$DIR/scratch.img
"$VDT" bench "${TV[@]}" --target "$S" --mode scratch --span 8M --workload randwrite --runtime 0.2 \
    --ramp 0 >/dev/null 2>&1 || fail "a scratch run failed"
[ ! -e "$S" ] && [ -z "$(ls "$VIRT_DISKTUNE_JOURNAL_DIR" | grep '^scratch-')" ] ||
    fail "a finished scratch run left its file or its marker: $(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")"
# kill_scratch_run: a long scratch run on $S, killed with -9 once its file is filled.
kill_scratch_run() {
    "$VDT" bench "${TV[@]}" --target "$S" --mode scratch --span 64M --workload randwrite \
        --runtime 30 --ramp 0 >/dev/null 2>&1 &
    BG=$!
    for _ in $(seq 1 200); do
        [ -s "$S" ] && [ "$(stat -c %s "$S")" -ge $((64 << 20)) ] && break
        sleep 0.1
    done
    sleep 0.5
    kill -9 "$BG"
    wait "$BG" 2>/dev/null
    BG=
}
kill_scratch_run
[ -e "$S" ] || fail "the killed scratch run left no file to find (test set-up)"
"$VDT" list "${TV[@]}" >/dev/null 2>"$DIR/list.err"
if [ ! -e "$S" ] && grep -q "scratch: removed the scratch file $S that a killed run" "$DIR/list.err"; then
    ok "a killed run's scratch file removed at the next start: $(head -1 "$DIR/list.err")"
else
    fail "the killed run's scratch file: $(ls -la "$S" 2>&1); $(cat "$DIR/list.err")"
fi
# A file of the user's at that path since is not the run's: left alone.
kill_scratch_run
rm -f "$S"
echo "the user's own file" >"$S"
"$VDT" list "${TV[@]}" >/dev/null 2>"$DIR/list.err"
if [ -e "$S" ] && grep -q "not the scratch file a killed run" "$DIR/list.err"; then
    ok "another file at the scratch path since: left alone, and said"
else
    fail "another file at the scratch path: $(cat "$DIR/list.err")"
fi
rm -f "$S"

# ---- the journal's filesystem too small: refused before the first write -------------------------
MNT=$DIR/tiny
mkdir "$MNT"
mount -t tmpfs -o size=1m tmpfs "$MNT"
VIRT_DISKTUNE_JOURNAL_DIR=$MNT "$VDT" "${PRES[@]}" --workload randwrite --runtime 0.2 \
    >/dev/null 2>"$DIR/err"
st=$?
if [ "$st" = 3 ] && grep -q "has .* free, a writing cell needs" "$DIR/err" && [ "$(sum "$T")" = "$ORIG" ]; then
    ok "a 1 MiB journal filesystem: refused before the first write (exit 3)"
else
    fail "tiny journal filesystem: exit $st: $(cat "$DIR/err")"
fi

[ "$FAILS" = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
echo "all preserve checks passed"
