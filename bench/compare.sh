#!/bin/bash
# Compare virt-disktune's engines with their peers on one target, in one run (by hand, not CI).
#
#   bench/compare.sh [-b BUILD_DIR] [-r ROUNDS] [-t SECONDS] [TARGET...]
#
# 4 KiB random reads, depth 32, O_DIRECT (cache=none), alternating ours and the peer ROUNDS
# times (default 5), so drift of a shared machine hits both alike:
#   io_uring  vs fio --ioengine=io_uring --fixedbufs=1 --registerfiles=1
#   native    vs fio --ioengine=libaio --iodepth_batch_submit=32
#                    --iodepth_batch_complete_max=32 --userspace_reap=1  (QEMU batches too)
#   threads   vs fio --ioengine=psync --numjobs=32 --iodepth=1
# and, as throughput, each engine against `qemu-img bench -t none -i AIO -d 32 -s 4096` —
# which is sequential only, so ours runs seqread with 4 KiB blocks at depth 32 there.
# Prints the medians and the median of the per-round ratios (ours / peer): IOPS ratio >= 1
# and CPU µs per I/O ratio <= 1 mean we are at least as fast and as cheap. "in flight" is
# the mean number of I/Os outstanding (Little's law: IOPS x mean latency; fio: summed over
# its jobs), which says whether a side kept its queue as full as the depth asks; qemu-img
# reports no latency ("-").
# CPU per I/O, both sides alike: the whole process's user+sys time (bash's time, every thread
# counted, io_uring's io-wq workers too) over the I/Os it completed. Both run without ramp.
# Without TARGET, two 256 MiB files written with random data (holes measure nothing) and
# removed at the end: one in /var/tmp (this machine's disk) and one on tmpfs (/dev/shm: O_DIRECT
# accepted, no device latency, so the cost measured is all software: the engines' ceiling).
set -euo pipefail

BUILD=${VDT_BUILDDIR:-$(dirname "$0")/../build}
ROUNDS=5
RUNTIME=5
DEPTH=32
while getopts "b:r:t:h" opt; do
    case $opt in
    b) BUILD=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    t) RUNTIME=$OPTARG ;;
    *) sed -n '2,20p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))
VDT=$BUILD/tui/virt-disktune
for tool in "$VDT" fio qemu-img jq awk; do
    command -v "$tool" >/dev/null || { echo "compare.sh: $tool not found" >&2; exit 1; }
done

WORK=$(mktemp -d /var/tmp/vdt-compare-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    SHM=$(mktemp -d /dev/shm/vdt-compare-XXXXXX)
    trap 'rm -rf "$WORK" "$SHM"' EXIT
    TARGETS=("$WORK/target.img" "$SHM/target.img")
    for t in "${TARGETS[@]}"; do
        echo "writing 256 MiB of random data to $t" >&2
        dd if=/dev/urandom of="$t" bs=1M count=256 conv=fsync status=none
    done
fi

# CPU per I/O is measured the same way for both sides: the whole process's user + system
# time (bash's `time`, which counts every thread, io_uring's io-wq workers included) over
# the I/Os it completed. fio's own usr_cpu/sys_cpu leave the io-wq threads out (on tmpfs
# they gave 0.74 µs per I/O where the process's time gave 1.57 µs), while ours counted them.
# timed OUT CMD...: runs CMD with stdout to OUT; prints "user+sys seconds".
timed() {
    local out=$1 t
    shift
    t=$( { TIMEFORMAT='%U %S'; time "$@" >"$out" 2>>"$WORK/stderr"; } 2>&1 ) || return 1
    awk '{ printf "%.6f\n", $1 + $2 }' <<<"$t"
}

# ours IO WORKLOAD -> "iops cpu_us_per_io in_flight". The test driver stands in for libvirt: the target
# is this script's own, and a daemon coming and going must not change the run.
ours() {
    local cpu
    cpu=$(timed "$WORK/ours.json" "$VDT" bench -c test:///default --target "$TARGET" --cache none \
        --io "$1" --workload "$2" --block 4k --depth "$DEPTH" --runtime "$RUNTIME" --ramp 0 --json) || return 1
    jq -r --argjson cpu "$cpu" '.[0] | if .status == "ok"
        then "\(.iops) \($cpu / .ops * 1e6) \(.iops * .lat_ns.mean / 1e9)"
        else error("cell \(.status): \(.reason)") end' "$WORK/ours.json"
}

# fio ENGINE-ARGS... -> "iops cpu_us_per_io in_flight", IOPS, I/Os and in-flight summed over
# its jobs.
fio_run() {
    local cpu
    cpu=$(timed "$WORK/fio.json" fio --name=peer --filename="$TARGET" --size="$SIZE" --rw=randread \
        --bs=4k --direct=1 --runtime="$RUNTIME" --time_based --output-format=json "$@") || return 1
    jq -r --argjson cpu "$cpu" '[.jobs[] | {iops: .read.iops, ios: .read.total_ios,
                                           q: (.read.iops * .read.lat_ns.mean / 1e9)}]
        | "\(map(.iops) | add) \($cpu / (map(.ios) | add) * 1e6) \(map(.q) | add)"' "$WORK/fio.json"
}

