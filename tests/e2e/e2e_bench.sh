#!/bin/bash
# `virt-disktune bench` on the disks of real domains: a read-only cell on a running domain's
# loop device works; every write to a device a running QEMU uses is refused with exit 3 and
# leaves its data unchanged (checked by a checksum of the backing file); the same write on
# a loop device that no domain uses does run, so the refusals are not blanket ones.
here=$(dirname "$0")
. "$here/lib.sh"
e2e_init
e2e_setup_standard

one_cell=(--runtime 1 --ramp 0 --cache none --io io_uring)

# bench_rc OUT ERR ARGS...: runs bench, prints its exit status.
bench_rc() {
    local out=$1 err=$2 rc=0
    shift 2
    "$VDT" bench -c "$E2E_URI" "$@" >"$out" 2>"$err" || rc=$?
    echo "$rc"
}

# ---- read-only on the running domain's loop device ---------------------------------------

out=$E2E_TMP/read.json
rc=$(bench_rc "$out" "$E2E_TMP/read.err" --domain "$E2E_RUN" --disk vda "${one_cell[@]}" \
    --workload randread --json)
e2e_eq "read-only bench of $E2E_RUN vda: exit status" 0 "$rc"
e2e_eq "cells" 1 "$(jq length "$out")"
e2e_eq "status" ok "$(jq -r '.[0].status' "$out")"
e2e_eq "cell" "none io_uring randread" "$(jq -r '.[0] | "\(.cache) \(.io) \(.workload)"' "$out")"
e2e_eq "target" "$E2E_RUN_LOOP" "$(jq -r '.[0].target' "$out")"
e2e_check "iops > 0 ($(jq -r '.[0].iops' "$out"))" e2e_jq_true '.[0].iops > 0' "$out"
e2e_check "latency p50 <= p99 <= max" \
    e2e_jq_true '.[0].lat_ns | .p50 > 0 and .p50 <= .p99 and .p99 <= .max' "$out"
e2e_check "warns that the running guest shares the device" \
    grep -q "running domain $E2E_RUN" "$E2E_TMP/read.err"

# ---- writes refused: nothing may change under a running QEMU ------------------------------

# refused LABEL BACKING_FILE ARGS...: exit 3, one line on stderr, the data unchanged.
refused() {
    local label=$1 file=$2 before rc
    shift 2
    before=$(sha256sum <"$file")
    rc=$(bench_rc "$E2E_TMP/w.out" "$E2E_TMP/w.err" "$@")
    e2e_eq "$label: exit status" 3 "$rc"
    e2e_eq "$label: lines on stderr" 1 "$(wc -l <"$E2E_TMP/w.err")"
    e2e_eq "$label: data unchanged" "$before" "$(sha256sum <"$file")"
    e2e_log "   $(cat "$E2E_TMP/w.err")"
}

refused "randwrite on $E2E_RUN vda" "$E2E_TMP/run-vda.img" \
    --domain "$E2E_RUN" --disk vda "${one_cell[@]}" --workload randwrite --json
refused "destructive on the loop device $E2E_RUN runs on" "$E2E_TMP/run-vda.img" \
    --target "$E2E_RUN_LOOP" --mode destructive --yes-destroy-data="$E2E_RUN_LOOP" \
    "${one_cell[@]}" --workload randwrite --json
e2e_check "the refusal names the domain" grep -q "$E2E_RUN" "$E2E_TMP/w.err"
refused "destructive on the image file $E2E_RUN runs on" "$E2E_RUN_FILE" \
    --target "$E2E_RUN_FILE" --mode destructive --yes-destroy-data="$E2E_RUN_FILE" \
    "${one_cell[@]}" --workload randwrite --json

# ---- the same write on a loop device nobody uses runs -------------------------------------

spare_file=$(e2e_data_file spare.img 32)
spare=$(e2e_loop "$spare_file")
before=$(sha256sum <"$spare_file")
out=$E2E_TMP/spare.json
rc=$(bench_rc "$out" "$E2E_TMP/spare.err" --target "$spare" --mode destructive \
    --yes-destroy-data="$spare" "${one_cell[@]}" --workload randwrite --json)
e2e_eq "destructive randwrite on an unused loop device: exit status" 0 "$rc"
e2e_eq "status" ok "$(jq -r '.[0].status' "$out")"
e2e_check "iops > 0 ($(jq -r '.[0].iops' "$out"))" e2e_jq_true '.[0].iops > 0' "$out"
e2e_check "it wrote to the device" test "$before" != "$(sha256sum <"$spare_file")"
