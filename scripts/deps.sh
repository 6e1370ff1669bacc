# Debian 12 packages virt-disktune needs, installed only when missing.
# Sourced by scripts/test.sh and scripts/demo.sh; defines functions and lists only.

# Building: the compiler, meson/ninja and the -dev packages meson.build asks for
# (libglib2.0-dev-bin: glib-compile-resources, which embeds the demo host; scdoc: the man
# page, assets/virt-disktune.8.scd).
VDT_BUILD_PKGS=(gcc meson ninja-build pkg-config libncurses-dev libvirt-dev liburing-dev
                libxml2-dev libaio-dev libjson-c-dev libglib2.0-dev libglib2.0-dev-bin
                scdoc)

# Testing: a real libvirtd with its QEMU driver and QEMU itself for the e2e suite (no
# recommends needed: seabios and ipxe are hard dependencies of qemu-system-x86), tmux for
# the console tests, fio and qemu-utils as benchmark peers, jq for the e2e assertions,
# xmllint as an independent XML reader, losetup/mkfs, procps for pgrep, clang for the
# fuzz targets, bash-completion to run the completion under (its pkg-config file also
# names the directory meson installs the completion to).
VDT_TEST_PKGS=(libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
               qemu-utils tmux fio jq libxml2-utils util-linux e2fsprogs procps clang
               bash-completion)

# Packaging (the package suite, tests/package/deb.sh): dpkg-buildpackage and dh with its
# meson support. build-essential because dpkg-checkbuilddeps requires it of every build;
# debian/control's Build-Depends are VDT_BUILD_PKGS plus bash-completion (above). No
# fakeroot: debian/control says Rules-Requires-Root: no.
VDT_PACKAGE_PKGS=(debhelper dpkg-dev build-essential)

# Prints the packages among "$@" that are not installed, one per line.
deps_missing() {
    local pkg status
    for pkg in "$@"; do
        status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
        [ "$status" = installed ] || printf '%s\n' "$pkg"
    done
}

# Installs the packages among "$@" that are missing. Not root and something missing:
# one line naming them, return 1.
deps_install() {
    local missing
    missing=$(deps_missing "$@" | tr '\n' ' ')
    missing=${missing% }
    [ -z "$missing" ] && return 0
    if [ "$(id -u)" -ne 0 ]; then
        echo "missing Debian packages (install them as root): $missing" >&2
        return 1
    fi
    echo "installing: $missing"
    if [ -z "${VDT_APT_UPDATED:-}" ]; then
        apt-get update -q >/dev/null || return 1
        VDT_APT_UPDATED=1
    fi
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing \
        >/dev/null || return 1
}
