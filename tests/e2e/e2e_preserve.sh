#!/bin/bash
# bench --mode preserve on a real libvirtd + QEMU: a shut-off domain's image file and loop
# device written in place and given back byte for byte (SHA-256); the running domain's disk
# refused (exit 3, nothing written); `virsh start` of the domain during a preserve run on its
# image fails on QEMU's image lock, the run ends, the image is intact, and the domain starts
# once the run is over; a start during a run on its loop device (which nothing locks) stops
# the run at once through libvirt's lifecycle event, and the device is given back.
here=$(dirname "$0")
. "$here/lib.sh"
e2e_init
e2e_setup_standard
export VIRT_DISKTUNE_JOURNAL_DIR=$E2E_TMP/journals

E2E_PR=$E2E_PREFIX-pr
E2E_PR_FILE=$(e2e_data_file pr-vdb.img 64)
E2E_PR_LOOP=$(e2e_loop "$(e2e_data_file pr-vda.img 64)")
e2e_define "$E2E_PR" "$(e2e_domain_xml "$E2E_PR" "" "" \
    "$(e2e_disk_xml block "$E2E_PR_LOOP" vda "cache='none' io='native'")
     $(e2e_disk_xml file "$E2E_PR_FILE" vdb "")")"
sum() { sha256sum <"$1" | cut -d' ' -f1; }
vdt_rc() {
    local out=$1 err=$2 rc=0
    shift 2
    "$VDT" "$@" -c "$E2E_URI" >"$out" 2>"$err" </dev/null || rc=$?
    echo "$rc"
}

for disk in vda vdb; do
    src=$E2E_PR_FILE
    [ "$disk" = vda ] && src=$E2E_PR_LOOP
    before=$(sum "$src")
    rc=$(vdt_rc "$E2E_TMP/p.json" "$E2E_TMP/p.err" bench --domain "$E2E_PR" --disk "$disk" \
        --mode preserve --workload randwrite,syncwrite --cache none,writeback --io io_uring \
        --runtime 0.3 --ramp 0 --journal-limit 16M --json)
    e2e_eq "preserve on $E2E_PR's $disk (shut off): exit status" 0 "$rc"
    e2e_jq_true 'all(.[]; .status == "ok")' "$E2E_TMP/p.json" ||
        e2e_fail "  cells: $(jq -c '[.[] | {workload, cache, status, reason}]' "$E2E_TMP/p.json")"
    e2e_eq "  $src: SHA-256 as before" "$before" "$(sum "$src")"
    e2e_eq "  no journal left" "" "$(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")"
done

# The running domain's disk: refused before anything is written.
before=$(sum "$E2E_RUN_FILE")
rc=$(vdt_rc "$E2E_TMP/r.out" "$E2E_TMP/r.err" bench --domain "$E2E_RUN" --disk vdb \
    --mode preserve --workload randwrite --runtime 0.2 --ramp 0)
e2e_eq "preserve on running $E2E_RUN's vdb: refused" 3 "$rc"
e2e_check "  says the domain uses it" grep -q "$E2E_RUN" "$E2E_TMP/r.err"
e2e_eq "  its image untouched" "$before" "$(sum "$E2E_RUN_FILE")"

# A start during the run: QEMU cannot take its image lock, the domain stays off.
before=$(sum "$E2E_PR_FILE")
"$VDT" bench -c "$E2E_URI" --domain "$E2E_PR" --disk vdb --mode preserve --workload randwrite \
    --cache none --io io_uring --runtime 4 --ramp 0 --journal-limit 16M \
    >"$E2E_TMP/bg.out" 2>"$E2E_TMP/bg.err" </dev/null &
bg=$!
e2e_track_child "$bg"
e2e_wait_for 30 bash -c "ls '$VIRT_DISKTUNE_JOURNAL_DIR'/*.journal >/dev/null 2>&1" ||
    e2e_fail "no journal appeared while the run writes: $(cat "$E2E_TMP/bg.err")"
if e2e_virsh start "$E2E_PR" >"$E2E_TMP/start.out" 2>&1; then
    e2e_fail "virsh start succeeded during a preserve run on its image"
    e2e_virsh destroy "$E2E_PR" >/dev/null 2>&1
else
    e2e_check "virsh start during the run fails on the image lock" \
        grep -Eq 'Failed to (get "write" )?lock|lock' "$E2E_TMP/start.out"
fi
wait "$bg"
e2e_eq "  the run's exit status" 0 "$?"
e2e_eq "  the image: SHA-256 as before" "$before" "$(sum "$E2E_PR_FILE")"
e2e_start_domain "$E2E_PR"
e2e_virsh destroy "$E2E_PR" >/dev/null
e2e_log "the domain starts once the run is over"

# A start during a run on a block device (nothing locks it for QEMU): libvirt's lifecycle
# event stops the writes at once, the cell's writes are restored, the run says why.
before=$(sum "$E2E_PR_LOOP")
"$VDT" bench -c "$E2E_URI" --domain "$E2E_PR" --disk vda --mode preserve --workload randwrite \
    --cache none --io io_uring --runtime 30 --ramp 0 --journal-limit 16M --json \
    >"$E2E_TMP/bg.json" 2>"$E2E_TMP/bg.err" </dev/null &
bg=$!
e2e_track_child "$bg"
e2e_wait_for 30 bash -c "ls '$VIRT_DISKTUNE_JOURNAL_DIR'/*.journal >/dev/null 2>&1" ||
    e2e_fail "no journal appeared while the run writes: $(cat "$E2E_TMP/bg.err")"
t0=$SECONDS
e2e_start_domain "$E2E_PR"
rc=0
wait "$bg" || rc=$?
e2e_eq "a start mid-run: the run fails" 1 "$rc"
e2e_check "  within 10 s of the start, not after its 30 s" test $((SECONDS - t0)) -lt 10
e2e_check "  and says why" jq -e '.[0].reason | test("started during the run: writing stopped at once")' \
    "$E2E_TMP/bg.json"
e2e_virsh destroy "$E2E_PR" >/dev/null
e2e_eq "  the loop device: SHA-256 as before" "$before" "$(sum "$E2E_PR_LOOP")"
e2e_eq "  no journal left" "" "$(ls -A "$VIRT_DISKTUNE_JOURNAL_DIR")"
