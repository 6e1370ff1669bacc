#include "core/bench.h"
#include "probes/diskstats.h"
#include "probes/units.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include "core/backing.h"
#include "core/host.h"
#include "core/model.h"
#include "core/bench_mode.h"
#include "core/bench_rounds.h"
#include "core/safety.h"

G_DEFINE_QUARK(bench-error-quark, bench_error)

static const char *const cell_status_names[CELL_STATUS_COUNT] = {
    [CELL_OK] = "ok", [CELL_INVALID] = "invalid", [CELL_UNSUPPORTED] = "unsupported",
    [CELL_REFUSED] = "refused", [CELL_ERROR] = "error", [CELL_CANCELLED] = "cancelled",
};

const char *bench_status_name(enum bench_status s)
{
    return (unsigned)s < CELL_STATUS_COUNT ? cell_status_names[s] : "unknown";
}

/* The runner's words for how a cell ended, in core's. */
static enum bench_status status_from_run(enum run_status s)
{
    switch (s) {
    case RUN_OK: return CELL_OK;
    case RUN_INVALID: return CELL_INVALID;
    case RUN_UNSUPPORTED: return CELL_UNSUPPORTED;
    case RUN_REFUSED: return CELL_REFUSED;
    case RUN_CANCELLED: return CELL_CANCELLED;
    default: return CELL_ERROR;
    }
}

/* The runner's result as core's. */
static void bench_result_from_run(struct bench_result *out, const struct run_result *r)
{
    *out = (struct bench_result){
        .status = status_from_run(r->status),
        .err = r->err,
        .ops = r->ops,
        .bytes = r->bytes,
        .seconds = r->seconds,
        .iops = r->iops,
        .bytes_per_s = r->bytes_per_s,
        .lat_ns = { r->lat_ns.mean, r->lat_ns.p50, r->lat_ns.p99, r->lat_ns.p999, r->lat_ns.max },
        .no_latency = r->no_latency,
        .cpu_us_per_io = r->cpu_us_per_io,
        .ctx_switches = r->ctx_switches,
        .data_fraction = r->data_fraction,
        .device_measured = r->device_read_share >= 0,
        .device_read_share = r->device_read_share >= 0 ? r->device_read_share : 0,
    };
    g_strlcpy(out->reason, r->reason, sizeof out->reason);
}

bool bench_result_from_ram(const struct bench_result *r)
{
    return (r->status == CELL_OK || r->status == CELL_CANCELLED) && r->ops > 0 &&
           r->device_measured && r->device_read_share < BENCH_RAM_SHARE;
}

/* ---- option values ---------------------------------------------------------------- */

static unsigned size_shift(char suffix)
{
    switch (g_ascii_tolower(suffix)) {
    case 'k': return 10;
    case 'm': return 20;
    case 'g': return 30;
    case 't': return 40;
    default:  return 0;
    }
}

bool bench_parse_size(const char *text, uint64_t *out, GError **err)
{
    const char *p;
    char *end = NULL;
    guint64 n;
    unsigned shift;

    if (!text || !g_ascii_isdigit(text[0])) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "'%s' is not a size (examples: 4096, 4k, 1M, 1G)", text ? text : "");
        return false;
    }
    errno = 0;
    n = g_ascii_strtoull(text, &end, 10);
    p = end;
    shift = size_shift(*p);
    if (shift) {
        p++;
        if (g_ascii_strcasecmp(p, "ib") == 0 || g_ascii_strcasecmp(p, "b") == 0)
            p += strlen(p);
    } else if (g_ascii_strcasecmp(p, "b") == 0) {
        p++;
    }
    if (errno || *p) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "'%s' is not a size (examples: 4096, 4k, 1M, 1G)", text);
        return false;
    }
    if (shift && n > (UINT64_MAX >> shift)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE, "size '%s' is too large", text);
        return false;
    }
    *out = (uint64_t)n << shift;
    return true;
}

