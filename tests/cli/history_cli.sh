#!/bin/bash
# `virt-disktune history` from the outside: runs saved by bench --save (format 2) listed
# newest first, filtered by disk, compared by number and by file (one round says so), runs of
# different targets refused (exit 2) unless --any-target, bad files skipped with one line
# each, --json and --csv. Usage: history_cli.sh PATH-TO-virt-disktune
# The results go to a private directory (VIRT_DISKTUNE_RESULTS_DIR), never the host's; the
# targets are files written with random data (holes measure nothing).
set -u
VDT=${1:?usage: history_cli.sh PATH-TO-virt-disktune}
DIR=$(mktemp -d /var/tmp/vdt-history-cli-XXXXXX)
FAILS=0
cleanup() { rm -rf "$DIR"; }
trap cleanup EXIT
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

export VIRT_DISKTUNE_RESULTS_DIR=$DIR/results
T1=$DIR/t1.img
T2=$DIR/t2.img
head -c 4M /dev/urandom >"$T1"
head -c 4M /dev/urandom >"$T2"
QUICK=(-c test:///default --runtime 0.2 --ramp 0 --cache none,writeback --io threads --save)

# history ARGS...: runs history, stdout in $DIR/out, stderr in $DIR/err, the status in $RC.
history() { "$VDT" history "$@" >"$DIR/out" 2>"$DIR/err"; RC=$?; }

history
[ "$RC" = 0 ] && grep -q "^no saved runs in $DIR/results" "$DIR/out" ||
    fail "empty store: exit $RC: $(cat "$DIR/out" "$DIR/err")"

# Three runs: t1 once with one round, t1 again with two, t2 once. Their files' names hold
# the second they were saved in: one second apart, so newest first is well defined.
"$VDT" bench "${QUICK[@]}" --target "$T1" >/dev/null 2>"$DIR/b1" || fail "bench 1: $(cat "$DIR/b1")"
sleep 1.1
"$VDT" bench "${QUICK[@]}" --target "$T1" --repeat 2 >/dev/null 2>"$DIR/b2" || fail "bench 2: $(cat "$DIR/b2")"
sleep 1.1
"$VDT" bench "${QUICK[@]}" --target "$T2" >/dev/null 2>"$DIR/b3" || fail "bench 3: $(cat "$DIR/b3")"
F1=$(sed -n 's/^virt-disktune: results saved to //p' "$DIR/b1")
F2=$(sed -n 's/^virt-disktune: results saved to //p' "$DIR/b2")
F3=$(sed -n 's/^virt-disktune: results saved to //p' "$DIR/b3")
[ -f "$F1" ] && [ -f "$F2" ] && [ -f "$F3" ] || fail "bench --save did not name three files"
case $F1 in "$DIR/results/"*) ok "bench --save wrote to \$VIRT_DISKTUNE_RESULTS_DIR" ;;
    *) fail "saved outside \$VIRT_DISKTUNE_RESULTS_DIR: $F1" ;; esac

history
[ "$RC" = 0 ] || fail "history: exit $RC: $(cat "$DIR/err")"
# Header, then #1 = t2 (newest), #2 = t1 with 2 rounds, #3 = t1 with 1.
sed -n 2p "$DIR/out" | grep -q "^  1  .*t2.img  *randread  *2/2  *1  in-process  $F3\$" &&
sed -n 3p "$DIR/out" | grep -q "^  2  .*t1.img  *randread  *2/2  *2  in-process  $F2\$" &&
sed -n 4p "$DIR/out" | grep -q "^  3  .*t1.img  *randread  *2/2  *1  in-process  $F1\$" &&
    ok "history lists the runs newest first" || fail "history list: $(cat "$DIR/out")"

history --json
jq -e --arg f "$F2" 'length == 3 and .[1].number == 2 and .[1].file == $f and .[1].rounds == 2
    and .[1].cells_ok == 2 and .[1].format == 2 and .[1].workloads == ["randread"]' \
    "$DIR/out" >/dev/null && ok "history --json" || fail "history --json: $(cat "$DIR/out")"
history --csv
[ "$(wc -l <"$DIR/out")" = 4 ] && head -1 "$DIR/out" | grep -q '^number,saved_at,' &&
    ok "history --csv" || fail "history --csv: $(cat "$DIR/out")"

# Compare by number: one side ran one round, so nothing is called beyond noise.
history --compare 3 2
if [ "$RC" = 0 ] && grep -q "^older: #3 " "$DIR/out" && grep -q "^newer: #2 " "$DIR/out" &&
   [ "$(grep -c '^randread .*/threads: IOPS .* → .*%: one round: no spread measured' "$DIR/out")" = 2 ] &&
   ! grep -q "beyond noise" "$DIR/out"; then
    ok "compare with one round says no spread was measured"
else
    fail "compare 3 2: exit $RC: $(cat "$DIR/out" "$DIR/err")"
