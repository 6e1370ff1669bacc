/* A second runner: the cell run by QEMU's own block layer, through `qemu-img bench`
 * (issue 15, "QEMU itself as a witness"). The same contract as runner_run() (probes/runner.h):
 * same spec, same statuses, progress readable from any thread, cancel honoured within
 * 100 ms, *out always filled. What qemu-img bench cannot do is said, not faked: it runs only
 * reads or only writes (mixed: unsupported), has no random pattern (random cells run a
 * stride that visits every block, said in out->reason), measures no latency
 * (out->no_latency) and runs a count of requests, not a duration (a calibration run, which
 * is also the warm-up, finds the count that fills runtime_s). */
#pragma once
#include <stdatomic.h>

#include "probes/runner.h"

/* The path of qemu-img: $VIRT_DISKTUNE_QEMU_IMG when set, else qemu-img found on PATH.
 * NULL when unavailable, with *reason (caller frees with g_free()) saying why. The caller
 * frees the path with g_free(). */
char *runner_qemu_find(char **reason);

/* Run one cell with qemu-img bench on spec->path (spec->format, else the format qemu-img
 * info reports). Blocks the calling thread; spawns qemu-img and never leaves it behind.
 * Always fills *out; returns 0 when the cell ran (status ok or cancelled), else -errno or
 * -EINVAL for invalid. progress and cancel may be NULL. */
int runner_qemu_run(const struct run_spec *spec, struct run_progress *progress,
                    const atomic_bool *cancel, struct run_result *out);
