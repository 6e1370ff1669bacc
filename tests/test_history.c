/* core/history.c: two runs compared cell by cell, a change called beyond noise only when
 * the rounds' [min, max] ranges do not overlap, one round said to measure no spread, and
 * runs of different targets told apart. */
#include <string.h>
#include "core/history.h"
#include "tests/testutil.h"

/* A plan of none/native and none/io_uring randread, rounds each; iops[i] the median of cell
 * i, spread its half-width (lo = iops - spread, hi = iops + spread). */
static struct bench_plan *plan_of(unsigned rounds, const double iops[2], double spread)
{
    struct bench_request req;
    g_autoptr(GError) err = NULL;
    struct bench_plan *plan;
    unsigned k = 0;

    bench_request_init(&req);
    req.cache_mask = 1u << CACHE_NONE;
    req.io_mask = 1u << IO_NATIVE | 1u << IO_URING;
    plan = bench_plan_new("/var/lib/libvirt/images/web1.img", &req, 7002000, &err);
    g_assert_no_error(err);
    plan->domain = g_strdup("web1");
    plan->disk = g_strdup("vda");
    plan->repeat = rounds;
    for (guint i = 0; i < plan->cells->len; i++) {
        struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        c->finished = true;
        c->result.status = CELL_OK;
        c->result.iops = iops[k];
        c->result.lat_ns.p99 = (uint64_t)(1e9 / iops[k]);
        c->rounds = rounds;
        if (rounds > 1) {
            c->lo = c->result;
            c->hi = c->result;
            c->lo.iops = iops[k] - spread;
            c->hi.iops = iops[k] + spread;
            c->lo.lat_ns.p99 = (uint64_t)(1e9 / (iops[k] + spread));
            c->hi.lat_ns.p99 = (uint64_t)(1e9 / (iops[k] - spread));
        }
        k++;
    }
    return plan;
}

static const struct history_cell *cell(const GArray *cells, enum io_mode io)
{
    for (guint i = 0; i < cells->len; i++)
        if (g_array_index(cells, struct history_cell, i).io == io)
            return &g_array_index(cells, struct history_cell, i);
    g_assert_not_reached();
}

/* native +20 % with spreads of ±1 %: beyond; io_uring +1 % inside ±2 %: within noise. */
static void test_beyond_and_within_noise(void)
{
    const double old_iops[2] = { 100000, 100000 }, new_iops[2] = { 120000, 101000 };
    g_autoptr(BenchPlan) a = plan_of(3, old_iops, 2000);
    g_autoptr(BenchPlan) b = plan_of(3, new_iops, 2000);
    g_autoptr(GArray) cells = history_compare(a, b);
    const struct history_cell *native = cell(cells, IO_NATIVE), *uring = cell(cells, IO_URING);

    g_assert_cmpuint(cells->len, ==, 2);
    g_assert_cmpint(native->iops.verdict, ==, HISTORY_BEYOND_NOISE);
    g_assert_cmpfloat_with_epsilon(native->iops.change_pct, 20.0, 1e-9);
    g_assert_cmpfloat(native->iops.a_lo, ==, 98000);
    g_assert_cmpfloat(native->iops.b_hi, ==, 122000);
    g_assert_cmpint(native->p99.verdict, ==, HISTORY_BEYOND_NOISE);
    g_assert_cmpfloat(native->p99.change_pct, <, 0);
    g_assert_cmpint(uring->iops.verdict, ==, HISTORY_WITHIN_NOISE);
    g_assert_cmpfloat_with_epsilon(uring->iops.change_pct, 1.0, 1e-9);
    g_assert_cmpint(uring->p99.verdict, ==, HISTORY_WITHIN_NOISE);
}

/* A large change with one round on either side is still not called beyond noise. */
static void test_one_round_measures_no_spread(void)
{
    const double old_iops[2] = { 100000, 100000 }, new_iops[2] = { 150000, 50000 };
    g_autoptr(BenchPlan) a = plan_of(1, old_iops, 0);
    g_autoptr(BenchPlan) b = plan_of(3, new_iops, 100);
    g_autoptr(GArray) cells = history_compare(a, b);
    struct results_run ra = { .path = (char *)"/r/a.json", .mtime = 1796133723, .plan = a };
    struct results_run rb = { .path = (char *)"/r/b.json", .mtime = 1796137323, .plan = b };
    g_autofree char *text = NULL;

    g_assert_cmpint(cell(cells, IO_NATIVE)->iops.verdict, ==, HISTORY_ONE_ROUND);
    g_assert_cmpint(cell(cells, IO_URING)->iops.verdict, ==, HISTORY_ONE_ROUND);
    g_assert_cmpfloat_with_epsilon(cell(cells, IO_URING)->iops.change_pct, -50.0, 1e-9);
    text = history_compare_text(&ra, 2, &rb, 1, cells);
    g_test_message("%s", text);
    g_assert_nonnull(strstr(text, "older: #2 2026-12-01 14:02 web1/vda, 1 round, in-process, /r/a.json\n"));
    g_assert_nonnull(strstr(text, "randread none/native: IOPS 100k → 150k, +50.0 %: one round: "
                                  "no spread measured"));
    g_assert_null(strstr(text, "beyond noise"));
}

