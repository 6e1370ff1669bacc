#!/bin/bash
# list --demo stopped by a signal at any moment leaves no demo directory behind, and still
# dies of that signal; contradictory connection options are a usage error. Usage: list_cli.sh PATH/TO/virt-disktune
set -u
VDT=$1
passed=0 failed=0
check() { if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "not ok: $*"; fi; }

TMPDIR=$(mktemp -d /tmp/vdt-list-cli-XXXXXX)
export TMPDIR
trap 'rm -rf "$TMPDIR"' EXIT

# Undisturbed, the demo listing works and cleans up.
out=$("$VDT" list --demo)
check test $? -eq 0
check grep -q '^web1 ' <<<"$out"
check test -z "$(ls -A "$TMPDIR")"

# -c and --demo together are a usage error (exit 2), for list and for the console, with one
# line on stderr and nothing created.
"$VDT" list --demo -c test:///default >/dev/null 2>"$TMPDIR/err"
check test $? -eq 2
check test "$(wc -l <"$TMPDIR/err")" -eq 1
"$VDT" --demo -c test:///default >/dev/null 2>"$TMPDIR/err"
check test $? -eq 2
check grep -q 'exclude each other' "$TMPDIR/err"
rm -f "$TMPDIR/err"
check test -z "$(ls -A "$TMPDIR")"

# SIGTERM at several points of its short life: while the images are written, while libvirt
# parses, while the model is built.
for delay in 0.01 0.05 0.1 0.2 0.3 0.5; do
    "$VDT" list --demo >/dev/null 2>&1 &
    pid=$!
    sleep "$delay"
    kill -TERM "$pid" 2>/dev/null
    wait "$pid"
    rc=$?
    check test "$rc" -eq 143 -o "$rc" -eq 0
    left=$(ls -A "$TMPDIR")
    check test -z "$left"
    [ -n "$left" ] && echo "left behind after ${delay}s: $left" && rm -rf "${TMPDIR:?}"/*
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
