#include "probes/blockdev.h"
#include "probes/sysfs.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

/* Real stacks are a few levels deep (partition < PV < LV < thin < crypt); anything deeper
 * is a broken or hostile tree. */
#define BLOCKDEV_MAX_DEPTH 16
/* Parent directories searched for a numa_node attribute: block dir → bus device → PCI. */
#define BLOCKDEV_NUMA_SEARCH 8

static const char *const kind_names[BLOCKDEV_KIND_COUNT] = {
    [BLOCKDEV_DISK]      = "disk",
    [BLOCKDEV_PARTITION] = "partition",
    [BLOCKDEV_DM]        = "dm",
    [BLOCKDEV_LOOP]      = "loop",
    [BLOCKDEV_MD]        = "md",
    [BLOCKDEV_OTHER]     = "other",
};

const char *blockdev_kind_name(enum blockdev_kind kind)
{
    if ((unsigned)kind >= BLOCKDEV_KIND_COUNT)
        return NULL;
    return kind_names[kind];
}

/* A sysfs attribute without its trailing newline and padding; NULL when absent or empty. */
static unsigned read_unsigned(const char *dir, const char *name)
{
    gint64 v;

    if (!sysfs_read_int64(dir, name, &v) || v < 0 || v > UINT_MAX)
        return 0;
    return (unsigned)v;
}

static bool parse_dev(const char *text, unsigned *major, unsigned *minor)
{
    char tail;

    return text && sscanf(text, "%u:%u%c", major, minor, &tail) == 2;
}

/* queue/scheduler lists every elevator with the active one in brackets
 * ("none [mq-deadline] kyber"); a queue without elevators (dm, loop on some kernels)
 * reads just "none". */
static char *parse_scheduler(const char *text)
{
    if (!text)
        return NULL;
    const char *open = strchr(text, '[');
    if (open) {
        const char *close = strchr(open, ']');
        if (!close)
            return NULL;
        return g_strndup(open + 1, (gsize)(close - open - 1));
    }
    if (strchr(text, ' '))
        return NULL;
    return g_strdup(text);
}

static bool has_suffix_tpool(const char *s)
{
    return s && g_str_has_suffix(s, "-tpool");
}

void blockdev_free(struct blockdev *dev)
{
    if (!dev)
        return;
    g_free(dev->name);
    g_free(dev->parent);
    g_free(dev->dm_name);
    g_free(dev->dm_uuid);
    g_free(dev->loop_file);
    g_free(dev->scheduler);
    g_free(dev->model);
    if (dev->slaves)
        g_ptr_array_unref(dev->slaves);
    g_free(dev);
}

static struct blockdev *blockdev_new(void)
{
    struct blockdev *dev = g_new0(struct blockdev, 1);

    dev->numa_node = -1;
    dev->slaves = g_ptr_array_new_with_free_func((GDestroyNotify)blockdev_free);
    return dev;
}

struct blockdev *blockdev_copy(const struct blockdev *dev)
{
    struct blockdev *copy;

    if (!dev)
        return NULL;
    copy = g_memdup2(dev, sizeof(*dev));
    copy->name = g_strdup(dev->name);
    copy->parent = g_strdup(dev->parent);
    copy->dm_name = g_strdup(dev->dm_name);
    copy->dm_uuid = g_strdup(dev->dm_uuid);
    copy->loop_file = g_strdup(dev->loop_file);
    copy->scheduler = g_strdup(dev->scheduler);
    copy->model = g_strdup(dev->model);
    copy->slaves = g_ptr_array_new_full(dev->slaves->len, (GDestroyNotify)blockdev_free);
    for (guint i = 0; i < dev->slaves->len; i++)
        g_ptr_array_add(copy->slaves, blockdev_copy(dev->slaves->pdata[i]));
    return copy;
}

/* Device numbers the kernel fixes (include/uapi/linux/major.h). A loop device's loop/
 * directory exists only while it is bound to a file, so an unbound one is known by its
 * major alone. */
#define BLOCKDEV_LOOP_MAJOR 7
#define BLOCKDEV_MD_MAJOR   9

