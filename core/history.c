#include "core/history.h"

#include <math.h>
#include <string.h>
#include "core/bench_output.h"
#include "core/textesc.h"

static const char *const verdict_names[HISTORY_VERDICT_COUNT] = {
    [HISTORY_NO_FIGURE] = "none",
    [HISTORY_ONE_ROUND] = "one_round",
    [HISTORY_WITHIN_NOISE] = "within_noise",
    [HISTORY_BEYOND_NOISE] = "beyond_noise",
};

const char *history_verdict_name(enum history_verdict v)
{
    return (unsigned)v < HISTORY_VERDICT_COUNT ? verdict_names[v] : "none";
}

static bool cell_ok(const struct bench_cell *c)
{
    return c && c->finished && c->result.status == CELL_OK;
}

static bool has_figure(const struct bench_cell *c, enum bench_figure f)
{
    return cell_ok(c) && !(c->result.no_latency && f >= FIG_LAT_MEAN && f <= FIG_LAT_MAX);
}

/* A cell's figure and its [lo, hi] over rounds (lo = hi = the figure with one round). */
static void figure_range(const struct bench_cell *c, enum bench_figure f, double *v,
                         double *lo, double *hi)
{
    *v = bench_result_figure(&c->result, f);
    *lo = c->rounds > 1 ? bench_result_figure(&c->lo, f) : *v;
    *hi = c->rounds > 1 ? bench_result_figure(&c->hi, f) : *v;
}

void history_figure_compare(const struct bench_cell *a, const struct bench_cell *b,
                            enum bench_figure f, struct history_figure *out)
{
    memset(out, 0, sizeof *out);
    if (!has_figure(a, f) || !has_figure(b, f))
        return;
    figure_range(a, f, &out->a, &out->a_lo, &out->a_hi);
    figure_range(b, f, &out->b, &out->b_lo, &out->b_hi);
    out->change_pct = out->a > 0 ? (out->b - out->a) / out->a * 100 : 0;
    if (a->rounds < 2 || b->rounds < 2)
        out->verdict = HISTORY_ONE_ROUND;
    else if (out->a_hi < out->b_lo || out->b_hi < out->a_lo)
        out->verdict = HISTORY_BEYOND_NOISE;
    else
        out->verdict = HISTORY_WITHIN_NOISE;
}

static const char *status_of(const struct bench_cell *c)
{
    if (!c)
        return "absent";
    return c->finished ? bench_status_name(c->result.status) : "pending";
}

static const struct bench_cell *find_cell(const struct bench_plan *plan,
                                          const struct bench_cell *like)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if (c->kind == like->kind && c->cache == like->cache && c->io == like->io)
            return c;
    }
    return NULL;
}

static void add_cell(GArray *out, const struct bench_cell *a, const struct bench_cell *b)
{
    const struct bench_cell *any = b ? b : a;
    struct history_cell h = { any->kind, any->cache, any->io, status_of(a), status_of(b),
                              { 0 }, { 0 } };

    history_figure_compare(a, b, FIG_IOPS, &h.iops);
    history_figure_compare(a, b, FIG_LAT_P99, &h.p99);
    g_array_append_val(out, h);
}

GArray *history_compare(const struct bench_plan *a, const struct bench_plan *b)
{
    GArray *out = g_array_new(FALSE, TRUE, sizeof(struct history_cell));

    for (guint i = 0; i < b->cells->len; i++) {
        const struct bench_cell *cb = &g_array_index(b->cells, struct bench_cell, i);

        add_cell(out, find_cell(a, cb), cb);
    }
    for (guint i = 0; i < a->cells->len; i++) {
        const struct bench_cell *ca = &g_array_index(a->cells, struct bench_cell, i);

        if (!find_cell(b, ca))
            add_cell(out, ca, NULL);
    }
    return out;
}

/* ---- which runs may be compared ------------------------------------------------------- */

static char *subject_raw(const struct bench_plan *plan)
{
    if (plan->domain && plan->disk)
        return g_strdup_printf("%s/%s", plan->domain, plan->disk);
    return g_strdup(plan->target);
}

char *history_subject(const struct bench_plan *plan)
{
    g_autofree char *raw = subject_raw(plan);

    return textesc_escape(raw);
}

