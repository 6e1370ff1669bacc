#include "probes/cpulist.h"

#include <string.h>

static bool bad(GError **err, const char *text, const char *why)
{
    g_set_error(err, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "CPU list '%s': %s", text, why);
    return false;
}

static bool parse_cpu(const char *s, const char *text, unsigned *out, GError **err)
{
    guint64 v = 0;

    if (!*s)
        return bad(err, text, "a range or a CPU number is missing");
    for (const char *p = s; *p; p++)
        if (!g_ascii_isdigit(*p))
            return bad(err, text, "not a CPU number or a range like 0-3");
    if (!g_ascii_string_to_unsigned(s, 10, 0, CPULIST_MAX_CPU, &v, NULL)) {
        g_autofree char *why = g_strdup_printf("CPU %s is above %u", s, CPULIST_MAX_CPU);
        return bad(err, text, why);
    }
    *out = (unsigned)v;
    return true;
}

/* One comma-separated item: "N", "N-M" or "^N" (the last only as an exclusion). */
static bool parse_item(const char *item, const char *text, bool *set, GError **err)
{
    bool exclude = item[0] == '^';
    g_auto(GStrv) ends = g_strsplit(item + (exclude ? 1 : 0), "-", 3);
    unsigned lo = 0, hi = 0;

    if (g_strv_length(ends) > 2)
        return bad(err, text, "a range has one '-'");
    if (!parse_cpu(ends[0], text, &lo, err))
        return false;
    hi = lo;
    if (ends[1] && !parse_cpu(ends[1], text, &hi, err))
        return false;
    if (hi < lo) {
        g_autofree char *why = g_strdup_printf("the range %u-%u is reversed", lo, hi);
        return bad(err, text, why);
    }
    for (unsigned c = lo; c <= hi; c++)
        set[c] = !exclude;
    return true;
}

GArray *cpulist_parse(const char *text, GError **err)
{
    g_autofree bool *set = g_new0(bool, CPULIST_MAX_CPU + 1);
    g_auto(GStrv) items = NULL;
    GArray *cpus;

    if (!text || !*text) {
        bad(err, text ? text : "", "empty");
        return NULL;
    }
    items = g_strsplit(text, ",", -1);
    for (char **item = items; *item; item++) {
        g_strstrip(*item);
        if (!parse_item(*item, text, set, err))
            return NULL;
    }
    cpus = g_array_new(FALSE, FALSE, sizeof(unsigned));
    for (unsigned c = 0; c <= CPULIST_MAX_CPU; c++)
        if (set[c])
            g_array_append_val(cpus, c);
    if (cpus->len == 0) {
        g_array_unref(cpus);
        bad(err, text, "names no CPU");
        return NULL;
    }
    return cpus;
}

char *cpulist_format(const GArray *cpus)
{
    GString *out = g_string_new(NULL);

    for (guint i = 0; i < cpus->len;) {
        unsigned lo = g_array_index(cpus, unsigned, i);
        guint j = i;

        while (j + 1 < cpus->len && g_array_index(cpus, unsigned, j + 1) == lo + (j + 1 - i))
            j++;
        if (out->len)
            g_string_append_c(out, ',');
        if (j > i)
            g_string_append_printf(out, "%u-%u", lo, g_array_index(cpus, unsigned, j));
        else
            for (guint k = i; k <= j; k++)
                g_string_append_printf(out, "%s%u", k > i ? "," : "",
                                       g_array_index(cpus, unsigned, k));
        i = j + 1;
    }
    return g_string_free(out, FALSE);
}

bool cpulist_equal(const char *a, const char *b)
{
    g_autoptr(GArray) x = cpulist_parse(a, NULL);
    g_autoptr(GArray) y = cpulist_parse(b, NULL);

    return x && y && x->len == y->len &&
           memcmp(x->data, y->data, x->len * sizeof(unsigned)) == 0;
}
