/* core/results_store.c: saved runs read back as bench --json wrote them, bad files left out
 * with the reason, the newest run of a disk found. */
#include <string.h>
#include <utime.h>
#include <sys/stat.h>
#include <glib/gstdio.h>
#include "core/bench_mode.h"
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
    g_autoptr(BenchPlan) back = results_store_parse(json, strlen(json), NULL, &err);

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
    plan = results_store_parse(json, len, NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpstr(plan->target, ==, "/var/tmp/x\x1b[31m\xc2\x9b\xe2\x80\xae.img");
    g_assert_null(plan->domain);
    g_assert_cmpuint(plan->cells->len, ==, 3);
    g_assert_cmpuint(plan->qemu_version, ==, 7002000);
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
        g_autoptr(BenchPlan) plan = results_store_parse(bad[i], strlen(bad[i]), NULL, &err);

        g_test_message("input %zu: %s", i, err ? err->message : "(parsed)");
        g_assert_null(plan);
        g_assert_nonnull(err);
        g_assert_null(strchr(err->message, '\n'));
    }
}

/* Format 1 (the bare array every run was saved as before) still reads, with no header. */
static void test_format_1_files_still_read(void)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "results",
                                             "bench-20261201T090000Z-100.json", NULL);
    g_autofree char *json = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    struct results_meta meta = { 0 };
    g_autoptr(BenchPlan) plan = NULL;

    g_assert_true(g_file_get_contents(path, &json, &len, NULL));
    plan = results_store_parse(json, len, &meta, &err);
    g_assert_no_error(err);
    g_assert_cmpint(meta.format, ==, 1);
    g_assert_null(meta.tool);
    g_assert_null(meta.host);
    g_assert_cmpint(meta.identity.kind, ==, RESULTS_ID_NONE);
    g_assert_cmpstr(plan->domain, ==, "web1");
    g_assert_cmpuint(plan->qemu_version, ==, 7002022);
    g_assert_cmpuint(plan->cells->len, >, 1);
    results_meta_clear(&meta);
}

/* The format 2 fixture: its header as written by hand from docs/json.md. */
static void test_format_2_fixture_reads_its_header(void)
{
    g_autofree char *path = g_build_filename(g_getenv("VDT_TESTDATA"), "results",
                                             "bench-20261202T101500Z-7.json", NULL);
    g_autofree char *json = NULL;
    gsize len = 0;
    g_autoptr(GError) err = NULL;
    struct results_meta meta = { 0 };
    g_autoptr(BenchPlan) plan = NULL;
    const struct bench_cell *c;

    g_assert_true(g_file_get_contents(path, &json, &len, NULL));
    plan = results_store_parse(json, len, &meta, &err);
    g_assert_no_error(err);
    g_assert_cmpint(meta.format, ==, 2);
    g_assert_cmpstr(meta.host, ==, "host\x1b[31m1");
    g_assert_cmpint(meta.identity.kind, ==, RESULTS_ID_BLOCK);
    g_assert_cmpuint(meta.identity.major, ==, 253);
    g_assert_cmpuint(meta.identity.minor, ==, 3);
    g_assert_cmpuint(meta.identity.size, ==, 10737418240ull);
    g_assert_cmpuint(plan->seed, ==, G_MAXUINT64);
    g_assert_cmpuint(plan->repeat, ==, 3);
    g_assert_cmpuint(plan->span, ==, 1u << 30);
    g_assert_cmpuint(meta.io_mask, ==, 1u << IO_NATIVE | 1u << IO_URING);
    c = &g_array_index(plan->cells, struct bench_cell, 0);
    g_assert_cmpuint(c->rounds, ==, 3);
    g_assert_cmpfloat(c->lo.iops, ==, 149010.2);
    g_assert_cmpuint(c->hi.lat_ns.p99, ==, 430000);
    results_meta_clear(&meta);
}

