# The console under tmux, for the tui tests (sourced after BIN and SRC are set): a private
# tmux server, polling helpers that never sleep a fixed time, and the session "vdt".
# A private tmux server, so nothing here touches anyone else's sessions.
SOCK=vdt-test-$$
TIMEOUT=${VDT_TUI_TIMEOUT:-90}

. "$SRC/tests/skip.sh"
command -v tmux >/dev/null || vdt_skip "tmux is not installed"

work=$(mktemp -d)
cleanup() {
    tmux -L "$SOCK" kill-server 2>/dev/null || true
    declare -F tui_cleanup >/dev/null && tui_cleanup
    rm -rf "$work"
    return 0
}
trap cleanup EXIT

t() { tmux -L "$SOCK" "$@"; }
screen() { t capture-pane -p -t vdt 2>/dev/null || true; }
fail() {
    echo "FAIL: $*"
    echo "--- screen ---"
    screen
    exit 1
}
# Poll the screen until it shows the text: a shared machine may be slow, so no fixed sleeps.
wait_for() {
    local deadline=$((SECONDS + TIMEOUT))
    until screen | grep -qF -- "$1"; do
        ((SECONDS < deadline)) || fail "timed out waiting for '$1'"
        sleep 0.2
    done
}
wait_gone() {
    local deadline=$((SECONDS + TIMEOUT))
    while screen | grep -qF -- "$1"; do
        ((SECONDS < deadline)) || fail "timed out waiting for '$1' to go"
        sleep 0.2
    done
}
expect() { screen | grep -qF -- "$1" || fail "screen does not show '$1'"; }
expect_not() { ! screen | grep -qF -- "$1" || fail "screen still shows '$1'"; }
keys() { t send-keys -t vdt "$@"; }

# The console in session "vdt" (replacing any earlier one) with the given options; its exit
# status lands in $work/exit. The pane stays after the exit so the file can be written.
start() {
    local args
    printf -v args ' %q' "$@"
    rm -f "$work/exit"
    t kill-session -t vdt 2>/dev/null || true
    t -f /dev/null new-session -d -s vdt -x 120 -y 40 \
        "env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$BIN'$args 2> '$work/stderr'; echo \$? > '$work/exit'; sleep 600"
}
wait_exit() {
    local deadline=$((SECONDS + TIMEOUT))
    until [[ -s $work/exit ]]; do
        ((SECONDS < deadline)) || fail "the console did not exit after q"
        sleep 0.2
    done
    [[ $(cat "$work/exit") == 0 ]] || fail "exit status $(cat "$work/exit") after q, expected 0"
}


# open_web1_vda: the console on --demo with web1's vda selected (the disks pane focused).
open_web1_vda() {
    start --demo
    wait_for "4 domains"
    keys j j j
    wait_for ">web1"
    keys Tab
    wait_for ">vda"
}

# tui_keep_results_clean: the console saves every finished matrix as bench --save does (as
# root under /var/lib/virt-disktune/results): what this test adds there is removed at its
# end (tui_cleanup), and the directories too when the test made them.
tui_keep_results_clean() {
    STATE=/var/lib/virt-disktune
    [ "$(id -u)" -eq 0 ] || STATE=${XDG_DATA_HOME:-$HOME/.local/share}/virt-disktune
    state_existed=no
    [ -d "$STATE" ] && state_existed=yes
    ls "$STATE/results" 2>/dev/null | sort >"$work/results.before" || true
}
tui_cleanup() {
    local f
    [ -n "${STATE:-}" ] || return 0
    for f in $(comm -13 "$work/results.before" <(ls "$STATE/results" 2>/dev/null | sort)); do
        rm -f "$STATE/results/$f"
    done
    [ "$state_existed" = yes ] || rmdir "$STATE/results" "$STATE" 2>/dev/null || true
}
