#include "tui/view_bench.h"

#include <math.h>
#include <string.h>
#include "core/bench_output.h"
#include "core/history.h"
#include "core/statedir.h"
#include "probes/units.h"
#include "core/textesc.h"

static const double form_runtimes[VIEW_FORM_RUNTIMES] = { 1, 2, 5, 10, 30 };
/* One round by default; 3 is the least that gives a median with a spread. */
static const unsigned form_repeats[VIEW_FORM_REPEATS] = { 1, 3, 5, 2 };
/* 1 GiB first: four times the default span, and little of a VG's free space. */
static const uint64_t form_lv_sizes[VIEW_FORM_LV_SIZES] = { 1ull << 30, 4ull << 30, 256ull << 20 };

/* ---- the form --------------------------------------------------------------------------- */

void view_form_init(struct view_form_state *f)
{
    memset(f, 0, sizeof *f);
    f->workloads[WL_RANDREAD] = true;
    for (int c = 0; c < CACHE_COUNT; c++)
        f->caches[c] = true;
    for (int i = 0; i < IO_COUNT; i++)
        f->ios[i] = true;
    f->runtime_idx = 2;
}

enum view_form_item_kind view_form_item(unsigned i, unsigned *index)
{
    *index = 0;
    if (i < WL_COUNT) {
        *index = i;
        return FORM_WORKLOAD;
    }
    if (i == WL_COUNT)
        return FORM_RUNTIME;
    if (i == WL_COUNT + 1)
        return FORM_MODE;
    if (i == WL_COUNT + 2)
        return FORM_REPEAT;
    if (i == WL_COUNT + 3)
        return FORM_ENGINE;
    if (i < VIEW_FORM_LEFT + CACHE_COUNT) {
        *index = i - VIEW_FORM_LEFT;
        return FORM_CACHE;
    }
    *index = i - VIEW_FORM_LEFT - CACHE_COUNT;
    return FORM_IO;
}

void view_form_toggle(struct view_form_state *f)
{
    unsigned k;

    switch (view_form_item(f->cursor, &k)) {
    case FORM_WORKLOAD: f->workloads[k] = !f->workloads[k]; break;
    case FORM_CACHE: f->caches[k] = !f->caches[k]; break;
    case FORM_IO: f->ios[k] = !f->ios[k]; break;
    case FORM_RUNTIME: f->runtime_idx = (f->runtime_idx + 1) % VIEW_FORM_RUNTIMES; break;
    case FORM_MODE:   /* read-only → scratch (each LV size) → preserve → read-only */
        if (f->preserve) {
            f->preserve = false;
        } else if (f->scratch && f->scratch_lv && f->lv_size_idx + 1 < VIEW_FORM_LV_SIZES) {
            f->lv_size_idx++;
        } else if (f->scratch) {
            f->lv_size_idx = 0;
            f->scratch = false;
            f->preserve = true;
        } else {
            f->scratch = true;
        }
        break;
    case FORM_REPEAT: f->repeat_idx = (f->repeat_idx + 1) % VIEW_FORM_REPEATS; break;
    case FORM_ENGINE:
        f->engine = (enum view_form_engine)((f->engine + 1) % FORM_ENGINE_COUNT);
        break;
    }
}

double view_form_runtime(const struct view_form_state *f)
{
    return form_runtimes[f->runtime_idx % VIEW_FORM_RUNTIMES];
}

uint64_t view_form_scratch_size(const struct view_form_state *f)
{
    return f->scratch && f->scratch_lv ? form_lv_sizes[f->lv_size_idx % VIEW_FORM_LV_SIZES] : 0;
}

bool view_form_cross_check(const struct view_form_state *f)
{
    return f->engine == FORM_ENGINE_BOTH;
}

unsigned view_form_repeat(const struct view_form_state *f)
{
    return form_repeats[f->repeat_idx % VIEW_FORM_REPEATS];
}

