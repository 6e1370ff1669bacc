/* A child process run to its end from the calling thread: its stdout and stderr read in
 * short slices (so the caller keeps its progress and sees a cancel in time), a cancel
 * turned into SIGTERM and, a second later, SIGKILL, and the child always reaped (wait4,
 * for its rusage). The qemu-img runner's (probes/runner_qemu.c). */
#pragma once
#include <glib.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>

/* How one child ended. */
struct child_run {
    GString *out, *err;     /* what it wrote, at most CHILD_OUTPUT_CAP bytes of each */
    int wait_status;
    struct rusage ru;
    uint64_t wall_ns;
    bool cancelled;         /* *cancel was seen: it was sent SIGTERM */
    bool lost;              /* reaped by someone else: no status */
};
#define CHILD_OUTPUT_CAP (64u * 1024u)

void child_run_init(struct child_run *r);
void child_run_clear(struct child_run *r);
/* Exited with status 0. */
bool child_ok(const struct child_run *r);

/* Runs argv (envp NULL: this environment) with stdin from /dev/null; tick (may be NULL) is
 * called every slice (20 ms) with the nanoseconds since the start; a true *cancel (may be
 * NULL) stops the child. 0 when it ran (r says how it ended), else -errno with *err set
 * when it could not be started. */
int child_run(char **argv, char **envp, const atomic_bool *cancel,
              void (*tick)(gpointer data, uint64_t run_ns), gpointer data,
              struct child_run *r, GError **err);
