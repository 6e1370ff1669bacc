# End-to-end harness, sourced by tests/e2e/e2e_*.sh: a real libvirtd with its QEMU driver,
# throw-away TCG domains (no OS: they only need to start) and loop devices over files written
# with data, standing in for LVs (this kernel has no device-mapper). Installs nothing
# (scripts/test.sh does). Everything it makes is named after E2E_PREFIX and removed on every
# exit path, and it stops only the daemons it started itself.
#
# Exit 77 means "skipped" to meson.

set -euo pipefail

E2E_URI=qemu:///system
E2E_PREFIX=vdt-e2e-$$
E2E_TMP=
E2E_LIBVIRTD_PID=
E2E_VIRTLOGD_PID=
VDT=${VDT_BUILDDIR:-}/tui/virt-disktune

e2e_log() { printf '# %s\n' "$*"; }

e2e_skip() {
    echo "SKIP: $*"
    exit 77
}

# Exits 1 (the EXIT trap cleans up) with the reason on stderr.
e2e_fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# e2e_check DESCRIPTION COMMAND...: runs the command; a failure fails the test with the
# description. Each check is printed so the test log shows what was verified.
e2e_check() {
    local what=$1
    shift
    if "$@"; then
        e2e_log "ok: $what"
    else
        e2e_fail "$what"
    fi
}

# e2e_jq_true FILTER FILE: the jq filter holds on the JSON file (quietly, for e2e_check).
e2e_jq_true() { jq -e "$1" "$2" >/dev/null; }

# e2e_eq DESCRIPTION EXPECTED ACTUAL
e2e_eq() {
    if [ "$2" = "$3" ]; then
        e2e_log "ok: $1 = $2"
    else
        e2e_fail "$1: expected '$2', got '$3'"
    fi
}

e2e_virsh() { virsh -q -c "$E2E_URI" "$@"; }

# ---- daemons -----------------------------------------------------------------------------

e2e_daemon_ready() { virsh -c "$E2E_URI" uri >/dev/null 2>&1; }

# Waits (bounded, generous: the machine is shared) until "$@" succeeds.
e2e_wait_for() {
    local i
    for i in $(seq 1 240); do
        "$@" && return 0
        sleep 0.25
    done
    return 1
}

e2e_pid_alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# A live process named $1 (a zombie left for init to reap does not count).
e2e_running() {
    local pid
    for pid in $(pgrep -x "$1"); do
        e2e_pid_alive "$pid" && return 0
    done
    return 1
}

# virtlogd and libvirtd as root, each only when none is running; their pids are kept so
# that only those are stopped at the end.
e2e_start_daemons() {
    id libvirt-qemu >/dev/null 2>&1 || useradd -r -M -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    mkdir -p /var/log/libvirt /var/run/libvirt
    if ! e2e_running virtlogd; then
        virtlogd -d -p "$E2E_TMP/virtlogd.pid"
        e2e_wait_for test -s "$E2E_TMP/virtlogd.pid" || e2e_fail "virtlogd wrote no pid file"
        E2E_VIRTLOGD_PID=$(cat "$E2E_TMP/virtlogd.pid")
        e2e_log "started virtlogd (pid $E2E_VIRTLOGD_PID)"
    fi
    if ! e2e_running libvirtd; then
        e2e_start_libvirtd
    fi
    e2e_wait_for e2e_daemon_ready || e2e_fail "libvirtd does not answer on $E2E_URI"
}

e2e_start_libvirtd() {
    rm -f "$E2E_TMP/libvirtd.pid"
    libvirtd -d -p "$E2E_TMP/libvirtd.pid"
    e2e_wait_for test -s "$E2E_TMP/libvirtd.pid" || e2e_fail "libvirtd wrote no pid file"
    E2E_LIBVIRTD_PID=$(cat "$E2E_TMP/libvirtd.pid")
    e2e_log "started libvirtd (pid $E2E_LIBVIRTD_PID)"
    e2e_wait_for e2e_daemon_ready || e2e_fail "libvirtd does not answer on $E2E_URI"
}

