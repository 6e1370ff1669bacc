/* --mode preserve: writes on the target itself (a shut-off domain's disk, a device nothing
 * uses), every byte a writing cell may touch saved first to an undo journal in the state
 * directory (probes/journal.h, docs/journal.md) and written back after the cell.
 *
 * A writing cell writes only the first plan->span bytes (at most --journal-limit, default
 * 256 MiB), so that the journal stays bounded. Before it: the safety check again, then the
 * span read and appended to a new journal, a record at a time, each fdatasync'ed — only then
 * does the cell write. After it (also a cancelled or refused one): the journal replayed
 * onto the target (identity checked, written back, synced, read back and compared) and
 * removed. A replay that fails keeps the journal, ends the cell in error and stops every
 * later write; `virt-disktune recover` (and every later start) replays it. On an image file
 * the run also holds QEMU's own image-lock bytes, so that QEMU refuses to open the image
 * ("Failed to get write lock") and the domain cannot start under the run. */
#include "core/bench_mode.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include "core/lifecycle.h"
#include "core/safety.h"
#include "core/statedir.h"
#include "probes/journal.h"
#include "probes/pagecache.h"
#include "probes/units.h"

#define CHUNK (16u << 20)       /* bytes per journal record */
#define ROOM_MARGIN (1u << 20)  /* headers and records on top of the data */
/* QEMU's file-posix lock bytes: 100 + permission held, 200 + permission not shared. */
#define QEMU_LOCK_PERM_BASE 100
#define QEMU_LOCK_SHARED_BASE 200
#define QEMU_LOCK_BYTES 64

struct preserve {
    /* The domain's lifecycle watch (a start cancels the run at once) and what it saw. */
    struct lifecycle_watch *watch;
    struct bench_run *run;  /* while it runs; under lock */
    GMutex lock;
    char *started;          /* "domain web1 started during the run": under lock */
    char *dir;              /* the journals' directory */
    struct journal *j;      /* the journal of the cell running, open and locked; NULL between */
    char *failed;           /* a replay that failed: every later write is refused */
    int lock_fd;            /* holds QEMU's image-lock bytes of a file target; -1 */
    unsigned cells;         /* writing cells journaled so far */
};

static void preserve_free(gpointer p)
{
    struct preserve *st = p;

    lifecycle_watch_stop(st->watch);
    g_mutex_clear(&st->lock);
    g_free(st->started);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    /* Never removed here: a journal left open is replayed by recovery. */
    journal_close(st->j, false, NULL);
    g_free(st->dir);
    g_free(st->failed);
    g_free(st);
}

/* Set (F_WRLCK) or drop (F_UNLCK) our OFD locks on QEMU's lock bytes; false with errno. */
static bool image_lock(int fd, short type)
{
    struct flock fl = { .l_type = type, .l_whence = SEEK_SET, .l_len = QEMU_LOCK_BYTES };

    for (int base = QEMU_LOCK_PERM_BASE; base <= QEMU_LOCK_SHARED_BASE; base += 100) {
        fl.l_start = base;
        if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
            return false;
    }
    return true;
}

/* An image file: write-lock QEMU's lock bytes for the whole run (OFD locks, on an fd of our
 * own), so that a QEMU starting the domain fails to get its locks and refuses to open it. */
static bool hold_image_lock(struct preserve *st, const char *path, GError **err)
{
    struct stat sb;

    if (stat(path, &sb) < 0 || !S_ISREG(sb.st_mode))
        return true;
    st->lock_fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
    if (st->lock_fd < 0)
        return bench_mode_refuse(err, path, g_strerror(errno));
    if (!image_lock(st->lock_fd, F_WRLCK)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED,
                    "%s: in use: QEMU's image lock is held (%s)", path, g_strerror(errno));
        return false;
    }
    return true;
}

/* The safety check again. Our own image lock would look like a QEMU's to its lock probe, so
 * it is dropped for the check and taken again after: a QEMU that took its locks meanwhile
 * makes the second take fail, and the cell is refused. */
static bool recheck(const struct bench_plan *plan, const struct bench_cell *cell,
                    struct preserve *st, const atomic_bool *cancel, GError **why)
{
    bool ok;

    if (st->lock_fd < 0)
        return bench_mode_recheck(plan, cell, cancel, why);
    if (!image_lock(st->lock_fd, F_UNLCK)) {
        g_set_error(why, BENCH_ERROR, BENCH_ERROR_REFUSED, "%s: image lock: %s", plan->target,
                    g_strerror(errno));
        return false;
    }
    ok = bench_mode_recheck(plan, cell, cancel, why);
    if (!image_lock(st->lock_fd, F_WRLCK)) {
        g_clear_error(why);
        g_set_error(why, BENCH_ERROR, BENCH_ERROR_REFUSED,
                    "%s: in use: a QEMU took the image lock (the domain started?): %s",
                    plan->target, g_strerror(errno));
        return false;
    }
    return ok;
}

