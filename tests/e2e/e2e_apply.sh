#!/bin/bash
# `virt-disktune apply` and `undo` on a real libvirtd + QEMU, checked with independent
# clients: cache/io applied to a shut-off domain, which is then started and read back with
# virsh dumpxml, QEMU's own query-named-block-nodes and qom-get write-cache, and the aio
# mode in the domain's log; iothreads added and pinned on a running domain, read back with
# virsh iothreadinfo and the threads' Cpus_allowed_list; undo, and the definition is the
# original byte for byte after a canonical re-serialisation (xmllint --c14n).
here=$(dirname "$0")
. "$here/lib.sh"
e2e_init
e2e_setup_standard
export VIRT_DISKTUNE_APPLY_DIR=$E2E_TMP/apply

# A shut-off domain of its own that can start (the standard one shares a file between two
# disks, which QEMU's locks refuse): vda a loop device, vdb an image file, both left to
# QEMU's defaults; iothreads 4 with ids 5 and 6, vda on 5.
E2E_OFF=$E2E_PREFIX-ap
E2E_OFF_FILE=$(e2e_data_file ap-vdb.img 16)
E2E_OFF_LOOP=$(e2e_loop "$(e2e_data_file ap-vda.img 32)")
e2e_define "$E2E_OFF" "$(e2e_domain_xml "$E2E_OFF" \
    "<iothreads>4</iothreads><iothreadids><iothread id='5'/><iothread id='6'/></iothreadids>" \
    "<iothreadpin iothread='5' cpuset='1'/>" \
    "$(e2e_disk_xml block "$E2E_OFF_LOOP" vda "cache='directsync' io='native' iothread='5'")
     $(e2e_disk_xml file "$E2E_OFF_FILE" vdb "")")"

# apply_rc OUT ERR ARGS...: runs the command (apply or undo), prints its exit status.
vdt_rc() {
    local out=$1 err=$2 rc=0
    shift 2
    "$VDT" "$@" -c "$E2E_URI" >"$out" 2>"$err" </dev/null || rc=$?
    echo "$rc"
}

canonical() { e2e_virsh dumpxml --inactive --security-info "$1" | xmllint --c14n - ; }
qmp() { e2e_virsh qemu-monitor-command "$1" "$2"; }
off_orig=$E2E_TMP/off-orig.c14n
run_orig=$E2E_TMP/run-orig.c14n
canonical "$E2E_OFF" >"$off_orig"
canonical "$E2E_RUN" >"$run_orig"

# ---- dry run and bad input: nothing written -------------------------------------------------

rc=$(vdt_rc "$E2E_TMP/dry.out" "$E2E_TMP/dry.err" apply --domain "$E2E_OFF" --disk vdb \
    --cache none --io native --dry-run)
e2e_eq "dry run: exit status" 0 "$rc"
e2e_check "dry run: the plan line" grep -q "vdb: cache default → none .*at next start" "$E2E_TMP/dry.out"
e2e_check "dry run: the diff's added driver line" \
    grep -q '^+      <driver name="qemu" type="raw" cache="none" io="native"/>' "$E2E_TMP/dry.out"
rc=$(vdt_rc "$E2E_TMP/noyes.out" "$E2E_TMP/noyes.err" apply --domain "$E2E_OFF" --disk vdb \
    --cache none)
e2e_eq "no terminal, no --yes: usage error" 2 "$rc"
rc=$(vdt_rc "$E2E_TMP/bad.out" "$E2E_TMP/bad.err" apply --domain "$E2E_OFF" --disk vdb \
    --cache writeback --io native --yes)
e2e_eq "io=native with cache=writeback: usage error" 2 "$rc"
e2e_eq "  one line on stderr" 1 "$(wc -l <"$E2E_TMP/bad.err")"
rc=$(vdt_rc "$E2E_TMP/bad.out" "$E2E_TMP/bad.err" apply --domain "$E2E_RUN" --pin 1:5- --yes)
e2e_eq "--pin 1:5-: usage error" 2 "$rc"
rc=$(vdt_rc "$E2E_TMP/bad.out" "$E2E_TMP/bad.err" apply --domain "$E2E_RUN" --pin 1:99999 --yes)
e2e_eq "--pin 1:99999: usage error" 2 "$rc"
rc=$(vdt_rc "$E2E_TMP/bad.out" "$E2E_TMP/bad.err" apply --domain nosuch-domain --iothreads 1 --yes)
e2e_eq "unknown domain: failed" 1 "$rc"
e2e_check "  names the domain" grep -q "nosuch-domain" "$E2E_TMP/bad.err"
e2e_eq "nothing written by any of them: $E2E_OFF" "" "$(canonical "$E2E_OFF" | diff - "$off_orig")"
e2e_eq "nothing written by any of them: $E2E_RUN" "" "$(canonical "$E2E_RUN" | diff - "$run_orig")"
e2e_check "no undo record yet" test ! -e "$VIRT_DISKTUNE_APPLY_DIR"

