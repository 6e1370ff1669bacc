/* A bench plan and its execution: one target, a list of cells (cache, io, workload), run one
 * after another on a worker thread through probes/runner.h. The caller (CLI or console) never
 * blocks: it polls progress, waits on a queue or an eventfd for finished cells, and may cancel.
 * Also the safety decision for a plan's writes (DESIGN.md "Safety model") and the scratch
 * file that --mode scratch creates and removes. */
#pragma once
#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "probes/cachemode.h"
#include "probes/runner.h"
#include "probes/runners.h"
#include "probes/workload.h"

struct session;   /* core/session.h */
struct bench_mode_ops;   /* core/bench_mode.h */
struct bench_plan;

#define BENCH_ERROR bench_error_quark()
GQuark bench_error_quark(void);
enum bench_error_code {
    BENCH_ERROR_USAGE,    /* a bad option value: exit 2 */
    BENCH_ERROR_REFUSED,  /* the safety model says no: exit 3, nothing written */
    BENCH_ERROR_FAILED,   /* the target or the system failed: exit 1 */
};

/* How writes may happen (--mode). */
enum bench_mode {
    BENCH_MODE_READ_ONLY,
    BENCH_MODE_SCRATCH,     /* a new file the tool creates, fills with data and removes */
    BENCH_MODE_PRESERVE,    /* not in this release: refused */
    BENCH_MODE_DESTRUCTIVE, /* an existing target whose data may be destroyed */
    BENCH_MODE_COUNT
};
const char *bench_mode_name(enum bench_mode m);
int bench_mode_from_name(const char *name);   /* -1 when unknown */

#define BENCH_DEFAULT_RUNTIME_S 5.0
#define BENCH_DEFAULT_RAMP_S 1.0
#define BENCH_DEFAULT_SCRATCH_SPAN (256ull << 20)

/* "4096", "4k", "4K", "4KiB", "1M", "1G", "2T" (powers of 1024) → *out. false with
 * BENCH_ERROR_USAGE naming the text when it is not a size or overflows. */
bool bench_parse_size(const char *text, uint64_t *out, GError **err);

/* Comma-separated names or "all" → a bit mask (bit i = enum value i). NULL text means the
 * default (cache/io: all, workload: randread). false with BENCH_ERROR_USAGE naming the
 * unknown name. */
bool bench_parse_caches(const char *text, unsigned *mask, GError **err);
bool bench_parse_ios(const char *text, unsigned *mask, GError **err);
bool bench_parse_workloads(const char *text, unsigned *mask, GError **err);

/* What the user asked for; zero fields mean the defaults. */
struct bench_request {
    unsigned cache_mask, io_mask, workload_mask;
    uint32_t block;         /* 0: each workload's own */
    uint32_t depth;         /* 0: each workload's own */
    int read_pct;           /* share of reads, 0..100; < 0: each workload's own */
    uint64_t span;          /* 0: the whole target (scratch: BENCH_DEFAULT_SCRATCH_SPAN) */
    double runtime_s;       /* < 0: default */
    double ramp_s;          /* < 0: default */
    uint64_t seed;
    unsigned iothreads;     /* 0: 1 */
    unsigned pool_workers;  /* 0: QEMU's 64 */
    unsigned repeat;        /* rounds of every cell, interleaved; 0: 1 */
    int runner;             /* enum runner_id (probes/runners.h); 0: the in-process engines */
    const char *format;     /* the image's format for the qemu-img runner; NULL: probed */
    uint64_t journal_limit; /* --mode preserve: bytes saved per writing cell; 0: default */
    uint64_t scratch_size;  /* --mode scratch on an LV-backed disk: the scratch LV's size;
                               0: none named (then no LV is made) */
};
#define BENCH_DEFAULT_JOURNAL_LIMIT (256ull << 20)
#define BENCH_MAX_REPEAT 100
/* A request with every default (runtime/ramp -1, masks per bench_parse_*(NULL)). */
void bench_request_init(struct bench_request *req);
/* The cells of req that will run (valid cache x io, times the workloads). */
unsigned bench_request_runnable(const struct bench_request *req);

/* How a cell ended and what it measured: core's own type, which the outputs, the results
 * store and the console read; filled from the runner's struct run_result (probes/runner.h)
 * as the cell ends. */
