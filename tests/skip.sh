# vdt_skip REASON: ends a shell test as skipped (exit 77, meson's skip), or, under
# VDT_NO_SKIP=1 (scripts/test.sh as root, where everything can run), as failed: a skip
# never hides a promise. Sourced by the shell tests.
vdt_skip() {
    if [ "${VDT_NO_SKIP:-}" = 1 ]; then
        echo "FAIL: could not run: $* (VDT_NO_SKIP=1: a skip is a failure here)" >&2
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}