/* A cell that failed on one side, and one that only one run has. */
static void test_status_changes_and_absent_cells(void)
{
    const double iops[2] = { 100000, 100000 };
    g_autoptr(BenchPlan) a = plan_of(3, iops, 10);
    g_autoptr(BenchPlan) b = plan_of(3, iops, 10);
    g_autoptr(GArray) cells = NULL;
    struct results_run ra = { .path = (char *)"a", .plan = a }, rb = { .path = (char *)"b", .plan = b };
    g_autofree char *text = NULL;

    g_array_index(b->cells, struct bench_cell, 0).result.status = CELL_ERROR;
    g_array_remove_index(a->cells, 1);
    cells = history_compare(a, b);
    g_assert_cmpint(cell(cells, IO_NATIVE)->iops.verdict, ==, HISTORY_NO_FIGURE);
    g_assert_cmpstr(cell(cells, IO_NATIVE)->status_b, ==, "error");
    g_assert_cmpstr(cell(cells, IO_URING)->status_a, ==, "absent");
    text = history_compare_text(&ra, 0, &rb, 0, cells);
    g_assert_nonnull(strstr(text, "randread none/native: ok → error\n"));
    g_assert_nonnull(strstr(text, "randread none/io_uring: absent → ok\n"));
}

/* Same identity: the same target even under another path; another identity, host or
 * disk: different, said in one line. */
static void test_same_target_by_identity_host_or_disk(void)
{
    const double iops[2] = { 1000, 1000 };
    g_autoptr(BenchPlan) a = plan_of(1, iops, 0);
    g_autoptr(BenchPlan) b = plan_of(1, iops, 0);
    struct results_run ra = { .path = (char *)"a", .plan = a }, rb = { .path = (char *)"b", .plan = b };
    g_autofree char *why = NULL;

    g_assert_true(history_same_target(&ra, &rb, &why));
    g_assert_null(why);
    ra.meta.identity = (struct results_identity){ RESULTS_ID_BLOCK, 253, 3, 0, 1 << 30 };
    rb.meta.identity = ra.meta.identity;
    g_free(b->disk);
    b->disk = g_strdup("vdb");   /* the identity decides when both have one */
    g_assert_true(history_same_target(&ra, &rb, &why));
    rb.meta.identity.minor = 4;
    g_assert_false(history_same_target(&ra, &rb, &why));
    g_assert_cmpstr(why, ==, "web1/vda (block 253:3, 1 GiB) and web1/vdb (block 253:4, "
                             "1 GiB) are different targets");
    g_clear_pointer(&why, g_free);
    rb.meta.identity.kind = RESULTS_ID_NONE;   /* then the disks decide */
    g_assert_false(history_same_target(&ra, &rb, &why));
    g_assert_cmpstr(why, ==, "web1/vda and web1/vdb are different targets");
    g_clear_pointer(&why, g_free);
    rb.meta.identity = ra.meta.identity;
    ra.meta.host = (char *)"h1";
    rb.meta.host = (char *)"h2";
    g_assert_false(history_same_target(&ra, &rb, &why));
    g_assert_nonnull(strstr(why, "on host h1"));
}

static void test_list_numbers_newest_first(void)
{
    const double iops[2] = { 1000, 1000 };
    g_autoptr(BenchPlan) a = plan_of(3, iops, 1);
    g_autoptr(BenchPlan) b = plan_of(1, iops, 0);
    struct results_run ra = { .path = (char *)"/r/new.json", .mtime = 1796137323, .plan = a };
    struct results_run rb = { .path = (char *)"/r/old.json", .mtime = 1796133723, .plan = b };
    g_autoptr(GPtrArray) runs = g_ptr_array_new();
    g_autofree char *text = NULL, *csv = NULL;
    g_auto(GStrv) lines = NULL;
    json_object *arr;

    g_ptr_array_add(runs, &ra);
    g_ptr_array_add(runs, &rb);
    g_array_index(b->cells, struct bench_cell, 1).result.status = CELL_ERROR;
    text = history_list_text(runs);
    lines = g_strsplit(text, "\n", -1);
    g_assert_cmpuint(g_strv_length(lines), ==, 4);
    g_assert_true(g_str_has_prefix(lines[1], "  1  2026-12-01 15:02  web1/vda"));
    g_assert_nonnull(strstr(lines[1], "randread"));
    g_assert_nonnull(strstr(lines[1], "2/2       3  in-process  /r/new.json"));
    g_assert_nonnull(strstr(lines[2], "1/2       1  in-process  /r/old.json"));
    arr = history_list_json(runs);
    g_assert_cmpint(json_object_get_int(json_object_object_get(json_object_array_get_idx(arr, 1),
                                                               "number")), ==, 2);
    g_assert_cmpint(json_object_get_int(json_object_object_get(json_object_array_get_idx(arr, 1),
                                                               "cells_ok")), ==, 1);
    json_object_put(arr);
    csv = history_list_csv(runs);
    g_assert_true(g_str_has_prefix(csv, "number,saved_at,format,host,domain,disk,target,"));
    g_assert_nonnull(strstr(csv, "\n2,2026-12-01T14:02:03Z,0,,web1,vda,"));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/history/beyond-and-within-noise", test_beyond_and_within_noise);
    g_test_add_func("/history/one-round-measures-no-spread", test_one_round_measures_no_spread);
    g_test_add_func("/history/status-changes-and-absent-cells", test_status_changes_and_absent_cells);
    g_test_add_func("/history/same-target-by-identity-host-or-disk",
                    test_same_target_by_identity_host_or_disk);
    g_test_add_func("/history/list-numbers-newest-first", test_list_numbers_newest_first);
    return g_test_run();
}