# ---- cache/io on the shut-off domain, then started: what QEMU really runs ----------------------

rc=$(vdt_rc "$E2E_TMP/a1.out" "$E2E_TMP/a1.err" apply --domain "$E2E_OFF" --disk vdb \
    --cache none --io native --yes)
e2e_eq "apply vdb cache=none io=native to $E2E_OFF: exit status" 0 "$rc"
rc=$(vdt_rc "$E2E_TMP/a2.out" "$E2E_TMP/a2.err" apply --domain "$E2E_OFF" --disk vda \
    --cache writethrough --io threads --yes)
e2e_eq "apply vda cache=writethrough io=threads: exit status" 0 "$rc"
e2e_check "verified in the definition" grep -q "ok: definition: every disk's cache, io and iothread as planned" "$E2E_TMP/a2.out"
xml=$(e2e_virsh dumpxml --inactive "$E2E_OFF")
e2e_check "virsh dumpxml: vdb none/native" \
    eval "grep -q \"<driver name='qemu' type='raw' cache='none' io='native'/>\" <<<\"\$xml\""
e2e_check "virsh dumpxml: vda writethrough/threads" \
    eval "grep -q \"cache='writethrough' io='threads' iothread='5'\" <<<\"\$xml\""
e2e_eq "two undo records" 2 "$(ls "$VIRT_DISKTUNE_APPLY_DIR" | grep -c '\.json$')"

e2e_start_domain "$E2E_OFF"
nodes=$(qmp "$E2E_OFF" '{"execute":"query-named-block-nodes"}')
vdb_img=$E2E_OFF_FILE
e2e_eq "QEMU: vdb's node cache.direct (none)" true \
    "$(jq -r --arg f "$vdb_img" '[.return[] | select(.file == $f and .drv == "raw")][0].cache.direct' <<<"$nodes")"
e2e_eq "QEMU: vdb's node cache.no-flush" false \
    "$(jq -r --arg f "$vdb_img" '[.return[] | select(.file == $f and .drv == "raw")][0].cache["no-flush"]' <<<"$nodes")"
e2e_eq "QEMU: vda's node cache.direct (writethrough)" false \
    "$(jq -r --arg f "$E2E_OFF_LOOP" '[.return[] | select(.file == $f and .drv == "raw")][0].cache.direct' <<<"$nodes")"
wc_vdb=$(qmp "$E2E_OFF" '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/virtio-disk1","property":"write-cache"}}' | jq -r .return)
wc_vda=$(qmp "$E2E_OFF" '{"execute":"qom-get","arguments":{"path":"/machine/peripheral/virtio-disk0","property":"write-cache"}}' | jq -r .return)
e2e_eq "QEMU: vdb write-cache (none: the guest sees a write cache)" on "$wc_vdb"
e2e_eq "QEMU: vda write-cache (writethrough)" off "$wc_vda"
log=/var/log/libvirt/qemu/$E2E_OFF.log
e2e_check "QEMU's command line: vdb aio native" \
    eval "grep -- '-blockdev' '$log' | grep -F '\"filename\":\"$vdb_img\"' | tail -1 | grep -q '\"aio\":\"native\"'"
e2e_check "QEMU's command line: vda aio threads" \
    eval "grep -- '-blockdev' '$log' | grep -F '\"filename\":\"$E2E_OFF_LOOP\"' | tail -1 | grep -q '\"aio\":\"threads\"'"

# Our own verification of the started domain's command line, through a live pin.
rc=$(vdt_rc "$E2E_TMP/a3.out" "$E2E_TMP/a3.err" apply --domain "$E2E_OFF" --pin 5:0 --yes)
e2e_eq "apply --pin 5:0 to the started $E2E_OFF: exit status" 0 "$rc"
e2e_check "its verification read QEMU's vdb options" \
    grep -q "ok: QEMU (pid [0-9]*): vdb runs cache.direct=on cache.no-flush=off write-cache=on aio=native" "$E2E_TMP/a3.out"
e2e_check "its verification read QEMU's vda options" \
    grep -q "ok: QEMU (pid [0-9]*): vda runs cache.direct=off cache.no-flush=off write-cache=off aio=threads" "$E2E_TMP/a3.out"
e2e_eq "thread 'IO iothread5' runs on CPU 0" 0 "$(e2e_thread_cpus "$E2E_OFF" 5)"

# ---- a running domain's cache waits for its power-off, and list says so ----------------------

