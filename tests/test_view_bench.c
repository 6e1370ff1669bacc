/* tui/view_bench.c without a terminal: the bench dialog's form, the progress of a run and
 * the results grid, from synthetic plans (every status, one workload and two, a cancelled
 * run, hostile reasons). */
#include <locale.h>
#include <string.h>
#include "tests/testutil.h"
#include "tui/view_bench.h"

static struct bench_cell *cell_of(struct bench_plan *plan, enum workload_kind wl, int cache, int io)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if (c->kind == wl && (int)c->cache == cache && (int)c->io == io)
            return c;
    }
    g_assert_not_reached();
}

static void set_ok(struct bench_cell *c, double iops, uint64_t p99)
{
    c->finished = true;
    c->result.status = CELL_OK;
    c->result.iops = iops;
    c->result.bytes_per_s = iops * 4096;
    c->result.ops = (uint64_t)iops;
    c->result.seconds = 1;
    c->result.lat_ns = (struct bench_latency){ p99 / 2, p99 / 2, p99, p99 * 2, p99 * 3 };
    c->result.cpu_us_per_io = 1e6 / iops;
    c->result.data_fraction = 1;
}

static void set_status(struct bench_cell *c, enum bench_status s, int err, const char *reason)
{
    c->finished = true;
    c->result.status = s;
    c->result.err = err;
    g_strlcpy(c->result.reason, reason, sizeof c->result.reason);
}

/* randread and syncwrite, cache none and writeback, io native and io_uring: writeback/native
 * is invalid; the rest set per test. */
static struct bench_plan *small_plan(void)
{
    struct bench_request req;
    g_autoptr(GError) err = NULL;
    struct bench_plan *plan;

    bench_request_init(&req);
    req.workload_mask = 1u << WL_RANDREAD | 1u << WL_SYNCWRITE;
    req.cache_mask = 1u << CACHE_NONE | 1u << CACHE_WRITEBACK;
    req.io_mask = 1u << IO_NATIVE | 1u << IO_URING;
    req.runtime_s = 2;
    req.ramp_s = 1;
    plan = bench_plan_new("/var/tmp/t.img", &req, 7002000, &err);
    g_assert_no_error(err);
    return plan;
}

/* v in the results pane: the other run's figure and the change beside each cell; "~" when
 * inside both runs' spreads, "?" when a side ran one round, plain beyond noise. */
static void test_versus_other_run_marks_noise(void)
{
    g_autoptr(BenchPlan) now = small_plan();
    g_autoptr(BenchPlan) before = small_plan();
    g_autoptr(ViewResults) v = NULL;
    g_autofree char *prev = view_versus_title_previous(3 * 3600 + 5);
    g_autofree char *apply = view_versus_title_apply("2026-12-01T14:02:03Z");
    struct bench_cell *c;

    set_ok(cell_of(now, WL_RANDREAD, CACHE_NONE, IO_NATIVE), 120000, 1000);
    set_ok(cell_of(before, WL_RANDREAD, CACHE_NONE, IO_NATIVE), 100000, 1000);
    set_ok(cell_of(now, WL_RANDREAD, CACHE_NONE, IO_URING), 101000, 1000);
    set_ok(cell_of(before, WL_RANDREAD, CACHE_NONE, IO_URING), 100000, 1000);
    set_ok(cell_of(now, WL_RANDREAD, CACHE_WRITEBACK, IO_URING), 50000, 1000);
    set_ok(cell_of(before, WL_RANDREAD, CACHE_WRITEBACK, IO_URING), 100000, 1000);
    /* Three rounds on both sides for the io_uring/none and native/none cells: native's ranges
     * apart, io_uring's overlapping; writeback/io_uring one round. */
    for (int io = IO_NATIVE; io <= IO_URING; io += IO_URING - IO_NATIVE) {
        struct bench_plan *plans[2] = { now, before };

        for (int p = 0; p < 2; p++) {
            c = cell_of(plans[p], WL_RANDREAD, CACHE_NONE, io);
            c->rounds = 3;
            c->lo = c->result;
            c->hi = c->result;
            c->lo.iops -= 2000;
            c->hi.iops += 2000;
        }
    }
    v = view_results_build(now, WL_RANDREAD, METRIC_IOPS, "none", "native", 0, 0, 10, false);
    view_results_versus(v, now, before, WL_RANDREAD, METRIC_IOPS, prev);
    g_assert_cmpstr(prev, ==, "vs the previous run, 3 h ago");
    g_assert_cmpstr(apply, ==, "vs the last run before the apply of 2026-12-01 14:02");
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_NATIVE].versus, ==, "vs 100k +20%");
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_URING].versus, ==, "vs 100k ~+1%");
    g_assert_cmpstr(v->cells[CACHE_WRITEBACK][IO_URING].versus, ==, "vs 100k ?-50%");
    g_assert_null(v->cells[CACHE_WRITEBACK][IO_NATIVE].versus);   /* invalid: no figure */
    g_assert_true(g_str_has_prefix(v->versus_title, "vs the previous run, 3 h ago · ~ within noise"));

    /* A cell the other run did not measure: said, not invented. */
    set_status(cell_of(before, WL_RANDREAD, CACHE_NONE, IO_NATIVE), CELL_ERROR, 5, "EIO");
    view_results_versus(v, now, before, WL_RANDREAD, METRIC_P99, apply);
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_NATIVE].versus, ==, "vs -");
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_URING].versus, ==, "vs 1.0 µs ~+0%");
}

