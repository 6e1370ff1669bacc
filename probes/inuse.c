/* In-use detection on the host: see inuse.h. Each check appends its findings to the same
 * list; a check that cannot run is remembered and reported after all the others ran. */
#include "probes/inuse.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

G_DEFINE_QUARK(inuse-error-quark, inuse_error)

/* QEMU's file-posix locks one byte per permission: 100 + i while it holds permission i,
 * 200 + i while it refuses to share it (block/file-posix.c, raw_apply_lock_bytes). The
 * permissions are BLK_PERM_* in bit order; QEMU before 6.1 had a fifth, graph-mod. A few
 * more bytes are probed so that a future permission is still seen. */
#define QEMU_LOCK_HOLD_BASE  100
#define QEMU_LOCK_SHARE_BASE 200
#define QEMU_LOCK_PROBED     8

static const char *const qemu_perm_names[] = {
    "consistent read", "write", "write unchanged", "resize", "graph mod",
};

/* One device of the target: the device itself or one of its partitions. */
struct part {
    dev_t dev;
    char *name;    /* kernel name, e.g. "loop0p1" */
    char *sysdir;  /* resolved sysfs directory */
    bool whole;    /* the target itself, not a partition */
};

struct probe {
    const char *path;
    struct stat st;
    const char *proc;
    const char *sysfs;
    GPtrArray *parts;    /* struct part *: block targets only */
    GPtrArray *reasons;  /* char *: the findings */
    GString *failures;   /* checks that could not run, "; "-separated */
    const char *self_loop; /* the loop device whose backing file this is: not a finding */
};

static void part_free(gpointer p)
{
    struct part *part = p;
    g_free(part->name);
    g_free(part->sysdir);
    g_free(part);
}

static void probe_fail(struct probe *pr, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void probe_fail(struct probe *pr, const char *fmt, ...)
{
    va_list ap;
    if (pr->failures->len)
        g_string_append(pr->failures, "; ");
    va_start(ap, fmt);
    g_string_append_vprintf(pr->failures, fmt, ap);
    va_end(ap);
}

/* "partition loop0p1 " before a finding on a partition, nothing for the device itself. */
static char *part_prefix(const struct part *part)
{
    return part->whole ? g_strdup("") : g_strdup_printf("partition %s ", part->name);
}

static const struct part *probe_find_part(const struct probe *pr, dev_t dev)
{
    for (guint i = 0; pr->parts && i < pr->parts->len; i++) {
        const struct part *part = g_ptr_array_index(pr->parts, i);
        if (part->dev == dev)
            return part;
    }
    return NULL;
}

/* Does st name the target (or, for a block device, one of its partitions)? */
static bool probe_matches(const struct probe *pr, const struct stat *st)
{
    if (S_ISBLK(pr->st.st_mode))
        return S_ISBLK(st->st_mode) && probe_find_part(pr, st->st_rdev) != NULL;
    return S_ISREG(st->st_mode) && st->st_dev == pr->st.st_dev && st->st_ino == pr->st.st_ino;
}

static bool parse_devno(const char *text, dev_t *dev)
{
    unsigned maj, min;
    if (sscanf(text, "%u:%u", &maj, &min) != 2)
        return false;
    *dev = makedev(maj, min);
    return true;
}

/* The "dev" file of a sysfs block directory. */
static bool sysdir_devno(const char *sysdir, dev_t *dev)
{
    g_autofree char *file = g_build_filename(sysdir, "dev", NULL);
    g_autofree char *text = NULL;
    if (!g_file_get_contents(file, &text, NULL, NULL))
        return false;
    return parse_devno(text, dev);
}

/* <sysfs>/dev/block/MAJ:MIN resolved to the device's own directory. */
static char *dev_sysdir(const char *sysfs, dev_t dev, GError **err)
{
    g_autofree char *link = g_strdup_printf("%s/dev/block/%u:%u", sysfs, major(dev), minor(dev));
    char *dir = realpath(link, NULL);
    if (!dir) {
        int e = errno;
        g_set_error(err, INUSE_ERROR, INUSE_ERROR_PROBE, "%s: %s", link, g_strerror(e));
        return NULL;
    }
    return dir;
}

static bool sysdir_is_partition(const char *sysdir)
{
    g_autofree char *file = g_build_filename(sysdir, "partition", NULL);
    return g_file_test(file, G_FILE_TEST_EXISTS);
}

/* The resolved directories listed in sysdir/<sub> (holders, slaves); empty when absent. */
static GPtrArray *sysdir_links(const char *sysdir, const char *sub)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autofree char *dir = g_build_filename(sysdir, sub, NULL);
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *link = g_build_filename(dir, name, NULL);
        char *target = realpath(link, NULL);
        if (target)
            g_ptr_array_add(out, target);
    }
    return out;
}

