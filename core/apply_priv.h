/* Inside core/apply*.c: the live calls a plan makes, and the reads the plan, the execution
 * and the verification share. */
#pragma once
#include <libvirt/libvirt.h>
#include "core/apply.h"
#include "core/model.h"

enum apply_live_kind {
    LIVE_ADD,               /* virDomainAddIOThread(id, LIVE) */
    LIVE_PIN,               /* virDomainPinIOThread(id, cpuset, LIVE) */
    LIVE_DEL,               /* virDomainDelIOThread(id, LIVE) */
};

struct apply_live_op {
    enum apply_live_kind kind;
    unsigned id;
    char *cpuset;           /* PIN: canonical; NULL: unpin (all the host's CPUs) */
    char *previous;         /* PIN and DEL: the pin before (rollback), NULL when unpinned */
};
void apply_live_op_free(struct apply_live_op *op);

/* Live calls that bring the running domain (live) to the target: ids in add that it lacks,
 * pins that differ, ids in del that no running disk uses. Appended to plan->live_ops. */
void apply_plan_live(struct apply_plan *plan, const struct vm_config *live, const GArray *add,
                     const GArray *del, const GPtrArray *pins);

/* virDomainGetXMLDesc: inactive with SECURE, or live. NULL with *err. Caller frees with g_free(). */
char *apply_read_xml(struct session *s, virDomainPtr dom, bool inactive, GError **err);
bool apply_read_state(struct session *s, virDomainPtr dom, bool *active, bool *persistent,
                      GError **err);
