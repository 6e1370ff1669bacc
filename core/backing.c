#include "core/backing.h"

#include "probes/blockdev.h"
#include "probes/topology.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define MOUNTINFO "/proc/self/mountinfo"

/* Listing many domains resolves many files on the same few filesystems, and here every
 * system call costs several microseconds: probing a filesystem's device in sysfs takes about
 * 60 of them (0.5 ms) and the mount table 5 more. Both are kept while the mount table is
 * unchanged — the kernel flags any change to a poll() on the open mountinfo file (proc(5))
 * — and for at most FS_CACHE_US, so a changed queue setting (scheduler) shows up soon.
 * A block-device source is probed afresh every time: a loop device or an LV can be re-bound
 * under the same numbers at any moment. */
#define FS_CACHE_US (2 * G_USEC_PER_SEC)

static struct {
    GMutex lock;
    int fd;                 /* MOUNTINFO kept open for poll(); -1 until first use */
    char *mountinfo;        /* its text; NULL when unreadable */
    gint64 read_at;
    GHashTable *devices;    /* "sysfs_root|MAJ:MIN" → struct blockdev *, for that text */
} fs_cache = { .fd = -1 };

static bool mount_table_changed(void)
{
    struct pollfd pfd = { .fd = fs_cache.fd, .events = POLLPRI };

    if (fs_cache.fd < 0) {
        fs_cache.fd = open(MOUNTINFO, O_RDONLY | O_CLOEXEC);
        return true;
    }
    return poll(&pfd, 1, 0) != 0 || pfd.revents != 0;
}

/* Called with fs_cache.lock held. */
static void fs_cache_refresh(void)
{
    gint64 now = g_get_monotonic_time();
    bool changed = mount_table_changed();

    if (!changed && fs_cache.devices && now - fs_cache.read_at <= FS_CACHE_US)
        return;
    g_clear_pointer(&fs_cache.mountinfo, g_free);
    if (!g_file_get_contents(MOUNTINFO, &fs_cache.mountinfo, NULL, NULL))
        fs_cache.mountinfo = NULL;
    if (!fs_cache.devices)
        fs_cache.devices = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
                                                 (GDestroyNotify)blockdev_free);
    g_hash_table_remove_all(fs_cache.devices);
    fs_cache.read_at = now;
}

/* The device under a filesystem, from the cache or sysfs; NULL when sysfs has none.
 * Called with fs_cache.lock held; the caller owns the copy. */
static struct blockdev *fs_cache_device(const char *sysfs_root, unsigned maj, unsigned min)
{
    g_autofree char *key = g_strdup_printf("%s|%u:%u", sysfs_root ? sysfs_root : "/sys", maj,
                                           min);
    struct blockdev *dev = g_hash_table_lookup(fs_cache.devices, key);

    if (!dev) {
        if (!blockdev_probe(sysfs_root, maj, min, &dev, NULL))
            return NULL;
        g_hash_table_insert(fs_cache.devices, g_steal_pointer(&key), dev);
    }
    return blockdev_copy(dev);
}

void backing_free(struct backing *b)
{
    if (!b)
        return;
    g_free(b->source);
    g_free(b->resolved);
    g_free(b->fstype);
    g_free(b->mountpoint);
    blockdev_free(b->dev);
    g_free(b);
}

static const char *file_type_name(mode_t mode)
{
    switch (mode & S_IFMT) {
    case S_IFDIR:  return "a directory";
    case S_IFCHR:  return "a character device";
    case S_IFIFO:  return "a FIFO";
    case S_IFSOCK: return "a socket";
    default:       return "an unknown file type";
    }
}

static bool resolve_block(struct backing *b, const struct stat *st, const char *sysfs_root,
                          GError **err)
{
    b->kind = BACKING_BLOCK;
    if (!blockdev_probe(sysfs_root, major(st->st_rdev), minor(st->st_rdev), &b->dev, err)) {
        g_prefix_error(err, "%s: ", b->source);
        return false;
    }
    b->size = b->dev->size;
    b->thin = blockdev_any_thin(b->dev);
    return true;
}