bool history_same_target(const struct results_run *a, const struct results_run *b, char **why)
{
    const struct bench_plan *pa = a->plan, *pb = b->plan;
    g_autofree char *sa = subject_raw(pa), *sb = subject_raw(pb);
    bool both_ids = a->meta.identity.kind != RESULTS_ID_NONE &&
                    b->meta.identity.kind != RESULTS_ID_NONE;

    *why = NULL;
    if (a->meta.host && b->meta.host && strcmp(a->meta.host, b->meta.host) != 0) {
        *why = g_strdup_printf("%s on host %s and %s on host %s are different targets", sa,
                               a->meta.host, sb, b->meta.host);
        return false;
    }
    if (both_ids && !results_identity_same(&a->meta.identity, &b->meta.identity)) {
        g_autofree char *ia = results_identity_text(&a->meta.identity);
        g_autofree char *ib = results_identity_text(&b->meta.identity);

        *why = g_strdup_printf("%s (%s) and %s (%s) are different targets", sa, ia, sb, ib);
        return false;
    }
    if (both_ids)
        return true;
    if (pa->domain && pa->disk && pb->domain && pb->disk
            ? strcmp(pa->domain, pb->domain) == 0 && strcmp(pa->disk, pb->disk) == 0
            : strcmp(pa->target, pb->target) == 0)
        return true;
    *why = g_strdup_printf("%s and %s are different targets", sa, sb);
    return false;
}

/* ---- the list of runs ------------------------------------------------------------------ */

char *history_when(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(t);

    return d ? g_date_time_format(d, "%Y-%m-%d %H:%M") : g_strdup("?");
}

static unsigned plan_workloads(const struct bench_plan *plan)
{
    unsigned mask = 0;

    for (guint i = 0; i < plan->cells->len; i++)
        mask |= 1u << g_array_index(plan->cells, struct bench_cell, i).kind;
    return mask;
}

static char *workloads_text(const struct bench_plan *plan)
{
    GString *s = g_string_new(NULL);
    unsigned mask = plan_workloads(plan);

    for (int k = 0; k < WL_COUNT; k++)
        if (mask & (1u << k))
            g_string_append_printf(s, "%s%s", s->len ? "," : "", workload_default(k)->name);
    return g_string_free(s, FALSE);
}

static unsigned cells_ok(const struct bench_plan *plan)
{
    unsigned n = 0;

    for (guint i = 0; i < plan->cells->len; i++)
        n += cell_ok(&g_array_index(plan->cells, struct bench_cell, i));
    return n;
}

static const char *runner_name(const struct bench_plan *plan)
{
    const struct runner_kind *k = runner_kind((enum runner_id)plan->runner_id);

    return k ? k->name : "in-process";
}

static const struct results_run *run_at(const GPtrArray *runs, guint i)
{
    return g_ptr_array_index((GPtrArray *)runs, i);
}

char *history_list_text(const GPtrArray *runs)
{
    GString *out = g_string_new(NULL);

    g_string_append_printf(out, "%3s  %-16s  %-20s  %-18s  %7s  %6s  %-10s  %s\n", "#", "when (UTC)",
                           "disk or target", "workloads", "cells ok", "rounds", "runner", "file");
    for (guint i = 0; i < runs->len; i++) {
        const struct results_run *r = run_at(runs, i);
        g_autofree char *when = history_when(r->mtime);
        g_autofree char *subject = history_subject(r->plan);
        g_autofree char *wl = workloads_text(r->plan);
        g_autofree char *file = textesc_escape(r->path);
        g_autofree char *ok = g_strdup_printf("%u/%u", cells_ok(r->plan), r->plan->cells->len);

        g_string_append_printf(out, "%3u  %-16s  %-20s  %-18s  %8s  %6u  %-10s  %s\n", i + 1,
                               when, subject, wl, ok, r->plan->repeat, runner_name(r->plan),
                               file);
    }
    return g_string_free(out, FALSE);
}

static json_object *jstring_or_null(const char *s)
{
    return s ? json_object_new_string(s) : NULL;
}

