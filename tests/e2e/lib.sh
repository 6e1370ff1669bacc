# End-to-end harness, sourced by tests/e2e/e2e_*.sh: a real libvirtd with its QEMU driver,
# throw-away domains (no OS: they only need to start; KVM when libvirt's QEMU can use it,
# else TCG) and loop devices over files written with data, standing in for LVs (this
# kernel has no device-mapper). Installs no package (scripts/test.sh does). Everything it
# makes is named after E2E_PREFIX and removed on every exit path, and it stops only the
# daemons it started itself. scripts/test.sh starts one libvirtd for the whole suite
# (tests/e2e/daemons.sh), so each test finds it running and uses it.
#
# Environment: VDT_E2E_TCG=1 forces test domains to TCG (type='qemu'); VDT_E2E_PROBE_S
# bounds the wait for libvirtd's QEMU capability probe (default 300 s).
#
# Exit 77 means "skipped" to meson.

set -euo pipefail

E2E_URI=qemu:///system
E2E_PREFIX=vdt-e2e-$$
E2E_TMP=
E2E_LIBVIRTD_PID=
E2E_VIRTLOGD_PID=
E2E_VIRT_TYPE=qemu
VDT=${VDT_BUILDDIR:-}/tui/virt-disktune

e2e_log() { printf '# %s\n' "$*"; }

. "$(dirname "${BASH_SOURCE[0]}")/../skip.sh"
e2e_skip() { vdt_skip "$@"; }

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

# ---- waiting ------------------------------------------------------------------------------

# e2e_wait_for SECONDS COMMAND...: polls (every 0.25 s) until the command succeeds; returns 1
# once SECONDS have passed. No fixed sleeps: each caller bounds the slowest step it waits
# for and names that step when the bound is exceeded.
e2e_wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.25
    done
}

# ---- the host: QEMU's user, KVM access ---------------------------------------------------

# What Debian's packages and udev would have set up: the user QEMU runs as under libvirtd,
# libvirt's run and log directories, and access to /dev/kvm for that user. No udev runs
# here, so /dev/kvm is root:root 0600 and libvirt's QEMU cannot open it; libvirtd then
# throws its capability cache away and probes QEMU again at every lookup (the first define
# after a start took 32 s; with access, 0.016 s). Idempotent; says what it changed.
e2e_host_setup() {
    id libvirt-qemu >/dev/null 2>&1 ||
        useradd -r -M -d /var/lib/libvirt -s /usr/sbin/nologin libvirt-qemu
    mkdir -p /var/log/libvirt /run/libvirt
    e2e_kvm_access
}