static enum blockdev_kind classify(const char *dir, unsigned major)
{
    static const struct { const char *entry; enum blockdev_kind kind; } marks[] = {
        { "dm",        BLOCKDEV_DM },
        { "loop",      BLOCKDEV_LOOP },
        { "md",        BLOCKDEV_MD },
        { "partition", BLOCKDEV_PARTITION },
    };

    for (gsize i = 0; i < G_N_ELEMENTS(marks); i++) {
        g_autofree char *path = g_build_filename(dir, marks[i].entry, NULL);
        if (g_file_test(path, G_FILE_TEST_EXISTS))
            return marks[i].kind;
    }
    if (major == BLOCKDEV_LOOP_MAJOR)
        return BLOCKDEV_LOOP;
    if (major == BLOCKDEV_MD_MAJOR)
        return BLOCKDEV_MD;
    g_autofree char *queue = g_build_filename(dir, "queue", NULL);
    return g_file_test(queue, G_FILE_TEST_IS_DIR) ? BLOCKDEV_DISK : BLOCKDEV_OTHER;
}

/* One probe of a device stack. */
struct probe {
    const char *root;       /* the sysfs root as given */
    char *devices;          /* realpath of <root>/devices: searches never climb above it */
    GPtrArray *path;        /* "MAJ:MIN" of every device from the top down to the current */
};

static bool inside(const char *dir, const char *top)
{
    gsize len = top ? strlen(top) : 0;

    return top && strncmp(dir, top, len) == 0 && dir[len] == '/';
}

/* The bus device's numa_node sits on the PCI function, one or two levels above what the
 * block device's "device" link names (virtio1 → 0000:00:02.0; nvme0 has its own). */
static int find_numa_node(const struct probe *p, const char *owner_dir)
{
    g_autofree char *link = g_build_filename(owner_dir, "device", NULL);
    g_autofree char *dir = realpath(link, NULL);

    for (int i = 0; dir && i < BLOCKDEV_NUMA_SEARCH && inside(dir, p->devices); i++) {
        gint64 node;
        if (sysfs_read_int64(dir, "numa_node", &node))
            return node >= 0 && node <= INT_MAX ? (int)node : -1;
        char *up = g_path_get_dirname(dir);
        g_free(dir);
        dir = up;
    }
    return -1;
}

/* Queue attributes, numa node and model belong to the whole disk: for a partition they
 * are read from its parent directory (sysfs nests sda1 inside sda). */
static void read_queue(const struct probe *p, struct blockdev *dev, const char *owner_dir)
{
    g_autofree char *queue = g_build_filename(owner_dir, "queue", NULL);
    g_autofree char *sched = sysfs_read_attr(queue, "scheduler");
    g_autofree char *device = g_build_filename(owner_dir, "device", NULL);

    dev->rotational = read_unsigned(queue, "rotational") != 0;
    dev->logical_block_size = read_unsigned(queue, "logical_block_size");
    dev->physical_block_size = read_unsigned(queue, "physical_block_size");
    dev->nr_requests = read_unsigned(queue, "nr_requests");
    dev->scheduler = parse_scheduler(sched);
    dev->numa_node = find_numa_node(p, owner_dir);
    dev->model = sysfs_read_attr(device, "model");
}

static void read_kind_specific(struct blockdev *dev, const char *dir)
{
    g_autofree char *sub = NULL;

    switch (dev->kind) {
    case BLOCKDEV_DM:
        sub = g_build_filename(dir, "dm", NULL);
        dev->dm_name = sysfs_read_attr(sub, "name");
        dev->dm_uuid = sysfs_read_attr(sub, "uuid");
        dev->lvm = dev->dm_uuid && g_str_has_prefix(dev->dm_uuid, "LVM-");
        dev->thin = has_suffix_tpool(dev->dm_name) || has_suffix_tpool(dev->dm_uuid);
        break;
    case BLOCKDEV_LOOP:
        sub = g_build_filename(dir, "loop", NULL);
        dev->loop_file = sysfs_read_attr(sub, "backing_file");
        break;
    default:
        break;
    }
}

static bool probe_at(struct probe *p, unsigned major, unsigned minor, struct blockdev **out,
                     GError **err);