static bool parse_list(const char *text, const char *what, int (*from_name)(const char *),
                       unsigned count, unsigned fallback, unsigned *mask, GError **err)
{
    g_auto(GStrv) names = NULL;
    unsigned m = 0;

    if (!text) {
        *mask = fallback;
        return true;
    }
    if (strcmp(text, "all") == 0) {
        *mask = (1u << count) - 1;
        return true;
    }
    names = g_strsplit(text, ",", -1);
    for (char **n = names; *n; n++) {
        int v = from_name(g_strstrip(*n));

        if (v < 0) {
            g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE, "unknown %s '%s'", what, *n);
            return false;
        }
        m |= 1u << v;
    }
    if (!m) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE, "empty %s list", what);
        return false;
    }
    *mask = m;
    return true;
}

bool bench_parse_caches(const char *text, unsigned *mask, GError **err)
{
    return parse_list(text, "cache mode", cache_mode_from_name, CACHE_COUNT,
                      (1u << CACHE_COUNT) - 1, mask, err);
}

bool bench_parse_ios(const char *text, unsigned *mask, GError **err)
{
    return parse_list(text, "io mode", io_mode_from_name, IO_COUNT,
                      (1u << IO_COUNT) - 1, mask, err);
}

bool bench_parse_workloads(const char *text, unsigned *mask, GError **err)
{
    /* randread is what most guests do (DESIGN.md "Workloads"): the default. */
    return parse_list(text, "workload", workload_from_name, WL_COUNT,
                      1u << WL_RANDREAD, mask, err);
}

void bench_request_init(struct bench_request *req)
{
    memset(req, 0, sizeof(*req));
    req->cache_mask = (1u << CACHE_COUNT) - 1;
    req->io_mask = (1u << IO_COUNT) - 1;
    req->workload_mask = 1u << WL_RANDREAD;
    req->runtime_s = -1;
    req->ramp_s = -1;
    req->read_pct = -1;
}

unsigned bench_request_runnable(const struct bench_request *req)
{
    unsigned n = 0;

    for (int k = 0; k < WL_COUNT; k++)
        for (int c = 0; c < CACHE_COUNT; c++)
            for (int i = 0; i < IO_COUNT; i++)
                n += (req->workload_mask >> k & 1) && (req->cache_mask >> c & 1) &&
                     (req->io_mask >> i & 1) && cache_io_valid(c, i, NULL);
    return n;
}

/* ---- the plan ---------------------------------------------------------------------- */

#define BENCH_BUFFER_CEILING (1ull << 30)

/* MemAvailable of /proc/meminfo in bytes, 0 when unknown. */
static uint64_t mem_available(void)
{
    g_autofree char *text = NULL;
    const char *p;

    if (!g_file_get_contents("/proc/meminfo", &text, NULL, NULL))
        return 0;
    p = strstr(text, "MemAvailable:");
    if (!p)
        return 0;
    return g_ascii_strtoull(p + strlen("MemAvailable:"), NULL, 10) << 10;
}

/* Every submitting thread holds depth buffers of block bytes, all written with a pattern
 * (and pinned by io_uring's registration): on a KVM host the OOM killer that memory would
 * wake may pick a guest. Above the budget the request is refused before anything runs. */
static bool buffers_check(const struct bench_request *req, GError **err)
{
    uint64_t budget = BENCH_BUFFER_CEILING, avail = mem_available();
    unsigned threads = req->iothreads ? req->iothreads : 1;

    if (avail && avail / 4 < budget)
        budget = avail / 4;
    for (int k = 0; k < WL_COUNT; k++) {
        const struct workload *wl = workload_default(k);
        uint64_t block = req->block ? req->block : wl->block;
        uint64_t depth = req->depth ? req->depth : wl->depth;
        uint64_t total = block * depth * threads;
        char t[UNITS_BYTES_LEN], b[UNITS_BYTES_LEN], bud[UNITS_BYTES_LEN];

        if (!(req->workload_mask & (1u << k)) || total <= budget)
            continue;
        units_format_bytes(total, t, sizeof t);
        units_format_bytes(block, b, sizeof b);
        units_format_bytes(budget, bud, sizeof bud);
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                    "%s: I/O buffers of %s (--block %s x --depth %llu x --iothreads %u) exceed "
                    "the budget of %s (1 GiB, or a quarter of MemAvailable if lower)",
                    wl->name, t, b, (unsigned long long)depth, threads, bud);
        return false;
    }
    return true;
}

