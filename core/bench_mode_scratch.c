/* --mode scratch: a new file the tool creates (O_CREAT|O_EXCL|O_NOFOLLOW, 0600), fills with
 * incompressible data (never sparse: holes measure nothing), benchmarks and removes. No
 * domain can use a file that did not exist; another process that opens it meanwhile is
 * seen by the safety check before every writing cell. For an LV-backed disk the new object
 * is an LV in the same volume group, lvcreate'd at the size the user named and lvremove'd
 * at the end (probes/lvm.h), claimed O_EXCL while it is filled. */
#include "core/bench_mode.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/statedir.h"
#include "probes/durable.h"
#include "probes/lvm.h"

static bool scratch_authorize(struct bench_plan *plan, const struct bench_authority *auth,
                              GError **err)
{
    struct stat st;

    if (lstat(plan->target, &st) == 0)
        return bench_mode_refuse(err, plan->target,
                                 "exists; --mode scratch creates a new file and never reuses one");
    if (errno != ENOENT) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: %s", plan->target,
                    g_strerror(errno));
        return false;
    }
    plan->session = auth->session;
    plan->allow_write = true;
    return true;
}

/* xorshift64: incompressible bytes, so neither holes nor a compressing or deduplicating
 * layer under the file make its reads cheaper than a guest's. */
static void fill_random(uint64_t *buf, size_t words, uint64_t *state)
{
    uint64_t x = *state;

    for (size_t i = 0; i < words; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = x;
    }
    *state = x;
}

static int write_all(int fd, const void *buf, size_t len, uint64_t off)
{
    const char *p = buf;

    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0)
            return -EIO;
        p += n;
        len -= (size_t)n;
        off += (uint64_t)n;
    }
    return 0;
}

static int fill_file(int fd, uint64_t size, uint64_t seed)
{
    const size_t chunk = 1u << 20;
    g_autofree uint64_t *buf = g_malloc(chunk);
    uint64_t state = seed | 1;

    for (uint64_t off = 0; off < size; off += chunk) {
        size_t len = (size_t)MIN((uint64_t)chunk, size - off);
        int rc;

        fill_random(buf, chunk / sizeof(uint64_t), &state);
        rc = write_all(fd, buf, len, off);
        if (rc < 0)
            return rc;
    }
    return fsync(fd) < 0 ? -errno : 0;
}

/* ---- the record of a scratch file, so that a killed run's is removed at the next start ---- */

/* In the state directory (beside the journals): "scratch-<pid>-<n>.marker" holding
 * "pid\npath\ndev\nino\nbirth\n" (0 before the file exists; birth, statx's btime in ns, 0
 * where the filesystem keeps none: a freed inode number is reused, the birth time is not). Written crash-safe before
 * the file is created and again once it is; removed with the file. Best effort: a marker
 * that cannot be written only means a killed run's file is not found later. */
static char *marker_name(const struct bench_plan *plan, bool with_identity)
{
    return with_identity
        ? g_strdup_printf("scratch-%d-%" G_GUINT64_FORMAT ".marker", (int)getpid(),
                          (guint64)plan->target_ino)
        : g_strdup_printf("scratch-%d-new.marker", (int)getpid());
}

/* A record (file or LV) in the state directory, written crash-safe; best effort. */
static void record_write(const char *name, const char *text)
{
    g_autofree char *dir = statedir_journals_here();

    if (dir)
        (void)durable_write_new(dir, name, text, strlen(text), NULL);
}

static void record_remove(const char *name)
{
    g_autofree char *dir = statedir_journals_here();
    g_autofree char *path = dir ? g_build_filename(dir, name, NULL) : NULL;

    if (path)
        (void)unlink(path);
}

static void marker_write(const struct bench_plan *plan, bool with_identity, guint64 birth)
{
    g_autofree char *name = marker_name(plan, with_identity);
    g_autofree char *text = g_strdup_printf(
        "%d\n%s\n%" G_GUINT64_FORMAT "\n%" G_GUINT64_FORMAT "\n%" G_GUINT64_FORMAT "\n",
        (int)getpid(), plan->target, with_identity ? (guint64)plan->target_dev : 0,
        with_identity ? (guint64)plan->target_ino : 0, birth);

    record_write(name, text);
}

static void marker_remove(const struct bench_plan *plan, bool with_identity)
{
    g_autofree char *name = marker_name(plan, with_identity);

    record_remove(name);
}

/* ---- a scratch LV (its marker: "scratchlv-<pid>-<vg>[-new].marker": "pid\nvg\nname\nuuid\n";
 * the VG in the name, so that a console's second scratch LV in another VG, while the first's
 * record stays after a failed removal, has a record of its own) ---- */

char *bench_scratch_lv_name(void)
{
    return g_strdup_printf("virt-disktune-scratch-%d", (int)getpid());
}

void bench_plan_set_scratch_lv(struct bench_plan *plan, const char *vg, const char *name,
                               uint64_t size)
{
    struct bench_scratch_lv *lv = g_new0(struct bench_scratch_lv, 1);

    lv->vg = g_strdup(vg);
    lv->name = g_strdup(name);
    lv->size = size;
    plan->scratch_lv = lv;
}

static char *lv_marker_name(const struct bench_scratch_lv *lv, bool with_uuid)
{
    return g_strdup_printf("scratchlv-%d-%s%s.marker", (int)getpid(), lv->vg,
                           with_uuid ? "" : "-new");
}

static void lv_marker_write(const struct bench_scratch_lv *lv)
{
    g_autofree char *name = lv_marker_name(lv, lv->uuid != NULL);
    g_autofree char *text = g_strdup_printf("%d\n%s\n%s\n%s\n", (int)getpid(), lv->vg,
                                            lv->name, lv->uuid ? lv->uuid : "");

    record_write(name, text);
}

