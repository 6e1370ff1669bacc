#include "core/results_store.h"

#include <errno.h>
#include <json-c/json.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

static bool parse_fail(GError **err, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static bool parse_fail(GError **err, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_set_error_literal(err, BENCH_ERROR, BENCH_ERROR_FAILED, msg);
    return false;
}

static const char *get_string(json_object *o, const char *key)
{
    json_object *v = NULL;

    return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
               ? json_object_get_string(v) : NULL;
}

/* A number that is there and finite and not negative; def when null or absent. */
static bool get_number(json_object *o, const char *key, double def, double *out)
{
    json_object *v = NULL;
    double d;

    if (!json_object_object_get_ex(o, key, &v) || !v) {
        *out = def;
        return true;
    }
    if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
        return false;
    d = json_object_get_double(v);
    if (!isfinite(d) || d < 0)
        return false;
    *out = d;
    return true;
}

static int status_from_name(const char *name)
{
    for (int s = 0; name && s < CELL_STATUS_COUNT; s++)
        if (strcmp(bench_status_name(s), name) == 0)
            return s;
    return -1;
}

static bool parse_latency(json_object *o, struct bench_latency *lat)
{
    json_object *l = NULL;
    double v[5];
    static const char *const keys[5] = { "mean", "p50", "p99", "p999", "max" };

    memset(lat, 0, sizeof *lat);
    if (!json_object_object_get_ex(o, "lat_ns", &l) || !l)
        return true;
    if (!json_object_is_type(l, json_type_object))
        return false;
    for (int i = 0; i < 5; i++)
        if (!get_number(l, keys[i], 0, &v[i]) || v[i] > 1e18)
            return false;
    *lat = (struct bench_latency){ (uint64_t)v[0], (uint64_t)v[1], (uint64_t)v[2],
                                 (uint64_t)v[3], (uint64_t)v[4] };
    return true;
}

/* The figures bench_output_json writes for a cell, and for its min and max. */
static bool parse_figures(json_object *o, struct bench_result *r)
{
    double iops, bps, cpu, ctx, share;
    json_object *lat = NULL;

    if (!get_number(o, "iops", 0, &iops) || !get_number(o, "bytes_per_s", 0, &bps) ||
        !get_number(o, "cpu_us_per_io", 0, &cpu) || !get_number(o, "ctx_switches", 0, &ctx) ||
        !get_number(o, "device_read_share", -1, &share) || ctx > 1e18 || share > 1 ||
        !parse_latency(o, &r->lat_ns))
        return false;
    r->iops = iops;
    r->bytes_per_s = bps;
    r->cpu_us_per_io = cpu;
    r->ctx_switches = (uint64_t)ctx;
    r->device_measured = share >= 0;
    r->device_read_share = share >= 0 ? share : 0;
    /* A measured cell without latencies came from a runner that measures none. */
    r->no_latency = iops > 0 && (!json_object_object_get_ex(o, "lat_ns", &lat) || !lat);
    return true;
}

/* "min" or "max" of a repeated cell into *r; absent or null leaves it zero. */
static bool parse_bound(json_object *o, const char *key, struct bench_result *r)
{
    json_object *b = NULL;

    if (!json_object_object_get_ex(o, key, &b) || !b)
        return true;
    return json_object_is_type(b, json_type_object) && parse_figures(b, r);
}

static bool parse_cell(json_object *o, struct bench_cell *c, GError **err)
{
    int cache = cache_mode_from_name(get_string(o, "cache"));
    int io = io_mode_from_name(get_string(o, "io"));
    int wl = workload_from_name(get_string(o, "workload"));
    const char *status = get_string(o, "status");
    int st = status_from_name(status);
    const char *reason = get_string(o, "reason");
    double block, depth, secs, ops, frac, rounds;

    if (cache < 0 || io < 0 || wl < 0)
        return parse_fail(err, "a cell without a known cache, io and workload");
    if (st < 0 && g_strcmp0(status, "pending") != 0)
        return parse_fail(err, "a cell with an unknown status");
    if (!get_number(o, "block", 0, &block) || !get_number(o, "depth", 0, &depth) ||
        block > UINT32_MAX || depth > UINT32_MAX || !get_number(o, "runtime_s", 0, &secs) ||
        !get_number(o, "ops", 0, &ops) || !get_number(o, "data_fraction", 1, &frac) ||
        !get_number(o, "rounds", 1, &rounds) || rounds > BENCH_MAX_REPEAT ||
        ops > 1e18 || frac > 1 || !parse_figures(o, &c->result) ||
        !parse_bound(o, "min", &c->lo) || !parse_bound(o, "max", &c->hi))
        return parse_fail(err, "a cell with a figure that is not a number in range");
    c->cache = (enum cache_mode)cache;
    c->io = (enum io_mode)io;
    c->kind = (enum workload_kind)wl;
    c->wl = *workload_default(c->kind);
    c->wl.block = (uint32_t)block;
    c->wl.depth = (uint32_t)depth;
    c->valid = st != CELL_INVALID;
    c->finished = st >= 0;
    c->result.status = st >= 0 ? (enum bench_status)st : CELL_CANCELLED;
    g_strlcpy(c->result.reason, reason ? reason : "", sizeof c->result.reason);
    c->result.seconds = secs;
    c->result.ops = (uint64_t)ops;
    c->result.bytes = c->result.ops * c->wl.block;
    c->result.data_fraction = frac;
    /* Spreads only where both bounds were written. */
    c->rounds = (unsigned)rounds;
    if (c->rounds > 1 && !(c->lo.iops > 0 || c->hi.iops > 0))
        c->rounds = 1;
    return true;
}

struct bench_plan *results_store_parse(const char *json, gsize len, GError **err)
{
    g_autoptr(BenchPlan) plan = g_new0(struct bench_plan, 1);
    struct json_tokener *tok = json_tokener_new();
    json_object *arr;
    size_t n;

    if (!tok) {
        parse_fail(err, "out of memory");
        return NULL;
    }
    arr = len > INT_MAX ? NULL : json_tokener_parse_ex(tok, json, (int)len);
    json_tokener_free(tok);
    plan->cells = g_array_new(FALSE, TRUE, sizeof(struct bench_cell));
    if (!arr || !json_object_is_type(arr, json_type_array)) {
        json_object_put(arr);
        parse_fail(err, "not a JSON array of cells");
        return NULL;
    }
    n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        const char *target = o ? get_string(o, "target") : NULL;
        struct bench_cell c = { 0 };

        if (!o || !json_object_is_type(o, json_type_object) || !target ||
            (plan->target && strcmp(plan->target, target) != 0) || !parse_cell(o, &c, err)) {
            if (err && !*err)
                parse_fail(err, "cell %zu: not a cell of this run's target", i);
            json_object_put(arr);
            return NULL;
        }
        if (!plan->target) {
            plan->target = g_strdup(target);
            plan->domain = g_strdup(get_string(o, "domain"));
            plan->disk = g_strdup(get_string(o, "disk"));
            plan->kernel = g_strdup(get_string(o, "kernel"));
            plan->runner_id = MAX(runner_from_name(get_string(o, "runner")), RUNNER_IN_PROCESS);
            get_number(o, "runtime_s", 0, &plan->runtime_s);
        }
        plan->repeat = MAX(plan->repeat, c.rounds);
        g_array_append_val(plan->cells, c);
    }
    json_object_put(arr);
    plan->repeat = MAX(plan->repeat, 1);
    if (!plan->target) {
        parse_fail(err, "no cells");
        return NULL;
    }
    return g_steal_pointer(&plan);
}