/* The file itself is what gets benchmarked: not knowing its filesystem or the device under
 * it leaves those fields empty rather than failing the disk. A file's allocated blocks are
 * provisioned even on a thin volume, and its holes are skipped by the engine (SEEK_DATA),
 * so thin stays false. */
static void resolve_file(struct backing *b, const struct stat *st, const char *sysfs_root)
{
    g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&fs_cache.lock);
    g_autoptr(MountInfo) mount = NULL;
    unsigned maj, min;

    b->kind = BACKING_FILE;
    b->size = (uint64_t)st->st_size;
    fs_cache_refresh();
    if (fs_cache.mountinfo)
        mount = blockdev_find_mount_in(fs_cache.mountinfo, b->resolved, st->st_dev);
    if (mount) {
        b->fstype = g_steal_pointer(&mount->fstype);
        b->mountpoint = g_steal_pointer(&mount->mountpoint);
    }
    if (blockdev_of_filesystem(st->st_dev, &maj, &min, NULL))
        b->dev = fs_cache_device(sysfs_root, maj, min);
}

struct backing *backing_resolve(const char *source, const char *sysfs_root, GError **err)
{
    g_autoptr(Backing) b = NULL;
    struct stat st;

    if (!source || !source[0]) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL, "empty source path");
        return NULL;
    }
    b = g_new0(struct backing, 1);
    b->source = g_strdup(source);
    b->resolved = realpath(source, NULL);
    if (!b->resolved || stat(b->resolved, &st) != 0) {
        int e = errno;
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e), "%s: %s", source,
                    g_strerror(e));
        return NULL;
    }
    if (S_ISBLK(st.st_mode)) {
        if (!resolve_block(b, &st, sysfs_root, err))
            return NULL;
    } else if (S_ISREG(st.st_mode)) {
        resolve_file(b, &st, sysfs_root);
    } else {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                    "%s: not a file or block device (%s)", source, file_type_name(st.st_mode));
        return NULL;
    }
    return g_steal_pointer(&b);
}

static void describe_block(GString *s, const struct blockdev *d)
{
    g_string_append_printf(s, "block %u:%u %s", d->major, d->minor, d->name);
    if (d->dm_name)
        g_string_append_printf(s, " %s", d->dm_name);
    g_string_append(s, " (");
    if (d->parent)
        g_string_append_printf(s, "partition of %s, ", d->parent);
    if (d->lvm)
        g_string_append(s, "LVM, ");
    if (d->thin)
        g_string_append(s, "thin, ");
    if (d->loop_file)
        g_string_append_printf(s, "loop over %s, ", d->loop_file);
    g_string_append_printf(s, "%s, %u/%u B, %s)", d->rotational ? "hdd" : "ssd",
                           d->logical_block_size, d->physical_block_size,
                           d->scheduler ? d->scheduler : "no scheduler");
    for (guint i = 0; i < d->slaves->len; i++) {
        const struct blockdev *slave = d->slaves->pdata[i];
        g_string_append_printf(s, "%s%s", i == 0 ? " on " : "+", slave->name);
    }
}

char *backing_describe(const struct backing *b)
{
    GString *s = g_string_new(NULL);

    switch (b->kind) {
    case BACKING_BLOCK:
        if (b->dev)
            describe_block(s, b->dev);
        else
            g_string_append_printf(s, "block %s", b->resolved ? b->resolved : b->source);
        break;
    case BACKING_FILE:
        if (b->fstype)
            g_string_append_printf(s, "file on %s %s", b->fstype, b->mountpoint);
        else
            g_string_append(s, "file on an unknown filesystem");
        if (b->dev)
            g_string_append_printf(s, ", dev %s", b->dev->name);
        else
            g_string_append(s, ", no block device");
        break;
    case BACKING_OTHER:
        g_string_append_printf(s, "other %s", b->resolved ? b->resolved : b->source);
        break;
    }
    return g_string_free(s, FALSE);
}

static json_object *json_string_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *json_int_or_null(int v)
{
    return v >= 0 ? json_object_new_int(v) : NULL;
}

