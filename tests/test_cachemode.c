#include "probes/cachemode.h"

#include <glib.h>
#include <string.h>

/* DESIGN.md "Cache and io modes", first table: what QEMU turns each cache= into. */
static const struct {
    enum cache_mode mode;
    const char *name;
    bool direct, flush_each_write, drop_flush;
} design_cache[] = {
    { CACHE_NONE,         "none",         true,  false, false },
    { CACHE_WRITETHROUGH, "writethrough", false, true,  false },
    { CACHE_WRITEBACK,    "writeback",    false, false, false },
    { CACHE_DIRECTSYNC,   "directsync",   true,  true,  false },
    { CACHE_UNSAFE,       "unsafe",       false, false, true  },
};

static const struct {
    enum io_mode mode;
    const char *name, *engine;
    bool needs_direct;
} design_io[] = {
    { IO_NATIVE,  "native",   "libaio",   true  },
    { IO_THREADS, "threads",  "threads",  false },
    { IO_URING,   "io_uring", "io_uring", false },
};

static void test_cache_table_matches_design(void)
{
    g_assert_cmpuint(G_N_ELEMENTS(design_cache), ==, CACHE_COUNT);
    for (size_t i = 0; i < G_N_ELEMENTS(design_cache); i++) {
        const struct cache_mode_info *c = cache_mode_info(design_cache[i].mode);

        g_assert_nonnull(c);
        g_assert_cmpstr(c->name, ==, design_cache[i].name);
        g_assert_cmpint(c->direct, ==, design_cache[i].direct);
        g_assert_cmpint(c->flush_each_write, ==, design_cache[i].flush_each_write);
        g_assert_cmpint(c->drop_flush, ==, design_cache[i].drop_flush);
    }
}

static void test_io_table_matches_design(void)
{
    g_assert_cmpuint(G_N_ELEMENTS(design_io), ==, IO_COUNT);
    for (size_t i = 0; i < G_N_ELEMENTS(design_io); i++) {
        const struct io_mode_info *m = io_mode_info(design_io[i].mode);

        g_assert_nonnull(m);
        g_assert_cmpstr(m->name, ==, design_io[i].name);
        g_assert_cmpstr(m->engine, ==, design_io[i].engine);
        g_assert_cmpint(m->needs_direct, ==, design_io[i].needs_direct);
    }
}

static void test_out_of_range_gives_null(void)
{
    g_assert_null(cache_mode_info(CACHE_COUNT));
    g_assert_null(cache_mode_info((enum cache_mode)-1));
    g_assert_null(io_mode_info(IO_COUNT));
    g_assert_null(io_mode_info((enum io_mode)-1));
}

static void test_names_round_trip(void)
{
    for (int c = 0; c < CACHE_COUNT; c++)
        g_assert_cmpint(cache_mode_from_name(cache_mode_info(c)->name), ==, c);
    for (int i = 0; i < IO_COUNT; i++)
        g_assert_cmpint(io_mode_from_name(io_mode_info(i)->name), ==, i);
}

static void test_unknown_names_are_minus_one(void)
{
    /* libvirt's "default" is the caller's to resolve, and names are case-sensitive as in
     * the domain XML. */
    const char *bad[] = { "default", "None", "write-back", "", "libaio", "iouring", "uring" };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_assert_cmpint(cache_mode_from_name(bad[i]), ==, -1);
        g_assert_cmpint(io_mode_from_name(bad[i]), ==, -1);
    }
    g_assert_cmpint(cache_mode_from_name(NULL), ==, -1);
    g_assert_cmpint(io_mode_from_name(NULL), ==, -1);
}

static void test_native_without_direct_is_the_only_invalid(void)
{
    unsigned valid = 0, invalid = 0;

    for (int c = 0; c < CACHE_COUNT; c++) {
        for (int i = 0; i < IO_COUNT; i++) {
            const char *reason = "untouched";
            bool ok = cache_io_valid(c, i, &reason);
            bool want_invalid = i == IO_NATIVE &&
                (c == CACHE_WRITETHROUGH || c == CACHE_WRITEBACK || c == CACHE_UNSAFE);

            g_assert_cmpint(ok, ==, !want_invalid);
            if (ok) {
                valid++;
                g_assert_null(reason);
            } else {
                invalid++;
                g_assert_nonnull(reason);
                g_assert_nonnull(strstr(reason, "cache.direct"));
            }
            /* A NULL reason pointer is allowed. */
            g_assert_cmpint(cache_io_valid(c, i, NULL), ==, ok);
        }
    }
    g_assert_cmpuint(invalid, ==, 3);
    g_assert_cmpuint(valid, ==, 12);
}

static void test_out_of_range_combination_is_invalid(void)
{
    const char *reason = NULL;

    g_assert_false(cache_io_valid(CACHE_COUNT, IO_THREADS, &reason));
    g_assert_nonnull(reason);
    reason = NULL;
    g_assert_false(cache_io_valid(CACHE_NONE, IO_COUNT, &reason));
    g_assert_nonnull(reason);
}

static void test_dsync_only_from_qemu_10_and_not_threads(void)
{
    const unsigned versions[] = { 0, 7, 9, 10, 11 };

    for (int c = 0; c < CACHE_COUNT; c++) {
        for (int i = 0; i < IO_COUNT; i++) {
            for (size_t v = 0; v < G_N_ELEMENTS(versions); v++) {
                bool want = versions[v] >= 10 && i != IO_THREADS &&
                            (c == CACHE_WRITETHROUGH || c == CACHE_DIRECTSYNC);

                g_assert_cmpint(cache_io_uses_dsync(c, i, versions[v]), ==, want);
            }
        }
    }
    g_assert_false(cache_io_uses_dsync(CACHE_COUNT, IO_URING, 10));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/cachemode/cache-table-matches-design", test_cache_table_matches_design);
    g_test_add_func("/cachemode/io-table-matches-design", test_io_table_matches_design);
    g_test_add_func("/cachemode/out-of-range-gives-null", test_out_of_range_gives_null);
    g_test_add_func("/cachemode/names-round-trip", test_names_round_trip);
    g_test_add_func("/cachemode/unknown-names-are-minus-one", test_unknown_names_are_minus_one);
    g_test_add_func("/cachemode/native-without-direct-is-the-only-invalid",
                    test_native_without_direct_is_the_only_invalid);
    g_test_add_func("/cachemode/out-of-range-combination-is-invalid",
                    test_out_of_range_combination_is_invalid);
    g_test_add_func("/cachemode/dsync-only-from-qemu-10-and-not-threads",
                    test_dsync_only_from_qemu_10_and_not_threads);
    return g_test_run();
}
