/* The runners a bench cell can be run by, in one place: the in-process engines
 * (probes/runner.h) and QEMU's own block layer through qemu-img bench
 * (probes/runner_qemu.h). Each has runner_run()'s contract. */
#pragma once
#include <stdatomic.h>
#include <stdbool.h>
#include "probes/runner.h"

enum runner_id { RUNNER_IN_PROCESS, RUNNER_QEMU_IMG, RUNNER_COUNT };

struct runner_kind {
    const char *name;       /* "in-process", "qemu-img": --engine and JSON "runner" */
    const char *about;      /* one line for --help */
    int (*run)(const struct run_spec *spec, struct run_progress *progress,
               const atomic_bool *cancel, struct run_result *out);
    /* NULL when the runner can run here, else why not (caller frees with g_free()). */
    char *(*unavailable)(void);
};

const struct runner_kind *runner_kind(enum runner_id id);
/* "in-process", "qemu-img" (and "qemu" for it): the id, or -1. */
int runner_from_name(const char *name);
