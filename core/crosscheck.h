/* bench --cross-check: the same matrix run by two runners (the in-process engines and
 * qemu-img bench), compared per workload. Pure functions of two finished plans. */
#pragma once
#include <glib.h>
#include <json-c/json.h>
#include "core/bench.h"

struct crosscheck_cell {
    enum cache_mode cache;
    enum io_mode io;
    double ours, theirs;     /* IOPS of the first plan and of the second */
    double ratio;            /* ours / theirs */
};

struct crosscheck {
    enum workload_kind kind;
    GArray *cells;           /* struct crosscheck_cell: valid cells ok in both, plan order */
    double rho;              /* Spearman's rank correlation of IOPS over cells; NAN with < 3 */
    /* Within each cache mode, the pairs of io modes both runners order the same way, of
     * all pairs compared (cache modes with two or more io modes ok in both). */
    unsigned io_pairs_agree, io_pairs;
};

/* Spearman's rho of x and y (n values each; ties get their mean rank); NAN when n < 3 or
 * either side has no spread. */
double crosscheck_spearman(const double *x, const double *y, unsigned n);

/* One struct crosscheck per workload in both plans (cells matched by cache and io).
 * Caller frees with g_ptr_array_unref(). */
GPtrArray *crosscheck_compare(const struct bench_plan *ours, const struct bench_plan *theirs);

/* The report: per workload rho, the io-mode agreement and the ratio per cell, naming the
 * runners. Caller frees with g_free(). */
char *crosscheck_text(const GPtrArray *checks, const char *ours, const char *theirs);
/* The same as JSON (docs/json.md "bench --cross-check"). Caller owns it. */
json_object *crosscheck_json(const GPtrArray *checks);
