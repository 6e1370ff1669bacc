#include "core/bench_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/textesc.h"
#include "probes/pagecache.h"
#include "probes/units.h"

#define ROW_LABEL_WIDTH 14
#define CELL_WIDTH 17

static const struct bench_cell *cell_at(const struct bench_plan *plan, guint i)
{
    return &g_array_index(plan->cells, struct bench_cell, i);
}

/* Cancelled cells that ran for a while still carry what they measured. */
static bool cell_measured(const struct bench_cell *c)
{
    return c->finished &&
           (c->result.status == CELL_OK || (c->result.status == CELL_CANCELLED && c->result.ops));
}

/* Cells of a plan not run yet (the console shows plans while they run) are "pending". */
static const char *status_name(const struct bench_cell *c)
{
    return c->finished ? bench_status_name(c->result.status) : "pending";
}

static bool cell_ok(const struct bench_cell *c)
{
    return c->finished && c->result.status == CELL_OK;
}


static const char *status_word(const struct bench_cell *c)
{
    return c->finished && c->result.status == CELL_UNSUPPORTED ? "unsup" : status_name(c);
}

/* ---- numbers as text ----------------------------------------------------------------- */

void bench_output_format_iops(double iops, char *buf, size_t size)
{
    if (iops < 1000)
        g_snprintf(buf, size, "%.0f", iops);
    else if (iops < 100000)
        g_snprintf(buf, size, "%.1fk", iops / 1000);
    else
        g_snprintf(buf, size, "%.0fk", iops / 1000);
}

void bench_output_format_ns(uint64_t ns, char *buf, size_t size)
{
    if (ns < 1000)
        g_snprintf(buf, size, "%" G_GUINT64_FORMAT " ns", ns);
    else if (ns < 100000)
        g_snprintf(buf, size, "%.1f µs", (double)ns / 1e3);
    else if (ns < 1000000)
        g_snprintf(buf, size, "%.0f µs", (double)ns / 1e3);
    else if (ns < 1000000000)
        g_snprintf(buf, size, "%.2f ms", (double)ns / 1e6);
    else
        g_snprintf(buf, size, "%.2f s", (double)ns / 1e9);
}

static void fmt_block(uint32_t bytes, char *buf, size_t size)
{
    if (bytes >= (1u << 20) && bytes % (1u << 20) == 0)
        g_snprintf(buf, size, "%u MiB", bytes >> 20);
    else if (bytes >= 1024 && bytes % 1024 == 0)
        g_snprintf(buf, size, "%u KiB", bytes >> 10);
    else
        g_snprintf(buf, size, "%u B", bytes);
}

static void cell_name(const struct bench_cell *c, char *buf, size_t size)
{
    g_snprintf(buf, size, "%s/%s", cache_mode_info(c->cache)->name, io_mode_info(c->io)->name);
}

/* ---- table --------------------------------------------------------------------------- */

int bench_output_best(const struct bench_plan *plan, enum workload_kind kind)
{
    g_autofree guint8 *marks = g_new0(guint8, plan->cells->len + 1);

    if (bench_rank(plan, kind, FIG_IOPS, marks) != 1)
        return -1;
    for (guint i = 0; i < plan->cells->len; i++)
        if (marks[i] == MARK_BEST)
            return (int)i;
    return -1;
}

static void pad_to(GString *out, const char *text, unsigned width)
{
    glong len = g_utf8_strlen(text, -1);

    g_string_append(out, text);
    for (glong n = len; n < (glong)width; n++)
        g_string_append_c(out, ' ');
}

/* Ends a row of padded columns without trailing blanks. */
static void end_line(GString *out)
{
    while (out->len && out->str[out->len - 1] == ' ')
        g_string_truncate(out, out->len - 1);
    g_string_append_c(out, '\n');
}

static const char *mark_sign(guint8 mark)
{
    return mark == MARK_BEST ? "*" : mark == MARK_TIE ? "~" : " ";
}

static void cell_text(const struct bench_cell *c, guint8 mark, char *buf, size_t size)
{
    char iops[32], p99[32];

    if (!cell_ok(c)) {
        g_snprintf(buf, size, " %s", status_word(c));
        return;
    }
    bench_output_format_iops(c->result.iops, iops, sizeof(iops));
    bench_output_format_ns(c->result.lat_ns.p99, p99, sizeof(p99));
    g_snprintf(buf, size, "%s%s%s%s%s", mark_sign(mark), iops, c->result.no_latency ? "" : " ",
               c->result.no_latency ? "" : p99, bench_result_from_ram(&c->result) ? " RAM" : "");
}