static gint compare_names(gconstpointer a, gconstpointer b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static bool probe_slaves(struct probe *p, struct blockdev *dev, const char *dir, GError **err)
{
    g_autofree char *slaves_dir = g_build_filename(dir, "slaves", NULL);
    g_autoptr(GDir) d = g_dir_open(slaves_dir, 0, NULL);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
    const char *entry;

    if (!d)
        return true;  /* no slaves directory: a leaf */
    while ((entry = g_dir_read_name(d)))
        g_ptr_array_add(names, g_strdup(entry));
    g_ptr_array_sort(names, compare_names);

    for (guint i = 0; i < names->len; i++) {
        const char *name = names->pdata[i];
        g_autofree char *slave_dir = g_build_filename(slaves_dir, name, NULL);
        g_autofree char *devno = sysfs_read_attr(slave_dir, "dev");
        unsigned smaj, smin;
        struct blockdev *slave = NULL;

        if (!parse_dev(devno, &smaj, &smin)) {
            g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_INVAL,
                        "block device %s: slave %s has no readable dev number", dev->name, name);
            return false;
        }
        if (!probe_at(p, smaj, smin, &slave, err))
            return false;
        if (dev->kind == BLOCKDEV_DM && slave->kind == BLOCKDEV_DM &&
            (has_suffix_tpool(slave->dm_name) || has_suffix_tpool(slave->dm_uuid)))
            dev->thin = true;
        g_ptr_array_add(dev->slaves, slave);
    }
    return true;
}

/* path holds "MAJ:MIN" of every device from the top down to this one's caller: meeting
 * one again is a cycle, which a real kernel never shows but a fake or racing tree may. */
static bool probe_at(struct probe *p, unsigned major, unsigned minor, struct blockdev **out,
                     GError **err)
{
    g_autofree char *devno = g_strdup_printf("%u:%u", major, minor);
    g_autofree char *link = g_build_filename(p->root, "dev", "block", devno, NULL);
    g_autofree char *dir = NULL;
    g_autoptr(Blockdev) dev = NULL;

    if (g_ptr_array_find_with_equal_func(p->path, devno, g_str_equal, NULL)) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_LOOP,
                    "block device %s: its slaves lead back to itself (cycle in %s)",
                    devno, p->root);
        return false;
    }
    if (p->path->len >= BLOCKDEV_MAX_DEPTH) {
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_LOOP,
                    "block device %s: more than %d levels of slaves", devno, BLOCKDEV_MAX_DEPTH);
        return false;
    }
    dir = realpath(link, NULL);
    if (!dir) {
        int e = errno;
        g_set_error(err, G_FILE_ERROR, g_file_error_from_errno(e),
                    "block device %s: %s: %s", devno, link, g_strerror(e));
        return false;
    }

    dev = blockdev_new();
    dev->name = g_path_get_basename(dir);
    dev->major = major;
    dev->minor = minor;
    dev->kind = classify(dir, major);
    gint64 sectors;
    if (sysfs_read_int64(dir, "size", &sectors) && sectors > 0)
        dev->size = (uint64_t)sectors * 512;
    read_kind_specific(dev, dir);
    if (dev->kind == BLOCKDEV_PARTITION) {
        g_autofree char *disk_dir = g_path_get_dirname(dir);
        dev->parent = g_path_get_basename(disk_dir);
        read_queue(p, dev, disk_dir);
    } else {
        read_queue(p, dev, dir);
    }

    g_ptr_array_add(p->path, g_steal_pointer(&devno));
    bool ok = probe_slaves(p, dev, dir, err);
    g_ptr_array_remove_index(p->path, p->path->len - 1);
    if (!ok)
        return false;
    *out = g_steal_pointer(&dev);
    return true;
}

bool blockdev_probe(const char *sysfs_root, unsigned major, unsigned minor,
                    struct blockdev **out, GError **err)
{
    const char *root = sysfs_root ? sysfs_root : "/sys";
    g_autofree char *devices = g_build_filename(root, "devices", NULL);
    g_autoptr(GPtrArray) path = g_ptr_array_new_with_free_func(g_free);
    struct probe p = { .root = root, .devices = realpath(devices, NULL), .path = path };

    *out = NULL;
    bool ok = probe_at(&p, major, minor, out, err);
    free(p.devices);
    return ok;
}