void view_form_request(const struct view_form_state *f, struct bench_request *req,
                       enum bench_mode *mode)
{
    bench_request_init(req);
    req->workload_mask = req->cache_mask = req->io_mask = 0;
    for (int k = 0; k < WL_COUNT; k++)
        req->workload_mask |= (unsigned)f->workloads[k] << k;
    for (int c = 0; c < CACHE_COUNT; c++)
        req->cache_mask |= (unsigned)f->caches[c] << c;
    for (int i = 0; i < IO_COUNT; i++)
        req->io_mask |= (unsigned)f->ios[i] << i;
    req->runtime_s = view_form_runtime(f);
    req->repeat = view_form_repeat(f);
    req->runner = f->engine == FORM_ENGINE_QEMU_IMG ? RUNNER_QEMU_IMG : RUNNER_IN_PROCESS;
    req->scratch_size = view_form_scratch_size(f);
    *mode = f->preserve ? BENCH_MODE_PRESERVE : f->scratch ? BENCH_MODE_SCRATCH
                                                           : BENCH_MODE_READ_ONLY;
}

bool view_form_writes(const struct view_form_state *f)
{
    for (int k = 0; k < WL_COUNT; k++)
        if (f->workloads[k] && workload_writes(workload_default(k)))
            return true;
    return false;
}

char *view_duration(double seconds)
{
    long s = lround(seconds);

    if (s < 60)
        return g_strdup_printf("%ld s", s);
    if (s < 3600)
        return s % 60 ? g_strdup_printf("%ld min %ld s", s / 60, s % 60)
                      : g_strdup_printf("%ld min", s / 60);
    return g_strdup_printf("%ld h %ld min", s / 3600, s % 3600 / 60);
}

static void form_line(GPtrArray *col, const struct view_form_state *f, unsigned item, char *text)
{
    struct view_form_line *l = g_new0(struct view_form_line, 1);

    l->text = text;
    l->selected = f->cursor == item;
    g_ptr_array_add(col, l);
}

static void form_line_free(gpointer p)
{
    struct view_form_line *l = p;

    g_free(l->text);
    g_free(l);
}

static const char *box(bool on)
{
    return on ? "[x]" : "[ ]";
}

struct view_form *view_form_build(const struct view_form_state *f, const char *disk_label)
{
    struct view_form *v = g_new0(struct view_form, 1);
    struct bench_request req;
    enum bench_mode mode;
    unsigned cells, k;

