#include "tui/view_apply.h"

#include <string.h>
#include "core/textesc.h"
#include "core/undo_store.h"

static const char spinner[] = "|/-\\";

static void line_free(gpointer p)
{
    struct view_line *l = p;

    g_free(l->text);
    g_free(l);
}

static void add(struct view_apply *v, enum view_line_kind kind, const char *fmt, ...)
    G_GNUC_PRINTF(3, 4);
static void add(struct view_apply *v, enum view_line_kind kind, const char *fmt, ...)
{
    struct view_line *l = g_new0(struct view_line, 1);
    va_list ap;

    va_start(ap, fmt);
    l->text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    l->kind = kind;
    g_ptr_array_add(v->lines, l);
}

/* Raw text (from core, names from XML) escaped on the way in. */
static void add_raw(struct view_apply *v, enum view_line_kind kind, const char *prefix,
                    const char *raw)
{
    g_autofree char *esc = textesc_escape(raw ? raw : "");

    add(v, kind, "%s%s", prefix, esc);
}

static struct view_apply *view_new(void)
{
    struct view_apply *v = g_new0(struct view_apply, 1);

    v->lines = g_ptr_array_new_with_free_func(line_free);
    return v;
}

struct view_apply *view_lines_new(char *title, char *hint)
{
    struct view_apply *v = view_new();

    v->title = title;
    v->hint = hint;
    return v;
}

void view_lines_add_raw(struct view_apply *v, enum view_line_kind kind, const char *raw)
{
    add_raw(v, kind, "", raw);
}

void view_apply_free(struct view_apply *v)
{
    if (!v)
        return;
    g_free(v->title);
    g_ptr_array_unref(v->lines);
    g_free(v->hint);
    g_free(v);
}

static void add_plan(struct view_apply *v, const struct view_apply_input *in)
{
    const struct apply_plan *p = in->plan;

    if (p->undo)
        add_raw(v, VIEW_LINE_DIM, "restores the undo record ", p->record);
    add(v, VIEW_LINE_HEAD, "%s", p->changes->len ? "Changes:" : "No change:");
    if (p->changes->len == 0)
        add(v, VIEW_LINE_NORMAL, "  the domain already has what was asked");
    for (guint i = 0; i < p->changes->len; i++) {
        const struct apply_change *c = g_ptr_array_index(p->changes, i);
        g_autofree char *text = textesc_escape(c->text);

        add(v, VIEW_LINE_NORMAL, "  %-52s %s", text, apply_when_name(c->when));
    }
    if (in->choice)
        add(v, VIEW_LINE_DIM, "  %s", in->choice);
}

static void add_diff(struct view_apply *v, const char *diff)
{
    g_auto(GStrv) lines = NULL;

    if (!diff || !*diff)
        return;
    add(v, VIEW_LINE_HEAD, "The inactive XML:");
    lines = g_strsplit(diff, "\n", -1);
    for (char **l = lines; *l; l++)
        if (**l)
            add_raw(v, (*l)[0] == '+' || (*l)[0] == '-' ? VIEW_LINE_NORMAL : VIEW_LINE_DIM,
                    "  ", *l);
}

static void add_lines(struct view_apply *v, const char *head, const GPtrArray *lines)
{
    if (!lines || lines->len == 0)
        return;
    if (head)
        add(v, VIEW_LINE_HEAD, "%s", head);
    for (guint i = 0; i < lines->len; i++) {
        const char *l = g_ptr_array_index(lines, i);
        enum view_line_kind kind = g_str_has_prefix(l, "ok: ") ? VIEW_LINE_OK
                                   : g_str_has_prefix(l, "MISMATCH: ") ? VIEW_LINE_BAD
                                   : head ? VIEW_LINE_NORMAL : VIEW_LINE_DIM;

        add_raw(v, kind, "  ", l);
    }
}

static void add_report(struct view_apply *v, const struct apply_report *r)
{
    if (!r)
        return;
    add_lines(v, "Done:", r->done);
    add_lines(v, "Verified:", r->checks);
    add_lines(v, NULL, r->notes);
}

struct view_apply *view_apply_build(const struct view_apply_input *in)
{
    struct view_apply *v = view_new();
    g_autofree char *name = textesc_escape(in->domain ? in->domain : "");
    char spin = spinner[in->spin % (sizeof(spinner) - 1)];

    v->title = g_strdup_printf(" %s %s ", in->undo ? "Undo the last apply on" : "Apply to",
                               name);
    switch (in->phase) {
    case VIEW_APPLY_PLANNING:
        add(v, VIEW_LINE_NORMAL, "making the plan %c", spin);
        v->hint = g_strdup("wait for the plan");
        break;
    case VIEW_APPLY_PLANNED:
        add_plan(v, in);
        add_diff(v, in->diff);
        v->hint = g_strdup(in->plan->changes->len
                               ? (in->choice ? "Enter apply  i iothread  j/k scroll  Esc close, nothing changed"
                                             : "Enter apply  j/k scroll  Esc close, nothing changed")
                               : in->undo ? "Enter mark the record undone  Esc close"
                               : (in->choice ? "i iothread  Esc close" : "Esc close"));
        break;
    case VIEW_APPLY_REFUSED:
        add_raw(v, VIEW_LINE_BAD, "", in->error);
        add(v, VIEW_LINE_DIM, "nothing written");
        v->hint = g_strdup(in->choice ? "i iothread  Esc close" : "Esc close");
        break;
    case VIEW_APPLY_APPLYING:
        add_plan(v, in);
        add(v, VIEW_LINE_HEAD, "applying %c  (the console stays live)", spin);
        v->hint = g_strdup("wait for the verification");
        break;
    case VIEW_APPLY_DONE:
        add_report(v, in->report);
        v->hint = g_strdup("j/k scroll  Esc close");
        break;
    case VIEW_APPLY_FAILED:
        add_raw(v, VIEW_LINE_BAD, "", in->error);
        add_report(v, in->report);
        v->hint = g_strdup("j/k scroll  Esc close");
        break;
    }
    return v;
}

struct view_apply *view_history_build(const char *domain, const GPtrArray *records,
                                      const char *dir)
{
    struct view_apply *v = view_new();
    g_autofree char *name = textesc_escape(domain ? domain : "");
    guint n = records ? records->len : 0;

    v->title = g_strdup_printf(" Apply history of %s ", name);
    add_raw(v, VIEW_LINE_DIM, "records in ", dir ? dir : "(no state directory)");
    if (n == 0)
        add(v, VIEW_LINE_NORMAL, "no apply on record");
    for (guint i = n; i-- > 0;) {
        const struct undo_record *r = g_ptr_array_index(records, i);
        g_autoptr(GString) what = g_string_new(NULL);
        g_autofree char *esc = NULL;

        for (guint k = 0; k < r->changes->len; k++)
            g_string_append_printf(what, "%s%s", k ? "; " : "",
                                   (const char *)g_ptr_array_index(r->changes, k));
        esc = textesc_escape(what->len ? what->str : "(no change recorded)");
        add(v, r->undone ? VIEW_LINE_DIM : VIEW_LINE_NORMAL, "%.19s  %-7s  %s",
            r->time ? r->time : "?", r->undone ? "undone" : "applied", esc);
    }
    v->hint = g_strdup("j/k scroll  u undo the latest  Esc close");
    return v;
}
