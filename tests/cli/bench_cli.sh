#!/bin/bash
# `virt-disktune bench` from the outside: exit statuses 0/1/2/3 of the interface contract,
# one-line errors, the safety refusals (nothing written), the scratch file's life, JSON/CSV
# output and SIGINT. Usage: bench_cli.sh PATH-TO-virt-disktune
# Targets live in /var/tmp and are written with data (holes measure nothing).
set -u
VDT=${1:?usage: bench_cli.sh PATH-TO-virt-disktune}
DIR=$(mktemp -d /var/tmp/vdt-bench-cli-XXXXXX)
FAILS=0
BG=
HOLDER=

BLKDEV=
cleanup() {
    [ -n "$BG" ] && kill "$BG" 2>/dev/null
    [ -n "$HOLDER" ] && kill "$HOLDER" 2>/dev/null
    [ -n "$BLKDEV" ] && losetup -d "$BLKDEV"
    rm -rf "$DIR"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

# expect STATUS DESCRIPTION -- ARGS...: runs bench, checks the exit status and that stderr
# is at most ... one error line when it fails.
expect() {
    local want=$1 what=$2
    shift 3
    "$VDT" bench "$@" >"$DIR/out" 2>"$DIR/err"
    local got=$?
    if [ "$got" != "$want" ]; then
        fail "$what: exit $got, expected $want ($(head -c 300 "$DIR/err"))"
        return
    fi
    if [ "$want" != 0 ] && [ "$(grep -c '^virt-disktune: [^n]' "$DIR/err")" != 1 ]; then
        fail "$what: expected one error line, got: $(cat "$DIR/err")"
        return
    fi
    echo "ok: $what (exit $got)"
}

QUICK=(--runtime 0.2 --ramp 0 --depth 4 --jobs 4)
T="$DIR/target.img"
head -c $((8 << 20)) /dev/urandom >"$T"
SUM=$(md5sum <"$T")
TV=(-c test:///default)

# ---- usage (2) ----
expect 2 "nothing to bench" -- "${TV[@]}"
expect 2 "--target with --domain" -- "${TV[@]}" --target "$T" --domain d --disk vda
expect 2 "--domain without --disk" -- "${TV[@]}" --domain d
expect 2 "--json with --csv" -- "${TV[@]}" --target "$T" --json --csv
expect 2 "bad size" -- "${TV[@]}" --target "$T" --block 4x
expect 2 "block not a multiple of 512" -- "${TV[@]}" --target "$T" --block 1000
expect 2 "unknown cache mode" -- "${TV[@]}" --target "$T" --cache none,fast
expect 2 "unknown workload" -- "${TV[@]}" --target "$T" --workload randrw
expect 2 "depth 0" -- "${TV[@]}" --target "$T" --depth 0
expect 2 "negative runtime" -- "${TV[@]}" --target "$T" --runtime -1
expect 2 "unknown mode" -- "${TV[@]}" --target "$T" --mode yolo
expect 2 "confirmation without destructive mode" -- "${TV[@]}" --target "$T" \
    --yes-destroy-data="$T" --workload randwrite
expect 2 "stray argument" -- "${TV[@]}" --target "$T" extra
expect 2 "unknown option" -- "${TV[@]}" --target "$T" --bogus
expect 2 "-c with --demo" -- "${TV[@]}" --demo --target "$T"
"$VDT" bench --help >"$DIR/out" 2>&1
grep -q "virt-disktune bench" "$DIR/out" || fail "--help does not name 'virt-disktune bench': $(head -3 "$DIR/out")"

# ---- failed (1) ----
expect 1 "missing target" -- "${TV[@]}" --target "$DIR/nope.img"
expect 1 "unknown domain" -- --demo --domain nosuch --disk vda
expect 1 "unknown disk" -- --demo --domain web1 --disk vdz
expect 1 "network disk is not benchable" -- --demo --domain backup1 --disk vdb
grep -q "not benchable" "$DIR/err" || fail "network disk: reason missing: $(cat "$DIR/err")"

# ---- refused (3), nothing written ----
expect 3 "writes refused in read-only mode" -- "${TV[@]}" --target "$T" --workload randwrite
grep -q -- "--mode scratch" "$DIR/err" || fail "read-only refusal does not name the options"
expect 3 "writes to a domain's disk" -- --demo --domain web1 --disk vdb --workload mixed \
    --mode destructive --yes-destroy-data=x
grep -q "domain's disk is not in this release" "$DIR/err" || fail "domain refusal: $(cat "$DIR/err")"
expect 3 "a read workload given writes (--read-pct) is refused like a write" -- --demo \
    --domain web1 --disk vdb --read-pct 50
expect 0 "mixed at 100 % reads runs on a domain's disk" -- --demo --domain web1 --disk vdb \
    --workload mixed --read-pct 100 --cache none --io io_uring "${QUICK[@]}"
expect 2 "--read-pct above 100" -- "${TV[@]}" --target "$T" --read-pct 101
expect 3 "scratch on an existing path" -- "${TV[@]}" --target "$T" --mode scratch \
    --workload randwrite
expect 3 "destructive without confirmation" -- "${TV[@]}" --target "$T" --mode destructive \
    --workload randwrite
expect 3 "destructive confirming another path" -- "${TV[@]}" --target "$T" \
    --mode destructive --workload randwrite --yes-destroy-data="$DIR/other.img"
VIRT_DISKTUNE_JOURNAL_DIR=$DIR/journals expect 0 "preserve mode writes and puts back" -- \
    "${TV[@]}" --target "$T" --mode preserve --workload randwrite "${QUICK[@]}" --journal-limit 1M
expect 2 "--journal-limit too small" -- "${TV[@]}" --target "$T" --mode preserve --journal-limit 1k
# On doubt the answer is no: libvirt unreachable, nobody can say which domains use the file.
LIBVIRT_DEFAULT_URI=test:///nonexistent/node.xml expect 3 "destructive without libvirt" -- \
    --target "$T" --mode destructive --yes-destroy-data="$T" --workload randwrite "${QUICK[@]}"
grep -q "cannot check which domains use .*nothing written" "$DIR/err" ||
    fail "no libvirt: message: $(cat "$DIR/err")"
[ "$(md5sum <"$T")" = "$SUM" ] || fail "a refused run changed the target"

# ---- done (0) ----
expect 0 "reads on a file, JSON" -- "${TV[@]}" --target "$T" "${QUICK[@]}" --json
jq -e 'length == 15 and ([.[] | select(.status == "invalid")] | length) == 3
       and ([.[] | select(.status == "ok")] | length) == 12
       and all(.[]; has("cache") and has("io") and has("workload") and has("block")
               and has("depth") and has("status") and has("reason") and has("iops")
               and has("bytes_per_s") and has("lat_ns") and has("cpu_us_per_io")
               and has("ctx_switches") and has("kernel") and has("qemu_version"))
       and all(.[] | select(.status == "ok"); .iops > 0 and .lat_ns.p99 >= .lat_ns.p50)' \
    "$DIR/out" >/dev/null || fail "JSON: $(head -c 400 "$DIR/out")"
grep -q '^\[12/12\] unsafe/io_uring randread: ok' "$DIR/err" ||
    fail "no per-cell progress line when stderr is not a tty: $(cat "$DIR/err")"

expect 0 "CSV" -- "${TV[@]}" --target "$T" "${QUICK[@]}" --cache none --io native,io_uring --csv
[ "$(head -1 "$DIR/out" | cut -d, -f1-8)" = "target,cache,io,workload,block,depth,status,reason" ] ||
    fail "CSV header: $(head -1 "$DIR/out")"
[ "$(wc -l <"$DIR/out")" = 3 ] || fail "CSV rows: $(cat "$DIR/out")"

expect 0 "table marks one best cell" -- "${TV[@]}" --target "$T" "${QUICK[@]}" --io threads
[ "$(grep -v '^  ' "$DIR/out" | grep -c '\*')" = 1 ] || fail "table: $(cat "$DIR/out")"

expect 0 "reads of a running domain's disk warn" -- --demo --domain web1 --disk vda \
    "${QUICK[@]}" --cache none --io io_uring
grep -q "warning: .* used by running domain web1 (vda)" "$DIR/err" ||
    fail "no warning for a running domain's disk: $(cat "$DIR/err")"

S="$DIR/scratch.img"
expect 0 "scratch mode writes and removes its file" -- "${TV[@]}" --target "$S" --mode scratch \
    --span 8M "${QUICK[@]}" --cache writeback,none --io io_uring --workload randwrite,randread --json
[ -e "$S" ] && fail "scratch file left behind"
jq -e 'length == 4 and all(.[]; .status == "ok")' "$DIR/out" >/dev/null ||
    fail "scratch JSON: $(head -c 400 "$DIR/out")"

# Scratch for a domain's disk: a new file beside its image, removed after; the image (of a
# running domain) is never written.
IMG="$DIR/dom.img"
head -c $((8 << 20)) /dev/urandom >"$IMG"
IMGSUM=$(md5sum <"$IMG")
cat >"$DIR/node.xml" <<EOF
<node><domain type='test'><name>scr</name><memory>65536</memory><os><type>hvm</type></os>
<devices><disk type='file' device='disk'><source file='$IMG'/><target dev='vda' bus='virtio'/></disk></devices>
</domain></node>
EOF
expect 0 "scratch beside a domain's image" -- -c "test://$DIR/node.xml" --domain scr --disk vda \
    --mode scratch "${QUICK[@]}" --cache none --io io_uring --workload randwrite --json
grep -q "notice: scratch file $DIR/.virt-disktune-scratch-[0-9]*.img beside $IMG" "$DIR/err" ||
    fail "scratch beside: no notice naming the file: $(cat "$DIR/err")"
jq -e --arg d "$DIR/" '.[0].status == "ok" and (.[0].target | startswith($d + ".virt-disktune-scratch-"))' \
    "$DIR/out" >/dev/null || fail "scratch beside: JSON $(cat "$DIR/out")"
[ "$(md5sum <"$IMG")" = "$IMGSUM" ] || fail "scratch beside: the domain's image changed"
ls "$DIR"/.virt-disktune-scratch-* >/dev/null 2>&1 && fail "scratch beside: the scratch file was left behind"
if [ "$(id -u)" = 0 ]; then
    BLKDEV=$(losetup -f --show "$IMG")
    cat >"$DIR/node-blk.xml" <<EOF
<node><domain type='test'><name>blk</name><memory>65536</memory><os><type>hvm</type></os>
<devices><disk type='block' device='disk'><source dev='$BLKDEV'/><target dev='vda' bus='virtio'/></disk></devices>
</domain></node>
EOF
    # No LVM on PATH here (lvm2 is not installed): it cannot be asked, exit 1; with LVM, a
    # block device that is no LV is refused (exit 3: tests/cli/scratch_lv.sh).
    expect 1 "scratch on a block device without LVM to ask" -- -c "test://$DIR/node-blk.xml" \
        --domain blk --disk vda --mode scratch "${QUICK[@]}" --workload randwrite
    grep -q "needs a scratch LV in the disk's LVM volume group, but .*cannot ask LVM: lvs is not on PATH" "$DIR/err" ||
        fail "scratch on a block disk: $(cat "$DIR/err")"
    losetup -d "$BLKDEV" && BLKDEV=
fi

expect 0 "destructive confirmed on an unused file" -- "${TV[@]}" --target "$T" \
    --mode destructive --yes-destroy-data="$T" "${QUICK[@]}" --cache none --io native \
    --workload randwrite --json
[ -f "$T" ] || fail "destructive mode removed the target"
jq -e '.[0].status == "ok" and .[0].workload == "randwrite"' "$DIR/out" >/dev/null ||
    fail "destructive JSON: $(cat "$DIR/out")"

# A process that opens the target during the first cell: the safety check runs again before
# every writing cell, so the later cells are refused and never write (exit 3).
T4="$DIR/target4.img"
head -c $((8 << 20)) /dev/urandom >"$T4"
"$VDT" bench "${TV[@]}" --target "$T4" --mode destructive --yes-destroy-data="$T4" \
    --runtime 1 --ramp 0 --depth 4 --cache none,writeback --io threads,io_uring \
    --workload randwrite --json >"$DIR/hold.out" 2>"$DIR/hold.err" &
BG=$!
# Wait (no deadline asserted) until the first cell has the target open, then hold it too.
for _ in $(seq 1 600); do
    ls -l "/proc/$BG/fd" 2>/dev/null | grep -q "$T4" && break
    sleep 0.05
done
( exec 3<>"$T4"; exec sleep 60 ) &
HOLDER=$!
wait "$BG"
st=$?
BG=
kill "$HOLDER"
wait "$HOLDER" 2>/dev/null
HOLDER=
[ "$st" = 3 ] || fail "target opened mid-run: exit $st, expected 3 ($(cat "$DIR/hold.err"))"
jq -e 'length == 4 and .[0].status == "ok"
       and all(.[1:][]; .status == "refused" and (.reason | test("in use")) and (.ops // 0) == 0)' \
    "$DIR/hold.out" >/dev/null || fail "target opened mid-run: JSON $(cat "$DIR/hold.out")"
echo "ok: a target opened between cells: the later writing cells are refused (exit 3)"

# --save: the run in the results directory (root: /var/lib/virt-disktune/results): format 2,
# the cells as --json prints them under a header (docs/json.md "The saved file"). The test
# removes what it created, so a test run leaves no state directory on the host.
STATE=/var/lib/virt-disktune
STATE_EXISTED=no
[ -d "$STATE" ] && STATE_EXISTED=yes
XDG_DATA_HOME=$DIR/xdg expect 0 "save" -- "${TV[@]}" --target "$T" "${QUICK[@]}" --cache none \
    --io io_uring --save
SAVED=$(sed -n 's/^virt-disktune: results saved to //p' "$DIR/err")
if [ -z "$SAVED" ] || [ ! -f "$SAVED" ]; then
    fail "save: no file named: $(cat "$DIR/err")"
else
    jq -e --arg t "$T" '.format == 2 and (.cells | length) == 1 and .cells[0].status == "ok"
           and .target == $t and .target_identity.kind == "file" and .request.caches == ["none"]
           and .request.ios == ["io_uring"] and (.tool | startswith("virt-disktune "))' \
        "$SAVED" >/dev/null || fail "saved JSON: $(cat "$SAVED")"
    [ "$(stat -c %a "$SAVED")" = 600 ] || fail "saved file mode $(stat -c %a "$SAVED")"
    rm -f "$SAVED"
fi
if [ "$(id -u)" = 0 ] && [ "$STATE_EXISTED" = no ]; then
    rmdir "$STATE/results" "$STATE" 2>/dev/null || fail "save: $STATE not empty after the test"
fi

# ---- runners: --engine qemu-img and --cross-check ----
SUM=$(md5sum <"$T")   # after the destructive run above
expect 2 "unknown --engine" -- "${TV[@]}" --target "$T" --engine fio
expect 2 "--cross-check with --engine" -- "${TV[@]}" --target "$T" --cross-check --engine qemu-img
expect 2 "--repeat 0" -- "${TV[@]}" --target "$T" --repeat 0
VIRT_DISKTUNE_QEMU_IMG=/nonexistent/qemu-img expect 1 "qemu-img missing" -- "${TV[@]}" \
    --target "$T" --engine qemu-img
grep -q "runner qemu-img is not available" "$DIR/err" ||
    fail "a missing qemu-img does not say so: $(cat "$DIR/err")"
if command -v qemu-img >/dev/null; then
    expect 0 "--engine qemu-img" -- "${TV[@]}" --target "$T" "${QUICK[@]}" --engine qemu-img \
        --cache none,writeback --io threads --workload randread,seqread --json
    if jq -e 'all(.[]; .runner == "qemu-img" and .lat_ns == null and .status == "ok")
              and ([.[] | select(.workload == "randread")][0].reason | test("strided"))' \
            "$DIR/out" >/dev/null; then
        echo "ok: qemu-img ran every cell (random ones strided, no latency)"
    else
        fail "--engine qemu-img output: $(jq -c '[.[] | {workload, cache, status, runner, reason}]' "$DIR/out")"
    fi
    expect 0 "--engine qemu-img writes on a scratch file" -- "${TV[@]}" --target "$DIR/qs.img" \
        --mode scratch --span 8M "${QUICK[@]}" --engine qemu-img --cache none --io native \
        --workload randwrite,mixed --json
    if jq -e '([.[] | select(.workload == "randwrite") | .status] == ["ok"])
              and ([.[] | select(.workload == "mixed") | .status] == ["unsupported"])' \
            "$DIR/out" >/dev/null && [ ! -e "$DIR/qs.img" ]; then
        echo "ok: qemu-img wrote the scratch file (mixed unsupported), and it is gone"
    else
        fail "--engine qemu-img scratch: $(jq -c '[.[] | {workload, status, reason}]' "$DIR/out")"
    fi
    expect 0 "--cross-check --json" -- "${TV[@]}" --target "$T" "${QUICK[@]}" --cross-check \
        --cache none,directsync --io native,io_uring --json
    if jq -e '(.cells | map(.runner) | sort | unique) == ["in-process", "qemu-img"]
              and (.cells | length) == 8 and (.cross_check | length) == 1
              and (.cross_check[0].cells | length) == 4
              and (.cross_check[0].rho | type) == "number"
              and all(.cross_check[0].cells[]; .ratio > 0)' "$DIR/out" >/dev/null; then
        echo "ok: --cross-check ran both runners and compared 4 cells"
    else
        fail "--cross-check output: $(head -c 600 "$DIR/out")"
    fi
    expect 0 "--cross-check table" -- "${TV[@]}" --target "$T" "${QUICK[@]}" --cross-check \
        --cache none --io native,io_uring,threads
    grep -q "rank correlation of IOPS (Spearman): rho" "$DIR/out" &&
        grep -q "run by qemu-img bench" "$DIR/out" ||
        fail "--cross-check table: $(cat "$DIR/out")"
    [ "$(md5sum <"$T")" = "$SUM" ] || fail "a read-only cross-check changed the target"
else
    echo "skip: qemu-img is not installed: --engine qemu-img not run"
fi

# ---- SIGINT: the running cell ends, the rest are cancelled, what ran is printed ----
S2="$DIR/scratch2.img"
"$VDT" bench "${TV[@]}" --target "$S2" --mode scratch --span 8M --runtime 600 --ramp 0 \
    --depth 4 --cache none,writeback --io io_uring --workload randread --json \
    >"$DIR/int.out" 2>"$DIR/int.err" &
BG=$!
# Wait (no deadline asserted) until the first cell measures: the scratch file exists.
for _ in $(seq 1 600); do [ -e "$S2" ] && break; sleep 0.1; done
sleep 0.5
kill -INT "$BG"
wait "$BG"
st=$?
BG=
[ "$st" = 1 ] || fail "SIGINT: exit $st, expected 1"
[ -e "$S2" ] && fail "SIGINT: scratch file left behind"
jq -e 'length == 2 and all(.[]; .status == "cancelled")
       and .[1].reason == "cancelled before it ran"' "$DIR/int.out" >/dev/null ||
    fail "SIGINT JSON: $(cat "$DIR/int.out")"
grep -q "interrupted" "$DIR/int.err" || fail "SIGINT: no message: $(cat "$DIR/int.err")"
echo "ok: SIGINT cancels, reports and cleans up"

if [ "$FAILS" != 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "all bench CLI checks passed"
