/* core/results_store.c: saved runs read back as bench --json wrote them, bad files left out
 * with the reason, the newest run of a disk found. */
#include <string.h>
#include <utime.h>
#include <glib/gstdio.h>
#include "core/bench_output.h"
#include "core/results_store.h"
#include "tests/testutil.h"

static struct bench_plan *plan_for(const char *domain, const char *disk)
{
    struct bench_request req;
    g_autoptr(GError) err = NULL;
    struct bench_plan *plan;

    bench_request_init(&req);
    req.cache_mask = 1u << CACHE_NONE | 1u << CACHE_WRITEBACK;
    req.io_mask = 1u << IO_NATIVE | 1u << IO_URING;
    plan = bench_plan_new("/var/lib/libvirt/images/web1.img", &req, 7002000, &err);
    g_assert_no_error(err);
    plan->domain = g_strdup(domain);
    plan->disk = g_strdup(disk);
    for (guint i = 0; i < plan->cells->len; i++) {
        struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if (!c->valid)
            continue;
        c->finished = true;
        c->result.status = CELL_OK;
        c->result.iops = 1000.0 * (i + 1);
        c->result.bytes_per_s = c->result.iops * 4096;
        c->result.ops = 5000 * (i + 1);
        c->result.seconds = 5;
        c->result.lat_ns = (struct bench_latency){ 1000, 900, 5000, 9000, 20000 };
        c->result.cpu_us_per_io = 2.5;
        c->result.ctx_switches = 77;
        c->result.data_fraction = 1;
    }
    return plan;
}

static void test_round_trip_keeps_every_figure(void)
{
    g_autoptr(BenchPlan) plan = plan_for("web1", "vda");
    g_autofree char *json = bench_output_json_text(plan);
    g_autoptr(GError) err = NULL;
    g_autoptr(BenchPlan) back = results_store_parse(json, strlen(json), &err);

    g_assert_no_error(err);
    g_assert_cmpstr(back->target, ==, plan->target);
    g_assert_cmpstr(back->domain, ==, "web1");
    g_assert_cmpstr(back->disk, ==, "vda");
    g_assert_cmpuint(back->cells->len, ==, plan->cells->len);
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *a = &g_array_index(plan->cells, struct bench_cell, i);
        const struct bench_cell *b = &g_array_index(back->cells, struct bench_cell, i);

        g_assert_cmpint(a->cache, ==, b->cache);
        g_assert_cmpint(a->io, ==, b->io);
        g_assert_cmpint(a->kind, ==, b->kind);
        g_assert_cmpint(a->valid, ==, b->valid);
        g_assert_cmpint(a->result.status, ==, b->result.status);
        g_assert_cmpfloat_with_epsilon(a->result.iops, b->result.iops, 0.05);
        g_assert_cmpuint(a->result.ops, ==, b->result.ops);
        g_assert_cmpuint(a->result.lat_ns.p99, ==, b->result.lat_ns.p99);
        g_assert_cmpuint(a->result.ctx_switches, ==, b->result.ctx_switches);
        g_assert_cmpstr(a->result.reason, ==, b->result.reason);
    }
}

static void test_fixture_with_every_status_and_hostile_target(void)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "results",
                                             "bench-20261130T120000Z-42.json", NULL);
    g_autofree char *json = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    g_autoptr(BenchPlan) plan = NULL;
    const struct bench_cell *c;

    g_assert_true(g_file_get_contents(path, &json, &len, NULL));
    plan = results_store_parse(json, len, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(plan->target, ==, "/var/tmp/x\x1b[31m\xc2\x9b\xe2\x80\xae.img");
    g_assert_null(plan->domain);
    g_assert_cmpuint(plan->cells->len, ==, 3);
    c = &g_array_index(plan->cells, struct bench_cell, 0);
    g_assert_cmpint(c->result.status, ==, CELL_UNSUPPORTED);
    c = &g_array_index(plan->cells, struct bench_cell, 2);
    g_assert_cmpint(c->result.status, ==, CELL_CANCELLED);
    g_assert_cmpuint(c->wl.block, ==, 1048576);
    g_assert_cmpuint(c->result.lat_ns.max, ==, 15000000);
    g_assert_cmpfloat(c->result.data_fraction, ==, 0.5);
}

