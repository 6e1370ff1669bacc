/* One bench cell: checks, opening, then one submitting thread per emulated iothread
 * driving its own engine context while this thread keeps time, progress and cancel. */
#include "probes/runner.h"
#include "probes/diskstats.h"
#include "probes/pagecache.h"
#include "probes/units.h"

#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "probes/engine.h"
#include "probes/histogram.h"

/* A cancel is seen within CONTROL_TICK_MS and a blocked reap returns within TICK_MS, so
 * the cell ends well inside the 100 ms runner.h promises. */
#define TICK_MS 50
#define CONTROL_TICK_MS 20
#define IOPS_WINDOW_NS 250000000ull

enum { PHASE_OPENING, PHASE_RAMP, PHASE_MEASURE, PHASE_DONE };

static const char *const status_names[RUN_STATUS_COUNT] = {
    [RUN_OK] = "ok",
    [RUN_INVALID] = "invalid",
    [RUN_UNSUPPORTED] = "unsupported",
    [RUN_REFUSED] = "refused",
    [RUN_ERROR] = "error",
    [RUN_CANCELLED] = "cancelled",
};

const char *run_status_name(enum run_status s)
{
    if ((unsigned)s >= RUN_STATUS_COUNT)
        return "unknown";
    return status_names[s];
}

/* What every submitting thread shares: read-only once the threads start, but for the
 * atomics and the first failure. */
struct cell {
    const struct run_spec *spec;
    const struct engine_ops *ops;
    struct run_progress *progress;
    int fd;
    bool direct;
    uint64_t span;
    uint32_t align;
    struct extent_map map;
    bool use_map;
    bool flush_after_write; /* write-through done as write + fdatasync */
    int write_flags;        /* RWF_DSYNC: write-through carried by the write (QEMU >= 10) */
    bool guest_flush;       /* the workload's own flush after each write is done */
    struct diskstats dev_before, dev_after;  /* around the measured phase */
    _Atomic uint64_t measured_ops;  /* I/Os submitted and completed while measuring */
    bool dev_measured;
    _Atomic int phase;
    _Atomic bool stop;
    pthread_mutex_t gate_lock;  /* start gate: every thread set up before the clock runs */
    pthread_cond_t gate_cond;
    unsigned nready;
    bool go;
    pthread_mutex_t fail_lock;
    bool failed;            /* under fail_lock */
    enum run_status fail_status;
    int fail_err;
    char fail_reason[256];
};

struct usage {
    uint64_t cpu_ns, ctx_switches;
};

/* QEMU's flush rule (block/io.c, bdrv_co_flush): one flush of an image in flight at a
 * time, the others wait their turn in order; a flush whose turn comes when nothing was
 * written since the last one completed (the write generation equals the flushed one) ends
 * at once, without a syscall. Write-through is a write, then such a flush. Kept per
 * submitting thread: each emulated iothread coalesces its own flushes. */
struct flush_state {
    uint64_t write_gen;     /* writes completed that wanted a flush */
    uint64_t flushed_gen;   /* write_gen when the last flush started (and then completed) */
    uint64_t active_gen;
    bool active;            /* a flush is in flight */
    unsigned *waiting;      /* FIFO of slots waiting for their flush */
    unsigned head, count;
};

struct submitter {
    struct cell *cell;
    unsigned index;
    pthread_t thread;
    bool started;
    struct engine_ctx ctx;
    bool ctx_open;
    struct offset_gen gen;
    struct engine_req *reqs;        /* depth slots, one logical I/O each */
    uint64_t *start_ns;
    bool *measured;                 /* submitted during the measured phase */
    struct engine_req **batch, **done;
    unsigned *free;
    unsigned nfree, nbatch, inflight;
    bool any_ok;
    struct histogram *hist;
    uint64_t ops, bytes;
    struct usage begin, end;
    struct flush_state fl;
};

static uint64_t now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void run_result_set(struct run_result *out, enum run_status st, int err, const char *fmt, ...)
{
    va_list ap;

    out->status = st;
    out->err = err;
    va_start(ap, fmt);
    vsnprintf(out->reason, sizeof out->reason, fmt, ap);
    va_end(ap);
}