/* Saved as format 2 and loaded back: every header field and the plan's request fields. */
static void test_format_2_round_trip_keeps_every_field(void)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-results-XXXXXX", NULL);
    g_autoptr(BenchPlan) plan = plan_for("web1", "vda");
    struct results_identity id = { RESULTS_ID_FILE, 8, 1, 1234567, 33554432 };
    struct results_origin origin = { "virt-disktune 9.8.7", "test:///default", "hostA",
                                     "2026-12-01T14:02:03Z", &id };
    g_autoptr(GError) err = NULL;
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GPtrArray) runs = NULL;
    g_autofree char *path = NULL;
    const struct results_run *r;
    const struct results_meta *m;

    plan->runtime_s = 2.5;
    plan->ramp_s = 0.5;
    plan->repeat = 3;
    plan->span = 64u << 20;
    plan->seed = 42;
    plan->iothreads = 2;
    plan->pool_workers = 16;
    g_free(plan->kernel);
    plan->kernel = g_strdup("6.1.0-28-amd64");
    plan->runner_id = RUNNER_QEMU_IMG;
    plan->mode_ops = bench_mode_ops_for(BENCH_MODE_SCRATCH);
    path = results_store_save(plan, &origin, dir, &err);
    g_assert_no_error(err);
    runs = results_store_load(dir, &skipped);
    g_assert_cmpuint(skipped->len, ==, 0);
    g_assert_cmpuint(runs->len, ==, 1);
    r = g_ptr_array_index(runs, 0);
    m = &r->meta;
    g_assert_cmpstr(r->path, ==, path);
    g_assert_cmpint(r->mtime, ==, 1796133723);   /* saved_at, not the file's mtime */
    g_assert_cmpint(m->format, ==, RESULTS_FORMAT);
    g_assert_cmpstr(m->tool, ==, "virt-disktune 9.8.7");
    g_assert_cmpstr(m->saved_at, ==, "2026-12-01T14:02:03Z");
    g_assert_cmpstr(m->host, ==, "hostA");
    g_assert_cmpstr(m->uri, ==, "test:///default");
    g_assert_cmpstr(m->mode, ==, "scratch");
    g_assert_true(results_identity_same(&m->identity, &id));
    g_assert_cmpuint(m->identity.size, ==, id.size);
    g_assert_cmpuint(m->workload_mask, ==, 1u << WL_RANDREAD);
    g_assert_cmpuint(m->cache_mask, ==, 1u << CACHE_NONE | 1u << CACHE_WRITEBACK);
    g_assert_cmpuint(m->io_mask, ==, 1u << IO_NATIVE | 1u << IO_URING);
    g_assert_cmpuint(m->block, ==, 4096);
    g_assert_cmpuint(m->depth, ==, 32);
    g_assert_cmpstr(r->plan->target, ==, plan->target);
    g_assert_cmpstr(r->plan->domain, ==, "web1");
    g_assert_cmpstr(r->plan->disk, ==, "vda");
    g_assert_cmpstr(r->plan->kernel, ==, "6.1.0-28-amd64");
    g_assert_cmpuint(r->plan->qemu_version, ==, 7002000);
    g_assert_cmpint(r->plan->runner_id, ==, RUNNER_QEMU_IMG);
    g_assert_cmpfloat(r->plan->runtime_s, ==, 2.5);
    g_assert_cmpfloat(r->plan->ramp_s, ==, 0.5);
    g_assert_cmpuint(r->plan->repeat, ==, 3);
    g_assert_cmpuint(r->plan->span, ==, 64u << 20);
    g_assert_cmpuint(r->plan->seed, ==, 42);
    g_assert_cmpuint(r->plan->iothreads, ==, 2);
    g_assert_cmpuint(r->plan->pool_workers, ==, 16);
    g_assert_cmpuint(r->plan->cells->len, ==, plan->cells->len);
    for (guint i = 0; i < plan->cells->len; i++)
        g_assert_cmpfloat_with_epsilon(g_array_index(r->plan->cells, struct bench_cell, i).result.iops,
                                       g_array_index(plan->cells, struct bench_cell, i).result.iops, 0.05);
    g_unlink(path);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* The identity a saved run records: a file by its filesystem and inode, and its size. */
static void test_identity_of_a_file_and_of_nothing(void)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-ident-XXXXXX", NULL);
    g_autofree char *a = g_build_filename(dir, "a", NULL);
    g_autofree char *b = g_build_filename(dir, "b", NULL);
    g_autofree char *gone = g_build_filename(dir, "gone", NULL);
    struct results_identity ia, ib, ia2, none;
    g_autofree char *text = NULL;
    struct stat st;

    g_assert_true(g_file_set_contents(a, "12345", 5, NULL));
    g_assert_true(g_file_set_contents(b, "1", 1, NULL));
    g_assert_cmpint(stat(a, &st), ==, 0);
    results_identity_of(a, &ia);
    results_identity_of(b, &ib);
    results_identity_of(a, &ia2);
    results_identity_of(gone, &none);
    g_assert_cmpint(ia.kind, ==, RESULTS_ID_FILE);
    g_assert_cmpuint(ia.ino, ==, st.st_ino);
    g_assert_cmpuint(ia.size, ==, 5);
    g_assert_true(results_identity_same(&ia, &ia2));
    g_assert_false(results_identity_same(&ia, &ib));
    g_assert_cmpint(none.kind, ==, RESULTS_ID_NONE);
    g_assert_false(results_identity_same(&none, &none));
    text = results_identity_text(&none);
    g_assert_cmpstr(text, ==, "unknown");
    g_unlink(a);
    g_unlink(b);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* Not JSON, a newer format and a truncated file: each skipped with one line naming it. */