static json_object *blockdev_to_json(const struct blockdev *d)
{
    json_object *o = json_object_new_object();
    json_object *slaves = json_object_new_array();

    json_object_object_add(o, "name", json_object_new_string(d->name));
    json_object_object_add(o, "major", json_object_new_int64(d->major));
    json_object_object_add(o, "minor", json_object_new_int64(d->minor));
    json_object_object_add(o, "kind", json_object_new_string(blockdev_kind_name(d->kind)));
    json_object_object_add(o, "parent", json_string_or_null(d->parent));
    json_object_object_add(o, "dm_name", json_string_or_null(d->dm_name));
    json_object_object_add(o, "dm_uuid", json_string_or_null(d->dm_uuid));
    json_object_object_add(o, "loop_file", json_string_or_null(d->loop_file));
    json_object_object_add(o, "size", json_object_new_int64((int64_t)d->size));
    json_object_object_add(o, "rotational", json_object_new_boolean(d->rotational));
    json_object_object_add(o, "logical_block_size", json_object_new_int64(d->logical_block_size));
    json_object_object_add(o, "physical_block_size",
                           json_object_new_int64(d->physical_block_size));
    json_object_object_add(o, "nr_requests", json_object_new_int64(d->nr_requests));
    json_object_object_add(o, "scheduler", json_string_or_null(d->scheduler));
    json_object_object_add(o, "numa_node", json_object_new_int(d->numa_node));
    json_object_object_add(o, "model", json_string_or_null(d->model));
    for (guint i = 0; i < d->slaves->len; i++)
        json_object_array_add(slaves, blockdev_to_json(d->slaves->pdata[i]));
    json_object_object_add(o, "slaves", slaves);
    return o;
}

static const char *const backing_kind_names[] = {
    [BACKING_FILE]  = "file",
    [BACKING_BLOCK] = "block",
    [BACKING_OTHER] = "other",
};

json_object *backing_to_json(const struct backing *b)
{
    json_object *o;

    if (!b)
        return NULL;
    o = json_object_new_object();
    json_object_object_add(o, "kind", json_object_new_string(backing_kind_names[b->kind]));
    json_object_object_add(o, "source", json_string_or_null(b->source));
    json_object_object_add(o, "resolved", json_string_or_null(b->resolved));
    json_object_object_add(o, "size", json_object_new_int64((int64_t)b->size));
    json_object_object_add(o, "fstype", json_string_or_null(b->fstype));
    json_object_object_add(o, "mountpoint", json_string_or_null(b->mountpoint));
    json_object_object_add(o, "thin", json_object_new_boolean(b->thin));
    json_object_object_add(o, "device", b->dev ? blockdev_to_json(b->dev) : NULL);
    return o;
}

json_object *topology_to_json(const struct cpu_topology *t)
{
    json_object *o, *cpus, *nodes;

    if (!t)
        return NULL;
    o = json_object_new_object();
    cpus = json_object_new_array();
    nodes = json_object_new_array();
    for (guint i = 0; i < t->cpus->len; i++) {
        const struct topology_cpu *c = &g_array_index(t->cpus, struct topology_cpu, i);
        json_object *cpu = json_object_new_object();

        json_object_object_add(cpu, "cpu", json_object_new_int64(c->cpu));
        json_object_object_add(cpu, "socket", json_int_or_null(c->socket));
        json_object_object_add(cpu, "core", json_int_or_null(c->core));
        json_object_object_add(cpu, "node", json_int_or_null(c->node));
        json_object_object_add(cpu, "siblings", json_string_or_null(c->siblings));
        json_object_object_add(cpu, "online", json_object_new_boolean(c->online));
        json_object_array_add(cpus, cpu);
    }
    for (guint i = 0; i < t->nodes->len; i++) {
        const struct topology_node *n = &g_array_index(t->nodes, struct topology_node, i);
        json_object *node = json_object_new_object();

        json_object_object_add(node, "node", json_object_new_int64(n->node));
        json_object_object_add(node, "cpus", json_object_new_string(n->cpus));
        json_object_array_add(nodes, node);
    }
    json_object_object_add(o, "cpus", cpus);
    json_object_object_add(o, "nodes", nodes);
    return o;
}
