/* The write modes (--mode) as a family: one ops struct, one file per mode
 * (core/bench_mode_*.c), registered in one table (core/bench_mode.c). A plan's mode is
 * chosen at authorisation (bench_plan_authorize) and drives the job: prepare before the
 * first cell, a check before each writing cell, finish after the last (also after a
 * failure or a cancel). DESIGN.md's safety model is the contract every member keeps. */
#pragma once
#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include "core/bench.h"

struct bench_mode_ops {
    enum bench_mode mode;
    const char *name;   /* as --mode names it */
    /* May the plan write? Sets plan->allow_write (and what the safety check approved);
     * false with BENCH_ERROR_REFUSED or _FAILED, one line naming the target and the cause. */
    bool (*authorize)(struct bench_plan *plan, const struct bench_authority *auth, GError **err);
    /* Before the first cell; NULL: nothing to do. */
    bool (*prepare)(struct bench_plan *plan, GError **err);
    /* On the run's worker before each writing cell of an authorised plan: may it write?
     * cancel: stop asking (the run is being cancelled). A mode that authorises writes must
     * have one: without it every writing cell is refused. */
    bool (*before_cell)(const struct bench_plan *plan, const struct bench_cell *cell,
                        const atomic_bool *cancel, GError **why);
    /* On the run's worker after each cell (also one cancelled or refused); NULL: nothing to
     * do. false with *why when what the cell did could not be undone: the cell ends in
     * error and no later cell writes. */
    bool (*after_cell)(const struct bench_plan *plan, const struct bench_cell *cell,
                       GError **why);
    /* Optional: the run starts (before the worker runs any cell), and, on the worker, it
     * ends (before bench_run_free can return): preserve mode watches the domain meanwhile
     * and cancels the run when it starts. */
    void (*run_started)(struct bench_plan *plan, struct bench_run *run);
    void (*run_ended)(struct bench_plan *plan);
    /* After the last cell, a failure or a cancel; idempotent. NULL: nothing to do. */
    bool (*finish)(struct bench_plan *plan, GError **err);
};

/* The member for m; NULL when m is out of range. */
const struct bench_mode_ops *bench_mode_ops_for(enum bench_mode m);

extern const struct bench_mode_ops bench_mode_read_only;
extern const struct bench_mode_ops bench_mode_scratch;
extern const struct bench_mode_ops bench_mode_destructive;
extern const struct bench_mode_ops bench_mode_preserve;

/* Shared by the members. */
/* false, with BENCH_ERROR_REFUSED "<target>: <why>". */
bool bench_mode_refuse(GError **err, const char *target, const char *why);
/* Record the object behind plan->target (fd >= 0: the one open) as approved: every writing
 * cell opens this object or is refused. false with errno set. */
bool bench_mode_record_identity(struct bench_plan *plan, int fd);
/* The safety check again (core/safety.h), asked a few times before it refuses: udev probes a
 * device that was just written and closed, a user that comes and goes. */
bool bench_mode_recheck(const struct bench_plan *plan, const struct bench_cell *cell,
                        const atomic_bool *cancel, GError **why);