/* "180k-186k": a cell's IOPS over its rounds. */
static void spread_text(const struct bench_cell *c, char *buf, size_t size)
{
    char lo[32], hi[32];

    if (!cell_ok(c) || c->rounds < 2) {
        g_snprintf(buf, size, " %s", cell_ok(c) ? "-" : status_word(c));
        return;
    }
    bench_output_format_iops(c->lo.iops, lo, sizeof(lo));
    bench_output_format_iops(c->hi.iops, hi, sizeof(hi));
    g_snprintf(buf, size, " %s-%s", lo, hi);
}

static void workload_header(GString *out, const struct bench_plan *plan,
                            const struct workload *wl)
{
    g_autofree char *target = textesc_escape(plan->target);
    g_autofree char *qemu = bench_version_string(plan->qemu_version);
    char block[32];

    fmt_block(wl->block, block, sizeof(block));
    g_string_append_printf(out, "%s: %s ", wl->name, wl->random ? "random" : "sequential");
    if (wl->read_pct == 100)
        g_string_append(out, "reads");
    else if (wl->read_pct == 0)
        g_string_append(out, "writes");
    else
        g_string_append_printf(out, "%u %% reads", wl->read_pct);
    g_string_append_printf(out, ", %s, depth %u%s, on %s (QEMU %s, Linux %s)%s\n", block,
                           wl->depth, wl->flush_each ? ", flush after each write" : "", target,
                           qemu ? qemu : "unknown", plan->kernel ? plan->kernel : "unknown",
                           plan->runner_id == RUNNER_QEMU_IMG ? ", run by qemu-img bench" : "");
}

/* The cell of (kind, cache, io), or NULL when the plan has none. */
static const struct bench_cell *find_cell(const struct bench_plan *plan, enum workload_kind kind,
                                          int cache, int io, int *index)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = cell_at(plan, i);

        if (c->kind == kind && (int)c->cache == cache && (int)c->io == io) {
            *index = (int)i;
            return c;
        }
    }
    return NULL;
}

/* One grid of a workload: rows cache modes, columns io modes, each cell text(). */
static void table_grid(GString *out, const struct bench_plan *plan, enum workload_kind kind,
                       unsigned caches, unsigned ios,
                       void (*text)(const struct bench_cell *, guint8, char *, size_t),
                       const guint8 *marks)
{
    pad_to(out, "cache", ROW_LABEL_WIDTH);
    for (int io = 0; io < IO_COUNT; io++)
        if (ios & (1u << io))
            pad_to(out, io_mode_info(io)->name, CELL_WIDTH);
    end_line(out);
    for (int cache = 0; cache < CACHE_COUNT; cache++) {
        if (!(caches & (1u << cache)))
            continue;
        pad_to(out, cache_mode_info(cache)->name, ROW_LABEL_WIDTH);
        for (int io = 0; io < IO_COUNT; io++) {
            int index = -1;
            const struct bench_cell *c = find_cell(plan, kind, cache, io, &index);
            char buf[64] = " -";

            if (!(ios & (1u << io)))
                continue;
            if (c)
                text(c, marks[index], buf, sizeof(buf));
            pad_to(out, buf, CELL_WIDTH);
        }
        end_line(out);
    }
}

static void spread_cell(const struct bench_cell *c, guint8 mark, char *buf, size_t size)
{
    spread_text(c, buf, size);
}

static void gstring_free(gpointer s)
{
    g_string_free(s, TRUE);
}

/* What to say under the table about one cell; NULL when nothing. */
static char *cell_note(const struct bench_cell *c)
{
    const struct bench_result *r = &c->result;

    if (!c->finished)
        return NULL;
    if (r->status != CELL_OK)
        return r->reason[0] ? g_strdup_printf("%s: %s", status_name(c), r->reason)
                            : g_strdup(status_name(c));
    if (r->reason[0])
        return g_strdup(r->reason);
    if (bench_result_from_ram(r))
        return g_strdup_printf("RAM: %.0f %% of its reads reached the device; the figure "
                               "measures the host's page cache, not storage",
                               r->device_read_share * 100);
    /* Holes read without device I/O (DESIGN.md "Holes measure nothing"): reads drew only
     * from allocated data, so the figure covers a smaller span than asked. */
    if (c->wl.read_pct > 0 && r->data_fraction > 0 && r->data_fraction < 0.995)
        return g_strdup_printf("only %.0f %% of the span holds data; reads were drawn from it",
                               r->data_fraction * 100);
    return NULL;
}

