/* bench --repeat: rounds interleaved in a new order each round, each figure's median with
 * its min and max (core/bench_rounds.c), a failed or cancelled round, the tie rule of the
 * best mark (bench_rank) on synthetic results, and the spreads through every output and
 * back through the results reader. A stand-in runner gives scripted figures. */
#include <errno.h>
#include <json-c/json.h>
#include <stdatomic.h>
#include <string.h>
#include "core/bench.h"
#include "core/bench_output.h"
#include "core/bench_rounds.h"
#include "core/results_store.h"
#include "tests/testutil.h"

static struct bench_plan *plan_for(const char *caches, const char *ios, unsigned repeat)
{
    struct bench_request req;
    GError *err = NULL;
    struct bench_plan *plan;

    bench_request_init(&req);
    g_assert_true(bench_parse_caches(caches, &req.cache_mask, &err));
    g_assert_true(bench_parse_ios(ios, &req.io_mask, &err));
    req.repeat = repeat;
    req.seed = 7;
    plan = bench_plan_new("/var/tmp/rounds-target", &req, 7002000, &err);
    g_assert_no_error(err);
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

static void run_to_end(struct bench_plan *plan)
{
    GError *err = NULL;
    struct bench_run *run = bench_run_start(plan, &err);
    int index;

    g_assert_no_error(err);
    while ((index = bench_run_next(run, -1)) != BENCH_RUN_END)
        g_assert_true(cell(plan, (guint)index)->finished);
    bench_run_free(run);
}

/* ---- the stand-in runner ------------------------------------------------------------------ */

#define MAX_CALLS 64
static unsigned calls;
static int call_key[MAX_CALLS];        /* cache * 10 + io of each call, in order */
static double round_factor[3] = { 1.0, 3.0, 2.0 };   /* a cell's IOPS: base x factor[nth] */
static int fail_key = -1, fail_nth = -1;  /* this cell's nth call ends in EIO */
static int cancel_at = -1;             /* this call sets the run's cancel and ends cancelled */
static struct bench_run *_Atomic current_run;

static unsigned nth_call(int key)
{
    unsigned n = 0;

    for (unsigned k = 0; k + 1 < calls && k < MAX_CALLS; k++)
        n += call_key[k] == key;
    return n;
}

static int scripted_runner(const struct run_spec *spec, struct run_progress *progress,
                           const atomic_bool *cancel, struct run_result *out)
{
    int key = spec->cache * 10 + spec->io;
    unsigned n, me = calls++;
    double base = 1000.0 * (1 + spec->cache) + 100.0 * spec->io;

    g_assert_cmpuint(me, <, MAX_CALLS);
    call_key[me] = key;
    n = nth_call(key);
    memset(out, 0, sizeof *out);
    atomic_store(&progress->phase, 3);
    if ((int)me == cancel_at) {
        while (!atomic_load(&current_run))
            g_usleep(1000);
        bench_run_cancel(atomic_load(&current_run));
        out->status = RUN_CANCELLED;
        return 0;
    }
    if (key == fail_key && (int)n == fail_nth) {
        out->status = RUN_ERROR;
        out->err = EIO;
        g_strlcpy(out->reason, "read: Input/output error", sizeof out->reason);
        return -EIO;
    }
    out->status = RUN_OK;
    out->iops = base * round_factor[n % 3];
    out->ops = (uint64_t)out->iops;
    out->bytes = out->ops * 4096;
    out->bytes_per_s = out->iops * 4096;
    out->seconds = 1;
    /* p99 falls as IOPS rise: its median comes from a different round's order. */
    out->lat_ns = (struct run_latency){ 100, 90, (uint64_t)(1e9 / out->iops), 400, 500 };
    out->cpu_us_per_io = 1.0 + n;
    out->data_fraction = 1;
    out->device_read_share = -1;
    return 0;
}

static void script_reset(void)
{
    calls = 0;
    fail_key = fail_nth = cancel_at = -1;
    current_run = NULL;
}

/* ---- rounds -------------------------------------------------------------------------------- */

static void test_median_spread_and_interleaving(void)
{
    g_autoptr(BenchPlan) plan = plan_for("none,writeback", "native,threads,io_uring", 3);
    unsigned valid = bench_plan_runnable(plan);

    script_reset();
    plan->runner = scripted_runner;
    g_assert_cmpuint(plan->repeat, ==, 3);
    g_assert_cmpuint(bench_plan_runs(plan), ==, valid * 3);
    run_to_end(plan);
    g_assert_cmpuint(calls, ==, valid * 3);
    /* Rounds interleave: every cell once per round, and each round is a permutation. */
    for (unsigned r = 0; r < 3; r++)
        for (unsigned k = 0; k < valid; k++) {
            unsigned seen = 0;

            for (unsigned j = 0; j < valid; j++)
                seen += call_key[r * valid + j] == call_key[k];
            g_assert_cmpuint(seen, ==, 1);
        }
    /* A new order in later rounds. */
    g_assert_true(memcmp(&call_key[0], &call_key[valid], valid * sizeof(int)) != 0 ||
                  memcmp(&call_key[0], &call_key[2 * valid], valid * sizeof(int)) != 0);
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = cell(plan, i);
        double base = 1000.0 * (1 + c->cache) + 100.0 * c->io;

        if (!c->valid)
            continue;
        g_assert_cmpint(c->result.status, ==, CELL_OK);
        g_assert_cmpuint(c->rounds, ==, 3);
        /* factors 1, 3, 2: median 2, min 1, max 3; every figure on its own. */
        g_assert_cmpfloat_with_epsilon(c->result.iops, base * 2, 1e-6);
        g_assert_cmpfloat_with_epsilon(c->lo.iops, base, 1e-6);
        g_assert_cmpfloat_with_epsilon(c->hi.iops, base * 3, 1e-6);
        g_assert_cmpuint(c->result.lat_ns.p99, ==, (uint64_t)(1e9 / (base * 2)));
        g_assert_cmpuint(c->lo.lat_ns.p99, ==, (uint64_t)(1e9 / (base * 3)));
        g_assert_cmpuint(c->hi.lat_ns.p99, ==, (uint64_t)(1e9 / base));
        g_assert_cmpfloat_with_epsilon(c->result.cpu_us_per_io, 2.0, 1e-9);
        g_assert_cmpuint(c->result.ops, ==, (uint64_t)(base * 6));   /* summed */
        g_assert_cmpfloat_with_epsilon(c->result.seconds, 3.0, 1e-9);
        g_assert_cmpfloat_with_epsilon(bench_cell_spread(c, FIG_IOPS), base * 2, 1e-6);
    }
}