static json_object *run_json(const struct results_run *r, unsigned number)
{
    json_object *o = json_object_new_object(), *wl = json_object_new_array();
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_utc(r->mtime);
    g_autofree char *when = d ? g_date_time_format(d, "%Y-%m-%dT%H:%M:%SZ") : NULL;
    unsigned mask = plan_workloads(r->plan);

    for (int k = 0; k < WL_COUNT; k++)
        if (mask & (1u << k))
            json_object_array_add(wl, json_object_new_string(workload_default(k)->name));
    json_object_object_add(o, "number", number ? json_object_new_int64(number) : NULL);
    json_object_object_add(o, "saved_at", jstring_or_null(when));
    json_object_object_add(o, "format", json_object_new_int(r->meta.format));
    json_object_object_add(o, "host", jstring_or_null(r->meta.host));
    json_object_object_add(o, "domain", jstring_or_null(r->plan->domain));
    json_object_object_add(o, "disk", jstring_or_null(r->plan->disk));
    json_object_object_add(o, "target", json_object_new_string(r->plan->target));
    json_object_object_add(o, "workloads", wl);
    json_object_object_add(o, "cells", json_object_new_int64(r->plan->cells->len));
    json_object_object_add(o, "cells_ok", json_object_new_int64(cells_ok(r->plan)));
    json_object_object_add(o, "rounds", json_object_new_int64(r->plan->repeat));
    json_object_object_add(o, "runner", json_object_new_string(runner_name(r->plan)));
    json_object_object_add(o, "file", json_object_new_string(r->path));
    return o;
}

json_object *history_list_json(const GPtrArray *runs)
{
    json_object *arr = json_object_new_array();

    for (guint i = 0; i < runs->len; i++)
        json_object_array_add(arr, run_json(run_at(runs, i), i + 1));
    return arr;
}

char *history_list_csv(const GPtrArray *runs)
{
    static const char *const columns[] = { "number", "saved_at", "format", "host", "domain",
                                           "disk", "target", "workloads", "cells", "cells_ok",
                                           "rounds", "runner", "file" };
    GString *out = g_string_new(NULL);

    for (size_t k = 0; k < G_N_ELEMENTS(columns); k++)
        g_string_append_printf(out, "%s%s", k ? "," : "", columns[k]);
    g_string_append_c(out, '\n');
    for (guint i = 0; i < runs->len; i++) {
        json_object *o = run_json(run_at(runs, i), i + 1);
        g_autofree char *wl = workloads_text(run_at(runs, i)->plan);

        for (size_t k = 0; k < G_N_ELEMENTS(columns); k++) {
            json_object *v = json_object_object_get(o, columns[k]);

            if (k)
                g_string_append_c(out, ',');
            if (strcmp(columns[k], "workloads") == 0)
                bench_output_csv_field(out, wl);
            else if (v)
                bench_output_csv_field(out, json_object_get_string(v));
        }
        g_string_append_c(out, '\n');
        json_object_put(o);
    }
    return g_string_free(out, FALSE);
}

/* ---- the comparison as text and JSON ---------------------------------------------------- */

static void fmt_figure(enum bench_figure f, double v, char *buf, size_t size)
{
    if (f == FIG_IOPS)
        bench_output_format_iops(v, buf, size);
    else
        bench_output_format_ns((uint64_t)llround(v), buf, size);
}

/* "IOPS 150k → 160k, +6.7 % (148k-152k vs 158k-162k): beyond noise" */
static void figure_text(GString *out, const char *label, enum bench_figure f,
                        const struct history_figure *h)
{
    char a[32], b[32], alo[32], ahi[32], blo[32], bhi[32];

    fmt_figure(f, h->a, a, sizeof a);
    fmt_figure(f, h->b, b, sizeof b);
    g_string_append_printf(out, "%s %s → %s, %+.1f %%", label, a, b, h->change_pct);
    if (h->verdict == HISTORY_ONE_ROUND) {
        g_string_append(out, ": one round: no spread measured");
        return;
    }
    fmt_figure(f, h->a_lo, alo, sizeof alo);
    fmt_figure(f, h->a_hi, ahi, sizeof ahi);
    fmt_figure(f, h->b_lo, blo, sizeof blo);
    fmt_figure(f, h->b_hi, bhi, sizeof bhi);
    g_string_append_printf(out, " (%s-%s vs %s-%s): %s", alo, ahi, blo, bhi,
                           h->verdict == HISTORY_BEYOND_NOISE ? "beyond noise"
                                                              : "no change beyond noise");
}