    v->title = g_strdup_printf("Bench %s", disk_label);
    v->left = g_ptr_array_new_with_free_func(form_line_free);
    v->right = g_ptr_array_new_with_free_func(form_line_free);
    for (unsigned i = 0; i < VIEW_FORM_ITEMS; i++) {
        switch (view_form_item(i, &k)) {
        case FORM_WORKLOAD:
            form_line(v->left, f, i, g_strdup_printf("%s %s", box(f->workloads[k]),
                                                     workload_default(k)->name));
            break;
        case FORM_RUNTIME:
            form_line(v->left, f, i, g_strdup_printf("runtime  %.0f s per cell",
                                                     view_form_runtime(f)));
            break;
        case FORM_MODE:
            if (view_form_scratch_size(f)) {
                char size[UNITS_BYTES_LEN];

                units_format_bytes(view_form_scratch_size(f), size, sizeof size);
                form_line(v->left, f, i, g_strdup_printf("mode     scratch, a new %s LV", size));
            } else {
                form_line(v->left, f, i, g_strdup_printf("mode     %s",
                                                         f->preserve ? "preserve"
                                                         : f->scratch ? "scratch" : "read-only"));
            }
            break;
        case FORM_REPEAT:
            form_line(v->left, f, i, view_form_repeat(f) == 1
                                         ? g_strdup("rounds   1 (no spread)")
                                         : g_strdup_printf("rounds   %u, interleaved",
                                                           view_form_repeat(f)));
            break;
        case FORM_ENGINE: {
            /* A runner that cannot run here says why, before Enter. */
            g_autofree char *why = f->engine != FORM_ENGINE_IN_PROCESS
                ? runner_kind(RUNNER_QEMU_IMG)->unavailable() : NULL;
            const char *name = f->engine == FORM_ENGINE_QEMU_IMG ? "qemu-img bench"
                             : f->engine == FORM_ENGINE_BOTH ? "both: cross-check"
                             : "in-process";

            form_line(v->left, f, i, why ? g_strdup_printf("runner   %s (not available: %s)",
                                                           name, why)
                                         : g_strdup_printf("runner   %s", name));
            break;
        }
        case FORM_CACHE:
            form_line(v->right, f, i, g_strdup_printf("%s cache=%s", box(f->caches[k]),
                                                      cache_mode_info(k)->name));
            break;
        case FORM_IO:
            form_line(v->right, f, i, g_strdup_printf("%s io=%s", box(f->ios[k]),
                                                      io_mode_info(k)->name));
            break;
        }
    }
    view_form_request(f, &req, &mode);
    cells = bench_request_runnable(&req);
    if (cells) {
        g_autofree char *t = view_duration(cells * req.repeat * (view_form_cross_check(f) ? 2 : 1) *
                                           (BENCH_DEFAULT_RAMP_S + view_form_runtime(f)));

        g_autofree char *rounds = req.repeat > 1 ? g_strdup_printf(" x %u rounds", req.repeat)
                                                 : g_strdup("");

        v->summary = g_strdup_printf("%u cell%s%s%s, about %s", cells, cells == 1 ? "" : "s",
                                     rounds, view_form_cross_check(f) ? ", run by each runner" : "",
                                     t);
    } else {
        v->summary = g_strdup("nothing to run: choose a workload, a cache and an io mode that "
                              "QEMU accepts together");
    }
    v->startable = cells > 0;
    if (f->preserve && f->preserve_unavailable) {
        v->mode_words = g_strdup_printf("preserve: not available for this disk: %s",
                                        f->preserve_unavailable);
    } else if (f->scratch && f->scratch_unavailable) {
        v->mode_words = g_strdup_printf("scratch: not available for this disk: %s",
                                        f->scratch_unavailable);
    } else if (f->preserve) {
        g_autofree char *dir = statedir_journals_here();
        char limit[UNITS_BYTES_LEN];

        units_format_bytes(BENCH_DEFAULT_JOURNAL_LIMIT, limit, sizeof limit);
        v->mode_words = g_strdup_printf(
            "preserve: writes on the disk itself, only while its domain is shut off and nothing "
            "uses it: each writing cell's first %s saved to a journal of %s in %s first, "
            "written back and verified after", limit, limit, dir ? dir : "(no state directory)");
    } else if (view_form_scratch_size(f)) {
        char size[UNITS_BYTES_LEN];

        units_format_bytes(view_form_scratch_size(f), size, sizeof size);
        v->mode_words = g_strdup_printf(
            "scratch: writes go to a new %s LV (lvcreate, in the disk's volume group), removed "
            "with lvremove at the end; the disk is never written", size);
    } else if (f->scratch)
        v->mode_words = g_strdup("scratch: writes go to a new file beside the disk's image, "
                                 "removed at the end; the image is never written");
    else if (view_form_writes(f))
        v->mode_words = g_strdup("read-only: write workloads are refused; choose mode scratch "
                                 "to write to a new file beside the image");
    else
        v->mode_words = g_strdup("read-only: the target is opened read-only; a running guest "
                                 "shares it during the run");
    return v;
}

void view_form_free(struct view_form *v)
{
    if (!v)
        return;
    g_free(v->title);
    g_ptr_array_unref(v->left);
    g_ptr_array_unref(v->right);
    g_free(v->summary);
    g_free(v->mode_words);
    g_free(v);
}

/* ---- progress --------------------------------------------------------------------------- */

static const struct bench_cell *plan_cell(const struct bench_plan *plan, int i)
{
    return &g_array_index(plan->cells, struct bench_cell, i);
}