/* The partitions of a whole disk are its subdirectories with a "partition" file. */
static GPtrArray *sysdir_partitions(const char *sysdir)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GDir) d = g_dir_open(sysdir, 0, NULL);
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *sub = g_build_filename(sysdir, name, NULL);
        if (g_file_test(sub, G_FILE_TEST_IS_DIR) && !g_file_test(sub, G_FILE_TEST_IS_SYMLINK)
            && sysdir_is_partition(sub))
            g_ptr_array_add(out, g_steal_pointer(&sub));
    }
    return out;
}

static void probe_load_parts(struct probe *pr)
{
    g_autoptr(GError) e = NULL;
    pr->parts = g_ptr_array_new_with_free_func(part_free);
    char *sysdir = dev_sysdir(pr->sysfs, pr->st.st_rdev, &e);

    struct part *whole = g_new0(struct part, 1);
    whole->dev = pr->st.st_rdev;
    whole->whole = true;
    whole->sysdir = sysdir;
    whole->name = sysdir ? g_path_get_basename(sysdir) : g_path_get_basename(pr->path);
    g_ptr_array_add(pr->parts, whole);
    if (!sysdir) {
        probe_fail(pr, "holders and partitions unknown: %s", e->message);
        return;
    }
    g_autoptr(GPtrArray) subs = sysdir_partitions(sysdir);
    for (guint i = 0; i < subs->len; i++) {
        const char *sub = g_ptr_array_index(subs, i);
        struct part *part = g_new0(struct part, 1);
        if (!sysdir_devno(sub, &part->dev)) {
            probe_fail(pr, "%s/dev: unreadable", sub);
            g_free(part);
            continue;
        }
        part->sysdir = g_strdup(sub);
        part->name = g_path_get_basename(sub);
        g_ptr_array_add(pr->parts, part);
    }
}

static bool parse_pid(const char *name, pid_t *pid)
{
    char *end;
    errno = 0;
    long v = strtol(name, &end, 10);
    if (errno || end == name || *end || v <= 0 || v > INT_MAX)
        return false;
    *pid = (pid_t)v;
    return true;
}

/* *unreadable: the fd directory exists but may not be read (EACCES as non-root); a process
 * that vanished meanwhile (ENOENT, or ESRCH that GLib reports as G_FILE_ERROR_FAILED) has
 * nothing to read and is not counted. */
static bool pid_has_target_open(const struct probe *pr, const char *piddir, bool *unreadable)
{
    g_autofree char *fddir = g_build_filename(piddir, "fd", NULL);
    g_autoptr(GError) e = NULL;
    g_autoptr(GDir) d = g_dir_open(fddir, 0, &e);
    const char *name;
    *unreadable = !d && !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT) &&
                  !g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_FAILED);
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *fd = g_build_filename(fddir, name, NULL);
        struct stat st;
        if (stat(fd, &st) == 0 && probe_matches(pr, &st))
            return true;
    }
    return false;
}

/* Every process's open files, by identity: this sees a QEMU whose node for the device lives
 * in libvirt's private /dev namespace, which the lock probe cannot. Processes that vanish are
 * skipped: there is nothing to read. Processes we may not look into (not root) leave a block
 * device unchecked: any of them may hold it. A file keeps the OFD lock probe, which sees
 * QEMU whoever runs it. */