bool blockdev_any_thin(const struct blockdev *dev)
{
    if (!dev)
        return false;
    if (dev->thin)
        return true;
    for (guint i = 0; dev->slaves && i < dev->slaves->len; i++)
        if (blockdev_any_thin(dev->slaves->pdata[i]))
            return true;
    return false;
}

bool blockdev_of_filesystem(dev_t dev, unsigned *major, unsigned *minor, const char **why)
{
    if (major(dev) == 0) {
        if (why)
            *why = "no block device under this filesystem (anonymous device: tmpfs, overlay, "
                   "network or btrfs)";
        return false;
    }
    *major = major(dev);
    *minor = minor(dev);
    return true;
}

void mount_info_free(struct mount_info *m)
{
    if (!m)
        return;
    g_free(m->mountpoint);
    g_free(m->fstype);
    g_free(m->source);
    g_free(m);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo (octal). */
static char *unescape_octal(const char *s)
{
    GString *out = g_string_sized_new(strlen(s));

    for (const char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
            p[3] >= '0' && p[3] <= '7') {
            g_string_append_c(out, (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
            p += 3;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

/* One line: "36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue"
 * (proc(5)): a variable number of optional fields ends at the lone "-". */
static struct mount_info *parse_mountinfo_line(const char *line)
{
    g_auto(GStrv) fields = g_strsplit(line, " ", -1);
    guint n = g_strv_length(fields);
    guint sep = 6;
    struct mount_info *m;

    while (sep < n && strcmp(fields[sep], "-") != 0)
        sep++;
    if (n < 7 || sep + 2 >= n)
        return NULL;
    m = g_new0(struct mount_info, 1);
    if (!parse_dev(fields[2], &m->major, &m->minor)) {
        mount_info_free(m);
        return NULL;
    }
    m->mountpoint = unescape_octal(fields[4]);
    m->fstype = g_strdup(fields[sep + 1]);
    m->source = unescape_octal(fields[sep + 2]);
    return m;
}

static gsize prefix_length(const char *path, const char *mountpoint)
{
    gsize len = strlen(mountpoint);

    if (strcmp(mountpoint, "/") == 0)
        return 1;
    if (strncmp(path, mountpoint, len) != 0 || (path[len] != '\0' && path[len] != '/'))
        return 0;
    return len;
}

struct mount_info *blockdev_find_mount_in(const char *mountinfo_text, const char *path,
                                          dev_t dev)
{
    g_auto(GStrv) lines = g_strsplit(mountinfo_text, "\n", -1);
    g_autoptr(MountInfo) by_dev = NULL;
    g_autoptr(MountInfo) by_prefix = NULL;
    gsize dev_len = 0, prefix_len = 0;

    /* Later lines mount over earlier ones: on equal length the later entry wins. */
    for (guint i = 0; lines[i]; i++) {
        g_autoptr(MountInfo) m = parse_mountinfo_line(lines[i]);
        gsize len;

        if (!m || (len = prefix_length(path, m->mountpoint)) == 0)
            continue;
        bool same_dev = m->major == major(dev) && m->minor == minor(dev);
        if (same_dev && len >= dev_len) {
            dev_len = len;
            mount_info_free(by_dev);
            by_dev = g_steal_pointer(&m);
        } else if (!same_dev && len >= prefix_len) {
            prefix_len = len;
            mount_info_free(by_prefix);
            by_prefix = g_steal_pointer(&m);
        }
    }
    return by_dev ? g_steal_pointer(&by_dev) : g_steal_pointer(&by_prefix);
}

struct mount_info *blockdev_find_mount(const char *mountinfo_path, const char *path, dev_t dev,
                                       GError **err)
{
    const char *file = mountinfo_path ? mountinfo_path : "/proc/self/mountinfo";
    g_autofree char *text = NULL;
    struct mount_info *m;

    if (!g_file_get_contents(file, &text, NULL, err))
        return NULL;
    m = blockdev_find_mount_in(text, path, dev);
    if (!m)
        g_set_error(err, G_FILE_ERROR, G_FILE_ERROR_NOENT, "%s: no mount holds it in %s", path,
                    file);
    return m;
}