struct view_progress *view_progress_build(const struct bench_plan *plan,
                                          const struct bench_progress *p, unsigned done)
{
    struct view_progress *v = g_new0(struct view_progress, 1);
    unsigned of = bench_plan_runs(plan), ran = p->ordinal ? p->ordinal - 1 : 0;
    double per_cell = plan->ramp_s + plan->runtime_s, in_cell = 0, left;

    if (p->phase == 1)
        in_cell = p->elapsed_s;
    else if (p->phase == 2)
        in_cell = plan->ramp_s + p->elapsed_s;
    in_cell = MIN(in_cell, per_cell);
    v->cell_frac = per_cell > 0 ? in_cell / per_cell : 0;
    /* With repeats cells finish only in the last round: the runs made tell how far. */
    ran = MAX(ran, done);
    v->matrix_frac = of ? MIN(1.0, (ran + v->cell_frac) / of) : 1;
    if (p->cell >= 0 && (guint)p->cell < plan->cells->len) {
        const struct bench_cell *c = plan_cell(plan, p->cell);

        g_autofree char *round = plan->repeat > 1
            ? g_strdup_printf(" round %u/%u", p->round, plan->repeat) : g_strdup("");

        v->cell = g_strdup_printf("[%u/%u]%s %s/%s %s%s", p->ordinal, of, round,
                                  cache_mode_info(c->cache)->name, io_mode_info(c->io)->name,
                                  c->wl.name, p->phase == 1 ? " (ramp)" : "");
        if (p->phase == 2 && p->current_iops > 0) {
            char iops[32], lat[32];

            bench_output_format_iops((double)p->current_iops, iops, sizeof iops);
            /* Little's law: depth I/Os in flight at this rate. */
            bench_output_format_ns((uint64_t)(1e9 * c->wl.depth / (double)p->current_iops),
                                   lat, sizeof lat);
            v->live = g_strdup_printf("%s IOPS now, ≈ %s mean latency at depth %u", iops, lat,
                                      c->wl.depth);
        }
    } else {
        v->cell = g_strdup(done ? "finishing…" : "preparing…");
    }
    if (!v->live)
        v->live = g_strdup("");
    left = (of > ran ? of - ran : 0) * per_cell - in_cell;
    {
        g_autofree char *t = view_duration(MAX(left, 0));

        v->left = g_strdup_printf("about %s left", t);
    }
    return v;
}

void view_progress_free(struct view_progress *v)
{
    if (!v)
        return;
    g_free(v->cell);
    g_free(v->live);
    g_free(v->left);
    g_free(v);
}

/* ---- results ---------------------------------------------------------------------------- */

static const char *const metric_names[METRIC_COUNT] = {
    [METRIC_IOPS] = "IOPS", [METRIC_MBPS] = "MB/s", [METRIC_P50] = "p50",
    [METRIC_P99] = "p99", [METRIC_P999] = "p99.9", [METRIC_CPU] = "CPU µs/IO",
};

const char *view_metric_name(enum view_metric m)
{
    return (unsigned)m < METRIC_COUNT ? metric_names[m] : "?";
}

static bool metric_higher_better(enum view_metric m)
{
    return m == METRIC_IOPS || m == METRIC_MBPS;
}

static double metric_value(const struct bench_result *r, enum view_metric m)
{
    switch (m) {
    case METRIC_IOPS: return r->iops;
    case METRIC_MBPS: return r->bytes_per_s / 1e6;
    case METRIC_P50: return (double)r->lat_ns.p50;
    case METRIC_P99: return (double)r->lat_ns.p99;
    case METRIC_P999: return (double)r->lat_ns.p999;
    case METRIC_CPU: return r->cpu_us_per_io;
    default: return 0;
    }
}

static enum bench_figure metric_figure(enum view_metric m)
{
    switch (m) {
    case METRIC_MBPS: return FIG_BYTES_PER_S;
    case METRIC_P50: return FIG_LAT_P50;
    case METRIC_P99: return FIG_LAT_P99;
    case METRIC_P999: return FIG_LAT_P999;
    case METRIC_CPU: return FIG_CPU;
    default: return FIG_IOPS;
    }
}

static char *metric_text(const struct bench_result *r, enum view_metric m)
{
    char buf[32];

    switch (m) {
    case METRIC_IOPS:
        bench_output_format_iops(r->iops, buf, sizeof buf);
        return g_strdup(buf);
    case METRIC_MBPS:
        return g_strdup_printf("%.0f", r->bytes_per_s / 1e6);
    case METRIC_CPU:
        return g_strdup_printf("%.2f", r->cpu_us_per_io);
    default:
        bench_output_format_ns((uint64_t)metric_value(r, m), buf, sizeof buf);
        return g_strdup(buf);
    }
}

