#include "core/results_store.h"

#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include "core/bench_mode.h"
#include "core/bench_output.h"
#include "core/textesc.h"
#include "probes/durable.h"
#include "probes/pagecache.h"
#include "probes/units.h"

/* ---- the identity of a target --------------------------------------------------------- */

void results_identity_of(const char *path, struct results_identity *out)
{
    struct stat st;

    memset(out, 0, sizeof *out);
    if (!path || stat(path, &st) != 0)
        return;
    if (S_ISBLK(st.st_mode)) {
        out->kind = RESULTS_ID_BLOCK;
        out->major = major(st.st_rdev);
        out->minor = minor(st.st_rdev);
        out->size = pagecache_target_bytes(path);
    } else if (S_ISREG(st.st_mode)) {
        out->kind = RESULTS_ID_FILE;
        out->major = major(st.st_dev);
        out->minor = minor(st.st_dev);
        out->ino = (uint64_t)st.st_ino;
        out->size = (uint64_t)st.st_size;
    }
}

bool results_identity_same(const struct results_identity *a, const struct results_identity *b)
{
    return a->kind != RESULTS_ID_NONE && a->kind == b->kind && a->major == b->major &&
           a->minor == b->minor && a->ino == b->ino;
}

char *results_identity_text(const struct results_identity *id)
{
    char size[32];

    units_format_bytes(id->size, size, sizeof size);
    if (id->kind == RESULTS_ID_BLOCK)
        return g_strdup_printf("block %u:%u, %s", id->major, id->minor, size);
    if (id->kind == RESULTS_ID_FILE)
        return g_strdup_printf("file %u:%u inode %" G_GUINT64_FORMAT ", %s", id->major,
                               id->minor, id->ino, size);
    return g_strdup("unknown");
}

/* ---- the saved file, written --------------------------------------------------------- */

static json_object *jstring_or_null(const char *s)
{
    return s && *s ? json_object_new_string(s) : NULL;
}

static json_object *identity_json(const struct results_identity *id)
{
    json_object *o;
    char num[32];

    if (id->kind == RESULTS_ID_NONE)
        return NULL;
    o = json_object_new_object();
    g_snprintf(num, sizeof num, "%u:%u", id->major, id->minor);
    json_object_object_add(o, "kind", json_object_new_string(
        id->kind == RESULTS_ID_BLOCK ? "block" : "file"));
    json_object_object_add(o, id->kind == RESULTS_ID_BLOCK ? "rdev" : "dev",
                           json_object_new_string(num));
    if (id->kind == RESULTS_ID_FILE)
        json_object_object_add(o, "ino", json_object_new_uint64(id->ino));
    json_object_object_add(o, "size", json_object_new_uint64(id->size));
    return o;
}

/* The names of the enum values the cells have, in enum order. */
static json_object *names_json(const struct bench_plan *plan, int count,
                               int (*member)(const struct bench_cell *),
                               const char *(*name)(int))
{
    json_object *arr = json_object_new_array();
    unsigned mask = 0;

    for (guint i = 0; i < plan->cells->len; i++)
        mask |= 1u << member(&g_array_index(plan->cells, struct bench_cell, i));
    for (int v = 0; v < count; v++)
        if (mask & (1u << v))
            json_object_array_add(arr, json_object_new_string(name(v)));
    return arr;
}

static int cell_kind(const struct bench_cell *c) { return (int)c->kind; }
static int cell_cache(const struct bench_cell *c) { return (int)c->cache; }
static int cell_io(const struct bench_cell *c) { return (int)c->io; }
static const char *kind_name(int v) { return workload_default((enum workload_kind)v)->name; }
static const char *cache_name(int v) { return cache_mode_info((enum cache_mode)v)->name; }
static const char *io_name(int v) { return io_mode_info((enum io_mode)v)->name; }

/* The block (or depth) every cell has; 0 when they differ (each workload's own). */
static uint32_t common_size(const struct bench_plan *plan, bool depth)
{
    uint32_t v = 0;

    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);
        uint32_t x = depth ? c->wl.depth : c->wl.block;

        if (i && x != v)
            return 0;
        v = x;
    }
    return v;
}