static void test_grid_marks_best_current_and_statuses(void)
{
    g_autoptr(BenchPlan) plan = small_plan();
    g_autoptr(ViewResults) v = NULL;

    set_ok(cell_of(plan, WL_RANDREAD, CACHE_NONE, IO_NATIVE), 100000, 400000);
    set_ok(cell_of(plan, WL_RANDREAD, CACHE_NONE, IO_URING), 200000, 800000);
    set_status(cell_of(plan, WL_RANDREAD, CACHE_WRITEBACK, IO_URING), CELL_UNSUPPORTED, EINVAL,
               "O_DIRECT refused");
    v = view_results_build(plan, WL_RANDREAD, METRIC_IOPS, "none", "native", 0, 0, 120, false);
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_URING].text, ==, "200k");
    g_assert_true(v->cells[CACHE_NONE][IO_URING].best);
    g_assert_cmpfloat(v->cells[CACHE_NONE][IO_URING].bar, ==, 1.0);
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_NATIVE].text, ==, "100k");
    g_assert_false(v->cells[CACHE_NONE][IO_NATIVE].best);
    g_assert_cmpfloat(v->cells[CACHE_NONE][IO_NATIVE].bar, ==, 0.5);
    g_assert_true(v->cells[CACHE_NONE][IO_NATIVE].current);
    g_assert_cmpstr(v->cells[CACHE_WRITEBACK][IO_NATIVE].text, ==, "invalid");
    g_assert_cmpfloat(v->cells[CACHE_WRITEBACK][IO_NATIVE].bar, <, 0);
    g_assert_cmpstr(v->cells[CACHE_WRITEBACK][IO_URING].text, ==, "unsup EINVAL");
    g_assert_cmpstr(v->cells[CACHE_UNSAFE][IO_THREADS].text, ==, "-");   /* not in the plan */
    g_assert_nonnull(strstr(v->title, "randread: IOPS, higher is better"));
    g_assert_nonnull(strstr(v->title, "2 min ago"));
    g_assert_cmpstr(v->workloads, ==, "[randread] syncwrite");
    g_assert_nonnull(strstr(v->legend, "none/native"));
}

/* A cell whose reads the device mostly did not see says RAM, in the grid, the legend and
 * its figures; one whose share is unknown (no block device) says nothing. */