/* The runner asked for exists and can run here. */
static bool runner_check(const struct bench_request *req, GError **err)
{
    const struct runner_kind *k = runner_kind((enum runner_id)req->runner);
    g_autofree char *why = NULL;

    if (!k) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE, "unknown runner %d", req->runner);
        return false;
    }
    if (k->unavailable && (why = k->unavailable())) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "runner %s is not available: %s",
                    k->name, why);
        return false;
    }
    return true;
}

static bool request_check(const struct bench_request *req, GError **err)
{
    const char *bad = NULL;

    if (!req->cache_mask || !req->io_mask || !req->workload_mask)
        bad = "nothing to run: empty cache, io or workload selection";
    else if (req->block && (req->block % 512 || req->block > (64u << 20)))
        bad = "--block must be a multiple of 512 bytes, at most 64M";
    else if (req->depth > 4096)
        bad = "--depth must be between 1 and 4096";
    else if (req->runtime_s == 0 || req->runtime_s > 86400)
        bad = "--runtime must be more than 0 and at most 86400 seconds";
    else if (req->ramp_s > 3600)
        bad = "--ramp must be at most 3600 seconds";
    else if (req->iothreads > 64)
        bad = "--iothreads must be between 1 and 64";
    else if (req->pool_workers > 1024)
        bad = "--jobs must be between 1 and 1024";
    else if (req->repeat > BENCH_MAX_REPEAT)
        bad = "--repeat must be between 1 and 100";
    if (bad) {
        g_set_error_literal(err, BENCH_ERROR, BENCH_ERROR_USAGE, bad);
        return false;
    }
    return buffers_check(req, err) && runner_check(req, err);
}

static void plan_add_cells(struct bench_plan *plan, enum workload_kind kind,
                           const struct bench_request *req)
{
    struct workload wl = *workload_default(kind);

    if (req->block)
        wl.block = req->block;
    if (req->depth)
        wl.depth = req->depth;
    /* The safety checks read each cell's workload after this: a read workload given
     * writes is treated as a writing one. */
    if (req->read_pct >= 0)
        wl.read_pct = (unsigned)req->read_pct;
    for (int c = 0; c < CACHE_COUNT; c++) {
        if (!(req->cache_mask & (1u << c)))
            continue;
        for (int i = 0; i < IO_COUNT; i++) {
            struct bench_cell cell = { .cache = c, .io = i, .kind = kind, .wl = wl };
            const char *why = NULL;

            if (!(req->io_mask & (1u << i)))
                continue;
            cell.valid = cache_io_valid(c, i, &why);
            if (!cell.valid) {
                cell.finished = true;
                cell.result.status = CELL_INVALID;
                g_strlcpy(cell.result.reason, why ? why : "rejected by QEMU",
                          sizeof(cell.result.reason));
            }
            g_array_append_val(plan->cells, cell);
        }
    }
}

struct bench_plan *bench_plan_new(const char *target, const struct bench_request *req,
                                  unsigned long qemu_version, GError **err)
{
    struct bench_plan *plan;

    if (!request_check(req, err))
        return NULL;
    plan = g_new0(struct bench_plan, 1);
    plan->target = g_strdup(target);
    plan->cells = g_array_new(FALSE, TRUE, sizeof(struct bench_cell));
    plan->span = req->span;
    plan->runtime_s = req->runtime_s < 0 ? BENCH_DEFAULT_RUNTIME_S : req->runtime_s;
    plan->ramp_s = req->ramp_s < 0 ? BENCH_DEFAULT_RAMP_S : req->ramp_s;
    plan->seed = req->seed;
    plan->iothreads = req->iothreads ? req->iothreads : 1;
    plan->pool_workers = req->pool_workers;
    plan->repeat = req->repeat ? req->repeat : 1;
    plan->journal_limit = req->journal_limit ? req->journal_limit : BENCH_DEFAULT_JOURNAL_LIMIT;
    plan->qemu_version = qemu_version;
    plan->kernel = bench_kernel_release();
    plan->runner_id = req->runner;
    plan->runner = runner_kind((enum runner_id)req->runner)->run;
    plan->format = g_strdup(req->format);
    for (int k = 0; k < WL_COUNT; k++)
        if (req->workload_mask & (1u << k))
            plan_add_cells(plan, k, req);
    return plan;
}