static json_object *request_json(const struct bench_plan *plan)
{
    json_object *o = json_object_new_object();
    uint32_t block = common_size(plan, false), depth = common_size(plan, true);

    json_object_object_add(o, "workloads", names_json(plan, WL_COUNT, cell_kind, kind_name));
    json_object_object_add(o, "caches", names_json(plan, CACHE_COUNT, cell_cache, cache_name));
    json_object_object_add(o, "ios", names_json(plan, IO_COUNT, cell_io, io_name));
    json_object_object_add(o, "runtime_s", json_object_new_double(plan->runtime_s));
    json_object_object_add(o, "ramp_s", json_object_new_double(plan->ramp_s));
    json_object_object_add(o, "repeat", json_object_new_int64(MAX(plan->repeat, 1)));
    json_object_object_add(o, "block", block ? json_object_new_int64(block) : NULL);
    json_object_object_add(o, "depth", depth ? json_object_new_int64(depth) : NULL);
    json_object_object_add(o, "span", plan->span ? json_object_new_uint64(plan->span) : NULL);
    json_object_object_add(o, "mode", jstring_or_null(plan->mode_ops ? plan->mode_ops->name
                                                                     : NULL));
    json_object_object_add(o, "seed", json_object_new_uint64(plan->seed));
    json_object_object_add(o, "iothreads", json_object_new_int64(MAX(plan->iothreads, 1)));
    json_object_object_add(o, "jobs", plan->pool_workers
                                          ? json_object_new_int64(plan->pool_workers) : NULL);
    return o;
}

json_object *results_store_json(const struct bench_plan *plan, const struct results_origin *o)
{
    json_object *top = json_object_new_object();
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
    g_autofree char *qemu = bench_version_string(plan->qemu_version);
    const struct runner_kind *runner = runner_kind((enum runner_id)plan->runner_id);
    struct results_identity id = { 0 };

    if (o->identity)
        id = *o->identity;
    else if (!plan->scratch)
        results_identity_of(plan->target, &id);
    json_object_object_add(top, "format", json_object_new_int(RESULTS_FORMAT));
    json_object_object_add(top, "tool", jstring_or_null(o->tool));
    json_object_object_add(top, "saved_at", json_object_new_string(o->saved_at ? o->saved_at
                                                                               : stamp));
    json_object_object_add(top, "host", jstring_or_null(o->host ? o->host
                                                                : g_get_host_name()));
    json_object_object_add(top, "uri", jstring_or_null(o->uri));
    json_object_object_add(top, "domain", jstring_or_null(plan->domain));
    json_object_object_add(top, "disk", jstring_or_null(plan->disk));
    json_object_object_add(top, "target", json_object_new_string(plan->target));
    json_object_object_add(top, "target_identity", identity_json(&id));
    json_object_object_add(top, "runner", json_object_new_string(runner ? runner->name
                                                                        : "in-process"));
    json_object_object_add(top, "qemu_version", jstring_or_null(qemu));
    json_object_object_add(top, "kernel", jstring_or_null(plan->kernel));
    json_object_object_add(top, "request", request_json(plan));
    json_object_object_add(top, "cells", bench_output_json(plan));
    return top;
}

static char *save_name(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_now_utc();
    g_autofree char *stamp = g_date_time_format(now, "%Y%m%dT%H%M%SZ");

    return g_strdup_printf("bench-%s-%d.json", stamp, (int)getpid());
}

char *results_store_save(const struct bench_plan *plan, const struct results_origin *o,
                         const char *dir, GError **err)
{
    g_autofree char *name = save_name();
    json_object *top = results_store_json(plan, o);
    g_autofree char *safe = textesc_json(json_object_to_json_string_ext(
        top, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE));
    g_autofree char *text = g_strdup_printf("%s\n", safe);
    g_autoptr(GError) why = NULL;

    json_object_put(top);
    if (!durable_write_new(dir, name, text, strlen(text), &why)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "saving results: %s", why->message);
        return NULL;
    }
    return g_build_filename(dir, name, NULL);
}

/* ---- the saved file, read ------------------------------------------------------------ */

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

/* "7.2.0" back to bench_version_string()'s number; 0 when it is not one. */
static unsigned long version_from_string(const char *s)
{
    unsigned a, b, c;
    char extra;

    if (!s || sscanf(s, "%u.%u.%u%c", &a, &b, &c, &extra) != 3 || b > 999 || c > 999 ||
        a > 999999)
        return 0;
    return a * 1000000ul + b * 1000ul + c;
}

