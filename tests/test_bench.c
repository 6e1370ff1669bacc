/* core/bench.c and core/bench_output.c: option values, plans, safety decisions, the scratch
 * file, execution on the worker thread (with a stand-in runner and with the real one on a
 * small file written with data), and the three output formats. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>
#include "core/bench.h"
#include "core/bench_mode.h"
#include "core/bench_output.h"
#include "core/results_store.h"
#include "core/statedir.h"
#include "tests/testutil.h"

/* ---- helpers ------------------------------------------------------------------------- */

/* Under $VDT_TEST_TMPDIR when set (scripts/mutants.sh: a mutant's failed test leaves its
 * files there, removed with the mutant's work), else /var/tmp (a real filesystem). */
static char *scratch_dir(void)
{
    const char *base = g_getenv("VDT_TEST_TMPDIR");
    char *tmpl = g_strdup_printf("%s/vdt-test-bench-XXXXXX", base && *base ? base : "/var/tmp");

    g_assert_nonnull(mkdtemp(tmpl));
    return tmpl;
}

static struct bench_plan *plan_for(const char *target, const char *caches, const char *ios,
                                   const char *workloads)
{
    struct bench_request req;
    GError *err = NULL;
    struct bench_plan *plan;

    bench_request_init(&req);
    g_assert_true(bench_parse_caches(caches, &req.cache_mask, &err));
    g_assert_true(bench_parse_ios(ios, &req.io_mask, &err));
    g_assert_true(bench_parse_workloads(workloads, &req.workload_mask, &err));
    plan = bench_plan_new(target, &req, 7002000, &err);
    g_assert_no_error(err);
    g_assert_nonnull(plan);
    return plan;
}

static struct bench_cell *cell(struct bench_plan *plan, guint i)
{
    return &g_array_index(plan->cells, struct bench_cell, i);
}

static int find(struct bench_plan *plan, enum cache_mode c, enum io_mode io)
{
    for (guint i = 0; i < plan->cells->len; i++)
        if (cell(plan, i)->cache == c && cell(plan, i)->io == io)
            return (int)i;
    g_assert_not_reached();
    return -1;
}

/* Collect every finished cell until the end; returns how many were reported. */
static unsigned drain(struct bench_run *run, struct bench_plan *plan)
{
    g_autofree bool *seen = g_new0(bool, plan->cells->len);
    unsigned n = 0;
    int index;

    while ((index = bench_run_next(run, -1)) != BENCH_RUN_END) {
        g_assert_cmpint(index, >=, 0);
        g_assert_cmpuint((guint)index, <, plan->cells->len);
        g_assert_false(seen[index]);
        g_assert_true(cell(plan, (guint)index)->finished);
        seen[index] = true;
        n++;
    }
    g_assert_cmpint(bench_run_next(run, 0), ==, BENCH_RUN_END);
    return n;
}

/* ---- option values -------------------------------------------------------------------- */

static void test_size_suffixes(void)
{
    static const struct { const char *text; uint64_t bytes; } good[] = {
        { "512", 512 }, { "4096", 4096 }, { "4k", 4096 }, { "4K", 4096 }, { "4KiB", 4096 },
        { "4kb", 4096 }, { "1M", 1u << 20 }, { "1m", 1u << 20 }, { "1G", 1u << 30 },
        { "256M", 256u << 20 }, { "2T", 2ull << 40 }, { "0", 0 },
    };
    static const char *const bad[] = {
        "", "k", "4x", "-1", " 4k", "4k ", "4kk", "1.5M", "99999999999999999999",
        "20000000T",
    };

    for (size_t i = 0; i < G_N_ELEMENTS(good); i++) {
        GError *err = NULL;
        uint64_t v = 1;

        g_assert_true(bench_parse_size(good[i].text, &v, &err));
        g_assert_no_error(err);
        g_assert_cmpuint(v, ==, good[i].bytes);
    }
    for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
        g_autoptr(GError) err = NULL;
        uint64_t v = 77;

        g_assert_false(bench_parse_size(bad[i], &v, &err));
        g_assert_error(err, BENCH_ERROR, BENCH_ERROR_USAGE);
        g_assert_cmpuint(v, ==, 77);
    }
}

static void test_unknown_names_are_usage_errors(void)
{
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    g_autoptr(GError) e3 = NULL;
    unsigned mask = 0;

    g_assert_false(bench_parse_caches("none,bogus", &mask, &e1));
    g_assert_error(e1, BENCH_ERROR, BENCH_ERROR_USAGE);
    g_assert_nonnull(strstr(e1->message, "bogus"));
    g_assert_false(bench_parse_ios("aio", &mask, &e2));
    g_assert_error(e2, BENCH_ERROR, BENCH_ERROR_USAGE);
    g_assert_false(bench_parse_workloads("randread,", &mask, &e3));
    g_assert_error(e3, BENCH_ERROR, BENCH_ERROR_USAGE);
    g_assert_true(bench_parse_ios("io_uring,native", &mask, NULL));
    g_assert_cmphex(mask, ==, (1u << IO_URING) | (1u << IO_NATIVE));
    g_assert_cmpint(bench_mode_from_name("destructive"), ==, BENCH_MODE_DESTRUCTIVE);
    g_assert_cmpint(bench_mode_from_name("rw"), ==, -1);
}

/* ---- plans ------------------------------------------------------------------------------ */

static void test_plan_all_is_15_cells_per_workload_3_invalid(void)
{
    g_autoptr(BenchPlan) plan = plan_for("/dev/null", "all", "all", "all");
    unsigned per_kind[WL_COUNT] = { 0 }, invalid[WL_COUNT] = { 0 };

    g_assert_cmpuint(plan->cells->len, ==, 15 * WL_COUNT);
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = cell(plan, i);

        per_kind[c->kind]++;
        if (c->valid)
            continue;
        invalid[c->kind]++;
        /* Only io=native without O_DIRECT is rejected (DESIGN.md). */
        g_assert_cmpint(c->io, ==, IO_NATIVE);
        g_assert_false(cache_mode_info(c->cache)->direct);
        g_assert_true(c->finished);
        g_assert_cmpint(c->result.status, ==, CELL_INVALID);
        g_assert_nonnull(strstr(c->result.reason, "native"));
    }
    for (int k = 0; k < WL_COUNT; k++) {
        g_assert_cmpuint(per_kind[k], ==, 15);
        g_assert_cmpuint(invalid[k], ==, 3);
    }
    g_assert_cmpuint(bench_plan_runnable(plan), ==, 12 * WL_COUNT);
    g_assert_true(bench_plan_writes(plan));
}

/* --read-pct turns any workload's read share; what writes is decided from the result, so a
 * read workload given writes needs write permission and a mixed one at 100 % does not. */