void bench_plan_free(struct bench_plan *plan)
{
    if (!plan)
        return;
    g_free(plan->target);
    g_free(plan->domain);
    g_free(plan->disk);
    g_array_unref(plan->cells);
    g_free(plan->kernel);
    g_free(plan->stat_path);
    g_free(plan->format);
    g_free(plan->domain_uuid);
    if (plan->scratch_lv) {
        g_free(plan->scratch_lv->vg);
        g_free(plan->scratch_lv->name);
        g_free(plan->scratch_lv->uuid);
        g_free(plan->scratch_lv);
    }
    if (plan->mode_state && plan->mode_state_free)
        plan->mode_state_free(plan->mode_state);
    g_free(plan);
}

bool bench_plan_writes(const struct bench_plan *plan)
{
    for (guint i = 0; i < plan->cells->len; i++) {
        const struct bench_cell *c = &g_array_index(plan->cells, struct bench_cell, i);

        if (c->valid && workload_writes(&c->wl))
            return true;
    }
    return false;
}

unsigned bench_plan_runnable(const struct bench_plan *plan)
{
    unsigned n = 0;

    for (guint i = 0; i < plan->cells->len; i++)
        n += g_array_index(plan->cells, struct bench_cell, i).valid;
    return n;
}

unsigned bench_plan_runs(const struct bench_plan *plan)
{
    return bench_plan_runnable(plan) * (plan->repeat ? plan->repeat : 1);
}

bool bench_plan_check_thin(struct bench_plan *plan, const char *sysfs_root)
{
    g_autoptr(Backing) b = backing_resolve(plan->target, sysfs_root, NULL);

    plan->thin = b && b->thin;
    return plan->thin;
}

/* ---- safety ------------------------------------------------------------------------ */

static bool authorize_domain_disk(struct bench_plan *plan, const struct bench_authority *auth,
                                  GError **err)
{
    if (auth->mode == BENCH_MODE_SCRATCH) {
        g_set_error_literal(err, BENCH_ERROR, BENCH_ERROR_USAGE,
                            "--mode scratch creates a new file: use it with --target PATH, "
                            "not --domain/--disk");
        return false;
    }
    if (bench_plan_writes(plan))
        return bench_mode_refuse(err, plan->target,
                      "the safety model for writes to a domain's disk is not in this "
                      "release; use --target on a scratch file");
    return true;
}

bool bench_plan_authorize(struct bench_plan *plan, const struct bench_authority *auth,
                          GError **err)
{
    const struct bench_mode_ops *ops = bench_mode_ops_for(auth->mode);

    plan->allow_write = false;
    plan->identity_known = false;
    plan->session = NULL;
    plan->mode_ops = NULL;
    if (!ops) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_USAGE, "unknown write mode %d", (int)auth->mode);
        return false;
    }
    if (auth->domain_disk && auth->mode != BENCH_MODE_PRESERVE &&
        !authorize_domain_disk(plan, auth, err))
        return false;
    if (!ops->authorize(plan, auth, err))
        return false;
    plan->mode_ops = ops;
    return true;
}

/* ---- where the target comes from --------------------------------------------------- */

char *bench_domain_disk_path(struct session *s, const char *domain, const char *disk,
                             GError **err)
{
    const struct host_load_opts opts = { .resolve_backing = true, .sysfs_root = NULL };
    g_autoptr(GError) why = NULL;
    g_autoptr(VmDomain) dom = host_load_domain(s, domain, &opts, &why);
    const struct vm_config *cfg;
    const struct vm_disk *d;

    if (!dom) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "%s",
                    why ? why->message : "domain not found");
        return NULL;
    }
    cfg = vm_domain_config(dom);
    d = cfg ? vm_config_find_disk(cfg, disk) : NULL;
    if (!d) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "domain %s: no disk with target '%s'",
                    domain, disk);
        return NULL;
    }
    if (!d->benchable) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "domain %s disk %s: not benchable: %s",
                    domain, disk, d->reason ? d->reason : "no reason given");
        return NULL;
    }
    if (!d->backing || !d->backing->resolved) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED,
                    "domain %s disk %s: backing of '%s' not resolved", domain, disk,
                    d->source ? d->source : "");
        return NULL;
    }
    return g_strdup(d->backing->resolved);
}

