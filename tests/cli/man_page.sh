#!/bin/bash
# virt-disktune(8) cannot drift from what the program says it accepts:
# - every command the top-level --help lists under "Commands:" has its subsection in the
#   man page (COMMANDS, ".SS list", ...), so a new command needs its page;
# - every option (--long and -x) in a command's --help option blocks appears in that
#   command's subsection; the options the console and every command that connects share (-c, --demo,
#   -h, ...) and those on the top-level "Options:" line appear in OPTIONS;
# - every environment variable the code reads (getenv in core/, probes/, tui/) appears in
#   ENVIRONMENT;
# - --version prints meson.build's version (and git describe's in a checkout).
# The checks run on the page as built (scdoc's roff, markup removed), and once more on a
# copy with one option cut out, which must fail: the check itself is seen to bite.
# Usage: man_page.sh PATH/TO/virt-disktune PATH/TO/virt-disktune.8 VERSION
set -u
VDT=$1 MAN=$2 VERSION=$3
SRC=${VDT_SRCDIR:?VDT_SRCDIR is not set (meson test sets it)}
failed=0
fail() { echo "not ok: $*"; failed=$((failed + 1)); }

DIR=$(mktemp -d /tmp/vdt-man-XXXXXX)
trap 'rm -rf "$DIR"' EXIT

# The roff as text: font escapes and \& gone, \- a hyphen; section headings kept as
# "@SH NAME" / "@SS name", every other request line dropped.
render() {
    sed -e 's/\\f[BIRP]//g' -e 's/\\&//g' -e 's/\\-/-/g' -e 's/\\e/\\/g' \
        -e 's/^\.SH /@SH /' -e 's/^\.SS /@SS /' -e '/^[.'"'"']/d' "$1"
}

# section TEXTFILE SH [SS]: the lines of section SH (up to the next .SH), or of its
# subsection SS (up to the next .SS or .SH).
section() {
    awk -v sh="$2" -v ss="${3:-}" '
        /^@SH / { in_sh = (substr($0, 5) == sh); in_ss = 0; next }
        /^@SS / { in_ss = (ss != "" && in_sh && substr($0, 5) == ss); next }
        in_sh && (ss == "" || in_ss)' "$1"
}

# The options in a GOption --help's "... Options:" blocks (up to a blank line), one a line.
help_options() {
    awk '/Options:$/ { on = 1; next } /^$/ { on = 0 } on' |
        grep -oE '^ +(-[A-Za-z0-9], )?--[A-Za-z0-9][A-Za-z0-9-]*' |
        grep -oE -- '--?[A-Za-z0-9][A-Za-z0-9-]*'
}

# has TEXT OPTION: OPTION occurs in TEXT as a whole word (--iothread is not --iothreads).
has() {
    grep -qE -- "(^|[^A-Za-z0-9-])$2([^A-Za-z0-9-]|\$)" <<<"$1"
}

# ---- what the program says ----
top=$("$VDT" --help) || fail "virt-disktune --help exited $?"
mapfile -t commands < <(awk '/^Commands:$/ { on = 1; next } /^$/ { on = 0 } on { print $1 }' <<<"$top")
[ "${#commands[@]}" -gt 0 ] || fail "no command found under 'Commands:' in --help:
$top"
: >"$DIR/all"
for cmd in "${commands[@]}"; do
    "$VDT" "$cmd" --help >"$DIR/help.$cmd" 2>&1 || fail "virt-disktune $cmd --help exited $?"
    help_options <"$DIR/help.$cmd" | sort -u >"$DIR/opts.$cmd"
    [ -s "$DIR/opts.$cmd" ] || fail "no option found in virt-disktune $cmd --help"
    cat "$DIR/opts.$cmd" >>"$DIR/all"