static void test_plan_read_share_override_decides_writes(void)
{
    struct bench_request req;
    GError *err = NULL;
    g_autoptr(BenchPlan) reads_with_writes = NULL;
    g_autoptr(BenchPlan) mixed_all_reads = NULL;

    bench_request_init(&req);
    g_assert_cmpint(req.read_pct, <, 0);
    req.read_pct = 50;
    reads_with_writes = bench_plan_new("/dev/null", &req, 7002000, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(cell(reads_with_writes, 0)->wl.read_pct, ==, 50);
    g_assert_true(bench_plan_writes(reads_with_writes));

    bench_request_init(&req);
    g_assert_true(bench_parse_workloads("mixed", &req.workload_mask, &err));
    req.read_pct = 100;
    mixed_all_reads = bench_plan_new("/dev/null", &req, 7002000, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(cell(mixed_all_reads, 0)->wl.read_pct, ==, 100);
    g_assert_false(bench_plan_writes(mixed_all_reads));
}

static void test_plan_defaults(void)
{
    g_autoptr(BenchPlan) plan = plan_for("/dev/null", NULL, NULL, NULL);

    g_assert_cmpuint(plan->cells->len, ==, 15);
    g_assert_cmpfloat(plan->runtime_s, ==, 5.0);
    g_assert_cmpfloat(plan->ramp_s, ==, 1.0);
    g_assert_cmpuint(plan->iothreads, ==, 1);
    g_assert_cmpuint(plan->span, ==, 0);
    g_assert_cmpuint(plan->qemu_version, ==, 7002000);
    g_assert_nonnull(plan->kernel);
    g_assert_cmpstr(plan->kernel, !=, "");
    g_assert_false(bench_plan_writes(plan));
    for (guint i = 0; i < plan->cells->len; i++) {
        g_assert_cmpint(cell(plan, i)->kind, ==, WL_RANDREAD);
        g_assert_cmpuint(cell(plan, i)->wl.block, ==, 4096);
        g_assert_cmpuint(cell(plan, i)->wl.depth, ==, 32);
    }
}

static void test_plan_overrides_apply_to_every_cell(void)
{
    struct bench_request req;
    GError *err = NULL;
    g_autoptr(BenchPlan) plan = NULL;

    bench_request_init(&req);
    req.workload_mask = (1u << WL_SEQREAD) | (1u << WL_SYNCWRITE);
    req.block = 8192;
    req.depth = 4;
    req.runtime_s = 0.5;
    req.ramp_s = 0;
    plan = bench_plan_new("/dev/null", &req, 0, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(plan->cells->len, ==, 30);
    g_assert_cmpfloat(plan->ramp_s, ==, 0);
    for (guint i = 0; i < plan->cells->len; i++) {
        g_assert_cmpuint(cell(plan, i)->wl.block, ==, 8192);
        g_assert_cmpuint(cell(plan, i)->wl.depth, ==, 4);
    }
    /* Overrides change size and depth, not what the workload is. */
    g_assert_true(cell(plan, 29)->wl.flush_each);
}

static void test_plan_rejects_bad_values(void)
{
    struct bench_request req;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;

    bench_request_init(&req);
    req.block = 1000;
    g_assert_null(bench_plan_new("/dev/null", &req, 0, &e1));
    g_assert_error(e1, BENCH_ERROR, BENCH_ERROR_USAGE);
    bench_request_init(&req);
    req.io_mask = 0;
    g_assert_null(bench_plan_new("/dev/null", &req, 0, &e2));
    g_assert_error(e2, BENCH_ERROR, BENCH_ERROR_USAGE);
}

/* Each value within its own limit, but buffers of block × depth × iothreads = 64 MiB × 4096
 * × 64 = 16 TiB: all touched, the OOM killer would pick a guest. */
static void test_plan_rejects_a_buffer_product_over_budget(void)
{
    struct bench_request req;
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    g_autoptr(GError) e3 = NULL;
    g_autoptr(BenchPlan) small = NULL;

    bench_request_init(&req);
    req.block = 64u << 20;
    req.depth = 4096;
    req.iothreads = 64;
    g_assert_null(bench_plan_new("/dev/null", &req, 0, &e1));
    g_assert_error(e1, BENCH_ERROR, BENCH_ERROR_USAGE);
    g_assert_nonnull(strstr(e1->message, "16 TiB"));
    g_assert_nonnull(strstr(e1->message, "--block 64 MiB"));
    g_assert_nonnull(strstr(e1->message, "--depth 4096"));
    g_assert_nonnull(strstr(e1->message, "--iothreads 64"));
    /* The product of a workload's own depth with --block counts too: seqread's depth 4. */
    bench_request_init(&req);
    req.workload_mask = 1u << WL_SEQREAD;
    req.block = 64u << 20;
    req.iothreads = 8;
    g_assert_null(bench_plan_new("/dev/null", &req, 0, &e2));
    g_assert_error(e2, BENCH_ERROR, BENCH_ERROR_USAGE);
    /* 2 GiB with one thread: over the 1 GiB ceiling whatever the memory. */
    bench_request_init(&req);
    req.block = 1u << 20;
    req.depth = 2048;
    g_assert_null(bench_plan_new("/dev/null", &req, 0, &e3));
    g_assert_error(e3, BENCH_ERROR, BENCH_ERROR_USAGE);
    /* 4 KiB × 32 × 2 = 256 KiB is fine. */
    bench_request_init(&req);
    req.block = 4096;
    req.depth = 32;
    req.iothreads = 2;
    small = bench_plan_new("/dev/null", &req, 0, NULL);
    g_assert_nonnull(small);
}

/* ---- execution with a stand-in runner ----------------------------------------------------- */

static atomic_uint fake_calls;
static atomic_uint fake_invalid_calls;
static atomic_bool fake_saw_target;

/* The (cache, io) of each call in order, cache * 10 + io; the runner runs on one worker. */
static int fake_order[64];

static int fake_runner(const struct run_spec *spec, struct run_progress *progress,
                       const atomic_bool *cancel, struct run_result *out)
{
    struct stat st;
    unsigned n = atomic_fetch_add(&fake_calls, 1);

    if (n < G_N_ELEMENTS(fake_order))
        fake_order[n] = spec->cache * 10 + spec->io;
    if (!cache_io_valid(spec->cache, spec->io, NULL))
        atomic_fetch_add(&fake_invalid_calls, 1);
    if (stat(spec->path, &st) == 0)
        atomic_store(&fake_saw_target, true);
    memset(out, 0, sizeof(*out));
    out->status = RUN_OK;
    out->ops = 1000 + spec->cache * 10 + spec->io;
    out->seconds = 1;
    out->iops = (double)out->ops;
    out->data_fraction = 1;
    atomic_store(&progress->phase, 3);
    return 0;
}

/* A thin volume (253:2 in the fake sysfs tree tests/data/sysfs/storage, reached through a
 * node made with mknod): every cell that reads warns, cells that only write do not. */
static void test_thin_volume_warns_in_every_read_cell(void)
{
    g_autofree char *dir = NULL, *node = NULL, *lv = NULL, *sysroot = NULL;
    g_autoptr(BenchPlan) plan = NULL;
    g_autoptr(BenchPlan) plain = NULL;
    struct bench_run *run;
    GError *err = NULL;

    if (geteuid() != 0) {
        testutil_skip("mknod needs root; the unit suite runs as root");
        return;
    }
    g_assert_nonnull(g_getenv("VDT_TESTDATA"));
    sysroot = g_build_filename(g_getenv("VDT_TESTDATA"), "sysfs", "storage", NULL);
    dir = scratch_dir();
    node = g_build_filename(dir, "thin1", NULL);
    lv = g_build_filename(dir, "lv1", NULL);
    g_assert_cmpint(mknod(node, S_IFBLK | 0600, makedev(253, 2)), ==, 0);
    g_assert_cmpint(mknod(lv, S_IFBLK | 0600, makedev(253, 0)), ==, 0);

    plain = plan_for(lv, "none", "io_uring", "randread");
    g_assert_false(bench_plan_check_thin(plain, sysroot));
    plan = plan_for(node, "none,writeback", "io_uring", "randread,randwrite,mixed");
    g_assert_true(bench_plan_check_thin(plan, sysroot));
    g_assert_true(plan->thin);
    plan->runner = fake_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(drain(run, plan), ==, plan->cells->len);
    bench_run_free(run);
    g_assert_cmpuint(plan->cells->len, ==, 6);
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = cell(plan, i);
        bool warned = strstr(c->result.reason, BENCH_THIN_WARNING) != NULL;

        g_assert_cmpint(c->result.status, ==, CELL_OK);
        g_assert_cmpint(warned, ==, c->kind != WL_RANDWRITE);
    }
    g_assert_cmpint(unlink(node), ==, 0);
    g_assert_cmpint(unlink(lv), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

/* Runs until cancelled, as the real runner does, and says so. */
static int blocking_runner(const struct run_spec *spec, struct run_progress *progress,
                           const atomic_bool *cancel, struct run_result *out)
{
    atomic_fetch_add(&fake_calls, 1);
    atomic_store(&progress->phase, 2);
    while (!atomic_load(cancel)) {
        atomic_fetch_add(&progress->ops, 1);
        g_usleep(1000);
    }
    memset(out, 0, sizeof(*out));
    out->status = RUN_CANCELLED;
    out->ops = atomic_load(&progress->ops);
    g_strlcpy(out->reason, "cancelled while measuring", sizeof(out->reason));
    return 0;
}

/* Cells run io mode by io mode, cache modes within: no two in a row share a cache mode, so
 * no buffered cell follows another of the same mode that warmed the page cache for it. */
static void test_cells_run_interleaved(void)
{
    g_autoptr(BenchPlan) plan = plan_for("/dev/null", "all", "all", "randread");
    g_autoptr(GError) err = NULL;
    struct bench_run *run;
    unsigned n;

    atomic_store(&fake_calls, 0);
    plan->runner = fake_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    drain(run, plan);
    bench_run_free(run);
    n = atomic_load(&fake_calls);
    g_assert_cmpuint(n, ==, 12);
    g_assert_cmpint(fake_order[0], ==, CACHE_NONE * 10 + IO_NATIVE);
    g_assert_cmpint(fake_order[1], ==, CACHE_DIRECTSYNC * 10 + IO_NATIVE);
    g_assert_cmpint(fake_order[2], ==, CACHE_NONE * 10 + IO_THREADS);
    for (unsigned i = 1; i < n; i++)
        g_assert_cmpint(fake_order[i] / 10, !=, fake_order[i - 1] / 10);
}

static void test_invalid_cells_never_run(void)
{
    g_autoptr(BenchPlan) plan = plan_for("/dev/null", "all", "all", "randread");
    g_autoptr(GError) err = NULL;
    struct bench_run *run;

    atomic_store(&fake_calls, 0);
    atomic_store(&fake_invalid_calls, 0);
    plan->runner = fake_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    g_assert_cmpint(bench_run_fd(run), >=, 0);
    g_assert_cmpuint(drain(run, plan), ==, 15);
    bench_run_free(run);
    g_assert_cmpuint(atomic_load(&fake_calls), ==, 12);
    g_assert_cmpuint(atomic_load(&fake_invalid_calls), ==, 0);
    for (guint i = 0; i < plan->cells->len; i++)
        g_assert_cmpint(cell(plan, i)->result.status, ==,
                        cell(plan, i)->valid ? CELL_OK : CELL_INVALID);
    g_assert_cmpint(bench_output_best(plan, WL_RANDREAD), ==,
                    find(plan, CACHE_UNSAFE, IO_URING));
}

static void test_cancel_marks_the_rest_cancelled(void)
{
    g_autoptr(BenchPlan) plan = plan_for("/dev/null", "writeback,none", "native,threads",
                                         "randread");
    g_autoptr(GError) err = NULL;
    struct bench_progress p = { .cell = -1 };
    struct bench_run *run;

    atomic_store(&fake_calls, 0);
    plan->runner = blocking_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    /* Waits for the first runnable cell to start; no time limit is asserted. */
    while (p.cell < 0 || p.ops == 0) {
        g_usleep(1000);
        bench_run_progress(run, &p);
    }
    g_assert_cmpuint(p.ordinal, ==, 1);
    g_assert_cmpint(p.phase, ==, 2);
    bench_run_cancel(run);
    g_assert_cmpuint(drain(run, plan), ==, 4);
    bench_run_progress(run, &p);
    g_assert_cmpint(p.cell, ==, -1);
    bench_run_free(run);

    g_assert_cmpuint(atomic_load(&fake_calls), ==, 1);
    /* Plan order (enum order, not the list's): none/native (ran, cancelled), none/threads
     * (never started), writeback/native (invalid), writeback/threads (never started). */
    g_assert_cmpint(cell(plan, 0)->result.status, ==, CELL_CANCELLED);
    g_assert_cmpuint(cell(plan, 0)->result.ops, >, 0);
    g_assert_cmpint(cell(plan, 1)->result.status, ==, CELL_CANCELLED);
    g_assert_cmpstr(cell(plan, 1)->result.reason, ==, "cancelled before it ran");
    g_assert_cmpint(cell(plan, 2)->result.status, ==, CELL_INVALID);
    g_assert_cmpint(cell(plan, 3)->result.status, ==, CELL_CANCELLED);
}

/* ---- execution with the real runner -------------------------------------------------------- */

static void test_real_runner_measures_a_file(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *path = g_build_filename(dir, "target", NULL);
    g_autoptr(BenchPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    struct bench_request req;
    struct bench_run *run;

    testutil_write_data(path, 8u << 20);
    bench_request_init(&req);
    g_assert_true(bench_parse_caches("none,writeback", &req.cache_mask, NULL));
    g_assert_true(bench_parse_ios("threads,io_uring", &req.io_mask, NULL));
    req.runtime_s = 0.2;
    req.ramp_s = 0;
    req.depth = 4;
    req.pool_workers = 4;
    plan = bench_plan_new(path, &req, 7002000, &err);
    g_assert_no_error(err);
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(drain(run, plan), ==, 4);
    bench_run_free(run);
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_result *r = &cell(plan, i)->result;

        g_assert_cmpstr(bench_status_name(r->status), ==, "ok");
        g_assert_cmpuint(r->ops, >, 0);
        g_assert_cmpfloat(r->iops, >, 0);
        g_assert_cmpuint(r->lat_ns.p99, >=, r->lat_ns.p50);
        g_assert_cmpfloat(r->data_fraction, >, 0.99);
    }
    g_assert_cmpint(unlink(path), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

/* ---- safety and scratch ---------------------------------------------------------------------- */

static void test_scratch_creates_and_removes_the_file(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *path = g_build_filename(dir, "scratch", NULL);
    struct bench_authority auth = { .mode = BENCH_MODE_SCRATCH };
    g_autoptr(BenchPlan) plan = plan_for(path, "writeback", "io_uring", "randwrite");
    g_autoptr(GError) err = NULL;
    g_autofree char *data = NULL;
    struct bench_run *run;
    gsize len = 0, zeros = 0;
    struct stat st;

    plan->span = 4u << 20;
    g_assert_true(bench_plan_authorize(plan, &auth, &err));
    g_assert_no_error(err);
    g_assert_true(plan->allow_write);
    g_assert_cmpint(access(path, F_OK), ==, -1);   /* authorizing creates nothing */

    g_assert_true(bench_scratch_create(plan, &err));
    g_assert_no_error(err);
    g_assert_true(plan->scratch);
    g_assert_cmpint(lstat(path, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    g_assert_cmpint(st.st_size, ==, 4 << 20);
    g_assert_cmpint((gint64)st.st_blocks * 512, >=, 4 << 20);   /* not sparse */
    g_assert_true(g_file_get_contents(path, &data, &len, NULL));
    for (gsize i = 0; i < len; i++)
        zeros += data[i] == 0;
    g_assert_cmpuint(zeros, <, len / 64);

    atomic_store(&fake_saw_target, false);
    plan->runner = fake_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(drain(run, plan), ==, 1);
    bench_run_free(run);
    g_assert_true(atomic_load(&fake_saw_target));

    g_assert_true(bench_scratch_remove(plan, &err));
    g_assert_cmpint(access(path, F_OK), ==, -1);
    g_assert_cmpint(errno, ==, ENOENT);
    g_assert_true(bench_scratch_remove(plan, &err));   /* idempotent */
    g_assert_cmpint(rmdir(dir), ==, 0);
}

/* A write mode that forgot its check before each cell (before_cell NULL) is not trusted:
 * its writing cells are refused and never reach the runner; its reads run. */
static bool allow_everything(struct bench_plan *plan, const struct bench_authority *auth,
                             GError **err)
{
    plan->allow_write = true;
    return true;
}

static void test_a_mode_without_a_per_cell_check_never_writes(void)
{
    static const struct bench_mode_ops careless = {
        .mode = BENCH_MODE_DESTRUCTIVE, .name = "careless", .authorize = allow_everything,
    };
    g_autoptr(BenchPlan) plan = plan_for("/var/tmp/vdt-never-written", "none", "io_uring",
                                         "randread,randwrite");
    g_autoptr(GError) err = NULL;
    struct bench_run *run;

    g_assert_true(careless.authorize(plan, NULL, &err));
    plan->mode_ops = &careless;
    plan->runner = fake_runner;
    atomic_store(&fake_calls, 0);
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(drain(run, plan), ==, 2);
    bench_run_free(run);
    g_assert_cmpint(cell(plan, 0)->result.status, ==, CELL_OK);
    g_assert_cmpint(cell(plan, 1)->result.status, ==, CELL_REFUSED);
    g_assert_nonnull(strstr(cell(plan, 1)->result.reason, "no per-cell safety check"));
    g_assert_cmpuint(atomic_load(&fake_calls), ==, 1);
}

static void test_scratch_refuses_an_existing_path(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *path = g_build_filename(dir, "precious", NULL);
    struct bench_authority auth = { .mode = BENCH_MODE_SCRATCH };
    g_autoptr(BenchPlan) plan = plan_for(path, "none", "native", "randwrite");
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;
    g_autofree char *data = NULL;

    g_assert_true(g_file_set_contents(path, "keep me", -1, NULL));
    g_assert_false(bench_plan_authorize(plan, &auth, &err));
    g_assert_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED);
    g_assert_nonnull(strstr(err->message, path));
    g_assert_false(plan->allow_write);
    /* Even when called without the check, creation never reuses the file. */
    g_assert_false(bench_scratch_create(plan, &err2));
    g_assert_error(err2, BENCH_ERROR, BENCH_ERROR_REFUSED);
    g_assert_false(plan->scratch);
    g_assert_true(g_file_get_contents(path, &data, NULL, NULL));
    g_assert_cmpstr(data, ==, "keep me");
    g_assert_cmpint(unlink(path), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

static void test_destructive_needs_the_path_confirmed(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *path = g_build_filename(dir, "victim", NULL);
    g_autofree char *other = g_build_filename(dir, "other", NULL);
    g_autoptr(BenchPlan) plan = plan_for(path, "none", "io_uring", "randwrite");
    struct bench_authority auth = { .mode = BENCH_MODE_DESTRUCTIVE };
    g_autoptr(GError) e1 = NULL;
    g_autoptr(GError) e2 = NULL;
    g_autoptr(GError) e3 = NULL;
    struct stat st;

    testutil_write_data(path, 1u << 20);
    g_assert_false(bench_plan_authorize(plan, &auth, &e1));
    g_assert_error(e1, BENCH_ERROR, BENCH_ERROR_REFUSED);
    g_assert_nonnull(strstr(e1->message, "--yes-destroy-data"));
    g_assert_false(plan->allow_write);

    auth.yes_destroy_data = other;
    g_assert_false(bench_plan_authorize(plan, &auth, &e2));
    g_assert_error(e2, BENCH_ERROR, BENCH_ERROR_REFUSED);
    g_assert_false(plan->allow_write);

    /* Named in full and used by nothing: allowed, for this very file only. */
    auth.yes_destroy_data = path;
    g_assert_true(bench_plan_authorize(plan, &auth, &e3));
    g_assert_no_error(e3);
    g_assert_true(plan->allow_write);
    g_assert_true(plan->identity_known);
    g_assert_cmpint(stat(path, &st), ==, 0);
    g_assert_cmpuint(plan->target_ino, ==, st.st_ino);
    g_assert_cmpuint(plan->target_dev, ==, st.st_dev);
    g_assert_cmpuint(plan->target_rdev, ==, 0);
    g_assert_cmpint(unlink(path), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

/* A child process holds path open until the returned pipe end is closed. */
static pid_t hold_open(const char *path, int *release)
{
    int ready[2], hold[2];
    char c;
    pid_t pid;

    g_assert_cmpint(pipe(ready), ==, 0);
    g_assert_cmpint(pipe(hold), ==, 0);
    pid = fork();
    g_assert_cmpint(pid, >=, 0);
    if (pid == 0) {
        int fd = open(path, O_RDWR);

        close(ready[0]);
        close(hold[1]);
        if (fd < 0 || write(ready[1], "x", 1) != 1)
            _exit(1);
        while (read(hold[0], &c, 1) > 0)
            ;
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    g_assert_cmpint(read(ready[0], &c, 1), ==, 1);
    close(ready[0]);
    *release = hold[1];
    return pid;
}

static void test_destructive_on_a_target_in_use_is_refused(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *path = g_build_filename(dir, "busy", NULL);
    g_autoptr(BenchPlan) plan = plan_for(path, "none", "io_uring", "randwrite");
    struct bench_authority auth = { .mode = BENCH_MODE_DESTRUCTIVE, .yes_destroy_data = path };
    g_autoptr(GError) err = NULL;
    int release, wstatus;
    pid_t pid;

    testutil_write_data(path, 1u << 20);
    pid = hold_open(path, &release);
    g_assert_false(bench_plan_authorize(plan, &auth, &err));
    g_assert_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED);
    g_assert_nonnull(strstr(err->message, "in use"));
    g_assert_false(plan->allow_write);
    close(release);
    g_assert_cmpint(waitpid(pid, &wstatus, 0), ==, pid);
    g_assert_true(WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0);
    g_assert_cmpint(unlink(path), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

static pid_t opener_pid;
static int opener_release = -1;

/* Runs like fake_runner; its first cell also has another process open the target. */
static int opener_runner(const struct run_spec *spec, struct run_progress *progress,
                         const atomic_bool *cancel, struct run_result *out)
{
    if (opener_release < 0)
        opener_pid = hold_open(spec->path, &opener_release);
    return fake_runner(spec, progress, cancel, out);
}

/* The target comes into use during the first cell: the check before each writing cell
 * refuses that cell and every later writing cell; reads go on. */
static void test_target_in_use_after_the_first_cell_refuses_later_writes(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *path = g_build_filename(dir, "later", NULL);
    g_autoptr(BenchPlan) plan = plan_for(path, "none,writeback", "io_uring",
                                         "randwrite,seqread");
    struct bench_authority auth = { .mode = BENCH_MODE_DESTRUCTIVE, .yes_destroy_data = path };
    g_autoptr(GError) err = NULL;
    struct bench_run *run;
    int wstatus;

    testutil_write_data(path, 1u << 20);
    g_assert_true(bench_plan_authorize(plan, &auth, &err));
    g_assert_no_error(err);
    atomic_store(&fake_calls, 0);
    opener_release = -1;
    plan->runner = opener_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(drain(run, plan), ==, 4);
    bench_run_free(run);
    g_assert_cmpuint(plan->cells->len, ==, 4);
    g_assert_cmpint(cell(plan, 0)->kind, ==, WL_RANDWRITE);
    g_assert_cmpint(cell(plan, 0)->result.status, ==, CELL_OK);
    g_assert_cmpint(cell(plan, 1)->kind, ==, WL_RANDWRITE);
    g_assert_cmpint(cell(plan, 1)->result.status, ==, CELL_REFUSED);
    g_assert_nonnull(strstr(cell(plan, 1)->result.reason, "in use"));
    g_assert_cmpint(cell(plan, 2)->result.status, ==, CELL_OK);
    g_assert_cmpint(cell(plan, 3)->result.status, ==, CELL_OK);
    g_assert_cmpuint(atomic_load(&fake_calls), ==, 3);
    close(opener_release);
    opener_release = -1;
    g_assert_cmpint(waitpid(opener_pid, &wstatus, 0), ==, opener_pid);
    g_assert_cmpint(unlink(path), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

/* Refuses every writing cell as the runner does when another holds the device. */
static int busy_runner(const struct run_spec *spec, struct run_progress *progress,
                       const atomic_bool *cancel, struct run_result *out)
{
    if (!workload_writes(&spec->wl))
        return fake_runner(spec, progress, cancel, out);
    atomic_fetch_add(&fake_calls, 1);
    memset(out, 0, sizeof(*out));
    out->status = RUN_REFUSED;
    out->err = EBUSY;
    g_strlcpy(out->reason, "in use (exclusive open: EBUSY)", sizeof(out->reason));
    return -EBUSY;
}

/* The runner's refusal stands for the later writing cells too: they never reach it. */
static void test_runner_refusal_refuses_later_writes(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *path = g_build_filename(dir, "claimed", NULL);
    g_autoptr(BenchPlan) plan = plan_for(path, "none,writeback", "io_uring",
                                         "randwrite,seqread");
    struct bench_authority auth = { .mode = BENCH_MODE_DESTRUCTIVE, .yes_destroy_data = path };
    g_autoptr(GError) err = NULL;
    struct bench_run *run;

    testutil_write_data(path, 1u << 20);
    g_assert_true(bench_plan_authorize(plan, &auth, &err));
    atomic_store(&fake_calls, 0);
    plan->runner = busy_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(drain(run, plan), ==, 4);
    bench_run_free(run);
    for (guint i = 0; i < 2; i++) {
        g_assert_cmpint(cell(plan, i)->result.status, ==, CELL_REFUSED);
        g_assert_cmpstr(cell(plan, i)->result.reason, ==, "in use (exclusive open: EBUSY)");
    }
    g_assert_cmpint(cell(plan, 2)->result.status, ==, CELL_OK);
    g_assert_cmpint(cell(plan, 3)->result.status, ==, CELL_OK);
    g_assert_cmpuint(atomic_load(&fake_calls), ==, 3);
    g_assert_cmpint(unlink(path), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

static void test_read_only_mode_refuses_writes_allows_reads(void)
{
    g_autoptr(BenchPlan) writes = plan_for("/var/tmp/x", "none", "native", "randread,mixed");
    g_autoptr(BenchPlan) reads = plan_for("/var/tmp/x", "none", "native", "randread,seqread");
    struct bench_authority auth = { .mode = BENCH_MODE_READ_ONLY };
    g_autoptr(GError) err = NULL;

    g_assert_false(bench_plan_authorize(writes, &auth, &err));
    g_assert_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED);
    g_assert_nonnull(strstr(err->message, "--mode scratch"));
    g_assert_nonnull(strstr(err->message, "--mode destructive"));
    g_assert_true(bench_plan_authorize(reads, &auth, NULL));
    g_assert_false(reads->allow_write);
}

static void test_domain_disk_writes_refused_in_any_mode(void)
{
    static const enum bench_mode modes[] = { BENCH_MODE_READ_ONLY, BENCH_MODE_DESTRUCTIVE,
                                             BENCH_MODE_PRESERVE };
    g_autoptr(BenchPlan) writes = plan_for("/dev/vg0/web1", "none", "native", "syncwrite");
    g_autoptr(BenchPlan) reads = plan_for("/dev/vg0/web1", "none", "native", "randread");
    struct bench_authority auth = { .domain_disk = true, .yes_destroy_data = "/dev/vg0/web1" };
    g_autoptr(GError) usage = NULL;

    for (size_t i = 0; i < G_N_ELEMENTS(modes); i++) {
        g_autoptr(GError) err = NULL;

        auth.mode = modes[i];
        g_assert_false(bench_plan_authorize(writes, &auth, &err));
        g_assert_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED);
        g_assert_false(writes->allow_write);
    }
    auth.mode = BENCH_MODE_READ_ONLY;
    g_assert_true(bench_plan_authorize(reads, &auth, NULL));
    g_assert_false(reads->allow_write);
    auth.mode = BENCH_MODE_SCRATCH;
    g_assert_false(bench_plan_authorize(reads, &auth, &usage));
    g_assert_error(usage, BENCH_ERROR, BENCH_ERROR_USAGE);
}

/* Preserve mode: a target nobody uses is allowed, its span cut to the journal limit and
 * QEMU's image lock taken; a target whose image lock someone holds (a QEMU) is refused. */
static void test_preserve_authorizes_and_locks(void)
{
    g_autofree char *dir = scratch_dir();
    g_autofree char *img = g_build_filename(dir, "disk.img", NULL);
    g_autofree char *jdir = g_build_filename(dir, "journals", NULL);
    g_autoptr(BenchPlan) plan = NULL;
    g_autoptr(BenchPlan) second = NULL;
    struct bench_authority auth = { .mode = BENCH_MODE_PRESERVE };
    struct bench_request req;
    g_autoptr(GError) err = NULL;

    testutil_write_data(img, 4 << 20);
    g_setenv("VIRT_DISKTUNE_JOURNAL_DIR", jdir, TRUE);
    bench_request_init(&req);
    req.workload_mask = 1u << WL_RANDWRITE;
    req.journal_limit = 1 << 20;
    plan = bench_plan_new(img, &req, 7002000, &err);
    g_assert_no_error(err);
    g_assert_true(bench_plan_authorize(plan, &auth, &err));
    g_assert_no_error(err);
    g_assert_true(plan->allow_write);
    g_assert_cmpuint(plan->span, ==, 1 << 20);
    /* A second run on the same image meets the first one's lock, as a QEMU would. */
    second = bench_plan_new(img, &req, 7002000, &err);
    g_assert_false(bench_plan_authorize(second, &auth, &err));
    g_assert_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED);
    g_assert_nonnull(strstr(err->message, "lock"));
    g_assert_false(second->allow_write);
    g_clear_pointer(&plan, bench_plan_free);
    g_clear_pointer(&second, bench_plan_free);
    g_unsetenv("VIRT_DISKTUNE_JOURNAL_DIR");
    g_assert_cmpint(unlink(img), ==, 0);
    rmdir(jdir);
    g_assert_cmpint(rmdir(dir), ==, 0);
}

/* ---- output ------------------------------------------------------------------------------- */

/* A plan with results as a run would leave them: two ok, one unsupported, one error, and
 * the invalid ones. */
static struct bench_plan *plan_with_results(void)
{
    struct bench_plan *plan = plan_for("/var/tmp/t,1", "none,writeback,directsync",
                                       "native,io_uring", "randread");
    struct bench_cell *c;

    c = cell(plan, (guint)find(plan, CACHE_NONE, IO_NATIVE));
    c->result = (struct bench_result){ .status = CELL_OK, .ops = 600000, .bytes = 600000 * 4096ull,
        .seconds = 5, .iops = 120000, .bytes_per_s = 120000 * 4096.0,
        .lat_ns = { 260000, 250000, 410000, 900000, 2000000 }, .cpu_us_per_io = 6.5,
        .ctx_switches = 1234, .data_fraction = 1 };
    c = cell(plan, (guint)find(plan, CACHE_NONE, IO_URING));
    c->result = (struct bench_result){ .status = CELL_OK, .ops = 750000, .seconds = 5,
        .iops = 150000, .bytes_per_s = 150000 * 4096.0,
        .lat_ns = { 210000, 200000, 330000, 700000, 1500000 }, .cpu_us_per_io = 5.1,
        .ctx_switches = 99, .data_fraction = 0.5 };
    c = cell(plan, (guint)find(plan, CACHE_WRITEBACK, IO_URING));
    c->result = (struct bench_result){ .status = CELL_UNSUPPORTED, .err = EINVAL };
    g_strlcpy(c->result.reason, "O_DIRECT: Invalid argument", sizeof(c->result.reason));
    c = cell(plan, (guint)find(plan, CACHE_DIRECTSYNC, IO_NATIVE));
    c->result = (struct bench_result){ .status = CELL_ERROR, .err = EIO };
    g_strlcpy(c->result.reason, "read, at offset 4096: \"EIO\"", sizeof(c->result.reason));
    c = cell(plan, (guint)find(plan, CACHE_DIRECTSYNC, IO_URING));
    c->result = (struct bench_result){ .status = CELL_OK, .ops = 50000, .seconds = 5,
        .iops = 10000, .lat_ns = { 3000000, 3000000, 4000000, 5000000, 6000000 } };
    for (guint i = 0; i < plan->cells->len; i++)
        cell(plan, i)->finished = true;
    return plan;
}

static void test_json_has_every_contract_key(void)
{
    static const char *const keys[] = {
        "cache", "io", "workload", "block", "depth", "status", "reason", "iops",
        "bytes_per_s", "lat_ns", "cpu_us_per_io", "ctx_switches", "target", "qemu_version",
        "kernel", "runtime_s", "ops", "data_fraction", "device_read_share",
    };
    static const char *const lat_keys[] = { "mean", "p50", "p99", "p999", "max" };
    g_autoptr(BenchPlan) plan = plan_with_results();
    json_object *arr = bench_output_json(plan);
    json_object *back = json_tokener_parse(json_object_to_json_string(arr));
    json_object *v, *lat;

    json_object_put(arr);
    g_assert_nonnull(back);
    g_assert_true(json_object_is_type(back, json_type_array));
    g_assert_cmpuint(json_object_array_length(back), ==, plan->cells->len);
    for (size_t i = 0; i < json_object_array_length(back); i++) {
        json_object *o = json_object_array_get_idx(back, i);

        for (size_t k = 0; k < G_N_ELEMENTS(keys); k++)
            g_assert_true(json_object_object_get_ex(o, keys[k], NULL));
        g_assert_true(json_object_object_get_ex(o, "status", &v));
        g_assert_cmpstr(json_object_get_string(v), ==,
                        bench_status_name(cell(plan, (guint)i)->result.status));
        g_assert_true(json_object_object_get_ex(o, "target", &v));
        g_assert_cmpstr(json_object_get_string(v), ==, "/var/tmp/t,1");
        g_assert_true(json_object_object_get_ex(o, "qemu_version", &v));
        g_assert_cmpstr(json_object_get_string(v), ==, "7.2.0");
    }
    /* none/io_uring: measured; every figure is there. */
    v = json_object_array_get_idx(back, (size_t)find(plan, CACHE_NONE, IO_URING));
    g_assert_true(json_object_object_get_ex(v, "iops", &lat));
    g_assert_cmpfloat(json_object_get_double(lat), ==, 150000);
    g_assert_true(json_object_object_get_ex(v, "data_fraction", &lat));
    g_assert_cmpfloat(json_object_get_double(lat), ==, 0.5);
    g_assert_true(json_object_object_get_ex(v, "lat_ns", &lat));
    g_assert_true(json_object_is_type(lat, json_type_object));
    for (size_t k = 0; k < G_N_ELEMENTS(lat_keys); k++)
        g_assert_true(json_object_object_get_ex(lat, lat_keys[k], NULL));
    g_assert_true(json_object_object_get_ex(lat, "p99", &lat));
    g_assert_cmpint(json_object_get_int64(lat), ==, 330000);
    g_assert_true(json_object_object_get_ex(v, "reason", &lat));
    g_assert_null(lat);
    /* writeback/native: invalid, with the reason and no figures. */
    v = json_object_array_get_idx(back, (size_t)find(plan, CACHE_WRITEBACK, IO_NATIVE));
    g_assert_true(json_object_object_get_ex(v, "status", &lat));
    g_assert_cmpstr(json_object_get_string(lat), ==, "invalid");
    g_assert_true(json_object_object_get_ex(v, "reason", &lat));
    g_assert_nonnull(strstr(json_object_get_string(lat), "native"));
    g_assert_true(json_object_object_get_ex(v, "iops", &lat));
    g_assert_null(lat);
    g_assert_true(json_object_object_get_ex(v, "lat_ns", &lat));
    g_assert_null(lat);
    json_object_put(back);
}

/* Splits one RFC 4180 line into fields. */
static GPtrArray *csv_split(const char *line)
{
    GPtrArray *fields = g_ptr_array_new_with_free_func(g_free);
    GString *f = g_string_new(NULL);
    bool quoted = false;

    for (const char *p = line; *p; p++) {
        if (quoted && *p == '"' && p[1] == '"') {
            g_string_append_c(f, '"');
            p++;
        } else if (*p == '"') {
            quoted = !quoted;
        } else if (*p == ',' && !quoted) {
            g_ptr_array_add(fields, g_string_free(f, FALSE));
            f = g_string_new(NULL);
        } else {
            g_string_append_c(f, *p);
        }
    }
    g_ptr_array_add(fields, g_string_free(f, FALSE));
    return fields;
}

static void test_csv_columns(void)
{
    static const char header[] =
        "target,cache,io,workload,block,depth,status,reason,iops,bytes_per_s,lat_ns_mean,"
        "lat_ns_p50,lat_ns_p99,lat_ns_p999,lat_ns_max,cpu_us_per_io,ctx_switches,"
        "qemu_version,kernel,runtime_s,ops,data_fraction,domain,disk,device_read_share,"
        "rounds,mark,iops_min,iops_max,bytes_per_s_min,bytes_per_s_max,lat_ns_mean_min,"
        "lat_ns_mean_max,lat_ns_p50_min,lat_ns_p50_max,lat_ns_p99_min,lat_ns_p99_max,"
        "lat_ns_p999_min,lat_ns_p999_max,lat_ns_max_min,lat_ns_max_max,cpu_us_per_io_min,"
        "cpu_us_per_io_max,device_read_share_min,device_read_share_max,runner";
    g_autoptr(BenchPlan) plan = plan_with_results();
    g_autofree char *csv = bench_output_csv(plan);
    g_auto(GStrv) lines = g_strsplit(csv, "\n", -1);
    guint ok_row = (guint)find(plan, CACHE_NONE, IO_NATIVE) + 1;
    guint err_row = (guint)find(plan, CACHE_DIRECTSYNC, IO_NATIVE) + 1;

    g_assert_cmpstr(lines[0], ==, header);
    g_assert_cmpuint(g_strv_length(lines), ==, plan->cells->len + 2);   /* + trailing "" */
    g_assert_cmpstr(lines[plan->cells->len + 1], ==, "");
    for (guint i = 1; i <= plan->cells->len; i++) {
        g_autoptr(GPtrArray) f = csv_split(lines[i]);

        g_assert_cmpuint(f->len, ==, 46);
        g_assert_cmpstr(g_ptr_array_index(f, 0), ==, "/var/tmp/t,1");
        if (i == ok_row) {
            g_assert_cmpstr(g_ptr_array_index(f, 1), ==, "none");
            g_assert_cmpstr(g_ptr_array_index(f, 2), ==, "native");
            g_assert_cmpstr(g_ptr_array_index(f, 6), ==, "ok");
            g_assert_cmpstr(g_ptr_array_index(f, 7), ==, "");
            g_assert_cmpstr(g_ptr_array_index(f, 8), ==, "120000.0");
            g_assert_cmpstr(g_ptr_array_index(f, 12), ==, "410000");
            g_assert_cmpstr(g_ptr_array_index(f, 15), ==, "6.500");
            g_assert_cmpstr(g_ptr_array_index(f, 16), ==, "1234");
            g_assert_cmpstr(g_ptr_array_index(f, 20), ==, "600000");
        }
        if (i == err_row) {
            g_assert_cmpstr(g_ptr_array_index(f, 6), ==, "error");
            g_assert_cmpstr(g_ptr_array_index(f, 7), ==, "read, at offset 4096: \"EIO\"");
            g_assert_cmpstr(g_ptr_array_index(f, 8), ==, "");
        }
    }
}

static void test_table_marks_the_best(void)
{
    g_autoptr(BenchPlan) plan = plan_with_results();
    g_autofree char *table = bench_output_table(plan);
    g_auto(GStrv) lines = g_strsplit(table, "\n", -1);
    unsigned stars = 0;
    const char *none_row = NULL, *wb_row = NULL, *ds_row = NULL;

    for (char **l = lines; *l; l++) {
        if (g_str_has_prefix(*l, "none "))
            none_row = *l;
        if (g_str_has_prefix(*l, "writeback "))
            wb_row = *l;
        if (g_str_has_prefix(*l, "directsync "))
            ds_row = *l;
        if (!g_str_has_prefix(*l, "  ") && strchr(*l, '*'))
            stars++;
    }
    g_assert_nonnull(none_row);
    g_assert_nonnull(strstr(none_row, " 120k 410 µs"));
    g_assert_nonnull(strstr(none_row, "*150k 330 µs"));
    g_assert_cmpuint(stars, ==, 1);
    g_assert_nonnull(wb_row);
    g_assert_nonnull(strstr(wb_row, "invalid"));
    g_assert_nonnull(strstr(wb_row, "unsup"));
    g_assert_nonnull(strstr(ds_row, "error"));
    g_assert_nonnull(strstr(ds_row, " 10.0k 4.00 ms"));
    g_assert_nonnull(strstr(table, "randread: random reads, 4 KiB, depth 32"));
    g_assert_nonnull(strstr(table, "QEMU 7.2.0"));
    /* The one invalid cell, the unsupported one, the error, and the data warning. */
    g_assert_nonnull(strstr(table, "  writeback/native: invalid: io='native' needs"));
    g_assert_nonnull(strstr(table, "  writeback/io_uring: unsupported: O_DIRECT: Invalid"));
    g_assert_nonnull(strstr(table, "  none/io_uring: only 50 % of the span holds data"));
    g_assert_nonnull(strstr(table, "  directsync/native: error: read, at offset 4096"));
}

static void test_table_groups_identical_reasons(void)
{
    g_autoptr(BenchPlan) plan = plan_for("/var/tmp/x", "all", "native", "randread");
    g_autofree char *table = bench_output_table(plan);
    const char *line = strstr(table, "  writethrough/native, writeback/native, unsafe/native: "
                                     "invalid: ");

    g_assert_nonnull(line);
    g_assert_null(strstr(strchr(line, '\n'), "writeback/native"));
    /* Not run yet: nothing is best, the valid cells are pending. */
    g_assert_cmpint(bench_output_best(plan, WL_RANDREAD), ==, -1);
    g_assert_nonnull(strstr(table, "none           pending"));
}

static void test_progress_and_cell_lines(void)
{
    g_autoptr(BenchPlan) plan = plan_with_results();
    int i = find(plan, CACHE_NONE, IO_URING);
    struct bench_progress p = { .cell = i, .ordinal = 3, .phase = 2, .ops = 1,
                                .current_iops = 12345, .elapsed_s = 2.1 };
    g_autofree char *line = bench_output_progress(plan, &p, 12);
    g_autofree char *ramp = NULL;
    g_autofree char *done = bench_output_cell_line(plan, (unsigned)i, 3, 12);
    g_autofree char *err = NULL;
    g_autofree char *none = NULL;

    g_assert_cmpstr(line, ==, "[3/12] none/io_uring randread 12.3k IOPS 2.1/5.0 s");
    p.phase = 1;
    p.elapsed_s = 0.5;
    ramp = bench_output_progress(plan, &p, 12);
    g_assert_cmpstr(ramp, ==, "[3/12] none/io_uring randread ramp 0.5/1.0 s");
    g_assert_cmpstr(done, ==, "[3/12] none/io_uring randread: ok 150k IOPS, p99 330 µs");
    err = bench_output_cell_line(plan, (unsigned)find(plan, CACHE_DIRECTSYNC, IO_NATIVE), 4, 12);
    g_assert_cmpstr(err, ==,
                    "[4/12] directsync/native randread: error: read, at offset 4096: \"EIO\"");
    p.cell = -1;
    none = bench_output_progress(plan, &p, 12);
    g_assert_cmpstr(none, ==, "");
}

static void test_results_dir_follows_design(void)
{
    g_autofree char *root = statedir_results(true, "/x", "/home/u");
    g_autofree char *xdg = statedir_results(false, "/x/data", "/home/u");
    g_autofree char *rel = statedir_results(false, "rel/data", "/home/u");
    g_autofree char *empty = statedir_results(false, "", "/home/u");
    g_autofree char *none = statedir_results(false, NULL, "relhome");

    g_assert_cmpstr(root, ==, "/var/lib/virt-disktune/results");
    g_assert_cmpstr(xdg, ==, "/x/data/virt-disktune/results");
    g_assert_cmpstr(rel, ==, "/home/u/.local/share/virt-disktune/results");
    g_assert_cmpstr(empty, ==, "/home/u/.local/share/virt-disktune/results");
    g_assert_null(none);
}

/* VIRT_DISKTUNE_RESULTS_DIR moves the results when absolute; a relative one is ignored. */
static void test_results_dir_env_overrides(void)
{
    g_autofree char *set = NULL;
    g_autofree char *relative = NULL;
    g_autofree char *unset = NULL;

    g_setenv("VIRT_DISKTUNE_RESULTS_DIR", "/tmp/vdt-results-x", TRUE);
    set = statedir_results_here();
    g_setenv("VIRT_DISKTUNE_RESULTS_DIR", "rel/results", TRUE);
    relative = statedir_results_here();
    g_unsetenv("VIRT_DISKTUNE_RESULTS_DIR");
    unset = statedir_results_here();
    g_assert_cmpstr(set, ==, "/tmp/vdt-results-x");
    g_assert_cmpstr(relative, ==, unset);
    g_assert_cmpstr(relative, !=, "rel/results");
}

static void test_apply_dir_follows_design(void)
{
    g_autofree char *root = statedir_apply(true, "/x", "/home/u");
    g_autofree char *xdg = statedir_apply(false, "/x/state", "/home/u");
    g_autofree char *rel = statedir_apply(false, "rel/state", "/home/u");
    g_autofree char *none = statedir_apply(false, NULL, "relhome");

    g_assert_cmpstr(root, ==, "/var/lib/virt-disktune/apply");
    g_assert_cmpstr(xdg, ==, "/x/state/virt-disktune/apply");
    g_assert_cmpstr(rel, ==, "/home/u/.local/state/virt-disktune/apply");
    g_assert_null(none);
}

static void test_save_writes_json_atomically(void)
{
    g_autofree char *top = scratch_dir();
    g_autofree char *dir = g_build_filename(top, "a", "results", NULL);
    g_autofree char *parent = g_build_filename(top, "a", NULL);
    g_autofree char *file = g_build_filename(top, "file", NULL);
    g_autofree char *below_file = g_build_filename(top, "file", "sub", NULL);
    g_autoptr(BenchPlan) plan = plan_with_results();
    g_autoptr(GError) err = NULL;
    g_autoptr(GError) err2 = NULL;
    struct results_origin origin = { .tool = "virt-disktune test" };
    g_autofree char *path = results_store_save(plan, &origin, dir, &err);
    g_autofree char *base = NULL;
    g_autoptr(GDir) d = NULL;
    json_object *back;
    struct stat st;
    const char *entry;
    unsigned entries = 0;

    g_assert_no_error(err);
    g_assert_nonnull(path);
    base = g_path_get_basename(path);
    g_assert_true(g_str_has_prefix(base, "bench-") && g_str_has_suffix(base, ".json"));
    g_assert_cmpint(stat(dir, &st), ==, 0);
    g_assert_cmpint(st.st_mode & 07777, ==, 0700);
    g_assert_cmpint(lstat(path, &st), ==, 0);
    g_assert_true(S_ISREG(st.st_mode));
    g_assert_cmpint(st.st_mode & 07777, ==, 0600);
    back = json_object_from_file(path);
    g_assert_nonnull(back);
    g_assert_cmpint(json_object_get_int(json_object_object_get(back, "format")), ==, 2);
    g_assert_cmpuint(json_object_array_length(json_object_object_get(back, "cells")), ==,
                     plan->cells->len);
    json_object_put(back);
    d = g_dir_open(dir, 0, NULL);    /* no temporary file left: only the result */
    while ((entry = g_dir_read_name(d)))
        entries++;
    g_assert_cmpuint(entries, ==, 1);

    /* A directory that cannot be made: an error, nothing written. */
    g_assert_true(g_file_set_contents(file, "x", -1, NULL));
    g_assert_null(results_store_save(plan, &origin, below_file, &err2));
    g_assert_error(err2, BENCH_ERROR, BENCH_ERROR_FAILED);

    g_assert_cmpint(unlink(path), ==, 0);
    g_assert_cmpint(rmdir(dir), ==, 0);
    g_assert_cmpint(rmdir(parent), ==, 0);
    g_assert_cmpint(unlink(file), ==, 0);
    g_assert_cmpint(rmdir(top), ==, 0);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/bench/a-mode-without-a-per-cell-check-never-writes",
                    test_a_mode_without_a_per_cell_check_never_writes);
    g_test_add_func("/bench/size/parses-suffixes-and-rejects-junk", test_size_suffixes);
    g_test_add_func("/bench/names/unknown-names-are-usage-errors",
                    test_unknown_names_are_usage_errors);
    g_test_add_func("/bench/plan/all-is-15-cells-per-workload-3-invalid",
                    test_plan_all_is_15_cells_per_workload_3_invalid);
    g_test_add_func("/bench/plan/read-share-override-decides-writes",
                    test_plan_read_share_override_decides_writes);
    g_test_add_func("/bench/plan/defaults-are-randread-all-modes-5s-ramp-1s",
                    test_plan_defaults);
    g_test_add_func("/bench/plan/overrides-apply-to-every-cell",
                    test_plan_overrides_apply_to_every_cell);
    g_test_add_func("/bench/plan/bad-values-are-usage-errors", test_plan_rejects_bad_values);
    g_test_add_func("/bench/plan/buffers-over-budget-are-usage-errors",
                    test_plan_rejects_a_buffer_product_over_budget);
    g_test_add_func("/bench/run/invalid-cells-never-run", test_invalid_cells_never_run);
    g_test_add_func("/bench/run/cells-run-interleaved-by-io-mode", test_cells_run_interleaved);
    g_test_add_func("/bench/run/thin-volume-warns-in-every-read-cell",
                    test_thin_volume_warns_in_every_read_cell);
    g_test_add_func("/bench/run/cancel-marks-the-rest-cancelled",
                    test_cancel_marks_the_rest_cancelled);
    g_test_add_func("/bench/run/real-runner-measures-a-file-written-with-data",
                    test_real_runner_measures_a_file);
    g_test_add_func("/bench/scratch/creates-fills-and-removes-the-file",
                    test_scratch_creates_and_removes_the_file);
    g_test_add_func("/bench/scratch/refuses-an-existing-path",
                    test_scratch_refuses_an_existing_path);
    g_test_add_func("/bench/safety/destructive-needs-the-path-confirmed",
                    test_destructive_needs_the_path_confirmed);
    g_test_add_func("/bench/safety/destructive-on-a-target-in-use-is-refused",
                    test_destructive_on_a_target_in_use_is_refused);
    g_test_add_func("/bench/safety/target-in-use-after-the-first-cell-refuses-later-writes",
                    test_target_in_use_after_the_first_cell_refuses_later_writes);
    g_test_add_func("/bench/safety/runner-refusal-refuses-later-writes",
                    test_runner_refusal_refuses_later_writes);
    g_test_add_func("/bench/safety/read-only-mode-refuses-writes-allows-reads",
                    test_read_only_mode_refuses_writes_allows_reads);
    g_test_add_func("/bench/safety/domain-disk-writes-refused-in-any-mode",
                    test_domain_disk_writes_refused_in_any_mode);
    g_test_add_func("/bench/safety/preserve-authorizes-and-locks",
                    test_preserve_authorizes_and_locks);
    g_test_add_func("/bench/output/json-has-every-contract-key",
                    test_json_has_every_contract_key);
    g_test_add_func("/bench/output/csv-columns-and-quoting", test_csv_columns);
    g_test_add_func("/bench/output/table-marks-the-best", test_table_marks_the_best);
    g_test_add_func("/bench/output/table-groups-identical-reasons",
                    test_table_groups_identical_reasons);
    g_test_add_func("/bench/output/progress-and-cell-lines", test_progress_and_cell_lines);
    g_test_add_func("/bench/save/results-dir-follows-design", test_results_dir_follows_design);
    g_test_add_func("/bench/save/results-dir-env-overrides", test_results_dir_env_overrides);
    g_test_add_func("/bench/save/apply-records-dir-follows-design", test_apply_dir_follows_design);
    g_test_add_func("/bench/save/writes-json-0600-via-temp-and-rename",
                    test_save_writes_json_atomically);
    return g_test_run();
}
