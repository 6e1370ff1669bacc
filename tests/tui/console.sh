#!/bin/bash
# The console driven through tmux: it loads the demo host, shows domains, states, disks and
# what lies beneath them, moves the selection and the focus, opens the help generated from
# the key map, survives a resize to a too-small terminal, and quits with status 0, leaving no
# demo files behind. Usage: console.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: console.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"

start --demo

# Loaded: every demo domain with its state; the first (backup1) is selected.
wait_for "4 domains"
for text in web1 db1 mail1 backup1 running shutoff "Domains" "Disks" "q quit"; do
    expect "$text"
done
expect "CPU"
uri_line=$(screen | grep -o 'test:///[^ ]*/node.xml' | head -1)
[[ -n $uri_line ]] || fail "the header does not show the demo URI"
demo_dir=${uri_line#test://}
demo_dir=${demo_dir%/node.xml}
[[ -d $demo_dir ]] || fail "demo directory $demo_dir does not exist while running"

expect ">backup1"
expect "backup1, shutoff, 1 vCPU"
expect "nbd://nbd.example.org/archive"
expect "not benchable: network disk"
expect "backup1-root.img"
expect "file on "          # backing_describe of an image file

# j moves the domain selection; the disks pane follows it.
keys j
wait_for ">db1"
expect_not ">backup1"
wait_for "db1, running, 4 vCPUs, 1 iothread"
expect "iothread=1 (controller)"
expect "cache=directsync io=native"
expect "pins: iothread 1:1"

# Tab gives the disks the focus (first disk marked), j then moves within them.
expect_not ">vda"
keys Tab
wait_for ">vda"
keys j
wait_for ">sda"
expect_not ">vda"
expect ">db1"              # the domain selection stays

# Back to the domains, down to web1: its cdrom without media says why it is not benchable.
keys Tab j
wait_for ">mail1"
keys j
wait_for "web1, running, 2 vCPUs, 2 iothreads"
expect "pins: vcpu 0:0 1:1, emulator 0-1, iothread 1:0 2:1"
expect "(no media)"
expect "not benchable:"

# ? shows the help made from the key map: every entry's help text appears.
mapfile -t helps < <(grep -oP 'ACTION_[A-Z]+,\s*"\K[^"]+' "$SRC/tui/keymap.c")
((${#helps[@]} >= 7)) || fail "could not read the key map's help texts from $SRC/tui/keymap.c"
keys '?'
wait_for "Help"
# The list panes' keys come first; the rest is read by scrolling (j) to the end.
expect "move the selection down"
seen=$work/help-screens
screen >"$seen"
for _ in $(seq 1 80); do
    screen | grep -qF "(more below)" || break
    keys j
    sleep 0.05
    screen >>"$seen"
done
screen >>"$seen"
for h in "${helps[@]}"; do
    grep -qF -- "$h" "$seen" || fail "the help never showed '$h'"
done
expect_not ">web1"
# Keys other than Esc/?/q do nothing behind the help.
keys j
sleep 0.2
keys Escape
wait_gone "close the help"
expect ">web1"
expect "Domains"

# r reloads on the worker and keeps the selection.
keys r
wait_for "4 domains"
expect ">web1"

# A terminal too small for the layout says so in one line, and recovers.
t resize-window -t vdt -x 60 -y 12
wait_for "terminal too small"
t resize-window -t vdt -x 120 -y 40
wait_for ">web1"

keys q
wait_exit
[[ ! -e $demo_dir ]] || fail "the demo directory $demo_dir was left behind"

# Stopped from outside, the console still cleans up: SIGTERM exits 1 with one line, and a
# closed terminal (SIGHUP) removes the demo directory too.
demo_dir_shown() {
    local uri
    uri=$(screen | grep -o 'test:///[^ ]*/node.xml' | head -1)
    uri=${uri#test://}
    echo "${uri%/node.xml}"
}
start --demo
wait_for "4 domains"
demo_dir=$(demo_dir_shown)
[[ -d $demo_dir ]] || fail "demo directory $demo_dir missing while running"
pane_pid=$(t display -p -t vdt '#{pane_pid}')
console_pid=$(ps -o pid= --ppid "$pane_pid" | tr -d ' ')
[[ -n $console_pid ]] || fail "cannot find the console's pid under pane $pane_pid"
kill -TERM "$console_pid"
deadline=$((SECONDS + TIMEOUT))
until [[ -s $work/exit ]]; do
    ((SECONDS < deadline)) || fail "the console did not end on SIGTERM"
    sleep 0.2
done
[[ $(cat "$work/exit") == 1 ]] || fail "SIGTERM: exit $(cat "$work/exit"), expected 1"
grep -qF "stopped by signal" "$work/stderr" || fail "SIGTERM: no message: $(cat "$work/stderr")"
[[ ! -e $demo_dir ]] || fail "SIGTERM left the demo directory $demo_dir behind"

start --demo
wait_for "4 domains"
demo_dir=$(demo_dir_shown)
pane_pid=$(t display -p -t vdt '#{pane_pid}')
console_pid=$(ps -o pid= --ppid "$pane_pid" | tr -d ' ')
t kill-session -t vdt
deadline=$((SECONDS + TIMEOUT))
while kill -0 "$console_pid" 2>/dev/null; do
    ((SECONDS < deadline)) || fail "the console outlived its terminal"
    sleep 0.2
done
[[ ! -e $demo_dir ]] || fail "a closed terminal left the demo directory $demo_dir behind"

# Any URI, not only the demo: text from the XML is shown escaped (a C1 CSI and a bidi
# override in a path), and a selection past the pane's bottom scrolls into view.
start -c "test://${VDT_TESTDATA:-$SRC/tests/data}/console/many-disks-node.xml"
wait_for "1 domain"
expect '\x9B31mred'
expect '\u{202E}gpj.img'
if screen | LC_ALL=C grep -q $'\xc2\x9b\\|\xe2\x80\xae'; then
    fail "a raw control character reached the screen"
fi
expect "backing not resolved: "
keys Tab
wait_for ">vda"
for _ in $(seq 11); do keys Down; done     # the arrows move as j/k do
wait_for ">vdl"
expect_not "odd-"          # vda scrolled out above
for _ in $(seq 5); do keys k; done
for _ in $(seq 6); do keys Up; done
wait_for ">vda"
expect "odd-"
expect_not "many-l.img"    # and vdl out below
keys q
wait_exit

# An unreachable URI: one line on stderr naming it, exit 1, and the screen left alone.
start -c "vdt-nonexistent-$$:///system"
deadline=$((SECONDS + TIMEOUT))
until [[ -s $work/exit ]]; do
    ((SECONDS < deadline)) || fail "the console did not give up on an unreachable URI"
    sleep 0.2
done
[[ $(cat "$work/exit") == 1 ]] || fail "unreachable URI: exit $(cat "$work/exit"), expected 1"
[[ $(wc -l < "$work/stderr") == 1 ]] || { cat "$work/stderr"; fail "unreachable URI: not one line"; }
grep -qF "nonexistent-$$" "$work/stderr" || fail "unreachable URI: the message does not name it"

# Started narrow: only the too-small message, and q still quits.
rm -f "$work/exit"
t -f /dev/null new-session -d -s narrow -x 40 -y 10 \
    "env LANG=C.UTF-8 LC_ALL=C.UTF-8 '$BIN' --demo; echo \$? > '$work/exit'; sleep 600"
deadline=$((SECONDS + TIMEOUT))
until t capture-pane -p -t narrow | grep -qF "terminal too small"; do
    ((SECONDS < deadline)) || { t capture-pane -p -t narrow; fail "narrow terminal: no message"; }
    sleep 0.2
done
t send-keys -t narrow q
deadline=$((SECONDS + TIMEOUT))
until [[ -s $work/exit ]]; do
    ((SECONDS < deadline)) || fail "the narrow console did not exit after q"
    sleep 0.2
done
[[ $(cat "$work/exit") == 0 ]] || fail "narrow console exit status $(cat "$work/exit")"

echo "ok: console through tmux"
