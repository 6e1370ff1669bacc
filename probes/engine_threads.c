/* io=threads: a pool of worker threads doing pread/pwrite/fdatasync, as QEMU's
 * util/thread-pool.c (up to 64 workers, a semaphore post per request). The queue is a
 * ring the submitting thread fills and workers claim by compare-and-swap; finished
 * requests go on a lock-free stack, and the submitter sleeps on a futex only when it
 * said it would, so a completion costs a wake-up syscall only when someone waits. */
#include "probes/engine.h"

#include <errno.h>
#include <glib.h>
#include <linux/futex.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define POOL_DEFAULT_WORKERS 64   /* QEMU's thread pool max_threads default */

struct pool;

struct pool_worker {
    struct pool *pool;
    pthread_t thread;
    pid_t tid;
};

struct pool {
    int fd;
    unsigned mask;
    struct engine_req **slots;          /* submission ring, mask + 1 entries */
    _Atomic uint64_t head;              /* next slot to claim (workers) */
    _Atomic uint64_t tail;              /* next slot to fill (submitter only) */
    sem_t work;                         /* one post per queued request */
    sem_t started;
    _Atomic(struct engine_req *) done;  /* finished, newest first */
    _Atomic uint32_t done_seq;          /* futex word the submitter sleeps on */
    _Atomic int waiting;
    _Atomic bool stop;
    struct engine_req *backlog;         /* reaped from done but over max (submitter only) */
    unsigned nworkers;
    struct pool_worker *workers;
};

static void pool_do(int fd, struct engine_req *r)
{
    ssize_t ret;

    do {
        switch (r->op) {
        case ENGINE_OP_READ:
            ret = pread(fd, r->buf, r->len, (off_t)r->offset);
            break;
        case ENGINE_OP_WRITE:
            if (r->rw_flags) {
                struct iovec iov = { r->buf, r->len };

                ret = pwritev2(fd, &iov, 1, (off_t)r->offset, r->rw_flags);
            } else {
                ret = pwrite(fd, r->buf, r->len, (off_t)r->offset);
            }
            break;
        case ENGINE_OP_FDATASYNC:
        default:
            ret = fdatasync(fd);
            break;
        }
    } while (ret < 0 && errno == EINTR);
    r->res = ret < 0 ? -errno : ret;
}

static struct engine_req *pool_claim(struct pool *p)
{
    uint64_t h = atomic_load_explicit(&p->head, memory_order_relaxed);

    for (;;) {
        struct engine_req *r;

        /* The semaphore promised an item; it may not be visible through tail yet. */
        if (h == atomic_load_explicit(&p->tail, memory_order_acquire)) {
            h = atomic_load_explicit(&p->head, memory_order_relaxed);
            continue;
        }
        r = p->slots[h & p->mask];
        if (atomic_compare_exchange_weak_explicit(&p->head, &h, h + 1,
                                                  memory_order_acq_rel, memory_order_relaxed))
            return r;
    }
}

