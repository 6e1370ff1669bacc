#!/bin/bash
# The whole test run, as root on a fresh Debian 12: installs what is missing, builds a normal
# tree (build/, warnings are errors) and a sanitizer tree (build-asan/, ASan+UBSan), runs
# every suite on the first (the e2e suite on one libvirtd started for it; the package suite
# builds the Debian package from a copy of the tree) and unit+libvirt+tui on the second,
# then the mutant suite (scripts/mutants.sh), prints each
# suite's totals and wall time and, last, exactly one line "N passed, N failed[, N skipped]".
# Exit status 0 only when nothing failed.
#
#   scripts/test.sh [--fresh] [--no-mutants]
#     --fresh       rehearse a fresh machine: remove libvirt's QEMU capability cache
#                   (/var/cache/libvirt/qemu/capabilities) before the e2e suite, so that
#                   libvirtd probes QEMU again as on a machine that never ran it (.ci/run)
#     --no-mutants  skip scripts/mutants.sh (a quicker run while working)
# Environment: VDT_E2E_TCG=1 runs the e2e suite's domains under TCG even where KVM works.
# As root every test can run here, so a skipped test counts as a failure.
set -uo pipefail

fresh=
mutants=yes
for arg in "$@"; do
    case $arg in
        --fresh) fresh=yes ;;
        --no-mutants) mutants= ;;
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "test.sh: unknown option '$arg' (try --help)" >&2; exit 2 ;;
    esac
done

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

strict=
if [ "$(id -u)" -eq 0 ]; then
    strict=yes
    export VDT_NO_SKIP=1   # the tests fail where they would skip (tests/skip.sh, testutil_skip)
fi