char *bench_domain_disk_source(struct session *s, const char *domain, const char *disk)
{
    const struct host_load_opts opts = { .resolve_backing = false, .sysfs_root = NULL };
    g_autoptr(VmDomain) dom = host_load_domain(s, domain, &opts, NULL);
    const struct vm_config *cfg = dom ? vm_domain_config(dom) : NULL;
    const struct vm_disk *d = cfg ? vm_config_find_disk(cfg, disk) : NULL;

    return d && d->source ? g_strdup(d->source) : NULL;
}

char *bench_domain_disk_format(struct session *s, const char *domain, const char *disk,
                               char **uuid)
{
    const struct host_load_opts opts = { .resolve_backing = false, .sysfs_root = NULL };
    g_autoptr(VmDomain) dom = host_load_domain(s, domain, &opts, NULL);
    const struct vm_config *cfg = dom ? vm_domain_config(dom) : NULL;
    const struct vm_disk *d = cfg ? vm_config_find_disk(cfg, disk) : NULL;

    if (uuid)
        *uuid = dom && dom->uuid[0] ? g_strdup(dom->uuid) : NULL;
    return d && d->driver_type ? g_strdup(d->driver_type) : NULL;
}

/* Same file (device and inode) or same block device (st_rdev). */
static bool same_object(const struct stat *a, const struct stat *b)
{
    if (S_ISBLK(a->st_mode) && S_ISBLK(b->st_mode))
        return a->st_rdev == b->st_rdev;
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino;
}

static void add_users(GPtrArray *users, const struct vm_domain *dom, const struct stat *target)
{
    const struct vm_config *cfg = vm_domain_config(dom);

    for (guint i = 0; cfg && cfg->disks && i < cfg->disks->len; i++) {
        const struct vm_disk *d = g_ptr_array_index(cfg->disks, i);
        struct stat st;

        if (d->source && stat(d->source, &st) == 0 && same_object(&st, target))
            g_ptr_array_add(users, g_strdup_printf("%s (%s)", dom->name,
                                                   d->target ? d->target : "?"));
    }
}

GPtrArray *bench_target_users(struct session *s, const char *path, GError **err)
{
    const struct host_load_opts opts = { .resolve_backing = false, .sysfs_root = NULL };
    g_autoptr(GPtrArray) users = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(HostModel) host = NULL;
    struct stat target;

    if (stat(path, &target) < 0)
        return g_steal_pointer(&users);
    host = host_load(s, &opts, err);
    if (!host)
        return NULL;
    for (guint i = 0; i < host->domains->len; i++) {
        const struct vm_domain *dom = g_ptr_array_index(host->domains, i);

        if (dom->active)
            add_users(users, dom, &target);
    }
    return g_steal_pointer(&users);
}

/* ---- execution --------------------------------------------------------------------- */

struct bench_run {
    struct bench_plan *plan;
    char *refused;          /* worker only: why writing cells are refused from now on */
    GThread *thread;
    GAsyncQueue *finished;  /* GUINT_TO_POINTER(index + 1); cells->len + 1 ends the run */
    int efd;
    bool ended;             /* the caller has seen the end */
    atomic_bool cancel;
    _Atomic int current;
    _Atomic unsigned ordinal;
    _Atomic unsigned round;
    struct run_progress progress;
};

static void run_announce(struct bench_run *run, guint value)
{
    uint64_t one = 1;

    g_async_queue_push(run->finished, GUINT_TO_POINTER(value));
    /* The eventfd only wakes a poll(); the queue holds the truth, so a failed write
     * (counter overflow, impossible in practice) loses nothing. */
    if (write(run->efd, &one, sizeof(one)) < 0)
        return;
}

static void cell_cancelled(struct bench_result *r)
{
    memset(r, 0, sizeof(*r));
    r->status = CELL_CANCELLED;
    g_strlcpy(r->reason, "cancelled before it ran", sizeof(r->reason));
}

/* The safety check of authorisation ran once; a domain started, a mount or another user
 * may have come since. Asked again before every writing cell: after a refusal no later
 * cell writes either. Reads need no permission. */
