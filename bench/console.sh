#!/bin/bash
# The console on a real libvirtd with N defined, shut-off domains (bench/daemon_host.sh),
# driven through tmux, R rounds each:
#   - first paint: from starting the console to the first domain's name on the screen,
#     against `virsh list --all` on the same daemon (the ratio per round, then the median);
#   - fully described: until the footer counts the N domains;
#   - keystroke: from sending j to the screen showing the selection moved (through tmux:
#     send-keys and capture-pane polled every 2 ms, so an upper bound);
#   - peak RSS (VmHWM) of the console with the N domains and a saved 6-workload result
#     matrix of every cache/io mode loaded for vdt-bench-1's vda.
# As root (it starts libvirtd). Leaves nothing: the domains, the results file and the tmux
# server it made are removed.
#   bench/console.sh [-b BUILDDIR] [-n DOMAINS] [-r ROUNDS]
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. bench/daemon_args.sh "$@"
command -v tmux >/dev/null || { echo "$0: needs tmux" >&2; exit 1; }
sock=vdt-bench-$$
saved=
made_state=
[ -d /var/lib/virt-disktune ] || made_state=yes
bench_cleanup() {
    tmux -L "$sock" kill-server 2>/dev/null
    [ -n "$saved" ] && rm -f "$saved"
    [ -n "$made_state" ] && rmdir /var/lib/virt-disktune/results /var/lib/virt-disktune 2>/dev/null
    return 0
}
. bench/daemon_host.sh

# A saved run for vdt-bench-1 vda: 6 workloads x 15 cells, as bench --save writes it.
results_dir=/var/lib/virt-disktune/results
mkdir -p "$results_dir"
chmod 0700 "$results_dir" /var/lib/virt-disktune
saved=$results_dir/bench-20000101T000000Z-$$.json
{
    echo "["
    first=1
    for wl in randread randwrite mixed seqread seqwrite syncwrite; do
        for cache in none writethrough writeback directsync unsafe; do
            for io in native threads io_uring; do
                [ $first = 1 ] || echo ","
                first=0
                printf '{"cache":"%s","io":"%s","workload":"%s","block":4096,"depth":32,"status":"ok","reason":null,"iops":%d.5,"bytes_per_s":%d,"lat_ns":{"mean":200000,"p50":190000,"p99":400000,"p999":900000,"max":2000000},"cpu_us_per_io":3.5,"ctx_switches":100,"target":"%s","domain":"vdt-bench-1","disk":"vda","qemu_version":"7.2.0","kernel":"6.1","runtime_s":5.0,"ops":500000,"data_fraction":1.0}' \
                    "$cache" "$io" "$wl" $((RANDOM * 3)) $((RANDOM * 4096)) "$work/disk.img"
            done
        done
    done
    echo "]"
} >"$saved"

screen() { tmux -L "$sock" capture-pane -p -t b 2>/dev/null; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.4f\n", b - a }'; }
# until_screen TEXT [SECONDS]: polls every 2 ms; fails after SECONDS (default 60).
until_screen() {
    local deadline=$((SECONDS + ${2:-60}))
    until screen | grep -qF -- "$1"; do
        ((SECONDS < deadline)) || { echo "timed out waiting for '$1'" >&2; screen >&2; return 1; }
        sleep 0.002
    done
}

: >"$work/paint"; : >"$work/full"; : >"$work/ratio"; : >"$work/key"
seconds virsh -c "$uri" list --all >/dev/null
for r in $(seq 1 "$rounds"); do
    v=$(seconds virsh -c "$uri" list --all) || exit 1
    tmux -L "$sock" kill-server 2>/dev/null
    t0=$(now)
    tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 \
        "env LANG=C.UTF-8 '$vdt' -c $uri; sleep 60"
    until_screen "vdt-bench-1 " || exit 1
    t1=$(now)
    until_screen "$n domains" || exit 1
    t2=$(now)
    paint=$(elapsed "$t0" "$t1")
    echo "$paint" >>"$work/paint"
    elapsed "$t0" "$t2" >>"$work/full"
    awk -v a="$v" -v b="$paint" 'BEGIN { print b / a }' >>"$work/ratio"
    # Keystrokes: j moves the selection one row down; each lands before the next is sent.
    names=$(printf 'vdt-bench-%s\n' $(seq 1 "$n") | sort | head -12)
    for name in $(tail -n +2 <<<"$names"); do
        k0=$(now)
        tmux -L "$sock" send-keys -t b j
        until_screen ">$name " 10 || exit 1
        elapsed "$k0" "$(now)" >>"$work/key"
    done
    pid=$(pgrep -f "^$vdt -c $uri" | head -1)
    rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
    tmux -L "$sock" send-keys -t b q
    printf 'round %d: virsh %.3f s, first paint %.3f s, described %.3f s, peak RSS %.1f MiB\n' \
        "$r" "$v" "$paint" "$(tail -1 "$work/full")" "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
done
# What tmux itself adds to a keystroke: a key sent to cat, until capture-pane shows it.
tmux -L "$sock" kill-server 2>/dev/null
tmux -L "$sock" -f /dev/null new-session -d -s b -x 120 -y 40 "stty -echo; cat"
: >"$work/tmux"
for i in $(seq 1 20); do
    k0=$(now)
    tmux -L "$sock" send-keys -t b "k$i" Enter
    until_screen "k$i" 10 || exit 1
    elapsed "$k0" "$(now)" >>"$work/tmux"
done
printf 'tmux alone (send-keys to cat, capture-pane): median %.1f ms\n' "$(median <"$work/tmux" | awk '{ print $1 * 1000 }')"
printf 'median: first paint %.3f s = %.2fx virsh list --all (range %.2f-%.2f); all %d described %.3f s; keystroke to redraw %.1f ms (p90 %.1f ms, through tmux); peak RSS %.1f MiB with a 90-cell saved matrix\n' \
    "$(median <"$work/paint")" "$(median <"$work/ratio")" "$(sort -g "$work/ratio" | head -1)" \
    "$(sort -g "$work/ratio" | tail -1)" "$n" "$(median <"$work/full")" \
    "$(median <"$work/key" | awk '{ print $1 * 1000 }')" \
    "$(sort -g "$work/key" | awk '{ v[NR] = $1 } END { print v[int(NR * 0.9)] * 1000 }')" \
    "$(awk -v k="$rss" 'BEGIN { print k / 1024 }')"
