/* core/textdiff.c against GNU diff -u as the oracle, on edits like apply's: changed
 * attributes, inserted and removed elements, near and far apart. */
#include <stdlib.h>
#include <string.h>
#include <glib.h>
#include <glib/gstdio.h>
#include "core/textdiff.h"

static char *gnu_diff(const char *a, const char *b)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-textdiff-XXXXXX", NULL);
    g_autofree char *pa = g_build_filename(dir, "a", NULL);
    g_autofree char *pb = g_build_filename(dir, "b", NULL);
    char *out = NULL;
    int status = 0;

    g_assert_true(g_file_set_contents(pa, a, -1, NULL));
    g_assert_true(g_file_set_contents(pb, b, -1, NULL));
    const char *argv[] = { "diff", "-u", "--label", "A", "--label", "B", pa, pb, NULL };
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out,
                               NULL, &status, NULL));
    g_unlink(pa);
    g_unlink(pb);
    g_rmdir(dir);
    return out;
}

/* "  line 1" .. "  line n", with edits as pairs (line number, text): "" removes the line,
 * "+text" inserts text after it, other text replaces it. */
static char *numbered(unsigned n, const char *const *edits)
{
    GString *s = g_string_new(NULL);

    for (unsigned i = 1; i <= n; i++) {
        const char *edit = NULL;

        for (const char *const *e = edits; e && *e; e += 2)
            if (strtoul(e[0], NULL, 10) == i)
                edit = e[1];
        if (!edit)
            g_string_append_printf(s, "  line %u\n", i);
        else if (edit[0] == '+')
            g_string_append_printf(s, "  line %u\n%s\n", i, edit + 1);
        else if (edit[0])
            g_string_append_printf(s, "%s\n", edit);
    }
    return g_string_free(s, FALSE);
}

static void check(const char *a, const char *b)
{
    g_autofree char *ours = textdiff_unified(a, b, "A", "B", 3);
    g_autofree char *theirs = gnu_diff(a, b);

    g_assert_cmpstr(ours, ==, theirs);
}

static void test_equal_texts_give_nothing(void)
{
    g_autofree char *a = numbered(20, NULL);
    g_autofree char *d = textdiff_unified(a, a, "A", "B", 3);

    g_assert_cmpstr(d, ==, "");
    check(a, a);
}

static void test_matches_gnu_diff(void)
{
    static const char *const cases[][10] = {
        { "5", "  <driver cache='none'/>", NULL },                       /* one change */
        { "1", "<domain type='kvm'>", NULL },                            /* the first line */
        { "40", "</domain>", NULL },                                     /* the last line */
        { "5", "+  <iothreads>4</iothreads>", NULL },                    /* an insertion */
        { "7", "", NULL },                                               /* a removal */
        { "5", "x", "11", "y", NULL },                                   /* hunks merge */
        { "5", "x", "30", "+  <iothreadpin/>", NULL },                   /* two hunks */
        { "3", "", "4", "", "5", "+new", "36", "z", NULL },
    };

    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        g_autofree char *a = numbered(40, NULL);
        g_autofree char *b = numbered(40, cases[i]);

        check(a, b);
        check(b, a);
    }
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/textdiff/equal-texts-give-nothing", test_equal_texts_give_nothing);
    g_test_add_func("/textdiff/matches-gnu-diff", test_matches_gnu_diff);
    return g_test_run();
}
