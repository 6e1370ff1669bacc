#!/bin/bash
# The Debian package builds from this tree as a packager builds it (dpkg-buildpackage -us
# -uc -b, debian/), and holds what an operator expects: the binary, virt-disktune(8) and
# the bash completion, with its run-time dependencies declared. The tree is copied (its git
# files, committed or not, or, outside git, everything but build trees) into a temporary
# directory and built there, with no .git, as from a tarball: dpkg-buildpackage writes
# ../*.deb and debian/ build files, none of which may land in the source tree.
# Usage: deb.sh VERSION (meson.build's)
set -u
VERSION=$1
SRC=${VDT_SRCDIR:?VDT_SRCDIR is not set (meson test sets it)}
. "$(dirname "$0")/../skip.sh"
failed=0
fail() { echo "not ok: $*"; failed=$((failed + 1)); }

for tool in dpkg-buildpackage dh dpkg-deb; do
    command -v "$tool" >/dev/null ||
        vdt_skip "$tool is not installed (scripts/deps.sh: VDT_PACKAGE_PKGS)"
done

TMP=$(mktemp -d /var/tmp/vdt-deb-XXXXXX)
trap 'rm -rf "$TMP"' EXIT
tree_state() { git -C "$SRC" status --porcelain --ignored=no 2>/dev/null; }
before=$(tree_state)

# ---- the copy ----
mkdir "$TMP/virt-disktune"
if git -C "$SRC" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # Tracked and untracked-but-not-ignored files; one deleted but not yet committed is gone.
    git -C "$SRC" ls-files -z -co --exclude-standard |
        tar -C "$SRC" --null -T - --ignore-failed-read -cf - 2>/dev/null |
        tar -C "$TMP/virt-disktune" -xf -
else
    tar -C "$SRC" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$TMP/virt-disktune" -xf -
fi
[ -x "$TMP/virt-disktune/debian/rules" ] || fail "no executable debian/rules in the copy"

deb_version=$(dpkg-parsechangelog -l "$TMP/virt-disktune/debian/changelog" -S Version)
[ "${deb_version%-*}" = "$VERSION" ] ||
    fail "debian/changelog's version $deb_version is not meson.build's $VERSION"

# ---- the build: the tests already ran on the tree (nocheck), jobs as many as CPUs ----
t0=$(date +%s)
if (cd "$TMP/virt-disktune" &&
    DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b -Pnocheck -Jauto) >"$TMP/build.log" 2>&1; then
    echo "ok: dpkg-buildpackage -us -uc -b built in $(( $(date +%s) - t0 )) s"
else
    tail -40 "$TMP/build.log"
    fail "dpkg-buildpackage failed (the last lines of its log above)"
    exit 1
fi

deb=$(ls "$TMP"/virt-disktune_"$deb_version"_*.deb 2>/dev/null | head -1)
[ -n "$deb" ] || { fail "no virt-disktune_${deb_version}_*.deb in $TMP: $(ls "$TMP")"; exit 1; }

# ---- what it holds ----
contents=$(dpkg -c "$deb")
for path in ./usr/bin/virt-disktune ./usr/share/man/man8/virt-disktune.8.gz \
            ./usr/share/bash-completion/completions/virt-disktune \
            ./usr/share/doc/virt-disktune/json.md; do
    # dh_compress gzips documentation over 4 kB.
    if grep -qE " ${path//./\\.}(\.gz)?\$" <<<"$contents"; then
        echo "ok: dpkg -c lists $path"
    else
        fail "dpkg -c does not list $path:
$contents"
    fi
done

depends=$(dpkg-deb -f "$deb" Depends)
for lib in libvirt0 libncursesw6 liburing2 libaio1 libjson-c5 libxml2 libglib2.0-0; do
    grep -qE "(^|, )$lib( |,|\$)" <<<"$depends" || fail "Depends lacks $lib: $depends"
done
echo "ok: Depends: $depends"
recommends=$(dpkg-deb -f "$deb" Recommends) suggests=$(dpkg-deb -f "$deb" Suggests)
grep -q 'libvirt-clients' <<<"$recommends" || fail "Recommends lacks libvirt-clients: $recommends"
grep -q 'qemu-utils' <<<"$suggests" || fail "Suggests lacks qemu-utils: $suggests"
grep -q 'lvm2' <<<"$suggests" || fail "Suggests lacks lvm2: $suggests"

# The packaged files work: the binary runs and, built without .git, says meson.build's
# version alone; the man page is roff with its name; the completion defines its function.
dpkg-deb -x "$deb" "$TMP/root"
v=$("$TMP/root/usr/bin/virt-disktune" --version)
[ "$v" = "virt-disktune $VERSION" ] || fail "the packaged binary's --version says '$v'"
zcat "$TMP/root/usr/share/man/man8/virt-disktune.8.gz" | grep -q '^\.TH "virt-disktune" "8"' ||
    fail "the packaged man page has no .TH virt-disktune 8 line"
bash -c '. "$1"; declare -F _virt_disktune' _ \
    "$TMP/root/usr/share/bash-completion/completions/virt-disktune" >/dev/null ||
    fail "the packaged completion does not define _virt_disktune"

# ---- the source tree is as it was ----
after=$(tree_state)
[ "$before" = "$after" ] || fail "the build changed the source tree: git status before:
$before
after:
$after"

[ "$failed" -eq 0 ] && echo "ok: $(basename "$deb")"
[ "$failed" -eq 0 ]