/* The cells of a run (format 1's whole file, format 2's "cells") into plan. */
static bool parse_cells(json_object *arr, struct bench_plan *plan, GError **err)
{
    size_t n;

    if (!arr || !json_object_is_type(arr, json_type_array))
        return parse_fail(err, "not a JSON array of cells");
    n = json_object_array_length(arr);
    for (size_t i = 0; i < n; i++) {
        json_object *o = json_object_array_get_idx(arr, i);
        const char *target = o ? get_string(o, "target") : NULL;
        struct bench_cell c = { 0 };

        if (!o || !json_object_is_type(o, json_type_object) || !target ||
            (plan->target && strcmp(plan->target, target) != 0) || !parse_cell(o, &c, err)) {
            if (err && !*err)
                parse_fail(err, "cell %zu: not a cell of this run's target", i);
            return false;
        }
        if (!plan->target) {
            plan->target = g_strdup(target);
            plan->domain = g_strdup(get_string(o, "domain"));
            plan->disk = g_strdup(get_string(o, "disk"));
            plan->kernel = g_strdup(get_string(o, "kernel"));
            plan->qemu_version = version_from_string(get_string(o, "qemu_version"));
            plan->runner_id = MAX(runner_from_name(get_string(o, "runner")), RUNNER_IN_PROCESS);
            get_number(o, "runtime_s", 0, &plan->runtime_s);
        }
        plan->repeat = MAX(plan->repeat, c.rounds);
        g_array_append_val(plan->cells, c);
    }
    plan->repeat = MAX(plan->repeat, 1);
    if (!plan->target)
        return parse_fail(err, "no cells");
    return true;
}

/* A whole number in [0, max]; def when null or absent. */
static bool get_count(json_object *o, const char *key, uint64_t def, uint64_t max,
                      uint64_t *out)
{
    json_object *v = NULL;

    if (!json_object_object_get_ex(o, key, &v) || !v) {
        *out = def;
        return true;
    }
    if (!json_object_is_type(v, json_type_int))
        return false;
    errno = 0;
    *out = json_object_get_uint64(v);
    return errno == 0 && json_object_get_int64(v) >= 0 && *out <= max;
}

static bool parse_identity(json_object *top, struct results_identity *id)
{
    json_object *o = NULL;
    const char *kind, *num;
    uint64_t ino = 0, size = 0;
    char extra;

    memset(id, 0, sizeof *id);
    if (!json_object_object_get_ex(top, "target_identity", &o) || !o)
        return true;
    if (!json_object_is_type(o, json_type_object))
        return false;
    kind = get_string(o, "kind");
    if (g_strcmp0(kind, "block") == 0)
        id->kind = RESULTS_ID_BLOCK;
    else if (g_strcmp0(kind, "file") == 0)
        id->kind = RESULTS_ID_FILE;
    else
        return false;
    num = get_string(o, id->kind == RESULTS_ID_BLOCK ? "rdev" : "dev");
    if (!num || sscanf(num, "%u:%u%c", &id->major, &id->minor, &extra) != 2 ||
        !get_count(o, "ino", 0, G_MAXUINT64, &ino) ||
        !get_count(o, "size", 0, G_MAXUINT64, &size))
        return false;
    id->ino = id->kind == RESULTS_ID_FILE ? ino : 0;
    id->size = size;
    return true;
}

/* A request's "workloads", "caches" or "ios": names into a mask. */
static bool parse_names(json_object *req, const char *key, int (*from_name)(const char *),
                        unsigned *mask)
{
    json_object *arr = NULL;

    *mask = 0;
    if (!json_object_object_get_ex(req, key, &arr) || !arr)
        return true;
    if (!json_object_is_type(arr, json_type_array))
        return false;
    for (size_t i = 0; i < json_object_array_length(arr); i++) {
        json_object *v = json_object_array_get_idx(arr, i);
        int bit = v && json_object_is_type(v, json_type_string)
                      ? from_name(json_object_get_string(v)) : -1;

        if (bit < 0 || bit >= 32)
            return false;
        *mask |= 1u << bit;
    }
    return true;
}

static int workload_from(const char *n) { return workload_from_name(n); }
static int cache_from(const char *n) { return cache_mode_from_name(n); }
static int io_from(const char *n) { return io_mode_from_name(n); }