/* An even number of rounds: the middle two's mean. */
static void test_even_rounds_median(void)
{
    struct bench_result r[4] = { { .iops = 10 }, { .iops = 40 }, { .iops = 20 }, { .iops = 30 } };
    struct bench_cell c = { 0 };

    bench_rounds_combine(&c, r, 4);
    g_assert_cmpfloat(c.result.iops, ==, 25);
    g_assert_cmpfloat(c.lo.iops, ==, 10);
    g_assert_cmpfloat(c.hi.iops, ==, 40);
    bench_rounds_combine(&c, r, 1);
    g_assert_cmpuint(c.rounds, ==, 1);
    g_assert_cmpfloat(c.result.iops, ==, 10);
    g_assert_cmpfloat(bench_cell_spread(&c, FIG_IOPS), ==, 0);
}

/* A round that fails ends its cell with that round's status: no later round runs it. */
static void test_failed_round_ends_the_cell(void)
{
    g_autoptr(BenchPlan) plan = plan_for("none", "native,io_uring", 3);
    const struct bench_cell *bad, *good;

    script_reset();
    fail_key = CACHE_NONE * 10 + IO_URING;
    fail_nth = 1;
    plan->runner = scripted_runner;
    run_to_end(plan);
    bad = cell(plan, (guint)find(plan, CACHE_NONE, IO_URING));
    good = cell(plan, (guint)find(plan, CACHE_NONE, IO_NATIVE));
    g_assert_cmpint(bad->result.status, ==, CELL_ERROR);
    g_assert_cmpuint(bad->rounds, ==, 1);
    g_assert_nonnull(strstr(bad->result.reason, "(round 2 of 3)"));
    g_assert_cmpint(good->result.status, ==, CELL_OK);
    g_assert_cmpuint(good->rounds, ==, 3);
    g_assert_cmpuint(calls, ==, 2 + 3);   /* the failed cell ran twice, the other three times */
}

/* Cancelled in round 2: a cell that finished round 1 keeps its figures, cancelled. */
static void test_cancel_keeps_finished_rounds(void)
{
    g_autoptr(BenchPlan) plan = plan_for("none", "native,io_uring", 3);
    GError *err = NULL;
    struct bench_run *run;
    int index;

    script_reset();
    cancel_at = 2;   /* the first call of round 2 */
    plan->runner = scripted_runner;
    run = bench_run_start(plan, &err);
    g_assert_no_error(err);
    current_run = run;
    while ((index = bench_run_next(run, -1)) != BENCH_RUN_END)
        ;
    bench_run_free(run);
    g_assert_cmpuint(calls, ==, 3);
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = cell(plan, i);

        g_assert_cmpint(c->result.status, ==, CELL_CANCELLED);
        g_assert_cmpuint(c->rounds, ==, 1);
        g_assert_cmpfloat(c->result.iops, >, 0);
        g_assert_nonnull(strstr(c->result.reason, "cancelled after 1 of 3 rounds"));
    }
}