# qemu-img bench AIO -> "iops - -"
qemu_img() {
    local count=$((DEPTH * 8192)) secs
    secs=$(qemu-img bench -f raw -t none -i "$1" -d "$DEPTH" -s 4096 -c "$count" "$TARGET" |
        sed -n 's/^Run completed in \([0-9.]*\) seconds.*/\1/p')
    [ -n "$secs" ] || { echo "qemu-img bench -i $1 failed" >&2; return 1; }
    awk -v c="$count" -v s="$secs" 'BEGIN { printf "%.1f - -\n", c / s }'
}

# pair NAME OURS-CMD PEER-CMD: ROUNDS alternations; appends "name ours-iops ours-cpu
# peer-iops peer-cpu" to the rounds file. A failing side stops the script with its stderr.
pair() {
    local name=$1 o p
    for i in $(seq 1 "$ROUNDS"); do
        o=$(side "$2") && p=$(side "$3") || exit 1
        echo "$name round $i: ours $o  peer $p" >&2
        echo "$name $o $p" >>"$WORK/rounds"
    done
}

side() {
    local out
    if ! out=$("$1" 2>"$WORK/stderr") || [ -z "$out" ]; then
        echo "compare.sh: $1 failed: $(tail -3 "$WORK/stderr")" >&2
        return 1
    fi
    echo "$out"
}

ours_uring() { ours io_uring randread; }
ours_native() { ours native randread; }
ours_threads() { ours threads randread; }
fio_uring() { fio_run --ioengine=io_uring --iodepth="$DEPTH" --fixedbufs=1 --registerfiles=1; }
fio_native() {
    fio_run --ioengine=libaio --iodepth="$DEPTH" --iodepth_batch_submit="$DEPTH" \
        --iodepth_batch_complete_max="$DEPTH" --userspace_reap=1
}
fio_threads() { fio_run --ioengine=psync --numjobs="$DEPTH" --iodepth=1; }
seq_uring() { ours io_uring seqread; }
seq_native() { ours native seqread; }
seq_threads() { ours threads seqread; }
qimg_uring() { qemu_img io_uring; }
qimg_native() { qemu_img native; }
qimg_threads() { qemu_img threads; }

# compare_target TARGET: every pair on it, then its table.
compare_target() {
TARGET=$1
SIZE=$(stat -L -c %s "$TARGET")
[ -b "$TARGET" ] && SIZE=$(blockdev --getsize64 "$TARGET")
: >"$WORK/rounds"
pair "io_uring/fio" ours_uring fio_uring
pair "native/fio" ours_native fio_native
pair "threads/fio" ours_threads fio_threads
pair "io_uring/qemu-img" seq_uring qimg_uring
pair "native/qemu-img" seq_native qimg_native
pair "threads/qemu-img" seq_threads qimg_threads

echo
echo "target $TARGET ($SIZE bytes), 4 KiB, depth $DEPTH, cache=none (O_DIRECT), ${RUNTIME} s," \
     "$ROUNDS rounds, medians; kernel $(uname -r), $(nproc) CPUs"
printf "%-18s %-36s %10s %10s %7s %8s %8s %7s %9s %9s\n" "ours" "peer" "ours IOPS" "peer IOPS" \
    "ratio" "ours us" "peer us" "ratio" "ours q" "peer q"
awk '
function median(list,    n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] < a[i]) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{
    k = $1; order[k] = order[k] ? order[k] : ++nk; names[order[k]] = k
    oi[k] = oi[k] " " $2; oc[k] = oc[k] " " $3; oq[k] = oq[k] " " $4; pi[k] = pi[k] " " $5
    ri[k] = ri[k] " " ($2 / $5)
    if ($6 != "-") { pc[k] = pc[k] " " $6; rc[k] = rc[k] " " ($3 / $6) }
    if ($7 != "-") pq[k] = pq[k] " " $7
}
END {
    peer["io_uring/fio"] = "fio io_uring fixedbufs registerfiles"
    peer["native/fio"] = "fio libaio batch 32 userspace_reap"
    peer["threads/fio"] = "fio psync numjobs=32"
    peer["io_uring/qemu-img"] = "qemu-img bench -i io_uring (seq)"
    peer["native/qemu-img"] = "qemu-img bench -i native (seq)"
    peer["threads/qemu-img"] = "qemu-img bench -i threads (seq)"
    for (i = 1; i <= nk; i++) {
        k = names[i]; split(k, part, "/")
        label = part[1] (part[2] == "fio" ? " randread" : " seqread")
        pqs = pq[k] != "" ? sprintf("%9.1f", median(pq[k])) : sprintf("%9s", "-")
        if (pc[k] != "")
            printf "%-18s %-36s %10.0f %10.0f %7.2f %8.2f %8.2f %7.2f %9.1f %s\n", label, peer[k],
                median(oi[k]), median(pi[k]), median(ri[k]), median(oc[k]), median(pc[k]), median(rc[k]),
                median(oq[k]), pqs
        else
            printf "%-18s %-36s %10.0f %10.0f %7.2f %8.2f %8s %7s %9.1f %s\n", label, peer[k],
                median(oi[k]), median(pi[k]), median(ri[k]), median(oc[k]), "-", "-", median(oq[k]), pqs
    }
}' "$WORK/rounds"
}

for t in "${TARGETS[@]}"; do
    compare_target "$t"
done
