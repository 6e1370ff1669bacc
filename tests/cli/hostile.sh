#!/bin/bash
# Every output path fed hostile names and paths, checked byte for byte (tests/cli/rawcheck.py)
# for raw control characters: list's text and JSON, bench's table, JSON, CSV and stderr
# (progress, warnings, errors); apply's and undo's plans, diffs, reports and errors. The hostile text: a domain name with a tab, a CR, a C1 CSI
# (U+009B) and a bidi override (U+202E); an image whose name holds the last two; a disk
# whose source is a symlink to a file named with an ESC sequence and a byte that is not
# UTF-8 (0x9B alone, the 8-bit CSI), which backing resolution finds; the same file given to
# --target. Each check also requires the escaped form, so the text is known to have arrived.
# Usage: hostile.sh PATH-TO-virt-disktune
set -u
VDT=${1:?usage: hostile.sh PATH-TO-virt-disktune}
CHECK="python3 $(dirname "$0")/rawcheck.py"
DIR=$(mktemp -d /var/tmp/vdt-hostile-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$DIR"' EXIT
FAILS=0
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }

NAME=$'hostile\t\r\xc2\x9b31m\xe2\x80\xaeend'
NAME2=$'second\t\xc2\x9b31m\xe2\x80\xaeend'
IMG="$DIR/img-"$'\xe2\x80\xae'"gpj"$'\xc2\x9b'".img"      # U+202E, U+009B: valid UTF-8
BAD="$DIR/esc"$'\x1b'"[31m"$'\x9b'"bad.img"              # ESC, and 0x9B alone: not UTF-8
head -c $((4 << 20)) /dev/urandom >"$IMG"
head -c $((4 << 20)) /dev/urandom >"$BAD"
ln -s "$BAD" "$DIR/link.img"
cat >"$DIR/node.xml" <<EOF
<node>
  <domain type='test'>
    <name>hostile&#9;&#13;&#x9B;31m&#x202E;end</name>
    <memory unit='MiB'>64</memory>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'><source file='$DIR/img-&#x202E;gpj&#x9B;.img'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='disk'><source file='$DIR/link.img'/><target dev='vdb' bus='virtio'/></disk>
    </devices>
  </domain>
  <domain type='test'>
    <name>second&#9;&#x9B;31m&#x202E;end</name>
    <memory unit='MiB'>64</memory>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'><source file='$DIR/img-&#x202E;gpj&#x9B;.img'/><target dev='vda' bus='virtio'/></disk>
    </devices>
  </domain>
</node>
EOF
C=(-c "test://$DIR/node.xml")
Q=(--runtime 0.05 --ramp 0 --depth 2 --cache none,writeback --io io_uring)

# run LABEL EXPECTED_STATUS COMMAND...: stdout to $DIR/LABEL.out, stderr to $DIR/LABEL.err.
run() {
    local label=$1 want=$2 rc=0
    shift 2
    "$@" >"$DIR/$label.out" 2>"$DIR/$label.err" || rc=$?
    [ "$rc" = "$want" ] || fail "$label: exit $rc, expected $want: $(head -c 300 "$DIR/$label.err")"
}
# clean LABEL.STREAM MUST_CONTAIN...: no raw control character, and the escaped forms there.
clean() {
    local file=$DIR/$1
    shift
    if $CHECK "$file" "$@"; then
        echo "ok: $(basename "$file"): no raw control characters, escaped forms present"
    else
        fail "$(basename "$file")"
    fi
}

TEXT_NAME='hostile\t\r\x9B31m\u{202E}end'
JSON_NAME='hostile\t\r\u009B31m\u202Eend'
TEXT_NAME2='second\t\x9B31m\u{202E}end'

run list 0 "$VDT" list "${C[@]}"
clean list.out "$TEXT_NAME" 'img-\u{202E}gpj\x9B.img'
run list-json 0 "$VDT" list "${C[@]}" --json
clean list-json.out "$JSON_NAME" 'img-\u202Egpj\u009B.img' 'esc\u001b[31m\uFFFDbad.img'
jq -e --arg n "$(printf '%s' "$NAME")" '.domains[0].name == $n' "$DIR/list-json.out" >/dev/null ||
    fail "list --json: the name does not read back as the original"