/* The journal's filesystem has room for a cell's span, checked before the first write. */
static bool room_check(const char *dir, uint64_t span, GError **err)
{
    struct statvfs vfs;
    uint64_t avail;
    char have[UNITS_BYTES_LEN], need[UNITS_BYTES_LEN];

    if (g_mkdir_with_parents(dir, 0700) < 0 || statvfs(dir, &vfs) < 0) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "journal directory %s: %s", dir,
                    g_strerror(errno));
        return false;
    }
    avail = (uint64_t)vfs.f_bavail * vfs.f_frsize;
    if (avail >= span + ROOM_MARGIN)
        return true;
    units_format_bytes(avail, have, sizeof have);
    units_format_bytes(span + ROOM_MARGIN, need, sizeof need);
    g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED,
                "journal directory %s has %s free, a writing cell needs %s (lower "
                "--journal-limit, or set VIRT_DISKTUNE_JOURNAL_DIR); nothing written", dir,
                have, need);
    return false;
}

static bool preserve_authorize(struct bench_plan *plan, const struct bench_authority *auth,
                               GError **err)
{
    g_autoptr(GError) why = NULL;
    struct preserve *st;
    uint64_t size;

    if (!bench_plan_writes(plan))
        return true;
    if (!safety_write_allowed(auth->session, plan->target, &why)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED, "%s",
                    why ? why->message : plan->target);
        return false;
    }
    size = pagecache_target_bytes(plan->target);
    if (!size)
        return bench_mode_refuse(err, plan->target, "cannot tell its size");
    /* The span every writing cell writes, saved before and restored after. */
    plan->span = MIN(plan->span ? plan->span : size, plan->journal_limit);
    plan->span = MIN(plan->span, size);
    st = g_new0(struct preserve, 1);
    g_mutex_init(&st->lock);
    st->lock_fd = -1;
    st->dir = statedir_journals_here();
    plan->mode_state = st;
    plan->mode_state_free = preserve_free;
    if (!st->dir) {
        g_set_error_literal(err, BENCH_ERROR, BENCH_ERROR_FAILED,
                            "no journal directory: set XDG_STATE_HOME or HOME to an absolute "
                            "path");
        return false;
    }
    if (!room_check(st->dir, plan->span, err) || !hold_image_lock(st, plan->target, err))
        return false;
    if (!bench_mode_record_identity(plan, -1))
        return bench_mode_refuse(err, plan->target, g_strerror(errno));
    plan->session = auth->session;
    plan->allow_write = true;
    return true;
}

/* Save the span to a new journal, a record at a time, each synced: only then may the cell
 * write. On failure the journal is removed (nothing was written) and the cell refused. */
static bool save_span(const struct bench_plan *plan, struct preserve *st, GError **why)
{
    g_autofree char *name = g_strdup_printf("preserve-%d-%u.journal", (int)getpid(), ++st->cells);
    g_autofree guchar *buf = g_malloc(CHUNK);
    struct journal_identity id;
    struct journal *j;
    int fd = open(plan->target, O_RDONLY | O_CLOEXEC);
    GError *e = NULL;
    bool ok = true;

    if (fd < 0 || !journal_identity_of(fd, plan->target, plan->domain_uuid, &id, &e) ||
        !(j = journal_create(st->dir, name, &id, &e))) {
        g_set_error(why, BENCH_ERROR, BENCH_ERROR_REFUSED, "preserve: %s; nothing written",
                    e ? e->message : g_strerror(errno));
        g_clear_error(&e);
        if (fd >= 0)
            close(fd);
        return false;
    }
    for (uint64_t off = 0, seq = 1; ok && off < plan->span; off += CHUNK, seq++) {
        uint32_t len = (uint32_t)MIN((uint64_t)CHUNK, plan->span - off);

        ok = pread(fd, buf, len, (off_t)off) == (ssize_t)len &&
             journal_add_region(j, seq, off, buf, len, &e);
        if (!ok && !e)
            g_set_error(&e, JOURNAL_ERROR, JOURNAL_ERROR_IO, "%s: reading %u bytes at %" G_GUINT64_FORMAT
                        ": %s", plan->target, len, off, g_strerror(errno ? errno : EIO));
    }
    close(fd);
    if (!ok) {
        g_set_error(why, BENCH_ERROR, BENCH_ERROR_REFUSED,
                    "preserve: the journal could not be written (%s); nothing written",
                    e->message);
        g_clear_error(&e);
        journal_close(j, true, NULL);
        return false;
    }
    st->j = j;   /* kept open: its lock keeps recovery in other processes off it */
    return true;
}