static void check_open_fds(struct probe *pr)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GDir) d = g_dir_open(pr->proc, 0, &e);
    if (!d) {
        probe_fail(pr, "open files unknown: %s", e->message);
        return;
    }
    pid_t self = getpid();
    const char *name;
    unsigned unreadable = 0;
    while ((name = g_dir_read_name(d))) {
        pid_t pid;
        bool hidden = false;
        if (!parse_pid(name, &pid) || pid == self)
            continue;
        g_autofree char *piddir = g_build_filename(pr->proc, name, NULL);
        bool open = pid_has_target_open(pr, piddir, &hidden);
        unreadable += hidden;
        if (!open)
            continue;
        g_autofree char *commfile = g_build_filename(piddir, "comm", NULL);
        g_autofree char *comm = NULL;
        if (g_file_get_contents(commfile, &comm, NULL, NULL))
            g_ptr_array_add(pr->reasons, g_strdup_printf("held open by pid %d (%s)", (int)pid,
                                                         g_strchomp(comm)));
        else
            g_ptr_array_add(pr->reasons, g_strdup_printf("held open by pid %d", (int)pid));
    }
    if (unreadable && S_ISBLK(pr->st.st_mode))
        probe_fail(pr, "cannot check: open files of %u %s are unreadable (run as root)",
                   unreadable, unreadable == 1 ? "process" : "processes");
}

static char *qemu_lock_meaning(off_t byte)
{
    bool hold = byte < QEMU_LOCK_SHARE_BASE;
    unsigned perm = (unsigned)(byte - (hold ? QEMU_LOCK_HOLD_BASE : QEMU_LOCK_SHARE_BASE));
    g_autofree char *pname = perm < G_N_ELEMENTS(qemu_perm_names)
                                 ? g_strdup(qemu_perm_names[perm])
                                 : g_strdup_printf("permission %u", perm);
    return g_strdup_printf(hold ? "holds %s" : "shares no %s", pname);
}

/* QEMU takes one shared lock per byte, but the kernel merges adjacent locks of one owner
 * (bytes 100 and 101 come back as one lock on 100-101): a lock that lies wholly inside one
 * of QEMU's byte windows is QEMU's, whatever its length. */
static bool lock_is_qemus(const struct flock *fl)
{
    static const off_t bases[] = { QEMU_LOCK_HOLD_BASE, QEMU_LOCK_SHARE_BASE };
    if (fl->l_len <= 0)
        return false;
    off_t last = fl->l_start + fl->l_len - 1;
    for (unsigned b = 0; b < G_N_ELEMENTS(bases); b++)
        if (fl->l_start >= bases[b] && last < bases[b] + QEMU_LOCK_PROBED)
            return true;
    return false;
}

/* QEMU's locks are reported per byte with their meaning; any other lock once, however many
 * probed bytes it covers. */
static void report_lock(struct probe *pr, off_t byte, const struct flock *fl, GArray *seen)
{
    g_autofree char *by = fl->l_pid > 0 ? g_strdup_printf(", pid %d", (int)fl->l_pid)
                                        : g_strdup("");
    if (lock_is_qemus(fl)) {
        g_autofree char *meaning = qemu_lock_meaning(byte);
        g_ptr_array_add(pr->reasons, g_strdup_printf("locked by QEMU (OFD lock on byte %lld: %s%s)",
                                                     (long long)byte, meaning, by));
        return;
    }
    for (guint i = 0; i < seen->len; i++) {
        const struct flock *old = &g_array_index(seen, struct flock, i);
        if (old->l_start == fl->l_start && old->l_len == fl->l_len && old->l_pid == fl->l_pid)
            return;
    }
    g_array_append_val(seen, *fl);
    const char *type = fl->l_type == F_WRLCK ? "write" : "read";
    if (fl->l_len == 0)
        g_ptr_array_add(pr->reasons,
                        g_strdup_printf("locked (%s lock from byte %lld to the end%s)", type,
                                        (long long)fl->l_start, by));
    else
        g_ptr_array_add(pr->reasons,
                        g_strdup_printf("locked (%s lock on bytes %lld-%lld%s)", type,
                                        (long long)fl->l_start,
                                        (long long)(fl->l_start + fl->l_len - 1), by));
}

/* F_OFD_GETLK with a write lock conflicts with any lock, shared or not, held through another
 * open file description; QEMU's locks are OFD locks, so l_pid comes back as -1. */
