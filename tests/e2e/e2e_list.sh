#!/bin/bash
# `virt-disktune list --json` against a real libvirtd + QEMU, every field checked against a
# source that does not go through our code: virsh dumpxml (read with xmllint), virsh
# domstate/dominfo/iothreadinfo, /sys for the loop devices, stat/findmnt for the files.
here=$(dirname "$0")
. "$here/lib.sh"
e2e_init
e2e_setup_standard

# A live-only change: the running domain's config must show it, its inactive definition not.
e2e_virsh iothreadpin "$E2E_RUN" 1 1 --live
e2e_virsh dumpxml "$E2E_RUN" >"$E2E_TMP/run.live.xml"
e2e_virsh dumpxml --inactive "$E2E_RUN" >"$E2E_TMP/run.inactive.xml"
e2e_virsh dumpxml --inactive "$E2E_OFF" >"$E2E_TMP/off.inactive.xml"

out=$E2E_TMP/list.json
rc=0
"$VDT" list --json -c "$E2E_URI" >"$out" 2>"$E2E_TMP/list.err" || rc=$?
e2e_eq "list exit status" 0 "$rc"
e2e_check "list prints valid JSON" e2e_jq_true . "$out"

# ---- helpers -----------------------------------------------------------------------------

# j FILTER: jq -r on the listing.
j() { jq -r "$@" "$out"; }

# x FILE XPATH: the string value of an XPath expression (empty when nothing matches).
x() { xmllint --xpath "string($2)" "$1" 2>/dev/null || true; }

# The JSON value of a nullable string/number as jq -r prints it: null when empty.
or_null() { if [ -n "$1" ]; then printf '%s' "$1"; else printf 'null'; fi; }

sorted_lines() { tr ' ' '\n' | sed '/^$/d' | sort -n | paste -sd' '; }

