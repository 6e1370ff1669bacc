#!/bin/bash
# The promises `bench` makes, checked from outside on real files and loop devices, through
# independent witnesses (the loop device's own counters, an LD_PRELOAD shim's log of the
# calls, checksums):
#   - a write is refused (exit 3, the cause named, the target's checksum unchanged) for each
#     cause: a running domain's disk named by --target, another process's descriptor, QEMU's
#     OFD locks, an O_EXCL holder, a mount, a holder in sysfs, libvirt unreachable;
#   - reads open the target read-only, in every cell (and run on a read-only loop device);
#   - O_DIRECT exactly for cache=none and directsync;
#   - reads of a sparse file land only in its allocated data;
#   - one device flush per written block exactly where the cache mode or the workload asks
#     for one, for every engine (the loop device's flush counter).
# Needs root (loop devices, mounts). Usage: promises.sh VDT VDT_HOLD SHIM
# VDT_PROMISES=refusals,opens,sparse,flushes,pagecache runs only those sections
# (scripts/mutants.sh).
set -u
VDT=${1:?usage: promises.sh VDT VDT_HOLD SHIM}
HOLD=${2:?usage: promises.sh VDT VDT_HOLD SHIM}
SHIM=${3:?usage: promises.sh VDT VDT_HOLD SHIM}
. "$(dirname "$0")/../skip.sh"
[ "$(id -u)" -eq 0 ] || vdt_skip "needs root (loop devices, mounts)"
for tool in losetup mkfs.ext4 unshare jq sha256sum; do
    command -v "$tool" >/dev/null || vdt_skip "$tool is not installed"
done

DIR=$(mktemp -d /var/tmp/vdt-promises-XXXXXX)
FAILS=0
HOLDERS=()
MNT=

cleanup() {
    local p l
    for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "$MNT" ] && umount "$MNT"
    if [ -f "$DIR/loops" ]; then
        while read -r l; do losetup -d "$l" || echo "clean-up: losetup -d $l failed" >&2; done <"$DIR/loops"
    fi
    rm -rf "$DIR"
}
trap cleanup EXIT

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
section() { [ -z "${VDT_PROMISES:-}" ] || [[ ,$VDT_PROMISES, == *,$1,* ]]; }

data_file() {   # PATH MIB: written with data (holes measure nothing)
    dd if=/dev/urandom of="$1" bs=1M count="$2" status=none conv=fsync
}
loop() {        # FILE [losetup options]: a loop device over it, recorded (in a file: this
    local f=$1 dev   # runs in $(...), a subshell) for clean-up
    shift
    dev=$(losetup -f --show "$@" "$f") || return 1
    echo "$dev" >>"$DIR/loops"
    echo "$dev"
}
hold() {        # MODE PATH: a holder process in place (vdt_hold), recorded for clean-up
    rm -f "$DIR/ready"
    "$HOLD" "$1" "$2" "$DIR/ready" &
    HOLDERS+=($!)
    for _ in $(seq 1 300); do [ -e "$DIR/ready" ] && return 0; sleep 0.1; done
    fail "vdt_hold $1 $2 never got ready"
    return 1
}
unhold() {
    local p
    for p in "${HOLDERS[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    HOLDERS=()
}

ONE=(--runtime 0.2 --ramp 0 --depth 4 --cache none --io io_uring --workload randwrite)

