#!/bin/bash
# Our ranking against QEMU's own (by hand, not CI): `bench --cross-check` runs every valid
# cache/io cell with the in-process engines and with qemu-img bench, one after the other on
# the same target, and this prints per workload Spearman's rank correlation of IOPS, how
# many pairs of io modes within a cache mode both order alike, and the range of the ratio
# ours / qemu-img.
#
#   bench/fidelity.sh [-b BUILD_DIR] [-t SECONDS] [-w WORKLOADS] [-s MIB]
#
# Targets: a file of MIB (default 256) MiB of random data in /var/tmp, and a loop device
# (--direct-io=on) over another such file; both are the script's own, written with
# --mode destructive. Workloads (default randread,randwrite,seqread,seqwrite,syncwrite) run
# at their defaults (4 KiB; depth 32, syncwrite depth 1). qemu-img bench has no random
# pattern: its random cells run a stride that visits every block once per pass, while ours
# draw uniform offsets, so a buffered random cell re-reads what the page cache holds and
# the two differ by design there (the ratio column shows where). Needs root (losetup).
set -euo pipefail

BUILD=${VDT_BUILDDIR:-$(dirname "$0")/../build}
RUNTIME=2
WORKLOADS=randread,randwrite,seqread,seqwrite,syncwrite
MIB=256
while getopts "b:t:w:s:h" opt; do
    case $opt in
    b) BUILD=$OPTARG ;;
    t) RUNTIME=$OPTARG ;;
    w) WORKLOADS=$OPTARG ;;
    s) MIB=$OPTARG ;;
    *) sed -n '2,17p' "$0"; exit 2 ;;
    esac
done
VDT=$BUILD/tui/virt-disktune
for tool in "$VDT" qemu-img jq losetup; do
    command -v "$tool" >/dev/null || { echo "fidelity.sh: $tool not found" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "fidelity.sh: needs root (a loop device)" >&2; exit 1; }
WORK=$(mktemp -d /var/tmp/vdt-fidelity-XXXXXX)
LOOP=
cleanup() { [ -n "$LOOP" ] && losetup -d "$LOOP"; rm -rf "$WORK"; }
trap cleanup EXIT
dd if=/dev/urandom of="$WORK/file.img" bs=1M count="$MIB" status=none conv=fsync
dd if=/dev/urandom of="$WORK/loop.img" bs=1M count="$MIB" status=none conv=fsync
LOOP=$(losetup -f --show --direct-io=on "$WORK/loop.img")

printf '%-10s %-10s %6s %10s %14s  %s\n' target workload cells rho "io pairs" "ratio ours/qemu-img"
for target in "$WORK/file.img" "$LOOP"; do
    name=file
    [ "$target" = "$LOOP" ] && name=loop
    for wl in ${WORKLOADS//,/ }; do
        "$VDT" bench -c test:///default --target "$target" --mode destructive \
            --yes-destroy-data="$target" --workload "$wl" --runtime "$RUNTIME" --ramp 0.5 \
            --cross-check --json >"$WORK/out.json" 2>"$WORK/err" ||
            { echo "fidelity.sh: $name $wl: $(tail -1 "$WORK/err")" >&2; continue; }
        jq -r --arg t "$name" '.cross_check[] |
            [$t, .workload, (.cells | length),
             (if .rho == null then "-" else (.rho * 100 | round / 100 | tostring) end),
             "\(.io_pairs_agree)/\(.io_pairs)",
             (if (.cells | length) == 0 then "-" else
              "\([.cells[].ratio] | min * 100 | round / 100)x-\([.cells[].ratio] | max * 100 | round / 100)x" end)]
            | @tsv' "$WORK/out.json" |
            while IFS=$'\t' read -r t w n rho pairs ratio; do
                printf '%-10s %-10s %6s %10s %14s  %s\n' "$t" "$w" "$n" "$rho" "$pairs" "$ratio"
            done
    done
done