fi
# By file, given newer first: still shown older to newer; the same in JSON.
history --compare --json "$F2" "$F1"
jq -e '.a.file | endswith("'"${F1##*/}"'")' "$DIR/out" >/dev/null &&
jq -e '(.cells | length) == 2 and all(.cells[]; .iops.verdict == "one_round" and
        (.iops.change_pct | type) == "number" and .lat_ns_p99.verdict == "one_round")' \
    "$DIR/out" >/dev/null && ok "compare --json by file, older first" ||
    fail "compare --json: $(cat "$DIR/out" "$DIR/err")"

# Different targets: refused (exit 2, one line naming both) unless --any-target.
history --compare 1 2
[ "$RC" = 2 ] && [ "$(wc -l <"$DIR/err")" = 1 ] && grep -q "t2.img.*t1.img.*different targets" "$DIR/err" &&
    [ ! -s "$DIR/out" ] && ok "runs of different targets refused (exit 2)" ||
    fail "compare 1 2: exit $RC: $(cat "$DIR/err")"
history --compare --any-target 1 2
[ "$RC" = 0 ] && grep -q "compared anyway" "$DIR/err" && grep -q "^newer: #1 " "$DIR/out" &&
    ok "--any-target compares them, with a warning" || fail "--any-target: exit $RC: $(cat "$DIR/err")"

# Usage errors and a RUN that is not there.
for args in "--compare 1" "--compare 1 9" "--json --csv" "extra" "--any-target" "--compare --csv 1 2"; do
    # shellcheck disable=SC2086
    history $args
    [ "$RC" = 2 ] && [ "$(wc -l <"$DIR/err")" = 1 ] || fail "history $args: exit $RC: $(cat "$DIR/err")"
done
ok "usage errors exit 2 with one line"
history --compare "$DIR/nothing.json" 1
[ "$RC" = 1 ] && grep -q "^virt-disktune: $DIR/nothing.json: " "$DIR/err" &&
    ok "a RUN file that cannot be read: exit 1" || fail "missing RUN file: exit $RC: $(cat "$DIR/err")"

# Filtered by disk: none of these is a domain's disk.
history --domain web1 --disk vda
[ "$RC" = 0 ] && grep -q "^no saved runs of that disk" "$DIR/out" ||
    fail "--domain/--disk filter: $(cat "$DIR/out")"

# Bad files: not JSON, a newer format, a truncated one; each skipped with one line, the good
# runs still listed; the format 1 array (bench --json's) still read.
echo "not json at all" >"$DIR/results/bench-bad.json"
echo '{"format": 3, "cells": []}' >"$DIR/results/bench-newer.json"
head -c 200 "$F1" >"$DIR/results/bench-cut.json"
jq '.cells' "$F1" >"$DIR/results/bench-20000101T000000Z-1.json"
touch -d 2000-01-01 "$DIR/results/bench-20000101T000000Z-1.json"
history
[ "$RC" = 0 ] || fail "history with bad files: exit $RC"
grep -qx "virt-disktune: skipped $DIR/results/bench-newer.json: format 3 is newer than this virt-disktune reads (2)" "$DIR/err" &&
grep -q "^virt-disktune: skipped $DIR/results/bench-bad.json: not JSON" "$DIR/err" &&
grep -qx "virt-disktune: skipped $DIR/results/bench-cut.json: not JSON: the text ends inside a value (truncated?)" "$DIR/err" &&
[ "$(wc -l <"$DIR/err")" = 3 ] && ok "bad files skipped, one line each" || fail "skipped lines: $(cat "$DIR/err")"
[ "$(grep -c 'in-process' "$DIR/out")" = 4 ] && sed -n 5p "$DIR/out" | grep -q "^  4  2000-01-01" &&
    ok "a format 1 file is still listed" || fail "format 1 file: $(cat "$DIR/out")"

# The saved file is format 2 with its header (docs/json.md "The saved file").
jq -e --arg t "$T1" '.format == 2 and .target == $t and .target_identity.kind == "file"
    and (.target_identity.ino | type) == "number" and .target_identity.size == 4194304
    and .request.repeat == 1 and .request.caches == ["none", "writeback"]
    and .request.ios == ["threads"] and .request.mode == "read-only" and .uri == "test:///default"
    and (.host | length) > 0 and (.kernel | length) > 0 and (.cells | length) == 2' "$F1" >/dev/null &&
    ok "the saved file's header" || fail "saved header: $(head -c 600 "$F1")"

# A RUN that is a FIFO is not read (it would wait for a writer): one line, exit 1, at once.
mkfifo "$DIR/fifo.json"
timeout 10 "$VDT" history --compare "$DIR/fifo.json" "$F1" >"$DIR/out" 2>"$DIR/err"
rc=$?
[ "$rc" = 1 ] && grep -q "fifo.json: not a regular file of at most 16 MiB" "$DIR/err" &&
    ok "a FIFO as RUN: refused at once" || fail "a FIFO as RUN: exit $rc: $(cat "$DIR/err")"

[ "$FAILS" = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
echo "all history CLI tests passed"