enum bench_status {
    CELL_OK,
    CELL_INVALID,     /* QEMU rejects the combination; never run */
    CELL_UNSUPPORTED, /* the target refuses a flag (O_DIRECT: EINVAL); err says which */
    CELL_REFUSED,     /* safety: writing not allowed (now) on this target */
    CELL_ERROR,       /* I/O or set-up failed; err and reason say how */
    CELL_CANCELLED,
    CELL_STATUS_COUNT
};
/* "ok", "invalid", "unsupported", "refused", "error", "cancelled" (docs/json.md). */
const char *bench_status_name(enum bench_status s);

struct bench_latency { uint64_t mean, p50, p99, p999, max; };   /* ns */

struct bench_result {
    enum bench_status status;
    int err;                /* errno for unsupported/error, else 0 */
    char reason[256];       /* words for any status but ok (and warnings for ok) */
    uint64_t ops, bytes;    /* completed while measuring */
    double seconds;         /* measured time */
    double iops, bytes_per_s;
    struct bench_latency lat_ns;
    bool no_latency;        /* the runner measures none (qemu-img): lat_ns is 0 */
    double cpu_us_per_io;   /* user+sys of the engine's threads per I/O */
    uint64_t ctx_switches;  /* voluntary + involuntary of those threads */
    double data_fraction;   /* reads on a file: allocated fraction of the span (1 = full) */
    bool device_measured;   /* device_read_share is known */
    double device_read_share; /* of the measured reads, the share the device served (0..1).
                                 Low: the figure measures the page cache */
};

/* The figures a cell measures, for ranking and spreads. */
enum bench_figure {
    FIG_IOPS, FIG_BYTES_PER_S, FIG_LAT_MEAN, FIG_LAT_P50, FIG_LAT_P99, FIG_LAT_P999,
    FIG_LAT_MAX, FIG_CPU, FIG_COUNT
};
double bench_result_figure(const struct bench_result *r, enum bench_figure f);
bool bench_figure_higher_better(enum bench_figure f);

/* A cell whose reads came mostly from the host's page cache (under half reached the
 * device): its figure measures host memory, not storage. */
#define BENCH_RAM_SHARE 0.5
bool bench_result_from_ram(const struct bench_result *r);

struct bench_cell {
    enum cache_mode cache;
    enum io_mode io;
    enum workload_kind kind;
    struct workload wl;     /* the kind's default with the request's overrides */
    bool valid;             /* false: QEMU rejects it; never run (result: invalid) */
    /* result is final: set by the worker after it wrote result (an atomic store), so that a
     * reader that sees it true (an atomic load) may read result while the run goes on. */
    atomic_bool finished;
    struct bench_result result;   /* with rounds > 1: each figure's median over the rounds */
    /* Rounds that ran to the end (ok); with more than one, lo and hi hold each figure's
     * least and greatest over them (the spread), as result holds the median. */
    unsigned rounds;
    struct bench_result lo, hi;
};

/* A figure's spread in a cell: hi - lo over its rounds; 0 with fewer than two rounds. */
double bench_cell_spread(const struct bench_cell *c, enum bench_figure f);

/* How a cell stands in its workload on a figure (bench_rank). */
enum bench_mark {
    MARK_NONE,
    MARK_BEST,   /* the top cell, and its lead over the second is beyond both spreads */
    MARK_TIE,    /* a top cell whose lead, or whose gap to the top, is inside the spreads */
};
/* Mark the cells of kind that ended ok (marks: plan->cells->len entries, by index): the
 * cell with the best figure gets MARK_BEST when its lead over every other cell is larger
 * than both cells' spreads (bench_cell_spread); otherwise it and every cell whose gap to it
 * is within the larger of the two spreads get MARK_TIE. Returns the number of marked
 * cells (0: none ended ok, 1: a best cell, more: a tie). */
unsigned bench_rank(const struct bench_plan *plan, enum workload_kind kind, enum bench_figure f,
                    guint8 *marks);

/* A runner with runner_run()'s contract; tests substitute their own. */
typedef int (*bench_runner_fn)(const struct run_spec *spec, struct run_progress *progress,
                               const atomic_bool *cancel, struct run_result *out);

