/* core/crosscheck.c: Spearman's rho (known values, ties, degenerate inputs), and two plans
 * compared cell by cell: the cells ok in both, the ratio, the io-mode agreement within each
 * cache mode, the text and JSON reports. */
#include <math.h>
#include <string.h>
#include "core/crosscheck.h"
#include "tests/testutil.h"

static void test_spearman_known_values(void)
{
    const double x[] = { 1, 2, 3, 4, 5 };
    const double up[] = { 10, 20, 30, 40, 50 };
    const double down[] = { 5, 4, 3, 2, 1 };
    const double swap[] = { 2, 1, 4, 3, 5 };      /* 1 - 6*4/(5*24) = 0.8 */
    const double tied[] = { 1, 1, 2, 3, 4 };
    const double flat[] = { 7, 7, 7, 7, 7 };

    g_assert_cmpfloat_with_epsilon(crosscheck_spearman(x, up, 5), 1.0, 1e-12);
    g_assert_cmpfloat_with_epsilon(crosscheck_spearman(x, down, 5), -1.0, 1e-12);
    g_assert_cmpfloat_with_epsilon(crosscheck_spearman(x, swap, 5), 0.8, 1e-12);
    /* Ties share their mean rank (1.5, 1.5, 3, 4, 5): Pearson of the ranks,
     * 9.5 / sqrt(10 * 9.5). */
    g_assert_cmpfloat_with_epsilon(crosscheck_spearman(x, tied, 5), 9.5 / sqrt(95.0), 1e-12);
    g_assert_true(isnan(crosscheck_spearman(x, flat, 5)));
    g_assert_true(isnan(crosscheck_spearman(x, up, 2)));
}

static struct bench_plan *plan_of(void)
{
    struct bench_request req;
    GError *err = NULL;
    struct bench_plan *plan;

    bench_request_init(&req);
    req.cache_mask = 1u << CACHE_NONE | 1u << CACHE_WRITEBACK;
    plan = bench_plan_new("/var/tmp/x", &req, 7002000, &err);
    g_assert_no_error(err);
    return plan;
}

static void set(struct bench_plan *plan, enum cache_mode c, enum io_mode io, double iops,
                enum bench_status st)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        struct bench_cell *x = &g_array_index(plan->cells, struct bench_cell, i);

        if (x->cache == c && x->io == io) {
            x->finished = true;
            x->result.status = st;
            x->result.iops = iops;
        }
    }
}

static void test_compare_two_plans(void)
{
    g_autoptr(BenchPlan) ours = plan_of();
    g_autoptr(BenchPlan) theirs = plan_of();
    g_autoptr(GPtrArray) checks = NULL;
    const struct crosscheck *x;
    g_autofree char *text = NULL;
    json_object *json;

    /* none: native 100, threads 80, io_uring 120 against 50, 45, 40 (io_uring last there);
     * writeback: threads 300, io_uring 310 against 150, 160; writeback/native invalid. */
    set(ours, CACHE_NONE, IO_NATIVE, 100, CELL_OK);
    set(ours, CACHE_NONE, IO_THREADS, 80, CELL_OK);
    set(ours, CACHE_NONE, IO_URING, 120, CELL_OK);
    set(ours, CACHE_WRITEBACK, IO_THREADS, 300, CELL_OK);
    set(ours, CACHE_WRITEBACK, IO_URING, 310, CELL_OK);
    set(theirs, CACHE_NONE, IO_NATIVE, 50, CELL_OK);
    set(theirs, CACHE_NONE, IO_THREADS, 45, CELL_OK);
    set(theirs, CACHE_NONE, IO_URING, 40, CELL_OK);
    set(theirs, CACHE_WRITEBACK, IO_THREADS, 150, CELL_OK);
    set(theirs, CACHE_WRITEBACK, IO_URING, 0, CELL_ERROR);
    checks = crosscheck_compare(ours, theirs);
    g_assert_cmpuint(checks->len, ==, 1);
    x = g_ptr_array_index(checks, 0);
    g_assert_cmpint(x->kind, ==, WL_RANDREAD);
    g_assert_cmpuint(x->cells->len, ==, 4);   /* the error cell is left out */
    /* ours 100 80 120 300 → ranks 2 1 3 4; theirs 50 45 40 150 → 3 2 1 4: d² = 1+1+4+0. */
    g_assert_cmpfloat_with_epsilon(x->rho, 1 - 6 * 6.0 / (4 * 15), 1e-12);
    /* none: 3 pairs, only native > threads agrees; writeback: no pair ok in both. */
    g_assert_cmpuint(x->io_pairs, ==, 3);
    g_assert_cmpuint(x->io_pairs_agree, ==, 1);
    g_assert_cmpfloat_with_epsilon(
        g_array_index(x->cells, struct crosscheck_cell, 0).ratio, 2.0, 1e-12);
    text = crosscheck_text(checks, "in-process", "qemu-img");
    g_assert_nonnull(strstr(text, "cross-check randread: in-process against qemu-img, 4 cells"));
    g_assert_nonnull(strstr(text, "rho 0.40"));
    g_assert_nonnull(strstr(text, "1 of 3 pairs in the same order"));
    g_assert_nonnull(strstr(text, "none/io_uring"));
    g_assert_nonnull(strstr(text, "3.00x"));
    g_assert_nonnull(strstr(text, "ratio in-process/qemu-img: 1.78x to 3.00x"));
    json = crosscheck_json(checks);
    g_assert_cmpuint(json_object_array_length(json), ==, 1);
    g_assert_nonnull(strstr(json_object_to_json_string_ext(json, JSON_C_TO_STRING_PLAIN), "\"rho\":0.400"));
    json_object_put(json);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/crosscheck/spearman-known-values", test_spearman_known_values);
    g_test_add_func("/crosscheck/compare-two-plans", test_compare_two_plans);
    return g_test_run();
}
