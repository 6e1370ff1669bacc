/* --mode destructive: an existing target whose data may be lost, named in full with
 * --yes-destroy-data, and only while nothing uses it: the safety check at authorisation and
 * again before every writing cell. */
#include "core/bench_mode.h"

#include <errno.h>
#include <string.h>
#include "core/safety.h"

static bool destructive_authorize(struct bench_plan *plan, const struct bench_authority *auth,
                                  GError **err)
{
    g_autoptr(GError) why = NULL;

    if (!bench_plan_writes(plan))
        return true;
    if (!auth->yes_destroy_data || strcmp(auth->yes_destroy_data, plan->target) != 0)
        return bench_mode_refuse(err, plan->target,
                                 "--mode destructive destroys the data on the target: confirm "
                                 "with --yes-destroy-data= naming this path in full");
    if (!safety_write_allowed(auth->session, plan->target, &why)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED, "%s",
                    why ? why->message : plan->target);
        return false;
    }
    if (!bench_mode_record_identity(plan, -1)) {
        g_set_error(err, BENCH_ERROR, BENCH_ERROR_REFUSED,
                    "%s: cannot check whether it is in use: %s", plan->target,
                    g_strerror(errno));
        return false;
    }
    plan->session = auth->session;
    plan->allow_write = true;
    return true;
}

const struct bench_mode_ops bench_mode_destructive = {
    .mode = BENCH_MODE_DESTRUCTIVE,
    .name = "destructive",
    .authorize = destructive_authorize,
    .before_cell = bench_mode_recheck,
};