static void check_qemu_locks(struct probe *pr)
{
    int fd = open(pr->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        probe_fail(pr, "locks unknown: open: %s", g_strerror(errno));
        return;
    }
    g_autoptr(GArray) seen = g_array_new(FALSE, FALSE, sizeof(struct flock));
    static const off_t bases[] = { QEMU_LOCK_HOLD_BASE, QEMU_LOCK_SHARE_BASE };
    for (unsigned b = 0; b < G_N_ELEMENTS(bases); b++) {
        for (off_t i = 0; i < QEMU_LOCK_PROBED; i++) {
            struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET,
                                .l_start = bases[b] + i, .l_len = 1 };
            if (fcntl(fd, F_OFD_GETLK, &fl) < 0) {
                probe_fail(pr, "locks unknown: F_OFD_GETLK: %s", g_strerror(errno));
                close(fd);
                return;
            }
            if (fl.l_type != F_UNLCK)
                report_lock(pr, bases[b] + i, &fl, seen);
        }
    }
    close(fd);
}

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static char *unescape_octal(const char *s)
{
    GString *out = g_string_new(NULL);
    for (const char *p = s; *p; p++) {
        if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7'
            && p[3] >= '0' && p[3] <= '7') {
            g_string_append_c(out, (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0')));
            p += 3;
        } else {
            g_string_append_c(out, *p);
        }
    }
    return g_string_free(out, FALSE);
}

/* Field 3 of /proc/self/mountinfo is the st_dev of the mounted filesystem. (btrfs shows an
 * anonymous device number there; its O_EXCL claim on the device is caught below.) */
static void check_mounts(struct probe *pr)
{
    g_autofree char *file = g_build_filename(pr->proc, "self", "mountinfo", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(file, &text, NULL, &e)) {
        probe_fail(pr, "mounts unknown: %s", e->message);
        return;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++) {
        g_auto(GStrv) f = g_strsplit(*line, " ", 6);
        dev_t dev;
        if (g_strv_length(f) < 5 || !parse_devno(f[2], &dev))
            continue;
        const struct part *part = probe_find_part(pr, dev);
        if (!part)
            continue;
        g_autofree char *pre = part_prefix(part);
        g_autofree char *mnt = unescape_octal(f[4]);
        g_ptr_array_add(pr->reasons, g_strdup_printf("%smounted on %s", pre, mnt));
    }
}

/* /proc/swaps names each swap area by path (escaped like mountinfo); compare identities. */
static void check_swaps(struct probe *pr)
{
    g_autofree char *file = g_build_filename(pr->proc, "swaps", NULL);
    g_autofree char *text = NULL;
    g_autoptr(GError) e = NULL;
    if (!g_file_get_contents(file, &text, NULL, &e)) {
        /* A kernel built without swap has no /proc/swaps: nothing can be swapped on. */
        if (!g_error_matches(e, G_FILE_ERROR, G_FILE_ERROR_NOENT))
            probe_fail(pr, "swaps unknown: %s", e->message);
        return;
    }
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
    for (char **line = lines; *line; line++) {
        if (line == lines)
            continue;  /* the header */
        g_auto(GStrv) f = g_strsplit_set(*line, " \t", 2);
        if (!f[0] || !*f[0])
            continue;
        g_autofree char *swap = unescape_octal(f[0]);
        struct stat st;
        if (stat(swap, &st) != 0 || !probe_matches(pr, &st))
            continue;
        if (S_ISBLK(st.st_mode)) {
            g_autofree char *pre = part_prefix(probe_find_part(pr, st.st_rdev));
            g_ptr_array_add(pr->reasons, g_strdup_printf("%sin use as swap", pre));
        } else {
            g_ptr_array_add(pr->reasons, g_strdup("in use as a swap file"));
        }
    }
}

/* A device-mapper target, an md array or a bcache set stacked on the device lists itself in
 * holders/; writing under it corrupts whatever it holds. */
static void check_holders(struct probe *pr)
{
    for (guint i = 0; i < pr->parts->len; i++) {
        const struct part *part = g_ptr_array_index(pr->parts, i);
        if (!part->sysdir)
            continue;
        g_autoptr(GPtrArray) holders = sysdir_links(part->sysdir, "holders");
        for (guint h = 0; h < holders->len; h++) {
            g_autofree char *pre = part_prefix(part);
            g_autofree char *name = g_path_get_basename(g_ptr_array_index(holders, h));
            g_ptr_array_add(pr->reasons, g_strdup_printf("%sheld by %s (stacked on it)", pre, name));
        }
    }
}

/* The kernel refuses O_EXCL on a block device that is mounted, held, or opened O_EXCL by
 * someone else (mkfs, another tool). QEMU does not use O_EXCL, so this never sees it. */
static void check_exclusive(struct probe *pr)
{
    int fd = open(pr->path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);
    if (fd >= 0) {
        close(fd);
        return;
    }
    int e = errno;
    if (e == EBUSY)
        g_ptr_array_add(pr->reasons,
                        g_strdup_printf("claimed exclusively (O_EXCL open: %s)", g_strerror(e)));
    else
        probe_fail(pr, "O_EXCL open: %s", g_strerror(e));
}

/* A loop device keeps its backing file open inside the kernel: no /proc fd shows it. */
static void check_loop_backing(struct probe *pr)
{
    g_autofree char *classdir = g_build_filename(pr->sysfs, "class", "block", NULL);
    g_autoptr(GError) e = NULL;
    g_autoptr(GDir) d = g_dir_open(classdir, 0, &e);
    if (!d) {
        probe_fail(pr, "loop devices unknown: %s", e->message);
        return;
    }
    const char *name;
    while ((name = g_dir_read_name(d))) {
        g_autofree char *file = g_build_filename(classdir, name, "loop", "backing_file", NULL);
        g_autofree char *backing = NULL;
        if (!g_file_get_contents(file, &backing, NULL, NULL))
            continue;
        struct stat st;
        if (pr->self_loop && strcmp(name, pr->self_loop) == 0)
            continue;
        if (stat(g_strchomp(backing), &st) == 0 && probe_matches(pr, &st))
            g_ptr_array_add(pr->reasons, g_strdup_printf("backing file of loop device %s", name));
    }
}

/* A loop device writes through to its backing file: whoever uses that file (a process, a
 * QEMU holding its locks, another loop device over it) uses this device too. */
static void check_loop_target_file(struct probe *pr)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GArray) devs = inuse_overlapping_devs(pr->st.st_rdev, pr->sysfs, &e);

    if (!devs) {
        probe_fail(pr, "loop devices under it unknown: %s", e->message);
        return;
    }
    for (guint i = 0; i < devs->len; i++) {
        dev_t dev = g_array_index(devs, dev_t, i);
        g_autofree char *file = g_strdup_printf("%s/dev/block/%u:%u/loop/backing_file",
                                                pr->sysfs, major(dev), minor(dev));
        g_autofree char *backing = NULL;
        g_autofree char *loopname = NULL;
        g_autofree char *sysdir = NULL;

        if (!g_file_get_contents(file, &backing, NULL, NULL))
            continue;
        g_strchomp(backing);
        sysdir = dev_sysdir(pr->sysfs, dev, NULL);
        loopname = sysdir ? g_path_get_basename(sysdir) : NULL;
        struct probe sub = {
            .path = backing, .proc = pr->proc, .sysfs = pr->sysfs, .self_loop = loopname,
            .reasons = g_ptr_array_new_with_free_func(g_free), .failures = pr->failures,
        };
        if (stat(backing, &sub.st) != 0) {
            probe_fail(pr, "backing file %s unknown: %s", backing, g_strerror(errno));
            g_ptr_array_unref(sub.reasons);
            continue;
        }
        if (!S_ISREG(sub.st.st_mode)) {
            probe_fail(pr, "backing file %s unknown: not a regular file", backing);
            g_ptr_array_unref(sub.reasons);
            continue;
        }
        check_open_fds(&sub);
        check_qemu_locks(&sub);
        check_loop_backing(&sub);
        for (guint r = 0; r < sub.reasons->len; r++)
            g_ptr_array_add(pr->reasons, g_strdup_printf("its backing file %s is %s", backing,
                                                         (const char *)g_ptr_array_index(sub.reasons, r)));
        g_ptr_array_unref(sub.reasons);
    }
}