static void test_ram_cells_are_marked(void)
{
    g_autoptr(BenchPlan) plan = small_plan();
    g_autoptr(ViewResults) v = NULL;
    struct bench_cell *wb = cell_of(plan, WL_RANDREAD, CACHE_WRITEBACK, IO_URING);
    struct bench_cell *none = cell_of(plan, WL_RANDREAD, CACHE_NONE, IO_URING);

    set_ok(none, 100000, 400000);
    none->result.device_measured = true;
    none->result.device_read_share = 0.99;
    set_ok(wb, 900000, 40000);
    wb->result.device_measured = true;
    wb->result.device_read_share = 0.03;
    set_ok(cell_of(plan, WL_RANDREAD, CACHE_NONE, IO_NATIVE), 90000, 400000);
    v = view_results_build(plan, WL_RANDREAD, METRIC_IOPS, "none", "native", 0, 0, 0, false);
    g_assert_cmpstr(v->cells[CACHE_WRITEBACK][IO_URING].text, ==, "900k RAM");
    g_assert_true(v->cells[CACHE_WRITEBACK][IO_URING].ram);
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_URING].text, ==, "100k");
    g_assert_false(v->cells[CACHE_NONE][IO_NATIVE].ram);      /* share unknown */
    g_assert_nonnull(strstr(v->legend, "RAM: read from the host's page cache, not storage"));
    g_clear_pointer(&v, view_results_free);
    v = view_results_build(plan, WL_RANDREAD, METRIC_IOPS, "none", "native", CACHE_WRITEBACK,
                           IO_URING, 0, true);
    g_assert_true(g_strv_contains((const char *const *)v->detail,
                                  "3 % of its reads reached the device: RAM, the figure measures "
                                  "the host's page cache, not storage"));
}

/* Latency: lower is better, so the best is the smallest and the bars are inverted. */
static void test_latency_metric_lower_is_better(void)
{
    g_autoptr(BenchPlan) plan = small_plan();
    g_autoptr(ViewResults) v = NULL;

    set_ok(cell_of(plan, WL_RANDREAD, CACHE_NONE, IO_NATIVE), 100000, 400000);
    set_ok(cell_of(plan, WL_RANDREAD, CACHE_NONE, IO_URING), 200000, 800000);
    v = view_results_build(plan, WL_RANDREAD, METRIC_P99, NULL, NULL, 0, 0, -1, false);
    g_assert_true(v->cells[CACHE_NONE][IO_NATIVE].best);
    g_assert_false(v->cells[CACHE_NONE][IO_URING].best);
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_NATIVE].text, ==, "400 µs");
    g_assert_cmpfloat(v->cells[CACHE_NONE][IO_URING].bar, ==, 0.5);
    g_assert_nonnull(strstr(v->title, "p99, lower is better · running"));
    /* No cache/io in the XML: QEMU's default (writeback, threads) is the current one. */
    g_assert_true(v->cells[CACHE_WRITEBACK][IO_THREADS].current);
    g_assert_nonnull(strstr(v->legend, "QEMU's default"));
    for (int m = 0; m < METRIC_COUNT; m++)
        g_assert_cmpstr(view_metric_name(m), !=, "?");
}

/* A cancelled run: the cells that finished keep their figures, the rest say cancelled or
 * are pending; nothing is marked best among cells that measured nothing. */
static void test_cancelled_and_pending_cells(void)
{
    g_autoptr(BenchPlan) plan = small_plan();
    g_autoptr(ViewResults) v = NULL;

    set_ok(cell_of(plan, WL_SYNCWRITE, CACHE_NONE, IO_NATIVE), 5000, 300000);
    set_status(cell_of(plan, WL_SYNCWRITE, CACHE_NONE, IO_URING), CELL_CANCELLED, 0, "cancelled");
    v = view_results_build(plan, WL_SYNCWRITE, METRIC_IOPS, "none", "io_uring", 0, 0, 5, false);
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_URING].text, ==, "cancelled");
    g_assert_false(v->cells[CACHE_NONE][IO_URING].best);
    g_assert_true(v->cells[CACHE_NONE][IO_URING].current);
    g_assert_cmpstr(v->cells[CACHE_WRITEBACK][IO_URING].text, ==, "…");
    g_assert_true(v->cells[CACHE_NONE][IO_NATIVE].best);
    g_assert_cmpstr(view_results_first_workload(plan) == WL_RANDREAD ? "ok" : "no", ==, "ok");
    g_assert_cmpint(view_results_next_workload(plan, WL_RANDREAD), ==, WL_SYNCWRITE);
    g_assert_cmpint(view_results_next_workload(plan, WL_SYNCWRITE), ==, WL_RANDREAD);
}

/* Six workloads: w cycles through all of them in plan order and wraps; error and refused
 * cells say so. */