done
# The console's own options (its --help is reached after an option: a bare --help is the
# top-level one).
"$VDT" --demo --help >"$DIR/help.console" 2>&1 || fail "virt-disktune --demo --help exited $?"
help_options <"$DIR/help.console" | sort -u >"$DIR/opts.console"
[ -s "$DIR/opts.console" ] || fail "no option found in the console's --help"
# Shared: in the console's help and every command's that connects to libvirt (history reads
# only the results files: it has no -c).
cp "$DIR/opts.console" "$DIR/common"
for cmd in "${commands[@]}"; do
    grep -qxF -- --connect "$DIR/opts.$cmd" || continue
    comm -12 "$DIR/common" "$DIR/opts.$cmd" >"$DIR/common.new"
    mv "$DIR/common.new" "$DIR/common"
done
grep '^Options:' <<<"$top" | grep -oE -- '(^|[ ,])--?[A-Za-z0-9][A-Za-z0-9-]*' |
    tr -d ' ,' >>"$DIR/common"
sort -u -o "$DIR/common" "$DIR/common"
grep -q -- '--version' "$DIR/common" || fail "the top-level --help names no --version"
mapfile -t env_vars < <(grep -rhoE 'getenv\("[A-Za-z_][A-Za-z0-9_]*"\)' \
    "$SRC/core" "$SRC/probes" "$SRC/tui" | sed 's/.*("\(.*\)")/\1/' | sort -u)
[ "${#env_vars[@]}" -gt 0 ] || fail "no getenv found in $SRC/{core,probes,tui}"

# check_page TEXTFILE: prints one line per thing the page lacks; the count is its status.
check_page() {
    local page=$1 misses=0 cmd opt text var
    text=$(section "$page" OPTIONS)
    while read -r opt; do
        has "$text" "$opt" || { echo "OPTIONS lacks $opt"; misses=$((misses + 1)); }
    done <"$DIR/common"
    for cmd in "${commands[@]}" console; do
        if [ "$cmd" = console ]; then
            text=$(section "$page" "THE CONSOLE")
        else
            text=$(section "$page" COMMANDS "$cmd")
        fi
        if [ -z "$text" ]; then
            echo "no section for '$cmd' (COMMANDS, ## $cmd in the .scd)"
            misses=$((misses + 1))
            continue
        fi
        while read -r opt; do
            grep -qxF -- "$opt" "$DIR/common" && continue
            has "$text" "$opt" || { echo "the section of '$cmd' lacks $opt"; misses=$((misses + 1)); }
        done <"$DIR/opts.$cmd"
    done
    text=$(section "$page" ENVIRONMENT)
    for var in "${env_vars[@]}"; do
        has "$text" "$var" || { echo "ENVIRONMENT lacks $var"; misses=$((misses + 1)); }
    done
    return "$misses"
}

# ---- the page as built ----
render "$MAN" >"$DIR/page"
grep -q '^@SH NAME' "$DIR/page" || fail "$MAN does not render to a man page (no NAME section)"
if out=$(check_page "$DIR/page"); then
    echo "ok: every command, option and environment variable is in the man page" \
         "(${#commands[@]} commands, $(sort -u "$DIR/all" | wc -l) options, ${#env_vars[@]} variables)"
else
    fail "the man page (assets/virt-disktune.8.scd) lacks what --help prints:
$out"
fi

# ---- the check bites: a page without one command's option fails ----
victim=$(comm -23 "$DIR/opts.${commands[0]}" "$DIR/common" | grep -- '^--' | head -1)
if [ -n "$victim" ]; then
    sed -E "s/(^|[^A-Za-z0-9-])$victim([^A-Za-z0-9-]|\$)/\1\2/g" "$DIR/page" >"$DIR/cut"
    if out=$(check_page "$DIR/cut"); then
        fail "a page without $victim passes the check"
    elif grep -q -- "lacks $victim\$" <<<"$out"; then
        echo "ok: a page without $victim fails: $out"
    else
        fail "a page without $victim fails for another reason: $out"
    fi
else
    fail "'${commands[0]}' has no option of its own to cut out for the self-check"
fi

# ---- --version ----
v=$("$VDT" --version) || fail "--version exited $?"
if [[ $v =~ ^virt-disktune\ ${VERSION//./\\.}(\ \(git\ [^\)]+\))?$ ]]; then
    echo "ok: --version: $v"
else
    fail "--version says '$v', meson.build's version is $VERSION"
fi

[ "$failed" -eq 0 ]
