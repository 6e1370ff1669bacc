#!/bin/bash
# The results pane beside an earlier run (v), on --demo: three saved runs of web1's vda made
# with the command line (the first, an apply, a second, then a third with two rounds); the
# console shows the third; v puts the previous run's figure and the change in % beside each
# cell, with a line naming that run; v again the last run before the apply, named with the
# apply's time; v again turns it off. Results and apply records go to private directories
# (VIRT_DISKTUNE_RESULTS_DIR, VIRT_DISKTUNE_APPLY_DIR): the host's are never touched.
# Usage: history.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: history.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"

export VIRT_DISKTUNE_RESULTS_DIR=$work/results
export VIRT_DISKTUNE_APPLY_DIR=$work/apply
QUICK=(--demo --domain web1 --disk vda --runtime 0.2 --ramp 0 --cache none,writeback
       --io native,io_uring --save)
bench_saved() {
    "$BIN" bench "${QUICK[@]}" "$@" >/dev/null 2>"$work/bench.err" ||
        fail "bench --save: $(cat "$work/bench.err")"
    sed -n 's/^virt-disktune: results saved to //p' "$work/bench.err"
}

first=$(bench_saved)
sleep 1.1   # the runs and the apply one second apart at least: their times order them
"$BIN" apply --demo --domain web1 --disk vda --cache writeback --io threads --yes \
    >"$work/apply.out" 2>&1 || fail "apply: $(cat "$work/apply.out")"
apply_file=$(ls "$VIRT_DISKTUNE_APPLY_DIR")
apply_time=$(jq -r .time "$VIRT_DISKTUNE_APPLY_DIR/$apply_file")
sleep 1.1
second=$(bench_saved)
sleep 1.1
third=$(bench_saved --repeat 2)
[[ -f $first && -f $second && -f $third ]] || fail "three runs not saved in $VIRT_DISKTUNE_RESULTS_DIR"
apply_shown=$(date -u -d "$apply_time" '+%Y-%m-%d %H:%M')

open_web1_vda
keys Tab
wait_for "randread: IOPS, higher is better"
expect_not "vs the previous run"

# v: the second run beside the third, each measured cell with "vs FIGURE CHANGE%"; the
# second ran one round, so the change is marked "?" (no spread measured), never plain.
keys v
wait_for "vs the previous run, "
expect "~ within noise  ? one round: no spread measured"
row=$(screen | grep -E '^│ none ' | head -1)
[[ $row =~ vs\ [0-9.]+k?\ \?[+-][0-9]+%.*vs\ [0-9.]+k?\ \?[+-][0-9]+% ]] ||
    fail "the none row has no 'vs FIGURE ?CHANGE%' in native and io_uring: '$row'"
# The figure shown beside none/native is the second run's own.
want=$(jq -r '.cells[] | select(.cache == "none" and .io == "native") | .iops' "$second")
want_k=$(awk -v v="$want" 'BEGIN { if (v < 1000) printf "%.0f", v; else if (v < 100000) printf "%.1fk", v / 1000; else printf "%.0fk", v / 1000 }')
[[ $row == *"vs $want_k ?"* ]] || fail "none/native does not show the previous run's $want_k: '$row'"

# v again: the last run before the apply (the first), named with the apply's time.
keys v
wait_for "vs the last run before the apply of $apply_shown"
want=$(jq -r '.cells[] | select(.cache == "none" and .io == "native") | .iops' "$first")
want_k=$(awk -v v="$want" 'BEGIN { if (v < 1000) printf "%.0f", v; else if (v < 100000) printf "%.1fk", v / 1000; else printf "%.0fk", v / 1000 }')
row=$(screen | grep -E '^│ none ' | head -1)
[[ $row == *"vs $want_k ?"* ]] || fail "none/native does not show the first run's $want_k: '$row'"

# v again: off, the bars back.
keys v
wait_gone "vs the last run before the apply"
expect_not "vs the previous run"
row=$(screen | grep -E '^│ none ' | head -1)
[[ $row == *"["*"]"* && $row != *" vs "* ]] || fail "v did not turn the comparison off: '$row'"

keys q
wait_exit
[[ $(ls "$VIRT_DISKTUNE_RESULTS_DIR" | wc -l) == 3 ]] || fail "the console wrote results without a run"
echo "ok: v shows the previous run, then the last run before the apply, then nothing"