static void test_six_workloads_and_every_failure_status(void)
{
    struct bench_request req;
    g_autoptr(GError) err = NULL;
    g_autoptr(BenchPlan) plan = NULL;
    g_autoptr(ViewResults) v = NULL;
    enum workload_kind wl;

    bench_request_init(&req);
    req.workload_mask = (1u << WL_COUNT) - 1;
    plan = bench_plan_new("/var/tmp/t.img", &req, 7002000, &err);
    g_assert_no_error(err);
    wl = view_results_first_workload(plan);
    g_assert_cmpint(wl, ==, WL_RANDREAD);
    for (int k = 1; k <= WL_COUNT; k++) {
        wl = view_results_next_workload(plan, wl);
        g_assert_cmpint(wl, ==, k % WL_COUNT);
    }
    set_status(cell_of(plan, WL_MIXED, CACHE_NONE, IO_THREADS), CELL_ERROR, EIO, "read: EIO");
    set_status(cell_of(plan, WL_MIXED, CACHE_NONE, IO_URING), CELL_REFUSED, EPERM, "in use");
    set_ok(cell_of(plan, WL_MIXED, CACHE_UNSAFE, IO_URING), 50000, 100000);
    v = view_results_build(plan, WL_MIXED, METRIC_CPU, "none", "threads", 0, 0, 30, false);
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_THREADS].text, ==, "error");
    g_assert_cmpstr(v->cells[CACHE_NONE][IO_URING].text, ==, "refused");
    g_assert_true(v->cells[CACHE_UNSAFE][IO_URING].best);
    g_assert_cmpstr(v->cells[CACHE_UNSAFE][IO_URING].text, ==, "20.00");
    g_assert_cmpstr(v->workloads, ==, "randread randwrite [mixed] seqread seqwrite syncwrite");
    g_assert_nonnull(strstr(v->title, "CPU µs/IO, lower is better"));
}

/* Every figure of a cell; a reason from the target's path is escaped. */
static void test_detail_has_every_figure_escaped(void)
{
    g_autoptr(BenchPlan) plan = small_plan();
    g_autoptr(ViewResults) v = NULL;
    g_autofree char *all = NULL;
    struct bench_cell *c = cell_of(plan, WL_RANDREAD, CACHE_NONE, IO_URING);

    set_ok(c, 150000, 500000);
    c->result.ctx_switches = 1234;
    c->result.data_fraction = 0.25;
    g_strlcpy(c->result.reason, "warning on /var/tmp/x\x1b[31m\xc2\x9b\xe2\x80\xae.img",
              sizeof c->result.reason);
    v = view_results_build(plan, WL_RANDREAD, METRIC_IOPS, "none", "native", CACHE_NONE, IO_URING,
                           0, true);
    g_assert_nonnull(v->detail);
    all = g_strjoinv("\n", v->detail);
    g_assert_nonnull(strstr(all, "none/io_uring randread"));
    g_assert_nonnull(strstr(all, "150k IOPS"));
    g_assert_nonnull(strstr(all, "p99 500 µs"));
    g_assert_nonnull(strstr(all, "p99.9 1.00 ms"));
    g_assert_nonnull(strstr(all, "1234 context switches"));
    g_assert_nonnull(strstr(all, "25 %"));
    g_assert_nonnull(strstr(all, "x\\x1B[31m\\x9B\\u{202E}.img"));
    g_assert_null(strchr(all, '\x1b'));
    g_assert_null(strstr(all, "\xc2\x9b"));
}

static void test_progress_fractions_and_time_left(void)
{
    g_autoptr(BenchPlan) plan = small_plan();   /* 6 runnable cells of 1 + 2 s */
    struct bench_progress p = { .cell = 1, .ordinal = 2, .phase = 2, .ops = 1000,
                                .current_iops = 32000, .elapsed_s = 1.5 };
    g_autoptr(ViewProgress) v = view_progress_build(plan, &p, 1);
    g_autoptr(ViewProgress) idle = NULL;
    struct bench_progress none = { .cell = -1 };

    g_assert_cmpstr(v->cell, ==, "[2/6] none/io_uring randread");
    g_assert_cmpfloat_with_epsilon(v->cell_frac, 2.5 / 3, 1e-9);
    /* One cell done, this one 2.5 s of 3 in: (1 + 2.5 / 3) of 6. */
    g_assert_cmpfloat_with_epsilon(v->matrix_frac, (1 + 2.5 / 3) / 6, 1e-9);
    /* 5 cells not finished x 3 s, less the 2.5 s of this one: 12.5 s, rounded. */
    g_assert_cmpstr(v->left, ==, "about 13 s left");
    g_assert_nonnull(strstr(v->live, "32.0k IOPS now"));
    g_assert_nonnull(strstr(v->live, "1.00 ms mean latency at depth 32"));
    idle = view_progress_build(plan, &none, 0);
    g_assert_cmpstr(idle->cell, ==, "preparing…");
    g_assert_cmpstr(idle->live, ==, "");
}