static bool preserve_before_cell(const struct bench_plan *plan, const struct bench_cell *cell,
                                 const atomic_bool *cancel, GError **why)
{
    struct preserve *st = plan->mode_state;

    if (st->failed) {
        g_set_error(why, BENCH_ERROR, BENCH_ERROR_REFUSED, "%s", st->failed);
        return false;
    }
    g_mutex_lock(&st->lock);
    if (st->started)
        g_set_error(why, BENCH_ERROR, BENCH_ERROR_REFUSED, "%s: no more writes", st->started);
    g_mutex_unlock(&st->lock);
    if (*why)
        return false;
    return recheck(plan, cell, st, cancel, why) && save_span(plan, st, why);
}

/* Replay the cell's journal onto the target and remove it; on failure keep it and stop. */
static bool preserve_after_cell(const struct bench_plan *plan, const struct bench_cell *cell,
                                GError **why)
{
    struct preserve *st = plan->mode_state;
    g_autoptr(GError) e = NULL;
    g_autofree char *path = NULL;

    if (!st || !st->j)
        return true;
    path = g_strdup(journal_path(st->j));
    journal_close(st->j, false, NULL);
    st->j = NULL;
    /* Gone: another virt-disktune's recovery took it in the instant between the close and
     * this replay, and replayed it (it removes a journal only once verified). */
    if (journal_recover(path, plan->target, NULL, &e) ||
        (g_error_matches(e, JOURNAL_ERROR, JOURNAL_ERROR_IO) && !g_file_test(path, G_FILE_TEST_EXISTS))) {
        g_autofree char *started = NULL;

        g_mutex_lock(&st->lock);
        started = g_strdup(st->started);
        g_mutex_unlock(&st->lock);
        if (!started)
            return true;
        /* Restored; the cell still says what stopped it. */
        g_set_error(why, BENCH_ERROR, BENCH_ERROR_REFUSED, "%s: writing stopped at once and "
                    "what the cell wrote was restored and verified", started);
        st->failed = g_strdup_printf("%s: no more writes", started);
        return false;
    }
    st->failed = g_strdup_printf("preserve: restoring %s failed: %s; the journal is kept at %s: "
                                 "run virt-disktune recover", plan->target, e->message, path);
    g_set_error(why, BENCH_ERROR, BENCH_ERROR_FAILED, "%s", st->failed);
    return false;
}

/* On libvirt's event thread: the domain started. Stop the run at once; the cell's restore
 * follows on the worker (after_cell). */
static void domain_started(gpointer data, const char *name)
{
    struct preserve *st = data;

    g_mutex_lock(&st->lock);
    if (!st->started)
        st->started = g_strdup_printf("domain %s started during the run", name ? name : "?");
    if (st->run)
        bench_run_cancel(st->run);
    g_mutex_unlock(&st->lock);
}

static void preserve_run_started(struct bench_plan *plan, struct bench_run *run)
{
    struct preserve *st = plan->mode_state;
    g_autoptr(GError) e = NULL;

    if (!st || !plan->allow_write)
        return;
    g_mutex_lock(&st->lock);
    st->run = run;
    g_mutex_unlock(&st->lock);
    /* Without a domain (a --target) or libvirt there is nothing to watch: the check before
     * each writing cell still runs. */
    if (plan->domain_uuid && plan->session)
        st->watch = lifecycle_watch_start(plan->session, plan->domain_uuid, domain_started, st,
                                          &e);
}

static void preserve_run_ended(struct bench_plan *plan)
{
    struct preserve *st = plan->mode_state;

    if (!st)
        return;
    lifecycle_watch_stop(st->watch);   /* no call after this returns */
    st->watch = NULL;
    g_mutex_lock(&st->lock);
    st->run = NULL;
    g_mutex_unlock(&st->lock);
}

static bool preserve_finish(struct bench_plan *plan, GError **err)
{
    struct preserve *st = plan->mode_state;

    if (st && st->lock_fd >= 0) {
        close(st->lock_fd);
        st->lock_fd = -1;
    }
    return true;
}

const struct bench_mode_ops bench_mode_preserve = {
    .mode = BENCH_MODE_PRESERVE,
    .name = "preserve",
    .authorize = preserve_authorize,
    .before_cell = preserve_before_cell,
    .after_cell = preserve_after_cell,
    .run_started = preserve_run_started,
    .run_ended = preserve_run_ended,
    .finish = preserve_finish,
};