static bool parse_request(json_object *top, struct bench_plan *plan, struct results_meta *m)
{
    json_object *req = NULL;
    uint64_t repeat, block, depth, span, seed, iothreads, jobs;
    double runtime, ramp;

    if (!json_object_object_get_ex(top, "request", &req) || !req)
        return true;
    if (!json_object_is_type(req, json_type_object) ||
        !parse_names(req, "workloads", workload_from, &m->workload_mask) ||
        !parse_names(req, "caches", cache_from, &m->cache_mask) ||
        !parse_names(req, "ios", io_from, &m->io_mask) ||
        !get_number(req, "runtime_s", plan->runtime_s, &runtime) ||
        !get_number(req, "ramp_s", 0, &ramp) ||
        !get_count(req, "repeat", plan->repeat, BENCH_MAX_REPEAT, &repeat) ||
        !get_count(req, "block", 0, UINT32_MAX, &block) ||
        !get_count(req, "depth", 0, UINT32_MAX, &depth) ||
        !get_count(req, "span", 0, G_MAXUINT64, &span) ||
        !get_count(req, "seed", 0, G_MAXUINT64, &seed) ||
        !get_count(req, "iothreads", 1, 64, &iothreads) ||
        !get_count(req, "jobs", 0, 1024, &jobs))
        return false;
    plan->runtime_s = runtime;
    plan->ramp_s = ramp;
    plan->repeat = MAX((unsigned)repeat, 1);
    plan->span = span;
    plan->seed = seed;
    plan->iothreads = (unsigned)iothreads;
    plan->pool_workers = (unsigned)jobs;
    m->block = (uint32_t)block;
    m->depth = (uint32_t)depth;
    g_free(m->mode);
    m->mode = g_strdup(get_string(req, "mode"));
    return true;
}

/* Format 2's header around its cells (already in plan). */
static bool parse_header(json_object *top, struct bench_plan *plan, struct results_meta *m,
                         GError **err)
{
    const char *target = get_string(top, "target");
    const char *runner = get_string(top, "runner");

    if (target && strcmp(target, plan->target) != 0)
        return parse_fail(err, "the header's target is not its cells'");
    if (g_strcmp0(get_string(top, "domain"), plan->domain) != 0 ||
        g_strcmp0(get_string(top, "disk"), plan->disk) != 0)
        return parse_fail(err, "the header's domain and disk are not its cells'");
    if (runner && runner_from_name(runner) < 0)
        return parse_fail(err, "an unknown runner");
    if (runner)
        plan->runner_id = runner_from_name(runner);
    if (get_string(top, "kernel")) {
        g_free(plan->kernel);
        plan->kernel = g_strdup(get_string(top, "kernel"));
    }
    if (get_string(top, "qemu_version"))
        plan->qemu_version = version_from_string(get_string(top, "qemu_version"));
    m->tool = g_strdup(get_string(top, "tool"));
    m->saved_at = g_strdup(get_string(top, "saved_at"));
    m->host = g_strdup(get_string(top, "host"));
    m->uri = g_strdup(get_string(top, "uri"));
    if (!parse_identity(top, &m->identity))
        return parse_fail(err, "a target_identity that is not {kind, dev or rdev, size}");
    if (!parse_request(top, plan, m))
        return parse_fail(err, "a request with a value that is not a known name or a "
                               "number in range");
    return true;
}

/* The format of a saved file's top object; false when it is not one this reads. */
static bool check_format(json_object *top, GError **err)
{
    json_object *v = NULL;
    int64_t format;

    if (!json_object_object_get_ex(top, "format", &v) || !json_object_is_type(v, json_type_int))
        return parse_fail(err, "an object without a format number");
    format = json_object_get_int64(v);
    if (format > RESULTS_FORMAT)
        return parse_fail(err, "format %" G_GINT64_FORMAT " is newer than this virt-disktune "
                               "reads (%d)", format, RESULTS_FORMAT);
    if (format != RESULTS_FORMAT)
        return parse_fail(err, "format %" G_GINT64_FORMAT " is not one virt-disktune wrote",
                          format);
    return true;
}

void results_meta_clear(struct results_meta *m)
{
    g_free(m->tool);
    g_free(m->saved_at);
    g_free(m->host);
    g_free(m->uri);
    g_free(m->mode);
    memset(m, 0, sizeof *m);
}

static bool parse_run(json_object *top, struct bench_plan *plan, struct results_meta *m,
                      GError **err)
{
    json_object *cells = NULL;

    if (top && json_object_is_type(top, json_type_array)) {
        m->format = 1;
        return parse_cells(top, plan, err);
    }
    if (!top || !json_object_is_type(top, json_type_object))
        return parse_fail(err, "not a saved run (a JSON object or array of cells)");
    if (!check_format(top, err))
        return false;
    m->format = RESULTS_FORMAT;
    json_object_object_get_ex(top, "cells", &cells);
    return parse_cells(cells, plan, err) && parse_header(top, plan, m, err);
}