# Stops one daemon we started, by its pid: TERM, then KILL if it will not go.
e2e_stop_pid() {
    local pid=$1
    e2e_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    e2e_wait_for eval "! e2e_pid_alive $pid" && return 0
    kill -KILL "$pid" 2>/dev/null || true
    e2e_wait_for eval "! e2e_pid_alive $pid" || true
}

# True when the harness started libvirtd, so a test may stop and restart it.
e2e_own_libvirtd() { [ -n "$E2E_LIBVIRTD_PID" ]; }

# ---- disks -------------------------------------------------------------------------------

# e2e_data_file NAME MIB: a file in the scratch directory written with data (never sparse:
# holes read without device I/O). Prints its path.
e2e_data_file() {
    local path=$E2E_TMP/$1
    dd if=/dev/urandom of="$path" bs=1M count="$2" status=none conv=fsync
    printf '%s\n' "$path"
}

# e2e_loop FILE: a loop device with direct I/O over FILE (recorded for cleanup). Prints it.
e2e_loop() {
    local dev
    dev=$(losetup -f --show --direct-io=on "$1")
    printf '%s\n' "$dev" >>"$E2E_TMP/loops"
    printf '%s\n' "$dev"
}

# ---- domains -----------------------------------------------------------------------------

# e2e_define NAME XML: defines a domain from XML text (recorded for cleanup).
e2e_define() {
    printf '%s\n' "$1" >>"$E2E_TMP/domains"
    printf '%s\n' "$2" >"$E2E_TMP/$1.xml"
    e2e_virsh define "$E2E_TMP/$1.xml" >/dev/null
}

e2e_start_domain() {
    e2e_virsh start "$1" >/dev/null
    e2e_eq "domstate $1" running "$(e2e_virsh domstate "$1")"
}

# The disk XML of one virtio disk. e2e_disk_xml TYPE SOURCE TARGET DRIVER_ATTRS
e2e_disk_xml() {
    local src_attr=file
    [ "$1" = block ] && src_attr=dev
    printf "<disk type='%s' device='disk'><driver name='qemu' type='raw' %s/><source %s='%s'/><target dev='%s' bus='virtio'/></disk>\n" \
        "$1" "$4" "$src_attr" "$2" "$3"
}

