/* --mode read-only (the default): reads on any target, opened O_RDONLY; no write at all. */
#include "core/bench_mode.h"

static bool read_only_authorize(struct bench_plan *plan, const struct bench_authority *auth,
                                GError **err)
{
    if (!bench_plan_writes(plan))
        return true;
    return bench_mode_refuse(err, plan->target,
                             "write workloads refused in read-only mode; use --mode scratch "
                             "with a new file, or --mode destructive --yes-destroy-data=PATH on "
                             "a target whose data may be lost");
}

const struct bench_mode_ops bench_mode_read_only = {
    .mode = BENCH_MODE_READ_ONLY,
    .name = "read-only",
    .authorize = read_only_authorize,
};
