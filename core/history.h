/* The history of a disk's runs: two saved runs (core/results_store.h) compared cell by cell
 * (same workload, cache and io), each figure's change in % with both runs' spreads, and
 * whether the change is beyond noise: with rounds on both sides only when the two runs'
 * [min, max] ranges do not overlap; with one round on either side nothing can be said
 * (no spread was measured). Pure functions: no I/O, no clock (tests/test_history.c). */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include <stdbool.h>
#include "core/bench.h"
#include "core/results_store.h"

enum history_verdict {
    HISTORY_NO_FIGURE,     /* a side did not measure it (not ok, or no latency) */
    HISTORY_ONE_ROUND,     /* a side ran one round: no spread measured */
    HISTORY_WITHIN_NOISE,  /* the [min, max] ranges overlap */
    HISTORY_BEYOND_NOISE,  /* they do not */
    HISTORY_VERDICT_COUNT
};
/* "none", "one_round", "within_noise", "beyond_noise" (JSON). */
const char *history_verdict_name(enum history_verdict v);

/* One figure of one cell in the older run (a) and the newer (b). */
struct history_figure {
    enum history_verdict verdict;
    double a, b;               /* the figures (medians over rounds) */
    double a_lo, a_hi, b_lo, b_hi;   /* the spreads; lo = hi = the figure with one round */
    double change_pct;         /* (b - a) / a * 100; 0 when a is 0 */
};

/* f of cell a against cell b (either may be NULL: HISTORY_NO_FIGURE). */
void history_figure_compare(const struct bench_cell *a, const struct bench_cell *b,
                            enum bench_figure f, struct history_figure *out);

struct history_cell {
    enum workload_kind kind;
    enum cache_mode cache;
    enum io_mode io;
    const char *status_a, *status_b;   /* "ok", "error", ..., or "absent" (not in that run) */
    struct history_figure iops, p99;
};

/* The cells of a (older) and b (newer) with the same workload, cache and io, in b's order,
 * then a's cells b has not. Caller frees with g_array_unref() (struct history_cell). */
GArray *history_compare(const struct bench_plan *a, const struct bench_plan *b);

/* Whether two saved runs measured the same thing: the same host (when both say), and the
 * same target identity when both recorded one, else the same domain and disk, else the same
 * target path. false with *why (raw: escape it to show; caller frees with g_free()) in one
 * line naming both. */
bool history_same_target(const struct results_run *a, const struct results_run *b, char **why);

/* "2026-12-01 14:02" (UTC) of a run's time. Caller frees with g_free(). */
char *history_when(gint64 t);
/* "web1/vda" or the target path, escaped. Caller frees with g_free(). */
char *history_subject(const struct bench_plan *plan);

/* One line per run for `history`: "#  when  subject  workloads  cells ok  rounds  runner  file";
 * number n is the run's place in runs (1 = newest). Caller frees with g_free(). */
char *history_list_text(const GPtrArray *runs);
/* The same as a JSON array (docs/json.md "history --json"); caller owns it. */
json_object *history_list_json(const GPtrArray *runs);
/* The same as CSV with a header line. Caller frees with g_free(). */
char *history_list_csv(const GPtrArray *runs);

/* `history --compare`: a header naming both runs (na, nb: their numbers, 0 when given as a
 * path), then one line per cell. Caller frees with g_free(). */
char *history_compare_text(const struct results_run *a, unsigned na,
                           const struct results_run *b, unsigned nb, const GArray *cells);
/* The same as a JSON object (docs/json.md "history --compare --json"); caller owns it. */
json_object *history_compare_json(const struct results_run *a, unsigned na,
                                  const struct results_run *b, unsigned nb,
                                  const GArray *cells);
