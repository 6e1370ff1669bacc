#!/bin/bash
# The console's bench through tmux, on --demo: select web1's vda, b, choose randread and
# syncwrite (refused read-only, with the reason) on a scratch file beside the image, two cache and two io modes (one pair
# invalid), a 1 s runtime; run it; read the grid (every valid cell has a figure, the invalid
# one says so, one best is marked), switch metric and workload, open a cell's figures; start
# a second run, resize to 80x24 and 60x15 while it runs, cancel it half-way (finished cells
# kept, the running one cancelled); quit: exit 0, the terminal out of the alternate screen,
# no scratch file and no demo directory left; a new console shows the disk's last results
# (saved as bench --save saves them) with their age. Usage: bench.sh PATH-TO-virt-disktune
set -euo pipefail

BIN=${1:?usage: bench.sh PATH-TO-virt-disktune}
SRC=${VDT_SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
. "$SRC/tests/tui/lib.sh"

tui_keep_results_clean

grid_row() { screen | grep -E "^│ $1 " | head -1; }

start --demo
wait_for "4 domains"
demo=$(screen | grep -o 'test:///[^ ]*/node.xml' | head -1)
demo=${demo#test://}
demo=${demo%/node.xml}
[[ -d $demo ]] || fail "cannot find the demo directory ($demo)"
keys j j j
wait_for ">web1"
keys Tab
wait_for ">vda"

# ---- the dialog ---------------------------------------------------------------------------
keys b
wait_for "Bench web1 vda"
expect "12 cells, about 1 min 12 s"
expect "read-only: the target is opened read-only"
# Left column: syncwrite on, runtime 5 → 10 → 30 → 1 s, mode scratch.
keys j j j j j Space
wait_for "[x] syncwrite"
expect "write workloads are refused"
# Started read-only, the write workload is refused with the safety model's reason, and
# the dialog stays open for another choice.
keys Enter
wait_for "the safety model for"
expect "Bench web1 vda"
keys j Space Space Space
wait_for "runtime  1 s per cell"
keys j Space
wait_for "mode     scratch"
# Past the rounds and the runner to the right column: cache none and writeback, io native
# and io_uring.
keys j j j j Space j j Space j Space j j Space
wait_for "[ ] io=threads"
expect "[ ] cache=writethrough"
expect "[ ] cache=directsync"
expect "[ ] cache=unsafe"
expect "6 cells, about 12 s"
expect "scratch: writes go to a new file beside the disk's image"
keys Enter

# ---- the first run, to its end ------------------------------------------------------------
wait_for "Results"
TIMEOUT=120 wait_for "bench done"
expect "results saved to "
scratch_left=$(ls -A "$demo" | grep -c '^\.virt-disktune-scratch' || true)
[[ $scratch_left == 0 ]] || fail "the scratch file is left after the run"
wait_for "randread: IOPS, higher is better"
none=$(grid_row none)
wb=$(grid_row writeback)
[[ $none =~ ^│\ none\ +\ ?[*=]*[0-9.]+k?\ .*\ [*=]*[0-9.]+k?\  ]] ||
    fail "the none row has no figure in each of native and io_uring: '$none'"
[[ $wb == *invalid* ]] || fail "the invalid cell writeback/native does not say so: '$wb'"
[[ $wb =~ [0-9.]+k?(\ RAM)?\ +\[ ]] || fail "writeback/io_uring has no figure and bar: '$wb'"
best=$( (grid_row none; grid_row writethrough; grid_row writeback; grid_row directsync;
         grid_row unsafe) | grep -o '\*' | wc -l)
[[ $best == 1 ]] || fail "expected one best cell marked *, found $best"
expect "= current setting (none/native)"
echo "ok: grid: $none"
echo "ok: grid: $wb"

keys m
wait_for "randread: MB/s, higher is better"
keys m m
wait_for "randread: p99, lower is better"
keys w
wait_for "syncwrite: p99, lower is better"
expect "randread [syncwrite]"
# Tab to the results, the cursor on none/native: Enter shows its figures.
keys Tab
keys Enter
wait_for "none/native syncwrite"
expect "latency mean"
expect "context switches"
keys Escape
wait_for "syncwrite: p99, lower is better"
echo "ok: metric, workload and a cell's figures"

# ---- a second run: resized while it runs, then cancelled half-way -------------------------
keys b
wait_for "Bench web1 vda"
expect "6 cells, about 12 s"
keys Enter
TIMEOUT=120 wait_for "[2/6]"
t resize-window -t vdt -x 80 -y 24
wait_for "[2/6]"
wait_for "Results"
t resize-window -t vdt -x 60 -y 15
wait_for "terminal too small"
t resize-window -t vdt -x 120 -y 40
TIMEOUT=120 wait_for "[3/6]"
keys c
TIMEOUT=60 wait_for "bench done"
screen | grep -q "cancelled" || fail "the cancelled run shows no cancelled cell"
scratch_left=$(ls -A "$demo" | grep -c '^\.virt-disktune-scratch' || true)
[[ $scratch_left == 0 ]] || fail "the scratch file is left after the cancelled run"
expect "randread: IOPS"
none=$(grid_row none)
[[ $none =~ [0-9.]+k?\ +\[ ]] || fail "the cells finished before the cancel lost their figures: '$none'"
echo "ok: resized mid-run, cancelled half-way, finished cells kept"

keys q
wait_exit
[[ $(t display -p -t vdt '#{alternate_on}') == 0 ]] || fail "the terminal is still in the alternate screen"
[[ ! -e $demo ]] || fail "the demo directory $demo was left behind"
[[ ! -s $work/stderr ]] || fail "the console wrote to stderr: $(cat "$work/stderr")"

# ---- a new console finds the disk's last results, with their age ---------------------------
start --demo
wait_for "4 domains"
keys j j j
wait_for ">web1"
wait_for "Results"
wait_for "randread: IOPS, higher is better · measured"
screen | grep -q "cancelled" || fail "the saved results are not the last (cancelled) run"
keys q
wait_exit
echo "ok: console bench through tmux"
