#include "core/bench_rounds.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

double bench_result_figure(const struct bench_result *r, enum bench_figure f)
{
    switch (f) {
    case FIG_IOPS: return r->iops;
    case FIG_BYTES_PER_S: return r->bytes_per_s;
    case FIG_LAT_MEAN: return (double)r->lat_ns.mean;
    case FIG_LAT_P50: return (double)r->lat_ns.p50;
    case FIG_LAT_P99: return (double)r->lat_ns.p99;
    case FIG_LAT_P999: return (double)r->lat_ns.p999;
    case FIG_LAT_MAX: return (double)r->lat_ns.max;
    case FIG_CPU: return r->cpu_us_per_io;
    default: return 0;
    }
}

bool bench_figure_higher_better(enum bench_figure f)
{
    return f == FIG_IOPS || f == FIG_BYTES_PER_S;
}

double bench_cell_spread(const struct bench_cell *c, enum bench_figure f)
{
    if (c->rounds < 2)
        return 0;
    return bench_result_figure(&c->hi, f) - bench_result_figure(&c->lo, f);
}

/* ---- combining rounds -------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* Sorts v (n >= 1); the median, the middle two's mean for an even n. */
static double median(double *v, unsigned n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Where each figure lives in struct bench_result, as a double or a uint64_t. */
struct field { size_t offset; bool u64; };
#define DBL(member) { offsetof(struct bench_result, member), false }
#define U64(member) { offsetof(struct bench_result, member), true }
static const struct field fields[] = {
    DBL(iops), DBL(bytes_per_s), U64(lat_ns.mean), U64(lat_ns.p50), U64(lat_ns.p99),
    U64(lat_ns.p999), U64(lat_ns.max), DBL(cpu_us_per_io), U64(ctx_switches),
    DBL(data_fraction), DBL(device_read_share),
};

static double field_get(const struct bench_result *r, const struct field *f)
{
    const char *p = (const char *)r + f->offset;

    return f->u64 ? (double)*(const uint64_t *)p : *(const double *)p;
}

static void field_set(struct bench_result *r, const struct field *f, double v)
{
    char *p = (char *)r + f->offset;

    if (f->u64)
        *(uint64_t *)p = (uint64_t)llround(v);
    else
        *(double *)p = v;
}

void bench_rounds_combine(struct bench_cell *cell, const struct bench_result *rounds, unsigned n)
{
    g_autofree double *v = g_new(double, n ? n : 1);
    struct bench_result med = rounds[0], lo = rounds[0], hi = rounds[0];

    med.ops = med.bytes = 0;
    med.seconds = 0;
    for (unsigned k = 0; k < n; k++) {
        med.ops += rounds[k].ops;
        med.bytes += rounds[k].bytes;
        med.seconds += rounds[k].seconds;
        med.device_measured = med.device_measured && rounds[k].device_measured;
    }
    for (size_t f = 0; f < G_N_ELEMENTS(fields); f++) {
        for (unsigned k = 0; k < n; k++)
            v[k] = field_get(&rounds[k], &fields[f]);
        field_set(&med, &fields[f], median(v, n));
        field_set(&lo, &fields[f], v[0]);
        field_set(&hi, &fields[f], v[n - 1]);
    }
    lo.device_measured = hi.device_measured = med.device_measured;
    cell->result = med;
    cell->lo = lo;
    cell->hi = hi;
    cell->rounds = n;
}

/* ---- ranking ----------------------------------------------------------------------------- */

unsigned bench_rank(const struct bench_plan *plan, enum workload_kind kind, enum bench_figure f,
                    guint8 *marks)
{
    bool higher = bench_figure_higher_better(f);
    int top = -1;
    unsigned marked = 0;

    memset(marks, MARK_NONE, plan->cells->len);
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);
        double x;

        if (c->kind != kind || !c->finished || c->result.status != CELL_OK)
            continue;
        x = bench_result_figure(&c->result, f);
        if (top < 0) {
            top = (int)i;
            continue;
        }
        double t = bench_result_figure(
            &g_array_index(plan->cells, struct bench_cell, top).result, f);
        if (higher ? x > t : x < t)
            top = (int)i;
    }
    if (top < 0)
        return 0;
    const struct bench_cell *tc = &g_array_index(plan->cells, struct bench_cell, top);
    double t = bench_result_figure(&tc->result, f), ts = bench_cell_spread(tc, f);

    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);
        double gap;

        if ((int)i == top || c->kind != kind || !c->finished || c->result.status != CELL_OK)
            continue;
        gap = fabs(t - bench_result_figure(&c->result, f));
        /* A lead is a lead only beyond the noise of both cells (and an equal figure is
         * never one). */
        if (gap <= MAX(ts, bench_cell_spread(c, f))) {
            marks[i] = MARK_TIE;
            marked++;
        }
    }
    marks[top] = marked ? MARK_TIE : MARK_BEST;
    return marked + 1;
}