# e2e_domain_xml NAME IOTHREADS_XML CPUTUNE_XML DEVICES_XML: a TCG domain that needs no OS:
# 64 MiB, one vCPU, machine pc, no graphics, no balloon.
e2e_domain_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  $2
  <cputune>$3</cputune>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <emulator>/usr/bin/qemu-system-x86_64</emulator>
    $4
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# The standard fixture, names in global variables:
#   E2E_RUN  running: vda = loop device (cache none, io_uring, iothread 1),
#            vdb = data file (writeback, threads, iothread 2); iothreads 1,2 pinned 0 and 1.
#   E2E_OFF  shut off: vda = another loop device (directsync, native, iothread 5),
#            vdb = data file (cache and io left to QEMU), hdc = cdrom without media,
#            sda = the same file, shareable, on a virtio-scsi controller with iothread 6;
#            <iothreads>4</iothreads> with ids 5 and 6 (libvirt fills 1 and 2), 5 pinned to 1.
e2e_setup_standard() {
    local f1 f2 f3 f4
    E2E_RUN=$E2E_PREFIX-run
    E2E_OFF=$E2E_PREFIX-off
    f1=$(e2e_data_file run-vda.img 64)
    f2=$(e2e_data_file run-vdb.img 16)
    f3=$(e2e_data_file off-vda.img 32)
    f4=$(e2e_data_file off-vdb.img 16)
    E2E_RUN_LOOP=$(e2e_loop "$f1")
    E2E_OFF_LOOP=$(e2e_loop "$f3")
    E2E_RUN_FILE=$f2
    E2E_OFF_FILE=$f4

    e2e_define "$E2E_RUN" "$(e2e_domain_xml "$E2E_RUN" \
        "<iothreads>2</iothreads><iothreadids><iothread id='1'/><iothread id='2'/></iothreadids>" \
        "<iothreadpin iothread='1' cpuset='0'/><iothreadpin iothread='2' cpuset='1'/>" \
        "$(e2e_disk_xml block "$E2E_RUN_LOOP" vda "cache='none' io='io_uring' iothread='1'")
         $(e2e_disk_xml file "$E2E_RUN_FILE" vdb "cache='writeback' io='threads' iothread='2'")")"

    e2e_define "$E2E_OFF" "$(e2e_domain_xml "$E2E_OFF" \
        "<iothreads>4</iothreads><iothreadids><iothread id='5'/><iothread id='6'/></iothreadids>" \
        "<iothreadpin iothread='5' cpuset='1'/>" \
        "$(e2e_disk_xml block "$E2E_OFF_LOOP" vda "cache='directsync' io='native' iothread='5'")
         $(e2e_disk_xml file "$E2E_OFF_FILE" vdb "")
         <disk type='file' device='cdrom'><driver name='qemu' type='raw'/><target dev='hdc' bus='ide'/><readonly/></disk>
         <controller type='scsi' index='0' model='virtio-scsi'><driver iothread='6'/></controller>
         <disk type='file' device='disk'><driver name='qemu' type='raw' cache='writethrough'/><source file='$E2E_OFF_FILE'/><target dev='sda' bus='scsi'/><shareable/></disk>")"

    e2e_start_domain "$E2E_RUN"
}

# ---- set-up and clean-up -----------------------------------------------------------------

e2e_cleanup() {
    local rc=$? name dev
    set +e
    trap - EXIT INT TERM HUP
    if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
        # A test may have stopped our libvirtd: undefining needs it back.
        if e2e_own_libvirtd && ! e2e_pid_alive "$E2E_LIBVIRTD_PID"; then
            e2e_start_libvirtd
        fi
        if [ -f "$E2E_TMP/domains" ]; then
            while read -r name; do
                virsh -q -c "$E2E_URI" destroy "$name" >/dev/null 2>&1
                virsh -q -c "$E2E_URI" undefine "$name" >/dev/null 2>&1
            done <"$E2E_TMP/domains"
        fi
        if [ -f "$E2E_TMP/loops" ]; then
            while read -r dev; do
                losetup -d "$dev"
            done <"$E2E_TMP/loops"
        fi
    fi
    [ -n "$E2E_LIBVIRTD_PID" ] && e2e_stop_pid "$E2E_LIBVIRTD_PID"
    [ -n "$E2E_VIRTLOGD_PID" ] && e2e_stop_pid "$E2E_VIRTLOGD_PID"
    [ -n "$E2E_TMP" ] && rm -rf "$E2E_TMP"
    exit "$rc"
}

# Every test starts with this: root check, scratch directory (0755: QEMU runs as
# libvirt-qemu and must reach the images), traps, daemons.
e2e_init() {
    [ "$(id -u)" -eq 0 ] || e2e_skip "e2e tests need root (loop devices, libvirtd)"
    local tool
    for tool in libvirtd virtlogd virsh qemu-system-x86_64 losetup jq xmllint; do
        command -v "$tool" >/dev/null || e2e_skip "$tool is not installed (scripts/test.sh installs it)"
    done
    [ -x "$VDT" ] || e2e_fail "no virt-disktune binary at '$VDT' (VDT_BUILDDIR unset?)"
    E2E_TMP=$(mktemp -d "/var/tmp/$E2E_PREFIX.XXXXXX")
    chmod 0755 "$E2E_TMP"
    trap e2e_cleanup EXIT
    trap 'exit 130' INT TERM HUP
    e2e_start_daemons
}
