/* io=io_uring: liburing with the target as a registered file and the buffers registered
 * (fixed), so the kernel neither looks up the fd nor pins pages per I/O. QEMU 7.2 itself
 * registers neither; doing so here measures the path's floor, as fio --fixedbufs does.
 * Submission is deferred to reap, so one io_uring_enter both submits a batch and waits. */
#include "probes/engine.h"

#include <errno.h>
#include <glib.h>
#include <liburing.h>
#include <string.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

struct uring {
    struct io_uring ring;
    pid_t tid;                      /* the submitting thread, whose io-wq workers we count */
    bool fixed_file;
    bool fixed_bufs;
    unsigned pending;               /* SQEs prepared, not yet entered */
    struct io_uring_cqe **cqes;     /* depth, for io_uring_peek_batch_cqe */
};

static int uring_init(struct io_uring *ring, unsigned entries)
{
    struct io_uring_params p;
    int ret;

    /* SINGLE_ISSUER (6.0) spares the kernel its submission lock; COOP_TASKRUN (5.19)
     * spares an IPI per completion, and TASKRUN_FLAG tells liburing's peek when it must
     * enter to run deferred completions. Older kernels refuse them: retry plain. */
    memset(&p, 0, sizeof p);
    p.flags = IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN |
              IORING_SETUP_TASKRUN_FLAG;
    ret = io_uring_queue_init_params(entries, ring, &p);
    if (ret == -EINVAL) {
        memset(&p, 0, sizeof p);
        ret = io_uring_queue_init_params(entries, ring, &p);
    }
    return ret;
}

static int uring_open(struct engine_ctx *ctx)
{
    g_autofree struct iovec *iov = g_new(struct iovec, ctx->depth);
    struct uring *u = g_new0(struct uring, 1);
    int ret = uring_init(&u->ring, ctx->depth);

    if (ret < 0) {
        g_free(u);
        return ret;
    }
    u->tid = gettid();
    u->cqes = g_new(struct io_uring_cqe *, ctx->depth);
    u->fixed_file = io_uring_register_files(&u->ring, &ctx->fd, 1) == 0;
    for (unsigned i = 0; i < ctx->depth; i++) {
        iov[i].iov_base = ctx->bufs[i];
        iov[i].iov_len = ctx->buf_len;
    }
    /* Fails with ENOMEM past RLIMIT_MEMLOCK for an unprivileged user: plain buffers then. */
    u->fixed_bufs = io_uring_register_buffers(&u->ring, iov, ctx->depth) == 0;
    ctx->priv = u;
    return 0;
}

static void uring_prep(struct uring *u, int fd, struct io_uring_sqe *sqe, struct engine_req *r)
{
    int file = u->fixed_file ? 0 : fd;

    switch (r->op) {
    case ENGINE_OP_READ:
        if (u->fixed_bufs)
            io_uring_prep_read_fixed(sqe, file, r->buf, r->len, r->offset, (int)r->buf_index);
        else
            io_uring_prep_read(sqe, file, r->buf, r->len, r->offset);
        break;
    case ENGINE_OP_WRITE:
        if (u->fixed_bufs)
            io_uring_prep_write_fixed(sqe, file, r->buf, r->len, r->offset, (int)r->buf_index);
        else
            io_uring_prep_write(sqe, file, r->buf, r->len, r->offset);
        sqe->rw_flags = r->rw_flags;
        break;
    case ENGINE_OP_FDATASYNC:
        io_uring_prep_fsync(sqe, file, IORING_FSYNC_DATASYNC);
        break;
    }
    if (u->fixed_file)
        sqe->flags |= IOSQE_FIXED_FILE;
    io_uring_sqe_set_data(sqe, r);
}