static bool cell_may_write(struct bench_run *run, struct bench_cell *cell, struct bench_result *r)
{
    const struct bench_plan *plan = run->plan;
    g_autoptr(GError) why = NULL;

    if (!plan->allow_write || !workload_writes(&cell->wl))
        return true;
    /* A mode that may write but has no check before each cell is refused, not trusted. */
    if (!run->refused && (!plan->mode_ops || !plan->mode_ops->before_cell))
        run->refused = g_strdup("the write mode has no per-cell safety check: refused");
    else if (!run->refused && !plan->mode_ops->before_cell(plan, cell, &run->cancel, &why))
        run->refused = g_strdup(why ? why->message : "the safety check refused");
    if (!run->refused)
        return true;
    memset(r, 0, sizeof(*r));
    r->status = CELL_REFUSED;
    r->err = EPERM;
    r->data_fraction = 1.0;
    g_strlcpy(r->reason, run->refused, sizeof(r->reason));
    return false;
}

/* A warning joins the reason of a cell that ran: "; " after what is there already. */
static void add_warning(struct bench_result *r, const char *warning)
{
    size_t len = strlen(r->reason);

    if (len)
        g_strlcat(r->reason, "; ", sizeof(r->reason));
    g_strlcat(r->reason, warning, sizeof(r->reason));
}

/* One round of a cell into *res. */
static void cell_run(struct bench_run *run, struct bench_cell *cell, int index,
                     struct bench_result *res)
{
    const struct bench_plan *plan = run->plan;
    const struct run_spec spec = {
        .path = plan->target,
        .cache = cell->cache,
        .io = cell->io,
        .wl = cell->wl,
        .span = plan->span,
        .ramp_s = plan->ramp_s,
        .runtime_s = plan->runtime_s,
        .seed = plan->seed,
        .iothreads = plan->iothreads,
        .pool_workers = plan->pool_workers,
        .qemu_major = (unsigned)(plan->qemu_version / 1000000),
        .allow_write = plan->allow_write,
        .check_identity = plan->allow_write && plan->identity_known,
        .expect_rdev = plan->target_rdev,
        .expect_dev = plan->target_dev,
        .expect_ino = plan->target_ino,
        .drop_cache = true,
        .stat_path = plan->stat_path,
        .format = plan->format,
    };
    struct run_result ran;
    int rc;

    atomic_store_explicit(&run->progress.ops, 0, memory_order_relaxed);
    atomic_store_explicit(&run->progress.elapsed_ns, 0, memory_order_relaxed);
    atomic_store_explicit(&run->progress.current_iops, 0, memory_order_relaxed);
    atomic_store_explicit(&run->progress.phase, 0, memory_order_relaxed);
    atomic_fetch_add(&run->ordinal, 1);
    atomic_store(&run->current, index);
    if (!cell_may_write(run, cell, res))
        return;
    memset(&ran, 0, sizeof ran);
    rc = plan->runner(&spec, &run->progress, &run->cancel, &ran);
    bench_result_from_run(res, &ran);
    if (rc < 0 && (res->status == CELL_OK || res->status == CELL_CANCELLED)) {
        res->status = CELL_ERROR;
        res->err = -rc;
        g_strlcpy(res->reason, g_strerror(-rc), sizeof(res->reason));
    }
    /* The runner's own refusal (the device claimed by another, the path now another
     * object) stands for the rest of the run as the safety check's does. */
    if (res->status == CELL_REFUSED && !run->refused)
        run->refused = g_strdup(res->reason);
    if (plan->thin && cell->wl.read_pct > 0 &&
        (res->status == CELL_OK || res->status == CELL_CANCELLED))
        add_warning(res, BENCH_THIN_WARNING);
    if (plan->mode_ops && plan->mode_ops->after_cell) {
        g_autoptr(GError) why = NULL;

        /* The mode could not undo what the cell did (preserve: the restore failed): the
         * cell is an error and nothing writes any more. */
        if (!plan->mode_ops->after_cell(plan, cell, &why)) {
            res->status = CELL_ERROR;
            res->err = EIO;
            g_strlcpy(res->reason, why ? why->message : "the write mode's clean-up failed",
                      sizeof(res->reason));
            if (!run->refused)
                run->refused = g_strdup(res->reason);
        }
    }
}

/* The order the cells run in: within each workload, io mode by io mode and in each the
 * cache modes, so that no two buffered cells of one io mode run back to back and no cell
 * always follows the same neighbour it could inherit a warm cache or a busy device from
 * (the plan's own order, cache by cache, would run none/native, none/threads, none/io_uring,
 * then writethrough's three, ...). Caller frees with g_free(). */
