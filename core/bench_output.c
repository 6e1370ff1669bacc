#include "core/bench_output.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "core/textesc.h"
#include "probes/durable.h"
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
    int best = -1;
    double best_iops = 0;

    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = cell_at(plan, i);

        if (c->kind == kind && c->valid && cell_ok(c) &&
            (best < 0 || c->result.iops > best_iops)) {
            best = (int)i;
            best_iops = c->result.iops;
        }
    }
    return best;
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

static void cell_text(const struct bench_cell *c, bool best, char *buf, size_t size)
{
    char iops[32], p99[32];

    if (!cell_ok(c)) {
        g_snprintf(buf, size, " %s", status_word(c));
        return;
    }
    bench_output_format_iops(c->result.iops, iops, sizeof(iops));
    bench_output_format_ns(c->result.lat_ns.p99, p99, sizeof(p99));
    g_snprintf(buf, size, "%s%s %s%s", best ? "*" : " ", iops, p99,
               bench_result_from_ram(&c->result) ? " RAM" : "");
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
    g_string_append_printf(out, ", %s, depth %u%s, on %s (QEMU %s, Linux %s)\n", block,
                           wl->depth, wl->flush_each ? ", flush after each write" : "", target,
                           qemu ? qemu : "unknown", plan->kernel ? plan->kernel : "unknown");
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

static void table_grid(GString *out, const struct bench_plan *plan, enum workload_kind kind,
                       unsigned caches, unsigned ios)
{
    int best = bench_output_best(plan, kind);

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
            char text[64] = " -";

            if (!(ios & (1u << io)))
                continue;
            if (c)
                cell_text(c, index == best, text, sizeof(text));
            pad_to(out, text, CELL_WIDTH);
        }
        end_line(out);
    }
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
        workload_header(out, plan, &first->wl);
        table_grid(out, plan, kind, caches, ios);
        g_string_append(out, "  * best IOPS; each cell: IOPS (k = 1000) and p99 latency; the "
                             "target's page cache dropped before each cell\n");
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

static void add_measures(json_object *o, const struct bench_cell *c)
{
    const struct bench_result *r = &c->result;
    bool m = cell_measured(c);

    json_object_object_add(o, "iops", m ? jdouble(r->iops, 1) : NULL);
    json_object_object_add(o, "bytes_per_s", m ? jdouble(r->bytes_per_s, 0) : NULL);
    json_object_object_add(o, "lat_ns", m ? latency_json(&r->lat_ns) : NULL);
    json_object_object_add(o, "cpu_us_per_io", m ? jdouble(r->cpu_us_per_io, 3) : NULL);
    json_object_object_add(o, "ctx_switches",
                           m ? json_object_new_int64((int64_t)r->ctx_switches) : NULL);
}

static json_object *cell_json(const struct bench_plan *plan, const struct bench_cell *c,
                              const char *qemu)
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
    json_object_object_add(o, "reason", jstring_or_null(r->reason));
    add_measures(o, c);
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
    json_object *arr = json_object_new_array();

    for (guint i = 0; i < plan->cells->len; i++)
        json_object_array_add(arr, cell_json(plan, cell_at(plan, i), qemu));
    return arr;
}

static const char *const csv_columns[] = {
    "target", "cache", "io", "workload", "block", "depth", "status", "reason", "iops",
    "bytes_per_s", "lat_ns_mean", "lat_ns_p50", "lat_ns_p99", "lat_ns_p999", "lat_ns_max",
    "cpu_us_per_io", "ctx_switches", "qemu_version", "kernel", "runtime_s", "ops",
    "data_fraction", "domain", "disk", "device_read_share",
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
static void csv_field(GString *out, const char *raw)
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

/* The CSV row is read from the JSON object, so the two formats cannot disagree. */
static json_object *csv_value(json_object *cell, const char *column)
{
    json_object *lat = NULL, *v = NULL;

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
                csv_field(out, json_object_get_string(v));
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
    char name[48], iops[32];

    if (p->cell < 0 || (guint)p->cell >= plan->cells->len)
        return g_strdup("");
    c = cell_at(plan, (guint)p->cell);
    cell_name(c, name, sizeof(name));
    if (p->phase == 0)
        return g_strdup_printf("[%u/%u] %s %s opening", p->ordinal, of, name, c->wl.name);
    if (p->phase == 1)
        return g_strdup_printf("[%u/%u] %s %s ramp %.1f/%.1f s", p->ordinal, of, name,
                               c->wl.name, p->elapsed_s, plan->ramp_s);
    bench_output_format_iops((double)p->current_iops, iops, sizeof(iops));
    return g_strdup_printf("[%u/%u] %s %s %s IOPS %.1f/%.1f s", p->ordinal, of, name,
                           c->wl.name, iops, MIN(p->elapsed_s, plan->runtime_s),
                           plan->runtime_s);
}

char *bench_output_cell_line(const struct bench_plan *plan, unsigned index, unsigned ordinal,
                             unsigned of)
{
    const struct bench_cell *c = cell_at(plan, index);
    char name[48], iops[32], p99[32];

    cell_name(c, name, sizeof(name));
    if (!cell_ok(c)) {
        g_autofree char *reason = textesc_escape(c->result.reason);

        return g_strdup_printf("[%u/%u] %s %s: %s%s%s", ordinal, of, name, c->wl.name,
                               status_name(c), reason[0] ? ": " : "",
                               reason);
    }
    bench_output_format_iops(c->result.iops, iops, sizeof(iops));
    bench_output_format_ns(c->result.lat_ns.p99, p99, sizeof(p99));
    return g_strdup_printf("[%u/%u] %s %s: ok %s IOPS, p99 %s", ordinal, of, name, c->wl.name,
                           iops, p99);
}

/* ---- --save ---------------------------------------------------------------------------- */

static char *save_name(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");

    return g_strdup_printf("bench-%s-%d.json", stamp, (int)getpid());
}

char *bench_output_save(const struct bench_plan *plan, const char *dir, GError **err)
{
    g_autofree char *name = save_name();
    g_autofree char *text = bench_output_json_text(plan);
    g_autoptr(GError) why = NULL;

    if (!durable_write_new(dir, name, text, strlen(text), &why)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "saving results: %s", why->message);
        return NULL;
    }
    return g_build_filename(dir, name, NULL);
}
