/* The results store read back: the files bench --save and the console write (one JSON array
 * of cells per run, docs/json.md "bench --json") parsed into plans, so that the console
 * shows each disk's last results when it starts. Outside input: every file is checked, a
 * bad one is skipped with the reason, never trusted (tests/fuzz_results.c). */
#pragma once
#include <glib.h>
#include "core/bench.h"

/* One saved run. */
struct results_run {
    char *path;
    gint64 mtime;             /* s since the epoch: when it was saved */
    struct bench_plan *plan;  /* target, domain, disk and the cells with their results */
};

/* The run in a JSON text (an array of cell objects). NULL with BENCH_ERROR_FAILED naming
 * what is wrong (not an array, a cell without a known cache, io, workload or status, mixed
 * targets). Caller frees with bench_plan_free(). */
struct bench_plan *results_store_parse(const char *json, gsize len, GError **err);

/* Every bench-*.json in dir, newest first; files that cannot be read or parsed are left
 * out and named in *skipped (one line each: "PATH: why"; may be NULL). A missing dir gives
 * an empty array. Caller frees with g_ptr_array_unref() (struct results_run *). */
GPtrArray *results_store_load(const char *dir, GPtrArray **skipped);

/* The newest run of domain's disk in runs (as results_store_load() orders them); NULL
 * when none. Borrowed from runs; a run whose plan a caller took (set to NULL) is skipped. */
const struct results_run *results_store_find(const GPtrArray *runs, const char *domain,
                                             const char *disk);