static void test_form_defaults_toggles_and_request(void)
{
    struct view_form_state f;
    struct bench_request req;
    enum bench_mode mode;
    g_autoptr(ViewForm) v = NULL;
    g_autoptr(ViewForm) w = NULL;
    unsigned k;

    view_form_init(&f);
    view_form_request(&f, &req, &mode);
    g_assert_cmpuint(req.workload_mask, ==, 1u << WL_RANDREAD);
    g_assert_cmpuint(bench_request_runnable(&req), ==, 12);
    g_assert_cmpint(mode, ==, BENCH_MODE_READ_ONLY);
    g_assert_cmpfloat(req.runtime_s, ==, 5);
    v = view_form_build(&f, "web1 vda");
    g_assert_cmpstr(v->title, ==, "Bench web1 vda");
    g_assert_cmpstr(v->summary, ==, "12 cells, about 1 min 12 s");
    g_assert_true(v->startable);
    g_assert_cmpuint(v->left->len, ==, VIEW_FORM_LEFT);
    g_assert_cmpuint(v->right->len, ==, CACHE_COUNT + IO_COUNT);
    g_assert_true(((struct view_form_line *)g_ptr_array_index(v->left, 0))->selected);

    f.cursor = WL_SYNCWRITE;
    view_form_toggle(&f);
    g_assert_true(view_form_writes(&f));
    f.cursor = WL_COUNT;            /* runtime: 5 → 10 */
    view_form_toggle(&f);
    g_assert_cmpfloat(view_form_runtime(&f), ==, 10);
    g_assert_cmpint(view_form_item(VIEW_FORM_LEFT, &k), ==, FORM_CACHE);
    g_assert_cmpuint(k, ==, 0);
    g_assert_cmpint(view_form_item(VIEW_FORM_ITEMS - 1, &k), ==, FORM_IO);
    g_assert_cmpuint(k, ==, IO_COUNT - 1);
    w = view_form_build(&f, "web1 vda");
    g_assert_nonnull(strstr(w->mode_words, "write workloads are refused"));
    f.cursor = WL_COUNT + 1;        /* mode */
    view_form_toggle(&f);
    view_form_request(&f, &req, &mode);
    g_assert_cmpint(mode, ==, BENCH_MODE_SCRATCH);
    /* No io mode at all: nothing to run. */
    for (f.cursor = VIEW_FORM_LEFT + CACHE_COUNT; f.cursor < VIEW_FORM_ITEMS; f.cursor++)
        view_form_toggle(&f);
    g_clear_pointer(&w, view_form_free);
    w = view_form_build(&f, "x");
    g_assert_false(w->startable);
    g_assert_nonnull(strstr(w->summary, "nothing to run"));
}

/* The rounds: the form offers them, the request and the summary carry them, progress says
 * which round, and the grid marks a tie inside the spreads with ~ and the detail the spread. */
