#include "tui/console_recommend.h"

#include "core/textesc.h"
#include "tui/cli.h"
#include "tui/console.h"
#include "tui/console_bench.h"
#include "tui/dialog.h"
#include "tui/view_apply.h"

struct recommendation *console_recommend_for(const struct console_results *r,
                                             const struct vm_domain *dom,
                                             const struct vm_disk *disk, GError **err)
{
    const struct bench_plan *plan = r ? console_results_plan(r) : NULL;
    struct recommend_input in = { 0 };

    if (!plan || !dom || !disk) {
        g_set_error_literal(err, RECOMMEND_ERROR, RECOMMEND_ERROR_NO_DATA, "no results");
        return NULL;
    }
    in.plan = plan;
    in.qemu_version = plan->qemu_version;
    recommend_input_from_disk(&in, dom, disk);
    return recommend_disk(&in, err);
}

char *console_recommend_line(const struct console_results *r, const struct vm_domain *dom,
                             const struct vm_disk *disk)
{
    g_autoptr(GError) err = NULL;
    g_autoptr(Recommendation) rec = console_recommend_for(r, dom, disk, &err);
    g_autofree char *why = NULL;

    if (!rec) {
        why = textesc_escape(err->message);
        return g_strdup_printf("no recommendation: %s", why);
    }
    return g_strdup_printf("recommended: %s/%s (score %.2f%s)  R: why",
                           cache_mode_info(rec->cache)->name, io_mode_info(rec->io)->name,
                           rec->score, rec->warnings->len ? ", with warnings" : "");
}

static struct console_results *selected_results(const struct console *c,
                                                const struct vm_domain **dom,
                                                const struct vm_disk **disk)
{
    *dom = console_selected_domain(c);
    *disk = console_selected_disk(c);
    return console_bench_results(c->bench, *dom ? (*dom)->name : NULL,
                                 *disk ? (*disk)->target : NULL);
}

void console_recommend_open(struct console *c)
{
    const struct vm_domain *dom;
    const struct vm_disk *disk;
    struct console_results *r = selected_results(c, &dom, &disk);
    g_autoptr(Recommendation) rec = console_recommend_for(r, dom, disk, NULL);

    if (rec) {
        r->sel_cache = (int)rec->cache;
        r->sel_io = (int)rec->io;
        r->detail = false;
    }
    c->bench->recommend_scroll = 0;
    console_dialog_push(c, &dialog_recommend);
}

struct view_apply *console_recommend_view(const struct console *c)
{
    const struct vm_domain *dom;
    const struct vm_disk *disk;
    const struct console_results *r = selected_results(c, &dom, &disk);
    g_autoptr(GError) err = NULL;
    g_autoptr(Recommendation) rec = console_recommend_for(r, dom, disk, &err);
    g_autofree char *name = NULL, *target = NULL;
    struct view_apply *v;

    if (!r || !dom || !disk)
        return NULL;
    name = textesc_escape(dom->name);
    target = textesc_escape(disk->target);
    v = view_lines_new(g_strdup_printf("Recommendation %s %s", name, target),
                       g_strdup("j/k scroll  Esc close  (the grid's cursor is on the cell: "
                                "a applies it)"));
    if (!rec) {
        view_lines_add_raw(v, VIEW_LINE_BAD, err->message);
        return v;
    }
    {
        g_autofree char *head = g_strdup_printf("cache=%s io=%s (score %.2f)",
                                                cache_mode_info(rec->cache)->name,
                                                io_mode_info(rec->io)->name, rec->score);
        g_autofree char *args = recommendation_apply_args(rec);
        g_autofree char *qn = cli_shell_word(dom->name), *qt = cli_shell_word(disk->target);
        g_autofree char *apply = g_strdup_printf("virt-disktune apply --domain %s --disk %s %s "
                                                 "(iothreads: p, the pin editor)", qn, qt, args);

        view_lines_add_raw(v, VIEW_LINE_HEAD, head);
        for (guint i = 0; i < rec->reasons->len; i++)
            view_lines_add_raw(v, VIEW_LINE_NORMAL, g_ptr_array_index(rec->reasons, i));
        for (guint i = 0; i < rec->warnings->len; i++) {
            g_autofree char *w = g_strdup_printf("warning: %s",
                                                 (const char *)g_ptr_array_index(rec->warnings, i));

            view_lines_add_raw(v, VIEW_LINE_BAD, w);
        }
        view_lines_add_raw(v, VIEW_LINE_DIM, apply);
    }
    return v;
}

