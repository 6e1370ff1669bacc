/* Is a block device or a file in use on this host? Host-side checks only (no libvirt):
 * every /proc/<pid>/fd entry, QEMU's OFD locks, mounts, swaps, sysfs holders, the loop
 * devices backed by a file, and an O_EXCL open. All checks run, not only until the first
 * hit, so a refusal can say everything that fired.
 *
 * Identity is what the kernel compares: st_rdev for a block device, (st_dev, st_ino) for a
 * regular file. Paths do not count: /dev/vg/lv, /dev/dm-3 and a node in QEMU's private /dev
 * namespace are the same device. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <sys/types.h>

/* Where to read the host's state; NULL (or a NULL field) means the real /proc and /sys. */
struct inuse_roots {
    const char *proc;   /* "/proc" */
    const char *sysfs;  /* "/sys" */
};

#define INUSE_ERROR inuse_error_quark()
GQuark inuse_error_quark(void);
enum inuse_error_code {
    INUSE_ERROR_STAT,   /* the path cannot be stat'ed (ENOENT, EACCES, ...) */
    INUSE_ERROR_KIND,   /* neither a regular file nor a block device */
    INUSE_ERROR_PROBE,  /* one of the checks could not run (/proc or sysfs unreadable, ...) */
};

/* Run every check on path. Returns 0 when all checks ran; *reasons (char *, caller frees
 * with g_ptr_array_unref()) then holds one sentence per finding, e.g.
 *   "held open by pid 812 (qemu-system-x86)"
 *   "locked by QEMU (OFD lock on byte 201: shares no write)"
 *   "mounted on /mnt/data"
 * and is empty when nothing uses the path. Process names and paths in them are raw (a
 * process sets its own name): escape before showing. Returns -1 with *err set when a check could not
 * run; *reasons still holds what the other checks found, so the caller can refuse with all
 * of it. The OFD lock probe cannot see a QEMU that locks another node of the same device
 * (libvirt's private /dev namespace): the fd scan by st_rdev covers that case. */
int inuse_probe(const char *path, const struct inuse_roots *roots, GPtrArray **reasons,
                GError **err);

/* The block devices whose data overlaps dev's: dev itself, its partitions, what is stacked
 * on it (holders, recursively: device-mapper, md) and what it is stacked on (slaves,
 * recursively, and the whole disk when dev is a partition). Siblings (another partition of
 * the same disk) do not overlap and are not listed. sysfs_root NULL means "/sys".
 * NULL with *err set when dev has no sysfs node. Caller frees with g_array_unref(). */
GArray *inuse_overlapping_devs(dev_t dev, const char *sysfs_root, GError **err);

/* true when dev is listed in devs (a GArray of dev_t as returned above). */
bool inuse_devs_contain(const GArray *devs, dev_t dev);