static void test_rounds_in_form_progress_and_grid(void)
{
    struct view_form_state f;
    struct bench_request req;
    enum bench_mode mode;
    unsigned k;
    g_autoptr(ViewForm) w = NULL;
    g_autoptr(ViewProgress) p = NULL;
    g_autoptr(ViewResults) v = NULL;
    g_autoptr(BenchPlan) plan = NULL;
    g_autoptr(GError) err = NULL;
    struct bench_progress at = { .cell = 0, .ordinal = 5, .round = 2, .phase = 1, .elapsed_s = 0.5 };
    g_autofree char *all = NULL;
    struct bench_cell *a, *b;

    view_form_init(&f);
    f.cursor = WL_COUNT + 2;
    g_assert_cmpint(view_form_item(f.cursor, &k), ==, FORM_REPEAT);
    w = view_form_build(&f, "web1 vda");
    g_assert_nonnull(strstr(((struct view_form_line *)g_ptr_array_index(w->left, WL_COUNT + 2))->text,
                            "rounds   1 (no spread)"));
    view_form_toggle(&f);
    g_assert_cmpuint(view_form_repeat(&f), ==, 3);
    view_form_request(&f, &req, &mode);
    g_assert_cmpuint(req.repeat, ==, 3);
    g_clear_pointer(&w, view_form_free);
    w = view_form_build(&f, "web1 vda");
    g_assert_nonnull(strstr(w->summary, "cells x 3 rounds"));
    /* The runner: in-process → qemu-img → both (the in-process request, then again). */
    f.cursor = WL_COUNT + 3;
    g_assert_cmpint(view_form_item(f.cursor, &k), ==, FORM_ENGINE);
    view_form_toggle(&f);
    view_form_request(&f, &req, &mode);
    g_assert_cmpint(req.runner, ==, RUNNER_QEMU_IMG);
    g_assert_false(view_form_cross_check(&f));
    view_form_toggle(&f);
    view_form_request(&f, &req, &mode);
    g_assert_cmpint(req.runner, ==, RUNNER_IN_PROCESS);
    g_assert_true(view_form_cross_check(&f));
    g_clear_pointer(&w, view_form_free);
    w = view_form_build(&f, "web1 vda");
    g_assert_nonnull(strstr(w->summary, "run by each runner"));
    g_assert_nonnull(strstr(((struct view_form_line *)g_ptr_array_index(w->left, WL_COUNT + 3))->text,
                            "runner   both: cross-check"));
    /* A mode this disk cannot have says why, before Enter. */
    f.preserve = true;
    f.scratch = false;
    f.preserve_unavailable = "web1 is running: preserve writes only while the domain is shut off";
    g_clear_pointer(&w, view_form_free);
    w = view_form_build(&f, "web1 vda");
    g_assert_nonnull(strstr(w->mode_words, "preserve: not available for this disk: web1 is running"));
    f.preserve = false;
    f.preserve_unavailable = NULL;
    /* Without qemu-img the line says so before Enter. */
    g_setenv("VIRT_DISKTUNE_QEMU_IMG", "/nonexistent/qemu-img", TRUE);
    g_clear_pointer(&w, view_form_free);
    w = view_form_build(&f, "web1 vda");
    g_assert_nonnull(strstr(((struct view_form_line *)g_ptr_array_index(w->left, WL_COUNT + 3))->text,
                            "(not available: "));
    g_unsetenv("VIRT_DISKTUNE_QEMU_IMG");
    req.runner = RUNNER_IN_PROCESS;

    req.workload_mask = 1u << WL_RANDREAD;
    req.cache_mask = 1u << CACHE_NONE;
    req.io_mask = 1u << IO_NATIVE | 1u << IO_URING;
    req.runtime_s = 2;
    req.ramp_s = 1;
    plan = bench_plan_new("/var/tmp/t.img", &req, 7002000, &err);
    g_assert_no_error(err);
    p = view_progress_build(plan, &at, 0);
    g_assert_cmpstr(p->cell, ==, "[5/6] round 2/3 none/native randread (ramp)");
    /* 4 runs done and half a second of this one's 3 s, of 6 runs. */
    g_assert_cmpfloat_with_epsilon(p->matrix_frac, (4 + 0.5 / 3) / 6, 1e-9);

    a = &g_array_index(plan->cells, struct bench_cell, 0);
    b = &g_array_index(plan->cells, struct bench_cell, 1);
    set_ok(a, 100000, 400000);
    set_ok(b, 96000, 410000);
    a->rounds = b->rounds = 3;
    a->lo = a->hi = a->result;
    b->lo = b->hi = b->result;
    a->lo.iops = 90000;
    a->hi.iops = 110000;
    b->lo.iops = 95000;
    b->hi.iops = 97000;
    v = view_results_build(plan, WL_RANDREAD, METRIC_IOPS, "none", "native", CACHE_NONE,
                           IO_NATIVE, 0, true);
    g_assert_true(v->cells[CACHE_NONE][IO_NATIVE].tie);
    g_assert_true(v->cells[CACHE_NONE][IO_URING].tie);
    g_assert_false(v->cells[CACHE_NONE][IO_NATIVE].best);
    g_assert_nonnull(strstr(v->legend, "~ tie"));
    all = g_strjoinv("\n", v->detail);
    g_assert_nonnull(strstr(all, "medians of 3 rounds: IOPS 90.0k-110k"));
}