static const struct bench_cell *find_cell(const struct bench_plan *plan, enum workload_kind wl,
                                          int cache, int io)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = plan_cell(plan, (int)i);

        if (c->kind == wl && (int)c->cache == cache && (int)c->io == io)
            return c;
    }
    return NULL;
}

static guint cell_index(const struct bench_plan *plan, const struct bench_cell *c)
{
    return (guint)(c - &g_array_index(plan->cells, struct bench_cell, 0));
}

static bool cell_measured(const struct bench_cell *c)
{
    return c && c->finished && c->result.status == CELL_OK;
}

static char *status_text(const struct bench_cell *c)
{
    if (!c)
        return g_strdup("-");
    if (!c->finished)
        return g_strdup("…");
    if (c->result.status == CELL_UNSUPPORTED)
        return g_strdup_printf("unsup %s", c->result.err ? strerrorname_np(c->result.err) : "");
    return g_strdup(bench_status_name(c->result.status));
}

/* What libvirt's QEMU does when the XML leaves cache or io out. */
static int current_index(const char *name, bool cache)
{
    if (!name)
        return cache ? CACHE_QEMU_DEFAULT : IO_QEMU_DEFAULT;
    return cache ? cache_mode_from_name(name) : io_mode_from_name(name);
}

static char *age_text(gint64 age_s)
{
    if (age_s < 0)
        return g_strdup("running");
    if (age_s < 60)
        return g_strdup("measured just now");
    if (age_s < 3600)
        return g_strdup_printf("measured %" G_GINT64_FORMAT " min ago", age_s / 60);
    if (age_s < 86400 * 2)
        return g_strdup_printf("measured %" G_GINT64_FORMAT " h ago", age_s / 3600);
    return g_strdup_printf("measured %" G_GINT64_FORMAT " days ago", age_s / 86400);
}

/* GLib 2.74 has no g_strv_builder_take(). */
static void strv_take(GStrvBuilder *b, char *s)
{
    g_strv_builder_add(b, s);
    g_free(s);
}

static char **cell_detail(const struct bench_cell *c)
{
    GStrvBuilder *b = g_strv_builder_new();
    const struct bench_result *r = &c->result;
    char **out;
    char iops[32], mean[32], p50[32], p99[32], p999[32], max[32];

    strv_take(b, g_strdup_printf("%s/%s %s: %u B at depth %u, %s",
                                           cache_mode_info(c->cache)->name,
                                           io_mode_info(c->io)->name, c->wl.name, c->wl.block,
                                           c->wl.depth, c->finished ? bench_status_name(r->status)
                                                                    : "pending"));
    if (c->finished && (r->status == CELL_OK || (r->status == CELL_CANCELLED && r->ops))) {
        bench_output_format_iops(r->iops, iops, sizeof iops);
        bench_output_format_ns(r->lat_ns.mean, mean, sizeof mean);
        bench_output_format_ns(r->lat_ns.p50, p50, sizeof p50);
        bench_output_format_ns(r->lat_ns.p99, p99, sizeof p99);
        bench_output_format_ns(r->lat_ns.p999, p999, sizeof p999);
        bench_output_format_ns(r->lat_ns.max, max, sizeof max);
        strv_take(b, g_strdup_printf("%s IOPS, %.1f MB/s, %" G_GUINT64_FORMAT
                                               " I/Os in %.2f s", iops, r->bytes_per_s / 1e6,
                                               r->ops, r->seconds));
        strv_take(b, g_strdup_printf("latency mean %s  p50 %s  p99 %s  p99.9 %s  max %s",
                                               mean, p50, p99, p999, max));
        strv_take(b, g_strdup_printf("CPU %.2f µs per I/O, %" G_GUINT64_FORMAT
                                               " context switches", r->cpu_us_per_io,
                                               r->ctx_switches));
        if (c->rounds > 1) {
            char lo[32], hi[32], plo[32], phi[32];

            bench_output_format_iops(c->lo.iops, lo, sizeof lo);
            bench_output_format_iops(c->hi.iops, hi, sizeof hi);
            bench_output_format_ns(c->lo.lat_ns.p99, plo, sizeof plo);
            bench_output_format_ns(c->hi.lat_ns.p99, phi, sizeof phi);
            strv_take(b, g_strdup_printf("medians of %u rounds: IOPS %s-%s, p99 %s-%s",
                                         c->rounds, lo, hi, plo, phi));
        } else {
            strv_take(b, g_strdup("one round: no spread measured"));
        }
        if (r->data_fraction < 1)
            strv_take(b, g_strdup_printf("reads drawn from the %.0f %% of the span "
                                                   "that holds data", 100 * r->data_fraction));
        if (r->device_measured)
            strv_take(b, g_strdup_printf("%.0f %% of its reads reached the device%s",
                                         100 * r->device_read_share,
                                         bench_result_from_ram(r)
                                             ? ": RAM, the figure measures the host's page "
                                               "cache, not storage" : ""));
    }
    if (c->finished && r->reason[0])
        strv_take(b, textesc_escape(r->reason));
    out = g_strv_builder_end(b);
    g_strv_builder_unref(b);
    return out;
}