static void test_malformed_files_are_refused_in_one_line(void)
{
    static const char *const bad[] = {
        "", "{}", "[]", "[1]", "not json",
        "[{\"cache\":\"fast\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"great\",\"target\":\"/t\"}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\",\"iops\":-1}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\",\"iops\":\"9\"}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\",\"ops\":1e30}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\",\"data_fraction\":2}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\",\"lat_ns\":[1]}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"},"
        " {\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/u\"}]",
        "[{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\"}]",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(BenchPlan) plan = results_store_parse(bad[i], strlen(bad[i]), &err);

        g_test_message("input %zu: %s", i, err ? err->message : "(parsed)");
        g_assert_null(plan);
        g_assert_nonnull(err);
        g_assert_null(strchr(err->message, '\n'));
    }
}

static void write_run(const char *dir, const char *name, const struct bench_plan *plan, time_t when)
{
    g_autofree char *path = g_build_filename(dir, name, NULL);
    g_autofree char *json = bench_output_json_text(plan);
    struct utimbuf t = { when, when };

    g_assert_true(g_file_set_contents(path, json, -1, NULL));
    g_assert_cmpint(utime(path, &t), ==, 0);
}

static void test_load_orders_newest_first_and_skips_bad_files(void)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-results-XXXXXX", NULL);
    g_autoptr(BenchPlan) old = plan_for("web1", "vda");
    g_autoptr(BenchPlan) newer = plan_for("web1", "vda");
    g_autoptr(BenchPlan) other = plan_for("db1", "vdb");
    g_autofree char *garbage = g_build_filename(dir, "bench-garbage.json", NULL);
    g_autofree char *link = g_build_filename(dir, "bench-link.json", NULL);
    g_autofree char *ignored = g_build_filename(dir, "notes.json", NULL);
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GPtrArray) runs = NULL;
    g_autoptr(GPtrArray) none = NULL;
    const struct results_run *r;

    g_strlcpy(g_array_index(newer->cells, struct bench_cell, 0).result.reason, "the newer one",
              sizeof g_array_index(newer->cells, struct bench_cell, 0).result.reason);
    write_run(dir, "bench-20261101T000000Z-1.json", old, 1000000);
    write_run(dir, "bench-20261102T000000Z-2.json", newer, 2000000);
    write_run(dir, "bench-20261103T000000Z-3.json", other, 1500000);
    g_assert_true(g_file_set_contents(garbage, "[{\"cache\":", -1, NULL));
    g_assert_true(g_file_set_contents(ignored, "junk", -1, NULL));
    g_assert_cmpint(symlink("/etc/passwd", link), ==, 0);

    runs = results_store_load(dir, &skipped);
    g_assert_cmpuint(runs->len, ==, 3);
    g_assert_cmpint(((struct results_run *)g_ptr_array_index(runs, 0))->mtime, ==, 2000000);
    g_assert_cmpint(((struct results_run *)g_ptr_array_index(runs, 2))->mtime, ==, 1000000);
    g_assert_cmpuint(skipped->len, ==, 2);
    r = results_store_find(runs, "web1", "vda");
    g_assert_nonnull(r);
    g_assert_cmpstr(g_array_index(r->plan->cells, struct bench_cell, 0).result.reason, ==,
                    "the newer one");
    g_assert_nonnull(results_store_find(runs, "db1", "vdb"));
    g_assert_null(results_store_find(runs, "web1", "vdb"));

    for (guint i = 0; i < runs->len; i++)
        g_unlink(((struct results_run *)g_ptr_array_index(runs, i))->path);
    g_unlink(garbage);
    g_unlink(link);
    g_unlink(ignored);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
    none = results_store_load(dir, NULL);
    g_assert_cmpuint(none->len, ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/results-store/round-trip-keeps-every-figure", test_round_trip_keeps_every_figure);
    g_test_add_func("/results-store/fixture-with-every-status-and-hostile-target",
                    test_fixture_with_every_status_and_hostile_target);
    g_test_add_func("/results-store/malformed-files-are-refused-in-one-line",
                    test_malformed_files_are_refused_in_one_line);
    g_test_add_func("/results-store/load-orders-newest-first-and-skips-bad-files",
                    test_load_orders_newest_first_and_skips_bad_files);
    return g_test_run();
}