static void test_repeat_limits(void)
{
    struct bench_request req;
    GError *err = NULL;

    bench_request_init(&req);
    req.repeat = BENCH_MAX_REPEAT + 1;
    g_assert_null(bench_plan_new("/var/tmp/x", &req, 0, &err));
    g_assert_error(err, BENCH_ERROR, BENCH_ERROR_USAGE);
    g_assert_nonnull(strstr(err->message, "--repeat"));
    g_clear_error(&err);
}

/* ---- the tie rule --------------------------------------------------------------------------- */

/* Set a cell ok with IOPS median m and the spread lo..hi (rounds 3), or one round when
 * lo == hi == m and rounds is 1. */
static void set_cell(struct bench_plan *plan, enum cache_mode c, enum io_mode io, double m,
                     double lo, double hi, unsigned rounds)
{
    struct bench_cell *x = cell(plan, (guint)find(plan, c, io));

    x->result = (struct bench_result){ .status = CELL_OK, .iops = m, .ops = 100, .seconds = 1,
                                       .lat_ns = { 1, 1, (uint64_t)(1e6 / m), 1, 1 } };
    x->lo = x->result;
    x->hi = x->result;
    x->lo.iops = lo;
    x->hi.iops = hi;
    x->lo.lat_ns.p99 = (uint64_t)(1e6 / hi);
    x->hi.lat_ns.p99 = (uint64_t)(1e6 / lo);
    x->rounds = rounds;
    x->finished = true;
}

static void finish_rest(struct bench_plan *plan)
{
    for (guint i = 0; i < plan->cells->len; i++)
        if (!cell(plan, i)->finished) {
            cell(plan, i)->finished = true;
            cell(plan, i)->result.status = CELL_ERROR;
        }
}

static void test_tie_rule(void)
{
    g_autoptr(BenchPlan) plan = plan_for("none,directsync", "native,io_uring", 3);
    g_autofree guint8 *marks = g_new0(guint8, plan->cells->len);
    guint top = (guint)find(plan, CACHE_NONE, IO_URING);
    guint second = (guint)find(plan, CACHE_NONE, IO_NATIVE);
    guint far = (guint)find(plan, CACHE_DIRECTSYNC, IO_NATIVE);

    /* Lead 8 against a spread of 10 of the top cell: a tie of the two. */
    set_cell(plan, CACHE_NONE, IO_URING, 100, 95, 105, 3);
    set_cell(plan, CACHE_NONE, IO_NATIVE, 92, 90, 94, 3);
    set_cell(plan, CACHE_DIRECTSYNC, IO_NATIVE, 50, 49, 51, 3);
    finish_rest(plan);
    g_assert_cmpuint(bench_rank(plan, WL_RANDREAD, FIG_IOPS, marks), ==, 2);
    g_assert_cmpint(marks[top], ==, MARK_TIE);
    g_assert_cmpint(marks[second], ==, MARK_TIE);
    g_assert_cmpint(marks[far], ==, MARK_NONE);
    g_assert_cmpint(bench_output_best(plan, WL_RANDREAD), ==, -1);
    {
        g_autofree char *table = bench_output_table(plan);
        g_autofree char *json = bench_output_json_text(plan);

        g_assert_nonnull(strstr(table, "~100"));
        g_assert_nonnull(strstr(table, "~92"));
        g_assert_null(strstr(table, "*"));
        g_assert_nonnull(strstr(table, "a tie"));
        g_assert_nonnull(strstr(table, "IOPS min-max over the 3 rounds"));
        g_assert_nonnull(strstr(table, "95-105"));
        g_assert_nonnull(strstr(json, "\"mark\":\"tie\""));
        g_assert_null(strstr(json, "\"mark\":\"best\""));
    }
    /* The second's own spread counts too: lead 8 against its spread of 9. */
    set_cell(plan, CACHE_NONE, IO_URING, 100, 98, 102, 3);
    set_cell(plan, CACHE_NONE, IO_NATIVE, 92, 86, 95, 3);
    g_assert_cmpuint(bench_rank(plan, WL_RANDREAD, FIG_IOPS, marks), ==, 2);
    /* Lead 8 beyond both spreads (4 and 4): the best mark. */
    set_cell(plan, CACHE_NONE, IO_NATIVE, 92, 90, 94, 3);
    g_assert_cmpuint(bench_rank(plan, WL_RANDREAD, FIG_IOPS, marks), ==, 1);
    g_assert_cmpint(marks[top], ==, MARK_BEST);
    g_assert_cmpint(marks[second], ==, MARK_NONE);
    g_assert_cmpint(bench_output_best(plan, WL_RANDREAD), ==, (int)top);
    {
        g_autofree char *table = bench_output_table(plan);

        g_assert_nonnull(strstr(table, "*100"));
        g_assert_nonnull(strstr(table, "beyond the spread"));
    }
    /* A lower-is-better figure ranks the other way: p99 is lowest at the top IOPS cell. */
    g_assert_cmpuint(bench_rank(plan, WL_RANDREAD, FIG_LAT_P99, marks), >=, 1);
    g_assert_cmpint(marks[top], !=, MARK_NONE);
    g_assert_cmpint(marks[far], ==, MARK_NONE);
    /* One round each: no spread, any lead is a lead, an equal figure a tie. */
    set_cell(plan, CACHE_NONE, IO_URING, 100, 100, 100, 1);
    set_cell(plan, CACHE_NONE, IO_NATIVE, 99, 99, 99, 1);
    g_assert_cmpuint(bench_rank(plan, WL_RANDREAD, FIG_IOPS, marks), ==, 1);
    g_assert_cmpint(marks[top], ==, MARK_BEST);
    {
        g_autofree char *table = bench_output_table(plan);

        g_assert_nonnull(strstr(table, "one round: no spread measured"));
    }
    set_cell(plan, CACHE_NONE, IO_NATIVE, 100, 100, 100, 1);
    g_assert_cmpuint(bench_rank(plan, WL_RANDREAD, FIG_IOPS, marks), ==, 2);
}