struct view_results *view_results_build(const struct bench_plan *plan, enum workload_kind wl,
                                        enum view_metric metric, const char *current_cache,
                                        const char *current_io, int sel_cache, int sel_io,
                                        gint64 age_s, bool detail)
{
    struct view_results *v = g_new0(struct view_results, 1);
    int cur_c = current_index(current_cache, true), cur_i = current_index(current_io, false);
    bool higher = metric_higher_better(metric);
    double best = NAN;
    GString *wls = g_string_new(NULL);
    g_autofree char *age = age_text(age_s);
    g_autofree guint8 *marks = g_new0(guint8, plan->cells->len + 1);
    unsigned marked = bench_rank(plan, wl, metric_figure(metric), marks);

    for (int c = 0; c < CACHE_COUNT; c++)
        for (int i = 0; i < IO_COUNT; i++) {
            const struct bench_cell *cell = find_cell(plan, wl, c, i);
            double x;

            if (!cell_measured(cell))
                continue;
            x = metric_value(&cell->result, metric);
            if (isnan(best) || (higher ? x > best : x < best))
                best = x;
        }
    for (int c = 0; c < CACHE_COUNT; c++)
        for (int i = 0; i < IO_COUNT; i++) {
            const struct bench_cell *cell = find_cell(plan, wl, c, i);
            struct view_result_cell *out = &v->cells[c][i];
            double x;

            out->current = c == cur_c && i == cur_i;
            out->bar = -1;
            if (!cell_measured(cell)) {
                out->text = status_text(cell);
                continue;
            }
            x = metric_value(&cell->result, metric);
            out->measured = true;
            out->text = metric_text(&cell->result, metric);
            out->ram = bench_result_from_ram(&cell->result);
            if (out->ram) {
                g_autofree char *figure = out->text;

                out->text = g_strdup_printf("%s RAM", figure);
            }
            out->best = marks[cell_index(plan, cell)] == MARK_BEST;
            out->tie = marks[cell_index(plan, cell)] == MARK_TIE;
            if (best > 0 && x > 0)
                out->bar = higher ? x / best : best / x;
            else
                out->bar = x == best ? 1 : 0;
        }
    for (int k = 0; k < WL_COUNT; k++) {
        bool has = false;

        for (guint i = 0; i < plan->cells->len && !has; i++)
            has = plan_cell(plan, (int)i)->kind == (enum workload_kind)k;
        if (has)
            g_string_append_printf(wls, k == (int)wl ? "%s[%s]" : "%s%s", wls->len ? " " : "",
                                   workload_default(k)->name);
    }
    v->workloads = g_string_free(wls, FALSE);
    v->title = g_strdup_printf("%s: %s, %s is better · %s%s", workload_default(wl)->name,
                               view_metric_name(metric), higher ? "higher" : "lower", age,
                               plan->runner_id == RUNNER_QEMU_IMG ? " · run by qemu-img bench"
                                                                  : "");
    v->sel_cache = CLAMP(sel_cache, 0, CACHE_COUNT - 1);
    v->sel_io = CLAMP(sel_io, 0, IO_COUNT - 1);
    if (detail) {
        const struct bench_cell *cell = find_cell(plan, wl, v->sel_cache, v->sel_io);

        v->detail = cell ? cell_detail(cell) : g_strsplit("not in this run", "\n", -1);
    }
    bool any_ram = false;

    for (int c = 0; c < CACHE_COUNT; c++)
        for (int i = 0; i < IO_COUNT; i++)
            any_ram |= v->cells[c][i].ram;
    v->legend = g_strdup_printf("%s  = current setting (%s/%s%s)%s",
                                marked > 1 ? "~ tie: leads inside the spread of the rounds"
                                : plan->repeat > 1 ? "* best, beyond the spreads"
                                : "* best (one round: no spread)",
                                cur_c >= 0 ? cache_mode_info(cur_c)->name : "?",
                                cur_i >= 0 ? io_mode_info(cur_i)->name : "?",
                                !current_cache || !current_io ? ", QEMU's default" : "",
                                any_ram ? "  RAM: read from the host's page cache, "
                                          "not storage" : "");
    return v;
}

