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

median() { sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

# Wall time is the yardstick; CPU time (user+sys) is printed too, because on a shared
# machine the wall time of a single run swings with the load far more than its CPU time.
TIMEFORMAT='%R %U %S'
timed() { { time "$@" > "$dir/out.json" 2> "$dir/err.txt"; } 2>&1; }

v_wall=() v_cpu=() l_wall=() l_cpu=()
for ((r = 0; r < runs; r++)); do
    read -r w u s < <(timed virsh -c "$uri" list --all)
    v_wall+=("$w"); v_cpu+=("$(echo "$u + $s" | bc -l)")
    read -r w u s < <(timed "$prog" list --json -c "$uri")
    l_wall+=("$w"); l_cpu+=("$(echo "$u + $s" | bc -l)")
done

listed=$(jq '.domains | length' "$dir/out.json")
[ "$listed" -eq "$count" ] || { echo "list1000: listed $listed of $count domains" >&2; exit 1; }
vw=$(printf '%s\n' "${v_wall[@]}" | median); vc=$(printf '%s\n' "${v_cpu[@]}" | median)
lw=$(printf '%s\n' "${l_wall[@]}" | median); lc=$(printf '%s\n' "${l_cpu[@]}" | median)
printf 'domains: %d, runs: %d each, alternating; load average: %s\n' "$count" "$runs" \
    "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-27s median wall %.3f s, cpu %.3f s\n' "virsh list --all" "$vw" "$vc"
printf '%-27s median wall %.3f s, cpu %.3f s\n' "virt-disktune list --json" "$lw" "$lc"
printf 'ratio wall %.2f, cpu %.2f (goal: wall <= 1.30)\n' "$(echo "$lw / $vw" | bc -l)" \
    "$(echo "$lc / $vc" | bc -l)"