static void table_notes(GString *out, const struct bench_plan *plan, enum workload_kind kind)
{
    g_autoptr(GPtrArray) notes = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(gstring_free);

    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = cell_at(plan, i);
        g_autofree char *note = c->kind == kind ? cell_note(c) : NULL;
        char name[48];
        guint at;

        if (!note)
            continue;
        cell_name(c, name, sizeof(name));
        if (g_ptr_array_find_with_equal_func(notes, note, g_str_equal, &at)) {
            g_string_append_printf(g_ptr_array_index(names, at), ", %s", name);
            continue;
        }
        g_ptr_array_add(notes, g_steal_pointer(&note));
        g_ptr_array_add(names, g_string_new(name));
    }
    for (guint i = 0; i < notes->len; i++) {
        g_autofree char *esc = textesc_escape(g_ptr_array_index(notes, i));

        g_string_append_printf(out, "  %s: %s\n",
                               ((GString *)g_ptr_array_index(names, i))->str, esc);
    }
}

/* When cells read from RAM: the span against the host's free memory, which says whether
 * a guest's reads of the same span could stay in the host's cache. */
static void ram_note(GString *out, const struct bench_plan *plan, enum workload_kind kind)
{
    unsigned long long avail = pagecache_mem_available(), bytes;
    char span[32], mem[32];
    bool any = false;

    for (guint i = 0; i < plan->cells->len && !any; i++)
        any = cell_at(plan, i)->kind == kind && bench_result_from_ram(&cell_at(plan, i)->result);
    if (!any || !avail)
        return;
    bytes = plan->span ? plan->span : pagecache_target_bytes(plan->target);
    if (!bytes || bytes >= avail)
        return;
    units_format_bytes(bytes, span, sizeof(span));
    units_format_bytes(avail, mem, sizeof(mem));
    g_string_append_printf(out, "  RAM cells: the span (%s) is smaller than the host's "
                           "available memory (%s): it fits in the page cache\n", span, mem);
}

/* What the marks and figures mean, under a workload's grid. */
static void rank_legend(GString *out, const struct bench_plan *plan, const guint8 *marks,
                        unsigned marked)
{
    bool spread = false;   /* the marked cells were measured over rounds */

    for (guint i = 0; i < plan->cells->len; i++)
        spread |= marks[i] != MARK_NONE && cell_at(plan, i)->rounds > 1;
    if (marked > 1)
        g_string_append(out, "  ~ a tie: the top cells' leads are inside the spread of their "
                             "rounds (min-max); no best cell\n");
    else
        g_string_append(out, "  * best IOPS");
    if (marked <= 1 && spread)
        g_string_append(out, ", its lead beyond the spread of both cells' rounds\n");
    else if (marked <= 1)
        g_string_append(out, " (one round: no spread measured; --repeat N measures it)\n");
    g_string_append_printf(out, "  each cell: IOPS (k = 1000) and p99 latency%s; the target's "
                                "page cache dropped before each cell\n",
                           spread ? ", medians of the rounds" : "");
}

char *bench_output_table(const struct bench_plan *plan)
{
    GString *out = g_string_new(NULL);

    for (int kind = 0; kind < WL_COUNT; kind++) {
        const struct bench_cell *first = NULL;
        unsigned caches = 0, ios = 0;

        for (guint i = 0; i < plan->cells->len; i++) {
            const struct bench_cell *c = cell_at(plan, i);

            if ((int)c->kind != kind)
                continue;
            first = first ? first : c;
            caches |= 1u << c->cache;
            ios |= 1u << c->io;
        }
        if (!first)
            continue;
        if (out->len)
            g_string_append_c(out, '\n');
        g_autofree guint8 *marks = g_new0(guint8, plan->cells->len + 1);
        unsigned marked = bench_rank(plan, kind, FIG_IOPS, marks);

        workload_header(out, plan, &first->wl);
        table_grid(out, plan, kind, caches, ios, cell_text, marks);
        rank_legend(out, plan, marks, marked);
        if (plan->repeat > 1) {
            g_string_append_printf(out, "IOPS min-max over the %u rounds:\n", plan->repeat);
            table_grid(out, plan, kind, caches, ios, spread_cell, marks);
        }
        table_notes(out, plan, kind);
        ram_note(out, plan, kind);
    }
    return g_string_free(out, FALSE);
}

