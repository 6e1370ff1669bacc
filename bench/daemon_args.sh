# The options of the benchmarks on a real libvirtd (bench/list_daemon.sh, bench/console.sh;
# sourced with their arguments, the repository as the working directory):
#   [-b BUILDDIR] [-n DOMAINS] [-r ROUNDS]
# Sets build, n, rounds and vdt (the binary, an absolute path); exits 2 on a bad option and
# 1 without the binary or root (they start libvirtd).
build=build n=1000 rounds=5
while getopts b:n:r: o; do
    case $o in
        b) build=$OPTARG ;;
        n) n=$OPTARG ;;
        r) rounds=$OPTARG ;;
        *) echo "usage: $0 [-b BUILDDIR] [-n DOMAINS] [-r ROUNDS]" >&2; exit 2 ;;
    esac
done
vdt=$(realpath -m "$build/tui/virt-disktune")
[ -x "$vdt" ] || { echo "no $vdt: build first (meson setup $build && ninja -C $build)" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "$0: needs root (it starts libvirtd)" >&2; exit 1; }