void view_results_free(struct view_results *v)
{
    if (!v)
        return;
    for (int c = 0; c < CACHE_COUNT; c++)
        for (int i = 0; i < IO_COUNT; i++)
        {
            g_free(v->cells[c][i].text);
            g_free(v->cells[c][i].versus);
        }
    g_free(v->versus_title);
    g_free(v->title);
    g_free(v->workloads);
    g_strfreev(v->detail);
    g_free(v->legend);
    g_free(v);
}

static const char *verdict_mark(enum history_verdict v)
{
    return v == HISTORY_WITHIN_NOISE ? "~" : v == HISTORY_ONE_ROUND ? "?" : "";
}

void view_results_versus(struct view_results *v, const struct bench_plan *plan,
                         const struct bench_plan *other, enum workload_kind wl,
                         enum view_metric metric, const char *title)
{
    enum bench_figure f = metric_figure(metric);

    for (int cm = 0; cm < CACHE_COUNT; cm++)
        for (int io = 0; io < IO_COUNT; io++) {
            const struct bench_cell *a = find_cell(other, wl, cm, io);
            const struct bench_cell *b = find_cell(plan, wl, cm, io);
            struct history_figure h;
            g_autofree char *was = NULL;

            if (!cell_measured(b))
                continue;
            history_figure_compare(a, b, f, &h);
            g_free(v->cells[cm][io].versus);
            if (h.verdict == HISTORY_NO_FIGURE) {
                v->cells[cm][io].versus = g_strdup("vs -");
                continue;
            }
            was = metric_text(&a->result, metric);
            v->cells[cm][io].versus = g_strdup_printf("vs %s %s%+.0f%%", was,
                                                      verdict_mark(h.verdict), h.change_pct);
        }
    g_free(v->versus_title);
    v->versus_title = g_strdup_printf("%s · ~ within noise  ? one round: no spread measured",
                                      title);
}

char *view_versus_title_previous(gint64 age_s)
{
    g_autofree char *age = age_text(age_s);

    /* "measured 3 h ago" → "3 h ago" */
    return g_strdup_printf("vs the previous run, %s",
                           g_str_has_prefix(age, "measured ") ? age + strlen("measured ") : age);
}

char *view_versus_title_apply(const char *apply_time)
{
    g_autoptr(GDateTime) t = apply_time ? g_date_time_new_from_iso8601(apply_time, NULL) : NULL;
    g_autofree char *when = t ? g_date_time_format(t, "%Y-%m-%d %H:%M") : g_strdup("?");

    return g_strdup_printf("vs the last run before the apply of %s", when);
}

enum workload_kind view_results_first_workload(const struct bench_plan *plan)
{
    return plan->cells->len ? plan_cell(plan, 0)->kind : WL_RANDREAD;
}

enum workload_kind view_results_next_workload(const struct bench_plan *plan, enum workload_kind wl)
{
    for (int step = 1; step <= WL_COUNT; step++) {
        enum workload_kind k = (enum workload_kind)((wl + step) % WL_COUNT);

        for (guint i = 0; i < plan->cells->len; i++)
            if (plan_cell(plan, (int)i)->kind == k)
                return k;
    }
    return wl;
}