/* ---- JSON and CSV -------------------------------------------------------------------- */

/* A double with a fixed number of decimals, so the text is "152345.7", not
 * "152345.70000000001". */
static json_object *jdouble(double v, int decimals)
{
    char buf[64];

    g_snprintf(buf, sizeof(buf), "%.*f", decimals, v);
    return json_object_new_double_s(v, buf);
}

static json_object *jstring_or_null(const char *s)
{
    return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *latency_json(const struct bench_latency *l)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "mean", json_object_new_int64((int64_t)l->mean));
    json_object_object_add(o, "p50", json_object_new_int64((int64_t)l->p50));
    json_object_object_add(o, "p99", json_object_new_int64((int64_t)l->p99));
    json_object_object_add(o, "p999", json_object_new_int64((int64_t)l->p999));
    json_object_object_add(o, "max", json_object_new_int64((int64_t)l->max));
    return o;
}

/* The figures of r: iops, bytes_per_s, lat_ns, cpu_us_per_io, ctx_switches (NULL each when
 * the cell measured nothing). */
static void add_measures(json_object *o, const struct bench_result *r, bool m)
{
    json_object_object_add(o, "iops", m ? jdouble(r->iops, 1) : NULL);
    json_object_object_add(o, "bytes_per_s", m ? jdouble(r->bytes_per_s, 0) : NULL);
    json_object_object_add(o, "lat_ns", m && !r->no_latency ? latency_json(&r->lat_ns) : NULL);
    json_object_object_add(o, "cpu_us_per_io", m ? jdouble(r->cpu_us_per_io, 3) : NULL);
    json_object_object_add(o, "ctx_switches",
                           m ? json_object_new_int64((int64_t)r->ctx_switches) : NULL);
}

/* The least or greatest of each figure over a repeated cell's rounds; NULL with one. */
static json_object *bound_json(const struct bench_cell *c, const struct bench_result *r)
{
    json_object *o;

    if (!cell_measured(c) || c->rounds < 2)
        return NULL;
    o = json_object_new_object();
    add_measures(o, r, true);
    json_object_object_add(o, "device_read_share",
                           r->device_measured ? jdouble(r->device_read_share, 4) : NULL);
    return o;
}

static const char *const mark_names[] = { [MARK_NONE] = NULL, [MARK_BEST] = "best",
                                          [MARK_TIE] = "tie" };

static json_object *cell_json(const struct bench_plan *plan, const struct bench_cell *c,
                              const char *qemu, guint8 mark)
{
    const struct bench_result *r = &c->result;
    bool m = cell_measured(c);
    json_object *o = json_object_new_object();

    json_object_object_add(o, "cache", json_object_new_string(cache_mode_info(c->cache)->name));
    json_object_object_add(o, "io", json_object_new_string(io_mode_info(c->io)->name));
    json_object_object_add(o, "workload", json_object_new_string(c->wl.name));
    json_object_object_add(o, "block", json_object_new_int64(c->wl.block));
    json_object_object_add(o, "depth", json_object_new_int64(c->wl.depth));
    json_object_object_add(o, "status", json_object_new_string(status_name(c)));
    json_object_object_add(o, "runner", json_object_new_string(
        runner_kind((enum runner_id)plan->runner_id)
            ? runner_kind((enum runner_id)plan->runner_id)->name : "in-process"));
    json_object_object_add(o, "reason", jstring_or_null(r->reason));
    add_measures(o, r, m);
    json_object_object_add(o, "rounds", json_object_new_int64(c->finished ? c->rounds : 0));
    json_object_object_add(o, "min", bound_json(c, &c->lo));
    json_object_object_add(o, "max", bound_json(c, &c->hi));
    json_object_object_add(o, "mark", jstring_or_null(mark_names[mark]));
    json_object_object_add(o, "target", json_object_new_string(plan->target));
    json_object_object_add(o, "domain", jstring_or_null(plan->domain));
    json_object_object_add(o, "disk", jstring_or_null(plan->disk));
    json_object_object_add(o, "qemu_version", jstring_or_null(qemu));
    json_object_object_add(o, "kernel", jstring_or_null(plan->kernel));
    json_object_object_add(o, "runtime_s", m ? jdouble(r->seconds, 3) : NULL);
    json_object_object_add(o, "ops", m ? json_object_new_int64((int64_t)r->ops) : NULL);
    json_object_object_add(o, "data_fraction", m ? jdouble(r->data_fraction, 4) : NULL);
    json_object_object_add(o, "device_read_share",
                           m && r->device_measured ? jdouble(r->device_read_share, 4) : NULL);
    return o;
}

