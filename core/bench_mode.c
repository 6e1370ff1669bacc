/* The table of write modes and what its members share. */
#include "core/bench_mode.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include "core/safety.h"

static const struct bench_mode_ops *const modes[BENCH_MODE_COUNT] = {
    [BENCH_MODE_READ_ONLY]   = &bench_mode_read_only,
    [BENCH_MODE_SCRATCH]     = &bench_mode_scratch,
    [BENCH_MODE_PRESERVE]    = &bench_mode_preserve,
    [BENCH_MODE_DESTRUCTIVE] = &bench_mode_destructive,
};

const struct bench_mode_ops *bench_mode_ops_for(enum bench_mode m)
{
    return (unsigned)m < BENCH_MODE_COUNT ? modes[m] : NULL;
}

const char *bench_mode_name(enum bench_mode m)
{
    const struct bench_mode_ops *ops = bench_mode_ops_for(m);

    return ops ? ops->name : NULL;
}

int bench_mode_from_name(const char *name)
{
    for (int i = 0; name && i < BENCH_MODE_COUNT; i++)
        if (strcmp(modes[i]->name, name) == 0)
            return i;
    return -1;
}

bool bench_mode_refuse(GError **err, const char *target, const char *why)
{
    g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED, "%s: %s", target, why);
    return false;
}

bool bench_mode_record_identity(struct bench_plan *plan, int fd)
{
    struct stat st;

    if ((fd >= 0 ? fstat(fd, &st) : stat(plan->target, &st)) < 0)
        return false;
    plan->identity_known = true;
    plan->target_rdev = S_ISBLK(st.st_mode) ? st.st_rdev : 0;
    plan->target_dev = st.st_dev;
    plan->target_ino = st.st_ino;
    return true;
}

/* udev answers the close of a device written to by probing it (blkid, a few ms): a user
 * that comes and goes. Before refusing, the check is asked a few more times; a guest, a
 * mount or a process that keeps the target stays and is refused. */
#define RECHECK_TRIES 5
#define RECHECK_PAUSE_US 100000

bool bench_mode_recheck(const struct bench_plan *plan, const struct bench_cell *cell,
                        const atomic_bool *cancel, GError **why)
{
    for (int i = 0;; i++) {
        g_clear_error(why);
        if (safety_write_allowed(plan->session, plan->target, why))
            return true;
        if (i + 1 == RECHECK_TRIES || (cancel && atomic_load(cancel)) ||
            !g_error_matches(*why, SAFETY_ERROR, SAFETY_ERROR_IN_USE))
            return false;
        g_usleep(RECHECK_PAUSE_US);
    }
}
