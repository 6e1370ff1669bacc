#include "core/textdiff.h"

#include <string.h>
#include <glib.h>

/* One edit script entry: ' ' kept, '-' only in a, '+' only in b; indexes into the lines. */
struct op {
    char kind;
    guint ai, bi;
};

static char **split_lines(const char *text, guint *n)
{
    char **lines = g_strsplit(text ? text : "", "\n", -1);
    guint len = g_strv_length(lines);

    /* A final newline ends the last line; it does not start an empty one. */
    if (len > 0 && lines[len - 1][0] == '\0')
        len--;
    *n = len;
    return lines;
}

/* The script for a[lo_a..hi_a) against b[lo_b..hi_b) by LCS, appended to ops. */
static void lcs_script(char **a, guint lo_a, guint hi_a, char **b, guint lo_b, guint hi_b,
                       GArray *ops)
{
    guint n = hi_a - lo_a, m = hi_b - lo_b, i = 0, j = 0;
    g_autofree guint *t = g_new0(guint, ((gsize)n + 1) * ((gsize)m + 1));
#define T(i, j) t[(gsize)(i) * (m + 1) + (j)]

    for (guint x = n; x-- > 0;)
        for (guint y = m; y-- > 0;)
            T(x, y) = strcmp(a[lo_a + x], b[lo_b + y]) == 0 ? T(x + 1, y + 1) + 1
                                                            : MAX(T(x + 1, y), T(x, y + 1));
    while (i < n || j < m) {
        struct op o;

        if (i < n && j < m && strcmp(a[lo_a + i], b[lo_b + j]) == 0) {
            o = (struct op){ ' ', lo_a + i++, lo_b + j++ };
        } else if (i < n && (j == m || T(i + 1, j) >= T(i, j + 1))) {
            o = (struct op){ '-', lo_a + i++, lo_b + j };
        } else {
            o = (struct op){ '+', lo_a + i, lo_b + j++ };
        }
        g_array_append_val(ops, o);
    }
#undef T
}

/* diff -u's range: "start,count", "start" alone for one line, the line before for none. */
static void append_range(GString *out, guint first, guint count)
{
    if (count == 1)
        g_string_append_printf(out, "%u", first + 1);
    else
        g_string_append_printf(out, "%u,%u", first + (count ? 1 : 0), count);
}

static void emit_hunk(GString *out, char **a, char **b, const struct op *ops, guint from,
                      guint to)
{
    guint na = 0, nb = 0;

    for (guint k = from; k < to; k++) {
        na += ops[k].kind != '+';
        nb += ops[k].kind != '-';
    }
    g_string_append(out, "@@ -");
    append_range(out, ops[from].ai, na);
    g_string_append(out, " +");
    append_range(out, ops[from].bi, nb);
    g_string_append(out, " @@\n");
    for (guint k = from; k < to; k++)
        g_string_append_printf(out, "%c%s\n", ops[k].kind,
                               ops[k].kind == '+' ? b[ops[k].bi] : a[ops[k].ai]);
}

char *textdiff_unified(const char *a_text, const char *b_text, const char *a_label,
                       const char *b_label, unsigned context)
{
    guint na = 0, nb = 0, pre = 0, post = 0;
    g_auto(GStrv) a = split_lines(a_text, &na);
    g_auto(GStrv) b = split_lines(b_text, &nb);
    g_autoptr(GArray) ops = g_array_new(FALSE, FALSE, sizeof(struct op));
    GString *out = g_string_new(NULL);
    const struct op *o;

    while (pre < na && pre < nb && strcmp(a[pre], b[pre]) == 0)
        pre++;
    while (post < na - pre && post < nb - pre && strcmp(a[na - 1 - post], b[nb - 1 - post]) == 0)
        post++;
    if (pre == na && pre == nb)
        return g_string_free(out, FALSE);
    for (guint k = 0; k < pre; k++)
        g_array_append_val(ops, ((struct op){ ' ', k, k }));
    lcs_script(a, pre, na - post, b, pre, nb - post, ops);
    for (guint k = 0; k < post; k++)
        g_array_append_val(ops, ((struct op){ ' ', na - post + k, nb - post + k }));

    g_string_append_printf(out, "--- %s\n+++ %s\n", a_label, b_label);
    o = (const struct op *)ops->data;
    for (guint k = 0; k < ops->len;) {
        guint start, end, last_change;

        while (k < ops->len && o[k].kind == ' ')
            k++;
        if (k == ops->len)
            break;
        start = k > context ? k - context : 0;
        last_change = k;
        /* Extend while the next change is within two contexts of the last one. */
        for (end = k; end < ops->len; end++) {
            if (o[end].kind != ' ')
                last_change = end;
            else if (end - last_change > 2 * context)
                break;
        }
        end = MIN(last_change + 1 + context, ops->len);
        emit_hunk(out, a, b, o, start, end);
        k = end;
    }
    return g_string_free(out, FALSE);
}
