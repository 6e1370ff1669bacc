#include "core/crosscheck.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/bench_output.h"

/* ---- Spearman ---------------------------------------------------------------------------- */

struct ranked { double v; unsigned at; };

static int cmp_ranked(const void *a, const void *b)
{
    double x = ((const struct ranked *)a)->v, y = ((const struct ranked *)b)->v;

    return (x > y) - (x < y);
}

/* Ranks 1..n of v into rank, ties sharing their mean rank. */
static void ranks(const double *v, unsigned n, double *rank)
{
    g_autofree struct ranked *r = g_new(struct ranked, n);

    for (unsigned i = 0; i < n; i++)
        r[i] = (struct ranked){ v[i], i };
    qsort(r, n, sizeof *r, cmp_ranked);
    for (unsigned i = 0; i < n;) {
        unsigned j = i;

        while (j + 1 < n && r[j + 1].v == r[i].v)
            j++;
        for (unsigned k = i; k <= j; k++)
            rank[r[k].at] = (i + j) / 2.0 + 1;
        i = j + 1;
    }
}

/* Pearson's correlation of the ranks: exact with ties, unlike 1 - 6 sum d^2 / n(n^2-1). */
double crosscheck_spearman(const double *x, const double *y, unsigned n)
{
    g_autofree double *rx = NULL, *ry = NULL;
    double mx = 0, my = 0, sxy = 0, sxx = 0, syy = 0;

    if (n < 3)
        return NAN;
    rx = g_new(double, n);
    ry = g_new(double, n);
    ranks(x, n, rx);
    ranks(y, n, ry);
    for (unsigned i = 0; i < n; i++) {
        mx += rx[i] / n;
        my += ry[i] / n;
    }
    for (unsigned i = 0; i < n; i++) {
        sxy += (rx[i] - mx) * (ry[i] - my);
        sxx += (rx[i] - mx) * (rx[i] - mx);
        syy += (ry[i] - my) * (ry[i] - my);
    }
    if (sxx == 0 || syy == 0)
        return NAN;
    return sxy / sqrt(sxx * syy);
}

/* ---- comparing two plans ------------------------------------------------------------------- */

static const struct bench_cell *find(const struct bench_plan *plan, enum workload_kind kind,
                                     enum cache_mode cache, enum io_mode io)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if (c->kind == kind && c->cache == cache && c->io == io)
            return c;
    }
    return NULL;
}

static bool ok(const struct bench_cell *c)
{
    return c && c->valid && c->finished && c->result.status == CELL_OK && c->result.iops > 0;
}

/* Pairs of io modes within each cache mode that both order alike (a tie on either side
 * counts as agreeing only when both tie). */
static void io_agreement(struct crosscheck *x)
{
    for (guint i = 0; i < x->cells->len; i++)
        for (guint j = i + 1; j < x->cells->len; j++) {
            const struct crosscheck_cell *a = &g_array_index(x->cells, struct crosscheck_cell, i);
            const struct crosscheck_cell *b = &g_array_index(x->cells, struct crosscheck_cell, j);
            int so, st;

            if (a->cache != b->cache)
                continue;
            so = (a->ours > b->ours) - (a->ours < b->ours);
            st = (a->theirs > b->theirs) - (a->theirs < b->theirs);
            x->io_pairs++;
            x->io_pairs_agree += so == st;
        }
}

static void check_free(gpointer p)
{
    struct crosscheck *x = p;

    g_array_unref(x->cells);
    g_free(x);
}

GPtrArray *crosscheck_compare(const struct bench_plan *ours, const struct bench_plan *theirs)
{
    GPtrArray *out = g_ptr_array_new_with_free_func(check_free);

    for (int kind = 0; kind < WL_COUNT; kind++) {
        struct crosscheck *x = NULL;
        g_autofree double *a = NULL, *b = NULL;

        for (guint i = 0; i < ours->cells->len; i++) {
            const struct bench_cell *o = &g_array_index(ours->cells, struct bench_cell, i);
            const struct bench_cell *t;

            if ((int)o->kind != kind || !(t = find(theirs, o->kind, o->cache, o->io)))
                continue;
            if (!x) {
                x = g_new0(struct crosscheck, 1);
                x->kind = (enum workload_kind)kind;
                x->cells = g_array_new(FALSE, TRUE, sizeof(struct crosscheck_cell));
            }
            if (ok(o) && ok(t)) {
                struct crosscheck_cell c = { o->cache, o->io, o->result.iops, t->result.iops,
                                             o->result.iops / t->result.iops };

                g_array_append_val(x->cells, c);
            }
        }
        if (!x)
            continue;
        a = g_new(double, x->cells->len + 1);
        b = g_new(double, x->cells->len + 1);
        for (guint i = 0; i < x->cells->len; i++) {
            a[i] = g_array_index(x->cells, struct crosscheck_cell, i).ours;
            b[i] = g_array_index(x->cells, struct crosscheck_cell, i).theirs;
        }
        x->rho = crosscheck_spearman(a, b, x->cells->len);
        io_agreement(x);
        g_ptr_array_add(out, x);
    }
    return out;
}

