# The stand-in LVM world both scratch-LV tests run in (sourced; tests/helpers/lvm-standin.sh
# is the stand-in): in DIR, lvs/lvcreate/lvremove on PATH, LV nodes under DIR/dev
# (DM_DEV_DIR), the domain's disk as LV vg0/web1 (32 MiB of data on a loop device, its
# SHA-256 in LVM_ENV_SUM), volume group vg0 with FREE bytes free, and DIR/node.xml: a
# test-driver domain "lvdom" whose vda is that LV.
#   lvm_env_setup DIR FREE     lvm_env_cleanup DIR   (detaches every loop device it made)
LVM_STANDIN="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/lvm-standin.sh"
LVM_ENV_DISK=
LVM_ENV_SUM=

lvm_env_setup() {
    local dir=$1 free=$2 tool
    mkdir -p "$dir/bin" "$dir/dev" "$dir/journals"
    for tool in lvs lvcreate lvremove; do ln -s "$LVM_STANDIN" "$dir/bin/$tool"; done
    export PATH="$dir/bin:$PATH" DM_DEV_DIR="$dir/dev" VDT_LVM_DIR="$dir/lvm"
    export VIRT_DISKTUNE_JOURNAL_DIR="$dir/journals"
    head -c $((32 << 20)) /dev/urandom >"$dir/web1.img"
    LVM_ENV_DISK=$(losetup -f --show --direct-io=on "$dir/web1.img") || return 1
    "$LVM_STANDIN" register vg0 web1 "$LVM_ENV_DISK"
    "$LVM_STANDIN" vg vg0 "$free"
    LVM_ENV_SUM=$(sha256sum <"$LVM_ENV_DISK")
    cat >"$dir/node.xml" <<XML
<node><domain type='test'><name>lvdom</name><memory>65536</memory><os><type>hvm</type></os>
<devices><disk type='block' device='disk'><driver name='qemu' type='raw'/><source dev='$dir/dev/vg0/web1'/><target dev='vda' bus='virtio'/></disk></devices>
</domain></node>
XML
}

lvm_env_cleanup() {
    local dir=$1 f dev owned
    for f in "$dir"/lvm/lvs/*/*; do
        [ -f "$f" ] || continue
        read -r _ dev _ owned _ <"$f"
        [ "$owned" = yes ] && losetup -d "$dev" 2>/dev/null
    done
    [ -n "$LVM_ENV_DISK" ] && losetup -d "$LVM_ENV_DISK"
    LVM_ENV_DISK=
    rm -rf "$dir"
}
