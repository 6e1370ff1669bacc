#!/bin/bash
# virt-disktune recommend from the outside, on libvirt's test driver and a private results
# directory: usage errors (2), an unknown domain and a disk without saved results (1), a
# recommendation from a saved run with its reasons and an apply line that apply accepts, the
# volatile modes only with --allow-volatile, a profile whose workloads never ran (1), --json,
# and bench's own recommendation after its tables. Usage: recommend_cli.sh PATH-TO-virt-disktune
set -u
VDT=${1:?usage: recommend_cli.sh PATH-TO-virt-disktune}
DIR=$(mktemp -d /var/tmp/vdt-recommend-XXXXXX)
trap 'rm -rf "$DIR"' EXIT
export VIRT_DISKTUNE_RESULTS_DIR=$DIR/results VIRT_DISKTUNE_JOURNAL_DIR=$DIR/journals
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }

head -c $((32 << 20)) /dev/urandom >"$DIR/web1.img"
cat >"$DIR/node.xml" <<XML
<node><domain type='test'><name>web1</name><memory>65536</memory><os><type>hvm</type></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw' cache='writeback'/><source file='$DIR/web1.img'/><target dev='vda' bus='virtio'/></disk></devices>
</domain></node>
XML
C=(-c "test://$DIR/node.xml")

# rec STATUS WHAT ARGS...: recommend, its exit status checked.
rec() {
    local want=$1 what=$2
    shift 2
    "$VDT" recommend "$@" >"$DIR/out" 2>"$DIR/err"
    local got=$?
    [ "$got" = "$want" ] && { ok "$what (exit $got)"; return 0; }
    fail "$what: exit $got, expected $want: $(head -c 400 "$DIR/err")"
    return 1
}

rec 2 "no --domain" "${C[@]}"
rec 2 "a profile that does not parse" "${C[@]}" --domain web1 --profile random=x &&
    { grep -q "'random=x': the weight is not a positive number" "$DIR/err" || fail "bad profile: $(cat "$DIR/err")"; }
rec 1 "an unknown domain" "${C[@]}" --domain nosuch
rec 1 "no saved results" "${C[@]}" --domain web1 &&
    { grep -q "domain web1 disk vda: no saved results" "$DIR/err" || fail "no results: $(cat "$DIR/err")"; }

# A saved run: two rounds, writeback in it (it may measure fastest; it must not win).
"$VDT" bench "${C[@]}" --domain web1 --disk vda --cache none,writethrough,writeback \
    --io native,io_uring --runtime 0.3 --ramp 0 --repeat 2 --save >"$DIR/bench.out" 2>"$DIR/bench.err" ||
    fail "bench --save: $(cat "$DIR/bench.err")"
grep -q "^recommendation: cache=" "$DIR/bench.out" || fail "bench printed no recommendation: $(tail -5 "$DIR/bench.out")"
if rec 0 "a recommendation from the saved run" "${C[@]}" --domain web1; then
    head=$(head -1 "$DIR/out")
    [[ $head =~ ^web1\ vda:\ cache=(none|writethrough|directsync)\ io=(native|io_uring)\ \(score ]] ||
        fail "the first line: $head"
    grep -q "^  - profile (none given: the workloads run, weighed alike): randread 100%" "$DIR/out" ||
        fail "no profile line: $(cat "$DIR/out")"
    grep -q "^web1 iothreads: 1 iothread for 1 busy disk" "$DIR/out" ||
        fail "no iothread suggestion: $(cat "$DIR/out")"
    apply=$(sed -n "s/^  apply: //p" "$DIR/out" | head -1)
    [[ $apply == "virt-disktune apply --domain web1 --disk vda --cache "* ]] || fail "apply line: $apply"
    # The line is one apply takes: its dry run plans the change.
    read -ra words <<<"${apply#virt-disktune }"
    "$VDT" "${words[@]}" "${C[@]}" --dry-run >"$DIR/apply.out" 2>&1 ||
        fail "the apply line does not run: $(cat "$DIR/apply.out")"
    ok "recommends ${head#web1 vda: }; apply --dry-run takes its line"
fi
rec 0 "--json" "${C[@]}" --domain web1 --disk vda --json &&
    { jq -e '.domain == "web1" and (.disks | length) == 1 and
             (.disks[0] | (.cache | IN("none", "writethrough", "directsync")) and .domain == "web1" and
              .disk == "vda" and (.scores | length) == 4 and (.reasons | length) > 0 and
              (.apply | startswith("virt-disktune apply --domain web1 --disk vda --cache"))) and
             (.iothreads.iothreads | length) == 1 and .iothreads.iothreads[0].disks == ["vda"] and
             (.iothreads_apply | startswith("virt-disktune apply --domain web1 --iothreads 1"))' \
          "$DIR/out" >/dev/null || fail "JSON: $(head -c 600 "$DIR/out")"; }
# The volatile switch: the saved run edited so that writeback leads by far (its reads marked
# as reaching the device, or the page-cache rule would not count them): without
# --allow-volatile it is named as the would-be winner and not chosen; with it, chosen.
saved=$(ls "$VIRT_DISKTUNE_RESULTS_DIR"/bench-*.json)
jq '.cells |= map(if .cache == "writeback" and .status == "ok" then
        (.iops *= 100 | .device_read_share = 1 |
         .min |= (if . then .iops *= 100 | .device_read_share = 1 else . end) |
         .max |= (if . then .iops *= 100 | .device_read_share = 1 else . end)) else . end)' \
    "$saved" >"$DIR/edited.json" && mv "$DIR/edited.json" "$saved"
rec 0 "writeback leads, no --allow-volatile" "${C[@]}" --domain web1 --json &&
    { jq -e '.disks[0] | .cache != "writeback" and .would_win.cache == "writeback" and
             ([.reasons[] | select(test("writeback/io_uring would have won"))] | length) == 1' \
          "$DIR/out" >/dev/null || fail "volatile, not allowed: $(head -c 900 "$DIR/out")"; }
rec 0 "writeback leads, --allow-volatile" "${C[@]}" --domain web1 --json --allow-volatile &&
    { jq -e '.disks[0] | .cache == "writeback" and .would_win == null and
             ([.scores[] | select(.cache == "writeback") | .volatile] | all)' \
          "$DIR/out" >/dev/null || fail "volatile, allowed: $(head -c 900 "$DIR/out")"; }
rec 1 "a profile whose workloads never ran" "${C[@]}" --domain web1 --profile sequential &&
    { grep -q "no workload of the profile has a cell that ran ok" "$DIR/err" || fail "profile: $(cat "$DIR/err")"; }
rec 1 "an unknown disk" "${C[@]}" --domain web1 --disk vdz &&
    { grep -q "no disk with target 'vdz'" "$DIR/err" || fail "unknown disk: $(cat "$DIR/err")"; }

echo "$FAILS failure(s)"
[ "$FAILS" = 0 ]