static void test_duration_words(void)
{
    g_autofree char *a = view_duration(45);
    g_autofree char *b = view_duration(144);
    g_autofree char *c = view_duration(120);
    g_autofree char *d = view_duration(3780);

    g_assert_cmpstr(a, ==, "45 s");
    g_assert_cmpstr(b, ==, "2 min 24 s");
    g_assert_cmpstr(c, ==, "2 min");
    g_assert_cmpstr(d, ==, "1 h 3 min");
}

/* A disk on a block device: scratch is a new LV, one mode step per size, the size in the
 * request; a file disk's scratch asks for no LV. */
static void test_form_scratch_lv_sizes(void)
{
    struct view_form_state f;
    struct bench_request req;
    enum bench_mode mode;
    struct view_form *w;
    unsigned k;

    view_form_init(&f);
    f.scratch_lv = true;
    f.cursor = WL_COUNT + 1;
    g_assert_cmpint(view_form_item(f.cursor, &k), ==, FORM_MODE);
    view_form_toggle(&f);                     /* read-only -> scratch, 1 GiB */
    view_form_request(&f, &req, &mode);
    g_assert_cmpint(mode, ==, BENCH_MODE_SCRATCH);
    g_assert_cmpuint(req.scratch_size, ==, 1ull << 30);
    w = view_form_build(&f, "web1 vda");
    g_assert_cmpstr(((struct view_form_line *)g_ptr_array_index(w->left, WL_COUNT + 1))->text, ==,
                    "mode     scratch, a new 1 GiB LV");
    g_assert_nonnull(strstr(w->mode_words, "a new 1 GiB LV (lvcreate, in the disk's volume group)"));
    view_form_free(w);
    view_form_toggle(&f);                     /* 4 GiB */
    view_form_request(&f, &req, &mode);
    g_assert_cmpuint(req.scratch_size, ==, 4ull << 30);
    view_form_toggle(&f);                     /* 256 MiB */
    view_form_request(&f, &req, &mode);
    g_assert_cmpint(mode, ==, BENCH_MODE_SCRATCH);
    g_assert_cmpuint(req.scratch_size, ==, 256ull << 20);
    view_form_toggle(&f);                     /* preserve: no LV */
    view_form_request(&f, &req, &mode);
    g_assert_cmpint(mode, ==, BENCH_MODE_PRESERVE);
    g_assert_cmpuint(req.scratch_size, ==, 0);
    view_form_toggle(&f);                     /* read-only */
    view_form_toggle(&f);                     /* scratch again: the first size */
    view_form_request(&f, &req, &mode);
    g_assert_cmpuint(req.scratch_size, ==, 1ull << 30);
    f.scratch_lv = false;                     /* a file disk: a scratch file, no size */
    view_form_request(&f, &req, &mode);
    g_assert_cmpint(mode, ==, BENCH_MODE_SCRATCH);
    g_assert_cmpuint(req.scratch_size, ==, 0);
}

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "C.UTF-8");
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/view-bench/results/ram-cells-are-marked", test_ram_cells_are_marked);
    g_test_add_func("/view-bench/grid-marks-best-current-and-statuses",
                    test_grid_marks_best_current_and_statuses);
    g_test_add_func("/view-bench/latency-metric-lower-is-better", test_latency_metric_lower_is_better);
    g_test_add_func("/view-bench/cancelled-and-pending-cells", test_cancelled_and_pending_cells);
    g_test_add_func("/view-bench/detail-has-every-figure-escaped", test_detail_has_every_figure_escaped);
    g_test_add_func("/view-bench/six-workloads-and-every-failure-status",
                    test_six_workloads_and_every_failure_status);
    g_test_add_func("/view-bench/progress-fractions-and-time-left", test_progress_fractions_and_time_left);
    g_test_add_func("/view-bench/form-defaults-toggles-and-request", test_form_defaults_toggles_and_request);
    g_test_add_func("/view-bench/duration-words", test_duration_words);
    g_test_add_func("/view-bench/results/versus-other-run-marks-noise",
                    test_versus_other_run_marks_noise);
    g_test_add_func("/view-bench/form-scratch-lv-sizes", test_form_scratch_lv_sizes);
    g_test_add_func("/view-bench/rounds-in-form-progress-and-grid",
                    test_rounds_in_form_progress_and_grid);
    return g_test_run();
}
