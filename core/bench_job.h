/* One bench job, driven the same way by `virt-disktune bench` and by the console: request →
 * plan → authorisation (DESIGN.md's safety model) → the target's checks → scratch file →
 * run (with the per-cell safety re-check of core/bench.c) → results → clean-up. What the
 * caller should tell the user comes back as data (notices), never printed here. */
#pragma once
#include <glib.h>
#include <stdbool.h>
#include "core/bench.h"

struct session;

/* What to benchmark and how; strings are borrowed for the call to bench_job_prepare(). */
struct bench_job_spec {
    const char *domain;            /* a domain's disk: domain and disk (target dev) ... */
    const char *disk;
    const char *target;            /* ... or a path (then domain and disk are NULL) */
    struct bench_request req;
    enum bench_mode mode;
    const char *yes_destroy_data;  /* --yes-destroy-data=PATH, or NULL */
    /* The URI could not be opened and the caller goes on without libvirt (a --target with
     * no -c): the reason, or NULL. Writes to an existing target are then refused. */
    const char *no_libvirt;
};

struct bench_job {
    struct bench_plan *plan;
    enum bench_mode mode;
    /* One line each, raw (escape before showing): "warning: ..." or "notice: ...". */
    GPtrArray *notices;
    struct bench_run *run;         /* between bench_job_start() and bench_job_finish() */
};

/* Plans and authorises the job; nothing is created or opened for writing yet. session may
 * be NULL only together with spec->no_libvirt. NULL with BENCH_ERROR_* (usage, refused,
 * failed: the exit status) and a one-line message naming the object and the cause.
 * Caller frees with bench_job_free(). */
struct bench_job *bench_job_prepare(struct session *session, const struct bench_job_spec *spec,
                                    GError **err);

/* Creates the scratch file (scratch mode) and starts the run on its worker. The caller then
 * follows it with bench_run_fd/next/progress/cancel on job->run. false with *err set; a
 * scratch file made before the failure is removed by bench_job_finish(). */
bool bench_job_start(struct bench_job *job, GError **err);

/* Waits for the run to end (cancel it first to end early), frees it and removes the
 * scratch file; idempotent. false with *err when the scratch file cannot be removed. */
bool bench_job_finish(struct bench_job *job, GError **err);

/* Finishes the job if needed (errors ignored: call bench_job_finish() to see them). */
void bench_job_free(struct bench_job *job);

/* A finished job for a plan that ran before (a saved run, core/results_store.h): no run,
 * nothing to prepare or finish. Takes plan. Caller frees with bench_job_free(). */
struct bench_job *bench_job_from_plan(struct bench_plan *plan);

typedef struct bench_job BenchJob;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BenchJob, bench_job_free)