struct bench_plan *results_store_parse(const char *json, gsize len, struct results_meta *meta,
                                       GError **err)
{
    g_autoptr(BenchPlan) plan = g_new0(struct bench_plan, 1);
    struct results_meta m = { 0 };
    struct json_tokener *tok = json_tokener_new();
    json_object *top;
    bool ok;

    plan->cells = g_array_new(FALSE, TRUE, sizeof(struct bench_cell));
    if (!tok) {
        parse_fail(err, "out of memory");
        return NULL;
    }
    top = len > INT_MAX ? NULL : json_tokener_parse_ex(tok, json, (int)len);
    if (!top && len == 0)
        parse_fail(err, "an empty file");
    else if (!top && json_tokener_get_error(tok) == json_tokener_continue)
        parse_fail(err, "not JSON: the text ends inside a value (truncated?)");
    else if (!top && json_tokener_get_error(tok) != json_tokener_success)
        parse_fail(err, "not JSON: %s", json_tokener_error_desc(json_tokener_get_error(tok)));
    json_tokener_free(tok);
    if (!top && err && !*err)
        parse_fail(err, "not a saved run (a JSON object or array of cells)");
    if (!top)
        return NULL;
    ok = parse_run(top, plan, &m, err);
    json_object_put(top);
    if (!ok) {
        results_meta_clear(&m);
        return NULL;
    }
    if (meta)
        *meta = m;
    else
        results_meta_clear(&m);
    return g_steal_pointer(&plan);
}

static void run_free(gpointer p)
{
    struct results_run *r = p;

    g_free(r->path);
    bench_plan_free(r->plan);
    results_meta_clear(&r->meta);
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

/* When the file says it was saved; else its mtime (a copied file keeps its saved_at). */
static gint64 saved_time(const char *saved_at, gint64 mtime)
{
    g_autoptr(GDateTime) t = saved_at ? g_date_time_new_from_iso8601(saved_at, NULL) : NULL;

    return t ? g_date_time_to_unix(t) : mtime;
}

/* Saved files are small (a few kB per cell); a much larger one is not ours. */
#define RESULTS_FILE_MAX (16u << 20)

char *results_store_read_file(const char *path, bool follow, gsize *len, struct stat *st,
                              GError **err)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
    g_autoptr(GString) text = NULL;
    char buf[65536];
    ssize_t n;

    if (fd < 0) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s", g_strerror(errno));
        return NULL;
    }
    /* The checks on the file opened, not on a path that may change meanwhile; a FIFO or a
     * device is never read (O_NONBLOCK: opening a FIFO does not wait either). */
    if (fstat(fd, st) != 0 || !S_ISREG(st->st_mode) || st->st_size > RESULTS_FILE_MAX) {
        close(fd);
        g_set_error_literal(err, BENCH_ERROR, BENCH_ERROR_FAILED,
                            "not a regular file of at most 16 MiB");
        return NULL;
    }
    text = g_string_sized_new((gsize)st->st_size + 1);
    while ((n = read(fd, buf, sizeof buf)) > 0 && text->len + (gsize)n <= RESULTS_FILE_MAX)
        g_string_append_len(text, buf, n);
    if (n != 0) {
        int e = n < 0 ? errno : EFBIG;

        close(fd);
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s", g_strerror(e));
        return NULL;
    }
    close(fd);
    *len = text->len;
    return g_string_free(g_steal_pointer(&text), FALSE);
}

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
        struct results_meta meta = { 0 };
        struct stat st;
        gsize len = 0;

        if (!g_str_has_prefix(name, "bench-") || !g_str_has_suffix(name, ".json"))
            continue;
        path = g_build_filename(dir, name, NULL);
        text = results_store_read_file(path, false, &len, &st, &e);
        plan = text ? results_store_parse(text, len, &meta, &e) : NULL;
        if (!plan) {
            if (skipped)
                g_ptr_array_add(*skipped, g_strdup_printf("%s: %s", path, e->message));
            continue;
        }
        r = g_new0(struct results_run, 1);
        r->path = g_steal_pointer(&path);
        r->mtime = saved_time(meta.saved_at, st.st_mtime);
        r->plan = plan;
        r->meta = meta;
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