static void pool_complete(struct pool *p, struct engine_req *r)
{
    struct engine_req *old = atomic_load_explicit(&p->done, memory_order_relaxed);

    do {
        r->next = old;
    } while (!atomic_compare_exchange_weak(&p->done, &old, r));
    if (atomic_load(&p->waiting)) {
        atomic_fetch_add(&p->done_seq, 1);
        syscall(SYS_futex, &p->done_seq, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
    }
}

static void *pool_worker_main(void *arg)
{
    struct pool_worker *w = arg;
    struct pool *p = w->pool;

    w->tid = gettid();
    sem_post(&p->started);
    for (;;) {
        while (sem_wait(&p->work) < 0)
            ;   /* EINTR only */
        if (atomic_load_explicit(&p->stop, memory_order_acquire))
            break;
        struct engine_req *r = pool_claim(p);

        pool_do(p->fd, r);
        pool_complete(p, r);
    }
    return NULL;
}

static void pool_free(struct pool *p)
{
    sem_destroy(&p->work);
    sem_destroy(&p->started);
    g_free(p->slots);
    g_free(p->workers);
    g_free(p);
}

static void pool_stop(struct pool *p, unsigned running)
{
    atomic_store_explicit(&p->stop, true, memory_order_release);
    for (unsigned i = 0; i < running; i++)
        sem_post(&p->work);
    for (unsigned i = 0; i < running; i++)
        pthread_join(p->workers[i].thread, NULL);
}

static int threads_open(struct engine_ctx *ctx)
{
    struct pool *p = g_new0(struct pool, 1);
    unsigned max = ctx->pool_workers ? ctx->pool_workers : POOL_DEFAULT_WORKERS;
    unsigned cap = 2;

    /* QEMU starts a worker whenever a request finds none idle, up to the max: with at
     * most depth requests queued, it never runs more than depth of them. */
    p->nworkers = MIN(max, ctx->depth);
    while (cap < 2 * ctx->depth)
        cap *= 2;
    p->mask = cap - 1;
    p->slots = g_new0(struct engine_req *, cap);
    p->fd = ctx->fd;
    p->workers = g_new0(struct pool_worker, p->nworkers);
    if (sem_init(&p->work, 0, 0) < 0 || sem_init(&p->started, 0, 0) < 0) {
        int err = errno;

        pool_free(p);
        return -err;
    }
    for (unsigned i = 0; i < p->nworkers; i++) {
        int ret;

        p->workers[i].pool = p;
        ret = pthread_create(&p->workers[i].thread, NULL, pool_worker_main, &p->workers[i]);
        if (ret != 0) {
            pool_stop(p, i);
            pool_free(p);
            return -ret;
        }
    }
    for (unsigned i = 0; i < p->nworkers; i++)
        while (sem_wait(&p->started) < 0)
            ;
    ctx->priv = p;
    return 0;
}

static int threads_submit(struct engine_ctx *ctx, struct engine_req **reqs, unsigned n)
{
    struct pool *p = ctx->priv;
    uint64_t t = atomic_load_explicit(&p->tail, memory_order_relaxed);

    for (unsigned i = 0; i < n; i++)
        p->slots[(t + i) & p->mask] = reqs[i];
    atomic_store_explicit(&p->tail, t + n, memory_order_release);
    for (unsigned i = 0; i < n; i++)
        sem_post(&p->work);
    return 0;
}

static void threads_wait(struct pool *p, unsigned timeout_ms)
{
    struct timespec ts = { .tv_sec = timeout_ms / 1000,
                           .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };
    uint32_t seq;

    atomic_store(&p->waiting, 1);
    seq = atomic_load(&p->done_seq);
    /* A worker finishing from here on sees waiting and bumps done_seq, so the futex
     * either sleeps until woken or returns at once: no lost wake-up. */
    if (!atomic_load(&p->done))
        syscall(SYS_futex, &p->done_seq, FUTEX_WAIT_PRIVATE, seq, &ts, NULL, 0);
    atomic_store(&p->waiting, 0);
}

static int threads_reap(struct engine_ctx *ctx, struct engine_req **done, unsigned max,
                        bool wait, unsigned timeout_ms)
{
    struct pool *p = ctx->priv;
    unsigned n = 0;

    if (!p->backlog) {
        p->backlog = atomic_exchange(&p->done, NULL);
        if (!p->backlog && wait) {
            threads_wait(p, timeout_ms);
            p->backlog = atomic_exchange(&p->done, NULL);
        }
    }
    while (p->backlog && n < max) {
        done[n++] = p->backlog;
        p->backlog = p->backlog->next;
    }
    return (int)n;
}

static void threads_close(struct engine_ctx *ctx)
{
    struct pool *p = ctx->priv;

    if (!p)
        return;
    pool_stop(p, p->nworkers);
    pool_free(p);
    ctx->priv = NULL;
}

/* getrusage(RUSAGE_THREAD) only reports the caller, so the workers are read from outside. */
static void threads_usage(struct engine_ctx *ctx, struct engine_usage *u)
{
    struct pool *p = ctx->priv;

    for (unsigned i = 0; p && i < p->nworkers; i++)
        engine_task_usage(p->workers[i].tid, u);
}

const struct engine_ops engine_threads_ops = {
    .name = "threads",
    .open = threads_open,
    .submit = threads_submit,
    .reap = threads_reap,
    .close = threads_close,
    .usage = threads_usage,
};