# check_config LABEL DOMAIN WHICH(config|inactive) XMLFILE IOTHREADINFO_FLAG
check_config() {
    local label=$1 dom=$2 which=$3 xml=$4 flag=$5
    local cfg=".domains[] | select(.name == \"$dom\") | .$which"
    local targets t d src kind

    e2e_eq "$label: iothreads" "$(x "$xml" /domain/iothreads)" "$(j "$cfg.iothreads")"

    # Effective iothread ids and their affinity: virsh iothreadinfo asks libvirt itself.
    local info
    info=$(e2e_virsh iothreadinfo "$dom" $flag | awk 'NF == 2 {print $1, $2}')
    e2e_eq "$label: iothread ids (virsh iothreadinfo)" \
        "$(awk '{print $1}' <<<"$info" | sorted_lines)" \
        "$(j "$cfg.iothread_ids[]" | sorted_lines)"
    local pins_xml pins_json
    pins_xml=$(xmllint --xpath '/domain/cputune/iothreadpin' "$xml" 2>/dev/null |
        sed -n "s/.*iothread=\"\([0-9]*\)\" cpuset=\"\([^\"]*\)\".*/\1:\2/p" | sort | paste -sd' ')
    pins_json=$(j "$cfg.iothreadpin[] | \"\(.id):\(.cpuset)\"" | sort | paste -sd' ')
    e2e_eq "$label: iothread pins (dumpxml)" "$pins_xml" "$pins_json"
    local id cpuset
    for pin in $pins_json; do
        id=${pin%%:*} cpuset=${pin#*:}
        e2e_eq "$label: iothread $id affinity (virsh iothreadinfo)" \
            "$(awk -v id="$id" '$1 == id {print $2}' <<<"$info")" "$cpuset"
    done

    targets=$(xmllint --xpath '/domain/devices/disk/target/@dev' "$xml" |
        sed 's/.*dev="\([^"]*\)".*/\1/' | sort | paste -sd' ')
    e2e_eq "$label: disk targets" "$targets" "$(j "$cfg.disks[].target" | sort | paste -sd' ')"

    for t in $targets; do
        d="/domain/devices/disk[target/@dev='$t']"
        local jd="$cfg.disks[] | select(.target == \"$t\")"
        kind=$(x "$xml" "$d/@type")
        src=$(x "$xml" "$d/source/@file | $d/source/@dev")
        e2e_eq "$label $t: type" "$kind" "$(j "$jd.type")"
        e2e_eq "$label $t: device" "$(x "$xml" "$d/@device")" "$(j "$jd.device")"
        e2e_eq "$label $t: bus" "$(x "$xml" "$d/target/@bus")" "$(j "$jd.bus")"
        e2e_eq "$label $t: source" "$(or_null "$src")" "$(j "$jd.source")"
        e2e_eq "$label $t: cache" "$(or_null "$(x "$xml" "$d/driver/@cache")")" "$(j "$jd.driver.cache")"
        e2e_eq "$label $t: io" "$(or_null "$(x "$xml" "$d/driver/@io")")" "$(j "$jd.driver.io")"
        # A scsi disk's iothread may sit on its virtio-scsi controller instead.
        local iothread ctl from_ctl=false
        iothread=$(x "$xml" "$d/driver/@iothread")
        if [ -z "$iothread" ] && [ "$(x "$xml" "$d/target/@bus")" = scsi ]; then
            ctl=$(x "$xml" "$d/address/@controller")
            iothread=$(x "$xml" "/domain/devices/controller[@type='scsi' and @index='${ctl:-0}']/driver/@iothread")
            [ -n "$iothread" ] && from_ctl=true
        fi
        e2e_eq "$label $t: iothread" "$(or_null "$iothread")" "$(j "$jd.driver.iothread")"
        e2e_eq "$label $t: iothread from the controller" "$from_ctl" \
            "$(j "$jd.iothread_from_controller")"
        local ro=false sh=false
        [ -n "$(xmllint --xpath "$d/readonly" "$xml" 2>/dev/null)" ] && ro=true
        [ -n "$(xmllint --xpath "$d/shareable" "$xml" 2>/dev/null)" ] && sh=true
        e2e_eq "$label $t: readonly" "$ro" "$(j "$jd.readonly")"
        e2e_eq "$label $t: shareable" "$sh" "$(j "$jd.shareable")"
        if [ -z "$src" ]; then
            e2e_eq "$label $t: a disk without media is not benchable" false "$(j "$jd.benchable")"
            e2e_check "$label $t: says why it is not benchable" \
                test "$(j "$jd.reason")" != null
            continue
        fi
        e2e_eq "$label $t: benchable" true "$(j "$jd.benchable")"
        # The backing is resolved for the configuration in effect (docs/json.md allows null
        # elsewhere).
        [ "$which" = config ] || continue
        case $kind in
            block) check_loop_backing "$label $t" "$jd" "$src" ;;
            file) check_file_backing "$label $t" "$jd" "$src" ;;
        esac
    done
}

# The loop device as the kernel describes it in /sys.
check_loop_backing() {
    local label=$1 jd=$2 dev=$3
    local sys=/sys/block/${dev#/dev/} b="$jd.backing"
    e2e_eq "$label: backing kind" block "$(j "$b.kind")"
    e2e_eq "$label: resolved" "$(realpath "$dev")" "$(j "$b.resolved")"
    e2e_eq "$label: size (sysfs)" "$(($(cat "$sys/size") * 512))" "$(j "$b.size")"
    e2e_eq "$label: device major:minor (sysfs)" "$(cat "$sys/dev")" \
        "$(j "$b.device | \"\(.major):\(.minor)\"")"
    e2e_eq "$label: device kind" loop "$(j "$b.device.kind")"
    e2e_eq "$label: loop backing file (sysfs)" "$(cat "$sys/loop/backing_file")" \
        "$(j "$b.device.loop_file")"
    e2e_eq "$label: logical block size (sysfs)" "$(cat "$sys/queue/logical_block_size")" \
        "$(j "$b.device.logical_block_size")"
    local rot=false
    [ "$(cat "$sys/queue/rotational")" = 1 ] && rot=true
    e2e_eq "$label: rotational (sysfs)" "$rot" "$(j "$b.device.rotational")"
}