static guint *run_order(const GArray *cells)
{
    guint *order = g_new(guint, cells->len ? cells->len : 1), n = 0;

    for (guint start = 0; start < cells->len;) {
        enum workload_kind kind = g_array_index(cells, struct bench_cell, start).kind;
        guint end = start;

        while (end < cells->len && g_array_index(cells, struct bench_cell, end).kind == kind)
            end++;
        for (int io = 0; io < IO_COUNT; io++)
            for (guint i = start; i < end; i++)
                if ((int)g_array_index(cells, struct bench_cell, i).io == io)
                    order[n++] = i;
        start = end;
    }
    return order;
}

/* Rounds after the first run each workload's cells in a new order, shuffled from the seed
 * and the round, so that no cell keeps the neighbour it had. */
static void shuffle_order(guint *order, const GArray *cells, uint64_t seed, unsigned round)
{
    g_autoptr(GRand) rand = g_rand_new_with_seed((guint32)(seed * 2654435761u + round));

    for (guint start = 0; start < cells->len;) {
        enum workload_kind kind = g_array_index(cells, struct bench_cell, order[start]).kind;
        guint end = start;

        while (end < cells->len &&
               g_array_index(cells, struct bench_cell, order[end]).kind == kind)
            end++;
        for (guint i = end - 1; i > start; i--) {
            guint j = (guint)g_rand_int_range(rand, (gint32)start, (gint32)i + 1), t = order[i];

            order[i] = order[j];
            order[j] = t;
        }
        start = end;
    }
}

/* A cell ends before its last round: with the rounds that ended ok combined when a cancel
 * stopped it, else with the round that did not end ok (an error, a refusal...). */
static void cell_end_early(struct bench_cell *cell, const struct bench_result *rounds,
                           unsigned ok, const struct bench_result *last, unsigned repeat)
{
    if (last->status == CELL_CANCELLED && ok > 0) {
        bench_rounds_combine(cell, rounds, ok);
        cell->result.status = CELL_CANCELLED;
        g_snprintf(cell->result.reason, sizeof cell->result.reason,
                   "cancelled after %u of %u rounds; figures from those", ok, repeat);
        return;
    }
    cell->result = *last;
    cell->rounds = ok;
    if (ok > 0 && last->status != CELL_CANCELLED) {
        char tail[64];

        g_snprintf(tail, sizeof tail, " (round %u of %u)", ok + 1, repeat);
        g_strlcat(cell->result.reason, tail, sizeof cell->result.reason);
    }
}

static void cell_finish(struct bench_run *run, struct bench_cell *cell, guint i)
{
    cell->finished = true;
    run_announce(run, i + 1);
}

static gpointer run_worker(gpointer data)
{
    struct bench_run *run = data;
    GArray *cells = run->plan->cells;
    unsigned repeat = run->plan->repeat ? run->plan->repeat : 1;
    g_autofree guint *order = run_order(cells);
    g_autofree guint *ok = g_new0(guint, cells->len ? cells->len : 1);
    g_autofree struct bench_result *rounds =
        g_new0(struct bench_result, (cells->len ? cells->len : 1) * repeat);

    for (unsigned r = 0; r < repeat; r++) {
        atomic_store(&run->round, r + 1);
        if (r > 0)
            shuffle_order(order, cells, run->plan->seed, r);
        for (guint k = 0; k < cells->len; k++) {
            guint i = order[k];
            struct bench_cell *cell = &g_array_index(cells, struct bench_cell, i);
            struct bench_result *mine = &rounds[(gsize)i * repeat], *res = &mine[r];

            if (!cell->valid) {
                if (r == 0)
                    run_announce(run, i + 1);
                continue;
            }
            if (cell->finished)
                continue;
            if (atomic_load(&run->cancel))
                cell_cancelled(res);
            else
                cell_run(run, cell, (int)i, res);
            if (res->status == CELL_OK && ++ok[i] < repeat)
                continue;
            if (res->status == CELL_OK)
                bench_rounds_combine(cell, mine, ok[i]);
            else
                cell_end_early(cell, mine, ok[i], res, repeat);
            cell_finish(run, cell, i);
        }
    }
    atomic_store(&run->current, -1);
    if (run->plan->mode_ops && run->plan->mode_ops->run_ended)
        run->plan->mode_ops->run_ended(run->plan);
    run_announce(run, cells->len + 1);
    return NULL;
}

