#!/bin/bash
# Write-through against QEMU itself, in one run (by hand, not CI): how close the runner's
# flushes come to QEMU's (one flush in flight per image, a covered one skipped: block/io.c
# bdrv_co_flush).
#
#   bench/flushes.sh [-b BUILD_DIR] [-r ROUNDS] [-t SECONDS] [-c COUNT]
#
# 4 KiB sequential writes at depth 32 on a 256 MiB file of random data in /var/tmp, cache
# writethrough, io io_uring and threads, alternating ours (`bench --workload seqwrite`) and
# `qemu-img bench -w -c COUNT -d 32 -s 4096 -t writethrough -i AIO` ROUNDS times (default 3),
# so drift of a shared machine hits both alike. qemu-img prints the time its COUNT requests
# took; its IOPS are COUNT over that. Prints each round and the median ratio (ours / QEMU).
set -euo pipefail

BUILD=${VDT_BUILDDIR:-$(dirname "$0")/../build}
ROUNDS=3
RUNTIME=2
COUNT=3000
while getopts "b:r:t:c:h" opt; do
    case $opt in
    b) BUILD=$OPTARG ;;
    r) ROUNDS=$OPTARG ;;
    t) RUNTIME=$OPTARG ;;
    c) COUNT=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
    esac
done
VDT=$BUILD/tui/virt-disktune
for tool in "$VDT" qemu-img jq awk; do
    command -v "$tool" >/dev/null || { echo "flushes.sh: $tool not found" >&2; exit 1; }
done
WORK=$(mktemp -d /var/tmp/vdt-flushes-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
F=$WORK/target.img
dd if=/dev/urandom of="$F" bs=1M count=256 status=none conv=fsync

ours() {   # IO: our IOPS
    "$VDT" bench -c test:///default --target "$F" --mode destructive --yes-destroy-data="$F" \
        --workload seqwrite --block 4k --depth 32 --cache writethrough --io "$1" \
        --runtime "$RUNTIME" --ramp 0 --json 2>/dev/null | jq -r '.[0].iops'
}
qemus() {  # IO: qemu-img bench's IOPS
    local secs
    secs=$(qemu-img bench -f raw -w -c "$COUNT" -d 32 -s 4096 -t writethrough -i "$1" "$F" 2>&1 |
        sed -n 's/.*Run completed in \([0-9.]*\) seconds.*/\1/p')
    awk -v c="$COUNT" -v s="$secs" 'BEGIN { printf "%.1f\n", c / s }'
}
median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

for io in io_uring threads; do
    : >"$WORK/ratios"
    for r in $(seq 1 "$ROUNDS"); do
        a=$(ours "$io")
        b=$(qemus "$io")
        ratio=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')
        echo "$ratio" >>"$WORK/ratios"
        printf 'writethrough/%-8s round %d: ours %8.0f IOPS, qemu-img %8.0f IOPS, ratio %s\n' \
            "$io" "$r" "$a" "$b" "$ratio"
    done
    printf 'writethrough/%-8s median ratio (ours / QEMU): %s\n' "$io" "$(median <"$WORK/ratios")"
done