# The image file as stat and findmnt see it.
check_file_backing() {
    local label=$1 jd=$2 file=$3 b="$2.backing"
    e2e_eq "$label: backing kind" file "$(j "$b.kind")"
    e2e_eq "$label: size (stat)" "$(stat -c %s "$file")" "$(j "$b.size")"
    e2e_eq "$label: filesystem (findmnt)" "$(findmnt -n -o FSTYPE --target "$file")" "$(j "$b.fstype")"
    e2e_eq "$label: mount point (findmnt)" "$(findmnt -n -o TARGET --target "$file")" \
        "$(j "$b.mountpoint")"
    if [ "$(j "$b.device")" != null ]; then
        e2e_eq "$label: device under the filesystem (stat st_dev)" \
            "$(stat -c '%Hd:%Ld' "$file")" "$(j "$b.device | \"\(.major):\(.minor)\"")"
    fi
}

# check_domain DOMAIN
check_domain() {
    local dom=$1
    local jd=".domains[] | select(.name == \"$dom\")"
    e2e_eq "$dom: listed once" 1 "$(j "[$jd] | length")"
    e2e_eq "$dom: uuid" "$(e2e_virsh domuuid "$dom")" "$(j "$jd.uuid")"
    e2e_eq "$dom: state (virsh domstate)" "$(e2e_virsh domstate "$dom" | tr -d ' ')" "$(j "$jd.state")"
    e2e_eq "$dom: vcpus (virsh dominfo)" \
        "$(e2e_virsh dominfo "$dom" | awk -F: '$1 == "CPU(s)" {gsub(/ /, "", $2); print $2}')" \
        "$(j "$jd.vcpus")"
    e2e_eq "$dom: persistent" true "$(j "$jd.persistent")"
    e2e_eq "$dom: no error" null "$(j "$jd.error")"
}

# ---- the host ----------------------------------------------------------------------------

e2e_eq "uri" "$(virsh -c "$E2E_URI" uri)" "$(j .uri)"
e2e_eq "read-write connection as root" false "$(j .read_only)"
e2e_eq "hypervisor version (virsh version)" \
    "$(virsh -c "$E2E_URI" version | sed -n 's/^Running hypervisor: QEMU //p')" \
    "$(j .hypervisor_version)"
e2e_eq "domains sorted by name" "$(j '[.domains[].name] | . == sort')" true

# ---- the running domain: live config, inactive definition --------------------------------

check_domain "$E2E_RUN"
e2e_eq "$E2E_RUN: active" true "$(j ".domains[] | select(.name == \"$E2E_RUN\") | .active")"
check_config "$E2E_RUN live" "$E2E_RUN" config "$E2E_TMP/run.live.xml" --live
check_config "$E2E_RUN inactive" "$E2E_RUN" inactive "$E2E_TMP/run.inactive.xml" --config
e2e_eq "$E2E_RUN: the live-only pin shows in config" "1" \
    "$(j ".domains[] | select(.name == \"$E2E_RUN\") | .config.iothreadpin[] | select(.id == 1) | .cpuset")"
e2e_eq "$E2E_RUN: and not in the inactive definition" "0" \
    "$(j ".domains[] | select(.name == \"$E2E_RUN\") | .inactive.iothreadpin[] | select(.id == 1) | .cpuset")"

# ---- the shut-off domain: iothread ids 5,6 given, 1,2 filled in by libvirt ---------------

check_domain "$E2E_OFF"
e2e_eq "$E2E_OFF: active" false "$(j ".domains[] | select(.name == \"$E2E_OFF\") | .active")"
check_config "$E2E_OFF" "$E2E_OFF" config "$E2E_TMP/off.inactive.xml" --config
check_config "$E2E_OFF inactive" "$E2E_OFF" inactive "$E2E_TMP/off.inactive.xml" --config

# ---- an unreachable daemon: exit 1, one line on stderr, nothing on stdout -----------------

rc=0
"$VDT" list --json -c 'qemu+unix:///system?socket=/nonexistent' \
    >"$E2E_TMP/bad.out" 2>"$E2E_TMP/bad.err" || rc=$?
e2e_eq "unreachable URI: exit status" 1 "$rc"
e2e_eq "unreachable URI: lines on stderr" 1 "$(wc -l <"$E2E_TMP/bad.err")"
e2e_check "unreachable URI: the message names the URI" grep -q nonexistent "$E2E_TMP/bad.err"
e2e_eq "unreachable URI: nothing on stdout" 0 "$(wc -c <"$E2E_TMP/bad.out")"