static int uring_submit(struct engine_ctx *ctx, struct engine_req **reqs, unsigned n)
{
    struct uring *u = ctx->priv;

    for (unsigned i = 0; i < n; i++) {
        struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);

        if (!sqe) {
            /* The ring holds depth entries, so only unsubmitted leftovers can fill it. */
            int ret = io_uring_submit(&u->ring);

            if (ret < 0)
                return ret;
            u->pending = 0;
            sqe = io_uring_get_sqe(&u->ring);
            if (!sqe)
                return -EBUSY;
        }
        uring_prep(u, ctx->fd, sqe, reqs[i]);
    }
    u->pending += n;
    return 0;
}

/* Transient refusals leave the SQEs in the ring for the next enter. */
static bool uring_transient(int ret)
{
    return ret == -EINTR || ret == -EAGAIN || ret == -EBUSY || ret == -ETIME;
}

static int uring_enter(struct uring *u, bool wait, unsigned timeout_ms)
{
    struct __kernel_timespec ts = {
        .tv_sec = timeout_ms / 1000,
        .tv_nsec = (long long)(timeout_ms % 1000) * 1000000,
    };
    struct io_uring_cqe *cqe;
    int ret;

    if (u->pending && wait)
        ret = io_uring_submit_and_wait_timeout(&u->ring, &cqe, 1, &ts, NULL);
    else if (u->pending)
        ret = io_uring_submit(&u->ring);
    else
        ret = io_uring_wait_cqe_timeout(&u->ring, &cqe, &ts);
    if (ret < 0 && !uring_transient(ret))
        return ret;
    if (ret >= 0 || ret == -ETIME)
        u->pending = 0;
    return 0;
}

static int uring_reap(struct engine_ctx *ctx, struct engine_req **done, unsigned max,
                      bool wait, unsigned timeout_ms)
{
    struct uring *u = ctx->priv;
    unsigned n;

    if (max > ctx->depth)
        max = ctx->depth;
    n = io_uring_peek_batch_cqe(&u->ring, u->cqes, max);
    if (u->pending || (n == 0 && wait)) {
        int ret = uring_enter(u, wait && n == 0, timeout_ms);

        if (ret < 0)
            return ret;
        if (n == 0)
            n = io_uring_peek_batch_cqe(&u->ring, u->cqes, max);
    }
    for (unsigned i = 0; i < n; i++) {
        struct engine_req *r = io_uring_cqe_get_data(u->cqes[i]);

        r->res = u->cqes[i]->res;
        done[i] = r;
    }
    io_uring_cq_advance(&u->ring, n);
    return (int)n;
}

static void uring_close(struct engine_ctx *ctx)
{
    struct uring *u = ctx->priv;

    if (!u)
        return;
    /* Tearing the ring down waits for anything still in the kernel. */
    io_uring_queue_exit(&u->ring);
    g_free(u->cqes);
    g_free(u);
    ctx->priv = NULL;
}

/* What the kernel cannot do inline (buffered writes, tmpfs, fsync) it hands to io-wq
 * worker threads, named iou-wrk-<submitter tid>; they are threads of this process doing
 * this engine's I/O, so their CPU counts. */
static void uring_usage(struct engine_ctx *ctx, struct engine_usage *u)
{
    struct uring *ur = ctx->priv;
    char want[32];
    DIR *d;
    struct dirent *e;

    if (!ur)
        return;
    snprintf(want, sizeof want, "iou-wrk-%d\n", (int)ur->tid);
    d = opendir("/proc/self/task");
    if (!d)
        return;
    while ((e = readdir(d))) {
        char path[300], comm[32] = "";
        FILE *f;

        if (e->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
        f = fopen(path, "re");
        if (!f)
            continue;
        if (!fgets(comm, sizeof comm, f))
            comm[0] = 0;
        fclose(f);
        if (strcmp(comm, want) == 0)
            engine_task_usage((pid_t)atoi(e->d_name), u);
    }
    closedir(d);
}

const struct engine_ops engine_uring_ops = {
    .name = "io_uring",
    .open = uring_open,
    .submit = uring_submit,
    .reap = uring_reap,
    .close = uring_close,
    .usage = uring_usage,
};
