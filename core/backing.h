/* What lies under a disk's source: realpath; for a block device its sysfs node followed
 * through device-mapper slaves down to the physical devices; for a file its filesystem and
 * the block device under it. Uses probes/blockdev.c; the sysfs root is a parameter so tests
 * can point it at a fake tree (this kernel has no device-mapper). */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

struct blockdev;       /* probes/blockdev.h */
struct cpu_topology;   /* probes/topology.h */

enum backing_kind { BACKING_FILE, BACKING_BLOCK, BACKING_OTHER };

struct backing {
    enum backing_kind kind;
    char *source;       /* as given */
    char *resolved;     /* realpath(source) */
    uint64_t size;      /* bytes */
    char *fstype;       /* file: filesystem type (ext4, tmpfs, ...) */
    char *mountpoint;   /* file: mount point of its filesystem */
    struct blockdev *dev; /* block: the device itself (slaves inside);
                             file: the device under its filesystem (NULL for tmpfs & co.) */
    bool thin;          /* device-mapper thin volume: unprovisioned blocks read as zeros */
};

/* NULL with *err set to one line naming the path and the cause (ENOENT, ELOOP, not a file
 * or block device, ...). sysfs_root NULL means "/sys". Caller frees with backing_free(). */
struct backing *backing_resolve(const char *source, const char *sysfs_root, GError **err);
void backing_free(struct backing *b);

/* One line for the console, e.g. "block 8:0 sda (ssd, 512/4096 B, mq-deadline)" or
 * "file on ext4 /var/lib/libvirt/images, dev vda1". Caller frees with g_free(). */
char *backing_describe(const struct backing *b);

/* JSON views, documented in docs/json.md. Caller owns the returned object (json_object_put). */
json_object *backing_to_json(const struct backing *b);
json_object *topology_to_json(const struct cpu_topology *t);

typedef struct backing Backing;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Backing, backing_free)