int inuse_probe(const char *path, const struct inuse_roots *roots, GPtrArray **reasons,
                GError **err)
{
    struct probe pr = {
        .path = path,
        .proc = roots && roots->proc ? roots->proc : "/proc",
        .sysfs = roots && roots->sysfs ? roots->sysfs : "/sys",
        .reasons = g_ptr_array_new_with_free_func(g_free),
        .failures = g_string_new(NULL),
    };
    *reasons = pr.reasons;

    if (stat(path, &pr.st) != 0) {
        int e = errno;
        g_string_free(pr.failures, TRUE);
        g_set_error(err, INUSE_ERROR, INUSE_ERROR_STAT, "%s: %s", path, g_strerror(e));
        return -1;
    }
    if (!S_ISBLK(pr.st.st_mode) && !S_ISREG(pr.st.st_mode)) {
        g_string_free(pr.failures, TRUE);
        g_set_error(err, INUSE_ERROR, INUSE_ERROR_KIND,
                    "%s: neither a regular file nor a block device", path);
        return -1;
    }

    if (S_ISBLK(pr.st.st_mode))
        probe_load_parts(&pr);
    check_open_fds(&pr);
    check_qemu_locks(&pr);
    if (S_ISBLK(pr.st.st_mode)) {
        check_mounts(&pr);
        check_swaps(&pr);
        check_holders(&pr);
        check_exclusive(&pr);
        check_loop_target_file(&pr);
    } else {
        check_swaps(&pr);
        check_loop_backing(&pr);
    }
    if (pr.parts)
        g_ptr_array_unref(pr.parts);

    if (pr.failures->len) {
        g_set_error(err, INUSE_ERROR, INUSE_ERROR_PROBE, "%s: %s", path, pr.failures->str);
        g_string_free(pr.failures, TRUE);
        return -1;
    }
    g_string_free(pr.failures, TRUE);
    return 0;
}