struct bench_plan {
    char *target;           /* the path benchmarked (a domain disk: its resolved backing) */
    char *domain, *disk;    /* the domain's disk it stands for (also a scratch file beside
                               its image); NULL for a --target */
    char *domain_uuid;      /* that domain's UUID (preserve mode's journal names it); NULL */
    GArray *cells;          /* struct bench_cell, by workload, then cache, then io */
    uint64_t span;
    double runtime_s, ramp_s;
    uint64_t seed;
    unsigned iothreads, pool_workers;
    unsigned repeat;        /* rounds of every cell (>= 1) */
    unsigned long qemu_version; /* emulated; major*1000000+minor*1000+micro, 0 unknown */
    char *kernel;           /* uname release */
    char *stat_path;        /* the target's block device stat file (device_read_share);
                               NULL when none (tmpfs) */
    bool allow_write;       /* set by bench_plan_authorize() */
    /* The write mode that authorised the plan (core/bench_mode.h); NULL before. */
    const struct bench_mode_ops *mode_ops;
    bool scratch;           /* the target is a scratch file (or LV) this plan created */
    /* --mode scratch on an LV-backed disk: the LV made in the disk's volume group at
     * prepare (target: its path) and removed at the end; NULL for a scratch file. */
    struct bench_scratch_lv *scratch_lv;
    uint64_t journal_limit; /* --mode preserve: the span written, saved first (bytes) */
    /* The write mode's own state (preserve: its journal, its image lock); freed with the
     * plan by mode_state_free. */
    gpointer mode_state;
    GDestroyNotify mode_state_free;
    bench_runner_fn runner; /* the registry's runner_id runner unless a test says otherwise */
    int runner_id;          /* enum runner_id: which runner ran every cell ("runner") */
    char *format;           /* the image's format (a domain disk: its driver type); NULL */
    /* What the safety check approved (destructive: at authorisation; scratch: at creation):
     * every writing cell opens this object or is refused (struct run_spec check_identity). */
    bool identity_known;
    dev_t target_rdev;      /* a block device; 0 for a file */
    dev_t target_dev;       /* a file: its filesystem and inode */
    ino_t target_ino;
    /* The session the safety check asks again before every writing cell; may be NULL.
     * Borrowed from struct bench_authority: it must outlive the run. */
    struct session *session;
    /* A device-mapper thin volume (bench_plan_check_thin): unprovisioned blocks read as
     * zeros without device I/O and nothing maps them, so every read cell says so. */
    bool thin;
};

#define BENCH_THIN_WARNING \
    "thin volume: unprovisioned blocks read as zeros; figures may be optimistic"

/* Resolve plan->target (core/backing.h; sysfs_root NULL means "/sys") and set plan->thin;
 * returns it. A target that does not resolve is not marked (opening it will fail). */
bool bench_plan_check_thin(struct bench_plan *plan, const char *sysfs_root);

/* Build the cells of req for target. Invalid combinations are kept, marked and finished
 * with status invalid and QEMU's reason. qemu_version as session_qemu_version() gives it.
 * NULL with BENCH_ERROR_USAGE (empty selection, block not a multiple of 512, depth 0...).
 * Caller frees with bench_plan_free(). */
struct bench_plan *bench_plan_new(const char *target, const struct bench_request *req,
                                  unsigned long qemu_version, GError **err);
void bench_plan_free(struct bench_plan *plan);

/* Any cell that would write (valid cells only). */
bool bench_plan_writes(const struct bench_plan *plan);
/* Number of valid cells: the ones that will run. */
unsigned bench_plan_runnable(const struct bench_plan *plan);
/* The runs a plan makes: runnable cells times its rounds. */
unsigned bench_plan_runs(const struct bench_plan *plan);

/* Where the target comes from, for the safety decision. */
struct bench_authority {
    enum bench_mode mode;
    const char *yes_destroy_data;  /* --yes-destroy-data=PATH, or NULL */
    bool domain_disk;              /* the target is a domain's disk (--domain/--disk) */
    struct session *session;       /* for safety_write_allowed(); may be NULL */
};
/* Decide whether the plan may write, per DESIGN.md's safety model, before anything is
 * opened for writing; sets plan->allow_write (and, allowed, the target's identity and the
 * session that the run asks again before every writing cell: a refusal then ends that cell
 * and every later writing cell refused, with the reason). false with BENCH_ERROR_REFUSED (one line
 * naming the target and the cause) or BENCH_ERROR_USAGE (scratch mode on a domain disk).
 * Scratch mode also requires the target not to exist; it does not create it. */
bool bench_plan_authorize(struct bench_plan *plan, const struct bench_authority *auth,
                          GError **err);

/* Create plan->target as a scratch file: O_CREAT|O_EXCL|O_NOFOLLOW, 0600, plan->span bytes
 * (default BENCH_DEFAULT_SCRATCH_SPAN when 0) written with a pattern (never sparse) and
 * fsync'ed; sets plan->scratch and plan->span. With plan->scratch_lv: lvcreate the LV
 * instead (plan->target becomes the path LVM gives it), claimed O_EXCL and filled the same
 * way. On failure nothing is left behind. */
