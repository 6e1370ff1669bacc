#!/bin/bash
# A stand-in for LVM's lvs, lvcreate and lvremove (this kernel has no device-mapper, so LVM
# cannot run here): called through symlinks of those names on PATH, it answers the command
# lines virt-disktune gives (probes/lvm.c) the way LVM 2.03 does, keeps "logical volumes" as
# loop devices over files, and logs every command line it is given. An LV's node is
# $DM_DEV_DIR/VG/LV, a symlink to its loop device, as LVM's udev rules make it.
#
#   lvm-standin.sh register VG LV DEVICE   an existing LV (a loop device the test made)
#   lvm-standin.sh vg VG FREE_BYTES        a volume group with that much free space
#   lvs|lvcreate|lvremove ...              as LVM (the argv virt-disktune uses)
# State: $VDT_LVM_DIR (lvs/VG/LV: "uuid device size owned tags" ("-": no tag), vgs/VG: free
# bytes, log).
set -u
: "${VDT_LVM_DIR:?VDT_LVM_DIR names the state directory of the stand-in}"
DEVDIR=${DM_DEV_DIR:-/dev}
EXTENT=$((4 << 20))
tool=$(basename "$0")
[ "$tool" = lvm-standin.sh ] && { tool=$1; shift; }
mkdir -p "$VDT_LVM_DIR/lvs" "$VDT_LVM_DIR/vgs"
echo "$tool $*" >>"$VDT_LVM_DIR/log"

new_uuid() { head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n' | head -c 32; }

# lv_of WHAT: "VG LV" for VG/LV, $DEVDIR/VG/LV or /dev/mapper/VG-LV (no dash in names here).
lv_of() {
    local what=$1 vg lv
    case $what in
        "$DEVDIR"/*/*) what=${what#"$DEVDIR"/} ;;
        /dev/mapper/*-*) what=${what#/dev/mapper/}; what=${what/-//} ;;
        /*) echo "  \"$1\": Invalid path for Logical Volume." >&2; return 5 ;;
    esac
    vg=${what%%/*} lv=${what#*/}
    if [ ! -f "$VDT_LVM_DIR/lvs/$vg/$lv" ]; then
        echo "  Failed to find logical volume \"$vg/$lv\"" >&2
        return 5
    fi
    echo "$vg $lv"
}

case $tool in
register)
    mkdir -p "$VDT_LVM_DIR/lvs/$1" "$DEVDIR/$1"
    echo "$(new_uuid) $3 $(blockdev --getsize64 "$3") no -" >"$VDT_LVM_DIR/lvs/$1/$2"
    ln -sfn "$3" "$DEVDIR/$1/$2"
    ;;
vg)
    echo "$2" >"$VDT_LVM_DIR/vgs/$1"
    ;;
lvs)
    # lvs --noheadings --nosuffix --units b --separator | -o FIELDS -- WHAT
    what=${*: -1}
    read -r vg lv < <(lv_of "$what") || exit 5
    read -r uuid dev size _ tags <"$VDT_LVM_DIR/lvs/$vg/$lv"
    [ "$tags" = - ] && tags=
    echo "  $vg|$lv|$uuid|$DEVDIR/$vg/$lv|$size|$tags"
    ;;
lvcreate)
    # lvcreate --yes --name NAME --size BYTESb --addtag TAG VG
    [ $# = 8 ] && [ "$1 $2 $4 $6" = "--yes --name --size --addtag" ] && [ "${5%b}b" = "$5" ] ||
        { echo "  stand-in: unexpected command line: $*" >&2; exit 3; }
    name=$3 vg=$8 bytes=${5%b}
    [ -f "$VDT_LVM_DIR/vgs/$vg" ] || { echo "  Volume group \"$vg\" not found" >&2; exit 5; }
    [ -e "$VDT_LVM_DIR/lvs/$vg/$name" ] &&
        { echo "  Logical Volume \"$name\" already exists in volume group \"$vg\"" >&2; exit 5; }
    size=$(( (bytes + EXTENT - 1) / EXTENT * EXTENT ))
    free=$(cat "$VDT_LVM_DIR/vgs/$vg")
    if [ "$size" -gt "$free" ]; then
        echo "  Volume group \"$vg\" has insufficient free space ($((free / EXTENT)) extents): $((size / EXTENT)) required." >&2
        exit 5
    fi
    [ "$size" != "$bytes" ] && echo "  Rounding up size to full physical extent $size B" >&2
    # Like LVM on a VG's PVs: old data in the extents, never a hole.
    head -c "$size" /dev/urandom >"$VDT_LVM_DIR/$vg-$name.img"
    dev=$(losetup -f --show --direct-io=on "$VDT_LVM_DIR/$vg-$name.img") || exit 5
    mkdir -p "$VDT_LVM_DIR/lvs/$vg" "$DEVDIR/$vg"
    echo "$(new_uuid) $dev $size yes $7" >"$VDT_LVM_DIR/lvs/$vg/$name"
    ln -sfn "$dev" "$DEVDIR/$vg/$name"
    echo $((free - size)) >"$VDT_LVM_DIR/vgs/$vg"
    echo "  Logical volume \"$name\" created."
    ;;
lvremove)
    # lvremove --yes VG/NAME
    [ "$1" = --yes ] && [ $# = 2 ] || { echo "  stand-in: unexpected command line: $*" >&2; exit 3; }
    read -r vg lv < <(lv_of "$2") || exit 5
    read -r uuid dev size owned _ <"$VDT_LVM_DIR/lvs/$vg/$lv"
    [ "$owned" = yes ] && { losetup -d "$dev" || exit 5; }
    rm -f "$VDT_LVM_DIR/lvs/$vg/$lv" "$DEVDIR/$vg/$lv" "$VDT_LVM_DIR/$vg-$lv.img"
    [ -f "$VDT_LVM_DIR/vgs/$vg" ] && echo $(( $(cat "$VDT_LVM_DIR/vgs/$vg") + size )) >"$VDT_LVM_DIR/vgs/$vg"
    echo "  Logical volume \"$lv\" successfully removed."
    ;;
*)
    echo "lvm-standin: unknown tool '$tool'" >&2
    exit 3
    ;;
esac