pending() { "$VDT" list --json -c "$E2E_URI" | jq -r --arg d "$1" '.domains[] | select(.name == $d) | .pending_restart'; }
e2e_eq "list: $E2E_RUN has nothing pending" false "$(pending "$E2E_RUN")"
rc=$(vdt_rc "$E2E_TMP/p1.out" "$E2E_TMP/p1.err" apply --domain "$E2E_RUN" --disk vdb \
    --cache none --yes)
e2e_eq "apply vdb cache=none to the running $E2E_RUN: exit status" 0 "$rc"
e2e_check "the plan said at next power-off and start" \
    grep -q "vdb: cache writeback → none *at next power-off and start" "$E2E_TMP/p1.out"
e2e_check "QEMU still runs vdb as writeback (verified)" \
    grep -q "ok: QEMU (pid [0-9]*): vdb runs cache.direct=off cache.no-flush=off write-cache=on aio=threads" "$E2E_TMP/p1.out"
e2e_eq "list: $E2E_RUN has a change pending" true "$(pending "$E2E_RUN")"

# ---- iothreads added and pinned live on the running domain -------------------------------------

rc=$(vdt_rc "$E2E_TMP/l1.out" "$E2E_TMP/l1.err" apply --domain "$E2E_RUN" --iothreads 3 \
    --pin 3:1 --pin 1:1 --yes)
e2e_eq "apply --iothreads 3 --pin 3:1 --pin 1:1 to $E2E_RUN: exit status" 0 "$rc"
e2e_check "the plan said now (live and config)" grep -q "iothreads 2 → 3 (id 3 added; live and config) *now" "$E2E_TMP/l1.out"
info=$(e2e_virsh iothreadinfo "$E2E_RUN")
e2e_log "$info"
e2e_eq "virsh iothreadinfo: 3 iothreads" 3 "$(grep -c '^ *[0-9]' <<<"$info")"
e2e_eq "virsh iothreadinfo: iothread 3 on CPU 1" 1 "$(awk '$1 == 3 {print $2}' <<<"$info")"
e2e_eq "virsh iothreadinfo: iothread 1 on CPU 1" 1 "$(awk '$1 == 1 {print $2}' <<<"$info")"
e2e_eq "thread 'IO iothread3' runs on CPU 1" 1 "$(e2e_thread_cpus "$E2E_RUN" 3)"
e2e_eq "thread 'IO iothread1' runs on CPU 1" 1 "$(e2e_thread_cpus "$E2E_RUN" 1)"
e2e_eq "definition: iothreads 3" 3 "$(e2e_virsh dumpxml --inactive "$E2E_RUN" | sed -n 's/.*<iothreads>\([0-9]*\)<.*/\1/p')"

# ---- undo: everything as before ---------------------------------------------------------------

rc=$(vdt_rc "$E2E_TMP/list.out" "$E2E_TMP/list.err" undo --list)
e2e_eq "undo --list: exit status" 0 "$rc"
e2e_eq "undo --list: 5 applied records" 5 "$(grep -c ' applied ' "$E2E_TMP/list.out")"

for n in 1 2; do
    rc=$(vdt_rc "$E2E_TMP/u1.out" "$E2E_TMP/u1.err" undo --domain "$E2E_RUN" --yes)
    e2e_eq "undo $E2E_RUN ($n of 2): exit status" 0 "$rc"
done
e2e_eq "undo $E2E_RUN twice: the definition is the original (C14N)" "" "$(canonical "$E2E_RUN" | diff - "$run_orig")"
e2e_eq "list: $E2E_RUN has nothing pending again" false "$(pending "$E2E_RUN")"
info=$(e2e_virsh iothreadinfo "$E2E_RUN")
e2e_eq "virsh iothreadinfo: 2 iothreads again" 2 "$(grep -c '^ *[0-9]' <<<"$info")"
e2e_eq "iothread 1 back on CPU 0" 0 "$(awk '$1 == 1 {print $2}' <<<"$info")"
e2e_eq "thread 'IO iothread1' back on CPU 0" 0 "$(e2e_thread_cpus "$E2E_RUN" 1)"
e2e_eq "thread 'IO iothread3' gone" none "$(e2e_thread_cpus "$E2E_RUN" 3)"

for n in 1 2 3; do
    rc=$(vdt_rc "$E2E_TMP/u.out" "$E2E_TMP/u.err" undo --domain "$E2E_OFF" --yes)
    e2e_eq "undo $E2E_OFF ($n of 3): exit status" 0 "$rc"
done
e2e_eq "undo $E2E_OFF three times: the definition is the original (C14N)" "" \
    "$(canonical "$E2E_OFF" | diff - "$off_orig")"
rc=$(vdt_rc "$E2E_TMP/u.out" "$E2E_TMP/u.err" undo --domain "$E2E_OFF" --yes)
e2e_eq "a fourth undo: nothing to restore (failed)" 1 "$rc"
e2e_check "  says so" grep -q "no undo record to restore" "$E2E_TMP/u.err"