/* ---- output ---------------------------------------------------------------------------------- */

char *crosscheck_text(const GPtrArray *checks, const char *ours, const char *theirs)
{
    GString *out = g_string_new(NULL);

    for (guint k = 0; k < checks->len; k++) {
        const struct crosscheck *x = g_ptr_array_index(checks, k);
        double lo = INFINITY, hi = 0;

        g_string_append_printf(out, "%scross-check %s: %s against %s, %u cells ok in both\n",
                               out->len ? "\n" : "", workload_default(x->kind)->name, ours,
                               theirs, x->cells->len);
        if (isnan(x->rho))
            g_string_append(out, "  rank correlation (Spearman): not defined (fewer than 3 "
                                 "cells, or one side's figures all equal)\n");
        else
            g_string_append_printf(out, "  rank correlation of IOPS (Spearman): rho %.2f\n", x->rho);
        if (x->io_pairs)
            g_string_append_printf(out, "  io modes within each cache mode: %u of %u pairs in the "
                                        "same order\n", x->io_pairs_agree, x->io_pairs);
        g_string_append_printf(out, "  %-24s %10s %10s %7s\n", "cell", ours, theirs, "ratio");
        for (guint i = 0; i < x->cells->len; i++) {
            const struct crosscheck_cell *c = &g_array_index(x->cells, struct crosscheck_cell, i);
            char name[48], a[32], b[32];

            g_snprintf(name, sizeof name, "%s/%s", cache_mode_info(c->cache)->name,
                       io_mode_info(c->io)->name);
            bench_output_format_iops(c->ours, a, sizeof a);
            bench_output_format_iops(c->theirs, b, sizeof b);
            g_string_append_printf(out, "  %-24s %10s %10s %6.2fx\n", name, a, b, c->ratio);
            lo = MIN(lo, c->ratio);
            hi = MAX(hi, c->ratio);
        }
        if (x->cells->len)
            g_string_append_printf(out, "  ratio %s/%s: %.2fx to %.2fx\n", ours, theirs, lo, hi);
    }
    return g_string_free(out, FALSE);
}

static json_object *jnum(double v, int decimals)
{
    char buf[64];

    if (isnan(v))
        return NULL;
    g_snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return json_object_new_double_s(v, buf);
}

json_object *crosscheck_json(const GPtrArray *checks)
{
    json_object *arr = json_object_new_array();

    for (guint k = 0; k < checks->len; k++) {
        const struct crosscheck *x = g_ptr_array_index(checks, k);
        json_object *o = json_object_new_object(), *cells = json_object_new_array();

        json_object_object_add(o, "workload",
                               json_object_new_string(workload_default(x->kind)->name));
        json_object_object_add(o, "rho", jnum(x->rho, 3));
        json_object_object_add(o, "io_pairs", json_object_new_int64(x->io_pairs));
        json_object_object_add(o, "io_pairs_agree", json_object_new_int64(x->io_pairs_agree));
        for (guint i = 0; i < x->cells->len; i++) {
            const struct crosscheck_cell *c = &g_array_index(x->cells, struct crosscheck_cell, i);
            json_object *e = json_object_new_object();

            json_object_object_add(e, "cache",
                                   json_object_new_string(cache_mode_info(c->cache)->name));
            json_object_object_add(e, "io", json_object_new_string(io_mode_info(c->io)->name));
            json_object_object_add(e, "iops", jnum(c->ours, 1));
            json_object_object_add(e, "iops_other", jnum(c->theirs, 1));
            json_object_object_add(e, "ratio", jnum(c->ratio, 3));
            json_object_array_add(cells, e);
        }
        json_object_object_add(o, "cells", cells);
        json_object_array_add(arr, o);
    }
    return arr;
}