static void run_free(gpointer p)
{
    struct results_run *r = p;

    g_free(r->path);
    bench_plan_free(r->plan);
    g_free(r);
}

static gint newest_first(gconstpointer a, gconstpointer b)
{
    const struct results_run *x = *(struct results_run *const *)a;
    const struct results_run *y = *(struct results_run *const *)b;

    if (x->mtime != y->mtime)
        return x->mtime < y->mtime ? 1 : -1;
    return -g_strcmp0(x->path, y->path);   /* the name holds the time: later sorts first */
}

/* Saved files are small (a few kB per cell); a much larger one is not ours. */
#define RESULTS_FILE_MAX (16u << 20)

GPtrArray *results_store_load(const char *dir, GPtrArray **skipped)
{
    GPtrArray *runs = g_ptr_array_new_with_free_func(run_free);
    g_autoptr(GDir) d = dir ? g_dir_open(dir, 0, NULL) : NULL;
    const char *name;

    if (skipped)
        *skipped = g_ptr_array_new_with_free_func(g_free);
    while (d && (name = g_dir_read_name(d))) {
        g_autofree char *path = NULL;
        g_autofree char *text = NULL;
        g_autoptr(GError) e = NULL;
        struct results_run *r;
        struct bench_plan *plan;
        struct stat st;
        gsize len = 0;

        if (!g_str_has_prefix(name, "bench-") || !g_str_has_suffix(name, ".json"))
            continue;
        path = g_build_filename(dir, name, NULL);
        if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > RESULTS_FILE_MAX) {
            if (skipped)
                g_ptr_array_add(*skipped, g_strdup_printf("%s: not a regular file of at most "
                                                          "16 MiB", path));
            continue;
        }
        plan = g_file_get_contents(path, &text, &len, &e) ? results_store_parse(text, len, &e)
                                                          : NULL;
        if (!plan) {
            if (skipped)
                g_ptr_array_add(*skipped, g_strdup_printf("%s: %s", path, e->message));
            continue;
        }
        r = g_new0(struct results_run, 1);
        r->path = g_steal_pointer(&path);
        r->mtime = st.st_mtime;
        r->plan = plan;
        g_ptr_array_add(runs, r);
    }
    g_ptr_array_sort(runs, newest_first);
    return runs;
}

const struct results_run *results_store_find(const GPtrArray *runs, const char *domain,
                                             const char *disk)
{
    for (guint i = 0; runs && i < runs->len; i++) {
        const struct results_run *r = g_ptr_array_index(runs, i);

        if (r->plan && r->plan->domain && r->plan->disk && g_strcmp0(r->plan->domain, domain) == 0 &&
            g_strcmp0(r->plan->disk, disk) == 0)
            return r;
    }
    return NULL;
}
