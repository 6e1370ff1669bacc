#!/bin/bash
# Listing speed: `virt-disktune list --json` against `virsh list --all` on the same
# test-driver node file of 1000 domains, run alternately 5 times each; prints the medians
# and their ratio (goal: at most 1.3, see DESIGN.md "Listing speed"). Not a timed test.
#
# usage: bench/list1000.sh [BUILD_DIR]     (default: build)
set -euo pipefail

build=${1:-build}
prog="$build/tui/virt-disktune"
count=${VDT_BENCH_DOMAINS:-1000}
runs=5
[ -x "$prog" ] || { echo "list1000: $prog not built (usage: $0 BUILD_DIR)" >&2; exit 1; }
command -v virsh >/dev/null || { echo "list1000: virsh not found (apt-get install libvirt-clients)" >&2; exit 1; }

dir=$(mktemp -d /tmp/vdt-list1000-XXXXXX)
trap 'rm -rf "$dir"' EXIT
node="$dir/node.xml"
uri="test://$node"

# Each domain like a real one: iothreads, pins, two disks (one a file written with data,
# shared by all: backing resolution does real stat/sysfs work), a cdrom without media.
head -c $((1 << 20)) /dev/urandom > "$dir/disk.img"
{
    echo "<node>"
    for ((i = 0; i < count; i++)); do
        printf "<domain type='test'><name>vm%04d</name><memory unit='MiB'>256</memory>" "$i"
        printf "<vcpu current='2'>4</vcpu><iothreads>2</iothreads>"
        printf "<cputune><vcpupin vcpu='0' cpuset='0'/><iothreadpin iothread='1' cpuset='1'/></cputune>"
        printf "<os><type arch='x86_64'>hvm</type></os><devices>"
        printf "<disk type='file' device='disk'><driver name='qemu' type='raw' cache='none' io='native' iothread='1'/>"
        printf "<source file='%s'/><target dev='vda' bus='virtio'/></disk>" "$dir/disk.img"
        printf "<disk type='block' device='disk'><driver name='qemu' type='raw'/>"
        printf "<source dev='/dev/vg0/vm%04d'/><target dev='vdb' bus='virtio'/></disk>" "$i"
        printf "<disk type='file' device='cdrom'><target dev='sda' bus='sata'/><readonly/></disk>"
        printf "</devices></domain>\n"
    done
    echo "</node>"
} > "$node"

now() { date +%s.%N; }
median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

virsh_times=() ; list_times=()
for ((r = 0; r < runs; r++)); do
    t0=$(now); virsh -c "$uri" list --all > /dev/null; t1=$(now)
    virsh_times+=("$(echo "$t1 - $t0" | bc -l)")
    t0=$(now); "$prog" list --json -c "$uri" > "$dir/out.json"; t1=$(now)
    list_times+=("$(echo "$t1 - $t0" | bc -l)")
done

listed=$(jq '.domains | length' "$dir/out.json")
[ "$listed" -eq "$count" ] || { echo "list1000: listed $listed of $count domains" >&2; exit 1; }
v=$(printf '%s\n' "${virsh_times[@]}" | median)
l=$(printf '%s\n' "${list_times[@]}" | median)
printf 'domains: %d, runs: %d each, alternating\n' "$count" "$runs"
printf 'virsh list --all          median %.3f s\n' "$v"
printf 'virt-disktune list --json median %.3f s\n' "$l"
printf 'ratio %.2f (goal <= 1.30)\n' "$(echo "$l / $v" | bc -l)"