json_object *bench_output_json(const struct bench_plan *plan)
{
    g_autofree char *qemu = bench_version_string(plan->qemu_version);
    g_autofree guint8 *marks = g_new0(guint8, plan->cells->len + 1);
    g_autofree guint8 *all = g_new0(guint8, plan->cells->len + 1);
    json_object *arr = json_object_new_array();

    for (int kind = 0; kind < WL_COUNT; kind++) {
        bench_rank(plan, kind, FIG_IOPS, marks);
        for (guint i = 0; i < plan->cells->len; i++)
            if (cell_at(plan, i)->kind == (enum workload_kind)kind)
                all[i] = marks[i];
    }
    for (guint i = 0; i < plan->cells->len; i++)
        json_object_array_add(arr, cell_json(plan, cell_at(plan, i), qemu, all[i]));
    return arr;
}

static const char *const csv_columns[] = {
    "target", "cache", "io", "workload", "block", "depth", "status", "reason", "iops",
    "bytes_per_s", "lat_ns_mean", "lat_ns_p50", "lat_ns_p99", "lat_ns_p999", "lat_ns_max",
    "cpu_us_per_io", "ctx_switches", "qemu_version", "kernel", "runtime_s", "ops",
    "data_fraction", "domain", "disk", "device_read_share", "rounds", "mark",
    "iops_min", "iops_max", "bytes_per_s_min", "bytes_per_s_max",
    "lat_ns_mean_min", "lat_ns_mean_max", "lat_ns_p50_min", "lat_ns_p50_max",
    "lat_ns_p99_min", "lat_ns_p99_max", "lat_ns_p999_min", "lat_ns_p999_max",
    "lat_ns_max_min", "lat_ns_max_max", "cpu_us_per_io_min", "cpu_us_per_io_max",
    "device_read_share_min", "device_read_share_max", "runner",
};

char *bench_output_json_text(const struct bench_plan *plan)
{
    json_object *arr = bench_output_json(plan);
    g_autofree char *safe = textesc_json(json_object_to_json_string_ext(
        arr, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));

    json_object_put(arr);
    return g_strdup_printf("%s\n", safe);
}

/* Text fields go through textesc_escape: a CSV is read on terminals and in spreadsheets,
 * where a raw \r or a bidi override would disguise the row. */
void bench_output_csv_field(GString *out, const char *raw)
{
    g_autofree char *text = textesc_escape(raw);

    if (!strpbrk(text, ",\"")) {
        g_string_append(out, text);
        return;
    }
    g_string_append_c(out, '"');
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            g_string_append_c(out, '"');
        g_string_append_c(out, *p);
    }
    g_string_append_c(out, '"');
}

static bool bound_column(const char *column)
{
    static const char *const figures[] = { "iops", "bytes_per_s", "cpu_us_per_io",
                                           "device_read_share" };
    g_autofree char *name = NULL;

    if (!g_str_has_suffix(column, "_min") && !g_str_has_suffix(column, "_max"))
        return false;
    name = g_strndup(column, strlen(column) - 4);
    if (g_str_has_prefix(name, "lat_ns_"))
        return true;
    for (size_t i = 0; i < G_N_ELEMENTS(figures); i++)
        if (strcmp(name, figures[i]) == 0)
            return true;
    return false;
}