/* The first failure wins; every thread is told to stop. */
static void cell_fail(struct cell *c, enum run_status st, int err, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static void cell_fail(struct cell *c, enum run_status st, int err, const char *fmt, ...)
{
    va_list ap;

    pthread_mutex_lock(&c->fail_lock);
    if (!c->failed) {
        c->failed = true;
        c->fail_status = st;
        c->fail_err = err;
        va_start(ap, fmt);
        vsnprintf(c->fail_reason, sizeof c->fail_reason, fmt, ap);
        va_end(ap);
    }
    pthread_mutex_unlock(&c->fail_lock);
    atomic_store(&c->stop, true);
}

static const char *op_name(enum engine_op op)
{
    switch (op) {
    case ENGINE_OP_READ: return "read";
    case ENGINE_OP_WRITE: return "write";
    case ENGINE_OP_FDATASYNC: return "fdatasync";
    }
    return "i/o";
}

/* ---- the submitting thread ---- */

static void usage_now(struct submitter *s, struct usage *u)
{
    struct rusage ru;
    struct engine_usage eu = { 0, 0 };

    *u = (struct usage){ 0, 0 };
    if (getrusage(RUSAGE_THREAD, &ru) == 0) {
        u->cpu_ns = ((uint64_t)ru.ru_utime.tv_sec + (uint64_t)ru.ru_stime.tv_sec) * 1000000000u +
                    ((uint64_t)ru.ru_utime.tv_usec + (uint64_t)ru.ru_stime.tv_usec) * 1000u;
        u->ctx_switches = (uint64_t)ru.ru_nvcsw + (uint64_t)ru.ru_nivcsw;
    }
    if (s->cell->ops->usage) {
        s->cell->ops->usage(&s->ctx, &eu);
        u->cpu_ns += eu.cpu_ns;
        u->ctx_switches += eu.ctx_switches;
    }
}

/* Not zeros: nothing on the way may shortcut a zero page. A cheap xorshift stream. */
static void fill_pattern(uint64_t *w, size_t len, uint64_t x)
{
    for (size_t k = 0; k < len / sizeof *w; k++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        w[k] = x;
    }
}

static int alloc_buffers(struct submitter *s)
{
    const struct cell *c = s->cell;
    size_t align = MAX(c->align, 4096u);

    s->ctx.fd = c->fd;
    s->ctx.depth = c->spec->wl.depth;
    s->ctx.buf_len = c->spec->wl.block;
    s->ctx.pool_workers = c->spec->pool_workers;
    s->ctx.bufs = g_new0(void *, s->ctx.depth);
    for (unsigned i = 0; i < s->ctx.depth; i++) {
        int ret = posix_memalign(&s->ctx.bufs[i], align, s->ctx.buf_len);

        if (ret != 0) {
            char total[UNITS_BYTES_LEN], each[UNITS_BYTES_LEN];
            unsigned threads = c->spec->iothreads ? c->spec->iothreads : 1;

            s->ctx.bufs[i] = NULL;
            units_format_bytes((uint64_t)s->ctx.buf_len * s->ctx.depth * threads, total, sizeof total);
            units_format_bytes(s->ctx.buf_len, each, sizeof each);
            cell_fail(s->cell, RUN_ERROR, ret,
                      "cannot allocate %s of I/O buffers (%u of %s per thread, %u %s): %s",
                      total, s->ctx.depth, each, threads, threads == 1 ? "thread" : "threads",
                      g_strerror(ret));
            return -ret;
        }
        fill_pattern(s->ctx.bufs[i], s->ctx.buf_len,
                     c->spec->seed ^ ((uint64_t)s->index << 32) ^ (i * 0x9e3779b97f4a7c15ull) ^ 1);
    }
    return 0;
}

/* One slot per logical I/O in flight; every slot starts free. */
static void init_slots(struct submitter *s)
{
    unsigned depth = s->ctx.depth;

    s->reqs = g_new0(struct engine_req, depth);
    s->start_ns = g_new0(uint64_t, depth);
    s->measured = g_new0(bool, depth);
    s->batch = g_new(struct engine_req *, depth);
    s->done = g_new(struct engine_req *, depth);
    s->free = g_new(unsigned, depth);
    s->fl.waiting = g_new(unsigned, depth);
    for (unsigned i = 0; i < depth; i++) {
        s->reqs[i].buf = s->ctx.bufs[i];
        s->reqs[i].buf_index = i;
        s->reqs[i].len = s->ctx.buf_len;
        s->free[depth - 1 - i] = i;
    }
    s->nfree = depth;
    s->hist = g_new(struct histogram, 1);
    hist_init(s->hist);
}

static void init_offsets(struct submitter *s)
{
    const struct cell *c = s->cell;

    offgen_init(&s->gen, c->span, c->spec->wl.block, c->spec->wl.random,
                c->spec->seed + s->index, c->use_map ? &c->map : NULL);
    /* Sequential streams of several iothreads start spread over the span, not all at 0. */
    if (!c->spec->wl.random && c->spec->iothreads > 1) {
        uint64_t n = c->use_map ? c->map.total_blocks : s->gen.span_blocks;

        s->gen.next_seq = n / c->spec->iothreads * s->index;
    }
}

static int submitter_open(struct submitter *s)
{
    int ret = alloc_buffers(s);

    if (ret < 0)
        return ret;
    init_slots(s);
    init_offsets(s);
    ret = s->cell->ops->open(&s->ctx);
    if (ret < 0)
        return ret;
    s->ctx_open = true;
    return 0;
}

static void submitter_free(struct submitter *s)
{
    if (s->ctx_open)
        s->cell->ops->close(&s->ctx);
    for (unsigned i = 0; s->ctx.bufs && i < s->ctx.depth; i++)
        free(s->ctx.bufs[i]);
    g_free(s->ctx.bufs);
    g_free(s->reqs);
    g_free(s->start_ns);
    g_free(s->measured);
    g_free(s->batch);
    g_free(s->done);
    g_free(s->free);
    g_free(s->fl.waiting);
    g_free(s->hist);
}

/* Queue the first step of a new logical I/O in slot i. */
static void start_io(struct submitter *s, unsigned i, bool measuring)
{
    const struct cell *c = s->cell;
    struct engine_req *r = &s->reqs[i];
    unsigned pct = c->spec->wl.read_pct;
    bool read = pct >= 100 || (pct > 0 && offgen_rand(&s->gen) % 100 < pct);

    r->offset = offgen_next(&s->gen);
    r->op = read ? ENGINE_OP_READ : ENGINE_OP_WRITE;
    r->rw_flags = read ? 0 : c->write_flags;
    s->measured[i] = measuring;
    s->batch[s->nbatch++] = r;
}

/* A write is done once its flush is, when the cache mode or the workload asks for one. */
static bool needs_flush(const struct cell *c, const struct engine_req *r)
{
    return r->op == ENGINE_OP_WRITE && (c->flush_after_write || c->guest_flush);
}

/* false: the run must stop (the failure is recorded). */
static bool check_completion(struct submitter *s, struct engine_req *r)
{
    struct cell *c = s->cell;
    int64_t expect = r->op == ENGINE_OP_FDATASYNC ? 0 : (int64_t)r->len;

    if (r->res == expect) {
        s->any_ok = true;
        return true;
    }
    if (r->res == -EINVAL && c->direct && !s->any_ok) {
        cell_fail(c, RUN_UNSUPPORTED, EINVAL,
                  "the target refuses O_DIRECT I/O (%s at offset %llu: %s)", op_name(r->op),
                  (unsigned long long)r->offset, g_strerror(EINVAL));
    } else if (r->res < 0) {
        cell_fail(c, RUN_ERROR, (int)-r->res, "%s failed at offset %llu (%u bytes): %s",
                  op_name(r->op), (unsigned long long)r->offset, r->len,
                  g_strerror((int)-r->res));
    } else {
        cell_fail(c, RUN_ERROR, EIO, "short %s at offset %llu: %lld of %u bytes",
                  op_name(r->op), (unsigned long long)r->offset, (long long)r->res, r->len);
    }
    return false;
}

/* A logical I/O is done: counted when it was submitted while measuring, its slot free. */
static void finish_io(struct submitter *s, unsigned i, bool measuring, uint64_t t, int *finished)
{
    if (measuring && s->measured[i]) {
        hist_record(s->hist, t - s->start_ns[i]);
        s->ops++;
        s->bytes += s->reqs[i].len;
    }
    s->free[s->nfree++] = i;
    (*finished)++;
}

static void start_flush(struct submitter *s, unsigned i)
{
    s->fl.active = true;
    s->fl.active_gen = s->fl.write_gen;
    s->reqs[i].op = ENGINE_OP_FDATASYNC;
    s->batch[s->nbatch++] = &s->reqs[i];
}

/* Slot i's write completed and wants a flush: it waits for the one in flight, or starts one. */
static void want_flush(struct submitter *s, unsigned i)
{
    s->fl.write_gen++;
    if (s->fl.active)
        s->fl.waiting[(s->fl.head + s->fl.count++) % s->ctx.depth] = i;
    else
        start_flush(s, i);
}

/* The flush in flight completed: the waiters' turns, in order, until one needs a flush. */
static void flush_done(struct submitter *s, bool measuring, uint64_t t, int *finished)
{
    s->fl.flushed_gen = s->fl.active_gen;
    s->fl.active = false;
    while (s->fl.count && !s->fl.active) {
        unsigned i = s->fl.waiting[s->fl.head];

        s->fl.head = (s->fl.head + 1) % s->ctx.depth;
        s->fl.count--;
        if (s->fl.flushed_gen == s->fl.write_gen)
            finish_io(s, i, measuring, t, finished);   /* covered: no syscall */
        else
            start_flush(s, i);
    }
}

/* Logical I/Os finished by this batch, or -1 when the run must stop. */
static int complete_batch(struct submitter *s, unsigned n, bool measuring, uint64_t t)
{
    const struct cell *c = s->cell;
    int finished = 0;

    s->inflight -= n;
    for (unsigned k = 0; k < n; k++) {
        struct engine_req *r = s->done[k];
        unsigned i = (unsigned)(r - s->reqs);

        if (!check_completion(s, r))
            return -1;
        if (r->op == ENGINE_OP_FDATASYNC) {
            finish_io(s, i, measuring, t, &finished);
            flush_done(s, measuring, t, &finished);
        } else if (needs_flush(c, r)) {
            want_flush(s, i);
        } else {
            finish_io(s, i, measuring, t, &finished);
        }
    }
    return finished;
}

/* Submit the batch: new I/Os (stamped now) plus follow-up flushes already stamped. */
static bool submit_batch(struct submitter *s, unsigned nnew)
{
    struct cell *c = s->cell;
    int ret;

    if (nnew) {
        uint64_t t = now_ns();

        for (unsigned k = s->nbatch - nnew; k < s->nbatch; k++)
            s->start_ns[s->batch[k] - s->reqs] = t;
    }
    ret = c->ops->submit(&s->ctx, s->batch, s->nbatch);
    if (ret < 0) {
        cell_fail(c, RUN_ERROR, -ret, "%s: submitting I/O failed: %s", c->ops->name,
                  g_strerror(-ret));
        return false;
    }
    s->inflight += s->nbatch;
    s->nbatch = 0;
    return true;
}

static void submitter_loop(struct submitter *s)
{
    struct cell *c = s->cell;
    bool measuring = false;

    while (!atomic_load_explicit(&c->stop, memory_order_relaxed)) {
        unsigned nnew;
        int n;

        if (!measuring && atomic_load_explicit(&c->phase, memory_order_relaxed) == PHASE_MEASURE) {
            measuring = true;
            usage_now(s, &s->begin);
        }
        nnew = s->nfree;
        while (s->nfree)
            start_io(s, s->free[--s->nfree], measuring);
        if (s->nbatch && !submit_batch(s, nnew))
            return;
        n = c->ops->reap(&s->ctx, s->done, c->spec->wl.depth, true, TICK_MS);
        if (n < 0) {
            cell_fail(c, RUN_ERROR, -n, "%s: reaping completions failed: %s", c->ops->name,
                      g_strerror(-n));
            return;
        }
        if (n == 0)
            continue;
        uint64_t counted = s->ops;

        n = complete_batch(s, (unsigned)n, measuring, now_ns());
        if (n < 0)
            break;
        atomic_fetch_add_explicit(&c->progress->ops, (uint64_t)n, memory_order_relaxed);
        if (s->ops != counted)
            atomic_fetch_add_explicit(&c->measured_ops, s->ops - counted, memory_order_relaxed);
    }
    if (measuring)
        usage_now(s, &s->end);
}

/* Nothing may be freed while the kernel may still write into a buffer. */
static void submitter_drain(struct submitter *s)
{
    while (s->inflight) {
        int n = s->cell->ops->reap(&s->ctx, s->done, s->cell->spec->wl.depth, true, TICK_MS);

        if (n < 0)
            return;     /* close() still waits for whatever is in the kernel */
        s->inflight -= (unsigned)n;
    }
}

static void *submitter_main(void *arg)
{
    struct submitter *s = arg;
    struct cell *c = s->cell;
    int ret = submitter_open(s);

    if (ret < 0)
        cell_fail(c, RUN_ERROR, -ret, "%s: setting up the engine failed: %s", c->ops->name,
                  g_strerror(-ret));
    pthread_mutex_lock(&c->gate_lock);
    c->nready++;
    pthread_cond_broadcast(&c->gate_cond);
    while (!c->go)
        pthread_cond_wait(&c->gate_cond, &c->gate_lock);
    pthread_mutex_unlock(&c->gate_lock);
    if (ret == 0 && !atomic_load(&c->stop)) {
        submitter_loop(s);
        submitter_drain(s);
    }
    return NULL;
}

/* ---- the calling thread: checks, open, time keeping ---- */

/* A writing cell opens with O_EXCL: on a block device that is the kernel's exclusive
 * claim, so no mount, holder or other O_EXCL user can appear while the cell writes (on a
 * regular file, without O_CREAT, Linux ignores it). */
static int open_target(const struct run_spec *spec, bool direct, struct run_result *out)
{
    bool writes = workload_writes(&spec->wl);
    int flags = (writes ? O_RDWR | O_EXCL : O_RDONLY) | O_CLOEXEC;
    int fd;

    if (direct)
        flags |= O_DIRECT;
    fd = open(spec->path, flags);
    if (fd >= 0)
        return fd;
    if (errno == EBUSY && writes) {
        run_result_set(out, RUN_REFUSED, EBUSY, "%s: in use (exclusive open: EBUSY)", spec->path);
        return -EBUSY;
    }
    if (errno == EINVAL && direct) {
        run_result_set(out, RUN_UNSUPPORTED, EINVAL, "%s refuses O_DIRECT (open: %s)", spec->path,
                   g_strerror(EINVAL));
        return -EINVAL;
    }
    int err = errno;
    run_result_set(out, RUN_ERROR, err, "cannot open %s: %s", spec->path, g_strerror(err));
    return -err;
}

/* A writing cell's O_EXCL claim on a block device outlives its close() while an io_uring
 * ring still holds the file: the kernel tears a ring down asynchronously (io_ring_exit_work)
 * once its last requests end, and only then drops the reference. The next cell's safety
 * check would see our own claim as someone else's ("claimed exclusively"), as it did after
 * a buffered io_uring randwrite cell on a loop device. Wait (10 ms steps, at most 5 s) until
 * an O_EXCL open succeeds; past that the next check reports whoever holds it. */
static void release_claim(const struct run_spec *spec)
{
    struct stat st;

    if (!workload_writes(&spec->wl) || stat(spec->path, &st) < 0 || !S_ISBLK(st.st_mode))
        return;
    for (int i = 0; i < 500; i++) {
        int fd = open(spec->path, O_RDONLY | O_EXCL | O_CLOEXEC | O_NONBLOCK);

        if (fd >= 0) {
            close(fd);
            return;
        }
        if (errno != EBUSY)
            return;
        g_usleep(10000);
    }
}

bool runner_same_object(const struct run_spec *spec, const struct stat *st)
{
    if (S_ISBLK(st->st_mode))
        return spec->expect_rdev != 0 && st->st_rdev == spec->expect_rdev;
    return spec->expect_rdev == 0 && st->st_dev == spec->expect_dev &&
           st->st_ino == spec->expect_ino;
}

int runner_check_identity(const struct run_spec *spec, int fd, struct run_result *out)
{
    struct stat st;

    if (!spec->check_identity)
        return 0;
    if ((fd >= 0 ? fstat(fd, &st) : stat(spec->path, &st)) < 0) {
        int err = errno;

        run_result_set(out, RUN_ERROR, err, "cannot stat %s: %s", spec->path, g_strerror(err));
        return -err;
    }
    if (runner_same_object(spec, &st))
        return 0;
    run_result_set(out, RUN_REFUSED, ESTALE, "%s: target changed since the safety check",
                   spec->path);
    return -ESTALE;
}

/* Size and alignment of the target; fills c->span. */
static int size_target(struct cell *c, struct run_result *out)
{
    const struct run_spec *spec = c->spec;
    uint32_t block = spec->wl.block;
    uint64_t size;
    struct stat st;
    char a[UNITS_BYTES_LEN], b[UNITS_BYTES_LEN];

    if (fstat(c->fd, &st) < 0) {
        int err = errno;
        run_result_set(out, RUN_ERROR, err, "cannot stat %s: %s", spec->path, g_strerror(err));
        return -err;
    }
    if (S_ISBLK(st.st_mode)) {
        int lbs = 0;

        if (ioctl(c->fd, BLKGETSIZE64, &size) < 0 || ioctl(c->fd, BLKSSZGET, &lbs) < 0) {
            int err = errno;
            run_result_set(out, RUN_ERROR, err, "cannot size %s: %s", spec->path, g_strerror(err));
            return -err;
        }
        c->align = lbs > 0 ? (uint32_t)lbs : 4096;
    } else if (S_ISREG(st.st_mode)) {
        size = (uint64_t)st.st_size;
        c->align = 4096;
    } else {
        run_result_set(out, RUN_ERROR, ENODEV, "%s is neither a block device nor a regular file",
                   spec->path);
        return -ENODEV;
    }
    if ((S_ISBLK(st.st_mode) || c->direct) && block % c->align != 0) {
        run_result_set(out, RUN_ERROR, EINVAL, "block %u is not a multiple of %s's block size %u",
                   block, spec->path, c->align);
        return -EINVAL;
    }
    c->span = spec->span ? spec->span : size;
    if (c->span > size) {
        units_format_bytes(c->span, a, sizeof a);
        units_format_bytes(size, b, sizeof b);
        run_result_set(out, RUN_ERROR, EINVAL, "span %s exceeds target size %s", a, b);
        return -EINVAL;
    }
    c->span -= c->span % block;
    if (c->span == 0) {
        units_format_bytes(size, b, sizeof b);
        run_result_set(out, RUN_ERROR, EINVAL, "target size %s holds no whole block of %u bytes",
                   b, block);
        return -EINVAL;
    }
    if (S_ISREG(st.st_mode) && spec->wl.read_pct > 0)
        c->use_map = true;
    return 0;
}

/* Reads draw only from allocated data: a hole reads without device I/O. */
static int map_data(struct cell *c, struct run_result *out, char *warning, size_t len)
{
    int ret;

    out->data_fraction = 1.0;
    if (!c->use_map)
        return 0;
    ret = extent_map_build(c->fd, c->span, c->spec->wl.block, &c->map);
    if (ret < 0) {
        c->use_map = false;
        run_result_set(out, RUN_ERROR, -ret, "cannot map the data of %s: %s", c->spec->path,
                   g_strerror(-ret));
        return ret;
    }
    out->data_fraction = (double)c->map.total_blocks / (double)(c->span / c->spec->wl.block);
    if (c->map.total_blocks == 0) {
        run_result_set(out, RUN_ERROR, ENODATA,
                   "the span of %s holds no data (all holes): reads would measure nothing",
                   c->spec->path);
        return -ENODATA;
    }
    if (c->map.total_blocks * c->spec->wl.block < c->span)
        snprintf(warning, len, "only %d %% of the span holds data; reads are drawn from it alone",
                 (int)(out->data_fraction * 100.0));
    return 0;
}

static void flush_policy(struct cell *c)
{
    const struct run_spec *spec = c->spec;
    const struct cache_mode_info *cm = cache_mode_info(spec->cache);
    bool dsync = cache_io_uses_dsync(spec->cache, spec->io, spec->qemu_major);

    c->direct = cm->direct;
    c->write_flags = dsync ? RWF_DSYNC : 0;
    c->flush_after_write = cm->flush_each_write && !dsync;
    /* A write-through disk shows the guest no volatile cache, so the guest sends no
     * flushes of its own (virtio-blk without VIRTIO_BLK_F_FLUSH/WCE); unsafe drops them. */
    c->guest_flush = spec->wl.flush_each && !cm->drop_flush && !cm->flush_each_write;
}

/* A measured phase that ends before its first I/O completed would report 0 IOPS, which
 * says nothing about the storage (a write + fdatasync under a host's load took longer than
 * a 0.2 s runtime here): it goes on until one completes, for at most this long. */
#define FIRST_IO_GRACE_NS (60ull * 1000000000ull)

static bool sleep_until(struct cell *c, uint64_t deadline, const atomic_bool *cancel,
                        uint64_t phase_start, bool need_one_io)
{
    uint64_t win_start = phase_start, win_ops = 0;
    uint64_t last_chance = deadline + FIRST_IO_GRACE_NS;

    for (;;) {
        uint64_t t = now_ns();

        atomic_store_explicit(&c->progress->elapsed_ns, t - phase_start, memory_order_relaxed);
        if (t - win_start >= IOPS_WINDOW_NS) {
            uint64_t ops = atomic_load_explicit(&c->progress->ops, memory_order_relaxed);

            atomic_store_explicit(&c->progress->current_iops,
                                  (ops - win_ops) * 1000000000ull / (t - win_start),
                                  memory_order_relaxed);
            win_start = t;
            win_ops = ops;
        }
        if (atomic_load(&c->stop) || (cancel && atomic_load(cancel)))
            return false;
        /* A ramp I/O completing now does not count: only one the measure submitted. */
        if (t >= deadline && (!need_one_io || t >= last_chance ||
                              atomic_load_explicit(&c->measured_ops, memory_order_relaxed) > 0))
            return true;
        uint64_t left = t < deadline ? MIN(deadline - t, (uint64_t)CONTROL_TICK_MS * 1000000u)
                                     : (uint64_t)CONTROL_TICK_MS * 1000000u;
        struct timespec ts = { (time_t)(left / 1000000000u), (long)(left % 1000000000u) };
        nanosleep(&ts, NULL);
    }
}

static uint64_t seconds_ns(double s)
{
    return s > 0 ? (uint64_t)(s * 1e9) : 0;
}

/* A helper thread that exits mid-run takes its count with it: never below zero. */
static uint64_t delta(uint64_t begin, uint64_t end)
{
    return end > begin ? end - begin : 0;
}

static void collect(struct submitter *subs, unsigned n, double seconds, struct run_result *out)
{
    g_autofree struct histogram *h = g_new(struct histogram, 1);
    uint64_t cpu_ns = 0;

    hist_init(h);
    for (unsigned i = 0; i < n; i++) {
        /* A submitter whose set-up failed (or never started) has no histogram. */
        if (!subs[i].hist)
            continue;
        hist_merge(h, subs[i].hist);
        out->ops += subs[i].ops;
        out->bytes += subs[i].bytes;
        cpu_ns += delta(subs[i].begin.cpu_ns, subs[i].end.cpu_ns);
        out->ctx_switches += delta(subs[i].begin.ctx_switches, subs[i].end.ctx_switches);
    }
    out->seconds = seconds;
    if (seconds > 0) {
        out->iops = (double)out->ops / seconds;
        out->bytes_per_s = (double)out->bytes / seconds;
    }
    out->lat_ns = (struct run_latency){
        .mean = hist_mean(h),
        .p50 = hist_percentile(h, 0.50),
        .p99 = hist_percentile(h, 0.99),
        .p999 = hist_percentile(h, 0.999),
        .max = h->count ? h->max : 0,
    };
    out->cpu_us_per_io = out->ops ? (double)cpu_ns / 1000.0 / (double)out->ops : 0.0;
}

static unsigned start_threads(struct cell *c, struct submitter *subs, unsigned n)
{
    unsigned started = 0;

    for (unsigned i = 0; i < n; i++) {
        int ret;

        subs[i].cell = c;
        subs[i].index = i;
        ret = pthread_create(&subs[i].thread, NULL, submitter_main, &subs[i]);
        if (ret != 0) {
            cell_fail(c, RUN_ERROR, ret, "cannot start a submitting thread: %s", g_strerror(ret));
            break;
        }
        subs[i].started = true;
        started++;
    }
    return started;
}

/* Wait until every thread is set up, then let them all go at once; returns the time. With
 * no ramp the very first I/O is measured. */
static uint64_t open_gate(struct cell *c, unsigned started)
{
    uint64_t t;

    if (!(c->spec->ramp_s > 0))
        atomic_store(&c->phase, PHASE_MEASURE);
    pthread_mutex_lock(&c->gate_lock);
    while (c->nready < started)
        pthread_cond_wait(&c->gate_cond, &c->gate_lock);
    t = now_ns();
    c->go = true;
    pthread_cond_broadcast(&c->gate_cond);
    pthread_mutex_unlock(&c->gate_lock);
    return t;
}

/* Ramp, then measure, unless cancelled or failed. *t0..*t1 is the measured time; false
 * when the measured phase never began. */
static bool keep_time(struct cell *c, const atomic_bool *cancel, uint64_t t, uint64_t *t0,
                      uint64_t *t1)
{
    const struct run_spec *spec = c->spec;
    struct run_progress *p = c->progress;
    bool measured = false;

    if (atomic_load(&c->phase) != PHASE_MEASURE) {
        atomic_store(&p->phase, PHASE_RAMP);
        if (sleep_until(c, t + seconds_ns(spec->ramp_s), cancel, t, false)) {
            atomic_store(&p->ops, 0);
            atomic_store(&p->current_iops, 0);
            t = now_ns();
            atomic_store(&c->phase, PHASE_MEASURE);
            measured = true;
        }
    } else {
        measured = true;
    }
    if (measured) {
        atomic_store(&p->phase, PHASE_MEASURE);
        *t0 = t;
        c->dev_measured = diskstats_read(spec->stat_path, &c->dev_before);
        sleep_until(c, t + seconds_ns(spec->runtime_s), cancel, t, true);
        c->dev_measured = c->dev_measured && diskstats_read(spec->stat_path, &c->dev_after);
    }
    *t1 = now_ns();
    return measured;
}

/* The share of the measured reads the device served: its sectors read against the cell's
 * read bytes (a mixed workload's expected read share of them). */
static double device_read_share(const struct cell *c, const struct run_result *out)
{
    double read_bytes = (double)out->bytes * c->spec->wl.read_pct / 100.0;
    uint64_t sectors;

    if (!c->dev_measured || read_bytes <= 0 ||
        c->dev_after.read_sectors < c->dev_before.read_sectors)
        return -1;
    sectors = c->dev_after.read_sectors - c->dev_before.read_sectors;
    return MIN(1.0, (double)sectors * 512.0 / read_bytes);
}

/* Start the threads, keep the phases, stop them; fills out's figures and status. */
static int drive(struct cell *c, const atomic_bool *cancel, struct run_result *out)
{
    const struct run_spec *spec = c->spec;
    unsigned n = spec->iothreads ? spec->iothreads : 1;
    g_autofree struct submitter *subs = g_new0(struct submitter, n);
    uint64_t t0 = 0, t1 = 0;
    bool measured = false, cancelled = false;
    uint64_t t = open_gate(c, start_threads(c, subs, n));

    if (!atomic_load(&c->stop)) {
        measured = keep_time(c, cancel, t, &t0, &t1);
        cancelled = cancel && atomic_load(cancel);
    }
    atomic_store(&c->stop, true);
    for (unsigned i = 0; i < n; i++)
        if (subs[i].started)
            pthread_join(subs[i].thread, NULL);

    collect(subs, n, measured ? (double)(t1 - t0) / 1e9 : 0.0, out);
    for (unsigned i = 0; i < n; i++)
        submitter_free(&subs[i]);
    out->device_read_share = device_read_share(c, out);

    if (c->failed) {
        out->status = c->fail_status;
        out->err = c->fail_err;
        g_strlcpy(out->reason, c->fail_reason, sizeof out->reason);
        return -c->fail_err;
    }
    if (cancelled) {
        out->status = RUN_CANCELLED;
        g_strlcpy(out->reason, measured ? "cancelled while measuring: partial figures"
                                        : "cancelled during the ramp: nothing measured",
                  sizeof out->reason);
        return 0;
    }
    out->status = RUN_OK;
    return 0;
}

/* Before the cell: the target's cached pages go, so a buffered cell starts from storage.
 * A failure does not stop the cell; it is said with its figures. */
static void drop_cache(const struct run_spec *spec, char *warning, size_t len)
{
    int rc = pagecache_drop(spec->path);

    if (rc < 0)
        snprintf(warning, len, "the page cache was not dropped before the cell: %s",
                 g_strerror(-rc));
}

static bool spec_sane(const struct run_spec *spec, struct run_result *out)
{
    const struct workload *wl = &spec->wl;

    if (!spec->path || wl->block == 0 || wl->depth == 0 || wl->read_pct > 100 ||
        wl->block > (1u << 30) || wl->depth > 65536) {
        run_result_set(out, RUN_ERROR, EINVAL,
                   "bad cell: path %s, block %u, depth %u, read share %u %%",
                   spec->path ? spec->path : "(none)", wl->block, wl->depth, wl->read_pct);
        return false;
    }
    return true;
}

int runner_run(const struct run_spec *spec, struct run_progress *progress,
               const atomic_bool *cancel, struct run_result *out)
{
    struct run_progress own;
    struct cell c;
    const char *why = NULL;
    int ret;

    memset(out, 0, sizeof *out);
    out->data_fraction = 1.0;
    out->device_read_share = -1;
    if (!progress)
        progress = &own;
    atomic_store(&progress->ops, 0);
    atomic_store(&progress->elapsed_ns, 0);
    atomic_store(&progress->current_iops, 0);
    atomic_store(&progress->phase, PHASE_OPENING);

    if (!cache_io_valid(spec->cache, spec->io, &why)) {
        run_result_set(out, RUN_INVALID, EINVAL, "%s", why);
        atomic_store(&progress->phase, PHASE_DONE);
        return -EINVAL;
    }
    if (!spec_sane(spec, out)) {
        atomic_store(&progress->phase, PHASE_DONE);
        return -EINVAL;
    }
    if (workload_writes(&spec->wl) && !spec->allow_write) {
        run_result_set(out, RUN_REFUSED, EPERM,
                   "%s: writing is not allowed on this target (read-only run)", spec->path);
        atomic_store(&progress->phase, PHASE_DONE);
        return -EPERM;
    }

    memset(&c, 0, sizeof c);
    c.spec = spec;
    c.ops = engine_for(spec->io);
    c.progress = progress;
    pthread_mutex_init(&c.fail_lock, NULL);
    pthread_mutex_init(&c.gate_lock, NULL);
    pthread_cond_init(&c.gate_cond, NULL);
    flush_policy(&c);
    c.fd = open_target(spec, c.direct, out);
    if (c.fd < 0) {
        ret = c.fd;
    } else {
        char warning[sizeof out->reason] = "";

        ret = runner_check_identity(spec, c.fd, out);
        if (ret == 0 && spec->drop_cache)
            drop_cache(spec, warning, sizeof warning);
        if (ret == 0)
            ret = size_target(&c, out);
        if (ret == 0)
            ret = map_data(&c, out, warning, sizeof warning);
        if (ret == 0)
            ret = drive(&c, cancel, out);
        if (warning[0] && out->status == RUN_OK)
            g_strlcpy(out->reason, warning, sizeof out->reason);
        else if (warning[0] && out->status == RUN_CANCELLED) {
            size_t l = strlen(out->reason);

            snprintf(out->reason + l, sizeof out->reason - l, "; %s", warning);
        }
        close(c.fd);
        release_claim(spec);
    }
    if (c.use_map)
        extent_map_free(&c.map);
    pthread_mutex_destroy(&c.fail_lock);
    pthread_mutex_destroy(&c.gate_lock);
    pthread_cond_destroy(&c.gate_cond);
    atomic_store(&progress->phase, PHASE_DONE);
    return ret;
}
