/* Run one bench cell: open the target with the cache mode's flags, drive the io mode's
 * engine (struct engine_ops, probes/engine.h) for ramp + runtime, and measure. Blocks the
 * calling thread; progress is readable from any thread without locks; cancel is honoured
 * within 100 ms. Knows nothing of libvirt: core/bench.c builds the spec. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "probes/cachemode.h"
#include "probes/workload.h"

enum run_status {
    RUN_OK,
    RUN_INVALID,     /* QEMU rejects the combination; never run */
    RUN_UNSUPPORTED, /* the target refuses a flag (O_DIRECT: EINVAL) */
    RUN_REFUSED,     /* safety: writing not allowed on this target */
    RUN_ERROR,       /* I/O or set-up failed; err and reason say how */
    RUN_CANCELLED,
    RUN_STATUS_COUNT
};
const char *run_status_name(enum run_status s);   /* "ok", "invalid", ... */

struct run_spec {
    const char *path;       /* file or block device */
    enum cache_mode cache;
    enum io_mode io;
    struct workload wl;     /* block, depth, read share, pattern, flushes */
    uint64_t span;          /* bytes from offset 0; 0 = the whole target */
    double ramp_s;          /* seconds run but not measured */
    double runtime_s;       /* seconds measured */
    uint64_t seed;          /* offsets; same seed, same sequence */
    unsigned iothreads;     /* submitting threads, one per emulated iothread (>= 1) */
    unsigned pool_workers;  /* io=threads: pool size; 0 = QEMU's default of 64 */
    unsigned qemu_major;    /* emulate this QEMU (>= 10: RWF_DSYNC for write-through) */
    bool allow_write;       /* the caller's safety checks passed; else writes are refused */
    /* The object the safety check approved: when check_identity, the opened target must be
     * the same block device (expect_rdev) or file (expect_dev, expect_ino), else the cell
     * is refused before any I/O (renamed, replaced, a different device under the path). */
    bool check_identity;
    dev_t expect_rdev;
    dev_t expect_dev;
    ino_t expect_ino;
    /* Drop the target's page cache before the cell (probes/pagecache.h), as fio does. */
    bool drop_cache;
    /* The block device's stat file (probes/diskstats.h), sampled at the start and end of
     * the measured phase for device_read_share; NULL: not measured. */
    const char *stat_path;
    /* Image format for the qemu-img runner ("raw", "qcow2"); NULL: ask qemu-img info. */
    const char *format;
};

/* Written by the runner, read by anyone; all relaxed atomics. */
struct run_progress {
    _Atomic uint64_t ops;           /* completed I/Os in the current phase */
    _Atomic uint64_t elapsed_ns;    /* in the current phase */
    _Atomic uint64_t current_iops;  /* over the last ~250 ms */
    _Atomic int phase;              /* 0 opening, 1 ramp, 2 measuring, 3 done */
};

struct run_latency { uint64_t mean, p50, p99, p999, max; };   /* ns */

struct run_result {
    enum run_status status;
    int err;                /* errno for unsupported/error, else 0 */
    char reason[256];       /* words for any status but ok (and warnings for ok) */
    uint64_t ops, bytes;
    double seconds;         /* measured time */
    double iops, bytes_per_s;
    struct run_latency lat_ns;
    double cpu_us_per_io;   /* user+sys of the engine's threads / ops */
    uint64_t ctx_switches;  /* voluntary + involuntary of those threads */
    double data_fraction;   /* reads on a file: allocated fraction of the span (1 = full) */
    /* The bytes the device read while measuring over the bytes the cell read, at most 1;
     * < 0 when not known (no reads, no stat file). Other users of the device count too, so
     * it is an upper bound; read-ahead can take it to 1 without every read reaching it. */
    double device_read_share;
    bool no_latency;        /* the runner measures no latency (qemu-img): lat_ns is 0 */
};

/* A runner's verdict on a cell: status, errno and the reason (printf), into *out. */
void run_result_set(struct run_result *out, enum run_status st, int err, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

struct stat;
/* st (of the opened target) is the object spec's safety check approved: the same block
 * device (expect_rdev) or the same file (expect_dev, expect_ino). Every runner asks it
 * before it writes. */
bool runner_same_object(const struct run_spec *spec, const struct stat *st);
/* With spec->check_identity: the open target (fd, or the path when fd < 0: checked right
 * before another program opens it) is the approved object. 0, or -errno with *out filled:
 * RUN_REFUSED (ESTALE) when it is another, RUN_ERROR when it cannot be stat'ed. */
int runner_check_identity(const struct run_spec *spec, int fd, struct run_result *out);

/* Always fills *out; returns 0 when the cell ran (status ok or cancelled), else -errno
 * or -EINVAL for invalid. progress and cancel may be NULL. */
int runner_run(const struct run_spec *spec, struct run_progress *progress,
               const atomic_bool *cancel, struct run_result *out);
