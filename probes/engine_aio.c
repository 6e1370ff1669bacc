/* io=native: Linux AIO through libaio, as QEMU's block/linux-aio.c does it: io_submit in
 * batches of up to 32, completions read straight from the AIO ring the kernel maps into
 * the process (no syscall while events are waiting); io_getevents only to sleep. */
#include "probes/engine.h"

#include <errno.h>
#include <glib.h>
#include <libaio.h>
#include <string.h>

#define AIO_BATCH 32
#define AIO_RING_MAGIC 0xa10a10a1u

/* The kernel's struct aio_ring (fs/aio.c), mapped at the io_context_t address. Stable ABI:
 * a kernel that changes it sets incompat_features, and then we only use io_getevents. */
struct aio_user_ring {
    unsigned id;
    unsigned nr;
    unsigned head;
    unsigned tail;
    unsigned magic;
    unsigned compat_features;
    unsigned incompat_features;
    unsigned header_length;
    struct io_event events[];
};

struct aio {
    io_context_t io;
    struct aio_user_ring *ring;     /* NULL: the ring layout is not the one we know */
    struct iocb *iocbs;             /* depth */
    struct iocb **free;             /* stack of unused iocbs */
    unsigned nfree;
    struct iocb **batch;
    struct io_event *events;        /* depth, for io_getevents */
    struct engine_req *refused;     /* io_submit said no: handed back by the next reap */
};

static int aio_open(struct engine_ctx *ctx)
{
    struct aio *a = g_new0(struct aio, 1);
    int ret = io_setup((int)ctx->depth, &a->io);

    if (ret < 0) {
        g_free(a);
        return ret;
    }
    a->ring = (struct aio_user_ring *)a->io;
    if (a->ring->magic != AIO_RING_MAGIC || a->ring->incompat_features != 0)
        a->ring = NULL;
    a->iocbs = g_new0(struct iocb, ctx->depth);
    a->free = g_new(struct iocb *, ctx->depth);
    a->batch = g_new(struct iocb *, ctx->depth);
    a->events = g_new(struct io_event, ctx->depth);
    for (unsigned i = 0; i < ctx->depth; i++)
        a->free[i] = &a->iocbs[i];
    a->nfree = ctx->depth;
    ctx->priv = a;
    return 0;
}

static void aio_prep(int fd, struct iocb *cb, struct engine_req *r)
{
    switch (r->op) {
    case ENGINE_OP_READ:
        io_prep_pread(cb, fd, r->buf, r->len, (long long)r->offset);
        break;
    case ENGINE_OP_WRITE:
        io_prep_pwrite(cb, fd, r->buf, r->len, (long long)r->offset);
        cb->aio_rw_flags = r->rw_flags;
        break;
    case ENGINE_OP_FDATASYNC:
        io_prep_fdsync(cb, fd);
        break;
    }
    cb->data = r;
}

static void aio_refuse(struct aio *a, struct iocb *cb, int err)
{
    struct engine_req *r = cb->data;

    r->res = err;
    r->next = a->refused;
    a->refused = r;
    a->free[a->nfree++] = cb;
}

static int aio_submit(struct engine_ctx *ctx, struct engine_req **reqs, unsigned n)
{
    struct aio *a = ctx->priv;
    unsigned off = 0;

    if (n > a->nfree)
        return -EOVERFLOW;
    for (unsigned i = 0; i < n; i++) {
        a->batch[i] = a->free[--a->nfree];
        aio_prep(ctx->fd, a->batch[i], reqs[i]);
    }
    while (off < n) {
        long want = MIN(n - off, AIO_BATCH);
        int ret = io_submit(a->io, want, &a->batch[off]);

        if (ret == -EINTR)
            continue;
        if (ret <= 0) {
            /* The first of the batch was refused (EINVAL for a misaligned O_DIRECT...);
             * it completes with that error and the rest go on. */
            aio_refuse(a, a->batch[off], ret < 0 ? ret : -EAGAIN);
            off++;
            continue;
        }
        off += (unsigned)ret;
    }
    return 0;
}

/* Consume events from the shared ring as QEMU's io_getevents_peek/commit do. */
static unsigned aio_ring_take(struct aio_user_ring *ring, struct io_event *ev, unsigned max)
{
    unsigned head = ring->head;
    unsigned tail = __atomic_load_n(&ring->tail, __ATOMIC_ACQUIRE);
    unsigned n = 0;

    while (head != tail && n < max) {
        ev[n++] = ring->events[head];
        head = head + 1 == ring->nr ? 0 : head + 1;
    }
    if (n)
        __atomic_store_n(&ring->head, head, __ATOMIC_RELEASE);
    return n;
}

static int aio_reap(struct engine_ctx *ctx, struct engine_req **done, unsigned max,
                    bool wait, unsigned timeout_ms)
{
    struct aio *a = ctx->priv;
    unsigned n = 0, got = 0;

    while (a->refused && n < max) {
        done[n++] = a->refused;
        a->refused = a->refused->next;
    }
    if (n == max)
        return (int)n;
    if (a->ring)
        got = aio_ring_take(a->ring, a->events, max - n);
    if (got == 0 && n == 0 && wait) {
        struct timespec ts = { .tv_sec = timeout_ms / 1000,
                               .tv_nsec = (long)(timeout_ms % 1000) * 1000000 };
        int ret = io_getevents(a->io, 1, (long)(max - n), a->events, &ts);

        if (ret < 0 && ret != -EINTR)
            return ret;
        got = ret > 0 ? (unsigned)ret : 0;
    }
    for (unsigned i = 0; i < got; i++) {
        struct iocb *cb = a->events[i].obj;
        struct engine_req *r = cb->data;

        /* res is the syscall's return: bytes, or -errno, in an unsigned long. */
        r->res = (long)a->events[i].res;
        a->free[a->nfree++] = cb;
        done[n++] = r;
    }
    return (int)n;
}

static void aio_close(struct engine_ctx *ctx)
{
    struct aio *a = ctx->priv;

    if (!a)
        return;
    /* io_destroy waits for the requests still in flight before it returns. */
    io_destroy(a->io);
    g_free(a->iocbs);
    g_free(a->free);
    g_free(a->batch);
    g_free(a->events);
    g_free(a);
    ctx->priv = NULL;
}

const struct engine_ops engine_aio_ops = {
    .name = "libaio",
    .open = aio_open,
    .submit = aio_submit,
    .reap = aio_reap,
    .close = aio_close,
    .usage = NULL,
};