struct bench_run *bench_run_start(struct bench_plan *plan, GError **err)
{
    g_autoptr(GError) why = NULL;
    struct bench_run *run = g_new0(struct bench_run, 1);

    run->plan = plan;
    if (!plan->stat_path)
        plan->stat_path = diskstats_path_for(plan->target, NULL);
    atomic_init(&run->cancel, false);
    atomic_init(&run->current, -1);
    atomic_init(&run->ordinal, 0);
    atomic_init(&run->round, 0);
    run->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (run->efd < 0) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "eventfd: %s", g_strerror(errno));
        g_free(run);
        return NULL;
    }
    run->finished = g_async_queue_new();
    if (plan->mode_ops && plan->mode_ops->run_started)
        plan->mode_ops->run_started(plan, run);
    run->thread = g_thread_try_new("bench", run_worker, run, &why);
    if (!run->thread) {
        if (plan->mode_ops && plan->mode_ops->run_ended)
            plan->mode_ops->run_ended(plan);
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "bench worker thread: %s",
                    why->message);
        close(run->efd);
        g_async_queue_unref(run->finished);
        g_free(run);
        return NULL;
    }
    return run;
}

int bench_run_next(struct bench_run *run, gint64 timeout_us)
{
    gpointer p;
    guint v;

    if (run->ended)
        return BENCH_RUN_END;
    if (timeout_us < 0)
        p = g_async_queue_pop(run->finished);
    else if (timeout_us == 0)
        p = g_async_queue_try_pop(run->finished);
    else
        p = g_async_queue_timeout_pop(run->finished, (guint64)timeout_us);
    if (!p)
        return BENCH_RUN_TIMEOUT;
    v = GPOINTER_TO_UINT(p);
    if (v == run->plan->cells->len + 1) {
        run->ended = true;
        return BENCH_RUN_END;
    }
    return (int)v - 1;
}

bool bench_run_collect(struct bench_run *run, void (*finished)(int index, gpointer data),
                       gpointer data, bool *ended, GError **err)
{
    uint64_t count;
    int index;

    *ended = false;
    if (read(bench_run_fd(run), &count, sizeof count) < 0 && errno != EAGAIN) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_FAILED, "bench eventfd: %s", g_strerror(errno));
        return false;
    }
    while ((index = bench_run_next(run, 0)) >= 0)
        finished(index, data);
    *ended = index == BENCH_RUN_END;
    return true;
}

int bench_run_fd(const struct bench_run *run)
{
    return run->efd;
}

void bench_run_progress(const struct bench_run *run, struct bench_progress *out)
{
    const struct bench_run *r = run;

    out->cell = atomic_load(&r->current);
    out->ordinal = atomic_load(&r->ordinal);
    out->round = atomic_load(&r->round);
    out->phase = atomic_load_explicit(&r->progress.phase, memory_order_relaxed);
    out->ops = atomic_load_explicit(&r->progress.ops, memory_order_relaxed);
    out->current_iops = atomic_load_explicit(&r->progress.current_iops, memory_order_relaxed);
    out->elapsed_s = (double)atomic_load_explicit(&r->progress.elapsed_ns,
                                                  memory_order_relaxed) / 1e9;
}

void bench_run_cancel(struct bench_run *run)
{
    atomic_store(&run->cancel, true);
}

void bench_run_free(struct bench_run *run)
{
    if (!run)
        return;
    g_thread_join(run->thread);
    g_free(run->refused);
    close(run->efd);
    g_async_queue_unref(run->finished);
    g_free(run);
}

/* ---- provenance -------------------------------------------------------------------- */

char *bench_kernel_release(void)
{
    struct utsname u;

    if (uname(&u) < 0)
        return g_strdup("unknown");
    return g_strdup(u.release);
}

char *bench_version_string(unsigned long v)
{
    if (!v)
        return NULL;
    return g_strdup_printf("%lu.%lu.%lu", v / 1000000, v / 1000 % 1000, v % 1000);
}