bool bench_scratch_create(struct bench_plan *plan, GError **err);
/* Remove the scratch file when this plan created it (idempotent). */
bool bench_scratch_remove(struct bench_plan *plan, GError **err);

/* A scratch LV: lvcreate'd in vg as name with size bytes (probes/lvm.h), its uuid once made. */
struct bench_scratch_lv {
    char *vg, *name;
    uint64_t size;
    char *uuid;             /* NULL until made */
};
/* Plan a scratch LV of size bytes in vg for plan (made by bench_scratch_create, which then
 * also fills plan->span bytes of it with data). */
void bench_plan_set_scratch_lv(struct bench_plan *plan, const char *vg, const char *name,
                               uint64_t size);
/* The name the scratch LV of this process gets: "virt-disktune-scratch-<pid>". Caller frees. */
char *bench_scratch_lv_name(void);

/* The resolved backing path of a domain's disk, in the configuration in effect (live when
 * running). NULL with BENCH_ERROR_FAILED when the domain or disk does not exist, or the
 * disk is not benchable (the model's reason) or its backing did not resolve.
 * Caller frees with g_free(). */
char *bench_domain_disk_path(struct session *s, const char *domain, const char *disk,
                             GError **err);
/* The disk's source as the domain's XML names it (/dev/vg0/web1: LVM's name, where the
 * resolved backing is /dev/dm-3); NULL when there is none. Caller frees. */
char *bench_domain_disk_source(struct session *s, const char *domain, const char *disk);
/* The disk's driver type ("raw", "qcow2") as its configuration names it; NULL when it names
 * none or the disk is not found; *uuid (may be NULL) the domain's UUID. Caller frees both
 * with g_free(). */
char *bench_domain_disk_format(struct session *s, const char *domain, const char *disk,
                               char **uuid);

/* Active domains with a disk on the same file or device as path, as "web1 (vdb)" strings
 * (empty when none). NULL with *err when the host cannot be listed.
 * Caller frees with g_ptr_array_unref(). */
GPtrArray *bench_target_users(struct session *s, const char *path, GError **err);

/* A snapshot of the running cell. */
struct bench_progress {
    int cell;               /* index into plan->cells; -1 before the first, after the last */
    unsigned ordinal;       /* 1-based among the runs: runnable cells x rounds */
    unsigned round;         /* 1-based; plan->repeat rounds in all */
    int phase;              /* as struct run_progress: 0 opening, 1 ramp, 2 measuring, 3 done */
    uint64_t ops, current_iops;
    double elapsed_s;
};

#define BENCH_RUN_TIMEOUT (-1)  /* bench_run_next(): nothing finished in time */
#define BENCH_RUN_END (-2)      /* bench_run_next(): every cell is finished */

struct bench_run;
/* Start running plan's cells on a worker thread. The plan must outlive the run and must not
 * be changed meanwhile; a cell's result may be read once bench_run_next() returned it.
 * NULL with BENCH_ERROR_FAILED when the thread or eventfd cannot be made. */
struct bench_run *bench_run_start(struct bench_plan *plan, GError **err);
/* The next finished cell's index (runnable or not, in plan order), BENCH_RUN_TIMEOUT after
 * timeout_us (< 0: wait for ever), or BENCH_RUN_END once all were returned. */
int bench_run_next(struct bench_run *run, gint64 timeout_us);
/* An eventfd that becomes readable when a cell finishes (read it to reset); for poll(). */
int bench_run_fd(const struct bench_run *run);
/* After bench_run_fd() became readable: resets it and calls finished() for every cell that
 * finished since (as bench_run_next() returns them); *ended once all were returned. false
 * with *err only when the eventfd cannot be read. */
bool bench_run_collect(struct bench_run *run, void (*finished)(int index, gpointer data),
                       gpointer data, bool *ended, GError **err);
void bench_run_progress(const struct bench_run *run, struct bench_progress *out);
/* Cancel the running cell (the runner ends it within 100 ms, result cancelled) and mark the
 * cells not yet run cancelled. Safe from any thread, not from a signal handler. */
void bench_run_cancel(struct bench_run *run);
/* Wait for the worker to end and free the run (cancel first to end early). */
void bench_run_free(struct bench_run *run);

/* "6.18.44" from uname; caller frees with g_free(). */
char *bench_kernel_release(void);
/* "7.2.0", or NULL when v is 0; caller frees with g_free(). */
char *bench_version_string(unsigned long v);

typedef struct bench_plan BenchPlan;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BenchPlan, bench_plan_free)
