#include "core/recover.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core/safety.h"
#include "core/statedir.h"
#include "core/textesc.h"
#include "probes/journal.h"
#include "probes/lvm.h"

static void result_free(gpointer p)
{
    struct recover_result *r = p;

    g_free(r->journal);
    g_free(r->target);
    g_free(r->message);
    g_free(r);
}

static gint by_name(gconstpointer a, gconstpointer b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The journals of dir, sorted by name (their writers' pid and cell: oldest run first). */
static GPtrArray *journals_in(const char *dir)
{
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    GDir *d = g_dir_open(dir, 0, NULL);
    const char *n;

    while (d && (n = g_dir_read_name(d)))
        if (g_str_has_suffix(n, ".journal"))
            g_ptr_array_add(names, g_build_filename(dir, n, NULL));
    if (d)
        g_dir_close(d);
    g_ptr_array_sort(names, by_name);
    return names;
}

static void recover_one(struct session *s, struct recover_result *r)
{
    struct journal_scan scan;
    g_autoptr(GError) err = NULL;

    if (!journal_read(r->journal, &scan, &err)) {
        r->state = RECOVER_FAILED;
        r->message = g_strdup(err->message);
        journal_scan_clear(&scan);
        return;
    }
    r->target = g_strdup(scan.id.path);
    journal_scan_clear(&scan);
    /* Writing back is writing: never to a target in use (a domain started on it since). */
    if (!safety_write_allowed(s, r->target, &err)) {
        r->state = RECOVER_REFUSED;
        r->message = g_strdup_printf("%s: not replayed: %s", r->journal,
                                     err ? err->message : "the safety check refused");
        return;
    }
    if (journal_recover(r->journal, r->target, &r->restored, &err)) {
        r->state = RECOVER_DONE;
        r->message = g_strdup_printf("%s: restored from the journal %s (%u region%s written "
                                     "back and verified)", r->target, r->journal, r->restored,
                                     r->restored == 1 ? "" : "s");
        return;
    }
    r->state = g_error_matches(err, JOURNAL_ERROR, JOURNAL_ERROR_BUSY) ? RECOVER_BUSY
             : g_error_matches(err, JOURNAL_ERROR, JOURNAL_ERROR_IDENTITY) ? RECOVER_REFUSED
             : RECOVER_FAILED;
    r->message = g_strdup(err->message);
}

GPtrArray *recover_all(struct session *s, const char *dir)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(result_free);
    g_autofree char *here = dir ? NULL : statedir_journals_here();
    g_autoptr(GPtrArray) names = NULL;

    dir = dir ? dir : here;
    if (!dir || !g_file_test(dir, G_FILE_TEST_IS_DIR))
        return out;
    names = journals_in(dir);
    for (guint i = 0; i < names->len; i++) {
        struct recover_result *r = g_new0(struct recover_result, 1);

        r->journal = g_strdup(g_ptr_array_index(names, i));
        recover_one(s, r);
        g_ptr_array_add(out, r);
    }
    return out;
}

/* ---- scratch files a killed run left (core/bench_mode_scratch.c's markers) ---------------- */

/* The process that wrote the marker may still run: any process with its pid counts (a
 * reused pid only keeps a stale marker a while longer; a live run's file is never taken). */
static bool run_alive(int pid)
{
    return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

static char *scratch_one(const char *marker)
{
    g_autofree char *text = NULL;
    g_auto(GStrv) f = NULL;
    struct stat st;
    struct statx sx;
    guint64 dev, ino, birth;
    int pid;

    if (!g_file_get_contents(marker, &text, NULL, NULL))
        return NULL;
    f = g_strsplit(text, "\n", 6);
    if (g_strv_length(f) < 5) {
        (void)unlink(marker);
        return NULL;
    }
    pid = atoi(f[0]);
    if (run_alive(pid))
        return NULL;
    dev = g_ascii_strtoull(f[2], NULL, 10);
    ino = g_ascii_strtoull(f[3], NULL, 10);
    birth = g_ascii_strtoull(f[4], NULL, 10);
    (void)unlink(marker);
    if (lstat(f[1], &st) < 0)
        return NULL;   /* gone already */
    if (!ino || !birth)
        return g_strdup_printf("%s may be a scratch file that a killed run (pid %d) left; its "
                               "identity was not recorded, so it is not removed", f[1], pid);
    /* The inode number alone is not the file: a freed one is given to the next file made. */
    if (statx(AT_FDCWD, f[1], AT_SYMLINK_NOFOLLOW, STATX_BTIME, &sx) < 0 ||
        !(sx.stx_mask & STATX_BTIME) ||
        (guint64)sx.stx_btime.tv_sec * 1000000000u + sx.stx_btime.tv_nsec != birth ||
        !S_ISREG(st.st_mode) || st.st_dev != dev || st.st_ino != ino)
        return g_strdup_printf("%s: not the scratch file a killed run (pid %d) made (another "
                               "file is there now): left alone", f[1], pid);
    if (unlink(f[1]) < 0)
        return g_strdup_printf("%s: a killed run's scratch file: cannot remove it: %s", f[1],
                               g_strerror(errno));
    return g_strdup_printf("removed the scratch file %s that a killed run (pid %d) left", f[1],
                           pid);
}

/* A scratch LV a killed run left (core/bench_mode_scratch.c: "pid\nvg\nname\nuuid\n"): removed
 * only when the LV under that name still has the uuid the run recorded. */
static char *scratch_lv_one(const char *marker)
{
    g_autofree char *text = NULL;
    g_autoptr(GError) why = NULL;
    g_auto(GStrv) f = NULL;
    int pid;

    if (!g_file_get_contents(marker, &text, NULL, NULL))
        return NULL;
    f = g_strsplit(text, "\n", 5);
    if (g_strv_length(f) < 4 || !*f[1] || !*f[2]) {
        (void)unlink(marker);
        return NULL;
    }
    pid = atoi(f[0]);
    if (run_alive(pid))
        return NULL;
    {
        /* Only the name such a run gives its LV: a record that names another is not ours. */
        g_autofree char *expected = g_strdup_printf("virt-disktune-scratch-%d", pid);

        if (strcmp(f[2], expected) != 0) {
            (void)unlink(marker);
            return g_strdup_printf("%s: a scratch record naming %s/%s, which is not the name "
                                   "a run of pid %d gives its LV: left alone", marker, f[1],
                                   f[2], pid);
        }
    }
    if (!*f[3]) {
        g_autofree char *full = g_strdup_printf("%s/%s", f[1], f[2]);
        struct lvm_lv lv;

        (void)unlink(marker);
        if (!lvm_lookup(full, &lv, NULL))
            return NULL;   /* never made, or gone */
        lvm_lv_clear(&lv);
        return g_strdup_printf("%s/%s may be a scratch LV that a killed run (pid %d) left; its "
                               "uuid was not recorded, so it is not removed (lvremove %s/%s)",
                               f[1], f[2], pid, f[1], f[2]);
    }
    if (!lvm_remove(f[1], f[2], f[3], &why)) {
        /* Not ours: said once, the record dropped; a failed lvremove: tried again later. */
        if (g_error_matches(why, LVM_ERROR, LVM_ERROR_NOT_OURS))
            (void)unlink(marker);
        return g_strdup_printf("a killed run's (pid %d) scratch LV: %s", pid, why->message);
    }
    (void)unlink(marker);
    return g_strdup_printf("removed the scratch LV %s/%s that a killed run (pid %d) left", f[1],
                           f[2], pid);
}

unsigned recover_scratch(const char *dir, void (*say)(const char *line))
{
    g_autofree char *here = dir ? NULL : statedir_journals_here();
    GDir *d;
    const char *n;
    unsigned count = 0;

    dir = dir ? dir : here;
    d = dir ? g_dir_open(dir, 0, NULL) : NULL;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *path = NULL, *line = NULL, *esc = NULL;

        if (!g_str_has_suffix(n, ".marker") ||
            !(g_str_has_prefix(n, "scratch-") || g_str_has_prefix(n, "scratchlv-")))
            continue;
        path = g_build_filename(dir, n, NULL);
        line = g_str_has_prefix(n, "scratchlv-") ? scratch_lv_one(path) : scratch_one(path);
        if (!line)
            continue;
        count++;
        esc = textesc_escape(line);
        if (say) {
            g_autofree char *full = g_strdup_printf("scratch: %s", esc);

            say(full);
        }
    }
    if (d)
        g_dir_close(d);
    return count;
}

unsigned recover_at_start(struct session *s, void (*say)(const char *line))
{
    g_autoptr(GPtrArray) results = recover_all(s, NULL);
    unsigned waiting = 0;

    recover_scratch(NULL, say);
    for (guint i = 0; i < results->len; i++) {
        const struct recover_result *r = g_ptr_array_index(results, i);
        g_autofree char *line = NULL, *esc = NULL;

        if (r->state == RECOVER_BUSY)
            continue;
        waiting += r->state != RECOVER_DONE;
        esc = textesc_escape(r->message);
        line = r->state == RECOVER_DONE
            ? g_strdup_printf("preserve: %s", esc)
            : g_strdup_printf("warning: a preserve journal waits: %s (virt-disktune recover)", esc);
        if (say)
            say(line);
    }
    return waiting;
}
