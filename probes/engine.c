#include "probes/engine.h"

#include <stddef.h>
#include <stdio.h>

static const struct engine_ops *const engines[IO_COUNT] = {
    [IO_NATIVE]  = &engine_aio_ops,
    [IO_THREADS] = &engine_threads_ops,
    [IO_URING]   = &engine_uring_ops,
};

const struct engine_ops *engine_for(enum io_mode mode)
{
    if ((unsigned)mode >= IO_COUNT)
        return NULL;
    return engines[mode];
}

static uint64_t task_ctx_switches(pid_t tid)
{
    char path[64], line[128];
    uint64_t sum = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/self/task/%d/status", (int)tid);
    f = fopen(path, "re");
    if (!f)
        return 0;
    while (fgets(line, sizeof line, f)) {
        unsigned long long v;

        if (sscanf(line, "voluntary_ctxt_switches: %llu", &v) == 1 ||
            sscanf(line, "nonvoluntary_ctxt_switches: %llu", &v) == 1)
            sum += v;
    }
    fclose(f);
    return sum;
}

void engine_task_usage(pid_t tid, struct engine_usage *u)
{
    char path[64];
    unsigned long long run_ns = 0;
    FILE *f;

    snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", (int)tid);
    f = fopen(path, "re");
    if (!f)
        return;
    if (fscanf(f, "%llu", &run_ns) == 1)
        u->cpu_ns += run_ns;
    fclose(f);
    u->ctx_switches += task_ctx_switches(tid);
}
