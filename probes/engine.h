/* The I/O engines: one ops table per QEMU io= mode (fio's ioengine_ops shape). An engine
 * moves preallocated requests between the submitting thread and the kernel; it knows
 * nothing of workloads, phases or figures, which are probes/runner.c's business.
 * One context per submitting thread; a context is used by that thread only. */
#pragma once
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "probes/cachemode.h"

enum engine_op {
    ENGINE_OP_READ,
    ENGINE_OP_WRITE,
    ENGINE_OP_FDATASYNC,
};

/* One step of a logical I/O. Owned by the runner, reused for every step, never allocated
 * on the hot path. The engine reads op..rw_flags and writes res. */
struct engine_req {
    enum engine_op op;
    int rw_flags;           /* RWF_DSYNC for QEMU >= 10 write-through on native/io_uring */
    uint64_t offset;
    uint32_t len;
    void *buf;
    unsigned buf_index;     /* index of buf in engine_ctx.bufs (registered buffers) */
    int64_t res;            /* bytes done, or -errno */
    struct engine_req *next;/* engine-private link while in flight */
};

struct engine_ctx {
    int fd;
    unsigned depth;         /* most requests ever in flight at once */
    void **bufs;            /* depth buffers, each buf_len bytes, aligned for O_DIRECT */
    uint32_t buf_len;
    unsigned pool_workers;  /* threads engine: pool size (0 = QEMU's 64), capped at depth */
    void *priv;             /* the engine's own state */
};

/* CPU and context switches of an engine's helper threads (the thread pool's workers);
 * the submitting thread measures itself. */
struct engine_usage {
    uint64_t cpu_ns;
    uint64_t ctx_switches;
};

struct engine_ops {
    const char *name;
    /* Set up ctx->priv for ctx->fd, ctx->depth and ctx->bufs. 0 or -errno. */
    int (*open)(struct engine_ctx *ctx);
    /* Queue n requests; they reach the kernel no later than the next reap. A request the
     * kernel refuses comes back from reap with res < 0. 0, or -errno when the engine itself
     * failed (then the requests' fate is unknown: drain and stop). */
    int (*submit)(struct engine_ctx *ctx, struct engine_req **reqs, unsigned n);
    /* Move up to max completed requests into done; wait up to timeout_ms for the first when
     * wait is set. Returns the count (0 on timeout) or -errno. */
    int (*reap)(struct engine_ctx *ctx, struct engine_req **done, unsigned max, bool wait,
                unsigned timeout_ms);
    /* Only after every request has been reaped. Frees ctx->priv. */
    void (*close)(struct engine_ctx *ctx);
    /* May be NULL: the engine has no helper threads. Adds their totals so far into *u. */
    void (*usage)(struct engine_ctx *ctx, struct engine_usage *u);
};

/* For engines' usage hooks: one thread of this process, read from /proc (its scheduler
 * run time in ns, and voluntary + involuntary context switches); zeros when it is gone. */
void engine_task_usage(pid_t tid, struct engine_usage *u);

/* The engine that does io= mode's I/O as QEMU does; NULL when out of range. */
const struct engine_ops *engine_for(enum io_mode mode);

extern const struct engine_ops engine_uring_ops;
extern const struct engine_ops engine_aio_ops;
extern const struct engine_ops engine_threads_ops;