e2e_kvm_access() {
    local changed=()
    if [ ! -c /dev/kvm ]; then
        e2e_log "no /dev/kvm: test domains run under TCG"
        return 0
    fi
    getent group kvm >/dev/null || { groupadd -r kvm; changed+=("group kvm added"); }
    if [ "$(stat -c %G /dev/kvm)" != kvm ]; then
        chgrp kvm /dev/kvm
        changed+=("/dev/kvm group kvm")
    fi
    if [ $(( 0$(stat -c %a /dev/kvm) & 060 )) -ne $((060)) ]; then
        chmod g+rw /dev/kvm
        changed+=("/dev/kvm group read-write")
    fi
    if ! id -nG libvirt-qemu | tr ' ' '\n' | grep -qx kvm; then
        usermod -aG kvm libvirt-qemu
        changed+=("libvirt-qemu added to group kvm")
    fi
    if [ ${#changed[@]} -gt 0 ]; then
        local joined
        joined=$(printf '%s; ' "${changed[@]}")
        e2e_log "kvm access as Debian's udev rule gives it (no udev here): ${joined%; }"
    else
        e2e_log "kvm access: /dev/kvm is $(stat -c '%U:%G %a' /dev/kvm), libvirt-qemu in group kvm"
    fi
}

# ---- daemons -----------------------------------------------------------------------------

e2e_daemon_ready() { virsh -c "$E2E_URI" uri >/dev/null 2>&1; }

# Answers only once libvirtd has probed QEMU's capabilities, which every define needs: on
# a fresh machine (no capability cache) that is the slowest step of a daemon's start.
e2e_daemon_probed() { virsh -c "$E2E_URI" domcapabilities >/dev/null 2>&1; }

e2e_pid_alive() { [ -n "$1" ] && [ -d "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# A live process named $1 (a zombie left for init to reap does not count).
e2e_running() {
    local pid
    for pid in $(pgrep -x "$1"); do
        e2e_pid_alive "$pid" && return 0
    done
    return 1
}

# Bounds, in seconds, for the daemons' steps (the machine is shared and may be slow).
E2E_PIDFILE_S=60
E2E_ANSWER_S=120
E2E_PROBE_S=${VDT_E2E_PROBE_S:-300}
E2E_STOP_S=60

# virtlogd and libvirtd as root, each only when none is running (or always, with
# E2E_OWN_DAEMONS=1: a test in a mount namespace of its own); their pids are kept so that
# only those are stopped at the end. Returns once libvirtd can define a domain.
e2e_start_daemons() {
    e2e_host_setup
    if [ -n "${E2E_OWN_DAEMONS:-}" ] || ! e2e_running virtlogd; then
        rm -f "$E2E_TMP/virtlogd.pid"
        virtlogd -d -p "$E2E_TMP/virtlogd.pid"
        e2e_wait_for "$E2E_PIDFILE_S" test -s "$E2E_TMP/virtlogd.pid" ||
            e2e_fail "virtlogd wrote no pid file within ${E2E_PIDFILE_S} s"
        E2E_VIRTLOGD_PID=$(cat "$E2E_TMP/virtlogd.pid")
        e2e_log "started virtlogd (pid $E2E_VIRTLOGD_PID)"
    fi
    if [ -n "${E2E_OWN_DAEMONS:-}" ] || ! e2e_running libvirtd; then
        e2e_start_libvirtd
    else
        e2e_log "using the libvirtd already running (pid $(pgrep -x libvirtd | head -1))"
        e2e_wait_ready
    fi
}

e2e_start_libvirtd() {
    rm -f "$E2E_TMP/libvirtd.pid"
    libvirtd -d -p "$E2E_TMP/libvirtd.pid"
    e2e_wait_for "$E2E_PIDFILE_S" test -s "$E2E_TMP/libvirtd.pid" ||
        e2e_fail "libvirtd wrote no pid file within ${E2E_PIDFILE_S} s"
    E2E_LIBVIRTD_PID=$(cat "$E2E_TMP/libvirtd.pid")
    e2e_log "started libvirtd (pid $E2E_LIBVIRTD_PID)"
    e2e_wait_ready
}

# Waits until libvirtd answers, then until it has probed QEMU (timed: on a fresh machine
# this is where the time goes).
e2e_wait_ready() {
    local t0=$SECONDS
    e2e_wait_for "$E2E_ANSWER_S" e2e_daemon_ready ||
        e2e_fail "libvirtd does not answer on $E2E_URI within ${E2E_ANSWER_S} s"
    e2e_wait_for "$E2E_PROBE_S" e2e_daemon_probed ||
        e2e_fail "libvirtd did not finish probing QEMU's capabilities (virsh domcapabilities on $E2E_URI) within ${E2E_PROBE_S} s"
    e2e_log "libvirtd ready: answers and has probed QEMU ($((SECONDS - t0)) s)"
}

# Stops one daemon we started, by its pid: TERM, then KILL if it will not go.
e2e_stop_pid() {
    local pid=$1
    e2e_pid_alive "$pid" || return 0
    kill -TERM "$pid" 2>/dev/null || return 0
    e2e_wait_for "$E2E_STOP_S" eval "! e2e_pid_alive $pid" && return 0
    e2e_log "pid $pid did not stop on SIGTERM within ${E2E_STOP_S} s: SIGKILL"
    kill -KILL "$pid" 2>/dev/null || true
    e2e_wait_for "$E2E_STOP_S" eval "! e2e_pid_alive $pid" || true
}

# True when the harness started libvirtd, so a test may stop and restart it.
e2e_own_libvirtd() { [ -n "$E2E_LIBVIRTD_PID" ]; }

# The domain type of every test domain: 'kvm' when libvirt's QEMU can use KVM, else 'qemu'
# (TCG). VDT_E2E_TCG=1 forces TCG. One answer per test, logged by e2e_init.
e2e_virt_type() {
    if [ -n "${VDT_E2E_TCG:-}" ] && [ "$VDT_E2E_TCG" != 0 ]; then
        echo qemu
    elif virsh -c "$E2E_URI" domcapabilities --virttype kvm >/dev/null 2>&1; then
        echo kvm
    else
        echo qemu
    fi
}

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

# e2e_domain_xml NAME IOTHREADS_XML CPUTUNE_XML DEVICES_XML: a domain that needs no OS (KVM or
# TCG, as e2e_virt_type decided):
# 64 MiB, one vCPU, machine pc, no graphics, no balloon.
e2e_domain_xml() {
    cat <<EOF
<domain type='$E2E_VIRT_TYPE'>
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

# e2e_thread_cpus DOMAIN ID: Cpus_allowed_list of the domain's QEMU thread 'IO iothreadID'
# (QEMU names an iothread's thread after its object, libvirt's iothreadID); "none" when the
# process has no such thread.
e2e_thread_cpus() {
    local pid task
    pid=$(pgrep -f -- "-uuid $(e2e_virsh domuuid "$1")" | head -1)
    for task in /proc/"$pid"/task/*; do
        if [ "$(cat "$task/comm" 2>/dev/null)" = "IO iothread$2" ]; then
            sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$task/status"
            return
        fi
    done
    echo none
}

# ---- set-up and clean-up -----------------------------------------------------------------

# e2e_track_child PID: a background process of the test, ended (SIGTERM, then waited for:
# it cleans up after itself) before the test's own clean-up.
e2e_track_child() { printf '%s\n' "$1" >>"$E2E_TMP/children"; }

e2e_end_children() {
    local pid
    [ -f "$E2E_TMP/children" ] || return 0
    while read -r pid; do
        e2e_pid_alive "$pid" || continue
        kill -TERM "$pid" 2>/dev/null
        # Its clean-up runs after the command in progress (a define, a start) returns.
        e2e_wait_for 300 eval "! e2e_pid_alive $pid" || kill -KILL "$pid" 2>/dev/null
    done <"$E2E_TMP/children"
}

e2e_cleanup() {
    local rc=$? name dev
    set +e
    trap - EXIT INT TERM HUP
    if [ -n "$E2E_TMP" ] && [ -d "$E2E_TMP" ]; then
        e2e_end_children
        # A test may have stopped our libvirtd: undefining needs it back. A failure here
        # must not end the clean-up (e2e_start_libvirtd would exit): the rest still runs.
        if e2e_own_libvirtd && ! e2e_pid_alive "$E2E_LIBVIRTD_PID"; then
            rm -f "$E2E_TMP/libvirtd.pid"
            libvirtd -d -p "$E2E_TMP/libvirtd.pid" &&
                e2e_wait_for "$E2E_PIDFILE_S" test -s "$E2E_TMP/libvirtd.pid" &&
                E2E_LIBVIRTD_PID=$(cat "$E2E_TMP/libvirtd.pid") &&
                e2e_wait_for "$E2E_ANSWER_S" e2e_daemon_ready ||
                echo "e2e clean-up: libvirtd did not come back; domains may stay defined" >&2
        fi
        if [ -f "$E2E_TMP/domains" ]; then
            while read -r name; do
                virsh -q -c "$E2E_URI" destroy "$name" >/dev/null 2>&1
                virsh -q -c "$E2E_URI" undefine "$name" >/dev/null 2>&1
                if virsh -q -c "$E2E_URI" domstate "$name" >/dev/null 2>&1; then
                    echo "e2e clean-up: domain $name is still defined" >&2
                    rc=1
                fi
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
# libvirt-qemu and must reach the images), traps, daemons, the domain type.
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
    E2E_VIRT_TYPE=$(e2e_virt_type)
    if [ "$E2E_VIRT_TYPE" = kvm ]; then
        e2e_log "test domains: type='kvm' (libvirt's QEMU can use /dev/kvm)"
    else
        local why="KVM not usable by libvirt's QEMU"
        [ -n "${VDT_E2E_TCG:-}" ] && [ "$VDT_E2E_TCG" != 0 ] && why="forced by VDT_E2E_TCG"
        e2e_log "test domains: type='qemu' (TCG, $why)"
    fi
}