static void test_bad_files_are_skipped_each_with_its_line(void)
{
    g_autofree char *dir = g_dir_make_tmp("vdt-results-XXXXXX", NULL);
    g_autoptr(BenchPlan) plan = plan_for("web1", "vda");
    struct results_origin origin = { .tool = "virt-disktune test", .host = "h" };
    g_autoptr(GError) err = NULL;
    g_autofree char *good = results_store_save(plan, &origin, dir, &err);
    g_autofree char *text = NULL;
    g_autofree char *notjson = g_build_filename(dir, "bench-notjson.json", NULL);
    g_autofree char *newer = g_build_filename(dir, "bench-newer.json", NULL);
    g_autofree char *cut = g_build_filename(dir, "bench-cut.json", NULL);
    g_autofree char *want_newer = NULL, *want_cut = NULL, *want_notjson = NULL;
    g_autoptr(GPtrArray) skipped = NULL;
    g_autoptr(GPtrArray) runs = NULL;
    gsize len = 0;

    g_assert_no_error(err);
    g_assert_true(g_file_get_contents(good, &text, &len, NULL));
    g_assert_true(g_file_set_contents(notjson, "hello, I am not JSON", -1, NULL));
    g_assert_true(g_file_set_contents(newer, "{\"format\": 3, \"cells\": []}", -1, NULL));
    g_assert_true(g_file_set_contents(cut, text, (gssize)(len / 2), NULL));
    runs = results_store_load(dir, &skipped);
    g_assert_cmpuint(runs->len, ==, 1);
    g_assert_cmpuint(skipped->len, ==, 3);
    want_newer = g_strdup_printf("%s: format 3 is newer than this virt-disktune reads (2)", newer);
    want_cut = g_strdup_printf("%s: not JSON: the text ends inside a value (truncated?)", cut);
    want_notjson = g_strdup_printf("%s: not JSON: ", notjson);
    for (guint i = 0; i < skipped->len; i++) {
        const char *line = g_ptr_array_index(skipped, i);

        g_test_message("skipped: %s", line);
        g_assert_null(strchr(line, '\n'));
        if (g_str_has_prefix(line, newer))
            g_assert_cmpstr(line, ==, want_newer);
        else if (g_str_has_prefix(line, cut))
            g_assert_cmpstr(line, ==, want_cut);
        else
            g_assert_true(g_str_has_prefix(line, want_notjson));
    }
    g_unlink(good);
    g_unlink(notjson);
    g_unlink(newer);
    g_unlink(cut);
    g_assert_cmpint(g_rmdir(dir), ==, 0);
}

/* A format 2 object whose header contradicts its cells, or holds a wrong type. */
static void test_format_2_header_is_checked(void)
{
    static const char *const bad[] = {
        "{\"cells\": []}",
        "{\"format\": \"2\", \"cells\": []}",
        "{\"format\": 1, \"cells\": []}",
        "{\"format\": 2}",
        "{\"format\": 2, \"cells\": [{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"}], \"target\": \"/u\"}",
        "{\"format\": 2, \"cells\": [{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"}], \"domain\": \"x\"}",
        "{\"format\": 2, \"cells\": [{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"}], \"target_identity\": {\"kind\": \"block\", \"rdev\": \"8\"}}",
        "{\"format\": 2, \"cells\": [{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"}], \"request\": {\"repeat\": -1}}",
        "{\"format\": 2, \"cells\": [{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"}], \"request\": {\"caches\": [\"fast\"]}}",
        "{\"format\": 2, \"cells\": [{\"cache\":\"none\",\"io\":\"native\",\"workload\":\"randread\",\"status\":\"ok\",\"target\":\"/t\"}], \"runner\": \"fio\"}",
        "null",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        g_autoptr(BenchPlan) plan = results_store_parse(bad[i], strlen(bad[i]), NULL, &err);

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
    g_test_add_func("/results-store/format-1-files-still-read", test_format_1_files_still_read);
    g_test_add_func("/results-store/format-2-fixture-reads-its-header",
                    test_format_2_fixture_reads_its_header);
    g_test_add_func("/results-store/format-2-round-trip-keeps-every-field",
                    test_format_2_round_trip_keeps_every_field);
    g_test_add_func("/results-store/format-2-header-is-checked", test_format_2_header_is_checked);
    g_test_add_func("/results-store/identity-of-a-file-and-of-nothing",
                    test_identity_of_a_file_and_of_nothing);
    g_test_add_func("/results-store/bad-files-are-skipped-each-with-its-line",
                    test_bad_files_are_skipped_each_with_its_line);
    g_test_add_func("/results-store/load-orders-newest-first-and-skips-bad-files",
                    test_load_orders_newest_first_and_skips_bad_files);
    return g_test_run();
}
