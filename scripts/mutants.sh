#!/bin/bash
# The mutant suite: proof that the tests guard the product's promises. Each
# tests/mutants/*.patch puts one small fault into the code that breaks one promise; its
# header names the promise, the tests that must notice, and optionally an environment:
#
#   Promise: reads open the target read-only
#   Tests: promises_cli                  (meson test names)
#   Env: VDT_PROMISES=opens              (optional, VAR=VALUE ...)
#
# The tracked files of this tree (as they are in the working tree) are copied to a scratch
# directory and built there once; the named tests must pass on that unmutated copy. Then
# each patch in turn is applied, the copy rebuilt, its tests run and the patch taken back.
# A mutant is killed when a named test fails; it survived when they all pass; a patch that
# no longer applies (the code moved) or no longer builds is an error. Exit 0 only when
# every mutant was killed. Last line: "mutants: N killed, N not killed (...)".
#
#   scripts/mutants.sh [--baseline-passed] [PATCH...]   (default: every tests/mutants/*.patch)
#     --baseline-passed  skip running the tests on the unmutated copy: the caller has just
#                        run them on this same tree (scripts/test.sh does, with every suite)
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
src=$(pwd)
baseline=yes
if [ "${1:-}" = --baseline-passed ]; then
    baseline=
    shift
fi
mutants=("$@")
[ ${#mutants[@]} -gt 0 ] || mutants=(tests/mutants/*.patch)

work=$(mktemp -d /var/tmp/vdt-mutants-XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/src" "$work/tmp"
# What a killed mutant's failing test leaves behind goes here, and with the work directory.
export VDT_TEST_TMPDIR=$work/tmp TMPDIR=$work/tmp
git ls-files -z | tar --null -T - -cf - | tar -C "$work/src" -xf - ||
    { echo "mutants: cannot copy the tree"; exit 1; }
# The copy of this very tree's working files: a mutant must apply to the code as it is now.

header() { sed -n "s/^$1: //p" "$2" | head -1; }

echo "== mutants: building a scratch copy in $work"
t0=$(date +%s)
if ! meson setup "$work/build" "$work/src" >"$work/setup.log" 2>&1 ||
   ! ninja -C "$work/build" >"$work/build.log" 2>&1; then
    cat "$work/setup.log" "$work/build.log" | tail -30
    echo "mutants: 0 killed, ${#mutants[@]} not killed (the unmutated copy does not build)"
    exit 1
fi
echo "   built in $(( $(date +%s) - t0 )) s"

# Every name a Tests: line gives must be a test of the build: a misspelled or renamed one
# would make meson fail, which would look like a kill.
meson test -C "$work/build" --list 2>/dev/null | sed -n 's/^[^:]*:[^ ]* \/ //p' | sort -u >"$work/tests"
for m in "${mutants[@]}"; do
    for t in $(header Tests "$m"); do
        if ! grep -qx -- "$t" "$work/tests"; then
            echo "ERROR: $(basename "$m"): no test named '$t' in this build"
            echo "mutants: 0 killed, ${#mutants[@]} not killed (a Tests: line names no test)"
            exit 1
        fi
    done
done

# run_tests MUTANT: the mutant's tests, with its environment; meson's exit status.
run_tests() {
    local m=$1 tests env
    read -ra tests <<<"$(header Tests "$m")"
    read -ra env <<<"$(header Env "$m")"
    env "${env[@]}" meson test -C "$work/build" --no-rebuild --print-errorlogs "${tests[@]}" \
        >"$work/test.log" 2>&1
}

# Every mutant's tests pass on the unmutated copy, else a kill would mean nothing (each
# distinct set of tests and environment once).
declare -A baseline_done
for m in "${mutants[@]}"; do
    [ -n "$baseline" ] || break
    key="$(header Tests "$m")|$(header Env "$m")"
    [ -n "${baseline_done[$key]:-}" ] && continue
    baseline_done[$key]=1
    if [ -z "$(header Tests "$m")" ]; then
        echo "ERROR: $(basename "$m"): no 'Tests:' line"
        echo "mutants: 0 killed, ${#mutants[@]} not killed (a header is incomplete)"
        exit 1
    fi
    if ! run_tests "$m"; then
        grep -E 'FAIL|ERROR' "$work/test.log" | head -10
        echo "ERROR: the tests of $(basename "$m") fail without the mutant: $(header Tests "$m")"
        echo "mutants: 0 killed, ${#mutants[@]} not killed (the unmutated copy fails its tests)"
        exit 1
    fi
done
if [ -n "$baseline" ]; then
    echo "   the unmutated copy passes every mutant's tests"
else
    echo "   the unmutated tree passed every suite just before (--baseline-passed)"
fi

killed=0 survived=0 stale=0 broken=0
for m in "${mutants[@]}"; do
    name=$(basename "$m" .patch)
    t0=$(date +%s)
    if ! git -C "$work/src" apply --check "$src/$m" 2>"$work/apply.log"; then
        echo "STALE $name: the patch no longer applies ($(head -1 "$work/apply.log")); update it to the code as it is"
        stale=$((stale + 1))
        continue
    fi
    git -C "$work/src" apply "$src/$m"
    if ! ninja -C "$work/build" >"$work/build.log" 2>&1; then
        grep -m3 'error' "$work/build.log"
        echo "ERROR $name: the mutant does not build"
        broken=$((broken + 1))
    elif run_tests "$m"; then
        echo "SURVIVED $name: '$(header Promise "$m")' is not guarded: $(header Tests "$m") all pass with it"
        survived=$((survived + 1))
    else
        # Killed only by a named test that failed, not by meson failing some other way.
        failed=$(grep -E '^ *[0-9]+/[0-9]+ .* (FAIL|ERROR|TIMEOUT) ' "$work/test.log" |
                 awk '{print $4}' | sort -u | paste -sd' ')
        if [ -z "$failed" ]; then
            tail -5 "$work/test.log"
            echo "ERROR $name: meson failed with no named test failing"
            broken=$((broken + 1))
        else
            echo "killed $name ($(( $(date +%s) - t0 )) s, by $failed): $(header Promise "$m")"
            killed=$((killed + 1))
        fi
    fi
    git -C "$work/src" apply -R "$src/$m"
done

notkilled=$((survived + stale + broken))
echo "mutants: $killed killed, $notkilled not killed ($survived survived, $stale stale, $broken not building)"
[ "$notkilled" -eq 0 ]