run bench-domain 0 "$VDT" bench "${C[@]}" --domain "$NAME" --disk vda "${Q[@]}"
clean bench-domain.out 'img-\u{202E}gpj\x9B.img'
clean bench-domain.err "$TEXT_NAME" 'img-\u{202E}gpj\x9B.img'
run bench-json 0 "$VDT" bench "${C[@]}" --domain "$NAME" --disk vdb "${Q[@]}" --json
clean bench-json.out 'esc\u001b[31m\uFFFDbad.img'
clean bench-json.err 'esc\x1B[31m\x9Bbad.img'
run bench-csv 0 "$VDT" bench "${C[@]}" --domain "$NAME" --disk vdb "${Q[@]}" --csv
clean bench-csv.out 'esc\x1B[31m\x9Bbad.img'
run bench-target 0 "$VDT" bench -c test:///default --target "$BAD" "${Q[@]}"
clean bench-target.out 'on '"$DIR"'/esc\x1B[31m\x9Bbad.img'
clean bench-target.err 'none/io_uring randread: ok'
run bench-target-json 0 "$VDT" bench -c test:///default --target "$IMG" "${Q[@]}" --json
clean bench-target-json.out 'img-\u202Egpj\u009B.img'

# Errors name the hostile object, escaped.
run err-disk 1 "$VDT" bench "${C[@]}" --domain "$NAME" --disk $'vd\x1bz'
clean err-disk.err "$TEXT_NAME" 'vd\x1Bz'
run err-target 1 "$VDT" bench -c test:///default --target "$BAD.missing"
clean err-target.err 'esc\x1B[31m\x9Bbad.img.missing'
run err-write 3 "$VDT" bench "${C[@]}" --target "$IMG" --mode destructive \
    --yes-destroy-data="$IMG" --workload randwrite "${Q[@]}"
clean err-write.err "$TEXT_NAME" 'img-\u{202E}gpj\x9B.img'

# apply and undo: the plan, the diff, the report and the errors (test driver: each run
# has the host fresh, so apply writes and verifies within its own run). libvirt gives a CR
# in a name back as LF, so the name with one is refused (a redefine would rename it); the
# one with a tab, a C1 CSI and a bidi override goes through.
export VIRT_DISKTUNE_APPLY_DIR=$DIR/apply
run apply-cr 3 "$VDT" apply "${C[@]}" --domain "$NAME" --disk vda --cache none --dry-run
clean apply-cr.err "$TEXT_NAME" 'a redefine would rename it'
run apply-dry 0 "$VDT" apply "${C[@]}" --domain "$NAME2" --disk vda --cache none --dry-run
clean apply-dry.out "$TEXT_NAME2" 'img-\u{202E}gpj\x9B.img'
run apply-yes 0 "$VDT" apply "${C[@]}" --domain "$NAME2" --disk vda --cache none --yes
clean apply-yes.out "$TEXT_NAME2" 'saved the undo record' 'ok: definition'
run apply-err-disk 1 "$VDT" apply "${C[@]}" --domain "$NAME2" --disk $'vd\x1bz' --cache none --yes
clean apply-err-disk.err "$TEXT_NAME2" 'vd\x1Bz'
run apply-err-pin 2 "$VDT" apply "${C[@]}" --domain "$NAME2" --pin $'1:0\x1b[2J' --yes
clean apply-err-pin.err '0\x1B[2J'
run undo-list 0 "$VDT" undo --list
clean undo-list.out "$TEXT_NAME2"
run undo-none 1 "$VDT" undo "${C[@]}" --domain "$NAME2" --dry-run
clean undo-none.err "$TEXT_NAME2"

if [ "$FAILS" != 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "all hostile-output checks passed"