# refused LABEL CAUSE TARGET [bench options...]: a destructive write confirmed on TARGET
# is refused with exit 3 and one line naming CAUSE (a grep pattern), and nothing changed.
refused() {
    local label=$1 cause=$2 target=$3 before after rc=0
    shift 3
    before=$(sha256sum <"$target")
    "$VDT" bench --target "$target" --mode destructive --yes-destroy-data="$target" "${ONE[@]}" \
        "$@" >"$DIR/out" 2>"$DIR/err" || rc=$?
    after=$(sha256sum <"$target")
    if [ "$rc" != 3 ]; then
        fail "$label: exit $rc, expected 3 ($(head -c 300 "$DIR/err"))"
    elif [ "$(wc -l <"$DIR/err")" != 1 ]; then
        fail "$label: expected one line on stderr, got: $(cat "$DIR/err")"
    elif ! grep -q -- "$cause" "$DIR/err"; then
        fail "$label: the message does not name the cause '$cause': $(cat "$DIR/err")"
    elif [ "$before" != "$after" ]; then
        fail "$label: the target changed"
    else
        ok "$label: exit 3, '$(cat "$DIR/err")'"
    fi
}

# ---- one refusal per cause ---------------------------------------------------------------
TV=(-c test:///default)
G=$DIR/spare.img           # a plain file nothing else uses
data_file "$G" 8
data_file "$DIR/spare-dev.img" 8
GL=$(loop "$DIR/spare-dev.img" --direct-io=on)   # a loop device nothing else uses

if section refusals; then
# A test-driver host whose running domain has an image file as its disk; a loop device over
# another domain's image (writing it writes the image).
F=$DIR/guest.img
F2=$DIR/guest2.img
data_file "$F" 8
data_file "$F2" 8
FL=$(loop "$F2" --direct-io=on)
cat >"$DIR/node.xml" <<EOF
<node>
  <domain type='test'>
    <name>guest-$$</name>
    <memory unit='MiB'>64</memory>
    <os><type arch='x86_64'>hvm</type></os>
    <devices>
      <disk type='file' device='disk'><source file='$F'/><target dev='vda' bus='virtio'/></disk>
      <disk type='file' device='disk'><source file='$F2'/><target dev='vdb' bus='virtio'/></disk>
    </devices>
  </domain>
</node>
EOF
TD=(-c "test://$DIR/node.xml")
refused "a running domain's image named by --target" "used by domain guest-$$ (running), disk vda" \
    "$F" "${TD[@]}"
refused "a loop device over a running domain's image" \
    "used by domain guest-$$ (running), disk vdb: .*the backing file of this loop device" "$FL" "${TD[@]}"
# No -c: libvirt is asked at the default URI, which does not answer.
LIBVIRT_DEFAULT_URI='qemu+unix:///system?socket=/nonexistent/vdt-no-libvirtd' \
    refused "libvirt unreachable" "cannot check which domains use" "$F"

hold fd "$G" && refused "a file another process holds open" "held open by pid" "$G" "${TV[@]}"
unhold
hold ofd "$G" && refused "a file with QEMU's OFD locks" "locked by QEMU (OFD lock on byte" "$G" "${TV[@]}"
unhold
H=$DIR/held.img
data_file "$H" 8
HL=$(loop "$H" --direct-io=on)
hold ofd "$H" && refused "a loop device whose backing file QEMU has locked" \
    "its backing file $H is locked by QEMU (OFD lock on byte" "$HL" "${TV[@]}"
unhold
hold excl "$GL" && refused "a block device opened O_EXCL by another" "claimed exclusively (O_EXCL open" "$GL" "${TV[@]}"
unhold

M=$DIR/fs.img
data_file "$M" 16
ML=$(loop "$M")
# Mounted read-only (noload: no journal replay): a read-write ext4 writes its own device
# after the mount (lazy inode-table init, journal commits), which the checksum would see.
mkfs.ext4 -q -F "$ML" && mkdir -p "$DIR/mnt" && mount -o ro,noload "$ML" "$DIR/mnt" && MNT=$DIR/mnt
refused "a mounted block device" "mounted on $DIR/mnt" "$ML" "${TV[@]}"
umount "$MNT" && MNT=

# A holder in sysfs (a device stacked on this one) needs device-mapper or md, which this
# kernel lacks; the holders directory of the real device is replaced, in a private mount
# namespace of the command alone, by one that names a real device as its holder.
mkdir -p "$DIR/holders"
STACKED=$(loop "$M")
ln -s "/sys/class/block/${STACKED#/dev/}" "$DIR/holders/${STACKED#/dev/}"
before=$(sha256sum <"$G")
rc=0
unshare --mount --propagation private sh -c \
    'mount --bind "$1" "/sys/class/block/$2/holders" && shift 2 && exec "$@"' sh \
    "$DIR/holders" "${GL#/dev/}" "$VDT" bench "${TV[@]}" --target "$GL" --mode destructive \
    --yes-destroy-data="$GL" "${ONE[@]}" >"$DIR/out" 2>"$DIR/err" || rc=$?
if [ "$rc" != 3 ] || ! grep -q "held by ${STACKED#/dev/} (stacked on it)" "$DIR/err" ||
   [ "$before" != "$(sha256sum <"$G")" ]; then
    fail "a device with a holder in sysfs: exit $rc, '$(cat "$DIR/err")'"
else
    ok "a device with a holder in sysfs: exit 3, '$(cat "$DIR/err")'"
fi
fi   # refusals

# ---- what the runner opens: read-only for reads, O_DIRECT exactly where QEMU uses it -------
# shimmed LOG ARGS...: bench with the shim logging its open and pread calls to LOG.
shimmed() {
    local log=$1
    shift
    rm -f "$log"
    VDT_SHIM_LOG=$log LD_PRELOAD=$SHIM ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0" \
        "$VDT" bench "$@"
}
direct_cache() { [ "$1" = none ] || [ "$1" = directsync ]; }
valid() { [ "$2" != native ] || direct_cache "$1"; }

if section opens; then
opens_ok=0
for target in "$G" "$GL"; do
    for cache in none writethrough writeback directsync unsafe; do
        for io in native threads io_uring; do
            valid "$cache" "$io" || continue
            for wl in randread randwrite; do
                args=(--runtime 0.05 --ramp 0 --depth 4 --cache "$cache" --io "$io" --workload "$wl" --json)
                [ "$wl" = randwrite ] && args+=(--mode destructive --yes-destroy-data="$target")
                shimmed "$DIR/open.log" "${TV[@]}" --target "$target" "${args[@]}" >"$DIR/out" 2>"$DIR/err" ||
                    { fail "$target $cache/$io $wl: exit $? ($(cat "$DIR/err"))"; continue; }
                opens=$(awk -v t="$target" '$1 == "open" && $3 == t {print $2}' "$DIR/open.log")
                label="$target $cache/$io $wl"
                # The engine's open is the one with O_DIRECT or, for writes, O_EXCL.
                if [ "$wl" = randread ]; then
                    grep -qv '^rdonly' <<<"$opens" && fail "$label: opened other than read-only: $(echo $opens)"
                else
                    grep -qx 'rdwr\(,direct\)\{0,1\},excl' <<<"$opens" ||
                        fail "$label: the write cell's open is not O_RDWR|O_EXCL: $(echo $opens)"
                fi
                if direct_cache "$cache"; then
                    grep -q ',direct' <<<"$opens" || fail "$label: no O_DIRECT open: $(echo $opens)"
                else
                    grep -q ',direct' <<<"$opens" && fail "$label: O_DIRECT open for a buffered cache mode: $(echo $opens)"
                fi
                [ -n "$opens" ] || fail "$label: the shim saw no open of the target"
                opens_ok=$((opens_ok + 1))
            done
        done
    done
done
ok "open flags checked in $opens_ok cells (file and loop device, every valid cache/io, read and write)"

data_file "$DIR/ro.img" 8
RO=$(loop "$DIR/ro.img" --read-only)
"$VDT" bench "${TV[@]}" --target "$RO" --runtime 0.05 --ramp 0 --depth 4 --json >"$DIR/out" 2>"$DIR/err"
rc=$?
if [ "$rc" = 0 ] && jq -e '[.[] | select(.status == "ok")] | length == 12' "$DIR/out" >/dev/null; then
    ok "every valid read cell runs on a read-only loop device"
else
    fail "read cells on a read-only loop device: exit $rc: $(cat "$DIR/err") $(jq -c '[.[] | .status]' "$DIR/out")"
fi
fi   # opens

# ---- the page cache: dropped before every cell, and what reached the device ----------------
if section pagecache; then
for target in "$G" "$GL"; do
    shimmed "$DIR/fadvise.log" "${TV[@]}" --target "$target" --runtime 0.1 --ramp 0 --depth 4 \
        --cache none,writeback,unsafe --io threads --json >"$DIR/out" 2>"$DIR/err" ||
        fail "$target: three cells: exit $? ($(cat "$DIR/err"))"
    drops=$(awk -v t="$(readlink -f "$target")" '$1 == "fadvise" && $2 == "dontneed" && $3 == t' \
        "$DIR/fadvise.log" | wc -l)
    if [ "$drops" = 3 ]; then
        ok "$target: the page cache dropped before each of the 3 cells"
    else
        fail "$target: $drops POSIX_FADV_DONTNEED of the target for 3 cells"
    fi
done
# On the loop device nothing else uses: O_DIRECT reads all reach it; buffered reads of its
# 8 MiB for 0.5 s come mostly from RAM, and the output says so.
"$VDT" bench "${TV[@]}" --target "$GL" --runtime 0.5 --ramp 0 --depth 4 --cache none,writeback \
    --io threads --json >"$DIR/share.json" 2>"$DIR/err" || fail "device_read_share run: $(cat "$DIR/err")"
none=$(jq -r '.[] | select(.cache == "none") | .device_read_share' "$DIR/share.json")
wb=$(jq -r '.[] | select(.cache == "writeback") | .device_read_share' "$DIR/share.json")
if jq -e '[.[] | select(.cache == "none")][0].device_read_share >= 0.9' "$DIR/share.json" >/dev/null &&
   jq -e '[.[] | select(.cache == "writeback")][0].device_read_share < 0.5' "$DIR/share.json" >/dev/null; then
    ok "device_read_share on $GL: none $none (direct), writeback $wb (page cache)"
else
    fail "device_read_share on $GL: none $none (want >= 0.9), writeback $wb (want < 0.5)"
fi
"$VDT" bench "${TV[@]}" --target "$GL" --runtime 0.5 --ramp 0 --depth 4 --cache none,writeback \
    --io threads >"$DIR/share.txt" 2>"$DIR/err"
if grep -q '^writeback .* RAM' "$DIR/share.txt" && ! grep -q '^none .* RAM' "$DIR/share.txt" &&
   grep -q "the figure measures the host's page cache, not storage" "$DIR/share.txt"; then
    ok "the table marks the writeback cell RAM and says what it measured"
else
    fail "the table does not mark RAM as it should: $(cat "$DIR/share.txt")"
fi
# With repeats: every round drops the cache again, and a buffered cell whose file fits in
# RAM still reports it in its median, min and max; the direct cell never does.
"$VDT" bench "${TV[@]}" --target "$GL" --runtime 0.3 --ramp 0 --depth 4 --cache none,writeback \
    --io threads --repeat 3 --json >"$DIR/rep.json" 2>"$DIR/err" || fail "--repeat 3 run: $(cat "$DIR/err")"
if jq -e '[.[] | select(.cache == "writeback")][0] | .rounds == 3 and .device_read_share < 0.5
          and .max.device_read_share < 0.5' "$DIR/rep.json" >/dev/null &&
   jq -e '[.[] | select(.cache == "none")][0] | .rounds == 3 and .min.device_read_share >= 0.9' \
        "$DIR/rep.json" >/dev/null; then
    ok "--repeat 3 on $GL: writeback reads from RAM in every round, none from the device"
else
    fail "--repeat 3 on $GL: $(jq -c '[.[] | {cache, rounds, device_read_share, min: .min.device_read_share, max: .max.device_read_share}]' "$DIR/rep.json")"
fi
fi   # pagecache

# ---- reads of a sparse file land in its data ----------------------------------------------
# 8 MiB: data in the even MiBs, holes in the odd ones.
if section sparse; then
S=$DIR/sparse.img
truncate -s 8M "$S"
for mib in 0 2 4 6; do
    dd if=/dev/urandom of="$S" bs=1M seek="$mib" count=1 conv=notrunc,fsync status=none
done
for wl in randread seqread; do
    shimmed "$DIR/pread.log" "${TV[@]}" --target "$S" --cache none --io threads --workload "$wl" \
        --runtime 0.2 --ramp 0 --depth 4 --block 4k --json >"$DIR/out" 2>"$DIR/err" ||
        { fail "sparse $wl: exit $? ($(cat "$DIR/err"))"; continue; }
    read -r n outside < <(awk '$1 == "pread" { n++; s = int($2 / 1048576); e = int(($2 + $3 - 1) / 1048576)
                                              if (s % 2 || e != s) out++ }
                               END { print n + 0, out + 0 }' "$DIR/pread.log")
    frac=$(jq -r '.[0].data_fraction' "$DIR/out")
    if [ "$n" -lt 100 ]; then
        fail "sparse $wl: only $n reads seen by the shim"
    elif [ "$outside" != 0 ]; then
        fail "sparse $wl: $outside of $n reads landed in a hole"
    elif [ "$frac" != 0.5 ]; then
        fail "sparse $wl: data_fraction $frac, expected 0.5"
    else
        ok "sparse $wl: all $n reads inside allocated data, data_fraction $frac"
    fi
done
fi   # sparse

# ---- flushes per written block ------------------------------------------------------------
# At depth 1 each write is alone, so the device's flush count is exact: one per write where
# QEMU would flush (writethrough, directsync: after every write; syncwrite: the guest's
# flush after every write, which unsafe drops), none elsewhere.
if section flushes; then
flushes() { awk '{print $16}' "/sys/block/${1#/dev/}/stat"; }
flush_cells=0
for wl in randwrite syncwrite; do
    for cache in none writethrough writeback directsync unsafe; do
        for io in native threads io_uring; do
            valid "$cache" "$io" || continue
            f0=$(flushes "$GL")
            "$VDT" bench "${TV[@]}" --target "$GL" --mode destructive --yes-destroy-data="$GL" \
                --cache "$cache" --io "$io" --workload "$wl" --runtime 0.2 --ramp 0 --depth 1 \
                --json >"$DIR/out" 2>"$DIR/err" || { fail "flushes $cache/$io $wl: exit $? ($(cat "$DIR/err"))"; continue; }
            f=$(( $(flushes "$GL") - f0 ))
            ops=$(jq -r '.[0].ops' "$DIR/out")
            label="flushes $cache/$io $wl: $f for $ops writes"
            if [ "$cache" = writethrough ] || [ "$cache" = directsync ] ||
               { [ "$wl" = syncwrite ] && [ "$cache" != unsafe ]; }; then
                # The last write's flush may complete after the clock stopped: +1.
                if [ "$ops" -gt 0 ] && [ "$f" -ge "$ops" ] && [ "$f" -le $((ops + 1)) ]; then
                    flush_cells=$((flush_cells + 1))
                else
                    fail "$label, expected one per write"
                fi
            elif [ "$f" = 0 ] && [ "$ops" -gt 0 ]; then
                flush_cells=$((flush_cells + 1))
            else
                fail "$label, expected none"
            fi
        done
    done
done
ok "flushes per written block as QEMU does them in $flush_cells cells (every engine and cache mode)"
fi   # flushes

if [ "$FAILS" != 0 ]; then
    echo "$FAILS failure(s)"
    exit 1
fi
echo "all promise checks passed"