bool inuse_devs_contain(const GArray *devs, dev_t dev)
{
    for (guint i = 0; i < devs->len; i++)
        if (g_array_index(devs, dev_t, i) == dev)
            return true;
    return false;
}

/* Adds the device of sysdir; false when it was already there (or has no dev file), so
 * that a walk stops at devices it has seen. */
static bool devs_add_sysdir(GArray *devs, const char *sysdir)
{
    dev_t dev;
    if (!sysdir_devno(sysdir, &dev) || inuse_devs_contain(devs, dev))
        return false;
    g_array_append_val(devs, dev);
    return true;
}

static void walk_up(GArray *devs, const char *sysdir)
{
    g_autoptr(GPtrArray) parts = sysdir_partitions(sysdir);
    g_autoptr(GPtrArray) holders = sysdir_links(sysdir, "holders");
    g_ptr_array_extend_and_steal(parts, g_steal_pointer(&holders));
    for (guint i = 0; i < parts->len; i++) {
        const char *up = g_ptr_array_index(parts, i);
        if (devs_add_sysdir(devs, up))
            walk_up(devs, up);
    }
}

static void walk_down(GArray *devs, const char *sysdir)
{
    g_autoptr(GPtrArray) slaves = sysdir_links(sysdir, "slaves");
    if (sysdir_is_partition(sysdir))
        g_ptr_array_add(slaves, g_path_get_dirname(sysdir));
    for (guint i = 0; i < slaves->len; i++) {
        const char *down = g_ptr_array_index(slaves, i);
        if (devs_add_sysdir(devs, down))
            walk_down(devs, down);
    }
}

GArray *inuse_overlapping_devs(dev_t dev, const char *sysfs_root, GError **err)
{
    g_autofree char *sysdir = dev_sysdir(sysfs_root ? sysfs_root : "/sys", dev, err);
    if (!sysdir)
        return NULL;
    GArray *devs = g_array_new(FALSE, FALSE, sizeof(dev_t));
    g_array_append_val(devs, dev);
    walk_up(devs, sysdir);
    walk_down(devs, sysdir);
    return devs;
}