/* The CSV row is read from the JSON object, so the two formats cannot disagree. */
static json_object *csv_value(json_object *cell, const char *column)
{
    json_object *lat = NULL, *v = NULL, *bound = NULL;

    /* "iops_min" is min.iops, "lat_ns_p99_max" max.lat_ns.p99 (and "lat_ns_max" the
     * latency's own max). */
    if (bound_column(column)) {
        g_autofree char *name = g_strndup(column, strlen(column) - 4);

        if (!json_object_object_get_ex(cell, g_str_has_suffix(column, "_min") ? "min" : "max",
                                       &bound) || !bound)
            return NULL;
        return csv_value(bound, name);
    }

    if (g_str_has_prefix(column, "lat_ns_")) {
        if (json_object_object_get_ex(cell, "lat_ns", &lat) && lat)
            json_object_object_get_ex(lat, column + strlen("lat_ns_"), &v);
        return v;
    }
    json_object_object_get_ex(cell, column, &v);
    return v;
}

char *bench_output_csv(const struct bench_plan *plan)
{
    json_object *arr = bench_output_json(plan);
    GString *out = g_string_new(NULL);

    for (size_t k = 0; k < G_N_ELEMENTS(csv_columns); k++)
        g_string_append_printf(out, "%s%s", k ? "," : "", csv_columns[k]);
    g_string_append_c(out, '\n');
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *cell = json_object_array_get_idx(arr, i);

        for (size_t k = 0; k < G_N_ELEMENTS(csv_columns); k++) {
            json_object *v = csv_value(cell, csv_columns[k]);

            if (k)
                g_string_append_c(out, ',');
            if (v)
                bench_output_csv_field(out, json_object_get_string(v));
        }
        g_string_append_c(out, '\n');
    }
    json_object_put(arr);
    return g_string_free(out, FALSE);
}

/* ---- progress ------------------------------------------------------------------------ */

char *bench_output_progress(const struct bench_plan *plan, const struct bench_progress *p,
                            unsigned of)
{
    const struct bench_cell *c;
    char name[48], iops[32], round[32] = "";

    if (p->cell < 0 || (guint)p->cell >= plan->cells->len)
        return g_strdup("");
    c = cell_at(plan, (guint)p->cell);
    cell_name(c, name, sizeof(name));
    if (plan->repeat > 1)
        g_snprintf(round, sizeof round, " round %u/%u", p->round, plan->repeat);
    if (p->phase == 0)
        return g_strdup_printf("[%u/%u]%s %s %s opening", p->ordinal, of, round, name,
                               c->wl.name);
    if (p->phase == 1)
        return g_strdup_printf("[%u/%u]%s %s %s ramp %.1f/%.1f s", p->ordinal, of, round, name,
                               c->wl.name, p->elapsed_s, plan->ramp_s);
    bench_output_format_iops((double)p->current_iops, iops, sizeof(iops));
    return g_strdup_printf("[%u/%u]%s %s %s %s IOPS %.1f/%.1f s", p->ordinal, of, round, name,
                           c->wl.name, iops, MIN(p->elapsed_s, plan->runtime_s),
                           plan->runtime_s);
}

char *bench_output_cell_line(const struct bench_plan *plan, unsigned index, unsigned ordinal,
                             unsigned of)
{
    const struct bench_cell *c = cell_at(plan, index);
    char name[48], iops[32], p99[32], spread[64] = "";

    cell_name(c, name, sizeof(name));
    if (!cell_ok(c)) {
        g_autofree char *reason = textesc_escape(c->result.reason);

        return g_strdup_printf("[%u/%u] %s %s: %s%s%s", ordinal, of, name, c->wl.name,
                               status_name(c), reason[0] ? ": " : "",
                               reason);
    }
    bench_output_format_iops(c->result.iops, iops, sizeof(iops));
    bench_output_format_ns(c->result.lat_ns.p99, p99, sizeof(p99));
    if (c->rounds > 1) {
        char lo[32], hi[32];

        bench_output_format_iops(c->lo.iops, lo, sizeof(lo));
        bench_output_format_iops(c->hi.iops, hi, sizeof(hi));
        g_snprintf(spread, sizeof spread, " (median of %u rounds, %s-%s)", c->rounds, lo, hi);
    }
    if (c->result.no_latency)
        return g_strdup_printf("[%u/%u] %s %s: ok %s IOPS%s", ordinal, of, name, c->wl.name,
                               iops, spread);
    return g_strdup_printf("[%u/%u] %s %s: ok %s IOPS%s, p99 %s", ordinal, of, name,
                           c->wl.name, iops, spread, p99);
}
