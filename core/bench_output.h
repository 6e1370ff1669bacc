/* A bench plan's results as text: the side-by-side table, JSON and CSV (docs/json.md
 * "bench --json"), and the progress lines: pure functions of the plan, no I/O, no clock.
 * (--save's file is core/results_store.h's.) */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include "core/bench.h"

/* "812", "12.3k", "183k" IOPS; and "412 ns", "2.5 µs", "412 µs", "2.29 ms", "1.20 s". */
void bench_output_format_iops(double iops, char *buf, size_t size);
void bench_output_format_ns(uint64_t ns, char *buf, size_t size);

/* The valid cell of a workload with the highest IOPS among those that ended ok, when its
 * lead is beyond the spreads (bench_rank MARK_BEST); -1 when none did or the top is a tie. */
int bench_output_best(const struct bench_plan *plan, enum workload_kind kind);

/* One table per workload in the plan: rows cache modes, columns io modes, each cell
 * "IOPS p99" (best marked "*") or its status (invalid, unsup, error, refused, cancelled,
 * or pending for a cell not finished yet: JSON and CSV say "pending" too);
 * under it the reasons and warnings, identical ones grouped. Caller frees with g_free(). */
char *bench_output_table(const struct bench_plan *plan);

/* An array with one object per cell, in plan order. Caller owns it (json_object_put). */
json_object *bench_output_json(const struct bench_plan *plan);
/* The same as pretty-printed text ending in a newline, with DEL, C1 and bidi controls from
 * domain XML written as \uXXXX escapes (textesc_json). Caller frees with g_free(). */
char *bench_output_json_text(const struct bench_plan *plan);

/* A header line and one row per cell, the same fields as JSON with lat_ns flattened
 * (lat_ns_mean, ...); RFC 4180 quoting; empty field for null. Caller frees with g_free(). */
char *bench_output_csv(const struct bench_plan *plan);

/* raw as one CSV field: escaped as all the tool shows (textesc_escape), quoted per RFC 4180
 * when it holds a comma or a quote. */
void bench_output_csv_field(GString *out, const char *raw);

/* "[3/12] none/io_uring randread 12.3k IOPS 2.1/5.0 s" for the running cell ("[3/24] round
 * 1/2 none/io_uring ..." with repeats), "" when none runs; of is bench_plan_runs(). Caller frees with g_free(). */
char *bench_output_progress(const struct bench_plan *plan, const struct bench_progress *p,
                            unsigned of);

/* "[3/12] none/io_uring randread: ok 12.3k IOPS, p99 412 µs" for a finished cell.
 * Caller frees with g_free(). */
char *bench_output_cell_line(const struct bench_plan *plan, unsigned index, unsigned ordinal,
                             unsigned of);