static void run_header(GString *out, const char *tag, const struct results_run *r, unsigned n)
{
    g_autofree char *when = history_when(r->mtime);
    g_autofree char *subject = history_subject(r->plan);
    g_autofree char *file = textesc_escape(r->path);
    char num[16] = "";

    if (n)
        g_snprintf(num, sizeof num, "#%u ", n);
    g_string_append_printf(out, "%s: %s%s %s, %u round%s, %s, %s\n", tag, num, when, subject,
                           r->plan->repeat, r->plan->repeat == 1 ? "" : "s",
                           runner_name(r->plan), file);
}

char *history_compare_text(const struct results_run *a, unsigned na,
                           const struct results_run *b, unsigned nb, const GArray *cells)
{
    GString *out = g_string_new(NULL);

    run_header(out, "older", a, na);
    run_header(out, "newer", b, nb);
    for (guint i = 0; i < cells->len; i++) {
        const struct history_cell *h = &g_array_index(cells, struct history_cell, i);

        g_string_append_printf(out, "%s %s/%s: ", workload_default(h->kind)->name,
                               cache_mode_info(h->cache)->name, io_mode_info(h->io)->name);
        if (h->iops.verdict == HISTORY_NO_FIGURE) {
            g_string_append_printf(out, "%s → %s\n", h->status_a, h->status_b);
            continue;
        }
        figure_text(out, "IOPS", FIG_IOPS, &h->iops);
        if (h->p99.verdict != HISTORY_NO_FIGURE) {
            g_string_append(out, "; ");
            figure_text(out, "p99", FIG_LAT_P99, &h->p99);
        }
        g_string_append_c(out, '\n');
    }
    return g_string_free(out, FALSE);
}

static json_object *jnum(double v, int decimals)
{
    char buf[64];

    g_snprintf(buf, sizeof buf, "%.*f", decimals, v);
    return json_object_new_double_s(v, buf);
}

static json_object *figure_json(const struct history_figure *h, int decimals)
{
    json_object *o;

    if (h->verdict == HISTORY_NO_FIGURE)
        return NULL;
    o = json_object_new_object();
    json_object_object_add(o, "a", jnum(h->a, decimals));
    json_object_object_add(o, "b", jnum(h->b, decimals));
    json_object_object_add(o, "change_pct", jnum(h->change_pct, 2));
    json_object_object_add(o, "a_min", jnum(h->a_lo, decimals));
    json_object_object_add(o, "a_max", jnum(h->a_hi, decimals));
    json_object_object_add(o, "b_min", jnum(h->b_lo, decimals));
    json_object_object_add(o, "b_max", jnum(h->b_hi, decimals));
    json_object_object_add(o, "verdict", json_object_new_string(history_verdict_name(h->verdict)));
    return o;
}

json_object *history_compare_json(const struct results_run *a, unsigned na,
                                  const struct results_run *b, unsigned nb,
                                  const GArray *cells)
{
    json_object *o = json_object_new_object(), *arr = json_object_new_array();

    for (guint i = 0; i < cells->len; i++) {
        const struct history_cell *h = &g_array_index(cells, struct history_cell, i);
        json_object *c = json_object_new_object();

        json_object_object_add(c, "workload", json_object_new_string(workload_default(h->kind)->name));
        json_object_object_add(c, "cache", json_object_new_string(cache_mode_info(h->cache)->name));
        json_object_object_add(c, "io", json_object_new_string(io_mode_info(h->io)->name));
        json_object_object_add(c, "status_a", json_object_new_string(h->status_a));
        json_object_object_add(c, "status_b", json_object_new_string(h->status_b));
        json_object_object_add(c, "iops", figure_json(&h->iops, 1));
        json_object_object_add(c, "lat_ns_p99", figure_json(&h->p99, 0));
        json_object_array_add(arr, c);
    }
    json_object_object_add(o, "a", run_json(a, na));
    json_object_object_add(o, "b", run_json(b, nb));
    json_object_object_add(o, "cells", arr);
    return o;
}
