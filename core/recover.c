#include "core/recover.h"

#include <string.h>
#include "core/safety.h"
#include "core/statedir.h"
#include "core/textesc.h"
#include "probes/journal.h"

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

unsigned recover_at_start(struct session *s, void (*say)(const char *line))
{
    g_autoptr(GPtrArray) results = recover_all(s, NULL);
    unsigned waiting = 0;

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