static void lv_marker_remove(const struct bench_scratch_lv *lv, bool with_uuid)
{
    g_autofree char *name = lv_marker_name(lv, with_uuid);

    record_remove(name);
}

/* Claims the new LV (O_EXCL: nobody else has it open), records it as the approved object
 * and fills the span. */
static int lv_fill(struct bench_plan *plan, uint64_t size)
{
    struct stat st;
    int fd = open(plan->target, O_WRONLY | O_EXCL | O_CLOEXEC);
    int rc;

    if (fd < 0)
        return -errno;
    if (fstat(fd, &st) < 0)
        rc = -errno;
    else if (!S_ISBLK(st.st_mode))
        rc = -ENOTBLK;   /* LVM's path is its device node, never a file */
    else
        rc = bench_mode_record_identity(plan, fd) ? 0 : -errno;
    if (rc == 0)
        rc = fill_file(fd, size, plan->seed ^ 0x9e3779b97f4a7c15ull);
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    return rc;
}

static bool scratch_lv_create(struct bench_plan *plan, GError **err)
{
    struct bench_scratch_lv *lv = plan->scratch_lv;
    uint64_t size = plan->span ? MIN(plan->span, lv->size) : lv->size;
    g_autoptr(GError) why = NULL;
    struct lvm_lv made;
    int rc;

    lv_marker_write(lv);
    if (!lvm_create(lv->vg, lv->name, lv->size, &made, &why)) {
        /* Made but not found: the record stays, so that recover names it. */
        if (!g_error_matches(why, LVM_ERROR, LVM_ERROR_LOST))
            lv_marker_remove(lv, false);
        g_propagate_error(err, g_steal_pointer(&why));
        return false;
    }
    lv->uuid = g_strdup(made.uuid);
    lv_marker_write(lv);
    lv_marker_remove(lv, false);
    g_free(plan->target);
    plan->target = g_strdup(made.path);
    lvm_lv_clear(&made);
    rc = lv_fill(plan, size);
    if (rc < 0) {
        bool removed = lvm_remove(lv->vg, lv->name, lv->uuid, &why);

        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: writing the scratch LV: %s%s%s",
                    plan->target, g_strerror(-rc), removed ? "" : "; it stays: ",
                    removed ? "" : why->message);
        if (removed)
            lv_marker_remove(lv, true);
        return false;
    }
    plan->span = size;
    plan->scratch = true;
    return true;
}

static bool scratch_lv_remove(struct bench_plan *plan, GError **err)
{
    struct bench_scratch_lv *lv = plan->scratch_lv;
    g_autoptr(GError) why = NULL;

    if (!lvm_remove(lv->vg, lv->name, lv->uuid, &why)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s (its record stays: "
                    "virt-disktune recover tries again)", why->message);
        return false;
    }
    lv_marker_remove(lv, true);
    plan->scratch = false;
    return true;
}

/* ---- create and remove ---- */

bool bench_scratch_create(struct bench_plan *plan, GError **err)
{
    uint64_t size = plan->span ? plan->span : BENCH_DEFAULT_SCRATCH_SPAN;
    int fd;
    int rc;

    if (plan->scratch_lv)
        return scratch_lv_create(plan, err);

    marker_write(plan, false, 0);
    fd = open(plan->target, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int e = errno;

        marker_remove(plan, false);
        g_set_error(err, BENCH_ERROR,
                    e == EEXIST ? BENCH_ERROR_REFUSED : BENCH_ERROR_FAILED,
                    "%s: cannot create scratch file: %s", plan->target, g_strerror(e));
        return false;
    }
    /* The identity first, so that the marker names this very file. */
    rc = bench_mode_record_identity(plan, fd) ? 0 : -errno;
    if (rc == 0) {
        struct statx sx;
        guint64 birth = 0;

        if (statx(fd, "", AT_EMPTY_PATH, STATX_BTIME, &sx) == 0 && (sx.stx_mask & STATX_BTIME))
            birth = (guint64)sx.stx_btime.tv_sec * 1000000000u + sx.stx_btime.tv_nsec;
        marker_write(plan, true, birth);
        marker_remove(plan, false);
        rc = fill_file(fd, size, plan->seed ^ 0x9e3779b97f4a7c15ull);
    }
    if (close(fd) < 0 && rc == 0)
        rc = -errno;
    if (rc < 0) {
        (void)unlink(plan->target);
        marker_remove(plan, true);
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: writing the scratch file: %s",
                    plan->target, g_strerror(-rc));
        return false;
    }
    plan->span = size;
    plan->scratch = true;
    return true;
}

bool bench_scratch_remove(struct bench_plan *plan, GError **err)
{
    if (!plan->scratch)
        return true;
    if (plan->scratch_lv)
        return scratch_lv_remove(plan, err);
    if (unlink(plan->target) < 0 && errno != ENOENT) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s: cannot remove scratch file: %s",
                    plan->target, g_strerror(errno));
        return false;
    }
    marker_remove(plan, true);
    plan->scratch = false;
    return true;
}

static bool scratch_prepare(struct bench_plan *plan, GError **err)
{
    return plan->scratch || bench_scratch_create(plan, err);
}

const struct bench_mode_ops bench_mode_scratch = {
    .mode = BENCH_MODE_SCRATCH,
    .name = "scratch",
    .authorize = scratch_authorize,
    .prepare = scratch_prepare,
    .before_cell = bench_mode_recheck,
    .finish = bench_scratch_remove,
};
