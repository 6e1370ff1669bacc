/* Fuzz target for results_store_parse, the parser of outside input (saved results files).
 * With -DVDT_LIBFUZZER and clang's -fsanitize=fuzzer this is a libFuzzer target (seed it
 * with tests/data/results/). Without, a unit test drives it over every fixture, each of its
 * prefixes and deterministic byte mutations. */
#include <math.h>
#include <stdint.h>
#include <string.h>
#include <glib.h>
#include "core/results_store.h"
#ifndef VDT_LIBFUZZER
#include "tests/testutil.h"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* What must hold for any file that parses: libFuzzer reports an abort as a finding. */
static void check_invariants(const struct bench_plan *plan, const struct results_meta *m)
{
    if (!plan->target || plan->cells->len == 0)
        g_error("a parsed run without a target or cells");
    if (m->format != 1 && m->format != RESULTS_FORMAT)
        g_error("a parsed run of format %d", m->format);
    if (m->format == 1 && (m->tool || m->host || m->uri || m->identity.kind != RESULTS_ID_NONE))
        g_error("a format 1 run with a header");
    if ((unsigned)m->identity.kind > RESULTS_ID_FILE || plan->repeat < 1 ||
        plan->repeat > BENCH_MAX_REPEAT || !isfinite(plan->runtime_s) || plan->runtime_s < 0 ||
        !isfinite(plan->ramp_s) || plan->ramp_s < 0 || m->workload_mask >> WL_COUNT ||
        m->cache_mask >> CACHE_COUNT || m->io_mask >> IO_COUNT ||
        (unsigned)plan->runner_id >= RUNNER_COUNT)
        g_error("a header field out of range");
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if ((unsigned)c->cache >= CACHE_COUNT || (unsigned)c->io >= IO_COUNT ||
            (unsigned)c->kind >= WL_COUNT || (unsigned)c->result.status >= CELL_STATUS_COUNT)
            g_error("cell %u: an enum out of range", i);
        if (!isfinite(c->result.iops) || c->result.iops < 0 || c->result.data_fraction > 1 ||
            memchr(c->result.reason, '\0', sizeof c->result.reason) == NULL)
            g_error("cell %u: a figure out of range", i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_autoptr(GError) err = NULL;
    struct results_meta meta = { 0 };
    g_autoptr(BenchPlan) plan = results_store_parse((const char *)data, size, &meta, &err);

    if (plan)
        check_invariants(plan, &meta);
    results_meta_clear(&meta);
    if (plan)
        return 0;
    if (!err || !err->message || strchr(err->message, '\n'))
        g_error("a failed parse must give a one-line error");
    return 0;
}

#ifndef VDT_LIBFUZZER
static void test_fixtures_and_their_mutations_never_crash(void)
{
    unsigned runs = testutil_fuzz_fixtures(LLVMFuzzerTestOneInput, "results", ".json", 2);

    g_assert_cmpuint(runs, >, 2 * 100);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    g_test_add_func("/fuzz-results/fixtures-and-their-mutations-never-crash",
                    test_fixtures_and_their_mutations_never_crash);
    return g_test_run();
}
#endif