/* Medians, spreads and rounds survive --save and the results reader; CSV has them too. */
static void test_spreads_round_trip(void)
{
    g_autoptr(BenchPlan) plan = plan_for("none", "native,io_uring", 3);
    g_autoptr(BenchPlan) back = NULL;
    g_autofree char *json = NULL, *csv = NULL, *t1 = NULL, *t2 = NULL, *bounds = NULL;
    GError *err = NULL;
    const struct bench_cell *c;
    double base;

    script_reset();
    plan->runner = scripted_runner;
    run_to_end(plan);
    json = bench_output_json_text(plan);
    back = results_store_parse(json, strlen(json), NULL, &err);
    g_assert_no_error(err);
    g_assert_cmpuint(back->repeat, ==, 3);
    c = &g_array_index(back->cells, struct bench_cell, find(back, CACHE_NONE, IO_URING));
    base = 1000.0 * (1 + CACHE_NONE) + 100.0 * IO_URING;
    g_assert_cmpuint(c->rounds, ==, 3);
    g_assert_cmpfloat_with_epsilon(c->result.iops, 2 * base, 1e-6);
    g_assert_cmpfloat_with_epsilon(c->lo.iops, base, 1e-6);
    g_assert_cmpfloat_with_epsilon(c->hi.iops, 3 * base, 1e-6);
    g_assert_cmpuint(c->hi.lat_ns.p99, ==, (uint64_t)(1e9 / base));
    t1 = bench_output_table(plan);
    t2 = bench_output_table(back);
    /* The reader has no kernel or QEMU line of its own to differ in: compare from the grid. */
    g_assert_cmpstr(strstr(t1, "cache "), ==, strstr(t2, "cache "));
    csv = bench_output_csv(plan);
    bounds = g_strdup_printf(",%.1f,%.1f,", base, 3 * base);   /* iops_min, iops_max */
    g_assert_nonnull(strstr(csv, ",3,"));                      /* rounds */
    g_assert_nonnull(strstr(csv, bounds));
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/rounds/median-spread-and-interleaving", test_median_spread_and_interleaving);
    g_test_add_func("/rounds/even-rounds-median", test_even_rounds_median);
    g_test_add_func("/rounds/failed-round-ends-the-cell", test_failed_round_ends_the_cell);
    g_test_add_func("/rounds/cancel-keeps-finished-rounds", test_cancel_keeps_finished_rounds);
    g_test_add_func("/rounds/repeat-limits", test_repeat_limits);
    g_test_add_func("/rounds/tie-rule", test_tie_rule);
    g_test_add_func("/rounds/spreads-round-trip", test_spreads_round_trip);
    return g_test_run();
}