# tally BUILDDIR LABEL SUITE SECONDS MESON_STATUS: totals from meson's testlog.json (one
# JSON object per line), added to the overall count. No log, or meson failing with no test
# failed in the log, is a failure; as root (strict) a skipped test is one too.
tally() {
    local log=$1/meson-logs/testlog.json label=$2 suite=$3 secs=$4 status=$5 pass fail skip
    if [ ! -s "$log" ]; then
        printf '%-8s %-8s no test log: counted as a failure (meson exit %d)\n' "$label" "$suite" "$status"
        total_fail=$((total_fail + 1))
        return
    fi
    read -r pass fail skip < <(jq -r -s '
        [ (map(select(.result == "OK" or .result == "EXPECTEDFAIL")) | length),
          (map(select(.result == "FAIL" or .result == "ERROR" or .result == "TIMEOUT"
                      or .result == "UNEXPECTEDPASS")) | length),
          (map(select(.result == "SKIP")) | length) ] | @tsv' "$log")
    printf '%-8s %-8s %4d passed, %d failed, %d skipped  %4d s\n' "$label" "$suite" "$pass" "$fail" "$skip" "$secs"
    jq -r 'select(.result != "OK" and .result != "EXPECTEDFAIL")
           | "  \(.result): \(.name)"' "$log"
    # What a failed test printed last, so a CI log alone says why it failed.
    jq -r 'select(.result == "FAIL" or .result == "ERROR" or .result == "TIMEOUT")
           | "  --- the last lines \(.name) printed:",
             ((.stdout // "") | split("\n") | .[-40:] | map("  | " + .) | join("\n"))' "$log"
    if [ -n "$strict" ] && [ "$skip" -gt 0 ]; then
        echo "  as root everything can run here: the skipped tests above count as failures"
        fail=$((fail + skip))
        skip=0
    fi
    if [ "$status" -ne 0 ] && [ "$fail" -eq 0 ]; then
        echo "  meson test exited $status with no failed test in its log: counted as a failure"
        fail=1
    fi
    total_pass=$((total_pass + pass))
    total_fail=$((total_fail + fail))
    total_skip=$((total_skip + skip))
}

# suites BUILDDIR: the suites that have at least one test in this tree.
suites() {
    meson test -C "$1" --list 2>/dev/null | sed -n 's/^[^:]*:\([^ ]*\) \/ .*/\1/p' | sort -u
}

# run_suite BUILDDIR LABEL SUITE: runs one suite (timed), then tallies it.
run_suite() {
    local dir=$1 label=$2 suite=$3 t0 status=0
    if ! suites "$dir" | grep -qx "$suite"; then
        echo "$label: the suite $suite has no test: counted as a failure"
        total_fail=$((total_fail + 1))
        return
    fi
    rm -f "$dir/meson-logs/testlog.json"
    echo "== $label: meson test --suite $suite"
    t0=$(date +%s)
    meson test -C "$dir" --no-rebuild --print-errorlogs --suite "$suite" "${MESON_TEST_EXTRA[@]}" \
        >"$dir/test-$suite.out" 2>&1 || status=$?
    grep -E '^ *[0-9]+/[0-9]+ ' "$dir/test-$suite.out" || true
    tally "$dir" "$label" "$suite" $(( $(date +%s) - t0 )) "$status"
}

# The e2e suite on one libvirtd for the whole suite (tests/e2e/daemons.sh); --fresh removes
# the QEMU capability cache first. Daemons this run started are stopped on every exit path.
e2e_daemons=
stop_e2e_daemons() {
    [ -n "$e2e_daemons" ] || return 0
    bash tests/e2e/daemons.sh stop "$e2e_daemons"
    e2e_daemons=
}
trap stop_e2e_daemons EXIT
trap 'exit 130' INT TERM HUP

run_e2e() {
    local dir=$1 label=$2 t0
    if [ -z "$strict" ]; then
        run_suite "$dir" "$label" e2e    # each test skips (not root)
        return
    fi
    if [ -n "$fresh" ]; then
        echo "== fresh: removing libvirt's QEMU capability cache (/var/cache/libvirt/qemu/capabilities)"
        rm -rf /var/cache/libvirt/qemu/capabilities
    fi
    echo "== e2e: one libvirtd for the suite"
    e2e_daemons=$(mktemp -d /var/tmp/vdt-e2e-daemons.XXXXXX)
    t0=$(date +%s)
    if ! bash tests/e2e/daemons.sh start "$e2e_daemons"; then
        echo "e2e: the daemons did not start: counted as a failure"
        total_fail=$((total_fail + 1))
        stop_e2e_daemons
        return
    fi
    echo "   daemons ready in $(( $(date +%s) - t0 )) s"
    run_suite "$dir" "$label" e2e
    stop_e2e_daemons
}

start=$(date +%s)

echo "== dependencies"
deps_install "${VDT_BUILD_PKGS[@]}" "${VDT_TEST_PKGS[@]}" "${VDT_PACKAGE_PKGS[@]}" ||
    abort "could not install the packages above"
echo "   $(( $(date +%s) - start )) s"

build_start=$(date +%s)
echo "== build (build/, -Dwerror=true)"
configure build -Dwerror=true || abort "meson setup build failed"
ninja -C build >build.ninja.log 2>&1 || { cat build.ninja.log >&2; abort "build failed"; }

echo "== build (build-asan/, address+undefined sanitizers)"
configure build-asan -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false \
    || abort "meson setup build-asan failed"
ninja -C build-asan >build-asan.ninja.log 2>&1 || { cat build-asan.ninja.log >&2; abort "ASan build failed"; }
rm -f build.ninja.log build-asan.ninja.log
echo "   $(( $(date +%s) - build_start )) s"

tests_start=$(date +%s)
MESON_TEST_EXTRA=()
for suite in unit libvirt tui; do
    run_suite build normal "$suite"
done
run_e2e build normal
run_suite build normal package

# Halt on the first report. Leaks inside libvirt or GLib themselves, if one ever shows, go by
# name into tests/lsan.supp, never ours (none needed so far; LSan dies on a missing file).
(
    export ASAN_OPTIONS="halt_on_error=1:abort_on_error=1:detect_leaks=1:print_summary=1"
    export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1:print_summary=1"
    export LSAN_OPTIONS="print_suppressions=0"
    [ -f tests/lsan.supp ] && LSAN_OPTIONS="suppressions=$root/tests/lsan.supp:$LSAN_OPTIONS"
    MESON_TEST_EXTRA=(--timeout-multiplier 3)
    for suite in unit libvirt tui; do
        run_suite build-asan asan "$suite"
    done
    echo "$total_pass $total_fail $total_skip" >build-asan/totals
)
read -r total_pass total_fail total_skip <build-asan/totals
rm -f build-asan/totals

if [ -n "$mutants" ]; then
    echo "== mutants: scripts/mutants.sh"
    t0=$(date +%s)
    # The suites above ran on this tree: a mutant's tests are known to pass unmutated only
    # when nothing failed there, else the mutant suite checks that itself.
    baseline=()
    [ "$total_fail" -eq 0 ] && baseline=(--baseline-passed)
    bash scripts/mutants.sh "${baseline[@]}" >mutants.log 2>&1
    status=$?
    grep -E '^(killed|SURVIVED|STALE|ERROR)|mutants:' mutants.log
    read -r mpass mfail < <(sed -n 's/^mutants: \([0-9]*\) killed, \([0-9]*\) not killed.*/\1 \2/p' mutants.log)
    if [ -z "${mpass:-}" ]; then
        tail -20 mutants.log
        echo "mutants: no summary line: counted as a failure"
        mpass=0 mfail=1
    elif [ "$status" -ne 0 ] && [ "$mfail" -eq 0 ]; then
        mfail=1
    fi
    printf '%-8s %-8s %4d passed, %d failed, %d skipped  %4d s\n' mutants mutants "$mpass" "$mfail" 0 $(( $(date +%s) - t0 ))
    total_pass=$((total_pass + mpass))
    total_fail=$((total_fail + mfail))
fi

echo "== $(( $(date +%s) - start )) s in all, $(( $(date +%s) - tests_start )) s of tests"
if [ $((total_pass + total_fail)) -eq 0 ]; then
    echo "test.sh: no test ran" >&2
    total_fail=1
fi
summary_line
[ "$total_fail" -eq 0 ]
