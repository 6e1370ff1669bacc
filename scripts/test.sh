#!/bin/bash
# The whole test run, as root on a fresh Debian 12: installs what is missing, builds a normal
# tree (build/, warnings are errors) and a sanitizer tree (build-asan/, ASan+UBSan), runs every
# suite on the first and unit+libvirt+tui on the second, prints per-suite totals and, last,
# exactly one line "N passed, N failed[, N skipped]". Exit status 0 only when nothing failed.
set -uo pipefail

cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
. scripts/deps.sh

total_pass=0
total_fail=0
total_skip=0

summary_line() {
    local line="$total_pass passed, $total_fail failed"
    [ "$total_skip" -gt 0 ] && line="$line, $total_skip skipped"
    echo "$line"
}

# A step that is not a test (install, configure, compile) failing ends the run as one failure.
abort() {
    echo "test.sh: $*" >&2
    total_fail=$((total_fail + 1))
    summary_line
    exit 1
}

# configure BUILDDIR MESON_OPTIONS...: set up, or reconfigure with the same options.
configure() {
    local dir=$1
    shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >"$dir.setup.log" 2>&1
    else
        rm -rf "$dir"
        meson setup "$dir" "$@" >"$dir.setup.log" 2>&1
    fi || { cat "$dir.setup.log" >&2; return 1; }
    rm -f "$dir.setup.log"
}

# tally BUILDDIR LABEL: per-suite totals from meson's testlog.json (one JSON object per
# line; meson 1.0 names a test "project:suite / name"), added to the overall count.
tally() {
    local log=$1/meson-logs/testlog.json label=$2 suite pass fail skip
    if [ ! -s "$log" ]; then
        echo "$label: no test ran"
        return
    fi
    while read -r suite pass fail skip; do
        printf '%-8s %-8s %4d passed, %d failed, %d skipped\n' "$label" "$suite" "$pass" "$fail" "$skip"
        total_pass=$((total_pass + pass))
        total_fail=$((total_fail + fail))
        total_skip=$((total_skip + skip))
    done < <(jq -r -s '
        map(. + {s: ((.name | capture("^[^:]*:(?<s>\\S+) / ").s) // "?")})
        | group_by(.s)[]
        | [ .[0].s,
            (map(select(.result == "OK" or .result == "EXPECTEDFAIL")) | length),
            (map(select(.result == "FAIL" or .result == "ERROR" or .result == "TIMEOUT"
                        or .result == "UNEXPECTEDPASS")) | length),
            (map(select(.result == "SKIP")) | length) ]
        | @tsv' "$log")
    jq -r 'select(.result != "OK" and .result != "SKIP" and .result != "EXPECTEDFAIL")
           | "  \(.result): \(.name)"' "$log"
}

# suites BUILDDIR: the suites that have at least one test in this tree.
suites() {
    meson test -C "$1" --list 2>/dev/null | sed -n 's/^[^:]*:\([^ ]*\) \/ .*/\1/p' | sort -u
}

# run_tests BUILDDIR LABEL SUITE...: runs the given suites (all when none), then tallies.
run_tests() {
    local dir=$1 label=$2 s args=()
    shift 2
    for s in "$@"; do
        suites "$dir" | grep -qx "$s" && args+=(--suite "$s")
    done
    if [ $# -gt 0 ] && [ ${#args[@]} -eq 0 ]; then
        echo "$label: none of the suites $* has a test"
        return
    fi
    rm -f "$dir/meson-logs/testlog.json"
    echo "== $label: meson test ${args[*]}"
    meson test -C "$dir" --no-rebuild --print-errorlogs "${args[@]}" "${MESON_TEST_EXTRA[@]}" \
        >"$dir/test.out" 2>&1
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test.out" || true
    tally "$dir" "$label"
}

start=$(date +%s)

echo "== dependencies"
deps_install "${VDT_BUILD_PKGS[@]}" "${VDT_TEST_PKGS[@]}" || abort "could not install the packages above"

echo "== build (build/, -Dwerror=true)"
configure build -Dwerror=true || abort "meson setup build failed"
ninja -C build >build.ninja.log 2>&1 || { cat build.ninja.log >&2; abort "build failed"; }

echo "== build (build-asan/, address+undefined sanitizers)"
configure build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    || abort "meson setup build-asan failed"
ninja -C build-asan >build-asan.ninja.log 2>&1 || { cat build-asan.ninja.log >&2; abort "ASan build failed"; }
rm -f build.ninja.log build-asan.ninja.log

MESON_TEST_EXTRA=()
run_tests build normal

# Halt on the first report. Leaks inside libvirt or GLib themselves, if one ever shows, go by
# name into tests/lsan.supp, never ours (none needed so far; LSan dies on a missing file).
export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1"
export LSAN_OPTIONS="print_suppressions=0"
[ -f tests/lsan.supp ] && LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:$LSAN_OPTIONS"
MESON_TEST_EXTRA=(--timeout-multiplier 3)
run_tests build-asan asan unit libvirt tui

echo "== $(( $(date +%s) - start )) s"
if [ $((total_pass + total_fail)) -eq 0 ]; then
    echo "test.sh: no test ran" >&2
    total_fail=1
fi
summary_line
[ "$total_fail" -eq 0 ]
