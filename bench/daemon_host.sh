# A real libvirtd with N defined, shut-off domains (vdt-bench-1..N, one file disk each) for
# the benchmark scripts (sourced; needs $n and the repository as the working directory).
# Starts virtlogd and libvirtd when none runs (tests/e2e/daemons.sh) and stops only those;
# undefines its domains on exit.
uri=qemu:///system
work=$(mktemp -d /var/tmp/vdt-bench-list.XXXXXX)
chmod 0755 "$work"

cleanup() {
    declare -F bench_cleanup >/dev/null && bench_cleanup
    if [ -s "$work/names" ]; then
        sed 's/^/undefine /' "$work/names" | virsh -q -c "$uri" >/dev/null 2>&1
    fi
    bash tests/e2e/daemons.sh stop "$work/daemons" >/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

bash tests/e2e/daemons.sh start "$work/daemons" >/dev/null || { echo "libvirtd did not start" >&2; exit 1; }
dd if=/dev/urandom of="$work/disk.img" bs=1M count=1 status=none
t0=$(date +%s.%N)
for i in $(seq 1 "$n"); do
    name=vdt-bench-$i
    cat >"$work/$name.xml" <<EOF
<domain type='qemu'><name>$name</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os>
<devices><disk type='file' device='disk'><driver name='qemu' type='raw'/>
<source file='$work/disk.img'/><target dev='vda' bus='virtio'/></disk>
<memballoon model='none'/></devices></domain>
EOF
    echo "define $work/$name.xml"
    echo "$name" >>"$work/names"
done | virsh -q -c "$uri" >/dev/null || { echo "defining the domains failed" >&2; exit 1; }
printf 'defined %d domains in %.1f s\n' "$n" "$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"


# seconds CMD...: wall time of one run (stdout discarded).
seconds() {
    local a b
    a=$(date +%s.%N)
    "$@" >/dev/null || return 1
    b=$(date +%s.%N)
    awk -v a="$a" -v b="$b" 'BEGIN { print b - a }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
