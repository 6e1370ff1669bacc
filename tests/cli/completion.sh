#!/bin/bash
# The bash completion (assets/virt-disktune.bash-completion) under bash-completion, called as
# readline would: commands, every command's options (as its --help lists them), the value
# sets (checked against what --help says they are), domain names and a domain's disks
# through libvirt's test driver (-c test:///default: no daemon; its domain is "test" with
# disk vda), -c/--connect honoured in either spelling, URIs with their colons.
# Usage: completion.sh PATH/TO/virt-disktune PATH/TO/virt-disktune.bash-completion
set -u
VDT=$1 COMPLETION=$2
. "$(dirname "$0")/../skip.sh"
failed=0
fail() { echo "not ok: $*"; failed=$((failed + 1)); }

BASH_COMPLETION=/usr/share/bash-completion/bash_completion
[ -r "$BASH_COMPLETION" ] || vdt_skip "bash-completion is not installed ($BASH_COMPLETION)"
command -v virsh >/dev/null || vdt_skip "virsh is not installed (libvirt-clients)"
# shellcheck disable=SC1090
. "$BASH_COMPLETION"
# shellcheck disable=SC1090
. "$COMPLETION"
# Outside readline compopt only complains; what it would set is not what is checked here.
compopt() { :; }
unset LIBVIRT_DEFAULT_URI

# complete_line LINE: COMPREPLY for the cursor at the end of LINE, its words split as readline
# splits them (spaces, then = and : as words of their own: COMP_WORDBREAKS).
complete_line() {
    local line=$1 tok
    local -a toks words=()
    read -ra toks <<<"$line"
    for tok in "${toks[@]}"; do
        mapfile -t -O "${#words[@]}" words < <(grep -oE '[=:]+|[^=:]+' <<<"$tok")
    done
    [[ $line == *' ' ]] && words+=("")
    COMP_WORDS=("${words[@]}")
    COMP_CWORD=$((${#words[@]} - 1))
    COMP_LINE=$line
    COMP_POINT=${#line}
    COMPREPLY=()
    _virt_disktune
}

# expect LINE WORD...: the completions of LINE are exactly WORDs (in any order).
expect() {
    local line=$1 got want
    shift
    complete_line "$VDT $line"
    got=$(printf '%s\n' "${COMPREPLY[@]}" | sort | xargs)
    want=$(printf '%s\n' "$@" | sort | xargs)
    if [ "$got" = "$want" ]; then
        echo "ok: '$line' -> $got"
    else
        fail "'$line' completes to '$got', not '$want'"
    fi
}

# ---- commands and options, from --help ----
mapfile -t commands < <("$VDT" --help | awk '/^Commands:$/ { on = 1; next } /^$/ { on = 0 } on { print $1 }')
[ "${#commands[@]}" -gt 0 ] || fail "no command in --help's 'Commands:' block"
expect "" "${commands[@]}"
expect "be" bench
expect "hi" history
expect "history --com" --compare
expect "-c test:///default " # after an option the line is the console's: no command
for cmd in "${commands[@]}"; do
    mapfile -t opts < <("$VDT" "$cmd" --help | awk '/Options:$/ { on = 1; next } /^$/ { on = 0 } on' |
        grep -oE -- '^ +(-[A-Za-z0-9], )?--[A-Za-z0-9-]+' | grep -oE -- '--[A-Za-z0-9-]+')
    [ "${#opts[@]}" -gt 0 ] || fail "no option in $cmd --help"
    expect "$cmd --" "${opts[@]}"
done
expect "--" --connect --demo --help --version
expect "bench --ca" --cache
expect "bench --runtime " # a value with no set: nothing offered

# ---- value sets: the completion's lists are what --help says ----
help_bench=$("$VDT" bench --help)
help_apply=$("$VDT" apply --help)
list_of() { sed -n "s/^.*$1 \([a-z_,|-]*\).*/\1/p" | head -1 | tr ',|' '  ' | xargs; }
same() {
    if [ "$(xargs -n1 <<<"$2" | sort | xargs)" = "$(xargs -n1 <<<"$3" | sort | xargs)" ]; then
        echo "ok: $1: $2"
    else
        fail "$1: the completion has '$2', --help says '$3'"
    fi
}
same "bench --cache" "$_virt_disktune_cache_modes" "$(list_of --cache <<<"$help_bench")"
same "bench --io" "$_virt_disktune_io_modes" "$(list_of --io <<<"$help_bench")"
same "bench --workload" "$_virt_disktune_workloads" "$(list_of --workload <<<"$help_bench")"
same "apply --cache" "$_virt_disktune_cache_modes default" "$(list_of --cache <<<"$help_apply")"
same "apply --io" "$_virt_disktune_io_modes default" "$(list_of --io <<<"$help_apply")"
same "bench --mode" "$_virt_disktune_write_modes" \
    "$(sed -n 's/^ *--mode=MODE *//p' <<<"$help_bench" | sed 's/ (default)//; s/,//g')"
same "bench --engine" "$_virt_disktune_engines" \
    "$(sed -n 's/^ *--engine=RUNNER *\([^ ]*\) (default) or \([^ :]*\):.*/\1 \2/p' <<<"$help_bench")"

expect "bench --cache " none writethrough writeback directsync unsafe all
expect "bench --cache none,wr" none,writethrough none,writeback
expect "bench --cache=dir" directsync
expect "apply --cache " none writethrough writeback directsync unsafe default
expect "bench --io " native threads io_uring all
expect "bench --io=io" io_uring
expect "apply --io " native threads io_uring default
expect "bench --workload rand" randread randwrite
expect "bench --workload randread,s" randread,seqread randread,seqwrite randread,syncwrite
expect "bench --mode " read-only scratch preserve destructive
expect "recommend --profile " random sequential database mixed
expect "bench --engine " in-process qemu-img

# ---- URIs, domains and disks ----
expect "list -c te" test:///default
expect "list -c test:///d" ///default # readline replaces only what follows the last colon
expect "bench -c test:///default --domain " test
expect "bench --connect test:///default --domain t" test
expect "bench --connect=test:///default --domain " test
expect "bench -c test:///default --domain test --disk " vda
expect "apply --domain test -c test:///default --disk v" vda
expect "bench -c test:///default --domain nosuchdomain --disk " # virsh fails: nothing
expect "bench --demo --domain " # the demo host exists only while a command runs
LIBVIRT_DEFAULT_URI=test:///default expect "undo --domain " test

[ "$failed" -eq 0 ]
