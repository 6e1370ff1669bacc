/* Block devices as sysfs shows them: one device's queue attributes and, recursively, the
 * devices under it (device-mapper slaves down to the physical disks). Also where a file's
 * filesystem is mounted and which block device, if any, lies under it.
 *
 * Every function takes the sysfs root (or the mountinfo path) as a parameter so tests can
 * point it at a fake tree under tests/data/sysfs/: this kernel has no device-mapper. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

enum blockdev_kind {
    BLOCKDEV_DISK,
    BLOCKDEV_PARTITION,
    BLOCKDEV_DM,
    BLOCKDEV_LOOP,
    BLOCKDEV_MD,
    BLOCKDEV_OTHER,     /* no request queue in sysfs: nothing to tune */
    BLOCKDEV_KIND_COUNT
};

struct blockdev {
    char *name;             /* kernel name: sda, sda1, dm-3, loop0, nvme0n1 */
    unsigned major, minor;
    enum blockdev_kind kind;
    char *parent;           /* partition: the whole disk's name; else NULL */
    char *dm_name;          /* dm only: dm/name (vg0-web1) */
    char *dm_uuid;          /* dm only: dm/uuid ("LVM-..." for an LVM logical volume) */
    char *loop_file;        /* loop only: loop/backing_file */
    uint64_t size;          /* bytes (sysfs size is in 512-byte sectors whatever the device) */
    /* Queue attributes; a partition has no queue of its own: these are its disk's. */
    bool rotational;
    unsigned logical_block_size, physical_block_size;
    unsigned nr_requests;   /* 0 when the device has no such attribute (bio-based dm) */
    char *scheduler;        /* the active one ([bracketed]), "none"; NULL when unknown */
    int numa_node;          /* -1 when the device (or its bus) is on no node */
    char *model;            /* device/model without padding; NULL when the bus gives none */
    bool lvm;               /* dm whose uuid starts with "LVM-" */
    bool thin;              /* dm thin volume (heuristic, see blockdev_probe) */
    GPtrArray *slaves;      /* struct blockdev *, sorted by name; empty for a leaf */
};

/* "disk", "partition", "dm", "loop", "md", "other"; NULL out of range. */
const char *blockdev_kind_name(enum blockdev_kind kind);

/* Describe device MAJ:MIN from <sysfs_root>/dev/block/MAJ:MIN and every device under it.
 * sysfs_root NULL means "/sys". Missing attributes leave their field at its "unknown"
 * value; a missing device, a slave without a readable dev file, a slave chain deeper than
 * 16 or a cycle fail with *err naming the device. thin: the kernel shows a dm table only
 * through dm ioctls, so a dm device counts as thin when it or one of its direct slaves
 * carries LVM's thin-pool layer marker ("-tpool" at the end of dm/name or dm/uuid) — an
 * LVM thin volume is a "thin" target stacked directly on its pool's "-tpool" device.
 * Caller frees *out with blockdev_free(). */
bool blockdev_probe(const char *sysfs_root, unsigned major, unsigned minor,
                    struct blockdev **out, GError **err);
void blockdev_free(struct blockdev *dev);

/* A deep copy (slaves included). Caller frees with blockdev_free(). */
struct blockdev *blockdev_copy(const struct blockdev *dev);

/* Whether dev or anything under it is thin (see blockdev_probe). */
bool blockdev_any_thin(const struct blockdev *dev);

/* The mount that holds a path, from a /proc/<pid>/mountinfo file. */
struct mount_info {
    char *mountpoint;       /* unescaped (mountinfo writes a space as \040) */
    char *fstype;           /* ext4, xfs, tmpfs, overlay, ... */
    char *source;           /* the mount source as written: /dev/vda1, tmpfs, ... */
    unsigned major, minor;  /* the filesystem's st_dev as mountinfo gives it */
};

/* The mount holding `path` (an absolute path without symlinks, i.e. a realpath) whose
 * device is `dev` (the path's st_dev): among the entries with that device, the one with
 * the longest mount point that is a prefix of path; when none has that device (a
 * filesystem mounted in another namespace), the longest prefix alone. mountinfo_path NULL
 * means "/proc/self/mountinfo". Caller frees with mount_info_free(). */
struct mount_info *blockdev_find_mount(const char *mountinfo_path, const char *path, dev_t dev,
                                       GError **err);
/* The same lookup in mountinfo text already read; NULL when no mount holds the path. */
struct mount_info *blockdev_find_mount_in(const char *mountinfo_text, const char *path,
                                          dev_t dev);
void mount_info_free(struct mount_info *m);

/* The block device under a filesystem whose st_dev is `dev`. Filesystems without one of
 * their own (tmpfs, overlay, NFS, and btrfs, whose st_dev is an anonymous per-subvolume
 * number) have major 0: false, and *why (static text, may be NULL) says so. */
bool blockdev_of_filesystem(dev_t dev, unsigned *major, unsigned *minor, const char **why);

typedef struct blockdev Blockdev;
typedef struct mount_info MountInfo;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Blockdev, blockdev_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(MountInfo, mount_info_free)
